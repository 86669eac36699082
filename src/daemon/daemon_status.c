/* SPDX-License-Identifier: MIT */
/*
 * What the daemon tells about itself: the one-line STATUS= summary for
 * systemd (sent when it changes, at most once a second) and the status
 * report (SIGUSR1, gateway.status_interval): one journal record per
 * outstation, endpoint, channel and device with its counters.
 */
#include "daemon/daemon_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "outstation/events.h"

static char *dstatus_iso_time(uint64_t wall_ms, char *buf, size_t n)
{
        time_t s = (time_t)(wall_ms / 1000);
        struct tm tm;
        if (!gmtime_r(&s, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
                snprintf(buf, n, "?");
                return buf;
        }
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, ".%03uZ", (unsigned)(wall_ms % 1000));
        return buf;
}

static uint64_t dstatus_events_forwarded(const struct daemon *d)
{
        uint64_t n = d->events_base;
        if (d->gw) {
                const struct gw_stats *st = gw_get_stats(d->gw->g);
                n += st->events_replayed + st->change_events + st->quality_events;
        }
        return n;
}

char *daemon_status_line(const struct daemon *d, char *buf, size_t n)
{
        size_t online = 0, conn = 0;
        for (size_t i = 0; i < d->nslots; i++)
                online += d->slots[i]->state == MASTER_DEV_ONLINE;
        for (size_t i = 0; i < d->nout; i++)
                conn += d->outs[i] && d->outs[i]->connected;
        snprintf(buf, n, "%s%s: devices online %zu/%zu, masters connected %zu/%zu, "
                 "events forwarded %" PRIu64 ", last error: %s",
                 dpersist_any_degraded(d) ? "DEGRADED: events not persisted; " : "",
                 d->cfg->gateway.name, online,
                 d->nslots, conn, d->nout, dstatus_events_forwarded(d),
                 d->last_error[0] ? d->last_error : "none");
        return buf;
}

void dstatus_notify(struct daemon *d, bool force)
{
        char line[256];
        daemon_status_line(d, line, sizeof(line));
        if (!force && strcmp(line, d->status_sent) == 0)
                return;
        uint64_t now = io_mono_ms();
        if (!force && now < d->status_next_ms) {
                /* sent when the second is over (d->status_later runs the deferred pass) */
                d->status_dirty = true;
                if (!evtimer_pending(d->status_later, NULL)) {
                        uint64_t ms = d->status_next_ms - now;
                        struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
                                              .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
                        evtimer_add(d->status_later, &tv);
                }
                return;
        }
        d->status_next_ms = now + DSTATUS_INTERVAL_MS;
        snprintf(d->status_sent, sizeof(d->status_sent), "%s", line);
        sd_notifyf(0, "STATUS=%s", line);
}

void dstatus_ep_members(const struct d_ep *e, char *buf, size_t n)
{
        const struct daemon *d = e->d;
        size_t off = 0;
        buf[0] = 0;
        for (size_t i = 0; i < d->nout && off < n; i++)
                if (d->outs[i] && d->outs[i]->ep == e)
                        off += (size_t)snprintf(buf + off, n - off, "%s%u %s", off ? ", " : "",
                                                d->outs[i]->cfg->address, d->outs[i]->cfg->name);
}

/* The status report's line for an endpoint (TLS handshakes refused: a TLS endpoint's). */
static void dstatus_ep_report(const struct daemon *d, const struct d_ep *e)
{
        static const char *const keys[OUTST_EP_DROP_MAX] = {
#define X(name, text) [OUTST_EP_DROP_##name] = "DNP3GW_" #name,
                OUTST_EP_DROP_LIST(X)
#undef X
        };
        const struct outst_ep_stats *st = outst_ep_stats(e->oe);
        char members[256], drops[512], nums[OUTST_EP_DROP_MAX][24], acc[24], disp[24], tls[24];
        char tls_text[64] = "";
        struct log_field fl[4 + OUTST_EP_DROP_MAX] = {
                { "DNP3GW_LISTEN", e->listen },
                { "DNP3GW_ACCEPTED", djournal_u64(acc, sizeof(acc), st->accepted) },
                { "DNP3GW_DISPATCHED", djournal_u64(disp, sizeof(disp), st->dispatched) },
        };
        size_t nf = 3, off = 0;
        dstatus_ep_members(e, members, sizeof(members));
        drops[0] = 0;
        for (int k = 0; k < OUTST_EP_DROP_MAX; k++) {
                fl[nf++] = (struct log_field){ keys[k], djournal_u64(nums[k], sizeof(nums[k]),
                                                                     st->dropped[k]) };
                if (off < sizeof(drops))
                        off += (size_t)snprintf(drops + off, sizeof(drops) - off, "%s%s %s",
                                                k ? ", " : "",
                                                outst_ep_drop_name((enum outst_ep_drop)k),
                                                nums[k]);
        }
        if (dtls_ep_ctx(d->cfg, &e->ep) || st->tls_refused) {
                fl[nf++] = (struct log_field){ "DNP3GW_TLS_REFUSED",
                                               djournal_u64(tls, sizeof(tls), st->tls_refused) };
                snprintf(tls_text, sizeof(tls_text), "; TLS handshakes refused %s", tls);
        }
        log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, fl, nf,
                 "listen %s (outstations %s): connections accepted %s, handed to an outstation "
                 "%s%s; closed: %s", e->listen, members, acc, disp, tls_text, drops);
}

void daemon_status_report(struct daemon *d)
{
        char line[256], a[32], b[32], c[32], e[32], f[32];
        uint64_t now = d_now(d);

        daemon_status_line(d, line, sizeof(line));
        log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, NULL, 0, "status: %s", line);

        for (size_t i = 0; i < d->nout; i++) {
                struct d_out *o = d->outs[i];
                if (!o) {
                        log_info("outstation %s: not running (its endpoint could not be bound)",
                                 d->cfg->outstations[i].name);
                        continue;
                }
                struct outst *s = outst_io_outst(o->io);
                struct events *ev = outst_events(s);
                const struct events_stats *es = events_stats(ev);
                const struct outst_stats *os = outst_stats(s);
                const struct io_runner_stats *rs = &outst_io_stats(o->io)->run;
                uint64_t confirmed = 0, discarded = 0;
                char fill[3][32], age[32];
                for (unsigned k = 1; k <= 3; k++) {
                        confirmed += es->confirmed[k];
                        discarded += es->discarded[k];
                        snprintf(fill[k - 1], sizeof(fill[k - 1]), "%zu/%" PRIu32,
                                 events_count(ev, k), o->cfg->event_depth[k]);
                }
                snprintf(age, sizeof(age), "%" PRIu64,
                         o->connected ? (now - o->since_ms) / 1000 : 0);
                const struct log_field fl[] = {
                        { "DNP3GW_OUTSTATION", o->cfg->name },
                        { "DNP3GW_PEER", o->connected ? o->peer : "" },
                        { "DNP3GW_CONNECTED_S", age },
                        { "DNP3GW_CLASS1", fill[0] },
                        { "DNP3GW_CLASS2", fill[1] },
                        { "DNP3GW_CLASS3", fill[2] },
                        { "DNP3GW_RESPONSES", djournal_u64(a, sizeof(a), os->responses) },
                        { "DNP3GW_UNSOLICITED", djournal_u64(b, sizeof(b), os->unsolicited) },
                        { "DNP3GW_EVENTS_CONFIRMED", djournal_u64(c, sizeof(c), confirmed) },
                        { "DNP3GW_EVENTS_DISCARDED", djournal_u64(e, sizeof(e), discarded) },
                };
                char tls[160];
                if (o->connected)
                        log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, fl, D_N(fl),
                                 "outstation %s: master %s connected for %s s; buffers class1 %s "
                                 "class2 %s class3 %s; wake-ups %" PRIu64 ", reads %" PRIu64
                                 ", writes %" PRIu64 "; responses sent %" PRIu64 ", unsolicited %"
                                 PRIu64 ", events confirmed %" PRIu64 ", discarded %" PRIu64 "%s",
                                 o->cfg->name, o->peer, age, fill[0], fill[1], fill[2],
                                 rs->activations + rs->wakeups, rs->reads, rs->writes,
                                 os->responses, os->unsolicited, confirmed, discarded,
                                 dtls_stats_text(outst_io_pipe(o->io), tls, sizeof(tls)));
                else
                        log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, fl, D_N(fl),
                                 "outstation %s: no master connected; buffers class1 %s class2 %s "
                                 "class3 %s; wake-ups %" PRIu64 ", reads %" PRIu64 ", writes %"
                                 PRIu64 "; responses sent %" PRIu64 ", unsolicited %" PRIu64
                                 ", events confirmed %" PRIu64 ", discarded %" PRIu64,
                                 o->cfg->name, fill[0], fill[1], fill[2],
                                 rs->activations + rs->wakeups, rs->reads, rs->writes,
                                 os->responses, os->unsolicited, confirmed, discarded);
        }
        for (size_t k = 0; k < d->nep; k++)
                dstatus_ep_report(d, d->eps[k]);
        for (size_t i = 0; i < d->nchan; i++) {
                struct d_chan *ch = d->chans[i];
                const struct link_stats *ls = master_chan_link_stats(ch->mc);
                const struct master_chan_stats *cs = master_chan_get_stats(ch->mc);
                const struct io_runner_stats *rs = &master_io_stats(ch->io)->run;
                uint64_t crc = ls->hdr_crc_errors + ls->body_crc_errors;
                const struct log_field fl[] = {
                        { "DNP3GW_CHANNEL", ch->cfg->name },
                        { "DNP3GW_STATE", ch->up ? "up" : "down" },
                        { "DNP3GW_CRC_ERRORS", djournal_u64(a, sizeof(a), crc) },
                        { "DNP3GW_DISCARDED_BYTES",
                          djournal_u64(b, sizeof(b), ls->bytes_discarded) },
                        { "DNP3GW_RX_BYTES", djournal_u64(c, sizeof(c), cs->rx_bytes) },
                        { "DNP3GW_TX_BYTES", djournal_u64(e, sizeof(e), cs->tx_bytes) },
                };
                char tls[160];
                log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, fl, D_N(fl),
                         "channel %s: %s; wake-ups %" PRIu64 ", reads %" PRIu64 ", writes %"
                         PRIu64 "; rx %s bytes, tx %s bytes, CRC errors %s, discarded bytes "
                         "%s, frames for other addresses %" PRIu64 ", from unexpected sources %"
                         PRIu64 "%s", ch->cfg->name, ch->up ? "up" : "down",
                         rs->activations + rs->wakeups, rs->reads, rs->writes, c, e, a, b,
                         cs->other_dest, cs->other_src,
                         dtls_stats_text(ch->up ? master_io_pipe(ch->io) : NULL, tls,
                                         sizeof(tls)));
                for (size_t k = 0; k < ch->ndev; k++) {
                        struct d_dev *v = &ch->devs[k];
                        const struct master_dev_stats *ds = master_dev_get_stats(v->md);
                        char last[64], addr[8];
                        if (v->last_ok_wall)
                                snprintf(last, sizeof(last), "%s (%" PRIu64 " s ago)",
                                         dstatus_iso_time(v->last_ok_wall, f, sizeof(f)),
                                         (now - v->last_ok_mono) / 1000);
                        else
                                snprintf(last, sizeof(last), "never");
                        snprintf(addr, sizeof(addr), "%u", master_dev_address(v->md));
                        const struct log_field dl[] = {
                                { "DNP3GW_CHANNEL", ch->cfg->name },
                                { "DNP3GW_DEVICE", djournal_dev_name(v) },
                                { "DNP3GW_DEVICE_ADDRESS", addr },
                                { "DNP3GW_STATE", master_dev_state_name(v->state) },
                                { "DNP3GW_TIMEOUTS", djournal_u64(a, sizeof(a), ds->timeouts) },
                                { "DNP3GW_LAST_SUCCESS", last },
                        };
                        log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, dl, D_N(dl),
                                 "device %s/%s (address %s): %s; last success %s; transactions %"
                                 PRIu64 ", failed %" PRIu64 ", timeouts %" PRIu64
                                 ", bad responses %" PRIu64 ", values %" PRIu64 ", controls %"
                                 PRIu64, ch->cfg->name, djournal_dev_name(v), addr,
                                 master_dev_state_name(v->state), last, ds->transactions,
                                 ds->failed, ds->timeouts, ds->bad_responses, ds->values,
                                 ds->controls);
                }
        }
}
