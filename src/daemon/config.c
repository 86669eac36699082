/* SPDX-License-Identifier: MIT */
#include "daemon/config.h"

#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Name tables                                                              */

static const char *const log_level_names[] = {
#define X(name, str) [GW_LOG_##name] = str,
        GW_LOG_LEVEL_LIST(X)
#undef X
};

static const char *const tsync_names[] = {
#define X(name, str) [GW_TSYNC_##name] = str,
        GW_TSYNC_LIST(X)
#undef X
};

static const char *const parity_names[] = {
#define X(name, str) [GW_PARITY_##name] = str,
        GW_PARITY_LIST(X)
#undef X
};

static const char *const flow_names[] = {
#define X(name, str) [GW_FLOW_##name] = str,
        GW_FLOW_LIST(X)
#undef X
};

const char *gw_log_level_name(enum gw_log_level l)
{
        return (unsigned)l < ARRAY_SIZE(log_level_names) ? log_level_names[l] : "?";
}

const char *gw_tsync_name(enum gw_tsync t)
{
        return (unsigned)t < ARRAY_SIZE(tsync_names) ? tsync_names[t] : "?";
}

const char *gw_parity_name(enum gw_parity p)
{
        return (unsigned)p < ARRAY_SIZE(parity_names) ? parity_names[p] : "?";
}

const char *gw_flow_name(enum gw_flow f)
{
        return (unsigned)f < ARRAY_SIZE(flow_names) ? flow_names[f] : "?";
}

/*
 * The seven point types: their key under `points`, the upstream static and
 * event groups, the variations the outstation can serve (bit v for
 * variation v), the defaults of spec/config.md, and the default class.
 */
struct ptype {
        const char *key;
        enum dnp_type type;
        uint8_t sgroup, egroup;
        uint16_t svars, evars;
        uint8_t sdef, edef;
        uint8_t cls;
        bool deadband;
};

#define V(n) (1u << (n))
static const struct ptype ptypes[] = {
        { .key = "binary_inputs", .type = DNP_TYPE_BI, .sgroup = 1, .egroup = 2,
          .svars = V(1) | V(2), .evars = V(1) | V(2) | V(3), .sdef = 2, .edef = 2, .cls = 1 },
        { .key = "double_bit_inputs", .type = DNP_TYPE_DBI, .sgroup = 3, .egroup = 4,
          .svars = V(1) | V(2), .evars = V(1) | V(2) | V(3), .sdef = 2, .edef = 2, .cls = 1 },
        { .key = "analog_inputs", .type = DNP_TYPE_AI, .sgroup = 30, .egroup = 32,
          .svars = 0x7e, .evars = 0x1fe, .sdef = 5, .edef = 7, .cls = 3, .deadband = true },
        { .key = "counters", .type = DNP_TYPE_CNT, .sgroup = 20, .egroup = 22,
          .svars = V(1) | V(2) | V(5) | V(6), .evars = V(1) | V(2) | V(5) | V(6),
          .sdef = 1, .edef = 5, .cls = 3, .deadband = true },
        { .key = "frozen_counters", .type = DNP_TYPE_FCNT, .sgroup = 21, .egroup = 23,
          .svars = V(1) | V(2) | V(5) | V(6) | V(9) | V(10),
          .evars = V(1) | V(2) | V(5) | V(6), .sdef = 1, .edef = 5, .cls = 3, .deadband = true },
        { .key = "binary_outputs", .type = DNP_TYPE_BO, .sgroup = 10, .egroup = 11,
          .svars = V(1) | V(2), .evars = V(1) | V(2), .sdef = 2, .edef = 2, .cls = 2 },
        { .key = "analog_outputs", .type = DNP_TYPE_AO, .sgroup = 40, .egroup = 42,
          .svars = 0x1e, .evars = 0x1fe, .sdef = 3, .edef = 7, .cls = 2, .deadband = true },
};
#undef V

static const struct ptype *ptype_of(enum dnp_type t)
{
        for (size_t i = 0; i < ARRAY_SIZE(ptypes); i++)
                if (ptypes[i].type == t)
                        return &ptypes[i];
        return NULL;
}

const char *gw_point_key(enum dnp_type t)
{
        const struct ptype *p = ptype_of(t);
        return p ? p->key : NULL;
}

static const uint32_t bauds[] = {
        300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400,
        460800, 921600,
};

/* ------------------------------------------------------------------------ */
/* Diagnostics                                                              */

#define DIAG_MAX 1000

struct diag {
        enum gw_diag_level level;
        const char *file;
        size_t fileno;
        int line;
        size_t seq;
        char *msg;
};

/* Per point list: the libconfig entry and whether its fields are usable. */
struct pt_src {
        const config_setting_t *s;
        bool range_ok;                  /* index and count valid */
        bool dev_ok;                    /* device resolved, source_index valid */
};

struct ld {
        const char *path;
        struct gw_config *cfg;
        struct diag *d;
        size_t n, cap;
        size_t dropped;
        size_t nerr;
        const char *files[16];
        size_t nfiles;
        bool oom;
        bool devs_incomplete;           /* some channel/device has no valid name */
        struct pt_src *pt[DNP_TYPE_MAX];
        const config_setting_t *channels;       /* the channels list, if valid */
        char *inc_files[16];            /* @include'd paths named by err_at() */
        size_t ninc_files;
};

static int sline(const config_setting_t *s)
{
        return (int)config_setting_source_line(s);
}

static size_t file_no(struct ld *ld, const char *file)
{
        for (size_t i = 0; i < ld->nfiles; i++)
                if (ld->files[i] == file || strcmp(ld->files[i], file) == 0)
                        return i;
        if (ld->nfiles == ARRAY_SIZE(ld->files))
                return ld->nfiles;
        ld->files[ld->nfiles] = file;
        return ld->nfiles++;
}

/* "outstations[0].unsolicited.retries" */
static void spath(const config_setting_t *s, char *buf, size_t n)
{
        const config_setting_t *chain[32];
        size_t k = 0, len = 0;

        for (const config_setting_t *p = s; p && config_setting_parent(p) && k < ARRAY_SIZE(chain);
             p = config_setting_parent(p))
                chain[k++] = p;
        buf[0] = 0;
        while (k-- > 0 && len < n) {
                const char *name = config_setting_name(chain[k]);
                int w;
                if (name)
                        w = snprintf(buf + len, n - len, "%s%s", len ? "." : "", name);
                else
                        w = snprintf(buf + len, n - len, "[%d]", config_setting_index(chain[k]));
                if (w < 0)
                        break;
                len += (size_t)w;
        }
}

/*
 * One problem at file:line (file NULL: the loaded file; line 0: none),
 * its message prefixed with the path of setting `pathof` when given.
 */
__attribute__((format(printf, 6, 0)))
static void vdiag_at(struct ld *ld, enum gw_diag_level level, const char *file, int line,
                     const config_setting_t *pathof, const char *fmt, va_list ap)
{
        char buf[1024];
        size_t len = 0;

        if (level == GW_DIAG_ERROR)
                ld->nerr++;
        if (ld->n >= DIAG_MAX) {
                ld->dropped++;
                return;
        }
        if (ld->n == ld->cap) {
                size_t cap = ld->cap ? 2 * ld->cap : 32;
                struct diag *d = realloc(ld->d, cap * sizeof(*d));
                if (!d) {
                        ld->oom = true;
                        return;
                }
                ld->d = d;
                ld->cap = cap;
        }
        if (pathof) {
                spath(pathof, buf, sizeof(buf) - 2);
                len = strlen(buf);
                if (len) {
                        buf[len++] = ':';
                        buf[len++] = ' ';
                }
        }
        vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
        char *msg = strdup(buf);
        if (!msg) {
                ld->oom = true;
                return;
        }
        if (!file)
                file = ld->path;
        ld->d[ld->n] = (struct diag){
                .level = level,
                .file = file,
                .fileno = file_no(ld, file),
                .line = line,
                .seq = ld->n,
                .msg = msg,
        };
        ld->n++;
}

/* A problem about setting s (or none), prefixed with its path when `path`. */
__attribute__((format(printf, 5, 0)))
static void vdiag(struct ld *ld, enum gw_diag_level level, const config_setting_t *s, bool path,
                  const char *fmt, va_list ap)
{
        vdiag_at(ld, level, s ? config_setting_source_file(s) : NULL, s ? sline(s) : 0,
                 path ? s : NULL, fmt, ap);
}

/* An error at file:line, for problems found before libconfig has a setting. */
__attribute__((format(printf, 4, 5)))
static void err_at(struct ld *ld, const char *file, int line, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag_at(ld, GW_DIAG_ERROR, file, line, NULL, fmt, ap);
        va_end(ap);
}

/* An error about setting s, prefixed with its path. */
__attribute__((format(printf, 3, 4)))
static void err(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag(ld, GW_DIAG_ERROR, s, true, fmt, ap);
        va_end(ap);
}

/* An error at setting s's line without the path prefix. */
__attribute__((format(printf, 3, 4)))
static void err_plain(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag(ld, GW_DIAG_ERROR, s, false, fmt, ap);
        va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void notice(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag(ld, GW_DIAG_NOTICE, s, true, fmt, ap);
        va_end(ap);
}

static int diag_cmp(const void *a, const void *b)
{
        const struct diag *x = a, *y = b;
        if (x->fileno != y->fileno)
                return x->fileno < y->fileno ? -1 : 1;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void diag_flush(struct ld *ld, const struct gw_diag_sink *sink)
{
        if (ld->n > 1)
                qsort(ld->d, ld->n, sizeof(*ld->d), diag_cmp);
        for (size_t i = 0; i < ld->n; i++) {
                /* notices only for a file without errors: errors first */
                if (sink && sink->fn && (ld->d[i].level == GW_DIAG_ERROR || ld->nerr == 0))
                        sink->fn(sink->ctx, ld->d[i].level, ld->d[i].file, ld->d[i].line,
                                 ld->d[i].msg);
                free(ld->d[i].msg);
        }
        if (ld->dropped && sink && sink->fn) {
                char buf[96];
                snprintf(buf, sizeof(buf), "%zu more problems not shown", ld->dropped);
                sink->fn(sink->ctx, GW_DIAG_ERROR, ld->path, 0, buf);
        }
        free(ld->d);
        ld->d = NULL;
        ld->n = ld->cap = 0;
}

/* ------------------------------------------------------------------------ */
/* "Did you mean"                                                           */

static int lc(int c)
{
        return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Optimal string alignment distance (Levenshtein plus adjacent swaps), case-insensitive. */
static size_t edit_distance(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        size_t rows[3][65];

        if (la > 64 || lb > 64)
                return SIZE_MAX;
        size_t *pp = rows[0], *p = rows[1], *c = rows[2];
        for (size_t j = 0; j <= lb; j++)
                p[j] = j;
        for (size_t i = 1; i <= la; i++) {
                c[0] = i;
                for (size_t j = 1; j <= lb; j++) {
                        size_t cost = lc(a[i - 1]) != lc(b[j - 1]) ? 1 : 0;
                        size_t v = p[j] + 1;
                        if (c[j - 1] + 1 < v)
                                v = c[j - 1] + 1;
                        if (p[j - 1] + cost < v)
                                v = p[j - 1] + cost;
                        if (i > 1 && j > 1 && lc(a[i - 1]) == lc(b[j - 2]) &&
                            lc(a[i - 2]) == lc(b[j - 1]) && pp[j - 2] + 1 < v)
                                v = pp[j - 2] + 1;
                        c[j] = v;
                }
                size_t *t = pp;
                pp = p;
                p = c;
                c = t;
        }
        return p[lb];
}

/*
 * Whether `cand` is a plausible intended spelling of `word`: within 1 edit
 * (words up to 4 characters) or 2 edits, or one is a prefix of the other
 * and the shorter has at least 3 characters.  Returns a score, lower is
 * better, or SIZE_MAX.
 */
static size_t suggest_score(const char *word, const char *cand)
{
        size_t lw = strlen(word), lcand = strlen(cand);
        size_t d = edit_distance(word, cand);
        if (d <= (lw <= 4 ? 1u : 2u))
                return d;
        size_t m = lw < lcand ? lw : lcand;
        if (m >= 3 && strncasecmp(word, cand, m) == 0)
                return 10 + (lw > lcand ? lw - lcand : lcand - lw);
        return SIZE_MAX;
}

static const char *suggest(const char *word, const char *const *cands, size_t n)
{
        const char *best = NULL;
        size_t bs = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
                if (!cands[i])
                        continue;
                size_t s = suggest_score(word, cands[i]);
                if (s < bs) {
                        bs = s;
                        best = cands[i];
                }
        }
        return best;
}

/* ------------------------------------------------------------------------ */
/* Typed getters: 0 when absent, 1 when present and valid, -1 when invalid   */
/* (reported).  Outputs are written only when valid.                        */

static const char *type_name(const config_setting_t *s)
{
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_GROUP: return "a group";
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64: return "an integer";
        case CONFIG_TYPE_FLOAT: return "a float";
        case CONFIG_TYPE_STRING: return "a string";
        case CONFIG_TYPE_BOOL: return "a boolean";
        case CONFIG_TYPE_ARRAY: return "an array";
        case CONFIG_TYPE_LIST: return "a list";
        default: return "nothing";
        }
}

static int int_value(struct ld *ld, const config_setting_t *s, long long min, long long max,
                     long long *ret)
{
        int t = config_setting_type(s);
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
                err(ld, s, "expected an integer, found %s", type_name(s));
                return -1;
        }
        long long v = config_setting_get_int64(s);
        if (v < min || v > max) {
                err(ld, s, "%lld is out of range %lld..%lld", v, min, max);
                return -1;
        }
        *ret = v;
        return 1;
}

static int get_int(struct ld *ld, const config_setting_t *g, const char *key, long long min,
                   long long max, long long *ret)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        return s ? int_value(ld, s, min, max, ret) : 0;
}

static int get_u16(struct ld *ld, const config_setting_t *g, const char *key, long long min,
                   long long max, uint16_t *ret)
{
        long long v;
        int r = get_int(ld, g, key, min, max, &v);
        if (r > 0)
                *ret = (uint16_t)v;
        return r;
}

static int get_u32(struct ld *ld, const config_setting_t *g, const char *key, long long min,
                   long long max, uint32_t *ret)
{
        long long v;
        int r = get_int(ld, g, key, min, max, &v);
        if (r > 0)
                *ret = (uint32_t)v;
        return r;
}

static bool number(const config_setting_t *s, double *ret)
{
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                *ret = (double)config_setting_get_int64(s);
                return true;
        case CONFIG_TYPE_FLOAT:
                *ret = config_setting_get_float(s);
                return true;
        default:
                return false;
        }
}

/* Seconds (integer or float) -> milliseconds; positive: at least 0.001. */
static int time_value(struct ld *ld, const config_setting_t *s, bool positive, uint64_t *ret_ms)
{
        double v;
        if (!number(s, &v)) {
                err(ld, s, "expected a number of seconds, found %s", type_name(s));
                return -1;
        }
        double min = positive ? 0.001 : 0.0;
        if (!(v >= min && v <= GW_TIME_MAX_S)) {
                err(ld, s, "%g is out of range %g..%d seconds", v, min, GW_TIME_MAX_S);
                return -1;
        }
        *ret_ms = (uint64_t)llround(v * 1000.0);
        return 1;
}

static int get_time(struct ld *ld, const config_setting_t *g, const char *key, bool positive,
                    uint64_t *ret_ms)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        return s ? time_value(ld, s, positive, ret_ms) : 0;
}

static int get_bool(struct ld *ld, const config_setting_t *g, const char *key, bool *ret)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        if (!s)
                return 0;
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                err(ld, s, "expected true or false, found %s", type_name(s));
                return -1;
        }
        *ret = config_setting_get_bool(s) != 0;
        return 1;
}

static int get_string(struct ld *ld, const config_setting_t *g, const char *key,
                      const config_setting_t **ret_s, const char **ret)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        if (!s)
                return 0;
        if (config_setting_type(s) != CONFIG_TYPE_STRING) {
                err(ld, s, "expected a string, found %s", type_name(s));
                return -1;
        }
        *ret = config_setting_get_string(s);
        if (ret_s)
                *ret_s = s;
        return 1;
}

/* A string that must be one of names[0..n-1]. */
static int get_enum(struct ld *ld, const config_setting_t *g, const char *key,
                    const char *const *names, size_t n, int *ret)
{
        const config_setting_t *s;
        const char *v;
        int r = get_string(ld, g, key, &s, &v);
        if (r <= 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (strcmp(v, names[i]) == 0) {
                        *ret = (int)i;
                        return 1;
                }
        }
        char list[256];
        size_t len = 0;
        list[0] = 0;
        for (size_t i = 0; i < n && len < sizeof(list); i++) {
                int w = snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", names[i]);
                if (w < 0)
                        break;
                len += (size_t)w;
        }
        const char *hint = suggest(v, names, n);
        if (hint)
                err(ld, s, "\"%s\" is not one of %s (did you mean \"%s\"?)", v, list, hint);
        else
                err(ld, s, "\"%s\" is not one of %s", v, list);
        return -1;
}

static bool name_ok(const char *v)
{
        size_t n = strlen(v);
        if (n == 0 || n >= GW_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = v[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '.'))
                        return false;
        }
        return true;
}

/* Required `name`; out[] keeps "" when missing or invalid. */
static int get_name(struct ld *ld, const config_setting_t *g, char out[GW_NAME_MAX], bool required)
{
        const config_setting_t *s;
        const char *v;
        int r = get_string(ld, g, "name", &s, &v);
        if (r == 0 && required)
                err(ld, g, "missing required key 'name'");
        if (r <= 0)
                return r;
        if (!name_ok(v)) {
                err(ld, s, "\"%s\" is not a valid name (1-%d of A-Z a-z 0-9 _ - .)", v,
                    GW_NAME_MAX - 1);
                return -1;
        }
        memcpy(out, v, strlen(v) + 1);
        return 1;
}

static void missing(struct ld *ld, const config_setting_t *g, const char *key)
{
        err(ld, g, "missing required key '%s'", key);
}

/* Reports every member of g whose name is not in keys[]. */
static void check_keys(struct ld *ld, const config_setting_t *g, const char *const *keys, size_t n)
{
        int len = config_setting_length(g);
        for (int i = 0; i < len; i++) {
                const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
                const char *name = config_setting_name(s);
                bool found = false;
                for (size_t k = 0; k < n && !found; k++)
                        found = strcmp(name, keys[k]) == 0;
                if (found)
                        continue;
                const char *hint = suggest(name, keys, n);
                if (hint)
                        err(ld, s, "unknown key (did you mean '%s'?)", hint);
                else
                        err(ld, s, "unknown key");
        }
}

static bool want_group(struct ld *ld, const config_setting_t *s)
{
        if (config_setting_is_group(s))
                return true;
        err(ld, s, "expected a group { ... }, found %s", type_name(s));
        return false;
}

/* A list of groups "( { ... }, ... )"; an empty array "[ ]" is accepted as an empty list. */
static bool want_list(struct ld *ld, const config_setting_t *s)
{
        if (config_setting_is_list(s) ||
            (config_setting_is_array(s) && config_setting_length(s) == 0))
                return true;
        err(ld, s, "expected a list ( { ... }, ... ), found %s", type_name(s));
        return false;
}

static char *xstrdup(struct ld *ld, const char *s)
{
        char *r = strdup(s);
        if (!r)
                ld->oom = true;
        return r;
}

static void *xcalloc(struct ld *ld, size_t n, size_t size)
{
        if (n == 0)
                return NULL;
        void *r = calloc(n, size);
        if (!r)
                ld->oom = true;
        return r;
}

/* ------------------------------------------------------------------------ */
/* gateway                                                                  */

static const char *const gateway_keys[] = { "name", "log_level", "status_interval" };

static void parse_gateway(struct ld *ld, const config_setting_t *root)
{
        struct gw_gateway *gw = &ld->cfg->gateway;
        *gw = (struct gw_gateway){
                .name = "dnp3gw",
                .log_level = GW_LOG_INFO,
                .status_interval_ms = 300000,
        };
        const config_setting_t *g = config_setting_get_member(root, "gateway");
        if (!g || !want_group(ld, g))
                return;
        check_keys(ld, g, gateway_keys, ARRAY_SIZE(gateway_keys));
        get_name(ld, g, gw->name, false);
        int lvl;
        if (get_enum(ld, g, "log_level", log_level_names, ARRAY_SIZE(log_level_names), &lvl) > 0)
                gw->log_level = (enum gw_log_level)lvl;
        get_time(ld, g, "status_interval", false, &gw->status_interval_ms);
}

/* ------------------------------------------------------------------------ */
/* outstations                                                              */

static const char *const outstation_keys[] = {
        "name", "listen", "address", "master_address", "allow", "max_fragment", "keepalive",
        "confirm_timeout", "select_timeout", "unsolicited", "events", "need_time",
};
static const char *const unsol_keys[] = {
        "enabled", "classes", "retries", "hold_time", "hold_count", "max_events",
};
static const char *const events_keys[] = { "class1", "class2", "class3" };

static void parse_unsol(struct ld *ld, const config_setting_t *g, struct gw_unsol *u)
{
        check_keys(ld, g, unsol_keys, ARRAY_SIZE(unsol_keys));
        get_bool(ld, g, "enabled", &u->enabled);
        const config_setting_t *c = config_setting_get_member(g, "classes");
        if (c) {
                if (!config_setting_is_array(c) && !config_setting_is_list(c)) {
                        err(ld, c, "expected an array of classes [ 1, 2, 3 ], found %s",
                            type_name(c));
                } else {
                        unsigned mask = 0;
                        bool ok = true;
                        int n = config_setting_length(c);
                        for (int i = 0; i < n; i++) {
                                long long v;
                                if (int_value(ld, config_setting_get_elem(c, (unsigned)i), 1, 3,
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
        if (get_int(ld, g, "retries", -1, 65535, &v) > 0)
                u->retries = (int)v;
        get_time(ld, g, "hold_time", false, &u->hold_time_ms);
        get_u32(ld, g, "hold_count", 1, GW_EVENT_DEPTH_MAX, &u->hold_count);
        get_u32(ld, g, "max_events", 0, 65535, &u->max_events);
}

static void parse_outstation(struct ld *ld, const config_setting_t *s, size_t i)
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
                .line = sline(s),
        };
        if (!want_group(ld, s))
                return;
        check_keys(ld, s, outstation_keys, ARRAY_SIZE(outstation_keys));

        const config_setting_t *ns = config_setting_get_member(s, "name");
        if (get_name(ld, s, o->name, true) > 0) {
                for (size_t j = 0; j < i; j++)
                        if (strcmp(cfg->outstations[j].name, o->name) == 0)
                                err(ld, ns, "duplicate outstation name \"%s\" (also at line %d)",
                                    o->name, cfg->outstations[j].line);
        }

        const config_setting_t *ls = NULL;
        const char *listen = "0.0.0.0:20000";
        bool listen_ok = get_string(ld, s, "listen", &ls, &listen) >= 0;
        if (listen_ok && io_endpoint_parse(listen, &o->endpoint) < 0) {
                err(ld, ls, "\"%s\" is not ADDRESS:PORT (e.g. \"0.0.0.0:20000\" or \"[::]:20000\", "
                    "port 1..65535)", listen);
                listen_ok = false;
        }
        o->listen = xstrdup(ld, listen);

        int ra = get_u16(ld, s, "address", 0, GW_ADDRESS_MAX, &o->address);
        if (ra == 0)
                missing(ld, s, "address");
        int rm = get_u16(ld, s, "master_address", 0, GW_ADDRESS_MAX, &o->master_address);
        if (ra > 0 && rm >= 0 && o->address == o->master_address)
                err(ld, config_setting_get_member(s, rm > 0 ? "master_address" : "address"),
                    "the outstation address and master_address are both %u", o->address);
        if (listen_ok) {
                /* one socket per endpoint: endpoints that cannot both be bound are refused */
                for (size_t j = 0; j < i; j++) {
                        const struct gw_outstation *p = &cfg->outstations[j];
                        if (io_endpoint_overlap(&p->endpoint, &o->endpoint))
                                err(ld, ls ? ls : s, "\"%s\" overlaps \"%s\" of the outstation at "
                                    "line %d: outstations sharing a port must use the same listen "
                                    "address", listen, p->listen ? p->listen : "?", p->line);
                }
        }
        if (ra > 0 && listen_ok) {
                for (size_t j = 0; j < i; j++) {
                        const struct gw_outstation *p = &cfg->outstations[j];
                        if (p->address == o->address && io_endpoint_eq(&p->endpoint, &o->endpoint))
                                err(ld, config_setting_get_member(s, "address"),
                                    "address %u on %s is already used by the outstation at line %d",
                                    o->address, listen, p->line);
                }
        } else {
                memset(&o->endpoint, 0, sizeof(o->endpoint));   /* never equal */
        }

        const config_setting_t *al = config_setting_get_member(s, "allow");
        if (al) {
                if (!config_setting_is_array(al) && !config_setting_is_list(al)) {
                        err(ld, al, "expected an array of addresses [ \"192.0.2.10\", "
                            "\"198.51.100.0/24\" ], found %s", type_name(al));
                } else {
                        size_t n = (size_t)config_setting_length(al);
                        o->allow = xcalloc(ld, n, sizeof(*o->allow));
                        for (size_t k = 0; k < n && o->allow; k++) {
                                const config_setting_t *e = config_setting_get_elem(al, (unsigned)k);
                                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                                        err(ld, e, "expected a string, found %s", type_name(e));
                                        continue;
                                }
                                const char *v = config_setting_get_string(e);
                                if (io_cidr_parse(v, &o->allow[o->nallow]) < 0)
                                        err(ld, e, "\"%s\" is not an IP address or ADDRESS/PREFIX", v);
                                else
                                        o->nallow++;
                        }
                }
        }

        get_u32(ld, s, "max_fragment", 249, 65535, &o->max_fragment);
        get_time(ld, s, "keepalive", false, &o->keepalive_ms);
        get_time(ld, s, "confirm_timeout", true, &o->confirm_timeout_ms);
        get_time(ld, s, "select_timeout", true, &o->select_timeout_ms);
        get_time(ld, s, "need_time", false, &o->need_time_ms);

        const config_setting_t *us = config_setting_get_member(s, "unsolicited");
        if (us && want_group(ld, us))
                parse_unsol(ld, us, &o->unsol);

        const config_setting_t *es = config_setting_get_member(s, "events");
        if (es && want_group(ld, es)) {
                check_keys(ld, es, events_keys, ARRAY_SIZE(events_keys));
                for (unsigned c = 1; c <= 3; c++)
                        get_u32(ld, es, events_keys[c - 1], 1, GW_EVENT_DEPTH_MAX,
                                &o->event_depth[c]);
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
static const char *const serial_keys[] = {
        "device", "baud", "data_bits", "parity", "stop_bits", "flow_control",
};
static const char *const tcp_keys[] = { "host", "port" };
static const char *const device_keys[] = {
        "name", "address", "integrity_poll", "class_polls", "unsolicited", "time_sync",
        "time_sync_interval", "comm_fail_after", "control_timeout", "offline_retry",
};

static void parse_serial(struct ld *ld, const config_setting_t *g, struct gw_serial *sp)
{
        check_keys(ld, g, serial_keys, ARRAY_SIZE(serial_keys));
        const char *dev;
        const config_setting_t *ds;
        int r = get_string(ld, g, "device", &ds, &dev);
        if (r == 0)
                missing(ld, g, "device");
        if (r > 0 && dev[0] != '/') {
                err(ld, ds, "\"%s\" is not an absolute path (e.g. \"/dev/ttyS1\")", dev);
                r = -1;
        }
        if (r > 0)
                sp->device = xstrdup(ld, dev);

        long long v;
        const config_setting_t *bs = config_setting_get_member(g, "baud");
        if (bs && int_value(ld, bs, 0, 10000000, &v) > 0) {
                bool ok = false;
                for (size_t i = 0; i < ARRAY_SIZE(bauds) && !ok; i++)
                        ok = bauds[i] == v;
                if (ok)
                        sp->baud = (uint32_t)v;
                else
                        err(ld, bs, "%lld is not a supported baud rate (300, 600, 1200, 1800, 2400, "
                            "4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)", v);
        }
        const config_setting_t *dbs = config_setting_get_member(g, "data_bits");
        if (dbs && int_value(ld, dbs, 0, 255, &v) > 0) {
                if (v == 8)
                        sp->data_bits = 8;
                else
                        err(ld, dbs, "%lld is not supported: DNP3 needs 8 data bits", v);
        }
        int e;
        if (get_enum(ld, g, "parity", parity_names, ARRAY_SIZE(parity_names), &e) > 0)
                sp->parity = (enum gw_parity)e;
        const config_setting_t *sbs = config_setting_get_member(g, "stop_bits");
        if (sbs && int_value(ld, sbs, 0, 255, &v) > 0) {
                if (v == 1 || v == 2)
                        sp->stop_bits = (uint8_t)v;
                else
                        err(ld, sbs, "%lld is not supported (1 or 2)", v);
        }
        const config_setting_t *fs = config_setting_get_member(g, "flow_control");
        if (fs && config_setting_type(fs) == CONFIG_TYPE_STRING &&
            strcmp(config_setting_get_string(fs), "xonxoff") == 0)
                err(ld, fs, "\"xonxoff\" is not supported: DNP3 frames are binary and contain "
                    "XON/XOFF bytes (use \"none\" or \"rtscts\")");
        else if (get_enum(ld, g, "flow_control", flow_names, ARRAY_SIZE(flow_names), &e) > 0)
                sp->flow_control = (enum gw_flow)e;
}

static void parse_tcp(struct ld *ld, const config_setting_t *g, struct gw_tcp *tp)
{
        check_keys(ld, g, tcp_keys, ARRAY_SIZE(tcp_keys));
        const char *host;
        const config_setting_t *hs;
        int rh = get_string(ld, g, "host", &hs, &host);
        if (rh == 0)
                missing(ld, g, "host");
        int rp = get_u16(ld, g, "port", 1, 65535, &tp->port);
        if (rh <= 0)
                return;
        char buf[128];
        snprintf(buf, sizeof(buf), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, tp->port);
        struct io_endpoint ep;
        if (strlen(host) > 64 || io_endpoint_parse(buf, &ep) < 0) {
                err(ld, hs, "\"%s\" is not a numeric IPv4 or IPv6 address", host);
                return;
        }
        tp->host = xstrdup(ld, host);
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
                .line = sline(s),
        };
        if (!want_group(ld, s))
                return;
        check_keys(ld, s, device_keys, ARRAY_SIZE(device_keys));
        const config_setting_t *ns = config_setting_get_member(s, "name");
        if (get_name(ld, s, d->name, true) > 0) {
                for (size_t j = 0; j < i; j++)
                        if (strcmp(ch->devices[j].name, d->name) == 0)
                                err(ld, ns, "duplicate device name \"%s\" on this channel "
                                    "(also at line %d)", d->name, ch->devices[j].line);
        }
        int ra = get_u16(ld, s, "address", 0, GW_ADDRESS_MAX, &d->address);
        if (ra == 0)
                missing(ld, s, "address");
        if (ra > 0) {
                const config_setting_t *as = config_setting_get_member(s, "address");
                if (master_ok && d->address == ch->master_address)
                        err(ld, as, "%u is the channel's master_address", d->address);
                for (size_t j = 0; j < i; j++)
                        if (addr_ok[j] && ch->devices[j].address == d->address)
                                err(ld, as, "address %u is already used by device \"%s\" "
                                    "(line %d) on this channel", d->address, ch->devices[j].name,
                                    ch->devices[j].line);
                addr_ok[i] = true;
        }
        get_time(ld, s, "integrity_poll", false, &d->integrity_ms);

        const config_setting_t *cp = config_setting_get_member(s, "class_polls");
        if (cp) {
                if ((!config_setting_is_array(cp) && !config_setting_is_list(cp)) ||
                    config_setting_length(cp) != 3) {
                        err(ld, cp, "expected 3 numbers of seconds [ class1, class2, class3 ]");
                } else {
                        uint64_t ms[3];
                        bool ok = true;
                        for (unsigned k = 0; k < 3; k++)
                                ok &= time_value(ld, config_setting_get_elem(cp, k), false,
                                                 &ms[k]) > 0;
                        if (ok)
                                memcpy(d->class_ms, ms, sizeof(ms));
                }
        }
        get_bool(ld, s, "unsolicited", &d->unsolicited);
        int e;
        if (get_enum(ld, s, "time_sync", tsync_names, ARRAY_SIZE(tsync_names), &e) > 0)
                d->time_sync = (enum gw_tsync)e;
        get_time(ld, s, "time_sync_interval", false, &d->time_sync_ms);
        get_u32(ld, s, "comm_fail_after", 1, 1000, &d->comm_fail_after);
        get_time(ld, s, "control_timeout", true, &d->control_timeout_ms);
        get_time(ld, s, "offline_retry", true, &d->offline_retry_ms);
}

static void parse_channel(struct ld *ld, const config_setting_t *s, size_t i)
{
        struct gw_config *cfg = ld->cfg;
        struct gw_channel *ch = &cfg->channels[i];
        *ch = (struct gw_channel){
                .transport = GW_TRANSPORT_SERIAL,
                .serial = { .baud = 9600, .data_bits = 8, .parity = GW_PARITY_NONE,
                            .stop_bits = 1, .flow_control = GW_FLOW_NONE },
                .tcp = { .port = 20000 },
                .master_address = 1,
                .response_timeout_ms = 2000,
                .retries = 1,
                .link_confirm = false,
                .line = sline(s),
        };
        if (!want_group(ld, s))
                return;
        check_keys(ld, s, channel_keys, ARRAY_SIZE(channel_keys));
        const config_setting_t *ns = config_setting_get_member(s, "name");
        if (get_name(ld, s, ch->name, true) > 0) {
                for (size_t j = 0; j < i; j++)
                        if (strcmp(cfg->channels[j].name, ch->name) == 0)
                                err(ld, ns, "duplicate channel name \"%s\" (also at line %d)",
                                    ch->name, cfg->channels[j].line);
        }

        const config_setting_t *ss = config_setting_get_member(s, "serial");
        const config_setting_t *ts = config_setting_get_member(s, "tcp");
        if (ss && ts) {
                err(ld, s, "has both 'serial' and 'tcp'; a channel is one or the other");
        } else if (!ss && !ts) {
                err(ld, s, "needs 'serial' (a serial port) or 'tcp' (a terminal server)");
        } else if (ss && want_group(ld, ss)) {
                parse_serial(ld, ss, &ch->serial);
                const config_setting_t *dv = config_setting_get_member(ss, "device");
                for (size_t j = 0; j < i && ch->serial.device; j++) {
                        const struct gw_channel *p = &cfg->channels[j];
                        if (p->transport == GW_TRANSPORT_SERIAL && p->serial.device &&
                            strcmp(p->serial.device, ch->serial.device) == 0)
                                err(ld, dv, "\"%s\" is already used by channel \"%s\" (line %d)",
                                    ch->serial.device, p->name, p->line);
                }
        } else if (ts && want_group(ld, ts)) {
                ch->transport = GW_TRANSPORT_TCP;
                parse_tcp(ld, ts, &ch->tcp);
                for (size_t j = 0; j < i; j++) {
                        const struct gw_channel *p = &cfg->channels[j];
                        if (p->transport == GW_TRANSPORT_TCP &&
                            io_endpoint_eq(&p->tcp.endpoint, &ch->tcp.endpoint))
                                err(ld, ts, "%s:%u is already used by channel \"%s\" (line %d)",
                                    ch->tcp.host, ch->tcp.port, p->name, p->line);
                }
        }

        int rm = get_u16(ld, s, "master_address", 0, GW_ADDRESS_MAX, &ch->master_address);
        get_time(ld, s, "response_timeout", true, &ch->response_timeout_ms);
        get_u32(ld, s, "retries", 0, 255, &ch->retries);
        get_bool(ld, s, "link_confirm", &ch->link_confirm);

        const config_setting_t *dl = config_setting_get_member(s, "devices");
        if (!dl) {
                missing(ld, s, "devices");
                return;
        }
        if (!want_list(ld, dl))
                return;
        size_t n = (size_t)config_setting_length(dl);
        if (n == 0) {
                err(ld, dl, "at least one device is required");
                return;
        }
        ch->devices = xcalloc(ld, n, sizeof(*ch->devices));
        bool *addr_ok = xcalloc(ld, n, sizeof(*addr_ok));
        if (ch->devices && addr_ok) {
                ch->ndevices = n;
                for (size_t k = 0; k < n; k++)
                        parse_device(ld, config_setting_get_elem(dl, (unsigned)k), ch, k, rm >= 0,
                                     addr_ok);
                cfg->ndevices += n;
        }
        free(addr_ok);
}

/* ------------------------------------------------------------------------ */
/* points                                                                   */

static const char *const point_keys[] = {
        "index", "count", "device", "source_index", "class", "static_variation",
        "event_variation", "deadband",
};

/* "gGvV" or V; the group must be `group` and V in the mask. */
static int get_variation(struct ld *ld, const config_setting_t *g, const char *key,
                         const struct ptype *pt, bool event, uint8_t *ret)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        if (!s)
                return 0;
        uint8_t group = event ? pt->egroup : pt->sgroup;
        unsigned mask = event ? pt->evars : pt->svars;
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
                err(ld, s, "expected a variation like \"g%uv%u\", found %s", group,
                    event ? pt->edef : pt->sdef, type_name(s));
                return -1;
        }
        if (gr == group && var >= 1 && var <= 15 && (mask & (1u << var))) {
                *ret = (uint8_t)var;
                return 1;
        }
        char list[128];
        size_t len = 0;
        list[0] = 0;
        for (unsigned v = 1; v <= 15 && len < sizeof(list); v++) {
                if (!(mask & (1u << v)))
                        continue;
                int w = snprintf(list + len, sizeof(list) - len, "%sg%uv%u", len ? ", " : "", group, v);
                if (w < 0)
                        break;
                len += (size_t)w;
        }
        if (config_setting_type(s) == CONFIG_TYPE_STRING)
                err(ld, s, "\"%s\" is not %s %s variation of %s (%s)", config_setting_get_string(s),
                    event ? "an" : "a", event ? "event" : "static", pt->key, list);
        else
                err(ld, s, "%lld is not %s %s variation of %s (%s)", var, event ? "an" : "a",
                    event ? "event" : "static", pt->key, list);
        return -1;
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
                        size_t sc = strcmp(ch->devices[d].name, ref) == 0 ? 0 : suggest_score(ref, full);
                        if (sc < best) {
                                best = sc;
                                snprintf(hint, nhint, "%s", full);
                        }
                }
        }
        return false;
}

static void parse_point(struct ld *ld, const config_setting_t *s, const struct ptype *pt,
                        struct gw_point_range *p, struct pt_src *src)
{
        struct gw_config *cfg = ld->cfg;
        *p = (struct gw_point_range){
                .count = 1,
                .event_class = pt->cls,
                .static_group = pt->sgroup, .static_var = pt->sdef,
                .event_group = pt->egroup, .event_var = pt->edef,
                .line = sline(s),
        };
        *src = (struct pt_src){ .s = s };
        if (!want_group(ld, s))
                return;
        check_keys(ld, s, point_keys, ARRAY_SIZE(point_keys));
        const config_setting_t *dbs = config_setting_get_member(s, "deadband");
        if (dbs && !pt->deadband)
                err(ld, dbs, "only analog_inputs, analog_outputs, counters and frozen_counters "
                    "have a deadband");

        long long v;
        int ri = get_int(ld, s, "index", 0, GW_INDEX_MAX, &v);
        if (ri == 0)
                missing(ld, s, "index");
        if (ri > 0)
                p->index = (uint32_t)v;
        int rc = get_u32(ld, s, "count", 1, GW_INDEX_MAX + 1, &p->count);
        bool range_ok = ri > 0 && rc >= 0;
        if (range_ok && (uint64_t)p->index + p->count - 1 > GW_INDEX_MAX) {
                err(ld, s, "index %u + count %u goes beyond the last index %d", p->index, p->count,
                    GW_INDEX_MAX);
                range_ok = false;
        }
        src->range_ok = range_ok;

        int rs = get_int(ld, s, "source_index", 0, GW_INDEX_MAX, &v);
        p->source_index = rs > 0 ? (uint32_t)v : p->index;
        bool src_ok = rs == 0 && range_ok;      /* default: source_index = index */
        if (rs > 0) {
                src_ok = rc >= 0;
                if (src_ok && (uint64_t)p->source_index + p->count - 1 > GW_INDEX_MAX) {
                        err(ld, s, "source_index %u + count %u goes beyond the last index %d",
                            p->source_index, p->count, GW_INDEX_MAX);
                        src_ok = false;
                }
        }

        const char *ref;
        const config_setting_t *ds;
        int rd = get_string(ld, s, "device", &ds, &ref);
        bool dev_ok = false;
        if (rd == 0)
                missing(ld, s, "device");
        if (rd > 0) {
                char hint[2 * GW_NAME_MAX + 2];
                if (find_device(cfg, ref, &p->channel, &p->device, hint, sizeof(hint)))
                        dev_ok = true;
                else if (!ld->devs_incomplete && hint[0])
                        err(ld, ds, "\"%s\" names no channel/device (did you mean \"%s\"?)", ref,
                            hint);
                else if (!ld->devs_incomplete)
                        err(ld, ds, "\"%s\" names no channel/device", ref);
                /* else: a channel/device without a valid name is reported already */
        }
        src->dev_ok = dev_ok && src_ok;
        if (src->dev_ok)
                cfg->channels[p->channel].devices[p->device].npoints += p->count;

        if (get_int(ld, s, "class", 0, 3, &v) > 0)
                p->event_class = (uint8_t)v;
        double d;
        if (dbs && pt->deadband && !number(dbs, &d))
                err(ld, dbs, "expected a number, found %s", type_name(dbs));
        else if (dbs && pt->deadband && !(d >= 0 && d <= 1e300))
                err(ld, dbs, "%g is out of range (0 or more)", d);
        else if (dbs && pt->deadband)
                p->deadband = d;
        get_variation(ld, s, "static_variation", pt, false, &p->static_var);
        get_variation(ld, s, "event_variation", pt, true, &p->event_var);
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
static void overlaps(struct ld *ld, const struct ptype *pt, struct span *sp, size_t n, bool upstream)
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
                                err(ld, s, "%s %u-%u overlap %u-%u of the entry at line %d",
                                    pt->key, b->first, b->last, a->first, a->last, pa->line);
                        } else {
                                const struct gw_channel *ch = &ld->cfg->channels[pb->channel];
                                uint32_t lo = b->first > a->first ? b->first : a->first;
                                uint32_t hi = b->last < a->last ? b->last : a->last;
                                notice(ld, s, "fan-out: %s/%s %s %u-%u are also mapped by the "
                                       "entry at line %d", ch->name, ch->devices[pb->device].name,
                                       pt->key, lo, hi, pa->line);
                        }
                }
                if (open == SIZE_MAX || sp[open].key >> 32 != sp[i].key >> 32 ||
                    sp[i].last > sp[open].last)
                        open = i;
        }
}

static void check_point_list(struct ld *ld, const struct ptype *pt)
{
        const struct gw_point_list *l = &ld->cfg->points[pt->type];
        const struct pt_src *src = ld->pt[pt->type];
        if (l->n == 0)
                return;
        struct span *sp = xcalloc(ld, l->n, sizeof(*sp));
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
}

static void parse_points(struct ld *ld, const config_setting_t *root)
{
        struct gw_config *cfg = ld->cfg;
        const config_setting_t *g = config_setting_get_member(root, "points");
        if (!g || !want_group(ld, g))
                return;
        const char *keys[ARRAY_SIZE(ptypes)];
        for (size_t i = 0; i < ARRAY_SIZE(ptypes); i++)
                keys[i] = ptypes[i].key;
        check_keys(ld, g, keys, ARRAY_SIZE(keys));
        for (size_t t = 0; t < ARRAY_SIZE(ptypes); t++) {
                const struct ptype *pt = &ptypes[t];
                const config_setting_t *ls = config_setting_get_member(g, pt->key);
                if (!ls || !want_list(ld, ls))
                        continue;
                size_t n = (size_t)config_setting_length(ls);
                struct gw_point_list *l = &cfg->points[pt->type];
                l->v = xcalloc(ld, n, sizeof(*l->v));
                ld->pt[pt->type] = xcalloc(ld, n, sizeof(*ld->pt[pt->type]));
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

/* ------------------------------------------------------------------------ */
/* Top level                                                                */

static const char *const root_keys[] = { "gateway", "outstations", "channels", "points" };

/* A required top-level list of groups; its length or 0. */
static size_t top_list(struct ld *ld, const config_setting_t *root, const char *key,
                       const char *what, const config_setting_t **ret)
{
        const config_setting_t *s = config_setting_get_member(root, key);
        *ret = NULL;
        if (!s) {
                err_plain(ld, NULL, "missing required key '%s' (at least one %s)", key, what);
                return 0;
        }
        if (!want_list(ld, s))
                return 0;
        size_t n = (size_t)config_setting_length(s);
        if (n == 0)
                err(ld, s, "at least one %s is required", what);
        *ret = s;
        return n;
}

static void parse_root(struct ld *ld, const config_setting_t *root)
{
        struct gw_config *cfg = ld->cfg;
        const config_setting_t *ls;

        check_keys(ld, root, root_keys, ARRAY_SIZE(root_keys));
        parse_gateway(ld, root);

        size_t n = top_list(ld, root, "outstations", "outstation", &ls);
        cfg->outstations = xcalloc(ld, n, sizeof(*cfg->outstations));
        if (cfg->outstations) {
                cfg->noutstations = n;
                for (size_t i = 0; i < n; i++) {
                        parse_outstation(ld, config_setting_get_elem(ls, (unsigned)i), i);
                        cfg->event_memory += cfg->outstations[i].event_memory;
                }
        }

        n = top_list(ld, root, "channels", "channel", &ls);
        cfg->channels = xcalloc(ld, n, sizeof(*cfg->channels));
        if (cfg->channels) {
                cfg->nchannels = n;
                for (size_t i = 0; i < n; i++)
                        parse_channel(ld, config_setting_get_elem(ls, (unsigned)i), i);
        }
        /* A point naming a device that has no valid name is not one more error. */
        ld->devs_incomplete = cfg->nchannels == 0;
        for (size_t c = 0; c < cfg->nchannels; c++) {
                const struct gw_channel *ch = &cfg->channels[c];
                if (!ch->name[0] || ch->ndevices == 0)
                        ld->devs_incomplete = true;
                for (size_t d = 0; d < ch->ndevices; d++)
                        if (!ch->devices[d].name[0])
                                ld->devs_incomplete = true;
        }

        parse_points(ld, root);

        /* Devices nothing is mapped from are polled for nothing: say so. */
        for (size_t c = 0; c < cfg->nchannels; c++) {
                const struct gw_channel *ch = &cfg->channels[c];
                const config_setting_t *cs = ls ? config_setting_get_elem(ls, (unsigned)c) : NULL;
                const config_setting_t *dl = cs ? config_setting_get_member(cs, "devices") : NULL;
                for (size_t d = 0; d < ch->ndevices && dl; d++)
                        if (ch->devices[d].npoints == 0 && ch->devices[d].name[0])
                                notice(ld, config_setting_get_elem(dl, (unsigned)d),
                                       "no points are mapped from %s/%s", ch->name,
                                       ch->devices[d].name);
        }
}

void gw_config_free(struct gw_config *cfg)
{
        if (!cfg)
                return;
        for (size_t i = 0; i < cfg->noutstations; i++) {
                free(cfg->outstations[i].listen);
                free(cfg->outstations[i].allow);
        }
        free(cfg->outstations);
        for (size_t i = 0; i < cfg->nchannels; i++) {
                free(cfg->channels[i].serial.device);
                free(cfg->channels[i].tcp.host);
                free(cfg->channels[i].devices);
        }
        free(cfg->channels);
        for (size_t t = 0; t < DNP_TYPE_MAX; t++)
                free(cfg->points[t].v);
        free(cfg->path);
        free(cfg);
}

/* libconfig's parse error text, with a hint for the common array mistake. */
static char *syntax_msg(const char *text)
{
        char buf[256];
        if (!text)
                text = "syntax error";
        if (strcmp(text, "mismatched element type in array") == 0)
                snprintf(buf, sizeof(buf), "%s (write every number of an array alike, "
                         "e.g. [ 1.0, 5.0, 30.0 ], or use a list ( 1, 5.0, 30 ))", text);
        else
                snprintf(buf, sizeof(buf), "%s", text);
        return strdup(buf);
}

/*
 * libconfig 1.5 opens every @include itself, and its scanner exit()s the whole
 * process when a read fails -- `@include ""` or `@include "."` names a folder
 * -- and would block on a FIFO: a typo in a reloaded file would stop the
 * daemon.  So each @include line is resolved here first, the way libconfig
 * does (the name up to a NUL byte, after the include folder when one is set;
 * nested files the same, each file once; lines in block comments skipped),
 * and one that names anything but a regular file is
 * an error at its line; libconfig then never runs.  A name that does not
 * exist is left to libconfig ("cannot open include file").  Escapes in the
 * name are refused rather than decoded as libconfig would.
 */
#define INCLUDE_DEPTH_MAX 10

static const char *inc_file_name(struct ld *ld, const char *file)
{
        if (file == ld->path)
                return file;
        for (size_t i = 0; i < ld->ninc_files; i++)
                if (strcmp(ld->inc_files[i], file) == 0)
                        return ld->inc_files[i];
        if (ld->ninc_files == ARRAY_SIZE(ld->inc_files))
                return ld->path;
        char *dup = strdup(file);
        if (!dup) {
                ld->oom = true;
                return ld->path;
        }
        ld->inc_files[ld->ninc_files++] = dup;
        return dup;
}

/* The files scanned so far: each is scanned once, so a cycle costs nothing. */
struct inc_seen {
        struct {
                dev_t dev;
                ino_t ino;
        } f[32];
        size_t n;
};

/* Whether f was scanned already; records it otherwise (false when full: not scanned). */
static bool inc_seen_add(struct inc_seen *seen, FILE *f)
{
        struct stat st;
        if (fstat(fileno(f), &st) != 0)
                return true;
        for (size_t i = 0; i < seen->n; i++)
                if (seen->f[i].dev == st.st_dev && seen->f[i].ino == st.st_ino)
                        return true;
        if (seen->n == ARRAY_SIZE(seen->f))
                return true;
        seen->f[seen->n].dev = st.st_dev;
        seen->f[seen->n].ino = st.st_ino;
        seen->n++;
        return false;
}

/*
 * Whether the line p..end starts inside a block comment; *in_block is
 * updated to the state after it.  Strings and line comments (#, //) are
 * skipped, as libconfig's scanner does.
 */
static bool inc_line_in_comment(const char *p, const char *end, bool *in_block)
{
        bool starts_in = *in_block;
        while (p < end) {
                if (*in_block) {
                        if (end - p >= 2 && p[0] == '*' && p[1] == '/') {
                                *in_block = false;
                                p += 2;
                        } else {
                                p++;
                        }
                } else if (*p == '"') {
                        for (p++; p < end && *p != '"'; p++)
                                if (*p == '\\' && end - p >= 2)
                                        p++;
                        p++;
                } else if (*p == '#' || (end - p >= 2 && p[0] == '/' && p[1] == '/')) {
                        break;
                } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
                        *in_block = true;
                        p += 2;
                } else {
                        p++;
                }
        }
        return starts_in;
}

static void includes_check(struct ld *ld, const char *file, const char *dir,
                           struct inc_seen *seen, unsigned depth)
{
        static const char kw[] = "@include";
        char *line = NULL;
        size_t cap = 0;
        ssize_t got;
        int lineno = 0;
        bool in_block = false;

        FILE *f = fopen(file, "r");
        if (!f)
                return;                 /* libconfig reports it */
        if (inc_seen_add(seen, f)) {
                fclose(f);
                return;                 /* a cycle: libconfig reports the nesting */
        }
        while ((got = getline(&line, &cap, f)) >= 0) {
                const char *p = line, *end = line + got;
                lineno++;
                if (inc_line_in_comment(line, end, &in_block))
                        continue;
                while (p < end && (*p == ' ' || *p == '\t'))
                        p++;
                if ((size_t)(end - p) < sizeof(kw) || strncasecmp(p, kw, sizeof(kw) - 1) != 0)
                        continue;
                p += sizeof(kw) - 1;
                if (*p != ' ' && *p != '\t')
                        continue;
                while (p < end && (*p == ' ' || *p == '\t'))
                        p++;
                if (p == end || *p != '"')
                        continue;
                p++;
                const char *q = memchr(p, '"', (size_t)(end - p));
                if (!q)
                        continue;       /* a syntax error libconfig reports */
                size_t n = strnlen(p, (size_t)(q - p));
                int len = n < 4096 ? (int)n : 4096;
                if (memchr(p, '\\', n)) {
                        err_at(ld, inc_file_name(ld, file), lineno,
                               "@include \"%.*s\": escapes in file names are not supported",
                               len, p);
                        continue;
                }
                if (n == 0) {
                        err_at(ld, inc_file_name(ld, file), lineno, "@include \"\": no file name");
                        continue;
                }
                char full[4096];
                int w = dir ? snprintf(full, sizeof(full), "%s/%.*s", dir, len, p)
                            : snprintf(full, sizeof(full), "%.*s", len, p);
                struct stat st;
                if (w < 0 || (size_t)w >= sizeof(full) || stat(full, &st) != 0)
                        continue;       /* libconfig: "cannot open include file" */
                if (!S_ISREG(st.st_mode)) {
                        err_at(ld, inc_file_name(ld, file), lineno,
                               "@include \"%.*s\": %s is not a regular file", len, p, full);
                        continue;
                }
                if (depth < INCLUDE_DEPTH_MAX)
                        includes_check(ld, full, dir, seen, depth + 1);
        }
        free(line);
        fclose(f);
}

int gw_config_load(const char *path, struct gw_config **ret_cfg, const struct gw_diag_sink *sink)
{
        struct ld ld = { .path = path };
        config_t c;
        char dir[4096];
        int r = 0;

        FILE *f = fopen(path, "r");
        if (!f)
                return -errno;
        fclose(f);

        ld.cfg = calloc(1, sizeof(*ld.cfg));
        if (!ld.cfg)
                return -ENOMEM;
        ld.cfg->path = strdup(path);
        if (!ld.cfg->path) {
                gw_config_free(ld.cfg);
                return -ENOMEM;
        }

        config_init(&c);
        const char *slash = strrchr(path, '/');
        if (slash && (size_t)(slash - path) < sizeof(dir)) {
                memcpy(dir, path, (size_t)(slash - path));
                dir[slash - path] = 0;
                config_set_include_dir(&c, slash == path ? "/" : dir);
        }
        struct inc_seen seen = { .n = 0 };
        includes_check(&ld, path, config_get_include_dir(&c), &seen, 0);
        if (ld.nerr) {
                /* an @include libconfig must not open: nothing else is checked */
        } else if (config_read_file(&c, path) != CONFIG_TRUE) {
                if (config_error_type(&c) == CONFIG_ERR_FILE_IO && !config_error_file(&c)) {
                        r = -EIO;
                } else {
                        const char *ef = config_error_file(&c);
                        ld.nerr++;
                        ld.d = calloc(1, sizeof(*ld.d));
                        if (ld.d) {
                                ld.cap = 1;
                                ld.d[0] = (struct diag){
                                        .level = GW_DIAG_ERROR,
                                        .file = ef ? ef : path,
                                        .line = config_error_line(&c),
                                        .msg = syntax_msg(config_error_text(&c)),
                                };
                                ld.n = ld.d[0].msg ? 1 : 0;
                        }
                        if (!ld.d || !ld.n)
                                ld.oom = true;
                }
        } else {
                parse_root(&ld, config_root_setting(&c));
        }
        for (size_t t = 0; t < DNP_TYPE_MAX; t++)
                free(ld.pt[t]);

        if (!r && ld.oom)
                r = -ENOMEM;
        else if (!r && ld.nerr)
                r = -EINVAL;
        if (r != -ENOMEM && r != -EIO)
                diag_flush(&ld, sink);
        else
                for (size_t i = 0; i < ld.n; i++)
                        free(ld.d[i].msg);
        free(ld.d);
        config_destroy(&c);
        for (size_t i = 0; i < ld.ninc_files; i++)
                free(ld.inc_files[i]);

        if (r < 0) {
                gw_config_free(ld.cfg);
                return r;
        }
        *ret_cfg = ld.cfg;
        return 0;
}

char *gw_config_summary(const struct gw_config *cfg, char *buf, size_t n)
{
        uint64_t slots = 0;
        for (size_t i = 0; i < cfg->noutstations; i++)
                for (unsigned c = 1; c <= 3; c++)
                        slots += cfg->outstations[i].event_depth[c];
        snprintf(buf, n, "%s: outstations=%zu channels=%zu devices=%zu points=%zu "
                 "event_slots=%llu event_memory=%zu", cfg->gateway.name, cfg->noutstations,
                 cfg->nchannels, cfg->ndevices, cfg->npoints, (unsigned long long)slots,
                 cfg->event_memory);
        return buf;
}
