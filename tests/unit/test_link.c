/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the DNP3 link layer (src/dnp3/link.c): function tables,
 * control byte, frame size, encoder goldens, decoding of real frames and the
 * resynchronising stream scanner.
 *
 * Goldens: every encoded frame below was checked with Wireshark's DNP3
 * dissector (text2pcap -T 20000,20000 + tshark -V -O dnp3: header and data
 * chunk checksums "[correct]", control/addresses as expected); the
 * UNCONFIRMED_USER_DATA golden is the example frame of the DNP3 quick
 * reference, and the link-only frames between addresses 30 and 2 are ones
 * published in other projects' tests.  Real frames are TCP payloads from the
 * ITI ICS-Security-Tools DNP3 captures (pcaps/dnp3/, CC BY 4.0, Information
 * Trust Institute, University of Illinois).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#include "dnp3/crc.h"
#include "dnp3/link.h"


/* Everything a scan produced: the frames (header + data) and final stats. */
#define MAX_GOT 64
struct got {
        size_t n;
        struct link_hdr h[MAX_GOT];
        size_t len[MAX_GOT];
        uint8_t data[MAX_GOT][LINK_MAX_DATA];
        uint64_t wire;                  /* sum of the frames' sizes */
        struct link_stats st;
        size_t left;                    /* bytes still held by the scanner */
};

static void got_frame(struct got *g, const struct link_scanner *s, const struct link_frame *f)
{
        assert_true(g->n < MAX_GOT);
        assert_true(f->data_len <= LINK_MAX_DATA);
        assert_ptr_equal(f->data, s->data);
        g->h[g->n] = f->h;
        g->len[g->n] = f->data_len;
        if (f->data_len)
                memcpy(g->data[g->n], f->data, f->data_len);
        g->wire += link_frame_size(f->data_len);
        g->n++;
}

/* Drain every frame the scanner has. */
static void drain(struct link_scanner *s, struct got *g)
{
        struct link_frame f;
        while (link_scanner_next(s, &f) > 0)
                got_frame(g, s, &f);
}

/* Feed p in chunks of `chunk` bytes (0: all at once) following the header's usage loop. */
static void scan(const uint8_t *p, size_t n, size_t chunk, struct got *g)
{
        struct link_scanner s;
        size_t total = n;

        memset(g, 0, sizeof(*g));
        link_scanner_init(&s);
        while (n > 0) {
                size_t c = chunk && chunk < n ? chunk : n;
                while (c > 0) {
                        size_t used = link_scanner_feed(&s, p, c);
                        assert_true(used > 0);
                        p += used;
                        n -= used;
                        c -= used;
                        drain(&s, g);
                }
        }
        drain(&s, g);
        g->st = s.stats;
        g->left = s.len;
        assert_int_equal(g->st.frames, g->n);
        /* every byte fed is in a frame, discarded, or still held */
        assert_true(g->wire + g->st.bytes_discarded + g->left == total);
}

static void assert_hdr_equal(const struct link_hdr *a, const struct link_hdr *b)
{
        assert_int_equal(a->dir, b->dir);
        assert_int_equal(a->prm, b->prm);
        assert_int_equal(a->fcb, b->fcb);
        assert_int_equal(a->fcv, b->fcv);
        assert_int_equal(a->code, b->code);
        assert_int_equal(a->dest, b->dest);
        assert_int_equal(a->src, b->src);
}

static void assert_got_equal(const struct got *a, const struct got *b)
{
        assert_int_equal(a->n, b->n);
        for (size_t i = 0; i < a->n; i++) {
                assert_hdr_equal(&a->h[i], &b->h[i]);
                assert_int_equal(a->len[i], b->len[i]);
                assert_memory_equal(a->data[i], b->data[i], a->len[i]);
        }
        assert_memory_equal(&a->st, &b->st, sizeof(a->st));
        assert_int_equal(a->left, b->left);
}

static void assert_stats(const struct got *g, uint64_t frames, uint64_t discarded,
                         uint64_t hdr_crc, uint64_t body_crc, uint64_t bad_len)
{
        assert_int_equal(g->st.frames, frames);
        assert_int_equal(g->st.bytes_discarded, discarded);
        assert_int_equal(g->st.hdr_crc_errors, hdr_crc);
        assert_int_equal(g->st.body_crc_errors, body_crc);
        assert_int_equal(g->st.bad_length, bad_len);
}

static struct got g1, g2;

/* ---- function codes, control byte, frame size ---- */

static void test_func_tables(void **state)
{
        (void)state;
        static const struct {
                enum link_func f;
                const char *name;
                bool prm;
                uint8_t code;
        } v[] = {
                { LINK_FUNC_RESET_LINK_STATES, "RESET_LINK_STATES", true, 0 },
                { LINK_FUNC_TEST_LINK_STATES, "TEST_LINK_STATES", true, 2 },
                { LINK_FUNC_CONFIRMED_USER_DATA, "CONFIRMED_USER_DATA", true, 3 },
                { LINK_FUNC_UNCONFIRMED_USER_DATA, "UNCONFIRMED_USER_DATA", true, 4 },
                { LINK_FUNC_REQUEST_LINK_STATUS, "REQUEST_LINK_STATUS", true, 9 },
                { LINK_FUNC_ACK, "ACK", false, 0 },
                { LINK_FUNC_NACK, "NACK", false, 1 },
                { LINK_FUNC_LINK_STATUS, "LINK_STATUS", false, 11 },
                { LINK_FUNC_NOT_SUPPORTED, "NOT_SUPPORTED", false, 15 },
        };

        assert_int_equal(LINK_FUNC_MAX, 9);
        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                assert_string_equal(link_func_name(v[i].f), v[i].name);
                assert_int_equal(link_func_is_primary(v[i].f), v[i].prm);
                assert_int_equal(link_func_code(v[i].f), v[i].code);
                assert_int_equal(link_func_from_wire(v[i].prm, v[i].code), v[i].f);
        }

        /* every (prm, code) pair not in the list is unknown */
        unsigned known = 0;
        for (int prm = 0; prm < 2; prm++) {
                for (unsigned code = 0; code < 16; code++) {
                        enum link_func f = link_func_from_wire(prm != 0, (uint8_t)code);
                        if (f == LINK_FUNC_MAX)
                                continue;
                        known++;
                        assert_int_equal(link_func_is_primary(f), prm != 0);
                        assert_int_equal(link_func_code(f), code);
                }
        }
        assert_int_equal(known, 9);
        assert_int_equal(link_func_from_wire(true, 1), LINK_FUNC_MAX);     /* old RESET_USER_PROCESS */
        assert_int_equal(link_func_from_wire(false, 14), LINK_FUNC_MAX);   /* old NOT_FUNCTIONING */
        assert_int_equal(link_func_from_wire(true, 16), LINK_FUNC_MAX);
        assert_int_equal(link_func_from_wire(false, 0xff), LINK_FUNC_MAX);

        /* out of range */
        assert_string_equal(link_func_name(LINK_FUNC_MAX), "UNKNOWN");
        assert_int_equal(link_func_code(LINK_FUNC_MAX), 0xff);
        assert_false(link_func_is_primary(LINK_FUNC_MAX));
}

/*
 * FCV and LENGTH per function (IEEE 1815-2012 clause 9.2 function code
 * tables): a primary frame carries FCV = 1 exactly for TEST_LINK_STATES (2)
 * and CONFIRMED_USER_DATA (3); only the user data functions (3, 4) carry
 * data, and they must.  Secondary frames carry no data; their DFC and FCB
 * are not checked.  DIR never matters.  Every control byte, with and
 * without data.
 */
static void test_frame_conforms(void **state)
{
        (void)state;
        unsigned ok = 0;

        assert_false(link_func_fcv(LINK_FUNC_RESET_LINK_STATES));
        assert_true(link_func_fcv(LINK_FUNC_TEST_LINK_STATES));
        assert_true(link_func_fcv(LINK_FUNC_CONFIRMED_USER_DATA));
        assert_false(link_func_fcv(LINK_FUNC_UNCONFIRMED_USER_DATA));
        assert_false(link_func_fcv(LINK_FUNC_REQUEST_LINK_STATUS));
        assert_false(link_func_fcv(LINK_FUNC_ACK));
        assert_false(link_func_fcv(LINK_FUNC_MAX));

        for (unsigned ctrl = 0; ctrl < 256; ctrl++) {
                for (size_t n = 0; n <= 1; n++) {
                        static const uint8_t one = 0xc0;
                        struct link_frame f = { .data = n ? &one : NULL, .data_len = n };
                        link_hdr_from_ctrl(&f.h, (uint8_t)ctrl);
                        unsigned code = ctrl & 0x0f;
                        bool fcv = (ctrl & 0x10) != 0;
                        bool want;
                        if (ctrl & 0x40) {
                                switch (code) {
                                case 0: want = !fcv && n == 0; break;   /* RESET_LINK_STATES */
                                case 2: want = fcv && n == 0; break;    /* TEST_LINK_STATES */
                                case 3: want = fcv && n == 1; break;    /* CONFIRMED_USER_DATA */
                                case 4: want = !fcv && n == 1; break;   /* UNCONFIRMED_USER_DATA */
                                case 9: want = !fcv && n == 0; break;   /* REQUEST_LINK_STATUS */
                                default: want = false; break;
                                }
                        } else {
                                /* ACK, NACK, LINK_STATUS, NOT_SUPPORTED */
                                want = (code == 0 || code == 1 || code == 11 || code == 15) &&
                                       n == 0;
                        }
                        enum link_func fn = link_func_from_wire(f.h.prm, f.h.code);
                        assert_int_equal(link_frame_conforms(fn, &f), want);
                        ok += want;
                }
        }
        /* primary: 5 functions x DIR x FCB; secondary: 4 functions x DIR x FCB x DFC */
        assert_int_equal(ok, 5 * 4 + 4 * 8);
}

static void test_ctrl_byte(void **state)
{
        (void)state;
        struct link_hdr h;

        /* every control byte survives the round trip */
        for (unsigned c = 0; c < 256; c++) {
                memset(&h, 0xff, sizeof(h));
                link_hdr_from_ctrl(&h, (uint8_t)c);
                assert_int_equal(link_ctrl_byte(&h), c);
                assert_int_equal(h.dir, (c & 0x80) != 0);
                assert_int_equal(h.prm, (c & 0x40) != 0);
                assert_int_equal(h.fcb, (c & 0x20) != 0);
                assert_int_equal(h.fcv, (c & 0x10) != 0);
                assert_int_equal(h.code, c & 0x0f);
        }

        /* values seen on the wire */
        link_hdr_from_ctrl(&h, 0xc4);   /* master, primary, unconfirmed user data */
        assert_true(h.dir && h.prm && !h.fcb && !h.fcv);
        assert_int_equal(h.code, 4);
        link_hdr_from_ctrl(&h, 0x44);   /* outstation, primary, unconfirmed user data */
        assert_true(!h.dir && h.prm && !h.fcb && !h.fcv);
        link_hdr_from_ctrl(&h, 0xf3);   /* confirmed user data, FCB=1, FCV=1 */
        assert_true(h.dir && h.prm && h.fcb && h.fcv);
        assert_int_equal(h.code, 3);
        link_hdr_from_ctrl(&h, 0x11);   /* NACK with DFC */
        assert_true(!h.dir && !h.prm && !h.fcb && h.fcv);
        assert_int_equal(h.code, 1);

        /* only the low 4 bits of code are used */
        struct link_hdr x = { .dir = true, .prm = true, .code = 0xf4 };
        assert_int_equal(link_ctrl_byte(&x), 0xc4);
}

static void test_frame_size(void **state)
{
        (void)state;
        assert_int_equal(link_frame_size(0), 10);
        assert_int_equal(link_frame_size(1), 13);
        assert_int_equal(link_frame_size(15), 27);
        assert_int_equal(link_frame_size(16), 28);
        assert_int_equal(link_frame_size(17), 31);
        assert_int_equal(link_frame_size(32), 46);
        assert_int_equal(link_frame_size(249), 291);
        assert_int_equal(link_frame_size(250), LINK_MAX_FRAME);
        assert_int_equal(link_frame_size(251), 0);
        assert_int_equal(link_frame_size((size_t)-1), 0);
}

/* ---- encoder ---- */

static const uint8_t read_req[18] = {
        0xc0, 0xc1, 0x01, 0x3c, 0x02, 0x06, 0x3c, 0x03, 0x06,
        0x3c, 0x04, 0x06, 0x3c, 0x01, 0x06, 0x0a, 0x0b, 0x0c,
};
static const uint8_t qr_write[9] = { 0xc0, 0xc4, 0x02, 0x50, 0x01, 0x00, 0x07, 0x07, 0x00 };

static const struct golden {
        enum link_func f;
        struct link_hdr h;
        const uint8_t *data;
        size_t n;
        const char *wire;
} goldens[] = {
        /* primary, master (1) -> outstation (1024) */
        { LINK_FUNC_RESET_LINK_STATES,
          { .dir = true, .prm = true, .code = 0, .dest = 1024, .src = 1 }, NULL, 0,
          "05 64 05 c0 00 04 01 00 d7 f7" },
        { LINK_FUNC_TEST_LINK_STATES,
          { .dir = true, .prm = true, .fcb = true, .fcv = true, .code = 2, .dest = 1024,
            .src = 1 }, NULL, 0,
          "05 64 05 f2 00 04 01 00 14 03" },
        { LINK_FUNC_CONFIRMED_USER_DATA,
          { .dir = true, .prm = true, .fcb = true, .fcv = true, .code = 3, .dest = 1024,
            .src = 1 }, read_req, sizeof(read_req),
          "05 64 17 f3 00 04 01 00 64 7e"
          " c0 c1 01 3c 02 06 3c 03 06 3c 04 06 3c 01 06 0a c0 25"
          " 0b 0c 31 06" },
        { LINK_FUNC_UNCONFIRMED_USER_DATA,   /* DNP3 quick reference example */
          { .dir = true, .prm = true, .code = 4, .dest = 1, .src = 1024 }, qr_write,
          sizeof(qr_write),
          "05 64 0e c4 01 00 00 04 7d a4 c0 c4 02 50 01 00 07 07 00 64 11" },
        { LINK_FUNC_REQUEST_LINK_STATUS,
          { .dir = true, .prm = true, .code = 9, .dest = 1024, .src = 1 }, NULL, 0,
          "05 64 05 c9 00 04 01 00 98 81" },
        /* secondary, outstation (1024) -> master (1) */
        { LINK_FUNC_ACK, { .code = 0, .dest = 1, .src = 1024 }, NULL, 0,
          "05 64 05 00 01 00 00 04 27 70" },
        { LINK_FUNC_NACK, { .code = 1, .dest = 1, .src = 1024 }, NULL, 0,
          "05 64 05 01 01 00 00 04 21 53" },
        { LINK_FUNC_NACK, { .fcv = true, .code = 1, .dest = 1, .src = 1024 }, NULL, 0,
          "05 64 05 11 01 00 00 04 b3 f9" },      /* DFC set */
        { LINK_FUNC_LINK_STATUS, { .code = 11, .dest = 1, .src = 1024 }, NULL, 0,
          "05 64 05 0b 01 00 00 04 64 40" },
        { LINK_FUNC_NOT_SUPPORTED, { .code = 15, .dest = 1, .src = 1024 }, NULL, 0,
          "05 64 05 0f 01 00 00 04 7c cc" },
        /* published frames between master 30 and outstation 2 */
        { LINK_FUNC_REQUEST_LINK_STATUS,
          { .dir = true, .prm = true, .code = 9, .dest = 30, .src = 2 }, NULL, 0,
          "05 64 05 c9 1e 00 02 00 59 11" },
        { LINK_FUNC_LINK_STATUS, { .code = 11, .dest = 2, .src = 30 }, NULL, 0,
          "05 64 05 0b 02 00 1e 00 ce 0f" },
        { LINK_FUNC_ACK, { .code = 0, .dest = 2, .src = 30 }, NULL, 0,
          "05 64 05 00 02 00 1e 00 8d 3f" },
};

static void test_encode_goldens(void **state)
{
        (void)state;

        for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
                const struct golden *g = &goldens[i];
                uint8_t want[LINK_MAX_FRAME], out[LINK_MAX_FRAME + 4];
                size_t wn = unhex(g->wire, want, sizeof(want));

                assert_int_equal(link_frame_size(g->n), wn);
                memset(out, 0xaa, sizeof(out));
                assert_int_equal(link_encode(out, sizeof(out), &g->h, g->data, g->n), (int)wn);
                assert_memory_equal(out, want, wn);
                assert_int_equal(out[wn], 0xaa);        /* nothing written past the frame */

                /* function and control byte agree with the table */
                assert_int_equal(link_func_from_wire(g->h.prm, g->h.code), g->f);
                assert_int_equal(want[3], link_ctrl_byte(&g->h));

                /* and the scanner gives the same header and data back */
                scan(want, wn, 0, &g1);
                assert_stats(&g1, 1, 0, 0, 0, 0);
                assert_hdr_equal(&g1.h[0], &g->h);
                assert_int_equal(g1.len[0], g->n);
                if (g->n)
                        assert_memory_equal(g1.data[0], g->data, g->n);
        }
}

static void test_encode_published_user_data(void **state)
{
        (void)state;
        /* two published multi-block frames (master 2 <-> outstation 30) */
        static const struct {
                struct link_hdr h;
                const char *data;
                const char *wire;
        } v[] = {
                { { .dir = true, .prm = true, .code = 4, .dest = 30, .src = 2 },
                  "c0 ca 01 32 01 06 3c 02 06 3c 03 06 3c 04 06 3c 01 06",
                  "05 64 17 c4 1e 00 02 00 78 b5 c0 ca 01 32 01 06 3c 02 06 3c 03 06"
                  " 3c 04 06 3c 9d f5 01 06 75 e1" },
                { { .prm = true, .code = 4, .dest = 2, .src = 30 },
                  "c0 ca 81 00 00 1e 01 28 01 00 03 00 00 3f 01 00 00 01 02 28 01 00"
                  " 01 00 00 14 01 28 01 00 00 00 00 13 00 00 00",
                  "05 64 2a 44 02 00 1e 00 4f 36 c0 ca 81 00 00 1e 01 28 01 00 03 00"
                  " 00 3f 01 00 d9 f6 00 01 02 28 01 00 01 00 00 14 01 28 01 00 00 00"
                  " 57 a8 00 13 00 00 00 99 52" },
        };

        for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                uint8_t data[LINK_MAX_DATA], want[LINK_MAX_FRAME], out[LINK_MAX_FRAME];
                size_t n = unhex(v[i].data, data, sizeof(data));
                size_t wn = unhex(v[i].wire, want, sizeof(want));
                assert_int_equal(link_encode(out, sizeof(out), &v[i].h, data, n), (int)wn);
                assert_memory_equal(out, want, wn);
        }
}

static void test_encode_max_and_broadcast(void **state)
{
        (void)state;
        uint8_t data[LINK_MAX_DATA], out[LINK_MAX_FRAME], want[LINK_MAX_FRAME];
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)i;

        /* 250 bytes: 15 full blocks and one of 10 (checked with tshark) */
        const struct link_hdr h = { .prm = true, .code = 4, .dest = 0xfffe, .src = 0x1234 };
        assert_int_equal(link_encode(out, sizeof(out), &h, data, 250), LINK_MAX_FRAME);
        size_t wn = unhex("0564ff44feff341282b9"
                        "000102030405060708090a0b0c0d0e0fec10"
                        "101112131415161718191a1b1c1d1e1f2703"
                        "202122232425262728292a2b2c2d2e2f7a37"
                        "303132333435363738393a3b3c3d3e3fb124"
                        "404142434445464748494a4b4c4d4e4fc05f"
                        "505152535455565758595a5b5c5d5e5f0b4c"
                        "606162636465666768696a6b6c6d6e6f5678"
                        "707172737475767778797a7b7c7d7e7f9d6b"
                        "808182838485868788898a8b8c8d8e8fb48e"
                        "909192939495969798999a9b9c9d9e9f7f9d"
                        "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf22a9"
                        "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfe9ba"
                        "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf98c1"
                        "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf53d2"
                        "e0e1e2e3e4e5e6e7e8e9eaebecedeeef0ee6"
                        "f0f1f2f3f4f5f6f7f8f9dca0",
                        want, sizeof(want));
        assert_int_equal(wn, LINK_MAX_FRAME);
        assert_memory_equal(out, want, wn);

        /* broadcast destination, 17 bytes: one full block and one of 1 */
        const struct link_hdr b = { .dir = true, .prm = true, .code = 4, .dest = 0xffff,
                                    .src = 1 };
        assert_int_equal(link_encode(out, sizeof(out), &b, data, 17), 31);
        wn = unhex("056416c4ffff01000b15000102030405060708090a0b0c0d0e0fec1010944d", want,
                 sizeof(want));
        assert_memory_equal(out, want, wn);
}

static void test_encode_errors(void **state)
{
        (void)state;
        uint8_t data[LINK_MAX_DATA + 1] = { 0 };
        uint8_t out[LINK_MAX_FRAME + 8];
        const struct link_hdr h = { .dir = true, .prm = true, .code = 4, .dest = 1, .src = 2 };

        memset(out, 0xaa, sizeof(out));
        assert_int_equal(link_encode(out, sizeof(out), &h, data, LINK_MAX_DATA + 1), -EINVAL);
        assert_int_equal(link_encode(out, sizeof(out), &h, NULL, 1), -EINVAL);
        for (size_t i = 0; i < sizeof(out); i++)
                assert_int_equal(out[i], 0xaa);

        /* every capacity one short of the frame: -ENOBUFS, nothing written */
        static const size_t ns[] = { 0, 1, 16, 17, 250 };
        for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
                size_t size = link_frame_size(ns[k]);
                for (size_t cap = 0; cap < size; cap++) {
                        assert_int_equal(link_encode(out, cap, &h, data, ns[k]), -ENOBUFS);
                        for (size_t i = 0; i < sizeof(out); i++)
                                assert_int_equal(out[i], 0xaa);
                }
                assert_int_equal(link_encode(out, size, &h, data, ns[k]), (int)size);
                assert_int_equal(out[size], 0xaa);
                memset(out, 0xaa, sizeof(out));
        }
        assert_int_equal(link_encode(NULL, 100, &h, NULL, 0), -ENOBUFS);
        /* no data, NULL pointer: fine */
        assert_int_equal(link_encode(out, sizeof(out), &h, NULL, 0), 10);
}

/* ---- real captured frames ---- */

/* full_exchange.pcap: every TCP payload, both directions, in capture order. */
static const char full_exchange[] =
        "05640a4401000a006e25c0f08280006b7d056411c40a0001000615c0c015"
        "3c02063c03063c04061a5505640a4401000a006e25c1c0818000b5d00564"
        "08c40a000100fc42c1d000a35005640ec40a0001002529c2c10250010007"
        "0700c5af05640a4401000a006e25c2c1810000786c056414c40a0001008f"
        "edc3c2013c02063c03063c04063c0106429e0564ff4401000a005aeb43c2"
        "810000010200000902020202020240460202020203020000090202020202"
        "020270da02020214010000090200000000020000e30b0000020000000002"
        "00000000020000004dba000200000000020000000002000000007eae0200"
        "0000000200000000150100000902d3420000000002000000000200000000"
        "020069ce00000002000000000200000000020000dd5e0000020000000002"
        "00000000020000004dba001e0100000902000000000200000000cd630200"
        "0000000200000000020000000002f0030000000002000000000200000000"
        "020069ce00000002000000000a0200000902020217100202020202020228"
        "010000090200000058e4000200000000020000000002000000007eae0200"
        "00000002000000004e7205641a4401000a00af5d84020000000002000000"
        "0002000000003be20200000000f3b9056411c40a0001000615c4c3143c02"
        "063c03063c0406fdc905640a4401000a006e25c5c3810000c34d";

/* What tshark shows for those 11 frames: LEN, CTRL, destination, source. */
static const struct {
        uint8_t len, ctrl;
        uint16_t dest, src;
} full_exchange_frames[] = {
        { 10, 0x44, 1, 10 }, { 17, 0xc4, 10, 1 }, { 10, 0x44, 1, 10 },
        { 8, 0xc4, 10, 1 },  { 14, 0xc4, 10, 1 }, { 10, 0x44, 1, 10 },
        { 20, 0xc4, 10, 1 }, { 255, 0x44, 1, 10 }, { 26, 0x44, 1, 10 },
        { 17, 0xc4, 10, 1 }, { 10, 0x44, 1, 10 },
};

static size_t full_exchange_bytes(uint8_t *out, size_t cap)
{
        size_t n = unhex(full_exchange, out, cap);
        assert_int_equal(n, 506);
        return n;
}

static void test_decode_real_frames(void **state)
{
        (void)state;
        uint8_t buf[LINK_MAX_FRAME];
        size_t n;

        /* assign_class.pcap #1: master 3 -> outstation 4, ASSIGN_CLASS request */
        n = unhex("05640ec4040003006dd3f2c3163c030601000670b4", buf, sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 0, 0, 0, 0);
        assert_true(g1.h[0].dir && g1.h[0].prm && !g1.h[0].fcb && !g1.h[0].fcv);
        assert_int_equal(g1.h[0].code, 4);
        assert_int_equal(link_func_from_wire(g1.h[0].prm, g1.h[0].code),
                         LINK_FUNC_UNCONFIRMED_USER_DATA);
        assert_int_equal(g1.h[0].dest, 4);
        assert_int_equal(g1.h[0].src, 3);
        assert_int_equal(g1.len[0], 9);
        const uint8_t d1[9] = { 0xf2, 0xc3, 0x16, 0x3c, 0x03, 0x06, 0x01, 0x00, 0x06 };
        assert_memory_equal(g1.data[0], d1, 9);

        /* assign_class.pcap #2: the outstation's answer (DIR=0, PRM=1) */
        n = unhex("05640a44030004007caec3c3810000d787", buf, sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 0, 0, 0, 0);
        assert_true(!g1.h[0].dir && g1.h[0].prm && !g1.h[0].fcb && !g1.h[0].fcv);
        assert_int_equal(g1.h[0].dest, 3);
        assert_int_equal(g1.h[0].src, 4);
        assert_int_equal(g1.len[0], 5);
        const uint8_t d2[5] = { 0xc3, 0xc3, 0x81, 0x00, 0x00 };
        assert_memory_equal(g1.data[0], d2, 5);

        /* direct_operate_analog_output.pcap: 13 bytes, g41v2 value 0 */
        n = unhex("056412c4040003001e7ceec205290228010001000000007dd0", buf, sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 0, 0, 0, 0);
        assert_int_equal(g1.len[0], 13);
        const uint8_t d3[13] = { 0xee, 0xc2, 0x05, 0x29, 0x02, 0x28, 0x01, 0x00,
                                 0x01, 0x00, 0x00, 0x00, 0x00 };
        assert_memory_equal(g1.data[0], d3, 13);

        /* file_list_directory.pcap: LEN 0x15, exactly one full 16-byte block */
        n = unhex("05641544030004005f929a61323034385075624b65792e70656d0f8f", buf,
                sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 0, 0, 0, 0);
        assert_int_equal(g1.len[0], 16);
        assert_memory_equal(g1.data[0], "\x9a\x61" "2048PubKey.pem", 16);

        /* dnp3_test_data_part1.pcap: 24 bytes where the first is 05 05, not a frame */
        n = unhex("050511c40400030046a2c2c2143c02063c03063c0406d32f", buf, sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 0, 24, 0, 0, 0);
        assert_int_equal(g1.left, 0);
}

static void test_real_stream(void **state)
{
        (void)state;
        uint8_t buf[600], out[LINK_MAX_FRAME];
        size_t n = full_exchange_bytes(buf, sizeof(buf));

        scan(buf, n, 0, &g1);
        assert_stats(&g1, 11, 0, 0, 0, 0);
        assert_int_equal(g1.left, 0);
        assert_int_equal(g1.wire, 506);

        /* frames match tshark's fields, and re-encode to the captured bytes */
        const uint8_t *p = buf;
        for (size_t i = 0; i < 11; i++) {
                struct link_hdr want;
                link_hdr_from_ctrl(&want, full_exchange_frames[i].ctrl);
                want.dest = full_exchange_frames[i].dest;
                want.src = full_exchange_frames[i].src;
                assert_hdr_equal(&g1.h[i], &want);
                assert_int_equal(g1.len[i], full_exchange_frames[i].len - 5u);

                int r = link_encode(out, sizeof(out), &g1.h[i], g1.data[i], g1.len[i]);
                assert_int_equal(r, (int)link_frame_size(g1.len[i]));
                assert_memory_equal(out, p, (size_t)r);
                p += r;
        }
        assert_ptr_equal(p, buf + n);

        /* the maximum-size frame: 250 bytes, starting with the transport header 0x43 */
        assert_int_equal(g1.len[7], LINK_MAX_DATA);
        assert_int_equal(g1.data[7][0], 0x43);
        assert_int_equal(g1.data[7][249], 0x00);
}

/* ---- scanner ---- */

/* Link-only REQUEST_LINK_STATUS and the quick-reference user-data frame. */
#define F_RLS "05 64 05 c9 00 04 01 00 98 81"
#define F_UNC "05 64 0e c4 01 00 00 04 7d a4 c0 c4 02 50 01 00 07 07 00 64 11"
#define F_CONF                                                                  \
        "05 64 17 f3 00 04 01 00 64 7e"                                         \
        " c0 c1 01 3c 02 06 3c 03 06 3c 04 06 3c 01 06 0a c0 25 0b 0c 31 06"

static void test_scan_split_everywhere(void **state)
{
        (void)state;
        uint8_t buf[600];
        size_t n = full_exchange_bytes(buf, sizeof(buf));

        scan(buf, n, 0, &g1);
        /* one cut at every byte boundary */
        for (size_t k = 0; k <= n; k++) {
                struct link_scanner s;
                memset(&g2, 0, sizeof(g2));
                link_scanner_init(&s);
                assert_int_equal(link_scanner_feed(&s, buf, k), k < LINK_MAX_FRAME ? k : LINK_MAX_FRAME);
                size_t used = k < LINK_MAX_FRAME ? k : LINK_MAX_FRAME;
                drain(&s, &g2);
                const uint8_t *p = buf + used;
                size_t left = n - used;
                while (left > 0) {
                        size_t u = link_scanner_feed(&s, p, left);
                        assert_true(u > 0);
                        p += u;
                        left -= u;
                        drain(&s, &g2);
                }
                g2.st = s.stats;
                g2.left = s.len;
                assert_got_equal(&g1, &g2);
        }

        /* two cuts at every pair of boundaries in a 2-frame stream */
        n = unhex(F_CONF F_UNC, buf, sizeof(buf));
        assert_int_equal(n, 53);
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 2, 0, 0, 0, 0);
        for (size_t i = 0; i <= n; i++) {
                for (size_t j = i; j <= n; j++) {
                        struct link_scanner s;
                        memset(&g2, 0, sizeof(g2));
                        link_scanner_init(&s);
                        assert_int_equal(link_scanner_feed(&s, buf, i), i);
                        drain(&s, &g2);
                        assert_int_equal(link_scanner_feed(&s, buf + i, j - i), j - i);
                        drain(&s, &g2);
                        assert_int_equal(link_scanner_feed(&s, buf + j, n - j), n - j);
                        drain(&s, &g2);
                        g2.st = s.stats;
                        g2.left = s.len;
                        assert_got_equal(&g1, &g2);
                }
        }
}

static void test_scan_merged(void **state)
{
        (void)state;
        uint8_t buf[2048];
        size_t n = 0;

        /* the captured stream three times back to back, plus goldens */
        for (int k = 0; k < 3; k++)
                n += full_exchange_bytes(buf + n, sizeof(buf) - n);
        n += unhex(F_RLS F_CONF F_UNC F_RLS, buf + n, sizeof(buf) - n);
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 37, 0, 0, 0, 0);
        assert_int_equal(g1.left, 0);
        assert_int_equal(g1.len[33], 0);
        assert_int_equal(g1.h[33].code, 9);
        assert_int_equal(g1.len[34], 18);
        assert_int_equal(g1.h[34].code, 3);
        assert_memory_equal(g1.data[34], read_req, sizeof(read_req));
        assert_int_equal(g1.len[35], 9);
        assert_memory_equal(g1.data[35], qr_write, sizeof(qr_write));
        assert_int_equal(g1.len[36], 0);
        for (int k = 0; k < 3; k++)
                assert_int_equal(g1.len[11 * k + 7], 250);
}

static void test_scan_garbage(void **state)
{
        (void)state;
        uint8_t buf[256];

        /* 7 bytes before (a 05 not followed by 64), 5 between (05 65, 05 05) */
        size_t n = unhex("00 ff 05 00 64 06 aa" F_UNC "ff fe 05 65 05" F_RLS, buf, sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 2, 12, 0, 0, 0);
        assert_int_equal(g1.left, 0);
        assert_int_equal(g1.len[0], 9);
        assert_int_equal(g1.len[1], 0);

        /* only garbage: all of it dropped, nothing held */
        memset(buf, 0x64, 200);
        scan(buf, 200, 0, &g1);
        assert_stats(&g1, 0, 200, 0, 0, 0);
        assert_int_equal(g1.left, 0);

        /* garbage ending in 05: that byte is kept (its 64 may come next) */
        n = unhex("11 22 33 05", buf, sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 0, 3, 0, 0, 0);
        assert_int_equal(g1.left, 1);

        /* ... and it does come */
        n = unhex("11 22 33 05" "64 05 c9 00 04 01 00 98 81", buf, sizeof(buf));
        scan(buf, n, 4, &g1);
        assert_stats(&g1, 1, 3, 0, 0, 0);
}

static void test_scan_bad_header_crc(void **state)
{
        (void)state;
        uint8_t buf[256];
        size_t n = unhex(F_UNC F_RLS, buf, sizeof(buf));

        buf[8] ^= 0x01;         /* header CRC low byte */
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 21, 1, 0, 0);
        assert_int_equal(g1.h[0].code, 9);
        assert_int_equal(g1.left, 0);

        /* a corrupted header field (destination) instead of the CRC */
        n = unhex(F_UNC F_RLS, buf, sizeof(buf));
        buf[4] ^= 0x80;
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 21, 1, 0, 0);

        /* a corrupted LEN: the frame would be longer, but the header CRC catches it */
        n = unhex(F_UNC F_RLS, buf, sizeof(buf));
        buf[2] = 0xff;
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 21, 1, 0, 0);
}

static void test_scan_bad_body_crc(void **state)
{
        (void)state;
        uint8_t buf[512];

        /* a data byte in the second block */
        size_t n = unhex(F_CONF F_UNC, buf, sizeof(buf));
        buf[28] ^= 0x10;
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 32, 0, 1, 0);
        assert_int_equal(g1.len[0], 9);
        assert_memory_equal(g1.data[0], qr_write, sizeof(qr_write));

        /* the first block's CRC itself */
        n = unhex(F_CONF F_UNC, buf, sizeof(buf));
        buf[27] ^= 0xff;
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 32, 0, 1, 0);

        /* a 250-byte frame with its last CRC wrong, then a good one */
        uint8_t data[LINK_MAX_DATA];
        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(i * 7);
        const struct link_hdr h = { .prm = true, .code = 4, .dest = 1, .src = 2 };
        int r = link_encode(buf, sizeof(buf), &h, data, sizeof(data));
        assert_int_equal(r, LINK_MAX_FRAME);
        buf[LINK_MAX_FRAME - 1] ^= 0x01;
        assert_true(LINK_MAX_FRAME + 10 <= sizeof(buf));
        unhex(F_RLS, buf + LINK_MAX_FRAME, 10);
        scan(buf, LINK_MAX_FRAME + 10, 0, &g1);
        assert_stats(&g1, 1, LINK_MAX_FRAME, 0, 1, 0);
        assert_int_equal(g1.h[0].code, 9);
}

static void test_scan_bad_length(void **state)
{
        (void)state;
        uint8_t buf[64];

        /* LEN 0..4 with a correct header CRC: counted as bad length, then resync */
        for (uint8_t len = 0; len < 5; len++) {
                uint8_t h[8] = { 0x05, 0x64, len, 0xc9, 0x00, 0x04, 0x01, 0x00 };
                uint16_t crc = crc_dnp(h, sizeof(h));
                memcpy(buf, h, 8);
                buf[8] = (uint8_t)crc;
                buf[9] = (uint8_t)(crc >> 8);
                size_t n = 10 + unhex(F_RLS, buf + 10, sizeof(buf) - 10);
                scan(buf, n, 0, &g1);
                assert_stats(&g1, 1, 10, 0, 0, 1);
                assert_int_equal(g1.len[0], 0);
                assert_int_equal(g1.h[0].dest, 1024);
        }
}

static void test_scan_truncated(void **state)
{
        (void)state;
        uint8_t buf[256];
        uint8_t conf[64];

        /*
         * A frame cut after 20 of its 32 bytes, then a good frame.  The
         * scanner waits for 32 bytes, fails the first block CRC, and finds
         * the good frame from the byte after the first sync byte.
         */
        size_t cn = unhex(F_CONF, conf, sizeof(conf));
        assert_int_equal(cn, 32);
        memcpy(buf, conf, 20);
        size_t n = 20 + unhex(F_UNC, buf + 20, sizeof(buf) - 20);
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 20, 0, 1, 0);
        assert_memory_equal(g1.data[0], qr_write, sizeof(qr_write));
        scan(buf, n, 1, &g2);
        assert_got_equal(&g1, &g2);

        /* cut inside the header: the header CRC fails instead */
        memcpy(buf, conf, 5);
        n = 5 + unhex(F_UNC, buf + 5, sizeof(buf) - 5);
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 5, 1, 0, 0);

        /* a truncated frame at the end of input is held, not counted */
        scan(conf, 20, 0, &g1);
        assert_stats(&g1, 0, 0, 0, 0, 0);
        assert_int_equal(g1.left, 20);
}

static void test_scan_false_sync(void **state)
{
        (void)state;
        uint8_t buf[256];

        /* a false 05 64 inside garbage: its "header" fails the CRC */
        size_t n = unhex("aa 05 64 11 22 33 44 55 66 77 88 99" F_RLS, buf, sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 12, 1, 0, 0);

        /*
         * A false start whose 10 "header" bytes swallow the start of a real
         * frame: only the first sync byte is dropped, so the real frame that
         * begins 3 bytes later is still found.
         */
        n = unhex("05 64 00" F_UNC F_RLS, buf, sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 2, 3, 1, 0, 0);
        assert_int_equal(g1.len[0], 9);

        /* 05 05 64: the first 05 is skipped without an error */
        n = unhex("05" F_RLS, buf, sizeof(buf));
        scan(buf, n, 0, &g1);
        assert_stats(&g1, 1, 1, 0, 0, 0);

        /* a real frame inside the user data of a frame whose body CRC fails */
        uint8_t data[40];
        size_t dn = unhex("aa" F_RLS "bb bb bb bb bb bb bb bb bb bb bb bb bb bb bb", data,
                        sizeof(data));
        assert_int_equal(dn, 26);
        const struct link_hdr h = { .prm = true, .code = 4, .dest = 7, .src = 8 };
        int r = link_encode(buf, sizeof(buf), &h, data, dn);
        assert_int_equal(r, 40);
        buf[r - 1] ^= 0x01;     /* second block CRC */
        /* bytes 10..25 are data[0..15]: the embedded frame is at 11..20 */
        scan(buf, (size_t)r, 0, &g1);
        assert_stats(&g1, 1, 40 - 10, 0, 1, 0);
        assert_int_equal(g1.h[0].dest, 1024);
        assert_int_equal(g1.left, 0);
}

static void test_scan_sizes(void **state)
{
        (void)state;
        uint8_t data[LINK_MAX_DATA], buf[LINK_MAX_FRAME * 2];

        for (size_t i = 0; i < sizeof(data); i++)
                data[i] = (uint8_t)(0xff - i);
        /* every data length 0..250, each scanned one byte at a time and whole */
        for (size_t n = 0; n <= LINK_MAX_DATA; n++) {
                const struct link_hdr h = { .dir = (n & 1) != 0, .prm = true,
                                            .fcb = (n & 2) != 0, .fcv = (n & 4) != 0,
                                            .code = 3, .dest = (uint16_t)n,
                                            .src = (uint16_t)(0xfff0 + (n & 15)) };
                int r = link_encode(buf, sizeof(buf), &h, data, n);
                assert_int_equal(r, (int)link_frame_size(n));
                scan(buf, (size_t)r, 0, &g1);
                assert_stats(&g1, 1, 0, 0, 0, 0);
                assert_hdr_equal(&g1.h[0], &h);
                assert_int_equal(g1.len[0], n);
                assert_memory_equal(g1.data[0], data, n);
                scan(buf, (size_t)r, 1, &g2);
                assert_got_equal(&g1, &g2);
        }
}

static void test_scan_full_buffer(void **state)
{
        (void)state;
        struct link_scanner s;
        struct link_frame f;
        uint8_t buf[400];

        /* 400 sync-like bytes: the scanner takes what fits and never stalls */
        memset(buf, 0x05, sizeof(buf));
        link_scanner_init(&s);
        assert_int_equal(link_scanner_feed(&s, buf, sizeof(buf)), LINK_MAX_FRAME);
        assert_int_equal(link_scanner_feed(&s, buf, 1), 0);     /* full */
        memset(&f, 0x5a, sizeof(f));
        struct link_frame before = f;
        assert_int_equal(link_scanner_next(&s, &f), 0);
        assert_memory_equal(&f, &before, sizeof(f));            /* untouched */
        assert_int_equal(s.stats.bytes_discarded, LINK_MAX_FRAME - 1);
        assert_int_equal(s.len, 1);
        assert_int_equal(link_scanner_feed(&s, buf, sizeof(buf) - LINK_MAX_FRAME), 108);

        /* a header announcing 292 bytes with 291 present: waits, takes 1 more */
        uint8_t data[LINK_MAX_DATA] = { 0 };
        const struct link_hdr h = { .prm = true, .code = 4, .dest = 1, .src = 2 };
        assert_int_equal(link_encode(buf, sizeof(buf), &h, data, LINK_MAX_DATA), LINK_MAX_FRAME);
        link_scanner_init(&s);
        assert_int_equal(link_scanner_feed(&s, buf, LINK_MAX_FRAME - 1), LINK_MAX_FRAME - 1);
        assert_int_equal(link_scanner_next(&s, &f), 0);
        assert_int_equal(s.len, LINK_MAX_FRAME - 1);
        assert_int_equal(s.stats.bytes_discarded, 0);
        assert_int_equal(link_scanner_feed(&s, buf + LINK_MAX_FRAME - 1, 10), 1);
        assert_int_equal(link_scanner_next(&s, &f), 1);
        assert_int_equal(f.data_len, LINK_MAX_DATA);
        assert_ptr_equal(f.data, s.data);
        assert_int_equal(s.len, 0);
        assert_int_equal(link_scanner_next(&s, &f), 0);

        /* an empty scanner: nothing, and feeding nothing takes nothing */
        link_scanner_init(&s);
        assert_int_equal(link_scanner_feed(&s, buf, 0), 0);
        assert_int_equal(link_scanner_next(&s, &f), 0);
        assert_int_equal(s.stats.bytes_discarded, 0);
}

/* Everything above in one stream: any chunking gives the same frames and stats. */
static void test_scan_chunking_equal(void **state)
{
        (void)state;
        static uint8_t buf[4096];
        size_t n = 0;

        n += unhex("00 ff 05 00 64 06 aa", buf + n, sizeof(buf) - n);     /* 7 garbage */
        n += full_exchange_bytes(buf + n, sizeof(buf) - n);              /* 11 frames */
        size_t at = n;
        n += unhex(F_UNC, buf + n, sizeof(buf) - n);                        /* bad header CRC */
        buf[at + 8] ^= 0x40;
        n += unhex(F_RLS, buf + n, sizeof(buf) - n);                        /* good */
        at = n;
        n += unhex(F_CONF, buf + n, sizeof(buf) - n);                       /* bad body CRC */
        buf[at + 15] ^= 0x01;
        n += unhex("aa 05 64 11 22 33 44 55 66 77 88 99", buf + n, sizeof(buf) - n);
        at = n;
        n += unhex("05 64 03 c9 00 04 01 00 00 00", buf + n, sizeof(buf) - n); /* LEN 3 */
        uint16_t crc = crc_dnp(buf + at, 8);
        buf[at + 8] = (uint8_t)crc;
        buf[at + 9] = (uint8_t)(crc >> 8);
        n += unhex(F_CONF, buf + n, sizeof(buf) - 12 - n) - 12;             /* truncated to 20 */
        n += unhex("05 64 00" F_UNC, buf + n, sizeof(buf) - n);             /* hidden frame */
        n += full_exchange_bytes(buf + n, sizeof(buf) - n);              /* 11 frames */
        n += unhex("050511c40400030046a2c2c2143c02063c03063c0406d32f", buf + n,
                 sizeof(buf) - n);                                        /* 24 garbage */
        n += unhex(F_RLS "05", buf + n, sizeof(buf) - n);                   /* good, lone 05 */

        scan(buf, n, 0, &g1);
        /*
         * frames: 11 + RLS + UNC + 11 + RLS = 25
         * discarded: 7 + 21 (bad hdr) + 32 (bad body) + 12 (false sync)
         *            + 10 (LEN 3) + 20 (truncated) + 3 (false start) + 24 = 129
         * header CRC errors: bad hdr, false sync, false start = 3
         * body CRC errors: bad body, truncated (its first block) = 2
         */
        assert_stats(&g1, 25, 129, 3, 2, 1);
        assert_int_equal(g1.left, 1);

        for (size_t chunk = 1; chunk <= 300; chunk++) {
                scan(buf, n, chunk, &g2);
                assert_got_equal(&g1, &g2);
        }
        /* irregular chunks */
        struct link_scanner s;
        memset(&g2, 0, sizeof(g2));
        link_scanner_init(&s);
        uint32_t x = 1;
        for (size_t off = 0; off < n;) {
                x = x * 1103515245u + 12345u;
                size_t c = 1 + (x >> 16) % 97;
                if (c > n - off)
                        c = n - off;
                size_t u = link_scanner_feed(&s, buf + off, c);
                off += u;
                drain(&s, &g2);
        }
        g2.st = s.stats;
        g2.left = s.len;
        assert_got_equal(&g1, &g2);
}

/* link_scanner_push: every frame to the callback in order; a non-zero return
 * stops there and is passed back. */
struct push_rec {
        unsigned n;
        uint16_t src[8];
        unsigned stop_at;       /* stop after this many frames (0 = never) */
};

static int push_cb(void *ctx, const struct link_frame *f)
{
        struct push_rec *r = ctx;
        r->src[r->n++] = f->h.src;
        return r->stop_at && r->n == r->stop_at ? 7 : 0;
}

static void test_scanner_push(void **state)
{
        (void)state;
        uint8_t stream[4 * LINK_MAX_FRAME + 3] = { 0x00, 0x05, 0x11 };   /* garbage first */
        size_t len = 3;
        for (uint16_t i = 0; i < 4; i++) {
                const struct link_hdr h = { .dir = true, .prm = true, .code = 4, .dest = 10,
                                            .src = (uint16_t)(100 + i) };
                uint8_t data[20] = { (uint8_t)i };
                int r = link_encode(stream + len, sizeof(stream) - len, &h, data, sizeof(data));
                assert_true(r > 0);
                len += (size_t)r;
        }
        struct link_scanner sc;
        link_scanner_init(&sc);
        struct push_rec all = { 0 };
        assert_int_equal(link_scanner_push(&sc, stream, len, push_cb, &all), 0);
        assert_int_equal(all.n, 4);
        for (unsigned i = 0; i < 4; i++)
                assert_int_equal(all.src[i], 100 + i);
        assert_int_equal(sc.stats.bytes_discarded, 3);

        link_scanner_init(&sc);
        struct push_rec two = { .stop_at = 2 };
        assert_int_equal(link_scanner_push(&sc, stream, len, push_cb, &two), 7);
        assert_int_equal(two.n, 2);
        assert_int_equal(two.src[1], 101);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_func_tables),
                cmocka_unit_test(test_frame_conforms),
                cmocka_unit_test(test_ctrl_byte),
                cmocka_unit_test(test_frame_size),
                cmocka_unit_test(test_encode_goldens),
                cmocka_unit_test(test_encode_published_user_data),
                cmocka_unit_test(test_encode_max_and_broadcast),
                cmocka_unit_test(test_encode_errors),
                cmocka_unit_test(test_decode_real_frames),
                cmocka_unit_test(test_real_stream),
                cmocka_unit_test(test_scan_split_everywhere),
                cmocka_unit_test(test_scan_merged),
                cmocka_unit_test(test_scan_garbage),
                cmocka_unit_test(test_scan_bad_header_crc),
                cmocka_unit_test(test_scan_bad_body_crc),
                cmocka_unit_test(test_scan_bad_length),
                cmocka_unit_test(test_scan_truncated),
                cmocka_unit_test(test_scan_false_sync),
                cmocka_unit_test(test_scan_sizes),
                cmocka_unit_test(test_scan_full_buffer),
                cmocka_unit_test(test_scan_chunking_equal),
                cmocka_unit_test(test_scanner_push),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
