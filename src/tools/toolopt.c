/* SPDX-License-Identifier: MIT */
#include "toolopt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <time.h>
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

int toolopt_secs(const char *s, uint64_t *ret)
{
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || *end || end == s || !(v >= 0.001 && v <= 86400.0))
                return -EINVAL;
        *ret = (uint64_t)llround(v * 1000.0);
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

static int serial_option(int opt, const char *s, struct io_serial_cfg *c, char *why, size_t n)
{
        switch (opt) {
        case TOOLOPT_DEVICE:
                c->device = s;
                return 0;
        case TOOLOPT_BAUD:
                return number(s, io_baud_check, &c->baud, why, n);
        case TOOLOPT_DATA_BITS:
                return number(s, io_data_bits_check, &c->data_bits, why, n);
        case TOOLOPT_STOP_BITS:
                return number(s, io_stop_bits_check, &c->stop_bits, why, n);
        case TOOLOPT_PARITY:
                return io_parity_parse(s, &c->parity, NULL, why, n);
        case TOOLOPT_FLOW:
                return io_flow_parse(s, &c->flow, NULL, why, n);
        default:
                return -ENOENT;
        }
}

static int tls_option(int opt, char *s, struct toolopt_tls *t)
{
        struct io_tls_cfg *c = &t->cfg;
        if (opt < TOOLOPT_TLS_CERT || opt > TOOLOPT_TLS_RENEGOTIATE)
                return -ENOENT;
        t->given = true;
        switch (opt) {
        case TOOLOPT_TLS_CERT:
                c->certificate = s;
                return 0;
        case TOOLOPT_TLS_KEY:
                c->private_key = s;
                return 0;
        case TOOLOPT_TLS_CA:
                c->ca = s;
                return 0;
        case TOOLOPT_TLS_CRL:
                c->crl = s;
                return 0;
        case TOOLOPT_TLS_ALLOW:
                if (c->n_allow == TOOLOPT_TLS_MAX_ALLOW)
                        return -E2BIG;
                t->allow[c->n_allow++] = s;
                c->allow = t->allow;
                return 0;
        case TOOLOPT_TLS_VERSION:
                c->exact_version = true;
                return io_tls_version_parse(s, &c->min_version);
        case TOOLOPT_TLS_CIPHERS:
                c->ciphers = s;
                return 0;
        default:
                return toolopt_secs(s, &c->renegotiate_ms);
        }
}

/* The option that sets each key of the tls block. */
static const char *const tls_field_option[IO_TLS_FIELD_MAX] = {
        [IO_TLS_FIELD_CERTIFICATE] = "tls-cert",
        [IO_TLS_FIELD_PRIVATE_KEY] = "tls-key",
        [IO_TLS_FIELD_CA] = "tls-ca",
        [IO_TLS_FIELD_CRL] = "tls-crl",
        [IO_TLS_FIELD_ALLOW] = "tls-allow",
        [IO_TLS_FIELD_MIN_VERSION] = "tls-version",
        [IO_TLS_FIELD_CIPHERS] = "tls-ciphers",
};

int toolopt_tls_new(const char *prog, const struct toolopt_tls *t, struct io_tls **ret)
{
        const struct io_tls_cfg *c = &t->cfg;
        *ret = NULL;
        if (!t->given)
                return 0;
        if (!c->certificate || !c->private_key || !c->ca) {
                fprintf(stderr, "%s: --tls-cert, --tls-key and --tls-ca go together\n", prog);
                return -EINVAL;
        }
        struct io_tls_err e;
        struct io_tls *tls;
        if (io_tls_new(c, &tls, &e) < 0) {
                fprintf(stderr, "%s: --%s: %s\n", prog, tls_field_option[e.field], e.text);
                return -EINVAL;
        }
        if (io_tls_check(tls, time(NULL), &e) < 0)
                fprintf(stderr, "%s: warning: --%s: %s\n", prog, tls_field_option[e.field], e.text);
        *ret = tls;
        return 0;
}

static int num_option(const struct toolopt_num *tab, size_t n, int opt, const char *s)
{
        for (size_t i = 0; i < n; i++) {
                if (tab[i].opt != opt)
                        continue;
                uint64_t v;
                if (toolopt_u64(s, tab[i].max, &v) < 0 || v < tab[i].min)
                        return -EINVAL;
                *tab[i].ret = v;
                return 0;
        }
        return -ENOENT;
}

/* The long name of option val in opts[] (ended by a NULL name), or "?". */
static const char *option_name(const struct option *opts, int val)
{
        for (; opts->name; opts++)
                if (opts->val == val)
                        return opts->name;
        return "?";
}

int toolopt_split(char *s, const char *sep, char **f, size_t max)
{
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(s, sep, &save); t; t = strtok_r(NULL, sep, &save)) {
                if (n == max)
                        return -EINVAL;
                f[n++] = t;
        }
        return (int)n;
}

int toolopt_parse(const struct toolopt *t, int argc, char **argv)
{
        int c;
        while ((c = getopt_long(argc, argv, "hV", t->opts, NULL)) != -1) {
                char why[256] = "";
                if (c == TOOLOPT_HELP) {
                        t->usage(stdout);
                        return 1;
                }
                if (c == TOOLOPT_VERSION) {
                        printf("%s (dnp3gw) %s\n", t->prog, DNP3GW_VERSION);
                        return 1;
                }
                int r = t->opt(t->ctx, c, optarg);
                if (r == -ENOENT)
                        r = num_option(t->nums, t->nnums, c, optarg);
                if (r == -ENOENT)
                        r = serial_option(c, optarg, t->serial, why, sizeof(why));
                if (r == -ENOENT && t->tls)
                        r = tls_option(c, optarg, t->tls);
                if (r == -ENOENT) {     /* getopt_long() said which */
                        t->usage(stderr);
                        return -EINVAL;
                }
                if (r < 0 && why[0]) {
                        fprintf(stderr, "%s: --%s: %s\n", t->prog, option_name(t->opts, c), why);
                        return -EINVAL;
                }
                if (r < 0) {
                        fprintf(stderr, "%s: bad value for --%s: %s\n", t->prog,
                                option_name(t->opts, c), optarg ? optarg : "");
                        return -EINVAL;
                }
        }
        if (optind != argc) {
                t->usage(stderr);
                return -EINVAL;
        }
        return 0;
}
