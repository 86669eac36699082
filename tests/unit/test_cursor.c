/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the bounds-checked cursor (src/dnp3/cursor.h): every reader
 * on exact and short input, every writer on exact and short space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnp3/cursor.h"

static const uint8_t seq[16] = {
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

/* A reader on short input: -EBADMSG, cursor unchanged, output untouched. */
#define CHECK_SHORT(fn, type, width)                                            \
        do {                                                                    \
                for (size_t have = 0; have < (width); have++) {                 \
                        struct rd sc;                                           \
                        type sout;                                              \
                        memset(&sout, 0x5a, sizeof(sout));                      \
                        type before = sout;                                     \
                        rd_init(&sc, seq, have);                                \
                        assert_int_equal(fn(&sc, &sout), -EBADMSG);             \
                        assert_ptr_equal(sc.p, seq);                            \
                        assert_int_equal(sc.len, have);                         \
                        assert_memory_equal(&sout, &before, sizeof(sout));      \
                }                                                               \
        } while (0)

static void test_rd_init(void **state)
{
        (void)state;
        struct rd c;

        rd_init(&c, seq, sizeof(seq));
        assert_ptr_equal(c.p, seq);
        assert_int_equal(rd_left(&c), 16);

        rd_init(&c, NULL, 99);          /* NULL buffer: nothing to read */
        assert_int_equal(rd_left(&c), 0);
        uint8_t b = 0x77;
        assert_int_equal(rd_u8(&c, &b), -EBADMSG);
        assert_int_equal(b, 0x77);
        /* Zero-length operations on an empty cursor are fine (and UB-free). */
        struct rd sub;
        assert_int_equal(rd_skip(&c, 0), 0);
        assert_int_equal(rd_bytes(&c, &b, 0), 0);
        assert_int_equal(rd_sub(&c, 0, &sub), 0);
        assert_int_equal(rd_left(&sub), 0);
        assert_int_equal(rd_skip(&c, 1), -EBADMSG);
}

static void test_rd_u8(void **state)
{
        (void)state;
        struct rd c;
        uint8_t v = 0;

        rd_init(&c, seq, 1);
        assert_int_equal(rd_u8(&c, &v), 0);
        assert_int_equal(v, 0x01);
        assert_int_equal(rd_left(&c), 0);
        assert_ptr_equal(c.p, seq + 1);
        v = 0x99;
        assert_int_equal(rd_u8(&c, &v), -EBADMSG);
        assert_int_equal(v, 0x99);
        assert_ptr_equal(c.p, seq + 1);

        CHECK_SHORT(rd_u8, uint8_t, 1);
}

static void test_rd_le16(void **state)
{
        (void)state;
        struct rd c;
        uint16_t v = 0;

        rd_init(&c, seq, 2);
        assert_int_equal(rd_le16(&c, &v), 0);
        assert_int_equal(v, 0x0201);
        assert_int_equal(rd_left(&c), 0);
        assert_ptr_equal(c.p, seq + 2);

        const uint8_t hi[2] = { 0xfe, 0xff };
        rd_init(&c, hi, 2);
        assert_int_equal(rd_le16(&c, &v), 0);
        assert_int_equal(v, 0xfffe);

        CHECK_SHORT(rd_le16, uint16_t, 2);
}

static void test_rd_le32(void **state)
{
        (void)state;
        struct rd c;
        uint32_t v = 0;

        rd_init(&c, seq, 5);
        assert_int_equal(rd_le32(&c, &v), 0);
        assert_int_equal(v, 0x04030201u);
        assert_int_equal(rd_left(&c), 1);
        assert_ptr_equal(c.p, seq + 4);

        const uint8_t hi[4] = { 0x00, 0x00, 0x00, 0x80 };
        rd_init(&c, hi, 4);
        assert_int_equal(rd_le32(&c, &v), 0);
        assert_int_equal(v, 0x80000000u);

        CHECK_SHORT(rd_le32, uint32_t, 4);
}

static void test_rd_le48(void **state)
{
        (void)state;
        struct rd c;
        uint64_t v = 0;

        rd_init(&c, seq, 6);
        assert_int_equal(rd_le48(&c, &v), 0);
        assert_true(v == 0x060504030201ull);
        assert_int_equal(rd_left(&c), 0);
        assert_ptr_equal(c.p, seq + 6);

        /* DNP3 time: 48-bit ms since epoch, all ones is the maximum */
        const uint8_t hi[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        rd_init(&c, hi, 6);
        assert_int_equal(rd_le48(&c, &v), 0);
        assert_true(v == 0xffffffffffffull);

        CHECK_SHORT(rd_le48, uint64_t, 6);
}

static void test_rd_le64(void **state)
{
        (void)state;
        struct rd c;
        uint64_t v = 0;

        rd_init(&c, seq, 9);
        assert_int_equal(rd_le64(&c, &v), 0);
        assert_true(v == 0x0807060504030201ull);
        assert_int_equal(rd_left(&c), 1);
        assert_ptr_equal(c.p, seq + 8);

        CHECK_SHORT(rd_le64, uint64_t, 8);
}

static void test_rd_f32(void **state)
{
        (void)state;
        struct rd c;
        float v = 0;

        /* IEEE 754 single 1.5 = 0x3fc00000, sent low byte first */
        const uint8_t b15[4] = { 0x00, 0x00, 0xc0, 0x3f };
        rd_init(&c, b15, 4);
        assert_int_equal(rd_f32(&c, &v), 0);
        assert_true(v == 1.5f);
        assert_int_equal(rd_left(&c), 0);

        const uint8_t bm[4] = { 0x00, 0x00, 0x20, 0xc1 };  /* -10.0 */
        rd_init(&c, bm, 4);
        assert_int_equal(rd_f32(&c, &v), 0);
        assert_true(v == -10.0f);

        CHECK_SHORT(rd_f32, float, 4);
}

static void test_rd_f64(void **state)
{
        (void)state;
        struct rd c;
        double v = 0;

        /* IEEE 754 double 1.5 = 0x3ff8000000000000 */
        const uint8_t b15[8] = { 0, 0, 0, 0, 0, 0, 0xf8, 0x3f };
        rd_init(&c, b15, 8);
        assert_int_equal(rd_f64(&c, &v), 0);
        assert_true(v == 1.5);
        assert_int_equal(rd_left(&c), 0);

        CHECK_SHORT(rd_f64, double, 8);
}

static void test_float_round_trip(void **state)
{
        (void)state;
        const float fv[] = { 0.0f, -0.0f, 1.0f, -1.0f, 3.14159265f, 1e-38f, 3.4e38f,
                             123456.789f };
        const double dv[] = { 0.0, -0.0, 1.0, -2.5, 3.141592653589793, 1e-308, 1.7e308,
                              -123456789.123456789 };
        uint8_t buf[8];
        struct wr w;
        struct rd c;

        for (size_t i = 0; i < sizeof(fv) / sizeof(fv[0]); i++) {
                float out;
                wr_init(&w, buf, 4);
                assert_int_equal(wr_f32(&w, fv[i]), 0);
                assert_int_equal(w.len, 4);
                rd_init(&c, buf, 4);
                assert_int_equal(rd_f32(&c, &out), 0);
                assert_memory_equal(&out, &fv[i], sizeof(out));  /* bit-exact, keeps -0 */
        }
        for (size_t i = 0; i < sizeof(dv) / sizeof(dv[0]); i++) {
                double out;
                wr_init(&w, buf, 8);
                assert_int_equal(wr_f64(&w, dv[i]), 0);
                assert_int_equal(w.len, 8);
                rd_init(&c, buf, 8);
                assert_int_equal(rd_f64(&c, &out), 0);
                assert_memory_equal(&out, &dv[i], sizeof(out));
        }

        /* Known encodings */
        wr_init(&w, buf, 8);
        assert_int_equal(wr_f32(&w, -10.0f), 0);
        const uint8_t m10[4] = { 0x00, 0x00, 0x20, 0xc1 };
        assert_memory_equal(buf, m10, 4);
        wr_init(&w, buf, 8);
        assert_int_equal(wr_f64(&w, 1.5), 0);
        const uint8_t d15[8] = { 0, 0, 0, 0, 0, 0, 0xf8, 0x3f };
        assert_memory_equal(buf, d15, 8);
}

static void test_rd_sub(void **state)
{
        (void)state;
        struct rd c, sub = { .p = NULL, .len = 77 };

        rd_init(&c, seq, 10);
        assert_int_equal(rd_sub(&c, 11, &sub), -EBADMSG);
        assert_ptr_equal(c.p, seq);
        assert_int_equal(c.len, 10);
        assert_null(sub.p);
        assert_int_equal(sub.len, 77);

        assert_int_equal(rd_sub(&c, (size_t)-1, &sub), -EBADMSG);
        assert_int_equal(c.len, 10);

        assert_int_equal(rd_sub(&c, 4, &sub), 0);
        assert_ptr_equal(sub.p, seq);
        assert_int_equal(sub.len, 4);
        assert_ptr_equal(c.p, seq + 4);
        assert_int_equal(c.len, 6);

        /* the sub-cursor is bounded by its own length */
        uint32_t v;
        assert_int_equal(rd_le32(&sub, &v), 0);
        assert_int_equal(v, 0x04030201u);
        uint8_t b = 0x33;
        assert_int_equal(rd_u8(&sub, &b), -EBADMSG);
        assert_int_equal(b, 0x33);

        assert_int_equal(rd_sub(&c, 0, &sub), 0);     /* empty sub */
        assert_int_equal(sub.len, 0);
        assert_int_equal(c.len, 6);

        assert_int_equal(rd_sub(&c, 6, &sub), 0);     /* exactly the rest */
        assert_ptr_equal(sub.p, seq + 4);
        assert_int_equal(c.len, 0);
}

static void test_rd_skip(void **state)
{
        (void)state;
        struct rd c;

        rd_init(&c, seq, 5);
        assert_int_equal(rd_skip(&c, 6), -EBADMSG);
        assert_ptr_equal(c.p, seq);
        assert_int_equal(c.len, 5);
        assert_int_equal(rd_skip(&c, (size_t)-1), -EBADMSG);
        assert_int_equal(c.len, 5);
        assert_int_equal(rd_skip(&c, 0), 0);
        assert_int_equal(c.len, 5);
        assert_int_equal(rd_skip(&c, 2), 0);
        assert_ptr_equal(c.p, seq + 2);
        assert_int_equal(c.len, 3);
        assert_int_equal(rd_skip(&c, 3), 0);
        assert_int_equal(c.len, 0);
        assert_int_equal(rd_skip(&c, 1), -EBADMSG);
}

static void test_rd_bytes(void **state)
{
        (void)state;
        struct rd c;
        uint8_t out[8];

        memset(out, 0xee, sizeof(out));
        rd_init(&c, seq, 3);
        assert_int_equal(rd_bytes(&c, out, 4), -EBADMSG);
        assert_ptr_equal(c.p, seq);
        assert_int_equal(c.len, 3);
        for (size_t i = 0; i < sizeof(out); i++)
                assert_int_equal(out[i], 0xee);

        assert_int_equal(rd_bytes(&c, out, 0), 0);
        assert_int_equal(c.len, 3);
        assert_int_equal(out[0], 0xee);

        assert_int_equal(rd_bytes(&c, out, 3), 0);
        assert_memory_equal(out, seq, 3);
        assert_int_equal(out[3], 0xee);
        assert_int_equal(c.len, 0);
        assert_ptr_equal(c.p, seq + 3);

}

static void test_rd_sequence(void **state)
{
        (void)state;
        struct rd c;
        uint8_t a;
        uint16_t b;
        uint32_t d;
        uint64_t e;

        /* 1 + 2 + 4 + 6 = 13 bytes, then 3 left: an le32 must fail */
        rd_init(&c, seq, 16);
        assert_int_equal(rd_u8(&c, &a), 0);
        assert_int_equal(rd_le16(&c, &b), 0);
        assert_int_equal(rd_le32(&c, &d), 0);
        assert_int_equal(rd_le48(&c, &e), 0);
        assert_int_equal(a, 0x01);
        assert_int_equal(b, 0x0302);
        assert_int_equal(d, 0x07060504u);
        assert_true(e == 0x0d0c0b0a0908ull);
        assert_int_equal(rd_left(&c), 3);
        d = 0x12345678u;
        assert_int_equal(rd_le32(&c, &d), -EBADMSG);
        assert_int_equal(d, 0x12345678u);
        assert_int_equal(rd_left(&c), 3);
        assert_ptr_equal(c.p, seq + 13);
}

/* A writer without room: -ENOBUFS, len unchanged, nothing written. */
#define CHECK_WR_FULL(call, width)                                              \
        do {                                                                    \
                for (size_t cap = 0; cap < (width); cap++) {                    \
                        uint8_t buf[16];                                        \
                        struct wr w;                                            \
                        memset(buf, 0xcc, sizeof(buf));                         \
                        wr_init(&w, buf, cap);                                  \
                        assert_int_equal(call, -ENOBUFS);                       \
                        assert_int_equal(w.len, 0);                             \
                        for (size_t i = 0; i < sizeof(buf); i++)                \
                                assert_int_equal(buf[i], 0xcc);                 \
                }                                                               \
        } while (0)

static void test_wr_init(void **state)
{
        (void)state;
        uint8_t buf[4];
        struct wr w;

        wr_init(&w, buf, sizeof(buf));
        assert_int_equal(wr_left(&w), 4);
        assert_int_equal(w.len, 0);
        wr_init(&w, NULL, 100);
        assert_int_equal(wr_left(&w), 0);
        assert_int_equal(wr_u8(&w, 1), -ENOBUFS);
        assert_int_equal(w.len, 0);
        uint8_t *at = NULL;
        assert_int_equal(wr_reserve(&w, 0, &at), 0);
        assert_non_null(at);
        assert_int_equal(wr_bytes(&w, buf, 0), 0);
        assert_int_equal(w.len, 0);
}

static void test_wr_ints(void **state)
{
        (void)state;
        uint8_t buf[32];
        struct wr w;

        memset(buf, 0xcc, sizeof(buf));
        wr_init(&w, buf, 1 + 2 + 4 + 6 + 8);
        assert_int_equal(wr_u8(&w, 0xab), 0);
        assert_int_equal(wr_le16(&w, 0x1234), 0);
        assert_int_equal(wr_le32(&w, 0xdeadbeefu), 0);
        assert_int_equal(wr_le48(&w, 0x0000665544332211ull), 0);
        assert_int_equal(wr_le64(&w, 0x8877665544332211ull), 0);
        assert_int_equal(w.len, 21);
        assert_int_equal(wr_left(&w), 0);
        const uint8_t want[21] = {
                0xab, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde,
                0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
        };
        assert_memory_equal(buf, want, sizeof(want));
        assert_int_equal(buf[21], 0xcc);

        /* full: every writer refuses and leaves the buffer alone */
        assert_int_equal(wr_u8(&w, 1), -ENOBUFS);
        assert_int_equal(wr_le16(&w, 1), -ENOBUFS);
        assert_int_equal(w.len, 21);
        assert_int_equal(buf[21], 0xcc);

        /* wr_le48 keeps only the low 48 bits */
        wr_init(&w, buf, 6);
        assert_int_equal(wr_le48(&w, 0xffff010203040506ull), 0);
        const uint8_t w48[6] = { 0x06, 0x05, 0x04, 0x03, 0x02, 0x01 };
        assert_memory_equal(buf, w48, 6);

        /* round trip through the reader */
        struct rd c;
        uint64_t v;
        rd_init(&c, buf, 6);
        assert_int_equal(rd_le48(&c, &v), 0);
        assert_true(v == 0x010203040506ull);
}

static void test_wr_short(void **state)
{
        (void)state;

        CHECK_WR_FULL(wr_u8(&w, 0x11), 1);
        CHECK_WR_FULL(wr_le16(&w, 0x1122), 2);
        CHECK_WR_FULL(wr_le32(&w, 0x11223344u), 4);
        CHECK_WR_FULL(wr_le48(&w, 0x112233445566ull), 6);
        CHECK_WR_FULL(wr_le64(&w, 0x1122334455667788ull), 8);
        CHECK_WR_FULL(wr_f32(&w, 1.0f), 4);
        CHECK_WR_FULL(wr_f64(&w, 1.0), 8);
        CHECK_WR_FULL(wr_bytes(&w, seq, 5), 5);
}

static void test_wr_partial_space(void **state)
{
        (void)state;
        uint8_t buf[8];
        struct wr w;

        /* 3 bytes used of 5: a 4-byte write does not fit, a 2-byte one does */
        memset(buf, 0xcc, sizeof(buf));
        wr_init(&w, buf, 5);
        assert_int_equal(wr_bytes(&w, seq, 3), 0);
        assert_int_equal(wr_le32(&w, 0xffffffffu), -ENOBUFS);
        assert_int_equal(w.len, 3);
        assert_int_equal(buf[3], 0xcc);
        assert_int_equal(buf[4], 0xcc);
        assert_int_equal(wr_le16(&w, 0xbbaa), 0);
        assert_int_equal(w.len, 5);
        const uint8_t want[6] = { 0x01, 0x02, 0x03, 0xaa, 0xbb, 0xcc };
        assert_memory_equal(buf, want, 6);
}

static void test_wr_bytes_reserve_patch(void **state)
{
        (void)state;
        uint8_t buf[8];
        struct wr w;
        uint8_t *p = NULL;

        memset(buf, 0xcc, sizeof(buf));
        wr_init(&w, buf, 6);
        assert_int_equal(wr_bytes(&w, seq, 0), 0);
        assert_int_equal(w.len, 0);
        assert_int_equal(wr_reserve(&w, 7, &p), -ENOBUFS);
        assert_null(p);
        assert_int_equal(w.len, 0);
        assert_int_equal(wr_reserve(&w, 2, &p), 0);
        assert_ptr_equal(p, buf);
        assert_int_equal(w.len, 2);
        assert_int_equal(wr_bytes(&w, seq, 4), 0);
        assert_int_equal(w.len, 6);
        assert_int_equal(wr_bytes(&w, seq, 1), -ENOBUFS);
        assert_int_equal(w.len, 6);
        wr_patch_le16(&w, 0, 0x0a0b);
        const uint8_t want[7] = { 0x0b, 0x0a, 0x01, 0x02, 0x03, 0x04, 0xcc };
        assert_memory_equal(buf, want, sizeof(want));

        p = NULL;
        assert_int_equal(wr_reserve(&w, 0, &p), 0);   /* zero bytes at the end */
        assert_ptr_equal(p, buf + 6);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rd_init),
                cmocka_unit_test(test_rd_u8),
                cmocka_unit_test(test_rd_le16),
                cmocka_unit_test(test_rd_le32),
                cmocka_unit_test(test_rd_le48),
                cmocka_unit_test(test_rd_le64),
                cmocka_unit_test(test_rd_f32),
                cmocka_unit_test(test_rd_f64),
                cmocka_unit_test(test_float_round_trip),
                cmocka_unit_test(test_rd_sub),
                cmocka_unit_test(test_rd_skip),
                cmocka_unit_test(test_rd_bytes),
                cmocka_unit_test(test_rd_sequence),
                cmocka_unit_test(test_wr_init),
                cmocka_unit_test(test_wr_ints),
                cmocka_unit_test(test_wr_short),
                cmocka_unit_test(test_wr_partial_space),
                cmocka_unit_test(test_wr_bytes_reserve_patch),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
