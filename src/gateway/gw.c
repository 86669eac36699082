/* SPDX-License-Identifier: MIT */
/*
 * The gateway core (see gw.h): event replay, quality propagation and
 * control pass-through over the point map tables of pmap.c.
 *
 * Controls: each upstream request takes one slot of a pool allocated by
 * gw_new() (GW_PEND_PER_OUT slots for each outstation; a request superseded
 * upstream keeps its slot until its devices answer); its objects are grouped per
 * device in order of first appearance, each group is one master control
 * whose callback context is the group.  The request completes when its
 * last group reports.  master_cmd_cb carries no time: results use the
 * latest `now` this core was given (gw_on_*).
 */
#include "gateway/gw.h"

#include "dnp3/dnptime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/app.h"
#include "gateway/pmap.h"

#define GW_PEND_PER_OUT 8

struct gw_pend;

/* One control object of an upstream request. */
struct gw_obj {
        uint32_t dev;                   /* GW_NO_DEV: unmapped */
        uint32_t down;
        uint8_t status;
        uint8_t res;                    /* enum master_cmd_res; MAX: not forwarded */
};

/* The objects of one request going to one device. */
struct gw_grp {
        struct gw_pend *p;
        uint32_t dev;
        uint8_t n;
        uint8_t pos[MASTER_CMD_MAX_OBJS];       /* object positions in the request */
};

struct gw_pend {
        struct gw *g;
        bool used;
        struct outst *o;
        size_t out;
        uint32_t token;
        uint8_t func;
        uint64_t t0;
        size_t n;
        size_t ngrp;
        size_t waiting;                 /* groups whose result is due */
        struct outst_cmd cmd[OUTST_MAX_CMDS];
        struct gw_obj obj[OUTST_MAX_CMDS];
        struct gw_grp grp[OUTST_MAX_CMDS];
};

struct gw {
        struct pmap *map;
        size_t ndev;
        size_t nout;
        struct outst **out;
        struct master_dev **dev;
        struct gw_callbacks cb;
        int64_t wall_offset;
        struct gw_pend *pend;
        size_t npend;
        struct gw_stats st;
};

int gw_new(const struct gw_map_entry *map, size_t n, size_t ndev, size_t nout,
           const struct gw_callbacks *cb, struct gw **ret)
{
        struct gw *g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        int r = pmap_new(map, n, ndev, &g->map);
        if (r < 0) {
                free(g);
                return r;
        }
        g->ndev = ndev;
        g->nout = nout;
        if (cb)
                g->cb = *cb;
        g->npend = nout * GW_PEND_PER_OUT;
        g->out = calloc(nout ? nout : 1, sizeof(*g->out));
        g->dev = calloc(ndev ? ndev : 1, sizeof(*g->dev));
        g->pend = calloc(g->npend ? g->npend : 1, sizeof(*g->pend));
        if (!g->out || !g->dev || !g->pend) {
                gw_free(g);
                return -ENOMEM;
        }
        for (size_t i = 0; i < g->npend; i++)
                g->pend[i].g = g;
        *ret = g;
        return 0;
}

void gw_free(struct gw *g)
{
        if (!g)
                return;
        pmap_free(g->map);
        free(g->out);
        free(g->dev);
        free(g->pend);
        free(g);
}

void gw_set_wall_offset(struct gw *g, int64_t offset_ms)
{
        g->wall_offset = offset_ms;
}

void gw_set_outstation(struct gw *g, size_t i, struct outst *o)
{
        if (i < g->nout)
                g->out[i] = o;
}

void gw_set_device(struct gw *g, uint32_t dev, struct master_dev *d)
{
        if (dev < g->ndev)
                g->dev[dev] = d;
}

/* ---- event replay ------------------------------------------------------ */

void gw_on_meas(struct gw *g, uint32_t dev, const struct master_meas *m, uint64_t now)
{
        uint32_t up = pmap_first(g->map, dev, m->type, m->v.index);
        if (up == PMAP_NONE) {
                g->st.unmapped_values++;
                return;
        }
        enum db_mode mode = m->event ? DB_FORCE : DB_DETECT;
        struct dnp_value v = m->v;
        for (; up != PMAP_NONE; up = pmap_next(g->map, m->type, up)) {
                v.index = up;
                for (size_t i = 0; i < g->nout; i++) {
                        if (!g->out[i])
                                continue;
                        int r = outst_update_src(g->out[i], m->type, &v, mode,
                                                 gw_event_source(dev), now);
                        if (r < 0)
                                continue;
                        if (m->event) {
                                if (r == 1) {
                                        g->st.events_replayed++;
                                        if (!m->device_time)
                                                g->st.events_reception_time++;
                                }
                        } else {
                                g->st.static_updates++;
                                if (r == 1)
                                        g->st.change_events++;
                        }
                }
        }
}

/* ---- quality ----------------------------------------------------------- */

/* COMM_LOST on upstream point (t, up) of device dev, every outstation; whether any changed. */
static bool gw_comm_lost(struct gw *g, uint32_t dev, enum dnp_type t, uint32_t up, uint64_t now)
{
        bool any = false;
        for (size_t i = 0; i < g->nout; i++) {
                struct outst *o = g->out[i];
                struct dnp_value v;
                if (!o || db_get(outst_db(o), t, up, &v) < 0)
                        continue;
                if ((v.flags & DNP_FLAG_COMM_LOST) && !(v.flags & DNP_FLAG_ONLINE))
                        continue;       /* already flagged: no second event */
                v.flags = (uint8_t)((v.flags | DNP_FLAG_COMM_LOST) & ~DNP_FLAG_ONLINE);
                v.time_kind = DNP_TIME_ABS;
                v.time = dnptime_wall(now, g->wall_offset);
                int r = outst_update_src(o, t, &v, DB_FORCE, gw_event_source(dev), now);
                if (r < 0)
                        continue;
                any = true;
                if (r == 1)
                        g->st.quality_events++;
        }
        return any;
}

void gw_on_dev_state(struct gw *g, uint32_t dev, enum master_dev_state s, uint64_t now)
{
        if (s != MASTER_DEV_OFFLINE || dev >= g->ndev)
                return;
        size_t npoints = 0;
        for (int t = DNP_TYPE_BI; t <= DNP_TYPE_AO; t++) {
                uint32_t lo, hi;
                pmap_dev_range(g->map, dev, (enum dnp_type)t, &lo, &hi);
                for (uint32_t down = lo; down < hi; down++) {
                        uint32_t up = pmap_first(g->map, dev, (enum dnp_type)t, down);
                        for (; up != PMAP_NONE; up = pmap_next(g->map, (enum dnp_type)t, up))
                                if (gw_comm_lost(g, dev, (enum dnp_type)t, up, now))
                                        npoints++;
                }
        }
        if (npoints > 0 && g->cb.on_comm_lost)
                g->cb.on_comm_lost(g->cb.ctx, dev, npoints);
}

/* ---- control pass-through ---------------------------------------------- */

static int gw_mode_of(uint8_t func, enum master_cmd_mode *ret)
{
        switch (func) {
        case APP_FUNC_SELECT:
                *ret = MASTER_CMD_SELECT;
                return 0;
        case APP_FUNC_OPERATE:
                *ret = MASTER_CMD_OPERATE;
                return 0;
        case APP_FUNC_DIRECT_OPERATE:
                *ret = MASTER_CMD_DIRECT;
                return 0;
        case APP_FUNC_DIRECT_OPERATE_NR:
                *ret = MASTER_CMD_DIRECT_NR;
                return 0;
        default:
                return -EINVAL;
        }
}

/* The point type a control object addresses: BO for g12, AO for g41. */
static enum dnp_type gw_cmd_type(const struct outst_cmd *c)
{
        return c->group == 12 ? DNP_TYPE_BO : c->group == 41 ? DNP_TYPE_AO : DNP_TYPE_NONE;
}

static void gw_audit(struct gw *g, size_t out, uint8_t func, const struct outst_cmd *c,
                     const struct gw_obj *ob, uint64_t latency)
{
        g->st.controls++;
        if (ob->status != DNP_CMD_SUCCESS)
                g->st.controls_failed++;
        if (!g->cb.on_audit)
                return;
        const struct gw_audit a = {
                .outstation = out,
                .func = func,
                .group = c->group,
                .var = c->var,
                .up_index = c->v.index,
                .dev = ob->dev,
                .down_index = ob->dev == GW_NO_DEV ? 0 : ob->down,
                .v = c->v,
                .status = ob->status,
                .res = ob->res,
                .latency_ms = latency,
        };
        g->cb.on_audit(g->cb.ctx, &a);
}

static void gw_finish(struct gw_pend *p, uint64_t now)
{
        struct gw *g = p->g;
        uint8_t st[OUTST_MAX_CMDS];
        uint64_t latency = now > p->t0 ? now - p->t0 : 0;
        for (size_t k = 0; k < p->n; k++) {
                st[k] = p->obj[k].status;
                gw_audit(g, p->out, p->func, &p->cmd[k], &p->obj[k], latency);
        }
        /* The outstation may have been detached or replaced meanwhile. */
        if (p->out < g->nout && g->out[p->out] == p->o)
                (void)outst_cmd_complete(p->o, p->token, st, p->n, now);  /* -ESTALE: superseded */
        p->used = false;
}

static uint8_t gw_status_of(const struct master_cmd_obj_result *r)
{
        if (r->res == MASTER_CMD_RES_OK)
                return r->status;
        if (r->res == MASTER_CMD_RES_SENT)
                return DNP_CMD_SUCCESS;
        return DNP_CMD_DOWNSTREAM_FAIL;
}

static void gw_cmd_cb(void *ctx, struct master_dev *d, const struct master_cmd_result *r)
{
        struct gw_grp *grp = ctx;
        struct gw_pend *p = grp->p;
        (void)d;
        if (!p->used || p->waiting == 0)
                return;
        for (size_t j = 0; j < grp->n; j++) {
                struct gw_obj *ob = &p->obj[grp->pos[j]];
                if (j < r->n) {
                        ob->res = r->objs[j].res;
                        ob->status = gw_status_of(&r->objs[j]);
                } else {
                        ob->res = MASTER_CMD_RES_MISSING;
                        ob->status = DNP_CMD_DOWNSTREAM_FAIL;
                }
        }
        if (--p->waiting == 0)
                gw_finish(p, r->at);
}

/* A free slot among outstation i's own (one busy outstation cannot starve another). */
static struct gw_pend *gw_pend_get(struct gw *g, size_t i)
{
        for (size_t k = i * GW_PEND_PER_OUT; k < (i + 1) * GW_PEND_PER_OUT; k++)
                if (!g->pend[k].used)
                        return &g->pend[k];
        return NULL;
}

/* Answer at once: unmapped objects NOT_SUPPORTED, the others `status`. */
static void gw_answer_now(struct gw *g, size_t i, struct outst *o, uint32_t token, uint8_t func,
                          const struct outst_cmd *cmds, size_t n, uint8_t status, uint64_t now)
{
        uint8_t st[OUTST_MAX_CMDS];
        for (size_t k = 0; k < n; k++) {
                struct gw_obj ob = { .dev = GW_NO_DEV, .res = MASTER_CMD_RES_MAX };
                if (pmap_up(g->map, gw_cmd_type(&cmds[k]), cmds[k].v.index, &ob.dev,
                            &ob.down) < 0)
                        ob.dev = GW_NO_DEV;
                ob.status = ob.dev == GW_NO_DEV ? DNP_CMD_NOT_SUPPORTED : status;
                st[k] = ob.status;
                gw_audit(g, i, func, &cmds[k], &ob, 0);
        }
        (void)outst_cmd_complete(o, token, st, n, now);
}

/* Send one group to its device; false when it failed at once. */
static bool gw_send_group(struct gw *g, struct gw_pend *p, struct gw_grp *grp,
                          enum master_cmd_mode mode, uint64_t now)
{
        struct master_dev *d = g->dev[grp->dev];
        if (!d || master_dev_get_state(d) != MASTER_DEV_ONLINE)
                return false;
        struct master_cmd_obj objs[MASTER_CMD_MAX_OBJS];
        for (size_t j = 0; j < grp->n; j++) {
                const struct gw_obj *ob = &p->obj[grp->pos[j]];
                const struct outst_cmd *c = &p->cmd[grp->pos[j]];
                objs[j] = (struct master_cmd_obj){ .group = c->group, .var = c->var, .v = c->v };
                objs[j].v.index = ob->down;
        }
        uint32_t id;
        return master_dev_control(d, mode, objs, grp->n, gw_cmd_cb, grp, now, &id) == 0;
}

void gw_on_command(struct gw *g, size_t i, uint32_t token, uint8_t func,
                   const struct outst_cmd *cmds, size_t n, uint64_t now)
{
        if (i >= g->nout || !g->out[i] || n == 0 || n > OUTST_MAX_CMDS)
                return;         /* nothing to answer to; the session times out */
        struct outst *o = g->out[i];
        enum master_cmd_mode mode;
        if (gw_mode_of(func, &mode) < 0) {
                gw_answer_now(g, i, o, token, func, cmds, n, DNP_CMD_NOT_SUPPORTED, now);
                return;
        }
        struct gw_pend *p = gw_pend_get(g, i);
        if (!p) {
                gw_answer_now(g, i, o, token, func, cmds, n, DNP_CMD_DOWNSTREAM_FAIL, now);
                return;
        }
        *p = (struct gw_pend){
                .g = g, .used = true, .o = o, .out = i, .token = token, .func = func,
                .t0 = now, .n = n,
        };
        for (size_t k = 0; k < n; k++) {
                struct gw_obj *ob = &p->obj[k];
                p->cmd[k] = cmds[k];
                *ob = (struct gw_obj){ .dev = GW_NO_DEV, .res = MASTER_CMD_RES_MAX,
                                       .status = DNP_CMD_NOT_SUPPORTED };
                if (pmap_up(g->map, gw_cmd_type(&cmds[k]), cmds[k].v.index, &ob->dev,
                            &ob->down) < 0) {
                        ob->dev = GW_NO_DEV;
                        continue;
                }
                struct gw_grp *grp = NULL;
                for (size_t j = 0; j < p->ngrp; j++)
                        if (p->grp[j].dev == ob->dev)
                                grp = &p->grp[j];
                if (!grp) {
                        grp = &p->grp[p->ngrp++];
                        *grp = (struct gw_grp){ .p = p, .dev = ob->dev };
                }
                if (grp->n == MASTER_CMD_MAX_OBJS) {
                        ob->status = DNP_CMD_TOO_MANY_OBJS;
                        continue;
                }
                ob->status = DNP_CMD_DOWNSTREAM_FAIL;   /* until the device says otherwise */
                grp->pos[grp->n++] = (uint8_t)k;
        }
        /* Count first: no result comes from inside master_dev_control(). */
        for (size_t j = 0; j < p->ngrp; j++)
                if (gw_send_group(g, p, &p->grp[j], mode, now))
                        p->waiting++;
        if (p->waiting == 0)
                gw_finish(p, now);
}

/* ---- lookups ----------------------------------------------------------- */

int gw_map_up(const struct gw *g, enum dnp_type t, uint32_t up_index, uint32_t *ret_dev,
              uint32_t *ret_down)
{
        return pmap_up(g->map, t, up_index, ret_dev, ret_down);
}

size_t gw_map_down(const struct gw *g, uint32_t dev, enum dnp_type t, uint32_t down_index,
                   uint32_t *ret_up, size_t max)
{
        size_t n = 0;
        for (uint32_t up = pmap_first(g->map, dev, t, down_index); up != PMAP_NONE;
             up = pmap_next(g->map, t, up)) {
                if (n < max)
                        ret_up[n] = up;
                n++;
        }
        return n;
}

size_t gw_dev_points(const struct gw *g, uint32_t dev)
{
        return pmap_dev_points(g->map, dev);
}

size_t gw_memory(const struct gw *g)
{
        return pmap_memory(g->map);
}

const struct gw_stats *gw_get_stats(const struct gw *g)
{
        return &g->st;
}
