/* SPDX-License-Identifier: MIT */
/* A master channel and its runner over one reopening pipe: see master_io.h. */
#include "io/master_io.h"

#include "io/clock.h"

#include <errno.h>
#include <stdlib.h>

/* Bits of one character on the wire (start, 8 data, parity, stop: the worst usual case). */
#define MASTER_IO_CHAR_BITS 11u

struct master_io {
        struct master_chan *ch;
        struct io_runner *run;
        struct io_pipe *pipe;           /* the runner's */
        struct master_io_cb cb;
        void *ctx;
        struct master_io_stats stats;
};

uint32_t master_io_byte_time_us(unsigned baud)
{
        if (baud == 0)
                return 0;
        return (uint32_t)((MASTER_IO_CHAR_BITS * 1000000u + baud - 1) / baud);
}

/* Before each verb: the wall-clock offset is current (the clock may be stepped). */
static void io_before(void *ctx)
{
        struct master_io *io = ctx;
        master_chan_set_wall_offset(io->ch, io_wall_offset_ms());
}

static void io_on_up(void *ctx)
{
        struct master_io *io = ctx;
        if (io->cb.on_up)
                io->cb.on_up(io->ctx);
}

static void io_on_down(void *ctx, int err, const char *what)
{
        struct master_io *io = ctx;
        if (io->cb.on_down)
                io->cb.on_down(io->ctx, err, what);
}

void master_io_free(struct master_io *io)
{
        if (!io)
                return;
        io_runner_free(io->run);        /* and the pipe */
        master_chan_free(io->ch);
        free(io);
}

int master_io_new(struct event_base *base, const struct master_io_cfg *cfg,
                  const struct master_callbacks *mcb, const struct master_io_cb *cb, void *ctx,
                  struct master_io **ret)
{
        struct master_io *io = calloc(1, sizeof(*io));
        if (!io)
                return -ENOMEM;
        if (cb)
                io->cb = *cb;
        io->ctx = ctx;

        struct master_chan_cfg cc = cfg->chan;
        if (cfg->pipe.transport == IO_TRANSPORT_SERIAL && cc.byte_time_us == 0)
                cc.byte_time_us = master_io_byte_time_us(cfg->pipe.serial.baud);
        int r = master_chan_new(&cc, mcb, &io->ch);
        if (r < 0)
                goto fail;
        master_chan_set_wall_offset(io->ch, io_wall_offset_ms());
        static const struct io_runner_cb rcb = {
                .before = io_before,
                .on_up = io_on_up,
                .on_down = io_on_down,
        };
        r = io_runner_new(base, master_chan_sess(io->ch), &rcb, io, &io->run);
        if (r < 0)
                goto fail;
        r = io_pipe_open(base, &cfg->pipe, &io->pipe);
        if (r < 0)
                goto fail;
        io_runner_attach(io->run, io->pipe, NULL, 0);
        *ret = io;
        return 0;
fail:
        master_io_free(io);
        return r;
}

int master_io_add_dev(struct master_io *io, const struct master_dev_cfg *cfg,
                      struct master_dev **ret)
{
        return master_chan_add_dev(io->ch, cfg, ret);
}

void master_io_start(struct master_io *io)
{
        io_pipe_start(io->pipe);
}

struct master_chan *master_io_chan(struct master_io *io)
{
        return io->ch;
}

struct io_pipe *master_io_pipe(struct master_io *io)
{
        return io->pipe;
}

bool master_io_is_up(const struct master_io *io)
{
        return io_runner_is_up(io->run);
}

struct io_runner *master_io_runner(struct master_io *io)
{
        return io->run;
}

const struct master_io_stats *master_io_stats(struct master_io *io)
{
        io->stats.run = *io_runner_stats(io->run);
        return &io->stats;
}

int master_io_control(struct master_io *io, struct master_dev *d, enum master_cmd_mode mode,
                      const struct master_cmd_obj *objs, size_t n, master_cmd_cb cb,
                      void *cb_ctx, uint32_t *ret_id)
{
        io_before(io);
        return master_dev_control(d, mode, objs, n, cb, cb_ctx, io_mono_ms(), ret_id);
}

void master_io_demand(struct master_io *io, struct master_dev *d, enum master_task t)
{
        io_before(io);
        master_dev_demand(d, t, io_mono_ms());
}
