/* SPDX-License-Identifier: MIT */
/* Event buffers: order across classes, select/confirm/unselect, overflow, 80 % mark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "outstation/events.h"

static void add(struct events *ev, unsigned cls, uint32_t index)
{
        struct db_event e = {
                .type = DNP_TYPE_AI, .var = 7, .cls = (uint8_t)cls,
                .v = { .index = index, .flags = 1, .time = 1000 + index, .v.analog = index * 0.5 },
        };
        assert_true(events_add(ev, &e) >= 0);
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
        struct events *ev = events_new(depth);
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
        struct events *ev = events_new(depth);
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
        assert_int_equal(events_add(ev, &e), 1);
        assert_int_equal(events_stats(ev)->discarded[3], 1);
        e.cls = 4;
        assert_int_equal(events_add(ev, &e), -EINVAL);
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

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_order_and_confirm),
                cmocka_unit_test(test_overflow_high_water),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
