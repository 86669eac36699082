#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seed corpus of fuzz_evjournal: journals as dnp3gwd writes them (evjournal.h's format),
whole, cut short, with a bad CRC, out of order, and files that are not journals.
Run from the repository root: python3 tests/fuzz/mkcorpus_evjournal.py"""
import os
import struct

P = 0x82F63B78


def crc(b):
    c = 0xffffffff
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ P if c & 1 else c >> 1
    return c ^ 0xffffffff


def seal(b):
    return b + struct.pack("<I", crc(b))


HEADER = seal(b"DNP3GWEV" + struct.pack("<HH", 1, 16))


def add(seq, cls, typ, var, flags, index, src, time, value):
    return seal(bytes([1]) + struct.pack("<IBBBBHH", seq, cls, typ, var, flags, index, src) +
                time.to_bytes(6, "little") + struct.pack("<d", value))


def remove(first, count):
    return seal(bytes([2]) + struct.pack("<II", first, count))


adds = [add(100 + i, 1 + i % 3, 1 + i % 7, 2, 0x81, i, i % 4, 1764784800000 + i, i * 0.5)
        for i in range(12)]
journal = HEADER + b"".join(adds[:6]) + remove(100, 3) + b"".join(adds[6:]) + remove(105, 2)
seeds = {
    "empty-journal": HEADER,
    "journal": journal,
    "torn-tail": journal[:-7],
    "torn-header": HEADER[:9],
    "bad-crc": journal[:16 + 31 * 3 + 5] + bytes([journal[16 + 31 * 3 + 5] ^ 0x40]) +
               journal[16 + 31 * 3 + 6:],
    "out-of-order": HEADER + adds[3] + adds[1],
    "seq-wrap": HEADER + add(0xffffffff, 1, 1, 2, 1, 0, 0, 0, 1.0) + add(0, 1, 1, 2, 1, 0, 0, 0, 0.0),
    "zeros-tail": journal + bytes(64),
    "foreign-sqlite": b"SQLite format 3\0" + bytes(84),
    "version-2": seal(b"DNP3GWEV" + struct.pack("<HH", 2, 16)) + adds[0],
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "evjournal")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
