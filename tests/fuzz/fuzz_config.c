/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the configuration loader (libconfig text in, a
 * validated struct gw_config or a list of FILE:LINE problems out).
 *
 * The input is written to a file in a private scratch directory and loaded
 * with gw_config_load(), exactly as dnp3gwd -t and the daemon do.  Checks:
 * no crash, leak or sanitizer report (ASan/UBSan), every diagnostic names a
 * file and a line >= 0 and has a message, a failed load reports at least one
 * error and returns no config, a successful one reports no error and its
 * summary line is produced.  libFuzzer's -rss_limit_mb catches an allocation
 * driven by the file's numbers.
 *
 * @include is part of the format (and is followed relative to the file's
 * folder, where the scratch directory holds one small include file); inputs
 * whose @include names a path ('/': outside that folder) are not run, so the
 * target reads no file of the host; the loader itself refuses escapes and
 * anything but a regular file.  The same for a tls group's files (absolute
 * paths, or the defaults under /etc/dnp3gw/tls, which a test host does not
 * have): inputs with "tls" whose quoted paths lie outside /nonexistent/ and
 * /dev/ are not run.
 *
 * The scratch folder is made under $TMPDIR (else /tmp) and removed at exit.
 *
 * Seed corpus: tests/fuzz/corpus/config/ (the config tests' valid and broken
 * files and the shipped examples).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
        if (!ok)
                abort();
}

struct diag_count {
        unsigned errors;
        unsigned notices;
};

static void on_diag(void *ctx, enum gw_diag_level level, const char *file, int line,
                    const char *msg)
{
        struct diag_count *dc = ctx;

        check(file != NULL && file[0] != '\0');
        check(line >= 0);
        check(msg != NULL && msg[0] != '\0' && strlen(msg) < 4096);
        if (level == GW_DIAG_ERROR)
                dc->errors++;
        else
                dc->notices++;
}

/* The scratch folder (under $TMPDIR, else /tmp) and its two files; removed at exit. */
static char scratch[4096];
static char conf_path[4096 + 16];
static char inc_path[4096 + 16];

static void scratch_remove(void)
{
        unlink(conf_path);
        unlink(inc_path);
        rmdir(scratch);
}

static void scratch_init(void)
{
        FILE *f;

        if (scratch[0])
                return;
        const char *tmp = getenv("TMPDIR");
        int w = snprintf(scratch, sizeof(scratch), "%s/fuzz_config.XXXXXX",
                         tmp && tmp[0] ? tmp : "/tmp");
        check(w > 0 && (size_t)w < sizeof(scratch));
        check(mkdtemp(scratch) != NULL);
        snprintf(conf_path, sizeof(conf_path), "%s/dnp3gw.conf", scratch);
        snprintf(inc_path, sizeof(inc_path), "%s/points.inc", scratch);
        check(atexit(scratch_remove) == 0);
        f = fopen(inc_path, "w");
        check(f != NULL);
        fputs("binary_inputs = ( { index = 0; count = 2; device = \"bay1/relay1\"; "
              "source_index = 0; class = 1; } );\n", f);
        check(fclose(f) == 0);
}

/* An @include (any case) whose quoted name holds '/', or runs to the end. */
static int include_names_path(const uint8_t *data, size_t size)
{
        static const char kw[] = "@include";
        const size_t kwlen = sizeof(kw) - 1;

        for (size_t i = 0; i + kwlen <= size; i++) {
                size_t k = 0;
                while (k < kwlen && (data[i + k] | 0x20) == (kw[k] | 0x20))
                        k++;
                if (k < kwlen)
                        continue;
                size_t j = i + kwlen;
                while (j < size && data[j] != '"' && data[j] != '\n')
                        j++;
                if (j >= size || data[j] != '"')
                        continue;
                for (j++; j < size && data[j] != '"'; j++)
                        if (data[j] == '/')
                                return 1;
                if (j >= size)
                        return 1;
        }
        return 0;
}

static int has(const uint8_t *data, size_t size, const char *s)
{
        size_t n = strlen(s);
        for (size_t i = 0; i + n <= size; i++)
                if (memcmp(data + i, s, n) == 0)
                        return 1;
        return 0;
}

/*
 * An input with a tls group whose quoted strings name a path outside
 * /nonexistent/ and /dev/ (which the loader only stat()s: not a regular
 * file): the loader would read that host file as a certificate or key.
 */
static int tls_names_path(const uint8_t *data, size_t size)
{
        if (!has(data, size, "tls"))
                return 0;
        for (size_t i = 0; i + 1 < size; i++) {
                if (data[i] != '"' || data[i + 1] != '/')
                        continue;
                const uint8_t *p = data + i + 1;
                size_t left = size - i - 1;
                if (!(left >= 13 && memcmp(p, "/nonexistent/", 13) == 0) &&
                    !(left >= 5 && memcmp(p, "/dev/", 5) == 0))
                        return 1;
                for (i++; i + 1 < size && data[i + 1] != '"'; i++)
                        ;
                i++;            /* the closing quote is no opening one */
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct diag_count dc = { 0, 0 };
        struct gw_diag_sink sink = { on_diag, &dc };
        struct gw_config *cfg = NULL;
        char summary[512];
        FILE *f;
        int r;

        if (include_names_path(data, size) || tls_names_path(data, size))
                return 0;
        scratch_init();
        f = fopen(conf_path, "wb");
        check(f != NULL);
        check(fwrite(data, 1, size, f) == size);
        check(fclose(f) == 0);

        r = gw_config_load(conf_path, &cfg, &sink);
        if (r == 0) {
                check(cfg != NULL);
                check(dc.errors == 0);
                check(gw_config_summary(cfg, summary, sizeof(summary)) == summary);
                check(memchr(summary, '\0', sizeof(summary)) != NULL);
                gw_config_free(cfg);
        } else {
                check(r == -EINVAL || r == -ENOMEM || r == -ENOENT || r == -EIO);
                check(r != -EINVAL || dc.errors > 0);
        }
        return 0;
}
