/* SPDX-License-Identifier: MIT */
/*
 * Outstation session: requests, responses with confirms, unsolicited
 * reporting, deferred controls with SELECT/OPERATE matching, deferred
 * freezes.  See outst.h.
 * Every buffer is allocated by outst_new(); nothing is allocated per
 * request or per byte.
 */
#include "outstation/outst.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/app.h"

enum sol_state { SOL_IDLE, SOL_WAIT_CONFIRM, SOL_CMD_PENDING };
enum uns_state { UNS_IDLE, UNS_WAIT_CONFIRM };

/*
 * IIN1.0 after a broadcast request (IEEE 1815-2012 broadcast addresses):
 * 0xFFFD (no confirmation) and 0xFFFF (optional, treated alike) set it in
 * the next response only; 0xFFFE (confirmation mandatory) sets it, with CON,
 * in every response until the master confirms one that carried it.
 */
enum bcast_state { BCAST_NONE, BCAST_ONCE, BCAST_CONFIRM };

#define EV_NO_LIMIT UINT32_MAX

/*
 * One event selection of a READ (an event or class object header) or of an
 * unsolicited response: the events it takes and how many more it may take
 * (its own 0x07/0x08 count).  Each event goes to the first selection that
 * wants it and has room, in the order the headers came: the same events as
 * taking each header's count in turn.
 */
struct ev_sel {
        unsigned classes;       /* class header: bit c for class c; 0 for a type header */
        uint8_t type;           /* type header: enum dnp_type (DNP_TYPE_NONE for a class) */
        uint8_t var;            /* type header's variation; 0 = each event's own */
        uint32_t left;          /* events it may still take; EV_NO_LIMIT */
};

/* Event selections of one READ: no more than the parser admits headers. */
#define OUTST_MAX_EV_SEL OBJ_MAX_HEADERS_HEADERS_MODE

struct read_item {
        uint8_t type;           /* enum dnp_type (static) */
        uint8_t var;            /* 0 = each point's default */
        uint8_t qual;           /* qualifier of the response header */
        uint32_t start, stop;
};

struct cmd_hdr {
        uint8_t group, var, qual;
        uint32_t start;
};

struct outst {
        struct dnp_sess sess;   /* the session interface (dnp3/sess.h) */
        struct outst_cfg cfg;
        struct outst_callbacks cb;
        void *ctx;
        struct db *db;
        struct events *ev;
        struct link_scanner sc;
        struct lsess ls;
        uint8_t *rxbuf;
        uint8_t *outbuf;
        struct wr out;
        bool connected;
        bool in_broadcast;      /* processing a broadcast request: no response */
        enum bcast_state bcast; /* IIN1.0 owed (see enum bcast_state) */
        bool sol_bcast;         /* the response awaiting confirm carried IIN1.0 (0xFFFE) */
        bool uns_bcast;         /* the unsolicited awaiting confirm carried IIN1.0 (0xFFFE) */

        /* last request and last response (duplicate detection, resend) */
        uint8_t *req;
        size_t req_len;
        bool req_valid;
        uint8_t *rsp;
        size_t rsp_len;
        bool rsp_queued;
        uint16_t req_iin;       /* IIN2.x of the request being answered */

        /* solicited state */
        enum sol_state sol;
        uint8_t sol_seq;        /* SEQ of the fragment awaiting confirm */
        uint64_t sol_deadline;
        bool sol_con;           /* the queued response wants a confirm */

        /* READ in progress */
        struct read_item items[OUTST_MAX_READ_ITEMS];
        size_t n_items;
        struct ev_sel ev_sel[OUTST_MAX_EV_SEL];
        size_t n_ev_sel;
        bool rd_events;         /* event phase still to do */
        size_t rd_item;
        uint32_t rd_next;
        bool rd_more;

        /* deferred controls */
        struct outst_cmd cmds[OUTST_MAX_CMDS];
        uint8_t cmd_hdr_of[OUTST_MAX_CMDS];
        struct cmd_hdr cmd_hdrs[OUTST_MAX_CMDS];
        size_t n_cmds, n_cmd_hdrs;
        bool cmd_overflow;
        bool cmd_pending;
        bool cmd_broadcast;     /* the pending controls came by broadcast: never answered */
        uint32_t cmd_token;
        uint8_t cmd_func;
        uint8_t cmd_seq;
        uint64_t cmd_time;
        uint64_t cmd_deadline;

        /* deferred freeze */
        uint8_t *frz_named;     /* one bit per counter */
        bool frz_pending;
        bool frz_broadcast;     /* came by broadcast: never answered */
        uint32_t frz_token;
        uint8_t frz_func;
        uint8_t frz_seq;
        uint64_t frz_deadline;

        /* SELECT awaiting OPERATE */
        bool sel_valid;
        bool sel_told;          /* the application was told the selection ended */
        uint8_t sel_seq;
        uint64_t sel_time;
        uint8_t *sel_obj;
        size_t sel_len;

        /* unsolicited */
        enum uns_state uns;
        uint8_t *unsbuf;
        /*
         * The APDU the link layer is sending (a copy of rsp or unsbuf): with
         * confirmed link service it goes out frame by frame, and a request
         * (or an early confirm) that rebuilds rsp/unsbuf meanwhile must not
         * change the frames still to come.
         */
        uint8_t *txbuf;
        size_t uns_len;
        bool uns_queued;
        uint8_t uns_seq;
        uint64_t uns_deadline;
        unsigned uns_tries;
        bool uns_null_pending;
        unsigned uns_enabled;
        uint64_t hold_start;
        uint64_t uns_backoff;

        /* IIN state */
        bool restart;
        bool need_time;
        uint64_t need_time_at;
        uint64_t record_time;
        bool record_time_valid;

        struct outst_stats stats;
};

static size_t outst_outcap(const struct outst_cfg *cfg)
{
        /* a whole fragment plus room for a few link replies */
        return lsess_wire_size(cfg->max_fragment) + 8 * LINK_HDR_LEN;
}

static size_t outst_frz_bytes(const struct outst_cfg *cfg)
{
        return cfg->points[DNP_TYPE_CNT] / 8 + 1;
}

size_t outst_memory(const struct outst_cfg *cfg)
{
        return sizeof(struct outst) + db_memory(cfg->points) +
               events_memory(cfg->event_depth, cfg->event_sources) +
               3 * cfg->max_rx_fragment + 3 * cfg->max_fragment + outst_outcap(cfg) +
               outst_frz_bytes(cfg);
}

static int outst_cfg_check(const struct outst_cfg *c)
{
        if (c->max_fragment < 249 || c->max_fragment > TPORT_MAX_FRAGMENT ||
            c->max_rx_fragment < 249 || c->max_rx_fragment > TPORT_MAX_FRAGMENT)
                return -EINVAL;
        if (c->address > LINK_ADDR_MAX_UNICAST || c->master_address > LINK_ADDR_MAX_UNICAST)
                return -EINVAL;
        if (c->unsol.retries < -1)
                return -EINVAL;
        /* 16-bit index qualifiers only (the event buffers keep 16-bit indexes) */
        for (int t = 0; t < DNP_TYPE_MAX; t++)
                if (c->points[t] > (uint32_t)UINT16_MAX + 1)
                        return -EINVAL;
        return 0;
}

static void outst_set_need_time(struct outst *o, uint64_t now)
{
        o->need_time = o->cfg.need_time_ms > 0;
        o->need_time_at = DNP_NEVER;
        (void)now;
}

static const struct dnp_sess_ops outst_sess_ops;

struct outst *outst_new(const struct outst_cfg *cfg, const struct outst_callbacks *cb, void *ctx,
                        uint64_t now, int *ret_err)
{
        int err = outst_cfg_check(cfg);
        struct outst *o = NULL;

        if (err < 0)
                goto fail;
        err = -ENOMEM;
        o = calloc(1, sizeof(*o));
        if (!o)
                goto fail;
        o->sess.ops = &outst_sess_ops;
        o->cfg = *cfg;
        if (cb)
                o->cb = *cb;
        o->ctx = ctx;
        o->db = db_new(cfg->points);
        o->ev = events_new(cfg->event_depth, cfg->event_sources);
        o->rxbuf = malloc(cfg->max_rx_fragment);
        o->req = malloc(cfg->max_rx_fragment);
        o->sel_obj = malloc(cfg->max_rx_fragment);
        o->rsp = malloc(cfg->max_fragment);
        o->unsbuf = malloc(cfg->max_fragment);
        o->txbuf = malloc(cfg->max_fragment);
        o->outbuf = malloc(outst_outcap(cfg));
        o->frz_named = malloc(outst_frz_bytes(cfg));
        if (!o->db || !o->ev || !o->rxbuf || !o->req || !o->sel_obj || !o->rsp || !o->unsbuf ||
            !o->txbuf || !o->outbuf || !o->frz_named)
                goto fail;

        struct lsess_cfg lc = {
                .master = false,
                .local = cfg->address,
                .remote = cfg->master_address,
                .confirmed = cfg->link_confirmed,
                .link_timeout_ms = cfg->link_timeout_ms,
                .link_retries = cfg->link_retries,
                .keepalive_ms = cfg->keepalive_ms,
        };
        lsess_init(&o->ls, &lc, o->rxbuf, cfg->max_rx_fragment, now);
        link_scanner_init(&o->sc);
        wr_init(&o->out, o->outbuf, outst_outcap(cfg));
        o->sol_deadline = DNP_NEVER;
        o->uns_deadline = DNP_NEVER;
        o->cmd_deadline = DNP_NEVER;
        o->frz_deadline = DNP_NEVER;
        o->hold_start = DNP_NEVER;
        o->uns_backoff = 0;
        o->restart = true;
        o->uns_null_pending = cfg->unsol.enabled;
        outst_set_need_time(o, now);
        return o;
fail:
        outst_free(o);
        if (ret_err)
                *ret_err = err;
        return NULL;
}

void outst_free(struct outst *o)
{
        if (!o)
                return;
        db_free(o->db);
        events_free(o->ev);
        free(o->rxbuf);
        free(o->req);
        free(o->sel_obj);
        free(o->rsp);
        free(o->unsbuf);
        free(o->txbuf);
        free(o->outbuf);
        free(o->frz_named);
        free(o);
}

struct db *outst_db(struct outst *o)
{
        return o->db;
}

struct events *outst_events(struct outst *o)
{
        return o->ev;
}

const struct outst_stats *outst_stats(const struct outst *o)
{
        return &o->stats;
}

const struct lsess *outst_lsess(const struct outst *o)
{
        return &o->ls;
}

uint16_t outst_iin(const struct outst *o)
{
        uint16_t iin = 0;
        if (o->restart)
                iin |= APP_IIN_DEVICE_RESTART;
        if (o->need_time)
                iin |= APP_IIN_NEED_TIME;
        if (events_unsent(o->ev, 1))
                iin |= APP_IIN_CLASS1_EVENTS;
        if (events_unsent(o->ev, 2))
                iin |= APP_IIN_CLASS2_EVENTS;
        if (events_unsent(o->ev, 3))
                iin |= APP_IIN_CLASS3_EVENTS;
        if (events_overflow(o->ev))
                iin |= APP_IIN_EVENT_BUFFER_OVERFLOW;
        if (o->bcast != BCAST_NONE)
                iin |= APP_IIN_BROADCAST;
        return iin;
}

void outst_set_restart(struct outst *o)
{
        o->restart = true;
}

unsigned outst_unsol_enabled(const struct outst *o)
{
        return o->uns_enabled;
}

/* ---- output ---------------------------------------------------------- */

static void outst_flush(struct outst *o, uint64_t now)
{
        if (!o->connected || o->out.len > 0 || !lsess_tx_idle(&o->ls))
                return;
        if (o->rsp_queued) {
                memcpy(o->txbuf, o->rsp, o->rsp_len);
                if (lsess_send(&o->ls, o->txbuf, o->rsp_len, now, &o->out) < 0)
                        return;
                o->rsp_queued = false;
                o->stats.responses++;
                if (o->sol == SOL_WAIT_CONFIRM)
                        o->sol_deadline = now + o->cfg.confirm_timeout_ms;
                return;
        }
        if (o->uns_queued) {
                memcpy(o->txbuf, o->unsbuf, o->uns_len);
                if (lsess_send(&o->ls, o->txbuf, o->uns_len, now, &o->out) < 0)
                        return;
                o->uns_queued = false;
                o->stats.unsolicited++;
                o->uns_deadline = now + o->cfg.confirm_timeout_ms;
        }
}

size_t outst_output(const struct outst *o, const uint8_t **ret)
{
        *ret = o->outbuf;
        return o->out.len;
}

static void outst_uns_try(struct outst *o, uint64_t now);

void outst_consumed(struct outst *o, size_t n, uint64_t now)
{
        if (n >= o->out.len) {
                o->out.len = 0;
        } else {
                memmove(o->outbuf, o->outbuf + n, o->out.len - n);
                o->out.len -= n;
        }
        outst_flush(o, now);
        outst_uns_try(o, now);
}

/* ---- response building ----------------------------------------------- */

static void rsp_init(struct outst *o, struct apdu_wr *a, uint8_t seq, bool fir)
{
        struct apdu_hdr h = {
                .fir = fir, .fin = true, .seq = seq & APP_CTRL_SEQ, .func = APP_FUNC_RESPONSE,
        };
        (void)apdu_wr_init(a, o->rsp, o->cfg.max_fragment, &h);
}

/* Finish and queue the response; con: ask for a confirm (SOL_WAIT_CONFIRM). */
static void rsp_queue(struct outst *o, struct apdu_wr *a, uint8_t seq, bool fir, bool fin,
                      bool con, uint64_t now)
{
        struct apdu_hdr h = {
                .fir = fir,
                .fin = fin,
                .con = con,
                .seq = seq & APP_CTRL_SEQ,
                .func = APP_FUNC_RESPONSE,
                .iin = (uint16_t)(outst_iin(o) | o->req_iin),
        };
        if (o->in_broadcast) {
                o->rsp_len = 0;
                o->sol = SOL_IDLE;
                return;
        }
        /* after a broadcast to 0xFFFE every response asks for a confirm */
        o->sol_bcast = o->bcast == BCAST_CONFIRM;
        if (o->sol_bcast)
                h.con = con = true;
        else
                o->bcast = BCAST_NONE;
        apdu_wr_set_hdr(a, &h);
        o->rsp_len = apdu_wr_len(a);
        o->rsp_queued = true;
        o->sol_con = con;
        if (con) {
                o->sol = SOL_WAIT_CONFIRM;
                o->sol_seq = seq & APP_CTRL_SEQ;
                o->sol_deadline = DNP_NEVER;  /* starts when sent */
        } else {
                o->sol = SOL_IDLE;
        }
        outst_flush(o, now);
}

static void rsp_null(struct outst *o, uint8_t seq, uint64_t now)
{
        struct apdu_wr a;
        rsp_init(o, &a, seq, true);
        rsp_queue(o, &a, seq, true, true, false, now);
}

/* ---- events into a fragment ------------------------------------------ */

static void ev_value(const struct ev *e, struct dnp_value *v)
{
        *v = (struct dnp_value){
                .index = e->index,
                .flags = e->flags,
                .time_kind = DNP_TIME_ABS,
                .time = e->time,
        };
        db_value_set((enum dnp_type)e->type, e->value, v);
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
static bool write_events(struct outst *o, struct apdu_wr *a, struct ev_sel *sel, size_t nsel,
                         enum ev_state by, size_t *ret_n)
{
        struct events_iter it;
        unsigned mask = 0;
        size_t open = 0;        /* selections that may take more */
        uint8_t cur_group = 0, cur_var = 0;
        const bool synchronized = !o->need_time;
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
                uint8_t group = db_event_group((enum dnp_type)e->type);
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
                                var = db_default_event_var((enum dnp_type)e->type);
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
                unsigned iin = (unsigned)(outst_iin(o) | o->req_iin);
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
        for (; o->rd_item < o->n_items; o->rd_item++) {
                const struct read_item *it = &o->items[o->rd_item];
                enum dnp_type t = it->type;
                uint8_t group = t == DNP_TYPE_IIN ? 80 : db_static_group(t);
                uint8_t cur_var = 0;
                bool index_list = it->qual == OBJ_QUAL_INDEX8 || it->qual == OBJ_QUAL_INDEX16;

                if (o->rd_next < it->start)
                        o->rd_next = it->start;
                for (; o->rd_next <= it->stop; o->rd_next++) {
                        uint32_t i = o->rd_next;
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
                                        o->req_iin |= APP_IIN_OBJECT_UNKNOWN;
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
                                o->req_iin |= APP_IIN_PARAMETER_ERROR;
                                break;
                        }
                }
                apdu_wr_end(a);
                o->rd_next = 0;
        }
        return true;
}

static void read_fragment(struct outst *o, uint8_t seq, bool fir, uint64_t now)
{
        struct apdu_wr a;
        size_t nev = 0;
        bool more = false;

        rsp_init(o, &a, seq, fir);
        if (o->rd_events) {
                if (write_events(o, &a, o->ev_sel, o->n_ev_sel, EV_SEL_SOL, &nev))
                        o->rd_events = false;
                else
                        more = true;
        }
        if (!more && !write_static(o, &a))
                more = true;
        o->rd_more = more;
        rsp_queue(o, &a, seq, fir, !more, more || nev > 0, now);
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
                o->req_iin |= APP_IIN_PARAMETER_ERROR;
                return;
        }
        if (stop >= count) {
                o->req_iin |= APP_IIN_PARAMETER_ERROR;
                stop = count - 1;
        }
        if (named && t != DNP_TYPE_IIN && !(o->req_iin & APP_IIN_PARAMETER_ERROR) &&
            !all_present(o, t, start, stop))
                o->req_iin |= APP_IIN_PARAMETER_ERROR;
        if (o->n_items >= OUTST_MAX_READ_ITEMS) {
                o->req_iin |= APP_IIN_PARAMETER_ERROR;
                return;
        }
        o->items[o->n_items++] = (struct read_item){
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
        if (o->n_ev_sel >= OUTST_MAX_EV_SEL) {
                o->req_iin |= APP_IIN_PARAMETER_ERROR;
                return;
        }
        uint32_t left = EV_NO_LIMIT;
        if (h->qual == OBJ_QUAL_COUNT8 || h->qual == OBJ_QUAL_COUNT16)
                left = h->count;
        o->ev_sel[o->n_ev_sel++] = (struct ev_sel){
                .classes = classes,
                .type = (uint8_t)t,
                .var = t == DNP_TYPE_NONE ? 0 : h->var,
                .left = left,
        };
        o->rd_events = true;
}

static int read_on_header(void *ctx, const struct obj_hdr *h)
{
        struct read_ctx *rc = ctx;
        struct outst *o = rc->o;
        bool event;
        enum dnp_type t;

        rc->index_hdr = false;
        if (h->group == 60) {
                if (h->var == 1) {
                        for (int k = DNP_TYPE_BI; k <= DNP_TYPE_AO; k++) {
                                uint32_t n = db_count(o->db, (enum dnp_type)k);
                                if (n)
                                        read_add(o, (enum dnp_type)k, 0, OBJ_QUAL_RANGE16, 0,
                                                 n - 1, false);
                        }
                } else {
                        read_add_events(o, h, 1u << (h->var - 1), DNP_TYPE_NONE);
                }
                return 0;
        }
        if (h->group == 80) {
                /* the IIN bits: packed, so no index list can carry them */
                if (h->qual == OBJ_QUAL_INDEX8 || h->qual == OBJ_QUAL_INDEX16) {
                        o->req_iin |= APP_IIN_PARAMETER_ERROR;
                        return 0;       /* index_hdr false: its indexes are skipped */
                }
                t = DNP_TYPE_IIN;
                event = false;
        } else {
                t = db_type_of_group(h->group, &event);
        }
        if (t == DNP_TYPE_NONE) {
                o->req_iin |= APP_IIN_OBJECT_UNKNOWN;
                return 0;
        }
        if (event) {
                read_add_events(o, h, 0, t);
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
        case OBJ_QUAL_INDEX8:
        case OBJ_QUAL_INDEX16:
                rc->index_hdr = true;
                rc->index_type = t;
                rc->index_var = h->var;
                rc->index_qual = h->qual;
                break;
        default:
                o->req_iin |= APP_IIN_PARAMETER_ERROR;
                break;
        }
        return 0;
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

static void handle_read(struct outst *o, uint8_t seq, const uint8_t *objs, size_t n, uint64_t now)
{
        struct read_ctx rc = { .o = o };
        static const struct obj_visitor vis = {
                .on_header = read_on_header,
                .on_value = read_on_value,
        };

        o->n_items = 0;
        o->n_ev_sel = 0;
        o->rd_events = false;
        o->rd_item = 0;
        o->rd_next = 0;

        int r = obj_parse(objs, n, OBJ_MODE_HEADERS, &vis, &rc, NULL);
        if (r < 0) {
                o->req_iin |= obj_err_iin(r);
                o->n_items = 0;
                o->rd_events = false;
        }
        read_fragment(o, seq, true, now);
}

/* ---- WRITE, time, restart, unsolicited control, freeze ----------------- */

struct write_ctx {
        struct outst *o;
        uint64_t now;
};

static int write_on_header(void *ctx, const struct obj_hdr *h)
{
        struct write_ctx *wc = ctx;
        if ((h->group == 80 && h->var == 1) || (h->group == 50 && (h->var == 1 || h->var == 3)))
                return 0;
        wc->o->req_iin |= APP_IIN_OBJECT_UNKNOWN;
        return 1;
}

static int write_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct write_ctx *wc = ctx;
        struct outst *o = wc->o;

        if (h->group == 80) {
                if (v->index == 7 && !v->v.bit)
                        o->restart = false;
                else
                        o->req_iin |= APP_IIN_PARAMETER_ERROR;
                return 0;
        }
        uint64_t at = wc->now;
        enum outst_time_kind kind = OUTST_TIME_WRITE;
        if (h->var == 3) {
                if (!o->record_time_valid) {
                        o->req_iin |= APP_IIN_PARAMETER_ERROR;
                        return 0;
                }
                at = o->record_time;
                kind = OUTST_TIME_LAN;
                o->record_time_valid = false;
        }
        if (o->cb.on_time_sync)
                o->cb.on_time_sync(o->ctx, v->time, at, kind);
        o->need_time = false;
        o->need_time_at = o->cfg.need_time_ms > 0 ? wc->now + o->cfg.need_time_ms : DNP_NEVER;
        return 0;
}

static void handle_write(struct outst *o, uint8_t seq, const uint8_t *objs, size_t n,
                         uint64_t now)
{
        struct write_ctx wc = { .o = o, .now = now };
        static const struct obj_visitor vis = {
                .on_header = write_on_header,
                .on_value = write_on_value,
        };
        int r = obj_parse(objs, n, OBJ_MODE_DATA, &vis, &wc, NULL);
        if (r < 0)
                o->req_iin |= obj_err_iin(r);
        rsp_null(o, seq, now);
}

static void handle_delay(struct outst *o, uint8_t seq, uint64_t now)
{
        struct apdu_wr a;
        /* the response leaves within this call: processing delay 0 ms */
        struct dnp_value v = { .index = 0, .v.delay = 0 };
        rsp_init(o, &a, seq, true);
        if (apdu_wr_begin(&a, 52, 2, OBJ_QUAL_COUNT8, 0) == 0)
                (void)apdu_wr_value(&a, &v);
        apdu_wr_end(&a);
        rsp_queue(o, &a, seq, true, true, false, now);
}

static void handle_restart(struct outst *o, uint8_t seq, bool cold, uint64_t now)
{
        uint32_t delay = 0;
        struct apdu_wr a;

        if (!o->cb.on_restart || o->cb.on_restart(o->ctx, cold, &delay) < 0) {
                o->req_iin |= APP_IIN_NO_FUNC_CODE_SUPPORT;
                rsp_null(o, seq, now);
                return;
        }
        rsp_init(o, &a, seq, true);
        struct dnp_value v = { .index = 0 };
        uint8_t var = 2;
        if (delay > 0xffff) {
                var = 1;
                delay = (delay + 999) / 1000;
                if (delay > 0xffff)
                        delay = 0xffff;
        }
        v.v.delay = (uint16_t)delay;
        if (apdu_wr_begin(&a, 52, var, OBJ_QUAL_COUNT8, 0) == 0)
                (void)apdu_wr_value(&a, &v);
        apdu_wr_end(&a);
        rsp_queue(o, &a, seq, true, true, false, now);
}

struct mask_ctx {
        struct outst *o;
        unsigned mask;
};

static int unsol_on_header(void *ctx, const struct obj_hdr *h)
{
        struct mask_ctx *mc = ctx;
        if (h->group == 60 && h->var >= 2 && h->var <= 4 && h->qual == OBJ_QUAL_ALL) {
                mc->mask |= 1u << (h->var - 1);
                return 0;
        }
        mc->o->req_iin |= h->group == 60 ? APP_IIN_PARAMETER_ERROR : APP_IIN_OBJECT_UNKNOWN;
        return 1;
}

static void handle_unsol_ctl(struct outst *o, uint8_t seq, bool enable, const uint8_t *objs,
                             size_t n, uint64_t now)
{
        struct mask_ctx mc = { .o = o };
        static const struct obj_visitor vis = { .on_header = unsol_on_header };

        if (!o->cfg.unsol.enabled) {
                /* Nothing to disable: masters send DISABLE_UNSOLICITED at startup
                 * and it succeeds.  ENABLE asks for what this outstation does not do. */
                if (enable)
                        o->req_iin |= APP_IIN_NO_FUNC_CODE_SUPPORT;
                rsp_null(o, seq, now);
                return;
        }
        int r = obj_parse(objs, n, OBJ_MODE_HEADERS, &vis, &mc, NULL);
        if (r < 0)
                o->req_iin |= obj_err_iin(r);
        else if (r == 0) {
                if (enable)
                        o->uns_enabled |= mc.mask & o->cfg.unsol.classes;
                else
                        o->uns_enabled &= ~mc.mask;
        }
        rsp_null(o, seq, now);
}

/*
 * Freeze: the request is validated whole and the counters it names are
 * collected in frz_named; nothing is frozen here.  The application gets
 * them (on_freeze) and completes the request like a deferred control.
 */
struct freeze_ctx {
        struct outst *o;
        uint32_t n;             /* counters named */
};

static void freeze_name(struct freeze_ctx *fc, uint32_t i)
{
        uint8_t bit = (uint8_t)(1u << (i % 8));
        if (!(fc->o->frz_named[i / 8] & bit)) {
                fc->o->frz_named[i / 8] |= bit;
                fc->n++;
        }
}

/* Counters first..last named by the request: an absent one is IIN2.2. */
static void freeze_name_range(struct freeze_ctx *fc, uint32_t first, uint32_t last)
{
        struct outst *o = fc->o;
        for (uint64_t i = first; i <= last; i++) {
                if (!db_present(o->db, DNP_TYPE_CNT, (uint32_t)i)) {
                        o->req_iin |= APP_IIN_PARAMETER_ERROR;
                        if (i >= db_count(o->db, DNP_TYPE_CNT))
                                break;
                        continue;
                }
                freeze_name(fc, (uint32_t)i);
        }
}

static int freeze_on_header(void *ctx, const struct obj_hdr *h)
{
        struct freeze_ctx *fc = ctx;
        struct outst *o = fc->o;

        if (h->group != 20) {
                o->req_iin |= APP_IIN_OBJECT_UNKNOWN;
                return 1;
        }
        switch (h->qual) {
        case OBJ_QUAL_ALL:
                for (uint32_t i = 0; i < db_count(o->db, DNP_TYPE_CNT); i++)
                        if (db_present(o->db, DNP_TYPE_CNT, i))
                                freeze_name(fc, i);
                break;
        case OBJ_QUAL_RANGE8:
        case OBJ_QUAL_RANGE16:
                freeze_name_range(fc, h->start, h->stop);
                break;
        case OBJ_QUAL_COUNT8:
        case OBJ_QUAL_COUNT16:
                /* "the first N", as a READ takes these qualifiers for static objects */
                if (h->count)
                        freeze_name_range(fc, 0, h->count - 1);
                break;
        default:
                break;          /* index lists: per value */
        }
        return 0;
}

static int freeze_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        (void)h;
        freeze_name_range(ctx, v->index, v->index);
        return 0;
}

/* The g50v2 object (time, interval) that opens a FREEZE_AT_TIME request. */
static int freeze_time_object(struct rd *c, struct outst_freeze *f)
{
        uint8_t g, v, q, n;
        uint64_t t;
        uint32_t interval;
        if (rd_u8(c, &g) < 0 || rd_u8(c, &v) < 0 || rd_u8(c, &q) < 0 || rd_u8(c, &n) < 0)
                return -EBADMSG;
        if (g != 50 || v != 2 || q != OBJ_QUAL_COUNT8 || n != 1)
                return -EPROTO;
        if (rd_le48(c, &t) < 0 || rd_le32(c, &interval) < 0)
                return -EBADMSG;
        f->time = t;
        f->interval_ms = interval;
        return 0;
}

static bool freeze_no_response(uint8_t func)
{
        return func == APP_FUNC_IMMED_FREEZE_NR || func == APP_FUNC_FREEZE_CLEAR_NR ||
               func == APP_FUNC_FREEZE_AT_TIME_NR;
}

static void freeze_finish(struct outst *o, uint64_t now)
{
        o->frz_pending = false;
        o->frz_deadline = DNP_NEVER;
        if (o->sol == SOL_CMD_PENDING)
                o->sol = SOL_IDLE;
        if (freeze_no_response(o->frz_func) || o->frz_broadcast)
                return;
        rsp_null(o, o->frz_seq, now);
}

static void handle_freeze(struct outst *o, uint8_t seq, uint8_t func, const uint8_t *objs,
                          size_t n, uint64_t now)
{
        struct freeze_ctx fc = { .o = o };
        struct outst_freeze f = {
                .func = func,
                .count = db_count(o->db, DNP_TYPE_CNT),
                .named = o->frz_named,
        };
        static const struct obj_visitor vis = {
                .on_header = freeze_on_header,
                .on_value = freeze_on_value,
        };
        bool nr = freeze_no_response(func);
        struct rd c;
        int r = 0;

        rd_init(&c, objs, n);
        memset(o->frz_named, 0, f.count / 8 + 1);
        if (!o->cb.on_freeze) {
                o->req_iin |= APP_IIN_NO_FUNC_CODE_SUPPORT;
        } else {
                if (func == APP_FUNC_FREEZE_AT_TIME || func == APP_FUNC_FREEZE_AT_TIME_NR)
                        r = freeze_time_object(&c, &f);
                if (r == 0)
                        r = obj_parse(c.p, rd_left(&c), OBJ_MODE_HEADERS, &vis, &fc, NULL);
                if (r < 0)
                        o->req_iin |= obj_err_iin(r);
        }
        if (r != 0 || fc.n == 0 || !o->cb.on_freeze) {
                /* refused whole, or nothing present named: nothing to freeze */
                if (!nr)
                        rsp_null(o, seq, now);
                return;
        }
        f.n = fc.n;
        o->stats.freezes++;
        o->frz_func = func;
        o->frz_seq = seq;
        o->frz_broadcast = o->in_broadcast;
        o->frz_token++;
        o->frz_pending = true;
        o->frz_deadline = now + o->cfg.cmd_timeout_ms;
        o->sol = SOL_CMD_PENDING;
        o->cb.on_freeze(o->ctx, o->frz_token, &f);
}

int outst_freeze_complete(struct outst *o, uint32_t token, uint16_t iin, uint64_t now)
{
        if (!o->frz_pending || token != o->frz_token)
                return -ESTALE;
        o->req_iin |= iin & (APP_IIN_NO_FUNC_CODE_SUPPORT | APP_IIN_OBJECT_UNKNOWN |
                             APP_IIN_PARAMETER_ERROR);
        freeze_finish(o, now);
        outst_uns_try(o, now);
        dnp_sess_wake(&o->sess);
        return 0;
}

/* ---- controls ---------------------------------------------------------- */

struct cmd_ctx {
        struct outst *o;
        bool bad;
};

static int cmd_on_header(void *ctx, const struct obj_hdr *h)
{
        struct cmd_ctx *cc = ctx;
        struct outst *o = cc->o;
        if (!((h->group == 12 && h->var == 1) || (h->group == 41 && h->var >= 1 && h->var <= 4))) {
                o->req_iin |= APP_IIN_OBJECT_UNKNOWN;
                cc->bad = true;
                return 1;
        }
        if (o->n_cmd_hdrs >= OUTST_MAX_CMDS) {
                o->cmd_overflow = true;
                return 0;
        }
        o->cmd_hdrs[o->n_cmd_hdrs++] = (struct cmd_hdr){
                .group = h->group, .var = h->var, .qual = h->qual, .start = h->start,
        };
        return 0;
}

static int cmd_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct cmd_ctx *cc = ctx;
        struct outst *o = cc->o;
        if (o->n_cmds >= OUTST_MAX_CMDS || o->cmd_overflow) {
                o->cmd_overflow = true;
                return 0;
        }
        o->cmd_hdr_of[o->n_cmds] = (uint8_t)(o->n_cmd_hdrs - 1);
        o->cmds[o->n_cmds++] = (struct outst_cmd){ .group = h->group, .var = h->var, .v = *v };
        return 0;
}

static void cmd_set_status(struct outst_cmd *c, uint8_t status)
{
        if (c->group == 12)
                c->v.v.crob.status = status;
        else
                c->v.v.ao.status = status;
}

static uint8_t cmd_status(const struct outst_cmd *c)
{
        return c->group == 12 ? c->v.v.crob.status : c->v.v.ao.status;
}

/*
 * A control naming a point that does not exist (no such binary output for
 * g12, analog output for g41) is NOT_SUPPORTED with IIN2.2, whatever the
 * application answered for it; the other points keep their statuses.
 */
static void cmd_refuse_missing(struct outst *o)
{
        for (size_t i = 0; i < o->n_cmds; i++) {
                struct outst_cmd *c = &o->cmds[i];
                enum dnp_type t = c->group == 12 ? DNP_TYPE_BO : DNP_TYPE_AO;
                if (db_present(o->db, t, c->v.index))
                        continue;
                cmd_set_status(c, DNP_CMD_NOT_SUPPORTED);
                o->req_iin |= APP_IIN_PARAMETER_ERROR;
        }
}

/* Echo the controls with their statuses. */
static void cmd_respond(struct outst *o, uint64_t now)
{
        struct apdu_wr a;
        int cur = -1;

        cmd_refuse_missing(o);
        rsp_init(o, &a, o->cmd_seq, true);
        for (size_t i = 0; i < o->n_cmds; i++) {
                const struct outst_cmd *c = &o->cmds[i];
                if (o->cmd_hdr_of[i] != cur) {
                        const struct cmd_hdr *h = &o->cmd_hdrs[o->cmd_hdr_of[i]];
                        cur = o->cmd_hdr_of[i];
                        if (apdu_wr_begin(&a, h->group, h->var, h->qual, h->start) < 0)
                                break;
                }
                if (apdu_wr_value(&a, &c->v) < 0)
                        break;
        }
        apdu_wr_end(&a);
        rsp_queue(o, &a, o->cmd_seq, true, true, false, now);
}

/* Answer the deferred controls; whether that armed a selection (a SELECT). */
static bool cmd_finish(struct outst *o, uint64_t now)
{
        o->cmd_pending = false;
        o->cmd_deadline = DNP_NEVER;
        if (o->sol == SOL_CMD_PENDING)
                o->sol = SOL_IDLE;
        /* a deferred answer must not go out for a request that takes none (and a
         * broadcast SELECT selects nothing: no answer, so no OPERATE can match it) */
        if (o->cmd_func == APP_FUNC_DIRECT_OPERATE_NR || o->cmd_broadcast)
                return false;
        cmd_respond(o, now);
        /* armed only if every object, missing points refused by cmd_respond, succeeded */
        if (o->cmd_func != APP_FUNC_SELECT || o->n_cmds == 0 || o->req_len <= APP_REQ_HDR_LEN)
                return false;
        for (size_t i = 0; i < o->n_cmds; i++)
                if (cmd_status(&o->cmds[i]) != DNP_CMD_SUCCESS)
                        return false;
        o->sel_valid = true;
        o->sel_told = false;
        o->sel_seq = o->cmd_seq;
        o->sel_time = o->cmd_time;
        o->sel_len = o->req_len - APP_REQ_HDR_LEN;
        memcpy(o->sel_obj, o->req + APP_REQ_HDR_LEN, o->sel_len);
        return true;
}

int outst_cmd_complete(struct outst *o, uint32_t token, const uint8_t *statuses, size_t n,
                       uint64_t now)
{
        if (!o->cmd_pending || token != o->cmd_token)
                return -ESTALE;
        if (n != o->n_cmds)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                cmd_set_status(&o->cmds[i], statuses[i]);
        bool armed = cmd_finish(o, now);
        outst_uns_try(o, now);
        dnp_sess_wake(&o->sess);
        return armed ? 1 : 0;
}

static void cmd_all(struct outst *o, uint8_t status)
{
        for (size_t i = 0; i < o->n_cmds; i++)
                cmd_set_status(&o->cmds[i], status);
}

static const char *const sel_end_names[] = {
#define X(name, str) [OUTST_SEL_END_##name] = str,
        OUTST_SEL_END_LIST(X)
#undef X
};

const char *outst_sel_end_name(enum outst_sel_end e)
{
        return (unsigned)e < OUTST_SEL_END_MAX ? sel_end_names[e] : "unknown";
}

/*
 * Tell the application, once per selection, that it ended unused.  An
 * expired selection is told at once but remembered (sel_valid stays), so
 * that its OPERATE, arriving late, is answered TIMEOUT rather than NO_SELECT.
 */
static void select_tell(struct outst *o, enum outst_sel_end why)
{
        if (o->sel_told)
                return;
        o->sel_told = true;
        if (o->cb.on_select_end)
                o->cb.on_select_end(o->ctx, why);
}

/* The selection ends unused: forget it and tell the application. */
static void select_end(struct outst *o, enum outst_sel_end why)
{
        if (!o->sel_valid)
                return;
        o->sel_valid = false;
        select_tell(o, why);
}

/* The last millisecond the selection is good for (select_matches). */
static uint64_t select_last_ms(const struct outst *o)
{
        return o->sel_time + o->cfg.select_timeout_ms;
}

/* An OPERATE of the selected objects with the SELECT's sequence + 1 (in time or not). */
static bool select_matches(const struct outst *o, uint8_t seq, const uint8_t *objs, size_t n)
{
        return o->sel_valid && seq == ((o->sel_seq + 1) & APP_CTRL_SEQ) && n == o->sel_len &&
               memcmp(objs, o->sel_obj, n) == 0;
}

static void handle_control(struct outst *o, uint8_t seq, uint8_t func, const uint8_t *objs,
                           size_t n, uint64_t now)
{
        struct cmd_ctx cc = { .o = o };
        static const struct obj_visitor vis = {
                .on_header = cmd_on_header,
                .on_value = cmd_on_value,
        };
        bool nr = func == APP_FUNC_DIRECT_OPERATE_NR;

        o->n_cmds = 0;
        o->n_cmd_hdrs = 0;
        o->cmd_overflow = false;
        o->cmd_func = func;
        o->cmd_seq = seq;
        o->cmd_time = now;
        o->cmd_broadcast = o->in_broadcast;
        bool matched = func == APP_FUNC_OPERATE && select_matches(o, seq, objs, n);
        bool late = matched && now - o->sel_time > o->cfg.select_timeout_ms;
        /* any request other than the matching OPERATE ends the selection */
        if (matched)
                o->sel_valid = false;
        else
                select_end(o, OUTST_SEL_END_SUPERSEDED);

        int r = obj_parse(objs, n, OBJ_MODE_DATA, &vis, &cc, NULL);
        if (r < 0 || cc.bad) {
                if (r < 0)
                        o->req_iin |= obj_err_iin(r);
                if (!nr)
                        rsp_null(o, seq, now);
                return;
        }
        if (o->cmd_overflow) {
                /* echo what we hold, all refused */
                cmd_all(o, DNP_CMD_TOO_MANY_OBJS);
                if (!nr)
                        cmd_respond(o, now);
                return;
        }
        o->stats.commands++;
        if (func == APP_FUNC_OPERATE && (!matched || late)) {
                /* the right OPERATE after select_timeout: TIMEOUT; any other: NO_SELECT */
                if (late)
                        o->stats.select_timeouts++;
                else
                        o->stats.no_select++;
                cmd_all(o, late ? DNP_CMD_TIMEOUT : DNP_CMD_NO_SELECT);
                cmd_respond(o, now);
                return;
        }
        if (!o->cb.on_command || o->n_cmds == 0) {
                cmd_all(o, DNP_CMD_NOT_SUPPORTED);
                if (!nr)
                        cmd_respond(o, now);
                return;
        }
        /*
         * Every object goes to the application, absent points included, so
         * that every control reaches the audit (the gateway answers
         * NOT_SUPPORTED for an index its point map does not have; the map's
         * ranges are the database's present points).  Whatever it answers,
         * the response refuses an absent point (cmd_respond).
         */
        o->cmd_token++;
        o->cmd_pending = true;
        o->cmd_deadline = now + o->cfg.cmd_timeout_ms;
        o->sol = SOL_CMD_PENDING;
        o->cb.on_command(o->ctx, o->cmd_token, func, o->cmds, o->n_cmds);
}

/* ---- unsolicited ------------------------------------------------------- */

static unsigned uns_pending_events(const struct outst *o)
{
        unsigned n = 0;
        for (unsigned c = 1; c <= 3; c++)
                if (o->uns_enabled & (1u << c))
                        n += (unsigned)events_unsent(o->ev, c);
        return n;
}

static void uns_build(struct outst *o, bool null)
{
        struct apdu_wr a;
        struct apdu_hdr h = {
                .fir = true, .fin = true, .con = true, .uns = true,
                .seq = o->uns_seq, .func = APP_FUNC_UNSOLICITED_RESPONSE,
        };
        (void)apdu_wr_init(&a, o->unsbuf, o->cfg.max_fragment, &h);
        if (!null) {
                size_t n;
                struct ev_sel sel = {
                        .classes = o->uns_enabled,
                        .type = DNP_TYPE_NONE,
                        .left = o->cfg.unsol.max_events ? o->cfg.unsol.max_events : EV_NO_LIMIT,
                };
                (void)write_events(o, &a, &sel, 1, EV_SEL_UNSOL, &n);
        }
        h.iin = outst_iin(o);
        o->uns_bcast = o->bcast == BCAST_CONFIRM;
        apdu_wr_set_hdr(&a, &h);
        o->uns_len = apdu_wr_len(&a);
        o->uns_queued = true;
        o->uns = UNS_WAIT_CONFIRM;
        o->uns_tries = 0;
        o->uns_deadline = DNP_NEVER;
}

static void outst_uns_try(struct outst *o, uint64_t now)
{
        if (!o->connected || !o->cfg.unsol.enabled || o->uns != UNS_IDLE ||
            o->sol != SOL_IDLE || o->rsp_queued || now < o->uns_backoff)
                return;
        if (o->uns_null_pending) {
                uns_build(o, true);
                outst_flush(o, now);
                return;
        }
        unsigned n = uns_pending_events(o);
        if (n == 0) {
                o->hold_start = DNP_NEVER;
                return;
        }
        if (o->hold_start == DNP_NEVER)
                o->hold_start = now;
        unsigned hold_count = o->cfg.unsol.hold_count ? o->cfg.unsol.hold_count : 1;
        if (n < hold_count && now - o->hold_start < o->cfg.unsol.hold_time_ms)
                return;
        o->hold_start = DNP_NEVER;
        uns_build(o, false);
        outst_flush(o, now);
}

static void uns_confirmed(struct outst *o, uint64_t now)
{
        size_t n = events_confirm(o->ev, EV_SEL_UNSOL);
        if (n > 0)
                events_clear_overflow(o->ev);
        if (o->uns_bcast)
                o->bcast = BCAST_NONE;
        o->uns_bcast = false;
        o->uns_null_pending = false;
        o->uns = UNS_IDLE;
        o->uns_deadline = DNP_NEVER;
        o->uns_queued = false;
        o->uns_seq = (o->uns_seq + 1) & APP_CTRL_SEQ;
        outst_uns_try(o, now);
}

static void uns_timeout(struct outst *o, uint64_t now)
{
        o->stats.unsol_timeouts++;
        o->uns_deadline = DNP_NEVER;
        if (o->cfg.unsol.retries < 0 || o->uns_tries < (unsigned)o->cfg.unsol.retries) {
                /* the same fragment again, same sequence number */
                o->uns_tries++;
                o->uns_queued = true;
                outst_flush(o, now);
                return;
        }
        events_unselect(o->ev, EV_SEL_UNSOL);
        o->uns = UNS_IDLE;
        o->uns_seq = (o->uns_seq + 1) & APP_CTRL_SEQ;
        o->uns_backoff = now + o->cfg.confirm_timeout_ms;
}

/* ---- solicited confirms ------------------------------------------------- */

static void sol_cancel(struct outst *o)
{
        events_unselect(o->ev, EV_SEL_SOL);
        o->sol = SOL_IDLE;
        o->sol_deadline = DNP_NEVER;
        o->rd_more = false;
        o->rsp_queued = false;
}

static void handle_confirm(struct outst *o, const struct apdu_hdr *h, uint64_t now)
{
        if (h->uns) {
                if (o->uns == UNS_WAIT_CONFIRM && !o->uns_queued && h->seq == o->uns_seq)
                        uns_confirmed(o, now);
                return;
        }
        if (o->sol != SOL_WAIT_CONFIRM || o->rsp_queued || h->seq != o->sol_seq)
                return;
        size_t n = events_confirm(o->ev, EV_SEL_SOL);
        if (n > 0)
                events_clear_overflow(o->ev);
        if (o->sol_bcast)
                o->bcast = BCAST_NONE;
        o->sol_bcast = false;
        o->sol_deadline = DNP_NEVER;
        if (o->rd_more) {
                read_fragment(o, (uint8_t)(o->sol_seq + 1), false, now);
                return;
        }
        o->sol = SOL_IDLE;
        outst_uns_try(o, now);
}

/* ---- requests ------------------------------------------------------------ */

static void handle_apdu(struct outst *o, const uint8_t *apdu, size_t len, uint16_t dest,
                        uint64_t now)
{
        bool broadcast = link_is_broadcast(dest);
        struct rd c;
        struct apdu_hdr h;

        rd_init(&c, apdu, len);
        if (apdu_parse_hdr(&c, &h) < 0)
                return;
        if (h.func == APP_FUNC_CONFIRM) {
                handle_confirm(o, &h, now);
                return;
        }
        if (app_func_is_response(h.func) || !h.fir || !h.fin)
                return;
        o->stats.requests++;

        /* duplicate: same sequence, same bytes -> the same answer again */
        if (o->req_valid && len == o->req_len && memcmp(apdu, o->req, len) == 0) {
                o->stats.duplicates++;
                if (o->cmd_pending || o->rsp_len == 0 || broadcast)
                        return;
                o->rsp_queued = true;
                if (o->sol_con) {
                        o->sol = SOL_WAIT_CONFIRM;
                        o->sol_deadline = DNP_NEVER;
                }
                outst_flush(o, now);
                return;
        }

        /* a new request supersedes whatever was in progress */
        if (o->sel_valid && now > select_last_ms(o))
                select_tell(o, OUTST_SEL_END_EXPIRED);  /* before its timer fired */
        if (h.func != APP_FUNC_OPERATE)         /* an OPERATE: handle_control() decides */
                select_end(o, OUTST_SEL_END_SUPERSEDED);
        if (o->sol == SOL_WAIT_CONFIRM)
                sol_cancel(o);
        o->cmd_pending = false;
        o->cmd_deadline = DNP_NEVER;
        o->frz_pending = false;
        o->sol = SOL_IDLE;
        o->rsp_queued = false;
        o->rsp_len = 0;
        memcpy(o->req, apdu, len);
        o->req_len = len;
        o->req_valid = true;
        o->req_iin = 0;
        o->in_broadcast = broadcast;
        if (dest == LINK_ADDR_BROADCAST_CONFIRM)
                o->bcast = BCAST_CONFIRM;
        else if (broadcast && o->bcast == BCAST_NONE)
                o->bcast = BCAST_ONCE;

        const uint8_t *objs = c.p;
        size_t n = rd_left(&c);
        switch (h.func) {
        case APP_FUNC_READ:
                handle_read(o, h.seq, objs, n, now);
                break;
        case APP_FUNC_WRITE:
                handle_write(o, h.seq, objs, n, now);
                break;
        case APP_FUNC_SELECT:
        case APP_FUNC_OPERATE:
        case APP_FUNC_DIRECT_OPERATE:
        case APP_FUNC_DIRECT_OPERATE_NR:
                handle_control(o, h.seq, h.func, objs, n, now);
                break;
        case APP_FUNC_IMMED_FREEZE:
        case APP_FUNC_IMMED_FREEZE_NR:
        case APP_FUNC_FREEZE_CLEAR:
        case APP_FUNC_FREEZE_CLEAR_NR:
        case APP_FUNC_FREEZE_AT_TIME:
        case APP_FUNC_FREEZE_AT_TIME_NR:
                handle_freeze(o, h.seq, h.func, objs, n, now);
                break;
        case APP_FUNC_COLD_RESTART:
        case APP_FUNC_WARM_RESTART:
                handle_restart(o, h.seq, h.func == APP_FUNC_COLD_RESTART, now);
                break;
        case APP_FUNC_ENABLE_UNSOLICITED:
        case APP_FUNC_DISABLE_UNSOLICITED:
                handle_unsol_ctl(o, h.seq, h.func == APP_FUNC_ENABLE_UNSOLICITED, objs, n, now);
                break;
        case APP_FUNC_DELAY_MEASURE:
                handle_delay(o, h.seq, now);
                break;
        case APP_FUNC_RECORD_CURRENT_TIME:
                o->record_time = now;
                o->record_time_valid = true;
                rsp_null(o, h.seq, now);
                break;
        default:
                o->req_iin |= APP_IIN_NO_FUNC_CODE_SUPPORT;
                rsp_null(o, h.seq, now);
                break;
        }
        if (o->req_iin)
                o->stats.bad_requests++;
        o->in_broadcast = false;
        outst_uns_try(o, now);
}

/* ---- input, timers, connection -------------------------------------------- */

struct rx_ctx {
        struct outst *o;
        uint64_t now;
};

static int outst_on_frame(void *ctx, const struct link_frame *f)
{
        struct rx_ctx *c = ctx;
        struct outst *o = c->o;
        enum lsess_match m = lsess_check_frame(&o->ls, f);
        if (m != LSESS_MATCH_OK) {
                o->stats.rejected_frames[m]++;
                if (o->cb.on_reject)
                        o->cb.on_reject(o->ctx, m, f->h.src, f->h.dest);
                return 0;
        }
        const uint8_t *apdu;
        size_t len;
        if (lsess_on_frame(&o->ls, f, c->now, &o->out, &apdu, &len) == 1)
                handle_apdu(o, apdu, len, f->h.dest, c->now);
        outst_flush(o, c->now);
        return 0;
}

void outst_rx(struct outst *o, const uint8_t *p, size_t n, uint64_t now)
{
        if (!o->connected)
                return;
        struct rx_ctx c = { .o = o, .now = now };
        (void)link_scanner_push(&o->sc, p, n, outst_on_frame, &c);
}

uint64_t outst_deadline(const struct outst *o)
{
        uint64_t d = DNP_NEVER;
#define MIN_INTO(x) do { if ((x) < d) d = (x); } while (0)
        if (o->connected) {
                MIN_INTO(lsess_deadline(&o->ls));
                if (o->sol == SOL_WAIT_CONFIRM)
                        MIN_INTO(o->sol_deadline);
                if (o->uns == UNS_WAIT_CONFIRM)
                        MIN_INTO(o->uns_deadline);
                /*
                 * Unsolicited timers count only while one could be sent: a
                 * solicited exchange in progress blocks it (and tries again
                 * when it ends), and a past deadline would fire at once, again.
                 */
                if (o->uns == UNS_IDLE && o->sol == SOL_IDLE && !o->rsp_queued) {
                        uint64_t u = DNP_NEVER;
                        if (o->hold_start != DNP_NEVER)
                                u = o->hold_start + o->cfg.unsol.hold_time_ms;
                        /* during a back-off nothing goes out, held events included */
                        if (o->uns_backoff > 0 && o->cfg.unsol.enabled &&
                            (o->uns_null_pending || uns_pending_events(o) > 0))
                                u = u == DNP_NEVER || u < o->uns_backoff ? o->uns_backoff : u;
                        MIN_INTO(u);
                }
        }
        if (o->cmd_pending)
                MIN_INTO(o->cmd_deadline);
        if (o->frz_pending)
                MIN_INTO(o->frz_deadline);
        /* the expiry is only told (a late OPERATE is judged by its own time) */
        if (o->sel_valid && !o->sel_told && o->cb.on_select_end)
                MIN_INTO(select_last_ms(o) + 1);
        if (!o->need_time)
                MIN_INTO(o->need_time_at);
#undef MIN_INTO
        return d;
}

void outst_timer(struct outst *o, uint64_t now)
{
        if (!o->need_time && o->need_time_at != DNP_NEVER && now >= o->need_time_at) {
                o->need_time = true;
                o->need_time_at = DNP_NEVER;
        }
        if (o->cmd_pending && now >= o->cmd_deadline) {
                o->stats.cmd_timeouts++;
                cmd_all(o, DNP_CMD_TIMEOUT);
                (void)cmd_finish(o, now);       /* TIMEOUT arms nothing */
        }
        if (o->frz_pending && now >= o->frz_deadline) {
                o->stats.freeze_timeouts++;
                o->req_iin |= APP_IIN_PARAMETER_ERROR;
                freeze_finish(o, now);
        }
        if (o->sel_valid && !o->sel_told && now > select_last_ms(o))
                select_tell(o, OUTST_SEL_END_EXPIRED);
        if (!o->connected)
                return;
        (void)lsess_on_timer(&o->ls, now, &o->out);
        if (lsess_keepalive_failed(&o->ls))
                dnp_sess_drop(&o->sess, -ETIMEDOUT, "link keep-alive failed");
        if (o->sol == SOL_WAIT_CONFIRM && now >= o->sol_deadline) {
                o->stats.confirm_timeouts++;
                sol_cancel(o);
        }
        if (o->uns == UNS_WAIT_CONFIRM && now >= o->uns_deadline)
                uns_timeout(o, now);
        /* the back-off is over: a past deadline left in place would fire again at once */
        if (o->uns_backoff > 0 && now >= o->uns_backoff)
                o->uns_backoff = 0;
        outst_flush(o, now);
        outst_uns_try(o, now);
}

int outst_update_src(struct outst *o, enum dnp_type t, const struct dnp_value *v,
                     enum db_mode mode, uint16_t src, uint64_t now)
{
        struct db_event e;
        int r = db_update(o->db, t, v, mode, &e);
        if (r != 1)
                return r;
        (void)events_add(o->ev, &e, src);
        outst_uns_try(o, now);
        dnp_sess_wake(&o->sess);
        return 1;
}

int outst_update(struct outst *o, enum dnp_type t, const struct dnp_value *v, enum db_mode mode,
                 uint64_t now)
{
        return outst_update_src(o, t, v, mode, EVENTS_SRC_NONE, now);
}

void outst_up(struct outst *o, uint64_t now)
{
        outst_down(o, now);
        o->connected = true;
        outst_uns_try(o, now);
}

void outst_down(struct outst *o, uint64_t now)
{
        events_unselect(o->ev, EV_SEL_SOL);
        events_unselect(o->ev, EV_SEL_UNSOL);
        o->connected = false;
        o->sol = SOL_IDLE;
        o->sol_deadline = DNP_NEVER;
        o->rd_more = false;
        o->rsp_queued = false;
        o->rsp_len = 0;
        o->req_valid = false;
        o->cmd_pending = false;
        o->cmd_deadline = DNP_NEVER;
        o->frz_pending = false;
        select_end(o, OUTST_SEL_END_CLOSED);
        o->uns = UNS_IDLE;
        o->uns_queued = false;
        o->uns_deadline = DNP_NEVER;
        o->uns_backoff = 0;
        o->hold_start = DNP_NEVER;
        o->record_time_valid = false;
        o->out.len = 0;
        link_scanner_init(&o->sc);
        lsess_reset(&o->ls, now);
}

/* ---- the session interface -------------------------------------------- */

static struct outst *outst_of(const struct dnp_sess *s)
{
        return (struct outst *)((const char *)s - offsetof(struct outst, sess));
}

static void outst_sess_up(struct dnp_sess *s, uint64_t now)
{
        outst_up(outst_of(s), now);
}

static void outst_sess_down(struct dnp_sess *s, uint64_t now)
{
        outst_down(outst_of(s), now);
}

static void outst_sess_rx(struct dnp_sess *s, const uint8_t *p, size_t n, uint64_t now)
{
        outst_rx(outst_of(s), p, n, now);
}

static size_t outst_sess_output(const struct dnp_sess *s, const uint8_t **ret)
{
        return outst_output(outst_of(s), ret);
}

static void outst_sess_consumed(struct dnp_sess *s, size_t n, uint64_t now)
{
        outst_consumed(outst_of(s), n, now);
}

static uint64_t outst_sess_deadline(const struct dnp_sess *s)
{
        return outst_deadline(outst_of(s));
}

static void outst_sess_timer(struct dnp_sess *s, uint64_t now)
{
        outst_timer(outst_of(s), now);
}

static const struct dnp_sess_ops outst_sess_ops = {
        .up = outst_sess_up,
        .down = outst_sess_down,
        .rx = outst_sess_rx,
        .output = outst_sess_output,
        .consumed = outst_sess_consumed,
        .deadline = outst_sess_deadline,
        .timer = outst_sess_timer,
};

struct dnp_sess *outst_sess(struct outst *o)
{
        return &o->sess;
}
