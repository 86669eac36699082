/* SPDX-License-Identifier: MIT */
/*
 * DNP3 application layer (IEEE 1815-2012 clause 4): APDU header, function
 * codes, IIN bits.  Objects are in obj.h.  Sans-I/O.
 *
 * Request:  CTRL FUNC objects...
 * Response: CTRL FUNC IIN1 IIN2 objects...   (FUNC 129 RESPONSE, 130 UNSOLICITED)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define APP_CTRL_FIR 0x80
#define APP_CTRL_FIN 0x40
#define APP_CTRL_CON 0x20
#define APP_CTRL_UNS 0x10
#define APP_CTRL_SEQ 0x0f

#define APP_REQ_HDR_LEN 2
#define APP_RSP_HDR_LEN 4

/* X(name, code) */
#define APP_FUNC_LIST(X)                \
        X(CONFIRM, 0)                   \
        X(READ, 1)                      \
        X(WRITE, 2)                     \
        X(SELECT, 3)                    \
        X(OPERATE, 4)                   \
        X(DIRECT_OPERATE, 5)            \
        X(DIRECT_OPERATE_NR, 6)         \
        X(IMMED_FREEZE, 7)              \
        X(IMMED_FREEZE_NR, 8)           \
        X(FREEZE_CLEAR, 9)              \
        X(FREEZE_CLEAR_NR, 10)          \
        X(FREEZE_AT_TIME, 11)           \
        X(FREEZE_AT_TIME_NR, 12)        \
        X(COLD_RESTART, 13)             \
        X(WARM_RESTART, 14)             \
        X(INITIALIZE_DATA, 15)          \
        X(INITIALIZE_APPL, 16)          \
        X(START_APPL, 17)               \
        X(STOP_APPL, 18)                \
        X(SAVE_CONFIG, 19)              \
        X(ENABLE_UNSOLICITED, 20)       \
        X(DISABLE_UNSOLICITED, 21)      \
        X(ASSIGN_CLASS, 22)             \
        X(DELAY_MEASURE, 23)            \
        X(RECORD_CURRENT_TIME, 24)      \
        X(OPEN_FILE, 25)                \
        X(CLOSE_FILE, 26)               \
        X(DELETE_FILE, 27)              \
        X(GET_FILE_INFO, 28)            \
        X(AUTHENTICATE_FILE, 29)        \
        X(ABORT_FILE, 30)               \
        X(ACTIVATE_CONFIG, 31)          \
        X(AUTHENTICATE_REQ, 32)         \
        X(AUTH_REQ_NO_ACK, 33)          \
        X(RESPONSE, 129)                \
        X(UNSOLICITED_RESPONSE, 130)    \
        X(AUTHENTICATE_RESP, 131)

enum app_func {
#define X(name, code) APP_FUNC_##name = code,
        APP_FUNC_LIST(X)
#undef X
};

/* The request functions the outstation never answers (the _NR ones). X(name) */
#define APP_FUNC_NO_RESPONSE_LIST(X)    \
        X(DIRECT_OPERATE_NR)            \
        X(IMMED_FREEZE_NR)              \
        X(FREEZE_CLEAR_NR)              \
        X(FREEZE_AT_TIME_NR)

/* Name of a function code, or NULL if the code is not defined by the standard. */
const char *app_func_name(uint8_t code);
bool app_func_is_response(uint8_t code);   /* 129, 130, 131 */
/* Whether a request of code gets no response (APP_FUNC_NO_RESPONSE_LIST). */
bool app_func_no_response(uint8_t code);

/* IIN bits as one 16-bit value: IIN1 in the low byte, IIN2 in the high byte. X(name, bit) */
#define APP_IIN_LIST(X)                         \
        X(BROADCAST, 0)                         \
        X(CLASS1_EVENTS, 1)                     \
        X(CLASS2_EVENTS, 2)                     \
        X(CLASS3_EVENTS, 3)                     \
        X(NEED_TIME, 4)                         \
        X(LOCAL_CONTROL, 5)                     \
        X(DEVICE_TROUBLE, 6)                    \
        X(DEVICE_RESTART, 7)                    \
        X(NO_FUNC_CODE_SUPPORT, 8)              \
        X(OBJECT_UNKNOWN, 9)                    \
        X(PARAMETER_ERROR, 10)                  \
        X(EVENT_BUFFER_OVERFLOW, 11)            \
        X(ALREADY_EXECUTING, 12)                \
        X(CONFIG_CORRUPT, 13)                   \
        X(RESERVED_2_6, 14)                     \
        X(RESERVED_2_7, 15)

enum app_iin {
#define X(name, bit) APP_IIN_##name = 1u << (bit),
        APP_IIN_LIST(X)
#undef X
};

/* Name of one IIN bit (0..15), e.g. "DEVICE_RESTART". */
const char *app_iin_bit_name(unsigned bit);
/* Write the names of the set bits, space-separated, into buf; returns buf. */
char *app_iin_format(uint16_t iin, char *buf, size_t n);

struct apdu_hdr {
        bool fir, fin, con, uns;
        uint8_t seq;            /* 0..15 */
        uint8_t func;           /* raw code; see enum app_func */
        uint16_t iin;           /* responses only; 0 for requests */
};

uint8_t apdu_ctrl_byte(const struct apdu_hdr *h);
/*
 * Parse the APDU header: 2 bytes, or 4 when func is a response code.
 * Returns 0 with *ret filled and the cursor past the header, -EBADMSG if short.
 */
int apdu_parse_hdr(struct rd *c, struct apdu_hdr *ret);
/* Write the 2- or 4-byte header (4 when h->func is a response code). */
int apdu_write_hdr(struct wr *w, const struct apdu_hdr *h);
