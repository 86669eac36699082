/* SPDX-License-Identifier: MIT */
/*
 * Response handling of a device: a solicited response or an unsolicited
 * one is parsed into measurements (the on_value upcall), its IIN demands
 * the tasks it calls for (restart, buffer overflow, time needed), an
 * answer to a control, a freeze or a delay measurement goes to its owner,
 * repeated unsolicited fragments are recognised, and what the device
 * refused or sent malformed is reported (diagnostics).
 */

#include "dnp3/crc.h"
#include "dnp3/obj.h"
#include "dnp3/ptype.h"
#include "master/master_priv.h"

void master_rsp_reset(struct master_rsp *r)
{
        r->unsol_last_valid = false;
}

struct meas_ctx {
        struct master_dev *d;
        uint64_t wall;
        bool unsol;
};

static int rsp_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct meas_ctx *c = ctx;
        struct master_dev *d = c->d;
        struct master_chan *ch = d->chan;
        /* measurements are the values of point types (ptype.h), not IIN, delays, controls */
        if (!h->desc || !dnp_ptype_valid((enum dnp_type)h->desc->type))
                return 0;
        struct master_meas m = {
                .dev = d,
                .type = (enum dnp_type)h->desc->type,
                .group = h->group,
                .var = h->var,
                .event = h->desc->event,
                .device_time = v->time_kind != DNP_TIME_NONE,
                .unsolicited = c->unsol,
                .v = *v,
        };
        if (!m.device_time)
                m.v.time = c->wall;
        d->stats.values++;
        if (ch->cb.on_value)
                ch->cb.on_value(ch->cb.ctx, &m);
        return 0;
}

/* A diagnostic about something the device sent (to us). */
static struct master_diag rsp_diag(struct master_dev *d, enum master_diag_kind kind)
{
        return (struct master_diag){
                .kind = kind,
                .dev = d,
                .src = d->cfg.address,
                .dest = d->chan->cfg.master_address,
        };
}

struct hdr_list_ctx {
        struct master_diag *dg;
};

static int rsp_hdr_list_on_header(void *ctx, const struct obj_hdr *h)
{
        struct hdr_list_ctx *c = ctx;
        if (c->dg->nobjs < MASTER_DIAG_MAX_OBJS) {
                c->dg->objs[c->dg->nobjs].group = h->group;
                c->dg->objs[c->dg->nobjs].var = h->var;
                c->dg->nobjs++;
        }
        return 0;
}

/* The device refused (part of) our request: which objects it held. */
static void rsp_diag_refused(struct master_dev *d, uint8_t func, uint16_t iin)
{
        struct master_diag dg = rsp_diag(d, MASTER_DIAG_REFUSED);
        dg.func = func;
        dg.iin = iin;
        struct hdr_list_ctx c = { .dg = &dg };
        const struct obj_visitor vis = { .on_header = rsp_hdr_list_on_header };
        if (d->req_len >= APP_REQ_HDR_LEN)
                (void)obj_parse(d->req + APP_REQ_HDR_LEN, d->req_len - APP_REQ_HDR_LEN,
                                obj_mode_for_func(func), &vis, &c, NULL);
        master_chan_diag(d->chan, &dg);
}

static void rsp_diag_bad(struct master_dev *d, int err)
{
        d->stats.bad_responses++;
        struct master_diag dg = rsp_diag(d, MASTER_DIAG_BAD_RESPONSE);
        dg.err = err;
        master_chan_diag(d->chan, &dg);
}

/* IIN of a valid response; task = MASTER_TASK_MAX for unsolicited ones. */
static void rsp_on_iin(struct master_dev *d, uint16_t iin, enum master_task task, uint64_t now)
{
        struct master_chan *ch = d->chan;
        struct master_rsp *r = &d->rsp;
        struct master_sched *s = &d->sched;
        uint16_t prev = r->iin_known ? r->iin : 0;
        uint16_t rising = (uint16_t)(iin & ~prev);
        bool changed = !r->iin_known || iin != r->iin;
        r->iin = iin;
        r->iin_known = true;
        if (changed && ch->cb.on_iin)
                ch->cb.on_iin(ch->cb.ctx, d, iin);

        if ((iin & APP_IIN_DEVICE_RESTART) && task != MASTER_TASK_CLEAR_RESTART)
                master_sched_demand(s, MASTER_TASK_CLEAR_RESTART, now);
        if (rising & APP_IIN_DEVICE_RESTART) {
                /* a restarted device lost our unsolicited setting */
                if (task != MASTER_TASK_INTEGRITY)
                        master_sched_demand(s, MASTER_TASK_INTEGRITY, now);
                if (d->cfg.unsolicited && task != MASTER_TASK_ENABLE_UNSOL)
                        master_sched_demand(s, MASTER_TASK_ENABLE_UNSOL, now);
                if (!d->cfg.unsolicited && task != MASTER_TASK_DISABLE_UNSOL)
                        master_sched_demand(s, MASTER_TASK_DISABLE_UNSOL, now);
        }
        if ((rising & APP_IIN_EVENT_BUFFER_OVERFLOW) && task != MASTER_TASK_INTEGRITY)
                master_sched_demand(s, MASTER_TASK_INTEGRITY, now);
        if ((rising & APP_IIN_NEED_TIME) && d->cfg.time_sync != MASTER_TSYNC_NONE &&
            task != MASTER_TASK_TIME_SYNC)
                master_sched_demand(s, MASTER_TASK_TIME_SYNC, now);
}

int master_rsp_on_response(struct master_dev *d, const struct master_txn *t,
                           const struct apdu_hdr *h, const uint8_t *objs, size_t n,
                           uint64_t now)
{
        enum master_task task = (enum master_task)t->task;
        struct meas_ctx mc = { .d = d, .wall = master_wall(d->chan, now) };
        const struct obj_visitor meas_vis = { .on_value = rsp_on_value };
        const struct obj_visitor delay_vis = { .on_value = master_tsync_on_delay };
        const struct obj_visitor *vis = NULL;
        void *ctx = NULL;

        if (t->func == APP_FUNC_READ) {
                vis = &meas_vis;
                ctx = &mc;
        } else if (t->func == APP_FUNC_DELAY_MEASURE) {
                vis = &delay_vis;
                ctx = &d->tsync;
        }
        int r = obj_parse(objs, n, OBJ_MODE_DATA, vis, ctx, NULL);
        /* a control or freeze was answered, even when the answer does not parse */
        if (task == MASTER_TASK_CONTROL)
                master_control_on_response(d, objs, n, h->iin);
        else if (task == MASTER_TASK_FREEZE)
                master_freeze_on_response(d, h->iin);
        if (r < 0) {
                rsp_diag_bad(d, r);
                return r;
        }
        master_dev_comm_good(d, task, now);
        rsp_on_iin(d, h->iin, task, now);
        if (h->iin & (APP_IIN_NO_FUNC_CODE_SUPPORT | APP_IIN_OBJECT_UNKNOWN))
                rsp_diag_refused(d, t->func, h->iin);
        return 0;
}

bool master_rsp_on_unsol(struct master_dev *d, const struct apdu_hdr *h, const uint8_t *apdu,
                         size_t len, const uint8_t *objs, size_t n, uint64_t now)
{
        struct master_rsp *rs = &d->rsp;
        if (!d->cfg.unsolicited && n > 0) {
                d->stats.unsol_rejected++;
                struct master_diag dg = rsp_diag(d, MASTER_DIAG_UNSOL_REJECTED);
                dg.iin = h->iin;
                master_chan_diag(d->chan, &dg);
                return false;
        }
        uint16_t crc = crc_dnp(apdu, len);
        if (rs->unsol_last_valid && rs->unsol_last_seq == h->seq && rs->unsol_last_len == len &&
            rs->unsol_last_crc == crc) {
                d->stats.unsol_duplicates++;
                return h->con;
        }
        struct meas_ctx mc = { .d = d, .wall = master_wall(d->chan, now), .unsol = true };
        const struct obj_visitor vis = { .on_value = rsp_on_value };
        int r = obj_parse(objs, n, OBJ_MODE_DATA, &vis, &mc, NULL);
        if (r < 0) {
                rsp_diag_bad(d, r);
                return false;
        }
        rsp_on_iin(d, h->iin, MASTER_TASK_MAX, now);
        rs->unsol_last_valid = true;
        rs->unsol_last_seq = h->seq;
        rs->unsol_last_len = len;
        rs->unsol_last_crc = crc;
        d->stats.unsolicited++;
        return h->con;
}
