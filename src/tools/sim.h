/* SPDX-License-Identifier: MIT */
/*
 * dnp3sim's state, shared by dnp3sim.c (options, setup, the command
 * language of stdin and --script) and sim_session.c (the outstation
 * session's callbacks: controls, freezes, time sync, connections).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "io/clock.h"
#include "io/outst_io.h"
#include "outstation/outst.h"

#define SIM_MAX_LINE 1024
/* FREEZE_AT_TIME intervals below this (other than 0, once) are refused with IIN2.2 */
#define SIM_FRZ_MIN_INTERVAL_MS 1000

struct sim {
        struct event_base *base;
        struct outst_io *io;
        struct event *ev_stdin;
        struct event *ev_int, *ev_term;
        char line[SIM_MAX_LINE];
        size_t line_len;
        bool line_too_long;
        bool serial;
        bool ready;
        const char *where;
        uint8_t *crob_status;           /* per BO index */
        uint8_t *ao_status;             /* per AO index */
        uint32_t n_bo, n_ao;
        /* FREEZE_AT_TIME: one schedule at a time, a copy of its request */
        struct io_deadline frz_timer;   /* at frz_at, in monotonic ms */
        struct outst_freeze frz;        /* .named is frz_bits */
        uint8_t *frz_bits;              /* the counters, one bit each: n_cnt / 8 + 1 bytes */
        uint32_t n_cnt;
        uint64_t frz_at;                /* next freeze, wall ms */
        bool quit;
        int rc;                         /* the exit status */
};

/* One JSON line on stdout, flushed. */
__attribute__((format(printf, 1, 2)))
void sim_out_line(const char *fmt, ...);

/* The session's callbacks; their ctx is the struct sim. */
extern const struct outst_callbacks sim_outst_cb;
extern const struct outst_io_cb sim_io_cb;

/* The FREEZE_AT_TIME timer (s->frz_timer.ev); arg is the struct sim. */
void sim_on_frz_timer(evutil_socket_t fd, short what, void *arg);
