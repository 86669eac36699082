/* SPDX-License-Identifier: MIT */
/*
 * Requests a DNP3 master sends (built with the codec's APDU writer): class
 * reads, unsolicited enable/disable, restart-bit clear, time
 * synchronisation, freezes, application confirms.  Pure functions, no state.
 *
 * Each builder writes one complete single-fragment request (FIR FIN, the
 * given sequence) into buf and returns 0 with *ret_len set, or -ENOBUFS.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Class mask bits. */
#define MASTER_CLASS0 0x01u
#define MASTER_CLASS1 0x02u
#define MASTER_CLASS2 0x04u
#define MASTER_CLASS3 0x08u
#define MASTER_CLASS_EVENTS (MASTER_CLASS1 | MASTER_CLASS2 | MASTER_CLASS3)
#define MASTER_CLASS_ALL (MASTER_CLASS_EVENTS | MASTER_CLASS0)

/* The largest request the builders here produce, freezes aside. */
#define MASTER_REQ_SMALL 32

/*
 * A freeze request: IMMED_FREEZE(_NR), FREEZE_CLEAR(_NR) or
 * FREEZE_AT_TIME(_NR) of counter ranges.  Each range is one g20v0 header
 * with a start-stop qualifier (0x00, or 0x01 past index 255): IEDs of
 * subset level 3 take these for freezes, and opendnp3-based ones take no
 * index lists there.  FREEZE_AT_TIME(_NR) opens with the g50v2 object
 * (qualifier 0x07, one object: 48-bit time, 32-bit interval).  32 ranges
 * at most: 2 + 14 + 32 x 7 = 240 bytes, within the smallest fragment an
 * outstation must take (249).
 */
#define MASTER_FREEZE_MAX_RANGES 32
#define MASTER_FREEZE_REQ_MAX (2 + 14 + MASTER_FREEZE_MAX_RANGES * 7)

struct master_freeze_range {
        uint16_t start, stop;           /* start <= stop */
};

struct master_freeze {
        uint8_t func;                   /* APP_FUNC_IMMED_FREEZE .. APP_FUNC_FREEZE_AT_TIME_NR */
        uint64_t time;                  /* FREEZE_AT_TIME(_NR): ms since 1970 (48 bits) */
        uint32_t interval_ms;           /* FREEZE_AT_TIME(_NR): 0 = once */
        size_t n;                       /* ranges, 1..MASTER_FREEZE_MAX_RANGES */
        struct master_freeze_range r[MASTER_FREEZE_MAX_RANGES];
};

/* READ g60 for the classes in mask, in the order class 1, 2, 3, 0 (integrity poll = all four). */
int master_req_read_classes(uint8_t *buf, size_t cap, uint8_t seq, unsigned mask,
                            size_t *ret_len);
/* ENABLE_UNSOLICITED / DISABLE_UNSOLICITED for the event classes in mask (class 0 ignored). */
int master_req_unsol(uint8_t *buf, size_t cap, uint8_t seq, bool enable, unsigned mask,
                     size_t *ret_len);
/* WRITE g80v1 index 7 = 0 (clear IIN1.7 DEVICE_RESTART). */
int master_req_clear_restart(uint8_t *buf, size_t cap, uint8_t seq, size_t *ret_len);
/* A request without objects (DELAY_MEASURE, RECORD_CURRENT_TIME, COLD_RESTART...). */
int master_req_func(uint8_t *buf, size_t cap, uint8_t seq, uint8_t func, size_t *ret_len);
/* WRITE g50v1 (var 1, time of day) or g50v3 (var 3, last recorded time), one object. */
int master_req_write_time(uint8_t *buf, size_t cap, uint8_t seq, uint8_t var, uint64_t time_ms,
                          size_t *ret_len);
/* Whether f is a valid freeze request: 0 or -EINVAL (function, n, a range). */
int master_req_freeze_check(const struct master_freeze *f);
/* A freeze request (above): 0, -EINVAL (as master_req_freeze_check), -ENOBUFS. */
int master_req_freeze(uint8_t *buf, size_t cap, uint8_t seq, const struct master_freeze *f,
                      size_t *ret_len);
/* Whether func is one of the six freeze functions (7..12), and whether it takes no response. */
bool master_req_is_freeze(uint8_t func);
bool master_req_freeze_nr(uint8_t func);
/* Application CONFIRM (FIR FIN, UNS for an unsolicited response). */
int master_req_confirm(uint8_t *buf, size_t cap, uint8_t seq, bool uns, size_t *ret_len);

/*
 * One-way propagation delay for the "write" time sync: half of the measured
 * round trip minus the outstation's reported processing delay, 0 if negative.
 */
uint64_t master_req_tsync_delay(uint64_t round_trip_ms, uint64_t processing_ms);
