/* SPDX-License-Identifier: MIT */
/*
 * dnp3gwd's running state, shared by the files of the daemon (daemon.h is
 * the public side).  One concept per file:
 *
 *   daemon.c          lifecycle: build, run, free; signals, watchdog, the
 *                     deferred per-pass work (event buffers, STATUS=)
 *   daemon_wire.c     the pure derivation config -> session configs
 *                     (outst_cfg, master channel and device configs, the
 *                     point map) and their comparison for reload
 *   daemon_sess.c     the running objects: endpoints, outstations,
 *                     channels, the gateway core; their upcalls into the core
 *   daemon_journal.c  journal records: audits, diagnostics, connections,
 *                     device and channel states, event buffers
 *   daemon_status.c   STATUS= line and the status report
 *   daemon_tls.c      TLS: refusal records, reload of the files (peers that
 *                     no longer verify dropped), the certificate expiry check
 *   daemon_reload.c   applying a configuration: first build and reload
 *   daemon_ctl.c      the control socket: dnp3gwctl's clients, their
 *                     bounded output, the trace taps
 *   daemon_ctl_json.c what the control socket answers: status and points
 *                     as JSON objects, one per line
 *   daemon_profile.c  --device-profile: the IEEE 1815 device profile XML
 *   daemon_persist.c  the outstations' event journals: restore, the CONFIRM
 *                     barrier, group commit, degraded and resumed
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <event2/event.h>

#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "gateway/gw.h"
#include "io/addr.h"
#include "io/clock.h"
#include "io/master_io.h"
#include "io/outst_ep.h"
#include "io/outst_io.h"
#include "io/tls.h"
#include "master/master_chan.h"
#include "outstation/outst.h"

#define D_N(a) (sizeof(a) / sizeof((a)[0]))
/* A forwarded control the devices did not answer: the outstation answers TIMEOUT after this. */
#define D_CMD_MARGIN_MS 1000u

struct daemon;
struct evstore;

/* One upstream endpoint (listening socket), shared by the outstations on it. */
struct d_ep {
        struct daemon *d;
        struct io_endpoint ep;
        char listen[64];                /* as the outstation that bound it wrote it */
        struct outst_ep *oe;
        bool fresh;                     /* bound by the reload in progress */
        bool wanted;                    /* the configuration being applied listens on it */
        struct log_rltab drops;
        struct log_rltab tls_rl;        /* refused TLS handshakes, per peer and reason */
};

struct d_out {
        struct daemon *d;
        size_t idx;                     /* slot in the gateway core */
        const struct gw_outstation *cfg;/* in d->cfg */
        struct d_ep *ep;
        struct outst_io *io;
        bool connected;
        char peer[64];
        char tls[256];                  /* "TLSv1.3 TLS_AES_128_GCM_SHA256, CN=..."; "" plain */
        uint64_t since_ms;              /* monotonic, at connect */
        uint64_t disconnects;
        uint64_t logged_discarded[4];
        uint64_t *logged_src[4];        /* per event source, [events_sources() + 1] */
        struct log_ratelimit overflow_rl;
        struct log_rltab rej_peer;
        struct log_rltab rej_frame;
        uint64_t sel_unused;            /* SELECTs left without OPERATE since the peer connected */
        struct log_rltab sel_rl;
        struct log_rltab conn;          /* connection notices, per peer */
        struct io_deadline conn_timer;  /* their summaries (monotonic ms) */
        bool conn_logged;               /* this connection's connect notice went out */
        struct evstore *store;          /* its event journal; NULL: not persisted */
        bool journal_seen;              /* dpersist_apply() has opened (or skipped) it */
        bool journal_degraded;          /* as last recorded in the journal */
};

struct d_chan;

struct d_dev {
        struct d_chan *ch;
        size_t i;                       /* in the channel */
        uint32_t slot;                  /* in the gateway core */
        struct master_dev *md;
        enum master_dev_state state;
        uint64_t last_ok_wall;          /* ms since 1970 of the last valid response; 0 = never */
        uint64_t last_ok_mono;
        uint64_t state_wall;            /* ms since 1970 of the last state change; 0 = none */
        uint16_t iin_seen;              /* every IIN bit any response carried */
        char why[160];                  /* OFFLINE: why (dnp3gwctl status) */
};

struct d_chan {
        struct daemon *d;
        const struct gw_channel *cfg;   /* in d->cfg */
        struct master_chan *mc;
        struct master_io *io;
        bool up;
        bool started;
        struct d_dev *devs;
        size_t ndev;
        struct log_rltab diag;
        uint64_t state_wall;            /* ms since 1970 it came up or went down; 0 = never */
        char why[160];                  /* down: why */
};

/* The gateway core and the context of its callbacks; retired on a map change. */
struct d_gw {
        struct daemon *d;
        struct gw *g;
        bool retired;
        struct event *free_ev;
        struct d_gw *next;              /* retired list */
};

struct daemon {
        struct event_base *base;
        struct daemon_opts opts;
        char *path;
        struct gw_config *cfg;          /* what every running session was built from */
        struct d_gw *gw;
        struct d_gw *retired;
        struct d_out **outs;
        size_t nout;
        struct d_ep **eps;              /* every endpoint, in no particular order */
        size_t nep;
        struct d_chan **chans;
        size_t nchan;
        struct d_dev **slots;           /* device slots, (channel, device) order */
        size_t nslots;
        struct event *sig[4];
        struct event *watchdog;
        struct event *status;           /* the status report timer */
        struct event *deferred;         /* d_defer_status(): later in the same loop pass */
        struct event *status_later;     /* a STATUS= held back by the once-a-second limit */
        struct event *persist_flush;    /* the journals' group commit, later in the pass */
        struct event *persist_retry;    /* degraded journals try again */
        bool persist_pending;
        struct event *tls_expiry;       /* the daily check of the gateway's certificates */
        uint64_t watchdog_usec;
        uint64_t events_base;           /* events forwarded by retired cores */
        uint64_t status_next_ms;        /* monotonic: no STATUS= before then */
        bool status_dirty;
        bool deferred_pending;
        bool running;
        char last_error[160];
        char status_sent[256];
        struct dctl *ctl;               /* the control socket (NULL: none) */
        uint64_t started_wall;
};

/* ---- daemon.c ---- */

uint64_t d_now(struct daemon *d);
/* Check the event buffers and STATUS= once, later in this loop pass. */
void d_defer_status(struct daemon *d);
/* Counts or states in STATUS= changed. */
void d_state_changed(struct daemon *d);
__attribute__((format(printf, 2, 3)))
void d_set_error(struct daemon *d, const char *fmt, ...);

/* ---- daemon_status.c ---- */

/* STATUS= changes are sent at most this often (a NOTIFY_SOCKET nobody reads blocks). */
#define DSTATUS_INTERVAL_MS 1000u

/* STATUS=<line> when it changed (or force), at most once a second unless forced. */
void dstatus_notify(struct daemon *d, bool force);
/* The outstations on an endpoint: "10 scada, 11 backup". */
void dstatus_ep_members(const struct d_ep *e, char *buf, size_t n);

/* ---- daemon_wire.c ---- */

/* What the running sessions of the old entry need when the new one replaces it. */
enum dwire_change {
        DWIRE_SAME,             /* keep the session as it is */
        DWIRE_UPDATE,           /* keep it, apply the new settings in place */
        DWIRE_REBUILD,          /* replace it */
};

uint64_t dwire_max_control_ms(const struct gw_config *cfg);
uint16_t dwire_event_sources(const struct gw_config *cfg);
void dwire_outst_cfg(const struct gw_config *cfg, const struct gw_outstation *oc,
                     struct outst_cfg *ret);
int dwire_db_configure(const struct gw_config *cfg, struct db *db);
void dwire_chan_cfg(const struct gw_channel *cc, struct master_io_cfg *ret);
void dwire_dev_cfg(const struct gw_channel *cc, const struct gw_device *dc, void *user,
                   struct master_dev_cfg *ret);
/* The core's map (calloc'd, *ret_n entries; free() it) from cfg's points. */
int dwire_gw_map(const struct gw_config *cfg, struct gw_map_entry **ret, size_t *ret_n);
/* The point map: every range (all keys) and the device slots (names in order). */
bool dwire_map_same(const struct gw_config *a, const struct gw_config *b);
/* Outstation oa of config a running, ob of config b wanted (the map being the same). */
enum dwire_change dwire_out_change(const struct gw_config *a, const struct gw_outstation *oa,
                                   const struct gw_config *b, const struct gw_outstation *ob);
/* Channel ca of config a running, cb of config b wanted: SAME or REBUILD. */
enum dwire_change dwire_chan_change(const struct gw_channel *ca, const struct gw_channel *cb);

/* ---- daemon_sess.c ---- */

enum dsess_ep_gc { DSESS_EP_FRESH, DSESS_EP_UNWANTED, DSESS_EP_EMPTY };

int dsess_gw_new(struct daemon *d, const struct gw_config *cfg, struct d_gw **ret);
/* The upcalls of every outstation session (the device profile lists what they make usable). */
extern const struct outst_callbacks dsess_outst_cb;
void dsess_gw_free_now(struct d_gw *dg);
void dsess_gw_retire(struct daemon *d, struct d_gw *dg, size_t nout, uint64_t after_ms);
struct d_ep *dsess_ep_find(const struct daemon *d, const struct io_endpoint *ep);
void dsess_ep_gc(struct daemon *d, enum dsess_ep_gc which);
/* Outstation i of cfg on its endpoint, binding the endpoint if nobody listens there yet. */
int dsess_out_start(struct daemon *d, const struct gw_config *cfg, size_t i, struct d_out **ret);
void dsess_out_free(struct d_out *o);
int dsess_chan_new(struct daemon *d, const struct gw_config *cfg, size_t ci, size_t first_slot,
                   struct d_chan **ret);
void dsess_chan_free(struct d_chan *ch);
void dsess_slots_into(struct d_chan **chans, size_t nchan, struct d_dev **slots);
/* Attach sessions to the core; refresh: bring a new core or new outstations up to date. */
void dsess_attach(struct daemon *d, bool refresh);

/* ---- daemon_tls.c ---- */

/* The expiry check runs at start, on reload and then this often. */
#define DTLS_EXPIRY_CHECK_MS (24u * 3600u * 1000u)

/* A refused TLS handshake (ctx: a d_out / a d_ep): once per peer and reason a minute. */
void dtls_on_refused(void *ctx, const struct sockaddr *peer, const struct io_tls_refusal *r);
void dtls_on_ep_refused(void *ctx, const struct sockaddr *peer, const struct io_tls_refusal *r);
/* "TLSv1.3 TLS_AES_256_GCM_SHA384, CN=master-a" of an up TLS pipe into buf, else "". */
char *dtls_describe(const struct io_pipe *p, char *buf, size_t n);
/* "; TLS key updates 3 (sent 3, received 0), renegotiations 0" of an up TLS pipe, else "". */
char *dtls_stats_text(const struct io_pipe *p, char *buf, size_t n);
/* The TLS context of endpoint e in cfg (its first outstation's), NULL: plain TCP. */
struct io_tls *dtls_ep_ctx(const struct gw_config *cfg, const struct io_endpoint *ep);
/* d->cfg's files for new connections; connected peers re-verified (dropped if not). */
void dtls_reload(struct daemon *d);
/* Warn of d->cfg's certificates expiring within GW_TLS_EXPIRY_WARN_DAYS; re-arm the timer. */
void dtls_expiry_check(struct daemon *d);
/* Build (d->cfg == NULL) or reconcile the running sessions to cfg (see daemon.h). */
int dreload_apply(struct daemon *d, struct gw_config *cfg);
/* gateway.*: log level, status report timer (old: the running config, NULL at start). */
void dreload_gateway(struct daemon *d, const struct gw_config *cfg, const struct gw_config *old);

/* ---- daemon_ctl.c ---- */

/* The control socket: $RUNTIME_DIRECTORY/control, else DCTL_RUN_DIR/control. */
#define DCTL_RUN_DIR "/run/dnp3gw"
#define DCTL_SOCKET "control"
/* Clients at once; output a client may leave unread before it is dropped. */
#define DCTL_MAX_CLIENTS 16
#define DCTL_OUT_MAX (1024u * 1024u)

struct dctl;
struct evbuffer;

/* Listen (a failure is logged; the daemon runs without the socket): 0 or -errno. */
int dctl_new(struct daemon *d, struct dctl **ret);
void dctl_free(struct dctl *c);
/* After a (re)build: put the trace taps on the running sessions again. */
void dctl_rebind(struct dctl *c);

/* ---- daemon_ctl_json.c ---- */

/* A JSON string (quoted, escaped) onto b. */
void dctl_json_str(struct evbuffer *b, const char *s);
/* The status objects: daemon, outstations, endpoints' channels, devices. */
void dctl_json_status(struct daemon *d, struct evbuffer *b);

/* Where a points listing is (it is written in chunks while the client reads). */
struct dctl_points {
        size_t out;                     /* outstation */
        int type;                       /* enum dnp_type; -1: every type */
        uint32_t lo, hi;                /* upstream indexes, inclusive */
        size_t ord;                     /* next: point type ordinal and upstream index */
        uint64_t at;
        uint64_t count;                 /* points written */
};

/* Parse "points [OUTSTATION] [type=T] [index=N[-M]]" words: 0, or -EINVAL with why. */
int dctl_points_parse(struct daemon *d, char **words, size_t n, struct dctl_points *ret,
                      char *why, size_t whylen);
/* More point objects onto b until it holds `upto` bytes; true when the listing is done. */
bool dctl_json_points(struct daemon *d, struct dctl_points *p, struct evbuffer *b, size_t upto);

/* ---- daemon_persist.c ---- */

int dpersist_init(struct daemon *d);
void dpersist_fini(struct daemon *d);
/* Open, close or keep each outstation's journal as the configuration d->cfg says. */
void dpersist_apply(struct daemon *d);
/* Whether o (being replaced) hands its journal to an outstation of its name in cfg. */
bool dpersist_carried(const struct gw_config *cfg, const struct d_out *o);
/* o is stopped by a reload: its journal is kept for its successor (carried) or removed. */
void dpersist_stop(struct d_out *o, bool carried);
/* o is freed: its journal is written and closed (kept for the next start). */
void dpersist_free(struct d_out *o);
/* The master channels' CONFIRM barrier (ctx: the d_chan). */
bool dpersist_hold_confirm(void *ctx);
bool dpersist_any_degraded(const struct daemon *d);
/* o's events are journaled now (events.persist on and the journal not degraded). */
bool dpersist_persisting(const struct d_out *o);

/* ---- daemon_journal.c ---- */

const char *djournal_dev_name(const struct d_dev *v);
char *djournal_dev_ref(const struct d_dev *v, char *buf, size_t n);
char *djournal_u64(char *buf, size_t n, uint64_t v);
/* The 80 % warnings and overflow records due; cheap when nothing happened. */
void djournal_check_events(struct daemon *d, uint64_t now);
void djournal_config_loaded(const struct gw_config *cfg);

/* gateway core callbacks */
void djournal_on_audit(void *ctx, const struct gw_audit *a);
void djournal_on_freeze_audit(void *ctx, const struct gw_freeze_audit *a);
void djournal_on_comm_lost(void *ctx, uint32_t dev, size_t npoints);

/* outstations and endpoints */
void djournal_select_unused(struct d_out *o, enum outst_sel_end why, uint64_t now);
void djournal_on_reject_frame(void *ctx, enum lsess_match m, uint16_t src, uint16_t dest);
void djournal_on_reject_peer(void *ctx, const struct sockaddr *peer);
void djournal_on_ep_drop(void *ctx, enum outst_ep_drop why, const struct sockaddr *peer,
                         const struct link_hdr *first);
/* Connect notices a minute per peer before they are summed up (o->conn.burst). */
#define DJOURNAL_CONN_BURST 5
/* Connect / disconnect records and their per-minute summaries (o->conn). */
void djournal_connect(struct d_out *o, bool replaced);
void djournal_disconnect(struct d_out *o, int err, const char *what);
void djournal_conn_on_timer(evutil_socket_t fd, short what, void *arg);
/* Summaries still owed, before o is freed. */
void djournal_conn_final(struct d_out *o);

/* channels and devices */
void djournal_dev_state(struct d_dev *v, enum master_dev_state s);
void djournal_on_iin(void *ctx, struct master_dev *md, uint16_t iin);
void djournal_on_apdu(void *ctx, struct master_dev *md, bool tx, const uint8_t *apdu,
                      size_t len);
void djournal_on_diag(void *ctx, const struct master_diag *dg);
void djournal_chan_up(struct d_chan *ch);
void djournal_chan_down(struct d_chan *ch, bool was_up, int err, const char *what);
