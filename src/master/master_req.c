/* SPDX-License-Identifier: MIT */
/*
 * The other requests a master sends (class reads, unsolicited on/off,
 * restart-bit clear, time sync, freezes, confirms), built with the codec's
 * APDU writer.  Pure functions; see master_req.h.
 */
#include "master/master_req.h"

#include <errno.h>

#include "dnp3/app.h"
#include "dnp3/dnptime.h"
#include "dnp3/obj.h"
#include "dnp3/ptype.h"

static int req_start(struct apdu_wr *a, uint8_t *buf, size_t cap, uint8_t seq, uint8_t func,
                     bool uns)
{
        const struct apdu_hdr h = {
                .fir = true,
                .fin = true,
                .uns = uns,
                .seq = (uint8_t)(seq & APP_CTRL_SEQ),
                .func = func,
        };
        return apdu_wr_init(a, buf, cap, &h);
}

/* g60 variation of each class: class 0 = v1, class n = v(n + 1); in the order 1, 2, 3, 0. */
static int req_class_headers(struct apdu_wr *a, unsigned mask)
{
        static const uint8_t order[] = { 1, 2, 3, 0 };
        for (size_t i = 0; i < sizeof(order); i++) {
                uint8_t cls = order[i];
                if (!(mask & (1u << cls)))
                        continue;
                int r = apdu_wr_header(a, 60, (uint8_t)(cls + 1), OBJ_QUAL_ALL, 0, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One object header with one object. */
static int req_one_object(struct apdu_wr *a, uint8_t group, uint8_t var, uint8_t qual,
                          uint32_t start, const struct dnp_value *v)
{
        int r = apdu_wr_begin(a, group, var, qual, start);
        if (r < 0)
                return r;
        r = apdu_wr_value(a, v);
        if (r < 0)
                return r;
        return apdu_wr_end(a);
}

/* The requests built here: a function, then class headers or one object, or nothing. */
struct req_spec {
        uint8_t func;
        bool uns;
        unsigned classes;               /* g60 headers of these classes (MASTER_CLASS*) */
        const struct dnp_value *v;      /* one object of group/var, qualifier qual */
        uint8_t group, var, qual;
};

static int req_build(uint8_t *buf, size_t cap, uint8_t seq, const struct req_spec *s,
                     size_t *ret_len)
{
        struct apdu_wr a;
        int r = req_start(&a, buf, cap, seq, s->func, s->uns);
        if (r == 0 && s->classes)
                r = req_class_headers(&a, s->classes);
        if (r == 0 && s->v)
                r = req_one_object(&a, s->group, s->var, s->qual, s->v->index, s->v);
        if (r < 0)
                return r;
        *ret_len = apdu_wr_len(&a);
        return 0;
}

int master_req_read_classes(uint8_t *buf, size_t cap, uint8_t seq, unsigned mask,
                            size_t *ret_len)
{
        const struct req_spec s = { .func = APP_FUNC_READ, .classes = mask & MASTER_CLASS_ALL };
        return req_build(buf, cap, seq, &s, ret_len);
}

int master_req_unsol(uint8_t *buf, size_t cap, uint8_t seq, bool enable, unsigned mask,
                     size_t *ret_len)
{
        const struct req_spec s = {
                .func = enable ? APP_FUNC_ENABLE_UNSOLICITED : APP_FUNC_DISABLE_UNSOLICITED,
                .classes = mask & MASTER_CLASS_EVENTS,
        };
        return req_build(buf, cap, seq, &s, ret_len);
}

int master_req_clear_restart(uint8_t *buf, size_t cap, uint8_t seq, size_t *ret_len)
{
        const struct dnp_value v = { .index = 7, .flags = DNP_FLAG_ONLINE, .v.bit = false };
        const struct req_spec s = {
                .func = APP_FUNC_WRITE, .v = &v, .group = 80, .var = 1, .qual = OBJ_QUAL_RANGE8,
        };
        return req_build(buf, cap, seq, &s, ret_len);
}

int master_req_func(uint8_t *buf, size_t cap, uint8_t seq, uint8_t func, size_t *ret_len)
{
        const struct req_spec s = { .func = func };
        return req_build(buf, cap, seq, &s, ret_len);
}

int master_req_write_time(uint8_t *buf, size_t cap, uint8_t seq, uint8_t var, uint64_t time_ms,
                          size_t *ret_len)
{
        if (var != 1 && var != 3)
                return -EINVAL;
        const struct dnp_value v = {
                .index = 0,
                .time_kind = DNP_TIME_ABS,
                .time = time_ms & DNPTIME_MAX,
        };
        const struct req_spec s = {
                .func = APP_FUNC_WRITE, .v = &v, .group = 50, .var = var, .qual = OBJ_QUAL_COUNT8,
        };
        return req_build(buf, cap, seq, &s, ret_len);
}

bool master_req_is_freeze(uint8_t func)
{
        return func >= APP_FUNC_IMMED_FREEZE && func <= APP_FUNC_FREEZE_AT_TIME_NR;
}

bool master_req_freeze_nr(uint8_t func)
{
        return master_req_is_freeze(func) && app_func_no_response(func);
}

int master_req_freeze_check(const struct master_freeze *f)
{
        if (!master_req_is_freeze(f->func) || f->n == 0 || f->n > MASTER_FREEZE_MAX_RANGES)
                return -EINVAL;
        for (size_t i = 0; i < f->n; i++)
                if (f->r[i].stop < f->r[i].start)
                        return -EINVAL;
        return 0;
}

int master_req_freeze(uint8_t *buf, size_t cap, uint8_t seq, const struct master_freeze *f,
                      size_t *ret_len)
{
        int r = master_req_freeze_check(f);
        if (r < 0)
                return r;
        /* the counters' static group, all variations (g20v0) */
        const struct dnp_ptype *cnt = dnp_ptype(DNP_TYPE_CNT);
        struct apdu_wr a;
        r = req_start(&a, buf, cap, seq, f->func, false);
        if (r < 0)
                return r;
        if (f->func == APP_FUNC_FREEZE_AT_TIME || f->func == APP_FUNC_FREEZE_AT_TIME_NR) {
                /* g50v2 is no catalog object (it only opens this request): written as is */
                if (wr_u8(&a.w, 50) < 0 || wr_u8(&a.w, 2) < 0 || wr_u8(&a.w, OBJ_QUAL_COUNT8) < 0 ||
                    wr_u8(&a.w, 1) < 0 || wr_le48(&a.w, f->time & DNPTIME_MAX) < 0 ||
                    wr_le32(&a.w, f->interval_ms) < 0)
                        return -ENOBUFS;
        }
        for (size_t i = 0; i < f->n; i++) {
                uint8_t q = f->r[i].stop > 0xff ? OBJ_QUAL_RANGE16 : OBJ_QUAL_RANGE8;
                r = apdu_wr_header(&a, cnt->sgroup, 0, q, f->r[i].start, f->r[i].stop);
                if (r < 0)
                        return r;
        }
        *ret_len = apdu_wr_len(&a);
        return 0;
}

int master_req_confirm(uint8_t *buf, size_t cap, uint8_t seq, bool uns, size_t *ret_len)
{
        const struct req_spec s = { .func = APP_FUNC_CONFIRM, .uns = uns };
        return req_build(buf, cap, seq, &s, ret_len);
}

uint64_t master_req_tsync_delay(uint64_t round_trip_ms, uint64_t processing_ms)
{
        if (processing_ms >= round_trip_ms)
                return 0;
        return (round_trip_ms - processing_ms) / 2;
}
