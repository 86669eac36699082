/* SPDX-License-Identifier: MIT */
/*
 * Outstation session, READ: the object headers of a request become static
 * items and event selections (struct outst_read), written fragment by
 * fragment as each is confirmed; events into a fragment, for a READ and for
 * an unsolicited response (outst_read_events).  See outst_priv.h.
 */
#include "outstation/outst_priv.h"

#include <errno.h>

/* ---- events into a fragment ------------------------------------------ */

static void ev_value(const struct ev *e, struct dnp_value *v)
{
        *v = (struct dnp_value){
                .index = e->index,
                .flags = e->flags,
                .time_kind = DNP_TIME_ABS,
                .time = e->time,
        };
        dnp_value_set((enum dnp_type)e->type, e->value, v);
}

/* The first selection that wants event e (of class cls) and may take one more, or NULL. */
static struct ev_sel *ev_sel_pick(struct ev_sel *sel, size_t nsel, const struct ev *e,
                                  unsigned cls)
{
        for (size_t k = 0; k < nsel; k++) {
                struct ev_sel *s = &sel[k];
                if (s->left > 0 && ((s->classes & (1u << cls)) || s->type == e->type))
                        return s;
        }
        return NULL;
}

/*
 * Open a header for e (value v) of group/var and write v as its first
 * object.  Relative-time objects (g2v3, g4v3) get a CTO of their own right
 * before the header, equal to the time of the header's first event: masters
 * (opendnp3 among them) apply a CTO only to the header that follows it.
 */
static int ev_begin(struct apdu_wr *a, uint8_t group, uint8_t var, const struct dnp_value *v,
                    bool synchronized)
{
        const struct obj_desc *d = obj_lookup(group, var);
        if (d && d->fmt == OBJ_FMT_FLAGS_T16)
                return apdu_wr_begin_cto(a, group, var, OBJ_QUAL_INDEX16, 0, v, synchronized);
        int r = apdu_wr_begin(a, group, var, OBJ_QUAL_INDEX16, 0);
        return r < 0 ? r : apdu_wr_value(a, v);
}

/*
 * Write the unsent events the selections sel[0..nsel-1] take into a; they
 * become selected by `by` and each selection's count goes down by those it
 * took.  Returns true if all of them fit (or every count ran out), false if
 * the fragment is full.  *ret_n counts written ones.
 *
 * Events go in their buffer order.  An event of relative time continues
 * the open g2v3/g4v3 header while its time is 0..65535 ms after that
 * header's CTO; an earlier one, or a later one, starts a new CTO and
 * header.  Each fragment starts afresh, so its first relative-time object
 * always has its CTO in the same fragment.  The CTO is g51v1 while the
 * outstation's time is synchronized (IIN1.4 NEED_TIME clear), g51v2 while
 * IIN1.4 is set: the events' times are the gateway's or the IEDs', and the
 * outstation reports the one time quality it knows.
 */
bool outst_read_events(struct outst *o, struct apdu_wr *a, struct ev_sel *sel, size_t nsel,
                       enum ev_state by, size_t *ret_n)
{
        struct events_iter it;
        unsigned mask = 0;
        size_t open = 0;        /* selections that may take more */
        uint8_t cur_group = 0, cur_var = 0;
        const bool synchronized = !o->fn.need_time;
        size_t n = 0;
        bool done = true;

        for (size_t k = 0; k < nsel; k++) {
                mask |= sel[k].type != DNP_TYPE_NONE ? 0xeu : sel[k].classes;
                if (sel[k].left > 0)
                        open++;
        }
        events_iter_init(o->ev, &it, mask);
        struct ev *e;
        unsigned cls;
        while (open > 0 && (e = events_iter_next(o->ev, &it, &cls)) != NULL) {
                struct ev_sel *s = ev_sel_pick(sel, nsel, e, cls);
                if (!s)
                        continue;
                /* the buffers hold events of the database's point types only */
                const struct dnp_ptype *p = dnp_ptype((enum dnp_type)e->type);
                uint8_t group = p->egroup;
                uint8_t var = s->var ? s->var : e->var;
                struct dnp_value v;
                ev_value(e, &v);
                int r = -EINVAL;
                if (group == cur_group && var == cur_var)
                        r = apdu_wr_value(a, &v);
                /* another header, or a time out of the current CTO's reach */
                if (r == -EINVAL) {
                        r = ev_begin(a, group, var, &v, synchronized);
                        if (r < 0 && r != -ENOBUFS) {
                                /* a variation we cannot write: send the default */
                                var = p->evar;
                                r = ev_begin(a, group, var, &v, synchronized);
                        }
                        cur_group = r == 0 ? group : 0;
                        cur_var = r == 0 ? var : 0;
                }
                if (r == -ENOBUFS) {
                        done = false;
                        break;
                }
                /*
                 * Written.  Nothing in the buffer is unwritable: db_update admits
                 * only 48-bit times and indexes of the database (< 65536); should
                 * that ever break, the event is selected (and confirmed) rather
                 * than block every response after it.
                 */
                events_select(o->ev, e, by);
                n++;
                if (s->left != EV_NO_LIMIT && --s->left == 0)
                        open--;
        }
        apdu_wr_end(a);
        *ret_n = n;
        return done;
}

/* ---- READ ------------------------------------------------------------- */

static bool var_is_packed(uint8_t group, uint8_t var)
{
        const struct obj_desc *d = obj_lookup(group, var);
        return d && (d->fmt == OBJ_FMT_PACKED1 || d->fmt == OBJ_FMT_PACKED2);
}

/* Whether every point of t in first..last exists (last below the count). */
static bool all_present(const struct outst *o, enum dnp_type t, uint32_t first, uint32_t last)
{
        for (uint64_t i = first; i <= last; i++)
                if (!db_present(o->db, t, (uint32_t)i))
                        return false;
        return true;
}

/* g80v1: the 16 IIN bits as points, index 0 = IIN1.0 ... 15 = IIN2.7. */
#define OUTST_IIN_POINTS 16

/* Indexes 0..n-1 of t that may exist. */
static uint32_t read_count(const struct outst *o, enum dnp_type t)
{
        return t == DNP_TYPE_IIN ? OUTST_IIN_POINTS : db_count(o->db, t);
}

/*
 * Point i of t as a static object, with its default variation; -ENOENT
 * (-ERANGE, -EINVAL) when it does not exist.  The IIN points (g80v1) carry
 * the indications of the response being built.
 */
static int static_point(const struct outst *o, enum dnp_type t, uint32_t i,
                        struct dnp_value *ret, uint8_t *ret_var)
{
        struct dnp_value v;
        struct db_point_cfg pc;

        if (t == DNP_TYPE_IIN) {
                if (i >= OUTST_IIN_POINTS)
                        return -ERANGE;
                unsigned iin = (unsigned)(outst_iin(o) | o->sol.req_iin);
                *ret = (struct dnp_value){ .index = i, .v.bit = (iin >> i & 1u) != 0 };
                *ret_var = 1;
                return 0;
        }
        int r = db_get(o->db, t, i, &v);
        if (r == 0)
                r = db_point_cfg(o->db, t, i, &pc);
        if (r < 0)
                return r;
        *ret = v;
        *ret_var = pc.static_var;
        return 0;
}

/*
 * Static items from rd_item/rd_next; false when the fragment is full.
 * Absent points are left out: a range header ends before a hole and the
 * next present point opens a new one (also at the start of a fragment).
 */
static bool write_static(struct outst *o, struct apdu_wr *a)
{
        for (; o->rd.item < o->rd.n_items; o->rd.item++) {
                const struct read_item *it = &o->rd.items[o->rd.item];
                enum dnp_type t = it->type;
                uint8_t group = t == DNP_TYPE_IIN ? 80 : dnp_ptype(t)->sgroup;
                uint8_t cur_var = 0;
                bool index_list = it->qual == OBJ_QUAL_INDEX8 || it->qual == OBJ_QUAL_INDEX16;

                if (o->rd.next < it->start)
                        o->rd.next = it->start;
                for (; o->rd.next <= it->stop; o->rd.next++) {
                        uint32_t i = o->rd.next;
                        struct dnp_value v;
                        uint8_t var;
                        if (static_point(o, t, i, &v, &var) < 0) {
                                if (!index_list) {
                                        apdu_wr_end(a);
                                        cur_var = 0;
                                }
                                continue;
                        }
                        if (it->var)
                                var = it->var;
                        if (index_list && var_is_packed(group, var))
                                var = 2;
                        if (var != cur_var) {
                                uint8_t q = it->qual;
                                if (!index_list)
                                        q = it->stop <= 0xff ? OBJ_QUAL_RANGE8 : OBJ_QUAL_RANGE16;
                                if (apdu_wr_begin(a, group, var, q, i) < 0) {
                                        o->sol.req_iin |= APP_IIN_OBJECT_UNKNOWN;
                                        break;
                                }
                                cur_var = var;
                        }
                        int r = apdu_wr_value(a, &v);
                        if (r == -ENOBUFS) {
                                apdu_wr_end(a);
                                return false;
                        }
                        if (r < 0) {
                                o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                                break;
                        }
                }
                apdu_wr_end(a);
                o->rd.next = 0;
        }
        return true;
}

void outst_read_fragment(struct outst *o, uint8_t seq, bool fir, uint64_t now)
{
        struct apdu_wr a;
        size_t nev = 0;
        bool more = false;

        outst_rsp_init(o, &a, seq, fir);
        if (o->rd.events) {
                if (outst_read_events(o, &a, o->rd.ev_sel, o->rd.n_ev_sel, EV_SEL_SOL, &nev))
                        o->rd.events = false;
                else
                        more = true;
        }
        if (!more && !write_static(o, &a))
                more = true;
        o->rd.more = more;
        outst_rsp_queue(o, &a, seq, fir, !more, more || nev > 0, now);
}

struct read_ctx {
        struct outst *o;
        bool index_hdr;
        enum dnp_type index_type;
        uint8_t index_var;
        uint8_t index_qual;
};

/*
 * Points start..stop of t; named: the request names these indexes (every
 * qualifier but "all", and not class 0).  A request naming points beyond
 * the count or absent ones gets IIN2.2; the present points it names are
 * still reported.  "All points" and class 0 report the present ones only.
 */
static void read_add(struct outst *o, enum dnp_type t, uint8_t var, uint8_t qual, uint32_t start,
                     uint32_t stop, bool named)
{
        uint32_t count = read_count(o, t);
        if (count == 0 || start >= count) {
                o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                return;
        }
        if (stop >= count) {
                o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                stop = count - 1;
        }
        if (named && t != DNP_TYPE_IIN && !(o->sol.req_iin & APP_IIN_PARAMETER_ERROR) &&
            !all_present(o, t, start, stop))
                o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
        if (o->rd.n_items >= OUTST_MAX_READ_ITEMS) {
                o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                return;
        }
        o->rd.items[o->rd.n_items++] = (struct read_item){
                .type = (uint8_t)t, .var = var, .qual = qual, .start = start, .stop = stop,
        };
}

/*
 * An event selection for a READ header: class bits or a type (variation
 * var), with the header's own count (qualifier 0x07/0x08) as its limit.
 */
static void read_add_events(struct outst *o, const struct obj_hdr *h, unsigned classes,
                            enum dnp_type t)
{
        if (o->rd.n_ev_sel >= OUTST_MAX_EV_SEL) {
                o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                return;
        }
        uint32_t left = EV_NO_LIMIT;
        if (h->qual == OBJ_QUAL_COUNT8 || h->qual == OBJ_QUAL_COUNT16)
                left = h->count;
        o->rd.ev_sel[o->rd.n_ev_sel++] = (struct ev_sel){
                .classes = classes,
                .type = (uint8_t)t,
                .var = t == DNP_TYPE_NONE ? 0 : h->var,
                .left = left,
        };
        o->rd.events = true;
}

static int read_on_header(void *ctx, const struct obj_hdr *h)
{
        struct read_ctx *rc = ctx;
        struct outst *o = rc->o;
        bool event = false;
        enum dnp_type t = DNP_TYPE_NONE;

        rc->index_hdr = false;
        if (h->group == 60) {
                if (h->var == 1) {
                        DNP_PTYPE_FOREACH(p) {
                                uint32_t n = db_count(o->db, p->type);
                                if (n)
                                        read_add(o, p->type, 0, OBJ_QUAL_RANGE16, 0, n - 1,
                                                 false);
                        }
                } else {
                        read_add_events(o, h, 1u << (h->var - 1), DNP_TYPE_NONE);
                }
                return 0;
        }
        if (h->group == 80) {
                /* the IIN bits: packed, so no index list can carry them */
                if (!(obj_qual_bit(h->qual) & OUTST_Q_IIN)) {
                        o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                        return 0;       /* index_hdr false: its indexes are skipped */
                }
                t = DNP_TYPE_IIN;
        } else {
                /* a static or event group; a command group (g12, g41) is no READ object */
                enum dnp_ptype_role role;
                const struct dnp_ptype *p = dnp_ptype_by_group(h->group, &role);
                if (p && role != DNP_PTYPE_COMMAND) {
                        t = p->type;
                        event = role == DNP_PTYPE_EVENT;
                }
        }
        if (t == DNP_TYPE_NONE) {
                o->sol.req_iin |= APP_IIN_OBJECT_UNKNOWN;
                return 0;
        }
        if (event) {
                read_add_events(o, h, 0, t);
                return 0;
        }
        if (!(obj_qual_bit(h->qual) & OUTST_Q_POINTS)) {
                o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
                return 0;
        }
        switch (h->qual) {
        case OBJ_QUAL_ALL: {
                uint32_t n = read_count(o, t);
                if (n)
                        read_add(o, t, h->var, OBJ_QUAL_RANGE16, 0, n - 1, false);
                break;
        }
        case OBJ_QUAL_RANGE8:
        case OBJ_QUAL_RANGE16:
                read_add(o, t, h->var, h->qual, h->start, h->stop, true);
                break;
        case OBJ_QUAL_COUNT8:
        case OBJ_QUAL_COUNT16:
                if (h->count)
                        read_add(o, t, h->var, OBJ_QUAL_RANGE16, 0, h->count - 1, true);
                break;
        default:                /* INDEX8, INDEX16 (OUTST_Q_POINTS) */
                rc->index_hdr = true;
                rc->index_type = t;
                rc->index_var = h->var;
                rc->index_qual = h->qual;
                break;
        }
        return 0;
}

/*
 * READ: the static objects of each point type that has points, by any
 * qualifier of OUTST_Q_POINTS (answered by range, or by index for an
 * index list: packed variations then as variation 2, see write_static());
 * its event objects, all of them or at most N, answered by index (g2v3 and
 * g4v3 after a CTO, g51); class data; the IIN bits (g80v1).
 */
void outst_read_impl(const struct outst_impl_out *x, uint8_t func)
{
        DNP_PTYPE_FOREACH(p) {
                if (!x->cfg->points[p->type])
                        continue;
                for (unsigned v = 0; v <= UINT8_MAX; v++) {
                        if (v == 0 || dnp_ptype_var_ok(p, false, (uint8_t)v))
                                outst_impl_row(x, func, p->sgroup, (uint8_t)v, OUTST_Q_POINTS,
                                               v == 0 ? 0
                                               : var_is_packed(p->sgroup, (uint8_t)v)
                                                       ? OUTST_Q_RANGE
                                                       : OUTST_Q_RANGE | OUTST_Q_INDEX);
                }
                for (unsigned v = 0; v <= UINT8_MAX; v++)
                        if (v == 0 || dnp_ptype_var_ok(p, true, (uint8_t)v))
                                outst_impl_row(x, func, p->egroup, (uint8_t)v, OUTST_Q_EVENTS,
                                               v ? OBJ_QBIT(INDEX16) : 0);
        }
        outst_impl_row(x, func, 60, 1, OBJ_QBIT(ALL), 0);
        for (uint8_t v = 2; v <= 4; v++)
                outst_impl_row(x, func, 60, v, OUTST_Q_EVENTS, 0);
        outst_impl_row(x, func, 80, 1, OUTST_Q_IIN, OBJ_QBIT(RANGE8));
        /* the CTO before relative-time events (g2v3, g4v3) */
        outst_impl_row(x, APP_FUNC_RESPONSE, 51, 1, 0, OBJ_QBIT(COUNT8));
        outst_impl_row(x, APP_FUNC_RESPONSE, 51, 2, 0, OBJ_QBIT(COUNT8));
}

static int read_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct read_ctx *rc = ctx;
        (void)h;
        if (rc->index_hdr)
                read_add(rc->o, rc->index_type, rc->index_var, rc->index_qual, v->index,
                         v->index, true);
        return 0;
}

void outst_read_handle(struct outst *o, const struct outst_req *rq, uint64_t now)
{
        struct read_ctx rc = { .o = o };
        static const struct obj_visitor vis = {
                .on_header = read_on_header,
                .on_value = read_on_value,
        };

        o->rd.n_items = 0;
        o->rd.n_ev_sel = 0;
        o->rd.events = false;
        o->rd.item = 0;
        o->rd.next = 0;

        int r = obj_parse(rq->objs, rq->n, OBJ_MODE_HEADERS, &vis, &rc, NULL);
        if (r < 0) {
                o->sol.req_iin |= obj_err_iin(r);
                o->rd.n_items = 0;
                o->rd.events = false;
        }
        outst_read_fragment(o, rq->seq, true, now);
}

