/* SPDX-License-Identifier: MIT */
/*
 * Time synchronisation of a device (config key time_sync, master_dev.h):
 * the TIME_SYNC task as one state machine
 * (enum master_tsync_state in master_priv.h): which request to build in
 * each state, what an answered step leads to, the delay measurement.
 * When the task runs is master_sched.c's.
 */
#include <errno.h>

#include "master/master_priv.h"
#include "master/master_req.h"

void master_tsync_reset(struct master_tsync_sm *s)
{
        s->state = MASTER_TSYNC_ST_IDLE;
}

int master_tsync_build(struct master_dev *d, uint8_t seq, uint64_t now, uint8_t *ret_func,
                       size_t *ret_len)
{
        struct master_tsync_sm *s = &d->tsync;
        uint64_t wall = master_wall(d->chan, now);
        enum master_tsync_state next;
        uint8_t func = APP_FUNC_WRITE;
        int r;

        switch ((enum master_tsync_state)s->state) {
        case MASTER_TSYNC_ST_IDLE:
                if (d->cfg.time_sync == MASTER_TSYNC_WRITE && !d->cfg.measure_delay) {
                        /* one step: the wall time, uncorrected */
                        next = MASTER_TSYNC_ST_WRITE;
                        r = master_req_write_time(d->req, sizeof(d->req), seq, 1, wall, ret_len);
                        break;
                }
                if (d->cfg.time_sync == MASTER_TSYNC_LAN) {
                        next = MASTER_TSYNC_ST_RECORD;
                        func = APP_FUNC_RECORD_CURRENT_TIME;
                        s->wall = wall;
                } else {
                        next = MASTER_TSYNC_ST_DELAY;
                        func = APP_FUNC_DELAY_MEASURE;
                }
                s->proc_valid = false;
                r = master_req_func(d->req, sizeof(d->req), seq, func, ret_len);
                break;
        case MASTER_TSYNC_ST_DELAY:     /* answered: the time, corrected by the delay */
                next = MASTER_TSYNC_ST_WRITE;
                r = master_req_write_time(d->req, sizeof(d->req), seq, 1, wall + s->proc_ms,
                                          ret_len);
                break;
        case MASTER_TSYNC_ST_RECORD:    /* answered: the time the RECORD went out */
                next = MASTER_TSYNC_ST_WRITE;
                r = master_req_write_time(d->req, sizeof(d->req), seq, 3, s->wall, ret_len);
                break;
        case MASTER_TSYNC_ST_WRITE:     /* the last step is on the channel: nothing follows */
        default:
                return -EINVAL;
        }
        if (r < 0)
                return r;
        s->state = (uint8_t)next;
        *ret_func = func;
        return 0;
}

int master_tsync_done(struct master_dev *d, const struct master_txn *t, bool ok, uint64_t now,
                      uint8_t *ret_func, bool *ret_expect)
{
        struct master_tsync_sm *s = &d->tsync;
        if (ok && s->state == MASTER_TSYNC_ST_DELAY) {
                uint64_t rtt = now > t->sent_at ? now - t->sent_at : 0;
                s->proc_ms = master_req_tsync_delay(rtt, s->proc_valid ? s->proc_ms : 0);
        }
        if (ok && (s->state == MASTER_TSYNC_ST_DELAY || s->state == MASTER_TSYNC_ST_RECORD) &&
            master_dev_build(d, MASTER_TASK_TIME_SYNC, now, ret_func, ret_expect) == 0)
                return 1;
        s->state = MASTER_TSYNC_ST_IDLE;
        return 0;
}

int master_tsync_on_delay(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct master_tsync_sm *s = ctx;
        if (h->group != 52)
                return 0;
        s->proc_ms = h->var == 1 ? (uint64_t)v->v.delay * 1000 : v->v.delay;
        s->proc_valid = true;
        return 0;
}
