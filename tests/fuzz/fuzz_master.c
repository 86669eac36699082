/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a master channel with two devices (10 and 11, master 1),
 * brought online by correct answers to their startup requests, then left
 * mid-poll (device 11's class poll outstanding) and mid-control (an SBO on
 * device 10 queued), and fed the input as a script of records:
 *
 *   0x00-0x7f  raw bytes: the next (c + 1) input bytes go to master_chan_rx
 *   0x80-0xbf  framed: next byte L (mod 251), then L bytes of transport
 *              segment sent as a valid link frame from device 10 + (c & 1);
 *              (c >> 1) & 3: 0 = normal, 1 = to another master,
 *              2 = DIR set (a master's frame), 3 = CONFIRMED_USER_DATA
 *   0xc0-0xda  the clock advances ((c & 0x1f) + 1) * 137 ms, timer fired if due
 *   0xdb       the CONFIRM barrier toggled: on = from now on a CONFIRM waits while a
 *              value was delivered since (hold_confirm), off = the sync completed
 *              (master_chan_release_confirms)
 *   0xdc-0xdf  integrity poll demanded on device 10 + (c & 1)
 *   0xe0-0xef  the clock jumps to the deadline and the timer fires
 *   0xf0-0xf7  a control on device 10 + (c & 1): SBO, DIRECT, DIRECT_NR, SELECT
 *   0xf8 / 0xf9 channel closed / opened
 *   0xfa-0xfb  an OPERATE control on device 10 + (c & 1) (after a SELECT, or alone)
 *   0xfc-0xfd  master_dev_select_end() of that device's last control (the upstream
 *              selection ended)
 *   0xfe-0xff  a freeze on device 10 + (c & 1): the six functions in turn,
 *              counters 0..3 and 300..301 (FREEZE_AT_TIME: 1 s from now)
 *
 * Checked: output within capacity; each control and freeze reported at most
 * once and with valid results; measurements with valid types; no busy loop
 * (the deadline does not stay at or before `now` across repeated timer
 * calls); no CONFIRM goes out while the barrier holds values not synced.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnp3/app.h"
#include "dnp3/link.h"
#include "dnp3/ptype.h"
#include "dnp3/transport.h"
#include "master/master_chan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MASTER 1
#define FZ_MAX_IDS 256

static struct master_chan *ch;
static struct master_dev *devs[2];
static uint64_t now;
static uint8_t reported[FZ_MAX_IDS][2];
static struct link_scanner out_scan;
static struct tport_rx out_rx[2];
static uint8_t out_rxbuf[2][2048];
static uint8_t tseq[2];
static unsigned nfreeze;

static void check(int cond)
{
        if (!cond)
                abort();
}

/* The CONFIRM barrier's journal: on, and values delivered but not synced. */
static bool fz_hold;
static unsigned fz_unsynced;

static bool fz_hold_confirm(void *ctx)
{
        (void)ctx;
        return fz_hold && fz_unsynced > 0;
}

static void fz_on_apdu(void *ctx, struct master_dev *d, bool tx, const uint8_t *apdu, size_t len)
{
        (void)ctx;
        (void)d;
        if (tx && len >= 2 && apdu[1] == APP_FUNC_CONFIRM)
                check(!fz_hold || fz_unsynced == 0);
}

static void fz_on_value(void *ctx, const struct master_meas *m)
{
        (void)ctx;
        fz_unsynced++;
        check(dnp_ptype_valid(m->type));
        check(m->dev == devs[0] || m->dev == devs[1]);
}

static void fz_report(struct master_dev *d, uint32_t id)
{
        size_t di = d == devs[1];
        check(d == devs[0] || d == devs[1]);
        if (id < FZ_MAX_IDS) {
                check(!reported[id][di]);
                reported[id][di] = 1;
        }
}

static void fz_cmd_cb(void *ctx, struct master_dev *d, const struct master_cmd_result *r)
{
        (void)ctx;
        check(r->n >= 1 && r->n <= MASTER_CMD_MAX_OBJS);
        for (size_t i = 0; i < r->n; i++)
                check(r->objs[i].res < MASTER_CMD_RES_MAX);
        fz_report(d, r->id);
}

static void fz_frz_cb(void *ctx, struct master_dev *d, const struct master_freeze_result *r)
{
        (void)ctx;
        fz_report(d, r->id);
        check(r->func >= APP_FUNC_IMMED_FREEZE && r->func <= APP_FUNC_FREEZE_AT_TIME_NR);
        check(r->res == MASTER_CMD_RES_OK || r->res == MASTER_CMD_RES_TIMEOUT ||
              r->res == MASTER_CMD_RES_OFFLINE || r->res == MASTER_CMD_RES_SENT);
        /* answered: never ok with IIN2.0-2.2 (nor when the answer did not parse) */
        if (r->res == MASTER_CMD_RES_OK)
                check(!r->ok || !(r->iin & (APP_IIN_NO_FUNC_CODE_SUPPORT | APP_IIN_OBJECT_UNKNOWN |
                                            APP_IIN_PARAMETER_ERROR)));
        else
                check(r->ok == (r->res == MASTER_CMD_RES_SENT) && r->iin == 0);
}

static void fz_freeze(size_t i)
{
        struct master_freeze f = {
                .func = (uint8_t)(APP_FUNC_IMMED_FREEZE + nfreeze++ % 6),
                .time = 1700000000000 + now + 1000,
                .n = 2,
                .r = { { 0, 3 }, { 300, 301 } },
        };
        uint32_t id;
        (void)master_dev_freeze(devs[i], &f, fz_frz_cb, NULL, now, &id);
}

/* Send frames carrying one transport segment from device i (variant v). */
static void fz_frame(size_t i, unsigned v, const uint8_t *seg, size_t n)
{
        uint8_t buf[LINK_MAX_FRAME];
        const struct link_hdr h = {
                .dir = v == 2,
                .prm = true,
                .fcb = false,
                .fcv = v == 3,
                .code = link_func_code(v == 3 ? LINK_FUNC_CONFIRMED_USER_DATA
                                              : LINK_FUNC_UNCONFIRMED_USER_DATA),
                .dest = v == 1 ? 2 : FZ_MASTER,
                .src = (uint16_t)(10 + i),
        };
        int r = link_encode(buf, sizeof(buf), &h, seg, n);
        check(r > 0);
        master_chan_rx(ch, buf, (size_t)r, now);
}

/* Answer every request in the output with a null response (FIR FIN, its sequence). */
static void fz_answer_output(bool answer)
{
        const uint8_t *p;
        size_t n = master_chan_output(ch, &p);
        check(n <= 65536);
        static uint8_t copy[8192];
        if (n > sizeof(copy))
                n = sizeof(copy);
        memcpy(copy, p, n);
        master_chan_consumed(ch, n, now);
        const uint8_t *q = copy;
        while (n > 0) {
                size_t used = link_scanner_feed(&out_scan, q, n);
                q += used;
                n -= used;
                struct link_frame f;
                while (link_scanner_next(&out_scan, &f) > 0) {
                        if (f.h.dest < 10 || f.h.dest > 11 || f.data_len == 0)
                                continue;
                        size_t i = f.h.dest - 10u;
                        const uint8_t *apdu;
                        size_t len;
                        if (tport_rx_push(&out_rx[i], f.data, f.data_len, &apdu, &len) != 1)
                                continue;
                        if (!answer || len < 2 || apdu[1] == APP_FUNC_CONFIRM ||
                            apdu[1] == APP_FUNC_DIRECT_OPERATE_NR ||
                            master_req_freeze_nr(apdu[1]))
                                continue;
                        uint8_t seg[5] = { (uint8_t)(TPORT_FIR | TPORT_FIN | (tseq[i]++ & TPORT_SEQ)),
                                           (uint8_t)(APP_CTRL_FIR | APP_CTRL_FIN | (apdu[0] & APP_CTRL_SEQ)),
                                           APP_FUNC_RESPONSE, 0, 0 };
                        fz_frame(i, 0, seg, sizeof(seg));
                }
        }
}

static void fz_timer(void)
{
        unsigned spins = 0;
        while (master_chan_deadline(ch) <= now) {
                master_chan_timer(ch, now);
                fz_answer_output(false);
                check(++spins < 64);
        }
}

static uint32_t last_id[2];     /* of the last control queued on each device */

static void fz_control(size_t i, unsigned mode)
{
        static const enum master_cmd_mode modes[] = { MASTER_CMD_SBO, MASTER_CMD_DIRECT,
                                                      MASTER_CMD_DIRECT_NR, MASTER_CMD_SELECT,
                                                      MASTER_CMD_OPERATE };
        const struct master_cmd_obj objs[2] = {
                { .group = 12, .var = 1,
                  .v = { .index = 3, .v.crob = { .code = 0x41, .count = 1, .on_ms = 100 } } },
                { .group = 41, .var = 3, .v = { .index = 1, .v.ao = { .value = 12.5 } } },
        };
        uint32_t id;
        if (master_dev_control(devs[i], modes[mode % 5], objs, 2, fz_cmd_cb, NULL, now, &id) == 0)
                last_id[i] = id;
}

static void fz_setup(void)
{
        const struct master_chan_cfg cc = {
                .master_address = FZ_MASTER,
                .response_timeout_ms = 1000,
                .retries = 1,
                .max_fragment = 2048,
                .byte_time_us = 1146,           /* 9600 baud: the wire-time timer */
        };
        const struct master_callbacks cb = {
                .on_value = fz_on_value,
                .on_apdu = fz_on_apdu,
                .hold_confirm = fz_hold_confirm,
        };
        fz_hold = false;
        check(master_chan_new(&cc, &cb, &ch) == 0);
        for (size_t i = 0; i < 2; i++) {
                const struct master_dev_cfg dc = {
                        .name = i ? "b" : "a",
                        .address = (uint16_t)(10 + i),
                        .class_ms = { 2000, 5000, 0 },
                        .integrity_ms = 60000,
                        .unsolicited = i == 0,
                        .time_sync = i ? MASTER_TSYNC_LAN : MASTER_TSYNC_WRITE,
                        .measure_delay = true,
                        .select_hold_ms = i ? 0 : 2500,  /* pass-through SELECT hold on "a" */
                        .comm_fail_after = 2,
                        .control_timeout_ms = 3000,
                        .offline_retry_ms = 4000,
                };
                check(master_chan_add_dev(ch, &dc, &devs[i]) == 0);
                tport_rx_init(&out_rx[i], out_rxbuf[i], sizeof(out_rxbuf[i]));
                tseq[i] = 0;
        }
        link_scanner_init(&out_scan);
        memset(reported, 0, sizeof(reported));
        nfreeze = 0;
        memset(last_id, 0, sizeof(last_id));
        now = 1000;
        master_chan_set_wall_offset(ch, INT64_C(1700000000000));
        master_chan_up(ch, now);
        master_chan_timer(ch, now);
        /* startup of both devices answered correctly until the channel is idle */
        for (int k = 0; k < 32; k++) {
                const uint8_t *p;
                size_t n = master_chan_output(ch, &p);
                if (n == 0)
                        break;
                fz_answer_output(true);
        }
        check(master_dev_get_state(devs[0]) == MASTER_DEV_ONLINE);
        check(master_dev_get_state(devs[1]) == MASTER_DEV_ONLINE);
        /* mid-poll on device 11, a control queued on device 10 */
        now += 2000;
        fz_control(0, 0);
        fz_timer();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fz_setup();
        size_t i = 0;
        while (i < size) {
                uint8_t c = data[i++];
                if (c < 0x80) {
                        size_t n = (size_t)c + 1;
                        if (n > size - i)
                                n = size - i;
                        master_chan_rx(ch, data + i, n, now);
                        i += n;
                } else if (c < 0xc0) {
                        if (i >= size)
                                break;
                        size_t n = data[i++] % 251u;
                        if (n > size - i)
                                n = size - i;
                        if (n > LINK_MAX_DATA)
                                n = LINK_MAX_DATA;
                        fz_frame(c & 1u, (c >> 1) & 3u, data + i, n);
                        i += n;
                } else if (c < 0xdb) {
                        now += (uint64_t)((c & 0x1f) + 1) * 137;
                } else if (c == 0xdb) {
                        fz_hold = !fz_hold;
                        fz_unsynced = 0;
                        if (!fz_hold)
                                master_chan_release_confirms(ch, now);
                } else if (c < 0xe0) {
                        master_dev_demand(devs[c & 1u], MASTER_TASK_INTEGRITY, now);
                } else if (c < 0xf0) {
                        uint64_t dl = master_chan_deadline(ch);
                        if (dl != DNP_NEVER && dl > now)
                                now = dl;
                } else if (c < 0xf8) {
                        fz_control(c & 1u, (c >> 1) & 3u);
                } else if (c == 0xf8) {
                        master_chan_down(ch, now);
                } else if (c == 0xf9) {
                        master_chan_up(ch, now);
                } else if (c < 0xfc) {
                        fz_control(c & 1u, 4);          /* OPERATE (of a SELECT, or alone) */
                } else if (c < 0xfe) {
                        master_dev_select_end(devs[c & 1u], last_id[c & 1u], now);
                } else {
                        fz_freeze(c & 1u);
                }
                fz_answer_output(false);
                fz_timer();
        }
        master_chan_free(ch);
        ch = NULL;
        return 0;
}
