/* SPDX-License-Identifier: MIT */
/* Point names (daemon_names.h). */
#include "daemon/daemon_names.h"

#include <inttypes.h>
#include <stdio.h>

#include "dnp3/ptype.h"

char *dnames_point(const struct gw_config *cfg, enum dnp_type t, const struct gw_point_range *r,
                   uint32_t k, char *buf, size_t n)
{
        if (k < r->nnames && r->names[k]) {
                snprintf(buf, n, "%s", r->names[k]);
                return buf;
        }
        const struct gw_channel *ch = &cfg->channels[r->channel];
        const struct dnp_ptype *pt = dnp_ptype(t);
        snprintf(buf, n, "%s/%s:%s%" PRIu32, ch->name, ch->devices[r->device].name,
                 pt ? pt->abbr : "?", r->source_index + k);
        return buf;
}

const struct gw_point_range *dnames_find(const struct gw_config *cfg, enum dnp_type t, uint32_t i,
                                         uint32_t *ret_k)
{
        if (!dnp_ptype_valid(t))
                return NULL;
        const struct gw_point_list *l = &cfg->points[t];
        for (size_t r = 0; r < l->n; r++) {
                if (i >= l->v[r].index && i - l->v[r].index < l->v[r].count) {
                        *ret_k = i - l->v[r].index;
                        return &l->v[r];
                }
        }
        return NULL;
}

char *dnames_index(const struct gw_config *cfg, enum dnp_type t, uint32_t i, char *buf, size_t n)
{
        uint32_t k;
        const struct gw_point_range *r = dnames_find(cfg, t, i, &k);
        return r ? dnames_point(cfg, t, r, k, buf, n) : NULL;
}
