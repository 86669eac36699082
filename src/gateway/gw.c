/* SPDX-License-Identifier: MIT */
/*
 * The gateway core (see gw.h): setup, event replay and quality propagation
 * over the point map tables of pmap.c, and the lookups.  The control and
 * freeze pass-through are in gw_cmd.c (see gw_priv.h).
 */
#include "gateway/gw.h"

#include <errno.h>
#include <stdlib.h>

#include "dnp3/dnptime.h"
#include "dnp3/ptype.h"
#include "gateway/gw_priv.h"
#include "gateway/pmap.h"

int gw_new(const struct gw_map_entry *map, size_t n, size_t ndev, size_t nout,
           const struct gw_callbacks *cb, struct gw **ret)
{
        struct gw *g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        int r = pmap_new(map, n, ndev, &g->map);
        if (r < 0) {
                free(g);
                return r;
        }
        g->ndev = ndev;
        g->nout = nout;
        if (cb)
                g->cb = *cb;
        g->out = calloc(nout ? nout : 1, sizeof(*g->out));
        g->dev = calloc(ndev ? ndev : 1, sizeof(*g->dev));
        if (!g->out || !g->dev || gw_cmd_init(g) < 0) {
                gw_free(g);
                return -ENOMEM;
        }
        *ret = g;
        return 0;
}

void gw_free(struct gw *g)
{
        if (!g)
                return;
        pmap_free(g->map);
        free(g->out);
        free(g->dev);
        gw_cmd_fini(g);
        free(g);
}

void gw_set_wall_offset(struct gw *g, int64_t offset_ms)
{
        g->wall_offset = offset_ms;
}

void gw_set_outstation(struct gw *g, size_t i, struct outst *o)
{
        if (i >= g->nout)
                return;
        /*
         * The selection of the session going away is forgotten, not released:
         * this has no `now` for master_dev_select_end(), and the daemon
         * detaches its outstations after freeing its channels on shutdown
         * (daemon_free), when g->dev may point at freed devices.  Those holds
         * end at their own bound (select_hold_ms, the channel's
         * response_timeout in dnp3gwd), or earlier at the device's next control.
         */
        if (g->out[i] != o)
                gw_sel_forget(g, i);
        g->out[i] = o;
}

void gw_set_device(struct gw *g, uint32_t dev, struct master_dev *d)
{
        if (dev < g->ndev)
                g->dev[dev] = d;
}

/* ---- event replay ------------------------------------------------------ */

/*
 * A frozen counter's time is its time of freeze.  A static value without a
 * time (g21v1, g21v2...) that leaves value and flags as they are keeps the
 * time the point has (the device's, from a g23 event or g21v5): the
 * reception time would make up a freeze that did not happen.  Otherwise v
 * gets the reception time rx.
 */
static void gw_keep_freeze_time(struct outst *o, struct dnp_value *v, uint64_t rx)
{
        struct dnp_value cur;
        v->time = rx;
        if (db_get(outst_db(o), DNP_TYPE_FCNT, v->index, &cur) == 0 &&
            cur.v.count == v->v.count && cur.flags == v->flags && !(cur.flags & DNP_FLAG_RESTART))
                v->time = cur.time;
}

void gw_on_meas(struct gw *g, uint32_t dev, const struct master_meas *m, uint64_t now)
{
        uint32_t up = pmap_first(g->map, dev, m->type, m->v.index);
        if (up == PMAP_NONE) {
                g->st.unmapped_values++;
                return;
        }
        enum db_mode mode = m->event ? DB_FORCE : DB_DETECT;
        struct dnp_value v = m->v;
        for (; up != PMAP_NONE; up = pmap_next(g->map, m->type, up)) {
                v.index = up;
                for (size_t i = 0; i < g->nout; i++) {
                        if (!g->out[i])
                                continue;
                        if (m->type == DNP_TYPE_FCNT && !m->event && !m->device_time)
                                gw_keep_freeze_time(g->out[i], &v, m->v.time);
                        int r = outst_update_src(g->out[i], m->type, &v, mode,
                                                 gw_event_source(dev), now);
                        if (r < 0)
                                continue;
                        if (m->event) {
                                if (r == 1) {
                                        g->st.events_replayed++;
                                        if (!m->device_time)
                                                g->st.events_reception_time++;
                                }
                        } else {
                                g->st.static_updates++;
                                if (r == 1)
                                        g->st.change_events++;
                        }
                }
        }
}

/* ---- quality ----------------------------------------------------------- */

/* COMM_LOST on upstream point (t, up) of device dev, every outstation; whether any changed. */
static bool gw_comm_lost(struct gw *g, uint32_t dev, enum dnp_type t, uint32_t up, uint64_t now)
{
        bool any = false;
        for (size_t i = 0; i < g->nout; i++) {
                struct outst *o = g->out[i];
                struct dnp_value v;
                if (!o || db_get(outst_db(o), t, up, &v) < 0)
                        continue;
                if ((v.flags & DNP_FLAG_COMM_LOST) && !(v.flags & DNP_FLAG_ONLINE))
                        continue;       /* already flagged: no second event */
                v.flags = (uint8_t)((v.flags | DNP_FLAG_COMM_LOST) & ~DNP_FLAG_ONLINE);
                v.time_kind = DNP_TIME_ABS;
                v.time = dnptime_wall(now, g->wall_offset);
                int r = outst_update_src(o, t, &v, DB_FORCE, gw_event_source(dev), now);
                if (r < 0)
                        continue;
                any = true;
                if (r == 1)
                        g->st.quality_events++;
        }
        return any;
}

void gw_on_dev_state(struct gw *g, uint32_t dev, enum master_dev_state s, uint64_t now)
{
        if (s != MASTER_DEV_OFFLINE || dev >= g->ndev)
                return;
        size_t npoints = 0;
        DNP_PTYPE_FOREACH(p) {
                enum dnp_type t = p->type;
                uint32_t lo, hi;
                pmap_dev_range(g->map, dev, t, &lo, &hi);
                for (uint32_t down = lo; down < hi; down++) {
                        uint32_t up = pmap_first(g->map, dev, t, down);
                        for (; up != PMAP_NONE; up = pmap_next(g->map, t, up))
                                if (gw_comm_lost(g, dev, t, up, now))
                                        npoints++;
                }
        }
        if (npoints > 0 && g->cb.on_comm_lost)
                g->cb.on_comm_lost(g->cb.ctx, dev, npoints);
}

/* ---- lookups ----------------------------------------------------------- */

int gw_map_up(const struct gw *g, enum dnp_type t, uint32_t up_index, uint32_t *ret_dev,
              uint32_t *ret_down)
{
        return pmap_up(g->map, t, up_index, ret_dev, ret_down);
}

size_t gw_map_down(const struct gw *g, uint32_t dev, enum dnp_type t, uint32_t down_index,
                   uint32_t *ret_up, size_t max)
{
        size_t n = 0;
        for (uint32_t up = pmap_first(g->map, dev, t, down_index); up != PMAP_NONE;
             up = pmap_next(g->map, t, up)) {
                if (n < max)
                        ret_up[n] = up;
                n++;
        }
        return n;
}

size_t gw_dev_points(const struct gw *g, uint32_t dev)
{
        return pmap_dev_points(g->map, dev);
}

size_t gw_memory(const struct gw *g)
{
        return pmap_memory(g->map);
}

const struct gw_stats *gw_get_stats(const struct gw *g)
{
        return &g->st;
}
