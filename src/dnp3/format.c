/* SPDX-License-Identifier: MIT */
/*
 * Human-readable decoding for trace logs (see format.h).  Objects are decoded
 * only through obj_parse() and its visitor; nothing here reads wire bytes by
 * itself except the APDU header, which goes through apdu_parse_hdr().
 *
 * Output goes through a small sink that never writes past n - 1 characters
 * plus the NUL, and replaces the tail with "..." once something did not fit.
 */
#include "format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cursor.h"
#include "dnptime.h"

#define FMT_ELLIPSIS "..."

struct fmt_out {
        char *buf;
        size_t n;               /* buffer size including the NUL */
        size_t len;             /* characters written */
        bool trunc;
};

static void fmt_out_init(struct fmt_out *o, char *buf, size_t n)
{
        *o = (struct fmt_out){ .buf = buf, .n = buf ? n : 0 };
        if (o->n > 0)
                o->buf[0] = '\0';
}

static void fmt_out_puts(struct fmt_out *o, const char *s)
{
        if (o->trunc)
                return;
        for (; *s; s++) {
                if (o->len + 1 >= o->n) {
                        o->trunc = true;
                        return;
                }
                o->buf[o->len++] = *s;
        }
}

__attribute__((format(printf, 2, 3)))
static void fmt_out_printf(struct fmt_out *o, const char *fmt, ...)
{
        char tmp[128];
        va_list ap;

        if (o->trunc)
                return;
        va_start(ap, fmt);
        int r = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (r < 0)
                return;
        fmt_out_puts(o, tmp);
        if ((size_t)r >= sizeof(tmp))
                o->trunc = true;
}

/* NUL-terminate; on truncation the last (up to) three characters become "...". */
static size_t fmt_out_finish(struct fmt_out *o)
{
        if (o->n == 0)
                return 0;
        if (o->trunc) {
                size_t dots = strlen(FMT_ELLIPSIS);
                if (dots > o->n - 1)
                        dots = o->n - 1;
                o->len = o->n - 1;
                memcpy(o->buf + o->len - dots, FMT_ELLIPSIS, dots);
        }
        o->buf[o->len] = '\0';
        return o->len;
}

/* ---- link ---------------------------------------------------------------- */

size_t fmt_link(char *buf, size_t n, const struct link_frame *f)
{
        struct fmt_out o;
        const struct link_hdr *h = &f->h;

        fmt_out_init(&o, buf, n);
        if (h->dir)
                fmt_out_puts(&o, "DIR ");
        if (h->prm)
                fmt_out_puts(&o, "PRM ");
        if (h->fcb)
                fmt_out_puts(&o, "FCB ");
        if (h->fcv)
                fmt_out_puts(&o, h->prm ? "FCV " : "DFC ");
        enum link_func fn = link_func_from_wire(h->prm, h->code);
        if (fn == LINK_FUNC_MAX)
                fmt_out_printf(&o, "FUNC_%s_%u", h->prm ? "PRI" : "SEC", (unsigned)h->code);
        else
                fmt_out_puts(&o, link_func_name(fn));
        fmt_out_printf(&o, " %u->%u len=%zu", (unsigned)h->src, (unsigned)h->dest, f->data_len);
        return fmt_out_finish(&o);
}

/* ---- values -------------------------------------------------------------- */

static bool fmt_has_flags(uint8_t fmt)
{
        switch (fmt) {
        case OBJ_FMT_FLAGS:
        case OBJ_FMT_FLAGS_T48:
        case OBJ_FMT_FLAGS_T16:
        case OBJ_FMT_FLAGS_U32:
        case OBJ_FMT_FLAGS_U16:
        case OBJ_FMT_FLAGS_U32_T48:
        case OBJ_FMT_FLAGS_U16_T48:
        case OBJ_FMT_FLAGS_I32:
        case OBJ_FMT_FLAGS_I16:
        case OBJ_FMT_FLAGS_F32:
        case OBJ_FMT_FLAGS_F64:
        case OBJ_FMT_FLAGS_I32_T48:
        case OBJ_FMT_FLAGS_I16_T48:
        case OBJ_FMT_FLAGS_F32_T48:
        case OBJ_FMT_FLAGS_F64_T48:
                return true;
        default:
                return false;
        }
}

static bool fmt_is_f32(uint8_t fmt)
{
        return fmt == OBJ_FMT_FLAGS_F32 || fmt == OBJ_FMT_FLAGS_F32_T48 || fmt == OBJ_FMT_AO_F32;
}

/*
 * The shortest decimal text that reads back as the same value (as a float
 * for single-precision variations), so traces show "12.5", not
 * "12.500000000000000".
 */
static void fmt_out_number(struct fmt_out *o, double v, bool f32)
{
        char tmp[40];

        if (v != v) {
                fmt_out_puts(o, "nan");
                return;
        }
        if (v > -1e17 && v < 1e17 && v == (double)(int64_t)v) {
                fmt_out_printf(o, "%" PRId64, (int64_t)v);
                return;
        }
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
                double back = strtod(tmp, NULL);
                if (f32 ? (float)back == (float)v : back == v)
                        break;
        }
        fmt_out_puts(o, tmp);
}

/* A CROB: its trip-close code unless NUL, its operation type; by number (TCC_3, OP_5) if unnamed. */
static void fmt_out_crob(struct fmt_out *o, const struct dnp_crob *c)
{
        unsigned tcc = dnp_crob_tcc(c->code), op = dnp_crob_op(c->code);
        const char *s = dnp_crob_tcc_name_find(tcc);
        if (tcc != DNP_CROB_TCC_NUL && s)
                fmt_out_printf(o, "%s ", s);
        else if (tcc != DNP_CROB_TCC_NUL)
                fmt_out_printf(o, "TCC_%u ", tcc);
        s = dnp_crob_op_name_find(op);
        if (s)
                fmt_out_puts(o, s);
        else
                fmt_out_printf(o, "OP_%u", op);
        if (c->code & DNP_CROB_QUEUE)
                fmt_out_puts(o, " QUEUE");
        if (c->code & DNP_CROB_CLEAR)
                fmt_out_puts(o, " CLEAR");
        fmt_out_printf(o, " count=%u on=%" PRIu32 "ms off=%" PRIu32 "ms %s",
                       (unsigned)c->count, c->on_ms, c->off_ms, dnp_cmd_status_name(c->status));
}

static void fmt_out_value(struct fmt_out *o, const struct obj_desc *d, const struct dnp_value *v)
{
        fmt_out_printf(o, "%" PRIu32 "=", v->index);
        switch (dnp_type_value(d->type)) {
        case DNP_VAL_BIT:
                fmt_out_puts(o, v->v.bit ? "1" : "0");
                break;
        case DNP_VAL_DBIT:
                fmt_out_puts(o, dnp_dbit_name((uint8_t)(v->v.dbit & 3u)));
                break;
        case DNP_VAL_COUNT:
                fmt_out_printf(o, "%" PRIu32, v->v.count);
                break;
        case DNP_VAL_ANALOG:
                fmt_out_number(o, v->v.analog, fmt_is_f32(d->fmt));
                break;
        case DNP_VAL_CROB:
                fmt_out_crob(o, &v->v.crob);
                break;
        case DNP_VAL_AOCMD:
                fmt_out_number(o, v->v.ao.value, fmt_is_f32(d->fmt));
                fmt_out_printf(o, " %s", dnp_cmd_status_name(v->v.ao.status));
                break;
        case DNP_VAL_DELAY:
                fmt_out_printf(o, "%u%s", (unsigned)v->v.delay, d->var == 1 ? "s" : "ms");
                break;
        case DNP_VAL_OCTETS:
                if (v->v.octets.len == 0)
                        fmt_out_puts(o, "\"\"");
                for (size_t i = 0; i < v->v.octets.len; i++)
                        fmt_out_printf(o, "%02x", (unsigned)v->v.octets.p[i]);
                break;
        case DNP_VAL_TIME:
                /* the value is the time itself, printed below */
                break;
        case DNP_VAL_NONE:
                fmt_out_puts(o, "-");
                break;
        }
        if (fmt_has_flags(d->fmt))
                fmt_out_printf(o, " (0x%02x)", (unsigned)v->flags);
        if (v->time_kind != DNP_TIME_NONE) {
                char t[32];
                if (dnp_type_value(d->type) != DNP_VAL_TIME)
                        fmt_out_puts(o, " t=");
                fmt_out_puts(o, dnptime_format(v->time, t, sizeof(t)));
        }
}

size_t fmt_value(char *buf, size_t n, const struct obj_desc *d, const struct dnp_value *v)
{
        struct fmt_out o;

        fmt_out_init(&o, buf, n);
        fmt_out_value(&o, d, v);
        return fmt_out_finish(&o);
}

/* ---- APDU ---------------------------------------------------------------- */

struct fmt_apdu_ctx {
        struct fmt_out *o;
        enum obj_mode mode;
        bool values;
};

static void fmt_out_obj_hdr(struct fmt_out *o, const struct obj_hdr *h)
{
        fmt_out_printf(o, " g%uv%u q=0x%02x", (unsigned)h->group, (unsigned)h->var,
                       (unsigned)h->qual);
        switch (h->qual) {
        case OBJ_QUAL_RANGE8:
        case OBJ_QUAL_RANGE16:
                fmt_out_printf(o, " [%" PRIu32 "..%" PRIu32 "]", h->start, h->stop);
                break;
        case OBJ_QUAL_ALL:
                break;
        default:
                fmt_out_printf(o, " [n=%" PRIu32 "]", h->count);
                break;
        }
}

static int fmt_on_header(void *ctx, const struct obj_hdr *h)
{
        struct fmt_apdu_ctx *c = ctx;

        fmt_out_obj_hdr(c->o, h);
        return c->o->trunc ? -ENOBUFS : 0;
}

static int fmt_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct fmt_apdu_ctx *c = ctx;

        if (!c->values)
                return 0;
        fmt_out_puts(c->o, " ");
        if (c->mode == OBJ_MODE_DATA && h->desc)
                fmt_out_value(c->o, h->desc, v);
        else
                fmt_out_printf(c->o, "%" PRIu32, v->index);
        return c->o->trunc ? -ENOBUFS : 0;
}

size_t fmt_apdu(char *buf, size_t n, const uint8_t *apdu, size_t len, bool values)
{
        struct fmt_out o;
        struct rd c;
        struct apdu_hdr h;

        fmt_out_init(&o, buf, n);
        rd_init(&c, apdu, len);
        if (apdu_parse_hdr(&c, &h) < 0) {
                fmt_out_printf(&o, "MALFORMED: %s at offset 0 (APDU header, %zu bytes)",
                               obj_err_name(-EBADMSG), len);
                return fmt_out_finish(&o);
        }
        if (h.fir)
                fmt_out_puts(&o, "FIR ");
        if (h.fin)
                fmt_out_puts(&o, "FIN ");
        if (h.con)
                fmt_out_puts(&o, "CON ");
        if (h.uns)
                fmt_out_puts(&o, "UNS ");
        fmt_out_printf(&o, "SEQ=%u ", (unsigned)h.seq);
        const char *fname = app_func_name(h.func);
        if (fname)
                fmt_out_puts(&o, fname);
        else
                fmt_out_printf(&o, "FUNC_%u", (unsigned)h.func);
        if (app_func_is_response(h.func)) {
                char iin[512];
                fmt_out_printf(&o, " IIN=[");
                fmt_out_puts(&o, app_iin_format(h.iin, iin, sizeof(iin)));
                fmt_out_puts(&o, "]");
        }

        size_t hdr_len = len - rd_left(&c);
        enum obj_mode mode = obj_mode_for_func(h.func);
        struct fmt_apdu_ctx ctx = { .o = &o, .mode = mode, .values = values };
        const struct obj_visitor vis = { .on_header = fmt_on_header, .on_value = fmt_on_value };
        struct obj_parse_err err = { 0 };
        int r = obj_parse(c.p, rd_left(&c), mode, &vis, &ctx, &err);
        if (r < 0 && !o.trunc)
                fmt_out_printf(&o, " MALFORMED: %s at offset %zu (g%uv%u q=0x%02x)",
                               obj_err_name(r), hdr_len + err.offset, (unsigned)err.group,
                               (unsigned)err.var, (unsigned)err.qual);
        return fmt_out_finish(&o);
}
