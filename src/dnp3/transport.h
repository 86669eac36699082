/* SPDX-License-Identifier: MIT */
/*
 * DNP3 transport function (IEEE 1815-2012 clause 8): one header byte
 * (FIN 0x80, FIR 0x40, 6-bit sequence) before up to 249 bytes of APDU.
 * Sans-I/O; buffers are caller-owned.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TPORT_FIN 0x80
#define TPORT_FIR 0x40
#define TPORT_SEQ 0x3f
#define TPORT_MAX_PAYLOAD 249
#define TPORT_MAX_SEGMENT 250

#define TPORT_DEFAULT_FRAGMENT 2048
#define TPORT_MAX_FRAGMENT 65535

struct tport_stats {
        uint64_t fragments;         /* complete APDUs delivered */
        uint64_t discarded_segments;/* segments dropped: non-FIR start, bad seq, empty */
        uint64_t discarded_fragments;/* partial APDUs dropped: restarted by FIR, bad seq, overflow */
        uint64_t overflows;         /* fragment would exceed the configured maximum */
};

/*
 * Reassembly.  Rules:
 *  - a segment with FIR starts a new fragment (a partial one is discarded
 *    and counted);
 *  - a segment without FIR when nothing is in progress is discarded;
 *  - a segment without FIR must carry (last seq + 1) mod 64; one that repeats
 *    the last sequence number is a duplicate and is dropped alone; any other
 *    sequence discards the fragment in progress;
 *  - a fragment that would exceed cap bytes is discarded;
 *  - FIN completes the fragment.
 */
struct tport_rx {
        uint8_t *buf;
        size_t cap;                 /* max fragment size */
        size_t len;
        uint8_t seq;                /* last accepted sequence */
        bool active;
        struct tport_stats stats;
};

void tport_rx_init(struct tport_rx *rx, uint8_t *buf, size_t cap);
void tport_rx_reset(struct tport_rx *rx);
/*
 * Push one segment (transport header + payload, i.e. one link frame's user
 * data).  Returns 1 with *ret_apdu and *ret_len set when a fragment completes
 * (valid until the next push), 0 when more segments are needed, -EBADMSG
 * when the segment was discarded (counted in stats).
 */
int tport_rx_push(struct tport_rx *rx, const uint8_t *seg, size_t n, const uint8_t **ret_apdu,
                  size_t *ret_len);

/* Segmentation of one APDU; the APDU buffer must outlive the tx. */
struct tport_tx {
        const uint8_t *apdu;
        size_t len;
        size_t off;
        uint8_t seq;                /* sequence of the next segment */
        bool first;
        bool done;
};

/* seq: sequence number for the first segment (the caller keeps it across APDUs). */
void tport_tx_start(struct tport_tx *tx, const uint8_t *apdu, size_t len, uint8_t seq);
/*
 * Write the next segment into out (TPORT_MAX_SEGMENT bytes).  Returns the
 * segment length (> 0), or 0 when the APDU is finished.  tx->seq is then the
 * sequence the next APDU should start with.
 */
size_t tport_tx_next(struct tport_tx *tx, uint8_t out[TPORT_MAX_SEGMENT]);
