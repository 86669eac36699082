/* SPDX-License-Identifier: MIT */
/*
 * dnp3sim, the outstation session's callbacks: every control the master
 * sends is printed as one JSON line and answered with the status set for
 * that point (a success moves the output's status point); every freeze is
 * printed and carried out here, FREEZE_AT_TIME on a timer of its own; time
 * syncs, restarts and connections are printed.  See dnp3sim(1).
 */
#include "sim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dnp3/app.h"
#include "dnp3/obj.h"
#include "dnp3/ptype.h"
#include "io/addr.h"
#include "io/clock.h"
#include "io/tls.h"
#include "outstation/db.h"

void sim_out_line(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
        fflush(stdout);
}

/* The kind of a control's value: DNP_VAL_CROB (g12) or DNP_VAL_AOCMD (g41). */
static enum dnp_val sim_cmd_kind(const struct outst_cmd *c)
{
        const struct obj_desc *d = obj_lookup(c->group, c->var);
        return d ? dnp_type_value((enum dnp_type)d->type) : DNP_VAL_NONE;
}

/* The state a CROB drives its output to: 1 (CLOSE, PULSE_ON, LATCH_ON), 0 (TRIP, ...OFF), -1: none. */
static int sim_crob_state(uint8_t code)
{
        unsigned op = dnp_crob_op(code), tcc = dnp_crob_tcc(code);
        if (tcc == DNP_CROB_TCC_CLOSE || op == DNP_CROB_OP_PULSE_ON || op == DNP_CROB_OP_LATCH_ON)
                return 1;
        if (tcc == DNP_CROB_TCC_TRIP || op == DNP_CROB_OP_PULSE_OFF || op == DNP_CROB_OP_LATCH_OFF)
                return 0;
        return -1;
}

/* A successful operation moves the output's status point, as a real IED would. */
static void sim_apply(struct sim *s, const struct outst_cmd *c)
{
        struct outst *o = outst_io_outst(s->io);
        /* the output type the control object belongs to: BO (g12), AO (g41) */
        const struct dnp_ptype *p = dnp_ptype_by_group(c->group, NULL);
        struct dnp_value v;
        double value;
        if (sim_cmd_kind(c) == DNP_VAL_CROB) {
                int state = sim_crob_state(c->v.v.crob.code);
                if (state < 0)
                        return;
                value = state;
        } else {
                value = c->v.v.ao.value;
        }
        if (!p || db_get(outst_db(o), p->type, c->v.index, &v) < 0)
                return;
        dnp_value_set(p->type, value, &v);
        v.flags = dnp_value_state_flags(p->type, &v);
        v.time = io_wall_ms();
        v.time_kind = DNP_TIME_ABS;
        (void)outst_update(o, p->type, &v, DB_DETECT, io_mono_ms());
}

static void sim_on_command(void *ctx, uint32_t token, uint8_t func, const struct outst_cmd *cmds,
                           size_t n)
{
        struct sim *s = ctx;
        uint8_t st[OUTST_MAX_CMDS] = { 0 };

        for (size_t i = 0; i < n && i < OUTST_MAX_CMDS; i++) {
                const struct outst_cmd *c = &cmds[i];
                uint32_t idx = c->v.index;
                bool crob = sim_cmd_kind(c) == DNP_VAL_CROB;
                if (crob)
                        st[i] = idx < s->n_bo ? s->crob_status[idx] : DNP_CMD_NOT_SUPPORTED;
                else
                        st[i] = idx < s->n_ao ? s->ao_status[idx] : DNP_CMD_NOT_SUPPORTED;
                printf("{\"event\":\"command\",\"func\":\"%s\",\"group\":%u,\"var\":%u,"
                       "\"index\":%" PRIu32, app_func_name(func), c->group, c->var, idx);
                if (crob) {
                        const struct dnp_crob *cr = &c->v.v.crob;
                        printf(",\"code\":%u,\"op\":\"%s\",\"tcc\":\"%s\",\"queue\":%s,"
                               "\"clear\":%s,\"count\":%u,\"on\":%" PRIu32 ",\"off\":%" PRIu32,
                               cr->code, dnp_crob_op_name(dnp_crob_op(cr->code)),
                               dnp_crob_tcc_name(dnp_crob_tcc(cr->code)),
                               (cr->code & DNP_CROB_QUEUE) ? "true" : "false",
                               (cr->code & DNP_CROB_CLEAR) ? "true" : "false", cr->count,
                               cr->on_ms, cr->off_ms);
                } else {
                        printf(",\"value\":%.17g", c->v.v.ao.value);
                }
                sim_out_line(",\"status\":\"%s\",\"status_code\":%u}", dnp_cmd_status_name(st[i]),
                         st[i]);
        }
        /* copy before completing: the session owns cmds */
        struct outst_cmd done[OUTST_MAX_CMDS];
        size_t n_done = n < OUTST_MAX_CMDS ? n : OUTST_MAX_CMDS;
        memcpy(done, cmds, n_done * sizeof(done[0]));
        int r = outst_io_cmd_complete(s->io, token, st, n);
        if (r < 0)
                fprintf(stderr, "dnp3sim: completing controls: %s\n", strerror(-r));
        for (size_t i = 0; i < n_done && r == 0 && func != APP_FUNC_SELECT; i++)
                if (st[i] == DNP_CMD_SUCCESS)
                        sim_apply(s, &done[i]);
}

/* ---- freeze ------------------------------------------------------------ */

/* One JSON line: event, function, the counters of f, then `tail` (",\"time\":..."). */
static void sim_freeze_line(const char *event, uint8_t func, const struct outst_freeze *f,
                            const char *tail)
{
        printf("{\"event\":\"%s\",\"func\":\"%s\",\"indexes\":[", event,
               app_func_name(func));
        const char *sep = "";
        for (uint32_t i = 0; i < f->count; i++)
                if (outst_freeze_named(f, i)) {
                        printf("%s%" PRIu32, sep, i);
                        sep = ",";
                }
        sim_out_line("]%s}", tail);
}

/*
 * Freeze the named counters now: each frozen counter of the same index
 * takes the counter's value and flags with the time of freeze (and always
 * reports a frozen counter event); clear: the counter goes to 0 after.
 */
static void sim_freeze_now(struct sim *s, const struct outst_freeze *f, bool clear,
                           uint64_t wall)
{
        struct outst *o = outst_io_outst(s->io);
        uint64_t mono = io_mono_ms();
        for (uint32_t i = 0; i < f->count; i++) {
                struct dnp_value cv, fv;
                if (!outst_freeze_named(f, i) || db_get(outst_db(o), DNP_TYPE_CNT, i, &cv) < 0)
                        continue;
                if (db_get(outst_db(o), DNP_TYPE_FCNT, i, &fv) == 0) {
                        fv.v.count = cv.v.count;
                        fv.flags = cv.flags;
                        fv.time = wall;
                        fv.time_kind = DNP_TIME_ABS;
                        (void)outst_update(o, DNP_TYPE_FCNT, &fv, DB_FORCE, mono);
                }
                if (clear) {
                        cv.v.count = 0;
                        cv.time = wall;
                        cv.time_kind = DNP_TIME_ABS;
                        (void)outst_update(o, DNP_TYPE_CNT, &cv, DB_DETECT, mono);
                }
        }
}

/*
 * The first freeze of the schedule at, at + iv, at + 2 iv, ... after wall
 * (iv > 0), computed at once however far back at is.  No overflow: at is
 * a 48-bit DNP3 time and the result is at most wall + iv.
 */
static uint64_t sim_frz_next(uint64_t at, uint32_t iv, uint64_t wall)
{
        if (at > wall)
                return at;
        return at + ((wall - at) / iv + 1) * iv;
}

/*
 * Arm the timer for frz_at.  The freeze time is wall-clock, io_deadline
 * counts monotonic ms: the deadline is the monotonic time as far ahead as
 * frz_at is now.  A step of the wall clock meanwhile is caught when the
 * timer fires (too early: armed again; too late: frozen then).
 */
static void sim_frz_arm(struct sim *s)
{
        uint64_t wall = io_wall_ms(), mono = io_mono_ms();
        io_deadline_arm(&s->frz_timer, mono + (s->frz_at > wall ? s->frz_at - wall : 0), mono);
}

void sim_on_frz_timer(evutil_socket_t fd, short what, void *arg)
{
        struct sim *s = arg;
        char tail[64];
        (void)fd;
        (void)what;
        io_deadline_fired(&s->frz_timer);
        uint64_t wall = io_wall_ms();
        if (wall < s->frz_at) {
                /* the timer counts from the loop's cached time, which may lag: not yet */
                sim_frz_arm(s);
                return;
        }
        sim_freeze_now(s, &s->frz, false, wall);
        if (s->frz.interval_ms != 0) {
                s->frz_at = sim_frz_next(s->frz_at, s->frz.interval_ms, wall);
                snprintf(tail, sizeof(tail), ",\"time\":%" PRIu64 ",\"next\":%" PRIu64, wall,
                         s->frz_at);
        } else {
                snprintf(tail, sizeof(tail), ",\"time\":%" PRIu64, wall);
        }
        sim_freeze_line("frozen", APP_FUNC_FREEZE_AT_TIME, &s->frz, tail);
        if (s->frz.interval_ms != 0)
                sim_frz_arm(s);
}

static void sim_on_freeze(void *ctx, uint32_t token, const struct outst_freeze *f)
{
        struct sim *s = ctx;
        char tail[96];
        uint16_t iin = 0;
        uint64_t wall = io_wall_ms();
        bool at_time = f->func == APP_FUNC_FREEZE_AT_TIME || f->func == APP_FUNC_FREEZE_AT_TIME_NR;

        if (at_time && f->interval_ms != 0 && f->interval_ms < SIM_FRZ_MIN_INTERVAL_MS) {
                /* out of range: refused whole, the schedule in force stays */
                snprintf(tail, sizeof(tail), ",\"at\":%" PRIu64 ",\"interval\":%" PRIu32
                         ",\"refused\":true", f->time, f->interval_ms);
                sim_freeze_line("freeze", f->func, f, tail);
                iin = APP_IIN_PARAMETER_ERROR;
        } else if (at_time) {
                /*
                 * The schedule replaces any earlier one.  The session owns
                 * f->named (f->count / 8 + 1 bytes): copy the counters both
                 * it and frz_bits hold.
                 */
                uint32_t count = f->count < s->n_cnt ? f->count : s->n_cnt;
                memcpy(s->frz_bits, f->named, count / 8 + 1);
                s->frz = *f;
                s->frz.count = count;
                s->frz.named = s->frz_bits;
                s->frz_at = f->time;
                snprintf(tail, sizeof(tail), ",\"at\":%" PRIu64 ",\"interval\":%" PRIu32,
                         f->time, f->interval_ms);
                sim_freeze_line("freeze", f->func, f, tail);
                sim_frz_arm(s);
        } else {
                bool clear = f->func == APP_FUNC_FREEZE_CLEAR || f->func == APP_FUNC_FREEZE_CLEAR_NR;
                sim_freeze_now(s, f, clear, wall);
                snprintf(tail, sizeof(tail), ",\"time\":%" PRIu64, wall);
                sim_freeze_line("freeze", f->func, f, tail);
        }
        int r = outst_io_freeze_complete(s->io, token, iin);
        if (r < 0)
                fprintf(stderr, "dnp3sim: completing a freeze: %s\n", strerror(-r));
}

static void sim_on_time_sync(void *ctx, uint64_t master_time, uint64_t at_mono,
                             enum outst_time_kind kind)
{
        (void)ctx;
        int64_t offset = (int64_t)master_time - (int64_t)(io_wall_ms() -
                                                          (io_mono_ms() - at_mono));
        sim_out_line("{\"event\":\"time_sync\",\"kind\":\"%s\",\"time\":%" PRIu64
                 ",\"offset_ms\":%" PRId64 "}",
                 kind == OUTST_TIME_LAN ? "LAN" : "WRITE", master_time, offset);
}

static int sim_on_restart(void *ctx, bool cold, uint32_t *ret_delay_ms)
{
        (void)ctx;
        sim_out_line("{\"event\":\"restart_request\",\"cold\":%s}", cold ? "true" : "false");
        *ret_delay_ms = cold ? 5000 : 1000;
        return 0;
}

static void sim_on_reject_frame(void *ctx, enum lsess_match m, uint16_t src, uint16_t dest)
{
        (void)ctx;
        fprintf(stderr, "dnp3sim: frame not for us (kind %d) from %u to %u\n", (int)m, src, dest);
}

static void sim_on_connect(void *ctx, const struct sockaddr *peer, bool replaced)
{
        struct sim *s = ctx;
        char buf[64] = "";
        if (peer)
                io_addr_format(peer, buf, sizeof(buf));
        if (s->serial && !s->ready) {
                s->ready = true;
                sim_out_line("{\"event\":\"ready\",\"serial\":\"%s\"}", s->where);
        }
        fprintf(stderr, "dnp3sim: %s %s%s\n", s->serial ? "port open" : "master connected from",
                buf, replaced ? " (replacing the previous connection)" : "");
        sim_out_line("{\"event\":\"connect\",\"peer\":\"%s\",\"replaced\":%s}", buf,
                 replaced ? "true" : "false");
}

static void sim_on_disconnect(void *ctx, int err, const char *what)
{
        (void)ctx;
        fprintf(stderr, "dnp3sim: connection lost: %s (%s)\n", what, strerror(-err));
        sim_out_line("{\"event\":\"disconnect\",\"reason\":\"%s\"}", what);
}

/* The serial port cannot be opened: said once; another owner ends the simulation. */
static void sim_on_open_fail(void *ctx, int err, const char *what)
{
        struct sim *s = ctx;
        fprintf(stderr, "dnp3sim: %s: %s: %s\n", s->where, what, strerror(-err));
        sim_out_line("{\"event\":\"open_failed\",\"serial\":\"%s\",\"reason\":\"%s\"}",
                     s->where, what);
        if (err == -EBUSY) {    /* two IEDs answering on one line would garble both */
                s->quit = true;
                s->rc = 1;
                event_base_loopbreak(s->base);
        }
}

static void sim_on_reject_peer(void *ctx, const struct sockaddr *peer)
{
        (void)ctx;
        char buf[64];
        io_addr_format(peer, buf, sizeof(buf));
        fprintf(stderr, "dnp3sim: refused connection from %s (not allowed)\n", buf);
        sim_out_line("{\"event\":\"reject\",\"peer\":\"%s\"}", buf);
}
static void sim_on_tls_refused(void *ctx, const struct sockaddr *peer,
                               const struct io_tls_refusal *r)
{
        (void)ctx;
        char buf[64];
        io_addr_format(peer, buf, sizeof(buf));
        fprintf(stderr, "dnp3sim: refused TLS connection from %s: %s\n", buf, r->text);
        sim_out_line("{\"event\":\"tls_refused\",\"peer\":\"%s\",\"why\":\"%s\"}", buf,
                     io_tls_why_name(r->why));
}

const struct outst_callbacks sim_outst_cb = {
        .on_command = sim_on_command,
        .on_freeze = sim_on_freeze,
        .on_time_sync = sim_on_time_sync,
        .on_restart = sim_on_restart,
        .on_reject = sim_on_reject_frame,
};

const struct outst_io_cb sim_io_cb = {
        .on_connect = sim_on_connect,
        .on_disconnect = sim_on_disconnect,
        .on_reject = sim_on_reject_peer,
        .on_tls_refused = sim_on_tls_refused,
        .on_open_fail = sim_on_open_fail,
};
