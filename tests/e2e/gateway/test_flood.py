#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: a flooding IED must not push a quiet IED's events out of the
upstream buffer.  The real dnp3gwd polls two dnp3sim IEDs on two TCP
channels into one outstation whose class 1 buffer holds 1 000 events; no
SCADA master is connected.  IED A bursts 50 000 events in two halves and IED
B makes 100 between them.  Then a scripted master reads class 1: all 100
of B's events arrive, with B's values and times, in order, next to A's newest
900; IIN2.3 is set; and every overflow record in the journal (stderr here)
names flood/a and never quiet/b, the per-device counts adding up to the
49 100 discarded.

Usage: test_flood.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                     --shim libptyshim.so [TEST...]
"""

import os
import re
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq, until, values  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)

IIN_OVERFLOW = 0x0800  # IIN2.3, as Apdu.iin holds it
DEPTH = 1000
FLOOD = 50000
QUIET = 100
A_UP, B_UP = 4, 102    # upstream indexes: A's BI 4 (index 0..), B's BI 2 (index 100..)


def device(name, address):
    return {"name": name, "address": address, "integrity_poll": 0.0,
            "class_polls": [0.1, 0.0, 0.0], "unsolicited": False, "time_sync": "none",
            "comm_fail_after": 3}


def channel(name, dev, port):
    return {"name": name, "master_address": 2, "response_timeout": 2.0, "retries": 1,
            "tcp": {"host": "127.0.0.1", "port": port}, "devices": [dev]}


def status_discarded(g):
    """SIGUSR1, then the outstation's "discarded N" from the status report."""
    g.proc.send_signal(signal.SIGUSR1)
    m = g.wait_log(r"<info> outstation scada: no master connected; buffers class1 (\d+)/%d "
                   r".*, discarded (\d+) " % DEPTH)
    return int(m.group(1)), int(m.group(2))


def t_flooding_ied_keeps_quiet_ieds_events(h):
    """IED A floods 50 000 events into a 1 000-slot class 1 buffer while IED B makes
    100: B loses none, A loses its own oldest, IIN2.3 is set and the journal names A."""
    a = h.sim(["--address", "1", "--master-address", "2", "--points", "bi=8",
               "--event-depth", "60000"])
    b = h.sim(["--address", "3", "--master-address", "2", "--points", "bi=8",
               "--event-depth", "1000"])
    up = h.port()
    conf = {
        "gateway": {"name": "e2e-flood", "log_level": "info", "status_interval": 0.0},
        "outstations": [{"name": "scada", "listen": "127.0.0.1:%d" % up, "address": 10,
                         "master_address": 1, "allow": [],
                         "unsolicited": {"enabled": False},
                         "events": {"class1": DEPTH, "class2": 10, "class3": 10}}],
        "channels": [channel("flood", device("a", 1), a.port),
                     channel("quiet", device("b", 3), b.port)],
        "points": {"binary_inputs": [
            {"index": 0, "count": 8, "device": "flood/a", "source_index": 0, "class": 1},
            {"index": 100, "count": 8, "device": "quiet/b", "source_index": 0, "class": 1}]},
    }
    g = h.gateway(conf, args=["-l", "info"])
    g.wait_log(r"device flood/a \(address 1\) is online")
    g.wait_log(r"device quiet/b \(address 3\) is online", from_start=True)

    # A floods in two halves; B's events come between them, so that 25 000 of A's
    # arrive after B's (the oldest-first rule would discard all of B's)
    half = FLOOD // 2
    a.send("burst bi 4 %d" % half)
    until("A's first %d events taken" % half,
          lambda: status_discarded(g) == (DEPTH, half - DEPTH), timeout=60.0, step=0.2)
    b.send("burst bi 2 %d" % QUIET)
    until("B's %d events taken" % QUIET,
          lambda: status_discarded(g) == (DEPTH, half + QUIET - DEPTH), timeout=30.0, step=0.2)
    a.send("burst bi 4 %d" % (FLOOD - half))
    want_discarded = FLOOD + QUIET - DEPTH
    until("all %d events taken from the IEDs" % (FLOOD + QUIET),
          lambda: status_discarded(g) == (DEPTH, want_discarded), timeout=60.0, step=0.2)

    # every overflow record names A only; their per-device counts add up
    until("the last overflow record (total %d)" % want_discarded,
          lambda: re.search(r"DNP3GW_DISCARDED_TOTAL=%d " % want_discarded, g.log()),
          timeout=30.0, step=0.5)
    recs = [ln for ln in g.log().splitlines() if "event buffer overflowed" in ln]
    per_a = 0
    for ln in recs:
        m = re.search(r"each the oldest of the device holding the most: flood/a (\d+) "
                      r".*DNP3GW_CHANNEL=flood DNP3GW_DEVICE=a DNP3GW_DEVICES=flood/a=(\d+)$",
                      ln)
        if not m or m.group(1) != m.group(2) or "quiet" in ln:
            raise Fail("overflow record does not name flood/a alone: %r" % ln)
        per_a += int(m.group(1))
    eq("events of flood/a discarded, per the journal", per_a, want_discarded)

    # SCADA reads class 1 until nothing is left
    m = h.master(up, remote=10)
    rsp = m.transaction(dnp3.READ, dnp3.CLASS1)
    eq("IIN2.3 in the first response", rsp[0].iin & IIN_OVERFLOW, IIN_OVERFLOW)
    got = {A_UP: [], B_UP: []}
    while True:
        d = values(h.decode(rsp), 2)
        if not d:
            break
        for idx, evs in d.items():
            if idx not in got:
                raise Fail("event of upstream BI %d" % idx)
            got[idx].extend((v["value"], v["time_ms"]) for v in evs)
        rsp = m.transaction(dnp3.READ, dnp3.CLASS1)
    eq("IIN2.3 cleared once read", rsp[0].iin & IIN_OVERFLOW, 0)
    qa, qb = got[A_UP], got[B_UP]
    eq("quiet/b's events upstream", len(qb), QUIET)
    eq("quiet/b's values alternate from 1", [v for v, _ in qb],
       [1 - (k & 1) for k in range(QUIET)])
    eq("quiet/b's times 1 ms apart, in order", all(y[1] == x[1] + 1 for x, y in zip(qb, qb[1:])),
       True)
    eq("flood/a's events upstream", len(qa), DEPTH - QUIET)
    # A's newest 900: k = 24 100 .. 24 999 of its second burst, whose values alternate
    # from 1 at k = 0
    eq("flood/a's newest, values", [v for v, _ in qa],
       [1 - (k & 1) for k in range(FLOOD - half - len(qa), FLOOD - half)])
    eq("flood/a's newest, times 1 ms apart", all(y[1] == x[1] + 1 for x, y in zip(qa, qa[1:])),
       True)
    print("     %d overflow records, all naming flood/a" % len(recs))


TESTS = [t_flooding_ied_keeps_quiet_ieds_events]


if __name__ == "__main__":
    sys.exit(harness.main(TESTS))
