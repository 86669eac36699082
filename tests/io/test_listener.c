/* SPDX-License-Identifier: MIT */
/* Endpoint/CIDR parsing and the TCP listener with its allow-list, on loopback. */
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
#include "io/listener.h"

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
        struct io_conn *conn;
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

static const struct io_conn_cb conn_cbs = { .on_data = l_data, .on_closed = l_closed };

static void l_accept(void *ctx, struct io_conn *c, const struct sockaddr *peer)
{
        struct lrec *r = ctx;
        (void)peer;
        r->accepts++;
        r->conn = c;
        io_conn_set_cb(c, &conn_cbs, r);
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

        assert_int_equal(io_conn_write(r.conn, (const uint8_t *)"ok", 2), 0);
        event_base_loop(base, EVLOOP_NONBLOCK);
        char buf[4];
        struct pollfd p = { .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_int_equal(read(fd, buf, sizeof(buf)), 2);
        assert_memory_equal(buf, "ok", 2);

        close(fd);
        assert_true(run_until(base, &r.closes, 1));
        assert_int_equal(io_conn_write(r.conn, (const uint8_t *)"x", 1), -ENOTCONN);
        io_conn_free(r.conn);
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

        io_conn_free(r.conn);
        event_base_loop(base, EVLOOP_NONBLOCK);
        close(cfd);
        io_listener_free(l);
        event_base_free(base);
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
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
