/* SPDX-License-Identifier: MIT */
/*
 * One runner binds any DNP3 session (dnp3/sess.h: the outstation session,
 * the master channel) to any byte pipe (io/pipe.h) and one timer.  It is
 * the only code that drives a session from the event loop:
 *
 *   pipe up        -> sess up(now)
 *   pipe data      -> sess rx(bytes, now)
 *   pipe down      -> sess down(now)
 *   timer          -> sess timer(now)
 *   sess wake      -> (nothing to call: the session changed by itself)
 *
 * and after each of them, in the same event-loop pass ("after"):
 *   1. a drop the session asked for (dnp_sess_drop) closes the pipe
 *      (counted; the pipe's on_down then brings the session down);
 *   2. flush: the session's output goes to io_pipe_write() chunk by chunk
 *      (each written at once, see io/pipe.h) until it has none, the pipe
 *      refuses (-ENOBUFS: reading stops until on_drained, which flushes
 *      again) or the pipe is down;
 *   3. a deadline already due runs the timer verb at once, then 1-2 again
 *      (bounded: IO_RUNNER_MAX_DUE times; never a 0 ms timer);
 *   4. the one timer is re-armed at the session's deadline (none at
 *      DNP_NEVER: an idle session never wakes up).
 * A wake raised while a verb runs (an application call made from inside
 * an upcall) is remembered and handled when the outermost verb returns.
 * A wake from anywhere else (another session's upcall, the application)
 * runs "after" at once: a control that arrives on one session's pipe is
 * written to the other session's pipe in the pass that read it.
 *
 * A tap (io_runner_set_tap) sees a copy of the bytes: those read, before
 * the session gets them (rx), and each chunk the pipe took (tx).  Without
 * one (the default) the cost is one pointer test per read and write.
 *
 * `now` is monotonic milliseconds (io_mono_ms()); the owner's `before`
 * hook runs before each verb (the master channel keeps its wall-clock
 * offset current there).  Freeing the runner from inside one of its
 * callbacks is not allowed.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/sess.h"
#include "io/pipe.h"

struct event_base;

/* Due deadlines run at once at most this many times per "after". */
#define IO_RUNNER_MAX_DUE 8
/* Output chunks written per "after" (each at most one frame or fragment). */
#define IO_RUNNER_MAX_WRITES 64

struct io_runner_cb {
        /* Before each verb, after the runner read the clock (may be NULL). */
        void (*before)(void *ctx);
        /* The pipe came up (the session is up) / went down (it is down). */
        void (*on_up)(void *ctx);
        void (*on_down)(void *ctx, int err, const char *what);
        /*
         * The first bytes of each attached pipe, before the session sees
         * them (may be NULL): NULL takes them; a text refuses them: the
         * pipe is closed with -EPROTO and that text, the session sees none.
         */
        const char *(*screen)(void *ctx, const uint8_t *p, size_t n);
};

struct io_runner_stats {
        uint64_t activations;   /* times the loop entered the runner (read, drained, timer, wake) */
        uint64_t wakeups;       /* wakes raised outside the runner's own verbs */
        uint64_t timer_wakeups; /* times the timer fired */
        uint64_t due_now;       /* timer verbs run at once for a deadline already due */
        uint64_t reads;         /* pipe reads handed to the session */
        uint64_t writes;        /* output chunks the pipe took */
        uint64_t write_blocked; /* times the pipe refused output (-ENOBUFS) */
        uint64_t drained;       /* times the pipe's drained signal resumed output */
        uint64_t drops;         /* links dropped on the session's request */
};

struct io_runner;

/* The bytes a runner read (tx false) or wrote (tx true), for a protocol trace. */
typedef void (*io_runner_tap_fn)(void *ctx, bool tx, const uint8_t *p, size_t n);

/* Sets the session's wake upcall to the runner.  0 or -ENOMEM. */
int io_runner_new(struct event_base *base, struct dnp_sess *s, const struct io_runner_cb *cb,
                  void *ctx, struct io_runner **ret);
/* Frees the attached pipe too.  Not from inside a callback of this runner. */
void io_runner_free(struct io_runner *r);

/*
 * The runner takes p (and frees it: an accepted connection when it goes
 * down, any pipe with the runner).  An up pipe brings the session up now,
 * then held[0..n) (bytes read before, e.g. by a shared endpoint) go to it.
 * A pipe attached before is closed (reported) first.
 */
void io_runner_attach(struct io_runner *r, struct io_pipe *p, const uint8_t *held, size_t n);
struct io_pipe *io_runner_pipe(const struct io_runner *r);
bool io_runner_is_up(const struct io_runner *r);
/* Close the pipe now (on_down follows, the session goes down). */
void io_runner_close(struct io_runner *r, int err, const char *what);
const struct io_runner_stats *io_runner_stats(const struct io_runner *r);
/* Set (fn != NULL) or remove (NULL) the tap.  The tap must not free the runner. */
void io_runner_set_tap(struct io_runner *r, io_runner_tap_fn fn, void *ctx);
