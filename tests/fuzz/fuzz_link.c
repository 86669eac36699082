/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the link-layer stream scanner.
 *
 * The input is scanned three ways: fed whole, fed in variable-size chunks
 * derived from the input, and fed one byte at a time.  All three must give
 * the same frames (compared by a running hash of headers and data) and the
 * same statistics, and every byte must be accounted for (in a frame,
 * discarded, or still held).  Every frame is re-encoded with link_encode and
 * scanned again: it must come back as exactly one frame with the same header
 * and data.  Any mismatch calls abort().
 *
 * Seed corpus: tests/fuzz/corpus/link/.  The real-capture seeds are TCP
 * payloads from the ITI ICS-Security-Tools DNP3 captures (pcaps/dnp3/,
 * CC BY 4.0, Information Trust Institute, University of Illinois).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
        struct link_scanner s;
        uint64_t hash;          /* FNV-1a over every frame's header and data */
        uint64_t wire;          /* sum of the frames' sizes on the wire */
};

static void check(int ok)
{
        if (!ok)
                abort();
}

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
        const uint8_t *b = p;
        for (size_t i = 0; i < n; i++) {
                *h ^= b[i];
                *h *= 0x100000001b3ull;
        }
}

static int hdr_equal(const struct link_hdr *a, const struct link_hdr *b)
{
        return a->dir == b->dir && a->prm == b->prm && a->fcb == b->fcb && a->fcv == b->fcv &&
               a->code == b->code && a->dest == b->dest && a->src == b->src;
}

/* Re-encode one frame and scan the result: it must be that same frame. */
static void check_reencode(const struct link_frame *f)
{
        static struct link_scanner r;
        uint8_t out[LINK_MAX_FRAME];
        struct link_frame g;

        check(f->data_len <= LINK_MAX_DATA);
        check(f->h.code <= LINK_CTRL_FUNC);

        uint8_t ctrl = link_ctrl_byte(&f->h);
        struct link_hdr h2 = { .dest = f->h.dest, .src = f->h.src };
        link_hdr_from_ctrl(&h2, ctrl);
        check(hdr_equal(&h2, &f->h));

        enum link_func fn = link_func_from_wire(f->h.prm, f->h.code);
        check(link_func_name(fn) != NULL);
        if (fn != LINK_FUNC_MAX) {
                check(link_func_code(fn) == f->h.code);
                check(link_func_is_primary(fn) == f->h.prm);
        }

        size_t size = link_frame_size(f->data_len);
        int n = link_encode(out, sizeof(out), &f->h, f->data, f->data_len);
        check(n > 0 && (size_t)n == size);
        check(link_encode(out, size - 1, &f->h, f->data, f->data_len) == -ENOBUFS);

        link_scanner_init(&r);
        check(link_scanner_feed(&r, out, size) == size);
        check(link_scanner_next(&r, &g) == 1);
        check(hdr_equal(&g.h, &f->h));
        check(g.data_len == f->data_len);
        check(g.data_len == 0 || memcmp(g.data, f->data, g.data_len) == 0);
        check(link_scanner_next(&r, &g) == 0);
        check(r.stats.frames == 1 && r.stats.bytes_discarded == 0 && r.len == 0);
        check(r.stats.hdr_crc_errors == 0 && r.stats.body_crc_errors == 0 &&
              r.stats.bad_length == 0);
}

static void drain(struct run *run, int reencode)
{
        struct link_frame f;
        while (link_scanner_next(&run->s, &f) > 0) {
                check(f.data == run->s.data);
                hash_bytes(&run->hash, &f.h.dir, 1);
                uint8_t ctrl = link_ctrl_byte(&f.h);
                hash_bytes(&run->hash, &ctrl, 1);
                hash_bytes(&run->hash, &f.h.dest, sizeof(f.h.dest));
                hash_bytes(&run->hash, &f.h.src, sizeof(f.h.src));
                hash_bytes(&run->hash, &f.data_len, sizeof(f.data_len));
                hash_bytes(&run->hash, f.data, f.data_len);
                run->wire += link_frame_size(f.data_len);
                if (reencode)
                        check_reencode(&f);
        }
}

static void feed(struct run *run, const uint8_t *p, size_t n, int reencode)
{
        while (n > 0) {
                size_t used = link_scanner_feed(&run->s, p, n);
                check(used > 0);
                p += used;
                n -= used;
                drain(run, reencode);
        }
}

static void start(struct run *run)
{
        link_scanner_init(&run->s);
        run->hash = 0xcbf29ce484222325ull;
        run->wire = 0;
}

static void finish(const struct run *run, size_t size)
{
        const struct link_stats *st = &run->s.stats;
        check(run->s.len < LINK_MAX_FRAME);
        check(run->wire + st->bytes_discarded + run->s.len == size);
        /* each error drops at least its first sync byte */
        check(st->hdr_crc_errors + st->body_crc_errors + st->bad_length <=
              st->bytes_discarded);
}

static void same(const struct run *a, const struct run *b)
{
        check(a->hash == b->hash);
        check(a->wire == b->wire);
        check(memcmp(&a->s.stats, &b->s.stats, sizeof(a->s.stats)) == 0);
        check(a->s.len == b->s.len);
        check(a->s.len == 0 || memcmp(a->s.buf, b->s.buf, a->s.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct run whole, chunked, bytewise;

        /* 1: the whole input at once */
        start(&whole);
        feed(&whole, data, size, 1);
        finish(&whole, size);

        /* 2: chunks whose sizes come from an LCG seeded by the input */
        uint32_t x = (uint32_t)size * 2654435761u;
        for (size_t i = 0; i < size && i < 8; i++)
                x = x * 31u + data[i];
        start(&chunked);
        for (size_t off = 0; off < size;) {
                x = x * 1103515245u + 12345u;
                uint32_t r = x >> 8;
                size_t c;
                if ((r & 0xff) < 128)
                        c = 1 + (r >> 8) % 8;
                else if ((r & 0xff) < 224)
                        c = 1 + (r >> 8) % 64;
                else
                        c = 1 + (r >> 8) % 600;
                if (c > size - off)
                        c = size - off;
                feed(&chunked, data + off, c, 0);
                off += c;
        }
        finish(&chunked, size);
        same(&whole, &chunked);

        /* 3: one byte at a time */
        if (size <= 8192) {
                start(&bytewise);
                for (size_t i = 0; i < size; i++)
                        feed(&bytewise, data + i, 1, 0);
                finish(&bytewise, size);
                same(&whole, &bytewise);
        }
        return 0;
}
