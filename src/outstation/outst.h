/* SPDX-License-Identifier: MIT */
/*
 * Sans-I/O outstation session: one master over one byte stream (a TCP
 * connection).  Owns its link scanner, link session, database and event
 * buffers; all memory is allocated by outst_new().
 *
 *   in:  outst_rx(bytes, now), outst_timer(now), outst_update(...),
 *        outst_cmd_complete(token, statuses), outst_freeze_complete(token, iin),
 *        outst_up/outst_down
 *   out: outst_output()/outst_consumed() (bytes for the socket),
 *        outst_deadline() (when to call outst_timer), callbacks.
 *
 * Back-pressure: a fragment is handed to the link layer only when the
 * previous output was taken entirely; link replies (ACK, LINK_STATUS) are
 * appended when there is room.  `now` is monotonic milliseconds.  The
 * session never reads a clock and never prints, and never changes a value
 * by itself: controls and freezes go to the application.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/lsess.h"
#include "dnp3/obj.h"
#include "outstation/db.h"
#include "outstation/events.h"

#define OUTST_MAX_CMDS 64           /* controls per request handed to the application */
#define OUTST_MAX_READ_ITEMS 256    /* READ object headers / listed indexes per request */

struct outst_unsol_cfg {
        bool enabled;               /* null unsolicited at start, ENABLE/DISABLE accepted */
        unsigned classes;           /* classes that may be enabled: bit c for class c */
        int retries;                /* -1 = forever */
        uint64_t hold_time_ms;      /* gather events this long before sending */
        unsigned hold_count;        /* ... or until this many are queued (0 = 1) */
        unsigned max_events;        /* per unsolicited fragment; 0 = fragment size */
};

struct outst_cfg {
        uint16_t address;
        uint16_t master_address;
        size_t max_fragment;        /* response fragment size (default 2048) */
        size_t max_rx_fragment;     /* request reassembly limit (default 2048) */
        uint64_t keepalive_ms;      /* 0 = off */
        bool link_confirmed;
        uint64_t link_timeout_ms;
        unsigned link_retries;
        uint64_t confirm_timeout_ms;
        uint64_t select_timeout_ms;
        uint64_t cmd_timeout_ms;    /* a deferred control not completed by then -> TIMEOUT,
                                     * a deferred freeze -> IIN2.2 */
        uint64_t need_time_ms;      /* > 0: IIN1.4 this long after the last time sync */
        struct outst_unsol_cfg unsol;
        uint32_t event_depth[4];    /* per class 1..3 */
        uint16_t event_sources;     /* event source tags 1..event_sources (events.h); 0 = none */
        uint32_t points[DNP_TYPE_MAX];  /* database size per point type (ptype.h), at most
                                         * 65536; the other entries are not read */
};

/* One control object of a request, handed to the application. */
struct outst_cmd {
        uint8_t group;              /* 12 or 41 */
        uint8_t var;
        struct dnp_value v;         /* v.index, v.v.crob or v.v.ao */
};

enum outst_time_kind { OUTST_TIME_WRITE, OUTST_TIME_LAN };

/*
 * A freeze request handed to the application: IMMED_FREEZE(_NR),
 * FREEZE_CLEAR(_NR) or FREEZE_AT_TIME(_NR) (with its g50v2 time and
 * interval).  named has one bit per counter index (bit i % 8 of byte i / 8),
 * set for every present counter the request names: all of them for
 * qualifier 0x06, indexes 0..N-1 for the count qualifiers 0x07/0x08 (as a
 * READ takes them), the listed ones for ranges and index lists.  A named
 * counter that is absent sets IIN2.2 and is not in named; the session
 * freezes nothing itself.
 */
struct outst_freeze {
        uint8_t func;
        uint64_t time;              /* FREEZE_AT_TIME: when (ms since 1970) */
        uint32_t interval_ms;       /* FREEZE_AT_TIME: period after that; 0 = once */
        uint32_t count;             /* counters in the database (bits of named) */
        uint32_t n;                 /* bits set in named (at least 1) */
        const uint8_t *named;
};

static inline bool outst_freeze_named(const struct outst_freeze *f, uint32_t i)
{
        return i < f->count && (((unsigned)f->named[i / 8] >> (i % 8)) & 1u) != 0;
}
/* Why a selection (a successful SELECT awaiting its OPERATE) ended unused. */
#define OUTST_SEL_END_LIST(X)                                   \
        X(SUPERSEDED, "another request came instead of the OPERATE") \
        X(EXPIRED, "select_timeout passed")                     \
        X(CLOSED, "the connection closed")

enum outst_sel_end {
#define X(name, str) OUTST_SEL_END_##name,
        OUTST_SEL_END_LIST(X)
#undef X
        OUTST_SEL_END_MAX
};

/* The text of e; NAMES_UNKNOWN (dnp3/names.h) out of range. */
const char *outst_sel_end_name(enum outst_sel_end e);

struct outst_callbacks {
        /*
         * Controls of one request (func SELECT, OPERATE, DIRECT_OPERATE or
         * DIRECT_OPERATE_NR).  The application answers, now or later, with
         * outst_cmd_complete(token, one status per command).  May be NULL:
         * every control then gets NOT_SUPPORTED.
         */
        void (*on_command)(void *ctx, uint32_t token, uint8_t func, const struct outst_cmd *cmds,
                           size_t n);
        /*
         * A freeze request naming at least one present counter.  The
         * application freezes (or forwards) and answers, now or later, with
         * outst_freeze_complete(token, iin).  The _NR functions and
         * broadcasts are completed too, but get no response.  NULL: every
         * freeze is answered IIN2.0 (function not supported).
         */
        void (*on_freeze)(void *ctx, uint32_t token, const struct outst_freeze *f);
        /* The master's time (ms since 1970) as of monotonic time at_mono. */
        void (*on_time_sync)(void *ctx, uint64_t master_time, uint64_t at_mono,
                             enum outst_time_kind kind);
        /* COLD/WARM_RESTART: 0 and *ret_delay_ms, or -ENOTSUP (-> IIN2.0). NULL = unsupported. */
        int (*on_restart)(void *ctx, bool cold, uint32_t *ret_delay_ms);
        /* A frame that is not for this session (diagnostics). */
        void (*on_reject)(void *ctx, enum lsess_match m, uint16_t src, uint16_t dest);
        /*
         * The selection of the last SELECT answered with every status
         * SUCCESS ended without its OPERATE: a request other than the
         * matching OPERATE arrived (a repeated request is not one), its
         * select_timeout passed (a timer of the session's own, so this
         * comes without any traffic), or the connection closed.  Not called
         * when the matching OPERATE uses the selection.  May be NULL (then
         * outst_deadline() arms no timer for the expiry).
         */
        void (*on_select_end)(void *ctx, enum outst_sel_end why);
};

struct outst_stats {
        uint64_t requests;
        uint64_t responses;
        uint64_t unsolicited;
        uint64_t confirm_timeouts;
        uint64_t unsol_timeouts;
        uint64_t duplicates;
        uint64_t rejected_frames[LSESS_MATCH_WRONG_DIR + 1];
        uint64_t bad_requests;      /* answered with IIN2.0/2.1/2.2 */
        uint64_t commands;
        uint64_t cmd_timeouts;
        uint64_t no_select;
        uint64_t select_timeouts;   /* the matching OPERATE came after select_timeout */
        uint64_t freezes;           /* freeze requests handed to the application */
        uint64_t freeze_timeouts;   /* not completed within cmd_timeout_ms (IIN2.2) */
};

struct outst;

/*
 * The implementation table: what an outstation of cfg with the upcalls cb
 * (only which are NULL matters) answers, derived from the tables its
 * request handling uses (outst_impl.c): the function codes of the handler
 * table, the point types that have points (dnp3/ptype.h), their variations
 * in the object catalog (dnp3/obj.h), and the objects and qualifiers each
 * handler takes.  Every request row is answered without IIN2.0, 2.1 or 2.2
 * when the points it names exist.
 */
struct outst_impl {
        uint8_t func;           /* request function code; APP_FUNC_RESPONSE: an object
                                 * that only appears in responses */
        uint8_t group, var;     /* group 0: a function code that takes no object */
        uint32_t quals;         /* request qualifiers, OBJ_QBIT() bits */
        uint32_t rsp_quals;     /* qualifiers of the object in the response; 0: none */
        bool rsp_unsol;         /* also in unsolicited responses (events and their CTO,
                                 * while unsolicited reporting is configured) */
};
typedef void outst_impl_fn(void *ctx, const struct outst_impl *row);
/* Calls fn once per row, in function code order, then group and variation order. */
void outst_impl_foreach(const struct outst_cfg *cfg, const struct outst_callbacks *cb,
                        outst_impl_fn *fn, void *ctx);

/* Validates cfg (-EINVAL), allocates everything; NULL with *ret_err on failure. */
struct outst *outst_new(const struct outst_cfg *cfg, const struct outst_callbacks *cb, void *ctx,
                        uint64_t now, int *ret_err);
void outst_free(struct outst *o);
/* Bytes outst_new() would allocate for cfg. */
size_t outst_memory(const struct outst_cfg *cfg);

/*
 * The session as a session (dnp3/sess.h): what a runner carries over a byte
 * pipe.  outst_update(), outst_cmd_complete() and outst_freeze_complete()
 * wake it; a link whose keep-alives go unanswered is dropped through it.
 */
struct dnp_sess *outst_sess(struct outst *o);

struct db *outst_db(struct outst *o);
struct events *outst_events(struct outst *o);
const struct outst_stats *outst_stats(const struct outst *o);
const struct lsess *outst_lsess(const struct outst *o);

/* A connection came up / went away.  Disconnect loses no event. */
void outst_up(struct outst *o, uint64_t now);
void outst_down(struct outst *o, uint64_t now);

/* Bytes from the peer.  Always takes all of them. */
void outst_rx(struct outst *o, const uint8_t *p, size_t n, uint64_t now);
/* Bytes to send; outst_consumed() once (some of) them are taken. */
size_t outst_output(const struct outst *o, const uint8_t **ret);
void outst_consumed(struct outst *o, size_t n, uint64_t now);

uint64_t outst_deadline(const struct outst *o);
void outst_timer(struct outst *o, uint64_t now);

/* Database update (see db_update); queues the event, may trigger unsolicited. Returns 1/0/-errno. */
int outst_update(struct outst *o, enum dnp_type t, const struct dnp_value *v, enum db_mode mode,
                 uint64_t now);
/*
 * The same, the event tagged with its source (1..cfg.event_sources, e.g.
 * the device it came from): on overflow the source holding the most events
 * of the class loses its oldest (events.h).  outst_update() = source
 * EVENTS_SRC_NONE.
 */
int outst_update_src(struct outst *o, enum dnp_type t, const struct dnp_value *v,
                     enum db_mode mode, uint16_t src, uint64_t now);

/*
 * An event as the durable journal saved it (the data of struct ev, events.h),
 * for outst_restore_event().
 */
struct outst_saved_event {
        uint64_t time;              /* 48-bit DNP3 time, as the IED stamped it */
        double value;               /* struct ev's value (dnp_value_get of the point type) */
        uint16_t index;
        uint16_t src;               /* source tag (events.h); above cfg.event_sources = none */
        uint8_t type;               /* enum dnp_type */
        uint8_t var;                /* event variation */
        uint8_t flags;
        uint8_t cls;                /* 1..3 */
};

/*
 * Tell j of every event entering and leaving the event buffers (events.h,
 * struct events_journal); NULL = none.
 */
void outst_set_events_journal(struct outst *o, const struct events_journal *j);

/*
 * Restore one saved event at the back of its class buffer, in call order
 * (call in the journal's order, before the master connects), with its
 * original value, flags, time, variation and source.  The journal hook is
 * not called.  The database's static values do not change.  Returns 0, 1
 * when an event was discarded to make room (overflow as outst_update: a
 * smaller depth keeps the newest, IIN2.3 is set), -ENOENT when the point
 * (s->type, s->index) is no longer in this outstation (the caller counts it
 * as dropped), -EINVAL for a bad type, class or variation.
 */
int outst_restore_event(struct outst *o, const struct outst_saved_event *s);

/*
 * Complete the deferred controls of token with n statuses (n must equal the
 * command count).  1 when this armed a selection (a SELECT answered with
 * every status SUCCESS, every point present, not a broadcast: its OPERATE
 * can match it, and on_select_end tells when it ends unused), 0 otherwise;
 * -ESTALE if the token is no longer pending (superseded, timed out,
 * connection lost), -EINVAL on a count mismatch.
 */
int outst_cmd_complete(struct outst *o, uint32_t token, const uint8_t *statuses, size_t n,
                       uint64_t now);

/*
 * Complete the deferred freeze of token.  iin: the IIN2 bits the answer
 * carries (only NO_FUNC_CODE_SUPPORT, OBJECT_UNKNOWN and PARAMETER_ERROR
 * are taken).  -ESTALE if the token is no longer pending (superseded,
 * timed out, connection lost).
 */
int outst_freeze_complete(struct outst *o, uint32_t token, uint16_t iin, uint64_t now);

/* Set DEVICE_RESTART (IIN1.7) as after a restart; the master clears it (WRITE g80v1). */
void outst_set_restart(struct outst *o);

/*
 * A new cfg.cmd_timeout_ms (e.g. on a reload that changed how long the
 * devices may take): it applies to the controls and freezes deferred from
 * now on; one already waiting keeps its deadline.
 */
void outst_set_cmd_timeout(struct outst *o, uint64_t ms);

/* Current IIN (without the per-request bits). */
uint16_t outst_iin(const struct outst *o);
/* Unsolicited classes enabled by the master (bit c for class c). */
unsigned outst_unsol_enabled(const struct outst *o);
