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

/* X(type, static group, event group, default static var, default event var) */
#define DB_TYPE_LIST(X)                 \
        X(BI, 1, 2, 2, 2)               \
        X(DBI, 3, 4, 2, 2)              \
        X(BO, 10, 11, 2, 2)             \
        X(CNT, 20, 22, 1, 5)            \
        X(FCNT, 21, 23, 1, 5)           \
        X(AI, 30, 32, 5, 7)             \
        X(AO, 40, 42, 3, 7)

static const struct db_type_info {
        uint8_t sgroup, egroup, svar, evar;
} db_types[DNP_TYPE_MAX] = {
#define X(t, sg, eg, sv, ev) [DNP_TYPE_##t] = { .sgroup = (sg), .egroup = (eg), .svar = (sv), .evar = (ev) },
        DB_TYPE_LIST(X)
#undef X
};

uint8_t db_default_static_var(enum dnp_type t)
{
        return db_type_valid(t) ? db_types[t].svar : 0;
}

uint8_t db_default_event_var(enum dnp_type t)
{
        return db_type_valid(t) ? db_types[t].evar : 0;
}

uint8_t db_static_group(enum dnp_type t)
{
        return db_type_valid(t) ? db_types[t].sgroup : 0;
}

uint8_t db_event_group(enum dnp_type t)
{
        return db_type_valid(t) ? db_types[t].egroup : 0;
}

enum dnp_type db_type_of_group(uint8_t group, bool *ret_event)
{
        for (int t = DNP_TYPE_BI; t <= DNP_TYPE_AO; t++) {
                if (db_types[t].sgroup == group || db_types[t].egroup == group) {
                        if (ret_event)
                                *ret_event = db_types[t].egroup == group;
                        return (enum dnp_type)t;
                }
        }
        return DNP_TYPE_NONE;
}

/* Presence is in there: static_var 0 in each record plus sparse[] in struct db. */
size_t db_memory(const uint32_t counts[DNP_TYPE_MAX])
{
        size_t n = sizeof(struct db);
        for (int t = DNP_TYPE_BI; t <= DNP_TYPE_AO; t++)
                n += (size_t)counts[t] * sizeof(struct db_point);
        return n;
}

struct db *db_new(const uint32_t counts[DNP_TYPE_MAX])
{
        struct db *db = calloc(1, sizeof(*db));
        if (!db)
                return NULL;
        for (int t = DNP_TYPE_BI; t <= DNP_TYPE_AO; t++) {
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
                                .static_var = db_types[t].svar,
                                .event_var = db_types[t].evar,
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
        for (int t = 0; t < DNP_TYPE_MAX; t++)
                free(db->pt[t]);
        free(db);
}

uint32_t db_count(const struct db *db, enum dnp_type t)
{
        return db_type_valid(t) ? db->count[t] : 0;
}

static bool db_pt_present(const struct db_point *p)
{
        return p->static_var != 0;
}

/* The record of a present point: 0, or -EINVAL (type), -ERANGE (index), -ENOENT (absent). */
static int db_at(const struct db *db, enum dnp_type t, uint32_t index, struct db_point **ret)
{
        if (!db_type_valid(t))
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

static bool db_var_ok(uint8_t group, uint8_t var)
{
        const struct obj_desc *d = obj_lookup(group, var);
        return var != 0 && d && d->fmt != OBJ_FMT_NONE;
}

int db_configure(struct db *db, enum dnp_type t, uint32_t first, uint32_t n,
                 const struct db_point_cfg *cfg)
{
        if (!db_type_valid(t))
                return -EINVAL;
        if ((uint64_t)first + n > db->count[t])
                return -ERANGE;
        if (cfg->event_class > 3 || !(cfg->deadband >= 0) ||
            !db_var_ok(db_types[t].sgroup, cfg->static_var) ||
            !db_var_ok(db_types[t].egroup, cfg->event_var))
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

static double db_value_of(enum dnp_type t, const struct dnp_value *v)
{
        switch (t) {
        case DNP_TYPE_BI:
        case DNP_TYPE_BO:
                return v->v.bit ? 1.0 : 0.0;
        case DNP_TYPE_DBI:
                return (double)(v->v.dbit & 3);
        case DNP_TYPE_CNT:
        case DNP_TYPE_FCNT:
                return (double)v->v.count;
        default:
                return v->v.analog;
        }
}

void db_value_set(enum dnp_type t, double value, struct dnp_value *v)
{
        switch (t) {
        case DNP_TYPE_BI:
        case DNP_TYPE_BO:
                v->v.bit = value != 0.0;
                break;
        case DNP_TYPE_DBI:
                v->v.dbit = (uint8_t)value;
                break;
        case DNP_TYPE_CNT:
        case DNP_TYPE_FCNT:
                v->v.count = (uint32_t)value;
                break;
        default:
                v->v.analog = value;
                break;
        }
}

/* The state bits the encoder derives from the value live in the value, not the flags. */
static uint8_t db_flags_of(enum dnp_type t, uint8_t flags)
{
        if (t == DNP_TYPE_BI || t == DNP_TYPE_BO)
                return flags & (uint8_t)~DNP_FLAG_STATE;
        if (t == DNP_TYPE_DBI)
                return flags & 0x3f;
        return flags;
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
        db_value_set(t, value, ret);
        /* Keep the state bits of binaries in the flags too (obj.h convention). */
        if ((t == DNP_TYPE_BI || t == DNP_TYPE_BO) && ret->v.bit)
                ret->flags |= DNP_FLAG_STATE;
        else if (t == DNP_TYPE_DBI)
                ret->flags = (uint8_t)(ret->flags | (ret->v.dbit & 3) << 6);
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

        double value = db_value_of(t, v);
        uint8_t flags = db_flags_of(t, v->flags);
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
        } else if (t == DNP_TYPE_AI || t == DNP_TYPE_AO || t == DNP_TYPE_CNT ||
                   t == DNP_TYPE_FCNT) {
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
