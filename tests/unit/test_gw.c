/* SPDX-License-Identifier: MIT */
/*
 * The gateway core between REAL sessions: upstream outstation sessions
 * (outst, driven by a scripted master link session as in test_outst.c) and
 * downstream master channels with scripted fake IEDs (master_sim.h).  Two
 * channels are simulated by swapping the harness state (chan_b()).
 * Control bytes are hand-assembled from IEEE 1815-2012 (g12v1: code,
 * count, on u32, off u32, status; g41v2: i16, status; qualifier 0x28).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "master_sim.h"
#pragma GCC diagnostic pop

#include "dnp3/app.h"
#include "gateway/gw.h"
#include "outstation/outst.h"

#define NDEV 5
#define NOUT 2
#define MAXRSP 8
#define MAXAUDIT 128

/* dev0, dev1: channel A (10, 11); dev2, dev3: channel B (20, 21 silent); dev4: never attached. */
static const struct gw_map_entry MAP[] = {
        { .type = DNP_TYPE_BI, .index = 0, .count = 10, .dev = 0, .source_index = 100 },
        { .type = DNP_TYPE_BI, .index = 20, .count = 5, .dev = 0, .source_index = 105 },
        { .type = DNP_TYPE_BI, .index = 25, .count = 3, .dev = 1, .source_index = 100 },
        { .type = DNP_TYPE_AI, .index = 0, .count = 2, .dev = 0, .source_index = 0 },
        { .type = DNP_TYPE_AI, .index = 2, .count = 2, .dev = 1, .source_index = 0 },
        { .type = DNP_TYPE_BO, .index = 3, .count = 2, .dev = 0, .source_index = 7 },
        { .type = DNP_TYPE_BO, .index = 6, .count = 1, .dev = 3, .source_index = 0 },
        { .type = DNP_TYPE_BO, .index = 7, .count = 1, .dev = 4, .source_index = 0 },
        { .type = DNP_TYPE_BO, .index = 8, .count = 1, .dev = 1, .source_index = 2 },
        { .type = DNP_TYPE_AO, .index = 1, .count = 1, .dev = 2, .source_index = 5 },
        { .type = DNP_TYPE_AO, .index = 10, .count = 40, .dev = 0, .source_index = 0 },
};
#define NMAP (sizeof(MAP) / sizeof(MAP[0]))
#define DEV0_POINTS (10 + 5 + 2 + 2 + 40)

#define WALL INT64_C(1700000000000)

struct up {
        struct outst *o;
        struct lsess m;
        uint8_t mrx[8192];
        struct link_scanner sc;
        uint8_t rsp[MAXRSP][2048];
        size_t rsp_len[MAXRSP];
        size_t nrsp, next;
        unsigned commands;
        unsigned sel_ends;
        enum outst_sel_end sel_why;
};

static struct up U[NOUT];
static struct gw *G;
static struct sim B;            /* the channel not in S (swapped by chan_b) */
static struct master_dev *DEV[NDEV];
static struct gw_audit AUD[MAXAUDIT];
static size_t NAUD;
static struct {
        uint32_t dev;
        size_t n;
} LOST[8];
static size_t NLOST;
static struct gw_freeze_audit FAUD[16];
static struct master_freeze FAUD_F[16];
static size_t NFAUD;
static uint64_t HOLD_MS, CLASS1_MS;     /* channel A's devices, for the next setup() */

/* ---- harness ----------------------------------------------------------- */

static void on_audit(void *ctx, const struct gw_audit *a)
{
        (void)ctx;
        if (NAUD < MAXAUDIT)
                AUD[NAUD] = *a;
        NAUD++;
}

static void on_freeze_audit(void *ctx, const struct gw_freeze_audit *a)
{
        (void)ctx;
        if (NFAUD < 16) {
                FAUD[NFAUD] = *a;
                if (a->f) {
                        FAUD_F[NFAUD] = *a->f;
                        FAUD[NFAUD].f = &FAUD_F[NFAUD];
                }
        }
        NFAUD++;
}

static void on_comm_lost(void *ctx, uint32_t dev, size_t npoints)
{
        (void)ctx;
        if (NLOST < 8) {
                LOST[NLOST].dev = dev;
                LOST[NLOST].n = npoints;
        }
        NLOST++;
}

static void on_command(void *ctx, uint32_t token, uint8_t func, const struct outst_cmd *cmds,
                       size_t n)
{
        struct up *u = ctx;
        u->commands++;
        gw_on_command(G, (size_t)(u - U), token, func, cmds, n, S.now);
}

static void on_freeze(void *ctx, uint32_t token, const struct outst_freeze *f)
{
        struct up *u = ctx;
        gw_on_freeze(G, (size_t)(u - U), token, f, S.now);
}

static void on_select_end(void *ctx, enum outst_sel_end why)
{
        struct up *u = ctx;
        u->sel_ends++;
        u->sel_why = why;
        gw_on_select_end(G, (size_t)(u - U), S.now);
}

static const struct outst_callbacks up_cbs = {
        .on_command = on_command,
        .on_freeze = on_freeze,
        .on_select_end = on_select_end,
};

/* Swap channel B's harness state into S (and back). */
static void chan_b(void)
{
        static struct sim tmp;
        tmp = S;
        S = B;
        B = tmp;
}

static void up_drain(struct up *u)
{
        const uint8_t *p;
        size_t n;
        while ((n = outst_output(u->o, &p)) > 0) {
                uint8_t copy[8192];
                assert_true(n <= sizeof(copy));
                memcpy(copy, p, n);
                outst_consumed(u->o, n, S.now);
                size_t off = 0;
                while (off < n) {
                        off += link_scanner_feed(&u->sc, copy + off, n - off);
                        struct link_frame f;
                        while (link_scanner_next(&u->sc, &f) > 0) {
                                assert_int_equal(lsess_check_frame(&u->m, &f), LSESS_MATCH_OK);
                                const uint8_t *a;
                                size_t alen;
                                uint8_t junk[64];
                                struct wr w;
                                wr_init(&w, junk, sizeof(junk));
                                if (lsess_on_frame(&u->m, &f, S.now, &w, &a, &alen) == 1) {
                                        assert_true(u->nrsp < MAXRSP);
                                        memcpy(u->rsp[u->nrsp], a, alen);
                                        u->rsp_len[u->nrsp++] = alen;
                                }
                        }
                }
        }
}

static void up_send(struct up *u, const uint8_t *apdu, size_t n)
{
        uint8_t buf[8192];
        struct wr w;
        wr_init(&w, buf, sizeof(buf));
        assert_int_equal(lsess_send(&u->m, apdu, n, S.now, &w), 0);
        outst_rx(u->o, buf, w.len, S.now);
        up_drain(u);
}

static void up_expect(struct up *u, const uint8_t *p, size_t n)
{
        up_drain(u);
        assert_true(u->next < u->nrsp);
        assert_int_equal(u->rsp_len[u->next], n);
        assert_memory_equal(u->rsp[u->next], p, n);
        u->next++;
}

#define UP_SEND(u, ...) do { static const uint8_t r_[] = { __VA_ARGS__ }; up_send(u, r_, sizeof(r_)); } while (0)
#define UP_EXPECT(u, ...) do { static const uint8_t e_[] = { __VA_ARGS__ }; up_expect(u, e_, sizeof(e_)); } while (0)

static void up_none(struct up *u)
{
        up_drain(u);
        assert_int_equal(u->next, u->nrsp);
}

/* Counters and frozen counters upstream: exactly the map's (none in MAP). */
static void up_init(size_t i, const struct gw_map_entry *map, size_t nmap)
{
        struct up *u = &U[i];
        struct outst_cfg c = {
                .address = 10,
                .master_address = 1,
                .max_fragment = 2048,
                .max_rx_fragment = 2048,
                .link_timeout_ms = 1000,
                .confirm_timeout_ms = 5000,
                .select_timeout_ms = 10000,
                .cmd_timeout_ms = 60000,
                .event_depth = { 0, 100, 100, 100 },
                .event_sources = NDEV,
                .points = {
                        [DNP_TYPE_BI] = 30, [DNP_TYPE_BO] = 10, [DNP_TYPE_AI] = 4,
                        [DNP_TYPE_AO] = 50,
                },
        };
        for (size_t k = 0; k < nmap; k++)
                if ((map[k].type == DNP_TYPE_CNT || map[k].type == DNP_TYPE_FCNT) &&
                    map[k].index + map[k].count > c.points[map[k].type])
                        c.points[map[k].type] = map[k].index + map[k].count;
        int err = 0;
        memset(u, 0, sizeof(*u));
        u->o = outst_new(&c, &up_cbs, u, S.now, &err);
        assert_non_null(u->o);
        struct db *db = outst_db(u->o);
        for (size_t k = 0; k < nmap; k++) {
                const struct db_point_cfg cc = { .static_var = map[k].type == DNP_TYPE_CNT ? 1 : 5,
                                                 .event_var = 5, .event_class = 3 };
                if (map[k].type == DNP_TYPE_CNT || map[k].type == DNP_TYPE_FCNT)
                        assert_int_equal(db_configure(db, map[k].type, map[k].index,
                                                      map[k].count, &cc), 0);
        }
        struct db_point_cfg pc = { .static_var = 2, .event_var = 2, .event_class = 1 };
        assert_int_equal(db_configure(db, DNP_TYPE_BI, 0, 30, &pc), 0);
        pc = (struct db_point_cfg){ .static_var = 2, .event_var = 2, .event_class = 3 };
        assert_int_equal(db_configure(db, DNP_TYPE_BO, 0, 10, &pc), 0);
        pc = (struct db_point_cfg){ .static_var = 5, .event_var = 7, .event_class = 2,
                                    .deadband = 1.0 };
        assert_int_equal(db_configure(db, DNP_TYPE_AI, 0, 4, &pc), 0);
        pc = (struct db_point_cfg){ .static_var = 3, .event_var = 7, .event_class = 3 };
        assert_int_equal(db_configure(db, DNP_TYPE_AO, 0, 50, &pc), 0);
        struct lsess_cfg mc = { .master = true, .local = 1, .remote = 10 };
        lsess_init(&u->m, &mc, u->mrx, sizeof(u->mrx), S.now);
        link_scanner_init(&u->sc);
        outst_up(u->o, S.now);
        up_drain(u);
        /* clear IIN1.7 so the responses below carry IIN 00 00 */
        UP_SEND(u, 0xc0, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00);
        UP_EXPECT(u, 0xc0, 0x81, 0x00, 0x00);
}

/* Everything: channel B (dev2, dev3 silent) then A (dev0, dev1), outstations, the gateway. */
static int setup_map(const struct gw_map_entry *map, size_t nmap)
{
        struct master_dev_cfg cb[2] = { sim_dev_cfg(20), sim_dev_cfg(21) };
        cb[0].max_controls = 16;
        sim_setup(cb, 2, 1);
        S.dev[1].silent = true;
        sim_open();
        DEV[2] = S.md[0];
        DEV[3] = S.md[1];
        chan_b();
        struct master_dev_cfg ca[2] = { sim_dev_cfg(10), sim_dev_cfg(11) };
        ca[0].max_controls = 16;
        ca[1].max_controls = 1;
        for (int i = 0; i < 2; i++) {
                ca[i].select_hold_ms = HOLD_MS;
                ca[i].class_ms[0] = CLASS1_MS;
        }
        sim_setup(ca, 2, 1);
        sim_open();
        DEV[0] = S.md[0];
        DEV[1] = S.md[1];
        assert_int_equal(master_dev_get_state(DEV[0]), MASTER_DEV_ONLINE);
        assert_int_equal(master_dev_get_state(DEV[1]), MASTER_DEV_ONLINE);
        assert_int_equal(master_dev_get_state(DEV[2]), MASTER_DEV_ONLINE);

        const struct gw_callbacks cbs = { .on_audit = on_audit,
                                          .on_freeze_audit = on_freeze_audit,
                                          .on_comm_lost = on_comm_lost };
        assert_int_equal(gw_new(map, nmap, NDEV, NOUT, &cbs, &G), 0);
        gw_set_wall_offset(G, WALL);
        for (size_t i = 0; i < NOUT; i++) {
                up_init(i, map, nmap);
                gw_set_outstation(G, i, U[i].o);
        }
        for (uint32_t d = 0; d < 4; d++)
                gw_set_device(G, d, DEV[d]);
        NAUD = 0;
        NLOST = 0;
        NFAUD = 0;
        return 0;
}

static int setup(void **state)
{
        (void)state;
        return setup_map(MAP, NMAP);
}

static int teardown(void **state)
{
        (void)state;
        gw_free(G);
        G = NULL;
        for (size_t i = 0; i < NOUT; i++) {
                outst_free(U[i].o);
                U[i].o = NULL;
        }
        sim_teardown();
        chan_b();
        sim_teardown();
        return 0;
}

/* Run both channels to `end` (A first). */
static void run_a(uint64_t end)
{
        sim_run_until(end);
}

static void run_b(uint64_t end)
{
        chan_b();
        sim_run_until(end);
        chan_b();
}

/* The events of class mask `mask` queued in outstation i, in order. */
static size_t up_events(size_t i, unsigned mask, struct ev *out, unsigned *cls, size_t max)
{
        struct events *ev = outst_events(U[i].o);
        struct events_iter it;
        events_iter_init(ev, &it, mask);
        size_t n = 0;
        struct ev *e;
        unsigned c;
        while ((e = events_iter_next(ev, &it, &c)) != NULL) {
                if (n < max) {
                        out[n] = *e;
                        cls[n] = c;
                }
                n++;
        }
        return n;
}

static size_t up_nevents(size_t i)
{
        struct ev e[1];
        unsigned c[1];
        return up_events(i, 0xe, e, c, 0);
}

static struct dnp_value up_get(size_t i, enum dnp_type t, uint32_t index)
{
        struct dnp_value v;
        assert_int_equal(db_get(outst_db(U[i].o), t, index, &v), 0);
        return v;
}

/* ---- point map --------------------------------------------------------- */

static void test_map_lookups(void **state)
{
        (void)state;
        uint32_t dev, down;
        assert_int_equal(gw_map_up(G, DNP_TYPE_BI, 0, &dev, &down), 0);
        assert_int_equal(dev, 0);
        assert_int_equal(down, 100);
        assert_int_equal(gw_map_up(G, DNP_TYPE_BI, 9, &dev, &down), 0);
        assert_int_equal(down, 109);
        dev = down = 77;
        assert_int_equal(gw_map_up(G, DNP_TYPE_BI, 10, &dev, &down), -ENOENT);
        assert_int_equal(dev, 77);      /* untouched on failure */
        assert_int_equal(down, 77);
        assert_int_equal(gw_map_up(G, DNP_TYPE_BI, 19, &dev, &down), -ENOENT);
        assert_int_equal(gw_map_up(G, DNP_TYPE_BI, 20, &dev, &down), 0);
        assert_int_equal(down, 105);
        assert_int_equal(gw_map_up(G, DNP_TYPE_BI, 27, &dev, &down), 0);
        assert_int_equal(dev, 1);
        assert_int_equal(down, 102);
        assert_int_equal(gw_map_up(G, DNP_TYPE_BI, 28, &dev, &down), -ENOENT);
        assert_int_equal(gw_map_up(G, DNP_TYPE_BI, UINT32_MAX, &dev, &down), -ENOENT);
        assert_int_equal(gw_map_up(G, DNP_TYPE_DBI, 0, &dev, &down), -ENOENT);
        assert_int_equal(gw_map_up(G, DNP_TYPE_CROB, 0, &dev, &down), -ENOENT);
        assert_int_equal(gw_map_up(G, DNP_TYPE_BO, 5, &dev, &down), -ENOENT);      /* hole */
        assert_int_equal(gw_map_up(G, DNP_TYPE_BO, 8, &dev, &down), 0);
        assert_int_equal(dev, 1);
        assert_int_equal(down, 2);

        uint32_t up[4] = { 0 };
        /* fan-out: downstream 105..109 of dev0 at upstream 5..9 and 20..24, ascending */
        assert_int_equal(gw_map_down(G, 0, DNP_TYPE_BI, 105, up, 4), 2);
        assert_int_equal(up[0], 5);
        assert_int_equal(up[1], 20);
        assert_int_equal(gw_map_down(G, 0, DNP_TYPE_BI, 109, up, 4), 2);
        assert_int_equal(up[0], 9);
        assert_int_equal(up[1], 24);
        up[1] = 99;
        assert_int_equal(gw_map_down(G, 0, DNP_TYPE_BI, 106, up, 1), 2);  /* max 1 written */
        assert_int_equal(up[0], 6);
        assert_int_equal(up[1], 99);
        assert_int_equal(gw_map_down(G, 0, DNP_TYPE_BI, 104, up, 4), 1);
        assert_int_equal(up[0], 4);
        assert_int_equal(gw_map_down(G, 0, DNP_TYPE_BI, 99, up, 4), 0);
        assert_int_equal(gw_map_down(G, 0, DNP_TYPE_BI, 110, up, 4), 0);
        /* the same downstream index on another device is another point */
        assert_int_equal(gw_map_down(G, 1, DNP_TYPE_BI, 100, up, 4), 1);
        assert_int_equal(up[0], 25);
        assert_int_equal(gw_map_down(G, 1, DNP_TYPE_BI, 103, up, 4), 0);
        assert_int_equal(gw_map_down(G, 2, DNP_TYPE_BI, 100, up, 4), 0);
        assert_int_equal(gw_map_down(G, NDEV, DNP_TYPE_BI, 100, up, 4), 0);
        assert_int_equal(gw_map_down(G, 0, DNP_TYPE_AI, 1, up, 4), 1);
        assert_int_equal(up[0], 1);
        assert_int_equal(gw_map_down(G, 2, DNP_TYPE_AO, 5, up, 4), 1);
        assert_int_equal(up[0], 1);

        assert_int_equal(gw_dev_points(G, 0), DEV0_POINTS);
        assert_int_equal(gw_dev_points(G, 1), 3 + 2 + 1);
        assert_int_equal(gw_dev_points(G, 2), 1);
        assert_int_equal(gw_dev_points(G, 4), 1);
        assert_int_equal(gw_dev_points(G, NDEV), 0);

        /* tables: up BI 0..27, AI 0..3, BO 3..8, AO 1..49 (8 bytes a slot); down per
         * device/type from the lowest to the highest mapped index (4 bytes a slot) */
        struct gw *e;
        assert_int_equal(gw_new(NULL, 0, NDEV, 0, NULL, &e), 0);
        size_t up_slots = 28 + 4 + 6 + 49;
        size_t down_slots = 10 + 2 + 2 + 40 + 3 + 2 + 1 + 1 + 1 + 1;
        assert_int_equal(gw_memory(G) - gw_memory(e), up_slots * 8 + down_slots * 4);
        gw_free(e);
}

static void test_map_validation(void **state)
{
        (void)state;
        struct gw *g = NULL;
        /* range edges: the last index 65535 both ways */
        struct gw_map_entry m = { .type = DNP_TYPE_CNT, .index = 65530, .count = 6, .dev = 1,
                                  .source_index = 65530 };
        assert_int_equal(gw_new(&m, 1, 2, 1, NULL, &g), 0);
        uint32_t dev, down, up[2];
        assert_int_equal(gw_map_up(g, DNP_TYPE_CNT, 65535, &dev, &down), 0);
        assert_int_equal(dev, 1);
        assert_int_equal(down, 65535);
        assert_int_equal(gw_map_up(g, DNP_TYPE_CNT, 65529, &dev, &down), -ENOENT);
        assert_int_equal(gw_map_up(g, DNP_TYPE_CNT, 65536, &dev, &down), -ENOENT);
        assert_int_equal(gw_map_down(g, 1, DNP_TYPE_CNT, 65535, up, 2), 1);
        assert_int_equal(up[0], 65535);
        assert_int_equal(gw_map_down(g, 1, DNP_TYPE_CNT, 65536, up, 2), 0);
        assert_int_equal(gw_map_down(g, 0, DNP_TYPE_CNT, 65535, up, 2), 0);
        gw_free(g);

        g = NULL;
        m.index = 65531;                /* 65531 + 6 > 65536 */
        assert_int_equal(gw_new(&m, 1, 2, 1, NULL, &g), -EINVAL);
        m.index = 0;
        m.source_index = 65531;
        assert_int_equal(gw_new(&m, 1, 2, 1, NULL, &g), -EINVAL);
        m.source_index = 0;
        m.count = 0;
        assert_int_equal(gw_new(&m, 1, 2, 1, NULL, &g), -EINVAL);
        m.count = 1;
        m.dev = 2;
        assert_int_equal(gw_new(&m, 1, 2, 1, NULL, &g), -EINVAL);
        m.dev = 0;
        m.type = DNP_TYPE_CROB;
        assert_int_equal(gw_new(&m, 1, 2, 1, NULL, &g), -EINVAL);
        m.type = DNP_TYPE_NONE;
        assert_int_equal(gw_new(&m, 1, 2, 1, NULL, &g), -EINVAL);
        assert_null(g);

        /* two ranges of one type overlapping upstream (by one index) */
        struct gw_map_entry two[2] = {
                { .type = DNP_TYPE_AI, .index = 0, .count = 10, .dev = 0, .source_index = 0 },
                { .type = DNP_TYPE_AI, .index = 9, .count = 2, .dev = 1, .source_index = 50 },
        };
        assert_int_equal(gw_new(two, 2, 2, 1, NULL, &g), -EINVAL);
        /* adjacent: fine; the same upstream indexes for another type: fine */
        two[1].index = 10;
        assert_int_equal(gw_new(two, 2, 2, 1, NULL, &g), 0);
        gw_free(g);
        two[1].index = 0;
        two[1].type = DNP_TYPE_AO;
        assert_int_equal(gw_new(two, 2, 2, 1, NULL, &g), 0);
        gw_free(g);
        gw_free(NULL);
}

/* ---- event replay ------------------------------------------------------ */

static struct master_meas meas(enum dnp_type t, uint32_t down, bool event, bool devtime,
                               uint8_t flags, double value, uint64_t time)
{
        struct master_meas m = {
                .type = t, .event = event, .device_time = devtime,
                .v = { .index = down, .flags = flags, .time_kind = DNP_TIME_ABS, .time = time },
        };
        dnp_value_set(t, value, &m.v);
        return m;
}

static void test_event_replay(void **state)
{
        (void)state;
        struct ev e[8];
        unsigned c[8];
        /* a BI event with device time at downstream 105: upstream 5 and 20, both outstations */
        struct master_meas m = meas(DNP_TYPE_BI, 105, true, true,
                                    DNP_FLAG_ONLINE | DNP_FLAG_STATE, 1, 1700000001234);
        gw_on_meas(G, 0, &m, S.now);
        for (size_t i = 0; i < NOUT; i++) {
                assert_int_equal(up_events(i, 0xe, e, c, 8), 2);
                for (size_t k = 0; k < 2; k++) {
                        assert_int_equal(e[k].index, k == 0 ? 5 : 20);
                        assert_int_equal(c[k], 1);
                        assert_int_equal(e[k].type, DNP_TYPE_BI);
                        assert_int_equal(e[k].flags, DNP_FLAG_ONLINE | DNP_FLAG_STATE);
                        assert_true(e[k].value == 1.0);
                        assert_int_equal(e[k].time, 1700000001234);
                }
                struct dnp_value v = up_get(i, DNP_TYPE_BI, 20);
                assert_true(v.v.bit);
                assert_int_equal(v.flags, DNP_FLAG_ONLINE | DNP_FLAG_STATE);
                assert_int_equal(v.time, 1700000001234);
        }
        /* the same event again is replayed again (no detection on events) */
        gw_on_meas(G, 0, &m, S.now);
        assert_int_equal(up_nevents(0), 4);
        assert_int_equal(up_nevents(1), 4);
        /* an event without device time: the master stamped it; the time is kept */
        m = meas(DNP_TYPE_AI, 1, true, false, DNP_FLAG_ONLINE | DNP_FLAG_OVER_RANGE, -12.5,
                 1700000005000);
        gw_on_meas(G, 0, &m, S.now);
        for (size_t i = 0; i < NOUT; i++) {
                assert_int_equal(up_events(i, 0x4, e, c, 8), 1);
                assert_int_equal(c[0], 2);
                assert_int_equal(e[0].index, 1);
                assert_int_equal(e[0].type, DNP_TYPE_AI);
                assert_int_equal(e[0].flags, DNP_FLAG_ONLINE | DNP_FLAG_OVER_RANGE);
                assert_true(e[0].value == -12.5);
                assert_int_equal(e[0].time, 1700000005000);
        }
        /* dev1's AI 0 is upstream AI 2 */
        m = meas(DNP_TYPE_AI, 0, true, true, DNP_FLAG_ONLINE, 7, 1700000006000);
        gw_on_meas(G, 1, &m, S.now);
        assert_int_equal(up_events(0, 0x4, e, c, 8), 2);
        assert_int_equal(e[1].index, 2);
        assert_true(e[1].value == 7.0);
        /* unmapped: downstream 110 of dev0, a DBI, an unknown device */
        m = meas(DNP_TYPE_BI, 110, true, true, DNP_FLAG_ONLINE, 1, 1);
        gw_on_meas(G, 0, &m, S.now);
        m = meas(DNP_TYPE_DBI, 0, false, false, DNP_FLAG_ONLINE, 1, 1);
        gw_on_meas(G, 0, &m, S.now);
        m = meas(DNP_TYPE_BI, 100, false, false, DNP_FLAG_ONLINE, 1, 1);
        gw_on_meas(G, NDEV, &m, S.now);
        assert_int_equal(up_nevents(0), 6);
        assert_int_equal(up_nevents(1), 6);

        const struct gw_stats *st = gw_get_stats(G);
        assert_int_equal(st->events_replayed, 2 * 4 + 2 * 1 + 2 * 1);
        assert_int_equal(st->events_reception_time, 2);
        assert_int_equal(st->unmapped_values, 3);
        assert_int_equal(st->static_updates, 0);
}

/* Static values through the real master: the sim's integrity poll answers AI 0 = 100 + reads, AI 1 = 200. */
static void forward_meas(size_t from)
{
        for (size_t k = from; k < S.nmeas; k++) {
                uint32_t dev = S.meas[k].dev == DEV[0] ? 0 : S.meas[k].dev == DEV[1] ? 1 : 99;
                gw_on_meas(G, dev, &S.meas[k], S.now);
        }
}

static void test_static_change_deadband(void **state)
{
        (void)state;
        struct ev e[8];
        unsigned c[8];
        /* the startup integrity polls (t = 0): dev0 AI0 = 101, AI1 = 200; dev1 the same */
        assert_int_equal(S.nmeas, 4);
        forward_meas(0);
        /* first values populate the points without events (nothing changed that
         * SCADA had seen: a gateway start must not flood its event log) */
        for (size_t i = 0; i < NOUT; i++) {
                assert_int_equal(up_events(i, 0x4, e, c, 8), 0);
                static const double val[4] = { 101, 200, 101, 200 };
                for (uint32_t k = 0; k < 4; k++) {
                        struct dnp_value v = up_get(i, DNP_TYPE_AI, k);
                        assert_true(v.v.analog == val[k]);
                        assert_int_equal(v.flags, DNP_FLAG_ONLINE);
                        assert_int_equal(v.time, (uint64_t)SIM_WALL);   /* reception, t 0 */
                }
        }
        /* next integrity poll at t = 5000: AI0 = 102, within the deadband (1.0): no event */
        run_a(5000);
        size_t base = S.nmeas;
        master_dev_demand(DEV[0], MASTER_TASK_INTEGRITY, S.now);
        run_a(5000);
        assert_int_equal(S.nmeas - base, 2);
        assert_true(S.meas[base].v.v.analog == 102);
        assert_int_equal(S.meas[base].v.time, (uint64_t)SIM_WALL + 5000);
        forward_meas(base);
        assert_int_equal(up_nevents(0), 0);
        assert_int_equal(up_nevents(1), 0);
        struct dnp_value v = up_get(0, DNP_TYPE_AI, 0);
        assert_true(v.v.analog == 102);        /* the static value follows anyway */
        assert_int_equal(v.time, (uint64_t)SIM_WALL + 5000);
        /* t = 6000: AI0 = 103, 2 from the last reported 101: event stamped at reception */
        run_a(6000);
        base = S.nmeas;
        master_dev_demand(DEV[0], MASTER_TASK_INTEGRITY, S.now);
        run_a(6000);
        forward_meas(base);
        for (size_t i = 0; i < NOUT; i++) {
                assert_int_equal(up_events(i, 0x4, e, c, 8), 1);
                assert_int_equal(e[0].index, 0);
                assert_true(e[0].value == 103);
                assert_int_equal(e[0].time, (uint64_t)SIM_WALL + 6000);
                assert_int_equal(c[0], 2);
        }
        /* a flag change alone is a change (any size) */
        struct master_meas m = meas(DNP_TYPE_AI, 1, false, false,
                                    DNP_FLAG_ONLINE | DNP_FLAG_LOCAL_FORCED, 200,
                                    (uint64_t)SIM_WALL + 7000);
        gw_on_meas(G, 0, &m, 7000);
        assert_int_equal(up_nevents(0), 2);
        /* a binary static: the first value no event, the same state no event, a new
         * state an event */
        m = meas(DNP_TYPE_BI, 101, false, false, DNP_FLAG_ONLINE, 0, (uint64_t)SIM_WALL + 7100);
        gw_on_meas(G, 0, &m, 7100);
        assert_int_equal(up_events(0, 0x2, e, c, 8), 0);
        assert_int_equal(up_get(0, DNP_TYPE_BI, 1).flags, DNP_FLAG_ONLINE);
        gw_on_meas(G, 0, &m, 7200);
        assert_int_equal(up_events(0, 0x2, e, c, 8), 0);
        m.v.v.bit = true;
        m.v.flags = DNP_FLAG_ONLINE | DNP_FLAG_STATE;
        m.v.time = (uint64_t)SIM_WALL + 7300;
        gw_on_meas(G, 0, &m, 7300);
        assert_int_equal(up_events(0, 0x2, e, c, 8), 1);
        assert_int_equal(e[0].index, 1);
        assert_int_equal(e[0].flags, DNP_FLAG_ONLINE | DNP_FLAG_STATE);
        assert_int_equal(e[0].time, (uint64_t)SIM_WALL + 7300);

        const struct gw_stats *st = gw_get_stats(G);
        /* per outstation: 4 + 2 + 2 AI statics, 3 BI statics */
        assert_int_equal(st->static_updates, 2 * (4 + 2 + 2 + 1 + 3));
        /* per outstation: AI0 103, AI1 flags, BI1 new state; the first values made none */
        assert_int_equal(st->change_events, 2 * (1 + 1 + 1));
        assert_int_equal(st->events_replayed, 0);
}

/* ---- quality ----------------------------------------------------------- */

static void test_offline_comm_lost(void **state)
{
        (void)state;
        /* known values on dev0's BI 105 (upstream 5, 20) and dev1's BI 100 (upstream 25) */
        struct master_meas m = meas(DNP_TYPE_BI, 105, false, false,
                                    DNP_FLAG_ONLINE | DNP_FLAG_STATE, 1, 1700000000500);
        gw_on_meas(G, 0, &m, 500);
        m.v.index = 100;
        gw_on_meas(G, 1, &m, 500);
        size_t before[NOUT];
        for (size_t i = 0; i < NOUT; i++)
                before[i] = up_nevents(i);

        gw_on_dev_state(G, 0, MASTER_DEV_OFFLINE, 9000);
        assert_int_equal(NLOST, 1);
        assert_int_equal(LOST[0].dev, 0);
        assert_int_equal(LOST[0].n, DEV0_POINTS);
        for (size_t i = 0; i < NOUT; i++) {
                assert_int_equal(up_nevents(i) - before[i], DEV0_POINTS);
                /* the known point keeps its value; COMM_LOST set, ONLINE cleared, time = wall */
                struct dnp_value v = up_get(i, DNP_TYPE_BI, 20);
                assert_true(v.v.bit);
                assert_int_equal(v.flags, DNP_FLAG_COMM_LOST | DNP_FLAG_STATE);
                assert_int_equal(v.time, (uint64_t)WALL + 9000);
                v = up_get(i, DNP_TYPE_BI, 5);
                assert_int_equal(v.flags, DNP_FLAG_COMM_LOST | DNP_FLAG_STATE);
                /* never updated: RESTART stays, COMM_LOST added */
                v = up_get(i, DNP_TYPE_AO, 49);
                assert_int_equal(v.flags, DNP_FLAG_RESTART | DNP_FLAG_COMM_LOST);
                v = up_get(i, DNP_TYPE_BO, 4);
                assert_int_equal(v.flags, DNP_FLAG_RESTART | DNP_FLAG_COMM_LOST);
                /* other devices' points untouched */
                v = up_get(i, DNP_TYPE_BI, 25);
                assert_int_equal(v.flags, DNP_FLAG_ONLINE | DNP_FLAG_STATE);
                assert_int_equal(up_get(i, DNP_TYPE_AI, 2).flags, DNP_FLAG_RESTART);
                assert_int_equal(up_get(i, DNP_TYPE_BO, 8).flags, DNP_FLAG_RESTART);
                assert_int_equal(up_get(i, DNP_TYPE_BI, 10).flags, DNP_FLAG_RESTART);  /* unmapped */
        }
        /* the BI 20 event: value, COMM_LOST flags, wall time, class 1 */
        struct ev e[128];
        unsigned c[128];
        size_t n = up_events(1, 0x2, e, c, 128);
        bool found = false;
        for (size_t k = 0; k < n; k++) {
                if (e[k].index == 20 && e[k].time == (uint64_t)WALL + 9000) {
                        assert_int_equal(e[k].flags, DNP_FLAG_COMM_LOST | DNP_FLAG_STATE);
                        assert_true(e[k].value == 1.0);
                        found = true;
                }
        }
        assert_true(found);
        assert_int_equal(gw_get_stats(G)->quality_events, NOUT * DEV0_POINTS);

        /* OFFLINE again: nothing new */
        gw_on_dev_state(G, 0, MASTER_DEV_OFFLINE, 9500);
        assert_int_equal(NLOST, 1);
        for (size_t i = 0; i < NOUT; i++)
                assert_int_equal(up_nevents(i) - before[i], DEV0_POINTS);
        /* ONLINE changes nothing; the refresh's values clear the flags with an event */
        gw_on_dev_state(G, 0, MASTER_DEV_ONLINE, 10000);
        assert_int_equal(up_get(0, DNP_TYPE_BI, 20).flags, DNP_FLAG_COMM_LOST | DNP_FLAG_STATE);
        m = meas(DNP_TYPE_BI, 105, false, false, DNP_FLAG_ONLINE | DNP_FLAG_STATE, 1,
                 (uint64_t)WALL + 10100);
        gw_on_meas(G, 0, &m, 10100);
        assert_int_equal(up_get(0, DNP_TYPE_BI, 20).flags, DNP_FLAG_ONLINE | DNP_FLAG_STATE);
        assert_int_equal(up_nevents(0) - before[0], DEV0_POINTS + 2);
        /* dev4 (never attached) and dev1 go offline: only their points */
        gw_on_dev_state(G, 4, MASTER_DEV_OFFLINE, 11000);
        gw_on_dev_state(G, 1, MASTER_DEV_OFFLINE, 11000);
        assert_int_equal(NLOST, 3);
        assert_int_equal(LOST[1].dev, 4);
        assert_int_equal(LOST[1].n, 1);
        assert_int_equal(LOST[2].dev, 1);
        assert_int_equal(LOST[2].n, 6);
        assert_int_equal(up_get(1, DNP_TYPE_BI, 25).flags, DNP_FLAG_COMM_LOST | DNP_FLAG_STATE);
        assert_int_equal(up_get(1, DNP_TYPE_BI, 20).flags, DNP_FLAG_ONLINE | DNP_FLAG_STATE);
        /* UNKNOWN or a device out of range: nothing */
        gw_on_dev_state(G, 2, MASTER_DEV_UNKNOWN, 12000);
        gw_on_dev_state(G, NDEV, MASTER_DEV_OFFLINE, 12000);
        assert_int_equal(NLOST, 3);
}

/* ---- controls ---------------------------------------------------------- */

#define CROB_100 0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
#define CROB_100S " 03 01 64 00 00 00 00 00 00 00 00"

/* The last request channel S's fake device addr received. */
static const struct sim_req *last_req(uint16_t addr)
{
        for (size_t i = S.nlog; i-- > 0;)
                if (S.log[i].addr == addr)
                        return &S.log[i];
        return NULL;
}

static void test_control_functions(void **state)
{
        (void)state;
        struct up *u = &U[0];
        /* SELECT upstream BO 3 -> SELECT (FC3) at dev0 (address 10) index 7, same fields */
        size_t base = S.nlog;
        UP_SEND(u, 0xc1, 0x03, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, CROB_100);
        up_none(u);                     /* waiting for the IED */
        assert_int_equal(S.nlog, base);
        run_a(S.now + 100);
        assert_int_equal(S.nlog - base, 1);
        assert_true(sim_apdu_is(&S.log[base], "C2 03 0C 01 28 01 00 07 00" CROB_100S));
        UP_EXPECT(u, 0xc1, 0x81, 0x00, 0x00, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, CROB_100);
        /* OPERATE (matching) -> OPERATE (FC4) */
        UP_SEND(u, 0xc2, 0x04, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, CROB_100);
        run_a(S.now + 100);
        assert_int_equal(S.nlog - base, 2);
        assert_true(sim_apdu_is(&S.log[base + 1], "C3 04 0C 01 28 01 00 07 00" CROB_100S));
        UP_EXPECT(u, 0xc2, 0x81, 0x00, 0x00, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, CROB_100);
        /* OPERATE without SELECT: NO_SELECT from the session, nothing downstream */
        UP_SEND(u, 0xc3, 0x04, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, CROB_100);
        UP_EXPECT(u, 0xc3, 0x81, 0x00, 0x00, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00,
                  0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 | DNP_CMD_NO_SELECT);
        run_a(S.now + 100);
        assert_int_equal(S.nlog - base, 2);
        /* DIRECT_OPERATE g41v2 at upstream AO 10 -> dev0 AO 0; the IED says LOCAL -> LOCAL */
        S.dev[0].operate_status = DNP_CMD_LOCAL;
        UP_SEND(u, 0xc4, 0x05, 0x29, 0x02, 0x28, 0x01, 0x00, 0x0a, 0x00, 0x2c, 0x01, 0x00);
        run_a(S.now + 100);
        assert_int_equal(S.nlog - base, 3);
        assert_true(sim_apdu_is(&S.log[base + 2], "C4 05 29 02 28 01 00 00 00 2C 01 00"));
        UP_EXPECT(u, 0xc4, 0x81, 0x00, 0x00, 0x29, 0x02, 0x28, 0x01, 0x00, 0x0a, 0x00, 0x2c, 0x01,
                  DNP_CMD_LOCAL);
        /* DIRECT_OPERATE_NR -> FC6; no upstream response; the request still completes */
        size_t aud = NAUD;
        UP_SEND(u, 0xc5, 0x06, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x04, 0x00, CROB_100);
        run_a(S.now + 100);
        assert_int_equal(S.nlog - base, 4);
        assert_true(sim_apdu_is(&S.log[base + 3], "C5 06 0C 01 28 01 00 08 00" CROB_100S));
        up_none(u);
        assert_int_equal(NAUD - aud, 1);
        assert_int_equal(AUD[aud].func, APP_FUNC_DIRECT_OPERATE_NR);
        assert_int_equal(AUD[aud].res, MASTER_CMD_RES_SENT);
        assert_int_equal(AUD[aud].status, DNP_CMD_SUCCESS);
        assert_int_equal(AUD[aud].up_index, 4);
        assert_int_equal(AUD[aud].down_index, 8);
        /* a read right after: the session is free (the NR token was completed) */
        UP_SEND(u, 0xc6, 0x01, 0x3c, 0x02, 0x06);
        UP_EXPECT(u, 0xc6, 0x81, 0x00, 0x00);

        /* audit of the SELECT and the LOCAL one */
        assert_int_equal(NAUD, 4);
        assert_int_equal(AUD[0].outstation, 0);
        assert_int_equal(AUD[0].func, APP_FUNC_SELECT);
        assert_int_equal(AUD[0].group, 12);
        assert_int_equal(AUD[0].var, 1);
        assert_int_equal(AUD[0].up_index, 3);
        assert_int_equal(AUD[0].dev, 0);
        assert_int_equal(AUD[0].down_index, 7);
        assert_int_equal(AUD[0].v.v.crob.code, 3);
        assert_int_equal(AUD[0].v.v.crob.on_ms, 100);
        assert_int_equal(AUD[0].status, DNP_CMD_SUCCESS);
        assert_int_equal(AUD[0].res, MASTER_CMD_RES_OK);
        assert_int_equal(AUD[2].group, 41);
        assert_true(AUD[2].v.v.ao.value == 300);
        assert_int_equal(AUD[2].status, DNP_CMD_LOCAL);
        assert_int_equal(AUD[2].res, MASTER_CMD_RES_OK);
        const struct gw_stats *st = gw_get_stats(G);
        assert_int_equal(st->controls, 4);
        assert_int_equal(st->controls_failed, 1);
}

static void test_control_two_channels(void **state)
{
        (void)state;
        struct up *u = &U[1];
        /* dev3 (channel B, silent) goes offline first: 3 transactions x 2 tries x 2 s */
        run_b(30000);
        run_a(30000);
        assert_int_equal(master_dev_get_state(DEV[3]), MASTER_DEV_OFFLINE);
        S.dev[0].operate_status = DNP_CMD_SUCCESS;
        B.dev[0].operate_status = DNP_CMD_LOCAL;
        size_t base_a = S.nlog, base_b = B.nlog;
        /*
         * DIRECT_OPERATE: g12v1 BO 3 (dev0), BO 50 (unmapped); g41v2 AO 1 (dev2, channel B);
         * g12v1 BO 4 (dev0), BO 6 (dev3, offline), BO 7 (dev4, no device)
         */
        UP_SEND(u, 0xc1, 0x05,
                0x0c, 0x01, 0x28, 0x02, 0x00, 0x03, 0x00, CROB_100, 0x32, 0x00, CROB_100,
                0x29, 0x02, 0x28, 0x01, 0x00, 0x01, 0x00, 0xd2, 0x04, 0x00,
                0x0c, 0x01, 0x28, 0x03, 0x00, 0x04, 0x00, CROB_100, 0x06, 0x00, CROB_100,
                0x07, 0x00, CROB_100);
        assert_int_equal(u->commands, 1);
        run_a(S.now + 100);
        /* dev0 got its two objects in one request, in order, at 7 and 8 */
        assert_int_equal(S.nlog - base_a, 1);
        assert_true(sim_apdu_is(&S.log[base_a], "C2 05 0C 01 28 02 00 07 00" CROB_100S
                                                " 08 00" CROB_100S));
        up_none(u);                     /* channel B has not answered yet */
        run_b(S.now);
        const struct sim_req *r = NULL;
        for (size_t i = base_b; i < B.nlog; i++)
                if (B.log[i].addr == 20)
                        r = &B.log[i];
        assert_non_null(r);
        assert_true(sim_apdu_is(r, "C2 05 29 02 28 01 00 05 00 D2 04 00"));
        /* IIN2.2: BO 50 does not exist upstream (test_control_unmapped_iin22_select_timeout) */
        UP_EXPECT(u, 0xc1, 0x81, 0x00, 0x04,
                  0x0c, 0x01, 0x28, 0x02, 0x00,
                  0x03, 0x00, 0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  DNP_CMD_SUCCESS,
                  0x32, 0x00, 0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  DNP_CMD_NOT_SUPPORTED,
                  0x29, 0x02, 0x28, 0x01, 0x00, 0x01, 0x00, 0xd2, 0x04, DNP_CMD_LOCAL,
                  0x0c, 0x01, 0x28, 0x03, 0x00,
                  0x04, 0x00, 0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  DNP_CMD_SUCCESS,
                  0x06, 0x00, 0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  DNP_CMD_DOWNSTREAM_FAIL,
                  0x07, 0x00, 0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  DNP_CMD_DOWNSTREAM_FAIL);
        /* nothing reached dev3 after it went offline except its probes (READs) */
        chan_b();
        assert_int_equal(S.dev[1].funcs[APP_FUNC_DIRECT_OPERATE], 0);
        chan_b();
        /* audit, in request order */
        assert_int_equal(NAUD, 6);
        static const uint32_t dev[6] = { 0, GW_NO_DEV, 2, 0, 3, 4 };
        static const uint8_t status[6] = { 0, 4, 7, 0, 18, 18 };
        static const uint8_t res[6] = { MASTER_CMD_RES_OK, MASTER_CMD_RES_MAX, MASTER_CMD_RES_OK,
                                        MASTER_CMD_RES_OK, MASTER_CMD_RES_MAX,
                                        MASTER_CMD_RES_MAX };
        static const uint32_t upi[6] = { 3, 50, 1, 4, 6, 7 };
        for (size_t k = 0; k < 6; k++) {
                assert_int_equal(AUD[k].outstation, 1);
                assert_int_equal(AUD[k].dev, dev[k]);
                assert_int_equal(AUD[k].status, status[k]);
                assert_int_equal(AUD[k].res, res[k]);
                assert_int_equal(AUD[k].up_index, upi[k]);
        }
        assert_int_equal(AUD[2].down_index, 5);
        assert_int_equal(gw_get_stats(G)->controls_failed, 4);
}

/* Direct gw_on_command calls (tokens unknown to the session: its -ESTALE is ignored). */
static struct outst_cmd crob_cmd(uint32_t index)
{
        return (struct outst_cmd){ .group = 12, .var = 1,
                                   .v = { .index = index,
                                          .v.crob = { .code = 3, .count = 1, .on_ms = 100 } } };
}

static void test_control_failures(void **state)
{
        (void)state;
        /* 33 objects for dev0: 32 forwarded in one request, the 33rd TOO_MANY_OBJS */
        struct outst_cmd cmds[34];
        for (uint32_t k = 0; k < 33; k++)
                cmds[k] = (struct outst_cmd){ .group = 41, .var = 2,
                                              .v = { .index = 10 + k, .v.ao.value = k } };
        size_t base = S.nlog;
        gw_on_command(G, 0, 777, APP_FUNC_DIRECT_OPERATE, cmds, 33, S.now);
        assert_int_equal(NAUD, 0);
        run_a(S.now + 100);
        assert_int_equal(S.nlog - base, 1);
        const struct sim_req *r = &S.log[base];
        assert_int_equal(r->len, 2 + 5 + 32 * 5);
        assert_memory_equal(r->apdu + 1, ((const uint8_t[]){ 0x05, 0x29, 0x02, 0x28, 0x20, 0x00 }),
                            6);
        /* the last object: index 31, value 31 */
        assert_memory_equal(r->apdu + r->len - 5, ((const uint8_t[]){ 0x1f, 0x00, 0x1f, 0x00, 0x00 }),
                            5);
        assert_int_equal(NAUD, 33);
        for (size_t k = 0; k < 32; k++)
                assert_int_equal(AUD[k].status, DNP_CMD_SUCCESS);
        assert_int_equal(AUD[32].status, DNP_CMD_TOO_MANY_OBJS);
        assert_int_equal(AUD[32].res, MASTER_CMD_RES_MAX);
        assert_int_equal(AUD[32].dev, 0);

        /* dev1 takes one control at a time: the second gets -EBUSY -> DOWNSTREAM_FAIL at once */
        NAUD = 0;
        cmds[0] = crob_cmd(8);
        gw_on_command(G, 0, 1, APP_FUNC_DIRECT_OPERATE, cmds, 1, S.now);
        gw_on_command(G, 0, 2, APP_FUNC_DIRECT_OPERATE, cmds, 1, S.now);
        assert_int_equal(NAUD, 1);
        assert_int_equal(AUD[0].status, DNP_CMD_DOWNSTREAM_FAIL);
        assert_int_equal(AUD[0].res, MASTER_CMD_RES_MAX);
        assert_int_equal(AUD[0].dev, 1);
        assert_int_equal(AUD[0].down_index, 2);
        run_a(S.now + 100);
        assert_int_equal(NAUD, 2);
        assert_int_equal(AUD[1].status, DNP_CMD_SUCCESS);
        assert_true(sim_apdu_is(last_req(11), "C2 05 0C 01 28 01 00 02 00" CROB_100S));

        /* the IED does not answer within control_timeout (10 s): DOWNSTREAM_FAIL, never SUCCESS */
        NAUD = 0;
        S.dev[0].silent = true;
        cmds[0] = crob_cmd(3);
        gw_on_command(G, 0, 3, APP_FUNC_SELECT, cmds, 1, S.now);
        run_a(S.now + 20000);
        assert_int_equal(NAUD, 1);
        assert_int_equal(AUD[0].status, DNP_CMD_DOWNSTREAM_FAIL);
        assert_int_equal(AUD[0].res, MASTER_CMD_RES_TIMEOUT);
        /* a mismatched echo: DOWNSTREAM_FAIL */
        S.dev[0].silent = false;
        run_a(S.now + 60000);           /* back online */
        assert_int_equal(master_dev_get_state(DEV[0]), MASTER_DEV_ONLINE);
        S.dev[0].corrupt_echo = true;
        gw_on_command(G, 0, 4, APP_FUNC_DIRECT_OPERATE, cmds, 1, S.now);
        run_a(S.now + 100);
        assert_int_equal(NAUD, 2);
        assert_int_equal(AUD[1].status, DNP_CMD_DOWNSTREAM_FAIL);
        assert_int_equal(AUD[1].res, MASTER_CMD_RES_ECHO_MISMATCH);
        S.dev[0].corrupt_echo = false;

        /* pool: 8 requests per outstation; the 9th is answered DOWNSTREAM_FAIL at once */
        NAUD = 0;
        cmds[0] = crob_cmd(3);
        for (uint32_t k = 0; k < 8; k++)
                gw_on_command(G, 0, 100 + k, APP_FUNC_DIRECT_OPERATE, cmds, 1, S.now);
        assert_int_equal(NAUD, 0);
        cmds[1] = crob_cmd(50);
        gw_on_command(G, 0, 108, APP_FUNC_DIRECT_OPERATE, cmds, 2, S.now);
        assert_int_equal(NAUD, 2);
        assert_int_equal(AUD[0].status, DNP_CMD_DOWNSTREAM_FAIL);
        assert_int_equal(AUD[1].status, DNP_CMD_NOT_SUPPORTED);
        /* the other outstation has its own slots */
        gw_on_command(G, 1, 1, APP_FUNC_DIRECT_OPERATE, cmds, 1, S.now);
        assert_int_equal(NAUD, 2);
        run_a(S.now + 100);
        assert_int_equal(NAUD, 2 + 9);
        for (size_t k = 2; k < NAUD; k++)
                assert_int_equal(AUD[k].status, DNP_CMD_SUCCESS);
        /* a slot is free again */
        gw_on_command(G, 0, 200, APP_FUNC_DIRECT_OPERATE, cmds, 1, S.now);
        assert_int_equal(NAUD, 11);
        run_a(S.now + 100);
        assert_int_equal(NAUD, 12);
        /* a function that is not a control: NOT_SUPPORTED, nothing sent */
        base = S.nlog;
        gw_on_command(G, 0, 201, APP_FUNC_WRITE, cmds, 1, S.now);
        assert_int_equal(NAUD, 13);
        assert_int_equal(AUD[12].status, DNP_CMD_NOT_SUPPORTED);
        run_a(S.now + 100);
        assert_int_equal(S.nlog, base);
}

/* The latency runs to the time the device's answer completed the control, not to
 * whatever time the gateway last saw. */
static void test_control_latency(void **state)
{
        (void)state;
        S.dev[0].latency = 40;
        struct outst_cmd c = crob_cmd(3);
        gw_on_command(G, 0, 1, APP_FUNC_DIRECT_OPERATE, &c, 1, 1000);
        run_a(1030);
        assert_int_equal(NAUD, 0);
        struct master_meas m = meas(DNP_TYPE_AI, 0, false, false, DNP_FLAG_ONLINE, 101,
                                    (uint64_t)SIM_WALL + 1035);
        gw_on_meas(G, 0, &m, 1035);
        run_a(1100);
        assert_int_equal(NAUD, 1);
        assert_int_equal(AUD[0].status, DNP_CMD_SUCCESS);
        assert_int_equal(AUD[0].latency_ms, 40);
}

/*
 * Level 2 controls through the gateway: an unmapped upstream point is
 * NOT_SUPPORTED with IIN2.2 in the upstream response, the mapped ones in the
 * same request keep the IED's status; an OPERATE matching its SELECT but
 * after select_timeout (10 s) is TIMEOUT upstream and never reaches the IED.
 */
static void test_control_unmapped_iin22_select_timeout(void **state)
{
        (void)state;
        struct up *u = &U[0];
        /* SELECT BO 3 (dev0 index 7) and BO 60 (unmapped): dev0 gets index 7 alone */
        size_t base = S.nlog;
        UP_SEND(u, 0xc1, 0x03, 0x0c, 0x01, 0x28, 0x02, 0x00, 0x03, 0x00, CROB_100,
                0x3c, 0x00, CROB_100);
        run_a(S.now + 100);
        assert_int_equal(S.nlog - base, 1);
        assert_true(sim_apdu_is(&S.log[base], "C2 03 0C 01 28 01 00 07 00" CROB_100S));
        UP_EXPECT(u, 0xc1, 0x81, 0x00, 0x04, 0x0c, 0x01, 0x28, 0x02, 0x00,
                  0x03, 0x00, CROB_100, 0x3c, 0x00, 0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00,
                  0x00, 0x00, DNP_CMD_NOT_SUPPORTED);
        assert_int_equal(NAUD, 2);
        assert_int_equal(AUD[1].up_index, 60);
        assert_int_equal(AUD[1].dev, GW_NO_DEV);
        assert_int_equal(AUD[1].status, DNP_CMD_NOT_SUPPORTED);
        /* SELECT BO 3 alone: SUCCESS; its OPERATE 10.001 s later: TIMEOUT, nothing sent */
        UP_SEND(u, 0xc2, 0x03, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, CROB_100);
        run_a(S.now + 100);
        UP_EXPECT(u, 0xc2, 0x81, 0x00, 0x00, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, CROB_100);
        unsigned operates = S.dev[0].funcs[APP_FUNC_OPERATE];
        size_t aud = NAUD;
        run_a(S.now + 10001);
        UP_SEND(u, 0xc3, 0x04, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, CROB_100);
        UP_EXPECT(u, 0xc3, 0x81, 0x00, 0x00, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00,
                  0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, DNP_CMD_TIMEOUT);
        run_a(S.now + 1000);
        assert_int_equal(S.dev[0].funcs[APP_FUNC_OPERATE], operates);
        assert_int_equal(NAUD, aud);
        assert_int_equal(u->commands, 2);
        up_none(u);
}

/* ---- freezes ----------------------------------------------------------- */

/*
 * Counters: upstream 0..3 -> dev0 10..13 and 8..9 -> dev0 20..21 (channel A),
 * 4..5 -> dev2 0..1 (channel B), 6 -> dev3 0 (channel B, silent), 10 -> dev1 5
 * (channel A); 7 unmapped.  Frozen counters 0..3 -> dev0 10..13 and 4..5 ->
 * dev1 0..1: frozen counters 4..5 are not those of counters 4..5's device.
 */
static const struct gw_map_entry FMAP[] = {
        { .type = DNP_TYPE_CNT, .index = 0, .count = 4, .dev = 0, .source_index = 10 },
        { .type = DNP_TYPE_CNT, .index = 4, .count = 2, .dev = 2, .source_index = 0 },
        { .type = DNP_TYPE_CNT, .index = 6, .count = 1, .dev = 3, .source_index = 0 },
        { .type = DNP_TYPE_CNT, .index = 8, .count = 2, .dev = 0, .source_index = 20 },
        { .type = DNP_TYPE_CNT, .index = 10, .count = 1, .dev = 1, .source_index = 5 },
        { .type = DNP_TYPE_FCNT, .index = 0, .count = 4, .dev = 0, .source_index = 10 },
        { .type = DNP_TYPE_FCNT, .index = 4, .count = 2, .dev = 1, .source_index = 0 },
};

/* ... with both channels idle: dev3 (silent) offline after 3 transactions x 2 tries x 2 s,
 * its next probe not before 30 s */
static int setup_freeze(void **state)
{
        (void)state;
        setup_map(FMAP, sizeof(FMAP) / sizeof(FMAP[0]));
        run_b(30000);
        run_a(30000);
        assert_int_equal(master_dev_get_state(DEV[3]), MASTER_DEV_OFFLINE);
        return 0;
}

/* The requests device addr received on channel S from log position base. */
static size_t reqs_of(uint16_t addr, size_t base, const struct sim_req **out, size_t max)
{
        size_t n = 0;
        for (size_t i = base; i < S.nlog; i++)
                if (S.log[i].addr == addr && n < max)
                        out[n++] = &S.log[i];
        return n;
}

static void faud_is(size_t k, uint32_t dev, uint8_t res, int err, uint16_t up_iin)
{
        assert_true(k < NFAUD);
        assert_int_equal(FAUD[k].dev, dev);
        assert_int_equal(FAUD[k].res, res);
        assert_int_equal(FAUD[k].err, err);
        assert_int_equal(FAUD[k].up_iin, up_iin);
}

/*
 * A freeze is forwarded like a control (gateway.md "Freeze pass-through"):
 * one request per device owning a named counter, with the device's own
 * indexes, in parallel across channels; the upstream response waits for both
 * devices; each device that confirmed is read again at once (integrity poll);
 * nothing upstream is frozen or cleared by the gateway.
 */
static void test_freeze_two_channels(void **state)
{
        (void)state;
        struct up *u = &U[0];
        size_t base_a = S.nlog, base_b = B.nlog;
        struct dnp_value fc4 = up_get(0, DNP_TYPE_FCNT, 4);
        /* IMMED_FREEZE g20v0 q 0x00 0..5: dev0 gets 10..13, dev2 (channel B) 0..1 */
        UP_SEND(u, 0xc1, 0x07, 0x14, 0x00, 0x00, 0x00, 0x05);
        up_none(u);
        run_a(S.now + 100);
        const struct sim_req *r[4];
        assert_int_equal(reqs_of(10, base_a, r, 4), 2);
        assert_true(sim_apdu_is(r[0], "C2 07 14 00 00 0A 0D"));
        assert_true(sim_apdu_is(r[1], INTEGRITY_REQ("C3")));    /* dev0 read again */
        assert_int_equal(reqs_of(11, base_a, r, 4), 0);         /* dev1: none of its counters */
        up_none(u);                     /* dev2 has not answered yet */
        run_b(S.now);
        chan_b();
        assert_int_equal(reqs_of(20, base_b, r, 4), 2);
        assert_true(sim_apdu_is(r[0], "C2 07 14 00 00 00 01"));
        assert_true(sim_apdu_is(r[1], INTEGRITY_REQ("C3")));
        assert_int_equal(reqs_of(21, base_b, r, 4), 0);
        chan_b();
        UP_EXPECT(u, 0xc1, 0x81, 0x00, 0x00);
        up_none(u);
        /* the gateway froze nothing itself: frozen counter 4 (dev1's) is as it was */
        struct dnp_value v = up_get(0, DNP_TYPE_FCNT, 4);
        assert_int_equal(v.v.count, fc4.v.count);
        assert_int_equal(v.flags, fc4.flags);
        assert_int_equal(v.time, fc4.time);
        assert_int_equal(up_nevents(0), 0);
        /* one audit record per device, in device order */
        assert_int_equal(NFAUD, 2);
        faud_is(0, 0, MASTER_CMD_RES_OK, 0, 0);
        assert_int_equal(FAUD[0].func, APP_FUNC_IMMED_FREEZE);
        assert_int_equal(FAUD[0].outstation, 0);
        assert_int_equal(FAUD[0].f->n, 1);
        assert_int_equal(FAUD[0].f->r[0].start, 10);
        assert_int_equal(FAUD[0].f->r[0].stop, 13);
        faud_is(1, 2, MASTER_CMD_RES_OK, 0, 0);
        assert_int_equal(FAUD_F[1].r[0].stop, 1);
        assert_int_equal(gw_get_stats(G)->freezes, 1);
        assert_int_equal(gw_get_stats(G)->freeze_devices_failed, 0);
}

/*
 * The function and the g50v2 time object go down unchanged; an index list
 * becomes one range per run of the device's consecutive indexes; the _NR
 * functions go down as _NR and get no upstream response; g20v0 q 0x06 names
 * every mapped counter, and a device that cannot be reached sets IIN2.2 (not
 * seen for an _NR request).
 */
static void test_freeze_functions_and_ranges(void **state)
{
        (void)state;
        struct up *u = &U[0];
        size_t base = S.nlog;
        const struct sim_req *r[8];
        /* FREEZE_CLEAR g20v0 q 0x17 [9, 0, 1, 3, 8] -> dev0 10..11, 13, 20..21 */
        UP_SEND(u, 0xc1, 0x09, 0x14, 0x00, 0x17, 0x05, 0x09, 0x00, 0x01, 0x03, 0x08);
        run_a(S.now + 100);
        assert_int_equal(reqs_of(10, base, r, 8), 2);
        assert_true(sim_apdu_is(r[0], "C2 09 14 00 00 0A 0B 14 00 00 0D 0D 14 00 00 14 15"));
        UP_EXPECT(u, 0xc1, 0x81, 0x00, 0x00);
        /* FREEZE_AT_TIME: time 0x0102030405, interval 60 s, counter 0 */
        UP_SEND(u, 0xc2, 0x0b, 0x32, 0x02, 0x07, 0x01, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00,
                0x60, 0xea, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00);
        run_a(S.now + 100);
        assert_int_equal(reqs_of(10, base, r, 8), 4);
        assert_true(sim_apdu_is(r[2], "C4 0B 32 02 07 01 05 04 03 02 01 00 60 EA 00 00 "
                                      "14 00 00 0A 0A"));
        UP_EXPECT(u, 0xc2, 0x81, 0x00, 0x00);
        assert_int_equal(NFAUD, 2);
        assert_int_equal(FAUD[1].func, APP_FUNC_FREEZE_AT_TIME);
        assert_int_equal(FAUD_F[1].time, 0x0102030405ull);
        assert_int_equal(FAUD_F[1].interval_ms, 60000);
        /* IMMED_FREEZE_NR all: dev0, dev1 (channel A) as FC 8, dev2 on channel B; dev3
         * is offline: not sent; no upstream response at all */
        NFAUD = 0;
        UP_SEND(u, 0xc3, 0x08, 0x14, 0x00, 0x06);
        run_a(S.now + 100);
        assert_int_equal(reqs_of(10, base, r, 8), 6);
        assert_true(sim_apdu_is(r[4], "C6 08 14 00 00 0A 0D 14 00 00 14 15"));
        assert_true(sim_apdu_is(r[5], INTEGRITY_REQ("C7")));   /* sent: read again */
        assert_int_equal(reqs_of(11, base, r, 8), 2);
        assert_true(sim_apdu_is(r[0], "C2 08 14 00 00 05 05"));
        run_b(S.now);
        up_none(u);
        assert_int_equal(NFAUD, 4);
        faud_is(0, 0, MASTER_CMD_RES_SENT, 0, 0);
        faud_is(1, 1, MASTER_CMD_RES_SENT, 0, 0);
        faud_is(2, 2, MASTER_CMD_RES_SENT, 0, 0);
        faud_is(3, 3, MASTER_CMD_RES_MAX, -ENOTCONN, APP_IIN_PARAMETER_ERROR);
        UP_SEND(u, 0xc4, 0x01, 0x3c, 0x02, 0x06);       /* the session is free */
        UP_EXPECT(u, 0xc4, 0x81, 0x00, 0x00);
        /* the same by a confirmed IMMED_FREEZE: IIN2.2 for dev3 */
        UP_SEND(u, 0xc5, 0x07, 0x14, 0x00, 0x06);
        run_a(S.now + 100);
        up_none(u);
        run_b(S.now);
        UP_EXPECT(u, 0xc5, 0x81, 0x00, 0x04);
        assert_int_equal(gw_get_stats(G)->freeze_devices_failed, 2);
}

/* An outstation_freeze naming counters first..last (for direct gw_on_freeze calls). */
static struct outst_freeze frz_req(uint8_t func, uint8_t *named, uint32_t first, uint32_t last)
{
        memset(named, 0, 2);
        for (uint32_t i = first; i <= last; i++)
                named[i / 8] |= (uint8_t)(1u << (i % 8));
        return (struct outst_freeze){ .func = func, .count = 11, .n = last - first + 1,
                                      .named = named };
}

/*
 * Failures set IIN2.2 (IIN2.0 when the device said it does not support the
 * function) and the audit names the device: offline, silent past its
 * control timeout, refusing (IIN2.1 -> IIN2.2), and the gateway's own slots
 * full.  A device that did not freeze is not read again for it; the upstream
 * counter is never cleared by the gateway (FREEZE_CLEAR used to zero it).
 */
static void test_freeze_failures(void **state)
{
        (void)state;
        struct up *u = &U[0];
        /* dev3 is offline */
        UP_SEND(u, 0xc1, 0x07, 0x14, 0x00, 0x00, 0x04, 0x06);  /* 4..5 dev2, 6 dev3 */
        up_none(u);
        run_b(S.now);
        UP_EXPECT(u, 0xc1, 0x81, 0x00, 0x04);
        assert_int_equal(NFAUD, 2);
        faud_is(0, 2, MASTER_CMD_RES_OK, 0, 0);
        faud_is(1, 3, MASTER_CMD_RES_MAX, -ENOTCONN, APP_IIN_PARAMETER_ERROR);

        /* dev0 silent: no answer (2 tries x 2 s, within its 10 s control timeout) -> IIN2.2 */
        struct master_meas m = meas(DNP_TYPE_CNT, 10, false, false, DNP_FLAG_ONLINE, 7,
                                    (uint64_t)SIM_WALL + S.now);
        gw_on_meas(G, 0, &m, S.now);
        assert_int_equal(up_get(0, DNP_TYPE_CNT, 0).v.count, 7);
        NFAUD = 0;
        S.dev[0].silent = true;
        uint64_t t0 = S.now;
        UP_SEND(u, 0xc2, 0x09, 0x14, 0x00, 0x00, 0x00, 0x00);  /* FREEZE_CLEAR counter 0 */
        run_a(t0 + 3999);
        up_none(u);
        run_a(t0 + 4000);
        UP_EXPECT(u, 0xc2, 0x81, 0x00, 0x04);
        assert_int_equal(NFAUD, 1);
        faud_is(0, 0, MASTER_CMD_RES_TIMEOUT, 0, APP_IIN_PARAMETER_ERROR);
        assert_int_equal(FAUD[0].latency_ms, 4000);
        assert_int_equal(up_get(0, DNP_TYPE_CNT, 0).v.count, 7);  /* not the gateway's to clear */
        S.dev[0].silent = false;
        run_a(S.now + 60000);           /* back online */
        assert_int_equal(master_dev_get_state(DEV[0]), MASTER_DEV_ONLINE);

        /* dev0 answers IIN2.0: IIN2.0 upstream, and no read follows the refusal */
        NFAUD = 0;
        S.dev[0].iin = APP_IIN_NO_FUNC_CODE_SUPPORT;
        size_t base = S.nlog;
        UP_SEND(u, 0xc3, 0x07, 0x14, 0x00, 0x00, 0x00, 0x00);
        run_a(S.now + 100);
        UP_EXPECT(u, 0xc3, 0x81, 0x00, 0x01);
        faud_is(0, 0, MASTER_CMD_RES_OK, 0, APP_IIN_NO_FUNC_CODE_SUPPORT);
        assert_int_equal(FAUD[0].iin, APP_IIN_NO_FUNC_CODE_SUPPORT);
        assert_int_equal(S.nlog - base, 1);
        /* IIN2.1 (it knows no g20v0): IIN2.2 upstream */
        S.dev[0].iin = APP_IIN_OBJECT_UNKNOWN;
        UP_SEND(u, 0xc4, 0x07, 0x14, 0x00, 0x00, 0x00, 0x00);
        run_a(S.now + 100);
        UP_EXPECT(u, 0xc4, 0x81, 0x00, 0x04);
        faud_is(1, 0, MASTER_CMD_RES_OK, 0, APP_IIN_PARAMETER_ERROR);
        S.dev[0].iin = 0;
        /* an answer that does not parse: the device answered (OK, its IIN), but
         * nothing says it froze: IIN2.2 upstream, and no read follows */
        S.dev[0].malformed = true;
        base = S.nlog;
        UP_SEND(u, 0xc5, 0x07, 0x14, 0x00, 0x00, 0x00, 0x00);
        run_a(S.now + 100);
        UP_EXPECT(u, 0xc5, 0x81, 0x00, 0x04);
        faud_is(2, 0, MASTER_CMD_RES_OK, 0, APP_IIN_PARAMETER_ERROR);
        assert_int_equal(FAUD[2].iin, 0);
        assert_int_equal(S.nlog - base, 1);
        S.dev[0].malformed = false;

        /* two freezes in flight per outstation: a third one is refused at once (IIN2.2) */
        NFAUD = 0;
        S.dev[0].silent = true;
        uint8_t named[2];
        struct outst_freeze f = frz_req(APP_FUNC_IMMED_FREEZE, named, 0, 0);
        gw_on_freeze(G, 1, 100, &f, S.now);
        gw_on_freeze(G, 1, 101, &f, S.now);
        assert_int_equal(NFAUD, 0);
        gw_on_freeze(G, 1, 102, &f, S.now);
        assert_int_equal(NFAUD, 1);
        assert_int_equal(FAUD[0].dev, GW_NO_DEV);
        assert_int_equal(FAUD[0].outstation, 1);
        assert_int_equal(FAUD[0].up_iin, APP_IIN_PARAMETER_ERROR);
        assert_null(FAUD[0].f);
        gw_on_freeze(G, 0, 103, &f, S.now);     /* the other outstation has its own */
        assert_int_equal(NFAUD, 1);
        run_a(S.now + 20000);
        assert_int_equal(NFAUD, 4);
}

/* A response fragment of dev0 for its next READ: frozen counter 10 = 2 at time
 * tf as an event (g23v5), counter 10 = 0 (g20v1), frozen counter 10 = 2 without
 * time (g21v1). */
static void script_after_freeze(uint64_t tf)
{
        struct sim_dev *d = &S.dev[0];
        struct apdu_wr a;
        const struct apdu_hdr h = { .fir = true, .fin = true, .func = APP_FUNC_RESPONSE };
        assert_int_equal(apdu_wr_init(&a, d->script[0], sizeof(d->script[0]), &h), 0);
        struct dnp_value v = { .index = 10, .flags = DNP_FLAG_ONLINE, .v.count = 2,
                               .time_kind = DNP_TIME_ABS, .time = tf };
        assert_int_equal(apdu_wr_begin(&a, 23, 5, OBJ_QUAL_INDEX16, 0), 0);
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        v.v.count = 0;
        v.time_kind = DNP_TIME_NONE;
        assert_int_equal(apdu_wr_begin(&a, 20, 1, OBJ_QUAL_RANGE8, 10), 0);
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        v.v.count = 2;
        assert_int_equal(apdu_wr_begin(&a, 21, 1, OBJ_QUAL_RANGE8, 10), 0);
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        apdu_wr_end(&a);
        d->script_len[0] = apdu_wr_len(&a);
        d->nscript = 1;
}

/*
 * After the device confirmed, SCADA's next read shows the device's own frozen
 * value and time of freeze and its counter: the read that follows the freeze
 * brings them, and a frozen counter reported again without time (g21v1)
 * keeps the device's time of freeze rather than taking the reception time.
 */
static void test_freeze_refresh_shows_device_values(void **state)
{
        (void)state;
        struct up *u = &U[0];
        /* counter 10 of dev0 (upstream 0) at 2, as a static value */
        struct master_meas m = meas(DNP_TYPE_CNT, 10, false, false, DNP_FLAG_ONLINE, 2,
                                    (uint64_t)SIM_WALL + S.now);
        gw_on_meas(G, 0, &m, S.now);
        const uint64_t tf = 1700000123456;
        script_after_freeze(tf);
        size_t mbase = S.nmeas;
        UP_SEND(u, 0xc1, 0x09, 0x14, 0x00, 0x06);       /* FREEZE_CLEAR all */
        run_a(S.now + 100);
        forward_meas(mbase);
        run_b(S.now);
        UP_EXPECT(u, 0xc1, 0x81, 0x08, 0x04);   /* class 3 events; IIN2.2: dev3 offline */
        struct dnp_value fc = up_get(0, DNP_TYPE_FCNT, 0);
        assert_int_equal(fc.v.count, 2);
        assert_int_equal(fc.flags, DNP_FLAG_ONLINE);
        assert_int_equal(fc.time, tf);
        assert_int_equal(up_get(0, DNP_TYPE_CNT, 0).v.count, 0);
        /* READ g21v5 0..0 and g20v1 0..0: the device's values, its time of freeze */
        UP_SEND(u, 0xc2, 0x01, 0x15, 0x05, 0x00, 0x00, 0x00, 0x14, 0x01, 0x00, 0x00, 0x00);
        UP_EXPECT(u, 0xc2, 0x81, 0x08, 0x00,
                  0x15, 0x05, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00,
                  0x40, 0x4a, 0xe7, 0xcf, 0x8b, 0x01,
                  0x14, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00);
        /* frozen counters 4..5 are dev1's: untouched by a freeze of counters 4..5 */
        assert_int_equal(up_get(0, DNP_TYPE_FCNT, 4).flags, DNP_FLAG_RESTART);
}

/* ---- select hold: the upstream selection decides ------------------------ */

/* Requests to addr logged from index base on: how many. */
static size_t dev_nreq(size_t base, uint16_t addr)
{
        size_t n = 0;
        for (size_t i = base; i < S.nlog; i++)
                n += S.log[i].addr == addr;
        return n;
}

/* The nth request to addr from index base on is hex, sent at `at`. */
static void dev_req(size_t base, uint16_t addr, size_t nth, const char *hex, uint64_t at)
{
        for (size_t i = base, k = 0; i < S.nlog; i++) {
                if (S.log[i].addr != addr || k++ < nth)
                        continue;
                assert_true(sim_apdu_is(&S.log[i], hex));
                assert_int_equal(S.log[i].at, at);
                return;
        }
        fail_msg("request %zu to %u not sent", nth, addr);
}

#define SEL_BO3 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00, CROB_100
#define DOWN_BO3 " 0C 01 28 01 00 07 00" CROB_100S

/* Outstation 0's master selects BO 3 (dev0 index 7) at `at`; the IED answers at once. */
static void up_select_bo3(uint8_t ctrl, uint64_t at)
{
        const uint8_t req[] = { ctrl, 0x03, SEL_BO3 };
        const uint8_t rsp[] = { ctrl, 0x81, 0x00, 0x00, SEL_BO3 };
        run_a(at);
        up_send(&U[0], req, sizeof(req));
        run_a(at);
        up_expect(&U[0], rsp, sizeof(rsp));
}

/* Channel A's devices poll class 1 every second and hold a SELECT up to 20 s,
 * longer than the outstations' select_timeout (10 s): the upstream end shows. */
static int setup_hold(void **state)
{
        HOLD_MS = 20000;
        CLASS1_MS = 1000;
        int r = setup(state);
        HOLD_MS = 0;
        CLASS1_MS = 0;
        return r;
}

/*
 * The upstream selection expires (select_timeout, 10 s, by the outstation's
 * timer): the device's hold ends at once and the class poll it held runs at
 * that millisecond; the other device on the channel was never held.
 */
static void test_hold_ends_on_upstream_expiry(void **state)
{
        (void)state;
        struct up *u = &U[0];
        run_a(900);
        size_t base = S.nlog;
        up_select_bo3(0xc1, 900);
        run_a(900 + 10000);
        assert_int_equal(dev_nreq(base, 10), 1);        /* the SELECT, no poll since */
        dev_req(base, 10, 0, "C2 03" DOWN_BO3, 900);
        assert_int_equal(dev_nreq(base, 11), 10);       /* 1000 .. 10000 */
        assert_int_equal(outst_deadline(u->o), 900 + 10001);
        S.now = 900 + 10001;
        outst_timer(u->o, S.now);
        assert_int_equal(u->sel_ends, 1);
        assert_int_equal(u->sel_why, OUTST_SEL_END_EXPIRED);
        run_a(S.now);
        assert_int_equal(dev_nreq(base, 10), 2);
        dev_req(base, 10, 1, "C3 01 3C 02 06", 10901);
        run_a(12000);                                   /* back on the grid */
        dev_req(base, 10, 2, "C4 01 3C 02 06", 11000);
        dev_req(base, 10, 3, "C5 01 3C 02 06", 12000);
        assert_int_equal(S.overlap, 0);
}

/*
 * The upstream selection is superseded (a READ instead of the OPERATE): the
 * hold ends as the READ arrives.  A selection that is operated keeps the
 * line clear: the OPERATE follows its SELECT with the next sequence number,
 * the poll due meanwhile comes after it, and nothing reports an end.
 */
static void test_hold_ends_on_upstream_request(void **state)
{
        (void)state;
        struct up *u = &U[0];
        run_a(900);
        size_t base = S.nlog;
        up_select_bo3(0xc1, 900);
        run_a(1500);
        assert_int_equal(dev_nreq(base, 10), 1);
        UP_SEND(u, 0xc2, 0x01, 0x3c, 0x02, 0x06);
        UP_EXPECT(u, 0xc2, 0x81, 0x00, 0x00);
        assert_int_equal(u->sel_ends, 1);
        assert_int_equal(u->sel_why, OUTST_SEL_END_SUPERSEDED);
        run_a(1500);
        dev_req(base, 10, 1, "C3 01 3C 02 06", 1500);

        up_select_bo3(0xc3, 2900);
        run_a(3100);
        UP_SEND(u, 0xc4, 0x04, SEL_BO3);
        run_a(3100);
        UP_EXPECT(u, 0xc4, 0x81, 0x00, 0x00, SEL_BO3);
        assert_int_equal(dev_nreq(base, 10), 6);
        dev_req(base, 10, 2, "C4 01 3C 02 06", 2000);
        dev_req(base, 10, 3, "C5 03" DOWN_BO3, 2900);
        dev_req(base, 10, 4, "C6 04" DOWN_BO3, 3100);
        dev_req(base, 10, 5, "C7 01 3C 02 06", 3100);   /* due 3000, held for the OPERATE */
        assert_int_equal(u->sel_ends, 1);
        assert_int_equal(S.overlap, 0);
}

/*
 * A SELECT that does not come out as an upstream selection (one device said
 * LOCAL, so the OPERATE would be refused NO_SELECT) holds nothing: the
 * device that did select keeps its poll on its slot.
 */
static void test_hold_none_without_selection(void **state)
{
        (void)state;
        struct up *u = &U[0];
        S.dev[1].select_status = DNP_CMD_LOCAL;
        run_a(900);
        size_t base = S.nlog;
        UP_SEND(u, 0xc1, 0x03, 0x0c, 0x01, 0x28, 0x02, 0x00, 0x03, 0x00, CROB_100,
                0x08, 0x00, CROB_100);
        run_a(900);
        UP_EXPECT(u, 0xc1, 0x81, 0x00, 0x00, 0x0c, 0x01, 0x28, 0x02, 0x00, 0x03, 0x00, CROB_100,
                  0x08, 0x00, 0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                  DNP_CMD_LOCAL);
        run_a(1000);
        dev_req(base, 10, 0, "C2 03" DOWN_BO3, 900);
        dev_req(base, 11, 0, "C2 03 0C 01 28 01 00 02 00" CROB_100S, 900);
        dev_req(base, 10, 1, "C3 01 3C 02 06", 1000);
        dev_req(base, 11, 1, "C3 01 3C 02 06", 1000);
        assert_int_equal(u->sel_ends, 0);
}

/*
 * The matched OPERATE uses the upstream selection up, even when the gateway
 * cannot forward it (outstation 0's eight request slots are taken by
 * controls still queued for dev2): answered DOWNSTREAM_FAIL at once, and
 * dev0's hold ends with it, so the class poll that fell due runs at once
 * rather than at select_hold_ms (20 s).
 */
static void test_hold_ends_on_unforwarded_operate(void **state)
{
        (void)state;
        struct up *u = &U[0];
        run_a(900);
        size_t base = S.nlog;
        up_select_bo3(0xc1, 900);
        /* AO 1 -> dev2 on channel B, which does not run here: the slots stay taken */
        const struct outst_cmd ao = { .group = 41, .var = 2, .v = { .index = 1, .v.ao.value = 7 } };
        for (uint32_t k = 0; k < 8; k++)
                gw_on_command(G, 0, 300 + k, APP_FUNC_DIRECT_OPERATE, &ao, 1, S.now);
        run_a(1500);
        assert_int_equal(NAUD, 1);                      /* the SELECT's */
        assert_int_equal(dev_nreq(base, 10), 1);        /* held */
        UP_SEND(u, 0xc2, 0x04, SEL_BO3);
        UP_EXPECT(u, 0xc2, 0x81, 0x00, 0x00, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x03, 0x00,
                  0x03, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, DNP_CMD_DOWNSTREAM_FAIL);
        assert_int_equal(NAUD, 2);
        assert_int_equal(AUD[1].func, APP_FUNC_OPERATE);
        assert_int_equal(AUD[1].res, MASTER_CMD_RES_MAX);
        assert_int_equal(u->sel_ends, 0);               /* the OPERATE used the selection */
        run_a(2000);
        assert_int_equal(dev_nreq(base, 10), 3);
        dev_req(base, 10, 0, "C2 03" DOWN_BO3, 900);
        dev_req(base, 10, 1, "C3 01 3C 02 06", 1500);   /* due 1000, owed by the hold */
        dev_req(base, 10, 2, "C4 01 3C 02 06", 2000);
        assert_int_equal(S.overlap, 0);
}

/* A request to broadcast address dest from outstation i's master (no answer comes). */
static void up_broadcast(struct up *u, uint16_t dest, const uint8_t *apdu, size_t n)
{
        uint8_t seg[TPORT_MAX_SEGMENT] = { TPORT_FIR | TPORT_FIN };
        uint8_t frame[LINK_MAX_FRAME];
        assert_true(n + 1 <= sizeof(seg));
        memcpy(seg + 1, apdu, n);
        const struct link_hdr lh = { .dir = true, .prm = true,
                                     .code = link_func_code(LINK_FUNC_UNCONFIRMED_USER_DATA),
                                     .dest = dest, .src = 1 };
        int len = link_encode(frame, sizeof(frame), &lh, seg, n + 1);
        assert_true(len > 0);
        outst_rx(u->o, frame, (size_t)len, S.now);
        up_drain(u);
}

/*
 * A SELECT by broadcast selects nothing upstream: it is carried out but
 * never answered, so no OPERATE can match it (the outstation session says
 * so).  The device that did select is released at once and its class poll
 * keeps its slot, rather than being held for select_hold_ms (20 s here).
 */
static void test_hold_none_for_broadcast_select(void **state)
{
        (void)state;
        struct up *u = &U[0];
        run_a(900);
        size_t base = S.nlog;
        const uint8_t req[] = { 0xc1, 0x03, SEL_BO3 };
        up_broadcast(u, 0xffff, req, sizeof(req));
        assert_int_equal(u->commands, 1);
        run_a(2000);
        up_none(u);
        assert_int_equal(NAUD, 1);
        assert_int_equal(AUD[0].func, APP_FUNC_SELECT);
        assert_int_equal(AUD[0].status, DNP_CMD_SUCCESS);
        assert_int_equal(dev_nreq(base, 10), 3);
        dev_req(base, 10, 0, "C2 03" DOWN_BO3, 900);
        dev_req(base, 10, 1, "C3 01 3C 02 06", 1000);
        dev_req(base, 10, 2, "C4 01 3C 02 06", 2000);
        assert_int_equal(u->sel_ends, 0);
        assert_int_equal(S.overlap, 0);
}

/*
 * Event replay tags each upstream event with its device: dev0 floods 250
 * events into a class 1 buffer of 100 while dev1 makes 3 (one before, one
 * amid, one after the flood).  Every outstation keeps all of dev1's and the
 * newest 97 of dev0's, in order; only dev0 is counted as having lost events.
 * COMM_LOST events carry their device's tag too.
 */
static void test_flooding_device_loses_its_own(void **state)
{
        (void)state;
        struct master_meas m;
        uint64_t t0 = 1700000000000;
        m = meas(DNP_TYPE_BI, 100, true, true, DNP_FLAG_ONLINE, 1, t0 + 100000);
        gw_on_meas(G, 1, &m, S.now);                    /* dev1 BI 100 -> upstream 25 */
        for (uint32_t k = 0; k < 250; k++) {
                if (k == 150) {
                        m = meas(DNP_TYPE_BI, 100, true, true, DNP_FLAG_ONLINE, 0, t0 + 100001);
                        gw_on_meas(G, 1, &m, S.now);
                }
                m = meas(DNP_TYPE_BI, 100, true, true, DNP_FLAG_ONLINE, k & 1, t0 + k);
                gw_on_meas(G, 0, &m, S.now);            /* dev0 BI 100 -> upstream 0 */
        }
        m = meas(DNP_TYPE_BI, 100, true, true, DNP_FLAG_ONLINE, 1, t0 + 100002);
        gw_on_meas(G, 1, &m, S.now);
        static struct ev e[128];
        unsigned c[128];
        for (size_t i = 0; i < NOUT; i++) {
                struct events *ev = outst_events(U[i].o);
                assert_int_equal(up_events(i, 0x2, e, c, 128), 100);
                size_t k0 = 0, k1 = 0;
                for (size_t k = 0; k < 100; k++) {
                        if (e[k].index == 25) {
                                assert_int_equal(e[k].time, t0 + 100000 + k1);
                                assert_int_equal(e[k].src, gw_event_source(1));
                                k1++;
                        } else {
                                assert_int_equal(e[k].index, 0);
                                assert_int_equal(e[k].time, t0 + 153 + k0);
                                assert_int_equal(e[k].src, gw_event_source(0));
                                k0++;
                        }
                }
                assert_int_equal(k1, 3);
                assert_int_equal(k0, 97);
                /* dev1's second event came before dev0's 150th: all of dev0's
                 * survivors (153..249) are newer; dev1's third is the newest */
                assert_int_equal(e[0].time, t0 + 100000);
                assert_int_equal(e[1].time, t0 + 100001);
                assert_int_equal(e[2].time, t0 + 153);
                assert_int_equal(e[98].time, t0 + 249);
                assert_int_equal(e[99].time, t0 + 100002);
                assert_int_equal(events_src_discarded(ev, 1, gw_event_source(0)), 153);
                assert_int_equal(events_src_discarded(ev, 1, gw_event_source(1)), 0);
                assert_true(events_overflow(ev));
        }
        /* COMM_LOST of dev1: its 6 points' events are dev1's */
        gw_on_dev_state(G, 1, MASTER_DEV_OFFLINE, 11000);
        struct events *ev = outst_events(U[0].o);
        assert_int_equal(events_src_count(ev, 1, gw_event_source(1)), 3 + 3);  /* BI 25..27 */
        assert_int_equal(events_src_count(ev, 2, gw_event_source(1)), 2);      /* AI 2, 3 */
        assert_int_equal(events_src_count(ev, 3, gw_event_source(1)), 1);      /* BO 8 */
        assert_int_equal(events_src_count(ev, 1, gw_event_source(0)), 94);
        assert_int_equal(gw_event_source(0), 1);
        assert_int_equal(gw_event_source(65534), 65535);
        assert_int_equal(gw_event_source(65535), EVENTS_SRC_NONE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_map_lookups, setup, teardown),
                cmocka_unit_test(test_map_validation),
                cmocka_unit_test_setup_teardown(test_event_replay, setup, teardown),
                cmocka_unit_test_setup_teardown(test_static_change_deadband, setup, teardown),
                cmocka_unit_test_setup_teardown(test_offline_comm_lost, setup, teardown),
                cmocka_unit_test_setup_teardown(test_control_functions, setup, teardown),
                cmocka_unit_test_setup_teardown(test_control_two_channels, setup, teardown),
                cmocka_unit_test_setup_teardown(test_control_failures, setup, teardown),
                cmocka_unit_test_setup_teardown(test_control_latency, setup, teardown),
                cmocka_unit_test_setup_teardown(test_control_unmapped_iin22_select_timeout, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_freeze_two_channels, setup_freeze, teardown),
                cmocka_unit_test_setup_teardown(test_freeze_functions_and_ranges, setup_freeze,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_freeze_failures, setup_freeze, teardown),
                cmocka_unit_test_setup_teardown(test_freeze_refresh_shows_device_values,
                                                setup_freeze, teardown),
                cmocka_unit_test_setup_teardown(test_hold_ends_on_upstream_expiry, setup_hold,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_hold_ends_on_upstream_request, setup_hold,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_hold_ends_on_unforwarded_operate, setup_hold,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_hold_none_for_broadcast_select, setup_hold,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_hold_none_without_selection, setup_hold,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_flooding_device_loses_its_own, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
