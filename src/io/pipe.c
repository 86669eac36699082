/* SPDX-License-Identifier: MIT */
/* The byte-pipe interface: the transport table and what every backend shares. */
#include "io/pipe.h"

#include <errno.h>

#include "dnp3/names.h"

typedef int (*pipe_ctor)(struct event_base *, const struct io_pipe_cfg *, struct io_pipe **);

#define TRANSPORT_NAME(name, text, ctor) [IO_TRANSPORT_##name] = text,
NAMES_DEFINE(io_transport_name, enum io_transport, IO_TRANSPORT_LIST, TRANSPORT_NAME)

static const pipe_ctor transport_ctors[IO_TRANSPORT_MAX] = {
#define X(name, text, ctor) [IO_TRANSPORT_##name] = ctor,
        IO_TRANSPORT_LIST(X)
#undef X
};

int io_pipe_open(struct event_base *base, const struct io_pipe_cfg *cfg, struct io_pipe **ret)
{
        if ((unsigned)cfg->transport >= IO_TRANSPORT_MAX)
                return -EINVAL;
        return transport_ctors[cfg->transport](base, cfg, ret);
}

void io_pipe_set_cb(struct io_pipe *p, const struct io_pipe_cb *cb, void *ctx)
{
        p->cb = *cb;
        p->ctx = ctx;
}

void io_pipe_free(struct io_pipe *p)
{
        if (p)
                p->ops->free(p);
}
