/* SPDX-License-Identifier: MIT */
#include "io/pipe_fd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

/*
 * One write of b[0..n) to the fd or through the layer: the bytes taken
 * (0: none now, *want says which readiness to wait for) or -errno.
 */
static ssize_t fd_write(struct io_fdpipe *f, const uint8_t *b, size_t n, enum io_want *want)
{
        ssize_t w;
        *want = IO_WANT_WRITE;
        if (f->io) {
                w = f->io->write(f->io_ctx, b, n, want);
        } else {
                do
                        w = f->sock ? send(f->fd, b, n, MSG_NOSIGNAL) : write(f->fd, b, n);
                while (w < 0 && errno == EINTR);
                if (w < 0)
                        w = -errno;
        }
        if (w == -EAGAIN || w == -EWOULDBLOCK)
                return 0;
        if (w > 0) {
                f->pipe.stats.writes++;
                f->pipe.stats.tx_bytes += (uint64_t)w;
        }
        return w;
}

/* lost()'s what: the layer's text is copied, the backend frees the layer before reporting. */
static const char *fd_what(struct io_fdpipe *f, const char *plain)
{
        if (!f->io)
                return plain;
        snprintf(f->what, sizeof(f->what), "%s", f->io->error(f->io_ctx));
        return f->what;
}

/* Bytes are kept: wait for what the last write said (the layer's may need the fd readable). */
static void fd_wait_write(struct io_fdpipe *f, enum io_want want)
{
        if (want == IO_WANT_READ) {
                f->wr_wants_rd = true;
                if (!f->flush_due)      /* else the write event still has the flush to do */
                        event_del(f->wr);
                event_add(f->rd, NULL);         /* even while paused: the write needs it */
        } else {
                event_add(f->wr, NULL);
        }
}

static void fd_on_read(evutil_socket_t fd, short what, void *arg)
{
        struct io_fdpipe *f = arg;
        uint8_t buf[IO_PIPE_READ_MAX];
        (void)what;

        if (f->werr) {
                f->lost(f, f->werr, fd_what(f, "write"));
                return;
        }
        if (f->wr_wants_rd) {
                /* a layer's write waited for this: it goes on from the write event,
                 * after this read (which may be what it waits for) */
                f->wr_wants_rd = false;
                event_active(f->wr, EV_WRITE, 0);
                if (f->paused)
                        event_del(f->rd);
        } else if (f->paused) {
                return;
        }
        enum io_want want = IO_WANT_READ;
        ssize_t n;
        if (f->io) {
                n = f->io->read(f->io_ctx, buf, sizeof(buf), &want);
        } else {
                n = read(fd, buf, sizeof(buf));
                if (n < 0)
                        n = -errno;
        }
        if (n == -EAGAIN || n == -EWOULDBLOCK || n == -EINTR) {
                if (want == IO_WANT_WRITE) {
                        f->rd_wants_wr = true;
                        event_add(f->wr, NULL);
                }
                return;
        }
        /*
         * A tty read with VMIN = VTIME = 0 (libserialport's setting) gives 0,
         * not EAGAIN, when there is nothing to read, and a pty can signal
         * readable with nothing left (seen under load): one 0 is not a hangup.
         * A line that hung up stays readable and gives 0 every time: lost
         * after IO_FDPIPE_TTY_EOFS in a row.  A socket's 0 is its end.
         */
        if (n == 0 && !f->sock && !f->io && ++f->zero_reads < IO_FDPIPE_TTY_EOFS)
                return;
        if (n <= 0) {
                f->lost(f, (int)n, n == 0 ? "read" : fd_what(f, "read"));
                return;
        }
        f->zero_reads = 0;
        f->pipe.stats.reads++;
        f->pipe.stats.rx_bytes += (uint64_t)n;
        /* what the layer holds already: read on the next pass, not when the fd says so */
        if (f->io && !f->paused && f->io->buffered(f->io_ctx))
                event_active(f->rd, EV_READ, 0);
        if (f->pipe.cb.on_data)
                f->pipe.cb.on_data(f->pipe.ctx, buf, (size_t)n);
        /* f may be closed (or an accepted connection freed) now: touch nothing */
}

static void fd_on_write(evutil_socket_t fd, short what, void *arg)
{
        struct io_fdpipe *f = arg;
        enum io_want want;
        bool emptied = false;
        (void)fd;
        (void)what;

        if (f->rd_wants_wr) {
                f->rd_wants_wr = false;
                if (!f->paused)
                        event_active(f->rd, EV_READ, 0);
        }
        /* the layer's own bytes (a key update) first: what is kept may wait for them */
        if (f->flush_due) {
                int r = f->io->flush(f->io_ctx, &want);
                if (r == -EAGAIN && want == IO_WANT_WRITE)
                        return;
                if (r < 0 && r != -EAGAIN) {
                        f->lost(f, r, fd_what(f, "write"));
                        return;
                }
                f->flush_due = false;   /* done, or it goes on with the reads */
                if (!f->paused && f->io->buffered(f->io_ctx))
                        event_active(f->rd, EV_READ, 0);
        }
        if (f->len > 0) {
                ssize_t w = fd_write(f, f->out + f->off, f->len, &want);
                if (w < 0) {
                        f->lost(f, (int)w, fd_what(f, "write"));
                        return;
                }
                f->off += (size_t)w;
                f->len -= (size_t)w;
                if (f->len > 0) {
                        fd_wait_write(f, want);
                        return;
                }
                free(f->out);           /* nothing kept: no memory held for it */
                f->out = NULL;
                f->off = f->cap = 0;
                emptied = true;
        }
        event_del(f->wr);
        if (emptied && f->refused) {
                f->refused = false;
                if (f->pipe.cb.on_drained)
                        f->pipe.cb.on_drained(f->pipe.ctx);
        }
}

static int fd_attach(struct io_fdpipe *f, int fd, bool sock, const struct io_fdpipe_io *io,
                     void *ctx)
{
        f->rd = event_new(f->base, fd, EV_READ | EV_PERSIST, fd_on_read, f);
        f->wr = event_new(f->base, fd, EV_WRITE | EV_PERSIST, fd_on_write, f);
        if (!f->rd || !f->wr || event_add(f->rd, NULL) < 0) {
                io_fdpipe_detach(f);
                return -ENOMEM;
        }
        f->fd = fd;
        f->zero_reads = 0;
        f->sock = sock;
        f->paused = false;
        f->werr = 0;
        f->io = io;
        f->io_ctx = ctx;
        return 0;
}

int io_fdpipe_attach(struct io_fdpipe *f, int fd, bool sock)
{
        return fd_attach(f, fd, sock, NULL, NULL);
}

int io_fdpipe_attach_io(struct io_fdpipe *f, int fd, const struct io_fdpipe_io *io, void *ctx)
{
        return fd_attach(f, fd, true, io, ctx);
}

void io_fdpipe_kick(struct io_fdpipe *f)
{
        if (f->fd < 0 || !f->io)
                return;
        f->flush_due = true;
        event_add(f->wr, NULL);
}

void io_fdpipe_detach(struct io_fdpipe *f)
{
        if (f->rd)
                event_free(f->rd);
        if (f->wr)
                event_free(f->wr);
        f->rd = f->wr = NULL;
        f->fd = -1;
        f->len = f->off = 0;
        f->refused = false;
        f->io = NULL;
        f->io_ctx = NULL;
        f->rd_wants_wr = f->wr_wants_rd = f->flush_due = false;
}

void io_fdpipe_cleanup(struct io_fdpipe *f)
{
        free(f->out);
        f->out = NULL;
        f->cap = 0;
}

/* Keep b[0..n) after the kept bytes (the caller checked the high-water mark). */
static int fd_keep(struct io_fdpipe *f, const uint8_t *b, size_t n)
{
        if (f->off > 0) {
                memmove(f->out, f->out + f->off, f->len);
                f->off = 0;
        }
        if (f->len + n > f->cap) {
                size_t cap = f->cap ? f->cap : IO_PIPE_READ_MAX;
                while (cap < f->len + n)
                        cap *= 2;
                uint8_t *o = realloc(f->out, cap);
                if (!o)
                        return -ENOMEM;
                f->out = o;
                f->cap = cap;
        }
        memcpy(f->out + f->len, b, n);
        f->len += n;
        return 0;
}

int io_fdpipe_write(struct io_pipe *p, const uint8_t *b, size_t n)
{
        struct io_fdpipe *f = (struct io_fdpipe *)p;
        if (!p->up || f->fd < 0 || f->werr)
                return -ENOTCONN;
        if (f->len + n > f->hw) {
                f->refused = true;
                p->stats.refused++;
                return -ENOBUFS;
        }
        if (f->len > 0)
                return fd_keep(f, b, n);
        enum io_want want;
        ssize_t w = fd_write(f, b, n, &want);
        if (w < 0) {
                /* reported from the loop by the read event, not from inside this call */
                f->werr = (int)w;
                event_active(f->rd, EV_READ, 0);
                return (int)w;
        }
        if ((size_t)w == n)
                return 0;
        int r = fd_keep(f, b + w, n - (size_t)w);
        if (r == 0)
                fd_wait_write(f, want);
        return r;
}

void io_fdpipe_pause_read(struct io_pipe *p, bool pause)
{
        struct io_fdpipe *f = (struct io_fdpipe *)p;
        if (f->fd < 0 || f->paused == pause)
                return;
        f->paused = pause;
        if (pause) {
                if (!f->wr_wants_rd)    /* a layer's write waiting for a read keeps it */
                        event_del(f->rd);
        } else {
                event_add(f->rd, NULL);
                if (f->io && f->io->buffered(f->io_ctx))
                        event_active(f->rd, EV_READ, 0);
        }
}

size_t io_fdpipe_pending(const struct io_pipe *p)
{
        return ((const struct io_fdpipe *)p)->len;
}
