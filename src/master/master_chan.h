/* SPDX-License-Identifier: MIT */
/*
 * A master channel: one byte stream (a serial port or a terminal-server
 * socket) with one or more devices on it by link address (multi-drop).
 * Sans-I/O: the adapter feeds received bytes and timer firings with a
 * monotonic `now` in milliseconds, drains the output buffer to the port,
 * and arms one timer at master_chan_deadline().  Nothing here reads a clock,
 * prints or allocates after setup (master_chan_new / master_chan_add_dev).
 *
 * Half duplex: at most one request is outstanding on the channel.  After
 * every call the adapter re-reads master_chan_output() and
 * master_chan_deadline().  Upcalls are made from inside those calls; they
 * must not free the channel.
 *
 * Wall time: measurement timestamps that the device did not supply and the
 * time written by time sync are `now + wall_offset`; the adapter keeps the
 * offset current with master_chan_set_wall_offset() (wall ms - monotonic ms).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/link.h"
#include "dnp3/names.h"
#include "dnp3/obj.h"
#include "dnp3/sess.h"
#include "master/master_dev.h"

struct master_chan;

struct master_chan_cfg {
        uint16_t master_address;
        /*
         * response_timeout: the timer of a request starts when it is handed
         * to the adapter, plus the wire time of the bytes queued up to and
         * including it (len x byte_time_us); every link frame that arrives
         * from the device of the transaction re-arms it (so a long response
         * on a slow line does not time out while it is flowing).
         */
        uint64_t response_timeout_ms;
        uint32_t byte_time_us;          /* serial: 11 bits / baud in us (1146 at 9600); 0 for TCP */
        unsigned retries;               /* requests sent again after a timeout */
        bool link_confirm;              /* confirmed data-link service */
        size_t max_fragment;            /* reassembly limit per device; 0 = 2048 */
        size_t out_cap;                 /* output buffer; 0 = 4096 */
        unsigned max_devices;           /* 0 = 32 */
};

/* One measurement (static value or event) from a device. */
struct master_meas {
        struct master_dev *dev;
        enum dnp_type type;             /* BI, DBI, BO, CNT, FCNT, AI, AO */
        uint8_t group, var;
        bool event;                     /* from an event group (g2, g4, g11, g22...) */
        bool device_time;               /* v.time came from the device; else reception */
        bool unsolicited;
        struct dnp_value v;             /* index, flags, value; v.time always set (ms, UTC) */
};

#define MASTER_DIAG_LIST(X)                                                     \
        X(OTHER_DEST, "frame for another address")                              \
        X(OTHER_SRC, "frame from an unexpected source")                         \
        X(WRONG_DIR, "the peer is acting as a master: check roles")             \
        X(REFUSED, "the device refused a function or object (IIN2.0/2.1)")      \
        X(BAD_RESPONSE, "response does not parse")                              \
        X(UNEXPECTED, "response with a wrong sequence or none expected")        \
        X(UNSOL_REJECTED, "unsolicited response while not enabled")             \
        X(LINK_FAILED, "no link-layer acknowledgement")

/* master_diag_name(): the text of a kind ("frame for another address"). */
#define MASTER_DIAG_ENUM(name, str) MASTER_DIAG_##name,
NAMES_ENUM(master_diag_kind, MASTER_DIAG_LIST, MASTER_DIAG_ENUM, MASTER_DIAG_MAX,
           master_diag_name);

#define MASTER_DIAG_MAX_OBJS 8

struct master_diag {
        enum master_diag_kind kind;
        struct master_dev *dev;         /* NULL when no device matched the frame */
        uint16_t src, dest;             /* link addresses of the frame */
        uint8_t func;                   /* REFUSED: the request's function code */
        uint16_t iin;                   /* REFUSED: the IIN of the answer */
        int err;                        /* BAD_RESPONSE: obj_parse error */
        size_t nobjs;                   /* REFUSED: object headers of the request */
        struct {
                uint8_t group, var;
        } objs[MASTER_DIAG_MAX_OBJS];
};

struct master_callbacks {
        void *ctx;
        void (*on_value)(void *ctx, const struct master_meas *m);
        /* Device state changes: ONLINE or OFFLINE. */
        void (*on_state)(void *ctx, struct master_dev *d, enum master_dev_state s);
        /* IIN of a response (solicited or unsolicited) when it differs from the last one. */
        void (*on_iin)(void *ctx, struct master_dev *d, uint16_t iin);
        void (*on_diag)(void *ctx, const struct master_diag *dg);
        /* A task finished: ok = valid response (optional, for logs and tests). */
        void (*on_task)(void *ctx, struct master_dev *d, enum master_task t, bool ok);
        /* Every APDU sent or received (optional, for protocol traces). */
        void (*on_apdu)(void *ctx, struct master_dev *d, bool tx, const uint8_t *apdu,
                        size_t len);
        /*
         * The CONFIRM barrier (optional; NULL = confirm at once).  Asked
         * when a response or unsolicited response that asks for a CONFIRM
         * was taken (its values delivered through on_value): true = what it
         * carried is not on stable storage yet, so the CONFIRM is held until
         * master_chan_release_confirms().  While a device's CONFIRM is held
         * the channel sends that device nothing else, and a transaction
         * waiting for it has no response timer (a multi-fragment response
         * goes on, and a final one ends, when the CONFIRM goes out).  One
         * CONFIRM is held per device and kind: a newer unsolicited response's
         * replaces an older one's (an outstation sends the next unsolicited
         * response only after the CONFIRM of the last, IEEE 1815-2012 6.5.3).
         */
        bool (*hold_confirm)(void *ctx);
};

struct master_chan_stats {
        uint64_t rx_bytes;
        uint64_t tx_bytes;              /* bytes queued in the output buffer */
        uint64_t other_dest;
        uint64_t other_src;
        uint64_t wrong_dir;
        uint64_t out_overflow;          /* requests that did not fit the output buffer */
        uint64_t not_apdu;              /* fragments from a device that are not responses */
};

/* 0 or -EINVAL (bad config), -ENOMEM. */
int master_chan_new(const struct master_chan_cfg *cfg, const struct master_callbacks *cb,
                    struct master_chan **ret);
void master_chan_free(struct master_chan *ch);

/* Add a device (before master_chan_up).  -EINVAL, -EEXIST (address in use), -ENOSPC, -EBUSY, -ENOMEM. */
int master_chan_add_dev(struct master_chan *ch, const struct master_dev_cfg *cfg,
                        struct master_dev **ret);
size_t master_chan_ndev(const struct master_chan *ch);
struct master_dev *master_chan_dev(const struct master_chan *ch, size_t i);
struct master_dev *master_chan_find(const struct master_chan *ch, uint16_t address);

/* The channel as a session (dnp3/sess.h): what a runner carries over a byte pipe. */
struct dnp_sess *master_chan_sess(struct master_chan *ch);

void master_chan_set_wall_offset(struct master_chan *ch, int64_t offset_ms);

/* The port is open: devices start (startup sequence, or a probe after an outage). */
void master_chan_up(struct master_chan *ch, uint64_t now);
/* The port is gone, or could not be opened: the outstanding request is dropped,
 * devices go OFFLINE (upcall once), controls fail. */
void master_chan_down(struct master_chan *ch, uint64_t now);
bool master_chan_is_open(const struct master_chan *ch);

void master_chan_rx(struct master_chan *ch, const uint8_t *p, size_t n, uint64_t now);
/*
 * What the held CONFIRMs (hold_confirm) covered is on stable storage: send
 * them, go on with the transactions that waited for them; wakes the
 * session.  Nothing held (or channel closed): no effect but the wake.
 */
void master_chan_release_confirms(struct master_chan *ch, uint64_t now);
void master_chan_timer(struct master_chan *ch, uint64_t now);
/* When master_chan_timer() must run next; DNP_NEVER if nothing is scheduled. */
uint64_t master_chan_deadline(const struct master_chan *ch);

/* Bytes waiting to be written, and how many were written. */
size_t master_chan_output(const struct master_chan *ch, const uint8_t **ret);
void master_chan_consumed(struct master_chan *ch, size_t n, uint64_t now);

const struct master_chan_stats *master_chan_get_stats(const struct master_chan *ch);
const struct link_stats *master_chan_link_stats(const struct master_chan *ch);
