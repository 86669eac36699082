#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: dnp3gwd --device-profile (the IEEE 1815 device profile XML) and
point names.

t_example: the profile of etc/dnp3gw/dnp3gw.conf is well-formed (xmllint
--noout), names the 2.11 schema, and lists exactly the points the file maps:
each upstream index of each type once, with the name the file gives it (or
"<channel>/<device>:<type><source index>") and its event class, read from
the file here by a parser of our own (not the daemon's).  A name that is
not an outstation, and an invalid file, are refused.

t_answers: the implementation table is what the running outstation answers.
A real dnp3gwd with a dnp3sim IED on TCP mapping points of every type: each
request row of its own profile, with each qualifier the row lists, naming
point 0, is answered without IIN2.0 / IIN2.1 / IIN2.2 (controls and freezes
reach the IED); requests the table does not list are refused with them.  A
control on a named point has that name in its audit record, and names changed by
a reload apply at once with every session kept; dnp3gwctl shows the same names.

Usage: test_profile.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                       --shim libptyshim.so --ctl dnp3gwctl --example etc/dnp3gw/dnp3gw.conf
                       [TEST...]
"""

import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)
import test_gateway as tg  # noqa: E402  (its config helpers; its tests do not run)

NS = {"d": "http://www.dnp3.org/DNP3/DeviceProfile/April2016"}
IIN2_MASK = 0x0700                      # IIN2.0 .. IIN2.2 as Apdu.iin holds them
READ, WRITE, SELECT, OPERATE, DIRECT, DIRECT_NR = 1, 2, 3, 4, 5, 6
FREEZE_AT_TIME, FREEZE_AT_TIME_NR, COLD_RESTART, RECORD_CURRENT_TIME = 11, 12, 13, 24
NO_RESPONSE = {DIRECT_NR, 8, 10, FREEZE_AT_TIME_NR}
EXAMPLE = None                          # --example

# dnp3gw.conf(5): per type, the command-line name (default point names), the default
# class, and the profile's point element
TYPES = {
    "binary_inputs": ("bi", 1, "binaryInput"),
    "double_bit_inputs": ("dbi", 1, "doubleBitInput"),
    "binary_outputs": ("bo", 2, "binaryOutput"),
    "counters": ("cnt", 3, "counter"),
    "frozen_counters": ("fcnt", 3, "counter"),
    "analog_inputs": ("ai", 3, "analogInput"),
    "analog_outputs": ("ao", 2, "analogOutput"),
}
CLASS_WORDS = ["none", "one", "two", "three"]


# -- a small libconfig reader (the subset dnp3gw.conf uses) ------------------------

TOKEN = re.compile(r'\s+|#[^\n]*|//[^\n]*|/\*.*?\*/|"((?:[^"\\]|\\.)*)"|'
                   r'([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)|([A-Za-z_][A-Za-z0-9_-]*)|(.)',
                   re.S)


def tokens(text):
    for m in TOKEN.finditer(text):
        s, num, ident, punct = m.groups()
        if s is not None:
            yield ("str", bytes(s, "utf-8").decode("unicode_escape"))
        elif num is not None:
            yield ("num", float(num) if re.search(r"[.eE]", num) else int(num))
        elif ident is not None:
            yield ("id", {"true": True, "false": False}.get(ident.lower(), ident))
        elif punct is not None:
            yield ("p", punct)


def parse_config(text):
    toks = list(tokens(text))
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else ("p", "")

    def take():
        pos[0] += 1
        return toks[pos[0] - 1]

    def value():
        kind, v = take()
        if kind == "p" and v == "{":
            return settings("}")
        if kind == "p" and v in "([":
            end = ")" if v == "(" else "]"
            out = []
            while peek() != ("p", end):
                out.append(value())
                if peek() == ("p", ","):
                    take()
            take()
            return out
        return v

    def settings(end):
        out = {}
        while peek() != ("p", end):
            _, name = take()
            take()  # = or :
            out[name] = value()
            if peek() in (("p", ";"), ("p", ",")):
                take()
        take()
        return out

    toks.append(("p", ""))
    return settings("")


def expected_points(conf):
    """{(element, index): (name, class)} of every point the file maps, as dnp3gw.conf(5)
    says: names[k] or "<channel>/<device>:<type><source index>", class or the default."""
    out = {}
    for key, (abbr, cls, elem) in TYPES.items():
        for e in conf["points"].get(key, []):
            names = e.get("names", [])
            src = e.get("source_index", e["index"])
            for k in range(e.get("count", 1)):
                name = names[k] if k < len(names) else "%s:%s%d" % (e["device"], abbr, src + k)
                if key == "frozen_counters" and ("counter", e["index"] + k) in out:
                    continue    # listed with its counter
                out[(elem, e["index"] + k)] = (name, CLASS_WORDS[e.get("class", cls)])
    return out


def profile(h, conf_path, outstation):
    p = subprocess.run([h.gwd, "--device-profile", outstation, "-c", conf_path],
                       capture_output=True, timeout=30)
    if p.returncode != 0:
        raise Fail("--device-profile %s: exit %d: %s" % (outstation, p.returncode,
                                                         p.stderr.decode()))
    path = os.path.join(h.tmp, "profile-%s.xml" % outstation)
    with open(path, "wb") as f:
        f.write(p.stdout)
    lint = subprocess.run(["xmllint", "--noout", path], capture_output=True, timeout=30)
    eq("xmllint --noout: exit status (%s)" % lint.stderr.decode().strip(), lint.returncode, 0)
    return ET.fromstring(p.stdout)


def profile_points(root):
    """{(element, index): (name, class)} of the dataPointsList."""
    out = {}
    for lst in root.find("d:referenceDevice/d:dataPointsList", NS):
        for pt in lst.find("d:dataPoints", NS):
            elem = pt.tag.split("}")[1]
            idx = int(pt.find("d:index", NS).text)
            cls = pt.find("d:counterEventClass" if elem == "counter" else "d:changeEventClass",
                          NS).text
            if (elem, idx) in out:
                raise Fail("profile lists %s %d twice" % (elem, idx))
            out[(elem, idx)] = (pt.find("d:name", NS).text, cls)
    return out


def text_at(root, path):
    el = root.find(path, NS)
    if el is None:
        raise Fail("profile has no %s" % path)
    return el.text


def t_example(h):
    with open(EXAMPLE) as f:
        conf = parse_config(f.read())
    want = expected_points(conf)
    root = profile(h, EXAMPLE, "scada")
    eq("root", root.tag, "{%s}DNP3DeviceProfileDocument" % NS["d"])
    eq("schemaVersion", root.get("schemaVersion"), "2.11.00")
    got = profile_points(root)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    if missing or extra:
        raise Fail("points: missing %s, not in the file %s" % (missing, extra))
    eq("point names and classes", got, want)
    eq("61 points", len(got), 61)
    # the names the example gives, and a default one
    eq("DBI 0", got[("doubleBitInput", 0)], ("CB1", "one"))
    eq("BO 0", got[("binaryOutput", 0)], ("CB1 trip/close", "two"))
    eq("BO 1", got[("binaryOutput", 1)], ("bay1/relay1:bo1", "two"))
    o = conf["outstations"][0]
    cfg = "d:referenceDevice/d:configuration/"
    eq("dataLinkAddress", text_at(root, cfg + "d:linkConfig/d:dataLinkAddress/d:currentValue/"
                                  "d:value"), str(o["address"]))
    eq("expectedSourceAddress", text_at(root, cfg + "d:linkConfig/d:expectedSourceAddress/"
                                        "d:currentValue/d:value"), str(o["master_address"]))
    eq("tcpListenPort", text_at(root, cfg + "d:networkConfig/d:tcpListenPort/d:currentValue/"
                                "d:value"), o["listen"].rsplit(":", 1)[1])
    per = cfg + "d:outstationConfig/d:eventBufferOrganization/d:currentValue/d:perClass/"
    eq("event buffers", [text_at(root, per + "d:class%dValue" % c) for c in (1, 2, 3)],
       [str(o["events"]["class%d" % c]) for c in (1, 2, 3)])
    # refusals
    p = subprocess.run([h.gwd, "--device-profile", "nosuch", "-c", EXAMPLE],
                       capture_output=True, text=True, timeout=30)
    eq("unknown outstation: exit status", p.returncode, 64)
    eq("unknown outstation: message", p.stderr,
       "dnp3gwd: %s has no outstation named \"nosuch\" (outstations: scada)\n" % EXAMPLE)
    eq("unknown outstation: nothing on stdout", p.stdout, "")
    bad = os.path.join(h.tmp, "bad.conf")
    with open(EXAMPLE) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text.replace('names = [ "CB1", "89-1" ]', 'names = [ "CB1", "89-1", "x" ]'))
    p = subprocess.run([h.gwd, "--device-profile", "scada", "-c", bad],
                       capture_output=True, text=True, timeout=30)
    eq("invalid file: exit status", p.returncode, 78)
    if "3 names for count = 2 points" not in p.stderr or p.stdout:
        raise Fail("invalid file: stderr %r stdout %r" % (p.stderr, p.stdout[:200]))


# -- the implementation table against the running outstation -----------------------

def rows(root):
    """[(func, group, var, [qualifiers])] of the request rows of the implementation table."""
    out = []
    table = root.find("d:referenceDevice/d:implementationTable/d:table", NS)
    for sv in table:
        tag = sv.tag.split("}")[1]
        req = sv.find("d:request", NS)
        if req is None:
            continue
        func = int(req.find("d:functionCode", NS).text)
        if tag == "supportedFunctionCode":
            out.append((func, 0, 0, []))
            continue
        quals = [int(q.text) for q in req.findall("d:qualifierCode", NS)]
        out.append((func, int(sv.find("d:objectGroup", NS).text),
                    int(sv.find("d:variation", NS).text), quals))
    return out


OBJ_SIZE = {(12, 1): 11, (41, 1): 5, (41, 2): 3, (41, 3): 5, (41, 4): 9, (50, 1): 6,
            (50, 3): 6, (80, 1): 1}


def request_objects(func, group, var, q):
    """The objects of a request of row (func, group, var) with qualifier q naming point 0
    (index 7, IIN1.7, for g80v1, which is only written as 0)."""
    first = 7 if group == 80 else 0
    data = func in (WRITE, SELECT, OPERATE, DIRECT, DIRECT_NR)
    out = b""
    if group == 20 and func in (FREEZE_AT_TIME, FREEZE_AT_TIME_NR):
        out += bytes([50, 2, 0x07, 1]) + struct.pack("<Q", int(time.time() * 1000))[:6] + \
            struct.pack("<I", 0)
    out += bytes([group, var, q])
    if q == 0x00:
        out += bytes([first, first])
    elif q == 0x01:
        out += struct.pack("<HH", first, first)
    elif q in (0x07, 0x17):
        out += bytes([1]) + (bytes([first]) if q == 0x17 else b"")
    elif q in (0x08, 0x28):
        out += struct.pack("<H", 1) + (struct.pack("<H", first) if q == 0x28 else b"")
    if data:
        size = OBJ_SIZE[(group, var)]
        if group == 12:
            out += struct.pack("<BBIIB", 0x01, 1, 100, 0, 0)       # PULSE_ON 100 ms
        elif group == 50:
            out += struct.pack("<Q", int(time.time() * 1000))[:6]
        else:
            out += bytes(size)
    return out


def confirm_unsolicited(m):
    for a in [a for a in m.apdus if a.func == dnp3.UNSOLICITED_RESPONSE]:
        m.apdus.remove(a)
        if a.con:
            m.confirm(a)


def ask(m, func, objs):
    """The IIN2.0-2.2 bits of the answer to one request."""
    rsp = m.transaction(func, objs)
    confirm_unsolicited(m)
    return rsp[-1].iin & IIN2_MASK


def t_answers(h):
    ied = h.sim(["--address", "1", "--master-address", "2",
                 "--points", "bi=4,dbi=4,bo=4,cnt=4,fcnt=4,ai=4,ao=4"])
    port = h.port()
    tcp = tg.channel_common("tcp", [tg.device("ied1", 1, False, [tg.POLL, tg.POLL, tg.POLL])])
    tcp["tcp"] = {"host": "127.0.0.1", "port": ied.port}
    points = {}
    for key in TYPES:
        points[key] = [{"index": 0, "count": 4, "device": "tcp/ied1", "source_index": 0}]
    points["binary_outputs"][0]["names"] = ["52 trip/close", "52A \"spare\" <&>"]
    conf = {
        "gateway": {"name": "e2e-profile", "log_level": "info", "status_interval": 0.0},
        "outstations": [tg.outstation("scada", port, 10, True)],
        "channels": [tcp],
        "points": points,
    }
    gw = h.gateway(conf)
    gw.wait_log(r"device tcp/ied1 \(address 1\) is online")
    root = profile(h, gw.conf_path, "scada")
    eq("names in the profile", [p.find("d:name", NS).text for p in root.iterfind(
        ".//d:binaryOutput", NS)], ["52 trip/close", "52A \"spare\" <&>", "tcp/ied1:bo2",
                                     "tcp/ied1:bo3"])
    eq("points (frozen counters with their counters)", profile_points(root),
       expected_points(conf))
    m = h.master(port, remote=10)
    null = m.next_apdu(pred=lambda a: a.func == dnp3.UNSOLICITED_RESPONSE)
    m.confirm(null)
    eq("clear IIN1.7", ask(m, WRITE, bytes.fromhex("5001000707") + b"\x00"), 0)
    table = rows(root)
    checked = skipped = 0
    for func, group, var, quals in table:
        if func == 0 or (group == 50 and var == 2):
            continue        # CONFIRM; g50v2 goes with g20 in each FREEZE_AT_TIME row
        if func in NO_RESPONSE:
            skipped += 1    # no response to read the IIN from: test_outst checks these
            continue
        if func == WRITE and (group, var) == (50, 3):
            eq("RECORD_CURRENT_TIME before g50v3", ask(m, RECORD_CURRENT_TIME, b""), 0)
        for q in quals or [None]:
            objs = b"" if q is None else request_objects(func, group, var, q)
            iin = ask(m, func, objs)
            if iin:
                raise Fail("function %d g%dv%d qualifier 0x%02x (listed): IIN 0x%04x" %
                           (func, group, var, q if q is not None else 0, iin))
            checked += 1
    print("implementation table: %d requests answered without IIN2.0-2.2, %d no-response "
          "rows left to test_outst" % (checked, skipped))
    if checked < 300:
        raise Fail("only %d requests checked" % checked)
    listed = {(f, g, v): set(q) for f, g, v, q in table}
    # what the table does not list is refused
    for func, objs, want, what in (
            (READ, bytes.fromhex("0c0106"), 0x0200, "READ g12v1 (a command object)"),
            (READ, bytes.fromhex("01025b0100"), 0x0400, "READ g1v2 qualifier 0x5b"),
            (READ, bytes.fromhex("5001170107"), 0x0400, "READ g80v1 by index"),
            (COLD_RESTART, b"", 0x0100, "COLD_RESTART (the gateway does not restart)"),
            (16, b"", 0x0100, "INITIALIZE_APPLICATION")):
        row = (func, objs[0], objs[1]) if objs else (func, 0, 0)
        eq("%s: listed" % what, row in listed and (not objs or objs[2] in listed[row]), False)
        eq("%s: IIN2" % what, ask(m, func, objs), want)
    # the control audit record names the point
    m.transaction(DIRECT, dnp3.crob(1, 0x41))
    gw.wait_log(r'control from [0-9.:]+ on outstation scada: DIRECT_OPERATE g12v1 index 1 '
                r'"52A "spare" <&>" -> tcp/ied1 index 1 .*DNP3GW_POINT=52A "spare" <&> ')
    m.transaction(DIRECT, dnp3.crob(3, 0x41))
    gw.wait_log(r'DIRECT_OPERATE g12v1 index 3 "tcp/ied1:bo3" -> tcp/ied1 index 3 .*'
                r'DNP3GW_POINT=tcp/ied1:bo3 ')
    # names changed by a reload apply at once; every session is kept (names never reach
    # the wire), the master's connection too
    points["binary_outputs"][0]["names"] = ["52 trip/close", "52A", "52B", "52C"]
    with open(gw.conf_path, "w") as f:
        f.write(harness.config_text(conf))
    gw.proc.send_signal(signal.SIGHUP)
    gw.wait_log(r"reload: outstations kept 1, started 0; channels kept 1, started 0\n")
    m.transaction(DIRECT, dnp3.crob(3, 0x41))
    gw.wait_log(r'DIRECT_OPERATE g12v1 index 3 "52C" -> tcp/ied1 index 3 .*DNP3GW_POINT=52C ')
    eq("the master's connection", m.closed, False)
    # dnp3gwctl shows the same names (one function names points everywhere)
    p = subprocess.run([h.args.ctl, "--socket", gw.control, "--json", "points", "scada",
                        "--type", "bo"], capture_output=True, text=True, timeout=30)
    eq("dnp3gwctl points: exit status (%s)" % p.stderr.strip(), p.returncode, 0)
    eq("dnp3gwctl points: names", [(j["index"], j["name"]) for j in map(json.loads,
                                                                       p.stdout.splitlines())],
       [(0, "52 trip/close"), (1, "52A"), (2, "52B"), (3, "52C")])


def main():
    global EXAMPLE
    argv = sys.argv[1:]
    if "--example" in argv:
        k = argv.index("--example")
        EXAMPLE = os.path.abspath(argv[k + 1])
        del argv[k:k + 2]
    sys.argv[1:] = argv
    return harness.main([t_example, t_answers], __doc__)


if __name__ == "__main__":
    sys.exit(main())
