/* SPDX-License-Identifier: MIT */
/*
 * Outstation session, the implementation table (outst.h): each usable row
 * of the handler table (outst.c) describes its own requests (the *_impl
 * function next to each handler); CONFIRM, handled before that table, is
 * the one row added here.
 */
#include "outstation/outst_priv.h"

void outst_impl_row(const struct outst_impl_out *x, uint8_t func, uint8_t group, uint8_t var,
                    uint32_t quals, uint32_t rsp_quals)
{
        const struct obj_desc *d = obj_lookup(group, var);
        const struct outst_impl row = {
                .func = func, .group = group, .var = var, .quals = quals, .rsp_quals = rsp_quals,
                .rsp_unsol = rsp_quals && x->cfg->unsol.enabled && d &&
                             (d->event || d->type == DNP_TYPE_CTO),
        };
        x->fn(x->ctx, &row);
}

void outst_impl_foreach(const struct outst_cfg *cfg, const struct outst_callbacks *cb,
                        outst_impl_fn *fn, void *ctx)
{
        const struct outst_impl_out x = { .cfg = cfg, .fn = fn, .ctx = ctx };
        outst_impl_row(&x, APP_FUNC_CONFIRM, 0, 0, 0, 0);
        for (unsigned f = 0; f <= UINT8_MAX; f++) {
                const struct outst_func_row *r = outst_func_usable(cb, (uint8_t)f);
                if (r)
                        r->impl(&x, (uint8_t)f);
        }
}
