/* SPDX-License-Identifier: MIT */
/*
 * Outstation event buffers: one ring per class (1, 2, 3) with a configured
 * depth, allocated once.  Events keep their insertion order (a global
 * sequence number orders them across classes).
 *
 * Life of an event: UNSENT -> SELECTED (written into a response fragment,
 * solicited or unsolicited) -> removed when that fragment is confirmed
 * (events_confirm), or back to UNSENT when it is not (events_unselect:
 * confirm timeout, new request, connection lost).  Nothing is lost except
 * by overflow: adding to a full class discards its oldest event, counts it
 * and sets the overflow flag (IIN2.3) until events_clear_overflow().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outstation/db.h"

enum ev_state {
        EV_UNSENT = 0,
        EV_SEL_SOL,             /* in a solicited response awaiting confirm */
        EV_SEL_UNSOL,           /* in an unsolicited response awaiting confirm */
};

struct ev {
        uint64_t time;          /* 48-bit DNP3 time */
        double value;
        uint32_t index;
        uint32_t seq;           /* insertion order across classes */
        uint8_t type;           /* enum dnp_type */
        uint8_t var;            /* event variation */
        uint8_t flags;
        uint8_t state;          /* enum ev_state */
};

struct events_stats {
        uint64_t added[4];      /* per class, [0] unused */
        uint64_t discarded[4];  /* overflow discards */
        uint64_t confirmed[4];
        uint64_t high_water[4]; /* times the class passed 80 % */
};

struct events;

/* depth[c] for classes 1..3 (index 0 ignored); 0 = that class keeps nothing. NULL on ENOMEM. */
struct events *events_new(const uint32_t depth[4]);
void events_free(struct events *ev);
size_t events_memory(const uint32_t depth[4]);

/* Queue e (from db_update) in its class.  Returns 1 if the oldest was discarded, 0, -EINVAL. */
int events_add(struct events *ev, const struct db_event *e);

/* Stored (unsent + selected) and unsent counts of one class (1..3). */
size_t events_count(const struct events *ev, unsigned cls);
size_t events_unsent(const struct events *ev, unsigned cls);

/*
 * Iterate UNSENT events of the classes in mask (bit c for class c) in
 * insertion order.  The iterator stays valid while events are only
 * selected; add/confirm/unselect invalidate it.
 */
struct events_iter {
        uint32_t pos[4];        /* offset from each ring's head */
        unsigned mask;
};
void events_iter_init(const struct events *ev, struct events_iter *it, unsigned mask);
/* Next unsent event (and its class in *ret_cls), or NULL. */
struct ev *events_iter_next(struct events *ev, struct events_iter *it, unsigned *ret_cls);

/* Mark an event (from the iterator) selected by a solicited/unsolicited response. */
void events_select(struct events *ev, struct ev *e, enum ev_state by);
/* Remove the events selected by `by` (their fragment was confirmed). Returns how many. */
size_t events_confirm(struct events *ev, enum ev_state by);
/* Selected by `by` -> unsent again.  Returns how many. */
size_t events_unselect(struct events *ev, enum ev_state by);

bool events_overflow(const struct events *ev);
void events_clear_overflow(struct events *ev);

/*
 * True once each time class cls reaches 80 % of its depth (re-armed when it
 * drops below); the daemon logs a warning.  Also counted in stats.
 */
bool events_take_high_water(struct events *ev, unsigned cls);

const struct events_stats *events_stats(const struct events *ev);
