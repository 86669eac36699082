/* SPDX-License-Identifier: MIT */
/*
 * Bounds-checked byte cursor: the only way untrusted bytes are read.
 *
 * Every reader checks the remaining length first; on short input it returns
 * -EBADMSG, does not advance and does not touch its output.  The writer
 * returns -ENOBUFS when the value does not fit, and writes nothing.
 * All integers are little-endian as on the DNP3 wire.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
        const uint8_t *p;
        size_t len;
};

struct wr {
        uint8_t *p;
        size_t cap;
        size_t len;
};

/* The primitives every reader and writer is built on: inlined even where used often. */
#define CURSOR_INLINE static inline __attribute__((always_inline))

/* A NULL buffer becomes an empty one: no cursor ever holds NULL (NULL + 0 is UB). */
static const uint8_t rd_empty[1];

static inline void rd_init(struct rd *c, const void *buf, size_t len)
{
        c->p = buf ? (const uint8_t *)buf : rd_empty;
        c->len = buf ? len : 0;
}

static inline size_t rd_left(const struct rd *c)
{
        return c->len;
}

/* The one bounds check of every reader: the next n bytes, consumed. */
CURSOR_INLINE int rd_take(struct rd *c, size_t n, const uint8_t **ret)
{
        if (n > c->len)
                return -EBADMSG;
        *ret = c->p;
        c->p += n;
        c->len -= n;
        return 0;
}

/* A little-endian unsigned integer of n bytes (n <= 8; a constant in every caller). */
CURSOR_INLINE int rd_le(struct rd *c, size_t n, uint64_t *ret)
{
        const uint8_t *b;
        int r = rd_take(c, n, &b);
        if (r < 0)
                return r;
        uint64_t v = 0;
        /* unrolled, the shifts of a constant n merge into plain loads */
#pragma GCC unroll 8
        for (size_t i = 0; i < n; i++)
                v |= (uint64_t)b[i] << (8 * i);
        *ret = v;
        return 0;
}

/* Split off the next n bytes as a sub-cursor. */
static inline int rd_sub(struct rd *c, size_t n, struct rd *ret)
{
        const uint8_t *b;
        int r = rd_take(c, n, &b);
        if (r < 0)
                return r;
        ret->p = b;
        ret->len = n;
        return 0;
}

static inline int rd_skip(struct rd *c, size_t n)
{
        const uint8_t *b;
        return rd_take(c, n, &b);
}

static inline int rd_bytes(struct rd *c, void *out, size_t n)
{
        const uint8_t *b;
        int r = rd_take(c, n, &b);
        if (r == 0 && n)
                memcpy(out, b, n);
        return r;
}

static inline void wr_init(struct wr *w, void *buf, size_t cap)
{
        static uint8_t wr_empty[1];
        w->p = buf ? (uint8_t *)buf : wr_empty;
        w->cap = buf ? cap : 0;
        w->len = 0;
}

static inline size_t wr_left(const struct wr *w)
{
        return w->cap - w->len;
}

/* Reserve n bytes and return where they start (to be filled by the caller). */
CURSOR_INLINE int wr_reserve(struct wr *w, size_t n, uint8_t **ret)
{
        if (n > w->cap - w->len)
                return -ENOBUFS;
        *ret = w->p + w->len;
        w->len += n;
        return 0;
}

/* A little-endian unsigned integer of n bytes (n <= 8; a constant in every caller). */
CURSOR_INLINE int wr_le(struct wr *w, size_t n, uint64_t v)
{
        uint8_t *o;
        int r = wr_reserve(w, n, &o);
        if (r < 0)
                return r;
#pragma GCC unroll 8
        for (size_t i = 0; i < n; i++)
                o[i] = (uint8_t)(v >> (8 * i));
        return 0;
}

static inline int wr_bytes(struct wr *w, const void *src, size_t n)
{
        uint8_t *o;
        int r = wr_reserve(w, n, &o);
        if (r == 0 && n)
                memcpy(o, src, n);
        return r;
}

/*
 * The fixed-width readers and writers, one pair per width:
 * rd_u8/wr_u8, rd_le16/wr_le16, rd_le32/wr_le32, rd_le48/wr_le48, rd_le64/wr_le64
 * (rd_le/wr_le of that many bytes), and rd_f32/wr_f32, rd_f64/wr_f64 (the IEEE 754
 * bits as the integer of the same width).  A reader writes *ret only on success.
 */
#define CURSOR_UINT_LIST(X) X(u8, 1, uint8_t) X(le16, 2, uint16_t) X(le32, 4, uint32_t) \
        X(le48, 6, uint64_t) X(le64, 8, uint64_t)
#define CURSOR_FLOAT_LIST(X) X(f32, 32, float) X(f64, 64, double)

#define CURSOR_UINT(sfx, n, type)                                               \
        CURSOR_INLINE int rd_##sfx(struct rd *c, type *ret)                     \
        {                                                                       \
                uint64_t v;                                                     \
                int r = rd_le(c, n, &v);                                        \
                if (r == 0)                                                     \
                        *ret = (type)v;                                         \
                return r;                                                       \
        }                                                                       \
        CURSOR_INLINE int wr_##sfx(struct wr *w, type v)                        \
        {                                                                       \
                return wr_le(w, n, v);                                          \
        }
#define CURSOR_FLOAT(sfx, bits, type)                                           \
        CURSOR_INLINE int rd_##sfx(struct rd *c, type *ret)                     \
        {                                                                       \
                uint##bits##_t u;                                               \
                int r = rd_le##bits(c, &u);                                     \
                if (r == 0)                                                     \
                        memcpy(ret, &u, sizeof(*ret));                          \
                return r;                                                       \
        }                                                                       \
        CURSOR_INLINE int wr_##sfx(struct wr *w, type v)                        \
        {                                                                       \
                uint##bits##_t u;                                               \
                memcpy(&u, &v, sizeof(u));                                      \
                return wr_le##bits(w, u);                                       \
        }
CURSOR_UINT_LIST(CURSOR_UINT)
CURSOR_FLOAT_LIST(CURSOR_FLOAT)
#undef CURSOR_UINT
#undef CURSOR_FLOAT

/* Overwrite already-written bytes at offset off (for counts patched later). */
static inline void wr_patch_le(struct wr *w, size_t off, size_t n, uint64_t v)
{
        for (size_t i = 0; i < n; i++)
                w->p[off + i] = (uint8_t)(v >> (8 * i));
}

static inline void wr_patch_le16(struct wr *w, size_t off, uint16_t v)
{
        wr_patch_le(w, off, 2, v);
}
