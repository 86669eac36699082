/* SPDX-License-Identifier: MIT */
/*
 * Typed getters of libconfig settings for the configuration loader: each
 * checks the type and range of one setting and reports its own problem
 * (config_priv.h says what they return).
 */
#include "daemon/config_priv.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cfg_type_name(const config_setting_t *s)
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

int cfg_int_value(struct ld *ld, const config_setting_t *s, long long min, long long max,
                     long long *ret)
{
        int t = config_setting_type(s);
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
                cfg_err(ld, s, "expected an integer, found %s", cfg_type_name(s));
                return -1;
        }
        long long v = config_setting_get_int64(s);
        if (v < min || v > max) {
                cfg_err(ld, s, "%lld is out of range %lld..%lld", v, min, max);
                return -1;
        }
        *ret = v;
        return 1;
}

int cfg_get_int(struct ld *ld, const config_setting_t *g, const char *key, long long min,
                   long long max, long long *ret)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        return s ? cfg_int_value(ld, s, min, max, ret) : 0;
}

/* cfg_get_int() into a narrower type (min and max keep the value in range). */
#define CFG_GET_NARROW(name, type)                                                      \
        int name(struct ld *ld, const config_setting_t *g, const char *key, long long min, \
                 long long max, type *ret)                                              \
        {                                                                               \
                long long v;                                                            \
                int r = cfg_get_int(ld, g, key, min, max, &v);                          \
                if (r > 0)                                                              \
                        *ret = (type)v;                                                 \
                return r;                                                               \
        }

CFG_GET_NARROW(cfg_get_u16, uint16_t)
CFG_GET_NARROW(cfg_get_u32, uint32_t)

bool cfg_number(const config_setting_t *s, double *ret)
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
int cfg_time_value(struct ld *ld, const config_setting_t *s, bool positive, uint64_t *ret_ms)
{
        double v;
        if (!cfg_number(s, &v)) {
                cfg_err(ld, s, "expected a number of seconds, found %s", cfg_type_name(s));
                return -1;
        }
        double min = positive ? 0.001 : 0.0;
        if (!(v >= min && v <= GW_TIME_MAX_S)) {
                cfg_err(ld, s, "%g is out of range %g..%d seconds", v, min, GW_TIME_MAX_S);
                return -1;
        }
        *ret_ms = (uint64_t)llround(v * 1000.0);
        return 1;
}

int cfg_get_time(struct ld *ld, const config_setting_t *g, const char *key, bool positive,
                    uint64_t *ret_ms)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        return s ? cfg_time_value(ld, s, positive, ret_ms) : 0;
}

/* Member key of g, of libconfig type: 1 and *ret; 0 missing; -1 (reported) of another type. */
static int member_typed(struct ld *ld, const config_setting_t *g, const char *key, int type,
                        const char *expected, const config_setting_t **ret)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        if (!s)
                return 0;
        if (config_setting_type(s) != type) {
                cfg_err(ld, s, "expected %s, found %s", expected, cfg_type_name(s));
                return -1;
        }
        *ret = s;
        return 1;
}

int cfg_get_bool(struct ld *ld, const config_setting_t *g, const char *key, bool *ret)
{
        const config_setting_t *s;
        int r = member_typed(ld, g, key, CONFIG_TYPE_BOOL, "true or false", &s);
        if (r > 0)
                *ret = config_setting_get_bool(s) != 0;
        return r;
}

int cfg_get_string(struct ld *ld, const config_setting_t *g, const char *key,
                      const config_setting_t **ret_s, const char **ret)
{
        const config_setting_t *s;
        int r = member_typed(ld, g, key, CONFIG_TYPE_STRING, "a string", &s);
        if (r <= 0)
                return r;
        *ret = config_setting_get_string(s);
        if (ret_s)
                *ret_s = s;
        return 1;
}

/* A string that must be one of names[0..n-1]. */
int cfg_get_enum(struct ld *ld, const config_setting_t *g, const char *key,
                    const char *const *names, size_t n, int *ret)
{
        const config_setting_t *s;
        const char *v;
        int r = cfg_get_string(ld, g, key, &s, &v);
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
        const char *hint = cfg_suggest(v, names, n);
        if (hint)
                cfg_err(ld, s, "\"%s\" is not one of %s (did you mean \"%s\"?)", v, list, hint);
        else
                cfg_err(ld, s, "\"%s\" is not one of %s", v, list);
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
int cfg_get_name(struct ld *ld, const config_setting_t *g, char out[GW_NAME_MAX], bool required)
{
        const config_setting_t *s;
        const char *v;
        int r = cfg_get_string(ld, g, "name", &s, &v);
        if (r == 0 && required)
                cfg_err(ld, g, "missing required key 'name'");
        if (r <= 0)
                return r;
        if (!name_ok(v)) {
                cfg_err(ld, s, "\"%s\" is not a valid name (1-%d of A-Z a-z 0-9 _ - .)", v,
                        GW_NAME_MAX - 1);
                return -1;
        }
        memcpy(out, v, strlen(v) + 1);
        return 1;
}

_Static_assert(offsetof(struct gw_outstation, name) == 0 &&
                       offsetof(struct gw_channel, name) == 0 &&
                       offsetof(struct gw_device, name) == 0,
               "cfg_entry_begin() finds each entry's name at its start");

bool cfg_entry_begin(struct ld *ld, const config_setting_t *s, const struct cfg_entry_kind *k,
                     void *base, size_t i)
{
        char *e = (char *)base + i * k->size;
        int line = cfg_line(s);
        memcpy(e + k->line_off, &line, sizeof(line));
        if (!cfg_want_group(ld, s))
                return false;
        cfg_check_keys(ld, s, k->keys, k->nkeys);
        if (cfg_get_name(ld, s, e, true) <= 0)
                return true;
        for (size_t j = 0; j < i; j++) {
                const char *p = (const char *)base + j * k->size;
                if (strcmp(p, e) == 0) {
                        memcpy(&line, p + k->line_off, sizeof(line));
                        cfg_err(ld, config_setting_get_member(s, "name"),
                                "duplicate %s name \"%s\"%s (also at line %d)", k->what, e,
                                k->where, line);
                }
        }
        return true;
}

void cfg_missing(struct ld *ld, const config_setting_t *g, const char *key)
{
        cfg_err(ld, g, "missing required key '%s'", key);
}

int cfg_need_string(struct ld *ld, const config_setting_t *g, const char *key,
                    const config_setting_t **ret_s, const char **ret)
{
        int r = cfg_get_string(ld, g, key, ret_s, ret);
        if (r == 0)
                cfg_missing(ld, g, key);
        return r;
}

/* Reports every member of g whose name is not in keys[]. */
void cfg_check_keys(struct ld *ld, const config_setting_t *g, const char *const *keys, size_t n)
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
                const char *hint = cfg_suggest(name, keys, n);
                if (hint)
                        cfg_err(ld, s, "unknown key (did you mean '%s'?)", hint);
                else
                        cfg_err(ld, s, "unknown key");
        }
}

bool cfg_want_group(struct ld *ld, const config_setting_t *s)
{
        if (config_setting_is_group(s))
                return true;
        cfg_err(ld, s, "expected a group { ... }, found %s", cfg_type_name(s));
        return false;
}

/* A list of groups "( { ... }, ... )"; an empty array "[ ]" is accepted as an empty list. */
bool cfg_want_list(struct ld *ld, const config_setting_t *s)
{
        if (config_setting_is_list(s) ||
            (config_setting_is_array(s) && config_setting_length(s) == 0))
                return true;
        cfg_err(ld, s, "expected a list ( { ... }, ... ), found %s", cfg_type_name(s));
        return false;
}

char *cfg_strdup(struct ld *ld, const char *s)
{
        char *r = strdup(s);
        if (!r)
                ld->oom = true;
        return r;
}

void *cfg_calloc(struct ld *ld, size_t n, size_t size)
{
        if (n == 0)
                return NULL;
        void *r = calloc(n, size);
        if (!r)
                ld->oom = true;
        return r;
}
