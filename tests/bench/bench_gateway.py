#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark of the whole daemon (prints figures, asserts nothing about speed).

The bench itself is the IED: it holds the master side of a pty pair whose other end
dnp3gwd opens as its serial port (through the test-only pty shim), answers the gateway's
requests, and writes raw DNP3 unsolicited responses carrying g2v2 events (the event's
48-bit time is its sequence number).  It is also the SCADA master on the upstream TCP
socket (unsolicited enabled, every unsolicited response confirmed at once).  Both ends
are stamped in this one process with the same clock.

  latency     one event at a time: write on the pty -> its bytes parsed from the TCP
              socket; p50 / p99 / max over 10 000 events
  throughput  events/s through the daemon, 100 events per downstream fragment, at most
              5 000 in flight (the upstream class buffer holds 10 000)
  CPU         the daemon's CPU time (schedstat) and wake-ups (voluntary context switches)
              per event in each of those two runs: unlike the wall times above, barely
              changed by other load on the machine
  RSS         VmRSS of dnp3gwd with 100 000 mapped points and 3 x 10 000 event slots
              (after start, and after the runs)
  idle        utime+stime of dnp3gwd over 10 s with nothing changing, and its
              wake-ups: voluntary context switches (/proc) and epoll_wait calls
              (strace -c -f, when strace is installed)

Usage: bench_gateway.py --gwd PATH/dnp3gwd --shim PATH/libptyshim.so [--events N]
"""

import os
import select
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import ctx_switches, dnp3, pct, proc_status  # noqa: E402

IED_ADDR, GW_MASTER = 1, 2
UP_ADDR, UP_MASTER = 10, 1
DEADLINE = benchlib.DEADLINE
EV_BASE = 1_700_000_000_000  # event k has time EV_BASE + k


class Ied(benchlib.Ied):
    """The IED side of the pty (benchlib.Ied) that also writes unsolicited responses with
    g2v2 events."""

    def __init__(self, fd):
        super().__init__(fd, IED_ADDR, GW_MASTER)
        self.useq = 0

    def unsolicited(self, first, n, index=0):
        """One unsolicited response: n g2v2 events first..first+n-1 on one point."""
        objs = struct.pack("<BBBH", 2, 2, 0x28, n)
        for k in range(first, first + n):
            t = EV_BASE + k
            objs += struct.pack("<HB", index, 0x81 if k & 1 else 0x01) + \
                struct.pack("<IH", t & 0xFFFFFFFF, t >> 32)
        ctrl = 0xF0 | self.useq  # FIR FIN CON UNS
        self.useq = (self.useq + 1) & 0x0F
        self.send_apdu(bytes([ctrl, dnp3.UNSOLICITED_RESPONSE, 0, 0]) + objs)


def event_times(raw):
    """The g2v2 event times in an APDU (only g2v2 q=0x28 expected; others skipped)."""
    out = []
    p = 4
    while p + 3 <= len(raw):
        g, v, q = raw[p], raw[p + 1], raw[p + 2]
        if (g, v, q) != (2, 2, 0x28):
            break
        n = struct.unpack_from("<H", raw, p + 3)[0]
        p += 5
        for _ in range(n):
            lo, hi = struct.unpack_from("<IH", raw, p + 3)
            out.append(lo | hi << 32)
            p += 9
    return out


class Up:
    """The SCADA master on TCP: unsolicited confirmed as it arrives, event times collected."""

    def __init__(self, port):
        self.m = dnp3.Master(port, local=UP_MASTER, remote=UP_ADDR)
        self.times = []
        self.stamps = []

    def pump(self, timeout):
        self.m._read(timeout)
        now = time.perf_counter_ns()
        while self.m.apdus:
            a = self.m.apdus.pop(0)
            if a.func == dnp3.UNSOLICITED_RESPONSE and a.con:
                self.m.confirm(a)
            if a.func == dnp3.UNSOLICITED_RESPONSE:
                ts = event_times(a.raw)
                self.times += ts
                self.stamps += [now] * len(ts)


def config(pty, port, depth=10000, state_directory=None, persist=None):
    """state_directory: the journals' (None: benchlib's temp dir); persist: events.persist
    (None: the default)."""
    bi, ai, cnt = 50000, 30000, 20000  # 100 000 mapped points

    def r(n, cls):
        return '{ index = 0; count = %d; device = "ser/ied"; source_index = 0; class = %d; }' % (
            n, cls)
    state = 'state_directory = "%s"; ' % state_directory if state_directory else ""
    keep = "" if persist is None else "persist = %s; " % ("true" if persist else "false")
    return """
gateway = { name = "bench"; log_level = "notice"; status_interval = 0.0; %s};
outstations = ( {
    name = "scada"; listen = "127.0.0.1:%d"; address = %d; master_address = %d;
    unsolicited = { enabled = true; classes = [ 1, 2, 3 ]; hold_time = 0.0; hold_count = 1; };
    events = { class1 = %d; class2 = 10000; class3 = 10000; %s};
} );
channels = ( {
    name = "ser";
    serial = { device = "%s"; baud = 115200; };
    master_address = %d;
    response_timeout = 2.0;
    devices = ( {
        name = "ied"; address = %d; integrity_poll = 0.0; class_polls = [ 0.0, 0.0, 0.0 ];
        unsolicited = true; time_sync = "none";
    } );
} );
points = {
    binary_inputs = ( %s );
    analog_inputs = ( %s );
    counters = ( %s );
};
""" % (state, port, UP_ADDR, UP_MASTER, depth, keep, pty, GW_MASTER, IED_ADDR, r(bi, 1),
       r(ai, 2), r(cnt, 3))


def wait_unsol_enabled(ied):
    """The gateway's startup sequence to the IED finished (ENABLE_UNSOLICITED answered)."""
    end = time.monotonic() + DEADLINE
    while ied.requests.get(20, 0) == 0:  # ENABLE_UNSOLICITED
        if time.monotonic() > end:
            raise SystemExit("the gateway never enabled unsolicited: %s" % ied.requests)
        ied.serve(0.05)


def enable_upstream(ied, up):
    """The upstream null unsolicited taken, unsolicited enabled by SCADA."""
    up.pump(1.0)
    seq = up.m.request(dnp3.ENABLE_UNSOLICITED, dnp3.CLASS123)
    while True:
        up.m._read(1.0)
        rsp = [a for a in up.m.apdus if a.func == dnp3.RESPONSE and a.seq == seq]
        if rsp:
            up.m.apdus = [a for a in up.m.apdus if a is not rsp[0]]
            break
        ied.serve(0)
    up.pump(0.2)
    up.times, up.stamps = [], []


def throughput(ied, up, mfd, first, n):
    """Events first..first+n-1 through the daemon, 100 per fragment, at most 5 000 in
    flight: (the event times SCADA got, in its order; seconds)."""
    sent = 0
    got = []
    t0 = time.perf_counter()
    end = time.monotonic() + 120
    while len(got) < n:
        if time.monotonic() > end:
            raise SystemExit("throughput: %d of %d events seen" % (len(got), n))
        if sent < n and sent - len(got) < 5000:
            batch = min(100, n - sent)
            ied.unsolicited(first + sent, batch)
            sent += batch
            timeout = 0
        else:
            timeout = 1.0
        r, _, _ = select.select([mfd, up.m.sock], [], [], timeout)
        if mfd in r:
            ied.serve(0)
        if up.m.sock in r:
            up.pump(0)
            got += up.times
            up.times, up.stamps = [], []
    return got, time.perf_counter() - t0


def main():
    ap = benchlib.arg_parser()
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--throughput-events", type=int, default=50000)
    ap.add_argument("--idle", type=float, default=10.0)
    args = ap.parse_args()

    mfd, sfd, pty = benchlib.raw_pty()
    gw = up = None
    try:
        port = dnp3.free_port()
        gw = benchlib.Daemon(args.gwd, args.shim, config(pty, port))
        ied = Ied(mfd)
        gw.start(lambda: ied.serve(0))
        t_ready = gw.t_ready
        rss_start = proc_status(gw.pid, "VmRSS")
        up = Up(port)
        wait_unsol_enabled(ied)
        enable_upstream(ied, up)

        # -- latency: one event at a time
        lat = []
        u0 = benchlib.Usage(gw.pid)
        k = 0
        for _ in range(args.events):
            t0 = time.perf_counter_ns()
            ied.unsolicited(k, 1)
            end = time.monotonic() + DEADLINE
            while not up.times:
                if time.monotonic() > end:
                    raise SystemExit("event %d not seen upstream" % k)
                r, _, _ = select.select([mfd, up.m.sock], [], [], 1.0)
                if mfd in r:
                    ied.serve(0)
                if up.m.sock in r:
                    up.pump(0)
            if up.times != [EV_BASE + k]:
                raise SystemExit("upstream got %s for event %d" % (up.times, k))
            lat.append((up.stamps[0] - t0) / 1000.0)
            up.times, up.stamps = [], []
            k += 1

        u_lat = benchlib.Usage(gw.pid) - u0

        # -- throughput: 100 events per fragment, at most 5 000 in flight
        u0 = benchlib.Usage(gw.pid)
        first = k
        n = args.throughput_events
        got, dt = throughput(ied, up, mfd, first, n)
        u_thr = benchlib.Usage(gw.pid) - u0
        in_order = got == [EV_BASE + first + i for i in range(n)]
        rss_after = proc_status(gw.pid, "VmRSS")
        rss_peak = proc_status(gw.pid, "VmHWM")

        # -- idle: nothing changes (the upstream master stays connected)
        hz = os.sysconf("SC_CLK_TCK")
        c0, v0 = benchlib.proc_cpu_ticks(gw.pid), ctx_switches(gw.pid)
        end = time.monotonic() + args.idle
        while time.monotonic() < end:  # keep both sockets read, answer anything
            r, _, _ = select.select([mfd, up.m.sock], [], [], max(0, end - time.monotonic()))
            if mfd in r:
                ied.serve(0)
            if up.m.sock in r:
                up.pump(0)
        c1, v1 = benchlib.proc_cpu_ticks(gw.pid), ctx_switches(gw.pid)
        st = benchlib.Strace(gw.pid).start()
        epoll = None
        if st:
            end = time.monotonic() + args.idle
            while time.monotonic() < end:
                r, _, _ = select.select([mfd, up.m.sock], [], [],
                                        max(0, end - time.monotonic()))
                if mfd in r:
                    ied.serve(0)
                if up.m.sock in r:
                    up.pump(0)
            calls = st.stop()
            epoll = calls.get("epoll_wait", 0) + calls.get("epoll_pwait", 0)

        print("dnp3gwd benchmark (pty downstream, loopback TCP upstream; "
              "100 000 mapped points, 3 x 10 000 event slots)")
        print("  startup to READY=1              %8.1f ms" % (t_ready * 1000))
        print("  latency, pty write -> TCP read  p50 %.0f us, p99 %.0f us, max %.0f us "
              "(%d events, one at a time)" % (pct(lat, 50), pct(lat, 99), max(lat), len(lat)))
        print("  throughput                      %8.0f events/s (%d events in %.2f s, %s)" %
              (n / dt, n, dt, "all in order" if in_order else "NOT IN ORDER"))
        print("  daemon CPU per event            %8.1f us one at a time, %.2f us in the "
              "throughput run (schedstat)" % (u_lat.ns / 1e3 / len(lat), u_thr.ns / 1e3 / n))
        print("  daemon wake-ups per event       %8.2f one at a time, %.3f in the throughput "
              "run (voluntary context switches)" % (u_lat.wake / len(lat), u_thr.wake / n))
        print("  VmRSS after start               %8.1f MB" % (rss_start / 1024.0))
        print("  VmRSS after the runs            %8.1f MB (peak VmHWM %.1f MB)" %
              (rss_after / 1024.0, rss_peak / 1024.0))
        print("  idle CPU over %.0f s              %8.3f %% (%d ticks of %d Hz)" %
              (args.idle, 100.0 * (c1 - c0) / hz / args.idle, c1 - c0, hz))
        print("  idle wake-ups                   %8.2f /s voluntary context switches" %
              ((v1 - v0) / args.idle))
        if epoll is not None:
            print("  idle epoll_wait calls           %8.2f /s (strace -c -f, %.0f s)" %
                  (epoll / args.idle, args.idle))
        else:
            print("  idle epoll_wait calls           not measured: strace not installed "
                  "(apt-get install strace)")
        print("  requests the gateway sent the IED: %s" %
              ", ".join("%s x%d" % (f, c) for f, c in sorted(ied.requests.items())))
        rc = gw.stop()
        if rc != 0:
            sys.stderr.write(gw.log_text()[-3000:])
            raise SystemExit("dnp3gwd exit status %s" % rc)
        return 0 if in_order else 1
    finally:
        if up:
            up.m.close()
        if gw:
            gw.close()
        os.close(mfd)
        os.close(sfd)


if __name__ == "__main__":
    sys.exit(main())
