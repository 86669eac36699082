/* SPDX-License-Identifier: MIT */
/*
 * Endpoint/CIDR parsing, the TCP listener with its allow-list, and an
 * endpoint shared by two outstations (outst_ep + outst_io), on loopback:
 * a connection belongs to the outstation its first frame names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "io/addr.h"
#include "io/clock.h"
#include "io/listener.h"
#include "io/pipe.h"
#include "io/outst_ep.h"
#include "io/outst_io.h"
#include "../unit/testutil.h"
#include "iotest.h"

static void test_endpoint_parse(void **state)
{
        (void)state;
        struct io_endpoint ep;
        assert_int_equal(io_endpoint_parse("0.0.0.0:20000", &ep), 0);
        assert_int_equal(ep.sa.ss_family, AF_INET);
        assert_int_equal(ntohs(((struct sockaddr_in *)&ep.sa)->sin_port), 20000);
        assert_int_equal(ep.len, sizeof(struct sockaddr_in));
        assert_int_equal(io_endpoint_parse("[::]:20000", &ep), 0);
        assert_int_equal(ep.sa.ss_family, AF_INET6);
        assert_int_equal(ntohs(((struct sockaddr_in6 *)&ep.sa)->sin6_port), 20000);
        assert_int_equal(io_endpoint_parse("[2001:db8::1]:1", &ep), 0);
        assert_int_equal(io_endpoint_parse("127.0.0.1:65535", &ep), 0);

        const char *bad[] = { "1.2.3.4", ":20000", "1.2.3.4:0", "1.2.3.4:65536", "[::1]20000",
                              "::1:20000", "host:20000", "1.2.3.4:+1", "1.2.3.4:", "[::1]:",
                              "[1.2.3.4]:20", "1.2.3:20", "" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ep.len = 77;
                assert_int_equal(io_endpoint_parse(bad[i], &ep), -EINVAL);
                assert_int_equal(ep.len, 77);  /* untouched on error */
        }
}

static struct sockaddr_storage v4(const char *a)
{
        struct sockaddr_storage ss = { 0 };
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, a, &in->sin_addr), 1);
        return ss;
}

static struct sockaddr_storage v6(const char *a)
{
        struct sockaddr_storage ss = { 0 };
        struct sockaddr_in6 *in = (struct sockaddr_in6 *)&ss;
        in->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, a, &in->sin6_addr), 1);
        return ss;
}

static bool match(const char *cidr, struct sockaddr_storage ss)
{
        struct io_cidr c;
        assert_int_equal(io_cidr_parse(cidr, &c), 0);
        return io_cidr_match(&c, (struct sockaddr *)&ss);
}

static void test_cidr(void **state)
{
        (void)state;
        assert_true(match("198.51.100.0/24", v4("198.51.100.7")));
        assert_false(match("198.51.100.0/24", v4("198.51.101.7")));
        assert_true(match("198.51.100.77/24", v4("198.51.100.1")));   /* host bits ignored */
        assert_true(match("192.0.2.10", v4("192.0.2.10")));
        assert_false(match("192.0.2.10", v4("192.0.2.11")));
        assert_true(match("10.0.0.0/9", v4("10.127.255.255")));
        assert_false(match("10.0.0.0/9", v4("10.128.0.0")));
        assert_true(match("0.0.0.0/0", v4("203.0.113.9")));
        assert_true(match("2001:db8::/32", v6("2001:db8:1::1")));
        assert_false(match("2001:db8::/32", v6("2001:db9::1")));
        assert_false(match("2001:db8::/32", v4("32.1.13.184")));
        assert_true(match("198.51.100.0/24", v6("::ffff:198.51.100.7")));  /* v4 peer on [::] */
        assert_false(match("198.51.100.0/24", v6("::198.51.100.7")));

        struct io_cidr c = { .prefix = 99 };
        const char *bad[] = { "/24", "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "::/129", "1.2.3/8",
                              "1.2.3.4/ 8", "example.org", "" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(io_cidr_parse(bad[i], &c), -EINVAL);
                assert_int_equal(c.prefix, 99);
        }
        char buf[64];
        struct sockaddr_storage ss = v6("2001:db8::1");
        assert_string_equal(io_addr_format((struct sockaddr *)&ss, buf, sizeof(buf)), "2001:db8::1");
}

struct lrec {
        struct io_pipe *conn;
        size_t accepts, rejects, closes;
        uint8_t data[64];
        size_t len;
};

static void l_data(void *ctx, const uint8_t *p, size_t n)
{
        struct lrec *r = ctx;
        if (n > sizeof(r->data) - r->len)
                n = sizeof(r->data) - r->len;
        memcpy(r->data + r->len, p, n);
        r->len += n;
}

static void l_closed(void *ctx, int err, const char *what)
{
        struct lrec *r = ctx;
        (void)err;
        (void)what;
        r->closes++;
}

static const struct io_pipe_cb conn_cbs = { .on_data = l_data, .on_down = l_closed };

static void l_accept(void *ctx, struct io_pipe *c, const struct sockaddr *peer)
{
        struct lrec *r = ctx;
        (void)peer;
        r->accepts++;
        r->conn = c;
        io_pipe_set_cb(c, &conn_cbs, r);
}

static void l_reject(void *ctx, const struct sockaddr *peer)
{
        (void)peer;
        ((struct lrec *)ctx)->rejects++;
}

static void expire(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        *(bool *)arg = true;
}

static bool run_until(struct event_base *base, const size_t *counter, size_t want)
{
        bool expired = false;
        struct event *t = evtimer_new(base, expire, &expired);
        struct timeval tv = { 5, 0 };
        evtimer_add(t, &tv);
        while (*counter < want && !expired)
                event_base_loop(base, EVLOOP_ONCE);
        event_free(t);
        return *counter >= want;
}

static int connect_to(uint16_t port)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        return fd;
}

static struct io_listener *listen_with(struct event_base *base, const char *allow, struct lrec *r)
{
        struct io_listener_cfg cfg = { 0 };
        struct sockaddr_in *in = (struct sockaddr_in *)&cfg.ep.sa;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cfg.ep.len = sizeof(*in);
        struct io_cidr c;
        if (allow) {
                assert_int_equal(io_cidr_parse(allow, &c), 0);
                cfg.allow = &c;
                cfg.n_allow = 1;
        }
        static const struct io_listener_cb cbs = { l_accept, l_reject };
        struct io_listener *l;
        assert_int_equal(io_listener_new(base, &cfg, &cbs, r, &l), 0);
        assert_true(io_listener_port(l) != 0);
        return l;
}

static void test_listener_allowed_peer(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct lrec r = { 0 };
        struct io_listener *l = listen_with(base, "127.0.0.0/8", &r);
        int fd = connect_to(io_listener_port(l));
        assert_true(run_until(base, &r.accepts, 1));

        assert_int_equal(write(fd, "\x05\x64", 2), 2);
        assert_true(run_until(base, &r.len, 2));
        assert_memory_equal(r.data, "\x05\x64", 2);

        assert_int_equal(io_pipe_write(r.conn, (const uint8_t *)"ok", 2), 0);
        event_base_loop(base, EVLOOP_NONBLOCK);
        char buf[4];
        struct pollfd p = { .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_int_equal(read(fd, buf, sizeof(buf)), 2);
        assert_memory_equal(buf, "ok", 2);

        close(fd);
        assert_true(run_until(base, &r.closes, 1));
        assert_int_equal(io_pipe_write(r.conn, (const uint8_t *)"x", 1), -ENOTCONN);
        io_pipe_free(r.conn);
        event_base_loop(base, EVLOOP_NONBLOCK);
        assert_int_equal(io_listener_rejected(l), 0);
        io_listener_free(l);
        event_base_free(base);
}

static void test_listener_rejects_peer(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct lrec r = { 0 };
        struct io_listener *l = listen_with(base, "192.0.2.10", &r);
        for (size_t i = 1; i <= 3; i++) {
                int fd = connect_to(io_listener_port(l));
                assert_true(run_until(base, &r.rejects, i));
                /* Closed at once: the peer reads end-of-file. */
                char b;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                assert_int_equal(poll(&p, 1, 5000), 1);
                assert_int_equal(read(fd, &b, 1), 0);
                close(fd);
        }
        assert_int_equal(r.accepts, 0);
        assert_int_equal(io_listener_rejected(l), 3);
        io_listener_free(l);
        event_base_free(base);
}

static void test_listener_addr_in_use(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct lrec r = { 0 };
        struct io_listener *l = listen_with(base, NULL, &r);
        struct io_listener_cfg cfg = { 0 };
        struct sockaddr_in *in = (struct sockaddr_in *)&cfg.ep.sa;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        in->sin_port = htons(io_listener_port(l));
        cfg.ep.len = sizeof(*in);
        static const struct io_listener_cb cbs = { l_accept, l_reject };
        struct io_listener *l2 = NULL;
        assert_int_equal(io_listener_new(base, &cfg, &cbs, &r, &l2), -EADDRINUSE);
        assert_null(l2);
        io_listener_free(l);
        event_base_free(base);
}

/* accept() failing (out of descriptors) pauses the listener instead of spinning on it. */
static void test_listener_accept_error_pauses(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct lrec r = { 0 };
        struct io_listener *l = listen_with(base, NULL, &r);
        int cfd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(cfd >= 0);

        /* the lowest free descriptor becomes the limit: accept() gets EMFILE */
        struct rlimit old, low;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
        int probe = open("/dev/null", O_RDONLY);
        assert_true(probe >= 0);
        close(probe);
        low = old;
        low.rlim_cur = (rlim_t)probe;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);

        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(io_listener_port(l)),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(connect(cfd, (struct sockaddr *)&a, sizeof(a)), 0);
        uint64_t errs = 0;
        for (int i = 0; i < 200 && errs == 0; i++) {
                event_base_loop(base, EVLOOP_NONBLOCK);
                errs = io_listener_accept_errors(l);
                if (errs == 0)
                        poll(NULL, 0, 5);
        }
        assert_int_equal(errs, 1);
        /* paused: more loop passes do not retry accept() */
        for (int i = 0; i < 50; i++)
                event_base_loop(base, EVLOOP_NONBLOCK);
        assert_int_equal(io_listener_accept_errors(l), 1);
        assert_int_equal(r.accepts, 0);

        /* descriptors again: after the pause the waiting connection is accepted */
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
        assert_true(run_until(base, &r.accepts, 1));
        assert_int_equal(io_listener_accept_errors(l), 1);

        io_pipe_free(r.conn);
        event_base_loop(base, EVLOOP_NONBLOCK);
        close(cfd);
        io_listener_free(l);
        event_base_free(base);
}


/* ---- endpoints: one socket each; which ones cannot both be bound ------- */

static struct io_endpoint ep_of(const char *s)
{
        struct io_endpoint e;
        assert_int_equal(io_endpoint_parse(s, &e), 0);
        return e;
}

static void test_endpoint_overlap(void **state)
{
        (void)state;
        static const struct {
                const char *a, *b;
                bool eq, overlap;
        } t[] = {
                { "0.0.0.0:20000", "0.0.0.0:20000", true, false },     /* one shared socket */
                { "0.0.0.0:20000", "127.0.0.1:20000", false, true },
                { "127.0.0.1:20000", "127.0.0.2:20000", false, false },
                { "0.0.0.0:20000", "0.0.0.0:20001", false, false },
                { "[::]:20000", "0.0.0.0:20000", false, true },        /* [::] is dual-stack */
                { "[::]:20000", "192.0.2.1:20000", false, true },
                { "[::]:20000", "[::1]:20000", false, true },
                { "[::1]:20000", "0.0.0.0:20000", false, false },
                { "[::1]:20000", "[2001:db8::1]:20000", false, false },
                { "[::ffff:127.0.0.1]:20000", "127.0.0.1:20000", false, true },
                { "[::ffff:127.0.0.1]:20000", "0.0.0.0:20000", false, true },
                { "[::1]:20000", "[::1]:20000", true, false },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                struct io_endpoint a = ep_of(t[i].a), b = ep_of(t[i].b);
                assert_int_equal(io_endpoint_eq(&a, &b), t[i].eq);
                assert_int_equal(io_endpoint_eq(&b, &a), t[i].eq);
                assert_int_equal(io_endpoint_overlap(&a, &b), t[i].overlap);
                assert_int_equal(io_endpoint_overlap(&b, &a), t[i].overlap);
        }
        struct io_endpoint none = { 0 }, any = ep_of("0.0.0.0:20000");
        assert_false(io_endpoint_eq(&none, &none));
        assert_false(io_endpoint_overlap(&none, &any));
}

/* ---- an endpoint shared by outstations 10 and 11 ------------------------ */

#define GRACE_MS 300u
/* longer than any wait here: a close the test sees is not the grace's */
#define LONG_GRACE_MS 600000u
#define WAIT_MS 5000u

/* READ class 0 (3c 01 06) from master 1, and the answers (IIN1.7 DEVICE_RESTART) */
#define REQ10 "05 64 0b c4 0a 00 01 00 ac d1 c0 c0 01 3c 01 06 ff 50"
#define REQ11 "05 64 0b c4 0b 00 01 00 44 13 c0 c0 01 3c 01 06 ff 50"
#define REQ12 "05 64 0b c4 0c 00 01 00 2e c5 c0 c0 01 3c 01 06 ff 50"
#define RSP10 "05 64 0a 44 01 00 0a 00 6e 25 c0 c0 81 80 00 b3 f3"
#define RSP11 "05 64 0a 44 01 00 0b 00 20 8e c0 c0 81 80 00 b3 f3"
/* 10's next answer: its transport sequence goes on across connections */
#define RSP10_TSEQ1 "05 64 0a 44 01 00 0a 00 6e 25 c1 c0 81 80 00 b5 d0"
/* the same READ to broadcast 0xffff (no answer), then with sequence 1 to 11: IIN1.0 set */
#define REQ_BCAST "05 64 0b c4 ff ff 01 00 9f 0f c0 c0 01 3c 01 06 ff 50"
#define REQ11_SEQ1 "05 64 0b c4 0b 00 01 00 44 13 c1 c1 01 3c 01 06 1e c6"
#define RSP11_BCAST "05 64 0a 44 01 00 0b 00 20 8e c0 c1 81 81 00 15 9a"

#define SPIN_UNTIL(base, cond)                                                  \
        do {                                                                    \
                uint64_t end_ = io_mono_ms() + WAIT_MS;                         \
                while (!(cond) && io_mono_ms() < end_) {                        \
                        event_base_loop((base), EVLOOP_NONBLOCK);               \
                        poll(NULL, 0, 1);                                       \
                }                                                               \
                assert_true(cond);                                              \
        } while (0)

struct drops {
        size_t n[OUTST_EP_DROP_MAX];
        size_t total;
        struct link_hdr first;
        char peer[64];
};

static void on_drop(void *ctx, enum outst_ep_drop why, const struct sockaddr *peer,
                    const struct link_hdr *first)
{
        struct drops *r = ctx;
        r->n[why]++;
        r->total++;
        if (first)
                r->first = *first;
        io_addr_format(peer, r->peer, sizeof(r->peer));
}

struct mrec {
        size_t connects, replaced, disconnects, rejects;
        char peer[64];
};

static void m_connect(void *ctx, const struct sockaddr *peer, bool replaced)
{
        struct mrec *r = ctx;
        r->connects++;
        r->replaced += replaced;
        io_addr_format(peer, r->peer, sizeof(r->peer));
}

static void m_disconnect(void *ctx, int err, const char *what)
{
        (void)err;
        (void)what;
        ((struct mrec *)ctx)->disconnects++;
}

static void m_reject(void *ctx, const struct sockaddr *peer)
{
        struct mrec *r = ctx;
        r->rejects++;
        io_addr_format(peer, r->peer, sizeof(r->peer));
}

static const struct outst_io_cb m_cbs = {
        .on_connect = m_connect,
        .on_disconnect = m_disconnect,
        .on_reject = m_reject,
};

struct shared {
        struct event_base *base;
        struct outst_ep *ep;
        struct drops drops;
        struct outst_io *o[2];          /* link addresses 10 and 11 */
        struct mrec rec[2];
};

static int outstation(struct shared *sh, uint16_t address, const char *allow, struct mrec *rec,
                      struct outst_io **ret)
{
        struct io_cidr c;
        struct outst_io_cfg cfg = { .ep = sh->ep };
        iotest_allow(&cfg, &c, allow);
        const struct outst_cfg oc = iotest_outst_cfg(address);
        return outst_io_new(sh->base, &cfg, &oc, NULL, &m_cbs, rec, ret);
}

static void shared_open(struct shared *sh, uint32_t grace_ms, const char *allow10,
                        const char *allow11)
{
        memset(sh, 0, sizeof(*sh));
        /* timers on the precise monotonic clock, the one the grace is checked against */
        struct event_config *ecfg = event_config_new();
        assert_non_null(ecfg);
        assert_int_equal(event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER), 0);
        sh->base = event_base_new_with_config(ecfg);
        event_config_free(ecfg);
        assert_non_null(sh->base);
        struct outst_ep_cfg ec = { .ep = ep_of("127.0.0.1:1"), .grace_ms = grace_ms };
        ((struct sockaddr_in *)&ec.ep.sa)->sin_port = 0;
        static const struct outst_ep_cb cb = { .on_drop = on_drop };
        assert_int_equal(outst_ep_new(sh->base, &ec, &cb, &sh->drops, &sh->ep), 0);
        assert_int_equal(outstation(sh, 10, allow10, &sh->rec[0], &sh->o[0]), 0);
        assert_int_equal(outstation(sh, 11, allow11, &sh->rec[1], &sh->o[1]), 0);
        assert_int_equal(outst_ep_members(sh->ep), 2);
        assert_int_equal(outst_io_port(sh->o[0]), outst_ep_port(sh->ep));
        assert_int_equal(outst_io_port(sh->o[1]), outst_ep_port(sh->ep));
}

static void shared_close(struct shared *sh)
{
        outst_io_free(sh->o[0]);
        outst_io_free(sh->o[1]);
        assert_int_equal(outst_ep_members(sh->ep), 0);
        outst_ep_free(sh->ep);
        event_base_loop(sh->base, EVLOOP_NONBLOCK);    /* deferred connection releases */
        event_base_free(sh->base);
}

/* A non-blocking client connected to the endpoint, from source (127.0.0.x) if given. */
static int client(const struct shared *sh, const char *source)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        if (source) {
                struct sockaddr_in src = { .sin_family = AF_INET };
                assert_int_equal(inet_pton(AF_INET, source, &src.sin_addr), 1);
                assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
        }
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(outst_ep_port(sh->ep)),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
        return fd;
}

static void send_hex(int fd, const char *hex)
{
        uint8_t b[512];
        size_t n = unhex(hex, b, sizeof(b));
        assert_int_equal(write(fd, b, n), (ssize_t)n);
}

/* Run the loop until fd has received exactly the bytes of hex. */
static void expect_hex(const struct shared *sh, int fd, const char *hex)
{
        uint8_t want[512], got[512];
        size_t n = unhex(hex, want, sizeof(want)), len = 0;
        uint64_t end = io_mono_ms() + WAIT_MS;
        while (len < n && io_mono_ms() < end) {
                event_base_loop(sh->base, EVLOOP_NONBLOCK);
                ssize_t r = read(fd, got + len, sizeof(got) - len);
                assert_int_not_equal(r, 0);             /* not closed */
                if (r > 0)
                        len += (size_t)r;
                else
                        poll(NULL, 0, 1);
        }
        assert_int_equal(len, n);
        assert_memory_equal(got, want, n);
}

/* Run the loop until the endpoint closes fd; returns the bytes received before. */
static size_t until_eof(const struct shared *sh, int fd)
{
        uint8_t buf[4096];
        size_t got = 0;
        uint64_t end = io_mono_ms() + WAIT_MS;
        while (io_mono_ms() < end) {
                event_base_loop(sh->base, EVLOOP_NONBLOCK);
                ssize_t r = read(fd, buf, sizeof(buf));
                if (r == 0 || (r < 0 && errno != EAGAIN))
                        return got;
                if (r > 0)
                        got += (size_t)r;
                else
                        poll(NULL, 0, 1);
        }
        fail_msg("connection not closed within %u ms", WAIT_MS);
        return got;
}

/* Nothing received and still open. */
static void assert_open_quiet(int fd)
{
        uint8_t b;
        assert_int_equal(read(fd, &b, 1), -1);
        assert_int_equal(errno, EAGAIN);
}

/* Two outstations on one port: the first frame's destination picks the outstation,
 * which answers that very first request (the bytes read while deciding are its). */
static void test_shared_dispatch_by_first_frame(void **state)
{
        (void)state;
        struct shared sh;
        shared_open(&sh, LONG_GRACE_MS, NULL, NULL);
        int a = client(&sh, NULL), b = client(&sh, NULL);
        SPIN_UNTIL(sh.base, outst_ep_pending(sh.ep) == 2);
        /* accepted, but nobody's master yet */
        assert_int_equal(sh.rec[0].connects + sh.rec[1].connects, 0);
        assert_false(outst_io_connected(sh.o[0]) || outst_io_connected(sh.o[1]));

        /* the first frame in two pieces: the bytes are held until it is complete */
        send_hex(a, "05 64 0b c4 0b 00 01");
        SPIN_UNTIL(sh.base, outst_ep_buffered(sh.ep) == 7);
        assert_int_equal(sh.rec[1].connects, 0);
        send_hex(a, "00 44 13 c0 c0 01 3c 01 06 ff 50");
        expect_hex(&sh, a, RSP11);
        assert_int_equal(sh.rec[1].connects, 1);
        assert_string_equal(sh.rec[1].peer, "127.0.0.1");
        assert_int_equal(sh.rec[0].connects, 0);
        assert_true(outst_io_connected(sh.o[1]));

        send_hex(b, REQ10);
        expect_hex(&sh, b, RSP10);
        assert_int_equal(sh.rec[0].connects, 1);
        assert_int_equal(sh.rec[1].connects, 1);

        const struct outst_ep_stats *st = outst_ep_stats(sh.ep);
        assert_int_equal(st->accepted, 2);
        assert_int_equal(st->dispatched, 2);
        for (int k = 0; k < OUTST_EP_DROP_MAX; k++)
                assert_int_equal(st->dropped[k], 0);
        assert_int_equal(sh.drops.total, 0);
        assert_int_equal(outst_ep_pending(sh.ep), 0);
        assert_int_equal(outst_ep_buffered(sh.ep), 0);
        /* each session has its connection: both stay open */
        assert_open_quiet(a);
        assert_open_quiet(b);
        close(a);
        close(b);
        SPIN_UNTIL(sh.base, sh.rec[0].disconnects == 1 && sh.rec[1].disconnects == 1);
        shared_close(&sh);
}

/* A frame to a broadcast address names no one outstation: the next frame decides, and the
 * broadcast goes to the chosen outstation too (its answer shows IIN1.0 BROADCAST). */
static void test_shared_broadcast_then_unicast(void **state)
{
        (void)state;
        struct shared sh;
        shared_open(&sh, LONG_GRACE_MS, NULL, NULL);
        int a = client(&sh, NULL);
        send_hex(a, REQ_BCAST);
        SPIN_UNTIL(sh.base, outst_ep_buffered(sh.ep) == 18);
        assert_int_equal(sh.rec[0].connects + sh.rec[1].connects, 0);
        send_hex(a, REQ11_SEQ1);
        expect_hex(&sh, a, RSP11_BCAST);
        assert_int_equal(sh.rec[1].connects, 1);
        assert_int_equal(sh.rec[0].connects, 0);
        assert_int_equal(outst_ep_stats(sh.ep)->dispatched, 1);
        close(a);
        SPIN_UNTIL(sh.base, sh.rec[1].disconnects == 1);
        shared_close(&sh);
}

/* A first frame for no outstation on the endpoint: counted and reported with its
 * addresses, answered by nobody, and closed when the grace ends (not before). */
static void test_shared_unknown_address_closed_after_grace(void **state)
{
        (void)state;
        struct shared sh;
        shared_open(&sh, GRACE_MS, NULL, NULL);
        uint64_t t0 = io_mono_ms();
        int c = client(&sh, NULL);
        send_hex(c, REQ12);
        SPIN_UNTIL(sh.base, sh.drops.n[OUTST_EP_DROP_UNKNOWN_ADDRESS] == 1);
        assert_int_equal(sh.drops.first.src, 1);
        assert_int_equal(sh.drops.first.dest, 12);
        assert_string_equal(sh.drops.peer, "127.0.0.1");
        assert_int_equal(outst_ep_stats(sh.ep)->dropped[OUTST_EP_DROP_UNKNOWN_ADDRESS], 1);
        /* held open, no longer read: the bytes are dropped */
        assert_int_equal(outst_ep_pending(sh.ep), 1);
        assert_int_equal(outst_ep_buffered(sh.ep), 0);
        send_hex(c, REQ10);             /* too late: the connection is decided */
        event_base_loop(sh.base, EVLOOP_NONBLOCK);
        assert_open_quiet(c);
        assert_int_equal(until_eof(&sh, c), 0);
        assert_true(io_mono_ms() - t0 >= GRACE_MS);
        assert_int_equal(outst_ep_pending(sh.ep), 0);
        assert_int_equal(sh.rec[0].connects + sh.rec[1].connects, 0);
        assert_int_equal(sh.drops.total, 1);    /* counted once */
        assert_int_equal(outst_ep_stats(sh.ep)->dispatched, 0);
        close(c);
        shared_close(&sh);
}

/* Allow lists per outstation: the union admits at TCP level, then the named outstation's
 * own list decides (closed at once, counted and reported to that outstation). */
static void test_shared_allow_per_outstation(void **state)
{
        (void)state;
        struct shared sh;
        shared_open(&sh, LONG_GRACE_MS, "127.0.0.2", "127.0.0.3");

        int nobody = client(&sh, "127.0.0.4");  /* in no outstation's list */
        SPIN_UNTIL(sh.base, sh.drops.n[OUTST_EP_DROP_REFUSED] == 1);
        assert_int_equal(until_eof(&sh, nobody), 0);
        assert_string_equal(sh.drops.peer, "127.0.0.4");
        assert_int_equal(outst_ep_stats(sh.ep)->accepted, 0);

        int wrong = client(&sh, "127.0.0.2");   /* 10's peer naming 11 */
        send_hex(wrong, REQ11);
        assert_int_equal(until_eof(&sh, wrong), 0);     /* long before the grace */
        assert_int_equal(sh.rec[1].rejects, 1);
        assert_string_equal(sh.rec[1].peer, "127.0.0.2");
        assert_int_equal(outst_io_stats(sh.o[1])->rejected, 1);
        assert_int_equal(sh.rec[0].rejects, 0);
        assert_int_equal(outst_ep_stats(sh.ep)->dropped[OUTST_EP_DROP_NOT_ALLOWED], 1);
        assert_int_equal(sh.drops.total, 1);    /* reported to the outstation, not here */

        int a = client(&sh, "127.0.0.2"), b = client(&sh, "127.0.0.3");
        send_hex(a, REQ10);
        send_hex(b, REQ11);
        expect_hex(&sh, a, RSP10);
        expect_hex(&sh, b, RSP11);
        assert_int_equal(sh.rec[0].connects, 1);
        assert_int_equal(sh.rec[1].connects, 1);
        assert_int_equal(outst_ep_stats(sh.ep)->accepted, 3);
        assert_int_equal(outst_ep_stats(sh.ep)->dispatched, 2);
        close(nobody);
        close(wrong);
        close(a);
        close(b);
        shared_close(&sh);
}

/* A new connection replaces the old one of the outstation it names, and only that one. */
static void test_shared_replace_per_outstation(void **state)
{
        (void)state;
        struct shared sh;
        shared_open(&sh, LONG_GRACE_MS, NULL, NULL);
        int x1 = client(&sh, NULL), y = client(&sh, NULL);
        send_hex(x1, REQ10);
        expect_hex(&sh, x1, RSP10);
        send_hex(y, REQ11);
        expect_hex(&sh, y, RSP11);

        int x2 = client(&sh, NULL);
        SPIN_UNTIL(sh.base, outst_ep_pending(sh.ep) == 1);
        assert_int_equal(sh.rec[0].replaced, 0);       /* not before it names 10 */
        send_hex(x2, REQ10);
        expect_hex(&sh, x2, RSP10_TSEQ1);
        assert_int_equal(until_eof(&sh, x1), 0);
        assert_int_equal(sh.rec[0].connects, 2);
        assert_int_equal(sh.rec[0].replaced, 1);
        assert_int_equal(sh.rec[0].disconnects, 1);
        assert_int_equal(outst_io_stats(sh.o[0])->replaced, 1);
        /* 11 keeps its master */
        assert_int_equal(sh.rec[1].connects, 1);
        assert_int_equal(sh.rec[1].replaced, 0);
        assert_int_equal(sh.rec[1].disconnects, 0);
        assert_true(outst_io_connected(sh.o[1]));
        assert_open_quiet(y);
        close(x1);
        close(x2);
        close(y);
        shared_close(&sh);
}

/* A silent peer and one sending only junk (frame-like headers with bad CRCs): both
 * closed when the grace ends; at most OUTST_EP_BUF bytes held, then reading stops. */
static void test_shared_junk_and_silent_closed_after_grace(void **state)
{
        (void)state;
        struct shared sh;
        shared_open(&sh, GRACE_MS, NULL, NULL);
        uint64_t t0 = io_mono_ms();
        int silent = client(&sh, NULL), junk = client(&sh, NULL);
        static uint8_t j[64 * 1024];
        static const uint8_t bad[10] = { 0x05, 0x64, 0x0b, 0xc4, 0x0b, 0x00, 0x01, 0x00, 0, 0 };
        for (size_t i = 0; i < sizeof(j); i++)
                j[i] = bad[i % sizeof(bad)];
        ssize_t w = write(junk, j, sizeof(j));
        assert_true(w > OUTST_EP_BUF);
        SPIN_UNTIL(sh.base, outst_ep_buffered(sh.ep) == OUTST_EP_BUF);
        for (int i = 0; i < 20; i++)
                event_base_loop(sh.base, EVLOOP_NONBLOCK);
        assert_int_equal(outst_ep_buffered(sh.ep), OUTST_EP_BUF);      /* bounded */
        assert_int_equal(outst_ep_pending(sh.ep), 2);
        assert_int_equal(sh.drops.total, 0);
        assert_open_quiet(silent);
        assert_open_quiet(junk);

        assert_int_equal(until_eof(&sh, silent), 0);
        assert_int_equal(until_eof(&sh, junk), 0);
        assert_true(io_mono_ms() - t0 >= GRACE_MS);
        assert_int_equal(sh.drops.n[OUTST_EP_DROP_SILENT], 1);
        assert_int_equal(sh.drops.n[OUTST_EP_DROP_NO_FRAME], 1);
        assert_int_equal(sh.drops.total, 2);
        assert_int_equal(outst_ep_pending(sh.ep), 0);
        assert_int_equal(outst_ep_buffered(sh.ep), 0);
        assert_int_equal(sh.rec[0].connects + sh.rec[1].connects, 0);
        close(silent);
        close(junk);
        shared_close(&sh);
}

/* At most OUTST_EP_MAX_PENDING connections wait: one more closes the oldest. */
static void test_shared_pending_bounded(void **state)
{
        (void)state;
        struct shared sh;
        shared_open(&sh, LONG_GRACE_MS, NULL, NULL);
        int fd[OUTST_EP_MAX_PENDING + 1];
        for (size_t i = 0; i < OUTST_EP_MAX_PENDING; i++) {
                fd[i] = client(&sh, NULL);
                SPIN_UNTIL(sh.base, outst_ep_pending(sh.ep) == i + 1);
        }
        fd[OUTST_EP_MAX_PENDING] = client(&sh, NULL);
        SPIN_UNTIL(sh.base, sh.drops.n[OUTST_EP_DROP_OVERFLOW] == 1);
        assert_int_equal(until_eof(&sh, fd[0]), 0);
        assert_int_equal(outst_ep_pending(sh.ep), OUTST_EP_MAX_PENDING);
        assert_open_quiet(fd[1]);
        /* the newest still gets its outstation */
        send_hex(fd[OUTST_EP_MAX_PENDING], REQ11);
        expect_hex(&sh, fd[OUTST_EP_MAX_PENDING], RSP11);
        for (size_t i = 0; i <= OUTST_EP_MAX_PENDING; i++)
                close(fd[i]);
        shared_close(&sh);
}

/* One address per endpoint; with one outstation left a connection is its own at once. */
static void test_shared_attach_rules(void **state)
{
        (void)state;
        struct shared sh;
        shared_open(&sh, LONG_GRACE_MS, NULL, NULL);
        struct mrec r3 = { 0 };
        struct outst_io *dup = NULL;
        assert_int_equal(outstation(&sh, 10, NULL, &r3, &dup), -EADDRINUSE);
        assert_null(dup);
        assert_int_equal(outst_ep_members(sh.ep), 2);

        outst_io_free(sh.o[0]);
        sh.o[0] = NULL;
        assert_int_equal(outst_ep_members(sh.ep), 1);
        int c = client(&sh, NULL);
        SPIN_UNTIL(sh.base, sh.rec[1].connects == 1);   /* before any byte */
        assert_int_equal(outst_ep_pending(sh.ep), 0);
        send_hex(c, REQ11);
        expect_hex(&sh, c, RSP11);
        /* and 10 can come back (a reload adding it) on the same socket */
        assert_int_equal(outstation(&sh, 10, NULL, &sh.rec[0], &sh.o[0]), 0);
        int d = client(&sh, NULL);
        send_hex(d, REQ10);
        expect_hex(&sh, d, RSP10);
        assert_open_quiet(c);
        close(c);
        close(d);
        shared_close(&sh);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_endpoint_parse),
                cmocka_unit_test(test_cidr),
                cmocka_unit_test(test_listener_allowed_peer),
                cmocka_unit_test(test_listener_rejects_peer),
                cmocka_unit_test(test_listener_addr_in_use),
                cmocka_unit_test(test_listener_accept_error_pauses),
                cmocka_unit_test(test_endpoint_overlap),
                cmocka_unit_test(test_shared_dispatch_by_first_frame),
                cmocka_unit_test(test_shared_broadcast_then_unicast),
                cmocka_unit_test(test_shared_unknown_address_closed_after_grace),
                cmocka_unit_test(test_shared_allow_per_outstation),
                cmocka_unit_test(test_shared_replace_per_outstation),
                cmocka_unit_test(test_shared_junk_and_silent_closed_after_grace),
                cmocka_unit_test(test_shared_pending_bounded),
                cmocka_unit_test(test_shared_attach_rules),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
