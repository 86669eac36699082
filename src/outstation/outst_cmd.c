/* SPDX-License-Identifier: MIT */
/*
 * Outstation session, controls: SELECT, OPERATE, DIRECT_OPERATE(_NR) of
 * g12v1 and g41v1..4, handed to the application and answered when it
 * completes them (outst_cmd_complete) or cmd_timeout passes; the selection
 * a SELECT arms, the OPERATE that matches it, and its end told to the
 * application (struct outst_ctl).  See outst_priv.h.
 */
#include "outstation/outst_priv.h"

#include <errno.h>
#include <string.h>

#include "dnp3/names.h"

struct cmd_ctx {
        struct outst *o;
        bool bad;
};

/* The output type whose control object (group, var) is (g12v1, g41v1-4), or NULL. */
static const struct dnp_ptype *cmd_output(uint8_t group, uint8_t var)
{
        enum dnp_ptype_role role;
        const struct dnp_ptype *p = dnp_ptype_by_group(group, &role);
        const struct obj_desc *d = obj_lookup(group, var);
        return p && role == DNP_PTYPE_COMMAND && d && d->fmt != OBJ_FMT_NONE ? p : NULL;
}

/*
 * The control objects of every output type that has points, each echoed
 * in the response with the request's qualifier (none for DIRECT_OPERATE_NR).
 */
void outst_cmd_impl(const struct outst_impl_out *x, uint8_t func)
{
        uint32_t rsp = app_func_no_response(func) ? 0 : OUTST_Q_CONTROL;
        DNP_PTYPE_FOREACH(p) {
                if (!p->output || !x->cfg->points[p->type])
                        continue;
                for (unsigned v = 1; v <= UINT8_MAX; v++)
                        if (cmd_output(p->cmd_group, (uint8_t)v))
                                outst_impl_row(x, func, p->cmd_group, (uint8_t)v, OUTST_Q_CONTROL,
                                               rsp);
        }
}

/* The type of a control's object: DNP_TYPE_CROB, DNP_TYPE_AOCMD. */
static enum dnp_type cmd_type(const struct outst_cmd *c)
{
        const struct obj_desc *d = obj_lookup(c->group, c->var);
        return d ? (enum dnp_type)d->type : DNP_TYPE_NONE;
}

static int cmd_on_header(void *ctx, const struct obj_hdr *h)
{
        struct cmd_ctx *cc = ctx;
        struct outst *o = cc->o;
        if (!cmd_output(h->group, h->var)) {
                o->sol.req_iin |= APP_IIN_OBJECT_UNKNOWN;
                cc->bad = true;
                return 1;
        }
        if (o->ctl.n_hdrs >= OUTST_MAX_CMDS) {
                o->ctl.overflow = true;
                return 0;
        }
        o->ctl.hdrs[o->ctl.n_hdrs++] = (struct cmd_hdr){
                .group = h->group, .var = h->var, .qual = h->qual, .start = h->start,
        };
        return 0;
}

static int cmd_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct cmd_ctx *cc = ctx;
        struct outst *o = cc->o;
        if (o->ctl.n_cmds >= OUTST_MAX_CMDS || o->ctl.overflow) {
                o->ctl.overflow = true;
                return 0;
        }
        o->ctl.hdr_of[o->ctl.n_cmds] = (uint8_t)(o->ctl.n_hdrs - 1);
        o->ctl.cmds[o->ctl.n_cmds++] =
                (struct outst_cmd){ .group = h->group, .var = h->var, .v = *v };
        return 0;
}

static void cmd_set_status(struct outst_cmd *c, uint8_t status)
{
        dnp_value_set_status(cmd_type(c), &c->v, status);
}

static uint8_t cmd_status(const struct outst_cmd *c)
{
        return dnp_value_status(cmd_type(c), &c->v);
}

/*
 * A control naming a point that does not exist (no such binary output for
 * g12, analog output for g41) is NOT_SUPPORTED with IIN2.2, whatever the
 * application answered for it; the other points keep their statuses.
 */
static void cmd_refuse_missing(struct outst *o)
{
        for (size_t i = 0; i < o->ctl.n_cmds; i++) {
                struct outst_cmd *c = &o->ctl.cmds[i];
                if (db_present(o->db, cmd_output(c->group, c->var)->type, c->v.index))
                        continue;
                cmd_set_status(c, DNP_CMD_NOT_SUPPORTED);
                o->sol.req_iin |= APP_IIN_PARAMETER_ERROR;
        }
}

/* Echo the controls with their statuses. */
static void cmd_respond(struct outst *o, uint64_t now)
{
        struct apdu_wr a;
        int cur = -1;

        cmd_refuse_missing(o);
        outst_rsp_init(o, &a, o->ctl.seq, true);
        for (size_t i = 0; i < o->ctl.n_cmds; i++) {
                const struct outst_cmd *c = &o->ctl.cmds[i];
                if (o->ctl.hdr_of[i] != cur) {
                        const struct cmd_hdr *h = &o->ctl.hdrs[o->ctl.hdr_of[i]];
                        cur = o->ctl.hdr_of[i];
                        if (apdu_wr_begin(&a, h->group, h->var, h->qual, h->start) < 0)
                                break;
                }
                if (apdu_wr_value(&a, &c->v) < 0)
                        break;
        }
        apdu_wr_end(&a);
        outst_rsp_queue(o, &a, o->ctl.seq, true, true, false, now);
}

/* Answer the deferred controls; whether that armed a selection (a SELECT). */
static bool cmd_finish(struct outst *o, uint64_t now)
{
        o->ctl.pending = false;
        o->ctl.deadline = DNP_NEVER;
        /* a broadcast SELECT selects nothing: no answer, so no OPERATE can match it */
        if (!outst_deferred_end(o, o->ctl.func, o->ctl.broadcast))
                return false;
        cmd_respond(o, now);
        /* armed only if every object, missing points refused by cmd_respond, succeeded */
        if (o->ctl.func != APP_FUNC_SELECT || o->ctl.n_cmds == 0 ||
            o->sol.req_len <= APP_REQ_HDR_LEN)
                return false;
        for (size_t i = 0; i < o->ctl.n_cmds; i++)
                if (cmd_status(&o->ctl.cmds[i]) != DNP_CMD_SUCCESS)
                        return false;
        o->ctl.sel.valid = true;
        o->ctl.sel.told = false;
        o->ctl.sel.seq = o->ctl.seq;
        o->ctl.sel.time = o->ctl.time;
        o->ctl.sel.len = o->sol.req_len - APP_REQ_HDR_LEN;
        memcpy(o->ctl.sel.obj, o->sol.req + APP_REQ_HDR_LEN, o->ctl.sel.len);
        return true;
}

int outst_cmd_complete(struct outst *o, uint32_t token, const uint8_t *statuses, size_t n,
                       uint64_t now)
{
        if (!o->ctl.pending || token != o->ctl.token)
                return -ESTALE;
        if (n != o->ctl.n_cmds)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                cmd_set_status(&o->ctl.cmds[i], statuses[i]);
        bool armed = cmd_finish(o, now);
        outst_unsol_try(o, now);
        dnp_sess_wake(&o->sess);
        return armed ? 1 : 0;
}

static void cmd_all(struct outst *o, uint8_t status)
{
        for (size_t i = 0; i < o->ctl.n_cmds; i++)
                cmd_set_status(&o->ctl.cmds[i], status);
}

#define OUTST_SEL_END_NAME(name, str) [OUTST_SEL_END_##name] = str,
NAMES_DEFINE(outst_sel_end_name, enum outst_sel_end, OUTST_SEL_END_LIST, OUTST_SEL_END_NAME)

/*
 * Tell the application, once per selection, that it ended unused.  An
 * expired selection is told at once but remembered (sel.valid stays), so
 * that its OPERATE, arriving late, is answered TIMEOUT rather than NO_SELECT.
 */
static void select_tell(struct outst *o, enum outst_sel_end why)
{
        if (o->ctl.sel.told)
                return;
        o->ctl.sel.told = true;
        if (o->cb.on_select_end)
                o->cb.on_select_end(o->ctx, why);
}

/* The selection ends unused: forget it and tell the application. */
static void select_end(struct outst *o, enum outst_sel_end why)
{
        if (!o->ctl.sel.valid)
                return;
        o->ctl.sel.valid = false;
        select_tell(o, why);
}

/* The last millisecond the selection is good for (select_matches). */
static uint64_t select_last_ms(const struct outst *o)
{
        return o->ctl.sel.time + o->cfg.select_timeout_ms;
}

/* An OPERATE of the selected objects with the SELECT's sequence + 1 (in time or not). */
static bool select_matches(const struct outst *o, uint8_t seq, const uint8_t *objs, size_t n)
{
        return o->ctl.sel.valid && seq == ((o->ctl.sel.seq + 1) & APP_CTRL_SEQ) &&
               n == o->ctl.sel.len && memcmp(objs, o->ctl.sel.obj, n) == 0;
}

void outst_cmd_handle(struct outst *o, const struct outst_req *rq, uint64_t now)
{
        struct cmd_ctx cc = { .o = o };
        static const struct obj_visitor vis = {
                .on_header = cmd_on_header,
                .on_value = cmd_on_value,
        };
        bool nr = app_func_no_response(rq->func);

        o->ctl.n_cmds = 0;
        o->ctl.n_hdrs = 0;
        o->ctl.overflow = false;
        o->ctl.func = rq->func;
        o->ctl.seq = rq->seq;
        o->ctl.time = now;
        o->ctl.broadcast = o->sol.in_broadcast;
        bool matched = rq->func == APP_FUNC_OPERATE && select_matches(o, rq->seq, rq->objs, rq->n);
        bool late = matched && now - o->ctl.sel.time > o->cfg.select_timeout_ms;
        /* any request other than the matching OPERATE ends the selection */
        if (matched)
                o->ctl.sel.valid = false;
        else
                select_end(o, OUTST_SEL_END_SUPERSEDED);

        int r = obj_parse(rq->objs, rq->n, OBJ_MODE_DATA, &vis, &cc, NULL);
        if (r < 0 || cc.bad) {
                if (r < 0)
                        o->sol.req_iin |= obj_err_iin(r);
                if (!nr)
                        outst_rsp_null(o, rq->seq, now);
                return;
        }
        if (o->ctl.overflow) {
                /* echo what we hold, all refused */
                cmd_all(o, DNP_CMD_TOO_MANY_OBJS);
                if (!nr)
                        cmd_respond(o, now);
                return;
        }
        o->stats.commands++;
        if (rq->func == APP_FUNC_OPERATE && (!matched || late)) {
                /* the right OPERATE after select_timeout: TIMEOUT; any other: NO_SELECT */
                if (late)
                        o->stats.select_timeouts++;
                else
                        o->stats.no_select++;
                cmd_all(o, late ? DNP_CMD_TIMEOUT : DNP_CMD_NO_SELECT);
                cmd_respond(o, now);
                return;
        }
        if (!o->cb.on_command || o->ctl.n_cmds == 0) {
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
        o->ctl.token++;
        o->ctl.pending = true;
        o->ctl.deadline = now + o->cfg.cmd_timeout_ms;
        o->sol.state = SOL_CMD_PENDING;
        o->cb.on_command(o->ctx, o->ctl.token, rq->func, o->ctl.cmds, o->ctl.n_cmds);
}


void outst_cmd_supersede(struct outst *o, uint8_t func, uint64_t now)
{
        if (o->ctl.sel.valid && now > select_last_ms(o))
                select_tell(o, OUTST_SEL_END_EXPIRED);  /* before its timer fired */
        if (func != APP_FUNC_OPERATE)           /* an OPERATE: outst_cmd_handle() decides */
                select_end(o, OUTST_SEL_END_SUPERSEDED);
        o->ctl.pending = false;
        o->ctl.deadline = DNP_NEVER;
}

void outst_cmd_down(struct outst *o)
{
        o->ctl.pending = false;
        o->ctl.deadline = DNP_NEVER;
        select_end(o, OUTST_SEL_END_CLOSED);
}

uint64_t outst_cmd_deadline(const struct outst *o)
{
        uint64_t d = o->ctl.pending ? o->ctl.deadline : DNP_NEVER;
        /* the expiry is only told (a late OPERATE is judged by its own time) */
        if (o->ctl.sel.valid && !o->ctl.sel.told && o->cb.on_select_end)
                d = dnp_deadline_min(d, select_last_ms(o) + 1);
        return d;
}

void outst_cmd_timer(struct outst *o, uint64_t now)
{
        if (o->ctl.pending && now >= o->ctl.deadline) {
                o->stats.cmd_timeouts++;
                cmd_all(o, DNP_CMD_TIMEOUT);
                (void)cmd_finish(o, now);       /* TIMEOUT arms nothing */
        }
        if (o->ctl.sel.valid && !o->ctl.sel.told && now > select_last_ms(o))
                select_tell(o, OUTST_SEL_END_EXPIRED);
}
