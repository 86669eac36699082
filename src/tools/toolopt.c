/* SPDX-License-Identifier: MIT */
#include "toolopt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int toolopt_u64(const char *s, uint64_t max, uint64_t *ret)
{
        char *end;
        if (!s || !*s || *s == '-')
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 0);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

int toolopt_enum(const char *s, const char *const *names, size_t n, unsigned *ret)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(s, names[i]) == 0) {
                        *ret = (unsigned)i;
                        return 0;
                }
        return -EINVAL;
}

static int range(const char *s, uint64_t min, uint64_t max, unsigned *ret)
{
        uint64_t u;
        if (toolopt_u64(s, max, &u) < 0 || u < min)
                return -EINVAL;
        *ret = (unsigned)u;
        return 0;
}

int toolopt_baud(const char *s, struct io_serial_cfg *c)
{
        return range(s, 50, 4000000, &c->baud);
}

int toolopt_data_bits(const char *s, struct io_serial_cfg *c)
{
        return range(s, 5, 8, &c->data_bits);
}

int toolopt_stop_bits(const char *s, struct io_serial_cfg *c)
{
        return range(s, 1, 2, &c->stop_bits);
}

int toolopt_parity(const char *s, struct io_serial_cfg *c)
{
        /* in enum io_parity order */
        static const char *const names[] = { "none", "odd", "even", "mark", "space" };
        unsigned v;
        int r = toolopt_enum(s, names, sizeof(names) / sizeof(names[0]), &v);
        if (r == 0)
                c->parity = (enum io_parity)v;
        return r;
}

int toolopt_flow(const char *s, struct io_serial_cfg *c)
{
        /* in enum io_flow order */
        static const char *const names[] = { "none", "rtscts", "xonxoff", "dtrdsr" };
        unsigned v;
        int r = toolopt_enum(s, names, sizeof(names) / sizeof(names[0]), &v);
        if (r == 0)
                c->flow = (enum io_flow)v;
        return r;
}
