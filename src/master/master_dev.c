/* SPDX-License-Identifier: MIT */
/*
 * Per-device task scheduler, response handling (measurements, IIN, time
 * sync, control echoes) and the control queue.  See master_dev.h.
 */
#include "master/master_dev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/crc.h"
#include "dnp3/obj.h"
#include "master/master_priv.h"
#include "master/master_req.h"

#define DEV_DEFAULT_OFFLINE_RETRY_MS 10000
#define DEV_DEFAULT_MAX_CONTROLS 4
#define DEV_MAX_CONTROLS 64

static const char *const task_names[] = {
#define X(name, str) [MASTER_TASK_##name] = str,
        MASTER_TASK_LIST(X)
#undef X
};

static const char *const tsync_names[] = {
#define X(name, str) [MASTER_TSYNC_##name] = str,
        MASTER_TSYNC_LIST(X)
#undef X
};

static const char *const state_names[] = {
#define X(name, str) [MASTER_DEV_##name] = str,
        MASTER_DEV_STATE_LIST(X)
#undef X
};

const char *master_task_name(enum master_task t)
{
        return (unsigned)t < MASTER_TASK_MAX ? task_names[t] : "unknown";
}

const char *master_tsync_name(enum master_tsync t)
{
        return (unsigned)t < MASTER_TSYNC_MAX ? tsync_names[t] : "unknown";
}

const char *master_dev_state_name(enum master_dev_state s)
{
        return (unsigned)s < MASTER_DEV_STATE_MAX ? state_names[s] : "unknown";
}

int master_tsync_from_name(const char *s, enum master_tsync *ret)
{
        for (unsigned i = 0; i < MASTER_TSYNC_MAX; i++) {
                if (strcmp(s, tsync_names[i]) == 0) {
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
        return d->iin;
}

const struct master_dev_stats *master_dev_get_stats(const struct master_dev *d)
{
        return &d->stats;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
        return a < b ? a : b;
}

static void dev_demand(struct master_dev *d, enum master_task t, uint64_t now)
{
        d->due[t] = min_u64(d->due[t], now);
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
        d->ncmds = d->cfg.max_controls;
        d->cmds = calloc(d->ncmds, sizeof(*d->cmds));
        d->frz = calloc(d->ncmds, sizeof(*d->frz));
        if (!d->rxbuf || !d->cmds || !d->frz) {
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
        for (unsigned t = 0; t < MASTER_TASK_MAX; t++)
                d->due[t] = DNP_NEVER;
        d->state = MASTER_DEV_UNKNOWN;
        return 0;
}

void master_dev_fini(struct master_dev *d)
{
        free(d->rxbuf);
        free(d->cmds);
        free(d->frz);
        d->rxbuf = NULL;
        d->cmds = NULL;
        d->frz = NULL;
}

/* ---- controls ---- */

static struct master_cmd_slot *cmd_head(const struct master_dev *d)
{
        struct master_cmd_slot *best = NULL;
        for (size_t i = 0; i < d->ncmds; i++) {
                struct master_cmd_slot *s = &d->cmds[i];
                if (s->state == MASTER_CMD_ACTIVE || s->state == MASTER_CMD_ABANDONED)
                        return s;
                if (s->state == MASTER_CMD_QUEUED && (!best || s->order < best->order))
                        best = s;
        }
        return best;
}

/*
 * Report a result and give the slot its final state first: FREE, or
 * ABANDONED while its request is still in flight.  The callback may queue a
 * new control, which must not land in a slot that is changed afterwards.
 */
static void cmd_finish_as(struct master_dev *d, struct master_cmd_slot *s, uint64_t now,
                          enum master_cmd_state final)
{
        struct master_cmd_result res = s->res;
        res.at = now;
        master_cmd_cb cb = s->cb;
        void *cb_ctx = s->cb_ctx;
        res.id = s->id;
        res.mode = s->mode;
        res.n = s->n;
        res.ok = true;
        for (size_t i = 0; i < res.n; i++) {
                const struct master_cmd_obj_result *o = &res.objs[i];
                if (o->res == MASTER_CMD_RES_SENT)
                        continue;
                if (o->res != MASTER_CMD_RES_OK || o->status != DNP_CMD_SUCCESS)
                        res.ok = false;
        }
        s->state = (uint8_t)final;
        d->stats.controls++;
        if (cb)
                cb(cb_ctx, d, &res);
}

static void cmd_finish(struct master_dev *d, struct master_cmd_slot *s, uint64_t now)
{
        cmd_finish_as(d, s, now, MASTER_CMD_FREE);
}

static void cmd_fill(struct master_cmd_slot *s, enum master_cmd_res r, uint8_t status)
{
        s->res.n = s->n;
        for (size_t i = 0; i < s->n; i++)
                s->res.objs[i] = (struct master_cmd_obj_result){ .res = (uint8_t)r,
                                                                 .status = status };
}

static void cmd_fail_all(struct master_dev *d, enum master_cmd_res r, uint64_t now)
{
        for (size_t i = 0; i < d->ncmds; i++) {
                struct master_cmd_slot *s = &d->cmds[i];
                if (s->state == MASTER_CMD_ABANDONED) {
                        s->state = MASTER_CMD_FREE;
                } else if (s->state == MASTER_CMD_QUEUED || s->state == MASTER_CMD_ACTIVE) {
                        cmd_fill(s, r, DNP_CMD_DOWNSTREAM_FAIL);
                        cmd_finish(d, s, now);
                }
        }
}

int master_dev_control(struct master_dev *d, enum master_cmd_mode mode,
                       const struct master_cmd_obj *objs, size_t n, master_cmd_cb cb,
                       void *cb_ctx, uint64_t now, uint32_t *ret_id)
{
        if ((unsigned)mode >= MASTER_CMD_MODE_MAX || n == 0 || n > MASTER_CMD_MAX_OBJS)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (master_cmd_obj_check(&objs[i]) < 0 || objs[i].v.index > UINT16_MAX)
                        return -EINVAL;
        if (!d->chan->open || d->state != MASTER_DEV_ONLINE)
                return -ENOTCONN;
        struct master_cmd_slot *s = NULL;
        for (size_t i = 0; i < d->ncmds && !s; i++)
                if (d->cmds[i].state == MASTER_CMD_FREE)
                        s = &d->cmds[i];
        if (!s)
                return -EBUSY;
        s->state = MASTER_CMD_QUEUED;
        s->mode = (uint8_t)mode;
        s->step = 0;
        s->sbo = mode == MASTER_CMD_SBO;
        s->id = ++d->next_cmd_id;
        s->order = d->next_cmd_order++;
        s->submitted = now;
        s->deadline = d->cfg.control_timeout_ms ? now + d->cfg.control_timeout_ms : DNP_NEVER;
        s->n = n;
        memcpy(s->objs, objs, n * sizeof(*objs));
        s->cb = cb;
        s->cb_ctx = cb_ctx;
        s->res = (struct master_cmd_result){ 0 };
        *ret_id = s->id;
        master_chan_work(d->chan);
        return 0;
}

uint64_t master_dev_cmd_deadline(const struct master_dev *d)
{
        uint64_t dl = DNP_NEVER;
        for (size_t i = 0; i < d->ncmds; i++) {
                const struct master_cmd_slot *s = &d->cmds[i];
                if (s->state == MASTER_CMD_QUEUED || s->state == MASTER_CMD_ACTIVE)
                        dl = min_u64(dl, s->deadline);
        }
        return min_u64(dl, master_freeze_deadline(d));
}

void master_dev_cmd_timers(struct master_dev *d, uint64_t now)
{
        for (size_t i = 0; i < d->ncmds; i++) {
                struct master_cmd_slot *s = &d->cmds[i];
                if ((s->state != MASTER_CMD_QUEUED && s->state != MASTER_CMD_ACTIVE) ||
                    s->deadline > now)
                        continue;
                bool active = s->state == MASTER_CMD_ACTIVE;
                cmd_fill(s, MASTER_CMD_RES_TIMEOUT, DNP_CMD_DOWNSTREAM_FAIL);
                /* an active one keeps its slot until its transaction ends */
                cmd_finish_as(d, s, now, active ? MASTER_CMD_ABANDONED : MASTER_CMD_FREE);
        }
        master_freeze_timers(d, now);
}

/* ---- scheduling ---- */

/*
 * Select-before-operate pass-through.  A SELECT control answered SUCCESS
 * leaves the device selected (sel_*) until the next request goes to it, and
 * holds its polls (hold_until) so that its OPERATE is that next request.
 * The hold ends when that OPERATE is sent, when master_dev_select_end()
 * says the upstream selection is gone, when another control is due first,
 * or at hold_until.  Ended any other way than by the OPERATE, it leaves the
 * polls that fell due meanwhile owed: they run before the next control, so
 * a SELECT can never be held again before the schedule has caught up.
 * After every control or freeze the polls then due are owed the same way,
 * so that back-to-back controls or freezes delay a poll by one
 * transaction, never starve it.
 */

static void dev_owe(struct master_dev *d, uint64_t at)
{
        for (unsigned t = MASTER_TASK_FIRST_POLL; t < MASTER_TASK_MAX; t++)
                if (d->due[t] <= at)
                        d->owed = (uint16_t)(d->owed | 1u << t);
}

/* The hold ends without its OPERATE: what fell due up to `at` is owed. */
static void dev_unhold(struct master_dev *d, uint64_t at)
{
        if (!d->hold_until)
                return;
        d->hold_until = 0;
        dev_owe(d, at);
}

/* Control s is the OPERATE of the selection the device holds now. */
static bool dev_sel_matches(const struct master_dev *d, const struct master_cmd_slot *s)
{
        if (!d->sel_intact || s->mode != MASTER_CMD_OPERATE || s->n != d->sel_n)
                return false;
        for (size_t i = 0; i < s->n; i++)
                if (!master_cmd_obj_same(&s->objs[i], &d->sel_objs[i]))
                        return false;
        return true;
}

/* No selection, hold or debt survives a restart of the link or an outage. */
static void dev_sel_reset(struct master_dev *d)
{
        d->hold_until = 0;
        d->sel_intact = false;
        d->owed = 0;
}

void master_dev_select_end(struct master_dev *d, uint32_t id, uint64_t now)
{
        if (d->sel_id == id) {
                dev_unhold(d, now);
                master_chan_work(d->chan);
        }
}

static void dev_go_offline(struct master_dev *d, uint64_t now)
{
        struct master_chan *ch = d->chan;
        d->probe_due = now + d->cfg.offline_retry_ms;
        dev_sel_reset(d);
        dev_demand(d, MASTER_TASK_INTEGRITY, now);      /* refresh on restore */
        if (d->state == MASTER_DEV_OFFLINE)
                return;
        d->state = MASTER_DEV_OFFLINE;
        d->stats.offline_events++;
        if (ch->cb.on_state)
                ch->cb.on_state(ch->cb.ctx, d, MASTER_DEV_OFFLINE);
        cmd_fail_all(d, MASTER_CMD_RES_OFFLINE, now);
        master_freeze_fail_all(d, now);
}

static void dev_comm_good(struct master_dev *d, enum master_task task, uint64_t now)
{
        struct master_chan *ch = d->chan;
        d->fails = 0;
        if (d->state == MASTER_DEV_ONLINE)
                return;
        bool restore = d->state == MASTER_DEV_OFFLINE;
        d->state = MASTER_DEV_ONLINE;
        if (restore && task != MASTER_TASK_INTEGRITY)
                dev_demand(d, MASTER_TASK_INTEGRITY, now);
        if (ch->cb.on_state)
                ch->cb.on_state(ch->cb.ctx, d, MASTER_DEV_ONLINE);
}

void master_dev_start(struct master_dev *d, uint64_t now)
{
        lsess_reset(&d->ls, now);
        dev_sel_reset(d);
        d->unsol_last_valid = false;
        d->tsync_step = 0;
        if (d->state == MASTER_DEV_UNKNOWN) {
                if (d->cfg.unsolicited)
                        d->due[MASTER_TASK_ENABLE_UNSOL] = now;
                else
                        d->due[MASTER_TASK_DISABLE_UNSOL] = now;
                d->due[MASTER_TASK_INTEGRITY] = now;
                if (d->cfg.time_sync != MASTER_TSYNC_NONE)
                        d->due[MASTER_TASK_TIME_SYNC] = now;
        } else {
                dev_demand(d, MASTER_TASK_INTEGRITY, now);
                d->probe_due = now;
        }
        for (unsigned c = 0; c < 3; c++) {
                enum master_task t = (enum master_task)(MASTER_TASK_CLASS1 + c);
                if (d->cfg.class_ms[c])
                        d->due[t] = now + d->cfg.class_ms[c];
        }
}

void master_dev_stop(struct master_dev *d, uint64_t now)
{
        struct master_chan *ch = d->chan;
        lsess_reset(&d->ls, now);
        d->tsync_step = 0;
        d->unsol_last_valid = false;
        d->fails = 0;
        d->probe_due = now;
        dev_sel_reset(d);
        if (d->state != MASTER_DEV_OFFLINE) {
                d->state = MASTER_DEV_OFFLINE;
                d->stats.offline_events++;
                if (ch->cb.on_state)
                        ch->cb.on_state(ch->cb.ctx, d, MASTER_DEV_OFFLINE);
        }
        cmd_fail_all(d, MASTER_CMD_RES_OFFLINE, now);
        master_freeze_fail_all(d, now);
}

enum master_task master_dev_ready(struct master_dev *d, uint64_t now)
{
        if (d->state == MASTER_DEV_OFFLINE && now < d->probe_due)
                return MASTER_TASK_MAX;
        const struct master_cmd_slot *s = cmd_head(d);
        bool control = s && s->state == MASTER_CMD_QUEUED;
        if (d->hold_until && now >= d->hold_until)
                dev_unhold(d, d->hold_until);
        /* another control first: the selection is lost to it anyway */
        if (d->hold_until && control && !dev_sel_matches(d, s))
                dev_unhold(d, now);
        if (d->hold_until)
                return control ? MASTER_TASK_CONTROL : MASTER_TASK_MAX;
        for (unsigned t = MASTER_TASK_FIRST_POLL; t < MASTER_TASK_MAX; t++)
                if ((d->owed & 1u << t) && d->due[t] <= now)
                        return (enum master_task)t;
        if (control)
                return MASTER_TASK_CONTROL;
        if (master_freeze_queued(d, NULL))
                return MASTER_TASK_FREEZE;
        for (unsigned t = MASTER_TASK_FIRST_POLL; t < MASTER_TASK_MAX; t++)
                if (d->due[t] <= now)
                        return (enum master_task)t;
        return MASTER_TASK_MAX;
}

uint64_t master_dev_next_due(const struct master_dev *d)
{
        uint64_t due = DNP_NEVER;
        for (unsigned t = MASTER_TASK_FIRST_POLL; t < MASTER_TASK_MAX; t++)
                due = min_u64(due, d->due[t]);
        if (due != DNP_NEVER && due < d->hold_until)
                due = d->hold_until;    /* polls wait while a SELECT is held */
        uint64_t frz;
        if (master_freeze_queued(d, &frz))
                due = min_u64(due, frz < d->hold_until ? d->hold_until : frz);
        const struct master_cmd_slot *s = cmd_head(d);
        if (s && s->state == MASTER_CMD_QUEUED)
                due = min_u64(due, s->submitted);
        if (due != DNP_NEVER && d->state == MASTER_DEV_OFFLINE && due < d->probe_due)
                due = d->probe_due;
        return due;
}

void master_dev_demand(struct master_dev *d, enum master_task t, uint64_t now)
{
        if ((unsigned)t >= MASTER_TASK_MAX || t < MASTER_TASK_FIRST_POLL)
                return;
        dev_demand(d, t, now);
        master_chan_work(d->chan);
}

/* ---- requests ---- */

int master_dev_build(struct master_dev *d, enum master_task t, uint64_t now, uint8_t *ret_func,
                     bool *ret_expect)
{
        uint8_t seq = d->seq;
        uint8_t func;
        bool expect = true;
        size_t len = 0;
        int r;

        switch (t) {
        case MASTER_TASK_CONTROL: {
                struct master_cmd_slot *s = cmd_head(d);
                if (!s || (s->state != MASTER_CMD_QUEUED && s->state != MASTER_CMD_ACTIVE))
                        return -ENOENT;
                /* an OPERATE whose selection the device lost is selected again */
                if (s->step == 0 && s->mode == MASTER_CMD_OPERATE)
                        s->sbo = !dev_sel_matches(d, s);
                func = s->step  ? APP_FUNC_OPERATE
                       : s->sbo ? APP_FUNC_SELECT
                                : master_cmd_first_func((enum master_cmd_mode)s->mode);
                expect = func != APP_FUNC_DIRECT_OPERATE_NR;
                r = master_cmd_build(d->req, sizeof(d->req), seq, func, s->objs, s->n, s->norm,
                                     &len);
                if (r < 0) {
                        cmd_fill(s, MASTER_CMD_RES_ECHO_MISMATCH, DNP_CMD_FORMAT_ERROR);
                        cmd_finish(d, s, now);
                        return r;
                }
                s->state = MASTER_CMD_ACTIVE;
                break;
        }
        case MASTER_TASK_FREEZE:
                r = master_freeze_build(d, seq, now, &func, &expect, &len);
                if (r < 0)
                        return r;
                break;
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
        case MASTER_TASK_TIME_SYNC: {
                uint64_t wall = master_wall(d->chan, now);
                if (d->tsync_step == 0 && d->cfg.time_sync == MASTER_TSYNC_WRITE &&
                    !d->cfg.measure_delay) {
                        func = APP_FUNC_WRITE;  /* one step: the wall time, uncorrected */
                        r = master_req_write_time(d->req, sizeof(d->req), seq, 1, wall, &len);
                } else if (d->tsync_step == 0) {
                        if (d->cfg.time_sync == MASTER_TSYNC_LAN) {
                                func = APP_FUNC_RECORD_CURRENT_TIME;
                                d->tsync_wall = wall;
                        } else {
                                func = APP_FUNC_DELAY_MEASURE;
                        }
                        d->tsync_proc_valid = false;
                        r = master_req_func(d->req, sizeof(d->req), seq, func, &len);
                } else {
                        func = APP_FUNC_WRITE;
                        if (d->cfg.time_sync == MASTER_TSYNC_LAN)
                                r = master_req_write_time(d->req, sizeof(d->req), seq, 3,
                                                          d->tsync_wall, &len);
                        else
                                r = master_req_write_time(d->req, sizeof(d->req), seq, 1,
                                                          wall + d->tsync_proc_ms, &len);
                }
                break;
        }
        case MASTER_TASK_MAX:
        default:
                return -EINVAL;
        }
        d->owed = (uint16_t)(d->owed & ~(1u << t));     /* paid, or dropped */
        if (r < 0) {
                d->due[t] = DNP_NEVER;
                return r;
        }
        d->req_len = len;
        d->seq = (uint8_t)((seq + 1) & APP_CTRL_SEQ);
        /* whatever goes to the device now ends its selection (the OPERATE uses it) */
        d->hold_until = 0;
        d->sel_intact = false;
        *ret_func = func;
        *ret_expect = expect;
        return 0;
}

/* ---- responses ---- */

struct meas_ctx {
        struct master_dev *d;
        uint64_t wall;
        bool unsol;
};

static bool meas_type_is_point(uint8_t type)
{
        switch (type) {
        case DNP_TYPE_BI:
        case DNP_TYPE_DBI:
        case DNP_TYPE_BO:
        case DNP_TYPE_CNT:
        case DNP_TYPE_FCNT:
        case DNP_TYPE_AI:
        case DNP_TYPE_AO:
                return true;
        default:
                return false;
        }
}

static int meas_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct meas_ctx *c = ctx;
        struct master_dev *d = c->d;
        struct master_chan *ch = d->chan;
        if (!h->desc || !meas_type_is_point(h->desc->type))
                return 0;
        struct master_meas m = {
                .dev = d,
                .type = (enum dnp_type)h->desc->type,
                .group = h->group,
                .var = h->var,
                .event = h->desc->event,
                .device_time = v->time_kind != DNP_TIME_NONE,
                .unsolicited = c->unsol,
                .v = *v,
        };
        if (!m.device_time)
                m.v.time = c->wall;
        d->stats.values++;
        if (ch->cb.on_value)
                ch->cb.on_value(ch->cb.ctx, &m);
        return 0;
}

static int delay_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct master_dev *d = ctx;
        if (h->group != 52)
                return 0;
        d->tsync_proc_ms = h->var == 1 ? (uint64_t)v->v.delay * 1000 : v->v.delay;
        d->tsync_proc_valid = true;
        return 0;
}

struct hdr_list_ctx {
        struct master_diag *dg;
};

static int hdr_list_on_header(void *ctx, const struct obj_hdr *h)
{
        struct hdr_list_ctx *c = ctx;
        if (c->dg->nobjs < MASTER_DIAG_MAX_OBJS) {
                c->dg->objs[c->dg->nobjs].group = h->group;
                c->dg->objs[c->dg->nobjs].var = h->var;
                c->dg->nobjs++;
        }
        return 0;
}

static void dev_diag_refused(struct master_dev *d, uint8_t func, uint16_t iin)
{
        struct master_diag dg = {
                .kind = MASTER_DIAG_REFUSED,
                .dev = d,
                .src = d->cfg.address,
                .dest = d->chan->cfg.master_address,
                .func = func,
                .iin = iin,
        };
        struct hdr_list_ctx c = { .dg = &dg };
        const struct obj_visitor vis = { .on_header = hdr_list_on_header };
        if (d->req_len >= APP_REQ_HDR_LEN)
                (void)obj_parse(d->req + APP_REQ_HDR_LEN, d->req_len - APP_REQ_HDR_LEN,
                                obj_mode_for_func(func), &vis, &c, NULL);
        master_chan_diag(d->chan, &dg);
}

static void dev_diag_bad(struct master_dev *d, int err)
{
        d->stats.bad_responses++;
        const struct master_diag dg = {
                .kind = MASTER_DIAG_BAD_RESPONSE,
                .dev = d,
                .src = d->cfg.address,
                .dest = d->chan->cfg.master_address,
                .err = err,
        };
        master_chan_diag(d->chan, &dg);
}

/* IIN of a valid response; task = MASTER_TASK_MAX for unsolicited ones. */
static void dev_on_iin(struct master_dev *d, uint16_t iin, enum master_task task, uint64_t now)
{
        struct master_chan *ch = d->chan;
        uint16_t prev = d->iin_known ? d->iin : 0;
        uint16_t rising = (uint16_t)(iin & ~prev);
        bool changed = !d->iin_known || iin != d->iin;
        d->iin = iin;
        d->iin_known = true;
        if (changed && ch->cb.on_iin)
                ch->cb.on_iin(ch->cb.ctx, d, iin);

        if ((iin & APP_IIN_DEVICE_RESTART) && task != MASTER_TASK_CLEAR_RESTART)
                dev_demand(d, MASTER_TASK_CLEAR_RESTART, now);
        if (rising & APP_IIN_DEVICE_RESTART) {
                /* a restarted device lost our unsolicited setting */
                if (task != MASTER_TASK_INTEGRITY)
                        dev_demand(d, MASTER_TASK_INTEGRITY, now);
                if (d->cfg.unsolicited && task != MASTER_TASK_ENABLE_UNSOL)
                        dev_demand(d, MASTER_TASK_ENABLE_UNSOL, now);
                if (!d->cfg.unsolicited && task != MASTER_TASK_DISABLE_UNSOL)
                        dev_demand(d, MASTER_TASK_DISABLE_UNSOL, now);
        }
        if ((rising & APP_IIN_EVENT_BUFFER_OVERFLOW) && task != MASTER_TASK_INTEGRITY)
                dev_demand(d, MASTER_TASK_INTEGRITY, now);
        if ((rising & APP_IIN_NEED_TIME) && d->cfg.time_sync != MASTER_TSYNC_NONE &&
            task != MASTER_TASK_TIME_SYNC)
                dev_demand(d, MASTER_TASK_TIME_SYNC, now);
}

int master_dev_on_response(struct master_dev *d, const struct master_txn *t,
                           const struct apdu_hdr *h, const uint8_t *objs, size_t n,
                           uint64_t now)
{
        enum master_task task = (enum master_task)t->task;
        struct meas_ctx mc = { .d = d, .wall = master_wall(d->chan, now) };
        const struct obj_visitor meas_vis = { .on_value = meas_on_value };
        const struct obj_visitor delay_vis = { .on_value = delay_on_value };
        const struct obj_visitor *vis = NULL;
        void *ctx = NULL;

        if (t->func == APP_FUNC_READ) {
                vis = &meas_vis;
                ctx = &mc;
        } else if (t->func == APP_FUNC_DELAY_MEASURE) {
                vis = &delay_vis;
                ctx = d;
        }
        int r = obj_parse(objs, n, OBJ_MODE_DATA, vis, ctx, NULL);
        /* a control or freeze was answered, even when the answer does not parse */
        if (task == MASTER_TASK_CONTROL) {
                struct master_cmd_slot *s = cmd_head(d);
                if (s && s->state == MASTER_CMD_ACTIVE) {
                        master_cmd_check_echo(objs, n, s->norm, s->n, &s->res);
                        s->res.iin = h->iin;
                }
        } else if (task == MASTER_TASK_FREEZE) {
                master_freeze_on_response(d, h->iin);
        }
        if (r < 0) {
                dev_diag_bad(d, r);
                return r;
        }
        dev_comm_good(d, task, now);
        dev_on_iin(d, h->iin, task, now);
        if (h->iin & (APP_IIN_NO_FUNC_CODE_SUPPORT | APP_IIN_OBJECT_UNKNOWN))
                dev_diag_refused(d, t->func, h->iin);
        return 0;
}

bool master_dev_on_unsol(struct master_dev *d, const struct apdu_hdr *h, const uint8_t *apdu,
                         size_t len, const uint8_t *objs, size_t n, uint64_t now)
{
        if (!d->cfg.unsolicited && n > 0) {
                d->stats.unsol_rejected++;
                const struct master_diag dg = {
                        .kind = MASTER_DIAG_UNSOL_REJECTED,
                        .dev = d,
                        .src = d->cfg.address,
                        .dest = d->chan->cfg.master_address,
                        .iin = h->iin,
                };
                master_chan_diag(d->chan, &dg);
                return false;
        }
        uint16_t crc = crc_dnp(apdu, len);
        if (d->unsol_last_valid && d->unsol_last_seq == h->seq && d->unsol_last_len == len &&
            d->unsol_last_crc == crc) {
                d->stats.unsol_duplicates++;
                return h->con;
        }
        struct meas_ctx mc = { .d = d, .wall = master_wall(d->chan, now), .unsol = true };
        const struct obj_visitor vis = { .on_value = meas_on_value };
        int r = obj_parse(objs, n, OBJ_MODE_DATA, &vis, &mc, NULL);
        if (r < 0) {
                dev_diag_bad(d, r);
                return false;
        }
        dev_on_iin(d, h->iin, MASTER_TASK_MAX, now);
        d->unsol_last_valid = true;
        d->unsol_last_seq = h->seq;
        d->unsol_last_len = len;
        d->unsol_last_crc = crc;
        d->stats.unsolicited++;
        return h->con;
}

/* ---- completion ---- */

static uint64_t next_slot(uint64_t prev_due, uint64_t period, uint64_t now)
{
        if (prev_due == DNP_NEVER || prev_due > now)
                return now + period;
        uint64_t k = (now - prev_due) / period + 1;
        return prev_due + k * period;
}

static void dev_task_upcall(struct master_dev *d, enum master_task t, bool ok)
{
        struct master_chan *ch = d->chan;
        if (ok)
                d->stats.tasks[t]++;
        if (ch->cb.on_task)
                ch->cb.on_task(ch->cb.ctx, d, t, ok);
}

/* Every object answered OK with status SUCCESS. */
static bool cmd_all_success(const struct master_cmd_slot *s)
{
        if (s->res.n != s->n)
                return false;
        for (size_t i = 0; i < s->res.n; i++)
                if (s->res.objs[i].res != MASTER_CMD_RES_OK ||
                    s->res.objs[i].status != DNP_CMD_SUCCESS)
                        return false;
        return true;
}

static int dev_control_done(struct master_dev *d, const struct master_txn *t, bool ok,
                            uint64_t now, uint8_t *ret_func, bool *ret_expect)
{
        struct master_cmd_slot *s = cmd_head(d);
        if (!s || s->state == MASTER_CMD_QUEUED)
                return 0;
        if (s->state == MASTER_CMD_ABANDONED) {
                s->state = MASTER_CMD_FREE;
                return 0;
        }
        if (!t->expect_rsp) {
                cmd_fill(s, ok ? MASTER_CMD_RES_SENT : MASTER_CMD_RES_TIMEOUT,
                         ok ? DNP_CMD_SUCCESS : DNP_CMD_DOWNSTREAM_FAIL);
        } else if (!ok && s->res.n != s->n) {
                cmd_fill(s, MASTER_CMD_RES_TIMEOUT, DNP_CMD_DOWNSTREAM_FAIL);
        } else if (ok && s->mode == MASTER_CMD_SELECT) {
                if (cmd_all_success(s)) {
                        d->sel_intact = true;
                        d->sel_id = s->id;
                        d->sel_n = s->n;
                        memcpy(d->sel_objs, s->objs, s->n * sizeof(*s->objs));
                        if (d->cfg.select_hold_ms)
                                d->hold_until = now + d->cfg.select_hold_ms;
                }
        } else if (ok && s->sbo && s->step == 0) {
                if (cmd_all_success(s)) {
                        s->step = 1;
                        s->res = (struct master_cmd_result){ 0 };
                        if (master_dev_build(d, MASTER_TASK_CONTROL, now, ret_func, ret_expect) == 0)
                                return 1;
                        return 0;       /* build failure already reported */
                }
                for (size_t i = 0; i < s->res.n; i++)
                        if (s->res.objs[i].res == MASTER_CMD_RES_OK)
                                s->res.objs[i].res = MASTER_CMD_RES_NOT_OPERATED;
        }
        cmd_finish(d, s, now);
        return 0;
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

        switch (task) {
        case MASTER_TASK_CONTROL:
                cont = dev_control_done(d, t, ok, now, ret_func, ret_expect);
                if (cont)
                        break;
                if (!d->hold_until)
                        dev_owe(d, now);        /* no control twice past a due poll */
                dev_task_upcall(d, task, ok);
                break;
        case MASTER_TASK_FREEZE:
                master_freeze_txn_done(d, t, ok, now);
                if (!d->hold_until)
                        dev_owe(d, now);        /* no freeze twice past a due poll */
                dev_task_upcall(d, task, ok);
                break;
        case MASTER_TASK_TIME_SYNC:
                if (ok && d->tsync_step == 0 && t->func != APP_FUNC_WRITE) {
                        if (d->cfg.time_sync == MASTER_TSYNC_WRITE) {
                                uint64_t rtt = now > t->sent_at ? now - t->sent_at : 0;
                                d->tsync_proc_ms = master_req_tsync_delay(
                                        rtt, d->tsync_proc_valid ? d->tsync_proc_ms : 0);
                        }
                        d->tsync_step = 1;
                        if (master_dev_build(d, task, now, ret_func, ret_expect) == 0) {
                                cont = 1;
                                break;
                        }
                }
                d->tsync_step = 0;
                if (ok)
                        d->due[task] = d->cfg.time_sync_ms ? now + d->cfg.time_sync_ms
                                                           : DNP_NEVER;
                dev_task_upcall(d, task, ok);
                break;
        case MASTER_TASK_INTEGRITY:
                if (ok)
                        d->due[task] = d->cfg.integrity_ms ? now + d->cfg.integrity_ms
                                                           : DNP_NEVER;
                dev_task_upcall(d, task, ok);
                break;
        case MASTER_TASK_CLASS1:
        case MASTER_TASK_CLASS2:
        case MASTER_TASK_CLASS3: {
                uint64_t period = d->cfg.class_ms[task - MASTER_TASK_CLASS1];
                d->due[task] = period ? next_slot(d->due[task], period, now) : DNP_NEVER;
                dev_task_upcall(d, task, ok);
                break;
        }
        case MASTER_TASK_CLEAR_RESTART:
        case MASTER_TASK_DISABLE_UNSOL:
        case MASTER_TASK_ENABLE_UNSOL:
                if (ok)
                        d->due[task] = DNP_NEVER;
                dev_task_upcall(d, task, ok);
                break;
        case MASTER_TASK_MAX:
        default:
                break;
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
        d->tsync_step = 0;
}
