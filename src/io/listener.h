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
struct io_pipe;
struct io_tls;
struct io_tls_refusal;

struct io_listener_cb {
        /*
         * A connection from an allowed peer: a byte pipe (io/pipe.h), up.
         * The owner takes it with io_pipe_set_cb() (and frees it when done)
         * or io_pipe_free()s it now.
         */
        void (*on_accept)(void *ctx, struct io_pipe *c, const struct sockaddr *peer);
        /* A peer outside the allow-list: already closed.  Rate-limit any log. */
        void (*on_reject)(void *ctx, const struct sockaddr *peer);
        /* TLS listener: a handshake refused (r: why and the exact text); closed. */
        void (*on_tls_refused)(void *ctx, const struct sockaddr *peer,
                               const struct io_tls_refusal *r);
};

/* TLS handshakes in progress at once per listener; one more closes the oldest. */
#define IO_LISTENER_MAX_HANDSHAKES 16

struct io_listener_cfg {
        struct io_endpoint ep;
        const struct io_cidr *allow;    /* copied */
        size_t n_allow;                 /* 0 = any peer */
        size_t write_high_water;        /* 0 = 256 KiB */
        /* TLS (io/tls.h) on every connection when set (a reference is taken):
         * on_accept comes after a successful handshake */
        struct io_tls *tls;
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
/* TLS handshakes refused (each also reported through on_tls_refused). */
uint64_t io_listener_tls_refused(const struct io_listener *l);
/* The TLS context of new connections (a reload); NULL = plain TCP.  Handshakes
 * in progress and connections keep theirs. */
void io_listener_set_tls(struct io_listener *l, struct io_tls *t);

/*
 * The accepted-connection backend of io/pipe.h (pipe_conn.c): wraps a
 * connected non-blocking socket (taken over on success; the caller closes
 * it on failure).  Up from creation; once closed it stays down.
 */
int io_pipe_conn_new(struct event_base *base, int fd, const struct sockaddr *peer, size_t peer_len,
                     size_t write_high_water, struct io_pipe **ret);
/* The peer of a pipe made by io_pipe_conn_new(). */
const struct sockaddr *io_pipe_conn_peer(const struct io_pipe *p);
