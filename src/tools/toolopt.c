/* SPDX-License-Identifier: MIT */
#include "toolopt.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int toolopt_u64(const char *s, uint64_t max, uint64_t *ret)
{
        char *end;
        if (!s || !*s || *s == '-')
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 0);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/*
 * An integer as libconfig writes one: [+-] and decimal digits, or 0x and hex
 * digits, either with an L or LL suffix (64-bit).
 */
static int integer(const char *s, long long *ret, char *why, size_t n)
{
        bool sign = *s == '+' || *s == '-';
        bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
        const char *digits = hex ? s + 2 : s + sign;
        char *end;

        errno = 0;
        long long v = strtoll(s, &end, hex ? 16 : 10);
        if (strcmp(end, "L") == 0 || strcmp(end, "LL") == 0)
                end += strlen(end);
        if (!(hex ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)) || *end ||
            errno) {
                snprintf(why, n, "expected an integer, found \"%s\"", s);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

static int number(const char *s, int (*check)(long long v, char *why, size_t n), unsigned *ret,
                  char *why, size_t n)
{
        long long v;
        int r = integer(s, &v, why, n);
        if (r == 0)
                r = check(v, why, n);
        if (r == 0)
                *ret = (unsigned)v;
        return r;
}

int toolopt_baud(const char *s, struct io_serial_cfg *c, char *why, size_t n)
{
        return number(s, io_baud_check, &c->baud, why, n);
}

int toolopt_data_bits(const char *s, struct io_serial_cfg *c, char *why, size_t n)
{
        return number(s, io_data_bits_check, &c->data_bits, why, n);
}

int toolopt_stop_bits(const char *s, struct io_serial_cfg *c, char *why, size_t n)
{
        return number(s, io_stop_bits_check, &c->stop_bits, why, n);
}

int toolopt_parity(const char *s, struct io_serial_cfg *c, char *why, size_t n)
{
        return io_parity_parse(s, &c->parity, NULL, why, n);
}

int toolopt_flow(const char *s, struct io_serial_cfg *c, char *why, size_t n)
{
        return io_flow_parse(s, &c->flow, NULL, why, n);
}

void toolopt_refused(const char *prog, const char *opt, const char *value, const char *why)
{
        if (why && why[0])
                fprintf(stderr, "%s: --%s: %s\n", prog, opt, why);
        else
                fprintf(stderr, "%s: bad value for --%s: %s\n", prog, opt, value ? value : "");
}
