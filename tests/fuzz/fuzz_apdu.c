/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: APDU header + object parser, then writer round trip.
 *
 * Input: byte 0 bit 0 picks the parse mode (0 HEADERS, 1 DATA), the rest is
 * an APDU.  Whatever parses is re-encoded with the writer (when the mode
 * matches the function code, which is what the writer goes by) and parsed
 * again; headers and values must come back identical, and for canonical
 * input (no packed padding, no empty headers, no NaN) the bytes too.
 * abort() on any mismatch.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/app.h"
#include "dnp3/obj.h"

#define FZ_MAX_INPUT 8192
#define FZ_MAX_HDRS (FZ_MAX_INPUT / 3 + 1)
#define FZ_MAX_VALS (FZ_MAX_INPUT * 8)

struct fz_set {
        struct obj_hdr h[FZ_MAX_HDRS];
        uint32_t first[FZ_MAX_HDRS];    /* first value of each header */
        uint32_t nh;
        struct dnp_value v[FZ_MAX_VALS];
        uint32_t nv;
        uint64_t touch;
        bool nan_f32;
        enum obj_mode mode;
};

static struct fz_set fz_a, fz_b;

static void fz_touch_value(struct fz_set *s, const struct obj_desc *d, const struct dnp_value *v)
{
        uint64_t t = v->index ^ v->flags ^ v->time_kind ^ v->time;
        switch (dnp_type_value((enum dnp_type)d->type)) {
        case DNP_VAL_BIT:
                t += v->v.bit;
                break;
        case DNP_VAL_DBIT:
                if (v->v.dbit > 3)
                        abort();
                t += v->v.dbit;
                break;
        case DNP_VAL_COUNT:
                t += v->v.count;
                break;
        case DNP_VAL_ANALOG:
                t += (uint64_t)(v->v.analog != v->v.analog);
                if (d->fmt == OBJ_FMT_FLAGS_F32 || d->fmt == OBJ_FMT_FLAGS_F32_T48)
                        s->nan_f32 |= isnan(v->v.analog);
                break;
        case DNP_VAL_CROB:
                t += v->v.crob.code + v->v.crob.count + v->v.crob.on_ms + v->v.crob.off_ms +
                     v->v.crob.status;
                break;
        case DNP_VAL_AOCMD:
                t += v->v.ao.status + (uint64_t)(v->v.ao.value != v->v.ao.value);
                if (d->fmt == OBJ_FMT_AO_F32)
                        s->nan_f32 |= isnan(v->v.ao.value);
                break;
        case DNP_VAL_DELAY:
                t += v->v.delay;
                break;
        case DNP_VAL_OCTETS:
                if (v->v.octets.len != d->size)
                        abort();
                for (uint16_t i = 0; i < v->v.octets.len; i++)
                        t += v->v.octets.p[i];
                break;
        default:
                break;
        }
        s->touch += t;
}

static int fz_on_header(void *ctx, const struct obj_hdr *h)
{
        struct fz_set *s = ctx;
        if (s->nh >= FZ_MAX_HDRS || !h->desc || h->desc != obj_lookup(h->group, h->var))
                abort();
        s->first[s->nh] = s->nv;
        s->h[s->nh++] = *h;
        s->touch += h->start + h->stop + h->count + h->qual;
        return 0;
}

static int fz_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct fz_set *s = ctx;
        if (s->nv >= FZ_MAX_VALS || s->nh == 0 || h->desc != s->h[s->nh - 1].desc)
                abort();
        s->v[s->nv++] = *v;
        if (s->mode == OBJ_MODE_HEADERS) {
                /* an index list: just the index */
                if (v->flags || v->time_kind || v->time || v->v.octets.p || v->v.octets.len)
                        abort();
                s->touch += v->index;
                return 0;
        }
        fz_touch_value(s, h->desc, v);
        return 0;
}

static const struct obj_visitor fz_vis = { .on_header = fz_on_header, .on_value = fz_on_value };

static bool fz_same_double(double a, double b)
{
        if (isnan(a) || isnan(b))
                return isnan(a) && isnan(b);
        return memcmp(&a, &b, sizeof(a)) == 0;
}

static bool fz_same_value(enum obj_mode mode, const struct obj_desc *d, const struct dnp_value *a,
                          const struct dnp_value *b)
{
        if (a->index != b->index || a->flags != b->flags || a->time_kind != b->time_kind ||
            a->time != b->time)
                return false;
        if (mode == OBJ_MODE_HEADERS)
                return true;
        switch (dnp_type_value((enum dnp_type)d->type)) {
        case DNP_VAL_BIT:
                return a->v.bit == b->v.bit;
        case DNP_VAL_DBIT:
                return a->v.dbit == b->v.dbit;
        case DNP_VAL_COUNT:
                return a->v.count == b->v.count;
        case DNP_VAL_ANALOG:
                return fz_same_double(a->v.analog, b->v.analog);
        case DNP_VAL_CROB:
                return a->v.crob.code == b->v.crob.code && a->v.crob.count == b->v.crob.count &&
                       a->v.crob.on_ms == b->v.crob.on_ms && a->v.crob.off_ms == b->v.crob.off_ms &&
                       a->v.crob.status == b->v.crob.status;
        case DNP_VAL_AOCMD:
                return fz_same_double(a->v.ao.value, b->v.ao.value) && a->v.ao.status == b->v.ao.status;
        case DNP_VAL_DELAY:
                return a->v.delay == b->v.delay;
        case DNP_VAL_OCTETS:
                return a->v.octets.len == b->v.octets.len &&
                       memcmp(a->v.octets.p, b->v.octets.p, a->v.octets.len) == 0;
        default:
                return true;    /* TIME, CTO: time compared above */
        }
}

static bool fz_carries_objects(enum obj_mode mode, const struct obj_hdr *h)
{
        if (mode == OBJ_MODE_DATA)
                return true;
        return h->qual == OBJ_QUAL_INDEX8 || h->qual == OBJ_QUAL_INDEX16;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t out[2 * FZ_MAX_INPUT];

        if (size < 1 || size > FZ_MAX_INPUT)
                return 0;
        enum obj_mode mode = (data[0] & 1) ? OBJ_MODE_DATA : OBJ_MODE_HEADERS;
        struct rd c;
        struct apdu_hdr h;
        rd_init(&c, data + 1, size - 1);
        if (apdu_parse_hdr(&c, &h) < 0) {
                if (size - 1 >= 4 || (size - 1 >= 2 && !app_func_is_response(data[2])))
                        abort();
                return 0;
        }
        const uint8_t *objs = c.p;
        size_t n = rd_left(&c);

        memset(&fz_a, 0, offsetof(struct fz_set, v));
        fz_a.nv = 0;
        fz_a.touch = 0;
        fz_a.nan_f32 = false;
        fz_a.mode = mode;
        struct obj_parse_err err = { 0 };
        int r = obj_parse(objs, n, mode, &fz_vis, &fz_a, &err);
        if (obj_parse(objs, n, mode, NULL, NULL, NULL) != r)
                abort();        /* validation alone must give the same answer */
        if (r < 0) {
                if (fz_a.nh || fz_a.nv || obj_err_iin(r) == 0 || err.offset >= n ||
                    !obj_err_name(r))
                        abort();
                return 0;
        }
        if (r > 0)
                abort();

        /* Re-encode: the writer takes the mode from the function code. */
        if (mode != obj_mode_for_func(h.func))
                return 0;
        struct apdu_wr a;
        if (apdu_wr_init(&a, out, sizeof(out), &h) < 0)
                abort();
        bool canonical = !fz_a.nan_f32;
        for (uint32_t i = 0; i < fz_a.nh; i++) {
                const struct obj_hdr *oh = &fz_a.h[i];
                uint32_t end = i + 1 < fz_a.nh ? fz_a.first[i + 1] : fz_a.nv;
                if (!fz_carries_objects(mode, oh)) {
                        bool range = oh->qual == OBJ_QUAL_RANGE8 || oh->qual == OBJ_QUAL_RANGE16;
                        if (apdu_wr_header(&a, oh->group, oh->var, oh->qual, oh->start,
                                           range ? oh->stop : oh->count) < 0)
                                abort();
                        continue;
                }
                if (oh->count == 0) {
                        canonical = false;      /* the writer drops empty headers */
                        continue;
                }
                if (oh->desc->fmt == OBJ_FMT_PACKED1 || oh->desc->fmt == OBJ_FMT_PACKED2)
                        canonical = false;      /* padding bits are not kept */
                if (apdu_wr_begin(&a, oh->group, oh->var, oh->qual, oh->start) < 0)
                        abort();
                for (uint32_t k = fz_a.first[i]; k < end; k++) {
                        int w = apdu_wr_value(&a, &fz_a.v[k]);
                        if (w == -EINVAL && oh->desc->fmt == OBJ_FMT_FLAGS_T16)
                                return 0;       /* offset 65535: valid on the wire, refused by the writer */
                        if (w < 0)
                                abort();
                }
                apdu_wr_end(&a);
        }

        /* Parse the re-encoded APDU and compare. */
        rd_init(&c, out, apdu_wr_len(&a));
        struct apdu_hdr h2;
        if (apdu_parse_hdr(&c, &h2) < 0 || memcmp(&h, &h2, sizeof(h)) != 0)
                abort();
        memset(&fz_b, 0, offsetof(struct fz_set, v));
        fz_b.nv = 0;
        fz_b.touch = 0;
        fz_b.mode = mode;
        if (obj_parse(c.p, rd_left(&c), mode, &fz_vis, &fz_b, NULL) != 0)
                abort();
        uint32_t j = 0;
        for (uint32_t i = 0; i < fz_a.nh; i++) {
                const struct obj_hdr *x = &fz_a.h[i];
                if (fz_carries_objects(mode, x) && x->count == 0)
                        continue;
                if (j >= fz_b.nh)
                        abort();
                const struct obj_hdr *y = &fz_b.h[j];
                if (x->group != y->group || x->var != y->var || x->qual != y->qual ||
                    x->start != y->start || x->stop != y->stop || x->count != y->count ||
                    x->desc != y->desc)
                        abort();
                uint32_t xe = i + 1 < fz_a.nh ? fz_a.first[i + 1] : fz_a.nv;
                uint32_t ye = j + 1 < fz_b.nh ? fz_b.first[j + 1] : fz_b.nv;
                if (xe - fz_a.first[i] != ye - fz_b.first[j])
                        abort();
                for (uint32_t k = 0; k < xe - fz_a.first[i]; k++)
                        if (!fz_same_value(mode, x->desc, &fz_a.v[fz_a.first[i] + k], &fz_b.v[fz_b.first[j] + k]))
                                abort();
                j++;
        }
        if (j != fz_b.nh)
                abort();
        if (canonical && (apdu_wr_len(&a) != size - 1 || memcmp(out, data + 1, size - 1) != 0))
                abort();
        return 0;
}
