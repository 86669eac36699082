/* SPDX-License-Identifier: MIT */
/*
 * The serial-port backend of io/pipe.h: libserialport opens and configures
 * the port, the fd goes to the shared reopening lifecycle (pipe_client.c).
 *
 * A port is owned while open, as picocom and minicom own theirs: before
 * libserialport touches it (its open sets raw mode on the line), a descriptor
 * of our own takes flock(LOCK_EX | LOCK_NB) on the device; once configured
 * the tty is made exclusive (TIOCEXCL: a later open() by anyone without
 * CAP_SYS_ADMIN fails with EBUSY).  Either refusal is -EBUSY, "in use by
 * another process" (IO_PIPE_IN_USE), and the reopening lifecycle treats it
 * like a missing port: reported once, retried with backoff.
 */
#include "io/pipe_client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <libserialport.h>

struct pipe_serial {
        struct io_client c;             /* first */
        struct io_serial_cfg cfg;
        struct sp_port *port;           /* while open */
        int lock_fd;                    /* while open: holds the flock and TIOCEXCL, or -1 */
        char in_use[96];                /* IO_PIPE_IN_USE and the holder, for on_down's what */
};

/* The serial vocabulary (io/serial_names.h) in libserialport's terms; what is not there: none. */
static const enum sp_parity sp_parity[IO_PARITY_MAX] = {
        [IO_PARITY_NONE] = SP_PARITY_NONE, [IO_PARITY_ODD] = SP_PARITY_ODD,
        [IO_PARITY_EVEN] = SP_PARITY_EVEN, [IO_PARITY_MARK] = SP_PARITY_MARK,
        [IO_PARITY_SPACE] = SP_PARITY_SPACE,
};
static const enum sp_flowcontrol sp_flow[IO_FLOW_MAX] = {
        [IO_FLOW_NONE] = SP_FLOWCONTROL_NONE, [IO_FLOW_RTSCTS] = SP_FLOWCONTROL_RTSCTS,
        [IO_FLOW_XONXOFF] = SP_FLOWCONTROL_XONXOFF, [IO_FLOW_DTRDSR] = SP_FLOWCONTROL_DTRDSR,
};

static void port_drop(struct sp_port *port)
{
        sp_close(port);
        sp_free_port(port);
}

/* Give up an open port's lock descriptor: the tty shared again (TIOCNXCL), the flock released. */
static void lock_drop(int fd)
{
        if (fd < 0)
                return;
        (void)ioctl(fd, TIOCNXCL);
        close(fd);
}

/*
 * The process holding a flock() on the file at path, from /proc/locks
 * ("1: FLOCK  ADVISORY  WRITE 1234 00:05:3 0 EOF": pid, then the file's
 * device major:minor in hex and its inode): its pid, or 0 when none is
 * listed (a program that made the tty exclusive without a lock).
 */
static pid_t lock_holder(const char *path)
{
        struct stat st;
        FILE *f = stat(path, &st) == 0 ? fopen("/proc/locks", "re") : NULL;
        if (!f)
                return 0;
        char line[256];
        pid_t pid = 0;
        while (!pid && fgets(line, sizeof(line), f)) {
                char kind[16];
                long p;
                unsigned maj, min;
                unsigned long long ino;
                if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%llu", kind, &p, &maj, &min, &ino) == 5 &&
                    strcmp(kind, "FLOCK") == 0 && maj == major(st.st_dev) &&
                    min == minor(st.st_dev) && ino == st.st_ino && p > 0)
                        pid = (pid_t)p;
        }
        fclose(f);
        return pid;
}

/* "in use by another process", and who when /proc says: " (pid 1234, dnp3gwd)". */
static const char *in_use_what(struct pipe_serial *s, const char *path)
{
        pid_t pid = lock_holder(path);
        if (!pid)
                return IO_PIPE_IN_USE;
        char comm_path[32], comm[32] = "";
        snprintf(comm_path, sizeof(comm_path), "/proc/%ld/comm", (long)pid);
        FILE *f = fopen(comm_path, "re");
        if (f) {        /* another user's may be hidden (the service's ProtectProc=invisible) */
                if (fgets(comm, sizeof(comm), f))
                        comm[strcspn(comm, "\n")] = '\0';
                fclose(f);
        }
        snprintf(s->in_use, sizeof(s->in_use), "%s (pid %ld%s%s)", IO_PIPE_IN_USE, (long)pid,
                 comm[0] ? ", " : "", comm);
        return s->in_use;
}

/*
 * Our own descriptor of the tty at path, flock()ed exclusively: 0 and
 * *ret_fd, or -EBUSY (another process holds the lock, or made the tty
 * exclusive: *ret_what is in_use_what()) or the open's -errno.
 */
static int lock_take(struct pipe_serial *s, const char *path, int *ret_fd, const char **ret_what)
{
        int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        int err = fd < 0 ? -errno : 0;
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
                err = errno == EWOULDBLOCK ? -EBUSY : -errno;
                close(fd);
        }
        if (err == -EBUSY)
                *ret_what = in_use_what(s, path);
        if (err < 0)
                return err;
        *ret_fd = fd;
        return 0;
}

static int serial_open(struct io_client *c, const char **ret_what)
{
        struct pipe_serial *s = (struct pipe_serial *)c;
        /* Follow symlinks (/dev/serial/by-id/...): libserialport wants the tty itself. */
        char real[PATH_MAX];
        if (!realpath(s->c.where, real)) {
                *ret_what = "resolve device";
                return -errno;
        }

        struct sp_port *port = NULL;
        *ret_what = "open";
        int lock = -1;
        int r = lock_take(s, real, &lock, ret_what);
        if (r < 0)
                return r;
        if (sp_get_port_by_name(real, &port) != SP_OK) {
                close(lock);      /* not exclusive yet */
                return -ENODEV;
        }
        if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
                int err = sp_last_error_code();
                sp_free_port(port);
                close(lock);
                return err > 0 ? -err : -EIO;
        }
        *ret_what = "configure";
        const struct io_serial_cfg *k = &s->cfg;
        enum sp_parity parity = (unsigned)k->parity < IO_PARITY_MAX ? sp_parity[k->parity]
                                                                    : SP_PARITY_NONE;
        enum sp_flowcontrol flow = (unsigned)k->flow < IO_FLOW_MAX ? sp_flow[k->flow]
                                                                   : SP_FLOWCONTROL_NONE;
        if (sp_set_baudrate(port, (int)k->baud) != SP_OK || sp_set_bits(port, (int)k->data_bits) != SP_OK ||
            sp_set_parity(port, parity) != SP_OK || sp_set_stopbits(port, (int)k->stop_bits) != SP_OK ||
            sp_set_flowcontrol(port, flow) != SP_OK) {
                port_drop(port);
                close(lock);
                return -EINVAL;
        }
        int fd = -1;
        r = sp_get_port_handle(port, &fd) != SP_OK || fd < 0 ? -EBADF : 0;
        int fl = r < 0 ? -1 : fcntl(fd, F_GETFL);
        if (r == 0 && (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
                r = -errno;
        /* Set last: while it is set, not even our own sp_open() could open the tty;
         * a failure before leaves alone the tty's flag (someone else's, if set). */
        if (r == 0 && ioctl(lock, TIOCEXCL) < 0) {
                r = -errno;
                *ret_what = "make exclusive";
        }
        if (r < 0) {
                port_drop(port);
                close(lock);
                return r;
        }
        s->port = port;         /* the port keeps the fd and closes it */
        s->lock_fd = lock;
        io_client_up(c, fd, false);
        return 0;
}

static void serial_shut(struct io_client *c)
{
        struct pipe_serial *s = (struct pipe_serial *)c;
        if (s->port)
                port_drop(s->port);
        s->port = NULL;
        lock_drop(s->lock_fd);
        s->lock_fd = -1;
}

static const struct io_client_ops serial_ops = {
        .open = serial_open,
        .shut = serial_shut,
        .eof_err = -EIO,
        .eof_what = "hangup",   /* a tty reads end-of-file when its line hangs up */
};

int io_pipe_serial_new(struct event_base *base, const struct io_pipe_cfg *cfg, struct io_pipe **ret)
{
        struct io_client *c;
        int r = io_client_new(sizeof(struct pipe_serial), base, cfg, &serial_ops,
                              cfg->serial.device, &c);
        if (r < 0)
                return r;
        struct pipe_serial *s = (struct pipe_serial *)c;
        s->cfg = cfg->serial;
        s->cfg.device = c->where;
        s->lock_fd = -1;
        snprintf(c->f.pipe.name, sizeof(c->f.pipe.name), "%s", c->where);
        *ret = &c->f.pipe;
        return 0;
}
