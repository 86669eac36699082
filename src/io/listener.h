/* SPDX-License-Identifier: MIT */
/*
 * Upstream TCP: a listening socket with a peer allow-list, and the accepted
 * connections.  Policy (one master per outstation, a new connection
 * replacing the old one) belongs to the owner; this only accepts, filters,
 * carries bytes and reports.
 *
 * Accepted sockets get TCP_NODELAY: DNP3 is request/response with small
 * fragments, and Nagle plus delayed ACKs would hold each confirmed fragment
 * for tens of milliseconds.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "io/addr.h"

struct event_base;
struct io_conn;

struct io_conn_cb {
        void (*on_data)(void *ctx, const uint8_t *p, size_t n);
        /* The output queue fell to zero bytes: the owner may produce more. */
        void (*on_drained)(void *ctx);
        /* The peer closed or the socket failed (err: -errno).  Call io_conn_free() later. */
        void (*on_closed)(void *ctx, int err, const char *what);
};

struct io_listener_cb {
        /*
         * A connection from an allowed peer.  The owner takes it with
         * io_conn_set_cb() (and frees it when done) or io_conn_free()s it now.
         */
        void (*on_accept)(void *ctx, struct io_conn *c, const struct sockaddr *peer);
        /* A peer outside the allow-list: already closed.  Rate-limit any log. */
        void (*on_reject)(void *ctx, const struct sockaddr *peer);
};

struct io_listener_cfg {
        struct io_endpoint ep;
        const struct io_cidr *allow;    /* copied */
        size_t n_allow;                 /* 0 = any peer */
        size_t write_high_water;        /* 0 = 256 KiB */
};

struct io_listener;

/* Binds and listens now: -errno (e.g. -EADDRINUSE) if that fails. */
int io_listener_new(struct event_base *base, const struct io_listener_cfg *cfg,
                    const struct io_listener_cb *cb, void *ctx, struct io_listener **ret);
void io_listener_free(struct io_listener *l);
/* The bound port (useful with port 0 in tests). */
uint16_t io_listener_port(const struct io_listener *l);
uint64_t io_listener_rejected(const struct io_listener *l);
/* accept() failures (e.g. out of file descriptors); accepting pauses 1 s after each. */
uint64_t io_listener_accept_errors(const struct io_listener *l);
/* Replace the allow-list (copied; n 0 = any peer).  -ENOMEM keeps the old one. */
int io_listener_set_allow(struct io_listener *l, const struct io_cidr *allow, size_t n);

void io_conn_set_cb(struct io_conn *c, const struct io_conn_cb *cb, void *ctx);
/* -ENOBUFS above the high-water mark (nothing queued), -ENOTCONN after close. */
int io_conn_write(struct io_conn *c, const uint8_t *p, size_t n);
size_t io_conn_pending(const struct io_conn *c);
/*
 * Put p[0..n) back in front of the received bytes.  From inside on_data
 * (e.g. after handing the connection to a new owner with io_conn_set_cb):
 * when on_data returns, the current on_data gets them first.  -ENOMEM.
 */
int io_conn_unread(struct io_conn *c, const uint8_t *p, size_t n);
/* Stop/resume reading (back-pressure toward the peer). */
void io_conn_pause_read(struct io_conn *c, bool pause);
const struct sockaddr *io_conn_peer(const struct io_conn *c);
/* Closes the socket.  Safe from inside the connection's own callbacks: the
 * memory is released from the event loop afterwards. */
void io_conn_free(struct io_conn *c);
