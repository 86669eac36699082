/* SPDX-License-Identifier: MIT */
/*
 * One TLS session on a connected socket (tls_int.h): the handshake with
 * its timeout and its refusal, then SSL_read/SSL_write as the byte pipe's
 * I/O, and the periodic key update.
 */
#include "io/tls_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <event2/event.h>
#include <openssl/err.h>

#include "io/clock.h"

/*
 * TLS 1.2 renegotiations the peer starts (a ClientHello to us as server, a
 * HelloRequest to us as client) cost a full handshake each: a token bucket
 * of RENEG_BURST, one token back every RENEG_REFILL_MS.  A peer past it is
 * dropped.
 */
#define RENEG_BURST 5
#define RENEG_REFILL_MS 1000

/* TLS record content types: change_cipher_spec, alert, handshake, application_data. */
#define TLS_RECORD_FIRST 0x14
#define TLS_RECORD_LAST 0x17

struct io_tls_sess {
        struct io_tls *t;               /* a reference */
        struct event_base *base;
        SSL *ssl;
        int fd;
        bool server;
        bool done;                      /* the handshake finished */
        bool broken;                    /* a fatal error: no close_notify */
        bool first_seen;                /* the peer's first byte was a TLS record */
        struct event *hs_rd, *hs_wr;    /* handshake: the fd's readiness, with the timeout */
        uint64_t hs_deadline;           /* monotonic ms */
        io_tls_done_fn done_fn;
        void *arg;
        struct tls_vrec vrec;
        struct io_fdpipe *f;            /* the pipe carrying the bytes, once attached */
        struct event *rekey;
        bool rekeying;                  /* a TLS 1.2 renegotiation we started is running */
        bool flood;                     /* the peer renegotiates too often: drop it */
        unsigned reneg_tokens;
        uint64_t reneg_at;              /* monotonic ms of the last refill */
        struct io_tls_stats stats;
        char alert[80];                 /* the last alert the peer sent, "" if none */
        char err[264];                  /* the last failure, for the log */
};

/* ---- the socket under the session -------------------------------------------- */

/*
 * OpenSSL's socket BIO writes with write(): a peer's reset would raise
 * SIGPIPE.  The same BIO writing with send(MSG_NOSIGNAL), as the plain
 * pipes do (io/pipe_fd.c).
 */
static int bio_send(BIO *b, const char *in, int n)
{
        int fd = -1;
        BIO_get_fd(b, &fd);
        BIO_clear_retry_flags(b);
        errno = 0;
        ssize_t w = send(fd, in, (size_t)n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                BIO_set_retry_write(b);
        return (int)w;
}

static BIO_METHOD *bio_method(void)
{
        static BIO_METHOD *m;
        if (m)
                return m;
        const BIO_METHOD *s = BIO_s_socket();
        m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                         "socket without SIGPIPE");
        if (!m || !BIO_meth_set_write(m, bio_send) ||
            !BIO_meth_set_read(m, BIO_meth_get_read(s)) ||
            !BIO_meth_set_puts(m, BIO_meth_get_puts(s)) ||
            !BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(s)) ||
            !BIO_meth_set_create(m, BIO_meth_get_create(s)) ||
            !BIO_meth_set_destroy(m, BIO_meth_get_destroy(s))) {
                BIO_meth_free(m);
                m = NULL;
        }
        return m;
}

/* ssl reads and writes fd (which stays the caller's). */
static int sess_set_fd(SSL *ssl, int fd)
{
        BIO_METHOD *m = bio_method();
        BIO *b = m ? BIO_new(m) : NULL;
        if (!b)
                return 0;
        BIO_set_fd(b, fd, BIO_NOCLOSE);
        SSL_set_bio(ssl, b, b);
        return 1;
}

/* ---- what OpenSSL says ----------------------------------------------------- */

static void sess_peer_reneg(struct io_tls_sess *s)
{
        uint64_t now = io_mono_ms();
        uint64_t back = (now - s->reneg_at) / RENEG_REFILL_MS;
        if (back > 0) {
                s->reneg_tokens = back >= RENEG_BURST - s->reneg_tokens
                                          ? RENEG_BURST
                                          : s->reneg_tokens + (unsigned)back;
                s->reneg_at += back * RENEG_REFILL_MS;
        }
        if (s->reneg_tokens == 0) {
                s->flood = true;
                snprintf(s->err, sizeof(s->err), "TLS: the peer renegotiates more than %d times "
                         "in a row faster than one a second", RENEG_BURST);
                return;
        }
        s->reneg_tokens--;
}

static void sess_msg_cb(int write_p, int version, int type, const void *buf, size_t len, SSL *ssl,
                        void *arg)
{
        struct io_tls_sess *s = arg;
        const uint8_t *b = buf;
        (void)version;
        (void)ssl;
        if (len < 2 && type != SSL3_RT_HANDSHAKE)
                return;
        if (type == SSL3_RT_ALERT && !write_p) {
                snprintf(s->alert, sizeof(s->alert), "alert %s", SSL_alert_desc_string_long(b[1]));
        } else if (type == SSL3_RT_HANDSHAKE && len >= 1) {
                if (b[0] == SSL3_MT_KEY_UPDATE) {
                        if (write_p)
                                s->stats.key_updates_sent++;
                        else
                                s->stats.key_updates_received++;
                } else if (b[0] == SSL3_MT_FINISHED && !write_p && s->done) {
                        s->stats.renegotiations++;
                        s->rekeying = false;
                } else if (!write_p && s->done && !s->rekeying &&
                           b[0] == (s->server ? SSL3_MT_CLIENT_HELLO : SSL3_MT_HELLO_REQUEST)) {
                        sess_peer_reneg(s);
                }
        }
}

static const char *proto_name(int v)
{
        switch (v) {
        case TLS1_3_VERSION:
                return "TLSv1.3";
        case TLS1_2_VERSION:
                return "TLSv1.2";
        case TLS1_1_VERSION:
                return "TLSv1.1";
        case TLS1_VERSION:
                return "TLSv1.0";
        case SSL3_VERSION:
                return "SSLv3";
        default:
                return "an unknown version";
        }
}

/* Why the handshake failed: the verification's refusal, else OpenSSL's error. */
static void sess_refusal(struct io_tls_sess *s, int sslerr, int sys_errno, struct io_tls_refusal *r)
{
        unsigned long e = ERR_peek_last_error();
        int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
        const char *estr = e ? ERR_reason_error_string(e) : NULL;
        if (s->vrec.set) {
                *r = s->vrec.r;
        } else if (sslerr == SSL_ERROR_ZERO_RETURN || (sslerr == SSL_ERROR_SYSCALL && !e) ||
                   reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {      /* EOF, no close_notify */
                if (s->alert[0])
                        io_tls_refuse(r, IO_TLS_WHY_PEER_REFUSED, "%s", s->alert);
                else
                        io_tls_refuse(r, IO_TLS_WHY_CLOSED, "%s",
                                      sys_errno ? strerror(sys_errno) : "");
        } else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
                io_tls_refuse(r, IO_TLS_WHY_NO_CERT, "%s", "");
        } else if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_VERSION_TOO_LOW ||
                   reason == SSL_R_NO_PROTOCOLS_AVAILABLE) {
                if (s->server)
                        io_tls_refuse(r, IO_TLS_WHY_VERSION, "peer offers %s",
                                      proto_name(SSL_client_version(s->ssl)));
                else
                        io_tls_refuse(r, IO_TLS_WHY_VERSION, "peer chose %s",
                                      proto_name(SSL_version(s->ssl)));
        } else if (reason == SSL_R_NO_SHARED_CIPHER) {
                io_tls_refuse(r, IO_TLS_WHY_CIPHER, "%s", "");
        } else if (s->alert[0] || reason >= SSL_AD_REASON_OFFSET) {
                io_tls_refuse(r, IO_TLS_WHY_PEER_REFUSED, "%s",
                              s->alert[0] ? s->alert : estr ? estr : "alert");
        } else {
                io_tls_refuse(r, IO_TLS_WHY_FAILED, "%s",
                              estr ? estr : sys_errno ? strerror(sys_errno) : "");
        }
        ERR_clear_error();
}

/* A failure after the handshake: the text for the log, -errno for the pipe. */
static int sess_fail(struct io_tls_sess *s, int sslerr, int sys_errno)
{
        s->broken = true;
        if (sslerr == SSL_ERROR_SYSCALL && !ERR_peek_last_error()) {
                snprintf(s->err, sizeof(s->err), "%s",
                         sys_errno ? strerror(sys_errno) : "closed by peer");
                return sys_errno ? -sys_errno : -ECONNRESET;
        }
        struct io_tls_refusal r;
        sess_refusal(s, sslerr, sys_errno, &r);
        snprintf(s->err, sizeof(s->err), "TLS: %s", r.text);
        s->vrec.set = false;            /* a renegotiation's verification: reported once */
        return -EPROTO;
}

/* ---- the handshake ------------------------------------------------------------- */

static void sess_finish(struct io_tls_sess *s, int err, const struct io_tls_refusal *r)
{
        event_del(s->hs_rd);
        event_del(s->hs_wr);
        if (err == 0)
                s->done = true;
        else
                s->broken = true;
        s->done_fn(s->arg, err, r);     /* may free s */
}

/*
 * Until the peer's first byte is seen: it must open a TLS record (a
 * handshake or an alert; any content type, as OpenSSL may have read the
 * first record itself between two of these looks).
 */
static int sess_peek(struct io_tls_sess *s, struct io_tls_refusal *r)
{
        uint8_t b[2];
        ssize_t n = recv(s->fd, b, sizeof(b), MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return 0;
        if (n <= 0) {
                io_tls_refuse(r, IO_TLS_WHY_CLOSED, "%s", n < 0 ? strerror(errno) : "");
                return n < 0 ? -errno : -ECONNRESET;
        }
        if (b[0] >= TLS_RECORD_FIRST && b[0] <= TLS_RECORD_LAST) {
                s->first_seen = true;
                return 0;
        }
        if (n == 2 && b[0] == 0x05 && b[1] == 0x64)
                io_tls_refuse(r, IO_TLS_WHY_NOT_TLS, "a DNP3 link frame: plain TCP");
        else
                io_tls_refuse(r, IO_TLS_WHY_NOT_TLS, "first byte 0x%02X", b[0]);
        return -EPROTO;
}

/* The handshake's next step when ev is ready, or its timeout. */
static void sess_wait(struct io_tls_sess *s, struct event *ev)
{
        uint64_t now = io_mono_ms();
        uint64_t left = s->hs_deadline > now ? s->hs_deadline - now : 0;
        struct timeval tv = { .tv_sec = (time_t)(left / 1000),
                              .tv_usec = (suseconds_t)(left % 1000) * 1000 };
        event_add(ev, &tv);
}

static void sess_step(evutil_socket_t fd, short what, void *arg)
{
        struct io_tls_sess *s = arg;
        struct io_tls_refusal r;
        (void)fd;
        if (what & EV_TIMEOUT) {
                io_tls_refuse(&r, IO_TLS_WHY_TIMEOUT, "%u ms", io_tls_handshake_ms(s->t));
                sess_finish(s, -ETIMEDOUT, &r);
                return;
        }
        if (!s->first_seen) {
                int e = sess_peek(s, &r);
                if (e < 0) {
                        sess_finish(s, e, &r);
                        return;
                }
                /*
                 * Nothing to read yet: wait for the first byte rather than let
                 * OpenSSL read bytes arriving after the peek (plain TCP would be
                 * "wrong version number").  A client's ClientHello goes out on
                 * its write steps.
                 */
                if (!s->first_seen && (what & EV_READ)) {
                        sess_wait(s, s->hs_rd);
                        return;
                }
        }
        ERR_clear_error();
        errno = 0;
        int ret = SSL_do_handshake(s->ssl);
        int sys_errno = errno;
        if (ret == 1) {
                sess_finish(s, 0, NULL);
                return;
        }
        int e = SSL_get_error(s->ssl, ret);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                sess_wait(s, e == SSL_ERROR_WANT_READ ? s->hs_rd : s->hs_wr);
                return;
        }
        sess_refusal(s, e, sys_errno, &r);
        sess_finish(s, r.why == IO_TLS_WHY_CLOSED ? -ECONNRESET : -EPERM, &r);
}

int io_tls_sess_new(struct io_tls *t, struct event_base *base, int fd, bool server,
                    const char *host, io_tls_done_fn done, void *arg, struct io_tls_sess **ret)
{
        struct io_tls_sess *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->t = io_tls_ref(t);
        s->base = base;
        s->fd = fd;
        s->server = server;
        s->done_fn = done;
        s->arg = arg;
        s->vrec.t = t;
        s->reneg_tokens = RENEG_BURST;
        s->reneg_at = io_mono_ms();
        s->ssl = SSL_new(io_tls_ctx(t));
        s->hs_rd = event_new(base, fd, EV_READ, sess_step, s);
        s->hs_wr = event_new(base, fd, EV_WRITE, sess_step, s);
        if (!s->ssl || !s->hs_rd || !s->hs_wr || !sess_set_fd(s->ssl, fd) ||
            !SSL_set_ex_data(s->ssl, io_tls_vrec_index(), &s->vrec)) {
                s->broken = true;
                io_tls_sess_free(s);
                ERR_clear_error();
                return -ENOMEM;
        }
        SSL_set_msg_callback(s->ssl, sess_msg_cb);
        SSL_set_msg_callback_arg(s->ssl, s);
        if (server) {
                SSL_set_accept_state(s->ssl);
        } else {
                SSL_set_connect_state(s->ssl);
                struct in6_addr a6;
                if (host && host[0] && !strchr(host, ':') && inet_pton(AF_INET, host, &a6) != 1)
                        SSL_set_tlsext_host_name(s->ssl, host);     /* a name: SNI */
        }
        s->hs_deadline = io_mono_ms() + io_tls_handshake_ms(t);
        /* the first step from the loop: done is never called from inside this function */
        event_active(server ? s->hs_rd : s->hs_wr, server ? EV_READ : EV_WRITE, 0);
        *ret = s;
        return 0;
}

void io_tls_sess_free(struct io_tls_sess *s)
{
        if (!s)
                return;
        if (s->ssl && s->done && !s->broken) {
                SSL_shutdown(s->ssl);           /* close_notify, once, not waiting for the peer's */
                ERR_clear_error();
        }
        if (s->hs_rd)
                event_free(s->hs_rd);
        if (s->hs_wr)
                event_free(s->hs_wr);
        if (s->rekey)
                event_free(s->rekey);
        SSL_free(s->ssl);
        io_tls_free(s->t);
        free(s);
}

/* ---- the key update -------------------------------------------------------------- */

static void sess_rekey(evutil_socket_t fd, short what, void *arg)
{
        struct io_tls_sess *s = arg;
        (void)fd;
        (void)what;
        bool tls13 = SSL_version(s->ssl) >= TLS1_3_VERSION;
        if (!tls13 && SSL_renegotiate_pending(s->ssl))
                return;                 /* the last one has not finished: the next tick */
        int ok = tls13 ? SSL_key_update(s->ssl, SSL_KEY_UPDATE_REQUESTED) : SSL_renegotiate(s->ssl);
        ERR_clear_error();
        if (!ok)
                return;                 /* one still in progress: the next tick */
        s->rekeying = !tls13;
        s->stats.rekeys_started++;
        io_fdpipe_kick(s->f);
}

void io_tls_sess_attach(struct io_tls_sess *s, struct io_fdpipe *f)
{
        s->f = f;
        uint64_t ms = io_tls_renegotiate_ms(s->t);
        if (ms == 0 || s->rekey)
                return;
        s->rekey = event_new(s->base, -1, EV_PERSIST, sess_rekey, s);
        struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
                              .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
        if (s->rekey)
                event_add(s->rekey, &tv);
}

/* ---- the pipe's I/O ----------------------------------------------------------------- */

/* A call that did not go through: -EAGAIN with *want, 0 at a clean end, or the failure. */
static ssize_t sess_io_error(struct io_tls_sess *s, int ret, enum io_want *want)
{
        int sys_errno = errno;
        int e = SSL_get_error(s->ssl, ret);
        switch (e) {
        case SSL_ERROR_WANT_READ:
                *want = IO_WANT_READ;
                return -EAGAIN;
        case SSL_ERROR_WANT_WRITE:
                *want = IO_WANT_WRITE;
                return -EAGAIN;
        case SSL_ERROR_ZERO_RETURN:
                return 0;               /* close_notify */
        case SSL_ERROR_SYSCALL:
                if (!ERR_peek_last_error() && sys_errno == 0) {
                        s->broken = true;
                        return 0;       /* end of file without close_notify */
                }
                return sess_fail(s, e, sys_errno);
        default:
                return sess_fail(s, e, sys_errno);
        }
}

static ssize_t sess_read(void *ctx, uint8_t *b, size_t n, enum io_want *want)
{
        struct io_tls_sess *s = ctx;
        ERR_clear_error();
        errno = 0;
        int r = SSL_read(s->ssl, b, n > INT_MAX ? INT_MAX : (int)n);
        if (s->flood) {
                s->broken = true;
                return -EPROTO;
        }
        return r > 0 ? r : sess_io_error(s, r, want);
}

static ssize_t sess_write(void *ctx, const uint8_t *b, size_t n, enum io_want *want)
{
        struct io_tls_sess *s = ctx;
        /*
         * A TLS 1.2 renegotiation in progress is driven by the reads only:
         * SSL_write would drive it itself and then fail on the peer's
         * application data in between ("unexpected record"), which SSL_read
         * accepts.  The bytes wait for the handshake to end.  (A TLS 1.3
         * KeyUpdate waiting to go is sent by SSL_write first, reading nothing.)
         */
        if (SSL_in_init(s->ssl) && SSL_version(s->ssl) < TLS1_3_VERSION) {
                *want = IO_WANT_READ;
                return -EAGAIN;
        }
        ERR_clear_error();
        errno = 0;
        int r = SSL_write(s->ssl, b, n > INT_MAX ? INT_MAX : (int)n);
        if (r > 0)
                return r;
        ssize_t e = sess_io_error(s, r, want);
        return e == 0 ? -EPIPE : e;
}

/*
 * Send what the key update produced: TLS 1.3 writes its KeyUpdate
 * (SSL_do_handshake reads nothing after the handshake).  A TLS 1.2
 * renegotiation starts from a read (SSL_peek: application data arriving
 * meanwhile is kept for the next SSL_read, which the pipe runs at once).
 */
static int sess_flush(void *ctx, enum io_want *want)
{
        struct io_tls_sess *s = ctx;
        ERR_clear_error();
        errno = 0;
        uint8_t b;
        int r = SSL_version(s->ssl) >= TLS1_3_VERSION ? SSL_do_handshake(s->ssl)
                                                     : SSL_peek(s->ssl, &b, 1);
        if (r >= 1)
                return 0;
        ssize_t e = sess_io_error(s, r, want);
        return e == 0 ? -EPIPE : (int)e;
}

static bool sess_buffered(void *ctx)
{
        struct io_tls_sess *s = ctx;
        return SSL_pending(s->ssl) > 0;
}

static const char *sess_error(void *ctx)
{
        struct io_tls_sess *s = ctx;
        return s->err[0] ? s->err : "TLS";
}

const struct io_fdpipe_io io_tls_sess_io = {
        .read = sess_read,
        .write = sess_write,
        .flush = sess_flush,
        .buffered = sess_buffered,
        .error = sess_error,
};

/* ---- what a TLS pipe shows ------------------------------------------------------------- */

SSL *io_tls_sess_ssl(const struct io_tls_sess *s)
{
        return s->ssl;
}

const struct io_tls_stats *io_tls_sess_stats(const struct io_tls_sess *s)
{
        return &s->stats;
}

bool io_pipe_is_tls(const struct io_pipe *p)
{
        return p->up && p->tls;
}

const char *io_pipe_tls_peer(const struct io_pipe *p)
{
        static char buf[256];           /* valid until the next call (one event loop) */
        X509 *x = io_pipe_is_tls(p) ? SSL_get0_peer_certificate(p->tls->ssl) : NULL;
        if (!x || !X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf)))
                return "";
        io_tls_name_clean(buf);
        return buf;
}

const char *io_pipe_tls_version(const struct io_pipe *p)
{
        return io_pipe_is_tls(p) ? SSL_get_version(p->tls->ssl) : "";
}

const char *io_pipe_tls_cipher(const struct io_pipe *p)
{
        const char *c = io_pipe_is_tls(p) ? SSL_get_cipher_name(p->tls->ssl) : NULL;
        return c ? c : "";
}

const struct io_tls_stats *io_pipe_tls_stats(const struct io_pipe *p)
{
        return io_pipe_is_tls(p) ? &p->tls->stats : NULL;
}
