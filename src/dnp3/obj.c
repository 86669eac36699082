/* SPDX-License-Identifier: MIT */
/*
 * DNP3 object catalog and the validate-then-visit object parser.
 *
 * Pass 1 walks the object headers only: every header's object data size is
 * computed from (count, prefix, object size) in 64-bit arithmetic and split
 * off as a sub-cursor, so validation costs O(headers).  Pass 2 walks the same
 * headers again and decodes the objects with one tight loop per format.
 */
#include "obj.h"
#include "dnptime.h"
#include "names.h"

#include <errno.h>
#include <string.h>

/* X(group, var, type, fmt, size, event, name) */
#define OBJ_CATALOG(X)                                                                          \
        X(1, 0, BI, NONE, 0, false, "Binary Input - Any Variation")                             \
        X(1, 1, BI, PACKED1, 0, false, "Binary Input - Packed Format")                          \
        X(1, 2, BI, FLAGS, 1, false, "Binary Input - With Flags")                               \
        X(2, 0, BI, NONE, 0, true, "Binary Input Event - Any Variation")                        \
        X(2, 1, BI, FLAGS, 1, true, "Binary Input Event - Without Time")                        \
        X(2, 2, BI, FLAGS_T48, 7, true, "Binary Input Event - With Absolute Time")              \
        X(2, 3, BI, FLAGS_T16, 3, true, "Binary Input Event - With Relative Time")              \
        X(3, 0, DBI, NONE, 0, false, "Double-bit Binary Input - Any Variation")                 \
        X(3, 1, DBI, PACKED2, 0, false, "Double-bit Binary Input - Packed Format")              \
        X(3, 2, DBI, FLAGS, 1, false, "Double-bit Binary Input - With Flags")                   \
        X(4, 0, DBI, NONE, 0, true, "Double-bit Binary Input Event - Any Variation")            \
        X(4, 1, DBI, FLAGS, 1, true, "Double-bit Binary Input Event - Without Time")            \
        X(4, 2, DBI, FLAGS_T48, 7, true, "Double-bit Binary Input Event - With Absolute Time")  \
        X(4, 3, DBI, FLAGS_T16, 3, true, "Double-bit Binary Input Event - With Relative Time")  \
        X(10, 0, BO, NONE, 0, false, "Binary Output - Any Variation")                           \
        X(10, 1, BO, PACKED1, 0, false, "Binary Output - Packed Format")                        \
        X(10, 2, BO, FLAGS, 1, false, "Binary Output - Output Status With Flags")               \
        X(11, 0, BO, NONE, 0, true, "Binary Output Event - Any Variation")                      \
        X(11, 1, BO, FLAGS, 1, true, "Binary Output Event - Status Without Time")               \
        X(11, 2, BO, FLAGS_T48, 7, true, "Binary Output Event - Status With Time")              \
        X(12, 1, CROB, CROB, 11, false, "Binary Command - Control Relay Output Block")          \
        X(20, 0, CNT, NONE, 0, false, "Counter - Any Variation")                                \
        X(20, 1, CNT, FLAGS_U32, 5, false, "Counter - 32-bit With Flag")                        \
        X(20, 2, CNT, FLAGS_U16, 3, false, "Counter - 16-bit With Flag")                        \
        X(20, 5, CNT, U32, 4, false, "Counter - 32-bit Without Flag")                           \
        X(20, 6, CNT, U16, 2, false, "Counter - 16-bit Without Flag")                           \
        X(21, 0, FCNT, NONE, 0, false, "Frozen Counter - Any Variation")                        \
        X(21, 1, FCNT, FLAGS_U32, 5, false, "Frozen Counter - 32-bit With Flag")                \
        X(21, 2, FCNT, FLAGS_U16, 3, false, "Frozen Counter - 16-bit With Flag")                \
        X(21, 5, FCNT, FLAGS_U32_T48, 11, false, "Frozen Counter - 32-bit With Flag and Time")  \
        X(21, 6, FCNT, FLAGS_U16_T48, 9, false, "Frozen Counter - 16-bit With Flag and Time")   \
        X(21, 9, FCNT, U32, 4, false, "Frozen Counter - 32-bit Without Flag")                   \
        X(21, 10, FCNT, U16, 2, false, "Frozen Counter - 16-bit Without Flag")                  \
        X(22, 0, CNT, NONE, 0, true, "Counter Event - Any Variation")                           \
        X(22, 1, CNT, FLAGS_U32, 5, true, "Counter Event - 32-bit With Flag")                   \
        X(22, 2, CNT, FLAGS_U16, 3, true, "Counter Event - 16-bit With Flag")                   \
        X(22, 5, CNT, FLAGS_U32_T48, 11, true, "Counter Event - 32-bit With Flag and Time")     \
        X(22, 6, CNT, FLAGS_U16_T48, 9, true, "Counter Event - 16-bit With Flag and Time")      \
        X(23, 0, FCNT, NONE, 0, true, "Frozen Counter Event - Any Variation")                   \
        X(23, 1, FCNT, FLAGS_U32, 5, true, "Frozen Counter Event - 32-bit With Flag")           \
        X(23, 2, FCNT, FLAGS_U16, 3, true, "Frozen Counter Event - 16-bit With Flag")           \
        X(23, 5, FCNT, FLAGS_U32_T48, 11, true, "Frozen Counter Event - 32-bit With Flag and Time") \
        X(23, 6, FCNT, FLAGS_U16_T48, 9, true, "Frozen Counter Event - 16-bit With Flag and Time") \
        X(30, 0, AI, NONE, 0, false, "Analog Input - Any Variation")                            \
        X(30, 1, AI, FLAGS_I32, 5, false, "Analog Input - 32-bit With Flag")                    \
        X(30, 2, AI, FLAGS_I16, 3, false, "Analog Input - 16-bit With Flag")                    \
        X(30, 3, AI, I32, 4, false, "Analog Input - 32-bit Without Flag")                       \
        X(30, 4, AI, I16, 2, false, "Analog Input - 16-bit Without Flag")                       \
        X(30, 5, AI, FLAGS_F32, 5, false, "Analog Input - Single-precision With Flag")          \
        X(30, 6, AI, FLAGS_F64, 9, false, "Analog Input - Double-precision With Flag")          \
        X(32, 0, AI, NONE, 0, true, "Analog Input Event - Any Variation")                       \
        X(32, 1, AI, FLAGS_I32, 5, true, "Analog Input Event - 32-bit")                         \
        X(32, 2, AI, FLAGS_I16, 3, true, "Analog Input Event - 16-bit")                         \
        X(32, 3, AI, FLAGS_I32_T48, 11, true, "Analog Input Event - 32-bit With Time")          \
        X(32, 4, AI, FLAGS_I16_T48, 9, true, "Analog Input Event - 16-bit With Time")           \
        X(32, 5, AI, FLAGS_F32, 5, true, "Analog Input Event - Single-precision")               \
        X(32, 6, AI, FLAGS_F64, 9, true, "Analog Input Event - Double-precision")               \
        X(32, 7, AI, FLAGS_F32_T48, 11, true, "Analog Input Event - Single-precision With Time") \
        X(32, 8, AI, FLAGS_F64_T48, 15, true, "Analog Input Event - Double-precision With Time") \
        X(40, 0, AO, NONE, 0, false, "Analog Output Status - Any Variation")                    \
        X(40, 1, AO, FLAGS_I32, 5, false, "Analog Output Status - 32-bit With Flag")            \
        X(40, 2, AO, FLAGS_I16, 3, false, "Analog Output Status - 16-bit With Flag")            \
        X(40, 3, AO, FLAGS_F32, 5, false, "Analog Output Status - Single-precision With Flag")  \
        X(40, 4, AO, FLAGS_F64, 9, false, "Analog Output Status - Double-precision With Flag")  \
        X(41, 1, AOCMD, AO_I32, 5, false, "Analog Output - 32-bit")                             \
        X(41, 2, AOCMD, AO_I16, 3, false, "Analog Output - 16-bit")                             \
        X(41, 3, AOCMD, AO_F32, 5, false, "Analog Output - Single-precision")                   \
        X(41, 4, AOCMD, AO_F64, 9, false, "Analog Output - Double-precision")                   \
        X(42, 0, AO, NONE, 0, true, "Analog Output Event - Any Variation")                      \
        X(42, 1, AO, FLAGS_I32, 5, true, "Analog Output Event - 32-bit")                        \
        X(42, 2, AO, FLAGS_I16, 3, true, "Analog Output Event - 16-bit")                        \
        X(42, 3, AO, FLAGS_I32_T48, 11, true, "Analog Output Event - 32-bit With Time")         \
        X(42, 4, AO, FLAGS_I16_T48, 9, true, "Analog Output Event - 16-bit With Time")          \
        X(42, 5, AO, FLAGS_F32, 5, true, "Analog Output Event - Single-precision")              \
        X(42, 6, AO, FLAGS_F64, 9, true, "Analog Output Event - Double-precision")              \
        X(42, 7, AO, FLAGS_F32_T48, 11, true, "Analog Output Event - Single-precision With Time") \
        X(42, 8, AO, FLAGS_F64_T48, 15, true, "Analog Output Event - Double-precision With Time") \
        X(50, 1, TIME, T48, 6, false, "Time and Date - Absolute Time")                          \
        X(50, 3, TIME, T48, 6, false, "Time and Date - Absolute Time at Last Recorded Time")    \
        X(51, 1, CTO, T48, 6, false, "Time and Date CTO - Synchronized")                        \
        X(51, 2, CTO, T48, 6, false, "Time and Date CTO - Unsynchronized")                      \
        X(52, 1, DELAY, DELAY16, 2, false, "Time Delay - Coarse")                               \
        X(52, 2, DELAY, DELAY16, 2, false, "Time Delay - Fine")                                 \
        X(60, 1, CLASS, NONE, 0, false, "Class Objects - Class 0 Data")                         \
        X(60, 2, CLASS, NONE, 0, false, "Class Objects - Class 1 Data")                         \
        X(60, 3, CLASS, NONE, 0, false, "Class Objects - Class 2 Data")                         \
        X(60, 4, CLASS, NONE, 0, false, "Class Objects - Class 3 Data")                         \
        X(80, 1, IIN, PACKED1, 0, false, "Internal Indications - Packed Format")

enum {
#define X(g, v, t, f, s, ev, nm) OBJ_ID_G##g##V##v,
        OBJ_CATALOG(X)
#undef X
        OBJ_ID_G110,                    /* 256 entries: g110v0..g110v255 */
        OBJ_ID_G111 = OBJ_ID_G110 + 256,
        OBJ_ID_COUNT = OBJ_ID_G111 + 256,
};

/* Octet strings: variation = length; variation 0 is the request-only "any length". */
#define OBJ_OCT(base, g, ev, nm, v)                                                             \
        [(base) + (v)] = { .group = g,                                                          \
                           .var = (v),                                                          \
                           .type = DNP_TYPE_OCTETS,                                             \
                           .fmt = (v) ? OBJ_FMT_OCTETS : OBJ_FMT_NONE,                          \
                           .size = (v),                                                         \
                           .event = ev,                                                         \
                           .name = nm },
#define OBJ_R4(M, b, g, e, n, v) M(b, g, e, n, (v)) M(b, g, e, n, (v) + 1) M(b, g, e, n, (v) + 2) \
        M(b, g, e, n, (v) + 3)
#define OBJ_R16(M, b, g, e, n, v) OBJ_R4(M, b, g, e, n, (v)) OBJ_R4(M, b, g, e, n, (v) + 4)   \
        OBJ_R4(M, b, g, e, n, (v) + 8) OBJ_R4(M, b, g, e, n, (v) + 12)
#define OBJ_R64(M, b, g, e, n, v) OBJ_R16(M, b, g, e, n, (v)) OBJ_R16(M, b, g, e, n, (v) + 16) \
        OBJ_R16(M, b, g, e, n, (v) + 32) OBJ_R16(M, b, g, e, n, (v) + 48)
#define OBJ_R256(M, b, g, e, n) OBJ_R64(M, b, g, e, n, 0) OBJ_R64(M, b, g, e, n, 64)          \
        OBJ_R64(M, b, g, e, n, 128) OBJ_R64(M, b, g, e, n, 192)

static const struct obj_desc obj_catalog[OBJ_ID_COUNT] = {
#define X(g, v, t, f, s, ev, nm)                                                                \
        [OBJ_ID_G##g##V##v] = { .group = g,                                                     \
                                .var = v,                                                       \
                                .type = DNP_TYPE_##t,                                           \
                                .fmt = OBJ_FMT_##f,                                             \
                                .size = s,                                                      \
                                .event = ev,                                                    \
                                .name = nm },
        OBJ_CATALOG(X)
#undef X
        OBJ_R256(OBJ_OCT, OBJ_ID_G110, 110, false, "Octet String")
        OBJ_R256(OBJ_OCT, OBJ_ID_G111, 111, true, "Octet String Event")
};

/* (group, var) -> catalog id + 1 for the groups below 110; 0 = not in the catalog. */
#define OBJ_LUT_GROUPS 81
#define OBJ_LUT_VARS 11
static const uint8_t obj_lut[OBJ_LUT_GROUPS][OBJ_LUT_VARS] = {
#define X(g, v, t, f, s, ev, nm) [g][v] = OBJ_ID_G##g##V##v + 1,
        OBJ_CATALOG(X)
#undef X
};

enum dnp_time_kind obj_fmt_time_kind(uint8_t fmt)
{
        static const uint8_t time_kind[OBJ_FMT_MAX] = {
#define S(name) [OBJ_FMT_##name] = DNP_TIME_NONE,
#define F(name, fl, val, width, time) [OBJ_FMT_##name] = DNP_TIME_##time,
                OBJ_FMT_LIST(S, F)
#undef S
#undef F
        };
        return fmt < OBJ_FMT_MAX ? (enum dnp_time_kind)time_kind[fmt] : DNP_TIME_NONE;
}

const struct obj_desc *obj_lookup(uint8_t group, uint8_t var)
{
        if (group < OBJ_LUT_GROUPS) {
                if (var >= OBJ_LUT_VARS || !obj_lut[group][var])
                        return NULL;
                return &obj_catalog[obj_lut[group][var] - 1];
        }
        if (group == 110)
                return &obj_catalog[OBJ_ID_G110 + var];
        if (group == 111)
                return &obj_catalog[OBJ_ID_G111 + var];
        return NULL;
}

size_t obj_catalog_size(void)
{
        return OBJ_ID_COUNT;
}

const struct obj_desc *obj_catalog_at(size_t i)
{
        return i < OBJ_ID_COUNT ? &obj_catalog[i] : NULL;
}

NAMES_DEFINE(dnp_cmd_status_name, uint8_t, DNP_CMD_STATUS_LIST, NAMES_BY_CODE)

enum obj_mode obj_mode_for_func(uint8_t func)
{
        switch (func) {
        case APP_FUNC_WRITE:
        case APP_FUNC_SELECT:
        case APP_FUNC_OPERATE:
        case APP_FUNC_DIRECT_OPERATE:
        case APP_FUNC_DIRECT_OPERATE_NR:
        case APP_FUNC_RESPONSE:
        case APP_FUNC_UNSOLICITED_RESPONSE:
        case APP_FUNC_AUTHENTICATE_RESP:
                return OBJ_MODE_DATA;
        default:
                return OBJ_MODE_HEADERS;
        }
}

uint16_t obj_err_iin(int err)
{
        if (err >= 0)
                return 0;
        if (err == -ENOENT)
                return APP_IIN_OBJECT_UNKNOWN;
        return APP_IIN_PARAMETER_ERROR;
}

const char *obj_err_name(int err)
{
        switch (err) {
        case 0:
                return "ok";
        case -ENOENT:
                return "unknown object";
        case -EPROTO:
                return "bad qualifier";
        case -ERANGE:
                return "bad range";
        case -EBADMSG:
                return "truncated";
        case -E2BIG:
                return "too many objects";
        case -EINVAL:
                return "invalid object data";
        default:
                return "error";
        }
}

/* One parsed object header with its object data split off. */
struct obj_item {
        struct obj_hdr h;
        struct rd data;         /* the objects (or the index list in HEADERS mode) */
        uint8_t pfx;            /* index prefix size: 0, 1 or 2 */
};

struct obj_walk {
        enum obj_mode mode;
        unsigned headers;
        bool cto_seen;
        bool cto_near_end;      /* the CTO + a 16-bit offset could pass 48 bits */
};

static int obj_next(struct rd *c, struct obj_walk *st, struct obj_item *it)
{
        struct obj_hdr *h = &it->h;
        uint8_t g, v, q;

        *h = (struct obj_hdr){ 0 };
        it->pfx = 0;
        if (rd_u8(c, &g) < 0)
                return -EBADMSG;
        h->group = g;
        if (rd_u8(c, &v) < 0)
                return -EBADMSG;
        h->var = v;
        if (rd_u8(c, &q) < 0)
                return -EBADMSG;
        h->qual = q;

        if (st->mode == OBJ_MODE_HEADERS && ++st->headers > OBJ_MAX_HEADERS_HEADERS_MODE)
                return -E2BIG;

        const struct obj_desc *d = obj_lookup(g, v);
        if (!d)
                return -ENOENT;
        h->desc = d;
        bool data = st->mode == OBJ_MODE_DATA;
        if (data && d->fmt == OBJ_FMT_NONE) {
                /* variation 0 and class objects carry no data: requests only */
                if (d->type == DNP_TYPE_OCTETS)
                        return -EINVAL;         /* zero-length octet string */
                return -ENOENT;
        }

        uint64_t count;
        const size_t fw = obj_qual_width(q);
        const bool range = obj_qual_is_range(q);
        switch (q) {
        case OBJ_QUAL_RANGE8:
        case OBJ_QUAL_RANGE16: {
                uint64_t a, b;
                if (rd_le(c, fw, &a) < 0 || rd_le(c, fw, &b) < 0)
                        return -EBADMSG;
                h->start = (uint32_t)a;
                h->stop = (uint32_t)b;
                break;
        }
        case OBJ_QUAL_ALL:
                if (data)
                        return -EPROTO;
                count = 0;
                break;
        case OBJ_QUAL_COUNT8:
        case OBJ_QUAL_INDEX8:
        case OBJ_QUAL_COUNT16:
        case OBJ_QUAL_INDEX16:
                if (rd_le(c, fw, &count) < 0)
                        return -EBADMSG;
                it->pfx = q == OBJ_QUAL_INDEX8 || q == OBJ_QUAL_INDEX16 ? (uint8_t)fw : 0;
                break;
        default:
                /* FREE16 (0x5b) frames no catalog object; everything else is unknown */
                return -EPROTO;
        }
        if (range) {
                if (h->stop < h->start)
                        return -ERANGE;
                count = (uint64_t)h->stop - h->start + 1;
        }
        if (count > OBJ_MAX_PER_HEADER)
                return -E2BIG;
        h->count = (uint32_t)count;

        uint64_t need;
        if (!data) {
                need = count * it->pfx;
        } else {
                switch (d->fmt) {
                case OBJ_FMT_PACKED1:
                        if (!range)
                                return -EPROTO;
                        need = (count + 7) / 8;
                        break;
                case OBJ_FMT_PACKED2:
                        if (!range)
                                return -EPROTO;
                        need = (count + 3) / 4;
                        break;
                case OBJ_FMT_FLAGS_T16:
                        /* relative times need a CTO, and one that keeps them in 48 bits */
                        if (count && (!st->cto_seen || st->cto_near_end))
                                return -EINVAL;
                        need = count * ((uint64_t)it->pfx + d->size);
                        break;
                default:
                        need = count * ((uint64_t)it->pfx + d->size);
                        break;
                }
        }
        if (need > rd_left(c))
                return -EBADMSG;
        if (data && d->type == DNP_TYPE_CTO && count) {
                /* relative times refer to the last CTO object of the header */
                struct rd t = *c;
                uint64_t cto = 0;
                (void)rd_skip(&t, (size_t)((count - 1) * ((uint64_t)it->pfx + d->size) + it->pfx));
                (void)rd_le48(&t, &cto);
                st->cto_seen = true;
                st->cto_near_end = cto > DNPTIME_MAX - UINT16_MAX;
        }
        return rd_sub(c, (size_t)need, &it->data);
}

/*
 * Decode the objects of one DATA-mode header.  OBJ_EACH runs BODY once per
 * object with v.index set from the prefix or the running position; BODY
 * decodes one object from the sub-cursor d.  The format switch is taken once
 * per header, so each loop below decodes one fixed layout.
 */
#define OBJ_RD(call)                                                                            \
        do {                                                                                    \
                if ((call) < 0)                                                                 \
                        return -EBADMSG;                                                        \
        } while (0)

#define OBJ_EACH(BODY)                                                                          \
        do {                                                                                    \
                for (uint32_t i = 0; i < n; i++) {                                              \
                        if (pfx == 1) {                                                         \
                                uint8_t ix;                                                     \
                                OBJ_RD(rd_u8(d, &ix));                                          \
                                v.index = ix;                                                   \
                        } else if (pfx == 2) {                                                  \
                                uint16_t ix;                                                    \
                                OBJ_RD(rd_le16(d, &ix));                                        \
                                v.index = ix;                                                   \
                        } else {                                                                \
                                v.index = base + i;                                             \
                        }                                                                       \
                        BODY;                                                                   \
                        int r_ = on_value(ctx, h, &v);                                          \
                        if (r_)                                                                 \
                                return r_;                                                      \
                }                                                                               \
        } while (0)

static inline void obj_set_state(struct dnp_value *v, uint8_t type, uint8_t flags)
{
        v->flags = flags;
        if (type == DNP_TYPE_DBI)
                v->v.dbit = (uint8_t)(flags >> 6);
        else
                v->v.bit = flags >> 7;
}

/*
 * Decode one object of a fixed layout (see OBJ_FMT_LIST).  Called with
 * constant fl, val, width and tm from one switch case each, so every case
 * compiles to its own straight-line reader.
 */
static inline __attribute__((always_inline)) int
obj_rd_fixed(struct rd *d, enum obj_fl fl, enum obj_val val, size_t width, enum dnp_time_kind tm,
             uint8_t type, uint64_t *cto, struct dnp_value *v)
{
        uint8_t f8 = 0;
        uint64_t raw = 0;
        uint16_t rel;
        double x = 0;

        if (fl == OBJ_FL_PRE && rd_u8(d, &f8) < 0)
                return -EBADMSG;
        if (width && rd_le(d, width, &raw) < 0)
                return -EBADMSG;
        if (fl == OBJ_FL_POST && rd_u8(d, &f8) < 0)
                return -EBADMSG;
        if (tm == DNP_TIME_ABS && rd_le48(d, &v->time) < 0)
                return -EBADMSG;
        if (tm == DNP_TIME_REL) {
                if (rd_le16(d, &rel) < 0)
                        return -EBADMSG;
                v->time = *cto + rel;
        }

        if (val == OBJ_VAL_STATE) {
                obj_set_state(v, type, f8);
                return 0;
        }
        if (val == OBJ_VAL_NONE) {
                if (tm == DNP_TIME_ABS && type == DNP_TYPE_CTO)
                        *cto = v->time;
                return 0;
        }
        if (fl == OBJ_FL_PRE)
                v->flags = f8;
        if (val == OBJ_VAL_UINT) {
                v->v.count = (uint32_t)raw;
                return 0;
        }
        if (val == OBJ_VAL_INT) {
                x = width == 4 ? (double)(int32_t)(uint32_t)raw : (double)(int16_t)(uint16_t)raw;
        } else if (width == 4) {
                uint32_t u = (uint32_t)raw;
                float f;
                memcpy(&f, &u, sizeof(f));
                x = (double)f;
        } else {
                memcpy(&x, &raw, sizeof(x));
        }
        if (fl == OBJ_FL_POST) {
                v->v.ao.value = x;
                v->v.ao.status = f8;
        } else {
                v->v.analog = x;
        }
        return 0;
}

/*
 * The packed formats: bits = 1 (g1v1, g10v1, g80v1: the state bit) or 2 (g3v1:
 * the double-bit state), 8 / bits objects a byte, the first in the low bits.
 */
static inline __attribute__((always_inline)) int
obj_visit_packed(struct rd *d, unsigned bits, const struct obj_hdr *h, uint32_t base,
                 int (*on_value)(void *, const struct obj_hdr *, const struct dnp_value *),
                 void *ctx, struct dnp_value *v)
{
        const uint32_t per = 8 / bits;
        uint8_t byte = 0;

        for (uint32_t i = 0; i < h->count; i++) {
                if (i % per == 0)
                        OBJ_RD(rd_u8(d, &byte));
                uint8_t st = (uint8_t)(((unsigned)byte >> (bits * (i % per))) & ((1u << bits) - 1));
                v->index = base + i;
                if (bits == 1)
                        v->v.bit = st;
                else
                        v->v.dbit = st;
                /* the state in the top bits of the flags, as the flags formats carry it */
                v->flags = (uint8_t)(DNP_FLAG_ONLINE | st << (8 - bits));
                int r = on_value(ctx, h, v);
                if (r)
                        return r;
        }
        return 0;
}

static int obj_visit_data(struct obj_item *it, const struct obj_visitor *vis, void *ctx,
                          uint64_t *cto)
{
        int (*on_value)(void *, const struct obj_hdr *, const struct dnp_value *) = vis->on_value;
        const struct obj_hdr *h = &it->h;
        const struct obj_desc *desc = h->desc;
        /* a local copy the visitor cannot alias: the cursor stays in registers */
        struct rd data = it->data;
        struct rd *d = &data;
        const uint32_t n = h->count;
        const uint8_t pfx = it->pfx;
        const uint32_t base = h->qual == OBJ_QUAL_RANGE8 || h->qual == OBJ_QUAL_RANGE16 ? h->start : 0;
        const uint8_t type = desc->type;
        struct dnp_value v = { .flags = DNP_FLAG_ONLINE };

        /* Formats that carry a CTO-independent time stamp set this once. */
        v.time_kind = (uint8_t)obj_fmt_time_kind(desc->fmt);

        switch ((enum obj_fmt)desc->fmt) {
        case OBJ_FMT_NONE:
        case OBJ_FMT_MAX:
                return 0;
        case OBJ_FMT_PACKED1:
                return obj_visit_packed(d, 1, h, base, on_value, ctx, &v);
        case OBJ_FMT_PACKED2:
                return obj_visit_packed(d, 2, h, base, on_value, ctx, &v);
#define S(name)
#define F(name, fl, val, width, tm)                                                             \
        case OBJ_FMT_##name:                                                                    \
                OBJ_EACH(OBJ_RD(obj_rd_fixed(d, OBJ_FL_##fl, OBJ_VAL_##val, width, DNP_TIME_##tm, \
                                             type, cto, &v)));                                  \
                return 0;
        OBJ_FMT_LIST(S, F)
#undef S
#undef F
        case OBJ_FMT_CROB:
                OBJ_EACH({
                        struct dnp_crob cr;
                        OBJ_RD(rd_u8(d, &cr.code));
                        OBJ_RD(rd_u8(d, &cr.count));
                        OBJ_RD(rd_le32(d, &cr.on_ms));
                        OBJ_RD(rd_le32(d, &cr.off_ms));
                        OBJ_RD(rd_u8(d, &cr.status));
                        v.v.crob = cr;
                });
                return 0;
        case OBJ_FMT_DELAY16:
                OBJ_EACH(OBJ_RD(rd_le16(d, &v.v.delay)));
                return 0;
        case OBJ_FMT_OCTETS:
                OBJ_EACH({
                        struct rd o;
                        OBJ_RD(rd_sub(d, desc->size, &o));
                        v.v.octets.p = o.p;
                        v.v.octets.len = desc->size;
                });
                return 0;
        }
        return 0;
}

static int obj_visit_indexes(struct obj_item *it, const struct obj_visitor *vis, void *ctx)
{
        struct dnp_value v = { 0 };

        for (uint32_t i = 0; i < it->h.count; i++) {
                if (it->pfx == 1) {
                        uint8_t ix;
                        OBJ_RD(rd_u8(&it->data, &ix));
                        v.index = ix;
                } else {
                        uint16_t ix;
                        OBJ_RD(rd_le16(&it->data, &ix));
                        v.index = ix;
                }
                int r = vis->on_value(ctx, &it->h, &v);
                if (r)
                        return r;
        }
        return 0;
}

int obj_parse(const uint8_t *p, size_t n, enum obj_mode mode, const struct obj_visitor *vis,
              void *ctx, struct obj_parse_err *ret_err)
{
        struct obj_walk st = { .mode = mode };
        struct obj_item it;
        struct rd c;
        int r;

        /* Pass 1: validate every header and its object data; visit nothing. */
        rd_init(&c, p, n);
        while (rd_left(&c)) {
                size_t off = n - rd_left(&c);
                r = obj_next(&c, &st, &it);
                if (r < 0) {
                        if (ret_err)
                                *ret_err = (struct obj_parse_err){
                                        .offset = off,
                                        .group = it.h.group,
                                        .var = it.h.var,
                                        .qual = it.h.qual,
                                };
                        return r;
                }
        }
        if (!vis)
                return 0;

        /* Pass 2: the same walk, now calling the visitor. */
        uint64_t cto = 0;
        st = (struct obj_walk){ .mode = mode };
        rd_init(&c, p, n);
        while (rd_left(&c)) {
                r = obj_next(&c, &st, &it);
                if (r < 0)
                        return r;       /* not reached: pass 1 accepted these bytes */
                if (vis->on_header) {
                        r = vis->on_header(ctx, &it.h);
                        if (r)
                                return r;
                }
                if (!vis->on_value)
                        continue;
                if (mode == OBJ_MODE_DATA) {
                        r = obj_visit_data(&it, vis, ctx, &cto);
                        if (r)
                                return r;
                } else if (it.pfx) {
                        r = obj_visit_indexes(&it, vis, ctx);
                        if (r)
                                return r;
                }
        }
        return 0;
}
