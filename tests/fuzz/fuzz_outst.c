/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the outstation session (requests from a hostile master).
 *
 * Input: CFG K CTRL[K] DATA...
 *   CFG  bit 0 confirmed link service, bit 1 unsolicited enabled, bit 2
 *        NEED_TIME, bit 3 keep-alive, bit 4 the smallest fragment size (249).
 *   CTRL one byte per step, low 3 bits the operation, high 5 bits p:
 *        0 feed the next p+1 DATA bytes           1 feed the next 16(p+1) bytes
 *        2 advance the clock by 50(p+1) ms, fire   3 jump to the deadline, fire
 *        4 complete the pending controls with status p, the pending freeze
 *          with IIN2 bits p (p odd: the freeze first)
 *        5 confirm the last response/unsolicited the way a master does (p odd:
 *          with the wrong sequence)
 *        6 update a point (type p%7, index p/7, DB_FORCE, event source p&3 of
 *          sources 1..2, 3 counting as untagged) - events, overflow
 *        7 p even: toggle "socket full" (output not taken); p odd: reconnect
 *   Then the rest of DATA is fed at once, the output drained and the timers
 *   run until the session is idle (bounded); after each firing the next
 *   deadline must lie in the future (else the adapter would spin).
 *
 * The database is small (8 points of each type, classes 1-3, event depth 5)
 * so every path, overflow included, is reachable.  Every byte the session
 * sends is scanned as link frames by a master link session: each frame must
 * be addressed correctly (from 10 to 1, outstation direction), every
 * response APDU must parse (header, objects in data mode), the output must
 * never exceed the session's buffer, deadlines must not lie in the past
 * after a timer ran, and the event buffers' lists and counts must agree
 * (events_check) after every step, as must a journal kept by the events
 * journal hook (every event removed was added and not yet removed; the
 * journal holds as many as the buffers).  Any violation aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/app.h"
#include "dnp3/cursor.h"
#include "dnp3/link.h"
#include "dnp3/lsess.h"
#include "dnp3/obj.h"
#include "dnp3/ptype.h"
#include "outstation/outst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS_IDLE 64

static struct {
        struct outst *o;
        struct lsess m;
        uint8_t mrx[4096];
        struct link_scanner sc;
        uint64_t now;
        bool hold;                      /* do not take the output ("socket full") */
        bool cmd_pending;
        uint32_t token;
        uint8_t cmd_func;
        size_t n_cmds;
        bool frz_pending;
        uint32_t frz_token;
        bool have_last;
        struct apdu_hdr last;           /* last response/unsolicited header seen */
} F;

static void check(int cond)
{
        if (!cond)
                abort();
}

static void on_command(void *ctx, uint32_t token, uint8_t func, const struct outst_cmd *cmds,
                       size_t n)
{
        (void)ctx;
        check(n > 0 && n <= OUTST_MAX_CMDS);
        check(func == APP_FUNC_SELECT || func == APP_FUNC_OPERATE ||
              func == APP_FUNC_DIRECT_OPERATE || func == APP_FUNC_DIRECT_OPERATE_NR);
        for (size_t i = 0; i < n; i++)
                check(cmds[i].group == 12 || cmds[i].group == 41);
        F.cmd_pending = true;
        F.token = token;
        F.cmd_func = func;
        F.n_cmds = n;
}

static void on_freeze(void *ctx, uint32_t token, const struct outst_freeze *f)
{
        (void)ctx;
        check(f->func >= APP_FUNC_IMMED_FREEZE && f->func <= APP_FUNC_FREEZE_AT_TIME_NR);
        uint32_t n = 0;
        for (uint32_t i = 0; i < f->count + 8; i++)
                if (outst_freeze_named(f, i)) {
                        /* only counters that exist are named */
                        check(i < f->count && db_present(outst_db(F.o), DNP_TYPE_CNT, i));
                        n++;
                }
        check(n == f->n && n > 0);
        F.frz_pending = true;
        F.frz_token = token;
}

static int on_restart(void *ctx, bool cold, uint32_t *ret_delay_ms)
{
        (void)ctx;
        if (cold)
                return -ENOTSUP;
        *ret_delay_ms = 2000;
        return 0;
}

static const struct outst_callbacks cbs = {
        .on_command = on_command,
        .on_freeze = on_freeze,
        .on_restart = on_restart,
};

static int v_header(void *ctx, const struct obj_hdr *h)
{
        (void)ctx;
        (void)h;
        return 0;
}

static int v_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        (void)ctx;
        (void)h;
        (void)v;
        return 0;
}

static void check_apdu(const uint8_t *a, size_t n)
{
        struct rd c;
        struct apdu_hdr h;
        static const struct obj_visitor vis = { .on_header = v_header, .on_value = v_value };

        rd_init(&c, a, n);
        check(apdu_parse_hdr(&c, &h) == 0);
        check(h.func == APP_FUNC_RESPONSE || h.func == APP_FUNC_UNSOLICITED_RESPONSE);
        check(h.fir || h.func == APP_FUNC_RESPONSE);
        check(obj_parse(c.p, c.len, OBJ_MODE_DATA, &vis, NULL, NULL) == 0);
        F.last = h;
        F.have_last = true;
}

/* Take the session's output, check it, and feed the master's link replies back. */
static void drain(void)
{
        for (int guard = 0; guard < 64 && !F.hold; guard++) {
                const uint8_t *p;
                size_t n = outst_output(F.o, &p);
                if (n == 0)
                        return;
                check(n <= 16 * LINK_MAX_FRAME);
                uint8_t copy[16 * LINK_MAX_FRAME];
                memcpy(copy, p, n);
                outst_consumed(F.o, n, F.now);

                uint8_t reply[512];
                struct wr w;
                wr_init(&w, reply, sizeof(reply));
                size_t off = 0;
                while (off < n) {
                        off += link_scanner_feed(&F.sc, copy + off, n - off);
                        struct link_frame f;
                        while (link_scanner_next(&F.sc, &f) > 0) {
                                check(lsess_check_frame(&F.m, &f) == LSESS_MATCH_OK);
                                const uint8_t *a;
                                size_t alen;
                                if (lsess_on_frame(&F.m, &f, F.now, &w, &a, &alen) == 1)
                                        check_apdu(a, alen);
                        }
                }
                check(F.sc.stats.hdr_crc_errors == 0 && F.sc.stats.body_crc_errors == 0);
                if (w.len > 0)
                        outst_rx(F.o, reply, w.len, F.now);
        }
}

static void fire(void)
{
        outst_timer(F.o, F.now);
        drain();
}

static void master_confirm(bool wrong_seq)
{
        if (!F.have_last || !lsess_tx_idle(&F.m))
                return;
        uint8_t seq = (uint8_t)((F.last.seq + (wrong_seq ? 1 : 0)) & APP_CTRL_SEQ);
        uint8_t apdu[2] = {
                (uint8_t)(APP_CTRL_FIR | APP_CTRL_FIN | (F.last.uns ? APP_CTRL_UNS : 0) | seq),
                APP_FUNC_CONFIRM,
        };
        uint8_t buf[64];
        struct wr w;
        wr_init(&w, buf, sizeof(buf));
        if (lsess_send(&F.m, apdu, sizeof(apdu), F.now, &w) == 0)
                outst_rx(F.o, buf, w.len, F.now);
        drain();
}

/* A journal kept through the hook: the seqs of the events it holds. */
#define JMAX 32
static uint32_t jseq[JMAX];
static size_t jn;

static void j_added(void *ctx, const struct ev *e, unsigned cls)
{
        (void)ctx;
        check(cls >= 1 && cls <= 3 && jn < JMAX);
        for (size_t i = 0; i < jn; i++)
                check(jseq[i] != e->seq);
        jseq[jn++] = e->seq;
}

static void j_removed(void *ctx, const struct ev *e, unsigned cls)
{
        (void)ctx;
        check(cls >= 1 && cls <= 3);
        for (size_t i = 0; i < jn; i++) {
                if (jseq[i] == e->seq) {
                        jseq[i] = jseq[--jn];
                        return;
                }
        }
        check(0);
}

static const struct events_journal jhook = { .added = j_added, .removed = j_removed };

static void check_events(void)
{
        const struct events *ev = outst_events(F.o);
        check(events_check(ev) == 0);
        check(jn == events_count(ev, 1) + events_count(ev, 2) + events_count(ev, 3));
}

static void update(unsigned p)
{
        enum dnp_type t = dnp_ptypes[p % DNP_PTYPE_COUNT].type;
        struct dnp_value v = {
                .index = p / DNP_PTYPE_COUNT,
                .flags = DNP_FLAG_ONLINE,
                .time = F.now + 1000000,
                .time_kind = DNP_TIME_ABS,
        };
        dnp_value_set(t, (double)(p & 3), &v);
        int r = outst_update_src(F.o, t, &v, DB_FORCE, (uint16_t)(p & 3), F.now);
        check(r == 1 || r == 0 || r == -ERANGE || r == -ENOENT);   /* -ENOENT: absent point */
        drain();
}

static void setup(uint8_t cfgb)
{
        struct outst_cfg c = {
                .address = 10,
                .master_address = 1,
                .max_fragment = (cfgb & 0x10) ? 249 : 2048,
                .max_rx_fragment = 2048,
                .keepalive_ms = (cfgb & 0x08) ? 3000 : 0,
                .link_confirmed = cfgb & 0x01,
                .link_timeout_ms = 500,
                .link_retries = 2,
                .confirm_timeout_ms = 2000,
                .select_timeout_ms = 1500,
                .cmd_timeout_ms = 1000,
                .need_time_ms = (cfgb & 0x04) ? 60000 : 0,
                .unsol = {
                        .enabled = (cfgb & 0x02) != 0,
                        .classes = 0x0e,
                        .retries = 2,
                        .hold_time_ms = 100,
                        .hold_count = 3,
                },
                .event_depth = { 0, 5, 5, 5 },
                .event_sources = 2,
        };
        DNP_PTYPE_FOREACH(p)
                c.points[p->type] = 8;
        int err = 0;
        memset(&F, 0, sizeof(F));
        F.now = 1000;
        F.o = outst_new(&c, &cbs, NULL, F.now, &err);
        check(F.o != NULL);
        jn = 0;
        outst_set_events_journal(F.o, &jhook);
        DNP_PTYPE_FOREACH(p) {
                int t = (int)p->type;
                struct db_point_cfg pc = {
                        .static_var = p->svar,
                        .event_var = p->evar,
                        .event_class = (uint8_t)(1 + t % 3),
                        .deadband = t == DNP_TYPE_AI ? 1.5 : 0,
                };
                if (t % 2) {
                        check(db_configure(outst_db(F.o), (enum dnp_type)t, 0, 8, &pc) == 0);
                } else {
                        /* holes: 0..2 and 5..6 present, 3, 4 and 7 absent (unmapped) */
                        check(db_configure(outst_db(F.o), (enum dnp_type)t, 0, 3, &pc) == 0);
                        check(db_configure(outst_db(F.o), (enum dnp_type)t, 5, 2, &pc) == 0);
                }
        }
        struct lsess_cfg mc = { .master = true, .local = 1, .remote = 10 };
        lsess_init(&F.m, &mc, F.mrx, sizeof(F.mrx), F.now);
        link_scanner_init(&F.sc);
        outst_up(F.o, F.now);
        drain();
}

static void feed(const uint8_t **d, size_t *n, size_t want)
{
        size_t k = want < *n ? want : *n;
        outst_rx(F.o, *d, k, F.now);
        *d += k;
        *n -= k;
        drain();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 2)
                return 0;
        setup(data[0]);
        size_t k = data[1];
        data += 2;
        size -= 2;
        if (k > size)
                k = size;
        const uint8_t *ctrl = data;
        const uint8_t *d = data + k;
        size_t n = size - k;

        for (size_t i = 0; i < k; i++) {
                unsigned op = ctrl[i] & 7, p = ctrl[i] >> 3;
                switch (op) {
                case 0:
                        feed(&d, &n, p + 1);
                        break;
                case 1:
                        feed(&d, &n, 16 * (p + 1));
                        break;
                case 2:
                        F.now += 50 * (p + 1);
                        fire();
                        break;
                case 3: {
                        uint64_t dl = outst_deadline(F.o);
                        if (dl != DNP_NEVER) {
                                if (dl > F.now)
                                        F.now = dl;
                                fire();
                        }
                        break;
                }
                case 4:
                        if (F.frz_pending && (p & 1)) {
                                int r = outst_freeze_complete(F.o, F.frz_token,
                                                              (uint16_t)(p << 8), F.now);
                                check(r == 0 || r == -ESTALE);
                                F.frz_pending = false;
                                drain();
                        }
                        if (F.cmd_pending) {
                                uint8_t st[OUTST_MAX_CMDS];
                                memset(st, (int)p, sizeof(st));
                                int r = outst_cmd_complete(F.o, F.token, st, F.n_cmds, F.now);
                                /* only a SELECT answered SUCCESS arms a selection */
                                check(r == 0 || r == -ESTALE ||
                                      (r == 1 && F.cmd_func == APP_FUNC_SELECT &&
                                       p == DNP_CMD_SUCCESS));
                                F.cmd_pending = false;
                                drain();
                        }
                        break;
                case 5:
                        master_confirm(p & 1);
                        break;
                case 6:
                        update(p);
                        break;
                default:
                        if (p & 1) {
                                outst_down(F.o, F.now);
                                outst_up(F.o, F.now);
                                link_scanner_init(&F.sc);
                                struct lsess_cfg mc = { .master = true, .local = 1, .remote = 10 };
                                lsess_init(&F.m, &mc, F.mrx, sizeof(F.mrx), F.now);
                                F.have_last = false;
                        } else {
                                F.hold = !F.hold;
                        }
                        drain();
                        break;
                }
                check_events();
        }
        F.hold = false;
        feed(&d, &n, n);
        /* run the clock until the session is idle */
        for (int i = 0; i < MAX_STEPS_IDLE; i++) {
                uint64_t dl = outst_deadline(F.o);
                if (dl == DNP_NEVER)
                        break;
                if (dl > F.now)
                        F.now = dl;
                fire();
                /* a deadline still due after the timer ran would spin the event loop */
                check(outst_deadline(F.o) > F.now);
        }
        check_events();
        outst_free(F.o);
        F.o = NULL;
        return 0;
}
