/* SPDX-License-Identifier: MIT */
/* The serial-line vocabulary (serial_names.h): names, values and the reasons a value is refused. */
#include "io/serial_names.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dnp3/names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define PARITY_NAME(name, str) [IO_PARITY_##name] = str,
NAMES_DEFINE(io_parity_name, enum io_parity, IO_PARITY_LIST, PARITY_NAME)

#define FLOW_NAME(name, str, refused) [IO_FLOW_##name] = str,
NAMES_DEFINE(io_flow_name, enum io_flow, IO_FLOW_LIST, FLOW_NAME)

static const char *const flow_refused[] = {
#define X(name, str, refused) [IO_FLOW_##name] = refused,
        IO_FLOW_LIST(X)
#undef X
};

#define NAMES_MAX 8             /* the longest name table names_parse() takes */
_Static_assert((int)IO_PARITY_MAX <= NAMES_MAX && (int)IO_FLOW_MAX <= NAMES_MAX,
               "names_parse() holds a table in accepted[NAMES_MAX]");

static const long long bauds[] = {
#define X(rate) rate,
        IO_BAUD_LIST(X)
#undef X
};

/* Appends to why[0..n-1] at *len; stops quietly when full. */
__attribute__((format(printf, 4, 5)))
static void why_add(char *why, size_t n, size_t *len, const char *fmt, ...)
{
        va_list ap;
        if (*len >= n)
                return;
        va_start(ap, fmt);
        int w = vsnprintf(why + *len, n - *len, fmt, ap);
        va_end(ap);
        if (w > 0)
                *len += (size_t)w;
}

/*
 * s in names[0..k-1] (k <= NAMES_MAX), not refused (refused NULL: none is;
 * refused[i] NULL: names[i] is not): its index, or -EINVAL and why.
 */
static int names_parse(const char *s, const char *const *names, const char *const *refused,
                       size_t k, io_names_hint_fn *hint, char *why, size_t n)
{
        const char *accepted[NAMES_MAX];        /* names[], NULL where refused */
        size_t len = 0;

        for (size_t i = 0; i < k; i++) {
                const char *no = refused ? refused[i] : NULL;
                accepted[i] = no ? NULL : names[i];
                if (strcmp(s, names[i]) != 0)
                        continue;
                if (!no)
                        return (int)i;
                why_add(why, n, &len, "\"%s\" is not supported: %s", s, no);
                return -EINVAL;
        }
        why_add(why, n, &len, "\"%s\" is not one of ", s);
        const char *sep = "";
        for (size_t i = 0; i < k; i++) {
                if (!accepted[i])
                        continue;
                why_add(why, n, &len, "%s%s", sep, accepted[i]);
                sep = ", ";
        }
        const char *best = hint ? hint(s, accepted, k) : NULL;
        if (best)
                why_add(why, n, &len, " (did you mean \"%s\"?)", best);
        return -EINVAL;
}

int io_parity_parse(const char *s, enum io_parity *ret, io_names_hint_fn *hint, char *why,
                    size_t n)
{
        int r = names_parse(s, io_parity_name_tab, NULL, ARRAY_SIZE(io_parity_name_tab), hint, why, n);
        if (r < 0)
                return r;
        *ret = (enum io_parity)r;
        return 0;
}

int io_flow_parse(const char *s, enum io_flow *ret, io_names_hint_fn *hint, char *why, size_t n)
{
        int r = names_parse(s, io_flow_name_tab, flow_refused, ARRAY_SIZE(io_flow_name_tab), hint, why, n);
        if (r < 0)
                return r;
        *ret = (enum io_flow)r;
        return 0;
}

int io_baud_check(long long v, char *why, size_t n)
{
        size_t len = 0;
        for (size_t i = 0; i < ARRAY_SIZE(bauds); i++)
                if (bauds[i] == v)
                        return 0;
        why_add(why, n, &len, "%lld is not a supported baud rate (", v);
        for (size_t i = 0; i < ARRAY_SIZE(bauds); i++)
                why_add(why, n, &len, "%s%lld", i ? ", " : "", bauds[i]);
        why_add(why, n, &len, ")");
        return -EINVAL;
}

int io_data_bits_check(long long v, char *why, size_t n)
{
        if (v == 8)
                return 0;
        snprintf(why, n, "%lld is not supported: DNP3 needs 8 data bits", v);
        return -EINVAL;
}

int io_stop_bits_check(long long v, char *why, size_t n)
{
        if (v == 1 || v == 2)
                return 0;
        snprintf(why, n, "%lld is not supported (1 or 2)", v);
        return -EINVAL;
}
