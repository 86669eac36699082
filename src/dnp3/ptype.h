/* SPDX-License-Identifier: MIT */
/*
 * The point types: everything the gateway knows about each, in one table
 * that the database, the event buffers, the point map, the gateway, the
 * config loader, the master, the trace formatter and the tools derive from.
 * Adding a point type is one row here (plus its objects in obj.c's catalog).
 *
 * X(TYPE, key, abbr, static group, event group, default static variation,
 *   default event variation, default event class, deadband, command group,
 *   flag bit 5 name, flag bit 6 name)
 *
 *   key       its list under `points` in dnp3gw.conf(5)
 *   abbr      its name on the dnp3sim/dnp3poll command line
 *   defaults  as dnp3gw.conf(5) documents them: the variations keep what the
 *             IED reported (time on every event, no precision lost); the
 *             class is 1 for binary and double-bit inputs, 2 for binary and
 *             analog outputs, 3 for analog inputs, counters, frozen counters
 *   deadband  whether a `deadband` applies (analogs and counters)
 *   command   the group of the control objects of an output type (g12 CROB,
 *             g41 analog output block), 0 for inputs
 *   flags     the names of the type-specific quality flag bits 5 and 6
 *             (NULL: reserved); bits 0-4 are common, bit 7 (bits 6-7 for
 *             double-bit) is the state of binaries
 *
 * The rows are in enum dnp_type order; nothing may assume that the point
 * types are contiguous in enum dnp_type: iterate with DNP_PTYPE_FOREACH and
 * index per-type arrays by dnp_ptype_index() or by enum dnp_type.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obj.h"

#define DNP_PTYPE_LIST(X)                                                                       \
        X(BI, "binary_inputs", "bi", 1, 2, 2, 2, 1, false, 0, "CHATTER_FILTER", NULL)           \
        X(DBI, "double_bit_inputs", "dbi", 3, 4, 2, 2, 1, false, 0, "CHATTER_FILTER", NULL)     \
        X(BO, "binary_outputs", "bo", 10, 11, 2, 2, 2, false, 12, NULL, NULL)                   \
        X(CNT, "counters", "cnt", 20, 22, 1, 5, 3, true, 0, "ROLLOVER", "DISCONTINUITY")        \
        X(FCNT, "frozen_counters", "fcnt", 21, 23, 1, 5, 3, true, 0, "ROLLOVER", "DISCONTINUITY") \
        X(AI, "analog_inputs", "ai", 30, 32, 5, 7, 3, true, 0, "OVER_RANGE", "REFERENCE_ERR")   \
        X(AO, "analog_outputs", "ao", 40, 42, 3, 7, 2, true, 41, "OVER_RANGE", "REFERENCE_ERR")

/* Dense ordinals of the point types: 0 .. DNP_PTYPE_COUNT - 1, table order. */
enum {
#define X(t, ...) DNP_PTYPE_ORD_##t,
        DNP_PTYPE_LIST(X)
#undef X
        DNP_PTYPE_COUNT
};

struct dnp_ptype {
        enum dnp_type type;
        const char *key;        /* "binary_inputs" */
        const char *abbr;       /* "bi" */
        uint8_t sgroup;         /* static group, g1 */
        uint8_t egroup;         /* event group, g2 */
        uint8_t svar;           /* default static variation */
        uint8_t evar;           /* default event variation */
        uint8_t cls;            /* default event class, 1..3 */
        bool deadband;          /* a deadband applies */
        bool output;            /* an output: controls go to cmd_group */
        uint8_t cmd_group;      /* g12 / g41 for outputs, 0 for inputs */
        const char *flag_names[2];      /* quality flag bits 5 and 6, NULL: reserved */
};

/* The rows, in table order. */
extern const struct dnp_ptype dnp_ptypes[DNP_PTYPE_COUNT];

#define DNP_PTYPE_FOREACH(p) \
        for (const struct dnp_ptype *p = dnp_ptypes; p < dnp_ptypes + DNP_PTYPE_COUNT; p++)

/* enum dnp_type -> ordinal + 1; 0: not a point type (inline below: per-point hot path). */
extern const uint8_t dnp_ptype_ord[DNP_TYPE_MAX];

/* t's dense ordinal, 0 .. DNP_PTYPE_COUNT - 1; -1 when t is not a point type. */
static inline int dnp_ptype_index(enum dnp_type t)
{
        return (unsigned)t < DNP_TYPE_MAX ? (int)dnp_ptype_ord[t] - 1 : -1;
}

/* The row of point type t, NULL for the other types (and out of range). */
static inline const struct dnp_ptype *dnp_ptype(enum dnp_type t)
{
        int i = dnp_ptype_index(t);
        return i < 0 ? NULL : &dnp_ptypes[i];
}

static inline bool dnp_ptype_valid(enum dnp_type t)
{
        return dnp_ptype(t) != NULL;
}

/* What a group is to its point type. */
enum dnp_ptype_role {
        DNP_PTYPE_STATIC,       /* g1, g3, g10, g20, g21, g30, g40 */
        DNP_PTYPE_EVENT,        /* g2, g4, g11, g22, g23, g32, g42 */
        DNP_PTYPE_COMMAND,      /* g12, g41 */
};
/* The point type whose static, event or command group `group` is (role in *ret_role), or NULL. */
const struct dnp_ptype *dnp_ptype_by_group(uint8_t group, enum dnp_ptype_role *ret_role);
/* By config key ("analog_inputs") and by command-line name ("ai"); NULL if none. */
const struct dnp_ptype *dnp_ptype_by_key(const char *key);
const struct dnp_ptype *dnp_ptype_by_abbr(const char *abbr);

/*
 * Whether var is a variation that can carry p's values in its static
 * (event = false) or event group: every variation of the catalog but 0.
 */
bool dnp_ptype_var_ok(const struct dnp_ptype *p, bool event, uint8_t var);

/*
 * The name of quality flag bit b (0..7) of type t: "ONLINE", "RESTART",
 * "COMM_LOST", "REMOTE_FORCED", "LOCAL_FORCED" for bits 0-4 of every type,
 * the row's names for bits 5 and 6; NULL for a reserved bit or a bit that
 * holds the state of a binary.
 */
const char *dnp_ptype_flag_name(enum dnp_type t, unsigned b);
