#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent oracle: Wireshark's DNP3 dissector decodes our encoder's frames.

Runs gen_frames (tests/oracle/gen_frames.c), which prints one JSON line per
APDU with the link frames it encoded and what they are meant to carry.  All
frames go into one text2pcap hex dump -> one pcap (TCP port 20000, one link
frame per packet) -> one `tshark -T pdml` run.  For every APDU the decoded
link header, checksums, transport header, application header, IIN, object
headers, indexes and values must equal the expectation, and the dissector
must report no expert info of severity warning or error.

Every packet is TCP 20000 -> 20000 (text2pcap -T 20000,20000): the dissector
takes the direction (master/outstation) from the link-layer DIR bit, not from
the ports.  A multi-segment APDU is several consecutive packets, which the
dissector must reassemble in the last one.

Usage: oracle.py --gen PATH/gen_frames [--keep DIR] [--verbose]
Prints a line per mismatch and "N passed, N failed"; exits non-zero on any
failure, on fewer than MIN_FRAMES checked frames, or when a group/variation
of the codec's catalog was never produced and checked.
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

MIN_FRAMES = 30

SEV_WARNING = 0x00600000  # _ws.expert.severity values (epan/proto.h PI_WARN)
SEV_ERROR = 0x00800000

# Our IIN bit number (IIN1 bits 0-7, IIN2 bits 8-15) -> dissector field.
IIN_FIELDS = {
    0: "dnp3.al.iin.bmsg", 1: "dnp3.al.iin.cls1d", 2: "dnp3.al.iin.cls2d",
    3: "dnp3.al.iin.cls3d", 4: "dnp3.al.iin.tsr", 5: "dnp3.al.iin.dol",
    6: "dnp3.al.iin.dt", 7: "dnp3.al.iin.rst", 8: "dnp3.al.iin.fcni",
    9: "dnp3.al.iin.obju", 10: "dnp3.al.iin.pioor", 11: "dnp3.al.iin.ebo",
    12: "dnp3.al.iin.oae", 13: "dnp3.al.iin.cc",
}

QUALITY_PREFIXES = ("dnp3.al.biq.b", "dnp3.al.boq.b", "dnp3.al.ctrq.b",
                    "dnp3.al.aiq.b", "dnp3.al.aoq.b")

# ---------------------------------------------------------------------------
# Dissector quirks (Wireshark 4.0 packet-dnp.c).  Each is narrow and explained.
#
# 1. Objects the dissector does not decode, so it shows the rest of the APDU
#    as one "Unknown Data Chunk": g52v1 (Time Delay Coarse) and g51v2
#    (Unsynchronized CTO) are not in its tables at all (it adds an "Unknown
#    Object\Variation" warning); g4v3 (Double-bit Input Event with Relative
#    Time) is named but has no decoder (with two or more points, or with the
#    2-octet index prefix, it then throws "Malformed Packet (Exception
#    occurred)", so gen_frames sends one point with the 1-octet prefix).  For
#    exactly these objects, each the last object of its APDU, we accept that,
#    check the object header, and check the chunk against the standard's
#    encoding (IEEE 1815-2012 A.30.1 g52v1: UINT16 seconds; A.29.2 g51v2:
#    UINT48 ms; A.4.3 g4v3: flags, UINT16 ms after the preceding g51 CTO).


def _prefix(qual, index):
    return {0x17: struct.pack("<B", index), 0x28: struct.pack("<H", index)}.get(qual, b"")


RAW_ONLY = {
    (52, 1): lambda o, p, cto: _prefix(o["qual"], p["index"]) + struct.pack("<H", p["delay"]),
    (51, 2): lambda o, p, cto: _prefix(o["qual"], p["index"]) + struct.pack("<Q", p["time"])[:6],
    (4, 3): lambda o, p, cto: _prefix(o["qual"], p["index"]) + struct.pack("<BH", p["flags"],
                                                                             p["time"] - cto),
}
#
# 2. "IIN Abnormality" (dnp3.iin_abnormal, a warning): added whenever IIN has
#    DEVICE_TROUBLE, CONFIG_CORRUPT, ALREADY_EXECUTING, EVENT_BUFFER_OVERFLOW,
#    PARAMETER_ERROR, OBJECT_UNKNOWN or NO_FUNC_CODE_SUPPORT set.  It is required
#    exactly when the expected IIN has one of those bits, and an error otherwise.
#
# 3. Not a quirk we excuse but one we avoid: a READ of variation 0 with an
#    index-prefix qualifier (0x17/0x28), legal in IEEE 1815, is reported as
#    "Number of items is invalid for normally empty object" (Error/Malformed);
#    gen_frames reads variation 0 only with qualifiers 0x00, 0x06 and 0x07.
#
# Floats are shown with about 6 significant digits, so float32/float64 values
# are compared exactly through the bytes of the field the dissector decoded
# (its position and type are the dissector's), and approximately through the
# shown text.
IIN_ABNORMAL_BITS = (1 << 6) | (1 << 13) | (1 << 12) | (1 << 11) | (1 << 10) | (1 << 9) | (1 << 8)
# ---------------------------------------------------------------------------

MONTHS = {m: i + 1 for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}


def days_from_civil(y, m, d):
    """Days since 1970-01-01 (proleptic Gregorian), any year (no datetime limits)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def parse_ws_time(s):
    """'Sep 26, 2179 07:18:29.121000000 UTC' (TZ=UTC) -> ms since epoch."""
    s = s.strip()
    if s.endswith(" UTC"):
        s = s[:-4]
    mon, day, year, hms = s.replace(",", "").split()
    h, mi, sec = hms.split(":")
    whole, _, frac = sec.partition(".")
    frac = (frac + "000000000")[:9]
    ns = int(frac)
    if ns % 1000000:
        raise ValueError("sub-millisecond time %r" % s)
    days = days_from_civil(int(year), MONTHS[mon], int(day))
    return ((days * 24 + int(h)) * 60 + int(mi)) * 60000 + int(whole) * 1000 + ns // 1000000


# ---------------------------------------------------------------------------
# PDML helpers


def fields(el, name):
    return [f for f in el.iter("field") if f.get("name") == name]


def field1(el, name):
    f = fields(el, name)
    return f[0] if f else None


def ival(f):
    s = f.get("show")
    return int(s, 0)


def expert_problems(proto):
    """Expert infos of severity warning or worse inside this dnp3 proto."""
    out = []
    for e in proto.iter("field"):
        if e.get("name") != "_ws.expert":
            continue
        sev = field1(e, "_ws.expert.severity")
        msg = field1(e, "_ws.expert.message")
        sevv = int(sev.get("show")) if sev is not None else SEV_ERROR
        if sevv >= SEV_WARNING:
            names = [c.get("name") for c in e if c.get("name", "").startswith("dnp3.")]
            out.append((names[0] if names else "?",
                        msg.get("show") if msg is not None else e.get("showname")))
    return out


def child_with_show_prefix(el, prefix):
    for c in el:
        if (c.get("show") or "").startswith(prefix):
            return c
    return None


def decode_obj(obj):
    """One dnp3.al.obj element -> dict with header and points as the dissector saw them."""
    code = int(obj.get("show"), 16)
    d = {"group": code >> 8, "var": code & 0xff, "points": [], "unknown": False}
    sn = obj.get("showname") or ""
    if d["group"] in (110, 111):
        # the dissector masks the variation (string length) off the object code
        marker = "Length: "
        if marker in sn:
            d["var"] = int(sn.split(marker, 1)[1].split(",")[0])
    pre = field1(obj, "dnp3.al.objq.prefix")
    rng = field1(obj, "dnp3.al.objq.range")
    d["qual"] = (ival(pre) << 4 | ival(rng)) if pre is not None and rng is not None else None
    for key, name in (("start", "dnp3.al.range.start"), ("stop", "dnp3.al.range.stop"),
                      ("count", "dnp3.al.range.quantity"), ("abs", "dnp3.al.range.abs")):
        f = field1(obj, name)
        if f is not None:
            d[key] = ival(f)
    cur = None
    for c in obj:
        show = c.get("show") or ""
        name = c.get("name")
        if name == "" and show.startswith("Point Number"):
            cur = {"_show": show, "_els": [c]}
            d["points"].append(cur)
        elif name == "dnp3.al.unknown_data_chunk":
            d["unknown_chunk"] = c.get("value")
        elif cur is not None and name not in ("", None):
            cur["_els"].append(c)  # fields the dissector puts after the point (g50, g51, g52, g110)
    if field1(obj, "dnp3.unknown_object") is not None:
        d["unknown"] = True
    for p in d["points"]:
        extract_point(p)
    return d


def extract_point(p):
    def all_fields():
        for el in p["_els"]:
            yield el
            yield from el.iter("field")

    flags = None
    for f in all_fields():
        n = f.get("name") or ""
        if n.startswith(QUALITY_PREFIXES):
            bit = int(n[-1])
            flags = (flags or 0) | (int(f.get("show")) << bit)
            continue
        if n in ("dnp3.al.index", "dnp3.al.point_index") and "index" not in p:
            p["index"] = ival(f)
        elif n in ("dnp3.al.bit", "dnp3.al.2bit"):
            p["value"] = int(f.get("show"))
        elif n in ("dnp3.al.ana.int", "dnp3.al.anaout.int", "dnp3.al.cnt"):
            p["value"] = int(f.get("show"))
        elif n in ("dnp3.al.ana.float", "dnp3.al.anaout.float"):
            p["f32"] = struct.unpack("<f", bytes.fromhex(f.get("value")))[0]
            p["f32_show"] = float(f.get("show"))
        elif n in ("dnp3.al.ana.double", "dnp3.al.anaout.double"):
            p["f64"] = struct.unpack("<d", bytes.fromhex(f.get("value")))[0]
            p["f64_show"] = float(f.get("show"))
        elif n == "dnp3.al.timestamp":
            p["time"] = parse_ws_time(f.get("show"))
        elif n == "dnp3.al.reltimestamp":
            p["reltime"] = f.get("show")
        elif n == "dnp3.al.ctrlstatus":
            p["status"] = int(f.get("show"))
        elif n == "dnp3.al.time_delay":
            p["delay"] = int(f.get("show"))
        elif n == "dnp3.al.octet_string":
            p["octets"] = f.get("value")
        elif n in ("dnp3.ctl.op", "dnp3.ctl.clr", "dnp3.ctl.trip", "dnp3.al.count",
                   "dnp3.al.on_time", "dnp3.al.off_time"):
            p.setdefault("_crob", {})[n] = int(f.get("show"))
    if flags is not None:
        p["flags"] = flags
    show = p["_show"]
    # flagged binaries: the dissector prints the state only in the summary
    if "value" not in p and ", Value: " in show and "f32" not in p and "f64" not in p:
        v = show.split(", Value: ", 1)[1].split(",")[0].split(" ")[0]
        try:
            p["value"] = int(v)
        except ValueError:
            pass
    # relative-time events: the summary carries CTO + offset as an absolute time
    if "reltime" in p and "time" not in p and "Timestamp: " in show:
        p["time"] = parse_ws_time(show.split("Timestamp: ", 1)[1])
    if "_crob" in p:
        c = p["_crob"]
        p["crob"] = {
            "code": c.get("dnp3.ctl.trip", 0) << 6 | c.get("dnp3.ctl.clr", 0) << 4
            | c.get("dnp3.ctl.op", 0),
            "count": c.get("dnp3.al.count"),
            "on": c.get("dnp3.al.on_time"),
            "off": c.get("dnp3.al.off_time"),
        }


def f32_bits(x):
    return struct.pack("<f", x)


def f64_bits(x):
    return struct.pack("<d", x)


# ---------------------------------------------------------------------------
# Comparison


def compare_point(where, exp, got, errs):
    for k, v in exp.items():
        if k == "f32":
            if "f32" not in got:
                errs.append("%s: no float32 value decoded" % where)
            elif f32_bits(got["f32"]) != f32_bits(v):
                errs.append("%s: float32 %r != expected %r" % (where, got["f32"], v))
            elif abs(got["f32_show"] - v) > abs(v) * 1e-5:
                errs.append("%s: float32 shown %r != expected %r" % (where, got["f32_show"], v))
        elif k == "f64":
            if "f64" not in got:
                errs.append("%s: no float64 value decoded" % where)
            elif f64_bits(got["f64"]) != f64_bits(v):
                errs.append("%s: float64 %r != expected %r" % (where, got["f64"], v))
            elif abs(got["f64_show"] - v) > abs(v) * 1e-12:
                errs.append("%s: float64 shown %r != expected %r" % (where, got["f64_show"], v))
        elif k == "crob":
            if got.get("crob") != v:
                errs.append("%s: crob %s != expected %s" % (where, got.get("crob"), v))
        elif k == "flags":
            if got.get("flags") != v:
                g = got.get("flags")
                errs.append("%s: flags %s != expected 0x%02x" %
                            (where, "none" if g is None else "0x%02x" % g, v))
        else:
            if got.get(k) != v:
                errs.append("%s: %s %r != expected %r" % (where, k, got.get(k), v))


def compare_obj(where, exp, got, errs, cto):
    g, v = exp["group"], exp["var"]
    if (got["group"], got["var"]) != (g, v):
        errs.append("%s: object g%dv%d != expected g%dv%d" % (where, got["group"], got["var"], g, v))
        return False
    if got["qual"] != exp["qual"]:
        errs.append("%s: qualifier %s != expected 0x%02x" % (where, got["qual"], exp["qual"]))
        return False
    for k in ("start", "stop", "count"):
        if k in exp and got.get(k) != exp[k]:
            errs.append("%s: range %s %r != expected %r" % (where, k, got.get(k), exp[k]))
    if exp["qual"] == 0x06:
        for k in ("start", "stop", "count"):
            if k in got:
                errs.append("%s: qualifier 0x06 but the dissector found %s" % (where, k))
    if got["unknown"] or "unknown_chunk" in got:
        if (g, v) not in RAW_ONLY:
            errs.append("%s: dissector could not decode g%dv%d" % (where, g, v))
            return False
        want = b"".join(RAW_ONLY[(g, v)](exp, p, cto) for p in exp["points"]).hex()
        if got.get("unknown_chunk") != want:
            errs.append("%s: g%dv%d bytes %s != expected %s" %
                        (where, g, v, got.get("unknown_chunk"), want))
        return True
    pts = got["points"]
    if len(pts) != len(exp["points"]):
        errs.append("%s: %d points decoded, expected %d" % (where, len(pts), len(exp["points"])))
        return False
    for i, (ep, gp) in enumerate(zip(exp["points"], pts)):
        compare_point("%s point %d" % (where, i), ep, gp, errs)
    return True


def link_frame_size(n_user):
    return 10 + n_user + 2 * ((n_user + 15) // 16)


def check_apdu(rec, pkts, errs, covered):
    exp = rec["expect"]
    hexes = rec["hex"].split()
    if len(hexes) != exp["segments"]:
        errs.append("%d link frames, expected %d segments" % (len(hexes), exp["segments"]))
    app = None
    for i, (h, pkt) in enumerate(zip(hexes, pkts)):
        w = "segment %d" % i
        raw = bytes.fromhex(h)
        protos = [p for p in pkt.iter("proto") if p.get("name") == "dnp3"]
        if len(protos) != 1:
            errs.append("%s: dissector found %d DNP3 PDUs" % (w, len(protos)))
            continue
        pr = protos[0]
        if any(p.get("name") == "_ws.malformed" for p in pkt.iter("proto")):
            errs.append("%s: malformed packet" % w)
        abnormal = False
        for name, msg in expert_problems(pr):
            if name == "dnp3.unknown_object":
                continue  # judged per object (RAW_ONLY)
            if name == "dnp3.iin_abnormal" and exp.get("iin", 0) & IIN_ABNORMAL_BITS:
                abnormal = True
                continue
            errs.append("%s: expert %s: %s" % (w, name, msg))
        if i == len(hexes) - 1 and exp.get("iin", 0) & IIN_ABNORMAL_BITS and not abnormal:
            errs.append("%s: no IIN Abnormality expert info for IIN 0x%04x" % (w, exp["iin"]))
        # link header
        ln = ival(field1(pr, "dnp3.len"))
        if link_frame_size(ln - 5) != len(raw):
            errs.append("%s: LEN %d does not match the %d-byte frame" % (w, ln, len(raw)))
        lk = exp["link"]
        for key, fname in (("dir", "dnp3.ctl.dir"), ("prm", "dnp3.ctl.prm"),
                           ("fcb", "dnp3.ctl.fcb"), ("fcv", "dnp3.ctl.fcv"),
                           ("func", "dnp3.ctl.prifunc"), ("dst", "dnp3.dst"),
                           ("src", "dnp3.src")):
            f = field1(pr, fname)
            if f is None or ival(f) != lk[key]:
                errs.append("%s: link %s %s != expected %s" %
                            (w, key, None if f is None else f.get("show"), lk[key]))
        hc = field1(pr, "dnp.hdr.CRC.status")
        if hc is None or hc.get("show") != "1":
            errs.append("%s: header CRC not reported good" % w)
        chunks = fields(pr, "dnp.data_chunk.CRC.status")
        want_chunks = (ln - 5 + 15) // 16
        if len(chunks) != want_chunks:
            errs.append("%s: %d data chunks, expected %d" % (w, len(chunks), want_chunks))
        for j, c in enumerate(chunks):
            if c.get("show") != "1":
                errs.append("%s: data chunk %d CRC not good" % (w, j))
        # transport
        fir = field1(pr, "dnp3.tr.fir")
        fin = field1(pr, "dnp3.tr.fin")
        seq = field1(pr, "dnp3.tr.seq")
        want = (int(i == 0), int(i == len(hexes) - 1), (exp["tseq"] + i) & 0x3f)
        got = tuple(None if f is None else ival(f) for f in (fir, fin, seq))
        if got != want:
            errs.append("%s: transport FIR/FIN/SEQ %s != expected %s" % (w, got, want))
        al = child_with_show_prefix(pr, "Application Layer")
        if i < len(hexes) - 1:
            if al is not None:
                errs.append("%s: application layer decoded before the last segment" % w)
        else:
            app = al
            frag = field1(pr, "dnp3.al.fragment.count")
            flen = field1(pr, "dnp3.al.fragment.reassembled.length")
            if frag is None or ival(frag) != len(hexes):
                errs.append("%s: reassembled from %s segments, expected %d" %
                            (w, None if frag is None else frag.get("show"), len(hexes)))
            if flen is None or ival(flen) != exp["apdu_len"]:
                errs.append("%s: reassembled length %s, expected %d" %
                            (w, None if flen is None else flen.get("show"), exp["apdu_len"]))
    if app is None:
        errs.append("no application layer decoded")
        return
    # application header
    for key, fname in (("fir", "dnp3.al.fir"), ("fin", "dnp3.al.fin"), ("con", "dnp3.al.con"),
                       ("uns", "dnp3.al.uns"), ("seq", "dnp3.al.seq"),
                       ("function", "dnp3.al.func")):
        f = field1(app, fname)
        if f is None or ival(f) != exp[key]:
            errs.append("app %s %s != expected %s" % (key, None if f is None else f.get("show"),
                                                       exp[key]))
    if "iin" in exp:
        f = field1(app, "dnp3.al.iin")
        if f is None:
            errs.append("no IIN decoded")
        else:
            ws = ival(f)  # the dissector shows IIN1 as the high byte
            ours = (ws >> 8) | (ws & 0xff) << 8
            if ours != exp["iin"]:
                errs.append("IIN 0x%04x != expected 0x%04x" % (ours, exp["iin"]))
            for bit, fname in IIN_FIELDS.items():
                b = field1(app, fname)
                want = (exp["iin"] >> bit) & 1
                if b is None or ival(b) != want:
                    errs.append("IIN bit %s = %s, expected %d" %
                                (fname, None if b is None else b.get("show"), want))
    objs = [decode_obj(o) for o in app.iter("field") if o.get("name") == "dnp3.al.obj"]
    if len(objs) != len(exp["objects"]):
        errs.append("%d object headers decoded, expected %d" % (len(objs), len(exp["objects"])))
    ok_objs = []
    cto = None
    for k, (eo, go) in enumerate(zip(exp["objects"], objs)):
        n0 = len(errs)
        if compare_obj("object %d g%dv%d" % (k, eo["group"], eo["var"]), eo, go, errs, cto) and \
                len(errs) == n0:
            ok_objs.append((eo["group"], eo["var"]))
        if eo["group"] == 51:
            cto = eo["points"][0]["time"]
    if not errs:
        covered.update(ok_objs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", required=True, help="path of the gen_frames program")
    ap.add_argument("--keep", help="keep the hex dump, pcap and pdml in this directory")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    for tool in ("tshark", "text2pcap"):
        if shutil.which(tool) is None:
            print("oracle: %s not found" % tool)
            print("0 passed, 1 failed")
            return 1

    gen = subprocess.run([args.gen], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(gen.stderr)
    recs, catalog = [], None
    bad_lines = 0
    for line in gen.stdout.splitlines():
        if not line.strip():
            continue
        try:
            j = json.loads(line)
        except json.JSONDecodeError as e:
            print("oracle: gen_frames printed a bad line (%s): %.80s" % (e, line))
            bad_lines += 1
            continue
        if "catalog" in j:
            catalog = j["catalog"]
        else:
            recs.append(j)

    tmp = args.keep or tempfile.mkdtemp(prefix="dnp3-oracle-")
    os.makedirs(tmp, exist_ok=True)
    dump = os.path.join(tmp, "frames.txt")
    pcap = os.path.join(tmp, "frames.pcap")
    # one link frame per packet, offset-prefixed hex lines, blank line between packets
    first_pkt = []
    npkt = 0
    with open(dump, "w") as f:
        for r in recs:
            first_pkt.append(npkt)
            for h in r["hex"].split():
                b = bytes.fromhex(h)
                for off in range(0, len(b), 16):
                    f.write("%06x %s\n" % (off, " ".join("%02x" % x for x in b[off:off + 16])))
                f.write("\n")
                npkt += 1
    packets = []
    if npkt:
        t2p = subprocess.run(["text2pcap", "-q", "-T", "20000,20000", dump, pcap],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if t2p.returncode != 0:
            sys.stdout.write(t2p.stdout)
            raise SystemExit("oracle: text2pcap failed\n0 passed, 1 failed")
        env = dict(os.environ, TZ="UTC")
        ts = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "pdml"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if ts.returncode != 0:
            sys.stdout.write(ts.stderr.decode(errors="replace"))
            raise SystemExit("oracle: tshark failed\n0 passed, 1 failed")
        pdml = ts.stdout
        if args.keep:
            with open(os.path.join(tmp, "frames.pdml"), "wb") as f:
                f.write(pdml)
        packets = ET.fromstring(pdml).findall("packet")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)

    passed, failed = 0, bad_lines
    covered = set()
    if len(packets) != npkt:
        print("oracle: tshark returned %d packets for %d link frames" % (len(packets), npkt))
        failed += 1
    for r, p0 in zip(recs, first_pkt):
        errs = []
        if "gen_error" in r:
            errs.append("encoder: " + r["gen_error"])
        nseg = len(r["hex"].split())
        pk = packets[p0:p0 + nseg]
        if len(pk) != nseg:
            errs.append("missing packets")
        else:
            try:
                check_apdu(r, pk, errs, covered)
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                errs.append("cannot read the dissection: %r" % e)
        if errs:
            failed += 1
            for e in errs:
                print("FAIL %s: %s" % (r["name"], e))
        else:
            passed += 1
            if args.verbose:
                print("ok   %s" % r["name"])

    checked = passed + failed
    if checked < MIN_FRAMES:
        print("oracle: only %d frames checked (minimum %d)" % (checked, MIN_FRAMES))
        failed += 1
    if catalog is None:
        print("oracle: gen_frames printed no catalog")
        failed += 1
    else:
        want = set()
        for g, v in catalog:
            if v == 0:
                continue  # "any variation": request headers only
            if g in (110, 111):
                want.add((g, None))
                continue
            want.add((g, v))
        cov = set(covered) | {(g, None) for g, v in covered if g in (110, 111)}
        missing = sorted(want - cov, key=lambda x: (x[0], x[1] or 0))
        if missing:
            print("oracle: catalog objects never produced and checked: %s" %
                  ", ".join("g%d" % g if v is None else "g%dv%d" % (g, v) for g, v in missing))
            failed += 1
        groups = {g for g, _ in want}
        print("oracle: %d APDUs in %d link frames, %d catalog groups / %d objects covered"
              % (len(recs), npkt, len({g for g, _ in cov} & groups), len(want & cov)))
    if gen.returncode not in (0, 1):
        print("oracle: gen_frames exited with %d" % gen.returncode)
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
