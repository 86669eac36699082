/* SPDX-License-Identifier: MIT */
/*
 * The configuration loader's private parts, shared by its files (config.h is
 * the public interface):
 *   config.c           gw_config_load(): the @include pre-scan, libconfig,
 *                      the top level and the gateway group; free, summary
 *   config_diag.c      its messages: collected, sorted by file and line and
 *                      handed to the sink; "did you mean"
 *   config_get.c       typed getters of libconfig settings, each reporting
 *                      its own problem
 *   config_sessions.c  the outstations and the channels (serial, tcp) with
 *                      their devices
 *   config_tls.c       the tls groups (outstations, channels' tcp)
 *   config_points.c    the point map: the point types, one list per type,
 *                      the overlap and fan-out checks
 */
#pragma once

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "dnp3/ptype.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct diag;                            /* config_diag.c */

/* Per point list: the libconfig entry and whether its fields are usable. */
struct pt_src {
        const config_setting_t *s;
        bool range_ok;                  /* index and count valid */
        bool dev_ok;                    /* device resolved, source_index valid */
};

/* The state of one gw_config_load(). */
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
        char *inc_files[16];            /* @include'd paths named by cfg_err_at() */
        size_t ninc_files;
};

/* config_diag.c: messages */

/* The line of setting s. */
int cfg_line(const config_setting_t *s);
/* An error at file:line, for problems found before libconfig has a setting. */
__attribute__((format(printf, 4, 5)))
void cfg_err_at(struct ld *ld, const char *file, int line, const char *fmt, ...);
/* An error about setting s, prefixed with its path. */
__attribute__((format(printf, 3, 4)))
void cfg_err(struct ld *ld, const config_setting_t *s, const char *fmt, ...);
/* An error at setting s's line without the path prefix. */
__attribute__((format(printf, 3, 4)))
void cfg_err_plain(struct ld *ld, const config_setting_t *s, const char *fmt, ...);
/* A notice about setting s, prefixed with its path. */
__attribute__((format(printf, 3, 4)))
void cfg_notice(struct ld *ld, const config_setting_t *s, const char *fmt, ...);
/* Hands every message to sink (NULL: none) in file and line order and frees them. */
void cfg_diag_flush(struct ld *ld, const struct gw_diag_sink *sink);
/* How plausibly cand is the intended spelling of word: lower is better, SIZE_MAX: not. */
size_t cfg_suggest_score(const char *word, const char *cand);
/* The best of cands[0..n-1] (NULL entries skipped) for word, or NULL. */
const char *cfg_suggest(const char *word, const char *const *cands, size_t n);

/*
 * config_get.c: typed getters.  0 when absent, 1 when present and valid, -1
 * when invalid (reported).  Outputs are written only when valid.
 */
const char *cfg_type_name(const config_setting_t *s);
int cfg_int_value(struct ld *ld, const config_setting_t *s, long long min, long long max,
                  long long *ret);
int cfg_get_int(struct ld *ld, const config_setting_t *g, const char *key, long long min,
                long long max, long long *ret);
int cfg_get_u16(struct ld *ld, const config_setting_t *g, const char *key, long long min,
                long long max, uint16_t *ret);
int cfg_get_u32(struct ld *ld, const config_setting_t *g, const char *key, long long min,
                long long max, uint32_t *ret);
/* An integer or float setting as a double; false for other types (not reported). */
bool cfg_number(const config_setting_t *s, double *ret);
/* Seconds (integer or float) -> milliseconds; positive: at least 0.001. */
int cfg_time_value(struct ld *ld, const config_setting_t *s, bool positive, uint64_t *ret_ms);
int cfg_get_time(struct ld *ld, const config_setting_t *g, const char *key, bool positive,
                 uint64_t *ret_ms);
int cfg_get_bool(struct ld *ld, const config_setting_t *g, const char *key, bool *ret);
int cfg_get_string(struct ld *ld, const config_setting_t *g, const char *key,
                   const config_setting_t **ret_s, const char **ret);
/* A string that must be one of names[0..n-1]. */
int cfg_get_enum(struct ld *ld, const config_setting_t *g, const char *key,
                 const char *const *names, size_t n, int *ret);
/* `name` (required or not); out[] keeps "" when missing or invalid. */
int cfg_get_name(struct ld *ld, const config_setting_t *g, char out[GW_NAME_MAX], bool required);
/*
 * A kind of named list entry (outstation, channel, device): its keys, and
 * its struct, size bytes long, starting with its char name[GW_NAME_MAX] and
 * holding its int line at line_off.  A duplicate name is "duplicate WHAT
 * name "x"WHERE (also at line N)".
 */
struct cfg_entry_kind {
        const char *what, *where;
        const char *const *keys;
        size_t nkeys;
        size_t size, line_off;
};
/*
 * The start of entry i of the array at base (its defaults already set): its
 * line is s's; s must be a group of the kind's keys, with a required `name`
 * that no earlier entry has.  false (reported) when s is not a group: the
 * caller stops there.
 */
bool cfg_entry_begin(struct ld *ld, const config_setting_t *s, const struct cfg_entry_kind *k,
                     void *base, size_t i);
void cfg_missing(struct ld *ld, const config_setting_t *g, const char *key);
/* cfg_get_string() of a required key: a missing one is reported too. */
int cfg_need_string(struct ld *ld, const config_setting_t *g, const char *key,
                    const config_setting_t **ret_s, const char **ret);
/* Reports every member of g whose name is not in keys[]. */
void cfg_check_keys(struct ld *ld, const config_setting_t *g, const char *const *keys, size_t n);
bool cfg_want_group(struct ld *ld, const config_setting_t *s);
/* A list of groups "( { ... }, ... )"; an empty array "[ ]" is accepted as an empty list. */
bool cfg_want_list(struct ld *ld, const config_setting_t *s);
/* strdup / calloc that note an allocation failure in ld->oom (calloc of 0: NULL). */
char *cfg_strdup(struct ld *ld, const char *s);
void *cfg_calloc(struct ld *ld, size_t n, size_t size);

/* config_sessions.c: element i of the outstations / channels list into cfg. */
void cfg_parse_outstation(struct ld *ld, const config_setting_t *s, size_t i);
void cfg_parse_channel(struct ld *ld, const config_setting_t *s, size_t i);

/* config_tls.c: a tls group (defaults set first); gw_tls_free() releases it. */
void cfg_parse_tls(struct ld *ld, const config_setting_t *g, struct gw_tls *t);
void gw_tls_free(struct gw_tls *t);

/* config_points.c: the points group (after the channels). */
void cfg_parse_points(struct ld *ld, const config_setting_t *root);
