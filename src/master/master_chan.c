/* SPDX-License-Identifier: MIT */
/*
 * Master channel: byte stream -> link frames -> device by address, the one
 * transaction in flight (timeouts, retries, fragments, confirms) and the
 * choice of the next task across devices.  See master_chan.h.
 */
#include "master/master_chan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/app.h"
#include "dnp3/lsess.h"
#include "dnp3/transport.h"
#include "master/master_priv.h"
#include "master/master_req.h"

#define CHAN_DEFAULT_OUT_CAP 4096
#define CHAN_DEFAULT_MAX_DEVICES 32
#define CHAN_MIN_FRAGMENT 256

static void chan_start_ready(struct master_chan *ch, uint64_t now);
static void chan_finish(struct master_chan *ch, bool ok, uint64_t now);

/* ---- setup ---- */

/* the session interface (dnp3/sess.h): the verbs below, for a runner */
DNP_SESS_OPS_DEFINE(chan_sess_ops, struct master_chan, sess, master_chan);

int master_chan_new(const struct master_chan_cfg *cfg, const struct master_callbacks *cb,
                    struct master_chan **ret)
{
        struct master_chan_cfg c = *cfg;
        if (!c.max_fragment)
                c.max_fragment = TPORT_DEFAULT_FRAGMENT;
        if (!c.out_cap)
                c.out_cap = CHAN_DEFAULT_OUT_CAP;
        if (!c.max_devices)
                c.max_devices = CHAN_DEFAULT_MAX_DEVICES;
        if (c.response_timeout_ms == 0 || c.master_address > LINK_ADDR_MAX_UNICAST ||
            c.max_fragment < CHAN_MIN_FRAGMENT || c.max_fragment > TPORT_MAX_FRAGMENT ||
            c.out_cap < lsess_wire_size(MASTER_REQ_MAX) + 2 * LINK_MAX_FRAME ||
            c.max_devices > LINK_ADDR_MAX_UNICAST)
                return -EINVAL;

        struct master_chan *ch = calloc(1, sizeof(*ch));
        if (!ch)
                return -ENOMEM;
        ch->sess.ops = &chan_sess_ops;
        ch->cfg = c;
        if (cb)
                ch->cb = *cb;
        ch->out = malloc(c.out_cap);
        ch->devs = calloc(c.max_devices, sizeof(*ch->devs));
        if (!ch->out || !ch->devs) {
                master_chan_free(ch);
                return -ENOMEM;
        }
        link_scanner_init(&ch->scan);
        *ret = ch;
        return 0;
}

void master_chan_free(struct master_chan *ch)
{
        if (!ch)
                return;
        for (size_t i = 0; i < ch->ndev; i++) {
                master_dev_fini(ch->devs[i]);
                free(ch->devs[i]);
        }
        free(ch->devs);
        free(ch->out);
        free(ch);
}

int master_chan_add_dev(struct master_chan *ch, const struct master_dev_cfg *cfg,
                        struct master_dev **ret)
{
        if (ch->open)
                return -EBUSY;
        if (cfg->address == ch->cfg.master_address)
                return -EINVAL;
        if (master_chan_find(ch, cfg->address))
                return -EEXIST;
        if (ch->ndev >= ch->cfg.max_devices)
                return -ENOSPC;
        struct master_dev *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        int r = master_dev_init(d, ch, ch->ndev, cfg);
        if (r < 0) {
                free(d);
                return r;
        }
        ch->devs[ch->ndev++] = d;
        if (ret)
                *ret = d;
        return 0;
}

size_t master_chan_ndev(const struct master_chan *ch)
{
        return ch->ndev;
}

struct master_dev *master_chan_dev(const struct master_chan *ch, size_t i)
{
        return i < ch->ndev ? ch->devs[i] : NULL;
}

struct master_dev *master_chan_find(const struct master_chan *ch, uint16_t address)
{
        for (size_t i = 0; i < ch->ndev; i++)
                if (ch->devs[i]->cfg.address == address)
                        return ch->devs[i];
        return NULL;
}

void master_chan_set_wall_offset(struct master_chan *ch, int64_t offset_ms)
{
        ch->wall_offset = offset_ms;
}

bool master_chan_is_open(const struct master_chan *ch)
{
        return ch->open;
}

const struct master_chan_stats *master_chan_get_stats(const struct master_chan *ch)
{
        return &ch->stats;
}

const struct link_stats *master_chan_link_stats(const struct master_chan *ch)
{
        return &ch->scan.stats;
}

/* ---- output ---- */

size_t master_chan_output(const struct master_chan *ch, const uint8_t **ret)
{
        *ret = ch->out;
        return ch->out_len;
}

void master_chan_consumed(struct master_chan *ch, size_t n, uint64_t now)
{
        (void)now;
        if (n >= ch->out_len) {
                ch->out_len = 0;
                return;
        }
        memmove(ch->out, ch->out + n, ch->out_len - n);
        ch->out_len -= n;
}

static void chan_wr_begin(struct master_chan *ch, struct wr *w)
{
        wr_init(w, ch->out, ch->cfg.out_cap);
        w->len = ch->out_len;
}

static void chan_wr_end(struct master_chan *ch, const struct wr *w)
{
        ch->stats.tx_bytes += w->len - ch->out_len;
        ch->out_len = w->len;
}

NAMES_DEFINE(master_diag_name, enum master_diag_kind, MASTER_DIAG_LIST, NAMES_BY_ORDER)

void master_chan_diag(struct master_chan *ch, const struct master_diag *dg)
{
        if (ch->cb.on_diag)
                ch->cb.on_diag(ch->cb.ctx, dg);
}

/* A diagnostic of `kind` about a frame from src to dest (d: the device concerned, or NULL). */
static void chan_diag_frame(struct master_chan *ch, enum master_diag_kind kind,
                            struct master_dev *d, uint16_t src, uint16_t dest)
{
        const struct master_diag dg = { .kind = kind, .dev = d, .src = src, .dest = dest };
        master_chan_diag(ch, &dg);
}

int master_chan_send_apdu(struct master_chan *ch, struct master_dev *d, const uint8_t *apdu,
                          size_t len, uint64_t now)
{
        struct wr w;
        chan_wr_begin(ch, &w);
        int r = lsess_send(&d->ls, apdu, len, now, &w);
        chan_wr_end(ch, &w);
        if (r == -ENOBUFS)
                ch->stats.out_overflow++;
        if (r == 0 && ch->cb.on_apdu)
                ch->cb.on_apdu(ch->cb.ctx, d, true, apdu, len);
        return r;
}

/* ---- transactions ---- */

/* Wire time (ms, rounded up) of everything queued for output: the request just queued goes last. */
static uint64_t chan_wire_ms(const struct master_chan *ch)
{
        return ((uint64_t)ch->out_len * ch->cfg.byte_time_us + 999) / 1000;
}

static void chan_start(struct master_chan *ch, struct master_dev *d, enum master_task task,
                       uint8_t func, bool expect, uint64_t now)
{
        uint64_t timeout = ch->cfg.response_timeout_ms;
        ch->txn = (struct master_txn){
                .active = true,
                .dev = d,
                .task = (uint8_t)task,
                .func = func,
                .seq = (uint8_t)(d->req[0] & APP_CTRL_SEQ),
                .expect_rsp = expect,
                .tries = 1,
                .sent_at = now,
        };
        /* a request that cannot be queued is as lost as one the line garbled:
         * a reply-less one (DIRECT_OPERATE_NR) then fails, it was never sent */
        int sent = master_chan_send_apdu(ch, d, d->req, d->req_len, now);
        /* without a response, only a confirmed link can make us wait */
        ch->txn.deadline = now + chan_wire_ms(ch) +
                           (expect ? timeout : timeout * (ch->cfg.retries + 2));
        if (!expect && lsess_tx_idle(&d->ls))
                chan_finish(ch, sent == 0, now);
}

static void chan_finish(struct master_chan *ch, bool ok, uint64_t now)
{
        struct master_txn t = ch->txn;
        struct master_dev *d = t.dev;
        uint8_t func = 0;
        bool expect = false;
        ch->txn.active = false;
        if (master_dev_txn_done(d, &t, ok, now, &func, &expect) == 1 && ch->open)
                chan_start(ch, d, (enum master_task)t.task, func, expect, now);
}

static void chan_txn_timeout(struct master_chan *ch, uint64_t now)
{
        struct master_txn *t = &ch->txn;
        struct master_dev *d = t->dev;
        d->stats.timeouts++;
        if (t->expect_rsp && t->tries <= ch->cfg.retries) {
                t->tries++;
                d->stats.retries++;
                t->got_fir = false;
                t->sent_at = now;
                (void)master_chan_send_apdu(ch, d, d->req, d->req_len, now);
                t->deadline = now + chan_wire_ms(ch) + ch->cfg.response_timeout_ms;
                return;
        }
        chan_finish(ch, false, now);
}

/* The link layer gave up on an APDU of d (confirmed service). */
static void chan_link_failed(struct master_chan *ch, struct master_dev *d, uint64_t now)
{
        chan_diag_frame(ch, MASTER_DIAG_LINK_FAILED, d, ch->cfg.master_address, d->cfg.address);
        if (ch->txn.active && ch->txn.dev == d)
                chan_txn_timeout(ch, now);
}

static void chan_check_sent(struct master_chan *ch, uint64_t now)
{
        if (ch->txn.active && !ch->txn.expect_rsp && lsess_tx_idle(&ch->txn.dev->ls))
                chan_finish(ch, true, now);
}

static void chan_confirm_send(struct master_chan *ch, struct master_dev *d, uint8_t seq,
                              bool uns, uint64_t now)
{
        size_t len;
        if (master_req_confirm(d->conf, sizeof(d->conf), seq, uns, &len) == 0)
                (void)master_chan_send_apdu(ch, d, d->conf, len, now);
}

/* Confirm fragment seq of d now, or hold the CONFIRM (hold_confirm): true when held. */
static bool chan_confirm(struct master_chan *ch, struct master_dev *d, uint8_t seq, bool uns,
                         uint64_t now)
{
        if (ch->cb.hold_confirm && ch->cb.hold_confirm(ch->cb.ctx)) {
                enum master_held k = uns ? MASTER_HELD_UNSOL : MASTER_HELD_SOL;
                d->held[k] = true;
                d->held_seq[k] = seq;
                return true;
        }
        chan_confirm_send(ch, d, seq, uns, now);
        return false;
}

static bool chan_dev_held(const struct master_dev *d)
{
        return d->held[MASTER_HELD_SOL] || d->held[MASTER_HELD_UNSOL];
}

/* The response timer of a transaction whose next fragment follows our CONFIRM. */
static void chan_next_fragment_timer(struct master_chan *ch, uint64_t now)
{
        /* the next fragment may wait for our confirm to cross the line */
        ch->txn.deadline = now + chan_wire_ms(ch) + ch->cfg.response_timeout_ms;
}

static void chan_unexpected(struct master_chan *ch, struct master_dev *d)
{
        d->stats.unexpected++;
        chan_diag_frame(ch, MASTER_DIAG_UNEXPECTED, d, d->cfg.address, ch->cfg.master_address);
}

static void chan_on_response(struct master_chan *ch, struct master_dev *d,
                             const struct apdu_hdr *h, const uint8_t *objs, size_t n,
                             uint64_t now)
{
        struct master_txn *t = &ch->txn;
        if (!t->active || t->dev != d || !t->expect_rsp) {
                chan_unexpected(ch, d);
                return;
        }
        if (t->held) {
                /* the next fragment comes after our CONFIRM, not before */
                chan_unexpected(ch, d);
                return;
        }
        bool first = h->fir && h->seq == t->seq;
        bool next = !h->fir && t->got_fir && h->seq == t->next_seq;
        if (!first && !next) {
                chan_unexpected(ch, d);
                return;
        }
        if (master_rsp_on_response(d, t, h, objs, n, now) < 0) {
                chan_finish(ch, false, now);
                return;
        }
        t->got_fir = true;
        t->next_seq = (uint8_t)((h->seq + 1) & APP_CTRL_SEQ);
        if (h->con && chan_confirm(ch, d, h->seq, false, now)) {
                /* the transaction goes on (or ends) when the CONFIRM goes out */
                t->held = true;
                t->held_fin = h->fin;
                t->deadline = DNP_NEVER;
                return;
        }
        if (h->fin) {
                chan_finish(ch, true, now);
                return;
        }
        chan_next_fragment_timer(ch, now);
}

static void chan_on_apdu(struct master_chan *ch, struct master_dev *d, const uint8_t *apdu,
                         size_t len, uint64_t now)
{
        if (ch->cb.on_apdu)
                ch->cb.on_apdu(ch->cb.ctx, d, false, apdu, len);
        struct rd c;
        struct apdu_hdr h;
        rd_init(&c, apdu, len);
        if (apdu_parse_hdr(&c, &h) < 0 || !app_func_is_response(h.func)) {
                ch->stats.not_apdu++;
                return;
        }
        if (h.func == APP_FUNC_UNSOLICITED_RESPONSE) {
                if (master_rsp_on_unsol(d, &h, apdu, len, c.p, rd_left(&c), now))
                        (void)chan_confirm(ch, d, h.seq, true, now);
                return;
        }
        if (h.func != APP_FUNC_RESPONSE) {
                ch->stats.not_apdu++;
                return;
        }
        chan_on_response(ch, d, &h, c.p, rd_left(&c), now);
}

static void chan_on_frame(struct master_chan *ch, const struct link_frame *f, uint64_t now)
{
        struct master_dev *d = NULL;
        enum lsess_match worst = LSESS_MATCH_OTHER_DEST;
        for (size_t i = 0; i < ch->ndev && !d; i++) {
                enum lsess_match m = lsess_check_frame(&ch->devs[i]->ls, f);
                if (m == LSESS_MATCH_OK)
                        d = ch->devs[i];
                else if (m == LSESS_MATCH_WRONG_DIR ||
                         (m == LSESS_MATCH_OTHER_SRC && worst == LSESS_MATCH_OTHER_DEST))
                        worst = m;
        }
        if (!d) {
                enum master_diag_kind kind;
                if (worst == LSESS_MATCH_WRONG_DIR) {
                        ch->stats.wrong_dir++;
                        kind = MASTER_DIAG_WRONG_DIR;
                } else if (worst == LSESS_MATCH_OTHER_SRC) {
                        ch->stats.other_src++;
                        kind = MASTER_DIAG_OTHER_SRC;
                } else {
                        ch->stats.other_dest++;
                        kind = MASTER_DIAG_OTHER_DEST;
                }
                chan_diag_frame(ch, kind, master_chan_find(ch, f->h.src), f->h.src, f->h.dest);
                return;
        }
        /* the response is flowing: re-arm the response timer (none while our CONFIRM is held) */
        if (ch->txn.active && ch->txn.dev == d && ch->txn.expect_rsp && !ch->txn.held)
                ch->txn.deadline = now + ch->cfg.response_timeout_ms;
        struct wr w;
        const uint8_t *apdu = NULL;
        size_t len = 0;
        chan_wr_begin(ch, &w);
        int r = lsess_on_frame(&d->ls, f, now, &w, &apdu, &len);
        chan_wr_end(ch, &w);
        if (lsess_tx_failed(&d->ls))
                chan_link_failed(ch, d, now);
        if (r == 1 && len >= APP_REQ_HDR_LEN)
                chan_on_apdu(ch, d, apdu, len, now);
}

/* Start transactions while the channel is idle and some device has a ready task. */
static void chan_start_ready(struct master_chan *ch, uint64_t now)
{
        /* bounded: each pass either starts a transaction or drops a task */
        for (unsigned pass = 0; pass < 4 * MASTER_TASK_MAX && ch->open && !ch->txn.active;
             pass++) {
                struct master_dev *best = NULL;
                enum master_task best_t = MASTER_TASK_MAX;
                for (size_t i = 0; i < ch->ndev; i++) {
                        struct master_dev *d = ch->devs[(ch->rr + i) % ch->ndev];
                        if (!lsess_tx_idle(&d->ls) || chan_dev_held(d))
                                continue;
                        enum master_task t = master_sched_ready(d, now);
                        if (t < best_t) {
                                best = d;
                                best_t = t;
                        }
                }
                if (!best)
                        return;
                ch->rr = (best->idx + 1) % ch->ndev;
                uint8_t func;
                bool expect;
                if (master_dev_build(best, best_t, now, &func, &expect) < 0)
                        continue;
                chan_start(ch, best, best_t, func, expect, now);
        }
}

/* ---- inputs ---- */

void master_chan_up(struct master_chan *ch, uint64_t now)
{
        if (ch->open)
                return;
        ch->open = true;
        link_scanner_init(&ch->scan);
        ch->out_len = 0;
        ch->txn = (struct master_txn){ 0 };
        ch->rr = 0;
        for (size_t i = 0; i < ch->ndev; i++)
                master_dev_start(ch->devs[i], now);
}

/* No CONFIRM is held any more (sent, or the channel closed). */
static void chan_unhold(struct master_chan *ch)
{
        for (size_t i = 0; i < ch->ndev; i++)
                for (unsigned k = 0; k < MASTER_HELD_MAX; k++)
                        ch->devs[i]->held[k] = false;
        ch->txn.held = false;
}

void master_chan_down(struct master_chan *ch, uint64_t now)
{
        if (ch->open) {
                ch->open = false;
                if (ch->txn.active) {
                        struct master_txn t = ch->txn;
                        ch->txn.active = false;
                        master_dev_txn_abort(t.dev, &t);
                }
                ch->out_len = 0;
        }
        chan_unhold(ch);
        /* Lost, or never opened (a port missing at startup): every device is
         * offline either way (idempotent for devices already offline). */
        for (size_t i = 0; i < ch->ndev; i++)
                master_dev_stop(ch->devs[i], now);
}

struct rx_ctx {
        struct master_chan *ch;
        uint64_t now;
};

/* A frame off the line; stop taking bytes once the channel was closed. */
static int chan_rx_frame(void *ctx, const struct link_frame *f)
{
        struct rx_ctx *c = ctx;
        chan_on_frame(c->ch, f, c->now);
        return c->ch->open ? 0 : 1;
}

void master_chan_rx(struct master_chan *ch, const uint8_t *p, size_t n, uint64_t now)
{
        if (!ch->open)
                return;
        ch->stats.rx_bytes += n;
        struct rx_ctx c = { .ch = ch, .now = now };
        (void)link_scanner_push(&ch->scan, p, n, chan_rx_frame, &c);
        chan_check_sent(ch, now);
        chan_start_ready(ch, now);
}

void master_chan_release_confirms(struct master_chan *ch, uint64_t now)
{
        if (!ch->open) {
                dnp_sess_wake(&ch->sess);
                return;
        }
        for (size_t i = 0; i < ch->ndev; i++) {
                struct master_dev *d = ch->devs[i];
                for (unsigned k = 0; k < MASTER_HELD_MAX; k++)
                        if (d->held[k])
                                chan_confirm_send(ch, d, d->held_seq[k], k == MASTER_HELD_UNSOL,
                                                  now);
        }
        bool held = ch->txn.active && ch->txn.held;
        chan_unhold(ch);
        if (held && ch->txn.held_fin)
                chan_finish(ch, true, now);
        else if (held)
                chan_next_fragment_timer(ch, now);
        chan_start_ready(ch, now);
        dnp_sess_wake(&ch->sess);       /* last: the runner flushes the output at once */
}

void master_chan_timer(struct master_chan *ch, uint64_t now)
{
        if (!ch->open)
                return;
        for (size_t i = 0; i < ch->ndev; i++) {
                struct master_dev *d = ch->devs[i];
                if (lsess_deadline(&d->ls) <= now) {
                        struct wr w;
                        chan_wr_begin(ch, &w);
                        (void)lsess_on_timer(&d->ls, now, &w);
                        chan_wr_end(ch, &w);
                        if (lsess_tx_failed(&d->ls))
                                chan_link_failed(ch, d, now);
                        (void)lsess_keepalive_failed(&d->ls);
                }
        }
        for (size_t i = 0; i < ch->ndev; i++)
                master_queue_timers(ch->devs[i], now);
        if (ch->txn.active && ch->txn.deadline <= now)
                chan_txn_timeout(ch, now);
        chan_check_sent(ch, now);
        chan_start_ready(ch, now);
}

void master_chan_work(struct master_chan *ch)
{
        dnp_sess_wake(&ch->sess);
}

struct dnp_sess *master_chan_sess(struct master_chan *ch)
{
        return &ch->sess;
}

uint64_t master_chan_deadline(const struct master_chan *ch)
{
        if (!ch->open)
                return DNP_NEVER;
        uint64_t dl = DNP_NEVER;
        if (ch->txn.active)
                dl = ch->txn.deadline;
        for (size_t i = 0; i < ch->ndev; i++) {
                const struct master_dev *d = ch->devs[i];
                dl = dnp_deadline_min(dl, lsess_deadline(&d->ls));
                dl = dnp_deadline_min(dl, master_queue_deadline(&d->queue));
                if (!ch->txn.active && lsess_tx_idle(&d->ls) && !chan_dev_held(d))
                        dl = dnp_deadline_min(dl, master_sched_next_due(d));
        }
        return dl;
}
