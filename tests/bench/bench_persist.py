#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark of the durable event journal (issue 11; prints figures, asserts nothing
about speed).

The set-up of bench_gateway.py: the bench is the IED on a pty (unsolicited responses of
g2v2 events, 100 per fragment, each asking for a CONFIRM, which the gateway sends only
after the journal's fdatasync) and the SCADA master on TCP (every unsolicited response
confirmed at once).  The journal lives in a temp dir (whatever file system /tmp is: the
figures of a real disk or SD card differ, above all the sync time).

  throughput   events/s through the daemon with events.persist off, then on (same run
               shape: 50 000 events, at most 5 000 in flight), and the daemon's CPU time
               per event in each (schedstat): the difference is the journal's cost
  syncs        200 events/s (10 every 50 ms) for 10 s with persistence on, under
               `strace -c -f`: fdatasync calls per second, and IED CONFIRMs per second
  bytes        journal file growth per event: while SCADA confirms (an event's ADD record
               plus its share of the confirm records) and with no SCADA (ADD only)
  restore      1 000 000 events journaled with no SCADA connected (class 1 depth
               1 000 000; the IED's CONFIRMs pace it), dnp3gwd stopped, started again:
               startup to READY=1 with that journal minus with an empty one, and the
               count its EVENTS_RESTORED record gives

Usage: bench_persist.py --gwd PATH/dnp3gwd --shim PATH/libptyshim.so [--events N]
                        [--restore-events N]
"""

import os
import re
import select
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
import bench_gateway as bg  # noqa: E402
from benchlib import dnp3  # noqa: E402
from harness import file_size  # noqa: E402

ADD_BYTES = 31              # one ADD record in the journal (io/evjournal.h)


class Run:
    """dnp3gwd on a fresh pty with the IED answering; SCADA connected (scada=True)."""

    def __init__(self, args, state=None, depth=10000, scada=True, tmp=None):
        self.mfd, self.sfd, pty = benchlib.raw_pty()
        self.port = dnp3.free_port()
        self.gw = benchlib.Daemon(args.gwd, args.shim,
                                  bg.config(pty, self.port, depth, state, persist=bool(state)),
                                  tmp=tmp)
        self.ied = bg.Ied(self.mfd)
        self.up = None
        self.gw.start(lambda: self.ied.serve(0))
        bg.wait_unsol_enabled(self.ied)
        if scada:
            self.up = bg.Up(self.port)
            bg.enable_upstream(self.ied, self.up)

    def serve(self, timeout):
        socks = [self.mfd] + ([self.up.m.sock] if self.up else [])
        r, _, _ = select.select(socks, [], [], timeout)
        if self.mfd in r:
            self.ied.serve(0)
        if self.up and self.up.m.sock in r:
            self.up.pump(0)

    def close(self):
        rc = self.gw.stop()
        if rc != 0:
            sys.stderr.write(self.gw.log_text()[-3000:])
            raise SystemExit("dnp3gwd exit status %s" % rc)
        if self.up:
            self.up.m.close()
        self.gw.close()
        os.close(self.mfd)
        os.close(self.sfd)


def throughput(args, state):
    """(events/s, CPU us per event, journal bytes per confirmed event or None)."""
    r = Run(args, state)
    journal = os.path.join(state, "scada.events") if state else None
    try:
        got, _ = bg.throughput(r.ied, r.up, r.mfd, 0, 1000)        # warm-up
        s0 = file_size(journal) if journal else 0
        u0 = benchlib.Usage(r.gw.pid)
        n = args.events
        got, dt = bg.throughput(r.ied, r.up, r.mfd, 1000, n)
        u = benchlib.Usage(r.gw.pid) - u0
        if got != [bg.EV_BASE + 1000 + i for i in range(n)]:
            raise SystemExit("throughput: events not in order")
        per = (file_size(journal) - s0) / n if journal else None
        return n / dt, u.ns / 1e3 / n, per
    finally:
        r.close()


def syncs(args, state, rate=200, seconds=10.0):
    """(fdatasync/s, IED CONFIRMs/s, CPU us per event) at `rate` events/s."""
    r = Run(args, state)
    try:
        bg.throughput(r.ied, r.up, r.mfd, 0, 100)
        st = benchlib.Strace(r.gw.pid).start()
        if not st:
            return None
        conf0 = r.ied.requests.get(dnp3.CONFIRM, 0)
        u0 = benchlib.Usage(r.gw.pid)
        per_tick, tick = rate // 20, 0.05
        t0 = time.monotonic()
        k = 100
        for i in range(int(seconds / tick)):
            r.ied.unsolicited(k, per_tick)
            k += per_tick
            due = t0 + (i + 1) * tick
            while time.monotonic() < due:
                r.serve(max(0.0, due - time.monotonic()))
        calls = st.stop()
        dt = time.monotonic() - t0
        u = benchlib.Usage(r.gw.pid) - u0
        conf = r.ied.requests.get(dnp3.CONFIRM, 0) - conf0
        sync = calls.get("fdatasync", 0) + calls.get("fsync", 0)
        return sync / dt, conf / dt, u.ns / 1e3 / (k - 100)
    finally:
        r.close()


def fill(args, state, n, tmp):
    """n events journaled with no SCADA; (events/s, journal bytes per event)."""
    r = Run(args, state, depth=1000000, scada=False, tmp=tmp)
    journal = os.path.join(state, "scada.events")
    try:
        s0 = file_size(journal)
        sent = 0
        t0 = time.perf_counter()
        end = time.monotonic() + 600
        while True:
            # the journal's ADD records pace it (the bench IED does not wait for CONFIRMs,
            # of which the gateway sends one for all the unsolicited responses of a sync)
            journaled = (file_size(journal) - s0) // ADD_BYTES
            if journaled >= n:
                break
            if time.monotonic() > end:
                raise SystemExit("restore fill: %d of %d events journaled" % (journaled, n))
            if sent < n and sent - journaled < 5000:
                batch = min(100, n - sent)
                r.ied.unsolicited(sent, batch)
                sent += batch
                r.serve(0)
            else:
                r.serve(0.05)
        dt = time.perf_counter() - t0
        return n / dt, (file_size(journal) - s0) / n
    finally:
        r.close()


def ready_time(args, state, tmp):
    """Startup to READY=1 (s, polled every 20 ms) and the restored count it logged."""
    r = Run(args, state, depth=1000000, scada=False, tmp=tmp)
    try:
        m = re.search(r"outstation scada: (\d+) events restored", r.gw.log_text())
        return r.gw.t_ready, int(m.group(1)) if m else None
    finally:
        r.close()


def main():
    ap = benchlib.arg_parser()
    ap.add_argument("--events", type=int, default=50000)
    ap.add_argument("--restore-events", type=int, default=1000000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dnp3gw-bench-persist-")
    try:
        state = os.path.join(tmp, "state")
        os.makedirs(state)
        off = throughput(args, None)
        on = throughput(args, state)
        shutil.rmtree(state)
        os.makedirs(state)
        sy = syncs(args, state)

        # restore: a journal of N events, then startup with it and with an empty one
        n = args.restore_events
        full = os.path.join(tmp, "full")
        empty = os.path.join(tmp, "empty")
        os.makedirs(full)
        os.makedirs(empty)
        rtmp = os.path.join(tmp, "run")
        os.makedirs(rtmp)
        fill_rate, add_bytes = fill(args, full, n, rtmp)
        journal_mb = file_size(os.path.join(full, "scada.events")) / 1e6
        t_empty, _ = ready_time(args, empty, rtmp)
        t_full, restored = ready_time(args, full, rtmp)

        print("dnp3gwd event journal benchmark (pty IED, unsolicited g2v2, 100 per fragment; "
              "journal in %s)" % tmp)
        print("  throughput, persist = false     %8.0f events/s, %.2f us CPU per event "
              "(%d events)" % (off[0], off[1], args.events))
        print("  throughput, persist = true      %8.0f events/s, %.2f us CPU per event "
              "(target >= 50 000/s)" % (on[0], on[1]))
        print("  CPU per event added by the journal %5.2f us (schedstat, same run shape)" %
              (on[1] - off[1]))
        if sy:
            print("  at 200 events/s                 %8.1f fdatasync/s, %.1f IED CONFIRMs/s, "
                  "%.1f us CPU per event (10 s, strace -c -f)" % sy)
        else:
            print("  at 200 events/s                 not measured: strace not installed")
        print("  journal bytes per event         %8.1f confirmed by SCADA (ADD + its share of "
              "the confirm records), %.1f unconfirmed (ADD only)" % (on[2], add_bytes))
        print("  filling the journal, no SCADA   %8.0f events/s (%d events, class 1 depth "
              "1 000 000; journal %.1f MB)" % (fill_rate, n, journal_mb))
        print("  restore of %d events      %8.0f ms (READY=1 %.0f ms with the journal, %.0f ms "
              "with an empty one; 20 ms polling); %s events restored per its record" %
              (n, (t_full - t_empty) * 1000, t_full * 1000, t_empty * 1000, restored))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
