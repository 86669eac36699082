/* SPDX-License-Identifier: MIT */
/*
 * Outstation database: one array of compact point records per type,
 * allocated once by db_new().  Change detection compares against the value
 * carried by the last event (so a slow drift still produces an event once it
 * exceeds the deadband).  An absent point is a record with static_var 0
 * (see db.h), so presence costs no memory beyond one flag per type.
 */
#include "outstation/db.h"

#include "dnp3/dnptime.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

struct db_point {
        double value;           /* current value; bits and counts stored exactly */
        double reported;        /* value of the last event: the deadband reference */
        uint64_t time;
        uint64_t changed;       /* time of the value that last changed value or flags */
        float deadband;
        uint8_t flags;
        uint8_t static_var;     /* 0: the point is absent */
        uint8_t event_var;
        uint8_t event_class;
};

struct db {
        uint32_t count[DNP_TYPE_MAX];
        struct db_point *pt[DNP_TYPE_MAX];
        bool sparse[DNP_TYPE_MAX];      /* db_configure() called: only configured points exist */
};

/* Presence is in there: static_var 0 in each record plus sparse[] in struct db. */
size_t db_memory(const uint32_t counts[DNP_TYPE_MAX])
{
        size_t n = sizeof(struct db);
        DNP_PTYPE_FOREACH(p)
                n += (size_t)counts[p->type] * sizeof(struct db_point);
        return n;
}

struct db *db_new(const uint32_t counts[DNP_TYPE_MAX])
{
        struct db *db = calloc(1, sizeof(*db));
        if (!db)
                return NULL;
        DNP_PTYPE_FOREACH(pt) {
                enum dnp_type t = pt->type;
                uint32_t n = counts[t];
                db->count[t] = n;
                if (n == 0)
                        continue;
                db->pt[t] = calloc(n, sizeof(struct db_point));
                if (!db->pt[t]) {
                        db_free(db);
                        return NULL;
                }
                for (uint32_t i = 0; i < n; i++) {
                        db->pt[t][i] = (struct db_point){
                                /* not yet known: RESTART until the first update */
                                .flags = DNP_FLAG_RESTART,
                                .static_var = pt->svar,
                                .event_var = pt->evar,
                                .event_class = 0,
                        };
                }
        }
        return db;
}

void db_free(struct db *db)
{
        if (!db)
                return;
        DNP_PTYPE_FOREACH(p)
                free(db->pt[p->type]);
        free(db);
}

uint32_t db_count(const struct db *db, enum dnp_type t)
{
        return dnp_ptype_valid(t) ? db->count[t] : 0;
}

static bool db_pt_present(const struct db_point *p)
{
        return p->static_var != 0;
}

/* The record of a present point: 0, or -EINVAL (type), -ERANGE (index), -ENOENT (absent). */
static int db_at(const struct db *db, enum dnp_type t, uint32_t index, struct db_point **ret)
{
        if (!dnp_ptype_valid(t))
                return -EINVAL;
        if (index >= db->count[t])
                return -ERANGE;
        struct db_point *p = &db->pt[t][index];
        if (!db_pt_present(p))
                return -ENOENT;
        *ret = p;
        return 0;
}

bool db_present(const struct db *db, enum dnp_type t, uint32_t index)
{
        struct db_point *p;
        return db_at(db, t, index, &p) == 0;
}

int db_configure(struct db *db, enum dnp_type t, uint32_t first, uint32_t n,
                 const struct db_point_cfg *cfg)
{
        const struct dnp_ptype *pt = dnp_ptype(t);
        if (!pt)
                return -EINVAL;
        if ((uint64_t)first + n > db->count[t])
                return -ERANGE;
        if (cfg->event_class > 3 || !(cfg->deadband >= 0) ||
            !dnp_ptype_var_ok(pt, false, cfg->static_var) ||
            !dnp_ptype_var_ok(pt, true, cfg->event_var))
                return -EINVAL;
        if (!db->sparse[t]) {
                /* the first configuration of the type: from now on only configured points exist */
                db->sparse[t] = true;
                for (uint32_t i = 0; i < db->count[t]; i++)
                        db->pt[t][i].static_var = 0;
        }
        for (uint32_t i = first; i < first + n; i++) {
                struct db_point *p = &db->pt[t][i];
                p->static_var = cfg->static_var;
                p->event_var = cfg->event_var;
                p->event_class = cfg->event_class;
                p->deadband = (float)cfg->deadband;
        }
        return 0;
}

int db_point_cfg(const struct db *db, enum dnp_type t, uint32_t index, struct db_point_cfg *ret)
{
        struct db_point *p;
        int r = db_at(db, t, index, &p);
        if (r < 0)
                return r;
        *ret = (struct db_point_cfg){
                .static_var = p->static_var,
                .event_var = p->event_var,
                .event_class = p->event_class,
                .deadband = p->deadband,
        };
        return 0;
}

static void db_make(enum dnp_type t, uint32_t index, const struct db_point *p, double value,
                    struct dnp_value *ret)
{
        *ret = (struct dnp_value){
                .index = index,
                .flags = p->flags,
                .time_kind = DNP_TIME_ABS,
                .time = p->time,
        };
        dnp_value_set(t, value, ret);
        /* Keep the state bits of binaries in the flags too (obj.h convention). */
        ret->flags = dnp_value_state_flags(t, ret);
}

int db_get(const struct db *db, enum dnp_type t, uint32_t index, struct dnp_value *ret)
{
        struct db_point *p;
        int r = db_at(db, t, index, &p);
        if (r < 0)
                return r;
        db_make(t, index, p, p->value, ret);
        return 0;
}

int db_last_change(const struct db *db, enum dnp_type t, uint32_t index, uint64_t *ret)
{
        struct db_point *p;
        int r = db_at(db, t, index, &p);
        if (r < 0)
                return r;
        *ret = p->changed;
        return 0;
}

int db_update(struct db *db, enum dnp_type t, const struct dnp_value *v, enum db_mode mode,
              struct db_event *ret_ev)
{
        struct db_point *p;
        int r = db_at(db, t, v->index, &p);
        if (r < 0)
                return r;
        /* every buffered event must be encodable: a DNP3 time has 48 bits */
        if (v->time > DNPTIME_MAX)
                return -ERANGE;

        double value = dnp_value_get(t, v);
        uint8_t flags = (uint8_t)(v->flags & ~dnp_value_state_mask(t));
        bool changed;
        /*
         * A point never updated (still as created: RESTART, time 0) takes its
         * first value without an event: nothing changed that anyone had seen,
         * and a gateway start would otherwise put one event per point into
         * SCADA's sequence-of-events log.  Events replayed (DB_FORCE) still go.
         */
        bool first = p->flags == DNP_FLAG_RESTART && p->time == 0;

        if (mode == DB_FORCE) {
                changed = true;
        } else if (first) {
                changed = false;
                p->reported = value;
        } else if (flags != p->flags) {
                changed = true;
        } else if (dnp_ptype(t)->deadband) {
                double d = fabs(value - p->reported);
                changed = p->deadband > 0 ? d > (double)p->deadband : value != p->reported;
                /* NaN never equals itself: report a NaN once, not forever */
                if (isnan(value))
                        changed = !isnan(p->reported);
                else if (isnan(p->reported))
                        changed = true;
        } else {
                changed = value != p->value;
        }

        bool differs = first || flags != p->flags ||
                       !(value == p->value || (isnan(value) && isnan(p->value)));
        if (differs || mode == DB_FORCE)
                p->changed = v->time;
        p->value = value;
        p->flags = flags;
        p->time = v->time;

        if (!changed || p->event_class == 0)
                return 0;
        p->reported = value;
        struct db_event ev = {
                .type = (uint8_t)t,
                .var = p->event_var,
                .cls = p->event_class,
        };
        db_make(t, v->index, p, value, &ev.v);
        *ret_ev = ev;
        return 1;
}
