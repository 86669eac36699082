/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/dnp3/format.c: exact trace strings for link frames and
 * APDUs (several taken from the ITI captures in tests/vectors/iti-dnp3, with
 * the values tshark shows for them), and truncation at every buffer size
 * with a canary after the buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "dnp3/format.h"

#define CANARY 0xa5
#define CANARY_LEN 16


static void check_apdu(const char *hex, bool values, const char *want)
{
        uint8_t apdu[512];
        char out[2048];
        size_t n = unhex(hex, apdu, sizeof(apdu));

        size_t len = fmt_apdu(out, sizeof(out), apdu, n, values);
        assert_string_equal(out, want);
        assert_int_equal(len, strlen(want));
}

/* ---- APDUs --------------------------------------------------------------- */

/* read_and_response.pcap: the master's class 1/2/3/0 poll. */
static void test_read_class_poll(void **state)
{
        (void)state;
        const char *want = "FIR FIN SEQ=0 READ g60v2 q=0x06 g60v3 q=0x06 g60v4 q=0x06 g60v1 q=0x06";
        check_apdu("c0 01 3c02 06 3c03 06 3c04 06 3c01 06", false, want);
        check_apdu("c0 01 3c02 06 3c03 06 3c04 06 3c01 06", true, want);
}

static void test_read_indexes(void **state)
{
        (void)state;
        check_apdu("c5 01 0102 17 02 03 05", true, "FIR FIN SEQ=5 READ g1v2 q=0x17 [n=2] 3 5");
        check_apdu("c5 01 0102 17 02 03 05", false, "FIR FIN SEQ=5 READ g1v2 q=0x17 [n=2]");
        check_apdu("c0 0f", true, "FIR FIN SEQ=0 INITIALIZE_DATA");
        check_apdu("d3 22", true, "FIR FIN UNS SEQ=3 FUNC_34");
}

static void test_response_analogs_iin(void **state)
{
        (void)state;
        const char *hex = "c3 81 90 00 1e01 01 0000 0200 01 0c000000 01 fbffffff 01 00000080";
        check_apdu(hex, true,
                   "FIR FIN SEQ=3 RESPONSE IIN=[NEED_TIME DEVICE_RESTART] g30v1 q=0x01 [0..2] "
                   "0=12 (0x01) 1=-5 (0x01) 2=-2147483648 (0x01)");
        check_apdu(hex, false,
                   "FIR FIN SEQ=3 RESPONSE IIN=[NEED_TIME DEVICE_RESTART] g30v1 q=0x01 [0..2]");
        /* 12.5f and -1.1f (0xbf8ccccd) print as the shortest text of the float */
        check_apdu("c3 81 00 00 1e05 00 00 01 01 00004841 21 cdcc8cbf", true,
                   "FIR FIN SEQ=3 RESPONSE IIN=[] g30v5 q=0x00 [0..1] 0=12.5 (0x01) "
                   "1=-1.1 (0x21)");
        check_apdu("c0 81 00 00 1e06 00 07 07 00 000000000000f03f", true,
                   "FIR FIN SEQ=0 RESPONSE IIN=[] g30v6 q=0x00 [7..7] 7=1 (0x00)");
}

static void test_response_counters_binaries(void **state)
{
        (void)state;
        check_apdu("c0 81 02 80 1402 00 00 00 01 ffff 1501 17 01 05 01 78563412 "
                   "1e02 00 00 00 01 fcff",
                   true,
                   "FIR FIN SEQ=0 RESPONSE IIN=[CLASS1_EVENTS RESERVED_2_7] "
                   "g20v2 q=0x00 [0..0] 0=65535 (0x01) g21v1 q=0x17 [n=1] 5=305419896 (0x01) "
                   "g30v2 q=0x00 [0..0] 0=-4 (0x01)");
        check_apdu("c0 81 00 00 0302 00 00 02 41 81 c1 0101 00 00 09 a5 01 0a01 00 00 00 01 "
                   "6e05 00 00 00 68656c6c6f 3401 07 01 0a00",
                   true,
                   "FIR FIN SEQ=0 RESPONSE IIN=[] g3v2 q=0x00 [0..2] 0=OFF (0x41) 1=ON (0x81) "
                   "2=INDETERMINATE (0xc1) g1v1 q=0x00 [0..9] 0=1 1=0 2=1 3=0 4=0 5=1 6=0 7=1 "
                   "8=1 9=0 g10v1 q=0x00 [0..0] 0=1 g110v5 q=0x00 [0..0] 0=68656c6c6f "
                   "g52v1 q=0x07 [n=1] 0=10s");
}

/*
 * dnp3_test_data_part1.pcap: an unsolicited response with a CTO and g2v3
 * events; tshark shows the CTO as Oct 11, 2004 10:16:34.018 UTC and the
 * last two events 1.011 s later.
 */
static void test_events_with_time(void **state)
{
        (void)state;
        const char *hex = "f2 82 00 00 3301 07 01 e2437d87ff00 0203 28 0500 0000 01 0000 "
                          "0100 81 0000 0200 81 0000 0000 81 f303 0100 01 f303 "
                          "2001 28 0300 0000 01 00000000 0100 01 00000000 0200 01 00000000";
        check_apdu(hex, true,
                   "FIR FIN CON UNS SEQ=2 UNSOLICITED_RESPONSE IIN=[] g51v1 q=0x07 [n=1] "
                   "0=2004-10-11T10:16:34.018Z g2v3 q=0x28 [n=5] "
                   "0=0 (0x01) t=2004-10-11T10:16:34.018Z 1=1 (0x81) t=2004-10-11T10:16:34.018Z "
                   "2=1 (0x81) t=2004-10-11T10:16:34.018Z 0=1 (0x81) t=2004-10-11T10:16:35.029Z "
                   "1=0 (0x01) t=2004-10-11T10:16:35.029Z g32v1 q=0x28 [n=3] 0=0 (0x01) "
                   "1=0 (0x01) 2=0 (0x01)");
        check_apdu(hex, false,
                   "FIR FIN CON UNS SEQ=2 UNSOLICITED_RESPONSE IIN=[] g51v1 q=0x07 [n=1] "
                   "g2v3 q=0x28 [n=5] g32v1 q=0x28 [n=3]");
        /* absolute times: 0x014c5282a1a7 ms = 2015-03-25T19:57:15.047Z */
        check_apdu("c0 81 00 00 2003 17 01 02 21 e8030000 a7a182524c01 "
                   "0b02 17 01 04 81 a7a182524c01",
                   true,
                   "FIR FIN SEQ=0 RESPONSE IIN=[] g32v3 q=0x17 [n=1] 2=1000 (0x21) "
                   "t=2015-03-25T19:57:15.047Z g11v2 q=0x17 [n=1] 4=1 (0x81) "
                   "t=2015-03-25T19:57:15.047Z");
        /* serial_time_sync.pcap: WRITE g50v1 */
        check_apdu("c8 02 3201 07 01 a7a182524c01", true,
                   "FIR FIN SEQ=8 WRITE g50v1 q=0x07 [n=1] 0=2015-03-25T19:57:15.047Z");
}

/* select_operate_and_responses.pcap: SELECT of one CROB, LATCH_ON 100/100 ms. */
static void test_crob_select(void **state)
{
        (void)state;
        check_apdu("c0 03 0c01 28 0100 0000 03 01 64000000 64000000 00", true,
                   "FIR FIN SEQ=0 SELECT g12v1 q=0x28 [n=1] "
                   "0=LATCH_ON count=1 on=100ms off=100ms SUCCESS");
        check_apdu("c0 03 0c01 28 0100 0000 03 01 64000000 64000000 00", false,
                   "FIR FIN SEQ=0 SELECT g12v1 q=0x28 [n=1]");
        check_apdu("c1 05 0c01 17 02 01 81 02 e8030000 00000000 00 05 44 01 00000000 00000000 04 "
                   "2902 17 01 03 3930 00",
                   true,
                   "FIR FIN SEQ=1 DIRECT_OPERATE g12v1 q=0x17 [n=2] "
                   "1=TRIP PULSE_ON count=2 on=1000ms off=0ms SUCCESS "
                   "5=CLOSE LATCH_OFF count=1 on=0ms off=0ms NOT_SUPPORTED "
                   "g41v2 q=0x17 [n=1] 3=12345 SUCCESS");
        check_apdu("c4 81 00 00 0c01 17 01 00 f3 01 64000000 c8000000 ff", true,
                   "FIR FIN SEQ=4 RESPONSE IIN=[] g12v1 q=0x17 [n=1] "
                   "0=TCC_3 LATCH_ON QUEUE CLEAR count=1 on=100ms off=200ms UNKNOWN");
        /* op 5 is undefined, TCC 3 reserved: by number (was TCC_RESERVED) */
        check_apdu("c4 81 00 00 0c01 17 01 00 c5 01 64000000 c8000000 00", true,
                   "FIR FIN SEQ=4 RESPONSE IIN=[] g12v1 q=0x17 [n=1] "
                   "0=TCC_3 OP_5 count=1 on=100ms off=200ms SUCCESS");
}

/* direct_operate_crob_malform_but_good_crc.pcap: quantity 2, one CROB present. */
static void test_malformed(void **state)
{
        (void)state;
        const char *hex = "ca 05 0c01 28 0200 0100 02 01 64000000 64000000 00";
        check_apdu(hex, true,
                   "FIR FIN SEQ=10 DIRECT_OPERATE MALFORMED: truncated at offset 2 (g12v1 q=0x28)");
        check_apdu(hex, false,
                   "FIR FIN SEQ=10 DIRECT_OPERATE MALFORMED: truncated at offset 2 (g12v1 q=0x28)");
        /* dnp3_test_data_part1.pcap: qualifier 0xed on the third header */
        check_apdu("c1 15 3c02 06 3c03 06 3c04 ed", true,
                   "FIR FIN SEQ=1 DISABLE_UNSOLICITED MALFORMED: bad qualifier at offset 8 "
                   "(g60v4 q=0xed)");
        /* file_delete.pcap style: g70 is outside the catalog */
        check_apdu("c0 81 00 00 4604 5b 01 0400 00000000", true,
                   "FIR FIN SEQ=0 RESPONSE IIN=[] MALFORMED: unknown object at offset 4 "
                   "(g70v4 q=0x5b)");
        check_apdu("c0", true, "MALFORMED: truncated at offset 0 (APDU header, 1 bytes)");
        check_apdu("c0 81 00", true, "MALFORMED: truncated at offset 0 (APDU header, 3 bytes)");
        check_apdu("", true, "MALFORMED: truncated at offset 0 (APDU header, 0 bytes)");
}

/* ---- link ---------------------------------------------------------------- */

static void check_link(bool dir, bool prm, bool fcb, bool fcv, uint8_t code, uint16_t dest,
                       uint16_t src, size_t len, const char *want)
{
        static const uint8_t data[LINK_MAX_DATA];
        struct link_frame f = {
                .h = { .dir = dir, .prm = prm, .fcb = fcb, .fcv = fcv, .code = code,
                       .dest = dest, .src = src },
                .data = data,
                .data_len = len,
        };
        char out[256];

        size_t n = fmt_link(out, sizeof(out), &f);
        assert_string_equal(out, want);
        assert_int_equal(n, strlen(want));
}

static void test_link_frames(void **state)
{
        (void)state;
        check_link(true, true, false, false, 0, 10, 1, 0, "DIR PRM RESET_LINK_STATES 1->10 len=0");
        check_link(true, true, true, true, 2, 10, 1, 0,
                   "DIR PRM FCB FCV TEST_LINK_STATES 1->10 len=0");
        check_link(true, true, false, true, 3, 10, 1, 18,
                   "DIR PRM FCV CONFIRMED_USER_DATA 1->10 len=18");
        check_link(true, true, false, false, 4, 10, 1, 18,
                   "DIR PRM UNCONFIRMED_USER_DATA 1->10 len=18");
        check_link(false, true, false, false, 4, 1, 10, 250,
                   "PRM UNCONFIRMED_USER_DATA 10->1 len=250");
        check_link(true, true, false, false, 9, 0xffff, 1, 0,
                   "DIR PRM REQUEST_LINK_STATUS 1->65535 len=0");
        check_link(false, false, false, false, 0, 1, 10, 0, "ACK 10->1 len=0");
        check_link(false, false, false, true, 1, 1, 10, 0, "DFC NACK 10->1 len=0");
        check_link(false, false, false, false, 11, 1, 10, 0, "LINK_STATUS 10->1 len=0");
        check_link(false, false, false, false, 15, 1, 10, 0, "NOT_SUPPORTED 10->1 len=0");
        check_link(true, true, false, false, 7, 10, 1, 0, "DIR PRM FUNC_PRI_7 1->10 len=0");
        check_link(false, false, false, false, 5, 1, 10, 0, "FUNC_SEC_5 10->1 len=0");
}

/* ---- fmt_value ----------------------------------------------------------- */

static void test_value(void **state)
{
        (void)state;
        char out[128];
        const struct obj_desc *d = obj_lookup(32, 7);   /* float event with time */
        assert_non_null(d);
        struct dnp_value v = {
                .index = 9, .flags = 0x01, .time_kind = DNP_TIME_ABS,
                .time = UINT64_C(0x014c5282a1a7), .v.analog = (double)0.1f,
        };
        size_t n = fmt_value(out, sizeof(out), d, &v);
        assert_string_equal(out, "9=0.1 (0x01) t=2015-03-25T19:57:15.047Z");
        assert_int_equal(n, strlen(out));

        d = obj_lookup(30, 6);                          /* double: all 17 digits needed */
        assert_non_null(d);
        v = (struct dnp_value){ .index = 0, .flags = 0x01, .v.analog = 0.1 + 0.2 };
        fmt_value(out, sizeof(out), d, &v);
        assert_string_equal(out, "0=0.30000000000000004 (0x01)");

        d = obj_lookup(52, 2);
        assert_non_null(d);
        v = (struct dnp_value){ .index = 0, .flags = 0x01, .v.delay = 250 };
        fmt_value(out, sizeof(out), d, &v);
        assert_string_equal(out, "0=250ms");

        d = obj_lookup(111, 1);
        assert_non_null(d);
        static const uint8_t oct[] = { 0x00, 0xff };
        v = (struct dnp_value){ .index = 3, .v.octets = { .p = oct, .len = 2 } };
        fmt_value(out, sizeof(out), d, &v);
        assert_string_equal(out, "3=00ff");

        d = obj_lookup(12, 1);
        assert_non_null(d);
        v = (struct dnp_value){ .index = 7,
                                .v.crob = { .code = 0x41, .count = 1, .on_ms = 500,
                                            .off_ms = 0, .status = 4 } };
        fmt_value(out, sizeof(out), d, &v);
        assert_string_equal(out, "7=CLOSE PULSE_ON count=1 on=500ms off=0ms NOT_SUPPORTED");
}

/* ---- truncation ---------------------------------------------------------- */

static void check_all_sizes(const char *full, size_t (*fn)(char *, size_t, const void *),
                            const void *arg)
{
        size_t flen = strlen(full);
        char buf[1024 + CANARY_LEN];

        assert_true(flen + 2 <= 1024);
        for (size_t n = 0; n <= flen + 2; n++) {
                memset(buf, CANARY, sizeof(buf));
                size_t r = fn(buf, n, arg);
                for (size_t i = n; i < n + CANARY_LEN; i++)
                        assert_int_equal((uint8_t)buf[i], CANARY);
                if (n == 0) {
                        assert_int_equal(r, 0);
                        continue;
                }
                assert_int_equal(r, strlen(buf));
                assert_true(r < n);
                if (n > flen) {
                        assert_string_equal(buf, full);
                        continue;
                }
                /* truncated: exactly n - 1 characters, "..." at the end */
                assert_int_equal(r, n - 1);
                size_t dots = r < 3 ? r : 3;
                assert_memory_equal(buf, full, r - dots);
                assert_memory_equal(buf + r - dots, "...", dots);
        }
}

struct apdu_arg {
        const uint8_t *p;
        size_t len;
        bool values;
};

static size_t call_apdu(char *buf, size_t n, const void *arg)
{
        const struct apdu_arg *a = arg;
        return fmt_apdu(buf, n, a->p, a->len, a->values);
}

static size_t call_link(char *buf, size_t n, const void *arg)
{
        return fmt_link(buf, n, arg);
}

struct value_arg {
        const struct obj_desc *d;
        const struct dnp_value *v;
};

static size_t call_value(char *buf, size_t n, const void *arg)
{
        const struct value_arg *a = arg;
        return fmt_value(buf, n, a->d, a->v);
}

static void test_truncation(void **state)
{
        (void)state;
        uint8_t apdu[256];
        char full[1024];
        static const char *const hexes[] = {
                "f2 82 00 00 3301 07 01 e2437d87ff00 0203 28 0500 0000 01 0000 0100 81 0000 "
                "0200 81 0000 0000 81 f303 0100 01 f303 2001 28 0300 0000 01 00000000 0100 01 "
                "00000000 0200 01 00000000",
                "c3 81 90 00 1e01 01 0000 0200 01 0c000000 01 fbffffff 01 00000080",
                "c0 03 0c01 28 0100 0000 03 01 64000000 64000000 00",
                "ca 05 0c01 28 0200 0100 02 01 64000000 64000000 00",
                "c0 01 3c02 06 3c03 06 3c04 06 3c01 06",
        };

        for (size_t i = 0; i < sizeof(hexes) / sizeof(hexes[0]); i++) {
                for (int values = 0; values <= 1; values++) {
                        struct apdu_arg a = { .p = apdu, .values = values };
                        a.len = unhex(hexes[i], apdu, sizeof(apdu));
                        size_t flen = fmt_apdu(full, sizeof(full), apdu, a.len, values);
                        assert_int_equal(flen, strlen(full));
                        check_all_sizes(full, call_apdu, &a);
                }
        }

        struct link_frame f = {
                .h = { .dir = true, .prm = true, .fcv = true, .code = 3, .dest = 65535, .src = 1 },
                .data = apdu,
                .data_len = 250,
        };
        fmt_link(full, sizeof(full), &f);
        assert_string_equal(full, "DIR PRM FCV CONFIRMED_USER_DATA 1->65535 len=250");
        check_all_sizes(full, call_link, &f);

        struct dnp_value v = { .index = 65535,
                               .v.crob = { .code = 0x81, .count = 255, .on_ms = UINT32_MAX,
                                           .off_ms = UINT32_MAX, .status = 18 } };
        struct value_arg va = { .d = obj_lookup(12, 1), .v = &v };
        assert_non_null(va.d);
        fmt_value(full, sizeof(full), va.d, va.v);
        assert_string_equal(full, "65535=TRIP PULSE_ON count=255 on=4294967295ms "
                                  "off=4294967295ms DOWNSTREAM_FAIL");
        check_all_sizes(full, call_value, &va);

        /* NULL buffer with size 0 is allowed */
        assert_int_equal(fmt_apdu(NULL, 0, apdu, 2, true), 0);
        assert_int_equal(fmt_link(NULL, 0, &f), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_class_poll),
                cmocka_unit_test(test_read_indexes),
                cmocka_unit_test(test_response_analogs_iin),
                cmocka_unit_test(test_response_counters_binaries),
                cmocka_unit_test(test_events_with_time),
                cmocka_unit_test(test_crob_select),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_link_frames),
                cmocka_unit_test(test_value),
                cmocka_unit_test(test_truncation),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
