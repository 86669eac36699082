/* SPDX-License-Identifier: MIT */
/*
 * For the backends of io/pipe.h only: the part of a pipe that moves bytes
 * between an fd and the owner.  One persistent read event (added when the
 * fd is attached, removed only to pause), one read() into a stack buffer of
 * IO_PIPE_READ_MAX bytes per readable event, write() straight from the
 * caller's bytes, the rest kept (bounded by the high-water mark) and the
 * write event armed only while something is kept.  A failed read or write
 * and end-of-file go to the backend's lost() (from the event loop, never
 * from inside io_pipe_write()).
 */
#pragma once

#include "io/pipe.h"

struct event;

/* Reads of 0 in a row that make a tty's hangup (a single one is "nothing to read"). */
#define IO_FDPIPE_TTY_EOFS 3

struct io_fdpipe {
        struct io_pipe pipe;            /* first: the backend casts */
        struct event_base *base;
        int fd;                         /* -1 while detached */
        bool sock;                      /* send(MSG_NOSIGNAL) instead of write() */
        bool paused;
        bool refused;                   /* a write was refused: on_drained when emptied */
        int werr;                       /* a write failed: reported by the read event */
        unsigned zero_reads;            /* tty: read() gave 0 this many times in a row */
        struct event *rd, *wr;
        uint8_t *out;                   /* kept bytes: out[off, off + len) */
        size_t off, len, cap, hw;
        /* End of file (err 0) or a failed read/write: the backend closes and reports. */
        void (*lost)(struct io_fdpipe *f, int err, const char *what);
};

/* The fd carries bytes now: events created, reading on.  0 or -ENOMEM. */
int io_fdpipe_attach(struct io_fdpipe *f, int fd, bool sock);
/* Events freed, kept bytes dropped; the fd is the caller's to close. */
void io_fdpipe_detach(struct io_fdpipe *f);
/* The kept-bytes buffer freed (with the backend). */
void io_fdpipe_cleanup(struct io_fdpipe *f);

int io_fdpipe_write(struct io_pipe *p, const uint8_t *b, size_t n);
void io_fdpipe_pause_read(struct io_pipe *p, bool pause);
size_t io_fdpipe_pending(const struct io_pipe *p);

/* The ops every fd-backed pipe shares, in its struct io_pipe_ops initializer. */
#define IO_FDPIPE_OPS                                   \
        .write = io_fdpipe_write,                       \
        .pause_read = io_fdpipe_pause_read,             \
        .pending = io_fdpipe_pending
