/* SPDX-License-Identifier: MIT */
/* DNP3 time: 48-bit milliseconds since 1970-01-01T00:00:00Z.  Pure arithmetic, no clock. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DNPTIME_MAX ((UINT64_C(1) << 48) - 1)
/* Buffer size for any 48-bit time: years after 9999 (up to 10889) take a fifth digit. */
#define DNPTIME_BUF_LEN 26

/*
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least 25 bytes, DNPTIME_BUF_LEN
 * for times after 9999); always NUL-terminated, truncated if n is too small.
 * Returns buf.
 */
char *dnptime_format(uint64_t ms, char *buf, size_t n);
/*
 * Parse the same format (also without ".mmm" and without "Z"; a 4- or
 * 5-digit year); 0 or -EINVAL (also for dates before 1970 or after DNPTIME_MAX).
 */
int dnptime_parse(const char *s, uint64_t *ret_ms);
