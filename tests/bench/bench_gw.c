/* SPDX-License-Identifier: MIT */
/*
 * Gateway core benchmark: prints figures, asserts nothing about speed.
 * Exits non-zero only when the core misbehaves (wrong counts).
 *
 *   100 000 mapped points (50 000 binary inputs + 50 000 analog inputs of
 *   one device) into one outstation session with 3 x 10 000 event slots:
 *   a) gw_memory (the map tables) and the outstation's own allocation
 *   b) gw_on_meas throughput for downstream events (DB_FORCE, each one an
 *      upstream event; the classes overflow and discard their oldest)
 *   c) gw_on_meas throughput for static values that change every time
 *   d) lookups both ways (gw_map_up, gw_map_down)
 *   e) the process's VmRSS after all of that
 *
 * Each figure is measured over at least one second with CLOCK_MONOTONIC.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/gw.h"
#include "outstation/outst.h"

#define NPT 50000u              /* per type */

static double mono_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long vm_rss_kb(void)
{
        FILE *f = fopen("/proc/self/status", "r");
        char line[256];
        long kb = -1;
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "VmRSS:", 6) == 0)
                        kb = strtol(line + 6, NULL, 10);
        fclose(f);
        return kb;
}

static void meas_at(struct master_meas *m, uint64_t i, bool event)
{
        uint32_t k = (uint32_t)(i % (2 * NPT));
        *m = (struct master_meas){
                .type = k < NPT ? DNP_TYPE_BI : DNP_TYPE_AI,
                .event = event,
                .device_time = event,
                .v = { .index = k % NPT, .flags = DNP_FLAG_ONLINE, .time_kind = DNP_TIME_ABS,
                       .time = UINT64_C(1700000000000) + i },
        };
        if (m->type == DNP_TYPE_BI) {
                m->v.v.bit = (i / (2 * NPT)) & 1;
                if (m->v.v.bit)
                        m->v.flags |= DNP_FLAG_STATE;
        } else {
                m->v.v.analog = (double)i;
        }
}

int main(void)
{
        const struct gw_map_entry map[2] = {
                { .type = DNP_TYPE_BI, .index = 0, .count = NPT, .dev = 0, .source_index = 0 },
                { .type = DNP_TYPE_AI, .index = 0, .count = NPT, .dev = 0, .source_index = 0 },
        };
        struct gw *g;
        if (gw_new(map, 2, 1, 1, NULL, &g) != 0) {
                fprintf(stderr, "gw_new failed\n");
                return 1;
        }
        const struct outst_cfg oc = {
                .address = 10, .master_address = 1,
                .max_fragment = 2048, .max_rx_fragment = 2048,
                .link_timeout_ms = 1000, .confirm_timeout_ms = 5000,
                .select_timeout_ms = 10000, .cmd_timeout_ms = 10000,
                .event_depth = { 0, 10000, 10000, 10000 },
                .points = { [DNP_TYPE_BI] = NPT, [DNP_TYPE_AI] = NPT },
        };
        int err = 0;
        struct outst *o = outst_new(&oc, &(struct outst_callbacks){ 0 }, NULL, 0, &err);
        if (!o) {
                fprintf(stderr, "outst_new: %d\n", err);
                return 1;
        }
        struct db_point_cfg pc = { .static_var = 2, .event_var = 2, .event_class = 1 };
        if (db_configure(outst_db(o), DNP_TYPE_BI, 0, NPT, &pc) != 0)
                return 1;
        pc = (struct db_point_cfg){ .static_var = 5, .event_var = 7, .event_class = 2 };
        if (db_configure(outst_db(o), DNP_TYPE_AI, 0, NPT, &pc) != 0)
                return 1;
        gw_set_outstation(g, 0, o);

        printf("map: %u mapped points, gw_memory %zu bytes (%.1f bytes/point)\n",
               2 * NPT, gw_memory(g), (double)gw_memory(g) / (2.0 * NPT));
        printf("outstation: outst_memory %zu bytes (%u points, 3 x 10000 event slots)\n",
               outst_memory(&oc), 2 * NPT);

        /* b) events */
        struct master_meas m;
        uint64_t n = 0;
        double t0 = mono_s(), t;
        do {
                for (int k = 0; k < 100000; k++, n++) {
                        meas_at(&m, n, true);
                        gw_on_meas(g, 0, &m, n / 1000);
                }
                t = mono_s() - t0;
        } while (t < 1.0);
        const struct gw_stats *st = gw_get_stats(g);
        if (st->events_replayed != n) {
                fprintf(stderr, "events_replayed %llu != %llu\n",
                        (unsigned long long)st->events_replayed, (unsigned long long)n);
                return 1;
        }
        printf("gw_on_meas events (DB_FORCE): %.0f events/s (%.0f ns each, %llu events)\n",
               (double)n / t, t * 1e9 / (double)n, (unsigned long long)n);

        /* c) changing static values */
        uint64_t s = 0, base = n;
        t0 = mono_s();
        do {
                for (int k = 0; k < 100000; k++, s++) {
                        meas_at(&m, base + s, false);
                        gw_on_meas(g, 0, &m, (base + s) / 1000);
                }
                t = mono_s() - t0;
        } while (t < 1.0);
        if (st->static_updates != s || st->change_events != s) {
                fprintf(stderr, "static %llu changes %llu != %llu\n",
                        (unsigned long long)st->static_updates,
                        (unsigned long long)st->change_events, (unsigned long long)s);
                return 1;
        }
        printf("gw_on_meas static changes (DB_DETECT): %.0f values/s (%.0f ns each)\n",
               (double)s / t, t * 1e9 / (double)s);

        /* d) lookups */
        uint64_t l = 0, sum = 0;
        t0 = mono_s();
        do {
                for (uint32_t k = 0; k < 2 * NPT; k++, l++) {
                        uint32_t dev, down, up;
                        enum dnp_type ty = k < NPT ? DNP_TYPE_BI : DNP_TYPE_AI;
                        if (gw_map_up(g, ty, k % NPT, &dev, &down) != 0 ||
                            gw_map_down(g, dev, ty, down, &up, 1) != 1 || up != k % NPT)
                                return 1;
                        sum += up;
                }
                t = mono_s() - t0;
        } while (t < 1.0);
        printf("lookups up+down: %.0f pairs/s (%.1f ns each, check %llu)\n", (double)l / t,
               t * 1e9 / (double)l, (unsigned long long)(sum % 1000));
        printf("VmRSS of this process: %ld kB\n", vm_rss_kb());

        gw_free(g);
        outst_free(o);
        return 0;
}
