/* SPDX-License-Identifier: MIT */
/*
 * outst_io over real loopback sockets, in one process and one event loop:
 * two instances with their own endpoints, addresses and event buffers; a
 * replacing connection; the allow-list; no timer armed (no wake-up) while
 * idle; the listener's reports through the callbacks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "dnp3/app.h"
#include "dnp3/cursor.h"
#include "dnp3/link.h"
#include "dnp3/lsess.h"
#include "io/clock.h"
#include "io/addr.h"
#include "io/outst_io.h"
#include "../io/iotest.h"

#define DEADLINE_MS 5000

struct client {
        int fd;
        uint16_t remote;
        struct lsess ls;
        uint8_t rx[4096];
        struct link_scanner sc;
        uint8_t seq;
        struct apdu_hdr h;
        uint8_t apdu[4096];
        size_t apdu_len;
        bool eof;
};

struct counts {
        int connects, replaced, disconnects, rejects;
};

static struct event_base *base;

static uint64_t now_ms(void)
{
        return io_mono_ms();
}

static void on_connect(void *ctx, const struct sockaddr *peer, bool replaced)
{
        struct counts *c = ctx;
        assert_non_null(peer);
        c->connects++;
        c->replaced += replaced;
}

static void on_disconnect(void *ctx, int err, const char *what)
{
        struct counts *c = ctx;
        assert_true(err < 0);
        assert_non_null(what);
        c->disconnects++;
}

static void on_reject(void *ctx, const struct sockaddr *peer)
{
        struct counts *c = ctx;
        assert_non_null(peer);
        c->rejects++;
}

static const struct outst_io_cb io_cb = {
        .on_connect = on_connect,
        .on_disconnect = on_disconnect,
        .on_reject = on_reject,
};

static struct outst_io *instance(uint16_t address, struct counts *c, const char *allow)
{
        struct io_cidr cidr;
        struct outst_io_cfg cfg = { 0 };
        assert_int_equal(io_endpoint_parse("127.0.0.1:1", &cfg.listen.ep), 0);
        ((struct sockaddr_in *)&cfg.listen.ep.sa)->sin_port = 0;
        iotest_allow(&cfg, &cidr, allow);
        struct outst_cfg oc = iotest_outst_cfg(address);
        oc.points[DNP_TYPE_BI] = 4;
        oc.points[DNP_TYPE_AI] = 2;
        struct outst_io *io = NULL;
        assert_int_equal(outst_io_new(base, &cfg, &oc, NULL, &io_cb, c, &io), 0);
        struct db_point_cfg pc = { .static_var = 2, .event_var = 2, .event_class = 1 };
        assert_int_equal(db_configure(outst_db(outst_io_outst(io)), DNP_TYPE_BI, 0, 4, &pc), 0);
        assert_true(outst_io_port(io) > 0);
        return io;
}

static void spin(void)
{
        event_base_loop(base, EVLOOP_NONBLOCK);
}

static void client_open(struct client *c, uint16_t port, uint16_t remote, const char *source)
{
        memset(c, 0, sizeof(*c));
        c->remote = remote;
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(c->fd >= 0);
        if (source) {
                struct sockaddr_in src = { .sin_family = AF_INET };
                assert_int_equal(inet_pton(AF_INET, source, &src.sin_addr), 1);
                assert_int_equal(bind(c->fd, (struct sockaddr *)&src, sizeof(src)), 0);
        }
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        fcntl(c->fd, F_SETFL, O_NONBLOCK);
        struct lsess_cfg mc = { .master = true, .local = 1, .remote = remote };
        lsess_init(&c->ls, &mc, c->rx, sizeof(c->rx), 0);
        link_scanner_init(&c->sc);
}

static void client_send(struct client *c, uint8_t func, const uint8_t *objs, size_t n,
                        bool confirm_seq)
{
        uint8_t apdu[64], out[512];
        struct wr w;
        apdu[0] = (uint8_t)(APP_CTRL_FIR | APP_CTRL_FIN | (confirm_seq ? c->h.seq : c->seq));
        apdu[1] = func;
        if (n > 0)
                memcpy(apdu + 2, objs, n);
        if (!confirm_seq)
                c->seq = (c->seq + 1) & APP_CTRL_SEQ;
        wr_init(&w, out, sizeof(out));
        assert_int_equal(lsess_send(&c->ls, apdu, n + 2, 0, &w), 0);
        assert_int_equal(write(c->fd, out, w.len), (ssize_t)w.len);
}

/* Run the loop until the client has an APDU (true) or the peer closed (false). */
static bool client_wait(struct client *c)
{
        uint64_t end = now_ms() + DEADLINE_MS;
        while (now_ms() < end) {
                spin();
                uint8_t buf[4096];
                ssize_t n = read(c->fd, buf, sizeof(buf));
                if (n == 0 || (n < 0 && errno != EAGAIN)) {
                        c->eof = true;
                        return false;
                }
                size_t off = 0;
                while (n > 0 && off < (size_t)n) {
                        off += link_scanner_feed(&c->sc, buf + off, (size_t)n - off);
                        struct link_frame f;
                        while (link_scanner_next(&c->sc, &f) > 0) {
                                assert_int_equal(lsess_check_frame(&c->ls, &f), LSESS_MATCH_OK);
                                const uint8_t *a;
                                size_t alen;
                                uint8_t junk[64];
                                struct wr w;
                                wr_init(&w, junk, sizeof(junk));
                                if (lsess_on_frame(&c->ls, &f, 0, &w, &a, &alen) == 1) {
                                        struct rd r;
                                        rd_init(&r, a, alen);
                                        assert_int_equal(apdu_parse_hdr(&r, &c->h), 0);
                                        memcpy(c->apdu, a, alen);
                                        c->apdu_len = alen;
                                        return true;
                                }
                        }
                }
        }
        fail_msg("no APDU within %d ms", DEADLINE_MS);
        return false;
}

static const uint8_t class1[] = { 0x3c, 0x02, 0x06 };

/* READ class 1; returns the number of g2 objects in the (single-fragment) response. */
static unsigned read_class1(struct client *c)
{
        client_send(c, APP_FUNC_READ, class1, sizeof(class1), false);
        assert_true(client_wait(c));
        assert_int_equal(c->h.func, APP_FUNC_RESPONSE);
        assert_true(c->h.fin);
        unsigned n = 0;
        if (c->apdu_len > APP_RSP_HDR_LEN) {
                /* g2v2 with qualifier 0x28: count at bytes 3-4 of the first header */
                struct rd r;
                uint8_t g = 0, v = 0, q = 0;
                uint16_t count = 0;
                rd_init(&r, c->apdu + APP_RSP_HDR_LEN, c->apdu_len - APP_RSP_HDR_LEN);
                assert_int_equal(rd_u8(&r, &g), 0);
                assert_int_equal(rd_u8(&r, &v), 0);
                assert_int_equal(rd_u8(&r, &q), 0);
                assert_int_equal(rd_le16(&r, &count), 0);
                assert_int_equal(g, 2);
                assert_int_equal(q, 0x28);
                n = count;
        }
        if (c->h.con)
                client_send(c, APP_FUNC_CONFIRM, NULL, 0, true);
        return n;
}

static void set_bi(struct outst_io *io, uint32_t i, bool on)
{
        struct dnp_value v = { .index = i, .flags = DNP_FLAG_ONLINE, .v.bit = on,
                               .time = 1700000000000ull, .time_kind = DNP_TIME_ABS };
        assert_int_equal(outst_io_update(io, DNP_TYPE_BI, &v, DB_FORCE), 1);
}

static void wait_for(const int *counter, int want)
{
        uint64_t end = now_ms() + DEADLINE_MS;
        while (*counter < want && now_ms() < end)
                spin();
        assert_int_equal(*counter, want);
}

static void test_two_instances_own_events(void **state)
{
        (void)state;
        struct counts ca = { 0 }, cb = { 0 };
        struct outst_io *a = instance(10, &ca, NULL), *b = instance(11, &cb, NULL);
        assert_int_not_equal(outst_io_port(a), outst_io_port(b));
        struct client x, y;
        client_open(&x, outst_io_port(a), 10, NULL);
        client_open(&y, outst_io_port(b), 11, NULL);
        wait_for(&ca.connects, 1);
        wait_for(&cb.connects, 1);
        assert_true(outst_io_connected(a));

        set_bi(a, 1, true);
        set_bi(a, 2, true);
        set_bi(b, 0, true);
        assert_int_equal(read_class1(&x), 2);
        assert_int_equal(read_class1(&y), 1);
        /* confirmed: gone from each instance's own buffer only */
        assert_int_equal(read_class1(&x), 0);
        assert_int_equal(read_class1(&y), 0);
        assert_int_equal(events_stats(outst_events(outst_io_outst(a)))->confirmed[1], 2);
        assert_int_equal(events_stats(outst_events(outst_io_outst(b)))->confirmed[1], 1);

        /* idle: no deadline, so no timer armed and none ever fired */
        spin();
        assert_int_equal(outst_deadline(outst_io_outst(a)), DNP_NEVER);
        assert_int_equal(outst_io_stats(a)->run.timer_wakeups, 0);
        assert_int_equal(outst_io_stats(b)->run.timer_wakeups, 0);
        close(x.fd);
        close(y.fd);
        wait_for(&ca.disconnects, 1);
        wait_for(&cb.disconnects, 1);
        assert_false(outst_io_connected(a));
        outst_io_free(a);
        outst_io_free(b);
}

static void test_replace_keeps_unconfirmed(void **state)
{
        (void)state;
        struct counts ca = { 0 };
        struct outst_io *a = instance(10, &ca, NULL);
        struct client x, x2;
        client_open(&x, outst_io_port(a), 10, NULL);
        wait_for(&ca.connects, 1);
        set_bi(a, 3, true);
        client_send(&x, APP_FUNC_READ, class1, sizeof(class1), false);
        assert_true(client_wait(&x));
        assert_true(x.h.con);           /* never confirmed */
        assert_int_equal(events_count(outst_events(outst_io_outst(a)), 1), 1);

        client_open(&x2, outst_io_port(a), 10, NULL);
        wait_for(&ca.connects, 2);
        assert_int_equal(ca.replaced, 1);
        assert_int_equal(ca.disconnects, 1);
        assert_int_equal(outst_io_stats(a)->replaced, 1);
        assert_false(client_wait(&x));  /* the old connection is closed */
        assert_true(x.eof);
        assert_int_equal(read_class1(&x2), 1);
        assert_int_equal(read_class1(&x2), 0);
        close(x.fd);
        close(x2.fd);
        outst_io_free(a);
}

static void test_allow_list(void **state)
{
        (void)state;
        struct counts ca = { 0 };
        struct outst_io *a = instance(10, &ca, "127.0.0.2/32");
        struct client bad, good;
        client_open(&bad, outst_io_port(a), 10, "127.0.0.1");
        wait_for(&ca.rejects, 1);
        assert_false(client_wait(&bad));
        assert_int_equal(outst_io_stats(a)->rejected, 1);
        assert_int_equal(ca.connects, 0);
        client_open(&good, outst_io_port(a), 10, "127.0.0.2");
        wait_for(&ca.connects, 1);
        set_bi(a, 0, true);
        assert_int_equal(read_class1(&good), 1);
        close(bad.fd);
        close(good.fd);
        outst_io_free(a);
}

static int setup(void **state)
{
        (void)state;
        base = event_base_new();
        return base ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        event_base_loop(base, EVLOOP_NONBLOCK);     /* deferred connection releases */
        event_base_free(base);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_two_instances_own_events, setup, teardown),
                cmocka_unit_test_setup_teardown(test_replace_keeps_unconfirmed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_allow_list, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
