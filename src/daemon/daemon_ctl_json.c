/* SPDX-License-Identifier: MIT */
/*
 * What the control socket answers (dnp3gwctl(1), PROTOCOL): the status of
 * the daemon, its outstations, channels and devices, and the mapped points
 * with their upstream values, as JSON objects, one per line.  Read-only:
 * nothing here changes a session.  Times are UTC ISO 8601 strings (null:
 * never); counters are numbers.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "daemon/daemon_names.h"
#include "dnp3/app.h"
#include "dnp3/dnptime.h"
#include "dnp3/ptype.h"
#include "outstation/db.h"
#include "outstation/events.h"

void dctl_json_str(struct evbuffer *b, const char *s)
{
        if (!s) {
                evbuffer_add(b, "null", 4);
                return;
        }
        evbuffer_add(b, "\"", 1);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p == '"' || *p == '\\')
                        evbuffer_add_printf(b, "\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        evbuffer_add_printf(b, "\\u%04x", *p);
                else
                        evbuffer_add(b, p, 1);
        }
        evbuffer_add(b, "\"", 1);
}

/* ,"key":"ISO time" or ,"key":null for 0 (never). */
static void dctl_json_time(struct evbuffer *b, const char *key, uint64_t wall_ms)
{
        char iso[DNPTIME_BUF_LEN];
        evbuffer_add_printf(b, ",\"%s\":", key);
        dctl_json_str(b, wall_ms ? dnptime_format(wall_ms, iso, sizeof(iso)) : NULL);
}

/* ,"key":"value" */
static void dctl_json_kv(struct evbuffer *b, const char *key, const char *v)
{
        evbuffer_add_printf(b, ",\"%s\":", key);
        dctl_json_str(b, v);
}

/* ,"key":["NAME",...] for the IIN bits set in iin. */
static void dctl_json_iin(struct evbuffer *b, const char *key, uint16_t iin)
{
        bool first = true;
        evbuffer_add_printf(b, ",\"%s\":[", key);
        for (unsigned k = 0; k < 16; k++)
                if (iin & (1u << k)) {
                        evbuffer_add_printf(b, "%s\"%s\"", first ? "" : ",", app_iin_bit_name(k));
                        first = false;
                }
        evbuffer_add(b, "]", 1);
}

static void dctl_json_daemon(struct daemon *d, struct evbuffer *b)
{
        size_t online = 0, conn = 0;
        for (size_t i = 0; i < d->nslots; i++)
                online += d->slots[i]->state == MASTER_DEV_ONLINE;
        for (size_t i = 0; i < d->nout; i++)
                conn += d->outs[i] && d->outs[i]->connected;
        char line[256];
        daemon_status_line(d, line, sizeof(line));
        evbuffer_add_printf(b, "{\"kind\":\"daemon\"");
        dctl_json_kv(b, "name", d->cfg->gateway.name);
        dctl_json_kv(b, "version", DNP3GW_VERSION);
        evbuffer_add_printf(b, ",\"pid\":%ld", (long)getpid());
        dctl_json_kv(b, "config", d->path);
        dctl_json_time(b, "started", d->started_wall);
        evbuffer_add_printf(b, ",\"devices_online\":%zu,\"devices\":%zu,\"masters_connected\":%zu,"
                            "\"outstations\":%zu", online, d->nslots, conn, d->nout);
        dctl_json_kv(b, "last_error", d->last_error[0] ? d->last_error : NULL);
        dctl_json_kv(b, "summary", line);
        evbuffer_add(b, "}\n", 2);
}

static void dctl_json_outstation(struct daemon *d, size_t i, struct evbuffer *b)
{
        const struct gw_outstation *oc = &d->cfg->outstations[i];
        struct d_out *o = d->outs[i];
        evbuffer_add_printf(b, "{\"kind\":\"outstation\"");
        dctl_json_kv(b, "name", oc->name);
        dctl_json_kv(b, "listen", oc->listen);
        evbuffer_add_printf(b, ",\"address\":%u,\"master_address\":%u,\"running\":%s",
                            oc->address, oc->master_address, o ? "true" : "false");
        if (!o) {
                evbuffer_add(b, "}\n", 2);
                return;
        }
        struct outst *s = outst_io_outst(o->io);
        struct events *ev = outst_events(s);
        const struct events_stats *es = events_stats(ev);
        const struct outst_stats *os = outst_stats(s);
        uint64_t confirmed = 0, discarded = 0;
        for (unsigned k = 1; k <= 3; k++) {
                confirmed += es->confirmed[k];
                discarded += es->discarded[k];
        }
        evbuffer_add_printf(b, ",\"connected\":%s", o->connected ? "true" : "false");
        dctl_json_kv(b, "peer", o->connected ? o->peer : NULL);
        dctl_json_time(b, "connected_since",
                       o->connected ? io_wall_ms() - (io_mono_ms() - o->since_ms) : 0);
        evbuffer_add_printf(b, ",\"events_queued\":[%zu,%zu,%zu],\"event_depth\":[%" PRIu32 ",%"
                            PRIu32 ",%" PRIu32 "]", events_count(ev, 1), events_count(ev, 2),
                            events_count(ev, 3), oc->event_depth[1], oc->event_depth[2],
                            oc->event_depth[3]);
        evbuffer_add_printf(b, ",\"requests\":%" PRIu64 ",\"responses\":%" PRIu64
                            ",\"unsolicited\":%" PRIu64 ",\"events_confirmed\":%" PRIu64
                            ",\"overflow_discarded\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]"
                            ",\"events_discarded\":%" PRIu64 ",\"disconnects\":%" PRIu64
                            ",\"persisted\":%s}\n", os->requests, os->responses,
                            os->unsolicited, confirmed, es->discarded[1], es->discarded[2],
                            es->discarded[3], discarded, o->disconnects,
                            dpersist_persisting(o) ? "true" : "false");
}

static void dctl_json_channel(const struct d_chan *ch, struct evbuffer *b)
{
        const struct link_stats *ls = master_chan_link_stats(ch->mc);
        const struct master_chan_stats *cs = master_chan_get_stats(ch->mc);
        evbuffer_add_printf(b, "{\"kind\":\"channel\"");
        dctl_json_kv(b, "name", ch->cfg->name);
        dctl_json_kv(b, "transport", io_transport_name(ch->cfg->transport));
        dctl_json_kv(b, "port", io_pipe_name(master_io_pipe(ch->io)));
        evbuffer_add_printf(b, ",\"open\":%s", ch->up ? "true" : "false");
        dctl_json_time(b, ch->up ? "open_since" : "closed_since", ch->state_wall);
        dctl_json_kv(b, "why", ch->up ? NULL : (ch->why[0] ? ch->why : "not opened yet"));
        evbuffer_add_printf(b, ",\"rx_bytes\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
                            ",\"frames\":%" PRIu64 ",\"crc_errors\":%" PRIu64
                            ",\"discarded_bytes\":%" PRIu64 ",\"other_dest\":%" PRIu64
                            ",\"other_src\":%" PRIu64 "}\n", cs->rx_bytes, cs->tx_bytes,
                            ls->frames, ls->hdr_crc_errors + ls->body_crc_errors,
                            ls->bytes_discarded, cs->other_dest, cs->other_src);
}

static void dctl_json_device(const struct d_dev *v, struct evbuffer *b)
{
        const struct master_dev_stats *ds = master_dev_get_stats(v->md);
        evbuffer_add_printf(b, "{\"kind\":\"device\"");
        dctl_json_kv(b, "channel", v->ch->cfg->name);
        dctl_json_kv(b, "name", djournal_dev_name(v));
        evbuffer_add_printf(b, ",\"address\":%u", master_dev_address(v->md));
        dctl_json_kv(b, "state", master_dev_state_name(v->state));
        dctl_json_time(b, "since", v->state_wall);
        dctl_json_kv(b, "why", v->state == MASTER_DEV_OFFLINE ? v->why : NULL);
        dctl_json_time(b, "last_response", v->last_ok_wall);
        evbuffer_add_printf(b, ",\"transactions\":%" PRIu64 ",\"failed\":%" PRIu64
                            ",\"timeouts\":%" PRIu64 ",\"retries\":%" PRIu64
                            ",\"bad_responses\":%" PRIu64 ",\"values\":%" PRIu64
                            ",\"controls\":%" PRIu64, ds->transactions, ds->failed, ds->timeouts,
                            ds->retries, ds->bad_responses, ds->values, ds->controls);
        dctl_json_iin(b, "iin", master_dev_iin(v->md));
        dctl_json_iin(b, "iin_seen", v->iin_seen);
        evbuffer_add(b, "}\n", 2);
}

void dctl_json_status(struct daemon *d, struct evbuffer *b)
{
        dctl_json_daemon(d, b);
        for (size_t i = 0; i < d->nout; i++)
                dctl_json_outstation(d, i, b);
        for (size_t i = 0; i < d->nchan; i++) {
                dctl_json_channel(d->chans[i], b);
                for (size_t k = 0; k < d->chans[i]->ndev; k++)
                        dctl_json_device(&d->chans[i]->devs[k], b);
        }
}

/* "N" or "N-M" into [*lo, *hi]. */
static int dctl_parse_range(const char *s, uint32_t *lo, uint32_t *hi)
{
        char *end;
        errno = 0;
        unsigned long a = strtoul(s, &end, 10), z = a;
        if (end == s || errno || a > UINT32_MAX || *s == '-' || *s == '+')
                return -EINVAL;
        if (*end == '-') {
                const char *t = end + 1;
                if (*t < '0' || *t > '9')
                        return -EINVAL;
                z = strtoul(t, &end, 10);
                if (errno || z > UINT32_MAX || z < a)
                        return -EINVAL;
        }
        if (*end)
                return -EINVAL;
        *lo = (uint32_t)a;
        *hi = (uint32_t)z;
        return 0;
}

int dctl_points_parse(struct daemon *d, char **words, size_t n, struct dctl_points *ret,
                      char *why, size_t whylen)
{
        struct dctl_points p = { .type = -1, .lo = 0, .hi = UINT32_MAX };
        bool named = false;
        for (size_t i = 0; i < n; i++) {
                const char *w = words[i];
                if (strncmp(w, "type=", 5) == 0) {
                        const struct dnp_ptype *pt = dnp_ptype_by_abbr(w + 5);
                        if (!pt)
                                pt = dnp_ptype_by_key(w + 5);
                        if (!pt) {
                                snprintf(why, whylen, "unknown point type '%s' (bi, dbi, bo, "
                                         "cnt, fcnt, ai, ao)", w + 5);
                                return -EINVAL;
                        }
                        p.type = (int)pt->type;
                } else if (strncmp(w, "index=", 6) == 0) {
                        if (dctl_parse_range(w + 6, &p.lo, &p.hi) < 0) {
                                snprintf(why, whylen, "bad index range '%s' (N or N-M)", w + 6);
                                return -EINVAL;
                        }
                } else if (!named) {
                        size_t k = 0;
                        while (k < d->nout && strcmp(d->cfg->outstations[k].name, w) != 0)
                                k++;
                        if (k == d->nout) {
                                snprintf(why, whylen, "no outstation '%s'", w);
                                return -EINVAL;
                        }
                        p.out = k;
                        named = true;
                } else {
                        snprintf(why, whylen, "unexpected '%s'", w);
                        return -EINVAL;
                }
        }
        if (d->nout == 0 || !d->outs[p.out]) {
                snprintf(why, whylen, "outstation %s is not running",
                         d->nout ? d->cfg->outstations[p.out].name : "(none)");
                return -ENOENT;
        }
        *ret = p;
        return 0;
}

/* One point object onto b. */
static void dctl_json_point(struct daemon *d, const struct dctl_points *p,
                            const struct dnp_ptype *pt, const struct gw_point_range *r,
                            uint32_t k, const struct db *db, struct evbuffer *b)
{
        const struct gw_config *cfg = d->cfg;
        const struct gw_channel *cc = &cfg->channels[r->channel];
        char name[DNAMES_POINT_MAX];
        struct dnp_value v;
        uint64_t changed = 0;
        uint32_t up = r->index + k;
        if (db_get(db, pt->type, up, &v) < 0)
                return;
        (void)db_last_change(db, pt->type, up, &changed);
        evbuffer_add_printf(b, "{\"kind\":\"point\"");
        dctl_json_kv(b, "outstation", cfg->outstations[p->out].name);
        dctl_json_kv(b, "type", pt->abbr);
        evbuffer_add_printf(b, ",\"index\":%" PRIu32, up);
        dctl_json_kv(b, "name", dnames_point(cfg, pt->type, r, k, name, sizeof(name)));
        evbuffer_add_printf(b, ",\"device\":\"%s/%s\",\"source_index\":%" PRIu32, cc->name,
                            cc->devices[r->device].name, r->source_index + k);
        switch (dnp_type_value(pt->type)) {
        case DNP_VAL_BIT:
                evbuffer_add_printf(b, ",\"value\":%u", v.v.bit ? 1u : 0u);
                break;
        case DNP_VAL_DBIT:
                evbuffer_add_printf(b, ",\"value\":%u", (unsigned)v.v.dbit);
                break;
        case DNP_VAL_COUNT:
                evbuffer_add_printf(b, ",\"value\":%" PRIu32, v.v.count);
                break;
        default:
                if (isfinite(v.v.analog))
                        evbuffer_add_printf(b, ",\"value\":%.17g", v.v.analog);
                else
                        evbuffer_add_printf(b, ",\"value\":null");
                break;
        }
        evbuffer_add_printf(b, ",\"flags\":[");
        bool first = true;
        for (unsigned bit = 0; bit < 8; bit++) {
                const char *fname = dnp_ptype_flag_name(pt->type, bit);
                if (fname && (v.flags & (1u << bit))) {
                        evbuffer_add_printf(b, "%s\"%s\"", first ? "" : ",", fname);
                        first = false;
                }
        }
        evbuffer_add_printf(b, "]");
        dctl_json_time(b, "time", v.time);
        dctl_json_time(b, "changed", changed);
        evbuffer_add_printf(b, ",\"class\":%u}\n", r->event_class);
}

/* The range of l holding the lowest upstream index >= at, NULL if none. */
static const struct gw_point_range *dctl_range_from(const struct gw_point_list *l, uint64_t at)
{
        const struct gw_point_range *best = NULL;
        for (size_t i = 0; i < l->n; i++) {
                const struct gw_point_range *r = &l->v[i];
                if ((uint64_t)r->index + r->count > at && (!best || r->index < best->index))
                        best = r;
        }
        return best;
}

bool dctl_json_points(struct daemon *d, struct dctl_points *p, struct evbuffer *b, size_t upto)
{
        const struct db *db = outst_db(outst_io_outst(d->outs[p->out]->io));
        for (; p->ord < DNP_PTYPE_COUNT; p->ord++, p->at = 0) {
                const struct dnp_ptype *pt = &dnp_ptypes[p->ord];
                if (p->type >= 0 && (int)pt->type != p->type)
                        continue;
                const struct gw_point_list *l = &d->cfg->points[pt->type];
                if (p->at < p->lo)
                        p->at = p->lo;
                const struct gw_point_range *r;
                while (p->at <= p->hi && (r = dctl_range_from(l, p->at)) != NULL) {
                        if (p->at < r->index)
                                p->at = r->index;
                        for (; p->at < (uint64_t)r->index + r->count && p->at <= p->hi; p->at++) {
                                if (evbuffer_get_length(b) >= upto)
                                        return false;
                                dctl_json_point(d, p, pt, r, (uint32_t)(p->at - r->index), db, b);
                                p->count++;
                        }
                }
        }
        return true;
}
