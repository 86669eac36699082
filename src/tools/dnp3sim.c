/* SPDX-License-Identifier: MIT */
/*
 * dnp3sim: a simulated outstation (IED) on TCP or a serial line, built on
 * the outstation session and its libevent adapter.  Values change from
 * commands on stdin or in a script; every control the master sends is
 * printed as one JSON line on stdout and answered with the status set for
 * that point; every freeze request is printed and carried out here (the
 * session hands it over).  See dnp3sim(1).
 *
 * This file: the options, the setup and the command language of stdin and
 * --script; the session's callbacks are in sim_session.c (sim.h).
 */
#include "sim.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnp3/app.h"
#include "dnp3/obj.h"
#include "dnp3/ptype.h"
#include "toolopt.h"
#include "io/clock.h"
#include "io/addr.h"
#include "outstation/db.h"

#define SIM_MAX_ALLOW 16

static int parse_status(const char *s, uint8_t *ret)
{
        uint64_t n;
#define X(name, code) if (strcasecmp(s, #name) == 0) { *ret = (code); return 0; }
        DNP_CMD_STATUS_LIST(X)
#undef X
        if (toolopt_u64(s, 255, &n) < 0)
                return -EINVAL;
        *ret = (uint8_t)n;
        return 0;
}

/* "bi=16,dbi=4,..." into counts; types not named get 0. */
static int parse_points(const char *spec, uint32_t counts[DNP_TYPE_MAX])
{
        char buf[256];
        if (strlen(spec) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, spec);
        memset(counts, 0, sizeof(uint32_t) * DNP_TYPE_MAX);
        char *save = NULL;
        for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(tok, '=');
                uint64_t n;
                if (!eq)
                        return -EINVAL;
                *eq = '\0';
                const struct dnp_ptype *st = dnp_ptype_by_abbr(tok);
                if (!st || toolopt_u64(eq + 1, 65536, &n) < 0)
                        return -EINVAL;
                counts[st->type] = (uint32_t)n;
        }
        return 0;
}

/* ---- commands ---------------------------------------------------------- */

static int sim_set(struct sim *s, enum dnp_type t, uint32_t idx, double value, bool has_time,
                   uint64_t time)
{
        struct outst *o = outst_io_outst(s->io);
        struct dnp_value v;
        int r = db_get(outst_db(o), t, idx, &v);
        if (r < 0)
                return r;
        dnp_value_set(t, value, &v);
        v.flags = dnp_value_state_flags(t, &v);
        v.time = has_time ? time : io_wall_ms();
        v.time_kind = DNP_TIME_ABS;
        r = outst_io_update(s->io, t, &v, has_time ? DB_FORCE : DB_DETECT);
        return r < 0 ? r : 0;
}

static int sim_flags(struct sim *s, enum dnp_type t, uint32_t idx, uint8_t flags)
{
        struct dnp_value v;
        int r = db_get(outst_db(outst_io_outst(s->io)), t, idx, &v);
        if (r < 0)
                return r;
        v.flags = flags;
        v.flags = dnp_value_state_flags(t, &v);
        v.time = io_wall_ms();
        v.time_kind = DNP_TIME_ABS;
        r = outst_io_update(s->io, t, &v, DB_DETECT);
        return r < 0 ? r : 0;
}

/* N events on one point, alternating 0/1, 1 ms apart, the last stamped now. */
static int sim_burst(struct sim *s, enum dnp_type t, uint32_t idx, uint64_t n)
{
        struct outst *o = outst_io_outst(s->io);
        uint64_t now = io_wall_ms();
        uint64_t mono = io_mono_ms();
        struct dnp_value v;
        int r = db_get(outst_db(o), t, idx, &v);
        if (r < 0)
                return r;
        for (uint64_t i = 0; i < n; i++) {
                double value = (i & 1) ? 0.0 : 1.0;
                dnp_value_set(t, value, &v);
                v.flags = dnp_value_state_flags(t, &v);
                v.time = now - (n - 1 - i);
                v.time_kind = DNP_TIME_ABS;
                r = outst_update(o, t, &v, DB_FORCE, mono);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int sim_command(struct sim *s, char *line)
{
        char *argv[8];
        int argc = 0;
        char *save = NULL;

        char *hash = strchr(line, '#');
        if (hash)
                *hash = '\0';
        for (char *t = strtok_r(line, " \t\r\n", &save); t && argc < 8;
             t = strtok_r(NULL, " \t\r\n", &save))
                argv[argc++] = t;
        if (argc == 0)
                return 0;

        const struct dnp_ptype *st = dnp_ptype_by_abbr(argv[0]);
        uint64_t idx, n;
        if (st) {
                /* TYPE INDEX VALUE [@MS] */
                char *end;
                uint64_t time = 0;
                bool has_time = false;
                if (argc < 3 || argc > 4 || toolopt_u64(argv[1], UINT32_MAX, &idx) < 0)
                        return -EINVAL;
                double value = strtod(argv[2], &end);
                if (*end || end == argv[2])
                        return -EINVAL;
                if (argc == 4) {
                        if (argv[3][0] != '@' || toolopt_u64(argv[3] + 1, 0xffffffffffffULL, &time) < 0)
                                return -EINVAL;
                        has_time = true;
                }
                return sim_set(s, st->type, (uint32_t)idx, value, has_time, time);
        }
        if (strcmp(argv[0], "flags") == 0) {
                uint64_t f;
                if (argc != 4 || !(st = dnp_ptype_by_abbr(argv[1])) ||
                    toolopt_u64(argv[2], UINT32_MAX, &idx) < 0 || toolopt_u64(argv[3], 255, &f) < 0)
                        return -EINVAL;
                return sim_flags(s, st->type, (uint32_t)idx, (uint8_t)f);
        }
        if (strcmp(argv[0], "status") == 0) {
                uint8_t code;
                if (argc != 4 || toolopt_u64(argv[2], UINT32_MAX, &idx) < 0 ||
                    parse_status(argv[3], &code) < 0)
                        return -EINVAL;
                if (strcmp(argv[1], "crob") == 0 && idx < s->n_bo)
                        s->crob_status[idx] = code;
                else if (strcmp(argv[1], "ao") == 0 && idx < s->n_ao)
                        s->ao_status[idx] = code;
                else
                        return -ERANGE;
                return 0;
        }
        if (strcmp(argv[0], "restart") == 0 && argc == 1) {
                outst_set_restart(outst_io_outst(s->io));      /* in the next response */
                return 0;
        }
        if (strcmp(argv[0], "burst") == 0) {
                if (argc != 4 || !(st = dnp_ptype_by_abbr(argv[1])) ||
                    toolopt_u64(argv[2], UINT32_MAX, &idx) < 0 ||
                    toolopt_u64(argv[3], 10000000, &n) < 0)
                        return -EINVAL;
                return sim_burst(s, st->type, (uint32_t)idx, n);
        }
        if (strcmp(argv[0], "quit") == 0 && argc == 1) {
                s->quit = true;
                event_base_loopbreak(s->base);
                return 0;
        }
        return -EINVAL;
}

static void sim_run_line(struct sim *s, char *line, const char *src, unsigned lineno)
{
        char copy[SIM_MAX_LINE];
        snprintf(copy, sizeof(copy), "%s", line);
        copy[strcspn(copy, "\r\n")] = '\0';
        int r = sim_command(s, line);
        if (r < 0)
                fprintf(stderr, "dnp3sim: %s:%u: %s: %s\n", src, lineno, copy,
                        r == -ERANGE ? "no such point" : "bad command");
}

static unsigned stdin_lineno;

/* Complete lines from a buffer of input bytes. */
static void sim_feed(struct sim *s, const char *p, size_t n)
{
        for (size_t i = 0; i < n && !s->quit; i++) {
                if (p[i] != '\n') {
                        if (s->line_len + 1 < sizeof(s->line))
                                s->line[s->line_len++] = p[i];
                        else
                                s->line_too_long = true;
                        continue;
                }
                s->line[s->line_len] = '\0';
                stdin_lineno++;
                if (s->line_too_long)
                        fprintf(stderr, "dnp3sim: stdin:%u: line too long\n", stdin_lineno);
                else
                        sim_run_line(s, s->line, "stdin", stdin_lineno);
                s->line_len = 0;
                s->line_too_long = false;
        }
}

static void sim_on_stdin(evutil_socket_t fd, short what, void *arg)
{
        struct sim *s = arg;
        char buf[4096];
        (void)what;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) {
                /* end of input: keep serving until a signal */
                event_del(s->ev_stdin);
                return;
        }
        sim_feed(s, buf, (size_t)n);
}

static int sim_script(struct sim *s, const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return -errno;
        char line[SIM_MAX_LINE];
        unsigned no = 0;
        while (!s->quit && fgets(line, sizeof(line), f)) {
                no++;
                sim_run_line(s, line, path, no);
        }
        fclose(f);
        return 0;
}

static void sim_on_signal(evutil_socket_t sig, short what, void *arg)
{
        struct sim *s = arg;
        (void)sig;
        (void)what;
        event_base_loopbreak(s->base);
}

/* ---- setup ----------------------------------------------------------- */

static void usage(FILE *f)
{
        fprintf(f,
                "usage: dnp3sim (--listen ADDR:PORT [--allow CIDR]... | --serial DEVICE\n"
                "               [--baud N] [--data-bits 8] [--parity none|odd|even|mark|space]\n"
                "               [--stop-bits 1|2] [--flow none|rtscts|dtrdsr])\n"
                "               [--address N] [--master-address N] [--points SPEC]\n"
                "               [--event-depth N] [--max-fragment N] [--confirm-timeout MS]\n"
                "               [--keepalive MS] [--unsolicited] [--script FILE]\n"
                "               " TOOLOPT_TLS_USAGE
                "       dnp3sim -h | --help | -V | --version\n");
}

static void sim_init_points(struct sim *s, const uint32_t counts[DNP_TYPE_MAX])
{
        struct outst *o = outst_io_outst(s->io);
        struct db *db = outst_db(o);
        uint64_t wall = io_wall_ms();

        DNP_PTYPE_FOREACH(p) {
                enum dnp_type t = p->type;
                for (uint32_t k = 0; k < counts[t]; k++) {
                        struct dnp_value v = {
                                .index = k,
                                .flags = DNP_FLAG_ONLINE,
                                .time = wall,
                                .time_kind = DNP_TIME_ABS,
                        };
                        if (t == DNP_TYPE_DBI) {
                                v.v.dbit = DNP_DBIT_OFF;
                                v.flags |= DNP_DBIT_OFF << 6;
                        }
                        struct db_event unused;
                        (void)db_update(db, t, &v, DB_DETECT, &unused);
                }
                if (counts[t] == 0)
                        continue;
                struct db_point_cfg pc = {
                        .static_var = p->svar,
                        .event_var = p->evar,
                        .event_class = p->cls,
                };
                (void)db_configure(db, t, 0, counts[t], &pc);
        }
}

enum {
        OPT_LISTEN = 256, OPT_ADDRESS, OPT_MASTER, OPT_POINTS, OPT_UNSOL, OPT_SCRIPT, OPT_ALLOW,
        OPT_DEPTH, OPT_MAXFRAG, OPT_CONFIRM, OPT_KEEPALIVE,
};

/* What the command line sets besides the numbers and the serial options. */
struct sim_args {
        struct outst_io_cfg *iocfg;
        const char *listen, *script;
        uint32_t *counts;
        bool unsol;
        struct io_cidr *allow;          /* SIM_MAX_ALLOW */
        size_t n_allow;
        struct toolopt_tls tls;
};

static int sim_option(void *ctx, int opt, char *arg)
{
        struct sim_args *a = ctx;
        switch (opt) {
        case OPT_LISTEN:
                a->listen = arg;
                return io_endpoint_parse(arg, &a->iocfg->listen.ep);
        case OPT_POINTS:
                return parse_points(arg, a->counts);
        case OPT_UNSOL:
                a->unsol = true;
                return 0;
        case OPT_SCRIPT:
                a->script = arg;
                return 0;
        case OPT_ALLOW:
                if (a->n_allow == SIM_MAX_ALLOW)
                        return -E2BIG;
                return io_cidr_parse(arg, &a->allow[a->n_allow++]);
        default:
                return -ENOENT;
        }
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "listen", required_argument, NULL, OPT_LISTEN },
                TOOLOPT_SERIAL_OPTIONS,
                { "address", required_argument, NULL, OPT_ADDRESS },
                { "master-address", required_argument, NULL, OPT_MASTER },
                { "points", required_argument, NULL, OPT_POINTS },
                { "unsolicited", no_argument, NULL, OPT_UNSOL },
                { "script", required_argument, NULL, OPT_SCRIPT },
                { "allow", required_argument, NULL, OPT_ALLOW },
                { "event-depth", required_argument, NULL, OPT_DEPTH },
                { "max-fragment", required_argument, NULL, OPT_MAXFRAG },
                { "confirm-timeout", required_argument, NULL, OPT_CONFIRM },
                { "keepalive", required_argument, NULL, OPT_KEEPALIVE },
                TOOLOPT_TLS_OPTIONS,
                TOOLOPT_HELP_OPTION,
                { NULL, 0, NULL, 0 },
        };
        struct sim s = { 0 };
        struct io_pipe_cfg pipe = {
                .transport = IO_TRANSPORT_SERIAL,
                .serial = { .baud = 9600, .data_bits = 8, .stop_bits = 1 },
        };
        struct outst_io_cfg iocfg = { 0 };
        struct io_cidr allow[SIM_MAX_ALLOW];
        uint64_t address = 10, master = 1, depth = 10000, maxfrag = 2048, confirm = 5000;
        uint64_t keepalive = 0;
        uint32_t counts[DNP_TYPE_MAX];
        const struct toolopt_num nums[] = {
                { OPT_ADDRESS, 0, 0xfff0 - 1, &address },
                { OPT_MASTER, 0, 0xfff0 - 1, &master },
                { OPT_DEPTH, 0, 1000000, &depth },
                { OPT_MAXFRAG, 249, 65535, &maxfrag },
                { OPT_CONFIRM, 0, 3600000, &confirm },
                { OPT_KEEPALIVE, 0, 3600000, &keepalive },
        };
        struct sim_args args = { .iocfg = &iocfg, .counts = counts, .allow = allow };
        const struct toolopt cmdline = {
                .prog = "dnp3sim",
                .opts = opts,
                .usage = usage,
                .nums = nums,
                .nnums = sizeof(nums) / sizeof(nums[0]),
                .serial = &pipe.serial,
                .tls = &args.tls,
                .opt = sim_option,
                .ctx = &args,
        };
        int r;

        parse_points("bi=16,dbi=4,bo=4,cnt=4,fcnt=4,ai=8,ao=2", counts);
        r = toolopt_parse(&cmdline, argc, argv);
        if (r != 0)
                return r > 0 ? 0 : 2;
        if (!args.listen == !pipe.serial.device || (args.tls.given && !args.listen)) {
                usage(stderr);
                return 2;
        }
        if (toolopt_tls_new("dnp3sim", &args.tls, &iocfg.listen.tls) < 0)
                return 2;
        struct outst_cfg ocfg = {
                .address = (uint16_t)address,
                .master_address = (uint16_t)master,
                .max_fragment = maxfrag,
                .max_rx_fragment = 2048,
                .keepalive_ms = keepalive,
                .link_timeout_ms = 1000,
                .link_retries = 2,
                .confirm_timeout_ms = confirm,
                .select_timeout_ms = 10000,
                .cmd_timeout_ms = 5000,
                .unsol = {
                        .enabled = args.unsol,
                        .classes = 0xe,
                        .retries = -1,
                },
                .event_depth = { 0, (uint32_t)depth, (uint32_t)depth, (uint32_t)depth },
        };
        memcpy(ocfg.points, counts, sizeof(counts));
        if (pipe.serial.device) {
                iocfg.pipe = &pipe;
                s.serial = true;
                s.where = pipe.serial.device;
        } else {
                iocfg.listen.allow = allow;
                iocfg.listen.n_allow = args.n_allow;
                s.where = args.listen;
        }
        s.n_bo = counts[DNP_TYPE_BO];
        s.n_ao = counts[DNP_TYPE_AO];
        s.n_cnt = counts[DNP_TYPE_CNT];
        s.crob_status = calloc(s.n_bo + 1, 1);
        s.ao_status = calloc(s.n_ao + 1, 1);
        s.frz_bits = calloc(s.n_cnt / 8 + 1, 1);
        s.frz.named = s.frz_bits;
        if (!s.crob_status || !s.ao_status || !s.frz_bits) {
                fprintf(stderr, "dnp3sim: out of memory\n");
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        s.base = event_base_new();
        if (!s.base) {
                fprintf(stderr, "dnp3sim: cannot create the event loop\n");
                return 1;
        }
        s.frz_timer.armed = DNP_NEVER;
        s.frz_timer.ev = evtimer_new(s.base, sim_on_frz_timer, &s);
        if (!s.frz_timer.ev) {
                fprintf(stderr, "dnp3sim: cannot create a timer\n");
                return 1;
        }
        /* the database must be filled before a master can connect: create, then fill */
        r = outst_io_new(s.base, &iocfg, &ocfg, &sim_outst_cb, &sim_io_cb, &s, &s.io);
        io_tls_free(iocfg.listen.tls);  /* the listener holds its own reference */
        if (r < 0) {
                fprintf(stderr, "dnp3sim: %s: %s\n", s.where, strerror(-r));
                return 1;
        }
        sim_init_points(&s, counts);
        if (args.script && (r = sim_script(&s, args.script)) < 0) {
                fprintf(stderr, "dnp3sim: %s: %s\n", args.script, strerror(-r));
                return 1;
        }
        if (!s.serial) {
                s.ready = true;
                sim_out_line("{\"event\":\"ready\",\"listen\":\"%s\",\"port\":%u,\"tls\":%s}",
                             args.listen, outst_io_port(s.io), iocfg.listen.tls ? "true" : "false");
        }
        if (!s.quit)    /* not when its port is another process's (sim_on_open_fail) */
                fprintf(stderr, "dnp3sim: outstation %u (master %u) on %s\n", (unsigned)address,
                        (unsigned)master, s.where);

        s.ev_stdin = s.quit ? NULL
                            : event_new(s.base, STDIN_FILENO, EV_READ | EV_PERSIST, sim_on_stdin, &s);
        if (!s.quit && (!s.ev_stdin || event_add(s.ev_stdin, NULL) < 0)) {
                /* a regular file or /dev/null cannot be polled: read it all now */
                char buf[4096];
                ssize_t n;
                while (!s.quit && (n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
                        sim_feed(&s, buf, (size_t)n);
        }
        s.ev_int = evsignal_new(s.base, SIGINT, sim_on_signal, &s);
        s.ev_term = evsignal_new(s.base, SIGTERM, sim_on_signal, &s);
        if (s.ev_int)
                event_add(s.ev_int, NULL);
        if (s.ev_term)
                event_add(s.ev_term, NULL);
        if (!s.quit)
                event_base_dispatch(s.base);

        fprintf(stderr, "dnp3sim: exiting\n");
        /* the freeze timer drives the session: it goes first, or the loop below runs it */
        event_free(s.frz_timer.ev);
        outst_io_free(s.io);
        event_base_loop(s.base, EVLOOP_NONBLOCK);      /* deferred connection release */
        if (s.ev_stdin)
                event_free(s.ev_stdin);
        if (s.ev_int)
                event_free(s.ev_int);
        if (s.ev_term)
                event_free(s.ev_term);
        event_base_free(s.base);
        free(s.crob_status);
        free(s.ao_status);
        free(s.frz_bits);
        return s.rc;
}
