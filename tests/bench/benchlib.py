# SPDX-License-Identifier: MIT
"""What the daemon benchmarks share (they print figures and assert nothing about speed):
dnp3gwd started on a generated config with the pty shim preloaded and its READY=1 awaited,
its CPU time, context switches and memory from /proc, its system calls counted by
`strace -c -f -p`, and the IED side of a pty that answers every request with an empty
response.

The figures that contention on a shared machine barely changes are CPU time
(/proc/PID/task/*/schedstat: nanoseconds on a CPU; utime+stime in clock ticks beside it),
system call counts and voluntary context switches (the process went to sleep and was
woken: a wake-up).  Wall times are printed as noisy.
"""

import argparse
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
_here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_here, "..", "e2e"))
sys.path.insert(0, os.path.join(_here, "..", "e2e", "gateway"))
import dnp3  # noqa: E402
from harness import config_text, proc_cpu_ticks, proc_rss_kb  # noqa: E402,F401

DEADLINE = 20.0


def proc_status(pid, key):
    """A field of /proc/PID/status in its unit (kB for Vm*), None when absent."""
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1])
    return None


def _tasks(pid):
    return os.listdir("/proc/%d/task" % pid)


def proc_cpu_ns(pid):
    """CPU time of all threads in ns (/proc/PID/task/TID/schedstat, first field)."""
    total = 0
    for tid in _tasks(pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
            total += int(f.read().split()[0])
    return total


def ctx_switches(pid):
    """Voluntary context switches of all threads: the times the process slept and woke."""
    total = 0
    for tid in _tasks(pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
            for ln in f:
                if ln.startswith("voluntary_ctxt_switches:"):
                    total += int(ln.split()[1])
    return total


class Usage:
    """A snapshot of a process's CPU (ns and ticks) and wake-ups; b - a is the delta."""

    hz = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid):
        self.t = time.monotonic()
        self.ns = proc_cpu_ns(pid)
        self.ticks = proc_cpu_ticks(pid)
        self.wake = ctx_switches(pid)

    def __sub__(self, a):
        d = Usage.__new__(Usage)
        d.t, d.ns, d.ticks, d.wake = self.t - a.t, self.ns - a.ns, self.ticks - a.ticks, \
            self.wake - a.wake
        return d

    def cpu_pct(self):
        return 100.0 * self.ns / 1e9 / self.t if self.t > 0 else 0.0


def arg_parser():
    """The benchmarks' command line: --gwd and --shim (required), then each one's own."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--gwd", required=True, help="dnp3gwd")
    ap.add_argument("--shim", required=True, help="libptyshim.so (pty as a serial port)")
    return ap


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


class Strace:
    """`strace -c -f -p PID` for a window: start() returns once strace has attached,
    stop() returns {syscall: calls}.  None from start() when strace is not installed."""

    def __init__(self, pid):
        self.pid = pid
        self.proc = None

    def start(self):
        path = shutil.which("strace")
        if not path:
            return None
        self.proc = subprocess.Popen([path, "-c", "-f", "-p", str(self.pid)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        buf = b""
        end = time.monotonic() + DEADLINE
        fd = self.proc.stderr.fileno()
        while b"attached" not in buf:
            left = end - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise SystemExit("strace did not attach to %d: %s" % (self.pid, buf.decode()))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                buf += os.read(fd, 4096)
        self.head = buf
        return self

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=DEADLINE)
        calls = {}
        for ln in (self.head + err).decode(errors="replace").splitlines():
            w = ln.split()
            if len(w) >= 5 and w[0][0].isdigit() and w[-1] != "total" and w[3].isdigit():
                calls[w[-1]] = calls.get(w[-1], 0) + int(w[3])
        return calls


def syscall_lines(calls, per, unit):
    """Rows 'name  calls  calls/unit', most frequent first, and the total per unit."""
    rows = sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))
    out = ["      %-18s %8d  %7.2f /%s" % (k, v, v / per, unit) for k, v in rows]
    return out, sum(calls.values()) / per


class Daemon:
    """dnp3gwd -c CONF (text) in a temp dir, the pty shim preloaded, logging to a file;
    start() waits for READY=1 calling pump() meanwhile (e.g. to answer its serial port)."""

    def __init__(self, gwd, shim, conf, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="dnp3gw-bench-")
        self.own_tmp = tmp is None
        self.conf_path = os.path.join(self.tmp, "bench.conf")
        # the event journals in the temp dir unless the configuration names a directory
        self.state_dir = os.path.join(self.tmp, "state")
        if "state_directory" not in conf:
            if "gateway = {" not in conf:
                raise ValueError("a benchmark configuration without a gateway group")
            conf = conf.replace("gateway = {",
                                'gateway = { state_directory = "%s";' % self.state_dir, 1)
        with open(self.conf_path, "w") as f:
            f.write(conf)
        self.log_path = os.path.join(self.tmp, "dnp3gwd.log")
        self.gwd, self.shim = gwd, shim
        self.proc = None
        self.notify = None

    def start(self, pump=lambda: None, deadline=DEADLINE):
        npath = os.path.join(self.tmp, "notify")
        if os.path.exists(npath):
            os.unlink(npath)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(npath)
        env = dict(os.environ, LD_PRELOAD=self.shim, NOTIFY_SOCKET=npath,
                   RUNTIME_DIRECTORY=self.tmp)  # the control socket, not in /run/dnp3gw
        env["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"),
                                                  "verify_asan_link_order=0") if x)
        env.pop("JOURNAL_STREAM", None)
        self.log = open(self.log_path, "w")
        t0 = time.monotonic()
        self.proc = subprocess.Popen([self.gwd, "-c", self.conf_path], env=env, stdout=self.log,
                                     stderr=self.log, stdin=subprocess.DEVNULL)
        # systemd reads every notification: so does this thread, or sd_notify() would block
        # the daemon once the socket's queue is full
        self.notes = []
        self.reader = threading.Thread(target=self._read_notify, daemon=True)
        self.reader.start()
        while not self.ready:
            if time.monotonic() - t0 > deadline or self.proc.poll() is not None:
                raise SystemExit("dnp3gwd did not become ready (exit %s): %s" %
                                 (self.proc.poll(), self.log_text()[-3000:]))
            time.sleep(0.02)
            pump()
        self.t_ready = time.monotonic() - t0
        return self

    def _read_notify(self):
        while True:
            try:
                d = self.notify.recv(4096).decode(errors="replace")
            except OSError:
                return
            if not d:  # shut down by close()
                return
            self.notes.append(d)

    @property
    def ready(self):
        return any("READY=1" in n.split("\n") for n in self.notes)

    def status(self):
        """The last STATUS= the daemon sent."""
        for n in reversed(self.notes):
            for ln in n.split("\n"):
                if ln.startswith("STATUS="):
                    return ln[7:]
        return ""

    @property
    def pid(self):
        return self.proc.pid

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM; the exit status (SIGKILL after the deadline: 'killed')."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed"

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.notify:
            self.notify.shutdown(socket.SHUT_RDWR)
            self.notify.close()
        if self.own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


class Ied:
    """The IED side of a pty: link frames in (via dnp3.Master's scanner), every request
    answered with an empty response (confirms dropped), raw responses out."""

    def __init__(self, fd, addr, master):
        self.fd = fd
        self.addr, self.master = addr, master
        self.rx = dnp3.Master(None, fd=fd, local=addr, remote=master)
        self.tseq = 0
        self.requests = {}

    def send_apdu(self, apdu):
        out = b""
        chunks = [apdu[i:i + 249] for i in range(0, len(apdu), 249)]
        for i, ch in enumerate(chunks):
            th = (0x40 if i == 0 else 0) | (0x80 if i == len(chunks) - 1 else 0) | self.tseq
            self.tseq = (self.tseq + 1) & 0x3F
            # DIR=0 (from an outstation), PRM=1, UNCONFIRMED_USER_DATA
            out += dnp3.link_frame(0x44, self.master, self.addr, bytes([th]) + ch)
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


def raw_pty():
    """A pty pair in raw mode: (master fd, non-blocking; slave fd, kept open; slave path)."""
    import tty
    mfd, sfd = os.openpty()
    tty.setraw(mfd)
    tty.setraw(sfd)
    os.set_blocking(mfd, False)
    return mfd, sfd, os.ttyname(sfd)
