/* SPDX-License-Identifier: MIT */
/*
 * The outstations' event journals (io/evstore.h): what keeps an event the
 * gateway took from an IED until SCADA confirms it, across a restart, a
 * crash or a power cut.  dnp3gwd(8) states the guarantee.
 *
 *   open     when an outstation starts (first build or reload), before the
 *            event loop runs again, so before its listener can accept a
 *            master: the journal's events go back into its class buffers,
 *            one record says how many (EVENTS_RESTORED).
 *   barrier  the master channels ask hold_confirm() after delivering an
 *            IED response's values: true while a journal has records not
 *            yet on stable storage, and the channel keeps its CONFIRM.
 *   flush    d->persist_flush, activated when a journal gets records: it
 *            runs after the callbacks already active in this loop pass
 *            (libevent runs activated events in order), writes and
 *            fdatasyncs every dirty journal once (group commit), then
 *            releases the held CONFIRMs of every channel.
 *   degraded a journal that cannot be written holds nothing: its events
 *            live in memory only; one JOURNAL_STATE record per change, and
 *            STATUS= starts with "DEGRADED: events not persisted"; a timer
 *            tries again every EVSTORE_RETRY_MS.
 *   reload   a kept outstation keeps its journal; persist turned off
 *            closes and removes it, turned on writes a snapshot of the
 *            buffers; a removed outstation's journal is removed; a rebuilt
 *            one's (same name) is closed and read back by its successor.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io/evstore.h"
#include "outstation/events.h"

static size_t dpersist_compact(const struct gw_outstation *oc)
{
        size_t depth = (size_t)oc->event_depth[1] + oc->event_depth[2] + oc->event_depth[3];
        return 2 * depth > EVSTORE_MIN_COMPACT ? 2 * depth : EVSTORE_MIN_COMPACT;
}

/* The later part of this loop pass writes the journals (see above). */
static void dpersist_defer(void *ctx)
{
        struct daemon *d = ctx;
        if (d->persist_flush && !d->persist_pending) {
                d->persist_pending = true;
                event_active(d->persist_flush, 0, 0);
        }
}

bool dpersist_any_degraded(const struct daemon *d)
{
        for (size_t i = 0; i < d->nout; i++)
                if (d->outs[i] && d->outs[i]->store && evstore_degraded(d->outs[i]->store))
                        return true;
        return false;
}

bool dpersist_persisting(const struct d_out *o)
{
        return o->store && !evstore_degraded(o->store);
}

static void dpersist_arm_retry(struct daemon *d)
{
        if (!d->persist_retry || evtimer_pending(d->persist_retry, NULL))
                return;
        struct timeval tv = { .tv_sec = EVSTORE_RETRY_MS / 1000,
                              .tv_usec = (EVSTORE_RETRY_MS % 1000) * 1000 };
        evtimer_add(d->persist_retry, &tv);
}

/* One JOURNAL_STATE record per change of o's journal between persisting and degraded. */
static void dpersist_state(struct d_out *o)
{
        bool deg = evstore_degraded(o->store);
        if (deg == o->journal_degraded)
                return;
        o->journal_degraded = deg;
        const char *path = evstore_path(o->store);
        char err[160] = "";
        if (deg)
                snprintf(err, sizeof(err), "%s: %s", evstore_error_op(o->store),
                         strerror(-evstore_error(o->store)));
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_JOURNAL", path },
                { "DNP3GW_STATE", deg ? "degraded" : "persisting" },
                { "DNP3GW_ERROR", err },
        };
        if (deg) {
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_JOURNAL_STATE, fl, D_N(fl),
                         "outstation %s: event journal %s DEGRADED (%s): events are kept in "
                         "memory only, IED responses confirmed at once; retrying every %u s",
                         o->cfg->name, path, err, EVSTORE_RETRY_MS / 1000);
                d_set_error(o->d, "%s: journal %s", o->cfg->name, err);
                dpersist_arm_retry(o->d);
        } else {
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_JOURNAL_STATE, fl, D_N(fl),
                         "outstation %s: event journal %s persisting again (%" PRIu64
                         " bytes written)", o->cfg->name, path, evstore_file_bytes(o->store));
        }
        d_state_changed(o->d);
}

static void dpersist_on_flush(evutil_socket_t fd, short what, void *arg)
{
        struct daemon *d = arg;
        (void)fd;
        (void)what;
        d->persist_pending = false;
        for (size_t i = 0; i < d->nout; i++) {
                struct d_out *o = d->outs[i];
                if (!o || !o->store || !evstore_dirty(o->store))
                        continue;
                (void)evstore_flush(o->store);
                dpersist_state(o);
        }
        uint64_t now = d_now(d);
        for (size_t c = 0; c < d->nchan; c++)
                master_chan_release_confirms(d->chans[c]->mc, now);
}

static void dpersist_on_retry(evutil_socket_t fd, short what, void *arg)
{
        struct daemon *d = arg;
        (void)fd;
        (void)what;
        for (size_t i = 0; i < d->nout; i++) {
                struct d_out *o = d->outs[i];
                if (!o || !o->store || !evstore_degraded(o->store))
                        continue;
                (void)evstore_retry(o->store);
                dpersist_state(o);
        }
        if (dpersist_any_degraded(d))
                dpersist_arm_retry(d);
}

bool dpersist_hold_confirm(void *ctx)
{
        struct d_chan *ch = ctx;
        struct daemon *d = ch->d;
        for (size_t i = 0; i < d->nout; i++)
                if (d->outs[i] && d->outs[i]->store && evstore_unsynced(d->outs[i]->store)) {
                        dpersist_defer(d);
                        return true;
                }
        return false;
}

int dpersist_init(struct daemon *d)
{
        d->persist_flush = event_new(d->base, -1, 0, dpersist_on_flush, d);
        d->persist_retry = evtimer_new(d->base, dpersist_on_retry, d);
        return d->persist_flush && d->persist_retry ? 0 : -ENOMEM;
}

void dpersist_fini(struct daemon *d)
{
        if (d->persist_flush)
                event_free(d->persist_flush);
        if (d->persist_retry)
                event_free(d->persist_retry);
        d->persist_flush = d->persist_retry = NULL;
}

static void dpersist_restored(struct d_out *o, const struct evstore_restore *rs, bool keep)
{
        const struct evstore_load *ld = &rs->load;
        const char *path = evstore_path(o->store);
        char n[5][24];
        if (ld->damaged || ld->err) {
                char why[96];
                if (ld->err)
                        snprintf(why, sizeof(why), "unreadable (%s)", strerror(-ld->err));
                else
                        snprintf(why, sizeof(why), "%s", evj_stop_name(ld->stop));
                const struct log_field fl[] = {
                        { "DNP3GW_OUTSTATION", o->cfg->name },
                        { "DNP3GW_JOURNAL", path },
                        { "DNP3GW_SET_ASIDE", ld->aside },
                        { "DNP3GW_DAMAGED_BYTES", djournal_u64(n[0], sizeof(n[0]), ld->damaged) },
                };
                if (ld->aside_err)
                        log_send(LOG_ERROR_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                                 "outstation %s: event journal %s damaged: %s after %zu good "
                                 "records; it could not be set aside (%s), so it is left as "
                                 "it is and nothing is journaled", o->cfg->name, path, why,
                                 ld->records, strerror(-ld->aside_err));
                else
                        log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                                 "outstation %s: event journal %s damaged: %s after %zu good "
                                 "records; replay ends there, %zu bytes set aside as %s",
                                 o->cfg->name, path, why, ld->records, ld->damaged, ld->aside);
        }
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_JOURNAL", path },
                { "DNP3GW_RESTORED", djournal_u64(n[1], sizeof(n[1]), rs->restored) },
                { "DNP3GW_UNMAPPED", djournal_u64(n[2], sizeof(n[2]), rs->unmapped + rs->invalid) },
                { "DNP3GW_DISCARDED", djournal_u64(n[3], sizeof(n[3]), rs->overflowed) },
                { "DNP3GW_SET_ASIDE", ld->aside },
        };
        if (rs->load_err < 0) {
                log_send(LOG_ERROR_LEVEL, LOG_MSGID_EVENTS_RESTORED, fl, D_N(fl),
                         "outstation %s: event journal %s could not be read (%s: %s); nothing "
                         "restored", o->cfg->name, path, evstore_error_op(o->store),
                         strerror(-rs->load_err));
                return;
        }
        log_send(rs->unmapped || rs->invalid || rs->overflowed ? LOG_WARNING_LEVEL
                                                                : LOG_NOTICE_LEVEL,
                 LOG_MSGID_EVENTS_RESTORED, fl, D_N(fl),
                 "outstation %s: %zu events restored from the journal %s; %zu of points no "
                 "longer mapped dropped, %zu discarded by a smaller buffer (IIN2.3)%s",
                 o->cfg->name, rs->restored, path, rs->unmapped + rs->invalid, rs->overflowed,
                 keep ? "" : "; events.persist is false: the journal is removed");
}

static void dpersist_close(struct d_out *o, bool remove)
{
        if (!o->store)
                return;
        evstore_outst_close(outst_io_outst(o->io));
        if (remove)
                evstore_remove(o->store);
        else
                evstore_free(o->store);
        o->store = NULL;
        o->journal_degraded = false;
}

/* Open o's journal; restore: put its events back (a new outstation), else start it afresh. */
static void dpersist_open(struct d_out *o, bool restore)
{
        struct daemon *d = o->d;
        const char *dir = d->cfg->gateway.state_directory;
        struct outst *s = outst_io_outst(o->io);
        bool keep = o->cfg->persist;
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s" EVSTORE_SUFFIX, dir, o->cfg->name);
        if (!restore)
                (void)unlink(path);     /* a stale journal: the buffers are what counts */
        else if (!keep && access(path, F_OK) < 0)
                return;                 /* not persisted, nothing left from when it was */
        struct evstore_restore rs;
        int r = evstore_outst_open(dir, o->cfg->name, dpersist_compact(o->cfg), s,
                                   io_wall_ms(), dpersist_defer, d, &rs, &o->store);
        if (r < 0) {
                log_error("outstation %s: event journal %s: %s", o->cfg->name, path,
                          strerror(-r));
                return;
        }
        if (restore)
                dpersist_restored(o, &rs, keep);
        if (!keep) {
                dpersist_close(o, true);
                return;
        }
        dpersist_state(o);
}

void dpersist_apply(struct daemon *d)
{
        for (size_t i = 0; i < d->nout; i++) {
                struct d_out *o = d->outs[i];
                if (!o)
                        continue;
                if (!o->journal_seen) {
                        o->journal_seen = true;
                        dpersist_open(o, true);
                } else if (o->cfg->persist && !o->store) {
                        log_info("outstation %s: events.persist turned on", o->cfg->name);
                        dpersist_open(o, false);
                } else if (!o->cfg->persist && o->store) {
                        log_info("outstation %s: events.persist turned off: journal %s removed",
                                 o->cfg->name, evstore_path(o->store));
                        dpersist_close(o, true);
                } else if (o->store) {
                        evstore_set_compact(o->store, dpersist_compact(o->cfg));
                }
        }
}

bool dpersist_carried(const struct gw_config *cfg, const struct d_out *o)
{
        if (!o->store)
                return false;
        for (size_t i = 0; i < cfg->noutstations; i++)
                if (strcmp(cfg->outstations[i].name, o->cfg->name) == 0)
                        return true;
        return false;
}

void dpersist_stop(struct d_out *o, bool carried)
{
        dpersist_close(o, !carried);
}

void dpersist_free(struct d_out *o)
{
        dpersist_close(o, false);
}
