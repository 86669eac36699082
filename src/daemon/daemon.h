/* SPDX-License-Identifier: MIT */
/*
 * dnp3gwd's running state: everything built from one struct gw_config and
 * driven by one libevent base.
 *
 *   upstream:   one outst_io (listener + outstation session + database +
 *               event buffers) per outstations[] entry;
 *   downstream: one master_chan with its devices per channels[] entry, run
 *               by master_io on its serial port or TCP connection;
 *   between:    one gw (point map, event replay, quality, controls) whose
 *               device slots are the devices in (channel, device) order.
 *
 * Upcalls become journal records (log.h); sd_notify keeps systemd
 * informed (READY, STATUS, WATCHDOG, RELOADING, STOPPING).  Signals arrive
 * through the event loop: SIGHUP reloads, SIGTERM/SIGINT stop, SIGUSR1
 * writes a status report.  Idle, the process wakes only for the sessions'
 * own deadlines, the watchdog and the status timer.
 *
 * Reload rule (dnp3gwd(8)): the new file is loaded and validated first; an
 * invalid file changes nothing.  gateway.* applies at once.  The point map
 * is `points` plus the device slots (channel/device names in file order);
 * when it changes, every outstation is rebuilt (its buffered events are
 * discarded and counted in the journal).  Otherwise an outstation or a
 * channel whose session configs, as derived from the whole file, are the
 * same (matched by name) keeps its session, connection and buffers; a
 * changed one is rebuilt, a new one started, a removed one stopped.  An
 * outstation whose only change is its control wait (the largest
 * control_timeout of all devices) is kept and gets the new wait in place.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "daemon/config.h"
#include "daemon/log.h"

struct event_base;
struct daemon;

struct daemon_opts {
        const char *config_path;
        bool level_set;                 /* -l given: it overrides gateway.log_level at start */
        enum gw_log_level level;
};

/*
 * Build and start everything from cfg (taken over: freed by daemon_free or
 * replaced on reload), bind every listener and open every channel.  On
 * failure the reason is logged and -errno returned (e.g. -EADDRINUSE).
 */
int daemon_new(struct event_base *base, const struct daemon_opts *opts, struct gw_config *cfg,
               struct daemon **ret);
/* Stop everything and free it (listeners closed, ports released). */
void daemon_free(struct daemon *d);

/*
 * dnp3gwd --device-profile: the IEEE 1815 device profile (XML) of the
 * outstation named `outstation` of cfg, as configured, to f
 * (daemon_profile.c).  0; -ENOENT when cfg has no outstation of that name,
 * -EIO when writing failed, -ENOMEM.
 */
int daemon_device_profile(const struct gw_config *cfg, const char *outstation, FILE *f);

/* Send READY=1 and run the loop until SIGTERM/SIGINT.  0 on a clean stop. */
int daemon_run(struct daemon *d);

/*
 * gw_config_load() with every problem logged as FILE:LINE: message (errors
 * and notices), then a count.  0 and *ret, or -EINVAL / -errno.
 */
int daemon_load_config(const char *path, struct gw_config **ret);

/* What SIGHUP and SIGUSR1 do (also for tests). */
int daemon_reload(struct daemon *d);
void daemon_status_report(struct daemon *d);

/* The one-line STATUS= summary into buf. */
char *daemon_status_line(const struct daemon *d, char *buf, size_t n);

/* gw_config log levels to the journal's. */
enum log_level daemon_log_level(enum gw_log_level l);
