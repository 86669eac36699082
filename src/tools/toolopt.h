/* SPDX-License-Identifier: MIT */
/* Command-line parsing shared by dnp3poll and dnp3sim. */
#pragma once

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "io/pipe.h"
#include "io/tls.h"

/* An unsigned number (decimal, 0x hex) up to max.  0 or -EINVAL; *ret only on success. */
int toolopt_u64(const char *s, uint64_t max, uint64_t *ret);
/* Seconds with a fraction, 0.001 to 86400, into milliseconds.  0 or -EINVAL. */
int toolopt_secs(const char *s, uint64_t *ret);

/*
 * The serial-line options both tools take, with exactly the vocabulary of
 * dnp3gw.conf(5) (io/serial_names.h): numbers as the config file writes them
 * (decimal or 0x hex, optional sign), names in lower case.  A tool puts
 * TOOLOPT_SERIAL_OPTIONS and TOOLOPT_HELP_OPTION in its getopt_long() table;
 * toolopt_parse() handles them.
 */
enum {
        TOOLOPT_DEVICE = 0x1000, TOOLOPT_BAUD, TOOLOPT_DATA_BITS, TOOLOPT_PARITY,
        TOOLOPT_STOP_BITS, TOOLOPT_FLOW,
        TOOLOPT_TLS_CERT, TOOLOPT_TLS_KEY, TOOLOPT_TLS_CA, TOOLOPT_TLS_CRL, TOOLOPT_TLS_ALLOW,
        TOOLOPT_TLS_VERSION, TOOLOPT_TLS_CIPHERS, TOOLOPT_TLS_RENEGOTIATE,
        TOOLOPT_HELP = 'h', TOOLOPT_VERSION = 'V',
};
#define TOOLOPT_SERIAL_OPTIONS                                          \
        { "serial", required_argument, NULL, TOOLOPT_DEVICE },          \
        { "baud", required_argument, NULL, TOOLOPT_BAUD },              \
        { "data-bits", required_argument, NULL, TOOLOPT_DATA_BITS },    \
        { "parity", required_argument, NULL, TOOLOPT_PARITY },          \
        { "stop-bits", required_argument, NULL, TOOLOPT_STOP_BITS },    \
        { "flow", required_argument, NULL, TOOLOPT_FLOW }
/* --help (-h) and --version (-V). */
#define TOOLOPT_HELP_OPTION                                             \
        { "help", no_argument, NULL, TOOLOPT_HELP },                    \
        { "version", no_argument, NULL, TOOLOPT_VERSION }

/*
 * DNP3 over TLS (io/tls.h), the keys of dnp3gw.conf(5)'s tls block as
 * options: TLS is on with --tls-cert, which needs --tls-key and --tls-ca;
 * --tls-allow may be given up to TOOLOPT_TLS_MAX_ALLOW times; --tls-version
 * is the one version offered or accepted (default: 1.2 and 1.3).
 */
#define TOOLOPT_TLS_OPTIONS                                                     \
        { "tls-cert", required_argument, NULL, TOOLOPT_TLS_CERT },              \
        { "tls-key", required_argument, NULL, TOOLOPT_TLS_KEY },                \
        { "tls-ca", required_argument, NULL, TOOLOPT_TLS_CA },                  \
        { "tls-crl", required_argument, NULL, TOOLOPT_TLS_CRL },                \
        { "tls-allow", required_argument, NULL, TOOLOPT_TLS_ALLOW },            \
        { "tls-version", required_argument, NULL, TOOLOPT_TLS_VERSION },        \
        { "tls-ciphers", required_argument, NULL, TOOLOPT_TLS_CIPHERS },        \
        { "tls-renegotiate", required_argument, NULL, TOOLOPT_TLS_RENEGOTIATE }
#define TOOLOPT_TLS_USAGE                                                                    \
        "[--tls-cert FILE --tls-key FILE --tls-ca FILE [--tls-crl FILE]\n"                    \
        "                [--tls-allow CN=NAME|SHA256:FP]... [--tls-version 1.2|1.3]\n"        \
        "                [--tls-ciphers LIST] [--tls-renegotiate SECS]]\n"
#define TOOLOPT_TLS_MAX_ALLOW 16

/* What the TLS options set. */
struct toolopt_tls {
        struct io_tls_cfg cfg;
        const char *allow[TOOLOPT_TLS_MAX_ALLOW];
        bool given;                             /* some TLS option was given */
};
/* A numeric option of a tool: opt's value, min..max, into *ret. */
struct toolopt_num {
        int opt;
        uint64_t min, max;
        uint64_t *ret;
};

/* A tool's command line. */
struct toolopt {
        const char *prog;                       /* "dnp3sim": the refusals' prefix */
        const struct option *opts;              /* ended by a NULL name */
        void (*usage)(FILE *f);
        const struct toolopt_num *nums;         /* nnums numeric options */
        size_t nnums;
        struct io_serial_cfg *serial;           /* the serial options' values */
        struct toolopt_tls *tls;                /* the TLS options' values (NULL: none) */
        /* The tool's other options: 0, -errno (refused) or -ENOENT (not one of them). */
        int (*opt)(void *ctx, int opt, char *arg);
        void *ctx;
};

/*
 * Parses argv: 0 (every argument an option, none refused), 1 (--help: the
 * usage is on stdout; --version: "PROG (dnp3gw) VERSION" is), or -EINVAL when an option is unknown (the usage on
 * stderr), refused ("PROG: --OPT: WHY", or "PROG: bad value for --OPT:
 * VALUE", on stderr) or an argument is not an option (the usage on stderr).
 */
int toolopt_parse(const struct toolopt *t, int argc, char **argv);

/*
 * s split at each sep into at most max fields f[]: their number, or -EINVAL
 * when there are more.  Empty fields are skipped (strtok_r).  s is changed.
 */
int toolopt_split(char *s, const char *sep, char **f, size_t max);

/*
 * The TLS context the options describe: 0 with *ret (NULL: no TLS option
 * given), or -EINVAL after saying why on stderr ("PROG: --tls-key: ...").
 * A certificate out of its dates is a warning only (a test of the peer's
 * refusal uses one).
 */
int toolopt_tls_new(const char *prog, const struct toolopt_tls *t, struct io_tls **ret);
