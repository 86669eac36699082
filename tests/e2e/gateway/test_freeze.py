#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: freezes from SCADA through the real dnp3gwd to a dnp3sim IED on a
serial line (a socat pty pair).  The IED's counters and frozen counters are
the ones SCADA reads: FREEZE_CLEAR reaches the IED as FREEZE_CLEAR with its
indexes, the IED clears its counter, and SCADA then reads the IED's frozen
value with the IED's time of freeze; FREEZE_CLEAR_NR gets no upstream
response; a FREEZE_AT_TIME the IED refuses (interval 1 ms) gives IIN2.2
upstream; a dead IED gives IIN2.2 and a journal line naming it.

Usage: test_freeze.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                      --shim libptyshim.so [TEST...]
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq, until, values  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)
import test_gateway as tg  # noqa: E402  (its config helpers; its tests do not run)

IMMED_FREEZE, FREEZE_CLEAR, FREEZE_CLEAR_NR, FREEZE_AT_TIME = 7, 9, 10, 11
G20_ALL = bytes.fromhex("140006")       # g20v0, qualifier 0x06
IIN2_MASK = 0x0700                      # IIN2.0 .. IIN2.2 as Apdu.iin holds them
IIN_PARAMETER_ERROR = 0x0400            # IIN2.2
OFF = 100                               # upstream index = OFF + IED index


class Freeze:
    """ied1 on a pty, counters 0..3 (counter 0 at 2), mapped at 100..103 with its
    frozen counters; one SCADA outstation."""

    def __init__(self, h):
        self.h = h
        self.pty_gw, self.pty_ied = h.pty_pair("ser")
        self.ied = h.sim(["--address", "1", "--master-address", "2",
                          "--points", "bi=2,cnt=4,fcnt=4"],
                         serial=self.pty_ied, script="cnt 0 2\n")
        self.port = h.port()
        ser = tg.channel_common("ser", [tg.device("ied1", 1, False, [tg.POLL, tg.POLL, tg.POLL])])
        ser["serial"] = {"device": self.pty_gw, "baud": 115200}

        def r(cls):
            return [{"index": OFF, "count": 4, "device": "ser/ied1", "source_index": 0,
                     "class": cls}]
        conf = {
            "gateway": {"name": "e2e-freeze", "log_level": "info", "status_interval": 0.0},
            "outstations": [tg.outstation("scada", self.port, 10, False)],
            "channels": [ser],
            "points": {"counters": r(3), "frozen_counters": r(3)},
        }
        self.gw = h.gateway(conf)
        self.m = h.master(self.port, remote=10)

    def read(self, objs):
        return self.h.decode(self.m.transaction(dnp3.READ, objs))

    def counter(self, group, var, index):
        """The upstream static value of one point (READ group var, index only)."""
        d = self.read(bytes([group, var, 0x00, index, index]))
        return tg.at(values(d, group, var), index, "g%dv%d %d" % (group, var, index))

    def drain(self):
        until("events drained", lambda: not any(
            values(self.read(dnp3.CLASS123), g) for g in (22, 23)))


def freeze_line(ied, func):
    return ied.wait(lambda j: j.get("event") == "freeze", what=func + " at the IED")


def t_freeze_clear(h):
    """SCADA FREEZE_CLEAR g20v0 q 0x06 -> the IED gets FREEZE_CLEAR of its counters 0..3;
    a null response (no IIN2.x) once it answered; SCADA then reads the IED's frozen value
    (2) with the IED's time of freeze, counter 0; one more count at the IED reads 1 and
    comes as a g22 event of value 1."""
    s = Freeze(h)
    tg.integrity_until(h, s.m, lambda d: values(d, 20, 1).get(OFF, [{}])[-1].get("value") == 2,
                       "counter 100 = 2 upstream")
    s.drain()
    rsp = s.m.transaction(FREEZE_CLEAR, G20_ALL)
    eq("FREEZE_CLEAR response: one null fragment", [(a.func, len(a.raw)) for a in rsp],
       [(dnp3.RESPONSE, 4)])
    eq("FREEZE_CLEAR response: IIN2.0-2.2 clear", rsp[0].iin & IIN2_MASK, 0)
    j = freeze_line(s.ied, "FREEZE_CLEAR")
    eq("at the IED (function, indexes)", (j["func"], j["indexes"]), ("FREEZE_CLEAR", [0, 1, 2, 3]))
    t_freeze = j["time"]
    # the IED's frozen value and time of freeze, and its cleared counter
    fc = until("frozen counter 100 = 2 with the IED's time",
               lambda: (lambda v: v if v["value"] == 2 and v["time_ms"] == t_freeze else None)(
                   s.counter(21, 5, OFF)))
    eq("g21v5 100 (value, flags, time)", (fc["value"], fc["flags"], fc["time_ms"]),
       (2, 0x01, t_freeze))
    eq("g20v1 100 after the clear", s.counter(20, 1, OFF)["value"], 0)
    eq("g21v5 101 (frozen 0 at the same time)",
       (s.counter(21, 5, OFF + 1)["value"], s.counter(21, 5, OFF + 1)["time_ms"]), (0, t_freeze))
    # the events of the clear: counter 100 -> 0, frozen counter 100 = 2 at the freeze time
    ev = {}

    def events():
        d = s.read(dnp3.CLASS3)
        for g in (22, 23):
            for i, vs in values(d, g).items():
                ev.setdefault((g, i), []).extend((v["value"], v["time_ms"]) for v in vs)
        return (23, OFF) in ev
    until("the frozen counter event", events)
    eq("g23 100", ev[(23, OFF)], [(2, t_freeze)])
    eq("g22 100", ev.get((22, OFF)), [(0, t_freeze)])
    s.drain()
    # one more count at the IED
    s.ied.send("cnt 0 1")
    until("counter 100 = 1", lambda: s.counter(20, 1, OFF)["value"] == 1)
    got = []

    def g22():
        got.extend(v["value"] for v in values(s.read(dnp3.CLASS3), 22).get(OFF, []))
        return got
    until("a g22 event for counter 100", g22)
    eq("g22 100 after one more count", got, [1])
    eq("the frozen value stays the IED's", s.counter(21, 5, OFF)["value"], 2)


def t_freeze_clear_nr(h):
    """FREEZE_CLEAR_NR reaches the IED as FREEZE_CLEAR_NR (counters 0..3 cleared there) and
    gets no response upstream; a later request is answered."""
    s = Freeze(h)
    tg.integrity_until(h, s.m, lambda d: values(d, 20, 1).get(OFF, [{}])[-1].get("value") == 2,
                       "counter 100 = 2 upstream")
    nr_seq = s.m.request(FREEZE_CLEAR_NR, G20_ALL)
    j = freeze_line(s.ied, "FREEZE_CLEAR_NR")
    eq("at the IED", (j["func"], j["indexes"]), ("FREEZE_CLEAR_NR", [0, 1, 2, 3]))
    until("counter 100 cleared upstream", lambda: s.counter(20, 1, OFF)["value"] == 0)
    eq("frozen counter 100", s.counter(21, 5, OFF)["value"], 2)
    eq("no response to FREEZE_CLEAR_NR",
       [a for a in s.m.apdus if a.func == dnp3.RESPONSE and a.seq == nr_seq], [])


def t_freeze_at_time(h):
    """FREEZE_AT_TIME reaches the IED with its g50v2 time and interval unchanged; the IED
    freezes at that time, and SCADA reads the frozen value with that time of freeze."""
    import struct
    s = Freeze(h)
    tg.integrity_until(h, s.m, lambda d: values(d, 20, 1).get(OFF, [{}])[-1].get("value") == 2,
                       "counter 100 = 2 upstream")
    at = int(time.time() * 1000) + 500
    g50v2 = bytes.fromhex("32020701") + struct.pack("<Q", at)[:6] + struct.pack("<I", 0)
    rsp = s.m.transaction(FREEZE_AT_TIME, g50v2 + bytes.fromhex("1400006464"))  # 100: IED 0
    eq("FREEZE_AT_TIME response: IIN2.0-2.2 clear", rsp[0].iin & IIN2_MASK, 0)
    j = freeze_line(s.ied, "FREEZE_AT_TIME")
    eq("at the IED", (j["func"], j["indexes"], j["at"], j["interval"]),
       ("FREEZE_AT_TIME", [0], at, 0))
    j = s.ied.wait(lambda j: j.get("event") == "frozen", what="the freeze at its time")
    eq("frozen at the IED", j["indexes"], [0])
    if j["time"] < at:
        raise Fail("frozen at %d, before the time asked (%d)" % (j["time"], at))
    until("frozen counter 100 = 2 at the IED's time", lambda: (lambda v: v["value"] == 2 and
          v["time_ms"] == j["time"])(s.counter(21, 5, OFF)))
    eq("counter 100 not cleared", s.counter(20, 1, OFF)["value"], 2)


def t_freeze_at_time_refused(h):
    """FREEZE_AT_TIME with interval 1 ms (time 1): the IED refuses an interval below its
    1000 ms minimum with IIN2.2, so SCADA gets IIN2.2 (the device's refusal) at once; nothing
    is frozen, the journal names the device and its IIN, and the IED keeps answering polls."""
    import struct
    s = Freeze(h)
    tg.integrity_until(h, s.m, lambda d: values(d, 20, 1).get(OFF, [{}])[-1].get("value") == 2,
                       "counter 100 = 2 upstream")
    g50v2 = bytes.fromhex("32020701") + struct.pack("<Q", 1)[:6] + struct.pack("<I", 1)
    rsp = s.m.transaction(FREEZE_AT_TIME, g50v2 + bytes.fromhex("1400006464"))  # 100: IED 0
    eq("FREEZE_AT_TIME interval 1 ms: IIN2.2", rsp[0].iin & IIN2_MASK, IIN_PARAMETER_ERROR)
    j = freeze_line(s.ied, "FREEZE_AT_TIME")
    eq("at the IED", (j["func"], j["indexes"], j["at"], j["interval"], j.get("refused")),
       ("FREEZE_AT_TIME", [0], 1, 1, True))
    s.gw.wait_log(r"freeze from [0-9.:]+ on outstation scada: FREEZE_AT_TIME -> ser/ied1 "
                  r"counters 0: refused by the device \([^)]*\) \(IIN2\.2 upstream\)")
    # the IED still answers: a count there reaches SCADA; its frozen counter never moved
    s.ied.send("cnt 0 5")
    until("counter 100 = 5", lambda: s.counter(20, 1, OFF)["value"] == 5)
    eq("frozen counter 100 untouched", s.counter(21, 5, OFF)["value"], 0)


def t_freeze_dead_ied(h):
    """The IED is dead: IMMED_FREEZE is answered with IIN2.2 once the IED failed to answer
    (and at once when it is already offline); the journal names the device."""
    s = Freeze(h)
    tg.integrity_until(h, s.m, lambda d: values(d, 20, 1).get(OFF, [{}])[-1].get("value") == 2,
                       "counter 100 = 2 upstream")
    s.ied.kill()
    t0 = time.monotonic()
    rsp = s.m.transaction(IMMED_FREEZE, G20_ALL)
    took = time.monotonic() - t0
    eq("IMMED_FREEZE to a dead IED: IIN2.2", rsp[0].iin & IIN2_MASK, IIN_PARAMETER_ERROR)
    s.gw.wait_log(r"freeze from [0-9.:]+ on outstation scada: IMMED_FREEZE -> ser/ied1 "
                  r"counters 0-3: no answer from the device \(timeout\) \(IIN2\.2 upstream\)")
    # offline by now or soon: refused at once, the device named
    s.gw.wait_log(r"device ser/ied1 \(address 1\) is offline", timeout=tg.COMM_LOST_WITHIN,
                  from_start=True)
    rsp = s.m.transaction(IMMED_FREEZE, G20_ALL)
    eq("IMMED_FREEZE to an offline IED: IIN2.2", rsp[0].iin & IIN2_MASK, IIN_PARAMETER_ERROR)
    s.gw.wait_log(r"IMMED_FREEZE -> ser/ied1 counters 0-3: not sent: the device is offline "
                  r"\(IIN2\.2 upstream\)")
    print("     IIN2.2 for the dead IED after %.2f s" % took)


TESTS = [t_freeze_clear, t_freeze_clear_nr, t_freeze_at_time, t_freeze_at_time_refused,
         t_freeze_dead_ied]


if __name__ == "__main__":
    sys.exit(harness.main(TESTS))
