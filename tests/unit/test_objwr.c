/* SPDX-License-Identifier: MIT */
/*
 * APDU writer: exact bytes (real requests/responses from the ITI captures
 * re-encoded byte for byte), fragment limits, header removal, qualifier
 * limits, analog rounding/clamping, packed bits, CTO + relative time.
 */
#include <errno.h>
#include <math.h>
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


static void expect_bytes(const struct apdu_wr *a, const char *hex)
{
        uint8_t want[512];
        size_t n = unhex(hex, want, sizeof(want));
        assert_int_equal(apdu_wr_len(a), n);
        assert_memory_equal(a->w.p, want, n);
}

struct collect {
        struct obj_hdr h[64];
        size_t nh;
        struct dnp_value v[1024];
        size_t nv;
};

static int col_hdr(void *ctx, const struct obj_hdr *h)
{
        struct collect *c = ctx;
        assert_true(c->nh < 64);
        c->h[c->nh++] = *h;
        return 0;
}

static int col_val(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct collect *c = ctx;
        (void)h;
        assert_true(c->nv < 1024);
        c->v[c->nv++] = *v;
        return 0;
}

static struct collect col;

/* Parse what the writer produced (header included). */
static void parse_written(const struct apdu_wr *a)
{
        static const struct obj_visitor vis = { .on_header = col_hdr, .on_value = col_val };
        struct rd r;
        struct apdu_hdr h;
        rd_init(&r, a->w.p, apdu_wr_len(a));
        assert_int_equal(apdu_parse_hdr(&r, &h), 0);
        memset(&col, 0, sizeof(col));
        assert_int_equal(obj_parse(r.p, rd_left(&r), obj_mode_for_func(h.func), &vis, &col, NULL), 0);
}

static const struct apdu_hdr rsp = { .fir = true, .fin = true, .func = APP_FUNC_RESPONSE };
static uint8_t buf[4096];

/* ---- requests --------------------------------------------------------- */

static void test_read_class1230(void **state)
{
        (void)state;
        struct apdu_wr a;
        struct apdu_hdr h = { .fir = true, .fin = true, .seq = 0, .func = APP_FUNC_READ };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        assert_int_equal(apdu_wr_header(&a, 60, 2, OBJ_QUAL_ALL, 0, 0), 0);
        assert_int_equal(apdu_wr_header(&a, 60, 3, OBJ_QUAL_ALL, 0, 0), 0);
        assert_int_equal(apdu_wr_header(&a, 60, 4, OBJ_QUAL_ALL, 0, 0), 0);
        assert_int_equal(apdu_wr_header(&a, 60, 1, OBJ_QUAL_ALL, 0, 0), 0);
        /* read_and_response.pcap frame 4 */
        expect_bytes(&a, "C0 01 3C 02 06 3C 03 06 3C 04 06 3C 01 06");
}

static void test_requests_from_captures(void **state)
{
        (void)state;
        struct apdu_wr a;
        /* enable_unsolicited_and_response.pcap frame 4 */
        struct apdu_hdr h = { .fir = true, .fin = true, .func = APP_FUNC_ENABLE_UNSOLICITED };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        for (uint8_t v = 2; v <= 4; v++)
                assert_int_equal(apdu_wr_header(&a, 60, v, OBJ_QUAL_ALL, 0, 0), 0);
        expect_bytes(&a, "c0143c02063c03063c0406");

        /* immediate_freeze.pcap frame 1 */
        h = (struct apdu_hdr){ .fir = true, .fin = true, .seq = 2, .func = APP_FUNC_IMMED_FREEZE };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        assert_int_equal(apdu_wr_header(&a, 20, 0, OBJ_QUAL_ALL, 0, 0), 0);
        expect_bytes(&a, "c207140006");

        /* write_iin_and_response.pcap frame 4: clear DEVICE_RESTART */
        h = (struct apdu_hdr){ .fir = true, .fin = true, .func = APP_FUNC_WRITE };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        assert_int_equal(apdu_wr_begin(&a, 80, 1, OBJ_QUAL_RANGE8, 7), 0);
        struct dnp_value v = { .index = 7, .v.bit = false };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        assert_int_equal(apdu_wr_end(&a), 0);
        expect_bytes(&a, "c002500100070700");

        /* select_operate_and_responses.pcap frame 4: SELECT CROB LATCH_ON */
        h = (struct apdu_hdr){ .fir = true, .fin = true, .func = APP_FUNC_SELECT };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        assert_int_equal(apdu_wr_begin(&a, 12, 1, OBJ_QUAL_INDEX16, 0), 0);
        v = (struct dnp_value){ .index = 0,
                                .v.crob = { .code = 3, .count = 1, .on_ms = 100, .off_ms = 100 } };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        expect_bytes(&a, "c0030c0128010000000301640000006400000000");

        /* direct_operate_analog_output.pcap: g41v2 index 1 value 0 */
        h = (struct apdu_hdr){ .fir = true, .fin = true, .seq = 2, .func = APP_FUNC_DIRECT_OPERATE };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        assert_int_equal(apdu_wr_begin(&a, 41, 2, OBJ_QUAL_INDEX16, 0), 0);
        v = (struct dnp_value){ .index = 1, .v.ao = { .value = 0.0 } };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        expect_bytes(&a, "c20529022801000100000000");

        /* serial_time_sync.pcap frame 3: WRITE g50v1 */
        h = (struct apdu_hdr){ .fir = true, .fin = true, .seq = 8, .func = APP_FUNC_WRITE };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        assert_int_equal(apdu_wr_begin(&a, 50, 1, OBJ_QUAL_COUNT8, 0), 0);
        v = (struct dnp_value){ .time = UINT64_C(1427313435047) };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        expect_bytes(&a, "c80232010701a7a182524c01");

        /* READ specific points: index list, no data */
        h = (struct apdu_hdr){ .fir = true, .fin = true, .seq = 1, .func = APP_FUNC_READ };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        assert_int_equal(apdu_wr_begin(&a, 30, 1, OBJ_QUAL_INDEX8, 0), 0);
        for (uint32_t i = 3; i <= 9; i += 6) {
                v = (struct dnp_value){ .index = i };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        assert_int_equal(apdu_wr_header(&a, 1, 2, OBJ_QUAL_RANGE16, 0x102, 0x1ff), 0);
        assert_int_equal(apdu_wr_header(&a, 2, 0, OBJ_QUAL_COUNT8, 0, 10), 0);
        assert_int_equal(apdu_wr_header(&a, 32, 0, OBJ_QUAL_COUNT16, 0, 0x1234), 0);
        expect_bytes(&a, "c101 1e011702 03 09 010201 0201 ff01 020007 0a 200008 3412");
}

/* ---- responses re-encoded byte for byte ------------------------------- */

static void test_static_response_capture(void **state)
{
        (void)state;
        struct apdu_wr a;
        struct apdu_hdr h = { .fir = true, .fin = true, .seq = 7, .func = APP_FUNC_RESPONSE };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        static const bool bi[6] = { 1, 0, 0, 1, 1, 0 };
        assert_int_equal(apdu_wr_begin(&a, 1, 1, OBJ_QUAL_RANGE8, 0), 0);
        for (uint32_t i = 0; i < 6; i++) {
                struct dnp_value v = { .index = i, .v.bit = bi[i] };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        static const bool bo[6] = { 1, 0, 1, 1, 0, 0 };
        assert_int_equal(apdu_wr_begin(&a, 10, 2, OBJ_QUAL_RANGE8, 0), 0);
        for (uint32_t i = 0; i < 6; i++) {
                /* the state comes from v.bit, not from flags bit 7 */
                struct dnp_value v = { .index = i, .flags = bo[i] ? 0x01 : 0x81, .v.bit = bo[i] };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        struct dnp_value c = { .index = 0, .v.count = 32 };
        assert_int_equal(apdu_wr_begin(&a, 20, 5, OBJ_QUAL_RANGE8, 0), 0);
        assert_int_equal(apdu_wr_value(&a, &c), 0);
        c.v.count = 0;
        assert_int_equal(apdu_wr_begin(&a, 21, 9, OBJ_QUAL_RANGE8, 0), 0);
        assert_int_equal(apdu_wr_value(&a, &c), 0);
        static const double ai[7] = { 202, 203, 201, -1, 8550, 8537, 8523 };
        assert_int_equal(apdu_wr_begin(&a, 30, 3, OBJ_QUAL_RANGE8, 0), 0);
        for (uint32_t i = 0; i < 7; i++) {
                struct dnp_value v = { .index = i, .flags = 0x01, .v.analog = ai[i] };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        assert_int_equal(apdu_wr_end(&a), 0);
        /* dnp3_test_data_part1.pcap frame 141 */
        expect_bytes(&a, "c7810000 0101000005 19 0a0200000581 01 81 81 01 01 1405000000 20000000"
                         " 1509000000 00000000 1e03000006 ca000000 cb000000 c9000000 ffffffff"
                         " 66210000 59210000 4b210000");
}

#define CTO_TIME UINT64_C(1097489794018)

static void test_unsolicited_cto_capture(void **state)
{
        (void)state;
        struct apdu_wr a;
        struct apdu_hdr h = { .fir = true, .fin = true, .con = true, .uns = true, .seq = 3,
                              .func = APP_FUNC_UNSOLICITED_RESPONSE };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        assert_int_equal(apdu_wr_cto(&a, CTO_TIME, true), 0);
        assert_int_equal(apdu_wr_begin(&a, 2, 3, OBJ_QUAL_INDEX16, 0), 0);
        static const uint32_t idx[5] = { 0, 1, 2, 0, 1 };
        static const bool val[5] = { 0, 1, 1, 1, 0 };
        static const uint64_t rel[5] = { 0, 0, 0, 1011, 1011 };
        for (unsigned i = 0; i < 5; i++) {
                struct dnp_value v = { .index = idx[i], .flags = 0x01, .v.bit = val[i],
                                       .time = CTO_TIME + rel[i], .time_kind = DNP_TIME_REL };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        assert_int_equal(apdu_wr_begin(&a, 32, 1, OBJ_QUAL_INDEX16, 0), 0);
        for (uint32_t i = 0; i < 3; i++) {
                struct dnp_value v = { .index = i, .flags = 0x01, .v.analog = 0 };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        assert_int_equal(apdu_wr_end(&a), 0);
        /* dnp3_test_data_part1.pcap frame 40 */
        expect_bytes(&a, "f3820000 33010701e2437d87ff00 0203280500 000001 0000 010081 0000 020081 0000"
                         " 000081 f303 010001 f303 2001280300 000001 00000000 010001 00000000"
                         " 020001 00000000");
}

static void test_relative_time_limits(void **state)
{
        (void)state;
        struct apdu_wr a;
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rsp), 0);
        assert_int_equal(apdu_wr_begin(&a, 4, 3, OBJ_QUAL_COUNT8, 0), 0);
        struct dnp_value v = { .flags = 1, .v.dbit = DNP_DBIT_ON, .time = 5000 };
        assert_int_equal(apdu_wr_value(&a, &v), -EINVAL);      /* no CTO */
        assert_int_equal(apdu_wr_cto(&a, 1000, false), 0);
        assert_int_equal(apdu_wr_begin(&a, 4, 3, OBJ_QUAL_COUNT8, 0), 0);
        v.time = 999;
        assert_int_equal(apdu_wr_value(&a, &v), -EINVAL);      /* before the CTO */
        v.time = 1000 + 65536;
        assert_int_equal(apdu_wr_value(&a, &v), -EINVAL);      /* too far after it */
        v.time = 1000 + 65535;                                  /* the largest offset */
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        v.time = 1000;
        v.v.dbit = DNP_DBIT_INDETERMINATE;
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        v.v.dbit = 4;
        assert_int_equal(apdu_wr_value(&a, &v), -EINVAL);      /* no such double-bit state */
        expect_bytes(&a, "c0810000 33020701 e80300000000 04030702 81ffff c10000");
        parse_written(&a);
        assert_int_equal(col.nv, 3);
        assert_int_equal(col.v[1].time, 1000 + 65535);
        assert_int_equal(col.v[1].time_kind, DNP_TIME_REL);
        assert_int_equal(col.v[2].v.dbit, DNP_DBIT_INDETERMINATE);
        /* a new fragment forgets the CTO */
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rsp), 0);
        assert_int_equal(apdu_wr_begin(&a, 2, 3, OBJ_QUAL_COUNT8, 0), 0);
        v.time = 1000;
        assert_int_equal(apdu_wr_value(&a, &v), -EINVAL);
        /* a g51 object written as a value sets the CTO too */
        assert_int_equal(apdu_wr_begin(&a, 51, 1, OBJ_QUAL_COUNT8, 0), 0);
        struct dnp_value cto = { .time = 900 };
        assert_int_equal(apdu_wr_value(&a, &cto), 0);
        assert_int_equal(apdu_wr_begin(&a, 2, 3, OBJ_QUAL_COUNT8, 0), 0);
        v.v.bit = true;
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        expect_bytes(&a, "c0810000 33010701 840300000000 02030701 816400");
        /* a CTO in a READ makes no sense */
        struct apdu_hdr rd = { .func = APP_FUNC_READ };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rd), 0);
        assert_int_equal(apdu_wr_cto(&a, 1000, true), -EPROTO);
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rsp), 0);
        assert_int_equal(apdu_wr_cto(&a, UINT64_C(1) << 48, true), -ERANGE);
        assert_int_equal(apdu_wr_len(&a), 4);
}

/*
 * apdu_wr_begin_cto: CTO (10 bytes), g2v3/g4v3 header (5) and first object (5)
 * go in together or not at all, so a fragment never ends with a CTO whose
 * relative-time objects went to the next fragment.
 */
static void test_begin_cto_all_or_nothing(void **state)
{
        (void)state;
        struct apdu_wr a;
        uint8_t frag[4 + 20 + 19];
        struct dnp_value v = { .index = 258, .flags = 1, .v.bit = true, .time = 5000 };
        assert_int_equal(apdu_wr_init(&a, frag, sizeof(frag), &rsp), 0);
        assert_int_equal(apdu_wr_begin_cto(&a, 2, 3, OBJ_QUAL_INDEX16, 0, &v, true), 0);
        v.index = 259;
        v.time = 5000 + 65535;
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        expect_bytes(&a, "c0810000 33010701 881300000000 02032802 00 0201 81 0000 0301 81 ffff");
        /* 14 bytes left: no room for CTO + header + object; nothing changes */
        v.index = 4;
        v.time = 4999;
        assert_int_equal(apdu_wr_begin_cto(&a, 4, 3, OBJ_QUAL_INDEX16, 0, &v, false), -ENOBUFS);
        assert_int_equal(apdu_wr_len(&a), 4 + 20 + 5);
        assert_true(a.cto_valid);
        assert_int_equal(a.cto, 5000);
        /* an object that cannot be encoded (double-bit state 4) takes its CTO back */
        assert_int_equal(apdu_wr_init(&a, frag, sizeof(frag), &rsp), 0);
        v.v.dbit = 4;
        assert_int_equal(apdu_wr_begin_cto(&a, 4, 3, OBJ_QUAL_INDEX16, 0, &v, false), -EINVAL);
        assert_int_equal(apdu_wr_len(&a), 4);
        assert_false(a.cto_valid);
        /* exactly 20 bytes left: fits; unsynchronized -> g51v2 */
        uint8_t exact[4 + 20];
        assert_int_equal(apdu_wr_init(&a, exact, sizeof(exact), &rsp), 0);
        v.v.dbit = DNP_DBIT_ON;
        v.flags = 0x01;
        assert_int_equal(apdu_wr_begin_cto(&a, 4, 3, OBJ_QUAL_INDEX16, 0, &v, false), 0);
        expect_bytes(&a, "c0810000 33020701 871300000000 04032801 00 0400 81 0000");
        parse_written(&a);
        assert_int_equal(col.nv, 2);
        assert_int_equal(col.v[1].time, 4999);
        assert_int_equal(col.v[1].index, 4);
        /* only relative-time objects take a CTO */
        assert_int_equal(apdu_wr_init(&a, frag, sizeof(frag), &rsp), 0);
        assert_int_equal(apdu_wr_begin_cto(&a, 2, 2, OBJ_QUAL_INDEX16, 0, &v, true), -EINVAL);
        assert_int_equal(apdu_wr_begin_cto(&a, 2, 9, OBJ_QUAL_INDEX16, 0, &v, true), -ENOENT);
        assert_int_equal(apdu_wr_len(&a), 4);
}

/* ---- fragment limits --------------------------------------------------- */

static void test_fill_to_limit_and_continue(void **state)
{
        (void)state;
        struct apdu_wr a;
        /* 4 APDU header + 7 object header + 10 x 5 = 61 */
        uint8_t frag[61];
        assert_int_equal(apdu_wr_init(&a, frag, sizeof(frag), &rsp), 0);
        assert_int_equal(apdu_wr_begin(&a, 30, 1, OBJ_QUAL_RANGE16, 0), 0);
        uint32_t i = 0;
        int r;
        for (;; i++) {
                struct dnp_value v = { .index = i, .flags = 1, .v.analog = 1000.0 + i };
                r = apdu_wr_value(&a, &v);
                if (r)
                        break;
        }
        assert_int_equal(r, -ENOBUFS);
        assert_int_equal(i, 10);
        assert_int_equal(apdu_wr_len(&a), 61);
        assert_int_equal(apdu_wr_left(&a), 0);
        assert_int_equal(apdu_wr_end(&a), 0);
        assert_int_equal(apdu_wr_len(&a), 61);
        parse_written(&a);
        assert_int_equal(col.nh, 1);
        assert_int_equal(col.h[0].start, 0);
        assert_int_equal(col.h[0].stop, 9);
        assert_int_equal(col.nv, 10);
        for (uint32_t k = 0; k < 10; k++) {
                assert_int_equal(col.v[k].index, k);
                assert_true(col.v[k].v.analog == 1000.0 + k);
        }
        /* continue with index 10 in the next fragment */
        assert_int_equal(apdu_wr_init(&a, frag, sizeof(frag), &rsp), 0);
        assert_int_equal(apdu_wr_begin(&a, 30, 1, OBJ_QUAL_RANGE16, i), 0);
        for (; i < 15; i++) {
                struct dnp_value v = { .index = i, .flags = 1, .v.analog = 1000.0 + i };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        assert_int_equal(apdu_wr_end(&a), 0);
        parse_written(&a);
        assert_int_equal(col.h[0].start, 10);
        assert_int_equal(col.h[0].stop, 14);
        assert_int_equal(col.nv, 5);
        assert_true(col.v[4].v.analog == 1014.0);
}

static void test_no_room_for_first_object(void **state)
{
        (void)state;
        struct apdu_wr a;
        uint8_t frag[4 + 7 + 4];        /* one byte short of header + object */
        assert_int_equal(apdu_wr_init(&a, frag, sizeof(frag), &rsp), 0);
        assert_int_equal(apdu_wr_begin(&a, 30, 1, OBJ_QUAL_RANGE16, 3), 0);
        struct dnp_value v = { .index = 3, .flags = 1, .v.analog = 1 };
        assert_int_equal(apdu_wr_value(&a, &v), -ENOBUFS);
        assert_int_equal(apdu_wr_len(&a), 4);   /* no header without objects */
        assert_int_equal(apdu_wr_end(&a), 0);
        parse_written(&a);
        assert_int_equal(col.nh, 0);
        /* index-prefixed: the prefix counts too */
        uint8_t f2[4 + 5 + 2 + 7 + 2 + 6];   /* header + one g2v2 q=0x28, one byte short of two */
        assert_int_equal(apdu_wr_init(&a, f2, sizeof(f2), &rsp), 0);
        assert_int_equal(apdu_wr_begin(&a, 2, 2, OBJ_QUAL_INDEX16, 0), 0);
        v = (struct dnp_value){ .index = 300, .flags = 1, .v.bit = true, .time = 77 };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        assert_int_equal(apdu_wr_value(&a, &v), -ENOBUFS);
        expect_bytes(&a, "c0810000 02022801 00 2c01 81 4d0000000000");
        /* too small even for the APDU header */
        assert_int_equal(apdu_wr_init(&a, f2, 3, &rsp), -ENOBUFS);
        struct apdu_hdr rq = { .func = APP_FUNC_READ };
        assert_int_equal(apdu_wr_init(&a, f2, 2, &rq), 0);
        assert_int_equal(apdu_wr_header(&a, 60, 1, OBJ_QUAL_ALL, 0, 0), -ENOBUFS);
        assert_int_equal(apdu_wr_len(&a), 2);
}

static void test_header_removed_when_empty(void **state)
{
        (void)state;
        struct apdu_wr a;
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rsp), 0);
        assert_int_equal(apdu_wr_begin(&a, 30, 1, OBJ_QUAL_RANGE16, 0), 0);
        assert_int_equal(apdu_wr_end(&a), 0);
        assert_int_equal(apdu_wr_len(&a), 4);
        /* begin after an empty begin: only the second header appears */
        assert_int_equal(apdu_wr_begin(&a, 30, 1, OBJ_QUAL_RANGE16, 0), 0);
        assert_int_equal(apdu_wr_begin(&a, 20, 6, OBJ_QUAL_COUNT8, 0), 0);
        struct dnp_value v = { .v.count = 0x1234 };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        assert_int_equal(apdu_wr_end(&a), 0);
        expect_bytes(&a, "c0810000 14060701 3412");
        /* a value with no header open */
        assert_int_equal(apdu_wr_value(&a, &v), -EINVAL);
}

/* ---- qualifier limits -------------------------------------------------- */

static void test_qualifier_limits(void **state)
{
        (void)state;
        struct apdu_wr a;
        struct dnp_value v = { .flags = 1 };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rsp), 0);

        /* range: consecutive indexes only */
        assert_int_equal(apdu_wr_begin(&a, 1, 2, OBJ_QUAL_RANGE8, 5), 0);
        v.index = 6;
        assert_int_equal(apdu_wr_value(&a, &v), -EINVAL);
        v.index = 5;
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        v.index = 7;
        assert_int_equal(apdu_wr_value(&a, &v), -EINVAL);
        v.index = 6;
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        expect_bytes(&a, "c0810000 01020005 06 01 01");

        /* RANGE8 ends at 255 */
        assert_int_equal(apdu_wr_begin(&a, 1, 2, OBJ_QUAL_RANGE8, 256), -ERANGE);
        assert_int_equal(apdu_wr_begin(&a, 1, 2, OBJ_QUAL_RANGE8, 255), 0);
        v.index = 255;
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        v.index = 256;
        assert_int_equal(apdu_wr_value(&a, &v), -ERANGE);
        assert_int_equal(apdu_wr_begin(&a, 1, 2, OBJ_QUAL_RANGE16, 65536), -ERANGE);

        /* INDEX8: index must fit the prefix */
        assert_int_equal(apdu_wr_begin(&a, 1, 2, OBJ_QUAL_INDEX8, 0), 0);
        v.index = 256;
        assert_int_equal(apdu_wr_value(&a, &v), -ERANGE);
        v.index = 255;
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        assert_int_equal(apdu_wr_begin(&a, 1, 2, OBJ_QUAL_INDEX16, 0), 0);
        v.index = 65536;
        assert_int_equal(apdu_wr_value(&a, &v), -ERANGE);

        /* COUNT8 holds 255 objects */
        assert_int_equal(apdu_wr_begin(&a, 2, 1, OBJ_QUAL_COUNT8, 0), 0);
        for (unsigned i = 0; i < 255; i++)
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        assert_int_equal(apdu_wr_value(&a, &v), -ERANGE);
        assert_int_equal(apdu_wr_end(&a), 0);
        parse_written(&a);
        assert_int_equal(col.nh, 4);
        assert_int_equal(col.h[3].count, 255);

        /* packed formats take range qualifiers only; ALL and 0x5b never carry objects */
        assert_int_equal(apdu_wr_begin(&a, 1, 1, OBJ_QUAL_COUNT8, 0), -EPROTO);
        assert_int_equal(apdu_wr_begin(&a, 3, 1, OBJ_QUAL_INDEX16, 0), -EPROTO);
        assert_int_equal(apdu_wr_begin(&a, 30, 1, OBJ_QUAL_ALL, 0), -EPROTO);
        assert_int_equal(apdu_wr_begin(&a, 30, 1, OBJ_QUAL_FREE16, 0), -EPROTO);
        assert_int_equal(apdu_wr_begin(&a, 30, 1, 0x02, 0), -EPROTO);
        /* variation 0 and class objects carry no data */
        assert_int_equal(apdu_wr_begin(&a, 30, 0, OBJ_QUAL_RANGE8, 0), -ENOENT);
        assert_int_equal(apdu_wr_begin(&a, 60, 1, OBJ_QUAL_COUNT8, 0), -ENOENT);
        assert_int_equal(apdu_wr_begin(&a, 110, 0, OBJ_QUAL_COUNT8, 0), -EINVAL);
        assert_int_equal(apdu_wr_begin(&a, 99, 1, OBJ_QUAL_COUNT8, 0), -ENOENT);
        /* data-less headers belong to requests */
        assert_int_equal(apdu_wr_header(&a, 30, 1, OBJ_QUAL_RANGE8, 0, 3), -EPROTO);
        assert_int_equal(apdu_wr_header(&a, 99, 1, OBJ_QUAL_ALL, 0, 0), -ENOENT);

        struct apdu_hdr rq = { .func = APP_FUNC_READ };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rq), 0);
        assert_int_equal(apdu_wr_header(&a, 30, 1, OBJ_QUAL_RANGE8, 4, 3), -ERANGE);
        assert_int_equal(apdu_wr_header(&a, 30, 1, OBJ_QUAL_RANGE8, 0, 256), -ERANGE);
        assert_int_equal(apdu_wr_header(&a, 30, 1, OBJ_QUAL_RANGE16, 0, 65536), -ERANGE);
        assert_int_equal(apdu_wr_header(&a, 30, 1, OBJ_QUAL_COUNT8, 0, 256), -ERANGE);
        assert_int_equal(apdu_wr_header(&a, 30, 1, OBJ_QUAL_INDEX8, 0, 1), -EPROTO);
        assert_int_equal(apdu_wr_header(&a, 30, 1, OBJ_QUAL_FREE16, 0, 1), -EPROTO);
        assert_int_equal(apdu_wr_len(&a), 2);
}

/* ---- values ------------------------------------------------------------ */

static void test_analog_rounding_and_over_range(void **state)
{
        (void)state;
        struct apdu_wr a;
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rsp), 0);
        static const double in[] = { 40000, -40000, 1.5, -1.5, 2.4999, -0.5, 32767.49, 32767.5,
                                     -32768.5, NAN, 0.5 };
        assert_int_equal(apdu_wr_begin(&a, 30, 2, OBJ_QUAL_RANGE8, 0), 0);
        for (uint32_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
                struct dnp_value v = { .index = i, .flags = 0x01, .v.analog = in[i] };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        expect_bytes(&a, "c0810000 1e02 00 00 0a"
                         " 21ff7f 210080 010200 01feff 010200 01ffff 01ff7f 21ff7f 210080 210000 010100");
        /* g30v1: 32-bit clamp; g30v4 has no flag to carry OVER_RANGE */
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rsp), 0);
        assert_int_equal(apdu_wr_begin(&a, 30, 1, OBJ_QUAL_RANGE8, 0), 0);
        struct dnp_value v = { .index = 0, .flags = 0x01, .v.analog = 3e9 };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        v = (struct dnp_value){ .index = 1, .flags = 0x41, .v.analog = -2147483648.4 };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        v = (struct dnp_value){ .index = 2, .flags = 0x01, .v.analog = -2147483648.5 };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        assert_int_equal(apdu_wr_begin(&a, 30, 4, OBJ_QUAL_RANGE8, 0), 0);
        v = (struct dnp_value){ .index = 0, .flags = 0x01, .v.analog = 1e6 };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        /* g41v2 command: clamped, status kept */
        assert_int_equal(apdu_wr_begin(&a, 41, 2, OBJ_QUAL_INDEX8, 0), 0);
        v = (struct dnp_value){ .index = 9, .v.ao = { .value = -1e6, .status = 0 } };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        /* f32 narrowing keeps the value (nearest float), no flag */
        assert_int_equal(apdu_wr_begin(&a, 30, 5, OBJ_QUAL_RANGE8, 0), 0);
        v = (struct dnp_value){ .index = 0, .flags = 0x01, .v.analog = 0.1 };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        assert_int_equal(apdu_wr_begin(&a, 30, 6, OBJ_QUAL_RANGE8, 0), 0);
        v = (struct dnp_value){ .index = 0, .flags = 0x01, .v.analog = 0.1 };
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        expect_bytes(&a, "c0810000 1e01000002 21ffffff7f 4100000080 2100000080"
                         " 1e04000000 ff7f 29021701 09 0080 00"
                         " 1e05000000 01cdcccc3d 1e06000000 019a9999999999b93f");
        parse_written(&a);
        assert_int_equal(col.nv, 7);
        assert_true(col.v[0].v.analog == 2147483647.0);
        assert_int_equal(col.v[0].flags, 0x21);
        assert_true(col.v[1].v.analog == -2147483648.0);
        assert_int_equal(col.v[1].flags, 0x41);
        assert_true(col.v[5].v.analog == (double)0.1f);
        assert_true(col.v[6].v.analog == 0.1);
}

static void test_packed_bits(void **state)
{
        (void)state;
        struct apdu_wr a;
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rsp), 0);
        /* 10 bits across a byte boundary: 1101 0011 01 */
        static const bool bits[10] = { 1, 0, 1, 1, 0, 0, 1, 1, 0, 1 };
        assert_int_equal(apdu_wr_begin(&a, 1, 1, OBJ_QUAL_RANGE8, 3), 0);
        for (uint32_t i = 0; i < 10; i++) {
                struct dnp_value v = { .index = 3 + i, .flags = 0x80, .v.bit = bits[i] };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        /* 5 double-bits: OFF ON INDETERMINATE INTERMEDIATE | ON */
        static const uint8_t dbits[5] = { 1, 2, 3, 0, 2 };
        assert_int_equal(apdu_wr_begin(&a, 3, 1, OBJ_QUAL_RANGE16, 0x100), 0);
        for (uint32_t i = 0; i < 5; i++) {
                struct dnp_value v = { .index = 0x100 + i, .v.dbit = dbits[i] };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        struct dnp_value bad = { .index = 0x105, .v.dbit = 5 };
        assert_int_equal(apdu_wr_value(&a, &bad), -EINVAL);
        assert_int_equal(apdu_wr_end(&a), 0);
        expect_bytes(&a, "c0810000 010100030c cd02 03010100010401 39 02");
        parse_written(&a);
        assert_int_equal(col.nv, 15);
        for (unsigned i = 0; i < 10; i++) {
                assert_int_equal(col.v[i].index, 3 + i);
                assert_int_equal(col.v[i].v.bit, bits[i]);
        }
        for (unsigned i = 0; i < 5; i++) {
                assert_int_equal(col.v[10 + i].v.dbit, dbits[i]);
                assert_int_equal(col.v[10 + i].flags, 0x01 | dbits[i] << 6);
        }

        /* the 9th bit needs a new byte: -ENOBUFS at an exact limit */
        uint8_t frag[4 + 5 + 1];
        assert_int_equal(apdu_wr_init(&a, frag, sizeof(frag), &rsp), 0);
        assert_int_equal(apdu_wr_begin(&a, 10, 1, OBJ_QUAL_RANGE8, 0), 0);
        for (uint32_t i = 0; i < 8; i++) {
                struct dnp_value v = { .index = i, .v.bit = i == 7 };
                assert_int_equal(apdu_wr_value(&a, &v), 0);
        }
        struct dnp_value v9 = { .index = 8, .v.bit = true };
        assert_int_equal(apdu_wr_value(&a, &v9), -ENOBUFS);
        expect_bytes(&a, "c0810000 0a01000007 80");
}

static void test_other_values(void **state)
{
        (void)state;
        struct apdu_wr a;
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &rsp), 0);
        /* u16 counters keep the low 16 bits; time beyond 48 bits is refused */
        assert_int_equal(apdu_wr_begin(&a, 22, 6, OBJ_QUAL_INDEX8, 0), 0);
        struct dnp_value v = { .index = 4, .flags = 0x41, .v.count = 0x12345, .time = UINT64_C(1) << 48 };
        assert_int_equal(apdu_wr_value(&a, &v), -ERANGE);
        v.time = (UINT64_C(1) << 48) - 1;
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        /* octet strings: length must be the variation */
        uint8_t s[3] = { 'a', 'b', 'c' };
        assert_int_equal(apdu_wr_begin(&a, 110, 3, OBJ_QUAL_RANGE8, 1), 0);
        struct dnp_value o = { .index = 1, .v.octets = { .p = s, .len = 2 } };
        assert_int_equal(apdu_wr_value(&a, &o), -EINVAL);
        o.v.octets.len = 3;
        assert_int_equal(apdu_wr_value(&a, &o), 0);
        /* g52 delay, g12 CROB */
        assert_int_equal(apdu_wr_begin(&a, 52, 1, OBJ_QUAL_COUNT8, 0), 0);
        struct dnp_value d = { .v.delay = 0xbeef };
        assert_int_equal(apdu_wr_value(&a, &d), 0);
        expect_bytes(&a, "c0810000 16061701 04 41 4523 ffffffffffff 6e03000101 616263 34010701 efbe");
}

static void test_set_hdr_and_app(void **state)
{
        (void)state;
        struct apdu_wr a;
        struct apdu_hdr h = { .fir = true, .seq = 5, .func = APP_FUNC_RESPONSE, .iin = 0x0080 };
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        expect_bytes(&a, "85 81 80 00");
        h.fin = true;
        h.con = true;
        h.iin = APP_IIN_DEVICE_RESTART | APP_IIN_PARAMETER_ERROR;
        apdu_wr_set_hdr(&a, &h);
        expect_bytes(&a, "e5 81 80 04");

        /* app helpers used by the writer */
        assert_string_equal(app_func_name(APP_FUNC_DIRECT_OPERATE_NR), "DIRECT_OPERATE_NR");
        assert_string_equal(app_func_name(129), "RESPONSE");
        assert_null(app_func_name(34));
        assert_null(app_func_name(128));
        assert_null(app_func_name(255));
        assert_true(app_func_is_response(131));
        assert_false(app_func_is_response(1));
        char s[64];
        assert_string_equal(app_iin_format(0x0482, s, sizeof(s)), "CLASS1_EVENTS DEVICE_RESTART PARAMETER_ERROR");
        assert_string_equal(app_iin_format(0, s, sizeof(s)), "");
        assert_string_equal(app_iin_format(0x0482, s, 20), "CLASS1_EVENTS");
        assert_string_equal(app_iin_bit_name(7), "DEVICE_RESTART");
        uint8_t p[4] = { 0xc3, 0x81, 0x00 };
        struct rd r;
        rd_init(&r, p, 3);
        assert_int_equal(apdu_parse_hdr(&r, &h), -EBADMSG);
        assert_int_equal(rd_left(&r), 3);
        p[3] = 0x04;
        rd_init(&r, p, 4);
        assert_int_equal(apdu_parse_hdr(&r, &h), 0);
        assert_int_equal(rd_left(&r), 0);
        assert_int_equal(h.iin, 0x0400);
        assert_int_equal(h.seq, 3);
        assert_true(h.fir && h.fin && !h.con && !h.uns);
        assert_int_equal(apdu_ctrl_byte(&h), 0xc3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_class1230),
                cmocka_unit_test(test_requests_from_captures),
                cmocka_unit_test(test_static_response_capture),
                cmocka_unit_test(test_unsolicited_cto_capture),
                cmocka_unit_test(test_relative_time_limits),
                cmocka_unit_test(test_begin_cto_all_or_nothing),
                cmocka_unit_test(test_fill_to_limit_and_continue),
                cmocka_unit_test(test_no_room_for_first_object),
                cmocka_unit_test(test_header_removed_when_empty),
                cmocka_unit_test(test_qualifier_limits),
                cmocka_unit_test(test_analog_rounding_and_over_range),
                cmocka_unit_test(test_packed_bits),
                cmocka_unit_test(test_other_values),
                cmocka_unit_test(test_set_hdr_and_app),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
