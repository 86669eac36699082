/* SPDX-License-Identifier: MIT */
/*
 * Wiring: the pure derivation of the sessions' configs from the validated
 * configuration, and their comparison on reload.
 *
 * Some settings derive across entities: every outstation waits for a
 * forwarded control as long as the slowest device may take (the largest
 * control_timeout of all devices, plus a margin); every outstation has one
 * event source tag per device slot and a database as large as the point
 * map.  A reload therefore compares what the sessions would be built from
 * (the derived configs), not the entries of the file: raising one device's
 * control_timeout changes the wait of every outstation, which is applied
 * in place (outst_set_cmd_timeout()) without dropping its master.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/ptype.h"

/* The highest mapped index + 1 of each type. */
static void dwire_db_counts(const struct gw_config *cfg, uint32_t counts[DNP_TYPE_MAX])
{
        DNP_PTYPE_FOREACH(pt) {
                enum dnp_type t = pt->type;
                counts[t] = 0;
                for (size_t i = 0; i < cfg->points[t].n; i++) {
                        uint32_t end = cfg->points[t].v[i].index + cfg->points[t].v[i].count;
                        if (end > counts[t])
                                counts[t] = end;
                }
        }
}

uint64_t dwire_max_control_ms(const struct gw_config *cfg)
{
        uint64_t m = 0;
        for (size_t c = 0; c < cfg->nchannels; c++)
                for (size_t k = 0; k < cfg->channels[c].ndevices; k++)
                        if (cfg->channels[c].devices[k].control_timeout_ms > m)
                                m = cfg->channels[c].devices[k].control_timeout_ms;
        return m;
}

/* Event source tags: one per device slot (gw_event_source()). */
uint16_t dwire_event_sources(const struct gw_config *cfg)
{
        return cfg->ndevices < UINT16_MAX ? (uint16_t)cfg->ndevices : UINT16_MAX;
}

void dwire_outst_cfg(const struct gw_config *cfg, const struct gw_outstation *oc,
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
                .cmd_timeout_ms = dwire_max_control_ms(cfg) + D_CMD_MARGIN_MS,
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
        ret->event_sources = dwire_event_sources(cfg);
        dwire_db_counts(cfg, ret->points);
}

int dwire_db_configure(const struct gw_config *cfg, struct db *db)
{
        DNP_PTYPE_FOREACH(pt) {
                enum dnp_type t = pt->type;
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
        }
        return 0;
}

void dwire_chan_cfg(const struct gw_channel *cc, struct master_io_cfg *ret)
{
        *ret = (struct master_io_cfg){
                .pipe = { .transport = cc->transport, .serial = cc->serial },
                .chan = {
                        .master_address = cc->master_address,
                        .response_timeout_ms = cc->response_timeout_ms,
                        .retries = cc->retries,
                        .link_confirm = cc->link_confirm,
                        .max_devices = (unsigned)(cc->ndevices > 32 ? cc->ndevices : 0),
                },
        };
        if (ret->pipe.transport == IO_TRANSPORT_TCP)
                ret->pipe.tcp = (struct io_tcp_cfg){
                        .host = cc->tcp.host,
                        .port = cc->tcp.port,
                        .tls = cc->tcp.tls.enabled ? cc->tcp.tls.ctx : NULL,
                };
}

void dwire_dev_cfg(const struct gw_channel *cc, const struct gw_device *dc, void *user,
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
                                  cc->transport == IO_TRANSPORT_SERIAL),
                /* the OPERATE is awaited as long as an answer from the device */
                .select_hold_ms = cc->response_timeout_ms,
                .comm_fail_after = dc->comm_fail_after,
                .control_timeout_ms = dc->control_timeout_ms,
                .offline_retry_ms = dc->offline_retry_ms,
                .user = user,
        };
}

static bool dwire_str_eq(const char *a, const char *b)
{
        return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}




bool dwire_map_same(const struct gw_config *a, const struct gw_config *b)
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
        DNP_PTYPE_FOREACH(pt) {
                enum dnp_type t = pt->type;
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

int dwire_gw_map(const struct gw_config *cfg, struct gw_map_entry **ret, size_t *ret_n)
{
        size_t n = 0;
        DNP_PTYPE_FOREACH(pt) {
                enum dnp_type t = pt->type;
                n += cfg->points[t].n;
        }
        struct gw_map_entry *map = calloc(n ? n : 1, sizeof(*map));
        size_t *first = calloc(cfg->nchannels ? cfg->nchannels : 1, sizeof(*first));
        if (!map || !first) {
                free(map);
                free(first);
                return -ENOMEM;
        }
        for (size_t c = 0, s = 0; c < cfg->nchannels; c++) {
                first[c] = s;
                s += cfg->channels[c].ndevices;
        }
        size_t k = 0;
        DNP_PTYPE_FOREACH(pt) {
                enum dnp_type t = pt->type;
                for (size_t i = 0; i < cfg->points[t].n; i++) {
                        const struct gw_point_range *p = &cfg->points[t].v[i];
                        map[k++] = (struct gw_map_entry){
                                .type = t,
                                .index = p->index,
                                .count = p->count,
                                .dev = (uint32_t)(first[p->channel] + p->device),
                                .source_index = p->source_index,
                        };
                }
        }
        free(first);
        *ret = map;
        *ret_n = n;
        return 0;
}

/* ---- what a reload changes: the derived session configs compared ---------- */

/* Every setting of the session but cmd_timeout_ms, which can change in place. */
static bool dwire_outst_cfg_same(const struct outst_cfg *a, const struct outst_cfg *b)
{
        if (a->address != b->address || a->master_address != b->master_address ||
            a->max_fragment != b->max_fragment || a->max_rx_fragment != b->max_rx_fragment ||
            a->keepalive_ms != b->keepalive_ms || a->link_confirmed != b->link_confirmed ||
            a->link_timeout_ms != b->link_timeout_ms || a->link_retries != b->link_retries ||
            a->confirm_timeout_ms != b->confirm_timeout_ms ||
            a->select_timeout_ms != b->select_timeout_ms || a->need_time_ms != b->need_time_ms ||
            a->unsol.enabled != b->unsol.enabled || a->unsol.classes != b->unsol.classes ||
            a->unsol.retries != b->unsol.retries ||
            a->unsol.hold_time_ms != b->unsol.hold_time_ms ||
            a->unsol.hold_count != b->unsol.hold_count ||
            a->unsol.max_events != b->unsol.max_events || a->event_sources != b->event_sources)
                return false;
        for (unsigned c = 0; c < 4; c++)
                if (a->event_depth[c] != b->event_depth[c])
                        return false;
        DNP_PTYPE_FOREACH(pt) {
                enum dnp_type t = pt->type;
                if (a->points[t] != b->points[t])
                        return false;
        }
        return true;
}

/*
 * What the outstation's adapter is built from: its name, listen address and
 * allow list.  Not its tls group: TLS belongs to the endpoint, which a
 * reload gives the new files in place (dtls_reload()).
 */
static bool dwire_out_io_same(const struct gw_outstation *a, const struct gw_outstation *b)
{
        if (strcmp(a->name, b->name) != 0 || !dwire_str_eq(a->listen, b->listen) ||
            a->nallow != b->nallow)
                return false;
        for (size_t i = 0; i < a->nallow; i++)
                if (a->allow[i].family != b->allow[i].family ||
                    a->allow[i].prefix != b->allow[i].prefix ||
                    memcmp(a->allow[i].addr, b->allow[i].addr, sizeof(a->allow[i].addr)) != 0)
                        return false;
        return true;
}

enum dwire_change dwire_out_change(const struct gw_config *a, const struct gw_outstation *oa,
                                   const struct gw_config *b, const struct gw_outstation *ob)
{
        struct outst_cfg sa, sb;
        if (!dwire_out_io_same(oa, ob))
                return DWIRE_REBUILD;
        dwire_outst_cfg(a, oa, &sa);
        dwire_outst_cfg(b, ob, &sb);
        if (!dwire_outst_cfg_same(&sa, &sb))
                return DWIRE_REBUILD;
        /* the control wait derives from every device's control_timeout */
        return sa.cmd_timeout_ms == sb.cmd_timeout_ms ? DWIRE_SAME : DWIRE_UPDATE;
}

/*
 * The byte pipe: dwire_chan_cfg() maps these keys one to one.  TLS on or
 * off is the pipe's kind; the TLS files and settings are not: a reload
 * gives a kept TLS channel the new ones (dtls_reload()).
 */
static bool dwire_transport_same(const struct gw_channel *a, const struct gw_channel *b)
{
        if (a->transport != b->transport)
                return false;
        if (a->transport == IO_TRANSPORT_TCP)
                return dwire_str_eq(a->tcp.host, b->tcp.host) && a->tcp.port == b->tcp.port &&
                       a->tcp.tls.enabled == b->tcp.tls.enabled;
        return dwire_str_eq(a->serial.device, b->serial.device) &&
               a->serial.baud == b->serial.baud && a->serial.data_bits == b->serial.data_bits &&
               a->serial.parity == b->serial.parity && a->serial.stop_bits == b->serial.stop_bits &&
               a->serial.flow == b->serial.flow;
}

static bool dwire_mchan_same(const struct master_chan_cfg *a, const struct master_chan_cfg *b)
{
        return a->master_address == b->master_address &&
               a->response_timeout_ms == b->response_timeout_ms &&
               a->byte_time_us == b->byte_time_us && a->retries == b->retries &&
               a->link_confirm == b->link_confirm && a->max_fragment == b->max_fragment &&
               a->out_cap == b->out_cap && a->max_devices == b->max_devices;
}

static bool dwire_mdev_same(const struct master_dev_cfg *a, const struct master_dev_cfg *b)
{
        if (!dwire_str_eq(a->name, b->name) || a->address != b->address ||
            a->integrity_ms != b->integrity_ms || a->unsolicited != b->unsolicited ||
            a->unsol_classes != b->unsol_classes || a->time_sync != b->time_sync ||
            a->time_sync_ms != b->time_sync_ms || a->measure_delay != b->measure_delay ||
            a->comm_fail_after != b->comm_fail_after ||
            a->control_timeout_ms != b->control_timeout_ms ||
            a->offline_retry_ms != b->offline_retry_ms || a->max_controls != b->max_controls ||
            a->select_hold_ms != b->select_hold_ms)
                return false;
        for (int i = 0; i < 3; i++)
                if (a->class_ms[i] != b->class_ms[i])
                        return false;
        return true;
}

enum dwire_change dwire_chan_change(const struct gw_channel *ca, const struct gw_channel *cb)
{
        struct master_io_cfg ma, mb;
        if (strcmp(ca->name, cb->name) != 0 || ca->ndevices != cb->ndevices ||
            !dwire_transport_same(ca, cb))
                return DWIRE_REBUILD;
        dwire_chan_cfg(ca, &ma);
        dwire_chan_cfg(cb, &mb);
        if (!dwire_mchan_same(&ma.chan, &mb.chan))
                return DWIRE_REBUILD;
        for (size_t i = 0; i < ca->ndevices; i++) {
                struct master_dev_cfg da, db;
                dwire_dev_cfg(ca, &ca->devices[i], NULL, &da);
                dwire_dev_cfg(cb, &cb->devices[i], NULL, &db);
                if (!dwire_mdev_same(&da, &db))
                        return DWIRE_REBUILD;
        }
        return DWIRE_SAME;
}
