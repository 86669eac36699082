/* SPDX-License-Identifier: MIT */
/*
 * The event journal's record codec: exact bytes of the header and of each
 * record (golden values computed independently, by a Python CRC-32C), and
 * the scanner's promise — replay stops at the last good record, never
 * yields a half record, and says why: a journal of 50 events cut at every
 * byte offset, a bad CRC in the middle, foreign files, records out of order
 * or out of range.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "outstation/evjournal.h"
#include "testutil.h"

static const char HEADER_HEX[] = "44 4e 50 33 47 57 45 56 01 00 10 00 51 a6 8c 9c";

static void test_record_bytes(void **state)
{
        (void)state;
        uint8_t buf[128], want[64];
        struct wr w;
        wr_init(&w, buf, sizeof(buf));
        assert_int_equal(evj_write_header(&w), 0);
        assert_int_equal(w.len, EVJ_HEADER_LEN);
        assert_memory_equal(buf, want, unhex(HEADER_HEX, want, sizeof(want)));

        /* AI event: seq 0x01020304, class 2, g32v7, ONLINE, index 258, source 3 */
        const struct ev e = { .seq = 0x01020304, .type = DNP_TYPE_AI, .var = 7, .flags = 0x01,
                              .index = 0x0102, .src = 3, .time = 0x0123456789abull,
                              .value = 12.5 };
        wr_init(&w, buf, sizeof(buf));
        assert_int_equal(evj_write_add(&w, &e, 2), 0);
        assert_int_equal(w.len, EVJ_ADD_LEN);
        size_t n = unhex("01 04 03 02 01 02 06 07 01 02 01 03 00 ab 89 67 45 23 01"
                         " 00 00 00 00 00 00 29 40 8b 03 4f 33", want, sizeof(want));
        assert_int_equal(n, EVJ_ADD_LEN);
        assert_memory_equal(buf, want, n);

        wr_init(&w, buf, sizeof(buf));
        assert_int_equal(evj_write_remove(&w, 0x01020304, 5), 0);
        n = unhex("02 04 03 02 01 05 00 00 00 d3 11 96 8a", want, sizeof(want));
        assert_int_equal(w.len, n);
        assert_memory_equal(buf, want, n);
        /* patching a REMOVE in place gives the same bytes as writing it anew */
        uint8_t p[EVJ_REMOVE_LEN];
        wr_init(&w, p, sizeof(p));
        assert_int_equal(evj_write_remove(&w, 0x01020304, 1), 0);
        evj_patch_remove(p, 0x01020304, 5);
        assert_memory_equal(p, want, n);

        /* no room: nothing written; bad class or count refused */
        wr_init(&w, buf, EVJ_ADD_LEN - 1);
        assert_int_equal(evj_write_add(&w, &e, 2), -ENOBUFS);
        assert_int_equal(w.len, 0);
        wr_init(&w, buf, sizeof(buf));
        assert_int_equal(evj_write_add(&w, &e, 0), -EINVAL);
        assert_int_equal(evj_write_add(&w, &e, 4), -EINVAL);
        assert_int_equal(evj_write_remove(&w, 1, 0), -EINVAL);
        assert_int_equal(w.len, 0);
}

#define NEV 50

static struct ev event_n(uint32_t i)
{
        static const uint8_t types[] = { DNP_TYPE_BI, DNP_TYPE_DBI, DNP_TYPE_BO, DNP_TYPE_CNT,
                                         DNP_TYPE_FCNT, DNP_TYPE_AI, DNP_TYPE_AO };
        return (struct ev){ .seq = 1000 + 3 * i, .type = types[i % 7], .var = (uint8_t)(1 + i % 3),
                            .flags = (uint8_t)(0x01 | (i << 1)), .index = (uint16_t)(i * 7),
                            .src = (uint16_t)(i % 5), .time = 1700000000000ull + i * 37,
                            .value = (double)i * -1.25 };
}

/* A journal of NEV ADD records into buf; returns its length. */
static size_t journal_50(uint8_t *buf, size_t cap)
{
        struct wr w;
        wr_init(&w, buf, cap);
        assert_int_equal(evj_write_header(&w), 0);
        for (uint32_t i = 0; i < NEV; i++) {
                struct ev e = event_n(i);
                assert_int_equal(evj_write_add(&w, &e, 1 + i % 3), 0);
        }
        return w.len;
}

static void assert_event(const struct evj_rec *r, uint32_t i)
{
        struct ev e = event_n(i);
        assert_int_equal(r->kind, EVJ_ADD);
        assert_int_equal(r->ev.seq, e.seq);
        assert_int_equal(r->ev.cls, 1 + i % 3);
        assert_int_equal(r->ev.type, e.type);
        assert_int_equal(r->ev.var, e.var);
        assert_int_equal(r->ev.flags, e.flags);
        assert_int_equal(r->ev.index, e.index);
        assert_int_equal(r->ev.src, e.src);
        assert_int_equal(r->ev.time, e.time);
        assert_memory_equal(&r->ev.value, &e.value, sizeof(double));
}

/* Scan buf[0..n): the records (checked against event_n), then the stop. */
static size_t scan_count(const uint8_t *buf, size_t n, struct evj_scan *sc)
{
        struct evj_rec r;
        size_t k = 0;
        evj_scan_init(sc, buf, n);
        while (evj_scan_next(sc, &r) == 1)
                assert_event(&r, (uint32_t)k++);
        assert_true(sc->stopped);
        assert_int_equal(evj_scan_next(sc, &r), 0);     /* stays stopped */
        return k;
}

/*
 * A power cut mid-write leaves any prefix of the journal: every prefix
 * replays exactly its complete records (never half of one), and the scan
 * says END at a record boundary, TORN anywhere else.
 */
static void test_truncated_every_byte(void **state)
{
        (void)state;
        uint8_t buf[EVJ_HEADER_LEN + NEV * EVJ_ADD_LEN];
        size_t len = journal_50(buf, sizeof(buf));
        assert_int_equal(len, sizeof(buf));
        for (size_t cut = 0; cut <= len; cut++) {
                /* a copy of exactly cut bytes, so ASan sees any read past it */
                uint8_t *p = test_malloc(cut ? cut : 1);
                memcpy(p, buf, cut);
                struct evj_scan sc;
                size_t got = scan_count(p, cut, &sc);
                size_t want = cut < EVJ_HEADER_LEN ? 0 : (cut - EVJ_HEADER_LEN) / EVJ_ADD_LEN;
                assert_int_equal(got, want);
                size_t good = cut < EVJ_HEADER_LEN ? 0 : EVJ_HEADER_LEN + want * EVJ_ADD_LEN;
                assert_int_equal(sc.good, good);
                bool boundary = cut == 0 || good == cut;
                assert_int_equal(sc.stop, boundary ? EVJ_STOP_END : EVJ_STOP_TORN);
                test_free(p);
        }
}

/* One flipped bit anywhere in record 25 ends the replay before it: 25 events, BAD_CRC. */
static void test_bad_crc_in_the_middle(void **state)
{
        (void)state;
        uint8_t buf[EVJ_HEADER_LEN + NEV * EVJ_ADD_LEN];
        size_t len = journal_50(buf, sizeof(buf));
        size_t rec = EVJ_HEADER_LEN + 25 * EVJ_ADD_LEN;
        for (size_t i = 1; i < EVJ_ADD_LEN; i++) {     /* byte 0 is the kind: see below */
                for (unsigned bit = 0; bit < 8; bit++) {
                        buf[rec + i] ^= (uint8_t)(1u << bit);
                        struct evj_scan sc;
                        assert_int_equal(scan_count(buf, len, &sc), 25);
                        assert_int_equal(sc.stop, EVJ_STOP_BAD_CRC);
                        assert_int_equal(sc.good, rec);
                        buf[rec + i] ^= (uint8_t)(1u << bit);
                }
        }
        /* the kind byte: an unknown kind, or a REMOVE whose CRC does not match */
        buf[rec] = 0x07;
        struct evj_scan sc;
        assert_int_equal(scan_count(buf, len, &sc), 25);
        assert_int_equal(sc.stop, EVJ_STOP_BAD_RECORD);
        buf[rec] = EVJ_REMOVE;
        assert_int_equal(scan_count(buf, len, &sc), 25);
        assert_int_equal(sc.stop, EVJ_STOP_BAD_CRC);
        buf[rec] = EVJ_ADD;
        assert_int_equal(scan_count(buf, len, &sc), NEV);
        assert_int_equal(sc.stop, EVJ_STOP_END);
}

static void expect_header_stop(const char *what, const uint8_t *p, size_t n, enum evj_stop stop)
{
        struct evj_scan sc;
        struct evj_rec r;
        evj_scan_init(&sc, p, n);
        if (evj_scan_next(&sc, &r) != 0 || sc.stop != stop || sc.good != 0)
                fail_msg("%s: stop %s good %zu, expected %s", what, evj_stop_name(sc.stop),
                         sc.good, evj_stop_name(stop));
}

/* Files that are not a journal of this version replay nothing and say so. */
static void test_foreign_files(void **state)
{
        (void)state;
        uint8_t buf[64];
        size_t h = unhex(HEADER_HEX, buf, sizeof(buf));
        static const uint8_t sqlite[] = "SQLite format 3\0\x10\0\x01\x01\0\x40\x20\x20";
        static const uint8_t elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                       3, 0, 0x3e, 0 };
        expect_header_stop("sqlite", sqlite, sizeof(sqlite), EVJ_STOP_FOREIGN);
        expect_header_stop("elf", elf, sizeof(elf), EVJ_STOP_FOREIGN);
        expect_header_stop("text", (const uint8_t *)"hello", 5, EVJ_STOP_FOREIGN);
        expect_header_stop("header prefix", buf, 5, EVJ_STOP_TORN);
        expect_header_stop("header cut at 15", buf, 15, EVJ_STOP_TORN);
        buf[8] = 2;     /* version 2 */
        expect_header_stop("version 2", buf, h, EVJ_STOP_FOREIGN);
        buf[8] = 1;
        buf[10] = 20;   /* another header length */
        expect_header_stop("header length", buf, h, EVJ_STOP_FOREIGN);
        buf[10] = 16;
        buf[12] ^= 1;   /* the header's CRC */
        expect_header_stop("header crc", buf, h, EVJ_STOP_BAD_CRC);
        buf[12] ^= 1;
        struct evj_scan sc;
        struct evj_rec r;
        evj_scan_init(&sc, buf, h);
        assert_int_equal(evj_scan_next(&sc, &r), 0);
        assert_int_equal(sc.stop, EVJ_STOP_END);
        assert_int_equal(sc.good, EVJ_HEADER_LEN);
        evj_scan_init(&sc, NULL, 0);    /* an empty file is an empty journal */
        assert_int_equal(evj_scan_next(&sc, &r), 0);
        assert_int_equal(sc.stop, EVJ_STOP_END);
        assert_int_equal(sc.good, 0);
}

/* Records with a good CRC that cannot be right end the replay too. */
static void test_records_that_do_not_fit(void **state)
{
        (void)state;
        uint8_t buf[256];
        struct wr w;
        struct evj_scan sc;
        struct evj_rec r;
        struct ev e = event_n(0);

        /* seqs must increase: a repeated or older seq is ORDER */
        wr_init(&w, buf, sizeof(buf));
        (void)evj_write_header(&w);
        (void)evj_write_add(&w, &e, 1);
        (void)evj_write_remove(&w, e.seq, 1);
        (void)evj_write_add(&w, &e, 1);
        evj_scan_init(&sc, buf, w.len);
        assert_int_equal(evj_scan_next(&sc, &r), 1);
        assert_int_equal(evj_scan_next(&sc, &r), 1);
        assert_int_equal(r.kind, EVJ_REMOVE);
        assert_int_equal(r.first, e.seq);
        assert_int_equal(r.count, 1);
        assert_int_equal(evj_scan_next(&sc, &r), 0);
        assert_int_equal(sc.stop, EVJ_STOP_ORDER);
        assert_int_equal(sc.good, EVJ_HEADER_LEN + EVJ_ADD_LEN + EVJ_REMOVE_LEN);

        /* seqs wrap: 0xffffffff then 0 is in order */
        wr_init(&w, buf, sizeof(buf));
        (void)evj_write_header(&w);
        e.seq = 0xffffffffu;
        (void)evj_write_add(&w, &e, 1);
        e.seq = 0;
        (void)evj_write_add(&w, &e, 1);
        evj_scan_init(&sc, buf, w.len);
        assert_int_equal(evj_scan_next(&sc, &r), 1);
        assert_int_equal(evj_scan_next(&sc, &r), 1);
        assert_int_equal(r.ev.seq, 0);
        assert_int_equal(evj_scan_next(&sc, &r), 0);
        assert_int_equal(sc.stop, EVJ_STOP_END);

        /* a type that is not a point type */
        wr_init(&w, buf, sizeof(buf));
        (void)evj_write_header(&w);
        e.type = DNP_TYPE_CROB;
        (void)evj_write_add(&w, &e, 1);
        evj_scan_init(&sc, buf, w.len);
        assert_int_equal(evj_scan_next(&sc, &r), 0);
        assert_int_equal(sc.stop, EVJ_STOP_BAD_RECORD);
        assert_int_equal(sc.good, EVJ_HEADER_LEN);
}

static void test_stop_names(void **state)
{
        (void)state;
        assert_string_equal(evj_stop_name(EVJ_STOP_END), "end of the journal");
        assert_string_equal(evj_stop_name(EVJ_STOP_BAD_CRC), "record with a bad CRC");
        assert_string_equal(evj_stop_name(EVJ_STOP_MAX), "UNKNOWN");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_record_bytes),
                cmocka_unit_test(test_truncated_every_byte),
                cmocka_unit_test(test_bad_crc_in_the_middle),
                cmocka_unit_test(test_foreign_files),
                cmocka_unit_test(test_records_that_do_not_fit),
                cmocka_unit_test(test_stop_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
