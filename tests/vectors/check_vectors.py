#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
Real-capture test: every ITI DNP3 pcap (tests/vectors/iti-dnp3/) is decoded
twice, by our codec (through tests/tools/dnp3dec) and by Wireshark's DNP3
dissector (tshark -T pdml), and the two must agree exactly:

  - the same link frames per direction (control bits, function, addresses,
    length), every one with good CRCs, no bytes discarded, no transport
    segments dropped;
  - the same application fragments per direction, with the same APDU header
    and IIN; every fragment either parses, and then has the same object
    headers (group, variation, qualifier, range/count), point indexes,
    values, flags, control fields and timestamps as tshark shows, or is
    rejected with exactly the error listed for that file in EXPECT below
    (objects outside our catalog, or a really malformed fragment).

Values are compared exactly: integers from tshark's decimal text, floats
from the raw little-endian bytes tshark attributes to the field (PDML
"value"), so a float32 is compared as the same float32, and times from the
raw 48-bit field (relative g2v3 times as CTO + 16-bit offset, as tshark
derives them).

Usage: check_vectors.py --dec <dnp3dec> --dir <tests/vectors> [-v]
"""
import argparse
import errno
import json
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

# Per file: the fragments our codec must reject, as (direction side, function
# code, group, variation, errno name), in capture order; everything else must
# parse.  "m" = from the master (DIR=1), "o" = from the outstation.
# Expected because the objects are outside our catalog (-> OBJECT_UNKNOWN):
#   g0 device attributes, g70 file transfer, g85/g86 data sets,
#   g112 virtual terminal, g120 secure authentication, g255 (not an object);
# or because the fragment really is malformed.
EXPECT = {
    "auth_change_session_keys.pcap": [
        ("m", 32, 120, 4, "ENOENT"),    # AUTHENTICATE_REQ g120v4 key status request
        ("o", 131, 120, 5, "ENOENT"),   # AUTHENTICATE_RESP g120v5 key status
        ("m", 32, 120, 6, "ENOENT"),    # AUTHENTICATE_REQ g120v6 key change
        ("o", 131, 120, 5, "ENOENT"),
    ],
    "auth_control_challenge_response.pcap": [
        ("o", 131, 120, 1, "ENOENT"),   # challenge of the DIRECT_OPERATE
        ("m", 32, 120, 2, "ENOENT"),    # challenge reply
    ],
    "dataset_exchange.pcap": [
        ("m", 1, 0, 213, "ENOENT"),     # READ g0v213/g0v215 device attributes
        ("o", 129, 0, 213, "ENOENT"),
        ("m", 1, 85, 1, "ENOENT"),      # data set prototype
        ("o", 129, 85, 1, "ENOENT"),
        ("m", 1, 86, 1, "ENOENT"),      # data set descriptor
        ("o", 129, 86, 1, "ENOENT"),
    ],
    # quantity 2 with one CROB in the fragment (CRCs are good)
    "direct_operate_crob_malform_but_good_crc.pcap": [
        ("m", 5, 12, 1, "EBADMSG"),
    ],
    # The master on port 1159 (stream 5) sends DISABLE_UNSOLICITED to 0xffff
    # twice with the last header cut short: "3c 04 ed", qualifier 0xED
    # (tshark: "4-Octet Object Size Prefix, Range: Unknown Range Type").
    "dnp3_test_data_part1.pcap": [
        ("m", 21, 60, 4, "EPROTO"),
        ("m", 21, 60, 4, "EPROTO"),
        # The masters on port 1184 (stream 6, to 4) and 1084 (stream 7, to
        # 0xffff) each send STOP_APPL twice with "3c 02 06 01 07 06 3c 04 ed":
        # g1v7 does not exist (g1 has v1, v2); tshark does not dissect
        # STOP_APPL objects.
        ("m", 18, 1, 7, "ENOENT"),
        ("m", 18, 1, 7, "ENOENT"),
        ("m", 18, 1, 7, "ENOENT"),
        ("m", 18, 1, 7, "ENOENT"),
    ],
    "dnp3_test_data_part2.pcap": [
        ("m", 1, 255, 0, "ENOENT"),     # READ g255v0, five times
        ("m", 1, 255, 0, "ENOENT"),
        ("m", 1, 255, 0, "ENOENT"),
        ("m", 1, 255, 0, "ENOENT"),
        ("m", 1, 255, 0, "ENOENT"),
    ],
    "file_delete.pcap": [
        ("m", 27, 70, 3, "ENOENT"),
        ("o", 129, 70, 4, "ENOENT"),
    ],
    "file_list_directory.pcap": [
        ("m", 25, 70, 3, "ENOENT"),
        ("o", 129, 70, 4, "ENOENT"),
        ("m", 1, 70, 5, "ENOENT"),
        ("o", 129, 70, 5, "ENOENT"),
        ("m", 1, 70, 5, "ENOENT"),
        ("o", 129, 70, 5, "ENOENT"),
        ("m", 26, 70, 4, "ENOENT"),
        ("o", 129, 70, 4, "ENOENT"),
    ],
    "file_read.pcap": [
        ("m", 25, 70, 3, "ENOENT"),
        ("o", 129, 70, 4, "ENOENT"),
        ("m", 1, 70, 5, "ENOENT"),
        ("o", 129, 70, 5, "ENOENT"),
        ("m", 26, 70, 4, "ENOENT"),
        ("o", 129, 70, 4, "ENOENT"),
    ],
    "file_write.pcap": [
        ("m", 25, 70, 3, "ENOENT"),
        ("o", 129, 70, 4, "ENOENT"),
        ("m", 2, 70, 5, "ENOENT"),
        ("o", 129, 70, 6, "ENOENT"),
        ("m", 26, 70, 4, "ENOENT"),
        ("o", 129, 70, 4, "ENOENT"),
    ],
    # DIRECT_OPERATE led by a g120v3 aggressive-mode request object
    "operate_aggressive_mode.pcap": [
        ("m", 5, 120, 3, "ENOENT"),
    ],
    # WRITE g112v0 range 0..65535 (tshark also calls it malformed)
    "write_vto_empty_string.pcap": [
        ("m", 2, 112, 0, "ENOENT"),
    ],
}

# Captures that really contain bytes outside frames, per direction
# ("tcp.stream:srcport"); every other scanner/transport error counter of
# every direction must be zero.
EXPECT_DISCARDS = {
    # The master on port 2803 sends DISABLE_UNSOLICITED twice as
    # "05 05 11 c4 04 00 03 00 46 a2 ..." (24 bytes each): start bytes 05 05
    # instead of 05 64, with a header CRC computed over the wrong bytes.
    # tshark does not recognise them as DNP3 either.
    "dnp3_test_data_part1.pcap": {"1:2803": {"bytes_discarded": 48}},
}

PCAP_COUNT = 29

# Wireshark 4.0's packet-dnp.c does not dissect the IIN of AUTHENTICATE_RESP
# (131), although IEEE 1815-2012 gives every response function (129, 130,
# 131) the IIN field; for it the IIN is taken from the APDU bytes tshark
# reassembled.
TSHARK_NO_IIN = (131,)

# Fragments whose objects tshark does not dissect at all (Wireshark 4.0 shows
# no objects for ASSIGN_CLASS): the object headers our codec must find,
# written down from the capture bytes, per (file, function code).
TSHARK_BLIND = {
    # 16 3c 03 06 01 00 06: ASSIGN_CLASS g60v3 (class 2) all, g1v0 all
    ("assign_class.pcap", 22): [
        {"group": 60, "var": 3, "qual": 0x06, "count": 0, "values": []},
        {"group": 1, "var": 0, "qual": 0x06, "count": 0, "values": []},
    ],
}


class Mismatch(Exception):
    pass


# ---------------------------------------------------------------- tshark side

def run(cmd, inp=None):
    p = subprocess.run(cmd, input=inp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       check=False)
    if p.returncode != 0:
        raise Mismatch("%s failed (%d): %s" % (cmd[0], p.returncode,
                                                p.stderr.decode(errors="replace")[-500:]))
    return p.stdout


def payload_lines(pcap):
    out = run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e", "tcp.stream",
               "-e", "tcp.srcport", "-e", "tcp.payload", "-Y", "tcp.len > 0"])
    lines = []
    for ln in out.decode().splitlines():
        parts = ln.split("\t")
        if len(parts) != 3 or not parts[2]:
            continue
        lines.append("%s:%s %s" % (parts[0], parts[1], parts[2].replace(":", "")))
    return lines


def fshow(el, name):
    f = el.find(".//field[@name='%s']" % name)
    return None if f is None else f.get("show")


def fint(el, name):
    s = fshow(el, name)
    return None if s is None else int(s, 0)


def fraw(el, name):
    f = el.find(".//field[@name='%s']" % name)
    return None if f is None else bytes.fromhex(f.get("value"))


def quality(point):
    """Flags byte from tshark's per-bit quality fields (biq/boq/aiq/aoq/ctrq/...)."""
    flags = None
    for f in point.iter("field"):
        n = f.get("name", "")
        if n.startswith("dnp3.al.") and len(n) > 3 and n[-3:-1] == ".b" and n[-1].isdigit() \
                and n.split(".")[2].endswith("q"):
            flags = (flags or 0) | (int(f.get("show")) << int(n[-1]))
    return flags


def ts_point(point, cto):
    """One tshark point as a dict comparable with dnp3dec's values."""
    d = {}
    idx = fint(point, "dnp3.al.point_index")
    if idx is None:
        idx = fint(point, "dnp3.al.index")
    if idx is None:
        idx = int(point.get("show").split()[2])
    d["index"] = idx
    flags = quality(point)
    if flags is not None:
        d["flags"] = flags
    if point.find(".//field[@name='dnp3.ctl.op']") is not None:
        d["crob"] = {
            "op": fint(point, "dnp3.ctl.op"),
            "qucl": fint(point, "dnp3.ctl.clr"),
            "tcc": fint(point, "dnp3.ctl.trip"),
            "count": fint(point, "dnp3.al.count"),
            "on_ms": fint(point, "dnp3.al.on_time"),
            "off_ms": fint(point, "dnp3.al.off_time"),
            "status": fint(point, "dnp3.al.ctrlstatus"),
        }
        return d
    for name in ("dnp3.al.bit", "dnp3.al.cnt", "dnp3.al.ana.int", "dnp3.al.anaout.int",
                 "dnp3.al.time_delay"):
        v = fint(point, name)
        if v is not None:
            d["value"] = v
            break
    for name, fmt in (("dnp3.al.ana.flt", "<f"), ("dnp3.al.ana.dbl", "<d"),
                      ("dnp3.al.anaout.flt", "<f"), ("dnp3.al.anaout.dbl", "<d")):
        raw = fraw(point, name)
        if raw is not None:
            d["value"] = struct.unpack(fmt, raw)[0]
    if "value" not in d and flags is not None and \
            point.find(".//field[@name='dnp3.al.biq.b7']") is not None:
        d["value"] = flags >> 7
    if "value" not in d and flags is not None and \
            point.find(".//field[@name='dnp3.al.boq.b7']") is not None:
        d["value"] = flags >> 7
    st = fint(point, "dnp3.al.ctrlstatus")
    if st is not None:
        d["status"] = st
    raw = fraw(point, "dnp3.al.timestamp")
    if raw is not None:
        d["time_ms"] = int.from_bytes(raw, "little")
    raw = fraw(point, "dnp3.al.reltimestamp")
    if raw is not None:
        if cto is None:
            raise Mismatch("tshark: relative time without CTO")
        d["time_ms"] = cto + int.from_bytes(raw, "little")
    return d


def ts_apdu(al):
    a = {}
    for k in ("fir", "fin", "con", "uns", "seq"):
        a[k] = fint(al, "dnp3.al." + k)
    a["func"] = fint(al, "dnp3.al.func")
    a["raw"] = bytes.fromhex(al.get("value"))
    raw = fraw(al, "dnp3.al.iin")
    if raw is not None:
        a["iin"] = raw[0] | raw[1] << 8
    elif a["func"] in TSHARK_NO_IIN and len(a["raw"]) >= 4:
        # the IIN bytes of the APDU as tshark framed it
        a["iin"] = a["raw"][2] | a["raw"][3] << 8
    else:
        a["iin"] = 0
    objs = []
    cto = None
    for ob in al.iter("field"):
        if ob.get("name") != "dnp3.al.obj":
            continue
        gv = int(ob.get("show"), 16)
        o = {"group": gv >> 8, "var": gv & 0xff,
             "qual": fint(ob, "dnp3.al.objq.prefix") << 4 | fint(ob, "dnp3.al.objq.range")}
        start = fint(ob, "dnp3.al.range.start")
        if start is not None:
            o["start"] = start
            o["stop"] = fint(ob, "dnp3.al.range.stop")
        q = fint(ob, "dnp3.al.range.quantity")
        if q is not None:
            o["count"] = q
        # Points are direct children of the object header; g50/g51 times
        # follow their (otherwise empty) point as a sibling.
        pts = []
        for p in ob:
            if p.get("name") == "" and (p.get("show") or "").startswith("Point Number"):
                pts.append(ts_point(p, cto))
            elif p.get("name") == "dnp3.al.timestamp" and pts:
                pts[-1]["time_ms"] = int.from_bytes(bytes.fromhex(p.get("value")), "little")
            elif p.get("name") == "dnp3.al.time_delay" and pts:
                pts[-1]["value"] = int(p.get("show"), 0)
            else:
                continue
            if o["group"] == 51 and "time_ms" in pts[-1]:
                cto = pts[-1]["time_ms"]
        o["values"] = pts
        objs.append(o)
    a["objects"] = objs
    return a


def tshark_decode(pcap):
    """Per direction: list of ("frame", dict) and ("apdu", dict) in order, plus CRC problems."""
    out = run(["tshark", "-n", "-r", pcap, "-T", "pdml", "-J", "tcp dnp3"])
    root = ET.fromstring(out)
    dirs = {}
    crc_bad = 0
    malformed = 0
    for pkt in root.iter("packet"):
        tcp = pkt.find("proto[@name='tcp']")
        if tcp is None:
            continue
        key = "%s:%s" % (fshow(tcp, "tcp.stream"), fshow(tcp, "tcp.srcport"))
        for proto in pkt.findall("proto"):
            if proto.get("name") == "_ws.malformed":
                malformed += 1
            if proto.get("name") != "dnp3":
                continue
            seq = dirs.setdefault(key, [])
            for f in proto.iter("field"):
                if f.get("name") in ("dnp.hdr.CRC.status", "dnp.data_chunk.CRC.status") and \
                        f.get("show") != "1":
                    crc_bad += 1
            fr = {
                "dir_bit": fint(proto, "dnp3.ctl.dir"),
                "prm": fint(proto, "dnp3.ctl.prm"),
                "dest": fint(proto, "dnp3.dst"),
                "src": fint(proto, "dnp3.src"),
                "len": fint(proto, "dnp3.len") - 5,
            }
            if fr["prm"]:
                fr["fcb"] = fint(proto, "dnp3.ctl.fcb")
                fr["fcv"] = fint(proto, "dnp3.ctl.fcv")
                fr["code"] = fint(proto, "dnp3.ctl.prifunc")
            else:
                fr["fcb"] = 0
                fr["fcv"] = fint(proto, "dnp3.ctl.dfc")
                fr["code"] = fint(proto, "dnp3.ctl.secfunc")
            seq.append(("frame", fr))
            for f in proto.iter("field"):
                if (f.get("show") or "").startswith("Application Layer:"):
                    seq.append(("apdu", ts_apdu(f)))
    return dirs, crc_bad, malformed


# ---------------------------------------------------------------- our side

def dec_decode(dec, lines):
    out = run([dec], ("\n".join(lines) + "\n").encode())
    dirs = {}
    stats = None
    for ln in out.decode().splitlines():
        j = json.loads(ln)
        t = j["type"]
        if t == "stats":
            stats = j["dirs"]
        elif t == "input_error":
            raise Mismatch("dnp3dec rejected input line %d" % j["line"])
        else:
            dirs.setdefault(j["dir"], []).append((t, j))
    if stats is None:
        raise Mismatch("dnp3dec printed no stats line")
    return dirs, stats


# ---------------------------------------------------------------- comparison

def cmp_frame(where, ours, ts):
    for k, v in ts.items():
        if ours.get(k) != v:
            raise Mismatch("%s: link %s: ours %r, tshark %r" % (where, k, ours.get(k), v))


def cmp_value(where, ov, tv, obj):
    if ov["index"] != tv["index"]:
        raise Mismatch("%s: index ours %r, tshark %r" % (where, ov["index"], tv["index"]))
    if "flags" in tv and ov["flags"] != tv["flags"]:
        raise Mismatch("%s: flags ours 0x%02x, tshark 0x%02x" % (where, ov["flags"], tv["flags"]))
    if "crob" in tv:
        c = ov.get("crob")
        if c is None:
            raise Mismatch("%s: tshark shows a CROB, ours does not" % where)
        mine = {"op": c["op"], "qucl": c["qu"] | c["cl"] << 1, "tcc": c["tcc"],
                "count": c["count"], "on_ms": c["on_ms"], "off_ms": c["off_ms"],
                "status": c["status"]}
        if mine != tv["crob"]:
            raise Mismatch("%s: CROB ours %r, tshark %r" % (where, mine, tv["crob"]))
        return
    if "value" in tv:
        if "value" not in ov:
            raise Mismatch("%s: tshark value %r, ours none" % (where, tv["value"]))
        a, b = ov["value"], tv["value"]
        if isinstance(b, float) or isinstance(a, float):
            same = float(a) == float(b) or (a != a and b != b)
        else:
            same = a == b
        if not same or type(a) is bool:
            raise Mismatch("%s: value ours %r, tshark %r" % (where, a, b))
    elif "value" in ov and obj["group"] not in (50, 51):
        raise Mismatch("%s: ours value %r, tshark shows none" % (where, ov["value"]))
    if "status" in tv and ov.get("status") != tv["status"]:
        raise Mismatch("%s: status ours %r, tshark %r" % (where, ov.get("status"), tv["status"]))
    if ("time_ms" in tv) != ("time_ms" in ov) or ov.get("time_ms") != tv.get("time_ms"):
        raise Mismatch("%s: time ours %r, tshark %r" % (where, ov.get("time_ms"),
                                                         tv.get("time_ms")))


def cmp_apdu(where, ours, ts, expect, side, blind):
    if ours.get("len") != len(ts["raw"]):
        raise Mismatch("%s: APDU length ours %r, tshark %d" % (where, ours.get("len"),
                                                                len(ts["raw"])))
    for k in ("fir", "fin", "con", "uns", "seq", "func", "iin"):
        if ours.get(k) != ts[k]:
            raise Mismatch("%s: APDU %s ours %r, tshark %r" % (where, k, ours.get(k), ts[k]))
    if "error" in ours:
        got = (side, ours["func"], ours.get("group"), ours.get("var"),
               errno.errorcode.get(ours.get("errno", 0), "?"))
        if not expect or expect[0] != got:
            raise Mismatch("%s: rejected %r (%s at offset %s), expected %r" %
                           (where, got, ours["error"], ours.get("offset"),
                            expect[0] if expect else "a clean parse"))
        expect.pop(0)
        # tshark must show the object we reject, unless it did not decode it
        if ts["objects"] and not any(o["group"] == got[2] and o["var"] == got[3]
                                     for o in ts["objects"]) and got[2] != 120:
            raise Mismatch("%s: rejected g%dv%d, tshark shows %r" %
                           (where, got[2], got[3],
                            [(o["group"], o["var"]) for o in ts["objects"]]))
        return "rejected"
    oo, to = ours["objects"], ts["objects"]
    if ours["func"] in blind:
        if to:
            raise Mismatch("%s: tshark now dissects func %d; drop it from TSHARK_BLIND" %
                           (where, ours["func"]))
        to = blind[ours["func"]]
    if len(oo) != len(to):
        raise Mismatch("%s: %d object headers ours, %d tshark" % (where, len(oo), len(to)))
    for i, (o, t) in enumerate(zip(oo, to)):
        w = "%s obj#%d g%dv%d" % (where, i, t["group"], t["var"])
        for k in ("group", "var", "qual", "start", "stop", "count"):
            if k in t and o.get(k) != t[k]:
                raise Mismatch("%s: %s ours %r, tshark %r" % (w, k, o.get(k), t[k]))
        ov, tv = o["values"], t["values"]
        if len(ov) != len(tv):
            raise Mismatch("%s: %d values ours, %d tshark" % (w, len(ov), len(tv)))
        for a, b in zip(ov, tv):
            cmp_value("%s idx %d" % (w, b["index"]), a, b, t)
    return "parsed"


def side_of(seq):
    for t, j in seq:
        if t == "frame":
            return "m" if j["dir_bit"] else "o"
    return "?"


def check_file(dec, pcap, verbose):
    name = os.path.basename(pcap)
    lines = payload_lines(pcap)
    ours, stats = dec_decode(dec, lines)
    theirs, crc_bad, malformed = tshark_decode(pcap)
    if crc_bad:
        raise Mismatch("tshark reports %d bad CRCs" % crc_bad)
    for d, st in stats.items():
        allowed = EXPECT_DISCARDS.get(name, {}).get(d, {})
        for layer in ("link", "tport"):
            for k, v in st[layer].items():
                if k in ("frames", "fragments"):
                    continue
                if v != allowed.get(k, 0):
                    raise Mismatch("dir %s: %s.%s = %d" % (d, layer, k, v))
    # The rejections are listed in capture order; each side (master or
    # outstation) consumes its own entries in order.
    expect = {"m": [], "o": []}
    for e in EXPECT.get(name, []):
        expect[e[0]].append(e)
    blind = {fn: objs for (f, fn), objs in TSHARK_BLIND.items() if f == name}
    counts = {"frames": 0, "parsed": 0, "rejected": 0, "values": 0}
    if set(ours) != set(theirs):
        raise Mismatch("directions ours %s, tshark %s" % (sorted(ours), sorted(theirs)))
    for d, seq in theirs.items():
        kinds_o = [t for t, _ in ours[d]]
        kinds_t = [t for t, _ in seq]
        if len(kinds_o) != len(kinds_t):
            raise Mismatch("dir %s: ours %d frames+%d apdus, tshark %d frames+%d apdus" %
                           (d, kinds_o.count("frame"), kinds_o.count("apdu"),
                            kinds_t.count("frame"), kinds_t.count("apdu")))
    for d, seq in theirs.items():
        side = side_of(ours[d])
        for i, ((ot, oj), (tt, tj)) in enumerate(zip(ours[d], seq)):
            where = "dir %s item %d" % (d, i)
            if ot != tt:
                raise Mismatch("%s: ours %s, tshark %s" % (where, ot, tt))
            if ot == "frame":
                cmp_frame(where, oj, tj)
                counts["frames"] += 1
                continue
            r = cmp_apdu(where, oj, tj, expect[side], side, blind)
            counts[r] += 1
            counts["values"] += sum(len(o["values"]) for o in oj.get("objects", []))
    expect = expect["m"] + expect["o"]
    if expect:
        raise Mismatch("expected rejections that did not happen: %r" % expect)
    return counts, malformed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dec", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if shutil.which("tshark") is None:
        print("tshark not found")
        print("0 passed, 1 failed")
        return 1
    vdir = os.path.join(args.dir, "iti-dnp3")
    pcaps = sorted(f for f in os.listdir(vdir) if f.endswith(".pcap"))
    passed = failed = 0
    if len(pcaps) != PCAP_COUNT:
        print("FAIL: %d pcaps in %s, expected %d" % (len(pcaps), vdir, PCAP_COUNT))
        failed += 1
    for f in sorted(EXPECT):
        if f not in pcaps:
            print("FAIL: EXPECT names missing file %s" % f)
            failed += 1
    for f in pcaps:
        try:
            c, malformed = check_file(args.dec, os.path.join(vdir, f), args.verbose)
            print("PASS %-48s frames=%-3d apdus parsed=%-3d rejected=%-2d values=%d%s" %
                  (f, c["frames"], c["parsed"], c["rejected"], c["values"],
                   " (tshark: %d malformed)" % malformed if malformed else ""))
            passed += 1
        except Mismatch as e:
            print("FAIL %s: %s" % (f, e))
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
