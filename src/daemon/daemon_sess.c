/* SPDX-License-Identifier: MIT */
/*
 * The running objects: upstream endpoints (one listening socket each),
 * outstations (outst_io), channels with their devices (master_io) and the
 * gateway core, built from the derived configs (daemon_wire.c), and the
 * routing of their upcalls.
 *
 *   master on_value/on_state -> gw_on_meas/gw_on_dev_state, which call
 *   outst_update() on the outstation sessions; outst on_command ->
 *   gw_on_command -> master_dev_control(); outst on_freeze -> gw_on_freeze
 *   -> master_dev_freeze().  The sessions raise their wake upcall and their
 *   adapters flush them; the daemon only defers its event-buffer and
 *   STATUS= checks (d_defer_status()).  Records go to daemon_journal.c.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outstation/events.h"

void dsess_gw_free_now(struct d_gw *dg)
{
        if (!dg)
                return;
        if (dg->free_ev)
                event_free(dg->free_ev);
        gw_free(dg->g);
        free(dg);
}

int dsess_gw_new(struct daemon *d, const struct gw_config *cfg, struct d_gw **ret)
{
        struct gw_map_entry *map;
        size_t n;
        int r = dwire_gw_map(cfg, &map, &n);
        if (r < 0)
                return r;
        struct d_gw *dg = calloc(1, sizeof(*dg));
        r = -ENOMEM;
        if (!dg)
                goto out;
        dg->d = d;
        const struct gw_callbacks cb = {
                .ctx = dg,
                .on_audit = djournal_on_audit,
                .on_freeze_audit = djournal_on_freeze_audit,
                .on_comm_lost = djournal_on_comm_lost,
        };
        r = gw_new(map, n, cfg->ndevices, cfg->noutstations, &cb, &dg->g);
        if (r < 0)
                goto out;
        *ret = dg;
        dg = NULL;
out:
        free(dg);
        free(map);
        return r;
}

static void dsess_out_on_command(void *ctx, uint32_t token, uint8_t func,
                                 const struct outst_cmd *cmds, size_t n)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        gw_on_command(d->gw->g, o->idx, token, func, cmds, n, d_now(d));
        d_defer_status(d);
}

static void dsess_out_on_freeze(void *ctx, uint32_t token, const struct outst_freeze *f)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        gw_on_freeze(d->gw->g, o->idx, token, f, d_now(d));
        d_defer_status(d);
}

static void dsess_out_on_select_end(void *ctx, enum outst_sel_end why)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        uint64_t now = d_now(d);
        gw_on_select_end(d->gw->g, o->idx, now);
        d_defer_status(d);
        djournal_select_unused(o, why, now);
}

const struct outst_callbacks dsess_outst_cb = {
        .on_command = dsess_out_on_command,
        .on_freeze = dsess_out_on_freeze,
        .on_reject = djournal_on_reject_frame,
        .on_select_end = dsess_out_on_select_end,
};

static void dsess_out_on_connect(void *ctx, const struct sockaddr *peer, bool replaced)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        if (peer)
                io_addr_format(peer, o->peer, sizeof(o->peer));
        else
                snprintf(o->peer, sizeof(o->peer), "stream");
        o->connected = true;
        dtls_describe(outst_io_pipe(o->io), o->tls, sizeof(o->tls));
        o->since_ms = d_now(d);
        o->sel_unused = 0;
        djournal_connect(o, replaced);
        d_state_changed(d);
}

static void dsess_out_on_disconnect(void *ctx, int err, const char *what)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        djournal_disconnect(o, err, what);
        o->connected = false;
        o->disconnects++;
        d_state_changed(d);
}

struct d_ep *dsess_ep_find(const struct daemon *d, const struct io_endpoint *ep)
{
        for (size_t k = 0; k < d->nep; k++)
                if (io_endpoint_eq(&d->eps[k]->ep, ep))
                        return d->eps[k];
        return NULL;
}

/* Bind oc's endpoint (a new one). */
static int dsess_ep_new(struct daemon *d, const struct gw_outstation *oc, struct d_ep **ret)
{
        struct d_ep *e = calloc(1, sizeof(*e));
        struct d_ep **a = realloc(d->eps, (d->nep + 1) * sizeof(*a));
        if (a)
                d->eps = a;
        if (!e || !a) {
                free(e);
                return -ENOMEM;
        }
        *e = (struct d_ep){ .d = d, .ep = oc->endpoint, .fresh = true, .wanted = true };
        snprintf(e->listen, sizeof(e->listen), "%s", oc->listen);
        const struct outst_ep_cfg ecfg = {
                .ep = oc->endpoint,
                .tls = oc->tls.enabled ? oc->tls.ctx : NULL,
        };
        static const struct outst_ep_cb cb = {
                .on_drop = djournal_on_ep_drop,
                .on_tls_refused = dtls_on_ep_refused,
        };
        int r = outst_ep_new(d->base, &ecfg, &cb, e, &e->oe);
        if (r < 0) {
                log_error("outstation %s: cannot listen on %s: %s", oc->name, oc->listen,
                          strerror(-r));
                free(e);
                return r;
        }
        d->eps[d->nep++] = e;
        *ret = e;
        return 0;
}

/* Close the endpoints without outstations that are fresh, unwanted, or any. */
void dsess_ep_gc(struct daemon *d, enum dsess_ep_gc which)
{
        size_t k = 0;
        for (size_t i = 0; i < d->nep; i++) {
                struct d_ep *e = d->eps[i];
                bool close = outst_ep_members(e->oe) == 0 &&
                             (which == DSESS_EP_EMPTY || (which == DSESS_EP_FRESH && e->fresh) ||
                              (which == DSESS_EP_UNWANTED && !e->wanted));
                if (close) {
                        outst_ep_free(e->oe);
                        free(e);
                        continue;
                }
                if (which == DSESS_EP_EMPTY)
                        e->fresh = false;
                d->eps[k++] = e;
        }
        d->nep = k;
}

void dsess_out_free(struct d_out *o)
{
        if (!o)
                return;
        if (o->conn_timer.ev) {
                /* connections counted but not summed up yet are not left out */
                djournal_conn_final(o);
                event_free(o->conn_timer.ev);
        }
        for (unsigned c = 1; c <= 3; c++)
                free(o->logged_src[c]);
        if (o->io)
                dpersist_free(o);
        outst_io_free(o->io);
        free(o);
}

static int dsess_out_new(struct daemon *d, const struct gw_config *cfg, size_t i,
                         struct d_ep *ep, struct d_out **ret)
{
        const struct gw_outstation *oc = &cfg->outstations[i];
        struct d_out *o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->d = d;
        o->idx = i;
        o->cfg = oc;
        o->ep = ep;
        o->overflow_rl.interval_ms = 10000;
        o->conn.burst = DJOURNAL_CONN_BURST;
        o->conn.summarize = true;
        o->conn_timer.armed = DNP_NEVER;
        o->conn_timer.ev = evtimer_new(d->base, djournal_conn_on_timer, o);
        for (unsigned c = 1; c <= 3; c++)
                o->logged_src[c] = calloc((size_t)dwire_event_sources(cfg) + 1, sizeof(uint64_t));
        if (!o->conn_timer.ev || !o->logged_src[1] || !o->logged_src[2] || !o->logged_src[3]) {
                dsess_out_free(o);
                return -ENOMEM;
        }
        struct outst_cfg ocfg;
        dwire_outst_cfg(cfg, oc, &ocfg);
        const struct outst_io_cfg iocfg = {
                .listen = {
                        .allow = oc->allow,
                        .n_allow = oc->nallow,
                },
                .ep = ep->oe,
        };
        static const struct outst_io_cb cb = {
                .on_connect = dsess_out_on_connect,
                .on_disconnect = dsess_out_on_disconnect,
                .on_reject = djournal_on_reject_peer,
                .on_tls_refused = dtls_on_refused,
        };
        int r = outst_io_new(d->base, &iocfg, &ocfg, &dsess_outst_cb, &cb, o, &o->io);
        if (r < 0) {
                log_error("outstation %s: cannot start on %s: %s", oc->name, oc->listen,
                          strerror(-r));
                dsess_out_free(o);
                return r;
        }
        r = dwire_db_configure(cfg, outst_db(outst_io_outst(o->io)));
        if (r < 0) {
                log_error("outstation %s: point configuration refused: %s", oc->name,
                          strerror(-r));
                dsess_out_free(o);
                return r;
        }
        size_t shared = outst_ep_members(ep->oe) - 1;
        char with[64] = "";
        if (shared)
                snprintf(with, sizeof(with), "; shared with %zu other outstation%s", shared,
                         shared == 1 ? "" : "s");
        log_info("outstation %s: listening on %s (port %u%s), address %u, master %u%s", oc->name,
                 oc->listen, outst_io_port(o->io), oc->tls.enabled ? ", TLS" : "", oc->address,
                 oc->master_address, with);
        *ret = o;
        return 0;
}

static void dsess_on_value(void *ctx, const struct master_meas *m)
{
        struct d_chan *ch = ctx;
        struct daemon *d = ch->d;
        struct d_dev *v = master_dev_user(m->dev);
        uint64_t now = d_now(d);
        gw_on_meas(d->gw->g, v->slot, m, now);
        djournal_check_events(d, now);  /* the 80 % warning before the batch overflows */
        d_defer_status(d);
}

static void dsess_on_task(void *ctx, struct master_dev *md, enum master_task t, bool ok)
{
        struct d_chan *ch = ctx;
        struct d_dev *v = master_dev_user(md);
        d_defer_status(ch->d);
        if (ok) {
                v->last_ok_mono = io_mono_ms();
                v->last_ok_wall = io_wall_ms();
        }
        if (log_enabled(LOG_DEBUG_LEVEL)) {
                char ref[2 * GW_NAME_MAX];
                log_debug("%s: %s %s", djournal_dev_ref(v, ref, sizeof(ref)), master_task_name(t),
                          ok ? "done" : "failed");
        }
}

static void dsess_on_state(void *ctx, struct master_dev *md, enum master_dev_state s)
{
        struct d_chan *ch = ctx;
        struct daemon *d = ch->d;
        struct d_dev *v = master_dev_user(md);
        v->state = s;
        v->state_wall = io_wall_ms();
        v->why[0] = 0;
        if (s == MASTER_DEV_OFFLINE) {
                const struct master_dev_stats *ds = master_dev_get_stats(md);
                const struct gw_device *dc = &ch->cfg->devices[v->i];
                if (!master_chan_is_open(ch->mc))
                        snprintf(v->why, sizeof(v->why), "its channel is down: %.120s",
                                 ch->why[0] ? ch->why : "not open");
                else
                        snprintf(v->why, sizeof(v->why),
                                 "no valid response to %u requests in a row (%" PRIu64
                                 " timeouts, %" PRIu64 " bad responses so far)",
                                 dc->comm_fail_after ? dc->comm_fail_after : 1, ds->timeouts,
                                 ds->bad_responses);
        }
        gw_on_dev_state(d->gw->g, v->slot, s, d_now(d));
        djournal_dev_state(v, s);
        if (s == MASTER_DEV_OFFLINE) {
                char ref[2 * GW_NAME_MAX];
                d_set_error(d, "%s offline", djournal_dev_ref(v, ref, sizeof(ref)));
        }
        d_state_changed(d);
}

static void dsess_on_iin(void *ctx, struct master_dev *md, uint16_t iin)
{
        struct d_dev *v = master_dev_user(md);
        v->iin_seen |= iin;
        djournal_on_iin(ctx, md, iin);
}

static void dsess_chan_on_up(void *ctx)
{
        struct d_chan *ch = ctx;
        ch->up = true;
        ch->state_wall = io_wall_ms();
        ch->why[0] = 0;
        djournal_chan_up(ch);
        d_state_changed(ch->d);
}

static void dsess_chan_on_down(void *ctx, int err, const char *what)
{
        struct d_chan *ch = ctx;
        bool was_up = ch->up;
        ch->up = false;
        if (was_up || !ch->state_wall) {
                ch->state_wall = io_wall_ms();
                snprintf(ch->why, sizeof(ch->why), "%s%s%s", what ? what : "", err ? ": " : "",
                         err ? strerror(-err) : "");
        }
        djournal_chan_down(ch, was_up, err, what);
        d_set_error(ch->d, "channel %s down", ch->cfg->name);
}

void dsess_chan_free(struct d_chan *ch)
{
        if (!ch)
                return;
        master_io_free(ch->io);         /* and its channel */
        free(ch->devs);
        free(ch);
}

int dsess_chan_new(struct daemon *d, const struct gw_config *cfg, size_t ci, size_t first_slot,
                   struct d_chan **ret)
{
        const struct gw_channel *cc = &cfg->channels[ci];
        struct d_chan *ch = calloc(1, sizeof(*ch));
        int r = -ENOMEM;
        if (!ch)
                return -ENOMEM;
        ch->d = d;
        ch->cfg = cc;
        ch->ndev = cc->ndevices;
        ch->devs = calloc(cc->ndevices ? cc->ndevices : 1, sizeof(*ch->devs));
        if (!ch->devs)
                goto fail;
        struct master_io_cfg mcfg;
        dwire_chan_cfg(cc, &mcfg);
        const struct master_callbacks mcb = {
                .ctx = ch,
                .on_value = dsess_on_value,
                .on_state = dsess_on_state,
                .on_iin = dsess_on_iin,
                .on_diag = djournal_on_diag,
                .on_task = dsess_on_task,
                .on_apdu = djournal_on_apdu,
                .hold_confirm = dpersist_hold_confirm,
        };
        static const struct master_io_cb cb = {
                .on_up = dsess_chan_on_up,
                .on_down = dsess_chan_on_down,
        };
        r = master_io_new(d->base, &mcfg, &mcb, &cb, ch, &ch->io);
        if (r < 0) {
                log_error("channel %s: configuration refused: %s", cc->name, strerror(-r));
                goto fail;
        }
        ch->mc = master_io_chan(ch->io);
        for (size_t i = 0; i < cc->ndevices; i++) {
                struct d_dev *v = &ch->devs[i];
                struct master_dev_cfg dcfg;
                *v = (struct d_dev){ .ch = ch, .i = i, .slot = (uint32_t)(first_slot + i),
                                     .state = MASTER_DEV_UNKNOWN };
                dwire_dev_cfg(cc, &cc->devices[i], v, &dcfg);
                r = master_io_add_dev(ch->io, &dcfg, &v->md);
                if (r < 0) {
                        log_error("channel %s: device %s refused: %s", cc->name,
                                  cc->devices[i].name, strerror(-r));
                        goto fail;
                }
        }
        *ret = ch;
        return 0;
fail:
        dsess_chan_free(ch);
        return r;
}

static void dsess_on_retired(evutil_socket_t fd, short what, void *arg)
{
        struct d_gw *dg = arg;
        struct daemon *d = dg->d;
        (void)fd;
        (void)what;
        for (struct d_gw **p = &d->retired; *p; p = &(*p)->next)
                if (*p == dg) {
                        *p = dg->next;
                        break;
                }
        dsess_gw_free_now(dg);
}

/*
 * A replaced gateway core may still have controls in flight on channels that
 * are kept: it is detached from every session and freed once they are
 * certainly over (their control timeout has passed).
 */
void dsess_gw_retire(struct daemon *d, struct d_gw *dg, size_t nout, uint64_t after_ms)
{
        const struct gw_stats *st = gw_get_stats(dg->g);
        d->events_base += st->events_replayed + st->change_events + st->quality_events;
        dg->retired = true;
        for (size_t i = 0; i < nout; i++)
                gw_set_outstation(dg->g, i, NULL);
        dg->free_ev = evtimer_new(d->base, dsess_on_retired, dg);
        if (!dg->free_ev) {
                dsess_gw_free_now(dg);      /* cannot wait: drop it (controls in flight are lost) */
                return;
        }
        struct timeval tv = { .tv_sec = (time_t)(after_ms / 1000),
                              .tv_usec = (suseconds_t)(after_ms % 1000) * 1000 };
        evtimer_add(dg->free_ev, &tv);
        dg->next = d->retired;
        d->retired = dg;
}

void dsess_slots_into(struct d_chan **chans, size_t nchan, struct d_dev **slots)
{
        size_t s = 0;
        for (size_t c = 0; c < nchan; c++)
                for (size_t k = 0; k < chans[c]->ndev; k++) {
                        chans[c]->devs[k].slot = (uint32_t)s;
                        slots[s++] = &chans[c]->devs[k];
                }
}

/* Attach sessions to the core; bring a new core or new outstations up to date. */
void dsess_attach(struct daemon *d, bool refresh)
{
        uint64_t now = d_now(d);
        for (size_t i = 0; i < d->nout; i++) {
                if (!d->outs[i]) {      /* its endpoint could not be bound on reload */
                        gw_set_outstation(d->gw->g, i, NULL);
                        continue;
                }
                d->outs[i]->idx = i;
                gw_set_outstation(d->gw->g, i, outst_io_outst(d->outs[i]->io));
        }
        for (size_t s = 0; s < d->nslots; s++)
                gw_set_device(d->gw->g, (uint32_t)s, d->slots[s]->md);
        if (!refresh)
                return;
        /* new upstream databases: flag what is offline, poll what is online */
        for (size_t s = 0; s < d->nslots; s++) {
                struct d_dev *v = d->slots[s];
                if (v->state == MASTER_DEV_OFFLINE)
                        gw_on_dev_state(d->gw->g, (uint32_t)s, MASTER_DEV_OFFLINE, now);
                else if (v->state == MASTER_DEV_ONLINE)
                        master_io_demand(v->ch->io, v->md, MASTER_TASK_INTEGRITY);
        }
        d_defer_status(d);
}

/* Outstation i on its endpoint, binding the endpoint if nobody listens there yet. */
int dsess_out_start(struct daemon *d, const struct gw_config *cfg, size_t i,
                    struct d_out **ret)
{
        const struct gw_outstation *oc = &cfg->outstations[i];
        struct d_ep *ep = dsess_ep_find(d, &oc->endpoint);
        if (!ep) {
                int r = dsess_ep_new(d, oc, &ep);
                if (r < 0)
                        return r;
        }
        return dsess_out_new(d, cfg, i, ep, ret);
}
