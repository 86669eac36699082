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
  RSS         VmRSS of dnp3gwd with 100 000 mapped points and 3 x 10 000 event slots
              (after start, and after the runs)
  idle        utime+stime of dnp3gwd over 10 s with nothing changing, and its
              wake-ups: voluntary context switches (/proc) and epoll_wait calls
              (strace -c -f, when strace is installed)

Usage: bench_gateway.py --gwd PATH/dnp3gwd --shim PATH/libptyshim.so [--events N]
"""

import argparse
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import tty

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import dnp3  # noqa: E402

IED_ADDR, GW_MASTER = 1, 2
UP_ADDR, UP_MASTER = 10, 1
DEADLINE = 20.0
EV_BASE = 1_700_000_000_000  # event k has time EV_BASE + k


class Ied:
    """The IED side of the pty: link frames in (via dnp3.Master's scanner), requests
    answered with empty responses, unsolicited responses with g2v2 events out."""

    def __init__(self, fd):
        self.fd = fd
        self.rx = dnp3.Master(None, fd=fd, local=IED_ADDR, remote=GW_MASTER)
        self.tseq = 0
        self.useq = 0
        self.requests = {}

    def send_apdu(self, apdu):
        out = b""
        chunks = [apdu[i:i + 249] for i in range(0, len(apdu), 249)]
        for i, ch in enumerate(chunks):
            th = (0x40 if i == 0 else 0) | (0x80 if i == len(chunks) - 1 else 0) | self.tseq
            self.tseq = (self.tseq + 1) & 0x3F
            # DIR=0 (from an outstation), PRM=1, UNCONFIRMED_USER_DATA
            out += dnp3.link_frame(0x44, GW_MASTER, IED_ADDR, bytes([th]) + ch)
        view = memoryview(out)
        while view:
            try:
                n = os.write(self.fd, view)
                view = view[n:]
            except BlockingIOError:
                select.select([], [self.fd], [], 1.0)
                self.serve(0)  # keep reading meanwhile

    def serve(self, timeout):
        """Answer what the gateway sent (empty RESPONSE to every request; confirms dropped)."""
        self.rx._read(timeout)
        while self.rx.apdus:
            a = self.rx.apdus.pop(0)
            self.requests[a.func] = self.requests.get(a.func, 0) + 1
            if a.func == dnp3.CONFIRM:
                continue
            self.send_apdu(bytes([0xC0 | a.seq, dnp3.RESPONSE, 0, 0]))

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


def config(pty, port):
    bi, ai, cnt = 50000, 30000, 20000  # 100 000 mapped points

    def r(n, cls):
        return '{ index = 0; count = %d; device = "ser/ied"; source_index = 0; class = %d; }' % (
            n, cls)
    return """
gateway = { name = "bench"; log_level = "notice"; status_interval = 0.0; };
outstations = ( {
    name = "scada"; listen = "127.0.0.1:%d"; address = %d; master_address = %d;
    unsolicited = { enabled = true; classes = [ 1, 2, 3 ]; hold_time = 0.0; hold_count = 1; };
    events = { class1 = 10000; class2 = 10000; class3 = 10000; };
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
""" % (port, UP_ADDR, UP_MASTER, pty, GW_MASTER, IED_ADDR, r(bi, 1), r(ai, 2), r(cnt, 3))


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1])
    return None


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def ctx_switches(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for ln in f:
                if ln.startswith("voluntary_ctxt_switches:"):
                    total += int(ln.split()[1])
    return total


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gwd", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--throughput-events", type=int, default=50000)
    ap.add_argument("--idle", type=float, default=10.0)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="dnp3gw-bench-")
    mfd, sfd = os.openpty()
    tty.setraw(mfd)
    tty.setraw(sfd)
    pty = os.ttyname(sfd)
    os.set_blocking(mfd, False)
    gw = notify = up = None
    try:
        port = dnp3.free_port()
        conf = os.path.join(tmp, "bench.conf")
        with open(conf, "w") as f:
            f.write(config(pty, port))
        npath = os.path.join(tmp, "notify")
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(npath)
        env = dict(os.environ, LD_PRELOAD=args.shim, NOTIFY_SOCKET=npath)
        env["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"),
                                                  "verify_asan_link_order=0") if x)
        env.pop("JOURNAL_STREAM", None)
        log = open(os.path.join(tmp, "dnp3gwd.log"), "w")
        t_start = time.monotonic()
        gw = subprocess.Popen([args.gwd, "-c", conf], env=env, stdout=log, stderr=log,
                              stdin=subprocess.DEVNULL)
        ied = Ied(mfd)
        notify.settimeout(0.05)
        ready = False
        while not ready:
            if time.monotonic() - t_start > DEADLINE or gw.poll() is not None:
                raise SystemExit("dnp3gwd did not become ready (exit %s)" % gw.poll())
            try:
                ready = "READY=1" in notify.recv(4096).decode().split("\n")
            except socket.timeout:
                pass
            ied.serve(0)
        t_ready = time.monotonic() - t_start
        rss_start = proc_status(gw.pid, "VmRSS")
        up = Up(port)
        # wait for the gateway's startup sequence to finish (ENABLE_UNSOLICITED answered),
        # and for the upstream null unsolicited; enable unsolicited upstream
        end = time.monotonic() + DEADLINE
        while ied.requests.get(20, 0) == 0:  # ENABLE_UNSOLICITED
            if time.monotonic() > end:
                raise SystemExit("the gateway never enabled unsolicited: %s" % ied.requests)
            ied.serve(0.05)
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

        # -- latency: one event at a time
        lat = []
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

        # -- throughput: 100 events per fragment, at most 5 000 in flight
        first = k
        n = args.throughput_events
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
        dt = time.perf_counter() - t0
        in_order = got == [EV_BASE + first + i for i in range(n)]
        rss_after = proc_status(gw.pid, "VmRSS")
        rss_peak = proc_status(gw.pid, "VmHWM")

        # -- idle: nothing changes (the upstream master stays connected)
        hz = os.sysconf("SC_CLK_TCK")
        c0, v0 = cpu_ticks(gw.pid), ctx_switches(gw.pid)
        end = time.monotonic() + args.idle
        while time.monotonic() < end:  # keep both sockets read, answer anything
            r, _, _ = select.select([mfd, up.m.sock], [], [], max(0, end - time.monotonic()))
            if mfd in r:
                ied.serve(0)
            if up.m.sock in r:
                up.pump(0)
        c1, v1 = cpu_ticks(gw.pid), ctx_switches(gw.pid)
        strace = shutil.which("strace")
        epoll = None
        if strace:
            st = subprocess.Popen([strace, "-c", "-f", "-e", "trace=epoll_wait,epoll_pwait",
                                   "-p", str(gw.pid)], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
            end = time.monotonic() + args.idle
            while time.monotonic() < end:
                r, _, _ = select.select([mfd, up.m.sock], [], [],
                                        max(0, end - time.monotonic()))
                if mfd in r:
                    ied.serve(0)
                if up.m.sock in r:
                    up.pump(0)
            st.send_signal(signal.SIGINT)
            _, err = st.communicate(timeout=DEADLINE)
            epoll = sum(int(ln.split()[3]) for ln in err.splitlines()
                        if ln.split() and ln.split()[-1] in ("epoll_wait", "epoll_pwait")
                        and len(ln.split()) >= 5)

        print("dnp3gwd benchmark (pty downstream, loopback TCP upstream; "
              "100 000 mapped points, 3 x 10 000 event slots)")
        print("  startup to READY=1              %8.1f ms" % (t_ready * 1000))
        print("  latency, pty write -> TCP read  p50 %.0f us, p99 %.0f us, max %.0f us "
              "(%d events, one at a time)" % (pct(lat, 50), pct(lat, 99), max(lat), len(lat)))
        print("  throughput                      %8.0f events/s (%d events in %.2f s, %s)" %
              (n / dt, n, dt, "all in order" if in_order else "NOT IN ORDER"))
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
        gw.send_signal(signal.SIGTERM)
        rc = gw.wait(timeout=DEADLINE)
        if rc != 0:
            with open(os.path.join(tmp, "dnp3gwd.log")) as f:
                sys.stderr.write(f.read()[-3000:])
            raise SystemExit("dnp3gwd exit status %d" % rc)
        return 0 if in_order else 1
    finally:
        if gw and gw.poll() is None:
            gw.kill()
            gw.wait()
        if up:
            up.m.close()
        if notify:
            notify.close()
        os.close(mfd)
        os.close(sfd)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
