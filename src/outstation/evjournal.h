/* SPDX-License-Identifier: MIT */
/*
 * The event journal's record codec (sans-I/O): what dnp3gwd writes to an
 * outstation's journal file so that its unconfirmed events survive a
 * restart, a crash or a power cut (io/evstore.c keeps the file).
 *
 * A journal is a header followed by records, all little-endian, each record
 * ending with the CRC-32C (dnp3/crc.h) of its other bytes:
 *
 *   header  16 bytes  "DNP3GWEV", u16 version (1), u16 header length (16),
 *                     u32 CRC of the 12 bytes before it
 *   ADD     31 bytes  u8 1, u32 seq, u8 class (1..3), u8 point type
 *                     (enum dnp_type, a point type of ptype.h), u8 event
 *                     variation, u8 flags, u16 index, u16 source tag,
 *                     u48 DNP3 time, f64 value, u32 CRC
 *   REMOVE  13 bytes  u8 2, u32 first seq, u32 count (>= 1), u32 CRC:
 *                     the events first .. first + count - 1 left the buffers
 *                     (confirmed upstream or discarded by overflow)
 *
 * seq is the event buffers' sequence number (events.h); the ADD records of
 * one journal carry strictly increasing seqs (modulo 2^32), which the
 * scanner checks, so a record that does not fit ends the replay like a bad
 * CRC.  A REMOVE may name seqs without an ADD (they are ignored).
 *
 * The scanner reads a byte buffer (the whole file) record by record and
 * stops at the first byte it cannot take as a good record, telling why:
 * everything before that point (evj_scan.good bytes) is the journal.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/cursor.h"
#include "outstation/events.h"

#define EVJ_MAGIC "DNP3GWEV"
#define EVJ_VERSION 1
#define EVJ_HEADER_LEN 16u
#define EVJ_ADD_LEN 31u
#define EVJ_REMOVE_LEN 13u

enum evj_kind { EVJ_ADD = 1, EVJ_REMOVE = 2 };

/* Why a scan stopped. X(name, text) */
#define EVJ_STOP_LIST(X)                                                        \
        X(END, "end of the journal")                                            \
        X(TORN, "incomplete record at the end (a write cut short)")             \
        X(BAD_CRC, "record with a bad CRC")                                     \
        X(BAD_RECORD, "record of an unknown kind or with a field out of range") \
        X(ORDER, "record out of sequence order")                                \
        X(FOREIGN, "not an event journal of this version (header)")

#define EVJ_STOP_ENUM(name, str) EVJ_STOP_##name,
enum evj_stop { EVJ_STOP_LIST(EVJ_STOP_ENUM) EVJ_STOP_MAX };
#undef EVJ_STOP_ENUM

/* "end of the journal"...; NAMES_UNKNOWN (dnp3/names.h) out of range. */
const char *evj_stop_name(enum evj_stop s);

/* One event as an ADD record holds it. */
struct evj_event {
        uint64_t time;          /* 48-bit DNP3 time */
        double value;
        uint32_t seq;
        uint16_t index;
        uint16_t src;
        uint8_t type;           /* enum dnp_type */
        uint8_t var;
        uint8_t flags;
        uint8_t cls;            /* 1..3 */
};

struct evj_rec {
        enum evj_kind kind;
        struct evj_event ev;    /* EVJ_ADD */
        uint32_t first, count;  /* EVJ_REMOVE */
};

/* The header; -ENOBUFS (nothing written) when it does not fit. */
int evj_write_header(struct wr *w);
/* An ADD record of event e of class cls (1..3); -ENOBUFS, -EINVAL (bad class). */
int evj_write_add(struct wr *w, const struct ev *e, unsigned cls);
/* A REMOVE record of seqs first .. first + count - 1 (count >= 1); -ENOBUFS, -EINVAL. */
int evj_write_remove(struct wr *w, uint32_t first, uint32_t count);
/* Rewrite the REMOVE record at p (EVJ_REMOVE_LEN bytes) with a new count. */
void evj_patch_remove(uint8_t *p, uint32_t first, uint32_t count);

struct evj_scan {
        struct rd c;            /* what is left */
        size_t len;             /* the whole buffer */
        size_t good;            /* bytes of header and good records so far */
        bool have_seq;
        uint32_t last_seq;      /* of the last ADD */
        bool stopped;
        enum evj_stop stop;     /* why, once stopped */
};

/*
 * Start scanning buf (len bytes).  An empty buffer is an empty journal
 * (stops at once with END, good 0); a buffer shorter than the header that
 * begins like one is TORN (a journal whose header was being written); one
 * that does not is FOREIGN, as is a header of another magic or version;
 * a header with a bad CRC is BAD_CRC.  Then evj_scan_next() reads the
 * records.
 */
void evj_scan_init(struct evj_scan *s, const uint8_t *buf, size_t len);
/* The next good record: 1 and *ret; 0 when the scan stopped (s->stop says why). */
int evj_scan_next(struct evj_scan *s, struct evj_rec *ret);
