/* SPDX-License-Identifier: MIT */
/*
 * The serial-line vocabulary: the parity and flow-control names and the baud
 * rates, data bits and stop bits a DNP3 serial channel may use.  One table
 * for dnp3gw.conf(5) (src/daemon/config_sessions.c) and for the --baud,
 * --data-bits, --parity, --stop-bits and --flow options of dnp3poll and
 * dnp3sim (src/tools/toolopt.c): both accept exactly these values, names
 * spelled as here (lower case; case matters), and refuse any other with the
 * same reason.
 */
#pragma once

#include <stddef.h>

/* X(NAME, "name") */
#define IO_PARITY_LIST(X)       \
        X(NONE, "none")         \
        X(ODD, "odd")           \
        X(EVEN, "even")         \
        X(MARK, "mark")         \
        X(SPACE, "space")

enum io_parity {
#define X(name, str) IO_PARITY_##name,
        IO_PARITY_LIST(X)
#undef X
        IO_PARITY_MAX
};

/*
 * X(NAME, "name", why the name is refused or NULL).  The serial port can do
 * XON/XOFF, but DNP3 frames are binary and contain the bytes 0x11 and 0x13.
 */
#define IO_FLOW_LIST(X)                                                         \
        X(NONE, "none", NULL)                                                   \
        X(RTSCTS, "rtscts", NULL)                                               \
        X(XONXOFF, "xonxoff", "DNP3 frames are binary and contain XON/XOFF "    \
          "bytes (use \"none\" or \"rtscts\")")                                 \
        X(DTRDSR, "dtrdsr", NULL)

enum io_flow {
#define X(name, str, refused) IO_FLOW_##name,
        IO_FLOW_LIST(X)
#undef X
        IO_FLOW_MAX
};

/* X(rate): the baud rates a channel may use. */
#define IO_BAUD_LIST(X)                                                         \
        X(300) X(600) X(1200) X(1800) X(2400) X(4800) X(9600) X(19200) X(38400) \
        X(57600) X(115200) X(230400) X(460800) X(921600)

/* The name of p / f, NAMES_UNKNOWN (dnp3/names.h) for a value outside the table. */
const char *io_parity_name(enum io_parity p);
const char *io_flow_name(enum io_flow f);

/*
 * The closest of names[0..n-1] (NULL entries skipped) to word, or NULL: the
 * config file's "did you mean" (the tools pass none).
 */
typedef const char *io_names_hint_fn(const char *word, const char *const *names, size_t n);

/*
 * Each checks one value against the vocabulary: 0 and *ret (names), or
 * -EINVAL and the reason in why[0..n-1], worded as the config file words it
 * after the setting's name, e.g. "14400 is not a supported baud rate (300,
 * ...)" or "\"evn\" is not one of none, odd, even, mark, space".  A
 * hint adds " (did you mean \"even\"?)" when it finds one.
 */
int io_parity_parse(const char *s, enum io_parity *ret, io_names_hint_fn *hint, char *why,
                    size_t n);
int io_flow_parse(const char *s, enum io_flow *ret, io_names_hint_fn *hint, char *why, size_t n);
int io_baud_check(long long v, char *why, size_t n);
int io_data_bits_check(long long v, char *why, size_t n);      /* 8 */
int io_stop_bits_check(long long v, char *why, size_t n);      /* 1 or 2 */
