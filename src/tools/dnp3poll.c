/* SPDX-License-Identifier: MIT */
/*
 * dnp3poll: the commissioning master.  Polls one outstation over TCP or a
 * serial line with the master session and its libevent adapter
 * (src/io/master_io.h): integrity poll and point table, events (polled and
 * unsolicited) as they arrive, IIN bits by name, one control (CROB or
 * analog output) with select-before-operate, direct operate or direct
 * operate without answer, time synchronisation.  --json prints one JSON
 * object per line for scripts.  See dnp3poll(1).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "dnp3/app.h"
#include "dnp3/link.h"
#include "dnp3/obj.h"
#include "dnp3/ptype.h"
#include "toolopt.h"
#include "io/master_io.h"
#include "master/master_chan.h"
#include "master/master_cmd.h"
#include "master/master_dev.h"

#define POLL_EXIT_OK 0
#define POLL_EXIT_FAIL 1
#define POLL_EXIT_USAGE 2

struct poll_row {
        struct master_meas m;
};

struct poll {
        struct event_base *base;
        struct master_io *io;
        struct master_dev *dev;
        struct event *ev_int, *ev_term, *ev_exit;
        bool json, follow, integrity, tcp;
        bool have_cmd;
        enum master_cmd_mode mode;
        struct master_cmd_obj cmd;
        bool cmd_sent, cmd_done;
        bool table_done;
        int rc;                         /* -1 while undecided */
        struct poll_row *rows;          /* static values of the integrity poll in progress */
        size_t nrows, cap;
        uint16_t iin;
        bool iin_known;
};

/* ---- formatting ---- */

static void fmt_time(char *buf, size_t n, uint64_t ms)
{
        time_t t = (time_t)(ms / 1000);
        struct tm tm;
        if (!gmtime_r(&t, &tm)) {
                snprintf(buf, n, "?");
                return;
        }
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (unsigned)(ms % 1000));
}

/* "ONLINE|RESTART" (text) or "\"ONLINE\",\"RESTART\"" (json); "" when none. */
static void fmt_flags(char *buf, size_t n, enum dnp_type t, uint8_t flags, bool json)
{
        size_t off = 0;
        buf[0] = '\0';
        for (unsigned b = 0; b < 8; b++) {
                const char *name = dnp_ptype_flag_name(t, b);
                if (!(flags & (1u << b)) || !name)
                        continue;
                int w = snprintf(buf + off, n - off, json ? "%s\"%s\"" : "%s%s",
                                 off ? (json ? "," : "|") : "", name);
                if (w < 0 || (size_t)w >= n - off)
                        return;
                off += (size_t)w;
        }
}

static void fmt_value(char *buf, size_t n, const struct master_meas *m, bool json)
{
        const struct dnp_value *v = &m->v;
        switch (dnp_type_value(m->type)) {
        case DNP_VAL_BIT:
                snprintf(buf, n, "%u", v->v.bit ? 1u : 0u);
                break;
        case DNP_VAL_DBIT:
                snprintf(buf, n, "%u", (unsigned)v->v.dbit);
                break;
        case DNP_VAL_COUNT:
                snprintf(buf, n, "%" PRIu32, v->v.count);
                break;
        case DNP_VAL_ANALOG:
                if (!isfinite(v->v.analog) && json)
                        snprintf(buf, n, "null");
                else
                        snprintf(buf, n, "%.15g", v->v.analog);
                break;
        default:
                snprintf(buf, n, json ? "null" : "?");
                break;
        }
}

static void print_meas_json(const struct master_meas *m)
{
        char val[64], flags[160], iso[80];
        fmt_value(val, sizeof(val), m, true);
        fmt_flags(flags, sizeof(flags), m->type, m->v.flags, true);
        fmt_time(iso, sizeof(iso), m->v.time);
        printf("{\"type\":\"%s\",\"group\":%u,\"var\":%u,\"index\":%" PRIu32 ",\"value\":%s,"
               "\"flags\":[%s],\"flags_raw\":%u,\"time_ms\":%" PRIu64 ",\"time\":\"%s\","
               "\"device_time\":%s,\"event\":%s,\"unsolicited\":%s}\n",
               dnp_type_name(m->type), m->group, m->var, m->v.index, val, flags, m->v.flags,
               m->v.time, iso, m->device_time ? "true" : "false", m->event ? "true" : "false",
               m->unsolicited ? "true" : "false");
}

static void print_meas_text(const struct master_meas *m, const char *kind)
{
        char val[64], flags[160], iso[80];
        fmt_value(val, sizeof(val), m, false);
        fmt_flags(flags, sizeof(flags), m->type, m->v.flags, false);
        fmt_time(iso, sizeof(iso), m->v.time);
        printf("%-6s %-18s %6" PRIu32 " %14s  %-28s %s%s\n", kind, dnp_type_name(m->type),
               m->v.index, val, flags[0] ? flags : "-", iso, m->device_time ? "" : " (received)");
}

static void print_iin(struct poll *p, uint16_t iin)
{
        char names[400];
        size_t off = 0;
        names[0] = '\0';
        for (unsigned b = 0; b < 16; b++) {
                if (!(iin & (1u << b)))
                        continue;
                int w = snprintf(names + off, sizeof(names) - off,
                                 p->json ? "%s\"%s\"" : "%s%s", off ? (p->json ? "," : " ") : "",
                                 app_iin_bit_name(b));
                if (w < 0 || (size_t)w >= sizeof(names) - off)
                        break;
                off += (size_t)w;
        }
        if (p->json)
                printf("{\"iin\":[%s],\"iin_raw\":%u}\n", names, iin);
        else
                printf("IIN: %s\n", off ? names : "(none)");
}

/* ---- finishing ---- */

static void poll_finish(struct poll *p, int rc)
{
        if (p->rc < 0 || rc > p->rc)
                p->rc = rc;
        event_base_loopbreak(p->base);
}

/* Done when not following: the table (if any) printed and the control (if any) finished. */
static void poll_check_done(struct poll *p)
{
        if (p->follow)
                return;
        bool table = !p->have_cmd || p->integrity;
        if ((!table || p->table_done) && (!p->have_cmd || p->cmd_done))
                poll_finish(p, p->rc < 0 ? POLL_EXIT_OK : p->rc);
}

static void print_stats(struct poll *p)
{
        const struct link_stats *ls = master_chan_link_stats(master_io_chan(p->io));
        const struct master_chan_stats *cs = master_chan_get_stats(master_io_chan(p->io));
        const struct master_dev_stats *ds = master_dev_get_stats(p->dev);
        if (p->json) {
                printf("{\"stats\":{\"frames\":%" PRIu64 ",\"bytes_discarded\":%" PRIu64
                       ",\"hdr_crc_errors\":%" PRIu64 ",\"body_crc_errors\":%" PRIu64
                       ",\"bad_length\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
                       ",\"transactions\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"timeouts\":%" PRIu64
                       ",\"unsolicited\":%" PRIu64 ",\"values\":%" PRIu64 ",\"opens\":%" PRIu64
                       "}}\n",
                       ls->frames, ls->bytes_discarded, ls->hdr_crc_errors, ls->body_crc_errors,
                       ls->bad_length, cs->rx_bytes, cs->tx_bytes, ds->transactions, ds->failed,
                       ds->timeouts, ds->unsolicited, ds->values,
                       io_pipe_stats(master_io_pipe(p->io))->opens);
        } else if (ls->bytes_discarded || ls->hdr_crc_errors || ls->body_crc_errors ||
                   ds->failed) {
                fprintf(stderr,
                        "dnp3poll: %" PRIu64 " frames, %" PRIu64 " bytes discarded, %" PRIu64
                        " header CRC errors, %" PRIu64 " body CRC errors, %" PRIu64
                        " failed transactions\n",
                        ls->frames, ls->bytes_discarded, ls->hdr_crc_errors, ls->body_crc_errors,
                        ds->failed);
        }
}

/* ---- master callbacks ---- */

static void on_value(void *ctx, const struct master_meas *m)
{
        struct poll *p = ctx;
        if (p->json) {
                print_meas_json(m);
                return;
        }
        if (m->event) {
                print_meas_text(m, m->unsolicited ? "unsol" : "event");
                return;
        }
        if (p->nrows == p->cap) {
                size_t ncap = p->cap ? 2 * p->cap : 256;
                struct poll_row *r = realloc(p->rows, ncap * sizeof(*r));
                if (!r)
                        return;
                p->rows = r;
                p->cap = ncap;
        }
        p->rows[p->nrows++].m = *m;
}

static void print_table(struct poll *p)
{
        if (p->json)
                return;
        printf("%-6s %-18s %6s %14s  %-28s %s\n", "KIND", "TYPE", "INDEX", "VALUE", "FLAGS",
               "TIME");
        for (size_t i = 0; i < p->nrows; i++)
                print_meas_text(&p->rows[i].m, "static");
        p->nrows = 0;
}

static void on_cmd_done(void *ctx, struct master_dev *d, const struct master_cmd_result *r)
{
        struct poll *p = ctx;
        (void)d;
        p->cmd_done = true;
        if (p->json) {
                printf("{\"control\":\"%s\",\"id\":%" PRIu32 ",\"ok\":%s,\"iin_raw\":%u,"
                       "\"objects\":[",
                       master_cmd_mode_name(p->mode), r->id, r->ok ? "true" : "false", r->iin);
                for (size_t i = 0; i < r->n; i++)
                        printf("%s{\"index\":%" PRIu32 ",\"result\":\"%s\",\"status\":\"%s\","
                               "\"status_code\":%u}",
                               i ? "," : "", p->cmd.v.index,
                               master_cmd_res_name((enum master_cmd_res)r->objs[i].res),
                               dnp_cmd_status_name(r->objs[i].status), r->objs[i].status);
                printf("]}\n");
        } else {
                for (size_t i = 0; i < r->n; i++)
                        printf("control %s g%uv%u index %" PRIu32 ": %s, status %s\n",
                               master_cmd_mode_name(p->mode), p->cmd.group, p->cmd.var,
                               p->cmd.v.index,
                               master_cmd_res_name((enum master_cmd_res)r->objs[i].res),
                               dnp_cmd_status_name(r->objs[i].status));
        }
        fflush(stdout);
        if (!r->ok)
                p->rc = POLL_EXIT_FAIL;
        poll_check_done(p);
}

static void send_control(struct poll *p)
{
        uint32_t id;
        p->cmd_sent = true;
        int r = master_io_control(p->io, p->dev, p->mode, &p->cmd, 1, on_cmd_done, p, &id);
        if (r < 0) {
                fprintf(stderr, "dnp3poll: control not sent: %s\n", strerror(-r));
                p->cmd_done = true;
                p->rc = POLL_EXIT_FAIL;
                poll_check_done(p);
        }
}

static void on_task(void *ctx, struct master_dev *d, enum master_task t, bool ok)
{
        struct poll *p = ctx;
        (void)d;
        if (t == MASTER_TASK_INTEGRITY && ok) {
                if (!p->have_cmd || p->integrity || p->table_done)
                        print_table(p);
                p->nrows = 0;
                if (p->json)
                        printf("{\"task\":\"%s\",\"ok\":true}\n", master_task_name(t));
                p->table_done = true;
                if (p->have_cmd && !p->cmd_sent)
                        send_control(p);
                poll_check_done(p);
        } else if (p->json) {
                printf("{\"task\":\"%s\",\"ok\":%s}\n", master_task_name(t), ok ? "true" : "false");
        }
        fflush(stdout);
}

static void on_state(void *ctx, struct master_dev *d, enum master_dev_state s)
{
        struct poll *p = ctx;
        (void)d;
        if (p->json)
                printf("{\"state\":\"%s\"}\n", master_dev_state_name(s));
        else
                printf("device %s\n", master_dev_state_name(s));
        fflush(stdout);
        if (s == MASTER_DEV_OFFLINE && !p->follow) {
                fprintf(stderr, "dnp3poll: device offline\n");
                poll_finish(p, POLL_EXIT_FAIL);
        }
}

static void on_iin(void *ctx, struct master_dev *d, uint16_t iin)
{
        struct poll *p = ctx;
        (void)d;
        if (p->iin_known && iin == p->iin)
                return;
        p->iin = iin;
        p->iin_known = true;
        print_iin(p, iin);
        fflush(stdout);
}

static void on_diag(void *ctx, const struct master_diag *dg)
{
        (void)ctx;
        fprintf(stderr, "dnp3poll: %s (%u -> %u)\n", master_diag_name(dg->kind), dg->src,
                dg->dest);
}

static void on_up(void *ctx)
{
        struct poll *p = ctx;
        const struct io_pipe *pipe = master_io_pipe(p->io);
        if (p->json && io_pipe_is_tls(pipe))
                printf("{\"channel\":\"up\",\"tls\":\"%s\",\"cipher\":\"%s\"}\n",
                       io_pipe_tls_version(pipe), io_pipe_tls_cipher(pipe));
        else if (p->json)
                printf("{\"channel\":\"up\"}\n");
        else if (io_pipe_is_tls(pipe))
                fprintf(stderr, "dnp3poll: %s: connected (%s %s, peer %s)\n", io_pipe_name(pipe),
                        io_pipe_tls_version(pipe), io_pipe_tls_cipher(pipe),
                        io_pipe_tls_peer(pipe));
        else
                fprintf(stderr, "dnp3poll: %s: connected\n", io_pipe_name(pipe));
        fflush(stdout);
}

static void on_down(void *ctx, int err, const char *what)
{
        struct poll *p = ctx;
        if (p->json)
                printf("{\"channel\":\"down\",\"error\":\"%s: %s\"}\n", what, strerror(-err));
        else
                fprintf(stderr, "dnp3poll: %s: %s: %s\n", io_pipe_name(master_io_pipe(p->io)),
                        what, strerror(-err));
        fflush(stdout);
        /* The port is another process's (the gateway's): polling it too would corrupt
         * both masters' transactions, and waiting for it is not what was asked. */
        if (!p->tcp && err == -EBUSY)
                poll_finish(p, POLL_EXIT_FAIL);
}

/* ---- events ---- */

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
        struct poll *p = arg;
        (void)sig;
        (void)what;
        poll_finish(p, p->rc < 0 ? POLL_EXIT_OK : p->rc);
}

static void on_exit_timer(evutil_socket_t fd, short what, void *arg)
{
        struct poll *p = arg;
        (void)fd;
        (void)what;
        /* following: a clean end; otherwise the work was not finished in time */
        if (p->follow)
                poll_finish(p, p->rc < 0 ? POLL_EXIT_OK : p->rc);
        else
                poll_finish(p, POLL_EXIT_FAIL);
}

static void on_drain_timer(evutil_socket_t fd, short what, void *arg)
{
        struct poll *p = arg;
        (void)fd;
        (void)what;
        event_base_loopbreak(p->base);
}

/* Let the last request (e.g. a DIRECT_OPERATE_NR) reach the line before closing, for 1 s at most. */
static void poll_drain(struct poll *p)
{
        struct io_pipe *st = master_io_pipe(p->io);
        struct event *t = evtimer_new(p->base, on_drain_timer, p);
        if (!t)
                return;
        struct timeval tv = { .tv_sec = 1 };
        evtimer_add(t, &tv);
        while (master_io_is_up(p->io) && io_pipe_pending(st) > 0 && evtimer_pending(t, NULL))
                event_base_loop(p->base, EVLOOP_ONCE);
        event_free(t);
}

/* ---- command line ---- */

/* A control code by name (dnp_crob_code_from_name) or number. */
static int parse_crob_code(const char *s, uint8_t *ret)
{
        if (dnp_crob_code_from_name(s, ret) == 0)
                return 0;
        uint64_t v;
        if (toolopt_u64(s, 255, &v) < 0)
                return -EINVAL;
        *ret = (uint8_t)v;
        return 0;
}

/* INDEX:CODE[:COUNT:ON:OFF] */
static int parse_crob(char *s, struct master_cmd_obj *o)
{
        char *f[5];
        int n = toolopt_split(s, ":", f, 5);
        uint64_t idx, count = 1, on = 100, off = 100;
        uint8_t code;
        if ((n != 2 && n != 5) || toolopt_u64(f[0], UINT16_MAX, &idx) < 0 ||
            parse_crob_code(f[1], &code) < 0)
                return -EINVAL;
        if (n == 5 && (toolopt_u64(f[2], 255, &count) < 0 || toolopt_u64(f[3], UINT32_MAX, &on) < 0 ||
                       toolopt_u64(f[4], UINT32_MAX, &off) < 0))
                return -EINVAL;
        *o = (struct master_cmd_obj){
                .group = 12,
                .var = 1,
                .v = { .index = (uint32_t)idx,
                       .v.crob = { .code = code, .count = (uint8_t)count, .on_ms = (uint32_t)on,
                                   .off_ms = (uint32_t)off } },
        };
        return 0;
}

/* INDEX:VALUE[:VAR] */
static int parse_ao(char *s, struct master_cmd_obj *o)
{
        char *f[3];
        int n = toolopt_split(s, ":", f, 3);
        uint64_t idx, var;
        char *end;
        if (n < 2 || toolopt_u64(f[0], UINT16_MAX, &idx) < 0)
                return -EINVAL;
        double value = strtod(f[1], &end);
        if (*end || end == f[1] || !isfinite(value))
                return -EINVAL;
        if (n == 3) {
                if (toolopt_u64(f[2], 4, &var) < 0 || var == 0)
                        return -EINVAL;
        } else {
                var = value == floor(value) && fabs(value) <= 2147483647.0 ? 1 : 3;
        }
        *o = (struct master_cmd_obj){
                .group = 41,
                .var = (uint8_t)var,
                .v = { .index = (uint32_t)idx, .v.ao = { .value = value } },
        };
        return master_cmd_obj_check(o);
}

/* HOST:PORT or [HOST6]:PORT; host points into s. */
static int parse_hostport(char *s, struct io_tcp_cfg *ret)
{
        char *colon = strrchr(s, ':');
        uint64_t port;
        if (!colon || colon == s || toolopt_u64(colon + 1, 65535, &port) < 0 || port == 0)
                return -EINVAL;
        *colon = '\0';
        char *host = s;
        if (host[0] == '[') {
                size_t n = strlen(host);
                if (n < 3 || host[n - 1] != ']')
                        return -EINVAL;
                host[n - 1] = '\0';
                host++;
        }
        ret->host = host;
        ret->port = (uint16_t)port;
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f,
                "usage: dnp3poll (--tcp HOST:PORT | --serial DEVICE [--baud N] [--data-bits 8]\n"
                "                [--parity none|odd|even|mark|space] [--stop-bits 1|2]\n"
                "                [--flow none|rtscts|dtrdsr])\n"
                "                [--address N] [--master-address N] [--integrity] [--follow]\n"
                "                [--poll-class SECS] [--unsolicited] [--json]\n"
                "                [--time-sync lan|write]\n"
                "                [--crob INDEX:CODE[:COUNT:ON:OFF] | --ao INDEX:VALUE[:VAR]]\n"
                "                [--sbo | --direct | --direct-nr] [--timeout SECS]\n"
                "                [--retries N] [--comm-fail N] [--exit-after SECS]\n"
                "                " TOOLOPT_TLS_USAGE
                "       dnp3poll -h | --help | -V | --version\n");
}

enum {
        OPT_TCP = 256, OPT_ADDRESS, OPT_MASTER, OPT_INTEGRITY, OPT_FOLLOW, OPT_POLL_CLASS,
        OPT_UNSOL, OPT_JSON, OPT_TSYNC, OPT_CROB, OPT_AO, OPT_SBO, OPT_DIRECT, OPT_DIRECT_NR,
        OPT_TIMEOUT, OPT_RETRIES, OPT_COMM_FAIL, OPT_EXIT_AFTER,
};

/* What the command line sets besides the serial options. */
struct poll_args {
        struct poll *p;
        struct master_io_cfg *cfg;
        struct master_dev_cfg *dcfg;
        struct toolopt_tls tls;
        const char *tcp;
        uint64_t poll_ms, exit_ms;
        bool tsync, have_mode;
        enum master_tsync tsync_mode;
};

static int poll_option(void *ctx, int opt, char *arg)
{
        struct poll_args *a = ctx;
        struct poll *p = a->p;
        uint64_t u;
        int r = 0;
        switch (opt) {
        case OPT_TCP:
                a->tcp = arg;
                return parse_hostport(arg, &a->cfg->pipe.tcp);
        case OPT_ADDRESS:
                r = toolopt_u64(arg, LINK_ADDR_MAX_UNICAST, &u);
                a->dcfg->address = (uint16_t)u;
                return r;
        case OPT_MASTER:
                r = toolopt_u64(arg, LINK_ADDR_MAX_UNICAST, &u);
                a->cfg->chan.master_address = (uint16_t)u;
                return r;
        case OPT_INTEGRITY:
                p->integrity = true;
                return 0;
        case OPT_FOLLOW:
                p->follow = true;
                return 0;
        case OPT_POLL_CLASS:
                return toolopt_secs(arg, &a->poll_ms);
        case OPT_UNSOL:
                a->dcfg->unsolicited = true;
                return 0;
        case OPT_JSON:
                p->json = true;
                return 0;
        case OPT_TSYNC:
                a->tsync = true;
                r = master_tsync_from_name(arg, &a->tsync_mode);
                return r == 0 && a->tsync_mode == MASTER_TSYNC_NONE ? -EINVAL : r;
        case OPT_CROB:
        case OPT_AO:
                if (p->have_cmd)
                        r = -EINVAL;
                else
                        r = (opt == OPT_CROB ? parse_crob : parse_ao)(arg, &p->cmd);
                p->have_cmd = true;
                return r;
        case OPT_SBO:
        case OPT_DIRECT:
        case OPT_DIRECT_NR:
                if (a->have_mode)
                        r = -EINVAL;
                a->have_mode = true;
                p->mode = opt == OPT_SBO      ? MASTER_CMD_SBO
                          : opt == OPT_DIRECT ? MASTER_CMD_DIRECT
                                              : MASTER_CMD_DIRECT_NR;
                return r;
        case OPT_TIMEOUT:
                return toolopt_secs(arg, &a->cfg->chan.response_timeout_ms);
        case OPT_RETRIES:
                r = toolopt_u64(arg, 100, &u);
                a->cfg->chan.retries = (unsigned)u;
                return r;
        case OPT_COMM_FAIL:
                r = toolopt_u64(arg, 1000, &u);
                a->dcfg->comm_fail_after = (unsigned)u;
                return r == 0 && u == 0 ? -EINVAL : r;
        case OPT_EXIT_AFTER:
                return toolopt_secs(arg, &a->exit_ms);
        default:
                return -ENOENT;
        }
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "tcp", required_argument, NULL, OPT_TCP },
                TOOLOPT_SERIAL_OPTIONS,
                { "address", required_argument, NULL, OPT_ADDRESS },
                { "master-address", required_argument, NULL, OPT_MASTER },
                { "integrity", no_argument, NULL, OPT_INTEGRITY },
                { "follow", no_argument, NULL, OPT_FOLLOW },
                { "poll-class", required_argument, NULL, OPT_POLL_CLASS },
                { "unsolicited", no_argument, NULL, OPT_UNSOL },
                { "json", no_argument, NULL, OPT_JSON },
                { "time-sync", required_argument, NULL, OPT_TSYNC },
                { "crob", required_argument, NULL, OPT_CROB },
                { "ao", required_argument, NULL, OPT_AO },
                { "sbo", no_argument, NULL, OPT_SBO },
                { "direct", no_argument, NULL, OPT_DIRECT },
                { "direct-nr", no_argument, NULL, OPT_DIRECT_NR },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "retries", required_argument, NULL, OPT_RETRIES },
                { "comm-fail", required_argument, NULL, OPT_COMM_FAIL },
                { "exit-after", required_argument, NULL, OPT_EXIT_AFTER },
                TOOLOPT_TLS_OPTIONS,
                TOOLOPT_HELP_OPTION,
                { NULL, 0, NULL, 0 },
        };
        struct poll p = { .rc = -1, .mode = MASTER_CMD_SBO };
        struct master_io_cfg cfg = {
                .pipe = { .serial = { .baud = 9600, .data_bits = 8, .stop_bits = 1 } },
                .chan = { .master_address = 1, .response_timeout_ms = 2000, .retries = 1 },
        };
        struct master_dev_cfg dcfg = {
                .name = "outstation",
                .address = 10,
                .comm_fail_after = 3,
                .control_timeout_ms = 0,
                .offline_retry_ms = 5000,
        };
        struct poll_args args = { .p = &p, .cfg = &cfg, .dcfg = &dcfg };
        const struct toolopt cmdline = {
                .prog = "dnp3poll",
                .opts = opts,
                .usage = usage,
                .serial = &cfg.pipe.serial,
                .tls = &args.tls,
                .opt = poll_option,
                .ctx = &args,
        };
        int r;

        r = toolopt_parse(&cmdline, argc, argv);
        if (r != 0)
                return r > 0 ? POLL_EXIT_OK : POLL_EXIT_USAGE;
        if (!args.tcp == !cfg.pipe.serial.device || (args.have_mode && !p.have_cmd) ||
            dcfg.address == cfg.chan.master_address || (args.tls.given && !args.tcp)) {
                usage(stderr);
                return POLL_EXIT_USAGE;
        }
        if (toolopt_tls_new("dnp3poll", &args.tls, &cfg.pipe.tcp.tls) < 0)
                return POLL_EXIT_USAGE;
        p.tcp = args.tcp != NULL;
        cfg.pipe.transport = p.tcp ? IO_TRANSPORT_TCP : IO_TRANSPORT_SERIAL;
        for (unsigned i = 0; i < 3; i++)
                dcfg.class_ms[i] = args.poll_ms;
        if (args.tsync) {
                dcfg.time_sync = args.tsync_mode;
                /* "write": with delay measurement on serial lines, without on TCP */
                dcfg.measure_delay = !p.tcp;
        }
        /* a control gives up after every try of its requests */
        dcfg.control_timeout_ms = cfg.chan.response_timeout_ms * (cfg.chan.retries + 1) * 2 + 1000;

        /* One line per value even into a pipe (dnp3poll --follow | grep ...). */
        setvbuf(stdout, NULL, _IOLBF, 0);
        p.base = event_base_new();
        if (!p.base) {
                fprintf(stderr, "dnp3poll: event_base_new failed\n");
                return POLL_EXIT_FAIL;
        }
        const struct master_callbacks mcb = {
                .ctx = &p,
                .on_value = on_value,
                .on_state = on_state,
                .on_iin = on_iin,
                .on_diag = on_diag,
                .on_task = on_task,
        };
        const struct master_io_cb iocb = { .on_up = on_up, .on_down = on_down };
        r = master_io_new(p.base, &cfg, &mcb, &iocb, &p, &p.io);
        io_tls_free(cfg.pipe.tcp.tls);  /* the pipe holds its own reference */
        if (r == 0)
                r = master_io_add_dev(p.io, &dcfg, &p.dev);
        if (r < 0) {
                fprintf(stderr, "dnp3poll: %s\n", strerror(-r));
                master_io_free(p.io);
                event_base_free(p.base);
                return POLL_EXIT_USAGE;
        }
        p.ev_int = evsignal_new(p.base, SIGINT, on_signal, &p);
        p.ev_term = evsignal_new(p.base, SIGTERM, on_signal, &p);
        evsignal_add(p.ev_int, NULL);
        evsignal_add(p.ev_term, NULL);
        if (args.exit_ms) {
                p.ev_exit = evtimer_new(p.base, on_exit_timer, &p);
                struct timeval tv = { .tv_sec = (time_t)(args.exit_ms / 1000),
                                      .tv_usec = (suseconds_t)((args.exit_ms % 1000) * 1000) };
                evtimer_add(p.ev_exit, &tv);
        }
        signal(SIGPIPE, SIG_IGN);

        master_io_start(p.io);
        if (p.rc < 0)
                event_base_dispatch(p.base);
        poll_drain(&p);

        print_stats(&p);
        int rc = p.rc < 0 ? POLL_EXIT_OK : p.rc;
        if (p.have_cmd && !p.cmd_done)
                rc = POLL_EXIT_FAIL;
        master_io_free(p.io);
        if (p.ev_exit)
                event_free(p.ev_exit);
        event_free(p.ev_int);
        event_free(p.ev_term);
        event_base_free(p.base);
        free(p.rows);
        return rc;
}
