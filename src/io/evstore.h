/* SPDX-License-Identifier: MIT */
/*
 * One outstation's event journal on disk (the record format is in
 * outstation/evjournal.h): the file DIR/NAME.events holds an ADD record for
 * every event accepted into the outstation's buffers and a REMOVE record for
 * every event that left them, so that the events not yet confirmed upstream
 * can be put back after a restart, a crash or a power cut.
 *
 * Appends are buffered (evstore_added/evstore_removed only encode into
 * memory) and written with one write() and one fdatasync() by
 * evstore_flush(), which the daemon calls once per event-loop pass (group
 * commit).  Consecutive seqs leaving together share one REMOVE record.
 *
 * Compaction: once the file holds compact_adds ADD records (the daemon
 * passes about twice the outstation's buffer depth), evstore_flush() writes
 * a snapshot instead: a new file DIR/NAME.events.new with an ADD record for
 * every event stored now (cfg.walk hands them over through
 * evstore_snap_add()), fdatasync, rename over NAME.events, fsync of the
 * directory.  The same snapshot follows a restore and ends a degraded spell.
 *
 * Damage, never fatal: evstore_load() replays the file up to its last good
 * record; bytes after it (a torn tail, a bad CRC) are copied to
 * NAME.events.corrupt-YYYYMMDDTHHMMSSZ, a foreign or unreadable file is
 * renamed to that name as a whole (a name already taken gets -1, -2...).
 *
 * Degraded: a write, sync, rename or open that fails puts the store in
 * DEGRADED: nothing more is appended (the events stay in memory only) until
 * evstore_retry() (the daemon calls it every EVSTORE_RETRY_MS) manages a
 * snapshot; from then on it persists again.  A degraded store is never
 * dirty, so it never holds a confirm.
 *
 * Not sans-I/O (files), but no libevent and no clock: time comes in.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "outstation/events.h"
#include "outstation/evjournal.h"

#define EVSTORE_SUFFIX ".events"
#define EVSTORE_RETRY_MS 5000u
/* Below this many ADD records a journal is not compacted (a tiny buffer depth). */
#define EVSTORE_MIN_COMPACT 256u

struct evstore;

struct evstore_cfg {
        const char *dir;            /* the state directory */
        const char *name;           /* the outstation's name: DIR/NAME.events */
        size_t compact_adds;        /* compact when the file holds this many ADD records */
        /* hand every stored event, in seq order, to evstore_snap_add(s, ...) */
        void (*walk)(void *ctx, struct evstore *s);
        void *ctx;
        /* optional: the store got records to flush (it was clean); evstore_flush() is due */
        void (*dirty)(void *dirty_ctx);
        void *dirty_ctx;
};

struct evstore_stats {
        uint64_t flushes;           /* write + fdatasync of appended records */
        uint64_t unsynced_writes;   /* write of REMOVE records only: no fdatasync */
        uint64_t snapshots;         /* compactions (and restores, resumes) */
        uint64_t bytes;             /* written to journal files */
        uint64_t adds, removes;     /* records appended */
        uint64_t failures;          /* write/sync/rename failures */
};

/* What evstore_load() found. */
struct evstore_load {
        size_t bytes;               /* the file's size (0: none) */
        size_t records;             /* good records */
        size_t events;              /* live events handed to the callback */
        enum evj_stop stop;         /* why the replay ended */
        size_t damaged;             /* bytes not replayed (set aside) */
        int err;                    /* reading failed (-errno; the file was set aside) */
        char aside[PATH_MAX];       /* set aside as (a path), "" if nothing was */
        int aside_err;              /* setting aside failed (-errno) */
};

/* A store for cfg (strings copied); no I/O yet.  -ENOMEM, -EINVAL. */
int evstore_new(const struct evstore_cfg *cfg, struct evstore **ret);
/* Write what is buffered (no snapshot), close.  NULL is fine. */
void evstore_free(struct evstore *s);
/* Close and remove the journal file (an outstation removed, persist turned off). */
void evstore_remove(struct evstore *s);

/*
 * Read DIR/NAME.events and hand each event not removed to fn, in the
 * journal's order; damage is set aside (see above) and described in *ret.
 * wall_ms (ms since 1970) names a set-aside file.  0, or -errno when the
 * directory cannot be used (the store is then DEGRADED).  Follow it with a
 * snapshot (evstore_retry()) once the events are back in the buffers.
 */
int evstore_load(struct evstore *s, uint64_t wall_ms,
                 void (*fn)(void *ctx, const struct evj_event *e), void *ctx,
                 struct evstore_load *ret);

/* The journal hooks (events.h, struct events_journal): buffered, written by evstore_flush(). */
void evstore_added(struct evstore *s, const struct ev *e, unsigned cls);
void evstore_removed(struct evstore *s, const struct ev *e, unsigned cls);

/* Records are buffered that evstore_flush() has yet to write. */
bool evstore_dirty(const struct evstore *s);
/*
 * Events accepted that are not on stable storage yet (ADD records buffered,
 * or a snapshot due): what holds the IED's CONFIRM.  REMOVE records alone
 * make the store dirty, never unsynced: an upstream confirm needs no sync (a
 * crash before it reaches the disk repeats those events; it loses none).
 */
bool evstore_unsynced(const struct evstore *s);
/*
 * Write every buffered record: one write(), and one fdatasync() when they
 * hold an ADD (REMOVE records alone are only written), or a snapshot when
 * the file is due for compaction.  0 (also when nothing was
 * buffered, or degraded), -errno when this flush failed (now DEGRADED).
 */
int evstore_flush(struct evstore *s);
/*
 * Write a snapshot now (after a restore, or to end a degraded spell): 0
 * (persisting), -errno (DEGRADED).
 */
int evstore_retry(struct evstore *s);
/* For cfg.walk: one stored event of class cls. */
void evstore_snap_add(struct evstore *s, const struct ev *e, unsigned cls);

bool evstore_degraded(const struct evstore *s);
/* The error that made it degraded (-errno), 0 when persisting. */
int evstore_error(const struct evstore *s);
/* What failed: "write", "fdatasync", "open", ... ("" when persisting). */
const char *evstore_error_op(const struct evstore *s);
/* The journal file's path. */
const char *evstore_path(const struct evstore *s);
/* ADD records in the file, its size in bytes. */
size_t evstore_file_adds(const struct evstore *s);
uint64_t evstore_file_bytes(const struct evstore *s);
const struct evstore_stats *evstore_stats(const struct evstore *s);
/* A new compaction threshold (a reload changed the buffer depth). */
void evstore_set_compact(struct evstore *s, size_t compact_adds);

/* ---- an outstation's journal (evstore_outst.c) ----------------------------------- */

struct outst;

/* What opening an outstation's journal did. */
struct evstore_restore {
        struct evstore_load load;
        int load_err;               /* evstore_load() failed (-errno): nothing was read */
        size_t restored;            /* events put back into the buffers */
        size_t unmapped;            /* dropped: the point is no longer in the outstation */
        size_t invalid;             /* dropped: a type, variation or class it cannot take */
        size_t overflowed;          /* restores that discarded an event (a smaller depth) */
};

/*
 * The journal DIR/NAME.events of outstation o (compacted at compact_adds
 * ADD records): its events are put back into o's buffers in the journal's
 * order (outst_restore_event), a snapshot of the buffers replaces the file,
 * and o's buffers report to it from then on (dirty: see evstore_cfg).  *ret is set whenever the
 * store exists (it may be DEGRADED: see evstore_error()); -ENOMEM, -EINVAL.
 */
int evstore_outst_open(const char *dir, const char *name, size_t compact_adds, struct outst *o,
                       uint64_t wall_ms, void (*dirty)(void *ctx), void *dirty_ctx,
                       struct evstore_restore *ret_rs, struct evstore **ret);
/* Stop o's buffers reporting (before the store is freed or removed). */
void evstore_outst_close(struct outst *o);
