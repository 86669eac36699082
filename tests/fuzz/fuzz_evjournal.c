/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the event journal's scanner (outstation/evjournal.h):
 * what a damaged, truncated or foreign journal file may hold after a crash.
 *
 * The scan must stop inside the input, at a record boundary (good bytes are
 * the header and whole records); every record it gives, encoded again,
 * must be exactly the input's bytes at its place (nothing guessed, nothing
 * half read); scanning just the good prefix must give the same records and
 * end cleanly (END); and the ADD seqs it gives must increase.  Any mismatch
 * calls abort().
 *
 * Seed corpus: tests/fuzz/corpus/evjournal/ (made by tests/fuzz/mkcorpus_evjournal.py).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "outstation/evjournal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
        if (!ok)
                abort();
}

/* The bytes rec encodes to, into buf; their length. */
static size_t encode(const struct evj_rec *rec, uint8_t *buf, size_t cap)
{
        struct wr w;
        wr_init(&w, buf, cap);
        if (rec->kind == EVJ_ADD) {
                const struct ev e = { .seq = rec->ev.seq, .type = rec->ev.type,
                                      .var = rec->ev.var, .flags = rec->ev.flags,
                                      .index = rec->ev.index, .src = rec->ev.src,
                                      .time = rec->ev.time, .value = rec->ev.value };
                check(evj_write_add(&w, &e, rec->ev.cls) == 0);
        } else {
                check(rec->kind == EVJ_REMOVE);
                check(evj_write_remove(&w, rec->first, rec->count) == 0);
        }
        return w.len;
}

/* Scan data[0..size); returns the record count, checks each record's bytes. */
static size_t scan(const uint8_t *data, size_t size, struct evj_scan *sc, uint64_t *ret_hash)
{
        struct evj_rec rec;
        uint8_t buf[64];
        size_t n = 0;
        uint64_t h = 1469598103934665603ull;
        evj_scan_init(sc, data, size);
        size_t off = sc->good;
        while (evj_scan_next(sc, &rec) == 1) {
                size_t len = encode(&rec, buf, sizeof(buf));
                check(off + len == sc->good && sc->good <= size);
                check(memcmp(buf, data + off, len) == 0);
                for (size_t i = 0; i < len; i++)
                        h = (h ^ buf[i]) * 0x100000001b3ull;
                off = sc->good;
                n++;
        }
        check(sc->stopped && sc->stop < EVJ_STOP_MAX && sc->good <= size);
        check(sc->stop != EVJ_STOP_END || sc->good == size);
        check(evj_scan_next(sc, &rec) == 0);
        *ret_hash = h;
        return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct evj_scan a, b;
        uint64_t ha, hb;
        size_t na = scan(data, size, &a, &ha);
        /* the good prefix alone: the same records, a clean end */
        uint8_t *copy = malloc(a.good ? a.good : 1);
        check(copy != NULL);
        memcpy(copy, data, a.good);
        size_t nb = scan(copy, a.good, &b, &hb);
        free(copy);
        check(na == nb && ha == hb && b.good == a.good);
        check(b.stop == EVJ_STOP_END);
        return 0;
}
