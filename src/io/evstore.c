/* SPDX-License-Identifier: MIT */
/*
 * The event journal file: see evstore.h.  Every file operation is relative
 * to the state directory's fd, so a rename and the directory fsync that
 * makes it durable name the same directory.
 */
#include "io/evstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EVSTORE_CHUNK 65536u        /* snapshot bytes per write() */
#define EVSTORE_NAME_MAX 128u

struct evstore {
        char *dir;
        char name[EVSTORE_NAME_MAX];    /* NAME.events */
        char tmp[EVSTORE_NAME_MAX];     /* NAME.events.new */
        char path[PATH_MAX];
        size_t compact_adds;
        void (*walk)(void *ctx, struct evstore *s);
        void *ctx;
        void (*dirty)(void *dirty_ctx);
        void *dirty_ctx;
        int dfd;                        /* the state directory, -1 until opened */
        int fd;                         /* the journal, open for appending; -1 */
        /* appended records not written yet */
        uint8_t *buf;
        size_t len, cap;
        size_t pend_adds;
        bool rm_open;                   /* the last record buffered is a REMOVE ... */
        size_t rm_off;                  /* ... at this offset */
        uint32_t rm_first, rm_count;
        /* the file */
        size_t file_adds;
        uint64_t file_bytes;
        bool need_snap;                 /* the file does not hold what the buffers do */
        bool aside_pending;             /* a damaged file still to be set aside */
        bool degraded;
        int err;
        const char *op;
        /* a snapshot being written */
        int sfd;
        uint8_t *sbuf;
        size_t slen;
        size_t sadds;
        uint64_t sbytes;
        int serr;
        const char *sop;
        struct evstore_stats st;
};

int evstore_new(const struct evstore_cfg *cfg, struct evstore **ret)
{
        if (!cfg->dir || !cfg->name || !cfg->walk || !cfg->name[0] ||
            strlen(cfg->name) + sizeof(EVSTORE_SUFFIX ".new") > EVSTORE_NAME_MAX ||
            strchr(cfg->name, '/'))
                return -EINVAL;
        struct evstore *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->dir = strdup(cfg->dir);
        s->sbuf = malloc(EVSTORE_CHUNK);
        if (!s->dir || !s->sbuf) {
                free(s->dir);
                free(s->sbuf);
                free(s);
                return -ENOMEM;
        }
        snprintf(s->name, sizeof(s->name), "%s" EVSTORE_SUFFIX, cfg->name);
        snprintf(s->tmp, sizeof(s->tmp), "%s" EVSTORE_SUFFIX ".new", cfg->name);
        snprintf(s->path, sizeof(s->path), "%s/%s", cfg->dir, s->name);
        s->compact_adds = cfg->compact_adds;
        s->walk = cfg->walk;
        s->ctx = cfg->ctx;
        s->dirty = cfg->dirty;
        s->dirty_ctx = cfg->dirty_ctx;
        s->dfd = s->fd = s->sfd = -1;
        s->need_snap = true;
        s->op = "";
        *ret = s;
        return 0;
}

static void evstore_close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

static void evstore_drop_pending(struct evstore *s)
{
        s->len = 0;
        s->pend_adds = 0;
        s->rm_open = false;
}

/* A file operation failed: stop persisting until a snapshot succeeds. */
static int evstore_fail(struct evstore *s, const char *op, int err)
{
        s->degraded = true;
        s->err = err;
        s->op = op;
        s->need_snap = true;
        s->st.failures++;
        evstore_drop_pending(s);
        evstore_close_fd(&s->fd);
        return err;
}

static int evstore_open_dir(struct evstore *s)
{
        if (s->dfd >= 0)
                return 0;
        s->dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->dfd < 0 && errno == ENOENT && mkdir(s->dir, 0750) == 0)
                s->dfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return s->dfd < 0 ? -errno : 0;
}

static int evstore_write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                if (w == 0)
                        return -EIO;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

static int evstore_append(struct evstore *s);

void evstore_free(struct evstore *s)
{
        if (!s)
                return;
        if (!s->degraded && !s->need_snap)
                (void)evstore_append(s);        /* no snapshot: the buffers may be gone */
        evstore_close_fd(&s->fd);
        evstore_close_fd(&s->sfd);
        evstore_close_fd(&s->dfd);
        free(s->buf);
        free(s->sbuf);
        free(s->dir);
        free(s);
}

void evstore_remove(struct evstore *s)
{
        if (!s)
                return;
        if (evstore_open_dir(s) == 0) {
                (void)unlinkat(s->dfd, s->name, 0);
                (void)unlinkat(s->dfd, s->tmp, 0);
                (void)fsync(s->dfd);
        }
        s->need_snap = true;           /* nothing left to flush into */
        evstore_drop_pending(s);
        evstore_free(s);
}

/* ---- setting damage aside ------------------------------------------------------ */

/* NAME.events.corrupt-YYYYMMDDTHHMMSSZ[-k] into buf. */
static void evstore_aside_name(const struct evstore *s, uint64_t wall_ms, unsigned k, char *buf,
                               size_t n)
{
        time_t t = (time_t)(wall_ms / 1000);
        struct tm tm;
        char when[32] = "unknown-time";
        if (gmtime_r(&t, &tm))
                strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
        if (k == 0)
                snprintf(buf, n, "%s.corrupt-%s", s->name, when);
        else
                snprintf(buf, n, "%s.corrupt-%s-%u", s->name, when, k);
}

#define EVSTORE_ASIDE_TRIES 100u

/* Rename the whole journal to a set-aside name (never replacing a file). */
static int evstore_aside_file(struct evstore *s, uint64_t wall_ms, struct evstore_load *ld)
{
        char nm[EVSTORE_NAME_MAX + 48];
        for (unsigned k = 0; k < EVSTORE_ASIDE_TRIES; k++) {
                evstore_aside_name(s, wall_ms, k, nm, sizeof(nm));
                if (linkat(s->dfd, s->name, s->dfd, nm, 0) < 0) {
                        if (errno == EEXIST)
                                continue;
                        return -errno;
                }
                if (unlinkat(s->dfd, s->name, 0) < 0)
                        return -errno;
                (void)fsync(s->dfd);
                snprintf(ld->aside, sizeof(ld->aside), "%s/%s", s->dir, nm);
                return 0;
        }
        return -EEXIST;
}

/* Copy the damaged bytes after the last good record to a set-aside file. */
static int evstore_aside_tail(struct evstore *s, uint64_t wall_ms, const uint8_t *p, size_t n,
                              struct evstore_load *ld)
{
        char nm[EVSTORE_NAME_MAX + 48];
        for (unsigned k = 0; k < EVSTORE_ASIDE_TRIES; k++) {
                evstore_aside_name(s, wall_ms, k, nm, sizeof(nm));
                int fd = openat(s->dfd, nm, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
                if (fd < 0 && errno == EEXIST)
                        continue;
                if (fd < 0)
                        return -errno;
                int r = evstore_write_all(fd, p, n);
                if (r == 0 && fdatasync(fd) < 0)
                        r = -errno;
                close(fd);
                if (r < 0) {
                        (void)unlinkat(s->dfd, nm, 0);
                        return r;
                }
                (void)fsync(s->dfd);
                snprintf(ld->aside, sizeof(ld->aside), "%s/%s", s->dir, nm);
                return 0;
        }
        return -EEXIST;
}

/* ---- loading ------------------------------------------------------------------ */

/* The whole file into *ret (malloc'd), its size in *ret_n. */
static int evstore_read_file(int fd, uint8_t **ret, size_t *ret_n)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        size_t cap = (size_t)st.st_size, n = 0;
        uint8_t *p = malloc(cap ? cap : 1);
        if (!p)
                return -ENOMEM;
        while (n < cap) {
                ssize_t r = read(fd, p + n, cap - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = -errno;
                        free(p);
                        return e;
                }
                if (r == 0)
                        break;          /* it shrank: what was read is the file */
                n += (size_t)r;
        }
        *ret = p;
        *ret_n = n;
        return 0;
}

struct evstore_rm {
        uint32_t first, count;
};

/* The first ADD (of adds[0..n-1], seqs increasing from adds[0]) at or after seq. */
static size_t evstore_lower(const struct evj_event *adds, size_t n, uint32_t seq)
{
        uint32_t base = adds[0].seq, key = seq - base;
        if (key >= 0x80000000u)
                return 0;               /* before the first one */
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (adds[mid].seq - base < key)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* Replay buf: the live events to fn; the scan's result into ld. */
static int evstore_replay(const uint8_t *buf, size_t n, struct evstore_load *ld,
                          void (*fn)(void *ctx, const struct evj_event *e), void *ctx,
                          size_t *ret_good, size_t *ret_adds)
{
        size_t max = n / EVJ_ADD_LEN + 1, nadd = 0, nrm = 0;
        struct evj_event *adds = malloc(max * sizeof(*adds));
        struct evstore_rm *rms = malloc((n / EVJ_REMOVE_LEN + 1) * sizeof(*rms));
        bool *gone = NULL;
        int r = -ENOMEM;
        if (!adds || !rms)
                goto out;
        struct evj_scan sc;
        struct evj_rec rec;
        evj_scan_init(&sc, buf, n);
        while (evj_scan_next(&sc, &rec) == 1) {
                ld->records++;
                if (rec.kind == EVJ_ADD)
                        adds[nadd++] = rec.ev;
                else
                        rms[nrm++] = (struct evstore_rm){ rec.first, rec.count };
        }
        ld->stop = sc.stop;
        *ret_good = sc.good;
        *ret_adds = nadd;
        gone = calloc(nadd ? nadd : 1, sizeof(*gone));
        if (!gone)
                goto out;
        for (size_t k = 0; k < nrm && nadd; k++)
                for (size_t i = evstore_lower(adds, nadd, rms[k].first);
                     i < nadd && adds[i].seq - rms[k].first < rms[k].count; i++)
                        gone[i] = true;
        for (size_t i = 0; i < nadd; i++)
                if (!gone[i]) {
                        ld->events++;
                        fn(ctx, &adds[i]);
                }
        r = 0;
out:
        free(adds);
        free(rms);
        free(gone);
        return r;
}

int evstore_load(struct evstore *s, uint64_t wall_ms,
                 void (*fn)(void *ctx, const struct evj_event *e), void *ctx,
                 struct evstore_load *ret)
{
        struct evstore_load *ld = ret;
        *ld = (struct evstore_load){ .stop = EVJ_STOP_END };
        int r = evstore_open_dir(s);
        if (r < 0)
                return evstore_fail(s, "open the state directory", r);
        int fd = openat(s->dfd, s->name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                ld->err = r;
                goto aside_whole;
        }
        uint8_t *buf = NULL;
        size_t n = 0;
        r = evstore_read_file(fd, &buf, &n);
        close(fd);
        if (r == -ENOMEM) {
                /* not read, so never written over: a retry sets it aside first */
                s->aside_pending = true;
                return evstore_fail(s, "read", r);
        }
        if (r < 0) {
                ld->err = r;
                goto aside_whole;
        }
        ld->bytes = n;
        size_t good = 0, nadd = 0;
        r = evstore_replay(buf, n, ld, fn, ctx, &good, &nadd);
        if (r < 0) {
                free(buf);
                s->aside_pending = true;
                return evstore_fail(s, "read", r);
        }
        s->file_adds = nadd;
        s->file_bytes = good;
        if (good == 0 && n > 0) {
                /* no usable header: the whole file is foreign or damaged */
                free(buf);
                ld->damaged = n;
                goto aside_whole;
        }
        if (good < n) {
                ld->damaged = n - good;
                ld->aside_err = evstore_aside_tail(s, wall_ms, buf + good, n - good, ld);
        }
        free(buf);
        return 0;
aside_whole:
        ld->aside_err = evstore_aside_file(s, wall_ms, ld);
        if (ld->aside_err < 0) {
                /* never write over what could not be set aside */
                s->aside_pending = true;
                return evstore_fail(s, "set aside", ld->aside_err);
        }
        return 0;
}

/* ---- appending ------------------------------------------------------------------- */

static int evstore_reserve(struct evstore *s, size_t n)
{
        if (s->cap - s->len >= n)
                return 0;
        size_t cap = s->cap ? s->cap : 4096;
        while (cap - s->len < n)
                cap *= 2;
        uint8_t *p = realloc(s->buf, cap);
        if (!p)
                return -ENOMEM;
        s->buf = p;
        s->cap = cap;
        return 0;
}

/* A first record buffered (or a snapshot due): tell whoever calls evstore_flush(). */
static void evstore_became_dirty(struct evstore *s, size_t len_before)
{
        if (len_before == 0 && s->dirty)
                s->dirty(s->dirty_ctx);
}

/* Whether appends are buffered now: persisting, with a file that holds the buffers. */
static bool evstore_appending(const struct evstore *s)
{
        return !s->degraded && !s->need_snap;
}

void evstore_added(struct evstore *s, const struct ev *e, unsigned cls)
{
        if (!evstore_appending(s))
                return;
        struct wr w;
        size_t before = s->len;
        if (evstore_reserve(s, EVJ_ADD_LEN) < 0) {
                s->need_snap = true;    /* the next flush writes everything */
                evstore_became_dirty(s, 0);
                return;
        }
        wr_init(&w, s->buf + s->len, s->cap - s->len);
        if (evj_write_add(&w, e, cls) < 0)
                return;
        s->len += w.len;
        s->pend_adds++;
        s->rm_open = false;
        s->st.adds++;
        evstore_became_dirty(s, before);
}

void evstore_removed(struct evstore *s, const struct ev *e, unsigned cls)
{
        (void)cls;
        if (!evstore_appending(s))
                return;
        if (s->rm_open && e->seq == s->rm_first + s->rm_count) {
                s->rm_count++;
                evj_patch_remove(s->buf + s->rm_off, s->rm_first, s->rm_count);
                return;
        }
        struct wr w;
        size_t before = s->len;
        if (evstore_reserve(s, EVJ_REMOVE_LEN) < 0) {
                s->need_snap = true;
                evstore_became_dirty(s, 0);
                return;
        }
        wr_init(&w, s->buf + s->len, s->cap - s->len);
        if (evj_write_remove(&w, e->seq, 1) < 0)
                return;
        s->rm_open = true;
        s->rm_off = s->len;
        s->rm_first = e->seq;
        s->rm_count = 1;
        s->len += w.len;
        s->st.removes++;
        evstore_became_dirty(s, before);
}

bool evstore_dirty(const struct evstore *s)
{
        return !s->degraded && (s->len > 0 || s->need_snap);
}

bool evstore_unsynced(const struct evstore *s)
{
        return !s->degraded && (s->pend_adds > 0 || s->need_snap);
}

/* ---- snapshots ------------------------------------------------------------------ */

static void evstore_snap_write(struct evstore *s)
{
        if (s->serr == 0 && s->slen) {
                int r = evstore_write_all(s->sfd, s->sbuf, s->slen);
                if (r < 0) {
                        s->serr = r;
                        s->sop = "write";
                }
                s->sbytes += s->slen;
        }
        s->slen = 0;
}

void evstore_snap_add(struct evstore *s, const struct ev *e, unsigned cls)
{
        if (s->sfd < 0 || s->serr)
                return;
        if (EVSTORE_CHUNK - s->slen < EVJ_ADD_LEN)
                evstore_snap_write(s);
        struct wr w;
        wr_init(&w, s->sbuf + s->slen, EVSTORE_CHUNK - s->slen);
        if (evj_write_add(&w, e, cls) == 0) {
                s->slen += w.len;
                s->sadds++;
        }
}

static int evstore_snapshot(struct evstore *s)
{
        int r = evstore_open_dir(s);
        if (r < 0)
                return evstore_fail(s, "open the state directory", r);
        (void)unlinkat(s->dfd, s->tmp, 0);
        s->sfd = openat(s->dfd, s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (s->sfd < 0)
                return evstore_fail(s, "create", -errno);
        s->serr = 0;
        s->sop = "";
        s->sadds = 0;
        s->sbytes = 0;
        struct wr w;
        wr_init(&w, s->sbuf, EVSTORE_CHUNK);
        (void)evj_write_header(&w);
        s->slen = w.len;
        s->walk(s->ctx, s);
        evstore_snap_write(s);
        if (s->serr == 0 && fdatasync(s->sfd) < 0) {
                s->serr = -errno;
                s->sop = "fdatasync";
        }
        if (s->serr == 0 && renameat(s->dfd, s->tmp, s->dfd, s->name) < 0) {
                s->serr = -errno;
                s->sop = "rename";
        }
        if (s->serr == 0 && fsync(s->dfd) < 0) {
                s->serr = -errno;
                s->sop = "fsync the state directory";
        }
        if (s->serr < 0) {
                evstore_close_fd(&s->sfd);
                (void)unlinkat(s->dfd, s->tmp, 0);
                return evstore_fail(s, s->sop, s->serr);
        }
        evstore_close_fd(&s->fd);
        s->fd = s->sfd;
        s->sfd = -1;
        s->file_adds = s->sadds;
        s->file_bytes = s->sbytes;
        s->need_snap = false;
        s->degraded = false;
        s->err = 0;
        s->op = "";
        evstore_drop_pending(s);        /* the snapshot holds what they said */
        s->st.snapshots++;
        s->st.bytes += s->sbytes;
        return 0;
}

int evstore_retry(struct evstore *s)
{
        if (s->aside_pending) {
                struct evstore_load ld = { 0 };
                int r = evstore_open_dir(s);
                if (r == 0)
                        r = evstore_aside_file(s, 0, &ld);
                if (r < 0 && r != -ENOENT)
                        return evstore_fail(s, "set aside", r);
                s->aside_pending = false;
        }
        return evstore_snapshot(s);
}

/*
 * The buffered records: one write(), and one fdatasync() when they hold an
 * ADD (REMOVE records alone need none: see evstore_unsynced()).
 */
static int evstore_append(struct evstore *s)
{
        if (s->len == 0)
                return 0;
        int r = evstore_write_all(s->fd, s->buf, s->len);
        if (r < 0)
                return evstore_fail(s, "write", r);
        if (s->pend_adds == 0) {
                s->st.unsynced_writes++;
        } else {
                if (fdatasync(s->fd) < 0)
                        return evstore_fail(s, "fdatasync", -errno);
                s->st.flushes++;
        }
        s->file_adds += s->pend_adds;
        s->file_bytes += s->len;
        s->st.bytes += s->len;
        evstore_drop_pending(s);
        return 0;
}

int evstore_flush(struct evstore *s)
{
        if (s->degraded)
                return 0;
        if (s->need_snap || s->file_adds + s->pend_adds >= s->compact_adds)
                return evstore_snapshot(s);
        return evstore_append(s);
}

bool evstore_degraded(const struct evstore *s)
{
        return s->degraded;
}

int evstore_error(const struct evstore *s)
{
        return s->degraded ? s->err : 0;
}

const char *evstore_error_op(const struct evstore *s)
{
        return s->degraded ? s->op : "";
}

const char *evstore_path(const struct evstore *s)
{
        return s->path;
}

size_t evstore_file_adds(const struct evstore *s)
{
        return s->file_adds;
}

uint64_t evstore_file_bytes(const struct evstore *s)
{
        return s->file_bytes;
}

const struct evstore_stats *evstore_stats(const struct evstore *s)
{
        return &s->st;
}

void evstore_set_compact(struct evstore *s, size_t compact_adds)
{
        s->compact_adds = compact_adds;
}
