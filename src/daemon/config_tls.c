/* SPDX-License-Identifier: MIT */
/*
 * The tls group of an outstation (the gateway is the TLS server) and of a
 * channel's tcp group (the gateway is the TLS client to the IED or terminal
 * server): DNP3 over TLS (IEC 62351-3) with mutual authentication.  Every
 * key has a default (dnp3gw.conf(5)); `tls = { };` is TLS with the files in
 * GW_TLS_DIR.  Outstations sharing one listen endpoint share its handshake
 * (it happens before the first frame names an outstation), so their tls
 * groups must be the same.
 */
#include "daemon/config_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char *const tls_keys[] = {
        "certificate", "private_key", "ca", "crl", "allow", "min_version", "ciphers",
        "renegotiate",
};

/* A path key: absolute, or "" where allowed (crl); *ret keeps its default otherwise. */
static void tls_path(struct ld *ld, const config_setting_t *g, const char *key, bool empty_ok,
                     char **ret)
{
        const config_setting_t *s;
        const char *v;
        if (cfg_get_string(ld, g, key, &s, &v) <= 0)
                return;
        if (v[0] == 0 && empty_ok) {
                free(*ret);
                *ret = NULL;
                return;
        }
        if (v[0] != '/') {
                cfg_err(ld, s, "\"%s\" is not an absolute path (e.g. \"" GW_TLS_DIR "/%s\")%s", v,
                        strcmp(key, "ca") == 0 ? "ca.crt"
                        : strcmp(key, "crl") == 0 ? "ca.crl"
                        : strcmp(key, "private_key") == 0 ? "gateway.key" : "gateway.crt",
                        empty_ok ? " or \"\" (none)" : "");
                return;
        }
        char *dup = cfg_strdup(ld, v);
        if (dup) {
                free(*ret);
                *ret = dup;
        }
}

static void tls_allow(struct ld *ld, const config_setting_t *al, struct gw_tls *t)
{
        if (!config_setting_is_array(al) && !config_setting_is_list(al)) {
                cfg_err(ld, al, "expected an array of peers [ \"CN=scada-primary\", "
                        "\"SHA256:4F:2A:...\" ], found %s", cfg_type_name(al));
                return;
        }
        size_t n = (size_t)config_setting_length(al);
        t->allow = cfg_calloc(ld, n, sizeof(*t->allow));
        for (size_t k = 0; k < n && t->allow; k++) {
                const config_setting_t *e = config_setting_get_elem(al, (unsigned)k);
                if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                        cfg_err(ld, e, "expected a string, found %s", cfg_type_name(e));
                        continue;
                }
                /* the form of each entry is io_tls_new()'s to check */
                const char *v = config_setting_get_string(e);
                for (size_t j = 0; j < t->nallow; j++)
                        if (strcmp(t->allow[j], v) == 0)
                                cfg_notice(ld, e, "\"%s\" is listed twice", v);
                t->allow[t->nallow] = cfg_strdup(ld, v);
                if (t->allow[t->nallow])
                        t->nallow++;
        }
}

void gw_tls_io_cfg(const struct gw_tls *t, struct io_tls_cfg *ret)
{
        *ret = (struct io_tls_cfg){
                .certificate = t->certificate,
                .private_key = t->private_key,
                .ca = t->ca,
                .crl = t->crl,
                .allow = (const char *const *)t->allow,
                .n_allow = t->nallow,
                .min_version = t->min_version,
                .ciphers = t->ciphers,
                .renegotiate_ms = t->renegotiate_ms,
        };
}

/* An error of io_tls_new() or io_tls_check() at the key it is about (the group if defaulted). */
static void tls_file_err(struct ld *ld, const config_setting_t *g, const struct io_tls_err *e)
{
        const char *key = io_tls_field_name(e->field);
        const config_setting_t *s = config_setting_get_member(g, key);
        if (s && e->field == IO_TLS_FIELD_ALLOW && config_setting_length(s) > 0)
                s = config_setting_get_elem(s, (unsigned)e->index);
        if (s)
                cfg_err(ld, s, "%s", e->text);
        else
                cfg_err(ld, g, "%s: %s", key, e->text);
}

/*
 * The private key may be readable by the service only: owner root, the
 * service's group, mode 0640 (dnp3gw.conf(5)).  Other users: refused.
 */
static void tls_key_mode(struct ld *ld, const config_setting_t *g, const struct gw_tls *t)
{
        struct stat st;
        if (stat(t->private_key, &st) != 0 || !(st.st_mode & S_IRWXO))
                return;         /* unreadable: io_tls_new() says so */
        const config_setting_t *s = config_setting_get_member(g, "private_key");
        cfg_err(ld, s ? s : g, "%s is open to other users (mode %04o): make it owner root, "
                "group of the service, mode 0640", t->private_key,
                (unsigned)(st.st_mode & 07777));
}

/*
 * Whether every file named is a regular file or missing (io_tls_new() says
 * so): a FIFO would block the loader and a device may never end.
 */
static bool tls_regular(struct ld *ld, const config_setting_t *g, const struct gw_tls *t)
{
        const struct {
                const char *key, *path;
        } f[] = {
                { "certificate", t->certificate },
                { "private_key", t->private_key },
                { "ca", t->ca },
                { "crl", t->crl },
        };
        bool ok = true;
        for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
                struct stat st;
                if (!f[i].path || stat(f[i].path, &st) != 0 || S_ISREG(st.st_mode))
                        continue;
                const config_setting_t *s = config_setting_get_member(g, f[i].key);
                if (s)
                        cfg_err(ld, s, "%s is not a regular file", f[i].path);
                else
                        cfg_err(ld, g, "%s: %s is not a regular file", f[i].key, f[i].path);
                ok = false;
        }
        return ok;
}

/* Read the files (errors at their keys), check the dates, note a certificate expiring soon. */
static void tls_files(struct ld *ld, const config_setting_t *g, struct gw_tls *t)
{
        struct io_tls_cfg c;
        struct io_tls_err e;
        gw_tls_io_cfg(t, &c);
        if (!tls_regular(ld, g, t))
                return;
        tls_key_mode(ld, g, t);
        int r = io_tls_new(&c, &t->ctx, &e);
        if (r == -ENOMEM) {
                ld->oom = true;
                return;
        }
        if (r < 0) {
                tls_file_err(ld, g, &e);
                return;
        }
        time_t now = time(NULL);
        if (io_tls_check(t->ctx, now, &e) < 0) {
                tls_file_err(ld, g, &e);
                return;
        }
        int64_t days = io_tls_days_left(t->ctx, now);
        if (days < GW_TLS_EXPIRY_WARN_DAYS) {
                char when[32];
                time_t end = io_tls_not_after(t->ctx);
                struct tm tm;
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", gmtime_r(&end, &tm));
                const config_setting_t *s = config_setting_get_member(g, "certificate");
                cfg_notice(ld, s ? s : g, "%s expires in %lld day%s (%s)", t->certificate,
                           (long long)days, days == 1 ? "" : "s", when);
        }
}

void cfg_parse_tls(struct ld *ld, const config_setting_t *g, struct gw_tls *t)
{
        *t = (struct gw_tls){
                .enabled = true,
                .certificate = cfg_strdup(ld, GW_TLS_DIR "/gateway.crt"),
                .private_key = cfg_strdup(ld, GW_TLS_DIR "/gateway.key"),
                .ca = cfg_strdup(ld, GW_TLS_DIR "/ca.crt"),
                .min_version = IO_TLS_1_2,
                .renegotiate_ms = 3600000,
        };
        size_t nerr = ld->nerr;
        if (!cfg_want_group(ld, g))
                return;
        cfg_check_keys(ld, g, tls_keys, ARRAY_SIZE(tls_keys));
        tls_path(ld, g, "certificate", false, &t->certificate);
        tls_path(ld, g, "private_key", false, &t->private_key);
        tls_path(ld, g, "ca", false, &t->ca);
        tls_path(ld, g, "crl", true, &t->crl);
        const config_setting_t *al = config_setting_get_member(g, "allow");
        if (al)
                tls_allow(ld, al, t);
        static const char *const versions[] = {
#define X(name, text) [IO_TLS_##name] = text,
                IO_TLS_VERSION_LIST(X)
#undef X
        };
        int v;
        if (cfg_get_enum(ld, g, "min_version", versions, ARRAY_SIZE(versions), &v) > 0)
                t->min_version = (enum io_tls_version)v;
        const config_setting_t *cs;
        const char *ciphers;
        if (cfg_get_string(ld, g, "ciphers", &cs, &ciphers) > 0 && ciphers[0])
                t->ciphers = cfg_strdup(ld, ciphers);
        const config_setting_t *rs = config_setting_get_member(g, "renegotiate");
        uint64_t ms;
        if (rs && cfg_time_value(ld, rs, false, &ms) > 0) {
                if (ms != 0 && ms < 1000)
                        cfg_err(ld, rs, "%g is too short: 0 (off) or at least 1 second",
                                (double)ms / 1000.0);
                else
                        t->renegotiate_ms = ms;
        }
        if (ld->nerr == nerr)
                tls_files(ld, g, t);
}

static bool tls_str_eq(const char *a, const char *b)
{
        return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* The first key in which a and b differ, NULL when they are the same. */
const char *gw_tls_differs(const struct gw_tls *a, const struct gw_tls *b)
{
        if (a->enabled != b->enabled)
                return "tls";
        if (!a->enabled)
                return NULL;
        if (!tls_str_eq(a->certificate, b->certificate))
                return "certificate";
        if (!tls_str_eq(a->private_key, b->private_key))
                return "private_key";
        if (!tls_str_eq(a->ca, b->ca))
                return "ca";
        if (!tls_str_eq(a->crl, b->crl))
                return "crl";
        if (a->nallow != b->nallow)
                return "allow";
        for (size_t i = 0; i < a->nallow; i++)
                if (strcmp(a->allow[i], b->allow[i]) != 0)
                        return "allow";
        if (a->min_version != b->min_version)
                return "min_version";
        if (!tls_str_eq(a->ciphers, b->ciphers))
                return "ciphers";
        if (a->renegotiate_ms != b->renegotiate_ms)
                return "renegotiate";
        return NULL;
}

void gw_tls_free(struct gw_tls *t)
{
        io_tls_free(t->ctx);
        free(t->certificate);
        free(t->private_key);
        free(t->ca);
        free(t->crl);
        for (size_t i = 0; i < t->nallow; i++)
                free(t->allow[i]);
        free(t->allow);
        free(t->ciphers);
        *t = (struct gw_tls){ .enabled = false };
}
