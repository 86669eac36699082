/* SPDX-License-Identifier: MIT */
/*
 * The point map tables behind gw.h: dense, allocated once, O(1) both ways.
 *
 *   up:   per point type (by dnp_ptype_index()), one 8-byte slot per upstream
 *         index in [lo, hi]:
 *         (device, downstream index, next upstream index of the same
 *         downstream point: the fan-out chain, ascending);
 *   down: per device and point type, one 4-byte slot per downstream index
 *         in [lo, hi]: the first upstream index mapped to it.
 *
 * Internal to src/gateway (gw.c); no clock, no I/O.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "dnp3/obj.h"
#include "dnp3/ptype.h"

struct gw_map_entry;

#define PMAP_NONE UINT32_MAX
#define PMAP_MAX_DEV 0xfffeu    /* devices are stored in 16 bits */
#define PMAP_NTYPES DNP_PTYPE_COUNT   /* tables per point type, by dnp_ptype_index() */

struct pmap;

/* Validates the map as gw_new() documents; 0, -EINVAL or -ENOMEM. */
int pmap_new(const struct gw_map_entry *map, size_t n, size_t ndev, struct pmap **ret);
void pmap_free(struct pmap *m);

/* Upstream point -> (dev, down): 0 or -ENOENT. */
int pmap_up(const struct pmap *m, enum dnp_type t, uint32_t up, uint32_t *ret_dev,
            uint32_t *ret_down);
/* First upstream index of a downstream point, PMAP_NONE if unmapped. */
uint32_t pmap_first(const struct pmap *m, uint32_t dev, enum dnp_type t, uint32_t down);
/* The next upstream index in the fan-out chain of up's downstream point, or PMAP_NONE. */
uint32_t pmap_next(const struct pmap *m, enum dnp_type t, uint32_t up);
/* The downstream index range [*ret_lo, *ret_hi) of a device's table for t (empty: lo == hi). */
void pmap_dev_range(const struct pmap *m, uint32_t dev, enum dnp_type t, uint32_t *ret_lo,
                    uint32_t *ret_hi);
size_t pmap_dev_points(const struct pmap *m, uint32_t dev);
size_t pmap_memory(const struct pmap *m);
