/* SPDX-License-Identifier: MIT */
/*
 * Controls a master sends: CROB (g12v1) and analog output commands
 * (g41v1-4), several objects per request, and the check of the outstation's
 * echo.  Pure functions; the queueing and the asynchronous API are in
 * master_dev.h (master_dev_control).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnp3/names.h"
#include "dnp3/obj.h"

#define MASTER_CMD_MAX_OBJS 32

/* X(name, str) */
#define MASTER_CMD_MODE_LIST(X)                         \
        X(SBO, "select_before_operate")                 \
        X(SELECT, "select")                             \
        X(OPERATE, "operate")                           \
        X(DIRECT, "direct_operate")                     \
        X(DIRECT_NR, "direct_operate_nr")

#define MASTER_CMD_MODE_ENUM(name, str) MASTER_CMD_##name,
NAMES_ENUM(master_cmd_mode, MASTER_CMD_MODE_LIST, MASTER_CMD_MODE_ENUM, MASTER_CMD_MODE_MAX,
           master_cmd_mode_name);

/*
 * What happened to one object.  Only OK carries a status the outstation
 * sent for this object (which may itself be a failure such as LOCAL);
 * every other result has status DNP_CMD_DOWNSTREAM_FAIL, except
 * NOT_OPERATED (the SELECT status) and SENT (no answer expected).
 */
#define MASTER_CMD_RES_LIST(X)                                                  \
        X(OK, "ok")                     /* echo identical; status from the echo */ \
        X(NOT_OPERATED, "not_operated") /* SBO: a SELECT failed, OPERATE not sent */ \
        X(ECHO_MISMATCH, "echo_mismatch") /* the echo differs from the request */ \
        X(MISSING, "missing")           /* the response lacked this object */  \
        X(TIMEOUT, "timeout")           /* no answer within control_timeout/retries */ \
        X(OFFLINE, "offline")           /* device offline or channel closed */ \
        X(SENT, "sent")                 /* DIRECT_OPERATE_NR: sent, no answer expected */

#define MASTER_CMD_RES_ENUM(name, str) MASTER_CMD_RES_##name,
NAMES_ENUM(master_cmd_res, MASTER_CMD_RES_LIST, MASTER_CMD_RES_ENUM, MASTER_CMD_RES_MAX,
           master_cmd_res_name);

/* One object of a control request: g12v1 (v.crob) or g41v1-4 (v.ao); v.index is the point. */
struct master_cmd_obj {
        uint8_t group;
        uint8_t var;
        struct dnp_value v;
};

struct master_cmd_obj_result {
        uint8_t res;            /* enum master_cmd_res */
        uint8_t status;         /* enum dnp_cmd_status */
};

struct master_cmd_result {
        uint32_t id;                    /* as returned by master_dev_control */
        uint8_t mode;                   /* enum master_cmd_mode */
        bool ok;                        /* every object OK with status SUCCESS (or SENT) */
        uint16_t iin;                   /* IIN of the last response, 0 if none */
        uint64_t at;                    /* `now` when the control finished */
        size_t n;
        struct master_cmd_obj_result objs[MASTER_CMD_MAX_OBJS];
};

/* Function code of the first request of a mode (SBO: SELECT). */
uint8_t master_cmd_first_func(enum master_cmd_mode m);

/* Checks one object: g12v1 or g41v1-4 (the command groups of the point-type
 * table, their variations in the object catalog). 0 or -EINVAL. */
int master_cmd_obj_check(const struct master_cmd_obj *o);

/* The same group, variation, index and control fields (CROB code, count, on, off;
 * AO value); statuses are not compared. */
bool master_cmd_obj_same(const struct master_cmd_obj *a, const struct master_cmd_obj *b);

/*
 * Build a SELECT/OPERATE/DIRECT_OPERATE(_NR) request with the n objects
 * (qualifier 0x28, one object header per run of equal group/variation).
 * norm (n entries) receives the objects as they are on the wire (e.g. an
 * analog value rounded to the variation), for master_cmd_check_echo.
 * 0, -EINVAL (bad object or n), -ENOBUFS.
 */
int master_cmd_build(uint8_t *buf, size_t cap, uint8_t seq, uint8_t func,
                     const struct master_cmd_obj *objs, size_t n,
                     struct master_cmd_obj *norm, size_t *ret_len);

/*
 * Compare the object part of a response (p, len) with the request objects
 * (norm, as returned by master_cmd_build).  Fills res->n and res->objs:
 * OK + echoed status for each identical object, ECHO_MISMATCH for an object
 * in the same position that differs, MISSING for objects the response does
 * not have.  A response that does not parse makes every object
 * ECHO_MISMATCH.  Returns the number of objects that are OK with SUCCESS.
 */
size_t master_cmd_check_echo(const uint8_t *p, size_t len, const struct master_cmd_obj *norm,
                             size_t n, struct master_cmd_result *res);
