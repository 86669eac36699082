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
#include "dnp3/names.h"
#include "outstation/outst.h"

#include "link_frames.h"

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
        /* freezes handed to the application */
        unsigned freezes;
        uint32_t frz_token;
        struct outst_freeze frz;
        uint8_t frz_named[16];
        unsigned sel_ends;
        enum outst_sel_end sel_why;
        uint64_t sel_end_at;
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

static void on_freeze(void *ctx, uint32_t token, const struct outst_freeze *f)
{
        (void)ctx;
        H.freezes++;
        H.frz_token = token;
        H.frz = *f;
        assert_true(f->count / 8 + 1 <= sizeof(H.frz_named));
        memcpy(H.frz_named, f->named, f->count / 8 + 1);
        H.frz.named = H.frz_named;
}

static int on_restart(void *ctx, bool cold, uint32_t *ret_delay_ms)
{
        (void)ctx;
        *ret_delay_ms = cold ? 5000 : 1500;
        return 0;
}

static void on_select_end(void *ctx, enum outst_sel_end why)
{
        (void)ctx;
        H.sel_ends++;
        H.sel_why = why;
        H.sel_end_at = H.now;
}

static const struct outst_callbacks cbs = {
        .on_command = on_command,
        .on_freeze = on_freeze,
        .on_time_sync = on_time_sync,
        .on_restart = on_restart,
        .on_select_end = on_select_end,
};

/* The callbacks of the next h_init() (a test may take some away). */
static const struct outst_callbacks *h_cbs = &cbs;

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
        H.o = outst_new(cfg, h_cbs, NULL, H.now, &err);
        assert_non_null(H.o);
        struct lsess_cfg mc = { .master = true, .local = 1, .remote = 10 };
        lsess_init(&H.m, &mc, H.mrx, sizeof(H.mrx), H.now);
        link_scanner_init(&H.sc);
        outst_up(H.o, H.now);
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
                outst_consumed(H.o, n, H.now);
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
                outst_rx(H.o, &buf[i], 1, H.now);
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
                outst_timer(H.o, H.now);
                drain();
        }
        H.now = to;
        outst_timer(H.o, H.now);
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
        outst_down(H.o, H.now);
        H.now += 10;
        outst_up(H.o, H.now);
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

/* The application answers every control `status`; outst_cmd_complete returns want. */
static void complete_as(uint8_t status, int want)
{
        uint8_t st[8];
        memset(st, status, sizeof(st));
        assert_int_equal(outst_cmd_complete(H.o, H.token, st, H.ncmds, H.now), want);
        drain();
}

/* Completed, and no selection armed (outst_cmd_complete 0). */
static void complete(uint8_t status)
{
        complete_as(status, 0);
}

/* A SELECT answered SUCCESS that armed a selection (outst_cmd_complete 1). */
static void complete_selected(void)
{
        complete_as(DNP_CMD_SUCCESS, 1);
}

/* The counters a freeze named, as a list (for comparing). */
static size_t frz_list(uint32_t *out, size_t max)
{
        size_t n = 0;
        for (uint32_t i = 0; i < H.frz.count; i++)
                if (outst_freeze_named(&H.frz, i) && n < max)
                        out[n++] = i;
        return n;
}

#define EXPECT_NAMED(...)                                                                   \
        do {                                                                                \
                static const uint32_t w_[] = { __VA_ARGS__ };                               \
                uint32_t g_[16];                                                            \
                assert_int_equal(frz_list(g_, 16), sizeof(w_) / sizeof(w_[0]));             \
                assert_memory_equal(g_, w_, sizeof(w_));                                    \
                assert_int_equal(H.frz.n, sizeof(w_) / sizeof(w_[0]));                      \
        } while (0)

static void freeze_done(uint16_t iin)
{
        assert_int_equal(outst_freeze_complete(H.o, H.frz_token, iin, H.now), 0);
        drain();
}

/* SELECT of crob3 with sequence seq, answered SUCCESS by the application: selected. */
static void select_ok(uint8_t seq)
{
        send_ctl(seq, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete_selected();
        expect_crob(seq, 0, 100);
}

/* OPERATE with sequence seq of crob3 but on time 101: not what was selected, NO_SELECT. */
static void operate_other(uint8_t seq)
{
        uint8_t other[sizeof(crob3)];
        memcpy(other, crob3, sizeof(other));
        other[9] = 101;
        send_ctl(seq, APP_FUNC_OPERATE, other, sizeof(other));
        expect_crob(seq, DNP_CMD_NO_SELECT, 101);
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
        complete_selected();
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
        select_ok(4);
        send_ctl(6, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(6, DNP_CMD_NO_SELECT, 100);

        /* different objects (on time 101) */
        select_ok(7);
        operate_other(8);

        /* late: TIMEOUT (test_operate_after_select_timeout_is_timeout) */
        select_ok(9);
        H.now += 10001;
        send_ctl(10, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(10, DNP_CMD_TIMEOUT, 100);

        /* in time, one millisecond before the window closes */
        select_ok(11);
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
        assert_int_equal(outst_stats(H.o)->no_select, 4);
        assert_int_equal(outst_stats(H.o)->select_timeouts, 1);
        expect_none();
}

/*
 * The application learns when a selection ends without its OPERATE (the
 * gateway holds the IED's polls only while the selection stands): another
 * request arrives, select_timeout passes (the session's own timer, at the
 * first millisecond the OPERATE would be refused), or the connection closes.
 * Not on the OPERATE that uses it, on a repeated SELECT, or for a SELECT
 * that selected nothing.
 */
static void test_select_end(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();

        select_ok(1);
        send_ctl(1, APP_FUNC_SELECT, crob3, sizeof(crob3));     /* repeated: answered again */
        expect_crob(1, 0, 100);
        send_ctl(2, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        complete(DNP_CMD_SUCCESS);
        expect_crob(2, 0, 100);
        assert_int_equal(H.sel_ends, 0);

        /* superseded: a READ comes instead of the OPERATE */
        select_ok(3);
        H.now += 40;
        SEND(0xc4, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc4, 0x81, 0x00, 0x00);
        assert_int_equal(H.sel_ends, 1);
        assert_int_equal(H.sel_why, OUTST_SEL_END_SUPERSEDED);
        assert_int_equal(H.sel_end_at, H.now);
        /* a failed SELECT selects nothing, so nothing ends */
        send_ctl(5, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete(DNP_CMD_HARDWARE_ERROR);
        expect_crob(5, DNP_CMD_HARDWARE_ERROR, 100);
        SEND(0xc6, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc6, 0x81, 0x00, 0x00);
        assert_int_equal(H.sel_ends, 1);

        /* expired: select_timeout (10 s) after the SELECT arrived, without traffic */
        uint64_t t = H.now;
        send_ctl(7, APP_FUNC_SELECT, crob3, sizeof(crob3));
        H.now += 30;                    /* the application answers 30 ms later */
        complete_selected();
        expect_crob(7, 0, 100);
        assert_int_equal(outst_deadline(H.o), t + 10001);
        advance(t + 10000);
        assert_int_equal(H.sel_ends, 1);
        advance(t + 10001);
        assert_int_equal(H.sel_ends, 2);
        assert_int_equal(H.sel_why, OUTST_SEL_END_EXPIRED);
        assert_int_equal(H.sel_end_at, t + 10001);
        assert_true(outst_deadline(H.o) == DNP_NEVER);
        /* its OPERATE, late: TIMEOUT (Level 2), and the end is not told twice */
        send_ctl(8, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(8, DNP_CMD_TIMEOUT, 100);
        assert_int_equal(H.sel_ends, 2);
        /* expired, seen first by the request that comes after the window */
        select_ok(9);
        H.now += 10001;
        send_ctl(10, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(10, DNP_CMD_TIMEOUT, 100);
        assert_int_equal(H.sel_ends, 3);
        assert_int_equal(H.sel_why, OUTST_SEL_END_EXPIRED);
        /* an OPERATE that does not match (other on time) ends it as superseded */
        select_ok(11);
        operate_other(12);
        assert_int_equal(H.sel_ends, 4);
        assert_int_equal(H.sel_why, OUTST_SEL_END_SUPERSEDED);

        /* the connection closes */
        select_ok(13);
        outst_down(H.o, H.now);
        assert_int_equal(H.sel_ends, 5);
        assert_int_equal(H.sel_why, OUTST_SEL_END_CLOSED);
        expect_none();

        /* without on_select_end (dnp3sim, a plain outstation) the expiry has no one
         * to tell: no timer for it; the late OPERATE is TIMEOUT all the same */
        static const struct outst_callbacks no_end = { .on_command = on_command };
        h_cbs = &no_end;
        h_init(&c);
        h_cbs = &cbs;
        clear_restart();
        select_ok(1);
        assert_true(outst_deadline(H.o) == DNP_NEVER);
        H.now += 10001;
        send_ctl(2, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(2, DNP_CMD_TIMEOUT, 100);
        assert_int_equal(outst_stats(H.o)->select_timeouts, 1);
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

/* Unsolicited reporting of classes 1-3: one retry, hold time 1 s, hold count 2. */
static struct outst_cfg unsol_cfg(void)
{
        struct outst_cfg c = base_cfg();
        c.unsol = (struct outst_unsol_cfg){
                .enabled = true, .classes = 0xe, .retries = 1,
                .hold_time_ms = 1000, .hold_count = 2,
        };
        return c;
}

static void test_unsolicited(void **state)
{
        (void)state;
        struct outst_cfg c = unsol_cfg();
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
        EXPECT_NAMED(0, 1);
        freeze_done(0);
        EXPECT(0xc6, 0x81, 0x00, 0x04);
        SEND(0xc7, 0x07, 0x14, 0x00, 0x17, 0x01, 0x02);  /* nothing present: answered at once */
        EXPECT(0xc7, 0x81, 0x00, 0x04);
        SEND(0xc8, 0x07, 0x14, 0x00, 0x00, 0x00, 0x01);
        EXPECT_NAMED(0, 1);
        freeze_done(0);
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
         * like any other (the gateway audits it); whatever the application says, the
         * answer is NOT_SUPPORTED with IIN2.2 (test_control_missing_point_not_supported_iin22).
         */
        send_ctl(1, APP_FUNC_DIRECT_OPERATE, crob3, sizeof(crob3));
        assert_int_equal(H.commands, 1);
        assert_int_equal(H.ncmds, 1);
        assert_int_equal(H.cmds[0].v.index, 3);
        complete(DNP_CMD_SUCCESS);
        uint8_t e[4 + sizeof(crob3)] = { 0xc1, 0x81, 0x00, 0x04 };
        memcpy(e + 4, crob3, sizeof(crob3));
        e[sizeof(e) - 1] = DNP_CMD_NOT_SUPPORTED;
        expect(e, sizeof(e));
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
static void send_broadcast_to(uint16_t dest, const uint8_t *apdu, size_t n)
{
        uint8_t seg[TPORT_MAX_SEGMENT] = { TPORT_FIR | TPORT_FIN };
        uint8_t frame[LINK_MAX_FRAME];
        assert_true(n + 1 <= sizeof(seg));
        memcpy(seg + 1, apdu, n);
        const struct link_hdr lh = { .dir = true, .prm = true, .code = 4, .dest = dest, .src = 1 };
        int len = link_encode(frame, sizeof(frame), &lh, seg, n + 1);
        assert_true(len > 0);
        outst_rx(H.o, frame, (size_t)len, H.now);
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
        send_broadcast_to(0xffff, a, 2 + sizeof(crob3));
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

/*
 * A SELECT by broadcast is handed to the application but selects nothing:
 * it gets no answer, so no OPERATE can follow it (IEEE 1815 select before
 * operate needs the SELECT's echo).  outst_cmd_complete says so (0, not 1:
 * the gateway holds no device for it), no selection end is ever told, and
 * the OPERATE that would match is refused NO_SELECT (with IIN1.0).
 */
static void test_broadcast_select_selects_nothing(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        uint8_t a[64] = { 0xc3, APP_FUNC_SELECT };
        memcpy(a + 2, crob3, sizeof(crob3));
        send_broadcast_to(0xffff, a, 2 + sizeof(crob3));
        assert_int_equal(H.commands, 1);
        assert_int_equal(H.func, APP_FUNC_SELECT);
        complete(DNP_CMD_SUCCESS);              /* 0: no selection armed */
        expect_none();
        assert_true(outst_deadline(H.o) == DNP_NEVER);
        send_ctl(4, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        uint8_t e[4 + sizeof(crob3)] = { 0xc4, 0x81, 0x01, 0x00 };      /* IIN1.0 */
        memcpy(e + 4, crob3, sizeof(crob3));
        e[sizeof(e) - 1] = DNP_CMD_NO_SELECT;
        expect(e, sizeof(e));
        assert_int_equal(H.commands, 1);
        assert_int_equal(outst_stats(H.o)->no_select, 1);
        assert_int_equal(H.sel_ends, 0);
        expect_none();
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

/* ---- events with relative time: CTO (g51) + g2v3 / g4v3 ----------------- */

#define T0 UINT64_C(1700000000123)      /* 2023-11-14T22:13:20.123Z */
#define T0_LE 0x7b, 0x68, 0xe5, 0xcf, 0x8b, 0x01

/* BI 0..n-1 and DBI 0..1 in class 1 with these event variations. */
static void cfg_events(uint32_t n_bi, uint8_t bi_var, uint8_t dbi_var)
{
        struct db_point_cfg pc = { .static_var = 2, .event_var = bi_var, .event_class = 1 };
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_BI, 0, n_bi, &pc), 0);
        pc.event_var = dbi_var;
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_DBI, 0, 2, &pc), 0);
}

/* A session with BI 0..7 and DBI 0..1 in class 1 (event variation var), restart cleared. */
static void h_init_events(uint8_t var)
{
        struct outst_cfg c = base_cfg();
        h_init(&c);
        cfg_events(8, var, var);
        clear_restart();
}

/* Confirm the solicited response with SEQ seq: every class 1 event leaves, nothing follows. */
static void confirm_all_gone(uint8_t seq)
{
        const uint8_t con[] = { (uint8_t)(0xc0 | seq), APP_FUNC_CONFIRM };
        send_apdu(con, sizeof(con));
        assert_int_equal(events_count(outst_events(H.o), 1), 0);
        expect_none();
}

static void set_dbi(uint32_t i, uint8_t state, uint64_t t)
{
        struct dnp_value v = { .index = i, .flags = DNP_FLAG_ONLINE, .time = t, .v.dbit = state };
        assert_int_equal(outst_update(H.o, DNP_TYPE_DBI, &v, DB_FORCE, H.now), 1);
        drain();
}

/*
 * READ g2v3 q=0x06: the events go as one CTO, g51v1 (the outstation's time
 * is synchronized: IIN1.4 clear, need_time 0), qualifier 0x07 count 1, with
 * the first event's time, then one g2v3 header q=0x28 (2-byte index, flags,
 * 16-bit offset in ms from the CTO).  An offset of exactly 65535 ms still
 * belongs to the CTO.  CON=1; the events leave when the master confirms.
 */
static void test_read_g2v3_one_cto(void **state)
{
        (void)state;
        h_init_events(2);               /* configured g2v2: the request's v3 wins */
        set_bi(0, true, T0, DB_FORCE);
        set_bi(1, false, T0 + 16, DB_FORCE);
        set_bi(2, true, T0 + 65535, DB_FORCE);
        SEND(0xc1, 0x01, 0x02, 0x03, 0x06);
        EXPECT(0xe1, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, T0_LE,
               0x02, 0x03, 0x28, 0x03, 0x00,
               0x00, 0x00, 0x81, 0x00, 0x00,
               0x01, 0x00, 0x01, 0x10, 0x00,
               0x02, 0x00, 0x81, 0xff, 0xff);
        assert_int_equal(events_count(outst_events(H.o), 1), 3);
        confirm_all_gone(1);
}

/*
 * A new CTO starts when an event is more than 65535 ms after the current
 * one (T0 + 65536), and when time goes backwards (T0 + 1000, then T0): the
 * events keep their buffer order, each block is CTO + g2v3.  An event
 * within reach of the latest CTO joins its header (T0 + 1000 after T0).
 * READ g4v3 does the same for double-bit inputs (OFF = 0x41, ON = 0x81).
 */
static void test_read_relative_cto_breaks(void **state)
{
        (void)state;
        h_init_events(2);
        set_bi(0, true, T0, DB_FORCE);
        set_bi(1, false, T0 + 65536, DB_FORCE);        /* gap: a second CTO */
        set_bi(2, true, T0 + 65537, DB_FORCE);
        SEND(0xc1, 0x01, 0x02, 0x03, 0x06);
        EXPECT(0xe1, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, T0_LE,
               0x02, 0x03, 0x28, 0x01, 0x00,
               0x00, 0x00, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, 0x7b, 0x68, 0xe6, 0xcf, 0x8b, 0x01,
               0x02, 0x03, 0x28, 0x02, 0x00,
               0x01, 0x00, 0x01, 0x00, 0x00,
               0x02, 0x00, 0x81, 0x01, 0x00);
        SEND(0xc1, 0x00);

        set_bi(3, true, T0 + 1000, DB_FORCE);
        set_bi(4, true, T0, DB_FORCE);                 /* backwards: a new CTO */
        set_bi(5, true, T0 + 1000, DB_FORCE);          /* within reach of T0 */
        SEND(0xc2, 0x01, 0x02, 0x03, 0x06);
        EXPECT(0xe2, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, 0x63, 0x6c, 0xe5, 0xcf, 0x8b, 0x01,
               0x02, 0x03, 0x28, 0x01, 0x00,
               0x03, 0x00, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, T0_LE,
               0x02, 0x03, 0x28, 0x02, 0x00,
               0x04, 0x00, 0x81, 0x00, 0x00,
               0x05, 0x00, 0x81, 0xe8, 0x03);
        SEND(0xc2, 0x00);

        set_dbi(0, DNP_DBIT_ON, T0 + 4);
        set_dbi(1, DNP_DBIT_OFF, T0 + 3);
        SEND(0xc3, 0x01, 0x04, 0x03, 0x06);
        EXPECT(0xe3, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, 0x7f, 0x68, 0xe5, 0xcf, 0x8b, 0x01,
               0x04, 0x03, 0x28, 0x01, 0x00,
               0x00, 0x00, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, 0x7e, 0x68, 0xe5, 0xcf, 0x8b, 0x01,
               0x04, 0x03, 0x28, 0x01, 0x00,
               0x01, 0x00, 0x41, 0x00, 0x00);
        confirm_all_gone(3);
}

/* Append a CTO (g51 var, q=0x07, count 1), a g2v3 q=0x28 header with count, or an object. */
static size_t put_cto(uint8_t *p, size_t n, uint8_t var, uint64_t t)
{
        static const uint8_t h[] = { 0x33, 0x00, 0x07, 0x01 };
        memcpy(p + n, h, sizeof(h));
        p[n + 1] = var;
        n += sizeof(h);
        for (int k = 0; k < 6; k++)
                p[n++] = (uint8_t)(t >> (8 * k));
        return n;
}

static size_t put_g2v3(uint8_t *p, size_t n, uint16_t count)
{
        const uint8_t h[] = { 0x02, 0x03, 0x28, (uint8_t)count, (uint8_t)(count >> 8) };
        memcpy(p + n, h, sizeof(h));
        return n + sizeof(h);
}

static size_t put_rel(uint8_t *p, size_t n, uint16_t index, uint8_t flags, uint16_t off)
{
        const uint8_t o[] = { (uint8_t)index, (uint8_t)(index >> 8), flags, (uint8_t)off,
                              (uint8_t)(off >> 8) };
        memcpy(p + n, o, sizeof(o));
        return n + sizeof(o);
}

/*
 * A response of several fragments (max_fragment 249): each fragment opens
 * with its own CTO, so no g2v3 object is ever in a fragment without its CTO
 * before it; the events that do not fit stay unsent, go in the next
 * fragment (after the confirm of the first) and leave only when their own
 * fragment is confirmed.  50 events 1 ms apart: 46 fill fragment 1 (4 + 10
 * + 5 + 46 x 5 = 249 bytes), fragment 2 repeats a CTO at the 47th event's
 * time.  Then 45 events and 5 more 100 s later: the 46th needs a new CTO,
 * header and object (20 bytes) where 5 are left, so fragment 1 ends at 244
 * bytes and fragment 2 starts with that CTO.
 */
static void test_read_g2v3_multi_fragment(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        c.max_fragment = 249;
        c.points[DNP_TYPE_BI] = 64;
        h_init(&c);
        cfg_events(64, 3, 3);
        clear_restart();
        uint8_t e[256];
        size_t n;

        for (uint16_t i = 0; i < 50; i++)
                set_bi(i, true, T0 + i, DB_FORCE);
        SEND(0xc1, 0x01, 0x02, 0x03, 0x06);
        static const uint8_t h1[] = { 0xa1, 0x81, 0x02, 0x00 };  /* FIR CON, IIN1.1: 4 left */
        memcpy(e, h1, 4);
        n = put_g2v3(e, put_cto(e, 4, 1, T0), 46);
        for (uint16_t i = 0; i < 46; i++)
                n = put_rel(e, n, i, 0x81, i);
        assert_int_equal(n, 249);
        expect(e, n);
        expect_none();
        assert_int_equal(events_count(outst_events(H.o), 1), 50);
        SEND(0xc1, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 1), 4);
        static const uint8_t h2[] = { 0x62, 0x81, 0x00, 0x00 };  /* FIN CON seq 2 */
        memcpy(e, h2, 4);
        n = put_g2v3(e, put_cto(e, 4, 1, T0 + 46), 4);
        for (uint16_t i = 46; i < 50; i++)
                n = put_rel(e, n, i, 0x81, (uint16_t)(i - 46));
        expect(e, n);
        SEND(0xc2, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 1), 0);

        for (uint16_t i = 0; i < 50; i++)
                set_bi(i, false, i < 45 ? T0 + i : T0 + 100000 + i - 45, DB_FORCE);
        SEND(0xc3, 0x01, 0x02, 0x03, 0x06);
        static const uint8_t h3[] = { 0xa3, 0x81, 0x02, 0x00 };
        memcpy(e, h3, 4);
        n = put_g2v3(e, put_cto(e, 4, 1, T0), 45);
        for (uint16_t i = 0; i < 45; i++)
                n = put_rel(e, n, i, 0x01, i);
        assert_int_equal(n, 244);
        expect(e, n);
        SEND(0xc3, 0x00);
        static const uint8_t h4[] = { 0x64, 0x81, 0x00, 0x00 };
        memcpy(e, h4, 4);
        n = put_g2v3(e, put_cto(e, 4, 1, T0 + 100000), 5);
        for (uint16_t i = 45; i < 50; i++)
                n = put_rel(e, n, i, 0x01, (uint16_t)(i - 45));
        expect(e, n);
        confirm_all_gone(4);
}

/*
 * While IIN1.4 (NEED_TIME) is set the outstation's time is not synchronized
 * and the CTO is g51v2; once the master writes the time (g50v1) the same,
 * still unconfirmed event goes again behind a g51v1.
 */
static void test_read_g2v3_unsynchronized_g51v2(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        c.need_time_ms = 60000;
        h_init(&c);
        cfg_events(8, 3, 3);
        SEND(0xc0, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00);
        EXPECT(0xc0, 0x81, 0x10, 0x00);                 /* IIN1.4 */
        set_bi(0, true, T0, DB_FORCE);
        SEND(0xc1, 0x01, 0x02, 0x03, 0x06);
        EXPECT(0xe1, 0x81, 0x10, 0x00,
               0x33, 0x02, 0x07, 0x01, T0_LE,
               0x02, 0x03, 0x28, 0x01, 0x00,
               0x00, 0x00, 0x81, 0x00, 0x00);
        /* no confirm: the WRITE of the time supersedes it, the event is unsent again */
        SEND(0xc2, 0x02, 0x32, 0x01, 0x07, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01);
        EXPECT(0xc2, 0x81, 0x02, 0x00);
        SEND(0xc3, 0x01, 0x02, 0x03, 0x06);
        EXPECT(0xe3, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, T0_LE,
               0x02, 0x03, 0x28, 0x01, 0x00,
               0x00, 0x00, 0x81, 0x00, 0x00);
        SEND(0xc3, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 1), 0);
}

/*
 * event_variation = 3 (g2v3, g4v3) in a class 1 read: the events keep their
 * buffer order across types; every g2v3/g4v3 header comes right after its
 * own CTO (a master applies a CTO to the header that follows it), other
 * events (g32v7) sit between the blocks unchanged.
 */
static void test_class1_event_variation_3(void **state)
{
        (void)state;
        h_init_events(3);
        struct db_point_cfg pc = { .static_var = 5, .event_var = 7, .event_class = 1 };
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_AI, 0, 4, &pc), 0);
        set_bi(0, true, T0, DB_FORCE);
        struct dnp_value v = { .index = 0, .flags = DNP_FLAG_ONLINE, .time = T0 + 1,
                               .v.analog = 2.5 };
        assert_int_equal(outst_update(H.o, DNP_TYPE_AI, &v, DB_FORCE, H.now), 1);
        set_bi(1, false, T0 + 2, DB_FORCE);
        set_dbi(0, DNP_DBIT_ON, T0 + 3);
        set_dbi(1, DNP_DBIT_OFF, T0 + 4);
        SEND(0xc1, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xe1, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, T0_LE,
               0x02, 0x03, 0x28, 0x01, 0x00,
               0x00, 0x00, 0x81, 0x00, 0x00,
               0x20, 0x07, 0x28, 0x01, 0x00,
               0x00, 0x00, 0x01, 0x00, 0x00, 0x20, 0x40, 0x7c, 0x68, 0xe5, 0xcf, 0x8b, 0x01,
               0x33, 0x01, 0x07, 0x01, 0x7d, 0x68, 0xe5, 0xcf, 0x8b, 0x01,
               0x02, 0x03, 0x28, 0x01, 0x00,
               0x01, 0x00, 0x01, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, 0x7e, 0x68, 0xe5, 0xcf, 0x8b, 0x01,
               0x04, 0x03, 0x28, 0x02, 0x00,
               0x00, 0x00, 0x81, 0x00, 0x00,
               0x01, 0x00, 0x41, 0x01, 0x00);
        confirm_all_gone(1);
}

/* BI 0 on at T0, BI 1 off at T0 + 70000: more than 65535 ms apart, two CTO blocks. */
static const uint8_t two_ctos[] = {
        0x33, 0x01, 0x07, 0x01, T0_LE,
        0x02, 0x03, 0x28, 0x01, 0x00,
        0x00, 0x00, 0x81, 0x00, 0x00,
        0x33, 0x01, 0x07, 0x01, 0xeb, 0x79, 0xe6, 0xcf, 0x8b, 0x01,
        0x02, 0x03, 0x28, 0x01, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00,
};

/* Expect the APDU header hdr (4 bytes) followed by objs. */
static void expect_after(const uint8_t *hdr, const uint8_t *objs, size_t n)
{
        uint8_t e[4 + 256];
        assert_true(n <= sizeof(e) - 4);
        memcpy(e, hdr, 4);
        memcpy(e + 4, objs, n);
        expect(e, 4 + n);
}

/* event_variation = 3 in an unsolicited response: the same CTO blocks, a new one after a gap. */
static void test_unsolicited_event_variation_3(void **state)
{
        (void)state;
        struct outst_cfg c = unsol_cfg();
        h_init(&c);
        cfg_events(8, 3, 3);
        EXPECT(0xf0, 0x82, 0x80, 0x00);                 /* null unsolicited */
        SEND(0xd0, 0x00);
        SEND(0xc1, 0x14, 0x3c, 0x02, 0x06);
        EXPECT(0xc1, 0x81, 0x80, 0x00);
        set_bi(0, true, T0, DB_FORCE);
        expect_none();                                  /* hold count 2 */
        set_bi(1, false, T0 + 70000, DB_FORCE);
        expect_after((const uint8_t[]){ 0xf1, 0x82, 0x80, 0x00 }, two_ctos, sizeof(two_ctos));
        assert_int_equal(events_count(outst_events(H.o), 1), 2);
        SEND(0xd1, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 1), 0);
        expect_none();
}

/*
 * READ g2v3 with a count (q=0x07 count 2, q=0x08): the count limits events,
 * not objects - the CTOs do not count.  The third event stays for the next
 * read (IIN1.1 meanwhile).
 */
static void test_read_g2v3_count_limit(void **state)
{
        (void)state;
        h_init_events(2);
        set_bi(0, true, T0, DB_FORCE);
        set_bi(1, false, T0 + 70000, DB_FORCE);
        set_bi(2, true, T0 + 70001, DB_FORCE);
        SEND(0xc1, 0x01, 0x02, 0x03, 0x07, 0x02);
        expect_after((const uint8_t[]){ 0xe1, 0x81, 0x02, 0x00 }, two_ctos, sizeof(two_ctos));
        SEND(0xc1, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 1), 1);
        SEND(0xc2, 0x01, 0x02, 0x03, 0x08, 0x05, 0x00);
        EXPECT(0xe2, 0x81, 0x00, 0x00,
               0x33, 0x01, 0x07, 0x01, 0xec, 0x79, 0xe6, 0xcf, 0x8b, 0x01,
               0x02, 0x03, 0x28, 0x01, 0x00,
               0x02, 0x00, 0x81, 0x00, 0x00);
        confirm_all_gone(2);
}

/* ---- link layer rules, through outst_rx (sources: test_lsess.c) ---- */

/* Master 1 -> outstation 10, CONFIRMED_USER_DATA carrying DIRECT_OPERATE g12v1 q=0x28
 * index 3 LATCH_ON: FCB=1 (FCV=1), seq 0; and FCB=0 with FCV=0 (a misfit), seq 1 */
static const uint8_t lk_cud1_operate[] = {
        0x05, 0x64, 0x1a, 0xf3, 0x0a, 0x00, 0x01, 0x00, 0x57, 0x47,
        0xc0, 0xc0, 0x05, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, 0x03, 0x01, 0x64, 0x00,
        0x00, 0x00, 0xeb, 0xd7, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
};
static const uint8_t lk_cud0_nofcv_operate[] = {
        0x05, 0x64, 0x1a, 0xc3, 0x0a, 0x00, 0x01, 0x00, 0x98, 0xf5,
        0xc1, 0xc1, 0x05, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, 0x03, 0x01, 0x64, 0x00,
        0x00, 0x00, 0x7f, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
};
/* CONFIRMED_USER_DATA FCB=1: READ class 1, seq 1 (m_cud1 is seq 0) */
static const uint8_t lk_cud1_read1[] = {
        0x05, 0x64, 0x0b, 0xf3, 0x0a, 0x00, 0x01, 0x00, 0x71, 0x8a,
        0xc1, 0xc1, 0x01, 0x3c, 0x02, 0x06, 0xb5, 0x76,
};
/* Outstation 10 -> master 1: UNCONFIRMED_USER_DATA, transport C1, response C1 81 80 00 */
static const uint8_t lk_ucud_rsp1[] = {
        0x05, 0x64, 0x0a, 0x44, 0x01, 0x00, 0x0a, 0x00, 0x6e, 0x25,
        0xc1, 0xc1, 0x81, 0x80, 0x00, 0x5d, 0x12,
};

/* Raw link bytes into the outstation, one at a time. */
static void lk_in(const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                outst_rx(H.o, &p[i], 1, H.now);
}

/* Everything the outstation writes, taken as it comes, is exactly frame a then frame b
 * (NULL: none). */
static void lk_expect(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
        uint8_t all[512];
        size_t len = 0, got;
        const uint8_t *q;
        while ((got = outst_output(H.o, &q)) > 0) {
                assert_true(got <= sizeof(all) - len);
                memcpy(all + len, q, got);
                len += got;
                outst_consumed(H.o, got, H.now);
        }
        assert_int_equal(len, na + nb);
        if (na > 0)
                assert_memory_equal(all, a, na);
        if (nb > 0)
                assert_memory_equal(all + na, b, nb);
}

#define LK_NONE NULL, 0
#define LK(a) a, sizeof(a)

/*
 * IEEE 1815-2012 clause 9 secondary station, on the SCADA side: before the
 * master's RESET_LINK_STATES a CONFIRMED_USER_DATA is neither acknowledged
 * nor executed (the state table discards it; no NACK); after it, the
 * expected FCB gets the ACK and the application response.  A new
 * connection needs its own RESET_LINK_STATES.
 */
static void test_link_confirmed_data_needs_reset(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        lk_in(LK(lk_cud1_operate));
        lk_expect(LK_NONE, LK_NONE);
        assert_int_equal(H.commands, 0);
        assert_int_equal(outst_stats(H.o)->requests, 0);
        assert_int_equal(outst_lsess(H.o)->stats.not_reset, 1);

        lk_in(LK(m_reset));
        lk_expect(LK(o_ack), LK_NONE);
        lk_in(LK(m_cud1));
        lk_expect(LK(o_ack), LK(o_ucud));
        assert_int_equal(outst_stats(H.o)->requests, 1);

        /* the connection is replaced: the link is not reset any more */
        outst_up(H.o, H.now);
        lk_expect(LK_NONE, LK_NONE);
        lk_in(LK(lk_cud1_read1));
        lk_expect(LK_NONE, LK_NONE);
        assert_int_equal(outst_stats(H.o)->requests, 1);
        lk_in(LK(m_reset));
        lk_expect(LK(o_ack), LK_NONE);
        lk_in(LK(lk_cud1_read1));
        lk_expect(LK(o_ack), LK(lk_ucud_rsp1));
        assert_int_equal(outst_stats(H.o)->requests, 2);
        assert_int_equal(outst_lsess(H.o)->stats.not_reset, 2);
        assert_int_equal(H.commands, 0);
}

/*
 * Frames whose FCV or LENGTH misfits their function, and undefined function
 * codes, get nothing back -- no ACK, no LINK_STATUS, no NOT_SUPPORTED, no
 * application response -- and what they carry is not executed.
 */
static void test_link_misfit_and_undefined_frames_unanswered(void **state)
{
        (void)state;
        static const struct frame_bytes bad[] = {
                FRAME_BYTES(lk_cud0_nofcv_operate), FRAME_BYTES(m_bad_ucud_fcv),
                FRAME_BYTES(m_bad_reset_fcv), FRAME_BYTES(m_bad_reqls_data),
                FRAME_BYTES(m_bad_test_nofcv), FRAME_BYTES(m_undef5), FRAME_BYTES(m_undef10),
        };
        struct outst_cfg c = base_cfg();
        h_init(&c);
        lk_in(LK(m_reset));
        lk_expect(LK(o_ack), LK_NONE);
        lk_in(LK(m_cud1));
        lk_expect(LK(o_ack), LK(o_ucud));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                lk_in(bad[i].p, bad[i].n);
                lk_expect(LK_NONE, LK_NONE);
        }
        assert_int_equal(H.commands, 0);
        assert_int_equal(outst_stats(H.o)->requests, 1);
        assert_int_equal(outst_lsess(H.o)->stats.malformed, 5);
        assert_int_equal(outst_lsess(H.o)->stats.bad_function, 2);
}

/* ---- Level 2 conformance (issue 8) ------------------------------------------ */

/*
 * Level 2, controls: a SELECT, OPERATE or DIRECT_OPERATE (g12v1, g41v1-4) naming a
 * point that does not exist is answered NOT_SUPPORTED (4) with IIN2.2
 * PARAMETER_ERROR, whatever the application says about it; in a request that
 * mixes existing and missing points each existing point keeps the
 * application's own status and IIN2.2 is still set.
 */
static void test_control_missing_point_not_supported_iin22(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        /* SELECT g12v1 index 0xFFFF (4 binary outputs exist) */
        SEND(0xc0, 0x03, 0x0c, 0x01, 0x28, 0x01, 0x00, 0xff, 0xff,
             0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00, 0x00, 0x00);
        assert_int_equal(H.commands, 1);        /* the application still sees it (audit) */
        complete(DNP_CMD_SUCCESS);
        EXPECT(0xc0, 0x81, 0x00, 0x04, 0x0c, 0x01, 0x28, 0x01, 0x00, 0xff, 0xff,
               0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00, 0x00, 0x04);
        /* the refused SELECT arms nothing: its OPERATE is refused the same way */
        SEND(0xc1, 0x04, 0x0c, 0x01, 0x28, 0x01, 0x00, 0xff, 0xff,
             0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00, 0x00, 0x00);
        EXPECT(0xc1, 0x81, 0x00, 0x04, 0x0c, 0x01, 0x28, 0x01, 0x00, 0xff, 0xff,
               0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0xc8, 0x00, 0x00, 0x00, 0x04);
        assert_int_equal(H.commands, 1);
        /*
         * DIRECT_OPERATE mixing: g41v2 AO 1 (exists: LOCAL from the application),
         * g41v1 AO 2 (missing), g41v3 AO 7 (missing), g41v4 AO 0 (exists: SUCCESS),
         * g12v1 BO 3 (exists: HARDWARE_ERROR)
         */
        SEND(0xc2, 0x05,
             0x29, 0x02, 0x17, 0x01, 0x01, 0x2c, 0x01, 0x00,
             0x29, 0x01, 0x17, 0x01, 0x02, 0x2c, 0x01, 0x00, 0x00, 0x00,
             0x29, 0x03, 0x17, 0x01, 0x07, 0x00, 0x00, 0x80, 0x3f, 0x00,
             0x29, 0x04, 0x17, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x00,
             0x0c, 0x01, 0x17, 0x01, 0x03, 0x41, 0x01, 0x64, 0, 0, 0, 0, 0, 0, 0, 0x00);
        assert_int_equal(H.commands, 2);
        assert_int_equal(H.ncmds, 5);
        static const uint8_t st[5] = { DNP_CMD_LOCAL, DNP_CMD_SUCCESS, DNP_CMD_SUCCESS,
                                       DNP_CMD_SUCCESS, DNP_CMD_HARDWARE_ERROR };
        assert_int_equal(outst_cmd_complete(H.o, H.token, st, 5, H.now), 0);
        drain();
        EXPECT(0xc2, 0x81, 0x00, 0x04,
               0x29, 0x02, 0x17, 0x01, 0x01, 0x2c, 0x01, 0x07,
               0x29, 0x01, 0x17, 0x01, 0x02, 0x2c, 0x01, 0x00, 0x00, 0x04,
               0x29, 0x03, 0x17, 0x01, 0x07, 0x00, 0x00, 0x80, 0x3f, 0x04,
               0x29, 0x04, 0x17, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x00,
               0x0c, 0x01, 0x17, 0x01, 0x03, 0x41, 0x01, 0x64, 0, 0, 0, 0, 0, 0, 0, 0x06);
        /* existing points only: no IIN2.2 */
        send_ctl(3, APP_FUNC_DIRECT_OPERATE, crob3, sizeof(crob3));
        complete(DNP_CMD_SUCCESS);
        expect_crob(3, DNP_CMD_SUCCESS, 100);
        /* without an application every control is NOT_SUPPORTED; IIN2.2 only for the missing */
        static const struct outst_callbacks none = { 0 };
        outst_free(H.o);
        H.o = outst_new(&c, &none, NULL, H.now, NULL);
        assert_non_null(H.o);
        outst_up(H.o, H.now);
        lsess_reset(&H.m, H.now);
        link_scanner_init(&H.sc);
        clear_restart();
        send_ctl(4, APP_FUNC_DIRECT_OPERATE, crob3, sizeof(crob3));
        expect_crob(4, DNP_CMD_NOT_SUPPORTED, 100);
        SEND(0xc5, 0x05, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x04, 0x00,
             0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00);
        EXPECT(0xc5, 0x81, 0x00, 0x04, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x04, 0x00,
               0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04);
        expect_none();
}

/* Why a selection ended, for the audit; the one fallback text of names.h (was "unknown"). */
static void test_sel_end_names(void **state)
{
        (void)state;
        assert_string_equal(outst_sel_end_name(OUTST_SEL_END_SUPERSEDED),
                            "another request came instead of the OPERATE");
        assert_string_equal(outst_sel_end_name(OUTST_SEL_END_EXPIRED), "select_timeout passed");
        assert_string_equal(outst_sel_end_name(OUTST_SEL_END_CLOSED), "the connection closed");
        assert_string_equal(outst_sel_end_name(OUTST_SEL_END_MAX), NAMES_UNKNOWN);
}

/*
 * Level 2, controls: only the control objects of the output types (g12v1 CROB,
 * g41v1-4 analog output block) are operated.  A DIRECT_OPERATE of a point's
 * static or event object (g10v2 binary output status, g40v1 analog output
 * status, g32v1 analog input event) is refused whole with IIN2.1
 * OBJECT_UNKNOWN in a null response, and the application sees nothing.
 */
static void test_control_non_control_object_iin21(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        /* g10v2 index 3, flags ONLINE|state */
        SEND(0xc0, 0x05, 0x0a, 0x02, 0x17, 0x01, 0x03, 0x81);
        EXPECT(0xc0, 0x81, 0x00, 0x02);
        /* g40v1 index 0, flags ONLINE, value 1 */
        SEND(0xc1, 0x05, 0x28, 0x01, 0x17, 0x01, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00);
        EXPECT(0xc1, 0x81, 0x00, 0x02);
        /* g32v1 index 0, flags ONLINE, value 1 */
        SEND(0xc2, 0x05, 0x20, 0x01, 0x17, 0x01, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00);
        EXPECT(0xc2, 0x81, 0x00, 0x02);
        assert_int_equal(H.commands, 0);
        /* the same outstation operates a CROB */
        send_ctl(3, APP_FUNC_DIRECT_OPERATE, crob3, sizeof(crob3));
        assert_int_equal(H.commands, 1);
        complete(DNP_CMD_SUCCESS);
        expect_crob(3, DNP_CMD_SUCCESS, 100);
        expect_none();
}

/*
 * Level 2, select before operate: an OPERATE that matches its SELECT (sequence + 1,
 * identical objects) but comes after select_timeout is answered TIMEOUT (1)
 * and not executed; one with a wrong sequence or other objects stays NO_SELECT
 * however late it is.
 */
static void test_operate_after_select_timeout_is_timeout(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        send_ctl(1, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete_selected();
        expect_crob(1, DNP_CMD_SUCCESS, 100);
        H.now += 10001;                 /* select_timeout 10 s, plus 1 ms */
        send_ctl(2, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(2, DNP_CMD_TIMEOUT, 100);
        assert_int_equal(H.commands, 1);        /* nothing executed */
        assert_int_equal(outst_stats(H.o)->select_timeouts, 1);
        /* the selection is gone: repeating the OPERATE later (seq 3) is NO_SELECT */
        send_ctl(3, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(3, DNP_CMD_NO_SELECT, 100);
        /* late and the wrong sequence: NO_SELECT */
        send_ctl(4, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete_selected();
        expect_crob(4, DNP_CMD_SUCCESS, 100);
        H.now += 20000;
        send_ctl(6, APP_FUNC_OPERATE, crob3, sizeof(crob3));
        expect_crob(6, DNP_CMD_NO_SELECT, 100);
        /* late and other objects (on time 101): NO_SELECT */
        send_ctl(7, APP_FUNC_SELECT, crob3, sizeof(crob3));
        complete_selected();
        expect_crob(7, DNP_CMD_SUCCESS, 100);
        H.now += 20000;
        uint8_t other[sizeof(crob3)];
        memcpy(other, crob3, sizeof(other));
        other[9] = 101;
        send_ctl(8, APP_FUNC_OPERATE, other, sizeof(other));
        expect_crob(8, DNP_CMD_NO_SELECT, 101);
        assert_int_equal(H.commands, 3);        /* the three SELECTs */
        assert_int_equal(outst_stats(H.o)->select_timeouts, 1);
        assert_int_equal(outst_stats(H.o)->no_select, 3);
        expect_none();
}

/* WRITE g50v1 (time), the usual broadcast */
static const uint8_t bcast_time[] = { 0xc3, 0x02, 0x32, 0x01, 0x07, 0x01,
                                      0x00, 0x01, 0x02, 0x03, 0x04, 0x05 };

/*
 * Broadcast to 0xFFFE (application confirmation mandatory): no response to it;
 * every later response asks for a confirm (CON) and carries IIN1.0 until the
 * master confirms one; then IIN1.0 clears.  A confirm of another sequence or
 * a confirm timeout clears nothing.
 */
static void test_broadcast_fffe_con_until_confirmed(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        send_broadcast_to(0xfffe, bcast_time, sizeof(bcast_time));
        expect_none();
        assert_int_equal(H.syncs, 1);
        SEND(0xc4, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xe4, 0x81, 0x01, 0x00);         /* CON, IIN1.0 */
        SEND(0xc3, 0x00);                       /* confirm of another sequence: ignored */
        SEND(0xc5, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00);   /* no confirm, a new request */
        EXPECT(0xe5, 0x81, 0x01, 0x00);
        advance(H.now + 5000);                  /* confirm timeout */
        SEND(0xc6, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xe6, 0x81, 0x01, 0x00);
        SEND(0xc6, 0x00);                       /* confirmed */
        SEND(0xc7, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc7, 0x81, 0x00, 0x00);
        expect_none();
}

/*
 * Broadcast to 0xFFFD (no confirmation) and 0xFFFF (optional, treated alike):
 * IIN1.0 in the next response only, without CON.
 */
static void test_broadcast_fffd_ffff_iin10_once(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        static const uint16_t dests[] = { 0xfffd, 0xffff };
        uint8_t seq = 4;
        for (size_t k = 0; k < 2; k++) {
                send_broadcast_to(dests[k], bcast_time, sizeof(bcast_time));
                expect_none();
                uint8_t r[] = { (uint8_t)(0xc0 | seq), 0x01, 0x3c, 0x02, 0x06 };
                send_apdu(r, sizeof(r));
                uint8_t e1[] = { (uint8_t)(0xc0 | seq), 0x81, 0x01, 0x00 };
                expect(e1, sizeof(e1));
                seq++;
                r[0] = (uint8_t)(0xc0 | seq);
                send_apdu(r, sizeof(r));
                uint8_t e2[] = { (uint8_t)(0xc0 | seq), 0x81, 0x00, 0x00 };
                expect(e2, sizeof(e2));
                seq++;
        }
        expect_none();
}

/*
 * Level 2, READ with qualifiers 0x07/0x08: the count limits the events of its own
 * header, not of the request.  READ g60v2 q07 count 2, g60v3 q07 count 1
 * returns the 2 oldest class 1 events and the oldest class 2 event (in the
 * order they happened); READ g2v1 q07 count 1, g2v2 q07 count 1 returns one
 * event in each variation.
 */
static void test_read_event_count_per_header(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        struct db_point_cfg pc = { .static_var = 2, .event_var = 1, .event_class = 1 };
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_BI, 0, 4, &pc), 0);
        pc.event_class = 2;
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_BI, 4, 4, &pc), 0);
        clear_restart();
        populate_bi(8);
        /* class 1: BI 0, 1, 2; class 2: BI 4, 5, 6; interleaved */
        static const uint32_t order[] = { 0, 4, 1, 5, 2, 6 };
        for (size_t k = 0; k < 6; k++)
                set_bi(order[k], true, 0x010203040506 + k, DB_DETECT);
        SEND(0xc1, 0x01, 0x3c, 0x02, 0x07, 0x02, 0x3c, 0x03, 0x07, 0x01);
        /* BI 0, 4, 1 (g2v1); still unsent: class 1 (BI 2) and class 2 (BI 5, 6) */
        EXPECT(0xe1, 0x81, 0x06, 0x00, 0x02, 0x01, 0x28, 0x03, 0x00,
               0x00, 0x00, 0x81, 0x04, 0x00, 0x81, 0x01, 0x00, 0x81);
        SEND(0xc1, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 1), 1);
        assert_int_equal(events_count(outst_events(H.o), 2), 2);
        /* one g2v1 (the oldest: BI 5), one g2v2 (the next: BI 2) */
        SEND(0xc2, 0x01, 0x02, 0x01, 0x07, 0x01, 0x02, 0x02, 0x07, 0x01);
        EXPECT(0xe2, 0x81, 0x04, 0x00,
               0x02, 0x01, 0x28, 0x01, 0x00, 0x05, 0x00, 0x81,
               0x02, 0x02, 0x28, 0x01, 0x00, 0x02, 0x00, 0x81, 0x0a, 0x05, 0x04, 0x03, 0x02, 0x01);
        SEND(0xc2, 0x00);
        /* a count larger than what is there: all of it (BI 6), no more */
        SEND(0xc3, 0x01, 0x3c, 0x02, 0x08, 0x05, 0x00, 0x3c, 0x03, 0x07, 0x05);
        EXPECT(0xe3, 0x81, 0x00, 0x00, 0x02, 0x01, 0x28, 0x01, 0x00, 0x06, 0x00, 0x81);
        SEND(0xc3, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 2), 0);
        expect_none();
}

/*
 * READ g80v1 (the IIN bits as packed binary, index 0 = IIN1.0 ... 15 = IIN2.7):
 * answered with g80v1 qualifier 0x00 start/stop.  Indexes past 15 do not exist
 * (IIN2.2, and the bits up to 15 are reported); index lists cannot carry
 * packed bits (IIN2.2, nothing reported).
 */
static void test_read_g80v1_iin_bits(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        /* DEVICE_RESTART (IIN1.7) is set */
        SEND(0xc1, 0x01, 0x50, 0x01, 0x06);
        EXPECT(0xc1, 0x81, 0x80, 0x00, 0x50, 0x01, 0x00, 0x00, 0x0f, 0x80, 0x00);
        SEND(0xc2, 0x01, 0x50, 0x01, 0x00, 0x07, 0x07);
        EXPECT(0xc2, 0x81, 0x80, 0x00, 0x50, 0x01, 0x00, 0x07, 0x07, 0x01);
        /* 4..20: 4..15 reported, IIN2.2 (bit 10) set in the header and the bits */
        SEND(0xc3, 0x01, 0x50, 0x01, 0x01, 0x04, 0x00, 0x14, 0x00);
        EXPECT(0xc3, 0x81, 0x80, 0x04, 0x50, 0x01, 0x00, 0x04, 0x0f, 0x48, 0x00);
        SEND(0xc4, 0x01, 0x50, 0x01, 0x00, 0x10, 0x11);
        EXPECT(0xc4, 0x81, 0x80, 0x04);
        SEND(0xc5, 0x01, 0x50, 0x01, 0x17, 0x01, 0x07);
        EXPECT(0xc5, 0x81, 0x80, 0x04);
        clear_restart();
        SEND(0xc6, 0x01, 0x50, 0x01, 0x06);
        EXPECT(0xc6, 0x81, 0x00, 0x00, 0x50, 0x01, 0x00, 0x00, 0x0f, 0x00, 0x00);
        expect_none();
}

/*
 * IEEE 1815-2012 4.4.5-4.4.7: a freeze is the application's business, so
 * the session hands the named counters over and defers the null response
 * until the application completes it (like a control); it changes no
 * counter itself (before: it froze and cleared its own copy at once).
 */
static void test_freeze_deferred(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        struct dnp_value v = { .index = 1, .flags = DNP_FLAG_ONLINE, .v.count = 77 };
        outst_update(H.o, DNP_TYPE_CNT, &v, DB_DETECT, H.now);
        SEND(0xc1, 0x09, 0x14, 0x00, 0x00, 0x01, 0x01); /* FREEZE_CLEAR counter 1 */
        expect_none();
        assert_int_equal(H.freezes, 1);
        assert_int_equal(H.frz.func, APP_FUNC_FREEZE_CLEAR);
        assert_int_equal(H.frz.count, 4);
        EXPECT_NAMED(1);
        /* the session froze and cleared nothing */
        struct dnp_value f, cnt;
        assert_int_equal(db_get(outst_db(H.o), DNP_TYPE_FCNT, 1, &f), 0);
        assert_int_equal(f.v.count, 0);
        assert_int_equal(db_get(outst_db(H.o), DNP_TYPE_CNT, 1, &cnt), 0);
        assert_int_equal(cnt.v.count, 77);
        advance(H.now + 1500);
        expect_none();                          /* still waiting for the application */
        /* a repeat of the request while it is pending is not handed over twice */
        SEND(0xc1, 0x09, 0x14, 0x00, 0x00, 0x01, 0x01);
        assert_int_equal(H.freezes, 1);
        expect_none();
        freeze_done(0);
        EXPECT(0xc1, 0x81, 0x00, 0x00);
        expect_none();
        assert_int_equal(outst_freeze_complete(H.o, H.frz_token, 0, H.now), -ESTALE);
        SEND(0xc1, 0x09, 0x14, 0x00, 0x00, 0x01, 0x01);   /* repeated once answered: resent */
        EXPECT(0xc1, 0x81, 0x00, 0x00);
        assert_int_equal(H.freezes, 1);

        /* IMMED_FREEZE all (q 0x06): every counter; the application's IIN2 bits are
         * carried (IIN2.2: it could not freeze somewhere), nothing else it passes */
        SEND(0xc2, 0x07, 0x14, 0x00, 0x06);
        assert_int_equal(H.frz.func, APP_FUNC_IMMED_FREEZE);
        EXPECT_NAMED(0, 1, 2, 3);
        freeze_done(APP_IIN_PARAMETER_ERROR | APP_IIN_DEVICE_RESTART | APP_IIN_BROADCAST);
        EXPECT(0xc2, 0x81, 0x00, 0x04);
        SEND(0xc3, 0x07, 0x14, 0x00, 0x01, 0x02, 0x00, 0x03, 0x00);   /* q 0x01 2..3 */
        EXPECT_NAMED(2, 3);
        freeze_done(APP_IIN_NO_FUNC_CODE_SUPPORT);
        EXPECT(0xc3, 0x81, 0x00, 0x01);
        /* index list q 0x17 [3, 0, 3]: each once */
        SEND(0xc4, 0x07, 0x14, 0x00, 0x17, 0x03, 0x03, 0x00, 0x03);
        EXPECT_NAMED(0, 3);
        freeze_done(0);
        EXPECT(0xc4, 0x81, 0x00, 0x00);

        /* not completed within cmd_timeout (3 s): IIN2.2 */
        SEND(0xc5, 0x07, 0x14, 0x00, 0x06);
        uint32_t tok = H.frz_token;
        advance(H.now + 2999);
        expect_none();
        advance(H.now + 1);
        EXPECT(0xc5, 0x81, 0x00, 0x04);
        assert_int_equal(outst_stats(H.o)->freeze_timeouts, 1);
        assert_int_equal(outst_freeze_complete(H.o, tok, 0, H.now), -ESTALE);

        /* superseded by a new request: the old token is stale, nothing more is sent */
        SEND(0xc6, 0x09, 0x14, 0x00, 0x06);
        tok = H.frz_token;
        SEND(0xc7, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc7, 0x81, 0x00, 0x00);
        assert_int_equal(outst_freeze_complete(H.o, tok, 0, H.now), -ESTALE);
        drain();
        expect_none();
        assert_int_equal(outst_stats(H.o)->freezes, 6);
}

/* The _NR functions (8, 10, 12) go to the application and are never answered,
 * completed or not (IEEE 1815-2012 4.4.6, 4.4.8: no response). */
static void test_freeze_nr_no_response(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        SEND(0xc1, 0x08, 0x14, 0x00, 0x06);     /* IMMED_FREEZE_NR */
        assert_int_equal(H.frz.func, APP_FUNC_IMMED_FREEZE_NR);
        EXPECT_NAMED(0, 1, 2, 3);
        freeze_done(APP_IIN_PARAMETER_ERROR);
        expect_none();
        SEND(0xc2, 0x0a, 0x14, 0x00, 0x00, 0x00, 0x00);  /* FREEZE_CLEAR_NR counter 0 */
        assert_int_equal(H.frz.func, APP_FUNC_FREEZE_CLEAR_NR);
        EXPECT_NAMED(0);
        advance(H.now + 5000);                  /* not completed: no timeout answer either */
        expect_none();
        assert_int_equal(outst_stats(H.o)->freeze_timeouts, 1);
        /* FREEZE_AT_TIME_NR */
        SEND(0xc3, 0x0c, 0x32, 0x02, 0x07, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
             0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x06);
        assert_int_equal(H.frz.func, APP_FUNC_FREEZE_AT_TIME_NR);
        freeze_done(0);
        expect_none();
        /* a refused _NR request is not answered either: g30 is no counter */
        SEND(0xc4, 0x08, 0x1e, 0x00, 0x06);
        expect_none();
        assert_int_equal(H.freezes, 3);
        /* by broadcast: carried out (handed over), never answered; IIN1.0 next */
        uint8_t a[] = { 0xc5, APP_FUNC_IMMED_FREEZE, 0x14, 0x00, 0x06 };
        send_broadcast_to(0xffff, a, sizeof(a));
        assert_int_equal(H.freezes, 4);
        assert_int_equal(H.frz.func, APP_FUNC_IMMED_FREEZE);
        freeze_done(0);
        expect_none();
        SEND(0xc6, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc6, 0x81, 0x01, 0x00);
}

/*
 * FREEZE_AT_TIME (11): the g50v2 object (48-bit time, 32-bit interval) goes
 * to the application unchanged; without it the request is refused (IIN2.2).
 * A request with any header other than g20 is refused whole (IIN2.1) and
 * freezes nothing, even counters named before the bad header.
 */
static void test_freeze_at_time_and_refusals(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        /* time 0x0102030405 ms, interval 60000 ms (0xea60); counters 2, 3 */
        SEND(0xc1, 0x0b, 0x32, 0x02, 0x07, 0x01, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00,
             0x60, 0xea, 0x00, 0x00, 0x14, 0x00, 0x00, 0x02, 0x03);
        expect_none();
        assert_int_equal(H.frz.func, APP_FUNC_FREEZE_AT_TIME);
        assert_int_equal(H.frz.time, 0x0102030405ull);
        assert_int_equal(H.frz.interval_ms, 60000);
        EXPECT_NAMED(2, 3);
        freeze_done(0);
        EXPECT(0xc1, 0x81, 0x00, 0x00);
        /* no g50v2 first, a g50v1, a count of 2, or a truncated one: IIN2.2 at once */
        SEND(0xc2, 0x0b, 0x14, 0x00, 0x06);
        EXPECT(0xc2, 0x81, 0x00, 0x04);
        SEND(0xc3, 0x0b, 0x32, 0x01, 0x07, 0x01, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00,
             0x14, 0x00, 0x06);
        EXPECT(0xc3, 0x81, 0x00, 0x04);
        SEND(0xc4, 0x0b, 0x32, 0x02, 0x07, 0x02, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00,
             0x60, 0xea, 0x00, 0x00, 0x14, 0x00, 0x06);
        EXPECT(0xc4, 0x81, 0x00, 0x04);
        SEND(0xc5, 0x0b, 0x32, 0x02, 0x07, 0x01, 0x05, 0x04, 0x03);
        EXPECT(0xc5, 0x81, 0x00, 0x04);
        /* g20 all, then g30: refused whole with IIN2.1 */
        SEND(0xc6, 0x07, 0x14, 0x00, 0x06, 0x1e, 0x00, 0x06);
        EXPECT(0xc6, 0x81, 0x00, 0x02);
        /* a qualifier the parser refuses (0x5b): IIN2.2 */
        SEND(0xc7, 0x07, 0x14, 0x00, 0x5b, 0x01);
        EXPECT(0xc7, 0x81, 0x00, 0x04);
        assert_int_equal(H.freezes, 1);
}

/*
 * The count qualifiers 0x07/0x08 on g20v0 name counters 0..N-1, as a READ
 * takes them for static objects and as IED device profiles document ("limited
 * quantity", count beginning with 0).  Before, such a freeze froze nothing and
 * set no IIN bit: a master was told it worked.  A count past the counters
 * names the ones that exist and sets IIN2.2; count 0 names none.
 */
static void test_freeze_count_qualifier(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        clear_restart();
        SEND(0xc1, 0x07, 0x14, 0x00, 0x07, 0x02);               /* q 0x07, 2 */
        EXPECT_NAMED(0, 1);
        freeze_done(0);
        EXPECT(0xc1, 0x81, 0x00, 0x00);
        SEND(0xc2, 0x09, 0x14, 0x00, 0x08, 0x06, 0x00);         /* q 0x08, 6 of 4 */
        assert_int_equal(H.frz.func, APP_FUNC_FREEZE_CLEAR);
        EXPECT_NAMED(0, 1, 2, 3);
        freeze_done(0);
        EXPECT(0xc2, 0x81, 0x00, 0x04);
        SEND(0xc3, 0x07, 0x14, 0x00, 0x07, 0x00);               /* count 0: nothing */
        EXPECT(0xc3, 0x81, 0x00, 0x00);
        assert_int_equal(H.freezes, 2);
}

/* An outstation whose application takes no freeze answers IIN2.0 (function
 * code not supported) instead of pretending. */
static void test_freeze_unsupported(void **state)
{
        (void)state;
        static const struct outst_callbacks no_freeze = { .on_command = on_command };
        struct outst_cfg c = base_cfg();
        h_cbs = &no_freeze;
        h_init(&c);
        h_cbs = &cbs;
        clear_restart();
        SEND(0xc1, 0x07, 0x14, 0x00, 0x06);
        EXPECT(0xc1, 0x81, 0x00, 0x01);
        SEND(0xc2, 0x0b, 0x32, 0x02, 0x07, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
             0x14, 0x00, 0x06);
        EXPECT(0xc2, 0x81, 0x00, 0x01);
        SEND(0xc3, 0x08, 0x14, 0x00, 0x06);
        expect_none();
        assert_int_equal(H.freezes, 0);
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

/* ---- the implementation table (outst_impl_foreach) ---------------------- */

#define IMPL_MAX 512
static struct outst_impl impl_rows[IMPL_MAX];
static size_t impl_n;

static void impl_take(void *ctx, const struct outst_impl *row)
{
        (void)ctx;
        assert_true(impl_n < IMPL_MAX);
        impl_rows[impl_n++] = *row;
}

static void impl_load(const struct outst_cfg *c, const struct outst_callbacks *cb)
{
        impl_n = 0;
        outst_impl_foreach(c, cb, impl_take, NULL);
}

/* The row (func, group, var), or NULL. */
static const struct outst_impl *impl_find(uint8_t func, uint8_t group, uint8_t var)
{
        for (size_t k = 0; k < impl_n; k++)
                if (impl_rows[k].func == func && impl_rows[k].group == group &&
                    impl_rows[k].var == var)
                        return &impl_rows[k];
        return NULL;
}

/* Whether the table lists (func, group, var) with qualifier q (q 0xff: any or none). */
static bool impl_has(uint8_t func, uint8_t group, uint8_t var, uint8_t q)
{
        for (size_t k = 0; k < impl_n; k++) {
                const struct outst_impl *r = &impl_rows[k];
                if (r->func == func && r->group == group && r->var == var &&
                    (q == 0xff || (r->quals & obj_qual_bit(q))))
                        return true;
        }
        return false;
}

/* Bytes of one object of (group, var) in a request that carries data, 0 for none. */
static size_t impl_obj_size(uint8_t func, uint8_t group, uint8_t var)
{
        if (obj_mode_for_func(func) != OBJ_MODE_DATA)
                return 0;
        const struct obj_desc *d = obj_lookup(group, var);
        assert_non_null(d);
        return d->fmt == OBJ_FMT_PACKED1 ? 1 : d->size;
}

/*
 * One request of row r with qualifier q naming point 0 (index 7 for the
 * IIN bits, whose only writable bit is IIN1.7); the answer's IIN2 bits, or
 * 0 for a request that gets no response (checked through the session's
 * count of refused requests instead).  Deferred controls and freezes are
 * completed at once, SUCCESS.
 */
static uint8_t impl_request(const struct outst_impl *r, uint8_t q, uint8_t seq)
{
        uint8_t a[64] = { (uint8_t)(0xc0 | (seq & 0x0f)), r->func };
        size_t n = 2;
        uint64_t refused = outst_stats(H.o)->bad_requests;
        uint32_t first = r->group == 80 ? 7 : 0;
        if (r->group == 20 && (r->func == APP_FUNC_FREEZE_AT_TIME ||
                               r->func == APP_FUNC_FREEZE_AT_TIME_NR)) {
                static const uint8_t at[] = { 50, 2, 0x07, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
                memcpy(a + n, at, sizeof(at));
                n += sizeof(at);
        }
        if (r->group == 50 && r->var == 2)
                return 0;       /* in every FREEZE_AT_TIME row of g20 */
        if (r->group) {
                a[n++] = r->group;
                a[n++] = r->var;
                a[n++] = q;
                switch (q) {
                case OBJ_QUAL_RANGE8:
                        a[n++] = (uint8_t)first;
                        a[n++] = (uint8_t)first;
                        break;
                case OBJ_QUAL_RANGE16:
                        a[n++] = (uint8_t)first;
                        a[n++] = 0;
                        a[n++] = (uint8_t)first;
                        a[n++] = 0;
                        break;
                case OBJ_QUAL_COUNT8:
                case OBJ_QUAL_INDEX8:
                        a[n++] = 1;
                        if (q == OBJ_QUAL_INDEX8)
                                a[n++] = (uint8_t)first;
                        break;
                case OBJ_QUAL_COUNT16:
                case OBJ_QUAL_INDEX16:
                        a[n++] = 1;
                        a[n++] = 0;
                        if (q == OBJ_QUAL_INDEX16) {
                                a[n++] = (uint8_t)first;
                                a[n++] = 0;
                        }
                        break;
                default:
                        break;
                }
                size_t sz = impl_obj_size(r->func, r->group, r->var);
                memset(a + n, 0, sz);
                if (r->group == 12)
                        a[n] = 0x01;    /* PULSE_ON */
                n += sz;
        }
        H.nrsp = H.next = 0;
        size_t before = 0;
        send_apdu(a, n);
        if (H.commands && H.token) {
                static const uint8_t ok[1] = { 0 };
                outst_cmd_complete(H.o, H.token, ok, 1, H.now);
                H.token = 0;
                drain();
        }
        if (H.freezes && H.frz_token) {
                outst_freeze_complete(H.o, H.frz_token, 0, H.now);
                H.frz_token = 0;
                drain();
        }
        uint8_t iin2 = 0;
        if (H.nrsp > before)
                iin2 = H.rsp[H.nrsp - 1][3];
        /* the session counts every request it refused, with a response or not */
        if (outst_stats(H.o)->bad_requests != refused)
                iin2 |= 0x80;
        if (H.nrsp > before && (H.rsp[H.nrsp - 1][0] & 0x20)) {        /* CON: confirm it */
                uint8_t conf[2] = { (uint8_t)(0xc0 | (H.rsp[H.nrsp - 1][0] & 0x0f)), 0x00 };
                send_apdu(conf, 2);
        }
        H.next = H.nrsp;
        return iin2;
}

/*
 * The implementation table the device profile is made of matches what the
 * outstation answers: each request row, with each qualifier it lists, is
 * answered without IIN2.0 (function code not supported), IIN2.1 (object
 * unknown) or IIN2.2 (parameter error); requests the table does not list are
 * refused with them.
 */
static void test_impl_table_answers(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        c.unsol.enabled = true;
        c.unsol.classes = 0xe;
        c.unsol.hold_count = 1;
        c.unsol.retries = -1;
        h_init(&c);
        impl_load(&c, &cbs);
        EXPECT(0xf0, 0x82, 0x80, 0x00);         /* the null unsolicited response */
        SEND(0xd0, 0x00);
        clear_restart();
        unsigned checked = 0;
        uint8_t seq = 1;
        for (size_t k = 0; k < impl_n; k++) {
                const struct outst_impl *r = &impl_rows[k];
                if (r->func == APP_FUNC_CONFIRM || r->func == APP_FUNC_RESPONSE)
                        continue;
                if (r->func == APP_FUNC_WRITE && r->group == 50 && r->var == 3) {
                        /* the LAN procedure: the time of the last RECORD_CURRENT_TIME */
                        const struct outst_impl rec = { .func = APP_FUNC_RECORD_CURRENT_TIME };
                        assert_int_equal(impl_request(&rec, 0, seq++), 0);
                }
                for (unsigned qi = 0; qi < OBJ_QUAL_COUNT || (!r->quals && qi == 0); qi++) {
                        uint8_t q = obj_qual_code(qi);
                        if (r->quals && !(r->quals & obj_qual_bit(q)))
                                continue;
                        uint8_t iin2 = impl_request(r, q, seq++);
                        if (iin2 & 0x87)
                                fail_msg("%s g%uv%u q 0x%02x: IIN2 0x%02x",
                                         app_func_name(r->func), r->group, r->var, q, iin2);
                        checked++;
                }
        }
        /* every point type's static and event groups, class data, controls, freezes */
        assert_true(impl_has(APP_FUNC_READ, 1, 2, OBJ_QUAL_INDEX16));
        assert_true(impl_has(APP_FUNC_READ, 32, 7, OBJ_QUAL_COUNT8));
        assert_true(impl_has(APP_FUNC_READ, 21, 10, OBJ_QUAL_RANGE8));
        assert_true(impl_has(APP_FUNC_DIRECT_OPERATE_NR, 41, 4, OBJ_QUAL_INDEX16));
        assert_true(impl_has(APP_FUNC_FREEZE_AT_TIME, 20, 0, OBJ_QUAL_ALL));
        assert_true(impl_has(APP_FUNC_COLD_RESTART, 0, 0, 0xff));
        assert_true(impl_has(APP_FUNC_ENABLE_UNSOLICITED, 60, 2, OBJ_QUAL_ALL));
        assert_true(impl_has(APP_FUNC_RESPONSE, 52, 2, 0xff));
        assert_true(checked > 400);
        /* events and their CTO also go unsolicited (configured here), static objects never */
        assert_true(impl_find(APP_FUNC_READ, 2, 3)->rsp_unsol);
        assert_true(impl_find(APP_FUNC_RESPONSE, 51, 2)->rsp_unsol);
        assert_int_equal(impl_find(APP_FUNC_READ, 2, 3)->rsp_quals, OBJ_QBIT(INDEX16));
        assert_false(impl_find(APP_FUNC_READ, 1, 2)->rsp_unsol);
        assert_false(impl_find(APP_FUNC_READ, 2, 0)->rsp_unsol);       /* var 0: never sent */

        /* what the table does not list is refused */
        assert_false(impl_has(APP_FUNC_READ, 12, 1, 0xff));
        const struct outst_impl rd_crob = { .func = APP_FUNC_READ, .group = 12, .var = 1 };
        assert_int_equal(impl_request(&rd_crob, OBJ_QUAL_ALL, seq++) & 0x07, 0x02);
        assert_false(impl_has(APP_FUNC_READ, 1, 2, OBJ_QUAL_FREE16));
        const struct outst_impl rd_bi = { .func = APP_FUNC_READ, .group = 1, .var = 2 };
        assert_int_equal(impl_request(&rd_bi, OBJ_QUAL_FREE16, seq++) & 0x07, 0x04);
        assert_false(impl_has(APP_FUNC_READ, 80, 1, OBJ_QUAL_INDEX8));
        const struct outst_impl rd_iin = { .func = APP_FUNC_READ, .group = 80, .var = 1 };
        assert_int_equal(impl_request(&rd_iin, OBJ_QUAL_INDEX8, seq++) & 0x07, 0x04);
        assert_false(impl_has(APP_FUNC_WRITE, 50, 2, 0xff));
        assert_false(impl_has(16, 0, 0, 0xff));          /* INITIALIZE_APPLICATION */
        const struct outst_impl init_app = { .func = 16 };
        assert_int_equal(impl_request(&init_app, 0, seq++) & 0x07, 0x01);
}

/*
 * The table follows the configuration and the application: no rows for a
 * point type without points (a READ of its point 0 is IIN2.2), no ENABLE_UNSOLICITED
 * when unsolicited reporting is off (IIN2.0), no restart or freeze without
 * their upcalls (IIN2.0).
 */
static void test_impl_table_as_configured(void **state)
{
        (void)state;
        static const struct outst_callbacks cmd_only = { .on_command = on_command };
        struct outst_cfg c = base_cfg();
        memset(c.points, 0, sizeof(c.points));
        c.points[DNP_TYPE_AI] = 4;
        h_cbs = &cmd_only;
        h_init(&c);
        h_cbs = &cbs;
        impl_load(&c, &cmd_only);
        clear_restart();
        assert_true(impl_has(APP_FUNC_READ, 30, 5, OBJ_QUAL_ALL));
        assert_true(impl_has(APP_FUNC_DISABLE_UNSOLICITED, 60, 3, OBJ_QUAL_ALL));
        assert_false(impl_find(APP_FUNC_READ, 32, 7)->rsp_unsol);      /* unsolicited off */
        for (size_t k = 0; k < impl_n; k++) {
                uint8_t g = impl_rows[k].group;
                assert_true(g == 0 || g == 30 || g == 32 || g == 50 || g == 51 || g == 52 ||
                            g == 60 || g == 80);
                assert_true(impl_rows[k].func != APP_FUNC_COLD_RESTART &&
                            impl_rows[k].func != APP_FUNC_IMMED_FREEZE &&
                            impl_rows[k].func != APP_FUNC_ENABLE_UNSOLICITED &&
                            impl_rows[k].func != APP_FUNC_SELECT);
        }
        const struct outst_impl rd_bi = { .func = APP_FUNC_READ, .group = 1, .var = 0 };
        assert_int_equal(impl_request(&rd_bi, OBJ_QUAL_RANGE8, 1) & 0x07, 0x04);
        const struct outst_impl cold = { .func = APP_FUNC_COLD_RESTART };
        assert_int_equal(impl_request(&cold, 0, 2) & 0x07, 0x01);
        const struct outst_impl en = { .func = APP_FUNC_ENABLE_UNSOLICITED, .group = 60, .var = 2 };
        assert_int_equal(impl_request(&en, OBJ_QUAL_ALL, 3) & 0x07, 0x01);
        const struct outst_impl frz = { .func = APP_FUNC_IMMED_FREEZE, .group = 20, .var = 0 };
        assert_int_equal(impl_request(&frz, OBJ_QUAL_ALL, 4) & 0x07, 0x01);
}

/* ---- the durable journal (issue 11): its hook and the restore at start ---- */

#define JMAX 32

/* A journal double: what a journal file would hold (added, not yet removed), by seq. */
struct jdouble {
        struct outst_saved_event ev[JMAX];
        uint32_t seq[JMAX];
        bool live[JMAX];
        size_t n;
        unsigned added, removed;
};

static struct jdouble J;

static void j_added(void *ctx, const struct ev *e, unsigned cls)
{
        struct jdouble *j = ctx;
        assert_true(j->n < JMAX);
        j->ev[j->n] = (struct outst_saved_event){
                .time = e->time, .value = e->value, .index = e->index, .src = e->src,
                .type = e->type, .var = e->var, .flags = e->flags, .cls = (uint8_t)cls,
        };
        j->seq[j->n] = e->seq;
        j->live[j->n++] = true;
        j->added++;
}

static void j_removed(void *ctx, const struct ev *e, unsigned cls)
{
        struct jdouble *j = ctx;
        for (size_t i = 0; i < j->n; i++) {
                if (j->live[i] && j->seq[i] == e->seq) {
                        assert_int_equal(j->ev[i].cls, cls);
                        j->live[i] = false;
                        j->removed++;
                        return;
                }
        }
        fail_msg("removed an event the journal does not hold (seq %u)", (unsigned)e->seq);
}

static const struct events_journal jhook = { .added = j_added, .removed = j_removed, .ctx = &J };

/*
 * After a restore the journal holds what the buffers hold, by their new
 * seqs (the store writes this snapshot and drops the old segment).
 */
static void j_snapshot(void)
{
        unsigned added = J.added;
        struct events *ev = outst_events(H.o);
        struct events_iter it;
        const struct ev *e;
        unsigned cls;
        J.n = 0;
        events_iter_init(ev, &it, 0xe);
        while ((e = events_iter_next(ev, &it, &cls)) != NULL)
                j_added(&J, e, cls);
        J.added = added;
}

/* The journal's live events into the outstation, in its order: how many returned 0, 1, < 0. */
static void j_restore(const int *want)
{
        size_t k = 0;
        for (size_t i = 0; i < J.n; i++)
                if (J.live[i])
                        assert_int_equal(outst_restore_event(H.o, &J.ev[i]), want[k++]);
}

/* BI 0..7 class 1 g2v2, AI 0..3 class 2 g32v3 (both with time). */
static void journal_points(uint32_t nbi)
{
        struct db_point_cfg bi = { .static_var = 2, .event_var = 2, .event_class = 1 };
        struct db_point_cfg ai = { .static_var = 1, .event_var = 3, .event_class = 2 };
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_BI, 0, nbi, &bi), 0);
        assert_int_equal(db_configure(outst_db(H.o), DNP_TYPE_AI, 0, 4, &ai), 0);
}

static void set_ai(uint32_t i, double val, uint8_t flags, uint64_t t)
{
        struct dnp_value v = { .index = i, .flags = flags, .time = t, .v.analog = val };
        assert_int_equal(outst_update(H.o, DNP_TYPE_AI, &v, DB_FORCE, H.now), 1);
        drain();
}

/*
 * Issue 11, restore at start: the events the journal holds (every event
 * that entered a buffer and was not confirmed upstream) come back after a
 * restart in their original order, class, value, flags, variation and IED
 * time, so the master's class 1/2/3 poll after the restart gets exactly
 * the bytes it would have got without it (same request sequence).  The
 * journal was told of each event added and of the two the master had
 * confirmed before the crash; the restore itself tells it nothing.
 */
static void test_restore_original_order_value_flags_time(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        journal_points(8);
        clear_restart();
        memset(&J, 0, sizeof(J));
        outst_set_events_journal(H.o, &jhook);
        set_bi(0, true, 0x010203040500, DB_FORCE);
        set_ai(1, 1234, 0x01, 0x010203040501);
        SEND(0xc1, 0x01, 0x3c, 0x02, 0x06, 0x3c, 0x03, 0x06);
        H.next = H.nrsp;
        SEND(0xc1, 0x00);                       /* confirmed upstream: out of the journal */
        assert_int_equal(J.removed, 2);
        set_bi(3, false, 0x010203040502, DB_FORCE);
        set_ai(2, -7, 0x21, 0x010203040503);    /* ONLINE + OVER_RANGE */
        set_bi(5, true, 0x010203040504, DB_FORCE);
        set_ai(2, 70000, 0x01, 0x010203040505);
        assert_int_equal(J.added, 6);
        SEND(0xc2, 0x01, 0x3c, 0x02, 0x06, 0x3c, 0x03, 0x06, 0x3c, 0x04, 0x06);
        assert_int_equal(H.nrsp, H.next + 1);
        uint8_t before[4096];
        size_t before_len = H.rsp_len[H.next];
        memcpy(before, H.rsp[H.next], before_len);
        /* no confirm: the daemon is killed here; a new one starts */

        h_init(&c);
        journal_points(8);
        outst_set_events_journal(H.o, &jhook);
        const int ok[4] = { 0, 0, 0, 0 };
        j_restore(ok);
        assert_int_equal(J.added, 6);           /* told nothing */
        assert_int_equal(J.removed, 2);
        j_snapshot();
        assert_int_equal(J.n, 4);
        assert_int_equal(events_count(outst_events(H.o), 1), 2);
        assert_int_equal(events_count(outst_events(H.o), 2), 2);
        /* restored events are there at once: IIN1.1, IIN1.2 with the restart bit */
        SEND(0xc0, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00);
        EXPECT(0xc0, 0x81, 0x06, 0x00);
        SEND(0xc2, 0x01, 0x3c, 0x02, 0x06, 0x3c, 0x03, 0x06, 0x3c, 0x04, 0x06);
        EXPECT(0xe2, 0x81, 0x00, 0x00,
               0x02, 0x02, 0x28, 0x01, 0x00,                    /* g2v2 BI 3 off */
               0x03, 0x00, 0x01, 0x02, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x20, 0x03, 0x28, 0x01, 0x00,                    /* g32v3 AI 2 -7 */
               0x02, 0x00, 0x21, 0xf9, 0xff, 0xff, 0xff, 0x03, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x02, 0x02, 0x28, 0x01, 0x00,                    /* g2v2 BI 5 on */
               0x05, 0x00, 0x81, 0x04, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x20, 0x03, 0x28, 0x01, 0x00,                    /* g32v3 AI 2 70000 */
               0x02, 0x00, 0x01, 0x70, 0x11, 0x01, 0x00, 0x05, 0x05, 0x04, 0x03, 0x02, 0x01);
        assert_int_equal(H.rsp_len[H.next - 1], before_len);
        assert_memory_equal(H.rsp[H.next - 1], before, before_len);
        /* confirmed now: out of the buffers and the journal */
        SEND(0xc2, 0x00);
        assert_int_equal(events_count(outst_events(H.o), 1) + events_count(outst_events(H.o), 2),
                         0);
        assert_int_equal(J.removed, 6);
        expect_none();
}

/*
 * Issue 11: the configuration changed between the crash and the restart.
 * An event of a point the outstation no longer has (BI 6 after the map
 * shrank to BI 0..3, AI 9 beyond the database) is not restored and the
 * caller is told (-ENOENT, it counts them); a record that cannot be an
 * event (bad type, class or variation) is refused (-EINVAL); the rest come
 * back in order and the master gets exactly them.
 */
static void test_restore_unmapped_dropped(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        h_init(&c);
        journal_points(4);
        const struct outst_saved_event bi = { .time = 0x010203040500, .index = 2, .value = 1,
                                              .type = DNP_TYPE_BI, .var = 2, .flags = 0x81,
                                              .cls = 1 };
        struct outst_saved_event s = bi;
        s.index = 6;
        assert_int_equal(outst_restore_event(H.o, &s), -ENOENT);
        s = bi;
        s.type = DNP_TYPE_AI;
        s.var = 3;
        s.index = 9;
        assert_int_equal(outst_restore_event(H.o, &s), -ENOENT);
        s = bi;
        s.cls = 4;
        assert_int_equal(outst_restore_event(H.o, &s), -EINVAL);
        s = bi;
        s.cls = 0;
        assert_int_equal(outst_restore_event(H.o, &s), -EINVAL);
        s = bi;
        s.var = 9;
        assert_int_equal(outst_restore_event(H.o, &s), -EINVAL);
        s = bi;
        s.type = DNP_TYPE_MAX;
        assert_int_equal(outst_restore_event(H.o, &s), -EINVAL);
        assert_int_equal(outst_restore_event(H.o, &bi), 0);
        s = bi;
        s.index = 3;
        s.time += 1;
        assert_int_equal(outst_restore_event(H.o, &s), 0);
        assert_int_equal(events_count(outst_events(H.o), 1), 2);
        SEND(0xc0, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00);
        EXPECT(0xc0, 0x81, 0x02, 0x00);
        SEND(0xc1, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xe1, 0x81, 0x00, 0x00, 0x02, 0x02, 0x28, 0x02, 0x00,
               0x02, 0x00, 0x81, 0x00, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x03, 0x00, 0x81, 0x01, 0x05, 0x04, 0x03, 0x02, 0x01);
        expect_none();
}

/*
 * Issue 11: the class 1 depth shrank from 100 to 3 across the restart.  The
 * restore keeps the newest 3 of the 5 journaled events, and the master sees
 * the overflow as after any overflow: IIN2.3 on the response (IEEE
 * 1815-2012 5.3.4.3.4), the same bytes test_event_overflow_iin23 gets when
 * the 5 overflow a depth of 3 live.  The discards go to no journal hook.
 */
static void test_restore_smaller_depth_keeps_newest(void **state)
{
        (void)state;
        struct outst_cfg c = base_cfg();
        c.event_depth[1] = 3;
        h_init(&c);
        journal_points(8);
        memset(&J, 0, sizeof(J));
        outst_set_events_journal(H.o, &jhook);
        const int want[5] = { 0, 0, 0, 1, 1 };
        for (uint32_t i = 0; i < 5; i++) {
                const struct outst_saved_event s = {
                        .time = 0x010203040500 + i, .index = (uint16_t)i, .value = 1,
                        .type = DNP_TYPE_BI, .var = 2, .flags = 0x81, .cls = 1,
                };
                assert_int_equal(outst_restore_event(H.o, &s), want[i]);
        }
        assert_int_equal(J.added + J.removed, 0);
        j_snapshot();
        assert_int_equal(J.n, 3);
        assert_int_equal(events_count(outst_events(H.o), 1), 3);
        assert_int_equal(events_stats(outst_events(H.o))->discarded[1], 2);
        assert_true(outst_iin(H.o) & APP_IIN_EVENT_BUFFER_OVERFLOW);
        SEND(0xc0, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00);
        EXPECT(0xc0, 0x81, 0x02, 0x08);
        SEND(0xc2, 0x01, 0x3c, 0x02, 0x06);     /* the 3 newest, oldest first, IIN2.3 */
        EXPECT(0xe2, 0x81, 0x00, 0x08, 0x02, 0x02, 0x28, 0x03, 0x00,
               0x02, 0x00, 0x81, 0x02, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x03, 0x00, 0x81, 0x03, 0x05, 0x04, 0x03, 0x02, 0x01,
               0x04, 0x00, 0x81, 0x04, 0x05, 0x04, 0x03, 0x02, 0x01);
        SEND(0xc2, 0x00);
        assert_int_equal(J.removed, 3);         /* a confirm of restored events is told */
        SEND(0xc3, 0x01, 0x3c, 0x02, 0x06);
        EXPECT(0xc3, 0x81, 0x00, 0x00);         /* IIN2.3 cleared after the confirm */
        expect_none();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_restart_iin_and_clear, teardown),
                cmocka_unit_test_teardown(test_impl_table_answers, teardown),
                cmocka_unit_test_teardown(test_impl_table_as_configured, teardown),
                cmocka_unit_test_teardown(test_integrity_three_fragments, teardown),
                cmocka_unit_test_teardown(test_event_overflow_iin23, teardown),
                cmocka_unit_test_teardown(test_events_kept_on_drop, teardown),
                cmocka_unit_test_teardown(test_select_operate, teardown),
                cmocka_unit_test_teardown(test_select_end, teardown),
                cmocka_unit_test_teardown(test_deferred_direct_operate, teardown),
                cmocka_unit_test_teardown(test_duplicate_resend, teardown),
                cmocka_unit_test_teardown(test_errors_iin2, teardown),
                cmocka_unit_test_teardown(test_read_specific, teardown),
                cmocka_unit_test_teardown(test_time_delay_restart, teardown),
                cmocka_unit_test_teardown(test_freeze_deferred, teardown),
                cmocka_unit_test_teardown(test_freeze_nr_no_response, teardown),
                cmocka_unit_test_teardown(test_freeze_at_time_and_refusals, teardown),
                cmocka_unit_test_teardown(test_freeze_count_qualifier, teardown),
                cmocka_unit_test_teardown(test_freeze_unsupported, teardown),
                cmocka_unit_test_teardown(test_unsolicited, teardown),
                cmocka_unit_test_teardown(test_integrity_holes, teardown),
                cmocka_unit_test_teardown(test_read_all_holes_boundary, teardown),
                cmocka_unit_test_teardown(test_read_absent_iin22, teardown),
                cmocka_unit_test_teardown(test_update_and_control_absent, teardown),
                cmocka_unit_test_teardown(test_broadcast_control, teardown),
                cmocka_unit_test_teardown(test_broadcast_select_selects_nothing, teardown),
                cmocka_unit_test_teardown(test_unsol_not_configured, teardown),
                cmocka_unit_test_teardown(test_read_g2v3_one_cto, teardown),
                cmocka_unit_test_teardown(test_read_relative_cto_breaks, teardown),
                cmocka_unit_test_teardown(test_read_g2v3_multi_fragment, teardown),
                cmocka_unit_test_teardown(test_read_g2v3_unsynchronized_g51v2, teardown),
                cmocka_unit_test_teardown(test_class1_event_variation_3, teardown),
                cmocka_unit_test_teardown(test_unsolicited_event_variation_3, teardown),
                cmocka_unit_test_teardown(test_read_g2v3_count_limit, teardown),
                cmocka_unit_test_teardown(test_link_confirmed_data_needs_reset, teardown),
                cmocka_unit_test_teardown(test_link_misfit_and_undefined_frames_unanswered,
                                          teardown),

                cmocka_unit_test_teardown(test_control_missing_point_not_supported_iin22, teardown),
                cmocka_unit_test_teardown(test_control_non_control_object_iin21, teardown),
                cmocka_unit_test(test_sel_end_names),
                cmocka_unit_test_teardown(test_operate_after_select_timeout_is_timeout, teardown),
                cmocka_unit_test_teardown(test_broadcast_fffe_con_until_confirmed, teardown),
                cmocka_unit_test_teardown(test_broadcast_fffd_ffff_iin10_once, teardown),
                cmocka_unit_test_teardown(test_read_event_count_per_header, teardown),
                cmocka_unit_test_teardown(test_read_g80v1_iin_bits, teardown),
                cmocka_unit_test_teardown(test_freeze_deferred, teardown),
                cmocka_unit_test_teardown(test_freeze_nr_no_response, teardown),
                cmocka_unit_test_teardown(test_freeze_at_time_and_refusals, teardown),
                cmocka_unit_test_teardown(test_freeze_count_qualifier, teardown),
                cmocka_unit_test_teardown(test_freeze_unsupported, teardown),
                cmocka_unit_test_teardown(test_overflow_evicts_the_biggest_source, teardown),
                cmocka_unit_test_teardown(test_restore_original_order_value_flags_time, teardown),
                cmocka_unit_test_teardown(test_restore_unmapped_dropped, teardown),
                cmocka_unit_test_teardown(test_restore_smaller_depth_keeps_newest, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
