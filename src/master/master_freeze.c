/* SPDX-License-Identifier: MIT */
/*
 * Freeze requests of a device (master_dev_freeze in master_dev.h): a FIFO of
 * slots run by the FREEZE task, one request each, with the control queue's
 * life cycle (QUEUED -> ACTIVE -> FREE, or ABANDONED when control_timeout
 * passes while the request is on the channel: its result was reported, the
 * slot waits for the transaction to end).
 */
#include <errno.h>
#include <string.h>

#include "master/master_priv.h"

static struct master_frz_slot *frz_head(const struct master_dev *d)
{
        struct master_frz_slot *best = NULL;
        for (size_t i = 0; i < d->ncmds; i++) {
                struct master_frz_slot *s = &d->frz[i];
                if (s->state == MASTER_CMD_ACTIVE || s->state == MASTER_CMD_ABANDONED)
                        return s;
                if (s->state == MASTER_CMD_QUEUED && (!best || s->order < best->order))
                        best = s;
        }
        return best;
}

/*
 * Report the result; the slot takes its final state first (the callback may
 * queue again).  valid: with res OK, the answer parsed (and ended the
 * transaction); a device that answered otherwise did, but froze nothing we
 * can tell.
 */
static void frz_finish(struct master_dev *d, struct master_frz_slot *s, enum master_cmd_res res,
                       bool valid, uint64_t now, enum master_cmd_state final)
{
        struct master_freeze_result r = {
                .id = s->id,
                .func = s->f.func,
                .res = (uint8_t)res,
                .iin = res == MASTER_CMD_RES_OK ? s->iin : 0,
                .at = now,
        };
        r.ok = res == MASTER_CMD_RES_SENT ||
               (res == MASTER_CMD_RES_OK && valid &&
                !(r.iin & (APP_IIN_NO_FUNC_CODE_SUPPORT | APP_IIN_OBJECT_UNKNOWN |
                           APP_IIN_PARAMETER_ERROR)));
        master_freeze_cb cb = s->cb;
        void *cb_ctx = s->cb_ctx;
        s->state = (uint8_t)final;
        d->stats.freezes++;
        if (cb)
                cb(cb_ctx, d, &r);
}

int master_dev_freeze(struct master_dev *d, const struct master_freeze *f, master_freeze_cb cb,
                      void *cb_ctx, uint64_t now, uint32_t *ret_id)
{
        if (master_req_freeze_check(f) < 0)
                return -EINVAL;
        if (!d->chan->open || d->state != MASTER_DEV_ONLINE)
                return -ENOTCONN;
        struct master_frz_slot *s = NULL;
        for (size_t i = 0; i < d->ncmds && !s; i++)
                if (d->frz[i].state == MASTER_CMD_FREE)
                        s = &d->frz[i];
        if (!s)
                return -EBUSY;
        *s = (struct master_frz_slot){
                .state = MASTER_CMD_QUEUED,
                .id = ++d->next_cmd_id,
                .order = d->next_cmd_order++,
                .submitted = now,
                .deadline = d->cfg.control_timeout_ms ? now + d->cfg.control_timeout_ms
                                                      : DNP_NEVER,
                .f = *f,
                .cb = cb,
                .cb_ctx = cb_ctx,
        };
        *ret_id = s->id;
        master_chan_work(d->chan);
        return 0;
}

bool master_freeze_queued(const struct master_dev *d, uint64_t *ret_submitted)
{
        const struct master_frz_slot *s = frz_head(d);
        if (!s || s->state != MASTER_CMD_QUEUED)
                return false;
        if (ret_submitted)
                *ret_submitted = s->submitted;
        return true;
}

int master_freeze_build(struct master_dev *d, uint8_t seq, uint64_t now, uint8_t *ret_func,
                        bool *ret_expect, size_t *ret_len)
{
        struct master_frz_slot *s = frz_head(d);
        if (!s || (s->state != MASTER_CMD_QUEUED && s->state != MASTER_CMD_ACTIVE))
                return -ENOENT;
        int r = master_req_freeze(d->req, sizeof(d->req), seq, &s->f, ret_len);
        if (r < 0) {
                /* checked when queued, and d->req holds MASTER_FREEZE_REQ_MAX: not sent */
                frz_finish(d, s, MASTER_CMD_RES_TIMEOUT, false, now, MASTER_CMD_FREE);
                return r;
        }
        s->state = MASTER_CMD_ACTIVE;
        s->answered = false;
        *ret_func = s->f.func;
        *ret_expect = !master_req_freeze_nr(s->f.func);
        return 0;
}

void master_freeze_on_response(struct master_dev *d, uint16_t iin)
{
        struct master_frz_slot *s = frz_head(d);
        if (s && s->state == MASTER_CMD_ACTIVE) {
                s->iin = iin;
                s->answered = true;
        }
}

void master_freeze_txn_done(struct master_dev *d, const struct master_txn *t, bool ok,
                            uint64_t now)
{
        struct master_frz_slot *s = frz_head(d);
        if (!s || s->state == MASTER_CMD_QUEUED)
                return;
        if (s->state == MASTER_CMD_ABANDONED) {
                s->state = MASTER_CMD_FREE;
                return;
        }
        enum master_cmd_res res;
        if (!t->expect_rsp)
                res = ok ? MASTER_CMD_RES_SENT : MASTER_CMD_RES_TIMEOUT;
        else
                res = s->answered ? MASTER_CMD_RES_OK : MASTER_CMD_RES_TIMEOUT;
        frz_finish(d, s, res, ok, now, MASTER_CMD_FREE);
}

uint64_t master_freeze_deadline(const struct master_dev *d)
{
        uint64_t dl = DNP_NEVER;
        for (size_t i = 0; i < d->ncmds; i++) {
                const struct master_frz_slot *s = &d->frz[i];
                if ((s->state == MASTER_CMD_QUEUED || s->state == MASTER_CMD_ACTIVE) &&
                    s->deadline < dl)
                        dl = s->deadline;
        }
        return dl;
}

void master_freeze_timers(struct master_dev *d, uint64_t now)
{
        for (size_t i = 0; i < d->ncmds; i++) {
                struct master_frz_slot *s = &d->frz[i];
                if ((s->state != MASTER_CMD_QUEUED && s->state != MASTER_CMD_ACTIVE) ||
                    s->deadline > now)
                        continue;
                bool active = s->state == MASTER_CMD_ACTIVE;
                frz_finish(d, s, MASTER_CMD_RES_TIMEOUT, false, now,
                           active ? MASTER_CMD_ABANDONED : MASTER_CMD_FREE);
        }
}

void master_freeze_fail_all(struct master_dev *d, uint64_t now)
{
        for (size_t i = 0; i < d->ncmds; i++) {
                struct master_frz_slot *s = &d->frz[i];
                if (s->state == MASTER_CMD_ABANDONED)
                        s->state = MASTER_CMD_FREE;
                else if (s->state == MASTER_CMD_QUEUED || s->state == MASTER_CMD_ACTIVE)
                        frz_finish(d, s, MASTER_CMD_RES_OFFLINE, false, now, MASTER_CMD_FREE);
        }
}
