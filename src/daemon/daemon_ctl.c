/* SPDX-License-Identifier: MIT */
/*
 * The control socket dnp3gwctl(1) talks to: a Unix stream socket
 * "control" in the runtime directory ($RUNTIME_DIRECTORY, which systemd
 * sets from RuntimeDirectory=dnp3gw, else /run/dnp3gw).  Read-only: no
 * request changes a session, a point or the configuration.
 *
 * Who may connect: the socket file is mode 0600 (the service user; root
 * passes file permissions), and each accepted peer's credentials
 * (SO_PEERCRED) must be root or the daemon's own user; anybody else is told
 * so in one line and closed.
 *
 * The protocol (dnp3gwctl(1), PROTOCOL): the client writes one request a
 * line ("status", "points [OUTSTATION] [type=T] [index=N[-M]]",
 * "trace NAME"); the daemon answers JSON objects, one a line, and ends a
 * status or points answer with {"kind":"end",...}.  A trace streams the
 * bytes of one outstation's or channel's link as they are read and written
 * until the client closes; the client decodes them.
 *
 * Bounded: DCTL_MAX_CLIENTS at once; at most 2 * DCTL_LINE_MAX bytes of
 * requests are read ahead, and the next request waits while DCTL_CHUNK of
 * answers are unread; a points listing is written in chunks as the client
 * reads; a client that leaves more than DCTL_OUT_MAX bytes of
 * trace unread is dropped: its trace stops at once, it is told why in a
 * last line, and it is closed when that line was read or after
 * DCTL_CLOSE_MS.  Nobody tracing costs nothing: the runners have no tap.
 */
#include "daemon/daemon_priv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "io/runner.h"

#define DCTL_LINE_MAX 512
#define DCTL_WORDS_MAX 8
#define DCTL_CHUNK (16u * 1024u)        /* points: written this much at a time */
#define DCTL_CLOSE_MS 5000u             /* a dropped client's last line waits this long */

enum dctl_state { DCTL_IDLE, DCTL_POINTS, DCTL_TRACE, DCTL_CLOSING };

/* One traced session (by kind and name: its runner changes on reload). */
struct dctl_target {
        struct dctl *c;
        bool outst;                     /* an outstation, else a channel */
        char name[GW_NAME_MAX];
        size_t nclients;
        struct dctl_target *next;
};

struct dctl_client {
        struct dctl *c;
        struct bufferevent *bev;
        enum dctl_state st;
        struct dctl_points pts;
        struct dctl_target *tr;
        struct event *close_ev;
        uint64_t trace_bytes;
        struct dctl_client *next;
};

struct dctl {
        struct daemon *d;
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        int fd;
        struct event *accept_ev;
        struct dctl_client *clients;
        size_t nclients;
        struct dctl_target *targets;
        struct log_ratelimit refused_rl;
};

/* The runner of the session a target names now (NULL: there is none). */
static struct io_runner *dctl_target_runner(struct dctl *c, const struct dctl_target *t)
{
        struct daemon *d = c->d;
        if (t->outst) {
                for (size_t i = 0; i < d->nout; i++)
                        if (d->outs[i] && strcmp(d->outs[i]->cfg->name, t->name) == 0)
                                return outst_io_runner(d->outs[i]->io);
                return NULL;
        }
        for (size_t i = 0; i < d->nchan; i++)
                if (strcmp(d->chans[i]->cfg->name, t->name) == 0)
                        return master_io_runner(d->chans[i]->io);
        return NULL;
}

static void dctl_client_free(struct dctl_client *cl)
{
        struct dctl *c = cl->c;
        for (struct dctl_client **p = &c->clients; *p; p = &(*p)->next)
                if (*p == cl) {
                        *p = cl->next;
                        break;
                }
        c->nclients--;
        if (cl->tr) {
                struct dctl_target *t = cl->tr;
                cl->tr = NULL;
                if (--t->nclients == 0) {
                        for (struct dctl_target **p = &c->targets; *p; p = &(*p)->next)
                                if (*p == t) {
                                        *p = t->next;
                                        break;
                                }
                        struct io_runner *r = dctl_target_runner(c, t);
                        if (r)
                                io_runner_set_tap(r, NULL, NULL);
                        free(t);
                }
        }
        if (cl->close_ev)
                event_free(cl->close_ev);
        bufferevent_free(cl->bev);
        free(cl);
}

static void dctl_on_close_timer(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        dctl_client_free(arg);
}

/*
 * End the client's conversation: a last line {"kind":"dropped"...} (why),
 * no more reading, closed once the line is read or DCTL_CLOSE_MS later.
 * Its trace stops at once (the tap skips it).
 */
static void dctl_drop(struct dctl_client *cl, const char *kind, const char *why)
{
        if (cl->st == DCTL_CLOSING)
                return;
        cl->st = DCTL_CLOSING;
        struct evbuffer *out = bufferevent_get_output(cl->bev);
        evbuffer_add_printf(out, "{\"kind\":\"%s\",\"why\":", kind);
        dctl_json_str(out, why);
        evbuffer_add(out, "}\n", 2);
        bufferevent_disable(cl->bev, EV_READ);
        bufferevent_setwatermark(cl->bev, EV_WRITE, 0, 0);
        struct timeval tv = { .tv_sec = DCTL_CLOSE_MS / 1000, .tv_usec = 0 };
        if (cl->close_ev)
                evtimer_add(cl->close_ev, &tv);
}

/* The runner tap: the bytes of a traced session to each of its clients. */
static void dctl_tap(void *ctx, bool tx, const uint8_t *p, size_t n)
{
        static const char hexd[] = "0123456789abcdef";
        struct dctl_target *t = ctx;
        uint64_t wall = io_wall_ms();
        for (struct dctl_client *cl = t->c->clients; cl; cl = cl->next) {
                if (cl->tr != t || cl->st != DCTL_TRACE)
                        continue;
                struct evbuffer *out = bufferevent_get_output(cl->bev);
                char hex[512];
                evbuffer_add_printf(out, "{\"kind\":\"bytes\",\"t\":%" PRIu64 ",\"dir\":\"%s\","
                                    "\"hex\":\"", wall, tx ? "tx" : "rx");
                for (size_t i = 0; i < n;) {
                        size_t k = 0;
                        for (; i < n && k + 2 <= sizeof(hex); i++) {
                                hex[k++] = hexd[p[i] >> 4];
                                hex[k++] = hexd[p[i] & 15];
                        }
                        evbuffer_add(out, hex, k);
                }
                evbuffer_add(out, "\"}\n", 3);
                cl->trace_bytes += n;
                size_t unread = evbuffer_get_length(out);
                if (unread > DCTL_OUT_MAX) {
                        char why[160];
                        snprintf(why, sizeof(why), "this client left %zu bytes unread (the limit "
                                 "is %u): it reads too slowly to follow the trace", unread,
                                 DCTL_OUT_MAX);
                        log_notice("control: a trace client of %s %s dropped: %s",
                                   t->outst ? "outstation" : "channel", t->name, why);
                        dctl_drop(cl, "dropped", why);
                }
        }
}

void dctl_rebind(struct dctl *c)
{
        if (!c)
                return;
        for (struct dctl_client *cl = c->clients; cl; cl = cl->next)
                if (cl->st == DCTL_POINTS)
                        dctl_drop(cl, "error", "the configuration was reloaded during the "
                                  "listing: ask again");
        for (struct dctl_target *t = c->targets; t; t = t->next) {
                struct io_runner *r = dctl_target_runner(c, t);
                if (r) {
                        io_runner_set_tap(r, dctl_tap, t);
                        continue;
                }
                for (struct dctl_client *cl = c->clients; cl; cl = cl->next)
                        if (cl->tr == t)
                                dctl_drop(cl, "end", "the traced session is no longer in the "
                                          "configuration (reloaded)");
        }
}

/* "trace NAME": an outstation's name first, then a channel's ("channel:NAME" for the channel). */
static void dctl_trace_start(struct dctl_client *cl, const char *name)
{
        struct dctl *c = cl->c;
        struct daemon *d = c->d;
        bool outst = false, found = false;
        const char *port = NULL;
        bool force_chan = strncmp(name, "channel:", 8) == 0;
        if (force_chan)
                name += 8;
        for (size_t i = 0; !force_chan && i < d->nout && !found; i++)
                if (strcmp(d->cfg->outstations[i].name, name) == 0) {
                        if (!d->outs[i]) {
                                dctl_drop(cl, "error", "that outstation is not running");
                                return;
                        }
                        found = outst = true;
                        port = d->cfg->outstations[i].listen;
                }
        for (size_t i = 0; i < d->nchan && !found; i++)
                if (strcmp(d->chans[i]->cfg->name, name) == 0) {
                        found = true;
                        port = io_pipe_name(master_io_pipe(d->chans[i]->io));
                }
        if (!found) {
                char why[GW_NAME_MAX + 64];
                snprintf(why, sizeof(why), "no outstation or channel '%s'", name);
                dctl_drop(cl, "error", why);
                return;
        }
        struct dctl_target *t = c->targets;
        while (t && !(t->outst == outst && strcmp(t->name, name) == 0))
                t = t->next;
        if (!t) {
                t = calloc(1, sizeof(*t));
                if (!t) {
                        dctl_drop(cl, "error", "out of memory");
                        return;
                }
                *t = (struct dctl_target){ .c = c, .outst = outst, .next = c->targets };
                snprintf(t->name, sizeof(t->name), "%s", name);
                c->targets = t;
                struct io_runner *r = dctl_target_runner(c, t);
                if (r)
                        io_runner_set_tap(r, dctl_tap, t);
        }
        t->nclients++;
        cl->tr = t;
        cl->st = DCTL_TRACE;
        struct evbuffer *out = bufferevent_get_output(cl->bev);
        evbuffer_add_printf(out, "{\"kind\":\"trace\",\"type\":\"%s\",\"name\":",
                            outst ? "outstation" : "channel");
        dctl_json_str(out, name);
        evbuffer_add_printf(out, ",\"port\":");
        dctl_json_str(out, port);
        evbuffer_add_printf(out, ",\"tx\":\"%s\"}\n", outst ? "to the master" : "to the devices");
}

static void dctl_end(struct dctl_client *cl, uint64_t count)
{
        evbuffer_add_printf(bufferevent_get_output(cl->bev), "{\"kind\":\"end\",\"count\":%" PRIu64
                            "}\n", count);
        cl->st = DCTL_IDLE;
}

/* More of a points listing (it ends when done). */
static void dctl_points_more(struct dctl_client *cl)
{
        struct evbuffer *out = bufferevent_get_output(cl->bev);
        if (!cl->c->d->outs[cl->pts.out]) {
                dctl_drop(cl, "error", "the outstation stopped (reloaded)");
                return;
        }
        if (dctl_json_points(cl->c->d, &cl->pts, out, DCTL_CHUNK))
                dctl_end(cl, cl->pts.count);
}

static void dctl_request(struct dctl_client *cl, char *line)
{
        char *words[DCTL_WORDS_MAX], *save = NULL;
        size_t n = 0;
        for (char *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
                if (n == DCTL_WORDS_MAX) {
                        dctl_drop(cl, "error", "too many words");
                        return;
                }
                words[n++] = w;
        }
        if (n == 0)
                return;
        struct daemon *d = cl->c->d;
        char why[160];
        if (strcmp(words[0], "status") == 0 && n == 1) {
                dctl_json_status(d, bufferevent_get_output(cl->bev));
                dctl_end(cl, 0);
        } else if (strcmp(words[0], "points") == 0) {
                if (dctl_points_parse(d, words + 1, n - 1, &cl->pts, why, sizeof(why)) < 0) {
                        dctl_drop(cl, "error", why);
                        return;
                }
                cl->st = DCTL_POINTS;
                dctl_points_more(cl);
        } else if (strcmp(words[0], "trace") == 0 && n == 2) {
                dctl_trace_start(cl, words[1]);
        } else {
                snprintf(why, sizeof(why), "unknown request '%.40s' (status, points, trace; "
                         "this socket is read-only)", words[0]);
                dctl_drop(cl, "error", why);
        }
}

static void dctl_on_read(struct bufferevent *bev, void *arg)
{
        struct dctl_client *cl = arg;
        struct evbuffer *in = bufferevent_get_input(bev);
        struct evbuffer *out = bufferevent_get_output(bev);
        /* requests wait while answers are unread (the write callback comes back) */
        while (cl->st == DCTL_IDLE && evbuffer_get_length(out) < DCTL_CHUNK) {
                size_t len;
                char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
                if (!line) {
                        if (evbuffer_get_length(in) > DCTL_LINE_MAX)
                                dctl_drop(cl, "error", "request line too long");
                        return;
                }
                if (len > DCTL_LINE_MAX)
                        dctl_drop(cl, "error", "request line too long");
                else
                        dctl_request(cl, line);
                free(line);
        }
        if (cl->st == DCTL_TRACE)       /* nothing more is asked while tracing */
                evbuffer_drain(in, evbuffer_get_length(in));
}

static void dctl_on_write(struct bufferevent *bev, void *arg)
{
        struct dctl_client *cl = arg;
        (void)bev;
        if (cl->st == DCTL_CLOSING) {
                if (evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0)
                        dctl_client_free(cl);
                return;
        }
        if (cl->st == DCTL_POINTS)
                dctl_points_more(cl);
        if (cl->st == DCTL_IDLE)
                dctl_on_read(cl->bev, cl);      /* requests that waited for the listing */
}

static void dctl_on_event(struct bufferevent *bev, short what, void *arg)
{
        (void)bev;
        if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
                dctl_client_free(arg);
}

/* Root or the daemon's own user. */
static bool dctl_peer_ok(int fd, struct ucred *ret)
{
        struct ucred uc;
        socklen_t len = sizeof(uc);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0 || len != sizeof(uc))
                return false;
        *ret = uc;
        return uc.uid == 0 || uc.uid == geteuid();
}

static void dctl_on_accept(evutil_socket_t lfd, short what, void *arg)
{
        struct dctl *c = arg;
        (void)what;
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
                return;
        struct ucred uc = { .pid = 0, .uid = (uid_t)-1 };
        const char *refuse = NULL, *kind = "refused";
        char why[160];
        if (!dctl_peer_ok(fd, &uc)) {
                snprintf(why, sizeof(why), "refused: uid %ld is neither root nor the service "
                         "user (uid %ld)", (long)uc.uid, (long)geteuid());
                refuse = why;
                if (log_ratelimit_ok(&c->refused_rl, io_mono_ms(), NULL))
                        log_notice("control: connection by pid %ld uid %ld %s", (long)uc.pid,
                                   (long)uc.uid, "refused: neither root nor the service user");
        } else if (c->nclients >= DCTL_MAX_CLIENTS) {
                snprintf(why, sizeof(why), "busy: %u clients are connected already; try again "
                         "later", DCTL_MAX_CLIENTS);
                refuse = why;
                kind = "error";
        }
        if (refuse) {
                char line[256];
                int k = snprintf(line, sizeof(line), "{\"kind\":\"%s\",\"why\":\"%s\"}\n",
                                 kind, refuse);
                if (write(fd, line, (size_t)k) < 0) {
                        /* nothing more to tell */
                }
                close(fd);
                return;
        }
        struct dctl_client *cl = calloc(1, sizeof(*cl));
        if (!cl) {
                close(fd);
                return;
        }
        cl->c = c;
        cl->bev = bufferevent_socket_new(c->d->base, fd, BEV_OPT_CLOSE_ON_FREE);
        cl->close_ev = evtimer_new(c->d->base, dctl_on_close_timer, cl);
        if (!cl->bev || !cl->close_ev) {
                if (cl->bev)
                        bufferevent_free(cl->bev);
                else
                        close(fd);
                if (cl->close_ev)
                        event_free(cl->close_ev);
                free(cl);
                return;
        }
        bufferevent_setcb(cl->bev, dctl_on_read, dctl_on_write, dctl_on_event, cl);
        bufferevent_setwatermark(cl->bev, EV_WRITE, DCTL_CHUNK / 2, 0);
        bufferevent_setwatermark(cl->bev, EV_READ, 0, 2 * DCTL_LINE_MAX);
        bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
        cl->next = c->clients;
        c->clients = cl;
        c->nclients++;
}

/* The socket's path: the first directory of $RUNTIME_DIRECTORY, else DCTL_RUN_DIR. */
static int dctl_path(char *buf, size_t n)
{
        const char *rd = getenv("RUNTIME_DIRECTORY");
        char dir[256];
        if (rd && *rd) {
                size_t len = strcspn(rd, ":");
                if (len >= sizeof(dir))
                        return -ENAMETOOLONG;
                memcpy(dir, rd, len);
                dir[len] = 0;
        } else {
                snprintf(dir, sizeof(dir), "%s", DCTL_RUN_DIR);
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
        }
        int k = snprintf(buf, n, "%s/%s", dir, DCTL_SOCKET);
        return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

/* Bind path; a socket left by a dead daemon is replaced, a live one is not. */
static int dctl_bind(const char *path, int *ret)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        for (int attempt = 0; attempt < 2; attempt++) {
                int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                mode_t old = umask(0177);
                int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
                umask(old);
                if (r == 0 && chmod(path, 0600) == 0 && listen(fd, 8) == 0) {
                        *ret = fd;
                        return 0;
                }
                r = -errno;
                close(fd);
                if (r != -EADDRINUSE || attempt > 0)
                        return r;
                /* somebody's socket: alive (another dnp3gwd) or left over */
                int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (probe < 0)
                        return -errno;
                int alive = connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
                close(probe);
                if (alive)
                        return -EADDRINUSE;
                if (unlink(path) < 0)
                        return -errno;
        }
        return -EADDRINUSE;
}

void dctl_free(struct dctl *c)
{
        if (!c)
                return;
        while (c->clients)
                dctl_client_free(c->clients);
        if (c->accept_ev)
                event_free(c->accept_ev);
        if (c->fd >= 0) {
                close(c->fd);
                unlink(c->path);
        }
        free(c);
}

int dctl_new(struct daemon *d, struct dctl **ret)
{
        struct dctl *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->d = d;
        c->fd = -1;
        c->refused_rl = (struct log_ratelimit){ .interval_ms = LOG_MINUTE_MS, .burst = 5 };
        int r = dctl_path(c->path, sizeof(c->path));
        if (r == 0)
                r = dctl_bind(c->path, &c->fd);
        if (r < 0) {
                log_warning("control socket %s: %s%s; dnp3gwctl cannot reach this daemon",
                            c->path[0] ? c->path : DCTL_RUN_DIR, strerror(-r),
                            r == -EADDRINUSE ? " (another dnp3gwd answers there)" : "");
                free(c);
                return r;
        }
        c->accept_ev = event_new(d->base, c->fd, EV_READ | EV_PERSIST, dctl_on_accept, c);
        if (!c->accept_ev || event_add(c->accept_ev, NULL) < 0) {
                dctl_free(c);
                return -ENOMEM;
        }
        log_info("control socket %s (dnp3gwctl)", c->path);
        *ret = c;
        return 0;
}
