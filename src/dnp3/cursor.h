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

static inline int rd_u8(struct rd *c, uint8_t *ret)
{
        if (c->len < 1)
                return -EBADMSG;
        *ret = c->p[0];
        c->p += 1;
        c->len -= 1;
        return 0;
}

static inline int rd_le16(struct rd *c, uint16_t *ret)
{
        if (c->len < 2)
                return -EBADMSG;
        *ret = (uint16_t)(c->p[0] | (uint16_t)c->p[1] << 8);
        c->p += 2;
        c->len -= 2;
        return 0;
}

static inline int rd_le32(struct rd *c, uint32_t *ret)
{
        if (c->len < 4)
                return -EBADMSG;
        *ret = (uint32_t)c->p[0] | (uint32_t)c->p[1] << 8 | (uint32_t)c->p[2] << 16 |
               (uint32_t)c->p[3] << 24;
        c->p += 4;
        c->len -= 4;
        return 0;
}

static inline int rd_le48(struct rd *c, uint64_t *ret)
{
        if (c->len < 6)
                return -EBADMSG;
        uint64_t v = 0;
        for (unsigned i = 0; i < 6; i++)
                v |= (uint64_t)c->p[i] << (8 * i);
        *ret = v;
        c->p += 6;
        c->len -= 6;
        return 0;
}

static inline int rd_le64(struct rd *c, uint64_t *ret)
{
        if (c->len < 8)
                return -EBADMSG;
        uint64_t v = 0;
        for (unsigned i = 0; i < 8; i++)
                v |= (uint64_t)c->p[i] << (8 * i);
        *ret = v;
        c->p += 8;
        c->len -= 8;
        return 0;
}

static inline int rd_f32(struct rd *c, float *ret)
{
        uint32_t u;
        int r = rd_le32(c, &u);
        if (r < 0)
                return r;
        memcpy(ret, &u, sizeof(*ret));
        return 0;
}

static inline int rd_f64(struct rd *c, double *ret)
{
        uint64_t u;
        int r = rd_le64(c, &u);
        if (r < 0)
                return r;
        memcpy(ret, &u, sizeof(*ret));
        return 0;
}

/* Split off the next n bytes as a sub-cursor. */
static inline int rd_sub(struct rd *c, size_t n, struct rd *ret)
{
        if (n > c->len)
                return -EBADMSG;
        ret->p = c->p;
        ret->len = n;
        c->p += n;
        c->len -= n;
        return 0;
}

static inline int rd_skip(struct rd *c, size_t n)
{
        if (n > c->len)
                return -EBADMSG;
        c->p += n;
        c->len -= n;
        return 0;
}

static inline int rd_bytes(struct rd *c, void *out, size_t n)
{
        if (n > c->len)
                return -EBADMSG;
        if (n)
                memcpy(out, c->p, n);
        c->p += n;
        c->len -= n;
        return 0;
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
static inline int wr_reserve(struct wr *w, size_t n, uint8_t **ret)
{
        if (n > w->cap - w->len)
                return -ENOBUFS;
        *ret = w->p + w->len;
        w->len += n;
        return 0;
}

static inline int wr_u8(struct wr *w, uint8_t v)
{
        if (w->cap - w->len < 1)
                return -ENOBUFS;
        w->p[w->len++] = v;
        return 0;
}

static inline int wr_le16(struct wr *w, uint16_t v)
{
        if (w->cap - w->len < 2)
                return -ENOBUFS;
        w->p[w->len++] = (uint8_t)v;
        w->p[w->len++] = (uint8_t)(v >> 8);
        return 0;
}

static inline int wr_le32(struct wr *w, uint32_t v)
{
        if (w->cap - w->len < 4)
                return -ENOBUFS;
        for (unsigned i = 0; i < 4; i++)
                w->p[w->len++] = (uint8_t)(v >> (8 * i));
        return 0;
}

static inline int wr_le48(struct wr *w, uint64_t v)
{
        if (w->cap - w->len < 6)
                return -ENOBUFS;
        for (unsigned i = 0; i < 6; i++)
                w->p[w->len++] = (uint8_t)(v >> (8 * i));
        return 0;
}

static inline int wr_le64(struct wr *w, uint64_t v)
{
        if (w->cap - w->len < 8)
                return -ENOBUFS;
        for (unsigned i = 0; i < 8; i++)
                w->p[w->len++] = (uint8_t)(v >> (8 * i));
        return 0;
}

static inline int wr_f32(struct wr *w, float v)
{
        uint32_t u;
        memcpy(&u, &v, sizeof(u));
        return wr_le32(w, u);
}

static inline int wr_f64(struct wr *w, double v)
{
        uint64_t u;
        memcpy(&u, &v, sizeof(u));
        return wr_le64(w, u);
}

static inline int wr_bytes(struct wr *w, const void *src, size_t n)
{
        if (n > w->cap - w->len)
                return -ENOBUFS;
        if (n)
                memcpy(w->p + w->len, src, n);
        w->len += n;
        return 0;
}

/* Overwrite already-written bytes at offset off (for counts patched later). */
static inline void wr_patch_le16(struct wr *w, size_t off, uint16_t v)
{
        w->p[off] = (uint8_t)v;
        w->p[off + 1] = (uint8_t)(v >> 8);
}
