/* SPDX-License-Identifier: MIT */
/*
 * APDU writer: object headers and object instances up to a fragment size
 * limit.  An object header is written together with its first object, so a
 * header never stands in the fragment without objects, and every object is
 * written whole or not at all: after any -ENOBUFS the bytes written so far
 * form a valid fragment.
 */
#include "obj.h"

#include <errno.h>
#include <string.h>
#include <math.h>

#include "dnptime.h"

static enum obj_mode apdu_wr_mode(const struct apdu_wr *a)
{
        /* the function code this writer put at offset 1 of its own buffer */
        if (a->w.len < APP_REQ_HDR_LEN)
                return OBJ_MODE_HEADERS;
        return obj_mode_for_func(a->w.p[1]);
}

int apdu_wr_init(struct apdu_wr *a, uint8_t *buf, size_t limit, const struct apdu_hdr *h)
{
        *a = (struct apdu_wr){ 0 };
        wr_init(&a->w, buf, limit);
        return apdu_write_hdr(&a->w, h);
}

void apdu_wr_set_hdr(struct apdu_wr *a, const struct apdu_hdr *h)
{
        if (a->w.len < APP_REQ_HDR_LEN)
                return;
        bool was_rsp = app_func_is_response(a->w.p[1]);
        a->w.p[0] = apdu_ctrl_byte(h);
        if (was_rsp != app_func_is_response(h->func))
                return;         /* the header length cannot change under written objects */
        a->w.p[1] = h->func;
        if (was_rsp && a->w.len >= APP_RSP_HDR_LEN)
                wr_patch_le16(&a->w, 2, h->iin);
}

/* Bytes of the range/count field after group, var, qualifier. */
static size_t obj_qual_field_len(uint8_t q)
{
        return obj_qual_width(q) * (obj_qual_is_range(q) ? 2 : 1);
}

/* Largest index (range, index prefix) or count the qualifier can express. */
static uint32_t obj_qual_max(uint8_t q)
{
        return obj_qual_width(q) == 1 ? 0xff : 0xffff;
}

int apdu_wr_end(struct apdu_wr *a)
{
        /* the header went out with its first object: nothing to remove */
        a->desc = NULL;
        a->count = 0;
        return 0;
}

int apdu_wr_header(struct apdu_wr *a, uint8_t group, uint8_t var, uint8_t qual, uint32_t start,
                   uint32_t stop_or_count)
{
        apdu_wr_end(a);
        if (!obj_lookup(group, var))
                return -ENOENT;
        if (apdu_wr_mode(a) != OBJ_MODE_HEADERS)
                return -EPROTO;
        switch (qual) {
        case OBJ_QUAL_RANGE8:
        case OBJ_QUAL_RANGE16:
                if (stop_or_count < start || stop_or_count > obj_qual_max(qual))
                        return -ERANGE;
                break;
        case OBJ_QUAL_COUNT8:
        case OBJ_QUAL_COUNT16:
                if (stop_or_count > obj_qual_max(qual))
                        return -ERANGE;
                break;
        case OBJ_QUAL_ALL:
                break;
        default:
                return -EPROTO; /* index lists go through apdu_wr_begin/value */
        }

        size_t len = 3 + obj_qual_field_len(qual);
        uint8_t *o;
        if (wr_reserve(&a->w, len, &o) < 0)
                return -ENOBUFS;
        struct wr w;
        wr_init(&w, o, len);
        (void)wr_u8(&w, group);
        (void)wr_u8(&w, var);
        (void)wr_u8(&w, qual);
        /* the range's start, then its stop or the count (none for ALL) */
        const size_t fw = obj_qual_width(qual);
        if (obj_qual_is_range(qual))
                (void)wr_le(&w, fw, start);
        (void)wr_le(&w, fw, stop_or_count);
        return 0;
}

int apdu_wr_begin(struct apdu_wr *a, uint8_t group, uint8_t var, uint8_t qual, uint32_t start)
{
        apdu_wr_end(a);
        const struct obj_desc *d = obj_lookup(group, var);
        if (!d)
                return -ENOENT;
        bool data = apdu_wr_mode(a) == OBJ_MODE_DATA;
        if (data && d->fmt == OBJ_FMT_NONE)
                return d->type == DNP_TYPE_OCTETS ? -EINVAL : -ENOENT;
        switch (qual) {
        case OBJ_QUAL_RANGE8:
        case OBJ_QUAL_RANGE16:
                if (start > obj_qual_max(qual))
                        return -ERANGE;
                break;
        case OBJ_QUAL_COUNT8:
        case OBJ_QUAL_COUNT16:
        case OBJ_QUAL_INDEX8:
        case OBJ_QUAL_INDEX16:
                if (data && (d->fmt == OBJ_FMT_PACKED1 || d->fmt == OBJ_FMT_PACKED2))
                        return -EPROTO;
                break;
        default:
                return -EPROTO;
        }
        a->desc = d;
        a->qual = qual;
        a->start = start;
        a->count = 0;
        a->hdr_off = a->w.len;
        return 0;
}

int apdu_wr_cto(struct apdu_wr *a, uint64_t time_ms, bool synchronized)
{
        apdu_wr_end(a);
        if (apdu_wr_mode(a) != OBJ_MODE_DATA)
                return -EPROTO;
        if (time_ms > DNPTIME_MAX)
                return -ERANGE;
        uint8_t *o;
        if (wr_reserve(&a->w, 10, &o) < 0)
                return -ENOBUFS;
        struct wr w;
        wr_init(&w, o, 10);
        (void)wr_u8(&w, 51);
        (void)wr_u8(&w, synchronized ? 1 : 2);
        (void)wr_u8(&w, OBJ_QUAL_COUNT8);
        (void)wr_u8(&w, 1);
        (void)wr_le48(&w, time_ms);
        a->cto = time_ms;
        a->cto_valid = true;
        return 0;
}

int apdu_wr_begin_cto(struct apdu_wr *a, uint8_t group, uint8_t var, uint8_t qual,
                      uint32_t start, const struct dnp_value *v, bool synchronized)
{
        const struct obj_desc *d = obj_lookup(group, var);
        if (!d)
                return -ENOENT;
        if (d->fmt != OBJ_FMT_FLAGS_T16)
                return -EINVAL;
        apdu_wr_end(a);
        const size_t mark = a->w.len;
        const uint64_t cto = a->cto;
        const bool cto_valid = a->cto_valid;
        int r = apdu_wr_cto(a, v->time, synchronized);
        if (r == 0)
                r = apdu_wr_begin(a, group, var, qual, start);
        if (r == 0)
                r = apdu_wr_value(a, v);
        if (r < 0) {
                /* all or nothing: the fragment is as it was */
                a->w.len = mark;
                a->desc = NULL;
                a->cto = cto;
                a->cto_valid = cto_valid;
        }
        return r;
}

/*
 * Round to nearest, halves away from zero, and clamp into [lo, hi]; *over is
 * set when the value (or NaN) does not fit.  No libm needed.
 */
static inline int64_t obj_round_clamp(double x, int64_t lo, int64_t hi, bool *over)
{
        if (isnan(x)) {
                *over = true;
                return 0;
        }
        if (x >= (double)hi + 0.5) {
                *over = true;
                return hi;
        }
        if (x <= (double)lo - 0.5) {
                *over = true;
                return lo;
        }
        int64_t t = (int64_t)x;
        double frac = x - (double)t;
        if (frac >= 0.5)
                t++;
        else if (frac <= -0.5)
                t--;
        return t;
}

static inline uint32_t obj_i32(double x, uint8_t *flags)
{
        bool over = false;
        int64_t t = obj_round_clamp(x, INT32_MIN, INT32_MAX, &over);
        if (over && flags)
                *flags |= DNP_FLAG_OVER_RANGE;
        return (uint32_t)(int32_t)t;
}

static inline uint16_t obj_i16(double x, uint8_t *flags)
{
        bool over = false;
        int64_t t = obj_round_clamp(x, INT16_MIN, INT16_MAX, &over);
        if (over && flags)
                *flags |= DNP_FLAG_OVER_RANGE;
        return (uint16_t)(int16_t)t;
}

/* Check what can make v unencodable before anything is written. */
static int obj_check_value(const struct apdu_wr *a, const struct dnp_value *v)
{
        const struct obj_desc *d = a->desc;

        /* double-bit states: every format of g3/g4 but variation 0 carries one */
        if (d->type == DNP_TYPE_DBI && d->fmt != OBJ_FMT_NONE &&
            v->v.dbit > DNP_DBIT_INDETERMINATE)
                return -EINVAL;
        if (d->fmt == OBJ_FMT_OCTETS && (!v->v.octets.p || v->v.octets.len != d->size))
                return -EINVAL;
        switch (obj_fmt_time_kind(d->fmt)) {
        case DNP_TIME_ABS:
                return v->time > DNPTIME_MAX ? -ERANGE : 0;
        case DNP_TIME_REL:
                if (!a->cto_valid || v->time < a->cto || v->time - a->cto > UINT16_MAX)
                        return -EINVAL;
                return 0;
        default:
                return 0;
        }
}

/*
 * Encode one object of a fixed layout (see OBJ_FMT_LIST) into w (room
 * already checked).  Called with constant fl, val, width and tm from one
 * switch case each, so every case compiles to its own straight-line writer.
 */
static inline __attribute__((always_inline)) void
obj_wr_fixed(struct apdu_wr *a, struct wr *w, enum obj_fl fl, enum obj_val val, size_t width,
             enum dnp_time_kind tm, const struct dnp_value *v)
{
        const uint8_t type = a->desc->type;
        uint8_t fl8 = v->flags;
        uint64_t raw = 0;

        if (val == OBJ_VAL_STATE) {
                fl8 = dnp_value_state_flags((enum dnp_type)type, v);
        } else if (val == OBJ_VAL_UINT) {
                raw = v->v.count;
        } else if (val == OBJ_VAL_INT || val == OBJ_VAL_FLOAT) {
                double x = fl == OBJ_FL_POST ? v->v.ao.value : v->v.analog;
                /* an integer that does not fit is clamped and flagged where there are flags */
                uint8_t *over = fl == OBJ_FL_PRE ? &fl8 : NULL;
                float f = (float)x;
                uint32_t u;
                if (val == OBJ_VAL_INT) {
                        raw = width == 4 ? obj_i32(x, over) : obj_i16(x, over);
                } else if (width == 4) {
                        memcpy(&u, &f, sizeof(u));
                        raw = u;
                } else {
                        memcpy(&raw, &x, sizeof(raw));
                }
        }

        if (fl == OBJ_FL_PRE)
                (void)wr_u8(w, fl8);
        if (width)
                (void)wr_le(w, width, raw);
        if (fl == OBJ_FL_POST)
                (void)wr_u8(w, v->v.ao.status);
        if (tm == DNP_TIME_ABS)
                (void)wr_le48(w, v->time);
        if (tm == DNP_TIME_REL)
                (void)wr_le16(w, (uint16_t)(v->time - a->cto));
        if (val == OBJ_VAL_NONE && tm == DNP_TIME_ABS && type == DNP_TYPE_CTO) {
                a->cto = v->time;
                a->cto_valid = true;
        }
}

/* Encode one fixed-size object of a->desc into w (room already checked). */
static void obj_encode(struct apdu_wr *a, struct wr *w, const struct dnp_value *v)
{
        switch ((enum obj_fmt)a->desc->fmt) {
        case OBJ_FMT_NONE:
        case OBJ_FMT_PACKED1:
        case OBJ_FMT_PACKED2:
        case OBJ_FMT_MAX:
                return;
#define S(name)
#define F(name, fl, val, width, tm)                                                             \
        case OBJ_FMT_##name:                                                                    \
                obj_wr_fixed(a, w, OBJ_FL_##fl, OBJ_VAL_##val, width, DNP_TIME_##tm, v);        \
                return;
        OBJ_FMT_LIST(S, F)
#undef S
#undef F
        case OBJ_FMT_CROB:
                (void)wr_u8(w, v->v.crob.code);
                (void)wr_u8(w, v->v.crob.count);
                (void)wr_le32(w, v->v.crob.on_ms);
                (void)wr_le32(w, v->v.crob.off_ms);
                (void)wr_u8(w, v->v.crob.status);
                return;
        case OBJ_FMT_DELAY16:
                (void)wr_le16(w, v->v.delay);
                return;
        case OBJ_FMT_OCTETS:
                (void)wr_bytes(w, v->v.octets.p, v->v.octets.len);
                return;
        }
}

int apdu_wr_value(struct apdu_wr *a, const struct dnp_value *v)
{
        const struct obj_desc *d = a->desc;
        if (!d)
                return -EINVAL;
        const uint8_t q = a->qual;
        const uint32_t max = obj_qual_max(q);
        const size_t fw = obj_qual_width(q);
        const bool data = apdu_wr_mode(a) == OBJ_MODE_DATA;

        /* where the object goes in the header */
        size_t pfx = 0;
        if (obj_qual_is_range(q)) {
                uint64_t want = (uint64_t)a->start + a->count;
                if (v->index != want)
                        return -EINVAL;
                if (want > max)
                        return -ERANGE;
        } else {
                if (a->count >= max)
                        return -ERANGE;
                if (q == OBJ_QUAL_INDEX8 || q == OBJ_QUAL_INDEX16) {
                        if (v->index > max)
                                return -ERANGE;
                        pfx = fw;
                }
        }

        size_t need = pfx;
        bool packed = false;
        if (data) {
                int r = obj_check_value(a, v);
                if (r < 0)
                        return r;
                switch (d->fmt) {
                case OBJ_FMT_PACKED1:
                        packed = true;
                        need += (a->count & 7) == 0;
                        break;
                case OBJ_FMT_PACKED2:
                        packed = true;
                        need += (a->count & 3) == 0;
                        break;
                default:
                        need += d->size;
                        break;
                }
        }
        size_t hlen = a->count ? 0 : 3 + obj_qual_field_len(q);
        if (need + hlen > wr_left(&a->w))
                return -ENOBUFS;

        /*
         * From here on everything fits.  Write through a local cursor over
         * the reserved bytes: stores through uint8_t * cannot then alias the
         * writer's own length, which keeps the per-object path short.
         */
        uint8_t *o;
        struct wr lw;
        (void)wr_reserve(&a->w, need + hlen, &o);
        wr_init(&lw, o, need + hlen);
        if (hlen) {
                (void)wr_u8(&lw, d->group);
                (void)wr_u8(&lw, d->var);
                (void)wr_u8(&lw, q);
                /* start and stop = start, or count 0: patched below */
                if (obj_qual_is_range(q))
                        (void)wr_le(&lw, fw, a->start);
                (void)wr_le(&lw, fw, obj_qual_is_range(q) ? a->start : 0);
        }
        (void)wr_le(&lw, pfx, v->index);
        if (data) {
                if (packed) {
                        if (need)
                                (void)wr_u8(&lw, 0);
                        uint8_t *last = &a->w.p[a->w.len - 1];
                        if (d->fmt == OBJ_FMT_PACKED1)
                                *last = (uint8_t)(*last | (v->v.bit ? 1u : 0u) << (a->count & 7));
                        else
                                *last = (uint8_t)(*last | (unsigned)(v->v.dbit & 3) << (2 * (a->count & 3)));
                } else {
                        obj_encode(a, &lw, v);
                }
        }

        /* Patch the range stop or the count. */
        a->count++;
        size_t f = a->hdr_off + 3;
        if (obj_qual_is_range(q))
                wr_patch_le(&a->w, f + fw, fw, a->start + a->count - 1);
        else
                wr_patch_le(&a->w, f, fw, a->count);
        return 0;
}
