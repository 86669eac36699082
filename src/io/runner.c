/* SPDX-License-Identifier: MIT */
/* One session over one pipe with one timer: see runner.h. */
#include "io/runner.h"

#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>

#include "io/clock.h"

struct io_runner {
        struct dnp_sess *s;
        struct io_pipe *pipe;           /* attached, or NULL */
        struct io_deadline timer;       /* armed at the session's deadline */
        struct io_runner_cb cb;
        void *ctx;
        unsigned depth;                 /* > 0 while a verb runs */
        bool in_after;                  /* "after" is running */
        bool again;                     /* a wake arrived during a verb or "after" */
        bool blocked;                   /* the pipe refused output: wait for on_drained */
        bool screened;                  /* this link's first bytes were screened */
        io_runner_tap_fn tap;           /* NULL: nobody traces */
        void *tap_ctx;
        struct io_runner_stats stats;
};

/* Read the clock and let the owner prepare; the caller runs a verb next. */
static uint64_t run_now(struct io_runner *r)
{
        uint64_t now = io_mono_ms();
        if (r->cb.before)
                r->cb.before(r->ctx);
        return now;
}

static void run_rearm(struct io_runner *r, uint64_t now)
{
        uint64_t d = dnp_sess_deadline(r->s);
        if (d != DNP_NEVER && d <= now)
                d = now + 1;            /* still due after IO_RUNNER_MAX_DUE runs: no 0 ms timer */
        io_deadline_arm(&r->timer, d, now);
}

/* The session's output to the pipe until it has none or the pipe refuses. */
static void run_flush(struct io_runner *r, uint64_t now)
{
        for (unsigned i = 0; i < IO_RUNNER_MAX_WRITES; i++) {
                if (!r->pipe || !r->pipe->up || r->blocked)
                        return;
                const uint8_t *p;
                size_t n = dnp_sess_output(r->s, &p);
                if (n == 0)
                        return;
                int w = io_pipe_write(r->pipe, p, n);
                if (w == -ENOBUFS) {
                        r->blocked = true;
                        r->stats.write_blocked++;
                        io_pipe_pause_read(r->pipe, true);
                        return;
                }
                if (w < 0)
                        return;         /* closing: on_down follows from the loop */
                r->stats.writes++;
                if (r->tap)
                        r->tap(r->tap_ctx, true, p, n);
                r->depth++;
                dnp_sess_consumed(r->s, n, now);
                r->depth--;
        }
}

static void run_drop(struct io_runner *r)
{
        int err = r->s->drop;
        if (err >= 0)
                return;
        r->s->drop = 0;
        if (r->pipe && r->pipe->up) {
                r->stats.drops++;
                io_pipe_close(r->pipe, err, r->s->drop_what);
        }
}

/* After every verb and wake: drop, flush, run what is due, re-arm (see runner.h). */
static void run_after(struct io_runner *r, uint64_t now)
{
        if (r->depth > 0 || r->in_after) {
                r->again = true;
                return;
        }
        r->in_after = true;
        unsigned due = 0;
        for (unsigned i = 0; i < 2 * IO_RUNNER_MAX_DUE + 2; i++) {
                r->again = false;
                run_drop(r);
                run_flush(r, now);
                if (due < IO_RUNNER_MAX_DUE && dnp_sess_deadline(r->s) <= now) {
                        due++;
                        r->stats.due_now++;
                        r->depth++;
                        dnp_sess_timer(r->s, now);
                        r->depth--;
                        r->again = true;
                }
                if (!r->again)
                        break;
        }
        r->in_after = false;
        run_rearm(r, now);
}

/* A verb called from the loop: its wakes wait (depth) until run_leave() runs run_after(). */
static uint64_t run_enter(struct io_runner *r)
{
        r->depth++;
        return run_now(r);
}

static void run_leave(struct io_runner *r, uint64_t now)
{
        r->depth--;
        run_after(r, now);
}

static void run_on_wake(void *ctx)
{
        struct io_runner *r = ctx;
        if (r->depth > 0 || r->in_after) {
                r->again = true;        /* handled when the running verb returns */
                return;
        }
        r->stats.wakeups++;
        run_after(r, run_now(r));
}

static void run_on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct io_runner *r = arg;
        (void)fd;
        (void)what;
        io_deadline_fired(&r->timer);
        r->stats.activations++;
        r->stats.timer_wakeups++;
        uint64_t now = run_enter(r);
        dnp_sess_timer(r->s, now);
        run_leave(r, now);
}

/* ---- pipe callbacks ------------------------------------------------------ */

/* The first bytes of the attached pipe: false when the owner refused them (the pipe is closed). */
static bool run_screen(struct io_runner *r, const uint8_t *p, size_t n)
{
        if (r->screened || n == 0)
                return true;
        r->screened = true;
        const char *why = r->cb.screen ? r->cb.screen(r->ctx, p, n) : NULL;
        if (!why)
                return true;
        io_runner_close(r, -EPROTO, why);
        return false;
}

static void run_up(struct io_runner *r, const uint8_t *held, size_t n)
{
        r->blocked = false;
        r->screened = false;            /* a new link: its first bytes are screened */
        uint64_t now = run_enter(r);
        dnp_sess_up(r->s, now);
        if (r->cb.on_up)
                r->cb.on_up(r->ctx);
        if (n > 0 && run_screen(r, held, n)) {
                if (r->tap)
                        r->tap(r->tap_ctx, false, held, n);
                dnp_sess_rx(r->s, held, n, now);
        }
        run_leave(r, now);
}

static void run_on_up(void *ctx)
{
        struct io_runner *r = ctx;
        r->stats.activations++;
        run_up(r, NULL, 0);
}

static void run_on_data(void *ctx, const uint8_t *p, size_t n)
{
        struct io_runner *r = ctx;
        r->stats.activations++;
        r->stats.reads++;
        uint64_t now = run_enter(r);
        if (run_screen(r, p, n)) {
                if (r->tap)
                        r->tap(r->tap_ctx, false, p, n);
                dnp_sess_rx(r->s, p, n, now);
        }
        run_leave(r, now);
}

static void run_on_drained(void *ctx)
{
        struct io_runner *r = ctx;
        r->stats.activations++;
        if (r->blocked) {
                r->blocked = false;
                r->stats.drained++;
                io_pipe_pause_read(r->pipe, false);
        }
        run_after(r, run_now(r));
}

static void run_on_down(void *ctx, int err, const char *what)
{
        struct io_runner *r = ctx;
        r->stats.activations++;
        r->blocked = false;
        uint64_t now = run_enter(r);
        dnp_sess_down(r->s, now);
        if (!r->pipe->reopens) {        /* down for good: the runner's to free */
                io_pipe_free(r->pipe);
                r->pipe = NULL;
        }
        if (r->cb.on_down)
                r->cb.on_down(r->ctx, err, what);
        run_leave(r, now);
}

static const struct io_pipe_cb run_pipe_cb = {
        .on_up = run_on_up,
        .on_data = run_on_data,
        .on_drained = run_on_drained,
        .on_down = run_on_down,
};

/* ---- public -------------------------------------------------------------- */

int io_runner_new(struct event_base *base, struct dnp_sess *s, const struct io_runner_cb *cb,
                  void *ctx, struct io_runner **ret)
{
        struct io_runner *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->s = s;
        r->ctx = ctx;
        if (cb)
                r->cb = *cb;
        r->timer.armed = DNP_NEVER;
        r->timer.ev = evtimer_new(base, run_on_timer, r);
        if (!r->timer.ev) {
                free(r);
                return -ENOMEM;
        }
        s->wake = run_on_wake;
        s->wake_ctx = r;
        run_rearm(r, io_mono_ms());
        *ret = r;
        return 0;
}

void io_runner_free(struct io_runner *r)
{
        if (!r)
                return;
        if (r->pipe) {
                r->pipe->cb = (struct io_pipe_cb){ 0 };
                io_pipe_free(r->pipe);
        }
        r->s->wake = NULL;
        r->s->wake_ctx = NULL;
        event_free(r->timer.ev);
        free(r);
}

void io_runner_attach(struct io_runner *r, struct io_pipe *p, const uint8_t *held, size_t n)
{
        if (r->pipe) {
                io_runner_close(r, -ECONNRESET, "replaced");
                if (r->pipe) {          /* a reopening pipe stays attached when closed */
                        r->pipe->cb = (struct io_pipe_cb){ 0 };
                        io_pipe_free(r->pipe);
                }
        }
        r->pipe = p;
        r->blocked = false;
        io_pipe_set_cb(p, &run_pipe_cb, r);
        if (p->up)
                run_up(r, held, n);
}

struct io_pipe *io_runner_pipe(const struct io_runner *r)
{
        return r->pipe;
}

bool io_runner_is_up(const struct io_runner *r)
{
        return r->pipe && r->pipe->up;
}

void io_runner_close(struct io_runner *r, int err, const char *what)
{
        if (r->pipe && r->pipe->up)
                io_pipe_close(r->pipe, err, what);
}

const struct io_runner_stats *io_runner_stats(const struct io_runner *r)
{
        return &r->stats;
}

void io_runner_set_tap(struct io_runner *r, io_runner_tap_fn fn, void *ctx)
{
        r->tap = fn;
        r->tap_ctx = fn ? ctx : NULL;
}
