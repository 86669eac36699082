#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: dnp3poll (the master stack over master_io) against dnp3sim,
on a serial line (a socat pty pair driven by the real libserialport through
the test shim, in both processes) and on loopback TCP.

Asserts, on both transports: integrity values, an event with the
simulator's timestamp to the millisecond, unsolicited events, SBO / DIRECT /
DIRECT_NR arriving at the simulator with the right function code (its JSON
lines), the simulator's failure status coming back as dnp3poll's result and
exit status.  Faults: the simulator killed -> offline within
timeout x (retries + 1) x comm_fail_after (+ slack), back -> online and an
integrity poll; the pty pair closed and recreated -> the channel reopens and
polling resumes; garbage and CRC-corrupted frames injected on the line ->
discarded, counted (dnp3poll --json link stats), polling continues.

Every wait is for a condition with a deadline; processes are killed by PID.

Usage: test_poll.py --poll PATH/dnp3poll --sim PATH/dnp3sim --shim PATH/libptyshim.so
"""

import argparse
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnp3  # noqa: E402
from dnp3 import Fail  # noqa: E402
from test_sim import SCRIPT  # noqa: E402  (the simulator's initial values)

DEADLINE = 10.0

# fault timing: response timeout, retries, comm_fail_after
T_OUT, RETRIES, COMM_FAIL = 0.4, 1, 2
SLACK = 1.5


def eq(what, got, want):
    if got != want:
        raise Fail("%s: got %r, expected %r" % (what, got, want))


def until(cond, what, timeout=DEADLINE):
    end = time.monotonic() + timeout
    while True:
        r = cond()
        if r:
            return r
        if time.monotonic() > end:
            raise Fail("timed out waiting for %s" % what)
        time.sleep(0.02)  # polling a file-system condition, with a deadline


class Poll:
    """dnp3poll --json as a child process: stdout JSON lines."""

    def __init__(self, path, args, tmpdir, env=None):
        self.err_path = os.path.join(tmpdir, "poll-%d.err" % id(self))
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen([path, "--json"] + args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.err, env=env)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.obuf = b""
        self.lines = []      # not yet consumed by wait()
        self.history = []    # every line
        self.eof = False
        self.stderr_final = None

    def _read(self, timeout):
        if self.eof:
            return False
        r, _, _ = select.select([self.proc.stdout], [], [], max(timeout, 0))
        if not r:
            return True
        d = self.proc.stdout.read()
        if not d:
            self.eof = True
            return False
        self.obuf += d
        while b"\n" in self.obuf:
            ln, self.obuf = self.obuf.split(b"\n", 1)
            j = json.loads(ln)
            self.lines.append(j)
            self.history.append(j)
        return True

    def wait(self, pred, what, timeout=DEADLINE):
        end = time.monotonic() + timeout
        while True:
            for k, j in enumerate(self.lines):
                if pred(j):
                    del self.lines[:k + 1]
                    return j
            left = end - time.monotonic()
            if left <= 0 or (self.eof and not self._read(0)):
                raise Fail("dnp3poll: no %s within %.1f s (exit %s); stderr:\n%s" %
                           (what, timeout, self.proc.poll(), self.stderr()))
            self._read(left)

    def wait_task(self, name, timeout=DEADLINE):
        return self.wait(lambda j: j.get("task") == name and j.get("ok"), name + " ok", timeout)

    def finish(self, timeout=DEADLINE):
        """Read to the end; returns the exit status."""
        end = time.monotonic() + timeout
        while not self.eof:
            if time.monotonic() > end:
                raise Fail("dnp3poll did not exit; stderr:\n%s" % self.stderr())
            self._read(end - time.monotonic())
        return self.proc.wait(timeout=DEADLINE)

    def stderr(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # by PID: prints the stats line
            try:
                self.finish()
            except Fail:
                self.proc.kill()
                self.proc.wait(timeout=DEADLINE)
        rc = self.proc.wait(timeout=DEADLINE)
        self.stderr_final = self.stderr()
        self.proc.stdout.close()
        self.err.close()
        os.unlink(self.err_path)
        return rc

    def stats(self):
        s = [j["stats"] for j in self.history if "stats" in j]
        if not s:
            raise Fail("no stats line")
        return s[-1]


class Serial:
    """A pty pair from socat: DIR/a for the simulator, DIR/b for dnp3poll."""

    def __init__(self, tmp):
        self.a = os.path.join(tmp, "a")
        self.b = os.path.join(tmp, "b")
        self.proc = None
        self.start()

    def start(self):
        self.log = open(os.path.join(os.path.dirname(self.a), "socat.log"), "w")
        self.proc = subprocess.Popen(["socat", "-d", "-d", "pty,raw,echo=0,link=" + self.a,
                                      "pty,raw,echo=0,link=" + self.b],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.log)
        # socat logs "starting data transfer loop" once both ends exist
        until(lambda: os.path.exists(self.a) and os.path.exists(self.b) and
              "starting data transfer loop" in open(self.log.name).read(), "socat pty pair")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # by PID; socat removes its links on SIGTERM
            self.proc.wait(timeout=DEADLINE)
        self.proc = None
        self.log.close()
        until(lambda: not os.path.lexists(self.a) and not os.path.lexists(self.b),
              "pty links gone")

    def inject(self, data):
        """Bytes on the line towards dnp3poll (written into the simulator's end)."""
        fd = os.open(self.a, os.O_WRONLY | os.O_NOCTTY)
        try:
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)


class Ctx:
    def __init__(self, args, tmp, serial):
        self.args, self.tmp, self.serial = args, tmp, serial
        self.procs = []
        self.polls = []
        self.line = None
        self.port = None
        asan = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"),
                                    "verify_asan_link_order=0") if x)
        self.env = dict(os.environ, LD_PRELOAD=args.shim, ASAN_OPTIONS=asan) if serial else None
        with open(os.path.join(tmp, "script.txt"), "w") as f:
            f.write(SCRIPT)
        if serial:
            self.line = Serial(tmp)
        else:
            self.port = dnp3.free_port()

    def sim(self, extra=()):
        where = (["--serial", self.line.a, "--baud", "115200"] if self.serial
                 else ["--listen", "127.0.0.1:%d" % self.port])
        s = dnp3.Sim(self.args.sim, where + ["--address", "10", "--master-address", "1",
                                             "--points", "bi=16,dbi=4,bo=4,cnt=4,fcnt=4,ai=8,ao=2",
                                             "--script", os.path.join(self.tmp, "script.txt")] +
                     list(extra), self.tmp, env=self.env)
        self.procs.append(s)
        return s

    def poll(self, extra=()):
        where = (["--serial", self.line.b, "--baud", "115200"] if self.serial
                 else ["--tcp", "127.0.0.1:%d" % self.port])
        p = Poll(self.args.poll, where + ["--address", "10", "--master-address", "1"] +
                 list(extra), self.tmp, env=self.env)
        self.polls.append(p)
        return p

    def close(self):
        ok = True
        msgs = []
        for p in self.polls:
            running = p.proc.poll() is None
            err = p.stderr() if not p.err.closed else ""
            rc = p.stop() if not p.proc.stdout.closed else p.proc.returncode
            err = err + (p.stderr_final or "")
            # stopped here with SIGTERM: a clean exit is 0; anything else (a sanitizer
            # report, a crash) fails the test, as does a sanitizer report on stderr
            if (running and rc != 0) or (rc is not None and rc < 0) or \
                    "Sanitizer" in err or "runtime error:" in err:
                ok = False
                msgs.append("dnp3poll exit status %s; stderr:\n%s" % (rc, err))
        for s in self.procs:
            if s.proc.poll() is not None and s.proc.returncode == -signal.SIGKILL:
                s.proc.stdout.close()
                s.proc.stdin.close()
                s.err.close()
                os.unlink(s.err_path)
                continue
            rc, err = s.stop()
            if rc != 0:
                ok = False
                msgs.append("dnp3sim exit status %s; stderr:\n%s" % (rc, err))
        if self.line:
            self.line.stop()
        return ok, msgs


def values(p, pred=lambda j: True):
    out = {}
    for j in p.history:
        if "type" in j and pred(j):
            out.setdefault((j["type"], j["index"]), []).append(j)
    return out


# ---- tests (each runs on serial and on TCP) ----

def t_integrity(c):
    c.sim()
    p = c.poll()
    eq("exit status", p.finish(), 0)
    st = {k: v[-1] for k, v in values(p, lambda j: not j["event"]).items()}
    eq("bi 3", (st[("binary_input", 3)]["value"], st[("binary_input", 3)]["flags_raw"]),
       (1, 0x81))
    eq("bi 3 flags", st[("binary_input", 3)]["flags"], ["ONLINE"])
    eq("dbi 0", st[("double_bit_input", 0)]["value"], 2)
    eq("bo 1", st[("binary_output", 1)]["value"], 1)
    eq("cnt 1", st[("counter", 1)]["value"], 42)
    eq("fcnt 0", st[("frozen_counter", 0)]["value"], 7)
    eq("ai 0", st[("analog_input", 0)]["value"], 12.5)
    eq("ai 1 flags", st[("analog_input", 1)]["flags"], ["ONLINE", "COMM_LOST"])
    eq("ao 0", st[("analog_output", 0)]["value"], 3.5)
    eq("static points", len(st), 16 + 4 + 4 + 4 + 4 + 8 + 2)
    eq("static device_time", any(j["device_time"] for j in st.values()), False)
    # the script's changes come as events of the integrity poll (class 1-3 first)
    ev = values(p, lambda j: j["event"])
    eq("event bi 3", ev[("binary_input", 3)][-1]["value"], 1)
    iin = [j for j in p.history if "iin" in j]
    if not iin or "DEVICE_RESTART" not in iin[0]["iin"]:
        raise Fail("first IIN should show DEVICE_RESTART: %r" % iin)
    eq("restart cleared", "DEVICE_RESTART" in iin[-1]["iin"], False)
    eq("no errors", p.stats()["failed"], 0)


def t_event_timestamp(c):
    s = c.sim()
    p = c.poll(["--follow", "--poll-class", "0.2"])
    p.wait_task("integrity_poll")
    s.send("ai 2 7.25 @1700000000123")
    j = p.wait(lambda j: j.get("type") == "analog_input" and j["index"] == 2 and j["event"],
               "ai 2 event")
    eq("event", (j["value"], j["time_ms"], j["device_time"], j["unsolicited"], j["time"]),
       (7.25, 1700000000123, True, False, "2023-11-14T22:13:20.123Z"))
    s.send("cnt 2 77 @1700000000456")
    j = p.wait(lambda j: j.get("type") == "counter" and j["index"] == 2 and j["event"],
               "cnt 2 event")
    eq("counter event", (j["value"], j["time_ms"]), (77, 1700000000456))


def t_unsolicited(c):
    s = c.sim(["--unsolicited"])
    p = c.poll(["--follow", "--unsolicited"])
    p.wait_task("integrity_poll")
    p.wait_task("enable_unsolicited")
    s.send("bi 5 1 @1700000000777")
    j = p.wait(lambda j: j.get("type") == "binary_input" and j["index"] == 5, "unsolicited bi 5")
    eq("unsolicited event", (j["value"], j["event"], j["unsolicited"], j["time_ms"],
                             j["device_time"]), (1, True, True, 1700000000777, True))


def control(c, s, args, want_funcs, want_rc):
    p = c.poll(args)
    rc = p.finish()
    res = [j for j in p.history if "control" in j]
    if len(res) != 1:
        raise Fail("%s: control lines %r; stderr:\n%s" % (args, res, p.stderr()))
    got = []
    for f in want_funcs:
        try:
            got.append(s.wait(lambda j: j["event"] == "command")["func"])
        except Fail as e:
            # which control, what dnp3poll made of it, what the simulator did see
            stats = [j["stats"] for j in p.history if "stats" in j]
            raise Fail("%s: no %s at the simulator (it saw %r); dnp3poll exit status %s, "
                       "result %s, stats %s, stderr:\n%s%s" %
                       (" ".join(args), f, got, rc, json.dumps(res[0]),
                        json.dumps(stats[-1] if stats else None), p.stderr(), e))
    eq("%s: functions at the simulator" % args, got, want_funcs)
    eq("%s: exit status" % args, rc, want_rc)
    return res[0]


def t_controls(c):
    s = c.sim()
    r = control(c, s, ["--crob", "0:LATCH_ON", "--sbo"], ["SELECT", "OPERATE"], 0)
    eq("sbo result", (r["ok"], r["objects"][0]["result"], r["objects"][0]["status"]),
       (True, "ok", "SUCCESS"))
    r = control(c, s, ["--crob", "1:PULSE_ON:2:300:200", "--direct"], ["DIRECT_OPERATE"], 0)
    eq("direct result", (r["ok"], r["objects"][0]["status"]), (True, "SUCCESS"))
    j = [ln for ln in s.lines if ln.get("event") == "command"]
    eq("no extra command lines", j, [])
    r = control(c, s, ["--ao", "0:42", "--direct-nr"], ["DIRECT_OPERATE_NR"], 0)
    eq("direct-nr result", (r["ok"], r["objects"][0]["result"]), (True, "sent"))
    # the simulator's failure statuses come back
    r = control(c, s, ["--crob", "2:LATCH_ON", "--direct"], ["DIRECT_OPERATE"], 1)
    eq("LOCAL", (r["ok"], r["objects"][0]["result"], r["objects"][0]["status"],
                 r["objects"][0]["status_code"]), (False, "ok", "LOCAL", 7))
    r = control(c, s, ["--ao", "1:2.5", "--sbo"], ["SELECT"], 1)
    eq("select refused", (r["ok"], r["objects"][0]["result"], r["objects"][0]["status"]),
       (False, "not_operated", "HARDWARE_ERROR"))


def fault_args():
    return ["--follow", "--poll-class", "0.3", "--timeout", str(T_OUT), "--retries",
            str(RETRIES), "--comm-fail", str(COMM_FAIL)]


def t_sim_killed(c):
    s = c.sim()
    p = c.poll(fault_args())
    p.wait_task("integrity_poll")
    p.wait_task("class3_poll")
    t0 = time.monotonic()
    s.proc.kill()  # by PID
    s.proc.wait(timeout=DEADLINE)
    p.wait(lambda j: j.get("state") == "offline", "offline")
    took = time.monotonic() - t0
    bound = T_OUT * (RETRIES + 1) * COMM_FAIL + 0.3 + SLACK
    if took > bound:
        raise Fail("offline after %.2f s, bound %.2f s" % (took, bound))
    c.sim()
    # serial: the next offline probe (5 s); TCP: the reconnect backoff (1 s, 2 s...)
    p.wait(lambda j: j.get("state") == "online", "online again", 15)
    p.wait_task("integrity_poll")
    p.wait_task("class1_poll")


def t_pty_recreated(c):
    c.sim()
    p = c.poll(fault_args())
    p.wait_task("integrity_poll")
    c.line.stop()
    # the channel closing takes the device offline at once, then the channel reports down
    p.wait(lambda j: j.get("state") == "offline", "offline")
    p.wait(lambda j: j.get("channel") == "down", "channel down")
    c.line.start()
    # both ends reopen with their stream backoff (1 s, 2 s, 4 s)
    p.wait(lambda j: j.get("channel") == "up", "channel up", 15)
    p.wait(lambda j: j.get("state") == "online", "online", 15)
    p.wait_task("integrity_poll")
    p.wait_task("class1_poll")


def t_line_noise(c):
    c.sim()
    p = c.poll(["--follow", "--poll-class", "1"])
    p.wait_task("integrity_poll")
    p.wait_task("class3_poll")
    # idle line until the next poll, 1 s away: inject
    garbage = bytes(range(0x80, 0xC0))                      # 64 bytes, no 0x05
    good = dnp3.link_frame(0x44, 1, 10, bytes.fromhex("c0c18100000102030405"))
    bad_hdr = bytearray(good)
    bad_hdr[8] ^= 0xFF                                       # header CRC
    bad_body = bytearray(good)
    bad_body[12] ^= 0x01                                     # user data: block CRC
    c.line.inject(garbage + bytes(bad_hdr[:10]) + bytes(bad_body))
    n = len(p.history)
    p.wait_task("class1_poll", 5)
    p.wait_task("class3_poll", 5)
    rc = p.stop()
    eq("exit status", rc, 0)
    st = p.stats()
    eq("header CRC errors", st["hdr_crc_errors"], 1)
    eq("body CRC errors", st["body_crc_errors"], 1)
    if st["bytes_discarded"] < len(garbage):
        raise Fail("bytes_discarded %d < %d" % (st["bytes_discarded"], len(garbage)))
    eq("failed transactions", st["failed"], 0)
    eq("states after the noise", [j for j in p.history[n:] if "state" in j], [])


BOTH = [t_integrity, t_event_timestamp, t_unsolicited, t_controls, t_sim_killed]
SERIAL_ONLY = [t_pty_recreated, t_line_noise]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--poll", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--only", help="run only tests whose name contains this")
    args = ap.parse_args()
    if not shutil.which("socat"):
        print("FAIL: socat not found")
        return 1
    passed = failed = 0
    runs = [(t, True) for t in BOTH + SERIAL_ONLY] + [(t, False) for t in BOTH]
    for t, serial in runs:
        name = "%s[%s]" % (t.__name__, "serial" if serial else "tcp")
        if args.only and args.only not in name:
            continue
        tmp = tempfile.mkdtemp(prefix="dnp3-poll-")
        ok = True
        c = None
        try:
            c = Ctx(args, tmp, serial)
            t(c)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            ok = False
            print("FAIL %s: %s" % (name, e))
            if not isinstance(e, Fail):
                traceback.print_exc()
        finally:
            if c:
                cok, msgs = c.close()
                if not cok:
                    ok = False
                    for m in msgs:
                        print("FAIL %s: %s" % (name, m))
            shutil.rmtree(tmp, ignore_errors=True)
        if ok:
            passed += 1
            print("ok   %s" % name)
        else:
            failed += 1
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
