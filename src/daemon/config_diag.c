/* SPDX-License-Identifier: MIT */
/*
 * The configuration loader's messages: every problem is collected with its
 * file and line, sorted by file (in the order they were first named) and
 * line, and handed to the caller's sink once the whole file was checked; at
 * most DIAG_MAX are kept.  Also the "did you mean" of unknown keys and names.
 */
#include "daemon/config_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DIAG_MAX 1000

struct diag {
        enum gw_diag_level level;
        const char *file;
        size_t fileno;
        int line;
        size_t seq;
        char *msg;
};

int cfg_line(const config_setting_t *s)
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
        vdiag_at(ld, level, s ? config_setting_source_file(s) : NULL, s ? cfg_line(s) : 0,
                 path ? s : NULL, fmt, ap);
}

/* An error at file:line, for problems found before libconfig has a setting. */
__attribute__((format(printf, 4, 5)))
void cfg_err_at(struct ld *ld, const char *file, int line, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vdiag_at(ld, GW_DIAG_ERROR, file, line, NULL, fmt, ap);
        va_end(ap);
}

/* fn(ld, s, fmt, ...): a problem of `level` about setting s, prefixed with its path when `path`. */
#define CFG_DIAG_FN(fn, level, path)                                                    \
        __attribute__((format(printf, 3, 4)))                                           \
        void fn(struct ld *ld, const config_setting_t *s, const char *fmt, ...)         \
        {                                                                               \
                va_list ap;                                                             \
                va_start(ap, fmt);                                                      \
                vdiag(ld, level, s, path, fmt, ap);                                     \
                va_end(ap);                                                             \
        }

CFG_DIAG_FN(cfg_err, GW_DIAG_ERROR, true)
CFG_DIAG_FN(cfg_err_plain, GW_DIAG_ERROR, false)       /* at s's line, without the path */
CFG_DIAG_FN(cfg_notice, GW_DIAG_NOTICE, true)

static int diag_cmp(const void *a, const void *b)
{
        const struct diag *x = a, *y = b;
        if (x->fileno != y->fileno)
                return x->fileno < y->fileno ? -1 : 1;
        if (x->line != y->line)
                return x->line < y->line ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cfg_diag_flush(struct ld *ld, const struct gw_diag_sink *sink)
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
size_t cfg_suggest_score(const char *word, const char *cand)
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

const char *cfg_suggest(const char *word, const char *const *cands, size_t n)
{
        const char *best = NULL;
        size_t bs = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
                if (!cands[i])
                        continue;
                size_t s = cfg_suggest_score(word, cands[i]);
                if (s < bs) {
                        bs = s;
                        best = cands[i];
                }
        }
        return best;
}
