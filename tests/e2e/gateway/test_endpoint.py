#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: two outstations (link addresses 10 and 11) on one `listen`
endpoint of the real dnp3gwd, an IED (dnp3sim on TCP) behind it.

A connection belongs to the outstation its first frame names: each master
is answered by its own outstation (the link source address of every frame
it receives), gets the IED's values and its own copy of every event; a
master naming address 12 is answered by nobody, closed after the grace and
counted (journal line and the SIGUSR1 status report); dnp3poll taking over
address 11 replaces that outstation's master only.

Usage: test_endpoint.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                        --shim libptyshim.so [TEST...]
"""

import json
import os
import re
import signal
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq, until, values  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)

ONLINE = 0x01
GRACE = 5.0  # OUTST_EP_GRACE_MS: a connection naming no outstation is closed this long after accept

SCRIPT = """\
bi 2 1
ai 1 12.5
"""


def frame_sources(m):
    """Link source addresses of every frame the master received."""
    return sorted({int.from_bytes(fr[6:8], "little") for fr in m.rx_frames})


class Shared:
    """dnp3sim (address 5) on TCP; dnp3gwd with outstations scada (10) and backup (11)
    on one listen endpoint 127.0.0.1:port."""

    def __init__(self, h):
        self.h = h
        self.ied = h.sim(["--address", "5", "--master-address", "2", "--points", "bi=8,ai=4"],
                         script=SCRIPT)
        self.port = h.port()
        self.listen = "127.0.0.1:%d" % self.port

        def outstation(name, address):
            return {"name": name, "listen": self.listen, "address": address,
                    "master_address": 1, "allow": [], "confirm_timeout": 1.0,
                    "unsolicited": {"enabled": False},
                    "events": {"class1": 100, "class2": 100, "class3": 100}}
        conf = {
            "gateway": {"name": "e2e-endpoint", "log_level": "debug", "status_interval": 0.0},
            "outstations": [outstation("scada", 10), outstation("backup", 11)],
            "channels": [{"name": "tcp", "master_address": 2, "response_timeout": 1.0,
                          "tcp": {"host": "127.0.0.1", "port": self.ied.ready["port"]},
                          "devices": [{"name": "ied", "address": 5, "integrity_poll": 0.0,
                                       "class_polls": [0.2, 0.2, 0.0], "time_sync": "none"}]}],
            "points": {
                "binary_inputs": [{"index": 0, "count": 8, "device": "tcp/ied",
                                   "source_index": 0, "class": 1}],
                "analog_inputs": [{"index": 0, "count": 4, "device": "tcp/ied",
                                   "source_index": 0, "class": 2}],
            },
        }
        self.gw = h.gateway(conf)
        self.gw.wait_log(r"outstation scada: listening on %s \(port %d\), address 10, master 1\n"
                         % (re.escape(self.listen), self.port), from_start=True)
        self.gw.wait_log(r"outstation backup: listening on %s \(port %d\), address 11, master 1; "
                         r"shared with 1 other outstation\n" % (re.escape(self.listen), self.port),
                         from_start=True)


def ready(d):
    bi, ai = values(d, 1, 2), values(d, 30, 5)
    return (bi.get(2, [{}])[-1].get("value") == 1 and ai.get(1, [{}])[-1].get("value") == 12.5
            and all(v[-1]["flags"] & ONLINE for v in bi.values()))


def integrity_until(h, m, pred, what):
    box = {}

    def once():
        box["d"] = h.decode(m.transaction(dnp3.READ, dnp3.CLASS0123))
        return pred(box["d"])
    until(what, once)
    return box["d"]


def class1_events(h, m):
    """Binary input events (index, value, time) of one class 1 read, confirmed."""
    d = h.decode(m.transaction(dnp3.READ, dnp3.CLASS1))
    return [(i, v["value"], v["time_ms"]) for i, vs in sorted(values(d, 2).items()) for v in vs]


def drain(h, m):
    until("no class 1 event left", lambda: not class1_events(h, m))


def t_two_outstations_one_endpoint(h):
    """Masters for 10 and 11 on one port: each answered by its own outstation (every frame
    from its address), each with the IED's values and its own copy of each event."""
    s = Shared(h)
    a = h.master(s.port, remote=10)
    b = h.master(s.port, remote=11)
    da = integrity_until(h, a, ready, "IED values on outstation 10")
    db = integrity_until(h, b, ready, "IED values on outstation 11")
    for name, d in (("10", da), ("11", db)):
        eq("outstation %s: bi 0..7" % name, [v[-1]["value"] for _, v in sorted(values(d, 1, 2).items())],
           [0, 0, 1, 0, 0, 0, 0, 0])
        eq("outstation %s: ai 1" % name, values(d, 30, 5)[1][-1]["value"], 12.5)
    eq("frames to master a come from", frame_sources(a), [10])
    eq("frames to master b come from", frame_sources(b), [11])
    drain(h, a)
    drain(h, b)

    t = 1700000002000
    s.ied.send("bi 4 1 @%d" % t)
    got_a = until("event on outstation 10", lambda: class1_events(h, a))
    eq("outstation 10 event", got_a, [(4, 1, t)])
    eq("outstation 10 confirmed it: none left", class1_events(h, a), [])
    # outstation 11's buffer still has its own copy
    got_b = until("event on outstation 11", lambda: class1_events(h, b))
    eq("outstation 11 event", got_b, [(4, 1, t)])
    eq("frames to master a come from (still)", frame_sources(a), [10])
    eq("frames to master b come from (still)", frame_sources(b), [11])
    s.gw.wait_log(r"outstation scada: master 127\.0\.0\.1 connected", from_start=True)
    s.gw.wait_log(r"outstation backup: master 127\.0\.0\.1 connected", from_start=True)


def t_unknown_address_closed_and_counted(h):
    """A master naming address 12: no answer, closed after the grace, logged with both
    addresses and counted in the status report; the masters of 10 and 11 stay."""
    s = Shared(h)
    a = h.master(s.port, remote=10)
    b = h.master(s.port, remote=11)
    integrity_until(h, a, ready, "IED values on outstation 10")
    integrity_until(h, b, ready, "IED values on outstation 11")
    c = h.master(s.port, remote=12)
    c.request(dnp3.READ, dnp3.CLASS0123)
    s.gw.wait_log(r"<warning> listen %s: connection from 127\.0\.0\.1: its first frame \(from 1\) "
                  r"is for address 12, which no outstation here has \(10 scada, 11 backup\); "
                  r"closed 5 s after it was accepted DNP3GW_LISTEN=%s DNP3GW_PEER=127\.0\.0\.1 "
                  r"DNP3GW_SOURCE=1 DNP3GW_DESTINATION=12\n"
                  % (re.escape(s.listen), re.escape(s.listen)))
    c._read(0)
    eq("master 12 still connected right after its frame (held for the grace)", c.closed, False)
    c.wait_closed(timeout=GRACE + harness.DEADLINE)
    eq("master 12 received nothing", (c.rx_frames, c.apdus), ([], []))
    # the others were not disturbed
    eq("outstation 10 answers", a.transaction(dnp3.READ, dnp3.CLASS1)[-1].func, dnp3.RESPONSE)
    eq("outstation 11 answers", b.transaction(dnp3.READ, dnp3.CLASS1)[-1].func, dnp3.RESPONSE)
    s.gw.proc.send_signal(signal.SIGUSR1)
    s.gw.wait_log(r"<info> listen %s \(outstations 10 scada, 11 backup\): connections accepted 3, "
                  r"handed to an outstation 2; closed: refused \(no outstation's allow list\) 0, "
                  r"for unknown addresses 1, refused by the named outstation's allow list 0, "
                  r"silent 0, without a frame for an outstation 0, too many waiting 0, closed by "
                  r"the peer while waiting 0 DNP3GW_LISTEN=%s DNP3GW_ACCEPTED=3 "
                  r"DNP3GW_DISPATCHED=2 DNP3GW_REFUSED=0 DNP3GW_UNKNOWN_ADDRESS=1 "
                  % (re.escape(s.listen), re.escape(s.listen)))
    if re.search(r"master 127\.0\.0\.1 disconnected", s.gw.log()):
        raise Fail("a master of 10 or 11 was disconnected:\n" + s.gw.log()[-3000:])


def t_dnp3poll_replaces_only_its_outstation(h):
    """dnp3poll on address 11 gets the values from 11 and replaces 11's master; the
    master of 10 keeps its connection."""
    s = Shared(h)
    a = h.master(s.port, remote=10)
    b = h.master(s.port, remote=11)
    integrity_until(h, a, ready, "IED values on outstation 10")
    integrity_until(h, b, ready, "IED values on outstation 11")
    p = subprocess.run([h.poll_path, "--tcp", s.listen, "--address", "11", "--master-address",
                        "1", "--json", "--exit-after", "10", "--integrity"],
                       stdout=subprocess.PIPE, text=True, timeout=harness.DEADLINE + 5)
    eq("dnp3poll --integrity exit status", p.returncode, 0)
    rows = [json.loads(ln) for ln in p.stdout.splitlines() if ln.startswith("{")]
    static = {(r["type"], r["index"]): (r["value"], r["flags"]) for r in rows
              if "index" in r and not r["event"]}
    eq("dnp3poll values from 11", [static.get(k) for k in (("binary_input", 2),
                                                           ("analog_input", 1))],
       [(1, ["ONLINE"]), (12.5, ["ONLINE"])])
    b.wait_closed()
    s.gw.wait_log(r"outstation backup: master 127\.0\.0\.1 connected \(replacing the previous "
                  r"connection\)", from_start=True)
    eq("outstation 10 still answers its master",
       a.transaction(dnp3.READ, dnp3.CLASS1)[-1].func, dnp3.RESPONSE)
    eq("frames to master a come from", frame_sources(a), [10])
    if re.search(r"outstation scada: master 127\.0\.0\.1 disconnected", s.gw.log()):
        raise Fail("outstation 10's master was disconnected:\n" + s.gw.log()[-3000:])


TESTS = [t_two_outstations_one_endpoint, t_unknown_address_closed_and_counted,
         t_dnp3poll_replaces_only_its_outstation]


if __name__ == "__main__":
    sys.exit(harness.main(TESTS, __doc__))
