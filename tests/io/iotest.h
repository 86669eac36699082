/* SPDX-License-Identifier: MIT */
/* Helpers shared by the tests of the outstation adapter (outst_io); include after <cmocka.h>. */
#pragma once

#include <stdint.h>

#include "io/addr.h"
#include "io/outst_io.h"

/* A session: master address 1, 2048-byte fragments, 10 events per class, no points. */
static inline struct outst_cfg iotest_outst_cfg(uint16_t address)
{
        return (struct outst_cfg){
                .address = address,
                .master_address = 1,
                .max_fragment = 2048,
                .max_rx_fragment = 2048,
                .link_timeout_ms = 1000,
                .confirm_timeout_ms = 5000,
                .select_timeout_ms = 5000,
                .cmd_timeout_ms = 5000,
                .event_depth = { 0, 10, 10, 10 },
        };
}

/* cfg's allow-list: the one entry allow (parsed into the caller's *c), or any peer (NULL). */
static inline void iotest_allow(struct outst_io_cfg *cfg, struct io_cidr *c, const char *allow)
{
        if (!allow)
                return;
        assert_int_equal(io_cidr_parse(allow, c), 0);
        cfg->listen.allow = c;
        cfg->listen.n_allow = 1;
}
