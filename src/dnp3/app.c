/* SPDX-License-Identifier: MIT */
/* DNP3 application layer: function codes, IIN bits, APDU header.  Sans-I/O. */
#include "app.h"
#include "names.h"

#include <errno.h>
#include <string.h>

static const char *const app_func_names[] = { APP_FUNC_LIST(NAMES_BY_CODE) };

/* NULL, not NAMES_UNKNOWN, for a code that is not a function: callers print the number. */
const char *app_func_name(uint8_t code)
{
        return names_find(app_func_names, NAMES_COUNT(app_func_names), code);
}

bool app_func_is_response(uint8_t code)
{
        return code == APP_FUNC_RESPONSE || code == APP_FUNC_UNSOLICITED_RESPONSE ||
               code == APP_FUNC_AUTHENTICATE_RESP;
}

bool app_func_no_response(uint8_t code)
{
        switch (code) {
#define X(name) case APP_FUNC_##name:
        APP_FUNC_NO_RESPONSE_LIST(X)
#undef X
                return true;
        default:
                return false;
        }
}

NAMES_DEFINE(app_iin_bit_name, unsigned, APP_IIN_LIST, NAMES_BY_CODE)

char *app_iin_format(uint16_t iin, char *buf, size_t n)
{
        size_t len = 0;

        if (!buf || n == 0)
                return buf;
        buf[0] = '\0';
        for (unsigned bit = 0; bit < 16; bit++) {
                if (!(iin & (1u << bit)))
                        continue;
                const char *name = app_iin_bit_name(bit);
                size_t need = strlen(name) + (len ? 1 : 0);
                if (need >= n - len)
                        break;
                if (len)
                        buf[len++] = ' ';
                memcpy(buf + len, name, strlen(name));
                len += strlen(name);
                buf[len] = '\0';
        }
        return buf;
}

uint8_t apdu_ctrl_byte(const struct apdu_hdr *h)
{
        return (uint8_t)((h->fir ? APP_CTRL_FIR : 0) | (h->fin ? APP_CTRL_FIN : 0) |
                         (h->con ? APP_CTRL_CON : 0) | (h->uns ? APP_CTRL_UNS : 0) |
                         (h->seq & APP_CTRL_SEQ));
}

int apdu_parse_hdr(struct rd *c, struct apdu_hdr *ret)
{
        struct rd t = *c;
        uint8_t ctrl, func;
        uint16_t iin = 0;

        if (rd_u8(&t, &ctrl) < 0 || rd_u8(&t, &func) < 0)
                return -EBADMSG;
        if (app_func_is_response(func) && rd_le16(&t, &iin) < 0)
                return -EBADMSG;
        *ret = (struct apdu_hdr){
                .fir = ctrl & APP_CTRL_FIR,
                .fin = ctrl & APP_CTRL_FIN,
                .con = ctrl & APP_CTRL_CON,
                .uns = ctrl & APP_CTRL_UNS,
                .seq = ctrl & APP_CTRL_SEQ,
                .func = func,
                .iin = iin,
        };
        *c = t;
        return 0;
}

int apdu_write_hdr(struct wr *w, const struct apdu_hdr *h)
{
        bool rsp = app_func_is_response(h->func);

        if (wr_left(w) < (rsp ? APP_RSP_HDR_LEN : APP_REQ_HDR_LEN))
                return -ENOBUFS;
        (void)wr_u8(w, apdu_ctrl_byte(h));
        (void)wr_u8(w, h->func);
        if (rsp)
                (void)wr_le16(w, h->iin);
        return 0;
}
