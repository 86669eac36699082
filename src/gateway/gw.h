/* SPDX-License-Identifier: MIT */
/*
 * The gateway core: joins the upstream outstation sessions and the
 * downstream master devices through the point map.  Sans-I/O: the daemon
 * owns the sessions and their I/O, forwards their upcalls here with `now`
 * (monotonic ms), and this calls back into the sessions (outst_update,
 * outst_cmd_complete, outst_freeze_complete, master_dev_control,
 * master_dev_freeze, master_dev_demand).  Nothing here reads a clock,
 * prints, or allocates after gw_new().
 *
 * Point map: `count` consecutive upstream indexes of one point type from
 * `index`, to consecutive indexes of one device from `source_index`.  Every
 * outstation exposes the same map with its own database and event buffers,
 * so each measurement goes to every outstation (no event stealing).  One
 * downstream point may be mapped at several upstream indexes (fan-out).
 * Lookups are O(1) both ways (dense tables per type and per device).
 *
 * Event replay (master measurement -> every mapped upstream point, every
 * outstation):
 *  - a downstream event is replayed with the same value, flags and time
 *    (DB_FORCE): the device's time, or the reception time when it had none
 *    (master_meas.device_time tells which; gw_stats counts those);
 *  - a static value updates the upstream value and produces an event only
 *    on change beyond the point's deadband (DB_DETECT), stamped with the
 *    reception time;
 *  - order of events from one device is preserved (upcall order);
 *  - each event is tagged with its device (gw_event_source()), so that an
 *    overflowing upstream class discards the oldest event of the device
 *    holding the most (events.h), not another device's.
 *
 * Quality: a device going OFFLINE sets COMM_LOST and clears ONLINE on every
 * upstream point mapped to it, with one event each (DB_FORCE at `now`); the
 * values stay.  Coming back ONLINE changes nothing by itself: the integrity
 * poll that follows brings the device's own flags, and each point whose
 * flags change gets its event.
 *
 * Control pass-through (outstation on_command -> devices):
 *  - objects are grouped per device, object order kept within each group;
 *    each group becomes one master control with the same function
 *    (SELECT -> SELECT, OPERATE -> OPERATE, DIRECT_OPERATE -> DIRECT,
 *    DIRECT_OPERATE_NR -> DIRECT_NR) and identical control fields at the
 *    downstream indexes; groups for different channels run in parallel;
 *  - the upstream request completes (outst_cmd_complete) when every group
 *    has its result, with each object's status in the original order: the
 *    device's own status from its echo; DOWNSTREAM_FAIL (18) when the device
 *    is offline, does not answer within its control timeout, or answers
 *    with a mismatched/missing echo; NOT_SUPPORTED (4) for an unmapped index
 *    (the session adds IIN2.2: unmapped points are absent from its database);
 *    never SUCCESS unless the device said SUCCESS;
 *  - OPERATE matching against the upstream SELECT is done by the outstation
 *    session before this is called (NO_SELECT, or TIMEOUT for the matching
 *    OPERATE after select_timeout, never reaches a device);
 *  - a SELECT that comes out as an upstream selection (every status
 *    SUCCESS) holds its devices' polls for the OPERATE (master_dev.h) only
 *    as long as that selection stands: when the outstation reports it ended
 *    unused (gw_on_select_end: superseded, expired, connection closed) the
 *    holds end at once; a SELECT that does not come out as a selection
 *    (outst_cmd_complete() does not return 1: a failed object, superseded
 *    upstream while forwarded, a broadcast) holds nothing;
 *  - one audit record per object through on_audit.
 *
 * Freeze pass-through (outstation on_freeze -> devices): the gateway never
 * freezes or clears a value of its own; counters and frozen counters
 * upstream are the devices'.
 *  - every device owning a mapped counter the request names gets one
 *    request with the same function (IMMED_FREEZE(_NR), FREEZE_CLEAR(_NR),
 *    FREEZE_AT_TIME(_NR) with the same time and interval) naming its own
 *    downstream indexes, one g20v0 start-stop range per run of consecutive
 *    indexes (at most MASTER_FREEZE_MAX_RANGES, else it is not sent);
 *    devices on different channels work in parallel;
 *  - the upstream request completes (outst_freeze_complete) when every
 *    device has answered, with IIN2.0 when a device answered IIN2.0, and
 *    IIN2.2 when a device answered IIN2.1 or IIN2.2 or with a response
 *    that does not parse, did not answer within its control timeout, is
 *    offline, or could not take the request (a
 *    freeze has no per-object status: IIN2.2 says "not done on one
 *    device"); the session sends no response for the _NR functions;
 *  - a device whose answer is good (or to which an _NR request went) is
 *    polled again at once (its integrity poll), so the values SCADA reads
 *    next are the device's own counters and frozen counters with its times;
 *  - one audit record per device through on_freeze_audit.
 * A frozen counter's time upstream is its time of freeze: a static value
 * read without a time that leaves value and flags as they are keeps the
 * time the device gave (an event with time, or a variation with time).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/obj.h"
#include "master/master_chan.h"
#include "master/master_dev.h"
#include "outstation/outst.h"

struct gw;

/* One range of the point map. */
struct gw_map_entry {
        enum dnp_type type;             /* BI, DBI, BO, CNT, FCNT, AI, AO */
        uint32_t index;                 /* first upstream index */
        uint32_t count;                 /* >= 1 */
        uint32_t dev;                   /* device slot, 0..ndev-1 */
        uint32_t source_index;          /* first downstream index */
};

#define GW_NO_DEV UINT32_MAX

/* One control object's outcome, for the journal's audit record. */
struct gw_audit {
        size_t outstation;
        uint8_t func;                   /* upstream function code */
        uint8_t group, var;             /* 12/1 or 41/1..4 */
        uint32_t up_index;
        uint32_t dev;                   /* GW_NO_DEV when unmapped */
        uint32_t down_index;
        struct dnp_value v;             /* the control fields (v.crob / v.ao) */
        uint8_t status;                 /* the status returned upstream */
        uint8_t res;                    /* enum master_cmd_res, MASTER_CMD_RES_MAX if not forwarded */
        uint64_t latency_ms;            /* from the upstream request to its result */
};

/* One device's part of a freeze request, for the journal. */
struct gw_freeze_audit {
        size_t outstation;
        uint8_t func;                   /* upstream (and downstream) function code */
        uint32_t dev;                   /* GW_NO_DEV: the request went nowhere (no slot) */
        const struct master_freeze *f;  /* what was (or would have been) sent; NULL with GW_NO_DEV */
        uint8_t res;                    /* enum master_cmd_res, MASTER_CMD_RES_MAX if not sent */
        int err;                        /* not sent: -ENOTCONN offline, -EBUSY queue full,
                                         * -E2BIG more ranges than one request takes */
        uint16_t iin;                   /* the device's answer (res OK) */
        uint16_t up_iin;                /* what this device put into the upstream response */
        uint64_t latency_ms;            /* from the upstream request to this device's result */
};

struct gw_callbacks {
        void *ctx;
        void (*on_audit)(void *ctx, const struct gw_audit *a);
        void (*on_freeze_audit)(void *ctx, const struct gw_freeze_audit *a);
        /* A device's mapped points were flagged COMM_LOST (npoints upstream points). */
        void (*on_comm_lost)(void *ctx, uint32_t dev, size_t npoints);
};

struct gw_stats {
        uint64_t events_replayed;       /* downstream events written upstream (per outstation) */
        uint64_t events_reception_time; /* of those, stamped with reception time */
        uint64_t static_updates;        /* static values applied (per outstation) */
        uint64_t change_events;         /* events produced by static changes */
        uint64_t unmapped_values;       /* measurements for no mapped point */
        uint64_t quality_events;        /* COMM_LOST events */
        uint64_t controls;              /* upstream control objects handled */
        uint64_t controls_failed;       /* answered with anything but SUCCESS */
        uint64_t freezes;               /* upstream freeze requests handled */
        uint64_t freeze_devices_failed; /* device parts that set IIN2.0/IIN2.2 upstream */
};

/*
 * map: n ranges (validated: types BI..AO, dev < ndev, no two ranges of one
 * type overlap upstream, index + count and source_index + count within
 * 65536); -EINVAL otherwise.  nout outstation slots, ndev device slots.
 */
int gw_new(const struct gw_map_entry *map, size_t n, size_t ndev, size_t nout,
           const struct gw_callbacks *cb, struct gw **ret);
void gw_free(struct gw *g);

/*
 * Wall time (ms since 1970) = now + offset_ms: the timestamp of the
 * COMM_LOST events (keep it the same as master_chan_set_wall_offset()).
 */
void gw_set_wall_offset(struct gw *g, int64_t offset_ms);

/*
 * Attach the sessions (before any upcall is forwarded).  NULL detaches.  A
 * selection of the outstation replaced or detached is forgotten: the
 * device holds it kept end at their select_hold_ms bound (no device is
 * touched here, so the devices may already be gone).
 */
void gw_set_outstation(struct gw *g, size_t i, struct outst *o);
void gw_set_device(struct gw *g, uint32_t dev, struct master_dev *d);

/*
 * The event source tag of device slot dev in the outstations' buffers
 * (outst_update_src): dev + 1; EVENTS_SRC_NONE beyond the 65535 tags.  An
 * outstation fed by ndev devices is made with event_sources = ndev.
 */
static inline uint16_t gw_event_source(uint32_t dev)
{
        return dev < UINT16_MAX ? (uint16_t)(dev + 1) : EVENTS_SRC_NONE;
}

/* Forwarded master upcalls. */
void gw_on_meas(struct gw *g, uint32_t dev, const struct master_meas *m, uint64_t now);
void gw_on_dev_state(struct gw *g, uint32_t dev, enum master_dev_state s, uint64_t now);

/* Forwarded outstation on_command upcall of outstation i. */
void gw_on_command(struct gw *g, size_t i, uint32_t token, uint8_t func,
                   const struct outst_cmd *cmds, size_t n, uint64_t now);
/* Forwarded outstation on_select_end upcall of outstation i. */
void gw_on_select_end(struct gw *g, size_t i, uint64_t now);

/* Forwarded outstation on_freeze upcall of outstation i. */
void gw_on_freeze(struct gw *g, size_t i, uint32_t token, const struct outst_freeze *f,
                  uint64_t now);

/* Lookups.  0 and the downstream point, or -ENOENT. */
int gw_map_up(const struct gw *g, enum dnp_type t, uint32_t up_index, uint32_t *ret_dev,
              uint32_t *ret_down);
/* Upstream indexes of a downstream point (fan-out): how many there are; at most max written. */
size_t gw_map_down(const struct gw *g, uint32_t dev, enum dnp_type t, uint32_t down_index,
                   uint32_t *ret_up, size_t max);
/* Upstream points mapped to a device (all types). */
size_t gw_dev_points(const struct gw *g, uint32_t dev);
/* Bytes the map tables take. */
size_t gw_memory(const struct gw *g);
const struct gw_stats *gw_get_stats(const struct gw *g);
