/* SPDX-License-Identifier: MIT */
/*
 * A master channel over a serial port or a TCP client stream, with one
 * libevent timer.  See master_io.h.
 */
#include "io/master_io.h"

#include "io/clock.h"

#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>

/* The stream has no "drained" callback: retry a refused write after this long. */
#define MASTER_IO_RETRY_MS 10
/* Bits of one character on the wire (start, 8 data, parity, stop: the worst usual case). */
#define MASTER_IO_CHAR_BITS 11u

struct master_io {
        struct event_base *base;
        struct master_chan *ch;
        struct io_stream *st;
        struct io_deadline timer;       /* armed at master_chan_deadline() */
        bool up;
        bool blocked;                   /* the stream refused output: retry on the timer */
        unsigned depth;                 /* > 0 while inside a master_chan_*() call */
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

/* Monotonic now; keeps the channel's wall-clock offset current (the clock may be stepped). */
static uint64_t io_now(struct master_io *io)
{
        master_chan_set_wall_offset(io->ch, io_wall_offset_ms());
        return io_mono_ms();
}

static void io_rearm(struct master_io *io, uint64_t now)
{
        uint64_t d = master_chan_deadline(io->ch);
        if (io->blocked && now + MASTER_IO_RETRY_MS < d)
                d = now + MASTER_IO_RETRY_MS;
        io_deadline_arm(&io->timer, d, now);
}

static void io_flush(struct master_io *io)
{
        io->blocked = false;
        const uint8_t *p;
        size_t n = master_chan_output(io->ch, &p);
        if (n == 0)
                return;
        int r = io->up ? io_stream_write(io->st, p, n) : -ENOTCONN;
        if (r == -ENOBUFS) {
                io->blocked = true;
                io->stats.write_blocked++;
                return;
        }
        if (r < 0)
                io->stats.write_dropped += n;
        master_chan_consumed(io->ch, n, io_mono_ms());
}

/* After every input to the channel: send its output, re-arm the timer. */
static void io_after(struct master_io *io, uint64_t now)
{
        if (io->depth > 0)
                return;
        /* work that is due now starts now, not from a 0 ms timer (bounded) */
        for (unsigned i = 0; i < 4 && master_chan_deadline(io->ch) <= now; i++) {
                io->depth++;
                master_chan_timer(io->ch, now);
                io->depth--;
        }
        io_flush(io);
        io_rearm(io, now);
}

/* The channel has output or a new deadline: a control, a freeze or a poll was queued. */
static void io_on_wake(void *ctx)
{
        struct master_io *io = ctx;
        if (io->depth == 0)     /* else the call running now flushes when it returns */
                io_after(io, io_now(io));
}

static void io_on_up(void *ctx)
{
        struct master_io *io = ctx;
        uint64_t now = io_now(io);
        io->up = true;
        io->depth++;
        master_chan_up(io->ch, now);
        if (io->cb.on_up)
                io->cb.on_up(io->ctx);
        io->depth--;
        io_after(io, now);
}

static void io_on_data(void *ctx, const uint8_t *p, size_t n)
{
        struct master_io *io = ctx;
        uint64_t now = io_now(io);
        io->stats.rx_wakeups++;
        io->depth++;
        master_chan_rx(io->ch, p, n, now);
        io->depth--;
        io_after(io, now);
}

static void io_on_down(void *ctx, int err, const char *what)
{
        struct master_io *io = ctx;
        uint64_t now = io_now(io);
        io->up = false;
        io->depth++;
        master_chan_down(io->ch, now);
        if (io->cb.on_down)
                io->cb.on_down(io->ctx, err, what);
        io->depth--;
        io_after(io, now);
}

static void io_on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct master_io *io = arg;
        (void)fd;
        (void)what;
        uint64_t now = io_now(io);
        io_deadline_fired(&io->timer);
        io->stats.timer_wakeups++;
        io->depth++;
        master_chan_timer(io->ch, now);
        io->depth--;
        io_after(io, now);
}

int master_io_new(struct event_base *base, const struct master_io_cfg *cfg,
                  const struct master_callbacks *mcb, const struct master_io_cb *cb, void *ctx,
                  struct master_io **ret)
{
        struct master_io *io = calloc(1, sizeof(*io));
        if (!io)
                return -ENOMEM;
        io->base = base;
        io->timer.armed = DNP_NEVER;
        if (cb)
                io->cb = *cb;
        io->ctx = ctx;

        struct master_chan_cfg cc = cfg->chan;
        if (!cfg->stream.tcp && cc.byte_time_us == 0)
                cc.byte_time_us = master_io_byte_time_us(cfg->stream.serial.baud);
        int r = master_chan_new(&cc, mcb, &io->ch);
        if (r < 0)
                goto fail;
        master_chan_sess(io->ch)->wake = io_on_wake;
        master_chan_sess(io->ch)->wake_ctx = io;
        static const struct io_stream_cb scb = {
                .on_up = io_on_up,
                .on_data = io_on_data,
                .on_down = io_on_down,
        };
        r = io_stream_new(base, &cfg->stream, &scb, io, &io->st);
        if (r < 0)
                goto fail;
        io->timer.ev = evtimer_new(base, io_on_timer, io);
        if (!io->timer.ev) {
                r = -ENOMEM;
                goto fail;
        }
        *ret = io;
        return 0;
fail:
        master_io_free(io);
        return r;
}

void master_io_free(struct master_io *io)
{
        if (!io)
                return;
        if (io->timer.ev)
                event_free(io->timer.ev);
        io_stream_free(io->st);
        master_chan_free(io->ch);
        free(io);
}

int master_io_add_dev(struct master_io *io, const struct master_dev_cfg *cfg,
                      struct master_dev **ret)
{
        return master_chan_add_dev(io->ch, cfg, ret);
}

void master_io_start(struct master_io *io)
{
        io_stream_start(io->st);
}

struct master_chan *master_io_chan(struct master_io *io)
{
        return io->ch;
}

struct io_stream *master_io_stream(struct master_io *io)
{
        return io->st;
}

bool master_io_is_up(const struct master_io *io)
{
        return io->up;
}

const struct master_io_stats *master_io_stats(const struct master_io *io)
{
        return &io->stats;
}

void master_io_kick(struct master_io *io)
{
        if (io->depth > 0)
                return;
        io_after(io, io_now(io));
}

int master_io_control(struct master_io *io, struct master_dev *d, enum master_cmd_mode mode,
                      const struct master_cmd_obj *objs, size_t n, master_cmd_cb cb,
                      void *cb_ctx, uint32_t *ret_id)
{
        int r = master_dev_control(d, mode, objs, n, cb, cb_ctx, io_now(io), ret_id);
        if (r == 0)
                master_io_kick(io);
        return r;
}

void master_io_demand(struct master_io *io, struct master_dev *d, enum master_task t)
{
        master_dev_demand(d, t, io_now(io));
        master_io_kick(io);
}
