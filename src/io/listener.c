/* SPDX-License-Identifier: MIT */
#include "io/listener.h"

#include "io/pipe.h"
#include "io/tls_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#define CONN_HIGH_WATER (256 * 1024)

/*
 * A refused TLS connection, its alert sent and our side shut down: what the
 * peer still sends (a TLS 1.3 client may send its first request before it
 * reads the alert) is read and dropped until its end, at most
 * LINGER_BYTES or LINGER_MS of quiet, so that the close is no reset, which
 * would lose the alert in the peer's receive queue.
 */
#define LINGER_MS 1000
#define LINGER_BYTES (64 * 1024)
struct lis_linger {
        struct io_listener *l;
        int fd;
        size_t dropped;
        struct event *ev;
};

/* A TLS connection in its handshake. */
struct lis_hs {
        struct io_listener *l;
        int fd;
        struct sockaddr_storage peer;
        size_t peer_len;
        struct io_tls_sess *s;
        const struct io_tls *tls;       /* the context it started with (s holds a reference) */
};

struct io_listener {
        struct event_base *base;
        struct evconnlistener *evl;
        struct io_cidr *allow;
        size_t n_allow;
        size_t high_water;
        struct io_listener_cb cb;
        void *ctx;
        uint16_t port;
        uint64_t rejected;
        uint64_t accept_errors;
        struct event *resume;       /* re-enables accepting after an accept error */
        struct io_tls *tls;         /* a reference; NULL: plain TCP */
        struct lis_hs *hs[IO_LISTENER_MAX_HANDSHAKES];  /* oldest first */
        size_t nhs;
        struct lis_linger *linger[IO_LISTENER_MAX_HANDSHAKES];  /* oldest first */
        size_t nlinger;
        uint64_t tls_refused;
};

static void linger_end(struct lis_linger *g)
{
        struct io_listener *l = g->l;
        for (size_t i = 0; i < l->nlinger; i++)
                if (l->linger[i] == g) {
                        memmove(&l->linger[i], &l->linger[i + 1],
                                (l->nlinger - i - 1) * sizeof(l->linger[0]));
                        l->nlinger--;
                        break;
                }
        event_free(g->ev);
        evutil_closesocket(g->fd);
        free(g);
}

static void linger_cb(evutil_socket_t fd, short what, void *arg)
{
        struct lis_linger *g = arg;
        if (what & EV_READ) {
                uint8_t buf[IO_PIPE_READ_MAX];
                ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                        return;
                if (n > 0 && (g->dropped += (size_t)n) < LINGER_BYTES)
                        return;
        }
        linger_end(g);
}

/* Close fd once the peer has read what we sent (see struct lis_linger). */
static void linger_start(struct io_listener *l, int fd)
{
        if (l->nlinger == IO_LISTENER_MAX_HANDSHAKES)
                linger_end(l->linger[0]);
        struct lis_linger *g = calloc(1, sizeof(*g));
        struct timeval tv = { .tv_sec = LINGER_MS / 1000, .tv_usec = (LINGER_MS % 1000) * 1000 };
        if (g)
                g->ev = event_new(l->base, fd, EV_READ | EV_PERSIST, linger_cb, g);
        if (!g || !g->ev || event_add(g->ev, &tv) < 0) {
                if (g && g->ev)
                        event_free(g->ev);
                free(g);
                evutil_closesocket(fd);
                return;
        }
        shutdown(fd, SHUT_WR);
        g->l = l;
        g->fd = fd;
        l->linger[l->nlinger++] = g;
}

/* Forget h (the caller took or closed its fd and session). */
static void hs_forget(struct lis_hs *h)
{
        struct io_listener *l = h->l;
        for (size_t i = 0; i < l->nhs; i++)
                if (l->hs[i] == h) {
                        memmove(&l->hs[i], &l->hs[i + 1], (l->nhs - i - 1) * sizeof(l->hs[0]));
                        l->nhs--;
                        break;
                }
        free(h);
}

/* Close h and report r (NULL: closed with the listener, not reported). */
static void hs_refuse(struct lis_hs *h, const struct io_tls_refusal *r)
{
        struct io_listener *l = h->l;
        struct sockaddr_storage peer = h->peer;
        io_tls_sess_free(h->s);
        if (r)
                linger_start(l, h->fd);
        else
                evutil_closesocket(h->fd);
        hs_forget(h);
        if (!r)
                return;
        l->tls_refused++;
        if (l->cb.on_tls_refused)
                l->cb.on_tls_refused(l->ctx, (struct sockaddr *)&peer, r);
}

static void hs_done(void *arg, int err, const struct io_tls_refusal *r)
{
        struct lis_hs *h = arg;
        struct io_listener *l = h->l;
        if (err < 0) {
                hs_refuse(h, r);
                return;
        }
        struct io_pipe *c;
        if (io_pipe_conn_new_tls(l->base, h->fd, (struct sockaddr *)&h->peer, h->peer_len,
                                 l->high_water, h->s, &c) < 0) {
                hs_refuse(h, NULL);
                return;
        }
        bool reloaded = l->tls && h->tls != l->tls;
        hs_forget(h);
        /* the context changed while it shook hands (a reload): the new one decides */
        struct io_tls_refusal rr;
        if (reloaded && io_tls_reverify(l->tls, c, &rr) < 0) {
                struct sockaddr_storage peer;
                memcpy(&peer, io_pipe_conn_peer(c), sizeof(peer));
                io_pipe_free(c);
                l->tls_refused++;
                if (l->cb.on_tls_refused)
                        l->cb.on_tls_refused(l->ctx, (struct sockaddr *)&peer, &rr);
                return;
        }
        if (l->cb.on_accept)
                l->cb.on_accept(l->ctx, c, io_pipe_conn_peer(c));
        else
                io_pipe_free(c);
}

/* The handshake of an accepted TLS connection (at most IO_LISTENER_MAX_HANDSHAKES at once). */
static void hs_start(struct io_listener *l, int fd, const struct sockaddr *sa, size_t salen)
{
        if (l->nhs == IO_LISTENER_MAX_HANDSHAKES) {
                struct io_tls_refusal r;
                io_tls_refuse(&r, IO_TLS_WHY_BUSY, "%d at once", IO_LISTENER_MAX_HANDSHAKES);
                hs_refuse(l->hs[0], &r);
        }
        struct lis_hs *h = calloc(1, sizeof(*h));
        if (!h || salen > sizeof(h->peer) ||
            io_tls_sess_new(l->tls, l->base, fd, true, NULL, hs_done, h, &h->s) < 0) {
                free(h);
                evutil_closesocket(fd);
                return;
        }
        h->l = l;
        h->tls = l->tls;
        h->fd = fd;
        memcpy(&h->peer, sa, salen);
        h->peer_len = salen;
        l->hs[l->nhs++] = h;
}

static void accept_cb(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int salen,
                      void *arg)
{
        struct io_listener *l = arg;
        (void)evl;

        if (!io_cidr_allowed(l->allow, l->n_allow, sa)) {
                evutil_closesocket(fd);
                l->rejected++;
                if (l->cb.on_reject)
                        l->cb.on_reject(l->ctx, sa);
                return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        if (l->tls) {
                hs_start(l, fd, sa, (size_t)salen);
                return;
        }

        struct io_pipe *c;
        if (io_pipe_conn_new(l->base, fd, sa, (size_t)salen, l->high_water, &c) < 0) {
                evutil_closesocket(fd);
                return;
        }
        if (l->cb.on_accept)
                l->cb.on_accept(l->ctx, c, io_pipe_conn_peer(c));
        else
                io_pipe_free(c);
}

/*
 * accept() failed (EMFILE, ENFILE, ENOBUFS...): the listening socket stays
 * readable, so keep accepting and we would spin.  Pause for a second.
 */
static void accept_error_cb(struct evconnlistener *evl, void *arg)
{
        struct io_listener *l = arg;
        l->accept_errors++;
        evconnlistener_disable(evl);
        struct timeval tv = { 1, 0 };
        evtimer_add(l->resume, &tv);
}

static void resume_cb(evutil_socket_t fd, short what, void *arg)
{
        struct io_listener *l = arg;
        (void)fd;
        (void)what;
        evconnlistener_enable(l->evl);
}

void io_listener_free(struct io_listener *l)
{
        if (!l)
                return;
        if (l->evl)
                evconnlistener_free(l->evl);
        if (l->resume)
                event_free(l->resume);
        while (l->nhs > 0)
                hs_refuse(l->hs[0], NULL);
        while (l->nlinger > 0)
                linger_end(l->linger[0]);
        io_tls_free(l->tls);
        free(l->allow);
        free(l);
}

int io_listener_new(struct event_base *base, const struct io_listener_cfg *cfg,
                    const struct io_listener_cb *cb, void *ctx, struct io_listener **ret)
{
        struct io_listener *l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->base = base;
        l->cb = *cb;
        l->ctx = ctx;
        l->high_water = cfg->write_high_water ? cfg->write_high_water : CONN_HIGH_WATER;
        l->tls = cfg->tls ? io_tls_ref(cfg->tls) : NULL;
        if (io_listener_set_allow(l, cfg->allow, cfg->n_allow) < 0) {
                io_listener_free(l);
                return -ENOMEM;
        }

        int family = cfg->ep.sa.ss_family;
        int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int err = 0;
        if (fd < 0) {
                err = -errno;
                goto fail;
        }
        int one = 1, zero = 0;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (family == AF_INET6)  /* "[::]:20000" accepts IPv4 peers too */
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        if (bind(fd, (const struct sockaddr *)&cfg->ep.sa, cfg->ep.len) < 0 || listen(fd, 16) < 0) {
                err = -errno;
                close(fd);
                goto fail;
        }
        struct sockaddr_storage bound;
        socklen_t blen = sizeof(bound);
        if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
                l->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                            : ((struct sockaddr_in *)&bound)->sin_port);
        l->resume = evtimer_new(base, resume_cb, l);
        l->evl = l->resume ? evconnlistener_new(base, accept_cb, l, LEV_OPT_CLOSE_ON_FREE, -1, fd)
                           : NULL;
        if (!l->evl) {
                close(fd);
                err = -ENOMEM;
                goto fail;
        }
        evconnlistener_set_error_cb(l->evl, accept_error_cb);
        *ret = l;
        return 0;
fail:
        io_listener_free(l);    /* l->evl is NULL here */
        return err;
}

uint16_t io_listener_port(const struct io_listener *l)
{
        return l->port;
}

uint64_t io_listener_rejected(const struct io_listener *l)
{
        return l->rejected;
}

uint64_t io_listener_accept_errors(const struct io_listener *l)
{
        return l->accept_errors;
}

int io_listener_set_allow(struct io_listener *l, const struct io_cidr *allow, size_t n)
{
        struct io_cidr *a = NULL;
        if (n) {
                a = calloc(n, sizeof(*a));
                if (!a)
                        return -ENOMEM;
                memcpy(a, allow, n * sizeof(*a));
        }
        free(l->allow);
        l->allow = a;
        l->n_allow = n;
        return 0;
}

uint64_t io_listener_tls_refused(const struct io_listener *l)
{
        return l->tls_refused;
}

void io_listener_set_tls(struct io_listener *l, struct io_tls *t)
{
        if (t)
                io_tls_ref(t);
        io_tls_free(l->tls);
        l->tls = t;
}
