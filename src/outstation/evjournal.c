/* SPDX-License-Identifier: MIT */
/* The event journal's records: see evjournal.h for the format. */
#include "outstation/evjournal.h"

#include <errno.h>
#include <string.h>

#include "dnp3/crc.h"
#include "dnp3/names.h"
#include "dnp3/ptype.h"

NAMES_DEFINE(evj_stop_name, enum evj_stop, EVJ_STOP_LIST, NAMES_BY_ORDER)

#define EVJ_MAGIC_LEN 8u

/* Append the CRC of the `len` bytes written since `start`. */
static void evj_seal(struct wr *w, size_t start)
{
        uint32_t crc = crc_32c(w->p + start, w->len - start);
        (void)wr_le32(w, crc);  /* the caller reserved room for it */
}

int evj_write_header(struct wr *w)
{
        if (wr_left(w) < EVJ_HEADER_LEN)
                return -ENOBUFS;
        size_t start = w->len;
        (void)wr_bytes(w, EVJ_MAGIC, EVJ_MAGIC_LEN);
        (void)wr_le16(w, EVJ_VERSION);
        (void)wr_le16(w, EVJ_HEADER_LEN);
        evj_seal(w, start);
        return 0;
}

int evj_write_add(struct wr *w, const struct ev *e, unsigned cls)
{
        if (cls < 1 || cls > 3)
                return -EINVAL;
        if (wr_left(w) < EVJ_ADD_LEN)
                return -ENOBUFS;
        size_t start = w->len;
        (void)wr_u8(w, EVJ_ADD);
        (void)wr_le32(w, e->seq);
        (void)wr_u8(w, (uint8_t)cls);
        (void)wr_u8(w, e->type);
        (void)wr_u8(w, e->var);
        (void)wr_u8(w, e->flags);
        (void)wr_le16(w, e->index);
        (void)wr_le16(w, e->src);
        (void)wr_le48(w, e->time & 0xffffffffffffull);
        (void)wr_f64(w, e->value);
        evj_seal(w, start);
        return 0;
}

int evj_write_remove(struct wr *w, uint32_t first, uint32_t count)
{
        if (count == 0)
                return -EINVAL;
        if (wr_left(w) < EVJ_REMOVE_LEN)
                return -ENOBUFS;
        size_t start = w->len;
        (void)wr_u8(w, EVJ_REMOVE);
        (void)wr_le32(w, first);
        (void)wr_le32(w, count);
        evj_seal(w, start);
        return 0;
}

void evj_patch_remove(uint8_t *p, uint32_t first, uint32_t count)
{
        struct wr w;
        wr_init(&w, p, EVJ_REMOVE_LEN);
        (void)evj_write_remove(&w, first, count);
}

static void evj_stop(struct evj_scan *s, enum evj_stop why)
{
        s->stopped = true;
        s->stop = why;
}

void evj_scan_init(struct evj_scan *s, const uint8_t *buf, size_t len)
{
        *s = (struct evj_scan){ .len = len };
        rd_init(&s->c, buf, len);
        if (len == 0) {
                evj_stop(s, EVJ_STOP_END);
                return;
        }
        struct rd h;
        if (rd_sub(&s->c, EVJ_HEADER_LEN, &h) < 0) {
                /* a header cut short: ours if what there is of it matches */
                size_t n = len < EVJ_MAGIC_LEN ? len : EVJ_MAGIC_LEN;
                bool ours = memcmp(s->c.p, EVJ_MAGIC, n) == 0;
                evj_stop(s, ours ? EVJ_STOP_TORN : EVJ_STOP_FOREIGN);
                return;
        }
        const uint8_t *magic = h.p;
        uint16_t version = 0, hlen = 0;
        uint32_t crc = 0;
        (void)rd_take(&h, EVJ_MAGIC_LEN, &magic);
        (void)rd_le16(&h, &version);
        (void)rd_le16(&h, &hlen);
        (void)rd_le32(&h, &crc);
        if (memcmp(magic, EVJ_MAGIC, EVJ_MAGIC_LEN) != 0 || version != EVJ_VERSION ||
            hlen != EVJ_HEADER_LEN) {
                evj_stop(s, EVJ_STOP_FOREIGN);
                return;
        }
        if (crc_32c(magic, EVJ_HEADER_LEN - 4) != crc) {
                evj_stop(s, EVJ_STOP_BAD_CRC);
                return;
        }
        s->good = EVJ_HEADER_LEN;
}

/* Whether seq comes after last (modulo 2^32, within half the range). */
static bool evj_seq_after(uint32_t seq, uint32_t last)
{
        uint32_t d = seq - last;
        return d != 0 && d < 0x80000000u;
}

static bool evj_add_valid(const struct evj_event *e)
{
        return e->cls >= 1 && e->cls <= 3 && dnp_ptype_valid((enum dnp_type)e->type);
}

int evj_scan_next(struct evj_scan *s, struct evj_rec *ret)
{
        if (s->stopped)
                return 0;
        if (rd_left(&s->c) == 0) {
                evj_stop(s, EVJ_STOP_END);
                return 0;
        }
        struct rd peek = s->c;
        uint8_t first;
        size_t need;
        (void)rd_u8(&peek, &first);
        switch (first) {
        case EVJ_ADD:
                need = EVJ_ADD_LEN;
                break;
        case EVJ_REMOVE:
                need = EVJ_REMOVE_LEN;
                break;
        default:
                evj_stop(s, EVJ_STOP_BAD_RECORD);
                return 0;
        }
        struct rd r;
        if (rd_sub(&s->c, need, &r) < 0) {
                evj_stop(s, EVJ_STOP_TORN);
                return 0;
        }
        const uint8_t *body = r.p;
        struct evj_rec rec = { 0 };
        uint8_t kind = 0;
        uint32_t crc = 0;
        (void)rd_u8(&r, &kind);
        rec.kind = (enum evj_kind)kind;
        if (kind == EVJ_ADD) {
                struct evj_event *e = &rec.ev;
                (void)rd_le32(&r, &e->seq);
                (void)rd_u8(&r, &e->cls);
                (void)rd_u8(&r, &e->type);
                (void)rd_u8(&r, &e->var);
                (void)rd_u8(&r, &e->flags);
                (void)rd_le16(&r, &e->index);
                (void)rd_le16(&r, &e->src);
                (void)rd_le48(&r, &e->time);
                (void)rd_f64(&r, &e->value);
        } else {
                (void)rd_le32(&r, &rec.first);
                (void)rd_le32(&r, &rec.count);
        }
        (void)rd_le32(&r, &crc);
        if (crc_32c(body, need - 4) != crc) {
                evj_stop(s, EVJ_STOP_BAD_CRC);
                return 0;
        }
        if ((kind == EVJ_ADD && !evj_add_valid(&rec.ev)) || (kind == EVJ_REMOVE && !rec.count)) {
                evj_stop(s, EVJ_STOP_BAD_RECORD);
                return 0;
        }
        if (kind == EVJ_ADD) {
                if (s->have_seq && !evj_seq_after(rec.ev.seq, s->last_seq)) {
                        evj_stop(s, EVJ_STOP_ORDER);
                        return 0;
                }
                s->have_seq = true;
                s->last_seq = rec.ev.seq;
        }
        s->good += need;
        *ret = rec;
        return 1;
}
