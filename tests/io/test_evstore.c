/* SPDX-License-Identifier: MIT */
/*
 * The event journal file (io/evstore.c) in a temporary directory: the exact
 * bytes of the file through append / confirm / compact cycles (group
 * commit: nothing reaches the file before evstore_flush()), replay after a
 * truncation at every byte offset, a bad CRC in the middle and a foreign
 * file (what is replayed, and exactly what is set aside under which name),
 * failing writes (DEGRADED, nothing held, then a snapshot resumes), and an
 * outstation restored from its journal with points unmapped and a smaller
 * buffer (the newest kept, IIN2.3).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dnp3/app.h"
#include "io/evstore.h"
#include "outstation/outst.h"

static char dir[256];

static int setup(void **state)
{
        (void)state;
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/evstore-XXXXXX", t && *t ? t : "/tmp");
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static size_t read_file(const char *name, uint8_t *buf, size_t cap)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        FILE *f = fopen(p, "rb");
        if (!f)
                fail_msg("%s: %s", p, strerror(errno));
        size_t n = fread(buf, 1, cap, f);
        assert_true(n < cap);
        fclose(f);
        return n;
}

static void write_file(const char *name, const uint8_t *buf, size_t n)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(buf, 1, n, f), n);
        fclose(f);
}

static bool exists(const char *name)
{
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return access(p, F_OK) == 0;
}

/* ---- a raw event buffer behind a store --------------------------------------------- */

struct rig {
        struct events *ev;
        struct evstore *s;
};

static void rig_walk_one(void *ctx, const struct ev *e, unsigned cls)
{
        evstore_snap_add(ctx, e, cls);
}

static void rig_walk(void *ctx, struct evstore *s)
{
        struct rig *r = ctx;
        events_walk(r->ev, rig_walk_one, s);
}

static void rig_added(void *ctx, const struct ev *e, unsigned cls)
{
        evstore_added(ctx, e, cls);
}

static void rig_removed(void *ctx, const struct ev *e, unsigned cls)
{
        evstore_removed(ctx, e, cls);
}

static void rig_open(struct rig *r, size_t compact)
{
        static const uint32_t depth[4] = { 0, 4, 4, 4 };
        r->ev = events_new(depth, 0);
        assert_non_null(r->ev);
        const struct evstore_cfg cfg = { .dir = dir, .name = "scada", .compact_adds = compact,
                                         .walk = rig_walk, .ctx = r };
        assert_int_equal(evstore_new(&cfg, &r->s), 0);
        const struct events_journal j = { .added = rig_added, .removed = rig_removed, .ctx = r->s };
        events_set_journal(r->ev, &j);
}

static void rig_close(struct rig *r)
{
        evstore_free(r->s);
        events_free(r->ev);
}

/* An AI event of index i in class cls: value i * 1.5, time 1000 + i. */
static void rig_add(struct rig *r, unsigned cls, uint32_t i)
{
        struct db_event e = { .type = DNP_TYPE_AI, .var = 7, .cls = (uint8_t)cls,
                              .v = { .index = i, .flags = 1, .time = 1000 + i,
                                     .v.analog = i * 1.5 } };
        assert_true(events_add(r->ev, &e, 0) >= 0);
}

/* Select the unsent events of the classes in mask, then confirm them. */
static void rig_confirm(struct rig *r, unsigned mask)
{
        struct events_iter it;
        struct ev *e;
        events_iter_init(r->ev, &it, mask);
        while ((e = events_iter_next(r->ev, &it, NULL)) != NULL)
                events_select(r->ev, e, EV_SEL_SOL);
        (void)events_confirm(r->ev, EV_SEL_SOL);
}

/* The expected journal: a header then records, built by the codec (its bytes are golden-tested). */
struct want {
        uint8_t b[4096];
        struct wr w;
};

static void want_init(struct want *x)
{
        wr_init(&x->w, x->b, sizeof(x->b));
        assert_int_equal(evj_write_header(&x->w), 0);
}

static void want_add(struct want *x, uint32_t seq, unsigned cls, uint32_t i)
{
        const struct ev e = { .seq = seq, .type = DNP_TYPE_AI, .var = 7, .flags = 1,
                              .index = (uint16_t)i, .time = 1000 + i, .value = i * 1.5 };
        assert_int_equal(evj_write_add(&x->w, &e, cls), 0);
}

static void want_remove(struct want *x, uint32_t first, uint32_t n)
{
        assert_int_equal(evj_write_remove(&x->w, first, n), 0);
}

static void assert_journal(const struct want *x)
{
        uint8_t got[4096];
        size_t n = read_file("scada.events", got, sizeof(got));
        assert_int_equal(n, x->w.len);
        assert_memory_equal(got, x->b, n);
        assert_false(exists("scada.events.new"));
}

struct restored {
        size_t n;
        struct evj_event ev[64];
};

static void on_restored(void *ctx, const struct evj_event *e)
{
        struct restored *g = ctx;
        assert_true(g->n < 64);
        g->ev[g->n++] = *e;
}

static void no_events(void *ctx, const struct evj_event *e)
{
        (void)ctx;
        (void)e;
        fail_msg("no journal: nothing to restore");
}

/*
 * Every event entering a buffer is one ADD record, every one leaving it a
 * REMOVE (consecutive seqs share one); records reach the file only at the
 * flush (one write + one fdatasync per loop pass), and at compact_adds ADD
 * records the file is replaced by a snapshot of the buffers.
 */
static void test_append_confirm_compact(void **state)
{
        (void)state;
        struct rig r;
        struct want x;
        struct evstore_load ld;
        rig_open(&r, 8);
        assert_int_equal(evstore_load(r.s, 0, no_events, NULL, &ld), 0);
        assert_int_equal(ld.bytes, 0);
        assert_int_equal(ld.stop, EVJ_STOP_END);
        assert_true(evstore_dirty(r.s));        /* no file yet: the first flush makes one */
        assert_int_equal(evstore_retry(r.s), 0);
        want_init(&x);
        assert_journal(&x);
        assert_false(evstore_dirty(r.s));

        rig_add(&r, 1, 10);     /* seq 0 */
        rig_add(&r, 2, 11);     /* seq 1 */
        rig_add(&r, 1, 12);     /* seq 2 */
        assert_true(evstore_dirty(r.s));
        assert_journal(&x);     /* nothing written before the flush */
        assert_int_equal(evstore_flush(r.s), 0);
        assert_false(evstore_dirty(r.s));
        want_add(&x, 0, 1, 10);
        want_add(&x, 1, 2, 11);
        want_add(&x, 2, 1, 12);
        assert_journal(&x);

        /* an upstream confirm alone: written, not synced, and it holds no IED CONFIRM */
        rig_confirm(&r, 1u << 1);       /* class 1: seqs 0 and 2, not consecutive */
        assert_true(evstore_dirty(r.s));
        assert_false(evstore_unsynced(r.s));
        assert_int_equal(evstore_flush(r.s), 0);
        assert_int_equal(evstore_stats(r.s)->flushes, 1);
        assert_int_equal(evstore_stats(r.s)->unsynced_writes, 1);
        want_remove(&x, 0, 1);
        want_remove(&x, 2, 1);
        assert_journal(&x);

        rig_add(&r, 3, 20);     /* seq 3 */
        assert_true(evstore_unsynced(r.s));
        rig_add(&r, 3, 21);     /* seq 4 */
        rig_add(&r, 3, 22);     /* seq 5 */
        rig_confirm(&r, 1u << 3);       /* consecutive: one REMOVE of 3 */
        assert_int_equal(evstore_flush(r.s), 0);
        want_add(&x, 3, 3, 20);
        want_add(&x, 4, 3, 21);
        want_add(&x, 5, 3, 22);
        want_remove(&x, 3, 3);
        assert_journal(&x);
        assert_int_equal(evstore_file_adds(r.s), 6);
        assert_int_equal(evstore_stats(r.s)->flushes, 2);
        assert_int_equal(evstore_stats(r.s)->unsynced_writes, 1);
        assert_int_equal(evstore_stats(r.s)->snapshots, 1);

        /* two more ADDs make 8: the flush writes a snapshot of what is stored */
        rig_add(&r, 1, 30);     /* seq 6 */
        rig_add(&r, 2, 31);     /* seq 7 */
        assert_int_equal(evstore_flush(r.s), 0);
        want_init(&x);
        want_add(&x, 1, 2, 11);
        want_add(&x, 6, 1, 30);
        want_add(&x, 7, 2, 31);
        assert_journal(&x);
        assert_int_equal(evstore_file_adds(r.s), 3);
        assert_int_equal(evstore_file_bytes(r.s), x.w.len);
        assert_int_equal(evstore_stats(r.s)->snapshots, 2);

        /* selected (sent, unconfirmed) events are in a snapshot too; an overflow is a REMOVE */
        struct events_iter it;
        events_iter_init(r.ev, &it, 1u << 2);
        events_select(r.ev, events_iter_next(r.ev, &it, NULL), EV_SEL_SOL);    /* seq 1 */
        for (uint32_t i = 40; i < 43; i++)
                rig_add(&r, 2, i);      /* seqs 8, 9, 10: class 2 (depth 4) overflows at 10 */
        assert_int_equal(evstore_flush(r.s), 0);
        want_add(&x, 8, 2, 40);
        want_add(&x, 9, 2, 41);
        want_remove(&x, 1, 1);
        want_add(&x, 10, 2, 42);
        assert_journal(&x);
        rig_close(&r);

        /* the next start restores the live events in their order */
        rig_open(&r, 8);
        struct restored got = { 0 };
        assert_int_equal(evstore_load(r.s, 0, on_restored, &got, &ld), 0);
        assert_int_equal(ld.records, 7);
        assert_int_equal(ld.events, 5);
        assert_int_equal(ld.stop, EVJ_STOP_END);
        assert_int_equal(ld.aside[0], 0);
        static const uint32_t want_idx[] = { 30, 31, 40, 41, 42 };
        static const uint8_t want_cls[] = { 1, 2, 2, 2, 2 };
        assert_int_equal(got.n, 5);
        for (size_t i = 0; i < 5; i++) {
                assert_int_equal(got.ev[i].index, want_idx[i]);
                assert_int_equal(got.ev[i].cls, want_cls[i]);
                assert_int_equal(got.ev[i].time, 1000 + want_idx[i]);
                assert_true(got.ev[i].value == want_idx[i] * 1.5);
        }
        rig_close(&r);
}

#define NEV 50
#define ASIDE0 "scada.events.corrupt-19700101T000000Z"

/* A journal of NEV AI events (index i = seq i, class 1 + i % 3), every 5th removed again. */
static size_t journal_50(uint8_t *buf, size_t cap, size_t *ret_end)
{
        struct wr w;
        wr_init(&w, buf, cap);
        assert_int_equal(evj_write_header(&w), 0);
        for (uint32_t i = 0; i < NEV; i++) {
                const struct ev e = { .seq = i, .type = DNP_TYPE_AI, .var = 7, .flags = 1,
                                      .index = (uint16_t)i, .time = 1000 + i, .value = i * 1.5 };
                assert_int_equal(evj_write_add(&w, &e, 1 + i % 3), 0);
                ret_end[i] = w.len;             /* the ADD of event i ends here */
                if (i % 5 == 4)
                        assert_int_equal(evj_write_remove(&w, i - 4, 1), 0);
        }
        return w.len;
}

/*
 * A power cut can leave any prefix of the file: at every byte offset the
 * replay gives exactly the events whose ADD record is complete, less those
 * whose REMOVE record is complete, in order, never half of one; and the
 * bytes after the last good record are set aside, byte for byte.
 */
static void test_truncated_every_byte(void **state)
{
        (void)state;
        uint8_t buf[4096], aside[4096];
        size_t end[NEV];
        size_t len = journal_50(buf, sizeof(buf), end);
        for (size_t cut = 0; cut <= len; cut++) {
                struct rig r;
                struct restored got = { 0 };
                struct evstore_load ld;
                write_file("scada.events", buf, cut);
                rig_open(&r, 1000);
                assert_int_equal(evstore_load(r.s, 0, on_restored, &got, &ld), 0);
                /* what must come back */
                size_t k = 0, good = cut < EVJ_HEADER_LEN ? 0 : EVJ_HEADER_LEN;
                for (uint32_t i = 0; i < NEV && end[i] <= cut; i++) {
                        good = end[i];
                        bool removed = i % 5 == 0 && i + 4 < NEV &&
                                       end[i + 4] + EVJ_REMOVE_LEN <= cut;
                        if (i % 5 == 4 && end[i] + EVJ_REMOVE_LEN <= cut)
                                good = end[i] + EVJ_REMOVE_LEN;
                        if (removed)
                                continue;
                        assert_true(k < got.n);
                        assert_int_equal(got.ev[k].seq, i);
                        assert_int_equal(got.ev[k].index, i);
                        assert_int_equal(got.ev[k].cls, 1 + i % 3);
                        assert_int_equal(got.ev[k].time, 1000 + i);
                        k++;
                }
                assert_int_equal(got.n, k);
                assert_int_equal(ld.events, k);
                assert_int_equal(ld.bytes, cut);
                assert_int_equal(ld.damaged, cut - good);
                if (good < cut) {
                        assert_int_equal(ld.stop, EVJ_STOP_TORN);
                        size_t n = read_file(ASIDE0, aside, sizeof(aside));
                        assert_int_equal(n, cut - good);
                        assert_memory_equal(aside, buf + good, n);
                        char p[512];
                        snprintf(p, sizeof(p), "%s/" ASIDE0, dir);
                        assert_string_equal(ld.aside, p);
                        assert_int_equal(unlink(p), 0);
                } else {
                        assert_int_equal(ld.stop, EVJ_STOP_END);
                        assert_int_equal(ld.aside[0], 0);
                        assert_false(exists(ASIDE0));
                }
                rig_close(&r);
        }
}

/* A bad CRC in record 25 of 50: 25 events back, the rest set aside, a snapshot replaces the file. */
static void test_bad_crc_in_the_middle(void **state)
{
        (void)state;
        uint8_t buf[4096], got_b[4096];
        struct wr w;
        wr_init(&w, buf, sizeof(buf));
        assert_int_equal(evj_write_header(&w), 0);
        size_t bad = 0;
        for (uint32_t i = 0; i < NEV; i++) {
                const struct ev e = { .seq = i, .type = DNP_TYPE_AI, .var = 7, .flags = 1,
                                      .index = (uint16_t)i, .time = 1000 + i, .value = i * 1.5 };
                if (i == 25)
                        bad = w.len;
                assert_int_equal(evj_write_add(&w, &e, 1), 0);
        }
        buf[bad + 20] ^= 0x10;          /* a bit of its time */
        write_file("scada.events", buf, w.len);
        struct rig r;
        struct restored got = { 0 };
        struct evstore_load ld;
        rig_open(&r, 1000);
        assert_int_equal(evstore_load(r.s, 1764784800123ull, on_restored, &got, &ld), 0);
        assert_int_equal(ld.stop, EVJ_STOP_BAD_CRC);
        assert_int_equal(ld.events, 25);
        assert_int_equal(got.n, 25);
        for (uint32_t i = 0; i < 25; i++)
                assert_int_equal(got.ev[i].index, i);
        assert_int_equal(ld.damaged, w.len - bad);
        size_t n = read_file("scada.events.corrupt-20251203T180000Z", got_b, sizeof(got_b));
        assert_int_equal(n, w.len - bad);
        assert_memory_equal(got_b, buf + bad, n);
        /* the events go back into the buffers; the snapshot holds them (with their new seqs) */
        for (size_t i = 0; i < got.n; i++) {
                if (i >= 4)
                        break;          /* class 1 holds 4 */
                rig_add(&r, 1, got.ev[i].index);
        }
        assert_int_equal(evstore_retry(r.s), 0);
        struct want x;
        want_init(&x);
        for (uint32_t i = 0; i < 4; i++)
                want_add(&x, i, 1, i);
        assert_journal(&x);
        rig_close(&r);
}

/* A file that is not a journal is renamed aside whole (a second one in the same second gets -1). */
static void test_foreign_file(void **state)
{
        (void)state;
        static const uint8_t sqlite[] = "SQLite format 3\0\x10\0\x01\x01\0\x40\x20\x20";
        uint8_t got_b[256];
        for (unsigned k = 0; k < 2; k++) {
                write_file("scada.events", sqlite, sizeof(sqlite));
                struct rig r;
                struct evstore_load ld;
                rig_open(&r, 1000);
                assert_int_equal(evstore_load(r.s, 1764784800999ull, no_events, NULL, &ld), 0);
                assert_int_equal(ld.stop, EVJ_STOP_FOREIGN);
                assert_int_equal(ld.events, 0);
                assert_int_equal(ld.damaged, sizeof(sqlite));
                const char *nm = k ? "scada.events.corrupt-20251203T180000Z-1"
                                   : "scada.events.corrupt-20251203T180000Z";
                char p[512];
                snprintf(p, sizeof(p), "%s/%s", dir, nm);
                assert_string_equal(ld.aside, p);
                assert_int_equal(read_file(nm, got_b, sizeof(got_b)), sizeof(sqlite));
                assert_memory_equal(got_b, sqlite, sizeof(sqlite));
                assert_false(exists("scada.events"));
                assert_false(evstore_degraded(r.s));
                assert_int_equal(evstore_retry(r.s), 0);
                struct want x;
                want_init(&x);
                assert_journal(&x);
                rig_close(&r);
        }
}

/*
 * Writes that fail (the file size limit stands in for a full disk): the
 * flush fails once and the store is DEGRADED — not dirty (it holds no
 * confirm), appending nothing — until a retry manages a snapshot of the
 * buffers, which then hold every event, including those added meanwhile.
 */
static void test_degraded_then_resumes(void **state)
{
        (void)state;
        struct rig r;
        struct evstore_load ld;
        struct rlimit old, lim;
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, SIG_IGN);
        rig_open(&r, 1000);
        assert_int_equal(evstore_load(r.s, 0, no_events, NULL, &ld), 0);
        assert_int_equal(evstore_retry(r.s), 0);
        rig_add(&r, 1, 1);
        assert_int_equal(evstore_flush(r.s), 0);

        lim = old;
        lim.rlim_cur = EVJ_HEADER_LEN + EVJ_ADD_LEN + 10;       /* the next ADD does not fit */
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
        rig_add(&r, 1, 2);
        assert_int_equal(evstore_flush(r.s), -EFBIG);
        assert_true(evstore_degraded(r.s));
        assert_int_equal(evstore_error(r.s), -EFBIG);
        assert_string_equal(evstore_error_op(r.s), "write");
        assert_false(evstore_dirty(r.s));
        rig_add(&r, 2, 3);              /* in memory only */
        assert_false(evstore_dirty(r.s));
        assert_int_equal(evstore_flush(r.s), 0);        /* nothing to do while degraded */
        assert_int_equal(evstore_retry(r.s), -EFBIG);   /* still full */
        assert_true(evstore_degraded(r.s));
        assert_false(exists("scada.events.new"));       /* a failed snapshot leaves nothing */

        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        assert_int_equal(evstore_retry(r.s), 0);
        assert_false(evstore_degraded(r.s));
        assert_int_equal(evstore_error(r.s), 0);
        struct want x;
        want_init(&x);
        want_add(&x, 0, 1, 1);
        want_add(&x, 1, 1, 2);
        want_add(&x, 2, 2, 3);
        assert_journal(&x);
        assert_int_equal(evstore_stats(r.s)->failures, 2);
        rig_close(&r);
        signal(SIGXFSZ, SIG_DFL);
}

/* ---- an outstation restored from its journal ---------------------------------------- */

static struct outst *new_outst(uint32_t bi_points, uint32_t depth1)
{
        struct outst_cfg c = {
                .address = 10, .master_address = 1, .max_fragment = 2048,
                .max_rx_fragment = 2048, .link_timeout_ms = 1000, .confirm_timeout_ms = 5000,
                .select_timeout_ms = 5000, .cmd_timeout_ms = 5000,
                .event_depth = { 0, depth1, 10, 10 },
        };
        c.points[DNP_TYPE_BI] = bi_points;
        int err;
        struct outst *o = outst_new(&c, &(struct outst_callbacks){ 0 }, NULL, 0, &err);
        assert_non_null(o);
        const struct db_point_cfg pc = { .static_var = 2, .event_class = 1, .event_var = 2 };
        assert_int_equal(db_configure(outst_db(o), DNP_TYPE_BI, 0, bi_points, &pc), 0);
        return o;
}

/*
 * After a restart with a changed configuration: events of points no longer
 * mapped are dropped and counted, a smaller class depth keeps the newest
 * (with IIN2.3, as on overflow), each restored event keeps its value,
 * flags, time and order, and the snapshot that replaces the file holds
 * exactly the events now buffered.
 */
static void test_outst_restore_unmapped_and_depth(void **state)
{
        (void)state;
        struct outst *o = new_outst(10, 10);
        struct evstore *s;
        struct evstore_restore rs;
        assert_int_equal(evstore_outst_open(dir, "scada", 1000, o, 0, NULL, NULL, &rs, &s), 0);
        assert_int_equal(rs.restored, 0);
        assert_false(evstore_degraded(s));
        /* BI 2, 7, 3, 8, 4 change state, stamped by the IED */
        static const uint32_t idx[] = { 2, 7, 3, 8, 4 };
        for (size_t i = 0; i < 5; i++) {
                struct dnp_value v = { .index = idx[i], .flags = 0x81, .time = 5000 + i,
                                       .v.bit = true };
                assert_int_equal(outst_update(o, DNP_TYPE_BI, &v, DB_FORCE, 0), 1);
        }
        assert_int_equal(evstore_flush(s), 0);
        evstore_outst_close(o);
        evstore_free(s);
        outst_free(o);

        /* now only BI 0..4 exist and class 1 holds 2 */
        o = new_outst(5, 2);
        assert_int_equal(evstore_outst_open(dir, "scada", 1000, o, 0, NULL, NULL, &rs, &s), 0);
        assert_int_equal(rs.load.events, 5);
        assert_int_equal(rs.unmapped, 2);       /* BI 7 and 8 */
        assert_int_equal(rs.restored, 3);
        assert_int_equal(rs.overflowed, 1);     /* BI 2 made room for BI 4 */
        assert_int_equal(rs.invalid, 0);
        assert_true(outst_iin(o) & APP_IIN_EVENT_BUFFER_OVERFLOW);
        struct events *ev = outst_events(o);
        struct events_iter it;
        events_iter_init(ev, &it, 0xe);
        static const uint32_t kept[] = { 3, 4 };
        static const uint64_t kept_time[] = { 5002, 5004 };
        for (size_t i = 0; i < 2; i++) {
                unsigned cls;
                const struct ev *e = events_iter_next(ev, &it, &cls);
                assert_non_null(e);
                assert_int_equal(cls, 1);
                assert_int_equal(e->index, kept[i]);
                assert_int_equal(e->time, kept_time[i]);
                assert_int_equal(e->flags, 0x81);
                assert_int_equal(e->var, 2);
                assert_true(e->value == 1.0);
        }
        assert_null(events_iter_next(ev, &it, NULL));
        /* the file is the snapshot of these two, with the seqs they have now */
        uint8_t got_b[512], want_b[512];
        size_t n = read_file("scada.events", got_b, sizeof(got_b));
        struct wr w;
        wr_init(&w, want_b, sizeof(want_b));
        assert_int_equal(evj_write_header(&w), 0);
        events_iter_init(ev, &it, 0xe);
        for (const struct ev *e; (e = events_iter_next(ev, &it, NULL)) != NULL;)
                assert_int_equal(evj_write_add(&w, e, 1), 0);
        assert_int_equal(n, w.len);
        assert_memory_equal(got_b, want_b, n);
        /* removing the journal (the outstation left the configuration) leaves no file */
        evstore_outst_close(o);
        evstore_remove(s);
        assert_false(exists("scada.events"));
        outst_free(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_append_confirm_compact, setup, teardown),
                cmocka_unit_test_setup_teardown(test_truncated_every_byte, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bad_crc_in_the_middle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_foreign_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_degraded_then_resumes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_outst_restore_unmapped_and_depth, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
