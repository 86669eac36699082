/* SPDX-License-Identifier: MIT */
/*
 * dnp3gwctl: asks a running dnp3gwd over its read-only control socket
 * (dnp3gwctl(1)): status, points, and a live decoded trace of one
 * outstation's or channel's link, optionally written as a pcap file
 * (each link frame one UDP datagram to or from port 20000, which Wireshark
 * and tshark decode as DNP3).
 *
 * The daemon answers JSON objects, one a line, with flat members (strings,
 * numbers, true/false/null, arrays of those): --json passes them on, the
 * tables are made from them.  A trace arrives as the raw bytes each
 * direction carried; this program finds the link frames and reassembles the
 * fragments (dnp3/link.h, dnp3/transport.h) and prints one line per
 * fragment (and per frame without user data).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "dnp3/app.h"
#include "dnp3/cursor.h"
#include "dnp3/dnptime.h"
#include "dnp3/format.h"
#include "dnp3/link.h"
#include "dnp3/transport.h"

#define CTL_DEFAULT_SOCKET "/run/dnp3gw/control"
#define CTL_SOCKET_ENV "DNP3GWCTL_SOCKET"
#define CTL_MAX_MEMBERS 48

/* ---- one line of the daemon's: a flat JSON object ------------------------ */

struct member {
        char key[32];
        char *val;              /* strings unescaped, arrays as "A|B", others as written */
        bool str;               /* a JSON string (else number, literal or array) */
        bool null;
};

struct jobj {
        struct member m[CTL_MAX_MEMBERS];
        size_t n;
        char text[65536];       /* the values, one after another */
        size_t used;
};

static const char *jobj_get(const struct jobj *o, const char *key)
{
        for (size_t i = 0; i < o->n; i++)
                if (strcmp(o->m[i].key, key) == 0)
                        return o->m[i].null ? NULL : o->m[i].val;
        return NULL;
}

static const char *jobj_str(const struct jobj *o, const char *key, const char *dflt)
{
        const char *v = jobj_get(o, key);
        return v ? v : dflt;
}

/* A JSON string at *p (past its opening quote) into out; -EINVAL if malformed. */
static int json_string(const char **p, char *out, size_t cap, size_t *ret_len)
{
        const char *s = *p;
        size_t k = 0;
        for (;; s++) {
                if (!*s)
                        return -EINVAL;
                if (*s == '"')
                        break;
                char ch = *s;
                if (ch == '\\') {
                        s++;
                        switch (*s) {
                        case '"': case '\\': case '/': ch = *s; break;
                        case 'n': ch = '\n'; break;
                        case 't': ch = '\t'; break;
                        case 'r': ch = '\r'; break;
                        case 'u': {
                                unsigned v = 0;
                                for (int i = 1; i <= 4; i++) {
                                        char h = s[i];
                                        if (!h)
                                                return -EINVAL;
                                        v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
                                }
                                s += 4;
                                ch = v < 0x80 ? (char)v : '?';
                                break;
                        }
                        default: return -EINVAL;
                        }
                }
                if (k + 1 >= cap)
                        return -ENOBUFS;
                out[k++] = ch;
        }
        out[k] = 0;
        *p = s + 1;
        *ret_len = k;
        return 0;
}

/* A scalar (string, number, literal) at *p into out; str/null say which. */
static int json_scalar(const char **p, char *out, size_t cap, size_t *ret_len, bool *str,
                       bool *null)
{
        const char *s = *p;
        *str = *null = false;
        if (*s == '"') {
                *p = s + 1;
                *str = true;
                return json_string(p, out, cap, ret_len);
        }
        size_t k = strcspn(s, ",]}");
        while (k > 0 && s[k - 1] == ' ')
                k--;
        if (k == 0 || k + 1 >= cap)
                return -EINVAL;
        memcpy(out, s, k);
        out[k] = 0;
        *null = strcmp(out, "null") == 0;
        *p = s + k;
        *ret_len = k;
        return 0;
}

static int jobj_parse(struct jobj *o, const char *line)
{
        const char *p = line;
        o->n = 0;
        o->used = 0;
        if (*p++ != '{')
                return -EINVAL;
        while (*p && *p != '}') {
                if (o->n == CTL_MAX_MEMBERS)
                        return -E2BIG;
                struct member *m = &o->m[o->n];
                size_t len;
                if (*p++ != '"' || json_string(&p, m->key, sizeof(m->key), &len) < 0 || *p++ != ':')
                        return -EINVAL;
                m->val = o->text + o->used;
                size_t cap = sizeof(o->text) - o->used;
                int r;
                if (*p == '[') {
                        p++;
                        size_t k = 0;
                        m->str = m->null = false;
                        m->val[0] = 0;
                        while (*p && *p != ']') {
                                bool s, nl;
                                if (k && k + 1 < cap)
                                        m->val[k++] = '|';
                                r = json_scalar(&p, m->val + k, cap - k, &len, &s, &nl);
                                if (r < 0)
                                        return r;
                                k += len;
                                if (*p == ',')
                                        p++;
                        }
                        if (*p++ != ']')
                                return -EINVAL;
                        len = k;
                        m->val[k] = 0;
                } else {
                        r = json_scalar(&p, m->val, cap, &len, &m->str, &m->null);
                        if (r < 0)
                                return r;
                }
                o->used += len + 1;
                o->n++;
                if (*p == ',')
                        p++;
        }
        return *p == '}' ? 0 : -EINVAL;
}

/* ---- the connection -------------------------------------------------------- */

struct conn {
        int fd;
        char buf[1 << 20];
        size_t len;
};

static int conn_open(const char *path, struct conn *c)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "dnp3gwctl: socket path too long: %s\n", path);
                return EX_USAGE;
        }
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                int e = errno;
                fprintf(stderr, "dnp3gwctl: cannot reach dnp3gwd at %s: %s%s\n", path,
                        strerror(e), e == EACCES || e == EPERM ?
                        " (only root and the daemon's user may use the control socket)" :
                        e == ENOENT || e == ECONNREFUSED ? " (is dnp3gwd running? --socket)" : "");
                return e == EACCES || e == EPERM ? EX_NOPERM : EX_UNAVAILABLE;
        }
        c->len = 0;
        return 0;
}

/* The next line (NUL-terminated, without the newline); NULL at the end. */
static char *conn_line(struct conn *c, size_t *used)
{
        for (;;) {
                if (*used) {
                        memmove(c->buf, c->buf + *used, c->len - *used);
                        c->len -= *used;
                        *used = 0;
                }
                char *nl = memchr(c->buf, '\n', c->len);
                if (nl) {
                        *nl = 0;
                        *used = (size_t)(nl - c->buf) + 1;
                        return c->buf;
                }
                if (c->len == sizeof(c->buf))
                        return NULL;
                ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
                if (r < 0 && errno == EINTR)
                        return NULL;
                if (r <= 0)
                        return NULL;
                c->len += (size_t)r;
        }
}

/* ---- tables ---------------------------------------------------------------- */

static void print_status(const struct jobj *o)
{
        const char *kind = jobj_str(o, "kind", "");
        if (strcmp(kind, "daemon") == 0) {
                printf("dnp3gwd %s (pid %s), %s, config %s, started %s\n", jobj_str(o, "name", "?"),
                       jobj_str(o, "pid", "?"), jobj_str(o, "version", "?"), jobj_str(o, "config", "?"),
                       jobj_str(o, "started", "?"));
                printf("  devices online %s/%s, masters connected %s/%s, last error: %s\n",
                       jobj_str(o, "devices_online", "?"), jobj_str(o, "devices", "?"),
                       jobj_str(o, "masters_connected", "?"), jobj_str(o, "outstations", "?"),
                       jobj_str(o, "last_error", "none"));
        } else if (strcmp(kind, "outstation") == 0) {
                printf("outstation %s  listen %s  address %s  master %s\n", jobj_str(o, "name", "?"),
                       jobj_str(o, "listen", "?"), jobj_str(o, "address", "?"),
                       jobj_str(o, "master_address", "?"));
                if (strcmp(jobj_str(o, "running", ""), "true") != 0) {
                        printf("  not running (its endpoint could not be bound)\n");
                        return;
                }
                if (strcmp(jobj_str(o, "connected", ""), "true") == 0)
                        printf("  master %s connected since %s\n", jobj_str(o, "peer", "?"),
                               jobj_str(o, "connected_since", "?"));
                else
                        printf("  no master connected\n");
                printf("  events queued (class 1|2|3) %s of %s, discarded on overflow %s; "
                       "confirmed %s\n", jobj_str(o, "events_queued", "?"),
                       jobj_str(o, "event_depth", "?"), jobj_str(o, "overflow_discarded", "?"),
                       jobj_str(o, "events_confirmed", "?"));
                printf("  requests %s, responses %s, unsolicited %s, disconnects %s, "
                       "events persisted: %s\n", jobj_str(o, "requests", "?"),
                       jobj_str(o, "responses", "?"), jobj_str(o, "unsolicited", "?"),
                       jobj_str(o, "disconnects", "?"),
                       strcmp(jobj_str(o, "persisted", ""), "true") == 0 ? "yes" : "no");
        } else if (strcmp(kind, "channel") == 0) {
                bool open = strcmp(jobj_str(o, "open", ""), "true") == 0;
                printf("channel %s  %s %s  %s since %s%s%s\n", jobj_str(o, "name", "?"),
                       jobj_str(o, "transport", "?"), jobj_str(o, "port", "?"),
                       open ? "open" : "closed",
                       jobj_str(o, open ? "open_since" : "closed_since", "never"),
                       open ? "" : ": ", open ? "" : jobj_str(o, "why", ""));
                printf("  rx %s bytes, tx %s bytes, frames %s, CRC errors %s, discarded bytes %s\n",
                       jobj_str(o, "rx_bytes", "?"), jobj_str(o, "tx_bytes", "?"),
                       jobj_str(o, "frames", "?"), jobj_str(o, "crc_errors", "?"),
                       jobj_str(o, "discarded_bytes", "?"));
        } else if (strcmp(kind, "device") == 0) {
                const char *state = jobj_str(o, "state", "?");
                printf("  device %s/%s  address %s  %s since %s%s%s\n", jobj_str(o, "channel", "?"),
                       jobj_str(o, "name", "?"), jobj_str(o, "address", "?"), state,
                       jobj_str(o, "since", "start"), jobj_get(o, "why") ? ": " : "",
                       jobj_str(o, "why", ""));
                printf("    last response %s; transactions %s, failed %s, timeouts %s, retries %s;"
                       " IIN seen %s\n", jobj_str(o, "last_response", "never"),
                       jobj_str(o, "transactions", "?"), jobj_str(o, "failed", "?"),
                       jobj_str(o, "timeouts", "?"), jobj_str(o, "retries", "?"),
                       *jobj_str(o, "iin_seen", "") ? jobj_str(o, "iin_seen", "") : "none");
        }
}

static void print_point(const struct jobj *o, bool *header)
{
        if (!*header) {
                printf("%-11s %-5s %6s  %-28s %-20s %6s  %-14s %-22s %-24s %-24s %s\n",
                       "OUTSTATION", "TYPE", "INDEX", "NAME", "DEVICE", "SRC", "VALUE", "FLAGS",
                       "TIME", "CHANGED", "CLASS");
                *header = true;
        }
        printf("%-11s %-5s %6s  %-28s %-20s %6s  %-14s %-22s %-24s %-24s %s\n",
               jobj_str(o, "outstation", "?"), jobj_str(o, "type", "?"), jobj_str(o, "index", "?"),
               jobj_str(o, "name", "?"), jobj_str(o, "device", "?"), jobj_str(o, "source_index", "?"),
               jobj_str(o, "value", "-"), *jobj_str(o, "flags", "") ? jobj_str(o, "flags", "") : "-",
               jobj_str(o, "time", "-"), jobj_str(o, "changed", "-"), jobj_str(o, "class", "?"));
}

/* ---- trace ----------------------------------------------------------------- */

struct dir_state {
        struct link_scanner sc;
        struct tport_rx tp;
        uint8_t frag[TPORT_MAX_FRAGMENT];
        uint8_t last_th;        /* transport header of the last segment */
        unsigned segments;
};

struct trace {
        bool json;
        bool outst;             /* the traced session is an outstation (tx: to the master) */
        FILE *pcap;
        struct dir_state dir[2];/* [0] rx, [1] tx */
        uint64_t t;             /* wall ms of the bytes being decoded */
        bool tx;
        uint64_t frames, fragments;
};

static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
        (void)sig;
        stop = 1;
}

static void put_be16(uint8_t *p, unsigned v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static void put_le32(uint8_t *p, uint32_t v)
{
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t)(v >> (8 * i));
}

/* The pcap file header: Ethernet link type. */
static void pcap_header(FILE *f)
{
        uint8_t h[24] = { 0 };
        put_le32(h, 0xa1b2c3d4);
        h[4] = 2;
        h[6] = 4;
        put_le32(h + 16, 65535);
        put_le32(h + 20, 1);
        fwrite(h, 1, sizeof(h), f);
}

/* One link frame as a UDP datagram, master 10.0.0.1 <-> outstation 10.0.0.2, port 20000. */
static void pcap_frame(struct trace *tr, const uint8_t *frame, size_t n)
{
        bool from_master = tr->outst != tr->tx;
        uint8_t rec[16 + 14 + 20 + 8];
        size_t caplen = 14 + 20 + 8 + n;
        put_le32(rec, (uint32_t)(tr->t / 1000));
        put_le32(rec + 4, (uint32_t)(tr->t % 1000 * 1000));
        put_le32(rec + 8, (uint32_t)caplen);
        put_le32(rec + 12, (uint32_t)caplen);
        uint8_t *e = rec + 16, *ip = e + 14, *udp = ip + 20;
        memset(e, 0, 14);
        e[5] = from_master ? 1 : 2;
        e[11] = from_master ? 2 : 1;
        put_be16(e + 12, 0x0800);
        memset(ip, 0, 20);
        ip[0] = 0x45;
        put_be16(ip + 2, (unsigned)(20 + 8 + n));
        ip[6] = 0x40;
        ip[8] = 64;
        ip[9] = 17;
        ip[12] = 10; ip[15] = from_master ? 1 : 2;
        ip[16] = 10; ip[19] = from_master ? 2 : 1;
        uint32_t sum = 0;
        for (int i = 0; i < 20; i += 2)
                sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        put_be16(ip + 10, ~sum & 0xffff);
        put_be16(udp, 20000);
        put_be16(udp + 2, 20000);
        put_be16(udp + 4, (unsigned)(8 + n));
        put_be16(udp + 6, 0);
        fwrite(rec, 1, sizeof(rec), tr->pcap);
        fwrite(frame, 1, n, tr->pcap);
        fflush(tr->pcap);
}

static void trace_print(struct trace *tr, const char *link, const char *transport,
                        const uint8_t *apdu, size_t len)
{
        char iso[DNPTIME_BUF_LEN], dec[4096] = "";
        const char *who = (tr->outst != tr->tx) ? "master->outstation" : "outstation->master";
        dnptime_format(tr->t, iso, sizeof(iso));
        if (apdu)
                fmt_apdu(dec, sizeof(dec), apdu, len, true);
        if (!tr->json) {
                printf("%s %s %s | %s%s%s%s%s\n", iso, tr->tx ? "TX" : "RX", who, link,
                       transport ? " | " : "", transport ? transport : "", apdu ? " | " : "", dec);
                fflush(stdout);
                return;
        }
        struct apdu_hdr h = { 0 };
        struct rd c;
        bool hdr = false;
        if (apdu) {
                rd_init(&c, apdu, len);
                hdr = apdu_parse_hdr(&c, &h) == 0;
        }
        printf("{\"time\":\"%s\",\"dir\":\"%s\",\"from\":\"%s\",\"link\":\"%s\"", iso,
               tr->tx ? "tx" : "rx", tr->outst != tr->tx ? "master" : "outstation", link);
        if (transport)
                printf(",\"transport\":\"%s\"", transport);
        if (hdr) {
                printf(",\"function\":\"%s\",\"fc\":%u,\"seq\":%u", app_func_name(h.func), h.func,
                       h.seq);
                if (h.func == 0x81 || h.func == 0x82) {
                        printf(",\"iin\":[");
                        bool first = true;
                        for (unsigned b = 0; b < 16; b++)
                                if (h.iin & (1u << b)) {
                                        printf("%s\"%s\"", first ? "" : ",", app_iin_bit_name(b));
                                        first = false;
                                }
                        printf("]");
                }
        }
        if (apdu) {
                printf(",\"apdu\":\"");
                for (const char *s = dec; *s; s++)
                        printf(*s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
                printf("\"");
        }
        printf("}\n");
        fflush(stdout);
}

static int trace_on_frame(void *ctx, const struct link_frame *f)
{
        struct trace *tr = ctx;
        struct dir_state *ds = &tr->dir[tr->tx];
        char link[128], transport[64];
        tr->frames++;
        if (tr->pcap) {
                uint8_t raw[LINK_MAX_FRAME];
                int n = link_encode(raw, sizeof(raw), &f->h, f->data, f->data_len);
                if (n > 0)
                        pcap_frame(tr, raw, (size_t)n);
        }
        fmt_link(link, sizeof(link), f);
        enum link_func fn = link_func_from_wire(f->h.prm, f->h.code);
        if ((fn != LINK_FUNC_UNCONFIRMED_USER_DATA && fn != LINK_FUNC_CONFIRMED_USER_DATA) ||
            f->data_len == 0) {
                trace_print(tr, link, NULL, NULL, 0);
                return 0;
        }
        uint8_t th = f->data[0];
        if (th & TPORT_FIR)
                ds->segments = 0;
        ds->segments++;
        const uint8_t *apdu;
        size_t len;
        int r = tport_rx_push(&ds->tp, f->data, f->data_len, &apdu, &len);
        if (r == 0)
                return 0;
        snprintf(transport, sizeof(transport), "TH%s%s SEQ=%u%s", th & TPORT_FIR ? " FIR" : "",
                 th & TPORT_FIN ? " FIN" : "", th & TPORT_SEQ,
                 r < 0 ? " (segment discarded)" : "");
        if (r > 0 && ds->segments > 1) {
                size_t l = strlen(transport);
                snprintf(transport + l, sizeof(transport) - l, " segments=%u", ds->segments);
        }
        if (r > 0)
                tr->fragments++;
        trace_print(tr, link, transport, r > 0 ? apdu : NULL, r > 0 ? len : 0);
        return 0;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char)(c | 0x20);
        return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void trace_bytes(struct trace *tr, const struct jobj *o)
{
        const char *hex = jobj_str(o, "hex", "");
        const char *t = jobj_str(o, "t", "0");
        static uint8_t bytes[1 << 19];
        size_t n = 0;
        tr->t = strtoull(t, NULL, 10);
        tr->tx = strcmp(jobj_str(o, "dir", ""), "tx") == 0;
        for (; hex[0] && hex[1] && n < sizeof(bytes); hex += 2) {
                int a = hexval(hex[0]), b = hexval(hex[1]);
                if (a < 0 || b < 0)
                        break;
                bytes[n++] = (uint8_t)(a << 4 | b);
        }
        link_scanner_push(&tr->dir[tr->tx].sc, bytes, n, trace_on_frame, tr);
}

/* ---- main ------------------------------------------------------------------ */

static void usage(FILE *f)
{
        fprintf(f,
                "usage: dnp3gwctl [OPTIONS] status\n"
                "       dnp3gwctl [OPTIONS] points [OUTSTATION] [--type TYPE] [--index N[-M]]\n"
                "       dnp3gwctl [OPTIONS] trace OUTSTATION|CHANNEL [--pcap FILE]\n"
                "  -s, --socket PATH  the daemon's control socket (default $" CTL_SOCKET_ENV
                ", else " CTL_DEFAULT_SOCKET ")\n"
                "  -j, --json         one JSON object per line instead of a table\n"
                "  -t, --type TYPE    points: bi, dbi, bo, cnt, fcnt, ai, ao\n"
                "  -i, --index N[-M]  points: upstream indexes N to M\n"
                "  -w, --pcap FILE    trace: also write the link frames to FILE (pcap, DNP3 over\n"
                "                     UDP port 20000)\n"
                "  -h, --help         this help\n"
                "  -V, --version      version\n");
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "socket", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "type", required_argument, NULL, 't' },
                { "index", required_argument, NULL, 'i' },
                { "pcap", required_argument, NULL, 'w' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                { 0 },
        };
        const char *sock = getenv(CTL_SOCKET_ENV), *type = NULL, *index = NULL, *pcap = NULL;
        bool json = false;
        int c;
        if (!sock || !*sock)
                sock = CTL_DEFAULT_SOCKET;
        while ((c = getopt_long(argc, argv, "s:jt:i:w:hV", opts, NULL)) != -1) {
                switch (c) {
                case 's': sock = optarg; break;
                case 'j': json = true; break;
                case 't': type = optarg; break;
                case 'i': index = optarg; break;
                case 'w': pcap = optarg; break;
                case 'h': usage(stdout); return 0;
                case 'V': printf("dnp3gwctl (dnp3gw) %s\n", DNP3GW_VERSION); return 0;
                default: usage(stderr); return EX_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return EX_USAGE;
        }
        const char *cmd = argv[optind++];
        char req[512];
        int nargs = argc - optind;
        if (strcmp(cmd, "status") == 0 && nargs == 0 && !type && !index && !pcap) {
                snprintf(req, sizeof(req), "status\n");
        } else if (strcmp(cmd, "points") == 0 && nargs <= 1 && !pcap) {
                int k = snprintf(req, sizeof(req), "points");
                if (nargs == 1)
                        k += snprintf(req + k, sizeof(req) - (size_t)k, " %.64s", argv[optind]);
                if (type)
                        k += snprintf(req + k, sizeof(req) - (size_t)k, " type=%.16s", type);
                if (index)
                        k += snprintf(req + k, sizeof(req) - (size_t)k, " index=%.32s", index);
                snprintf(req + k, sizeof(req) - (size_t)k, "\n");
        } else if (strcmp(cmd, "trace") == 0 && nargs == 1 && !type && !index) {
                snprintf(req, sizeof(req), "trace %.80s\n", argv[optind]);
        } else {
                usage(stderr);
                return EX_USAGE;
        }
        if (strchr(req, ' ') && strpbrk(strchr(req, ' '), "\t\r") != NULL) {
                usage(stderr);
                return EX_USAGE;
        }

        static struct conn conn;
        int r = conn_open(sock, &conn);
        if (r)
                return r;
        signal(SIGPIPE, SIG_IGN);
        /* a refused client is closed at once: its reason is still there to read */
        int werr = write(conn.fd, req, strlen(req)) < 0 ? errno : 0;

        static struct trace tr;
        static struct jobj o;
        tr.json = json;
        if (strcmp(cmd, "trace") == 0) {
                struct sigaction sa = { .sa_handler = on_sigint };
                sigaction(SIGINT, &sa, NULL);   /* no SA_RESTART: the read returns */
                sigaction(SIGTERM, &sa, NULL);
                for (int k = 0; k < 2; k++) {
                        link_scanner_init(&tr.dir[k].sc);
                        tport_rx_init(&tr.dir[k].tp, tr.dir[k].frag, sizeof(tr.dir[k].frag));
                }
                if (pcap) {
                        tr.pcap = fopen(pcap, "wb");
                        if (!tr.pcap) {
                                fprintf(stderr, "dnp3gwctl: %s: %s\n", pcap, strerror(errno));
                                return EX_CANTCREAT;
                        }
                        pcap_header(tr.pcap);
                        fflush(tr.pcap);
                }
        }
        bool header = false, ended = false, tracing = false;
        int rc = 0;
        size_t used = 0;
        char *line;
        while (!stop && (line = conn_line(&conn, &used)) != NULL) {
                if (jobj_parse(&o, line) < 0) {
                        fprintf(stderr, "dnp3gwctl: unreadable answer: %.200s\n", line);
                        rc = EX_PROTOCOL;
                        break;
                }
                const char *kind = jobj_str(&o, "kind", "");
                if (strcmp(kind, "end") == 0) {
                        ended = true;
                        if (jobj_get(&o, "why")) {      /* the daemon ended a trace */
                                fprintf(stderr, "dnp3gwctl: dnp3gwd: %s\n",
                                        jobj_str(&o, "why", "?"));
                                rc = EX_UNAVAILABLE;
                        }
                        break;
                }
                if (strcmp(kind, "error") == 0 || strcmp(kind, "refused") == 0 ||
                    strcmp(kind, "dropped") == 0) {
                        fprintf(stderr, "dnp3gwctl: %s%s: %s\n",
                                strcmp(kind, "dropped") == 0 ? "dropped by dnp3gwd" : "dnp3gwd",
                                strcmp(kind, "refused") == 0 ? " refused the connection" : "",
                                jobj_str(&o, "why", "?"));
                        rc = strcmp(kind, "refused") == 0 ? EX_NOPERM : 1;
                        ended = true;
                        break;
                }
                if (strcmp(kind, "bytes") == 0) {
                        trace_bytes(&tr, &o);
                        continue;
                }
                if (strcmp(kind, "trace") == 0) {
                        tr.outst = strcmp(jobj_str(&o, "type", ""), "outstation") == 0;
                        tracing = true;
                        /* the daemon's acknowledgement: from here on every frame is traced */
                        if (json) {
                                printf("%s\n", line);
                                fflush(stdout);
                        } else {
                                fprintf(stderr, "tracing %s %s (%s); Ctrl-C stops\n",
                                        jobj_str(&o, "type", "?"), jobj_str(&o, "name", "?"),
                                        jobj_str(&o, "port", "?"));
                        }
                        continue;
                }
                if (json) {
                        printf("%s\n", line);
                } else if (strcmp(kind, "point") == 0) {
                        print_point(&o, &header);
                } else {
                        print_status(&o);
                }
        }
        fflush(stdout);
        if (tr.pcap)
                fclose(tr.pcap);
        if (werr && !ended) {
                fprintf(stderr, "dnp3gwctl: %s: %s\n", sock, strerror(werr));
                return EX_UNAVAILABLE;
        }
        if (tracing) {
                if (!stop && rc == 0) {
                        fprintf(stderr, "dnp3gwctl: the daemon ended the trace\n");
                        rc = EX_UNAVAILABLE;
                }
                if (!json)
                        fprintf(stderr, "%" PRIu64 " frames, %" PRIu64 " fragments\n", tr.frames,
                                tr.fragments);
                return rc;
        }
        if (!ended && rc == 0) {
                fprintf(stderr, "dnp3gwctl: the daemon closed the connection early\n");
                rc = EX_PROTOCOL;
        }
        close(conn.fd);
        return rc;
}
