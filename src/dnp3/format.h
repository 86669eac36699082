/* SPDX-License-Identifier: MIT */
/*
 * Human-readable decoding for trace logs, like a protocol analyser:
 *   link:  "DIR PRM UNCONFIRMED_USER_DATA 1->10 len=18"
 *   apdu:  "FIR FIN SEQ=3 READ g60v2 q=0x06 g60v3 q=0x06 g60v4 q=0x06 g60v1 q=0x06"
 *          "FIR FIN SEQ=3 RESPONSE IIN=[DEVICE_RESTART] g30v1 q=0x01 [0..2] 0=12 (0x01) ..."
 * Output is always NUL-terminated and truncated with "..." when buf is too
 * small.  Returns the length written (excluding the NUL).  Pure functions:
 * no clock, no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "obj.h"

size_t fmt_link(char *buf, size_t n, const struct link_frame *f);
/* values: also print each object's index, value, flags and time. */
size_t fmt_apdu(char *buf, size_t n, const uint8_t *apdu, size_t len, bool values);
/* One value as "idx=value (0x01) t=2026-11-22T11:44:43.123Z" for object type d (the
 * flags only for formats that carry them, the time only when the value has one). */
size_t fmt_value(char *buf, size_t n, const struct obj_desc *d, const struct dnp_value *v);
