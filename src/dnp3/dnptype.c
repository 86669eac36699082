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

const uint8_t dnp_type_values[DNP_TYPE_MAX] = {
#define X(name, str, val) [DNP_TYPE_##name] = DNP_VAL_##val,
        DNP_TYPE_LIST(X)
#undef X
};
