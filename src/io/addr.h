/* SPDX-License-Identifier: MIT */
/*
 * Endpoint and CIDR parsing for listen addresses and peer allow-lists.
 * Numeric only (no name lookups): "0.0.0.0:20000", "[::]:20000",
 * "192.0.2.10", "198.51.100.0/24", "2001:db8::/32".
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct io_endpoint {
        struct sockaddr_storage sa;
        socklen_t len;
};

struct io_cidr {
        int family;                 /* AF_INET or AF_INET6 */
        uint8_t addr[16];           /* network address, host bits cleared */
        unsigned prefix;            /* 0..32 or 0..128 */
};

/* "ADDR:PORT" or "[ADDR6]:PORT"; port 1..65535.  0 or -EINVAL. */
int io_endpoint_parse(const char *s, struct io_endpoint *ret);
/* The same address and port: outstations listening there share one socket. */
bool io_endpoint_eq(const struct io_endpoint *a, const struct io_endpoint *b);
/*
 * Two different endpoints that cannot both be bound: the same port, and one
 * address covers the other: "0.0.0.0" every IPv4 address, "[::]" every
 * address (the listener binds it dual-stack), an IPv4-mapped IPv6 address
 * its IPv4 address.  False for equal endpoints and for an empty one (len 0).
 */
bool io_endpoint_overlap(const struct io_endpoint *a, const struct io_endpoint *b);
/* "ADDR" (a single host) or "ADDR/PREFIX".  0 or -EINVAL. */
int io_cidr_parse(const char *s, struct io_cidr *ret);
/* Whether sa (AF_INET, AF_INET6, or an IPv4-mapped IPv6 address) is inside c. */
bool io_cidr_match(const struct io_cidr *c, const struct sockaddr *sa);
/* Whether an allow-list admits sa: some entry matches, or the list is empty (n 0 = any). */
bool io_cidr_allowed(const struct io_cidr *allow, size_t n, const struct sockaddr *sa);
/* An allow-list entry: "192.0.2.10" (a single host) or "198.51.100.0/24" into buf; returns buf. */
char *io_cidr_format(const struct io_cidr *c, char *buf, size_t n);
/* "192.0.2.10" / "2001:db8::1" (without port) into buf; returns buf. */
char *io_addr_format(const struct sockaddr *sa, char *buf, size_t n);
