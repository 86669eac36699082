#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fault test: hostile peers on both sides of the real dnp3gwd.

Two scenarios, each with its own gateway:

 t_hostile_ieds     downstream, scripted hostile IEDs (one on a TCP channel the gateway
                    connects to, answering for two link addresses; one on a serial line,
                    a socat pty pair, with the confirmed link service) answer the
                    gateway's polls with crafted and mutated responses and send
                    unsolicited junk: every function code, qualifier and group/variation,
                    huge ranges and counts, link abuse (bad CRCs, lying lengths, wrong
                    DIR, undefined link functions, FCV/FCB games, confirmed data without
                    a reset), transport abuse (FIR/FIN/sequence games, over-long
                    fragments), stalls and dropped connections.
 t_hostile_masters  upstream, a hostile SCADA master sends the same classes of abuse as
                    requests; a connection storm hits an outstation (each connection
                    replaces the last) and one whose allow list refuses loopback; a
                    master sends integrity polls and never reads its socket.

Throughout, a well-behaved master (tests/e2e/dnp3.py) on its own outstation polls
class 0123 and must get a correct answer to every poll within POLL_DEADLINE, and a
well-behaved dnp3sim IED on its own channel counts an analog input up, every value an
event that must reach that master exactly once, in order, with the IED's time, within
EVENT_DEADLINE.

Before and after the hostile run the hostile peers are put in a quiet state (hostile
IEDs answer honestly and are online, hostile masters are gone) and the daemon's
resources are taken from /proc: after a warm-up round of the same abuse (so every
buffer and allocator arena has been grown once) the open file descriptors are the
baseline, and after the run they must be exactly as many; the RSS must be within
RSS_SLACK_KB of the baseline (plain build; under ASan the quarantine makes RSS grow by
design and LeakSanitizer at the clean exit checks leaks instead); and over 2 s of
idleness the daemon must use at most IDLE_TICKS clock ticks of CPU (no spin).

Everything random comes from a seeded PRNG: the seed is printed and
DNP3GW_HOSTILE_SEED=N repeats it (thread interleaving still varies).  Each hostile
phase lasts DNP3GW_HOSTILE_SECONDS (default 30) after a warm-up of
DNP3GW_HOSTILE_WARMUP (default 5).  On failure the last bytes each hostile peer sent
are printed, to make a reproducer, with the daemon's log and, when it is still alive,
its CPU use, kernel wait channel, fds and a gdb backtrace.  To isolate a failure:
DNP3GW_HOSTILE_ONLY=hostile-master,storm,never-reader (a subset of the hostile masters'
actors), DNP3GW_HOSTILE_KEEP_LOG=DIR (the daemon's log is copied there).

The test reads the daemon's NOTIFY_SOCKET all the time, as systemd does: the daemon
sends STATUS= on every change of its connection counts and blocks in sendmsg() when
that socket is full (net.unix.max_dgram_qlen datagrams, often 10).

Usage: test_hostile.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                       --shim libptyshim.so [TEST...]
"""

import collections
import os
import random
import select
import socket
import struct
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq, until, values  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)

SECONDS = float(os.environ.get("DNP3GW_HOSTILE_SECONDS", "30"))
WARMUP = float(os.environ.get("DNP3GW_HOSTILE_WARMUP", "5"))
SEED = int(os.environ["DNP3GW_HOSTILE_SEED"]) if os.environ.get("DNP3GW_HOSTILE_SEED") \
    else int.from_bytes(os.urandom(4), "little")

# The well-behaved master's deadlines.  Everything shares 2 loaded cores with the
# hostile peers (python) and, in CI, other jobs; a healthy run answers in milliseconds.
POLL_DEADLINE = 3.0          # request sent -> last fragment of the response received
EVENT_DEADLINE = 6.0         # value set at the IED -> its event received upstream
# Resource bounds after the run.  RSS: a correct daemon ends within a few pages of the
# baseline (its buffers are preallocated or reused; seen: +0 to +128 kB over 30 s); one
# leaked output buffer of a blocked connection (high water 256 kB) twice, or 100 bytes
# per storm connection (about 5 000 in 30 s), goes past the slack.  fds: exactly equal.
RSS_SLACK_KB = 512
STORM_RATE = 150.0           # connections per second, on average
STORM_MAX = 20000            # connections per storm actor, at most
IDLE_WINDOW = 2.0
IDLE_TICKS = 10              # of CLK_TCK (100/s): 0.1 s CPU in 2 s; a spin takes ~200


# -- addresses --------------------------------------------------------------------
GW_MASTER = 2                # the gateway's master address on every channel
SCADA = 1                    # every upstream master's address
OUT_GOOD, OUT_HOSTILE, OUT_STORM, OUT_CLOSED, OUT_SLOW = 10, 11, 12, 13, 14
GOOD_IED = 1
H_TCP = (20, 21)             # the TCP hostile IED answers for two devices (multi-drop)
H_SER = 30                   # the serial hostile IED

ONLINE, COMM_LOST = 0x01, 0x04
IIN_RESTART = 0x0080         # IIN1.7 (Apdu.iin: IIN1 in the low byte)
IIN_BAD_REQ = 0x0700         # IIN2.0 no func, 2.1 object unknown, 2.2 parameter error

# the good IED: fixed values; ai 0 counts up (every value an event with a scripted time)
GOOD_SCRIPT = """\
bi 0 1
bi 3 1
bi 6 1
ai 1 12.5
ai 2 -3.25
ai 3 1000
cnt 0 42
"""
GOOD_BI = {0: 1, 1: 0, 2: 0, 3: 1, 4: 0, 5: 0, 6: 1, 7: 0}
GOOD_AI = {1: 12.5, 2: -3.25, 3: 1000.0}
T0 = 1700000000000           # ai 0 value n carries time T0 + n ms


# =================================================================================
# Wire builders (outstation -> master frames have DIR = 0, master -> outstation DIR = 1)
# =================================================================================

LINGER_RST = struct.pack("ii", 1, 0)      # SO_LINGER {on, 0 s}: close() sends RST


def poll_apdu(seq):
    """READ class 1, 2, 3, 0 (an integrity poll) with application sequence seq."""
    return bytes([0xC0 | (seq & 0x0F), dnp3.READ]) + dnp3.CLASS0123


def random_bytes(r, n):
    return bytes(r.randrange(256) for _ in range(n))


def frame(ctrl, dest, src, user=b""):
    return dnp3.link_frame(ctrl, dest, src, user)


def segments(apdu, seq, size=249):
    """Transport segments of an APDU; returns (segments, next sequence)."""
    chunks = [apdu[i:i + size] for i in range(0, len(apdu), size)] or [b""]
    out = []
    for i, ch in enumerate(chunks):
        th = (0x40 if i == 0 else 0) | (0x80 if i == len(chunks) - 1 else 0) | ((seq + i) & 0x3F)
        out.append(bytes([th]) + ch)
    return out, (seq + len(chunks)) & 0x3F


def user_frames(ctrl, dest, src, apdu, seq):
    segs, seq = segments(apdu, seq)
    return b"".join(frame(ctrl, dest, src, s) for s in segs), seq


def corrupt_frame(r, f):
    """One kind of link damage to a well-formed frame."""
    f = bytearray(f)
    k = r.randrange(7)
    if k == 0:                                  # header CRC
        f[8 + r.randrange(2)] ^= 1 << r.randrange(8)
    elif k == 1 and len(f) > 12:                # a data block's CRC or data
        f[r.randrange(10, len(f))] ^= 1 << r.randrange(8)
    elif k == 2:                                # a length that lies, with a good header CRC
        f[2] = r.choice([0, 1, 4, 5, 6, 0x20, 0xFF, r.randrange(256)])
        f[8:10] = struct.pack("<H", dnp3.crc16(bytes(f[:8])))
    elif k == 3:                                # cut short
        f = f[:r.randrange(1, len(f))]
    elif k == 4:                                # garbage appended / prepended
        junk = random_bytes(r, r.randrange(1, 40))
        f = bytearray(junk) + f if r.random() < 0.5 else f + junk
    elif k == 5:                                # the start bytes damaged
        f[r.randrange(2)] ^= 0xFF
    else:                                       # a byte dropped from the middle
        if len(f) > 3:
            del f[r.randrange(1, len(f) - 1)]
    return bytes(f)


def garbage(r):
    """Line noise, with plenty of false frame starts."""
    out = bytearray()
    for _ in range(r.randrange(1, 12)):
        if r.random() < 0.4:
            out += b"\x05\x64" + random_bytes(r, r.randrange(0, 12))
        else:
            out += random_bytes(r, r.randrange(1, 30))
    return bytes(out)


# object sizes in bytes per (group, variation); packed bit groups are handled apart
SIZES = {
    (1, 2): 1, (2, 1): 1, (2, 2): 7, (2, 3): 3, (3, 2): 1, (4, 1): 1, (4, 2): 7, (4, 3): 3,
    (10, 2): 1, (11, 1): 1, (11, 2): 7, (12, 1): 11, (13, 1): 1, (13, 2): 7,
    (20, 1): 5, (20, 2): 3, (20, 5): 4, (20, 6): 2,
    (21, 1): 5, (21, 2): 3, (21, 5): 11, (21, 6): 9, (21, 9): 4, (21, 10): 2,
    (22, 1): 5, (22, 2): 3, (22, 5): 11, (22, 6): 9,
    (23, 1): 5, (23, 2): 3, (23, 5): 11, (23, 6): 9,
    (30, 1): 5, (30, 2): 3, (30, 3): 4, (30, 4): 2, (30, 5): 5, (30, 6): 9,
    (32, 1): 5, (32, 2): 3, (32, 3): 11, (32, 4): 9,
    (32, 5): 5, (32, 6): 9, (32, 7): 11, (32, 8): 15,
    (40, 1): 5, (40, 2): 3, (40, 3): 5, (40, 4): 9, (41, 1): 5, (41, 2): 3, (41, 3): 5, (41, 4): 9,
    (42, 1): 5, (42, 2): 3, (42, 3): 11, (42, 4): 9,
    (42, 5): 5, (42, 6): 9, (42, 7): 11, (42, 8): 15,
    (50, 1): 6, (50, 3): 6, (51, 1): 6, (51, 2): 6, (52, 1): 2, (52, 2): 2,
}
PACKED = {(1, 1): 1, (10, 1): 1, (80, 1): 1, (3, 1): 2}   # bits per point
EVENT_GROUPS = {2, 4, 11, 13, 22, 23, 32, 42, 43}
KNOWN_GV = sorted(SIZES) + sorted(PACKED)
QUALIFIERS = [0x00, 0x01, 0x02, 0x06, 0x07, 0x08, 0x09, 0x17, 0x28, 0x39, 0x5B,
              0x03, 0x04, 0x05, 0x0A, 0x0B, 0x10, 0x18, 0x19, 0x27, 0x29, 0x38, 0x49, 0x6B, 0x70]


def obj_value(r, g, v):
    """Well-formed object data for (g, v), including NaN/inf floats, odd flags and times
    at the ends of the 48-bit range."""
    n = SIZES[(g, v)]
    flags = r.choice([0x01, 0x81, 0x00, 0xFF, 0x05, 0x21, r.randrange(256)])
    body = bytearray(random_bytes(r, n))
    body[0] = flags
    if g in (30, 32, 40, 42) and v in (5, 7) or (g == 41 and v == 3):
        fv = r.choice([0.0, -1.5, 3.4e38, float("inf"), float("-inf"), float("nan"),
                       r.uniform(-1e6, 1e6)])
        off = 0 if g == 41 else 1
        body[off:off + 4] = struct.pack("<f", fv)
    if n >= 7 and g in EVENT_GROUPS and v in (2, 3, 5, 7, 8):
        t = r.choice([0, 1, 0xFFFFFFFFFFFF, T0, r.randrange(1 << 48)])
        body[n - 6:n] = struct.pack("<Q", t)[:6]
    return bytes(body)


def obj_header(r, g=None, v=None, q=None, n=None, data=True, huge=None):
    """One object header (with data when asked), mostly of known shapes.  huge: a range or
    count far beyond any buffer, with only a few bytes of data behind it."""
    if g is None:
        if r.random() < 0.85:
            g, v = r.choice(KNOWN_GV)
        else:
            g, v = r.randrange(256), r.randrange(256)
    if v is None:
        v = r.randrange(256)
    if q is None:
        if (g, v) in SIZES and g in EVENT_GROUPS:
            q = r.choice([0x17, 0x28, 0x28, 0x39, 0x07, 0x08] + QUALIFIERS[:6])
        elif (g, v) in SIZES or (g, v) in PACKED:
            q = r.choice([0x00, 0x01, 0x01, 0x17, 0x28, 0x07, 0x06] + QUALIFIERS[:4])
        else:
            q = r.choice(QUALIFIERS + [r.randrange(256)])
    if huge is None:
        huge = r.random() < 0.08
    if n is None:
        n = r.choice([1, 1, 2, 3, 4, 8, 16, r.randrange(0, 40)])
    rc, pc = q & 0x0F, (q >> 4) & 0x07
    out = bytearray([g, v, q])
    start = r.choice([0, 0, 1, 3, 7, 100, r.randrange(0, 300)])
    if rc == 0:
        if huge:
            start, n = 0, 256
        out += bytes([start & 0xFF, (start + n - 1) & 0xFF]) if not huge else b"\x00\xff"
    elif rc == 1:
        if huge:
            out += struct.pack("<HH", *r.choice([(0, 0xFFFF), (0xFFFF, 0), (1, 0xFFFE)]))
        else:
            out += struct.pack("<HH", start & 0xFFFF, (start + n - 1) & 0xFFFF)
    elif rc == 2:
        if huge:
            out += struct.pack("<II", *r.choice([(0, 0xFFFFFFFF), (0xFFFFFFFF, 0),
                                                  (0xFFFFFFFE, 0xFFFFFFFF),
                                                  (0x7FFFFFFF, 0x80000000)]))
        else:
            out += struct.pack("<II", start, (start + n - 1) & 0xFFFFFFFF)
    elif rc in (7, 0xB):
        out += bytes([0xFF if huge else n & 0xFF])
    elif rc == 8:
        out += struct.pack("<H", 0xFFFF if huge else n & 0xFFFF)
    elif rc == 9:
        out += struct.pack("<I", 0xFFFFFFFF if huge else n)
    elif rc == 6:
        pass
    else:
        out += random_bytes(r, r.randrange(0, 5))
    if not data or rc == 6:
        return bytes(out)
    if huge:
        return bytes(out) + random_bytes(r, r.randrange(0, 24))
    psize = {1: 1, 2: 2, 3: 4, 4: 1, 5: 2, 6: 4}.get(pc, 0)
    if (g, v) in PACKED and pc == 0:
        nbits = n * PACKED[(g, v)]
        out += random_bytes(r, (nbits + 7) // 8)
    else:
        for k in range(min(n, 64)):
            if psize:
                idx = start + k if pc in (1, 2, 3) else SIZES.get((g, v), 4)
                if pc in (1, 2, 3) and r.random() < 0.2:
                    idx = r.randrange(1 << (8 * psize))
                out += (idx & ((1 << (8 * psize)) - 1)).to_bytes(psize, "little")
            out += obj_value(r, g, v) if (g, v) in SIZES else \
                random_bytes(r, r.randrange(0, 8))
    if r.random() < 0.1:                        # short or long by a few bytes
        out = out[:-r.randrange(1, 4)] if len(out) > 6 and r.random() < 0.5 else \
            out + random_bytes(r, r.randrange(1, 4))
    return bytes(out)


def mutate(r, b, keep=2):
    """Bit flips, cuts, inserts, duplicated slices after the first `keep` bytes."""
    b = bytearray(b)
    for _ in range(r.randrange(1, 4)):
        if len(b) <= keep:
            b += bytes([r.randrange(256)])
            continue
        k = r.randrange(5)
        i = r.randrange(keep, len(b))
        if k == 0:
            b[i] ^= 1 << r.randrange(8)
        elif k == 1:
            b[i] = r.choice([0x00, 0xFF, 0x7F, 0x80, r.randrange(256)])
        elif k == 2:
            del b[i:i + r.randrange(1, 8)]
        elif k == 3:
            b[i:i] = random_bytes(r, r.randrange(1, 8))
        else:
            j = r.randrange(i, len(b) + 1)
            b[j:j] = b[i:j][:64]
    return bytes(b)


# =================================================================================
# A tolerant/strict link frame scanner
# =================================================================================

class Scanner:
    """Link frames out of a byte stream.  strict: what the gateway sends must be frames
    and nothing else, every CRC right (it is a bug otherwise, even towards a hostile
    peer); not strict: skip to the next 05 64 (our peers' junk is not parsed here)."""

    def __init__(self, what, strict=True):
        self.what, self.strict = what, strict
        self.buf = b""
        self.frag = {}      # (dest, src) -> reassembled APDU so far

    def feed(self, data):
        """-> [(ctrl, dest, src, user)] of the complete frames."""
        self.buf += data
        out = []
        while True:
            i = self.buf.find(b"\x05\x64")
            if self.strict and (i > 0 or (i < 0 and self.buf not in (b"", b"\x05"))):
                raise Fail("%s: the gateway sent bytes that are no frame: %s" %
                           (self.what, self.buf[:64].hex()))
            if i < 0:
                self.buf = self.buf[-1:] if self.buf.endswith(b"\x05") else b""
                return out
            self.buf = self.buf[i:]
            if len(self.buf) < 10:
                return out
            hdr = self.buf[:8]
            if dnp3.crc16(hdr) != struct.unpack("<H", self.buf[8:10])[0] or hdr[2] < 5:
                if self.strict:
                    raise Fail("%s: the gateway sent a bad frame header %s" %
                               (self.what, self.buf[:10].hex()))
                self.buf = self.buf[2:]
                continue
            n_user = hdr[2] - 5
            size = 10 + n_user + 2 * ((n_user + 15) // 16)
            if len(self.buf) < size:
                return out
            fr, rest = self.buf[:size], self.buf[size:]
            user, p, ok = b"", 10, True
            while p < size:
                blk = fr[p:min(p + 16, size - 2)]
                if dnp3.crc16(blk) != struct.unpack("<H", fr[p + len(blk):p + len(blk) + 2])[0]:
                    ok = False
                    break
                user += blk
                p += len(blk) + 2
            if not ok:
                if self.strict:
                    raise Fail("%s: the gateway sent a bad data CRC in %s" % (self.what, fr.hex()))
                self.buf = self.buf[2:]
                continue
            self.buf = rest
            ctrl, dest, src = fr[3], struct.unpack("<H", fr[4:6])[0], \
                struct.unpack("<H", fr[6:8])[0]
            out.append((ctrl, dest, src, user))

    def apdu(self, ctrl, dest, src, user):
        """Transport reassembly of user data (no sequence checks: we only need requests)."""
        if ctrl & 0x0F not in (3, 4) or not (ctrl & 0x40) or not user:
            return None
        th, key = user[0], (dest, src)
        if th & 0x40:
            self.frag[key] = b""
        if key not in self.frag:
            return None
        self.frag[key] += user[1:]
        if th & 0x80:
            return self.frag.pop(key)
        return None


# =================================================================================
# Byte pipes with deadlines
# =================================================================================

class Pipe:
    """A nonblocking socket or pty fd; writes wait (with a deadline) for the peer to read."""

    def __init__(self, sock=None, fd=None):
        self.sock, self.fd = sock, fd
        if sock:
            sock.setblocking(False)
        else:
            os.set_blocking(fd, False)

    def fileno(self):
        return self.sock.fileno() if self.sock else self.fd

    def send(self, data, deadline=harness.DEADLINE):
        """False when the peer is gone; Fail when it stops reading for the deadline."""
        end = time.monotonic() + deadline
        while data:
            try:
                n = self.sock.send(data) if self.sock else os.write(self.fd, data)
            except BlockingIOError:
                n = 0
            except OSError:
                return False
            data = data[n:]
            if data:
                if time.monotonic() > end:
                    raise Fail("the gateway read nothing for %.0f s" % deadline)
                select.select([], [self], [], 0.05)
        return True

    def recv(self):
        """Bytes, b"" at end of stream, None when there is nothing now."""
        try:
            return self.sock.recv(65536) if self.sock else os.read(self.fd, 65536)
        except BlockingIOError:
            return None
        except OSError:
            return b""

    def close(self, rst=False):
        if self.sock:
            if rst:
                try:
                    self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
                except OSError:
                    pass
            self.sock.close()
        else:
            os.close(self.fd)


# =================================================================================
# Actors (threads)
# =================================================================================

class Actor(threading.Thread):
    """A thread with its own PRNG, stop event and a ring of what it sent last."""

    def __init__(self, name, abort):
        super().__init__(name=name, daemon=True)
        self.rng = random.Random("%d/%s" % (SEED, name))
        self.stop = threading.Event()
        self.abort = abort
        self.error = None
        self.recent = collections.deque(maxlen=10)
        self.counts = collections.Counter()

    def running(self):
        return not self.stop.is_set() and not self.abort.is_set()

    def note(self, what, data=b""):
        self.counts[what] += 1
        self.recent.append((time.monotonic(), what, data[:512]))

    def run(self):
        try:
            self.body()
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            self.error = "%s: %s%s" % (self.name, e, "" if isinstance(e, Fail) else
                                       "\n" + traceback.format_exc())
            self.abort.set()

    def finish(self):
        self.stop.set()
        self.join(timeout=harness.DEADLINE)
        if self.is_alive():
            raise Fail("%s did not stop" % self.name)

    def report(self):
        t = time.monotonic()
        return "%s sent (oldest first):\n%s" % (self.name, "".join(
            "  %6.2f s ago %-22s %s\n" % (t - w, what, data.hex())
            for w, what, data in self.recent))


class Peer(Actor):
    """A hostile peer of the gateway on one byte pipe (self.pipe, None when closed) with a
    strict scanner of what the gateway sends; subclasses handle frames in on_frame()."""

    def __init__(self, name, abort):
        super().__init__(name, abort)
        self.pipe = None
        self.scan = None

    def send(self, data, what):
        self.note(what, data)
        if self.pipe and not self.pipe.send(data):
            self.pipe.close()
            self.pipe = None

    def pump(self, timeout):
        """Read what the gateway sends within timeout, each frame to on_frame(); False when
        nothing came or the connection went."""
        r, _, _ = select.select([self.pipe], [], [], max(timeout, 0))
        d = self.pipe.recv() if r else None
        if not d:
            if d is not None:
                self.note("closed by the gateway")
                self.pipe.close()
                self.pipe = None
            return False
        for ctrl, dest, src, user in self.scan.feed(d):
            self.on_frame(ctrl, dest, src, user)
            if self.pipe is None:
                break
        return True


# ---- the hostile IED ------------------------------------------------------------

STATIC_HONEST = (bytes([1, 2, 0x00, 0, 15]) + b"\x01" * 16 +                  # g1v2 0..15
                 bytes([3, 2, 0x00, 0, 3]) + b"\x01\x41\x81\x01" +             # g3v2 0..3
                 bytes([30, 5, 0x00, 0, 7]) +
                 b"".join(struct.pack("<Bf", 1, k * 1.5) for k in range(8)) +
                 bytes([20, 1, 0x00, 0, 3]) +
                 b"".join(struct.pack("<BI", 1, 7 * k) for k in range(4)) +
                 bytes([10, 2, 0x00, 0, 3]) + b"\x01" * 4 +
                 bytes([40, 3, 0x00, 0, 1]) + struct.pack("<BfBf", 1, 2.0, 1, -2.0))


def honest_response(func, seq, objs, iin=0, uns=False):
    """What a correct outstation answers (None: no response)."""
    ctrl = 0xC0 | (0x10 if uns else 0) | (seq & 0x0F)
    func_rsp = dnp3.UNSOLICITED_RESPONSE if uns else dnp3.RESPONSE
    hdr = bytes([ctrl, func_rsp]) + struct.pack("<H", iin)
    if func in (0, 6, 8, 10, 12, 31) or func >= 129:   # confirm, *_NR, responses
        return None
    if func == 1:
        return hdr + (STATIC_HONEST if b"\x3c\x01\x06" in objs else b"")
    if func in (3, 4, 5):
        return hdr + objs                       # the controls echoed, status 0
    if func == 13 or func == 14:
        return hdr + bytes([52, 1, 0x07, 1]) + struct.pack("<H", 1)
    if func == 23:
        return hdr + bytes([52, 2, 0x07, 1]) + struct.pack("<H", 3)
    if func in (2, 7, 9, 11, 20, 21, 22, 24):
        return hdr
    return bytes([ctrl, dnp3.RESPONSE]) + struct.pack("<H", 0x0100)  # IIN2.0


class HostileIed(Peer):
    """An outstation on a TCP server socket (the gateway's channel connects to it) or on
    a pty, answering for `addrs`.  honest (an Event): answer correctly and send nothing
    else; otherwise a random mix of correct, crafted, mutated and missing answers, link
    and transport abuse, unsolicited junk, stalls and (TCP) dropped connections."""

    def __init__(self, name, abort, addrs, listener=None, pty=None):
        super().__init__(name, abort)
        self.addrs = addrs
        self.listener, self.pty = listener, pty
        self.honest = threading.Event()
        self.tseq = {}
        self.useq = 0
        self.stall_until = 0.0
        self.next_junk = 0.0
        self.next_drop = time.monotonic() + self.rng.uniform(2, 8)
        self.delayed = []           # (when, bytes): late answers
        self.accepts = 0
        self.requests = collections.Counter()   # function code -> requests received

    # -- connection
    def open(self):
        if self.pty:
            fd = os.open(self.pty, os.O_RDWR | os.O_NOCTTY)
            self.pipe = Pipe(fd=fd)
        else:
            r, _, _ = select.select([self.listener], [], [], 0.05)
            if not r:
                return False
            s, _ = self.listener.accept()
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.pipe = Pipe(sock=s)
            self.accepts += 1
        self.scan = Scanner(self.name + " (gateway as master)")
        self.tseq = {}
        return True

    def drop(self, rst):
        self.note("close" + (" rst" if rst else ""))
        self.pipe.close(rst)
        self.pipe = None

    def out_frames(self, addr, apdu, ctrl=0x44):
        f, self.tseq[addr] = user_frames(ctrl, GW_MASTER, addr, apdu, self.tseq.get(addr, 0))
        return f

    # -- the loop
    def body(self):
        try:
            while self.running():
                if self.pipe is None and not self.open():
                    continue
                now = time.monotonic()
                if not self.honest.is_set() and self.listener and now >= self.next_drop:
                    self.next_drop = now + self.rng.uniform(2, 8)
                    self.send(garbage(self.rng), "garbage")     # data first: backoff stays short
                    if self.pipe:
                        self.drop(self.rng.random() < 0.5)
                    continue
                if not self.honest.is_set() and now >= self.next_junk:
                    self.next_junk = now + self.rng.uniform(0.005, 0.1)
                    self.junk()
                    if self.pipe is None:
                        continue
                for w, data in [x for x in self.delayed if x[0] <= now]:
                    self.delayed.remove((w, data))
                    if not self.honest.is_set():
                        self.send(data, "late answer")
                if self.pipe is None:
                    continue
                if now < self.stall_until and not self.honest.is_set():
                    select.select([], [], [], min(0.05, self.stall_until - now))
                    continue
                self.pump(0.02)
        finally:
            if self.pipe:
                self.pipe.close()

    def on_frame(self, ctrl, dest, src, user):
        if dest not in self.addrs:
            return
        if not ctrl & 0x80:
            raise Fail("%s: the gateway (master) sent a frame without DIR: %02x" %
                       (self.name, ctrl))
        if not ctrl & 0x40:
            return                              # a secondary frame (the gateway's ACK)
        func = ctrl & 0x0F
        hostile = not self.honest.is_set()
        if func in (0, 2, 3) or func == 9:      # reset, test, confirmed data, link status
            ack = frame(0x0B if func == 9 else 0x00, GW_MASTER, dest)
            if hostile and self.rng.random() < 0.3:
                self.link_abuse(dest, reply=True)
            else:
                self.send(ack, "ACK")
        a = self.scan.apdu(ctrl, dest, src, user)
        if a is None or len(a) < 2:
            return
        seq, rfunc, objs = a[0] & 0x0F, a[1], a[2:]
        self.requests[rfunc] += 1
        if rfunc == dnp3.CONFIRM:
            return
        if not hostile:
            rsp = honest_response(rfunc, seq, objs)
            if rsp is not None:
                self.send(self.out_frames(dest, rsp), "honest")
            return
        self.answer(dest, seq, rfunc, objs)

    # -- hostile answers
    def answer(self, addr, seq, func, objs):
        r = self.rng
        honest = honest_response(func, seq, objs) or honest_response(1, seq, b"\x3c\x01\x06")
        k = r.choices(range(14), weights=[22, 10, 15, 10, 5, 5, 5, 5, 5, 5, 4, 3, 1, 3])[0]
        if k == 0:                              # correct
            self.send(self.out_frames(addr, honest), "honest")
        elif k == 1:                            # correct objects, random IIN
            iin = r.choice([IIN_RESTART, 0x0010, 0x0800, 0x0100, 0x0200, 0x0400, 0x2000,
                            r.randrange(1 << 16)])
            self.send(self.out_frames(addr, honest[:2] + struct.pack("<H", iin) + honest[4:]),
                      "iin")
        elif k == 2:                            # crafted objects, right sequence
            self.send(self.out_frames(addr, self.crafted(seq)), "crafted")
        elif k == 3:                            # mutated correct answer (good CRCs)
            self.send(self.out_frames(addr, mutate(r, honest)), "mutated")
        elif k == 4:                            # damaged on the wire
            f = self.out_frames(addr, honest)
            self.send(corrupt_frame(r, f), "corrupt frame")
        elif k == 5:                            # wrong sequence or function
            bad = bytearray(honest)
            bad[0] = (bad[0] & 0xF0) | r.randrange(16)
            if r.random() < 0.3:
                bad[1] = r.choice([0, 1, 130, 131, r.randrange(256)])
            self.send(self.out_frames(addr, bytes(bad)), "wrong seq/func")
        elif k == 6:                            # no answer
            self.note("no answer")
        elif k == 7:                            # late (after the timeout), or twice
            self.delayed.append((time.monotonic() + r.uniform(0.3, 2.0),
                                 self.out_frames(addr, honest)))
            if r.random() < 0.5:
                self.send(self.out_frames(addr, honest), "twice")
        elif k == 8:                            # multi-fragment games
            self.fragment_games(addr, seq)
        elif k == 9:                            # transport games
            self.transport_games(addr, honest)
        elif k == 10:                           # link abuse instead of an answer
            self.link_abuse(addr, reply=False)
        elif k == 11:                           # from another address (impersonation)
            other = r.choice([a for a in self.addrs if a != addr] + [99, 0xFFFF, GW_MASTER])
            f, _ = user_frames(0x44, r.choice([GW_MASTER, 0xFFFF, 7]), other, honest, 0)
            self.send(f, "other address")
        elif k == 12:                           # stall: read nothing for a while
            self.stall_until = time.monotonic() + r.uniform(0.5, 3.0)
            self.note("stall")
        else:                                   # drop the connection (after some data)
            if self.pty:
                self.send(garbage(r), "garbage")
            else:
                self.send(self.out_frames(addr, honest)[:r.randrange(1, 30)], "partial")
                if self.pipe:
                    self.drop(r.random() < 0.5)

    def crafted(self, seq, uns=False):
        r = self.rng
        ctrl = (0xC0 if r.random() < 0.9 else r.choice([0x80, 0x40, 0x00])) | (seq & 0x0F)
        ctrl |= (0x10 if uns else 0) | (0x20 if r.random() < 0.3 else 0)
        iin = r.choice([0, 0, 0, IIN_RESTART, 0x0010, 0x0002, 0x0800, r.randrange(1 << 16)])
        out = bytes([ctrl, dnp3.UNSOLICITED_RESPONSE if uns else dnp3.RESPONSE]) + \
            struct.pack("<H", iin)
        for _ in range(r.choice([0, 1, 1, 2, 3, 5, 10])):
            out += obj_header(r)
        return out[:2048 + r.randrange(0, 600)]

    def fragment_games(self, addr, seq):
        r = self.rng
        n = r.randrange(1, 6)
        for i in range(n):
            fir = i == 0 if r.random() < 0.8 else r.random() < 0.5
            fin = i == n - 1 if r.random() < 0.7 else r.random() < 0.3
            ctrl = (0x80 if fir else 0) | (0x40 if fin else 0) | \
                (0x20 if r.random() < 0.5 else 0) | \
                ((seq + (i if r.random() < 0.8 else r.randrange(16))) & 0x0F)
            body = b"".join(obj_header(r, g=r.choice([2, 32, 1, 30]), v=r.choice([1, 2, 5, 7]))
                            for _ in range(r.randrange(0, 4)))
            self.send(self.out_frames(addr, bytes([ctrl, 129, 0, 0]) + body), "fragment")
            if self.pipe is None:
                return

    def transport_games(self, addr, apdu):
        r = self.rng
        k = r.randrange(5)
        segs, _ = segments(apdu, self.tseq.get(addr, 0))
        if k == 0:                              # over-long: segments without FIN beyond 2048
            s = self.tseq.get(addr, 0)
            out = b""
            for i in range(r.randrange(9, 40)):
                th = (0x40 if i == 0 else 0) | ((s + i) & 0x3F)
                out += frame(0x44, GW_MASTER, addr, bytes([th]) + random_bytes(r, 249))
            self.send(out, "over-long fragment")
            return
        if k == 1:                              # sequence jumps
            segs = [bytes([(sg[0] & 0xC0) | r.randrange(64)]) + sg[1:] for sg in segs]
        elif k == 2:                            # FIN without FIR, or FIR twice
            segs = [bytes([sg[0] ^ r.choice([0x40, 0x80])]) + sg[1:] for sg in segs]
        elif k == 3:                            # duplicated / reordered segments
            segs = segs + segs[:1] if r.random() < 0.5 else segs[::-1]
        else:                                   # empty segments in between
            segs = [bytes([0x40 | (self.tseq.get(addr, 0))])] + segs
        self.send(b"".join(frame(0x44, GW_MASTER, addr, sg) for sg in segs), "transport games")

    def link_abuse(self, addr, reply):
        r = self.rng
        out = b""
        for _ in range(r.randrange(1, 5)):
            k = r.randrange(7)
            if k == 0:                          # any control byte at all
                ctrl = r.randrange(256)
            elif k == 1:                        # undefined secondary functions
                ctrl = r.choice([2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14]) | r.choice([0, 0x10])
            elif k == 2:                        # NACK / LINK_STATUS / NOT_SUPPORTED out of turn
                ctrl = r.choice([0x01, 0x0B, 0x0F, 0x11, 0x1B])
            elif k == 3:                        # confirmed data without a reset, FCB games
                ctrl = 0x40 | 0x10 | r.choice([0, 0x20]) | 3
            elif k == 4:                        # undefined primary functions, FCV on the wrong ones
                ctrl = 0x40 | r.choice([1, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15]) | \
                    r.choice([0, 0x10, 0x30])
            elif k == 5:                        # DIR set: acting as a master
                ctrl = 0xC0 | r.choice([0, 2, 3, 4, 9])
            else:                               # primary link functions from the IED
                ctrl = 0x40 | r.choice([0, 2, 9]) | r.choice([0, 0x10, 0x20])
            user = b""
            if ctrl & 0x0F in (3, 4) and ctrl & 0x40:
                user = bytes([0xC0 | r.randrange(64)]) + self.crafted(r.randrange(16))[:200]
            f = frame(ctrl, r.choice([GW_MASTER, GW_MASTER, 0xFFFF, 0xFFFD, r.randrange(1 << 16)]),
                      addr if r.random() < 0.8 else r.randrange(1 << 16), user[:250])
            out += corrupt_frame(r, f) if r.random() < 0.25 else f
        self.send(out, "link abuse (reply)" if reply else "link abuse")

    def junk(self):
        """Unsolicited: responses, link frames and noise nobody asked for."""
        r = self.rng
        addr = r.choice(self.addrs)
        k = r.randrange(6)
        if k <= 1:
            uns = self.crafted(self.useq, uns=True)
            self.useq = (self.useq + 1) & 0x0F
            self.send(self.out_frames(addr, uns), "unsolicited")
        elif k == 2:
            self.send(garbage(r), "garbage")
        elif k == 3:
            self.link_abuse(addr, reply=False)
        elif k == 4:                            # half a frame, the rest later (or never)
            f = self.out_frames(addr, self.crafted(self.useq, uns=True))
            cut = r.randrange(1, len(f))
            self.send(f[:cut], "half frame")
            if r.random() < 0.5:
                self.delayed.append((time.monotonic() + r.uniform(0.05, 1.0), f[cut:]))
        else:
            self.send(self.out_frames(addr, mutate(r, self.crafted(self.useq, uns=True))),
                      "mutated unsolicited")


# ---- hostile masters ------------------------------------------------------------

FUNCS = list(range(0, 34)) + [129, 130, 131]


def hostile_request(r, seq):
    """A request APDU: mostly well-formed in shape so it gets deep, any function code."""
    x = r.random()
    func = 1 if x < 0.3 else r.choice([3, 4, 5, 6]) if x < 0.45 else 2 if x < 0.52 else \
        r.choice(FUNCS) if x < 0.92 else r.randrange(256)
    ctrl = 0xC0 | (seq & 0x0F)
    if r.random() < 0.1:
        ctrl = r.choice([0x80, 0x40, 0x00, 0xE0, 0xD0, 0xF0]) | (seq & 0x0F)
    out = bytes([ctrl, func])
    if func == 1:
        for _ in range(r.choice([1, 1, 2, 4, 8, 30])):
            k = r.random()
            if k < 0.3:
                out += bytes([60, r.randrange(1, 5), 0x06])
            elif k < 0.6:
                g, v = r.choice(KNOWN_GV)
                out += obj_header(r, g, r.choice([0, v]), data=False)
            else:
                out += obj_header(r, data=False)
    elif func == 2:
        k = r.random()
        if k < 0.3:
            out += bytes([80, 1, 0x00, 7, 7, 0])            # clear IIN1.7
        elif k < 0.5:
            out += bytes([50, 1, 0x07, 1]) + struct.pack("<Q", r.choice([0, T0, (1 << 48) - 1]))[:6]
        elif k < 0.6:
            out += bytes([50, 3, 0x07, 1]) + struct.pack("<Q", T0)[:6]
        else:
            out += obj_header(r)
    elif func in (3, 4, 5, 6):
        n = r.choice([1, 1, 2, 4, 150, 0xFFFF if r.random() < 0.2 else 3])
        q = r.choice([0x17, 0x28, 0x28, 0x39, 0x00, 0x01, 0x07])
        base = 0                                # the mapped outputs are 0..3
        if r.random() < 0.7:
            g, v = 12, 1
        else:
            g, v = 41, r.randrange(1, 5)
        cnt = min(n, 150)
        rc, pc = q & 0x0F, (q >> 4) & 7
        hdr = bytes([g, v, q]) + {
            0: bytes([base, (base + cnt - 1) & 0xFF]), 1: struct.pack("<HH", base, base + cnt - 1),
            7: bytes([n & 0xFF]), 8: struct.pack("<H", n & 0xFFFF),
            9: struct.pack("<I", n)}.get(rc, b"")
        psize = {1: 1, 2: 2, 3: 4}.get(pc, 0)
        for k in range(cnt):
            if psize:
                idx = base + r.choice([0, 1, 2, 3, k, r.randrange(256)])
                hdr += (idx & ((1 << 8 * psize) - 1)).to_bytes(psize, "little")
            if g == 12:
                hdr += struct.pack("<BBIIB",
                                   r.choice([0x01, 0x03, 0x04, 0x41, 0x81, r.randrange(256)]),
                                   r.choice([1, 0, 255]), r.choice([0, 100, 0xFFFFFFFF]),
                                   r.randrange(1 << 32), 0)
            else:
                hdr += obj_value(r, 41, v)
        out += hdr[:2040] if r.random() < 0.8 or func == 3 else mutate(r, hdr)
        if r.random() < 0.2 and func != 3:
            out += obj_header(r)
    elif func in (7, 8, 9, 10, 11, 12):
        out += r.choice([bytes([20, 0, 0x06]), bytes([20, 1, 0x00, 0, 3]), bytes([21, 0, 0x06]),
                         bytes([20, 0, 0x02]) + struct.pack("<II", 0, 0xFFFFFFFF), obj_header(r)])
        if func in (11, 12):
            out += bytes([50, 2, 0x07, 1]) + struct.pack("<Q", T0)[:6] + struct.pack("<I", 1000)
    elif func in (20, 21, 22):
        out += b"".join(bytes([60, r.randrange(1, 5), 0x06]) for _ in range(r.randrange(0, 4)))
        if func == 22:
            out += obj_header(r, data=False)
    elif func in (23, 24, 0, 13, 14):
        if r.random() < 0.2:
            out += obj_header(r)
    else:
        for _ in range(r.randrange(0, 5)):
            out += obj_header(r)
    if r.random() < 0.15:
        out = mutate(r, out)
    return out[:r.choice([2048, 2048, 4096, 65536])]


class HostileMaster(Peer):
    """A SCADA master on one outstation that sends hostile requests, link and transport
    abuse, reads what comes back (every frame must be well-formed), confirms or not at
    random, and drops and remakes its connection now and then."""

    def __init__(self, name, abort, port, addr):
        super().__init__(name, abort)
        self.port, self.addr = port, addr
        self.seq = 0
        self.tseq = 0
        self.fcb = False
        self.connects = 0

    def connect(self):
        s = socket.socket()
        s.settimeout(harness.DEADLINE)
        s.connect(("127.0.0.1", self.port))
        self.pipe = Pipe(sock=s)
        self.scan = Scanner(self.name + " (gateway as outstation)")
        self.tseq = 0
        self.connects += 1

    def frames(self, apdu, ctrl=0xC4, dest=None, src=None):
        f, self.tseq = user_frames(ctrl, self.addr if dest is None else dest,
                                   SCADA if src is None else src, apdu, self.tseq)
        return f

    def body(self):
        r = self.rng
        try:
            while self.running():
                if self.pipe is None:
                    self.connect()
                self.act(r)
                if self.pipe is None:
                    continue
                end = time.monotonic() + r.choice([0, 0.002, 0.01, 0.05])
                while self.pipe is not None and self.pump(end - time.monotonic()):
                    pass
        finally:
            if self.pipe:
                self.pipe.close()

    def on_frame(self, ctrl, dest, src, user):
        r = self.rng
        if ctrl & 0x80:
            raise Fail("%s: the gateway (outstation) sent a frame with DIR set: %02x" %
                       (self.name, ctrl))
        if ctrl & 0x40 and ctrl & 0x0F == 9 and r.random() < 0.5:     # keep-alive
            self.send(frame(0x8B, self.addr, SCADA), "LINK_STATUS")
        a = self.scan.apdu(ctrl, dest, src, user)
        if a and a[0] & 0x20 and r.random() < 0.6:                     # CON: confirm, maybe wrongly
            s = a[0] & 0x0F if r.random() < 0.8 else r.randrange(16)
            self.send(self.frames(bytes([0xC0 | (a[0] & 0x10) | s, 0])), "confirm")

    def act(self, r):
        k = r.choices(range(9), weights=[40, 8, 8, 8, 6, 6, 4, 3, 1])[0]
        if k == 0:                                      # a hostile request, well framed
            self.send(self.frames(hostile_request(r, self.seq)), "request")
            self.seq = (self.seq + 1) & 0x0F
        elif k == 1:                                    # ... damaged on the wire
            self.send(corrupt_frame(r, self.frames(hostile_request(r, self.seq))),
                      "corrupt request")
        elif k == 2:                                    # huge ranges and counts
            out = bytes([0xC0 | self.seq, r.choice([1, 1, 2, 3, 5, 7, 22])])
            for _ in range(r.randrange(1, 4)):
                q = r.choice([0x00, 0x01, 0x02, 0x07, 0x08, 0x09, 0x17, 0x28, 0x39, 0x5B])
                out += obj_header(r, q=q, data=r.random() < 0.5, huge=True)
            self.send(self.frames(out), "huge")
        elif k == 3:                                    # link abuse
            out = b""
            for _ in range(r.randrange(1, 6)):
                ctrl = r.choice([
                    r.randrange(256),
                    0xC0 | r.choice([0, 2, 9]),
                    0xD3 | r.choice([0, 0x20]),                       # confirmed data, FCB games
                    0xC0 | r.choice([1, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15]) | r.choice([0, 0x10]),
                    0x80 | r.choice([0, 1, 11, 15, 2, 3]),            # secondary from a master
                    0x40 | r.choice([3, 4])])                         # DIR clear: an outstation
                user = b""
                if ctrl & 0x0F in (3, 4):
                    user = bytes([0xC0 | r.randrange(64)]) + hostile_request(r, self.seq)[:240]
                dest = r.choice([self.addr, self.addr, 0xFFFF, 0xFFFE, 0xFFFD,
                                 r.randrange(1 << 16)])
                f = frame(ctrl, dest, r.choice([SCADA, SCADA, r.randrange(1 << 16)]), user[:250])
                out += corrupt_frame(r, f) if r.random() < 0.2 else f
            self.send(out, "link abuse")
        elif k == 4:                                    # confirmed user data: reset, then FCB games
            if r.random() < 0.5:
                self.send(frame(0xC0, self.addr, SCADA), "RESET_LINK_STATES")
                self.fcb = True
            apdu = hostile_request(r, self.seq)[:240]
            fcb = self.fcb if r.random() < 0.7 else not self.fcb
            self.fcb = not self.fcb
            self.send(frame(0xD3 | (0x20 if fcb else 0), self.addr, SCADA,
                            bytes([0xC0 | self.tseq]) + apdu), "confirmed data")
            self.tseq = (self.tseq + 1) & 0x3F
        elif k == 5:                                    # transport games
            s = self.tseq
            out = b""
            kind = r.randrange(4)
            if kind == 0:                               # over-long: no FIN past 2048 bytes
                for i in range(r.randrange(9, 30)):
                    th = (0x40 if i == 0 else 0) | ((s + i) & 0x3F)
                    out += frame(0xC4, self.addr, SCADA, bytes([th]) + random_bytes(r, 249))
            else:
                segs, _ = segments(hostile_request(r, self.seq) * r.randrange(1, 4), s)
                for sg in segs:
                    th = sg[0]
                    if kind == 1:
                        th = (th & 0xC0) | r.randrange(64)
                    elif kind == 2:
                        th ^= r.choice([0x40, 0x80, 0xC0])
                    out += frame(0xC4, self.addr, SCADA, bytes([th]) + sg[1:])
                if kind == 3:
                    out += out
            self.tseq = (s + 7) & 0x3F
            self.send(out, "transport games")
        elif k == 6:                                    # garbage / half a frame, later or never
            self.send(garbage(r) if r.random() < 0.5 else
                      self.frames(hostile_request(r, self.seq))[:r.randrange(1, 20)], "garbage")
        elif k == 7:                                    # application confirms out of the blue
            ctrl = r.choice([0xC0, 0xD0, 0xE0]) | r.randrange(16)
            self.send(self.frames(bytes([ctrl, 0])), "stray confirm")
        else:                                           # drop the connection
            self.note("close")
            self.pipe.close(rst=r.random() < 0.5)
            self.pipe = None


class Storm(Actor):
    """Bursts of connections (bounded: at most 64 open at once) to an outstation that
    accepts them (each replacing the last) and to one that refuses loopback: some send
    a request, half a frame or noise, some nothing; closed with FIN or RST."""

    def __init__(self, name, abort, ports):
        super().__init__(name, abort)
        self.ports = ports
        self.total = 0

    def body(self):
        r = self.rng
        while self.running() and self.total < STORM_MAX:
            socks = []
            try:
                for _ in range(r.randrange(1, 65)):
                    if not self.running():
                        break
                    s = socket.socket()
                    socks.append(s)
                    s.settimeout(harness.DEADLINE)
                    port, addr = r.choice(self.ports)
                    try:
                        s.connect(("127.0.0.1", port))
                    except OSError:
                        continue
                    self.total += 1
                    k = r.randrange(4)
                    try:
                        if k == 0:
                            f, _ = user_frames(0xC4, addr, SCADA, poll_apdu(0), 0)
                            s.send(f)
                        elif k == 1:
                            s.send(frame(0xC4, addr, SCADA, b"\xC0" + poll_apdu(0))[:9])
                        elif k == 2:
                            s.send(garbage(r))
                    except OSError:
                        pass
                    self.note("connect", bytes([k]))
                    if r.random() < 0.5:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
                    if r.random() < 0.3:
                        socks.pop().close()
            finally:
                for s in socks:
                    s.close()
            # at most STORM_RATE connections a second on average: a storm, not an
            # exhaustion of the machine's ephemeral ports (other tests share them)
            self.stop.wait(len(socks) / STORM_RATE + r.uniform(0, 0.05))


class NeverReader(Actor):
    """A master that sends integrity polls and never reads its socket (a tiny receive
    buffer), until the gateway gives up on it or it reconnects after a while."""

    def __init__(self, name, abort, port, addr):
        super().__init__(name, abort)
        self.port, self.addr = port, addr
        self.polls = 0
        self.dropped_by_gateway = 0

    def body(self):
        r = self.rng
        while self.running():
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
            s.settimeout(harness.DEADLINE)
            s.connect(("127.0.0.1", self.port))
            s.setblocking(False)
            self.note("connect")
            tseq, seq = 0, 0
            until_t = time.monotonic() + r.uniform(3, 12)
            try:
                while self.running() and time.monotonic() < until_t:
                    f, tseq = user_frames(0xC4, self.addr, SCADA, poll_apdu(seq), tseq)
                    seq = (seq + 1) & 0x0F
                    try:
                        for _ in range(5000):   # until its send buffer is full
                            s.send(f)
                            self.polls += 1
                    except BlockingIOError:
                        pass
                    except OSError:
                        self.dropped_by_gateway += 1
                        break
                    self.stop.wait(0.05)
            finally:
                if r.random() < 0.5:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_RST)
                s.close()


# ---- the well-behaved side -------------------------------------------------------

class GoodIed(Actor):
    """Drives dnp3sim: ai 0 = n with time T0 + n, every 0.1-0.3 s; keeps its stdout read."""

    def __init__(self, abort, sim):
        super().__init__("good-ied", abort)
        self.sim = sim
        self.n = 0
        self.sent_at = {}

    def body(self):
        while self.running():
            n = self.n + 1
            self.sent_at[n] = time.monotonic()
            self.sim.send("ai 0 %d @%d" % (n, T0 + n))
            self.n = n
            self.sim.drain()
            del self.sim.lines[:]
            self.stop.wait(self.rng.uniform(0.1, 0.3))


class GoodMaster(Actor):
    """Polls class 0123 on its own outstation and checks every answer: within
    POLL_DEADLINE, fragments in order, no IIN2.0-2.2, no IIN1.7 once cleared, dnp3dec
    decodes it, the good IED's fixed points exact and ONLINE, ai 0's events each value
    once, in order, with the IED's time, within EVENT_DEADLINE, and its static value
    between the last event seen and the last value set."""

    def __init__(self, abort, h, port, ied):
        super().__init__("good-master", abort)
        self.h, self.port, self.ied = h, port, ied
        self.m = None
        self.last = 0               # the last ai 0 value seen as an event
        self.latencies = []
        self.event_lat = []
        self.polls = 0

    def setup(self):
        """Connect, clear IIN1.7, read until the IED's scripted values are upstream, drain
        the startup events."""
        self.m = self.h.master(self.port, remote=OUT_GOOD)
        self.m.transaction(dnp3.WRITE, dnp3.CLEAR_RESTART)

        def ready():
            d = self.h.decode(self.m.transaction(dnp3.READ, dnp3.CLASS0123))
            bi = values(d, 1, 2)
            return all(bi.get(i, [{}])[-1].get("value") == v for i, v in GOOD_BI.items())
        until("the good IED's values upstream", ready)
        def drained():
            d = self.h.decode(self.m.transaction(dnp3.READ, dnp3.CLASS0123))
            return not any(i in GOOD_BI for i in values(d, 2)) and \
                not any(i <= 3 for i in values(d, 32))
        until("startup events drained", drained)

    def poll(self):
        """One class 0123 poll with every check; returns the decoded response."""
        m = self.m
        seq = m.request(dnp3.READ, dnp3.CLASS0123)
        t0 = time.monotonic()
        frags = []
        while True:
            left = t0 + POLL_DEADLINE - time.monotonic()
            try:
                a = m.next_apdu(timeout=max(left, 0))
            except Fail:
                raise Fail("poll %d: no complete answer within %.1f s (%d fragments so far, "
                           "connection closed: %s)" %
                           (self.polls, POLL_DEADLINE, len(frags), m.closed))
            if a.func != dnp3.RESPONSE or a.seq != seq:
                raise Fail("poll %d: unexpected APDU %r (expected a response, seq %d)" %
                           (self.polls, a, seq))
            if a.fir != (not frags):
                raise Fail("poll %d: fragment %d FIR=%d" % (self.polls, len(frags), a.fir))
            frags.append(a)
            if a.con:
                m.confirm(a)
            if a.fin:
                break
            seq = (seq + 1) & 0x0F
        self.latencies.append(time.monotonic() - t0)
        self.polls += 1
        for a in frags:
            if a.iin & IIN_BAD_REQ:
                raise Fail("poll %d: IIN2.0-2.2 set: %04x" % (self.polls, a.iin))
            if a.iin & IIN_RESTART:
                raise Fail("poll %d: IIN1.7 set again (the gateway did not restart)" % self.polls)
        d = self.h.decode(frags)
        self.check(d)
        return d

    def check(self, d):
        p = self.polls
        bi = values(d, 1, 2)
        for i, v in GOOD_BI.items():
            x = bi.get(i, [None])[-1]
            if not x or (x["value"], x["flags"] & (ONLINE | COMM_LOST)) != (v, ONLINE):
                raise Fail("poll %d: bi %d is %r, expected value %d ONLINE" % (p, i, x, v))
        ai = values(d, 30)
        for i, v in GOOD_AI.items():
            x = ai.get(i, [None])[-1]
            if not x or (x["value"], x["flags"] & (ONLINE | COMM_LOST)) != (v, ONLINE):
                raise Fail("poll %d: ai %d is %r, expected %r ONLINE" % (p, i, x, v))
        ev = values(d, 2)
        if any(i in GOOD_BI for i in ev):
            raise Fail("poll %d: events on the good IED's binaries, which never change: %r" %
                       (p, {i: ev[i] for i in ev if i in GOOD_BI}))
        now = time.monotonic()
        for e in values(d, 32).get(0, []):
            want = self.last + 1
            if (e["value"], e["time_ms"]) != (want, T0 + want):
                raise Fail("poll %d: ai 0 event %r, expected value %d time %d (lost, repeated or "
                           "out of order)" % (p, e, want, T0 + want))
            self.last = want
            self.event_lat.append(now - self.ied.sent_at[want])
            if self.event_lat[-1] > EVENT_DEADLINE:
                raise Fail("poll %d: ai 0 = %d arrived %.1f s after it was set (deadline %.1f s)" %
                           (p, want, self.event_lat[-1], EVENT_DEADLINE))
        other = sorted(i for i in values(d, 32) if i in GOOD_AI)
        if other:
            raise Fail("poll %d: events on ai %s, which never change" % (p, other))
        s = ai.get(0, [None])[-1]
        sent = self.ied.n
        if not s or s["flags"] & (ONLINE | COMM_LOST) != ONLINE or \
                not self.last <= s["value"] <= sent:
            raise Fail("poll %d: ai 0 static %r: expected ONLINE and between the last event %d and "
                       "the last value set %d" % (p, s, self.last, sent))
        oldest = self.last + 1
        if oldest <= sent and now - self.ied.sent_at[oldest] > EVENT_DEADLINE:
            raise Fail("poll %d: ai 0 = %d set %.1f s ago, its event not received "
                       "(deadline %.1f s)" %
                       (p, oldest, now - self.ied.sent_at[oldest], EVENT_DEADLINE))

    def body(self):
        while self.running():
            self.poll()
            self.stop.wait(self.rng.uniform(0.05, 0.25))

    def summary(self):
        lat = sorted(self.latencies) or [0]
        ev = sorted(self.event_lat) or [0]
        return ("%d polls, answer max %.0f ms p99 %.0f ms; "
                "%d events, latency max %.0f ms p99 %.0f ms" %
                (self.polls, 1000 * lat[-1], 1000 * lat[int(len(lat) * 0.99)], len(self.event_lat),
                 1000 * ev[-1], 1000 * ev[int(len(ev) * 0.99)]))


# =================================================================================
# The scenario runner
# =================================================================================

def good_channel(sim_port):
    return {"name": "good", "master_address": GW_MASTER, "response_timeout": 2.0, "retries": 1,
            "tcp": {"host": "127.0.0.1", "port": sim_port},
            "devices": [{"name": "ied", "address": GOOD_IED, "integrity_poll": 0.0,
                         "class_polls": [0.1, 0.1, 0.1], "unsolicited": False, "time_sync": "none",
                         "comm_fail_after": 3, "control_timeout": 2.0, "offline_retry": 1.0}]}


def good_points():
    def p(index, count, cls=1, dev="good/ied"):
        return {"index": index, "count": count, "device": dev, "source_index": 0, "class": cls}
    return {"binary_inputs": [p(0, 8)], "analog_inputs": [p(0, 4)], "binary_outputs": [p(0, 4)],
            "analog_outputs": [p(0, 2)], "counters": [p(0, 4)]}


def outstation(name, port, addr, unsol=False, **kw):
    o = {"name": name, "listen": "127.0.0.1:%d" % port, "address": addr, "master_address": SCADA,
         "allow": [], "confirm_timeout": 1.0, "select_timeout": 2.0,
         "unsolicited": {"enabled": unsol, "classes": [1, 2, 3], "retries": -1},
         "events": {"class1": 1000, "class2": 1000, "class3": 1000}}
    o.update(kw)
    return o


class NotifyDrain(threading.Thread):
    """Reads the daemon's sd_notify socket all the time, as systemd does (the daemon
    sends STATUS= on every connection change, and a full socket blocks its sendmsg());
    keeps the latest STATUS and counts the datagrams."""

    def __init__(self, gw):
        super().__init__(name="notify", daemon=True)
        self.gw = gw
        self.latest = ""
        self.count = 0
        self.quit = threading.Event()

    def run(self):
        while not self.quit.is_set():
            r, _, _ = select.select([self.gw.notify], [], [], 0.1)
            if not r:
                continue
            try:
                note = self.gw.notify.recv(4096).decode(errors="replace")
            except OSError:
                return
            self.count += 1
            for ln in note.split("\n"):
                if ln.startswith("STATUS="):
                    self.latest = ln[7:]

    def finish(self):
        self.quit.set()
        self.join(timeout=harness.DEADLINE)


def daemon_state(pid):
    """What a live daemon is doing: CPU over 0.5 s, kernel wait channel, fds, and a
    backtrace when gdb is installed (for the report of a hang or a spin)."""
    out = []
    try:
        c0 = harness.proc_cpu_ticks(pid)
        select.select([], [], [], 0.5)
        out.append("CPU: %d ticks in 0.5 s" % (harness.proc_cpu_ticks(pid) - c0))
        with open("/proc/%d/wchan" % pid) as f:
            out.append("wchan: %s" % f.read())
        out.append("fds: %s" % sorted(harness.proc_fds(pid).items()))
    except OSError as e:
        out.append("/proc: %s" % e)
    try:
        import subprocess
        p = subprocess.run(["gdb", "-batch", "-p", str(pid), "-ex", "thread apply all bt"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=harness.DEADLINE)
        out.append("\n".join(ln for ln in p.stdout.splitlines() if ln.startswith(("#", "Thread"))))
    except (OSError, subprocess.TimeoutExpired):
        out.append("(no gdb)")
    return "\n".join(out) + "\n"


class Scenario:
    def __init__(self, h, name):
        self.h, self.name = h, name
        self.abort = threading.Event()
        self.hostile = []           # actors of the hostile phase (remade per round)
        self.all = []
        print("     %s: seed %d (DNP3GW_HOSTILE_SEED=%d repeats it), %.0f s hostile "
              "after %.0f s warm-up" % (name, SEED, SEED, SECONDS, WARMUP))
        sys.stdout.flush()

    def start_good(self, gw, port, sim):
        self.gw = gw
        self.notify = NotifyDrain(gw)
        self.notify.start()
        self.ied = GoodIed(self.abort, sim)
        self.good = GoodMaster(self.abort, self.h, port, self.ied)
        self.good.setup()
        self.ied.start()
        self.good.start()
        self.all += [self.ied, self.good]

    def check_errors(self):
        errs = [a.error for a in self.all if a.error]
        rc = self.gw.proc.poll()
        if errs or rc is not None:
            msg = "; ".join(errs) if errs else "the gateway exited"
            if rc is not None:
                msg += "\n     dnp3gwd EXITED with status %s (negative: killed by that signal)" % rc
            msg += "\n--- dnp3gwd log (tail) ---\n%s\n--- the hostile peers' last sends ---\n%s" % (
                self.gw.log()[-4000:], "".join(a.report() for a in self.all if a.recent))
            if rc is None:
                msg += "\n--- dnp3gwd now ---\n" + daemon_state(self.gw.pid)
            raise Fail(msg)

    def run(self, make_actors, seconds, what):
        actors = make_actors()
        self.all += actors
        n0 = self.notify.count
        for a in actors:
            a.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.abort.is_set() and self.gw.proc.poll() is None:
            self.abort.wait(0.2)
        for a in actors:
            a.stop.set()
        for a in actors:
            a.join(timeout=harness.DEADLINE)
        self.check_errors()
        counts = collections.Counter()
        for a in actors:
            counts.update(a.counts)
        if actors:
            print("     %s: %s" % (what, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
        print("     %s: %d sd_notify datagrams from the daemon in %.0f s" %
              (what, self.notify.count - n0, seconds))
        return actors

    def settle(self, quiet, what):
        """Wait for the quiet state (quiet(status) true) and a stable fd count; return the
        resources then."""
        pid = self.gw.pid
        until("%s: quiet (%s)" % (what, self.notify.latest), lambda: (self.check_errors() or
              quiet(self.notify.latest)), timeout=30.0, step=0.1)
        seen = []

        def stable():
            self.check_errors()
            seen.append(len(harness.proc_fds(pid)))
            return len(seen) >= 5 and len(set(seen[-5:])) == 1
        until("%s: fd count stable (%s)" % (what, seen[-10:]), stable, timeout=20.0, step=0.1)
        return harness.proc_fds(pid), harness.proc_rss_kb(pid)

    def idle_ticks(self):
        pid = self.gw.pid
        t0, c0 = time.monotonic(), harness.proc_cpu_ticks(pid)
        select.select([], [], [], IDLE_WINDOW)  # the measurement window itself, not a wait
        c1, t1 = harness.proc_cpu_ticks(pid), time.monotonic()
        return c1 - c0, t1 - t0

    def finish(self, base_fds, base_rss, quiet):
        """After the hostile run: fds exactly as many as the baseline, RSS within the
        slack, events complete, no spin when idle, and a correct answer still."""
        fds, rss = self.settle(quiet, "after the hostile run")
        # a settled count can still be a leak: it must come back to the baseline
        pid = self.gw.pid
        try:
            until("fds back to %d" % len(base_fds),
                  lambda: len(harness.proc_fds(pid)) == len(base_fds), timeout=10.0, step=0.2)
        except Fail:
            now = harness.proc_fds(pid)
            raise Fail("open fds: %d after the run, %d at the baseline (in the same quiet state)\n"
                       "baseline: %s\nnow: %s" % (len(now), len(base_fds), sorted(base_fds.items()),
                                                   sorted(now.items())))
        rss = harness.proc_rss_kb(pid)
        asan = harness.proc_uses_asan(pid)
        print("     fds %d -> %d; RSS %d kB -> %d kB (%+d kB)%s" %
              (len(base_fds), len(harness.proc_fds(pid)), base_rss, rss, rss - base_rss,
               " [ASan: RSS not bounded here, LeakSanitizer checks at exit]" if asan else ""))
        if not asan and rss > base_rss + RSS_SLACK_KB:
            raise Fail("RSS grew from %d kB to %d kB (+%d kB, slack %d kB)" %
                       (base_rss, rss, rss - base_rss, RSS_SLACK_KB))
        # every event set at the good IED arrives, then the good side stops
        self.ied.finish()
        last = self.ied.n
        until("the last event (ai 0 = %d) upstream" % last,
              lambda: self.good.last >= last or self.check_errors(),
              timeout=EVENT_DEADLINE, step=0.1)
        self.good.finish()
        self.check_errors()
        print("     good master: %s" % self.good.summary())
        eq("ai 0 events received (each value once, in order)", self.good.last, last)
        # idle: only the gateway's own device polls are left
        ticks, secs = self.idle_ticks()
        print("     idle CPU: %d ticks in %.2f s (bound %d)" % (ticks, secs, IDLE_TICKS))
        if ticks > IDLE_TICKS:
            raise Fail("dnp3gwd used %d clock ticks of CPU in %.2f s of idleness (bound %d): "
                       "a spin?" %
                       (ticks, secs, IDLE_TICKS))
        # and it still answers correctly
        d = self.good.poll()
        eq("final poll: ai 0 static", values(d, 30)[0][-1]["value"], last)
        eq("dnp3gwd still running", self.gw.proc.poll(), None)

    def stop_all(self):
        if hasattr(self, "notify"):
            self.notify.finish()
        keep = os.environ.get("DNP3GW_HOSTILE_KEEP_LOG")
        if keep and hasattr(self, "gw"):    # DNP3GW_HOSTILE_KEEP_LOG=DIR: the daemon's log
            with open(os.path.join(keep, "%s.log" % self.name.replace(" ", "-")), "w") as f:
                f.write(self.gw.log())
        self.abort.set()
        for a in self.all:
            a.stop.set()
        for a in self.all:
            a.join(timeout=harness.DEADLINE)


def only(actors):
    """DNP3GW_HOSTILE_ONLY=name,name: run only those hostile actors (to isolate a failure)."""
    names = [x for x in os.environ.get("DNP3GW_HOSTILE_ONLY", "").split(",") if x]
    for a in actors:
        if names and a.name not in names:
            a.counts.clear()
    return [a for a in actors if not names or a.name in names]


def devices_online(n):
    return lambda st: ("devices online %d/%d" % (n, n)) in st


def t_hostile_ieds(h):
    """Hostile IEDs on a TCP channel (two addresses) and a serial line (confirmed link
    service) for SECONDS: the daemon stays up, the good master's every poll is answered
    correctly in time and the good IED's every event arrives; afterwards fds exactly as at
    the baseline, RSS within the slack, no idle CPU."""
    sc = Scenario(h, "hostile IEDs")
    sim = h.sim(["--address", str(GOOD_IED), "--master-address", str(GW_MASTER),
                 "--points", "bi=8,bo=4,cnt=4,ai=4,ao=2"], script=GOOD_SCRIPT)
    lis = socket.socket()
    lis.bind(("127.0.0.1", 0))
    lis.listen(4)
    tcp_port = lis.getsockname()[1]
    pty_gw, pty_ied = h.pty_pair("hser")
    good_port = h.port()

    def hdev(name, addr, unsol, sync):
        return {"name": name, "address": addr, "integrity_poll": 5.0,
                "class_polls": [0.1, 0.2, 0.3], "unsolicited": unsol, "time_sync": sync,
                "time_sync_interval": 2.0,
                "comm_fail_after": 2, "control_timeout": 1.0, "offline_retry": 0.3}
    htcp = {"name": "htcp", "master_address": GW_MASTER, "response_timeout": 0.25, "retries": 1,
            "tcp": {"host": "127.0.0.1", "port": tcp_port},
            "devices": [hdev("h1", H_TCP[0], True, "lan"), hdev("h2", H_TCP[1], False, "write")]}
    hser = {"name": "hser", "master_address": GW_MASTER, "response_timeout": 0.25, "retries": 1,
            "link_confirm": True, "serial": {"device": pty_gw, "baud": 115200},
            "devices": [hdev("h3", H_SER, False, "delay")]}
    pts = good_points()

    def p(index, count, dev, cls):
        return {"index": index, "count": count, "device": dev, "source_index": 0, "class": cls}
    pts["binary_inputs"] += [p(100, 16, "htcp/h1", 2), p(200, 16, "htcp/h2", 3),
                             p(300, 16, "hser/h3", 2)]
    pts["analog_inputs"] += [p(100, 8, "htcp/h1", 3), p(200, 8, "htcp/h2", 2),
                             p(300, 8, "hser/h3", 3)]
    pts["double_bit_inputs"] = [p(300, 4, "hser/h3", 2)]
    pts["counters"] += [p(100, 4, "htcp/h1", 3)]
    pts["binary_outputs"] += [p(100, 4, "htcp/h1", 2)]
    pts["analog_outputs"] += [p(100, 2, "hser/h3", 3)]
    conf = {"gateway": {"name": "hostile-ieds", "log_level": "info", "status_interval": 0.0},
            "outstations": [outstation("scada", good_port, OUT_GOOD)],
            "channels": [good_channel(sim.port), htcp, hser], "points": pts}
    ieds = [HostileIed("hostile-ied-tcp", sc.abort, list(H_TCP), listener=lis),
            HostileIed("hostile-ied-serial", sc.abort, [H_SER], pty=pty_ied)]
    for x in ieds:
        x.honest.set()
        x.start()
    sc.all += ieds
    try:
        gw = h.gateway(conf, args=["-l", "info"])
        sc.start_good(gw, good_port, sim)
        # quiet: every device online and the hostile TCP IED holding the gateway's
        # connection (after a close the gateway reconnects after its backoff, while its
        # devices may still count as online: the fd count would then depend on timing)
        quiet = lambda st: devices_online(4)(st) and ieds[0].pipe is not None  # noqa: E731
        sc.settle(quiet, "startup")

        def hostile_round(seconds, what):
            for x in ieds:
                x.honest.clear()
            sc.run(lambda: [], seconds, what)
            for x in ieds:
                x.honest.set()
            counts = collections.Counter()
            for x in ieds:
                counts.update(x.counts)
                x.counts.clear()
            print("     %s: %s" % (what, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
            print("     TCP connections the gateway made to the hostile IED so far: %d" %
                  ieds[0].accepts)
            for x in ieds:
                print("     %s: requests received by function: %s" %
                      (x.name, dict(sorted(x.requests.items()))))
                x.requests.clear()
        hostile_round(WARMUP, "warm-up")
        base_fds, base_rss = sc.settle(quiet, "baseline")
        print("     baseline: %d fds, RSS %d kB; good master so far: %s" %
              (len(base_fds), base_rss, sc.good.summary()))
        hostile_round(SECONDS, "hostile IEDs")
        sc.finish(base_fds, base_rss, quiet)
    finally:
        sc.stop_all()
        lis.close()
    sc.check_errors()


def t_hostile_masters(h):
    """A hostile master, a connection storm (accepted and refused) and a master that
    never reads, for SECONDS: the daemon stays up, the good master's every poll is
    answered correctly in time and the good IED's every event arrives; afterwards fds
    exactly as at the baseline, RSS within the slack, no idle CPU."""
    sc = Scenario(h, "hostile masters")
    sim = h.sim(["--address", str(GOOD_IED), "--master-address", str(GW_MASTER),
                 "--points", "bi=8,bo=4,cnt=4,ai=4,ao=2"], script=GOOD_SCRIPT)
    good, hport, sport, cport, slow = (h.port() for _ in range(5))
    conf = {"gateway": {"name": "hostile-masters", "log_level": "info", "status_interval": 0.0},
            "outstations": [outstation("scada", good, OUT_GOOD),
                            outstation("hostile", hport, OUT_HOSTILE, unsol=True, max_fragment=249,
                                       keepalive=1.0),
                            outstation("storm", sport, OUT_STORM, unsol=True),
                            outstation("closed", cport, OUT_CLOSED, allow=["192.0.2.1"]),
                            outstation("slow", slow, OUT_SLOW, keepalive=3.0)],
            "channels": [good_channel(sim.port)], "points": good_points()}
    try:
        gw = h.gateway(conf, args=["-l", "info"])
        sc.start_good(gw, good, sim)
        quiet = lambda st: devices_online(1)(st) and "masters connected 1/5" in st  # noqa: E731
        sc.settle(quiet, "startup")

        def actors():
            return only([HostileMaster("hostile-master", sc.abort, hport, OUT_HOSTILE),
                         Storm("storm", sc.abort, [(sport, OUT_STORM), (cport, OUT_CLOSED)]),
                         NeverReader("never-reader", sc.abort, slow, OUT_SLOW)])
        warm = sc.run(actors, WARMUP, "warm-up")
        base_fds, base_rss = sc.settle(quiet, "baseline")
        print("     baseline: %d fds, RSS %d kB; good master so far: %s" %
              (len(base_fds), base_rss, sc.good.summary()))
        main = sc.run(actors, SECONDS, "hostile masters")
        for a in warm + main:
            if isinstance(a, Storm):
                print("     storm: %d connections" % a.total)
            if isinstance(a, NeverReader):
                print("     never-reader: %d polls sent, %d connections ended by the gateway" %
                      (a.polls, a.dropped_by_gateway))
        sc.finish(base_fds, base_rss, quiet)
    finally:
        sc.stop_all()
    sc.check_errors()


def t_select_hold_starves_polls(h):
    """A master SELECTs a CROB mapped to the good IED every 1.5 s, never OPERATEs, and
    sends a READ after each SELECT, which voids the select (IEEE 1815: the OPERATE must
    be the next request).  The gateway must keep polling the IED: its events keep
    reaching another master within EVENT_DEADLINE.  (Before issue 9 the select hold, the
    largest select_timeout, was renewed by every SELECT and never released by the READ,
    so the IED was not polled again and this failed.)"""
    sc = Scenario(h, "select hold")
    sim = h.sim(["--address", str(GOOD_IED), "--master-address", str(GW_MASTER),
                 "--points", "bi=8,bo=4,cnt=4,ai=4,ao=2"], script=GOOD_SCRIPT)
    good, sbo = h.port(), h.port()
    conf = {"gateway": {"name": "select-hold", "log_level": "info", "status_interval": 0.0},
            "outstations": [outstation("scada", good, OUT_GOOD),
                            outstation("sbo", sbo, OUT_HOSTILE)],
            "channels": [good_channel(sim.port)], "points": good_points()}
    try:
        gw = h.gateway(conf, args=["-l", "info"])
        sc.start_good(gw, good, sim)
        m = h.master(sbo, remote=OUT_HOSTILE)
        end = time.monotonic() + max(SECONDS / 2, 2 * EVENT_DEADLINE)
        n = 0
        while time.monotonic() < end:
            rsp = m.transaction(dnp3.SELECT, harness.crobs([(0, 0x03, 1, 100, 0)]))
            eq("SELECT status", values(h.decode(rsp), 12, 1)[0][-1]["crob"]["status"], 0)
            m.transaction(dnp3.READ, dnp3.CLASS0123)   # the select upstream is void now
            n += 1
            sc.check_errors()
            sc.abort.wait(1.5)
        sc.check_errors()
        print("     %d SELECTs; good master: %s" % (n, sc.good.summary()))
    finally:
        sc.stop_all()


TESTS = [t_hostile_ieds, t_hostile_masters, t_select_hold_starves_polls]


def main():
    args, tests = harness.parse_args(TESTS)
    print("seed %d (set DNP3GW_HOSTILE_SEED to repeat); %.0f s per hostile side "
          "(DNP3GW_HOSTILE_SECONDS)" % (SEED, SECONDS))
    return harness.run(tests, args)


if __name__ == "__main__":
    sys.exit(main())
