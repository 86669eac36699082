/* SPDX-License-Identifier: MIT */
/*
 * Outstation database: the static value of every point of the seven point
 * types (BI, DBI, BO status, CNT, FCNT, AI, AO status), sized once at
 * creation, with per-point default static/event variations, event class and
 * deadband.  No allocation after db_new(), no clock, no I/O.
 *
 * Values live in struct dnp_value form (obj.h): v.bit for BI/BO, v.dbit for
 * DBI, v.count for CNT/FCNT, v.analog for AI/AO; flags and a 48-bit time.
 *
 * Present and absent points.  Indexes run 0..count-1 per type, but a point
 * map may leave holes.  The rule, per point type:
 *  - a type on which db_configure() was never called has every index
 *    0..count-1 present (dnp3sim, tests: a dense database, as before);
 *  - from its first successful db_configure() call on, a type has exactly
 *    the points configured by db_configure() calls; the others are absent
 *    (dnp3gwd configures every mapped range, so the holes of the map are
 *    absent).
 * An absent point has no value, no configuration and produces no event:
 * db_get/db_point_cfg/db_update return -ENOENT for it; the outstation leaves
 * it out of class 0 and "all points" reads and answers a read that names it
 * with IIN2.2.  Costs no memory: absence is a point's static variation 0,
 * which db_configure() never accepts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/obj.h"
#include "dnp3/ptype.h"

enum db_mode {
        DB_DETECT,      /* event only if value/flags changed (deadband for analogs/counters);
                         * a point's first value (never updated before) makes no event */
        DB_FORCE,       /* always an event, stamped with the given time (event replay) */
};

struct db_point_cfg {
        uint8_t static_var;     /* default static variation (var 0 reads, class 0) */
        uint8_t event_var;      /* default event variation */
        uint8_t event_class;    /* 0 = no events, 1..3 */
        double deadband;        /* AI/AO/CNT/FCNT: change must exceed this; 0 = any change */
};

/* An event produced by db_update(), to be queued in class `cls`. */
struct db_event {
        uint8_t type;           /* enum dnp_type */
        uint8_t var;            /* event variation */
        uint8_t cls;            /* 1..3 */
        struct dnp_value v;     /* index, flags, time, value */
};

struct db;

/* counts[t] points of each type t (indexes 0..counts[t]-1); NULL on ENOMEM. */
struct db *db_new(const uint32_t counts[DNP_TYPE_MAX]);
void db_free(struct db *db);

uint32_t db_count(const struct db *db, enum dnp_type t);

/*
 * Configure points first..first+n-1 alike and make them present (the first
 * call on a type makes its other points absent, see above); -ERANGE beyond
 * the count, -EINVAL bad cfg (nothing changed on error).
 */
int db_configure(struct db *db, enum dnp_type t, uint32_t first, uint32_t n,
                 const struct db_point_cfg *cfg);
/* -ERANGE beyond the count, -ENOENT for an absent point, -EINVAL bad type. */
int db_point_cfg(const struct db *db, enum dnp_type t, uint32_t index,
                 struct db_point_cfg *ret);
/* Whether point (t, index) exists (false beyond the count and for a bad type). */
bool db_present(const struct db *db, enum dnp_type t, uint32_t index);

/* Current static value (index, flags, time and value filled); errors as db_point_cfg. */
int db_get(const struct db *db, enum dnp_type t, uint32_t index, struct dnp_value *ret);

/*
 * The time of the update that last changed the point's value or flags (its
 * first value, an event replayed, a changed static value; not a repeat of
 * the same value); 0 = never updated.  Errors as db_point_cfg.
 */
int db_last_change(const struct db *db, enum dnp_type t, uint32_t index, uint64_t *ret);

/*
 * Update point (t, v->index) with v's value, flags and time.  Returns 1 and
 * fills *ret_ev when an event is due (the point has an event class and the
 * mode is DB_FORCE or the change passes detection), 0 when not, -ERANGE for
 * an index beyond the count, -ENOENT for an absent point (nothing changes),
 * -EINVAL for a bad type.  The static value of a present point is updated in
 * every case.
 */
int db_update(struct db *db, enum dnp_type t, const struct dnp_value *v, enum db_mode mode,
              struct db_event *ret_ev);

/* Bytes of memory a database with these counts takes (for the load log). */
size_t db_memory(const uint32_t counts[DNP_TYPE_MAX]);
