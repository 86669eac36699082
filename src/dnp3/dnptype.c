/* SPDX-License-Identifier: MIT */
/*
 * enum dnp_type: names and the kind of value each type carries (the access
 * to a value by that kind is inline in obj.h); the names of the double-bit
 * states and of the CROB control code fields.  Sans-I/O.
 */
#include "obj.h"

#include <errno.h>

#include "names.h"

#define DNP_TYPE_NAME(name, str, val) [DNP_TYPE_##name] = str,
NAMES_DEFINE(dnp_type_name, enum dnp_type, DNP_TYPE_LIST, DNP_TYPE_NAME)

NAMES_DEFINE(dnp_dbit_name, uint8_t, DNP_DBIT_LIST, NAMES_BY_CODE)
NAMES_DEFINE_FIND(dnp_crob_op_name, unsigned, DNP_CROB_OP_LIST, NAMES_BY_CODE)
NAMES_DEFINE_FIND(dnp_crob_tcc_name, unsigned, DNP_CROB_TCC_LIST, NAMES_BY_CODE)

int dnp_crob_code_from_name(const char *name, uint8_t *ret)
{
        int i = names_index(dnp_crob_op_name_tab, NAMES_COUNT(dnp_crob_op_name_tab), name);
        if (i >= 0) {
                *ret = (uint8_t)i;
                return 0;
        }
        i = names_index(dnp_crob_tcc_name_tab, NAMES_COUNT(dnp_crob_tcc_name_tab), name);
        if (i <= 0)     /* none, or NUL: the operation type NUL above */
                return -EINVAL;
        *ret = (uint8_t)(i << DNP_CROB_TCC_SHIFT | DNP_CROB_OP_PULSE_ON);
        return 0;
}

const uint8_t dnp_type_values[DNP_TYPE_MAX] = {
#define X(name, str, val) [DNP_TYPE_##name] = DNP_VAL_##val,
        DNP_TYPE_LIST(X)
#undef X
};
