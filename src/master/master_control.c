/* SPDX-License-Identifier: MIT */
/*
 * The control requests of a device's queue (master_dev_control in
 * master_dev.h): validation, the SELECT / OPERATE / DIRECT_OPERATE(_NR)
 * request of each step, the check of the echo, select-before-operate in one
 * control (SBO) or in two (the gateway's pass-through, with
 * master_sched.c), and the result.  The requests are built and checked by
 * master_cmd.c; the slots and their life cycle are master_queue.c's.
 */
#include <errno.h>
#include <string.h>

#include "master/master_priv.h"

/*
 * Report the result and give the slot its final state first: FREE, or
 * ABANDONED while its request is still in flight.  The callback may queue a
 * new control, which must not land in a slot that is changed afterwards.
 */
static void control_report(struct master_dev *d, struct master_rq *rq, uint64_t now,
                           enum master_rq_state final)
{
        const struct master_ctl *c = master_queue_ctl(&d->queue, rq);
        struct master_cmd_result res = c->res;
        res.at = now;
        master_cmd_cb cb = c->cb;
        void *cb_ctx = c->cb_ctx;
        res.id = rq->id;
        res.mode = c->mode;
        res.n = c->n;
        res.ok = true;
        for (size_t i = 0; i < res.n; i++) {
                const struct master_cmd_obj_result *o = &res.objs[i];
                if (o->res == MASTER_CMD_RES_SENT)
                        continue;
                if (o->res != MASTER_CMD_RES_OK || o->status != DNP_CMD_SUCCESS)
                        res.ok = false;
        }
        rq->state = (uint8_t)final;
        d->stats.controls++;
        if (cb)
                cb(cb_ctx, d, &res);
}

/* Every object gets result r with status. */
static void control_fill(struct master_ctl *c, enum master_cmd_res r, uint8_t status)
{
        c->res.n = c->n;
        for (size_t i = 0; i < c->n; i++)
                c->res.objs[i] = (struct master_cmd_obj_result){ .res = (uint8_t)r,
                                                                 .status = status };
}

void master_control_fail(struct master_dev *d, struct master_rq *rq, enum master_cmd_res res,
                         uint64_t now, enum master_rq_state final)
{
        control_fill(master_queue_ctl(&d->queue, rq), res, DNP_CMD_DOWNSTREAM_FAIL);
        control_report(d, rq, now, final);
}

int master_control_submit(struct master_dev *d, enum master_cmd_mode mode,
                          const struct master_cmd_obj *objs, size_t n, master_cmd_cb cb,
                          void *cb_ctx, uint64_t now, uint32_t *ret_id)
{
        if ((unsigned)mode >= MASTER_CMD_MODE_MAX || n == 0 || n > MASTER_CMD_MAX_OBJS)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (master_cmd_obj_check(&objs[i]) < 0 || objs[i].v.index > UINT16_MAX)
                        return -EINVAL;
        struct master_rq *rq;
        int r = master_queue_slot(d, MASTER_TASK_CONTROL, &rq);
        if (r < 0)
                return r;
        struct master_ctl *c = master_queue_ctl(&d->queue, rq);
        c->mode = (uint8_t)mode;
        c->step = 0;
        c->sbo = mode == MASTER_CMD_SBO;
        c->n = n;
        memcpy(c->objs, objs, n * sizeof(*objs));
        c->cb = cb;
        c->cb_ctx = cb_ctx;
        c->res = (struct master_cmd_result){ 0 };
        master_queue_push(d, rq, now, ret_id);
        return 0;
}

int master_control_build(struct master_dev *d, struct master_rq *rq, uint8_t seq, uint64_t now,
                         uint8_t *ret_func, size_t *ret_len)
{
        struct master_ctl *c = master_queue_ctl(&d->queue, rq);
        /* an OPERATE whose selection the device lost is selected again */
        if (c->step == 0 && c->mode == MASTER_CMD_OPERATE)
                c->sbo = !master_sched_sel_matches(&d->sched, c);
        uint8_t func = c->step  ? APP_FUNC_OPERATE
                       : c->sbo ? APP_FUNC_SELECT
                                : master_cmd_first_func((enum master_cmd_mode)c->mode);
        int r = master_cmd_build(d->req, sizeof(d->req), seq, func, c->objs, c->n, c->norm,
                                 ret_len);
        if (r < 0) {
                control_fill(c, MASTER_CMD_RES_ECHO_MISMATCH, DNP_CMD_FORMAT_ERROR);
                control_report(d, rq, now, MASTER_RQ_FREE);
                return r;
        }
        rq->state = MASTER_RQ_ACTIVE;
        *ret_func = func;
        return 0;
}

void master_control_on_response(struct master_dev *d, const uint8_t *objs, size_t n,
                                uint16_t iin)
{
        struct master_rq *rq = master_queue_active(&d->queue, MASTER_TASK_CONTROL);
        if (!rq)
                return;
        struct master_ctl *c = master_queue_ctl(&d->queue, rq);
        master_cmd_check_echo(objs, n, c->norm, c->n, &c->res);
        c->res.iin = iin;
}

/* Every object answered OK with status SUCCESS. */
static bool control_all_success(const struct master_ctl *c)
{
        if (c->res.n != c->n)
                return false;
        for (size_t i = 0; i < c->res.n; i++)
                if (c->res.objs[i].res != MASTER_CMD_RES_OK ||
                    c->res.objs[i].status != DNP_CMD_SUCCESS)
                        return false;
        return true;
}

int master_control_done(struct master_dev *d, const struct master_txn *t, bool ok, uint64_t now,
                        uint8_t *ret_func, bool *ret_expect)
{
        struct master_rq *rq = master_queue_ended(&d->queue, MASTER_TASK_CONTROL);
        if (!rq)
                return 0;
        struct master_ctl *c = master_queue_ctl(&d->queue, rq);
        if (!t->expect_rsp) {
                control_fill(c, ok ? MASTER_CMD_RES_SENT : MASTER_CMD_RES_TIMEOUT,
                             ok ? DNP_CMD_SUCCESS : DNP_CMD_DOWNSTREAM_FAIL);
        } else if (!ok && c->res.n != c->n) {
                control_fill(c, MASTER_CMD_RES_TIMEOUT, DNP_CMD_DOWNSTREAM_FAIL);
        } else if (ok && c->mode == MASTER_CMD_SELECT) {
                if (control_all_success(c))
                        master_sched_selected(&d->sched, rq->id, c->objs, c->n,
                                              d->cfg.select_hold_ms, now);
        } else if (ok && c->sbo && c->step == 0) {
                if (control_all_success(c)) {
                        c->step = 1;
                        c->res = (struct master_cmd_result){ 0 };
                        if (master_dev_build(d, MASTER_TASK_CONTROL, now, ret_func, ret_expect) == 0)
                                return 1;
                        return 0;       /* build failure already reported */
                }
                for (size_t i = 0; i < c->res.n; i++)
                        if (c->res.objs[i].res == MASTER_CMD_RES_OK)
                                c->res.objs[i].res = MASTER_CMD_RES_NOT_OPERATED;
        }
        control_report(d, rq, now, MASTER_RQ_FREE);
        return 0;
}
