/* SPDX-License-Identifier: MIT */
/*
 * dnp3gwd's lifecycle (see daemon.h and daemon_priv.h): build everything
 * from the configuration (daemon_reload.c), run the event loop, stop on
 * SIGTERM/SIGINT, reload on SIGHUP, report on SIGUSR1, feed the watchdog.
 *
 * The sessions flush themselves on their wake upcall; what is left for the
 * daemon after an upcall is to look at the event buffers (80 % warning,
 * overflow records) and to refresh STATUS=.  d_defer_status() does that
 * once, later in the same loop pass, however many upcalls asked for it.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

enum log_level daemon_log_level(enum gw_log_level l)
{
        return (enum log_level)((int)LOG_ERROR_LEVEL + (int)l);
}

uint64_t d_now(struct daemon *d)
{
        uint64_t mono = io_mono_ms();
        if (d->gw)
                gw_set_wall_offset(d->gw->g, (int64_t)(io_wall_ms() - mono));
        return mono;
}

void d_defer_status(struct daemon *d)
{
        if (d->deferred && !d->deferred_pending) {
                d->deferred_pending = true;
                event_active(d->deferred, 0, 0);
        }
}

void d_state_changed(struct daemon *d)
{
        d->status_dirty = true;
        d_defer_status(d);
}

void d_set_error(struct daemon *d, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->last_error, sizeof(d->last_error), fmt, ap);
        va_end(ap);
        d_state_changed(d);
}

/* The deferred work of a loop pass: the event buffers, then STATUS= if something changed. */
static void d_on_deferred(evutil_socket_t fd, short what, void *arg)
{
        struct daemon *d = arg;
        (void)fd;
        (void)what;
        uint64_t now = d_now(d);
        d->deferred_pending = false;
        djournal_check_events(d, now);
        if (d->status_dirty) {
                d->status_dirty = false;
                dstatus_notify(d, false);
        }
}

static void d_on_signal(evutil_socket_t sig, short what, void *arg)
{
        struct daemon *d = arg;
        (void)what;
        switch (sig) {
        case SIGHUP:
                (void)daemon_reload(d);
                break;
        case SIGUSR1:
                daemon_status_report(d);
                break;
        default:
                log_notice("signal %d: stopping", (int)sig);
                sd_notify(0, "STOPPING=1\nSTATUS=stopping");
                d->running = false;
                event_base_loopbreak(d->base);
                break;
        }
}

static void d_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
        struct daemon *d = arg;
        (void)fd;
        (void)what;
        sd_notify(0, "WATCHDOG=1");
        dstatus_notify(d, false);
}

static void d_on_tls_expiry(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        dtls_expiry_check(arg);
}

static void d_on_status(evutil_socket_t fd, short what, void *arg)
{
        struct daemon *d = arg;
        (void)fd;
        (void)what;
        daemon_status_report(d);
        dstatus_notify(d, false);       /* keep counters in STATUS= current without a watchdog */
}

void daemon_free(struct daemon *d)
{
        if (!d)
                return;
        dctl_free(d->ctl);              /* its clients take their taps off the runners */
        /* channels first: their teardown may complete controls through the core */
        for (size_t c = 0; c < d->nchan; c++)
                dsess_chan_free(d->chans[c]);
        for (size_t i = 0; i < d->nout; i++) {
                if (d->gw)
                        gw_set_outstation(d->gw->g, i, NULL);
                dsess_out_free(d->outs[i]);
        }
        for (size_t k = 0; k < d->nep; k++) {
                outst_ep_free(d->eps[k]->oe);
                free(d->eps[k]);
        }
        free(d->eps);
        while (d->retired) {
                struct d_gw *dg = d->retired;
                d->retired = dg->next;
                dsess_gw_free_now(dg);
        }
        dsess_gw_free_now(d->gw);
        dpersist_fini(d);
        for (int i = 0; i < 4; i++)
                if (d->sig[i])
                        event_free(d->sig[i]);
        struct event *evs[] = { d->deferred, d->status_later, d->status, d->watchdog,
                                d->tls_expiry };
        for (size_t i = 0; i < D_N(evs); i++)
                if (evs[i])
                        event_free(evs[i]);
        free(d->outs);
        free(d->chans);
        free(d->slots);
        gw_config_free(d->cfg);
        free(d->path);
        free(d);
}

int daemon_new(struct event_base *base, const struct daemon_opts *opts, struct gw_config *cfg,
               struct daemon **ret)
{
        static const int sigs[4] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
        struct daemon *d = calloc(1, sizeof(*d));
        int r = -ENOMEM;
        if (!d) {
                gw_config_free(cfg);
                return -ENOMEM;
        }
        d->base = base;
        d->opts = *opts;
        d->started_wall = io_wall_ms();
        d->path = strdup(opts->config_path);
        d->deferred = event_new(base, -1, 0, d_on_deferred, d);
        d->status_later = evtimer_new(base, d_on_deferred, d);
        d->status = event_new(base, -1, EV_PERSIST, d_on_status, d);
        d->watchdog = event_new(base, -1, EV_PERSIST, d_on_watchdog, d);
        d->tls_expiry = evtimer_new(base, d_on_tls_expiry, d);
        if (!d->path || !d->deferred || !d->status_later || !d->status || !d->watchdog ||
            !d->tls_expiry || dpersist_init(d) < 0) {
                gw_config_free(cfg);
                goto fail;
        }
        for (int i = 0; i < 4; i++) {
                d->sig[i] = evsignal_new(base, sigs[i], d_on_signal, d);
                if (!d->sig[i] || evsignal_add(d->sig[i], NULL) < 0) {
                        gw_config_free(cfg);
                        goto fail;
                }
        }
        dreload_gateway(d, cfg, NULL);
        djournal_config_loaded(cfg);
        r = dreload_apply(d, cfg);
        if (d->cfg != cfg)
                gw_config_free(cfg);
        if (r < 0)
                goto fail;
        (void)dctl_new(d, &d->ctl);     /* without it the daemon runs (logged) */
        dtls_expiry_check(d);
        uint64_t usec = 0;
        if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
                d->watchdog_usec = usec;
                struct timeval tv = { .tv_sec = (time_t)(usec / 2 / 1000000),
                                      .tv_usec = (suseconds_t)(usec / 2 % 1000000) };
                event_add(d->watchdog, &tv);
        }
        *ret = d;
        return 0;
fail:
        daemon_free(d);
        return r;
}

int daemon_run(struct daemon *d)
{
        char line[256];
        d->running = true;
        daemon_status_line(d, line, sizeof(line));
        snprintf(d->status_sent, sizeof(d->status_sent), "%s", line);
        d->status_next_ms = io_mono_ms() + DSTATUS_INTERVAL_MS;
        sd_notifyf(0, "READY=1\nSTATUS=%s", line);
        log_notice("ready: %s", line);
        if (event_base_dispatch(d->base) < 0) {
                log_error("event loop failed");
                return -EIO;
        }
        return 0;
}
