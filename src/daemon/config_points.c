/* SPDX-License-Identifier: MIT */
/*
 * The configuration's point map: one list of index ranges per point type
 * (keys, groups, variations and default classes from the point-type table,
 * dnp3/ptype.h), each mapped from a channel/device, and the overlap (error)
 * and fan-out (notice) checks across a type's ranges.
 */
#include "daemon/config_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* points                                                                   */

static const char *const point_keys[] = {
        "index", "count", "device", "source_index", "class", "static_variation",
        "event_variation", "deadband", "names",
};

/* "gGvV" or V; the group must be pt's static (event) group and V one of its variations. */
static int get_variation(struct ld *ld, const config_setting_t *g, const char *key,
                         const struct dnp_ptype *pt, bool event, uint8_t *ret)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        if (!s)
                return 0;
        uint8_t group = event ? pt->egroup : pt->sgroup;
        long long var = -1;
        unsigned gr = group;

        if (config_setting_type(s) == CONFIG_TYPE_STRING) {
                const char *v = config_setting_get_string(s);
                unsigned a, b;
                int used = 0;
                if (sscanf(v, "g%3uv%3u%n", &a, &b, &used) == 2 && v[used] == 0) {
                        gr = a;
                        var = b;
                }
        } else if (config_setting_type(s) == CONFIG_TYPE_INT ||
                   config_setting_type(s) == CONFIG_TYPE_INT64) {
                var = config_setting_get_int64(s);
        } else {
                cfg_err(ld, s, "expected a variation like \"g%uv%u\", found %s", group,
                        event ? pt->evar : pt->svar, cfg_type_name(s));
                return -1;
        }
        if (gr == group && var >= 1 && var <= UINT8_MAX && dnp_ptype_var_ok(pt, event, (uint8_t)var)) {
                *ret = (uint8_t)var;
                return 1;
        }
        char list[128];
        size_t len = 0;
        list[0] = 0;
        for (unsigned v = 1; v <= UINT8_MAX && len < sizeof(list); v++) {
                if (!dnp_ptype_var_ok(pt, event, (uint8_t)v))
                        continue;
                int w = snprintf(list + len, sizeof(list) - len, "%sg%uv%u", len ? ", " : "", group, v);
                if (w < 0)
                        break;
                len += (size_t)w;
        }
        if (config_setting_type(s) == CONFIG_TYPE_STRING)
                cfg_err(ld, s, "\"%s\" is not %s %s variation of %s (%s)",
                        config_setting_get_string(s), event ? "an" : "a",
                        event ? "event" : "static", pt->key, list);
        else
                cfg_err(ld, s, "%lld is not %s %s variation of %s (%s)", var, event ? "an" : "a",
                        event ? "event" : "static", pt->key, list);
        return -1;
}

/* The keys of the types with a deadband: "counters, frozen_counters, ... and analog_outputs". */
static const char *deadband_keys(char *buf, size_t n)
{
        size_t total = 0, k = 0, len = 0;
        DNP_PTYPE_FOREACH(p)
                total += p->deadband;
        buf[0] = 0;
        DNP_PTYPE_FOREACH(p) {
                if (!p->deadband)
                        continue;
                k++;
                int w = snprintf(buf + len, n - len, "%s%s",
                                 k == 1 ? "" : k == total ? " and " : ", ", p->key);
                if (w < 0 || (size_t)w >= n - len)
                        break;
                len += (size_t)w;
        }
        return buf;
}

/*
 * `names = [ "52A", "CB1 trip", ... ]`: at most count strings of 1 to
 * GW_POINT_NAME_MAX - 1 bytes without control characters, for the first
 * points of the entry (count_ok: count is valid).
 */
static void parse_names(struct ld *ld, const config_setting_t *ns, struct gw_point_range *p,
                        bool count_ok)
{
        if (!config_setting_is_array(ns) && !config_setting_is_list(ns)) {
                cfg_err(ld, ns, "expected an array of names like [ \"52A\", \"CB1 trip\" ], "
                        "found %s", cfg_type_name(ns));
                return;
        }
        unsigned n = (unsigned)config_setting_length(ns);
        if (count_ok && n > p->count) {
                cfg_err(ld, ns, "%u names for count = %u points (at most one name per point)",
                        n, p->count);
                return;
        }
        if (n == 0)
                return;
        p->names = cfg_calloc(ld, n, sizeof(*p->names));
        if (!p->names)
                return;
        for (unsigned k = 0; k < n; k++) {
                const config_setting_t *e = config_setting_get_elem(ns, k);
                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                        cfg_err(ld, ns, "name %u: expected a string, found %s", k + 1,
                                cfg_type_name(e));
                        continue;
                }
                const char *v = config_setting_get_string(e);
                size_t len = strlen(v);
                bool ctl = false;
                for (size_t j = 0; j < len; j++)
                        ctl |= (unsigned char)v[j] < 0x20 || v[j] == 0x7f;
                if (len == 0 || len >= GW_POINT_NAME_MAX || ctl) {
                        cfg_err(ld, ns, "name %u \"%s\": a point name is 1 to %d bytes without "
                                "control characters", k + 1, ctl ? "..." : v,
                                GW_POINT_NAME_MAX - 1);
                        continue;
                }
                p->names[k] = cfg_strdup(ld, v);
        }
        p->nnames = n;
}

/* "channel/device" -> indexes; suggestion into hint[] on failure. */
static bool find_device(const struct gw_config *cfg, const char *ref, size_t *ret_ch,
                        size_t *ret_dev, char *hint, size_t nhint)
{
        size_t best = SIZE_MAX;
        hint[0] = 0;
        for (size_t c = 0; c < cfg->nchannels; c++) {
                const struct gw_channel *ch = &cfg->channels[c];
                for (size_t d = 0; d < ch->ndevices; d++) {
                        char full[2 * GW_NAME_MAX + 2];
                        if (!ch->name[0] || !ch->devices[d].name[0])
                                continue;
                        snprintf(full, sizeof(full), "%s/%s", ch->name, ch->devices[d].name);
                        if (strcmp(full, ref) == 0) {
                                *ret_ch = c;
                                *ret_dev = d;
                                return true;
                        }
                        size_t sc = strcmp(ch->devices[d].name, ref) == 0 ? 0 : cfg_suggest_score(ref, full);
                        if (sc < best) {
                                best = sc;
                                snprintf(hint, nhint, "%s", full);
                        }
                }
        }
        return false;
}

static void parse_point(struct ld *ld, const config_setting_t *s, const struct dnp_ptype *pt,
                        struct gw_point_range *p, struct pt_src *src)
{
        struct gw_config *cfg = ld->cfg;
        *p = (struct gw_point_range){
                .count = 1,
                .event_class = pt->cls,
                .static_group = pt->sgroup, .static_var = pt->svar,
                .event_group = pt->egroup, .event_var = pt->evar,
                .line = cfg_line(s),
        };
        *src = (struct pt_src){ .s = s };
        if (!cfg_want_group(ld, s))
                return;
        cfg_check_keys(ld, s, point_keys, ARRAY_SIZE(point_keys));
        const config_setting_t *dbs = config_setting_get_member(s, "deadband");
        if (dbs && !pt->deadband)
        {
                char list[128];
                cfg_err(ld, dbs, "only %s have a deadband", deadband_keys(list, sizeof(list)));
        }

        long long v;
        int ri = cfg_get_int(ld, s, "index", 0, GW_INDEX_MAX, &v);
        if (ri == 0)
                cfg_missing(ld, s, "index");
        if (ri > 0)
                p->index = (uint32_t)v;
        int rc = cfg_get_u32(ld, s, "count", 1, GW_INDEX_MAX + 1, &p->count);
        bool range_ok = ri > 0 && rc >= 0;
        if (range_ok && (uint64_t)p->index + p->count - 1 > GW_INDEX_MAX) {
                cfg_err(ld, s, "index %u + count %u goes beyond the last index %d", p->index,
                        p->count, GW_INDEX_MAX);
                range_ok = false;
        }
        src->range_ok = range_ok;

        int rs = cfg_get_int(ld, s, "source_index", 0, GW_INDEX_MAX, &v);
        p->source_index = rs > 0 ? (uint32_t)v : p->index;
        bool src_ok = rs == 0 && range_ok;      /* default: source_index = index */
        if (rs > 0) {
                src_ok = rc >= 0;
                if (src_ok && (uint64_t)p->source_index + p->count - 1 > GW_INDEX_MAX) {
                        cfg_err(ld, s, "source_index %u + count %u goes beyond the last index %d",
                                p->source_index, p->count, GW_INDEX_MAX);
                        src_ok = false;
                }
        }

        const char *ref;
        const config_setting_t *ds;
        int rd = cfg_need_string(ld, s, "device", &ds, &ref);
        bool dev_ok = false;
        if (rd > 0) {
                char hint[2 * GW_NAME_MAX + 2];
                if (find_device(cfg, ref, &p->channel, &p->device, hint, sizeof(hint)))
                        dev_ok = true;
                else if (!ld->devs_incomplete && hint[0])
                        cfg_err(ld, ds, "\"%s\" names no channel/device (did you mean \"%s\"?)",
                                ref, hint);
                else if (!ld->devs_incomplete)
                        cfg_err(ld, ds, "\"%s\" names no channel/device", ref);
                /* else: a channel/device without a valid name is reported already */
        }
        src->dev_ok = dev_ok && src_ok;
        if (src->dev_ok)
                cfg->channels[p->channel].devices[p->device].npoints += p->count;

        if (cfg_get_int(ld, s, "class", 0, 3, &v) > 0)
                p->event_class = (uint8_t)v;
        double d;
        if (dbs && pt->deadband && !cfg_number(dbs, &d))
                cfg_err(ld, dbs, "expected a number, found %s", cfg_type_name(dbs));
        else if (dbs && pt->deadband && !(d >= 0 && d <= 1e300))
                cfg_err(ld, dbs, "%g is out of range (0 or more)", d);
        else if (dbs && pt->deadband)
                p->deadband = d;
        get_variation(ld, s, "static_variation", pt, false, &p->static_var);
        get_variation(ld, s, "event_variation", pt, true, &p->event_var);
        const config_setting_t *ns = config_setting_get_member(s, "names");
        if (ns)
                parse_names(ld, ns, p, rc >= 0);
}

/* A point name of a type's list: entry pos, its point k. */
struct pname {
        const char *name;
        size_t pos;
        uint32_t k;
};

static int pname_cmp(const void *a, const void *b)
{
        const struct pname *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        if (c)
                return c;
        return x->pos != y->pos ? (x->pos < y->pos ? -1 : 1) : (x->k > y->k) - (x->k < y->k);
}

/* A name given to two points of one type is an error, reported on the later one. */
static void check_names(struct ld *ld, const struct dnp_ptype *pt)
{
        const struct gw_point_list *l = &ld->cfg->points[pt->type];
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++)
                n += l->v[i].nnames;
        if (n < 2)
                return;
        struct pname *v = cfg_calloc(ld, n, sizeof(*v));
        if (!v)
                return;
        n = 0;
        for (size_t i = 0; i < l->n; i++)
                for (uint32_t k = 0; k < l->v[i].nnames; k++)
                        if (l->v[i].names[k])
                                v[n++] = (struct pname){ .name = l->v[i].names[k], .pos = i,
                                                         .k = k };
        qsort(v, n, sizeof(*v), pname_cmp);
        for (size_t j = 1; j < n; j++) {
                if (strcmp(v[j].name, v[j - 1].name) != 0)
                        continue;
                const struct gw_point_range *a = &l->v[v[j - 1].pos], *b = &l->v[v[j].pos];
                const config_setting_t *s = config_setting_get_member(ld->pt[pt->type][v[j].pos].s,
                                                                      "names");
                cfg_err(ld, s, "duplicate point name \"%s\" of %s %u (also %s %u at line %d)",
                        v[j].name, pt->key, b->index + v[j].k, pt->key, a->index + v[j - 1].k,
                        a->line);
        }
        free(v);
}

struct span {
        uint64_t key;                   /* sort key: owner << 32 | first index */
        uint32_t first, last;
        size_t pos;                     /* position in the file's list */
};

static int span_cmp(const void *a, const void *b)
{
        const struct span *x = a, *y = b;
        if (x->key != y->key)
                return x->key < y->key ? -1 : 1;
        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * Sweep spans sorted by (owner, first): each span that starts before the
 * furthest end seen so far for its owner overlaps that span; reported on
 * the one later in the file.
 */
static void overlaps(struct ld *ld, const struct dnp_ptype *pt, struct span *sp, size_t n, bool upstream)
{
        const struct gw_point_list *l = &ld->cfg->points[pt->type];
        if (n > 1)
                qsort(sp, n, sizeof(*sp), span_cmp);
        size_t open = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
                if (open != SIZE_MAX && sp[open].key >> 32 == sp[i].key >> 32 &&
                    sp[i].first <= sp[open].last) {
                        const struct span *a = &sp[open], *b = &sp[i];
                        if (a->pos > b->pos) {
                                const struct span *t = a;
                                a = b;
                                b = t;
                        }
                        const struct gw_point_range *pa = &l->v[a->pos], *pb = &l->v[b->pos];
                        const config_setting_t *s = ld->pt[pt->type][b->pos].s;
                        if (upstream) {
                                cfg_err(ld, s, "%s %u-%u overlap %u-%u of the entry at line %d",
                                        pt->key, b->first, b->last, a->first, a->last, pa->line);
                        } else {
                                const struct gw_channel *ch = &ld->cfg->channels[pb->channel];
                                uint32_t lo = b->first > a->first ? b->first : a->first;
                                uint32_t hi = b->last < a->last ? b->last : a->last;
                                cfg_notice(ld, s, "fan-out: %s/%s %s %u-%u are also mapped by the "
                                           "entry at line %d", ch->name, ch->devices[pb->device].name,
                                           pt->key, lo, hi, pa->line);
                        }
                }
                if (open == SIZE_MAX || sp[open].key >> 32 != sp[i].key >> 32 ||
                    sp[i].last > sp[open].last)
                        open = i;
        }
}

static void check_point_list(struct ld *ld, const struct dnp_ptype *pt)
{
        const struct gw_point_list *l = &ld->cfg->points[pt->type];
        const struct pt_src *src = ld->pt[pt->type];
        if (l->n == 0)
                return;
        struct span *sp = cfg_calloc(ld, l->n, sizeof(*sp));
        if (!sp)
                return;
        size_t n = 0;
        for (size_t i = 0; i < l->n; i++) {
                if (!src[i].range_ok)
                        continue;
                sp[n++] = (struct span){ .key = l->v[i].index, .first = l->v[i].index,
                                         .last = l->v[i].index + l->v[i].count - 1, .pos = i };
        }
        overlaps(ld, pt, sp, n, true);
        n = 0;
        for (size_t i = 0; i < l->n; i++) {
                if (!src[i].dev_ok)
                        continue;
                /* owner = (channel, device), both < 2^16 in any sane file */
                uint64_t owner = ((uint64_t)l->v[i].channel << 16 | l->v[i].device) & 0xffffffffu;
                sp[n++] = (struct span){ .key = owner << 32 | l->v[i].source_index,
                                         .first = l->v[i].source_index,
                                         .last = l->v[i].source_index + l->v[i].count - 1,
                                         .pos = i };
        }
        overlaps(ld, pt, sp, n, false);
        free(sp);
        check_names(ld, pt);
}

void cfg_parse_points(struct ld *ld, const config_setting_t *root)
{
        struct gw_config *cfg = ld->cfg;
        const config_setting_t *g = config_setting_get_member(root, "points");
        if (!g || !cfg_want_group(ld, g))
                return;
        const char *keys[DNP_PTYPE_COUNT];
        DNP_PTYPE_FOREACH(p)
                keys[p - dnp_ptypes] = p->key;
        cfg_check_keys(ld, g, keys, ARRAY_SIZE(keys));
        /* table order (ptype.h); messages come out in file and line order */
        DNP_PTYPE_FOREACH(pt) {
                const config_setting_t *ls = config_setting_get_member(g, pt->key);
                if (!ls || !cfg_want_list(ld, ls))
                        continue;
                size_t n = (size_t)config_setting_length(ls);
                struct gw_point_list *l = &cfg->points[pt->type];
                l->v = cfg_calloc(ld, n, sizeof(*l->v));
                ld->pt[pt->type] = cfg_calloc(ld, n, sizeof(*ld->pt[pt->type]));
                if (!l->v || !ld->pt[pt->type])
                        continue;
                l->n = n;
                for (size_t i = 0; i < n; i++) {
                        parse_point(ld, config_setting_get_elem(ls, (unsigned)i), pt, &l->v[i],
                                    &ld->pt[pt->type][i]);
                        if (ld->pt[pt->type][i].range_ok)
                                cfg->npoints += l->v[i].count;
                }
                check_point_list(ld, pt);
        }
}
