/* SPDX-License-Identifier: MIT */
/*
 * DNP3 objects: the group/variation catalog, object headers with their
 * qualifiers, a validate-then-visit parser that never allocates, and an APDU
 * writer that fills a fragment up to a size limit.  Sans-I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "cursor.h"

/* Qualifier codes (object prefix code << 4 | range specifier code). X(name, code) */
#define OBJ_QUAL_LIST(X)                \
        X(RANGE8, 0x00)                 \
        X(RANGE16, 0x01)                \
        X(ALL, 0x06)                    \
        X(COUNT8, 0x07)                 \
        X(COUNT16, 0x08)                \
        X(INDEX8, 0x17)                 \
        X(INDEX16, 0x28)                \
        X(FREE16, 0x5b)

enum obj_qual {
#define X(name, code) OBJ_QUAL_##name = code,
        OBJ_QUAL_LIST(X)
#undef X
};

/* Dense ordinals of the qualifiers above, and one bit per qualifier for sets of them. */
enum {
#define X(name, code) OBJ_QORD_##name,
        OBJ_QUAL_LIST(X)
#undef X
        OBJ_QUAL_COUNT
};
#define OBJ_QBIT(name) (1u << OBJ_QORD_##name)

/* The bit of qualifier code q in a set (OBJ_QBIT), 0 for a code not in OBJ_QUAL_LIST. */
static inline uint32_t obj_qual_bit(uint8_t q)
{
        switch (q) {
#define X(name, code) case code: return OBJ_QBIT(name);
                OBJ_QUAL_LIST(X)
#undef X
        default:
                return 0;
        }
}

/* The qualifier code of ordinal i (0 .. OBJ_QUAL_COUNT - 1). */
static inline uint8_t obj_qual_code(unsigned i)
{
        static const uint8_t codes[OBJ_QUAL_COUNT] = {
#define X(name, code) code,
                OBJ_QUAL_LIST(X)
#undef X
        };
        return i < OBJ_QUAL_COUNT ? codes[i] : 0xff;
}

/*
 * What an object is; one per upstream/downstream point type plus the
 * non-point objects.  X(name, text, value) where value is the member of
 * struct dnp_value's union that holds it (enum dnp_val).  The point types
 * and what DNP3 says about each are in ptype.h.
 */
#define DNP_TYPE_LIST(X)                                                \
        X(NONE, "none", NONE)                                           \
        X(BI, "binary_input", BIT)             /* g1, g2 */             \
        X(DBI, "double_bit_input", DBIT)       /* g3, g4 */             \
        X(BO, "binary_output", BIT)            /* g10, g11 (status) */  \
        X(CNT, "counter", COUNT)               /* g20, g22 */           \
        X(FCNT, "frozen_counter", COUNT)       /* g21, g23 */           \
        X(AI, "analog_input", ANALOG)          /* g30, g32 */           \
        X(AO, "analog_output", ANALOG)         /* g40, g42 (status) */  \
        X(CROB, "crob", CROB)                  /* g12v1 */              \
        X(AOCMD, "analog_command", AOCMD)      /* g41 */                \
        X(TIME, "time", TIME)                  /* g50 */                \
        X(CTO, "cto", TIME)                    /* g51 */                \
        X(DELAY, "delay", DELAY)               /* g52 */                \
        X(CLASS, "class", NONE)                /* g60 */                \
        X(IIN, "iin", BIT)                     /* g80 */                \
        X(OCTETS, "octets", OCTETS)            /* g110, g111 */

enum dnp_type {
#define X(name, str, val) DNP_TYPE_##name,
        DNP_TYPE_LIST(X)
#undef X
        DNP_TYPE_MAX
};

/* Which member of struct dnp_value's union holds an object's value. */
enum dnp_val {
        DNP_VAL_NONE,           /* no value (the time alone for TIME: v->time) */
        DNP_VAL_BIT,            /* v.bit; state also in flags bit 7 */
        DNP_VAL_DBIT,           /* v.dbit; state also in flags bits 6-7 */
        DNP_VAL_COUNT,          /* v.count */
        DNP_VAL_ANALOG,         /* v.analog */
        DNP_VAL_CROB,           /* v.crob */
        DNP_VAL_AOCMD,          /* v.ao */
        DNP_VAL_TIME,           /* v->time itself */
        DNP_VAL_DELAY,          /* v.delay */
        DNP_VAL_OCTETS,         /* v.octets */
};

/* "binary_input"...; NAMES_UNKNOWN (names.h) out of range. */
const char *dnp_type_name(enum dnp_type t);
/* enum dnp_val of each type (inline below: per-point hot path). */
extern const uint8_t dnp_type_values[DNP_TYPE_MAX];

/* enum dnp_val of type t, DNP_VAL_NONE out of range. */
static inline enum dnp_val dnp_type_value(enum dnp_type t)
{
        return (unsigned)t < DNP_TYPE_MAX ? (enum dnp_val)dnp_type_values[t] : DNP_VAL_NONE;
}

/* Quality flags (first byte of flagged objects). */
#define DNP_FLAG_ONLINE 0x01
#define DNP_FLAG_RESTART 0x02
#define DNP_FLAG_COMM_LOST 0x04
#define DNP_FLAG_REMOTE_FORCED 0x08
#define DNP_FLAG_LOCAL_FORCED 0x10
#define DNP_FLAG_CHATTER_FILTER 0x20    /* binary, double-bit */
#define DNP_FLAG_OVER_RANGE 0x20        /* analog */
#define DNP_FLAG_ROLLOVER 0x20          /* counter (obsolete) */
#define DNP_FLAG_REFERENCE_ERR 0x40     /* analog */
#define DNP_FLAG_DISCONTINUITY 0x40     /* counter */
#define DNP_FLAG_STATE 0x80             /* binary, binary output */

/* Double-bit states (g3/g4 bits 6-7). X(name, state) */
#define DNP_DBIT_LIST(X)                \
        X(INTERMEDIATE, 0)              \
        X(OFF, 1)                       \
        X(ON, 2)                        \
        X(INDETERMINATE, 3)

enum dnp_dbit {
#define X(name, state) DNP_DBIT_##name = state,
        DNP_DBIT_LIST(X)
#undef X
};

const char *dnp_dbit_name(uint8_t state);      /* "OFF"...; NAMES_UNKNOWN above 3 */

/* Control status codes (g12, g41 status byte). X(name, code) */
#define DNP_CMD_STATUS_LIST(X)                  \
        X(SUCCESS, 0)                           \
        X(TIMEOUT, 1)                           \
        X(NO_SELECT, 2)                         \
        X(FORMAT_ERROR, 3)                      \
        X(NOT_SUPPORTED, 4)                     \
        X(ALREADY_ACTIVE, 5)                    \
        X(HARDWARE_ERROR, 6)                    \
        X(LOCAL, 7)                             \
        X(TOO_MANY_OBJS, 8)                     \
        X(NOT_AUTHORIZED, 9)                    \
        X(AUTOMATION_INHIBIT, 10)               \
        X(PROCESSING_LIMITED, 11)               \
        X(OUT_OF_RANGE, 12)                     \
        X(DOWNSTREAM_LOCAL, 13)                 \
        X(ALREADY_COMPLETE, 14)                 \
        X(BLOCKED, 15)                          \
        X(CANCELLED, 16)                        \
        X(BLOCKED_OTHER_MASTER, 17)             \
        X(DOWNSTREAM_FAIL, 18)                  \
        X(NON_PARTICIPATING, 126)               \
        X(UNDEFINED, 127)

enum dnp_cmd_status {
#define X(name, code) DNP_CMD_##name = code,
        DNP_CMD_STATUS_LIST(X)
#undef X
};

const char *dnp_cmd_status_name(uint8_t status);   /* NAMES_UNKNOWN for codes not listed */

/*
 * CROB control code: operation type (bits 0-3), queue, clear, trip-close
 * code (bits 6-7).  The operation types and trip-close codes that IEEE 1815
 * defines, X(name, value of the field); op 5..15 are undefined, TCC 3 is
 * reserved.
 */
#define DNP_CROB_OP_LIST(X)     \
        X(NUL, 0)               \
        X(PULSE_ON, 1)          \
        X(PULSE_OFF, 2)         \
        X(LATCH_ON, 3)          \
        X(LATCH_OFF, 4)
#define DNP_CROB_TCC_LIST(X)    \
        X(NUL, 0)               \
        X(CLOSE, 1)             \
        X(TRIP, 2)

enum dnp_crob_op {
#define X(name, v) DNP_CROB_OP_##name = v,
        DNP_CROB_OP_LIST(X)
#undef X
};
enum dnp_crob_tcc {
#define X(name, v) DNP_CROB_TCC_##name = v,
        DNP_CROB_TCC_LIST(X)
#undef X
};

#define DNP_CROB_OP_MASK 0x0f
#define DNP_CROB_QUEUE 0x10
#define DNP_CROB_CLEAR 0x20
#define DNP_CROB_TCC_MASK 0xc0
#define DNP_CROB_TCC_SHIFT 6

static inline unsigned dnp_crob_op(uint8_t code)
{
        return code & DNP_CROB_OP_MASK;
}
static inline unsigned dnp_crob_tcc(uint8_t code)
{
        return (unsigned)(code & DNP_CROB_TCC_MASK) >> DNP_CROB_TCC_SHIFT;
}
/* "PULSE_ON", "TRIP" ...: the name of an operation type / trip-close code, NAMES_UNKNOWN if none. */
const char *dnp_crob_op_name(unsigned op);
const char *dnp_crob_tcc_name(unsigned tcc);
/* The same, NULL when the list names no such value. */
const char *dnp_crob_op_name_find(unsigned op);
const char *dnp_crob_tcc_name_find(unsigned tcc);
/*
 * The control code a name stands for (any case): an operation type alone
 * ("LATCH_ON": 0x03), or a trip-close code with PULSE_ON ("TRIP": 0x81,
 * "CLOSE": 0x41); -EINVAL for any other text.
 */
int dnp_crob_code_from_name(const char *name, uint8_t *ret);

struct dnp_crob {
        uint8_t code;
        uint8_t count;
        uint32_t on_ms;
        uint32_t off_ms;
        uint8_t status;
};

struct dnp_aocmd {
        double value;           /* i16/i32/f32 variations widened exactly */
        uint8_t status;
};

enum dnp_time_kind {
        DNP_TIME_NONE = 0,      /* the object carries no time */
        DNP_TIME_ABS,           /* 48-bit absolute time */
        DNP_TIME_REL,           /* 16-bit offset resolved against the preceding CTO (g51) */
};

/*
 * One object instance, decoded or to be encoded.
 *
 * Binary objects keep their state both in v.bit/v.dbit and in flags (bit 7,
 * or bits 6-7 for double-bit); the encoder takes the state from v.bit/v.dbit.
 * Formats without flags decode with flags = DNP_FLAG_ONLINE.
 * Analog values are doubles; integer variations are widened exactly; on
 * encode into an integer variation the value is rounded to nearest and a
 * value that does not fit is clamped and sent with DNP_FLAG_OVER_RANGE.
 */
struct dnp_value {
        uint32_t index;         /* point index; running position for count qualifiers */
        uint8_t flags;
        uint8_t time_kind;      /* enum dnp_time_kind */
        uint64_t time;          /* ms since 1970-01-01T00:00:00Z, 48 bits */
        union {
                bool bit;               /* BI, BO, IIN */
                uint8_t dbit;           /* DBI, enum dnp_dbit */
                uint32_t count;         /* CNT, FCNT */
                double analog;          /* AI, AO */
                struct dnp_crob crob;   /* CROB */
                struct dnp_aocmd ao;    /* AOCMD */
                uint16_t delay;         /* DELAY: g52v1 seconds, g52v2 milliseconds */
                struct {                /* OCTETS: points into the parsed buffer */
                        const uint8_t *p;
                        uint16_t len;
                } octets;
        } v;
};

/*
 * The value of a point of type t (BIT, DBIT, COUNT, ANALOG; see enum
 * dnp_val) as a double (bits 0/1, double-bit states 0..3, counts exactly),
 * and back.  0 / nothing for the other value kinds.
 */
static inline double dnp_value_get(enum dnp_type t, const struct dnp_value *v)
{
        switch (dnp_type_value(t)) {
        case DNP_VAL_BIT:
                return v->v.bit ? 1.0 : 0.0;
        case DNP_VAL_DBIT:
                return (double)(v->v.dbit & 3);
        case DNP_VAL_COUNT:
                return (double)v->v.count;
        case DNP_VAL_ANALOG:
                return v->v.analog;
        default:
                return 0.0;
        }
}
static inline void dnp_value_set(enum dnp_type t, double x, struct dnp_value *v)
{
        switch (dnp_type_value(t)) {
        case DNP_VAL_BIT:
                v->v.bit = x != 0.0;
                break;
        case DNP_VAL_DBIT:
                v->v.dbit = (uint8_t)x;
                break;
        case DNP_VAL_COUNT:
                v->v.count = (uint32_t)x;
                break;
        case DNP_VAL_ANALOG:
                v->v.analog = x;
                break;
        default:
                break;
        }
}
/* The flag bits that hold the state of binaries: 0x80 (BIT), 0xc0 (DBIT), else 0. */
static inline uint8_t dnp_value_state_mask(enum dnp_type t)
{
        switch (dnp_type_value(t)) {
        case DNP_VAL_BIT:
                return DNP_FLAG_STATE;
        case DNP_VAL_DBIT:
                return 0xc0;
        default:
                return 0;
        }
}
/* v->flags with the state bits taken from the value (binaries), else unchanged. */
static inline uint8_t dnp_value_state_flags(enum dnp_type t, const struct dnp_value *v)
{
        uint8_t keep = (uint8_t)(v->flags & ~dnp_value_state_mask(t));
        switch (dnp_type_value(t)) {
        case DNP_VAL_BIT:
                return (uint8_t)(keep | (v->v.bit ? DNP_FLAG_STATE : 0));
        case DNP_VAL_DBIT:
                return (uint8_t)(keep | (v->v.dbit & 3) << 6);
        default:
                return v->flags;
        }
}
/*
 * The status of a control object of type t (CROB: v.crob.status, AOCMD:
 * v.ao.status), and setting it; 0 / nothing for the other types.
 */
static inline uint8_t dnp_value_status(enum dnp_type t, const struct dnp_value *v)
{
        switch (dnp_type_value(t)) {
        case DNP_VAL_CROB:
                return v->v.crob.status;
        case DNP_VAL_AOCMD:
                return v->v.ao.status;
        default:
                return 0;
        }
}
static inline void dnp_value_set_status(enum dnp_type t, struct dnp_value *v, uint8_t status)
{
        switch (dnp_type_value(t)) {
        case DNP_VAL_CROB:
                v->v.crob.status = status;
                break;
        case DNP_VAL_AOCMD:
                v->v.ao.status = status;
                break;
        default:
                break;
        }
}

/*
 * Encoding formats of object instances: OBJ_FMT_LIST(S, F).
 * S(name): a format decoded and encoded by code of its own.
 * F(name, fl, val, width, time): a fixed layout, in wire order an optional flags
 * byte (fl PRE), a value of width bytes (val: STATE from the flags byte, UINT a
 * count, INT a signed analog, FLOAT an IEEE 754 analog), a status byte (fl POST,
 * the analog output command's) and a time (ABS 48-bit, REL 16-bit after a CTO).
 * One generic reader and one generic writer serve every F format.
 */
#define OBJ_FMT_LIST(S, F)                                                              \
        S(NONE)           /* no data (class objects, variation 0) */                   \
        S(PACKED1)        /* 1 bit per object */                                       \
        S(PACKED2)        /* 2 bits per object */                                      \
        F(FLAGS, PRE, STATE, 0, NONE)                                                   \
        F(FLAGS_T48, PRE, STATE, 0, ABS)                                                \
        F(FLAGS_T16, PRE, STATE, 0, REL)                                                \
        F(FLAGS_U32, PRE, UINT, 4, NONE)                                                \
        F(FLAGS_U16, PRE, UINT, 2, NONE)                                                \
        F(U32, NONE, UINT, 4, NONE)                                                     \
        F(U16, NONE, UINT, 2, NONE)                                                     \
        F(FLAGS_U32_T48, PRE, UINT, 4, ABS)                                             \
        F(FLAGS_U16_T48, PRE, UINT, 2, ABS)                                             \
        F(FLAGS_I32, PRE, INT, 4, NONE)                                                 \
        F(FLAGS_I16, PRE, INT, 2, NONE)                                                 \
        F(I32, NONE, INT, 4, NONE)                                                      \
        F(I16, NONE, INT, 2, NONE)                                                      \
        F(FLAGS_F32, PRE, FLOAT, 4, NONE)                                               \
        F(FLAGS_F64, PRE, FLOAT, 8, NONE)                                               \
        F(FLAGS_I32_T48, PRE, INT, 4, ABS)                                              \
        F(FLAGS_I16_T48, PRE, INT, 2, ABS)                                              \
        F(FLAGS_F32_T48, PRE, FLOAT, 4, ABS)                                            \
        F(FLAGS_F64_T48, PRE, FLOAT, 8, ABS)                                            \
        S(CROB)           /* code, count, on u32, off u32, status */                   \
        F(AO_I32, POST, INT, 4, NONE)                                                   \
        F(AO_I16, POST, INT, 2, NONE)                                                   \
        F(AO_F32, POST, FLOAT, 4, NONE)                                                 \
        F(AO_F64, POST, FLOAT, 8, NONE)                                                 \
        F(T48, NONE, NONE, 0, ABS) /* g50v1, g50v3, g51 (a CTO sets the base) */        \
        S(DELAY16)        /* g52 */                                                    \
        S(OCTETS)         /* g110/g111: variation = length */

enum obj_fmt {
#define S(name) OBJ_FMT_##name,
#define F(name, fl, val, width, time) OBJ_FMT_##name,
        OBJ_FMT_LIST(S, F)
#undef S
#undef F
        OBJ_FMT_MAX
};

/* Where a fixed layout carries its flags byte, and what its value is. */
enum obj_fl { OBJ_FL_NONE, OBJ_FL_PRE, OBJ_FL_POST };
enum obj_val { OBJ_VAL_NONE, OBJ_VAL_STATE, OBJ_VAL_UINT, OBJ_VAL_INT, OBJ_VAL_FLOAT };

struct obj_desc {
        uint8_t group;
        uint8_t var;
        uint8_t type;           /* enum dnp_type */
        uint8_t fmt;            /* enum obj_fmt */
        uint8_t size;           /* bytes per object (0 for packed, none, octets) */
        bool event;             /* event group (g2, g4, g11, g22, g23, g32, g42) */
        const char *name;       /* e.g. "Binary Input Event - With Absolute Time" */
};

/*
 * The catalog entry for (group, var), or NULL when the pair is not in the
 * catalog.  Variation 0 ("any/default variation", only valid in requests
 * without object data) has an entry with fmt NONE for every group that has
 * one.  g110/g111 with var 1..255 have an entry with fmt OCTETS, size = var.
 */
const struct obj_desc *obj_lookup(uint8_t group, uint8_t var);
/* The time an object of format fmt carries: ABS (48-bit), REL (16-bit, after a CTO), NONE. */
enum dnp_time_kind obj_fmt_time_kind(uint8_t fmt);
/* The number of (group, var) entries in the catalog and the i-th one (for tests/docs). */
size_t obj_catalog_size(void);
const struct obj_desc *obj_catalog_at(size_t i);

/* A range qualifier (start and stop) rather than a count or an index list. */
static inline bool obj_qual_is_range(uint8_t q)
{
        return q == OBJ_QUAL_RANGE8 || q == OBJ_QUAL_RANGE16;
}

/* Bytes of one range bound, the count and each index prefix of qualifier q: 1 or 2 (0 for the others). */
static inline size_t obj_qual_width(uint8_t q)
{
        switch (q) {
        case OBJ_QUAL_RANGE8:
        case OBJ_QUAL_COUNT8:
        case OBJ_QUAL_INDEX8:
                return 1;
        case OBJ_QUAL_RANGE16:
        case OBJ_QUAL_COUNT16:
        case OBJ_QUAL_INDEX16:
                return 2;
        default:
                return 0;
        }
}

struct obj_hdr {
        uint8_t group;
        uint8_t var;
        uint8_t qual;           /* enum obj_qual */
        uint32_t start;         /* range qualifiers: first index */
        uint32_t stop;          /* range qualifiers: last index */
        uint32_t count;         /* objects that follow (range: stop - start + 1); 0 for ALL */
        const struct obj_desc *desc;
};

/* Whether the objects of a request/response with this function carry data. */
enum obj_mode {
        OBJ_MODE_HEADERS,       /* READ, freeze, class assignment, enable/disable unsolicited... */
        OBJ_MODE_DATA,          /* WRITE, SELECT, OPERATE, DIRECT_OPERATE(_NR), responses */
};
enum obj_mode obj_mode_for_func(uint8_t func);

/* Hard caps against hostile input. */
#define OBJ_MAX_HEADERS_HEADERS_MODE 128   /* object headers in one READ-like request */
#define OBJ_MAX_PER_HEADER 65536u           /* objects under one header */
#define OBJ_MAX_OCTETS 255                  /* octet string length (variation) */

/*
 * Errors (negative errno), each mapped to the IIN bit a session sets:
 *   -ENOENT   group/variation not in the catalog, or not valid here   -> IIN2.1 OBJECT_UNKNOWN
 *   -EPROTO   qualifier unknown, or not allowed for this object/mode  -> IIN2.2 PARAMETER_ERROR
 *   -ERANGE   range stop < start                                     -> IIN2.2
 *   -EBADMSG  truncated: header, range or objects run past the end    -> IIN2.2
 *   -E2BIG    a hard cap exceeded (headers, objects per header)       -> IIN2.2
 *   -EINVAL   invalid content (zero-length octets, relative time
 *             without a preceding CTO or past 48 bits with it, bad
 *             double-bit packing...)                                  -> IIN2.2
 */
uint16_t obj_err_iin(int err);
const char *obj_err_name(int err);

struct obj_visitor {
        /* Each object header, before its objects. Non-zero return stops and is returned. */
        int (*on_header)(void *ctx, const struct obj_hdr *h);
        /*
         * Each object in OBJ_MODE_DATA.  In OBJ_MODE_HEADERS, only for the
         * INDEX8/INDEX16 qualifiers: once per listed index, with just
         * v->index set (a READ of specific points).  Non-zero return stops
         * and is returned.
         */
        int (*on_value)(void *ctx, const struct obj_hdr *h, const struct dnp_value *v);
};

struct obj_parse_err {
        size_t offset;          /* offset of the object header that failed */
        uint8_t group, var, qual;
};

/*
 * Parse the object part of an APDU (the bytes after the APDU header).
 * Pass 1 validates everything (catalog, qualifiers, ranges, sizes, caps);
 * only when the whole APDU is valid does pass 2 call the visitor.  Returns
 * 0, a negative error above (visitor not called at all; *ret_err filled if
 * not NULL), or the visitor's non-zero return.  vis may be NULL (validate only).
 */
int obj_parse(const uint8_t *p, size_t n, enum obj_mode mode, const struct obj_visitor *vis,
              void *ctx, struct obj_parse_err *ret_err);

/*
 * APDU writer with a fragment size limit.
 *
 *      apdu_wr_init(&a, buf, limit, &hdr);                 // APDU header
 *      apdu_wr_begin(&a, 30, 1, OBJ_QUAL_RANGE16, 0);       // header, objects follow
 *      for (...) if (apdu_wr_value(&a, &v) == -ENOBUFS) break;   // v did not fit
 *      apdu_wr_end(&a);
 *
 * apdu_wr_value never writes half an object: -ENOBUFS means v (and nothing
 * of it) is not in the fragment, so the caller continues with v in the next
 * fragment.  A header that ends with no objects is removed.  Range
 * qualifiers take consecutive indexes from start (-EINVAL otherwise);
 * INDEX8/INDEX16 write v->index as prefix (-ERANGE if it does not fit);
 * COUNT8/COUNT16 take objects without index.  Relative-time formats
 * (FLAGS_T16) need apdu_wr_cto() first (-EINVAL if the time is before the
 * CTO or more than 65535 ms after it), or apdu_wr_begin_cto().
 */
struct apdu_wr {
        struct wr w;
        const struct obj_desc *desc;    /* current header's object, NULL if none open */
        size_t hdr_off;                 /* offset of the current object header */
        uint8_t qual;
        uint32_t start;
        uint32_t count;
        uint64_t cto;
        bool cto_valid;
};

int apdu_wr_init(struct apdu_wr *a, uint8_t *buf, size_t limit, const struct apdu_hdr *h);
/* A header without object data (READ requests, class objects, freeze...). */
int apdu_wr_header(struct apdu_wr *a, uint8_t group, uint8_t var, uint8_t qual, uint32_t start,
                   uint32_t stop_or_count);
int apdu_wr_begin(struct apdu_wr *a, uint8_t group, uint8_t var, uint8_t qual, uint32_t start);
int apdu_wr_value(struct apdu_wr *a, const struct dnp_value *v);
int apdu_wr_end(struct apdu_wr *a);
/*
 * Write a CTO header with one object and remember it: g51v1 (synchronized)
 * or g51v2 (unsynchronized), qualifier 0x07, count 1.
 */
int apdu_wr_cto(struct apdu_wr *a, uint64_t time_ms, bool synchronized);
/*
 * Open a header of relative-time objects (g2v3, g4v3) right behind its own
 * CTO, whose time is v->time, and write v as its first object (offset 0).
 * CTO, header and object go in together or not at all: on any error
 * (-ENOBUFS when they do not fit) the fragment is left as it was.  -EINVAL
 * for a group/variation without relative time.
 */
int apdu_wr_begin_cto(struct apdu_wr *a, uint8_t group, uint8_t var, uint8_t qual,
                      uint32_t start, const struct dnp_value *v, bool synchronized);
/* Rewrite the APDU header (e.g. set FIN/CON once the caller knows). */
void apdu_wr_set_hdr(struct apdu_wr *a, const struct apdu_hdr *h);
static inline size_t apdu_wr_len(const struct apdu_wr *a)
{
        return a->w.len;
}
/* Room left for object data (for callers that want to decide before writing). */
static inline size_t apdu_wr_left(const struct apdu_wr *a)
{
        return wr_left(&a->w);
}
