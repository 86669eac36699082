/* SPDX-License-Identifier: MIT */
/* log.c's level names: one X-macro list, the one fallback text of dnp3/names.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>

#include "daemon/log.h"
#include "dnp3/names.h"

/* Each level by its syslog priority, and back; other values UNKNOWN (was "?"), refused back. */
static void test_level_names(void **state)
{
        (void)state;
        assert_string_equal(log_level_name(LOG_ERROR_LEVEL), "error");
        assert_string_equal(log_level_name(LOG_WARNING_LEVEL), "warning");
        assert_string_equal(log_level_name(LOG_INFO_LEVEL), "info");
        assert_string_equal(log_level_name(LOG_TRACE_LEVEL), "trace");
        assert_string_equal(log_level_name((enum log_level)0), NAMES_UNKNOWN);     /* a hole */
        assert_string_equal(log_level_name((enum log_level)9), NAMES_UNKNOWN);     /* past the end */
        enum log_level l = LOG_ERROR_LEVEL;
        assert_int_equal(log_level_from_string("debug", &l), 0);
        assert_int_equal(l, LOG_DEBUG_LEVEL);
        assert_int_equal(log_level_from_string("notice", &l), 0);
        assert_int_equal(l, LOG_NOTICE_LEVEL);
        /* exact spelling, as dnp3gw.conf's log_level */
        assert_int_equal(log_level_from_string("DEBUG", &l), -EINVAL);
        assert_int_equal(log_level_from_string("", &l), -EINVAL);
        assert_int_equal(log_level_from_string("UNKNOWN", &l), -EINVAL);
        assert_int_equal(l, LOG_NOTICE_LEVEL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_level_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
