/* SPDX-License-Identifier: MIT */
/*
 * Outstation event buffers: one buffer per class (1, 2, 3) with a configured
 * depth, allocated once.  Events keep their insertion order (a global
 * sequence number orders them across classes).
 *
 * Life of an event: UNSENT -> SELECTED (written into a response fragment,
 * solicited or unsolicited) -> removed when that fragment is confirmed
 * (events_confirm), or back to UNSENT when it is not (events_unselect:
 * confirm timeout, new request, connection lost).  Nothing is lost except
 * by overflow.
 *
 * Sources and overflow.  Each event carries a source tag: 1..nsrc (the
 * gateway tags an event with the device it came from), or EVENTS_SRC_NONE.
 * Adding to a full class discards one event: the oldest event of the source
 * holding the most events in that class (of two sources holding equally
 * many, the one whose oldest event is older), so a flooding device loses
 * its own history before a quiet device loses anything.  Untagged events
 * count as one source of their own; with no tags at all (dnp3sim, a plain
 * outstation) this is "discard the oldest".  The discarded event goes
 * whatever its state: a selected one (sent, not yet confirmed) is dropped
 * from its fragment's confirm, which then removes only the others.  Every
 * discard is counted per class and per source and sets the overflow flag
 * (IIN2.3) until events_clear_overflow().
 *
 * Cost: adding, discarding, selecting and confirming a selected prefix take
 * constant time per event, whatever the depth; choosing whose event to
 * discard looks at each source's count once (O(nsrc), only when the class is
 * full).  Memory: depth x sizeof(struct ev) per class plus a few words per
 * source (events_memory()).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outstation/db.h"

#define EVENTS_SRC_NONE 0

enum ev_state {
        EV_UNSENT = 0,
        EV_SEL_SOL,             /* in a solicited response awaiting confirm */
        EV_SEL_UNSOL,           /* in an unsolicited response awaiting confirm */
};

/* One buffered event (40 bytes).  Read-only outside events.c. */
struct ev {
        uint64_t time;          /* 48-bit DNP3 time */
        double value;
        uint32_t seq;           /* insertion order across classes */
        uint32_t prev, next;    /* class order (slot numbers); free list */
        uint32_t snext;         /* the source's next event in this class */
        uint16_t index;         /* point index (an outstation has at most 65536 per type) */
        uint16_t src;           /* source tag, EVENTS_SRC_NONE or 1..nsrc */
        uint8_t type;           /* enum dnp_type */
        uint8_t var;            /* event variation */
        uint8_t flags;
        uint8_t state;          /* enum ev_state */
};

struct events_stats {
        uint64_t added[4];      /* per class, [0] unused */
        uint64_t discarded[4];  /* overflow discards */
        uint64_t confirmed[4];
        uint64_t high_water[4]; /* times the class reached 80 % (see events_take_high_water) */
};

struct events;

/*
 * depth[c] for classes 1..3 (index 0 ignored); 0 = that class keeps
 * nothing.  nsrc: the highest source tag (0 = untagged events only).  NULL
 * on ENOMEM.
 */
struct events *events_new(const uint32_t depth[4], uint16_t nsrc);
void events_free(struct events *ev);
size_t events_memory(const uint32_t depth[4], uint16_t nsrc);

/*
 * Queue e (from db_update) in its class, from source src (a tag above nsrc
 * counts as EVENTS_SRC_NONE).  Returns 1 if an event was discarded to make
 * room (or e itself, in a class of depth 0), 0, -EINVAL (bad class),
 * -ERANGE (index above 65535).
 */
int events_add(struct events *ev, const struct db_event *e, uint16_t src);

/* Stored (unsent + selected) and unsent counts of one class (1..3). */
size_t events_count(const struct events *ev, unsigned cls);
size_t events_unsent(const struct events *ev, unsigned cls);

/* The source tags in use: 1..events_sources(). */
uint16_t events_sources(const struct events *ev);
/* Events of source src stored in class cls, and discarded from it by overflow. */
size_t events_src_count(const struct events *ev, unsigned cls, uint16_t src);
uint64_t events_src_discarded(const struct events *ev, unsigned cls, uint16_t src);

/*
 * Iterate UNSENT events of the classes in mask (bit c for class c) in
 * insertion order.  The iterator stays valid while events are only
 * selected; add/confirm/unselect invalidate it.
 */
struct events_iter {
        uint32_t pos[4];        /* the next slot to look at in each class */
        unsigned mask;
};
void events_iter_init(const struct events *ev, struct events_iter *it, unsigned mask);
/* Next unsent event (and its class in *ret_cls), or NULL. */
struct ev *events_iter_next(struct events *ev, struct events_iter *it, unsigned *ret_cls);

/*
 * Every stored event (unsent and selected) of every class, in insertion
 * (seq) order, to fn with its class: what the durable journal writes when it
 * compacts.  fn must not change the buffers.
 */
void events_walk(const struct events *ev, void (*fn)(void *ctx, const struct ev *e, unsigned cls),
                 void *ctx);

/* Mark an event (from the iterator) selected by a solicited/unsolicited response. */
void events_select(struct events *ev, struct ev *e, enum ev_state by);
/* Remove the events selected by `by` (their fragment was confirmed). Returns how many. */
size_t events_confirm(struct events *ev, enum ev_state by);
/* Selected by `by` -> unsent again.  Returns how many. */
size_t events_unselect(struct events *ev, enum ev_state by);

/*
 * A journal told of every event entering and leaving a class buffer (the
 * daemon's durable event journal).  An event is named by its seq, unique
 * among the stored events.  added: after e is stored in class cls (by
 * events_add; events_restore does not call it).  removed: e leaves class
 * cls, confirmed upstream (events_confirm) or discarded by overflow; called
 * before its slot is reused.  Neither may call back into the buffer.
 */
struct events_journal {
        void (*added)(void *ctx, const struct ev *e, unsigned cls);
        void (*removed)(void *ctx, const struct ev *e, unsigned cls);
        void *ctx;
};

/* Tell j of every event from now on (j is copied); NULL = no journal. */
void events_set_journal(struct events *ev, const struct events_journal *j);

/*
 * Put a saved event back at the back of class cls: e's time, value, index,
 * src, type, var and flags are taken (a src above nsrc counts as
 * EVENTS_SRC_NONE), a new seq is given.  Overflow as events_add (1: an
 * event was discarded, e itself in a class of depth 0).  The journal is
 * told of nothing (neither the addition nor a discard: it snapshots the
 * buffers after restoring).  -EINVAL: bad class.
 */
int events_restore(struct events *ev, const struct ev *e, unsigned cls);

bool events_overflow(const struct events *ev);
void events_clear_overflow(struct events *ev);

/*
 * True once each time class cls reaches 80 % of its depth; the daemon logs a
 * warning.  Hysteresis: the mark is re-armed only when the class drops
 * below 50 % (which also forgets a crossing not yet taken), so a buffer
 * hovering near 80 % warns once.  Each crossing is counted in stats.
 */
bool events_take_high_water(struct events *ev, unsigned cls);

const struct events_stats *events_stats(const struct events *ev);

/*
 * Walk every class and check the internal links and counts against each
 * other: 0, or -EUCLEAN at the first inconsistency.  O(depth); for tests and
 * fuzzers.
 */
int events_check(const struct events *ev);
