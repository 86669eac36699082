/* SPDX-License-Identifier: MIT */
/*
 * Outstation session driven byte by byte with a simulated clock.  A master
 * link session (lsess, master role) frames the requests and reassembles the
 * responses; the tests compare whole APDUs byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnp3/app.h"
#include "outstation/outst.h"

#define MAXRSP 16

struct h {
        struct outst *o;
        struct lsess m;
        uint8_t mrx[8192];
        struct link_scanner sc;
        uint64_t now;
        uint8_t rsp[MAXRSP][4096];
        size_t rsp_len[MAXRSP];
        size_t nrsp, next;
        /* application side */
        uint32_t token;
        uint8_t func;
        size_t ncmds;
        struct outst_cmd cmds[8];
        unsigned commands;
        uint64_t sync_time, sync_at;
        int sync_kind;
        unsigned syncs;
};

static struct h H;

static void on_command(void *ctx, uint32_t token, uint8_t func, const struct outst_cmd *cmds,
                       size_t n)
{
        (void)ctx;
        H.token = token;
        H.func = func;
        H.ncmds = n;
        memcpy(H.cmds, cmds, (n < 8 ? n : 8) * sizeof(*cmds));
        H.commands++;
}

static void on_time_sync(void *ctx, uint64_t t, uint64_t at, enum outst_time_kind kind)
{
        (void)ctx;
        H.sync_time = t;
        H.sync_at = at;
        H.sync_kind = (int)kind;
        H.syncs++;
}

static int on_restart(void *ctx, bool cold, uint32_t *ret_delay_ms)
{
        (void)ctx;
        *ret_delay_ms = cold ? 5000 : 1500;
        return 0;
}

static const struct outst_callbacks cbs = {
        .on_command = on_command,
        .on_time_sync = on_time_sync,
        .on_restart = on_restart,
};

static void drain(void);

static struct outst_cfg base_cfg(void)
{
        struct outst_cfg c = {
                .address = 10,
                .master_address = 1,
                .max_fragment = 2048,
                .max_rx_fragment = 2048,
                .link_timeout_ms = 1000,
                .confirm_timeout_ms = 5000,
                .select_timeout_ms = 10000,
                .cmd_timeout_ms = 3000,
                .event_depth = { 0, 100, 100, 100 },
                .points = {
                        [DNP_TYPE_BI] = 8, [DNP_TYPE_DBI] = 2, [DNP_TYPE_BO] = 4,
                        [DNP_TYPE_CNT] = 4, [DNP_TYPE_FCNT] = 4, [DNP_TYPE_AI] = 4,
                        [DNP_TYPE_AO] = 2,
                },
        };
        return c;
}

static void h_init(const struct outst_cfg *cfg)
{
        int err = 0;
        outst_free(H.o);
        memset(&H, 0, sizeof(H));
        H.now = 1000;
        H.o = outst_new(cfg, &cbs, NULL, H.now, &err);
        assert_non_null(H.o);
        struct lsess_cfg mc = { .master = true, .local = 1, .remote = 10 };
        lsess_init(&H.m, &mc, H.mrx, sizeof(H.mrx), H.now);
        link_scanner_init(&H.sc);
        outst_connect(H.o, H.now);
        drain();
}

static int teardown(void **state)
{
        (void)state;
        outst_free(H.o);
        H.o = NULL;
        return 0;
}

/* Take everything the outstation produced; APDUs go to H.rsp. */
static void drain(void)
{
        const uint8_t *p;
        size_t n;
        while ((n = outst_output(H.o, &p)) > 0) {
                uint8_t copy[8192];
                assert_true(n <= sizeof(copy));
                memcpy(copy, p, n);
                outst_output_consumed(H.o, n, H.now);
                size_t off = 0;
                while (off < n) {
                        off += link_scanner_feed(&H.sc, copy + off, n - off);
                        struct link_frame f;
                        while (link_scanner_next(&H.sc, &f) > 0) {
                                assert_int_equal(lsess_check_frame(&H.m, &f), LSESS_MATCH_OK);
                                const uint8_t *a;
                                size_t alen;
                                uint8_t junk[64];
                                struct wr w;
                                wr_init(&w, junk, sizeof(junk));
                                if (lsess_on_frame(&H.m, &f, H.now, &w, &a, &alen) == 1) {
                                        assert_true(H.nrsp < MAXRSP);
                                        memcpy(H.rsp[H.nrsp], a, alen);
                                        H.rsp_len[H.nrsp++] = alen;
                                }
                        }
                }
        }
}

static void send_apdu(const uint8_t *apdu, size_t n)
{
        uint8_t buf[8192];
        struct wr w;
        wr_init(&w, buf, sizeof(buf));
        assert_int_equal(lsess_send(&H.m, apdu, n, H.now, &w), 0);
        for (size_t i = 0; i < w.len; i++)
                outst_on_bytes(H.o, &buf[i], 1, H.now);
        drain();
}

#define SEND(...) do { static const uint8_t r_[] = { __VA_ARGS__ }; send_apdu(r_, sizeof(r_)); } while (0)

static void expect(const uint8_t *p, size_t n)
{
        assert_true(H.next < H.nrsp);
        assert_int_equal(H.rsp_len[H.next], n);
        assert_memory_equal(H.rsp[H.next], p, n);
        H.next++;
}

#define EXPECT(...) do { static const uint8_t e_[] = { __VA_ARGS__ }; expect(e_, sizeof(e_)); } while (0)

static void expect_none(void)
{
        assert_int_equal(H.next, H.nrsp);
}

static void advance(uint64_t to)
{
        while (outst_deadline(H.o) <= to) {
                uint64_t d = outst_deadline(H.o);
                if (d > H.now)
                        H.now = d;
                outst_on_timer(H.o, H.now);
                drain();
        }
        H.now = to;
        outst_on_timer(H.o, H.now);
        drain();
}

static void set_bi(uint32_t i, bool on, uint64_t t, enum db_mode mode)
{
        struct dnp_value v = { .index = i, .flags = DNP_FLAG_ONLINE, .time = t, .v.bit = on };
        outst_update(H.o, DNP_TYPE_BI, &v, mode, H.now);
        drain();
}

static void clear_restart(void)
{
        SEND(0xc0, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00);
        EXPECT(0xc0, 0x81, 0x00, 0x00);
}

/* ---------------------------------------------------------------------- */

static void test_restart_iin_and_clear(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        expect_none();          /* unsolicited not configured: no null unsolicited */
        SEND(0xc1, 0x01, 0x3c, 0x02, 0x06);     /* class 1: nothing */
        EXPECT(0xc1, 0x81, 0x80, 0x00);         /* IIN1.7 DEVICE_RESTART */
        /* write g80v1 index 7 = 1 is refused */
        SEND(0xc2, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x01);
        EXPECT(0xc2, 0x81, 0x80, 0x04);
        SEND(0xc3, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00);
        EXPECT(0xc3, 0x81, 0x00, 0x00);
        expect_none();
}

static void test_integrity_three_fragments(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        c.max_fragment = 256;
        memset(c.points, 0, sizeof(c.points));
        c.points[DNP_TYPE_AI] = 100;
        h_init(&c);
        for (uint32_t i = 0; i < 100; i++) {
                struct dnp_value v = { .index = i, .flags = DNP_FLAG_ONLINE, .v.analog = i };
                assert_int_equal(outst_update(H.o, DNP_TYPE_AI, &v, DB_DETECT, H.now), 0);
        }
        clear_restart();

        SEND(0xc4, 0x01, 0x3c, 0x01, 0x06);
        assert_int_equal(H.nrsp, 2);
        /* fragment 1: FIR CON seq 4, g30v5 q=0x00 0..48 (49 x 5 bytes) */
        assert_int_equal(H.rsp_len[1], 4 + 5 + 49 * 5);
        static const uint8_t f1[] = { 0xa4, 0x81, 0x00, 0x00, 0x1e, 0x05, 0x00, 0x00, 0x30,
                                      0x01, 0x00, 0x00, 0x00, 0x00,     /* 0.0 */
                                      0x01, 0x00, 0x00, 0x80, 0x3f };   /* 1.0 */
        assert_memory_equal(H.rsp[1], f1, sizeof(f1));
        H.next = 2;
        /* nothing more until the confirm; a confirm with the wrong SEQ is ignored */
        SEND(0xc5, 0x00);
        expect_none();
        SEND(0xc4, 0x00);
        assert_int_equal(H.nrsp, 3);
        static const uint8_t f2[] = { 0x25, 0x81, 0x00, 0x00, 0x1e, 0x05, 0x00, 0x31, 0x61,
                                      0x01, 0x00, 0x00, 0x44, 0x42 };   /* 49.0 */
        assert_int_equal(H.rsp_len[2], 4 + 5 + 49 * 5);
        assert_memory_equal(H.rsp[2], f2, sizeof(f2));
        H.next = 3;
        SEND(0xc5, 0x00);
        /* last fragment: FIN, no CON (no events), seq 6 */
        EXPECT(0x46, 0x81, 0x00, 0x00, 0x1e, 0x05, 0x00, 0x62, 0x63,
               0x01, 0x00, 0x00, 0xc4, 0x42, 0x01, 0x00, 0x00, 0xc6, 0x42);
        expect_none();
        /* a late confirm does nothing */
        SEND(0xc6, 0x00);
        expect_none();
}

static void test_event_overflow_iin23(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        c.event_depth[1] = 3;
        h_init(&c);
        struct db_point_cfg pc = { .static_var = 2, .event_var = 2, .event_class = 1 };
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_BI, 0, 8, &pc), 0);
        clear_restart();

        for (uint32_t i = 0; i < 5; i++)
                set_bi(i, true, 0x010203040500 + i, DB_FORCE);
        assert_int_equal(events_count(outst_events(H.o), 1), 3);
        assert_int_equal(events_stats(outst_events(H.o))->discarded[1], 2);
        assert_true(events_take_high_water(outst_events(H.o), 1));
        assert_false(events_take_high_water(outst_events(H.o), 1));

        SEND(0xc1, 0x01, 0x3c, 0x01, 0x06);     /* class 0 also reports IIN1.1 and IIN2.3 */
        assert_int_equal(H.nrsp, 2);
        assert_int_equal(H.rsp[1][2], 0x02);
        assert_int_equal(H.rsp[1][3], 0x08);
        H.next = 2;

        SEND(0xc2, 0x01, 0x3c, 0x02, 0x06);     /* the 3 newest, oldest first */
        EXPECT(0xe2, 0x81, 0x00, 0x08, 0x02, 0x02, 0x28, 0x03, 0x00,
               0x02, 0x00, 0x81, 0x02, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x03, 0x00, 0x81, 0x03, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x04, 0x00, 0x81, 0x04, 0x05, 0x04, 0x03, 0x02, 0x01);
        SEND(0xc2, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 1), 0);
        SEND(0xc3, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc3, 0x81, 0x00, 0x00);         /* IIN2.3 cleared after the read */
        expect_none();
}

/* Give BI 0..n-1 their first value (off): that makes no event, so later
 * updates in a test are changes. */
static void populate_bi(uint32_t n)
{
        size_t before[4];
        for (unsigned c = 1; c <= 3; c++)
                before[c] = events_count(outst_events(H.o), c);
        for (uint32_t i = 0; i < n; i++)
                set_bi(i, false, 0, DB_DETECT);
        for (unsigned c = 1; c <= 3; c++)
                assert_int_equal(events_count(outst_events(H.o), c), before[c]);
}

static void test_events_kept_on_drop(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        struct db_point_cfg pc = { .static_var = 2, .event_var = 1, .event_class = 2 };
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_BI, 0, 8, &pc), 0);
        clear_restart();
        populate_bi(8);
        set_bi(1, true, 0, DB_DETECT);
        set_bi(2, true, 0, DB_DETECT);
        set_bi(2, true, 0, DB_DETECT);          /* unchanged: no event */
        assert_int_equal(events_count(outst_events(H.o), 2), 2);

        SEND(0xc1, 0x01, 0x3c, 0x03, 0x06);
        EXPECT(0xe1, 0x81, 0x00, 0x00, 0x02, 0x01, 0x28, 0x02, 0x00,
               0x01, 0x00, 0x81, 0x02, 0x00, 0x81);
        /* no confirm: the connection drops, nothing is lost */
        outst_disconnect(H.o, H.now);
        H.now += 10;
        outst_connect(H.o, H.now);
        lsess_reset(&H.m, H.now);
        link_scanner_init(&H.sc);
        assert_int_equal(events_unsent(outst_events(H.o), 2), 2);
        SEND(0xc7, 0x01, 0x3c, 0x03, 0x06);
        EXPECT(0xe7, 0x81, 0x00, 0x00, 0x02, 0x01, 0x28, 0x02, 0x00,
               0x01, 0x00, 0x81, 0x02, 0x00, 0x81);
        /* confirm timeout: back to unsent, IIN1.2 reported */
        advance(H.now + 5000);
        assert_int_equal(outst_stats(H.o)->confirm_timeouts, 1);
        SEND(0xc8, 0x01, 0x3c, 0x01, 0x06);
        assert_int_equal(H.rsp[H.next][2], 0x04);       /* IIN1.2 */
        H.next = H.nrsp;
        SEND(0xc9, 0x01, 0x3c, 0x03, 0x06);
        assert_int_equal(H.rsp[H.next][0], 0xe9);
        H.next = H.nrsp;
        SEND(0xc9, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 2), 0);
}

static const uint8_t crob3[] = { 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00,
                                 0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00 };

static void send_ctl(uint8_t seq, uint8_t func, const uint8_t *objs, size_t n)
{
        uint8_t a[64] = { (uint8_t)(0xc0 | seq), func };
        memcpy(a + 2, objs, n);
        send_apdu(a, n + 2);
}

static void expect_crob(uint8_t seq, uint8_t status, uint8_t on_ms)
{
        uint8_t e[4 + sizeof(crob3)] = { (uint8_t)(0xc0 | seq), 0x81, 0x00, 0x00 };
        memcpy(e + 4, crob3, sizeof(crob3));
        e[4 + 9] = on_ms;
        e[4 + sizeof(crob3) - 1] = status;
        expect(e, sizeof(e));
}

static void complete(uint8_t status)
{
        uint8_t st[8];
        memset(st, status, sizeof(st));
        assert_int_equal(outst_cmd_complete(H.o, H.token, st, H.ncmds, H.now), 0);
        drain();
}

static void test_select_operate(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();

        /* SELECT seq 1 -> the application answers -> echo */
        send_ctl(1, APP_FUNC_SELECT, crob3, sizeof(crob3));
        expect_none();
        assert_int_equal(H.commands, 1);
        assert_int_equal(H.func, APP_FUNC_SELECT);
        assert_int_equal(H.ncmds, 1);
        assert_int_equal(H.cmds[0].group, 12);
        assert_int_equal(H.cmds[0].v.index, 3);
        assert_int_equal(H.cmds[0].v.v.crob.code, 3);
        assert_int_equal(H.cmds[0].v.v.crob.on_ms, 100);
        complete(DNP_CMD_SUCCESS);
        expect_crob(1, 0, 100);
        /* OPERATE seq 2, same objects -> forwarded */
        send_ctl(2, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        assert_int_equal(H.commands, 2);
        assert_int_equal(H.func, APP_FUNC_OPERATE);
        complete(DNP_CMD_SUCCESS);
        expect_crob(2, 0, 100);
        /* a second OPERATE: the selection was used up */
        send_ctl(3, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(3, DNP_CMD_NO_SELECT, 100);
        assert_int_equal(H.commands, 2);

        /* wrong sequence */
        send_ctl(4, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete(DNP_CMD_SUCCESS);
        expect_crob(4, 0, 100);
        send_ctl(6, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(6, DNP_CMD_NO_SELECT, 100);

        /* different objects (on time 101) */
        send_ctl(7, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete(DNP_CMD_SUCCESS);
        expect_crob(7, 0, 100);
        uint8_t other[sizeof(crob3)];
        memcpy(other, crob3, sizeof(other));
        other[9] = 101;
        send_ctl(8, APP_FUNC_OPERATE, other, sizeof(other));
        expect_crob(8, DNP_CMD_NO_SELECT, 101);

        /* late */
        send_ctl(9, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete(DNP_CMD_SUCCESS);
        expect_crob(9, 0, 100);
        H.now += 10001;
        send_ctl(10, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(10, DNP_CMD_NO_SELECT, 100);

        /* in time, one millisecond before the window closes */
        send_ctl(11, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete(DNP_CMD_SUCCESS);
        expect_crob(11, 0, 100);
        H.now += 10000;
        send_ctl(12, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        complete(DNP_CMD_SUCCESS);
        expect_crob(12, 0, 100);

        /* a failed SELECT arms nothing */
        send_ctl(13, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete(DNP_CMD_HARDWARE_ERROR);
        expect_crob(13, DNP_CMD_HARDWARE_ERROR, 100);
        send_ctl(14, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(14, DNP_CMD_NO_SELECT, 100);
        assert_int_equal(outst_stats(H.o)->no_select, 5);
        expect_none();
}

static void test_deferred_direct_operate(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        /* g41v2 (int16) index 1 value 300, and g12v1 index 3 in one request */
        static const uint8_t objs[] = { 0x29, 0x02, 0x28, 0x01, 0x00, 0x01, 0x00,
                                        0x2c, 0x01, 0x00,
                                        0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00,
                                        0x41, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                        0x00, 0x00 };
        send_ctl(5, APP_FUNC_DIRECT_OPERATE, objs, sizeof(objs));
        expect_none();
        assert_int_equal(H.ncmds, 2);
        assert_int_equal(H.cmds[0].group, 41);
        assert_int_equal(H.cmds[0].var, 2);
        assert_true(H.cmds[0].v.v.ao.value == 300.0);
        assert_int_equal(H.cmds[1].v.v.crob.code, 0x41);
        uint32_t tok = H.token;
        H.now += 1500;
        advance(H.now);
        expect_none();                          /* still waiting for the application */
        uint8_t st[2] = { DNP_CMD_SUCCESS, DNP_CMD_DOWNSTREAM_FAIL };
        assert_int_equal(outst_cmd_complete(H.o, tok, st, 1, H.now), -EINVAL);
        assert_int_equal(outst_cmd_complete(H.o, tok, st, 2, H.now), 0);
        drain();
        EXPECT(0xc5, 0x81, 0x00, 0x00,
               0x29, 0x02, 0x28, 0x01, 0x00, 0x01, 0x00, 0x2c, 0x01, 0x00,
               0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00,
               0x41, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12);
        assert_int_equal(outst_cmd_complete(H.o, tok, st, 2, H.now), -ESTALE);

        /* superseded by a new request: the old token is stale, the new one answered */
        send_ctl(6, APP_FUNC_DIRECT_OPERATE, crob3, sizeof(crob3));
        tok = H.token;
        SEND(0xc7, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc7, 0x81, 0x00, 0x00);
        assert_int_equal(outst_cmd_complete(H.o, tok, st, 1, H.now), -ESTALE);
        drain();
        expect_none();

        /* timeout: TIMEOUT status after cmd_timeout */
        send_ctl(8, APP_FUNC_DIRECT_OPERATE, crob3, sizeof(crob3));
        advance(H.now + 2999);
        expect_none();
        advance(H.now + 1);
        expect_crob(8, DNP_CMD_TIMEOUT, 100);
        assert_int_equal(outst_stats(H.o)->cmd_timeouts, 1);

        /* DIRECT_OPERATE_NR: handed over, never answered */
        send_ctl(9, APP_FUNC_DIRECT_OPERATE_NR, crob3, sizeof(crob3));
        assert_int_equal(H.func, APP_FUNC_DIRECT_OPERATE_NR);
        complete(DNP_CMD_SUCCESS);
        expect_none();
}

static void test_duplicate_resend(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        SEND(0xc3, 0x01, 0x1e, 0x05, 0x00, 0x00, 0x00);
        static const uint8_t r[] = { 0xc3, 0x81, 0x00, 0x00, 0x1e, 0x05, 0x00, 0x00, 0x00,
                                     0x02, 0x00, 0x00, 0x00, 0x00 };
        expect(r, sizeof(r));
        /* the value changes, but the repeated request gets the same response */
        struct dnp_value v = { .index = 0, .flags = DNP_FLAG_ONLINE, .v.analog = 5 };
        outst_update(H.o, DNP_TYPE_AI, &v, DB_DETECT, H.now);
        SEND(0xc3, 0x01, 0x1e, 0x05, 0x00, 0x00, 0x00);
        expect(r, sizeof(r));
        assert_int_equal(outst_stats(H.o)->duplicates, 1);
        /* same bytes, other SEQ: a new request */
        SEND(0xc4, 0x01, 0x1e, 0x05, 0x00, 0x00, 0x00);
        EXPECT(0xc4, 0x81, 0x00, 0x00, 0x1e, 0x05, 0x00, 0x00, 0x00,
               0x01, 0x00, 0x00, 0xa0, 0x40);
}

static void test_errors_iin2(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        SEND(0xc1, 0x0f);                       /* INITIALIZE_DATA: not supported */
        EXPECT(0xc1, 0x81, 0x00, 0x01);
        SEND(0xc2, 0x01, 0x63, 0x01, 0x06);     /* g99v1: unknown object */
        EXPECT(0xc2, 0x81, 0x00, 0x02);
        SEND(0xc3, 0x01, 0x01, 0x02, 0x00, 0x05, 0x02);  /* stop < start */
        EXPECT(0xc3, 0x81, 0x00, 0x04);
        SEND(0xc4, 0x01, 0x01, 0x02, 0x00, 0x06, 0x09);  /* beyond the 8 points: clipped */
        EXPECT(0xc4, 0x81, 0x00, 0x04, 0x01, 0x02, 0x00, 0x06, 0x07, 0x02, 0x02);
        SEND(0xc5, 0x01, 0x01, 0x02, 0x07);     /* qualifier 0x07 without its count */
        EXPECT(0xc5, 0x81, 0x00, 0x04);
        SEND(0xc6, 0x22);                       /* AUTHENTICATE_REQ */
        EXPECT(0xc6, 0x81, 0x00, 0x01);
        assert_int_equal(outst_stats(H.o)->bad_requests, 6);
}

static void test_read_specific(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        set_bi(2, true, 0, DB_DETECT);
        /* g1v1 (packed) 0..7, g1v0 indexes 2 and 5 (default g1v2), g20v0 all */
        SEND(0xc1, 0x01, 0x01, 0x01, 0x00, 0x00, 0x07, 0x01, 0x00, 0x17, 0x02, 0x02, 0x05,
             0x14, 0x00, 0x06);
        EXPECT(0xc1, 0x81, 0x00, 0x00,
               0x01, 0x01, 0x00, 0x00, 0x07, 0x04,
               0x01, 0x02, 0x17, 0x01, 0x02, 0x81,
               0x01, 0x02, 0x17, 0x01, 0x05, 0x02,
               0x14, 0x01, 0x00, 0x00, 0x03,
               0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
               0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00);
}

static void test_time_delay_restart(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        c.need_time_ms = 60000;
        h_init(&c);
        SEND(0xc1, 0x17);                       /* DELAY_MEASURE */
        EXPECT(0xc1, 0x81, 0x90, 0x00, 0x34, 0x02, 0x07, 0x01, 0x00, 0x00);
        H.now = 2000;
        SEND(0xc2, 0x18);                       /* RECORD_CURRENT_TIME */
        EXPECT(0xc2, 0x81, 0x90, 0x00);
        H.now = 2050;
        SEND(0xc3, 0x02, 0x32, 0x03, 0x07, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05);
        EXPECT(0xc3, 0x81, 0x80, 0x00);         /* NEED_TIME cleared */
        assert_int_equal(H.syncs, 1);
        assert_int_equal(H.sync_time, 0x050403020100);
        assert_int_equal(H.sync_at, 2000);
        assert_int_equal(H.sync_kind, OUTST_TIME_LAN);
        /* g50v3 without a new RECORD_CURRENT_TIME -> IIN2.2 */
        SEND(0xc4, 0x02, 0x32, 0x03, 0x07, 0x01, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05);
        EXPECT(0xc4, 0x81, 0x80, 0x04);
        /* NEED_TIME again 60 s after the sync */
        advance(2050 + 60000);
        SEND(0xc5, 0x02, 0x32, 0x01, 0x07, 0x01, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00);
        EXPECT(0xc5, 0x81, 0x80, 0x00);
        assert_int_equal(H.sync_kind, OUTST_TIME_WRITE);
        assert_int_equal(H.sync_at, 62050);
        SEND(0xc6, 0x0d);                       /* COLD_RESTART: 5000 ms */
        EXPECT(0xc6, 0x81, 0x80, 0x00, 0x34, 0x02, 0x07, 0x01, 0x88, 0x13);
}

static void test_freeze(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        outst_set_wall_offset(H.o, 1000000);
        clear_restart();
        struct dnp_value v = { .index = 1, .flags = DNP_FLAG_ONLINE, .v.count = 77 };
        outst_update(H.o, DNP_TYPE_CNT, &v, DB_DETECT, H.now);
        SEND(0xc1, 0x09, 0x14, 0x00, 0x00, 0x01, 0x01); /* FREEZE_CLEAR counter 1 */
        EXPECT(0xc1, 0x81, 0x00, 0x00);
        struct dnp_value f, cnt;
        assert_int_equal(db_get(outst_db(H.o), DNP_TYPE_FCNT, 1, &f), 0);
        assert_int_equal(f.v.count, 77);
        assert_int_equal(f.time, 1000000 + H.now);
        assert_int_equal(db_get(outst_db(H.o), DNP_TYPE_CNT, 1, &cnt), 0);
        assert_int_equal(cnt.v.count, 0);
        SEND(0xc2, 0x08, 0x14, 0x00, 0x06);     /* IMMED_FREEZE_NR: no response */
        expect_none();
}

static void test_unsolicited(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        c.unsol = (struct outst_unsol_cfg){
                .enabled = true, .classes = 0xe, .retries = 1,
                .hold_time_ms = 1000, .hold_count = 2,
        };
        h_init(&c);
        struct db_point_cfg pc = { .static_var = 2, .event_var = 1, .event_class = 1 };
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_BI, 0, 8, &pc), 0);
        populate_bi(8);
        /* null unsolicited at start, retried until confirmed */
        EXPECT(0xf0, 0x82, 0x80, 0x00);
        advance(H.now + 5000);
        EXPECT(0xf0, 0x82, 0x80, 0x00);
        SEND(0xd0, 0x00);
        expect_none();
        /* events are not reported until the master enables class 1 */
        set_bi(0, true, 0, DB_DETECT);
        expect_none();
        SEND(0xc1, 0x14, 0x3c, 0x02, 0x06);
        EXPECT(0xc1, 0x81, 0x82, 0x00);
        assert_int_equal(outst_unsol_enabled(H.o), 0x2);
        /* one event, hold count 2: wait for the hold time */
        expect_none();
        assert_int_equal(outst_deadline(H.o), H.now + 1000);
        advance(H.now + 999);
        expect_none();
        advance(H.now + 1);
        static const uint8_t u1[] = { 0xf1, 0x82, 0x80, 0x00, 0x02, 0x01, 0x28, 0x01, 0x00,
                                      0x00, 0x00, 0x81 };
        expect(u1, sizeof(u1));
        /* no confirm: one retry, identical */
        advance(H.now + 5000);
        expect(u1, sizeof(u1));
        /* retries exhausted: events unsent again, sent anew after a pause */
        advance(H.now + 5000);
        expect_none();
        assert_int_equal(events_unsent(outst_events(H.o), 1), 1);
        set_bi(1, true, 0, DB_DETECT);          /* two events now: hold count reached */
        expect_none();                          /* but still in the pause */
        advance(H.now + 5000);
        EXPECT(0xf2, 0x82, 0x80, 0x00, 0x02, 0x01, 0x28, 0x02, 0x00,
               0x00, 0x00, 0x81, 0x01, 0x00, 0x81);
        SEND(0xd1, 0x00);                       /* wrong seq: ignored */
        assert_int_equal(events_count(outst_events(H.o), 1), 2);
        SEND(0xd2, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 1), 0);
        /* two events at once: sent without waiting */
        set_bi(0, false, 0, DB_DETECT);
        expect_none();
        set_bi(1, false, 0, DB_DETECT);
        EXPECT(0xf3, 0x82, 0x80, 0x00, 0x02, 0x01, 0x28, 0x02, 0x00,
               0x00, 0x00, 0x01, 0x01, 0x00, 0x01);
        SEND(0xd3, 0x00);
        /* DISABLE: nothing more */
        SEND(0xc2, 0x15, 0x3c, 0x02, 0x06);
        EXPECT(0xc2, 0x81, 0x80, 0x00);
        set_bi(0, true, 0, DB_DETECT);
        set_bi(1, true, 0, DB_DETECT);
        advance(H.now + 10000);
        expect_none();
}

/* ---- holes in the database ------------------------------------------------ */

/*
 * AI count 100 with only `runs` configured (g30v5, no events), values =
 * index, ONLINE; BO count 8 with BO 0..1, CNT count 4 with CNT 0..1 (never
 * updated: RESTART); the other types have no point.
 */
static void h_init_holes(size_t max_fragment, const uint32_t (*runs)[2], size_t nruns)
{
        struct outst_cfg c = base_cfg();
        c.max_fragment = max_fragment;
        memset(c.points, 0, sizeof(c.points));
        c.points[DNP_TYPE_AI] = 100;
        c.points[DNP_TYPE_BO] = 8;
        c.points[DNP_TYPE_CNT] = 4;
        h_init(&c);
        struct db *db = outst_db(H.o);
        struct db_point_cfg pc = { .static_var = 5, .event_var = 7 };
        for (size_t k = 0; k < nruns; k++)
                assert_int_equal(db_configure(db, DNP_TYPE_AI, runs[k][0],
                                              runs[k][1] - runs[k][0] + 1, &pc), 0);
        pc = (struct db_point_cfg){ .static_var = 2, .event_var = 2 };
        assert_int_equal(db_configure(db, DNP_TYPE_BO, 0, 2, &pc), 0);
        pc = (struct db_point_cfg){ .static_var = 1, .event_var = 1 };
        assert_int_equal(db_configure(db, DNP_TYPE_CNT, 0, 2, &pc), 0);
        for (size_t k = 0; k < nruns; k++)
                for (uint32_t i = runs[k][0]; i <= runs[k][1]; i++) {
                        struct dnp_value v = { .index = i, .flags = DNP_FLAG_ONLINE,
                                               .v.analog = i };
                        assert_int_equal(outst_update(H.o, DNP_TYPE_AI, &v, DB_DETECT, H.now),
                                         0);
                }
        clear_restart();
}

/* Append a g30v5 q=0x00 header and its objects (flags ONLINE, value = index as float32). */
static size_t put_g30v5(uint8_t *p, size_t n, uint32_t first, uint32_t last)
{
        p[n++] = 0x1e;
        p[n++] = 0x05;
        p[n++] = 0x00;
        p[n++] = (uint8_t)first;
        p[n++] = (uint8_t)last;
        for (uint32_t i = first; i <= last; i++) {
                float f = (float)i;
                uint32_t b;
                memcpy(&b, &f, sizeof(b));
                p[n++] = 0x01;
                for (int k = 0; k < 4; k++)
                        p[n++] = (uint8_t)(b >> (8 * k));
        }
        return n;
}

/* BO 0..1 (g10v2) and CNT 0..1 (g20v1), all RESTART, in class 0 before the analogs. */
static const uint8_t bo_cnt[] = {
        0x0a, 0x02, 0x00, 0x00, 0x01, 0x02, 0x02,
        0x14, 0x01, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
};

static void test_integrity_holes(void **state)
{
        (void)state;
        /* AI 10..29, 40..69, 80..89 present; 0..9, 30..39, 70..79, 90..99 absent */
        static const uint32_t runs[][2] = { { 10, 29 }, { 40, 69 }, { 80, 89 } };
        h_init_holes(249, runs, 3);
        SEND(0xc4, 0x01, 0x3c, 0x01, 0x06);
        /*
         * fragment 1: BO 0..1, CNT 0..1, AI 10..29, AI 40..61 (246 bytes: a 23rd
         * analog of 5 bytes does not fit in 249); fragment 2 goes on at 62, in the
         * middle of the run: 62..69, then 80..89.  No IIN2.2.
         */
        uint8_t e[512] = { 0xa4, 0x81, 0x00, 0x00 };
        size_t n = 4;
        memcpy(e + n, bo_cnt, sizeof(bo_cnt));
        n += sizeof(bo_cnt);
        n = put_g30v5(e, n, 10, 29);
        n = put_g30v5(e, n, 40, 61);
        assert_int_equal(n, 246);
        expect(e, n);
        expect_none();
        SEND(0xc4, 0x00);
        e[0] = 0x45;                            /* FIN, no CON (no events), seq 5 */
        n = put_g30v5(e, 4, 62, 69);
        n = put_g30v5(e, n, 80, 89);
        expect(e, n);
        expect_none();
}

static void test_read_all_holes_boundary(void **state)
{
        (void)state;
        /* fragment 1 full exactly at the end of a run: fragment 2 starts after a hole */
        static const uint32_t runs[][2] = { { 10, 29 }, { 40, 66 }, { 70, 79 }, { 90, 99 } };
        h_init_holes(249, runs, 4);
        SEND(0xc1, 0x01, 0x1e, 0x00, 0x06);     /* g30v0 all points */
        uint8_t e[512] = { 0xa1, 0x81, 0x00, 0x00 };
        size_t n = put_g30v5(e, 4, 10, 29);
        n = put_g30v5(e, n, 40, 66);
        assert_int_equal(n, 249);
        expect(e, n);
        SEND(0xc1, 0x00);
        e[0] = 0x42;
        n = put_g30v5(e, 4, 70, 79);
        n = put_g30v5(e, n, 90, 99);
        expect(e, n);
        expect_none();
}

static void test_read_absent_iin22(void **state)
{
        (void)state;
        static const uint32_t runs[][2] = { { 10, 29 }, { 40, 69 } };
        h_init_holes(2048, runs, 2);
        /* range 28..41 touches the hole 30..39: IIN2.2, 28..29 and 40..41 reported */
        SEND(0xc1, 0x01, 0x1e, 0x05, 0x00, 0x1c, 0x29);
        static const uint32_t r1[][2] = { { 28, 29 }, { 40, 41 } };
        uint8_t e[512] = { 0xc1, 0x81, 0x00, 0x04 };
        size_t n = put_g30v5(e, 4, r1[0][0], r1[0][1]);
        n = put_g30v5(e, n, r1[1][0], r1[1][1]);
        expect(e, n);
        /* a range entirely in a hole: IIN2.2, no object */
        SEND(0xc2, 0x01, 0x1e, 0x05, 0x00, 0x00, 0x09);
        EXPECT(0xc2, 0x81, 0x00, 0x04);
        /* index list 5 (absent), 12: IIN2.2, 12 reported */
        SEND(0xc3, 0x01, 0x1e, 0x00, 0x17, 0x02, 0x05, 0x0c);
        EXPECT(0xc3, 0x81, 0x00, 0x04, 0x1e, 0x05, 0x17, 0x01, 0x0c,
               0x01, 0x00, 0x00, 0x40, 0x41);
        /* count qualifier 0x07 (points 0..n-1) names absent points too */
        SEND(0xc4, 0x01, 0x0a, 0x02, 0x07, 0x03);
        EXPECT(0xc4, 0x81, 0x00, 0x04, 0x0a, 0x02, 0x00, 0x00, 0x01, 0x02, 0x02);
        /* only present points, explicitly: no IIN2.2 */
        SEND(0xc5, 0x01, 0x0a, 0x02, 0x00, 0x00, 0x01);
        EXPECT(0xc5, 0x81, 0x00, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x01, 0x02, 0x02);
        /* freeze: counters 0..3 with 2..3 absent -> IIN2.2; an absent one in a list too */
        SEND(0xc6, 0x07, 0x14, 0x00, 0x00, 0x00, 0x03);
        EXPECT(0xc6, 0x81, 0x00, 0x04);
        SEND(0xc7, 0x07, 0x14, 0x00, 0x17, 0x01, 0x02);
        EXPECT(0xc7, 0x81, 0x00, 0x04);
        SEND(0xc8, 0x07, 0x14, 0x00, 0x00, 0x00, 0x01);
        EXPECT(0xc8, 0x81, 0x00, 0x00);
        /* all points (q=0x06): the present ones, no IIN2.2 (also in test_sim_tshark.py) */
        SEND(0xc9, 0x01, 0x1e, 0x05, 0x06);
        e[0] = 0xc9;
        e[3] = 0x00;
        n = put_g30v5(e, 4, 10, 29);
        n = put_g30v5(e, n, 40, 69);
        assert_int_equal(n, 264);
        expect(e, n);
        expect_none();
}

static void test_update_and_control_absent(void **state)
{
        (void)state;
        static const uint32_t runs[][2] = { { 10, 29 } };
        h_init_holes(2048, runs, 1);
        /*
         * A control on an absent output (BO 3; BO 0..1 exist) goes to the application
         * like any other: the application alone decides NOT_SUPPORTED (the gateway, from
         * its point map, with an audit record); the session echoes its status.
         */
        send_ctl(1, APP_FUNC_DIRECT_OPERATE, crob3, sizeof(crob3));
        assert_int_equal(H.commands, 1);
        assert_int_equal(H.ncmds, 1);
        assert_int_equal(H.cmds[0].v.index, 3);
        complete(DNP_CMD_NOT_SUPPORTED);
        expect_crob(1, DNP_CMD_NOT_SUPPORTED, 100);
        expect_none();
        /* update of an absent point: -ENOENT, no event; of a present one: its event */
        struct db_point_cfg pc = { .static_var = 5, .event_var = 7, .event_class = 1 };
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_AI, 10, 20, &pc), 0);
        struct dnp_value v = { .index = 30, .flags = DNP_FLAG_ONLINE, .v.analog = 1 };
        assert_int_equal(outst_update(H.o, DNP_TYPE_AI, &v, DB_FORCE, H.now), -ENOENT);
        v.index = 9;
        assert_int_equal(outst_update(H.o, DNP_TYPE_AI, &v, DB_FORCE, H.now), -ENOENT);
        v.index = 100;
        assert_int_equal(outst_update(H.o, DNP_TYPE_AI, &v, DB_FORCE, H.now), -ERANGE);
        assert_int_equal(events_count(outst_events(H.o), 1), 0);
        v.index = 10;
        assert_int_equal(outst_update(H.o, DNP_TYPE_AI, &v, DB_FORCE, H.now), 1);
        assert_int_equal(events_count(outst_events(H.o), 1), 1);
        drain();
        expect_none();
}

/* A control sent to a broadcast address is carried out but never answered,
 * even when the application completes it later; the next response shows
 * IIN1.0.  DISABLE_UNSOLICITED succeeds when unsolicited is not configured
 * (nothing to disable); ENABLE_UNSOLICITED is refused with IIN2.0. */
static void send_broadcast(const uint8_t *apdu, size_t n)
{
        uint8_t seg[TPORT_MAX_SEGMENT] = { TPORT_FIR | TPORT_FIN };
        uint8_t frame[LINK_MAX_FRAME];
        assert_true(n + 1 <= sizeof(seg));
        memcpy(seg + 1, apdu, n);
        const struct link_hdr lh = { .dir = true, .prm = true, .code = 4, .dest = 0xffff, .src = 1 };
        int len = link_encode(frame, sizeof(frame), &lh, seg, n + 1);
        assert_true(len > 0);
        outst_on_bytes(H.o, frame, (size_t)len, H.now);
        drain();
}

static void test_broadcast_control(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        uint8_t a[64] = { 0xc3, APP_FUNC_DIRECT_OPERATE };
        memcpy(a + 2, crob3, sizeof(crob3));
        send_broadcast(a, 2 + sizeof(crob3));
        assert_int_equal(H.func, APP_FUNC_DIRECT_OPERATE);
        assert_int_equal(H.ncmds, 1);
        complete(DNP_CMD_SUCCESS);
        expect_none();
        advance(H.now + 5000);          /* and no timeout answer either */
        expect_none();
        SEND(0xc4, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc4, 0x81, 0x01, 0x00);  /* IIN1.0 BROADCAST */
        SEND(0xc5, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc5, 0x81, 0x00, 0x00);  /* reported once */
}

static void test_unsol_not_configured(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        assert_false(c.unsol.enabled);
        h_init(&c);
        clear_restart();
        SEND(0xc1, 0x15, 0x3c, 0x02, 0x06, 0x3c, 0x03, 0x06, 0x3c, 0x04, 0x06);
        EXPECT(0xc1, 0x81, 0x00, 0x00);
        SEND(0xc2, 0x14, 0x3c, 0x02, 0x06);
        EXPECT(0xc2, 0x81, 0x00, 0x01);  /* IIN2.0 NO_FUNC_CODE_SUPPORT */
}

/*
 * A gateway outstation whose class 1 buffer is shared by two devices (event
 * source tags 1 = A, 2 = B): on overflow the device holding the most events
 * loses its own oldest one.  The class 1 read then reports IIN2.3 (event
 * buffer overflow) and the survivors oldest first; B's event, the second
 * oldest of all, is among them (the oldest-first rule would have dropped it).
 */
static void set_bi_src(uint32_t i, uint64_t t, uint16_t src)
{
        struct dnp_value v = { .index = i, .flags = DNP_FLAG_ONLINE, .time = t, .v.bit = true };
        assert_int_equal(outst_update_src(H.o, DNP_TYPE_BI, &v, DB_FORCE, src, H.now), 1);
        drain();
}

static void test_overflow_evicts_the_biggest_source(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        c.event_depth[1] = 4;
        c.event_sources = 2;
        h_init(&c);
        struct db_point_cfg pc = { .static_var = 2, .event_var = 2, .event_class = 1 };
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_BI, 0, 8, &pc), 0);
        clear_restart();

        set_bi_src(0, 0x010203040500, 1);       /* A */
        set_bi_src(4, 0x010203040501, 2);       /* B */
        set_bi_src(1, 0x010203040502, 1);       /* A */
        set_bi_src(2, 0x010203040503, 1);       /* A: full */
        set_bi_src(3, 0x010203040504, 1);       /* A holds 3: A's BI0 goes */
        set_bi_src(5, 0x010203040505, 2);       /* A holds 3 again: A's BI1 goes */
        struct events *ev = outst_events(H.o);
        assert_int_equal(events_src_discarded(ev, 1, 1), 2);
        assert_int_equal(events_src_discarded(ev, 1, 2), 0);

        SEND(0xc1, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xe1, 0x81, 0x00, 0x08, 0x02, 0x02, 0x28, 0x04, 0x00,
               0x04, 0x00, 0x81, 0x01, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x02, 0x00, 0x81, 0x03, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x03, 0x00, 0x81, 0x04, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x05, 0x00, 0x81, 0x05, 0x05, 0x04, 0x03, 0x02, 0x01);
        SEND(0xc1, 0x00);
        assert_int_equal(events_count(ev, 1), 0);
        SEND(0xc2, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc2, 0x81, 0x00, 0x00);         /* IIN2.3 cleared after the read */
        expect_none();
        /* outst_update() is untagged: one source of its own */
        set_bi(6, true, 0x010203040506, DB_FORCE);
        assert_int_equal(events_src_count(ev, 1, EVENTS_SRC_NONE), 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_restart_iin_and_clear, teardown),
                cmocka_unit_test_teardown(test_integrity_three_fragments, teardown),
                cmocka_unit_test_teardown(test_event_overflow_iin23, teardown),
                cmocka_unit_test_teardown(test_events_kept_on_drop, teardown),
                cmocka_unit_test_teardown(test_select_operate, teardown),
                cmocka_unit_test_teardown(test_deferred_direct_operate, teardown),
                cmocka_unit_test_teardown(test_duplicate_resend, teardown),
                cmocka_unit_test_teardown(test_errors_iin2, teardown),
                cmocka_unit_test_teardown(test_read_specific, teardown),
                cmocka_unit_test_teardown(test_time_delay_restart, teardown),
                cmocka_unit_test_teardown(test_freeze, teardown),
                cmocka_unit_test_teardown(test_unsolicited, teardown),
                cmocka_unit_test_teardown(test_integrity_holes, teardown),
                cmocka_unit_test_teardown(test_read_all_holes_boundary, teardown),
                cmocka_unit_test_teardown(test_read_absent_iin22, teardown),
                cmocka_unit_test_teardown(test_update_and_control_absent, teardown),
                cmocka_unit_test_teardown(test_broadcast_control, teardown),
                cmocka_unit_test_teardown(test_unsol_not_configured, teardown),
                cmocka_unit_test_teardown(test_overflow_evicts_the_biggest_source, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
