/* SPDX-License-Identifier: MIT */
/*
 * Event buffers.  Each class owns an array of `depth` slots; its events are
 * a doubly linked list in insertion order (prev/next), and each source's
 * events in that class a singly linked sub-list (snext) with its head
 * (oldest), tail and count.  Free slots form a list through `next`; slots
 * never used yet lie above `used`, so a large, mostly empty buffer touches
 * little memory.
 *
 * Discarding a source's oldest event is popping its sub-list's head and
 * unlinking that slot from the class list: O(1).  Confirming walks the
 * class list from the oldest event and stops once it has removed every
 * selected one: a selected prefix (responses take the oldest first) costs
 * only its length.  An event removed from the middle of its source's
 * sub-list has, as its predecessor there, the last event of that source the
 * walk kept (every older event of the source lies behind the walk), which
 * the walk remembers per source in `slast`.
 */
#include "outstation/events.h"

#include <errno.h>
#include <stdlib.h>

#define EV_NIL UINT32_MAX

struct ev_src {
        uint32_t head;          /* oldest event of the source in this class */
        uint32_t tail;          /* newest */
        uint32_t count;
};

struct ev_class {
        struct ev *slot;
        uint32_t cap;
        uint32_t used;          /* slots [used, cap) were never used */
        uint32_t free;          /* free list through ev.next */
        uint32_t head, tail;    /* oldest, newest */
        uint32_t len;
        uint32_t unsent;
        uint32_t sel[3];        /* selected counts by enum ev_state */
        bool armed;             /* the 80 % warning may fire (below 50 % since the last) */
        bool high_reported;     /* waiting for events_take_high_water */
        struct ev_src *src;     /* [nsrc + 1] */
        uint64_t *discarded;    /* per source, [nsrc + 1] */
};

struct events {
        struct ev_class cls[4];
        uint16_t nsrc;
        uint32_t *slast;        /* confirm walk scratch, [nsrc + 1] */
        uint32_t seq;
        bool overflow;
        struct events_stats stats;
        struct events_journal journal;  /* hooks NULL: none */
};

size_t events_memory(const uint32_t depth[4], uint16_t nsrc)
{
        size_t per_src = sizeof(struct ev_src) + sizeof(uint64_t);
        size_t n = sizeof(struct events) + ((size_t)nsrc + 1) * sizeof(uint32_t);
        for (unsigned c = 1; c <= 3; c++)
                if (depth[c])
                        n += (size_t)depth[c] * sizeof(struct ev) + ((size_t)nsrc + 1) * per_src;
        return n;
}

void events_free(struct events *ev)
{
        if (!ev)
                return;
        for (unsigned c = 1; c <= 3; c++) {
                free(ev->cls[c].slot);
                free(ev->cls[c].src);
                free(ev->cls[c].discarded);
        }
        free(ev->slast);
        free(ev);
}

struct events *events_new(const uint32_t depth[4], uint16_t nsrc)
{
        struct events *ev = calloc(1, sizeof(*ev));
        if (!ev)
                return NULL;
        ev->nsrc = nsrc;
        ev->slast = calloc((size_t)nsrc + 1, sizeof(*ev->slast));
        if (!ev->slast)
                goto fail;
        for (unsigned c = 1; c <= 3; c++) {
                struct ev_class *k = &ev->cls[c];
                k->cap = depth[c];
                k->head = k->tail = k->free = EV_NIL;
                k->armed = true;
                if (depth[c] == 0)
                        continue;
                k->slot = calloc(depth[c], sizeof(struct ev));
                k->src = malloc(((size_t)nsrc + 1) * sizeof(*k->src));
                k->discarded = calloc((size_t)nsrc + 1, sizeof(*k->discarded));
                if (!k->slot || !k->src || !k->discarded)
                        goto fail;
                for (size_t s = 0; s <= nsrc; s++)
                        k->src[s] = (struct ev_src){ .head = EV_NIL, .tail = EV_NIL };
        }
        return ev;
fail:
        events_free(ev);
        return NULL;
}

/* ---- slots and lists ------------------------------------------------------ */

static uint32_t slot_alloc(struct ev_class *k)
{
        uint32_t s = k->free;
        if (s != EV_NIL) {
                k->free = k->slot[s].next;
                return s;
        }
        return k->used++;       /* the caller checked len < cap */
}

static void slot_free(struct ev_class *k, uint32_t s)
{
        k->slot[s].next = k->free;
        k->free = s;
}

static void class_append(struct ev_class *k, uint32_t s)
{
        struct ev *e = &k->slot[s];
        e->prev = k->tail;
        e->next = EV_NIL;
        if (k->tail != EV_NIL)
                k->slot[k->tail].next = s;
        else
                k->head = s;
        k->tail = s;
}

static void class_unlink(struct ev_class *k, uint32_t s)
{
        struct ev *e = &k->slot[s];
        if (e->prev != EV_NIL)
                k->slot[e->prev].next = e->next;
        else
                k->head = e->next;
        if (e->next != EV_NIL)
                k->slot[e->next].prev = e->prev;
        else
                k->tail = e->prev;
}

static void src_append(struct ev_class *k, uint32_t s)
{
        struct ev_src *q = &k->src[k->slot[s].src];
        k->slot[s].snext = EV_NIL;
        if (q->tail != EV_NIL)
                k->slot[q->tail].snext = s;
        else
                q->head = s;
        q->tail = s;
        q->count++;
}

/* Unlink s from its source's sub-list; pred is its predecessor there (EV_NIL: s is the head). */
static void src_unlink(struct ev_class *k, uint32_t s, uint32_t pred)
{
        struct ev *e = &k->slot[s];
        struct ev_src *q = &k->src[e->src];
        if (pred == EV_NIL)
                q->head = e->snext;
        else
                k->slot[pred].snext = e->snext;
        if (q->tail == s)
                q->tail = pred;
        q->count--;
}

/*
 * Take slot s of class c out of the class (both lists, the counts), tell the
 * journal (tell), free it.
 */
static void class_remove(struct events *ev, unsigned c, uint32_t s, uint32_t src_pred, bool tell)
{
        struct ev_class *k = &ev->cls[c];
        struct ev *e = &k->slot[s];
        if (tell && ev->journal.removed)
                ev->journal.removed(ev->journal.ctx, e, c);
        if (e->state == EV_UNSENT)
                k->unsent--;
        else
                k->sel[e->state]--;
        src_unlink(k, s, src_pred);
        class_unlink(k, s);
        slot_free(k, s);
        k->len--;
}

/* ---- the 80 % mark ---------------------------------------------------------- */

static void class_water(struct events *ev, unsigned c)
{
        struct ev_class *k = &ev->cls[c];
        if (k->cap == 0)
                return;
        if (k->armed && (uint64_t)k->len * 5 >= (uint64_t)k->cap * 4) {
                k->armed = false;
                k->high_reported = true;
                ev->stats.high_water[c]++;
        } else if (!k->armed && (uint64_t)k->len * 2 < k->cap) {
                k->armed = true;
                k->high_reported = false;
        }
}

/* ---- adding, overflow ------------------------------------------------------- */

/* Sequence numbers wrap: compare by difference. */
static bool seq_before(uint32_t a, uint32_t b)
{
        return (int32_t)(a - b) < 0;
}

/*
 * The source that loses an event when class k is full: the one holding the
 * most, of equals the one whose oldest event is older.
 */
static uint16_t class_victim_src(const struct events *ev, const struct ev_class *k)
{
        uint16_t best = 0;
        uint32_t best_n = 0;
        for (uint32_t s = 0; s <= ev->nsrc; s++) {
                const struct ev_src *q = &k->src[s];
                if (q->count == 0 || q->count < best_n)
                        continue;
                if (q->count == best_n &&
                    !seq_before(k->slot[q->head].seq, k->slot[k->src[best].head].seq))
                        continue;
                best = (uint16_t)s;
                best_n = q->count;
        }
        return best;
}

/*
 * Store the data of d (time, value, index, src, type, var, flags) at the
 * back of class c (1..3) as a new unsent event, discarding one first when
 * the class is full; the journal is told (tell) of the discard and the
 * addition.  1 if an event (or d itself) was discarded, 0.
 */
static int class_store(struct events *ev, unsigned c, const struct ev *d, bool tell)
{
        struct ev_class *k = &ev->cls[c];
        int dropped = 0;

        if (k->cap == 0) {
                ev->stats.discarded[c]++;
                ev->overflow = true;
                return 1;
        }
        if (k->len == k->cap) {
                uint16_t victim = class_victim_src(ev, k);
                class_remove(ev, c, k->src[victim].head, EV_NIL, tell);
                k->discarded[victim]++;
                ev->stats.discarded[c]++;
                ev->overflow = true;
                dropped = 1;
        }
        uint32_t s = slot_alloc(k);
        struct ev *e = &k->slot[s];
        *e = (struct ev){
                .time = d->time,
                .value = d->value,
                .seq = ev->seq++,
                .index = d->index,
                .src = d->src > ev->nsrc ? EVENTS_SRC_NONE : d->src,
                .type = d->type,
                .var = d->var,
                .flags = d->flags,
                .state = EV_UNSENT,
        };
        class_append(k, s);
        src_append(k, s);
        k->len++;
        k->unsent++;
        ev->stats.added[c]++;
        class_water(ev, c);
        if (tell && ev->journal.added)
                ev->journal.added(ev->journal.ctx, e, c);
        return dropped;
}

int events_add(struct events *ev, const struct db_event *e, uint16_t src)
{
        if (e->cls < 1 || e->cls > 3)
                return -EINVAL;
        if (e->v.index > UINT16_MAX)
                return -ERANGE;
        const struct ev d = {
                .time = e->v.time,
                .value = dnp_value_get((enum dnp_type)e->type, &e->v),
                .index = (uint16_t)e->v.index,
                .src = src,
                .type = e->type,
                .var = e->var,
                .flags = e->v.flags,
        };
        return class_store(ev, e->cls, &d, true);
}

int events_restore(struct events *ev, const struct ev *e, unsigned cls)
{
        if (cls < 1 || cls > 3)
                return -EINVAL;
        return class_store(ev, cls, e, false);
}

void events_set_journal(struct events *ev, const struct events_journal *j)
{
        ev->journal = j ? *j : (struct events_journal){ 0 };
}

/* ---- queries ------------------------------------------------------------------ */

size_t events_count(const struct events *ev, unsigned cls)
{
        return cls >= 1 && cls <= 3 ? ev->cls[cls].len : 0;
}

size_t events_unsent(const struct events *ev, unsigned cls)
{
        return cls >= 1 && cls <= 3 ? ev->cls[cls].unsent : 0;
}

uint16_t events_sources(const struct events *ev)
{
        return ev->nsrc;
}

size_t events_src_count(const struct events *ev, unsigned cls, uint16_t src)
{
        if (cls < 1 || cls > 3 || src > ev->nsrc || !ev->cls[cls].src)
                return 0;
        return ev->cls[cls].src[src].count;
}

uint64_t events_src_discarded(const struct events *ev, unsigned cls, uint16_t src)
{
        if (cls < 1 || cls > 3 || src > ev->nsrc || !ev->cls[cls].discarded)
                return 0;
        return ev->cls[cls].discarded[src];
}

/* ---- iteration, selection, confirms ------------------------------------------ */

void events_iter_init(const struct events *ev, struct events_iter *it, unsigned mask)
{
        *it = (struct events_iter){ .mask = mask & 0xe };
        for (unsigned c = 0; c <= 3; c++)
                it->pos[c] = c ? ev->cls[c].head : EV_NIL;
}

struct ev *events_iter_next(struct events *ev, struct events_iter *it, unsigned *ret_cls)
{
        struct ev *best = NULL;
        unsigned best_cls = 0;

        for (unsigned c = 1; c <= 3; c++) {
                if (!(it->mask & (1u << c)))
                        continue;
                struct ev_class *k = &ev->cls[c];
                /* skip selected events */
                while (it->pos[c] != EV_NIL && k->slot[it->pos[c]].state != EV_UNSENT)
                        it->pos[c] = k->slot[it->pos[c]].next;
                if (it->pos[c] == EV_NIL)
                        continue;
                struct ev *e = &k->slot[it->pos[c]];
                if (!best || seq_before(e->seq, best->seq)) {
                        best = e;
                        best_cls = c;
                }
        }
        if (!best)
                return NULL;
        it->pos[best_cls] = best->next;
        if (ret_cls)
                *ret_cls = best_cls;
        return best;
}

void events_walk(const struct events *ev, void (*fn)(void *ctx, const struct ev *e, unsigned cls),
                 void *ctx)
{
        uint32_t pos[4] = { EV_NIL, ev->cls[1].head, ev->cls[2].head, ev->cls[3].head };
        for (;;) {
                const struct ev *best = NULL;
                unsigned best_cls = 0;
                for (unsigned c = 1; c <= 3; c++) {
                        if (pos[c] == EV_NIL)
                                continue;
                        const struct ev *e = &ev->cls[c].slot[pos[c]];
                        if (!best || seq_before(e->seq, best->seq)) {
                                best = e;
                                best_cls = c;
                        }
                }
                if (!best)
                        return;
                pos[best_cls] = best->next;
                fn(ctx, best, best_cls);
        }
}

static struct ev_class *class_of(struct events *ev, const struct ev *e)
{
        for (unsigned c = 1; c <= 3; c++) {
                struct ev_class *k = &ev->cls[c];
                if (k->cap && e >= k->slot && e < k->slot + k->cap)
                        return k;
        }
        return NULL;
}

void events_select(struct events *ev, struct ev *e, enum ev_state by)
{
        struct ev_class *k = class_of(ev, e);
        if (!k || e->state != EV_UNSENT || by == EV_UNSENT)
                return;
        e->state = (uint8_t)by;
        k->unsent--;
        k->sel[by]++;
}

size_t events_confirm(struct events *ev, enum ev_state by)
{
        size_t n = 0;

        for (unsigned c = 1; c <= 3; c++) {
                struct ev_class *k = &ev->cls[c];
                uint32_t removed = 0;
                uint32_t s = k->head;
                while (s != EV_NIL && k->sel[by] > 0) {
                        struct ev *e = &k->slot[s];
                        uint32_t next = e->next;
                        uint16_t src = e->src;
                        if (e->state == by) {
                                /* the source's head, or behind the last one kept here */
                                uint32_t pred = k->src[src].head == s ? EV_NIL : ev->slast[src];
                                class_remove(ev, c, s, pred, true);
                                removed++;
                        } else {
                                ev->slast[src] = s;
                        }
                        s = next;
                }
                if (removed == 0)
                        continue;
                ev->stats.confirmed[c] += removed;
                n += removed;
                class_water(ev, c);
        }
        return n;
}

size_t events_unselect(struct events *ev, enum ev_state by)
{
        size_t n = 0;
        for (unsigned c = 1; c <= 3; c++) {
                struct ev_class *k = &ev->cls[c];
                for (uint32_t s = k->head; s != EV_NIL && k->sel[by] > 0; s = k->slot[s].next) {
                        struct ev *e = &k->slot[s];
                        if (e->state != by)
                                continue;
                        e->state = EV_UNSENT;
                        k->sel[by]--;
                        k->unsent++;
                        n++;
                }
        }
        return n;
}

bool events_overflow(const struct events *ev)
{
        return ev->overflow;
}

void events_clear_overflow(struct events *ev)
{
        ev->overflow = false;
}

bool events_take_high_water(struct events *ev, unsigned cls)
{
        if (cls < 1 || cls > 3 || !ev->cls[cls].high_reported)
                return false;
        ev->cls[cls].high_reported = false;
        return true;
}

const struct events_stats *events_stats(const struct events *ev)
{
        return &ev->stats;
}

/* ---- self-check --------------------------------------------------------------- */

static int class_check(const struct events *ev, const struct ev_class *k)
{
        uint32_t len = 0, unsent = 0, sel[3] = { 0 }, prev = EV_NIL;

        if (k->cap == 0)
                return k->len == 0 && k->head == EV_NIL ? 0 : -EUCLEAN;
        for (uint32_t s = k->head; s != EV_NIL; prev = s, s = k->slot[s].next) {
                const struct ev *e = &k->slot[s];
                if (s >= k->used || ++len > k->len || e->prev != prev || e->src > ev->nsrc ||
                    e->state > EV_SEL_UNSOL)
                        return -EUCLEAN;
                if (prev != EV_NIL && !seq_before(k->slot[prev].seq, e->seq))
                        return -EUCLEAN;
                if (e->state == EV_UNSENT)
                        unsent++;
                else
                        sel[e->state]++;
        }
        if (prev != k->tail || len != k->len || unsent != k->unsent ||
            sel[EV_SEL_SOL] != k->sel[EV_SEL_SOL] || sel[EV_SEL_UNSOL] != k->sel[EV_SEL_UNSOL])
                return -EUCLEAN;
        uint32_t total = 0;
        for (uint32_t q = 0; q <= ev->nsrc; q++) {
                const struct ev_src *sq = &k->src[q];
                uint32_t cnt = 0, last = EV_NIL;
                for (uint32_t s = sq->head; s != EV_NIL; last = s, s = k->slot[s].snext) {
                        if (s >= k->used || ++cnt > sq->count || k->slot[s].src != q)
                                return -EUCLEAN;
                        if (last != EV_NIL && !seq_before(k->slot[last].seq, k->slot[s].seq))
                                return -EUCLEAN;
                }
                if (cnt != sq->count || last != sq->tail)
                        return -EUCLEAN;
                total += cnt;
        }
        uint32_t nfree = 0;
        for (uint32_t s = k->free; s != EV_NIL; s = k->slot[s].next)
                if (s >= k->used || ++nfree > k->used)
                        return -EUCLEAN;
        return total == k->len && k->len + nfree == k->used ? 0 : -EUCLEAN;
}

int events_check(const struct events *ev)
{
        for (unsigned c = 1; c <= 3; c++) {
                int r = class_check(ev, &ev->cls[c]);
                if (r < 0)
                        return r;
        }
        return 0;
}
