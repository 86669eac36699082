/* SPDX-License-Identifier: MIT */
/*
 * The queue of requests of a device: controls (master_control.c) and
 * freezes (master_freeze.c) in one set of slots with one life cycle
 * (QUEUED -> ACTIVE -> FREE, or ABANDONED when control_timeout passes while
 * the request is on the channel: its result was reported, the slot waits
 * for the transaction to end), one id sequence, one FIFO order, one
 * deadline each, one fail-all.  See struct master_queue (master_priv.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "master/master_priv.h"

int master_queue_init(struct master_queue *q, size_t per_kind)
{
        *q = (struct master_queue){ .per_kind = per_kind };
        q->rq = calloc(MASTER_QUEUE_KINDS * per_kind, sizeof(*q->rq));
        q->ctl = calloc(per_kind, sizeof(*q->ctl));
        q->frz = calloc(per_kind, sizeof(*q->frz));
        if (!q->rq || !q->ctl || !q->frz) {
                master_queue_fini(q);
                return -ENOMEM;
        }
        for (size_t i = 0; i < MASTER_QUEUE_KINDS * per_kind; i++)
                q->rq[i].kind = (uint8_t)(i / per_kind);
        return 0;
}

void master_queue_fini(struct master_queue *q)
{
        free(q->rq);
        free(q->ctl);
        free(q->frz);
        q->rq = NULL;
        q->ctl = NULL;
        q->frz = NULL;
}

static struct master_rq *queue_slots(const struct master_queue *q, enum master_task kind)
{
        return q->rq + (size_t)kind * q->per_kind;
}

int master_queue_slot(struct master_dev *d, enum master_task kind, struct master_rq **ret)
{
        struct master_queue *q = &d->queue;
        if (!d->chan->open || d->state != MASTER_DEV_ONLINE)
                return -ENOTCONN;
        struct master_rq *slots = queue_slots(q, kind);
        for (size_t i = 0; i < q->per_kind; i++) {
                if (slots[i].state == MASTER_RQ_FREE) {
                        *ret = &slots[i];
                        return 0;
                }
        }
        return -EBUSY;
}

void master_queue_push(struct master_dev *d, struct master_rq *rq, uint64_t now,
                       uint32_t *ret_id)
{
        struct master_queue *q = &d->queue;
        rq->state = MASTER_RQ_QUEUED;
        rq->id = ++q->next_id;
        rq->order = q->next_order++;
        rq->submitted = now;
        rq->deadline = d->cfg.control_timeout_ms ? now + d->cfg.control_timeout_ms : DNP_NEVER;
        *ret_id = rq->id;
        master_chan_work(d->chan);
}

struct master_rq *master_queue_head(const struct master_queue *q, enum master_task kind)
{
        struct master_rq *slots = queue_slots(q, kind), *best = NULL;
        for (size_t i = 0; i < q->per_kind; i++) {
                struct master_rq *rq = &slots[i];
                if (rq->state == MASTER_RQ_ACTIVE || rq->state == MASTER_RQ_ABANDONED)
                        return rq;
                if (rq->state == MASTER_RQ_QUEUED && (!best || rq->order < best->order))
                        best = rq;
        }
        return best;
}

bool master_queue_waiting(const struct master_queue *q, enum master_task kind,
                          uint64_t *ret_submitted)
{
        const struct master_rq *rq = master_queue_head(q, kind);
        if (!rq || rq->state != MASTER_RQ_QUEUED)
                return false;
        if (ret_submitted)
                *ret_submitted = rq->submitted;
        return true;
}

struct master_rq *master_queue_next(const struct master_queue *q, enum master_task kind)
{
        struct master_rq *rq = master_queue_head(q, kind);
        if (!rq || (rq->state != MASTER_RQ_QUEUED && rq->state != MASTER_RQ_ACTIVE))
                return NULL;
        return rq;
}

struct master_rq *master_queue_active(const struct master_queue *q, enum master_task kind)
{
        struct master_rq *rq = master_queue_head(q, kind);
        return rq && rq->state == MASTER_RQ_ACTIVE ? rq : NULL;
}

struct master_rq *master_queue_ended(const struct master_queue *q, enum master_task kind)
{
        struct master_rq *rq = master_queue_head(q, kind);
        if (rq && rq->state == MASTER_RQ_ABANDONED) {
                rq->state = MASTER_RQ_FREE;
                return NULL;
        }
        return rq && rq->state == MASTER_RQ_ACTIVE ? rq : NULL;
}

static bool queue_pending(const struct master_rq *rq)
{
        return rq->state == MASTER_RQ_QUEUED || rq->state == MASTER_RQ_ACTIVE;
}

uint64_t master_queue_deadline(const struct master_queue *q)
{
        uint64_t dl = DNP_NEVER;
        for (size_t i = 0; i < MASTER_QUEUE_KINDS * q->per_kind; i++)
                if (queue_pending(&q->rq[i]))
                        dl = dnp_deadline_min(dl, q->rq[i].deadline);
        return dl;
}

/* Report rq failed with res through its kind; the slot becomes `final` first. */
static void queue_fail(struct master_dev *d, struct master_rq *rq, enum master_cmd_res res,
                       uint64_t now, enum master_rq_state final)
{
        if (rq->kind == MASTER_TASK_CONTROL)
                master_control_fail(d, rq, res, now, final);
        else
                master_freeze_fail(d, rq, res, now, final);
}

/*
 * Slots in index order: every control, then every freeze.  A callback may
 * queue a new request; its deadline is later than now and it is not ACTIVE.
 */
void master_queue_timers(struct master_dev *d, uint64_t now)
{
        struct master_queue *q = &d->queue;
        for (size_t i = 0; i < MASTER_QUEUE_KINDS * q->per_kind; i++) {
                struct master_rq *rq = &q->rq[i];
                if (!queue_pending(rq) || rq->deadline > now)
                        continue;
                /* an active one keeps its slot until its transaction ends */
                queue_fail(d, rq, MASTER_CMD_RES_TIMEOUT, now,
                           rq->state == MASTER_RQ_ACTIVE ? MASTER_RQ_ABANDONED : MASTER_RQ_FREE);
        }
}

void master_queue_fail_all(struct master_dev *d, uint64_t now)
{
        struct master_queue *q = &d->queue;
        for (size_t i = 0; i < MASTER_QUEUE_KINDS * q->per_kind; i++) {
                struct master_rq *rq = &q->rq[i];
                if (rq->state == MASTER_RQ_ABANDONED)
                        rq->state = MASTER_RQ_FREE;
                else if (queue_pending(rq))
                        queue_fail(d, rq, MASTER_CMD_RES_OFFLINE, now, MASTER_RQ_FREE);
        }
}
