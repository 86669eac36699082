/* SPDX-License-Identifier: MIT */
/* The point-type table (see ptype.h).  Sans-I/O, no allocation. */
#include "ptype.h"

#include <string.h>

const struct dnp_ptype dnp_ptypes[DNP_PTYPE_COUNT] = {
#define X(t, k, a, sg, eg, sv, ev, c, db, cg, f5, f6)                                           \
        [DNP_PTYPE_ORD_##t] = { .type = DNP_TYPE_##t, .key = (k), .abbr = (a), .sgroup = (sg),  \
                                .egroup = (eg), .svar = (sv), .evar = (ev), .cls = (c),         \
                                .deadband = (db), .output = (cg) != 0, .cmd_group = (cg),       \
                                .flag_names = { (f5), (f6) } },
        DNP_PTYPE_LIST(X)
#undef X
};

const uint8_t dnp_ptype_ord[DNP_TYPE_MAX] = {
#define X(t, ...) [DNP_TYPE_##t] = DNP_PTYPE_ORD_##t + 1,
        DNP_PTYPE_LIST(X)
#undef X
};

const struct dnp_ptype *dnp_ptype_by_group(uint8_t group, enum dnp_ptype_role *ret_role)
{
        DNP_PTYPE_FOREACH(p) {
                enum dnp_ptype_role role;
                if (p->sgroup == group)
                        role = DNP_PTYPE_STATIC;
                else if (p->egroup == group)
                        role = DNP_PTYPE_EVENT;
                else if (p->output && p->cmd_group == group)
                        role = DNP_PTYPE_COMMAND;
                else
                        continue;
                if (ret_role)
                        *ret_role = role;
                return p;
        }
        return NULL;
}

const struct dnp_ptype *dnp_ptype_by_key(const char *key)
{
        DNP_PTYPE_FOREACH(p)
                if (strcmp(p->key, key) == 0)
                        return p;
        return NULL;
}

const struct dnp_ptype *dnp_ptype_by_abbr(const char *abbr)
{
        DNP_PTYPE_FOREACH(p)
                if (strcmp(p->abbr, abbr) == 0)
                        return p;
        return NULL;
}

bool dnp_ptype_var_ok(const struct dnp_ptype *p, bool event, uint8_t var)
{
        const struct obj_desc *d = obj_lookup(event ? p->egroup : p->sgroup, var);
        return var != 0 && d && d->fmt != OBJ_FMT_NONE;
}

const char *dnp_ptype_flag_name(enum dnp_type t, unsigned b)
{
        static const char *const common[] = { "ONLINE", "RESTART", "COMM_LOST",
                                              "REMOTE_FORCED", "LOCAL_FORCED" };
        const struct dnp_ptype *p = dnp_ptype(t);
        if (b < 5)
                return common[b];
        if (!p || b > 6 || (dnp_value_state_mask(t) & (1u << b)))
                return NULL;
        return p->flag_names[b - 5];
}
