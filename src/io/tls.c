/* SPDX-License-Identifier: MIT */
/*
 * The TLS context (io/tls.h): the files of one `tls` block read into an
 * SSL_CTX, the allow list, the checks of `dnp3gwd -t`, the verification
 * callback that turns OpenSSL's verdict into a refusal, and re-verification
 * of a connected peer for a reload.
 */
#include "io/tls_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dnp3/names.h"

#define FPR_LEN 32                      /* SHA-256 */


struct tls_allow {
        bool fpr;                       /* SHA256:... (else CN=...) */
        uint8_t sha256[FPR_LEN];
        char *cn;
};

struct io_tls {
        unsigned refs;
        SSL_CTX *ctx;
        X509 *cert;                     /* ours (the leaf) */
        STACK_OF(X509) *chain;          /* the rest of the certificate file */
        STACK_OF(X509) *cas;
        STACK_OF(X509_CRL) *crls;
        struct tls_allow *allow;
        size_t n_allow;
        uint64_t renegotiate_ms;
        uint32_t handshake_ms;
};

#define VERSION_NAME(name, text) [IO_TLS_##name] = text,
NAMES_DEFINE(io_tls_version_name, enum io_tls_version, IO_TLS_VERSION_LIST, VERSION_NAME)
#define FIELD_NAME(name, text) [IO_TLS_FIELD_##name] = text,
NAMES_DEFINE(io_tls_field_name, enum io_tls_field, IO_TLS_FIELD_LIST, FIELD_NAME)
#define WHY_NAME(name, text) [IO_TLS_WHY_##name] = text,
NAMES_DEFINE(io_tls_why_name, enum io_tls_why, IO_TLS_WHY_LIST, WHY_NAME)

static const int version_proto[IO_TLS_VERSION_MAX] = {
        [IO_TLS_1_2] = TLS1_2_VERSION,
        [IO_TLS_1_3] = TLS1_3_VERSION,
};

int io_tls_version_parse(const char *s, enum io_tls_version *ret)
{
        for (unsigned v = 0; v < IO_TLS_VERSION_MAX; v++)
                if (strcmp(s, io_tls_version_name((enum io_tls_version)v)) == 0) {
                        *ret = (enum io_tls_version)v;
                        return 0;
                }
        return -EINVAL;
}

void io_tls_refuse(struct io_tls_refusal *r, enum io_tls_why why, const char *fmt, ...)
{
        char detail[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        r->why = why;
        if (detail[0])
                snprintf(r->text, sizeof(r->text), "%s (%s)", io_tls_why_name(why), detail);
        else
                snprintf(r->text, sizeof(r->text), "%s", io_tls_why_name(why));
}

bool io_tls_hello_on_plain(const uint8_t *p, size_t n, struct io_tls_refusal *r)
{
        if (n == 0 || p[0] != 0x16 || (n > 1 && p[1] != 0x03))
                return false;
        io_tls_refuse(r, IO_TLS_WHY_PLAIN_ENDPOINT, "a TLS handshake record: a ClientHello");
        return true;
}

static int tls_err(struct io_tls_err *e, enum io_tls_field f, int err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int tls_err(struct io_tls_err *e, enum io_tls_field f, int err, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        e->field = f;
        vsnprintf(e->text, sizeof(e->text), fmt, ap);
        va_end(ap);
        ERR_clear_error();
        return err;
}

/* OpenSSL's last error, for a message. */
static const char *tls_last_error(void)
{
        unsigned long e = ERR_peek_last_error();
        const char *s = e ? ERR_reason_error_string(e) : NULL;
        return s ? s : "no PEM data";
}

/* ---- names of certificates --------------------------------------------- */

/* "CN=name" (the subject's last CN), or the whole subject when it has none. */
static void tls_cert_name_raw(X509 *x, char *buf, size_t n)
{
        X509_NAME *sn = X509_get_subject_name(x);
        int i = sn ? X509_NAME_get_index_by_NID(sn, NID_commonName, -1) : -1;
        int last = i;
        while (i >= 0) {
                last = i;
                i = X509_NAME_get_index_by_NID(sn, NID_commonName, i);
        }
        if (last >= 0) {
                ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sn, last));
                unsigned char *u = NULL;
                int len = ASN1_STRING_to_UTF8(&u, d);
                if (len >= 0) {
                        snprintf(buf, n, "CN=%.*s", len, (const char *)u);
                        OPENSSL_free(u);
                        return;
                }
        }
        if (!sn || !X509_NAME_oneline(sn, buf, (int)n))
                snprintf(buf, n, "no subject");
}

/*
 * A peer's name goes into log lines and JSON strings: control characters,
 * quotes and backslashes become '?' (a certificate may hold any of them).
 */
void io_tls_name_clean(char *s)
{
        for (; *s; s++)
                if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\')
                        *s = '?';
}

/* tls_cert_name_raw(), cleaned. */
static void tls_cert_name(X509 *x, char *buf, size_t n)
{
        tls_cert_name_raw(x, buf, n);
        io_tls_name_clean(buf);
}

static int tls_fingerprint(X509 *x, uint8_t out[FPR_LEN])
{
        unsigned len = 0;
        if (!X509_digest(x, EVP_sha256(), out, &len) || len != FPR_LEN)
                return -EINVAL;
        return 0;
}

/* "SHA256:AB:CD:..." of x into buf. */
static void tls_fingerprint_text(X509 *x, char *buf, size_t n)
{
        uint8_t d[FPR_LEN];
        if (n < 8 + 3 * FPR_LEN || tls_fingerprint(x, d) < 0) {
                snprintf(buf, n, "SHA256:?");
                return;
        }
        size_t k = (size_t)snprintf(buf, n, "SHA256:");
        for (size_t i = 0; i < FPR_LEN; i++)
                k += (size_t)snprintf(buf + k, n - k, i ? ":%02X" : "%02X", d[i]);
}

static void tls_time_text(const ASN1_TIME *t, char *buf, size_t n)
{
        struct tm tm;
        if (!t || !ASN1_TIME_to_tm(t, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm))
                snprintf(buf, n, "?");
}

/* ---- the allow list ------------------------------------------------------ */

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* "SHA256:" then 32 bytes in hex, colons between bytes optional. */
static int allow_parse_fpr(const char *s, uint8_t out[FPR_LEN])
{
        size_t i = 0;
        while (i < FPR_LEN) {
                int hi = hexval(s[0]);
                int lo = hi < 0 ? -1 : hexval(s[1]);
                if (lo < 0)
                        return -EINVAL;
                out[i++] = (uint8_t)(hi << 4 | lo);
                s += 2;
                if (*s == ':' && i < FPR_LEN)
                        s++;
        }
        return *s ? -EINVAL : 0;
}

static int allow_parse(struct io_tls *t, const struct io_tls_cfg *cfg, struct io_tls_err *e)
{
        if (cfg->n_allow == 0)
                return 0;
        t->allow = calloc(cfg->n_allow, sizeof(*t->allow));
        if (!t->allow)
                return tls_err(e, IO_TLS_FIELD_ALLOW, -ENOMEM, "out of memory");
        for (size_t i = 0; i < cfg->n_allow; i++, t->n_allow++) {
                const char *s = cfg->allow[i];
                struct tls_allow *a = &t->allow[i];
                e->index = i;
                if (strncmp(s, "CN=", 3) == 0 && s[3]) {
                        a->cn = strdup(s + 3);
                        if (!a->cn)
                                return tls_err(e, IO_TLS_FIELD_ALLOW, -ENOMEM, "out of memory");
                } else if (strncasecmp(s, "SHA256:", 7) == 0) {
                        a->fpr = true;
                        if (allow_parse_fpr(s + 7, a->sha256) < 0)
                                return tls_err(e, IO_TLS_FIELD_ALLOW, -EINVAL,
                                               "\"%s\": a SHA256 fingerprint is 32 bytes in hex "
                                               "(SHA256:4F:2A:...)", s);
                } else {
                        return tls_err(e, IO_TLS_FIELD_ALLOW, -EINVAL,
                                       "\"%s\": expected \"CN=name\" or \"SHA256:AA:BB:...\"", s);
                }
        }
        return 0;
}

/* Whether x's subject has a commonName equal to cn. */
static bool cert_has_cn(X509 *x, const char *cn)
{
        X509_NAME *sn = X509_get_subject_name(x);
        for (int i = sn ? X509_NAME_get_index_by_NID(sn, NID_commonName, -1) : -1; i >= 0;
             i = X509_NAME_get_index_by_NID(sn, NID_commonName, i)) {
                ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(sn, i));
                unsigned char *u = NULL;
                int len = ASN1_STRING_to_UTF8(&u, d);
                bool eq = len >= 0 && strlen(cn) == (size_t)len && memcmp(u, cn, (size_t)len) == 0;
                OPENSSL_free(u);
                if (eq)
                        return true;
        }
        return false;
}

static bool tls_allowed(const struct io_tls *t, X509 *x)
{
        if (t->n_allow == 0)
                return true;
        uint8_t d[FPR_LEN];
        bool have_fpr = tls_fingerprint(x, d) == 0;
        for (size_t i = 0; i < t->n_allow; i++) {
                const struct tls_allow *a = &t->allow[i];
                if (a->fpr ? have_fpr && memcmp(a->sha256, d, FPR_LEN) == 0 : cert_has_cn(x, a->cn))
                        return true;
        }
        return false;
}

/* ---- verification ---------------------------------------------------------- */

static int vrec_idx = -1;

int io_tls_vrec_index(void)
{
        return vrec_idx;
}

/* OpenSSL's verify error at cert x into a refusal. */
static void verify_refusal(struct io_tls_refusal *r, int err, X509 *x)
{
        char name[160] = "no certificate", when[40];
        if (x)
                tls_cert_name(x, name, sizeof(name));
        switch (err) {
        case X509_V_ERR_CERT_HAS_EXPIRED:
                tls_time_text(x ? X509_get0_notAfter(x) : NULL, when, sizeof(when));
                io_tls_refuse(r, IO_TLS_WHY_EXPIRED, "%s, not after %s", name, when);
                break;
        case X509_V_ERR_CERT_NOT_YET_VALID:
                tls_time_text(x ? X509_get0_notBefore(x) : NULL, when, sizeof(when));
                io_tls_refuse(r, IO_TLS_WHY_NOT_YET_VALID, "%s, not before %s", name, when);
                break;
        case X509_V_ERR_CERT_REVOKED:
                io_tls_refuse(r, IO_TLS_WHY_REVOKED, "%s", name);
                break;
        case X509_V_ERR_UNABLE_TO_GET_CRL:
        case X509_V_ERR_CRL_HAS_EXPIRED:
        case X509_V_ERR_CRL_NOT_YET_VALID:
        case X509_V_ERR_CRL_SIGNATURE_FAILURE:
        case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
        case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
                io_tls_refuse(r, IO_TLS_WHY_NO_CRL, "%s: %s", name,
                              X509_verify_cert_error_string(err));
                break;
        default:
                io_tls_refuse(r, IO_TLS_WHY_UNTRUSTED, "%s: %s", name,
                              X509_verify_cert_error_string(err));
                break;
        }
}

static void allow_refusal(struct io_tls_refusal *r, X509 *x)
{
        char name[160], fpr[8 + 3 * FPR_LEN];
        tls_cert_name(x, name, sizeof(name));
        tls_fingerprint_text(x, fpr, sizeof(fpr));
        io_tls_refuse(r, IO_TLS_WHY_NOT_ALLOWED, "%s %s", name, fpr);
}

/*
 * Every verification (a handshake's and a re-verification's) ends here for
 * each certificate of the chain: the first failure is recorded, the leaf
 * that chains is held against the allow list.
 */
static int tls_verify_cb(int ok, X509_STORE_CTX *x)
{
        SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
        struct tls_vrec *v = ssl ? SSL_get_ex_data(ssl, vrec_idx) : X509_STORE_CTX_get_app_data(x);
        if (!v)
                return ok;
        X509 *cert = X509_STORE_CTX_get_current_cert(x);
        if (!ok) {
                if (!v->set)
                        verify_refusal(&v->r, X509_STORE_CTX_get_error(x), cert);
                v->set = true;
                return 0;
        }
        if (X509_STORE_CTX_get_error_depth(x) == 0 && cert && !tls_allowed(v->t, cert)) {
                if (!v->set)
                        allow_refusal(&v->r, cert);
                v->set = true;
                X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
                return 0;
        }
        return 1;
}

int io_tls_reverify(const struct io_tls *t, const struct io_pipe *p, struct io_tls_refusal *ret)
{
        SSL *ssl = p && p->up && p->tls ? io_tls_sess_ssl(p->tls) : NULL;
        X509 *leaf = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
        if (!leaf)
                return -ENOTCONN;
        struct tls_vrec v = { .t = t };
        X509_STORE_CTX *x = X509_STORE_CTX_new();
        if (!x || !X509_STORE_CTX_init(x, SSL_CTX_get_cert_store(t->ctx), leaf,
                                       SSL_get_peer_cert_chain(ssl))) {
                X509_STORE_CTX_free(x);
                return -ENOMEM;
        }
        X509_STORE_CTX_set_app_data(x, &v);
        X509_STORE_CTX_set_verify_cb(x, tls_verify_cb);
        X509_STORE_CTX_set_purpose(x, SSL_is_server(ssl) ? X509_PURPOSE_SSL_CLIENT
                                                         : X509_PURPOSE_SSL_SERVER);
        int ok = X509_verify_cert(x);
        int err = X509_STORE_CTX_get_error(x);
        X509_STORE_CTX_free(x);
        ERR_clear_error();
        if (ok == 1)
                return 0;
        if (!v.set)
                verify_refusal(&v.r, err, leaf);
        *ret = v.r;
        return -EPERM;
}

/* ---- reading the files ----------------------------------------------------- */

/* Open a file for reading: 0 and *ret, or -errno with the error set. */
static int tls_open(const char *path, enum io_tls_field f, FILE **ret, struct io_tls_err *e)
{
        if (!path || !path[0])
                return tls_err(e, f, -EINVAL, "no file given");
        FILE *fp = fopen(path, "re");
        if (!fp) {
                int err = errno;
                return tls_err(e, f, -err, "cannot read %s: %s", path, strerror(err));
        }
        *ret = fp;
        return 0;
}

/* Every certificate of a PEM file (at least one). */
static int tls_read_certs(const char *path, enum io_tls_field f, STACK_OF(X509) **ret,
                          struct io_tls_err *e)
{
        FILE *fp;
        int r = tls_open(path, f, &fp, e);
        if (r < 0)
                return r;
        STACK_OF(X509) *sk = sk_X509_new_null();
        X509 *x;
        while (sk && (x = PEM_read_X509(fp, NULL, NULL, NULL)))
                if (!sk_X509_push(sk, x)) {
                        X509_free(x);
                        break;
                }
        bool eof = ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE;
        fclose(fp);
        if (!sk || sk_X509_num(sk) == 0 || !eof) {
                r = tls_err(e, f, -EINVAL, "%s: %s", path,
                            sk && sk_X509_num(sk) ? tls_last_error() : "no PEM certificate");
                sk_X509_pop_free(sk, X509_free);
                return r;
        }
        ERR_clear_error();
        *ret = sk;
        return 0;
}

static int tls_read_crls(const char *path, STACK_OF(X509_CRL) **ret, struct io_tls_err *e)
{
        FILE *fp;
        int r = tls_open(path, IO_TLS_FIELD_CRL, &fp, e);
        if (r < 0)
                return r;
        STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();
        X509_CRL *c;
        while (sk && (c = PEM_read_X509_CRL(fp, NULL, NULL, NULL)))
                if (!sk_X509_CRL_push(sk, c)) {
                        X509_CRL_free(c);
                        break;
                }
        bool eof = ERR_GET_REASON(ERR_peek_last_error()) == PEM_R_NO_START_LINE;
        fclose(fp);
        if (!sk || sk_X509_CRL_num(sk) == 0 || !eof) {
                r = tls_err(e, IO_TLS_FIELD_CRL, -EINVAL, "%s: %s", path,
                            sk && sk_X509_CRL_num(sk) ? tls_last_error() : "no PEM CRL");
                sk_X509_CRL_pop_free(sk, X509_CRL_free);
                return r;
        }
        ERR_clear_error();
        *ret = sk;
        return 0;
}

static int tls_read_key(const char *path, EVP_PKEY **ret, struct io_tls_err *e)
{
        FILE *fp;
        int r = tls_open(path, IO_TLS_FIELD_PRIVATE_KEY, &fp, e);
        if (r < 0)
                return r;
        EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, (void *)"");
        fclose(fp);
        if (!k)
                return tls_err(e, IO_TLS_FIELD_PRIVATE_KEY, -EINVAL,
                               "%s: no unencrypted PEM private key (%s)", path, tls_last_error());
        *ret = k;
        return 0;
}

/* Each CRL is issued by a CA of the ca file and signed by it. */
static int tls_check_crls(const struct io_tls *t, const char *path, struct io_tls_err *e)
{
        for (int i = 0; i < sk_X509_CRL_num(t->crls); i++) {
                X509_CRL *c = sk_X509_CRL_value(t->crls, i);
                X509 *issuer = NULL;
                for (int j = 0; j < sk_X509_num(t->cas) && !issuer; j++)
                        if (X509_NAME_cmp(X509_get_subject_name(sk_X509_value(t->cas, j)),
                                          X509_CRL_get_issuer(c)) == 0)
                                issuer = sk_X509_value(t->cas, j);
                char name[160] = "?";
                X509_NAME_oneline(X509_CRL_get_issuer(c), name, sizeof(name));
                if (!issuer)
                        return tls_err(e, IO_TLS_FIELD_CRL, -EINVAL,
                                       "%s: issuer %s is not a certificate of ca", path, name);
                if (X509_CRL_verify(c, X509_get0_pubkey(issuer)) != 1)
                        return tls_err(e, IO_TLS_FIELD_CRL, -EINVAL,
                                       "%s: signature does not verify with the ca certificate %s",
                                       path, name);
        }
        return 0;
}

/* ciphers: "TLS_" entries are TLS 1.3 suites, the others TLS 1.2 ones. */
static int tls_set_ciphers(SSL_CTX *ctx, const char *ciphers, struct io_tls_err *e)
{
        size_t n = ciphers ? strlen(ciphers) : 0;
        char *l12 = calloc(1, n + 1), *l13 = calloc(1, n + 1);
        char *all = strdup(ciphers ? ciphers : "");
        int r = 0;
        if (!l12 || !l13 || !all) {
                r = tls_err(e, IO_TLS_FIELD_CIPHERS, -ENOMEM, "out of memory");
                goto out;
        }
        char *save = NULL;
        for (char *tok = strtok_r(all, ":, ", &save); tok; tok = strtok_r(NULL, ":, ", &save)) {
                char *l = strncmp(tok, "TLS_", 4) == 0 ? l13 : l12;
                if (l[0])
                        strcat(l, ":");
                strcat(l, tok);
        }
        if (!SSL_CTX_set_cipher_list(ctx, l12[0] ? l12 : IO_TLS_DEFAULT_CIPHERS))
                r = tls_err(e, IO_TLS_FIELD_CIPHERS, -EINVAL, "no TLS 1.2 cipher suite in \"%s\"",
                            l12);
        else if (!SSL_CTX_set_ciphersuites(ctx, l13[0] ? l13 : IO_TLS_DEFAULT_SUITES13))
                r = tls_err(e, IO_TLS_FIELD_CIPHERS, -EINVAL, "no TLS 1.3 cipher suite in \"%s\"",
                            l13);
out:
        free(l12);
        free(l13);
        free(all);
        return r;
}

/* The certificate store: the CAs, the CRLs and the CRL check when there are some. */
static int tls_set_store(struct io_tls *t, struct io_tls_err *e)
{
        X509_STORE *st = SSL_CTX_get_cert_store(t->ctx);
        for (int i = 0; i < sk_X509_num(t->cas); i++)
                if (!X509_STORE_add_cert(st, sk_X509_value(t->cas, i)))
                        return tls_err(e, IO_TLS_FIELD_CA, -EINVAL, "%s", tls_last_error());
        for (int i = 0; i < sk_X509_CRL_num(t->crls); i++)
                if (!X509_STORE_add_crl(st, sk_X509_CRL_value(t->crls, i)))
                        return tls_err(e, IO_TLS_FIELD_CRL, -EINVAL, "%s", tls_last_error());
        if (t->crls)
                X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
        return 0;
}

static int tls_set_identity(struct io_tls *t, EVP_PKEY *key, const char *keypath,
                            struct io_tls_err *e)
{
        if (!SSL_CTX_use_certificate(t->ctx, t->cert))
                return tls_err(e, IO_TLS_FIELD_CERTIFICATE, -EINVAL, "%s", tls_last_error());
        for (int i = 0; i < sk_X509_num(t->chain); i++)
                if (!SSL_CTX_add1_chain_cert(t->ctx, sk_X509_value(t->chain, i)))
                        return tls_err(e, IO_TLS_FIELD_CERTIFICATE, -EINVAL, "%s",
                                       tls_last_error());
        if (!SSL_CTX_use_PrivateKey(t->ctx, key) || !SSL_CTX_check_private_key(t->ctx))
                return tls_err(e, IO_TLS_FIELD_PRIVATE_KEY, -EINVAL,
                               "%s does not match the certificate", keypath);
        return 0;
}

static int tls_make_ctx(struct io_tls *t, const struct io_tls_cfg *cfg, struct io_tls_err *e)
{
        if ((unsigned)cfg->min_version >= IO_TLS_VERSION_MAX)
                return tls_err(e, IO_TLS_FIELD_MIN_VERSION, -EINVAL, "not \"1.2\" or \"1.3\"");
        t->ctx = SSL_CTX_new(TLS_method());
        if (!t->ctx)
                return tls_err(e, IO_TLS_FIELD_CERTIFICATE, -ENOMEM, "out of memory");
        SSL_CTX *c = t->ctx;
        SSL_CTX_set_min_proto_version(c, version_proto[cfg->min_version]);
        if (cfg->exact_version)
                SSL_CTX_set_max_proto_version(c, version_proto[cfg->min_version]);
        /* every connection a full handshake; renegotiation is the key update of TLS 1.2 */
        SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
        SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(c, 0);
        SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, tls_verify_cb);
        return tls_set_ciphers(c, cfg->ciphers, e);
}

int io_tls_new(const struct io_tls_cfg *cfg, struct io_tls **ret, struct io_tls_err *err)
{
        struct io_tls_err scratch;
        struct io_tls_err *e = err ? err : &scratch;
        *e = (struct io_tls_err){ 0 };
        if (vrec_idx < 0)
                vrec_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
        struct io_tls *t = calloc(1, sizeof(*t));
        if (!t)
                return tls_err(e, IO_TLS_FIELD_CERTIFICATE, -ENOMEM, "out of memory");
        t->refs = 1;
        t->renegotiate_ms = cfg->renegotiate_ms;
        t->handshake_ms = cfg->handshake_ms ? cfg->handshake_ms : IO_TLS_HANDSHAKE_MS;
        STACK_OF(X509) *mine = NULL;
        EVP_PKEY *key = NULL;
        int r = tls_read_certs(cfg->certificate, IO_TLS_FIELD_CERTIFICATE, &mine, e);
        if (r == 0) {
                t->cert = sk_X509_shift(mine);
                t->chain = mine;
                r = tls_read_key(cfg->private_key, &key, e);
        }
        if (r == 0)
                r = tls_read_certs(cfg->ca, IO_TLS_FIELD_CA, &t->cas, e);
        if (r == 0 && cfg->crl && cfg->crl[0]) {
                r = tls_read_crls(cfg->crl, &t->crls, e);
                if (r == 0)
                        r = tls_check_crls(t, cfg->crl, e);
        }
        if (r == 0)
                r = allow_parse(t, cfg, e);
        if (r == 0)
                r = tls_make_ctx(t, cfg, e);
        if (r == 0)
                r = tls_set_identity(t, key, cfg->private_key, e);
        if (r == 0)
                r = tls_set_store(t, e);
        EVP_PKEY_free(key);
        if (r < 0) {
                io_tls_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

struct io_tls *io_tls_ref(struct io_tls *t)
{
        t->refs++;
        return t;
}

void io_tls_free(struct io_tls *t)
{
        if (!t || --t->refs > 0)
                return;
        SSL_CTX_free(t->ctx);
        X509_free(t->cert);
        sk_X509_pop_free(t->chain, X509_free);
        sk_X509_pop_free(t->cas, X509_free);
        sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
        for (size_t i = 0; i < t->n_allow; i++)
                free(t->allow[i].cn);
        free(t->allow);
        free(t);
}

/* ---- dates ------------------------------------------------------------------- */

/* x inside its validity period at now, else the error. */
static int tls_check_cert(X509 *x, enum io_tls_field f, time_t now, struct io_tls_err *e)
{
        char name[160], when[40];
        tls_cert_name(x, name, sizeof(name));
        if (X509_cmp_time(X509_get0_notAfter(x), &now) < 0) {
                tls_time_text(X509_get0_notAfter(x), when, sizeof(when));
                return tls_err(e, f, -EKEYEXPIRED, "%s expired on %s", name, when);
        }
        if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0) {
                tls_time_text(X509_get0_notBefore(x), when, sizeof(when));
                return tls_err(e, f, -EKEYEXPIRED, "%s not valid before %s", name, when);
        }
        return 0;
}

int io_tls_check(const struct io_tls *t, time_t now, struct io_tls_err *err)
{
        struct io_tls_err scratch;
        struct io_tls_err *e = err ? err : &scratch;
        int r = tls_check_cert(t->cert, IO_TLS_FIELD_CERTIFICATE, now, e);
        for (int i = 0; r == 0 && i < sk_X509_num(t->chain); i++)
                r = tls_check_cert(sk_X509_value(t->chain, i), IO_TLS_FIELD_CERTIFICATE, now, e);
        for (int i = 0; r == 0 && i < sk_X509_num(t->cas); i++)
                r = tls_check_cert(sk_X509_value(t->cas, i), IO_TLS_FIELD_CA, now, e);
        for (int i = 0; r == 0 && i < sk_X509_CRL_num(t->crls); i++) {
                X509_CRL *c = sk_X509_CRL_value(t->crls, i);
                const ASN1_TIME *next = X509_CRL_get0_nextUpdate(c);
                if (next && X509_cmp_time(next, &now) < 0) {
                        char name[160] = "?", when[40];
                        X509_NAME_oneline(X509_CRL_get_issuer(c), name, sizeof(name));
                        tls_time_text(next, when, sizeof(when));
                        r = tls_err(e, IO_TLS_FIELD_CRL, -EKEYEXPIRED,
                                    "the CRL of %s expired on %s (its next update)", name, when);
                }
        }
        return r;
}

time_t io_tls_not_after(const struct io_tls *t)
{
        struct tm tm;
        if (!ASN1_TIME_to_tm(X509_get0_notAfter(t->cert), &tm))
                return 0;
        return timegm(&tm);
}

int64_t io_tls_days_left(const struct io_tls *t, time_t now)
{
        int64_t s = (int64_t)io_tls_not_after(t) - (int64_t)now;
        /* whole days, rounded toward minus infinity: -1 on the first day after expiry */
        return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

/* ---- for the sessions --------------------------------------------------------- */

SSL_CTX *io_tls_ctx(const struct io_tls *t)
{
        return t->ctx;
}

uint64_t io_tls_renegotiate_ms(const struct io_tls *t)
{
        return t->renegotiate_ms;
}

uint32_t io_tls_handshake_ms(const struct io_tls *t)
{
        return t->handshake_ms;
}
