/* SPDX-License-Identifier: MIT */
/*
 * One outstation (IED) polled by a master channel: its configuration, its
 * tasks, its controls and freezes.  Devices are created by
 * master_chan_add_dev() and freed with their channel.
 *
 * Tasks, highest priority first (X-macro order).  Among devices the
 * channel runs the highest-priority ready task, round-robin between devices
 * whose ready tasks have equal priority, one transaction at a time.
 *
 *   CONTROL         queued controls (master_dev_control)
 *   FREEZE          queued freeze requests (master_dev_freeze)
 *   CLEAR_RESTART   WRITE g80v1 index 7 = 0, whenever a response shows IIN1.7
 *   DISABLE_UNSOL   at startup when unsolicited is not configured
 *   INTEGRITY       READ class 1,2,3,0: at startup, every integrity_ms, when
 *                   IIN1.7 or IIN2.3 appears, when the device comes back online
 *   ENABLE_UNSOL    at startup (after the integrity poll) and after a restart,
 *                   when unsolicited is configured
 *   TIME_SYNC       at startup, on IIN1.4 and every time_sync_ms (not NONE)
 *   CLASS1..CLASS3  READ g60v2..v4 every class_ms[0..2]
 *
 * A device is UNKNOWN until its first valid response (-> ONLINE, upcall).
 * comm_fail_after consecutive failed transactions (each = response timeout
 * x (retries + 1), or an invalid response) make it OFFLINE (upcall); while
 * offline only one task (a probe, normally the integrity poll) is tried
 * every offline_retry_ms; the first valid response brings it back ONLINE
 * and an integrity poll follows.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/names.h"
#include "master/master_cmd.h"
#include "master/master_req.h"

struct master_dev;

#define MASTER_NAME_MAX 64

#define MASTER_TASK_LIST(X)                     \
        X(CONTROL, "control")                   \
        X(FREEZE, "freeze")                     \
        X(CLEAR_RESTART, "clear_restart")       \
        X(DISABLE_UNSOL, "disable_unsolicited") \
        X(INTEGRITY, "integrity_poll")          \
        X(ENABLE_UNSOL, "enable_unsolicited")   \
        X(TIME_SYNC, "time_sync")               \
        X(CLASS1, "class1_poll")                \
        X(CLASS2, "class2_poll")                \
        X(CLASS3, "class3_poll")

#define MASTER_TASK_ENUM(name, str) MASTER_TASK_##name,
NAMES_ENUM(master_task, MASTER_TASK_LIST, MASTER_TASK_ENUM, MASTER_TASK_MAX, master_task_name);

/*
 * Time synchronisation (config key time_sync):
 *   WRITE: with measure_delay: DELAY_MEASURE (FC23), then WRITE g50v1 =
 *          wall time + (round trip - outstation processing delay) / 2
 *          (the non-LAN procedure, serial lines); without: one WRITE g50v1
 *          of the wall time when the request is built
 *   LAN:   RECORD_CURRENT_TIME (FC24), then WRITE g50v3 = the wall time at
 *          which the FC24 request was sent
 */
#define MASTER_TSYNC_LIST(X)    \
        X(NONE, "none")         \
        X(WRITE, "write")       \
        X(LAN, "lan")

#define MASTER_TSYNC_ENUM(name, str) MASTER_TSYNC_##name,
NAMES_ENUM(master_tsync, MASTER_TSYNC_LIST, MASTER_TSYNC_ENUM, MASTER_TSYNC_MAX,
           master_tsync_name);

#define MASTER_DEV_STATE_LIST(X)        \
        X(UNKNOWN, "unknown")           \
        X(ONLINE, "online")             \
        X(OFFLINE, "offline")

#define MASTER_DEV_STATE_ENUM(name, str) MASTER_DEV_##name,
NAMES_ENUM(master_dev_state, MASTER_DEV_STATE_LIST, MASTER_DEV_STATE_ENUM, MASTER_DEV_STATE_MAX,
           master_dev_state_name);

/* "none" | "write" | "lan" -> 0 and *ret, or -EINVAL. */
int master_tsync_from_name(const char *s, enum master_tsync *ret);

/* Mirrors the device keys of dnp3gw.conf (seconds there, milliseconds here). */
struct master_dev_cfg {
        const char *name;               /* copied, at most MASTER_NAME_MAX - 1 bytes */
        uint16_t address;               /* the device's link address */
        uint64_t integrity_ms;          /* integrity_poll; 0 = only when needed */
        uint64_t class_ms[3];           /* class_polls; 0 = never */
        bool unsolicited;               /* enable and accept unsolicited responses */
        unsigned unsol_classes;         /* MASTER_CLASS1..3 (master_req.h); 0 = all three */
        enum master_tsync time_sync;
        uint64_t time_sync_ms;          /* time_sync_interval; 0 = startup and IIN1.4 only */
        bool measure_delay;             /* WRITE: FC23 first and correct the time (see above) */
        unsigned comm_fail_after;       /* consecutive failed transactions -> offline; 0 = 1 */
        uint64_t control_timeout_ms;    /* control_timeout; 0 = no timeout besides retries */
        uint64_t offline_retry_ms;      /* probe period while offline; 0 = 10 s */
        unsigned max_controls;          /* controls (and, apart, freezes) queued at once; 0 = 4 */
        /*
         * Gateway pass-through of select-before-operate: after a
         * MASTER_CMD_SELECT control succeeds (every object SUCCESS) the
         * device's polls are held so that its OPERATE is the next request
         * (the sequence number after the SELECT's, nothing in between), at
         * most this long; 0 = no hold.  See master_dev_select_end() and
         * MASTER_CMD_OPERATE (master_dev_control) for the rest.
         */
        uint64_t select_hold_ms;
        void *user;                     /* for the upcalls (master_dev_user) */
};

struct master_dev_stats {
        uint64_t transactions;          /* requests that completed with a valid response */
        uint64_t failed;                /* transactions that failed (timeouts, bad responses) */
        uint64_t timeouts;              /* response timeouts (each attempt) */
        uint64_t retries;               /* requests sent again */
        uint64_t bad_responses;         /* fragments that did not parse */
        uint64_t unexpected;            /* responses with a wrong sequence / none expected */
        uint64_t tasks[MASTER_TASK_MAX];/* tasks completed with a valid response */
        uint64_t unsolicited;           /* unsolicited fragments delivered */
        uint64_t unsol_duplicates;      /* repeated unsolicited fragments (confirmed again) */
        uint64_t unsol_rejected;        /* unsolicited while not enabled */
        uint64_t values;                /* measurements delivered */
        uint64_t controls;              /* controls finished */
        uint64_t freezes;               /* freeze requests finished */
        uint64_t offline_events;
};

const char *master_dev_name(const struct master_dev *d);
uint16_t master_dev_address(const struct master_dev *d);
void *master_dev_user(const struct master_dev *d);
enum master_dev_state master_dev_get_state(const struct master_dev *d);
uint16_t master_dev_iin(const struct master_dev *d);   /* IIN of the last response */
const struct master_dev_stats *master_dev_get_stats(const struct master_dev *d);

/* Called once when a control finishes (from inside master_chan_* calls). */
typedef void (*master_cmd_cb)(void *ctx, struct master_dev *d,
                              const struct master_cmd_result *r);

/*
 * Queue a control.  Returns 0 and *ret_id (passed back in the result),
 * -ENOTCONN when the device is not ONLINE or the channel closed (no
 * callback), -EINVAL for bad objects (n = 1..MASTER_CMD_MAX_OBJS), -EBUSY
 * when max_controls are queued.  The result comes through cb, never from
 * inside this call; the channel's deadline becomes `now`.  Controls run
 * before any poll that is not yet owed (see below).  control_timeout_ms
 * after `now` an unfinished control is reported TIMEOUT (an SBO whose
 * SELECT is answered later is not operated).
 */
int master_dev_control(struct master_dev *d, enum master_cmd_mode mode,
                       const struct master_cmd_obj *objs, size_t n, master_cmd_cb cb,
                       void *cb_ctx, uint64_t now, uint32_t *ret_id);

/* The outcome of a freeze request. */
struct master_freeze_result {
        uint32_t id;                    /* as returned by master_dev_freeze */
        uint8_t func;
        /*
         * enum master_cmd_res: OK (the device answered; iin says how, and
         * an answer that does not parse is not ok), TIMEOUT (no answer
         * within control_timeout / the retries), OFFLINE (device offline or
         * channel closed), SENT (an _NR function went out)
         */
        uint8_t res;
        bool ok;                        /* SENT, or OK: a valid answer without IIN2.0, 2.1, 2.2 */
        uint16_t iin;                   /* the device's answer (OK), else 0 */
        uint64_t at;                    /* `now` when it finished */
};

typedef void (*master_freeze_cb)(void *ctx, struct master_dev *d,
                                 const struct master_freeze_result *r);

/*
 * Queue a freeze request (master_req.h), like a control: 0 and *ret_id,
 * -EINVAL (function, ranges), -ENOTCONN (device not ONLINE or channel
 * closed: no callback), -EBUSY (max_controls freezes queued).  The result
 * comes through cb, never from inside this call; control_timeout_ms after
 * `now` an unfinished one is reported TIMEOUT.  Freezes run after the
 * queued controls and before any poll that is not yet owed (see below), and
 * wait while a SELECT is held.
 */
int master_dev_freeze(struct master_dev *d, const struct master_freeze *f, master_freeze_cb cb,
                      void *cb_ctx, uint64_t now, uint32_t *ret_id);

/*
 * Select-before-operate in two controls (the gateway's pass-through of an
 * upstream SELECT and OPERATE):
 *  - a MASTER_CMD_SELECT control answered SUCCESS for every object selects
 *    the device until the next request is sent to it, and holds its polls
 *    (select_hold_ms) for the OPERATE; controls still run;
 *  - a MASTER_CMD_OPERATE control of the same objects sent next is one
 *    OPERATE; when anything else went to the device since (a poll after the
 *    hold, another control) it is sent as SELECT then OPERATE, like
 *    MASTER_CMD_SBO, so that it never meets a selection the device dropped;
 *  - the hold ends at the first of: the OPERATE is sent, another control
 *    comes first, master_dev_select_end(), select_hold_ms.  Ended without
 *    the OPERATE it lets the polls that fell due meanwhile run before the
 *    next control (so before another SELECT can hold them again): a poll
 *    is delayed by one hold at most, never starved by a SELECT stream;
 *  - after every control or freeze the polls then due run before the next
 *    control or freeze: a flood of them delays a poll by one transaction,
 *    no more.
 */

/*
 * The upstream selection that SELECT control `id` (its ret_id) served has
 * ended without its OPERATE (superseded, expired, refused upstream): if
 * that SELECT holds the device's polls, the hold ends now.
 */
void master_dev_select_end(struct master_dev *d, uint32_t id, uint64_t now);

/* Ask for a task now (e.g. an integrity poll or time sync on operator demand). */
void master_dev_demand(struct master_dev *d, enum master_task t, uint64_t now);
