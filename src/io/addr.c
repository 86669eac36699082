/* SPDX-License-Identifier: MIT */
#include "io/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
        if (!*s || *s < '0' || *s > '9')
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

int io_endpoint_parse(const char *s, struct io_endpoint *ret)
{
        char host[INET6_ADDRSTRLEN + 1];
        const char *port;
        struct io_endpoint ep = { 0 };

        if (s[0] == '[') {
                const char *close = strchr(s, ']');
                if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, (size_t)(close - s - 1));
                host[close - s - 1] = 0;
                port = close + 2;
        } else {
                const char *colon = strrchr(s, ':');
                if (!colon || strchr(s, ':') != colon || (size_t)(colon - s) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s, (size_t)(colon - s));
                host[colon - s] = 0;
                port = colon + 1;
        }
        unsigned long p;
        if (parse_uint(port, 65535, &p) < 0 || p == 0)
                return -EINVAL;

        struct sockaddr_in *in4 = (struct sockaddr_in *)&ep.sa;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ep.sa;
        if (s[0] != '[' && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
                in4->sin_family = AF_INET;
                in4->sin_port = htons((uint16_t)p);
                ep.len = sizeof(*in4);
        } else if (s[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t)p);
                ep.len = sizeof(*in6);
        } else {
                return -EINVAL;
        }
        *ret = ep;
        return 0;
}

bool io_endpoint_eq(const struct io_endpoint *a, const struct io_endpoint *b)
{
        return a->len == b->len && a->len > 0 && memcmp(&a->sa, &b->sa, a->len) == 0;
}

/* An endpoint as (family, address, port), an IPv4-mapped IPv6 address as IPv4. */
struct ep_key {
        int family;                 /* 0: not an endpoint */
        uint8_t addr[16];
        uint16_t port;              /* network order */
};

static struct ep_key ep_key(const struct io_endpoint *e)
{
        static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        struct ep_key k = { 0 };

        if (e->len == sizeof(struct sockaddr_in) && e->sa.ss_family == AF_INET) {
                const struct sockaddr_in *in4 = (const struct sockaddr_in *)&e->sa;
                k.family = AF_INET;
                memcpy(k.addr, &in4->sin_addr, 4);
                k.port = in4->sin_port;
        } else if (e->len == sizeof(struct sockaddr_in6) && e->sa.ss_family == AF_INET6) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&e->sa;
                const uint8_t *a = (const uint8_t *)&in6->sin6_addr;
                k.port = in6->sin6_port;
                if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
                        k.family = AF_INET;
                        memcpy(k.addr, a + 12, 4);
                } else {
                        k.family = AF_INET6;
                        memcpy(k.addr, a, 16);
                }
        }
        return k;
}

static bool ep_key_any(const struct ep_key *k)
{
        static const uint8_t zero[16];
        return memcmp(k->addr, zero, k->family == AF_INET ? 4 : 16) == 0;
}

bool io_endpoint_overlap(const struct io_endpoint *a, const struct io_endpoint *b)
{
        struct ep_key x = ep_key(a), y = ep_key(b);

        if (!x.family || !y.family || x.port != y.port || io_endpoint_eq(a, b))
                return false;
        if ((x.family == AF_INET6 && ep_key_any(&x)) || (y.family == AF_INET6 && ep_key_any(&y)))
                return true;            /* dual-stack [::] takes the port for everyone */
        if (x.family != y.family)
                return false;
        return memcmp(x.addr, y.addr, sizeof(x.addr)) == 0 || ep_key_any(&x) || ep_key_any(&y);
}

int io_cidr_parse(const char *s, struct io_cidr *ret)
{
        char host[INET6_ADDRSTRLEN + 1];
        const char *slash = strchr(s, '/');
        size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
        struct io_cidr c = { 0 };
        unsigned long prefix;

        if (hlen == 0 || hlen >= sizeof(host))
                return -EINVAL;
        memcpy(host, s, hlen);
        host[hlen] = 0;
        if (inet_pton(AF_INET, host, c.addr) == 1) {
                c.family = AF_INET;
                prefix = 32;
        } else if (inet_pton(AF_INET6, host, c.addr) == 1) {
                c.family = AF_INET6;
                prefix = 128;
        } else {
                return -EINVAL;
        }
        if (slash && parse_uint(slash + 1, prefix, &prefix) < 0)
                return -EINVAL;
        c.prefix = (unsigned)prefix;
        /* Clear host bits so matching is a plain masked compare. */
        size_t bytes = c.family == AF_INET ? 4 : 16;
        for (size_t i = 0; i < bytes; i++) {
                unsigned keep = c.prefix >= 8 * (i + 1) ? 8 : c.prefix > 8 * i ? c.prefix - 8 * (unsigned)i : 0;
                c.addr[i] &= (uint8_t)(0xff00u >> keep);
        }
        *ret = c;
        return 0;
}

static bool masked_equal(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
        for (unsigned i = 0; prefix > 0; i++) {
                unsigned keep = prefix >= 8 ? 8 : prefix;
                uint8_t mask = (uint8_t)(0xff00u >> keep);
                if ((a[i] & mask) != net[i])
                        return false;
                prefix -= keep;
        }
        return true;
}

bool io_cidr_match(const struct io_cidr *c, const struct sockaddr *sa)
{
        static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

        if (sa->sa_family == AF_INET) {
                const struct sockaddr_in *in4 = (const struct sockaddr_in *)sa;
                if (c->family != AF_INET)
                        return false;
                return masked_equal((const uint8_t *)&in4->sin_addr, c->addr, c->prefix);
        }
        if (sa->sa_family == AF_INET6) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
                const uint8_t *a = (const uint8_t *)&in6->sin6_addr;
                if (c->family == AF_INET6)
                        return masked_equal(a, c->addr, c->prefix);
                /* An IPv4 peer on a dual-stack [::] listener. */
                if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
                        return masked_equal(a + 12, c->addr, c->prefix);
        }
        return false;
}

bool io_cidr_allowed(const struct io_cidr *allow, size_t n, const struct sockaddr *sa)
{
        if (n == 0)
                return true;
        for (size_t i = 0; i < n; i++)
                if (io_cidr_match(&allow[i], sa))
                        return true;
        return false;
}

char *io_addr_format(const struct sockaddr *sa, char *buf, size_t n)
{
        const void *a = NULL;
        if (sa->sa_family == AF_INET)
                a = &((const struct sockaddr_in *)sa)->sin_addr;
        else if (sa->sa_family == AF_INET6)
                a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (!a || !inet_ntop(sa->sa_family, a, buf, (socklen_t)n))
                snprintf(buf, n, "?");
        return buf;
}

char *io_cidr_format(const struct io_cidr *c, char *buf, size_t n)
{
        char a[INET6_ADDRSTRLEN];
        if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
                snprintf(a, sizeof(a), "?");
        if (c->prefix == (c->family == AF_INET ? 32u : 128u))
                snprintf(buf, n, "%s", a);
        else
                snprintf(buf, n, "%s/%u", a, c->prefix);
        return buf;
}
