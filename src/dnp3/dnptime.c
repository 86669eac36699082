/* SPDX-License-Identifier: MIT */
/*
 * DNP3 time <-> "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, proleptic Gregorian, no
 * leap seconds).  Pure integer arithmetic on days since the epoch, using
 * 400-year eras of 146097 days that start on 0000-03-01 so that the leap
 * day is the last day of a year; no libc time functions, no clock.
 */
#include "dnptime.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"

#define MS_PER_DAY UINT64_C(86400000)
#define DAYS_PER_ERA UINT64_C(146097)           /* 400 Gregorian years */
#define EPOCH_DAYS_FROM_0000_03_01 UINT64_C(719468)

struct civil {
        uint64_t year;
        unsigned month;         /* 1..12 */
        unsigned day;           /* 1..31 */
};

/* Day of the March-based year (0 = March 1st) of month m (1..12), day d. */
static uint64_t dnptime_doy(unsigned m, unsigned d)
{
        unsigned mp = m > 2 ? m - 3 : m + 9;    /* March = 0 ... February = 11 */
        return (153u * mp + 2u) / 5u + d - 1u;
}

/* Days since 1970-01-01 of a date in 1970 or later. */
static uint64_t dnptime_days_from_civil(const struct civil *c)
{
        uint64_t y = c->year - (c->month <= 2 ? 1 : 0);
        uint64_t era = y / 400;
        uint64_t yoe = y - era * 400;                           /* 0..399 */
        uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + dnptime_doy(c->month, c->day);
        return era * DAYS_PER_ERA + doe - EPOCH_DAYS_FROM_0000_03_01;
}

static void dnptime_civil_from_days(uint64_t days, struct civil *ret)
{
        uint64_t z = days + EPOCH_DAYS_FROM_0000_03_01;
        uint64_t era = z / DAYS_PER_ERA;
        uint64_t doe = z - era * DAYS_PER_ERA;                  /* 0..146096 */
        uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   /* 0..399 */
        uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* 0..365 */
        uint64_t mp = (5 * doy + 2) / 153;                      /* 0..11 */
        unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);

        ret->day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
        ret->month = m;
        ret->year = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

static bool dnptime_is_leap(uint64_t y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned dnptime_month_days(uint64_t y, unsigned m)
{
        static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        if (m == 2 && dnptime_is_leap(y))
                return 29;
        return days[m - 1];
}

char *dnptime_format(uint64_t ms, char *buf, size_t n)
{
        if (n == 0)
                return buf;

        struct civil c;
        uint64_t days = ms / MS_PER_DAY;
        uint64_t rem = ms % MS_PER_DAY;

        dnptime_civil_from_days(days, &c);
        snprintf(buf, n, "%04llu-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned long long)c.year,
                 c.month, c.day, (unsigned)(rem / 3600000), (unsigned)(rem / 60000 % 60),
                 (unsigned)(rem / 1000 % 60), (unsigned)(rem % 1000));
        return buf;
}

/* Exactly ndigits decimal digits. */
static int dnptime_digits(struct rd *c, unsigned ndigits, uint64_t *ret)
{
        uint64_t v = 0;

        for (unsigned i = 0; i < ndigits; i++) {
                uint8_t ch;
                if (rd_u8(c, &ch) < 0 || ch < '0' || ch > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t)(ch - '0');
        }
        *ret = v;
        return 0;
}

static int dnptime_expect(struct rd *c, uint8_t want)
{
        uint8_t ch;

        if (rd_u8(c, &ch) < 0 || ch != want)
                return -EINVAL;
        return 0;
}

/* Peek whether the next byte is want; consume it if so. */
static bool dnptime_accept(struct rd *c, uint8_t want)
{
        struct rd peek = *c;
        uint8_t ch;

        if (rd_u8(&peek, &ch) < 0 || ch != want)
                return false;
        *c = peek;
        return true;
}

int dnptime_parse(const char *s, uint64_t *ret_ms)
{
        struct rd c;
        uint64_t year, mon, day, hh, mm, ss, frac = 0;

        if (!s)
                return -EINVAL;
        rd_init(&c, s, strlen(s));

        /* Four-digit years, or five for the years after 9999 a 48-bit time reaches. */
        size_t ylen = 0;
        for (struct rd peek = c;; ylen++) {
                uint8_t ch;
                if (rd_u8(&peek, &ch) < 0 || ch < '0' || ch > '9')
                        break;
        }
        if (ylen != 4 && ylen != 5)
                return -EINVAL;

        if (dnptime_digits(&c, (unsigned)ylen, &year) < 0 || dnptime_expect(&c, '-') < 0 ||
            dnptime_digits(&c, 2, &mon) < 0 || dnptime_expect(&c, '-') < 0 ||
            dnptime_digits(&c, 2, &day) < 0 || dnptime_expect(&c, 'T') < 0 ||
            dnptime_digits(&c, 2, &hh) < 0 || dnptime_expect(&c, ':') < 0 ||
            dnptime_digits(&c, 2, &mm) < 0 || dnptime_expect(&c, ':') < 0 ||
            dnptime_digits(&c, 2, &ss) < 0)
                return -EINVAL;
        if (dnptime_accept(&c, '.') && dnptime_digits(&c, 3, &frac) < 0)
                return -EINVAL;
        dnptime_accept(&c, 'Z');
        if (rd_left(&c) != 0)
                return -EINVAL;

        if (year < 1970 || (ylen == 5 && year < 10000) || mon < 1 || mon > 12 || day < 1 ||
            day > dnptime_month_days(year, (unsigned)mon) || hh > 23 || mm > 59 || ss > 59)
                return -EINVAL;

        struct civil civ = { .year = year, .month = (unsigned)mon, .day = (unsigned)day };
        uint64_t ms = dnptime_days_from_civil(&civ) * MS_PER_DAY +
                      ((hh * 60 + mm) * 60 + ss) * 1000 + frac;
        if (ms > DNPTIME_MAX)
                return -EINVAL;
        *ret_ms = ms;
        return 0;
}
