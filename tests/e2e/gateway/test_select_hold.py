#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: one master's controls must not freeze a device for the others.

The real dnp3gwd with one dnp3sim IED on a serial line (a socat pty pair) and
two upstream outstations.  A raw client (tests/e2e/dnp3.py) on outstation
"scada" sends, for the whole window, either a SELECT every select_timeout -
0.1 s and never its OPERATE (each SELECT holds the IED's polls for the OPERATE
that never comes), or a flood of DIRECT_OPERATEs (one every 10 ms, not waiting
for the answers).  Meanwhile dnp3poll follows outstation "scada2" (unsolicited
responses) and the IED's analog 0 changes every 0.5 s.  Asserted: at least 90 %
of the changes reach dnp3poll, each within the class poll period + 1 s of the
change; the IED's integrity polls keep their period; every SELECT was answered
SUCCESS (so every one held the IED); the unused SELECTs are warned about once a
minute.  Figures (latencies, counts) are printed.

Environment (defaults keep CI short):
  DNP3GW_E2E_HOLD_WINDOW     seconds of traffic, default 20
  DNP3GW_E2E_SELECT_TIMEOUT  the outstations' select_timeout, default 2.0

Usage: test_select_hold.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                           --shim libptyshim.so [TEST...]
"""

import os
import select
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)

WINDOW = float(os.environ.get("DNP3GW_E2E_HOLD_WINDOW", "20"))
SELECT_TIMEOUT = float(os.environ.get("DNP3GW_E2E_SELECT_TIMEOUT", "2.0"))
CLASS_POLL = 1.0           # the IED's class polls (all three classes)
INTEGRITY = 5.0            # the IED's integrity poll
RESPONSE_TIMEOUT = 0.5     # the channel's: also the longest a SELECT holds the IED's polls
CHANGE_EVERY = 0.5
FLOOD_EVERY = 0.01
BOUND = CLASS_POLL + 1.0   # a change must reach dnp3poll within this


class Setup:
    """ied (dnp3sim on a pty), dnp3gwd with outstations scada (p1) and scada2 (p2,
    unsolicited), dnp3poll following scada2 and its startup done."""

    def __init__(self, h):
        self.h = h
        pty_gw, pty_ied = h.pty_pair("ser")
        self.ied = h.sim(["--address", "1", "--master-address", "2",
                          "--points", "bi=4,bo=4,ai=4"], serial=pty_ied, script="ai 0 0\n")
        self.p1, self.p2 = h.port(), h.port()

        def outstation(name, port, address, unsol):
            return {"name": name, "listen": "127.0.0.1:%d" % port, "address": address,
                    "master_address": 1, "allow": [], "select_timeout": SELECT_TIMEOUT,
                    "unsolicited": {"enabled": unsol, "classes": [1, 2, 3], "retries": -1}}
        dev = {"name": "ied1", "address": 1, "integrity_poll": INTEGRITY,
               "class_polls": [CLASS_POLL] * 3, "unsolicited": False, "time_sync": "none",
               "comm_fail_after": 3, "control_timeout": 1.5}
        ch = {"name": "ser", "master_address": 2, "response_timeout": RESPONSE_TIMEOUT,
              "retries": 1, "serial": {"device": pty_gw, "baud": 115200}, "devices": [dev]}
        pts = {"analog_inputs": [{"index": 0, "count": 4, "device": "ser/ied1",
                                  "source_index": 0, "class": 1}],
               "binary_outputs": [{"index": 0, "count": 4, "device": "ser/ied1",
                                   "source_index": 0, "class": 2}]}
        self.gw = h.gateway({
            "gateway": {"name": "e2e-hold", "log_level": "debug", "status_interval": 0.0},
            "outstations": [outstation("scada", self.p1, 10, False),
                            outstation("scada2", self.p2, 11, True)],
            "channels": [ch],
            "points": pts,
        })
        # the device is online before any control goes to it (else DOWNSTREAM_FAIL)
        self.gw.wait_log(r"device ser/ied1 \(address 1\) is online", from_start=True)
        self.poll = harness.Proc(h, "dnp3poll", [
            h.poll_path, "--tcp", "127.0.0.1:%d" % self.p2, "--address", "11",
            "--master-address", "1", "--json", "--follow", "--unsolicited",
            "--exit-after", "%d" % int(WINDOW + 60)])
        self.poll.wait(lambda j: j.get("task") == "enable_unsolicited" and j.get("ok"),
                       what="unsolicited enabled")
        self.m = h.master(self.p1, remote=10)

    def integrity_polls(self, text):
        return text.count("ser/ied1: integrity_poll done")


def traffic(s, func, objs, every):
    """Run the window: a control (func, objs) every `every` s from the raw client, the
    IED's analog 0 changed every 0.5 s; returns (changes {value: sent}, arrivals
    {value: seen}, controls sent, the raw client's responses, controls at the IED)."""
    ied, poll, m = s.ied, s.poll, s.m
    sent, seen, responses = {}, {}, []
    ctl, at_ied = 0, [0]

    def take():
        for j in poll.lines:
            if j.get("type") == "analog_input" and j.get("index") == 0 and j.get("event"):
                seen.setdefault(int(j["value"]), time.monotonic())
        poll.lines.clear()
        at_ied[0] += sum(1 for j in ied.lines if j.get("event") == "command")
        ied.lines.clear()  # one line per control: counted, not kept
        responses.extend(a for a in m.apdus if a.func == dnp3.RESPONSE)
        m.apdus.clear()

    t0 = time.monotonic()
    next_change, next_ctl, k = t0 + 0.25, t0, 0
    while True:
        now = time.monotonic()
        if now >= t0 + WINDOW:
            break
        if now >= next_change:
            k += 1
            ied.send("ai 0 %d" % k)
            sent[k] = time.monotonic()
            next_change += CHANGE_EVERY
        if now >= next_ctl:
            m.request(func, objs)
            ctl += 1
            next_ctl += every
        left = min(next_change, next_ctl, t0 + WINDOW) - time.monotonic()
        r, _, _ = select.select([poll.proc.stdout, ied.proc.stdout, m.sock], [], [],
                                max(left, 0))
        if poll.proc.stdout in r:
            poll._read(0)
        if ied.proc.stdout in r:
            ied._read(0)
        if m.sock in r:
            m._read(0)
        take()
    # the last changes: each has its bound to arrive
    end = max(sent.values()) + BOUND
    while len(seen.keys() & sent.keys()) < len(sent) and time.monotonic() < end:
        poll._read(end - time.monotonic())
        take()
    m._read(0.2)
    take()
    ied.drain()
    take()
    return sent, seen, ctl, responses, at_ied[0]


def judge(s, what, sent, seen, t_start, t_end):
    lat = sorted(seen[v] - sent[v] for v in sent if v in seen)
    in_time = sum(1 for x in lat if x <= BOUND)
    text = s.gw.log()
    integ = s.integrity_polls(text[t_start:t_end])
    print("     %s: window %.0f s, select_timeout %.1f s: %d changes, %d arrived, %d within "
          "%.1f s; latency median %.2f s, max %.2f s; integrity polls %d (period %.0f s)" %
          (what, WINDOW, SELECT_TIMEOUT, len(sent), len(lat), in_time, BOUND,
           lat[len(lat) // 2] if lat else -1, lat[-1] if lat else -1, integ, INTEGRITY))
    if in_time < 0.9 * len(sent):
        raise Fail("%s: %d of %d changes within %.1f s (at least 90 %% expected)" %
                   (what, in_time, len(sent), BOUND))
    # one poll per period, each late by one hold at most: the window holds this many
    if integ < int(WINDOW / INTEGRITY) - 1:
        raise Fail("%s: %d integrity polls in %.0f s (period %.0f s)" %
                   (what, integ, WINDOW, INTEGRITY))


def t_select_stream(h):
    """SELECT every select_timeout - 0.1 s, never an OPERATE: the other master keeps
    getting the IED's changes, the integrity poll keeps its period."""
    s = Setup(h)
    sel = harness.crobs([(0, 0x03, 1, 100, 0)])
    t_start = len(s.gw.log())
    sent, seen, n, rsp, at_ied = traffic(s, dnp3.SELECT, sel, SELECT_TIMEOUT - 0.1)
    t_end = len(s.gw.log())
    judge(s, "SELECT stream", sent, seen, t_start, t_end)
    # every SELECT answered, each SUCCESS from the IED: each one did hold its polls
    eq("SELECT responses", len(rsp), n)
    st = [v["crob"]["status"] for a in rsp
          for v in harness.values(h.decode([a]), 12, 1).get(0, [])]
    eq("SELECT statuses", st, [0] * n)
    eq("SELECTs at the IED", at_ied, n)
    # the unused SELECTs: counted for the peer, warned about once a minute
    text = s.gw.log()
    warned = [ln for ln in text.splitlines()
              if "left a SELECT without its OPERATE" in ln]
    if not warned or "1 such SELECTs since it connected" not in warned[0] or \
            "another request came instead of the OPERATE" not in warned[0]:
        raise Fail("no warning of the first unused SELECT; log:\n%s" % text[-3000:])
    if WINDOW < 59:
        eq("warnings within a minute", len(warned), 1)
    print("     %d SELECTs, %d warning line(s)" % (n, len(warned)))


def t_direct_operate_flood(h):
    """A DIRECT_OPERATE every 10 ms, answers not awaited: the same for the other master."""
    s = Setup(h)
    do = harness.crobs([(1, 0x03, 1, 100, 0)])
    t_start = len(s.gw.log())
    sent, seen, n, rsp, at_ied = traffic(s, dnp3.DIRECT_OPERATE, do, FLOOD_EVERY)
    t_end = len(s.gw.log())
    judge(s, "DIRECT_OPERATE flood", sent, seen, t_start, t_end)
    print("     %d DIRECT_OPERATEs sent, %d answered upstream, %d reached the IED" %
          (n, len(rsp), at_ied))
    # a flood: the IED was kept busy (more than one control per class poll period)
    if at_ied < WINDOW / CLASS_POLL * 2:
        raise Fail("only %d DIRECT_OPERATEs reached the IED" % at_ied)


TESTS = [t_select_stream, t_direct_operate_flood]


if __name__ == "__main__":
    sys.exit(harness.main(TESTS))
