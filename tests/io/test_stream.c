/* SPDX-License-Identifier: MIT */
/*
 * The reopening byte pipes (io/pipe.h: serial, TCP client) against real file descriptors: a pty pair driven through the real
 * libserialport (with the test-only ptyshim preloaded) and a TCP listener on
 * loopback.  Every wait is for a condition with a deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>

#include "io/pipe.h"
#include "io/pipe_fd.h"

struct rec {
        unsigned ups;
        unsigned downs;
        int last_err;
        const char *last_what;
        uint8_t data[256];
        size_t len;
};

static void on_up(void *ctx)
{
        ((struct rec *)ctx)->ups++;
}

static void on_data(void *ctx, const uint8_t *p, size_t n)
{
        struct rec *r = ctx;
        if (n > sizeof(r->data) - r->len)
                n = sizeof(r->data) - r->len;
        memcpy(r->data + r->len, p, n);
        r->len += n;
}

static void on_down(void *ctx, int err, const char *what)
{
        struct rec *r = ctx;
        r->downs++;
        r->last_err = err;
        r->last_what = what;
}

static const struct io_pipe_cb cbs = { .on_up = on_up, .on_data = on_data, .on_down = on_down };

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        *(bool *)arg = true;
}

/* Run the loop until cond(arg) holds or 5 s pass; returns whether it held. */
static bool run_until(struct event_base *base, bool (*cond)(void *), void *arg)
{
        bool expired = false;
        struct event *t = evtimer_new(base, deadline_cb, &expired);
        struct timeval tv = { 5, 0 };
        evtimer_add(t, &tv);
        while (!cond(arg) && !expired)
                event_base_loop(base, EVLOOP_ONCE);
        event_free(t);
        return cond(arg);
}

struct want {
        struct rec *r;
        unsigned ups, downs;
        size_t len;
        const struct io_pipe *s;
        uint64_t failures;
};

static bool have_ups(void *a)
{
        struct want *w = a;
        return w->r->ups >= w->ups;
}

static bool have_downs(void *a)
{
        struct want *w = a;
        return w->r->downs >= w->downs;
}

static bool have_len(void *a)
{
        struct want *w = a;
        return w->r->len >= w->len;
}

static bool have_failures(void *a)
{
        struct want *w = a;
        return io_pipe_stats(w->s)->open_failures >= w->failures;
}

static size_t read_fd(int fd, uint8_t *buf, size_t n, size_t want)
{
        size_t got = 0;
        while (got < want) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 5000) <= 0)
                        break;
                ssize_t k = read(fd, buf + got, n - got);
                if (k <= 0)
                        break;
                got += (size_t)k;
        }
        return got;
}

static struct io_pipe_cfg serial_cfg(const char *dev)
{
        struct io_pipe_cfg c = {
                .transport = IO_TRANSPORT_SERIAL,
                .serial = { .device = dev, .baud = 9600, .data_bits = 8,
                            .parity = IO_PARITY_NONE, .stop_bits = 1, .flow = IO_FLOW_NONE },
                .backoff_min_ms = 20,
                .backoff_max_ms = 80,
        };
        return c;
}

/* A serial pipe on dev (backoff 20..80 ms), started, reporting into r. */
static struct io_pipe *serial_start(struct event_base *base, const char *dev, struct rec *r)
{
        struct io_pipe *s;
        struct io_pipe_cfg c = serial_cfg(dev);
        assert_int_equal(io_pipe_open(base, &c, &s), 0);
        io_pipe_set_cb(s, &cbs, r);
        io_pipe_start(s);
        return s;
}

static void test_serial_pty_data_both_ways(void **state)
{
        (void)state;
        int m, sl;
        char name[64];
        assert_int_equal(openpty(&m, &sl, name, NULL, NULL), 0);
        /* A symlink to the pty, as /dev/serial/by-id/... names are. */
        char dir[] = "/tmp/dnp3gw-stream-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char link[128];
        snprintf(link, sizeof(link), "%s/ttyIED", dir);
        assert_int_equal(symlink(name, link), 0);

        struct event_base *base = event_base_new();
        struct rec r = { 0 };
        struct io_pipe *s = serial_start(base, link, &r);
        assert_true(io_pipe_is_up(s));
        assert_int_equal(r.ups, 1);
        assert_string_equal(io_pipe_name(s), link);

        /* IED -> gateway */
        assert_int_equal(write(m, "\x05\x64\x05\xc9", 4), 4);
        struct want w = { .r = &r, .len = 4 };
        assert_true(run_until(base, have_len, &w));
        assert_memory_equal(r.data, "\x05\x64\x05\xc9", 4);

        /* gateway -> IED */
        assert_int_equal(io_pipe_write(s, (const uint8_t *)"\x01\x02\x03", 3), 0);
        event_base_loop(base, EVLOOP_NONBLOCK);
        uint8_t buf[16];
        assert_int_equal(read_fd(m, buf, sizeof(buf), 3), 3);
        assert_memory_equal(buf, "\x01\x02\x03", 3);
        assert_int_equal(io_pipe_stats(s)->rx_bytes, 4);
        assert_int_equal(io_pipe_stats(s)->tx_bytes, 3);

        /* High-water mark: refuse, queue nothing. */
        static uint8_t big[70 * 1024];
        assert_int_equal(io_pipe_write(s, big, sizeof(big)), -ENOBUFS);

        io_pipe_free(s);
        event_base_free(base);
        close(m);
        close(sl);
        unlink(link);
        rmdir(dir);
}

/*
 * A pty pair and a started serial pipe on its slave, reporting into r.  With
 * link (a buffer of PATH_MAX), the pipe opens a symlink to the slave made in
 * a new temporary directory and link gets its path: removing it "unplugs the
 * adapter" for good, whatever process gets the same /dev/pts number next.
 */
static struct io_pipe *serial_on_pty(struct event_base *base, struct rec *r, int *ret_m,
                                     int *ret_sl, char *link)
{
        char name[64];
        assert_int_equal(openpty(ret_m, ret_sl, name, NULL, NULL), 0);
        const char *path = name;
        if (link) {
                char dir[] = "/tmp/dnp3-stream-XXXXXX";
                assert_non_null(mkdtemp(dir));
                snprintf(link, PATH_MAX, "%s/tty", dir);
                assert_int_equal(symlink(name, link), 0);
                path = link;
        }
        struct io_pipe *s = serial_start(base, path, r);
        assert_true(io_pipe_is_up(s));
        assert_int_equal(r->ups, 1);
        return s;
}

/*
 * A tty read that finds nothing (VMIN = VTIME = 0 gives 0, not EAGAIN; a pty
 * can signal readable with nothing left) is not a hangup: the line stays up
 * and the next bytes arrive.  Only IO_FDPIPE_TTY_EOFS zero reads in a row
 * (a line that hung up stays readable) bring it down.
 */
static void test_serial_empty_read_is_not_hangup(void **state)
{
        (void)state;
        int m, sl;
        struct event_base *base = event_base_new();
        struct rec r = { 0 };
        struct io_pipe *s = serial_on_pty(base, &r, &m, &sl, NULL);
        struct io_fdpipe *f = (struct io_fdpipe *)s;    /* the backends embed it first */

        /* a spurious "readable" with nothing to read, twice: still up */
        for (int k = 0; k < IO_FDPIPE_TTY_EOFS - 1; k++) {
                event_active(f->rd, EV_READ, 0);
                event_base_loop(base, EVLOOP_NONBLOCK);
        }
        assert_int_equal(r.downs, 0);
        assert_true(io_pipe_is_up(s));
        assert_int_equal(write(m, "\x05\x64", 2), 2);
        struct want w = { .r = &r, .len = 2 };
        assert_true(run_until(base, have_len, &w));
        assert_memory_equal(r.data, "\x05\x64", 2);

        /* data in between resets the count; then IO_FDPIPE_TTY_EOFS in a row: hung up */
        for (int k = 0; k < IO_FDPIPE_TTY_EOFS; k++) {
                event_active(f->rd, EV_READ, 0);
                event_base_loop(base, EVLOOP_NONBLOCK);
        }
        assert_int_equal(r.downs, 1);
        assert_int_equal(r.last_err, -EIO);
        assert_false(io_pipe_is_up(s));

        io_pipe_free(s);
        event_base_free(base);
        close(m);
        close(sl);
}

static void test_serial_vanishes_then_backoff(void **state)
{
        (void)state;
        int m, sl;
        struct event_base *base = event_base_new();
        struct rec r = { 0 };
        char link[PATH_MAX];
        struct io_pipe *s = serial_on_pty(base, &r, &m, &sl, link);

        /* The "adapter is unplugged": both ends of the pty and its name go
         * away (the name: another process may get the same /dev/pts number). */
        assert_int_equal(unlink(link), 0);
        close(sl);
        close(m);
        struct want w = { .r = &r, .downs = 1 };
        assert_true(run_until(base, have_downs, &w));
        assert_int_equal(r.downs, 1);
        assert_int_equal(r.last_err, -EIO);
        assert_false(io_pipe_is_up(s));
        assert_int_equal(io_pipe_backoff_ms(s), 20);

        /* Meanwhile another line appears (the kernel gives a new pty the
         * lowest free number: most likely the one just freed, as it would to
         * another test's socat pair); it is not ours and must not be opened. */
        int m2, sl2;
        assert_int_equal(openpty(&m2, &sl2, NULL, NULL, NULL), 0);

        /* Reopen attempts fail (the device is gone) with 20, 40, 80, 80 ms
         * backoff; one down callback, no more. */
        w.s = s;
        w.failures = 1;
        assert_true(run_until(base, have_failures, &w));
        assert_int_equal(io_pipe_backoff_ms(s), 40);
        w.failures = 2;
        assert_true(run_until(base, have_failures, &w));
        assert_int_equal(io_pipe_backoff_ms(s), 80);
        w.failures = 3;
        assert_true(run_until(base, have_failures, &w));
        assert_int_equal(io_pipe_backoff_ms(s), 80);
        assert_int_equal(r.downs, 1);
        assert_int_equal(r.ups, 1);
        assert_int_equal(io_pipe_write(s, (const uint8_t *)"x", 1), -ENOTCONN);

        io_pipe_free(s);
        event_base_free(base);
        close(m2);
        close(sl2);
        assert_int_equal(rmdir(dirname(link)), 0);
}

static void test_serial_missing_device_retries(void **state)
{
        (void)state;
        /* A device path that does not exist yet (a USB adapter not plugged in). */
        char dir[] = "/tmp/dnp3gw-stream-XXXXXX";
        assert_non_null(mkdtemp(dir));
        char link[128];
        snprintf(link, sizeof(link), "%s/ttyUSB-later", dir);

        struct event_base *base = event_base_new();
        struct rec r = { 0 };
        struct io_pipe *s = serial_start(base, link, &r);
        assert_false(io_pipe_is_up(s));
        assert_int_equal(io_pipe_stats(s)->open_failures, 1);
        /* reported once, with the reason, so a missing port is never silent */
        assert_int_equal(r.downs, 1);
        assert_int_equal(r.last_err, -ENOENT);

        /* further attempts (20, 40 ms) are counted, not reported again */
        struct want w = { .r = &r, .s = s, .failures = 3 };
        assert_true(run_until(base, have_failures, &w));
        assert_int_equal(r.downs, 1);
        assert_int_equal(r.ups, 0);

        /* the adapter appears: the next attempt opens it */
        int m, sl;
        char name[64];
        assert_int_equal(openpty(&m, &sl, name, NULL, NULL), 0);
        assert_int_equal(symlink(name, link), 0);
        w.ups = 1;
        assert_true(run_until(base, have_ups, &w));
        assert_true(io_pipe_is_up(s));
        assert_int_equal(r.downs, 1);

        io_pipe_free(s);
        event_base_free(base);
        close(m);
        close(sl);
        unlink(link);
        rmdir(dir);
}

/* Whether the tty behind fd is exclusive (TIOCEXCL set by whoever has it open). */
static bool tty_exclusive(int fd)
{
        int v = -1;
        assert_int_equal(ioctl(fd, TIOCGEXCL, &v), 0);
        return v != 0;
}

/*
 * A serial port is owned by one opener (flock + TIOCEXCL, as picocom does):
 * a second pipe on the same port is refused at once with -EBUSY "in use by
 * another process (pid N, NAME)", reported once and retried with backoff like a missing
 * port, while the owner keeps carrying bytes; when the owner lets go (the
 * tty no longer exclusive) the next retry opens it.  On the code before
 * ownership the second pipe opened the port too (two masters on one line).
 */
static void test_serial_port_owned_by_one_pipe(void **state)
{
        (void)state;
        int m, sl;
        struct event_base *base = event_base_new();
        struct rec ra = { 0 }, rb = { 0 };
        struct io_pipe *a = serial_on_pty(base, &ra, &m, &sl, NULL);
        assert_true(tty_exclusive(sl));

        struct io_pipe *b = serial_start(base, io_pipe_name(a), &rb);
        assert_false(io_pipe_is_up(b));
        assert_int_equal(rb.ups, 0);
        assert_int_equal(rb.downs, 1);
        assert_int_equal(rb.last_err, -EBUSY);
        /* the holder named from /proc/locks: here this very process (another descriptor) */
        char want[96];
        snprintf(want, sizeof(want), "in use by another process (pid %ld, test_stream)",
                 (long)getpid());
        assert_string_equal(rb.last_what, want);
        assert_int_equal(io_pipe_stats(b)->open_failures, 1);

        /* retried (20, 40 ms...), counted, not reported again */
        struct want w = { .r = &rb, .s = b, .failures = 3 };
        assert_true(run_until(base, have_failures, &w));
        assert_int_equal(rb.downs, 1);
        assert_int_equal(rb.ups, 0);

        /* the owner is undisturbed: bytes still reach it, and only it */
        assert_int_equal(write(m, "\x05\x64", 2), 2);
        struct want wa = { .r = &ra, .len = 2 };
        assert_true(run_until(base, have_len, &wa));
        assert_memory_equal(ra.data, "\x05\x64", 2);
        assert_int_equal(ra.downs, 0);
        assert_int_equal(rb.len, 0);

        /* the owner goes: the tty is shared again and the next retry takes it */
        io_pipe_free(a);
        assert_false(tty_exclusive(sl));
        w.ups = 1;
        assert_true(run_until(base, have_ups, &w));
        assert_true(io_pipe_is_up(b));
        assert_true(tty_exclusive(sl));
        assert_int_equal(rb.downs, 1);

        io_pipe_free(b);
        assert_false(tty_exclusive(sl));
        event_base_free(base);
        close(m);
        close(sl);
}

/* In a child as nobody (uid/gid 65534): what opening the tty name does, as an exit status. */
enum { OPEN_OK, OPEN_BUSY, OPEN_OTHER, PIPE_REFUSED_IN_USE, PIPE_OTHER, CHILD_SETUP };

static int as_nobody(const char *name, bool through_pipe)
{
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(CHILD_SETUP);
                if (!through_pipe) {
                        int fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);
                        _exit(fd >= 0 ? OPEN_OK : errno == EBUSY ? OPEN_BUSY : OPEN_OTHER);
                }
                struct event_base *base = event_base_new();
                struct rec r = { 0 };
                struct io_pipe *p;
                struct io_pipe_cfg c = serial_cfg(name);
                if (!base || io_pipe_open(base, &c, &p) < 0)
                        _exit(CHILD_SETUP);
                io_pipe_set_cb(p, &cbs, &r);
                io_pipe_start(p);
                char want[96];  /* the holder: the parent */
                snprintf(want, sizeof(want), "in use by another process (pid %ld, test_stream)",
                         (long)getppid());
                _exit(r.downs == 1 && r.last_err == -EBUSY && strcmp(r.last_what, want) == 0
                              ? PIPE_REFUSED_IN_USE
                              : PIPE_OTHER);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        return WEXITSTATUS(st);
}

/*
 * The service runs unprivileged (a dynamic user), and for it the owner's
 * TIOCEXCL is what refuses: open() of the tty fails with EBUSY before any
 * lock is looked at, and a serial pipe reports that as "in use by another
 * process" too.  When the owner lets go, the tty is shared again
 * (TIOCNXCL), so the next unprivileged owner (the restarted daemon) opens
 * it: a pty outlives its users, and without TIOCNXCL its exclusive flag
 * would too.  Needs root (to become nobody): fails otherwise, never skipped.
 */
static void test_serial_exclusive_refuses_unprivileged(void **state)
{
        (void)state;
        if (geteuid() != 0)
                fail_msg("needs root (to become nobody); scripts/test runs as root");
        int m, sl;
        struct event_base *base = event_base_new();
        struct rec r = { 0 };
        struct io_pipe *a = serial_on_pty(base, &r, &m, &sl, NULL);
        const char *name = io_pipe_name(a);
        assert_int_equal(chmod(name, 0666), 0);

        assert_int_equal(as_nobody(name, false), OPEN_BUSY);
        assert_int_equal(as_nobody(name, true), PIPE_REFUSED_IN_USE);

        char kept[sizeof(a->name)];
        snprintf(kept, sizeof(kept), "%s", name);
        io_pipe_free(a);
        assert_int_equal(as_nobody(kept, false), OPEN_OK);

        event_base_free(base);
        close(m);
        close(sl);
}

/*
 * A pty keeps its exclusive flag after the process that set it dies without
 * TIOCNXCL (killed: the watchdog's abort, SIGKILL): while the pty's master
 * lives, an unprivileged opener is refused although nobody holds the port.
 * A privileged owner that takes the port and lets it go clears the flag, so
 * running dnp3poll (or dnp3gwd) once as root frees the port (dnp3gwd(8)).
 */
static void test_serial_stale_exclusive_cleared_by_owner(void **state)
{
        (void)state;
        if (geteuid() != 0)
                fail_msg("needs root (to become nobody); scripts/test runs as root");
        int m, sl;
        char name[64];
        assert_int_equal(openpty(&m, &sl, name, NULL, NULL), 0);
        assert_int_equal(chmod(name, 0666), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {         /* an owner that dies without letting go */
                int fd = open(name, O_RDWR | O_NOCTTY | O_NONBLOCK);
                _exit(fd >= 0 && ioctl(fd, TIOCEXCL) == 0 ? 0 : 1);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        assert_true(tty_exclusive(sl));
        assert_int_equal(as_nobody(name, false), OPEN_BUSY);

        struct event_base *base = event_base_new();
        struct rec r = { 0 };
        struct io_pipe *p = serial_start(base, name, &r);
        assert_true(io_pipe_is_up(p));
        io_pipe_free(p);
        assert_false(tty_exclusive(sl));
        assert_int_equal(as_nobody(name, false), OPEN_OK);

        event_base_free(base);
        close(m);
        close(sl);
}

static int listen_loopback(uint16_t *ret_port)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(a);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
            getsockname(fd, (struct sockaddr *)&a, &len) < 0)
                return -1;
        *ret_port = ntohs(a.sin_port);
        return fd;
}

static int accept_within(int lfd)
{
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        if (poll(&p, 1, 5000) <= 0)
                return -1;
        return accept(lfd, NULL, NULL);
}

static void test_tcp_client_reconnects(void **state)
{
        (void)state;
        uint16_t port = 0;
        int lfd = listen_loopback(&port);
        assert_true(lfd >= 0);

        struct event_base *base = event_base_new();
        struct rec r = { 0 };
        struct io_pipe *s;
        struct io_pipe_cfg c = {
                .transport = IO_TRANSPORT_TCP,
                .tcp = { .host = "127.0.0.1", .port = port },
                .backoff_min_ms = 20,
                .backoff_max_ms = 80,
        };
        assert_int_equal(io_pipe_open(base, &c, &s), 0);
        io_pipe_set_cb(s, &cbs, &r);
        io_pipe_start(s);
        struct want w = { .r = &r, .ups = 1 };
        assert_true(run_until(base, have_ups, &w));
        int cfd = accept_within(lfd);
        assert_true(cfd >= 0);

        assert_int_equal(write(cfd, "abc", 3), 3);
        w.len = 3;
        assert_true(run_until(base, have_len, &w));
        assert_memory_equal(r.data, "abc", 3);

        /* The terminal server drops us: one down, then reconnect. */
        close(cfd);
        w.downs = 1;
        assert_true(run_until(base, have_downs, &w));
        assert_int_equal(r.last_err, -ECONNRESET);
        w.ups = 2;
        assert_true(run_until(base, have_ups, &w));
        cfd = accept_within(lfd);
        assert_true(cfd >= 0);
        assert_int_equal(io_pipe_stats(s)->opens, 2);
        assert_int_equal(io_pipe_stats(s)->losses, 1);

        close(cfd);
        close(lfd);
        io_pipe_free(s);
        event_base_free(base);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_serial_pty_data_both_ways),
                cmocka_unit_test(test_serial_empty_read_is_not_hangup),
                cmocka_unit_test(test_serial_vanishes_then_backoff),
                cmocka_unit_test(test_serial_missing_device_retries),
                cmocka_unit_test(test_serial_port_owned_by_one_pipe),
                cmocka_unit_test(test_serial_exclusive_refuses_unprivileged),
                cmocka_unit_test(test_serial_stale_exclusive_cleared_by_owner),
                cmocka_unit_test(test_tcp_client_reconnects),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
