/* SPDX-License-Identifier: MIT */
/*
 * Outstation session, dispatch and output: outst_new()/outst_free(), the
 * session verbs (rx, output, consumed, deadline, timer, up, down), the
 * request dispatch with duplicate detection and broadcast, solicited
 * responses and their confirms, and the session interface (dnp3/sess.h).
 * The functions live in outst_read.c, outst_cmd.c, outst_unsol.c and
 * outst_func.c (outst_priv.h).  See outst.h.
 * Every buffer is allocated by outst_new(); nothing is allocated per
 * request or per byte.
 */
#include "outstation/outst_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t outst_outcap(const struct outst_cfg *cfg)
{
        /* a whole fragment plus room for a few link replies */
        return lsess_wire_size(cfg->max_fragment) + 8 * LINK_HDR_LEN;
}

static size_t outst_frz_bytes(const struct outst_cfg *cfg)
{
        return cfg->points[DNP_TYPE_CNT] / 8 + 1;
}

size_t outst_memory(const struct outst_cfg *cfg)
{
        return sizeof(struct outst) + db_memory(cfg->points) +
               events_memory(cfg->event_depth, cfg->event_sources) +
               3 * cfg->max_rx_fragment + 3 * cfg->max_fragment + outst_outcap(cfg) +
               outst_frz_bytes(cfg);
}

static int outst_cfg_check(const struct outst_cfg *c)
{
        if (c->max_fragment < 249 || c->max_fragment > TPORT_MAX_FRAGMENT ||
            c->max_rx_fragment < 249 || c->max_rx_fragment > TPORT_MAX_FRAGMENT)
                return -EINVAL;
        if (c->address > LINK_ADDR_MAX_UNICAST || c->master_address > LINK_ADDR_MAX_UNICAST)
                return -EINVAL;
        if (c->unsol.retries < -1)
                return -EINVAL;
        /* 16-bit index qualifiers only (the event buffers keep 16-bit indexes) */
        DNP_PTYPE_FOREACH(p)
                if (c->points[p->type] > (uint32_t)UINT16_MAX + 1)
                        return -EINVAL;
        return 0;
}

/* the session interface (dnp3/sess.h): the verbs below, for a runner */
DNP_SESS_OPS_DEFINE(outst_sess_ops, struct outst, sess, outst);

struct outst *outst_new(const struct outst_cfg *cfg, const struct outst_callbacks *cb, void *ctx,
                        uint64_t now, int *ret_err)
{
        int err = outst_cfg_check(cfg);
        struct outst *o = NULL;

        if (err < 0)
                goto fail;
        err = -ENOMEM;
        o = calloc(1, sizeof(*o));
        if (!o)
                goto fail;
        o->sess.ops = &outst_sess_ops;
        o->cfg = *cfg;
        if (cb)
                o->cb = *cb;
        o->ctx = ctx;
        o->db = db_new(cfg->points);
        o->ev = events_new(cfg->event_depth, cfg->event_sources);
        o->rxbuf = malloc(cfg->max_rx_fragment);
        o->sol.req = malloc(cfg->max_rx_fragment);
        o->ctl.sel.obj = malloc(cfg->max_rx_fragment);
        o->sol.rsp = malloc(cfg->max_fragment);
        o->uns.buf = malloc(cfg->max_fragment);
        o->txbuf = malloc(cfg->max_fragment);
        o->outbuf = malloc(outst_outcap(cfg));
        o->fn.frz_named = malloc(outst_frz_bytes(cfg));
        if (!o->db || !o->ev || !o->rxbuf || !o->sol.req || !o->ctl.sel.obj || !o->sol.rsp ||
            !o->uns.buf || !o->txbuf || !o->outbuf || !o->fn.frz_named)
                goto fail;

        struct lsess_cfg lc = {
                .master = false,
                .local = cfg->address,
                .remote = cfg->master_address,
                .confirmed = cfg->link_confirmed,
                .link_timeout_ms = cfg->link_timeout_ms,
                .link_retries = cfg->link_retries,
                .keepalive_ms = cfg->keepalive_ms,
        };
        lsess_init(&o->ls, &lc, o->rxbuf, cfg->max_rx_fragment, now);
        link_scanner_init(&o->sc);
        wr_init(&o->out, o->outbuf, outst_outcap(cfg));
        o->sol.deadline = DNP_NEVER;
        o->ctl.deadline = DNP_NEVER;
        outst_unsol_init(o);
        outst_func_init(o);
        return o;
fail:
        outst_free(o);
        if (ret_err)
                *ret_err = err;
        return NULL;
}

void outst_free(struct outst *o)
{
        if (!o)
                return;
        db_free(o->db);
        events_free(o->ev);
        free(o->rxbuf);
        free(o->sol.req);
        free(o->ctl.sel.obj);
        free(o->sol.rsp);
        free(o->uns.buf);
        free(o->txbuf);
        free(o->outbuf);
        free(o->fn.frz_named);
        free(o);
}

struct db *outst_db(struct outst *o)
{
        return o->db;
}

struct events *outst_events(struct outst *o)
{
        return o->ev;
}

const struct outst_stats *outst_stats(const struct outst *o)
{
        return &o->stats;
}

const struct lsess *outst_lsess(const struct outst *o)
{
        return &o->ls;
}

uint16_t outst_iin(const struct outst *o)
{
        uint16_t iin = 0;
        if (o->fn.restart)
                iin |= APP_IIN_DEVICE_RESTART;
        if (o->fn.need_time)
                iin |= APP_IIN_NEED_TIME;
        if (events_unsent(o->ev, 1))
                iin |= APP_IIN_CLASS1_EVENTS;
        if (events_unsent(o->ev, 2))
                iin |= APP_IIN_CLASS2_EVENTS;
        if (events_unsent(o->ev, 3))
                iin |= APP_IIN_CLASS3_EVENTS;
        if (events_overflow(o->ev))
                iin |= APP_IIN_EVENT_BUFFER_OVERFLOW;
        if (o->bcast != BCAST_NONE)
                iin |= APP_IIN_BROADCAST;
        return iin;
}

void outst_set_restart(struct outst *o)
{
        o->fn.restart = true;
}

void outst_set_cmd_timeout(struct outst *o, uint64_t ms)
{
        o->cfg.cmd_timeout_ms = ms;
}

unsigned outst_unsol_enabled(const struct outst *o)
{
        return o->uns.enabled;
}

/* ---- output ---------------------------------------------------------- */

/* Hand a queued APDU (kept for a repeat) to the link session; false if it refused it. */
static bool outst_send(struct outst *o, const uint8_t *apdu, size_t len, uint64_t now)
{
        memcpy(o->txbuf, apdu, len);
        return lsess_send(&o->ls, o->txbuf, len, now, &o->out) >= 0;
}

void outst_flush(struct outst *o, uint64_t now)
{
        if (!o->connected || o->out.len > 0 || !lsess_tx_idle(&o->ls))
                return;
        if (o->sol.rsp_queued) {
                if (!outst_send(o, o->sol.rsp, o->sol.rsp_len, now))
                        return;
                o->sol.rsp_queued = false;
                o->stats.responses++;
                if (o->sol.state == SOL_WAIT_CONFIRM)
                        o->sol.deadline = now + o->cfg.confirm_timeout_ms;
                return;
        }
        if (o->uns.queued && outst_send(o, o->uns.buf, o->uns.len, now)) {
                o->uns.queued = false;
                o->stats.unsolicited++;
                o->uns.deadline = now + o->cfg.confirm_timeout_ms;
        }
}

size_t outst_output(const struct outst *o, const uint8_t **ret)
{
        *ret = o->outbuf;
        return o->out.len;
}

void outst_consumed(struct outst *o, size_t n, uint64_t now)
{
        if (n >= o->out.len) {
                o->out.len = 0;
        } else {
                memmove(o->outbuf, o->outbuf + n, o->out.len - n);
                o->out.len -= n;
        }
        outst_flush(o, now);
        outst_unsol_try(o, now);
}

/* ---- response building ----------------------------------------------- */

void outst_rsp_init(struct outst *o, struct apdu_wr *a, uint8_t seq, bool fir)
{
        struct apdu_hdr h = {
                .fir = fir, .fin = true, .seq = seq & APP_CTRL_SEQ, .func = APP_FUNC_RESPONSE,
        };
        (void)apdu_wr_init(a, o->sol.rsp, o->cfg.max_fragment, &h);
}

void outst_rsp_queue(struct outst *o, struct apdu_wr *a, uint8_t seq, bool fir, bool fin,
                     bool con, uint64_t now)
{
        struct apdu_hdr h = {
                .fir = fir,
                .fin = fin,
                .con = con,
                .seq = seq & APP_CTRL_SEQ,
                .func = APP_FUNC_RESPONSE,
                .iin = (uint16_t)(outst_iin(o) | o->sol.req_iin),
        };
        if (o->sol.in_broadcast) {
                o->sol.rsp_len = 0;
                o->sol.state = SOL_IDLE;
                return;
        }
        /* after a broadcast to 0xFFFE every response asks for a confirm */
        o->sol.bcast = o->bcast == BCAST_CONFIRM;
        if (o->sol.bcast)
                h.con = con = true;
        else
                o->bcast = BCAST_NONE;
        apdu_wr_set_hdr(a, &h);
        o->sol.rsp_len = apdu_wr_len(a);
        o->sol.rsp_queued = true;
        o->sol.con = con;
        if (con) {
                o->sol.state = SOL_WAIT_CONFIRM;
                o->sol.seq = seq & APP_CTRL_SEQ;
                o->sol.deadline = DNP_NEVER;  /* starts when sent */
        } else {
                o->sol.state = SOL_IDLE;
        }
        outst_flush(o, now);
}

void outst_rsp_null(struct outst *o, uint8_t seq, uint64_t now)
{
        struct apdu_wr a;
        outst_rsp_init(o, &a, seq, true);
        outst_rsp_queue(o, &a, seq, true, true, false, now);
}

/* ---- confirms, deferred answers --------------------------------------- */

void outst_confirmed(struct outst *o, enum ev_state by, bool *bcast)
{
        size_t n = events_confirm(o->ev, by);
        if (n > 0)
                events_clear_overflow(o->ev);
        if (*bcast)
                o->bcast = BCAST_NONE;
        *bcast = false;
}

bool outst_deferred_end(struct outst *o, uint8_t func, bool broadcast)
{
        if (o->sol.state == SOL_CMD_PENDING)
                o->sol.state = SOL_IDLE;
        return !app_func_no_response(func) && !broadcast;
}

static void sol_cancel(struct outst *o)
{
        events_unselect(o->ev, EV_SEL_SOL);
        o->sol.state = SOL_IDLE;
        o->sol.deadline = DNP_NEVER;
        o->rd.more = false;
        o->sol.rsp_queued = false;
}

static void handle_confirm(struct outst *o, const struct apdu_hdr *h, uint64_t now)
{
        if (h->uns) {
                outst_unsol_confirm(o, h, now);
                return;
        }
        if (o->sol.state != SOL_WAIT_CONFIRM || o->sol.rsp_queued || h->seq != o->sol.seq)
                return;
        outst_confirmed(o, EV_SEL_SOL, &o->sol.bcast);
        o->sol.deadline = DNP_NEVER;
        if (o->rd.more) {
                outst_read_fragment(o, (uint8_t)(o->sol.seq + 1), false, now);
                return;
        }
        o->sol.state = SOL_IDLE;
        outst_unsol_try(o, now);
}

/* ---- requests ------------------------------------------------------------ */

/*
 * The handler of each function code an outstation answers (the others get
 * NO_FUNC_CODE_SUPPORT), what it needs, and its rows of the implementation
 * table.
 */
#define OUTST_FUNC(h, i, n) { .handler = (h), .impl = (i), .need = OUTST_NEED_##n }
static const struct outst_func_row outst_funcs[256] = {
        [APP_FUNC_READ] = OUTST_FUNC(outst_read_handle, outst_read_impl, NONE),
        [APP_FUNC_WRITE] = OUTST_FUNC(outst_func_write, outst_func_write_impl, NONE),
        [APP_FUNC_SELECT] = OUTST_FUNC(outst_cmd_handle, outst_cmd_impl, NONE),
        [APP_FUNC_OPERATE] = OUTST_FUNC(outst_cmd_handle, outst_cmd_impl, NONE),
        [APP_FUNC_DIRECT_OPERATE] = OUTST_FUNC(outst_cmd_handle, outst_cmd_impl, NONE),
        [APP_FUNC_DIRECT_OPERATE_NR] = OUTST_FUNC(outst_cmd_handle, outst_cmd_impl, NONE),
        [APP_FUNC_IMMED_FREEZE] = OUTST_FUNC(outst_func_freeze, outst_func_freeze_impl, FREEZE),
        [APP_FUNC_IMMED_FREEZE_NR] = OUTST_FUNC(outst_func_freeze, outst_func_freeze_impl, FREEZE),
        [APP_FUNC_FREEZE_CLEAR] = OUTST_FUNC(outst_func_freeze, outst_func_freeze_impl, FREEZE),
        [APP_FUNC_FREEZE_CLEAR_NR] = OUTST_FUNC(outst_func_freeze, outst_func_freeze_impl, FREEZE),
        [APP_FUNC_FREEZE_AT_TIME] = OUTST_FUNC(outst_func_freeze, outst_func_freeze_impl, FREEZE),
        [APP_FUNC_FREEZE_AT_TIME_NR] = OUTST_FUNC(outst_func_freeze, outst_func_freeze_impl,
                                                  FREEZE),
        [APP_FUNC_COLD_RESTART] = OUTST_FUNC(outst_func_restart, outst_func_restart_impl, RESTART),
        [APP_FUNC_WARM_RESTART] = OUTST_FUNC(outst_func_restart, outst_func_restart_impl, RESTART),
        [APP_FUNC_ENABLE_UNSOLICITED] = OUTST_FUNC(outst_unsol_handle_ctl, outst_unsol_impl, NONE),
        [APP_FUNC_DISABLE_UNSOLICITED] = OUTST_FUNC(outst_unsol_handle_ctl, outst_unsol_impl, NONE),
        [APP_FUNC_DELAY_MEASURE] = OUTST_FUNC(outst_func_delay, outst_func_delay_impl, NONE),
        [APP_FUNC_RECORD_CURRENT_TIME] = OUTST_FUNC(outst_func_record_time, outst_func_none_impl,
                                                    NONE),
};

const struct outst_func_row *outst_func_usable(const struct outst_callbacks *cb, uint8_t func)
{
        const struct outst_func_row *f = &outst_funcs[func];
        if (!f->handler)
                return NULL;
        switch ((enum outst_need)f->need) {
        case OUTST_NEED_FREEZE:
                return cb->on_freeze ? f : NULL;
        case OUTST_NEED_RESTART:
                return cb->on_restart ? f : NULL;
        case OUTST_NEED_NONE:
                break;
        }
        return f;
}

static void handle_apdu(struct outst *o, const uint8_t *apdu, size_t len, uint16_t dest,
                        uint64_t now)
{
        bool broadcast = link_is_broadcast(dest);
        struct rd c;
        struct apdu_hdr h;

        rd_init(&c, apdu, len);
        if (apdu_parse_hdr(&c, &h) < 0)
                return;
        if (h.func == APP_FUNC_CONFIRM) {
                handle_confirm(o, &h, now);
                return;
        }
        if (app_func_is_response(h.func) || !h.fir || !h.fin)
                return;
        o->stats.requests++;

        /* duplicate: same sequence, same bytes -> the same answer again */
        if (o->sol.req_valid && len == o->sol.req_len && memcmp(apdu, o->sol.req, len) == 0) {
                o->stats.duplicates++;
                if (o->ctl.pending || o->sol.rsp_len == 0 || broadcast)
                        return;
                o->sol.rsp_queued = true;
                if (o->sol.con) {
                        o->sol.state = SOL_WAIT_CONFIRM;
                        o->sol.deadline = DNP_NEVER;
                }
                outst_flush(o, now);
                return;
        }

        /* a new request supersedes whatever was in progress */
        outst_cmd_supersede(o, h.func, now);
        if (o->sol.state == SOL_WAIT_CONFIRM)
                sol_cancel(o);
        outst_func_supersede(o);
        o->sol.state = SOL_IDLE;
        o->sol.rsp_queued = false;
        o->sol.rsp_len = 0;
        memcpy(o->sol.req, apdu, len);
        o->sol.req_len = len;
        o->sol.req_valid = true;
        o->sol.req_iin = 0;
        o->sol.in_broadcast = broadcast;
        if (dest == LINK_ADDR_BROADCAST_CONFIRM)
                o->bcast = BCAST_CONFIRM;
        else if (broadcast && o->bcast == BCAST_NONE)
                o->bcast = BCAST_ONCE;

        const struct outst_req rq = { .seq = h.seq, .func = h.func, .objs = c.p, .n = rd_left(&c) };
        /* a handler whose upcall is missing answers IIN2.0 itself (outst_func_usable()) */
        outst_handler_fn *handler = outst_funcs[h.func].handler;
        if (handler) {
                handler(o, &rq, now);
        } else {
                o->sol.req_iin |= APP_IIN_NO_FUNC_CODE_SUPPORT;
                outst_rsp_null(o, h.seq, now);
        }
        if (o->sol.req_iin)
                o->stats.bad_requests++;
        o->sol.in_broadcast = false;
        outst_unsol_try(o, now);
}

/* ---- input, timers, connection -------------------------------------------- */

struct rx_ctx {
        struct outst *o;
        uint64_t now;
};

static int outst_on_frame(void *ctx, const struct link_frame *f)
{
        struct rx_ctx *c = ctx;
        struct outst *o = c->o;
        enum lsess_match m = lsess_check_frame(&o->ls, f);
        if (m != LSESS_MATCH_OK) {
                o->stats.rejected_frames[m]++;
                if (o->cb.on_reject)
                        o->cb.on_reject(o->ctx, m, f->h.src, f->h.dest);
                return 0;
        }
        const uint8_t *apdu;
        size_t len;
        if (lsess_on_frame(&o->ls, f, c->now, &o->out, &apdu, &len) == 1)
                handle_apdu(o, apdu, len, f->h.dest, c->now);
        outst_flush(o, c->now);
        return 0;
}

void outst_rx(struct outst *o, const uint8_t *p, size_t n, uint64_t now)
{
        if (!o->connected)
                return;
        struct rx_ctx c = { .o = o, .now = now };
        (void)link_scanner_push(&o->sc, p, n, outst_on_frame, &c);
}

/* The link layer's timers and the confirm of the solicited response. */
static uint64_t outst_sol_deadline(const struct outst *o)
{
        if (!o->connected)
                return DNP_NEVER;
        uint64_t d = lsess_deadline(&o->ls);
        if (o->sol.state == SOL_WAIT_CONFIRM)
                d = dnp_deadline_min(d, o->sol.deadline);
        return d;
}

uint64_t outst_deadline(const struct outst *o)
{
        uint64_t d = outst_sol_deadline(o);
        d = dnp_deadline_min(d, outst_unsol_deadline(o));
        d = dnp_deadline_min(d, outst_cmd_deadline(o));
        return dnp_deadline_min(d, outst_func_deadline(o));
}

void outst_timer(struct outst *o, uint64_t now)
{
        outst_func_timer(o, now);       /* first: IIN1.4 is due before a response goes out */
        outst_cmd_timer(o, now);
        if (!o->connected)
                return;
        (void)lsess_on_timer(&o->ls, now, &o->out);
        if (lsess_keepalive_failed(&o->ls))
                dnp_sess_drop(&o->sess, -ETIMEDOUT, "link keep-alive failed");
        if (o->sol.state == SOL_WAIT_CONFIRM && now >= o->sol.deadline) {
                o->stats.confirm_timeouts++;
                sol_cancel(o);
        }
        outst_unsol_timer(o, now);
        outst_flush(o, now);
        outst_unsol_try(o, now);
}

int outst_update_src(struct outst *o, enum dnp_type t, const struct dnp_value *v,
                     enum db_mode mode, uint16_t src, uint64_t now)
{
        struct db_event e;
        int r = db_update(o->db, t, v, mode, &e);
        if (r != 1)
                return r;
        (void)events_add(o->ev, &e, src);
        outst_unsol_try(o, now);
        dnp_sess_wake(&o->sess);
        return 1;
}

int outst_update(struct outst *o, enum dnp_type t, const struct dnp_value *v, enum db_mode mode,
                 uint64_t now)
{
        return outst_update_src(o, t, v, mode, EVENTS_SRC_NONE, now);
}

void outst_set_events_journal(struct outst *o, const struct events_journal *j)
{
        events_set_journal(o->ev, j);
}

int outst_restore_event(struct outst *o, const struct outst_saved_event *s)
{
        const struct dnp_ptype *pt = dnp_ptype((enum dnp_type)s->type);
        if (!pt || !dnp_ptype_var_ok(pt, true, s->var))
                return -EINVAL;
        if (s->cls < 1 || s->cls > 3)
                return -EINVAL;
        if (!db_present(o->db, (enum dnp_type)s->type, s->index))
                return -ENOENT;
        const struct ev e = {
                .time = s->time,
                .value = s->value,
                .index = s->index,
                .src = s->src,
                .type = s->type,
                .var = s->var,
                .flags = s->flags,
        };
        return events_restore(o->ev, &e, s->cls);
}

void outst_up(struct outst *o, uint64_t now)
{
        outst_down(o, now);
        o->connected = true;
        outst_unsol_try(o, now);
}

void outst_down(struct outst *o, uint64_t now)
{
        events_unselect(o->ev, EV_SEL_SOL);
        o->connected = false;
        o->sol.state = SOL_IDLE;
        o->sol.deadline = DNP_NEVER;
        o->rd.more = false;
        o->sol.rsp_queued = false;
        o->sol.rsp_len = 0;
        o->sol.req_valid = false;
        outst_func_down(o);
        outst_cmd_down(o);
        outst_unsol_down(o);
        o->out.len = 0;
        link_scanner_init(&o->sc);
        lsess_reset(&o->ls, now);
}

struct dnp_sess *outst_sess(struct outst *o)
{
        return &o->sess;
}
