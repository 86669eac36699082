/* SPDX-License-Identifier: MIT */
/*
 * dnp3gw.conf: load a libconfig file into one validated struct gw_config.
 *
 * Every key of spec/config.md (the key names are a contract), every optional
 * key with its default (dnp3gw.conf(5) documents them), every number
 * range-checked.  All problems are collected and handed to the caller's sink
 * at once, sorted by file and line; the loader never prints and never exits.
 * Notices (e.g. one downstream point mapped at several upstream indexes) go to
 * the same sink with GW_DIAG_NOTICE and do not make the file invalid.
 *
 * Times are seconds (floats) in the file and milliseconds here.  All memory
 * is allocated by gw_config_load() and released by gw_config_free().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dnp3/obj.h"           /* enum dnp_type */
#include "io/addr.h"
#include "io/pipe.h"             /* enum io_transport, struct io_serial_cfg */
#include "io/serial_names.h"     /* enum io_parity, enum io_flow: the serial vocabulary */
#include "io/tls.h"              /* enum io_tls_version, struct io_tls_cfg */

/* The build sets it from sysconfdir (src/daemon/meson.build). */
#ifndef GW_CONFIG_DEFAULT_PATH
#define GW_CONFIG_DEFAULT_PATH "/etc/dnp3gw/dnp3gw.conf"
#endif
/* The build sets it from localstatedir (src/daemon/meson.build). */
#ifndef GW_STATE_DEFAULT_DIR
#define GW_STATE_DEFAULT_DIR "/var/lib/dnp3gw"
#endif
#define GW_STATE_DIR_MAX 256    /* gateway.state_directory: an absolute path, shorter than this */
#define GW_NAME_MAX 64          /* names: 1..63 of [A-Za-z0-9_.-] */
#define GW_POINT_NAME_MAX 64    /* point names (`names`): 1..63 bytes, no control characters */
#define GW_ADDRESS_MAX 65519    /* highest DNP3 unicast link address */
#define GW_INDEX_MAX 65535      /* highest point index (16-bit qualifiers) */
#define GW_EVENT_DEPTH_MAX 1000000
#define GW_TIME_MAX_S 31536000  /* any time value: at most one year */
/*
 * Bytes one buffered event takes (struct ev in src/outstation/events.h);
 * event_memory = (class1 + class2 + class3) * GW_CONFIG_EVENT_BYTES per
 * outstation.
 */
#define GW_CONFIG_EVENT_BYTES 40

/* X(name, string) */
#define GW_LOG_LEVEL_LIST(X)    \
        X(ERROR, "error")       \
        X(WARNING, "warning")   \
        X(NOTICE, "notice")     \
        X(INFO, "info")         \
        X(DEBUG, "debug")       \
        X(TRACE, "trace")

enum gw_log_level {
#define X(name, str) GW_LOG_##name,
        GW_LOG_LEVEL_LIST(X)
#undef X
        GW_LOG_MAX
};

/*
 * time_sync:
 *   none:  never write the device's clock
 *   write: WRITE g50v1 of the gateway's wall time; on a serial channel with
 *          delay measurement first (as delay), on a TCP channel without
 *          (the time when the request is built, uncorrected)
 *   lan:   RECORD_CURRENT_TIME (FC24), then WRITE g50v3 = the wall time at
 *          which the FC24 request was sent (the LAN procedure)
 *   delay: always DELAY_MEASURE (FC23), then WRITE g50v1 = wall time +
 *          (round trip - the device's processing delay) / 2 (the non-LAN
 *          procedure), on any channel
 */
#define GW_TSYNC_LIST(X)        \
        X(NONE, "none")         \
        X(WRITE, "write")       \
        X(LAN, "lan")           \
        X(DELAY, "delay")

enum gw_tsync {
#define X(name, str) GW_TSYNC_##name,
        GW_TSYNC_LIST(X)
#undef X
        GW_TSYNC_MAX
};


/* "info", "delay" ...; NAMES_UNKNOWN (dnp3/names.h) out of range. */
const char *gw_log_level_name(enum gw_log_level l);
/* The level named s ("info", case ignored): 0 and *ret, or -EINVAL. */
int gw_log_level_from_name(const char *s, enum gw_log_level *ret);
const char *gw_tsync_name(enum gw_tsync t);

struct gw_gateway {
        char name[GW_NAME_MAX];
        enum gw_log_level log_level;
        uint64_t status_interval_ms;    /* 0 = no periodic status summary */
        char state_directory[GW_STATE_DIR_MAX]; /* the outstations' event journals */
};

struct gw_unsol {
        bool enabled;
        unsigned classes;               /* bit c for class c (1..3) */
        int retries;                    /* -1 = forever */
        uint64_t hold_time_ms;
        uint32_t hold_count;            /* >= 1 */
        uint32_t max_events;            /* 0 = as many as fit the fragment */
};

/*
 * A tls group (an outstation's, or a channel's tcp.tls): DNP3 over TLS
 * (IEC 62351-3) with mutual authentication.  The paths are absolute; crl
 * NULL: none; allow entries as written ("CN=name" or "SHA256:AA:BB:..."),
 * none: any peer the CA signed; ciphers NULL: the profile default.  The
 * loader reads the files into ctx (io/tls.h) and checks their dates: the
 * daemon runs on exactly what was checked, and a reload (which loads the
 * file again) reads them again.
 */
#define GW_TLS_DIR "/etc/dnp3gw/tls"
/* The gateway's own certificate: a notice from the loader, a daily warning from the daemon. */
#define GW_TLS_EXPIRY_WARN_DAYS 30

struct gw_tls {
        bool enabled;                   /* the group is there: TLS, else plain TCP */
        char *certificate;              /* PEM, may hold the chain */
        char *private_key;
        char *ca;
        char *crl;                      /* NULL: none */
        char **allow;                   /* nallow entries */
        size_t nallow;
        enum io_tls_version min_version;
        char *ciphers;                  /* NULL: the IEC 62351-3 profile default */
        uint64_t renegotiate_ms;        /* key update interval; 0 = off */
        struct io_tls *ctx;             /* the files read (NULL when they had errors) */
};

/* The io view of t (pointing into t). */
void gw_tls_io_cfg(const struct gw_tls *t, struct io_tls_cfg *ret);

struct gw_outstation {
        char name[GW_NAME_MAX];
        char *listen;                   /* as written, e.g. "0.0.0.0:20000" */
        struct io_endpoint endpoint;    /* parsed listen */
        uint16_t address;
        uint16_t master_address;
        struct io_cidr *allow;          /* nallow entries; none = any peer */
        size_t nallow;
        uint32_t max_fragment;
        uint64_t keepalive_ms;          /* 0 = off */
        uint64_t confirm_timeout_ms;
        uint64_t select_timeout_ms;
        uint64_t need_time_ms;          /* 0 = never set IIN1.4 */
        struct gw_unsol unsol;
        uint32_t event_depth[4];        /* [1..3] = events.class1..class3; [0] unused */
        size_t event_memory;            /* bytes the three buffers take */
        bool persist;                   /* events.persist: journal events until confirmed */
        struct gw_tls tls;              /* the gateway is the TLS server */
        int line;
};

struct gw_tcp {
        char *host;                     /* numeric IPv4 or IPv6 */
        uint16_t port;
        struct io_endpoint endpoint;    /* host and port */
        struct gw_tls tls;              /* the gateway is the TLS client */
};

struct gw_device {
        char name[GW_NAME_MAX];
        uint16_t address;
        uint64_t integrity_ms;          /* 0 = only at startup, restart, overflow, comm restore */
        uint64_t class_ms[3];           /* class 1, 2, 3 polls; 0 = never */
        bool unsolicited;
        enum gw_tsync time_sync;
        uint64_t time_sync_ms;          /* 0 = only when the device sets IIN1.4 */
        uint32_t comm_fail_after;
        uint64_t control_timeout_ms;
        uint64_t offline_retry_ms;      /* probe period while offline */
        size_t npoints;                 /* downstream points mapped (with repeats) */
        int line;
};

struct gw_channel {
        char name[GW_NAME_MAX];
        enum io_transport transport;    /* IO_TRANSPORT_SERIAL or IO_TRANSPORT_TCP */
        /* transport == SERIAL: the values io/serial_names.h accepts (data_bits
         * always 8, flow never IO_FLOW_XONXOFF); device is the config's copy */
        struct io_serial_cfg serial;
        struct gw_tcp tcp;              /* transport == TCP */
        uint16_t master_address;
        uint64_t response_timeout_ms;
        uint32_t retries;
        bool link_confirm;
        struct gw_device *devices;
        size_t ndevices;
        int line;
};

/* `count` upstream indexes from `index` <- device's indexes from `source_index`. */
struct gw_point_range {
        uint32_t index;
        uint32_t count;
        uint32_t source_index;
        size_t channel;                 /* cfg->channels[channel] */
        size_t device;                  /* ... .devices[device] */
        uint8_t event_class;            /* 0 = no events, 1..3 */
        uint8_t static_group, static_var;
        uint8_t event_group, event_var;
        double deadband;                /* AI, AO, CNT, FCNT; 0 = any change */
        char **names;                   /* `names`: nnames <= count entries, point k's is
                                         * names[k] (NULL: none); daemon/daemon_names.h */
        uint32_t nnames;
        int line;
};

struct gw_point_list {
        struct gw_point_range *v;       /* in file order */
        size_t n;
};

struct gw_config {
        char *path;
        struct gw_gateway gateway;
        struct gw_outstation *outstations;
        size_t noutstations;
        struct gw_channel *channels;
        size_t nchannels;
        /* One global map, indexed by enum dnp_type (BI..AO used): every outstation
         * exposes the same points, each with its own event buffers. */
        struct gw_point_list points[DNP_TYPE_MAX];
        size_t npoints;                 /* upstream points of all types */
        size_t ndevices;
        size_t event_memory;            /* all outstations' event buffers, bytes */
};

enum gw_diag_level { GW_DIAG_ERROR, GW_DIAG_NOTICE };

/*
 * Receives each problem once, after the whole file was checked, in file and
 * line order.  line is 0 when the problem has no line (e.g. a missing
 * top-level list); file is the file the line belongs to (an @include'd file or
 * the path given to gw_config_load).  The strings live only during the call.
 */
struct gw_diag_sink {
        void (*fn)(void *ctx, enum gw_diag_level level, const char *file, int line,
                   const char *msg);
        void *ctx;
};

/*
 * Load and validate path.  0 and *ret_cfg on success (notices may have been
 * reported); -EINVAL when the file has errors (all reported to sink);
 * -errno when it cannot be read (nothing reported), -ENOMEM.
 * sink may be NULL.
 */
int gw_config_load(const char *path, struct gw_config **ret_cfg, const struct gw_diag_sink *sink);
void gw_config_free(struct gw_config *cfg);

/* The first tls key in which a and b differ ("tls": one has none), NULL: the same. */
const char *gw_tls_differs(const struct gw_tls *a, const struct gw_tls *b);

/* One line for logs: "NAME: outstations=1 channels=1 devices=2 points=34 ..." into buf. */
char *gw_config_summary(const struct gw_config *cfg, char *buf, size_t n);

/* dnp3gwd -t: print every problem as FILE:LINE: message to out; 0 or 78 (EX_CONFIG). */
int gw_config_check_main(const char *path, FILE *out);
