/* SPDX-License-Identifier: MIT */
/*
 * DNP3 data link layer (IEEE 1815-2012 clause 9): frame encode/decode and a
 * stream scanner that finds frames in arbitrary bytes.  Sans-I/O.
 *
 * Frame: 05 64 LEN CTRL DEST(le16) SRC(le16) CRC(le16), then user data in
 * blocks of up to 16 bytes each followed by its CRC.  LEN counts CTRL, DEST,
 * SRC and user data (5..255), so user data is at most 250 bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINK_START1 0x05
#define LINK_START2 0x64
#define LINK_HDR_LEN 10           /* including header CRC */
#define LINK_MAX_DATA 250         /* user data bytes per frame */
#define LINK_MAX_FRAME 292        /* 10 + 250 + 16 block CRCs */

#define LINK_CTRL_DIR 0x80
#define LINK_CTRL_PRM 0x40
#define LINK_CTRL_FCB 0x20
#define LINK_CTRL_FCV 0x10        /* primary: FCV; secondary: DFC */
#define LINK_CTRL_FUNC 0x0f

#define LINK_ADDR_BROADCAST_MIN 0xfffd  /* 0xfffd..0xffff are broadcast */
#define LINK_ADDR_BROADCAST_CONFIRM 0xfffe  /* broadcast, application confirmation mandatory */
#define LINK_ADDR_MAX_UNICAST 0xffef    /* 0xfff0..0xfffc reserved */

/*
 * Function codes, from the primary and secondary function code tables of
 * IEEE 1815-2012 clause 9.2: X(name, prm, code, fcv, data).  fcv: the FCV
 * bit a primary frame of the function carries (secondary frames have DFC
 * there, which varies: 0 in this column); data: 1 if the frame carries user
 * data (LENGTH > 5), 0 if it has none (LENGTH = 5).  Names, the FCV we send
 * and the checks of received frames are all generated from this list.
 */
#define LINK_FUNC_LIST(X)                              \
        X(RESET_LINK_STATES, 1, 0, 0, 0)               \
        X(TEST_LINK_STATES, 1, 2, 1, 0)                \
        X(CONFIRMED_USER_DATA, 1, 3, 1, 1)             \
        X(UNCONFIRMED_USER_DATA, 1, 4, 0, 1)           \
        X(REQUEST_LINK_STATUS, 1, 9, 0, 0)             \
        X(ACK, 0, 0, 0, 0)                             \
        X(NACK, 0, 1, 0, 0)                            \
        X(LINK_STATUS, 0, 11, 0, 0)                    \
        X(NOT_SUPPORTED, 0, 15, 0, 0)

enum link_func {
#define X(name, prm, code, fcv, data) LINK_FUNC_##name,
        LINK_FUNC_LIST(X)
#undef X
        LINK_FUNC_MAX
};

struct link_hdr {
        bool dir;               /* 1 = from master */
        bool prm;               /* 1 = primary (initiating) frame */
        bool fcb;
        bool fcv;               /* FCV on primary frames, DFC on secondary */
        uint8_t code;           /* 4-bit function code as on the wire */
        uint16_t dest;
        uint16_t src;
};

struct link_frame {
        struct link_hdr h;
        const uint8_t *data;    /* user data with block CRCs removed */
        size_t data_len;        /* 0..LINK_MAX_DATA */
};

/* enum <-> (prm, code); link_func_from_wire returns LINK_FUNC_MAX if unknown. */
enum link_func link_func_from_wire(bool prm, uint8_t code);
uint8_t link_func_code(enum link_func f);
bool link_func_is_primary(enum link_func f);
/* The FCV bit a primary frame of f carries (false for secondary functions). */
bool link_func_fcv(enum link_func f);
const char *link_func_name(enum link_func f);

/* Header struct <-> control byte. */
uint8_t link_ctrl_byte(const struct link_hdr *h);
void link_hdr_from_ctrl(struct link_hdr *h, uint8_t ctrl);

/*
 * Whether a received frame f of function fn (link_func_from_wire of its
 * header, as the receiver dispatches on it) has the form fn prescribes: a
 * defined function (not LINK_FUNC_MAX), on a primary frame the FCV bit of
 * that function (1 exactly for TEST_LINK_STATES and CONFIRMED_USER_DATA),
 * and user data exactly for the two user data functions (every other frame
 * has LENGTH = 5).  A frame that is not is discarded by the receiver,
 * unanswered.
 */
bool link_frame_conforms(enum link_func fn, const struct link_frame *f);

/* Size on the wire of a frame carrying n user-data bytes (n <= LINK_MAX_DATA). */
size_t link_frame_size(size_t n);

/*
 * Encode one frame into out (cap bytes).  Returns the frame length (> 0),
 * -EINVAL if n > LINK_MAX_DATA, -ENOBUFS if cap is too small.
 */
int link_encode(uint8_t *out, size_t cap, const struct link_hdr *h, const uint8_t *data,
                size_t n);

struct link_stats {
        uint64_t frames;            /* good frames returned */
        uint64_t bytes_discarded;   /* bytes dropped while hunting for sync */
        uint64_t hdr_crc_errors;
        uint64_t body_crc_errors;
        uint64_t bad_length;        /* LEN < 5 */
};

/*
 * Stream scanner.  Caller-owned, no allocation.  Usage:
 *
 *      while (n > 0) {
 *              size_t used = link_scanner_feed(s, p, n);
 *              p += used; n -= used;
 *              struct link_frame f;
 *              while (link_scanner_next(s, &f) > 0)
 *                      handle(&f);     // f.data valid until the next call
 *      }
 *
 * On a header CRC error, a bad length or a body CRC error the scanner
 * discards the first sync byte and hunts again from the next byte (so a
 * real frame hidden behind a false start is still found), and counts it.
 */
struct link_scanner {
        uint8_t buf[LINK_MAX_FRAME];
        size_t len;                 /* bytes held in buf */
        uint8_t data[LINK_MAX_DATA];/* user data of the last returned frame */
        struct link_stats stats;
};

void link_scanner_init(struct link_scanner *s);

/* Whether addr is one of the broadcast addresses 0xFFFD..0xFFFF. */
static inline bool link_is_broadcast(uint16_t addr)
{
        return addr >= LINK_ADDR_BROADCAST_MIN;
}

/*
 * The feed/next loop for a byte stream: every frame in p[0..n) goes to fn
 * (f valid during the call).  fn returns 0 to go on, non-zero to stop (the
 * rest of p is not taken); that value is returned, 0 when p was consumed.
 */
typedef int (*link_frame_fn)(void *ctx, const struct link_frame *f);
int link_scanner_push(struct link_scanner *s, const uint8_t *p, size_t n, link_frame_fn fn,
                      void *ctx);
/* Copies up to n bytes into the scanner; returns how many were taken (0 only if full). */
size_t link_scanner_feed(struct link_scanner *s, const uint8_t *in, size_t n);
/* 1 and *ret filled: a frame; 0: need more bytes.  Never fails. */
int link_scanner_next(struct link_scanner *s, struct link_frame *ret);
