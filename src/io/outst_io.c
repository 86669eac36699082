/* SPDX-License-Identifier: MIT */
/* Endpoint policy around one outstation session and its runner: see outst_io.h. */
#include "io/outst_io.h"

#include "io/clock.h"
#include "io/outst_ep.h"
#include "io/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct outst_io {
        struct event_base *base;
        struct outst *o;
        struct io_runner *run;
        struct outst_callbacks app_ocb;
        struct outst_io_cb cb;
        void *ctx;
        struct outst_ep *ep;            /* the endpoint it listens on, or NULL (a pipe) */
        bool own_ep;                    /* bound for this instance alone */
        struct outst_ep_member member;  /* attached to ep */
        struct io_cidr *allow;          /* its allow-list, member.allow */
        bool connected;
        bool replacing;                 /* the connection coming up replaces another */
        struct outst_io_stats stats;
        char refused[sizeof(((struct io_tls_refusal *)0)->text)];      /* io_screen's reason */
};

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

/* ---- runner callbacks ---------------------------------------------------- */

static void io_on_up(void *ctx)
{
        struct outst_io *io = ctx;
        struct io_pipe *p = io_runner_pipe(io->run);
        bool replaced = io->replacing;
        io->replacing = false;
        io->connected = true;
        io->stats.connects++;
        if (io->cb.on_connect)
                io->cb.on_connect(io->ctx, io->ep ? io_pipe_conn_peer(p) : NULL, replaced);
}

static void io_on_down(void *ctx, int err, const char *what)
{
        struct outst_io *io = ctx;
        if (!io->connected) {   /* a pipe that could not be opened: nothing was connected */
                if (io->cb.on_open_fail)
                        io->cb.on_open_fail(io->ctx, err, what);
                return;
        }
        io->connected = false;
        if (io->cb.on_disconnect)
                io->cb.on_disconnect(io->ctx, err, what);
}

static void io_on_accept(void *ctx, struct io_pipe *c, const struct sockaddr *peer,
                         const uint8_t *held, size_t n)
{
        struct outst_io *io = ctx;
        (void)peer;
        if (io->connected) {
                /* the old connection goes; its unconfirmed events become unsent again */
                io->stats.replaced++;
                io_runner_close(io->run, -ECONNRESET, "replaced by a new connection");
                io->replacing = true;
        }
        io_runner_attach(io->run, c, held, n);
}

static void io_on_reject_peer(void *ctx, const struct sockaddr *peer)
{
        struct outst_io *io = ctx;
        io->stats.rejected++;
        if (io->cb.on_reject)
                io->cb.on_reject(io->ctx, peer);
}

static void io_on_tls_refused(void *ctx, const struct sockaddr *peer,
                              const struct io_tls_refusal *r)
{
        struct outst_io *io = ctx;
        io->stats.tls_refused++;
        if (io->cb.on_tls_refused)
                io->cb.on_tls_refused(io->ctx, peer, r);
}

/*
 * The first bytes of a connection accepted on a plain endpoint: a TLS
 * ClientHello is refused like the TLS endpoint's refusals (counted, reported
 * with the peer's address), and the connection closed before the session
 * sees it.
 */
static const char *io_screen(void *ctx, const uint8_t *p, size_t n)
{
        struct outst_io *io = ctx;
        struct io_pipe *c = io_runner_pipe(io->run);
        struct io_tls_refusal r;
        if (!io->ep || !c || io_pipe_is_tls(c) || !io_tls_hello_on_plain(p, n, &r))
                return NULL;
        outst_ep_tls_refused(io->ep, io_pipe_conn_peer(c), &r);
        snprintf(io->refused, sizeof(io->refused), "%s", r.text);
        return io->refused;
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
                .on_tls_refused = io_on_tls_refused,
                .ctx = io,
        };
        struct outst_ep *ep = cfg->ep;
        if (!ep) {
                const struct outst_ep_cfg ecfg = {
                        .ep = cfg->listen.ep,
                        .write_high_water = cfg->listen.write_high_water,
                        .tls = cfg->listen.tls,
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

void outst_io_free(struct outst_io *io)
{
        if (!io)
                return;
        io_runner_free(io->run);        /* and its pipe */
        if (io->ep) {
                outst_ep_detach(io->ep, &io->member);
                if (io->own_ep)
                        outst_ep_free(io->ep);
        }
        free(io->allow);
        outst_free(io->o);
        free(io);
}

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
        io->o = outst_new(ocfg, &wrap, io, io_mono_ms(), &err);
        if (!io->o)
                goto fail;
        static const struct io_runner_cb rcb = {
                .on_up = io_on_up,
                .on_down = io_on_down,
                .screen = io_screen,
        };
        err = io_runner_new(base, outst_sess(io->o), &rcb, io, &io->run);
        if (err < 0)
                goto fail;
        if (cfg->pipe) {
                struct io_pipe *p;
                err = io_pipe_open(base, cfg->pipe, &p);
                if (err < 0)
                        goto fail;
                io_runner_attach(io->run, p, NULL, 0);
                io_pipe_start(p);
        } else {
                err = io_attach(io, cfg, ocfg->address);
                if (err < 0)
                        goto fail;
        }
        *ret = io;
        return 0;
fail:
        outst_io_free(io);
        return err;
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

struct io_runner *outst_io_runner(struct outst_io *io)
{
        return io->run;
}

struct io_pipe *outst_io_pipe(struct outst_io *io)
{
        return io->connected ? io_runner_pipe(io->run) : NULL;
}

void outst_io_set_tls(struct outst_io *io, struct io_tls *t)
{
        if (io->own_ep)
                outst_ep_set_tls(io->ep, t);
}

const struct outst_io_stats *outst_io_stats(struct outst_io *io)
{
        io->stats.run = *io_runner_stats(io->run);
        return &io->stats;
}

int outst_io_update(struct outst_io *io, enum dnp_type t, const struct dnp_value *v,
                    enum db_mode mode)
{
        return outst_update(io->o, t, v, mode, io_mono_ms());
}

int outst_io_cmd_complete(struct outst_io *io, uint32_t token, const uint8_t *statuses, size_t n)
{
        return outst_cmd_complete(io->o, token, statuses, n, io_mono_ms());
}

int outst_io_freeze_complete(struct outst_io *io, uint32_t token, uint16_t iin)
{
        return outst_freeze_complete(io->o, token, iin, io_mono_ms());
}
