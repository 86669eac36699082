/* SPDX-License-Identifier: MIT */
/*
 * Control requests on the wire: building SELECT / OPERATE /
 * DIRECT_OPERATE(_NR) with CROB and analog output objects, and checking the
 * outstation's echo.  Pure functions; see master_cmd.h.
 */
#include "master/master_cmd.h"

#include <errno.h>

#include "dnp3/app.h"
#include "dnp3/ptype.h"

NAMES_DEFINE(master_cmd_mode_name, enum master_cmd_mode, MASTER_CMD_MODE_LIST, NAMES_BY_ORDER)
NAMES_DEFINE(master_cmd_res_name, enum master_cmd_res, MASTER_CMD_RES_LIST, NAMES_BY_ORDER)

uint8_t master_cmd_first_func(enum master_cmd_mode m)
{
        switch (m) {
        case MASTER_CMD_SBO:
        case MASTER_CMD_SELECT:
                return APP_FUNC_SELECT;
        case MASTER_CMD_OPERATE:
                return APP_FUNC_OPERATE;
        case MASTER_CMD_DIRECT:
                return APP_FUNC_DIRECT_OPERATE;
        case MASTER_CMD_DIRECT_NR:
        case MASTER_CMD_MODE_MAX:
                break;
        }
        return APP_FUNC_DIRECT_OPERATE_NR;
}

/* Whether group is the CROB group (g12, the binary outputs' command group); else g41. */
static bool cmd_is_crob(uint8_t group)
{
        return group == dnp_ptype(DNP_TYPE_BO)->cmd_group;
}

/* A variation of the catalog in the command group of an output type of the point-type table. */
int master_cmd_obj_check(const struct master_cmd_obj *o)
{
        enum dnp_ptype_role role;
        const struct obj_desc *d = obj_lookup(o->group, o->var);
        if (!dnp_ptype_by_group(o->group, &role) || role != DNP_PTYPE_COMMAND || !d ||
            d->fmt == OBJ_FMT_NONE)
                return -EINVAL;
        return 0;
}

struct norm_ctx {
        struct master_cmd_obj *norm;
        size_t n;
        size_t i;
};

static int norm_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct norm_ctx *c = ctx;
        if (c->i >= c->n)
                return -E2BIG;
        c->norm[c->i] = (struct master_cmd_obj){ .group = h->group, .var = h->var, .v = *v };
        c->i++;
        return 0;
}

int master_cmd_build(uint8_t *buf, size_t cap, uint8_t seq, uint8_t func,
                     const struct master_cmd_obj *objs, size_t n,
                     struct master_cmd_obj *norm, size_t *ret_len)
{
        if (n == 0 || n > MASTER_CMD_MAX_OBJS)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (master_cmd_obj_check(&objs[i]) < 0 || objs[i].v.index > UINT16_MAX)
                        return -EINVAL;

        const struct apdu_hdr h = {
                .fir = true,
                .fin = true,
                .seq = (uint8_t)(seq & APP_CTRL_SEQ),
                .func = func,
        };
        struct apdu_wr a;
        int r = apdu_wr_init(&a, buf, cap, &h);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (i == 0 || objs[i].group != objs[i - 1].group ||
                    objs[i].var != objs[i - 1].var) {
                        r = apdu_wr_begin(&a, objs[i].group, objs[i].var, OBJ_QUAL_INDEX16, 0);
                        if (r < 0)
                                return r;
                }
                struct dnp_value v = objs[i].v;
                if (cmd_is_crob(objs[i].group))
                        v.v.crob.status = 0;
                else
                        v.v.ao.status = 0;
                r = apdu_wr_value(&a, &v);
                if (r < 0)
                        return r;
        }
        r = apdu_wr_end(&a);
        if (r < 0)
                return r;

        /* What is on the wire, as the echo will decode. */
        size_t len = apdu_wr_len(&a);
        struct norm_ctx nc = { .norm = norm, .n = n };
        const struct obj_visitor vis = { .on_value = norm_on_value };
        r = obj_parse(buf + APP_REQ_HDR_LEN, len - APP_REQ_HDR_LEN, OBJ_MODE_DATA, &vis, &nc,
                      NULL);
        if (r != 0 || nc.i != n)
                return -EINVAL;
        *ret_len = len;
        return 0;
}

struct echo_ctx {
        const struct master_cmd_obj *norm;
        size_t n;
        size_t i;
        size_t good;
        struct master_cmd_result *res;
};

bool master_cmd_obj_same(const struct master_cmd_obj *a, const struct master_cmd_obj *b)
{
        if (a->group != b->group || a->var != b->var || a->v.index != b->v.index)
                return false;
        if (cmd_is_crob(a->group)) {
                const struct dnp_crob *x = &a->v.v.crob, *y = &b->v.v.crob;
                return x->code == y->code && x->count == y->count && x->on_ms == y->on_ms &&
                       x->off_ms == y->off_ms;
        }
        return a->v.v.ao.value == b->v.v.ao.value;
}

static bool echo_same(const struct master_cmd_obj *want, const struct obj_hdr *h,
                      const struct dnp_value *v)
{
        /* exact: both sides went through the same variation encoding */
        const struct master_cmd_obj got = { .group = h->group, .var = h->var, .v = *v };
        return master_cmd_obj_same(want, &got);
}

static int echo_on_value(void *ctx, const struct obj_hdr *h, const struct dnp_value *v)
{
        struct echo_ctx *c = ctx;
        if (c->i >= c->n)
                return 0;       /* extra objects: ignored, every request object is judged */
        struct master_cmd_obj_result *o = &c->res->objs[c->i];
        const struct master_cmd_obj *want = &c->norm[c->i];
        c->i++;
        if (!echo_same(want, h, v)) {
                o->res = MASTER_CMD_RES_ECHO_MISMATCH;
                o->status = DNP_CMD_DOWNSTREAM_FAIL;
                return 0;
        }
        o->res = MASTER_CMD_RES_OK;
        o->status = cmd_is_crob(want->group) ? v->v.crob.status : v->v.ao.status;
        if (o->status == DNP_CMD_SUCCESS)
                c->good++;
        return 0;
}

size_t master_cmd_check_echo(const uint8_t *p, size_t len, const struct master_cmd_obj *norm,
                             size_t n, struct master_cmd_result *res)
{
        if (n > MASTER_CMD_MAX_OBJS)
                n = MASTER_CMD_MAX_OBJS;
        res->n = n;
        for (size_t i = 0; i < n; i++)
                res->objs[i] = (struct master_cmd_obj_result){
                        .res = MASTER_CMD_RES_MISSING,
                        .status = DNP_CMD_DOWNSTREAM_FAIL,
                };
        struct echo_ctx c = { .norm = norm, .n = n, .res = res };
        const struct obj_visitor vis = { .on_value = echo_on_value };
        int r = obj_parse(p, len, OBJ_MODE_DATA, &vis, &c, NULL);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        res->objs[i].res = MASTER_CMD_RES_ECHO_MISMATCH;
                return 0;
        }
        return c.good;
}
