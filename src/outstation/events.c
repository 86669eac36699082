/* SPDX-License-Identifier: MIT */
/*
 * Event buffers: a ring per class.  Confirmed events are usually a prefix of
 * the ring (responses take the oldest first), so removal pops from the head
 * and compacts only when selected events sit behind unsent ones (a READ of
 * one group).
 */
#include "outstation/events.h"

#include <errno.h>
#include <stdlib.h>

struct ev_ring {
        struct ev *slot;
        uint32_t cap;
        uint32_t head;
        uint32_t len;
        uint32_t unsent;
        uint32_t sel[3];        /* selected counts by enum ev_state */
        bool high;              /* at or above 80 % */
        bool high_reported;     /* waiting for events_take_high_water */
};

struct events {
        struct ev_ring ring[4];
        uint32_t seq;
        bool overflow;
        struct events_stats stats;
};

size_t events_memory(const uint32_t depth[4])
{
        size_t n = sizeof(struct events);
        for (unsigned c = 1; c <= 3; c++)
                n += (size_t)depth[c] * sizeof(struct ev);
        return n;
}

struct events *events_new(const uint32_t depth[4])
{
        struct events *ev = calloc(1, sizeof(*ev));
        if (!ev)
                return NULL;
        for (unsigned c = 1; c <= 3; c++) {
                ev->ring[c].cap = depth[c];
                if (depth[c] == 0)
                        continue;
                ev->ring[c].slot = calloc(depth[c], sizeof(struct ev));
                if (!ev->ring[c].slot) {
                        events_free(ev);
                        return NULL;
                }
        }
        return ev;
}

void events_free(struct events *ev)
{
        if (!ev)
                return;
        for (unsigned c = 1; c <= 3; c++)
                free(ev->ring[c].slot);
        free(ev);
}

static struct ev *ring_at(const struct ev_ring *r, uint32_t i)
{
        uint32_t k = r->head + i;
        if (k >= r->cap)
                k -= r->cap;
        return &r->slot[k];
}

static void ring_drop(struct ev_ring *r, const struct ev *e)
{
        if (e->state == EV_UNSENT)
                r->unsent--;
        else
                r->sel[e->state]--;
}

static void ring_water(struct events *ev, unsigned cls)
{
        struct ev_ring *r = &ev->ring[cls];
        bool high = (uint64_t)r->len * 5 >= (uint64_t)r->cap * 4;
        if (high && !r->high) {
                r->high_reported = true;
                ev->stats.high_water[cls]++;
        }
        r->high = high;
}

int events_add(struct events *ev, const struct db_event *e)
{
        unsigned cls = e->cls;
        if (cls < 1 || cls > 3)
                return -EINVAL;
        struct ev_ring *r = &ev->ring[cls];
        int dropped = 0;

        if (r->cap == 0) {
                ev->stats.discarded[cls]++;
                ev->overflow = true;
                return 1;
        }
        if (r->len == r->cap) {
                ring_drop(r, ring_at(r, 0));
                r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
                r->len--;
                ev->stats.discarded[cls]++;
                ev->overflow = true;
                dropped = 1;
        }
        double value;
        switch (e->type) {
        case DNP_TYPE_BI:
        case DNP_TYPE_BO:
                value = e->v.v.bit ? 1.0 : 0.0;
                break;
        case DNP_TYPE_DBI:
                value = e->v.v.dbit;
                break;
        case DNP_TYPE_CNT:
        case DNP_TYPE_FCNT:
                value = e->v.v.count;
                break;
        default:
                value = e->v.v.analog;
                break;
        }
        *ring_at(r, r->len) = (struct ev){
                .time = e->v.time,
                .value = value,
                .index = e->v.index,
                .seq = ev->seq++,
                .type = e->type,
                .var = e->var,
                .flags = e->v.flags,
                .state = EV_UNSENT,
        };
        r->len++;
        r->unsent++;
        ev->stats.added[cls]++;
        ring_water(ev, cls);
        return dropped;
}

size_t events_count(const struct events *ev, unsigned cls)
{
        return cls >= 1 && cls <= 3 ? ev->ring[cls].len : 0;
}

size_t events_unsent(const struct events *ev, unsigned cls)
{
        return cls >= 1 && cls <= 3 ? ev->ring[cls].unsent : 0;
}

void events_iter_init(const struct events *ev, struct events_iter *it, unsigned mask)
{
        (void)ev;
        *it = (struct events_iter){ .mask = mask & 0xe };
}

struct ev *events_iter_next(struct events *ev, struct events_iter *it, unsigned *ret_cls)
{
        struct ev *best = NULL;
        unsigned best_cls = 0;

        for (unsigned c = 1; c <= 3; c++) {
                if (!(it->mask & (1u << c)))
                        continue;
                struct ev_ring *r = &ev->ring[c];
                /* skip selected events */
                while (it->pos[c] < r->len && ring_at(r, it->pos[c])->state != EV_UNSENT)
                        it->pos[c]++;
                if (it->pos[c] >= r->len)
                        continue;
                struct ev *e = ring_at(r, it->pos[c]);
                /* sequence numbers wrap: compare by difference */
                if (!best || (int32_t)(e->seq - best->seq) < 0) {
                        best = e;
                        best_cls = c;
                }
        }
        if (!best)
                return NULL;
        it->pos[best_cls]++;
        if (ret_cls)
                *ret_cls = best_cls;
        return best;
}

static struct ev_ring *ring_of(struct events *ev, const struct ev *e)
{
        for (unsigned c = 1; c <= 3; c++) {
                struct ev_ring *r = &ev->ring[c];
                if (r->cap && e >= r->slot && e < r->slot + r->cap)
                        return r;
        }
        return NULL;
}

void events_select(struct events *ev, struct ev *e, enum ev_state by)
{
        struct ev_ring *r = ring_of(ev, e);
        if (!r || e->state != EV_UNSENT || by == EV_UNSENT)
                return;
        e->state = (uint8_t)by;
        r->unsent--;
        r->sel[by]++;
}

size_t events_confirm(struct events *ev, enum ev_state by)
{
        size_t n = 0;

        for (unsigned c = 1; c <= 3; c++) {
                struct ev_ring *r = &ev->ring[c];
                uint32_t removed = 0;
                if (r->sel[by] == 0)
                        continue;
                /* fast path: a selected prefix */
                while (r->len > 0 && ring_at(r, 0)->state == by) {
                        r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
                        r->len--;
                        removed++;
                }
                r->sel[by] -= removed;
                if (r->sel[by] > 0) {
                        /* compact, keeping order */
                        uint32_t w = 0;
                        for (uint32_t i = 0; i < r->len; i++) {
                                struct ev *e = ring_at(r, i);
                                if (e->state == by) {
                                        removed++;
                                        continue;
                                }
                                if (w != i)
                                        *ring_at(r, w) = *e;
                                w++;
                        }
                        r->len = w;
                        r->sel[by] = 0;
                }
                ev->stats.confirmed[c] += removed;
                n += removed;
                ring_water(ev, c);
                if (!r->high)
                        r->high_reported = false;
        }
        return n;
}

size_t events_unselect(struct events *ev, enum ev_state by)
{
        size_t n = 0;
        for (unsigned c = 1; c <= 3; c++) {
                struct ev_ring *r = &ev->ring[c];
                for (uint32_t i = 0; i < r->len && r->sel[by] > 0; i++) {
                        struct ev *e = ring_at(r, i);
                        if (e->state != by)
                                continue;
                        e->state = EV_UNSENT;
                        r->sel[by]--;
                        r->unsent++;
                        n++;
                }
        }
        return n;
}

bool events_overflow(const struct events *ev)
{
        return ev->overflow;
}

void events_clear_overflow(struct events *ev)
{
        ev->overflow = false;
}

bool events_take_high_water(struct events *ev, unsigned cls)
{
        if (cls < 1 || cls > 3 || !ev->ring[cls].high_reported)
                return false;
        ev->ring[cls].high_reported = false;
        return true;
}

const struct events_stats *events_stats(const struct events *ev)
{
        return &ev->stats;
}
