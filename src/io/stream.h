/* SPDX-License-Identifier: MIT */
/*
 * A downstream byte stream: a serial port (libserialport opens and configures
 * it; libevent watches the fd) or a TCP client socket to a terminal server.
 * Both share one lifecycle: open, carry bytes, notice loss (EIO/ENXIO/HUP,
 * USB adapter unplugged, connection reset), and reopen with backoff (1 s
 * doubling to 60 s by default).  The owner hears one callback per state
 * change, never one per retry.
 *
 * Nothing here knows DNP3: bytes in, bytes out.  Writes are non-blocking and
 * buffered up to a high-water mark; reads are delivered as they arrive.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

#include "io/serial_names.h"   /* enum io_parity, enum io_flow */

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
};

struct io_stream_cfg {
        bool tcp;                   /* false: serial */
        struct io_serial_cfg serial;
        struct io_tcp_cfg tcp_cfg;
        uint64_t backoff_min_ms;    /* 0 = 1000 */
        uint64_t backoff_max_ms;    /* 0 = 60000 */
        size_t write_high_water;    /* 0 = 64 KiB: io_stream_write refuses beyond it */
};

struct io_stream_cb {
        void (*on_up)(void *ctx);
        void (*on_data)(void *ctx, const uint8_t *p, size_t n);
        /*
         * The stream was lost, or could not be opened at the first attempt
         * after io_stream_start() (once; later attempts are not reported).
         * err: -errno; what: a short description for the log ("open", "read", ...)
         */
        void (*on_down)(void *ctx, int err, const char *what);
};

struct io_stream_stats {
        uint64_t opens;
        uint64_t open_failures;
        uint64_t losses;
        uint64_t rx_bytes;
        uint64_t tx_bytes;
};

struct io_stream;

/* The configuration strings are copied. */
int io_stream_new(struct event_base *base, const struct io_stream_cfg *cfg,
                  const struct io_stream_cb *cb, void *ctx, struct io_stream **ret);
void io_stream_free(struct io_stream *s);
/* Try to open now; on failure retry with backoff until it works or io_stream_free(). */
void io_stream_start(struct io_stream *s);
bool io_stream_is_up(const struct io_stream *s);
/* Queue bytes.  -ENOTCONN when down, -ENOBUFS above the high-water mark (nothing queued). */
int io_stream_write(struct io_stream *s, const uint8_t *p, size_t n);
/* Bytes queued and not yet written to the fd. */
size_t io_stream_pending(const struct io_stream *s);
/* Drop the connection/port now (e.g. the peer misbehaves) and reopen after backoff. */
void io_stream_reset(struct io_stream *s, int err, const char *what);
/* Delay before the next reopen attempt, in ms (0 when up). */
uint64_t io_stream_backoff_ms(const struct io_stream *s);
const struct io_stream_stats *io_stream_stats(const struct io_stream *s);
/* A short description: the device path or host:port. */
const char *io_stream_name(const struct io_stream *s);
