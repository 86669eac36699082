/* SPDX-License-Identifier: MIT */
/*
 * The point-type table (ptype.h), value access by type (obj.h) and the
 * enum->name helper (names.h): the table says what dnp3gw.conf(5) says, and
 * the groups and variations it names are the ones the object catalog, the
 * encoder and the decoder use for that type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "dnp3/app.h"
#include "dnp3/link.h"
#include "dnp3/names.h"
#include "dnp3/obj.h"
#include "dnp3/ptype.h"

#define V(n) (1u << (n))

/* dnp3gw.conf(5), section points: key, defaults and the allowed variations. */
static const struct want {
        enum dnp_type type;
        const char *key, *abbr;
        uint8_t sgroup, egroup, svar, evar, cls;
        bool deadband;
        uint8_t cmd_group;
        uint16_t svars, evars;
} want[] = {
        { DNP_TYPE_BI, "binary_inputs", "bi", 1, 2, 2, 2, 1, false, 0, V(1) | V(2),
          V(1) | V(2) | V(3) },
        { DNP_TYPE_DBI, "double_bit_inputs", "dbi", 3, 4, 2, 2, 1, false, 0, V(1) | V(2),
          V(1) | V(2) | V(3) },
        { DNP_TYPE_BO, "binary_outputs", "bo", 10, 11, 2, 2, 2, false, 12, V(1) | V(2),
          V(1) | V(2) },
        { DNP_TYPE_CNT, "counters", "cnt", 20, 22, 1, 5, 3, true, 0,
          V(1) | V(2) | V(5) | V(6), V(1) | V(2) | V(5) | V(6) },
        { DNP_TYPE_FCNT, "frozen_counters", "fcnt", 21, 23, 1, 5, 3, true, 0,
          V(1) | V(2) | V(5) | V(6) | V(9) | V(10), V(1) | V(2) | V(5) | V(6) },
        { DNP_TYPE_AI, "analog_inputs", "ai", 30, 32, 5, 7, 3, true, 0, 0x7e, 0x1fe },
        { DNP_TYPE_AO, "analog_outputs", "ao", 40, 42, 3, 7, 2, true, 41, 0x1e, 0x1fe },
};
#define NWANT (sizeof(want) / sizeof(want[0]))

/* Each row is what the man page documents: key, groups, default variations and class. */
static void test_rows_as_documented(void **state)
{
        (void)state;
        assert_int_equal(DNP_PTYPE_COUNT, NWANT);
        for (size_t i = 0; i < NWANT; i++) {
                const struct want *w = &want[i];
                const struct dnp_ptype *p = dnp_ptype(w->type);
                assert_non_null(p);
                assert_ptr_equal(p, &dnp_ptypes[i]);
                assert_int_equal(p->type, w->type);
                assert_string_equal(p->key, w->key);
                assert_string_equal(p->abbr, w->abbr);
                assert_int_equal(p->sgroup, w->sgroup);
                assert_int_equal(p->egroup, w->egroup);
                assert_int_equal(p->svar, w->svar);
                assert_int_equal(p->evar, w->evar);
                assert_int_equal(p->cls, w->cls);
                assert_int_equal(p->deadband, w->deadband);
                assert_int_equal(p->output, w->cmd_group != 0);
                assert_int_equal(p->cmd_group, w->cmd_group);
        }
}

/* The allowed variations: every catalog variation of the type's groups but 0, no other. */
static void test_allowed_variations(void **state)
{
        (void)state;
        for (size_t i = 0; i < NWANT; i++) {
                const struct dnp_ptype *p = dnp_ptype(want[i].type);
                uint16_t s = 0, e = 0;
                for (unsigned v = 0; v < 256; v++) {
                        if (dnp_ptype_var_ok(p, false, (uint8_t)v))
                                s = (uint16_t)(s | (v < 16 ? 1u << v : 0x8000u));
                        if (dnp_ptype_var_ok(p, true, (uint8_t)v))
                                e = (uint16_t)(e | (v < 16 ? 1u << v : 0x8000u));
                }
                assert_int_equal(s, want[i].svars);
                assert_int_equal(e, want[i].evars);
        }
}

/*
 * The catalog (which the encoder and the decoder both go by) files every
 * object of a point type under the type's static or event group, and the
 * command groups under the output types' command objects.
 */
static void test_groups_match_catalog(void **state)
{
        (void)state;
        size_t seen = 0;
        for (size_t i = 0; i < obj_catalog_size(); i++) {
                const struct obj_desc *d = obj_catalog_at(i);
                const struct dnp_ptype *p = dnp_ptype((enum dnp_type)d->type);
                enum dnp_ptype_role role;
                const struct dnp_ptype *g = dnp_ptype_by_group(d->group, &role);
                if (!p) {
                        /* not a point type: only the command objects name a point type */
                        if (g) {
                                assert_int_equal(role, DNP_PTYPE_COMMAND);
                                assert_int_equal(d->type, g->cmd_group == 12 ? DNP_TYPE_CROB
                                                                            : DNP_TYPE_AOCMD);
                        }
                        continue;
                }
                seen++;
                assert_ptr_equal(g, p);
                assert_int_equal(role, d->event ? DNP_PTYPE_EVENT : DNP_PTYPE_STATIC);
                assert_int_equal(d->group, d->event ? p->egroup : p->sgroup);
        }
        /* variation 0 and the rest: g1 g2 g3 g4 g10 g11 g20 g21 g22 g23 g30 g32 g40 g42 */
        assert_int_equal(seen, 3 + 4 + 3 + 4 + 3 + 3 + 5 + 7 + 5 + 5 + 7 + 9 + 5 + 9);
        assert_int_equal(obj_lookup(12, 1)->type, DNP_TYPE_CROB);
        assert_int_equal(obj_lookup(41, 1)->type, DNP_TYPE_AOCMD);
}

struct rt_got {
        const struct obj_desc *d;
        struct dnp_value v;
        int n;
};

static int rt_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct rt_got *g = ctx;
        g->d = h->desc;
        g->v = *v;
        g->n++;
        return 0;
}

static void rt_check(enum dnp_type t, uint8_t group, uint8_t var, double x, bool timed)
{
        uint8_t buf[64];
        struct apdu_wr a;
        const struct apdu_hdr h = { .fir = true, .fin = true, .func = APP_FUNC_RESPONSE };
        struct dnp_value v = { .index = 3, .flags = DNP_FLAG_ONLINE, .time_kind = DNP_TIME_ABS,
                               .time = 1700000000123ull };
        dnp_value_set(t, x, &v);
        v.flags = dnp_value_state_flags(t, &v);
        assert_int_equal(apdu_wr_init(&a, buf, sizeof(buf), &h), 0);
        assert_int_equal(apdu_wr_begin(&a, group, var, OBJ_QUAL_INDEX16, 0), 0);
        assert_int_equal(apdu_wr_value(&a, &v), 0);
        assert_int_equal(apdu_wr_end(&a), 0);

        struct rt_got got = { 0 };
        const struct obj_visitor vis = { .on_value = rt_on_value };
        assert_int_equal(obj_parse(buf + 4, apdu_wr_len(&a) - 4, OBJ_MODE_DATA, &vis, &got, NULL),
                         0);
        assert_int_equal(got.n, 1);
        assert_int_equal(got.d->type, t);
        assert_int_equal(got.v.index, 3);
        assert_true(dnp_value_get(t, &got.v) == x);
        assert_int_equal(got.v.flags, v.flags);
        assert_int_equal(got.v.time_kind, timed ? DNP_TIME_ABS : DNP_TIME_NONE);
        assert_int_equal(got.v.time, timed ? v.time : 0);
}

/*
 * Each type's default static and event variations encode a value of that
 * type and decode back to it, as a value of that type, with its flags and
 * (the event variations, all with absolute time) its time.
 */
static void test_default_variations_roundtrip(void **state)
{
        (void)state;
        static const double x[DNP_TYPE_MAX] = {
                [DNP_TYPE_BI] = 1, [DNP_TYPE_DBI] = DNP_DBIT_ON, [DNP_TYPE_BO] = 1,
                [DNP_TYPE_CNT] = 4000000000.0, [DNP_TYPE_FCNT] = 77, [DNP_TYPE_AI] = 12.5,
                [DNP_TYPE_AO] = -3.25,
        };
        DNP_PTYPE_FOREACH(p) {
                rt_check(p->type, p->sgroup, p->svar, x[p->type], false);
                rt_check(p->type, p->egroup, p->evar, x[p->type], true);
        }
}

/* Iteration visits each point type once, in table order, with its dense index. */
static void test_foreach_and_index(void **state)
{
        (void)state;
        int n = 0;
        DNP_PTYPE_FOREACH(p) {
                assert_int_equal(p->type, want[n].type);
                assert_int_equal(dnp_ptype_index(p->type), n);
                n++;
        }
        assert_int_equal(n, DNP_PTYPE_COUNT);
        static const enum dnp_type other[] = { DNP_TYPE_NONE, DNP_TYPE_CROB, DNP_TYPE_AOCMD,
                                               DNP_TYPE_TIME, DNP_TYPE_CTO, DNP_TYPE_DELAY,
                                               DNP_TYPE_CLASS, DNP_TYPE_IIN, DNP_TYPE_OCTETS,
                                               DNP_TYPE_MAX, (enum dnp_type)-1 };
        for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
                assert_null(dnp_ptype(other[i]));
                assert_false(dnp_ptype_valid(other[i]));
                assert_int_equal(dnp_ptype_index(other[i]), -1);
        }
}

/* Lookups by group (static, event, command), by config key and by command-line name. */
static void test_lookups(void **state)
{
        (void)state;
        enum dnp_ptype_role role = DNP_PTYPE_COMMAND;
        for (size_t i = 0; i < NWANT; i++) {
                const struct dnp_ptype *p = dnp_ptype(want[i].type);
                assert_ptr_equal(dnp_ptype_by_group(want[i].sgroup, &role), p);
                assert_int_equal(role, DNP_PTYPE_STATIC);
                assert_ptr_equal(dnp_ptype_by_group(want[i].egroup, &role), p);
                assert_int_equal(role, DNP_PTYPE_EVENT);
                assert_ptr_equal(dnp_ptype_by_key(want[i].key), p);
                assert_ptr_equal(dnp_ptype_by_abbr(want[i].abbr), p);
        }
        assert_ptr_equal(dnp_ptype_by_group(12, &role), dnp_ptype(DNP_TYPE_BO));
        assert_int_equal(role, DNP_PTYPE_COMMAND);
        assert_ptr_equal(dnp_ptype_by_group(41, &role), dnp_ptype(DNP_TYPE_AO));
        assert_int_equal(role, DNP_PTYPE_COMMAND);
        assert_ptr_equal(dnp_ptype_by_group(30, NULL), dnp_ptype(DNP_TYPE_AI));
        static const uint8_t none[] = { 0, 5, 50, 51, 52, 60, 80, 110, 111, 255 };
        for (size_t i = 0; i < sizeof(none); i++) {
                role = DNP_PTYPE_STATIC;
                assert_null(dnp_ptype_by_group(none[i], &role));
        }
        assert_null(dnp_ptype_by_key("analog_input"));
        assert_null(dnp_ptype_by_key("ai"));
        assert_null(dnp_ptype_by_key(""));
        assert_null(dnp_ptype_by_abbr("analog_inputs"));
        assert_null(dnp_ptype_by_abbr("AI"));
        assert_null(dnp_ptype_by_abbr("crob"));
}

/* Quality flag names per type: bits 0-4 common, 5-6 by type, state bits and reserved NULL. */
static void test_flag_names(void **state)
{
        (void)state;
        static const char *const common[] = { "ONLINE", "RESTART", "COMM_LOST", "REMOTE_FORCED",
                                              "LOCAL_FORCED" };
        static const struct {
                enum dnp_type t;
                const char *b5, *b6, *b7;
        } w[] = {
                { DNP_TYPE_BI, "CHATTER_FILTER", NULL, NULL },
                { DNP_TYPE_DBI, "CHATTER_FILTER", NULL, NULL },
                { DNP_TYPE_BO, NULL, NULL, NULL },
                { DNP_TYPE_CNT, "ROLLOVER", "DISCONTINUITY", NULL },
                { DNP_TYPE_FCNT, "ROLLOVER", "DISCONTINUITY", NULL },
                { DNP_TYPE_AI, "OVER_RANGE", "REFERENCE_ERR", NULL },
                { DNP_TYPE_AO, "OVER_RANGE", "REFERENCE_ERR", NULL },
                { DNP_TYPE_CROB, NULL, NULL, NULL },
        };
        for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
                for (unsigned b = 0; b < 5; b++)
                        assert_string_equal(dnp_ptype_flag_name(w[i].t, b), common[b]);
                const char *got[3] = { dnp_ptype_flag_name(w[i].t, 5),
                                       dnp_ptype_flag_name(w[i].t, 6),
                                       dnp_ptype_flag_name(w[i].t, 7) };
                const char *exp[3] = { w[i].b5, w[i].b6, w[i].b7 };
                for (int k = 0; k < 3; k++) {
                        if (exp[k])
                                assert_string_equal(got[k], exp[k]);
                        else
                                assert_null(got[k]);
                }
                assert_null(dnp_ptype_flag_name(w[i].t, 8));
        }
}

/* A point's value as a double and back, and the state bits binaries keep in their flags. */
static void test_value_access(void **state)
{
        (void)state;
        struct dnp_value v = { .flags = DNP_FLAG_ONLINE | DNP_FLAG_CHATTER_FILTER };
        dnp_value_set(DNP_TYPE_BI, 1.0, &v);
        assert_true(v.v.bit);
        assert_true(dnp_value_get(DNP_TYPE_BO, &v) == 1.0);
        assert_int_equal(dnp_value_state_flags(DNP_TYPE_BI, &v), 0xa1);
        v.flags = 0xff;
        dnp_value_set(DNP_TYPE_BO, 0.0, &v);
        assert_int_equal(dnp_value_state_flags(DNP_TYPE_BO, &v), 0x7f);

        v = (struct dnp_value){ .flags = 0xc1 };
        dnp_value_set(DNP_TYPE_DBI, DNP_DBIT_OFF, &v);
        assert_int_equal(v.v.dbit, DNP_DBIT_OFF);
        assert_true(dnp_value_get(DNP_TYPE_DBI, &v) == 1.0);
        assert_int_equal(dnp_value_state_flags(DNP_TYPE_DBI, &v), 0x41);

        v = (struct dnp_value){ .flags = 0xe1 };
        dnp_value_set(DNP_TYPE_FCNT, 4294967295.0, &v);
        assert_int_equal(v.v.count, 4294967295u);
        assert_true(dnp_value_get(DNP_TYPE_CNT, &v) == 4294967295.0);
        assert_int_equal(dnp_value_state_flags(DNP_TYPE_CNT, &v), 0xe1);

        dnp_value_set(DNP_TYPE_AO, -0.125, &v);
        assert_true(v.v.analog == -0.125);
        assert_true(dnp_value_get(DNP_TYPE_AI, &v) == -0.125);
        assert_int_equal(dnp_value_state_flags(DNP_TYPE_AI, &v), 0xe1);

        assert_int_equal(dnp_value_state_mask(DNP_TYPE_BI), 0x80);
        assert_int_equal(dnp_value_state_mask(DNP_TYPE_DBI), 0xc0);
        assert_int_equal(dnp_value_state_mask(DNP_TYPE_AI), 0);
        assert_int_equal(dnp_value_state_mask(DNP_TYPE_MAX), 0);
        assert_int_equal(dnp_type_value(DNP_TYPE_CROB), DNP_VAL_CROB);
        assert_int_equal(dnp_type_value(DNP_TYPE_CTO), DNP_VAL_TIME);
        assert_int_equal(dnp_type_value(DNP_TYPE_MAX), DNP_VAL_NONE);
}

/* The name helper: listed values by name, everything else the one fallback text. */
#define T_LIST(X) X(ALPHA, 0) X(GAMMA, 2) X(DELTA, 5)
const char *t_name(int v);
NAMES_DEFINE(t_name, int, T_LIST, NAMES_BY_CODE)

static void test_names_fallback(void **state)
{
        (void)state;
        assert_string_equal(NAMES_UNKNOWN, "UNKNOWN");
        assert_string_equal(t_name(0), "ALPHA");
        assert_string_equal(t_name(2), "GAMMA");
        assert_string_equal(t_name(5), "DELTA");
        assert_string_equal(t_name(1), NAMES_UNKNOWN);      /* a hole */
        assert_string_equal(t_name(6), NAMES_UNKNOWN);      /* past the end */
        assert_string_equal(t_name(-1), NAMES_UNKNOWN);     /* negative */
        assert_string_equal(dnp_type_name(DNP_TYPE_AO), "analog_output");
        assert_string_equal(dnp_type_name(DNP_TYPE_MAX), NAMES_UNKNOWN);
        assert_string_equal(dnp_type_name((enum dnp_type)-1), NAMES_UNKNOWN);
        assert_string_equal(dnp_cmd_status_name(19), NAMES_UNKNOWN);
        assert_string_equal(dnp_cmd_status_name(128), NAMES_UNKNOWN);
        assert_string_equal(dnp_dbit_name(DNP_DBIT_INDETERMINATE), "INDETERMINATE");
        assert_string_equal(dnp_dbit_name(4), NAMES_UNKNOWN);
        assert_string_equal(link_func_name(LINK_FUNC_MAX), NAMES_UNKNOWN);
        assert_string_equal(link_func_name(LINK_FUNC_NOT_SUPPORTED), "NOT_SUPPORTED");
        assert_string_equal(app_iin_bit_name(15), "RESERVED_2_7");
        assert_string_equal(app_iin_bit_name(16), NAMES_UNKNOWN);
        /* function codes: NULL for a code that is none, so that callers print the number */
        assert_null(app_func_name(34));
        assert_string_equal(app_func_name(131), "AUTHENTICATE_RESP");
}

/* NAMES_DEFINE_FIND: the same table, NULL instead of the fallback; names_index ignores case. */
const char *t2_name(int v);
const char *t2_name_find(int v);
NAMES_DEFINE_FIND(t2_name, int, T_LIST, NAMES_BY_CODE)

static void test_names_find_index(void **state)
{
        (void)state;
        assert_string_equal(t2_name(2), "GAMMA");
        assert_string_equal(t2_name_find(2), "GAMMA");
        assert_string_equal(t2_name(1), NAMES_UNKNOWN);
        assert_null(t2_name_find(1));                   /* a hole */
        assert_null(t2_name_find(6));                   /* past the end */
        assert_null(t2_name_find(-1));
        assert_int_equal(names_index(t2_name_tab, NAMES_COUNT(t2_name_tab), "delta"), 5);
        assert_int_equal(names_index(t2_name_tab, NAMES_COUNT(t2_name_tab), "Alpha"), 0);
        assert_int_equal(names_index(t2_name_tab, NAMES_COUNT(t2_name_tab), "ALPH"), -1);
        assert_int_equal(names_index(t2_name_tab, NAMES_COUNT(t2_name_tab), "ALPHAS"), -1);
        assert_int_equal(names_index(t2_name_tab, NAMES_COUNT(t2_name_tab), ""), -1);
        assert_true(names_equal_nocase("PULSE_ON", "pulse_on"));
        assert_false(names_equal_nocase("PULSE_ON", "pulse-on"));
}

/*
 * IEEE 1815 CROB control code: operation type (bits 0-3) NUL, PULSE_ON,
 * PULSE_OFF, LATCH_ON, LATCH_OFF (5-15 undefined); trip-close code (bits
 * 6-7) NUL, CLOSE, TRIP (3 reserved).  One list for format, dnp3sim and
 * dnp3poll (a name given on the command line: the op alone, a TCC with
 * PULSE_ON).
 */
static void test_crob_names(void **state)
{
        (void)state;
        static const char *const ops[] = { "NUL", "PULSE_ON", "PULSE_OFF", "LATCH_ON", "LATCH_OFF" };
        for (unsigned op = 0; op < 5; op++) {
                assert_string_equal(dnp_crob_op_name(op), ops[op]);
                assert_string_equal(dnp_crob_op_name_find(op), ops[op]);
        }
        assert_string_equal(dnp_crob_op_name(5), NAMES_UNKNOWN);
        assert_null(dnp_crob_op_name_find(5));
        assert_null(dnp_crob_op_name_find(15));
        assert_string_equal(dnp_crob_tcc_name(0), "NUL");
        assert_string_equal(dnp_crob_tcc_name(1), "CLOSE");
        assert_string_equal(dnp_crob_tcc_name(2), "TRIP");
        assert_string_equal(dnp_crob_tcc_name(3), NAMES_UNKNOWN);
        assert_null(dnp_crob_tcc_name_find(3));
        /* the fields of a code byte */
        assert_int_equal(dnp_crob_op(0xf3), DNP_CROB_OP_LATCH_ON);
        assert_int_equal(dnp_crob_tcc(0x81), DNP_CROB_TCC_TRIP);
        assert_int_equal(dnp_crob_tcc(0x41), DNP_CROB_TCC_CLOSE);
        assert_int_equal(dnp_crob_tcc(0xf3), 3);

        static const struct { const char *name; int r; uint8_t code; } cases[] = {
                { "NUL", 0, 0x00 },       { "pulse_on", 0, 0x01 },  { "PULSE_OFF", 0, 0x02 },
                { "Latch_On", 0, 0x03 },  { "LATCH_OFF", 0, 0x04 }, { "CLOSE", 0, 0x41 },
                { "trip", 0, 0x81 },      { "OP_5", -EINVAL, 0 },   { "RESERVED", -EINVAL, 0 },
                { "", -EINVAL, 0 },       { "LATCH", -EINVAL, 0 },  { "3", -EINVAL, 0 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t code = 0xee;
                assert_int_equal(dnp_crob_code_from_name(cases[i].name, &code), cases[i].r);
                assert_int_equal(code, cases[i].r == 0 ? cases[i].code : 0xee);
        }
}

/* The status byte of a control object (g12 CROB, g41 analog output block); none for a point. */
static void test_value_status(void **state)
{
        (void)state;
        struct dnp_value v = { 0 };
        dnp_value_set_status(DNP_TYPE_CROB, &v, DNP_CMD_LOCAL);
        assert_int_equal(v.v.crob.status, DNP_CMD_LOCAL);
        assert_int_equal(dnp_value_status(DNP_TYPE_CROB, &v), DNP_CMD_LOCAL);
        v = (struct dnp_value){ .v.ao = { .value = 2.5 } };
        dnp_value_set_status(DNP_TYPE_AOCMD, &v, DNP_CMD_NOT_SUPPORTED);
        assert_int_equal(v.v.ao.status, DNP_CMD_NOT_SUPPORTED);
        assert_true(v.v.ao.value == 2.5);
        assert_int_equal(dnp_value_status(DNP_TYPE_AOCMD, &v), DNP_CMD_NOT_SUPPORTED);
        v = (struct dnp_value){ .flags = 0x81, .v.analog = 7.0 };
        dnp_value_set_status(DNP_TYPE_AI, &v, DNP_CMD_LOCAL);
        assert_int_equal(v.flags, 0x81);
        assert_true(v.v.analog == 7.0);
        assert_int_equal(dnp_value_status(DNP_TYPE_AI, &v), 0);
        assert_int_equal(dnp_value_status(DNP_TYPE_MAX, &v), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rows_as_documented),
                cmocka_unit_test(test_allowed_variations),
                cmocka_unit_test(test_groups_match_catalog),
                cmocka_unit_test(test_default_variations_roundtrip),
                cmocka_unit_test(test_foreach_and_index),
                cmocka_unit_test(test_lookups),
                cmocka_unit_test(test_flag_names),
                cmocka_unit_test(test_value_access),
                cmocka_unit_test(test_names_fallback),
                cmocka_unit_test(test_names_find_index),
                cmocka_unit_test(test_crob_names),
                cmocka_unit_test(test_value_status),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
