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
 *
 * Freezes: each upstream freeze takes one of GW_FRZ_PER_OUT slots of its
 * outstation, with one part per device that owns counters (the devices
 * with mapped counters are listed once by gw_new()); a part is the master
 * freeze request of that device, its callback context.
 * Select-before-operate: an upstream SELECT that every device answered
 * SUCCESS leaves each outstation a record of the SELECT controls holding
 * its devices (gw_sel); the holds are released (master_dev_select_end) when
 * the outstation reports its selection ended unused, when the upstream
 * SELECT did not come out as a selection, and for devices its OPERATE did
 * not reach (all of them when the OPERATE could not be forwarded).  The
 * OPERATE ends the hold of a device it reaches.  Detaching the outstation
 * (gw_set_outstation) forgets its record: those holds end at their bound.
 */
#include "gateway/gw.h"

#include "dnp3/dnptime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/app.h"
#include "dnp3/ptype.h"
#include "gateway/pmap.h"

#define GW_PEND_PER_OUT 8
#define GW_FRZ_PER_OUT 2

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
        uint32_t id;                    /* master_dev_control's id, when sent */
        bool sent;
        bool ok;                        /* the device's result: every object SUCCESS */
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

struct gw_frz;

/* One device's part of an upstream freeze. */
struct gw_frz_dev {
        struct gw_frz *p;
        uint32_t dev;
        struct master_freeze f;
        uint8_t res;                    /* enum master_cmd_res; MAX: not sent */
        int err;
        bool ok;                        /* master_freeze_result.ok */
        uint16_t iin;
        uint64_t at;
};

struct gw_frz {
        struct gw *g;
        bool used;
        struct outst *o;
        size_t out;
        uint32_t token;
        uint8_t func;
        uint64_t t0;
        size_t n;                       /* parts in use */
        size_t waiting;                 /* parts whose result is due */
        struct gw_frz_dev *part;        /* g->ncdev of them */
};

/* The devices an outstation's selection holds: (device, SELECT control id). */
struct gw_sel_hold {
        uint32_t dev;
        uint32_t id;
};

struct gw_sel {
        size_t n;
        struct gw_sel_hold h[OUTST_MAX_CMDS];
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
        uint32_t *cdev;                 /* devices with mapped counters */
        size_t ncdev;
        struct gw_frz *frz;
        size_t nfrz;
        struct gw_frz_dev *frz_parts;   /* nfrz x ncdev */
        struct gw_sel *sel;             /* one per outstation */
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
        g->cdev = calloc(ndev ? ndev : 1, sizeof(*g->cdev));
        for (uint32_t d = 0; g->cdev && d < ndev; d++) {
                uint32_t lo, hi;
                pmap_dev_range(g->map, d, DNP_TYPE_CNT, &lo, &hi);
                if (lo < hi)
                        g->cdev[g->ncdev++] = d;
        }
        g->nfrz = nout * GW_FRZ_PER_OUT;
        g->frz = calloc(g->nfrz ? g->nfrz : 1, sizeof(*g->frz));
        size_t nparts = g->nfrz * g->ncdev;
        g->frz_parts = calloc(nparts ? nparts : 1, sizeof(*g->frz_parts));
        g->sel = calloc(nout ? nout : 1, sizeof(*g->sel));
        if (!g->out || !g->dev || !g->pend || !g->cdev || !g->frz || !g->frz_parts || !g->sel) {
                gw_free(g);
                return -ENOMEM;
        }
        for (size_t i = 0; i < g->npend; i++)
                g->pend[i].g = g;
        for (size_t i = 0; i < g->nfrz; i++) {
                g->frz[i].g = g;
                g->frz[i].part = &g->frz_parts[i * g->ncdev];
        }
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
        free(g->cdev);
        free(g->frz);
        free(g->frz_parts);
        free(g->sel);
        free(g);
}

void gw_set_wall_offset(struct gw *g, int64_t offset_ms)
{
        g->wall_offset = offset_ms;
}

void gw_set_outstation(struct gw *g, size_t i, struct outst *o)
{
        if (i >= g->nout)
                return;
        /*
         * The selection of the session going away is forgotten, not released:
         * this has no `now` for master_dev_select_end(), and the daemon
         * detaches its outstations after freeing its channels on shutdown
         * (daemon_free), when g->dev may point at freed devices.  Those holds
         * end at their own bound (select_hold_ms, the channel's
         * response_timeout in dnp3gwd), or earlier at the device's next control.
         */
        if (g->out[i] != o)
                g->sel[i].n = 0;
        g->out[i] = o;
}

void gw_set_device(struct gw *g, uint32_t dev, struct master_dev *d)
{
        if (dev < g->ndev)
                g->dev[dev] = d;
}

/* ---- event replay ------------------------------------------------------ */

/*
 * A frozen counter's time is its time of freeze.  A static value without a
 * time (g21v1, g21v2...) that leaves value and flags as they are keeps the
 * time the point has (the device's, from a g23 event or g21v5): the
 * reception time would make up a freeze that did not happen.  Otherwise v
 * gets the reception time rx.
 */
static void gw_keep_freeze_time(struct outst *o, struct dnp_value *v, uint64_t rx)
{
        struct dnp_value cur;
        v->time = rx;
        if (db_get(outst_db(o), DNP_TYPE_FCNT, v->index, &cur) == 0 &&
            cur.v.count == v->v.count && cur.flags == v->flags && !(cur.flags & DNP_FLAG_RESTART))
                v->time = cur.time;
}

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
                        if (m->type == DNP_TYPE_FCNT && !m->event && !m->device_time)
                                gw_keep_freeze_time(g->out[i], &v, m->v.time);
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
        DNP_PTYPE_FOREACH(p) {
                enum dnp_type t = p->type;
                uint32_t lo, hi;
                pmap_dev_range(g->map, dev, t, &lo, &hi);
                for (uint32_t down = lo; down < hi; down++) {
                        uint32_t up = pmap_first(g->map, dev, t, down);
                        for (; up != PMAP_NONE; up = pmap_next(g->map, t, up))
                                if (gw_comm_lost(g, dev, t, up, now))
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

/* The point type a control object addresses (BO for g12, AO for g41), NONE for others. */
static enum dnp_type gw_cmd_type(const struct outst_cmd *c)
{
        enum dnp_ptype_role role;
        const struct dnp_ptype *p = dnp_ptype_by_group(c->group, &role);
        return p && role == DNP_PTYPE_COMMAND ? p->type : DNP_TYPE_NONE;
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

/* End the holds of outstation i's selection. */
static void gw_sel_release(struct gw *g, size_t i, uint64_t now)
{
        struct gw_sel *sel = &g->sel[i];
        for (size_t k = 0; k < sel->n; k++)
                if (g->dev[sel->h[k].dev])
                        master_dev_select_end(g->dev[sel->h[k].dev], sel->h[k].id, now);
        sel->n = 0;
}

/*
 * A forwarded SELECT is answered upstream: selected (the session armed a
 * selection: every status SUCCESS, the request still current, not a
 * broadcast), its devices' holds are the outstation's selection; otherwise
 * there is no selection to OPERATE and they end now.
 */
static void gw_sel_settle(struct gw *g, const struct gw_pend *p, bool selected, uint64_t now)
{
        struct gw_sel *sel = &g->sel[p->out];
        if (selected)
                gw_sel_release(g, p->out, now);         /* none left, normally */
        for (size_t j = 0; j < p->ngrp; j++) {
                const struct gw_grp *grp = &p->grp[j];
                if (!grp->ok)
                        continue;
                if (selected && sel->n < OUTST_MAX_CMDS)
                        sel->h[sel->n++] = (struct gw_sel_hold){ .dev = grp->dev, .id = grp->id };
                else if (g->dev[grp->dev])
                        master_dev_select_end(g->dev[grp->dev], grp->id, now);
        }
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
        int r = -ESTALE;
        /* The outstation may have been detached or replaced meanwhile. */
        if (p->out < g->nout && g->out[p->out] == p->o)
                r = outst_cmd_complete(p->o, p->token, st, p->n, now);  /* -ESTALE: superseded */
        /* the session says whether the SELECT came out as a selection (1) */
        if (p->func == APP_FUNC_SELECT)
                gw_sel_settle(g, p, r == 1, now);
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
        grp->ok = r->ok && r->n == grp->n;
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
        grp->sent = master_dev_control(d, mode, objs, grp->n, gw_cmd_cb, grp, now, &grp->id) == 0;
        return grp->sent;
}

/*
 * A (matched) OPERATE of outstation i came, forwarded as p or not at all
 * (p NULL): it uses the selection up.  It ends the hold of each device it
 * reached itself; every other device is released.
 */
static void gw_sel_operated(struct gw *g, size_t i, const struct gw_pend *p, uint64_t now)
{
        struct gw_sel *sel = &g->sel[i];
        size_t keep = 0;
        for (size_t k = 0; k < sel->n; k++) {
                bool reached = false;
                for (size_t j = 0; p && j < p->ngrp && !reached; j++)
                        reached = p->grp[j].dev == sel->h[k].dev && p->grp[j].sent;
                if (!reached)
                        sel->h[keep++] = sel->h[k];
        }
        sel->n = keep;
        gw_sel_release(g, i, now);
}

void gw_on_select_end(struct gw *g, size_t i, uint64_t now)
{
        if (i < g->nout)
                gw_sel_release(g, i, now);
}

/*
 * Forward the controls of outstation i's request: the pending request
 * (its groups sent, none finished yet), or NULL when it was answered at
 * once or cannot be answered.
 */
static struct gw_pend *gw_forward(struct gw *g, size_t i, uint32_t token, uint8_t func,
                                  const struct outst_cmd *cmds, size_t n, uint64_t now)
{
        if (!g->out[i] || n == 0 || n > OUTST_MAX_CMDS)
                return NULL;    /* nothing to answer to; the session times out */
        struct outst *o = g->out[i];
        enum master_cmd_mode mode;
        if (gw_mode_of(func, &mode) < 0) {
                gw_answer_now(g, i, o, token, func, cmds, n, DNP_CMD_NOT_SUPPORTED, now);
                return NULL;
        }
        struct gw_pend *p = gw_pend_get(g, i);
        if (!p) {
                gw_answer_now(g, i, o, token, func, cmds, n, DNP_CMD_DOWNSTREAM_FAIL, now);
                return NULL;
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
        return p;
}

void gw_on_command(struct gw *g, size_t i, uint32_t token, uint8_t func,
                   const struct outst_cmd *cmds, size_t n, uint64_t now)
{
        if (i >= g->nout)
                return;
        struct gw_pend *p = gw_forward(g, i, token, func, cmds, n, now);
        /* every OPERATE, forwarded or not, ends the holds it does not use */
        if (func == APP_FUNC_OPERATE)
                gw_sel_operated(g, i, p, now);
        if (p && p->waiting == 0)
                gw_finish(p, now);
}

/* ---- freeze pass-through -------------------------------------------------- */

/*
 * What a device's part puts into the upstream response: nothing when it is
 * ok (master_freeze_result.ok), IIN2.0 when the device answered IIN2.0,
 * IIN2.2 for every other failure.
 */
static uint16_t gw_frz_up_iin(const struct gw_frz_dev *pd)
{
        if (pd->ok)
                return 0;
        if (pd->res == MASTER_CMD_RES_OK && (pd->iin & APP_IIN_NO_FUNC_CODE_SUPPORT))
                return APP_IIN_NO_FUNC_CODE_SUPPORT;
        return APP_IIN_PARAMETER_ERROR;
}

static void gw_frz_audit(struct gw *g, const struct gw_frz *p, const struct gw_frz_dev *pd,
                         uint16_t up_iin)
{
        if (up_iin)
                g->st.freeze_devices_failed++;
        if (!g->cb.on_freeze_audit)
                return;
        const struct gw_freeze_audit a = {
                .outstation = p->out,
                .func = p->func,
                .dev = pd ? pd->dev : GW_NO_DEV,
                .f = pd ? &pd->f : NULL,
                .res = pd ? pd->res : MASTER_CMD_RES_MAX,
                .err = pd ? pd->err : -EBUSY,
                .iin = pd ? pd->iin : 0,
                .up_iin = up_iin,
                .latency_ms = pd && pd->at > p->t0 ? pd->at - p->t0 : 0,
        };
        g->cb.on_freeze_audit(g->cb.ctx, &a);
}

static void gw_frz_finish(struct gw_frz *p, uint64_t now)
{
        struct gw *g = p->g;
        uint16_t iin = 0;
        for (size_t k = 0; k < p->n; k++) {
                uint16_t up = gw_frz_up_iin(&p->part[k]);
                iin |= up;
                gw_frz_audit(g, p, &p->part[k], up);
        }
        if (p->out < g->nout && g->out[p->out] == p->o)
                (void)outst_freeze_complete(p->o, p->token, iin, now);  /* -ESTALE: superseded */
        p->used = false;
}

static void gw_frz_cb(void *ctx, struct master_dev *d, const struct master_freeze_result *r)
{
        struct gw_frz_dev *pd = ctx;
        struct gw_frz *p = pd->p;
        if (!p->used || p->waiting == 0)
                return;
        pd->res = r->res;
        pd->iin = r->iin;
        pd->ok = r->ok;
        pd->at = r->at;
        /* the device froze: read its counters and frozen counters again */
        if (r->ok)
                master_dev_demand(d, MASTER_TASK_INTEGRITY, r->at);
        if (--p->waiting == 0)
                gw_frz_finish(p, r->at);
}

/*
 * The downstream ranges of dev's counters named by f (upstream indexes):
 * runs of consecutive downstream indexes.  0, or -E2BIG past
 * MASTER_FREEZE_MAX_RANGES.  pd->f.n = 0 when dev has none of them.
 */
static int gw_frz_ranges(const struct gw *g, uint32_t dev, const struct outst_freeze *f,
                         struct master_freeze *mf)
{
        uint32_t lo, hi;
        mf->n = 0;
        pmap_dev_range(g->map, dev, DNP_TYPE_CNT, &lo, &hi);
        for (uint32_t down = lo; down < hi; down++) {
                bool named = false;
                for (uint32_t up = pmap_first(g->map, dev, DNP_TYPE_CNT, down);
                     up != PMAP_NONE && !named; up = pmap_next(g->map, DNP_TYPE_CNT, up))
                        named = outst_freeze_named(f, up);
                if (!named)
                        continue;
                if (mf->n > 0 && mf->r[mf->n - 1].stop + 1u == down) {
                        mf->r[mf->n - 1].stop = (uint16_t)down;
                        continue;
                }
                if (mf->n == MASTER_FREEZE_MAX_RANGES)
                        return -E2BIG;
                mf->r[mf->n++] = (struct master_freeze_range){ .start = (uint16_t)down,
                                                               .stop = (uint16_t)down };
        }
        return 0;
}

static struct gw_frz *gw_frz_get(struct gw *g, size_t i)
{
        for (size_t k = i * GW_FRZ_PER_OUT; k < (i + 1) * GW_FRZ_PER_OUT; k++)
                if (!g->frz[k].used)
                        return &g->frz[k];
        return NULL;
}

void gw_on_freeze(struct gw *g, size_t i, uint32_t token, const struct outst_freeze *f,
                  uint64_t now)
{
        if (i >= g->nout || !g->out[i])
                return;         /* nothing to answer to; the session times out */
        struct outst *o = g->out[i];
        g->st.freezes++;
        struct gw_frz *p = gw_frz_get(g, i);
        if (!p) {
                const struct gw_frz busy = { .g = g, .out = i, .func = f->func, .t0 = now };
                gw_frz_audit(g, &busy, NULL, APP_IIN_PARAMETER_ERROR);
                (void)outst_freeze_complete(o, token, APP_IIN_PARAMETER_ERROR, now);
                return;
        }
        p->used = true;
        p->o = o;
        p->out = i;
        p->token = token;
        p->func = f->func;
        p->t0 = now;
        p->n = 0;
        p->waiting = 0;
        for (size_t k = 0; k < g->ncdev; k++) {
                struct gw_frz_dev *pd = &p->part[p->n];
                *pd = (struct gw_frz_dev){
                        .p = p, .dev = g->cdev[k], .res = MASTER_CMD_RES_MAX, .at = now,
                        .f = { .func = f->func, .time = f->time, .interval_ms = f->interval_ms },
                };
                pd->err = gw_frz_ranges(g, pd->dev, f, &pd->f);
                if (pd->err == 0 && pd->f.n == 0)
                        continue;       /* none of its counters named */
                p->n++;
        }
        /* Count first: no result comes from inside master_dev_freeze(). */
        for (size_t k = 0; k < p->n; k++) {
                struct gw_frz_dev *pd = &p->part[k];
                struct master_dev *d = g->dev[pd->dev];
                uint32_t id;
                if (pd->err == 0)
                        pd->err = d ? master_dev_freeze(d, &pd->f, gw_frz_cb, pd, now, &id)
                                    : -ENOTCONN;
                if (pd->err == 0)
                        p->waiting++;
        }
        if (p->waiting == 0)
                gw_frz_finish(p, now);
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
