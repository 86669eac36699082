/* SPDX-License-Identifier: MIT */
/*
 * The daemon's only path to the journal.  Structured fields (DNP3GW_*),
 * MESSAGE_IDs for lifecycle events (explained by systemd/dnp3gw.catalog),
 * and a stderr fallback ("<level> message KEY=value ...") when the process
 * is not connected to journald.  The protocol core never logs: it reports
 * through return codes, counters and upcalls that the daemon turns into
 * log lines here.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* syslog priorities, plus TRACE below DEBUG (sent to the journal as DEBUG). */
#define LOG_LEVEL_LIST(X)       \
        X(ERROR, 3, "error")    \
        X(WARNING, 4, "warning")\
        X(NOTICE, 5, "notice")  \
        X(INFO, 6, "info")      \
        X(DEBUG, 7, "debug")    \
        X(TRACE, 8, "trace")

enum log_level {
#define X(name, prio, str) LOG_##name##_LEVEL = prio,
        LOG_LEVEL_LIST(X)
#undef X
};

/* MESSAGE_IDs: X(name, 32 hex digits).  Keep in step with systemd/dnp3gw.catalog. */
#define LOG_MSGID_LIST(X)                                               \
        X(CONFIG_LOADED, "8b5f24d5418b4d38b2cfcf55f7715627")            \
        X(DEVICE_ONLINE, "073fb73196ff4c36985c0ab2f419a00f")            \
        X(DEVICE_OFFLINE, "d89fc0466ffa47f7a4115dfb2bb097cd")           \
        X(MASTER_CONNECTED, "8d5db9937454413fb4bf608b7986963b")         \
        X(MASTER_DISCONNECTED, "b27bc858d0f04619aabb05b349fc1c90")      \
        X(CONTROL_AUDIT, "40212c0f361c4299b900bd81769167f8")            \
        X(FREEZE_AUDIT, "d573566396514fbabc7cbea4dfb02f43")             \
        X(EVENT_OVERFLOW, "88a7d0e637e44cfea5884e649ca29bc3")           \
        X(CHANNEL_STATE, "599a0d5f8c70448a9f215c70486659da")            \
        X(STATUS_REPORT, "1558169e3a5b4ea7a3462eb9ec65dfec")            \
        X(EVENTS_RESTORED, "d4f91273004341fbba5d391e93d2e7e4")          \
        X(JOURNAL_STATE, "a5db95569b1d4574ab4afb2c9cf544be")            \
        X(TLS_REFUSED, "c147be3ffdce4da2bffc0a8be5711dc1")              \
        X(TLS_EXPIRY, "14732c32357e409fa0ba39f9fd3ea143")

enum log_msgid {
        LOG_MSGID_NONE,
#define X(name, id) LOG_MSGID_##name,
        LOG_MSGID_LIST(X)
#undef X
        LOG_MSGID_MAX
};

struct log_field {
        const char *key;        /* e.g. "DNP3GW_DEVICE" */
        const char *value;
};

/* Parse "error" ... "trace"; 0 or -EINVAL. */
int log_level_from_string(const char *s, enum log_level *ret);
/* "error" ... "trace"; NAMES_UNKNOWN (dnp3/names.h) for other values. */
const char *log_level_name(enum log_level l);

/*
 * to_journal: send to journald (the daemon passes log_journal_detect());
 * otherwise lines go to stderr.
 */
void log_setup(enum log_level max, bool to_journal);
void log_set_level(enum log_level max);
bool log_enabled(enum log_level l);
/* True when stderr is the journal's stream (JOURNAL_STREAM matches fd 2). */
bool log_journal_detect(void);

__attribute__((format(printf, 5, 6)))
void log_send(enum log_level l, enum log_msgid id, const struct log_field *fields, size_t n_fields,
              const char *fmt, ...);

#define log_error(...) log_send(LOG_ERROR_LEVEL, LOG_MSGID_NONE, NULL, 0, __VA_ARGS__)
#define log_warning(...) log_send(LOG_WARNING_LEVEL, LOG_MSGID_NONE, NULL, 0, __VA_ARGS__)
#define log_notice(...) log_send(LOG_NOTICE_LEVEL, LOG_MSGID_NONE, NULL, 0, __VA_ARGS__)
#define log_info(...) log_send(LOG_INFO_LEVEL, LOG_MSGID_NONE, NULL, 0, __VA_ARGS__)
#define log_debug(...) log_send(LOG_DEBUG_LEVEL, LOG_MSGID_NONE, NULL, 0, __VA_ARGS__)

/*
 * A rate limiter: at most `burst` messages (0 counts as 1) per interval,
 * the interval starting with the first message that passes; the first one
 * of the next interval can say how many were suppressed.
 */
struct log_ratelimit {
        uint64_t interval_ms;
        uint64_t next_ms;               /* end of the current interval */
        uint64_t suppressed;
        unsigned burst;
        unsigned used;                  /* messages passed in the current interval */
};

/* now_ms from the daemon's clock.  Returns true if a message may go out; then
 * *ret_suppressed (if not NULL) gets the count suppressed since the last one. */
bool log_ratelimit_ok(struct log_ratelimit *rl, uint64_t now_ms, uint64_t *ret_suppressed);

/*
 * A keyed rate limiter: one log_ratelimit per key (a peer, an address
 * pair...), LOG_RLTAB_SLOTS keys at a time (the one whose interval ends
 * first makes room), and a budget for the whole table: a peer varying its
 * keys gets new slots, but not more than LOG_RLTAB_BUDGET lines a minute.
 * Zero-initialised it is ready; burst and summarize may be set first.
 */
#define LOG_RLTAB_SLOTS 16
#define LOG_RLTAB_BUDGET 16
#define LOG_MINUTE_MS 60000u

struct log_rltab_slot {
        bool used;
        uint64_t key;
        struct log_ratelimit rl;
        char label[48];                 /* what the key stands for (summaries) */
};

struct log_rltab {
        struct log_rltab_slot s[LOG_RLTAB_SLOTS];
        uint64_t window_end;            /* of the budget's minute */
        unsigned in_window;
        uint64_t suppressed;            /* by the budget, reported with the next line */
        unsigned burst;                 /* messages per key per interval (0 = 1) */
        /* held-back counts are not reported with the next message but by
         * log_rltab_flush() summaries, once the key's interval (or the
         * budget's minute) is over */
        bool summarize;
};

/*
 * Whether a message for key may go out now: at most t->burst per interval
 * per key, at most LOG_RLTAB_BUDGET a minute for the table.  label (may be
 * NULL) names a new key in the summaries.  *ret_suppressed (if not NULL)
 * gets how many were held back since the last one that went out (0 for a
 * summarize table).
 */
bool log_rltab_ok(struct log_rltab *t, uint64_t key, const char *label, uint64_t now_ms,
                  uint64_t interval_ms, uint64_t *ret_suppressed);

/*
 * Summaries of a summarize table: fn(ctx, label, n) for each key whose
 * interval is over with n messages held back, and fn(ctx, NULL, n) for the
 * ones the budget held back (or of keys pushed out of the table) once its
 * minute is over.  Returns when the next summary is due, UINT64_MAX if none.
 * Call it before log_rltab_ok() so that a new interval never starts with a
 * count pending; now_ms = UINT64_MAX flushes everything.
 */
uint64_t log_rltab_flush(struct log_rltab *t, uint64_t now_ms,
                         void (*fn)(void *ctx, const char *label, uint64_t n), void *ctx);

/* A key from a string (FNV-1a). */
uint64_t log_key(const char *s);
