/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for crc_dnp(): the CRC-16/DNP check value, a bitwise reference,
 * and the header and block CRCs of real frames.
 *
 * Real frames are TCP payloads from the ITI ICS-Security-Tools DNP3 captures
 * (pcaps/dnp3/, CC BY 4.0, Information Trust Institute, University of
 * Illinois), extracted with `tshark -r FILE -T fields -e tcp.payload`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "dnp3/crc.h"
#include "dnp3/cursor.h"


/* Bit-at-a-time CRC straight from the definition (independent of the table). */
static uint16_t crc_bitwise(const uint8_t *p, size_t n)
{
        uint16_t crc = 0;

        for (size_t i = 0; i < n; i++) {
                crc ^= p[i];
                for (int k = 0; k < 8; k++)
                        crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xa6bc) : (uint16_t)(crc >> 1);
        }
        return (uint16_t)~crc;
}

static void test_check_value(void **state)
{
        (void)state;
        /* CRC-16/DNP catalogue check value */
        assert_int_equal(crc_dnp((const uint8_t *)"123456789", 9), 0xea82);
        /* nothing in: ~0 */
        assert_int_equal(crc_dnp(NULL, 0), 0xffff);
        const uint8_t zero = 0;
        assert_int_equal(crc_dnp(&zero, 1), 0xffff);   /* table[0] == 0 */
}

static void test_matches_bitwise(void **state)
{
        (void)state;
        uint8_t buf[600];
        uint32_t x = 0x12345678;

        for (size_t i = 0; i < sizeof(buf); i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (uint8_t)(x >> 16);
        }
        /* every single byte */
        for (unsigned b = 0; b < 256; b++) {
                uint8_t v = (uint8_t)b;
                assert_int_equal(crc_dnp(&v, 1), crc_bitwise(&v, 1));
        }
        /* every length, every alignment of the 4-byte steps */
        for (size_t off = 0; off < 4; off++)
                for (size_t n = 0; n <= 300; n++)
                        assert_int_equal(crc_dnp(buf + off, n), crc_bitwise(buf + off, n));
        assert_int_equal(crc_dnp(buf, sizeof(buf)), crc_bitwise(buf, sizeof(buf)));
}

static void test_single_bit_errors(void **state)
{
        (void)state;
        /* header of a REQUEST_LINK_STATUS; every single-bit flip changes the CRC */
        uint8_t h[8] = { 0x05, 0x64, 0x05, 0xc9, 0x1e, 0x00, 0x02, 0x00 };
        uint16_t good = crc_dnp(h, sizeof(h));

        assert_int_equal(good, 0x1159);
        for (size_t i = 0; i < sizeof(h); i++) {
                for (int bit = 0; bit < 8; bit++) {
                        h[i] ^= (uint8_t)(1u << bit);
                        assert_int_not_equal(crc_dnp(h, sizeof(h)), good);
                        h[i] ^= (uint8_t)(1u << bit);
                }
        }
}

/*
 * Check every CRC of one frame: 8 header bytes then the header CRC (low byte
 * first), then blocks of 16 user-data bytes (the last one shorter) each with
 * its CRC.  Returns the number of CRCs checked.
 */
static unsigned check_frame_crcs(const char *frame_hex)
{
        uint8_t buf[400];
        size_t n = unhex(frame_hex, buf, sizeof(buf));
        struct rd c, blk;
        uint16_t crc;
        uint8_t len;
        unsigned checked = 0;

        rd_init(&c, buf, n);
        assert_int_equal(rd_sub(&c, 8, &blk), 0);
        assert_int_equal(blk.p[0], 0x05);
        assert_int_equal(blk.p[1], 0x64);
        len = blk.p[2];
        assert_int_equal(rd_le16(&c, &crc), 0);
        assert_int_equal(crc_dnp(blk.p, 8), crc);
        checked++;

        size_t data = (size_t)len - 5;
        while (data > 0) {
                size_t b = data < 16 ? data : 16;
                assert_int_equal(rd_sub(&c, b, &blk), 0);
                assert_int_equal(rd_le16(&c, &crc), 0);
                assert_int_equal(crc_dnp(blk.p, b), crc);
                checked++;
                data -= b;
        }
        assert_int_equal(rd_left(&c), 0);
        return checked;
}

static void test_real_frames(void **state)
{
        (void)state;
        /* assign_class.pcap #1: ASSIGN_CLASS request, LEN 14 */
        assert_int_equal(check_frame_crcs("05640ec4040003006dd3f2c3163c030601000670b4"), 2);
        /* assign_class.pcap #2: response, LEN 10 */
        assert_int_equal(check_frame_crcs("05640a44030004007caec3c3810000d787"), 2);
        /* cold_restart_and_response.pcap: COLD_RESTART, LEN 8 */
        assert_int_equal(check_frame_crcs("056408c40a000100fc42c0c00d9c86"), 2);
        /* direct_operate_analog_output.pcap: ANALOG OUTPUT, LEN 18 */
        assert_int_equal(check_frame_crcs("056412c4040003001e7ceec2052902280100010000"
                                          "00007dd0"),
                         2);
        /* file_list_directory.pcap: LEN 21, exactly one full 16-byte block */
        assert_int_equal(check_frame_crcs("05641544030004005f929a61323034385075624b65"
                                          "792e70656d0f8f"),
                         2);
        /* auth_control_challenge_response.pcap #1: CROB, two blocks */
        assert_int_equal(check_frame_crcs("05641ac404000300c2e6c7c6050c01280100010003"
                                          "01640000003b7f6400000000005b"),
                         3);
        /* dataset_exchange.pcap #4: LEN 0xb5 = 176 user-data bytes, 11 blocks */
        assert_int_equal(
                check_frame_crcs(
                        "0564b544030004005e72c9c681000055015b01a50004010000001a6a1302"
                        "0000c2f4101065b311d1a29f00aa184200c15a82150300004561727468"
                        "2052657dcb6c6179696e67204f72670f0400004665c43965646572204661"
                        "756c74100504084375d3327272656e74205068732041100504084346b175"
                        "7272656e7420506873204210050408f89643757272656e74205068732043"
                        "0f0504fa290843757272656e742047726e640b0506c41902547269676765"
                        "72730e050108466175d8da6c7420436c6173730705020444697374d101"),
                12);
        /* full_exchange.pcap: maximum frame, LEN 0xff = 250 bytes, 16 blocks */
        assert_int_equal(
                check_frame_crcs(
                        "0564ff4401000a005aeb43c2810000010200000902020202020240460202"
                        "020203020000090202020202020270da0202021401000009020000000002"
                        "0000e30b000002000000000200000000020000004dba0002000000000200"
                        "00000002000000007eae02000000000200000000150100000902d3420000"
                        "000002000000000200000000020069ce0000000200000000020000000002"
                        "0000dd5e000002000000000200000000020000004dba001e010000090200"
                        "0000000200000000cd6302000000000200000000020000000002f0030000"
                        "000002000000000200000000020069ce00000002000000000a0200000902"
                        "020217100202020202020228010000090200000058e40002000000000200"
                        "00000002000000007eae020000000002000000004e72"),
                17);
}

static void test_exact_header_crcs(void **state)
{
        (void)state;
        /* header CRC values as sent on the wire (low byte first), from the captures */
        static const struct {
                uint8_t h[8];
                uint16_t crc;
        } v[] = {
                { { 0x05, 0x64, 0x0e, 0xc4, 0x04, 0x00, 0x03, 0x00 }, 0xd36d },
                { { 0x05, 0x64, 0x0a, 0x44, 0x03, 0x00, 0x04, 0x00 }, 0xae7c },
                { { 0x05, 0x64, 0x08, 0xc4, 0x0a, 0x00, 0x01, 0x00 }, 0x42fc },
                { { 0x05, 0x64, 0xff, 0x44, 0x01, 0x00, 0x0a, 0x00 }, 0xeb5a },
                /* link-only frames published in other projects' tests, each also
                 * shown "[correct]" by tshark's DNP3 dissector: REQUEST_LINK_STATUS
                 * and LINK_STATUS / ACK answers between several address pairs */
                { { 0x05, 0x64, 0x05, 0xc9, 0x1e, 0x00, 0x02, 0x00 }, 0x1159 },
                { { 0x05, 0x64, 0x05, 0x0b, 0x02, 0x00, 0x1e, 0x00 }, 0x0fce },
                { { 0x05, 0x64, 0x05, 0x00, 0x02, 0x00, 0x1e, 0x00 }, 0x3f8d },
                { { 0x05, 0x64, 0x05, 0xc9, 0xd2, 0x04, 0x01, 0x00 }, 0xe4a4 },
                { { 0x05, 0x64, 0x05, 0x0b, 0x01, 0x00, 0xd2, 0x04 }, 0x34ad },
                { { 0x05, 0x64, 0x05, 0x0b, 0x03, 0x00, 0x04, 0x00 }, 0x667f },
                { { 0x05, 0x64, 0x05, 0xc9, 0x0a, 0x00, 0x01, 0x00 }, 0xdafe },
                { { 0x05, 0x64, 0x05, 0xc9, 0x00, 0x00, 0x00, 0x00 }, 0x4c36 },
        };

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
                assert_int_equal(crc_dnp(v[i].h, 8), v[i].crc);
}


/* CRC-32C (the journal's records): the catalogue check value and a bitwise reference. */
static uint32_t crc32c_bitwise(const uint8_t *p, size_t n)
{
        uint32_t crc = 0xffffffffu;
        for (size_t i = 0; i < n; i++) {
                crc ^= p[i];
                for (int k = 0; k < 8; k++)
                        crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
        }
        return ~crc;
}

static void test_crc32c(void **state)
{
        (void)state;
        uint8_t buf[300];
        uint32_t x = 0x9e3779b9;
        assert_int_equal(crc_32c((const uint8_t *)"123456789", 9), 0xe3069283u);
        assert_int_equal(crc_32c(NULL, 0), 0);
        for (size_t i = 0; i < sizeof(buf); i++) {
                x = x * 1103515245u + 12345u;
                buf[i] = (uint8_t)(x >> 16);
        }
        for (size_t n = 0; n <= sizeof(buf); n++)
                assert_int_equal(crc_32c(buf, n), crc32c_bitwise(buf, n));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_value),
                cmocka_unit_test(test_crc32c),
                cmocka_unit_test(test_matches_bitwise),
                cmocka_unit_test(test_single_bit_errors),
                cmocka_unit_test(test_real_frames),
                cmocka_unit_test(test_exact_header_crcs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
