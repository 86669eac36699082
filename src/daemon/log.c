/* SPDX-License-Identifier: MIT */
#include "daemon/log.h"

#include "dnp3/names.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#define LOG_MAX_FIELDS 24

static enum log_level log_max = LOG_INFO_LEVEL;
static bool log_journal;

#define LOG_LEVEL_NAME(name, prio, str) [prio] = str,
NAMES_DEFINE(log_level_name, enum log_level, LOG_LEVEL_LIST, LOG_LEVEL_NAME)

static const char *const msgids[LOG_MSGID_MAX] = {
#define X(name, id) [LOG_MSGID_##name] = id,
        LOG_MSGID_LIST(X)
#undef X
};

int log_level_from_string(const char *s, enum log_level *ret)
{
        for (size_t i = 0; i < NAMES_COUNT(log_level_name_tab); i++)
                if (log_level_name_tab[i] && strcmp(log_level_name_tab[i], s) == 0) {
                        *ret = (enum log_level)i;
                        return 0;
                }
        return -EINVAL;
}

void log_setup(enum log_level max, bool to_journal)
{
        log_max = max;
        log_journal = to_journal;
}

void log_set_level(enum log_level max)
{
        log_max = max;
}

bool log_enabled(enum log_level l)
{
        return l <= log_max;
}

bool log_journal_detect(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        struct stat st;
        unsigned long long dev, ino;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
                return false;
        return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_send(enum log_level l, enum log_msgid id, const struct log_field *fields, size_t n_fields,
              const char *fmt, ...)
{
        char msg[2048];
        va_list ap;

        if (!log_enabled(l))
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (n_fields > LOG_MAX_FIELDS)
                n_fields = LOG_MAX_FIELDS;

        if (!log_journal) {
                char line[4096];
                size_t off = (size_t)snprintf(line, sizeof(line), "<%s> %s", log_level_name(l), msg);
                for (size_t i = 0; i < n_fields && off < sizeof(line); i++)
                        off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%s", fields[i].key,
                                                fields[i].value);
                fprintf(stderr, "%s\n", line);
                return;
        }

        /* MESSAGE, PRIORITY, MESSAGE_ID, SYSLOG_IDENTIFIER, then the fields. */
        char bufs[4 + LOG_MAX_FIELDS][512];
        char message[2100];
        struct iovec iov[4 + LOG_MAX_FIELDS];
        size_t n = 0;

        snprintf(message, sizeof(message), "MESSAGE=%s", msg);
        iov[n++] = (struct iovec){ message, strlen(message) };
        snprintf(bufs[n], sizeof(bufs[n]), "PRIORITY=%d", l > LOG_DEBUG_LEVEL ? LOG_DEBUG_LEVEL : l);
        iov[n] = (struct iovec){ bufs[n], strlen(bufs[n]) };
        n++;
        if (id > LOG_MSGID_NONE && id < LOG_MSGID_MAX) {
                snprintf(bufs[n], sizeof(bufs[n]), "MESSAGE_ID=%s", msgids[id]);
                iov[n] = (struct iovec){ bufs[n], strlen(bufs[n]) };
                n++;
        }
        snprintf(bufs[n], sizeof(bufs[n]), "SYSLOG_IDENTIFIER=dnp3gwd");
        iov[n] = (struct iovec){ bufs[n], strlen(bufs[n]) };
        n++;
        for (size_t i = 0; i < n_fields; i++, n++) {
                snprintf(bufs[n], sizeof(bufs[n]), "%s=%s", fields[i].key, fields[i].value);
                iov[n] = (struct iovec){ bufs[n], strlen(bufs[n]) };
        }
        sd_journal_sendv(iov, (int)n);
}

bool log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_ms, uint64_t *ret_suppressed)
{
        if (now_ms < rl->next_ms) {
                if (rl->used >= (rl->burst ? rl->burst : 1)) {
                        rl->suppressed++;
                        return false;
                }
                rl->used++;             /* nothing suppressed yet in this interval */
                if (ret_suppressed)
                        *ret_suppressed = 0;
                return true;
        }
        if (ret_suppressed)
                *ret_suppressed = rl->suppressed;
        rl->suppressed = 0;
        rl->next_ms = now_ms + rl->interval_ms;
        rl->used = 1;
        return true;
}

bool log_rltab_ok(struct log_rltab *t, uint64_t key, const char *label, uint64_t now_ms,
                  uint64_t interval_ms, uint64_t *ret_suppressed)
{
        struct log_rltab_slot *slot = NULL, *victim = &t->s[0];
        for (size_t i = 0; i < LOG_RLTAB_SLOTS && !slot; i++) {
                struct log_rltab_slot *s = &t->s[i];
                if (s->used && s->key == key)
                        slot = s;
                else if (!s->used)
                        victim = s;
                else if (victim->used && s->rl.next_ms < victim->rl.next_ms)
                        victim = s;
        }
        if (!slot) {
                if (t->summarize && victim->used)       /* its count goes on in the table's */
                        t->suppressed += victim->rl.suppressed;
                *victim = (struct log_rltab_slot){ .used = true, .key = key,
                                                   .rl = { .interval_ms = interval_ms,
                                                           .burst = t->burst } };
                if (label)
                        snprintf(victim->label, sizeof(victim->label), "%s", label);
                slot = victim;
        }
        uint64_t supp = 0;
        if (!log_ratelimit_ok(&slot->rl, now_ms, &supp))
                return false;
        if (now_ms >= t->window_end) {
                t->window_end = now_ms + LOG_MINUTE_MS;
                t->in_window = 0;
        }
        if (t->in_window >= LOG_RLTAB_BUDGET) {
                t->suppressed += 1 + supp;
                return false;
        }
        t->in_window++;
        if (t->summarize) {
                supp = 0;       /* log_rltab_flush() ran first: nothing was pending */
        } else {
                supp += t->suppressed;
                t->suppressed = 0;
        }
        if (ret_suppressed)
                *ret_suppressed = supp;
        return true;
}

uint64_t log_rltab_flush(struct log_rltab *t, uint64_t now_ms,
                         void (*fn)(void *ctx, const char *label, uint64_t n), void *ctx)
{
        uint64_t next = UINT64_MAX;
        for (size_t i = 0; i < LOG_RLTAB_SLOTS; i++) {
                struct log_rltab_slot *s = &t->s[i];
                if (!s->used || s->rl.suppressed == 0)
                        continue;
                if (now_ms >= s->rl.next_ms) {
                        fn(ctx, s->label, s->rl.suppressed);
                        s->rl.suppressed = 0;
                } else if (s->rl.next_ms < next) {
                        next = s->rl.next_ms;
                }
        }
        if (t->suppressed > 0) {
                if (now_ms >= t->window_end) {
                        fn(ctx, NULL, t->suppressed);
                        t->suppressed = 0;
                } else if (t->window_end < next) {
                        next = t->window_end;
                }
        }
        return next;
}

uint64_t log_key(const char *s)
{
        uint64_t h = 1469598103934665603u;
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 1099511628211u;
        return h;
}
