/* SPDX-License-Identifier: MIT */
/*
 * The accepted-TCP-connection backend of io/pipe.h: up from creation, down
 * for good once closed (by the peer, an error or io_pipe_close()).  A TLS
 * connection is made once its handshake finished (io/listener.c) and
 * carries its bytes through the TLS session.
 */
#include "io/listener.h"
#include "io/pipe_fd.h"
#include "io/tls_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

struct pipe_conn {
        struct io_fdpipe f;
        struct sockaddr_storage peer;
};

static void conn_shut(struct pipe_conn *c)
{
        int fd = c->f.fd;
        io_fdpipe_detach(&c->f);
        io_tls_sess_free(c->f.pipe.tls);        /* its close_notify before the fd closes */
        c->f.pipe.tls = NULL;
        if (fd >= 0)
                close(fd);
        c->f.pipe.up = false;
}

static void conn_close(struct io_pipe *p, int err, const char *what)
{
        struct pipe_conn *c = (struct pipe_conn *)p;
        if (!p->up)
                return;
        conn_shut(c);
        p->stats.losses++;
        if (p->cb.on_down)
                p->cb.on_down(p->ctx, err, what);
}

static void conn_lost(struct io_fdpipe *f, int err, const char *what)
{
        if (err == 0)
                conn_close(&f->pipe, -ECONNRESET, "closed by peer");
        else
                conn_close(&f->pipe, err, what);
}

static void conn_release(evutil_socket_t fd, short what, void *arg)
{
        struct pipe_conn *c = arg;
        (void)fd;
        (void)what;
        io_fdpipe_cleanup(&c->f);
        free(c);
}

/* Never free inside our own callback: release from the loop. */
static void conn_free(struct io_pipe *p)
{
        struct pipe_conn *c = (struct pipe_conn *)p;
        conn_shut(c);
        p->cb = (struct io_pipe_cb){ 0 };
        if (event_base_once(c->f.base, -1, EV_TIMEOUT, conn_release, c, NULL) < 0)
                conn_release(-1, 0, c);
}

static const struct io_pipe_ops conn_ops = {
        IO_FDPIPE_OPS,
        .close = conn_close,
        .free = conn_free,
};

int io_pipe_conn_new(struct event_base *base, int fd, const struct sockaddr *peer, size_t peer_len,
                     size_t write_high_water, struct io_pipe **ret)
{
        return io_pipe_conn_new_tls(base, fd, peer, peer_len, write_high_water, NULL, ret);
}

int io_pipe_conn_new_tls(struct event_base *base, int fd, const struct sockaddr *peer,
                         size_t peer_len, size_t write_high_water, struct io_tls_sess *s,
                         struct io_pipe **ret)
{
        struct pipe_conn *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->f.pipe.ops = &conn_ops;
        c->f.base = base;
        c->f.fd = -1;
        c->f.hw = write_high_water;
        c->f.lost = conn_lost;
        if (peer_len <= sizeof(c->peer))
                memcpy(&c->peer, peer, peer_len);
        io_addr_format((const struct sockaddr *)&c->peer, c->f.pipe.name, sizeof(c->f.pipe.name));
        int r = s ? io_fdpipe_attach_io(&c->f, fd, &io_tls_sess_io, s)
                  : io_fdpipe_attach(&c->f, fd, true);
        if (r < 0) {
                free(c);
                return r;
        }
        if (s) {
                c->f.pipe.tls = s;
                io_tls_sess_attach(s, &c->f);
        }
        c->f.pipe.up = true;
        c->f.pipe.stats.opens++;
        *ret = &c->f.pipe;
        return 0;
}

const struct sockaddr *io_pipe_conn_peer(const struct io_pipe *p)
{
        return (const struct sockaddr *)&((const struct pipe_conn *)p)->peer;
}
