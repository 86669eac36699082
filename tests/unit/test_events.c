/* SPDX-License-Identifier: MIT */
/*
 * Event buffers: order across classes, select/confirm/unselect, overflow
 * (the oldest event of the source holding the most), the 80 % mark.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "outstation/events.h"

/* An AI event of point `index` from source src in class cls. */
static int add_src(struct events *ev, unsigned cls, uint32_t index, uint16_t src)
{
        struct db_event e = {
                .type = DNP_TYPE_AI, .var = 7, .cls = (uint8_t)cls,
                .v = { .index = index, .flags = 1, .time = 1000 + index, .v.analog = index * 0.5 },
        };
        int r = events_add(ev, &e, src);
        assert_true(r >= 0);
        assert_int_equal(events_check(ev), 0);
        return r;
}

static void add(struct events *ev, unsigned cls, uint32_t index)
{
        add_src(ev, cls, index, EVENTS_SRC_NONE);
}

/* Indexes of the unsent events of mask, in iteration order, into out; returns the count. */
static size_t list(struct events *ev, unsigned mask, uint32_t *out, size_t max)
{
        struct events_iter it;
        struct ev *e;
        size_t n = 0;
        events_iter_init(ev, &it, mask);
        while ((e = events_iter_next(ev, &it, NULL)) != NULL && n < max)
                out[n++] = e->index;
        return n;
}

static void test_order_and_confirm(void **state)
{
        (void)state;
        const uint32_t depth[4] = { 0, 10, 10, 10 };
        struct events *ev = events_new(depth, 0);
        assert_non_null(ev);
        add(ev, 2, 0);
        add(ev, 1, 1);
        add(ev, 3, 2);
        add(ev, 1, 3);
        add(ev, 2, 4);
        uint32_t got[8];
        assert_int_equal(list(ev, 0xe, got, 8), 5);
        for (uint32_t i = 0; i < 5; i++)
                assert_int_equal(got[i], i);
        assert_int_equal(list(ev, 0x2, got, 8), 2);
        assert_int_equal(got[0], 1);
        assert_int_equal(got[1], 3);

        /* select events 1 and 4 (class 1 head, class 2 tail) for a solicited response */
        struct events_iter it;
        struct ev *e;
        unsigned cls;
        events_iter_init(ev, &it, 0xe);
        while ((e = events_iter_next(ev, &it, &cls)) != NULL) {
                if (e->index == 1 || e->index == 4)
                        events_select(ev, e, EV_SEL_SOL);
                if (e->index == 2)
                        events_select(ev, e, EV_SEL_UNSOL);
        }
        assert_int_equal(events_unsent(ev, 1), 1);
        assert_int_equal(events_unsent(ev, 2), 1);
        assert_int_equal(events_count(ev, 2), 2);
        assert_int_equal(list(ev, 0xe, got, 8), 2);
        assert_int_equal(got[0], 0);
        assert_int_equal(got[1], 3);

        /* unselect returns them in place; select again and confirm removes them only */
        assert_int_equal(events_unselect(ev, EV_SEL_SOL), 2);
        assert_int_equal(list(ev, 0xe, got, 8), 4);
        events_iter_init(ev, &it, 0xe);
        while ((e = events_iter_next(ev, &it, &cls)) != NULL)
                if (e->index == 1 || e->index == 4)
                        events_select(ev, e, EV_SEL_SOL);
        assert_int_equal(events_confirm(ev, EV_SEL_SOL), 2);
        assert_int_equal(events_count(ev, 1), 1);
        assert_int_equal(events_count(ev, 2), 1);
        assert_int_equal(events_count(ev, 3), 1);
        assert_int_equal(events_unselect(ev, EV_SEL_UNSOL), 1);
        assert_int_equal(list(ev, 0xe, got, 8), 3);
        assert_int_equal(got[0], 0);
        assert_int_equal(got[1], 2);
        assert_int_equal(got[2], 3);
        assert_int_equal(events_stats(ev)->confirmed[1], 1);
        assert_int_equal(events_stats(ev)->confirmed[2], 1);
        events_free(ev);
}

static void test_overflow_high_water(void **state)
{
        (void)state;
        const uint32_t depth[4] = { 0, 5, 1, 0 };
        struct events *ev = events_new(depth, 0);
        for (uint32_t i = 0; i < 3; i++)
                add(ev, 1, i);
        assert_false(events_take_high_water(ev, 1));
        add(ev, 1, 3);                          /* 4 of 5 = 80 % */
        assert_true(events_take_high_water(ev, 1));
        assert_false(events_take_high_water(ev, 1));
        assert_false(events_overflow(ev));
        add(ev, 1, 4);
        add(ev, 1, 5);                          /* discards 0 */
        add(ev, 1, 6);                          /* discards 1 */
        assert_true(events_overflow(ev));
        assert_int_equal(events_stats(ev)->discarded[1], 2);
        uint32_t got[8];
        assert_int_equal(list(ev, 0x2, got, 8), 5);
        assert_int_equal(got[0], 2);
        assert_int_equal(got[4], 6);
        /* class 3 has no room at all: counted as discarded */
        struct db_event e = { .type = DNP_TYPE_BI, .var = 2, .cls = 3 };
        assert_int_equal(events_add(ev, &e, EVENTS_SRC_NONE), 1);
        assert_int_equal(events_stats(ev)->discarded[3], 1);
        e.cls = 4;
        assert_int_equal(events_add(ev, &e, EVENTS_SRC_NONE), -EINVAL);
        events_clear_overflow(ev);
        assert_false(events_overflow(ev));
        /* a selected event that gets discarded is not counted twice */
        struct events_iter it;
        events_iter_init(ev, &it, 0x2);
        events_select(ev, events_iter_next(ev, &it, NULL), EV_SEL_SOL);
        add(ev, 1, 7);                          /* discards the selected 2 */
        assert_int_equal(events_unsent(ev, 1), 5);
        assert_int_equal(events_confirm(ev, EV_SEL_SOL), 0);
        assert_int_equal(events_count(ev, 1), 5);
        events_free(ev);
        events_free(NULL);
}

/* The unsent events of mask are exactly want[0..n-1] (indexes), in this order. */
static void expect_list(struct events *ev, unsigned mask, const uint32_t *want, size_t n)
{
        uint32_t got[64];
        assert_true(n <= 64);
        assert_int_equal(list(ev, mask, got, 64), n);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(got[i], want[i]);
}

#define EXPECT_LIST(ev, mask, ...) do { \
        static const uint32_t w_[] = { __VA_ARGS__ }; \
        expect_list(ev, mask, w_, sizeof(w_) / sizeof(w_[0])); \
} while (0)

/* Select (by) the unsent events of class 1 whose index is in idx[0..n-1]. */
static void select_idx(struct events *ev, enum ev_state by, const uint32_t *idx, size_t n)
{
        struct events_iter it;
        struct ev *e;
        events_iter_init(ev, &it, 0x2);
        while ((e = events_iter_next(ev, &it, NULL)) != NULL)
                for (size_t i = 0; i < n; i++)
                        if (e->index == idx[i])
                                events_select(ev, e, by);
        assert_int_equal(events_check(ev), 0);
}

#define SELECT(ev, by, ...) do { \
        static const uint32_t s_[] = { __VA_ARGS__ }; \
        select_idx(ev, by, s_, sizeof(s_) / sizeof(s_[0])); \
} while (0)

enum { SRC_A = 1, SRC_B = 2, SRC_C = 3 };

/*
 * IEEE 1815 says only that a full buffer discards and sets IIN2.3; the
 * gateway's rule: the device holding the most events of the class loses its
 * own oldest one, so a flooding IED never pushes out a quiet IED's events.
 * Indexes 0.. are A's, 100.. B's.
 */
static void test_evict_flooding_source(void **state)
{
        (void)state;
        const uint32_t depth[4] = { 0, 10, 0, 0 };
        struct events *ev = events_new(depth, 2);
        assert_non_null(ev);
        assert_int_equal(events_sources(ev), 2);
        /* A0 A1 B100 A2 A3 B101 A4 A5 A6 A7: full */
        add_src(ev, 1, 0, SRC_A);
        add_src(ev, 1, 1, SRC_A);
        add_src(ev, 1, 100, SRC_B);
        add_src(ev, 1, 2, SRC_A);
        add_src(ev, 1, 3, SRC_A);
        add_src(ev, 1, 101, SRC_B);
        for (uint32_t i = 4; i < 8; i++)
                assert_int_equal(add_src(ev, 1, i, SRC_A), 0);
        assert_false(events_overflow(ev));
        /* A floods: 5 more, each discards A's oldest; B's two stay where they were */
        for (uint32_t i = 8; i < 13; i++)
                assert_int_equal(add_src(ev, 1, i, SRC_A), 1);
        EXPECT_LIST(ev, 0x2, 100, 101, 5, 6, 7, 8, 9, 10, 11, 12);
        assert_true(events_overflow(ev));
        assert_int_equal(events_stats(ev)->discarded[1], 5);
        assert_int_equal(events_src_discarded(ev, 1, SRC_A), 5);
        assert_int_equal(events_src_discarded(ev, 1, SRC_B), 0);
        assert_int_equal(events_src_discarded(ev, 1, EVENTS_SRC_NONE), 0);
        assert_int_equal(events_src_count(ev, 1, SRC_A), 8);
        assert_int_equal(events_src_count(ev, 1, SRC_B), 2);
        /* now B adds: A still holds the most, so A keeps losing (8:2 -> 5:5) */
        for (uint32_t i = 102; i < 105; i++)
                assert_int_equal(add_src(ev, 1, i, SRC_B), 1);
        EXPECT_LIST(ev, 0x2, 100, 101, 8, 9, 10, 11, 12, 102, 103, 104);
        assert_int_equal(events_src_count(ev, 1, SRC_A), 5);
        assert_int_equal(events_src_count(ev, 1, SRC_B), 5);
        /* 5:5, a tie: the source whose oldest event is older (B's 100) loses it */
        add_src(ev, 1, 105, SRC_B);
        EXPECT_LIST(ev, 0x2, 101, 8, 9, 10, 11, 12, 102, 103, 104, 105);
        /* B holds 6 now: B loses its oldest (101), not A */
        add_src(ev, 1, 13, SRC_A);
        EXPECT_LIST(ev, 0x2, 8, 9, 10, 11, 12, 102, 103, 104, 105, 13);
        assert_int_equal(events_src_discarded(ev, 1, SRC_A), 8);
        assert_int_equal(events_src_discarded(ev, 1, SRC_B), 2);
        assert_int_equal(events_stats(ev)->discarded[1], 10);
        assert_int_equal(events_stats(ev)->added[1], 20);
        /* the survivors leave in order when confirmed */
        SELECT(ev, EV_SEL_SOL, 8, 9, 10, 11, 12, 102, 103, 104, 105, 13);
        assert_int_equal(events_confirm(ev, EV_SEL_SOL), 10);
        assert_int_equal(events_count(ev, 1), 0);
        assert_int_equal(events_src_count(ev, 1, SRC_A), 0);
        assert_int_equal(events_src_count(ev, 1, SRC_B), 0);
        assert_int_equal(events_check(ev), 0);
        events_free(ev);
}

/* Ties: equal holders lose by age, so with one event each it is "discard the oldest". */
static void test_evict_ties_and_untagged(void **state)
{
        (void)state;
        const uint32_t depth[4] = { 0, 3, 0, 4 };
        struct events *ev = events_new(depth, 3);
        add_src(ev, 1, 0, SRC_A);
        add_src(ev, 1, 1, SRC_B);
        add_src(ev, 1, 2, SRC_C);
        assert_int_equal(add_src(ev, 1, 3, SRC_B), 1);  /* 1:1:1: A's 0 is the oldest */
        EXPECT_LIST(ev, 0x2, 1, 2, 3);
        assert_int_equal(add_src(ev, 1, 4, SRC_C), 1);  /* B holds 2: loses 1 */
        EXPECT_LIST(ev, 0x2, 2, 3, 4);
        assert_int_equal(add_src(ev, 1, 5, SRC_A), 1);  /* C holds 2: loses 2 */
        EXPECT_LIST(ev, 0x2, 3, 4, 5);
        assert_int_equal(events_src_discarded(ev, 1, SRC_A), 1);
        assert_int_equal(events_src_discarded(ev, 1, SRC_B), 1);
        assert_int_equal(events_src_discarded(ev, 1, SRC_C), 1);

        /* class 3: untagged events are one source of their own; a tag above nsrc is
         * untagged; the classes keep separate counts */
        add_src(ev, 3, 10, EVENTS_SRC_NONE);
        add_src(ev, 3, 11, 7);
        add_src(ev, 3, 12, SRC_A);
        add_src(ev, 3, 13, SRC_A);
        assert_int_equal(events_src_count(ev, 3, EVENTS_SRC_NONE), 2);
        assert_int_equal(add_src(ev, 3, 14, SRC_A), 1);  /* 2:2, untagged 10 is older */
        EXPECT_LIST(ev, 0x8, 11, 12, 13, 14);
        assert_int_equal(add_src(ev, 3, 15, EVENTS_SRC_NONE), 1);  /* A holds 3: loses 12 */
        EXPECT_LIST(ev, 0x8, 11, 13, 14, 15);
        assert_int_equal(events_src_discarded(ev, 3, EVENTS_SRC_NONE), 1);
        assert_int_equal(events_src_discarded(ev, 3, SRC_A), 1);
        assert_int_equal(events_src_discarded(ev, 1, SRC_A), 1);
        assert_int_equal(events_stats(ev)->discarded[3], 2);
        /* across classes the order is still insertion order */
        EXPECT_LIST(ev, 0xa, 3, 4, 5, 11, 13, 14, 15);
        /* out of range queries */
        assert_int_equal(events_src_count(ev, 1, 4), 0);
        assert_int_equal(events_src_discarded(ev, 2, SRC_A), 0);
        assert_int_equal(events_src_discarded(ev, 0, SRC_A), 0);
        /* an index the 16-bit buffers cannot hold is refused, nothing lost */
        struct db_event big = { .type = DNP_TYPE_BI, .var = 2, .cls = 1, .v.index = 65536 };
        assert_int_equal(events_add(ev, &big, SRC_A), -ERANGE);
        EXPECT_LIST(ev, 0x2, 3, 4, 5);
        events_free(ev);
}

/*
 * A discarded event may have been sent already (selected, awaiting the
 * master's confirm): it goes, counted once as discarded, and the confirm of
 * its fragment removes only the others.  Confirms that take events from the
 * middle of a source's run keep the per-source order intact.
 */
static void test_evict_selected_and_confirm_middle(void **state)
{
        (void)state;
        const uint32_t depth[4] = { 0, 6, 0, 0 };
        struct events *ev = events_new(depth, 2);
        /* A0 B100 A1 B101 A2 A3 */
        add_src(ev, 1, 0, SRC_A);
        add_src(ev, 1, 100, SRC_B);
        add_src(ev, 1, 1, SRC_A);
        add_src(ev, 1, 101, SRC_B);
        add_src(ev, 1, 2, SRC_A);
        add_src(ev, 1, 3, SRC_A);
        /* a solicited response took the first three; A floods before the confirm */
        SELECT(ev, EV_SEL_SOL, 0, 100, 1);
        assert_int_equal(add_src(ev, 1, 4, SRC_A), 1);  /* A's 0, sent, is discarded */
        assert_int_equal(events_unsent(ev, 1), 4);
        assert_int_equal(events_src_discarded(ev, 1, SRC_A), 1);
        EXPECT_LIST(ev, 0x2, 101, 2, 3, 4);
        assert_int_equal(events_confirm(ev, EV_SEL_SOL), 2);    /* 100 and 1 */
        assert_int_equal(events_stats(ev)->confirmed[1], 2);
        assert_int_equal(events_stats(ev)->discarded[1], 1);
        EXPECT_LIST(ev, 0x2, 101, 2, 3, 4);
        assert_int_equal(events_check(ev), 0);

        /* B101 A2 A3 A4 + B102 A5: a READ of one kind takes 2 and 5 from the middle */
        add_src(ev, 1, 102, SRC_B);
        add_src(ev, 1, 5, SRC_A);
        SELECT(ev, EV_SEL_SOL, 3, 5);
        SELECT(ev, EV_SEL_UNSOL, 102);
        assert_int_equal(events_confirm(ev, EV_SEL_SOL), 2);
        EXPECT_LIST(ev, 0x2, 101, 2, 4);
        assert_int_equal(events_src_count(ev, 1, SRC_A), 2);
        assert_int_equal(events_unselect(ev, EV_SEL_UNSOL), 1);
        EXPECT_LIST(ev, 0x2, 101, 2, 4, 102);
        /* the source runs are intact: a full class evicts from the right one */
        add_src(ev, 1, 6, SRC_A);
        add_src(ev, 1, 7, SRC_A);
        assert_int_equal(add_src(ev, 1, 8, SRC_A), 1);  /* A holds 4: loses 2 */
        EXPECT_LIST(ev, 0x2, 101, 4, 102, 6, 7, 8);
        assert_int_equal(events_src_count(ev, 1, SRC_A), 4);
        assert_int_equal(events_src_count(ev, 1, SRC_B), 2);
        events_free(ev);
}

/* Drop `n` oldest unsent events of class 1 by selecting and confirming them. */
static void confirm_oldest(struct events *ev, size_t n)
{
        struct events_iter it;
        events_iter_init(ev, &it, 0x2);
        for (size_t i = 0; i < n; i++)
                events_select(ev, events_iter_next(ev, &it, NULL), EV_SEL_SOL);
        assert_int_equal(events_confirm(ev, EV_SEL_SOL), n);
}

/* The 80 % warning fires once per crossing; it re-arms only below 50 %. */
static void test_high_water_hysteresis(void **state)
{
        (void)state;
        const uint32_t depth[4] = { 0, 10, 0, 0 };
        struct events *ev = events_new(depth, 0);
        uint32_t i = 0;
        for (; i < 7; i++)
                add(ev, 1, i);
        assert_false(events_take_high_water(ev, 1));
        add(ev, 1, i++);                        /* 8 of 10 */
        assert_true(events_take_high_water(ev, 1));
        assert_false(events_take_high_water(ev, 1));
        /* hovering between 50 % and 100 %: no second warning */
        for (int round = 0; round < 3; round++) {
                confirm_oldest(ev, 3);          /* 5 of 10: not below 50 % */
                add(ev, 1, i++);
                add(ev, 1, i++);
                add(ev, 1, i++);
                add(ev, 1, i++);
                add(ev, 1, i++);                /* 10 of 10 */
                assert_false(events_take_high_water(ev, 1));
                confirm_oldest(ev, 2);          /* 8 */
        }
        assert_int_equal(events_stats(ev)->high_water[1], 1);
        /* below 50 %: re-armed; the next crossing warns again */
        confirm_oldest(ev, 4);                  /* 4 of 10 */
        assert_false(events_take_high_water(ev, 1));
        for (int k = 0; k < 3; k++)
                add(ev, 1, i++);                /* 7 */
        assert_false(events_take_high_water(ev, 1));
        add(ev, 1, i++);                        /* 8 */
        assert_true(events_take_high_water(ev, 1));
        assert_int_equal(events_stats(ev)->high_water[1], 2);
        /* a crossing not taken before the class fell below 50 % is forgotten */
        confirm_oldest(ev, 8);
        for (int k = 0; k < 8; k++)
                add(ev, 1, i++);
        confirm_oldest(ev, 5);                  /* 3 of 10 */
        assert_false(events_take_high_water(ev, 1));
        assert_int_equal(events_stats(ev)->high_water[1], 3);
        events_free(ev);
}

/* ---- the journal hook (issue 11) ---- */

struct jlog {
        char what[32];          /* 'a' added, 'r' removed */
        uint32_t seq[32], index[32];
        unsigned cls[32];
        size_t n;
};

static void jlog_put(struct jlog *l, char what, const struct ev *e, unsigned cls)
{
        assert_true(l->n < 32);
        l->what[l->n] = what;
        l->seq[l->n] = e->seq;
        l->index[l->n] = e->index;
        l->cls[l->n] = cls;
        l->n++;
}

static void j_added(void *ctx, const struct ev *e, unsigned cls)
{
        jlog_put(ctx, 'a', e, cls);
}

static void j_removed(void *ctx, const struct ev *e, unsigned cls)
{
        jlog_put(ctx, 'r', e, cls);
}

static void jlog_is(const struct jlog *l, const char *what, const uint32_t *seq,
                    const uint32_t *index, const unsigned *cls)
{
        assert_int_equal(l->n, strlen(what));
        for (size_t i = 0; i < l->n; i++) {
                assert_int_equal(l->what[i], what[i]);
                assert_int_equal(l->seq[i], seq[i]);
                assert_int_equal(l->index[i], index[i]);
                assert_int_equal(l->cls[i], cls[i]);
        }
}

/*
 * The durable journal is told of every event entering a class buffer
 * (after it is stored, with its seq) and of every event leaving it, by
 * overflow (before the newcomer is stored) or confirmed upstream, before
 * its slot is reused; an event a depth-0 class never stores is neither;
 * unselect (no confirm) is no removal.  events_restore tells it nothing,
 * not even the discard it makes in a full class.  Without a journal
 * nothing is called.
 */
static void test_journal_hook(void **state)
{
        (void)state;
        const uint32_t depth[4] = { 0, 2, 0, 10 };
        struct events *ev = events_new(depth, 0);
        assert_non_null(ev);
        add(ev, 1, 9);                  /* seq 0, before the journal: not told */
        struct jlog l = { .n = 0 };
        const struct events_journal j = { .added = j_added, .removed = j_removed, .ctx = &l };
        events_set_journal(ev, &j);
        add(ev, 1, 10);                 /* seq 1 */
        add(ev, 3, 11);                 /* seq 2 */
        add(ev, 1, 12);                 /* seq 3: class 1 full, seq 0 goes first */
        add(ev, 2, 13);                 /* depth 0: never stored, no seq taken */
        {
                const uint32_t seq[] = { 1, 2, 0, 3 }, idx[] = { 10, 11, 9, 12 };
                const unsigned cls[] = { 1, 3, 1, 1 };
                jlog_is(&l, "aara", seq, idx, cls);
        }
        /* a response takes seq 1, 2, 3; unselected (no confirm): nothing; then confirmed */
        l.n = 0;
        struct events_iter it;
        struct ev *e;
        events_iter_init(ev, &it, 0xe);
        while ((e = events_iter_next(ev, &it, NULL)) != NULL)
                events_select(ev, e, EV_SEL_SOL);
        assert_int_equal(events_unselect(ev, EV_SEL_SOL), 3);
        assert_int_equal(l.n, 0);
        events_iter_init(ev, &it, 0xe);
        while ((e = events_iter_next(ev, &it, NULL)) != NULL)
                events_select(ev, e, EV_SEL_SOL);
        assert_int_equal(events_confirm(ev, EV_SEL_SOL), 3);
        {
                /* class by class: 1 then 3, each oldest first */
                const uint32_t seq[] = { 1, 3, 2 }, idx[] = { 10, 12, 11 };
                const unsigned cls[] = { 1, 1, 3 };
                jlog_is(&l, "rrr", seq, idx, cls);
        }
        /* restore: no call, even for the discard it makes */
        l.n = 0;
        const struct ev r = { .time = 5, .value = 1.5, .index = 20, .type = DNP_TYPE_AI,
                              .var = 7, .flags = 1 };
        assert_int_equal(events_restore(ev, &r, 1), 0);
        assert_int_equal(events_restore(ev, &r, 1), 0);
        assert_int_equal(events_restore(ev, &r, 1), 1);
        assert_int_equal(events_restore(ev, &r, 2), 1);
        assert_int_equal(events_restore(ev, &r, 4), -EINVAL);
        assert_int_equal(events_check(ev), 0);
        assert_int_equal(l.n, 0);
        assert_int_equal(events_count(ev, 1), 2);
        assert_true(events_overflow(ev));
        /* no journal any more */
        events_set_journal(ev, NULL);
        add(ev, 3, 21);
        assert_int_equal(l.n, 0);
        events_free(ev);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_and_confirm),
                cmocka_unit_test(test_overflow_high_water),
                cmocka_unit_test(test_evict_flooding_source),
                cmocka_unit_test(test_evict_ties_and_untagged),
                cmocka_unit_test(test_evict_selected_and_confirm_middle),
                cmocka_unit_test(test_high_water_hysteresis),
                cmocka_unit_test(test_journal_hook),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
