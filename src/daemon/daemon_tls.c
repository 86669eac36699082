/* SPDX-License-Identifier: MIT */
/*
 * DNP3 over TLS in the daemon (the TLS itself is io/tls.h):
 *
 *  - refused handshakes: one journal record per peer address and reason a
 *    minute (TLS_REFUSED, with the exact reason; the endpoint counts every
 *    one, the status report shows the count);
 *  - a reload (SIGHUP) loads the file again, which reads the certificate
 *    files again (config_tls.c): the endpoints and the TLS channels take the
 *    new contexts for new connections, and every connected peer is checked
 *    against the new CA, CRL and allow list: one that no longer verifies is
 *    dropped (a record says why), the others stay connected.  A connection
 *    that is plain TCP where TLS is now required, or TLS where it no longer
 *    is, is dropped too;
 *  - the gateway's own certificates: a warning (TLS_EXPIRY) at start, on
 *    every reload and then once a day while one expires within
 *    GW_TLS_EXPIRY_WARN_DAYS days (an error once it has expired).
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "io/pipe.h"

/* who: the outstation the connection was for, "" while the endpoint had not decided. */
static void dtls_refused(struct d_ep *e, const char *who, const struct sockaddr *peer,
                         const struct io_tls_refusal *r)
{
        char addr[64], more[64] = "", where[336];
        uint64_t supp = 0;
        io_addr_format(peer, addr, sizeof(addr));
        uint64_t key = log_key(addr) ^ ((uint64_t)r->why << 56);
        if (!log_rltab_ok(&e->tls_rl, key, NULL, d_now(e->d), LOG_MINUTE_MS, &supp))
                return;
        if (supp)
                snprintf(more, sizeof(more), " (%" PRIu64 " more since the last message)", supp);
        if (who[0]) {
                snprintf(where, sizeof(where), "outstation %s", who);
        } else {
                char members[256];
                dstatus_ep_members(e, members, sizeof(members));
                snprintf(where, sizeof(where), "%s (%s)", e->listen, members);
        }
        const struct log_field fl[] = {
                { "DNP3GW_LISTEN", e->listen },
                { "DNP3GW_PEER", addr },
                { "DNP3GW_TLS_REFUSAL", io_tls_why_name(r->why) },
                { "DNP3GW_REASON", r->text },
                { "DNP3GW_OUTSTATION", who },   /* last: only when one is named */
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_TLS_REFUSED, fl, D_N(fl) - !who[0],
                 "%s: TLS connection from %s refused: %s%s", where, addr, r->text, more);
}

void dtls_on_refused(void *ctx, const struct sockaddr *peer, const struct io_tls_refusal *r)
{
        struct d_out *o = ctx;
        dtls_refused(o->ep, o->cfg->name, peer, r);
}

void dtls_on_ep_refused(void *ctx, const struct sockaddr *peer, const struct io_tls_refusal *r)
{
        dtls_refused(ctx, "", peer, r);
}

char *dtls_describe(const struct io_pipe *p, char *buf, size_t n)
{
        if (!p || !io_pipe_is_tls(p)) {
                buf[0] = 0;
                return buf;
        }
        snprintf(buf, n, "%s %s, %s", io_pipe_tls_version(p), io_pipe_tls_cipher(p),
                 io_pipe_tls_peer(p));
        return buf;
}

char *dtls_stats_text(const struct io_pipe *p, char *buf, size_t n)
{
        const struct io_tls_stats *st = p ? io_pipe_tls_stats(p) : NULL;
        if (!st) {
                buf[0] = 0;
                return buf;
        }
        snprintf(buf, n, "; TLS key updates %" PRIu64 " (sent %" PRIu64 ", received %" PRIu64
                 "), renegotiations %" PRIu64, st->rekeys_started, st->key_updates_sent,
                 st->key_updates_received, st->renegotiations);
        return buf;
}

struct io_tls *dtls_ep_ctx(const struct gw_config *cfg, const struct io_endpoint *ep)
{
        for (size_t i = 0; i < cfg->noutstations; i++) {
                const struct gw_outstation *oc = &cfg->outstations[i];
                if (io_endpoint_eq(&oc->endpoint, ep))
                        return oc->tls.enabled ? oc->tls.ctx : NULL;
        }
        return NULL;
}

static void dtls_dropped(const char *kind, const char *name, const char *peer, const char *why)
{
        const struct log_field fl[] = {
                { kind[0] == 'o' ? "DNP3GW_OUTSTATION" : "DNP3GW_CHANNEL", name },
                { "DNP3GW_PEER", peer },
                { "DNP3GW_REASON", why },
        };
        log_send(LOG_WARNING_LEVEL, LOG_MSGID_TLS_REFUSED, fl, D_N(fl),
                 "%s %s: %s dropped on reload: %s", kind, name, peer, why);
}

/*
 * Whether the connected pipe p still passes t (NULL: plain TCP wanted);
 * *why says why not.  The pipe is the owner's to close.
 */
static bool dtls_still_ok(const struct gw_tls *t, const struct io_pipe *p,
                          struct io_tls_refusal *why)
{
        bool tls = io_pipe_is_tls(p);
        if (!t->enabled || !t->ctx) {
                snprintf(why->text, sizeof(why->text), "the connection is TLS; TLS is now off");
                return !tls;
        }
        if (!tls) {
                snprintf(why->text, sizeof(why->text), "the connection is plain TCP; TLS is now "
                         "required");
                return false;
        }
        return io_tls_reverify(t->ctx, p, why) != -EPERM;
}

void dtls_reload(struct daemon *d)
{
        const struct gw_config *cfg = d->cfg;
        for (size_t k = 0; k < d->nep; k++)
                outst_ep_set_tls(d->eps[k]->oe, dtls_ep_ctx(cfg, &d->eps[k]->ep));
        for (size_t i = 0; i < d->nout; i++) {
                struct d_out *o = d->outs[i];
                struct io_pipe *p = o ? outst_io_pipe(o->io) : NULL;
                struct io_tls_refusal why;
                if (!p || dtls_still_ok(&o->cfg->tls, p, &why))
                        continue;
                dtls_dropped("outstation", o->cfg->name, o->peer, why.text);
                io_pipe_close(p, 0, why.text);
        }
        for (size_t c = 0; c < d->nchan; c++) {
                struct d_chan *ch = d->chans[c];
                const struct gw_tls *t = &ch->cfg->tcp.tls;
                struct io_pipe *p = master_io_pipe(ch->io);
                struct io_tls_refusal why;
                if (ch->cfg->transport != IO_TRANSPORT_TCP || !t->enabled)
                        continue;               /* a change of transport rebuilds the channel */
                io_pipe_tls_set(p, t->ctx);
                if (!io_pipe_is_up(p) || dtls_still_ok(t, p, &why))
                        continue;
                dtls_dropped("channel", ch->cfg->name, io_pipe_name(p), why.text);
                io_pipe_close(p, 0, why.text);
        }
}

/* The record of one tls block's certificate when it expires soon. */
static void dtls_expiry_one(const char *kind, const char *name, const struct gw_tls *t,
                            time_t now)
{
        if (!t->enabled || !t->ctx)
                return;
        int64_t days = io_tls_days_left(t->ctx, now);
        if (days >= GW_TLS_EXPIRY_WARN_DAYS)
                return;
        char when[32], left[24];
        time_t end = io_tls_not_after(t->ctx);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&end, &tm));
        snprintf(left, sizeof(left), "%" PRId64, days);
        const struct log_field fl[] = {
                { kind[0] == 'o' ? "DNP3GW_OUTSTATION" : "DNP3GW_CHANNEL", name },
                { "DNP3GW_CERTIFICATE", t->certificate },
                { "DNP3GW_NOT_AFTER", when },
                { "DNP3GW_DAYS_LEFT", left },
        };
        if (now >= end)
                log_send(LOG_ERROR_LEVEL, LOG_MSGID_TLS_EXPIRY, fl, D_N(fl),
                         "%s %s: TLS certificate %s expired on %s: peers refuse it", kind, name,
                         t->certificate, when);
        else
                log_send(LOG_WARNING_LEVEL, LOG_MSGID_TLS_EXPIRY, fl, D_N(fl),
                         "%s %s: TLS certificate %s expires in %" PRId64 " day%s (%s)", kind,
                         name, t->certificate, days, days == 1 ? "" : "s", when);
}

/* Whether a block before upto (outstations, then channels) has the certificate cert. */
static bool dtls_seen(const struct gw_config *cfg, const struct gw_tls *upto, const char *cert)
{
        for (size_t i = 0; i < cfg->noutstations + cfg->nchannels; i++) {
                const struct gw_tls *t = i < cfg->noutstations
                                                 ? &cfg->outstations[i].tls
                                                 : &cfg->channels[i - cfg->noutstations].tcp.tls;
                if (t == upto)
                        return false;
                if (t->enabled && strcmp(t->certificate, cert) == 0)
                        return true;
        }
        return false;
}

void dtls_expiry_check(struct daemon *d)
{
        const struct gw_config *cfg = d->cfg;
        time_t now = time(NULL);
        bool any = false;
        for (size_t i = 0; i < cfg->noutstations; i++) {
                const struct gw_outstation *oc = &cfg->outstations[i];
                any |= oc->tls.enabled;
                if (oc->tls.enabled && !dtls_seen(cfg, &oc->tls, oc->tls.certificate))
                        dtls_expiry_one("outstation", oc->name, &oc->tls, now);
        }
        for (size_t c = 0; c < cfg->nchannels; c++) {
                const struct gw_channel *cc = &cfg->channels[c];
                any |= cc->tcp.tls.enabled;
                if (cc->tcp.tls.enabled && !dtls_seen(cfg, &cc->tcp.tls, cc->tcp.tls.certificate))
                        dtls_expiry_one("channel", cc->name, &cc->tcp.tls, now);
        }
        if (!d->tls_expiry)
                return;
        if (any) {
                const struct timeval tv = { .tv_sec = DTLS_EXPIRY_CHECK_MS / 1000 };
                event_add(d->tls_expiry, &tv);  /* a day from now */
        } else {
                event_del(d->tls_expiry);       /* no certificate: no timer */
        }
}
