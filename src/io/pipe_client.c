/* SPDX-License-Identifier: MIT */
#include "io/pipe_client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define HIGH_WATER (64 * 1024)

static void client_next_backoff(struct io_client *c)
{
        if (c->f.pipe.stats.rx_bytes > c->rx_at_up) {
                c->backoff_ms = c->backoff_min;
                c->rx_at_up = c->f.pipe.stats.rx_bytes;
        }
        c->scheduled_ms = c->backoff_ms;
        struct timeval tv = {
                .tv_sec = (time_t)(c->scheduled_ms / 1000),
                .tv_usec = (suseconds_t)((c->scheduled_ms % 1000) * 1000),
        };
        evtimer_add(c->retry, &tv);
        uint64_t next = c->backoff_ms * 2;
        c->backoff_ms = next > c->backoff_max ? c->backoff_max : next;
}

/* Close what is open and forget kept bytes. */
static void client_shut(struct io_client *c)
{
        io_fdpipe_detach(&c->f);
        c->cops->shut(c);
        c->f.pipe.up = false;
        c->opening = false;
}

void io_client_fail(struct io_client *c, int err, const char *what)
{
        struct io_pipe *p = &c->f.pipe;
        bool was_up = p->up;
        client_shut(c);
        if (was_up)
                p->stats.losses++;
        else
                p->stats.open_failures++;
        client_next_backoff(c);
        if (!c->down_reported) {
                c->down_reported = true;
                if (p->cb.on_down)
                        p->cb.on_down(p->ctx, err, what);
        }
}

static void client_up(struct io_client *c, int r)
{
        struct io_pipe *p = &c->f.pipe;
        if (r < 0) {
                io_client_fail(c, r, "open");
                return;
        }
        c->opening = false;
        c->down_reported = false;
        c->rx_at_up = p->stats.rx_bytes;
        p->up = true;
        p->stats.opens++;
        if (p->cb.on_up)
                p->cb.on_up(p->ctx);
}

void io_client_up(struct io_client *c, int fd, bool sock)
{
        client_up(c, io_fdpipe_attach(&c->f, fd, sock));
}

void io_client_up_io(struct io_client *c, int fd, const struct io_fdpipe_io *io, void *ctx)
{
        client_up(c, io_fdpipe_attach_io(&c->f, fd, io, ctx));
}

static void client_lost(struct io_fdpipe *f, int err, const char *what)
{
        struct io_client *c = (struct io_client *)f;
        if (err == 0)
                io_client_fail(c, c->cops->eof_err, c->cops->eof_what);
        else
                io_client_fail(c, err, what);
}

static void client_start(struct io_pipe *p)
{
        struct io_client *c = (struct io_client *)p;
        if (p->up || c->opening)
                return;
        c->opening = true;
        const char *what = "open";
        int r = c->cops->open(c, &what);
        if (r < 0)
                io_client_fail(c, r, what);
}

static void client_retry_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        client_start(arg);
}

static void client_close(struct io_pipe *p, int err, const char *what)
{
        struct io_client *c = (struct io_client *)p;
        if (!p->up && !c->opening)
                return;
        evtimer_del(c->retry);
        io_client_fail(c, err, what);
}

static uint64_t client_backoff_ms(const struct io_pipe *p)
{
        return p->up ? 0 : ((const struct io_client *)p)->scheduled_ms;
}

/* Stop (shut, no retry) and free the shared part; the backend frees its struct. */
static void client_cleanup(struct io_client *c)
{
        if (c->cops && (c->f.fd >= 0 || c->opening))
                client_shut(c);
        if (c->retry)
                event_free(c->retry);
        c->retry = NULL;
        io_fdpipe_cleanup(&c->f);
}

static void client_free(struct io_pipe *p)
{
        struct io_client *c = (struct io_client *)p;
        client_cleanup(c);
        if (c->cops->release)
                c->cops->release(c);
        free(c->where);
        free(c);                /* the backend's struct starts with it */
}

const struct io_pipe_ops io_client_pipe_ops = {
        IO_FDPIPE_OPS,
        .start = client_start,
        .close = client_close,
        .backoff_ms = client_backoff_ms,
        .free = client_free,
};

int io_client_new(size_t size, struct event_base *base, const struct io_pipe_cfg *cfg,
                  const struct io_client_ops *cops, const char *where, struct io_client **ret)
{
        struct io_client *c = calloc(1, size);
        if (!c)
                return -ENOMEM;
        c->f.pipe.ops = &io_client_pipe_ops;
        c->f.pipe.reopens = true;
        c->f.base = base;
        c->f.fd = -1;
        c->f.hw = cfg->write_high_water ? cfg->write_high_water : HIGH_WATER;
        c->f.lost = client_lost;
        c->cops = cops;
        c->backoff_min = cfg->backoff_min_ms ? cfg->backoff_min_ms : BACKOFF_MIN_MS;
        c->backoff_max = cfg->backoff_max_ms ? cfg->backoff_max_ms : BACKOFF_MAX_MS;
        if (c->backoff_max < c->backoff_min)
                c->backoff_max = c->backoff_min;
        c->backoff_ms = c->backoff_min;
        c->retry = evtimer_new(base, client_retry_cb, c);
        c->where = where ? strdup(where) : NULL;
        if (!c->retry || !c->where) {
                client_free(&c->f.pipe);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}
