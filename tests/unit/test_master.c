/* SPDX-License-Identifier: MIT */
/*
 * Master channel + devices against scripted fake outstations on a simulated
 * clock (master_sim.h).  Request APDUs are checked byte for byte against
 * the encodings IEEE 1815-2012 prescribes (hand-assembled below).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "link_frames.h"
#include "master_sim.h"

static const struct master_cmd_obj two_objs[2] = {
        { .group = 12, .var = 1,
          .v = { .index = 3, .v.crob = { .code = 0x03, .count = 1, .on_ms = 100, .off_ms = 0 } } },
        { .group = 41, .var = 2, .v = { .index = 1, .v.ao = { .value = 1234 } } },
};

#define TWO_OBJS " 0C 01 28 01 00 03 00 03 01 64 00 00 00 00 00 00 00 00 29 02 28 01 00 01 00 D2 04 00"

/* One device, started and idle (DISABLE_UNSOL + integrity poll done). */
static void one_dev_started(struct master_dev_cfg *cfg, unsigned retries)
{
        sim_setup(cfg, 1, retries);
        sim_open();
        assert_int_equal(master_dev_get_state(S.md[0]), MASTER_DEV_ONLINE);
}

static void test_startup_lan(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.time_sync = MASTER_TSYNC_LAN;
        sim_setup(&cfg, 1, 1);
        S.dev[0].iin = APP_IIN_DEVICE_RESTART | APP_IIN_NEED_TIME;
        S.dev[0].latency = 100;
        sim_open();
        sim_run_until(10000);

        assert_int_equal(S.nlog, 5);
        assert_true(sim_apdu_is(&S.log[0], "C0 15 3C 02 06 3C 03 06 3C 04 06"));
        assert_true(sim_apdu_is(&S.log[1], "C1 02 50 01 00 07 07 00"));
        assert_true(sim_apdu_is(&S.log[2], INTEGRITY_REQ("C2")));
        assert_true(sim_apdu_is(&S.log[3], "C3 18"));
        /* g50v3 = wall time when the RECORD_CURRENT_TIME left (t = 300 ms) */
        assert_true(sim_apdu_is(&S.log[4], "C4 02 32 03 07 01 2C 69 E5 CF 8B 01"));
        assert_int_equal(S.log[3].at, 300);

        assert_int_equal(S.nst, 1);
        assert_int_equal(S.st[0].s, MASTER_DEV_ONLINE);
        assert_int_equal(S.st[0].at, 100);

        assert_int_equal(S.nmeas, 2);
        assert_int_equal(S.meas[0].type, DNP_TYPE_AI);
        assert_int_equal(S.meas[0].v.index, 0);
        assert_true(S.meas[0].v.v.analog == 101.0);
        assert_int_equal(S.meas[0].v.flags, 0x01);
        assert_false(S.meas[0].device_time);
        assert_false(S.meas[0].event);
        assert_int_equal(S.meas[0].v.time, (uint64_t)SIM_WALL + 300);
        assert_int_equal(S.meas[1].v.index, 1);
        assert_true(S.meas[1].v.v.analog == 200.0);

        assert_int_equal(S.dev[0].iin, 0);
        /* nothing scheduled: no wake-up at all */
        assert_true(master_chan_deadline(S.ch) == DNP_NEVER);
        assert_int_equal(S.timer_calls, 1);
        sim_teardown();
}

static void test_startup_unsol_write(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.unsolicited = true;
        cfg.time_sync = MASTER_TSYNC_WRITE;
        cfg.measure_delay = true;
        sim_setup(&cfg, 1, 1);
        S.dev[0].iin = APP_IIN_DEVICE_RESTART;
        S.dev[0].latency = 40;
        S.dev[0].delay_ms = 10;
        sim_open();
        sim_run_until(10000);

        assert_int_equal(S.nlog, 5);
        assert_true(sim_apdu_is(&S.log[0], INTEGRITY_REQ("C0")));
        assert_true(sim_apdu_is(&S.log[1], "C1 02 50 01 00 07 07 00"));
        assert_true(sim_apdu_is(&S.log[2], "C2 14 3C 02 06 3C 03 06 3C 04 06"));
        assert_true(sim_apdu_is(&S.log[3], "C3 17"));
        /* wall(160) + (40 - 10) / 2 */
        assert_true(sim_apdu_is(&S.log[4], "C4 02 32 01 07 01 AF 68 E5 CF 8B 01"));
        assert_int_equal(S.log[4].at, 160);
        assert_true(master_chan_deadline(S.ch) == DNP_NEVER);
        sim_teardown();
}

static void test_startup_order_write_no_delay(void **state)
{
        (void)state;
        /* only some classes enabled; the delay arithmetic clamps at 0 */
        assert_int_equal(master_req_tsync_delay(40, 10), 15);
        assert_int_equal(master_req_tsync_delay(10, 40), 0);
        uint8_t b[32];
        size_t n;
        assert_int_equal(master_req_unsol(b, sizeof(b), 5, true, MASTER_CLASS1 | MASTER_CLASS3, &n), 0);
        assert_int_equal(n, 8);
        const uint8_t want[] = { 0xC5, 0x14, 0x3C, 0x02, 0x06, 0x3C, 0x04, 0x06 };
        assert_memory_equal(b, want, n);
        assert_int_equal(master_req_confirm(b, sizeof(b), 7, true, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(b[0], 0xD7);
        assert_int_equal(b[1], 0x00);
}

static void test_poll_schedule_hours(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.integrity_ms = 3600000;
        cfg.class_ms[0] = 10000;
        cfg.class_ms[1] = 60000;
        cfg.class_ms[2] = 600000;
        sim_setup(&cfg, 1, 1);
        sim_open();
        sim_run_until(7200000);

        size_t c[4] = { 0 }, integ = 0;
        for (size_t i = 0; i < S.nlog; i++) {
                const struct sim_req *r = &S.log[i];
                if (r->apdu[1] != APP_FUNC_READ)
                        continue;
                if (r->len == 14)
                        integ++;
                else if (r->len == 5)
                        c[r->apdu[3] - 1]++;
        }
        assert_int_equal(integ, 3);             /* t = 0, 3600 s, 7200 s */
        assert_int_equal(c[1], 720);            /* every 10 s from 10 s */
        assert_int_equal(c[2], 120);
        assert_int_equal(c[3], 12);
        assert_int_equal(sim_count_func(10, APP_FUNC_READ), 3 + 720 + 120 + 12);
        assert_int_equal(sim_count_func(10, APP_FUNC_DISABLE_UNSOLICITED), 1);
        /* wake-ups: t = 0, then one per 10 s slot; none in between */
        assert_int_equal(S.timer_calls, 1 + 720);
        assert_int_equal(master_chan_deadline(S.ch), 7210000);
        sim_teardown();
}

/* Build a response fragment with one g30v1 value at index idx. */
static size_t frag(uint8_t *buf, bool fir, bool fin, bool con, uint32_t idx, double val)
{
        struct apdu_wr a;
        const struct apdu_hdr h = { .fir = fir, .fin = fin, .con = con, .func = APP_FUNC_RESPONSE };
        apdu_wr_init(&a, buf, 600, &h);
        apdu_wr_begin(&a, 30, 1, OBJ_QUAL_RANGE16, idx);
        struct dnp_value v = { .index = idx, .flags = 1, .v.analog = val };
        apdu_wr_value(&a, &v);
        apdu_wr_end(&a);
        return apdu_wr_len(&a);
}

/* Device 10 started and idle, answering 50 ms after a request. */
static struct sim_dev *one_dev_slow(void)
{
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        one_dev_started(&cfg, 1);
        S.dev[0].latency = 50;
        return &S.dev[0];
}

static void test_multi_fragment_confirm(void **state)
{
        (void)state;
        struct sim_dev *d = one_dev_slow();
        d->script_len[0] = frag(d->script[0], true, false, true, 0, 1);
        d->script_len[1] = frag(d->script[1], false, false, true, 1, 2);
        d->script_len[2] = frag(d->script[2], false, true, true, 2, 3);
        d->nscript = 3;
        size_t base = S.nlog, mbase = S.nmeas;
        master_dev_demand(S.md[0], MASTER_TASK_INTEGRITY, S.now);
        sim_run_until(S.now + 1000);

        /* request seq 2; fragments 2, 3, 4 confirmed with their sequence */
        assert_int_equal(S.nlog - base, 4);
        assert_true(sim_apdu_is(&S.log[base], INTEGRITY_REQ("C2")));
        assert_true(sim_apdu_is(&S.log[base + 1], "C2 00"));
        assert_true(sim_apdu_is(&S.log[base + 2], "C3 00"));
        assert_true(sim_apdu_is(&S.log[base + 3], "C4 00"));
        assert_int_equal(S.nmeas - mbase, 3);
        assert_int_equal(S.meas[mbase + 2].v.index, 2);
        assert_true(S.meas[mbase + 2].v.v.analog == 3.0);
        assert_int_equal(master_dev_get_stats(S.md[0])->tasks[MASTER_TASK_INTEGRITY], 2);

        /* a fragment with a wrong sequence is ignored, the poll times out and is retried */
        d->script_len[0] = frag(d->script[0], true, false, true, 0, 1);
        d->script_len[1] = frag(d->script[1], false, true, true, 1, 2);
        d->script_skew[1] = 1;  /* skips one */
        d->nscript = 2;
        base = S.nlog;
        master_dev_demand(S.md[0], MASTER_TASK_INTEGRITY, S.now);
        sim_run_until(S.now + 10);      /* request at now, answers at +50 */
        sim_run_until(S.now + 100);
        assert_int_equal(S.nlog - base, 2);     /* request + first confirm only */
        assert_true(sim_apdu_is(&S.log[base + 1], "C3 00"));
        assert_int_equal(master_dev_get_stats(S.md[0])->unexpected, 1);
        sim_run_until(S.now + 5000);
        /* timeout at +2000: the same request again (same sequence), then a normal answer */
        assert_true(sim_apdu_is(&S.log[base + 2], INTEGRITY_REQ("C3")));
        assert_int_equal(master_dev_get_stats(S.md[0])->retries, 1);
        assert_int_equal(master_dev_get_stats(S.md[0])->tasks[MASTER_TASK_INTEGRITY], 3);
        sim_teardown();
}

static size_t unsol_apdu(uint8_t *buf, uint8_t seq, uint32_t idx, bool bit)
{
        struct apdu_wr a;
        const struct apdu_hdr h = { .fir = true, .fin = true, .con = true, .uns = true,
                                    .seq = seq, .func = APP_FUNC_UNSOLICITED_RESPONSE };
        apdu_wr_init(&a, buf, 600, &h);
        apdu_wr_begin(&a, 2, 2, OBJ_QUAL_INDEX16, 0);
        struct dnp_value v = { .index = idx, .flags = (uint8_t)(0x01 | (bit ? 0x80 : 0)),
                               .time_kind = DNP_TIME_ABS, .time = 1600000000123, .v.bit = bit };
        apdu_wr_value(&a, &v);
        apdu_wr_end(&a);
        return apdu_wr_len(&a);
}

static void test_unsolicited(void **state)
{
        (void)state;
        struct master_dev_cfg cfg[2] = { sim_dev_cfg(10), sim_dev_cfg(11) };
        cfg[0].unsolicited = true;
        sim_setup(cfg, 2, 1);
        sim_open();
        assert_int_equal(S.dev[0].funcs[APP_FUNC_ENABLE_UNSOLICITED], 1);
        assert_int_equal(S.dev[1].funcs[APP_FUNC_DISABLE_UNSOLICITED], 1);

        uint8_t u[600];
        size_t n = unsol_apdu(u, 5, 7, true);
        size_t base = S.nlog, mbase = S.nmeas;
        sim_inject(&S.dev[0], u, n);
        assert_int_equal(S.nlog - base, 1);
        assert_int_equal(S.log[base].addr, 10);
        assert_true(sim_apdu_is(&S.log[base], "D5 00"));
        assert_int_equal(S.nmeas - mbase, 1);
        const struct master_meas *m = &S.meas[mbase];
        assert_int_equal(m->type, DNP_TYPE_BI);
        assert_true(m->event);
        assert_true(m->unsolicited);
        assert_true(m->device_time);
        assert_int_equal(m->v.time, 1600000000123);
        assert_int_equal(m->v.index, 7);
        assert_true(m->v.v.bit);
        assert_int_equal(m->v.flags, 0x81);

        /* the same fragment again (our confirm was lost): confirmed, not delivered */
        sim_inject(&S.dev[0], u, n);
        assert_int_equal(S.nlog - base, 2);
        assert_true(sim_apdu_is(&S.log[base + 1], "D5 00"));
        assert_int_equal(S.nmeas - mbase, 1);
        assert_int_equal(master_dev_get_stats(S.md[0])->unsol_duplicates, 1);

        /* next sequence with other content: delivered */
        n = unsol_apdu(u, 6, 8, false);
        sim_inject(&S.dev[0], u, n);
        assert_true(sim_apdu_is(&S.log[base + 2], "D6 00"));
        assert_int_equal(S.nmeas - mbase, 2);

        /* device 11 has unsolicited disabled: not confirmed, not delivered, reported */
        size_t dbase = S.ndiag;
        n = unsol_apdu(u, 1, 0, true);
        sim_inject(&S.dev[1], u, n);
        assert_int_equal(S.nlog - base, 3);
        assert_int_equal(S.nmeas - mbase, 2);
        assert_int_equal(S.ndiag - dbase, 1);
        assert_int_equal(S.diag[dbase].kind, MASTER_DIAG_UNSOL_REJECTED);
        assert_ptr_equal(S.diag[dbase].dev, S.md[1]);
        sim_teardown();
}

static void test_sbo_success(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        one_dev_started(&cfg, 1);
        S.dev[0].latency = 30;
        uint32_t id;
        size_t base = S.nlog;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_SBO, two_objs, 2, sim_cmd_cb, &S,
                                            S.now, &id), 0);
        assert_int_equal(S.ncmd, 0);
        assert_int_equal(master_chan_deadline(S.ch), S.now);
        uint64_t t0 = S.now;
        sim_run_until(S.now + 1000);
        assert_int_equal(S.nlog - base, 2);
        assert_true(sim_apdu_is(&S.log[base], "C2 03" TWO_OBJS));
        assert_true(sim_apdu_is(&S.log[base + 1], "C3 04" TWO_OBJS));
        assert_int_equal(S.log[base + 1].at, t0 + 30);
        assert_int_equal(S.ncmd, 1);
        assert_int_equal(S.cmd_at[0], t0 + 60);
        assert_int_equal(S.cmd[0].id, id);
        assert_true(S.cmd[0].ok);
        assert_int_equal(S.cmd[0].n, 2);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(S.cmd[0].objs[i].res, MASTER_CMD_RES_OK);
                assert_int_equal(S.cmd[0].objs[i].status, DNP_CMD_SUCCESS);
        }
        sim_teardown();
}

static void test_sbo_select_fails(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        one_dev_started(&cfg, 1);
        S.dev[0].select_status = DNP_CMD_LOCAL;
        uint32_t id;
        size_t base = S.nlog;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_SBO, two_objs, 2, sim_cmd_cb, &S,
                                            S.now, &id), 0);
        sim_run_until(S.now + 5000);
        assert_int_equal(S.nlog - base, 1);     /* no OPERATE */
        assert_int_equal(S.dev[0].funcs[APP_FUNC_OPERATE], 0);
        assert_int_equal(S.ncmd, 1);
        assert_false(S.cmd[0].ok);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(S.cmd[0].objs[i].res, MASTER_CMD_RES_NOT_OPERATED);
                assert_int_equal(S.cmd[0].objs[i].status, DNP_CMD_LOCAL);
        }
        sim_teardown();
}

static void test_echo_mismatch_and_missing(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        one_dev_started(&cfg, 1);
        uint32_t id;
        /* SBO whose SELECT echo differs: no OPERATE */
        S.dev[0].corrupt_echo = true;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_SBO, two_objs, 2, sim_cmd_cb, &S,
                                            S.now, &id), 0);
        sim_run_until(S.now + 100);
        assert_int_equal(S.dev[0].funcs[APP_FUNC_OPERATE], 0);
        assert_int_equal(S.ncmd, 1);
        assert_false(S.cmd[0].ok);
        assert_int_equal(S.cmd[0].objs[0].res, MASTER_CMD_RES_ECHO_MISMATCH);
        assert_int_equal(S.cmd[0].objs[0].status, DNP_CMD_DOWNSTREAM_FAIL);
        assert_int_equal(S.cmd[0].objs[1].res, MASTER_CMD_RES_NOT_OPERATED);
        assert_int_equal(S.cmd[0].objs[1].status, DNP_CMD_SUCCESS);

        /* DIRECT_OPERATE with an analog echo that differs */
        S.dev[0].corrupt_echo = true;
        size_t base = S.nlog;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, &two_objs[1], 1,
                                            sim_cmd_cb, &S, S.now, &id), 0);
        sim_run_until(S.now + 100);
        assert_true(sim_apdu_is(&S.log[base], "C3 05 29 02 28 01 00 01 00 D2 04 00"));
        assert_int_equal(S.ncmd, 2);
        assert_false(S.cmd[1].ok);
        assert_int_equal(S.cmd[1].objs[0].res, MASTER_CMD_RES_ECHO_MISMATCH);

        /* DIRECT_OPERATE answered with only the first object */
        S.dev[0].corrupt_echo = false;
        S.dev[0].short_echo = true;
        S.dev[0].operate_status = DNP_CMD_SUCCESS;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, two_objs, 2, sim_cmd_cb,
                                            &S, S.now, &id), 0);
        sim_run_until(S.now + 100);
        assert_int_equal(S.ncmd, 3);
        assert_false(S.cmd[2].ok);
        assert_int_equal(S.cmd[2].objs[0].res, MASTER_CMD_RES_OK);
        assert_int_equal(S.cmd[2].objs[0].status, DNP_CMD_SUCCESS);
        assert_int_equal(S.cmd[2].objs[1].res, MASTER_CMD_RES_MISSING);
        assert_int_equal(S.cmd[2].objs[1].status, DNP_CMD_DOWNSTREAM_FAIL);

        /* the device's own failure status comes back as OK + that status */
        S.dev[0].short_echo = false;
        S.dev[0].operate_status = DNP_CMD_HARDWARE_ERROR;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, two_objs, 2, sim_cmd_cb,
                                            &S, S.now, &id), 0);
        sim_run_until(S.now + 100);
        assert_int_equal(S.ncmd, 4);
        assert_false(S.cmd[3].ok);
        assert_int_equal(S.cmd[3].objs[1].res, MASTER_CMD_RES_OK);
        assert_int_equal(S.cmd[3].objs[1].status, DNP_CMD_HARDWARE_ERROR);
        sim_teardown();
}

static void test_direct_operate_nr(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.class_ms[0] = 1000;
        one_dev_started(&cfg, 1);
        uint32_t id;
        size_t base = S.nlog;
        uint64_t t0 = S.now;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT_NR, two_objs, 1,
                                            sim_cmd_cb, &S, S.now, &id), 0);
        sim_run_until(S.now);
        assert_int_equal(S.nlog - base, 1);
        assert_true(sim_apdu_is(&S.log[base],
                                "C2 06 0C 01 28 01 00 03 00 03 01 64 00 00 00 00 00 00 00 00"));
        assert_int_equal(S.ncmd, 1);
        assert_int_equal(S.cmd_at[0], t0);
        assert_true(S.cmd[0].ok);
        assert_int_equal(S.cmd[0].objs[0].res, MASTER_CMD_RES_SENT);
        /* the channel is free at once: the class poll follows on schedule */
        sim_run_until(t0 + 1000);
        assert_int_equal(S.nlog - base, 2);
        assert_true(sim_apdu_is(&S.log[base + 1], "C3 01 3C 02 06"));
        assert_int_equal(master_dev_get_stats(S.md[0])->timeouts, 0);
        sim_teardown();
}

static void test_comm_fail_and_recovery(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.class_ms[0] = 10000;
        one_dev_started(&cfg, 1);       /* timeout 2 s, 1 retry, comm_fail_after 3 */
        S.dev[0].silent = true;
        size_t base = S.nlog;
        sim_run_until(33999);
        assert_int_equal(S.nst, 1);
        sim_run_until(34000);
        /* 3 transactions x 2 attempts x 2 s: offline at 30 + 4 s */
        assert_int_equal(S.nst, 2);
        assert_int_equal(S.st[1].s, MASTER_DEV_OFFLINE);
        assert_int_equal(S.st[1].at, 34000);
        assert_int_equal(S.nlog - base, 6);
        assert_true(sim_apdu_is(&S.log[base], "C2 01 3C 02 06"));
        assert_true(sim_apdu_is(&S.log[base + 1], "C2 01 3C 02 06"));
        assert_int_equal(S.log[base + 1].at, 12000);
        assert_true(sim_apdu_is(&S.log[base + 5], "C4 01 3C 02 06"));

        uint32_t id;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, two_objs, 1, sim_cmd_cb,
                                            &S, S.now, &id), -ENOTCONN);

        /* offline: one probe (the integrity poll) every offline_retry_ms */
        sim_run_until(50000);
        assert_int_equal(S.nlog - base, 8);
        assert_int_equal(S.log[base + 6].at, 44000);
        assert_true(sim_apdu_is(&S.log[base + 6], INTEGRITY_REQ("C5")));
        S.dev[0].silent = false;
        sim_run_until(58000);
        assert_int_equal(S.nst, 3);
        assert_int_equal(S.st[2].s, MASTER_DEV_ONLINE);
        assert_int_equal(S.st[2].at, 58000);
        assert_true(sim_apdu_is(&S.log[base + 8], INTEGRITY_REQ("C6")));
        assert_int_equal(S.log[base + 8].at, 58000);
        /* the class poll that was due meanwhile runs right after, then on schedule */
        assert_true(sim_apdu_is(&S.log[base + 9], "C7 01 3C 02 06"));
        sim_run_until(60000);
        assert_int_equal(S.nlog - base, 11);
        assert_int_equal(S.log[base + 10].at, 60000);
        assert_int_equal(master_dev_get_stats(S.md[0])->offline_events, 1);
        sim_teardown();
}

static void test_iin_triggers(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.class_ms[0] = 10000;
        one_dev_started(&cfg, 1);
        size_t base = S.nlog;
        S.dev[0].iin = APP_IIN_EVENT_BUFFER_OVERFLOW;
        sim_run_until(10000);
        assert_int_equal(S.nlog - base, 2);
        assert_true(sim_apdu_is(&S.log[base], "C2 01 3C 02 06"));
        assert_true(sim_apdu_is(&S.log[base + 1], INTEGRITY_REQ("C3")));
        /* still set: no new integrity poll (edge, not level) */
        sim_run_until(20000);
        assert_int_equal(S.nlog - base, 3);

        S.dev[0].iin = APP_IIN_DEVICE_RESTART;
        sim_run_until(30000);
        assert_int_equal(S.nlog - base, 7);
        assert_true(sim_apdu_is(&S.log[base + 3], "C5 01 3C 02 06"));
        assert_true(sim_apdu_is(&S.log[base + 4], "C6 02 50 01 00 07 07 00"));
        assert_true(sim_apdu_is(&S.log[base + 5], "C7 15 3C 02 06 3C 03 06 3C 04 06"));
        assert_true(sim_apdu_is(&S.log[base + 6], INTEGRITY_REQ("C8")));

        /* IIN2.1 answered to a request: reported with the function and the objects */
        size_t dbase = S.ndiag;
        S.dev[0].iin = APP_IIN_OBJECT_UNKNOWN;
        sim_run_until(40000);
        assert_int_equal(S.ndiag - dbase, 1);
        assert_int_equal(S.diag[dbase].kind, MASTER_DIAG_REFUSED);
        assert_int_equal(S.diag[dbase].func, APP_FUNC_READ);
        assert_int_equal(S.diag[dbase].nobjs, 1);
        assert_int_equal(S.diag[dbase].objs[0].group, 60);
        assert_int_equal(S.diag[dbase].objs[0].var, 2);
        sim_teardown();
}

static void test_multidrop_three(void **state)
{
        (void)state;
        struct master_dev_cfg cfg[3] = { sim_dev_cfg(10), sim_dev_cfg(11), sim_dev_cfg(12) };
        for (int i = 0; i < 3; i++)
                cfg[i].class_ms[0] = 10000;
        sim_setup(cfg, 3, 1);
        for (int i = 0; i < 3; i++)
                S.dev[i].latency = 25;
        master_chan_up(S.ch, 0);
        sim_run_until(30100);

        /* startup rounds then class polls, round-robin, one transaction at a time */
        assert_int_equal(S.overlap, 0);
        assert_int_equal(S.nlog, 3 * 2 + 3 * 3);
        static const uint16_t order[] = { 10, 11, 12 };
        for (size_t i = 0; i < S.nlog; i++) {
                assert_int_equal(S.log[i].addr, order[i % 3]);
                assert_int_equal(S.log[i].at % 10000, (i % 3) * 25 + (i < 6 ? (i / 3) * 75 : 0));
        }
        assert_int_equal(S.log[0].apdu[1], APP_FUNC_DISABLE_UNSOLICITED);
        assert_int_equal(S.log[3].apdu[1], APP_FUNC_READ);
        assert_int_equal(S.log[6].at, 10000);

        /* a control on the last device goes before the other devices' polls */
        uint32_t id;
        assert_int_equal(master_dev_control(S.md[2], MASTER_CMD_DIRECT, two_objs, 1, sim_cmd_cb,
                                            &S, 39990, &id), 0);
        S.now = 39990;
        size_t base = S.nlog;
        sim_run_until(40200);
        assert_int_equal(S.log[base].addr, 12);
        assert_int_equal(S.log[base].apdu[1], APP_FUNC_DIRECT_OPERATE);
        assert_int_equal(S.log[base + 1].addr, 10);
        assert_int_equal(S.log[base + 1].at, 40015);
        assert_int_equal(S.log[base + 2].addr, 11);
        assert_int_equal(S.log[base + 3].addr, 12);
        assert_int_equal(S.overlap, 0);

        /* frames that are not ours: counted and reported, never delivered */
        uint8_t buf[600], apdu[4] = { 0xC0, 0x81, 0x00, 0x00 };
        size_t dbase = S.ndiag;
        size_t n = sim_frames(&S.dev[0], apdu, 4, buf, sizeof(buf), false, 2, 10);
        master_chan_rx(S.ch, buf, n, S.now);
        n = sim_frames(&S.dev[0], apdu, 4, buf, sizeof(buf), false, SIM_MASTER, 99);
        master_chan_rx(S.ch, buf, n, S.now);
        n = sim_frames(&S.dev[0], apdu, 4, buf, sizeof(buf), true, SIM_MASTER, 10);
        master_chan_rx(S.ch, buf, n, S.now);
        assert_int_equal(S.ndiag - dbase, 3);
        assert_int_equal(S.diag[dbase].kind, MASTER_DIAG_OTHER_DEST);
        assert_int_equal(S.diag[dbase].dest, 2);
        assert_int_equal(S.diag[dbase + 1].kind, MASTER_DIAG_OTHER_SRC);
        assert_int_equal(S.diag[dbase + 1].src, 99);
        assert_int_equal(S.diag[dbase + 2].kind, MASTER_DIAG_WRONG_DIR);
        const struct master_chan_stats *cs = master_chan_get_stats(S.ch);
        assert_int_equal(cs->other_dest, 1);
        assert_int_equal(cs->other_src, 1);
        assert_int_equal(cs->wrong_dir, 1);
        sim_teardown();
}

static void test_control_timeout_and_close(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.control_timeout_ms = 3000;
        cfg.comm_fail_after = 5;
        one_dev_started(&cfg, 1);
        S.dev[0].silent = true;
        uint32_t id;
        uint64_t t0 = S.now;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_SBO, two_objs, 2, sim_cmd_cb, &S,
                                            S.now, &id), 0);
        sim_run_until(t0 + 2999);
        assert_int_equal(S.ncmd, 0);
        sim_run_until(t0 + 3000);
        assert_int_equal(S.ncmd, 1);
        assert_int_equal(S.cmd[0].objs[0].res, MASTER_CMD_RES_TIMEOUT);
        assert_int_equal(S.cmd[0].objs[0].status, DNP_CMD_DOWNSTREAM_FAIL);
        /* the SELECT answered late is not followed by an OPERATE */
        S.dev[0].silent = false;
        sim_run_until(t0 + 10000);
        assert_int_equal(S.dev[0].funcs[APP_FUNC_OPERATE], 0);
        assert_int_equal(S.ncmd, 1);

        /* channel closed: queued control fails, device offline, no deadline */
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, two_objs, 2, sim_cmd_cb,
                                            &S, S.now, &id), 0);
        master_chan_down(S.ch, S.now);
        assert_int_equal(S.ncmd, 2);
        assert_int_equal(S.cmd[1].objs[1].res, MASTER_CMD_RES_OFFLINE);
        assert_int_equal(master_dev_get_state(S.md[0]), MASTER_DEV_OFFLINE);
        assert_true(master_chan_deadline(S.ch) == DNP_NEVER);
        /* reopened: integrity poll, back online */
        size_t base = S.nlog;
        master_chan_up(S.ch, S.now);
        sim_run_until(S.now + 100);
        assert_int_equal(S.log[base].apdu[1], APP_FUNC_READ);
        assert_int_equal(S.log[base].len, 14);
        assert_int_equal(master_dev_get_state(S.md[0]), MASTER_DEV_ONLINE);
        sim_teardown();
}

static void test_link_confirmed(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.class_ms[0] = 10000;
        sim_link_confirm = true;
        sim_setup(&cfg, 1, 1);
        sim_link_confirm = false;
        S.dev[0].latency = 20;
        sim_open();
        sim_run_until(20000);
        /* same application exchange; one link reset, then confirmed frames with FCB 1, 0, 1... */
        assert_int_equal(S.nlog, 4);
        assert_true(sim_apdu_is(&S.log[0], "C0 15 3C 02 06 3C 03 06 3C 04 06"));
        assert_true(sim_apdu_is(&S.log[1], INTEGRITY_REQ("C1")));
        assert_true(sim_apdu_is(&S.log[2], "C2 01 3C 02 06"));
        assert_int_equal(S.log[2].at, 10000);
        assert_int_equal(S.link_resets, 1);
        assert_int_equal(S.link_confirmed, 4);
        assert_int_equal(S.link_unconfirmed, 0);
        assert_int_equal(S.fcb_errors, 0);
        assert_int_equal(master_dev_get_stats(S.md[0])->timeouts, 0);
        assert_true(master_dev_get_state(S.md[0]) == MASTER_DEV_ONLINE);
        sim_teardown();
}

/* ---- response timer from the wire (byte_time_us) ---- */

#define BT_9600 1146u   /* 11 bits at 9600 baud, us */

/* A response of exactly 2048 bytes: 679 x g30v2 (range 0..678). */
static size_t big_rsp(uint8_t *buf, uint8_t seq)
{
        struct apdu_wr a;
        const struct apdu_hdr h = { .fir = true, .fin = true, .seq = seq, .func = APP_FUNC_RESPONSE };
        apdu_wr_init(&a, buf, 2048, &h);
        apdu_wr_begin(&a, 30, 2, OBJ_QUAL_RANGE16, 0);
        for (uint32_t i = 0; i < 679; i++) {
                struct dnp_value v = { .index = i, .flags = 1, .v.analog = (double)i };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        apdu_wr_end(&a);
        return apdu_wr_len(&a);
}

/* Move the clock to `at`, firing the master's timer on the way (and pumping its output). */
static void clock_to(uint64_t at)
{
        uint64_t dl;
        while ((dl = master_chan_deadline(S.ch)) <= at) {
                S.now = dl > S.now ? dl : S.now;
                S.timer_calls++;
                master_chan_timer(S.ch, S.now);
                sim_pump();
        }
        S.now = at;
}

/*
 * Deliver the link frames of an APDU from dev 0 one by one, each at the time
 * its last byte arrives at 9600 baud, starting at t; at most max_frames.
 * Returns the arrival time of the last frame delivered.
 */
static uint64_t deliver_slowly(const uint8_t *apdu, size_t len, uint64_t t, size_t max_frames,
                               size_t *ret_frames)
{
        static uint8_t wire[4096];
        size_t n = sim_frames(&S.dev[0], apdu, len, wire, sizeof(wire), false, SIM_MASTER, 10);
        size_t off = 0, frames = 0;
        uint64_t bytes_us = 0, at = t;
        while (off < n && frames < max_frames) {
                size_t data = (size_t)wire[off + 2] - 5;
                size_t flen = 10 + data + 2 * ((data + 15) / 16);
                bytes_us += (uint64_t)flen * BT_9600;
                at = t + bytes_us / 1000;
                clock_to(at);
                master_chan_rx(S.ch, wire + off, flen, S.now);
                sim_pump();
                off += flen;
                frames++;
        }
        *ret_frames = frames;
        return at;
}

static void test_response_timer_wire_time(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        sim_byte_time_us = BT_9600;
        sim_timeout_ms = 1000;
        sim_setup(&cfg, 1, 1);
        sim_byte_time_us = 0;
        sim_timeout_ms = 0;
        sim_open();
        assert_true(master_dev_get_state(S.md[0]) == MASTER_DEV_ONLINE);
        S.dev[0].silent = true;

        /* the integrity request is one 27-byte frame: 31 ms on the wire, then 1000 ms */
        size_t base = S.nlog;
        uint64_t t0 = S.now;
        master_dev_demand(S.md[0], MASTER_TASK_INTEGRITY, t0);
        clock_to(t0);
        assert_int_equal(S.nlog - base, 1);
        assert_true(sim_apdu_is(&S.log[base], INTEGRITY_REQ("C2")));
        assert_int_equal(master_chan_deadline(S.ch), t0 + 31 + 1000);

        /* 2048 bytes in 9 frames (8 x 292 + 75 = 2411 bytes, 2.76 s at 9600) from 100 ms later */
        uint8_t apdu[2048];
        size_t len = big_rsp(apdu, 2);
        assert_int_equal(len, 2048);
        size_t mbase = S.nmeas, frames;
        uint64_t end = deliver_slowly(apdu, len, t0 + 31 + 100, SIZE_MAX, &frames);
        assert_int_equal(frames, 9);
        assert_int_equal(end, t0 + 131 + 2763);
        assert_int_equal(S.nmeas - mbase, 679);
        /* the harness keeps the first 512 */
        assert_int_equal(S.meas[511].v.index, 511 - mbase);
        assert_true(S.meas[511].v.v.analog == (double)(511 - mbase));
        const struct master_dev_stats *st = master_dev_get_stats(S.md[0]);
        assert_int_equal(st->timeouts, 0);
        assert_int_equal(st->retries, 0);
        assert_int_equal(st->tasks[MASTER_TASK_INTEGRITY], 2);
        assert_int_equal(S.nlog - base, 1);

        /* the device stops after 3 frames: timeout exactly 1000 ms after the third, retry */
        base = S.nlog;
        uint64_t t1 = S.now + 5000;
        clock_to(t1);
        master_dev_demand(S.md[0], MASTER_TASK_INTEGRITY, t1);
        clock_to(t1);
        assert_int_equal(S.nlog - base, 1);
        len = big_rsp(apdu, 3);
        uint64_t last = deliver_slowly(apdu, len, t1 + 31 + 100, 3, &frames);
        assert_int_equal(frames, 3);
        assert_int_equal(master_chan_deadline(S.ch), last + 1000);
        clock_to(last + 1000);
        assert_int_equal(st->timeouts, 1);
        assert_int_equal(S.nlog - base, 2);
        assert_true(sim_apdu_is(&S.log[base + 1], INTEGRITY_REQ("C3")));
        assert_int_equal(S.log[base + 1].at, last + 1000);
        assert_int_equal(master_chan_deadline(S.ch), last + 1000 + 31 + 1000);
        sim_teardown();
}

/* ---- select hold (gateway pass-through of SELECT / OPERATE) ---- */

static const struct master_cmd_obj one_crob[1] = {
        { .group = 12, .var = 1,
          .v = { .index = 3, .v.crob = { .code = 0x03, .count = 1, .on_ms = 100, .off_ms = 0 } } },
};

#define ONE_CROB " 0C 01 28 01 00 03 00 03 01 64 00 00 00 00 00 00 00 00"

static void select_hold_run(uint64_t hold_ms)
{
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.class_ms[0] = 10000;
        cfg.select_hold_ms = hold_ms;
        one_dev_started(&cfg, 1);       /* C0 DISABLE_UNSOL, C1 integrity at t = 0 */
        S.dev[0].latency = 20;
        sim_run_until(9000);
        size_t base = S.nlog;
        uint32_t id;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_SELECT, one_crob, 1, sim_cmd_cb,
                                            &S, S.now, &id), 0);
        sim_run_until(12000);           /* the class 1 poll is due at 10000 */
        assert_int_equal(S.ncmd, 1);
        assert_true(S.cmd[0].ok);
        assert_int_equal(S.cmd[0].mode, MASTER_CMD_SELECT);
        assert_true(sim_apdu_is(&S.log[base], "C2 03" ONE_CROB));
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_OPERATE, one_crob, 1, sim_cmd_cb,
                                            &S, S.now, &id), 0);
        sim_run_until(13000);
        assert_int_equal(S.ncmd, 2);
        assert_true(S.cmd[1].ok);
}

static void test_select_hold(void **state)
{
        (void)state;
        select_hold_run(5000);
        size_t base = 2;
        /* SELECT seq 2 at 9000, nothing at 10000, OPERATE seq 3 at 12000, then the held poll */
        assert_int_equal(S.nlog, base + 3);
        assert_int_equal(S.log[base].at, 9000);
        assert_true(sim_apdu_is(&S.log[base + 1], "C3 04" ONE_CROB));
        assert_int_equal(S.log[base + 1].at, 12000);
        assert_true(sim_apdu_is(&S.log[base + 2], "C4 01 3C 02 06"));
        assert_int_equal(S.log[base + 2].at, 12020);
        /* the hold ended with the OPERATE: the next poll keeps the 10 s grid */
        sim_run_until(20000);
        assert_int_equal(S.nlog, base + 4);
        assert_int_equal(S.log[base + 3].at, 20000);

        /* a SELECT without OPERATE: polls resume when select_hold passes */
        size_t b2 = S.nlog;
        uint32_t id;
        sim_run_until(29000);
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_SELECT, one_crob, 1, sim_cmd_cb,
                                            &S, S.now, &id), 0);
        assert_int_equal(master_chan_deadline(S.ch), 29000);
        sim_run_until(29020);
        assert_int_equal(master_chan_deadline(S.ch), 29020 + 5000);
        sim_run_until(40000);
        assert_int_equal(S.nlog - b2, 3);
        assert_true(sim_apdu_is(&S.log[b2], "C6 03" ONE_CROB));
        assert_true(sim_apdu_is(&S.log[b2 + 1], "C7 01 3C 02 06"));
        assert_int_equal(S.log[b2 + 1].at, 29020 + 5000);
        assert_int_equal(S.log[b2 + 2].at, 40000);

        /* a failed SELECT holds nothing */
        S.dev[0].select_status = DNP_CMD_LOCAL;
        size_t b3 = S.nlog;
        sim_run_until(49000);
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_SELECT, one_crob, 1, sim_cmd_cb,
                                            &S, S.now, &id), 0);
        sim_run_until(50000);
        assert_int_equal(S.nlog - b3, 2);
        assert_int_equal(S.log[b3 + 1].at, 50000);
        assert_false(S.cmd[S.ncmd - 1].ok);
        sim_teardown();

        /* without select_hold the due poll goes between; the IED dropped its
         * selection on that request, so the OPERATE is selected again first:
         * SELECT seq 4 and OPERATE seq 5 back to back, never a lone OPERATE
         * two sequence numbers after its SELECT (NO_SELECT at a strict IED) */
        select_hold_run(0);
        assert_int_equal(S.nlog, base + 4);
        assert_true(sim_apdu_is(&S.log[base + 1], "C3 01 3C 02 06"));
        assert_int_equal(S.log[base + 1].at, 10000);
        assert_true(sim_apdu_is(&S.log[base + 2], "C4 03" ONE_CROB));
        assert_int_equal(S.log[base + 2].at, 12000);
        assert_true(sim_apdu_is(&S.log[base + 3], "C5 04" ONE_CROB));
        assert_int_equal(S.log[base + 3].at, 12020);
        assert_int_equal(S.cmd[1].mode, MASTER_CMD_OPERATE);
        sim_teardown();
}

/* ---- select hold: how it ends, and what the polls are owed ---- */

/* One device polling class 1 every class1_ms and integrity every integrity_ms,
 * answering in 20 ms, started (DISABLE_UNSOL at 0, integrity at 20, done at 40). */
static void hold_dev_started(uint64_t hold_ms, uint64_t class1_ms, uint64_t integrity_ms)
{
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.select_hold_ms = hold_ms;
        cfg.class_ms[0] = class1_ms;
        cfg.integrity_ms = integrity_ms;
        sim_setup(&cfg, 1, 1);
        S.dev[0].latency = 20;
        sim_open();
        sim_run_until(40);
        assert_int_equal(S.nlog, 2);
}

/* Request i of the log is `hex`, sent at `at`. */
static void req_at(size_t i, const char *hex, uint64_t at)
{
        assert_true(i < S.nlog);
        assert_true(sim_apdu_is(&S.log[i], hex));
        assert_int_equal(S.log[i].at, at);
}

static uint32_t queue_at(uint64_t at, enum master_cmd_mode mode)
{
        uint32_t id;
        S.now = at;
        assert_int_equal(master_dev_control(S.md[0], mode, one_crob, 1, sim_cmd_cb, &S, at, &id), 0);
        return id;
}

/*
 * IEEE 1815 select-before-operate through the gateway: the OPERATE must be
 * the next request after its SELECT, so the device's polls are held for it;
 * but a hold is short (select_hold_ms) and ends early when another control
 * comes first, and a hold that ends without its OPERATE lets the polls that
 * fell due run before the next control, so before the next SELECT's hold.
 */
static void test_select_hold_ends_and_owes(void **state)
{
        (void)state;
        hold_dev_started(500, 1000, 0);         /* class 1 due at 1000, 2000, ... */
        queue_at(950, MASTER_CMD_SELECT);
        sim_run_until(1450);
        assert_int_equal(S.nlog, 3);
        req_at(2, "C2 03" ONE_CROB, 950);
        /* the class 1 poll due at 1000 is held until 970 + 500 */
        assert_int_equal(master_chan_deadline(S.ch), 1470);

        /* a second SELECT before the hold ends: the hold ends now, the held poll goes
         * first, then the SELECT (which holds again, until 1490 + 500) */
        queue_at(1450, MASTER_CMD_SELECT);
        sim_run_until(2950);
        assert_int_equal(S.nlog, 6);
        req_at(3, "C3 01 3C 02 06", 1450);
        req_at(4, "C4 03" ONE_CROB, 1470);
        req_at(5, "C5 01 3C 02 06", 2000);    /* on its slot: the hold ended at 1990 */

        /* a hold that ends on its bound (2970 + 500) with a SELECT queued at that
         * very moment: the poll that fell due (3000) goes before the SELECT */
        queue_at(2950, MASTER_CMD_SELECT);
        sim_run_until(3469);
        assert_int_equal(S.nlog, 7);
        assert_int_equal(master_chan_deadline(S.ch), 3470);
        queue_at(3470, MASTER_CMD_SELECT);
        sim_run_until(3600);
        assert_int_equal(S.nlog, 9);
        assert_true(sim_apdu_is(&S.log[6], "C6 03" ONE_CROB));
        req_at(7, "C7 01 3C 02 06", 3470);
        req_at(8, "C8 03" ONE_CROB, 3490);

        /* the OPERATE ends the hold: sent at once with the next sequence, and the
         * poll due at 4000 runs on its slot, not at the bound (4010) */
        queue_at(3700, MASTER_CMD_OPERATE);
        sim_run_until(4500);
        assert_int_equal(S.nlog, 11);
        req_at(9, "C9 04" ONE_CROB, 3700);
        req_at(10, "CA 01 3C 02 06", 4000);
        assert_int_equal(S.ncmd, 5);
        for (size_t i = 0; i < 5; i++)
                assert_true(S.cmd[i].ok);
        assert_int_equal(S.cmd[4].mode, MASTER_CMD_OPERATE);
        assert_int_equal(S.cmd_at[4], 3720);
        assert_int_equal(S.overlap, 0);
        sim_teardown();
}

/* The gateway ends a hold when the upstream selection ends (superseded, expired):
 * at once, for that SELECT only; the OPERATE of a selection the device lost
 * since is selected again. */
static void test_select_end_releases(void **state)
{
        (void)state;
        hold_dev_started(5000, 1000, 0);
        uint32_t id = queue_at(950, MASTER_CMD_SELECT);
        sim_run_until(1200);
        assert_int_equal(master_chan_deadline(S.ch), 970 + 5000);
        master_dev_select_end(S.md[0], id + 1, 1200);   /* not the holding SELECT */
        assert_int_equal(master_chan_deadline(S.ch), 970 + 5000);
        S.now = 1300;
        master_dev_select_end(S.md[0], id, 1300);
        assert_int_equal(master_chan_deadline(S.ch), 1000);     /* the held poll: at once */
        sim_run_until(1399);
        assert_int_equal(S.nlog, 4);
        req_at(3, "C3 01 3C 02 06", 1300);
        /* the poll went to the device after the SELECT: SELECT + OPERATE, back to back */
        queue_at(1400, MASTER_CMD_OPERATE);
        sim_run_until(1500);
        assert_int_equal(S.nlog, 6);
        req_at(4, "C4 03" ONE_CROB, 1400);
        req_at(5, "C5 04" ONE_CROB, 1420);
        assert_int_equal(S.ncmd, 2);
        assert_true(S.cmd[1].ok);
        assert_int_equal(S.cmd[1].mode, MASTER_CMD_OPERATE);
        assert_int_equal(S.cmd_at[1], 1440);
        /* a late or repeated end changes nothing: the next poll keeps its slot */
        master_dev_select_end(S.md[0], id, 1500);
        assert_int_equal(master_chan_deadline(S.ch), 2000);
        sim_teardown();
}

static uint64_t stream_done;

static void stream_cb(void *ctx, struct master_dev *d, const struct master_cmd_result *r)
{
        (void)ctx;
        (void)d;
        assert_true(r->ok);
        stream_done = S.now;
}

/*
 * A SELECT stream with never an OPERATE, each SELECT queued the moment the
 * previous hold ends (the worst case): the integrity poll runs every period,
 * each time within one hold (500 ms) of its due time.
 */
static void test_select_stream_integrity(void **state)
{
        (void)state;
        hold_dev_started(500, 0, 2000);         /* integrity due at 2040 */
        uint32_t id;
        uint64_t at = 1900;
        unsigned selects = 0;
        while (at <= 10000) {
                sim_run_until(at - 1);
                S.now = at;
                assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_SELECT, one_crob, 1,
                                                    stream_cb, NULL, at, &id), 0);
                selects++;
                sim_run_until(at + 100);
                at = stream_done + 500;         /* the SELECT's hold ends then */
        }
        uint64_t integ[8];
        size_t n = 0;
        for (size_t i = 0; i < S.nlog; i++)
                if (S.log[i].apdu[1] == APP_FUNC_READ && n < 8)
                        integ[n++] = S.log[i].at;
        /* due 2040, 4440, 6540, 8640 (the period counts from the end of the poll) */
        assert_int_equal(n, 5);
        assert_int_equal(integ[0], 20);
        assert_int_equal(integ[1], 2420);       /* 380 ms late: the hold from 1920 */
        assert_int_equal(integ[2], 4520);       /* 80 ms late */
        assert_int_equal(integ[3], 6620);
        assert_int_equal(integ[4], 8720);
        /* at 1900, 2440 (after the poll), 2960, 3480, 4000, 4540, ... 9780 */
        assert_int_equal(selects, 16);
        assert_int_equal(sim_count_func(10, APP_FUNC_SELECT), 16);
        assert_int_equal(S.overlap, 0);
        sim_teardown();
}

static unsigned flood_left;

/*
 * One device polling class 1 every second, answering in 30 ms; from 500 on
 * it always has two requests of `func` queued: queue() queues one (true
 * when taken), and each one's result queues the next, 150 more in all
 * (until 500 + 152 x 30 = 5060).  Whatever goes before polls, never two in
 * a row past a due poll: each class poll runs within one such transaction
 * (30 ms) of its slot, never starved.
 */
static void flood_polls(uint8_t func, bool (*queue)(struct master_dev *d))
{
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.class_ms[0] = 1000;
        sim_setup(&cfg, 1, 1);
        S.dev[0].latency = 30;
        sim_open();
        sim_run_until(500);
        size_t base = S.nlog;
        flood_left = 150;
        for (int k = 0; k < 2; k++)
                assert_true(queue(S.md[0]));
        sim_run_until(4500);
        uint64_t polls[8];
        size_t n = 0, ops = 0;
        for (size_t i = base; i < S.nlog; i++) {
                if (S.log[i].apdu[1] == APP_FUNC_READ && n < 8)
                        polls[n++] = S.log[i].at;
                ops += S.log[i].apdu[1] == func;
        }
        assert_int_equal(n, 4);
        assert_int_equal(polls[0], 1010);       /* due 1000: after the request in flight */
        assert_int_equal(polls[1], 2000);
        assert_int_equal(polls[2], 3020);
        assert_int_equal(polls[3], 4010);
        assert_int_equal(ops, (4500 - 500) / 30 + 1 - 4);
        assert_int_equal(S.overlap, 0);
        sim_teardown();
}

static bool flood_control(struct master_dev *d);

static void flood_cb(void *ctx, struct master_dev *d, const struct master_cmd_result *r)
{
        (void)ctx;
        assert_true(r->ok);
        if (flood_left > 0 && flood_control(d))
                flood_left--;
}

static bool flood_control(struct master_dev *d)
{
        uint32_t id;
        return master_dev_control(d, MASTER_CMD_DIRECT, one_crob, 1, flood_cb, NULL, S.now,
                                  &id) == 0;
}

/*
 * Controls run before polls, but never two in a row past a due poll: a
 * flood of DIRECT_OPERATEs that always has the next one queued delays each
 * class poll by at most one control transaction (30 ms), never starves it.
 */
static void test_control_flood_polls(void **state)
{
        (void)state;
        flood_polls(APP_FUNC_DIRECT_OPERATE, flood_control);
}

/* ---- time sync: WRITE with and without delay measurement ---- */

static void test_tsync_write_modes(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.time_sync = MASTER_TSYNC_WRITE;
        cfg.time_sync_ms = 3600000;
        sim_setup(&cfg, 1, 1);
        S.dev[0].latency = 40;
        S.dev[0].delay_ms = 10;
        sim_open();
        sim_run_until(3600000 + 1000);
        /* no FC23: one WRITE g50v1 of the wall time when it is built (t = 80) */
        assert_int_equal(S.nlog, 4);
        assert_true(sim_apdu_is(&S.log[0], "C0 15 3C 02 06 3C 03 06 3C 04 06"));
        assert_true(sim_apdu_is(&S.log[1], INTEGRITY_REQ("C1")));
        assert_true(sim_apdu_is(&S.log[2], "C2 02 32 01 07 01 50 68 E5 CF 8B 01"));
        assert_int_equal(S.log[2].at, 80);
        assert_int_equal(S.dev[0].funcs[APP_FUNC_DELAY_MEASURE], 0);
        /* the period counts from the end of the task: 120 + 3600000 */
        assert_int_equal(S.log[3].at, 3600120);
        assert_int_equal(S.log[3].apdu[1], APP_FUNC_WRITE);
        assert_int_equal(master_dev_get_stats(S.md[0])->tasks[MASTER_TASK_TIME_SYNC], 2);
        sim_teardown();

        cfg.measure_delay = true;
        sim_setup(&cfg, 1, 1);
        S.dev[0].latency = 40;
        S.dev[0].delay_ms = 10;
        sim_open();
        sim_run_until(1000);
        /* FC23 at 80, answered at 120: WRITE wall(120) + (40 - 10) / 2 */
        assert_int_equal(S.nlog, 4);
        assert_true(sim_apdu_is(&S.log[2], "C2 17"));
        assert_int_equal(S.log[2].at, 80);
        assert_true(sim_apdu_is(&S.log[3], "C3 02 32 01 07 01 87 68 E5 CF 8B 01"));
        assert_int_equal(S.log[3].at, 120);
        assert_int_equal(S.dev[0].funcs[APP_FUNC_DELAY_MEASURE], 1);
        assert_int_equal(master_dev_get_stats(S.md[0])->tasks[MASTER_TASK_TIME_SYNC], 1);
        sim_teardown();
}

/* A port that cannot be opened at startup takes its devices offline once
 * (so the gateway flags their points COMM_LOST), like a lost port does. */
static void test_closed_before_open(void **state)
{
        (void)state;
        struct master_dev_cfg cfg[2] = { sim_dev_cfg(10), sim_dev_cfg(11) };
        sim_setup(cfg, 2, 1);
        assert_false(master_chan_is_open(S.ch));
        master_chan_down(S.ch, 1000);
        assert_int_equal(S.nst, 2);
        assert_ptr_equal(S.st[0].d, S.md[0]);
        assert_int_equal(S.st[0].s, MASTER_DEV_OFFLINE);
        assert_ptr_equal(S.st[1].d, S.md[1]);
        assert_int_equal(S.st[1].s, MASTER_DEV_OFFLINE);
        master_chan_down(S.ch, 2000);         /* still down: no new upcall */
        assert_int_equal(S.nst, 2);
        const uint8_t *q;
        size_t n = master_chan_output(S.ch, &q);
        assert_int_equal(n, 0);                 /* nothing sent on a closed port */
        assert_int_equal(master_chan_deadline(S.ch), DNP_NEVER);
        sim_teardown();
}

/* A DIRECT_OPERATE_NR that the output buffer cannot take (the line stalled)
 * was never sent: it must not be reported SENT with SUCCESS. */
static struct master_cmd_result nr_res;
static unsigned nr_calls;

static void nr_cb(void *ctx, struct master_dev *d, const struct master_cmd_result *r)
{
        (void)ctx;
        (void)d;
        nr_res = *r;
        nr_calls++;
}

static void test_nr_not_queued(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.integrity_ms = 0;
        cfg.comm_fail_after = 60000;            /* stays online through the stall */
        cfg.control_timeout_ms = 100000;
        sim_setup(&cfg, 1, 0);
        S.now = 1000;
        sim_open();
        sim_run_until(S.now + 5000);            /* startup answered by the scripted device */
        assert_int_equal(master_dev_get_state(S.md[0]), MASTER_DEV_ONLINE);

        /* the line stalls: nothing is written any more, timed-out polls fill the buffer */
        size_t before = 0, n = 0;
        const uint8_t *q;
        for (int k = 0; k < 400; k++) {
                master_dev_demand(S.md[0], MASTER_TASK_INTEGRITY, S.now);
                S.now += 2001;
                master_chan_timer(S.ch, S.now);
        }
        before = master_chan_output(S.ch, &q);
        assert_true(master_chan_get_stats(S.ch)->out_overflow > 0);

        struct master_cmd_obj o = { .group = 12, .var = 1,
                                    .v = { .index = 3, .v.crob = { .code = 0x41, .count = 1,
                                                                   .on_ms = 100 } } };
        uint32_t id;
        nr_calls = 0;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT_NR, &o, 1, nr_cb, NULL,
                                            S.now, &id), 0);
        for (int k = 0; k < 5 && !nr_calls; k++) {
                S.now += 2001;
                master_chan_timer(S.ch, S.now);
        }
        assert_int_equal(nr_calls, 1);
        n = master_chan_output(S.ch, &q);
        assert_int_equal(n, before);            /* the request is not in the buffer... */
        assert_false(nr_res.ok);                /* ...so it is not reported sent */
        assert_int_not_equal(nr_res.objs[0].res, MASTER_CMD_RES_SENT);
        assert_int_equal(nr_res.objs[0].status, DNP_CMD_DOWNSTREAM_FAIL);
        sim_teardown();
}

/* A control queued from the callback of one that timed out (the documented
 * contract allows it) is either refused (-EBUSY: the only slot still holds the
 * request in flight) or runs and is reported; never accepted and then lost. */
static struct master_cmd_result rq_res[4];
static unsigned rq_n;
static uint32_t rq_id2;
static int rq_rc;

static void rq_cb(void *ctx, struct master_dev *d, const struct master_cmd_result *r)
{
        (void)ctx;
        if (rq_n < 4)
                rq_res[rq_n] = *r;
        if (rq_n++ == 0) {
                S.dev[0].silent = false;        /* the device answers the next one */
                struct master_cmd_obj o = { .group = 12, .var = 1,
                                            .v = { .index = 4,
                                                   .v.crob = { .code = 0x41, .count = 1 } } };
                rq_rc = master_dev_control(d, MASTER_CMD_DIRECT, &o, 1, rq_cb, NULL, S.now,
                                           &rq_id2);
        }
}

static void control_from_timeout_callback(unsigned slots)
{
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.comm_fail_after = 60000;
        cfg.control_timeout_ms = 1000;
        cfg.max_controls = slots;
        /* the first control times out (1 s) while its request still holds the
         * line (1.5 s response timeout): the cmd_timers path, slot ABANDONED */
        sim_timeout_ms = 1500;
        sim_setup(&cfg, 1, 0);
        sim_timeout_ms = 0;
        S.now = 1000;
        sim_open();
        sim_run_until(S.now + 5000);
        assert_int_equal(master_dev_get_state(S.md[0]), MASTER_DEV_ONLINE);

        S.dev[0].silent = true;                 /* the first control goes unanswered */
        struct master_cmd_obj o = { .group = 12, .var = 1,
                                    .v = { .index = 3, .v.crob = { .code = 0x41, .count = 1 } } };
        uint32_t id1;
        rq_n = 0;
        rq_rc = 1;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, &o, 1, rq_cb, NULL,
                                            S.now, &id1), 0);
        sim_run_until(S.now + 20000);
        assert_int_equal(rq_res[0].id, id1);
        assert_int_equal(rq_res[0].objs[0].res, MASTER_CMD_RES_TIMEOUT);
        if (slots == 1) {
                assert_int_equal(rq_rc, -EBUSY);
                assert_int_equal(rq_n, 1);
                assert_int_equal(S.dev[0].funcs[APP_FUNC_DIRECT_OPERATE], 1);
        } else {
                assert_int_equal(rq_rc, 0);
                assert_int_equal(rq_n, 2);
                assert_int_equal(rq_res[1].id, rq_id2);
                assert_int_equal(rq_res[1].objs[0].res, MASTER_CMD_RES_OK);
                assert_int_equal(rq_res[1].objs[0].status, DNP_CMD_SUCCESS);
                assert_int_equal(S.dev[0].funcs[APP_FUNC_DIRECT_OPERATE], 2);
        }
        sim_teardown();
}

static void test_control_from_timeout_callback(void **state)
{
        (void)state;
        control_from_timeout_callback(1);
        control_from_timeout_callback(2);
}

/* ---- link layer rules on the master side (sources: test_lsess.c) ---- */

/* Master 1 -> outstation 10: the application confirm D5 00 as UNCONFIRMED_USER_DATA, the
 * master's third fragment to device 10 (after ENABLE_UNSOLICITED, integrity): transport C2 */
static const uint8_t mk_confirm5[] = {
        0x05, 0x64, 0x08, 0xc4, 0x0a, 0x00, 0x01, 0x00, 0xfc, 0x42,
        0xc2, 0xd5, 0x00, 0xef, 0xe6,
};

/* Raw link bytes from the outstation, at S.now. */
static void mk_rx(const uint8_t *p, size_t n)
{
        master_chan_rx(S.ch, p, n, S.now);
}

/* The master's output since the last call is exactly frame a then frame b (NULL: none);
 * consumed. */
static void mk_expect(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
        const uint8_t *q;
        size_t got = master_chan_output(S.ch, &q);
        assert_int_equal(got, na + nb);
        if (na > 0)
                assert_memory_equal(q, a, na);
        if (nb > 0)
                assert_memory_equal(q + na, b, nb);
        master_chan_consumed(S.ch, got, S.now);
}

#define MK_NONE NULL, 0
#define MK(a) a, sizeof(a)

/*
 * The master is the secondary station for an outstation's primary frames
 * (an IED using the confirmed link service): IEEE 1815-2012 clause 9 applies
 * as on the outstation side.  CONFIRMED_USER_DATA before the IED's
 * RESET_LINK_STATES: no ACK, and the unsolicited response is neither
 * delivered nor confirmed; after it: ACK, delivered, confirmed.  Misfit
 * FCV/LENGTH frames and undefined function codes: nothing at all.
 */
static void test_link_rules_for_outstation_primary_frames(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.unsolicited = true;
        one_dev_started(&cfg, 1);
        mk_expect(MK_NONE, MK_NONE);
        size_t mbase = S.nmeas;

        mk_rx(MK(o_cud1_unsol5));
        mk_expect(MK_NONE, MK_NONE);
        assert_int_equal(S.nmeas, mbase);

        mk_rx(MK(o_reset));
        mk_expect(MK(m_ack), MK_NONE);
        mk_rx(MK(o_cud1_unsol5));
        mk_expect(MK(m_ack), MK(mk_confirm5));
        assert_int_equal(S.nmeas, mbase + 1);
        assert_int_equal(S.meas[mbase].v.index, 7);
        assert_int_equal(S.meas[mbase].v.time, 1600000000123);
        assert_true(S.meas[mbase].v.v.bit);
        assert_true(S.meas[mbase].unsolicited);

        static const struct frame_bytes bad[] = {
                FRAME_BYTES(o_bad_cud_nofcv), FRAME_BYTES(o_bad_ucud_fcv),
                FRAME_BYTES(o_bad_reset_fcv), FRAME_BYTES(o_bad_reqls_data),
                FRAME_BYTES(o_bad_test_nofcv), FRAME_BYTES(o_undef5), FRAME_BYTES(o_undef10),
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                mk_rx(bad[i].p, bad[i].n);
                mk_expect(MK_NONE, MK_NONE);
        }
        assert_int_equal(S.nmeas, mbase + 1);
        /* a proper request is still answered */
        mk_rx(MK(o_reqls));
        mk_expect(MK(m_lstat), MK_NONE);
        sim_teardown();
}

/* ---- the CONFIRM barrier: events on stable storage before the IED forgets them ---- */

/* The unsolicited fragment unsol_apdu(seq 5, BI 7) as UNCONFIRMED_USER_DATA frames from 10. */
static size_t barrier_unsol5(uint8_t *fr, size_t cap)
{
        uint8_t u[600];
        size_t n = unsol_apdu(u, 5, 7, true);
        return sim_frames(&S.dev[0], u, n, fr, cap, false, SIM_MASTER, 10);
}

/*
 * Issue 11, the durability rule: the application CONFIRM of an unsolicited
 * response lets the IED forget its events (IEEE 1815-2012 5.1.1.1.2), so
 * the gateway sends it only after every event the fragment carried is on
 * stable storage.  The journal double counts the delivered value as not
 * synced; its sync completes 700 ms late (simulated clock): not one byte
 * leaves the master before it, and a poll demanded meanwhile waits too
 * (nothing else goes to that device before the CONFIRM).  Right after the
 * sync: exactly the confirm frame (D5 00 in transport segment C2), then the
 * poll.  A fragment that carried no value (nothing to sync) is confirmed at
 * once; a confirm held when the channel closes is dropped, never sent late.
 */
static void test_confirm_only_after_sync_unsol(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.unsolicited = true;
        one_dev_started(&cfg, 1);
        mk_expect(MK_NONE, MK_NONE);
        S.barrier = true;
        size_t mbase = S.nmeas, base = S.nlog;
        uint8_t fr[700];
        size_t n = barrier_unsol5(fr, sizeof(fr));

        mk_rx(fr, n);
        assert_int_equal(S.nmeas, mbase + 1);           /* delivered (journaled) at once */
        assert_int_equal(S.meas[mbase].v.time, 1600000000123);
        assert_int_equal(S.unsynced, 1);
        mk_expect(MK_NONE, MK_NONE);                    /* no CONFIRM yet */
        master_dev_demand(S.md[0], MASTER_TASK_INTEGRITY, S.now);
        assert_int_equal(master_chan_deadline(S.ch), DNP_NEVER);
        S.now += 700;                                   /* the disk is slow */
        master_chan_timer(S.ch, S.now);
        mk_expect(MK_NONE, MK_NONE);
        assert_int_equal(S.nlog, base);

        sim_sync();
        const uint8_t *q;
        size_t got = master_chan_output(S.ch, &q);
        assert_true(got > sizeof(mk_confirm5));
        assert_memory_equal(q, mk_confirm5, sizeof(mk_confirm5));      /* the CONFIRM first */
        sim_pump();
        assert_int_equal(S.nlog, base + 2);
        assert_true(sim_apdu_is(&S.log[base], "D5 00"));
        assert_true(sim_apdu_is(&S.log[base + 1], INTEGRITY_REQ("C2")));
        sim_run_until(S.now + 100);
        assert_int_equal(S.nlog, base + 2);

        /* nothing to sync (a null unsolicited response): confirmed at once */
        S.unsynced = 0;
        uint8_t u[64];
        struct apdu_wr a;
        const struct apdu_hdr h = { .fir = true, .fin = true, .con = true, .uns = true,
                                    .seq = 6, .func = APP_FUNC_UNSOLICITED_RESPONSE };
        apdu_wr_init(&a, u, sizeof(u), &h);
        sim_inject(&S.dev[0], u, apdu_wr_len(&a));
        assert_int_equal(S.nlog, base + 3);
        assert_true(sim_apdu_is(&S.log[base + 2], "D6 00"));

        /* held when the channel closes: dropped with the channel */
        S.dev[0].rx.len = 0;
        n = unsol_apdu(u, 7, 8, false);
        sim_inject(&S.dev[0], u, n);
        assert_int_equal(S.nlog, base + 3);
        master_chan_down(S.ch, S.now);
        sim_sync();
        mk_expect(MK_NONE, MK_NONE);
        master_chan_up(S.ch, S.now);
        S.barrier = false;
        sim_sync();
        sim_run_until(S.now + 100);
        assert_int_equal(sim_count_func(10, APP_FUNC_CONFIRM), 2);
        sim_teardown();
}

/*
 * The same rule inside a multi-fragment response (IEEE 1815-2012 4.5.2: the
 * outstation sends the next fragment only after our CONFIRM): each CONFIRM
 * waits for its sync; the response timer does not run while it waits (3 s
 * of a slow sync with a 2 s response timeout: no retry, no timeout); after
 * each sync the confirm goes out and the timer starts for the next
 * fragment; the poll ends (task counted, next request sent) only when the
 * final fragment's CONFIRM went out.
 */
static void test_confirm_only_after_sync_fragments(void **state)
{
        (void)state;
        struct sim_dev *d = one_dev_slow();
        d->script_len[0] = frag(d->script[0], true, false, true, 0, 1);
        d->nscript = 1;
        S.barrier = true;
        size_t base = S.nlog, mbase = S.nmeas;
        const struct master_dev_stats *st = master_dev_get_stats(S.md[0]);
        uint64_t tasks = st->tasks[MASTER_TASK_INTEGRITY];
        master_dev_demand(S.md[0], MASTER_TASK_INTEGRITY, S.now);
        sim_run_until(S.now + 3000);
        /* fragment 1 (seq 2) came at +50 and was delivered; its CONFIRM waits, no timer */
        assert_int_equal(S.nlog - base, 1);
        assert_true(sim_apdu_is(&S.log[base], INTEGRITY_REQ("C2")));
        assert_int_equal(S.nmeas - mbase, 1);
        assert_int_equal(st->timeouts, 0);
        assert_int_equal(st->retries, 0);
        assert_int_equal(master_chan_deadline(S.ch), DNP_NEVER);

        sim_sync();
        sim_pump();
        assert_int_equal(S.nlog - base, 2);
        assert_true(sim_apdu_is(&S.log[base + 1], "C2 00"));
        /* the response timer runs again from the confirm */
        assert_int_equal(master_chan_deadline(S.ch), S.now + 2000);

        uint8_t f[600];
        size_t n = frag(f, false, false, true, 1, 2);
        f[0] |= 3;
        S.now += 10;
        sim_inject(d, f, n);
        assert_int_equal(S.nmeas - mbase, 2);
        assert_int_equal(S.nlog - base, 2);
        assert_int_equal(master_chan_deadline(S.ch), DNP_NEVER);
        /* while it waits, a fragment out of turn is not taken */
        n = frag(f, false, true, true, 9, 9);
        f[0] |= 4;
        sim_inject(d, f, n);
        assert_int_equal(S.nmeas - mbase, 2);
        assert_int_equal(st->unexpected, 1);
        S.now += 3000;
        master_chan_timer(S.ch, S.now);
        sim_pump();
        assert_int_equal(S.nlog - base, 2);
        assert_int_equal(st->timeouts, 0);
        sim_sync();
        sim_pump();
        assert_int_equal(S.nlog - base, 3);
        assert_true(sim_apdu_is(&S.log[base + 2], "C3 00"));

        /* the final fragment: the poll ends only when its CONFIRM went out */
        n = frag(f, false, true, true, 2, 3);
        f[0] |= 4;
        S.now += 10;
        sim_inject(d, f, n);
        assert_int_equal(S.nmeas - mbase, 3);
        assert_true(S.meas[mbase + 2].v.v.analog == 3.0);
        assert_int_equal(S.nlog - base, 3);
        assert_int_equal(st->tasks[MASTER_TASK_INTEGRITY], tasks);
        master_dev_demand(S.md[0], MASTER_TASK_CLASS1, S.now);
        assert_int_equal(master_chan_deadline(S.ch), DNP_NEVER);
        sim_sync();
        sim_pump();
        assert_int_equal(st->tasks[MASTER_TASK_INTEGRITY], tasks + 1);
        assert_int_equal(S.nlog - base, 5);
        assert_true(sim_apdu_is(&S.log[base + 3], "C4 00"));
        assert_true(sim_apdu_is(&S.log[base + 4], "C3 01 3C 02 06"));
        assert_int_equal(S.syncs, 3);
        sim_teardown();
}

/* ---- freeze requests ---- */

static struct master_freeze_result frz_res[8];
static uint64_t frz_at[8];
static unsigned frz_n;

static void frz_cb(void *ctx, struct master_dev *d, const struct master_freeze_result *r)
{
        (void)ctx;
        (void)d;
        if (frz_n < 8) {
                frz_res[frz_n] = *r;
                frz_at[frz_n] = S.now;
        }
        frz_n++;
}

static struct master_freeze frz_of(uint8_t func, size_t n, const uint16_t (*r)[2])
{
        struct master_freeze f = { .func = func, .n = n };
        for (size_t i = 0; i < n; i++)
                f.r[i] = (struct master_freeze_range){ .start = r[i][0], .stop = r[i][1] };
        return f;
}

/*
 * IEEE 1815-2012 4.4.5-4.4.9: a freeze names counters with g20v0 headers,
 * here one start-stop header per range (q 0x00, 0x01 past 255); FREEZE_AT_TIME
 * opens with g50v2 (q 0x07, one object: time, interval).  The _NR forms get
 * no response (result SENT); the device's IIN2.x in its answer makes the
 * result not ok.  Queued controls go first.
 */
static void test_freeze_requests(void **state)
{
        (void)state;
        uint8_t b[MASTER_FREEZE_REQ_MAX];
        size_t n;
        static const uint16_t two[][2] = { { 0, 3 }, { 300, 301 } };
        struct master_freeze f = frz_of(APP_FUNC_IMMED_FREEZE, 2, two);
        assert_int_equal(master_req_freeze(b, sizeof(b), 2, &f, &n), 0);
        assert_int_equal(n, 14);
        assert_memory_equal(b, ((const uint8_t[]){ 0xC2, 0x07, 0x14, 0x00, 0x00, 0x00, 0x03,
                                                   0x14, 0x00, 0x01, 0x2C, 0x01, 0x2D, 0x01 }),
                            n);
        /* 32 ranges past 255 with the time object: the largest request, 240 bytes */
        f.func = APP_FUNC_FREEZE_AT_TIME_NR;
        f.n = MASTER_FREEZE_MAX_RANGES;
        for (size_t i = 0; i < f.n; i++)
                f.r[i] = (struct master_freeze_range){ .start = (uint16_t)(1000 + 2 * i),
                                                       .stop = (uint16_t)(1000 + 2 * i) };
        assert_int_equal(master_req_freeze(b, sizeof(b), 0, &f, &n), 0);
        assert_int_equal(n, MASTER_FREEZE_REQ_MAX);
        assert_int_equal(master_req_freeze(b, MASTER_FREEZE_REQ_MAX - 1, 0, &f, &n), -ENOBUFS);
        /* refused: 33 ranges, none, stop < start, a function that is no freeze */
        f.n = MASTER_FREEZE_MAX_RANGES + 1;
        assert_int_equal(master_req_freeze_check(&f), -EINVAL);
        f.n = 0;
        assert_int_equal(master_req_freeze_check(&f), -EINVAL);
        f = frz_of(APP_FUNC_FREEZE_CLEAR, 1, (const uint16_t[][2]){ { 5, 4 } });
        assert_int_equal(master_req_freeze_check(&f), -EINVAL);
        f = frz_of(APP_FUNC_READ, 1, two);
        assert_int_equal(master_req_freeze_check(&f), -EINVAL);

        struct master_dev_cfg cfg = sim_dev_cfg(10);
        one_dev_started(&cfg, 1);       /* C0 DISABLE_UNSOL, C1 integrity */
        S.dev[0].latency = 30;
        frz_n = 0;
        uint32_t id, cid;
        size_t base = S.nlog;
        uint64_t t0 = S.now;
        f = frz_of(APP_FUNC_IMMED_FREEZE, 2, two);
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), 0);
        f = frz_of(APP_FUNC_READ, 1, two);
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), -EINVAL);
        /* a control queued after the freeze still goes first */
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, one_crob, 1, sim_cmd_cb,
                                            &S, S.now, &cid), 0);
        sim_run_until(t0 + 100);
        assert_int_equal(S.nlog - base, 2);
        assert_true(sim_apdu_is(&S.log[base], "C2 05" ONE_CROB));
        assert_true(sim_apdu_is(&S.log[base + 1], "C3 07 14 00 00 00 03 14 00 01 2C 01 2D 01"));
        assert_int_equal(frz_n, 1);
        assert_int_equal(frz_res[0].func, APP_FUNC_IMMED_FREEZE);
        assert_int_equal(frz_res[0].res, MASTER_CMD_RES_OK);
        assert_true(frz_res[0].ok);
        assert_int_equal(frz_res[0].iin, 0);
        assert_int_equal(frz_res[0].at, t0 + 60);
        assert_int_equal(frz_at[0], t0 + 60);

        /* FREEZE_AT_TIME: g50v2 time 0x0102030405 ms, interval 60000 ms; counter 5 */
        f = frz_of(APP_FUNC_FREEZE_AT_TIME, 1, (const uint16_t[][2]){ { 5, 5 } });
        f.time = 0x0102030405ull;
        f.interval_ms = 60000;
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), 0);
        sim_run_until(S.now + 100);
        assert_true(sim_apdu_is(&S.log[base + 2],
                                "C4 0B 32 02 07 01 05 04 03 02 01 00 60 EA 00 00 14 00 00 05 05"));
        assert_int_equal(frz_n, 2);
        assert_int_equal(frz_res[1].res, MASTER_CMD_RES_OK);
        assert_int_equal(frz_res[1].id, id);

        /* FREEZE_CLEAR_NR: sent, nothing awaited; the channel is free at once */
        uint64_t t1 = S.now;
        f = frz_of(APP_FUNC_FREEZE_CLEAR_NR, 1, (const uint16_t[][2]){ { 0, 0 } });
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), 0);
        sim_run_until(S.now);
        assert_true(sim_apdu_is(&S.log[base + 3], "C5 0A 14 00 00 00 00"));
        assert_int_equal(frz_n, 3);
        assert_int_equal(frz_res[2].res, MASTER_CMD_RES_SENT);
        assert_true(frz_res[2].ok);
        assert_int_equal(frz_res[2].at, t1);

        /* the device answers IIN2.2 (it has no counter 9): OK, but not ok, its IIN kept */
        S.dev[0].iin = APP_IIN_PARAMETER_ERROR;
        f = frz_of(APP_FUNC_FREEZE_CLEAR, 1, (const uint16_t[][2]){ { 9, 9 } });
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), 0);
        sim_run_until(S.now + 100);
        assert_true(sim_apdu_is(&S.log[base + 4], "C6 09 14 00 00 09 09"));
        assert_int_equal(frz_n, 4);
        assert_int_equal(frz_res[3].res, MASTER_CMD_RES_OK);
        assert_false(frz_res[3].ok);
        assert_int_equal(frz_res[3].iin, APP_IIN_PARAMETER_ERROR);
        const struct master_dev_stats *st = master_dev_get_stats(S.md[0]);
        assert_int_equal(st->freezes, 4);
        assert_int_equal(st->tasks[MASTER_TASK_FREEZE], 4);
        assert_int_equal(st->timeouts, 0);
        sim_teardown();
}

/* A device that does not answer within control_timeout: TIMEOUT (never ok);
 * offline or closed: OFFLINE, or -ENOTCONN at once; a full queue: -EBUSY. */
static void test_freeze_timeout_offline(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.control_timeout_ms = 3000;
        cfg.comm_fail_after = 5;
        cfg.max_controls = 1;
        one_dev_started(&cfg, 1);
        S.dev[0].silent = true;
        frz_n = 0;
        uint32_t id;
        uint64_t t0 = S.now;
        struct master_freeze f = frz_of(APP_FUNC_IMMED_FREEZE, 1, (const uint16_t[][2]){ { 0, 3 } });
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), 0);
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), -EBUSY);
        sim_run_until(t0 + 2999);
        assert_int_equal(frz_n, 0);
        assert_int_equal(sim_count_func(10, APP_FUNC_IMMED_FREEZE), 2);    /* sent, retried */
        sim_run_until(t0 + 3000);
        assert_int_equal(frz_n, 1);
        assert_int_equal(frz_res[0].res, MASTER_CMD_RES_TIMEOUT);
        assert_false(frz_res[0].ok);
        assert_int_equal(frz_at[0], t0 + 3000);
        /* its transaction still ends by the response timer: the slot is free after */
        sim_run_until(t0 + 4000);
        assert_int_equal(frz_n, 1);
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), 0);
        /* channel closed: the queued one fails OFFLINE; no new one is taken */
        master_chan_down(S.ch, S.now);
        assert_int_equal(frz_n, 2);
        assert_int_equal(frz_res[1].res, MASTER_CMD_RES_OFFLINE);
        assert_false(frz_res[1].ok);
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), -ENOTCONN);
        assert_int_equal(frz_n, 2);
        assert_true(master_chan_deadline(S.ch) == DNP_NEVER);
        sim_teardown();
}

/*
 * A device that answers a freeze with a response that does not parse has
 * answered (no retry, no TIMEOUT): the result is OK with the IIN it sent,
 * but not ok, so the gateway reports IIN2.2 upstream; the bad response is
 * counted and the transaction failed.
 */
static void test_freeze_malformed_answer(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        one_dev_started(&cfg, 1);
        S.dev[0].latency = 30;
        S.dev[0].malformed = true;
        S.dev[0].iin = APP_IIN_CLASS1_EVENTS;
        frz_n = 0;
        uint32_t id;
        size_t base = S.nlog;
        uint64_t t0 = S.now;
        struct master_freeze f = frz_of(APP_FUNC_IMMED_FREEZE, 1, (const uint16_t[][2]){ { 0, 3 } });
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), 0);
        sim_run_until(t0 + 5000);
        assert_int_equal(S.nlog - base, 1);
        assert_true(sim_apdu_is(&S.log[base], "C2 07 14 00 00 00 03"));
        assert_int_equal(frz_n, 1);
        assert_int_equal(frz_res[0].id, id);
        assert_int_equal(frz_res[0].res, MASTER_CMD_RES_OK);
        assert_false(frz_res[0].ok);
        assert_int_equal(frz_res[0].iin, APP_IIN_CLASS1_EVENTS);
        assert_int_equal(frz_res[0].at, t0 + 30);
        const struct master_dev_stats *st = master_dev_get_stats(S.md[0]);
        assert_int_equal(st->bad_responses, 1);
        assert_int_equal(st->failed, 1);
        assert_int_equal(st->timeouts, 0);
        assert_int_equal(st->freezes, 1);
        assert_int_equal(st->tasks[MASTER_TASK_FREEZE], 0);
        assert_int_equal(master_dev_get_state(S.md[0]), MASTER_DEV_ONLINE);
        sim_teardown();
}

static bool flood_freeze(struct master_dev *d);

static void frz_flood_cb(void *ctx, struct master_dev *d, const struct master_freeze_result *r)
{
        (void)ctx;
        assert_true(r->ok);
        if (flood_left > 0 && flood_freeze(d))
                flood_left--;
}

static bool flood_freeze(struct master_dev *d)
{
        uint32_t id;
        struct master_freeze f = frz_of(APP_FUNC_IMMED_FREEZE, 1, (const uint16_t[][2]){ { 0, 3 } });
        return master_dev_freeze(d, &f, frz_flood_cb, NULL, S.now, &id) == 0;
}

/*
 * Freezes run before polls, but like controls never two in a row past a
 * due poll: an upstream master that always has the next IMMED_FREEZE queued
 * delays each class poll by at most one freeze transaction (30 ms), never
 * starves it.
 */
static void test_freeze_flood_polls(void **state)
{
        (void)state;
        flood_polls(APP_FUNC_IMMED_FREEZE, flood_freeze);
}

/* While a SELECT is held for its OPERATE (gateway pass-through), a freeze waits:
 * the OPERATE must carry the next sequence number after the SELECT. */
static void test_freeze_waits_for_select_hold(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.select_hold_ms = 5000;
        one_dev_started(&cfg, 1);
        frz_n = 0;
        uint32_t id;
        size_t base = S.nlog;
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_SELECT, one_crob, 1, sim_cmd_cb,
                                            &S, S.now, &id), 0);
        sim_run_until(1000);
        struct master_freeze f = frz_of(APP_FUNC_IMMED_FREEZE, 1, (const uint16_t[][2]){ { 0, 0 } });
        assert_int_equal(master_dev_freeze(S.md[0], &f, frz_cb, NULL, S.now, &id), 0);
        sim_run_until(2000);
        assert_int_equal(S.nlog - base, 1);             /* held */
        assert_int_equal(master_chan_deadline(S.ch), 5000);
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_OPERATE, one_crob, 1, sim_cmd_cb,
                                            &S, S.now, &id), 0);
        sim_run_until(2100);
        assert_int_equal(S.nlog - base, 3);
        assert_true(sim_apdu_is(&S.log[base], "C2 03" ONE_CROB));
        assert_true(sim_apdu_is(&S.log[base + 1], "C3 04" ONE_CROB));
        assert_true(sim_apdu_is(&S.log[base + 2], "C4 07 14 00 00 00 00"));
        assert_int_equal(frz_n, 1);
        assert_true(frz_res[0].ok);
        sim_teardown();
}

/* The order in which control (C) and freeze (F) results come, across both kinds. */
static char kind_log[8];
static unsigned kind_n;

static void kind_cmd_cb(void *ctx, struct master_dev *d, const struct master_cmd_result *r)
{
        (void)ctx;
        (void)d;
        (void)r;
        if (kind_n < sizeof(kind_log))
                kind_log[kind_n] = 'C';
        kind_n++;
}

static void kind_frz_cb(void *ctx, struct master_dev *d, const struct master_freeze_result *r)
{
        (void)ctx;
        (void)d;
        (void)r;
        if (kind_n < sizeof(kind_log))
                kind_log[kind_n] = 'F';
        kind_n++;
}

/*
 * Controls and freezes wait in one queue but do not share its room: a
 * device takes max_controls controls and, apart, max_controls freezes
 * (master_dev_cfg), with ids from one sequence.  When control_timeout passes
 * for all of them in the same pass, or the channel closes, the controls are
 * reported before the freezes (CONTROL is the higher-priority task), even
 * when the freezes were queued first.
 */
static void test_queue_kinds_apart(void **state)
{
        (void)state;
        struct master_dev_cfg cfg = sim_dev_cfg(10);
        cfg.max_controls = 2;
        cfg.control_timeout_ms = 3000;
        cfg.comm_fail_after = 5;
        one_dev_started(&cfg, 1);
        S.dev[0].silent = true;
        kind_n = 0;
        uint32_t id[4], more;
        const uint64_t t0 = S.now;
        const struct master_freeze f =
                frz_of(APP_FUNC_FREEZE_CLEAR, 1, (const uint16_t[][2]){ { 0, 3 } });
        for (size_t i = 0; i < 4; i++) {
                int r = i < 2 ? master_dev_freeze(S.md[0], &f, kind_frz_cb, NULL, S.now, &id[i])
                              : master_dev_control(S.md[0], MASTER_CMD_DIRECT, one_crob, 1,
                                                   kind_cmd_cb, NULL, S.now, &id[i]);
                assert_int_equal(r, 0);
                if (i > 0)
                        assert_int_equal(id[i], id[i - 1] + 1);
        }
        assert_int_equal(master_dev_freeze(S.md[0], &f, kind_frz_cb, NULL, S.now, &more), -EBUSY);
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, one_crob, 1, kind_cmd_cb,
                                            NULL, S.now, &more),
                         -EBUSY);
        /* the first control goes first and is retried (response timeout 2 s); all time out at 3 s */
        sim_run_until(t0 + 2999);
        assert_int_equal(kind_n, 0);
        assert_int_equal(sim_count_func(10, APP_FUNC_DIRECT_OPERATE), 2);
        assert_int_equal(sim_count_func(10, APP_FUNC_FREEZE_CLEAR), 0);
        sim_run_until(t0 + 3000);
        assert_int_equal(kind_n, 4);
        assert_memory_equal(kind_log, "CCFF", 4);
        /* slots free at once, but the control on the channel's only when its transaction ends */
        assert_int_equal(master_dev_freeze(S.md[0], &f, kind_frz_cb, NULL, S.now, &more), 0);
        assert_int_equal(more, id[3] + 1);
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, one_crob, 1, kind_cmd_cb,
                                            NULL, S.now, &more),
                         0);
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, one_crob, 1, kind_cmd_cb,
                                            NULL, S.now, &more),
                         -EBUSY);
        sim_run_until(t0 + 4000);
        assert_int_equal(master_dev_control(S.md[0], MASTER_CMD_DIRECT, one_crob, 1, kind_cmd_cb,
                                            NULL, S.now, &more),
                         0);
        assert_int_equal(more, id[3] + 3);
        assert_int_equal(kind_n, 4);
        /* closed: both controls (one on the channel) fail OFFLINE before the freeze */
        master_chan_down(S.ch, S.now);
        assert_int_equal(kind_n, 7);
        assert_memory_equal(kind_log + 4, "CCF", 3);
        sim_teardown();
}

/*
 * Every master enum is named from its X-macro table (NAMES_DEFINE); a value
 * outside the table gets the one fallback text of names.h, NAMES_UNKNOWN
 * ("UNKNOWN"; it was "unknown" before, which the device state UNKNOWN also
 * names).  The time-sync setting is read back from the same table: its
 * texts and nothing else, the fallback included.  master_diag_name is new:
 * the text of each diagnostic kind, as the daemon's journal and dnp3poll
 * show it.
 */
static void test_names(void **state)
{
        (void)state;
        assert_string_equal(master_task_name(MASTER_TASK_CONTROL), "control");
        assert_string_equal(master_task_name(MASTER_TASK_INTEGRITY), "integrity_poll");
        assert_string_equal(master_task_name(MASTER_TASK_CLASS3), "class3_poll");
        assert_string_equal(master_task_name(MASTER_TASK_MAX), NAMES_UNKNOWN);
        assert_string_equal(master_tsync_name(MASTER_TSYNC_NONE), "none");
        assert_string_equal(master_tsync_name(MASTER_TSYNC_LAN), "lan");
        assert_string_equal(master_tsync_name(MASTER_TSYNC_MAX), "UNKNOWN");
        assert_string_equal(master_dev_state_name(MASTER_DEV_UNKNOWN), "unknown");
        assert_string_equal(master_dev_state_name(MASTER_DEV_OFFLINE), "offline");
        assert_string_equal(master_dev_state_name(MASTER_DEV_STATE_MAX), "UNKNOWN");
        assert_string_equal(master_cmd_mode_name(MASTER_CMD_SBO), "select_before_operate");
        assert_string_equal(master_cmd_mode_name(MASTER_CMD_DIRECT_NR), "direct_operate_nr");
        assert_string_equal(master_cmd_mode_name((enum master_cmd_mode)-1), "UNKNOWN");
        assert_string_equal(master_cmd_res_name(MASTER_CMD_RES_OK), "ok");
        assert_string_equal(master_cmd_res_name(MASTER_CMD_RES_SENT), "sent");
        assert_string_equal(master_cmd_res_name(MASTER_CMD_RES_MAX), "UNKNOWN");
        assert_string_equal(master_diag_name(MASTER_DIAG_OTHER_DEST), "frame for another address");
        assert_string_equal(master_diag_name(MASTER_DIAG_WRONG_DIR),
                            "the peer is acting as a master: check roles");
        assert_string_equal(master_diag_name(MASTER_DIAG_LINK_FAILED),
                            "no link-layer acknowledgement");
        assert_string_equal(master_diag_name(MASTER_DIAG_MAX), "UNKNOWN");

        enum master_tsync t = MASTER_TSYNC_NONE;
        assert_int_equal(master_tsync_from_name("lan", &t), 0);
        assert_int_equal(t, MASTER_TSYNC_LAN);
        assert_int_equal(master_tsync_from_name("write", &t), 0);
        assert_int_equal(t, MASTER_TSYNC_WRITE);
        assert_int_equal(master_tsync_from_name("none", &t), 0);
        assert_int_equal(t, MASTER_TSYNC_NONE);
        assert_int_equal(master_tsync_from_name("UNKNOWN", &t), -EINVAL);
        assert_int_equal(master_tsync_from_name("unknown", &t), -EINVAL);
        assert_int_equal(master_tsync_from_name("LAN", &t), -EINVAL);
        assert_int_equal(t, MASTER_TSYNC_NONE);
}

/*
 * A master sends controls as CROB g12v1 and analog output blocks g41v1-4
 * (IEEE 1815-2012 4.4.4, 4.4.5): the command groups of the binary and
 * analog outputs, in the variations the object catalog has.  Nothing else
 * is a control object: no variation 0 (requests with data), no g12v2/v3
 * (pattern controls), no static or event groups of the outputs.
 */
static void test_cmd_obj_check(void **state)
{
        (void)state;
        static const struct {
                uint8_t group, var;
                int want;
        } cases[] = {
                { 12, 1, 0 }, { 41, 1, 0 }, { 41, 2, 0 }, { 41, 3, 0 }, { 41, 4, 0 },
                { 12, 0, -EINVAL }, { 12, 2, -EINVAL }, { 12, 3, -EINVAL },
                { 41, 0, -EINVAL }, { 41, 5, -EINVAL }, { 10, 1, -EINVAL }, { 10, 2, -EINVAL },
                { 11, 1, -EINVAL }, { 40, 1, -EINVAL }, { 42, 1, -EINVAL }, { 20, 1, -EINVAL },
                { 1, 2, -EINVAL }, { 50, 1, -EINVAL }, { 0, 0, -EINVAL }, { 255, 1, -EINVAL },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct master_cmd_obj o = { .group = cases[i].group, .var = cases[i].var };
                assert_int_equal(master_cmd_obj_check(&o), cases[i].want);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_startup_lan),
                cmocka_unit_test(test_startup_unsol_write),
                cmocka_unit_test(test_startup_order_write_no_delay),
                cmocka_unit_test(test_poll_schedule_hours),
                cmocka_unit_test(test_multi_fragment_confirm),
                cmocka_unit_test(test_unsolicited),
                cmocka_unit_test(test_sbo_success),
                cmocka_unit_test(test_sbo_select_fails),
                cmocka_unit_test(test_echo_mismatch_and_missing),
                cmocka_unit_test(test_direct_operate_nr),
                cmocka_unit_test(test_comm_fail_and_recovery),
                cmocka_unit_test(test_iin_triggers),
                cmocka_unit_test(test_multidrop_three),
                cmocka_unit_test(test_control_timeout_and_close),
                cmocka_unit_test(test_link_confirmed),
                cmocka_unit_test(test_response_timer_wire_time),
                cmocka_unit_test(test_select_hold),
                cmocka_unit_test(test_select_hold_ends_and_owes),
                cmocka_unit_test(test_select_end_releases),
                cmocka_unit_test(test_select_stream_integrity),
                cmocka_unit_test(test_control_flood_polls),
                cmocka_unit_test(test_tsync_write_modes),
                cmocka_unit_test(test_closed_before_open),
                cmocka_unit_test(test_nr_not_queued),
                cmocka_unit_test(test_control_from_timeout_callback),
                cmocka_unit_test(test_link_rules_for_outstation_primary_frames),
                cmocka_unit_test(test_confirm_only_after_sync_unsol),
                cmocka_unit_test(test_confirm_only_after_sync_fragments),
                cmocka_unit_test(test_freeze_requests),
                cmocka_unit_test(test_freeze_timeout_offline),
                cmocka_unit_test(test_freeze_waits_for_select_hold),
                cmocka_unit_test(test_freeze_flood_polls),
                cmocka_unit_test(test_freeze_malformed_answer),
                cmocka_unit_test(test_queue_kinds_apart),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_cmd_obj_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
