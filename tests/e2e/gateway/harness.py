# SPDX-License-Identifier: MIT
"""Harness for the gateway end-to-end tests: the real dnp3gwd, dnp3sim and
dnp3poll binaries with generated configs, pty pairs made by socat, and the
scripted master of tests/e2e/dnp3.py on the upstream TCP side.

Every process is started with pipes or log files in one temp dir, every wait
has a deadline (no fixed sleeps), and close() kills every process it started
(by PID) and removes the temp dir, also when a test failed or the run was
interrupted (SIGTERM from meson's timeout becomes SystemExit).
"""

import argparse
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import dnp3  # noqa: E402
from dnp3 import Fail  # noqa: E402

DEADLINE = 10.0


def eq(what, got, want):
    if got != want:
        raise Fail("%s: got %r, expected %r" % (what, got, want))


def until(what, fn, timeout=DEADLINE, step=None):
    """Call fn() until it returns a true value; each call does its own blocking I/O
    (a poll round trip, a read with a timeout).  step: optional pause between tries
    for conditions with no I/O to block on."""
    end = time.monotonic() + timeout
    while True:
        r = fn()
        if r:
            return r
        if time.monotonic() > end:
            raise Fail("%s: not seen within %.1f s" % (what, timeout))
        if step:
            select.select([], [], [], step)


# -- libconfig text from python values ----------------------------------------

def _cfg_value(v, ind):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        s = repr(v)
        return s if ("." in s or "e" in s) else s + ".0"
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(v, dict):
        inner = "".join("%s  %s = %s;\n" % (ind, k, _cfg_value(x, ind + "  ")) for k, x in v.items())
        return "{\n%s%s}" % (inner, ind)
    if isinstance(v, (list, tuple)):
        if v and all(isinstance(x, dict) for x in v):
            return "(\n%s%s)" % ("".join("%s  %s%s\n" % (ind, _cfg_value(x, ind + "  "),
                                                         "," if k < len(v) - 1 else "")
                                          for k, x in enumerate(v)), ind)
        if not v:
            return "[ ]"
        return "[ %s ]" % ", ".join(_cfg_value(x, ind) for x in v)
    raise TypeError(v)


def with_state_dir(top, path):
    """top with gateway.state_directory = path unless it names one (a copy)."""
    top = dict(top)
    top["gateway"] = dict(top.get("gateway", {}))
    top["gateway"].setdefault("state_directory", path)
    return top


def config_text(top):
    """top: {"gateway": {...}, "outstations": [...], "channels": [...], "points": {...}}"""
    return "".join("%s = %s;\n" % (k, _cfg_value(v, "")) for k, v in top.items())


# -- processes ----------------------------------------------------------------

class Proc(dnp3.LineReader):
    """A child process: stdin pipe (optional), stdout as lines (JSON or text),
    stderr into a log file that can be waited on."""

    def __init__(self, h, name, argv, env=None, stdin=False, json_lines=True, stdout_file=False):
        self.h, self.name, self.argv = h, name, argv
        self.err_path = os.path.join(h.tmp, "%s-%d.log" % (name, len(h.procs)))
        self.err = open(self.err_path, "w")
        self.out_path = self.err_path + ".out" if stdout_file else None
        self.out = open(self.out_path, "w") if stdout_file else None
        self.json_lines = json_lines
        self.proc = subprocess.Popen(argv, env=env,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     stdout=self.out if stdout_file else subprocess.PIPE,
                                     stderr=self.err)
        h.procs.append(self)
        if not stdout_file:
            self._init_reader()
        else:
            self.obuf, self.lines = b"", []
        self.log_pos = 0
        self.stopped = None
        self.killed_on_purpose = False

    @property
    def pid(self):
        return self.proc.pid

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def stderr_text(self):
        return self.log()

    def drain(self, timeout=0.0):
        """Read whatever stdout has now (no waiting beyond timeout)."""
        self._read(timeout)
        while True:
            r, _, _ = select.select([self.proc.stdout], [], [], 0)
            if not r:
                return
            self._read(0)

    def log(self):
        self.err.flush()
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def wait_log(self, regex, timeout=DEADLINE, from_start=False):
        """A stderr line matching regex, written after the previous match."""
        rx = re.compile(regex)
        end = time.monotonic() + timeout
        while True:
            text = self.log()
            start = 0 if from_start else self.log_pos
            m = rx.search(text, start)
            if m:
                self.log_pos = m.end()
                return m
            if self.proc.poll() is not None:
                raise Fail("%s exited (%s) before /%s/; log:\n%s" %
                           (self.name, self.proc.returncode, regex, text[-3000:]))
            if time.monotonic() > end:
                raise Fail("%s: /%s/ not logged within %.1f s; log:\n%s" %
                           (self.name, regex, timeout, text[-3000:]))
            select.select([], [], [], 0.05)  # a log file cannot be polled for growth

    def kill(self):
        """SIGKILL (the IED dies) and reap."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=DEADLINE)
        self.stopped = "killed"
        self.killed_on_purpose = True

    def stop(self, sig=signal.SIGTERM, quit_cmd=None):
        """Ask it to stop (quit command or signal), SIGKILL after the deadline.
        Returns the exit status ("killed" when it had to be killed)."""
        if self.stopped is not None:
            return self.stopped
        rc = self.proc.poll()
        if rc is None:
            try:
                if quit_cmd and self.proc.stdin:
                    self.send(quit_cmd)
                else:
                    self.proc.send_signal(sig)
                rc = self.proc.wait(timeout=DEADLINE)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=DEADLINE)
                rc = "killed"
        self.stopped = rc
        return rc

    def close_files(self):
        for f in (self.proc.stdin, self.proc.stdout, self.out, self.err):
            if f:
                try:
                    f.close()
                except OSError:
                    pass


class Gateway(Proc):
    """dnp3gwd -c FILE, with NOTIFY_SOCKET pointing at our datagram socket (wrap: a
    command line to run it under, e.g. strace)."""

    def __init__(self, h, conf, extra_env=None, args=None, wrap=None):
        self.conf_path = os.path.join(h.tmp, "gw-%d.conf" % len(h.procs))
        # the event journals: this gateway's own directory unless the test names one
        self.state_dir = os.path.join(h.tmp, "state-%d" % len(h.procs))
        if isinstance(conf, dict):
            conf = with_state_dir(conf, self.state_dir)
            self.state_dir = conf["gateway"]["state_directory"]
        with open(self.conf_path, "w") as f:
            f.write(conf if isinstance(conf, str) else config_text(conf))
        self.notify_path = os.path.join(h.tmp, "notify-%d" % len(h.procs))
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        self.notes = []
        env = h.env(serial=True)
        env["NOTIFY_SOCKET"] = self.notify_path
        # its control socket (dnp3gwctl) in a directory of its own, not /run/dnp3gw
        self.run_dir = os.path.join(h.tmp, "run-%d" % len(h.procs))
        os.mkdir(self.run_dir)
        env["RUNTIME_DIRECTORY"] = self.run_dir
        self.control = os.path.join(self.run_dir, "control")
        env.pop("JOURNAL_STREAM", None)  # log to stderr, where we can read it
        env.update(extra_env or {})
        super().__init__(h, "dnp3gwd", (wrap or []) + [h.gwd, "-c", self.conf_path] +
                         (args or ["-l", "debug"]), env=env, json_lines=False, stdout_file=True)

    def wait_notify(self, key, timeout=DEADLINE):
        """The first sd_notify datagram with KEY=... (its value)."""
        end = time.monotonic() + timeout
        k = 0
        while True:
            for k2 in range(k, len(self.notes)):
                for ln in self.notes[k2].split("\n"):
                    if ln.startswith(key + "="):
                        self.notes = self.notes[k2 + 1:]
                        return ln[len(key) + 1:]
            k = len(self.notes)
            left = end - time.monotonic()
            if self.proc.poll() is not None:
                raise Fail("dnp3gwd exited (%s) before %s; log:\n%s" %
                           (self.proc.returncode, key, self.log()[-3000:]))
            if left <= 0:
                raise Fail("dnp3gwd: no %s= within %.1f s; log:\n%s" %
                           (key, timeout, self.log()[-3000:]))
            r, _, _ = select.select([self.notify], [], [], min(left, 0.2))
            if r:
                self.notes.append(self.notify.recv(4096).decode(errors="replace"))

    def close_files(self):
        super().close_files()
        self.notify.close()


class Harness:
    def __init__(self, args):
        self.args = args
        self.gwd, self.sim_path, self.poll_path = args.gwd, args.sim, args.poll
        self.dec, self.shim = args.dec, args.shim
        self.tmp = tempfile.mkdtemp(prefix="dnp3gw-e2e-")
        self.procs = []
        self.masters = []

    # environment for a process; serial=True preloads the pty shim
    def env(self, serial=False):
        e = dict(os.environ)
        if serial:
            e["LD_PRELOAD"] = self.shim
            # under -Db_sanitize the shim is preloaded ahead of the ASan runtime
            e["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"),
                                                    "verify_asan_link_order=0") if x)
        return e

    def port(self):
        return dnp3.free_port()

    def pty_pair(self, name):
        """socat pty pair; returns the two link paths (the symlinks socat made)."""
        a = os.path.join(self.tmp, name + "-a")
        b = os.path.join(self.tmp, name + "-b")
        p = Proc(self, "socat-" + name, ["socat", "-d", "-d", "pty,raw,echo=0,link=" + a,
                                          "pty,raw,echo=0,link=" + b],
                 json_lines=False, stdout_file=True)
        p.wait_log(r"starting data transfer loop")
        if not (os.path.islink(a) and os.path.islink(b)):
            raise Fail("socat made no links %s %s" % (a, b))
        return a, b

    def sim(self, args, serial=None, script=None):
        """dnp3sim --listen 127.0.0.1:PORT (serial=None) or --serial PATH; waits for "ready"."""
        argv = [self.sim_path]
        if serial:
            argv += ["--serial", serial, "--baud", "115200"]
        else:
            port = self.port()
            argv += ["--listen", "127.0.0.1:%d" % port]
        if script:
            path = os.path.join(self.tmp, "script-%d.txt" % len(self.procs))
            with open(path, "w") as f:
                f.write(script)
            argv += ["--script", path]
        s = Proc(self, "dnp3sim", argv + args, env=self.env(serial=bool(serial)), stdin=True)
        s.ready = s.wait(lambda j: j.get("event") == "ready", what="ready line")
        s.port = None if serial else s.ready["port"]
        return s

    def gateway(self, conf, **kw):
        g = Gateway(self, conf, **kw)
        g.wait_notify("READY")
        return g

    def master(self, port, local=1, remote=10):
        m = dnp3.Master(port, local=local, remote=remote)
        self.masters.append(m)
        return m

    def decode(self, apdus):
        return dnp3.decode(self.dec, apdus)

    def close(self):
        """Stop everything (gateways with SIGTERM, sims with quit, the rest with SIGTERM);
        returns a list of problems (nonzero exit status of a gateway or sim)."""
        problems = []
        for m in self.masters:
            try:
                m.close()
            except OSError:
                pass
        for p in reversed(self.procs):
            if p.name.startswith("socat"):
                continue
            rc = p.stop(quit_cmd="quit" if p.name == "dnp3sim" else None)
            if rc != 0 and not p.killed_on_purpose:
                problems.append("%s (pid %d) exit status %s; log:\n%s" %
                                (p.name, p.pid, rc, p.log()[-3000:]))
        for p in self.procs:
            if p.name.startswith("socat"):
                p.stop()
            p.close_files()
        self.procs = []
        self.masters = []
        return problems

    def remove(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- a process's resources, from /proc ------------------------------------------

def file_size(path):
    """The size of a file in bytes, 0 while it does not exist (e.g. a journal not yet made)."""
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def proc_rss_kb(pid):
    """VmRSS of a process in kB (/proc/PID/status)."""
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    raise Fail("no VmRSS for pid %d" % pid)


def proc_cpu_ticks(pid):
    """utime + stime of a process in clock ticks (/proc/PID/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        rest = f.read().rsplit(")", 1)[1].split()  # after "(comm)", which may hold spaces
    return int(rest[11]) + int(rest[12])


def _sock_table():
    """socket inode -> description, from /proc/net/{tcp,tcp6,udp,udp6,unix}."""
    states = {"01": "ESTABLISHED", "02": "SYN_SENT", "06": "TIME_WAIT", "07": "CLOSE",
              "08": "CLOSE_WAIT", "0A": "LISTEN"}

    def ep(hexep):
        a, p = hexep.split(":")
        port = int(p, 16)
        if len(a) == 8:
            return "%s:%d" % (socket.inet_ntoa(bytes.fromhex(a)[::-1]), port)
        return "[v6]:%d" % port
    out = {}
    for kind in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open("/proc/net/" + kind) as f:
                next(f)
                for ln in f:
                    w = ln.split()
                    out[w[9]] = "%s %s->%s %s" % (kind, ep(w[1]), ep(w[2]), states.get(w[3], w[3]))
        except OSError:
            pass
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for ln in f:
                w = ln.split()
                out[w[6]] = "unix %s" % (w[7] if len(w) > 7 else "")
    except OSError:
        pass
    return out


def proc_fds(pid):
    """The open file descriptors of a process: {fd: what it is} (sockets described from
    /proc/net: protocol, endpoints, state)."""
    d = "/proc/%d/fd" % pid
    socks = None
    out = {}
    for name in os.listdir(d):
        try:
            t = os.readlink(os.path.join(d, name))
        except OSError:
            continue  # closed while we looked
        if t.startswith("socket:["):
            if socks is None:
                socks = _sock_table()
            t = socks.get(t[8:-1], t)
        out[int(name)] = t
    return out


def proc_uses_asan(pid):
    """True when the process runs with the AddressSanitizer runtime mapped."""
    with open("/proc/%d/maps" % pid) as f:
        return "libasan" in f.read()


# -- DNP3 helpers the tests share -------------------------------------------------

def crobs(objs):
    """g12v1 qualifier 0x28 with several objects: [(index, code, count, on, off)]."""
    import struct
    out = bytes.fromhex("0c0128") + struct.pack("<H", len(objs))
    for index, code, count, on, off in objs:
        out += struct.pack("<HBBIIB", index, code, count, on, off, 0)
    return out


def ao(index, var, value):
    """g41v1 (int32), v2 (int16), v3 (float32) or v4 (double), qualifier 0x28, one object."""
    import struct
    fmt = {1: "<i", 2: "<h", 3: "<f", 4: "<d"}[var]
    return bytes([41, var, 0x28]) + struct.pack("<H", 1) + struct.pack("<H", index) + \
        struct.pack(fmt, value) + b"\x00"


def values(decoded, group, var=None):
    return dnp3.values(decoded, group, var)


def parse_args(tests, doc=None):
    """The gateway tests' command line: --gwd --sim --poll --dec --shim, then test names
    (none: all).  Returns (args, the tests of `tests` to run)."""
    ap = argparse.ArgumentParser(description=doc)
    for k in ("gwd", "sim", "poll", "dec", "shim"):
        ap.add_argument("--" + k, required=True)
    ap.add_argument("--ctl", help="dnp3gwctl (the tests that use it)")
    ap.add_argument("tests", nargs="*")
    args = ap.parse_args()
    return args, [t for t in tests if not args.tests or t.__name__ in args.tests]


def main(tests, doc=None):
    """The command line of a gateway test file (parse_args); runs them, returns the exit
    status."""
    args, chosen = parse_args(tests, doc)
    return run(chosen, args)


def run(tests, setup_args):
    """Run test groups: [(name, fn(h))]; each gets a fresh Harness; report and exit status."""
    passed = failed = 0

    def on_term(signum, frame):
        raise SystemExit("terminated by signal %d" % signum)
    signal.signal(signal.SIGTERM, on_term)
    for fn in tests:
        h = Harness(setup_args)
        ok = True
        t0 = time.monotonic()
        try:
            fn(h)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            ok = False
            print("FAIL %s: %s" % (fn.__name__, e))
            if not isinstance(e, Fail):
                import traceback
                traceback.print_exc()
        finally:
            probs = h.close()
            h.remove()
        for p in probs:
            ok = False
            print("FAIL %s: %s" % (fn.__name__, p))
        if ok:
            passed += 1
            print("ok   %s (%.1f s)" % (fn.__name__, time.monotonic() - t0))
        else:
            failed += 1
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
