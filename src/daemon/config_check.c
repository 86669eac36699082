/* SPDX-License-Identifier: MIT */
/* dnp3gwd -t: check a configuration file and print every problem. */
#include "daemon/config.h"

#include <errno.h>
#include <string.h>
#include <sysexits.h>

struct check_ctx {
        FILE *out;
        size_t errors;
};

static void check_sink(void *ctx, enum gw_diag_level level, const char *file, int line,
                       const char *msg)
{
        struct check_ctx *c = ctx;
        const char *kind = level == GW_DIAG_NOTICE ? "notice: " : "";

        if (level == GW_DIAG_ERROR)
                c->errors++;
        if (line > 0)
                fprintf(c->out, "%s:%d: %s%s\n", file, line, kind, msg);
        else
                fprintf(c->out, "%s: %s%s\n", file, kind, msg);
}

int gw_config_check_main(const char *path, FILE *out)
{
        struct check_ctx c = { .out = out };
        const struct gw_diag_sink sink = { .fn = check_sink, .ctx = &c };
        struct gw_config *cfg;

        int r = gw_config_load(path, &cfg, &sink);
        if (r == -EINVAL) {
                fprintf(out, "%s: %zu error%s\n", path, c.errors, c.errors == 1 ? "" : "s");
                return EX_CONFIG;
        }
        if (r < 0) {
                fprintf(out, "%s: %s\n", path, strerror(-r));
                return EX_CONFIG;
        }
        char buf[256];
        fprintf(out, "%s: OK (%s)\n", path, gw_config_summary(cfg, buf, sizeof(buf)));
        gw_config_free(cfg);
        return 0;
}
