/* SPDX-License-Identifier: MIT */
/*
 * Test harness for the master: a simulated clock, a channel, and a scripted
 * fake outstation per device built from the codec (apdu_wr_*, link_encode,
 * tport_tx).  Responses are delivered after a per-device latency through a
 * small queue, so the master's one-transaction-at-a-time rule is observable.
 * Header-only, for test_master*.c.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/app.h"
#include "dnp3/link.h"
#include "dnp3/obj.h"
#include "dnp3/transport.h"
#include "master/master_chan.h"
#include "master/master_req.h"

#define SIM_MASTER 1
#define SIM_MAX_DEV 3
#define SIM_MAX_LOG 4096
#define SIM_MAX_PEND 32
#define SIM_WALL INT64_C(1700000000000)        /* wall = now + this */
/* The integrity poll a device gets (READ class 1, 2, 3, 0), as sim_apdu_is() hex. */
#define INTEGRITY_REQ(seq) seq " 01 3C 02 06 3C 03 06 3C 04 06 3C 01 06"

struct sim_pend {
        uint64_t at;
        size_t len;
        uint8_t bytes[2400];
};

struct sim_dev {
        uint16_t addr;
        bool silent;                    /* no answer at all */
        uint16_t iin;                   /* IIN in every response */
        uint64_t latency;
        uint8_t select_status, operate_status;
        bool corrupt_echo;              /* change the first object's echo */
        bool short_echo;                /* echo only the first object */
        bool malformed;                 /* end each answer with a header cut short */
        uint16_t delay_ms;              /* g52v2 of DELAY_MEASURE */
        struct tport_rx rx;
        uint8_t rxbuf[4096];
        uint8_t tseq;
        size_t nscript;                 /* fragments for the next READ, seq patched */
        uint8_t script[4][600];
        size_t script_len[4];
        uint8_t script_skew[4];         /* added to a fragment's patched sequence */
        unsigned reads;
        unsigned funcs[256];            /* requests received per function code */
};

struct sim_req {
        uint16_t addr;
        uint64_t at;
        size_t len;
        uint8_t apdu[300];
};

struct sim {
        struct master_chan *ch;
        struct master_dev *md[SIM_MAX_DEV];
        uint64_t now;
        struct sim_dev dev[SIM_MAX_DEV];
        size_t ndev;
        struct link_scanner scan;
        struct sim_pend pend[SIM_MAX_PEND];
        size_t npend;
        struct sim_req log[SIM_MAX_LOG];
        size_t nlog;
        unsigned timer_calls;
        unsigned overlap;               /* requests sent while an answer was still due */
        struct master_meas meas[512];
        size_t nmeas;
        struct {
                struct master_dev *d;
                enum master_dev_state s;
                uint64_t at;
        } st[64];
        size_t nst;
        struct master_diag diag[64];
        size_t ndiag;
        struct master_cmd_result cmd[16];
        uint64_t cmd_at[16];
        size_t ncmd;
        unsigned iin_calls;
        unsigned link_resets;           /* RESET_LINK_STATES received */
        unsigned link_confirmed;        /* CONFIRMED_USER_DATA frames received */
        unsigned link_unconfirmed;
        uint8_t last_fcb;
        unsigned fcb_errors;            /* confirmed frames whose FCB did not alternate */
        /* a journal double for the CONFIRM barrier (hold_confirm), off unless barrier */
        bool barrier;
        unsigned unsynced;              /* values delivered since the last sim_sync() */
        unsigned syncs;
};

static bool sim_link_confirm;
static uint32_t sim_byte_time_us;      /* master_chan_cfg.byte_time_us of the next sim_setup */
static uint64_t sim_timeout_ms;         /* response timeout of the next sim_setup; 0 = 2000 */

static struct sim S;

static void sim_on_value(void *ctx, const struct master_meas *m)
{
        struct sim *s = ctx;
        if (s->barrier)
                s->unsynced++;  /* journaled, not yet on stable storage */
        if (s->nmeas < sizeof(s->meas) / sizeof(s->meas[0]))
                s->meas[s->nmeas] = *m;
        s->nmeas++;
}

static void sim_on_state(void *ctx, struct master_dev *d, enum master_dev_state st)
{
        struct sim *s = ctx;
        if (s->nst < sizeof(s->st) / sizeof(s->st[0])) {
                s->st[s->nst].d = d;
                s->st[s->nst].s = st;
                s->st[s->nst].at = s->now;
        }
        s->nst++;
}

/* The journal double: a CONFIRM waits while something delivered is not synced. */
static bool sim_hold_confirm(void *ctx)
{
        const struct sim *s = ctx;
        return s->barrier && s->unsynced > 0;
}

/* The journal's sync completed (as late as the test wants): the held CONFIRMs go. */
static void sim_sync(void)
{
        S.unsynced = 0;
        S.syncs++;
        master_chan_release_confirms(S.ch, S.now);
}

static void sim_on_iin(void *ctx, struct master_dev *d, uint16_t iin)
{
        struct sim *s = ctx;
        (void)d;
        (void)iin;
        s->iin_calls++;
}

static void sim_on_diag(void *ctx, const struct master_diag *dg)
{
        struct sim *s = ctx;
        if (s->ndiag < sizeof(s->diag) / sizeof(s->diag[0]))
                s->diag[s->ndiag] = *dg;
        s->ndiag++;
}

static void sim_cmd_cb(void *ctx, struct master_dev *d, const struct master_cmd_result *r)
{
        struct sim *s = ctx;
        (void)d;
        if (s->ncmd < sizeof(s->cmd) / sizeof(s->cmd[0])) {
                s->cmd[s->ncmd] = *r;
                s->cmd_at[s->ncmd] = s->now;
        }
        s->ncmd++;
}

static struct master_dev_cfg sim_dev_cfg(uint16_t addr)
{
        return (struct master_dev_cfg){
                .name = "dev",
                .address = addr,
                .comm_fail_after = 3,
                .control_timeout_ms = 10000,
                .offline_retry_ms = 10000,
        };
}

static void sim_setup(const struct master_dev_cfg *cfgs, size_t n, unsigned retries)
{
        memset(&S, 0, sizeof(S));
        const struct master_chan_cfg cc = {
                .master_address = SIM_MASTER,
                .response_timeout_ms = sim_timeout_ms ? sim_timeout_ms : 2000,
                .byte_time_us = sim_byte_time_us,
                .retries = retries,
                .link_confirm = sim_link_confirm,
        };
        const struct master_callbacks cb = {
                .ctx = &S,
                .on_value = sim_on_value,
                .on_state = sim_on_state,
                .on_iin = sim_on_iin,
                .on_diag = sim_on_diag,
                .hold_confirm = sim_hold_confirm,
        };
        if (master_chan_new(&cc, &cb, &S.ch) != 0)
                abort();
        master_chan_set_wall_offset(S.ch, SIM_WALL);
        link_scanner_init(&S.scan);
        S.ndev = n;
        for (size_t i = 0; i < n; i++) {
                struct sim_dev *d = &S.dev[i];
                d->addr = cfgs[i].address;
                tport_rx_init(&d->rx, d->rxbuf, sizeof(d->rxbuf));
                if (master_chan_add_dev(S.ch, &cfgs[i], &S.md[i]) != 0)
                        abort();
        }
}

static void sim_teardown(void)
{
        master_chan_free(S.ch);
        S.ch = NULL;
}

static struct sim_dev *sim_find(uint16_t addr)
{
        for (size_t i = 0; i < S.ndev; i++)
                if (S.dev[i].addr == addr)
                        return &S.dev[i];
        return NULL;
}

/* Raw link bytes from a device to the master, delivered at now + latency. */
static void sim_queue_bytes(uint64_t at, const uint8_t *p, size_t n)
{
        if (S.npend >= SIM_MAX_PEND || n > sizeof(S.pend[0].bytes))
                abort();
        struct sim_pend *e = &S.pend[S.npend++];
        e->at = at;
        e->len = n;
        memcpy(e->bytes, p, n);
}

/* Encode an APDU from dev as link frames (optionally with other header fields). */
static size_t sim_frames(struct sim_dev *d, const uint8_t *apdu, size_t len, uint8_t *out,
                         size_t cap, bool dir, uint16_t dest, uint16_t src)
{
        struct tport_tx tx;
        uint8_t seg[TPORT_MAX_SEGMENT];
        size_t n, off = 0;
        tport_tx_start(&tx, apdu, len, d->tseq);
        while ((n = tport_tx_next(&tx, seg)) > 0) {
                const struct link_hdr h = {
                        .dir = dir,
                        .prm = true,
                        .code = link_func_code(LINK_FUNC_UNCONFIRMED_USER_DATA),
                        .dest = dest,
                        .src = src,
                };
                int r = link_encode(out + off, cap - off, &h, seg, n);
                if (r <= 0)
                        abort();
                off += (size_t)r;
        }
        d->tseq = tx.seq;
        return off;
}

static void sim_send(struct sim_dev *d, const uint8_t *apdu, size_t len)
{
        uint8_t buf[2400];
        size_t n = sim_frames(d, apdu, len, buf, sizeof(buf), false, SIM_MASTER, d->addr);
        sim_queue_bytes(S.now + d->latency, buf, n);
}

static void sim_rsp_init(struct sim_dev *d, struct apdu_wr *a, uint8_t *buf, size_t cap,
                         uint8_t seq, bool con)
{
        const struct apdu_hdr h = {
                .fir = true, .fin = true, .con = con, .seq = seq,
                .func = APP_FUNC_RESPONSE, .iin = d->iin,
        };
        if (apdu_wr_init(a, buf, cap, &h) < 0)
                abort();
}

struct sim_hdrs {
        bool class0;
};

static int sim_on_hdr(void *ctx, const struct obj_hdr *h)
{
        struct sim_hdrs *c = ctx;
        if (h->group == 60 && h->var == 1)
                c->class0 = true;
        return 0;
}

struct sim_cmds {
        size_t n;
        uint8_t group[MASTER_CMD_MAX_OBJS], var[MASTER_CMD_MAX_OBJS];
        struct dnp_value v[MASTER_CMD_MAX_OBJS];
};

static int sim_on_cmd(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct sim_cmds *c = ctx;
        if (c->n < MASTER_CMD_MAX_OBJS) {
                c->group[c->n] = h->group;
                c->var[c->n] = h->var;
                c->v[c->n] = *v;
                c->n++;
        }
        return 0;
}

static void sim_answer(struct sim_dev *d, const uint8_t *apdu, size_t len)
{
        struct rd c;
        struct apdu_hdr h;
        rd_init(&c, apdu, len);
        if (apdu_parse_hdr(&c, &h) < 0)
                abort();
        const uint8_t *objs = c.p;
        size_t n = rd_left(&c);
        uint8_t buf[600];
        struct apdu_wr a;

        switch (h.func) {
        case APP_FUNC_CONFIRM:
        case APP_FUNC_DIRECT_OPERATE_NR:
        case APP_FUNC_IMMED_FREEZE_NR:
        case APP_FUNC_FREEZE_CLEAR_NR:
        case APP_FUNC_FREEZE_AT_TIME_NR:
                return;
        case APP_FUNC_READ: {
                d->reads++;
                if (d->nscript) {
                        for (size_t k = 0; k < d->nscript; k++) {
                                uint8_t *f = d->script[k];
                                f[0] = (uint8_t)((f[0] & 0xf0) | ((h.seq + k + d->script_skew[k]) & 0x0f));
                                d->script_skew[k] = 0;
                                sim_send(d, f, d->script_len[k]);
                        }
                        d->nscript = 0;
                        return;
                }
                struct sim_hdrs sh = { 0 };
                const struct obj_visitor vis = { .on_header = sim_on_hdr };
                (void)obj_parse(objs, n, OBJ_MODE_HEADERS, &vis, &sh, NULL);
                sim_rsp_init(d, &a, buf, sizeof(buf), h.seq, false);
                if (sh.class0) {
                        apdu_wr_begin(&a, 30, 1, OBJ_QUAL_RANGE8, 0);
                        struct dnp_value v = { .index = 0, .flags = 1, .v.analog = 100 + d->reads };
                        apdu_wr_value(&a, &v);
                        v.index = 1;
                        v.v.analog = 200;
                        apdu_wr_value(&a, &v);
                        apdu_wr_end(&a);
                }
                break;
        }
        case APP_FUNC_WRITE:
                if (n >= 2 && objs[0] == 80)
                        d->iin &= (uint16_t)~APP_IIN_DEVICE_RESTART;
                if (n >= 2 && objs[0] == 50)
                        d->iin &= (uint16_t)~APP_IIN_NEED_TIME;
                sim_rsp_init(d, &a, buf, sizeof(buf), h.seq, false);
                break;
        case APP_FUNC_DELAY_MEASURE: {
                sim_rsp_init(d, &a, buf, sizeof(buf), h.seq, false);
                apdu_wr_begin(&a, 52, 2, OBJ_QUAL_COUNT8, 0);
                struct dnp_value v = { .v.delay = d->delay_ms };
                apdu_wr_value(&a, &v);
                apdu_wr_end(&a);
                break;
        }
        case APP_FUNC_SELECT:
        case APP_FUNC_OPERATE:
        case APP_FUNC_DIRECT_OPERATE: {
                struct sim_cmds sc = { 0 };
                const struct obj_visitor vis = { .on_value = sim_on_cmd };
                if (obj_parse(objs, n, OBJ_MODE_DATA, &vis, &sc, NULL) != 0)
                        abort();
                uint8_t st = h.func == APP_FUNC_SELECT ? d->select_status : d->operate_status;
                sim_rsp_init(d, &a, buf, sizeof(buf), h.seq, false);
                size_t cnt = d->short_echo ? 1 : sc.n;
                for (size_t i = 0; i < cnt; i++) {
                        struct dnp_value v = sc.v[i];
                        if (sc.group[i] == 12)
                                v.v.crob.status = st;
                        else
                                v.v.ao.status = st;
                        if (i == 0 && d->corrupt_echo) {
                                if (sc.group[i] == 12)
                                        v.v.crob.on_ms += 1;
                                else
                                        v.v.ao.value += 1;
                        }
                        if (i == 0 || sc.group[i] != sc.group[i - 1] || sc.var[i] != sc.var[i - 1])
                                apdu_wr_begin(&a, sc.group[i], sc.var[i], OBJ_QUAL_INDEX16, 0);
                        apdu_wr_value(&a, &v);
                }
                apdu_wr_end(&a);
                break;
        }
        default:
                sim_rsp_init(d, &a, buf, sizeof(buf), h.seq, false);
                break;
        }
        size_t out = apdu_wr_len(&a);
        if (d->malformed)
                buf[out++] = 20;        /* a group with no variation or qualifier: no parse */
        sim_send(d, buf, out);
}

/* Take everything the master wrote and let the fake outstations see it. */
static void sim_pump(void)
{
        for (;;) {
                const uint8_t *p;
                size_t n = master_chan_output(S.ch, &p);
                if (n == 0)
                        return;
                uint8_t buf[8192];
                if (n > sizeof(buf))
                        abort();
                memcpy(buf, p, n);
                master_chan_consumed(S.ch, n, S.now);
                const uint8_t *q = buf;
                while (n > 0) {
                        size_t used = link_scanner_feed(&S.scan, q, n);
                        q += used;
                        n -= used;
                        struct link_frame f;
                        while (link_scanner_next(&S.scan, &f) > 0) {
                                struct sim_dev *d = sim_find(f.h.dest);
                                if (!d || !f.h.dir || f.h.src != SIM_MASTER || !f.h.prm)
                                        continue;
                                if (f.h.code == link_func_code(LINK_FUNC_RESET_LINK_STATES) ||
                                    f.h.code == link_func_code(LINK_FUNC_CONFIRMED_USER_DATA)) {
                                        if (f.h.code == link_func_code(LINK_FUNC_RESET_LINK_STATES)) {
                                                S.link_resets++;
                                                S.last_fcb = 0;
                                        } else {
                                                S.link_confirmed++;
                                                if (f.h.fcb == S.last_fcb)
                                                        S.fcb_errors++;
                                                S.last_fcb = f.h.fcb;
                                        }
                                        const struct link_hdr ack = {
                                                .code = link_func_code(LINK_FUNC_ACK),
                                                .dest = SIM_MASTER,
                                                .src = d->addr,
                                        };
                                        uint8_t fb[LINK_HDR_LEN];
                                        if (link_encode(fb, sizeof(fb), &ack, NULL, 0) != LINK_HDR_LEN)
                                                abort();
                                        sim_queue_bytes(S.now, fb, sizeof(fb));
                                } else if (f.h.code == link_func_code(LINK_FUNC_UNCONFIRMED_USER_DATA)) {
                                        S.link_unconfirmed++;
                                }
                                if (f.data_len == 0)
                                        continue;
                                const uint8_t *apdu;
                                size_t len;
                                if (tport_rx_push(&d->rx, f.data, f.data_len, &apdu, &len) != 1)
                                        continue;
                                if (S.nlog < SIM_MAX_LOG && len <= sizeof(S.log[0].apdu)) {
                                        struct sim_req *l = &S.log[S.nlog++];
                                        l->addr = d->addr;
                                        l->at = S.now;
                                        l->len = len;
                                        memcpy(l->apdu, apdu, len);
                                }
                                if (len < 2)
                                        continue;
                                d->funcs[apdu[1]]++;
                                if (apdu[1] != APP_FUNC_CONFIRM && S.npend > 0)
                                        S.overlap++;
                                if (!d->silent)
                                        sim_answer(d, apdu, len);
                        }
                }
        }
}

/* Deliver queued answers due at now (in order), pumping the master's output each time. */
static bool sim_deliver_due(void)
{
        bool any = false;
        for (;;) {
                size_t best = SIZE_MAX;
                for (size_t i = 0; i < S.npend; i++)
                        if (S.pend[i].at <= S.now && (best == SIZE_MAX || S.pend[i].at < S.pend[best].at))
                                best = i;
                if (best == SIZE_MAX)
                        return any;
                static struct sim_pend e;
                e = S.pend[best];
                memmove(&S.pend[best], &S.pend[best + 1], (S.npend - best - 1) * sizeof(S.pend[0]));
                S.npend--;
                master_chan_rx(S.ch, e.bytes, e.len, S.now);
                sim_pump();
                any = true;
        }
}

/* Run the simulated clock until `end` (inclusive). */
static void sim_run_until(uint64_t end)
{
        sim_pump();
        for (;;) {
                sim_deliver_due();
                uint64_t next = master_chan_deadline(S.ch);
                for (size_t i = 0; i < S.npend; i++)
                        if (S.pend[i].at < next)
                                next = S.pend[i].at;
                if (next == DNP_NEVER || next > end)
                        break;
                if (next > S.now)
                        S.now = next;
                if (sim_deliver_due())
                        continue;
                S.timer_calls++;
                master_chan_timer(S.ch, S.now);
                sim_pump();
        }
        if (S.now < end)
                S.now = end;
}

static void sim_open(void)
{
        master_chan_up(S.ch, S.now);
        sim_run_until(S.now);
}

/* An unsolicited fragment from d (raw APDU), delivered now. */
static void sim_inject(struct sim_dev *d, const uint8_t *apdu, size_t len)
{
        uint8_t buf[2400];
        size_t n = sim_frames(d, apdu, len, buf, sizeof(buf), false, SIM_MASTER, d->addr);
        master_chan_rx(S.ch, buf, n, S.now);
        sim_pump();
}

static size_t sim_count_func(uint16_t addr, uint8_t func)
{
        size_t c = 0;
        for (size_t i = 0; i < S.nlog; i++)
                if (S.log[i].addr == addr && S.log[i].len >= 2 && S.log[i].apdu[1] == func)
                        c++;
        return c;
}

/* Compare a logged APDU with a hex string ("C0 01 3C ..."). */
static bool sim_apdu_is(const struct sim_req *r, const char *hex)
{
        uint8_t want[300];
        size_t n = 0;
        const char *p = hex;
        while (*p) {
                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                unsigned v;
                if (sscanf(p, "%2x", &v) != 1)
                        abort();
                want[n++] = (uint8_t)v;
                p += 2;
        }
        if (n != r->len || memcmp(want, r->apdu, n) != 0) {
                fprintf(stderr, "apdu mismatch:\n  want %s\n  got ", hex);
                for (size_t i = 0; i < r->len; i++)
                        fprintf(stderr, " %02X", r->apdu[i]);
                fprintf(stderr, "\n");
                return false;
        }
        return true;
}
