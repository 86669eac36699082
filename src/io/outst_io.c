/* SPDX-License-Identifier: MIT */
#include "io/outst_io.h"

#include "io/clock.h"
#include "io/outst_ep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

/* A stream has no "drained" callback: retry a refused write after this long. */
#define OUTST_IO_STREAM_RETRY_MS 10
/* Output chunks handed to the socket per call (each is at most one fragment). */
#define OUTST_IO_MAX_WRITES 64

struct outst_io {
        struct event_base *base;
        struct outst *o;
        struct outst_callbacks app_ocb;
        struct outst_io_cb cb;
        void *ctx;
        struct outst_ep *ep;            /* the endpoint it listens on, or NULL (stream) */
        bool own_ep;                    /* bound for this instance alone */
        struct outst_ep_member member;  /* attached to ep */
        struct io_cidr *allow;          /* its allow-list, member.allow */
        struct io_conn *conn;
        struct io_stream *st;
        struct io_deadline timer;       /* armed at outst_deadline() */
        bool connected;
        bool blocked;                   /* the socket refused output: wait until it drains */
        unsigned depth;                 /* > 0 while inside an outst_*() call */
        struct outst_io_stats stats;
};

static void io_rearm(struct outst_io *io, uint64_t now)
{
        uint64_t d = outst_deadline(io->o);
        if (io->blocked && io->st && now + OUTST_IO_STREAM_RETRY_MS < d)
                d = now + OUTST_IO_STREAM_RETRY_MS;
        io_deadline_arm(&io->timer, d, now);
}

static int io_write(struct outst_io *io, const uint8_t *p, size_t n)
{
        if (io->conn)
                return io_conn_write(io->conn, p, n);
        if (io->st)
                return io_stream_write(io->st, p, n);
        return -ENOTCONN;
}

static void io_drop(struct outst_io *io, uint64_t now, int err, const char *what)
{
        if (io->st) {
                io_stream_reset(io->st, err, what);     /* on_down does the rest */
                return;
        }
        if (!io->conn)
                return;
        io_conn_free(io->conn);
        io->conn = NULL;
        io->connected = false;
        io->blocked = false;
        outst_down(io->o, now);
        if (io->cb.on_disconnect)
                io->cb.on_disconnect(io->ctx, err, what);
}

/* After every input to the session: act on its requests, send its output, re-arm. */
static void io_after(struct outst_io *io, uint64_t now)
{
        if (io->depth > 0)
                return;
        struct dnp_sess *s = outst_sess(io->o);
        if (s->drop < 0) {
                int err = s->drop;
                s->drop = 0;
                if (io->connected) {
                        io->stats.link_dead++;
                        io_drop(io, now, err, s->drop_what);
                }
        }
        for (unsigned i = 0; io->connected && !io->blocked && i < OUTST_IO_MAX_WRITES; i++) {
                const uint8_t *p;
                size_t n = outst_output(io->o, &p);
                if (n == 0)
                        break;
                int r = io_write(io, p, n);
                if (r == -ENOBUFS) {
                        io->blocked = true;
                        io->stats.write_blocked++;
                        if (io->conn)
                                io_conn_pause_read(io->conn, true);
                        break;
                }
                if (r < 0)
                        break;          /* closing: the close callback follows */
                outst_consumed(io->o, n, now);
        }
        io_rearm(io, now);
}

/* ---- session callbacks (forwarded to the application) ------------------ */

static void io_on_command(void *ctx, uint32_t token, uint8_t func, const struct outst_cmd *cmds,
                          size_t n)
{
        struct outst_io *io = ctx;
        io->app_ocb.on_command(io->ctx, token, func, cmds, n);
}

static void io_on_time_sync(void *ctx, uint64_t master_time, uint64_t at_mono,
                            enum outst_time_kind kind)
{
        struct outst_io *io = ctx;
        if (io->app_ocb.on_time_sync)
                io->app_ocb.on_time_sync(io->ctx, master_time, at_mono, kind);
}

static void io_on_freeze(void *ctx, uint32_t token, const struct outst_freeze *f)
{
        struct outst_io *io = ctx;
        io->app_ocb.on_freeze(io->ctx, token, f);
}

static int io_on_restart(void *ctx, bool cold, uint32_t *ret_delay_ms)
{
        struct outst_io *io = ctx;
        return io->app_ocb.on_restart(io->ctx, cold, ret_delay_ms);
}

static void io_on_reject_frame(void *ctx, enum lsess_match m, uint16_t src, uint16_t dest)
{
        struct outst_io *io = ctx;
        if (io->app_ocb.on_reject)
                io->app_ocb.on_reject(io->ctx, m, src, dest);
}

static void io_on_select_end(void *ctx, enum outst_sel_end why)
{
        struct outst_io *io = ctx;
        io->app_ocb.on_select_end(io->ctx, why);
}

/* The session has output or a new deadline (or asks for its link to be dropped). */
static void io_on_wake(void *ctx)
{
        struct outst_io *io = ctx;
        if (io->depth == 0)     /* else the verb running now flushes when it returns */
                io_after(io, io_mono_ms());
}

/* ---- connection / stream callbacks ------------------------------------ */

static void io_on_data(void *ctx, const uint8_t *p, size_t n)
{
        struct outst_io *io = ctx;
        uint64_t now = io_mono_ms();
        io->depth++;
        outst_rx(io->o, p, n, now);
        io->depth--;
        io_after(io, now);
}

static void io_on_drained(void *ctx)
{
        struct outst_io *io = ctx;
        uint64_t now = io_mono_ms();
        if (io->blocked) {
                io->blocked = false;
                if (io->conn)
                        io_conn_pause_read(io->conn, false);
        }
        io_after(io, now);
}

static void io_on_closed(void *ctx, int err, const char *what)
{
        struct outst_io *io = ctx;
        uint64_t now = io_mono_ms();
        io_drop(io, now, err, what);
        io_rearm(io, now);
}

static const struct io_conn_cb io_conn_cbs = {
        .on_data = io_on_data,
        .on_drained = io_on_drained,
        .on_closed = io_on_closed,
};

static void io_on_accept(void *ctx, struct io_conn *c, const struct sockaddr *peer)
{
        struct outst_io *io = ctx;
        uint64_t now = io_mono_ms();
        bool replaced = io->conn != NULL;

        if (replaced) {
                /* the old connection goes; its unconfirmed events become unsent again */
                io->stats.replaced++;
                io_drop(io, now, -ECONNRESET, "replaced by a new connection");
        }
        io->conn = c;
        io_conn_set_cb(c, &io_conn_cbs, io);
        io->connected = true;
        io->blocked = false;
        io->stats.connects++;
        outst_up(io->o, now);
        if (io->cb.on_connect)
                io->cb.on_connect(io->ctx, peer, replaced);
        io_after(io, now);
}

static void io_on_reject_peer(void *ctx, const struct sockaddr *peer)
{
        struct outst_io *io = ctx;
        io->stats.rejected++;
        if (io->cb.on_reject)
                io->cb.on_reject(io->ctx, peer);
}

static void io_on_up(void *ctx)
{
        struct outst_io *io = ctx;
        uint64_t now = io_mono_ms();
        io->connected = true;
        io->blocked = false;
        io->stats.connects++;
        outst_up(io->o, now);
        if (io->cb.on_connect)
                io->cb.on_connect(io->ctx, NULL, false);
        io_after(io, now);
}

static void io_on_down(void *ctx, int err, const char *what)
{
        struct outst_io *io = ctx;
        uint64_t now = io_mono_ms();
        if (!io->connected)
                return;
        io->connected = false;
        io->blocked = false;
        outst_down(io->o, now);
        if (io->cb.on_disconnect)
                io->cb.on_disconnect(io->ctx, err, what);
        io_rearm(io, now);
}

static void io_on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct outst_io *io = arg;
        (void)fd;
        (void)what;
        uint64_t now = io_mono_ms();
        io->stats.timer_wakeups++;
        io_deadline_fired(&io->timer);
        io->blocked = io->blocked && io->conn;  /* a stream retries its refused write */
        io->depth++;
        outst_timer(io->o, now);
        io->depth--;
        io_after(io, now);
}

/* Attach to the shared endpoint, or to one bound for this instance alone. */
static int io_attach(struct outst_io *io, const struct outst_io_cfg *cfg, uint16_t address)
{
        size_t n = cfg->listen.n_allow;
        if (n) {
                io->allow = calloc(n, sizeof(*io->allow));
                if (!io->allow)
                        return -ENOMEM;
                memcpy(io->allow, cfg->listen.allow, n * sizeof(*io->allow));
        }
        io->member = (struct outst_ep_member){
                .address = address,
                .allow = io->allow,
                .n_allow = n,
                .on_conn = io_on_accept,
                .on_reject = io_on_reject_peer,
                .ctx = io,
        };
        struct outst_ep *ep = cfg->ep;
        if (!ep) {
                const struct outst_ep_cfg ecfg = {
                        .ep = cfg->listen.ep,
                        .write_high_water = cfg->listen.write_high_water,
                };
                int r = outst_ep_new(io->base, &ecfg, NULL, NULL, &ep);
                if (r < 0)
                        return r;
        }
        int r = outst_ep_attach(ep, &io->member);
        if (r < 0) {
                if (!cfg->ep)
                        outst_ep_free(ep);
                return r;
        }
        io->ep = ep;
        io->own_ep = !cfg->ep;
        return 0;
}

/* ---- public ---------------------------------------------------------- */

int outst_io_new(struct event_base *base, const struct outst_io_cfg *cfg,
                 const struct outst_cfg *ocfg, const struct outst_callbacks *ocb,
                 const struct outst_io_cb *cb, void *ctx, struct outst_io **ret)
{
        int err = -ENOMEM;
        struct outst_io *io = calloc(1, sizeof(*io));
        if (!io)
                return -ENOMEM;
        io->base = base;
        io->ctx = ctx;
        io->timer.armed = DNP_NEVER;
        if (cb)
                io->cb = *cb;
        if (ocb)
                io->app_ocb = *ocb;
        struct outst_callbacks wrap = {
                .on_command = io->app_ocb.on_command ? io_on_command : NULL,
                .on_freeze = io->app_ocb.on_freeze ? io_on_freeze : NULL,
                .on_time_sync = io_on_time_sync,
                .on_restart = io->app_ocb.on_restart ? io_on_restart : NULL,
                .on_reject = io_on_reject_frame,
                .on_select_end = io->app_ocb.on_select_end ? io_on_select_end : NULL,
        };
        io->timer.ev = evtimer_new(base, io_on_timer, io);
        if (!io->timer.ev)
                goto fail;
        uint64_t now = io_mono_ms();
        io->o = outst_new(ocfg, &wrap, io, now, &err);
        if (!io->o)
                goto fail;
        outst_sess(io->o)->wake = io_on_wake;
        outst_sess(io->o)->wake_ctx = io;
        if (cfg->stream) {
                static const struct io_stream_cb scb = {
                        .on_up = io_on_up,
                        .on_data = io_on_data,
                        .on_down = io_on_down,
                };
                err = io_stream_new(base, &cfg->stream_cfg, &scb, io, &io->st);
                if (err < 0)
                        goto fail;
                io_stream_start(io->st);
        } else {
                err = io_attach(io, cfg, ocfg->address);
                if (err < 0)
                        goto fail;
        }
        io_rearm(io, now);
        *ret = io;
        return 0;
fail:
        outst_io_free(io);
        return err;
}

void outst_io_free(struct outst_io *io)
{
        if (!io)
                return;
        if (io->conn)
                io_conn_free(io->conn);
        if (io->ep) {
                outst_ep_detach(io->ep, &io->member);
                if (io->own_ep)
                        outst_ep_free(io->ep);
        }
        free(io->allow);
        io_stream_free(io->st);
        if (io->timer.ev)
                event_free(io->timer.ev);
        outst_free(io->o);
        free(io);
}

struct outst *outst_io_outst(struct outst_io *io)
{
        return io->o;
}

uint16_t outst_io_port(const struct outst_io *io)
{
        return io->ep ? outst_ep_port(io->ep) : 0;
}

bool outst_io_connected(const struct outst_io *io)
{
        return io->connected;
}

const struct outst_io_stats *outst_io_stats(const struct outst_io *io)
{
        return &io->stats;
}

int outst_io_update(struct outst_io *io, enum dnp_type t, const struct dnp_value *v,
                    enum db_mode mode)
{
        uint64_t now = io_mono_ms();
        io->depth++;
        int r = outst_update(io->o, t, v, mode, now);
        io->depth--;
        io_after(io, now);
        return r;
}

int outst_io_cmd_complete(struct outst_io *io, uint32_t token, const uint8_t *statuses, size_t n)
{
        uint64_t now = io_mono_ms();
        io->depth++;
        int r = outst_cmd_complete(io->o, token, statuses, n, now);
        io->depth--;
        io_after(io, now);
        return r;
}

int outst_io_freeze_complete(struct outst_io *io, uint32_t token, uint16_t iin)
{
        uint64_t now = io_mono_ms();
        io->depth++;
        int r = outst_freeze_complete(io->o, token, iin, now);
        io->depth--;
        io_after(io, now);
        return r;
}

void outst_io_kick(struct outst_io *io)
{
        io_after(io, io_mono_ms());
}
