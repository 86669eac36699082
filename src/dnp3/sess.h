/* SPDX-License-Identifier: MIT */
/*
 * The one shape of a DNP3 session: the outstation session
 * (outstation/outst.h) and the master channel (master/master_chan.h) both
 * implement it, so one runner (io/runner.h) carries either over any byte
 * pipe (an accepted TCP connection, a TCP client, a serial port).
 *
 * Sans-I/O: the session takes bytes and the current time (`now`,
 * monotonic ms) and gives bytes to send and the time its timer must fire.
 * The verbs, the same for both sessions:
 *
 *   up(now)            the pipe came up (a connection, a port opened)
 *   down(now)          the pipe went away; nothing is lost by it
 *   rx(p, n, now)      bytes from the peer; all of them are taken
 *   output(&p)         bytes to send (0: none); they stay until consumed
 *   consumed(n, now)   the pipe took the first n of them
 *   deadline()         when timer() must run next, DNP_NEVER for never
 *   timer(now)         the deadline passed
 *
 * The wake upcall: a session raises it (dnp_sess_wake) when a call that
 * is not one of its verbs (an update from the application, a control's
 * result, a new command to send) gave it output or moved its deadline.  The
 * runner then sends that session's output and re-arms its timer, in the
 * same event-loop pass, and touches no other session.  After its own verbs
 * the runner flushes and re-arms anyway, so a wake raised inside one of
 * them is not needed (and is harmless).
 *
 * A session that wants its link dropped (the peer stopped answering
 * keep-alives) sets `drop` to a negative errno and wakes the runner; the
 * runner closes the pipe, clears `drop` and calls down().
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* A deadline that never comes: no timer is armed for it. */
#define DNP_NEVER UINT64_MAX

/* The earlier of two deadlines (DNP_NEVER being the latest of all). */
static inline uint64_t dnp_deadline_min(uint64_t a, uint64_t b)
{
        return a < b ? a : b;
}

struct dnp_sess;

struct dnp_sess_ops {
        void (*up)(struct dnp_sess *s, uint64_t now);
        void (*down)(struct dnp_sess *s, uint64_t now);
        void (*rx)(struct dnp_sess *s, const uint8_t *p, size_t n, uint64_t now);
        size_t (*output)(const struct dnp_sess *s, const uint8_t **ret);
        void (*consumed)(struct dnp_sess *s, size_t n, uint64_t now);
        uint64_t (*deadline)(const struct dnp_sess *s);
        void (*timer)(struct dnp_sess *s, uint64_t now);
};

/* Embedded in each session; the runner sets wake and wake_ctx. */
struct dnp_sess {
        const struct dnp_sess_ops *ops;
        void (*wake)(void *ctx);
        void *wake_ctx;
        int drop;               /* < 0: the session asks for its link to be dropped */
        const char *drop_what;  /* why, for the log ("link keep-alive failed") */
};

static inline void dnp_sess_wake(struct dnp_sess *s)
{
        if (s->wake)
                s->wake(s->wake_ctx);
}

/* Ask the runner to drop the link (err: -errno), through wake. */
static inline void dnp_sess_drop(struct dnp_sess *s, int err, const char *what)
{
        s->drop = err;
        s->drop_what = what;
        dnp_sess_wake(s);
}

static inline void dnp_sess_up(struct dnp_sess *s, uint64_t now)
{
        s->ops->up(s, now);
}

static inline void dnp_sess_down(struct dnp_sess *s, uint64_t now)
{
        s->ops->down(s, now);
}

static inline void dnp_sess_rx(struct dnp_sess *s, const uint8_t *p, size_t n, uint64_t now)
{
        s->ops->rx(s, p, n, now);
}

static inline size_t dnp_sess_output(const struct dnp_sess *s, const uint8_t **ret)
{
        return s->ops->output(s, ret);
}

static inline void dnp_sess_consumed(struct dnp_sess *s, size_t n, uint64_t now)
{
        s->ops->consumed(s, n, now);
}

static inline uint64_t dnp_sess_deadline(const struct dnp_sess *s)
{
        return s->ops->deadline(s);
}

static inline void dnp_sess_timer(struct dnp_sess *s, uint64_t now)
{
        s->ops->timer(s, now);
}

/*
 * Defines `static const struct dnp_sess_ops NAME` for a session TYPE that
 * embeds its struct dnp_sess as MEMBER and names its verbs PREFIX_up,
 * PREFIX_down, PREFIX_rx, PREFIX_output, PREFIX_consumed, PREFIX_deadline
 * and PREFIX_timer (taking TYPE * first): one definition of the glue for
 * every session.
 */
#define DNP_SESS_OPS_DEFINE(NAME, TYPE, MEMBER, PREFIX)                                 \
        static TYPE *NAME##_of(const struct dnp_sess *s)                                \
        {                                                                               \
                return (TYPE *)((const char *)s - offsetof(TYPE, MEMBER));              \
        }                                                                               \
        static void NAME##_up(struct dnp_sess *s, uint64_t now)                         \
        {                                                                               \
                PREFIX##_up(NAME##_of(s), now);                                         \
        }                                                                               \
        static void NAME##_down(struct dnp_sess *s, uint64_t now)                       \
        {                                                                               \
                PREFIX##_down(NAME##_of(s), now);                                       \
        }                                                                               \
        static void NAME##_rx(struct dnp_sess *s, const uint8_t *p, size_t n, uint64_t now) \
        {                                                                               \
                PREFIX##_rx(NAME##_of(s), p, n, now);                                   \
        }                                                                               \
        static size_t NAME##_output(const struct dnp_sess *s, const uint8_t **ret)      \
        {                                                                               \
                return PREFIX##_output(NAME##_of(s), ret);                              \
        }                                                                               \
        static void NAME##_consumed(struct dnp_sess *s, size_t n, uint64_t now)         \
        {                                                                               \
                PREFIX##_consumed(NAME##_of(s), n, now);                                \
        }                                                                               \
        static uint64_t NAME##_deadline(const struct dnp_sess *s)                       \
        {                                                                               \
                return PREFIX##_deadline(NAME##_of(s));                                 \
        }                                                                               \
        static void NAME##_timer(struct dnp_sess *s, uint64_t now)                      \
        {                                                                               \
                PREFIX##_timer(NAME##_of(s), now);                                      \
        }                                                                               \
        static const struct dnp_sess_ops NAME = {                                       \
                .up = NAME##_up,                                                        \
                .down = NAME##_down,                                                    \
                .rx = NAME##_rx,                                                        \
                .output = NAME##_output,                                                \
                .consumed = NAME##_consumed,                                            \
                .deadline = NAME##_deadline,                                            \
                .timer = NAME##_timer,                                                  \
        }
