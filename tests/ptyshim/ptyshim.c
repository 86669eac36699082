/* SPDX-License-Identifier: MIT */
/*
 * Test-only LD_PRELOAD library: lets the real libserialport drive a
 * pseudo-terminal (/dev/pts/N) as if it were a serial port, so tests and the
 * demo need no hardware.  Production code has no pty special case.
 *
 * libserialport 0.1.1 refuses a pty twice (see ../../shared/spec/testing.md):
 *  - sp_get_port_by_name() lstat()s /sys/class/tty/<name> and readlink()s it:
 *    a pty has no such entry.  We answer that it is a symlink to a virtual tty.
 *  - sp_open() reads the modem lines with ioctl(TIOCMGET), which a pty
 *    answers with ENOTTY.  We answer "no lines set" (and accept the matching
 *    TIOCMSET/TIOCMBIS/TIOCMBIC).
 * Everything else is passed through untouched.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define SYS_PTS "/sys/class/tty/pts/"

static int is_sys_pts(const char *path)
{
        return path && strncmp(path, SYS_PTS, strlen(SYS_PTS)) == 0;
}

static void fake_link(struct stat *buf)
{
        memset(buf, 0, sizeof(*buf));
        buf->st_mode = S_IFLNK | 0777;
}

int __lxstat(int ver, const char *path, struct stat *buf);
int __lxstat(int ver, const char *path, struct stat *buf)
{
        static int (*real)(int, const char *, struct stat *);
        if (is_sys_pts(path)) {
                fake_link(buf);
                return 0;
        }
        if (!real)
                real = (int (*)(int, const char *, struct stat *))dlsym(RTLD_NEXT, "__lxstat");
        return real(ver, path, buf);
}

int lstat(const char *path, struct stat *buf)
{
        static int (*real)(const char *, struct stat *);
        if (is_sys_pts(path)) {
                fake_link(buf);
                return 0;
        }
        if (!real)
                real = (int (*)(const char *, struct stat *))dlsym(RTLD_NEXT, "lstat");
        return real(path, buf);
}

ssize_t readlink(const char *path, char *out, size_t n)
{
        static ssize_t (*real)(const char *, char *, size_t);
        if (is_sys_pts(path)) {
                static const char target[] = "../../devices/virtual/tty/pts";
                size_t len = strlen(target) < n ? strlen(target) : n;
                memcpy(out, target, len);
                return (ssize_t)len;
        }
        if (!real)
                real = (ssize_t (*)(const char *, char *, size_t))dlsym(RTLD_NEXT, "readlink");
        return real(path, out, n);
}

int ioctl(int fd, unsigned long req, ...)
{
        static int (*real)(int, unsigned long, ...);
        va_list ap;
        va_start(ap, req);
        void *arg = va_arg(ap, void *);
        va_end(ap);
        if (!real)
                real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
        int r = real(fd, req, arg);
        if (r < 0 && errno == ENOTTY && isatty(fd)) {
                switch (req) {
                case TIOCMGET:
                        if (arg)
                                *(int *)arg = 0;
                        return 0;
                case TIOCMSET:
                case TIOCMBIS:
                case TIOCMBIC:
                        return 0;
                default:
                        break;
                }
        }
        return r;
}
