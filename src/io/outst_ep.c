/* SPDX-License-Identifier: MIT */
#include "io/outst_ep.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "dnp3/names.h"
#include "io/clock.h"
#include "io/pipe.h"
#include "io/tls.h"

/* A connection waiting for its first frame. */
enum pend_state {
        PEND_WAIT,                      /* reading, scanning for the first frame */
        PEND_FULL,                      /* OUTST_EP_BUF bytes without one: no longer read */
        PEND_UNKNOWN,                   /* named no member (reported): no longer read */
};

struct ep_pend {
        struct outst_ep *ep;
        struct io_pipe *c;
        struct io_deadline grace;       /* OUTST_EP_GRACE_MS after accept */
        enum pend_state state;
        struct link_hdr first;          /* the deciding frame's header */
        size_t len;                     /* bytes held in buf (scanned: at most OUTST_EP_BUF) */
        struct link_scanner sc;
        uint8_t buf[OUTST_EP_BUF + IO_PIPE_READ_MAX];  /* + the rest of the deciding read */
};

struct outst_ep {
        struct event_base *base;
        struct io_listener *lis;
        struct outst_ep_cb cb;
        void *ctx;
        uint32_t grace_ms;
        struct outst_ep_member **m;
        size_t nm, cap;
        struct ep_pend *pend[OUTST_EP_MAX_PENDING];     /* oldest first */
        size_t npend;
        struct outst_ep_stats stats;
};

#define DROP_NAME(name, text) [OUTST_EP_DROP_##name] = text,
NAMES_DEFINE(outst_ep_drop_name, enum outst_ep_drop, OUTST_EP_DROP_LIST, DROP_NAME)

static struct outst_ep_member *ep_member(const struct outst_ep *ep, uint16_t address)
{
        for (size_t i = 0; i < ep->nm; i++)
                if (ep->m[i]->address == address)
                        return ep->m[i];
        return NULL;
}

/* The listener admits the union of the members' allow lists (any, if one allows any). */
static int ep_set_union(struct outst_ep *ep)
{
        size_t n = 0;
        for (size_t i = 0; i < ep->nm; i++) {
                if (ep->m[i]->n_allow == 0)
                        return io_listener_set_allow(ep->lis, NULL, 0);
                n += ep->m[i]->n_allow;
        }
        if (n == 0)
                return io_listener_set_allow(ep->lis, NULL, 0);
        struct io_cidr *u = calloc(n, sizeof(*u));
        if (!u)
                return -ENOMEM;
        n = 0;
        for (size_t i = 0; i < ep->nm; i++) {
                memcpy(u + n, ep->m[i]->allow, ep->m[i]->n_allow * sizeof(*u));
                n += ep->m[i]->n_allow;
        }
        int r = io_listener_set_allow(ep->lis, u, n);
        free(u);
        return r;
}

static void ep_report(struct outst_ep *ep, enum outst_ep_drop why, const struct sockaddr *peer,
                      const struct link_hdr *first)
{
        ep->stats.dropped[why]++;
        if (ep->cb.on_drop)
                ep->cb.on_drop(ep->ctx, why, peer, first);
}

/*
 * Give c (with the bytes read from it so far) to m if m's allow list admits
 * the peer; else close it and tell m.
 */
static void ep_hand(struct outst_ep *ep, struct outst_ep_member *m, struct io_pipe *c,
                    const uint8_t *held, size_t n)
{
        struct sockaddr_storage peer;
        memcpy(&peer, io_pipe_conn_peer(c), sizeof(peer));
        if (!io_cidr_allowed(m->allow, m->n_allow, (struct sockaddr *)&peer)) {
                ep->stats.dropped[OUTST_EP_DROP_NOT_ALLOWED]++;
                io_pipe_free(c);
                if (m->on_reject)
                        m->on_reject(m->ctx, (struct sockaddr *)&peer);
                return;
        }
        ep->stats.dispatched++;
        m->on_conn(m->ctx, c, (struct sockaddr *)&peer, held, n);
}

/* ---- waiting connections ------------------------------------------------- */

/* Forget p (its connection is closed or handed over by the caller). */
static void pend_forget(struct ep_pend *p)
{
        struct outst_ep *ep = p->ep;
        for (size_t i = 0; i < ep->npend; i++)
                if (ep->pend[i] == p) {
                        memmove(&ep->pend[i], &ep->pend[i + 1],
                                (ep->npend - i - 1) * sizeof(ep->pend[0]));
                        ep->npend--;
                        break;
                }
        event_free(p->grace.ev);
        free(p);
}

/* Close p's connection; report why unless why is OUTST_EP_DROP_MAX (already reported). */
static void pend_close(struct ep_pend *p, enum outst_ep_drop why)
{
        struct sockaddr_storage peer;
        memcpy(&peer, io_pipe_conn_peer(p->c), sizeof(peer));
        io_pipe_free(p->c);
        struct outst_ep *ep = p->ep;
        pend_forget(p);
        if (why < OUTST_EP_DROP_MAX)
                ep_report(ep, why, (struct sockaddr *)&peer, NULL);
}

static int pend_frame(void *ctx, const struct link_frame *f)
{
        struct ep_pend *p = ctx;
        if (link_is_broadcast(f->h.dest))
                return 0;               /* names no one outstation: the next frame decides */
        p->first = f->h;
        return 1;
}

static void ep_on_tls_refused(void *ctx, const struct sockaddr *peer,
                              const struct io_tls_refusal *r);

static void pend_on_data(void *ctx, const uint8_t *data, size_t n)
{
        struct ep_pend *p = ctx;
        struct outst_ep *ep = p->ep;
        if (p->state != PEND_WAIT)
                return;                 /* what was read before reading stopped */
        struct io_tls_refusal r;
        if (p->len == 0 && !io_pipe_is_tls(p->c) && io_tls_hello_on_plain(data, n, &r)) {
                struct sockaddr_storage peer;
                memcpy(&peer, io_pipe_conn_peer(p->c), sizeof(peer));
                pend_close(p, OUTST_EP_DROP_MAX);
                ep_on_tls_refused(ep, (struct sockaddr *)&peer, &r);
                return;
        }
        size_t k = OUTST_EP_BUF - p->len;
        if (k > n)
                k = n;
        memcpy(p->buf + p->len, data, k);
        p->len += k;
        if (link_scanner_push(&p->sc, p->buf + p->len - k, k, pend_frame, p) == 0) {
                if (p->len == OUTST_EP_BUF) {
                        p->state = PEND_FULL;   /* closed when the grace ends */
                        io_pipe_pause_read(p->c, true);
                }
                return;
        }
        struct outst_ep_member *m = ep_member(ep, p->first.dest);
        if (!m) {
                p->state = PEND_UNKNOWN;
                p->len = 0;
                io_pipe_pause_read(p->c, true);
                ep_report(ep, OUTST_EP_DROP_UNKNOWN_ADDRESS, io_pipe_conn_peer(p->c), &p->first);
                return;
        }
        /* everything read so far goes to the member: held bytes, then the rest of this read */
        memcpy(p->buf + p->len, data + k, n - k);
        struct io_pipe *c = p->c;
        p->c = NULL;
        ep_hand(ep, m, c, p->buf, p->len + (n - k));
        pend_forget(p);
}

static void pend_on_down(void *ctx, int err, const char *what)
{
        struct ep_pend *p = ctx;
        (void)err;
        (void)what;
        pend_close(p, p->state == PEND_UNKNOWN ? OUTST_EP_DROP_MAX : OUTST_EP_DROP_PEER_CLOSED);
}

static void pend_on_grace(evutil_socket_t fd, short what, void *arg)
{
        struct ep_pend *p = arg;
        (void)fd;
        (void)what;
        io_deadline_fired(&p->grace);
        if (p->state == PEND_UNKNOWN)
                pend_close(p, OUTST_EP_DROP_MAX);
        else
                pend_close(p, p->len ? OUTST_EP_DROP_NO_FRAME : OUTST_EP_DROP_SILENT);
}

static const struct io_pipe_cb pend_cbs = {
        .on_data = pend_on_data,
        .on_down = pend_on_down,
};

static void pend_new(struct outst_ep *ep, struct io_pipe *c)
{
        if (ep->npend == OUTST_EP_MAX_PENDING)
                pend_close(ep->pend[0], OUTST_EP_DROP_OVERFLOW);
        struct ep_pend *p = calloc(1, sizeof(*p));
        if (p)
                p->grace.ev = evtimer_new(ep->base, pend_on_grace, p);
        if (!p || !p->grace.ev) {
                free(p);
                io_pipe_free(c);
                return;
        }
        p->ep = ep;
        p->c = c;
        link_scanner_init(&p->sc);
        uint64_t now = io_mono_ms();
        io_deadline_arm(&p->grace, now + ep->grace_ms, now);
        ep->pend[ep->npend++] = p;
        io_pipe_set_cb(c, &pend_cbs, p);
}

/* ---- listener callbacks -------------------------------------------------- */

static void ep_on_accept(void *ctx, struct io_pipe *c, const struct sockaddr *peer)
{
        struct outst_ep *ep = ctx;
        if (ep->nm == 0) {              /* the last outstation left (a reload in progress) */
                io_pipe_free(c);
                ep_report(ep, OUTST_EP_DROP_REFUSED, peer, NULL);
                return;
        }
        ep->stats.accepted++;
        if (ep->nm == 1)
                ep_hand(ep, ep->m[0], c, NULL, 0);
        else
                pend_new(ep, c);
}

static void ep_on_tls_refused(void *ctx, const struct sockaddr *peer,
                              const struct io_tls_refusal *r)
{
        struct outst_ep *ep = ctx;
        ep->stats.tls_refused++;
        if (ep->nm == 1) {
                if (ep->m[0]->on_tls_refused)
                        ep->m[0]->on_tls_refused(ep->m[0]->ctx, peer, r);
                return;
        }
        if (ep->cb.on_tls_refused)
                ep->cb.on_tls_refused(ep->ctx, peer, r);
}

static void ep_on_reject(void *ctx, const struct sockaddr *peer)
{
        struct outst_ep *ep = ctx;
        if (ep->nm == 1) {
                ep->stats.dropped[OUTST_EP_DROP_REFUSED]++;
                if (ep->m[0]->on_reject)
                        ep->m[0]->on_reject(ep->m[0]->ctx, peer);
                return;
        }
        ep_report(ep, OUTST_EP_DROP_REFUSED, peer, NULL);
}

/* ---- public ---------------------------------------------------------------- */

int outst_ep_new(struct event_base *base, const struct outst_ep_cfg *cfg,
                 const struct outst_ep_cb *cb, void *ctx, struct outst_ep **ret)
{
        struct outst_ep *ep = calloc(1, sizeof(*ep));
        if (!ep)
                return -ENOMEM;
        ep->base = base;
        ep->ctx = ctx;
        if (cb)
                ep->cb = *cb;
        ep->grace_ms = cfg->grace_ms ? cfg->grace_ms : OUTST_EP_GRACE_MS;
        const struct io_listener_cfg lcfg = {
                .ep = cfg->ep,
                .write_high_water = cfg->write_high_water,
                .tls = cfg->tls,
        };
        static const struct io_listener_cb lcb = {
                .on_accept = ep_on_accept,
                .on_reject = ep_on_reject,
                .on_tls_refused = ep_on_tls_refused,
        };
        int r = io_listener_new(base, &lcfg, &lcb, ep, &ep->lis);
        if (r < 0) {
                free(ep);
                return r;
        }
        *ret = ep;
        return 0;
}

void outst_ep_free(struct outst_ep *ep)
{
        if (!ep)
                return;
        while (ep->npend > 0)
                pend_close(ep->pend[0], OUTST_EP_DROP_MAX);
        io_listener_free(ep->lis);
        free(ep->m);
        free(ep);
}

int outst_ep_attach(struct outst_ep *ep, struct outst_ep_member *m)
{
        if (ep_member(ep, m->address))
                return -EADDRINUSE;
        if (ep->nm == ep->cap) {
                size_t cap = ep->cap ? 2 * ep->cap : 4;
                struct outst_ep_member **a = realloc(ep->m, cap * sizeof(*a));
                if (!a)
                        return -ENOMEM;
                ep->m = a;
                ep->cap = cap;
        }
        ep->m[ep->nm++] = m;
        int r = ep_set_union(ep);
        if (r < 0)
                ep->nm--;
        return r;
}

void outst_ep_detach(struct outst_ep *ep, struct outst_ep_member *m)
{
        for (size_t i = 0; i < ep->nm; i++)
                if (ep->m[i] == m) {
                        memmove(&ep->m[i], &ep->m[i + 1], (ep->nm - i - 1) * sizeof(ep->m[0]));
                        ep->nm--;
                        /* on -ENOMEM the old, wider union stays: each member still checks its own */
                        (void)ep_set_union(ep);
                        return;
                }
}

void outst_ep_tls_refused(struct outst_ep *ep, const struct sockaddr *peer,
                          const struct io_tls_refusal *r)
{
        ep_on_tls_refused(ep, peer, r);
}

void outst_ep_set_tls(struct outst_ep *ep, struct io_tls *t)
{
        io_listener_set_tls(ep->lis, t);
        if (!t)
                return;
        /* waiting connections are no outstation's yet: re-verified here (newest first) */
        for (size_t i = ep->npend; i-- > 0;) {
                struct ep_pend *p = ep->pend[i];
                struct io_tls_refusal r;
                if (!io_pipe_is_tls(p->c) || io_tls_reverify(t, p->c, &r) == 0)
                        continue;
                struct sockaddr_storage peer;
                memcpy(&peer, io_pipe_conn_peer(p->c), sizeof(peer));
                pend_close(p, OUTST_EP_DROP_MAX);
                ep_on_tls_refused(ep, (struct sockaddr *)&peer, &r);
        }
}

size_t outst_ep_members(const struct outst_ep *ep)
{
        return ep->nm;
}

uint16_t outst_ep_port(const struct outst_ep *ep)
{
        return io_listener_port(ep->lis);
}

const struct outst_ep_stats *outst_ep_stats(const struct outst_ep *ep)
{
        return &ep->stats;
}

size_t outst_ep_pending(const struct outst_ep *ep)
{
        return ep->npend;
}

size_t outst_ep_buffered(const struct outst_ep *ep)
{
        size_t n = 0;
        for (size_t i = 0; i < ep->npend; i++)
                n += ep->pend[i]->len;
        return n;
}
