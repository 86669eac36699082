/* SPDX-License-Identifier: MIT */
/*
 * One DNP3 association over a link (local address <-> remote address):
 * link-layer functions and transport segmentation/reassembly, shared by the
 * outstation and the master sessions.  Sans-I/O: time comes in as `now`
 * (milliseconds, any monotonic origin), bytes to send go out into a
 * caller-provided struct wr, completed APDUs come back by pointer, and
 * lsess_deadline() says when lsess_on_timer() must be called next.
 *
 * Demultiplexing is the caller's: one link_scanner per byte stream (TCP
 * connection, serial channel), frames handed to the lsess whose (local,
 * remote) they match.  lsess_check_frame() classifies a frame for that.
 *
 * Link service (the secondary station of IEEE 1815-2012 clause 9):
 *  - received: RESET_LINK_STATES -> ACK, the link is reset and FCB=1 is
 *    expected next; REQUEST_LINK_STATUS -> LINK_STATUS;
 *    UNCONFIRMED_USER_DATA -> transport; CONFIRMED_USER_DATA -> ACK, and to
 *    the transport if its FCB is the expected one (which then toggles),
 *    otherwise it is a retry: ACK only; TEST_LINK_STATES -> ACK, toggling
 *    the expected FCB if it carried it.  Before the first RESET_LINK_STATES
 *    (and again after lsess_reset()) CONFIRMED_USER_DATA and TEST_LINK_STATES
 *    are discarded unanswered: the data is neither acknowledged nor passed
 *    on.  Secondary ACK/NACK/NOT_SUPPORTED/LINK_STATUS -> the tx side.
 *  - discarded unanswered (no ACK, no LINK_STATUS, no NOT_SUPPORTED, nothing
 *    passed on), each counted: an undefined function code; a primary frame
 *    whose FCV is not 1 for TEST_LINK_STATES or CONFIRMED_USER_DATA or not 0
 *    for the others; a frame with user data (LENGTH > 5) other than user
 *    data, or user data without any.  NOT_SUPPORTED is never sent: it
 *    answers a defined link service the station lacks, and none is lacking.
 *    Link replies never go to a broadcast destination.
 *  - sent: user data as UNCONFIRMED_USER_DATA, or, with cfg.confirmed, a
 *    RESET_LINK_STATES first (once, and after a failure) then each segment as
 *    CONFIRMED_USER_DATA with alternating FCB, one at a time, each waiting for
 *    ACK up to cfg.link_timeout_ms with cfg.link_retries retries; when they
 *    run out the APDU is abandoned and lsess_tx_failed() reports it.
 *  - keep-alive: with cfg.keepalive_ms > 0, REQUEST_LINK_STATUS after that
 *    much silence from the peer (any valid frame resets it); an unanswered
 *    one is reported by lsess_keepalive_failed().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "link.h"
#include "sess.h"
#include "transport.h"


struct lsess_cfg {
        bool master;                /* our frames carry DIR = 1 */
        uint16_t local;
        uint16_t remote;
        bool confirmed;             /* send user data with the confirmed link service */
        uint64_t link_timeout_ms;   /* wait for a link ACK / LINK_STATUS */
        unsigned link_retries;
        uint64_t keepalive_ms;      /* 0 = off */
};

struct lsess_stats {
        uint64_t rx_frames;
        uint64_t tx_frames;
        uint64_t rx_apdus;
        uint64_t tx_apdus;
        uint64_t link_retries;      /* confirmed frames sent again */
        uint64_t link_failures;     /* APDUs abandoned for lack of ACK */
        uint64_t keepalives_sent;
        uint64_t keepalives_failed;
        uint64_t fcb_repeats;       /* CONFIRMED_USER_DATA / TEST_LINK_STATES repeating an FCB */
        uint64_t not_reset;         /* those two before RESET_LINK_STATES, discarded */
        uint64_t bad_function;      /* frames with an undefined function code, discarded */
        uint64_t malformed;         /* frames whose FCV or LENGTH misfits the function, discarded */
};

/* Where a frame belongs, for demultiplexing and diagnostics. */
enum lsess_match {
        LSESS_MATCH_OK,             /* dest == local (or broadcast), src == remote, right DIR */
        LSESS_MATCH_OTHER_DEST,     /* for another address */
        LSESS_MATCH_OTHER_SRC,      /* to us, from an unexpected source */
        LSESS_MATCH_WRONG_DIR,      /* the peer has our role: "check roles" */
};

struct lsess {
        struct lsess_cfg cfg;
        struct tport_rx rx;
        struct tport_tx tx;
        uint8_t tx_seq;             /* transport sequence of the next APDU */
        bool tx_active;             /* an APDU is being sent */
        bool tx_failed;             /* set when the last APDU was abandoned (cleared on read) */
        /* confirmed link service, tx side */
        bool link_reset;            /* RESET_LINK_STATES acknowledged */
        bool tx_fcb;
        uint8_t pending[LINK_MAX_FRAME];    /* frame awaiting ACK */
        size_t pending_len;
        unsigned pending_tries;
        uint64_t ack_deadline;
        /* confirmed link service, rx side */
        bool rx_reset;              /* RESET_LINK_STATES received on this connection */
        bool rx_fcb;                /* FCB expected next */
        /* keep-alive */
        uint64_t keepalive_deadline;
        bool keepalive_pending;
        bool keepalive_failed;      /* cleared on read */
        struct lsess_stats stats;
};

/* rxbuf (rxcap bytes) holds reassembled fragments: the max fragment size. */
void lsess_init(struct lsess *s, const struct lsess_cfg *cfg, uint8_t *rxbuf, size_t rxcap,
                uint64_t now);
/* Forget link and transport state (connection lost/replaced); counters stay. */
void lsess_reset(struct lsess *s, uint64_t now);

enum lsess_match lsess_check_frame(const struct lsess *s, const struct link_frame *f);

/*
 * A frame for which lsess_check_frame() said OK.  Link replies are appended
 * to out.  Returns 1 with *ret_apdu, *ret_len when a fragment completed (valid
 * until the next call), 0 otherwise, -ENOBUFS if out had no room for a reply.
 */
int lsess_on_frame(struct lsess *s, const struct link_frame *f, uint64_t now, struct wr *out,
                   const uint8_t **ret_apdu, size_t *ret_len);

/*
 * Start sending an APDU (the buffer must stay valid until lsess_tx_idle()).
 * Unconfirmed: every frame is appended to out at once (out must hold them:
 * link_frame_size() per 249-byte segment; -ENOBUFS and nothing written
 * otherwise).  Confirmed: the first frame (or the link reset) is appended and
 * the rest follow as ACKs arrive.  -EBUSY if an APDU is still in flight.
 */
int lsess_send(struct lsess *s, const uint8_t *apdu, size_t len, uint64_t now, struct wr *out);
bool lsess_tx_idle(const struct lsess *s);
/* True once after an APDU was abandoned (confirmed service, retries exhausted). */
bool lsess_tx_failed(struct lsess *s);
/* True once after a keep-alive went unanswered. */
bool lsess_keepalive_failed(struct lsess *s);

/* Send a REQUEST_LINK_STATUS now (also done by the keep-alive timer). */
int lsess_request_link_status(struct lsess *s, uint64_t now, struct wr *out);

/* Earliest time lsess_on_timer() must run, or DNP_NEVER. */
uint64_t lsess_deadline(const struct lsess *s);
/* Retries, keep-alives; frames appended to out. */
int lsess_on_timer(struct lsess *s, uint64_t now, struct wr *out);

/* Bytes of out a whole APDU of len bytes can need in unconfirmed mode. */
size_t lsess_wire_size(size_t apdu_len);
