/* SPDX-License-Identifier: MIT */
/*
 * One DNP3 association over a link: link functions, the confirmed user data
 * service with FCB, keep-alive, and transport segmentation/reassembly.  See
 * lsess.h for the service description.  No allocation, no clock, no I/O.
 */
#include "dnp3/lsess.h"

#include <errno.h>


/* Encode one frame from us to the peer into w (whole frame or nothing). */
static int lsess_encode(const struct lsess *s, struct wr *w, enum link_func func, bool fcb,
                        const uint8_t *data, size_t n)
{
        struct link_hdr h = {
                .dir = s->cfg.master,
                .prm = link_func_is_primary(func),
                .fcb = fcb,
                .fcv = link_func_fcv(func),
                .code = link_func_code(func),
                .dest = s->cfg.remote,
                .src = s->cfg.local,
        };
        size_t need = link_frame_size(n);

        if (need > wr_left(w))
                return -ENOBUFS;
        int r = link_encode(w->p + w->len, wr_left(w), &h, data, n);
        if (r < 0)
                return r;
        w->len += (size_t)r;
        return 0;
}

static int lsess_emit(struct lsess *s, struct wr *out, enum link_func func, bool fcb,
                      const uint8_t *data, size_t n)
{
        int r = lsess_encode(s, out, func, fcb, data, n);
        if (r < 0)
                return r;
        s->stats.tx_frames++;
        return 0;
}

static void lsess_keepalive_rearm(struct lsess *s, uint64_t now)
{
        s->keepalive_pending = false;
        s->keepalive_deadline = s->cfg.keepalive_ms > 0 ? now + s->cfg.keepalive_ms : DNP_NEVER;
}

void lsess_init(struct lsess *s, const struct lsess_cfg *cfg, uint8_t *rxbuf, size_t rxcap,
                uint64_t now)
{
        *s = (struct lsess){
                .cfg = *cfg,
                .ack_deadline = DNP_NEVER,
        };
        tport_rx_init(&s->rx, rxbuf, rxcap);
        lsess_keepalive_rearm(s, now);
}

void lsess_reset(struct lsess *s, uint64_t now)
{
        tport_rx_reset(&s->rx);
        s->tx = (struct tport_tx){ .done = true };
        s->tx_active = false;
        s->tx_failed = false;
        s->link_reset = false;
        s->tx_fcb = false;
        s->pending_len = 0;
        s->pending_tries = 0;
        s->ack_deadline = DNP_NEVER;
        s->rx_reset = false;
        s->rx_fcb = false;
        s->keepalive_failed = false;
        lsess_keepalive_rearm(s, now);
}

enum lsess_match lsess_check_frame(const struct lsess *s, const struct link_frame *f)
{
        if (f->h.dest != s->cfg.local && !link_is_broadcast(f->h.dest))
                return LSESS_MATCH_OTHER_DEST;
        /* The peer has the other role: its frames carry DIR = !ours. */
        if (f->h.dir == s->cfg.master)
                return LSESS_MATCH_WRONG_DIR;
        if (f->h.src != s->cfg.remote)
                return LSESS_MATCH_OTHER_SRC;
        return LSESS_MATCH_OK;
}

/* Encode the next transport segment as a confirmed frame into s->pending. */
static int lsess_pending_next_segment(struct lsess *s)
{
        uint8_t seg[TPORT_MAX_SEGMENT];
        size_t n = tport_tx_next(&s->tx, seg);
        struct wr w;

        if (n == 0)
                return -ENODATA;
        wr_init(&w, s->pending, sizeof(s->pending));
        int r = lsess_encode(s, &w, LINK_FUNC_CONFIRMED_USER_DATA, s->tx_fcb, seg, n);
        if (r < 0)
                return r;
        s->pending_len = w.len;
        s->pending_tries = 0;
        return 0;
}

static int lsess_pending_reset(struct lsess *s)
{
        struct wr w;

        wr_init(&w, s->pending, sizeof(s->pending));
        int r = lsess_encode(s, &w, LINK_FUNC_RESET_LINK_STATES, false, NULL, 0);
        if (r < 0)
                return r;
        s->pending_len = w.len;
        s->pending_tries = 0;
        return 0;
}

/* Send the pending frame (again); the ACK deadline restarts. */
static int lsess_pending_send(struct lsess *s, uint64_t now, struct wr *out)
{
        s->ack_deadline = now + s->cfg.link_timeout_ms;
        int r = wr_bytes(out, s->pending, s->pending_len);
        if (r < 0)
                return r;
        s->stats.tx_frames++;
        return 0;
}

static void lsess_tx_finish(struct lsess *s)
{
        s->tx_active = false;
        s->pending_len = 0;
        s->ack_deadline = DNP_NEVER;
        s->tx_seq = s->tx.seq;
}

static void lsess_tx_abandon(struct lsess *s)
{
        lsess_tx_finish(s);
        s->link_reset = false;
        s->tx_failed = true;
        s->stats.link_failures++;
}

static bool lsess_pending_is_reset(const struct lsess *s)
{
        return s->pending_len == LINK_HDR_LEN && !s->link_reset;
}

/*
 * An ACK for the pending frame: go on with the next segment.  If out has no
 * room for it, the frame stays pending and goes out at the ACK deadline as a
 * retry; -ENOBUFS tells the caller.
 */
static int lsess_on_ack(struct lsess *s, uint64_t now, struct wr *out)
{
        if (!s->tx_active || s->pending_len == 0)
                return 0;       /* unsolicited ACK: nothing waits for it */
        if (lsess_pending_is_reset(s)) {
                s->link_reset = true;
                s->tx_fcb = true;
        } else {
                s->tx_fcb = !s->tx_fcb;
        }
        int r = lsess_pending_next_segment(s);
        if (r == -ENODATA) {
                lsess_tx_finish(s);
                s->stats.tx_apdus++;
                return 0;
        }
        if (r < 0) {
                lsess_tx_abandon(s);
                return r;
        }
        return lsess_pending_send(s, now, out);
}

static int lsess_to_transport(struct lsess *s, const struct link_frame *f,
                              const uint8_t **ret_apdu, size_t *ret_len)
{
        const uint8_t *apdu;
        size_t len;

        if (tport_rx_push(&s->rx, f->data, f->data_len, &apdu, &len) != 1)
                return 0;
        s->stats.rx_apdus++;
        *ret_apdu = apdu;
        *ret_len = len;
        return 1;
}

/*
 * The secondary station of IEEE 1815-2012 clause 9 (its state table: UnReset
 * until a RESET_LINK_STATES, then Idle with an expected FCB), plus the tx
 * side's ACK/NACK/NOT_SUPPORTED handling and the frame checks.
 */
int lsess_on_frame(struct lsess *s, const struct link_frame *f, uint64_t now, struct wr *out,
                   const uint8_t **ret_apdu, size_t *ret_len)
{
        enum link_func func = link_func_from_wire(f->h.prm, f->h.code);
        /* No link-layer reply to a broadcast. */
        bool reply = !link_is_broadcast(f->h.dest);
        int r = 0;

        s->stats.rx_frames++;
        /* A frame with good CRCs shows the peer is there, whatever it holds. */
        lsess_keepalive_rearm(s, now);

        /*
         * Discarded unanswered: an undefined function code (no NOT_SUPPORTED:
         * that answers a defined service the station lacks, and this one has
         * them all), and a frame whose FCV or LENGTH does not fit its function.
         */
        if (func == LINK_FUNC_MAX) {
                s->stats.bad_function++;
                return 0;
        }
        if (!link_frame_conforms(func, f)) {
                s->stats.malformed++;
                return 0;
        }

        switch (func) {
        case LINK_FUNC_RESET_LINK_STATES:
                s->rx_reset = true;
                s->rx_fcb = true;
                if (reply)
                        r = lsess_emit(s, out, LINK_FUNC_ACK, false, NULL, 0);
                return r;
        case LINK_FUNC_TEST_LINK_STATES:
                if (!s->rx_reset) {
                        s->stats.not_reset++;
                        return 0;
                }
                /*
                 * The expected FCB: ACK and toggle.  Otherwise the standard
                 * repeats the last ACK or NACK sent; this station sends no
                 * NACK and every ACK it sends is the same frame, so: ACK.
                 */
                if (f->h.fcb == s->rx_fcb)
                        s->rx_fcb = !s->rx_fcb;
                else
                        s->stats.fcb_repeats++;
                if (reply)
                        r = lsess_emit(s, out, LINK_FUNC_ACK, false, NULL, 0);
                return r;
        case LINK_FUNC_REQUEST_LINK_STATUS:
                if (reply)
                        r = lsess_emit(s, out, LINK_FUNC_LINK_STATUS, false, NULL, 0);
                return r;
        case LINK_FUNC_UNCONFIRMED_USER_DATA:
                return lsess_to_transport(s, f, ret_apdu, ret_len);
        case LINK_FUNC_CONFIRMED_USER_DATA: {
                if (!s->rx_reset) {
                        s->stats.not_reset++;
                        return 0;
                }
                bool fresh = f->h.fcb == s->rx_fcb;
                if (fresh)
                        s->rx_fcb = !s->rx_fcb;
                else
                        s->stats.fcb_repeats++;
                if (reply)
                        r = lsess_emit(s, out, LINK_FUNC_ACK, false, NULL, 0);
                if (!fresh)
                        return r;
                int t = lsess_to_transport(s, f, ret_apdu, ret_len);
                return r < 0 ? r : t;
        }
        case LINK_FUNC_ACK:
                return lsess_on_ack(s, now, out);
        case LINK_FUNC_NACK:
        case LINK_FUNC_NOT_SUPPORTED:
                /*
                 * The peer refuses our confirmed frame (link not reset, or no
                 * confirmed service): abandon the APDU; the next one starts
                 * with a link reset.  The application layer retries.
                 */
                if (s->tx_active && s->pending_len > 0)
                        lsess_tx_abandon(s);
                return 0;
        case LINK_FUNC_LINK_STATUS:
                return 0;       /* keep-alive answered: rearmed above */
        case LINK_FUNC_MAX:     /* refused above; no default: -Wswitch checks the list */
                break;
        }
        return 0;
}

size_t lsess_wire_size(size_t apdu_len)
{
        size_t left = apdu_len;
        size_t size = 0;

        do {
                size_t chunk = left < TPORT_MAX_PAYLOAD ? left : TPORT_MAX_PAYLOAD;
                size += link_frame_size(chunk + 1);
                left -= chunk;
        } while (left > 0);
        return size;
}

int lsess_send(struct lsess *s, const uint8_t *apdu, size_t len, uint64_t now, struct wr *out)
{
        if (s->tx_active)
                return -EBUSY;

        if (!s->cfg.confirmed) {
                uint8_t seg[TPORT_MAX_SEGMENT];
                size_t n;

                if (lsess_wire_size(len) > wr_left(out))
                        return -ENOBUFS;
                tport_tx_start(&s->tx, apdu, len, s->tx_seq);
                while ((n = tport_tx_next(&s->tx, seg)) > 0) {
                        int r = lsess_emit(s, out, LINK_FUNC_UNCONFIRMED_USER_DATA, false, seg, n);
                        if (r < 0)
                                return r;       /* cannot happen: room checked above */
                }
                s->tx_seq = s->tx.seq;
                s->stats.tx_apdus++;
                return 0;
        }

        /* Confirmed: the first frame must fit, otherwise nothing starts. */
        size_t first = s->link_reset ? link_frame_size(1 + (len < TPORT_MAX_PAYLOAD
                                                              ? len : TPORT_MAX_PAYLOAD))
                                     : LINK_HDR_LEN;
        if (first > wr_left(out))
                return -ENOBUFS;
        tport_tx_start(&s->tx, apdu, len, s->tx_seq);
        int r = s->link_reset ? lsess_pending_next_segment(s) : lsess_pending_reset(s);
        if (r < 0)
                return r;
        s->tx_active = true;
        return lsess_pending_send(s, now, out);
}

bool lsess_tx_idle(const struct lsess *s)
{
        return !s->tx_active;
}

bool lsess_tx_failed(struct lsess *s)
{
        bool v = s->tx_failed;
        s->tx_failed = false;
        return v;
}

bool lsess_keepalive_failed(struct lsess *s)
{
        bool v = s->keepalive_failed;
        s->keepalive_failed = false;
        return v;
}

int lsess_request_link_status(struct lsess *s, uint64_t now, struct wr *out)
{
        int r = lsess_emit(s, out, LINK_FUNC_REQUEST_LINK_STATUS, false, NULL, 0);
        if (r < 0)
                return r;
        s->stats.keepalives_sent++;
        s->keepalive_pending = true;
        s->keepalive_deadline = now + s->cfg.link_timeout_ms;
        return 0;
}

uint64_t lsess_deadline(const struct lsess *s)
{
        uint64_t d = DNP_NEVER;

        if (s->tx_active && s->pending_len > 0)
                d = s->ack_deadline;
        if ((s->cfg.keepalive_ms > 0 || s->keepalive_pending) && s->keepalive_deadline < d)
                d = s->keepalive_deadline;
        return d;
}

int lsess_on_timer(struct lsess *s, uint64_t now, struct wr *out)
{
        int ret = 0;

        if (s->tx_active && s->pending_len > 0 && now >= s->ack_deadline) {
                if (s->pending_tries < s->cfg.link_retries) {
                        s->pending_tries++;
                        s->stats.link_retries++;
                        int r = lsess_pending_send(s, now, out);
                        if (r < 0)
                                ret = r;
                } else {
                        lsess_tx_abandon(s);
                }
        }

        if (s->keepalive_pending && now >= s->keepalive_deadline) {
                s->keepalive_failed = true;
                s->stats.keepalives_failed++;
                lsess_keepalive_rearm(s, now);
        } else if (!s->keepalive_pending && s->cfg.keepalive_ms > 0 &&
                   now >= s->keepalive_deadline) {
                int r = lsess_request_link_status(s, now, out);
                if (r < 0)
                        ret = r;
        }
        return ret;
}
