/* SPDX-License-Identifier: MIT */
/* dnp3gwd: the DNP3 serial-to-TCP gateway daemon (see dnp3gwd(8)). */
#include <errno.h>
#include <getopt.h>
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

static void usage(FILE *f)
{
        fprintf(f, "usage: dnp3gwd [--config FILE] [--log-level LEVEL]\n"
                   "       dnp3gwd --check [--config FILE]\n"
                   "       dnp3gwd --device-profile OUTSTATION [--config FILE]\n"
                   "       dnp3gwd --help | --version\n"
                   "  -c, --config FILE      configuration file (default " GW_CONFIG_DEFAULT_PATH ")\n"
                   "  -t, --check            check the configuration and exit (0 valid, 78 invalid)\n"
                   "      --device-profile OUTSTATION\n"
                   "                         write the IEEE 1815 device profile (XML) of that\n"
                   "                         outstation as configured to standard output and exit\n"
                   "  -l, --log-level LEVEL  log level until the file's changes it: error, warning,\n"
                   "                         notice, info, debug, trace\n"
                   "  -h, --help             this help\n"
                   "  -V, --version          version\n");
}

/* --device-profile: the problems of an invalid file as -t prints them, on stderr. */
static int device_profile(const char *path, const char *outstation)
{
        struct gw_config *cfg;
        int r = gw_config_load(path, &cfg, NULL);
        if (r < 0) {
                gw_config_check_main(path, stderr);
                return EX_CONFIG;
        }
        r = daemon_device_profile(cfg, outstation, stdout);
        if (r == -ENOENT) {
                fprintf(stderr, "dnp3gwd: %s has no outstation named \"%s\" (outstations:", path,
                        outstation);
                for (size_t i = 0; i < cfg->noutstations; i++)
                        fprintf(stderr, " %s", cfg->outstations[i].name);
                fprintf(stderr, ")\n");
                gw_config_free(cfg);
                return EX_USAGE;
        }
        gw_config_free(cfg);
        if (r < 0) {
                fprintf(stderr, "dnp3gwd: cannot write the device profile: %s\n", strerror(-r));
                return EX_IOERR;
        }
        return 0;
}

int main(int argc, char **argv)
{
        struct daemon_opts opts = { .config_path = GW_CONFIG_DEFAULT_PATH, .level = GW_LOG_INFO };
        bool check = false;
        const char *profile = NULL;
        int c;
        enum { OPT_DEVICE_PROFILE = 256 };
        static const struct option longopts[] = {
                { "config", required_argument, NULL, 'c' },
                { "check", no_argument, NULL, 't' },
                { "device-profile", required_argument, NULL, OPT_DEVICE_PROFILE },
                { "log-level", required_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { NULL, 0, NULL, 0 },
        };

        while ((c = getopt_long(argc, argv, "c:tl:hV", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_DEVICE_PROFILE:
                        profile = optarg;
                        break;
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
                        printf("dnp3gwd (dnp3gw) %s\n", DNP3GW_VERSION);
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
        if (profile)
                return device_profile(opts.config_path, profile);

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
