/* SPDX-License-Identifier: MIT */
/* Command-line parsing shared by dnp3poll and dnp3sim. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "io/pipe.h"

/* An unsigned number (decimal, 0x hex) up to max.  0 or -EINVAL; *ret only on success. */
int toolopt_u64(const char *s, uint64_t max, uint64_t *ret);

/*
 * The serial-line options both tools take, each into its field of *c, with
 * exactly the vocabulary of dnp3gw.conf(5) (io/serial_names.h): numbers as
 * the config file writes them (decimal or 0x hex, optional sign), names in
 * lower case.  0, or -EINVAL with the config file's reason in why[0..n-1].
 */
int toolopt_baud(const char *s, struct io_serial_cfg *c, char *why, size_t n);
int toolopt_data_bits(const char *s, struct io_serial_cfg *c, char *why, size_t n);
int toolopt_parity(const char *s, struct io_serial_cfg *c, char *why, size_t n);
int toolopt_stop_bits(const char *s, struct io_serial_cfg *c, char *why, size_t n);
int toolopt_flow(const char *s, struct io_serial_cfg *c, char *why, size_t n);

/*
 * An option's value was refused: "PROG: --OPT: WHY", or "PROG: bad value for
 * --OPT: VALUE" when why is empty, on stderr.
 */
void toolopt_refused(const char *prog, const char *opt, const char *value, const char *why);
