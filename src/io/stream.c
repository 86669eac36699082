/* SPDX-License-Identifier: MIT */
#include "io/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <libserialport.h>

#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 60000
#define HIGH_WATER (64 * 1024)

struct io_stream {
        struct event_base *base;
        struct io_stream_cfg cfg;
        char *device;               /* owned copies of the configured strings */
        char *host;
        char name[300];
        struct io_stream_cb cb;
        void *ctx;

        struct sp_port *port;       /* serial: open port */
        struct bufferevent *bev;    /* serial fd or TCP socket */
        struct evdns_base *dns;
        struct event *retry;
        bool up;
        bool connecting;
        bool got_data;              /* data since the last open: resets the backoff */
        bool down_reported;         /* on_down said so since the last up (or start) */
        uint64_t backoff_ms;        /* delay to use for the next failure */
        uint64_t scheduled_ms;      /* delay of the retry now scheduled */
        struct io_stream_stats stats;
};

static void stream_open(struct io_stream *s);

static void stream_close(struct io_stream *s)
{
        if (s->bev) {
                bufferevent_free(s->bev);  /* closes the socket (BEV_OPT_CLOSE_ON_FREE) */
                s->bev = NULL;
        }
        if (s->port) {
                sp_close(s->port);
                sp_free_port(s->port);
                s->port = NULL;
        }
        s->up = false;
        s->connecting = false;
}

/*
 * Schedule the next attempt: min, doubling up to max.  An open that carried
 * data before it was lost starts the sequence again; one that failed at once
 * (a port that opens and dies) keeps doubling, so nothing ever spins.
 */
static void stream_next_backoff(struct io_stream *s)
{
        if (s->got_data) {
                s->backoff_ms = s->cfg.backoff_min_ms;
                s->got_data = false;
        }
        s->scheduled_ms = s->backoff_ms;
        struct timeval tv = {
                .tv_sec = (time_t)(s->scheduled_ms / 1000),
                .tv_usec = (suseconds_t)((s->scheduled_ms % 1000) * 1000),
        };
        evtimer_add(s->retry, &tv);
        uint64_t next = s->backoff_ms * 2;
        s->backoff_ms = next > s->cfg.backoff_max_ms ? s->cfg.backoff_max_ms : next;
}

/*
 * Lost or failed: close, retry later, and tell the owner once per state
 * change: when an open stream is lost, and when the first attempt after
 * the start fails (a port missing at startup is reported, not silent).
 * Further failed attempts are counted, not reported.
 */
static void stream_fail(struct io_stream *s, int err, const char *what, bool was_up)
{
        stream_close(s);
        if (was_up)
                s->stats.losses++;
        else
                s->stats.open_failures++;
        stream_next_backoff(s);
        if (!s->down_reported) {
                s->down_reported = true;
                if (s->cb.on_down)
                        s->cb.on_down(s->ctx, err, what);
        }
}

static void stream_became_up(struct io_stream *s)
{
        s->up = true;
        s->down_reported = false;
        s->connecting = false;
        s->stats.opens++;
        if (s->cb.on_up)
                s->cb.on_up(s->ctx);
}

static void stream_read_cb(struct bufferevent *bev, void *arg)
{
        struct io_stream *s = arg;
        struct evbuffer *in = bufferevent_get_input(bev);
        uint8_t buf[4096];

        for (;;) {
                int n = evbuffer_remove(in, buf, sizeof(buf));
                if (n <= 0)
                        break;
                s->stats.rx_bytes += (uint64_t)n;
                s->got_data = true;
                if (s->cb.on_data)
                        s->cb.on_data(s->ctx, buf, (size_t)n);
                if (s->bev != bev)  /* the owner reset the stream from its callback */
                        return;
        }
}

static void stream_event_cb(struct bufferevent *bev, short what, void *arg)
{
        struct io_stream *s = arg;
        (void)bev;

        if (what & BEV_EVENT_CONNECTED) {
                stream_became_up(s);
                return;
        }
        if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
                int err = EVUTIL_SOCKET_ERROR();
                bool was_up = s->up;
                const char *how;
                if (what & BEV_EVENT_EOF) {
                        /* A tty reads end-of-file when its line hangs up. */
                        how = s->cfg.tcp ? "closed by peer" : "hangup";
                        err = s->cfg.tcp ? ECONNRESET : EIO;
                } else {
                        how = was_up ? "read/write error" : "connect";
                        if (err == 0)
                                err = EIO;
                }
                stream_fail(s, -err, how, was_up);
        }
}

static enum sp_parity parity_to_sp(enum io_parity p)
{
        switch (p) {
        case IO_PARITY_ODD:
                return SP_PARITY_ODD;
        case IO_PARITY_EVEN:
                return SP_PARITY_EVEN;
        case IO_PARITY_MARK:
                return SP_PARITY_MARK;
        case IO_PARITY_SPACE:
                return SP_PARITY_SPACE;
        case IO_PARITY_NONE:
        default:
                return SP_PARITY_NONE;
        }
}

static enum sp_flowcontrol flow_to_sp(enum io_flow f)
{
        switch (f) {
        case IO_FLOW_RTSCTS:
                return SP_FLOWCONTROL_RTSCTS;
        case IO_FLOW_XONXOFF:
                return SP_FLOWCONTROL_XONXOFF;
        case IO_FLOW_DTRDSR:
                return SP_FLOWCONTROL_DTRDSR;
        case IO_FLOW_NONE:
        default:
                return SP_FLOWCONTROL_NONE;
        }
}

static int serial_open(struct io_stream *s, const char **ret_what)
{
        /* Follow symlinks (/dev/serial/by-id/...): libserialport wants the tty itself. */
        char real[PATH_MAX];
        if (!realpath(s->device, real)) {
                *ret_what = "resolve device";
                return -errno;
        }

        struct sp_port *port = NULL;
        *ret_what = "open";
        if (sp_get_port_by_name(real, &port) != SP_OK)
                return -ENODEV;
        if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
                int err = sp_last_error_code();
                sp_free_port(port);
                return err > 0 ? -err : -EIO;
        }
        *ret_what = "configure";
        const struct io_serial_cfg *c = &s->cfg.serial;
        if (sp_set_baudrate(port, (int)c->baud) != SP_OK || sp_set_bits(port, (int)c->data_bits) != SP_OK ||
            sp_set_parity(port, parity_to_sp(c->parity)) != SP_OK ||
            sp_set_stopbits(port, (int)c->stop_bits) != SP_OK ||
            sp_set_flowcontrol(port, flow_to_sp(c->flow)) != SP_OK) {
                sp_close(port);
                sp_free_port(port);
                return -EINVAL;
        }
        int fd = -1;
        if (sp_get_port_handle(port, &fd) != SP_OK || fd < 0) {
                sp_close(port);
                sp_free_port(port);
                return -EBADF;
        }
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                int err = -errno;
                sp_close(port);
                sp_free_port(port);
                return err;
        }
        /* The port keeps the fd; the bufferevent must not close it. */
        s->bev = bufferevent_socket_new(s->base, fd, 0);
        if (!s->bev) {
                sp_close(port);
                sp_free_port(port);
                return -ENOMEM;
        }
        s->port = port;
        return 0;
}

static int tcp_open(struct io_stream *s, const char **ret_what)
{
        *ret_what = "connect";
        if (!s->dns) {
                s->dns = evdns_base_new(s->base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
                if (!s->dns)
                        s->dns = evdns_base_new(s->base, 0);
                if (!s->dns)
                        return -ENOMEM;
        }
        s->bev = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE);
        if (!s->bev)
                return -ENOMEM;
        bufferevent_setcb(s->bev, stream_read_cb, NULL, stream_event_cb, s);
        bufferevent_enable(s->bev, EV_READ | EV_WRITE);
        s->connecting = true;
        if (bufferevent_socket_connect_hostname(s->bev, s->dns, AF_UNSPEC, s->host,
                                                s->cfg.tcp_cfg.port) < 0) {
                bufferevent_free(s->bev);
                s->bev = NULL;
                s->connecting = false;
                return -ECONNREFUSED;
        }
        return 0;
}

static void stream_open(struct io_stream *s)
{
        const char *what = "open";
        int r;

        if (s->up || s->connecting)
                return;
        r = s->cfg.tcp ? tcp_open(s, &what) : serial_open(s, &what);
        if (r < 0) {
                stream_fail(s, r, what, false);
                return;
        }
        if (s->cfg.tcp)
                return;     /* up when BEV_EVENT_CONNECTED arrives */
        bufferevent_setcb(s->bev, stream_read_cb, NULL, stream_event_cb, s);
        bufferevent_enable(s->bev, EV_READ | EV_WRITE);
        stream_became_up(s);
}

static void stream_retry_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        stream_open(arg);
}

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

int io_stream_new(struct event_base *base, const struct io_stream_cfg *cfg,
                  const struct io_stream_cb *cb, void *ctx, struct io_stream **ret)
{
        struct io_stream *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->base = base;
        s->cfg = *cfg;
        s->cb = *cb;
        s->ctx = ctx;
        if (!s->cfg.backoff_min_ms)
                s->cfg.backoff_min_ms = BACKOFF_MIN_MS;
        if (!s->cfg.backoff_max_ms)
                s->cfg.backoff_max_ms = BACKOFF_MAX_MS;
        if (s->cfg.backoff_max_ms < s->cfg.backoff_min_ms)
                s->cfg.backoff_max_ms = s->cfg.backoff_min_ms;
        if (!s->cfg.write_high_water)
                s->cfg.write_high_water = HIGH_WATER;
        s->backoff_ms = s->cfg.backoff_min_ms;

        if (cfg->tcp) {
                s->host = dup_or_null(cfg->tcp_cfg.host);
                if (!s->host)
                        goto fail;
                snprintf(s->name, sizeof(s->name), "%s:%u", s->host, (unsigned)cfg->tcp_cfg.port);
        } else {
                s->device = dup_or_null(cfg->serial.device);
                if (!s->device)
                        goto fail;
                snprintf(s->name, sizeof(s->name), "%s", s->device);
        }
        s->cfg.serial.device = s->device;
        s->cfg.tcp_cfg.host = s->host;
        s->retry = evtimer_new(base, stream_retry_cb, s);
        if (!s->retry)
                goto fail;
        *ret = s;
        return 0;
fail:
        io_stream_free(s);
        return -ENOMEM;
}

void io_stream_free(struct io_stream *s)
{
        if (!s)
                return;
        stream_close(s);
        if (s->retry)
                event_free(s->retry);
        if (s->dns)
                evdns_base_free(s->dns, 0);
        free(s->device);
        free(s->host);
        free(s);
}

void io_stream_start(struct io_stream *s)
{
        stream_open(s);
}

bool io_stream_is_up(const struct io_stream *s)
{
        return s->up;
}

int io_stream_write(struct io_stream *s, const uint8_t *p, size_t n)
{
        if (!s->up || !s->bev)
                return -ENOTCONN;
        struct evbuffer *out = bufferevent_get_output(s->bev);
        if (evbuffer_get_length(out) + n > s->cfg.write_high_water)
                return -ENOBUFS;
        if (bufferevent_write(s->bev, p, n) < 0)
                return -ENOMEM;
        s->stats.tx_bytes += n;
        return 0;
}

size_t io_stream_pending(const struct io_stream *s)
{
        if (!s->bev)
                return 0;
        return evbuffer_get_length(bufferevent_get_output(s->bev));
}

void io_stream_reset(struct io_stream *s, int err, const char *what)
{
        bool was_up = s->up;
        if (!s->bev && !s->port)
                return;
        evtimer_del(s->retry);
        stream_fail(s, err, what, was_up);
}

uint64_t io_stream_backoff_ms(const struct io_stream *s)
{
        return s->up ? 0 : s->scheduled_ms;
}

const struct io_stream_stats *io_stream_stats(const struct io_stream *s)
{
        return &s->stats;
}

const char *io_stream_name(const struct io_stream *s)
{
        return s->name;
}
