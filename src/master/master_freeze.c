/* SPDX-License-Identifier: MIT */
/*
 * The freeze requests of a device's queue (master_dev_freeze in
 * master_dev.h): validation, the request (master_req.c builds it), the
 * answer and the result.  The FREEZE task sends one request per freeze;
 * the slots and their life cycle are master_queue.c's.
 */
#include <errno.h>

#include "master/master_priv.h"

/*
 * Report the result; the slot takes its final state first (the callback may
 * queue again).  valid: with res OK, the answer parsed (and ended the
 * transaction); a device that answered otherwise did, but froze nothing we
 * can tell.
 */
static void freeze_report(struct master_dev *d, struct master_rq *rq, enum master_cmd_res res,
                          bool valid, uint64_t now, enum master_rq_state final)
{
        const struct master_frz *z = master_queue_frz(&d->queue, rq);
        struct master_freeze_result r = {
                .id = rq->id,
                .func = z->f.func,
                .res = (uint8_t)res,
                .iin = res == MASTER_CMD_RES_OK ? z->iin : 0,
                .at = now,
        };
        r.ok = res == MASTER_CMD_RES_SENT ||
               (res == MASTER_CMD_RES_OK && valid &&
                !(r.iin & (APP_IIN_NO_FUNC_CODE_SUPPORT | APP_IIN_OBJECT_UNKNOWN |
                           APP_IIN_PARAMETER_ERROR)));
        master_freeze_cb cb = z->cb;
        void *cb_ctx = z->cb_ctx;
        rq->state = (uint8_t)final;
        d->stats.freezes++;
        if (cb)
                cb(cb_ctx, d, &r);
}

void master_freeze_fail(struct master_dev *d, struct master_rq *rq, enum master_cmd_res res,
                        uint64_t now, enum master_rq_state final)
{
        freeze_report(d, rq, res, false, now, final);
}

int master_freeze_submit(struct master_dev *d, const struct master_freeze *f,
                         master_freeze_cb cb, void *cb_ctx, uint64_t now, uint32_t *ret_id)
{
        if (master_req_freeze_check(f) < 0)
                return -EINVAL;
        struct master_rq *rq;
        int r = master_queue_slot(d, MASTER_TASK_FREEZE, &rq);
        if (r < 0)
                return r;
        *master_queue_frz(&d->queue, rq) = (struct master_frz){
                .f = *f,
                .cb = cb,
                .cb_ctx = cb_ctx,
        };
        master_queue_push(d, rq, now, ret_id);
        return 0;
}

int master_freeze_build(struct master_dev *d, struct master_rq *rq, uint8_t seq, uint64_t now,
                        uint8_t *ret_func, size_t *ret_len)
{
        struct master_frz *z = master_queue_frz(&d->queue, rq);
        int r = master_req_freeze(d->req, sizeof(d->req), seq, &z->f, ret_len);
        if (r < 0) {
                /* checked when queued, and d->req holds MASTER_FREEZE_REQ_MAX: not sent */
                freeze_report(d, rq, MASTER_CMD_RES_TIMEOUT, false, now, MASTER_RQ_FREE);
                return r;
        }
        rq->state = MASTER_RQ_ACTIVE;
        z->answered = false;
        *ret_func = z->f.func;
        return 0;
}

void master_freeze_on_response(struct master_dev *d, uint16_t iin)
{
        struct master_rq *rq = master_queue_active(&d->queue, MASTER_TASK_FREEZE);
        if (!rq)
                return;
        struct master_frz *z = master_queue_frz(&d->queue, rq);
        z->iin = iin;
        z->answered = true;
}

void master_freeze_done(struct master_dev *d, const struct master_txn *t, bool ok, uint64_t now)
{
        struct master_rq *rq = master_queue_ended(&d->queue, MASTER_TASK_FREEZE);
        if (!rq)
                return;
        enum master_cmd_res res;
        if (!t->expect_rsp)
                res = ok ? MASTER_CMD_RES_SENT : MASTER_CMD_RES_TIMEOUT;
        else
                res = master_queue_frz(&d->queue, rq)->answered ? MASTER_CMD_RES_OK
                                                                : MASTER_CMD_RES_TIMEOUT;
        freeze_report(d, rq, res, ok, now, MASTER_RQ_FREE);
}
