/* SPDX-License-Identifier: MIT */
/*
 * One outstation session (src/outstation/outst.h) run over libevent: either
 * on a TCP endpoint with a peer allow-list (one master at a time; a new
 * connection from an allowed peer replaces the old one, losing nothing), or
 * on a reopening byte pipe (io/pipe.h: a serial port, or a TCP client) that
 * is the session's connection while it is up.  The endpoint is its own
 * (bound from cfg.listen) or one shared with other outstations (cfg.ep, see
 * io/outst_ep.h: a connection belongs to the outstation its first frame
 * names, and comes with the bytes read so far).
 *
 * The adapter creates and owns the session and one runner (io/runner.h),
 * which does all the driving: bytes in, output out (straight to the socket,
 * reading paused while the socket refuses, resumed by its drained signal),
 * one timer at outst_deadline(), the wake upcall.  What is left here is the
 * policy: attach to the endpoint, the allow-list, a new connection
 * replacing the old one, and the reports to the owner.
 *
 * The application changes the session through outst_io_update(),
 * outst_io_cmd_complete() and outst_io_freeze_complete() (which may be
 * called from inside on_command / on_freeze), or calls outst_*() on
 * outst_io_outst() directly: the calls that give the session output or a
 * new deadline raise its wake upcall, and the runner sends and re-arms in
 * the same pass.  Several instances may share one event base; each has its
 * own session, database and event buffers.  Nothing here logs:
 * connections, disconnections and rejected peers are reported through
 * callbacks.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "io/listener.h"
#include "io/pipe.h"
#include "io/runner.h"
#include "outstation/outst.h"

struct event_base;

struct outst_io_cb {
        /* A master connected (peer NULL on a stream); replaced: it took over from another. */
        void (*on_connect)(void *ctx, const struct sockaddr *peer, bool replaced);
        /* The connection went away (err: -errno; what: "closed by peer", "replaced", ...). */
        void (*on_disconnect)(void *ctx, int err, const char *what);
        /* A peer outside the allow-list was refused (already closed).  Rate-limit any log. */
        void (*on_reject)(void *ctx, const struct sockaddr *peer);
        /* A TLS handshake refused (already closed): r->text is the exact reason. */
        void (*on_tls_refused)(void *ctx, const struct sockaddr *peer,
                               const struct io_tls_refusal *r);
        /* On a pipe (cfg->pipe): it could not be opened (err: -errno, what: as io/pipe.h's
         * on_down; -EBUSY, IO_PIPE_IN_USE: another process owns the port).  Once until it
         * opens, retried with backoff meanwhile; the first may come from outst_io_new(). */
        void (*on_open_fail)(void *ctx, int err, const char *what);
};

struct outst_ep;

struct outst_io_cfg {
        /* a pipe to run on (serial port or TCP client; copied) instead of listening */
        const struct io_pipe_cfg *pipe;
        /* the allow-list (copied); the endpoint and write high-water mark when ep is NULL */
        struct io_listener_cfg listen;
        /* a shared endpoint to attach to (by the session's link address) instead of
         * binding listen.ep; it must outlive the instance */
        struct outst_ep *ep;
};

struct outst_io_stats {
        uint64_t connects;
        uint64_t replaced;
        uint64_t rejected;
        uint64_t tls_refused;           /* TLS handshakes refused (reported to this instance) */
        struct io_runner_stats run;     /* the runner's (drops: keep-alive failures) */
};

struct outst_io;

/*
 * Create the session (outst_new(ocfg, ocb, ctx)) and bind the listener or
 * start the pipe.  ctx is passed to both callback sets.  0 or -errno
 * (-EINVAL bad session config, -EADDRINUSE: the port is taken, or on a
 * shared endpoint the link address, -ENOMEM ...).
 */
int outst_io_new(struct event_base *base, const struct outst_io_cfg *cfg,
                 const struct outst_cfg *ocfg, const struct outst_callbacks *ocb,
                 const struct outst_io_cb *cb, void *ctx, struct outst_io **ret);
/*
 * Closes the connection and frees the session.  Not from inside a callback
 * of this instance.  The connection's memory is released from the event
 * loop: run it once more (EVLOOP_NONBLOCK) before event_base_free().
 */
void outst_io_free(struct outst_io *io);

/* The session: database and event buffers, stats. */
struct outst *outst_io_outst(struct outst_io *io);
/* The bound TCP port (0 for an instance on a pipe). */
uint16_t outst_io_port(const struct outst_io *io);
bool outst_io_connected(const struct outst_io *io);
/* The master's connection (or the pipe) while connected, else NULL (io_tls_reverify()). */
struct io_pipe *outst_io_pipe(struct outst_io *io);
/* Own listener (not a shared endpoint): the TLS context of new connections. */
void outst_io_set_tls(struct outst_io *io, struct io_tls *t);
const struct outst_io_stats *outst_io_stats(struct outst_io *io);
/* Its runner (for a protocol trace tap, io_runner_set_tap). */
struct io_runner *outst_io_runner(struct outst_io *io);

/* outst_update() with the current time (its wake sends what it produced). */
int outst_io_update(struct outst_io *io, enum dnp_type t, const struct dnp_value *v,
                    enum db_mode mode);
/* outst_cmd_complete() with the current time; may be called from on_command. */
int outst_io_cmd_complete(struct outst_io *io, uint32_t token, const uint8_t *statuses, size_t n);
/* outst_freeze_complete() with the current time; may be called from on_freeze. */
int outst_io_freeze_complete(struct outst_io *io, uint32_t token, uint16_t iin);
