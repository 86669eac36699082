/* SPDX-License-Identifier: MIT */
/*
 * gw_config_load(): the @include pre-scan, libconfig, the walk of the top
 * level (gateway, outstations, channels, points) and the result's free and
 * summary.  The sections are parsed by config_sessions.c and
 * config_points.c; messages go through config_diag.c (config_priv.h).
 */
#include "daemon/config_priv.h"

#include "dnp3/names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define GW_LOG_NAME(name, str) [GW_LOG_##name] = str,
NAMES_DEFINE(gw_log_level_name, enum gw_log_level, GW_LOG_LEVEL_LIST, GW_LOG_NAME)

int gw_log_level_from_name(const char *s, enum gw_log_level *ret)
{
        /* exactly the spellings gateway.log_level takes (lower case) */
        for (size_t i = 0; i < NAMES_COUNT(gw_log_level_name_tab); i++)
                if (gw_log_level_name_tab[i] && strcmp(gw_log_level_name_tab[i], s) == 0) {
                        *ret = (enum gw_log_level)i;
                        return 0;
                }
        return -EINVAL;
}

/* ------------------------------------------------------------------------ */
/* gateway                                                                  */

static const char *const gateway_keys[] = { "name", "log_level", "status_interval",
                                            "state_directory" };

static void parse_gateway(struct ld *ld, const config_setting_t *root)
{
        struct gw_gateway *gw = &ld->cfg->gateway;
        *gw = (struct gw_gateway){
                .name = "dnp3gw",
                .log_level = GW_LOG_INFO,
                .status_interval_ms = 300000,
                .state_directory = GW_STATE_DEFAULT_DIR,
        };
        const config_setting_t *g = config_setting_get_member(root, "gateway");
        if (!g || !cfg_want_group(ld, g))
                return;
        cfg_check_keys(ld, g, gateway_keys, ARRAY_SIZE(gateway_keys));
        cfg_get_name(ld, g, gw->name, false);
        int lvl;
        if (cfg_get_enum(ld, g, "log_level", gw_log_level_name_tab,
                         ARRAY_SIZE(gw_log_level_name_tab),
                         &lvl) > 0)
                gw->log_level = (enum gw_log_level)lvl;
        cfg_get_time(ld, g, "status_interval", false, &gw->status_interval_ms);
        const config_setting_t *ds;
        const char *dir;
        if (cfg_get_string(ld, g, "state_directory", &ds, &dir) > 0) {
                if (dir[0] != '/')
                        cfg_err(ld, ds, "must be an absolute path (got \"%s\")", dir);
                else if (strlen(dir) >= sizeof(gw->state_directory))
                        cfg_err(ld, ds, "longer than %zu characters",
                                sizeof(gw->state_directory) - 1);
                else
                        snprintf(gw->state_directory, sizeof(gw->state_directory), "%s", dir);
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
                cfg_err_plain(ld, NULL, "missing required key '%s' (at least one %s)", key, what);
                return 0;
        }
        if (!cfg_want_list(ld, s))
                return 0;
        size_t n = (size_t)config_setting_length(s);
        if (n == 0)
                cfg_err(ld, s, "at least one %s is required", what);
        *ret = s;
        return n;
}

static void parse_root(struct ld *ld, const config_setting_t *root)
{
        struct gw_config *cfg = ld->cfg;
        const config_setting_t *ls;

        cfg_check_keys(ld, root, root_keys, ARRAY_SIZE(root_keys));
        parse_gateway(ld, root);

        size_t n = top_list(ld, root, "outstations", "outstation", &ls);
        cfg->outstations = cfg_calloc(ld, n, sizeof(*cfg->outstations));
        if (cfg->outstations) {
                cfg->noutstations = n;
                for (size_t i = 0; i < n; i++) {
                        cfg_parse_outstation(ld, config_setting_get_elem(ls, (unsigned)i), i);
                        cfg->event_memory += cfg->outstations[i].event_memory;
                }
        }

        n = top_list(ld, root, "channels", "channel", &ls);
        cfg->channels = cfg_calloc(ld, n, sizeof(*cfg->channels));
        if (cfg->channels) {
                cfg->nchannels = n;
                for (size_t i = 0; i < n; i++)
                        cfg_parse_channel(ld, config_setting_get_elem(ls, (unsigned)i), i);
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

        cfg_parse_points(ld, root);

        /* Devices nothing is mapped from are polled for nothing: say so. */
        for (size_t c = 0; c < cfg->nchannels; c++) {
                const struct gw_channel *ch = &cfg->channels[c];
                const config_setting_t *cs = ls ? config_setting_get_elem(ls, (unsigned)c) : NULL;
                const config_setting_t *dl = cs ? config_setting_get_member(cs, "devices") : NULL;
                for (size_t d = 0; d < ch->ndevices && dl; d++)
                        if (ch->devices[d].npoints == 0 && ch->devices[d].name[0])
                                cfg_notice(ld, config_setting_get_elem(dl, (unsigned)d),
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
                gw_tls_free(&cfg->outstations[i].tls);
        }
        free(cfg->outstations);
        for (size_t i = 0; i < cfg->nchannels; i++) {
                free((char *)cfg->channels[i].serial.device);
                free(cfg->channels[i].tcp.host);
                gw_tls_free(&cfg->channels[i].tcp.tls);
                free(cfg->channels[i].devices);
        }
        free(cfg->channels);
        DNP_PTYPE_FOREACH(p) {
                const struct gw_point_list *l = &cfg->points[p->type];
                for (size_t i = 0; i < l->n; i++) {
                        for (uint32_t k = 0; k < l->v[i].nnames; k++)
                                free(l->v[i].names[k]);
                        free(l->v[i].names);
                }
                free(l->v);
        }
        free(cfg->path);
        free(cfg);
}

/* libconfig's parse error text, with a hint for the common array mistake. */
static void syntax_msg(const char *text, char *buf, size_t n)
{
        if (!text)
                text = "syntax error";
        if (strcmp(text, "mismatched element type in array") == 0)
                snprintf(buf, n, "%s (write every number of an array alike, "
                         "e.g. [ 1.0, 5.0, 30.0 ], or use a list ( 1, 5.0, 30 ))", text);
        else
                snprintf(buf, n, "%s", text);
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
                        cfg_err_at(ld, inc_file_name(ld, file), lineno,
                                   "@include \"%.*s\": escapes in file names are not supported",
                                   len, p);
                        continue;
                }
                if (n == 0) {
                        cfg_err_at(ld, inc_file_name(ld, file), lineno,
                                   "@include \"\": no file name");
                        continue;
                }
                char full[4096];
                int w = dir ? snprintf(full, sizeof(full), "%s/%.*s", dir, len, p)
                            : snprintf(full, sizeof(full), "%.*s", len, p);
                struct stat st;
                if (w < 0 || (size_t)w >= sizeof(full) || stat(full, &st) != 0)
                        continue;       /* libconfig: "cannot open include file" */
                if (!S_ISREG(st.st_mode)) {
                        cfg_err_at(ld, inc_file_name(ld, file), lineno,
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
                        char msg[256];
                        syntax_msg(config_error_text(&c), msg, sizeof(msg));
                        /* the only message: libconfig stops at the first syntax error */
                        cfg_err_at(&ld, config_error_file(&c), config_error_line(&c), "%s", msg);
                }
        } else {
                parse_root(&ld, config_root_setting(&c));
        }
        DNP_PTYPE_FOREACH(p)
                free(ld.pt[p->type]);

        if (!r && ld.oom)
                r = -ENOMEM;
        else if (!r && ld.nerr)
                r = -EINVAL;
        /* a file that could not be read or checked to the end: no messages */
        cfg_diag_flush(&ld, r != -ENOMEM && r != -EIO ? sink : NULL);
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
