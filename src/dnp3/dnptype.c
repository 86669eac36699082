/* SPDX-License-Identifier: MIT */
/*
 * enum dnp_type: names, the kind of value each type carries, and access to
 * the value of a point held in struct dnp_value (obj.h); the names of the
 * double-bit states.  Sans-I/O.
 */
#include "obj.h"

#include "names.h"

#define DNP_TYPE_NAME(name, str, val) [DNP_TYPE_##name] = str,
NAMES_DEFINE(dnp_type_name, enum dnp_type, DNP_TYPE_LIST, DNP_TYPE_NAME)

NAMES_DEFINE(dnp_dbit_name, uint8_t, DNP_DBIT_LIST, NAMES_BY_CODE)

static const uint8_t dnp_type_values[DNP_TYPE_MAX] = {
#define X(name, str, val) [DNP_TYPE_##name] = DNP_VAL_##val,
        DNP_TYPE_LIST(X)
#undef X
};

enum dnp_val dnp_type_value(enum dnp_type t)
{
        return (unsigned)t < DNP_TYPE_MAX ? (enum dnp_val)dnp_type_values[t] : DNP_VAL_NONE;
}

double dnp_value_get(enum dnp_type t, const struct dnp_value *v)
{
        switch (dnp_type_value(t)) {
        case DNP_VAL_BIT:
                return v->v.bit ? 1.0 : 0.0;
        case DNP_VAL_DBIT:
                return (double)(v->v.dbit & 3);
        case DNP_VAL_COUNT:
                return (double)v->v.count;
        case DNP_VAL_ANALOG:
                return v->v.analog;
        default:
                return 0.0;
        }
}

void dnp_value_set(enum dnp_type t, double x, struct dnp_value *v)
{
        switch (dnp_type_value(t)) {
        case DNP_VAL_BIT:
                v->v.bit = x != 0.0;
                break;
        case DNP_VAL_DBIT:
                v->v.dbit = (uint8_t)x;
                break;
        case DNP_VAL_COUNT:
                v->v.count = (uint32_t)x;
                break;
        case DNP_VAL_ANALOG:
                v->v.analog = x;
                break;
        default:
                break;
        }
}

uint8_t dnp_value_state_mask(enum dnp_type t)
{
        switch (dnp_type_value(t)) {
        case DNP_VAL_BIT:
                return DNP_FLAG_STATE;
        case DNP_VAL_DBIT:
                return 0xc0;
        default:
                return 0;
        }
}

uint8_t dnp_value_state_flags(enum dnp_type t, const struct dnp_value *v)
{
        uint8_t keep = (uint8_t)(v->flags & ~dnp_value_state_mask(t));
        switch (dnp_type_value(t)) {
        case DNP_VAL_BIT:
                return (uint8_t)(keep | (v->v.bit ? DNP_FLAG_STATE : 0));
        case DNP_VAL_DBIT:
                return (uint8_t)(keep | (v->v.dbit & 3) << 6);
        default:
                return v->flags;
        }
}
