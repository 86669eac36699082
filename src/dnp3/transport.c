/* SPDX-License-Identifier: MIT */
/*
 * DNP3 transport function: segmentation of an APDU into 249-byte payloads
 * and reassembly of segments into an APDU, following the rules in
 * transport.h.  No allocation; buffers belong to the caller.
 */
#include "transport.h"

#include <errno.h>

#include "cursor.h"

void tport_rx_init(struct tport_rx *rx, uint8_t *buf, size_t cap)
{
        *rx = (struct tport_rx){
                .buf = buf,
                .cap = buf ? cap : 0,
        };
}

void tport_rx_reset(struct tport_rx *rx)
{
        /* Drop any partial fragment; the counters are kept. */
        rx->len = 0;
        rx->seq = 0;
        rx->active = false;
}

static void tport_rx_abort(struct tport_rx *rx)
{
        rx->len = 0;
        rx->active = false;
        rx->stats.discarded_fragments++;
}

int tport_rx_push(struct tport_rx *rx, const uint8_t *seg, size_t n, const uint8_t **ret_apdu,
                  size_t *ret_len)
{
        struct rd c;
        uint8_t th;

        rd_init(&c, seg, n);
        if (rd_u8(&c, &th) < 0) {
                /* Empty segment: not even a transport header. */
                rx->stats.discarded_segments++;
                return -EBADMSG;
        }

        uint8_t seq = th & TPORT_SEQ;

        if (th & TPORT_FIR) {
                if (rx->active)
                        tport_rx_abort(rx);     /* partial fragment restarted */
                rx->len = 0;
                rx->active = true;
        } else if (!rx->active) {
                rx->stats.discarded_segments++;
                return -EBADMSG;
        } else if (seq == rx->seq) {
                /* Repeated segment (e.g. a link-layer retry): drop it alone. */
                rx->stats.discarded_segments++;
                return -EBADMSG;
        } else if (seq != ((rx->seq + 1) & TPORT_SEQ)) {
                rx->stats.discarded_segments++;
                tport_rx_abort(rx);
                return -EBADMSG;
        }

        size_t plen = rd_left(&c);
        if (plen > rx->cap - rx->len) {
                rx->stats.overflows++;
                tport_rx_abort(rx);
                return -EBADMSG;
        }
        if (plen > 0 && rd_bytes(&c, rx->buf + rx->len, plen) < 0) {
                /* Cannot happen (plen is what is left); keep the state consistent. */
                tport_rx_abort(rx);
                return -EBADMSG;
        }
        rx->len += plen;
        rx->seq = seq;

        if (!(th & TPORT_FIN))
                return 0;

        rx->active = false;
        rx->stats.fragments++;
        *ret_apdu = rx->buf;
        *ret_len = rx->len;
        return 1;
}

void tport_tx_start(struct tport_tx *tx, const uint8_t *apdu, size_t len, uint8_t seq)
{
        *tx = (struct tport_tx){
                .apdu = apdu,
                .len = apdu ? len : 0,
                .off = 0,
                .seq = seq & TPORT_SEQ,
                .first = true,
                .done = false,
        };
}

size_t tport_tx_next(struct tport_tx *tx, uint8_t out[TPORT_MAX_SEGMENT])
{
        if (tx->done)
                return 0;

        size_t left = tx->len - tx->off;
        size_t chunk = left < TPORT_MAX_PAYLOAD ? left : TPORT_MAX_PAYLOAD;
        uint8_t th = tx->seq;

        if (tx->first)
                th |= TPORT_FIR;
        if (chunk == left)
                th |= TPORT_FIN;

        struct wr w;
        wr_init(&w, out, TPORT_MAX_SEGMENT);
        /* Cannot fail: 1 + chunk <= TPORT_MAX_SEGMENT. */
        if (wr_u8(&w, th) < 0 || wr_bytes(&w, tx->apdu + tx->off, chunk) < 0)
                return 0;

        tx->off += chunk;
        tx->first = false;
        tx->seq = (uint8_t)((tx->seq + 1) & TPORT_SEQ);
        if (tx->off == tx->len)
                tx->done = true;
        return w.len;
}
