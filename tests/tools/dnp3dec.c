/* SPDX-License-Identifier: MIT */
/*
 * dnp3dec: a test tool that decodes DNP3 byte streams into JSON lines.
 *
 * Input (stdin): lines "<direction> <hex>", e.g. "20000 0564...", where the
 * direction is any token (a TCP source port) and hex is a chunk of the byte
 * stream of that direction.  Each direction has its own link scanner and
 * transport reassembler.  Output (stdout), one JSON object per line:
 *
 *   {"type":"frame","dir":..,"dir_bit":1,"prm":1,"fcb":0,"fcv":0,"code":4,
 *    "func":"UNCONFIRMED_USER_DATA","dest":10,"src":1,"len":18}
 *   {"type":"apdu","dir":..,"fir":1,"fin":1,"con":0,"uns":0,"seq":3,"func":129,
 *    "func_name":"RESPONSE","iin":0,"objects":[{"group":30,"var":1,"qual":1,
 *    "start":0,"stop":2,"count":3,"values":[{"index":0,"flags":1,"value":12},..]}]}
 *   {"type":"apdu",...,"error":"<obj_err_name>","offset":N,"group":..,"var":..,"qual":..}
 *   {"type":"input_error","line":N}
 *   {"type":"stats","dirs":{"<dir>":{"link":{...},"tport":{...}}}}
 *
 * Not product code: it allocates, prints and exits freely.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/app.h"
#include "dnp3/cursor.h"
#include "dnp3/link.h"
#include "dnp3/obj.h"
#include "dnp3/transport.h"

#define MAX_DIRS 64
#define MAX_TOKEN 64

struct dir_state {
        char name[MAX_TOKEN];
        struct link_scanner scan;
        struct tport_rx rx;
        uint8_t frag[TPORT_MAX_FRAGMENT];
};

static struct dir_state *dirs[MAX_DIRS];
static size_t ndirs;

/* JSON string with the minimal escapes (tokens are ours, but be safe). */
static void put_str(const char *s)
{
        putchar('"');
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch == '"' || ch == '\\')
                        printf("\\%c", ch);
                else if (ch < 0x20 || ch >= 0x7f)
                        printf("\\u%04x", ch);
                else
                        putchar(ch);
        }
        putchar('"');
}

/* A double as a JSON number that reads back as exactly the same double. */
static void put_num(double v)
{
        if (v != v)
                printf("\"nan\"");
        else if (v > 1.7976931348623157e308)
                printf("\"inf\"");
        else if (v < -1.7976931348623157e308)
                printf("\"-inf\"");
        else
                printf("%.17g", v);
}

static struct dir_state *dir_get(const char *name)
{
        for (size_t i = 0; i < ndirs; i++)
                if (strcmp(dirs[i]->name, name) == 0)
                        return dirs[i];
        if (ndirs == MAX_DIRS)
                return NULL;
        struct dir_state *d = calloc(1, sizeof(*d));
        if (!d) {
                perror("calloc");
                exit(2);
        }
        snprintf(d->name, sizeof(d->name), "%s", name);
        link_scanner_init(&d->scan);
        tport_rx_init(&d->rx, d->frag, sizeof(d->frag));
        dirs[ndirs++] = d;
        return d;
}

/* ---- APDU ---------------------------------------------------------------- */

struct dec_ctx {
        bool first_hdr;
        bool first_val;
        bool open;              /* an object is open */
};

static void close_obj(struct dec_ctx *c)
{
        if (c->open)
                printf("]}");
        c->open = false;
}

static int on_header(void *ctx, const struct obj_hdr *h)
{
        struct dec_ctx *c = ctx;

        close_obj(c);
        printf("%s{\"group\":%u,\"var\":%u,\"qual\":%u", c->first_hdr ? "" : ",",
               (unsigned)h->group, (unsigned)h->var, (unsigned)h->qual);
        if (h->qual == OBJ_QUAL_RANGE8 || h->qual == OBJ_QUAL_RANGE16)
                printf(",\"start\":%" PRIu32 ",\"stop\":%" PRIu32, h->start, h->stop);
        printf(",\"count\":%" PRIu32 ",\"values\":[", h->count);
        c->first_hdr = false;
        c->first_val = true;
        c->open = true;
        return 0;
}

static void put_value(const struct obj_desc *d, const struct dnp_value *v)
{
        switch (dnp_type_value((enum dnp_type)d->type)) {
        case DNP_VAL_BIT:
                printf(",\"value\":%d", v->v.bit ? 1 : 0);
                break;
        case DNP_VAL_DBIT:
                printf(",\"value\":%u", (unsigned)v->v.dbit);
                break;
        case DNP_VAL_COUNT:
                printf(",\"value\":%" PRIu32, v->v.count);
                break;
        case DNP_VAL_ANALOG:
                printf(",\"value\":");
                put_num(v->v.analog);
                break;
        case DNP_VAL_CROB:
                printf(",\"crob\":{\"code\":%u,\"op\":%u,\"qu\":%u,\"cl\":%u,\"tcc\":%u,"
                       "\"count\":%u,\"on_ms\":%" PRIu32 ",\"off_ms\":%" PRIu32 ",\"status\":%u}",
                       (unsigned)v->v.crob.code, (unsigned)(v->v.crob.code & DNP_CROB_OP_MASK),
                       (unsigned)!!(v->v.crob.code & DNP_CROB_QUEUE),
                       (unsigned)!!(v->v.crob.code & DNP_CROB_CLEAR),
                       (unsigned)((v->v.crob.code & DNP_CROB_TCC_MASK) >> 6),
                       (unsigned)v->v.crob.count, v->v.crob.on_ms, v->v.crob.off_ms,
                       (unsigned)v->v.crob.status);
                break;
        case DNP_VAL_AOCMD:
                printf(",\"value\":");
                put_num(v->v.ao.value);
                printf(",\"status\":%u", (unsigned)v->v.ao.status);
                break;
        case DNP_VAL_DELAY:
                printf(",\"value\":%u", (unsigned)v->v.delay);
                break;
        case DNP_VAL_OCTETS:
                printf(",\"octets\":\"");
                for (size_t i = 0; i < v->v.octets.len; i++)
                        printf("%02x", (unsigned)v->v.octets.p[i]);
                printf("\"");
                break;
        default:
                break;
        }
        if (v->time_kind != DNP_TIME_NONE)
                printf(",\"time_ms\":%" PRIu64 ",\"time_kind\":\"%s\"", v->time,
                       v->time_kind == DNP_TIME_REL ? "rel" : "abs");
}

static int on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct dec_ctx *c = ctx;

        printf("%s{\"index\":%" PRIu32 ",\"flags\":%u", c->first_val ? "" : ",", v->index,
               (unsigned)v->flags);
        if (h->desc)
                put_value(h->desc, v);
        printf("}");
        c->first_val = false;
        return 0;
}

static void put_apdu(const struct dir_state *d, const uint8_t *apdu, size_t len)
{
        struct rd c;
        struct apdu_hdr h;

        printf("{\"type\":\"apdu\",\"dir\":");
        put_str(d->name);
        printf(",\"len\":%zu", len);
        rd_init(&c, apdu, len);
        if (apdu_parse_hdr(&c, &h) < 0) {
                printf(",\"error\":\"%s\",\"offset\":0}\n", obj_err_name(-EBADMSG));
                return;
        }
        const char *fname = app_func_name(h.func);
        printf(",\"fir\":%d,\"fin\":%d,\"con\":%d,\"uns\":%d,\"seq\":%u,\"func\":%u,"
               "\"func_name\":\"%s\",\"iin\":%u",
               h.fir, h.fin, h.con, h.uns, (unsigned)h.seq, (unsigned)h.func,
               fname ? fname : "UNKNOWN", (unsigned)h.iin);

        /* Validate first so that an error line carries no partial objects. */
        enum obj_mode mode = obj_mode_for_func(h.func);
        struct obj_parse_err err = { 0 };
        int r = obj_parse(c.p, rd_left(&c), mode, NULL, NULL, &err);
        if (r < 0) {
                printf(",\"error\":\"%s\",\"errno\":%d,\"offset\":%zu,\"group\":%u,\"var\":%u,"
                       "\"qual\":%u}\n",
                       obj_err_name(r), -r, err.offset, (unsigned)err.group, (unsigned)err.var,
                       (unsigned)err.qual);
                return;
        }
        struct dec_ctx ctx = { .first_hdr = true };
        const struct obj_visitor vis = { .on_header = on_header, .on_value = on_value };
        printf(",\"objects\":[");
        r = obj_parse(c.p, rd_left(&c), mode, &vis, &ctx, NULL);
        close_obj(&ctx);
        printf("]");
        if (r != 0)
                printf(",\"visit_error\":%d", r);
        printf("}\n");
}

/* ---- link ---------------------------------------------------------------- */

static void put_frame(const struct dir_state *d, const struct link_frame *f)
{
        enum link_func fn = link_func_from_wire(f->h.prm, f->h.code);

        printf("{\"type\":\"frame\",\"dir\":");
        put_str(d->name);
        printf(",\"dir_bit\":%d,\"prm\":%d,\"fcb\":%d,\"fcv\":%d,\"code\":%u,\"func\":\"%s\","
               "\"dest\":%u,\"src\":%u,\"len\":%zu}\n",
               f->h.dir, f->h.prm, f->h.fcb, f->h.fcv, (unsigned)f->h.code,
               fn == LINK_FUNC_MAX ? "UNKNOWN" : link_func_name(fn), (unsigned)f->h.dest,
               (unsigned)f->h.src, f->data_len);
}

static void handle_frame(struct dir_state *d, const struct link_frame *f)
{
        put_frame(d, f);
        if (f->data_len == 0)
                return;
        enum link_func fn = link_func_from_wire(f->h.prm, f->h.code);
        if (fn != LINK_FUNC_CONFIRMED_USER_DATA && fn != LINK_FUNC_UNCONFIRMED_USER_DATA)
                return;
        const uint8_t *apdu;
        size_t alen;
        if (tport_rx_push(&d->rx, f->data, f->data_len, &apdu, &alen) == 1)
                put_apdu(d, apdu, alen);
}

static void feed(struct dir_state *d, const uint8_t *p, size_t n)
{
        while (n > 0) {
                size_t used = link_scanner_feed(&d->scan, p, n);
                p += used;
                n -= used;
                struct link_frame f;
                while (link_scanner_next(&d->scan, &f) > 0)
                        handle_frame(d, &f);
                if (used == 0 && n > 0) {
                        /* full scanner that produced nothing: should not happen */
                        fprintf(stderr, "dnp3dec: scanner stuck\n");
                        exit(2);
                }
        }
}

static int hexval(int ch)
{
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* Decode hex (':' separators allowed) in place; returns length or -1. */
static long unhex(char *s, uint8_t *out)
{
        size_t n = 0;
        int hi = -1;

        for (; *s; s++) {
                if (*s == ':' || isspace((unsigned char)*s))
                        continue;
                int v = hexval((unsigned char)*s);
                if (v < 0)
                        return -1;
                if (hi < 0) {
                        hi = v;
                } else {
                        out[n++] = (uint8_t)(hi << 4 | v);
                        hi = -1;
                }
        }
        return hi < 0 ? (long)n : -1;
}

static void put_stats(void)
{
        printf("{\"type\":\"stats\",\"dirs\":{");
        for (size_t i = 0; i < ndirs; i++) {
                const struct link_stats *l = &dirs[i]->scan.stats;
                const struct tport_stats *t = &dirs[i]->rx.stats;
                printf("%s", i ? "," : "");
                put_str(dirs[i]->name);
                printf(":{\"link\":{\"frames\":%" PRIu64 ",\"bytes_discarded\":%" PRIu64
                       ",\"hdr_crc_errors\":%" PRIu64 ",\"body_crc_errors\":%" PRIu64
                       ",\"bad_length\":%" PRIu64 ",\"pending\":%zu},",
                       l->frames, l->bytes_discarded, l->hdr_crc_errors, l->body_crc_errors,
                       l->bad_length, dirs[i]->scan.len);
                printf("\"tport\":{\"fragments\":%" PRIu64 ",\"discarded_segments\":%" PRIu64
                       ",\"discarded_fragments\":%" PRIu64 ",\"overflows\":%" PRIu64
                       ",\"active\":%d}}",
                       t->fragments, t->discarded_segments, t->discarded_fragments,
                       t->overflows, dirs[i]->rx.active);
        }
        printf("}}\n");
}

int main(void)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t got;
        unsigned long lineno = 0;

        while ((got = getline(&line, &cap, stdin)) >= 0) {
                lineno++;
                char *sp = line;
                while (*sp && !isspace((unsigned char)*sp))
                        sp++;
                if (sp == line)
                        continue;               /* empty line */
                char tok[MAX_TOKEN];
                size_t tlen = (size_t)(sp - line);
                if (tlen >= sizeof(tok))
                        tlen = sizeof(tok) - 1;
                memcpy(tok, line, tlen);
                tok[tlen] = '\0';
                uint8_t *bytes = malloc((size_t)got / 2 + 1);
                if (!bytes) {
                        perror("malloc");
                        return 2;
                }
                long n = unhex(sp, bytes);
                struct dir_state *d = dir_get(tok);
                if (n < 0 || !d)
                        printf("{\"type\":\"input_error\",\"line\":%lu}\n", lineno);
                else
                        feed(d, bytes, (size_t)n);
                free(bytes);
        }
        free(line);
        put_stats();
        for (size_t i = 0; i < ndirs; i++)
                free(dirs[i]);
        return ferror(stdout) ? 1 : 0;
}
