/* SPDX-License-Identifier: MIT */
/*
 * The names operators see for mapped points: one function, used wherever a
 * point is shown by name (dnp3gwctl points through the control socket, and
 * the control audit records and the device profile).  A points entry's
 * `names` list (dnp3gw.conf(5)) gives them; a point without one is called
 * "<channel>/<device>:<type><source index>", e.g. "bay1/relay1:ai3"
 * (type: the short name of dnp3/ptype.h, as dnp3poll and dnp3sim take it).
 * Pure: no clock, no I/O.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"

/* Longest name written (NUL included): two config names, ':', type and index. */
#define DNAMES_POINT_MAX (2 * GW_NAME_MAX + 24)

/*
 * The name of point k (0 .. r->count - 1, upstream index r->index + k) of
 * the range r of type t in cfg, into buf (n bytes, truncated, always
 * NUL-terminated): its `names` entry, else the default.  Returns buf.
 */
char *dnames_point(const struct gw_config *cfg, enum dnp_type t, const struct gw_point_range *r,
                   uint32_t k, char *buf, size_t n);
/* The range of type t that maps upstream index i (*ret_k: i's offset in it), or NULL. */
const struct gw_point_range *dnames_find(const struct gw_config *cfg, enum dnp_type t, uint32_t i,
                                         uint32_t *ret_k);
/* The name of upstream point i of type t (dnames_point()) into buf, NULL when not mapped. */
char *dnames_index(const struct gw_config *cfg, enum dnp_type t, uint32_t i, char *buf, size_t n);
