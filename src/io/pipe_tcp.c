/* SPDX-License-Identifier: MIT */
/*
 * The TCP-client backend of io/pipe.h (a terminal server): the name is
 * resolved without blocking (evdns), the connect is non-blocking, the
 * socket goes to the shared reopening lifecycle (pipe_client.c).  With
 * TLS the connection is up once the handshake finished; a refused
 * handshake is a failed open whose what is the refusal's text.
 */
#include "io/pipe_client.h"
#include "io/tls_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

struct pipe_tcp {
        struct io_client c;             /* first */
        char port[8];
        struct evdns_base *dns;
        struct evdns_getaddrinfo_request *req;  /* resolving */
        struct event *conn;             /* connecting: the socket turns writable */
        int fd;                         /* connecting or up, else -1 */
        struct io_tls *tls;             /* a reference; NULL: plain TCP */
        struct io_tls_sess *sess;       /* handshaking or up */
        char why[264];                  /* "TLS: " and the last refusal (on_down's what) */
};

static void tcp_tls_done(void *arg, int err, const struct io_tls_refusal *r)
{
        struct pipe_tcp *t = arg;
        if (err < 0) {
                snprintf(t->why, sizeof(t->why), "TLS: %s", r->text);
                io_client_fail(&t->c, err, t->why);
                return;
        }
        t->c.f.pipe.tls = t->sess;
        io_tls_sess_attach(t->sess, &t->c.f);
        io_client_up_io(&t->c, t->fd, &io_tls_sess_io, t->sess);
}

static void tcp_on_connected(evutil_socket_t fd, short what, void *arg)
{
        struct pipe_tcp *t = arg;
        (void)what;
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
        event_free(t->conn);
        t->conn = NULL;
        if (err) {
                io_client_fail(&t->c, -err, "connect");
                return;
        }
        if (!t->tls) {
                io_client_up(&t->c, t->fd, true);
                return;
        }
        if (io_tls_sess_new(t->tls, t->c.f.base, t->fd, false, t->c.where, tcp_tls_done, t,
                            &t->sess) < 0)
                io_client_fail(&t->c, -ENOMEM, "TLS");
}

static void tcp_on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
        if (result == EVUTIL_EAI_CANCEL)
                return;                 /* shut: the pipe may be gone, touch nothing */
        struct pipe_tcp *t = arg;
        t->req = NULL;
        if (result != 0 || !res) {
                if (res)
                        evutil_freeaddrinfo(res);
                io_client_fail(&t->c, -EHOSTUNREACH, "resolve");
                return;
        }
        int err = 0;
        t->fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                       res->ai_protocol);
        if (t->fd < 0)
                err = -errno;
        else if (connect(t->fd, res->ai_addr, res->ai_addrlen) < 0 && errno != EINPROGRESS)
                err = -errno;
        evutil_freeaddrinfo(res);
        if (err == 0) {
                t->conn = event_new(t->c.f.base, t->fd, EV_WRITE, tcp_on_connected, t);
                if (!t->conn || event_add(t->conn, NULL) < 0)
                        err = -ENOMEM;
        }
        if (err < 0)
                io_client_fail(&t->c, err, "connect");
}

static int tcp_open(struct io_client *c, const char **ret_what)
{
        struct pipe_tcp *t = (struct pipe_tcp *)c;
        *ret_what = "connect";
        if (!t->dns) {
                t->dns = evdns_base_new(c->f.base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
                if (!t->dns)
                        t->dns = evdns_base_new(c->f.base, 0);
                if (!t->dns)
                        return -ENOMEM;
        }
        struct evutil_addrinfo hints = {
                .ai_family = AF_UNSPEC,
                .ai_socktype = SOCK_STREAM,
                .ai_protocol = IPPROTO_TCP,
                .ai_flags = EVUTIL_AI_ADDRCONFIG,
        };
        /* may answer at once (a numeric address): then the callback ran already */
        struct evdns_getaddrinfo_request *req =
                evdns_getaddrinfo(t->dns, t->c.where, t->port, &hints, tcp_on_resolved, t);
        if (req)
                t->req = req;
        return 0;
}

static void tcp_shut(struct io_client *c)
{
        struct pipe_tcp *t = (struct pipe_tcp *)c;
        if (t->req) {
                struct evdns_getaddrinfo_request *req = t->req;
                t->req = NULL;
                evdns_getaddrinfo_cancel(req);
        }
        if (t->conn)
                event_free(t->conn);
        t->conn = NULL;
        io_tls_sess_free(t->sess);      /* its close_notify before the fd closes */
        t->sess = NULL;
        c->f.pipe.tls = NULL;
        if (t->fd >= 0)
                close(t->fd);
        t->fd = -1;
}

static void tcp_release(struct io_client *c)
{
        struct pipe_tcp *t = (struct pipe_tcp *)c;
        if (t->dns)
                evdns_base_free(t->dns, 0);
        io_tls_free(t->tls);
}

static const struct io_client_ops tcp_ops = {
        .open = tcp_open,
        .shut = tcp_shut,
        .release = tcp_release,
        .eof_err = -ECONNRESET,
        .eof_what = "closed by peer",
};

int io_pipe_tcp_new(struct event_base *base, const struct io_pipe_cfg *cfg, struct io_pipe **ret)
{
        struct io_client *c;
        int r = io_client_new(sizeof(struct pipe_tcp), base, cfg, &tcp_ops, cfg->tcp.host, &c);
        if (r < 0)
                return r;
        struct pipe_tcp *t = (struct pipe_tcp *)c;
        t->fd = -1;
        t->tls = cfg->tcp.tls ? io_tls_ref(cfg->tcp.tls) : NULL;
        snprintf(t->port, sizeof(t->port), "%u", (unsigned)cfg->tcp.port);
        snprintf(c->f.pipe.name, sizeof(c->f.pipe.name), "%s:%u", c->where,
                 (unsigned)cfg->tcp.port);
        *ret = &c->f.pipe;
        return 0;
}

int io_pipe_tls_set(struct io_pipe *p, struct io_tls *tls)
{
        struct io_client *c = (struct io_client *)p;
        if (!tls || p->ops != &io_client_pipe_ops || c->cops != &tcp_ops)
                return -EINVAL;
        struct pipe_tcp *t = (struct pipe_tcp *)c;
        if (!t->tls)
                return -EINVAL;
        io_tls_ref(tls);
        io_tls_free(t->tls);
        t->tls = tls;
        return 0;
}
