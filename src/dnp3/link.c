/* SPDX-License-Identifier: MIT */
/*
 * DNP3 data link layer: function-code tables, control byte, frame encoder
 * and the resynchronising stream scanner (IEEE 1815-2012 clause 9.2).
 */
#include <errno.h>
#include <string.h>

#include "dnp3/crc.h"
#include "dnp3/cursor.h"
#include "dnp3/link.h"
#include "dnp3/names.h"

#define LINK_BLOCK 16           /* user data bytes per CRC block */
#define LINK_HDR_BODY 8         /* header bytes covered by the header CRC */
#define LINK_LEN_MIN 5          /* LEN of a frame without user data */

#define LINK_FUNC_NAME(n, ...) [LINK_FUNC_##n] = #n,
NAMES_DEFINE(link_func_name, enum link_func, LINK_FUNC_LIST, LINK_FUNC_NAME)

static const struct link_func_info {
        bool prm;
        uint8_t code;
        bool fcv;
        bool data;
} link_funcs[LINK_FUNC_MAX] = {
#define X(n, p, c, v, d) \
        [LINK_FUNC_##n] = { .prm = (p), .code = (c), .fcv = (v), .data = (d) },
        LINK_FUNC_LIST(X)
#undef X
};

/* (prm, code) -> enum + 1; 0 means unknown. */
static const uint8_t link_func_wire[2][16] = {
#define X(n, p, c, v, d) [p][c] = LINK_FUNC_##n + 1,
        LINK_FUNC_LIST(X)
#undef X
};

enum link_func link_func_from_wire(bool prm, uint8_t code)
{
        if (code > LINK_CTRL_FUNC)
                return LINK_FUNC_MAX;
        uint8_t v = link_func_wire[prm ? 1 : 0][code];
        return v ? (enum link_func)(v - 1) : LINK_FUNC_MAX;
}

uint8_t link_func_code(enum link_func f)
{
        if ((unsigned)f >= LINK_FUNC_MAX)
                return 0xff;
        return link_funcs[f].code;
}

bool link_func_is_primary(enum link_func f)
{
        if ((unsigned)f >= LINK_FUNC_MAX)
                return false;
        return link_funcs[f].prm;
}

bool link_func_fcv(enum link_func f)
{
        if ((unsigned)f >= LINK_FUNC_MAX)
                return false;
        return link_funcs[f].fcv;
}

bool link_frame_conforms(enum link_func fn, const struct link_frame *f)
{
        if ((unsigned)fn >= LINK_FUNC_MAX)
                return false;
        if (f->h.prm && f->h.fcv != link_funcs[fn].fcv)
                return false;
        return (f->data_len > 0) == link_funcs[fn].data;
}

uint8_t link_ctrl_byte(const struct link_hdr *h)
{
        return (uint8_t)((h->dir ? LINK_CTRL_DIR : 0) | (h->prm ? LINK_CTRL_PRM : 0) |
                         (h->fcb ? LINK_CTRL_FCB : 0) | (h->fcv ? LINK_CTRL_FCV : 0) |
                         (h->code & LINK_CTRL_FUNC));
}

void link_hdr_from_ctrl(struct link_hdr *h, uint8_t ctrl)
{
        h->dir = (ctrl & LINK_CTRL_DIR) != 0;
        h->prm = (ctrl & LINK_CTRL_PRM) != 0;
        h->fcb = (ctrl & LINK_CTRL_FCB) != 0;
        h->fcv = (ctrl & LINK_CTRL_FCV) != 0;
        h->code = ctrl & LINK_CTRL_FUNC;
}

/* 0 when n > LINK_MAX_DATA (no such frame). */
size_t link_frame_size(size_t n)
{
        if (n > LINK_MAX_DATA)
                return 0;
        return LINK_HDR_LEN + n + 2 * ((n + LINK_BLOCK - 1) / LINK_BLOCK);
}

/* Write n bytes and their CRC at the writer (space already checked). */
static int link_put_block(struct wr *w, const uint8_t *p, size_t n)
{
        int r = wr_bytes(w, p, n);
        if (r < 0)
                return r;
        return wr_le16(w, crc_dnp(p, n));
}

int link_encode(uint8_t *out, size_t cap, const struct link_hdr *h, const uint8_t *data,
                size_t n)
{
        if (n > LINK_MAX_DATA || (n > 0 && !data))
                return -EINVAL;
        size_t size = link_frame_size(n);
        if (!out || cap < size)
                return -ENOBUFS;

        uint8_t hdr[LINK_HDR_BODY];
        struct wr w;
        int r;

        wr_init(&w, hdr, sizeof(hdr));
        (void)wr_u8(&w, LINK_START1);
        (void)wr_u8(&w, LINK_START2);
        (void)wr_u8(&w, (uint8_t)(LINK_LEN_MIN + n));
        (void)wr_u8(&w, link_ctrl_byte(h));
        (void)wr_le16(&w, h->dest);
        (void)wr_le16(&w, h->src);

        wr_init(&w, out, size);
        r = link_put_block(&w, hdr, sizeof(hdr));
        if (r < 0)
                return r;
        while (n > 0) {
                size_t b = n < LINK_BLOCK ? n : LINK_BLOCK;
                r = link_put_block(&w, data, b);
                if (r < 0)
                        return r;
                data += b;
                n -= b;
        }
        return (int)w.len;
}

/*
 * Scanner.  feed only copies into buf; next does the work on buf[0..len):
 *  - hunt: memchr for 0x05, dropping what comes before it; a 0x05 not
 *    followed by 0x64 is dropped; a lone 0x05 at the end is kept.
 *  - at 05 64: wait for the 10 header bytes; check the header CRC, then
 *    LEN >= 5; wait for the whole frame; check every block CRC.  On an
 *    error count it, drop only the first sync byte and hunt again in what
 *    is buffered, so a frame that starts inside a bad one is still found.
 *  - an incomplete frame is held until its bytes arrive (no timeouts here).
 * Each decision depends only on the bytes, never on how they were split,
 * so any chunking gives the same frames and statistics; every byte fed ends
 * up in a frame, in bytes_discarded, or still in buf.  buf is compacted once
 * per next() call, not per dropped byte.
 */
void link_scanner_init(struct link_scanner *s)
{
        memset(s, 0, sizeof(*s));
}

int link_scanner_push(struct link_scanner *s, const uint8_t *p, size_t n, link_frame_fn fn,
                      void *ctx)
{
        while (n > 0) {
                size_t used = link_scanner_feed(s, p, n);
                p += used;
                n -= used;
                struct link_frame f;
                unsigned frames = 0;
                while (link_scanner_next(s, &f) > 0) {
                        frames++;
                        int r = fn(ctx, &f);
                        if (r)
                                return r;
                }
                if (used == 0 && frames == 0)
                        break;  /* cannot happen: a full scanner yields or discards */
        }
        return 0;
}

size_t link_scanner_feed(struct link_scanner *s, const uint8_t *in, size_t n)
{
        size_t room = sizeof(s->buf) - s->len;
        size_t take = n < room ? n : room;

        if (take > 0)
                memcpy(s->buf + s->len, in, take);
        s->len += take;
        return take;
}

/* Drop n bytes at the cursor as discarded (n <= rd_left(c)). */
static void link_discard(struct link_scanner *s, struct rd *c, size_t n)
{
        if (rd_skip(c, n) == 0)
                s->stats.bytes_discarded += n;
}

/*
 * Move c to the next "05 64", discarding what it passes over.  Returns 0 at a
 * sync, -EAGAIN when more bytes are needed (c then holds nothing or a lone
 * trailing 0x05, which is kept: the 0x64 may be in the next feed).
 */
static int link_hunt(struct link_scanner *s, struct rd *c)
{
        for (;;) {
                const uint8_t *p = rd_left(c) ? memchr(c->p, LINK_START1, rd_left(c)) : NULL;
                link_discard(s, c, p ? (size_t)(p - c->p) : rd_left(c));

                struct rd peek = *c;
                uint8_t b;
                if (rd_skip(&peek, 1) < 0 || rd_u8(&peek, &b) < 0)
                        return -EAGAIN;
                if (b == LINK_START2)
                        return 0;
                link_discard(s, c, 1);
        }
}

enum link_try {
        LINK_TRY_MORE,          /* frame incomplete: wait for bytes */
        LINK_TRY_BAD,           /* counted error: drop the first sync byte */
        LINK_TRY_GOOD,
};

/*
 * Check the frame starting at c (which begins with 05 64).  On success fills
 * *ret (user data copied to s->data) and *ret_size with its size on the wire.
 */
static enum link_try link_try(struct link_scanner *s, const struct rd *c,
                              struct link_frame *ret, size_t *ret_size)
{
        struct rd f = *c, hdr;
        uint8_t len, ctrl;
        uint16_t crc, dest, src;

        if (rd_sub(&f, LINK_HDR_BODY, &hdr) < 0 || rd_le16(&f, &crc) < 0)
                return LINK_TRY_MORE;
        if (crc_dnp(hdr.p, LINK_HDR_BODY) != crc) {
                s->stats.hdr_crc_errors++;
                return LINK_TRY_BAD;
        }
        if (rd_skip(&hdr, 2) < 0 || rd_u8(&hdr, &len) < 0 || rd_u8(&hdr, &ctrl) < 0 ||
            rd_le16(&hdr, &dest) < 0 || rd_le16(&hdr, &src) < 0)
                return LINK_TRY_BAD;    /* cannot happen: hdr holds 8 bytes */
        if (len < LINK_LEN_MIN) {
                s->stats.bad_length++;
                return LINK_TRY_BAD;
        }

        size_t n = (size_t)len - LINK_LEN_MIN;
        size_t size = link_frame_size(n);
        if (rd_left(c) < size)
                return LINK_TRY_MORE;

        struct wr out;
        wr_init(&out, s->data, sizeof(s->data));
        for (size_t left = n; left > 0;) {
                size_t b = left < LINK_BLOCK ? left : LINK_BLOCK;
                struct rd blk;
                if (rd_sub(&f, b, &blk) < 0 || rd_le16(&f, &crc) < 0)
                        return LINK_TRY_MORE;   /* cannot happen: size checked */
                if (crc_dnp(blk.p, b) != crc) {
                        s->stats.body_crc_errors++;
                        return LINK_TRY_BAD;
                }
                if (wr_bytes(&out, blk.p, b) < 0)
                        return LINK_TRY_BAD;    /* cannot happen: n <= 250 */
                left -= b;
        }

        struct link_frame fr = {
                .h = { .dest = dest, .src = src },
                .data = s->data,
                .data_len = n,
        };
        link_hdr_from_ctrl(&fr.h, ctrl);
        *ret = fr;
        *ret_size = size;
        return LINK_TRY_GOOD;
}

int link_scanner_next(struct link_scanner *s, struct link_frame *ret)
{
        struct rd c;
        int found = 0;

        rd_init(&c, s->buf, s->len);
        while (link_hunt(s, &c) == 0) {
                size_t size;
                enum link_try t = link_try(s, &c, ret, &size);
                if (t == LINK_TRY_MORE)
                        break;
                if (t == LINK_TRY_GOOD) {
                        (void)rd_skip(&c, size);
                        s->stats.frames++;
                        found = 1;
                        break;
                }
                link_discard(s, &c, 1);
        }

        /* Keep the unconsumed tail at the front of buf. */
        if (rd_left(&c) < s->len) {
                if (rd_left(&c) > 0)
                        memmove(s->buf, c.p, rd_left(&c));
                s->len = rd_left(&c);
        }
        return found;
}
