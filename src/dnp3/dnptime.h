/* SPDX-License-Identifier: MIT */
/* DNP3 time: 48-bit milliseconds since 1970-01-01T00:00:00Z.  Pure arithmetic, no clock. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DNPTIME_MAX ((UINT64_C(1) << 48) - 1)
/* Buffer size for any 48-bit time: years after 9999 (up to 10889) take a fifth digit. */
#define DNPTIME_BUF_LEN 26

/*
 * Wall time from a session's monotonic `now` and the offset its I/O adapter
 * keeps (wall - monotonic), as a DNP3 time: never negative, never past 48 bits.
 */
static inline uint64_t dnptime_wall(uint64_t now, int64_t offset_ms)
{
        int64_t t = (int64_t)now + offset_ms;
        if (t < 0)
                return 0;
        return (uint64_t)t > DNPTIME_MAX ? DNPTIME_MAX : (uint64_t)t;
}

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
