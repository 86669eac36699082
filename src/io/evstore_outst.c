/* SPDX-License-Identifier: MIT */
/*
 * An outstation's journal (evstore.h): restore its events into the
 * outstation's buffers, then keep the journal told of every event that
 * enters or leaves them (events.h, struct events_journal).
 */
#include "io/evstore.h"

#include <errno.h>

#include "outstation/outst.h"

static void evstore_outst_walk_one(void *ctx, const struct ev *e, unsigned cls)
{
        evstore_snap_add(ctx, e, cls);
}

static void evstore_outst_walk(void *ctx, struct evstore *s)
{
        events_walk(outst_events(ctx), evstore_outst_walk_one, s);
}

static void evstore_outst_added(void *ctx, const struct ev *e, unsigned cls)
{
        evstore_added(ctx, e, cls);
}

static void evstore_outst_removed(void *ctx, const struct ev *e, unsigned cls)
{
        evstore_removed(ctx, e, cls);
}

struct evstore_outst_ctx {
        struct outst *o;
        struct evstore_restore *rs;
};

static void evstore_outst_restore_one(void *ctx, const struct evj_event *e)
{
        struct evstore_outst_ctx *c = ctx;
        const struct outst_saved_event s = {
                .time = e->time,
                .value = e->value,
                .index = e->index,
                .src = e->src,
                .type = e->type,
                .var = e->var,
                .flags = e->flags,
                .cls = e->cls,
        };
        int r = outst_restore_event(c->o, &s);
        if (r == -ENOENT)
                c->rs->unmapped++;
        else if (r < 0)
                c->rs->invalid++;
        else
                c->rs->restored++;
        if (r == 1)
                c->rs->overflowed++;
}

int evstore_outst_open(const char *dir, const char *name, size_t compact_adds, struct outst *o,
                       uint64_t wall_ms, void (*dirty)(void *ctx), void *dirty_ctx,
                       struct evstore_restore *ret_rs, struct evstore **ret)
{
        const struct evstore_cfg cfg = {
                .dir = dir,
                .name = name,
                .compact_adds = compact_adds,
                .walk = evstore_outst_walk,
                .ctx = o,
                .dirty = dirty,
                .dirty_ctx = dirty_ctx,
        };
        struct evstore *s;
        int r = evstore_new(&cfg, &s);
        if (r < 0)
                return r;
        *ret_rs = (struct evstore_restore){ 0 };
        struct evstore_outst_ctx c = { .o = o, .rs = ret_rs };
        ret_rs->load_err = evstore_load(s, wall_ms, evstore_outst_restore_one, &c, &ret_rs->load);
        if (ret_rs->load_err == 0)
                (void)evstore_retry(s);         /* the snapshot of what is back */
        const struct events_journal j = {
                .added = evstore_outst_added,
                .removed = evstore_outst_removed,
                .ctx = s,
        };
        outst_set_events_journal(o, &j);
        *ret = s;
        return 0;
}

void evstore_outst_close(struct outst *o)
{
        outst_set_events_journal(o, NULL);
}
