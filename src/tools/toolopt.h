/* SPDX-License-Identifier: MIT */
/* Command-line parsing shared by dnp3poll and dnp3sim. */
#pragma once

#include <stdint.h>

#include "io/stream.h"

/* An unsigned number (decimal, 0x hex) up to max.  0 or -EINVAL; *ret only on success. */
int toolopt_u64(const char *s, uint64_t max, uint64_t *ret);
/* The index of s in names[0..n-1].  0 or -EINVAL. */
int toolopt_enum(const char *s, const char *const *names, size_t n, unsigned *ret);

/* The serial-line options both tools take, each into its field of *c. 0 or -EINVAL. */
int toolopt_baud(const char *s, struct io_serial_cfg *c);
int toolopt_data_bits(const char *s, struct io_serial_cfg *c);
int toolopt_parity(const char *s, struct io_serial_cfg *c);          /* none|odd|even|mark|space */
int toolopt_stop_bits(const char *s, struct io_serial_cfg *c);
int toolopt_flow(const char *s, struct io_serial_cfg *c);            /* none|rtscts|xonxoff|dtrdsr */
