/* SPDX-License-Identifier: MIT */
/*
 * One master channel (src/master/master_chan.h) run over one reopening byte
 * pipe (io/pipe.h: a serial port, or a TCP client to a terminal server).
 *
 * The adapter creates and owns the channel and one runner (io/runner.h)
 * with the pipe: the pipe coming up opens the channel (devices start),
 * going down closes it (devices go offline, controls fail) and the pipe
 * reopens with its backoff.  The runner does all the driving (bytes in,
 * output straight to the port, one timer at master_chan_deadline(), the
 * wake upcall); what is left here is the master's own: before each verb
 * the channel's wall offset is made current (CLOCK_REALTIME -
 * CLOCK_MONOTONIC: the clock may be stepped), and on a serial port the
 * response timer counts the wire time of the requests: byte_time_us = 11
 * bits / baud, unless the channel config sets it.
 *
 * The master_callbacks (values, states, IIN, controls...) go straight to
 * the owner.  Devices are added before master_io_start().  master_*()
 * calls on the channel or a device that queue work (a control, a freeze,
 * a demand) raise the channel's wake upcall: the request is written in
 * the same event-loop pass.  Calls from inside a callback are allowed;
 * freeing is not.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/pipe.h"
#include "io/runner.h"
#include "master/master_chan.h"
#include "master/master_cmd.h"
#include "master/master_dev.h"

struct event_base;

struct master_io_cb {
        /* The pipe is up (the channel is open) / went down (err: -errno, what: for the log). */
        void (*on_up)(void *ctx);
        void (*on_down)(void *ctx, int err, const char *what);
};

struct master_io_cfg {
        struct io_pipe_cfg pipe;        /* serial port or TCP client (strings copied) */
        struct master_chan_cfg chan;    /* byte_time_us: 0 = derived from the baud rate */
};

struct master_io_stats {
        struct io_runner_stats run;     /* the runner's */
};

struct master_io;

/* 11 bits at baud in microseconds (rounded up); 0 for baud 0. */
uint32_t master_io_byte_time_us(unsigned baud);

/*
 * Create the channel (master_chan_new(cfg->chan, mcb)) and the pipe (not
 * started).  ctx is passed to cb.  0 or -errno (-EINVAL, -ENOMEM).
 */
int master_io_new(struct event_base *base, const struct master_io_cfg *cfg,
                  const struct master_callbacks *mcb, const struct master_io_cb *cb, void *ctx,
                  struct master_io **ret);
/* Closes the pipe and frees the channel.  Not from inside a callback of this instance. */
void master_io_free(struct master_io *io);

/* master_chan_add_dev(), before master_io_start(). */
int master_io_add_dev(struct master_io *io, const struct master_dev_cfg *cfg,
                      struct master_dev **ret);
/* Open the pipe (and keep reopening it with backoff). */
void master_io_start(struct master_io *io);

struct master_chan *master_io_chan(struct master_io *io);
struct io_pipe *master_io_pipe(struct master_io *io);
bool master_io_is_up(const struct master_io *io);
const struct master_io_stats *master_io_stats(struct master_io *io);
/* Its runner (for a protocol trace tap, io_runner_set_tap). */
struct io_runner *master_io_runner(struct master_io *io);

/* master_dev_control() with the current time. */
int master_io_control(struct master_io *io, struct master_dev *d, enum master_cmd_mode mode,
                      const struct master_cmd_obj *objs, size_t n, master_cmd_cb cb,
                      void *cb_ctx, uint32_t *ret_id);
/* master_dev_demand() with the current time. */
void master_io_demand(struct master_io *io, struct master_dev *d, enum master_task t);
