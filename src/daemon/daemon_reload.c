/* SPDX-License-Identifier: MIT */
/*
 * Applying a configuration: the first build and every reload (SIGHUP).
 * The rule is in daemon.h and dnp3gwd(8): what is kept, updated in place,
 * rebuilt, started or stopped is decided by comparing the session configs
 * the running and the new configuration derive (daemon_wire.c).
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "outstation/events.h"

static size_t dreload_out_buffered(struct d_out *o)
{
        struct events *ev = outst_events(outst_io_outst(o->io));
        return events_count(ev, 1) + events_count(ev, 2) + events_count(ev, 3);
}

/* Whether an endpoint that is going away overlaps the one oc wants (it must close first). */
static bool dreload_ep_blocked(const struct daemon *d, const struct gw_outstation *oc)
{
        for (size_t k = 0; k < d->nep; k++)
                if (!d->eps[k]->wanted && io_endpoint_overlap(&d->eps[k]->ep, &oc->endpoint))
                        return true;
        return false;
}

/* Whether an old outstation being replaced holds address on ep (it must detach first). */
static bool dreload_addr_held(const struct daemon *d, const bool *keep_out, const struct d_ep *ep,
                        uint16_t address)
{
        for (size_t j = 0; j < d->nout; j++)
                if (d->outs[j] && !keep_out[j] && d->outs[j]->ep == ep &&
                    d->outs[j]->cfg->address == address)
                        return true;
        return false;
}

/*
 * Build (old == NULL) or reconcile to cfg.  On failure nothing of the
 * running state has changed except what was already replaced... so every
 * new object is created first and swapped in only when all of them exist.
 */

int dreload_apply(struct daemon *d, struct gw_config *cfg)
{
        const struct gw_config *old = d->cfg;
        bool map_same = old && dwire_map_same(old, cfg);
        bool core_same = map_same && old->noutstations == cfg->noutstations;
        struct d_out **outs = calloc(cfg->noutstations ? cfg->noutstations : 1, sizeof(*outs));
        struct d_chan **chans = calloc(cfg->nchannels ? cfg->nchannels : 1, sizeof(*chans));
        struct d_dev **slots = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof(*slots));
        bool *keep_out = calloc(d->nout ? d->nout : 1, sizeof(*keep_out));
        bool *keep_chan = calloc(d->nchan ? d->nchan : 1, sizeof(*keep_chan));
        bool *created_out = calloc(cfg->noutstations ? cfg->noutstations : 1, sizeof(*created_out));
        bool *update_out = calloc(cfg->noutstations ? cfg->noutstations : 1, sizeof(*update_out));
        struct d_gw *ng = NULL;
        int r = -ENOMEM;
        size_t rebuilt_out = 0, kept_out = 0, rebuilt_chan = 0, kept_chan = 0, updated_out = 0;

        if (!outs || !chans || !slots || !keep_out || !keep_chan || !created_out || !update_out)
                goto fail;
        if (!core_same) {
                r = dsess_gw_new(d, cfg, &ng);
                if (r < 0) {
                        log_error("gateway core: %s", strerror(-r));
                        goto fail;
                }
        }

        /* channels: keep those built from the same derived configs, create the others
         * (ports open later) */
        for (size_t c = 0, s = 0; c < cfg->nchannels; s += cfg->channels[c].ndevices, c++) {
                for (size_t j = 0; j < d->nchan; j++)
                        if (!keep_chan[j] && dwire_chan_change(d->chans[j]->cfg,
                                                               &cfg->channels[c]) == DWIRE_SAME) {
                                keep_chan[j] = true;
                                chans[c] = d->chans[j];
                                break;
                        }
                if (chans[c]) {
                        kept_chan++;
                        continue;
                }
                r = dsess_chan_new(d, cfg, c, s, &chans[c]);
                if (r < 0)
                        goto fail;
                rebuilt_chan++;
        }

        /*
         * outstations, when the map is the same: keep those whose derived
         * session config is the same or differs only in what changes in place
         */
        for (size_t i = 0; i < cfg->noutstations && map_same; i++) {
                for (size_t j = 0; j < d->nout && !outs[i]; j++) {
                        if (!d->outs[j] || keep_out[j])
                                continue;
                        enum dwire_change ch = dwire_out_change(old, d->outs[j]->cfg, cfg,
                                                                &cfg->outstations[i]);
                        if (ch == DWIRE_REBUILD)
                                continue;
                        keep_out[j] = true;
                        outs[i] = d->outs[j];
                        update_out[i] = ch == DWIRE_UPDATE;
                        kept_out++;
                }
        }
        /*
         * Endpoints: one socket each, shared by the outstations on it.  One
         * that stays keeps its socket (and the kept outstations their
         * masters); new outstations attach to it.  New endpoints are bound
         * now, before anything old is torn down, so a port that cannot be
         * bound fails the reload with nothing changed.  Only one overlapping
         * an endpoint that goes away waits for it to close, and an outstation
         * replacing one with its address on its endpoint for that one to go.
         */
        for (size_t k = 0; k < d->nep; k++) {
                d->eps[k]->wanted = false;
                for (size_t i = 0; i < cfg->noutstations; i++)
                        if (io_endpoint_eq(&d->eps[k]->ep, &cfg->outstations[i].endpoint))
                                d->eps[k]->wanted = true;
        }
        for (size_t i = 0; i < cfg->noutstations; i++) {
                const struct gw_outstation *oc = &cfg->outstations[i];
                struct d_ep *ep = dsess_ep_find(d, &oc->endpoint);
                if (outs[i] || (!ep && dreload_ep_blocked(d, oc)) ||
                    (ep && dreload_addr_held(d, keep_out, ep, oc->address)))
                        continue;
                r = dsess_out_start(d, cfg, i, &outs[i]);
                if (r < 0)
                        goto fail;
                created_out[i] = true;
                rebuilt_out++;
        }

        /* past this point the old state is torn down */
        uint64_t now = d_now(d);
        for (size_t j = 0; j < d->nchan; j++)
                if (!keep_chan[j])      /* controls in flight fail now, through the core */
                        master_chan_down(d->chans[j]->mc, now);
        for (size_t j = 0; j < d->nout; j++) {
                if (keep_out[j] || !d->outs[j])
                        continue;
                struct d_out *o = d->outs[j];
                size_t n = dreload_out_buffered(o);
                bool carried = dpersist_carried(cfg, o);
                if (d->gw)
                        gw_set_outstation(d->gw->g, j, NULL);
                char num[24];
                const struct log_field fl[] = {
                        { "DNP3GW_OUTSTATION", o->cfg->name },
                        { "DNP3GW_DISCARDED", djournal_u64(num, sizeof(num), n) },
                };
                if (carried)    /* its successor reads the journal back */
                        log_info("outstation %s: stopped for the new configuration%s; %zu "
                                 "buffered events carried over through its journal",
                                 o->cfg->name, map_same ? "" : " (the point map changed)", n);
                else
                        log_send(n ? LOG_WARNING_LEVEL : LOG_INFO_LEVEL, LOG_MSGID_NONE, fl,
                                 D_N(fl), "outstation %s: stopped for the new configuration%s; "
                                 "%zu buffered events discarded", o->cfg->name,
                                 map_same ? "" : " (the point map changed)", n);
                dpersist_stop(o, carried);
                dsess_out_free(o);
                d->outs[j] = NULL;
        }
        dsess_ep_gc(d, DSESS_EP_UNWANTED);      /* before the endpoints that overlap them bind */
        for (size_t j = 0; j < d->nchan; j++) {
                if (keep_chan[j])
                        continue;
                log_info("channel %s: stopped for the new configuration", d->chans[j]->cfg->name);
                dsess_chan_free(d->chans[j]);
                d->chans[j] = NULL;
        }
        dsess_slots_into(chans, cfg->nchannels, slots);
        free(d->outs);
        free(d->chans);
        free(d->slots);
        d->outs = outs;
        d->nout = cfg->noutstations;
        d->chans = chans;
        d->nchan = cfg->nchannels;
        d->slots = slots;
        d->nslots = cfg->ndevices;
        outs = NULL;
        chans = NULL;
        slots = NULL;
        /* the kept sessions now point at the new configuration's entries */
        for (size_t c = 0; c < d->nchan; c++)
                d->chans[c]->cfg = &cfg->channels[c];
        for (size_t i = 0; i < d->nout; i++)
                if (d->outs[i])
                        d->outs[i]->cfg = &cfg->outstations[i];
        if (ng) {
                if (d->gw)
                        dsess_gw_retire(d, d->gw, old->noutstations,
                                       dwire_max_control_ms(old) + 2 * D_CMD_MARGIN_MS);
                d->gw = ng;
                ng = NULL;
        }
        d->cfg = cfg;
        dtls_reload(d);         /* the new certificate files; peers that no longer verify go */
        /* a kept outstation's control wait follows every device's control_timeout */
        uint64_t wait_ms = 0;
        for (size_t i = 0; i < d->nout; i++) {
                if (!update_out[i])
                        continue;
                struct outst_cfg sc;
                dwire_outst_cfg(cfg, &cfg->outstations[i], &sc);
                outst_set_cmd_timeout(outst_io_outst(d->outs[i]->io), sc.cmd_timeout_ms);
                wait_ms = sc.cmd_timeout_ms;
                updated_out++;
        }

        r = 0;
        for (size_t i = 0; i < d->nout; i++) {
                if (d->outs[i])
                        continue;
                int e = dsess_out_start(d, cfg, i, &d->outs[i]);
                if (e < 0) {
                        d_set_error(d, "outstation %s not running", cfg->outstations[i].name);
                        r = e;
                        continue;
                }
                rebuilt_out++;
        }
        /* an outstation that still could not bind keeps an empty slot (indexes
         * stay those of the configuration and of the core); the next reload retries */
        dsess_ep_gc(d, DSESS_EP_EMPTY);
        /* journals: new outstations get their events back before the loop runs (and accepts) */
        dpersist_apply(d);
        dsess_attach(d, rebuilt_out > 0 || rebuilt_chan > 0);
        for (size_t c = 0; c < d->nchan; c++)
                if (!d->chans[c]->started) {
                        d->chans[c]->started = true;
                        master_io_start(d->chans[c]->io);
                }
        char waits[96] = "";
        if (updated_out)
                snprintf(waits, sizeof(waits), "; control wait of %zu kept outstation%s now %"
                         PRIu64 " ms", updated_out, updated_out == 1 ? "" : "s", wait_ms);
        if (old)
                log_info("reload: outstations kept %zu, started %zu; channels kept %zu, "
                         "started %zu%s%s", kept_out, rebuilt_out, kept_chan, rebuilt_chan,
                         waits, map_same ? "" : "; point map changed");
        free(keep_out);
        free(keep_chan);
        free(created_out);
        free(update_out);
        return r;
fail:
        /* nothing old was touched yet: free what was created */
        if (outs && created_out)
                for (size_t i = 0; i < cfg->noutstations; i++)
                        if (created_out[i])
                                dsess_out_free(outs[i]);
        dsess_ep_gc(d, DSESS_EP_FRESH);
        if (chans)
                for (size_t c = 0; c < cfg->nchannels; c++) {
                        bool kept = false;
                        for (size_t j = 0; j < d->nchan; j++)
                                kept = kept || d->chans[j] == chans[c];
                        if (!kept)
                                dsess_chan_free(chans[c]);
                }
        dsess_gw_free_now(ng);
        free(outs);
        free(chans);
        free(slots);
        free(keep_out);
        free(keep_chan);
        free(created_out);
        free(update_out);
        return r;
}

struct dreload_sink_ctx {
        size_t errors;
};

static void dreload_sink(void *ctx, enum gw_diag_level level, const char *file, int line,
                   const char *msg)
{
        struct dreload_sink_ctx *c = ctx;
        enum log_level l = level == GW_DIAG_ERROR ? LOG_ERROR_LEVEL : LOG_NOTICE_LEVEL;
        const char *kind = level == GW_DIAG_NOTICE ? "notice: " : "";

        /* the same lines as dnp3gwd -t prints, FILE:LINE first */
        if (level == GW_DIAG_ERROR)
                c->errors++;
        if (line > 0)
                log_send(l, LOG_MSGID_NONE, NULL, 0, "%s:%d: %s%s", file, line, kind, msg);
        else
                log_send(l, LOG_MSGID_NONE, NULL, 0, "%s: %s%s", file, kind, msg);
}

int daemon_load_config(const char *path, struct gw_config **ret)
{
        struct dreload_sink_ctx c = { 0 };
        const struct gw_diag_sink sink = { .fn = dreload_sink, .ctx = &c };
        int r = gw_config_load(path, ret, &sink);
        if (r == -EINVAL)
                log_error("%s: %zu error%s", path, c.errors, c.errors == 1 ? "" : "s");
        else if (r < 0)
                log_error("%s: %s", path, strerror(-r));
        return r;
}

void dreload_gateway(struct daemon *d, const struct gw_config *cfg, const struct gw_config *old)
{
        /* -l wins at start; a reload that changes gateway.log_level applies it */
        if (!old) {
                log_set_level(daemon_log_level(d->opts.level_set ? d->opts.level
                                                                 : cfg->gateway.log_level));
        } else if (old->gateway.log_level != cfg->gateway.log_level || !d->opts.level_set) {
                d->opts.level_set = false;
                log_set_level(daemon_log_level(cfg->gateway.log_level));
        }
        if (d->status) {
                event_del(d->status);
                if (cfg->gateway.status_interval_ms > 0) {
                        uint64_t ms = cfg->gateway.status_interval_ms;
                        struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
                                              .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
                        event_add(d->status, &tv);
                }
        }
}

int daemon_reload(struct daemon *d)
{
        struct gw_config *cfg;
        char mono[64];
        snprintf(mono, sizeof(mono), "MONOTONIC_USEC=%" PRIu64, io_mono_ms() * 1000);
        sd_notifyf(0, "RELOADING=1\n%s\nSTATUS=reloading %s", mono, d->path);
        log_notice("reloading %s", d->path);
        int r = daemon_load_config(d->path, &cfg);
        if (r < 0) {
                log_error("reload: %s is not valid; the running configuration stays in force",
                          d->path);
                d_set_error(d, "reload of %s failed", d->path);
                sd_notify(0, "READY=1");
                dstatus_notify(d, true);
                return r;
        }
        struct gw_config *old = d->cfg;
        dreload_gateway(d, cfg, old);   /* the new log level covers the reload's own lines */
        r = dreload_apply(d, cfg);
        /* d->cfg is cfg now unless the reload failed before changing anything
         * (an endpoint that could not be bound): then nothing at all changes */
        if (d->cfg == cfg) {
                dctl_rebind(d->ctl);    /* before old goes: listings in progress use it */
                gw_config_free(old);
        } else {
                dreload_gateway(d, old, cfg);
                log_error("reload: %s not applied; the running configuration stays in force",
                          d->path);
                gw_config_free(cfg);
        }
        if (r < 0) {
                d_set_error(d, "reload of %s: %s", d->path, strerror(-r));
        } else {
                djournal_config_loaded(d->cfg);
                dtls_expiry_check(d);
                if (strncmp(d->last_error, "reload of ", 10) == 0)
                        d->last_error[0] = 0;   /* a good reload ends a failed one */
        }
        sd_notify(0, "READY=1");
        dstatus_notify(d, true);
        return r;
}
