/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the TLS handshake driver (io/tls_sess.c): whatever a
 * peer sends before the handshake ends, the session reports exactly once,
 * with a refusal (the input cannot finish a mutual handshake), never spins,
 * and leaks nothing.
 *
 * Input: byte 0 picks the role (even: we are the server and the input is
 * the client's bytes; odd: we are the client, which sends its ClientHello
 * first, and the input is the server's bytes); the rest is written to the
 * other end of a socket pair, which is then shut (end of file: a truncated
 * handshake).  Checks: done is called once, with err < 0 and a refusal whose
 * text starts with its why's text; the loop passes until then stay below
 * MAX_PASSES (a spin on WANT_READ/WANT_WRITE would exceed them).
 *
 * The context's certificate and key are made at start (an EC key and a
 * self-signed certificate, written to a scratch folder under $TMPDIR, else
 * /tmp, removed at exit): no key is committed.
 *
 * Seed corpus: tests/fuzz/corpus/tls_hs/ (a ClientHello, cut short and
 * whole; a server's first flight; garbage after a record header).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "io/tls_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PASSES 64

static void check(int ok)
{
        if (!ok)
                abort();
}

static struct event_base *base;
static struct io_tls *tls;
static char dir[256], crt[300], key[300];

static void cleanup(void)
{
        io_tls_free(tls);
        if (base)
                event_base_free(base);
        unlink(crt);
        unlink(key);
        rmdir(dir);
}

/* A P-256 key and a certificate for it, signed by itself, as PEM files. */
static void make_identity(void)
{
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/fuzz_tls_hs.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        check(mkdtemp(dir) != NULL);
        snprintf(crt, sizeof(crt), "%s/id.crt", dir);
        snprintf(key, sizeof(key), "%s/id.key", dir);
        EVP_PKEY *k = EVP_EC_gen("P-256");
        X509 *x = X509_new();
        check(k && x);
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_NAME *n = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"fuzz", -1, -1, 0);
        X509_set_issuer_name(x, n);
        X509_set_pubkey(x, k);
        check(X509_sign(x, k, EVP_sha256()) > 0);
        FILE *f = fopen(crt, "w");
        check(f && PEM_write_X509(f, x));
        fclose(f);
        f = fopen(key, "w");
        check(f && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
        fclose(f);
        X509_free(x);
        EVP_PKEY_free(k);
}

static void init(void)
{
        make_identity();
        atexit(cleanup);
        base = event_base_new();
        const struct io_tls_cfg cfg = {
                .certificate = crt,
                .private_key = key,
                .ca = crt,
                .handshake_ms = 2000,   /* a backstop: the end of file decides first */
        };
        struct io_tls_err e;
        check(base && io_tls_new(&cfg, &tls, &e) == 0);
}

struct result {
        unsigned calls;
        int err;
        struct io_tls_refusal r;
};

static void on_done(void *arg, int err, const struct io_tls_refusal *r)
{
        struct result *res = arg;
        res->calls++;
        res->err = err;
        if (r)
                res->r = *r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!base)
                init();
        if (size < 1)
                return 0;
        int sv[2];
        check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
        bool server = (data[0] & 1) == 0;
        data++;
        size--;
        /* the peer's bytes, then its end: at most what the socket buffer holds at once */
        size_t off = 0;
        while (off < size) {
                ssize_t w = write(sv[1], data + off, size - off);
                if (w <= 0)
                        break;
                off += (size_t)w;
        }
        shutdown(sv[1], SHUT_WR);
        struct result res = { 0 };
        struct io_tls_sess *s;
        check(io_tls_sess_new(tls, base, sv[0], server, NULL, on_done, &res, &s) == 0);
        check(res.calls == 0);          /* never from inside io_tls_sess_new() */
        unsigned passes = 0;
        while (res.calls == 0 && passes++ < MAX_PASSES)
                event_base_loop(base, EVLOOP_ONCE);
        check(res.calls == 1);
        check(res.err < 0);
        const char *why = io_tls_why_name(res.r.why);
        check(res.r.why < IO_TLS_WHY_MAX && strncmp(res.r.text, why, strlen(why)) == 0);
        io_tls_sess_free(s);
        close(sv[0]);
        close(sv[1]);
        event_base_loop(base, EVLOOP_NONBLOCK);
        return 0;
}
