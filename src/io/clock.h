/* SPDX-License-Identifier: MIT */
/*
 * The clocks the I/O layer hands to the sans-I/O sessions, and the one
 * timer each session runner keeps armed at the session's next deadline.
 * Sessions take monotonic milliseconds as `now` and a wall-clock offset
 * (wall - monotonic) for timestamps; only src/io and src/daemon read clocks.
 */
#pragma once

#include <stdint.h>

#include "dnp3/sess.h"        /* DNP_NEVER */

struct event;


uint64_t io_mono_ms(void);
uint64_t io_wall_ms(void);
/* wall - monotonic, in ms: the offset the sessions add to `now` for wall time. */
int64_t io_wall_offset_ms(void);

/*
 * One libevent timer kept armed at a session's deadline.  Arming for the
 * deadline it already waits for does nothing; DNP_NEVER disarms it, so an
 * idle session causes no wake-ups at all.
 */
struct io_deadline {
        struct event *ev;
        uint64_t armed;         /* deadline the timer waits for, or DNP_NEVER */
};

void io_deadline_arm(struct io_deadline *t, uint64_t deadline, uint64_t now);
/* Call first thing in the timer's callback: the timer is no longer armed. */
void io_deadline_fired(struct io_deadline *t);
