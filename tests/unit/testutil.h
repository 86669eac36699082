/* SPDX-License-Identifier: MIT */
/* Helpers shared by the cmocka unit tests; include after <cmocka.h>. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * Parse hex digits into out (cap bytes) and return how many bytes; any
 * other character (space, ':', '-') separates nothing and is skipped.  An
 * odd number of digits or more bytes than cap fails the test.
 */
static inline size_t unhex(const char *s, uint8_t *out, size_t cap)
{
        size_t n = 0;
        int hi = -1;

        for (; *s; s++) {
                int v;
                if (*s >= '0' && *s <= '9')
                        v = *s - '0';
                else if (*s >= 'a' && *s <= 'f')
                        v = *s - 'a' + 10;
                else if (*s >= 'A' && *s <= 'F')
                        v = *s - 'A' + 10;
                else
                        continue;
                if (hi < 0) {
                        hi = v;
                        continue;
                }
                assert_true(n < cap);
                out[n++] = (uint8_t)(hi << 4 | v);
                hi = -1;
        }
        assert_int_equal(hi, -1);
        return n;
}
