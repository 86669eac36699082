#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The event journal: its disk fills up, then has room again; the CONFIRM barrier.

The real dnp3gwd with its state_directory on a small tmpfs of its own (mounted
by the test: it runs as root, as CI does; without the right to mount it fails,
never skips), one dnp3sim IED on TCP polled for class 1 every 0.2 s, and a scripted
SCADA master reading class 1 events.  Asserted, in order:

  1. persisting: an event reaches SCADA, and an event SCADA has not read yet
     is in the journal file (its ADD record, parsed here from the bytes);
  2. the tmpfs is filled: the daemon records DEGRADED exactly once, STATUS=
     starts with "DEGRADED: events not persisted", and every change of the
     IED still reaches SCADA with its value (availability wins: the IED's
     responses are confirmed without the journal);
  3. the filler is removed: within the retry period the daemon records
     "persisting again" by itself (once), STATUS= no longer says DEGRADED,
     and a new unread event is in the journal file again.

Also, under strace (when installed): every CONFIRM dnp3gwd writes to the IED for a
response carrying events comes after an fdatasync() that follows the read() of it.

Usage: test_persist_fault.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                             --shim libptyshim.so [TEST...]
"""

import errno
import os
import re
import signal
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)

OUT, SCADA, IED = 10, 1, 20
RETRY_S = 5.0               # EVSTORE_RETRY_MS
TMPFS = "size=256k"


def journal_events(path):
    """The live ADD records of a journal file (evjournal.h): [(type, index, value)]."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:8] != b"DNP3GWEV":
        raise Fail("%s: no journal header (%r)" % (path, b[:16]))
    off, adds, gone = 16, [], set()
    while off < len(b):
        kind = b[off]
        if kind == 1 and off + 31 <= len(b):
            seq, cls, typ, var, flags, index, src = struct.unpack_from("<IBBBBHH", b, off + 1)
            value = struct.unpack_from("<d", b, off + 19)[0]
            adds.append((seq, typ, index, value))
            off += 31
        elif kind == 2 and off + 13 <= len(b):
            first, count = struct.unpack_from("<II", b, off + 1)
            gone.update((first + k) & 0xffffffff for k in range(count))
            off += 13
        else:
            break
    return [(t, i, v) for s, t, i, v in adds if s not in gone]


class Reader:
    """SCADA: reads class 1 events, confirming each response; keeps (index, value) seen."""

    def __init__(self, h, m):
        self.h, self.m, self.seen = h, m, []

    def poll(self):
        apdus = self.m.transaction(dnp3.READ, dnp3.CLASS1)
        for idx, vs in sorted(harness.values(self.h.decode(apdus), 2).items()):
            for v in vs:
                self.seen.append((idx, v["value"]))

    def until(self, index, value, what, timeout=dnp3.DEADLINE):
        end = time.monotonic() + timeout
        while True:
            self.poll()
            if (index, value) in self.seen:
                self.seen = []
                return
            if time.monotonic() > end:
                raise Fail("%s: bi %d = %d never reached SCADA (saw %s)" %
                           (what, index, value, self.seen))
            time.sleep(0.1)


def wait_journal(path, want, what, timeout=dnp3.DEADLINE):
    end = time.monotonic() + timeout
    while True:
        got = journal_events(path) if os.path.exists(path) else []
        if want in got:
            return
        if time.monotonic() > end:
            raise Fail("%s: %s not in the journal %s (live records %s)" % (what, want, path, got))
        time.sleep(0.1)


def wait_status(gw, pred, what, timeout=dnp3.DEADLINE):
    end = time.monotonic() + timeout
    while True:
        st = gw.wait_notify("STATUS", timeout=max(end - time.monotonic(), 0.1))
        if pred(st):
            return st
        if time.monotonic() > end:
            raise Fail("STATUS= never %s (last %r)" % (what, st))


def fill(path):
    """Write path until the file system is full; returns the bytes written."""
    n = 0
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                n += f.write(b"\xff" * 4096)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
    return n


BURST = 50                  # changes of bi 0 sent at once
BURSTS = 20
DEGRADED_RX = re.compile(r"<warning> outstation scada: event journal \S+/scada\.events DEGRADED "
                         r"\([a-z ]+: No space left on device\): events are kept in memory only")


def burst_changes(ied, rd, k):
    """BURST changes of bi 0 (alternating); SCADA must see every one, in order."""
    first = k * BURST
    for i in range(BURST):
        ied.send("bi 0 %d" % ((first + i + 1) & 1))
    want = [(0, (first + i + 1) & 1) for i in range(BURST)]
    end = time.monotonic() + dnp3.DEADLINE
    while [e for e in rd.seen if e[0] == 0] != want:
        if time.monotonic() > end or len([e for e in rd.seen if e[0] == 0]) > BURST:
            raise Fail("burst %d: SCADA saw %s, expected %s" % (k, rd.seen, want))
        rd.poll()
        time.sleep(0.05)
    rd.seen = []


def t_full_disk(h):
    state = os.path.join(h.tmp, "state")
    os.makedirs(state)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", TMPFS, "tmpfs", state],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise Fail("cannot mount a tmpfs (scripts/test runs as root): %s" % r.stdout.strip())
    try:
        ied = h.sim(["--address", str(IED), "--master-address", str(SCADA), "--points", "bi=4"])
        up = h.port()
        conf = {"gateway": {"name": "persist-fault", "log_level": "info", "status_interval": 0.0,
                            "state_directory": state},
                "outstations": [{"name": "scada", "listen": "127.0.0.1:%d" % up,
                                 "address": OUT, "master_address": SCADA, "allow": [],
                                 "unsolicited": {"enabled": False},
                                 "events": {"class1": 1000, "class2": 100, "class3": 100,
                                            "persist": True}}],
                "channels": [{"name": "bay1", "master_address": SCADA, "response_timeout": 1.0,
                              "tcp": {"host": "127.0.0.1", "port": ied.port},
                              "devices": [{"name": "relay1", "address": IED,
                                           "class_polls": [0.2, 0.0, 0.0]}]}],
                "points": {"binary_inputs": [{"index": 0, "count": 4, "device": "bay1/relay1",
                                              "source_index": 0, "class": 1}]}}
        gw = h.gateway(conf, args=["-l", "info"])
        gw.wait_log(r"device bay1/relay1 \(address %d\) is online" % IED)
        journal = os.path.join(state, "scada.events")
        rd = Reader(h, h.master(up, local=SCADA, remote=OUT))

        # 1. persisting
        ied.send("bi 2 1")
        rd.until(2, 1, "persisting")
        ied.send("bi 3 1")       # not read by SCADA: in the journal
        wait_journal(journal, (1, 3, 1.0), "persisting")
        rd.until(3, 1, "persisting, read")

        # 2. the disk is full: degraded once, events still flow.  The journal's last page
        # has room for some records still: bursts of changes until one needs a new page.
        n = fill(os.path.join(state, "filler"))
        print("     tmpfs full after %d filler bytes" % n)
        degraded = None
        for burst in range(BURSTS):
            burst_changes(ied, rd, burst)
            degraded = DEGRADED_RX.search(gw.log())
            if degraded:
                print("     DEGRADED after %d bursts of %d changes" % (burst + 1, BURST))
                break
        if not degraded:
            raise Fail("no DEGRADED record after %d changes on a full disk; log:\n%s" %
                       (BURSTS * BURST, gw.log()[-3000:]))
        burst_changes(ied, rd, BURSTS)      # and every change goes on reaching SCADA
        wait_status(gw, lambda s: s.startswith("DEGRADED: events not persisted; persist-fault:"),
                    "DEGRADED")
        eq("DEGRADED records", gw.log().count("DEGRADED ("), 1)

        # 3. room again: it persists again by itself
        os.unlink(os.path.join(state, "filler"))
        gw.wait_log(r"<notice> outstation scada: event journal \S+/scada\.events persisting "
                    r"again", timeout=RETRY_S + dnp3.DEADLINE)
        wait_status(gw, lambda s: s.startswith("persist-fault:"), "back to normal")
        ied.send("bi 1 1")       # not read by SCADA: in the journal again
        wait_journal(journal, (1, 1, 1.0), "resumed")
        rd.until(1, 1, "resumed, read")
        log = gw.log()
        eq("DEGRADED records", log.count("DEGRADED ("), 1)
        eq("persisting-again records", log.count("persisting again"), 1)
    finally:
        subprocess.run(["umount", "-l", state], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


SYSCALL_RX = re.compile(r'^\d+\s+(read|write|sendto|recvfrom)\((\d+), "((?:\\x[0-9a-f]{2})*)"'
                        r'.*\) = (-?\d+)')
FDATASYNC_RX = re.compile(r"^\d+\s+fdatasync\((\d+)\)\s+= 0")


def link_user_data(b):
    """The user data of each link frame in b (CRCs dropped, not checked)."""
    out, i = [], 0
    while i + 10 <= len(b):
        if b[i] != 0x05 or b[i + 1] != 0x64:
            i += 1
            continue
        n = b[i + 2] - 5
        data, j = b"", i + 10
        while n > 0 and j < len(b):
            k = min(n, 16)
            data += b[j:j + k]
            j += k + 2
            n -= k
        out.append(data)
        i = j
    return out


def t_confirm_after_sync(h):
    """dnp3gwd under strace: every CONFIRM it writes to the IED for a response carrying
    events comes after an fdatasync() of the journal that follows the read() that brought
    the response (the CONFIRM barrier with group commit, seen from the system calls)."""
    if subprocess.run(["strace", "-V"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        raise Fail("no strace (scripts/deps installs it)")
    ied = h.sim(["--address", str(IED), "--master-address", str(SCADA), "--points", "bi=4"])
    up = h.port()
    trace = os.path.join(h.tmp, "strace.txt")
    conf = {"gateway": {"name": "persist-sync", "log_level": "info", "status_interval": 0.0},
            "outstations": [{"name": "scada", "listen": "127.0.0.1:%d" % up, "address": OUT,
                             "master_address": SCADA, "allow": []}],
            "channels": [{"name": "bay1", "master_address": SCADA, "response_timeout": 1.0,
                          "tcp": {"host": "127.0.0.1", "port": ied.port},
                          "devices": [{"name": "relay1", "address": IED,
                                       "class_polls": [0.2, 0.0, 0.0]}]}],
            "points": {"binary_inputs": [{"index": 0, "count": 4, "device": "bay1/relay1",
                                          "source_index": 0, "class": 1}]}}
    # LeakSanitizer cannot run under ptrace (an ASan build would abort at exit)
    asan = h.env(serial=True)["ASAN_OPTIONS"] + ":detect_leaks=0"
    gw = harness.Gateway(h, conf, args=["-l", "info"], extra_env={"ASAN_OPTIONS": asan},
                         wrap=["strace", "-f", "-qq", "-xx", "-s", "4096", "-o", trace,
                               "-e", "trace=read,write,sendto,recvfrom,fdatasync",
                               "-e", "signal=none"])
    gw.wait_notify("READY")
    gw.wait_log(r"device bay1/relay1 \(address %d\) is online" % IED)
    journal = os.path.join(gw.state_dir, "scada.events")
    for k in range(5):
        ied.send("bi %d 1" % (k % 4) if k < 4 else "bi 0 0")
        wait_journal(journal, (1, k % 4, 1.0 if k < 4 else 0.0), "change %d" % k)
    # stop dnp3gwd itself (strace's child), by PID; strace ends with it
    with open("/proc/%d/task/%d/children" % (gw.pid, gw.pid)) as f:
        child = int(f.read().split()[0])
    os.kill(child, signal.SIGTERM)
    gw.proc.wait(timeout=dnp3.DEADLINE)
    # per fd: the last read of a response with events; syncs since then
    pending, checked = {}, 0
    with open(trace) as f:
        for ln in f:
            m = FDATASYNC_RX.match(ln)
            if m:
                for fd in pending:
                    pending[fd] = True
                continue
            m = SYSCALL_RX.match(ln)
            if not m or int(m.group(4)) <= 0:
                continue
            call, fd = m.group(1), int(m.group(2))
            b = bytes.fromhex(m.group(3).replace("\\x", ""))[:int(m.group(4))]
            for ud in link_user_data(b):
                if len(ud) < 3:
                    continue
                func = ud[2]
                if call in ("read", "recvfrom") and func == dnp3.RESPONSE and \
                        len(ud) >= 6 and ud[5] == 2 and ud[1] & 0x20:
                    pending[fd] = False         # binary input events, CON asked
                elif call in ("write", "sendto") and func == 0 and fd in pending:
                    if not pending.pop(fd):
                        raise Fail("CONFIRM written on fd %d before the journal's "
                                   "fdatasync: %s" % (fd, ln.strip()))
                    checked += 1
    print("     %d CONFIRMs of event responses, each after an fdatasync" % checked)
    if checked < 1:
        raise Fail("no CONFIRM of a response with events in the trace %s" % trace)


TESTS = [t_full_disk, t_confirm_after_sync]


if __name__ == "__main__":
    sys.exit(harness.main(TESTS))
