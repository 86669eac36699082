/* SPDX-License-Identifier: MIT */
/*
 * A device's task scheduler: when each poll is due (startup, periods,
 * demands), which task is ready now (queued controls and freezes, owed
 * polls, the offline probe) and the select-before-operate hold.  The tasks
 * and their priorities are in master_dev.h.
 *
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
#include <string.h>

#include "master/master_priv.h"

void master_sched_init(struct master_sched *s)
{
        for (unsigned t = 0; t < MASTER_TASK_MAX; t++)
                s->due[t] = DNP_NEVER;
}

void master_sched_demand(struct master_sched *s, enum master_task t, uint64_t now)
{
        s->due[t] = dnp_deadline_min(s->due[t], now);
}

static void sched_owe(struct master_sched *s, uint64_t at)
{
        for (unsigned t = MASTER_TASK_FIRST_POLL; t < MASTER_TASK_MAX; t++)
                if (s->due[t] <= at)
                        s->owed = (uint16_t)(s->owed | 1u << t);
}

/* The hold ends without its OPERATE: what fell due up to `at` is owed. */
static void sched_unhold(struct master_sched *s, uint64_t at)
{
        if (!s->hold_until)
                return;
        s->hold_until = 0;
        sched_owe(s, at);
}

/* No selection, hold or debt survives a restart of the link or an outage. */
static void sched_sel_reset(struct master_sched *s)
{
        s->hold_until = 0;
        s->sel_intact = false;
        s->owed = 0;
}

void master_sched_start(struct master_sched *s, const struct master_dev_cfg *cfg, bool first,
                        uint64_t now)
{
        sched_sel_reset(s);
        if (first) {
                if (cfg->unsolicited)
                        s->due[MASTER_TASK_ENABLE_UNSOL] = now;
                else
                        s->due[MASTER_TASK_DISABLE_UNSOL] = now;
                s->due[MASTER_TASK_INTEGRITY] = now;
                if (cfg->time_sync != MASTER_TSYNC_NONE)
                        s->due[MASTER_TASK_TIME_SYNC] = now;
        } else {
                master_sched_demand(s, MASTER_TASK_INTEGRITY, now);
                s->probe_due = now;
        }
        for (unsigned c = 0; c < 3; c++) {
                enum master_task t = (enum master_task)(MASTER_TASK_CLASS1 + c);
                if (cfg->class_ms[c])
                        s->due[t] = now + cfg->class_ms[c];
        }
}

void master_sched_stop(struct master_sched *s, uint64_t now)
{
        s->probe_due = now;
        sched_sel_reset(s);
}

void master_sched_offline(struct master_sched *s, uint64_t retry_ms, uint64_t now)
{
        s->probe_due = now + retry_ms;
        sched_sel_reset(s);
        master_sched_demand(s, MASTER_TASK_INTEGRITY, now);     /* refresh on restore */
}

bool master_sched_sel_matches(const struct master_sched *s, const struct master_ctl *c)
{
        if (!s->sel_intact || c->mode != MASTER_CMD_OPERATE || c->n != s->sel_n)
                return false;
        for (size_t i = 0; i < c->n; i++)
                if (!master_cmd_obj_same(&c->objs[i], &s->sel_objs[i]))
                        return false;
        return true;
}

void master_sched_selected(struct master_sched *s, uint32_t id, const struct master_cmd_obj *objs,
                           size_t n, uint64_t hold_ms, uint64_t now)
{
        s->sel_intact = true;
        s->sel_id = id;
        s->sel_n = n;
        memcpy(s->sel_objs, objs, n * sizeof(*objs));
        if (hold_ms)
                s->hold_until = now + hold_ms;
}

bool master_sched_select_end(struct master_sched *s, uint32_t id, uint64_t now)
{
        if (s->sel_id != id)
                return false;
        sched_unhold(s, now);
        return true;
}

enum master_task master_sched_ready(struct master_dev *d, uint64_t now)
{
        struct master_sched *s = &d->sched;
        if (d->state == MASTER_DEV_OFFLINE && now < s->probe_due)
                return MASTER_TASK_MAX;
        const struct master_rq *c = master_queue_head(&d->queue, MASTER_TASK_CONTROL);
        bool control = c && c->state == MASTER_RQ_QUEUED;
        if (s->hold_until && now >= s->hold_until)
                sched_unhold(s, s->hold_until);
        /* another control first: the selection is lost to it anyway */
        if (s->hold_until && control &&
            !master_sched_sel_matches(s, master_queue_ctl(&d->queue, c)))
                sched_unhold(s, now);
        if (s->hold_until)
                return control ? MASTER_TASK_CONTROL : MASTER_TASK_MAX;
        for (unsigned t = MASTER_TASK_FIRST_POLL; t < MASTER_TASK_MAX; t++)
                if ((s->owed & 1u << t) && s->due[t] <= now)
                        return (enum master_task)t;
        if (control)
                return MASTER_TASK_CONTROL;
        if (master_queue_waiting(&d->queue, MASTER_TASK_FREEZE, NULL))
                return MASTER_TASK_FREEZE;
        for (unsigned t = MASTER_TASK_FIRST_POLL; t < MASTER_TASK_MAX; t++)
                if (s->due[t] <= now)
                        return (enum master_task)t;
        return MASTER_TASK_MAX;
}

uint64_t master_sched_next_due(const struct master_dev *d)
{
        const struct master_sched *s = &d->sched;
        uint64_t due = DNP_NEVER;
        for (unsigned t = MASTER_TASK_FIRST_POLL; t < MASTER_TASK_MAX; t++)
                due = dnp_deadline_min(due, s->due[t]);
        if (due != DNP_NEVER && due < s->hold_until)
                due = s->hold_until;    /* polls wait while a SELECT is held */
        uint64_t at;
        if (master_queue_waiting(&d->queue, MASTER_TASK_FREEZE, &at))
                due = dnp_deadline_min(due, at < s->hold_until ? s->hold_until : at);
        if (master_queue_waiting(&d->queue, MASTER_TASK_CONTROL, &at))
                due = dnp_deadline_min(due, at);
        if (due != DNP_NEVER && d->state == MASTER_DEV_OFFLINE && due < s->probe_due)
                due = s->probe_due;
        return due;
}

void master_sched_built(struct master_sched *s, enum master_task t, int r)
{
        s->owed = (uint16_t)(s->owed & ~(1u << t));     /* paid, or dropped */
        if (r < 0) {
                s->due[t] = DNP_NEVER;
                return;
        }
        /* whatever goes to the device now ends its selection (the OPERATE uses it) */
        s->hold_until = 0;
        s->sel_intact = false;
}

/* The first period boundary after now (a late poll does not shift the grid). */
static uint64_t sched_next_slot(uint64_t prev_due, uint64_t period, uint64_t now)
{
        if (prev_due == DNP_NEVER || prev_due > now)
                return now + period;
        uint64_t k = (now - prev_due) / period + 1;
        return prev_due + k * period;
}

void master_sched_done(struct master_sched *s, const struct master_dev_cfg *cfg,
                       enum master_task t, bool ok, uint64_t now)
{
        switch (t) {
        case MASTER_TASK_CONTROL:
        case MASTER_TASK_FREEZE:
                if (!s->hold_until)
                        sched_owe(s, now);      /* no control or freeze twice past a due poll */
                break;
        case MASTER_TASK_TIME_SYNC:
                if (ok)
                        s->due[t] = cfg->time_sync_ms ? now + cfg->time_sync_ms : DNP_NEVER;
                break;
        case MASTER_TASK_INTEGRITY:
                if (ok)
                        s->due[t] = cfg->integrity_ms ? now + cfg->integrity_ms : DNP_NEVER;
                break;
        case MASTER_TASK_CLASS1:
        case MASTER_TASK_CLASS2:
        case MASTER_TASK_CLASS3: {
                uint64_t period = cfg->class_ms[t - MASTER_TASK_CLASS1];
                s->due[t] = period ? sched_next_slot(s->due[t], period, now) : DNP_NEVER;
                break;
        }
        case MASTER_TASK_CLEAR_RESTART:
        case MASTER_TASK_DISABLE_UNSOL:
        case MASTER_TASK_ENABLE_UNSOL:
                if (ok)
                        s->due[t] = DNP_NEVER;
                break;
        case MASTER_TASK_MAX:
        default:
                break;
        }
}
