/* SPDX-License-Identifier: MIT */
/*
 * Point map tables (see pmap.h).  Each table covers only the span between
 * the lowest and the highest mapped index, so a range mapped high (e.g.
 * downstream 60000..60009) costs its own size, not 60000 empty slots.
 */
#include "gateway/pmap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gw.h"

#define PMAP_SPAN 65536u
#define PMAP_NO_DEV16 0xffffu

struct pmap_up {
        uint16_t dev;           /* PMAP_NO_DEV16: unmapped */
        uint16_t down;
        uint32_t next;          /* fan-out chain, PMAP_NONE at the end */
};

struct pmap_tab {
        uint32_t lo;            /* first index covered */
        uint32_t n;             /* slots */
};

struct pmap {
        size_t ndev;
        struct pmap_tab up_tab[PMAP_NTYPES];
        struct pmap_up *up[PMAP_NTYPES];
        struct pmap_tab *down_tab;      /* ndev * PMAP_NTYPES */
        uint32_t **down;                /* ndev * PMAP_NTYPES */
        size_t *dev_points;             /* ndev */
        size_t memory;
};

void pmap_free(struct pmap *m)
{
        if (!m)
                return;
        for (size_t t = 0; t < PMAP_NTYPES; t++)
                free(m->up[t]);
        if (m->down)
                for (size_t i = 0; i < m->ndev * PMAP_NTYPES; i++)
                        free(m->down[i]);
        free(m->down);
        free(m->down_tab);
        free(m->dev_points);
        free(m);
}

static int pmap_check(const struct gw_map_entry *map, size_t n, size_t ndev)
{
        if (ndev > PMAP_MAX_DEV || (n > 0 && !map))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                const struct gw_map_entry *e = &map[i];
                if (dnp_ptype_index(e->type) < 0 || e->count == 0 || e->dev >= ndev ||
                    (uint64_t)e->index + e->count > PMAP_SPAN ||
                    (uint64_t)e->source_index + e->count > PMAP_SPAN)
                        return -EINVAL;
        }
        return 0;
}

/* Widen [lo, lo + n) of tab to cover [a, b). */
static void pmap_cover(struct pmap_tab *tab, uint32_t a, uint32_t b)
{
        if (tab->n == 0) {
                tab->lo = a;
                tab->n = b - a;
                return;
        }
        uint32_t lo = tab->lo < a ? tab->lo : a;
        uint32_t hi = tab->lo + tab->n > b ? tab->lo + tab->n : b;
        tab->lo = lo;
        tab->n = hi - lo;
}

static int pmap_alloc(struct pmap *m)
{
        m->memory = sizeof(*m);
        for (size_t t = 0; t < PMAP_NTYPES; t++) {
                uint32_t cnt = m->up_tab[t].n;
                if (cnt == 0)
                        continue;
                m->up[t] = malloc((size_t)cnt * sizeof(struct pmap_up));
                if (!m->up[t])
                        return -ENOMEM;
                for (uint32_t i = 0; i < cnt; i++)
                        m->up[t][i] = (struct pmap_up){
                                .dev = PMAP_NO_DEV16,
                                .next = PMAP_NONE,
                        };
                m->memory += (size_t)cnt * sizeof(struct pmap_up);
        }
        m->memory += m->ndev * PMAP_NTYPES * (sizeof(struct pmap_tab) + sizeof(uint32_t *)) +
                     m->ndev * sizeof(size_t);
        for (size_t i = 0; i < m->ndev * PMAP_NTYPES; i++) {
                uint32_t cnt = m->down_tab[i].n;
                if (cnt == 0)
                        continue;
                m->down[i] = malloc((size_t)cnt * sizeof(uint32_t));
                if (!m->down[i])
                        return -ENOMEM;
                memset(m->down[i], 0xff, (size_t)cnt * sizeof(uint32_t));  /* PMAP_NONE */
                m->memory += (size_t)cnt * sizeof(uint32_t);
        }
        return 0;
}

static uint32_t *pmap_down_slot(const struct pmap *m, uint32_t dev, size_t ti, uint32_t down)
{
        size_t k = (size_t)dev * PMAP_NTYPES + ti;
        const struct pmap_tab *tab = &m->down_tab[k];
        if (down < tab->lo || down - tab->lo >= tab->n)
                return NULL;
        return &m->down[k][down - tab->lo];
}

static struct pmap_up *pmap_up_slot(const struct pmap *m, size_t ti, uint32_t up)
{
        const struct pmap_tab *tab = &m->up_tab[ti];
        if (up < tab->lo || up - tab->lo >= tab->n)
                return NULL;
        return &m->up[ti][up - tab->lo];
}

int pmap_new(const struct gw_map_entry *map, size_t n, size_t ndev, struct pmap **ret)
{
        int r = pmap_check(map, n, ndev);
        if (r < 0)
                return r;
        struct pmap *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->ndev = ndev;
        size_t nd = ndev ? ndev : 1;
        m->down_tab = calloc(nd * PMAP_NTYPES, sizeof(*m->down_tab));
        m->down = calloc(nd * PMAP_NTYPES, sizeof(*m->down));
        m->dev_points = calloc(nd, sizeof(*m->dev_points));
        if (!m->down_tab || !m->down || !m->dev_points) {
                r = -ENOMEM;
                goto fail;
        }
        for (size_t i = 0; i < n; i++) {
                const struct gw_map_entry *e = &map[i];
                size_t ti = (size_t)dnp_ptype_index(e->type);
                pmap_cover(&m->up_tab[ti], e->index, e->index + e->count);
                pmap_cover(&m->down_tab[(size_t)e->dev * PMAP_NTYPES + ti], e->source_index,
                           e->source_index + e->count);
        }
        r = pmap_alloc(m);
        if (r < 0)
                goto fail;
        for (size_t i = 0; i < n; i++) {
                const struct gw_map_entry *e = &map[i];
                size_t ti = (size_t)dnp_ptype_index(e->type);
                for (uint32_t k = 0; k < e->count; k++) {
                        struct pmap_up *s = pmap_up_slot(m, ti, e->index + k);
                        if (s->dev != PMAP_NO_DEV16) {
                                r = -EINVAL;    /* two ranges overlap upstream */
                                goto fail;
                        }
                        s->dev = (uint16_t)e->dev;
                        s->down = (uint16_t)(e->source_index + k);
                }
        }
        /* Fan-out chains, built from the top so each lists its upstream indexes ascending. */
        for (size_t ti = 0; ti < PMAP_NTYPES; ti++) {
                const struct pmap_tab *tab = &m->up_tab[ti];
                for (uint32_t i = tab->n; i-- > 0;) {
                        struct pmap_up *s = &m->up[ti][i];
                        if (s->dev == PMAP_NO_DEV16)
                                continue;
                        uint32_t *first = pmap_down_slot(m, s->dev, ti, s->down);
                        s->next = *first;
                        *first = tab->lo + i;
                        m->dev_points[s->dev]++;
                }
        }
        *ret = m;
        return 0;
fail:
        pmap_free(m);
        return r;
}

int pmap_up(const struct pmap *m, enum dnp_type t, uint32_t up, uint32_t *ret_dev,
            uint32_t *ret_down)
{
        int ti = dnp_ptype_index(t);
        if (ti < 0)
                return -ENOENT;
        const struct pmap_up *s = pmap_up_slot(m, (size_t)ti, up);
        if (!s || s->dev == PMAP_NO_DEV16)
                return -ENOENT;
        if (ret_dev)
                *ret_dev = s->dev;
        if (ret_down)
                *ret_down = s->down;
        return 0;
}

uint32_t pmap_first(const struct pmap *m, uint32_t dev, enum dnp_type t, uint32_t down)
{
        int ti = dnp_ptype_index(t);
        if (ti < 0 || dev >= m->ndev)
                return PMAP_NONE;
        const uint32_t *s = pmap_down_slot(m, dev, (size_t)ti, down);
        return s ? *s : PMAP_NONE;
}

uint32_t pmap_next(const struct pmap *m, enum dnp_type t, uint32_t up)
{
        int ti = dnp_ptype_index(t);
        if (ti < 0)
                return PMAP_NONE;
        const struct pmap_up *s = pmap_up_slot(m, (size_t)ti, up);
        return s ? s->next : PMAP_NONE;
}

void pmap_dev_range(const struct pmap *m, uint32_t dev, enum dnp_type t, uint32_t *ret_lo,
                    uint32_t *ret_hi)
{
        int ti = dnp_ptype_index(t);
        if (ti < 0 || dev >= m->ndev) {
                *ret_lo = *ret_hi = 0;
                return;
        }
        const struct pmap_tab *tab = &m->down_tab[(size_t)dev * PMAP_NTYPES + (size_t)ti];
        *ret_lo = tab->lo;
        *ret_hi = tab->lo + tab->n;
}

size_t pmap_dev_points(const struct pmap *m, uint32_t dev)
{
        return dev < m->ndev ? m->dev_points[dev] : 0;
}

size_t pmap_memory(const struct pmap *m)
{
        return m->memory;
}
