/* SPDX-License-Identifier: MIT */
#include "io/clock.h"

#include <time.h>

#include <event2/event.h>

static uint64_t clock_ms(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t io_mono_ms(void)
{
        return clock_ms(CLOCK_MONOTONIC);
}

uint64_t io_wall_ms(void)
{
        return clock_ms(CLOCK_REALTIME);
}

int64_t io_wall_offset_ms(void)
{
        /* Read both each time: the wall clock may be stepped (NTP/PTP own it). */
        return (int64_t)io_wall_ms() - (int64_t)io_mono_ms();
}

void io_deadline_arm(struct io_deadline *t, uint64_t deadline, uint64_t now)
{
        if (deadline == DNP_NEVER) {
                if (t->armed != DNP_NEVER)
                        evtimer_del(t->ev);
                t->armed = DNP_NEVER;
                return;
        }
        if (deadline == t->armed && evtimer_pending(t->ev, NULL))
                return;
        uint64_t ms = deadline > now ? deadline - now : 0;
        struct timeval tv = {
                .tv_sec = (time_t)(ms / 1000),
                .tv_usec = (suseconds_t)((ms % 1000) * 1000),
        };
        evtimer_add(t->ev, &tv);
        t->armed = deadline;
}

void io_deadline_fired(struct io_deadline *t)
{
        t->armed = DNP_NEVER;
}
