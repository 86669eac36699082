/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/master: the structures behind the opaque master_chan and
 * master_dev, and the calls between the files that implement them:
 *
 *   master_chan.c     byte stream, demux by address, the one transaction in
 *                     flight, the choice of the next task across devices
 *   master_dev.c      a device: setup, life cycle, online/offline, the
 *                     request of a task and the end of its transaction
 *   master_sched.c    which task is due and ready: poll periods, demands,
 *                     owed polls, the offline probe, the select hold
 *   master_queue.c    the one queue of requests (controls and freezes):
 *                     slots, ids, FIFO order, deadlines, fail-all
 *   master_control.c  the control requests of the queue (SELECT/OPERATE)
 *   master_freeze.c   the freeze requests of the queue
 *   master_rsp.c      responses and unsolicited responses: measurements, IIN
 *   master_tsync.c    the time-sync state machine
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/app.h"
#include "dnp3/link.h"
#include "dnp3/lsess.h"
#include "dnp3/dnptime.h"
#include "master/master_chan.h"
#include "master/master_cmd.h"
#include "master/master_dev.h"

#define MASTER_REQ_MAX 1024

/*
 * The tasks before MASTER_TASK_FIRST_POLL run requests from the device's
 * queue (their kinds: CONTROL, FREEZE); the polls from it on are scheduled
 * by master_sched.due[].
 */
#define MASTER_TASK_FIRST_POLL (MASTER_TASK_FREEZE + 1)
#define MASTER_QUEUE_KINDS MASTER_TASK_FIRST_POLL
_Static_assert(MASTER_TASK_CONTROL == 0 && MASTER_TASK_FREEZE == 1,
               "the queued tasks CONTROL and FREEZE come first, the polls after them");
_Static_assert(MASTER_TASK_MAX <= 16, "master_sched.owed is a uint16_t bitmask of tasks");

/* ---- the scheduler (master_sched.c) ---- */

struct master_sched {
        uint64_t due[MASTER_TASK_MAX];  /* DNP_NEVER = not scheduled; from
                                         * MASTER_TASK_FIRST_POLL on (the rest unused) */
        uint16_t owed;                  /* tasks (bit 1 << t) that run before the next request
                                         * from the queue */
        uint64_t probe_due;             /* OFFLINE: earliest next attempt */
        /* select-before-operate pass-through (master_dev_cfg.select_hold_ms) */
        uint64_t hold_until;            /* polls held for the OPERATE until then; 0 = none */
        bool sel_intact;                /* the last request sent was SELECT sel_id, answered
                                         * SUCCESS: its OPERATE may follow as is */
        uint32_t sel_id;
        size_t sel_n;
        struct master_cmd_obj sel_objs[MASTER_CMD_MAX_OBJS];
};

/* ---- the queue of requests (master_queue.c) ---- */

enum master_rq_state {
        MASTER_RQ_FREE,
        MASTER_RQ_QUEUED,
        MASTER_RQ_ACTIVE,       /* its request is (or was) on the channel */
        MASTER_RQ_ABANDONED,    /* timed out and reported while its request is in flight */
};

/* What every queued request has, whatever its kind. */
struct master_rq {
        uint8_t kind;           /* MASTER_TASK_CONTROL or MASTER_TASK_FREEZE */
        uint8_t state;          /* enum master_rq_state */
        uint32_t id;
        uint64_t order;         /* FIFO position */
        uint64_t submitted;
        uint64_t deadline;      /* DNP_NEVER when no control_timeout */
};

/* A control request (master_control.c). */
struct master_ctl {
        uint8_t mode;           /* enum master_cmd_mode */
        uint8_t step;           /* SBO: 0 = SELECT, 1 = OPERATE */
        bool sbo;               /* SELECT then OPERATE: mode SBO, or an OPERATE whose
                                 * selection at the device was lost (master_dev.h) */
        size_t n;
        struct master_cmd_obj objs[MASTER_CMD_MAX_OBJS];
        struct master_cmd_obj norm[MASTER_CMD_MAX_OBJS];
        master_cmd_cb cb;
        void *cb_ctx;
        struct master_cmd_result res;
};

/* A freeze request (master_freeze.c). */
struct master_frz {
        uint16_t iin;           /* of the answer */
        bool answered;
        struct master_freeze f;
        master_freeze_cb cb;
        void *cb_ctx;
};

/*
 * per_kind slots for each kind (max_controls controls and, apart, as many
 * freezes): rq[k * per_kind + i] is slot i of kind k, its payload ctl[i]
 * (controls) or frz[i] (freezes).  The head of a kind is its ACTIVE or
 * ABANDONED request, else its oldest QUEUED one; controls go before
 * freezes (task priority), each kind in FIFO order.
 */
struct master_queue {
        struct master_rq *rq;           /* MASTER_QUEUE_KINDS * per_kind */
        struct master_ctl *ctl;         /* per_kind */
        struct master_frz *frz;         /* per_kind */
        size_t per_kind;
        uint32_t next_id;
        uint64_t next_order;
};

/* ---- responses (master_rsp.c) ---- */

struct master_rsp {
        uint16_t iin;                   /* of the last valid response */
        bool iin_known;
        /* unsolicited duplicate detection */
        bool unsol_last_valid;
        uint8_t unsol_last_seq;
        uint16_t unsol_last_crc;
        size_t unsol_last_len;
};

/* ---- time sync (master_tsync.c) ---- */

/*
 * The time-sync task's state: which of its requests is on the channel.
 *   IDLE    -> WRITE   time_sync write without measure_delay: one WRITE g50v1
 *   IDLE    -> DELAY   time_sync write with measure_delay: DELAY_MEASURE
 *   IDLE    -> RECORD  time_sync lan: RECORD_CURRENT_TIME
 *   DELAY   -> WRITE   answered: WRITE g50v1 corrected by the measured delay
 *   RECORD  -> WRITE   answered: WRITE g50v3 of the time RECORD went out
 *   WRITE   -> IDLE    the task ends; any failure or abort -> IDLE as well
 */
enum master_tsync_state {
        MASTER_TSYNC_ST_IDLE,
        MASTER_TSYNC_ST_DELAY,
        MASTER_TSYNC_ST_RECORD,
        MASTER_TSYNC_ST_WRITE,
};

struct master_tsync_sm {
        uint8_t state;                  /* enum master_tsync_state */
        uint64_t proc_ms;               /* DELAY: the outstation's processing delay (g52),
                                         * then the one-way delay to add */
        bool proc_valid;
        uint64_t wall;                  /* RECORD: wall time the FC24 went out */
};

/* ---- the structures ---- */

/* The transaction in flight on a channel. */
struct master_txn {
        bool active;
        struct master_dev *dev;
        uint8_t task;           /* enum master_task */
        uint8_t func;
        uint8_t seq;            /* request sequence */
        bool expect_rsp;
        bool got_fir;           /* a first fragment arrived */
        uint8_t next_seq;       /* sequence of the next fragment */
        unsigned tries;         /* sends of the current request */
        bool held;              /* our CONFIRM of its last fragment is held (no timer) */
        bool held_fin;          /* ... and that fragment was the final one */
        uint64_t sent_at;
        uint64_t deadline;      /* DNP_NEVER while held */
};

/* A CONFIRM held by hold_confirm (master_chan.h), per device: solicited, unsolicited. */
enum master_held { MASTER_HELD_SOL, MASTER_HELD_UNSOL, MASTER_HELD_MAX };

struct master_dev {
        struct master_chan *chan;
        struct master_dev_cfg cfg;
        char name[MASTER_NAME_MAX];
        size_t idx;
        struct lsess ls;
        uint8_t *rxbuf;
        enum master_dev_state state;
        unsigned fails;                 /* consecutive failed transactions */
        uint8_t seq;                    /* next solicited request sequence */
        /* request being sent (stays valid until the transaction ends) */
        uint8_t req[MASTER_REQ_MAX];
        size_t req_len;
        uint8_t conf[4];
        bool held[MASTER_HELD_MAX];     /* a CONFIRM waits for master_chan_release_confirms */
        uint8_t held_seq[MASTER_HELD_MAX];
        struct master_sched sched;
        struct master_queue queue;
        struct master_rsp rsp;
        struct master_tsync_sm tsync;
        struct master_dev_stats stats;
};

struct master_chan {
        struct dnp_sess sess;           /* the session interface (dnp3/sess.h) */
        struct master_chan_cfg cfg;
        struct master_callbacks cb;
        bool open;
        int64_t wall_offset;
        struct link_scanner scan;
        struct master_dev **devs;
        size_t ndev;
        size_t rr;                      /* device index the round robin starts from */
        struct master_txn txn;
        uint8_t *out;
        size_t out_len;
        struct master_chan_stats stats;
};

static inline uint64_t master_wall(const struct master_chan *ch, uint64_t now)
{
        return dnptime_wall(now, ch->wall_offset);
}

/* ---- master_chan.c, for the device files ---- */
/*
 * Work was queued from outside the channel's verbs (a control, a freeze, a
 * demanded poll, a hold that ended): the deadline moved, possibly to now.
 * Wakes the runner, which runs the timer verb at once when the deadline has
 * come (no 0 ms timer) and sends the request in this same pass.
 */
void master_chan_work(struct master_chan *ch);
int master_chan_send_apdu(struct master_chan *ch, struct master_dev *d, const uint8_t *apdu,
                          size_t len, uint64_t now);
void master_chan_diag(struct master_chan *ch, const struct master_diag *dg);

/* ---- master_dev.c, for master_chan.c and the device files ---- */
int master_dev_init(struct master_dev *d, struct master_chan *ch, size_t idx,
                    const struct master_dev_cfg *cfg);
void master_dev_fini(struct master_dev *d);
void master_dev_start(struct master_dev *d, uint64_t now);
void master_dev_stop(struct master_dev *d, uint64_t now);
/*
 * Build the request of task t (next step) into d->req.  *ret_expect: a
 * response is awaited.  0, or <0 when the task has nothing to send (it is
 * dropped).
 */
int master_dev_build(struct master_dev *d, enum master_task t, uint64_t now, uint8_t *ret_func,
                     bool *ret_expect);
/*
 * The transaction ended: ok = valid final fragment (or sent, when none was
 * expected).  Returns 1 when the task continues with another request
 * already built into d->req (*ret_func, *ret_expect), 0 otherwise.
 */
int master_dev_txn_done(struct master_dev *d, const struct master_txn *t, bool ok,
                        uint64_t now, uint8_t *ret_func, bool *ret_expect);
/* The transaction was dropped without an answer (channel closed). */
void master_dev_txn_abort(struct master_dev *d, const struct master_txn *t);
/* A valid response to task `task` (MASTER_TASK_MAX: unsolicited) came: the device is online. */
void master_dev_comm_good(struct master_dev *d, enum master_task task, uint64_t now);

/* ---- master_sched.c ---- */
void master_sched_init(struct master_sched *s);
/* The channel opened: first = the device never answered (the startup tasks run). */
void master_sched_start(struct master_sched *s, const struct master_dev_cfg *cfg, bool first,
                        uint64_t now);
/* The channel closed: no selection, hold or debt; probe at once when it opens. */
void master_sched_stop(struct master_sched *s, uint64_t now);
/* The device went (or stays) offline: probe after retry_ms, integrity poll on restore. */
void master_sched_offline(struct master_sched *s, uint64_t retry_ms, uint64_t now);
/* Task t (a poll) is due now at the latest. */
void master_sched_demand(struct master_sched *s, enum master_task t, uint64_t now);
/*
 * The device's highest-priority task ready at now, or MASTER_TASK_MAX (ends a
 * select hold that is over).
 */
enum master_task master_sched_ready(struct master_dev *d, uint64_t now);
/* Earliest time a task becomes ready (channel idle), or DNP_NEVER. */
uint64_t master_sched_next_due(const struct master_dev *d);
/* Control c is the OPERATE of the selection the device holds now. */
bool master_sched_sel_matches(const struct master_sched *s, const struct master_ctl *c);
/* SELECT control id (objs, n) was answered SUCCESS for every object. */
void master_sched_selected(struct master_sched *s, uint32_t id, const struct master_cmd_obj *objs,
                           size_t n, uint64_t hold_ms, uint64_t now);
/* The upstream selection of SELECT id ended: true when it was the device's (hold ended). */
bool master_sched_select_end(struct master_sched *s, uint32_t id, uint64_t now);
/*
 * The request of task t was built (r = 0) or t has nothing to send (r < 0,
 * the task is dropped): a debt is paid; whatever goes to the device ends
 * its selection.
 */
void master_sched_built(struct master_sched *s, enum master_task t, int r);
/* Task t ended (ok: with a valid response): when it is due again. */
void master_sched_done(struct master_sched *s, const struct master_dev_cfg *cfg,
                       enum master_task t, bool ok, uint64_t now);

/* ---- master_queue.c ---- */
int master_queue_init(struct master_queue *q, size_t per_kind);
void master_queue_fini(struct master_queue *q);
/*
 * A free slot of kind for a new request: 0 and *ret (the caller fills its
 * payload, then master_queue_push), -ENOTCONN (device not ONLINE or channel
 * closed), -EBUSY (the kind's slots are taken).
 */
int master_queue_slot(struct master_dev *d, enum master_task kind, struct master_rq **ret);
/*
 * Queue rq: the next id (*ret_id) and FIFO position, a deadline
 * control_timeout_ms after now; wakes the channel.
 */
void master_queue_push(struct master_dev *d, struct master_rq *rq, uint64_t now,
                       uint32_t *ret_id);
/* The head of kind (see struct master_queue), or NULL. */
struct master_rq *master_queue_head(const struct master_queue *q, enum master_task kind);
/* Whether the head of kind waits to be sent; *ret_submitted (if not NULL): since when. */
bool master_queue_waiting(const struct master_queue *q, enum master_task kind,
                          uint64_t *ret_submitted);
/* The head of kind when QUEUED or ACTIVE (its request is to be built), else NULL. */
struct master_rq *master_queue_next(const struct master_queue *q, enum master_task kind);
/* The head of kind when ACTIVE (a response is for it), else NULL. */
struct master_rq *master_queue_active(const struct master_queue *q, enum master_task kind);
/*
 * The transaction of kind ended: its ACTIVE head to report, or NULL (an
 * ABANDONED head, already reported, is freed now).
 */
struct master_rq *master_queue_ended(const struct master_queue *q, enum master_task kind);
/* Earliest deadline of a QUEUED or ACTIVE request, or DNP_NEVER. */
uint64_t master_queue_deadline(const struct master_queue *q);
/* Requests past their deadline fail TIMEOUT (an ACTIVE one becomes ABANDONED). */
void master_queue_timers(struct master_dev *d, uint64_t now);
/* Device offline or stopped: every QUEUED or ACTIVE request fails OFFLINE. */
void master_queue_fail_all(struct master_dev *d, uint64_t now);

static inline struct master_ctl *master_queue_ctl(const struct master_queue *q,
                                                  const struct master_rq *rq)
{
        return &q->ctl[rq - q->rq];
}

static inline struct master_frz *master_queue_frz(const struct master_queue *q,
                                                  const struct master_rq *rq)
{
        return &q->frz[(size_t)(rq - q->rq) - q->per_kind];
}

/* ---- master_control.c: the CONTROL kind of the queue ---- */
/* master_dev_control (master_dev.h). */
int master_control_submit(struct master_dev *d, enum master_cmd_mode mode,
                          const struct master_cmd_obj *objs, size_t n, master_cmd_cb cb,
                          void *cb_ctx, uint64_t now, uint32_t *ret_id);
/* Build the next request of control rq (the head) into d->req; <0: not buildable (reported). */
int master_control_build(struct master_dev *d, struct master_rq *rq, uint8_t seq, uint64_t now,
                         uint8_t *ret_func, size_t *ret_len);
/* A response to the control in flight, valid or not: check the echo. */
void master_control_on_response(struct master_dev *d, const uint8_t *objs, size_t n,
                                uint16_t iin);
/* The control transaction ended (see master_dev_txn_done): 1 when SBO's OPERATE follows. */
int master_control_done(struct master_dev *d, const struct master_txn *t, bool ok, uint64_t now,
                        uint8_t *ret_func, bool *ret_expect);
/* Report control rq failed with res; the slot becomes `final` first. */
void master_control_fail(struct master_dev *d, struct master_rq *rq, enum master_cmd_res res,
                         uint64_t now, enum master_rq_state final);

/* ---- master_freeze.c: the FREEZE kind of the queue ---- */
/* master_dev_freeze (master_dev.h). */
int master_freeze_submit(struct master_dev *d, const struct master_freeze *f,
                         master_freeze_cb cb, void *cb_ctx, uint64_t now, uint32_t *ret_id);
/* Build freeze rq (the head) into d->req; <0: it cannot be built (reported). */
int master_freeze_build(struct master_dev *d, struct master_rq *rq, uint8_t seq, uint64_t now,
                        uint8_t *ret_func, size_t *ret_len);
/* A response to the freeze in flight, valid or not: the device answered. */
void master_freeze_on_response(struct master_dev *d, uint16_t iin);
/* The freeze transaction ended (see master_dev_txn_done). */
void master_freeze_done(struct master_dev *d, const struct master_txn *t, bool ok, uint64_t now);
/* Report freeze rq failed with res; the slot becomes `final` first. */
void master_freeze_fail(struct master_dev *d, struct master_rq *rq, enum master_cmd_res res,
                        uint64_t now, enum master_rq_state final);

/* ---- master_rsp.c ---- */
void master_rsp_reset(struct master_rsp *r);
/* A fragment of the response to the transaction: 0 accepted, <0 invalid (not confirmed). */
int master_rsp_on_response(struct master_dev *d, const struct master_txn *t,
                           const struct apdu_hdr *h, const uint8_t *objs, size_t n,
                           uint64_t now);
/*
 * An unsolicited fragment (apdu/len: the whole fragment, for duplicate
 * detection; objs/n: its object part): returns true when it must be confirmed.
 */
bool master_rsp_on_unsol(struct master_dev *d, const struct apdu_hdr *h, const uint8_t *apdu,
                         size_t len, const uint8_t *objs, size_t n, uint64_t now);

/* ---- master_tsync.c ---- */
/* Back to IDLE (a new link, an aborted transaction). */
void master_tsync_reset(struct master_tsync_sm *s);
/* Build the request of the current state into d->req (IDLE: the first one). */
int master_tsync_build(struct master_dev *d, uint8_t seq, uint64_t now, uint8_t *ret_func,
                       size_t *ret_len);
/* The TIME_SYNC transaction ended: 1 when the next request is built (see master_dev_txn_done). */
int master_tsync_done(struct master_dev *d, const struct master_txn *t, bool ok, uint64_t now,
                      uint8_t *ret_func, bool *ret_expect);
/* Object visitor for the answer to DELAY_MEASURE (ctx: struct master_tsync_sm). */
int master_tsync_on_delay(void *ctx, const struct obj_hdr *h, const struct dnp_value *v);
