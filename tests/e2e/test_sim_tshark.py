#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Wireshark decodes what our outstation sends.

dnp3sim is polled over loopback by the scripted master (dnp3.py); the link
frames of three responses - an integrity poll with all seven static types,
events with time (g32v7, g22v5), a control echo (g12v1, g41v3) - go one
frame per packet into text2pcap and `tshark -T pdml`; a fourth, a READ
response over a database with holes (range headers split at the hole), is
the APDU tests/unit/test_outst.c asserts byte for byte
(test_read_absent_iin22), framed here; two more are READs of g80v1 (the IIN
bits as packed points, qualifier 0x00: 0..15 and 7..7).  A second dnp3sim
(249-byte fragments) answers READ g2v3 and g4v3 with CTO + relative-time
events (run_cto).  Wireshark must find
good CRCs, no expert warnings, the right function/IIN, and the values the
sim was given (index, value, flags, time to the ms, control fields and
status); every point it decodes must also equal what dnp3dec decodes.
PDML parsing is reused from tests/oracle/oracle.py.

Usage: test_sim_tshark.py --sim PATH/dnp3sim --dec PATH/dnp3dec
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "oracle"))
import dnp3  # noqa: E402
import oracle  # noqa: E402
from dnp3 import Fail  # noqa: E402
from test_sim import SCRIPT, poll_until  # noqa: E402


def dissect(apdus, tmp):
    """PDML packets of every link frame of apdus; returns one list of packets per APDU."""
    dump = os.path.join(tmp, "rsp.txt")
    pcap = os.path.join(tmp, "rsp.pcap")
    with open(dump, "w") as f:
        for a in apdus:
            for fr in a.frames:
                for off in range(0, len(fr), 16):
                    f.write("%06x %s\n" % (off, " ".join("%02x" % x for x in fr[off:off + 16])))
                f.write("\n")
    subprocess.run(["text2pcap", "-q", "-T", "20000,20000", dump, pcap], check=True,
                   timeout=dnp3.DEADLINE)
    ts = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "pdml"], stdout=subprocess.PIPE,
                        env=dict(os.environ, TZ="UTC"), check=True, timeout=60)
    pkts = ET.fromstring(ts.stdout).findall("packet")
    out, k = [], 0
    for a in apdus:
        out.append(pkts[k:k + len(a.frames)])
        k += len(a.frames)
    if k != len(pkts):
        raise Fail("tshark returned %d packets for %d frames" % (len(pkts), k))
    return out


def check_app(name, a, pkts, errs, fir=1, fin=1):
    """Link/transport checks on every packet; returns the decoded objects of the APDU
    (whose FIR/FIN bits must be fir/fin)."""
    app = None
    for i, pkt in enumerate(pkts):
        w = "%s segment %d" % (name, i)
        protos = [p for p in pkt.iter("proto") if p.get("name") == "dnp3"]
        if len(protos) != 1:
            errs.append("%s: %d DNP3 PDUs" % (w, len(protos)))
            continue
        pr = protos[0]
        if any(p.get("name") == "_ws.malformed" for p in pkt.iter("proto")):
            errs.append("%s: malformed" % w)
        for fname, msg in oracle.expert_problems(pr):
            errs.append("%s: expert %s: %s" % (w, fname, msg))
        hc = oracle.field1(pr, "dnp.hdr.CRC.status")
        if hc is None or hc.get("show") != "1":
            errs.append("%s: header CRC not good" % w)
        for c in oracle.fields(pr, "dnp.data_chunk.CRC.status"):
            if c.get("show") != "1":
                errs.append("%s: data chunk CRC not good" % w)
        for key, fname, want in (("dir", "dnp3.ctl.dir", 0), ("prm", "dnp3.ctl.prm", 1),
                                 ("dst", "dnp3.dst", 1), ("src", "dnp3.src", 10)):
            f = oracle.field1(pr, fname)
            if f is None or oracle.ival(f) != want:
                errs.append("%s: link %s %s != %s" % (w, key, None if f is None else
                                                       f.get("show"), want))
        if i == len(pkts) - 1:
            app = oracle.child_with_show_prefix(pr, "Application Layer")
    if app is None:
        errs.append("%s: no application layer" % name)
        return []
    for fname, want in (("dnp3.al.func", a.func), ("dnp3.al.seq", a.seq),
                        ("dnp3.al.con", int(a.con)), ("dnp3.al.fir", fir), ("dnp3.al.fin", fin)):
        f = oracle.field1(app, fname)
        if f is None or oracle.ival(f) != want:
            errs.append("%s: %s %s != %s" % (name, fname, None if f is None else f.get("show"),
                                             want))
    ws = oracle.ival(oracle.field1(app, "dnp3.al.iin"))
    if (ws >> 8) | (ws & 0xFF) << 8 != a.iin:
        errs.append("%s: IIN 0x%04x != 0x%04x" % (name, (ws >> 8) | (ws & 0xFF) << 8, a.iin))
    return [oracle.decode_obj(o) for o in app.iter("field") if o.get("name") == "dnp3.al.obj"]


def point_value(p):
    for k in ("f32", "f64", "value"):
        if k in p:
            return p[k]
    return None


def compare_with_dnp3dec(name, ws_objs, dec, errs):
    """Every object header and point Wireshark decoded equals dnp3dec's decoding."""
    ours = dec["objects"]
    if len(ours) != len(ws_objs):
        errs.append("%s: %d objects (tshark) != %d (dnp3dec)" % (name, len(ws_objs), len(ours)))
        return
    for wo, oo in zip(ws_objs, ours):
        w = "%s g%dv%d" % (name, oo["group"], oo["var"])
        if (wo["group"], wo["var"], wo["qual"]) != (oo["group"], oo["var"], oo["qual"]):
            errs.append("%s: header %s != %s" % (w, (wo["group"], wo["var"], wo["qual"]),
                                                (oo["group"], oo["var"], oo["qual"])))
            continue
        if len(wo["points"]) != len(oo["values"]):
            errs.append("%s: %d points != %d" % (w, len(wo["points"]), len(oo["values"])))
            continue
        for wp, op in zip(wo["points"], oo["values"]):
            if wp.get("index") != op["index"]:
                errs.append("%s: index %s != %s" % (w, wp.get("index"), op["index"]))
            if "crob" in op:
                got = (wp.get("crob", {}).get("code"), wp.get("status"))
                if got != (op["crob"]["code"], op["crob"]["status"]):
                    errs.append("%s[%d]: crob %s != %s" % (w, op["index"], got,
                                                          (op["crob"]["code"],
                                                           op["crob"]["status"])))
                continue
            if "value" in op and point_value(wp) != op["value"]:
                errs.append("%s[%d]: value %r != %r" % (w, op["index"], point_value(wp),
                                                        op["value"]))
            if "time_ms" in op and wp.get("time") != op["time_ms"]:
                errs.append("%s[%d]: time %r != %r" % (w, op["index"], wp.get("time"),
                                                       op["time_ms"]))
            if "status" in op and wp.get("status") != op["status"]:
                errs.append("%s[%d]: status %r != %r" % (w, op["index"], wp.get("status"),
                                                         op["status"]))


def find(objs, group, var, index):
    for o in objs:
        if (o["group"], o["var"]) == (group, var):
            for p in o["points"]:
                if p.get("index") == index:
                    return p
    raise Fail("tshark: g%dv%d index %d not decoded" % (group, var, index))


def expect(errs, what, got, want):
    if got != want:
        errs.append("%s: %r != expected %r" % (what, got, want))


def holes_apdu():
    """The outstation's answer to READ g30v5 q=0x06 when only AI 10..29 and 40..69
    exist (test_outst.c test_read_absent_iin22, seq 9): two g30v5 range headers split
    at the hole; framed as the outstation frames it (10 to 1, two transport segments)."""
    raw = bytes.fromhex("c9810000")
    for first, last in ((10, 29), (40, 69)):
        raw += bytes([0x1E, 0x05, 0x00, first, last])
        for i in range(first, last + 1):
            raw += struct.pack("<Bf", 0x01, float(i))
    segs = [raw[k:k + 249] for k in range(0, len(raw), 249)]
    frames = [dnp3.link_frame(0x44, 1, 10, bytes([(0x40 if k == 0 else 0) |
                                                 (0x80 if k == len(segs) - 1 else 0) | k])
                              + seg) for k, seg in enumerate(segs)]
    return dnp3.Apdu(raw, frames)


# Events with relative time (g2v3, g4v3 behind a CTO), injected with these times.
T0 = 1700000000123  # 2023-11-14T22:13:20.123Z
T1 = T0 + 200000
CTO_BI = ([(0, 1, T0), (1, 0, T0 + 16), (2, 1, T0 + 65535),  # one CTO, the last at +65535 ms
           (3, 0, T0 + 65536),                                # more than 65535 ms: a new CTO
           (4, 1, T0 + 1000)]                                 # backwards: a new CTO
          + [(5 + k, k & 1, T1 + k) for k in range(50)])      # past 249 bytes: fragment 2
CTO_DBI = [(0, 2, T0 + 5), (1, 1, T0 + 7)]                   # ON, OFF


def run_cto(args, tmp, errs):
    """READ g2v3 (q=0x06) over a 249-byte fragment size, and READ g4v3 one event at a
    time (q=0x07 count 1): tshark must find each g2v3 header right after a g51v1 CTO,
    every fragment opening with a CTO, and each event's absolute time (CTO + offset)
    equal to the injected one, to the millisecond.  Wireshark 4.0 has no decoder for
    g4v3 (oracle.py, quirk 1): its one object per response is checked as bytes
    (index, flags, offset 0), the time through the CTO before it.  g51v2 is unknown
    to Wireshark 4.0: dnp3sim's time counts as synchronized (no need_time), and
    test_outst.c asserts the g51v2 bytes."""
    script = os.path.join(tmp, "cto.txt")
    with open(script, "w") as f:
        for i, v, t in CTO_BI:
            f.write("bi %d %d @%d\n" % (i, v, t))
        for i, v, t in CTO_DBI:
            f.write("dbi %d %d @%d\n" % (i, v, t))
    port = dnp3.free_port()
    sim = dnp3.Sim(args.sim, ["--listen", "127.0.0.1:%d" % port, "--max-fragment", "249",
                              "--points", "bi=64,dbi=2", "--script", script], tmp)
    try:
        m = dnp3.Master(port)
        m.transaction(dnp3.WRITE, dnp3.CLEAR_RESTART)
        frags = m.transaction(dnp3.READ, bytes.fromhex("020306"))
        dbi = [m.transaction(dnp3.READ, bytes.fromhex("04030701")) for _ in CTO_DBI]
        m.close()
    finally:
        rc, err = sim.stop()
        if rc != 0:
            errs.append("dnp3sim (cto) exit status %s; stderr:\n%s" % (rc, err))
    expect(errs, "g2v3: fragments", len(frags), 2)
    for k, d in enumerate(dbi):
        expect(errs, "g4v3 read %d: fragments" % k, len(d), 1)
    apdus = frags + [d[0] for d in dbi]
    pk = dissect(apdus, tmp)
    decs = dnp3.decode(args.dec, frags)
    got, ctos = [], []
    for k, (a, p) in enumerate(zip(frags, pk)):
        ctos.append([])
        name = "g2v3 fragment %d" % k
        objs = check_app(name, a, p, errs, fir=int(k == 0), fin=int(k == len(frags) - 1))
        compare_with_dnp3dec(name, objs, decs[k], errs)
        expect(errs, "%s: CON" % name, a.con, True)
        expect(errs, "%s: opens with a CTO" % name, [(o["group"], o["var"]) for o in objs[:1]],
               [(51, 1)])
        for j, o in enumerate(objs):
            if (o["group"], o["var"]) == (51, 1):
                expect(errs, "%s: CTO %d has one object and the next header" % (name, j),
                       (o["qual"], len(o["points"]), [(x["group"], x["var"], x["qual"])
                                                      for x in objs[j + 1:j + 2]]),
                       (0x07, 1, [(2, 3, 0x28)]))
                cto = o["points"][0].get("time") if o["points"] else None
                ctos[-1].append(cto)
                nxt = objs[j + 1]["points"] if j + 1 < len(objs) else []
                first = nxt[0].get("time") if nxt else None
                expect(errs, "%s: CTO %d time = its first event's" % (name, j), cto, first)
            elif (o["group"], o["var"]) == (2, 3):
                expect(errs, "%s: g2v3 after a CTO" % name,
                       (objs[j - 1]["group"], objs[j - 1]["var"]) if j else None, (51, 1))
                got += [(pt.get("index"), pt.get("value"), pt.get("flags"), pt.get("time"))
                        for pt in o["points"]]
            else:
                errs.append("%s: unexpected g%dv%d" % (name, o["group"], o["var"]))
    expect(errs, "g2v3 events (index, value, flags, absolute time)", got,
           [(i, v, 0x01 | v << 7, t) for i, v, t in CTO_BI])
    # fragment 1 (245 bytes of objects): 3 + 1 + 1 events behind three CTOs, then a CTO
    # and 32 events (15 + 32 x 5 = 175 bytes); fragment 2 repeats a CTO for the other 18
    expect(errs, "g2v3: CTO times per fragment", ctos,
           [[T0, T0 + 65536, T0 + 1000, T1], [T1 + 32]])
    for k, ((i, v, t), a, p) in enumerate(zip(CTO_DBI, apdus[len(frags):], pk[len(frags):])):
        name = "g4v3 read %d" % k
        objs = check_app(name, a, p, errs)
        expect(errs, "%s: objects" % name, [(o["group"], o["var"], o["qual"]) for o in objs],
               [(51, 1, 0x07), (4, 3, 0x28)])
        if len(objs) != 2:
            continue
        expect(errs, "%s: CTO time" % name, [pt.get("time") for pt in objs[0]["points"]], [t])
        expect(errs, "%s: g4v3 bytes (index, flags, offset 0)" % name,
               objs[1].get("unknown_chunk"), struct.pack("<HBH", i, 0x01 | v << 6, 0).hex())


def run(args, tmp):
    script = os.path.join(tmp, "script.txt")
    with open(script, "w") as f:
        f.write(SCRIPT)
    port = dnp3.free_port()
    sim = dnp3.Sim(args.sim, ["--listen", "127.0.0.1:%d" % port, "--script", script], tmp)
    errs = []
    try:
        m = dnp3.Master(port)

        class C:
            def decode(self, a):
                return dnp3.decode(args.dec, a)
        integ = m.transaction(dnp3.READ, dnp3.CLASS0123)
        iin_all = m.transaction(dnp3.READ, bytes.fromhex("500106"))       # g80v1 all
        iin_7 = m.transaction(dnp3.READ, bytes.fromhex("5001000707"))     # g80v1 7..7
        m.transaction(dnp3.WRITE, dnp3.CLEAR_RESTART)
        sim.send("ai 2 -7.75 @1700000000123")
        sim.send("cnt 3 123456 @1700000000124")
        ev, _ = poll_until(m, C(), dnp3.CLASS123,
                           lambda d: 2 in dnp3.values(d, 32) and 3 in dnp3.values(d, 22),
                           "events")
        ctl = m.transaction(dnp3.DIRECT_OPERATE,
                            dnp3.crob(2, 0x81, count=2, on=300, off=400))
        ctl_ao = m.transaction(dnp3.DIRECT_OPERATE, dnp3.ao_f32(1, -2.5))
        m.close()
        apdus = [integ[0], ev[0], ctl[0], ctl_ao[0], holes_apdu(), iin_7[0], iin_all[0]]
        for name, lst in (("integrity", integ), ("events", ev), ("control", ctl),
                          ("iin 7", iin_7), ("iin all", iin_all)):
            if len(lst) != 1:
                raise Fail("%s: %d fragments, expected 1" % (name, len(lst)))
        decs = dnp3.decode(args.dec, apdus)
        pk = dissect(apdus, tmp)
        names = ["integrity", "events", "crob echo", "ao echo", "holes", "iin 7", "iin all"]
        objs = [check_app(n, a, p, errs) for n, a, p in zip(names, apdus, pk)]
        # "iin all" is checked below: the dissector's packed IIN decoding has a quirk
        for n, o, d in zip(names[:-1], objs, decs):
            compare_with_dnp3dec(n, o, d, errs)

        i = objs[0]
        static = sorted({(o["group"], o["var"]) for o in i if o["group"] in
                         (1, 3, 10, 20, 21, 30, 40)})
        expect(errs, "integrity static objects", static,
               [(1, 2), (3, 2), (10, 2), (20, 1), (21, 1), (30, 5), (40, 3)])
        p = find(i, 1, 2, 3)
        expect(errs, "g1v2[3]", (p.get("value"), p.get("flags")), (1, 0x81))
        p = find(i, 3, 2, 0)
        expect(errs, "g3v2[0]", p.get("value"), 2)
        p = find(i, 10, 2, 1)
        expect(errs, "g10v2[1]", p.get("value"), 1)
        expect(errs, "g20v1[1]", find(i, 20, 1, 1).get("value"), 42)
        expect(errs, "g21v1[0]", find(i, 21, 1, 0).get("value"), 7)
        p = find(i, 30, 5, 0)
        expect(errs, "g30v5[0]", (p.get("f32"), p.get("flags")), (12.5, 0x01))
        expect(errs, "g30v5[1] flags", find(i, 30, 5, 1).get("flags"), 0x05)
        expect(errs, "g40v3[0]", find(i, 40, 3, 0).get("f32"), 3.5)
        expect(errs, "integrity IIN restart", apdus[0].iin & 0x80, 0x80)

        e = objs[1]
        p = find(e, 32, 7, 2)
        expect(errs, "g32v7[2]", (p.get("f32"), p.get("flags"), p.get("time")),
               (-7.75, 0x01, 1700000000123))
        p = find(e, 22, 5, 3)
        expect(errs, "g22v5[3]", (p.get("value"), p.get("time")), (123456, 1700000000124))

        p = find(objs[2], 12, 1, 2)
        expect(errs, "g12v1[2] echo", (p.get("crob"), p.get("status")),
               ({"code": 0x81, "count": 2, "on": 300, "off": 400}, 7))
        p = find(objs[3], 41, 3, 1)
        expect(errs, "g41v3[1] echo", (p.get("f32"), p.get("status")), (-2.5, 6))
        h = objs[4]
        want = list(range(10, 30)) + list(range(40, 70))
        expect(errs, "holes: headers and indexes",
               [(o["group"], o["var"], o["qual"], [p.get("index") for p in o["points"]])
                for o in h], [(30, 5, 0, want[:20]), (30, 5, 0, want[20:])])
        expect(errs, "holes: values", [point_value(p) for o in h for p in o["points"]],
               [float(i) for i in want])
        expect(errs, "holes: two segments", len(apdus[4].frames), 2)
        # g80v1 7..7: DEVICE_RESTART (IIN1.7) is set until the WRITE that clears it
        o = objs[5]
        expect(errs, "iin 7: header", [(x["group"], x["var"], x["qual"], x.get("start"),
                                        x.get("stop")) for x in o], [(80, 1, 0, 7, 7)])
        p = find(o, 80, 1, 7)
        expect(errs, "iin 7: point", (p.get("value"), "(Device Restart)" in p["_show"]),
               (1, True))
        # g80v1 0..15: the bits are the response's own IIN.  Index i is named after
        # IIN bit i (0 = IIN1.0 broadcast ... 7 = IIN1.7 restart, 8 = IIN2.0 ...).
        # Quirk (Wireshark 4.0 packet-dnp.c, AL_OBJ_IIN): the value shown for every
        # point is bit 0 of the octet that holds it, so that is what it must show.
        o, iin = objs[6], apdus[6].iin
        expect(errs, "iin all: header", [(x["group"], x["var"], x["qual"], x.get("start"),
                                          x.get("stop")) for x in o], [(80, 1, 0, 0, 15)])
        expect(errs, "iin all: restart set", iin & 0x80, 0x80)
        pts = o[0]["points"] if o else []
        expect(errs, "iin all: indexes", [p.get("index") for p in pts], list(range(16)))
        expect(errs, "iin all: values (quirk)", [p.get("value") for p in pts],
               [iin >> (8 * (i // 8)) & 1 for i in range(16)])
        named = {0: "Broadcast", 7: "Device Restart", 8: "Function Code not implemented",
                 10: "Parameters Invalid"}
        expect(errs, "iin all: names", {i: named[i] in pts[i]["_show"] for i in named if
                                        i < len(pts)}, {i: True for i in named})
        dd = decs[6]["objects"]
        expect(errs, "iin all: dnp3dec", [(x["group"], x["var"], [(v["index"], v["value"])
                                                                  for v in x["values"]])
                                          for x in dd],
               [(80, 1, [(i, iin >> i & 1) for i in range(16)])])
        j = sim.wait(lambda j: j["event"] == "command" and j["group"] == 12)
        expect(errs, "sim crob line", (j["func"], j["tcc"], j["op"], j["on"], j["off"]),
               ("DIRECT_OPERATE", "TRIP", "PULSE_ON", 300, 400))
    finally:
        rc, err = sim.stop()
        if rc != 0:
            errs.append("dnp3sim exit status %s; stderr:\n%s" % (rc, err))
    run_cto(args, tmp, errs)
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", required=True)
    ap.add_argument("--dec", required=True)
    args = ap.parse_args()
    for tool in ("tshark", "text2pcap"):
        if shutil.which(tool) is None:
            print("%s not found\n0 passed, 1 failed" % tool)
            return 1
    tmp = tempfile.mkdtemp(prefix="dnp3-e2e-tshark-")
    try:
        errs = run(args, tmp)
    except Fail as e:
        errs = [str(e)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for e in errs:
        print("FAIL %s" % e)
    print("%d passed, %d failed" % (0 if errs else 1, 1 if errs else 0))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
