/* SPDX-License-Identifier: MIT */
/*
 * dnp3gwd's running state (see daemon.h): builds the sessions from the
 * configuration, wires their upcalls through the gateway core, turns them
 * into journal records, and talks to systemd.
 *
 * Wiring:  master on_value/on_state -> gw_on_meas/gw_on_dev_state, which
 * call outst_update() on the sessions directly; outst on_command ->
 * gw_on_command, which calls master_dev_control(); outst on_freeze ->
 * gw_on_freeze, which calls master_dev_freeze().  Both leave output and
 * deadlines to be acted on, so every upcall schedules one deferred "kick"
 * (an active event run later in the same loop pass) that flushes every
 * session, checks the event buffers and refreshes STATUS= when something
 * changed state.
 */
#include "daemon/daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "daemon/log.h"
#include "dnp3/app.h"
#include "dnp3/format.h"
#include "gateway/gw.h"
#include "io/clock.h"
#include "io/master_io.h"
#include "io/outst_ep.h"
#include "io/outst_io.h"
#include "master/master_chan.h"
#include "outstation/events.h"

#define D_N(a) (sizeof(a) / sizeof((a)[0]))
#define D_MINUTE_MS 60000u
#define D_RL_SLOTS 16
/* A forwarded control the devices did not answer: the outstation answers TIMEOUT after this. */
#define D_CMD_MARGIN_MS 1000u

/* ---- per-key rate limits (diagnostics, rejected peers) ------------------ */

struct d_rl_slot {
        bool used;
        uint64_t key;
        struct log_ratelimit rl;
        char label[48];                 /* what the key stands for (summary tables) */
};

struct d_rltab {
        struct d_rl_slot s[D_RL_SLOTS];
        /* a budget for the whole table: a peer varying its addresses gets new
         * keys, but not more than D_RL_BUDGET lines a minute */
        uint64_t window_end;
        unsigned in_window;
        uint64_t suppressed;            /* by the budget, reported with the next line */
        unsigned burst;                 /* messages per key per interval (0 = 1) */
        /* held-back counts are not reported with the next message but by
         * d_rl_flush() summaries, once the key's interval (or the budget's
         * minute) is over */
        bool summarize;
};

#define D_RL_BUDGET 16

static bool d_rl_take(struct d_rltab *t, uint64_t key, const char *label, uint64_t now,
                      uint64_t interval, uint64_t *ret_suppressed);

/*
 * Whether a message for key may go out now: at most one (t->burst) per
 * interval per key, and at most D_RL_BUDGET per minute for the table.
 * *ret_suppressed gets how many were held back since the last one that
 * went out.
 */
static bool d_rl_ok(struct d_rltab *t, uint64_t key, uint64_t now, uint64_t interval,
                    uint64_t *ret_suppressed)
{
        return d_rl_take(t, key, NULL, now, interval, ret_suppressed);
}

/* The same, naming the key by label (kept for the summaries of a summarize table). */
static bool d_rl_take(struct d_rltab *t, uint64_t key, const char *label, uint64_t now,
                      uint64_t interval, uint64_t *ret_suppressed)
{
        struct d_rl_slot *slot = NULL, *victim = &t->s[0];
        for (size_t i = 0; i < D_RL_SLOTS && !slot; i++) {
                struct d_rl_slot *s = &t->s[i];
                if (s->used && s->key == key)
                        slot = s;
                else if (!s->used)
                        victim = s;
                else if (victim->used && s->rl.next_ms < victim->rl.next_ms)
                        victim = s;
        }
        if (!slot) {
                if (t->summarize && victim->used)       /* its count goes on in the table's */
                        t->suppressed += victim->rl.suppressed;
                *victim = (struct d_rl_slot){ .used = true, .key = key,
                                              .rl = { .interval_ms = interval,
                                                      .burst = t->burst } };
                if (label)
                        snprintf(victim->label, sizeof(victim->label), "%s", label);
                slot = victim;
        }
        uint64_t supp = 0;
        if (!log_ratelimit_ok(&slot->rl, now, &supp))
                return false;
        if (now >= t->window_end) {
                t->window_end = now + D_MINUTE_MS;
                t->in_window = 0;
        }
        if (t->in_window >= D_RL_BUDGET) {
                t->suppressed += 1 + supp;
                return false;
        }
        t->in_window++;
        if (t->summarize)
                supp = 0;       /* d_rl_flush() ran first: nothing was pending */
        else {
                supp += t->suppressed;
                t->suppressed = 0;
        }
        if (ret_suppressed)
                *ret_suppressed = supp;
        return true;
}

/*
 * Summaries of a summarize table: fn(ctx, label, n) for each key whose
 * interval is over with n messages held back, and fn(ctx, NULL, n) for the
 * ones the budget held back (or of keys pushed out of the table) once its
 * minute is over.  Returns when the next summary is due, UINT64_MAX if none.
 * Call it before d_rl_take() so that a new interval never starts with a
 * count pending.
 */
static uint64_t d_rl_flush(struct d_rltab *t, uint64_t now,
                           void (*fn)(void *ctx, const char *label, uint64_t n), void *ctx)
{
        uint64_t next = UINT64_MAX;
        for (size_t i = 0; i < D_RL_SLOTS; i++) {
                struct d_rl_slot *s = &t->s[i];
                if (!s->used || s->rl.suppressed == 0)
                        continue;
                if (now >= s->rl.next_ms) {
                        fn(ctx, s->label, s->rl.suppressed);
                        s->rl.suppressed = 0;
                } else if (s->rl.next_ms < next) {
                        next = s->rl.next_ms;
                }
        }
        if (t->suppressed > 0) {
                if (now >= t->window_end) {
                        fn(ctx, NULL, t->suppressed);
                        t->suppressed = 0;
                } else if (t->window_end < next) {
                        next = t->window_end;
                }
        }
        return next;
}

static uint64_t d_hash(const char *s)
{
        uint64_t h = 1469598103934665603u;
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 1099511628211u;
        return h;
}

/* ---- objects ------------------------------------------------------------ */

struct daemon;

/* One upstream endpoint (listening socket), shared by the outstations on it. */
struct d_ep {
        struct daemon *d;
        struct io_endpoint ep;
        char listen[64];                /* as the outstation that bound it wrote it */
        struct outst_ep *oe;
        bool fresh;                     /* bound by the reload in progress */
        bool wanted;                    /* the configuration being applied listens on it */
        struct d_rltab drops;
};

struct d_out {
        struct daemon *d;
        size_t idx;                     /* slot in the gateway core */
        const struct gw_outstation *cfg;/* in d->cfg */
        struct d_ep *ep;
        struct outst_io *io;
        bool connected;
        char peer[64];
        uint64_t since_ms;              /* monotonic, at connect */
        uint64_t disconnects;
        uint64_t logged_discarded[4];
        uint64_t *logged_src[4];        /* per event source, [events_sources() + 1] */
        struct log_ratelimit overflow_rl;
        struct d_rltab rej_peer;
        struct d_rltab rej_frame;
        uint64_t sel_unused;            /* SELECTs the peer left without OPERATE since it connected */
        struct d_rltab sel_rl;
        struct d_rltab conn;            /* connection notices, per peer */
        struct io_deadline conn_timer;  /* their summaries (monotonic ms) */
        bool conn_logged;               /* this connection's connect notice went out */
};

struct d_chan;

struct d_dev {
        struct d_chan *ch;
        size_t i;                       /* in the channel */
        uint32_t slot;                  /* in the gateway core */
        struct master_dev *md;
        enum master_dev_state state;
        uint64_t last_ok_wall;          /* ms since 1970 of the last valid response; 0 = never */
        uint64_t last_ok_mono;
};

struct d_chan {
        struct daemon *d;
        const struct gw_channel *cfg;   /* in d->cfg */
        struct master_chan *mc;
        struct master_io *io;
        bool up;
        bool started;
        struct d_dev *devs;
        size_t ndev;
        struct d_rltab diag;
};

/* The gateway core and the context of its callbacks; retired on a map change. */
struct d_gw {
        struct daemon *d;
        struct gw *g;
        bool retired;
        struct event *free_ev;
        struct d_gw *next;              /* retired list */
};

struct daemon {
        struct event_base *base;
        struct daemon_opts opts;
        char *path;
        struct gw_config *cfg;
        struct d_gw *gw;
        struct d_gw *retired;
        struct d_out **outs;
        size_t nout;
        struct d_ep **eps;              /* every endpoint, in no particular order */
        size_t nep;
        struct d_chan **chans;
        size_t nchan;
        struct d_dev **slots;           /* device slots, (channel, device) order */
        size_t nslots;
        struct event *sig[4];
        struct event *watchdog;
        struct event *status;
        struct event *kick;
        uint64_t watchdog_usec;
        uint64_t events_base;           /* events forwarded by retired cores */
        bool status_dirty;
        bool kick_pending;
        bool running;
        char last_error[160];
        char status_sent[256];
};

/* ---- small helpers ------------------------------------------------------ */

enum log_level daemon_log_level(enum gw_log_level l)
{
        return (enum log_level)((int)LOG_ERROR_LEVEL + (int)l);
}

static uint64_t d_now(struct daemon *d)
{
        uint64_t mono = io_mono_ms();
        if (d->gw)
                gw_set_wall_offset(d->gw->g, (int64_t)(io_wall_ms() - mono));
        return mono;
}

static void d_kick(struct daemon *d)
{
        if (d->kick && !d->kick_pending) {
                d->kick_pending = true;
                event_active(d->kick, 0, 0);
        }
}

static void d_state_changed(struct daemon *d)
{
        d->status_dirty = true;
        d_kick(d);
}

__attribute__((format(printf, 2, 3)))
static void d_set_error(struct daemon *d, const char *fmt, ...);
static void d_set_error(struct daemon *d, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->last_error, sizeof(d->last_error), fmt, ap);
        va_end(ap);
        d_state_changed(d);
}

static const char *d_dev_name(const struct d_dev *v)
{
        return v->ch->cfg->devices[v->i].name;
}

static char *d_dev_ref(const struct d_dev *v, char *buf, size_t n)
{
        snprintf(buf, n, "%s/%s", v->ch->cfg->name, d_dev_name(v));
        return buf;
}

static char *d_u64(char *buf, size_t n, uint64_t v)
{
        snprintf(buf, n, "%" PRIu64, v);
        return buf;
}

static char *d_iso_time(uint64_t wall_ms, char *buf, size_t n)
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

/* ---- status (sd_notify STATUS= and the journal report) ------------------ */

static uint64_t d_events_forwarded(const struct daemon *d)
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
        snprintf(buf, n, "%s: devices online %zu/%zu, masters connected %zu/%zu, "
                 "events forwarded %" PRIu64 ", last error: %s", d->cfg->gateway.name, online,
                 d->nslots, conn, d->nout, d_events_forwarded(d),
                 d->last_error[0] ? d->last_error : "none");
        return buf;
}

static void d_notify_status(struct daemon *d, bool force)
{
        char line[256];
        daemon_status_line(d, line, sizeof(line));
        if (!force && strcmp(line, d->status_sent) == 0)
                return;
        snprintf(d->status_sent, sizeof(d->status_sent), "%s", line);
        sd_notifyf(0, "STATUS=%s", line);
}

/* The outstations on an endpoint: "10 scada, 11 backup". */
static void d_ep_members(const struct d_ep *e, char *buf, size_t n)
{
        const struct daemon *d = e->d;
        size_t off = 0;
        buf[0] = 0;
        for (size_t i = 0; i < d->nout && off < n; i++)
                if (d->outs[i] && d->outs[i]->ep == e)
                        off += (size_t)snprintf(buf + off, n - off, "%s%u %s", off ? ", " : "",
                                                d->outs[i]->cfg->address, d->outs[i]->cfg->name);
}

/* The status report's line for an endpoint. */
static void d_ep_report(const struct d_ep *e)
{
        static const char *const keys[OUTST_EP_DROP_MAX] = {
#define X(name, text) [OUTST_EP_DROP_##name] = "DNP3GW_" #name,
                OUTST_EP_DROP_LIST(X)
#undef X
        };
        const struct outst_ep_stats *st = outst_ep_stats(e->oe);
        char members[256], drops[512], nums[OUTST_EP_DROP_MAX][24], acc[24], disp[24];
        struct log_field fl[3 + OUTST_EP_DROP_MAX] = {
                { "DNP3GW_LISTEN", e->listen },
                { "DNP3GW_ACCEPTED", d_u64(acc, sizeof(acc), st->accepted) },
                { "DNP3GW_DISPATCHED", d_u64(disp, sizeof(disp), st->dispatched) },
        };
        size_t off = 0;
        d_ep_members(e, members, sizeof(members));
        drops[0] = 0;
        for (int k = 0; k < OUTST_EP_DROP_MAX; k++) {
                fl[3 + k] = (struct log_field){ keys[k], d_u64(nums[k], sizeof(nums[k]),
                                                                st->dropped[k]) };
                if (off < sizeof(drops))
                        off += (size_t)snprintf(drops + off, sizeof(drops) - off, "%s%s %s",
                                                k ? ", " : "",
                                                outst_ep_drop_name((enum outst_ep_drop)k),
                                                nums[k]);
        }
        log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, fl, D_N(fl),
                 "listen %s (outstations %s): connections accepted %s, handed to an outstation "
                 "%s; closed: %s", e->listen, members, acc, disp, drops);
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
                        { "DNP3GW_RESPONSES", d_u64(a, sizeof(a), os->responses) },
                        { "DNP3GW_UNSOLICITED", d_u64(b, sizeof(b), os->unsolicited) },
                        { "DNP3GW_EVENTS_CONFIRMED", d_u64(c, sizeof(c), confirmed) },
                        { "DNP3GW_EVENTS_DISCARDED", d_u64(e, sizeof(e), discarded) },
                };
                if (o->connected)
                        log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, fl, D_N(fl),
                                 "outstation %s: master %s connected for %s s; buffers class1 %s "
                                 "class2 %s class3 %s; responses sent %" PRIu64 ", unsolicited %"
                                 PRIu64 ", events confirmed %" PRIu64 ", discarded %" PRIu64,
                                 o->cfg->name, o->peer, age, fill[0], fill[1], fill[2],
                                 os->responses, os->unsolicited, confirmed, discarded);
                else
                        log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, fl, D_N(fl),
                                 "outstation %s: no master connected; buffers class1 %s class2 %s "
                                 "class3 %s; responses sent %" PRIu64 ", unsolicited %" PRIu64
                                 ", events confirmed %" PRIu64 ", discarded %" PRIu64,
                                 o->cfg->name, fill[0], fill[1], fill[2], os->responses,
                                 os->unsolicited, confirmed, discarded);
        }
        for (size_t k = 0; k < d->nep; k++)
                d_ep_report(d->eps[k]);
        for (size_t i = 0; i < d->nchan; i++) {
                struct d_chan *ch = d->chans[i];
                const struct link_stats *ls = master_chan_link_stats(ch->mc);
                const struct master_chan_stats *cs = master_chan_get_stats(ch->mc);
                uint64_t crc = ls->hdr_crc_errors + ls->body_crc_errors;
                const struct log_field fl[] = {
                        { "DNP3GW_CHANNEL", ch->cfg->name },
                        { "DNP3GW_STATE", ch->up ? "up" : "down" },
                        { "DNP3GW_CRC_ERRORS", d_u64(a, sizeof(a), crc) },
                        { "DNP3GW_DISCARDED_BYTES", d_u64(b, sizeof(b), ls->bytes_discarded) },
                        { "DNP3GW_RX_BYTES", d_u64(c, sizeof(c), cs->rx_bytes) },
                        { "DNP3GW_TX_BYTES", d_u64(e, sizeof(e), cs->tx_bytes) },
                };
                log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, fl, D_N(fl),
                         "channel %s: %s; rx %s bytes, tx %s bytes, CRC errors %s, discarded bytes "
                         "%s, frames for other addresses %" PRIu64 ", from unexpected sources %"
                         PRIu64, ch->cfg->name, ch->up ? "up" : "down", c, e, a, b,
                         cs->other_dest, cs->other_src);
                for (size_t k = 0; k < ch->ndev; k++) {
                        struct d_dev *v = &ch->devs[k];
                        const struct master_dev_stats *ds = master_dev_get_stats(v->md);
                        char last[64], addr[8];
                        if (v->last_ok_wall)
                                snprintf(last, sizeof(last), "%s (%" PRIu64 " s ago)",
                                         d_iso_time(v->last_ok_wall, f, sizeof(f)),
                                         (now - v->last_ok_mono) / 1000);
                        else
                                snprintf(last, sizeof(last), "never");
                        snprintf(addr, sizeof(addr), "%u", master_dev_address(v->md));
                        const struct log_field dl[] = {
                                { "DNP3GW_CHANNEL", ch->cfg->name },
                                { "DNP3GW_DEVICE", d_dev_name(v) },
                                { "DNP3GW_DEVICE_ADDRESS", addr },
                                { "DNP3GW_STATE", master_dev_state_name(v->state) },
                                { "DNP3GW_TIMEOUTS", d_u64(a, sizeof(a), ds->timeouts) },
                                { "DNP3GW_LAST_SUCCESS", last },
                        };
                        log_send(LOG_INFO_LEVEL, LOG_MSGID_STATUS_REPORT, dl, D_N(dl),
                                 "device %s/%s (address %s): %s; last success %s; transactions %"
                                 PRIu64 ", failed %" PRIu64 ", timeouts %" PRIu64
                                 ", bad responses %" PRIu64 ", values %" PRIu64 ", controls %"
                                 PRIu64, ch->cfg->name, d_dev_name(v), addr,
                                 master_dev_state_name(v->state), last, ds->transactions,
                                 ds->failed, ds->timeouts, ds->bad_responses, ds->values,
                                 ds->controls);
                }
        }
}

/* ---- event buffers: 80 % warning and overflow ----------------------------- */

static void d_log_high_water(struct d_out *o, unsigned c, bool lost)
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
#define D_OVERFLOW_DEVICES 8

/* The device of an event source tag (gw_event_source()); NULL for untagged events. */
static const struct d_dev *d_src_dev(const struct daemon *d, uint32_t src)
{
        return src != EVENTS_SRC_NONE && src <= d->nslots ? d->slots[src - 1] : NULL;
}

/*
 * Who lost the events discarded from class c since the last record: "ref n"
 * pairs for the message, "ref=n" for DNP3GW_DEVICES, and the device that
 * lost the most (*ret_top, NULL if untagged).
 */
static void d_overflow_who(struct d_out *o, unsigned c, char *text, size_t tn, char *field,
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
                const struct d_dev *v = d_src_dev(o->d, src);
                char ref[2 * GW_NAME_MAX];
                if (v)
                        d_dev_ref(v, ref, sizeof(ref));
                else
                        snprintf(ref, sizeof(ref), "(no device)");
                if (n > top_n) {
                        top_n = n;
                        *ret_top = v;
                }
                if (listed++ >= D_OVERFLOW_DEVICES) {
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

static void d_log_overflow(struct d_out *o, unsigned c, uint64_t total)
{
        uint64_t n = total - o->logged_discarded[c];
        char cls[4], depth[16], dis[24], tot[24], who[640], devs[480];
        const struct d_dev *top;
        o->logged_discarded[c] = total;
        snprintf(cls, sizeof(cls), "%u", c);
        snprintf(depth, sizeof(depth), "%" PRIu32, o->cfg->event_depth[c]);
        d_overflow_who(o, c, who, sizeof(who), devs, sizeof(devs), &top);
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_CLASS", cls },
                { "DNP3GW_DEPTH", depth },
                { "DNP3GW_DISCARDED", d_u64(dis, sizeof(dis), n) },
                { "DNP3GW_DISCARDED_TOTAL", d_u64(tot, sizeof(tot), total) },
                { "DNP3GW_CHANNEL", top ? top->ch->cfg->name : "" },
                { "DNP3GW_DEVICE", top ? d_dev_name(top) : "" },
                { "DNP3GW_DEVICES", devs },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_EVENT_OVERFLOW, fl, D_N(fl),
                 "outstation %s: class %u event buffer overflowed: %" PRIu64 " events "
                 "discarded (%" PRIu64 " in all; depth %s), each the oldest of the device "
                 "holding the most: %s", o->cfg->name, c, n, total, depth, who);
        if (top) {
                char ref[2 * GW_NAME_MAX];
                d_set_error(o->d, "%s: class %u events of %s discarded", o->cfg->name, c,
                            d_dev_ref(top, ref, sizeof(ref)));
        } else {
                d_set_error(o->d, "%s: class %u events discarded", o->cfg->name, c);
        }
}

/* Cheap when nothing happened: called after every measurement. */
static void d_check_events(struct daemon *d, uint64_t now)
{
        for (size_t i = 0; i < d->nout; i++) {
                struct d_out *o = d->outs[i];
                if (!o)
                        continue;
                struct events *ev = outst_events(outst_io_outst(o->io));
                const struct events_stats *es = events_stats(ev);
                for (unsigned c = 1; c <= 3; c++) {
                        if (events_take_high_water(ev, c))
                                d_log_high_water(o, c, es->discarded[c] != o->logged_discarded[c]);
                        if (es->discarded[c] != o->logged_discarded[c] &&
                            log_ratelimit_ok(&o->overflow_rl, now, NULL))
                                d_log_overflow(o, c, es->discarded[c]);
                }
        }
}

/* The deferred kick: look at the event buffers and STATUS (sessions flush themselves on wake). */
static void d_on_kick(evutil_socket_t fd, short what, void *arg)
{
        struct daemon *d = arg;
        (void)fd;
        (void)what;
        uint64_t now = d_now(d);
        d->kick_pending = false;
        d_check_events(d, now);
        if (d->status_dirty) {
                d->status_dirty = false;
                d_notify_status(d, false);
        }
}

/* ---- gateway core callbacks ---------------------------------------------- */

/* What an audit record names: outstation and peer, channel and device, function. */
struct d_audit_who {
        const char *outname, *peer, *fname;
        char chan[GW_NAME_MAX], dev[GW_NAME_MAX], func[8];
};

static void d_audit_who(const struct d_gw *dg, size_t outstation, uint32_t dev, uint8_t func,
                        struct d_audit_who *w)
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
                snprintf(w->dev, sizeof(w->dev), "%s", d_dev_name(d->slots[dev]));
        }
        snprintf(w->func, sizeof(w->func), "%u", func);
        w->fname = app_func_name(func) ? app_func_name(func) : w->func;
}

static void d_on_audit(void *ctx, const struct gw_audit *a)
{
        struct d_gw *dg = ctx;
        struct daemon *d = dg->d;

        /*
         * The core completes the upstream request (outst_cmd_complete) right
         * after its audit records, from inside a master upcall the daemon does
         * not otherwise hear about: the kick sends the response at once.
         */
        d_kick(d);
        char ctl[64], up[16], down[16], lat[24];
        struct d_audit_who w;
        d_audit_who(dg, a->outstation, a->dev, a->func, &w);
        const char *outname = w.outname, *peer = w.peer, *chan = w.chan, *dev = w.dev,
                   *fname = w.fname;
        if (a->group == 12)
                snprintf(ctl, sizeof(ctl), "code=0x%02x count=%u on=%" PRIu32 " off=%" PRIu32,
                         a->v.v.crob.code, a->v.v.crob.count, a->v.v.crob.on_ms,
                         a->v.v.crob.off_ms);
        else
                snprintf(ctl, sizeof(ctl), "value=%.17g", a->v.v.ao.value);
        snprintf(up, sizeof(up), "%" PRIu32, a->up_index);
        snprintf(down, sizeof(down), "%" PRIu32, a->down_index);
        snprintf(lat, sizeof(lat), "%" PRIu64, a->latency_ms);
        const char *status = dnp_cmd_status_name(a->status);
        const char *res = a->res < MASTER_CMD_RES_MAX
                                  ? master_cmd_res_name((enum master_cmd_res)a->res)
                                  : "not_forwarded";
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", outname },
                { "DNP3GW_PEER", peer },
                { "DNP3GW_INDEX", up },
                { "DNP3GW_CHANNEL", chan },
                { "DNP3GW_DEVICE", dev },
                { "DNP3GW_SOURCE_INDEX", a->dev == GW_NO_DEV ? "" : down },
                { "DNP3GW_FUNCTION", fname },
                { "DNP3GW_CONTROL", ctl },
                { "DNP3GW_STATUS", status },
                { "DNP3GW_RESULT", res },
                { "DNP3GW_LATENCY_MS", lat },
        };
        if (a->dev == GW_NO_DEV)
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_CONTROL_AUDIT, fl, D_N(fl),
                         "control from %s on outstation %s: %s g%uv%u index %s (%s): not mapped, "
                         "answered %s", peer[0] ? peer : "?", outname, fname, a->group, a->var,
                         up, ctl, status);
        else
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_CONTROL_AUDIT, fl, D_N(fl),
                         "control from %s on outstation %s: %s g%uv%u index %s -> %s/%s index %s "
                         "(%s): %s (%s) in %s ms", peer[0] ? peer : "?", outname, fname,
                         a->group, a->var, up, chan, dev, down, ctl, status, res, lat);
}

/* "0-3,8,10-11": the downstream counter ranges of a freeze. */
static void d_freeze_ranges(const struct master_freeze *f, char *buf, size_t n)
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

static const char *d_freeze_outcome(const struct gw_freeze_audit *a, char *buf, size_t n)
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

static void d_on_freeze_audit(void *ctx, const struct gw_freeze_audit *a)
{
        struct d_gw *dg = ctx;
        char ranges[256], lat[24], iin[8], why[192];

        d_kick(dg->d);  /* the upstream response was completed from inside a master upcall */
        struct d_audit_who w;
        d_audit_who(dg, a->outstation, a->dev, a->func, &w);
        const char *outname = w.outname, *peer = w.peer, *chan = w.chan, *dev = w.dev,
                   *fname = w.fname;
        d_freeze_ranges(a->f, ranges, sizeof(ranges));
        snprintf(lat, sizeof(lat), "%" PRIu64, a->latency_ms);
        snprintf(iin, sizeof(iin), "0x%04x", a->iin);
        const char *res = a->res < MASTER_CMD_RES_MAX
                                  ? master_cmd_res_name((enum master_cmd_res)a->res)
                                  : "not_forwarded";
        const char *outcome = d_freeze_outcome(a, why, sizeof(why));
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", outname },
                { "DNP3GW_PEER", peer },
                { "DNP3GW_CHANNEL", chan },
                { "DNP3GW_DEVICE", dev },
                { "DNP3GW_FUNCTION", fname },
                { "DNP3GW_SOURCE_INDEX", ranges },
                { "DNP3GW_RESULT", res },
                { "DNP3GW_IIN", iin },
                { "DNP3GW_LATENCY_MS", lat },
        };
        if (a->dev == GW_NO_DEV)
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_FREEZE_AUDIT, fl, D_N(fl),
                         "freeze from %s on outstation %s: %s: %s (IIN2.2 upstream)",
                         peer[0] ? peer : "?", outname, fname, outcome);
        else
                log_send(a->up_iin ? LOG_WARNING_LEVEL : LOG_NOTICE_LEVEL,
                         LOG_MSGID_FREEZE_AUDIT, fl, D_N(fl),
                         "freeze from %s on outstation %s: %s -> %s/%s counters %s: %s%s "
                         "in %s ms", peer[0] ? peer : "?", outname, fname, chan, dev, ranges,
                         outcome,
                         a->up_iin & APP_IIN_NO_FUNC_CODE_SUPPORT ? " (IIN2.0 upstream)"
                         : a->up_iin                              ? " (IIN2.2 upstream)"
                                                                  : "",
                         lat);
}

static void d_on_comm_lost(void *ctx, uint32_t dev, size_t npoints)
{
        struct d_gw *dg = ctx;
        struct daemon *d = dg->d;
        char ref[2 * GW_NAME_MAX];
        if (dg->retired || dev >= d->nslots)
                return;
        log_send(LOG_INFO_LEVEL, LOG_MSGID_NONE, NULL, 0,
                 "%s: COMM_LOST set on %zu upstream points",
                 d_dev_ref(d->slots[dev], ref, sizeof(ref)), npoints);
}

static int d_gw_new(struct daemon *d, const struct gw_config *cfg, struct d_gw **ret)
{
        size_t n = 0;
        for (int t = 0; t < DNP_TYPE_MAX; t++)
                n += cfg->points[t].n;
        struct gw_map_entry *map = calloc(n ? n : 1, sizeof(*map));
        struct d_gw *dg = calloc(1, sizeof(*dg));
        size_t *first = calloc(cfg->nchannels ? cfg->nchannels : 1, sizeof(*first));
        int r = -ENOMEM;
        if (!map || !dg || !first)
                goto out;
        for (size_t c = 0, s = 0; c < cfg->nchannels; c++) {
                first[c] = s;
                s += cfg->channels[c].ndevices;
        }
        size_t k = 0;
        for (int t = 0; t < DNP_TYPE_MAX; t++)
                for (size_t i = 0; i < cfg->points[t].n; i++) {
                        const struct gw_point_range *p = &cfg->points[t].v[i];
                        map[k++] = (struct gw_map_entry){
                                .type = (enum dnp_type)t,
                                .index = p->index,
                                .count = p->count,
                                .dev = (uint32_t)(first[p->channel] + p->device),
                                .source_index = p->source_index,
                        };
                }
        dg->d = d;
        const struct gw_callbacks cb = {
                .ctx = dg,
                .on_audit = d_on_audit,
                .on_freeze_audit = d_on_freeze_audit,
                .on_comm_lost = d_on_comm_lost,
        };
        r = gw_new(map, n, cfg->ndevices, cfg->noutstations, &cb, &dg->g);
        if (r < 0)
                goto out;
        *ret = dg;
        dg = NULL;
out:
        free(dg);
        free(map);
        free(first);
        return r;
}

/* ---- outstations --------------------------------------------------------- */

static void d_out_on_command(void *ctx, uint32_t token, uint8_t func, const struct outst_cmd *cmds,
                             size_t n)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        gw_on_command(d->gw->g, o->idx, token, func, cmds, n, d_now(d));
        d_kick(d);
}

static void d_out_on_freeze(void *ctx, uint32_t token, const struct outst_freeze *f)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        gw_on_freeze(d->gw->g, o->idx, token, f, d_now(d));
        d_kick(d);
}

/* A SELECT left without its OPERATE held its devices' polls: counted per peer, warned about. */
static void d_out_on_select_end(void *ctx, enum outst_sel_end why)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        uint64_t supp = 0, now = d_now(d);
        gw_on_select_end(d->gw->g, o->idx, now);
        d_kick(d);
        o->sel_unused++;
        if (!d_rl_ok(&o->sel_rl, d_hash(o->peer), now, D_MINUTE_MS, &supp))
                return;
        char n[24];
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", o->peer },
                { "DNP3GW_SELECTS_UNUSED", d_u64(n, sizeof(n), o->sel_unused) },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                 "outstation %s: master %s left a SELECT without its OPERATE (%s): %s such "
                 "SELECTs since it connected (%" PRIu64 " more since the last message); each "
                 "held the polls of its devices for up to their channel's response_timeout",
                 o->cfg->name, o->peer, outst_sel_end_name(why), n, supp);
}

static void d_out_on_reject_frame(void *ctx, enum lsess_match m, uint16_t src, uint16_t dest)
{
        struct d_out *o = ctx;
        uint64_t supp = 0, now = d_now(o->d);
        uint64_t key = ((uint64_t)m << 32) | ((uint64_t)src << 16) | dest;
        if (!d_rl_ok(&o->rej_frame, key, now, D_MINUTE_MS, &supp))
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

/* ---- connection notices -------------------------------------------------- */

/*
 * Connect and disconnect records: the first D_CONN_BURST connections a
 * minute from one peer (and at most D_RL_BUDGET a minute from all peers of
 * an outstation) get both records; the others are counted and summed up
 * when that minute is over: "N more connections from X in the last
 * minute".  A connection that lasted a minute or more always gets its
 * disconnect record.
 */
#define D_CONN_BURST 5

static void d_conn_summary(void *ctx, const char *peer, uint64_t n)
{
        struct d_out *o = ctx;
        char num[24];
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", peer ? peer : "" },
                { "DNP3GW_CONNECTIONS", d_u64(num, sizeof(num), n) },
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
static void d_conn_flush(struct d_out *o, uint64_t now)
{
        /* none due: UINT64_MAX = DNP_NEVER, the timer disarmed */
        io_deadline_arm(&o->conn_timer, d_rl_flush(&o->conn, now, d_conn_summary, o), now);
}

static void d_conn_on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct d_out *o = arg;
        (void)fd;
        (void)what;
        io_deadline_fired(&o->conn_timer);
        d_conn_flush(o, d_now(o->d));
}

static void d_conn_notice_connect(struct d_out *o, bool replaced)
{
        uint64_t now = d_now(o->d);
        d_conn_flush(o, now);
        o->conn_logged = d_rl_take(&o->conn, d_hash(o->peer), o->peer, now, D_MINUTE_MS, NULL);
        if (!o->conn_logged) {
                d_conn_flush(o, now);   /* arms the timer for the summary */
                return;
        }
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", o->peer },
        };
        log_send(LOG_NOTICE_LEVEL, LOG_MSGID_MASTER_CONNECTED, fl, D_N(fl),
                 "outstation %s: master %s connected%s", o->cfg->name, o->peer,
                 replaced ? " (replacing the previous connection)" : "");
}

static void d_conn_notice_disconnect(struct d_out *o, int err, const char *what)
{
        uint64_t lasted = d_now(o->d) - o->since_ms;
        char age[24];
        if (!o->conn_logged && lasted < D_MINUTE_MS)
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

static void d_out_on_connect(void *ctx, const struct sockaddr *peer, bool replaced)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        if (peer)
                io_addr_format(peer, o->peer, sizeof(o->peer));
        else
                snprintf(o->peer, sizeof(o->peer), "stream");
        o->connected = true;
        o->since_ms = d_now(d);
        o->sel_unused = 0;
        d_conn_notice_connect(o, replaced);
        d_state_changed(d);
}

static void d_out_on_disconnect(void *ctx, int err, const char *what)
{
        struct d_out *o = ctx;
        struct daemon *d = o->d;
        d_conn_notice_disconnect(o, err, what);
        o->connected = false;
        o->disconnects++;
        d_state_changed(d);
}

static void d_out_on_reject(void *ctx, const struct sockaddr *peer)
{
        struct d_out *o = ctx;
        char addr[64];
        uint64_t supp = 0;
        io_addr_format(peer, addr, sizeof(addr));
        if (!d_rl_ok(&o->rej_peer, d_hash(addr), d_now(o->d), D_MINUTE_MS, &supp))
                return;
        const struct log_field fl[] = {
                { "DNP3GW_OUTSTATION", o->cfg->name },
                { "DNP3GW_PEER", addr },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                 "outstation %s: connection from %s refused: not in the allow list "
                 "(%" PRIu64 " more from it since the last message)", o->cfg->name, addr, supp);
}

/* ---- upstream endpoints --------------------------------------------------- */

static void d_ep_on_drop(void *ctx, enum outst_ep_drop why, const struct sockaddr *peer,
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
                key = d_hash(addr) ^ ((uint64_t)why << 56);
        if (!d_rl_ok(&e->drops, key, d_now(e->d), D_MINUTE_MS, &supp))
                return;
        if (supp)
                snprintf(more, sizeof(more), " (%" PRIu64 " more since the last message)", supp);
        if (first) {
                snprintf(s, sizeof(s), "%u", first->src);
                snprintf(t, sizeof(t), "%u", first->dest);
        }
        d_ep_members(e, members, sizeof(members));
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

static struct d_ep *d_ep_find(const struct daemon *d, const struct io_endpoint *ep)
{
        for (size_t k = 0; k < d->nep; k++)
                if (io_endpoint_eq(&d->eps[k]->ep, ep))
                        return d->eps[k];
        return NULL;
}

/* Bind oc's endpoint (a new one). */
static int d_ep_new(struct daemon *d, const struct gw_outstation *oc, struct d_ep **ret)
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
        const struct outst_ep_cfg ecfg = { .ep = oc->endpoint };
        static const struct outst_ep_cb cb = { .on_drop = d_ep_on_drop };
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

enum d_ep_gc { D_EP_FRESH, D_EP_UNWANTED, D_EP_EMPTY };

/* Close the endpoints without outstations that are fresh, unwanted, or any. */
static void d_ep_gc(struct daemon *d, enum d_ep_gc which)
{
        size_t k = 0;
        for (size_t i = 0; i < d->nep; i++) {
                struct d_ep *e = d->eps[i];
                bool close = outst_ep_members(e->oe) == 0 &&
                             (which == D_EP_EMPTY || (which == D_EP_FRESH && e->fresh) ||
                              (which == D_EP_UNWANTED && !e->wanted));
                if (close) {
                        outst_ep_free(e->oe);
                        free(e);
                        continue;
                }
                if (which == D_EP_EMPTY)
                        e->fresh = false;
                d->eps[k++] = e;
        }
        d->nep = k;
}

/* The highest mapped index + 1 of each type. */
static void d_db_counts(const struct gw_config *cfg, uint32_t counts[DNP_TYPE_MAX])
{
        for (int t = 0; t < DNP_TYPE_MAX; t++) {
                counts[t] = 0;
                for (size_t i = 0; i < cfg->points[t].n; i++) {
                        uint32_t end = cfg->points[t].v[i].index + cfg->points[t].v[i].count;
                        if (end > counts[t])
                                counts[t] = end;
                }
        }
}

static uint64_t d_max_control_ms(const struct gw_config *cfg)
{
        uint64_t m = 0;
        for (size_t c = 0; c < cfg->nchannels; c++)
                for (size_t k = 0; k < cfg->channels[c].ndevices; k++)
                        if (cfg->channels[c].devices[k].control_timeout_ms > m)
                                m = cfg->channels[c].devices[k].control_timeout_ms;
        return m;
}

/* Event source tags: one per device slot (gw_event_source()). */
static uint16_t d_event_sources(const struct gw_config *cfg)
{
        return cfg->ndevices < UINT16_MAX ? (uint16_t)cfg->ndevices : UINT16_MAX;
}

static void d_outst_cfg(const struct gw_config *cfg, const struct gw_outstation *oc,
                        struct outst_cfg *ret)
{
        *ret = (struct outst_cfg){
                .address = oc->address,
                .master_address = oc->master_address,
                .max_fragment = oc->max_fragment,
                .max_rx_fragment = 2048,
                .keepalive_ms = oc->keepalive_ms,
                .link_timeout_ms = 1000,
                .link_retries = 2,
                .confirm_timeout_ms = oc->confirm_timeout_ms,
                .select_timeout_ms = oc->select_timeout_ms,
                /* SBO upstream = SELECT then OPERATE downstream, each up to control_timeout */
                .cmd_timeout_ms = d_max_control_ms(cfg) + D_CMD_MARGIN_MS,
                .need_time_ms = oc->need_time_ms,
                .unsol = {
                        .enabled = oc->unsol.enabled,
                        .classes = oc->unsol.classes,
                        .retries = oc->unsol.retries,
                        .hold_time_ms = oc->unsol.hold_time_ms,
                        .hold_count = oc->unsol.hold_count,
                        .max_events = oc->unsol.max_events,
                },
        };
        for (unsigned c = 1; c <= 3; c++)
                ret->event_depth[c] = oc->event_depth[c];
        ret->event_sources = d_event_sources(cfg);
        d_db_counts(cfg, ret->points);
}

static int d_db_configure(const struct gw_config *cfg, struct db *db)
{
        for (int t = 0; t < DNP_TYPE_MAX; t++)
                for (size_t i = 0; i < cfg->points[t].n; i++) {
                        const struct gw_point_range *p = &cfg->points[t].v[i];
                        const struct db_point_cfg pc = {
                                .static_var = p->static_var,
                                .event_var = p->event_var,
                                .event_class = p->event_class,
                                .deadband = p->deadband,
                        };
                        int r = db_configure(db, (enum dnp_type)t, p->index, p->count, &pc);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static void d_out_free(struct d_out *o)
{
        if (!o)
                return;
        if (o->conn_timer.ev) {
                /* connections counted but not summed up yet are not left out */
                (void)d_rl_flush(&o->conn, UINT64_MAX, d_conn_summary, o);
                event_free(o->conn_timer.ev);
        }
        for (unsigned c = 1; c <= 3; c++)
                free(o->logged_src[c]);
        outst_io_free(o->io);
        free(o);
}

static int d_out_new(struct daemon *d, const struct gw_config *cfg, size_t i, struct d_ep *ep,
                     struct d_out **ret)
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
        o->conn.burst = D_CONN_BURST;
        o->conn.summarize = true;
        o->conn_timer.armed = DNP_NEVER;
        o->conn_timer.ev = evtimer_new(d->base, d_conn_on_timer, o);
        for (unsigned c = 1; c <= 3; c++)
                o->logged_src[c] = calloc((size_t)d_event_sources(cfg) + 1, sizeof(uint64_t));
        if (!o->conn_timer.ev || !o->logged_src[1] || !o->logged_src[2] || !o->logged_src[3]) {
                d_out_free(o);
                return -ENOMEM;
        }
        struct outst_cfg ocfg;
        d_outst_cfg(cfg, oc, &ocfg);
        const struct outst_io_cfg iocfg = {
                .listen = {
                        .allow = oc->allow,
                        .n_allow = oc->nallow,
                },
                .ep = ep->oe,
        };
        static const struct outst_callbacks ocb = {
                .on_command = d_out_on_command,
                .on_freeze = d_out_on_freeze,
                .on_reject = d_out_on_reject_frame,
                .on_select_end = d_out_on_select_end,
        };
        static const struct outst_io_cb cb = {
                .on_connect = d_out_on_connect,
                .on_disconnect = d_out_on_disconnect,
                .on_reject = d_out_on_reject,
        };
        int r = outst_io_new(d->base, &iocfg, &ocfg, &ocb, &cb, o, &o->io);
        if (r < 0) {
                log_error("outstation %s: cannot start on %s: %s", oc->name, oc->listen,
                          strerror(-r));
                d_out_free(o);
                return r;
        }
        r = d_db_configure(cfg, outst_db(outst_io_outst(o->io)));
        if (r < 0) {
                log_error("outstation %s: point configuration refused: %s", oc->name,
                          strerror(-r));
                d_out_free(o);
                return r;
        }
        size_t shared = outst_ep_members(ep->oe) - 1;
        char with[64] = "";
        if (shared)
                snprintf(with, sizeof(with), "; shared with %zu other outstation%s", shared,
                         shared == 1 ? "" : "s");
        log_info("outstation %s: listening on %s (port %u), address %u, master %u%s", oc->name,
                 oc->listen, outst_io_port(o->io), oc->address, oc->master_address, with);
        *ret = o;
        return 0;
}

/* ---- channels and devices -------------------------------------------------- */

static void d_on_value(void *ctx, const struct master_meas *m)
{
        struct d_chan *ch = ctx;
        struct daemon *d = ch->d;
        struct d_dev *v = master_dev_user(m->dev);
        uint64_t now = d_now(d);
        gw_on_meas(d->gw->g, v->slot, m, now);
        d_check_events(d, now);         /* the 80 % warning before the batch overflows */
        d_kick(d);
}

static void d_on_state(void *ctx, struct master_dev *md, enum master_dev_state s)
{
        struct d_chan *ch = ctx;
        struct daemon *d = ch->d;
        struct d_dev *v = master_dev_user(md);
        char addr[8], ref[2 * GW_NAME_MAX];
        v->state = s;
        gw_on_dev_state(d->gw->g, v->slot, s, d_now(d));
        snprintf(addr, sizeof(addr), "%u", master_dev_address(md));
        d_dev_ref(v, ref, sizeof(ref));
        const struct log_field fl[] = {
                { "DNP3GW_CHANNEL", ch->cfg->name },
                { "DNP3GW_DEVICE", d_dev_name(v) },
                { "DNP3GW_DEVICE_ADDRESS", addr },
        };
        if (s == MASTER_DEV_ONLINE) {
                log_send(LOG_NOTICE_LEVEL, LOG_MSGID_DEVICE_ONLINE, fl, D_N(fl),
                         "device %s (address %s) is online", ref, addr);
        } else if (s == MASTER_DEV_OFFLINE) {
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_DEVICE_OFFLINE, fl, D_N(fl),
                         "device %s (address %s) is offline%s", ref, addr,
                         master_chan_is_open(ch->mc) ? "" : ": its channel is down");
                d_set_error(d, "%s offline", ref);
        }
        d_state_changed(d);
}

static void d_on_task(void *ctx, struct master_dev *md, enum master_task t, bool ok)
{
        struct d_chan *ch = ctx;
        struct d_dev *v = master_dev_user(md);
        d_kick(ch->d);
        if (ok) {
                v->last_ok_mono = io_mono_ms();
                v->last_ok_wall = io_wall_ms();
        }
        if (log_enabled(LOG_DEBUG_LEVEL)) {
                char ref[2 * GW_NAME_MAX];
                log_debug("%s: %s %s", d_dev_ref(v, ref, sizeof(ref)), master_task_name(t),
                          ok ? "done" : "failed");
        }
}

static void d_on_iin(void *ctx, struct master_dev *md, uint16_t iin)
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
        log_debug("%s: IIN 0x%04x%s", d_dev_ref(v, ref, sizeof(ref)), iin, bits);
}

static void d_on_apdu(void *ctx, struct master_dev *md, bool tx, const uint8_t *apdu, size_t len)
{
        struct d_chan *ch = ctx;
        char buf[1536], ref[2 * GW_NAME_MAX];
        if (!log_enabled(LOG_DEBUG_LEVEL))
                return;
        fmt_apdu(buf, sizeof(buf), apdu, len, log_enabled(LOG_TRACE_LEVEL));
        if (md)
                d_dev_ref(master_dev_user(md), ref, sizeof(ref));
        else
                snprintf(ref, sizeof(ref), "%s/?", ch->cfg->name);
        log_debug("%s %s %s", ref, tx ? "TX" : "RX", buf);
}

static const char *const d_diag_names[MASTER_DIAG_MAX] = {
#define X(name, str) [MASTER_DIAG_##name] = str,
        MASTER_DIAG_LIST(X)
#undef X
};

/* What the devices of a channel answer to: "20, 21". */
static void d_chan_addrs(const struct d_chan *ch, char *buf, size_t n)
{
        size_t off = 0;
        buf[0] = 0;
        for (size_t i = 0; i < ch->ndev && off < n; i++)
                off += (size_t)snprintf(buf + off, n - off, "%s%u", i ? ", " : "",
                                        ch->cfg->devices[i].address);
}

static void d_on_diag(void *ctx, const struct master_diag *dg)
{
        struct d_chan *ch = ctx;
        struct daemon *d = ch->d;
        uint64_t supp = 0, now = d_now(d);
        uint64_t key = ((uint64_t)dg->kind << 40) | ((uint64_t)dg->src << 16) | dg->dest;
        if (dg->kind == MASTER_DIAG_REFUSED)
                key = ((uint64_t)dg->kind << 40) | ((uint64_t)dg->src << 16) | dg->func;
        if (!d_rl_ok(&ch->diag, key, now, D_MINUTE_MS, &supp))
                return;

        char ref[2 * GW_NAME_MAX], s[8], t[8], addrs[128], more[64] = "";
        if (dg->dev)
                d_dev_ref(master_dev_user(dg->dev), ref, sizeof(ref));
        else
                snprintf(ref, sizeof(ref), "%s", ch->cfg->name);
        snprintf(s, sizeof(s), "%u", dg->src);
        snprintf(t, sizeof(t), "%u", dg->dest);
        if (supp)
                snprintf(more, sizeof(more), " (%" PRIu64 " more since the last message)", supp);
        d_chan_addrs(ch, addrs, sizeof(addrs));
        const struct log_field fl[] = {
                { "DNP3GW_CHANNEL", ch->cfg->name },
                { "DNP3GW_DEVICE", dg->dev ? d_dev_name(master_dev_user(dg->dev)) : "" },
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
                         "%s: %s (from %u to %u)%s%s%s", ref, d_diag_names[dg->kind], dg->src,
                         dg->dest, dg->err ? ": " : "", dg->err ? obj_err_name(dg->err) : "", more);
                break;
        }
}

static void d_chan_on_up(void *ctx)
{
        struct d_chan *ch = ctx;
        ch->up = true;
        const struct log_field fl[] = {
                { "DNP3GW_CHANNEL", ch->cfg->name },
                { "DNP3GW_STATE", "up" },
        };
        log_send(LOG_NOTICE_LEVEL, LOG_MSGID_CHANNEL_STATE, fl, D_N(fl), "channel %s: %s is open",
                 ch->cfg->name, io_stream_name(master_io_stream(ch->io)));
        d_state_changed(ch->d);
}

static void d_chan_on_down(void *ctx, int err, const char *what)
{
        struct d_chan *ch = ctx;
        bool was_up = ch->up;
        ch->up = false;
        const struct log_field fl[] = {
                { "DNP3GW_CHANNEL", ch->cfg->name },
                { "DNP3GW_STATE", "down" },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_CHANNEL_STATE, fl, D_N(fl),
                 "channel %s: %s %s: %s%s%s; retrying with backoff", ch->cfg->name,
                 io_stream_name(master_io_stream(ch->io)), was_up ? "lost" : "cannot be opened",
                 what ? what : "", err ? ": " : "", err ? strerror(-err) : "");
        d_set_error(ch->d, "channel %s down", ch->cfg->name);
}

static void d_chan_free(struct d_chan *ch)
{
        if (!ch)
                return;
        master_io_free(ch->io);         /* and its channel */
        free(ch->devs);
        free(ch);
}

static void d_dev_cfg(const struct gw_channel *cc, const struct gw_device *dc, void *user,
                      struct master_dev_cfg *ret)
{
        *ret = (struct master_dev_cfg){
                .name = dc->name,
                .address = dc->address,
                .integrity_ms = dc->integrity_ms,
                .class_ms = { dc->class_ms[0], dc->class_ms[1], dc->class_ms[2] },
                .unsolicited = dc->unsolicited,
                .time_sync = dc->time_sync == GW_TSYNC_NONE  ? MASTER_TSYNC_NONE
                             : dc->time_sync == GW_TSYNC_LAN ? MASTER_TSYNC_LAN
                                                             : MASTER_TSYNC_WRITE,
                .time_sync_ms = dc->time_sync_ms,
                /* write: delay-measured on serial lines; delay: always measured */
                .measure_delay = dc->time_sync == GW_TSYNC_DELAY ||
                                 (dc->time_sync == GW_TSYNC_WRITE &&
                                  cc->transport == GW_TRANSPORT_SERIAL),
                /* the OPERATE is awaited as long as an answer from the device */
                .select_hold_ms = cc->response_timeout_ms,
                .comm_fail_after = dc->comm_fail_after,
                .control_timeout_ms = dc->control_timeout_ms,
                .offline_retry_ms = dc->offline_retry_ms,
                .user = user,
        };
}

static int d_chan_new(struct daemon *d, const struct gw_config *cfg, size_t ci, size_t first_slot,
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
        struct master_io_cfg mcfg = {
                .stream = { .tcp = cc->transport == GW_TRANSPORT_TCP },
                .chan = {
                        .master_address = cc->master_address,
                        .response_timeout_ms = cc->response_timeout_ms,
                        .retries = cc->retries,
                        .link_confirm = cc->link_confirm,
                        .max_devices = (unsigned)(cc->ndevices > 32 ? cc->ndevices : 0),
                },
        };
        if (mcfg.stream.tcp) {
                mcfg.stream.tcp_cfg = (struct io_tcp_cfg){ .host = cc->tcp.host,
                                                           .port = cc->tcp.port };
        } else {
                mcfg.stream.serial = (struct io_serial_cfg){
                        .device = cc->serial.device,
                        .baud = cc->serial.baud,
                        .data_bits = cc->serial.data_bits,
                        .parity = cc->serial.parity,
                        .stop_bits = cc->serial.stop_bits,
                        .flow = cc->serial.flow_control,
                };
        }
        const struct master_callbacks mcb = {
                .ctx = ch,
                .on_value = d_on_value,
                .on_state = d_on_state,
                .on_iin = d_on_iin,
                .on_diag = d_on_diag,
                .on_task = d_on_task,
                .on_apdu = d_on_apdu,
        };
        static const struct master_io_cb cb = {
                .on_up = d_chan_on_up,
                .on_down = d_chan_on_down,
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
                d_dev_cfg(cc, &cc->devices[i], v, &dcfg);
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
        d_chan_free(ch);
        return r;
}

/* ---- building, comparing and replacing ----------------------------------- */

static bool d_str_eq(const char *a, const char *b)
{
        return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static bool d_out_same(const struct gw_outstation *a, const struct gw_outstation *b)
{
        if (strcmp(a->name, b->name) != 0 || !d_str_eq(a->listen, b->listen) ||
            a->address != b->address || a->master_address != b->master_address ||
            a->nallow != b->nallow || a->max_fragment != b->max_fragment ||
            a->keepalive_ms != b->keepalive_ms || a->confirm_timeout_ms != b->confirm_timeout_ms ||
            a->select_timeout_ms != b->select_timeout_ms || a->need_time_ms != b->need_time_ms ||
            a->unsol.enabled != b->unsol.enabled || a->unsol.classes != b->unsol.classes ||
            a->unsol.retries != b->unsol.retries ||
            a->unsol.hold_time_ms != b->unsol.hold_time_ms ||
            a->unsol.hold_count != b->unsol.hold_count ||
            a->unsol.max_events != b->unsol.max_events)
                return false;
        for (unsigned c = 1; c <= 3; c++)
                if (a->event_depth[c] != b->event_depth[c])
                        return false;
        for (size_t i = 0; i < a->nallow; i++)
                if (a->allow[i].family != b->allow[i].family ||
                    a->allow[i].prefix != b->allow[i].prefix ||
                    memcmp(a->allow[i].addr, b->allow[i].addr, sizeof(a->allow[i].addr)) != 0)
                        return false;
        return true;
}

static bool d_dev_same(const struct gw_device *a, const struct gw_device *b)
{
        if (strcmp(a->name, b->name) != 0 || a->address != b->address ||
            a->integrity_ms != b->integrity_ms || a->unsolicited != b->unsolicited ||
            a->time_sync != b->time_sync || a->time_sync_ms != b->time_sync_ms ||
            a->comm_fail_after != b->comm_fail_after ||
            a->control_timeout_ms != b->control_timeout_ms ||
            a->offline_retry_ms != b->offline_retry_ms)
                return false;
        for (int i = 0; i < 3; i++)
                if (a->class_ms[i] != b->class_ms[i])
                        return false;
        return true;
}

static bool d_chan_same(const struct gw_channel *a, const struct gw_channel *b)
{
        if (strcmp(a->name, b->name) != 0 || a->transport != b->transport ||
            a->master_address != b->master_address ||
            a->response_timeout_ms != b->response_timeout_ms || a->retries != b->retries ||
            a->link_confirm != b->link_confirm || a->ndevices != b->ndevices)
                return false;
        if (a->transport == GW_TRANSPORT_TCP) {
                if (!d_str_eq(a->tcp.host, b->tcp.host) || a->tcp.port != b->tcp.port)
                        return false;
        } else if (!d_str_eq(a->serial.device, b->serial.device) ||
                   a->serial.baud != b->serial.baud || a->serial.data_bits != b->serial.data_bits ||
                   a->serial.parity != b->serial.parity ||
                   a->serial.stop_bits != b->serial.stop_bits ||
                   a->serial.flow_control != b->serial.flow_control) {
                return false;
        }
        for (size_t i = 0; i < a->ndevices; i++)
                if (!d_dev_same(&a->devices[i], &b->devices[i]))
                        return false;
        return true;
}

/* The point map: every range (all keys) and the device slots (names in order). */
static bool d_map_same(const struct gw_config *a, const struct gw_config *b)
{
        if (a->ndevices != b->ndevices || a->nchannels != b->nchannels)
                return false;
        for (size_t c = 0; c < a->nchannels; c++) {
                const struct gw_channel *x = &a->channels[c], *y = &b->channels[c];
                if (strcmp(x->name, y->name) != 0 || x->ndevices != y->ndevices)
                        return false;
                for (size_t k = 0; k < x->ndevices; k++)
                        if (strcmp(x->devices[k].name, y->devices[k].name) != 0)
                                return false;
        }
        for (int t = 0; t < DNP_TYPE_MAX; t++) {
                if (a->points[t].n != b->points[t].n)
                        return false;
                for (size_t i = 0; i < a->points[t].n; i++) {
                        const struct gw_point_range *p = &a->points[t].v[i];
                        const struct gw_point_range *q = &b->points[t].v[i];
                        if (p->index != q->index || p->count != q->count ||
                            p->source_index != q->source_index || p->channel != q->channel ||
                            p->device != q->device || p->event_class != q->event_class ||
                            p->static_group != q->static_group || p->static_var != q->static_var ||
                            p->event_group != q->event_group || p->event_var != q->event_var ||
                            p->deadband < q->deadband || p->deadband > q->deadband)
                                return false;
                }
        }
        return true;
}

static void d_gw_free_now(struct d_gw *dg)
{
        if (!dg)
                return;
        if (dg->free_ev)
                event_free(dg->free_ev);
        gw_free(dg->g);
        free(dg);
}

static void d_on_retired(evutil_socket_t fd, short what, void *arg)
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
        d_gw_free_now(dg);
}

/*
 * A replaced gateway core may still have controls in flight on channels that
 * are kept: it is detached from every session and freed once they are
 * certainly over (their control timeout has passed).
 */
static void d_gw_retire(struct daemon *d, struct d_gw *dg, size_t nout, uint64_t after_ms)
{
        const struct gw_stats *st = gw_get_stats(dg->g);
        d->events_base += st->events_replayed + st->change_events + st->quality_events;
        dg->retired = true;
        for (size_t i = 0; i < nout; i++)
                gw_set_outstation(dg->g, i, NULL);
        dg->free_ev = evtimer_new(d->base, d_on_retired, dg);
        if (!dg->free_ev) {
                d_gw_free_now(dg);      /* cannot wait: drop it (controls in flight are lost) */
                return;
        }
        struct timeval tv = { .tv_sec = (time_t)(after_ms / 1000),
                              .tv_usec = (suseconds_t)(after_ms % 1000) * 1000 };
        evtimer_add(dg->free_ev, &tv);
        dg->next = d->retired;
        d->retired = dg;
}

static size_t d_out_buffered(struct d_out *o)
{
        struct events *ev = outst_events(outst_io_outst(o->io));
        return events_count(ev, 1) + events_count(ev, 2) + events_count(ev, 3);
}

static void d_rebuild_slots_into(struct d_chan **chans, size_t nchan, struct d_dev **slots)
{
        size_t s = 0;
        for (size_t c = 0; c < nchan; c++)
                for (size_t k = 0; k < chans[c]->ndev; k++) {
                        chans[c]->devs[k].slot = (uint32_t)s;
                        slots[s++] = &chans[c]->devs[k];
                }
}

/* Attach sessions to the core; bring a new core or new outstations up to date. */
static void d_attach(struct daemon *d, bool refresh)
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
        d_kick(d);
}

/* Whether an endpoint that is going away overlaps the one oc wants (it must close first). */
static bool d_ep_blocked(const struct daemon *d, const struct gw_outstation *oc)
{
        for (size_t k = 0; k < d->nep; k++)
                if (!d->eps[k]->wanted && io_endpoint_overlap(&d->eps[k]->ep, &oc->endpoint))
                        return true;
        return false;
}

/* Whether an old outstation being replaced holds address on ep (it must detach first). */
static bool d_addr_held(const struct daemon *d, const bool *keep_out, const struct d_ep *ep,
                        uint16_t address)
{
        for (size_t j = 0; j < d->nout; j++)
                if (d->outs[j] && !keep_out[j] && d->outs[j]->ep == ep &&
                    d->outs[j]->cfg->address == address)
                        return true;
        return false;
}

/* Outstation i on its endpoint, binding the endpoint if nobody listens there yet. */
static int d_out_start(struct daemon *d, const struct gw_config *cfg, size_t i, struct d_out **ret)
{
        const struct gw_outstation *oc = &cfg->outstations[i];
        struct d_ep *ep = d_ep_find(d, &oc->endpoint);
        if (!ep) {
                int r = d_ep_new(d, oc, &ep);
                if (r < 0)
                        return r;
        }
        return d_out_new(d, cfg, i, ep, ret);
}

/*
 * Build (old == NULL) or reconcile to cfg.  On failure nothing of the
 * running state has changed except what was already replaced... so every
 * new object is created first and swapped in only when all of them exist.
 */

static int d_apply(struct daemon *d, struct gw_config *cfg)
{
        const struct gw_config *old = d->cfg;
        bool map_same = old && d_map_same(old, cfg);
        bool core_same = map_same && old->noutstations == cfg->noutstations;
        struct d_out **outs = calloc(cfg->noutstations ? cfg->noutstations : 1, sizeof(*outs));
        struct d_chan **chans = calloc(cfg->nchannels ? cfg->nchannels : 1, sizeof(*chans));
        struct d_dev **slots = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof(*slots));
        bool *keep_out = calloc(d->nout ? d->nout : 1, sizeof(*keep_out));
        bool *keep_chan = calloc(d->nchan ? d->nchan : 1, sizeof(*keep_chan));
        bool *created_out = calloc(cfg->noutstations ? cfg->noutstations : 1, sizeof(*created_out));
        struct d_gw *ng = NULL;
        int r = -ENOMEM;
        size_t rebuilt_out = 0, kept_out = 0, rebuilt_chan = 0, kept_chan = 0;

        if (!outs || !chans || !slots || !keep_out || !keep_chan || !created_out)
                goto fail;
        if (!core_same) {
                r = d_gw_new(d, cfg, &ng);
                if (r < 0) {
                        log_error("gateway core: %s", strerror(-r));
                        goto fail;
                }
        }

        /* channels: keep identical ones, create the others (ports open later) */
        for (size_t c = 0, s = 0; c < cfg->nchannels; s += cfg->channels[c].ndevices, c++) {
                for (size_t j = 0; j < d->nchan; j++)
                        if (!keep_chan[j] && d_chan_same(d->chans[j]->cfg, &cfg->channels[c])) {
                                keep_chan[j] = true;
                                chans[c] = d->chans[j];
                                break;
                        }
                if (chans[c]) {
                        kept_chan++;
                        continue;
                }
                r = d_chan_new(d, cfg, c, s, &chans[c]);
                if (r < 0)
                        goto fail;
                rebuilt_chan++;
        }

        /* outstations: keep identical ones when the map is the same */
        for (size_t i = 0; i < cfg->noutstations; i++) {
                if (!map_same)
                        break;
                for (size_t j = 0; j < d->nout; j++)
                        if (d->outs[j] && !keep_out[j] &&
                            d_out_same(d->outs[j]->cfg, &cfg->outstations[i])) {
                                keep_out[j] = true;
                                outs[i] = d->outs[j];
                                kept_out++;
                                break;
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
                struct d_ep *ep = d_ep_find(d, &oc->endpoint);
                if (outs[i] || (!ep && d_ep_blocked(d, oc)) ||
                    (ep && d_addr_held(d, keep_out, ep, oc->address)))
                        continue;
                r = d_out_start(d, cfg, i, &outs[i]);
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
                size_t n = d_out_buffered(o);
                if (d->gw)
                        gw_set_outstation(d->gw->g, j, NULL);
                char num[24];
                const struct log_field fl[] = {
                        { "DNP3GW_OUTSTATION", o->cfg->name },
                        { "DNP3GW_DISCARDED", d_u64(num, sizeof(num), n) },
                };
                log_send(n ? LOG_WARNING_LEVEL : LOG_INFO_LEVEL, LOG_MSGID_NONE, fl, D_N(fl),
                         "outstation %s: stopped for the new configuration%s; %zu buffered "
                         "events discarded", o->cfg->name,
                         map_same ? "" : " (the point map changed)", n);
                d_out_free(o);
                d->outs[j] = NULL;
        }
        d_ep_gc(d, D_EP_UNWANTED);      /* before the endpoints that overlap them bind */
        for (size_t j = 0; j < d->nchan; j++) {
                if (keep_chan[j])
                        continue;
                log_info("channel %s: stopped for the new configuration", d->chans[j]->cfg->name);
                d_chan_free(d->chans[j]);
                d->chans[j] = NULL;
        }
        d_rebuild_slots_into(chans, cfg->nchannels, slots);
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
                        d_gw_retire(d, d->gw, old->noutstations,
                                    d_max_control_ms(old) + 2 * D_CMD_MARGIN_MS);
                d->gw = ng;
                ng = NULL;
        }
        d->cfg = cfg;

        r = 0;
        for (size_t i = 0; i < d->nout; i++) {
                if (d->outs[i])
                        continue;
                int e = d_out_start(d, cfg, i, &d->outs[i]);
                if (e < 0) {
                        d_set_error(d, "outstation %s not running", cfg->outstations[i].name);
                        r = e;
                        continue;
                }
                rebuilt_out++;
        }
        /* an outstation that still could not bind keeps an empty slot (indexes
         * stay those of the configuration and of the core); the next reload retries */
        d_ep_gc(d, D_EP_EMPTY);
        d_attach(d, rebuilt_out > 0 || rebuilt_chan > 0);
        for (size_t c = 0; c < d->nchan; c++)
                if (!d->chans[c]->started) {
                        d->chans[c]->started = true;
                        master_io_start(d->chans[c]->io);
                }
        if (old)
                log_info("reload: outstations kept %zu, started %zu; channels kept %zu, "
                         "started %zu%s", kept_out, rebuilt_out, kept_chan, rebuilt_chan,
                         map_same ? "" : "; point map changed");
        free(keep_out);
        free(keep_chan);
        free(created_out);
        return r;
fail:
        /* nothing old was touched yet: free what was created */
        if (outs && created_out)
                for (size_t i = 0; i < cfg->noutstations; i++)
                        if (created_out[i])
                                d_out_free(outs[i]);
        d_ep_gc(d, D_EP_FRESH);
        if (chans)
                for (size_t c = 0; c < cfg->nchannels; c++) {
                        bool kept = false;
                        for (size_t j = 0; j < d->nchan; j++)
                                kept = kept || d->chans[j] == chans[c];
                        if (!kept)
                                d_chan_free(chans[c]);
                }
        d_gw_free_now(ng);
        free(outs);
        free(chans);
        free(slots);
        free(keep_out);
        free(keep_chan);
        free(created_out);
        return r;
}

/* ---- config loading, reload ------------------------------------------------ */

struct d_sink_ctx {
        size_t errors;
};

static void d_sink(void *ctx, enum gw_diag_level level, const char *file, int line,
                   const char *msg)
{
        struct d_sink_ctx *c = ctx;
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

static void d_log_loaded(const struct gw_config *cfg)
{
        char sum[256], mem[24];
        gw_config_summary(cfg, sum, sizeof(sum));
        const struct log_field fl[] = {
                { "DNP3GW_CONFIG", cfg->path },
                { "DNP3GW_SUMMARY", sum },
                { "DNP3GW_EVENT_MEMORY", d_u64(mem, sizeof(mem), cfg->event_memory) },
        };
        log_send(LOG_INFO_LEVEL, LOG_MSGID_CONFIG_LOADED, fl, D_N(fl),
                 "configuration %s loaded: %s (event buffers take %zu bytes)", cfg->path, sum,
                 cfg->event_memory);
}

int daemon_load_config(const char *path, struct gw_config **ret)
{
        struct d_sink_ctx c = { 0 };
        const struct gw_diag_sink sink = { .fn = d_sink, .ctx = &c };
        int r = gw_config_load(path, ret, &sink);
        if (r == -EINVAL)
                log_error("%s: %zu error%s", path, c.errors, c.errors == 1 ? "" : "s");
        else if (r < 0)
                log_error("%s: %s", path, strerror(-r));
        return r;
}

static void d_apply_gateway(struct daemon *d, const struct gw_config *cfg,
                            const struct gw_config *old)
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
                d_notify_status(d, true);
                return r;
        }
        struct gw_config *old = d->cfg;
        d_apply_gateway(d, cfg, old);   /* the new log level covers the reload's own lines */
        r = d_apply(d, cfg);
        /* d->cfg is cfg now unless the reload failed before changing anything
         * (an endpoint that could not be bound): then nothing at all changes */
        if (d->cfg == cfg) {
                gw_config_free(old);
        } else {
                d_apply_gateway(d, old, cfg);
                log_error("reload: %s not applied; the running configuration stays in force",
                          d->path);
                gw_config_free(cfg);
        }
        if (r < 0) {
                d_set_error(d, "reload of %s: %s", d->path, strerror(-r));
        } else {
                d_log_loaded(d->cfg);
                if (strncmp(d->last_error, "reload of ", 10) == 0)
                        d->last_error[0] = 0;   /* a good reload ends a failed one */
        }
        sd_notify(0, "READY=1");
        d_notify_status(d, true);
        return r;
}

/* ---- signals and timers ----------------------------------------------------- */

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
        d_notify_status(d, false);
}

static void d_on_status(evutil_socket_t fd, short what, void *arg)
{
        struct daemon *d = arg;
        (void)fd;
        (void)what;
        daemon_status_report(d);
        d_notify_status(d, false);      /* keep counters in STATUS= current without a watchdog */
}

/* ---- public ----------------------------------------------------------------- */

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
        d->path = strdup(opts->config_path);
        d->kick = event_new(base, -1, 0, d_on_kick, d);
        d->status = event_new(base, -1, EV_PERSIST, d_on_status, d);
        d->watchdog = event_new(base, -1, EV_PERSIST, d_on_watchdog, d);
        if (!d->path || !d->kick || !d->status || !d->watchdog) {
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
        d_apply_gateway(d, cfg, NULL);
        d_log_loaded(cfg);
        r = d_apply(d, cfg);
        if (d->cfg != cfg)
                gw_config_free(cfg);
        if (r < 0)
                goto fail;
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

void daemon_free(struct daemon *d)
{
        if (!d)
                return;
        /* channels first: their teardown may complete controls through the core */
        for (size_t c = 0; c < d->nchan; c++)
                d_chan_free(d->chans[c]);
        for (size_t i = 0; i < d->nout; i++) {
                if (d->gw)
                        gw_set_outstation(d->gw->g, i, NULL);
                d_out_free(d->outs[i]);
        }
        for (size_t k = 0; k < d->nep; k++) {
                outst_ep_free(d->eps[k]->oe);
                free(d->eps[k]);
        }
        free(d->eps);
        while (d->retired) {
                struct d_gw *dg = d->retired;
                d->retired = dg->next;
                d_gw_free_now(dg);
        }
        d_gw_free_now(d->gw);
        for (int i = 0; i < 4; i++)
                if (d->sig[i])
                        event_free(d->sig[i]);
        if (d->kick)
                event_free(d->kick);
        if (d->status)
                event_free(d->status);
        if (d->watchdog)
                event_free(d->watchdog);
        free(d->outs);
        free(d->chans);
        free(d->slots);
        gw_config_free(d->cfg);
        free(d->path);
        free(d);
}

int daemon_run(struct daemon *d)
{
        char line[256];
        d->running = true;
        daemon_status_line(d, line, sizeof(line));
        snprintf(d->status_sent, sizeof(d->status_sent), "%s", line);
        sd_notifyf(0, "READY=1\nSTATUS=%s", line);
        log_notice("ready: %s", line);
        if (event_base_dispatch(d->base) < 0) {
                log_error("event loop failed");
                return -EIO;
        }
        return 0;
}
