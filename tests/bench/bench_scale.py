#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Scale benchmark: dnp3gwd with up to 32 serial channels (pty pairs) of 8 multi-drop dnp3sim
devices each, 100 000 mapped points at 32 channels.  Prints figures, asserts nothing about
speed.

Each channel is a "line": dnp3gwd opens one pty (through the test-only pty shim) and this
script copies what the gateway writes there to the 8 dnp3sim processes of that channel (each
on its own pty, each with its own link address: a device ignores the frames addressed to the
others, as on an RS-485 bus), and the link frames each dnp3sim writes back to the gateway's
pty, a whole frame at a time.  The gateway polls one device of a channel at a time, so the
devices never answer at once, as on a real multi-drop line.

Every device has the same share of the points (100 000 / 256: 390 or 391 across the seven
types), so 1, 8 and 32 channels map 3 125, 25 000 and 100 000 points; one upstream
outstation maps them all (no SCADA master connected).  For each channel count the daemon
runs twice:

  idle      integrity poll at startup only, no class polls: measured once every device is
            online and the lines have been quiet for a second
  polling   class 1, 2 and 3 polls every second on every device (integrity at startup)

and for each: CPU % (schedstat ns over --window s), VmRSS and VmHWM, wake-ups per second
(voluntary context switches over the window; epoll_wait calls and all system calls per
second with `strace -c -f -p` over a further --strace-window s), and the requests the
gateway wrote on the lines per second.  Wall-clock figures are noisy on a shared machine;
the CPU, wake-up and system-call figures much less so.

Usage: bench_scale.py --gwd PATH/dnp3gwd --sim PATH/dnp3sim --shim PATH/libptyshim.so
                      [--channels 1,8,32] [--devices 8] [--points 100000] [--window 10]
"""

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import shutil
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import dnp3  # noqa: E402

GW_MASTER = 1
DEV_ADDR0 = 10
UP_ADDR, UP_MASTER = 100, 200
# a device's points by type: (config key, dnp3sim name, share of the device's points)
TYPES = (("binary_inputs", "bi", 0.40), ("double_bit_inputs", "dbi", 0.05),
         ("binary_outputs", "bo", 0.05), ("counters", "cnt", 0.15),
         ("frozen_counters", "fcnt", 0.05), ("analog_inputs", "ai", 0.25),
         ("analog_outputs", "ao", 0.05))


def device_points(total, ndev):
    """[{sim name: count}] for ndev devices holding `total` points between them."""
    out = []
    for k in range(ndev):
        n = total // ndev + (1 if k < total % ndev else 0)
        counts = {s: int(n * share) for _, s, share in TYPES}
        counts["bi"] += n - sum(counts.values())
        out.append(counts)
    return out


class Line:
    """One multi-drop channel: the gateway's pty and the devices' ptys, bytes copied
    between them (to every device; from a device a whole link frame at a time)."""

    def __init__(self, sel, ndev):
        self.gw_fd, self.gw_sfd, self.gw_path = benchlib.raw_pty()
        self.devs = [benchlib.raw_pty() for _ in range(ndev)]
        self.sel = sel
        self.out = {}     # fd -> bytes waiting to be written
        self.inbuf = {}   # device fd -> bytes read, not yet a whole frame
        self.requests = 0  # link frames the gateway wrote
        self.last_rx = time.monotonic()
        self.gw_buf = b""
        sel.register(self.gw_fd, selectors.EVENT_READ, (self, None))
        for k, d in enumerate(self.devs):
            self.inbuf[d[0]] = b""
            sel.register(d[0], selectors.EVENT_READ, (self, k))

    def _write(self, fd, data):
        data = self.out.get(fd, b"") + data
        try:
            n = os.write(fd, data)
        except BlockingIOError:
            n = 0
        except OSError:  # EIO: nothing has the slave open any more
            n = len(data)
        rest = data[n:]
        self.out[fd] = rest
        ev = selectors.EVENT_READ | (selectors.EVENT_WRITE if rest else 0)
        self.sel.modify(fd, ev, self.sel.get_key(fd).data)

    def _frames(self, buf):
        """([whole link frames], the rest) of buf; bytes before a start are dropped."""
        out = []
        while True:
            i = buf.find(b"\x05\x64")
            if i < 0:
                return out, buf[-1:]
            buf = buf[i:]
            if len(buf) < 10:
                return out, buf
            n_user = buf[2] - 5
            size = 10 + n_user + 2 * ((n_user + 15) // 16)
            if len(buf) < size:
                return out, buf
            out.append(buf[:size])
            buf = buf[size:]

    def event(self, fd, mask, k):
        if mask & selectors.EVENT_WRITE:
            self._write(fd, b"")
        if not mask & selectors.EVENT_READ:
            return
        try:
            data = os.read(fd, 65536)
        except (BlockingIOError, OSError):
            return
        if not data:
            return
        if k is None:  # from the gateway: to every device on the line
            self.last_rx = time.monotonic()
            self.gw_buf += data
            frames, self.gw_buf = self._frames(self.gw_buf)
            self.requests += len(frames)
            for d in self.devs:
                self._write(d[0], data)
        else:
            frames, self.inbuf[fd] = self._frames(self.inbuf[fd] + data)
            if frames:
                self._write(self.gw_fd, b"".join(frames))

    def close(self):
        for fd in [self.gw_fd] + [d[0] for d in self.devs]:
            self.sel.unregister(fd)
        for fds in [(self.gw_fd, self.gw_sfd)] + [d[:2] for d in self.devs]:
            for fd in fds:
                os.close(fd)


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="dnp3gw-scale-")
        self.sel = selectors.DefaultSelector()
        self.lines = []
        self.sims = []
        nch = max(args.channels)
        self.points = device_points(args.points, nch * args.devices)

    def pump(self, timeout=0.0):
        for key, mask in self.sel.select(timeout):
            line, k = key.data
            line.event(key.fd, mask, k)

    def pump_for(self, seconds):
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            self.pump(min(left, 0.1))

    def start_sims(self):
        """One pty pair per device, one dnp3sim on each; wait until every one is ready."""
        env = dict(os.environ, LD_PRELOAD=self.args.shim)
        env["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"),
                                                  "verify_asan_link_order=0") if x)
        for c in range(max(self.args.channels)):
            line = Line(self.sel, self.args.devices)
            self.lines.append(line)
            for k, d in enumerate(line.devs):
                pts = self.points[c * self.args.devices + k]
                out = os.path.join(self.tmp, "sim-%d-%d.out" % (c, k))
                argv = [self.args.sim, "--serial", d[2], "--baud", "115200",
                        "--address", str(DEV_ADDR0 + k), "--master-address", str(GW_MASTER),
                        "--points", ",".join("%s=%d" % kv for kv in pts.items())]
                with open(out, "w") as f, open(out + ".err", "w") as e:
                    p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=f,
                                         stderr=e)
                self.sims.append((p, out))
        end = time.monotonic() + 60
        waiting = list(self.sims)
        while waiting:
            if time.monotonic() > end:
                raise SystemExit("%d dnp3sim not ready" % len(waiting))
            p, out = waiting[0]
            if p.poll() is not None:
                with open(out + ".err") as e:
                    raise SystemExit("dnp3sim exited %s: %s" % (p.returncode, e.read()))
            with open(out) as f:
                if any(json.loads(ln).get("event") == "ready" for ln in f if ln.strip()):
                    waiting.pop(0)
                    continue
            self.pump(0.02)

    def config(self, nch, period):
        chans, pts = [], {key: [] for key, _, _ in TYPES}
        nxt = {key: 0 for key, _, _ in TYPES}
        for c in range(nch):
            devs = []
            for k in range(self.args.devices):
                devs.append({"name": "d%d" % k, "address": DEV_ADDR0 + k,
                             "integrity_poll": 0.0, "class_polls": [period] * 3,
                             "unsolicited": False, "time_sync": "none"})
                counts = self.points[c * self.args.devices + k]
                for key, s, _ in TYPES:
                    if counts[s]:
                        pts[key].append({"index": nxt[key], "count": counts[s],
                                         "device": "ch%02d/d%d" % (c, k), "source_index": 0})
                        nxt[key] += counts[s]
            chans.append({"name": "ch%02d" % c,
                          "serial": {"device": self.lines[c].gw_path, "baud": 115200},
                          "master_address": GW_MASTER, "response_timeout": 2.0,
                          "devices": devs})
        total = sum(nxt.values())
        text = benchlib.config_text({
            "gateway": {"name": "scale", "log_level": "notice", "status_interval": 0.0},
            "outstations": [{"name": "scada", "listen": "127.0.0.1:%d" % dnp3.free_port(),
                             "address": UP_ADDR, "master_address": UP_MASTER}],
            "channels": chans,
            "points": {k: v for k, v in pts.items() if v},
        })
        return text, total

    def requests(self, nch):
        return sum(ln.requests for ln in self.lines[:nch])

    def run(self, nch, mode):
        a = self.args
        ndev = nch * a.devices
        text, total = self.config(nch, 1.0 if mode == "polling" else 0.0)
        tmp = os.path.join(self.tmp, "%d-%s" % (nch, mode))
        os.mkdir(tmp)
        gw = benchlib.Daemon(a.gwd, a.shim, text, tmp=tmp)
        try:
            t0 = time.monotonic()
            gw.start(self.pump, deadline=60)
            # every device online, then its startup integrity poll answered
            end = time.monotonic() + 90
            while gw.log_text().count(" is online") < ndev:
                if time.monotonic() > end or gw.proc.poll() is not None:
                    raise SystemExit("%d channels: %d of %d devices online; log:\n%s" % (
                        nch, gw.log_text().count(" is online"), ndev, gw.log_text()[-3000:]))
                self.pump_for(0.1)
            t_online = time.monotonic() - t0
            if mode == "idle":  # the lines quiet for a second
                while time.monotonic() - max(ln.last_rx for ln in self.lines[:nch]) < 1.0:
                    if time.monotonic() > end:
                        raise SystemExit("%d channels: the lines never went quiet" % nch)
                    self.pump_for(0.1)
            else:
                self.pump_for(2.0)
            r0 = self.requests(nch)
            u0 = benchlib.Usage(gw.pid)
            self.pump_for(a.window)
            du = benchlib.Usage(gw.pid) - u0
            reqs = (self.requests(nch) - r0) / du.t
            rss = benchlib.proc_status(gw.pid, "VmRSS")
            hwm = benchlib.proc_status(gw.pid, "VmHWM")
            calls = None
            st = benchlib.Strace(gw.pid).start()
            if st:
                s0, q0 = time.monotonic(), self.requests(nch)
                self.pump_for(a.strace_window)
                calls = st.stop()
                st_t, st_req = time.monotonic() - s0, self.requests(nch) - q0
            online = gw.log_text().count(" is online")
            offline = gw.log_text().count(" is offline")
            rc = gw.stop()
            if rc != 0:
                raise SystemExit("dnp3gwd exit status %s; log:\n%s" % (rc, gw.log_text()[-3000:]))
        finally:
            gw.close()
        res = {"channels": nch, "devices": ndev, "points": total, "mode": mode,
               "startup_s": t_online, "cpu_pct": du.cpu_pct(), "rss_mb": rss / 1024.0,
               "hwm_mb": hwm / 1024.0, "wake_s": du.wake / du.t, "req_s": reqs,
               "online": online, "offline": offline}
        if calls is not None:
            res["epoll_s"] = (calls.get("epoll_wait", 0) + calls.get("epoll_pwait", 0)) / st_t
            res["sys_s"] = sum(calls.values()) / st_t
            res["sys_req"] = sum(calls.values()) / st_req if st_req else None
            res["calls"] = {k: v / st_t for k, v in calls.items()}
        return res

    def close(self):
        for p, _ in self.sims:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p, out in self.sims:
            try:
                p.wait(timeout=benchlib.DEADLINE)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for ln in self.lines:
            ln.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def main():
    ap = benchlib.arg_parser()
    ap.add_argument("--sim", required=True)
    ap.add_argument("--channels", default="1,8,32",
                    type=lambda s: [int(x) for x in s.split(",")])
    ap.add_argument("--devices", type=int, default=8)
    ap.add_argument("--points", type=int, default=100000,
                    help="points mapped at the largest channel count")
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--strace-window", type=float, default=5.0)
    args = ap.parse_args()

    b = Bench(args)
    rows = []
    try:
        t0 = time.monotonic()
        b.start_sims()
        t_sims = time.monotonic() - t0
        for nch in args.channels:
            for mode in ("idle", "polling"):
                rows.append(b.run(nch, mode))
    finally:
        b.close()
    print("dnp3gwd scale benchmark: channels of %d multi-drop dnp3sim devices on pty pairs, "
          "%d points at %d channels; class 1, 2, 3 polls every 1 s when polling" %
          (args.devices, args.points, max(args.channels)))
    print("  (%d dnp3sim started in %.1f s; CPU from schedstat over %.0f s, wake-ups = "
          "voluntary context switches; epoll_wait and system calls from strace -c over %.0f s)"
          % (len(b.sims), t_sims, args.window, args.strace_window))
    hdr = ("%4s %4s %7s %-7s %5s %6s %7s %7s %8s %8s %8s %6s %7s %8s" %
           ("ch", "dev", "points", "mode", "up s", "CPU %", "RSS MB", "HWM MB", "wake/s",
            "epoll/s", "sysc/s", "req/s", "us/req", "sysc/req"))
    print(hdr)
    for r in rows:
        print("%4d %4d %7d %-7s %5.1f %6.2f %7.1f %7.1f %8.1f %8s %8s %6.0f %7s %8s" % (
            r["channels"], r["devices"], r["points"], r["mode"], r["startup_s"], r["cpu_pct"],
            r["rss_mb"], r["hwm_mb"], r["wake_s"],
            "%.1f" % r["epoll_s"] if "epoll_s" in r else "-",
            "%.0f" % r["sys_s"] if "sys_s" in r else "-", r["req_s"],
            "%.1f" % (r["cpu_pct"] * 1e4 / r["req_s"]) if r["req_s"] else "-",
            "%.2f" % r["sys_req"] if r.get("sys_req") else "-"))
    print("  up s: start to every device online (noisy); req/s: link frames the gateway wrote "
          "on the lines; us/req: daemon CPU per such frame; sysc/req: system calls per such "
          "frame (strace window; strace slows the daemon, so sysc/s and epoll/s there are "
          "lower bounds of the unstraced rates)")
    for r in rows:
        if r["offline"]:
            print("  NOTE: %d channels %s: %d 'is offline' records" %
                  (r["channels"], r["mode"], r["offline"]))
    base = {m: next((r for r in rows if r["mode"] == m), None) for m in ("idle", "polling")}
    print("  growth against %d channel(s):" % rows[0]["channels"])
    for r in rows:
        b0 = base[r["mode"]]
        if r is b0:
            continue

        def ratio(k):
            return ("x%.1f" % (r[k] / b0[k])) if b0.get(k) else "-"
        print("    %2d channels %-7s CPU %s, RSS %s, wake-ups %s, requests %s" % (
            r["channels"], r["mode"], ratio("cpu_pct"), ratio("rss_mb"), ratio("wake_s"),
            ratio("req_s")))
    for r in rows:
        if r.get("calls") and r["mode"] == "polling":
            top = sorted(r["calls"].items(), key=lambda kv: -kv[1])[:8]
            print("  system calls/s, %d channels polling: %s" % (
                r["channels"], ", ".join("%s %.0f" % kv for kv in top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
