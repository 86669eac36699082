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
 *
 * A layered transport (TLS) replaces read() and write() with its own
 * (struct io_fdpipe_io): a call that cannot go on says which readiness of
 * the fd it waits for (a TLS read may need to write, a write to read), and
 * only that event is armed, so nothing spins.  Bytes it holds already
 * decrypted are read on the next loop pass without waiting for the fd, and
 * bytes of its own (a key update) are sent through the write event
 * (io_fdpipe_kick()).
 */
#pragma once

#include <sys/types.h>

#include "io/pipe.h"

struct event;

/* Reads of 0 in a row that make a tty's hangup (a single one is "nothing to read"). */
#define IO_FDPIPE_TTY_EOFS 3

/* What a layered call waits for before it can go on. */
enum io_want {
        IO_WANT_NONE,
        IO_WANT_READ,                   /* the fd readable */
        IO_WANT_WRITE,                  /* the fd writable */
};

struct io_fdpipe_io {
        /* > 0 bytes read; 0 end of file; -EAGAIN with *want; -errno: failed. */
        ssize_t (*read)(void *ctx, uint8_t *b, size_t n, enum io_want *want);
        /* > 0 bytes taken; -EAGAIN with *want (none taken); -errno: failed. */
        ssize_t (*write)(void *ctx, const uint8_t *b, size_t n, enum io_want *want);
        /* Send the layer's own bytes: 0 done, -EAGAIN with *want, -errno. */
        int (*flush)(void *ctx, enum io_want *want);
        /* Bytes read from the fd that read() can return without the fd turning readable. */
        bool (*buffered)(void *ctx);
        /* The text of the last failure (lost()'s what). */
        const char *(*error)(void *ctx);
};

struct io_fdpipe {
        struct io_pipe pipe;            /* first: the backend casts */
        struct event_base *base;
        int fd;                         /* -1 while detached */
        bool sock;                      /* send(MSG_NOSIGNAL) instead of write() */
        bool paused;
        bool refused;                   /* a write was refused: on_drained when emptied */
        int werr;                       /* a write failed: reported by the read event */
        unsigned zero_reads;            /* tty: read() gave 0 this many times in a row */
        const struct io_fdpipe_io *io;  /* a layer instead of read()/write(); NULL: none */
        void *io_ctx;
        bool rd_wants_wr;               /* the layer's read waits for the fd writable */
        bool wr_wants_rd;               /* the layer's write waits for the fd readable */
        bool flush_due;                 /* the layer has bytes of its own to send */
        char what[264];                 /* the layer's failure, as lost() reported it */
        struct event *rd, *wr;
        uint8_t *out;                   /* kept bytes: out[off, off + len) */
        size_t off, len, cap, hw;
        /* End of file (err 0) or a failed read/write: the backend closes and reports. */
        void (*lost)(struct io_fdpipe *f, int err, const char *what);
};

/* The fd carries bytes now: events created, reading on.  0 or -ENOMEM. */
int io_fdpipe_attach(struct io_fdpipe *f, int fd, bool sock);
/* The same, through a layer (io, ctx) instead of read()/write(). */
int io_fdpipe_attach_io(struct io_fdpipe *f, int fd, const struct io_fdpipe_io *io, void *ctx);
/* The layer has bytes of its own to send: flush() runs from the write event. */
void io_fdpipe_kick(struct io_fdpipe *f);
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
