/* SPDX-License-Identifier: MIT */
/*
 * The configuration's sessions: the outstations (one upstream DNP3
 * outstation each, with its listen endpoint, addresses, unsolicited
 * reporting and event buffers) and the channels (one downstream serial port
 * or terminal-server connection each) with the devices polled on them.
 */
#include "daemon/config_priv.h"

#include "dnp3/names.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Name tables                                                              */

#define GW_TSYNC_NAME(name, str) [GW_TSYNC_##name] = str,
NAMES_DEFINE(gw_tsync_name, enum gw_tsync, GW_TSYNC_LIST, GW_TSYNC_NAME)

/* ------------------------------------------------------------------------ */
/* outstations                                                              */

static const char *const outstation_keys[] = {
        "name", "listen", "address", "master_address", "allow", "max_fragment", "keepalive",
        "confirm_timeout", "select_timeout", "unsolicited", "events", "need_time", "tls",
};
static const struct cfg_entry_kind outstation_kind = {
        "outstation", "", outstation_keys, ARRAY_SIZE(outstation_keys),
        sizeof(struct gw_outstation), offsetof(struct gw_outstation, line),
};
static const char *const unsol_keys[] = {
        "enabled", "classes", "retries", "hold_time", "hold_count", "max_events",
};
static const char *const events_keys[] = { "class1", "class2", "class3", "persist" };

static void parse_unsol(struct ld *ld, const config_setting_t *g, struct gw_unsol *u)
{
        cfg_check_keys(ld, g, unsol_keys, ARRAY_SIZE(unsol_keys));
        cfg_get_bool(ld, g, "enabled", &u->enabled);
        const config_setting_t *c = config_setting_get_member(g, "classes");
        if (c) {
                if (!config_setting_is_array(c) && !config_setting_is_list(c)) {
                        cfg_err(ld, c, "expected an array of classes [ 1, 2, 3 ], found %s",
                                cfg_type_name(c));
                } else {
                        unsigned mask = 0;
                        bool ok = true;
                        int n = config_setting_length(c);
                        for (int i = 0; i < n; i++) {
                                long long v;
                                if (cfg_int_value(ld, config_setting_get_elem(c, (unsigned)i), 1, 3,
                                                  &v) > 0)
                                        mask |= 1u << v;
                                else
                                        ok = false;
                        }
                        if (ok)
                                u->classes = mask;
                }
        }
        long long v;
        if (cfg_get_int(ld, g, "retries", -1, 65535, &v) > 0)
                u->retries = (int)v;
        cfg_get_time(ld, g, "hold_time", false, &u->hold_time_ms);
        cfg_get_u32(ld, g, "hold_count", 1, GW_EVENT_DEPTH_MAX, &u->hold_count);
        cfg_get_u32(ld, g, "max_events", 0, 65535, &u->max_events);
}

void cfg_parse_outstation(struct ld *ld, const config_setting_t *s, size_t i)
{
        struct gw_config *cfg = ld->cfg;
        struct gw_outstation *o = &cfg->outstations[i];
        *o = (struct gw_outstation){
                .master_address = 1,
                .max_fragment = 2048,
                .keepalive_ms = 60000,
                .confirm_timeout_ms = 5000,
                .select_timeout_ms = 10000,
                .need_time_ms = 0,
                .unsol = { .enabled = true, .classes = 0xe, .retries = -1, .hold_time_ms = 0,
                           .hold_count = 1, .max_events = 0 },
                .event_depth = { 0, 1000, 1000, 1000 },
                .persist = true,
        };
        if (!cfg_entry_begin(ld, s, &outstation_kind, cfg->outstations, i))
                return;

        const config_setting_t *ls = NULL;
        const char *listen = "0.0.0.0:20000";
        bool listen_ok = cfg_get_string(ld, s, "listen", &ls, &listen) >= 0;
        if (listen_ok && io_endpoint_parse(listen, &o->endpoint) < 0) {
                cfg_err(ld, ls, "\"%s\" is not ADDRESS:PORT (e.g. \"0.0.0.0:20000\" or "
                        "\"[::]:20000\", port 1..65535)", listen);
                listen_ok = false;
        }
        o->listen = cfg_strdup(ld, listen);

        int ra = cfg_get_u16(ld, s, "address", 0, GW_ADDRESS_MAX, &o->address);
        if (ra == 0)
                cfg_missing(ld, s, "address");
        int rm = cfg_get_u16(ld, s, "master_address", 0, GW_ADDRESS_MAX, &o->master_address);
        if (ra > 0 && rm >= 0 && o->address == o->master_address)
                cfg_err(ld, config_setting_get_member(s, rm > 0 ? "master_address" : "address"),
                        "the outstation address and master_address are both %u", o->address);
        if (listen_ok) {
                /* one socket per endpoint: endpoints that cannot both be bound are refused */
                for (size_t j = 0; j < i; j++) {
                        const struct gw_outstation *p = &cfg->outstations[j];
                        if (io_endpoint_overlap(&p->endpoint, &o->endpoint))
                                cfg_err(ld, ls ? ls : s, "\"%s\" overlaps \"%s\" of the "
                                        "outstation at line %d: outstations sharing a port "
                                        "must use the same listen address", listen,
                                        p->listen ? p->listen : "?", p->line);
                }
        }
        const config_setting_t *ts = config_setting_get_member(s, "tls");
        if (ts)
                cfg_parse_tls(ld, ts, &o->tls);
        if (listen_ok) {
                /* one handshake per connection, before a frame names the outstation */
                for (size_t j = 0; j < i; j++) {
                        const struct gw_outstation *p = &cfg->outstations[j];
                        const char *k = gw_tls_differs(&p->tls, &o->tls);
                        if (!k || !io_endpoint_eq(&p->endpoint, &o->endpoint))
                                continue;
                        if (p->tls.enabled != o->tls.enabled)
                                cfg_err(ld, ts ? ts : s, "outstations sharing %s must all use "
                                        "TLS or none: the outstation at line %d %s", listen,
                                        p->line, p->tls.enabled ? "does" : "does not");
                        else
                                cfg_err(ld, ts, "outstations sharing %s must have the same "
                                        "tls settings: '%s' differs from the outstation at "
                                        "line %d", listen, k, p->line);
                        break;
                }
        }
        if (ra > 0 && listen_ok) {
                for (size_t j = 0; j < i; j++) {
                        const struct gw_outstation *p = &cfg->outstations[j];
                        if (p->address == o->address && io_endpoint_eq(&p->endpoint, &o->endpoint))
                                cfg_err(ld, config_setting_get_member(s, "address"),
                                        "address %u on %s is already used by the outstation "
                                        "at line %d", o->address, listen, p->line);
                }
        } else {
                memset(&o->endpoint, 0, sizeof(o->endpoint));   /* never equal */
        }

        const config_setting_t *al = config_setting_get_member(s, "allow");
        if (al) {
                if (!config_setting_is_array(al) && !config_setting_is_list(al)) {
                        cfg_err(ld, al, "expected an array of addresses [ \"192.0.2.10\", "
                                "\"198.51.100.0/24\" ], found %s", cfg_type_name(al));
                } else {
                        size_t n = (size_t)config_setting_length(al);
                        o->allow = cfg_calloc(ld, n, sizeof(*o->allow));
                        for (size_t k = 0; k < n && o->allow; k++) {
                                const config_setting_t *e = config_setting_get_elem(al, (unsigned)k);
                                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                                        cfg_err(ld, e, "expected a string, found %s",
                                                cfg_type_name(e));
                                        continue;
                                }
                                const char *v = config_setting_get_string(e);
                                if (io_cidr_parse(v, &o->allow[o->nallow]) < 0)
                                        cfg_err(ld, e, "\"%s\" is not an IP address or "
                                                "ADDRESS/PREFIX", v);
                                else
                                        o->nallow++;
                        }
                }
        }

        cfg_get_u32(ld, s, "max_fragment", 249, 65535, &o->max_fragment);
        cfg_get_time(ld, s, "keepalive", false, &o->keepalive_ms);
        cfg_get_time(ld, s, "confirm_timeout", true, &o->confirm_timeout_ms);
        cfg_get_time(ld, s, "select_timeout", true, &o->select_timeout_ms);
        cfg_get_time(ld, s, "need_time", false, &o->need_time_ms);

        const config_setting_t *us = config_setting_get_member(s, "unsolicited");
        if (us && cfg_want_group(ld, us))
                parse_unsol(ld, us, &o->unsol);

        const config_setting_t *es = config_setting_get_member(s, "events");
        if (es && cfg_want_group(ld, es)) {
                cfg_check_keys(ld, es, events_keys, ARRAY_SIZE(events_keys));
                for (unsigned c = 1; c <= 3; c++)
                        cfg_get_u32(ld, es, events_keys[c - 1], 1, GW_EVENT_DEPTH_MAX,
                                    &o->event_depth[c]);
                cfg_get_bool(ld, es, "persist", &o->persist);
        }
        o->event_memory = ((size_t)o->event_depth[1] + o->event_depth[2] + o->event_depth[3]) *
                          GW_CONFIG_EVENT_BYTES;
}

/* ------------------------------------------------------------------------ */
/* channels                                                                 */

static const char *const channel_keys[] = {
        "name", "serial", "tcp", "master_address", "response_timeout", "retries", "link_confirm",
        "devices",
};
static const struct cfg_entry_kind channel_kind = {
        "channel", "", channel_keys, ARRAY_SIZE(channel_keys),
        sizeof(struct gw_channel), offsetof(struct gw_channel, line),
};
static const char *const serial_keys[] = {
        "device", "baud", "data_bits", "parity", "stop_bits", "flow_control",
};
static const char *const tcp_keys[] = { "host", "port", "tls" };
static const char *const device_keys[] = {
        "name", "address", "integrity_poll", "class_polls", "unsolicited", "time_sync",
        "time_sync_interval", "comm_fail_after", "control_timeout", "offline_retry",
};
static const struct cfg_entry_kind device_kind = {
        "device", " on this channel", device_keys, ARRAY_SIZE(device_keys),
        sizeof(struct gw_device), offsetof(struct gw_device, line),
};

/* An integer serial setting, checked against the serial vocabulary (io/serial_names.h). */
static void serial_number(struct ld *ld, const config_setting_t *g, const char *key,
                          int (*check)(long long v, char *why, size_t n), unsigned *ret)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        long long v;
        char why[256];
        if (!s || cfg_int_value(ld, s, LLONG_MIN, LLONG_MAX, &v) <= 0)
                return;
        if (check(v, why, sizeof(why)) < 0)
                cfg_err(ld, s, "%s", why);
        else
                *ret = (unsigned)v;
}

static void parse_serial(struct ld *ld, const config_setting_t *g, struct io_serial_cfg *sp)
{
        cfg_check_keys(ld, g, serial_keys, ARRAY_SIZE(serial_keys));
        const char *dev;
        const config_setting_t *ds;
        int r = cfg_need_string(ld, g, "device", &ds, &dev);
        if (r > 0 && dev[0] != '/') {
                cfg_err(ld, ds, "\"%s\" is not an absolute path (e.g. \"/dev/ttyS1\")", dev);
                r = -1;
        }
        if (r > 0)
                sp->device = cfg_strdup(ld, dev);

        serial_number(ld, g, "baud", io_baud_check, &sp->baud);
        serial_number(ld, g, "data_bits", io_data_bits_check, &sp->data_bits);
        serial_number(ld, g, "stop_bits", io_stop_bits_check, &sp->stop_bits);
        const config_setting_t *s;
        const char *v;
        char why[256];
        if (cfg_get_string(ld, g, "parity", &s, &v) > 0 &&
            io_parity_parse(v, &sp->parity, cfg_suggest, why, sizeof(why)) < 0)
                cfg_err(ld, s, "%s", why);
        if (cfg_get_string(ld, g, "flow_control", &s, &v) > 0 &&
            io_flow_parse(v, &sp->flow, cfg_suggest, why, sizeof(why)) < 0)
                cfg_err(ld, s, "%s", why);
}

static void parse_tcp(struct ld *ld, const config_setting_t *g, struct gw_tcp *tp)
{
        cfg_check_keys(ld, g, tcp_keys, ARRAY_SIZE(tcp_keys));
        const char *host;
        const config_setting_t *hs;
        int rh = cfg_need_string(ld, g, "host", &hs, &host);
        int rp = cfg_get_u16(ld, g, "port", 1, 65535, &tp->port);
        const config_setting_t *ts = config_setting_get_member(g, "tls");
        if (ts)
                cfg_parse_tls(ld, ts, &tp->tls);
        if (rh <= 0)
                return;
        char buf[128];
        snprintf(buf, sizeof(buf), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, tp->port);
        struct io_endpoint ep;
        if (strlen(host) > 64 || io_endpoint_parse(buf, &ep) < 0) {
                cfg_err(ld, hs, "\"%s\" is not a numeric IPv4 or IPv6 address", host);
                return;
        }
        tp->host = cfg_strdup(ld, host);
        if (rp >= 0)
                tp->endpoint = ep;
}

/* addr_ok[j]: device j has a valid address (for the duplicate check). */
static void parse_device(struct ld *ld, const config_setting_t *s, struct gw_channel *ch, size_t i,
                         bool master_ok, bool *addr_ok)
{
        struct gw_device *d = &ch->devices[i];
        *d = (struct gw_device){
                .integrity_ms = 3600000,
                .class_ms = { 1000, 5000, 30000 },
                .unsolicited = false,
                .time_sync = GW_TSYNC_NONE,
                .time_sync_ms = 0,
                .comm_fail_after = 3,
                .control_timeout_ms = 3000,
                .offline_retry_ms = 10000,
        };
        if (!cfg_entry_begin(ld, s, &device_kind, ch->devices, i))
                return;
        int ra = cfg_get_u16(ld, s, "address", 0, GW_ADDRESS_MAX, &d->address);
        if (ra == 0)
                cfg_missing(ld, s, "address");
        if (ra > 0) {
                const config_setting_t *as = config_setting_get_member(s, "address");
                if (master_ok && d->address == ch->master_address)
                        cfg_err(ld, as, "%u is the channel's master_address", d->address);
                for (size_t j = 0; j < i; j++)
                        if (addr_ok[j] && ch->devices[j].address == d->address)
                                cfg_err(ld, as, "address %u is already used by device \"%s\" "
                                        "(line %d) on this channel", d->address,
                                        ch->devices[j].name, ch->devices[j].line);
                addr_ok[i] = true;
        }
        cfg_get_time(ld, s, "integrity_poll", false, &d->integrity_ms);

        const config_setting_t *cp = config_setting_get_member(s, "class_polls");
        if (cp) {
                if ((!config_setting_is_array(cp) && !config_setting_is_list(cp)) ||
                    config_setting_length(cp) != 3) {
                        cfg_err(ld, cp, "expected 3 numbers of seconds [ class1, class2, class3 ]");
                } else {
                        uint64_t ms[3];
                        bool ok = true;
                        for (unsigned k = 0; k < 3; k++)
                                ok &= cfg_time_value(ld, config_setting_get_elem(cp, k), false,
                                                     &ms[k]) > 0;
                        if (ok)
                                memcpy(d->class_ms, ms, sizeof(ms));
                }
        }
        cfg_get_bool(ld, s, "unsolicited", &d->unsolicited);
        int e;
        if (cfg_get_enum(ld, s, "time_sync", gw_tsync_name_tab, ARRAY_SIZE(gw_tsync_name_tab), &e) > 0)
                d->time_sync = (enum gw_tsync)e;
        cfg_get_time(ld, s, "time_sync_interval", false, &d->time_sync_ms);
        cfg_get_u32(ld, s, "comm_fail_after", 1, 1000, &d->comm_fail_after);
        cfg_get_time(ld, s, "control_timeout", true, &d->control_timeout_ms);
        cfg_get_time(ld, s, "offline_retry", true, &d->offline_retry_ms);
}

void cfg_parse_channel(struct ld *ld, const config_setting_t *s, size_t i)
{
        struct gw_config *cfg = ld->cfg;
        struct gw_channel *ch = &cfg->channels[i];
        *ch = (struct gw_channel){
                .transport = IO_TRANSPORT_SERIAL,
                .serial = { .baud = 9600, .data_bits = 8, .parity = IO_PARITY_NONE,
                            .stop_bits = 1, .flow = IO_FLOW_NONE },
                .tcp = { .port = 20000 },
                .master_address = 1,
                .response_timeout_ms = 2000,
                .retries = 1,
                .link_confirm = false,
        };
        if (!cfg_entry_begin(ld, s, &channel_kind, cfg->channels, i))
                return;

        const config_setting_t *ss = config_setting_get_member(s, "serial");
        const config_setting_t *ts = config_setting_get_member(s, "tcp");
        if (ss && ts) {
                cfg_err(ld, s, "has both 'serial' and 'tcp'; a channel is one or the other");
        } else if (!ss && !ts) {
                cfg_err(ld, s, "needs 'serial' (a serial port) or 'tcp' (a terminal server)");
        } else if (ss && cfg_want_group(ld, ss)) {
                parse_serial(ld, ss, &ch->serial);
                const config_setting_t *dv = config_setting_get_member(ss, "device");
                for (size_t j = 0; j < i && ch->serial.device; j++) {
                        const struct gw_channel *p = &cfg->channels[j];
                        if (p->transport == IO_TRANSPORT_SERIAL && p->serial.device &&
                            strcmp(p->serial.device, ch->serial.device) == 0)
                                cfg_err(ld, dv, "\"%s\" is already used by channel \"%s\" "
                                        "(line %d)", ch->serial.device, p->name, p->line);
                }
        } else if (ts && cfg_want_group(ld, ts)) {
                ch->transport = IO_TRANSPORT_TCP;
                parse_tcp(ld, ts, &ch->tcp);
                for (size_t j = 0; j < i; j++) {
                        const struct gw_channel *p = &cfg->channels[j];
                        if (p->transport == IO_TRANSPORT_TCP &&
                            io_endpoint_eq(&p->tcp.endpoint, &ch->tcp.endpoint))
                                cfg_err(ld, ts, "%s:%u is already used by channel \"%s\" (line %d)",
                                        ch->tcp.host, ch->tcp.port, p->name, p->line);
                }
        }

        int rm = cfg_get_u16(ld, s, "master_address", 0, GW_ADDRESS_MAX, &ch->master_address);
        cfg_get_time(ld, s, "response_timeout", true, &ch->response_timeout_ms);
        cfg_get_u32(ld, s, "retries", 0, 255, &ch->retries);
        cfg_get_bool(ld, s, "link_confirm", &ch->link_confirm);

        const config_setting_t *dl = config_setting_get_member(s, "devices");
        if (!dl) {
                cfg_missing(ld, s, "devices");
                return;
        }
        if (!cfg_want_list(ld, dl))
                return;
        size_t n = (size_t)config_setting_length(dl);
        if (n == 0) {
                cfg_err(ld, dl, "at least one device is required");
                return;
        }
        ch->devices = cfg_calloc(ld, n, sizeof(*ch->devices));
        bool *addr_ok = cfg_calloc(ld, n, sizeof(*addr_ok));
        if (ch->devices && addr_ok) {
                ch->ndevices = n;
                for (size_t k = 0; k < n; k++)
                        parse_device(ld, config_setting_get_elem(dl, (unsigned)k), ch, k, rm >= 0,
                                     addr_ok);
                cfg->ndevices += n;
        }
        free(addr_ok);
}
