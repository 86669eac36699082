/* SPDX-License-Identifier: MIT */
/*
 * For the reopening backends of io/pipe.h only (serial port, TCP client):
 * the lifecycle they share.  Open, carry bytes, notice loss (EIO/ENXIO,
 * hangup, USB adapter unplugged, connection reset), and reopen after a
 * backoff: min, doubling up to max.  An open that carried data before it
 * was lost starts the sequence again; one that failed at once (a port that
 * opens and dies) keeps doubling, so nothing ever spins.  The owner hears
 * one callback per state change, never one per retry.
 */
#pragma once

#include "io/pipe_fd.h"

struct io_client;

struct io_client_ops {
        /* Start opening: io_client_up() or io_client_fail() now or later, or -errno now. */
        int (*open)(struct io_client *c, const char **ret_what);
        /* Release what open() took (the fd, the port, a pending connect). */
        void (*shut)(struct io_client *c);
        /* Free what the backend's struct owns besides (copied strings...). */
        void (*release)(struct io_client *c);
        /* What end-of-file means on this transport (err < 0, what). */
        int eof_err;
        const char *eof_what;
};

struct io_client {
        struct io_fdpipe f;             /* first */
        const struct io_client_ops *cops;
        char *where;                    /* owned copy: the device path or the host */
        struct event *retry;
        bool opening;                   /* open() started, not finished */
        bool down_reported;             /* on_down said so since the last up (or start) */
        uint64_t rx_at_up;              /* rx_bytes when it came up: data since resets backoff */
        uint64_t backoff_min, backoff_max;
        uint64_t backoff_ms;            /* delay to use for the next failure */
        uint64_t scheduled_ms;          /* delay of the retry now scheduled */
};

/* The shared part of the ops (the backend adds nothing else). */
extern const struct io_pipe_ops io_client_pipe_ops;

/*
 * A backend's struct, size bytes starting with its struct io_client, zeroed
 * but for the shared part and a copy of where (device path or host; NULL:
 * -ENOMEM, as when out of memory): 0 and *ret, or -ENOMEM.  Then the backend
 * fills pipe.name and its own fields; the pipe's free() frees all of it.
 */
int io_client_new(size_t size, struct event_base *base, const struct io_pipe_cfg *cfg,
                  const struct io_client_ops *cops, const char *where, struct io_client **ret);
/* The backend's open finished: fd carries bytes (sock: a socket). */
void io_client_up(struct io_client *c, int fd, bool sock);
/* The same through a layer (TLS: io/pipe_fd.h). */
void io_client_up_io(struct io_client *c, int fd, const struct io_fdpipe_io *io, void *ctx);
/* The backend's open failed (err: -errno). */
void io_client_fail(struct io_client *c, int err, const char *what);
