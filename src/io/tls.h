/* SPDX-License-Identifier: MIT */
/*
 * DNP3 over TLS (IEC 62351-3) with OpenSSL: a TLS context built from one
 * `tls` block of the configuration, and what the byte-pipe backends
 * (io/pipe.h) and the daemon do with it.
 *
 *  - Mutual authentication always: either side sends its certificate
 *    (chain) and requires the peer's; the peer's must chain to `ca`, be
 *    inside its validity period, not be revoked by `crl` (when one is
 *    given: the peer's issuer must then have a current CRL in the file), and
 *    match the allow list ("CN=name": a commonName of the subject, exact;
 *    "SHA256:AA:BB:...": the certificate's SHA-256 fingerprint, hex case
 *    ignored, colons optional).  An empty allow list admits any peer the CA
 *    signed.  No host-name check: the allow list names the peer.
 *  - A refused handshake ends with an alert to the peer and a refusal: one
 *    enum (counted) and one exact text for the log (struct io_tls_refusal).
 *  - TLS below min_version, plain TCP to a TLS endpoint (the first byte is
 *    not a TLS handshake record) and a peer silent past the handshake
 *    timeout are refusals too.
 *  - ciphers "" is the IEC 62351-3 profile default (IO_TLS_DEFAULT_CIPHERS,
 *    IO_TLS_DEFAULT_SUITES13).  A given list is OpenSSL's syntax; its "TLS_"
 *    entries are TLS 1.3 suites, the others TLS 1.2 ones; a part left empty
 *    keeps its default.
 *  - renegotiate: every so often each side that set it updates the keys
 *    without dropping the connection: a TLS 1.3 KeyUpdate (asking the peer
 *    to update too), a TLS 1.2 renegotiation.
 *  - No session resumption (no tickets, no cache): every connection is a
 *    full handshake with both certificates checked.
 *
 * A context is shared: the listener and client pipes it is given to take a
 * reference, so io_tls_free() after a reload (SIGHUP) is safe while old
 * connections live on.  Nothing here logs: refusals and failures are
 * returned as texts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct io_pipe;

/* The IEC 62351-3 profile default: ECDHE with AES-GCM (TLS 1.2), AES-GCM (TLS 1.3). */
#define IO_TLS_DEFAULT_CIPHERS                                                  \
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"            \
        "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
#define IO_TLS_DEFAULT_SUITES13 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"

/* A handshake not finished this long after the TCP connection is refused. */
#define IO_TLS_HANDSHAKE_MS 10000

/* min_version values.  X(name, text) */
#define IO_TLS_VERSION_LIST(X)          \
        X(1_2, "1.2")                   \
        X(1_3, "1.3")

#define IO_TLS_VERSION_ENUM(name, text) IO_TLS_##name,
enum io_tls_version { IO_TLS_VERSION_LIST(IO_TLS_VERSION_ENUM) IO_TLS_VERSION_MAX };
const char *io_tls_version_name(enum io_tls_version v);
/* "1.2" / "1.3": 0 and *ret, or -EINVAL. */
int io_tls_version_parse(const char *s, enum io_tls_version *ret);

/* One `tls` block (the strings are read by io_tls_new(), not kept). */
struct io_tls_cfg {
        const char *certificate;        /* PEM: our certificate, then its chain */
        const char *private_key;        /* PEM, unencrypted */
        const char *ca;                 /* PEM: the CA(s) peers must chain to */
        const char *crl;                /* PEM CRL(s); NULL or "" = none */
        const char *const *allow;       /* "CN=..." / "SHA256:..." */
        size_t n_allow;                 /* 0 = any peer the CA signed */
        enum io_tls_version min_version;
        bool exact_version;             /* min_version only, no newer (the tools' --tls-version) */
        const char *ciphers;            /* NULL or "" = the IEC 62351-3 default */
        uint64_t renegotiate_ms;        /* key update interval; 0 = off */
        uint32_t handshake_ms;          /* 0 = IO_TLS_HANDSHAKE_MS */
};

/* Which key of the block an error is about.  X(name, text: the config key) */
#define IO_TLS_FIELD_LIST(X)                    \
        X(CERTIFICATE, "certificate")           \
        X(PRIVATE_KEY, "private_key")           \
        X(CA, "ca")                             \
        X(CRL, "crl")                           \
        X(ALLOW, "allow")                       \
        X(MIN_VERSION, "min_version")           \
        X(CIPHERS, "ciphers")

#define IO_TLS_FIELD_ENUM(name, text) IO_TLS_FIELD_##name,
enum io_tls_field { IO_TLS_FIELD_LIST(IO_TLS_FIELD_ENUM) IO_TLS_FIELD_MAX };
const char *io_tls_field_name(enum io_tls_field f);

/* Why a context could not be made or a check failed. */
struct io_tls_err {
        enum io_tls_field field;
        size_t index;                   /* IO_TLS_FIELD_ALLOW: the entry */
        char text[256];                 /* "cannot read /x.key: Permission denied", ... */
};

/* Why a handshake (or a re-verification) refused the peer.  X(name, text) */
#define IO_TLS_WHY_LIST(X)                                                      \
        X(NOT_TLS, "not TLS")                                                   \
        X(PLAIN_ENDPOINT, "TLS on a plain endpoint")                            \
        X(VERSION, "TLS version below min_version")                             \
        X(CIPHER, "no shared cipher suite")                                     \
        X(NO_CERT, "no peer certificate")                                       \
        X(UNTRUSTED, "certificate does not chain to the CA")                    \
        X(EXPIRED, "certificate expired")                                       \
        X(NOT_YET_VALID, "certificate not yet valid")                           \
        X(REVOKED, "certificate revoked")                                       \
        X(NO_CRL, "no current CRL for the certificate's issuer")                \
        X(NOT_ALLOWED, "certificate not on the allow list")                     \
        X(PEER_REFUSED, "refused by the peer")                                  \
        X(TIMEOUT, "handshake timeout")                                         \
        X(BUSY, "too many handshakes at once")                                  \
        X(CLOSED, "closed by the peer during the handshake")                    \
        X(FAILED, "handshake failed")

#define IO_TLS_WHY_ENUM(name, text) IO_TLS_WHY_##name,
enum io_tls_why { IO_TLS_WHY_LIST(IO_TLS_WHY_ENUM) IO_TLS_WHY_MAX };
const char *io_tls_why_name(enum io_tls_why w);

struct io_tls_refusal {
        enum io_tls_why why;
        /* The exact reason for the log: the why text, then details, e.g.
         * "certificate revoked (CN=master-b)", "refused by the peer: alert
         * certificate unknown", "TLS version below min_version (TLSv1.2)". */
        char text[256];
};

/*
 * The first bytes of a connection to a PLAIN endpoint: true (and r filled)
 * when they open a TLS handshake record (0x16 0x03: a TLS client's
 * ClientHello; a DNP3 link frame opens 0x05 0x64), which the endpoint
 * refuses with IO_TLS_WHY_PLAIN_ENDPOINT.
 */
bool io_tls_hello_on_plain(const uint8_t *p, size_t n, struct io_tls_refusal *r);

struct io_tls;

/*
 * Read the files and build the context: 0 and *ret, or -errno with *err
 * (unreadable file: its errno; not PEM, key not matching the certificate,
 * a malformed allow entry or cipher list: -EINVAL).  Checks no dates.
 */
int io_tls_new(const struct io_tls_cfg *cfg, struct io_tls **ret, struct io_tls_err *err);
/* Drop the caller's reference (NULL is fine); connections keep theirs. */
void io_tls_free(struct io_tls *t);
/* Another reference (io_tls_free() drops it).  Returns t. */
struct io_tls *io_tls_ref(struct io_tls *t);

/*
 * The dates at now (what `dnp3gwd -t` and startup check beyond
 * io_tls_new()): our certificate and every CA certificate inside their
 * validity period, and each CRL's next update not passed.  0, or
 * -EKEYEXPIRED with *err (field CERTIFICATE, CA or CRL).
 */
int io_tls_check(const struct io_tls *t, time_t now, struct io_tls_err *err);
/* The end of our certificate's validity (for the expiry warning). */
time_t io_tls_not_after(const struct io_tls *t);
/* Whole days from now to io_tls_not_after() (negative once expired). */
int64_t io_tls_days_left(const struct io_tls *t, time_t now);

/* Whether p is a TLS connection (an accepted one or a TLS client that is up). */
bool io_pipe_is_tls(const struct io_pipe *p);
/*
 * Re-verify the peer of a connected TLS pipe against t (its CA, CRL and
 * allow list; dates at the current time), for a reload: 0 if it still
 * verifies, -EPERM with *ret the refusal if not (the owner drops it),
 * -ENOTCONN if p is not an up TLS pipe.
 */
int io_tls_reverify(const struct io_tls *t, const struct io_pipe *p, struct io_tls_refusal *ret);
/* The peer certificate's subject ("CN=master-a, O=...") of an up TLS pipe, "" if none. */
const char *io_pipe_tls_peer(const struct io_pipe *p);
/* The negotiated version ("TLSv1.3") and suite of an up TLS pipe, "" if none. */
const char *io_pipe_tls_version(const struct io_pipe *p);
const char *io_pipe_tls_cipher(const struct io_pipe *p);

/* What an up TLS pipe did to its keys (the key update timer and the peer's). */
struct io_tls_stats {
        uint64_t rekeys_started;        /* key updates / renegotiations this side's timer began */
        uint64_t key_updates_sent;      /* TLS 1.3 KeyUpdate messages sent (requested or answers) */
        uint64_t key_updates_received;
        uint64_t renegotiations;        /* TLS 1.2 handshakes finished after the first */
};
/* NULL if p is not an up TLS pipe. */
const struct io_tls_stats *io_pipe_tls_stats(const struct io_pipe *p);

/*
 * A TLS client pipe (io_pipe_cfg.tcp.tls set): the context for the next
 * connection (the current one is kept: re-verify it).  0, or -EINVAL when
 * p is not one.
 */
int io_pipe_tls_set(struct io_pipe *p, struct io_tls *t);
