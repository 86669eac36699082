/* SPDX-License-Identifier: MIT */
/*
 * The gateway core's pass-through of upstream requests (see gw.h, and
 * gw_priv.h): controls, freezes and the select-before-operate holds.
 *
 * Pending requests: each upstream control request and each upstream
 * freeze takes one slot (struct gw_req, with a kind: CONTROL or FREEZE) of
 * a pool allocated by gw_cmd_init(), gw_per_out[kind] slots of each kind
 * for each outstation (a request superseded upstream keeps its slot until
 * its devices answer).  A request sends one master request to each device
 * it concerns and completes upstream when the last of them reports (or at
 * once when none went out); one life cycle serves both kinds, as
 * master_queue.c does downstream.
 *
 * Controls: the objects of a request are grouped per device in order of
 * first appearance, each group is one master control whose callback
 * context is the group.  master_cmd_cb carries no time: results use the
 * latest `now` this core was given (gw_on_*).
 *
 * Freezes: one part per device that owns counters (the devices with
 * mapped counters are listed once by gw_cmd_init()); a part is the master
 * freeze request of that device, its callback context.
 *
 * Select-before-operate: an upstream SELECT that every device answered
 * SUCCESS leaves each outstation a record of the SELECT controls holding
 * its devices (gw_sel); the holds are released (master_dev_select_end) when
 * the outstation reports its selection ended unused, when the upstream
 * SELECT did not come out as a selection, and for devices its OPERATE did
 * not reach (all of them when the OPERATE could not be forwarded).  The
 * OPERATE ends the hold of a device it reaches.  Detaching the outstation
 * (gw_set_outstation) forgets its record: those holds end at their bound.
 */
#include <errno.h>
#include <stdlib.h>

#include "dnp3/app.h"
#include "dnp3/ptype.h"
#include "gateway/gw_priv.h"
#include "gateway/pmap.h"

/* The kinds of pending upstream requests, and the slots of each kind an outstation has. */
enum gw_kind {
        GW_CONTROL,
        GW_FREEZE,
        GW_KINDS
};
static const size_t gw_per_out[GW_KINDS] = { [GW_CONTROL] = 8, [GW_FREEZE] = 2 };

struct gw_req;

/* One control object of an upstream request. */
struct gw_obj {
        uint32_t dev;                   /* GW_NO_DEV: unmapped */
        uint32_t down;
        uint8_t status;
        uint8_t res;                    /* enum master_cmd_res; MAX: not forwarded */
};

/* The objects of one request going to one device. */
struct gw_grp {
        struct gw_req *rq;
        uint32_t dev;
        uint32_t id;                    /* master_dev_control's id, when sent */
        bool sent;
        bool ok;                        /* the device's result: every object SUCCESS */
        uint8_t n;
        uint8_t pos[MASTER_CMD_MAX_OBJS];       /* object positions in the request */
};

/* What a CONTROL request carries: its objects (gw_req.n), grouped per device. */
struct gw_ctl {
        size_t ngrp;
        struct outst_cmd cmd[OUTST_MAX_CMDS];
        struct gw_obj obj[OUTST_MAX_CMDS];
        struct gw_grp grp[OUTST_MAX_CMDS];
};

/* One device's part of an upstream freeze; a FREEZE request carries ncdev of them. */
struct gw_frz_dev {
        struct gw_req *rq;
        uint32_t dev;
        struct master_freeze f;
        uint8_t res;                    /* enum master_cmd_res; MAX: not sent */
        int err;
        bool ok;                        /* master_freeze_result.ok */
        uint16_t iin;
        uint64_t at;
};

/*
 * What every pending upstream request has, whatever its kind: the
 * outstation and token it answers, the device results still due.  Its
 * payload is g->ctl[slot] (CONTROL) or the ncdev parts from
 * g->frz_parts[slot * ncdev] (FREEZE).
 */
struct gw_req {
        struct gw *g;
        uint8_t kind;                   /* enum gw_kind */
        bool used;
        struct outst *o;
        size_t out;
        uint32_t token;
        uint8_t func;
        uint64_t t0;
        size_t n;                       /* objects (CONTROL), device parts (FREEZE) */
        size_t waiting;                 /* device results still due */
        size_t slot;                    /* its payload, in its kind's array */
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

/* ---- pending requests (both kinds) -------------------------------------- */

int gw_cmd_init(struct gw *g)
{
        size_t nctl = g->nout * gw_per_out[GW_CONTROL], nfrz = g->nout * gw_per_out[GW_FREEZE];
        g->nrq = nctl + nfrz;
        g->rq = calloc(g->nrq ? g->nrq : 1, sizeof(*g->rq));
        g->ctl = calloc(nctl ? nctl : 1, sizeof(*g->ctl));
        g->cdev = calloc(g->ndev ? g->ndev : 1, sizeof(*g->cdev));
        for (uint32_t d = 0; g->cdev && d < g->ndev; d++) {
                uint32_t lo, hi;
                pmap_dev_range(g->map, d, DNP_TYPE_CNT, &lo, &hi);
                if (lo < hi)
                        g->cdev[g->ncdev++] = d;
        }
        size_t nparts = nfrz * g->ncdev;
        g->frz_parts = calloc(nparts ? nparts : 1, sizeof(*g->frz_parts));
        g->sel = calloc(g->nout ? g->nout : 1, sizeof(*g->sel));
        if (!g->rq || !g->ctl || !g->cdev || !g->frz_parts || !g->sel)
                return -ENOMEM;
        for (size_t kind = 0, k = 0; kind < GW_KINDS; kind++)
                for (size_t slot = 0; slot < g->nout * gw_per_out[kind]; slot++)
                        g->rq[k++] = (struct gw_req){ .g = g, .kind = (uint8_t)kind, .slot = slot };
        return 0;
}

void gw_cmd_fini(struct gw *g)
{
        free(g->rq);
        free(g->ctl);
        free(g->cdev);
        free(g->frz_parts);
        free(g->sel);
}

static struct gw_ctl *gw_ctl_of(const struct gw_req *rq)
{
        return &rq->g->ctl[rq->slot];
}

static struct gw_frz_dev *gw_parts_of(const struct gw_req *rq)
{
        return &rq->g->frz_parts[rq->slot * rq->g->ncdev];
}

/*
 * A free slot of `kind` among outstation i's own (one busy outstation
 * cannot starve another), taken for the request (token, func) of `now`;
 * NULL when all are in use.
 */
static struct gw_req *gw_req_take(struct gw *g, enum gw_kind kind, size_t i, uint32_t token,
                                  uint8_t func, uint64_t now)
{
        struct gw_req *slots = g->rq;
        for (size_t k = 0; k < (size_t)kind; k++)
                slots += g->nout * gw_per_out[k];
        slots += i * gw_per_out[kind];
        for (size_t k = 0; k < gw_per_out[kind]; k++) {
                struct gw_req *rq = &slots[k];
                if (rq->used)
                        continue;
                *rq = (struct gw_req){ .g = g, .kind = rq->kind, .slot = rq->slot, .used = true,
                                       .o = g->out[i], .out = i, .token = token, .func = func,
                                       .t0 = now };
                return rq;
        }
        return NULL;
}

static void gw_ctl_finish(struct gw_req *rq, bool current, uint64_t now);
static void gw_frz_finish(struct gw_req *rq, bool current, uint64_t now);

/* No device result of rq is due any more: answer upstream (by its kind), free the slot. */
static void gw_req_finish(struct gw_req *rq, uint64_t now)
{
        struct gw *g = rq->g;
        /* The outstation may have been detached or replaced meanwhile. */
        bool current = rq->out < g->nout && g->out[rq->out] == rq->o;
        if (rq->kind == GW_CONTROL)
                gw_ctl_finish(rq, current, now);
        else
                gw_frz_finish(rq, current, now);
        rq->used = false;
}

/* Whether rq still waits for device results (a late one, after it finished, is dropped). */
static bool gw_req_due(const struct gw_req *rq)
{
        return rq->used && rq->waiting > 0;
}

/* A device result of rq is recorded: the last one finishes it. */
static void gw_req_result(struct gw_req *rq, uint64_t now)
{
        if (--rq->waiting == 0)
                gw_req_finish(rq, now);
}

/* ---- control pass-through ---------------------------------------------- */

/* The mode that sends func as it came (SELECT, OPERATE, DIRECT_OPERATE(_NR); not SBO). */
static int gw_mode_of(uint8_t func, enum master_cmd_mode *ret)
{
        for (int m = MASTER_CMD_SELECT; m < MASTER_CMD_MODE_MAX; m++) {
                if (master_cmd_first_func((enum master_cmd_mode)m) == func) {
                        *ret = (enum master_cmd_mode)m;
                        return 0;
                }
        }
        return -EINVAL;
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
static void gw_sel_settle(struct gw *g, const struct gw_req *rq, bool selected, uint64_t now)
{
        struct gw_sel *sel = &g->sel[rq->out];
        const struct gw_ctl *c = gw_ctl_of(rq);
        if (selected)
                gw_sel_release(g, rq->out, now);        /* none left, normally */
        for (size_t j = 0; j < c->ngrp; j++) {
                const struct gw_grp *grp = &c->grp[j];
                if (!grp->ok)
                        continue;
                if (selected && sel->n < OUTST_MAX_CMDS)
                        sel->h[sel->n++] = (struct gw_sel_hold){ .dev = grp->dev, .id = grp->id };
                else if (g->dev[grp->dev])
                        master_dev_select_end(g->dev[grp->dev], grp->id, now);
        }
}

/* The CONTROL request rq is complete (current: its outstation is still attached). */
static void gw_ctl_finish(struct gw_req *rq, bool current, uint64_t now)
{
        struct gw *g = rq->g;
        const struct gw_ctl *c = gw_ctl_of(rq);
        uint8_t st[OUTST_MAX_CMDS];
        uint64_t latency = now > rq->t0 ? now - rq->t0 : 0;
        for (size_t k = 0; k < rq->n; k++) {
                st[k] = c->obj[k].status;
                gw_audit(g, rq->out, rq->func, &c->cmd[k], &c->obj[k], latency);
        }
        /* -ESTALE: superseded */
        int r = current ? outst_cmd_complete(rq->o, rq->token, st, rq->n, now) : -ESTALE;
        /* the session says whether the SELECT came out as a selection (1) */
        if (rq->func == APP_FUNC_SELECT)
                gw_sel_settle(g, rq, r == 1, now);
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
        struct gw_req *rq = grp->rq;
        (void)d;
        if (!gw_req_due(rq))
                return;
        grp->ok = r->ok && r->n == grp->n;
        for (size_t j = 0; j < grp->n; j++) {
                struct gw_obj *ob = &gw_ctl_of(rq)->obj[grp->pos[j]];
                if (j < r->n) {
                        ob->res = r->objs[j].res;
                        ob->status = gw_status_of(&r->objs[j]);
                } else {
                        ob->res = MASTER_CMD_RES_MISSING;
                        ob->status = DNP_CMD_DOWNSTREAM_FAIL;
                }
        }
        gw_req_result(rq, r->at);
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
static bool gw_send_group(struct gw *g, const struct gw_ctl *c, struct gw_grp *grp,
                          enum master_cmd_mode mode, uint64_t now)
{
        struct master_dev *d = g->dev[grp->dev];
        if (!d || master_dev_get_state(d) != MASTER_DEV_ONLINE)
                return false;
        struct master_cmd_obj objs[MASTER_CMD_MAX_OBJS];
        for (size_t j = 0; j < grp->n; j++) {
                const struct gw_obj *ob = &c->obj[grp->pos[j]];
                const struct outst_cmd *cmd = &c->cmd[grp->pos[j]];
                objs[j] = (struct master_cmd_obj){ .group = cmd->group, .var = cmd->var,
                                                   .v = cmd->v };
                objs[j].v.index = ob->down;
        }
        grp->sent = master_dev_control(d, mode, objs, grp->n, gw_cmd_cb, grp, now, &grp->id) == 0;
        return grp->sent;
}

/*
 * A (matched) OPERATE of outstation i came, forwarded as rq or not at all
 * (rq NULL): it uses the selection up.  It ends the hold of each device it
 * reached itself; every other device is released.
 */
static void gw_sel_operated(struct gw *g, size_t i, const struct gw_req *rq, uint64_t now)
{
        struct gw_sel *sel = &g->sel[i];
        const struct gw_ctl *c = rq ? gw_ctl_of(rq) : NULL;
        size_t keep = 0;
        for (size_t k = 0; k < sel->n; k++) {
                bool reached = false;
                for (size_t j = 0; c && j < c->ngrp && !reached; j++)
                        reached = c->grp[j].dev == sel->h[k].dev && c->grp[j].sent;
                if (!reached)
                        sel->h[keep++] = sel->h[k];
        }
        sel->n = keep;
        gw_sel_release(g, i, now);
}

void gw_sel_forget(struct gw *g, size_t i)
{
        g->sel[i].n = 0;
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
static struct gw_req *gw_forward(struct gw *g, size_t i, uint32_t token, uint8_t func,
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
        struct gw_req *rq = gw_req_take(g, GW_CONTROL, i, token, func, now);
        if (!rq) {
                gw_answer_now(g, i, o, token, func, cmds, n, DNP_CMD_DOWNSTREAM_FAIL, now);
                return NULL;
        }
        struct gw_ctl *c = gw_ctl_of(rq);
        rq->n = n;
        c->ngrp = 0;
        for (size_t k = 0; k < n; k++) {
                struct gw_obj *ob = &c->obj[k];
                c->cmd[k] = cmds[k];
                *ob = (struct gw_obj){ .dev = GW_NO_DEV, .res = MASTER_CMD_RES_MAX,
                                       .status = DNP_CMD_NOT_SUPPORTED };
                if (pmap_up(g->map, gw_cmd_type(&cmds[k]), cmds[k].v.index, &ob->dev,
                            &ob->down) < 0) {
                        ob->dev = GW_NO_DEV;
                        continue;
                }
                struct gw_grp *grp = NULL;
                for (size_t j = 0; j < c->ngrp; j++)
                        if (c->grp[j].dev == ob->dev)
                                grp = &c->grp[j];
                if (!grp) {
                        grp = &c->grp[c->ngrp++];
                        *grp = (struct gw_grp){ .rq = rq, .dev = ob->dev };
                }
                if (grp->n == MASTER_CMD_MAX_OBJS) {
                        ob->status = DNP_CMD_TOO_MANY_OBJS;
                        continue;
                }
                ob->status = DNP_CMD_DOWNSTREAM_FAIL;   /* until the device says otherwise */
                grp->pos[grp->n++] = (uint8_t)k;
        }
        /* Count first: no result comes from inside master_dev_control(). */
        for (size_t j = 0; j < c->ngrp; j++)
                if (gw_send_group(g, c, &c->grp[j], mode, now))
                        rq->waiting++;
        return rq;
}

void gw_on_command(struct gw *g, size_t i, uint32_t token, uint8_t func,
                   const struct outst_cmd *cmds, size_t n, uint64_t now)
{
        if (i >= g->nout)
                return;
        struct gw_req *rq = gw_forward(g, i, token, func, cmds, n, now);
        /* every OPERATE, forwarded or not, ends the holds it does not use */
        if (func == APP_FUNC_OPERATE)
                gw_sel_operated(g, i, rq, now);
        if (rq && rq->waiting == 0)
                gw_req_finish(rq, now);
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

static void gw_frz_audit(struct gw *g, const struct gw_req *rq, const struct gw_frz_dev *pd,
                         uint16_t up_iin)
{
        if (up_iin)
                g->st.freeze_devices_failed++;
        if (!g->cb.on_freeze_audit)
                return;
        const struct gw_freeze_audit a = {
                .outstation = rq->out,
                .func = rq->func,
                .dev = pd ? pd->dev : GW_NO_DEV,
                .f = pd ? &pd->f : NULL,
                .res = pd ? pd->res : MASTER_CMD_RES_MAX,
                .err = pd ? pd->err : -EBUSY,
                .iin = pd ? pd->iin : 0,
                .up_iin = up_iin,
                .latency_ms = pd && pd->at > rq->t0 ? pd->at - rq->t0 : 0,
        };
        g->cb.on_freeze_audit(g->cb.ctx, &a);
}

/* The FREEZE request rq is complete (current: its outstation is still attached). */
static void gw_frz_finish(struct gw_req *rq, bool current, uint64_t now)
{
        const struct gw_frz_dev *part = gw_parts_of(rq);
        uint16_t iin = 0;
        for (size_t k = 0; k < rq->n; k++) {
                uint16_t up = gw_frz_up_iin(&part[k]);
                iin |= up;
                gw_frz_audit(rq->g, rq, &part[k], up);
        }
        if (current)
                (void)outst_freeze_complete(rq->o, rq->token, iin, now);        /* -ESTALE: superseded */
}

static void gw_frz_cb(void *ctx, struct master_dev *d, const struct master_freeze_result *r)
{
        struct gw_frz_dev *pd = ctx;
        struct gw_req *rq = pd->rq;
        if (!gw_req_due(rq))
                return;
        pd->res = r->res;
        pd->iin = r->iin;
        pd->ok = r->ok;
        pd->at = r->at;
        /* the device froze: read its counters and frozen counters again */
        if (r->ok)
                master_dev_demand(d, MASTER_TASK_INTEGRITY, r->at);
        gw_req_result(rq, r->at);
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

void gw_on_freeze(struct gw *g, size_t i, uint32_t token, const struct outst_freeze *f,
                  uint64_t now)
{
        if (i >= g->nout || !g->out[i])
                return;         /* nothing to answer to; the session times out */
        g->st.freezes++;
        struct gw_req *rq = gw_req_take(g, GW_FREEZE, i, token, f->func, now);
        if (!rq) {
                const struct gw_req busy = { .g = g, .kind = GW_FREEZE, .out = i, .func = f->func,
                                             .t0 = now };
                gw_frz_audit(g, &busy, NULL, APP_IIN_PARAMETER_ERROR);
                (void)outst_freeze_complete(g->out[i], token, APP_IIN_PARAMETER_ERROR, now);
                return;
        }
        struct gw_frz_dev *part = gw_parts_of(rq);
        for (size_t k = 0; k < g->ncdev; k++) {
                struct gw_frz_dev *pd = &part[rq->n];
                *pd = (struct gw_frz_dev){
                        .rq = rq, .dev = g->cdev[k], .res = MASTER_CMD_RES_MAX, .at = now,
                        .f = { .func = f->func, .time = f->time, .interval_ms = f->interval_ms },
                };
                pd->err = gw_frz_ranges(g, pd->dev, f, &pd->f);
                if (pd->err == 0 && pd->f.n == 0)
                        continue;       /* none of its counters named */
                rq->n++;
        }
        /* Count first: no result comes from inside master_dev_freeze(). */
        for (size_t k = 0; k < rq->n; k++) {
                struct gw_frz_dev *pd = &part[k];
                struct master_dev *d = g->dev[pd->dev];
                uint32_t id;
                if (pd->err == 0)
                        pd->err = d ? master_dev_freeze(d, &pd->f, gw_frz_cb, pd, now, &id)
                                    : -ENOTCONN;
                if (pd->err == 0)
                        rq->waiting++;
        }
        if (rq->waiting == 0)
                gw_req_finish(rq, now);
}
