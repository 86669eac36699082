/* SPDX-License-Identifier: MIT */
/* Command-line parsing shared by dnp3poll and dnp3sim. */
#pragma once

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "io/pipe.h"

/* An unsigned number (decimal, 0x hex) up to max.  0 or -EINVAL; *ret only on success. */
int toolopt_u64(const char *s, uint64_t max, uint64_t *ret);

/*
 * The serial-line options both tools take, with exactly the vocabulary of
 * dnp3gw.conf(5) (io/serial_names.h): numbers as the config file writes them
 * (decimal or 0x hex, optional sign), names in lower case.  A tool puts
 * TOOLOPT_SERIAL_OPTIONS in its getopt_long() table and passes every option
 * value it gets to toolopt_serial() first.
 */
enum {
        TOOLOPT_DEVICE = 0x1000, TOOLOPT_BAUD, TOOLOPT_DATA_BITS, TOOLOPT_PARITY, TOOLOPT_STOP_BITS,
        TOOLOPT_FLOW, TOOLOPT_SERIAL_END,
};
#define TOOLOPT_SERIAL_OPTIONS                                          \
        { "serial", required_argument, NULL, TOOLOPT_DEVICE },          \
        { "baud", required_argument, NULL, TOOLOPT_BAUD },              \
        { "data-bits", required_argument, NULL, TOOLOPT_DATA_BITS },    \
        { "parity", required_argument, NULL, TOOLOPT_PARITY },          \
        { "stop-bits", required_argument, NULL, TOOLOPT_STOP_BITS },    \
        { "flow", required_argument, NULL, TOOLOPT_FLOW }

/*
 * Option opt with value s: a serial option (--serial DEVICE, --baud ...) sets
 * its field of *c and returns 0,
 * or -EINVAL with the config file's reason in why[0..n-1]; any other option
 * returns -ENOENT and changes nothing.
 */
int toolopt_serial(int opt, const char *s, struct io_serial_cfg *c, char *why, size_t n);

/*
 * The numeric options of a tool: opt's value, min..max, into *ret.  0,
 * -EINVAL (refused) or -ENOENT (opt is none of tab[0..n-1]).
 */
struct toolopt_num {
        int opt;
        uint64_t min, max;
        uint64_t *ret;
};
int toolopt_num(const struct toolopt_num *tab, size_t n, int opt, const char *s);

/* The long name of option val in opts[] (ended by a NULL name), or "?". */
const char *toolopt_name(const struct option *opts, int val);

/*
 * s split at each sep into at most max fields f[]: their number, or -EINVAL
 * when there are more.  Empty fields are skipped (strtok_r).  s is changed.
 */
int toolopt_split(char *s, const char *sep, char **f, size_t max);

/*
 * An option's value was refused: "PROG: --OPT: WHY", or "PROG: bad value for
 * --OPT: VALUE" when why is empty, on stderr.
 */
void toolopt_refused(const char *prog, const char *opt, const char *value, const char *why);
