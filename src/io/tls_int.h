/* SPDX-License-Identifier: MIT */
/*
 * For src/io only: the TLS session on one connected socket (tls_sess.c)
 * and the parts of the context (tls.c) it uses.
 *
 * A session first runs its handshake by itself (its own event on the fd,
 * the handshake timeout, the "not TLS" check of the first byte) and reports
 * the result once, from the event loop, never from inside io_tls_sess_new().
 * Then the backend attaches the fd to its byte pipe with the session as the
 * pipe's I/O (io_tls_sess_io: SSL_read/SSL_write for read()/write()); the
 * key update timer kicks the pipe's write side to send what it produced.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "io/pipe_fd.h"
#include "io/tls.h"

struct event_base;
struct sockaddr;

/* A verification's outcome, filled in by the verify callback (the first failure). */
struct tls_vrec {
        const struct io_tls *t;
        bool set;
        struct io_tls_refusal r;
};

/* tls.c: the context's SSL_CTX, and the refusal of a finished verification. */
SSL_CTX *io_tls_ctx(const struct io_tls *t);
uint64_t io_tls_renegotiate_ms(const struct io_tls *t);
uint32_t io_tls_handshake_ms(const struct io_tls *t);
/* Control characters, quotes and backslashes in a name from a certificate become '?'. */
void io_tls_name_clean(char *s);
/* Index of the struct tls_vrec pointer in an SSL's ex_data. */
int io_tls_vrec_index(void);
/* A refusal: why, and its text with a detail ("" for none). */
void io_tls_refuse(struct io_tls_refusal *r, enum io_tls_why why, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

struct io_tls_sess;

/* The handshake's end: err 0 (r NULL) or -EPERM / -ETIMEDOUT / -ECONNRESET... with r. */
typedef void (*io_tls_done_fn)(void *arg, int err, const struct io_tls_refusal *r);

/*
 * Start a handshake on a connected non-blocking socket (server: the
 * accepting side; host: the name the client connected to, for SNI, or
 * NULL).  The fd stays the caller's.  0 and *ret, or -ENOMEM.
 */
int io_tls_sess_new(struct io_tls *t, struct event_base *base, int fd, bool server,
                    const char *host, io_tls_done_fn done, void *arg, struct io_tls_sess **ret);
/* Stop (a close_notify is sent if the handshake finished) and free; NULL is fine. */
void io_tls_sess_free(struct io_tls_sess *s);

/* The pipe I/O over a finished session (io_fdpipe.io, with io_ctx the session). */
extern const struct io_fdpipe_io io_tls_sess_io;
/* The session carries f's bytes now: key updates kick f (io_fdpipe_kick). */
void io_tls_sess_attach(struct io_tls_sess *s, struct io_fdpipe *f);

SSL *io_tls_sess_ssl(const struct io_tls_sess *s);

/* pipe_conn.c: an accepted connection whose handshake s finished (the pipe takes s). */
int io_pipe_conn_new_tls(struct event_base *base, int fd, const struct sockaddr *peer,
                         size_t peer_len, size_t write_high_water, struct io_tls_sess *s,
                         struct io_pipe **ret);
const struct io_tls_stats *io_tls_sess_stats(const struct io_tls_sess *s);
