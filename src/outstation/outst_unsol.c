/* SPDX-License-Identifier: MIT */
/*
 * Outstation session, unsolicited responses: the null one at start, events
 * of the enabled classes after hold_time/hold_count, confirm, retries and
 * back-off, and ENABLE/DISABLE_UNSOLICITED (struct outst_unsol).  See
 * outst_priv.h.
 */
#include "outstation/outst_priv.h"

static unsigned uns_pending_events(const struct outst *o)
{
        unsigned n = 0;
        for (unsigned c = 1; c <= 3; c++)
                if (o->uns.enabled & (1u << c))
                        n += (unsigned)events_unsent(o->ev, c);
        return n;
}

static void uns_build(struct outst *o, bool null)
{
        struct apdu_wr a;
        struct apdu_hdr h = {
                .fir = true, .fin = true, .con = true, .uns = true,
                .seq = o->uns.seq, .func = APP_FUNC_UNSOLICITED_RESPONSE,
        };
        (void)apdu_wr_init(&a, o->uns.buf, o->cfg.max_fragment, &h);
        if (!null) {
                size_t n;
                struct ev_sel sel = {
                        .classes = o->uns.enabled,
                        .type = DNP_TYPE_NONE,
                        .left = o->cfg.unsol.max_events ? o->cfg.unsol.max_events : EV_NO_LIMIT,
                };
                (void)outst_read_events(o, &a, &sel, 1, EV_SEL_UNSOL, &n);
        }
        h.iin = outst_iin(o);
        o->uns.bcast = o->bcast == BCAST_CONFIRM;
        apdu_wr_set_hdr(&a, &h);
        o->uns.len = apdu_wr_len(&a);
        o->uns.queued = true;
        o->uns.state = UNS_WAIT_CONFIRM;
        o->uns.tries = 0;
        o->uns.deadline = DNP_NEVER;
}

void outst_unsol_try(struct outst *o, uint64_t now)
{
        if (!o->connected || !o->cfg.unsol.enabled || o->uns.state != UNS_IDLE ||
            o->sol.state != SOL_IDLE || o->sol.rsp_queued || now < o->uns.backoff)
                return;
        if (o->uns.null_pending) {
                uns_build(o, true);
                outst_flush(o, now);
                return;
        }
        unsigned n = uns_pending_events(o);
        if (n == 0) {
                o->uns.hold_start = DNP_NEVER;
                return;
        }
        if (o->uns.hold_start == DNP_NEVER)
                o->uns.hold_start = now;
        unsigned hold_count = o->cfg.unsol.hold_count ? o->cfg.unsol.hold_count : 1;
        if (n < hold_count && now - o->uns.hold_start < o->cfg.unsol.hold_time_ms)
                return;
        o->uns.hold_start = DNP_NEVER;
        uns_build(o, false);
        outst_flush(o, now);
}

static void uns_confirmed(struct outst *o, uint64_t now)
{
        outst_confirmed(o, EV_SEL_UNSOL, &o->uns.bcast);
        o->uns.null_pending = false;
        o->uns.state = UNS_IDLE;
        o->uns.deadline = DNP_NEVER;
        o->uns.queued = false;
        o->uns.seq = (o->uns.seq + 1) & APP_CTRL_SEQ;
        outst_unsol_try(o, now);
}

static void uns_timeout(struct outst *o, uint64_t now)
{
        o->stats.unsol_timeouts++;
        o->uns.deadline = DNP_NEVER;
        if (o->cfg.unsol.retries < 0 || o->uns.tries < (unsigned)o->cfg.unsol.retries) {
                /* the same fragment again, same sequence number */
                o->uns.tries++;
                o->uns.queued = true;
                outst_flush(o, now);
                return;
        }
        events_unselect(o->ev, EV_SEL_UNSOL);
        o->uns.state = UNS_IDLE;
        o->uns.seq = (o->uns.seq + 1) & APP_CTRL_SEQ;
        o->uns.backoff = now + o->cfg.confirm_timeout_ms;
}


struct mask_ctx {
        struct outst *o;
        unsigned mask;
};

static int unsol_on_header(void *ctx, const struct obj_hdr *h)
{
        struct mask_ctx *mc = ctx;
        if (h->group == 60 && h->var >= 2 && h->var <= 4 &&
            (obj_qual_bit(h->qual) & OBJ_QBIT(ALL))) {
                mc->mask |= 1u << (h->var - 1);
                return 0;
        }
        mc->o->sol.req_iin |= h->group == 60 ? APP_IIN_PARAMETER_ERROR : APP_IIN_OBJECT_UNKNOWN;
        return 1;
}

/* Class 1-3 data (g60v2-4), all of it; ENABLE only while unsolicited reporting is configured. */
void outst_unsol_impl(const struct outst_impl_out *x, uint8_t func)
{
        if (func == APP_FUNC_ENABLE_UNSOLICITED && !x->cfg->unsol.enabled)
                return;
        for (uint8_t v = 2; v <= 4; v++)
                outst_impl_row(x, func, 60, v, OBJ_QBIT(ALL), 0);
}

void outst_unsol_handle_ctl(struct outst *o, const struct outst_req *rq, uint64_t now)
{
        const bool enable = rq->func == APP_FUNC_ENABLE_UNSOLICITED;

        struct mask_ctx mc = { .o = o };
        static const struct obj_visitor vis = { .on_header = unsol_on_header };

        if (!o->cfg.unsol.enabled) {
                /* Nothing to disable: masters send DISABLE_UNSOLICITED at startup
                 * and it succeeds.  ENABLE asks for what this outstation does not do. */
                if (enable)
                        o->sol.req_iin |= APP_IIN_NO_FUNC_CODE_SUPPORT;
                outst_rsp_null(o, rq->seq, now);
                return;
        }
        int r = obj_parse(rq->objs, rq->n, OBJ_MODE_HEADERS, &vis, &mc, NULL);
        if (r < 0)
                o->sol.req_iin |= obj_err_iin(r);
        else if (r == 0) {
                if (enable)
                        o->uns.enabled |= mc.mask & o->cfg.unsol.classes;
                else
                        o->uns.enabled &= ~mc.mask;
        }
        outst_rsp_null(o, rq->seq, now);
}

void outst_unsol_confirm(struct outst *o, const struct apdu_hdr *h, uint64_t now)
{
        if (o->uns.state == UNS_WAIT_CONFIRM && !o->uns.queued && h->seq == o->uns.seq)
                uns_confirmed(o, now);
}

void outst_unsol_init(struct outst *o)
{
        o->uns.deadline = DNP_NEVER;
        o->uns.hold_start = DNP_NEVER;
        o->uns.backoff = 0;
        o->uns.null_pending = o->cfg.unsol.enabled;
}

void outst_unsol_down(struct outst *o)
{
        events_unselect(o->ev, EV_SEL_UNSOL);
        o->uns.state = UNS_IDLE;
        o->uns.queued = false;
        o->uns.deadline = DNP_NEVER;
        o->uns.backoff = 0;
        o->uns.hold_start = DNP_NEVER;
}

uint64_t outst_unsol_deadline(const struct outst *o)
{
        if (!o->connected)
                return DNP_NEVER;
        if (o->uns.state == UNS_WAIT_CONFIRM)
                return o->uns.deadline;
        /*
         * Unsolicited timers count only while one could be sent: a
         * solicited exchange in progress blocks it (and tries again when it
         * ends), and a past deadline would fire at once, again.
         */
        if (o->uns.state != UNS_IDLE || o->sol.state != SOL_IDLE || o->sol.rsp_queued)
                return DNP_NEVER;
        uint64_t u = DNP_NEVER;
        if (o->uns.hold_start != DNP_NEVER)
                u = o->uns.hold_start + o->cfg.unsol.hold_time_ms;
        /* during a back-off nothing goes out, held events included */
        if (o->uns.backoff > 0 && o->cfg.unsol.enabled &&
            (o->uns.null_pending || uns_pending_events(o) > 0))
                u = u == DNP_NEVER || u < o->uns.backoff ? o->uns.backoff : u;
        return u;
}

void outst_unsol_timer(struct outst *o, uint64_t now)
{
        if (o->uns.state == UNS_WAIT_CONFIRM && now >= o->uns.deadline)
                uns_timeout(o, now);
        /* the back-off is over: a past deadline left in place would fire again at once */
        if (o->uns.backoff > 0 && now >= o->uns.backoff)
                o->uns.backoff = 0;
}
