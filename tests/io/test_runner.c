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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_drained_resumes_output),
                cmocka_unit_test(test_drop_closes_pipe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
