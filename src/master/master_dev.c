/* SPDX-License-Identifier: MIT */
/*
 * A device polled by a master channel: its public calls and the names of
 * its enums (master_dev.h), setup, start and stop with the channel,
 * online/offline, and the task dispatch: the request a task sends and what
 * the end of its transaction does.  The parts are master_sched.c (when),
 * master_queue.c, master_control.c and master_freeze.c (queued requests),
 * master_rsp.c (responses) and master_tsync.c (time sync); see
 * master_priv.h.
 */
#include "master/master_dev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "master/master_priv.h"
#include "master/master_req.h"

#define DEV_DEFAULT_OFFLINE_RETRY_MS 10000
#define DEV_DEFAULT_MAX_CONTROLS 4
#define DEV_MAX_CONTROLS 64

NAMES_DEFINE(master_task_name, enum master_task, MASTER_TASK_LIST, NAMES_BY_ORDER)
NAMES_DEFINE(master_tsync_name, enum master_tsync, MASTER_TSYNC_LIST, NAMES_BY_ORDER)
NAMES_DEFINE(master_dev_state_name, enum master_dev_state, MASTER_DEV_STATE_LIST, NAMES_BY_ORDER)

/* By the table's text; the fallback NAMES_UNKNOWN is no entry of it. */
int master_tsync_from_name(const char *s, enum master_tsync *ret)
{
        for (unsigned i = 0; i < NAMES_COUNT(master_tsync_name_tab); i++) {
                if (strcmp(s, master_tsync_name_tab[i]) == 0) {
                        *ret = (enum master_tsync)i;
                        return 0;
                }
        }
        return -EINVAL;
}

const char *master_dev_name(const struct master_dev *d)
{
        return d->name;
}

uint16_t master_dev_address(const struct master_dev *d)
{
        return d->cfg.address;
}

void *master_dev_user(const struct master_dev *d)
{
        return d->cfg.user;
}

enum master_dev_state master_dev_get_state(const struct master_dev *d)
{
        return d->state;
}

uint16_t master_dev_iin(const struct master_dev *d)
{
        return d->rsp.iin;
}

const struct master_dev_stats *master_dev_get_stats(const struct master_dev *d)
{
        return &d->stats;
}

/* ---- requests from the application ---- */

int master_dev_control(struct master_dev *d, enum master_cmd_mode mode,
                       const struct master_cmd_obj *objs, size_t n, master_cmd_cb cb,
                       void *cb_ctx, uint64_t now, uint32_t *ret_id)
{
        return master_control_submit(d, mode, objs, n, cb, cb_ctx, now, ret_id);
}

int master_dev_freeze(struct master_dev *d, const struct master_freeze *f, master_freeze_cb cb,
                      void *cb_ctx, uint64_t now, uint32_t *ret_id)
{
        return master_freeze_submit(d, f, cb, cb_ctx, now, ret_id);
}

void master_dev_select_end(struct master_dev *d, uint32_t id, uint64_t now)
{
        if (master_sched_select_end(&d->sched, id, now))
                master_chan_work(d->chan);
}

void master_dev_demand(struct master_dev *d, enum master_task t, uint64_t now)
{
        if ((unsigned)t >= MASTER_TASK_MAX || t < MASTER_TASK_FIRST_POLL)
                return;
        master_sched_demand(&d->sched, t, now);
        master_chan_work(d->chan);
}

/* ---- setup ---- */

int master_dev_init(struct master_dev *d, struct master_chan *ch, size_t idx,
                    const struct master_dev_cfg *cfg)
{
        if (cfg->address > LINK_ADDR_MAX_UNICAST || (unsigned)cfg->time_sync >= MASTER_TSYNC_MAX ||
            cfg->max_controls > DEV_MAX_CONTROLS || (cfg->unsol_classes & ~MASTER_CLASS_EVENTS))
                return -EINVAL;
        *d = (struct master_dev){ .chan = ch, .cfg = *cfg, .idx = idx };
        if (cfg->name) {
                size_t n = strnlen(cfg->name, MASTER_NAME_MAX - 1);
                memcpy(d->name, cfg->name, n);
                d->name[n] = '\0';
        }
        d->cfg.name = d->name;
        if (!d->cfg.comm_fail_after)
                d->cfg.comm_fail_after = 1;
        if (!d->cfg.offline_retry_ms)
                d->cfg.offline_retry_ms = DEV_DEFAULT_OFFLINE_RETRY_MS;
        if (!d->cfg.max_controls)
                d->cfg.max_controls = DEV_DEFAULT_MAX_CONTROLS;
        if (!d->cfg.unsol_classes)
                d->cfg.unsol_classes = MASTER_CLASS_EVENTS;

        d->rxbuf = malloc(ch->cfg.max_fragment);
        int r = master_queue_init(&d->queue, d->cfg.max_controls);
        if (!d->rxbuf || r < 0) {
                master_dev_fini(d);
                return -ENOMEM;
        }
        const struct lsess_cfg lc = {
                .master = true,
                .local = ch->cfg.master_address,
                .remote = cfg->address,
                .confirmed = ch->cfg.link_confirm,
                .link_timeout_ms = ch->cfg.response_timeout_ms,
                .link_retries = ch->cfg.retries,
        };
        lsess_init(&d->ls, &lc, d->rxbuf, ch->cfg.max_fragment, 0);
        master_sched_init(&d->sched);
        d->state = MASTER_DEV_UNKNOWN;
        return 0;
}

void master_dev_fini(struct master_dev *d)
{
        free(d->rxbuf);
        d->rxbuf = NULL;
        master_queue_fini(&d->queue);
}

/* ---- online / offline ---- */

/* The device becomes OFFLINE (upcall); false when it already was. */
static bool dev_set_offline(struct master_dev *d)
{
        struct master_chan *ch = d->chan;
        if (d->state == MASTER_DEV_OFFLINE)
                return false;
        d->state = MASTER_DEV_OFFLINE;
        d->stats.offline_events++;
        if (ch->cb.on_state)
                ch->cb.on_state(ch->cb.ctx, d, MASTER_DEV_OFFLINE);
        return true;
}

/* Too many failed transactions (or a failed probe): its requests fail. */
static void dev_go_offline(struct master_dev *d, uint64_t now)
{
        master_sched_offline(&d->sched, d->cfg.offline_retry_ms, now);
        if (dev_set_offline(d))
                master_queue_fail_all(d, now);
}

void master_dev_comm_good(struct master_dev *d, enum master_task task, uint64_t now)
{
        struct master_chan *ch = d->chan;
        d->fails = 0;
        if (d->state == MASTER_DEV_ONLINE)
                return;
        bool restore = d->state == MASTER_DEV_OFFLINE;
        d->state = MASTER_DEV_ONLINE;
        if (restore && task != MASTER_TASK_INTEGRITY)
                master_sched_demand(&d->sched, MASTER_TASK_INTEGRITY, now);
        if (ch->cb.on_state)
                ch->cb.on_state(ch->cb.ctx, d, MASTER_DEV_ONLINE);
}

void master_dev_start(struct master_dev *d, uint64_t now)
{
        lsess_reset(&d->ls, now);
        master_rsp_reset(&d->rsp);
        master_tsync_reset(&d->tsync);
        master_sched_start(&d->sched, &d->cfg, d->state == MASTER_DEV_UNKNOWN, now);
}

void master_dev_stop(struct master_dev *d, uint64_t now)
{
        lsess_reset(&d->ls, now);
        master_tsync_reset(&d->tsync);
        master_rsp_reset(&d->rsp);
        d->fails = 0;
        master_sched_stop(&d->sched, now);
        (void)dev_set_offline(d);
        master_queue_fail_all(d, now);
}

/* ---- tasks ---- */

int master_dev_build(struct master_dev *d, enum master_task t, uint64_t now, uint8_t *ret_func,
                     bool *ret_expect)
{
        uint8_t seq = d->seq;
        uint8_t func = 0;
        size_t len = 0;
        int r;

        switch (t) {
        case MASTER_TASK_CONTROL:
        case MASTER_TASK_FREEZE: {
                struct master_rq *rq = master_queue_next(&d->queue, t);
                if (!rq)
                        r = -ENOENT;
                else if (t == MASTER_TASK_CONTROL)
                        r = master_control_build(d, rq, seq, now, &func, &len);
                else
                        r = master_freeze_build(d, rq, seq, now, &func, &len);
                break;
        }
        case MASTER_TASK_CLEAR_RESTART:
                func = APP_FUNC_WRITE;
                r = master_req_clear_restart(d->req, sizeof(d->req), seq, &len);
                break;
        case MASTER_TASK_DISABLE_UNSOL:
                func = APP_FUNC_DISABLE_UNSOLICITED;
                r = master_req_unsol(d->req, sizeof(d->req), seq, false, MASTER_CLASS_EVENTS,
                                     &len);
                break;
        case MASTER_TASK_ENABLE_UNSOL:
                func = APP_FUNC_ENABLE_UNSOLICITED;
                r = master_req_unsol(d->req, sizeof(d->req), seq, true, d->cfg.unsol_classes,
                                     &len);
                break;
        case MASTER_TASK_INTEGRITY:
                func = APP_FUNC_READ;
                r = master_req_read_classes(d->req, sizeof(d->req), seq, MASTER_CLASS_ALL, &len);
                break;
        case MASTER_TASK_CLASS1:
        case MASTER_TASK_CLASS2:
        case MASTER_TASK_CLASS3:
                func = APP_FUNC_READ;
                r = master_req_read_classes(d->req, sizeof(d->req), seq,
                                            1u << (t - MASTER_TASK_CLASS1 + 1), &len);
                break;
        case MASTER_TASK_TIME_SYNC:
                r = master_tsync_build(d, seq, now, &func, &len);
                break;
        case MASTER_TASK_MAX:
        default:
                return -EINVAL;
        }
        master_sched_built(&d->sched, t, r);
        if (r < 0)
                return r;
        d->req_len = len;
        d->seq = (uint8_t)((seq + 1) & APP_CTRL_SEQ);
        *ret_func = func;
        *ret_expect = !app_func_no_response(func);     /* the _NR controls and freezes */
        return 0;
}

static void dev_task_upcall(struct master_dev *d, enum master_task t, bool ok)
{
        struct master_chan *ch = d->chan;
        if (ok)
                d->stats.tasks[t]++;
        if (ch->cb.on_task)
                ch->cb.on_task(ch->cb.ctx, d, t, ok);
}

int master_dev_txn_done(struct master_dev *d, const struct master_txn *t, bool ok,
                        uint64_t now, uint8_t *ret_func, bool *ret_expect)
{
        enum master_task task = (enum master_task)t->task;
        int cont = 0;

        if (ok)
                d->stats.transactions++;
        else
                d->stats.failed++;

        if (task == MASTER_TASK_CONTROL)
                cont = master_control_done(d, t, ok, now, ret_func, ret_expect);
        else if (task == MASTER_TASK_FREEZE)
                master_freeze_done(d, t, ok, now);
        else if (task == MASTER_TASK_TIME_SYNC)
                cont = master_tsync_done(d, t, ok, now, ret_func, ret_expect);
        if (!cont && task < MASTER_TASK_MAX) {
                master_sched_done(&d->sched, &d->cfg, task, ok, now);
                dev_task_upcall(d, task, ok);
        }

        if (!ok) {
                d->fails++;
                if (d->state == MASTER_DEV_OFFLINE || d->fails >= d->cfg.comm_fail_after)
                        dev_go_offline(d, now);
        }
        return cont;
}

void master_dev_txn_abort(struct master_dev *d, const struct master_txn *t)
{
        (void)t;
        master_tsync_reset(&d->tsync);
}
