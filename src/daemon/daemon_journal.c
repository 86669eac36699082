/* SPDX-License-Identifier: MIT */
/*
 * The daemon's journal records (log.h): control and freeze audits, the
 * event buffers' 80 % warnings and overflow records, connection notices
 * and their per-minute summaries, refused peers and frames, device and
 * channel states, the master's diagnostics and debug traces.  Each
 * repeated record has a per-key rate limit (log_rltab) and says how many
 * were held back.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/daemon_names.h"
#include "dnp3/app.h"
#include "dnp3/format.h"
#include "dnp3/ptype.h"
#include "outstation/events.h"

const char *djournal_dev_name(const struct d_dev *v)
{
        return v->ch->cfg->devices[v->i].name;
}

char *djournal_dev_ref(const struct d_dev *v, char *buf, size_t n)
{
        snprintf(buf, n, "%s/%s", v->ch->cfg->name, djournal_dev_name(v));
        return buf;
}

char *djournal_u64(char *buf, size_t n, uint64_t v)
{
        snprintf(buf, n, "%" PRIu64, v);
        return buf;
}

static void djournal_high_water(struct d_out *o, unsigned c, bool lost)
{
        struct events *ev = outst_events(outst_io_outst(o->io));
        char cls[4], depth[16];
        snprintf(cls, sizeof(cls), "%u", c);
        snprintf(depth, sizeof(depth), "%" PRIu32, o->cfg->event_depth[c]);
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_CLASS", cls },
                { "DNP3GW_DEPTH", depth },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_EVENT_OVERFLOW, fl, D_N(fl),
                 "outstation %s: class %u event buffer is 80%% full (%zu of %s events)%s",
                 o->cfg->name, c, events_count(ev, c), depth, lost ? "" : "; nothing lost yet");
}

/* Devices named one by one in an overflow record; the others are counted. */
#define DJOURNAL_OVERFLOW_DEVICES 8

/* The device of an event source tag (gw_event_source()); NULL for untagged events. */
static const struct d_dev *djournal_src_dev(const struct daemon *d, uint32_t src)
{
        return src != EVENTS_SRC_NONE && src <= d->nslots ? d->slots[src - 1] : NULL;
}

/*
 * Who lost the events discarded from class c since the last record: "ref n"
 * pairs for the message, "ref=n" for DNP3GW_DEVICES, and the device that
 * lost the most (*ret_top, NULL if untagged).
 */
static void djournal_overflow_who(struct d_out *o, unsigned c, char *text, size_t tn, char *field,
                           size_t fn, const struct d_dev **ret_top)
{
        const struct events *ev = outst_events(outst_io_outst(o->io));
        size_t to = 0, fo = 0;
        unsigned listed = 0, more = 0;
        uint64_t top_n = 0;
        text[0] = field[0] = 0;
        *ret_top = NULL;
        if (!o->logged_src[c])
                return;
        for (uint32_t src = 0; src <= events_sources(ev); src++) {
                uint64_t total = events_src_discarded(ev, c, (uint16_t)src);
                uint64_t n = total - o->logged_src[c][src];
                if (n == 0)
                        continue;
                o->logged_src[c][src] = total;
                const struct d_dev *v = djournal_src_dev(o->d, src);
                char ref[2 * GW_NAME_MAX];
                if (v)
                        djournal_dev_ref(v, ref, sizeof(ref));
                else
                        snprintf(ref, sizeof(ref), "(no device)");
                if (n > top_n) {
                        top_n = n;
                        *ret_top = v;
                }
                if (listed++ >= DJOURNAL_OVERFLOW_DEVICES) {
                        more++;
                        continue;
                }
                if (to < tn)
                        to += (size_t)snprintf(text + to, tn - to, "%s%s %" PRIu64,
                                               listed > 1 ? ", " : "", ref, n);
                if (fo < fn)
                        fo += (size_t)snprintf(field + fo, fn - fo, "%s%s=%" PRIu64,
                                               listed > 1 ? "," : "", ref, n);
        }
        if (more && to < tn)
                snprintf(text + to, tn - to, " and %u more devices", more);
}

static void djournal_overflow(struct d_out *o, unsigned c, uint64_t total)
{
        uint64_t n = total - o->logged_discarded[c];
        char cls[4], depth[16], dis[24], tot[24], who[640], devs[480];
        const struct d_dev *top;
        o->logged_discarded[c] = total;
        snprintf(cls, sizeof(cls), "%u", c);
        snprintf(depth, sizeof(depth), "%" PRIu32, o->cfg->event_depth[c]);
        djournal_overflow_who(o, c, who, sizeof(who), devs, sizeof(devs), &top);
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_CLASS", cls },
                { "DNP3GW_DEPTH", depth },
                { "DNP3GW_DISCARDED", djournal_u64(dis, sizeof(dis), n) },
                { "DNP3GW_DISCARDED_TOTAL", djournal_u64(tot, sizeof(tot), total) },
                { "DNP3GW_CHANNEL", top ? top->ch->cfg->name : "" },
                { "DNP3GW_DEVICE", top ? djournal_dev_name(top) : "" },
                { "DNP3GW_DEVICES", devs },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_EVENT_OVERFLOW, fl, D_N(fl),
                 "outstation %s: class %u event buffer overflowed: %" PRIu64 " events "
                 "discarded (%" PRIu64 " in all; depth %s), each the oldest of the device "
                 "holding the most: %s", o->cfg->name, c, n, total, depth, who);
        if (top) {
                char ref[2 * GW_NAME_MAX];
                d_set_error(o->d, "%s: class %u events of %s discarded", o->cfg->name, c,
                            djournal_dev_ref(top, ref, sizeof(ref)));
        } else {
                d_set_error(o->d, "%s: class %u events discarded", o->cfg->name, c);
        }
}

/* Cheap when nothing happened: called after every measurement. */
void djournal_check_events(struct daemon *d, uint64_t now)
{
        for (size_t i = 0; i < d->nout; i++) {
                struct d_out *o = d->outs[i];
                if (!o)
                        continue;
                struct events *ev = outst_events(outst_io_outst(o->io));
                const struct events_stats *es = events_stats(ev);
                for (unsigned c = 1; c <= 3; c++) {
                        bool lost = es->discarded[c] != o->logged_discarded[c];
                        if (events_take_high_water(ev, c))
                                djournal_high_water(o, c, lost);
                        if (lost &&
                            log_ratelimit_ok(&o->overflow_rl, now, NULL))
                                djournal_overflow(o, c, es->discarded[c]);
                }
        }
}

/*
 * What an audit record names: outstation and peer, channel and device,
 * function; and how it ended: the result and the latency.
 */
struct djournal_audit_who {
        const char *outname, *peer, *fname, *res;
        const char *from;               /* peer, "?" when unknown (the message's text) */
        char chan[GW_NAME_MAX], dev[GW_NAME_MAX], func[8], lat[24];
};

static void djournal_audit_who(const struct d_gw *dg, size_t outstation, uint32_t dev, uint8_t func,
                               int res, uint64_t latency_ms, struct djournal_audit_who *w)
{
        const struct daemon *d = dg->d;
        w->outname = "(reloaded)";
        w->peer = "";
        w->chan[0] = w->dev[0] = '\0';
        if (!dg->retired && outstation < d->nout && d->outs[outstation]) {
                w->outname = d->outs[outstation]->cfg->name;
                w->peer = d->outs[outstation]->peer;
        }
        if (!dg->retired && dev != GW_NO_DEV && dev < d->nslots) {
                snprintf(w->chan, sizeof(w->chan), "%s", d->slots[dev]->ch->cfg->name);
                snprintf(w->dev, sizeof(w->dev), "%s", djournal_dev_name(d->slots[dev]));
        }
        w->from = w->peer[0] ? w->peer : "?";
        snprintf(w->func, sizeof(w->func), "%u", func);
        w->fname = app_func_name(func) ? app_func_name(func) : w->func;
        w->res = res >= 0 && res < MASTER_CMD_RES_MAX
                         ? master_cmd_res_name((enum master_cmd_res)res)
                         : "not_forwarded";
        snprintf(w->lat, sizeof(w->lat), "%" PRIu64, latency_ms);
}

void djournal_on_audit(void *ctx, const struct gw_audit *a)
{
        struct d_gw *dg = ctx;
        char ctl[64], up[16], down[16];
        struct djournal_audit_who w;
        djournal_audit_who(dg, a->outstation, a->dev, a->func, a->res, a->latency_ms, &w);
        if (a->group == dnp_ptype(DNP_TYPE_BO)->cmd_group)    /* a CROB, else g41 */
                snprintf(ctl, sizeof(ctl), "code=0x%02x count=%u on=%" PRIu32 " off=%" PRIu32,
                         a->v.v.crob.code, a->v.v.crob.count, a->v.v.crob.on_ms,
                         a->v.v.crob.off_ms);
        else
                snprintf(ctl, sizeof(ctl), "value=%.17g", a->v.v.ao.value);
        snprintf(up, sizeof(up), "%" PRIu32, a->up_index);
        snprintf(down, sizeof(down), "%" PRIu32, a->down_index);
        const char *status = dnp_cmd_status_name(a->status);
        /* the point's name (daemon_names.h) from the configuration the gateway runs */
        char nbuf[DNAMES_POINT_MAX], named[DNAMES_POINT_MAX + 4];
        enum dnp_ptype_role role;
        const struct dnp_ptype *pt = dnp_ptype_by_group(a->group, &role);
        const char *pname = !dg->retired && pt && role == DNP_PTYPE_COMMAND
                                    ? dnames_index(dg->d->cfg, pt->type, a->up_index, nbuf,
                                                   sizeof(nbuf))
                                    : NULL;
        named[0] = '\0';
        if (pname)
                snprintf(named, sizeof(named), " \"%s\"", pname);
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", w.outname },
                { "DNP3GW_PEER", w.peer },
                { "DNP3GW_INDEX", up },
                { "DNP3GW_POINT", pname ? pname : "" },
                { "DNP3GW_CHANNEL", w.chan },
                { "DNP3GW_DEVICE", w.dev },
                { "DNP3GW_SOURCE_INDEX", a->dev == GW_NO_DEV ? "" : down },
                { "DNP3GW_FUNCTION", w.fname },
                { "DNP3GW_CONTROL", ctl },
                { "DNP3GW_STATUS", status },
                { "DNP3GW_RESULT", w.res },
                { "DNP3GW_LATENCY_MS", w.lat },
        };
        if (a->dev == GW_NO_DEV)
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_CONTROL_AUDIT, fl, D_N(fl),
                         "control from %s on outstation %s: %s g%uv%u index %s (%s): not mapped, "
                         "answered %s", w.from, w.outname, w.fname, a->group, a->var,
                         up, ctl, status);
        else
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_CONTROL_AUDIT, fl, D_N(fl),
                         "control from %s on outstation %s: %s g%uv%u index %s%s -> %s/%s index "
                         "%s (%s): %s (%s) in %s ms", w.from, w.outname, w.fname,
                         a->group, a->var, up, named, w.chan, w.dev, down, ctl, status, w.res,
                         w.lat);
}

/* "0-3,8,10-11": the downstream counter ranges of a freeze. */
static void djournal_freeze_ranges(const struct master_freeze *f, char *buf, size_t n)
{
        size_t off = 0;
        buf[0] = '\0';
        for (size_t k = 0; f && k < f->n && off < n; k++) {
                int w = f->r[k].start == f->r[k].stop
                                ? snprintf(buf + off, n - off, "%s%u", k ? "," : "",
                                           f->r[k].start)
                                : snprintf(buf + off, n - off, "%s%u-%u", k ? "," : "",
                                           f->r[k].start, f->r[k].stop);
                if (w < 0)
                        break;
                off += (size_t)w;
        }
}

static const char *djournal_freeze_outcome(const struct gw_freeze_audit *a, char *buf, size_t n)
{
        char iin[128];
        if (a->dev == GW_NO_DEV)
                return "not forwarded: too many freezes in flight on this outstation";
        switch (a->res) {
        case MASTER_CMD_RES_OK:
                if (!a->up_iin)
                        return "done";
                snprintf(buf, n, "refused by the device (%s)",
                         app_iin_format((uint16_t)(a->iin & 0xff00), iin, sizeof(iin)));
                return buf;
        case MASTER_CMD_RES_SENT:
                return "sent (no response expected)";
        case MASTER_CMD_RES_TIMEOUT:
                return "no answer from the device (timeout)";
        case MASTER_CMD_RES_OFFLINE:
                return "the device went offline";
        default:
                break;
        }
        switch (a->err) {
        case -ENOTCONN:
                return "not sent: the device is offline";
        case -EBUSY:
                return "not sent: too many requests queued for the device";
        case -E2BIG:
                return "not sent: its counters form more than 32 separate index ranges";
        default:
                snprintf(buf, n, "not sent: %s", strerror(-a->err));
                return buf;
        }
}

void djournal_on_freeze_audit(void *ctx, const struct gw_freeze_audit *a)
{
        struct d_gw *dg = ctx;
        char ranges[256], iin[8], why[192];

        struct djournal_audit_who w;
        djournal_audit_who(dg, a->outstation, a->dev, a->func, a->res, a->latency_ms, &w);
        djournal_freeze_ranges(a->f, ranges, sizeof(ranges));
        snprintf(iin, sizeof(iin), "0x%04x", a->iin);
        const char *outcome = djournal_freeze_outcome(a, why, sizeof(why));
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", w.outname },
                { "DNP3GW_PEER", w.peer },
                { "DNP3GW_CHANNEL", w.chan },
                { "DNP3GW_DEVICE", w.dev },
                { "DNP3GW_FUNCTION", w.fname },
                { "DNP3GW_SOURCE_INDEX", ranges },
                { "DNP3GW_RESULT", w.res },
                { "DNP3GW_IIN", iin },
                { "DNP3GW_LATENCY_MS", w.lat },
        };
        if (a->dev == GW_NO_DEV)
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_FREEZE_AUDIT, fl, D_N(fl),
                         "freeze from %s on outstation %s: %s: %s (IIN2.2 upstream)",
                         w.from, w.outname, w.fname, outcome);
        else
                log_send(a->up_iin ? LOG_WARNING_LEVEL : LOG_NOTICE_LEVEL,
                         LOG_MSGID_FREEZE_AUDIT, fl, D_N(fl),
                         "freeze from %s on outstation %s: %s -> %s/%s counters %s: %s%s "
                         "in %s ms", w.from, w.outname, w.fname, w.chan, w.dev, ranges,
                         outcome,
                         a->up_iin & APP_IIN_NO_FUNC_CODE_SUPPORT ? " (IIN2.0 upstream)"
                         : a->up_iin                              ? " (IIN2.2 upstream)"
                                                                  : "",
                         w.lat);
}

void djournal_on_comm_lost(void *ctx, uint32_t dev, size_t npoints)
{
        struct d_gw *dg = ctx;
        struct daemon *d = dg->d;
        char ref[2 * GW_NAME_MAX];
        if (dg->retired || dev >= d->nslots)
                return;
        log_send(LOG_INFO_LEVEL, LOG_MSGID_NONE, NULL, 0,
                 "%s: COMM_LOST set on %zu upstream points",
                 djournal_dev_ref(d->slots[dev], ref, sizeof(ref)), npoints);
}

/* A SELECT left without its OPERATE held its devices' polls: counted per peer, warned about. */
void djournal_select_unused(struct d_out *o, enum outst_sel_end why, uint64_t now)
{
        uint64_t supp = 0;
        o->sel_unused++;
        if (!log_rltab_ok(&o->sel_rl, log_key(o->peer), NULL, now, LOG_MINUTE_MS, &supp))
                return;
        char n[24];
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", o->peer },
                { "DNP3GW_SELECTS_UNUSED", djournal_u64(n, sizeof(n), o->sel_unused) },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                 "outstation %s: master %s left a SELECT without its OPERATE (%s): %s such "
                 "SELECTs since it connected (%" PRIu64 " more since the last message); each "
                 "held the polls of its devices for up to their channel's response_timeout",
                 o->cfg->name, o->peer, outst_sel_end_name(why), n, supp);
}

void djournal_on_reject_frame(void *ctx, enum lsess_match m, uint16_t src, uint16_t dest)
{
        struct d_out *o = ctx;
        uint64_t supp = 0, now = d_now(o->d);
        uint64_t key = ((uint64_t)m << 32) | ((uint64_t)src << 16) | dest;
        if (!log_rltab_ok(&o->rej_frame, key, NULL, now, LOG_MINUTE_MS, &supp))
                return;
        char s[8], t[8];
        snprintf(s, sizeof(s), "%u", src);
        snprintf(t, sizeof(t), "%u", dest);
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", o->peer },
                { "DNP3GW_SOURCE", s },
                { "DNP3GW_DESTINATION", t },
        };
        switch (m) {
        case LSESS_MATCH_OTHER_DEST:
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                         "outstation %s: frame from %u for address %u ignored: this outstation "
                         "is address %u (%" PRIu64 " more since the last message)", o->cfg->name,
                         src, dest, o->cfg->address, supp);
                break;
        case LSESS_MATCH_OTHER_SRC:
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                         "outstation %s: frame from unexpected source %u to %u ignored: "
                         "master_address is %u (%" PRIu64 " more since the last message)",
                         o->cfg->name, src, dest, o->cfg->master_address, supp);
                break;
        case LSESS_MATCH_WRONG_DIR:
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                         "outstation %s: frame from %u to %u is a response, not a request: the "
                         "peer is acting as an outstation: check roles (%" PRIu64
                         " more since the last message)", o->cfg->name, src, dest, supp);
                break;
        default:
                break;
        }
}

/*
 * Connect and disconnect records: the first DJOURNAL_CONN_BURST connections
 * a minute from one peer (and at most LOG_RLTAB_BUDGET a minute from all
 * peers of an outstation) get both records; the others are counted and
 * summed up when that minute is over: "N more connections from X in the
 * last minute".  A connection that lasted a minute or more always gets its
 * disconnect record.
 */
static void djournal_conn_summary(void *ctx, const char *peer, uint64_t n)
{
        struct d_out *o = ctx;
        char num[24];
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", peer ? peer : "" },
                { "DNP3GW_CONNECTIONS", djournal_u64(num, sizeof(num), n) },
        };
        if (peer)
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_MASTER_CONNECTED, fl, D_N(fl),
                         "outstation %s: %" PRIu64 " more connections from %s in the last "
                         "minute", o->cfg->name, n, peer);
        else
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_MASTER_CONNECTED, fl, D_N(fl),
                         "outstation %s: %" PRIu64 " more connections from other peers in the "
                         "last minute", o->cfg->name, n);
}

/* Summaries that are due now; the timer armed for the next one. */
static void djournal_conn_flush(struct d_out *o, uint64_t now)
{
        /* none due: UINT64_MAX = DNP_NEVER, the timer disarmed */
        io_deadline_arm(&o->conn_timer, log_rltab_flush(&o->conn, now, djournal_conn_summary, o),
                        now);
}

void djournal_conn_on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct d_out *o = arg;
        (void)fd;
        (void)what;
        io_deadline_fired(&o->conn_timer);
        djournal_conn_flush(o, d_now(o->d));
}

/* Summaries still owed when an outstation goes: the counted connections are not left out. */
void djournal_conn_final(struct d_out *o)
{
        (void)log_rltab_flush(&o->conn, UINT64_MAX, djournal_conn_summary, o);
}

void djournal_connect(struct d_out *o, bool replaced)
{
        uint64_t now = d_now(o->d);
        djournal_conn_flush(o, now);
        o->conn_logged = log_rltab_ok(&o->conn, log_key(o->peer), o->peer, now, LOG_MINUTE_MS,
                                      NULL);
        if (!o->conn_logged) {
                djournal_conn_flush(o, now);   /* arms the timer for the summary */
                return;
        }
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", o->peer },
                { "DNP3GW_TLS", o->tls },
        };
        /* DNP3GW_TLS only over TLS */
        log_send(LOG_NOTICE_LEVEL, LOG_MSGID_MASTER_CONNECTED, fl, D_N(fl) - !o->tls[0],
                 "outstation %s: master %s connected%s%s%s", o->cfg->name, o->peer,
                 o->tls[0] ? " over " : "", o->tls,
                 replaced ? " (replacing the previous connection)" : "");
}

void djournal_disconnect(struct d_out *o, int err, const char *what)
{
        uint64_t lasted = d_now(o->d) - o->since_ms;
        char age[24];
        if (!o->conn_logged && lasted < LOG_MINUTE_MS)
                return;                 /* counted in its connect's summary */
        snprintf(age, sizeof(age), "%" PRIu64, lasted / 1000);
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", o->peer },
                { "DNP3GW_CONNECTED_S", age },
        };
        log_send(LOG_NOTICE_LEVEL, LOG_MSGID_MASTER_DISCONNECTED, fl, D_N(fl),
                 "outstation %s: master %s disconnected after %s s: %s%s%s", o->cfg->name,
                 o->peer, age, what ? what : "closed", err ? ": " : "", err ? strerror(-err) : "");
}

void djournal_on_reject_peer(void *ctx, const struct sockaddr *peer)
{
        struct d_out *o = ctx;
        char addr[64];
        uint64_t supp = 0;
        io_addr_format(peer, addr, sizeof(addr));
        if (!log_rltab_ok(&o->rej_peer, log_key(addr), NULL, d_now(o->d), LOG_MINUTE_MS, &supp))
                return;
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", addr },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                 "outstation %s: connection from %s refused: not in the allow list "
                 "(%" PRIu64 " more from it since the last message)", o->cfg->name, addr, supp);
}

void djournal_on_ep_drop(void *ctx, enum outst_ep_drop why, const struct sockaddr *peer,
                         const struct link_hdr *first)
{
        struct d_ep *e = ctx;
        char addr[64], members[256], more[64] = "", s[8] = "", t[8] = "";
        uint64_t supp = 0, key;
        enum log_level lvl = why == OUTST_EP_DROP_PEER_CLOSED ? LOG_DEBUG_LEVEL : LOG_WARNING_LEVEL;
        unsigned grace = OUTST_EP_GRACE_MS / 1000;

        if (!log_enabled(lvl))
                return;
        io_addr_format(peer, addr, sizeof(addr));
        /* a frame for an unknown address: once a minute per (source, destination) */
        if (first)
                key = ((uint64_t)why << 40) | ((uint64_t)first->src << 16) | first->dest;
        else
                key = log_key(addr) ^ ((uint64_t)why << 56);
        if (!log_rltab_ok(&e->drops, key, NULL, d_now(e->d), LOG_MINUTE_MS, &supp))
                return;
        if (supp)
                snprintf(more, sizeof(more), " (%" PRIu64 " more since the last message)", supp);
        if (first) {
                snprintf(s, sizeof(s), "%u", first->src);
                snprintf(t, sizeof(t), "%u", first->dest);
        }
        dstatus_ep_members(e, members, sizeof(members));
        const struct log_field fl[] = {
                { "DNP3GW_LISTEN", e->listen },
                { "DNP3GW_PEER", addr },
                { "DNP3GW_SOURCE", s },
                { "DNP3GW_DESTINATION", t },
        };
        size_t nf = first ? D_N(fl) : 2;
        switch (why) {
        case OUTST_EP_DROP_REFUSED:
                log_send(lvl, LOG_MSGID_NONE, fl, nf, "listen %s: connection from %s refused: not "
                         "in the allow list of any outstation on it (%s)%s", e->listen, addr,
                         members, more);
                break;
        case OUTST_EP_DROP_UNKNOWN_ADDRESS:
                log_send(lvl, LOG_MSGID_NONE, fl, nf, "listen %s: connection from %s: its first "
                         "frame (from %u) is for address %u, which no outstation here has (%s); "
                         "closed %u s after it was accepted%s", e->listen, addr, first->src,
                         first->dest, members, grace, more);
                break;
        case OUTST_EP_DROP_SILENT:
                log_send(lvl, LOG_MSGID_NONE, fl, nf, "listen %s: connection from %s closed: "
                         "nothing received within %u s%s", e->listen, addr, grace, more);
                break;
        case OUTST_EP_DROP_NO_FRAME:
                log_send(lvl, LOG_MSGID_NONE, fl, nf, "listen %s: connection from %s closed: no "
                         "valid frame for an outstation here (%s) within %u s%s", e->listen, addr,
                         members, grace, more);
                break;
        case OUTST_EP_DROP_OVERFLOW:
                log_send(lvl, LOG_MSGID_NONE, fl, nf, "listen %s: connection from %s closed: %u "
                         "newer connections are waiting for their first frame%s", e->listen, addr,
                         OUTST_EP_MAX_PENDING, more);
                break;
        default:
                log_send(lvl, LOG_MSGID_NONE, fl, nf, "listen %s: connection from %s %s%s",
                         e->listen, addr, outst_ep_drop_name(why), more);
                break;
        }
}

void djournal_dev_state(struct d_dev *v, enum master_dev_state s)
{
        struct d_chan *ch = v->ch;
        char addr[8], ref[2 * GW_NAME_MAX];
        snprintf(addr, sizeof(addr), "%u", master_dev_address(v->md));
        djournal_dev_ref(v, ref, sizeof(ref));
        const struct log_field fl[] = {
                { "DNP3GW_CHANNEL", ch->cfg->name },
                { "DNP3GW_DEVICE", djournal_dev_name(v) },
                { "DNP3GW_DEVICE_ADDRESS", addr },
        };
        if (s == MASTER_DEV_ONLINE) {
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_DEVICE_ONLINE, fl, D_N(fl),
                         "device %s (address %s) is online", ref, addr);
        } else if (s == MASTER_DEV_OFFLINE) {
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_DEVICE_OFFLINE, fl, D_N(fl),
                         "device %s (address %s) is offline%s", ref, addr,
                         master_chan_is_open(ch->mc) ? "" : ": its channel is down");
        }
}

void djournal_on_iin(void *ctx, struct master_dev *md, uint16_t iin)
{
        struct d_chan *ch = ctx;
        struct d_dev *v = master_dev_user(md);
        char ref[2 * GW_NAME_MAX], bits[256] = "";
        size_t off = 0;
        (void)ch;
        if (!log_enabled(LOG_DEBUG_LEVEL))
                return;
        for (unsigned b = 0; b < 16 && off < sizeof(bits); b++)
                if (iin & (1u << b))
                        off += (size_t)snprintf(bits + off, sizeof(bits) - off, " %s",
                                                app_iin_bit_name(b));
        log_debug("%s: IIN 0x%04x%s", djournal_dev_ref(v, ref, sizeof(ref)), iin, bits);
}

void djournal_on_apdu(void *ctx, struct master_dev *md, bool tx, const uint8_t *apdu, size_t len)
{
        struct d_chan *ch = ctx;
        char buf[1536], ref[2 * GW_NAME_MAX];
        if (!log_enabled(LOG_DEBUG_LEVEL))
                return;
        fmt_apdu(buf, sizeof(buf), apdu, len, log_enabled(LOG_TRACE_LEVEL));
        if (md)
                djournal_dev_ref(master_dev_user(md), ref, sizeof(ref));
        else
                snprintf(ref, sizeof(ref), "%s/?", ch->cfg->name);
        log_debug("%s %s %s", ref, tx ? "TX" : "RX", buf);
}

/* What the devices of a channel answer to: "20, 21". */
static void djournal_chan_addrs(const struct d_chan *ch, char *buf, size_t n)
{
        size_t off = 0;
        buf[0] = 0;
        for (size_t i = 0; i < ch->ndev && off < n; i++)
                off += (size_t)snprintf(buf + off, n - off, "%s%u", i ? ", " : "",
                                        ch->cfg->devices[i].address);
}

void djournal_on_diag(void *ctx, const struct master_diag *dg)
{
        struct d_chan *ch = ctx;
        struct daemon *d = ch->d;
        uint64_t supp = 0, now = d_now(d);
        uint64_t key = ((uint64_t)dg->kind << 40) | ((uint64_t)dg->src << 16) | dg->dest;
        if (dg->kind == MASTER_DIAG_REFUSED)
                key = ((uint64_t)dg->kind << 40) | ((uint64_t)dg->src << 16) | dg->func;
        if (!log_rltab_ok(&ch->diag, key, NULL, now, LOG_MINUTE_MS, &supp))
                return;

        char ref[2 * GW_NAME_MAX], s[8], t[8], addrs[128], more[64] = "";
        if (dg->dev)
                djournal_dev_ref(master_dev_user(dg->dev), ref, sizeof(ref));
        else
                snprintf(ref, sizeof(ref), "%s", ch->cfg->name);
        snprintf(s, sizeof(s), "%u", dg->src);
        snprintf(t, sizeof(t), "%u", dg->dest);
        if (supp)
                snprintf(more, sizeof(more), " (%" PRIu64 " more since the last message)", supp);
        djournal_chan_addrs(ch, addrs, sizeof(addrs));
        const struct log_field fl[] = {
                { "DNP3GW_CHANNEL", ch->cfg->name },
                { "DNP3GW_DEVICE", dg->dev ? djournal_dev_name(master_dev_user(dg->dev)) : "" },
                { "DNP3GW_SOURCE", s },
                { "DNP3GW_DESTINATION", t },
        };
        switch (dg->kind) {
        case MASTER_DIAG_OTHER_DEST:
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                         "channel %s: frame from %u for address %u ignored: the gateway is "
                         "master_address %u on this channel%s", ch->cfg->name, dg->src, dg->dest,
                         ch->cfg->master_address, more);
                break;
        case MASTER_DIAG_OTHER_SRC:
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                         "channel %s: frame from unexpected source %u to %u ignored: the devices "
                         "configured on this channel are %s%s", ch->cfg->name, dg->src, dg->dest,
                         addrs, more);
                break;
        case MASTER_DIAG_WRONG_DIR:
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                         "%s: frame from %u to %u is a request, not a response: the peer is "
                         "acting as a master: check roles%s", ref, dg->src, dg->dest, more);
                break;
        case MASTER_DIAG_REFUSED: {
                char objs[160] = "";
                size_t off = 0;
                size_t nobjs = dg->nobjs < MASTER_DIAG_MAX_OBJS ? dg->nobjs : MASTER_DIAG_MAX_OBJS;
                for (size_t i = 0; i < nobjs && off < sizeof(objs); i++)
                        off += (size_t)snprintf(objs + off, sizeof(objs) - off, " g%uv%u",
                                                dg->objs[i].group, dg->objs[i].var);
                const char *fn = app_func_name(dg->func);
                const char *why = (dg->iin & APP_IIN_NO_FUNC_CODE_SUPPORT) &&
                                                  (dg->iin & APP_IIN_OBJECT_UNKNOWN)
                                          ? "IIN2.0 function not supported, IIN2.1 object unknown"
                                  : (dg->iin & APP_IIN_NO_FUNC_CODE_SUPPORT)
                                          ? "IIN2.0 function not supported"
                                          : "IIN2.1 object unknown";
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                         "%s refused %s (function %u)%s%s: %s%s", ref, fn ? fn : "?", dg->func,
                         dg->nobjs ? " with objects" : "", objs, why, more);
                break;
        }
        default:
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                         "%s: %s (from %u to %u)%s%s%s", ref, master_diag_name(dg->kind),
                         dg->src, dg->dest, dg->err ? ": " : "",
                         dg->err ? obj_err_name(dg->err) : "", more);
                break;
        }
}

void djournal_chan_up(struct d_chan *ch)
{
        char tls[256];
        const struct io_pipe *p = master_io_pipe(ch->io);
        const struct log_field fl[] = {
                { "DNP3GW_CHANNEL", ch->cfg->name },
                { "DNP3GW_STATE", "up" },
                { "DNP3GW_TLS", dtls_describe(p, tls, sizeof(tls)) },
        };
        log_send(LOG_NOTICE_LEVEL, LOG_MSGID_CHANNEL_STATE, fl, D_N(fl) - !tls[0],
                 "channel %s: %s is open%s%s", ch->cfg->name, io_pipe_name(p),
                 tls[0] ? " over " : "", tls);
}

void djournal_chan_down(struct d_chan *ch, bool was_up, int err, const char *what)
{
        const struct log_field fl[] = {
                { "DNP3GW_CHANNEL", ch->cfg->name },
                { "DNP3GW_STATE", "down" },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_CHANNEL_STATE, fl, D_N(fl),
                 "channel %s: %s %s: %s%s%s; retrying with backoff", ch->cfg->name,
                 io_pipe_name(master_io_pipe(ch->io)), was_up ? "lost" : "cannot be opened",
                 what ? what : "", err ? ": " : "", err ? strerror(-err) : "");
}

void djournal_config_loaded(const struct gw_config *cfg)
{
        char sum[256], mem[24];
        gw_config_summary(cfg, sum, sizeof(sum));
        const struct log_field fl[] = {
                { "DNP3GW_CONFIG", cfg->path },
                { "DNP3GW_SUMMARY", sum },
                { "DNP3GW_EVENT_MEMORY", djournal_u64(mem, sizeof(mem), cfg->event_memory) },
        };
        log_send(LOG_INFO_LEVEL, LOG_MSGID_CONFIG_LOADED, fl, D_N(fl),
                 "configuration %s loaded: %s (event buffers take %zu bytes)", cfg->path, sum,
                 cfg->event_memory);
}
