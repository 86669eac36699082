/* SPDX-License-Identifier: MIT */
/*
 * Application layer header (app.h) and DNP3 time (dnptime.h).
 *
 * Golden headers are from the ITI ICS-Security-Tools captures (CC BY 4.0):
 * read_and_response, unsolcited_response_and_confirm, select_operate_and_responses,
 * cold_restart_and_response, full_exchange, dnp3_test_data_part1/2,
 * auth_control_challenge_response.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dnp3/app.h"
#include "dnp3/cursor.h"
#include "dnp3/dnptime.h"

/* ---- app.h ------------------------------------------------------------- */

struct golden_hdr {
        uint8_t bytes[4];
        size_t len;
        struct apdu_hdr h;
};

static const struct golden_hdr goldens[] = {
        /* READ class 1/2/3/0 (read_and_response): FIR FIN seq 0 */
        { { 0xc0, 0x01 }, 2, { .fir = true, .fin = true, .seq = 0, .func = APP_FUNC_READ } },
        /* CONFIRM of an unsolicited response: FIR FIN UNS seq 0 */
        { { 0xd0, 0x00 }, 2,
          { .fir = true, .fin = true, .uns = true, .seq = 0, .func = APP_FUNC_CONFIRM } },
        /* OPERATE seq 1 (select_operate_and_responses) */
        { { 0xc1, 0x04 }, 2, { .fir = true, .fin = true, .seq = 1, .func = APP_FUNC_OPERATE } },
        /* RESPONSE, IIN 00 00 (read_and_response) */
        { { 0xc0, 0x81, 0x00, 0x00 }, 4,
          { .fir = true, .fin = true, .seq = 0, .func = APP_FUNC_RESPONSE, .iin = 0 } },
        /* RESPONSE to COLD_RESTART, IIN2.0 NO_FUNC_CODE_SUPPORT */
        { { 0xc0, 0x81, 0x00, 0x01 }, 4,
          { .fir = true, .fin = true, .seq = 0, .func = APP_FUNC_RESPONSE,
            .iin = APP_IIN_NO_FUNC_CODE_SUPPORT } },
        /* UNSOLICITED null response, CON, IIN1.7 DEVICE_RESTART (full_exchange) */
        { { 0xf0, 0x82, 0x80, 0x00 }, 4,
          { .fir = true, .fin = true, .con = true, .uns = true, .seq = 0,
            .func = APP_FUNC_UNSOLICITED_RESPONSE, .iin = APP_IIN_DEVICE_RESTART } },
        /* UNSOLICITED seq 7, IIN1.4 NEED_TIME (dnp3_test_data_part1) */
        { { 0xf7, 0x82, 0x10, 0x00 }, 4,
          { .fir = true, .fin = true, .con = true, .uns = true, .seq = 7,
            .func = APP_FUNC_UNSOLICITED_RESPONSE, .iin = APP_IIN_NEED_TIME } },
        /* RESPONSE seq 6, IIN1.7 + IIN1.4 (auth_control_challenge_response) */
        { { 0xc6, 0x81, 0x90, 0x00 }, 4,
          { .fir = true, .fin = true, .seq = 6, .func = APP_FUNC_RESPONSE,
            .iin = APP_IIN_DEVICE_RESTART | APP_IIN_NEED_TIME } },
        /* RESPONSE seq 3, IIN2.2 PARAMETER_ERROR (dnp3_test_data_part2) */
        { { 0xc3, 0x81, 0x00, 0x04 }, 4,
          { .fir = true, .fin = true, .seq = 3, .func = APP_FUNC_RESPONSE,
            .iin = APP_IIN_PARAMETER_ERROR } },
};

static void assert_hdr_equal(const struct apdu_hdr *a, const struct apdu_hdr *b)
{
        assert_int_equal(a->fir, b->fir);
        assert_int_equal(a->fin, b->fin);
        assert_int_equal(a->con, b->con);
        assert_int_equal(a->uns, b->uns);
        assert_int_equal(a->seq, b->seq);
        assert_int_equal(a->func, b->func);
        assert_int_equal(a->iin, b->iin);
}

static void test_hdr_golden(void **state)
{
        (void)state;

        for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
                const struct golden_hdr *g = &goldens[i];
                uint8_t buf[8];
                struct wr w;
                struct rd c;
                struct apdu_hdr h;
                /* Trailing object bytes must be left for the object parser. */
                uint8_t in[6];

                memcpy(in, g->bytes, g->len);
                in[g->len] = 0x3c;
                in[g->len + 1] = 0x02;

                memset(&h, 0xa5, sizeof(h));
                rd_init(&c, in, g->len + 2);
                assert_int_equal(apdu_parse_hdr(&c, &h), 0);
                assert_hdr_equal(&h, &g->h);
                assert_int_equal(rd_left(&c), 2);
                assert_ptr_equal(c.p, in + g->len);

                assert_int_equal(apdu_ctrl_byte(&g->h), g->bytes[0]);

                memset(buf, 0xee, sizeof(buf));
                wr_init(&w, buf, sizeof(buf));
                assert_int_equal(apdu_write_hdr(&w, &g->h), 0);
                assert_int_equal(w.len, g->len);
                assert_memory_equal(buf, g->bytes, g->len);
                assert_int_equal(buf[g->len], 0xee);
        }
}

static void test_hdr_roundtrip(void **state)
{
        (void)state;
        static const uint8_t funcs[] = { 0, 1, 2, 5, 13, 20, 33, 129, 130, 131 };
        static const uint16_t iins[] = { 0x0000, 0x0001, 0x0080, 0x0100, 0x8000, 0x1234, 0xffff };
        unsigned n = 0;

        for (unsigned bits = 0; bits < 16; bits++)
                for (uint8_t seq = 0; seq < 16; seq++)
                        for (size_t f = 0; f < sizeof(funcs); f++)
                                for (size_t k = 0; k < sizeof(iins) / sizeof(iins[0]); k++) {
                                        bool rsp = funcs[f] >= 129;
                                        struct apdu_hdr h = {
                                                .fir = bits & 1, .fin = bits & 2,
                                                .con = bits & 4, .uns = bits & 8,
                                                .seq = seq, .func = funcs[f],
                                                .iin = rsp ? iins[k] : 0,
                                        };
                                        uint8_t buf[4];
                                        struct wr w;
                                        struct rd c;
                                        struct apdu_hdr got;

                                        wr_init(&w, buf, sizeof(buf));
                                        assert_int_equal(apdu_write_hdr(&w, &h), 0);
                                        assert_int_equal(w.len, rsp ? 4 : 2);
                                        uint8_t ctrl = (uint8_t)((bits & 1 ? 0x80 : 0) |
                                                                 (bits & 2 ? 0x40 : 0) |
                                                                 (bits & 4 ? 0x20 : 0) |
                                                                 (bits & 8 ? 0x10 : 0) | seq);
                                        assert_int_equal(buf[0], ctrl);
                                        assert_int_equal(apdu_ctrl_byte(&h), ctrl);
                                        assert_int_equal(buf[1], funcs[f]);
                                        if (rsp) {
                                                assert_int_equal(buf[2], h.iin & 0xff);
                                                assert_int_equal(buf[3], h.iin >> 8);
                                        }
                                        rd_init(&c, buf, w.len);
                                        assert_int_equal(apdu_parse_hdr(&c, &got), 0);
                                        assert_int_equal(rd_left(&c), 0);
                                        assert_hdr_equal(&got, &h);
                                        n++;
                                }
        assert_int_equal(n, 16 * 16 * 10 * 7);
}

static void test_hdr_request_iin_zero(void **state)
{
        (void)state;
        static const uint8_t in[] = { 0xc2, 0x02, 0x50, 0x01 };    /* WRITE g80v1 ... */
        struct rd c;
        struct apdu_hdr h;

        memset(&h, 0xff, sizeof(h));
        rd_init(&c, in, sizeof(in));
        assert_int_equal(apdu_parse_hdr(&c, &h), 0);
        assert_int_equal(h.iin, 0);
        assert_int_equal(h.seq, 2);
        assert_int_equal(h.func, APP_FUNC_WRITE);
        assert_int_equal(rd_left(&c), 2);
}

static void test_hdr_short(void **state)
{
        (void)state;
        static const uint8_t rsp[] = { 0xc0, 0x81, 0x80, 0x00 };
        static const uint8_t req[] = { 0xc0, 0x01 };
        struct apdu_hdr h, before;
        struct rd c;

        memset(&before, 0x5a, sizeof(before));
        /* Responses need 4 bytes, requests 2. */
        for (size_t n = 0; n < sizeof(rsp); n++) {
                h = before;
                rd_init(&c, rsp, n);
                assert_int_equal(apdu_parse_hdr(&c, &h), -EBADMSG);
                assert_memory_equal(&h, &before, sizeof(h));
        }
        for (size_t n = 0; n < sizeof(req); n++) {
                h = before;
                rd_init(&c, req, n);
                assert_int_equal(apdu_parse_hdr(&c, &h), -EBADMSG);
                assert_memory_equal(&h, &before, sizeof(h));
        }

        /* Writer: too small a buffer. */
        uint8_t buf[4];
        struct wr w;
        const struct apdu_hdr r = { .fir = true, .fin = true, .func = APP_FUNC_RESPONSE };
        const struct apdu_hdr q = { .fir = true, .fin = true, .func = APP_FUNC_READ };
        wr_init(&w, buf, 3);
        assert_int_equal(apdu_write_hdr(&w, &r), -ENOBUFS);
        wr_init(&w, buf, 1);
        assert_int_equal(apdu_write_hdr(&w, &q), -ENOBUFS);
}

/*
 * IEEE 1815-2012: the outstation sends no response to DIRECT_OPERATE_NR
 * (6), IMMED_FREEZE_NR (8), FREEZE_CLEAR_NR (10) and FREEZE_AT_TIME_NR
 * (12); every other request function is answered.
 */
static void test_func_no_response(void **state)
{
        (void)state;
        for (unsigned code = 0; code < 256; code++)
                assert_int_equal(app_func_no_response((uint8_t)code),
                                 code == 6 || code == 8 || code == 10 || code == 12);
}

static void test_func_names(void **state)
{
        (void)state;
        static const struct {
                uint8_t code;
                const char *name;
        } list[] = {
#define X(name, code) { code, #name },
                APP_FUNC_LIST(X)
#undef X
        };
        bool defined[256] = { false };

        assert_int_equal(sizeof(list) / sizeof(list[0]), 37);
        for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
                const char *s = app_func_name(list[i].code);
                assert_non_null(s);
                assert_string_equal(s, list[i].name);
                defined[list[i].code] = true;
        }
        for (unsigned code = 0; code < 256; code++) {
                if (!defined[code])
                        assert_null(app_func_name((uint8_t)code));
                assert_int_equal(app_func_is_response((uint8_t)code),
                                 code == 129 || code == 130 || code == 131);
        }
        assert_string_equal(app_func_name(0), "CONFIRM");
        assert_string_equal(app_func_name(5), "DIRECT_OPERATE");
        assert_string_equal(app_func_name(33), "AUTH_REQ_NO_ACK");
        assert_string_equal(app_func_name(129), "RESPONSE");
        assert_string_equal(app_func_name(130), "UNSOLICITED_RESPONSE");
        assert_null(app_func_name(34));
        assert_null(app_func_name(128));
        assert_null(app_func_name(132));
        assert_null(app_func_name(255));
}

static void test_iin(void **state)
{
        (void)state;
        char buf[512];
        static const char *const names[16] = {
                "BROADCAST", "CLASS1_EVENTS", "CLASS2_EVENTS", "CLASS3_EVENTS",
                "NEED_TIME", "LOCAL_CONTROL", "DEVICE_TROUBLE", "DEVICE_RESTART",
                "NO_FUNC_CODE_SUPPORT", "OBJECT_UNKNOWN", "PARAMETER_ERROR",
                "EVENT_BUFFER_OVERFLOW", "ALREADY_EXECUTING", "CONFIG_CORRUPT",
                "RESERVED_2_6", "RESERVED_2_7",
        };

        for (unsigned b = 0; b < 16; b++) {
                assert_string_equal(app_iin_bit_name(b), names[b]);
                assert_ptr_equal(app_iin_format((uint16_t)(1u << b), buf, sizeof(buf)), buf);
                assert_string_equal(buf, names[b]);
        }
        assert_int_equal(APP_IIN_DEVICE_RESTART, 0x0080);
        assert_int_equal(APP_IIN_NEED_TIME, 0x0010);
        assert_int_equal(APP_IIN_NO_FUNC_CODE_SUPPORT, 0x0100);
        assert_int_equal(APP_IIN_RESERVED_2_7, 0x8000);

        memset(buf, 'x', sizeof(buf));
        assert_string_equal(app_iin_format(0, buf, sizeof(buf)), "");
        /* IIN 90 00 from auth_control_challenge_response */
        assert_string_equal(app_iin_format(0x0090, buf, sizeof(buf)), "NEED_TIME DEVICE_RESTART");
        assert_string_equal(app_iin_format(APP_IIN_CLASS1_EVENTS | APP_IIN_OBJECT_UNKNOWN |
                                                   APP_IIN_PARAMETER_ERROR, buf, sizeof(buf)),
                            "CLASS1_EVENTS OBJECT_UNKNOWN PARAMETER_ERROR");
        assert_string_equal(app_iin_format(0xffff, buf, sizeof(buf)),
                            "BROADCAST CLASS1_EVENTS CLASS2_EVENTS CLASS3_EVENTS NEED_TIME "
                            "LOCAL_CONTROL DEVICE_TROUBLE DEVICE_RESTART NO_FUNC_CODE_SUPPORT "
                            "OBJECT_UNKNOWN PARAMETER_ERROR EVENT_BUFFER_OVERFLOW "
                            "ALREADY_EXECUTING CONFIG_CORRUPT RESERVED_2_6 RESERVED_2_7");

        /* A small buffer is never overrun and stays NUL-terminated. */
        char small[8];
        memset(buf, 0x5a, sizeof(buf));
        assert_ptr_equal(app_iin_format(0xffff, buf, sizeof(small)), buf);
        assert_true(strlen(buf) < sizeof(small));
        for (size_t i = sizeof(small); i < sizeof(buf); i++)
                assert_int_equal((uint8_t)buf[i], 0x5a);
}

/* ---- dnptime.h ----------------------------------------------------------- */

static const struct {
        uint64_t ms;
        const char *s;
} time_facts[] = {
        { 0, "1970-01-01T00:00:00.000Z" },
        { 1, "1970-01-01T00:00:00.001Z" },
        { 86399999, "1970-01-01T23:59:59.999Z" },
        { 86400000, "1970-01-02T00:00:00.000Z" },
        { 68169600000, "1972-02-29T00:00:00.000Z" },
        { 951782400000, "2000-02-29T00:00:00.000Z" },
        { 951868799999, "2000-02-29T23:59:59.999Z" },
        { 978307200000, "2001-01-01T00:00:00.000Z" },
        { 1234567890123, "2009-02-13T23:31:30.123Z" },
        { 1700000000123, "2023-11-14T22:13:20.123Z" },
        { 2147483647000, "2038-01-19T03:14:07.000Z" },
        { 4102444800000, "2100-01-01T00:00:00.000Z" },
        { 253402300799999, "9999-12-31T23:59:59.999Z" },
        { 253402300800000, "10000-01-01T00:00:00.000Z" },
        { DNPTIME_MAX, "10889-08-02T05:31:50.655Z" },
};

static void test_time_facts(void **state)
{
        (void)state;
        char buf[DNPTIME_BUF_LEN];

        assert_int_equal(DNPTIME_MAX, UINT64_C(281474976710655));
        for (size_t i = 0; i < sizeof(time_facts) / sizeof(time_facts[0]); i++) {
                uint64_t ms = 0;
                assert_ptr_equal(dnptime_format(time_facts[i].ms, buf, sizeof(buf)), buf);
                assert_string_equal(buf, time_facts[i].s);
                assert_int_equal(dnptime_parse(time_facts[i].s, &ms), 0);
                assert_int_equal(ms, time_facts[i].ms);
        }
        /* Up to 9999 the text fits the 25 bytes of the documented minimum. */
        char b25[25];
        dnptime_format(253402300799999, b25, sizeof(b25));
        assert_string_equal(b25, "9999-12-31T23:59:59.999Z");
}

static void test_time_parse_variants(void **state)
{
        (void)state;
        static const char *const ok[] = {
                "2000-02-29T00:00:00.000Z",
                "2000-02-29T00:00:00.000",
                "2000-02-29T00:00:00Z",
                "2000-02-29T00:00:00",
        };
        uint64_t ms;

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                ms = 1;
                assert_int_equal(dnptime_parse(ok[i], &ms), 0);
                assert_int_equal(ms, 951782400000);
        }
        assert_int_equal(dnptime_parse("2023-11-14T22:13:20.123", &ms), 0);
        assert_int_equal(ms, 1700000000123);
        assert_int_equal(dnptime_parse("1970-01-01T00:00:00", &ms), 0);
        assert_int_equal(ms, 0);
}

static void test_time_invalid(void **state)
{
        (void)state;
        static const char *const bad[] = {
                "",
                "Z",
                "2000",
                "2000-02-29",
                "2000-02-29T",
                "2000-02-29T00:00",
                "2000-02-30T00:00:00Z",         /* no Feb 30 */
                "2001-02-29T00:00:00Z",         /* 2001 is not a leap year */
                "2100-02-29T00:00:00Z",         /* nor is 2100 */
                "2000-04-31T00:00:00Z",
                "2000-13-01T00:00:00Z",
                "2000-00-01T00:00:00Z",
                "2000-01-00T00:00:00Z",
                "2000-01-01T24:00:00Z",
                "2000-01-01T00:60:00Z",
                "2000-01-01T00:00:60Z",         /* no leap seconds */
                "1969-12-31T23:59:59.999Z",     /* before the epoch */
                "1900-01-01T00:00:00Z",
                "10889-08-02T05:31:50.656Z",    /* DNPTIME_MAX + 1 */
                "20000-01-01T00:00:00Z",
                "02000-01-01T00:00:00Z",        /* 5-digit year with a leading zero */
                "200-01-01T00:00:00Z",
                "123456-01-01T00:00:00Z",
                "2000-1-01T00:00:00Z",
                "2000-01-1T00:00:00Z",
                "2000-01-01T0:00:00Z",
                "2000-01-01 00:00:00Z",
                "2000-01-01t00:00:00Z",
                "2000-01-01T00:00:00z",
                "2000-01-01T00:00:00.Z",
                "2000-01-01T00:00:00.0Z",
                "2000-01-01T00:00:00.00Z",
                "2000-01-01T00:00:00.0000Z",
                "2000-01-01T00:00:00.000ZZ",
                "2000-01-01T00:00:00.000Z ",
                " 2000-01-01T00:00:00.000Z",
                "+2000-01-01T00:00:00.000Z",
                "2000-01-01T00:00:00+00:00",
                "2000/01/01T00:00:00Z",
                "2000-01-01T00:00:0a",
                "2000-01-01T00:00:-1",
                "abcd-ef-ghTij:kl:mn.opqZ",
        };

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                uint64_t ms = 12345;
                if (dnptime_parse(bad[i], &ms) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
                assert_int_equal(ms, 12345);
        }
        uint64_t ms = 7;
        assert_int_equal(dnptime_parse(NULL, &ms), -EINVAL);
        assert_int_equal(ms, 7);
}

static void test_time_truncation(void **state)
{
        (void)state;
        char buf[32];

        memset(buf, 'x', sizeof(buf));
        assert_ptr_equal(dnptime_format(951782400000, buf, 11), buf);
        assert_string_equal(buf, "2000-02-29");
        assert_int_equal(buf[11], 'x');

        memset(buf, 'x', sizeof(buf));
        dnptime_format(DNPTIME_MAX, buf, 25);
        assert_string_equal(buf, "10889-08-02T05:31:50.655");
        assert_int_equal(buf[25], 'x');

        memset(buf, 'x', sizeof(buf));
        assert_ptr_equal(dnptime_format(0, buf, 0), buf);
        assert_int_equal(buf[0], 'x');
}

/*
 * Every day from 1970 to the last day DNP3 time reaches, against an
 * independent calendar that steps day by day with the month lengths.
 */
static void test_time_every_day(void **state)
{
        (void)state;
        static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        unsigned y = 1970, m = 1, d = 1;
        char got[DNPTIME_BUF_LEN], want[64];
        uint64_t days;

        for (days = 0; days * 86400000 <= DNPTIME_MAX; days++) {
                /* A different time of day each day, to exercise every field. */
                uint64_t tod = (days * 7919u * 1000u + days % 1000) % 86400000u;
                uint64_t ms = days * 86400000 + tod;
                uint64_t back = 0;

                if (ms > DNPTIME_MAX)
                        ms = days * 86400000;
                tod = ms % 86400000;
                snprintf(want, sizeof(want), "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", y, m, d,
                         (unsigned)(tod / 3600000), (unsigned)(tod / 60000 % 60),
                         (unsigned)(tod / 1000 % 60), (unsigned)(tod % 1000));
                dnptime_format(ms, got, sizeof(got));
                if (strcmp(got, want) != 0)
                        fail_msg("day %llu: got %s want %s", (unsigned long long)days, got, want);
                if (dnptime_parse(got, &back) != 0 || back != ms)
                        fail_msg("parse(%s) != %llu", got, (unsigned long long)ms);

                bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
                unsigned len = mdays[m - 1] + (m == 2 && leap ? 1 : 0);
                if (++d > len) {
                        d = 1;
                        if (++m > 12) {
                                m = 1;
                                y++;
                        }
                }
        }
        /* The last day is 10889-08-02. */
        assert_int_equal(days, DNPTIME_MAX / 86400000 + 1);
        assert_int_equal(y, 10889);
        assert_int_equal(m, 8);
        assert_int_equal(d, 3);
}

/* parse(format(x)) == x over pseudo-random values and the boundaries. */
static void test_time_roundtrip(void **state)
{
        (void)state;
        uint64_t x = 0x243f6a8885a308d3u;
        char buf[DNPTIME_BUF_LEN];
        static const uint64_t edges[] = { 0, 1, 999, 1000, 59999, 60000, 3599999, 3600000,
                                          86399999, 86400000, DNPTIME_MAX - 1, DNPTIME_MAX };

        for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
                uint64_t back = 0;
                dnptime_format(edges[i], buf, sizeof(buf));
                assert_int_equal(dnptime_parse(buf, &back), 0);
                assert_int_equal(back, edges[i]);
        }
        for (unsigned i = 0; i < 200000; i++) {
                uint64_t back = 0;
                x = x * 6364136223846793005u + 1442695040888963407u;
                uint64_t ms = (x >> 16) & DNPTIME_MAX;
                dnptime_format(ms, buf, sizeof(buf));
                if (dnptime_parse(buf, &back) != 0 || back != ms)
                        fail_msg("round trip of %llu via %s", (unsigned long long)ms, buf);
                /* Without milliseconds and Z: the whole second. */
                size_t l = strlen(buf);
                buf[l - 5] = '\0';
                assert_int_equal(dnptime_parse(buf, &back), 0);
                assert_int_equal(back, ms - ms % 1000);
        }
}

/* Wall time from monotonic now + offset: exact in range, clamped at both ends. */
static void test_dnptime_wall(void **state)
{
        (void)state;
        assert_int_equal(dnptime_wall(1000, INT64_C(1700000000000)), UINT64_C(1700000001000));
        assert_int_equal(dnptime_wall(1000, -1000), 0);
        assert_int_equal(dnptime_wall(1000, -1001), 0);             /* never negative */
        assert_int_equal(dnptime_wall(1, (int64_t)DNPTIME_MAX - 1), DNPTIME_MAX);
        assert_int_equal(dnptime_wall(2, (int64_t)DNPTIME_MAX - 1), DNPTIME_MAX);  /* 48 bits */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hdr_golden),
                cmocka_unit_test(test_hdr_roundtrip),
                cmocka_unit_test(test_hdr_request_iin_zero),
                cmocka_unit_test(test_hdr_short),
                cmocka_unit_test(test_func_names),
                cmocka_unit_test(test_func_no_response),
                cmocka_unit_test(test_iin),
                cmocka_unit_test(test_time_facts),
                cmocka_unit_test(test_time_parse_variants),
                cmocka_unit_test(test_time_invalid),
                cmocka_unit_test(test_time_truncation),
                cmocka_unit_test(test_time_every_day),
                cmocka_unit_test(test_time_roundtrip),
                cmocka_unit_test(test_dnptime_wall),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
