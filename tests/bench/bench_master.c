/* SPDX-License-Identifier: MIT */
/*
 * Master benchmark (prints figures, asserts nothing about speed):
 *
 *  1. Poll-cycle efficiency on a serial line: 8 devices on one channel over
 *     a pty pair at 9600 and 115200 baud.  The master runs through
 *     master_io (libserialport on the pty: run with the ptyshim preloaded);
 *     the IEDs are 8 outstation sessions in this process, all fed the same
 *     bytes (each answers only its own address), behind an emulated
 *     half-duplex line: bytes from the master reach the IEDs and bytes from
 *     the IEDs reach the master only after their wire time (11 bits per
 *     byte), one direction at a time.  Every device is due for an integrity
 *     poll at all times, so the channel never waits for the schedule.
 *     Printed: sum of wire times (bytes x 11 / baud) / measured cycle time
 *     (target >= 0.95).
 *  2. CPU per poll transaction (request out, 20-object response in and
 *     delivered) with CLOCK_PROCESS_CPUTIME_ID over many transactions,
 *     in-process with master_chan directly, no I/O (target <= 20 us).
 *  3. Wake-ups between polls: one device with 5 s class polls through
 *     master_io, 10 s of otherwise idle time: master_io's timer firings and
 *     receive wake-ups, and the number of poll rounds (only the schedule's
 *     wake-ups are expected).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "dnp3/app.h"
#include "dnp3/link.h"
#include "dnp3/obj.h"
#include "dnp3/transport.h"
#include "io/master_io.h"
#include "master/master_chan.h"
#include "outstation/outst.h"

#define N_IED 8
#define N_AI 20
#define MAX_SEGS 512
#define SEG_MAX 64              /* bytes per paced write towards the master */
#define CPU_TXNS 200000

static uint64_t mono_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t cpu_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the emulated line and the IEDs ---- */

struct seg {
        uint64_t due_us;        /* when its last byte has crossed the line */
        bool to_ied;
        size_t len;
        uint8_t b[SEG_MAX];
};

struct ied {
        struct event_base *base;
        int fd;                         /* pty master: the IEDs' end of the line */
        int sfd;                        /* the slave, held open while libserialport opens it */
        struct event *rd, *timer;
        struct outst *o[N_IED];
        size_t n;
        uint32_t bt_us;                 /* wire time of one byte */
        uint64_t line_free_us;          /* the line carries nothing after this */
        struct seg segs[MAX_SEGS];      /* FIFO, in line order */
        size_t head, count;
        uint64_t wire_bytes;            /* bytes carried, both directions */
        uint64_t wakeups;
        bool overflow;
};

static void ied_arm(struct ied *s)
{
        if (s->count == 0) {
                evtimer_del(s->timer);
                return;
        }
        uint64_t due = s->segs[s->head].due_us, now = mono_us();
        uint64_t us = due > now ? due - now : 0;
        struct timeval tv = { .tv_sec = (time_t)(us / 1000000u),
                              .tv_usec = (suseconds_t)(us % 1000000u) };
        evtimer_add(s->timer, &tv);
}

/* Put bytes on the line (after everything already on it). */
static void ied_line(struct ied *s, bool to_ied, const uint8_t *p, size_t n)
{
        uint64_t now = mono_us();
        while (n > 0) {
                if (s->count == MAX_SEGS) {
                        s->overflow = true;
                        return;
                }
                size_t k = n < SEG_MAX ? n : SEG_MAX;
                struct seg *g = &s->segs[(s->head + s->count) % MAX_SEGS];
                uint64_t start = s->line_free_us > now ? s->line_free_us : now;
                g->due_us = start + (uint64_t)k * s->bt_us;
                s->line_free_us = g->due_us;
                g->to_ied = to_ied;
                g->len = k;
                memcpy(g->b, p, k);
                s->count++;
                s->wire_bytes += k;
                p += k;
                n -= k;
        }
}

static void ied_collect(struct ied *s, uint64_t now_ms)
{
        for (size_t i = 0; i < s->n; i++) {
                const uint8_t *p;
                size_t n;
                while ((n = outst_output(s->o[i], &p)) > 0) {
                        ied_line(s, false, p, n);
                        outst_consumed(s->o[i], n, now_ms);
                }
        }
}

static void ied_on_timer(evutil_socket_t fd, short what, void *arg)
{
        struct ied *s = arg;
        (void)fd;
        (void)what;
        s->wakeups++;
        uint64_t now = mono_us();
        while (s->count > 0 && s->segs[s->head].due_us <= now) {
                struct seg g = s->segs[s->head];
                s->head = (s->head + 1) % MAX_SEGS;
                s->count--;
                if (g.to_ied) {
                        for (size_t i = 0; i < s->n; i++)
                                outst_rx(s->o[i], g.b, g.len, now / 1000);
                        ied_collect(s, now / 1000);
                } else {
                        size_t off = 0;
                        while (off < g.len) {
                                ssize_t w = write(s->fd, g.b + off, g.len - off);
                                if (w <= 0)
                                        break;
                                off += (size_t)w;
                        }
                }
        }
        ied_arm(s);
}

static void ied_on_read(evutil_socket_t fd, short what, void *arg)
{
        struct ied *s = arg;
        (void)what;
        s->wakeups++;
        uint8_t buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
                return;
        ied_line(s, true, buf, (size_t)n);
        ied_arm(s);
}

/* The pty pair, n outstations at addresses 10.., the line at baud.  *ret_name: the master's end. */
static int ied_start(struct ied *s, struct event_base *base, size_t n, unsigned baud,
                     char *name, size_t name_len)
{
        int mfd, sfd;
        *s = (struct ied){ .base = base, .n = n, .bt_us = master_io_byte_time_us(baud) };
        if (openpty(&mfd, &sfd, NULL, NULL, NULL) < 0)
                return -errno;
        struct termios t;
        if (tcgetattr(mfd, &t) == 0) {
                cfmakeraw(&t);
                tcsetattr(mfd, TCSANOW, &t);
        }
        snprintf(name, name_len, "%s", ttyname(sfd));
        s->sfd = sfd;
        fcntl(mfd, F_SETFL, fcntl(mfd, F_GETFL) | O_NONBLOCK);
        s->fd = mfd;
        for (size_t i = 0; i < n; i++) {
                struct outst_cfg oc = {
                        .address = (uint16_t)(10 + i),
                        .master_address = 1,
                        .max_fragment = 2048,
                        .max_rx_fragment = 2048,
                        .link_timeout_ms = 1000,
                        .confirm_timeout_ms = 5000,
                        .select_timeout_ms = 5000,
                        .event_depth = { 0, 100, 100, 100 },
                };
                oc.points[DNP_TYPE_AI] = N_AI;
                static const struct outst_callbacks ocb = { 0 };
                int err = 0;
                s->o[i] = outst_new(&oc, &ocb, NULL, mono_us() / 1000, &err);
                if (!s->o[i])
                        return err ? err : -ENOMEM;
                for (uint32_t k = 0; k < N_AI; k++) {
                        struct dnp_value v = { .index = k, .flags = DNP_FLAG_ONLINE,
                                               .v.analog = 100.0 + k };
                        outst_update(s->o[i], DNP_TYPE_AI, &v, DB_DETECT, mono_us() / 1000);
                }
                outst_up(s->o[i], mono_us() / 1000);
        }
        s->rd = event_new(base, mfd, EV_READ | EV_PERSIST, ied_on_read, s);
        s->timer = evtimer_new(base, ied_on_timer, s);
        event_add(s->rd, NULL);
        return 0;
}

static void ied_stop(struct ied *s)
{
        for (size_t i = 0; i < s->n; i++)
                outst_free(s->o[i]);
        event_free(s->rd);
        event_free(s->timer);
        close(s->fd);
        close(s->sfd);
}

/* ---- 1. poll-cycle efficiency ---- */

struct eff {
        struct event_base *base;
        struct ied *ied;
        struct master_dev *dev0;
        uint64_t done[N_IED];           /* integrity polls completed per device */
        unsigned cycles;                /* cycles to measure */
        unsigned measured;
        bool started;
        uint64_t t0_us, t1_us, b0, b1;
        uint64_t timeouts;
};

static void eff_on_task(void *ctx, struct master_dev *d, enum master_task t, bool ok)
{
        struct eff *e = ctx;
        if (t != MASTER_TASK_INTEGRITY)
                return;
        if (!ok) {
                e->timeouts++;
                return;
        }
        size_t i = (size_t)(master_dev_address(d) - 10);
        e->done[i]++;
        if (d != e->dev0)
                return;
        bool all = true;
        for (size_t k = 0; k < N_IED; k++)
                if (e->done[k] < 2)
                        all = false;
        /* every device past its startup: a cycle boundary (the line is idle now) */
        if (!e->started && all) {
                e->started = true;
                e->t0_us = mono_us();
                e->b0 = e->ied->wire_bytes;
                return;
        }
        if (e->started && ++e->measured == e->cycles) {
                e->t1_us = mono_us();
                e->b1 = e->ied->wire_bytes;
                event_base_loopbreak(e->base);
        }
}

static struct event_base *precise_base(void)
{
        struct event_config *c = event_config_new();
        event_config_set_flag(c, EVENT_BASE_FLAG_PRECISE_TIMER);
        struct event_base *b = event_base_new_with_config(c);
        event_config_free(c);
        return b;
}

static int bench_efficiency(unsigned baud, unsigned cycles)
{
        struct event_base *base = precise_base();
        struct ied ied;
        char name[64];
        int r = ied_start(&ied, base, N_IED, baud, name, sizeof(name));
        if (r < 0) {
                fprintf(stderr, "bench_master: pty: %s\n", strerror(-r));
                return r;
        }
        struct eff e = { .base = base, .ied = &ied, .cycles = cycles };
        const struct master_io_cfg cfg = {
                .pipe = { .serial = { .device = name, .baud = baud, .data_bits = 8,
                                        .stop_bits = 1 } },
                .chan = { .master_address = 1, .response_timeout_ms = 2000, .retries = 1 },
        };
        const struct master_callbacks mcb = { .ctx = &e, .on_task = eff_on_task };
        struct master_io *io;
        r = master_io_new(base, &cfg, &mcb, NULL, NULL, &io);
        for (size_t i = 0; i < N_IED && r == 0; i++) {
                const struct master_dev_cfg dc = {
                        .name = "ied",
                        .address = (uint16_t)(10 + i),
                        .integrity_ms = 1,      /* always due: back-to-back polling */
                        .comm_fail_after = 3,
                };
                struct master_dev *d;
                r = master_io_add_dev(io, &dc, &d);
                if (i == 0)
                        e.dev0 = d;
        }
        if (r < 0) {
                fprintf(stderr, "bench_master: master_io: %s\n", strerror(-r));
                ied_stop(&ied);
                event_base_free(base);
                return r;
        }
        master_io_start(io);
        event_base_dispatch(base);

        double cycle_s = (double)(e.t1_us - e.t0_us) / 1e6;
        double wire_s = (double)(e.b1 - e.b0) * 11.0 / baud;
        printf("poll cycle, %u devices x integrity poll (%u analog inputs each), %u baud:\n",
               N_IED, N_AI, baud);
        printf("  %u cycles in %.3f s (%.1f ms per cycle), %" PRIu64 " bytes on the line\n",
               cycles, cycle_s, cycle_s * 1000.0 / cycles, e.b1 - e.b0);
        printf("  wire time %.3f s / cycle time %.3f s = %.4f (target >= 0.95)%s\n", wire_s,
               cycle_s, wire_s / cycle_s, ied.overflow ? " [line queue overflow!]" : "");
        printf("  failed polls %" PRIu64 ", master timer wake-ups %" PRIu64
               ", receive wake-ups %" PRIu64 "\n",
               e.timeouts, master_io_stats(io)->run.timer_wakeups, master_io_stats(io)->run.reads);
        master_io_free(io);
        ied_stop(&ied);
        event_base_free(base);
        return 0;
}

/* ---- 2. CPU per poll transaction ---- */

static uint64_t cpu_values;

static void cpu_on_value(void *ctx, const struct master_meas *m)
{
        (void)ctx;
        (void)m;
        cpu_values++;
}

/* A 20 x g30v5 response with sequence seq, as link frames. */
static size_t cpu_response(uint8_t seq, uint8_t *out, size_t cap)
{
        uint8_t apdu[256];
        struct apdu_wr a;
        const struct apdu_hdr h = { .fir = true, .fin = true, .seq = seq,
                                    .func = APP_FUNC_RESPONSE };
        apdu_wr_init(&a, apdu, sizeof(apdu), &h);
        apdu_wr_begin(&a, 30, 5, OBJ_QUAL_RANGE8, 0);
        for (uint32_t i = 0; i < N_AI; i++) {
                struct dnp_value v = { .index = i, .flags = 1, .v.analog = 100.0 + i };
                apdu_wr_value(&a, &v);
        }
        apdu_wr_end(&a);
        struct tport_tx tx;
        uint8_t sg[TPORT_MAX_SEGMENT];
        size_t n, off = 0;
        tport_tx_start(&tx, apdu, apdu_wr_len(&a), seq);
        while ((n = tport_tx_next(&tx, sg)) > 0) {
                const struct link_hdr lh = {
                        .prm = true,
                        .code = link_func_code(LINK_FUNC_UNCONFIRMED_USER_DATA),
                        .dest = 1,
                        .src = 10,
                };
                int r = link_encode(out + off, cap - off, &lh, sg, n);
                if (r <= 0)
                        abort();
                off += (size_t)r;
        }
        return off;
}

static void bench_cpu(void)
{
        static uint8_t rsp[16][512];
        size_t rsp_len[16];
        for (uint8_t s = 0; s < 16; s++)
                rsp_len[s] = cpu_response(s, rsp[s], sizeof(rsp[s]));
        const struct master_chan_cfg cc = { .master_address = 1, .response_timeout_ms = 2000 };
        const struct master_callbacks cb = { .on_value = cpu_on_value };
        const struct master_dev_cfg dc = { .name = "ied", .address = 10, .integrity_ms = 1 };
        struct master_chan *ch;
        if (master_chan_new(&cc, &cb, &ch) < 0 || master_chan_add_dev(ch, &dc, NULL) < 0)
                abort();
        uint64_t now = 1;
        master_chan_up(ch, now);
        master_chan_timer(ch, now);  /* the startup tasks are due */
        uint64_t txns = 0, t0 = 0, v0 = 0;
        for (unsigned i = 0; i < CPU_TXNS + 1000; i++) {
                if (i == 1000) {
                        t0 = cpu_ns();
                        v0 = cpu_values;
                        txns = 0;
                }
                const uint8_t *p;
                size_t n = master_chan_output(ch, &p);
                if (n < 12)
                        abort();
                uint8_t seq = p[11] & 0x0f;     /* our own output: transport, then app control */
                master_chan_consumed(ch, n, now);
                master_chan_rx(ch, rsp[seq], rsp_len[seq], now);
                txns++;
                now++;
                master_chan_timer(ch, now);  /* the next poll is due */
        }
        uint64_t ns = cpu_ns() - t0;
        printf("CPU per poll transaction (request + %u-object response, in-process): "
               "%.2f us over %" PRIu64 " transactions, %" PRIu64 " values (target <= 20 us)\n",
               N_AI, (double)ns / 1000.0 / (double)txns, txns, cpu_values - v0);
        master_chan_free(ch);
}

/* ---- 3. wake-ups between polls ---- */

struct idle {
        struct event_base *base;
        unsigned rounds;                /* class 3 polls completed (each ends a round) */
        bool started;
};

static void idle_on_task(void *ctx, struct master_dev *d, enum master_task t, bool ok)
{
        struct idle *s = ctx;
        (void)d;
        if (t == MASTER_TASK_INTEGRITY && ok && !s->started) {
                s->started = true;
                event_base_loopbreak(s->base);
        }
        if (t == MASTER_TASK_CLASS3 && ok)
                s->rounds++;
}

static void idle_on_stop(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        event_base_loopbreak(arg);
}

static void bench_idle(void)
{
        struct event_base *base = precise_base();
        struct ied ied;
        char name[64];
        if (ied_start(&ied, base, 1, 115200, name, sizeof(name)) < 0)
                return;
        struct idle s = { .base = base };
        const struct master_io_cfg cfg = {
                .pipe = { .serial = { .device = name, .baud = 115200, .data_bits = 8,
                                        .stop_bits = 1 } },
                .chan = { .master_address = 1, .response_timeout_ms = 2000, .retries = 1 },
        };
        const struct master_callbacks mcb = { .ctx = &s, .on_task = idle_on_task };
        const struct master_dev_cfg dc = { .name = "ied", .address = 10,
                                           .class_ms = { 5000, 5000, 5000 } };
        struct master_io *io;
        if (master_io_new(base, &cfg, &mcb, NULL, NULL, &io) < 0 ||
            master_io_add_dev(io, &dc, NULL) < 0)
                abort();
        master_io_start(io);
        event_base_dispatch(base);      /* until the startup integrity poll is done */

        struct master_io_stats before = *master_io_stats(io);
        uint64_t ied_before = ied.wakeups;
        struct event *stop = evtimer_new(base, idle_on_stop, base);
        struct timeval tv = { .tv_sec = 10 };
        evtimer_add(stop, &tv);
        unsigned iters = 0;
        uint64_t t0 = mono_us();
        while (evtimer_pending(stop, NULL)) {
                event_base_loop(base, EVLOOP_ONCE);
                iters++;
        }
        const struct master_io_stats *after = master_io_stats(io);
        printf("idle 10 s, class 1/2/3 polls every 5 s (%.2f s measured):\n",
               (double)(mono_us() - t0) / 1e6);
        printf("  poll rounds %u (3 transactions each), master timer wake-ups %" PRIu64
               ", master receive wake-ups %" PRIu64 "\n",
               s.rounds, after->run.timer_wakeups - before.run.timer_wakeups,
               after->run.reads - before.run.reads);
        printf("  event-loop iterations %u (incl. the emulated line's %" PRIu64
               " and the bench's stop timer)\n",
               iters, ied.wakeups - ied_before);
        event_free(stop);
        master_io_free(io);
        ied_stop(&ied);
        event_base_free(base);
}

int main(void)
{
        setvbuf(stdout, NULL, _IOLBF, 0);
        bench_cpu();
        if (bench_efficiency(115200, 40) < 0 || bench_efficiency(9600, 3) < 0)
                return 1;
        bench_idle();
        return 0;
}
