/* SPDX-License-Identifier: MIT */
/*
 * The serial-port backend of io/pipe.h: libserialport opens and configures
 * the port, the fd goes to the shared reopening lifecycle (pipe_client.c).
 */
#include "io/pipe_client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libserialport.h>

struct pipe_serial {
        struct io_client c;             /* first */
        struct io_serial_cfg cfg;
        struct sp_port *port;           /* while open */
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
        if (sp_get_port_by_name(real, &port) != SP_OK)
                return -ENODEV;
        if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
                int err = sp_last_error_code();
                sp_free_port(port);
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
                return -EINVAL;
        }
        int fd = -1;
        if (sp_get_port_handle(port, &fd) != SP_OK || fd < 0) {
                port_drop(port);
                return -EBADF;
        }
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
                int err = -errno;
                port_drop(port);
                return err;
        }
        s->port = port;         /* the port keeps the fd and closes it */
        io_client_up(c, fd, false);
        return 0;
}

static void serial_shut(struct io_client *c)
{
        struct pipe_serial *s = (struct pipe_serial *)c;
        if (s->port)
                port_drop(s->port);
        s->port = NULL;
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
        snprintf(c->f.pipe.name, sizeof(c->f.pipe.name), "%s", c->where);
        *ret = &c->f.pipe;
        return 0;
}
