/* SPDX-License-Identifier: MIT */
/*
 * DNP3 over TLS (IEC 62351-3) at the byte-pipe level, on loopback, with
 * certificates made for this run by tests/tls/mkcerts.sh (argv[1]): the
 * context's file errors and date checks, a TLS listener and a TLS client
 * pipe carrying bytes both ways over TLS 1.2 and 1.3, every refusal with
 * its exact reason (on the listener and on the client), the periodic key
 * update without a drop, back-pressure through TLS, the re-verification of
 * a connected peer, and truncated and garbage handshakes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "io/listener.h"
#include "io/outst_ep.h"
#include "io/pipe.h"
#include "io/tls.h"

static const char *mkcerts;
static char dir[256];

/* ---- certificates and contexts --------------------------------------------- */

static const char *path(const char *name)
{
        static char buf[8][512];
        static unsigned i;
        char *b = buf[i++ % 8];
        snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
        return b;
}

static int setup_certs(void **state)
{
        (void)state;
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/test_tls.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(dir))
                return -1;
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "sh '%s' '%s'", mkcerts, dir);
        return system(cmd) == 0 ? 0 : -1;
}

static int teardown_certs(void **state)
{
        (void)state;
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* A context from name.crt/name.key, the CA, an optional CRL and allow list. */
struct ctxopt {
        const char *ca;                 /* default ca.crt */
        const char *crl;
        const char *allow[2];
        enum io_tls_version min;
        bool exact;
        uint64_t renegotiate_ms;
        uint32_t handshake_ms;
};

static struct io_tls *ctx_of(const char *name, const struct ctxopt *o)
{
        static const struct ctxopt none;
        if (!o)
                o = &none;
        char crt[64], key[64];
        snprintf(crt, sizeof(crt), "%s.crt", name);
        snprintf(key, sizeof(key), "%s.key", name);
        size_t n = o->allow[1] ? 2 : o->allow[0] ? 1 : 0;
        struct io_tls_cfg cfg = {
                .certificate = path(crt),
                .private_key = path(key),
                .ca = path(o->ca ? o->ca : "ca.crt"),
                .crl = o->crl ? path(o->crl) : "",
                .allow = o->allow,
                .n_allow = n,
                .min_version = o->min,
                .exact_version = o->exact,
                .renegotiate_ms = o->renegotiate_ms,
                .handshake_ms = o->handshake_ms,
        };
        struct io_tls *t = NULL;
        struct io_tls_err e;
        int r = io_tls_new(&cfg, &t, &e);
        if (r < 0)
                fail_msg("io_tls_new(%s): %s: %s", name, io_tls_field_name(e.field), e.text);
        return t;
}

/* "SHA256:AA:..." of a certificate file, as `openssl x509 -fingerprint` prints it. */
static void fingerprint(const char *name, char *out, size_t n)
{
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "openssl x509 -noout -fingerprint -sha256 -in '%s'", path(name));
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char line[256] = "";
        assert_non_null(fgets(line, sizeof(line), p));
        pclose(p);
        char *eq = strchr(line, '=');
        assert_non_null(eq);
        eq[strcspn(eq, "\n")] = 0;
        snprintf(out, n, "SHA256:%s", eq + 1);
}

/* ---- the loop ---------------------------------------------------------------- */

static void expire(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        *(bool *)arg = true;
}

/* Run until *flag (or 5 s): the loop passes it took, or fail. */
static unsigned run_until(struct event_base *base, const bool *flag)
{
        bool expired = false;
        unsigned passes = 0;
        struct event *t = evtimer_new(base, expire, &expired);
        struct timeval tv = { 5, 0 };
        evtimer_add(t, &tv);
        while (!*flag && !expired) {
                event_base_loop(base, EVLOOP_ONCE);
                passes++;
        }
        event_free(t);
        assert_true(*flag);
        return passes;
}

/* Run the loop for ms. */
static void run_for(struct event_base *base, unsigned ms)
{
        bool expired = false;
        struct event *t = evtimer_new(base, expire, &expired);
        struct timeval tv = { 0, (suseconds_t)ms * 1000 };
        evtimer_add(t, &tv);
        while (!expired)
                event_base_loop(base, EVLOOP_ONCE);
        event_free(t);
}

/* ---- one end: what a pipe reported -------------------------------------------- */

struct end {
        struct io_pipe *p;
        const char *greet;              /* written at once when up (as a master's first request) */
        bool up, down, drained;
        int err;
        char what[300];
        uint8_t *data;
        size_t len, cap;
};

static void e_up(void *ctx)
{
        struct end *e = ctx;
        e->up = true;
        if (e->greet)
                assert_int_equal(io_pipe_write(e->p, (const uint8_t *)e->greet,
                                               strlen(e->greet)), 0);
}

static void e_data(void *ctx, const uint8_t *b, size_t n)
{
        struct end *e = ctx;
        if (e->len + n > e->cap) {
                e->cap = (e->len + n) * 2;
                e->data = realloc(e->data, e->cap);
                assert_non_null(e->data);
        }
        memcpy(e->data + e->len, b, n);
        e->len += n;
}

static void e_drained(void *ctx)
{
        ((struct end *)ctx)->drained = true;
}

static void e_down(void *ctx, int err, const char *what)
{
        struct end *e = ctx;
        e->down = true;
        e->err = err;
        snprintf(e->what, sizeof(e->what), "%s", what);
}

static const struct io_pipe_cb end_cbs = { e_up, e_data, e_drained, e_down };

/* The listener side: connections accepted, refusals. */
struct srv {
        struct io_listener *l;
        struct end conn;
        bool accepted, refused;
        unsigned n_refused;
        struct io_tls_refusal r;
        char peer[64];
};

static void s_accept(void *ctx, struct io_pipe *c, const struct sockaddr *peer)
{
        struct srv *s = ctx;
        (void)peer;
        assert_false(s->accepted);
        s->accepted = true;
        s->conn.p = c;
        s->conn.up = true;
        io_pipe_set_cb(c, &end_cbs, &s->conn);
}

static void s_refused(void *ctx, const struct sockaddr *peer, const struct io_tls_refusal *r)
{
        struct srv *s = ctx;
        s->refused = true;
        s->n_refused++;
        s->r = *r;
        io_addr_format(peer, s->peer, sizeof(s->peer));
}

static void srv_start(struct event_base *base, struct srv *s, struct io_tls *t)
{
        struct io_listener_cfg cfg = { .tls = t };
        struct sockaddr_in *in = (struct sockaddr_in *)&cfg.ep.sa;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cfg.ep.len = sizeof(*in);
        static const struct io_listener_cb cbs = { .on_accept = s_accept,
                                                   .on_tls_refused = s_refused };
        assert_int_equal(io_listener_new(base, &cfg, &cbs, s, &s->l), 0);
}

static void end_free(struct end *e)
{
        io_pipe_free(e->p);
        free(e->data);
        *e = (struct end){ 0 };
}

static void srv_stop(struct event_base *base, struct srv *s)
{
        end_free(&s->conn);
        io_listener_free(s->l);
        event_base_loop(base, EVLOOP_NONBLOCK);         /* the connection's release */
}

/* A TLS (or plain: t NULL) client pipe to the listener's port, started. */
static void cli_start(struct event_base *base, struct end *c, uint16_t port, struct io_tls *t)
{
        struct io_pipe_cfg cfg = {
                .transport = IO_TRANSPORT_TCP,
                .tcp = { .host = "127.0.0.1", .port = port, .tls = t },
                .backoff_min_ms = 60000,        /* one attempt in a test */
        };
        assert_int_equal(io_pipe_open(base, &cfg, &c->p), 0);
        io_pipe_set_cb(c->p, &end_cbs, c);
        io_pipe_start(c->p);
}

static int tcp_connect(uint16_t port)
{
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        return fd;
}

/* ---- the context ---------------------------------------------------------------- */

struct bad_case {
        const char *crt, *key, *ca, *crl, *allow, *ciphers;
        int err;
        enum io_tls_field field;
        const char *text;               /* the whole text; a leading '*' : its tail */
};

/* dnp3gwd -t needs the key of the block and the reason for each bad file or entry. */
static void test_tls_new_errors(void **state)
{
        (void)state;
        char mismatch[300], notpem[300], nocrl[300];
        snprintf(mismatch, sizeof(mismatch), "%s does not match the certificate",
                 path("master-a.key"));
        snprintf(notpem, sizeof(notpem), "%s: no PEM certificate", path("ca.cnf"));
        snprintf(nocrl, sizeof(nocrl), "%s: issuer /CN=another CA is not a certificate of ca",
                 path("crl-other.pem"));
        /* a CRL of the other CA: made here from the other CA's database */
        char cmd[800];
        snprintf(cmd, sizeof(cmd), "cd '%s' && openssl ca -config other-ca.cnf -gencrl "
                 "-out crl-other.pem 2>/dev/null", dir);
        assert_int_equal(system(cmd), 0);
        const struct bad_case cases[] = {
                { "nonexistent.crt", "gateway.key", "ca.crt", NULL, NULL, NULL, -ENOENT,
                  IO_TLS_FIELD_CERTIFICATE, "*nonexistent.crt: No such file or directory" },
                { "gateway.crt", "master-a.key", "ca.crt", NULL, NULL, NULL, -EINVAL,
                  IO_TLS_FIELD_PRIVATE_KEY, mismatch },
                { "gateway.crt", "gateway.key", "ca.cnf", NULL, NULL, NULL, -EINVAL,
                  IO_TLS_FIELD_CA, notpem },
                { "gateway.crt", "gateway.key", "ca.crt", "crl-other.pem", NULL, NULL, -EINVAL,
                  IO_TLS_FIELD_CRL, nocrl },
                { "gateway.crt", "gateway.key", "ca.crt", NULL, "SHA256:4F:2A", NULL, -EINVAL,
                  IO_TLS_FIELD_ALLOW,
                  "\"SHA256:4F:2A\": a SHA256 fingerprint is 32 bytes in hex (SHA256:4F:2A:...)" },
                { "gateway.crt", "gateway.key", "ca.crt", NULL, "OU=scada", NULL, -EINVAL,
                  IO_TLS_FIELD_ALLOW,
                  "\"OU=scada\": expected \"CN=name\" or \"SHA256:AA:BB:...\"" },
                { "gateway.crt", "gateway.key", "ca.crt", NULL, NULL, "NO-SUCH-CIPHER", -EINVAL,
                  IO_TLS_FIELD_CIPHERS, "no TLS 1.2 cipher suite in \"NO-SUCH-CIPHER\"" },
                { "gateway.crt", "gateway.key", "ca.crt", NULL, NULL, "TLS_NO_SUCH", -EINVAL,
                  IO_TLS_FIELD_CIPHERS, "no TLS 1.3 cipher suite in \"TLS_NO_SUCH\"" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct bad_case *c = &cases[i];
                const char *allow[2] = { "CN=master-a", c->allow };
                struct io_tls_cfg cfg = {
                        .certificate = path(c->crt),
                        .private_key = path(c->key),
                        .ca = path(c->ca),
                        .crl = c->crl ? path(c->crl) : NULL,
                        .allow = allow,
                        .n_allow = c->allow ? 2 : 1,
                        .ciphers = c->ciphers,
                };
                struct io_tls *t = (struct io_tls *)&cfg;       /* untouched on error */
                struct io_tls_err e;
                assert_int_equal(io_tls_new(&cfg, &t, &e), c->err);
                assert_ptr_equal(t, (struct io_tls *)&cfg);
                assert_string_equal(io_tls_field_name(e.field), io_tls_field_name(c->field));
                if (c->text[0] == '*') {
                        size_t tl = strlen(c->text + 1), el = strlen(e.text);
                        assert_true(el >= tl);
                        assert_string_equal(e.text + el - tl, c->text + 1);
                } else {
                        assert_string_equal(e.text, c->text);
                }
                if (c->field == IO_TLS_FIELD_ALLOW)
                        assert_int_equal(e.index, 1);
        }
        enum io_tls_version v;
        assert_int_equal(io_tls_version_parse("1.3", &v), 0);
        assert_int_equal(v, IO_TLS_1_3);
        assert_int_equal(io_tls_version_parse("1.2", &v), 0);
        assert_int_equal(v, IO_TLS_1_2);
        assert_int_equal(io_tls_version_parse("1.1", &v), -EINVAL);
        assert_string_equal(io_tls_version_name(IO_TLS_1_3), "1.3");
}

/* dnp3gwd -t: our certificate and the CA inside their validity; days to expiry. */
static void test_tls_check_dates(void **state)
{
        (void)state;
        time_t now = time(NULL);
        struct io_tls_err e;
        struct io_tls *t = ctx_of("gateway", &(struct ctxopt){ .crl = "crl.pem" });
        assert_int_equal(io_tls_check(t, now, &e), 0);
        time_t end = io_tls_not_after(t);
        /* mkcerts: 3650 days from about now */
        assert_true(end > now + 3649 * 86400 && end <= now + 3650 * 86400 + 60);
        assert_int_equal(io_tls_days_left(t, end - 30 * 86400), 30);
        assert_int_equal(io_tls_days_left(t, end - 30 * 86400 + 1), 29);
        assert_int_equal(io_tls_days_left(t, end), 0);
        assert_int_equal(io_tls_days_left(t, end + 1), -1);
        assert_int_equal(io_tls_check(t, end + 1, &e), -EKEYEXPIRED);
        assert_int_equal(e.field, IO_TLS_FIELD_CERTIFICATE);
        io_tls_free(t);

        t = ctx_of("expired", NULL);
        assert_int_equal(io_tls_check(t, now, &e), -EKEYEXPIRED);
        assert_int_equal(e.field, IO_TLS_FIELD_CERTIFICATE);
        assert_string_equal(e.text, "CN=master-expired expired on 2021-01-01 00:00:00 UTC");
        /* before its start */
        assert_int_equal(io_tls_check(t, 1500000000, &e), -EKEYEXPIRED);
        assert_string_equal(e.text, "CN=master-expired not valid before 2020-01-01 00:00:00 UTC");
        io_tls_free(t);

        t = ctx_of("gateway", &(struct ctxopt){ .ca = "old-ca.crt" });
        assert_int_equal(io_tls_check(t, now, &e), -EKEYEXPIRED);
        assert_int_equal(e.field, IO_TLS_FIELD_CA);
        assert_string_equal(e.text, "CN=an expired CA expired on 2021-01-01 00:00:00 UTC");
        io_tls_free(t);

        /* a CRL past its next update: every peer of that CA would be refused */
        char cmd[800];
        snprintf(cmd, sizeof(cmd), "cd '%s' && openssl ca -config ca.cnf -gencrl -crldays 1 "
                 "-out crl-1day.pem 2>/dev/null", dir);
        assert_int_equal(system(cmd), 0);
        t = ctx_of("gateway", &(struct ctxopt){ .crl = "crl-1day.pem" });
        assert_int_equal(io_tls_check(t, now, &e), 0);
        assert_int_equal(io_tls_check(t, now + 2 * 86400, &e), -EKEYEXPIRED);
        assert_int_equal(e.field, IO_TLS_FIELD_CRL);
        assert_true(strncmp(e.text, "the CRL of /CN=dnp3gw test CA expired on ", 41) == 0);
        assert_true(strstr(e.text, " UTC (its next update)") != NULL);
        io_tls_free(t);
}

/* ---- connections ------------------------------------------------------------------ */

struct pair {
        struct event_base *base;
        struct srv s;
        struct end c;
};

/* Listener with server ctx st, client with ct; run until the client is up and accepted. */
static void pair_connect(struct pair *p, struct io_tls *st, struct io_tls *ct)
{
        p->base = event_base_new();
        srv_start(p->base, &p->s, st);
        cli_start(p->base, &p->c, io_listener_port(p->s.l), ct);
        run_until(p->base, &p->c.up);
        run_until(p->base, &p->s.accepted);
        assert_true(io_pipe_is_tls(p->c.p));
        assert_true(io_pipe_is_tls(p->s.conn.p));
}

static void pair_free(struct pair *p)
{
        end_free(&p->c);
        srv_stop(p->base, &p->s);
        event_base_free(p->base);
}

/* Write n pattern bytes from a to b in chunks (high water respected) and check them. */
static void stream(struct pair *p, struct end *a, struct end *b, size_t n, uint8_t seed)
{
        size_t start = b->len;
        size_t sent = 0;
        uint8_t chunk[1500];
        while (sent < n || b->len - start < n) {
                while (sent < n) {
                        size_t k = n - sent < sizeof(chunk) ? n - sent : sizeof(chunk);
                        for (size_t i = 0; i < k; i++)
                                chunk[i] = (uint8_t)(seed + (sent + i) * 7);
                        int r = io_pipe_write(a->p, chunk, k);
                        if (r == -ENOBUFS)
                                break;
                        assert_int_equal(r, 0);
                        sent += k;
                }
                event_base_loop(p->base, EVLOOP_ONCE);
                if (a->down || b->down)
                        fail_msg("dropped: %s / %s", a->what, b->what);
        }
        assert_int_equal(b->len - start, n);
        for (size_t i = 0; i < n; i++)
                if (b->data[start + i] != (uint8_t)(seed + i * 7))
                        fail_msg("byte %zu differs", i);
}

/* Mutual authentication over TLS 1.3: both peers known by CN, bytes both ways intact. */
static void test_tls13_bytes_both_ways(void **state)
{
        (void)state;
        struct io_tls *st = ctx_of("gateway", &(struct ctxopt){ .allow = { "CN=master-a" },
                                                                 .crl = "crl.pem",
                                                                 .min = IO_TLS_1_3 });
        struct io_tls *ct = ctx_of("master-a", &(struct ctxopt){ .allow = { "CN=gateway" } });
        struct pair p = { 0 };
        pair_connect(&p, st, ct);
        io_tls_free(st);        /* the listener and the pipes keep their references */
        io_tls_free(ct);
        assert_string_equal(io_pipe_tls_version(p.c.p), "TLSv1.3");
        assert_string_equal(io_pipe_tls_cipher(p.c.p), "TLS_AES_128_GCM_SHA256");
        assert_string_equal(io_pipe_tls_peer(p.c.p), "/CN=gateway");
        assert_string_equal(io_pipe_tls_peer(p.s.conn.p), "/CN=master-a");
        assert_string_equal(io_pipe_name(p.s.conn.p), "127.0.0.1");
        /* a DNP3 request and a response larger than a TLS record */
        stream(&p, &p.c, &p.s.conn, 25, 1);
        stream(&p, &p.s.conn, &p.c, 70000, 2);
        assert_int_equal(io_pipe_stats(p.c.p)->rx_bytes, 70000);
        assert_int_equal(io_pipe_stats(p.s.conn.p)->tx_bytes, 70000);
        /* a close from one side is a clean end for the other */
        io_pipe_close(p.c.p, -ECONNRESET, "test");
        run_until(p.base, &p.s.conn.down);
        assert_int_equal(p.s.conn.err, -ECONNRESET);
        assert_string_equal(p.s.conn.what, "closed by peer");
        pair_free(&p);
}

/* TLS 1.2 (the client offers only 1.2): the IEC 62351-3 default suite is ECDHE with AES-GCM. */
static void test_tls12_bytes_both_ways(void **state)
{
        (void)state;
        struct io_tls *st = ctx_of("gateway", &(struct ctxopt){ .allow = { "CN=master-a" } });
        struct io_tls *ct = ctx_of("master-a", &(struct ctxopt){ .exact = true });
        struct pair p = { 0 };
        pair_connect(&p, st, ct);
        io_tls_free(st);
        io_tls_free(ct);
        assert_string_equal(io_pipe_tls_version(p.s.conn.p), "TLSv1.2");
        assert_string_equal(io_pipe_tls_cipher(p.s.conn.p), "ECDHE-ECDSA-AES128-GCM-SHA256");
        stream(&p, &p.c, &p.s.conn, 4000, 3);
        stream(&p, &p.s.conn, &p.c, 4000, 4);
        pair_free(&p);
}

/* ---- refusals ---------------------------------------------------------------------- */

struct refusal_case {
        const char *client;             /* the client's certificate */
        struct ctxopt sopt, copt;
        enum io_tls_why why;
        const char *text;               /* the listener's text; NULL: built by the test */
        const char *alert;              /* what the client hears */
};

/* One refused handshake: the listener reports it once with the peer address and the reason. */
static void refused_once(const struct refusal_case *c, const char *text)
{
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", &c->sopt);
        struct io_tls *ct = ctx_of(c->client, &c->copt);
        srv_start(base, &s, st);
        /*
         * The client writes as soon as it is up (TLS 1.3: before the server
         * has checked its certificate): the server still gets the alert to
         * it (it drains what the client sent before it closes: no reset).
         */
        struct end cl = { .greet = "a DNP3 request" };
        cli_start(base, &cl, io_listener_port(s.l), ct);
        run_until(base, &s.refused);
        run_until(base, &cl.down);
        run_for(base, 50);
        assert_false(s.accepted);
        assert_int_equal(s.n_refused, 1);
        assert_int_equal(io_listener_tls_refused(s.l), 1);
        assert_string_equal(s.peer, "127.0.0.1");
        assert_string_equal(io_tls_why_name(s.r.why), io_tls_why_name(c->why));
        assert_string_equal(s.r.text, text ? text : c->text);
        /*
         * The client learns it from the alert: TLS 1.2 during its handshake
         * (a failed open), TLS 1.3 at its first read after it (the server
         * checks the client's certificate after the client finished).
         */
        char ctext[300];
        snprintf(ctext, sizeof(ctext), "TLS: refused by the peer (alert %s)", c->alert);
        if (strcmp(cl.what, ctext) != 0)
                fail_msg("client: %d up %d \"%s\"", cl.err, cl.up, cl.what);
        bool tls13 = !c->copt.exact;
        assert_int_equal(cl.up, tls13);
        assert_int_equal(cl.err, tls13 ? -EPROTO : -EPERM);
        end_free(&cl);
        srv_stop(base, &s);
        io_tls_free(st);
        io_tls_free(ct);
        event_base_free(base);
}

/* A master whose certificate is expired, revoked, from another CA or not allowed is refused. */
static void test_tls_refusals(void **state)
{
        (void)state;
        char fpr_b[200], not_allowed[300];
        fingerprint("master-b.crt", fpr_b, sizeof(fpr_b));
        snprintf(not_allowed, sizeof(not_allowed),
                 "certificate not on the allow list (CN=master-b %s)", fpr_b);
        char fpr_a[200];
        fingerprint("master-a.crt", fpr_a, sizeof(fpr_a));
        const struct refusal_case cases[] = {
                { "expired", { .crl = "crl.pem" }, { 0 }, IO_TLS_WHY_EXPIRED,
                  "certificate expired (CN=master-expired, not after 2021-01-01 00:00:00 UTC)",
                  "certificate expired" },
                { "revoked", { .crl = "crl.pem" }, { 0 }, IO_TLS_WHY_REVOKED,
                  "certificate revoked (CN=master-revoked)", "certificate revoked" },
                { "other", { 0 }, { 0 }, IO_TLS_WHY_UNTRUSTED,
                  "certificate does not chain to the CA (CN=master-a: unable to get local "
                  "issuer certificate)", "unknown CA" },
                /* by fingerprint: master-a's only; master-b is signed by the CA but not listed */
                { "master-b", { .allow = { "CN=someone-else", fpr_a } }, { 0 },
                  IO_TLS_WHY_NOT_ALLOWED, NULL, "handshake failure" },
                /* TLS 1.2 to a 1.3-only endpoint */
                { "master-a", { .min = IO_TLS_1_3 }, { .exact = true }, IO_TLS_WHY_VERSION,
                  "TLS version below min_version (peer offers TLSv1.2)", "protocol version" },
                /* over TLS 1.2 too */
                { "revoked", { .crl = "crl.pem" }, { .exact = true }, IO_TLS_WHY_REVOKED,
                  "certificate revoked (CN=master-revoked)", "certificate revoked" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                refused_once(&cases[i], cases[i].text ? NULL : not_allowed);
}

/* A name from a certificate goes into the log and JSON: quotes and backslashes become '?'. */
static void test_tls_names_cleaned(void **state)
{
        (void)state;
        char fpr[200], text[300];
        fingerprint("quoted.crt", fpr, sizeof(fpr));
        snprintf(text, sizeof(text), "certificate not on the allow list (CN=master ?quoted?? %s)",
                 fpr);
        const struct refusal_case c = { "quoted", { .allow = { "CN=master-a" } }, { 0 },
                                        IO_TLS_WHY_NOT_ALLOWED, NULL, "handshake failure" };
        refused_once(&c, text);
        /* and the peer's subject of an admitted one */
        struct io_tls *st = ctx_of("gateway", NULL);
        struct io_tls *ct = ctx_of("quoted", NULL);
        struct pair p = { 0 };
        pair_connect(&p, st, ct);
        assert_string_equal(io_pipe_tls_peer(p.s.conn.p), "/CN=master ?quoted??");
        io_tls_free(st);
        io_tls_free(ct);
        pair_free(&p);
}

/* The client side refuses a server it does not trust: the reason is the pipe's on_down what. */
static void test_tls_client_refuses_server(void **state)
{
        (void)state;
        char fpr_g[200], text[300];
        fingerprint("gateway.crt", fpr_g, sizeof(fpr_g));
        snprintf(text, sizeof(text), "TLS: certificate not on the allow list (CN=gateway %s)",
                 fpr_g);
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", NULL);
        struct io_tls *ct = ctx_of("master-a", &(struct ctxopt){ .allow = { "CN=ied" } });
        srv_start(base, &s, st);
        struct end cl = { 0 };
        cli_start(base, &cl, io_listener_port(s.l), ct);
        run_until(base, &cl.down);
        run_until(base, &s.refused);
        assert_false(cl.up);
        assert_int_equal(cl.err, -EPERM);
        assert_string_equal(cl.what, text);
        assert_int_equal(io_pipe_stats(cl.p)->open_failures, 1);
        assert_int_equal(s.r.why, IO_TLS_WHY_PEER_REFUSED);
        assert_string_equal(s.r.text, "refused by the peer (alert handshake failure)");
        end_free(&cl);
        srv_stop(base, &s);
        io_tls_free(st);
        io_tls_free(ct);
        event_base_free(base);
}

/* A raw TLS client without a certificate (the kind `openssl s_client` is without -cert). */
struct raw {
        SSL_CTX *ctx;
        SSL *ssl;
        int fd;
        struct event *ev_r, *ev_w;
        bool done;
        int result;
};

static void raw_step(evutil_socket_t fd, short what, void *arg)
{
        struct raw *r = arg;
        (void)fd;
        (void)what;
        int ret = SSL_do_handshake(r->ssl);
        if (ret == 1) {
                /* TLS 1.3: the server's verdict on our (missing) certificate comes next */
                uint8_t b[16];
                ret = SSL_read(r->ssl, b, sizeof(b));
        }
        int e = SSL_get_error(r->ssl, ret);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                event_add(e == SSL_ERROR_WANT_READ ? r->ev_r : r->ev_w, NULL);
                return;
        }
        ERR_clear_error();
        r->done = true;
        r->result = ret;
}

/* A raw client on fd (connected), or on a new connection to port when fd < 0. */
static void raw_start_fd(struct event_base *base, struct raw *r, int fd, uint16_t port,
                         int max_version, const char *name)
{
        r->ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_max_proto_version(r->ctx, max_version);
        if (name) {
                char crt[64], key[64];
                snprintf(crt, sizeof(crt), "%s.crt", name);
                snprintf(key, sizeof(key), "%s.key", name);
                assert_int_equal(SSL_CTX_use_certificate_file(r->ctx, path(crt), SSL_FILETYPE_PEM), 1);
                assert_int_equal(SSL_CTX_use_PrivateKey_file(r->ctx, path(key), SSL_FILETYPE_PEM), 1);
        }
        r->fd = fd >= 0 ? fd : tcp_connect(port);
        fcntl(r->fd, F_SETFL, O_NONBLOCK);
        r->ssl = SSL_new(r->ctx);
        SSL_set_fd(r->ssl, r->fd);
        SSL_set_connect_state(r->ssl);
        r->ev_r = event_new(base, r->fd, EV_READ, raw_step, r);
        r->ev_w = event_new(base, r->fd, EV_WRITE, raw_step, r);
        event_active(r->ev_w, EV_WRITE, 0);
}

static void raw_start(struct event_base *base, struct raw *r, uint16_t port, int max_version,
                      const char *name)
{
        raw_start_fd(base, r, -1, port, max_version, name);
}

static void raw_free(struct raw *r)
{
        event_free(r->ev_r);
        event_free(r->ev_w);
        SSL_free(r->ssl);
        SSL_CTX_free(r->ctx);
        close(r->fd);
}

/* A peer without a certificate is refused during the handshake, over TLS 1.3 and 1.2. */
static void test_tls_no_client_cert(void **state)
{
        (void)state;
        const int versions[] = { TLS1_3_VERSION, TLS1_2_VERSION };
        for (size_t i = 0; i < 2; i++) {
                struct event_base *base = event_base_new();
                struct srv s = { 0 };
                struct io_tls *st = ctx_of("gateway", NULL);
                srv_start(base, &s, st);
                struct raw r = { 0 };
                raw_start(base, &r, io_listener_port(s.l), versions[i], NULL);
                run_until(base, &s.refused);
                run_until(base, &r.done);
                assert_true(r.result <= 0);
                assert_false(s.accepted);
                assert_int_equal(s.r.why, IO_TLS_WHY_NO_CERT);
                assert_string_equal(s.r.text, "no peer certificate");
                raw_free(&r);
                srv_stop(base, &s);
                io_tls_free(st);
                event_base_free(base);
        }
}

/* A peer that resets the connection: the pipe goes down with the error (and no SIGPIPE). */
static void test_tls_peer_reset(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", NULL);
        srv_start(base, &s, st);
        struct raw r = { 0 };
        raw_start(base, &r, io_listener_port(s.l), TLS1_3_VERSION, "master-a");
        run_until(base, &s.accepted);
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };
        assert_int_equal(setsockopt(r.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
        raw_free(&r);                           /* a reset */
        static const uint8_t rsp[] = "a DNP3 response";
        for (unsigned i = 0; i < 100 && !s.conn.down; i++) {
                int w = io_pipe_write(s.conn.p, rsp, sizeof(rsp));
                assert_true(w == 0 || w == -EPIPE || w == -ECONNRESET);
                event_base_loop(base, EVLOOP_ONCE);
        }
        assert_true(s.conn.down);
        assert_true(s.conn.err == -EPIPE || s.conn.err == -ECONNRESET);
        srv_stop(base, &s);
        io_tls_free(st);
        event_base_free(base);
}

/* Plain TCP to a TLS endpoint: refused at its first byte, named as plain DNP3. */
/*
 * TLS to a plain endpoint: a ClientHello opens a handshake record (0x16, then
 * the version's major byte 0x03); a DNP3 link frame opens 0x05 0x64.
 */
static void test_tls_hello_on_plain(void **state)
{
        (void)state;
        static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0xc8, 0x01 };
        static const uint8_t dnp3[] = { 0x05, 0x64, 0x05, 0xc9 };
        static const uint8_t other[] = { 0x16, 0x05 };
        struct io_tls_refusal r = { .why = IO_TLS_WHY_MAX };
        assert_true(io_tls_hello_on_plain(hello, sizeof(hello), &r));
        assert_int_equal(r.why, IO_TLS_WHY_PLAIN_ENDPOINT);
        assert_string_equal(r.text,
                            "TLS on a plain endpoint (a TLS handshake record: a ClientHello)");
        assert_true(io_tls_hello_on_plain(hello, 1, &r));       /* 0x16 alone: no DNP3 frame */
        r.why = IO_TLS_WHY_MAX;
        assert_false(io_tls_hello_on_plain(dnp3, sizeof(dnp3), &r));
        assert_false(io_tls_hello_on_plain(other, sizeof(other), &r));
        assert_false(io_tls_hello_on_plain(hello, 0, &r));
        assert_int_equal(r.why, IO_TLS_WHY_MAX);                /* untouched when false */
}

static void test_tls_plain_to_tls(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", NULL);
        srv_start(base, &s, st);
        int fd = tcp_connect(io_listener_port(s.l));
        static const uint8_t req[] = { 0x05, 0x64, 0x05, 0xC9, 0x04, 0x00, 0x01, 0x00, 0x26, 0x43 };
        assert_int_equal(write(fd, req, sizeof(req)), (ssize_t)sizeof(req));
        run_until(base, &s.refused);
        assert_int_equal(s.r.why, IO_TLS_WHY_NOT_TLS);
        assert_string_equal(s.r.text, "not TLS (a DNP3 link frame: plain TCP)");
        uint8_t b[8];
        /* nothing sent back, and an orderly end (the listener drains, no reset) */
        assert_int_equal(read(fd, b, sizeof(b)), 0);
        close(fd);
        /* an HTTP client */
        s.refused = false;
        fd = tcp_connect(io_listener_port(s.l));
        assert_int_equal(write(fd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
        run_until(base, &s.refused);
        assert_string_equal(s.r.text, "not TLS (first byte 0x47)");
        close(fd);
        assert_int_equal(io_listener_tls_refused(s.l), 2);
        srv_stop(base, &s);
        io_tls_free(st);
        event_base_free(base);
}

/*
 * recv() for the whole test program (it takes the place of the C library's,
 * for the code under test too): a MSG_PEEK that finds nothing, while
 * late_fd is set, writes late_bytes to late_fd (the peer's end) before it
 * returns EAGAIN: bytes arriving between the handshake's look at the first
 * byte and whatever it does next, every time, not only under load.
 */
static int late_fd = -1;
static const uint8_t *late_bytes;
static size_t late_len;
static unsigned late_peeks;             /* the empty peeks it answered */

ssize_t recv(int fd, void *b, size_t n, int flags)
{
        ssize_t r = syscall(SYS_recvfrom, fd, b, n, flags, NULL, NULL);
        if (r < 0 && errno == EAGAIN && (flags & MSG_PEEK) && late_fd >= 0) {
                assert_int_equal(write(late_fd, late_bytes, late_len), (ssize_t)late_len);
                late_fd = -1;
                late_peeks++;
                errno = EAGAIN;
        }
        return r;
}

/*
 * Plain TCP to a TLS endpoint whose DNP3 request arrives just after the
 * endpoint looked for a first byte and found none: still refused as "not
 * TLS (a DNP3 link frame: plain TCP)", not as OpenSSL's "handshake failed
 * (wrong version number)" (the handshake waits for the first byte).
 */
static void test_tls_plain_to_tls_late_bytes(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", NULL);
        srv_start(base, &s, st);
        int fd = tcp_connect(io_listener_port(s.l));
        static const uint8_t req[] = { 0x05, 0x64, 0x05, 0xC9, 0x04, 0x00, 0x01, 0x00, 0x26, 0x43 };
        late_bytes = req;
        late_len = sizeof(req);
        late_peeks = 0;
        late_fd = fd;
        run_until(base, &s.refused);
        assert_int_equal(late_peeks, 1);        /* the case happened */
        assert_int_equal(s.n_refused, 1);
        assert_int_equal(s.r.why, IO_TLS_WHY_NOT_TLS);
        assert_string_equal(s.r.text, "not TLS (a DNP3 link frame: plain TCP)");
        assert_int_equal(io_listener_tls_refused(s.l), 1);
        close(fd);
        srv_stop(base, &s);
        io_tls_free(st);
        event_base_free(base);
}

/* A peer that connects and says nothing is refused when the handshake time is up. */
static void test_tls_silent_peer_times_out(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", &(struct ctxopt){ .handshake_ms = 200 });
        srv_start(base, &s, st);
        int fd = tcp_connect(io_listener_port(s.l));
        uint64_t passes = run_until(base, &s.refused);
        /* no busy loop while waiting: a handful of loop passes, not thousands */
        assert_true(passes < 10);
        assert_int_equal(s.r.why, IO_TLS_WHY_TIMEOUT);
        assert_string_equal(s.r.text, "handshake timeout (200 ms)");
        close(fd);
        srv_stop(base, &s);
        io_tls_free(st);
        event_base_free(base);
}

/* TLS to a plain endpoint: a DNP3 outstation's bytes are "not TLS"; silence times out. */
static void test_tls_to_plain(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        srv_start(base, &s, NULL);
        struct io_tls *ct = ctx_of("master-a", &(struct ctxopt){ .handshake_ms = 300 });
        struct end cl = { 0 };
        cli_start(base, &cl, io_listener_port(s.l), ct);
        run_until(base, &s.accepted);
        while (s.conn.len == 0)         /* the ClientHello, as bytes */
                event_base_loop(base, EVLOOP_ONCE);
        assert_int_equal(s.conn.data[0], 0x16);
        /* an unsolicited null response from a plain outstation */
        static const uint8_t unsol[] = { 0x05, 0x64, 0x0A, 0x44, 0x01, 0x00, 0x04, 0x00 };
        assert_int_equal(io_pipe_write(s.conn.p, unsol, sizeof(unsol)), 0);
        run_until(base, &cl.down);
        assert_false(cl.up);
        assert_int_equal(cl.err, -EPROTO);
        assert_string_equal(cl.what, "TLS: not TLS (a DNP3 link frame: plain TCP)");
        end_free(&cl);
        end_free(&s.conn);
        s.accepted = false;

        /*
         * A TLS record of another type than handshake is not "not TLS": the
         * first look may come after OpenSSL read the peer's first record
         * (under load: a handshake step on the fd turning writable), and a
         * TLS 1.2 server's next record is a change_cipher_spec (0x14).
         */
        cli_start(base, &cl, io_listener_port(s.l), ct);
        run_until(base, &s.accepted);
        static const uint8_t ccs[] = { 0x14, 0x03, 0x03, 0x00, 0x01, 0x01 };
        assert_int_equal(io_pipe_write(s.conn.p, ccs, sizeof(ccs)), 0);
        run_until(base, &cl.down);
        assert_int_equal(cl.err, -EPERM);
        assert_string_equal(cl.what, "TLS: handshake failed (unexpected message)");
        end_free(&cl);
        end_free(&s.conn);
        s.accepted = false;

        /* a silent plain endpoint */
        cli_start(base, &cl, io_listener_port(s.l), ct);
        run_until(base, &cl.down);
        assert_int_equal(cl.err, -ETIMEDOUT);
        assert_string_equal(cl.what, "TLS: handshake timeout (300 ms)");
        end_free(&cl);
        srv_stop(base, &s);
        io_tls_free(ct);
        event_base_free(base);
}

/* ---- key update ----------------------------------------------------------------------- */

static void rekey_case(bool tls12)
{
        /* TLS 1.2: each side's renegotiations within the other's limit (5, then 1 a second) */
        struct io_tls *st = ctx_of("gateway",
                                   &(struct ctxopt){ .renegotiate_ms = tls12 ? 250 : 40 });
        struct io_tls *ct = ctx_of("master-a", &(struct ctxopt){ .renegotiate_ms = tls12 ? 350 : 70,
                                                                  .exact = tls12 });
        struct pair p = { 0 };
        pair_connect(&p, st, ct);
        io_tls_free(st);
        io_tls_free(ct);
        assert_string_equal(io_pipe_tls_version(p.c.p), tls12 ? "TLSv1.2" : "TLSv1.3");
        /* traffic both ways while both timers run: nothing lost, nothing dropped */
        const struct io_tls_stats *cs = io_pipe_tls_stats(p.c.p);
        const struct io_tls_stats *ss = io_pipe_tls_stats(p.s.conn.p);
        assert_non_null(cs);
        assert_non_null(ss);
        for (uint8_t round = 0; cs->rekeys_started < 3 || ss->rekeys_started < 3; round++) {
                assert_true(round < 250);
                stream(&p, &p.c, &p.s.conn, 300, round);
                stream(&p, &p.s.conn, &p.c, 5000, (uint8_t)(round + 100));
                run_for(p.base, 10);
        }
        assert_true(cs->rekeys_started >= 3);
        assert_true(ss->rekeys_started >= 3);
        if (tls12) {
                assert_true(cs->renegotiations >= 3);
                assert_true(ss->renegotiations >= 3);
                assert_int_equal(cs->key_updates_sent, 0);
        } else {
                assert_true(cs->key_updates_received >= ss->rekeys_started);
                assert_true(ss->key_updates_received >= cs->rekeys_started);
                assert_int_equal(cs->renegotiations, 0);
        }
        assert_false(p.c.down);
        assert_false(p.s.conn.down);
        assert_int_equal(io_pipe_stats(p.c.p)->opens, 1);
        pair_free(&p);
}

/* renegotiate: TLS 1.3 KeyUpdate both ways while DNP3 bytes flow; the session stays up. */
static void test_tls13_key_update(void **state)
{
        (void)state;
        rekey_case(false);
}

/* renegotiate: TLS 1.2 renegotiation started by either side, the session stays up. */
static void test_tls12_renegotiation(void **state)
{
        (void)state;
        rekey_case(true);
}

/* A TLS 1.2 peer that renegotiates again and again (a full handshake each) is dropped. */
static void test_tls12_renegotiation_flood(void **state)
{
        (void)state;
        struct io_tls *st = ctx_of("gateway", NULL);
        struct io_tls *ct = ctx_of("master-a", &(struct ctxopt){ .renegotiate_ms = 20,
                                                                  .exact = true });
        struct pair p = { 0 };
        pair_connect(&p, st, ct);
        io_tls_free(st);
        io_tls_free(ct);
        for (unsigned i = 0; !p.s.conn.down; i++) {
                assert_true(i < 1000);          /* 10 s */
                run_for(p.base, 10);
        }
        assert_int_equal(p.s.conn.err, -EPROTO);
        assert_string_equal(p.s.conn.what, "TLS: the peer renegotiates more than 5 times in a row "
                            "faster than one a second");
        run_until(p.base, &p.c.down);
        pair_free(&p);
}

/* A write beyond the high-water mark is refused; drained comes once TLS has sent the rest. */
static void test_tls_backpressure(void **state)
{
        (void)state;
        struct io_tls *st = ctx_of("gateway", NULL);
        struct io_tls *ct = ctx_of("master-a", NULL);
        struct pair p = { 0 };
        pair_connect(&p, st, ct);
        io_tls_free(st);
        io_tls_free(ct);
        io_pipe_pause_read(p.c.p, true);
        static uint8_t big[16384];
        size_t sent = 0;
        int r;
        while ((r = io_pipe_write(p.s.conn.p, big, sizeof(big))) == 0) {
                sent += sizeof(big);
                assert_true(sent < 64 * 1024 * 1024);
                event_base_loop(p.base, EVLOOP_NONBLOCK);
        }
        assert_int_equal(r, -ENOBUFS);
        assert_true(io_pipe_pending(p.s.conn.p) > 0);
        run_for(p.base, 20);
        assert_false(p.s.conn.drained);         /* the reader is paused */
        io_pipe_pause_read(p.c.p, false);
        run_until(p.base, &p.s.conn.drained);
        assert_int_equal(io_pipe_pending(p.s.conn.p), 0);
        while (p.c.len < sent)
                event_base_loop(p.base, EVLOOP_ONCE);
        assert_int_equal(p.c.len, sent);
        pair_free(&p);
}

/* ---- re-verification (SIGHUP) -------------------------------------------------------- */

/* After a reload: a peer whose certificate the new CRL revokes no longer verifies; others do. */
static void test_tls_reverify(void **state)
{
        (void)state;
        struct io_tls *st = ctx_of("gateway", &(struct ctxopt){ .crl = "crl-none.pem" });
        struct io_tls *rv = ctx_of("revoked", NULL);
        struct io_tls *ma = ctx_of("master-a", NULL);
        struct pair p1 = { 0 }, p2 = { 0 };
        pair_connect(&p1, st, rv);              /* not revoked yet */
        pair_connect(&p2, st, ma);
        struct io_tls *nt = ctx_of("gateway", &(struct ctxopt){ .crl = "crl.pem" });
        struct io_tls_refusal r = { .why = IO_TLS_WHY_MAX };
        assert_int_equal(io_tls_reverify(nt, p1.s.conn.p, &r), -EPERM);
        assert_int_equal(r.why, IO_TLS_WHY_REVOKED);
        assert_string_equal(r.text, "certificate revoked (CN=master-revoked)");
        r.why = IO_TLS_WHY_MAX;
        assert_int_equal(io_tls_reverify(nt, p2.s.conn.p, &r), 0);
        assert_int_equal(r.why, IO_TLS_WHY_MAX);        /* untouched */
        /* the allow list of the new context */
        struct io_tls *nb = ctx_of("gateway", &(struct ctxopt){ .allow = { "CN=master-b" } });
        assert_int_equal(io_tls_reverify(nb, p2.s.conn.p, &r), -EPERM);
        assert_int_equal(r.why, IO_TLS_WHY_NOT_ALLOWED);
        /* the client side re-verifies the server too; a plain pipe is not TLS */
        assert_int_equal(io_tls_reverify(nt, p2.c.p, &r), 0);
        struct io_tls *other = ctx_of("master-a", &(struct ctxopt){ .ca = "other-ca.crt" });
        assert_int_equal(io_tls_reverify(other, p2.c.p, &r), -EPERM);
        assert_int_equal(r.why, IO_TLS_WHY_UNTRUSTED);
        /* new connections use the new context: the revoked master is refused now */
        io_listener_set_tls(p1.s.l, nt);
        struct end again = { 0 };
        cli_start(p1.base, &again, io_listener_port(p1.s.l), rv);
        run_until(p1.base, &p1.s.refused);
        assert_string_equal(p1.s.r.text, "certificate revoked (CN=master-revoked)");
        run_until(p1.base, &again.down);
        end_free(&again);
        /* the old connection is still up until its owner drops it */
        assert_true(io_pipe_is_up(p1.s.conn.p));
        io_tls_free(nt);
        io_tls_free(nb);
        io_tls_free(other);
        io_tls_free(st);
        io_tls_free(rv);
        io_tls_free(ma);
        pair_free(&p1);
        pair_free(&p2);
}

/* A reload while a master shakes hands: the new context (its new CRL) decides. */
static void test_tls_reload_during_handshake(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", &(struct ctxopt){ .crl = "crl-none.pem" });
        srv_start(base, &s, st);
        int fd = tcp_connect(io_listener_port(s.l));
        run_for(base, 20);                      /* accepted: its handshake has begun */
        struct io_tls *nt = ctx_of("gateway", &(struct ctxopt){ .crl = "crl.pem" });
        io_listener_set_tls(s.l, nt);
        io_tls_free(nt);
        struct raw r = { 0 };
        raw_start_fd(base, &r, fd, 0, TLS1_3_VERSION, "revoked");
        run_until(base, &s.refused);
        assert_false(s.accepted);
        assert_int_equal(s.r.why, IO_TLS_WHY_REVOKED);
        assert_string_equal(s.r.text, "certificate revoked (CN=master-revoked)");
        assert_int_equal(io_listener_tls_refused(s.l), 1);
        raw_free(&r);
        srv_stop(base, &s);
        io_tls_free(st);
        event_base_free(base);
}

static void ep_conn(void *ctx, struct io_pipe *c, const struct sockaddr *peer, const uint8_t *held,
                    size_t n)
{
        (void)peer;
        (void)held;
        (void)n;
        (*(unsigned *)ctx)++;
        io_pipe_free(c);
}

static void ep_refused(void *ctx, const struct sockaddr *peer, const struct io_tls_refusal *r)
{
        s_refused(ctx, peer, r);
}

/*
 * A shared TLS endpoint: a reload re-verifies the connections still waiting
 * for the frame that names their outstation (the outstations do their own).
 */
static void test_tls_endpoint_reload(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct io_tls *st = ctx_of("gateway", &(struct ctxopt){ .crl = "crl-none.pem" });
        struct outst_ep_cfg cfg = { .tls = st };
        struct sockaddr_in *in = (struct sockaddr_in *)&cfg.ep.sa;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cfg.ep.len = sizeof(*in);
        struct srv rec = { 0 };                 /* the endpoint's refusals */
        const struct outst_ep_cb cb = { .on_tls_refused = ep_refused };
        struct outst_ep *ep;
        assert_int_equal(outst_ep_new(base, &cfg, &cb, &rec, &ep), 0);
        io_tls_free(st);
        unsigned conns = 0;
        struct outst_ep_member m10 = { .address = 10, .on_conn = ep_conn, .ctx = &conns };
        struct outst_ep_member m11 = { .address = 11, .on_conn = ep_conn, .ctx = &conns };
        assert_int_equal(outst_ep_attach(ep, &m10), 0);
        assert_int_equal(outst_ep_attach(ep, &m11), 0);
        struct io_tls *rv = ctx_of("revoked", NULL);
        struct io_tls *ma = ctx_of("master-a", NULL);
        struct end c1 = { 0 }, c2 = { 0 };
        cli_start(base, &c1, outst_ep_port(ep), rv);
        cli_start(base, &c2, outst_ep_port(ep), ma);
        run_until(base, &c1.up);
        run_until(base, &c2.up);
        while (outst_ep_pending(ep) < 2)
                event_base_loop(base, EVLOOP_ONCE);
        struct io_tls *nt = ctx_of("gateway", &(struct ctxopt){ .crl = "crl.pem" });
        outst_ep_set_tls(ep, nt);
        io_tls_free(nt);
        assert_int_equal(outst_ep_pending(ep), 1);      /* master-a still waits */
        assert_true(rec.refused);
        assert_int_equal(rec.r.why, IO_TLS_WHY_REVOKED);
        assert_string_equal(rec.peer, "127.0.0.1");
        assert_int_equal(outst_ep_stats(ep)->tls_refused, 1);
        run_until(base, &c1.down);
        assert_int_equal(conns, 0);
        end_free(&c1);
        end_free(&c2);
        io_tls_free(rv);
        io_tls_free(ma);
        outst_ep_detach(ep, &m10);
        outst_ep_detach(ep, &m11);
        outst_ep_free(ep);
        event_base_loop(base, EVLOOP_NONBLOCK);
        event_base_free(base);
}

/* A reload on the client side: the next connection uses the new context, the current one stays. */
static void test_tls_client_new_context(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", NULL);
        srv_start(base, &s, st);
        struct io_tls *ct = ctx_of("master-a", NULL);
        struct end c = { 0 };
        struct io_pipe_cfg cfg = {
                .transport = IO_TRANSPORT_TCP,
                .tcp = { .host = "127.0.0.1", .port = io_listener_port(s.l), .tls = ct },
                .backoff_min_ms = 20,
        };
        assert_int_equal(io_pipe_open(base, &cfg, &c.p), 0);
        io_pipe_set_cb(c.p, &end_cbs, &c);
        io_pipe_start(c.p);
        run_until(base, &c.up);
        run_until(base, &s.accepted);
        /* the new context admits only an IED: the gateway's certificate no longer does */
        struct io_tls *nt = ctx_of("master-a", &(struct ctxopt){ .allow = { "CN=ied" } });
        assert_int_equal(io_pipe_tls_set(c.p, nt), 0);
        assert_true(io_pipe_is_up(c.p));
        struct io_tls_refusal r;
        assert_int_equal(io_tls_reverify(nt, c.p, &r), -EPERM);
        assert_int_equal(r.why, IO_TLS_WHY_NOT_ALLOWED);
        io_tls_free(nt);                /* the pipe keeps its reference */
        io_pipe_close(c.p, -EPERM, "no longer verifies");
        assert_true(c.down);
        assert_string_equal(c.what, "no longer verifies");
        s.refused = false;
        run_until(base, &s.refused);            /* the reconnection: refused by us, the client */
        assert_int_equal(s.r.why, IO_TLS_WHY_PEER_REFUSED);
        while (io_pipe_stats(c.p)->open_failures < 1)
                event_base_loop(base, EVLOOP_ONCE);
        assert_false(io_pipe_is_up(c.p));
        /* a plain TCP client and no context are refused */
        assert_int_equal(io_pipe_tls_set(c.p, NULL), -EINVAL);
        struct io_pipe *plain;
        cfg.tcp.tls = NULL;
        assert_int_equal(io_pipe_open(base, &cfg, &plain), 0);
        assert_int_equal(io_pipe_tls_set(plain, ct), -EINVAL);
        assert_false(io_pipe_is_tls(plain));
        io_pipe_free(plain);
        io_tls_free(ct);
        end_free(&c);
        end_free(&s.conn);
        srv_stop(base, &s);
        io_tls_free(st);
        event_base_free(base);
}

/* ---- truncated and garbage handshakes ------------------------------------------------ */

/* A real ClientHello, made with a memory BIO. */
static size_t client_hello(uint8_t *out, size_t cap)
{
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        SSL *ssl = SSL_new(ctx);
        BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl, rb, wb);
        SSL_set_connect_state(ssl);
        assert_int_equal(SSL_do_handshake(ssl), -1);
        int n = BIO_read(wb, out, (int)cap);
        assert_true(n > 100);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return (size_t)n;
}

/* Whatever a peer sends, each connection is refused once, nothing spins, a good one still works. */
static void test_tls_truncated_and_garbage_handshakes(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", &(struct ctxopt){ .handshake_ms = 300 });
        srv_start(base, &s, st);
        uint8_t hello[2048];
        size_t hl = client_hello(hello, sizeof(hello));
        srand(12);
        unsigned refused = 0;
        for (unsigned i = 0; i < 40; i++) {
                uint8_t buf[2048];
                size_t n;
                if (i < 20) {                   /* a ClientHello cut short */
                        n = 1 + (size_t)rand() % (hl - 1);
                        memcpy(buf, hello, n);
                } else {                        /* a handshake record header, then garbage */
                        n = 5 + (size_t)rand() % 1000;
                        for (size_t k = 0; k < n; k++)
                                buf[k] = (uint8_t)rand();
                        memcpy(buf, i % 2 ? "\x16\x03\x01" : "\x16\x03\x03", 3);
                        if (i % 3 == 0)         /* a ClientHello whose body is garbage */
                                memcpy(buf, hello, 9 < n ? 9 : n);
                }
                int fd = tcp_connect(io_listener_port(s.l));
                assert_int_equal(write(fd, buf, n), (ssize_t)n);
                if (i % 2)
                        shutdown(fd, SHUT_WR);  /* truncated by the peer's end */
                s.refused = false;
                unsigned passes = run_until(base, &s.refused);
                assert_true(passes < 20);       /* the timeout, or an answer: never a spin */
                refused++;
                assert_int_equal(s.n_refused, refused);
                assert_false(s.accepted);
                switch (s.r.why) {
                case IO_TLS_WHY_TIMEOUT:
                        assert_string_equal(s.r.text, "handshake timeout (300 ms)");
                        break;
                case IO_TLS_WHY_CLOSED:
                case IO_TLS_WHY_FAILED:
                case IO_TLS_WHY_VERSION:
                case IO_TLS_WHY_CIPHER:
                case IO_TLS_WHY_PEER_REFUSED:
                        break;
                default:
                        fail_msg("case %u: %s", i, s.r.text);
                }
                close(fd);
        }
        /* a good master afterwards */
        struct io_tls *ct = ctx_of("master-a", NULL);
        struct end cl = { 0 };
        cli_start(base, &cl, io_listener_port(s.l), ct);
        run_until(base, &s.accepted);
        run_until(base, &cl.up);
        end_free(&cl);
        io_tls_free(ct);
        srv_stop(base, &s);
        io_tls_free(st);
        event_base_free(base);
}

/* More handshakes at once than the listener runs: the oldest is closed, reported busy. */
static void test_tls_handshake_limit(void **state)
{
        (void)state;
        struct event_base *base = event_base_new();
        struct srv s = { 0 };
        struct io_tls *st = ctx_of("gateway", NULL);
        srv_start(base, &s, st);
        int fds[IO_LISTENER_MAX_HANDSHAKES + 1];
        for (size_t i = 0; i < IO_LISTENER_MAX_HANDSHAKES + 1; i++) {
                fds[i] = tcp_connect(io_listener_port(s.l));
                if (i < IO_LISTENER_MAX_HANDSHAKES)
                        run_for(base, 5);
        }
        run_until(base, &s.refused);
        assert_int_equal(s.n_refused, 1);
        assert_string_equal(s.r.text, "too many handshakes at once (16 at once)");
        uint8_t b;
        assert_int_equal(read(fds[0], &b, 1), 0);       /* the oldest went */
        for (size_t i = 0; i < IO_LISTENER_MAX_HANDSHAKES + 1; i++)
                close(fds[i]);
        srv_stop(base, &s);                            /* frees the ones still waiting */
        io_tls_free(st);
        event_base_free(base);
}

int main(int argc, char **argv)
{
        mkcerts = argc > 1 ? argv[1] : "tests/tls/mkcerts.sh";
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tls_new_errors),
                cmocka_unit_test(test_tls_check_dates),
                cmocka_unit_test(test_tls13_bytes_both_ways),
                cmocka_unit_test(test_tls12_bytes_both_ways),
                cmocka_unit_test(test_tls_refusals),
                cmocka_unit_test(test_tls_client_refuses_server),
                cmocka_unit_test(test_tls_names_cleaned),
                cmocka_unit_test(test_tls_no_client_cert),
                cmocka_unit_test(test_tls_peer_reset),
                cmocka_unit_test(test_tls_plain_to_tls),
                cmocka_unit_test(test_tls_plain_to_tls_late_bytes),
                cmocka_unit_test(test_tls_hello_on_plain),
                cmocka_unit_test(test_tls_silent_peer_times_out),
                cmocka_unit_test(test_tls_to_plain),
                cmocka_unit_test(test_tls13_key_update),
                cmocka_unit_test(test_tls12_renegotiation),
                cmocka_unit_test(test_tls12_renegotiation_flood),
                cmocka_unit_test(test_tls_backpressure),
                cmocka_unit_test(test_tls_reverify),
                cmocka_unit_test(test_tls_client_new_context),
                cmocka_unit_test(test_tls_reload_during_handshake),
                cmocka_unit_test(test_tls_endpoint_reload),
                cmocka_unit_test(test_tls_truncated_and_garbage_handshakes),
                cmocka_unit_test(test_tls_handshake_limit),
        };
        return cmocka_run_group_tests(tests, setup_certs, teardown_certs);
}
