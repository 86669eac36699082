/* SPDX-License-Identifier: MIT */
/* gw_config_load(): every value of a full and a minimal file, defaults, the diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <cmocka.h>

#include "daemon/config.h"
#include "daemon/daemon_names.h"
#include "dnp3/ptype.h"
#include "outstation/events.h"

#ifndef CONFIG_TEST_DIR
#define CONFIG_TEST_DIR "tests/config"
#endif

struct rec {
        size_t n, nerr, nnotice;
        char lines[32][300];
};

static void rec_sink(void *ctx, enum gw_diag_level level, const char *file, int line,
                     const char *msg)
{
        struct rec *r = ctx;
        if (level == GW_DIAG_ERROR)
                r->nerr++;
        else
                r->nnotice++;
        if (r->n < 32)
                snprintf(r->lines[r->n++], sizeof(r->lines[0]), "%s%s:%d: %s",
                         level == GW_DIAG_NOTICE ? "N " : "", strrchr(file, '/') + 1, line, msg);
}

static struct gw_config *load(const char *rel, struct rec *r)
{
        char path[512];
        struct gw_config *cfg = NULL;
        const struct gw_diag_sink sink = { .fn = rec_sink, .ctx = r };
        snprintf(path, sizeof(path), "%s/%s", CONFIG_TEST_DIR, rel);
        assert_int_equal(gw_config_load(path, &cfg, &sink), 0);
        assert_non_null(cfg);
        return cfg;
}

static uint16_t port_of(const struct io_endpoint *ep)
{
        if (ep->sa.ss_family == AF_INET)
                return ntohs(((const struct sockaddr_in *)&ep->sa)->sin_port);
        return ntohs(((const struct sockaddr_in6 *)&ep->sa)->sin6_port);
}

static void test_event_bytes(void **state)
{
        (void)state;
        /* The documented per-event size is the outstation's event slot. */
        assert_int_equal(GW_CONFIG_EVENT_BYTES, sizeof(struct ev));
}

static void test_minimal_defaults(void **state)
{
        (void)state;
        struct rec r = { 0 };
        struct gw_config *cfg = load("valid/minimal.conf", &r);
        assert_int_equal(r.n, 0);

        assert_string_equal(cfg->gateway.name, "dnp3gw");
        assert_int_equal(cfg->gateway.log_level, GW_LOG_INFO);
        assert_int_equal(cfg->gateway.status_interval_ms, 300000);

        assert_int_equal(cfg->noutstations, 1);
        const struct gw_outstation *o = &cfg->outstations[0];
        assert_string_equal(o->name, "scada");
        assert_string_equal(o->listen, "0.0.0.0:20000");
        assert_int_equal(o->endpoint.sa.ss_family, AF_INET);
        assert_int_equal(port_of(&o->endpoint), 20000);
        assert_int_equal(((const struct sockaddr_in *)&o->endpoint.sa)->sin_addr.s_addr, 0);
        assert_int_equal(o->address, 10);
        assert_int_equal(o->master_address, 1);
        assert_int_equal(o->nallow, 0);
        assert_null(o->allow);
        assert_int_equal(o->max_fragment, 2048);
        assert_int_equal(o->keepalive_ms, 60000);
        assert_int_equal(o->confirm_timeout_ms, 5000);
        assert_int_equal(o->select_timeout_ms, 10000);
        assert_int_equal(o->need_time_ms, 0);
        assert_true(o->unsol.enabled);
        assert_int_equal(o->unsol.classes, 0xe);
        assert_int_equal(o->unsol.retries, -1);
        assert_int_equal(o->unsol.hold_time_ms, 0);
        assert_int_equal(o->unsol.hold_count, 1);
        assert_int_equal(o->unsol.max_events, 0);
        assert_int_equal(o->event_depth[1], 1000);
        assert_int_equal(o->event_depth[2], 1000);
        assert_int_equal(o->event_depth[3], 1000);
        assert_int_equal(o->event_memory, 3000 * 40);
        assert_int_equal(o->line, 2);

        assert_int_equal(cfg->nchannels, 1);
        const struct gw_channel *ch = &cfg->channels[0];
        assert_string_equal(ch->name, "bay1");
        assert_int_equal(ch->transport, IO_TRANSPORT_SERIAL);
        assert_string_equal(ch->serial.device, "/dev/ttyS1");
        assert_int_equal(ch->serial.baud, 9600);
        assert_int_equal(ch->serial.data_bits, 8);
        assert_int_equal(ch->serial.parity, IO_PARITY_NONE);
        assert_int_equal(ch->serial.stop_bits, 1);
        assert_int_equal(ch->serial.flow, IO_FLOW_NONE);
        assert_null(ch->tcp.host);
        assert_int_equal(ch->master_address, 1);
        assert_int_equal(ch->response_timeout_ms, 2000);
        assert_int_equal(ch->retries, 1);
        assert_false(ch->link_confirm);
        assert_int_equal(ch->ndevices, 1);
        const struct gw_device *d = &ch->devices[0];
        assert_string_equal(d->name, "relay1");
        assert_int_equal(d->address, 20);
        assert_int_equal(d->integrity_ms, 3600000);
        assert_int_equal(d->class_ms[0], 1000);
        assert_int_equal(d->class_ms[1], 5000);
        assert_int_equal(d->class_ms[2], 30000);
        assert_false(d->unsolicited);
        assert_int_equal(d->time_sync, GW_TSYNC_NONE);
        assert_int_equal(d->time_sync_ms, 0);
        assert_int_equal(d->comm_fail_after, 3);
        assert_int_equal(d->control_timeout_ms, 3000);
        assert_int_equal(d->offline_retry_ms, 10000);
        assert_int_equal(d->npoints, 1);

        assert_int_equal(cfg->points[DNP_TYPE_BI].n, 1);
        const struct gw_point_range *p = &cfg->points[DNP_TYPE_BI].v[0];
        assert_int_equal(p->index, 0);
        assert_int_equal(p->count, 1);
        assert_int_equal(p->source_index, 0);
        assert_int_equal(p->channel, 0);
        assert_int_equal(p->device, 0);
        assert_int_equal(p->event_class, 1);
        assert_int_equal(p->static_group, 1);
        assert_int_equal(p->static_var, 2);
        assert_int_equal(p->event_group, 2);
        assert_int_equal(p->event_var, 2);
        assert_true(p->deadband == 0.0);
        assert_int_equal(p->line, 6);
        for (int t = 0; t < DNP_TYPE_MAX; t++)
                if (t != DNP_TYPE_BI)
                        assert_int_equal(cfg->points[t].n, 0);
        assert_int_equal(cfg->npoints, 1);
        assert_int_equal(cfg->ndevices, 1);
        assert_int_equal(cfg->event_memory, 120000);

        char buf[256];
        assert_string_equal(gw_config_summary(cfg, buf, sizeof(buf)),
                            "dnp3gw: outstations=1 channels=1 devices=1 points=1 "
                            "event_slots=3000 event_memory=120000");
        gw_config_free(cfg);
}

static void check_point(const struct gw_point_range *p, uint32_t index, uint32_t count,
                        uint32_t src, size_t ch, size_t dev, uint8_t cls, uint8_t sg, uint8_t sv,
                        uint8_t eg, uint8_t ev, double deadband)
{
        assert_int_equal(p->index, index);
        assert_int_equal(p->count, count);
        assert_int_equal(p->source_index, src);
        assert_int_equal(p->channel, ch);
        assert_int_equal(p->device, dev);
        assert_int_equal(p->event_class, cls);
        assert_int_equal(p->static_group, sg);
        assert_int_equal(p->static_var, sv);
        assert_int_equal(p->event_group, eg);
        assert_int_equal(p->event_var, ev);
        assert_true(p->deadband == deadband);
}

static void test_full(void **state)
{
        (void)state;
        struct rec r = { 0 };
        struct gw_config *cfg = load("valid/full.conf", &r);
        assert_int_equal(r.nerr, 0);
        assert_int_equal(r.nnotice, 0);

        assert_string_equal(cfg->gateway.name, "full-gw");
        assert_int_equal(cfg->gateway.log_level, GW_LOG_DEBUG);
        assert_int_equal(cfg->gateway.status_interval_ms, 0);

        assert_int_equal(cfg->noutstations, 2);
        const struct gw_outstation *o = &cfg->outstations[0];
        assert_string_equal(o->name, "scada");
        assert_string_equal(o->listen, "[::]:20001");
        assert_int_equal(o->endpoint.sa.ss_family, AF_INET6);
        assert_int_equal(port_of(&o->endpoint), 20001);
        assert_int_equal(o->address, 65519);
        assert_int_equal(o->master_address, 0);
        assert_int_equal(o->nallow, 3);
        assert_int_equal(o->allow[0].family, AF_INET);
        assert_int_equal(o->allow[0].prefix, 32);
        assert_memory_equal(o->allow[0].addr, ((const uint8_t[]){ 192, 0, 2, 10 }), 4);
        assert_int_equal(o->allow[1].family, AF_INET);
        assert_int_equal(o->allow[1].prefix, 24);
        assert_memory_equal(o->allow[1].addr, ((const uint8_t[]){ 198, 51, 100, 0 }), 4);
        assert_int_equal(o->allow[2].family, AF_INET6);
        assert_int_equal(o->allow[2].prefix, 32);
        assert_memory_equal(o->allow[2].addr, ((const uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0 }), 5);
        assert_int_equal(o->max_fragment, 4096);
        assert_int_equal(o->keepalive_ms, 0);
        assert_int_equal(o->confirm_timeout_ms, 2500);
        assert_int_equal(o->select_timeout_ms, 250);
        assert_int_equal(o->need_time_ms, 600000);
        assert_false(o->unsol.enabled);
        assert_int_equal(o->unsol.classes, (1u << 1) | (1u << 3));
        assert_int_equal(o->unsol.retries, 5);
        assert_int_equal(o->unsol.hold_time_ms, 50);
        assert_int_equal(o->unsol.hold_count, 10);
        assert_int_equal(o->unsol.max_events, 100);
        assert_int_equal(o->event_depth[1], 1);
        assert_int_equal(o->event_depth[2], 1000000);
        assert_int_equal(o->event_depth[3], 7);
        assert_int_equal(o->event_memory, (1 + 1000000 + 7) * 40);
        /* same endpoint, other address: allowed */
        assert_string_equal(cfg->outstations[1].name, "backup");
        assert_int_equal(cfg->outstations[1].address, 11);
        assert_int_equal(cfg->event_memory, (1 + 1000000 + 7 + 3000) * 40);

        assert_int_equal(cfg->nchannels, 2);
        const struct gw_channel *ch = &cfg->channels[0];
        assert_string_equal(ch->name, "ts");
        assert_int_equal(ch->transport, IO_TRANSPORT_TCP);
        assert_string_equal(ch->tcp.host, "2001:db8::50");
        assert_int_equal(ch->tcp.port, 4001);
        assert_int_equal(ch->tcp.endpoint.sa.ss_family, AF_INET6);
        assert_int_equal(port_of(&ch->tcp.endpoint), 4001);
        assert_null(ch->serial.device);
        assert_int_equal(ch->master_address, 3);
        assert_int_equal(ch->response_timeout_ms, 500);
        assert_int_equal(ch->retries, 0);
        assert_true(ch->link_confirm);
        assert_int_equal(ch->ndevices, 1);
        const struct gw_device *d = &ch->devices[0];
        assert_string_equal(d->name, "ied.a");
        assert_int_equal(d->address, 0);
        assert_int_equal(d->integrity_ms, 0);
        assert_int_equal(d->class_ms[0], 0);
        assert_int_equal(d->class_ms[1], 100);
        assert_int_equal(d->class_ms[2], 86400000);
        assert_true(d->unsolicited);
        assert_int_equal(d->time_sync, GW_TSYNC_DELAY);
        assert_int_equal(d->time_sync_ms, 1800500);
        assert_int_equal(d->comm_fail_after, 1000);
        assert_int_equal(d->control_timeout_ms, 1);
        assert_int_equal(d->offline_retry_ms, 2000);
        assert_int_equal(d->npoints, 2 + 4 + 2);

        ch = &cfg->channels[1];
        assert_string_equal(ch->name, "rs485_2");
        assert_int_equal(ch->transport, IO_TRANSPORT_SERIAL);
        assert_string_equal(ch->serial.device, "/dev/ttyUSB0");
        assert_int_equal(ch->serial.baud, 921600);
        assert_int_equal(ch->serial.data_bits, 8);
        assert_int_equal(ch->serial.parity, IO_PARITY_EVEN);
        assert_int_equal(ch->serial.stop_bits, 2);
        assert_int_equal(ch->serial.flow, IO_FLOW_RTSCTS);
        assert_int_equal(ch->ndevices, 2);
        assert_string_equal(ch->devices[0].name, "R-1");
        assert_int_equal(ch->devices[0].time_sync, GW_TSYNC_LAN);
        assert_int_equal(ch->devices[0].npoints, 1 + 3 + 4);
        assert_string_equal(ch->devices[1].name, "R-2");
        assert_int_equal(ch->devices[1].time_sync, GW_TSYNC_WRITE);
        assert_int_equal(ch->devices[1].npoints, 1 + 65536);
        assert_int_equal(cfg->ndevices, 3);

        const struct gw_point_list *l = cfg->points;
        assert_int_equal(l[DNP_TYPE_BI].n, 1);
        check_point(&l[DNP_TYPE_BI].v[0], 100, 2, 7, 0, 0, 0, 1, 1, 2, 3, 0);
        assert_int_equal(l[DNP_TYPE_DBI].n, 1);
        check_point(&l[DNP_TYPE_DBI].v[0], 0, 1, 0, 1, 0, 1, 3, 1, 4, 1, 0);
        assert_int_equal(l[DNP_TYPE_AI].n, 1);
        check_point(&l[DNP_TYPE_AI].v[0], 65535, 1, 0, 1, 1, 1, 30, 6, 32, 8, 2.5);
        assert_int_equal(l[DNP_TYPE_CNT].n, 1);
        check_point(&l[DNP_TYPE_CNT].v[0], 0, 65536, 0, 1, 1, 3, 20, 6, 22, 2, 10);
        assert_int_equal(l[DNP_TYPE_FCNT].n, 1);
        check_point(&l[DNP_TYPE_FCNT].v[0], 5, 3, 65533, 1, 0, 2, 21, 10, 23, 6, 0);
        assert_int_equal(l[DNP_TYPE_BO].n, 2);
        check_point(&l[DNP_TYPE_BO].v[0], 0, 4, 0, 0, 0, 2, 10, 1, 11, 1, 0);
        check_point(&l[DNP_TYPE_BO].v[1], 4, 4, 4, 1, 0, 3, 10, 2, 11, 2, 0);
        assert_int_equal(l[DNP_TYPE_AO].n, 1);
        check_point(&l[DNP_TYPE_AO].v[0], 0, 2, 0, 0, 0, 1, 40, 4, 42, 1, 0);
        assert_int_equal(cfg->npoints, 2 + 1 + 1 + 65536 + 3 + 8 + 2);
        gw_config_free(cfg);
}

/* The defaults of spec/config.md's variation table, per type. */
static void test_default_variations(void **state)
{
        (void)state;
        struct rec r = { 0 };
        struct gw_config *cfg = load("valid/spec.conf", &r);
        const struct gw_point_list *l = cfg->points;
        check_point(&l[DNP_TYPE_BI].v[0], 0, 16, 0, 0, 0, 1, 1, 2, 2, 2, 0);
        check_point(&l[DNP_TYPE_AI].v[0], 0, 8, 0, 0, 0, 3, 30, 5, 32, 7, 0.5);
        check_point(&l[DNP_TYPE_CNT].v[0], 0, 4, 0, 0, 0, 3, 20, 1, 22, 5, 0);
        check_point(&l[DNP_TYPE_BO].v[0], 0, 4, 0, 0, 0, 2, 10, 2, 11, 2, 0);
        check_point(&l[DNP_TYPE_AO].v[0], 0, 2, 0, 0, 0, 2, 40, 3, 42, 7, 0);
        assert_int_equal(l[DNP_TYPE_DBI].n, 0);
        assert_int_equal(l[DNP_TYPE_FCNT].n, 0);
        assert_int_equal(cfg->channels[0].devices[0].time_sync, GW_TSYNC_LAN);
        assert_int_equal(cfg->channels[0].serial.baud, 19200);
        gw_config_free(cfg);
        /* double-bit and frozen counter defaults come from the demo file */
        cfg = load("../../etc/dnp3gw/demo.conf", &r);
        l = cfg->points;
        check_point(&l[DNP_TYPE_DBI].v[0], 0, 2, 0, 0, 0, 1, 3, 2, 4, 2, 0);
        check_point(&l[DNP_TYPE_FCNT].v[0], 0, 2, 0, 0, 0, 3, 21, 1, 23, 5, 0);
        gw_config_free(cfg);
}

static void test_fanout_notice(void **state)
{
        (void)state;
        struct rec r = { 0 };
        struct gw_config *cfg = load("valid/fanout.conf", &r);
        assert_int_equal(r.nerr, 0);
        assert_int_equal(r.nnotice, 2);
        assert_string_equal(r.lines[0], "N fanout.conf:4: channels[0].devices[1]: no points are "
                            "mapped from bay1/spare");
        assert_string_equal(r.lines[1], "N fanout.conf:8: points.analog_inputs[1]: fan-out: "
                            "bay1/relay1 analog_inputs 2-3 are also mapped by the entry at line 7");
        assert_int_equal(cfg->channels[0].devices[0].npoints, 6);
        gw_config_free(cfg);
}

static void test_errors(void **state)
{
        (void)state;
        struct rec r = { 0 };
        struct gw_config *cfg = (struct gw_config *)&r;  /* must stay untouched */
        const struct gw_diag_sink sink = { .fn = rec_sink, .ctx = &r };
        assert_int_equal(gw_config_load(CONFIG_TEST_DIR "/broken/overlap.conf", &cfg, &sink),
                         -EINVAL);
        assert_ptr_equal(cfg, &r);
        assert_int_equal(r.nerr, 1);
        assert_string_equal(r.lines[0], "overlap.conf:35: points.binary_inputs[1]: binary_inputs "
                            "6-13 overlap 0-7 of the entry at line 34");

        memset(&r, 0, sizeof(r));
        assert_int_equal(gw_config_load(CONFIG_TEST_DIR "/broken/many_errors.conf", &cfg, &sink),
                         -EINVAL);
        assert_int_equal(r.nerr, 26);
        assert_int_equal(r.nnotice, 0);
        assert_string_equal(r.lines[0], "many_errors.conf:4: gateway.log_level: \"verbose\" is not "
                            "one of error, warning, notice, info, debug, trace");

        /* no sink: still -EINVAL */
        assert_int_equal(gw_config_load(CONFIG_TEST_DIR "/broken/syntax_error.conf", &cfg, NULL),
                         -EINVAL);
        memset(&r, 0, sizeof(r));
        assert_int_equal(gw_config_load(CONFIG_TEST_DIR "/nonexistent.conf", &cfg, &sink), -ENOENT);
        assert_int_equal(r.n, 0);
        assert_ptr_equal(cfg, &r);
        gw_config_free(NULL);
}

/*
 * An @include naming a folder, loaded by a path with a folder (as the daemon
 * does, so libconfig has an include folder): libconfig 1.5 would read the
 * folder and exit() the process -- a reload of such a file stopped dnp3gwd.
 * Now it is an error at its line and the running config is kept.
 */
static void test_include_folder(void **state)
{
        (void)state;
        struct rec r = { 0 };
        struct gw_config *cfg = NULL;
        const struct gw_diag_sink sink = { .fn = rec_sink, .ctx = &r };
        assert_int_equal(gw_config_load(CONFIG_TEST_DIR "/broken/include_folder.conf", &cfg,
                                        &sink), -EINVAL);
        assert_null(cfg);
        assert_int_equal(r.nerr, 2);
        assert_int_equal(r.n, 2);
        assert_string_equal(r.lines[0], "include_folder.conf:2: @include \"\": no file name");
        assert_string_equal(r.lines[1], "include_folder.conf:3: @include \"inc\": "
                            CONFIG_TEST_DIR "/broken/inc is not a regular file");
}

static void test_check_main(void **state)
{
        (void)state;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        assert_non_null(f);
        assert_int_equal(gw_config_check_main(CONFIG_TEST_DIR "/broken/baud.conf", f), EX_CONFIG);
        assert_int_equal(gw_config_check_main(CONFIG_TEST_DIR "/valid/minimal.conf", f), 0);
        assert_int_equal(gw_config_check_main(CONFIG_TEST_DIR "/nonexistent.conf", f), EX_CONFIG);
        fclose(f);
        assert_non_null(strstr(buf, "/broken/baud.conf:22: channels[0].serial.baud: 14400 is not a "
                                    "supported baud rate"));
        assert_non_null(strstr(buf, "/broken/baud.conf: 1 error\n"));
        assert_non_null(strstr(buf, "/valid/minimal.conf: OK (dnp3gw: outstations=1"));
        assert_non_null(strstr(buf, "/nonexistent.conf: No such file or directory\n"));
        free(buf);
}

static void test_names(void **state)
{
        (void)state;
        assert_string_equal(gw_log_level_name(GW_LOG_TRACE), "trace");
        /* dnp3gwd -l takes exactly the words gateway.log_level takes */
        enum gw_log_level lvl = GW_LOG_INFO;
        assert_int_equal(gw_log_level_from_name("debug", &lvl), 0);
        assert_int_equal(lvl, GW_LOG_DEBUG);
        assert_int_equal(gw_log_level_from_name("DEBUG", &lvl), -EINVAL);
        assert_int_equal(gw_log_level_from_name("debu", &lvl), -EINVAL);
        assert_int_equal(lvl, GW_LOG_DEBUG);
        assert_string_equal(gw_tsync_name(GW_TSYNC_DELAY), "delay");
        assert_string_equal(io_parity_name(IO_PARITY_SPACE), "space");
        assert_string_equal(io_flow_name(IO_FLOW_DTRDSR), "dtrdsr");
        /* the keys under `points` are the point-type table's */
        assert_string_equal(dnp_ptype(DNP_TYPE_FCNT)->key, "frozen_counters");
        assert_null(dnp_ptype(DNP_TYPE_CROB));
        /* the one fallback text of every name table (dnp3/names.h), was "?" */
        assert_string_equal(gw_log_level_name(GW_LOG_MAX), "UNKNOWN");
        assert_string_equal(gw_tsync_name(GW_TSYNC_MAX), "UNKNOWN");
        assert_string_equal(io_parity_name(IO_PARITY_MAX), "UNKNOWN");
        assert_string_equal(io_flow_name(IO_FLOW_MAX), "UNKNOWN");
}

/*
 * Point names: a `names` entry names the first points of its range; every
 * other point is "<channel>/<device>:<type><source index>"; an unmapped
 * index has no name.
 */
static void test_point_names(void **state)
{
        (void)state;
        struct rec r = { 0 };
        char buf[DNAMES_POINT_MAX];
        struct gw_config *cfg = load("../../etc/dnp3gw/dnp3gw.conf", &r);
        assert_int_equal(r.nerr, 0);
        assert_string_equal(dnames_index(cfg, DNP_TYPE_DBI, 0, buf, sizeof(buf)), "CB1");
        assert_string_equal(dnames_index(cfg, DNP_TYPE_DBI, 1, buf, sizeof(buf)), "89-1");
        assert_string_equal(dnames_index(cfg, DNP_TYPE_DBI, 2, buf, sizeof(buf)),
                            "bay1/relay2:dbi0");
        assert_string_equal(dnames_index(cfg, DNP_TYPE_DBI, 3, buf, sizeof(buf)),
                            "bay1/relay2:dbi1");
        assert_null(dnames_index(cfg, DNP_TYPE_DBI, 4, buf, sizeof(buf)));
        assert_string_equal(dnames_index(cfg, DNP_TYPE_BO, 0, buf, sizeof(buf)), "CB1 trip/close");
        assert_string_equal(dnames_index(cfg, DNP_TYPE_BO, 1, buf, sizeof(buf)),
                            "bay1/relay1:bo1");
        assert_string_equal(dnames_index(cfg, DNP_TYPE_BI, 17, buf, sizeof(buf)),
                            "bay1/relay2:bi1");
        assert_string_equal(dnames_index(cfg, DNP_TYPE_AI, 9, buf, sizeof(buf)),
                            "bay1/relay2:ai1");
        assert_null(dnames_index(cfg, DNP_TYPE_FCNT, 0, buf, sizeof(buf)));
        assert_null(dnames_index(cfg, DNP_TYPE_CROB, 0, buf, sizeof(buf)));
        uint32_t k = 99;
        const struct gw_point_range *p = dnames_find(cfg, DNP_TYPE_BI, 20, &k);
        assert_non_null(p);
        assert_int_equal(p->index, 16);
        assert_int_equal(k, 4);
        assert_int_equal(p->nnames, 0);
        gw_config_free(cfg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_event_bytes),
                cmocka_unit_test(test_minimal_defaults),
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_default_variations),
                cmocka_unit_test(test_fanout_notice),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_include_folder),
                cmocka_unit_test(test_check_main),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_point_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
