/* SPDX-License-Identifier: MIT */
/*
 * The runner (io/runner.h) over an accepted-connection pipe (io/pipe.h) on
 * a socketpair, with a scripted session: output goes straight to the
 * socket; when the peer stops reading, the pipe keeps what the kernel did
 * not take up to its high-water mark, refuses the rest and reading stops
 * (back-pressure); when the peer reads again, the pipe's drained signal
 * (never a timer: the runner's timer never fires) resumes output, and
 * everything arrives exactly once and in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "io/clock.h"
#include "io/listener.h"
#include "io/pipe.h"
#include "io/runner.h"

#define TOTAL (1024 * 1024)
#define CHUNK 2048
#define HIGH_WATER (64 * 1024)

/* A session with TOTAL bytes to send, CHUNK at a time; counts what it is given. */
struct fake {
        struct dnp_sess s;
        size_t sent;
        size_t rx;
        unsigned ups, downs, timers;
};

static uint8_t pattern(size_t i)
{
        return (uint8_t)(i * 7 + (i >> 11));
}

static uint8_t out_buf[TOTAL];

static struct fake *fake_of(const struct dnp_sess *s)
{
        return (struct fake *)(uintptr_t)s;
}

static void f_up(struct dnp_sess *s, uint64_t now)
{
        (void)now;
        fake_of(s)->ups++;
}

static void f_down(struct dnp_sess *s, uint64_t now)
{
        (void)now;
        fake_of(s)->downs++;
}

static void f_rx(struct dnp_sess *s, const uint8_t *p, size_t n, uint64_t now)
{
        (void)p;
        (void)now;
        fake_of(s)->rx += n;
}

static size_t f_output(const struct dnp_sess *s, const uint8_t **ret)
{
        const struct fake *f = fake_of(s);
        size_t n = TOTAL - f->sent;
        *ret = out_buf + f->sent;
        return n < CHUNK ? n : CHUNK;
}

static void f_consumed(struct dnp_sess *s, size_t n, uint64_t now)
{
        (void)now;
        fake_of(s)->sent += n;
}

static uint64_t f_deadline(const struct dnp_sess *s)
{
        (void)s;
        return DNP_NEVER;
}

static void f_timer(struct dnp_sess *s, uint64_t now)
{
        (void)now;
        fake_of(s)->timers++;
}

static const struct dnp_sess_ops fake_ops = {
        .up = f_up, .down = f_down, .rx = f_rx, .output = f_output, .consumed = f_consumed,
        .deadline = f_deadline, .timer = f_timer,
};

/* A runner for f over one end of a socketpair (the other end: *ret_peer); the pipe is up. */
static struct io_runner *runner_on_socketpair(struct event_base *base, struct fake *f,
                                              int sndbuf, int *ret_peer, struct io_pipe **ret_pipe)
{
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
        if (sndbuf) {
                setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
                setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf));
        }
        struct io_runner *r;
        assert_int_equal(io_runner_new(base, &f->s, NULL, NULL, &r), 0);
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        struct io_pipe *p;
        assert_int_equal(io_pipe_conn_new(base, sv[0], (struct sockaddr *)&addr, sizeof(addr),
                                          HIGH_WATER, &p), 0);
        io_runner_attach(r, p, NULL, 0);
        assert_true(io_runner_is_up(r));
        *ret_peer = sv[1];
        *ret_pipe = p;
        return r;
}

static void test_drained_resumes_output(void **state)
{
        (void)state;
        for (size_t i = 0; i < TOTAL; i++)
                out_buf[i] = pattern(i);
        struct event_base *base = event_base_new();
        struct fake f = { .s.ops = &fake_ops };
        struct io_pipe *p;
        int peer;
        /* the kernel's share kept small: the pipe must keep bytes */
        struct io_runner *r = runner_on_socketpair(base, &f, 16 * 1024, &peer, &p);
        assert_int_equal(f.ups, 1);

        /* The peer does not read: the kernel takes its share, the pipe keeps up to
         * its high-water mark, then refuses; the session keeps the rest. */
        const struct io_runner_stats *st = io_runner_stats(r);
        assert_int_equal(st->write_blocked, 1);
        assert_true(f.sent < TOTAL);
        assert_true(io_pipe_pending(p) > 0);
        assert_true(io_pipe_pending(p) <= HIGH_WATER);
        assert_true(io_pipe_pending(p) + CHUNK > HIGH_WATER);
        assert_int_equal(io_pipe_stats(p)->refused, 1);

        /* Back-pressure: nothing is read from the peer while output is refused. */
        assert_int_equal(write(peer, "abc", 3), 3);
        for (int i = 0; i < 10; i++)
                event_base_loop(base, EVLOOP_NONBLOCK);
        assert_int_equal(f.rx, 0);
        assert_int_equal(st->write_blocked, 1);

        /* The peer reads again: everything arrives once, in order, with no timer. */
        static uint8_t got[TOTAL];
        size_t len = 0;
        uint64_t end = io_mono_ms() + 10000;
        while (len < TOTAL && io_mono_ms() < end) {
                struct pollfd pf = { .fd = peer, .events = POLLIN };
                if (poll(&pf, 1, 0) > 0) {
                        ssize_t k = read(peer, got + len, TOTAL - len);
                        assert_true(k > 0);
                        len += (size_t)k;
                }
                event_base_loop(base, EVLOOP_NONBLOCK);
        }
        assert_int_equal(len, TOTAL);
        assert_memory_equal(got, out_buf, TOTAL);
        assert_int_equal(f.sent, TOTAL);
        assert_int_equal(io_pipe_pending(p), 0);
        assert_true(st->drained >= 1);
        assert_int_equal(st->drained, st->write_blocked);
        assert_int_equal(st->timer_wakeups, 0);
        assert_int_equal(f.timers, 0);
        /* reading resumed with the drained signal: the peer's bytes reached the session */
        assert_int_equal(f.rx, 3);

        io_runner_free(r);
        event_base_loop(base, EVLOOP_NONBLOCK);         /* the connection's memory */
        event_base_free(base);
        close(peer);
}

/* The session asks for its link to be dropped: the runner closes the pipe and brings it down. */
static void test_drop_closes_pipe(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct fake f = { .s.ops = &fake_ops, .sent = TOTAL };
        struct io_pipe *p;
        int peer;
        struct io_runner *r = runner_on_socketpair(base, &f, 0, &peer, &p);
        dnp_sess_drop(&f.s, -ETIMEDOUT, "link keep-alive failed");
        assert_false(io_runner_is_up(r));
        assert_null(io_runner_pipe(r));
        assert_int_equal(f.downs, 1);
        assert_int_equal(f.s.drop, 0);
        assert_int_equal(io_runner_stats(r)->drops, 1);
        assert_int_equal(io_runner_stats(r)->wakeups, 1);
        char c;
        assert_int_equal(read(peer, &c, 1), 0);        /* the peer sees the close */
        io_runner_free(r);
        event_base_loop(base, EVLOOP_NONBLOCK);
        event_base_free(base);
        close(peer);
}

/* What a trace tap was given: the bytes of each direction, in order. */
struct tap_log {
        uint8_t rx[64], tx[64];
        size_t nrx, ntx;
        unsigned calls;
};

static void tap_fn(void *ctx, bool tx, const uint8_t *p, size_t n)
{
        struct tap_log *t = ctx;
        uint8_t *dst = tx ? t->tx : t->rx;
        size_t *len = tx ? &t->ntx : &t->nrx;
        assert_true(*len + n <= sizeof(t->rx));
        memcpy(dst + *len, p, n);
        *len += n;
        t->calls++;
}

/*
 * dnp3gwctl trace: a tap sees exactly the bytes read from the peer (before the
 * session) and each chunk the pipe took, and nothing once it is removed.
 */
static void test_tap_sees_both_directions(void **state)
{
        (void)state;
        for (size_t i = 0; i < TOTAL; i++)
                out_buf[i] = pattern(i);
        struct event_base *base = event_base_new();
        struct fake f = { .s.ops = &fake_ops, .sent = TOTAL - 5 };      /* 5 bytes to send */
        struct io_pipe *p;
        int peer;
        struct tap_log t = { 0 };
        /* the tap goes on before the pipe comes up: the session's first output is seen */
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
        struct io_runner *r;
        assert_int_equal(io_runner_new(base, &f.s, NULL, NULL, &r), 0);
        io_runner_set_tap(r, tap_fn, &t);
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        assert_int_equal(io_pipe_conn_new(base, sv[0], (struct sockaddr *)&addr, sizeof(addr),
                                          HIGH_WATER, &p), 0);
        static const uint8_t held[2] = { 0x05, 0x64 };
        io_runner_attach(r, p, held, sizeof(held));     /* bytes an endpoint read first */
        peer = sv[1];
        assert_int_equal(t.ntx, 5);
        assert_memory_equal(t.tx, out_buf + TOTAL - 5, 5);
        assert_int_equal(t.nrx, 2);
        assert_memory_equal(t.rx, held, 2);
        assert_int_equal(write(peer, "\x0a\x0b\x0c", 3), 3);
        uint64_t end = io_mono_ms() + 5000;
        while (f.rx < 5 && io_mono_ms() < end)
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        assert_int_equal(f.rx, 5);
        static const uint8_t want_rx[5] = { 0x05, 0x64, 0x0a, 0x0b, 0x0c };
        assert_int_equal(t.nrx, 5);
        assert_memory_equal(t.rx, want_rx, 5);
        unsigned calls = t.calls;
        io_runner_set_tap(r, NULL, NULL);
        assert_int_equal(write(peer, "\x0d", 1), 1);
        end = io_mono_ms() + 5000;
        while (f.rx < 6 && io_mono_ms() < end)
                event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        assert_int_equal(f.rx, 6);
        assert_int_equal(t.calls, calls);               /* removed: nothing more */
        io_runner_free(r);
        event_base_loop(base, EVLOOP_NONBLOCK);
        event_base_free(base);
        close(peer);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drained_resumes_output),
                cmocka_unit_test(test_drop_closes_pipe),
                cmocka_unit_test(test_tap_sees_both_directions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
