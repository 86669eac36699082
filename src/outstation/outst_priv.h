/* SPDX-License-Identifier: MIT */
/*
 * The outstation session's private parts, shared by its files (nothing
 * outside src/outstation includes this): struct outst with one sub-struct
 * per concern, and the calls the files make into each other.
 *
 *   outst.c        dispatch and output: new/free, the session verbs, the
 *                  request dispatch, solicited responses and their confirms
 *                  (struct outst_sol)
 *   outst_read.c   READ, and events into a fragment (struct outst_read)
 *   outst_cmd.c    SELECT/OPERATE/DIRECT_OPERATE(_NR) and the selection
 *                  (struct outst_ctl)
 *   outst_unsol.c  unsolicited responses, ENABLE/DISABLE_UNSOLICITED
 *                  (struct outst_unsol)
 *   outst_func.c   the other functions: WRITE (IIN, time), time sync and
 *                  NEED_TIME, DELAY_MEASURE, RECORD_CURRENT_TIME, restarts,
 *                  freezes (struct outst_func)
 *
 * Each concern that keeps a timer has its own deadline and timer function;
 * outst_deadline() is the least of them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/app.h"
#include "dnp3/sess.h"
#include "outstation/outst.h"

/* ---- outst.c: dispatch and output ------------------------------------- */

enum outst_sol_state { SOL_IDLE, SOL_WAIT_CONFIRM, SOL_CMD_PENDING };

/*
 * IIN1.0 after a broadcast request (IEEE 1815-2012 broadcast addresses):
 * 0xFFFD (no confirmation) and 0xFFFF (optional, treated alike) set it in
 * the next response only; 0xFFFE (confirmation mandatory) sets it, with CON,
 * in every response until the master confirms one that carried it.
 */
enum outst_bcast { BCAST_NONE, BCAST_ONCE, BCAST_CONFIRM };

/* The request being answered and its (solicited) response. */
struct outst_sol {
        /* last request and last response (duplicate detection, resend) */
        uint8_t *req;
        size_t req_len;
        bool req_valid;
        uint8_t *rsp;
        size_t rsp_len;
        bool rsp_queued;
        uint16_t req_iin;       /* IIN2.x of the request being answered */
        bool in_broadcast;      /* processing a broadcast request: no response */

        enum outst_sol_state state;
        uint8_t seq;            /* SEQ of the fragment awaiting confirm */
        uint64_t deadline;
        bool con;               /* the queued response wants a confirm */
        bool bcast;             /* the response awaiting confirm carried IIN1.0 (0xFFFE) */
};

/* ---- outst_read.c: READ ------------------------------------------------ */

#define EV_NO_LIMIT UINT32_MAX

/*
 * One event selection of a READ (an event or class object header) or of an
 * unsolicited response: the events it takes and how many more it may take
 * (its own 0x07/0x08 count).  Each event goes to the first selection that
 * wants it and has room, in the order the headers came: the same events as
 * taking each header's count in turn.
 */
struct ev_sel {
        unsigned classes;       /* class header: bit c for class c; 0 for a type header */
        uint8_t type;           /* type header: enum dnp_type (DNP_TYPE_NONE for a class) */
        uint8_t var;            /* type header's variation; 0 = each event's own */
        uint32_t left;          /* events it may still take; EV_NO_LIMIT */
};

/* Event selections of one READ: no more than the parser admits headers. */
#define OUTST_MAX_EV_SEL OBJ_MAX_HEADERS_HEADERS_MODE

struct read_item {
        uint8_t type;           /* enum dnp_type (static) */
        uint8_t var;            /* 0 = each point's default */
        uint8_t qual;           /* qualifier of the response header */
        uint32_t start, stop;
};

/* The READ in progress (its later fragments go out as each is confirmed). */
struct outst_read {
        struct read_item items[OUTST_MAX_READ_ITEMS];
        size_t n_items;
        struct ev_sel ev_sel[OUTST_MAX_EV_SEL];
        size_t n_ev_sel;
        bool events;            /* event phase still to do */
        size_t item;
        uint32_t next;
        bool more;              /* more fragments to come */
};

/* ---- outst_cmd.c: controls --------------------------------------------- */

struct cmd_hdr {
        uint8_t group, var, qual;
        uint32_t start;
};

/* A SELECT (every status SUCCESS) awaiting its OPERATE. */
struct outst_sel {
        bool valid;
        bool told;              /* the application was told the selection ended */
        uint8_t seq;
        uint64_t time;
        uint8_t *obj;
        size_t len;
};

/* The deferred controls of the last control request, and the selection. */
struct outst_ctl {
        struct outst_cmd cmds[OUTST_MAX_CMDS];
        uint8_t hdr_of[OUTST_MAX_CMDS];
        struct cmd_hdr hdrs[OUTST_MAX_CMDS];
        size_t n_cmds, n_hdrs;
        bool overflow;
        bool pending;
        bool broadcast;         /* the pending controls came by broadcast: never answered */
        uint32_t token;
        uint8_t func;
        uint8_t seq;
        uint64_t time;
        uint64_t deadline;
        struct outst_sel sel;
};

/* ---- outst_unsol.c: unsolicited ---------------------------------------- */

enum outst_uns_state { UNS_IDLE, UNS_WAIT_CONFIRM };

struct outst_unsol {
        enum outst_uns_state state;
        uint8_t *buf;
        size_t len;
        bool queued;
        uint8_t seq;
        uint64_t deadline;
        unsigned tries;
        bool null_pending;
        unsigned enabled;       /* classes the master enabled: bit c for class c */
        uint64_t hold_start;
        uint64_t backoff;
        bool bcast;             /* the unsolicited awaiting confirm carried IIN1.0 (0xFFFE) */
};

/* ---- outst_func.c: the other functions --------------------------------- */

struct outst_func {
        /* deferred freeze */
        uint8_t *frz_named;     /* one bit per counter */
        bool frz_pending;
        bool frz_broadcast;     /* came by broadcast: never answered */
        uint32_t frz_token;
        uint8_t frz_func;
        uint8_t frz_seq;
        uint64_t frz_deadline;

        /* IIN1.7, IIN1.4 and the time of the last RECORD_CURRENT_TIME */
        bool restart;
        bool need_time;
        uint64_t need_time_at;
        uint64_t record_time;
        bool record_time_valid;
};

/* ---- the session --------------------------------------------------------- */

struct outst {
        struct dnp_sess sess;   /* the session interface (dnp3/sess.h) */
        struct outst_cfg cfg;
        struct outst_callbacks cb;
        void *ctx;
        struct db *db;
        struct events *ev;
        struct link_scanner sc;
        struct lsess ls;
        uint8_t *rxbuf;
        uint8_t *outbuf;
        struct wr out;
        /*
         * The APDU the link layer is sending (a copy of sol.rsp or uns.buf):
         * with confirmed link service it goes out frame by frame, and a
         * request (or an early confirm) that rebuilds rsp/buf meanwhile must
         * not change the frames still to come.
         */
        uint8_t *txbuf;
        bool connected;
        enum outst_bcast bcast; /* IIN1.0 owed (see enum outst_bcast) */

        struct outst_sol sol;
        struct outst_read rd;
        struct outst_ctl ctl;
        struct outst_unsol uns;
        struct outst_func fn;

        struct outst_stats stats;
};

/* outst.c */
/* Hand the queued response, else the queued unsolicited, to the link layer. */
void outst_flush(struct outst *o, uint64_t now);
/* Start a response (FIN set) to seq in sol.rsp. */
void outst_rsp_init(struct outst *o, struct apdu_wr *a, uint8_t seq, bool fir);
/* Finish and queue the response; con: ask for a confirm (SOL_WAIT_CONFIRM). */
void outst_rsp_queue(struct outst *o, struct apdu_wr *a, uint8_t seq, bool fir, bool fin,
                     bool con, uint64_t now);
/* A response with no objects. */
void outst_rsp_null(struct outst *o, uint8_t seq, uint64_t now);
/*
 * The master confirmed the fragment whose events were selected by `by`;
 * *bcast: it carried IIN1.0 after a broadcast to 0xFFFE (now owed no more).
 */
void outst_confirmed(struct outst *o, enum ev_state by, bool *bcast);
/*
 * A deferred control or freeze of func ended (completed or timed out): the
 * session may answer again.  Whether its answer goes out: never for a
 * request that takes none (the _NR functions) or one that came by broadcast.
 */
bool outst_deferred_end(struct outst *o, uint8_t func, bool broadcast);

/*
 * One request being answered: its sequence number, function code and object
 * bytes.  Every function code's handler takes it (the table in outst.c).
 */
struct outst_req {
        uint8_t seq;
        uint8_t func;
        const uint8_t *objs;
        size_t n;
};
typedef void outst_handler_fn(struct outst *o, const struct outst_req *rq, uint64_t now);

/*
 * The implementation table (outst.h) of a handler: the rows of function
 * code func, for the outstation x->cfg, through x->fn.  Each handler's file
 * has the one of its handler, next to the code it describes.
 */
struct outst_impl_out {
        const struct outst_cfg *cfg;
        outst_impl_fn *fn;
        void *ctx;
};
typedef void outst_impl_rows_fn(const struct outst_impl_out *x, uint8_t func);
/* One row (func, group, var, request qualifiers, response qualifiers). */
void outst_impl_row(const struct outst_impl_out *x, uint8_t func, uint8_t group, uint8_t var,
                    uint32_t quals, uint32_t rsp_quals);

/* The upcall a function code needs: without it the code is not supported (IIN2.0). */
enum outst_need { OUTST_NEED_NONE, OUTST_NEED_FREEZE, OUTST_NEED_RESTART };

/* A function code's row of the handler table (outst.c). */
struct outst_func_row {
        outst_handler_fn *handler;      /* NULL: not supported */
        outst_impl_rows_fn *impl;       /* its rows of the implementation table */
        uint8_t need;                   /* enum outst_need */
};
/* The handler table's row of func when cb provides what it needs, else NULL. */
const struct outst_func_row *outst_func_usable(const struct outst_callbacks *cb, uint8_t func);

/*
 * The qualifiers the handlers take each kind of object with (the rows of
 * the implementation table list the same sets).
 */
#define OUTST_Q_RANGE (OBJ_QBIT(RANGE8) | OBJ_QBIT(RANGE16))
#define OUTST_Q_COUNT (OBJ_QBIT(COUNT8) | OBJ_QBIT(COUNT16))
#define OUTST_Q_INDEX (OBJ_QBIT(INDEX8) | OBJ_QBIT(INDEX16))
/* READ of static objects and freezes: all, a range, the first N, an index list */
#define OUTST_Q_POINTS (OBJ_QBIT(ALL) | OUTST_Q_RANGE | OUTST_Q_COUNT | OUTST_Q_INDEX)
/* READ of the IIN bits (packed: no index list) */
#define OUTST_Q_IIN (OBJ_QBIT(ALL) | OUTST_Q_RANGE | OUTST_Q_COUNT)
/* READ of events and of class 1-3 data: all of them, or at most N */
#define OUTST_Q_EVENTS (OBJ_QBIT(ALL) | OUTST_Q_COUNT)
/* controls: an index per object */
#define OUTST_Q_CONTROL OUTST_Q_INDEX

/* An object a handler takes: (group, var) and the qualifiers listed for it. */
struct outst_obj {
        uint8_t group, var;
        uint32_t quals;
};

/* outst_read.c */
void outst_read_handle(struct outst *o, const struct outst_req *rq, uint64_t now);
outst_impl_rows_fn outst_read_impl;
/* The next fragment of the READ in progress (o->rd). */
void outst_read_fragment(struct outst *o, uint8_t seq, bool fir, uint64_t now);
/*
 * Write the unsent events the selections sel[0..nsel-1] take into a (for a
 * READ or an unsolicited response); true if all of them fit.
 */
bool outst_read_events(struct outst *o, struct apdu_wr *a, struct ev_sel *sel, size_t nsel,
                       enum ev_state by, size_t *ret_n);

/* outst_cmd.c */
void outst_cmd_handle(struct outst *o, const struct outst_req *rq, uint64_t now);
outst_impl_rows_fn outst_cmd_impl;
/* A new request (not a repeat) of func arrived: it supersedes the pending controls. */
void outst_cmd_supersede(struct outst *o, uint8_t func, uint64_t now);
void outst_cmd_down(struct outst *o);
uint64_t outst_cmd_deadline(const struct outst *o);
void outst_cmd_timer(struct outst *o, uint64_t now);

/* outst_unsol.c */
/* Send an unsolicited response if one is due and nothing else is in the way. */
void outst_unsol_try(struct outst *o, uint64_t now);
void outst_unsol_handle_ctl(struct outst *o, const struct outst_req *rq, uint64_t now);
outst_impl_rows_fn outst_unsol_impl;
/* A CONFIRM with UNS set. */
void outst_unsol_confirm(struct outst *o, const struct apdu_hdr *h, uint64_t now);
void outst_unsol_init(struct outst *o);
void outst_unsol_down(struct outst *o);
uint64_t outst_unsol_deadline(const struct outst *o);
void outst_unsol_timer(struct outst *o, uint64_t now);

/* outst_func.c */
void outst_func_write(struct outst *o, const struct outst_req *rq, uint64_t now);
void outst_func_delay(struct outst *o, const struct outst_req *rq, uint64_t now);
void outst_func_record_time(struct outst *o, const struct outst_req *rq, uint64_t now);
void outst_func_restart(struct outst *o, const struct outst_req *rq, uint64_t now);
void outst_func_freeze(struct outst *o, const struct outst_req *rq, uint64_t now);
outst_impl_rows_fn outst_func_write_impl, outst_func_delay_impl, outst_func_restart_impl,
        outst_func_freeze_impl, outst_func_none_impl;
/* A new request (not a repeat) arrived: it supersedes the pending freeze. */
void outst_func_supersede(struct outst *o);
void outst_func_init(struct outst *o);
void outst_func_down(struct outst *o);
uint64_t outst_func_deadline(const struct outst *o);
void outst_func_timer(struct outst *o, uint64_t now);
