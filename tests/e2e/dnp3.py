# SPDX-License-Identifier: MIT
"""A tiny DNP3 master for end-to-end tests, plus helpers to run dnp3sim.

Encoder: link frames (CRC per header and 16-byte block), transport segments,
application requests and confirms.  Receiver: link frame scanner with CRC
checks, transport reassembly, application header (control, function, IIN).
Object values are decoded by tests/tools/dnp3dec (decode()), and
independently by Wireshark in the tshark test.

Every wait has a deadline; processes are killed by PID.
"""

import json
import os
import select
import socket
import struct
import subprocess
import time

DEADLINE = 10.0  # seconds for any single wait


class Fail(Exception):
    pass


def crc16(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA6BC if crc & 1 else crc >> 1
    return (~crc) & 0xFFFF


def link_frame(ctrl, dest, src, user=b""):
    hdr = struct.pack("<BBBBHH", 0x05, 0x64, 5 + len(user), ctrl, dest, src)
    out = hdr + struct.pack("<H", crc16(hdr))
    for i in range(0, len(user), 16):
        blk = user[i:i + 16]
        out += blk + struct.pack("<H", crc16(blk))
    return out


# application functions / headers
CONFIRM, READ, WRITE, SELECT, OPERATE, DIRECT_OPERATE, DIRECT_OPERATE_NR = 0, 1, 2, 3, 4, 5, 6
ENABLE_UNSOLICITED, DISABLE_UNSOLICITED = 20, 21
RESPONSE, UNSOLICITED_RESPONSE = 129, 130

CLASS0123 = bytes.fromhex("3c0206 3c0306 3c0406 3c0106")
CLASS1 = bytes.fromhex("3c0206")
CLASS2 = bytes.fromhex("3c0306")
CLASS3 = bytes.fromhex("3c0406")
CLASS123 = CLASS1 + CLASS2 + CLASS3
CLEAR_RESTART = bytes.fromhex("500100070700")  # WRITE g80v1 index 7 = 0


def crob(index, code, count=1, on=100, off=0):
    """g12v1, qualifier 0x28, one object."""
    return bytes.fromhex("0c0128") + struct.pack("<HHBBIIB", 1, index, code, count, on, off, 0)


def ao_f32(index, value):
    """g41v3 (float32), qualifier 0x28, one object."""
    return bytes.fromhex("290328") + struct.pack("<HHfB", 1, index, value, 0)


class Apdu:
    def __init__(self, raw, frames):
        self.raw = raw
        self.frames = frames  # the link frames (bytes) that carried it
        ctrl, self.func = raw[0], raw[1]
        self.fir, self.fin = bool(ctrl & 0x80), bool(ctrl & 0x40)
        self.con, self.uns = bool(ctrl & 0x20), bool(ctrl & 0x10)
        self.seq = ctrl & 0x0F
        self.iin = raw[2] | raw[3] << 8 if len(raw) >= 4 else 0  # IIN1 low byte

    def __repr__(self):
        return "Apdu(func=%d seq=%d fir=%d fin=%d con=%d uns=%d iin=%04x len=%d)" % (
            self.func, self.seq, self.fir, self.fin, self.con, self.uns, self.iin, len(self.raw))


class FdStream:
    """The socket calls Master uses, on a file descriptor (a pty master)."""

    def __init__(self, fd):
        self.fd = fd

    def fileno(self):
        return self.fd

    def sendall(self, b):
        while b:
            n = os.write(self.fd, b)
            b = b[n:]

    def recv(self, n):
        try:
            return os.read(self.fd, n)
        except OSError:  # EIO: the other side closed the pty
            return b""

    def close(self):
        os.close(self.fd)


class Master:
    """One connection to an outstation: requests out, APDUs in."""

    def __init__(self, port, host="127.0.0.1", local=1, remote=10, source=None, fd=None):
        self.local, self.remote = local, remote
        if fd is not None:
            self.sock = FdStream(fd)  # one end of a pty pair (a serial line)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if source:
                self.sock.bind((source, 0))
            self.sock.settimeout(DEADLINE)
            self.sock.connect((host, port))
            self.sock.setblocking(False)
        self.buf = b""
        self.seq = 0
        self.tseq = 0
        self.frag = b""
        self.frag_frames = []
        self.apdus = []
        self.rx_frames = []  # every link frame received, in order
        self.closed = False

    def close(self):
        self.sock.close()

    # -- sending
    def send_apdu(self, apdu):
        out = b""
        chunks = [apdu[i:i + 249] for i in range(0, len(apdu), 249)] or [b""]
        for i, ch in enumerate(chunks):
            th = (0x40 if i == 0 else 0) | (0x80 if i == len(chunks) - 1 else 0) | self.tseq
            self.tseq = (self.tseq + 1) & 0x3F
            out += link_frame(0xC4, self.remote, self.local, bytes([th]) + ch)
        self.sock.sendall(out)

    def request(self, func, objs=b"", seq=None):
        s = self.seq if seq is None else seq
        if seq is None:
            self.seq = (self.seq + 1) & 0x0F
        self.send_apdu(bytes([0xC0 | s, func]) + objs)
        return s

    def confirm(self, a):
        self.send_apdu(bytes([0xC0 | (0x10 if a.uns else 0) | a.seq, CONFIRM]))

    # -- receiving
    def _read(self, timeout):
        r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
        if not r:
            return False
        try:
            d = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            d = b""
        if not d:
            self.closed = True
            return True
        self.buf += d
        self._parse()
        return True

    def _parse(self):
        while True:
            i = self.buf.find(b"\x05\x64")
            if i < 0:
                self.buf = self.buf[-1:]
                return
            self.buf = self.buf[i:]
            if len(self.buf) < 10:
                return
            ln = self.buf[2]
            n_user = ln - 5
            size = 10 + n_user + 2 * ((n_user + 15) // 16)
            if len(self.buf) < size:
                return
            fr, self.buf = self.buf[:size], self.buf[size:]
            if crc16(fr[:8]) != struct.unpack("<H", fr[8:10])[0]:
                raise Fail("bad header CRC in %s" % fr.hex())
            user, p = b"", 10
            while p < size:
                blk = fr[p:min(p + 16, size - 2)]
                if crc16(blk) != struct.unpack("<H", fr[p + len(blk):p + len(blk) + 2])[0]:
                    raise Fail("bad data CRC in %s" % fr.hex())
                user += blk
                p += len(blk) + 2
            self.rx_frames.append(fr)
            ctrl = fr[3]
            if ctrl & 0x0F not in (3, 4) or not (ctrl & 0x40) or not user:
                continue  # not user data from a primary station
            th, seg = user[0], user[1:]
            if th & 0x40:
                self.frag, self.frag_frames = b"", []
            self.frag += seg
            self.frag_frames.append(fr)
            if th & 0x80:
                self.apdus.append(Apdu(self.frag, self.frag_frames))
                self.frag, self.frag_frames = b"", []

    def next_apdu(self, timeout=DEADLINE, pred=lambda a: True):
        end = time.monotonic() + timeout
        while True:
            for k, a in enumerate(self.apdus):
                if pred(a):
                    del self.apdus[k]
                    return a
            left = end - time.monotonic()
            if left <= 0 or self.closed:
                raise Fail("no APDU within %.1f s (closed=%s)" % (timeout, self.closed))
            self._read(left)

    def wait_closed(self, timeout=DEADLINE):
        end = time.monotonic() + timeout
        while not self.closed:
            left = end - time.monotonic()
            if left <= 0:
                raise Fail("connection not closed within %.1f s" % timeout)
            self._read(left)

    def response(self, seq, timeout=DEADLINE):
        return self.next_apdu(timeout, lambda a: a.func == RESPONSE and a.seq == seq)

    def transaction(self, func, objs=b"", confirm=True):
        """Send a request; gather every fragment of the response (confirming each with CON)."""
        seq = self.request(func, objs)
        out = []
        while True:
            a = self.response(seq)
            out.append(a)
            if a.con and confirm:
                self.confirm(a)
            if a.fin:
                return out
            seq = (seq + 1) & 0x0F


def decode(dec, apdus):
    """Objects of APDUs as dnp3dec decodes them: one dict per APDU."""
    lines = "".join("20000 %s\n" % fr.hex() for a in apdus for fr in a.frames)
    p = subprocess.run([dec], input=lines, stdout=subprocess.PIPE, text=True, timeout=DEADLINE)
    out = [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]
    res = [o for o in out if o.get("type") == "apdu"]
    if len(res) != len(apdus):
        raise Fail("dnp3dec decoded %d APDUs of %d" % (len(res), len(apdus)))
    for o in res:
        if "error" in o or "visit_error" in o:
            raise Fail("dnp3dec: %s" % o)
    return res


def values(decoded, group, var=None):
    """{index: value dict} of every object of group (and var) in decoded APDUs, in order."""
    out = {}
    for d in decoded:
        for o in d["objects"]:
            if o["group"] == group and (var is None or o["var"] == var):
                for v in o["values"]:
                    out.setdefault(v["index"], []).append(dict(v, var=o["var"]))
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class LineReader:
    """A child process's stdout as a queue of lines (JSON objects, or text), read
    with deadlines.  Subclasses set self.proc, name and json_lines, call
    _init_reader(), and give stderr_text() for failure messages."""

    name = "process"
    json_lines = True

    def _init_reader(self):
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.obuf = b""
        self.lines = []

    def stderr_text(self):
        return ""

    def _read(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], max(timeout, 0))
        if not r:
            return
        d = self.proc.stdout.read()
        if not d:
            raise Fail("%s exited (%s); stderr:\n%s" % (self.name, self.proc.poll(),
                                                         self.stderr_text()))
        self.obuf += d
        while b"\n" in self.obuf:
            ln, self.obuf = self.obuf.split(b"\n", 1)
            s = ln.decode(errors="replace")
            if not self.json_lines:
                self.lines.append(s)
                continue
            try:
                self.lines.append(json.loads(s))
            except ValueError:
                self.lines.append({"text": s})

    def wait(self, pred, timeout=DEADLINE, what="matching line"):
        """The first stdout line matching pred, removed from the queue."""
        end = time.monotonic() + timeout
        while True:
            for k, j in enumerate(self.lines):
                if pred(j):
                    del self.lines[k]
                    return j
            left = end - time.monotonic()
            if left <= 0:
                raise Fail("%s: no %s within %.1f s; stderr:\n%s" %
                           (self.name, what, timeout, self.stderr_text()[-3000:]))
            self._read(left)


class Sim(LineReader):
    """dnp3sim as a child process: stdin commands, stdout JSON lines."""

    name = "dnp3sim"

    def __init__(self, path, args, tmpdir, env=None):
        self.err_path = os.path.join(tmpdir, "sim-%d.err" % id(self))
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen([path] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err, env=env)
        self._init_reader()
        self.ready = self.wait(lambda j: j.get("event") == "ready", what="ready line")

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def stderr_text(self):
        return self.stderr()

    def stderr(self):
        self.err.flush()
        with open(self.err_path) as f:
            return f.read()

    def stop(self):
        """'quit', then kill by PID if it does not exit.  Returns (exit status, stderr)."""
        try:
            self.send("quit")
            rc = self.proc.wait(timeout=DEADLINE)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()  # by PID
            self.proc.wait(timeout=DEADLINE)
            rc = "killed"
        err = self.stderr()
        self.proc.stdout.close()
        self.proc.stdin.close()
        self.err.close()
        os.unlink(self.err_path)
        return rc, err
