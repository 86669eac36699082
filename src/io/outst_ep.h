/* SPDX-License-Identifier: MIT */
/*
 * One upstream TCP endpoint (one listening socket) shared by the
 * outstations that listen on it, each with its own link address and allow
 * list.  outst_io attaches its session here; the endpoint decides which
 * outstation a connection belongs to.
 *
 *  - A peer is accepted at TCP level when the allow list of any outstation
 *    on the endpoint admits it (the listener filters with their union);
 *    otherwise it is closed at once.
 *  - With one outstation attached, a connection is that outstation's at
 *    once (it may send unsolicited responses before the master speaks).
 *  - With several, the connection waits until its first valid link frame
 *    (both CRCs correct) names one of their link addresses as destination.
 *    Frames to a broadcast address decide nothing.  The outstation named
 *    must admit the peer in its own allow list, or the connection is closed
 *    at once and reported to that outstation.  The outstation gets the
 *    connection with every byte read so far, so the first request is
 *    answered.  Its rule "a new connection replaces the old one" is its own.
 *  - A first frame naming no outstation here is reported; the connection is
 *    no longer read and is closed when its grace (5 s from accept) ends, so
 *    a misconfigured master does not reconnect in a tight loop.  One that
 *    sends nothing, or no valid frame naming an outstation, within the grace
 *    is closed then too.  At most OUTST_EP_BUF bytes are held per waiting
 *    connection (then reading stops) and at most OUTST_EP_MAX_PENDING
 *    connections wait at once (a new one closes the oldest).
 *
 * Nothing here logs: drops are counted and reported through callbacks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dnp3/link.h"
#include "io/addr.h"
#include "io/listener.h"

struct event_base;
struct io_pipe;
struct io_tls;
struct io_tls_refusal;

#define OUTST_EP_GRACE_MS 5000          /* to name an outstation, from accept */
#define OUTST_EP_BUF 1024               /* bytes held while waiting for the first frame */
#define OUTST_EP_MAX_PENDING 16         /* connections waiting at once, per endpoint */

/* Why the endpoint closed a connection. X(name, text) */
#define OUTST_EP_DROP_LIST(X)                                                           \
        X(REFUSED, "refused (no outstation's allow list)")                              \
        X(UNKNOWN_ADDRESS, "for unknown addresses")                                     \
        X(NOT_ALLOWED, "refused by the named outstation's allow list")                  \
        X(SILENT, "silent")                                                             \
        X(NO_FRAME, "without a frame for an outstation")                                \
        X(OVERFLOW, "too many waiting")                                                 \
        X(PEER_CLOSED, "closed by the peer while waiting")

enum outst_ep_drop {
#define X(name, text) OUTST_EP_DROP_##name,
        OUTST_EP_DROP_LIST(X)
#undef X
        OUTST_EP_DROP_MAX
};

const char *outst_ep_drop_name(enum outst_ep_drop d);

struct outst_ep_cb {
        /*
         * The endpoint closed a connection, or (UNKNOWN_ADDRESS) will close
         * it when its grace ends.  first: the first frame's header for
         * UNKNOWN_ADDRESS, else NULL.  Not called for what is reported to an
         * outstation (NOT_ALLOWED, and REFUSED while one outstation is
         * attached).  Rate-limit any log.
         */
        void (*on_drop)(void *ctx, enum outst_ep_drop why, const struct sockaddr *peer,
                        const struct link_hdr *first);
        /*
         * TLS endpoint: a handshake refused (already closed), while no one
         * outstation or several are attached (with one, its own on_tls_refused
         * hears it).  Rate-limit any log.
         */
        void (*on_tls_refused)(void *ctx, const struct sockaddr *peer,
                               const struct io_tls_refusal *r);
};

struct outst_ep_cfg {
        struct io_endpoint ep;
        size_t write_high_water;        /* per connection; 0 = the listener's default */
        uint32_t grace_ms;              /* 0 = OUTST_EP_GRACE_MS */
        struct io_tls *tls;             /* TLS on every connection (io/tls.h); NULL = plain */
};

struct outst_ep_stats {
        uint64_t accepted;              /* TCP connections taken (TLS: handshake done) */
        uint64_t tls_refused;           /* TLS handshakes refused */
        uint64_t dispatched;            /* handed to an outstation */
        uint64_t dropped[OUTST_EP_DROP_MAX];
};

/* An outstation on the endpoint (embedded in its owner, e.g. outst_io). */
struct outst_ep_member {
        uint16_t address;               /* its link address */
        const struct io_cidr *allow;    /* its allow list (kept by the owner); n 0 = any */
        size_t n_allow;
        /*
         * The connection (a byte pipe, io/pipe.h) is the member's now, with
         * held[0..n): the bytes read from it while it waited (its session
         * gets them first).  Take it (io_pipe_set_cb(), or a runner) or
         * io_pipe_free() it.
         */
        void (*on_conn)(void *ctx, struct io_pipe *c, const struct sockaddr *peer,
                        const uint8_t *held, size_t n);
        /* A connection for it from a peer outside its allow list: already closed. */
        void (*on_reject)(void *ctx, const struct sockaddr *peer);
        /* A TLS handshake refused while it is the only outstation: already closed. */
        void (*on_tls_refused)(void *ctx, const struct sockaddr *peer,
                               const struct io_tls_refusal *r);
        void *ctx;
};

struct outst_ep;

/* Binds and listens now: 0 or -errno (e.g. -EADDRINUSE). */
int outst_ep_new(struct event_base *base, const struct outst_ep_cfg *cfg,
                 const struct outst_ep_cb *cb, void *ctx, struct outst_ep **ret);
/* Closes the socket and the waiting connections.  Members must have detached. */
void outst_ep_free(struct outst_ep *ep);

/* -EADDRINUSE: another member has that address; -ENOMEM.  m stays the caller's. */
int outst_ep_attach(struct outst_ep *ep, struct outst_ep_member *m);
void outst_ep_detach(struct outst_ep *ep, struct outst_ep_member *m);

/*
 * The TLS context of new connections (a reload); NULL = plain TCP.  A
 * connection still waiting for its first frame that no longer verifies
 * against t is closed and reported as a TLS refusal; the outstations
 * re-verify their own (io_tls_reverify() on outst_io_pipe()).
 */
/*
 * A refusal found after the endpoint handed a connection over (a TLS
 * ClientHello on a plain endpoint, io_tls_hello_on_plain()): counted and
 * reported as the endpoint's own TLS refusals are.
 */
void outst_ep_tls_refused(struct outst_ep *ep, const struct sockaddr *peer,
                          const struct io_tls_refusal *r);
void outst_ep_set_tls(struct outst_ep *ep, struct io_tls *t);

size_t outst_ep_members(const struct outst_ep *ep);
uint16_t outst_ep_port(const struct outst_ep *ep);
const struct outst_ep_stats *outst_ep_stats(const struct outst_ep *ep);
/* Connections waiting for their first frame, and the bytes held for them. */
size_t outst_ep_pending(const struct outst_ep *ep);
size_t outst_ep_buffered(const struct outst_ep *ep);
