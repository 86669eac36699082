/* SPDX-License-Identifier: MIT */
/* dnp3gwd: the DNP3 serial-to-TCP gateway daemon (see dnp3gwd(8)). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

#ifndef DNP3GW_VERSION
#define DNP3GW_VERSION "unknown"
#endif

static void usage(FILE *f)
{
        fprintf(f, "usage: dnp3gwd [-c FILE] [-t] [-l LEVEL] [-h] [-V]\n"
                   "  -c FILE   configuration file (default " GW_CONFIG_DEFAULT_PATH ")\n"
                   "  -t        check the configuration and exit (0 valid, 78 invalid)\n"
                   "  -l LEVEL  log level until the file's changes it: error, warning, notice,\n"
                   "            info, debug, trace\n"
                   "  -h        this help\n"
                   "  -V        version\n");
}

int main(int argc, char **argv)
{
        struct daemon_opts opts = { .config_path = GW_CONFIG_DEFAULT_PATH, .level = GW_LOG_INFO };
        bool check = false;
        int c;

        while ((c = getopt(argc, argv, "c:tl:hV")) != -1) {
                switch (c) {
                case 'c':
                        opts.config_path = optarg;
                        break;
                case 't':
                        check = true;
                        break;
                case 'l':
                        if (gw_log_level_from_name(optarg, &opts.level) < 0) {
                                fprintf(stderr, "dnp3gwd: unknown log level '%s'\n", optarg);
                                return EX_USAGE;
                        }
                        opts.level_set = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("dnp3gwd %s\n", DNP3GW_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return EX_USAGE;
                }
        }
        if (optind != argc) {
                usage(stderr);
                return EX_USAGE;
        }
        if (check)
                return gw_config_check_main(opts.config_path, stdout);

        log_setup(daemon_log_level(opts.level_set ? opts.level : GW_LOG_INFO),
                  log_journal_detect());
        signal(SIGPIPE, SIG_IGN);

        /* Until the event loop's signal events exist, SIGHUP/SIGTERM/SIGINT/SIGUSR1
         * stay pending instead of killing a half-started daemon (their default). */
        sigset_t startup_sigs, old_mask;
        sigemptyset(&startup_sigs);
        sigaddset(&startup_sigs, SIGHUP);
        sigaddset(&startup_sigs, SIGTERM);
        sigaddset(&startup_sigs, SIGINT);
        sigaddset(&startup_sigs, SIGUSR1);
        sigprocmask(SIG_BLOCK, &startup_sigs, &old_mask);

        struct gw_config *cfg;
        int r = daemon_load_config(opts.config_path, &cfg);
        if (r < 0)
                return EX_CONFIG;

        struct event_base *base = event_base_new();
        if (!base) {
                log_error("cannot create the event loop");
                gw_config_free(cfg);
                return 1;
        }
        struct daemon *d;
        r = daemon_new(base, &opts, cfg, &d);       /* takes cfg */
        if (r < 0) {
                log_error("startup failed: %s", strerror(-r));
                event_base_free(base);
                return 1;
        }
        sigprocmask(SIG_SETMASK, &old_mask, NULL);  /* pending ones reach the loop now */
        r = daemon_run(d);
        daemon_free(d);
        /* deferred frees (closed connections) complete in one more pass */
        event_base_loop(base, EVLOOP_NONBLOCK);
        event_base_free(base);
        log_notice("stopped");
        return r < 0 ? 1 : 0;
}
