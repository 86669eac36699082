/* SPDX-License-Identifier: MIT */
/*
 * Event-loop passes of a control through the gateway, in one process with
 * the real pieces: an outstation session (outst_io) listening on loopback
 * TCP, a master channel (master_io) on a pty pair (the real libserialport
 * through the ptyshim), and the gateway core (gw) between them.  The test
 * is SCADA (a TCP socket) and the IED (the pty's other end); it runs the
 * event loop one pass (EVLOOP_ONCE) at a time and counts the passes.
 *
 * DNP3 control pass-through (IEEE 1815 DIRECT_OPERATE forwarded per
 * device): the SCADA master's DIRECT_OPERATE of a CROB reaches the IED's
 * serial line in the pass that read it from TCP (the session's wake
 * flushes the master channel at once: no deferred flush, no 0 ms timer,
 * no write left to a later "writable" pass), and the IED's echo reaches
 * SCADA in the pass that read it from the line, with the IED's status.
 * Each costs one read and one write (the pipes' counters).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "dnp3/app.h"
#include "dnp3/cursor.h"
#include "dnp3/link.h"
#include "dnp3/lsess.h"
#include "gateway/gw.h"
#include "io/clock.h"
#include "io/master_io.h"
#include "io/outst_io.h"
#include "../io/iotest.h"

#define DEADLINE_MS 5000
#define IED_ADDR 20

/* One end of a DNP3 link driven by the test (SCADA master on TCP, IED on the pty). */
struct peer {
        int fd;
        struct lsess ls;
        uint8_t rx[4096];
        struct link_scanner sc;
        struct apdu_hdr h;
        uint8_t apdu[2048];
        size_t apdu_len;
        uint64_t rx_bytes, tx_bytes;    /* every byte this end read / wrote */
};

struct rig {
        struct event_base *base;
        struct outst_io *out;
        struct master_io *mio;
        struct master_dev *dev;
        struct gw *g;
        int pty_m, pty_s;
        char pty_name[64];
        struct peer scada, ied;
        unsigned passes;
};

static struct rig R;

static void peer_init(struct peer *p, int fd, bool master, uint16_t local, uint16_t remote)
{
        memset(p, 0, sizeof(*p));
        p->fd = fd;
        struct lsess_cfg c = { .master = master, .local = local, .remote = remote };
        lsess_init(&p->ls, &c, p->rx, sizeof(p->rx), 0);
        link_scanner_init(&p->sc);
}

/* Returns the bytes written (the link frames). */
static size_t peer_send(struct peer *p, const uint8_t *apdu, size_t n)
{
        uint8_t out[1024];
        struct wr w;
        wr_init(&w, out, sizeof(out));
        assert_int_equal(lsess_send(&p->ls, apdu, n, 0, &w), 0);
        assert_int_equal(write(p->fd, out, w.len), (ssize_t)w.len);
        p->tx_bytes += w.len;
        return w.len;
}

/*
 * Take what is readable now (wait up to `wait_ms` for the first byte; the
 * event loop does not run meanwhile).  True when a whole APDU arrived.
 */
static bool peer_poll(struct peer *p, int wait_ms)
{
        struct pollfd pf = { .fd = p->fd, .events = POLLIN };
        uint64_t end = io_mono_ms() + (uint64_t)wait_ms;
        for (;;) {
                int left = (int)(end > io_mono_ms() ? end - io_mono_ms() : 0);
                if (poll(&pf, 1, left) <= 0)
                        return false;
                uint8_t buf[4096];
                ssize_t n = read(p->fd, buf, sizeof(buf));
                if (n <= 0)
                        return false;
                p->rx_bytes += (uint64_t)n;
                size_t off = 0;
                while (off < (size_t)n) {
                        off += link_scanner_feed(&p->sc, buf + off, (size_t)n - off);
                        struct link_frame f;
                        while (link_scanner_next(&p->sc, &f) > 0) {
                                const uint8_t *a;
                                size_t alen;
                                uint8_t lk[64];
                                struct wr w;
                                wr_init(&w, lk, sizeof(lk));
                                int r = lsess_on_frame(&p->ls, &f, 0, &w, &a, &alen);
                                if (w.len) {    /* a link-layer answer (link status) */
                                        assert_int_equal(write(p->fd, lk, w.len), (ssize_t)w.len);
                                        p->tx_bytes += w.len;
                                }
                                if (r == 1) {
                                        struct rd c;
                                        rd_init(&c, a, alen);
                                        assert_int_equal(apdu_parse_hdr(&c, &p->h), 0);
                                        memcpy(p->apdu, a, alen);
                                        p->apdu_len = alen;
                                        return true;
                                }
                        }
                }
        }
}

/* The IED answers a request: the echo of its objects for a control, else no objects. */
static size_t ied_answer(struct peer *p)
{
        uint8_t rsp[2048];
        size_t n = APP_RSP_HDR_LEN;
        rsp[0] = (uint8_t)(APP_CTRL_FIR | 0x40 /* FIN */ | p->h.seq);
        rsp[1] = APP_FUNC_RESPONSE;
        rsp[2] = rsp[3] = 0;
        if (p->h.func == APP_FUNC_DIRECT_OPERATE || p->h.func == APP_FUNC_SELECT ||
            p->h.func == APP_FUNC_OPERATE) {
                memcpy(rsp + n, p->apdu + APP_REQ_HDR_LEN, p->apdu_len - APP_REQ_HDR_LEN);
                n += p->apdu_len - APP_REQ_HDR_LEN;
        }
        return peer_send(p, rsp, n);
}

/* Bytes waiting in the serial line's input queue (what the master's fd will read). */
static int line_queued(void)
{
        int q = 0;
        assert_int_equal(ioctl(R.pty_s, FIONREAD, &q), 0);
        return q;
}

/* Run passes (answering as the IED) until cond holds. */
static void run_until(bool (*cond)(void))
{
        uint64_t end = io_mono_ms() + DEADLINE_MS;
        while (!cond() && io_mono_ms() < end) {
                event_base_loop(R.base, EVLOOP_NONBLOCK);
                if (peer_poll(&R.ied, 1))
                        ied_answer(&R.ied);
        }
        assert_true(cond());
}

/*
 * Nothing in flight on the serial line either way: the gateway read every
 * byte the IED wrote, and the IED every byte the gateway wrote.  A pty
 * hands bytes over from a kernel worker, late under load: an answer the IED
 * wrote may not be readable yet when the loop runs, and would be read in a
 * later pass.
 */
static bool line_settled(void)
{
        const struct io_pipe_stats *st = io_pipe_stats(master_io_pipe(R.mio));
        return st->rx_bytes == R.ied.tx_bytes && st->tx_bytes == R.ied.rx_bytes;
}

static bool dev_online(void)
{
        return master_dev_get_state(R.dev) == MASTER_DEV_ONLINE;
}

static bool scada_connected(void)
{
        return outst_io_connected(R.out);
}

/* ---- wiring: what the daemon does, reduced to one outstation and one device ---- */

static void on_command(void *ctx, uint32_t token, uint8_t func, const struct outst_cmd *cmds,
                       size_t n)
{
        (void)ctx;
        gw_on_command(R.g, 0, token, func, cmds, n, io_mono_ms());
}

static void on_select_end(void *ctx, enum outst_sel_end why)
{
        (void)ctx;
        (void)why;
        gw_on_select_end(R.g, 0, io_mono_ms());
}

static void on_value(void *ctx, const struct master_meas *m)
{
        (void)ctx;
        gw_on_meas(R.g, 0, m, io_mono_ms());
}

static void on_state(void *ctx, struct master_dev *d, enum master_dev_state s)
{
        (void)ctx;
        (void)d;
        gw_on_dev_state(R.g, 0, s, io_mono_ms());
}

static int setup(void **state)
{
        (void)state;
        memset(&R, 0, sizeof(R));
        R.base = event_base_new();
        assert_int_equal(openpty(&R.pty_m, &R.pty_s, R.pty_name, NULL, NULL), 0);
        fcntl(R.pty_m, F_SETFL, O_NONBLOCK);

        const struct gw_map_entry map[] = {
                { .type = DNP_TYPE_BO, .index = 0, .count = 4, .dev = 0, .source_index = 0 },
        };
        assert_int_equal(gw_new(map, 1, 1, 1, NULL, &R.g), 0);

        struct outst_io_cfg oio = { 0 };
        assert_int_equal(io_endpoint_parse("127.0.0.1:1", &oio.listen.ep), 0);
        ((struct sockaddr_in *)&oio.listen.ep.sa)->sin_port = 0;
        struct outst_cfg oc = iotest_outst_cfg(10);
        oc.points[DNP_TYPE_BO] = 4;
        static const struct outst_callbacks ocb = {
                .on_command = on_command,
                .on_select_end = on_select_end,
        };
        assert_int_equal(outst_io_new(R.base, &oio, &oc, &ocb, NULL, NULL, &R.out), 0);
        gw_set_outstation(R.g, 0, outst_io_outst(R.out));

        struct master_io_cfg mc = {
                .pipe = { .transport = IO_TRANSPORT_SERIAL,
                          .serial = { .device = R.pty_name, .baud = 115200, .data_bits = 8,
                                      .stop_bits = 1 } },
                .chan = { .master_address = 1, .response_timeout_ms = 2000, .retries = 0 },
        };
        const struct master_callbacks mcb = { .on_value = on_value, .on_state = on_state };
        assert_int_equal(master_io_new(R.base, &mc, &mcb, NULL, NULL, &R.mio), 0);
        const struct master_dev_cfg dc = { .name = "ied", .address = IED_ADDR,
                                           .control_timeout_ms = 10000 };
        assert_int_equal(master_io_add_dev(R.mio, &dc, &R.dev), 0);
        gw_set_device(R.g, 0, R.dev);
        peer_init(&R.ied, R.pty_m, false, IED_ADDR, 1);
        master_io_start(R.mio);
        assert_true(master_io_is_up(R.mio));
        run_until(dev_online);          /* the startup poll answered */

        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(outst_io_port(R.out)),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        peer_init(&R.scada, fd, true, 1, 10);
        run_until(scada_connected);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        close(R.scada.fd);
        outst_io_free(R.out);
        master_io_free(R.mio);
        gw_free(R.g);
        event_base_loop(R.base, EVLOOP_NONBLOCK);
        event_base_free(R.base);
        close(R.pty_m);
        close(R.pty_s);
        return 0;
}

/* g12v1, qualifier 0x28, index 0: PULSE_ON, count 1, 100 ms on, 100 ms off, status 0. */
static const uint8_t crob[] = { 0x0c, 0x01, 0x28, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01,
                                0x64, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00 };

static void test_control_one_pass_each_way(void **state)
{
        (void)state;
        /*
         * idle first: nothing pending on either side.  The master's startup
         * requests are answered until none comes for 50 ms, and every answer
         * has been read by the gateway (an answer still on its way to the
         * master would be read in one of the passes counted below).
         */
        uint64_t idle_end = io_mono_ms() + DEADLINE_MS;
        for (;;) {
                event_base_loop(R.base, EVLOOP_NONBLOCK);
                if (peer_poll(&R.ied, 50))
                        ied_answer(&R.ied);
                else if (line_settled())
                        break;
                assert_true(io_mono_ms() < idle_end);
        }

        const struct io_pipe_stats *down = io_pipe_stats(master_io_pipe(R.mio));
        uint64_t down_writes = down->writes, down_reads = down->reads, down_rx = down->rx_bytes;
        struct io_runner_stats up0 = outst_io_stats(R.out)->run;

        /* SCADA -> gateway: DIRECT_OPERATE; it is on the TCP socket before the pass. */
        uint8_t req[2 + sizeof(crob)] = { APP_CTRL_FIR | 0x40 | 3, APP_FUNC_DIRECT_OPERATE };
        memcpy(req + 2, crob, sizeof(crob));
        peer_send(&R.scada, req, sizeof(req));

        event_base_loop(R.base, EVLOOP_ONCE);
        R.passes++;
        /* the downstream request is on the line after that one pass (the loop does not run) */
        assert_true(peer_poll(&R.ied, DEADLINE_MS));
        assert_int_equal(R.passes, 1);
        assert_int_equal(R.ied.h.func, APP_FUNC_DIRECT_OPERATE);
        assert_int_equal(R.ied.apdu_len, APP_REQ_HDR_LEN + sizeof(crob));
        assert_memory_equal(R.ied.apdu + APP_REQ_HDR_LEN, crob, sizeof(crob));
        assert_int_equal(down->writes - down_writes, 1);       /* one write() */
        assert_int_equal(outst_io_stats(R.out)->run.reads - up0.reads, 1);

        /* IED -> gateway: the echo, SUCCESS; wait until the line holds all of it. */
        int want = (int)ied_answer(&R.ied);
        uint64_t end = io_mono_ms() + DEADLINE_MS;
        while (line_queued() < want && io_mono_ms() < end)
                poll(NULL, 0, 1);
        assert_int_equal(line_queued(), want);

        event_base_loop(R.base, EVLOOP_ONCE);
        R.passes++;
        assert_int_equal(down->reads - down_reads, 1);         /* one read() */
        assert_int_equal(down->rx_bytes - down_rx, (uint64_t)want);     /* of the whole echo */
        /* the upstream response is on the TCP socket after that one pass */
        assert_true(peer_poll(&R.scada, DEADLINE_MS));
        assert_int_equal(R.passes, 2);
        assert_int_equal(R.scada.h.func, APP_FUNC_RESPONSE);
        assert_int_equal(R.scada.h.seq, 3);
        assert_int_equal(R.scada.apdu_len, APP_RSP_HDR_LEN + sizeof(crob));
        assert_memory_equal(R.scada.apdu + APP_RSP_HDR_LEN, crob, sizeof(crob));
        assert_int_equal(outst_io_stats(R.out)->run.writes - up0.writes, 1);
        /* no timer was needed on either side */
        assert_int_equal(outst_io_stats(R.out)->run.timer_wakeups, up0.timer_wakeups);
        /* all of it on SCADA's one connection (no other client took the port) */
        assert_int_equal(outst_io_stats(R.out)->connects, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_control_one_pass_each_way, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
