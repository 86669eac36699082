/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: transport reassembly and segmentation.
 *
 * Input: a sequence of records, each one length byte L (taken mod 251, so
 * 0..250 = one link frame's user data at most) followed by L bytes of
 * segment (fewer if the input ends).  Every segment is pushed into two
 * reassemblers, one with a small cap (600) and one with the largest
 * (65535).  Checked after every push:
 *  - the return is -EBADMSG, 0 or 1 and the counters moved accordingly;
 *  - len <= cap, and a returned APDU is the rx buffer with len <= cap;
 *  - the two agree: the small one completes exactly when the large one
 *    completes with at most 600 bytes, with the same bytes;
 *  - segmenting a returned APDU with tport_tx gives full 250-byte segments
 *    then one FIN segment, and reassembling them gives the APDU back.
 * Any violation aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/cursor.h"
#include "dnp3/transport.h"

#define SMALL_CAP 600

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t small_buf[SMALL_CAP];
static uint8_t large_buf[TPORT_MAX_FRAGMENT];
static uint8_t check_buf[TPORT_MAX_FRAGMENT];
static uint8_t copy_buf[TPORT_MAX_FRAGMENT];

static void check(int cond)
{
        if (!cond)
                abort();
}

/* Push and check the invariants of one reassembler; returns the push result. */
static int push_checked(struct tport_rx *rx, const uint8_t *seg, size_t n,
                        const uint8_t **ret_apdu, size_t *ret_len)
{
        struct tport_stats before = rx->stats;
        const uint8_t *apdu = NULL;
        size_t len = SIZE_MAX;
        int r = tport_rx_push(rx, seg, n, &apdu, &len);

        check(rx->len <= rx->cap);
        check(rx->stats.fragments >= before.fragments);
        check(rx->stats.overflows >= before.overflows);
        check(rx->stats.overflows - before.overflows <= 1);
        switch (r) {
        case 1:
                check(apdu == rx->buf);
                check(len <= rx->cap);
                check(len == rx->len);
                check(!rx->active);
                check(rx->stats.fragments == before.fragments + 1);
                check(rx->stats.discarded_segments == before.discarded_segments);
                check(rx->stats.overflows == before.overflows);
                *ret_apdu = apdu;
                *ret_len = len;
                break;
        case 0:
                check(apdu == NULL && len == SIZE_MAX);
                check(rx->active);
                check(rx->stats.fragments == before.fragments);
                check(rx->stats.discarded_segments == before.discarded_segments);
                check(rx->stats.overflows == before.overflows);
                break;
        case -EBADMSG:
                check(apdu == NULL && len == SIZE_MAX);
                check(rx->stats.fragments == before.fragments);
                /* Something was counted as discarded. */
                check(rx->stats.discarded_segments + rx->stats.discarded_fragments >
                      before.discarded_segments + before.discarded_fragments);
                break;
        default:
                check(0);
        }
        return r;
}

/* Segment apdu and reassemble it; it must come back byte for byte. */
static void roundtrip(const uint8_t *apdu, size_t len, uint8_t seq)
{
        struct tport_tx tx;
        struct tport_rx rx;
        uint8_t seg[TPORT_MAX_SEGMENT];
        size_t l, got = 0, nseg = 0, total = 0;
        int r = 0;

        /* apdu points into a reassembly buffer that the next push reuses: copy it. */
        if (len)
                memcpy(copy_buf, apdu, len);
        tport_rx_init(&rx, check_buf, sizeof(check_buf));
        tport_tx_start(&tx, copy_buf, len, seq);
        while ((l = tport_tx_next(&tx, seg)) > 0) {
                check(l >= 1 && l <= TPORT_MAX_SEGMENT);
                check((seg[0] & TPORT_SEQ) == ((seq + nseg) & TPORT_SEQ));
                check(!!(seg[0] & TPORT_FIR) == (nseg == 0));
                total += l - 1;
                check(!!(seg[0] & TPORT_FIN) == (total == len));
                if (!(seg[0] & TPORT_FIN))
                        check(l == TPORT_MAX_SEGMENT);
                check(r == 0);
                r = tport_rx_push(&rx, seg, l, &apdu, &got);
                if (r == 1)
                        check(got == len);
                nseg++;
        }
        check(r == 1);
        check(nseg == (len == 0 ? 1 : (len + TPORT_MAX_PAYLOAD - 1) / TPORT_MAX_PAYLOAD));
        check(tx.seq == ((seq + nseg) & TPORT_SEQ));
        check(len == 0 || memcmp(apdu, copy_buf, len) == 0);
        check(rx.stats.fragments == 1 && rx.stats.discarded_segments == 0 &&
              rx.stats.discarded_fragments == 0 && rx.stats.overflows == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct tport_rx small, large;
        struct rd in;

        tport_rx_init(&small, small_buf, sizeof(small_buf));
        tport_rx_init(&large, large_buf, sizeof(large_buf));
        rd_init(&in, data, size);

        for (;;) {
                uint8_t lb;
                struct rd seg;

                if (rd_u8(&in, &lb) < 0)
                        break;
                size_t n = lb % (TPORT_MAX_SEGMENT + 1);
                if (n > rd_left(&in))
                        n = rd_left(&in);
                if (rd_sub(&in, n, &seg) < 0)
                        abort();

                const uint8_t *sa = NULL, *la = NULL;
                size_t sl = 0, ll = 0;
                int rs = push_checked(&small, seg.p, seg.len, &sa, &sl);
                int rl = push_checked(&large, seg.p, seg.len, &la, &ll);

                check((rs == 1) == (rl == 1 && ll <= SMALL_CAP));
                if (rs == 1)
                        check(sl == ll && (sl == 0 || memcmp(sa, la, sl) == 0));
                if (rl == 1)
                        roundtrip(la, ll, n ? seg.p[0] & TPORT_SEQ : 0);
        }

        /* Reset drops a partial fragment: a non-FIR segment is then discarded. */
        tport_rx_reset(&large);
        check(!large.active && large.len == 0);
        return 0;
}
