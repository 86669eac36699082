/* SPDX-License-Identifier: MIT */
/* Outstation database: change detection, deadband, forced events, configuration. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "outstation/db.h"
#include "dnp3/dnptime.h"

static const uint32_t counts[DNP_TYPE_MAX] = {
        [DNP_TYPE_BI] = 4, [DNP_TYPE_DBI] = 2, [DNP_TYPE_AI] = 3, [DNP_TYPE_CNT] = 2,
};

static int upd_ai(struct db *db, uint32_t i, double x, uint8_t flags, uint64_t t,
                  enum db_mode mode, struct db_event *e)
{
        struct dnp_value v = { .index = i, .flags = flags, .time = t, .v.analog = x };
        return db_update(db, DNP_TYPE_AI, &v, mode, e);
}

static void test_defaults_and_config(void **state)
{
        (void)state;
        struct db *db = db_new(counts);
        assert_non_null(db);
        assert_int_equal(db_count(db, DNP_TYPE_BI), 4);
        assert_int_equal(db_count(db, DNP_TYPE_AO), 0);
        struct db_point_cfg pc;
        assert_int_equal(db_point_cfg(db, DNP_TYPE_AI, 2, &pc), 0);
        assert_int_equal(pc.static_var, 5);
        assert_int_equal(pc.event_var, 7);
        assert_int_equal(pc.event_class, 0);
        assert_int_equal(db_point_cfg(db, DNP_TYPE_AI, 3, &pc), -ERANGE);
        struct dnp_value v;
        assert_int_equal(db_get(db, DNP_TYPE_BI, 0, &v), 0);
        assert_int_equal(v.flags, DNP_FLAG_RESTART);
        pc = (struct db_point_cfg){ .static_var = 1, .event_var = 3, .event_class = 2,
                                    .deadband = 1.5 };
        assert_int_equal(db_configure(db, DNP_TYPE_AI, 1, 2, &pc), 0);
        assert_int_equal(db_configure(db, DNP_TYPE_AI, 2, 2, &pc), -ERANGE);
        pc.event_var = 9;                       /* g32v9 does not exist */
        assert_int_equal(db_configure(db, DNP_TYPE_AI, 0, 1, &pc), -EINVAL);
        pc.event_var = 3;
        pc.event_class = 4;
        assert_int_equal(db_configure(db, DNP_TYPE_AI, 0, 1, &pc), -EINVAL);
        assert_int_equal(db_configure(db, DNP_TYPE_CROB, 0, 1, &pc), -EINVAL);
        /* the groups the outstation reads a type by (was db_type_of_group) */
        enum dnp_ptype_role role = DNP_PTYPE_STATIC;
        assert_int_equal(dnp_ptype_by_group(32, NULL)->type, DNP_TYPE_AI);
        assert_int_equal(dnp_ptype_by_group(23, &role)->type, DNP_TYPE_FCNT);
        assert_int_equal(role, DNP_PTYPE_EVENT);
        assert_int_equal(dnp_ptype_by_group(12, &role)->type, DNP_TYPE_BO);
        assert_int_equal(role, DNP_PTYPE_COMMAND);
        db_free(db);
}

static void test_deadband(void **state)
{
        (void)state;
        struct db *db = db_new(counts);
        struct db_point_cfg pc = { .static_var = 5, .event_var = 7, .event_class = 3,
                                   .deadband = 0.5 };
        assert_int_equal(db_configure(db, DNP_TYPE_AI, 0, 3, &pc), 0);
        struct db_event e;
        /* the first value: no event (nothing changed that anyone saw), but it is
         * the deadband reference from now on */
        assert_int_equal(upd_ai(db, 0, 0.2, 1, 10, DB_DETECT, &e), 0);
        struct dnp_value first;
        assert_int_equal(db_get(db, DNP_TYPE_AI, 0, &first), 0);
        assert_true(first.v.analog == 0.2);
        assert_int_equal(first.flags, 1);
        assert_int_equal(upd_ai(db, 0, 0.6, 1, 20, DB_DETECT, &e), 0);  /* 0.4 from 0.2 */
        assert_int_equal(upd_ai(db, 0, 0.71, 1, 30, DB_DETECT, &e), 1); /* 0.51: drift counts */
        assert_int_equal(e.cls, 3);
        assert_int_equal(e.var, 7);
        assert_true(e.v.v.analog == 0.71);
        assert_int_equal(e.v.time, 30);
        assert_int_equal(upd_ai(db, 0, 0.71, 1, 40, DB_DETECT, &e), 0);
        assert_int_equal(upd_ai(db, 0, 0.71, 1, 50, DB_FORCE, &e), 1);  /* replay */
        assert_int_equal(e.v.time, 50);
        assert_int_equal(upd_ai(db, 0, 0.71, 5, 60, DB_DETECT, &e), 1); /* flag change */
        assert_int_equal(e.v.flags, 5);
        struct dnp_value v;
        assert_int_equal(db_get(db, DNP_TYPE_AI, 0, &v), 0);
        assert_true(v.v.analog == 0.71);
        assert_int_equal(v.time, 60);
        assert_int_equal(upd_ai(db, 3, 1, 1, 0, DB_DETECT, &e), -ERANGE);
        db_free(db);
}

static void test_binary_no_class(void **state)
{
        (void)state;
        struct db *db = db_new(counts);
        struct db_event e;
        struct dnp_value v = { .index = 1, .flags = DNP_FLAG_ONLINE, .v.bit = true };
        /* class 0: static value updated, never an event */
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_FORCE, &e), 0);
        struct dnp_value g;
        assert_int_equal(db_get(db, DNP_TYPE_BI, 1, &g), 0);
        assert_true(g.v.bit);
        /* a time past 48 bits could never be sent: refused, the point unchanged */
        struct dnp_value late = v;
        late.v.bit = false;
        late.time = DNPTIME_MAX + 1;
        assert_int_equal(db_update(db, DNP_TYPE_BI, &late, DB_FORCE, &e), -ERANGE);
        assert_int_equal(db_get(db, DNP_TYPE_BI, 1, &g), 0);
        assert_true(g.v.bit);
        assert_int_equal(g.flags, DNP_FLAG_ONLINE | DNP_FLAG_STATE);
        struct db_point_cfg pc = { .static_var = 2, .event_var = 2, .event_class = 1 };
        assert_int_equal(db_configure(db, DNP_TYPE_DBI, 0, 2, &pc), 0);
        struct dnp_value d = { .index = 0, .flags = DNP_FLAG_ONLINE, .v.dbit = DNP_DBIT_OFF };
        assert_int_equal(db_update(db, DNP_TYPE_DBI, &d, DB_DETECT, &e), 0);   /* first value */
        d.v.dbit = DNP_DBIT_ON;
        assert_int_equal(db_update(db, DNP_TYPE_DBI, &d, DB_DETECT, &e), 1);
        assert_int_equal(e.v.v.dbit, DNP_DBIT_ON);
        assert_int_equal(e.v.flags, 0x81);
        assert_int_equal(db_update(db, DNP_TYPE_DBI, &d, DB_DETECT, &e), 0);
        d.v.dbit = DNP_DBIT_OFF;
        assert_int_equal(db_update(db, DNP_TYPE_DBI, &d, DB_DETECT, &e), 1);
        assert_int_equal(e.v.flags, 0x41);
        assert_true(db_memory(counts) > 11 * 24);
        db_free(db);
        db_free(NULL);
}

/* Holes: a type becomes sparse with its first db_configure(); other types stay dense. */
static void test_absent_points(void **state)
{
        (void)state;
        static const uint32_t c[DNP_TYPE_MAX] = { [DNP_TYPE_BI] = 10, [DNP_TYPE_DBI] = 2,
                                                  [DNP_TYPE_AI] = 3 };
        struct db *db = db_new(c);
        assert_non_null(db);
        struct db_event e;
        struct dnp_value v = { .index = 5, .flags = DNP_FLAG_ONLINE, .v.bit = true };
        /* never configured: every index present, as before */
        for (uint32_t i = 0; i < 10; i++)
                assert_true(db_present(db, DNP_TYPE_BI, i));
        assert_false(db_present(db, DNP_TYPE_BI, 10));
        assert_false(db_present(db, DNP_TYPE_CROB, 0));
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_DETECT, &e), 0);
        /* a refused configuration changes nothing */
        struct db_point_cfg pc = { .static_var = 9, .event_var = 2, .event_class = 1 };
        assert_int_equal(db_configure(db, DNP_TYPE_BI, 2, 2, &pc), -EINVAL);
        assert_int_equal(db_configure(db, DNP_TYPE_BI, 8, 3, &pc), -ERANGE);
        assert_true(db_present(db, DNP_TYPE_BI, 5));
        /* BI 2..3 and 7..8 configured: only they exist */
        pc.static_var = 1;
        assert_int_equal(db_configure(db, DNP_TYPE_BI, 2, 2, &pc), 0);
        assert_int_equal(db_configure(db, DNP_TYPE_BI, 7, 2, &pc), 0);
        static const bool want[10] = { false, false, true, true, false, false, false, true,
                                       true, false };
        for (uint32_t i = 0; i < 10; i++)
                assert_int_equal(db_present(db, DNP_TYPE_BI, i), want[i]);
        struct dnp_value g;
        struct db_point_cfg got;
        assert_int_equal(db_get(db, DNP_TYPE_BI, 5, &g), -ENOENT);
        assert_int_equal(db_point_cfg(db, DNP_TYPE_BI, 0, &got), -ENOENT);
        assert_int_equal(db_point_cfg(db, DNP_TYPE_BI, 10, &got), -ERANGE);
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_FORCE, &e), -ENOENT);
        v.index = 10;
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_FORCE, &e), -ERANGE);
        v.index = 8;
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_FORCE, &e), 1);
        assert_int_equal(e.v.index, 8);
        assert_int_equal(e.cls, 1);
        assert_int_equal(db_point_cfg(db, DNP_TYPE_BI, 8, &got), 0);
        assert_int_equal(got.static_var, 1);
        /* other types keep every index */
        assert_true(db_present(db, DNP_TYPE_DBI, 1));
        assert_true(db_present(db, DNP_TYPE_AI, 0));
        assert_int_equal(db_get(db, DNP_TYPE_AI, 2, &g), 0);
        assert_int_equal(g.flags, DNP_FLAG_RESTART);
        /* presence costs no memory per point beyond the record itself (40 bytes since
         * the record keeps the time of the last change, which dnp3gwctl points shows) */
        static const uint32_t big[DNP_TYPE_MAX] = { [DNP_TYPE_AI] = 70000 };
        assert_true(db_memory(big) >= 70000u * 40u);
        assert_true(db_memory(big) <= 70000u * 40u + 256u);
        db_free(db);
}

/* A point's first value makes no event (DB_DETECT); an event replayed first
 * (DB_FORCE) still goes; a point flagged before its first value (COMM_LOST
 * while the device was never reached) reports the value that clears it. */
static void test_first_value_quiet(void **state)
{
        (void)state;
        struct db *db = db_new(counts);
        struct db_point_cfg pc = { .static_var = 2, .event_var = 2, .event_class = 1 };
        assert_int_equal(db_configure(db, DNP_TYPE_BI, 0, 3, &pc), 0);
        struct db_event e;
        struct dnp_value v = { .index = 0, .flags = DNP_FLAG_ONLINE, .time = 1000, .v.bit = true };
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_DETECT, &e), 0);
        struct dnp_value g;
        assert_int_equal(db_get(db, DNP_TYPE_BI, 0, &g), 0);
        assert_true(g.v.bit);
        assert_int_equal(g.flags, DNP_FLAG_ONLINE | DNP_FLAG_STATE);
        v.v.bit = false;
        v.time = 2000;
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_DETECT, &e), 1);   /* a change */
        /* the device itself reports RESTART later: a change like any other */
        v.flags = DNP_FLAG_RESTART;
        v.time = 3000;
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_DETECT, &e), 1);

        v = (struct dnp_value){ .index = 1, .flags = DNP_FLAG_ONLINE, .time = 1000, .v.bit = true };
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_FORCE, &e), 1);    /* replayed */
        assert_int_equal(e.v.time, 1000);

        v = (struct dnp_value){ .index = 2, .flags = DNP_FLAG_RESTART | DNP_FLAG_COMM_LOST,
                                .time = 500 };
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_FORCE, &e), 1);    /* COMM_LOST */
        v.flags = DNP_FLAG_ONLINE;
        v.time = 4000;
        assert_int_equal(db_update(db, DNP_TYPE_BI, &v, DB_DETECT, &e), 1);   /* restored */
        assert_int_equal(e.v.flags, DNP_FLAG_ONLINE);
        db_free(db);
}

/*
 * dnp3gwctl points shows "changed": the time of the update that last changed
 * a point's value or flags.  A repeated value (an integrity poll reading the
 * same static value) moves the value's time, not the change time; a value
 * inside the deadband (no event) still is a change; an event replayed
 * (DB_FORCE) is one even with the same value; a NaN repeated is no change.
 */
static void test_last_change(void **state)
{
        (void)state;
        struct db *db = db_new(counts);
        struct db_event e;
        uint64_t t = 99;
        struct db_point_cfg pc = { .static_var = 5, .event_var = 7, .event_class = 1,
                                   .deadband = 5.0 };
        assert_int_equal(db_configure(db, DNP_TYPE_AI, 0, 3, &pc), 0);
        assert_int_equal(db_last_change(db, DNP_TYPE_AI, 0, &t), 0);
        assert_int_equal(t, 0);                                 /* never updated */
        assert_int_equal(upd_ai(db, 0, 10.0, DNP_FLAG_ONLINE, 1000, DB_DETECT, &e), 0);
        assert_int_equal(db_last_change(db, DNP_TYPE_AI, 0, &t), 0);
        assert_int_equal(t, 1000);                              /* the first value */
        assert_int_equal(upd_ai(db, 0, 10.0, DNP_FLAG_ONLINE, 2000, DB_DETECT, &e), 0);
        assert_int_equal(db_last_change(db, DNP_TYPE_AI, 0, &t), 0);
        assert_int_equal(t, 1000);                              /* same value: no change */
        struct dnp_value v;
        assert_int_equal(db_get(db, DNP_TYPE_AI, 0, &v), 0);
        assert_int_equal(v.time, 2000);                         /* but the value's time moved */
        assert_int_equal(upd_ai(db, 0, 11.0, DNP_FLAG_ONLINE, 3000, DB_DETECT, &e), 0);
        assert_int_equal(db_last_change(db, DNP_TYPE_AI, 0, &t), 0);
        assert_int_equal(t, 3000);                              /* within the deadband */
        assert_int_equal(upd_ai(db, 0, 11.0, DNP_FLAG_ONLINE | DNP_FLAG_COMM_LOST, 4000,
                                DB_DETECT, &e), 1);
        assert_int_equal(db_last_change(db, DNP_TYPE_AI, 0, &t), 0);
        assert_int_equal(t, 4000);                              /* flags */
        assert_int_equal(upd_ai(db, 0, 11.0, DNP_FLAG_ONLINE | DNP_FLAG_COMM_LOST, 5000,
                                DB_FORCE, &e), 1);
        assert_int_equal(db_last_change(db, DNP_TYPE_AI, 0, &t), 0);
        assert_int_equal(t, 5000);                              /* an event replayed */
        assert_int_equal(upd_ai(db, 1, NAN, DNP_FLAG_ONLINE, 6000, DB_DETECT, &e), 0);
        assert_int_equal(upd_ai(db, 1, NAN, DNP_FLAG_ONLINE, 7000, DB_DETECT, &e), 0);
        assert_int_equal(db_last_change(db, DNP_TYPE_AI, 1, &t), 0);
        assert_int_equal(t, 6000);                              /* NaN again: no change */
        assert_int_equal(db_last_change(db, DNP_TYPE_AI, 3, &t), -ERANGE);
        db_free(db);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults_and_config),
                cmocka_unit_test(test_deadband),
                cmocka_unit_test(test_binary_no_class),
                cmocka_unit_test(test_absent_points),
                cmocka_unit_test(test_first_value_quiet),
                cmocka_unit_test(test_last_change),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
