/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/gateway: the structure behind the opaque struct gw, and
 * the calls between gw.c (setup, event replay, quality, lookups) and
 * gw_cmd.c (the pending upstream requests: control and freeze pass-through,
 * select-before-operate holds).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "gateway/gw.h"

struct pmap;
struct gw_req;
struct gw_ctl;
struct gw_frz_dev;
struct gw_sel;

struct gw {
        struct pmap *map;
        size_t ndev;
        size_t nout;
        struct outst **out;
        struct master_dev **dev;
        struct gw_callbacks cb;
        int64_t wall_offset;
        struct gw_req *rq;              /* every CONTROL slot, then every FREEZE slot */
        size_t nrq;
        struct gw_ctl *ctl;             /* the CONTROL slots' payloads */
        uint32_t *cdev;                 /* devices with mapped counters */
        size_t ncdev;
        struct gw_frz_dev *frz_parts;   /* the FREEZE slots' payloads, ncdev each */
        struct gw_sel *sel;             /* one per outstation */
        struct gw_stats st;
};

/* gw_cmd.c: the request slots of g->nout outstations and the devices with counters (g->map). */
int gw_cmd_init(struct gw *g);          /* 0 or -ENOMEM (gw_cmd_fini frees what it got) */
void gw_cmd_fini(struct gw *g);
/* Forget outstation i's selection (its session goes away): the holds end at their bound. */
void gw_sel_forget(struct gw *g, size_t i);
