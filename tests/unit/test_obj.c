/* SPDX-License-Identifier: MIT */
/*
 * Object catalog and parser: catalog facts, an encode -> decode round trip of
 * every catalog entry under every qualifier it allows, real fragments from
 * the ITI captures (values cross-checked with `tshark -V -O dnp3`), every
 * error with its IIN bit, validate-first and the caps.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "dnp3/app.h"
#include "dnp3/obj.h"
#include "dnp3/dnptime.h"

/* ---- helpers ---------------------------------------------------------- */


#define MAX_HDRS 300
#define MAX_VALS 4096

struct collect {
        struct obj_hdr h[MAX_HDRS];
        size_t nh;
        struct dnp_value v[MAX_VALS];
        size_t vh[MAX_VALS];    /* header number of each value */
        size_t nv;
        int stop_at;            /* return 7 from the on_value call with this number (1-based) */
};

static int col_hdr(void *ctx, const struct obj_hdr *h)
{
        struct collect *c = ctx;
        assert_true(c->nh < MAX_HDRS);
        c->h[c->nh++] = *h;
        return 0;
}

static int col_val(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct collect *c = ctx;
        assert_true(c->nv < MAX_VALS);
        assert_true(c->nh > 0);
        assert_ptr_equal(h->desc, c->h[c->nh - 1].desc);
        c->vh[c->nv] = c->nh - 1;
        c->v[c->nv++] = *v;
        if (c->stop_at && (int)c->nv == c->stop_at)
                return 7;
        return 0;
}

static const struct obj_visitor col_vis = { .on_header = col_hdr, .on_value = col_val };

/* Parse a whole APDU (header included), mode from its function code. */
static int parse_apdu(const uint8_t *p, size_t n, struct collect *c, struct apdu_hdr *ret_h)
{
        struct rd r;
        struct apdu_hdr h;
        rd_init(&r, p, n);
        assert_int_equal(apdu_parse_hdr(&r, &h), 0);
        if (ret_h)
                *ret_h = h;
        memset(c, 0, sizeof(*c));
        return obj_parse(r.p, rd_left(&r), obj_mode_for_func(h.func), &col_vis, c, NULL);
}

static struct collect col;      /* large: keep off the stack */

/* ---- catalog ---------------------------------------------------------- */

static void test_catalog_size_and_lookup(void **state)
{
        (void)state;
        assert_int_equal(obj_catalog_size(), 600);
        assert_null(obj_catalog_at(600));
        for (size_t i = 0; i < obj_catalog_size(); i++) {
                const struct obj_desc *d = obj_catalog_at(i);
                assert_non_null(d);
                assert_ptr_equal(obj_lookup(d->group, d->var), d);
                assert_non_null(d->name);
                if (i > 0) {
                        const struct obj_desc *p = obj_catalog_at(i - 1);
                        assert_true(p->group < d->group || (p->group == d->group && p->var < d->var));
                }
        }
        /* every (group, var) pair not in the list above is absent */
        size_t found = 0;
        for (unsigned g = 0; g < 256; g++)
                for (unsigned v = 0; v < 256; v++)
                        found += obj_lookup((uint8_t)g, (uint8_t)v) != NULL;
        assert_int_equal(found, 600);
}

static size_t fmt_size(enum obj_fmt f)
{
        static const uint8_t sz[OBJ_FMT_MAX] = {
                [OBJ_FMT_FLAGS] = 1, [OBJ_FMT_FLAGS_T48] = 7, [OBJ_FMT_FLAGS_T16] = 3,
                [OBJ_FMT_FLAGS_U32] = 5, [OBJ_FMT_FLAGS_U16] = 3, [OBJ_FMT_U32] = 4,
                [OBJ_FMT_U16] = 2, [OBJ_FMT_FLAGS_U32_T48] = 11, [OBJ_FMT_FLAGS_U16_T48] = 9,
                [OBJ_FMT_FLAGS_I32] = 5, [OBJ_FMT_FLAGS_I16] = 3, [OBJ_FMT_I32] = 4,
                [OBJ_FMT_I16] = 2, [OBJ_FMT_FLAGS_F32] = 5, [OBJ_FMT_FLAGS_F64] = 9,
                [OBJ_FMT_FLAGS_I32_T48] = 11, [OBJ_FMT_FLAGS_I16_T48] = 9,
                [OBJ_FMT_FLAGS_F32_T48] = 11, [OBJ_FMT_FLAGS_F64_T48] = 15, [OBJ_FMT_CROB] = 11,
                [OBJ_FMT_AO_I32] = 5, [OBJ_FMT_AO_I16] = 3, [OBJ_FMT_AO_F32] = 5,
                [OBJ_FMT_AO_F64] = 9, [OBJ_FMT_T48] = 6, [OBJ_FMT_DELAY16] = 2,
        };
        return sz[f];
}

static void expect_obj(uint8_t g, uint8_t v, enum dnp_type t, enum obj_fmt f, unsigned size, bool ev)
{
        const struct obj_desc *d = obj_lookup(g, v);
        assert_non_null(d);
        assert_int_equal(d->group, g);
        assert_int_equal(d->var, v);
        assert_int_equal(d->type, t);
        assert_int_equal(d->fmt, f);
        assert_int_equal(d->size, size);
        assert_int_equal(d->event, ev);
}

static void test_catalog_entries(void **state)
{
        (void)state;
        /* sizes checked against packet-dnp.c and IEEE 1815 object definitions */
        expect_obj(1, 0, DNP_TYPE_BI, OBJ_FMT_NONE, 0, false);
        expect_obj(1, 1, DNP_TYPE_BI, OBJ_FMT_PACKED1, 0, false);
        expect_obj(1, 2, DNP_TYPE_BI, OBJ_FMT_FLAGS, 1, false);
        expect_obj(2, 2, DNP_TYPE_BI, OBJ_FMT_FLAGS_T48, 7, true);
        expect_obj(2, 3, DNP_TYPE_BI, OBJ_FMT_FLAGS_T16, 3, true);
        expect_obj(3, 1, DNP_TYPE_DBI, OBJ_FMT_PACKED2, 0, false);
        expect_obj(4, 3, DNP_TYPE_DBI, OBJ_FMT_FLAGS_T16, 3, true);
        expect_obj(10, 1, DNP_TYPE_BO, OBJ_FMT_PACKED1, 0, false);
        expect_obj(11, 2, DNP_TYPE_BO, OBJ_FMT_FLAGS_T48, 7, true);
        expect_obj(12, 1, DNP_TYPE_CROB, OBJ_FMT_CROB, 11, false);
        expect_obj(20, 5, DNP_TYPE_CNT, OBJ_FMT_U32, 4, false);
        expect_obj(20, 6, DNP_TYPE_CNT, OBJ_FMT_U16, 2, false);
        expect_obj(21, 5, DNP_TYPE_FCNT, OBJ_FMT_FLAGS_U32_T48, 11, false);
        expect_obj(21, 9, DNP_TYPE_FCNT, OBJ_FMT_U32, 4, false);
        expect_obj(21, 10, DNP_TYPE_FCNT, OBJ_FMT_U16, 2, false);
        expect_obj(22, 6, DNP_TYPE_CNT, OBJ_FMT_FLAGS_U16_T48, 9, true);
        expect_obj(23, 5, DNP_TYPE_FCNT, OBJ_FMT_FLAGS_U32_T48, 11, true);
        expect_obj(30, 3, DNP_TYPE_AI, OBJ_FMT_I32, 4, false);
        expect_obj(30, 6, DNP_TYPE_AI, OBJ_FMT_FLAGS_F64, 9, false);
        expect_obj(32, 8, DNP_TYPE_AI, OBJ_FMT_FLAGS_F64_T48, 15, true);
        expect_obj(40, 3, DNP_TYPE_AO, OBJ_FMT_FLAGS_F32, 5, false);
        expect_obj(41, 2, DNP_TYPE_AOCMD, OBJ_FMT_AO_I16, 3, false);
        expect_obj(41, 4, DNP_TYPE_AOCMD, OBJ_FMT_AO_F64, 9, false);
        expect_obj(42, 7, DNP_TYPE_AO, OBJ_FMT_FLAGS_F32_T48, 11, true);
        expect_obj(50, 1, DNP_TYPE_TIME, OBJ_FMT_T48, 6, false);
        expect_obj(50, 3, DNP_TYPE_TIME, OBJ_FMT_T48, 6, false);
        expect_obj(51, 2, DNP_TYPE_CTO, OBJ_FMT_T48, 6, false);
        expect_obj(52, 1, DNP_TYPE_DELAY, OBJ_FMT_DELAY16, 2, false);
        expect_obj(60, 1, DNP_TYPE_CLASS, OBJ_FMT_NONE, 0, false);
        expect_obj(60, 4, DNP_TYPE_CLASS, OBJ_FMT_NONE, 0, false);
        expect_obj(80, 1, DNP_TYPE_IIN, OBJ_FMT_PACKED1, 0, false);
        expect_obj(110, 0, DNP_TYPE_OCTETS, OBJ_FMT_NONE, 0, false);
        expect_obj(110, 1, DNP_TYPE_OCTETS, OBJ_FMT_OCTETS, 1, false);
        expect_obj(111, 255, DNP_TYPE_OCTETS, OBJ_FMT_OCTETS, 255, true);
        assert_string_equal(obj_lookup(2, 2)->name, "Binary Input Event - With Absolute Time");

        static const uint8_t absent[][2] = {
                { 0, 0 }, { 1, 3 }, { 2, 4 }, { 3, 3 }, { 4, 4 }, { 10, 3 }, { 12, 0 }, { 12, 2 },
                { 20, 3 }, { 20, 7 }, { 21, 3 }, { 21, 11 }, { 22, 3 }, { 23, 3 }, { 30, 7 },
                { 32, 9 }, { 40, 5 }, { 41, 0 }, { 42, 9 }, { 43, 1 }, { 50, 0 }, { 50, 2 },
                { 51, 0 }, { 52, 0 }, { 60, 0 }, { 60, 5 }, { 70, 3 }, { 80, 0 }, { 80, 2 },
                { 112, 1 }, { 120, 1 }, { 255, 255 },
        };
        for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
                assert_null(obj_lookup(absent[i][0], absent[i][1]));

        /* variation 0 exactly for the groups that have a default */
        static const uint8_t v0[] = { 1, 2, 3, 4, 10, 11, 20, 21, 22, 23, 30, 32, 40, 42, 110, 111 };
        size_t nv0 = 0;
        for (size_t i = 0; i < obj_catalog_size(); i++) {
                const struct obj_desc *d = obj_catalog_at(i);
                if (d->var == 0) {
                        assert_int_equal(d->fmt, OBJ_FMT_NONE);
                        assert_int_equal(d->group, v0[nv0]);
                        nv0++;
                }
                /* size agrees with the format */
                if (d->fmt == OBJ_FMT_OCTETS)
                        assert_int_equal(d->size, d->var);
                else
                        assert_int_equal(d->size, fmt_size(d->fmt));
                bool ev = d->group == 2 || d->group == 4 || d->group == 11 || d->group == 22 ||
                          d->group == 23 || d->group == 32 || d->group == 42 || d->group == 111;
                assert_int_equal(d->event, ev);
        }
        assert_int_equal(nv0, sizeof(v0));
}

static void test_names(void **state)
{
        (void)state;
        assert_string_equal(dnp_type_name(DNP_TYPE_BI), "binary_input");
        assert_string_equal(dnp_type_name(DNP_TYPE_OCTETS), "octets");
        assert_string_equal(dnp_type_name(DNP_TYPE_MAX), "UNKNOWN");   /* NAMES_UNKNOWN */
        assert_string_equal(dnp_cmd_status_name(0), "SUCCESS");
        assert_string_equal(dnp_cmd_status_name(4), "NOT_SUPPORTED");
        assert_string_equal(dnp_cmd_status_name(18), "DOWNSTREAM_FAIL");
        assert_string_equal(dnp_cmd_status_name(126), "NON_PARTICIPATING");
        assert_string_equal(dnp_cmd_status_name(127), "UNDEFINED");
        assert_string_equal(dnp_cmd_status_name(19), "UNKNOWN");
        assert_string_equal(dnp_cmd_status_name(255), "UNKNOWN");
}

static void test_mode_for_func(void **state)
{
        (void)state;
        unsigned data = 0;
        for (unsigned f = 0; f < 256; f++) {
                bool want = f == 2 || f == 3 || f == 4 || f == 5 || f == 6 || f == 129 ||
                            f == 130 || f == 131;
                assert_int_equal(obj_mode_for_func((uint8_t)f), want ? OBJ_MODE_DATA : OBJ_MODE_HEADERS);
                data += want;
        }
        assert_int_equal(data, 8);
}

static void test_err_iin(void **state)
{
        (void)state;
        assert_int_equal(obj_err_iin(0), 0);
        assert_int_equal(obj_err_iin(-ENOENT), APP_IIN_OBJECT_UNKNOWN);
        assert_int_equal(obj_err_iin(-ENOENT), 0x0200);
        assert_int_equal(obj_err_iin(-EPROTO), APP_IIN_PARAMETER_ERROR);
        assert_int_equal(obj_err_iin(-ERANGE), 0x0400);
        assert_int_equal(obj_err_iin(-EBADMSG), 0x0400);
        assert_int_equal(obj_err_iin(-E2BIG), 0x0400);
        assert_int_equal(obj_err_iin(-EINVAL), 0x0400);
        assert_string_equal(obj_err_name(0), "ok");
        assert_string_equal(obj_err_name(-ENOENT), "unknown object");
        assert_string_equal(obj_err_name(-EPROTO), "bad qualifier");
        assert_string_equal(obj_err_name(-ERANGE), "bad range");
        assert_string_equal(obj_err_name(-EBADMSG), "truncated");
        assert_string_equal(obj_err_name(-E2BIG), "too many objects");
        assert_string_equal(obj_err_name(-EINVAL), "invalid object data");
}

/* ---- round trip of every catalog entry --------------------------------- */

#define CTO_TIME UINT64_C(1097489794018)        /* 2004-10-11T10:16:34.018Z */

static uint8_t octet_src[255];

/* Object number k (0..2) of desc: what we write and what must come back. */
static void make_value(const struct obj_desc *d, unsigned k, struct dnp_value *in, struct dnp_value *exp)
{
        static const uint8_t fl[3] = { 0x01, 0x12, 0x5f };
        static const double i32v[3] = { -2147483648.0, 2147483647.0, -5.0 };
        static const double i16v[3] = { -32768.0, 32767.0, 123.0 };
        static const double f32v[3] = { 1.5, -1024.125, 16777216.0 };
        static const double f64v[3] = { 0.1, -1e300, 123456789.123 };
        static const uint8_t st[3] = { 0, 4, 127 };

        memset(in, 0, sizeof(*in));
        in->flags = fl[k];
        in->time = UINT64_C(0x0123456789ab) + k * 1000;
        memset(exp, 0, sizeof(*exp));
        exp->flags = fl[k];
        exp->time_kind = DNP_TIME_NONE;

        switch ((enum obj_fmt)d->fmt) {
        case OBJ_FMT_PACKED1:
                in->v.bit = k != 1;
                exp->v.bit = in->v.bit;
                exp->flags = (uint8_t)(DNP_FLAG_ONLINE | (in->v.bit ? 0x80 : 0));
                break;
        case OBJ_FMT_PACKED2:
                in->v.dbit = (uint8_t)(k + 1);
                exp->v.dbit = in->v.dbit;
                exp->flags = (uint8_t)(DNP_FLAG_ONLINE | in->v.dbit << 6);
                break;
        case OBJ_FMT_FLAGS:
        case OBJ_FMT_FLAGS_T48:
        case OBJ_FMT_FLAGS_T16:
                if (d->type == DNP_TYPE_DBI) {
                        in->v.dbit = (uint8_t)k;
                        exp->v.dbit = (uint8_t)k;
                        exp->flags = (uint8_t)((fl[k] & 0x3f) | k << 6);
                } else {
                        in->v.bit = k != 1;
                        exp->v.bit = in->v.bit;
                        exp->flags = (uint8_t)((fl[k] & 0x7f) | (in->v.bit ? 0x80 : 0));
                }
                if (d->fmt == OBJ_FMT_FLAGS_T48) {
                        exp->time_kind = DNP_TIME_ABS;
                        exp->time = in->time;
                } else if (d->fmt == OBJ_FMT_FLAGS_T16) {
                        in->time = CTO_TIME + (uint64_t)k * 30000 + 1;
                        exp->time_kind = DNP_TIME_REL;
                        exp->time = in->time;
                }
                break;
        case OBJ_FMT_FLAGS_U32:
        case OBJ_FMT_U32:
        case OBJ_FMT_FLAGS_U32_T48:
                in->v.count = 0xfedcba98u - k;
                exp->v.count = in->v.count;
                break;
        case OBJ_FMT_FLAGS_U16:
        case OBJ_FMT_U16:
        case OBJ_FMT_FLAGS_U16_T48:
                in->v.count = 0xbeefu - k;
                exp->v.count = in->v.count;
                break;
        case OBJ_FMT_FLAGS_I32:
        case OBJ_FMT_I32:
        case OBJ_FMT_FLAGS_I32_T48:
                in->v.analog = i32v[k];
                exp->v.analog = i32v[k];
                break;
        case OBJ_FMT_FLAGS_I16:
        case OBJ_FMT_I16:
        case OBJ_FMT_FLAGS_I16_T48:
                in->v.analog = i16v[k];
                exp->v.analog = i16v[k];
                break;
        case OBJ_FMT_FLAGS_F32:
        case OBJ_FMT_FLAGS_F32_T48:
                in->v.analog = f32v[k];
                exp->v.analog = f32v[k];
                break;
        case OBJ_FMT_FLAGS_F64:
        case OBJ_FMT_FLAGS_F64_T48:
                in->v.analog = f64v[k];
                exp->v.analog = f64v[k];
                break;
        case OBJ_FMT_CROB:
                in->v.crob = (struct dnp_crob){ .code = (uint8_t)(k == 0 ? 0x41 : k == 1 ? 0x81 : 0x03),
                                                .count = (uint8_t)(k + 1),
                                                .on_ms = 100u * k + 1,
                                                .off_ms = 0xffffffffu - k,
                                                .status = st[k] };
                exp->v.crob = in->v.crob;
                exp->flags = DNP_FLAG_ONLINE;
                break;
        case OBJ_FMT_AO_I32:
                in->v.ao = (struct dnp_aocmd){ .value = i32v[k], .status = st[k] };
                exp->v.ao = in->v.ao;
                exp->flags = DNP_FLAG_ONLINE;
                break;
        case OBJ_FMT_AO_I16:
                in->v.ao = (struct dnp_aocmd){ .value = i16v[k], .status = st[k] };
                exp->v.ao = in->v.ao;
                exp->flags = DNP_FLAG_ONLINE;
                break;
        case OBJ_FMT_AO_F32:
                in->v.ao = (struct dnp_aocmd){ .value = f32v[k], .status = st[k] };
                exp->v.ao = in->v.ao;
                exp->flags = DNP_FLAG_ONLINE;
                break;
        case OBJ_FMT_AO_F64:
                in->v.ao = (struct dnp_aocmd){ .value = f64v[k], .status = st[k] };
                exp->v.ao = in->v.ao;
                exp->flags = DNP_FLAG_ONLINE;
                break;
        case OBJ_FMT_T48:
                in->time = UINT64_C(0xffeeddccbbaa) - k;
                exp->time = in->time;
                exp->time_kind = DNP_TIME_ABS;
                exp->flags = DNP_FLAG_ONLINE;
                break;
        case OBJ_FMT_DELAY16:
                in->v.delay = (uint16_t)(k == 0 ? 0 : k == 1 ? 1 : 65535);
                exp->v.delay = in->v.delay;
                exp->flags = DNP_FLAG_ONLINE;
                break;
        case OBJ_FMT_OCTETS:
                in->v.octets.p = octet_src + k;
                in->v.octets.len = d->size;
                exp->v.octets = in->v.octets;
                exp->flags = DNP_FLAG_ONLINE;
                if (d->size > 255 - 2)
                        in->v.octets.p = exp->v.octets.p = octet_src;
                break;
        case OBJ_FMT_NONE:
        case OBJ_FMT_MAX:
                fail();
        }
        switch ((enum obj_fmt)d->fmt) {
        case OBJ_FMT_U32:
        case OBJ_FMT_U16:
        case OBJ_FMT_I32:
        case OBJ_FMT_I16:
                exp->flags = DNP_FLAG_ONLINE;
                break;
        case OBJ_FMT_FLAGS_U32_T48:
        case OBJ_FMT_FLAGS_U16_T48:
        case OBJ_FMT_FLAGS_I32_T48:
        case OBJ_FMT_FLAGS_I16_T48:
        case OBJ_FMT_FLAGS_F32_T48:
        case OBJ_FMT_FLAGS_F64_T48:
                exp->time_kind = DNP_TIME_ABS;
                exp->time = in->time;
                break;
        default:
                break;
        }
}

static void check_value(const struct obj_desc *d, const struct dnp_value *got, const struct dnp_value *exp)
{
        assert_int_equal(got->index, exp->index);
        assert_int_equal(got->flags, exp->flags);
        assert_int_equal(got->time_kind, exp->time_kind);
        assert_int_equal(got->time, exp->time);
        switch ((enum dnp_type)d->type) {
        case DNP_TYPE_BI:
        case DNP_TYPE_BO:
        case DNP_TYPE_IIN:
                assert_int_equal(got->v.bit, exp->v.bit);
                break;
        case DNP_TYPE_DBI:
                assert_int_equal(got->v.dbit, exp->v.dbit);
                break;
        case DNP_TYPE_CNT:
        case DNP_TYPE_FCNT:
                assert_int_equal(got->v.count, exp->v.count);
                break;
        case DNP_TYPE_AI:
        case DNP_TYPE_AO:
                assert_memory_equal(&got->v.analog, &exp->v.analog, sizeof(double));
                break;
        case DNP_TYPE_CROB:
                assert_int_equal(got->v.crob.code, exp->v.crob.code);
                assert_int_equal(got->v.crob.count, exp->v.crob.count);
                assert_int_equal(got->v.crob.on_ms, exp->v.crob.on_ms);
                assert_int_equal(got->v.crob.off_ms, exp->v.crob.off_ms);
                assert_int_equal(got->v.crob.status, exp->v.crob.status);
                break;
        case DNP_TYPE_AOCMD:
                assert_memory_equal(&got->v.ao.value, &exp->v.ao.value, sizeof(double));
                assert_int_equal(got->v.ao.status, exp->v.ao.status);
                break;
        case DNP_TYPE_DELAY:
                assert_int_equal(got->v.delay, exp->v.delay);
                break;
        case DNP_TYPE_OCTETS:
                assert_int_equal(got->v.octets.len, exp->v.octets.len);
                assert_memory_equal(got->v.octets.p, exp->v.octets.p, exp->v.octets.len);
                break;
        default:
                break;
        }
}

static const uint8_t all_quals[] = { OBJ_QUAL_RANGE8, OBJ_QUAL_RANGE16, OBJ_QUAL_COUNT8,
                                     OBJ_QUAL_COUNT16, OBJ_QUAL_INDEX8, OBJ_QUAL_INDEX16 };

static uint32_t qual_index(uint8_t q, unsigned k)
{
        static const uint32_t i8[3] = { 7, 3, 200 }, i16[3] = { 1000, 2, 65535 };
        switch (q) {
        case OBJ_QUAL_RANGE8:
                return 5 + k;
        case OBJ_QUAL_RANGE16:
                return 300 + k;
        case OBJ_QUAL_INDEX8:
                return i8[k];
        case OBJ_QUAL_INDEX16:
                return i16[k];
        default:
                return k;       /* count qualifiers: running position */
        }
}

static uint8_t buf[70000];

static void roundtrip_data(const struct obj_desc *d, uint8_t q)
{
        struct apdu_wr a;
        struct apdu_hdr ah = { .fir = true, .fin = true, .func = APP_FUNC_RESPONSE };
        struct dnp_value in[3], exp[3];
        bool rel = d->fmt == OBJ_FMT_FLAGS_T16;

        assert_int_equal(apdu_wr_init(&a, buf, 2048, &ah), 0);
        if (rel)
                assert_int_equal(apdu_wr_cto(&a, CTO_TIME, true), 0);
        uint32_t start = qual_index(q, 0);
        assert_int_equal(apdu_wr_begin(&a, d->group, d->var, q, start), 0);
        for (unsigned k = 0; k < 3; k++) {
                make_value(d, k, &in[k], &exp[k]);
                exp[k].index = qual_index(q, k);
                in[k].index = (q == OBJ_QUAL_COUNT8 || q == OBJ_QUAL_COUNT16) ? 999 : exp[k].index;
                assert_int_equal(apdu_wr_value(&a, &in[k]), 0);
        }
        assert_int_equal(apdu_wr_end(&a), 0);

        assert_int_equal(parse_apdu(buf, apdu_wr_len(&a), &col, NULL), 0);
        size_t h0 = rel ? 1 : 0;
        assert_int_equal(col.nh, h0 + 1);
        assert_int_equal(col.nv, h0 + 3);
        const struct obj_hdr *h = &col.h[h0];
        assert_ptr_equal(h->desc, d);
        assert_int_equal(h->group, d->group);
        assert_int_equal(h->var, d->var);
        assert_int_equal(h->qual, q);
        assert_int_equal(h->count, 3);
        if (q == OBJ_QUAL_RANGE8 || q == OBJ_QUAL_RANGE16) {
                assert_int_equal(h->start, start);
                assert_int_equal(h->stop, start + 2);
        }
        if (rel) {
                assert_int_equal(col.h[0].group, 51);
                assert_int_equal(col.v[0].time, CTO_TIME);
                assert_int_equal(col.v[0].time_kind, DNP_TIME_ABS);
        }
        for (unsigned k = 0; k < 3; k++)
                check_value(d, &col.v[h0 + k], &exp[k]);
}

static void test_roundtrip_data_every_entry(void **state)
{
        (void)state;
        size_t runs = 0;
        for (size_t i = 0; i < sizeof(octet_src); i++)
                octet_src[i] = (uint8_t)(i * 7 + 1);
        for (size_t i = 0; i < obj_catalog_size(); i++) {
                const struct obj_desc *d = obj_catalog_at(i);
                if (d->fmt == OBJ_FMT_NONE)
                        continue;
                bool packed = d->fmt == OBJ_FMT_PACKED1 || d->fmt == OBJ_FMT_PACKED2;
                for (size_t j = 0; j < sizeof(all_quals); j++) {
                        if (packed && j >= 2) {
                                /* packed formats: range qualifiers only */
                                struct apdu_wr a;
                                struct apdu_hdr ah = { .func = APP_FUNC_RESPONSE };
                                assert_int_equal(apdu_wr_init(&a, buf, 2048, &ah), 0);
                                assert_int_equal(apdu_wr_begin(&a, d->group, d->var, all_quals[j], 0), -EPROTO);
                                continue;
                        }
                        roundtrip_data(d, all_quals[j]);
                        runs++;
                }
        }
        /* 20 data-less entries (16 variation 0, 4 class); 4 packed x 2; the rest x 6 */
        assert_int_equal(runs, 4 * 2 + (600 - 20 - 4) * 6);
}

/* Every entry as a data-less header in a READ, with each qualifier. */
static void test_roundtrip_headers_every_entry(void **state)
{
        (void)state;
        for (size_t i = 0; i < obj_catalog_size(); i++) {
                const struct obj_desc *d = obj_catalog_at(i);
                struct apdu_wr a;
                struct apdu_hdr ah = { .fir = true, .fin = true, .seq = 3, .func = APP_FUNC_READ };
                assert_int_equal(apdu_wr_init(&a, buf, 2048, &ah), 0);
                assert_int_equal(apdu_wr_header(&a, d->group, d->var, OBJ_QUAL_RANGE8, 2, 9), 0);
                assert_int_equal(apdu_wr_header(&a, d->group, d->var, OBJ_QUAL_RANGE16, 256, 1000), 0);
                assert_int_equal(apdu_wr_header(&a, d->group, d->var, OBJ_QUAL_ALL, 0, 0), 0);
                assert_int_equal(apdu_wr_header(&a, d->group, d->var, OBJ_QUAL_COUNT8, 0, 5), 0);
                assert_int_equal(apdu_wr_header(&a, d->group, d->var, OBJ_QUAL_COUNT16, 0, 300), 0);
                for (unsigned q = 0; q < 2; q++) {
                        uint8_t qual = q ? OBJ_QUAL_INDEX16 : OBJ_QUAL_INDEX8;
                        assert_int_equal(apdu_wr_begin(&a, d->group, d->var, qual, 0), 0);
                        for (unsigned k = 0; k < 3; k++) {
                                struct dnp_value v = { .index = qual_index(qual, k) };
                                assert_int_equal(apdu_wr_value(&a, &v), 0);
                        }
                        assert_int_equal(apdu_wr_end(&a), 0);
                }
                size_t n = apdu_wr_len(&a);
                assert_int_equal(n, 2 + 5 + 7 + 3 + 4 + 5 + (4 + 3) + (5 + 6));
                assert_int_equal(parse_apdu(buf, n, &col, NULL), 0);
                assert_int_equal(col.nh, 7);
                static const uint8_t qs[7] = { 0x00, 0x01, 0x06, 0x07, 0x08, 0x17, 0x28 };
                static const uint32_t cnt[7] = { 8, 745, 0, 5, 300, 3, 3 };
                for (unsigned k = 0; k < 7; k++) {
                        assert_ptr_equal(col.h[k].desc, d);
                        assert_int_equal(col.h[k].qual, qs[k]);
                        assert_int_equal(col.h[k].count, cnt[k]);
                }
                assert_int_equal(col.h[0].start, 2);
                assert_int_equal(col.h[0].stop, 9);
                assert_int_equal(col.h[1].start, 256);
                assert_int_equal(col.h[1].stop, 1000);
                /* on_value only for the index lists, with just the index */
                assert_int_equal(col.nv, 6);
                for (unsigned k = 0; k < 6; k++) {
                        uint8_t qual = k < 3 ? OBJ_QUAL_INDEX8 : OBJ_QUAL_INDEX16;
                        assert_int_equal(col.vh[k], k < 3 ? 5 : 6);
                        assert_int_equal(col.v[k].index, qual_index(qual, k % 3));
                        assert_int_equal(col.v[k].flags, 0);
                        assert_int_equal(col.v[k].time_kind, 0);
                }
        }
}

/* ---- golden fragments from the ITI captures ---------------------------- */

static void test_golden_read_class1230(void **state)
{
        (void)state;
        /* read_and_response.pcap frame 4 */
        uint8_t p[64];
        size_t n = unhex("c0013c02063c03063c04063c0106", p, sizeof(p));
        struct apdu_hdr h;
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(h.func, APP_FUNC_READ);
        assert_int_equal(col.nh, 4);
        assert_int_equal(col.nv, 0);
        static const uint8_t vars[4] = { 2, 3, 4, 1 };
        for (unsigned i = 0; i < 4; i++) {
                assert_int_equal(col.h[i].group, 60);
                assert_int_equal(col.h[i].var, vars[i]);
                assert_int_equal(col.h[i].qual, OBJ_QUAL_ALL);
                assert_int_equal(col.h[i].count, 0);
        }
}

static void test_golden_static_response(void **state)
{
        (void)state;
        /* dnp3_test_data_part1.pcap frame 141, values as tshark -V shows them */
        uint8_t p[128];
        size_t n = unhex("c78100000101000005190a020000058101818101011405000000200000001509000000"
                         "000000001e03000006ca000000cb000000c9000000ffffffff66210000592100004b210000",
                         p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, NULL), 0);
        assert_int_equal(col.nh, 5);
        assert_int_equal(col.nv, 6 + 6 + 1 + 1 + 7);
        /* g1v1 0..5 = 1 0 0 1 1 0 */
        static const bool bi[6] = { 1, 0, 0, 1, 1, 0 };
        for (unsigned i = 0; i < 6; i++) {
                assert_int_equal(col.v[i].index, i);
                assert_int_equal(col.v[i].v.bit, bi[i]);
                assert_int_equal(col.v[i].flags, bi[i] ? 0x81 : 0x01);
        }
        /* g10v2 0..5 flags 81 01 81 81 01 01 */
        static const uint8_t bo[6] = { 0x81, 0x01, 0x81, 0x81, 0x01, 0x01 };
        for (unsigned i = 0; i < 6; i++) {
                assert_int_equal(col.h[col.vh[6 + i]].group, 10);
                assert_int_equal(col.v[6 + i].index, i);
                assert_int_equal(col.v[6 + i].flags, bo[i]);
                assert_int_equal(col.v[6 + i].v.bit, bo[i] >> 7);
        }
        /* g20v5 0 = 32, g21v9 0 = 0 */
        assert_int_equal(col.h[2].group, 20);
        assert_int_equal(col.h[2].var, 5);
        assert_int_equal(col.v[12].v.count, 32);
        assert_int_equal(col.v[12].flags, DNP_FLAG_ONLINE);
        assert_int_equal(col.h[3].group, 21);
        assert_int_equal(col.h[3].var, 9);
        assert_int_equal(col.v[13].v.count, 0);
        /* g30v3 0..6 = 202 203 201 -1 8550 8537 8523 */
        static const double ai[7] = { 202, 203, 201, -1, 8550, 8537, 8523 };
        for (unsigned i = 0; i < 7; i++) {
                assert_int_equal(col.v[14 + i].index, i);
                assert_true(col.v[14 + i].v.analog == ai[i]);
                assert_int_equal(col.v[14 + i].flags, DNP_FLAG_ONLINE);
                assert_int_equal(col.v[14 + i].time_kind, DNP_TIME_NONE);
        }
}

static void test_golden_integrity_response(void **state)
{
        (void)state;
        uint8_t p[300];
        static const char hex[] = /* read_and_response.pcap frame 8 */
                "c081000001020000090202020202020202020203020000090202020202020202020214010000090200000000"
                "0200000000020000000002000000000200000000020000000002000000000200000000020000000002000000"
                "0015010000090200000000020000000002000000000200000000020000000002000000000200000000020000"
                "0000020000000002000000001e01000009020000000002000000000200000000020000000002000000000200"
                "00000002000000000200000000020000000002000000000a0200000902020202020202020202280100000902"
                "0000000002000000000200000000020000000002000000000200000000020000000002000000000200000000"
                "0200000000";
        size_t n = unhex(hex, p, sizeof(p));
        struct apdu_hdr h;
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(h.func, APP_FUNC_RESPONSE);
        assert_int_equal(h.iin, 0);
        static const uint8_t gv[7][2] = { { 1, 2 }, { 3, 2 }, { 20, 1 }, { 21, 1 }, { 30, 1 }, { 10, 2 }, { 40, 1 } };
        assert_int_equal(col.nh, 7);
        assert_int_equal(col.nv, 70);
        for (unsigned i = 0; i < 70; i++) {
                const struct obj_hdr *oh = &col.h[col.vh[i]];
                assert_int_equal(col.vh[i], i / 10);
                assert_int_equal(oh->group, gv[i / 10][0]);
                assert_int_equal(oh->var, gv[i / 10][1]);
                assert_int_equal(col.v[i].index, i % 10);
                assert_int_equal(col.v[i].flags, DNP_FLAG_RESTART);
        }
        assert_int_equal(col.v[10].v.dbit, DNP_DBIT_INTERMEDIATE);
        assert_int_equal(col.v[20].v.count, 0);
        assert_true(col.v[40].v.analog == 0.0);
}

static void test_golden_cto_relative_events(void **state)
{
        (void)state;
        /* dnp3_test_data_part1.pcap frame 40 (unsolicited): CTO, g2v3 q=0x28, g32v1 q=0x28 */
        uint8_t p[128];
        size_t n = unhex("f382000033010701e2437d87ff000203280500000001000001008100000200810000000081"
                         "f303010001f3032001280300000001000000000100010000000002000100000000",
                         p, sizeof(p));
        struct apdu_hdr h;
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_true(h.uns);
        assert_true(h.con);
        assert_int_equal(h.seq, 3);
        assert_int_equal(h.func, APP_FUNC_UNSOLICITED_RESPONSE);
        assert_int_equal(col.nh, 3);
        assert_int_equal(col.nv, 1 + 5 + 3);
        assert_int_equal(col.h[0].group, 51);
        assert_int_equal(col.v[0].time, CTO_TIME);      /* Oct 11, 2004 10:16:34.018 UTC */
        static const uint32_t idx[5] = { 0, 1, 2, 0, 1 };
        static const bool val[5] = { 0, 1, 1, 1, 0 };
        static const uint64_t rel[5] = { 0, 0, 0, 1011, 1011 };
        assert_int_equal(col.h[1].qual, OBJ_QUAL_INDEX16);
        for (unsigned i = 0; i < 5; i++) {
                const struct dnp_value *v = &col.v[1 + i];
                assert_int_equal(v->index, idx[i]);
                assert_int_equal(v->v.bit, val[i]);
                assert_int_equal(v->flags, val[i] ? 0x81 : 0x01);
                assert_int_equal(v->time_kind, DNP_TIME_REL);
                assert_int_equal(v->time, CTO_TIME + rel[i]);
        }
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(col.h[2].group, 32);
                assert_int_equal(col.v[6 + i].index, i);
                assert_int_equal(col.v[6 + i].flags, 0x01);
                assert_true(col.v[6 + i].v.analog == 0.0);
        }
}

static void test_golden_controls(void **state)
{
        (void)state;
        uint8_t p[64];
        struct apdu_hdr h;
        /* select_operate_and_responses.pcap frame 4: SELECT g12v1 index 0 LATCH_ON count 1 on 100 off 100 */
        size_t n = unhex("c0030c0128010000000301640000006400000000", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(h.func, APP_FUNC_SELECT);
        assert_int_equal(col.nv, 1);
        assert_int_equal(col.v[0].index, 0);
        assert_int_equal(col.v[0].v.crob.code, 0x03);
        assert_int_equal(col.v[0].v.crob.count, 1);
        assert_int_equal(col.v[0].v.crob.on_ms, 100);
        assert_int_equal(col.v[0].v.crob.off_ms, 100);
        assert_int_equal(col.v[0].v.crob.status, DNP_CMD_SUCCESS);
        /* dnp3_test_data_part2.pcap frame 5: response with status 4 NOT_SUPPORTED, index 0x869f */
        n = unhex("c38100040c012801009f860301640000006400000004", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(h.iin, 0x0400);
        assert_int_equal(col.v[0].index, 34463);
        assert_int_equal(col.v[0].v.crob.status, DNP_CMD_NOT_SUPPORTED);
        /* direct_operate_analog_output.pcap: g41v2 index 1 value 0 status 0 */
        n = unhex("c20529022801000100000000", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(h.func, APP_FUNC_DIRECT_OPERATE);
        assert_int_equal(col.nv, 1);
        assert_int_equal(col.h[0].var, 2);
        assert_int_equal(col.v[0].index, 1);
        assert_true(col.v[0].v.ao.value == 0.0);
        assert_int_equal(col.v[0].v.ao.status, 0);
        /* direct_operate_crob_malform_but_good_crc.pcap: count 2, one CROB -> truncated */
        n = unhex("ca050c0128020001000201640000006400000000", p, sizeof(p));
        struct rd r;
        rd_init(&r, p, n);
        assert_int_equal(apdu_parse_hdr(&r, &h), 0);
        struct obj_parse_err e = { 0 };
        memset(&col, 0, sizeof(col));
        assert_int_equal(obj_parse(r.p, rd_left(&r), OBJ_MODE_DATA, &col_vis, &col, &e), -EBADMSG);
        assert_int_equal(col.nh + col.nv, 0);
        assert_int_equal(e.offset, 0);
        assert_int_equal(e.group, 12);
        assert_int_equal(e.var, 1);
        assert_int_equal(e.qual, 0x28);
}

static void test_golden_time_and_iin(void **state)
{
        (void)state;
        uint8_t p[64];
        struct apdu_hdr h;
        /* lan_time_sync.pcap frame 3: WRITE g50v3 2015-03-25T19:57:42.687Z */
        size_t n = unhex("ca02320307019f0d83524c01", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(col.nv, 1);
        assert_int_equal(col.h[0].var, 3);
        assert_int_equal(col.v[0].time, UINT64_C(1427313462687));
        assert_int_equal(col.v[0].time_kind, DNP_TIME_ABS);
        /* serial_time_sync.pcap frame 3: WRITE g50v1 2015-03-25T19:57:15.047Z */
        n = unhex("c80232010701a7a182524c01", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(col.v[0].time, UINT64_C(1427313435047));
        /* serial_time_sync.pcap frame 2: g52v2 fine delay 0 ms */
        n = unhex("c7810000340207010000", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(col.h[0].group, 52);
        assert_int_equal(col.v[0].v.delay, 0);
        /* dnp3_test_data_part1.pcap frame 71: g52v2 5000 ms */
        n = unhex("c3810000340207018813", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(col.v[0].v.delay, 5000);
        /* write_iin_and_response.pcap frame 4: WRITE g80v1 7..7 = 0 (clear DEVICE_RESTART) */
        n = unhex("c002500100070700", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(col.nv, 1);
        assert_int_equal(col.v[0].index, 7);
        assert_int_equal(col.v[0].v.bit, false);
        assert_int_equal(col.v[0].flags, DNP_FLAG_ONLINE);
        /* write_binary_output.pcap: WRITE g10v1 2..2 = 0 */
        n = unhex("c0020a0100020200", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(col.v[0].index, 2);
        assert_int_equal(col.v[0].v.bit, false);
        /* immediate_freeze.pcap: IMMED_FREEZE g20v0 all */
        n = unhex("c207140006", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(col.nh, 1);
        assert_int_equal(col.h[0].group, 20);
        assert_int_equal(col.h[0].var, 0);
        /* assign_class.pcap: ASSIGN_CLASS g60v3 all, g1v0 all */
        n = unhex("c3163c0306010006", p, sizeof(p));
        assert_int_equal(parse_apdu(p, n, &col, &h), 0);
        assert_int_equal(col.nh, 2);
        assert_int_equal(col.h[1].group, 1);
}

static void test_golden_outside_catalog(void **state)
{
        (void)state;
        static const struct {
                const char *hex;
                uint8_t group, var, qual;
        } t[] = {
                /* file_read.pcap frame 1: OPEN_FILE g70v3 q=0x5b */
                { "c11946035b0128001a000e00000000000000000000000000000000000100000404002e2f7465737466696c652e747874", 70, 3, 0x5b },
                /* auth_change_session_keys.pcap frame 4: g120v4 */
                { "c120780407010100", 120, 4, 0x07 },
                /* write_vto_empty_string.pcap: g112v0 */
                { "c0027000010000ffff", 112, 0, 0x01 },
                /* dataset_exchange.pcap frame 1: g0v213 */
                { "c50100d500000000d7000000", 0, 213, 0x00 },
        };
        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                uint8_t p[128];
                size_t n = unhex(t[i].hex, p, sizeof(p));
                struct rd r;
                struct apdu_hdr h;
                rd_init(&r, p, n);
                assert_int_equal(apdu_parse_hdr(&r, &h), 0);
                struct obj_parse_err e = { 0 };
                memset(&col, 0, sizeof(col));
                assert_int_equal(obj_parse(r.p, rd_left(&r), obj_mode_for_func(h.func), &col_vis, &col, &e),
                                 -ENOENT);
                assert_int_equal(obj_err_iin(-ENOENT), APP_IIN_OBJECT_UNKNOWN);
                assert_int_equal(col.nh, 0);
                assert_int_equal(e.offset, 0);
                assert_int_equal(e.group, t[i].group);
                assert_int_equal(e.var, t[i].var);
                assert_int_equal(e.qual, t[i].qual);
        }
}

/* ---- errors ----------------------------------------------------------- */

struct err_case {
        enum obj_mode mode;
        const char *hex;        /* object part only */
        int err;
        size_t off;
        uint8_t group, var, qual;
};

#define MH OBJ_MODE_HEADERS
#define MD OBJ_MODE_DATA

static const struct err_case err_cases[] = {
        /* -ENOENT: not in the catalog, or not valid in this mode */
        { MH, "3c0206 0c0006", -ENOENT, 3, 12, 0, 0x06 },
        { MH, "010306", -ENOENT, 0, 1, 3, 0x06 },
        { MH, "290006", -ENOENT, 0, 41, 0, 0x06 },
        { MH, "500006", -ENOENT, 0, 80, 0, 0x06 },
        { MD, "010006", -ENOENT, 0, 1, 0, 0x06 },                        /* variation 0 with data */
        { MD, "1e0000000100", -ENOENT, 0, 30, 0, 0x00 },
        { MD, "3c0106", -ENOENT, 0, 60, 1, 0x06 },                       /* class objects with data */
        { MD, "3c010701", -ENOENT, 0, 60, 1, 0x07 },
        { MD, "7001070100", -ENOENT, 0, 112, 1, 0x07 },
        /* -EPROTO: qualifier unknown or not allowed */
        { MH, "010002000000000100000000", -EPROTO, 0, 1, 0, 0x02 },         /* 32-bit range */
        { MH, "010009ffffffff", -EPROTO, 0, 1, 0, 0x09 },
        { MH, "01000b", -EPROTO, 0, 1, 0, 0x0b },
        { MH, "01005b0100", -EPROTO, 0, 1, 0, 0x5b },
        { MD, "1e015b01000500010000000000", -EPROTO, 0, 30, 1, 0x5b },       /* no catalog object is free-format */
        { MD, "1e0106", -EPROTO, 0, 30, 1, 0x06 },                       /* ALL carries no data */
        { MD, "01010701ff", -EPROTO, 0, 1, 1, 0x07 },                    /* packed: range only */
        { MD, "0101170101ff", -EPROTO, 0, 1, 1, 0x17 },
        { MD, "0301280100010000", -EPROTO, 0, 3, 1, 0x28 },
        { MD, "500108010001", -EPROTO, 0, 80, 1, 0x08 },
        { MD, "1e01390100", -EPROTO, 0, 30, 1, 0x39 },
        /* -ERANGE: stop < start */
        { MH, "1e010005040000", -ERANGE, 0, 30, 1, 0x00 },
        { MH, "3c0106 1e01010002ff01", -ERANGE, 3, 30, 1, 0x01 },
        { MD, "1e010101000000", -ERANGE, 0, 30, 1, 0x01 },
        /* -EBADMSG: truncated */
        { MH, "1e", -EBADMSG, 0, 30, 0, 0 },
        { MH, "3c0106 1e01", -EBADMSG, 3, 30, 1, 0 },
        { MH, "1e0100 05", -EBADMSG, 0, 30, 1, 0x00 },
        { MH, "1e0101 0000 01", -EBADMSG, 0, 30, 1, 0x01 },
        { MH, "1e0108 01", -EBADMSG, 0, 30, 1, 0x08 },
        { MH, "1e0128 0200 0100 02", -EBADMSG, 0, 30, 1, 0x28 },           /* index list short */
        { MH, "1e0117 03 0102", -EBADMSG, 0, 30, 1, 0x17 },
        { MD, "1e010000010100000000010000 00", -EBADMSG, 0, 30, 1, 0x00 },  /* 2 x 5 bytes, 9 there */
        { MD, "01010000 10 ffff", -EBADMSG, 0, 1, 1, 0x00 },                /* 17 bits need 3 bytes */
        { MD, "03010000 04 ff", -EBADMSG, 0, 3, 1, 0x00 },                  /* 5 dbits need 2 bytes */
        { MD, "6e0507 02 0102030405 01020304", -EBADMSG, 0, 110, 5, 0x07 },
        { MD, "0c01170100 03016400000064000000", -EBADMSG, 0, 12, 1, 0x17 },
        { MD, "32010701 a7a182524c", -EBADMSG, 0, 50, 1, 0x07 },
        /* -EINVAL: relative time without CTO, zero-length octets */
        { MD, "02030701 010000", -EINVAL, 0, 2, 3, 0x07 },
        { MD, "1e0100000001 00000000 04032801 0000 01 0000", -EINVAL, 10, 4, 3, 0x28 },
        { MD, "33010700 02030701 010000", -EINVAL, 4, 2, 3, 0x07 },         /* CTO header without an object */
        /* a CTO so near the end of 48-bit time that CTO + offset would pass it */
        { MD, "33010701 ffffffffffff 02030701 010500", -EINVAL, 10, 2, 3, 0x07 },
        { MD, "33010701 0100ffffffff 04032801 0000 41 0000", -EINVAL, 10, 4, 3, 0x28 },
        { MD, "6e000701", -EINVAL, 0, 110, 0, 0x07 },
        { MD, "6f000000", -EINVAL, 0, 111, 0, 0x00 },
};

/* The latest CTO that relative times may use: CTO + 65535 ms is the last 48-bit time. */
static void test_cto_end_of_time(void **state)
{
        (void)state;
        uint8_t p[64];
        size_t n = unhex("33010701 0000ffffffff 02030701 01ffff", p, sizeof(p));
        memset(&col, 0, sizeof(col));
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, &col_vis, &col, NULL), 0);
        assert_int_equal(col.nv, 2);
        assert_int_equal(col.v[0].time, DNPTIME_MAX - 65535);
        assert_int_equal(col.v[1].time, DNPTIME_MAX);
        assert_int_equal(col.v[1].time_kind, DNP_TIME_REL);
}

static void test_errors(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
                const struct err_case *t = &err_cases[i];
                uint8_t p[256];
                size_t n = unhex(t->hex, p, sizeof(p));
                struct obj_parse_err e = { .offset = 12345 };
                memset(&col, 0, sizeof(col));
                int r = obj_parse(p, n, t->mode, &col_vis, &col, &e);
                if (r != t->err)
                        print_message("case %zu: %s -> %d\n", i, t->hex, r);
                assert_int_equal(r, t->err);
                assert_int_equal(col.nh + col.nv, 0);   /* visitor never called */
                assert_int_equal(e.offset, t->off);
                assert_int_equal(e.group, t->group);
                assert_int_equal(e.var, t->var);
                assert_int_equal(e.qual, t->qual);
                assert_int_equal(obj_err_iin(r),
                                 r == -ENOENT ? APP_IIN_OBJECT_UNKNOWN : APP_IIN_PARAMETER_ERROR);
                /* validate-only gives the same answer; NULL ret_err is fine */
                assert_int_equal(obj_parse(p, n, t->mode, NULL, NULL, NULL), t->err);
        }
}

static void test_relative_time_needs_cto_only_with_data(void **state)
{
        (void)state;
        uint8_t p[32];
        /* READ g2v3 needs no CTO */
        size_t n = unhex("020306 04030701", p, sizeof(p));
        assert_int_equal(obj_parse(p, n, OBJ_MODE_HEADERS, NULL, NULL, NULL), 0);
        /* a count of zero carries no relative object */
        n = unhex("02030700", p, sizeof(p));
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, NULL, NULL, NULL), 0);
        /* unsynchronized CTO (g51v2) counts; the last CTO object wins */
        n = unhex("33020702 100000000000 200000000000 04030701 81 0500", p, sizeof(p));
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, &col_vis, memset(&col, 0, sizeof(col)), NULL), 0);
        assert_int_equal(col.nv, 3);
        assert_int_equal(col.v[2].time, 0x20 + 5);
        assert_int_equal(col.v[2].v.dbit, DNP_DBIT_ON);
        assert_int_equal(col.v[2].flags, 0x81);
        assert_int_equal(col.v[2].index, 0);
}

static void test_empty_and_zero_count(void **state)
{
        (void)state;
        uint8_t p[16];
        assert_int_equal(obj_parse(NULL, 0, OBJ_MODE_DATA, &col_vis, memset(&col, 0, sizeof(col)), NULL), 0);
        assert_int_equal(col.nh, 0);
        size_t n = unhex("1e010700", p, sizeof(p));
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, &col_vis, memset(&col, 0, sizeof(col)), NULL), 0);
        assert_int_equal(col.nh, 1);
        assert_int_equal(col.nv, 0);
}

static void test_validate_first(void **state)
{
        (void)state;
        uint8_t p[64];
        /* a good g30v1 header with an object, then an unknown object */
        size_t n = unhex("1e01000000 01 05000000 1e6306", p, sizeof(p));
        struct obj_parse_err e;
        memset(&col, 0, sizeof(col));
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, &col_vis, &col, &e), -ENOENT);
        assert_int_equal(col.nh, 0);
        assert_int_equal(col.nv, 0);
        assert_int_equal(e.offset, 10);
        assert_int_equal(e.group, 30);
        assert_int_equal(e.var, 0x63);
        /* a good CROB, then a truncated one: no control may be visited */
        n = unhex("0c01280100 0000 0301640000006400000000 0c012801000100 03", p, sizeof(p));
        memset(&col, 0, sizeof(col));
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, &col_vis, &col, &e), -EBADMSG);
        assert_int_equal(col.nh + col.nv, 0);
        assert_int_equal(e.offset, 18);
        /* the same without the bad header is visited */
        assert_int_equal(obj_parse(p, 18, OBJ_MODE_DATA, &col_vis, memset(&col, 0, sizeof(col)), &e), 0);
        assert_int_equal(col.nv, 1);
}

static void test_visitor_stop(void **state)
{
        (void)state;
        uint8_t p[64];
        size_t n = unhex("1e040000030100020003000400", p, sizeof(p));
        memset(&col, 0, sizeof(col));
        col.stop_at = 2;
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, &col_vis, &col, NULL), 7);
        assert_int_equal(col.nv, 2);
        assert_true(col.v[1].v.analog == 2.0);
        /* on_header only */
        const struct obj_visitor hv = { .on_header = col_hdr };
        memset(&col, 0, sizeof(col));
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, &hv, &col, NULL), 0);
        assert_int_equal(col.nh, 1);
        assert_int_equal(col.nv, 0);
}

static void test_caps(void **state)
{
        (void)state;
        static uint8_t p[3 * 130];
        for (unsigned i = 0; i < 130; i++) {
                p[3 * i] = 60;
                p[3 * i + 1] = 1;
                p[3 * i + 2] = 6;
        }
        struct obj_parse_err e;
        assert_int_equal(obj_parse(p, 3 * OBJ_MAX_HEADERS_HEADERS_MODE, OBJ_MODE_HEADERS, NULL, NULL, &e), 0);
        assert_int_equal(obj_parse(p, 3 * 129, OBJ_MODE_HEADERS, NULL, NULL, &e), -E2BIG);
        assert_int_equal(e.offset, 3 * 128);
        assert_int_equal(e.group, 60);
        assert_int_equal(obj_err_iin(-E2BIG), APP_IIN_PARAMETER_ERROR);
        /* the header cap is for READ-like requests; in data mode the bytes bound the headers */
        static uint8_t q[4 * 200];
        for (unsigned i = 0; i < 200; i++) {
                q[4 * i] = 30;
                q[4 * i + 1] = 1;
                q[4 * i + 2] = 0x07;
                q[4 * i + 3] = 0;
        }
        assert_int_equal(obj_parse(q, sizeof(q), OBJ_MODE_DATA, NULL, NULL, NULL), 0);
        /* largest range: 0..65535 = 65536 objects (the per-header cap) */
        static uint8_t big[7 + 65536 / 8];
        size_t n = unhex("010101 0000 ffff", big, 7);
        assert_int_equal(n, 7);
        memset(big + 7, 0xa5, sizeof(big) - 7);
        memset(&col, 0, sizeof(col));
        const struct obj_visitor hv = { .on_header = col_hdr };
        assert_int_equal(obj_parse(big, sizeof(big), OBJ_MODE_DATA, &hv, &col, NULL), 0);
        assert_int_equal(col.h[0].count, OBJ_MAX_PER_HEADER);
        assert_int_equal(obj_parse(big, sizeof(big) - 1, OBJ_MODE_DATA, NULL, NULL, NULL), -EBADMSG);
}

/* Big headers: the validation pass checks count*size up front. */
static void test_huge_count_truncated(void **state)
{
        (void)state;
        uint8_t p[16];
        /* g32v8 (15 bytes) x 65535 with index prefix: 1.1 MB claimed, 4 bytes there */
        size_t n = unhex("200828ffff00000000", p, sizeof(p));
        struct obj_parse_err e;
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, NULL, NULL, &e), -EBADMSG);
        assert_int_equal(e.group, 32);
        assert_int_equal(e.var, 8);
        n = unhex("6fff08ffff00", p, sizeof(p));
        assert_int_equal(obj_parse(p, n, OBJ_MODE_DATA, NULL, NULL, &e), -EBADMSG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_catalog_size_and_lookup),
                cmocka_unit_test(test_catalog_entries),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_mode_for_func),
                cmocka_unit_test(test_err_iin),
                cmocka_unit_test(test_roundtrip_data_every_entry),
                cmocka_unit_test(test_roundtrip_headers_every_entry),
                cmocka_unit_test(test_golden_read_class1230),
                cmocka_unit_test(test_golden_static_response),
                cmocka_unit_test(test_golden_integrity_response),
                cmocka_unit_test(test_golden_cto_relative_events),
                cmocka_unit_test(test_golden_controls),
                cmocka_unit_test(test_golden_time_and_iin),
                cmocka_unit_test(test_golden_outside_catalog),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_cto_end_of_time),
                cmocka_unit_test(test_relative_time_needs_cto_only_with_data),
                cmocka_unit_test(test_empty_and_zero_count),
                cmocka_unit_test(test_validate_first),
                cmocka_unit_test(test_visitor_stop),
                cmocka_unit_test(test_caps),
                cmocka_unit_test(test_huge_count_truncated),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
