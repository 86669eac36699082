/* SPDX-License-Identifier: MIT */
/* Point names (daemon_names.h). */
#include "daemon/daemon_names.h"

#include <inttypes.h>
#include <stdio.h>

#include "dnp3/ptype.h"

char *dnames_point(const struct gw_config *cfg, enum dnp_type t, const struct gw_point_range *r,
                   uint32_t k, char *buf, size_t n)
{
        const struct gw_channel *ch = &cfg->channels[r->channel];
        const struct dnp_ptype *pt = dnp_ptype(t);
        snprintf(buf, n, "%s/%s:%s%" PRIu32, ch->name, ch->devices[r->device].name,
                 pt ? pt->abbr : "?", r->source_index + k);
        return buf;
}
