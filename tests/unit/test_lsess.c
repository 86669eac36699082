/* SPDX-License-Identifier: MIT */
/*
 * Link session: link functions, confirmed user data with FCB, retries,
 * keep-alive, segmentation, frame classification, the secondary station's
 * link rules.  Simulated clock; the expected frames (link_frames.h and
 * below) were computed by an independent bitwise CRC (checked against the
 * well-known RESET frame 05 64 05 C0 01 00 00 04 E9 21).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnp3/lsess.h"

#include "link_frames.h"

static const uint8_t rsp1[] = { 0xc0, 0x81, 0x80, 0x00 };
static const uint8_t rsp2[] = { 0xc1, 0x81, 0x00, 0x00 };

/* 300-byte APDU ((i * 7 + 3) & 0xff) as two UNCONFIRMED_USER_DATA frames, 10 -> 1, tseq 0, 1 */
static const uint8_t mseg_tx[] = {
        0x05, 0x64, 0xff, 0x44, 0x01, 0x00, 0x0a, 0x00, 0x5a, 0xeb, 0x40, 0x03,
        0x0a, 0x11, 0x18, 0x1f, 0x26, 0x2d, 0x34, 0x3b, 0x42, 0x49, 0x50, 0x57,
        0x5e, 0x65, 0x66, 0x87, 0x6c, 0x73, 0x7a, 0x81, 0x88, 0x8f, 0x96, 0x9d,
        0xa4, 0xab, 0xb2, 0xb9, 0xc0, 0xc7, 0xce, 0xd5, 0xe1, 0x2d, 0xdc, 0xe3,
        0xea, 0xf1, 0xf8, 0xff, 0x06, 0x0d, 0x14, 0x1b, 0x22, 0x29, 0x30, 0x37,
        0x3e, 0x45, 0x04, 0x32, 0x4c, 0x53, 0x5a, 0x61, 0x68, 0x6f, 0x76, 0x7d,
        0x84, 0x8b, 0x92, 0x99, 0xa0, 0xa7, 0xae, 0xb5, 0x99, 0x3c, 0xbc, 0xc3,
        0xca, 0xd1, 0xd8, 0xdf, 0xe6, 0xed, 0xf4, 0xfb, 0x02, 0x09, 0x10, 0x17,
        0x1e, 0x25, 0x48, 0xe2, 0x2c, 0x33, 0x3a, 0x41, 0x48, 0x4f, 0x56, 0x5d,
        0x64, 0x6b, 0x72, 0x79, 0x80, 0x87, 0x8e, 0x95, 0x28, 0xb9, 0x9c, 0xa3,
        0xaa, 0xb1, 0xb8, 0xbf, 0xc6, 0xcd, 0xd4, 0xdb, 0xe2, 0xe9, 0xf0, 0xf7,
        0xfe, 0x05, 0xa0, 0x5e, 0x0c, 0x13, 0x1a, 0x21, 0x28, 0x2f, 0x36, 0x3d,
        0x44, 0x4b, 0x52, 0x59, 0x60, 0x67, 0x6e, 0x75, 0x54, 0x34, 0x7c, 0x83,
        0x8a, 0x91, 0x98, 0x9f, 0xa6, 0xad, 0xb4, 0xbb, 0xc2, 0xc9, 0xd0, 0xd7,
        0xde, 0xe5, 0x77, 0x0e, 0xec, 0xf3, 0xfa, 0x01, 0x08, 0x0f, 0x16, 0x1d,
        0x24, 0x2b, 0x32, 0x39, 0x40, 0x47, 0x4e, 0x55, 0xb9, 0xb3, 0x5c, 0x63,
        0x6a, 0x71, 0x78, 0x7f, 0x86, 0x8d, 0x94, 0x9b, 0xa2, 0xa9, 0xb0, 0xb7,
        0xbe, 0xc5, 0x5c, 0xac, 0xcc, 0xd3, 0xda, 0xe1, 0xe8, 0xef, 0xf6, 0xfd,
        0x04, 0x0b, 0x12, 0x19, 0x20, 0x27, 0x2e, 0x35, 0xc1, 0xa2, 0x3c, 0x43,
        0x4a, 0x51, 0x58, 0x5f, 0x66, 0x6d, 0x74, 0x7b, 0x82, 0x89, 0x90, 0x97,
        0x9e, 0xa5, 0x10, 0x7c, 0xac, 0xb3, 0xba, 0xc1, 0xc8, 0xcf, 0xd6, 0xdd,
        0xe4, 0xeb, 0xf2, 0xf9, 0x00, 0x07, 0x0e, 0x15, 0x70, 0x27, 0x1c, 0x23,
        0x2a, 0x31, 0x38, 0x3f, 0x46, 0x4d, 0x54, 0x5b, 0x62, 0x69, 0x70, 0x77,
        0x7e, 0x85, 0xf8, 0xc0, 0x8c, 0x93, 0x9a, 0xa1, 0xa8, 0xaf, 0xb6, 0xbd,
        0xc4, 0xcb, 0xc9, 0xeb, 0x05, 0x64, 0x39, 0x44, 0x01, 0x00, 0x0a, 0x00,
        0x7d, 0x3f, 0x81, 0xd2, 0xd9, 0xe0, 0xe7, 0xee, 0xf5, 0xfc, 0x03, 0x0a,
        0x11, 0x18, 0x1f, 0x26, 0x2d, 0x34, 0x88, 0x8a, 0x3b, 0x42, 0x49, 0x50,
        0x57, 0x5e, 0x65, 0x6c, 0x73, 0x7a, 0x81, 0x88, 0x8f, 0x96, 0x9d, 0xa4,
        0x62, 0x21, 0xab, 0xb2, 0xb9, 0xc0, 0xc7, 0xce, 0xd5, 0xdc, 0xe3, 0xea,
        0xf1, 0xf8, 0xff, 0x06, 0x0d, 0x14, 0x87, 0x73, 0x1b, 0x22, 0x29, 0x30,
        0x7a, 0xd8,
};
/* The same APDU from the master (1 -> 10), transport seq 5, 6 */
static const uint8_t mseg_rx[] = {
        0x05, 0x64, 0xff, 0xc4, 0x0a, 0x00, 0x01, 0x00, 0x7f, 0xaa, 0x45, 0x03,
        0x0a, 0x11, 0x18, 0x1f, 0x26, 0x2d, 0x34, 0x3b, 0x42, 0x49, 0x50, 0x57,
        0x5e, 0x65, 0xa3, 0xb1, 0x6c, 0x73, 0x7a, 0x81, 0x88, 0x8f, 0x96, 0x9d,
        0xa4, 0xab, 0xb2, 0xb9, 0xc0, 0xc7, 0xce, 0xd5, 0xe1, 0x2d, 0xdc, 0xe3,
        0xea, 0xf1, 0xf8, 0xff, 0x06, 0x0d, 0x14, 0x1b, 0x22, 0x29, 0x30, 0x37,
        0x3e, 0x45, 0x04, 0x32, 0x4c, 0x53, 0x5a, 0x61, 0x68, 0x6f, 0x76, 0x7d,
        0x84, 0x8b, 0x92, 0x99, 0xa0, 0xa7, 0xae, 0xb5, 0x99, 0x3c, 0xbc, 0xc3,
        0xca, 0xd1, 0xd8, 0xdf, 0xe6, 0xed, 0xf4, 0xfb, 0x02, 0x09, 0x10, 0x17,
        0x1e, 0x25, 0x48, 0xe2, 0x2c, 0x33, 0x3a, 0x41, 0x48, 0x4f, 0x56, 0x5d,
        0x64, 0x6b, 0x72, 0x79, 0x80, 0x87, 0x8e, 0x95, 0x28, 0xb9, 0x9c, 0xa3,
        0xaa, 0xb1, 0xb8, 0xbf, 0xc6, 0xcd, 0xd4, 0xdb, 0xe2, 0xe9, 0xf0, 0xf7,
        0xfe, 0x05, 0xa0, 0x5e, 0x0c, 0x13, 0x1a, 0x21, 0x28, 0x2f, 0x36, 0x3d,
        0x44, 0x4b, 0x52, 0x59, 0x60, 0x67, 0x6e, 0x75, 0x54, 0x34, 0x7c, 0x83,
        0x8a, 0x91, 0x98, 0x9f, 0xa6, 0xad, 0xb4, 0xbb, 0xc2, 0xc9, 0xd0, 0xd7,
        0xde, 0xe5, 0x77, 0x0e, 0xec, 0xf3, 0xfa, 0x01, 0x08, 0x0f, 0x16, 0x1d,
        0x24, 0x2b, 0x32, 0x39, 0x40, 0x47, 0x4e, 0x55, 0xb9, 0xb3, 0x5c, 0x63,
        0x6a, 0x71, 0x78, 0x7f, 0x86, 0x8d, 0x94, 0x9b, 0xa2, 0xa9, 0xb0, 0xb7,
        0xbe, 0xc5, 0x5c, 0xac, 0xcc, 0xd3, 0xda, 0xe1, 0xe8, 0xef, 0xf6, 0xfd,
        0x04, 0x0b, 0x12, 0x19, 0x20, 0x27, 0x2e, 0x35, 0xc1, 0xa2, 0x3c, 0x43,
        0x4a, 0x51, 0x58, 0x5f, 0x66, 0x6d, 0x74, 0x7b, 0x82, 0x89, 0x90, 0x97,
        0x9e, 0xa5, 0x10, 0x7c, 0xac, 0xb3, 0xba, 0xc1, 0xc8, 0xcf, 0xd6, 0xdd,
        0xe4, 0xeb, 0xf2, 0xf9, 0x00, 0x07, 0x0e, 0x15, 0x70, 0x27, 0x1c, 0x23,
        0x2a, 0x31, 0x38, 0x3f, 0x46, 0x4d, 0x54, 0x5b, 0x62, 0x69, 0x70, 0x77,
        0x7e, 0x85, 0xf8, 0xc0, 0x8c, 0x93, 0x9a, 0xa1, 0xa8, 0xaf, 0xb6, 0xbd,
        0xc4, 0xcb, 0xc9, 0xeb, 0x05, 0x64, 0x39, 0xc4, 0x0a, 0x00, 0x01, 0x00,
        0x58, 0x7e, 0x86, 0xd2, 0xd9, 0xe0, 0xe7, 0xee, 0xf5, 0xfc, 0x03, 0x0a,
        0x11, 0x18, 0x1f, 0x26, 0x2d, 0x34, 0x55, 0x27, 0x3b, 0x42, 0x49, 0x50,
        0x57, 0x5e, 0x65, 0x6c, 0x73, 0x7a, 0x81, 0x88, 0x8f, 0x96, 0x9d, 0xa4,
        0x62, 0x21, 0xab, 0xb2, 0xb9, 0xc0, 0xc7, 0xce, 0xd5, 0xdc, 0xe3, 0xea,
        0xf1, 0xf8, 0xff, 0x06, 0x0d, 0x14, 0x87, 0x73, 0x1b, 0x22, 0x29, 0x30,
        0x7a, 0xd8,
};

struct fix {
        struct lsess s;
        uint8_t rxbuf[2048];
        struct link_scanner sc;
        uint8_t obuf[4096];
        struct wr out;
        const uint8_t *apdu;
        size_t apdu_len;
        unsigned apdus;
};

static struct fix F;

static void fix_init(bool confirmed, uint64_t keepalive_ms, uint64_t now)
{
        struct lsess_cfg cfg = {
                .master = false,
                .local = 10,
                .remote = 1,
                .confirmed = confirmed,
                .link_timeout_ms = 1000,
                .link_retries = 2,
                .keepalive_ms = keepalive_ms,
        };
        memset(&F, 0, sizeof(F));
        lsess_init(&F.s, &cfg, F.rxbuf, sizeof(F.rxbuf), now);
        link_scanner_init(&F.sc);
        wr_init(&F.out, F.obuf, sizeof(F.obuf));
}

/* Feed bytes one at a time; every frame must classify OK. Returns the last on_frame result. */
static int feed(const uint8_t *p, size_t n, uint64_t now)
{
        int last = 0;
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(link_scanner_feed(&F.sc, p + i, 1), 1);
                struct link_frame f;
                while (link_scanner_next(&F.sc, &f) > 0) {
                        assert_int_equal(lsess_check_frame(&F.s, &f), LSESS_MATCH_OK);
                        const uint8_t *a = NULL;
                        size_t alen = 0;
                        last = lsess_on_frame(&F.s, &f, now, &F.out, &a, &alen);
                        if (last == 1) {
                                F.apdu = a;
                                F.apdu_len = alen;
                                F.apdus++;
                        }
                }
        }
        return last;
}

static void expect_out(const uint8_t *p, size_t n)
{
        assert_int_equal(F.out.len, n);
        assert_memory_equal(F.obuf, p, n);
        F.out.len = 0;
}

static void test_link_status(void **state)
{
        (void)state;
        fix_init(false, 0, 100);
        assert_int_equal(feed(m_reqls, sizeof(m_reqls), 200), 0);
        expect_out(o_lstat, sizeof(o_lstat));
        assert_int_equal(F.s.stats.rx_frames, 1);
        assert_int_equal(F.s.stats.tx_frames, 1);
        assert_int_equal(lsess_deadline(&F.s), DNP_NEVER);
        /* TEST_LINK_STATES -> ACK, once the link is reset (test_test_link_states_*) */
        assert_int_equal(feed(m_reset, sizeof(m_reset), 300), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(feed(m_test, sizeof(m_test), 300), 0);
        expect_out(o_ack, sizeof(o_ack));
}

static void test_reset_confirmed_fcb(void **state)
{
        (void)state;
        static const uint8_t read1[] = { 0xc0, 0x01, 0x3c, 0x02, 0x06 };
        static const uint8_t read2[] = { 0xc1, 0x01, 0x3c, 0x02, 0x06 };

        fix_init(false, 0, 0);
        assert_int_equal(feed(m_reset, sizeof(m_reset), 10), 0);
        expect_out(o_ack, sizeof(o_ack));

        assert_int_equal(feed(m_cud1, sizeof(m_cud1), 20), 1);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.apdus, 1);
        assert_int_equal(F.apdu_len, sizeof(read1));
        assert_memory_equal(F.apdu, read1, sizeof(read1));

        /* The same FCB again: a retry of a frame whose ACK was lost -> ACK only. */
        assert_int_equal(feed(m_cud1, sizeof(m_cud1), 30), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.apdus, 1);
        assert_int_equal(F.s.stats.fcb_repeats, 1);

        /* Toggled FCB: new data. */
        assert_int_equal(feed(m_cud0, sizeof(m_cud0), 40), 1);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.apdus, 2);
        assert_memory_equal(F.apdu, read2, sizeof(read2));
        assert_int_equal(F.s.stats.rx_apdus, 2);

        /* A reset again: FCB=1 expected next, so m_cud0 now is a repeat. */
        assert_int_equal(feed(m_reset, sizeof(m_reset), 50), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(feed(m_cud0, sizeof(m_cud0), 60), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.s.stats.fcb_repeats, 2);
        assert_int_equal(F.apdus, 2);
}

static void test_confirmed_send(void **state)
{
        (void)state;
        fix_init(true, 0, 1000);
        assert_true(lsess_tx_idle(&F.s));
        assert_int_equal(lsess_send(&F.s, rsp1, sizeof(rsp1), 1000, &F.out), 0);
        expect_out(o_reset, sizeof(o_reset));
        assert_false(lsess_tx_idle(&F.s));
        assert_int_equal(lsess_deadline(&F.s), 2000);
        assert_int_equal(lsess_send(&F.s, rsp2, sizeof(rsp2), 1001, &F.out), -EBUSY);
        assert_int_equal(F.out.len, 0);

        /* ACK of the reset -> first data frame with FCB=1. */
        assert_int_equal(feed(m_ack, sizeof(m_ack), 1100), 0);
        expect_out(o_cud1, sizeof(o_cud1));
        assert_int_equal(lsess_deadline(&F.s), 2100);
        assert_false(lsess_tx_idle(&F.s));

        /* ACK of the data frame -> done. */
        assert_int_equal(feed(m_ack, sizeof(m_ack), 1200), 0);
        assert_int_equal(F.out.len, 0);
        assert_true(lsess_tx_idle(&F.s));
        assert_int_equal(lsess_deadline(&F.s), DNP_NEVER);
        assert_int_equal(F.s.stats.tx_apdus, 1);

        /* Next APDU: no reset, FCB=0, transport seq 1. */
        assert_int_equal(lsess_send(&F.s, rsp2, sizeof(rsp2), 1300, &F.out), 0);
        expect_out(o_cud0, sizeof(o_cud0));
        assert_int_equal(feed(m_ack, sizeof(m_ack), 1310), 0);
        assert_true(lsess_tx_idle(&F.s));
        assert_int_equal(F.s.stats.tx_apdus, 2);
        assert_int_equal(F.s.stats.tx_frames, 3);
        assert_false(lsess_tx_failed(&F.s));
}

static void test_ack_timeout_retries(void **state)
{
        (void)state;
        fix_init(true, 0, 0);
        assert_int_equal(lsess_send(&F.s, rsp1, sizeof(rsp1), 0, &F.out), 0);
        expect_out(o_reset, sizeof(o_reset));
        assert_int_equal(feed(m_ack, sizeof(m_ack), 10), 0);
        expect_out(o_cud1, sizeof(o_cud1));

        assert_int_equal(lsess_on_timer(&F.s, 1009, &F.out), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(lsess_on_timer(&F.s, 1010, &F.out), 0);      /* retry 1 */
        expect_out(o_cud1, sizeof(o_cud1));
        assert_int_equal(lsess_deadline(&F.s), 2010);
        assert_int_equal(lsess_on_timer(&F.s, 2010, &F.out), 0);      /* retry 2 */
        expect_out(o_cud1, sizeof(o_cud1));
        assert_int_equal(F.s.stats.link_retries, 2);
        assert_false(lsess_tx_failed(&F.s));
        assert_int_equal(lsess_on_timer(&F.s, 3010, &F.out), 0);      /* given up */
        assert_int_equal(F.out.len, 0);
        assert_true(lsess_tx_idle(&F.s));
        assert_true(lsess_tx_failed(&F.s));
        assert_false(lsess_tx_failed(&F.s));                            /* once */
        assert_int_equal(F.s.stats.link_failures, 1);
        assert_int_equal(F.s.stats.tx_apdus, 0);
        assert_int_equal(lsess_deadline(&F.s), DNP_NEVER);

        /* After a failure the link is reset again before data. */
        assert_int_equal(lsess_send(&F.s, rsp1, sizeof(rsp1), 4000, &F.out), 0);
        expect_out(o_reset, sizeof(o_reset));

        /* The reset itself unanswered: 2 retries then failure. */
        assert_int_equal(lsess_on_timer(&F.s, 5000, &F.out), 0);
        expect_out(o_reset, sizeof(o_reset));
        assert_int_equal(lsess_on_timer(&F.s, 6000, &F.out), 0);
        expect_out(o_reset, sizeof(o_reset));
        assert_int_equal(lsess_on_timer(&F.s, 7000, &F.out), 0);
        assert_int_equal(F.out.len, 0);
        assert_true(lsess_tx_failed(&F.s));
        assert_int_equal(F.s.stats.link_failures, 2);

        /* NACK abandons at once. */
        assert_int_equal(lsess_send(&F.s, rsp1, sizeof(rsp1), 8000, &F.out), 0);
        expect_out(o_reset, sizeof(o_reset));
        assert_int_equal(feed(m_nack, sizeof(m_nack), 8100), 0);
        assert_true(lsess_tx_idle(&F.s));
        assert_true(lsess_tx_failed(&F.s));
        assert_int_equal(F.s.stats.link_failures, 3);
}

static void test_keepalive(void **state)
{
        (void)state;
        fix_init(false, 5000, 0);
        assert_int_equal(lsess_deadline(&F.s), 5000);
        /* Any frame from the peer restarts the silence timer. */
        assert_int_equal(feed(m_reqls, sizeof(m_reqls), 3000), 0);
        expect_out(o_lstat, sizeof(o_lstat));
        assert_int_equal(lsess_deadline(&F.s), 8000);
        assert_int_equal(lsess_on_timer(&F.s, 7999, &F.out), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(lsess_on_timer(&F.s, 8000, &F.out), 0);
        expect_out(o_reqls, sizeof(o_reqls));
        assert_int_equal(F.s.stats.keepalives_sent, 1);
        assert_int_equal(lsess_deadline(&F.s), 9000);      /* answer within link timeout */
        assert_int_equal(feed(m_lstat, sizeof(m_lstat), 8500), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(lsess_deadline(&F.s), 13500);
        assert_false(lsess_keepalive_failed(&F.s));

        /* Unanswered keep-alive. */
        assert_int_equal(lsess_on_timer(&F.s, 13500, &F.out), 0);
        expect_out(o_reqls, sizeof(o_reqls));
        assert_int_equal(lsess_on_timer(&F.s, 14499, &F.out), 0);
        assert_false(lsess_keepalive_failed(&F.s));
        assert_int_equal(lsess_on_timer(&F.s, 14500, &F.out), 0);
        assert_int_equal(F.out.len, 0);
        assert_true(lsess_keepalive_failed(&F.s));
        assert_false(lsess_keepalive_failed(&F.s));
        assert_int_equal(F.s.stats.keepalives_failed, 1);
        assert_int_equal(lsess_deadline(&F.s), 19500);
        assert_int_equal(F.s.stats.keepalives_sent, 2);
}

static void test_unconfirmed_multiseg(void **state)
{
        (void)state;
        uint8_t apdu[300];
        for (size_t i = 0; i < sizeof(apdu); i++)
                apdu[i] = (uint8_t)((i * 7 + 3) & 0xff);

        fix_init(false, 0, 0);
        assert_int_equal(lsess_wire_size(sizeof(apdu)), sizeof(mseg_tx));
        assert_int_equal(lsess_send(&F.s, apdu, sizeof(apdu), 0, &F.out), 0);
        expect_out(mseg_tx, sizeof(mseg_tx));
        assert_true(lsess_tx_idle(&F.s));
        assert_int_equal(F.s.stats.tx_frames, 2);
        assert_int_equal(F.s.stats.tx_apdus, 1);
        /* The next APDU continues with transport sequence 2. */
        assert_int_equal(lsess_send(&F.s, rsp1, sizeof(rsp1), 0, &F.out), 0);
        assert_int_equal(F.out.len, 17);
        assert_int_equal(F.obuf[10], 0xc2);
        F.out.len = 0;

        /* Receive: two segments reassembled. */
        assert_int_equal(feed(mseg_rx, sizeof(mseg_rx), 10), 1);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(F.apdus, 1);
        assert_int_equal(F.apdu_len, sizeof(apdu));
        assert_memory_equal(F.apdu, apdu, sizeof(apdu));

        /* Sizes: 0 -> one frame with the transport header only; 249 -> one; 250 -> two. */
        assert_int_equal(lsess_wire_size(0), 13);
        assert_int_equal(lsess_wire_size(4), sizeof(o_ucud));
        assert_int_equal(lsess_wire_size(249), 292);
        assert_int_equal(lsess_wire_size(250), 292 + 14);
}

static void test_unconfirmed_golden(void **state)
{
        (void)state;
        fix_init(false, 0, 0);
        assert_int_equal(lsess_send(&F.s, rsp1, sizeof(rsp1), 0, &F.out), 0);
        expect_out(o_ucud, sizeof(o_ucud));
}

static void test_check_frame(void **state)
{
        (void)state;
        fix_init(false, 0, 0);
        struct link_frame f = {
                .h = { .dir = true, .prm = true, .code = 4, .dest = 10, .src = 1 },
        };
        assert_int_equal(lsess_check_frame(&F.s, &f), LSESS_MATCH_OK);
        f.h.dest = 11;
        assert_int_equal(lsess_check_frame(&F.s, &f), LSESS_MATCH_OTHER_DEST);
        f.h.dest = 0xfffc;      /* reserved, not broadcast */
        assert_int_equal(lsess_check_frame(&F.s, &f), LSESS_MATCH_OTHER_DEST);
        for (uint32_t d = 0xfffd; d <= 0xffff; d++) {
                f.h.dest = (uint16_t)d;
                assert_int_equal(lsess_check_frame(&F.s, &f), LSESS_MATCH_OK);
        }
        f.h.dest = 10;
        f.h.src = 2;
        assert_int_equal(lsess_check_frame(&F.s, &f), LSESS_MATCH_OTHER_SRC);
        f.h.src = 1;
        f.h.dir = false;        /* a peer with our role */
        assert_int_equal(lsess_check_frame(&F.s, &f), LSESS_MATCH_WRONG_DIR);

        /* Broadcast user data is delivered, but no link reply goes out. */
        static const uint8_t bcast_reqls[] = { 0x05, 0x64, 0x05, 0xc9, 0xff, 0xff, 0x01, 0x00,
                                               0xcd, 0x04 };
        assert_int_equal(feed(bcast_reqls, sizeof(bcast_reqls), 0), 0);
        assert_int_equal(F.out.len, 0);

        /* The master side: DIR set on its frames, an outstation's frames accepted. */
        struct lsess m;
        uint8_t buf[64];
        struct lsess_cfg mc = { .master = true, .local = 1, .remote = 10 };
        lsess_init(&m, &mc, buf, sizeof(buf), 0);
        struct link_frame g = { .h = { .dir = false, .prm = false, .dest = 1, .src = 10 } };
        assert_int_equal(lsess_check_frame(&m, &g), LSESS_MATCH_OK);
        g.h.dir = true;
        assert_int_equal(lsess_check_frame(&m, &g), LSESS_MATCH_WRONG_DIR);
}

/*
 * The link rules of the secondary station (IEEE 1815-2012 clause 9, its
 * state table: UnReset until RESET_LINK_STATES, then Idle with an expected
 * FCB), as opendnp3 (link/SecLinkLayerStates.cpp, SLLS_NotReset; tests
 * "ConfirmedDataIgnoredFromIdleUnreset", "TestLinkStates") and Step
 * Function's dnp3 (dnp3/src/link/layer.rs, SecondaryState::NotReset)
 * implement them: in UnReset, CONFIRMED_USER_DATA and TEST_LINK_STATES are
 * discarded -- no ACK, no NACK, the data is not passed on.  (Some stacks
 * answer NACK instead; the state table says discard.)
 */
static void test_confirmed_data_before_reset_unanswered(void **state)
{
        (void)state;
        static const uint8_t read1[] = { 0xc0, 0x01, 0x3c, 0x02, 0x06 };

        fix_init(false, 0, 0);
        assert_int_equal(feed(m_cud1, sizeof(m_cud1), 10), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(feed(m_cud0, sizeof(m_cud0), 20), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(F.apdus, 0);
        assert_int_equal(F.s.stats.not_reset, 2);
        assert_int_equal(F.s.stats.rx_apdus, 0);

        /* RESET_LINK_STATES -> ACK; then FCB=1 is the expected one: ACK and data */
        assert_int_equal(feed(m_reset, sizeof(m_reset), 30), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(feed(m_cud1, sizeof(m_cud1), 40), 1);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.apdus, 1);
        assert_int_equal(F.apdu_len, sizeof(read1));
        assert_memory_equal(F.apdu, read1, sizeof(read1));
        assert_int_equal(F.s.stats.not_reset, 2);
}

/* A connection lost or replaced (lsess_reset) is a new link: it needs its own RESET_LINK_STATES. */
static void test_new_connection_needs_link_reset(void **state)
{
        (void)state;
        static const uint8_t read1[] = { 0xc0, 0x01, 0x3c, 0x02, 0x06 };

        fix_init(false, 0, 0);
        assert_int_equal(feed(m_reset, sizeof(m_reset), 10), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(feed(m_cud1, sizeof(m_cud1), 20), 1);
        expect_out(o_ack, sizeof(o_ack));

        lsess_reset(&F.s, 100);
        /* FCB=0 was expected next on the old connection; on the new one nothing is */
        assert_int_equal(feed(m_cud0, sizeof(m_cud0), 110), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(feed(m_cud1, sizeof(m_cud1), 120), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(feed(m_test, sizeof(m_test), 130), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(F.apdus, 1);
        assert_int_equal(F.s.stats.not_reset, 3);

        assert_int_equal(feed(m_reset, sizeof(m_reset), 140), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(feed(m_cud1, sizeof(m_cud1), 150), 1);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.apdus, 2);
        assert_memory_equal(F.apdu, read1, sizeof(read1));
}

/*
 * TEST_LINK_STATES: discarded before a reset; after it, ACK and toggle the
 * expected FCB when it carries that FCB, otherwise "re-transmit the most
 * recent response that contained function code 0 (ACK) or 1 (NACK)" (the
 * state table, as quoted in opendnp3) -- this station's last such response
 * is always the same ACK -- without toggling.  Confirmed data after each
 * TEST shows which FCB is expected.
 */
static void test_test_link_states_needs_reset_and_toggles_fcb(void **state)
{
        (void)state;
        fix_init(false, 0, 0);
        assert_int_equal(feed(m_test, sizeof(m_test), 10), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(F.s.stats.not_reset, 1);

        assert_int_equal(feed(m_reset, sizeof(m_reset), 20), 0);
        expect_out(o_ack, sizeof(o_ack));
        /* FCB=1 expected: ACK, now FCB=0 expected */
        assert_int_equal(feed(m_test, sizeof(m_test), 30), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.s.stats.fcb_repeats, 0);
        /* FCB=1 again (our ACK was lost): the ACK again, no toggle */
        assert_int_equal(feed(m_test, sizeof(m_test), 40), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.s.stats.fcb_repeats, 1);
        /* so FCB=0 data is new (it would be a repeat had a TEST not toggled) */
        assert_int_equal(feed(m_cud0, sizeof(m_cud0), 50), 1);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.apdus, 1);
        /* FCB=1 expected now: TEST FCB=0 is answered, not toggling; FCB=1 data is new */
        assert_int_equal(feed(m_test0, sizeof(m_test0), 60), 0);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.s.stats.fcb_repeats, 2);
        assert_int_equal(feed(m_cud1, sizeof(m_cud1), 70), 1);
        expect_out(o_ack, sizeof(o_ack));
        assert_int_equal(F.apdus, 2);
        assert_int_equal(F.s.stats.not_reset, 1);
}

/*
 * FCV must be 1 exactly for TEST_LINK_STATES and CONFIRMED_USER_DATA and 0
 * for RESET_LINK_STATES, UNCONFIRMED_USER_DATA and REQUEST_LINK_STATUS; only
 * user data frames carry data, and they carry some (IEEE 1815-2012 clause
 * 9.2 function code tables; opendnp3 LinkLayerParser ValidateFunctionCode /
 * ValidateHeaderParameters discard the same frames).  Such a frame is
 * discarded and counted: no ACK, no LINK_STATUS, nothing passed on, no
 * state change -- after them the link still expects FCB=1.
 */
static void test_fcv_or_length_misfit_discarded(void **state)
{
        (void)state;
        static const struct frame_bytes bad[] = {
                FRAME_BYTES(m_bad_reset_fcv), FRAME_BYTES(m_bad_test_nofcv),
                FRAME_BYTES(m_bad_reqls_fcv), FRAME_BYTES(m_bad_ucud_fcv),
                FRAME_BYTES(m_bad_cud_nofcv), FRAME_BYTES(m_bad_reset_data),
                FRAME_BYTES(m_bad_test_data), FRAME_BYTES(m_bad_reqls_data),
                FRAME_BYTES(m_bad_ucud_empty), FRAME_BYTES(m_bad_cud_empty),
                FRAME_BYTES(m_bad_ack_data),
        };
        static const uint8_t read1[] = { 0xc0, 0x01, 0x3c, 0x02, 0x06 };

        fix_init(false, 0, 0);
        assert_int_equal(feed(m_reset, sizeof(m_reset), 10), 0);
        expect_out(o_ack, sizeof(o_ack));
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_int_equal(feed(bad[i].p, bad[i].n, 20 + i), 0);
                assert_int_equal(F.out.len, 0);
                assert_int_equal(F.apdus, 0);
                assert_int_equal(F.s.stats.malformed, i + 1);
        }
        assert_int_equal(F.s.stats.tx_frames, 1);
        assert_int_equal(F.s.stats.fcb_repeats, 0);
        assert_int_equal(F.s.stats.bad_function, 0);
        /* the link is as the reset left it: FCB=1 data is new */
        assert_int_equal(feed(m_cud1, sizeof(m_cud1), 100), 1);
        expect_out(o_ack, sizeof(o_ack));
        assert_memory_equal(F.apdu, read1, sizeof(read1));

        /* An ACK with data does not acknowledge our confirmed frame; a proper one does. */
        fix_init(true, 0, 0);
        assert_int_equal(lsess_send(&F.s, rsp1, sizeof(rsp1), 0, &F.out), 0);
        expect_out(o_reset, sizeof(o_reset));
        assert_int_equal(feed(m_bad_ack_data, sizeof(m_bad_ack_data), 10), 0);
        assert_int_equal(F.out.len, 0);
        assert_false(lsess_tx_idle(&F.s));
        assert_int_equal(F.s.stats.malformed, 1);
        assert_int_equal(feed(m_ack, sizeof(m_ack), 20), 0);
        expect_out(o_cud1, sizeof(o_cud1));
}

/*
 * An undefined function code (primary 1, 5, 10; secondary 2) is not
 * answered -- NOT_SUPPORTED (15) would claim a defined link service is
 * missing -- and is counted (opendnp3 counts numBadFunctionCode and drops
 * the frame; Step Function's dnp3 ignores it).  Not before a reset, not
 * after it.
 */
static void test_undefined_function_unanswered(void **state)
{
        (void)state;
        static const struct frame_bytes undef[] = {
                FRAME_BYTES(m_undef1), FRAME_BYTES(m_undef5), FRAME_BYTES(m_undef10),
                FRAME_BYTES(m_undef_s2),
        };
        const size_t nu = sizeof(undef) / sizeof(undef[0]);

        fix_init(false, 0, 0);
        for (size_t i = 0; i < nu; i++) {
                assert_int_equal(feed(undef[i].p, undef[i].n, 10), 0);
                assert_int_equal(F.out.len, 0);
        }
        assert_int_equal(feed(m_reset, sizeof(m_reset), 20), 0);
        expect_out(o_ack, sizeof(o_ack));
        for (size_t i = 0; i < nu; i++) {
                assert_int_equal(feed(undef[i].p, undef[i].n, 30), 0);
                assert_int_equal(F.out.len, 0);
        }
        assert_int_equal(F.s.stats.bad_function, 2 * nu);
        assert_int_equal(F.s.stats.malformed, 0);
        assert_int_equal(F.s.stats.tx_frames, 1);
        /* a broadcast one is not answered either, and counted */
        struct link_frame f = { .h = { .dir = true, .prm = true, .code = 5, .dest = 0xffff,
                                       .src = 1 } };
        const uint8_t *a;
        size_t alen;
        assert_int_equal(lsess_on_frame(&F.s, &f, 40, &F.out, &a, &alen), 0);
        assert_int_equal(F.out.len, 0);
        assert_int_equal(F.s.stats.bad_function, 2 * nu + 1);
}

static void test_enobufs(void **state)
{
        (void)state;
        uint8_t apdu[300] = { 0 };
        uint8_t small[20];
        struct wr w;

        fix_init(false, 0, 0);
        wr_init(&w, small, sizeof(small));
        assert_int_equal(lsess_send(&F.s, apdu, sizeof(apdu), 0, &w), -ENOBUFS);
        assert_int_equal(w.len, 0);
        assert_int_equal(F.s.stats.tx_frames, 0);
        /* 16 bytes needed for a 3-byte APDU (10 + 1 + 3 + 2); 15 is not enough. */
        wr_init(&w, small, 15);
        assert_int_equal(lsess_send(&F.s, apdu, 3, 0, &w), -ENOBUFS);
        assert_int_equal(w.len, 0);
        wr_init(&w, small, 16);
        assert_int_equal(lsess_send(&F.s, apdu, 3, 0, &w), 0);
        assert_int_equal(w.len, 16);

        /* A link reply without room. */
        wr_init(&w, small, 5);
        struct link_frame f = { .h = { .dir = true, .prm = true, .code = 9, .dest = 10, .src = 1 } };
        const uint8_t *a;
        size_t alen;
        assert_int_equal(lsess_on_frame(&F.s, &f, 0, &w, &a, &alen), -ENOBUFS);
        assert_int_equal(w.len, 0);

        /* Confirmed: the reset frame must fit. */
        fix_init(true, 0, 0);
        wr_init(&w, small, 9);
        assert_int_equal(lsess_send(&F.s, apdu, 3, 0, &w), -ENOBUFS);
        assert_true(lsess_tx_idle(&F.s));
        assert_int_equal(lsess_deadline(&F.s), DNP_NEVER);
}

static void test_reset_forgets(void **state)
{
        (void)state;
        fix_init(true, 5000, 0);
        assert_int_equal(lsess_send(&F.s, rsp1, sizeof(rsp1), 0, &F.out), 0);
        expect_out(o_reset, sizeof(o_reset));
        assert_int_equal(feed(m_ack, sizeof(m_ack), 10), 0);
        expect_out(o_cud1, sizeof(o_cud1));
        lsess_reset(&F.s, 100);
        assert_true(lsess_tx_idle(&F.s));
        assert_int_equal(lsess_deadline(&F.s), 5100);
        /* The link must be reset again. */
        assert_int_equal(lsess_send(&F.s, rsp1, sizeof(rsp1), 200, &F.out), 0);
        expect_out(o_reset, sizeof(o_reset));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_link_status),
                cmocka_unit_test(test_reset_confirmed_fcb),
                cmocka_unit_test(test_confirmed_send),
                cmocka_unit_test(test_ack_timeout_retries),
                cmocka_unit_test(test_keepalive),
                cmocka_unit_test(test_unconfirmed_multiseg),
                cmocka_unit_test(test_unconfirmed_golden),
                cmocka_unit_test(test_check_frame),
                cmocka_unit_test(test_confirmed_data_before_reset_unanswered),
                cmocka_unit_test(test_new_connection_needs_link_reset),
                cmocka_unit_test(test_test_link_states_needs_reset_and_toggles_fcb),
                cmocka_unit_test(test_fcv_or_length_misfit_discarded),
                cmocka_unit_test(test_undefined_function_unanswered),
                cmocka_unit_test(test_enobufs),
                cmocka_unit_test(test_reset_forgets),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
