/* SPDX-License-Identifier: MIT */
/*
 * Outstation session, the other functions: WRITE (IIN1.7 cleared by g80v1,
 * the time by g50v1/g50v3), time sync and NEED_TIME (IIN1.4), DELAY_MEASURE,
 * RECORD_CURRENT_TIME, COLD/WARM_RESTART, and the freezes, handed to the
 * application and answered when it completes them or cmd_timeout passes
 * (struct outst_func).  See outst_priv.h.
 */
#include "outstation/outst_priv.h"

#include <errno.h>
#include <string.h>

struct write_ctx {
        struct outst *o;
        uint64_t now;
};

/*
 * The objects WRITE takes: g80v1 (index 7 cleared: IIN1.7 DEVICE_RESTART),
 * g50v1 (the time), g50v3 (the time at the last RECORD_CURRENT_TIME).
 */
static const struct outst_obj write_objs[] = {
        { 80, 1, OUTST_Q_RANGE },
        { 50, 1, OBJ_QBIT(COUNT8) },
        { 50, 3, OBJ_QBIT(COUNT8) },
};

static int write_on_header(void *ctx, const struct obj_hdr *h)
{
        struct write_ctx *wc = ctx;
        for (size_t k = 0; k < sizeof(write_objs) / sizeof(write_objs[0]); k++)
                if (h->group == write_objs[k].group && h->var == write_objs[k].var)
                        return 0;
        wc->o->sol.req_iin |= APP_IIN_OBJECT_UNKNOWN;
        return 1;
}

void outst_func_write_impl(const struct outst_impl_out *x, uint8_t func)
{
        for (size_t k = 0; k < sizeof(write_objs) / sizeof(write_objs[0]); k++)
                outst_impl_row(x, func, write_objs[k].group, write_objs[k].var,
                               write_objs[k].quals, 0);
}

void outst_func_none_impl(const struct outst_impl_out *x, uint8_t func)
{
        outst_impl_row(x, func, 0, 0, 0, 0);
}

/* The response's g52 (v2 always from DELAY_MEASURE; v1 from a restart of over 65 s). */
void outst_func_delay_impl(const struct outst_impl_out *x, uint8_t func)
{
        outst_impl_row(x, func, 0, 0, 0, 0);
        outst_impl_row(x, APP_FUNC_RESPONSE, 52, 2, 0, OBJ_QBIT(COUNT8));
}

void outst_func_restart_impl(const struct outst_impl_out *x, uint8_t func)
{
        outst_impl_row(x, func, 0, 0, 0, 0);
        outst_impl_row(x, APP_FUNC_RESPONSE, 52, 1, 0, OBJ_QBIT(COUNT8));
        outst_impl_row(x, APP_FUNC_RESPONSE, 52, 2, 0, OBJ_QBIT(COUNT8));
}

static int write_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct write_ctx *wc = ctx;
        struct outst *o = wc->o;

        if (h->group == 80) {
                if (v->index == 7 && !v->v.bit)
                        o->fn.restart = false;
                else
                        o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                return 0;
        }
        uint64_t at = wc->now;
        enum outst_time_kind kind = OUTST_TIME_WRITE;
        if (h->var == 3) {
                if (!o->fn.record_time_valid) {
                        o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                        return 0;
                }
                at = o->fn.record_time;
                kind = OUTST_TIME_LAN;
                o->fn.record_time_valid = false;
        }
        if (o->cb.on_time_sync)
                o->cb.on_time_sync(o->ctx, v->time, at, kind);
        o->fn.need_time = false;
        o->fn.need_time_at = o->cfg.need_time_ms > 0 ? wc->now + o->cfg.need_time_ms : DNP_NEVER;
        return 0;
}

void outst_func_write(struct outst *o, const struct outst_req *rq, uint64_t now)
{
        struct write_ctx wc = { .o = o, .now = now };
        static const struct obj_visitor vis = {
                .on_header = write_on_header,
                .on_value = write_on_value,
        };
        int r = obj_parse(rq->objs, rq->n, OBJ_MODE_DATA, &vis, &wc, NULL);
        if (r < 0)
                o->sol.req_iin |= obj_err_iin(r);
        outst_rsp_null(o, rq->seq, now);
}

void outst_func_delay(struct outst *o, const struct outst_req *rq, uint64_t now)
{
        struct apdu_wr a;
        /* the response leaves within this call: processing delay 0 ms */
        struct dnp_value v = { .index = 0, .v.delay = 0 };
        outst_rsp_init(o, &a, rq->seq, true);
        if (apdu_wr_begin(&a, 52, 2, OBJ_QUAL_COUNT8, 0) == 0)
                (void)apdu_wr_value(&a, &v);
        apdu_wr_end(&a);
        outst_rsp_queue(o, &a, rq->seq, true, true, false, now);
}

void outst_func_record_time(struct outst *o, const struct outst_req *rq, uint64_t now)
{
        o->fn.record_time = now;
        o->fn.record_time_valid = true;
        outst_rsp_null(o, rq->seq, now);
}

void outst_func_restart(struct outst *o, const struct outst_req *rq, uint64_t now)
{
        const bool cold = rq->func == APP_FUNC_COLD_RESTART;
        uint32_t delay = 0;
        struct apdu_wr a;

        if (!outst_func_usable(&o->cb, rq->func) || o->cb.on_restart(o->ctx, cold, &delay) < 0) {
                o->sol.req_iin |= APP_IIN_NO_FUNC_CODE_SUPPORT;
                outst_rsp_null(o, rq->seq, now);
                return;
        }
        outst_rsp_init(o, &a, rq->seq, true);
        struct dnp_value v = { .index = 0 };
        uint8_t var = 2;
        if (delay > 0xffff) {
                var = 1;
                delay = (delay + 999) / 1000;
                if (delay > 0xffff)
                        delay = 0xffff;
        }
        v.v.delay = (uint16_t)delay;
        if (apdu_wr_begin(&a, 52, var, OBJ_QUAL_COUNT8, 0) == 0)
                (void)apdu_wr_value(&a, &v);
        apdu_wr_end(&a);
        outst_rsp_queue(o, &a, rq->seq, true, true, false, now);
}

/*
 * Freeze: the request is validated whole and the counters it names are
 * collected in fn.frz_named; nothing is frozen here.  The application gets
 * them (on_freeze) and completes the request like a deferred control.
 */
struct freeze_ctx {
        struct outst *o;
        uint32_t n;             /* counters named */
};

static void freeze_name(struct freeze_ctx *fc, uint32_t i)
{
        uint8_t bit = (uint8_t)(1u << (i % 8));
        if (!(fc->o->fn.frz_named[i / 8] & bit)) {
                fc->o->fn.frz_named[i / 8] |= bit;
                fc->n++;
        }
}

/* Counters first..last named by the request: an absent one is IIN2.2. */
static void freeze_name_range(struct freeze_ctx *fc, uint32_t first, uint32_t last)
{
        struct outst *o = fc->o;
        for (uint64_t i = first; i <= last; i++) {
                if (!db_present(o->db, DNP_TYPE_CNT, (uint32_t)i)) {
                        o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                        if (i >= db_count(o->db, DNP_TYPE_CNT))
                                break;
                        continue;
                }
                freeze_name(fc, (uint32_t)i);
        }
}

static int freeze_on_header(void *ctx, const struct obj_hdr *h)
{
        struct freeze_ctx *fc = ctx;
        struct outst *o = fc->o;

        if (h->group != dnp_ptype(DNP_TYPE_CNT)->sgroup) {
                o->sol.req_iin |= APP_IIN_OBJECT_UNKNOWN;
                return 1;
        }
        switch (h->qual) {
        case OBJ_QUAL_ALL:
                for (uint32_t i = 0; i < db_count(o->db, DNP_TYPE_CNT); i++)
                        if (db_present(o->db, DNP_TYPE_CNT, i))
                                freeze_name(fc, i);
                break;
        case OBJ_QUAL_RANGE8:
        case OBJ_QUAL_RANGE16:
                freeze_name_range(fc, h->start, h->stop);
                break;
        case OBJ_QUAL_COUNT8:
        case OBJ_QUAL_COUNT16:
                /* "the first N", as a READ takes these qualifiers for static objects */
                if (h->count)
                        freeze_name_range(fc, 0, h->count - 1);
                break;
        default:
                break;          /* index lists: per value */
        }
        return 0;
}

/* Counters (g20v0) by any qualifier; FREEZE_AT_TIME first its g50v2 time and interval. */
void outst_func_freeze_impl(const struct outst_impl_out *x, uint8_t func)
{
        if (!x->cfg->points[DNP_TYPE_CNT])
                return;
        if (func == APP_FUNC_FREEZE_AT_TIME || func == APP_FUNC_FREEZE_AT_TIME_NR)
                outst_impl_row(x, func, 50, 2, OBJ_QBIT(COUNT8), 0);
        outst_impl_row(x, func, dnp_ptype(DNP_TYPE_CNT)->sgroup, 0, OUTST_Q_POINTS, 0);
}

static int freeze_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        (void)h;
        freeze_name_range(ctx, v->index, v->index);
        return 0;
}

/* The g50v2 object (time, interval) that opens a FREEZE_AT_TIME request. */
static int freeze_time_object(struct rd *c, struct outst_freeze *f)
{
        uint8_t g, v, q, n;
        uint64_t t;
        uint32_t interval;
        if (rd_u8(c, &g) < 0 || rd_u8(c, &v) < 0 || rd_u8(c, &q) < 0 || rd_u8(c, &n) < 0)
                return -EBADMSG;
        if (g != 50 || v != 2 || q != OBJ_QUAL_COUNT8 || n != 1)
                return -EPROTO;
        if (rd_le48(c, &t) < 0 || rd_le32(c, &interval) < 0)
                return -EBADMSG;
        f->time = t;
        f->interval_ms = interval;
        return 0;
}

static void freeze_finish(struct outst *o, uint64_t now)
{
        o->fn.frz_pending = false;
        o->fn.frz_deadline = DNP_NEVER;
        if (outst_deferred_end(o, o->fn.frz_func, o->fn.frz_broadcast))
                outst_rsp_null(o, o->fn.frz_seq, now);
}

void outst_func_freeze(struct outst *o, const struct outst_req *rq, uint64_t now)
{
        struct freeze_ctx fc = { .o = o };
        struct outst_freeze f = {
                .func = rq->func,
                .count = db_count(o->db, DNP_TYPE_CNT),
                .named = o->fn.frz_named,
        };
        static const struct obj_visitor vis = {
                .on_header = freeze_on_header,
                .on_value = freeze_on_value,
        };
        bool nr = app_func_no_response(rq->func);
        struct rd c;
        int r = 0;

        rd_init(&c, rq->objs, rq->n);
        memset(o->fn.frz_named, 0, f.count / 8 + 1);
        const bool usable = outst_func_usable(&o->cb, rq->func) != NULL;
        if (!usable) {
                o->sol.req_iin |= APP_IIN_NO_FUNC_CODE_SUPPORT;
        } else {
                if (rq->func == APP_FUNC_FREEZE_AT_TIME || rq->func == APP_FUNC_FREEZE_AT_TIME_NR)
                        r = freeze_time_object(&c, &f);
                if (r == 0)
                        r = obj_parse(c.p, rd_left(&c), OBJ_MODE_HEADERS, &vis, &fc, NULL);
                if (r < 0)
                        o->sol.req_iin |= obj_err_iin(r);
        }
        if (r != 0 || fc.n == 0 || !usable) {
                /* refused whole, or nothing present named: nothing to freeze */
                if (!nr)
                        outst_rsp_null(o, rq->seq, now);
                return;
        }
        f.n = fc.n;
        o->stats.freezes++;
        o->fn.frz_func = rq->func;
        o->fn.frz_seq = rq->seq;
        o->fn.frz_broadcast = o->sol.in_broadcast;
        o->fn.frz_token++;
        o->fn.frz_pending = true;
        o->fn.frz_deadline = now + o->cfg.cmd_timeout_ms;
        o->sol.state = SOL_CMD_PENDING;
        o->cb.on_freeze(o->ctx, o->fn.frz_token, &f);
}

int outst_freeze_complete(struct outst *o, uint32_t token, uint16_t iin, uint64_t now)
{
        if (!o->fn.frz_pending || token != o->fn.frz_token)
                return -ESTALE;
        o->sol.req_iin |= iin & (APP_IIN_NO_FUNC_CODE_SUPPORT | APP_IIN_OBJECT_UNKNOWN |
                                 APP_IIN_PARAMETER_ERROR);
        freeze_finish(o, now);
        outst_unsol_try(o, now);
        dnp_sess_wake(&o->sess);
        return 0;
}


void outst_func_supersede(struct outst *o)
{
        o->fn.frz_pending = false;
}

void outst_func_init(struct outst *o)
{
        o->fn.frz_deadline = DNP_NEVER;
        o->fn.restart = true;
        o->fn.need_time = o->cfg.need_time_ms > 0;
        o->fn.need_time_at = DNP_NEVER;
}

void outst_func_down(struct outst *o)
{
        o->fn.frz_pending = false;
        o->fn.record_time_valid = false;
}

uint64_t outst_func_deadline(const struct outst *o)
{
        uint64_t d = o->fn.frz_pending ? o->fn.frz_deadline : DNP_NEVER;
        if (!o->fn.need_time)
                d = dnp_deadline_min(d, o->fn.need_time_at);
        return d;
}

void outst_func_timer(struct outst *o, uint64_t now)
{
        if (!o->fn.need_time && o->fn.need_time_at != DNP_NEVER && now >= o->fn.need_time_at) {
                o->fn.need_time = true;
                o->fn.need_time_at = DNP_NEVER;
        }
        if (o->fn.frz_pending && now >= o->fn.frz_deadline) {
                o->stats.freeze_timeouts++;
                o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                freeze_finish(o, now);
        }
}
