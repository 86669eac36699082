/* SPDX-License-Identifier: MIT */
/*
 * A byte pipe: one interface over every transport a DNP3 session runs on.
 * Nothing here knows DNP3: bytes in, bytes out, and four callbacks, one per
 * state change or event:
 *
 *   on_up        the pipe carries bytes now (a port opened, a connection
 *                made); an accepted TCP connection is up when it is created
 *   on_data      bytes read: one read() into a fixed buffer per readable
 *                event (at most IO_PIPE_READ_MAX bytes)
 *   on_drained   a write was refused (-ENOBUFS) earlier, and everything kept
 *                since has reached the kernel: the owner may write again
 *   on_down      the pipe stopped carrying bytes (err: -errno, what: for the
 *                log).  Reported once per state change: when an open pipe is
 *                lost or closed, and when the first attempt after start fails
 *                (a port missing at startup is reported, not silent);
 *                further failed attempts are counted, not reported.
 *
 * Writes go straight to the fd: io_pipe_write() calls write() at once when
 * nothing is kept from before, and only what the kernel did not take is
 * kept (up to the high-water mark) and written when the fd turns writable
 * (the one time EV_WRITE is armed).  A write that would take the kept bytes
 * past the high-water mark is refused whole with -ENOBUFS and on_drained
 * follows once the kept bytes are gone: no write is ever retried on a
 * timer.  The read event is persistent (added once per open, not per pass);
 * io_pipe_pause_read() stops reading (back-pressure toward the peer).
 *
 * The backends, one file each, are created by their own constructors:
 *   pipe_conn.c    an accepted TCP connection (io/listener.h creates them);
 *                  once down it stays down (the owner frees it)
 *   pipe_tcp.c     a TCP client (a terminal server), and
 *   pipe_serial.c  a serial port (libserialport opens and configures it;
 *                  owned while open: flock and TIOCEXCL, a port another
 *                  process owns fails with -EBUSY, IO_PIPE_IN_USE);
 *                  these two reopen with backoff (1 s doubling to 60 s by
 *                  default) after a loss until freed (pipe_client.c).
 * io_pipe_open() creates the one a struct io_pipe_cfg names: the transport
 * is one enum value, so a new transport (UDP, TLS) is one new backend file,
 * one line in IO_TRANSPORT_LIST and one config key.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/serial_names.h"   /* enum io_parity, enum io_flow */

struct event_base;
struct io_tls;
struct io_tls_sess;

/*
 * How on_down's what (err -EBUSY) starts when another process owns the
 * serial port; the holder follows when /proc/locks names it:
 * "in use by another process (pid 1234, dnp3gwd)".
 */
#define IO_PIPE_IN_USE "in use by another process"

/* The most one on_data call carries (the size of the one read buffer). */
#define IO_PIPE_READ_MAX 4096

/* Transports a configured (reopening) pipe can use.  X(name, text, constructor) */
#define IO_TRANSPORT_LIST(X)                                    \
        X(SERIAL, "serial", io_pipe_serial_new)                 \
        X(TCP, "tcp", io_pipe_tcp_new)

enum io_transport {
#define X(name, text, ctor) IO_TRANSPORT_##name,
        IO_TRANSPORT_LIST(X)
#undef X
        IO_TRANSPORT_MAX
};

const char *io_transport_name(enum io_transport t);


struct io_serial_cfg {
        const char *device;         /* /dev/ttyS1, /dev/serial/by-id/... (symlinks followed) */
        unsigned baud;
        unsigned data_bits;         /* 5..8 */
        enum io_parity parity;
        unsigned stop_bits;         /* 1 or 2 */
        enum io_flow flow;
};

struct io_tcp_cfg {
        const char *host;           /* name or address */
        uint16_t port;
        /* TLS (io/tls.h) over the connection when set (the pipe takes a reference);
         * the pipe is up once the handshake succeeded, a refused handshake is a
         * failed open (on_down's what: the refusal's text) */
        struct io_tls *tls;
};

/* A pipe that opens itself and reopens after a loss (the strings are copied). */
struct io_pipe_cfg {
        enum io_transport transport;
        struct io_serial_cfg serial;    /* IO_TRANSPORT_SERIAL */
        struct io_tcp_cfg tcp;          /* IO_TRANSPORT_TCP */
        uint64_t backoff_min_ms;    /* 0 = 1000 */
        uint64_t backoff_max_ms;    /* 0 = 60000 */
        size_t write_high_water;    /* 0 = 64 KiB: io_pipe_write refuses beyond it */
};

struct io_pipe_cb {
        void (*on_up)(void *ctx);
        void (*on_data)(void *ctx, const uint8_t *p, size_t n);
        void (*on_drained)(void *ctx);
        void (*on_down)(void *ctx, int err, const char *what);
};

struct io_pipe_stats {
        uint64_t opens;
        uint64_t open_failures;
        uint64_t losses;            /* an open pipe lost or closed */
        uint64_t reads;             /* read() calls that returned bytes */
        uint64_t writes;            /* write() calls that took bytes */
        uint64_t rx_bytes;
        uint64_t tx_bytes;
        uint64_t refused;           /* writes refused with -ENOBUFS */
};

struct io_pipe;

/* What differs between backends. */
struct io_pipe_ops {
        /* 0: taken whole (written or kept); -ENOBUFS: refused whole; -ENOTCONN: down */
        int (*write)(struct io_pipe *p, const uint8_t *b, size_t n);
        void (*pause_read)(struct io_pipe *p, bool pause);
        /* Bytes kept, not yet written. */
        size_t (*pending)(const struct io_pipe *p);
        /* Open now (a reopening pipe keeps trying); NULL: up from creation. */
        void (*start)(struct io_pipe *p);
        /* Drop the link now (on_down follows at once if it was up); a
         * reopening pipe tries again after its backoff. */
        void (*close)(struct io_pipe *p, int err, const char *what);
        /* Delay before the next open attempt in ms (0 when up or not reopening). */
        uint64_t (*backoff_ms)(const struct io_pipe *p);
        void (*free)(struct io_pipe *p);
};

/* The part every backend shares (the first member of each backend's struct). */
struct io_pipe {
        const struct io_pipe_ops *ops;
        struct io_pipe_cb cb;
        void *ctx;
        bool up;
        bool reopens;               /* reopens after a loss (else: down for good) */
        char name[300];             /* device path, host:port or peer address */
        struct io_pipe_stats stats;
        struct io_tls_sess *tls;    /* the TLS session while a TLS pipe is up (io/tls.h) */
};

/* Create a reopening pipe of cfg->transport (not started).  0 or -errno. */
int io_pipe_open(struct event_base *base, const struct io_pipe_cfg *cfg, struct io_pipe **ret);
/* The backends' constructors (io_pipe_open picks one). */
int io_pipe_serial_new(struct event_base *base, const struct io_pipe_cfg *cfg, struct io_pipe **ret);
int io_pipe_tcp_new(struct event_base *base, const struct io_pipe_cfg *cfg, struct io_pipe **ret);

void io_pipe_set_cb(struct io_pipe *p, const struct io_pipe_cb *cb, void *ctx);

static inline int io_pipe_write(struct io_pipe *p, const uint8_t *b, size_t n)
{
        return p->ops->write(p, b, n);
}

static inline void io_pipe_pause_read(struct io_pipe *p, bool pause)
{
        p->ops->pause_read(p, pause);
}

static inline size_t io_pipe_pending(const struct io_pipe *p)
{
        return p->ops->pending(p);
}

static inline void io_pipe_start(struct io_pipe *p)
{
        if (p->ops->start)
                p->ops->start(p);
}

static inline void io_pipe_close(struct io_pipe *p, int err, const char *what)
{
        p->ops->close(p, err, what);
}

static inline uint64_t io_pipe_backoff_ms(const struct io_pipe *p)
{
        return p->ops->backoff_ms ? p->ops->backoff_ms(p) : 0;
}

static inline bool io_pipe_is_up(const struct io_pipe *p)
{
        return p->up;
}

static inline const char *io_pipe_name(const struct io_pipe *p)
{
        return p->name;
}

static inline const struct io_pipe_stats *io_pipe_stats(const struct io_pipe *p)
{
        return &p->stats;
}

/*
 * Free (NULL is fine).  A reopening pipe: not from inside its own
 * callbacks.  An accepted connection may be freed from inside them: its
 * memory is released from the event loop afterwards (run the loop once
 * more, EVLOOP_NONBLOCK, before event_base_free()).
 */
void io_pipe_free(struct io_pipe *p);
