/* SPDX-License-Identifier: MIT */
/*
 * Internal to src/master: the structures behind the opaque master_chan and
 * master_dev, and the calls between master_chan.c (byte stream, demux,
 * transaction engine) and master_dev.c (scheduler, responses, controls).
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
 * The first task run from master_dev.due[] (a poll, in the wide sense):
 * CONTROL and FREEZE before it run from their queues instead.
 */
#define MASTER_TASK_FIRST_POLL (MASTER_TASK_FREEZE + 1)
_Static_assert(MASTER_TASK_CONTROL == 0 && MASTER_TASK_FREEZE == 1,
               "the queued tasks CONTROL and FREEZE come first, the polls after them");
_Static_assert(MASTER_TASK_MAX <= 16, "master_dev.owed is a uint16_t bitmask of tasks");

enum master_cmd_state {
        MASTER_CMD_FREE,
        MASTER_CMD_QUEUED,
        MASTER_CMD_ACTIVE,      /* its request is (or was) on the channel */
        MASTER_CMD_ABANDONED,   /* timed out and reported while its request is in flight */
};

struct master_cmd_slot {
        uint8_t state;          /* enum master_cmd_state */
        uint8_t mode;           /* enum master_cmd_mode */
        uint8_t step;           /* SBO: 0 = SELECT, 1 = OPERATE */
        bool sbo;               /* SELECT then OPERATE: mode SBO, or an OPERATE whose
                                 * selection at the device was lost (master_dev.h) */
        uint32_t id;
        uint64_t order;         /* FIFO position */
        uint64_t submitted;
        uint64_t deadline;      /* DNP_NEVER when no control_timeout */
        size_t n;
        struct master_cmd_obj objs[MASTER_CMD_MAX_OBJS];
        struct master_cmd_obj norm[MASTER_CMD_MAX_OBJS];
        master_cmd_cb cb;
        void *cb_ctx;
        struct master_cmd_result res;
};

/* A queued freeze request (master_freeze.c). */
struct master_frz_slot {
        uint8_t state;          /* enum master_cmd_state */
        uint32_t id;
        uint64_t order;         /* FIFO position */
        uint64_t submitted;
        uint64_t deadline;      /* DNP_NEVER when no control_timeout */
        uint16_t iin;           /* of the answer */
        bool answered;
        struct master_freeze f;
        master_freeze_cb cb;
        void *cb_ctx;
};

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
        uint64_t sent_at;
        uint64_t deadline;
};

struct master_dev {
        struct master_chan *chan;
        struct master_dev_cfg cfg;
        char name[MASTER_NAME_MAX];
        size_t idx;
        struct lsess ls;
        uint8_t *rxbuf;
        enum master_dev_state state;
        unsigned fails;                 /* consecutive failed transactions */
        uint64_t probe_due;             /* OFFLINE: earliest next attempt */
        /* select-before-operate pass-through (master_dev_cfg.select_hold_ms) */
        uint64_t hold_until;            /* polls held for the OPERATE until then; 0 = none */
        bool sel_intact;                /* the last request sent was SELECT sel_id, answered
                                         * SUCCESS: its OPERATE may follow as is */
        uint32_t sel_id;
        size_t sel_n;
        struct master_cmd_obj sel_objs[MASTER_CMD_MAX_OBJS];
        uint16_t owed;                  /* tasks (bit 1 << t) that run before the next control */
        uint64_t due[MASTER_TASK_MAX];  /* DNP_NEVER = not scheduled; from
                                         * MASTER_TASK_FIRST_POLL on (the rest unused) */
        uint8_t seq;                    /* next solicited request sequence */
        uint16_t iin;
        bool iin_known;
        /* unsolicited duplicate detection */
        bool unsol_last_valid;
        uint8_t unsol_last_seq;
        uint16_t unsol_last_crc;
        size_t unsol_last_len;
        /* time sync */
        uint8_t tsync_step;
        uint64_t tsync_proc_ms;         /* processing delay from g52 */
        bool tsync_proc_valid;
        uint64_t tsync_wall;            /* LAN: wall time the FC24 went out */
        /* request being sent (stays valid until the transaction ends) */
        uint8_t req[MASTER_REQ_MAX];
        size_t req_len;
        uint8_t conf[4];
        /* controls */
        struct master_cmd_slot *cmds;
        size_t ncmds;
        uint32_t next_cmd_id;
        uint64_t next_cmd_order;
        /* freezes (as many slots as controls) */
        struct master_frz_slot *frz;
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

/* master_chan.c, for master_dev.c */
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

/* master_dev.c, for master_chan.c */
int master_dev_init(struct master_dev *d, struct master_chan *ch, size_t idx,
                    const struct master_dev_cfg *cfg);
void master_dev_fini(struct master_dev *d);
void master_dev_start(struct master_dev *d, uint64_t now);
void master_dev_stop(struct master_dev *d, uint64_t now);
/* The device's highest-priority task ready at now, or MASTER_TASK_MAX (ends a
 * select hold that is over). */
enum master_task master_dev_ready(struct master_dev *d, uint64_t now);
/* Earliest time a task becomes ready (channel idle), or DNP_NEVER. */
uint64_t master_dev_next_due(const struct master_dev *d);
/* Earliest control timeout, or DNP_NEVER. */
uint64_t master_dev_cmd_deadline(const struct master_dev *d);
void master_dev_cmd_timers(struct master_dev *d, uint64_t now);
/*
 * Build the request of task t (next step) into d->req.  *ret_expect: a
 * response is awaited.  0, or <0 when the task has nothing to send (it is
 * dropped).
 */
int master_dev_build(struct master_dev *d, enum master_task t, uint64_t now, uint8_t *ret_func,
                     bool *ret_expect);
/* A fragment of the response to the transaction: 0 accepted, <0 invalid (not confirmed). */
int master_dev_on_response(struct master_dev *d, const struct master_txn *t,
                           const struct apdu_hdr *h, const uint8_t *objs, size_t n,
                           uint64_t now);
/*
 * An unsolicited fragment (apdu/len: the whole fragment, for duplicate
 * detection; objs/n: its object part): returns true when it must be confirmed.
 */
bool master_dev_on_unsol(struct master_dev *d, const struct apdu_hdr *h, const uint8_t *apdu,
                         size_t len, const uint8_t *objs, size_t n, uint64_t now);
/*
 * The transaction ended: ok = valid final fragment (or sent, when none was
 * expected).  Returns 1 when the task continues with another request
 * already built into d->req (*ret_func, *ret_expect), 0 otherwise.
 */
int master_dev_txn_done(struct master_dev *d, const struct master_txn *t, bool ok,
                        uint64_t now, uint8_t *ret_func, bool *ret_expect);
/* The transaction was dropped without an answer (channel closed). */
void master_dev_txn_abort(struct master_dev *d, const struct master_txn *t);

/* master_freeze.c, for master_dev.c: the FREEZE task and its queue (d->frz, d->ncmds slots) */
/* Whether a freeze waits to be sent; *ret_submitted (if not NULL): since when. */
bool master_freeze_queued(const struct master_dev *d, uint64_t *ret_submitted);
/* Build the head freeze into d->req; <0 when there is none or it cannot be built (reported). */
int master_freeze_build(struct master_dev *d, uint8_t seq, uint64_t now, uint8_t *ret_func,
                        bool *ret_expect, size_t *ret_len);
/* A response to the freeze in flight, valid or not: the device answered. */
void master_freeze_on_response(struct master_dev *d, uint16_t iin);
/* The freeze transaction ended (see master_dev_txn_done). */
void master_freeze_txn_done(struct master_dev *d, const struct master_txn *t, bool ok,
                            uint64_t now);
uint64_t master_freeze_deadline(const struct master_dev *d);
void master_freeze_timers(struct master_dev *d, uint64_t now);
/* Device offline or stopped: every queued or active freeze fails OFFLINE. */
void master_freeze_fail_all(struct master_dev *d, uint64_t now);
