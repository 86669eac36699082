#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: no event lost across SIGKILLs of dnp3gwd (issue 11).

The real dnp3gwd with events.persist on, one dnp3sim IED on TCP polled for
class 3 (where dnp3sim puts analog events) every 0.05 s (fragments of 512 bytes, so every poll is many
fragments, each CONFIRMed by the gateway only after the journal's sync),
and no SCADA master connected.  The IED makes 20 000 analog events: event k
on AI k % 4, value k, stamped by the IED at T0 + k ms, in 20 parts of 1 000.
After each part is handed to the IED, dnp3gwd is killed with SIGKILL at a
random moment of its taking that part in (once the journal file has grown by
a random number of records, 0..999, drawn from a printed seed: a kill can
land before, between or after the gateway's syncs and CONFIRMs) and started
again at once (READY after its journal was read back).

Then dnp3poll connects as the SCADA master and polls class 1.  Asserted:
every one of the 20 000 events reaches it (checked once the IED's newest has
arrived, which comes after all the others); for each point the events arrive
in the IED's order (first occurrences strictly increasing, no gap); every
event carries the IED's own time (T0 + k, device time) and the point's
value; an event seen twice (the IED repeats what the gateway journaled but
did not CONFIRM before being killed) is the same event again (same time),
and duplicates are counted and printed, not failed.  Finally the gateway's
class 1 buffer is empty (SIGUSR1 status report).

Usage: test_persist_kill.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                            --shim libptyshim.so [TEST...]
Environment: DNP3GW_KILL_SEED (an integer) repeats a run's kill moments.
"""

import os
import random
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq, file_size, until  # noqa: E402

OUT, SCADA, IED = 10, 1, 20
POINTS = 4
PART = 1000
PARTS = 20                  # one SIGKILL per part
TOTAL = PART * PARTS
DEPTH = 30000               # upstream class 1: all events and their repeats
T0 = 1700000000000          # the IED's time of event 0 (ms since 1970)
ADD_BYTES = 31              # one ADD record in the journal (io/evjournal.h)


def gw_conf(up, ied_port, state):
    return {"gateway": {"name": "persist-kill", "log_level": "info", "status_interval": 0.0,
                        "state_directory": state},
            "outstations": [{"name": "scada", "listen": "127.0.0.1:%d" % up,
                             "address": OUT, "master_address": SCADA, "allow": [],
                             "unsolicited": {"enabled": False},
                             "events": {"class1": DEPTH, "class2": 10, "class3": 10,
                                        "persist": True}}],
            "channels": [{"name": "bay1", "master_address": SCADA, "response_timeout": 2.0,
                          "tcp": {"host": "127.0.0.1", "port": ied_port},
                          "devices": [{"name": "relay1", "address": IED,
                                       "class_polls": [0.0, 0.0, 0.05],
                                       "integrity_poll": 0.0}]}],
            "points": {"analog_inputs": [{"index": 0, "count": POINTS,
                                          "device": "bay1/relay1", "source_index": 0,
                                          "class": 1}]}}


def start(h, conf):
    """dnp3gwd (READY: its journal was read back); the restored count it recorded."""
    g = h.gateway(conf, args=["-l", os.environ.get("DNP3GW_KILL_LOG", "info")])
    m = g.wait_log(r"outstation scada: (\d+) events restored from the journal", from_start=True)
    return g, int(m.group(1))


def t_sigkill_during_flood_loses_nothing(h):
    """20 000 IED events, dnp3gwd SIGKILLed at 20 random moments while taking them in:
    SCADA gets every event, in order per point, with the IED's times."""
    seed = int(os.environ.get("DNP3GW_KILL_SEED", "0")) or random.SystemRandom().randrange(1, 1 << 30)
    rng = random.Random(seed)
    print("     seed %d (DNP3GW_KILL_SEED to repeat)" % seed)
    ied = h.sim(["--address", str(IED), "--master-address", str(SCADA),
                 "--points", "ai=%d" % POINTS, "--event-depth", str(2 * TOTAL),
                 "--max-fragment", "512"])
    up = h.port()
    state = os.path.join(h.tmp, "state")
    conf = gw_conf(up, ied.port, state)
    journal = os.path.join(state, "scada.events")
    g, _ = start(h, conf)
    t0 = time.monotonic()
    restored = []
    for part in range(PARTS):
        size0 = file_size(journal)
        first = part * PART
        ied.proc.stdin.write("".join("ai %d %d @%d\n" % (k % POINTS, k, T0 + k)
                                     for k in range(first, first + PART)).encode())
        ied.proc.stdin.flush()
        r = rng.randrange(PART)
        try:
            until("part %d: the journal grows by %d records" % (part, r),
                  lambda: file_size(journal) >= size0 + r * ADD_BYTES, timeout=30.0,
                  step=0.001)
        except Fail as e:
            raise Fail("%s (journal %d bytes); dnp3gwd's log:\n%s" %
                       (e, file_size(journal), g.log()[-3000:]))
        g.kill()
        g, n = start(h, conf)
        restored.append(n)
    flood_s = time.monotonic() - t0
    print("     %d SIGKILLs in %.1f s; events restored at each start: %s" %
          (PARTS, flood_s, " ".join(str(n) for n in restored)))

    # SCADA comes: dnp3poll polls class 1 until it has seen every event
    poll = harness.Proc(h, "dnp3poll", [h.poll_path, "--tcp", "127.0.0.1:%d" % up,
                                        "--address", str(OUT), "--master-address", str(SCADA),
                                        "--follow", "--poll-class", "0.1", "--json"],
                        env=h.env())
    order = {p: [] for p in range(POINTS)}      # first occurrences, per point
    times = {}
    dups = 0

    def take():
        nonlocal dups
        poll.drain(0.2)
        lines, poll.lines = poll.lines, []
        for j in lines:
            if not j.get("event"):
                continue
            k = int(j["value"])
            if j["type"] != "analog_input" or j["index"] != k % POINTS or not 0 <= k < TOTAL:
                raise Fail("unexpected event %r" % j)
            if not j["device_time"] or j["time_ms"] != T0 + k:
                raise Fail("event %d without the IED's time %d: %r" % (k, T0 + k, j))
            if k in times:
                dups += 1
                continue
            times[k] = j["time_ms"]
            order[j["index"]].append(k)
        return TOTAL - 1 in times
    # the IED's newest event comes after all the others (its buffer, the journal and the
    # upstream buffer keep the order): once it is at SCADA, every other one must be too
    t1 = time.monotonic()
    until("the IED's last event at SCADA", take, timeout=60.0)
    read_s = time.monotonic() - t1

    # the gateway's buffer is empty: nothing more (no repeat) is on its way
    def drained():
        g.proc.send_signal(signal.SIGUSR1)
        m = g.wait_log(r"outstation scada: master \S+ connected for \d+ s; buffers class1 "
                       r"(\d+)/%d" % DEPTH)
        take()
        return m.group(1) == "0"
    until("the gateway's class 1 buffer empty", drained, timeout=30.0, step=0.1)
    lost = sorted(set(range(TOTAL)) - set(times))
    if lost:
        raise Fail("%d events lost (never at SCADA), e.g. %s" % (len(lost), lost[:20]))
    for p in range(POINTS):
        eq("point %d: its events in the IED's order, none missing" % p, order[p],
           list(range(p, TOTAL, POINTS)))
    print("     %d events at SCADA in %.1f s, in order per point, IED times; "
          "%d duplicates (repeated by the IED after a kill)" % (TOTAL, read_s, dups))


TESTS = [t_sigkill_during_flood_loses_nothing]


if __name__ == "__main__":
    sys.exit(harness.main(TESTS))
