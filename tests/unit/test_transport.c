/* SPDX-License-Identifier: MIT */
/*
 * Transport function: segmentation (exact segment bytes) and reassembly
 * (every rule of transport.h with exact counters).
 *
 * The two-segment response below is frames 6 and 8 of read_and_response.pcap
 * from ITI ICS-Security-Tools (CC BY 4.0), link CRCs removed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dnp3/transport.h"

#define MAX_SEGS 300

static uint8_t apdu_src[TPORT_MAX_FRAGMENT];
static uint8_t segs[MAX_SEGS][TPORT_MAX_SEGMENT];
static size_t seg_len[MAX_SEGS];
static uint8_t rxbuf[TPORT_MAX_FRAGMENT + 16];

/* Byte i of the test APDU is the low byte of i: easy to state golden bytes. */
static void fill_apdu(size_t len)
{
        for (size_t i = 0; i < len; i++)
                apdu_src[i] = (uint8_t)i;
}

/* Segment apdu_src[0..len) into segs[]; returns the number of segments. */
static size_t segment(size_t len, uint8_t seq, uint8_t *ret_next_seq)
{
        struct tport_tx tx;
        size_t n = 0, l;

        tport_tx_start(&tx, apdu_src, len, seq);
        while ((l = tport_tx_next(&tx, segs[n])) > 0) {
                assert_true(l <= TPORT_MAX_SEGMENT);
                seg_len[n] = l;
                n++;
                assert_true(n < MAX_SEGS);
        }
        assert_true(tx.done);
        /* Finished: further calls keep returning 0. */
        assert_int_equal(tport_tx_next(&tx, segs[n]), 0);
        *ret_next_seq = tx.seq;
        return n;
}

/* Check segment i: header byte, length, and payload = apdu_src[off..off+len-1). */
static void check_seg(size_t i, uint8_t hdr, size_t len, size_t off)
{
        assert_int_equal(seg_len[i], len);
        assert_int_equal(segs[i][0], hdr);
        assert_memory_equal(&segs[i][1], &apdu_src[off], len - 1);
}

/* Push segs[0..n) into rx; all but the last must return 0, the last 1. */
static void reassemble(struct tport_rx *rx, size_t n, size_t want_len)
{
        const uint8_t *apdu = NULL;
        size_t len = 0;

        for (size_t i = 0; i + 1 < n; i++)
                assert_int_equal(tport_rx_push(rx, segs[i], seg_len[i], &apdu, &len), 0);
        assert_int_equal(tport_rx_push(rx, segs[n - 1], seg_len[n - 1], &apdu, &len), 1);
        assert_ptr_equal(apdu, rx->buf);
        assert_int_equal(len, want_len);
        if (want_len)
                assert_memory_equal(apdu, apdu_src, want_len);
}

static void assert_stats(const struct tport_rx *rx, uint64_t frags, uint64_t dseg,
                         uint64_t dfrag, uint64_t ovf)
{
        assert_int_equal(rx->stats.fragments, frags);
        assert_int_equal(rx->stats.discarded_segments, dseg);
        assert_int_equal(rx->stats.discarded_fragments, dfrag);
        assert_int_equal(rx->stats.overflows, ovf);
}

static void test_tx_0(void **state)
{
        (void)state;
        uint8_t next;
        struct tport_rx rx;

        assert_int_equal(segment(0, 0, &next), 1);
        assert_int_equal(seg_len[0], 1);
        assert_int_equal(segs[0][0], 0xc0);     /* FIR|FIN, seq 0, no payload */
        assert_int_equal(next, 1);

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        reassemble(&rx, 1, 0);
        assert_stats(&rx, 1, 0, 0, 0);
        assert_false(rx.active);
}

static void test_tx_1(void **state)
{
        (void)state;
        uint8_t next;
        struct tport_rx rx;

        apdu_src[0] = 0xab;
        assert_int_equal(segment(1, 5, &next), 1);
        assert_int_equal(seg_len[0], 2);
        assert_int_equal(segs[0][0], 0xc5);
        assert_int_equal(segs[0][1], 0xab);
        assert_int_equal(next, 6);

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        reassemble(&rx, 1, 1);
        assert_stats(&rx, 1, 0, 0, 0);
}

static void test_tx_249(void **state)
{
        (void)state;
        uint8_t next;
        struct tport_rx rx;

        fill_apdu(249);
        assert_int_equal(segment(249, 63, &next), 1);
        check_seg(0, 0xff, 250, 0);             /* FIR|FIN|63 */
        assert_int_equal(segs[0][1], 0x00);
        assert_int_equal(segs[0][249], 0xf8);
        assert_int_equal(next, 0);              /* 63 + 1 wraps */

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        reassemble(&rx, 1, 249);
        assert_stats(&rx, 1, 0, 0, 0);
}

static void test_tx_250(void **state)
{
        (void)state;
        uint8_t next;
        struct tport_rx rx;

        fill_apdu(250);
        assert_int_equal(segment(250, 10, &next), 2);
        check_seg(0, 0x4a, 250, 0);             /* FIR|10 */
        check_seg(1, 0x8b, 2, 249);             /* FIN|11 */
        static const uint8_t last[] = { 0x8b, 0xf9 };
        assert_memory_equal(segs[1], last, sizeof(last));
        assert_int_equal(next, 12);

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        reassemble(&rx, 2, 250);
        assert_stats(&rx, 1, 0, 0, 0);
}

static void test_tx_498(void **state)
{
        (void)state;
        uint8_t next;
        struct tport_rx rx;

        fill_apdu(498);
        assert_int_equal(segment(498, 0, &next), 2);
        check_seg(0, 0x40, 250, 0);
        check_seg(1, 0x81, 250, 249);
        assert_int_equal(segs[1][1], 0xf9);     /* byte 249 */
        assert_int_equal(segs[1][249], 0xf1);   /* byte 497 = 0x1f1 */
        assert_int_equal(next, 2);

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        reassemble(&rx, 2, 498);
        assert_stats(&rx, 1, 0, 0, 0);
}

static void test_tx_499(void **state)
{
        (void)state;
        uint8_t next;
        struct tport_rx rx;

        fill_apdu(499);
        assert_int_equal(segment(499, 1, &next), 3);
        check_seg(0, 0x41, 250, 0);
        check_seg(1, 0x02, 250, 249);           /* middle: neither FIR nor FIN */
        check_seg(2, 0x83, 2, 498);
        static const uint8_t last[] = { 0x83, 0xf2 };
        assert_memory_equal(segs[2], last, sizeof(last));
        assert_int_equal(next, 4);

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        reassemble(&rx, 3, 499);
        assert_stats(&rx, 1, 0, 0, 0);
}

static void test_tx_2048(void **state)
{
        (void)state;
        uint8_t next;
        struct tport_rx rx;
        /* Starting at 62: the sequence wraps after the second segment. */
        static const uint8_t hdrs[9] = { 0x7e, 0x3f, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x86 };

        fill_apdu(2048);
        assert_int_equal(segment(2048, 62, &next), 9);
        for (size_t i = 0; i < 8; i++)
                check_seg(i, hdrs[i], 250, i * 249);
        check_seg(8, hdrs[8], 57, 1992);        /* 2048 - 8 * 249 = 56 bytes */
        assert_int_equal(segs[8][56], 0xff);    /* byte 2047 */
        assert_int_equal(next, 7);

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        reassemble(&rx, 9, 2048);
        assert_stats(&rx, 1, 0, 0, 0);
        assert_int_equal(rx.len, 2048);
}

static void test_tx_65535(void **state)
{
        (void)state;
        uint8_t next;
        struct tport_rx rx;

        fill_apdu(65535);
        assert_int_equal(segment(65535, 0, &next), 264);    /* 263 * 249 + 48 */
        check_seg(0, 0x40, 250, 0);
        for (size_t i = 1; i < 263; i++)
                check_seg(i, (uint8_t)(i % 64), 250, i * 249);
        check_seg(63, 0x3f, 250, 63 * 249);
        check_seg(64, 0x00, 250, 64 * 249);
        check_seg(263, 0x87, 49, 65487);       /* FIN|(263 mod 64 = 7) */
        assert_int_equal(segs[263][48], 0xfe);  /* byte 65534 = 0xfffe */
        assert_int_equal(next, 8);              /* 264 mod 64 */

        tport_rx_init(&rx, rxbuf, TPORT_MAX_FRAGMENT);
        reassemble(&rx, 264, 65535);
        assert_stats(&rx, 1, 0, 0, 0);

        /* The same APDU against the default cap overflows on segment 9 (9 * 249 > 2048). */
        const uint8_t *apdu = NULL;
        size_t len = 0;
        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        for (size_t i = 0; i < 8; i++)
                assert_int_equal(tport_rx_push(&rx, segs[i], seg_len[i], &apdu, &len), 0);
        assert_int_equal(tport_rx_push(&rx, segs[8], seg_len[8], &apdu, &len), -EBADMSG);
        assert_stats(&rx, 0, 0, 1, 1);
        assert_false(rx.active);
        /* The rest are non-FIR segments with nothing in progress. */
        for (size_t i = 9; i < 264; i++)
                assert_int_equal(tport_rx_push(&rx, segs[i], seg_len[i], &apdu, &len), -EBADMSG);
        assert_stats(&rx, 0, 255, 1, 1);
        assert_null(apdu);
}

/* Frames 6 and 8 of read_and_response.pcap: FIR seq 19 (249 bytes), FIN seq 20 (20 bytes). */
static const uint8_t cap_seg1[250] = {
        0x53, 0xc0, 0x81, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x09, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
        0x02, 0x02, 0x02, 0x02, 0x03, 0x02, 0x00, 0x00, 0x09, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
        0x02, 0x02, 0x02, 0x14, 0x01, 0x00, 0x00, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x15, 0x01, 0x00, 0x00, 0x09, 0x02,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x1e, 0x01, 0x00, 0x00, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x02, 0x00, 0x00, 0x09, 0x02, 0x02, 0x02,
        0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x28, 0x01, 0x00, 0x00, 0x09, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t cap_seg2[21] = {
        0x94, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x00, 0x00, 0x00, 0x00,
};

static void test_capture(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 0;
        uint8_t next;

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        assert_int_equal(tport_rx_push(&rx, cap_seg1, sizeof(cap_seg1), &apdu, &len), 0);
        assert_true(rx.active);
        assert_int_equal(rx.seq, 19);
        assert_int_equal(tport_rx_push(&rx, cap_seg2, sizeof(cap_seg2), &apdu, &len), 1);
        assert_int_equal(len, 269);
        assert_memory_equal(apdu, &cap_seg1[1], 249);
        assert_memory_equal(apdu + 249, &cap_seg2[1], 20);
        static const uint8_t rsp_hdr[] = { 0xc0, 0x81, 0x00, 0x00 };  /* FIR FIN seq 0 RESPONSE */
        assert_memory_equal(apdu, rsp_hdr, sizeof(rsp_hdr));
        assert_stats(&rx, 1, 0, 0, 0);

        /* Segmenting the APDU again from seq 19 reproduces the captured segments. */
        memcpy(apdu_src, apdu, len);
        assert_int_equal(segment(269, 19, &next), 2);
        assert_int_equal(seg_len[0], sizeof(cap_seg1));
        assert_memory_equal(segs[0], cap_seg1, sizeof(cap_seg1));
        assert_int_equal(seg_len[1], sizeof(cap_seg2));
        assert_memory_equal(segs[1], cap_seg2, sizeof(cap_seg2));
        assert_int_equal(next, 21);
}

static int push(struct tport_rx *rx, const uint8_t *seg, size_t n, const uint8_t **apdu,
                size_t *len)
{
        return tport_rx_push(rx, seg, n, apdu, len);
}

static void test_fir_restarts(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 99;
        static const uint8_t s1[] = { 0x41, 0xaa, 0xbb };       /* FIR seq 1 */
        static const uint8_t s2[] = { 0x02, 0xcc };             /* seq 2 */
        static const uint8_t s3[] = { 0xc7, 0xdd };             /* FIR|FIN seq 7 */
        static const uint8_t s4[] = { 0x48, 0x01 };             /* FIR seq 8 */
        static const uint8_t s5[] = { 0x40, 0x02 };             /* FIR seq 0 */
        static const uint8_t s6[] = { 0x81, 0x03 };             /* FIN seq 1 */

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        assert_int_equal(push(&rx, s1, sizeof(s1), &apdu, &len), 0);
        assert_int_equal(push(&rx, s2, sizeof(s2), &apdu, &len), 0);
        assert_int_equal(rx.len, 3);
        assert_null(apdu);
        assert_int_equal(len, 99);
        assert_int_equal(push(&rx, s3, sizeof(s3), &apdu, &len), 1);
        assert_int_equal(len, 1);
        assert_int_equal(apdu[0], 0xdd);
        assert_stats(&rx, 1, 0, 1, 0);

        /* Two FIRs in a row: the first (one byte) is discarded, the second completes. */
        assert_int_equal(push(&rx, s4, sizeof(s4), &apdu, &len), 0);
        assert_int_equal(push(&rx, s5, sizeof(s5), &apdu, &len), 0);
        assert_int_equal(push(&rx, s6, sizeof(s6), &apdu, &len), 1);
        assert_int_equal(len, 2);
        static const uint8_t want[] = { 0x02, 0x03 };
        assert_memory_equal(apdu, want, sizeof(want));
        assert_stats(&rx, 2, 0, 2, 0);

        /* A FIR after a completed fragment discards nothing. */
        assert_int_equal(push(&rx, s3, sizeof(s3), &apdu, &len), 1);
        assert_stats(&rx, 3, 0, 2, 0);
}

static void test_non_fir_start(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 99;
        static const uint8_t mid[] = { 0x05, 0x11 };            /* seq 5, no FIR/FIN */
        static const uint8_t fin[] = { 0x86, 0x22 };            /* FIN seq 6 */
        static const uint8_t whole[] = { 0xc9, 0x33 };          /* FIR|FIN seq 9 */
        static const uint8_t after[] = { 0x8a, 0x44 };          /* FIN seq 10 */

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        assert_int_equal(push(&rx, mid, sizeof(mid), &apdu, &len), -EBADMSG);
        assert_int_equal(push(&rx, fin, sizeof(fin), &apdu, &len), -EBADMSG);
        assert_false(rx.active);
        assert_int_equal(rx.len, 0);
        assert_null(apdu);
        assert_int_equal(len, 99);
        assert_stats(&rx, 0, 2, 0, 0);

        /* After a complete fragment nothing is in progress: seq+1 without FIR is dropped. */
        assert_int_equal(push(&rx, whole, sizeof(whole), &apdu, &len), 1);
        assert_int_equal(push(&rx, after, sizeof(after), &apdu, &len), -EBADMSG);
        assert_stats(&rx, 1, 3, 0, 0);

        /* An empty segment (no transport header) is dropped too. */
        assert_int_equal(push(&rx, mid, 0, &apdu, &len), -EBADMSG);
        assert_int_equal(tport_rx_push(&rx, NULL, 0, &apdu, &len), -EBADMSG);
        assert_stats(&rx, 1, 5, 0, 0);
}

static void test_duplicate(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 0;
        static const uint8_t s1[] = { 0x45, 0x01 };             /* FIR seq 5 */
        static const uint8_t d1[] = { 0x05, 0xee };             /* seq 5 again, no FIR */
        static const uint8_t s2[] = { 0x06, 0x02 };             /* seq 6 */
        static const uint8_t d2[] = { 0x06, 0xee, 0xee };       /* seq 6 again */
        static const uint8_t d2f[] = { 0x86, 0xee };            /* seq 6 again, with FIN */
        static const uint8_t s3[] = { 0x87, 0x03 };             /* FIN seq 7 */

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        assert_int_equal(push(&rx, s1, sizeof(s1), &apdu, &len), 0);
        assert_int_equal(push(&rx, d1, sizeof(d1), &apdu, &len), -EBADMSG);
        assert_true(rx.active);
        assert_int_equal(rx.len, 1);
        assert_stats(&rx, 0, 1, 0, 0);
        assert_int_equal(push(&rx, s2, sizeof(s2), &apdu, &len), 0);
        assert_int_equal(push(&rx, d2, sizeof(d2), &apdu, &len), -EBADMSG);
        assert_int_equal(push(&rx, d2f, sizeof(d2f), &apdu, &len), -EBADMSG);
        assert_true(rx.active);
        assert_int_equal(rx.len, 2);
        assert_stats(&rx, 0, 3, 0, 0);
        assert_int_equal(push(&rx, s3, sizeof(s3), &apdu, &len), 1);
        static const uint8_t want[] = { 0x01, 0x02, 0x03 };
        assert_int_equal(len, sizeof(want));
        assert_memory_equal(apdu, want, sizeof(want));
        assert_stats(&rx, 1, 3, 0, 0);
}

static void test_wrong_seq(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 0;
        static const uint8_t s1[] = { 0x45, 0x01 };             /* FIR seq 5 */
        static const uint8_t skip[] = { 0x07, 0x02 };           /* seq 7: 6 was lost */
        static const uint8_t s8[] = { 0x88, 0x03 };             /* FIN seq 8 */
        static const uint8_t back[] = { 0x04, 0x02 };           /* seq 4: backwards */
        static const uint8_t s6[] = { 0x86, 0x03 };             /* FIN seq 6 */

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        assert_int_equal(push(&rx, s1, sizeof(s1), &apdu, &len), 0);
        assert_int_equal(push(&rx, skip, sizeof(skip), &apdu, &len), -EBADMSG);
        assert_false(rx.active);
        assert_int_equal(rx.len, 0);
        assert_stats(&rx, 0, 1, 1, 0);
        /* The fragment is gone: its continuation is a non-FIR start now. */
        assert_int_equal(push(&rx, s8, sizeof(s8), &apdu, &len), -EBADMSG);
        assert_stats(&rx, 0, 2, 1, 0);

        assert_int_equal(push(&rx, s1, sizeof(s1), &apdu, &len), 0);
        assert_int_equal(push(&rx, back, sizeof(back), &apdu, &len), -EBADMSG);
        assert_stats(&rx, 0, 3, 2, 0);
        assert_int_equal(push(&rx, s6, sizeof(s6), &apdu, &len), -EBADMSG);
        assert_stats(&rx, 0, 4, 2, 0);
        assert_null(apdu);

        /* And the right sequence still works afterwards. */
        assert_int_equal(push(&rx, s1, sizeof(s1), &apdu, &len), 0);
        assert_int_equal(push(&rx, s6, sizeof(s6), &apdu, &len), 1);
        assert_int_equal(len, 2);
        assert_stats(&rx, 1, 4, 2, 0);
}

/* Push a fragment of total bytes (FIR ... FIN, 249-byte payloads) into rx, return the last result. */
static int push_fragment(struct tport_rx *rx, size_t total, const uint8_t **apdu, size_t *len)
{
        uint8_t next;
        size_t n;
        int r = 0;

        fill_apdu(total);
        n = segment(total, 0, &next);
        for (size_t i = 0; i < n; i++) {
                r = tport_rx_push(rx, segs[i], seg_len[i], apdu, len);
                if (r != 0)
                        return i + 1 == n ? r : -1000 - (int)i;
        }
        return r;
}

static void test_overflow(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 0;

        memset(rxbuf, 0x5a, sizeof(rxbuf));
        tport_rx_init(&rx, rxbuf, 600);

        /* Exactly cap bytes: 249 + 249 + 102. */
        assert_int_equal(push_fragment(&rx, 600, &apdu, &len), 1);
        assert_int_equal(len, 600);
        assert_memory_equal(apdu, apdu_src, 600);
        assert_stats(&rx, 1, 0, 0, 0);

        /* cap + 1: the third segment (103 bytes) would make 601. */
        memset(rxbuf, 0x5a, sizeof(rxbuf));
        apdu = NULL;
        assert_int_equal(push_fragment(&rx, 601, &apdu, &len), -EBADMSG);
        assert_null(apdu);
        assert_false(rx.active);
        assert_int_equal(rx.len, 0);
        assert_stats(&rx, 1, 0, 1, 1);
        for (size_t i = 600; i < sizeof(rxbuf); i++)
                assert_int_equal(rxbuf[i], 0x5a);       /* nothing written past cap */

        /* A fresh FIR works again. */
        assert_int_equal(push_fragment(&rx, 599, &apdu, &len), 1);
        assert_int_equal(len, 599);
        assert_stats(&rx, 2, 0, 1, 1);

        /* A single FIR segment bigger than a small cap. */
        static const uint8_t big[] = { 0xc0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
        tport_rx_init(&rx, rxbuf, 10);
        assert_int_equal(push(&rx, big, 11, &apdu, &len), 1);    /* 10 bytes: fits */
        assert_int_equal(len, 10);
        apdu = NULL;
        assert_int_equal(push(&rx, big, 12, &apdu, &len), -EBADMSG);     /* 11 bytes */
        assert_null(apdu);
        assert_stats(&rx, 1, 0, 1, 1);

        /* cap 0: only empty APDUs. */
        static const uint8_t empty[] = { 0xc3 };
        tport_rx_init(&rx, rxbuf, 0);
        assert_int_equal(push(&rx, empty, 1, &apdu, &len), 1);
        assert_int_equal(len, 0);
        assert_int_equal(push(&rx, big, 2, &apdu, &len), -EBADMSG);
        assert_stats(&rx, 1, 0, 1, 1);
}

static void test_seq_wrap(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 0;
        static const uint8_t s62[] = { 0x7e, 0x01 };            /* FIR seq 62 */
        static const uint8_t s63[] = { 0x3f, 0x02 };            /* seq 63 */
        static const uint8_t d63[] = { 0x3f, 0xee };            /* seq 63 duplicate */
        static const uint8_t s0[] = { 0x00, 0x03 };             /* seq 0 */
        static const uint8_t f1[] = { 0x81, 0x04 };             /* FIN seq 1 */
        static const uint8_t f63[] = { 0xbf, 0x04 };            /* FIN seq 63 after 63 */

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        assert_int_equal(push(&rx, s62, sizeof(s62), &apdu, &len), 0);
        assert_int_equal(push(&rx, s63, sizeof(s63), &apdu, &len), 0);
        assert_int_equal(push(&rx, d63, sizeof(d63), &apdu, &len), -EBADMSG);
        assert_int_equal(push(&rx, s0, sizeof(s0), &apdu, &len), 0);
        assert_int_equal(rx.seq, 0);
        assert_int_equal(push(&rx, f1, sizeof(f1), &apdu, &len), 1);
        static const uint8_t want[] = { 0x01, 0x02, 0x03, 0x04 };
        assert_int_equal(len, sizeof(want));
        assert_memory_equal(apdu, want, sizeof(want));
        assert_stats(&rx, 1, 1, 0, 0);

        /* 63 -> 63 with FIN is a duplicate, not a completion. */
        assert_int_equal(push(&rx, s62, sizeof(s62), &apdu, &len), 0);
        assert_int_equal(push(&rx, s63, sizeof(s63), &apdu, &len), 0);
        assert_int_equal(push(&rx, f63, sizeof(f63), &apdu, &len), -EBADMSG);
        assert_true(rx.active);
        /* 63 -> 1 skips 0: discarded. */
        assert_int_equal(push(&rx, f1, sizeof(f1), &apdu, &len), -EBADMSG);
        assert_false(rx.active);
        assert_stats(&rx, 1, 3, 1, 0);
}

static void test_header_only_middle(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 0;
        static const uint8_t s1[] = { 0x40, 0x01 };             /* FIR seq 0 */
        static const uint8_t s2[] = { 0x01 };                   /* seq 1, no payload */
        static const uint8_t s3[] = { 0x82 };                   /* FIN seq 2, no payload */

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        assert_int_equal(push(&rx, s1, sizeof(s1), &apdu, &len), 0);
        assert_int_equal(push(&rx, s2, sizeof(s2), &apdu, &len), 0);
        assert_int_equal(push(&rx, s3, sizeof(s3), &apdu, &len), 1);
        assert_int_equal(len, 1);
        assert_int_equal(apdu[0], 0x01);
        assert_stats(&rx, 1, 0, 0, 0);
}

static void test_reset(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 0;
        static const uint8_t s1[] = { 0x40, 0x01 };
        static const uint8_t s2[] = { 0x81, 0x02 };

        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        assert_int_equal(rx.cap, TPORT_DEFAULT_FRAGMENT);
        assert_ptr_equal(rx.buf, rxbuf);
        assert_false(rx.active);
        assert_stats(&rx, 0, 0, 0, 0);
        assert_int_equal(push(&rx, s1, sizeof(s1), &apdu, &len), 0);
        tport_rx_reset(&rx);
        assert_false(rx.active);
        assert_int_equal(rx.len, 0);
        assert_int_equal(push(&rx, s2, sizeof(s2), &apdu, &len), -EBADMSG);
        assert_stats(&rx, 0, 1, 0, 0);      /* reset keeps the counters */
}

/* tx keeps the sequence across APDUs; rx takes them one after the other. */
static void test_tx_sequence_across_apdus(void **state)
{
        (void)state;
        struct tport_rx rx;
        struct tport_tx tx;
        uint8_t seg[TPORT_MAX_SEGMENT];
        const uint8_t *apdu = NULL;
        size_t len = 0, l;
        uint8_t seq = 60;
        uint8_t hdrs[16];
        size_t nh = 0;

        fill_apdu(600);
        tport_rx_init(&rx, rxbuf, TPORT_DEFAULT_FRAGMENT);
        for (size_t k = 0; k < 3; k++) {
                int r = 0;
                tport_tx_start(&tx, apdu_src, 600 - k * 200, seq);
                while ((l = tport_tx_next(&tx, seg)) > 0) {
                        hdrs[nh++] = seg[0];
                        r = tport_rx_push(&rx, seg, l, &apdu, &len);
                }
                assert_int_equal(r, 1);
                assert_int_equal(len, 600 - k * 200);
                assert_memory_equal(apdu, apdu_src, len);
                seq = tx.seq;
        }
        /* 600: 3 segments (60..62), 400: 2 (63, 0), 200: 1 (1). */
        static const uint8_t want[] = { 0x7c, 0x3d, 0xbe, 0x7f, 0x80, 0xc1 };
        assert_int_equal(nh, sizeof(want));
        assert_memory_equal(hdrs, want, sizeof(want));
        assert_int_equal(seq, 2);
        assert_stats(&rx, 3, 0, 0, 0);

        /* The seq argument is taken mod 64. */
        tport_tx_start(&tx, apdu_src, 1, 0x45);
        assert_int_equal(tport_tx_next(&tx, seg), 2);
        assert_int_equal(seg[0], 0xc5);
}

/* A mixed stream with every kind of event and the exact counters at the end. */
static void test_exact_stats(void **state)
{
        (void)state;
        struct tport_rx rx;
        const uint8_t *apdu = NULL;
        size_t len = 0;
        static const struct {
                uint8_t seg[4];
                size_t n;
                int want;
        } steps[] = {
                { { 0x03, 0x00 }, 2, -EBADMSG },        /* non-FIR start */
                { { 0x00 }, 0, -EBADMSG },              /* empty */
                { { 0x40, 0x01, 0x02 }, 3, 0 },         /* FIR 0 */
                { { 0x41, 0x03 }, 2, 0 },               /* FIR 1: restarts */
                { { 0x01, 0x04 }, 2, -EBADMSG },        /* duplicate 1 */
                { { 0x02, 0x05 }, 2, 0 },               /* 2 */
                { { 0x83, 0x06 }, 2, 1 },               /* FIN 3: fragment 03 05 06 */
                { { 0x44, 0x07 }, 2, 0 },               /* FIR 4 */
                { { 0x06, 0x08 }, 2, -EBADMSG },        /* 6: wrong seq */
                { { 0x87, 0x09 }, 2, -EBADMSG },        /* 7: nothing in progress */
                { { 0x48, 1, 2, 3 }, 4, 0 },            /* FIR 8 (cap 4) */
                { { 0x89, 4, 5 }, 3, -EBADMSG },        /* 9: 5 bytes > cap 4 */
                { { 0xca, 1, 2, 3 }, 4, 1 },            /* FIR|FIN 10 */
        };

        tport_rx_init(&rx, rxbuf, 4);
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                int r = tport_rx_push(&rx, steps[i].seg, steps[i].n, &apdu, &len);
                assert_int_equal(r, steps[i].want);
                if (i == 6) {
                        static const uint8_t want[] = { 0x03, 0x05, 0x06 };
                        assert_int_equal(len, sizeof(want));
                        assert_memory_equal(apdu, want, sizeof(want));
                }
        }
        assert_int_equal(len, 3);
        /* fragments 2; segments: non-FIR, empty, dup, wrong seq, no-progress = 5;
         * fragments discarded: FIR restart, wrong seq, overflow = 3; overflows 1. */
        assert_stats(&rx, 2, 5, 3, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tx_0),
                cmocka_unit_test(test_tx_1),
                cmocka_unit_test(test_tx_249),
                cmocka_unit_test(test_tx_250),
                cmocka_unit_test(test_tx_498),
                cmocka_unit_test(test_tx_499),
                cmocka_unit_test(test_tx_2048),
                cmocka_unit_test(test_tx_65535),
                cmocka_unit_test(test_capture),
                cmocka_unit_test(test_fir_restarts),
                cmocka_unit_test(test_non_fir_start),
                cmocka_unit_test(test_duplicate),
                cmocka_unit_test(test_wrong_seq),
                cmocka_unit_test(test_overflow),
                cmocka_unit_test(test_seq_wrap),
                cmocka_unit_test(test_header_only_middle),
                cmocka_unit_test(test_reset),
                cmocka_unit_test(test_tx_sequence_across_apdus),
                cmocka_unit_test(test_exact_stats),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
