/* SPDX-License-Identifier: MIT */
/*
 * Codec benchmark: prints throughput figures, asserts nothing about speed.
 * Exits non-zero only when the codec returns an error (or decodes a value
 * that differs from what was encoded).
 *
 *   a) RESPONSE with 10 000 analog inputs g30v1 q=0x01: encode and parse
 *   b) RESPONSE with 1 000 binary input events g2v2 q=0x28: encode and parse
 *   c) link layer: encode a 64 KiB stream of max-size frames, scan it
 *   d) heap allocations per parse/encode/scan, counted by interposing
 *      malloc/calloc/realloc/free (not in sanitizer builds, whose runtime
 *      owns the allocator)
 *
 * Every figure is measured over at least one second of repetitions with
 * CLOCK_MONOTONIC.  MB = 10^6 bytes of APDU (a, b) or of link stream (c).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnp3/app.h"
#include "dnp3/link.h"
#include "dnp3/obj.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
        __has_feature(thread_sanitizer)
#define BENCH_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BENCH_SANITIZER 1
#endif

/* ---- allocation counting ------------------------------------------------ */

static unsigned long long alloc_calls;

#ifndef BENCH_SANITIZER
#define BENCH_COUNTS_ALLOCS 1

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t nmemb, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);

void *malloc(size_t size)
{
        alloc_calls++;
        return __libc_malloc(size);
}

void *calloc(size_t nmemb, size_t size)
{
        alloc_calls++;
        return __libc_calloc(nmemb, size);
}

void *realloc(void *p, size_t size)
{
        alloc_calls++;
        return __libc_realloc(p, size);
}

void free(void *p)
{
        if (p)
                alloc_calls++;
        __libc_free(p);
}
#endif

/* ---- timing ------------------------------------------------------------- */

#define MIN_SECONDS 1.0

static double clock_s(clockid_t id)
{
        struct timespec ts;

        clock_gettime(id, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_s(void)
{
        return clock_s(CLOCK_MONOTONIC);
}

static void die(const char *what, int r)
{
        fprintf(stderr, "bench_codec: %s failed: %d (%s)\n", what, r, strerror(r < 0 ? -r : r));
        exit(1);
}

/* One unit of work; returns 0 or a negative errno. */
typedef int (*bench_fn)(void *ctx);

/* Wall time, and this thread's CPU time (the figure that holds on a shared machine). */
struct result {
        unsigned long long reps;
        double secs;
        double cpu_secs;
};

/* Repeat fn in growing batches until at least MIN_SECONDS have passed. */
static struct result bench_run(const char *what, bench_fn fn, void *ctx)
{
        unsigned long long reps = 0, batch = 1;
        double t0 = now_s(), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), t;

        for (;;) {
                for (unsigned long long i = 0; i < batch; i++) {
                        int r = fn(ctx);
                        if (r != 0)
                                die(what, r);
                }
                reps += batch;
                t = now_s() - t0;
                if (t >= MIN_SECONDS)
                        break;
                if (t < MIN_SECONDS / 10)
                        batch *= 2;
        }
        return (struct result){ .reps = reps, .secs = t,
                                .cpu_secs = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0 };
}

static void print_rate(const char *label, const char *op, const struct result *r, size_t bytes,
                       size_t objects)
{
        double per_s = (double)r->reps / r->secs;
        double per_cpu_s = (double)r->reps / r->cpu_secs;

        if (objects)
                printf("%s: %s %.1f MB/s %.2f Mobj/s wall; %.1f MB/s %.2f Mobj/s per CPU-second "
                       "(%zu bytes, %llu reps in %.2f s, %.2f s CPU)\n",
                       label, op, per_s * (double)bytes / 1e6, per_s * (double)objects / 1e6,
                       per_cpu_s * (double)bytes / 1e6, per_cpu_s * (double)objects / 1e6, bytes,
                       r->reps, r->secs, r->cpu_secs);
        else
                printf("%s: %s %.1f MB/s wall; %.1f MB/s per CPU-second "
                       "(%zu bytes, %llu reps in %.2f s, %.2f s CPU)\n",
                       label, op, per_s * (double)bytes / 1e6, per_cpu_s * (double)bytes / 1e6,
                       bytes, r->reps, r->secs, r->cpu_secs);
}

/* Allocation calls made by n runs of fn. */
static unsigned long long count_allocs(const char *what, bench_fn fn, void *ctx, unsigned n)
{
        unsigned long long before = alloc_calls;

        for (unsigned i = 0; i < n; i++) {
                int r = fn(ctx);
                if (r != 0)
                        die(what, r);
        }
        return alloc_calls - before;
}

/* ---- objects -------------------------------------------------------------- */

#define N_AI 10000u
#define N_BI_EV 1000u
#define T0 UINT64_C(1700000000000)      /* 2023-11-14T22:13:20.000Z */

#define APDU_BUF_LEN 65535u            /* largest fragment */

static uint8_t apdu_buf[APDU_BUF_LEN];

struct obj_case {
        uint8_t group, var, qual;
        unsigned n;
        void (*make)(unsigned i, struct dnp_value *v);
        uint8_t *buf;
        size_t len;             /* encoded APDU length */
        /* parse results */
        unsigned long long seen;
        double sum;
        uint64_t check;
};

static void make_ai(unsigned i, struct dnp_value *v)
{
        *v = (struct dnp_value){
                .index = i,
                .flags = DNP_FLAG_ONLINE,
                .v.analog = (double)i - 5000.0,
        };
}

static void make_bi_ev(unsigned i, struct dnp_value *v)
{
        bool bit = (i & 1) != 0;

        *v = (struct dnp_value){
                .index = (i * 37u) % 65536u,
                .flags = (uint8_t)(DNP_FLAG_ONLINE | (bit ? DNP_FLAG_STATE : 0)),
                .time_kind = DNP_TIME_ABS,
                .time = T0 + i,
                .v.bit = bit,
        };
}

static int obj_encode(void *ctx)
{
        struct obj_case *c = ctx;
        const struct apdu_hdr h = {
                .fir = true, .fin = true, .seq = 3, .func = APP_FUNC_RESPONSE,
        };
        struct apdu_wr a;
        struct dnp_value v;
        int r;

        r = apdu_wr_init(&a, c->buf, APDU_BUF_LEN, &h);
        if (r < 0)
                return r;
        r = apdu_wr_begin(&a, c->group, c->var, c->qual, 0);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < c->n; i++) {
                c->make(i, &v);
                r = apdu_wr_value(&a, &v);
                if (r < 0)
                        return r;
        }
        r = apdu_wr_end(&a);
        if (r < 0)
                return r;
        c->len = apdu_wr_len(&a);
        return 0;
}

static int on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct obj_case *c = ctx;

        (void)h;
        c->seen++;
        c->sum += v->v.analog;
        c->check += v->index + v->flags + v->time;
        return 0;
}

static int obj_decode(void *ctx)
{
        static const struct obj_visitor vis = { .on_value = on_value };
        struct obj_case *c = ctx;
        struct obj_parse_err err;
        struct apdu_hdr h;
        struct rd rd;
        int r;

        c->seen = 0;
        c->sum = 0;
        c->check = 0;
        rd_init(&rd, c->buf, c->len);
        r = apdu_parse_hdr(&rd, &h);
        if (r < 0)
                return r;
        r = obj_parse(rd.p, rd_left(&rd), obj_mode_for_func(h.func), &vis, c, &err);
        if (r != 0)
                return r < 0 ? r : -EPROTO;
        return c->seen == c->n ? 0 : -EPROTO;
}

static int bench_objects(struct obj_case *c, const char *label, size_t want_len)
{
        char what[96];
        struct result r;

        /* One run to size and verify the APDU. */
        snprintf(what, sizeof(what), "%s encode", label);
        int e = obj_encode(c);
        if (e < 0)
                die(what, e);
        if (c->len != want_len) {
                fprintf(stderr, "bench_codec: %s: APDU is %zu bytes, expected %zu\n", label,
                        c->len, want_len);
                exit(1);
        }
        snprintf(what, sizeof(what), "%s parse", label);
        e = obj_decode(c);
        if (e < 0)
                die(what, e);
        double want_sum = 0;
        uint64_t want_check = 0;
        for (unsigned i = 0; i < c->n; i++) {
                struct dnp_value v;
                c->make(i, &v);
                want_sum += v.v.analog;
                want_check += v.index + v.flags + v.time;
        }
        if (c->group == 30 && c->sum != want_sum) {
                fprintf(stderr, "bench_codec: %s: sum %.1f, expected %.1f\n", label, c->sum,
                        want_sum);
                exit(1);
        }
        if (c->check != want_check) {
                fprintf(stderr, "bench_codec: %s: decoded index/flags/time differ\n", label);
                exit(1);
        }

        snprintf(what, sizeof(what), "%s encode", label);
        r = bench_run(what, obj_encode, c);
        print_rate(label, "encode", &r, c->len, c->n);
        snprintf(what, sizeof(what), "%s parse", label);
        r = bench_run(what, obj_decode, c);
        print_rate(label, "parse", &r, c->len, c->n);
        return 0;
}

/* ---- link ----------------------------------------------------------------- */

#define LINK_STREAM_FRAMES (65536 / LINK_MAX_FRAME)     /* 224 frames, 65 408 bytes */

struct link_case {
        uint8_t data[LINK_MAX_DATA];
        uint8_t stream[LINK_STREAM_FRAMES * LINK_MAX_FRAME];
        size_t len;
        struct link_scanner sc;
        unsigned long long frames;
        uint64_t check;
};

static int link_encode_stream(void *ctx)
{
        struct link_case *l = ctx;
        const struct link_hdr h = {
                .dir = false, .prm = true, .code = 4, .dest = 1, .src = 1024,
        };
        size_t off = 0;

        for (unsigned i = 0; i < LINK_STREAM_FRAMES; i++) {
                l->data[0] = (uint8_t)(0xc0 | (i & 0x3f));
                int r = link_encode(l->stream + off, sizeof(l->stream) - off, &h, l->data,
                                    LINK_MAX_DATA);
                if (r < 0)
                        return r;
                off += (size_t)r;
        }
        l->len = off;
        return 0;
}

static int link_scan_stream(void *ctx)
{
        struct link_case *l = ctx;
        const uint8_t *p = l->stream;
        size_t n = l->len;
        struct link_frame f;

        link_scanner_init(&l->sc);
        l->frames = 0;
        l->check = 0;
        while (n > 0) {
                size_t used = link_scanner_feed(&l->sc, p, n);
                p += used;
                n -= used;
                while (link_scanner_next(&l->sc, &f) > 0) {
                        l->frames++;
                        l->check += f.data_len + f.data[0];
                }
                if (used == 0 && link_scanner_next(&l->sc, &f) == 0)
                        return -ENOBUFS;        /* scanner full and stuck */
        }
        if (l->frames != LINK_STREAM_FRAMES || l->sc.stats.hdr_crc_errors ||
            l->sc.stats.body_crc_errors || l->sc.stats.bytes_discarded)
                return -EBADMSG;
        return 0;
}

static void bench_link(struct link_case *l)
{
        struct result r;
        char label[64];

        for (size_t i = 0; i < sizeof(l->data); i++)
                l->data[i] = (uint8_t)(i * 13 + 5);
        int e = link_encode_stream(l);
        if (e < 0)
                die("link encode", e);
        if (l->len != sizeof(l->stream))
                die("link frame size", -EPROTO);
        e = link_scan_stream(l);
        if (e < 0)
                die("link scan", e);

        snprintf(label, sizeof(label), "link %u max-size frames", (unsigned)LINK_STREAM_FRAMES);
        r = bench_run("link encode", link_encode_stream, l);
        print_rate(label, "encode", &r, l->len, 0);
        r = bench_run("link scan", link_scan_stream, l);
        print_rate(label, "scan", &r, l->len, 0);
}

/* ---- main ------------------------------------------------------------------ */

static struct link_case link_case;

int main(void)
{
        struct obj_case ai = {
                .group = 30, .var = 1, .qual = OBJ_QUAL_RANGE16, .n = N_AI,
                .make = make_ai, .buf = apdu_buf,
        };
        struct obj_case bi = {
                .group = 2, .var = 2, .qual = OBJ_QUAL_INDEX16, .n = N_BI_EV,
                .make = make_bi_ev, .buf = apdu_buf,
        };

        /* RESPONSE header 4 + object header 7 (g, v, q, start16, stop16) + 5 per object */
        bench_objects(&ai, "g30v1 q=0x01 10000 objects", 4 + 7 + 5 * N_AI);

        /* allocations, measured on this APDU before it is overwritten */
        unsigned long long a_parse = count_allocs("g30v1 parse", obj_decode, &ai, 100);
        unsigned long long a_enc = count_allocs("g30v1 encode", obj_encode, &ai, 100);

        /* header 4 + object header 5 (g, v, q, count16) + (index16 + flags + time48) each */
        bench_objects(&bi, "g2v2 q=0x28 1000 objects", 4 + 5 + 9 * N_BI_EV);
        a_parse += count_allocs("g2v2 parse", obj_decode, &bi, 100);
        a_enc += count_allocs("g2v2 encode", obj_encode, &bi, 100);

        bench_link(&link_case);
        unsigned long long a_scan = count_allocs("link scan", link_scan_stream, &link_case, 100);
        unsigned long long a_lenc = count_allocs("link encode", link_encode_stream, &link_case,
                                                 100);

#ifdef BENCH_COUNTS_ALLOCS
        /* Prove the counter is live: one malloc and one free must count 2. */
        unsigned long long probe = alloc_calls;
        void *volatile p = malloc(16);
        free(p);
        if (alloc_calls - probe != 2) {
                printf("allocations per parse: not counted (malloc not interposed)\n");
                return 0;
        }
        printf("allocations per parse: %g\n", (double)a_parse / 200);
        printf("allocations per encode: %g\n", (double)a_enc / 200);
        printf("allocations per link scan: %g\n", (double)a_scan / 100);
        printf("allocations per link encode: %g\n", (double)a_lenc / 100);
        if (a_parse || a_enc || a_scan || a_lenc)
                printf("(total allocation calls: parse %llu, encode %llu, link %llu)\n",
                       a_parse, a_enc, a_scan + a_lenc);
#else
        (void)a_parse;
        (void)a_enc;
        (void)a_scan;
        (void)a_lenc;
        printf("allocations per parse: not counted (sanitizer build)\n");
#endif
        return 0;
}
