#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""dnp3gwd as a process: -t, startup failures, sd_notify, signals, reload,
the systemd unit's exposure rating and the manual pages.

Usage: test_daemon.py --daemon PATH/dnp3gwd --case NAME [--unit FILE] [--man DIR]
                      [--sim PATH/dnp3sim]

Cases: check-good, check-broken, start-config-error, start-port-in-use, run,
reload-sessions, reload-shared-endpoint, device, events, diag, connect-storm, unit-security,
man-lint.  Every wait has a deadline; processes are killed by PID.
"""

import argparse
import atexit
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import dnp3  # noqa: E402
from dnp3 import Fail  # noqa: E402

DEADLINE = 10.0


def eq(what, got, want):
    if got != want:
        raise Fail("%s:\n got      %r\n expected %r" % (what, got, want))


_RUN_DIR = []


def clean_env(extra=None):
    env = dict(os.environ)
    for k in ("JOURNAL_STREAM", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(k, None)
    # the control socket in a directory of the test's, not /run/dnp3gw
    if not _RUN_DIR:
        _RUN_DIR.append(tempfile.mkdtemp(prefix="dnp3gw-run-"))
        atexit.register(shutil.rmtree, _RUN_DIR[0], True)
    env["RUNTIME_DIRECTORY"] = _RUN_DIR[0]
    env.update(extra or {})
    return env


def run(cmd, cwd=None, env=None):
    p = subprocess.run(cmd, cwd=cwd, env=env or clean_env(), capture_output=True, text=True,
                       timeout=DEADLINE)
    return p.returncode, p.stdout, p.stderr


CONF = """\
gateway = {{ name = "daemon-test"; log_level = "{level}"; status_interval = 0.0;
            state_directory = "{state}"; }};
outstations = ( {{ name = "scada"; listen = "127.0.0.1:{up}"; address = 10; master_address = 1;
                  events = {{ class1 = 100; class2 = 100; class3 = 100; }}; }} );
channels = ( {{ name = "bay1"; tcp = {{ host = "127.0.0.1"; port = {down}; }};
               response_timeout = {rto};
               devices = ( {{ name = "relay1"; address = 20; }} ); }} );
points = {{
  binary_inputs = ( {{ index = 0; count = {count}; device = "bay1/relay1"; class = 1; }} );
}};
"""


def state_dir(conf_path):
    """Each test's event journals beside its configuration file, never in /var/lib/dnp3gw."""
    return os.path.join(os.path.dirname(os.path.abspath(conf_path)), "state")


def conf(path, **kw):
    args = dict(level="info", rto=2.0, count=4, state=state_dir(path))
    args.update(kw)
    with open(path, "w") as f:
        f.write(CONF.format(**args))


class Notify:
    """A unix datagram socket standing in for systemd's NOTIFY_SOCKET."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.msgs = []

    def wait(self, pred, what, timeout=DEADLINE):
        """The first message (a dict of its KEY=value lines) matching pred; earlier ones dropped."""
        end = time.monotonic() + timeout
        while True:
            while self.msgs:
                m = self.msgs.pop(0)
                if pred(m):
                    return m
            left = end - time.monotonic()
            if left <= 0:
                raise Fail("sd_notify: no %s within %.1f s" % (what, timeout))
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                d = self.sock.recv(4096).decode()
                self.msgs.append(dict(ln.split("=", 1) for ln in d.split("\n") if "=" in ln))

    def close(self):
        self.sock.close()


class Daemon:
    """dnp3gwd as a child; stderr lines collected by a thread."""

    def __init__(self, path, config, env):
        self.proc = subprocess.Popen([path, "-c", config], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=env, text=True)
        self.lines = []
        self.pos = 0
        self.cond = threading.Condition()
        self.t = threading.Thread(target=self._reader, daemon=True)
        self.t.start()

    def _reader(self):
        for ln in self.proc.stderr:
            with self.cond:
                self.lines.append(ln.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # EOF
            self.cond.notify_all()

    def wait_line(self, pattern, timeout=DEADLINE):
        """The next stderr line (after the last one matched) that matches the regex."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                while self.pos < len(self.lines):
                    ln = self.lines[self.pos]
                    self.pos += 1
                    if ln is None:
                        raise Fail("dnp3gwd exited (%s) before a line matching %r; stderr:\n%s" %
                                   (self.proc.poll(), pattern, self.text()))
                    if rx.search(ln):
                        return ln
                left = end - time.monotonic()
                if left <= 0:
                    raise Fail("no stderr line matching %r within %.1f s; stderr:\n%s" %
                               (pattern, timeout, self.text()))
                self.cond.wait(left)

    def text(self):
        return "\n".join(ln for ln in self.lines if ln is not None)

    def has(self, pattern):
        rx = re.compile(pattern)
        with self.cond:
            return any(ln is not None and rx.search(ln) for ln in self.lines)

    def signal(self, sig):
        self.proc.send_signal(sig)  # by PID

    def stop(self):
        self.signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
            rc = "killed"
        self.t.join(DEADLINE)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)


def listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    return s


def accept(lsock, timeout=DEADLINE):
    r, _, _ = select.select([lsock], [], [], timeout)
    if not r:
        raise Fail("the channel did not connect within %.1f s" % timeout)
    c, _ = lsock.accept()
    return c


def read_frame(c, timeout=DEADLINE):
    end = time.monotonic() + timeout
    buf = b""
    while len(buf) < 10:
        left = end - time.monotonic()
        r, _, _ = select.select([c], [], [], max(left, 0))
        if not r:
            raise Fail("no frame from the channel within %.1f s" % timeout)
        d = c.recv(4096)
        if not d:
            raise Fail("the channel closed the connection")
        buf += d
    return buf


# ---- cases ------------------------------------------------------------------


def case_check_good(a):
    rc, out, err = run([a.daemon, "-t", "-c", "good.conf"], cwd=HERE)
    with open(os.path.join(HERE, "good.expected")) as f:
        eq("dnp3gwd -t good.conf output", out, f.read())
    eq("stderr", err, "")
    eq("exit status", rc, 0)


def case_check_broken(a):
    rc, out, err = run([a.daemon, "-t", "-c", "broken.conf"], cwd=HERE)
    with open(os.path.join(HERE, "broken.expected")) as f:
        eq("dnp3gwd -t broken.conf output", out, f.read())
    eq("exit status", rc, 78)


def case_start_config_error(a):
    rc, out, err = run([a.daemon, "-c", "broken.conf"], cwd=HERE)
    with open(os.path.join(HERE, "broken.expected")) as f:
        want = "".join("<error> " + ln for ln in f.readlines())
    eq("startup with broken.conf: stderr", err, want)
    eq("exit status", rc, 78)
    rc, out, err = run([a.daemon, "-c", "does-not-exist.conf"], cwd=HERE)
    eq("missing file: stderr", err, "<error> does-not-exist.conf: No such file or directory\n")
    eq("missing file: exit status", rc, 78)


def case_start_port_in_use(a, tmp):
    taken = listener()
    port = taken.getsockname()[1]
    path = os.path.join(tmp, "gw.conf")
    conf(path, up=port, down=dnp3.free_port())
    rc, out, err = run([a.daemon, "-c", path])
    taken.close()
    want_listen = ("<error> outstation scada: cannot listen on 127.0.0.1:%d: "
                   "Address already in use" % port)
    if want_listen not in err.splitlines():
        raise Fail("no %r in stderr:\n%s" % (want_listen, err))
    eq("last line", err.splitlines()[-1], "<error> startup failed: Address already in use")
    eq("exit status", rc, 1)


def status_line(online, masters):
    return ("daemon-test: devices online %d/1, masters connected %d/1, events forwarded 0, "
            "last error: none" % (online, masters))


def case_run(a, tmp):
    dev = listener()
    up = dnp3.free_port()
    path = os.path.join(tmp, "gw.conf")
    conf(path, level="warning", up=up, down=dev.getsockname()[1])
    n = Notify(tmp)
    d = Daemon(a.daemon, path, clean_env({"NOTIFY_SOCKET": n.path, "WATCHDOG_USEC": "400000"}))
    m = None
    try:
        # READY=1 with the first STATUS= line, sent once the listener is bound
        r = n.wait(lambda x: "READY" in x, "READY=1")
        eq("READY", r.get("READY"), "1")
        eq("STATUS at READY", r.get("STATUS"), status_line(0, 0))
        n.wait(lambda x: x.get("WATCHDOG") == "1", "WATCHDOG=1")

        # the channel connects to our "device" and polls address 20 from address 1
        c = accept(dev)
        fr = read_frame(c)
        eq("first downstream frame: start, dest, src", (fr[0:2], fr[4:6], fr[6:8]),
           (b"\x05\x64", (20).to_bytes(2, "little"), (1).to_bytes(2, "little")))

        # an upstream master: a class 0 read is answered; STATUS follows the connection
        m = dnp3.Master(up)
        a0 = m.transaction(dnp3.READ, dnp3.CLASS0123)
        eq("upstream answer", a0[-1].func, dnp3.RESPONSE)
        n.wait(lambda x: x.get("STATUS") == status_line(0, 1), "STATUS with the master")
        # at log level warning nothing of info level was written
        if d.has(r"^<(info|notice)> "):
            raise Fail("info/notice lines at level warning:\n" + d.text())

        # SIGHUP with an invalid file: every error logged, nothing changes
        with open(path) as f:
            good = f.read()
        with open(path, "w") as f:
            f.write(good.replace('log_level = "warning"', 'log_level = "loud"'))
        d.signal(signal.SIGHUP)
        n.wait(lambda x: x.get("RELOADING") == "1" and "MONOTONIC_USEC" in x, "RELOADING=1")
        d.wait_line(r'^<error> %s:1: gateway\.log_level: "loud" is not one of error, '
                    r'warning, notice, info, debug, trace$' % re.escape(path))
        d.wait_line(r"^<error> %s: 1 error$" % re.escape(path))
        d.wait_line(r"^<error> reload: %s is not valid; the running configuration stays in "
                    r"force$" % re.escape(path))
        n.wait(lambda x: x.get("READY") == "1", "READY=1 after the failed reload")
        a1 = m.transaction(dnp3.READ, dnp3.CLASS0123)   # same connection, still served
        eq("upstream answer after the failed reload", a1[-1].func, dnp3.RESPONSE)

        # SIGHUP with log_level info: applied; identical outstation and channel kept
        with open(path, "w") as f:
            f.write(good.replace('log_level = "warning"', 'log_level = "info"'))
        d.signal(signal.SIGHUP)
        d.wait_line(r"^<info> reload: outstations kept 1, started 0; channels kept 1, "
                    r"started 0$")
        d.wait_line(r"^<info> configuration %s loaded: daemon-test: outstations=1 " %
                    re.escape(path))
        n.wait(lambda x: x.get("READY") == "1", "READY=1 after the reload")
        a2 = m.transaction(dnp3.READ, dnp3.CLASS0123)
        eq("upstream answer on the kept connection", a2[-1].func, dnp3.RESPONSE)
        if d.has("MASTER_DISCONNECTED|master 127.0.0.1 disconnected"):
            raise Fail("the kept outstation dropped its master:\n" + d.text())

        # SIGUSR1: the status report
        d.signal(signal.SIGUSR1)
        d.wait_line(r"^<info> status: " + re.escape(status_line(0, 1)) + "$")
        d.wait_line(r"^<info> outstation scada: master 127\.0\.0\.1 connected for \d+ s; "
                    r"buffers class1 0/100 class2 0/100 class3 0/100; ")
        d.wait_line(r"^<info> channel bay1: up; ")
        d.wait_line(r"^<info> device bay1/relay1 \(address 20\): unknown; last success never;")

        # SIGHUP with a changed point map: the outstation is rebuilt, its master dropped;
        # its successor (same name) reads its event journal back
        with open(path, "w") as f:
            f.write(good.replace('log_level = "warning"', 'log_level = "info"')
                    .replace("count = 4;", "count = 8;"))
        d.signal(signal.SIGHUP)
        d.wait_line(r"^<info> outstation scada: stopped for the new configuration \(the point "
                    r"map changed\); 0 buffered events carried over through its journal$")
        d.wait_line(r"^<notice> outstation scada: 0 events restored from the journal "
                    r"\S+/state/scada\.events; 0 of points no longer mapped dropped, 0 "
                    r"discarded by a smaller buffer \(IIN2\.3\) ")
        d.wait_line(r"^<info> reload: outstations kept 0, started 1; channels kept 1, "
                    r"started 0; point map changed$")
        m.wait_closed()
        m.close()
        m = dnp3.Master(up)                      # the new outstation listens on the same port
        a3 = m.transaction(dnp3.READ, dnp3.CLASS0123)
        eq("upstream answer from the rebuilt outstation", a3[-1].func, dnp3.RESPONSE)

        # SIGTERM: STOPPING=1, clean exit 0
        rc = d.stop()
        n.wait(lambda x: x.get("STOPPING") == "1", "STOPPING=1")
        eq("exit status after SIGTERM", rc, 0)
        eq("last line", d.lines[-2], "<notice> stopped")
        c.close()
    finally:
        d.kill()
        if m:
            m.close()
        dev.close()
        n.close()


def multi_conf(path, outs, down, rto):
    """outs: [(name, port, address)] or [(name, port, address, event depth)]"""
    o = ", ".join('{ name = "%s"; listen = "127.0.0.1:%d"; address = %d; master_address = 1; '
                  'events = { class1 = %d; class2 = 10; class3 = 10; }; }'
                  % (tuple(x) + (10,))[:4] for x in outs)
    with open(path, "w") as f:
        f.write('gateway = { name = "daemon-test"; log_level = "info"; status_interval = 0.0; '
                'state_directory = "%s"; };\n' % state_dir(path) +
                "outstations = ( %s );\n"
                'channels = ( { name = "bay1"; tcp = { host = "127.0.0.1"; port = %d; }; '
                'response_timeout = %.1f; devices = ( { name = "relay1"; address = 20; } ); } );\n'
                'points = { binary_inputs = ( { index = 0; count = 4; device = "bay1/relay1"; } ); };\n'
                % (o, down, rto))


def case_reload_sessions(a, tmp):
    """Reload adding and removing outstations and changing a channel (under ASan too)."""
    dev = listener()
    p1, p2 = dnp3.free_port(), dnp3.free_port()
    path = os.path.join(tmp, "gw.conf")
    multi_conf(path, [("scada", p1, 10)], dev.getsockname()[1], 2.0)
    n = Notify(tmp)
    d = Daemon(a.daemon, path, clean_env({"NOTIFY_SOCKET": n.path}))
    m1 = m2 = None
    conns = []
    try:
        n.wait(lambda x: x.get("READY") == "1", "READY=1")
        conns.append(accept(dev))
        m1 = dnp3.Master(p1)
        eq("scada answers", m1.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func, dnp3.RESPONSE)

        # a second outstation: the first keeps its master
        multi_conf(path, [("scada", p1, 10), ("scada2", p2, 11)], dev.getsockname()[1], 2.0)
        d.signal(signal.SIGHUP)
        d.wait_line(r"^<info> reload: outstations kept 1, started 1; channels kept 1, "
                    r"started 0$")
        eq("scada answers after the reload",
           m1.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func, dnp3.RESPONSE)
        m2 = dnp3.Master(p2, remote=11)
        eq("scada2 answers", m2.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func, dnp3.RESPONSE)
        n.wait(lambda x: x.get("STATUS", "").startswith(
            "daemon-test: devices online 0/1, masters connected 2/2"), "STATUS 2/2 masters")

        # a changed channel is closed and opened again; the outstations stay
        multi_conf(path, [("scada", p1, 10), ("scada2", p2, 11)], dev.getsockname()[1], 3.0)
        d.signal(signal.SIGHUP)
        d.wait_line(r"^<warning> device bay1/relay1 \(address 20\) is offline: its channel is "
                    r"down ")
        d.wait_line(r"^<info> channel bay1: stopped for the new configuration$")
        d.wait_line(r"^<info> reload: outstations kept 2, started 0; channels kept 0, "
                    r"started 1$")
        conns.append(accept(dev))
        eq("scada2 answers after the channel change",
           m2.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func, dnp3.RESPONSE)

        # the first outstation removed: its master is disconnected, the other stays
        multi_conf(path, [("scada2", p2, 11)], dev.getsockname()[1], 3.0)
        d.signal(signal.SIGHUP)
        # its 4 COMM_LOST events (the channel change took relay1 offline) were never read
        d.wait_line(r"^<warning> outstation scada: stopped for the new configuration; 4 "
                    r"buffered events discarded DNP3GW_OUTSTATION=scada DNP3GW_DISCARDED=4$")
        d.wait_line(r"^<info> reload: outstations kept 1, started 0; channels kept 1, "
                    r"started 0$")
        # a removed outstation's journal is removed; the kept one keeps its own
        eq("journal of the removed outstation exists",
           os.path.exists(os.path.join(state_dir(path), "scada.events")), False)
        eq("journal of the kept outstation exists",
           os.path.exists(os.path.join(state_dir(path), "scada2.events")), True)
        m1.wait_closed()
        eq("scada2 answers after scada was removed",
           m2.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func, dnp3.RESPONSE)

        # scada2 moved to a port another process holds: the new endpoint is bound
        # before anything old is torn down, so the reload is refused, nothing changes
        blocker = listener()
        held = blocker.getsockname()[1]
        try:
            multi_conf(path, [("scada2", held, 11)], dev.getsockname()[1], 3.0)
            d.signal(signal.SIGHUP)
            d.wait_line(r"^<error> outstation scada2: cannot listen on 127\.0\.0\.1:%d: "
                        r"Address already in use$" % held)
            d.wait_line(r"^<error> reload: \S+ not applied; the running configuration stays in "
                        r"force$")
            eq("scada2 still answers on its old port",
               m2.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func, dnp3.RESPONSE)
            if d.has(r"outstation scada2: stopped for the new configuration"):
                raise Fail("the refused reload stopped scada2:\n" + d.text())
        finally:
            blocker.close()
        eq("exit status after SIGTERM", d.stop(), 0)
    finally:
        d.kill()
        for m in (m1, m2):
            if m:
                m.close()
        for c in conns:
            c.close()
        dev.close()
        n.close()


def listen_inodes(port):
    """Inodes of the listening TCP sockets on 127.0.0.1:port (/proc/net/tcp)."""
    want = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        rows = [ln.split() for ln in f.readlines()[1:]]
    return [r[9] for r in rows if r[1] == want and r[3] == "0A"]


def answered_by(m, address):
    """A class 0 read on m is answered, every frame from link address `address`."""
    m.rx_frames = []
    eq("answer", m.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func, dnp3.RESPONSE)
    eq("link source of the answer", sorted({int.from_bytes(fr[6:8], "little")
                                            for fr in m.rx_frames}), [address])


def case_reload_shared_endpoint(a, tmp):
    """Outstations sharing one listen endpoint across reloads: one socket throughout (the
    same inode), never rebound; adding one keeps the other's master; a changed one is
    rebuilt on the same socket; removing one leaves the socket to the other."""
    dev = listener()
    p = dnp3.free_port()
    down = dev.getsockname()[1]
    path = os.path.join(tmp, "gw.conf")
    multi_conf(path, [("scada", p, 10)], down, 2.0)
    n = Notify(tmp)
    d = Daemon(a.daemon, path, clean_env({"NOTIFY_SOCKET": n.path}))
    ms = []
    c = None
    try:
        n.wait(lambda x: x.get("READY") == "1", "READY=1")
        c = accept(dev)
        inode = listen_inodes(p)
        eq("one listening socket", len(inode), 1)
        m1 = dnp3.Master(p, remote=10)
        ms.append(m1)
        answered_by(m1, 10)

        # a second outstation on the same endpoint: attached, not rebound; scada keeps m1
        multi_conf(path, [("scada", p, 10), ("scada2", p, 11)], down, 2.0)
        d.signal(signal.SIGHUP)
        d.wait_line(r"^<info> outstation scada2: listening on 127\.0\.0\.1:%d \(port %d\), "
                    r"address 11, master 1; shared with 1 other outstation$" % (p, p))
        d.wait_line(r"^<info> reload: outstations kept 1, started 1; channels kept 1, "
                    r"started 0$")
        eq("the same listening socket after adding scada2", listen_inodes(p), inode)
        answered_by(m1, 10)
        m2 = dnp3.Master(p, remote=11)
        ms.append(m2)
        answered_by(m2, 11)
        n.wait(lambda x: x.get("STATUS", "").startswith(
            "daemon-test: devices online 0/1, masters connected 2/2"), "STATUS 2/2 masters")

        # scada changed: rebuilt on the same socket once the old one left its address
        multi_conf(path, [("scada", p, 10, 20), ("scada2", p, 11)], down, 2.0)
        d.signal(signal.SIGHUP)
        d.wait_line(r"^<info> outstation scada: stopped for the new configuration; "
                    r"\d+ buffered events carried over through its journal$")
        d.wait_line(r"^<info> outstation scada: listening on 127\.0\.0\.1:%d \(port %d\), "
                    r"address 10, master 1; shared with 1 other outstation$" % (p, p))
        d.wait_line(r"^<info> reload: outstations kept 1, started 1; channels kept 1, "
                    r"started 0$")
        eq("the same listening socket after rebuilding scada", listen_inodes(p), inode)
        m1.wait_closed()
        answered_by(m2, 11)
        m1b = dnp3.Master(p, remote=10)
        ms.append(m1b)
        answered_by(m1b, 10)

        # scada2 removed: its master goes, the socket stays scada's
        multi_conf(path, [("scada", p, 10, 20)], down, 2.0)
        d.signal(signal.SIGHUP)
        d.wait_line(r"^<info> reload: outstations kept 1, started 0; channels kept 1, "
                    r"started 0$")
        m2.wait_closed()
        eq("the same listening socket after removing scada2", listen_inodes(p), inode)
        answered_by(m1b, 10)
        if d.has(r"cannot listen|Address already in use"):
            raise Fail("an endpoint was bound twice:\n" + d.text())
        eq("exit status after SIGTERM", d.stop(), 0)
    finally:
        d.kill()
        for m in ms:
            m.close()
        if c:
            c.close()
        dev.close()
        n.close()


def case_device(a, tmp):
    """A real device (dnp3sim) behind the channel: online/offline records and STATUS."""
    port = dnp3.free_port()
    sim = dnp3.Sim(a.sim, ["--listen", "127.0.0.1:%d" % port, "--address", "20",
                           "--master-address", "1", "--points", "bi=4"], tmp)
    path = os.path.join(tmp, "gw.conf")
    conf(path, up=dnp3.free_port(), down=port, rto=0.5)
    n = Notify(tmp)
    d = Daemon(a.daemon, path, clean_env({"NOTIFY_SOCKET": n.path}))
    try:
        n.wait(lambda x: x.get("READY") == "1", "READY=1")
        d.wait_line(r"^<notice> channel bay1: 127\.0\.0\.1:%d is open DNP3GW_CHANNEL=bay1 "
                    r"DNP3GW_STATE=up$" % port)
        d.wait_line(r"^<notice> device bay1/relay1 \(address 20\) is online DNP3GW_CHANNEL=bay1 "
                    r"DNP3GW_DEVICE=relay1 DNP3GW_DEVICE_ADDRESS=20$")
        n.wait(lambda x: x.get("STATUS", "").startswith(
            "daemon-test: devices online 1/1, masters connected 0/1"), "STATUS online 1/1")
        rc, _ = sim.stop()
        d.wait_line(r"^<warning> device bay1/relay1 \(address 20\) is offline: its channel is "
                    r"down DNP3GW_CHANNEL=bay1 DNP3GW_DEVICE=relay1 DNP3GW_DEVICE_ADDRESS=20$")
        d.wait_line(r"^<warning> channel bay1: 127\.0\.0\.1:%d lost: .*; retrying with backoff "
                    r"DNP3GW_CHANNEL=bay1 DNP3GW_STATE=down$" % port)
        st = n.wait(lambda x: x.get("STATUS", "").startswith("daemon-test: devices online 0/1"),
                    "STATUS online 0/1")
        if "last error: " not in st["STATUS"] or st["STATUS"].endswith("last error: none"):
            raise Fail("STATUS has no last error: %r" % st["STATUS"])
        eq("exit status after SIGTERM", d.stop(), 0)
    finally:
        d.kill()
        n.close()
        if sim.proc.poll() is None:
            sim.proc.kill()
            sim.proc.wait(timeout=DEADLINE)


def case_diag(a, tmp):
    """Frames for another address, from an unknown source, and with the master's DIR bit."""
    dev = listener()
    path = os.path.join(tmp, "gw.conf")
    conf(path, up=dnp3.free_port(), down=dev.getsockname()[1])
    d = Daemon(a.daemon, path, clean_env())
    c = None
    try:
        c = accept(dev)
        read_frame(c)
        rsp = bytes.fromhex("c0c0810000")  # transport FIR|FIN, RESPONSE with IIN 0
        c.sendall(dnp3.link_frame(0x44, 1, 33, rsp) + dnp3.link_frame(0x44, 1, 33, rsp) +
                  dnp3.link_frame(0x44, 5, 20, rsp) + dnp3.link_frame(0xC4, 1, 20, rsp))
        d.wait_line(r"^<warning> channel bay1: frame from unexpected source 33 to 1 ignored: the "
                    r"devices configured on this channel are 20 DNP3GW_CHANNEL=bay1 "
                    r"DNP3GW_DEVICE= DNP3GW_SOURCE=33 DNP3GW_DESTINATION=1$")
        d.wait_line(r"^<warning> channel bay1: frame from 20 for address 5 ignored: the gateway is "
                    r"master_address 1 on this channel ")
        d.wait_line(r"^<warning> bay1/relay1: frame from 20 to 1 is a request, not a response: "
                    r"the peer is acting as a master: check roles DNP3GW_CHANNEL=bay1 "
                    r"DNP3GW_DEVICE=relay1 DNP3GW_SOURCE=20 DNP3GW_DESTINATION=1$")
        # the repeated frame from 33 was counted, not logged again (once a minute per pair)
        eq("lines about source 33", len([ln for ln in d.lines if ln and "source 33" in ln]), 1)
        # a peer varying its source address gets new keys, not a journal flood: the
        # channel's diagnostics stop at 16 lines a minute (3 above, so 13 of these 40)
        c.sendall(b"".join(dnp3.link_frame(0x44, 1, src, rsp) for src in range(100, 140)))
        for _ in range(13):
            d.wait_line(r"^<warning> channel bay1: frame from unexpected source 1[0-3]\d to 1 ")
        d.signal(signal.SIGUSR1)   # a marker: the flood's bytes were handled before it
        d.wait_line(r"^<info> status: ")
        flood = [ln for ln in d.lines if ln and re.search(r"unexpected source 1[0-3]\d ", ln)]
        eq("diagnostic lines for 40 varying sources", len(flood), 13)
        eq("exit status after SIGTERM", d.stop(), 0)
    finally:
        d.kill()
        if c:
            c.close()
        dev.close()


def case_events(a, tmp):
    """No master connected, a class 1 buffer of 5: the 80 % warning, then the overflow."""
    port = dnp3.free_port()
    sim = dnp3.Sim(a.sim, ["--listen", "127.0.0.1:%d" % port, "--address", "20",
                           "--master-address", "1", "--points", "bi=4"], tmp)
    path = os.path.join(tmp, "gw.conf")
    with open(path, "w") as f:
        f.write('gateway = { state_directory = "%s"; };\n' % state_dir(path) +
                'outstations = ( { name = "scada"; listen = "127.0.0.1:%d"; address = 10; '
                'events = { class1 = 5; class2 = 5; class3 = 5; }; } );\n'
                'channels = ( { name = "bay1"; tcp = { host = "127.0.0.1"; port = %d; }; '
                'devices = ( { name = "relay1"; address = 20; class_polls = [ 0.2, 0.0, 0.0 ]; '
                '} ); } );\n'
                'points = { binary_inputs = ( { index = 0; count = 4; device = "bay1/relay1"; '
                'class = 1; } ); };\n' % (dnp3.free_port(), port))
    d = Daemon(a.daemon, path, clean_env())
    try:
        d.wait_line(r"^<notice> device bay1/relay1 \(address 20\) is online ")
        for i in range(12):
            sim.send("bi 2 %d" % (i & 1))
        # checked after every measurement: the warning comes at 4 of 5, before any loss
        d.wait_line(r"^<warning> outstation scada: class 1 event buffer is 80% full \(4 of 5 "
                    r"events\); nothing lost yet DNP3GW_OUTSTATION=scada DNP3GW_CLASS=1 "
                    r"DNP3GW_DEPTH=5$")
        # the record names the device that lost the event (the only one here)
        d.wait_line(r"^<warning> outstation scada: class 1 event buffer overflowed: 1 events "
                    r"discarded \(1 in all; depth 5\), each the oldest of the device holding "
                    r"the most: bay1/relay1 1 DNP3GW_OUTSTATION=scada DNP3GW_CLASS=1 "
                    r"DNP3GW_DEPTH=5 DNP3GW_DISCARDED=1 DNP3GW_DISCARDED_TOTAL=1 "
                    r"DNP3GW_CHANNEL=bay1 DNP3GW_DEVICE=relay1 DNP3GW_DEVICES=bay1/relay1=1$")
        # one 80 % warning for the whole flood
        eq("80 % warnings", len([ln for ln in d.lines if ln and "80% full" in ln]), 1)
        eq("exit status after SIGTERM", d.stop(), 0)
    finally:
        d.kill()
        if sim.proc.poll() is None:
            sim.stop()


JOURNAL_HEADER, JOURNAL_ADD = 16, 31     # bytes (src/outstation/evjournal.h)


def wait_size(path, n, what):
    end = time.monotonic() + DEADLINE
    while not (os.path.exists(path) and os.path.getsize(path) == n):
        if time.monotonic() > end:
            raise Fail("%s: %s is %s bytes, expected %d" % (
                what, path, os.path.getsize(path) if os.path.exists(path) else "no file", n))
        time.sleep(0.05)


def case_persist(a, tmp):
    """No master connected: three changes of the IED are journaled (synced before the
    IED's response is confirmed); dnp3gwd is killed (SIGKILL) and started again: one record
    says 3 events were restored, before READY; a torn tail appended to the journal is set
    aside by the next start, which restores the same 3."""
    port = dnp3.free_port()
    sim = dnp3.Sim(a.sim, ["--listen", "127.0.0.1:%d" % port, "--address", "20",
                           "--master-address", "1", "--points", "bi=4"], tmp)
    path = os.path.join(tmp, "gw.conf")
    with open(path, "w") as f:
        f.write('gateway = { log_level = "debug"; state_directory = "%s"; };\n' % state_dir(path) +
                'outstations = ( { name = "scada"; listen = "127.0.0.1:%d"; address = 10; } );\n'
                'channels = ( { name = "bay1"; tcp = { host = "127.0.0.1"; port = %d; }; '
                'devices = ( { name = "relay1"; address = 20; class_polls = [ 0.2, 0.0, 0.0 ]; '
                '} ); } );\n'
                'points = { binary_inputs = ( { index = 0; count = 4; device = "bay1/relay1"; '
                'class = 1; } ); };\n' % (dnp3.free_port(), port))
    journal = os.path.join(state_dir(path), "scada.events")
    restored = (r"^<notice> outstation scada: 3 events restored from the journal %s; 0 of "
                r"points no longer mapped dropped, 0 discarded by a smaller buffer \(IIN2\.3\) "
                r"DNP3GW_OUTSTATION=scada DNP3GW_JOURNAL=%s DNP3GW_RESTORED=3 DNP3GW_UNMAPPED=0 "
                r"DNP3GW_DISCARDED=0 DNP3GW_SET_ASIDE=%s$")
    d = Daemon(a.daemon, path, clean_env())
    try:
        d.wait_line(r"^<notice> outstation scada: 0 events restored from the journal ")
        d.wait_line(r"^<notice> device bay1/relay1 \(address 20\) is online ")
        wait_size(journal, JOURNAL_HEADER, "a new journal: its header")
        for cmd in ("bi 2 1", "bi 2 0", "bi 3 1"):
            sim.send(cmd)
        wait_size(journal, JOURNAL_HEADER + 3 * JOURNAL_ADD, "three events journaled")
        # the IED's CONFIRM follows the sync: two polls later it went out for certain (a
        # kill before it would only make the IED send the events again, which is allowed)
        with d.cond:
            d.pos = len(d.lines)
        for _ in range(2):
            d.wait_line(r"^<debug> bay1/relay1: class1_poll done$")
        d.kill()

        d = Daemon(a.daemon, path, clean_env())
        d.wait_line(restored % (re.escape(journal), re.escape(journal), ""))
        d.wait_line(r"^<notice> ready: ")       # restored before the loop ran
        wait_size(journal, JOURNAL_HEADER + 3 * JOURNAL_ADD, "the snapshot of the three")
        d.kill()

        with open(journal, "ab") as f:
            f.write(b"\x01\x07\x00\x00")    # a record cut short by a power cut
        d = Daemon(a.daemon, path, clean_env())
        ln = d.wait_line(r"^<warning> outstation scada: event journal %s damaged: incomplete "
                         r"record at the end \(a write cut short\) after 3 good records; "
                         r"replay ends there, 4 bytes set aside as (\S+) " % re.escape(journal))
        aside = re.search(r"set aside as (\S+) ", ln).group(1)
        eq("set-aside name", re.fullmatch(re.escape(journal) + r"\.corrupt-\d{8}T\d{6}Z", aside)
           is not None, True)
        with open(aside, "rb") as f:
            eq("set-aside bytes", f.read(), b"\x01\x07\x00\x00")
        d.wait_line(restored % (re.escape(journal), re.escape(journal), re.escape(aside)))
        wait_size(journal, JOURNAL_HEADER + 3 * JOURNAL_ADD, "the snapshot, without the tail")
        eq("exit status after SIGTERM", d.stop(), 0)
    finally:
        d.kill()
        if sim.proc.poll() is None:
            sim.stop()


def persist_conf(path, persist, up, down):
    """Outstations a and b (persist[0], persist[1]) on one endpoint, one TCP device."""
    o = ", ".join('{ name = "%s"; listen = "127.0.0.1:%d"; address = %d; '
                  'events = { class1 = 10; class2 = 10; class3 = 10; persist = %s; }; }'
                  % (n, up, 10 + k, "true" if p else "false")
                  for k, (n, p) in enumerate(zip("ab", persist)))
    with open(path, "w") as f:
        f.write('gateway = { state_directory = "%s"; };\n' % state_dir(path) +
                "outstations = ( %s );\n" % o +
                'channels = ( { name = "bay1"; tcp = { host = "127.0.0.1"; port = %d; }; '
                'devices = ( { name = "relay1"; address = 20; class_polls = [ 0.2, 0.0, 0.0 ]; '
                '} ); } );\n'
                'points = { binary_inputs = ( { index = 0; count = 4; device = "bay1/relay1"; '
                'class = 1; } ); };\n' % down)


def case_persist_reload(a, tmp):
    """SIGHUP toggles events.persist of outstation a only: off removes a's journal (b's
    stays, every record of it), on writes a's journal anew with the events a buffers now;
    the outstations are kept (no restore record, no rebuild)."""
    port = dnp3.free_port()
    sim = dnp3.Sim(a.sim, ["--listen", "127.0.0.1:%d" % port, "--address", "20",
                           "--master-address", "1", "--points", "bi=4"], tmp)
    path = os.path.join(tmp, "gw.conf")
    up = dnp3.free_port()
    persist_conf(path, (True, True), up, port)
    ja, jb = (os.path.join(state_dir(path), n + ".events") for n in "ab")
    d = Daemon(a.daemon, path, clean_env())
    try:
        d.wait_line(r"^<notice> device bay1/relay1 \(address 20\) is online ")
        sim.send("bi 1 1")
        # each outstation buffers the event (no master): one ADD in each journal
        wait_size(ja, JOURNAL_HEADER + JOURNAL_ADD, "a: one event")
        wait_size(jb, JOURNAL_HEADER + JOURNAL_ADD, "b: one event")
        with open(jb, "rb") as f:
            b_before = f.read()

        persist_conf(path, (False, True), up, port)
        d.signal(signal.SIGHUP)
        d.wait_line(r"^<info> outstation a: events\.persist turned off: journal %s removed$"
                    % re.escape(ja))
        d.wait_line(r"^<info> reload: outstations kept 2, started 0; channels kept 1, "
                    r"started 0$")
        eq("a's journal after persist = false", os.path.exists(ja), False)
        with open(jb, "rb") as f:
            eq("b's journal after a's persist = false", f.read(), b_before)
        sim.send("bi 1 0")      # a keeps it in memory; b journals it
        wait_size(jb, JOURNAL_HEADER + 2 * JOURNAL_ADD, "b: two events")
        eq("a's journal while persist = false", os.path.exists(ja), False)

        persist_conf(path, (True, True), up, port)
        d.signal(signal.SIGHUP)
        d.wait_line(r"^<info> outstation a: events\.persist turned on$")
        d.wait_line(r"^<info> reload: outstations kept 2, started 0; channels kept 1, "
                    r"started 0$")
        # a snapshot of what a buffers: both events, the one from while it was off too
        wait_size(ja, JOURNAL_HEADER + 2 * JOURNAL_ADD, "a: a snapshot of its two events")
        eq("restore records", len([ln for ln in d.lines if ln and "restored from" in ln]), 2)
        eq("exit status after SIGTERM", d.stop(), 0)
    finally:
        d.kill()
        if sim.proc.poll() is None:
            sim.stop()


STORM = 2000            # connections
STORM_S = 20.0          # spread over this long
CONN_BURST = 5          # connections a minute per peer logged in full (DJOURNAL_CONN_BURST)


def case_connect_storm(a, tmp):
    """2 000 connections from 127.0.0.1 in 20 s: 5 get their connect and disconnect
    records, the other 1 995 one summary line when the minute is over."""
    dev = listener()
    up = dnp3.free_port()
    path = os.path.join(tmp, "gw.conf")
    conf(path, level="notice", up=up, down=dev.getsockname()[1], rto=0.5)
    d = Daemon(a.daemon, path, clean_env())
    c = None
    try:
        c = accept(dev)
        # the device never answers: wait for its one offline record, then all is quiet
        d.wait_line(r"^<warning> device bay1/relay1 \(address 20\) is offline ")
        with d.cond:
            n0 = len(d.lines)
        t0 = time.monotonic()
        for k in range(STORM):
            # paced: connection k leaves at t0 + k * 10 ms (a load generator's schedule)
            left = t0 + k * STORM_S / STORM - time.monotonic()
            if left > 0:
                select.select([], [], [], left)
            s = socket.create_connection(("127.0.0.1", up), timeout=DEADLINE)
            s.close()
        took = time.monotonic() - t0
        # the summary comes when the first connection's minute is over
        ln = d.wait_line(r"^<notice> outstation scada: \d+ more connections from 127\.0\.0\.1 "
                         r"in the last minute ", timeout=60.0 + DEADLINE)
        m = re.search(r" (\d+) more connections .* DNP3GW_CONNECTIONS=(\d+)$", ln)
        eq("summary count", (m.group(1), m.group(2)), (str(STORM - CONN_BURST),) * 2)
        with d.cond:
            new = [x for x in d.lines[n0:] if x is not None]
        conn = [x for x in new if re.match(r"<notice> outstation scada: master 127\.0\.0\.1 "
                                           r"connected", x)]
        disc = [x for x in new if re.match(r"<notice> outstation scada: master 127\.0\.0\.1 "
                                           r"disconnected after 0 s", x)]
        eq("connect records", len(conn), CONN_BURST)
        eq("disconnect records", len(disc), CONN_BURST)
        # the bound: 2 records for each of the 5 logged connections and 1 summary
        eq("journal lines for %d connections" % STORM, len(new), 2 * CONN_BURST + 1)
        print("%d connections in %.1f s: %d journal lines" % (STORM, took, len(new)))
        # a new minute: the next connection is recorded again
        s = socket.create_connection(("127.0.0.1", up), timeout=DEADLINE)
        d.wait_line(r"^<notice> outstation scada: master 127\.0\.0\.1 connected ")
        s.close()
        d.wait_line(r"^<notice> outstation scada: master 127\.0\.0\.1 disconnected after 0 s")
        eq("exit status after SIGTERM", d.stop(), 0)
    finally:
        d.kill()
        if c:
            c.close()
        dev.close()


def case_unit_security(a, tmp):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        raise Fail("systemd-analyze not found")
    p = subprocess.run([analyze, "security", "--offline=true", a.unit], cwd=tmp,
                       capture_output=True, text=True, timeout=60)
    mt = re.search(r"Overall exposure level for dnp3gwd\.service: (\d+\.\d+)", p.stdout)
    if not mt:
        raise Fail("no exposure level in:\n%s\n%s" % (p.stdout, p.stderr))
    level = float(mt.group(1))
    print("exposure level %.1f" % level)
    if level > 2.0:
        raise Fail("exposure level %.1f > 2.0:\n%s" % (level, p.stdout))


def case_man_lint(a, tmp):
    pages = sorted(f for f in os.listdir(a.man) if re.search(r"\.[1-8]$", f))
    for must in ("dnp3gwd.8", "dnp3gw.conf.5"):
        if must not in pages:
            raise Fail("%s missing from %s" % (must, a.man))
    for pg in pages:
        p = subprocess.run(["mandoc", "-Tlint", "-W", "warning", os.path.join(a.man, pg)],
                           capture_output=True, text=True, timeout=60)
        eq("mandoc -Tlint -W warning %s" % pg, (p.returncode, p.stdout + p.stderr), (0, ""))
    print("clean: " + " ".join(pages))


CASES = {
    "check-good": case_check_good,
    "check-broken": case_check_broken,
    "start-config-error": case_start_config_error,
    "start-port-in-use": case_start_port_in_use,
    "run": case_run,
    "reload-sessions": case_reload_sessions,
    "reload-shared-endpoint": case_reload_shared_endpoint,
    "device": case_device,
    "events": case_events,
    "persist": case_persist,
    "persist-reload": case_persist_reload,
    "diag": case_diag,
    "connect-storm": case_connect_storm,
    "unit-security": case_unit_security,
    "man-lint": case_man_lint,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon")
    ap.add_argument("--sim")
    ap.add_argument("--unit")
    ap.add_argument("--man")
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    a = ap.parse_args()
    for k in ("daemon", "sim", "unit", "man"):
        if getattr(a, k):
            setattr(a, k, os.path.abspath(getattr(a, k)))
    fn = CASES[a.case]
    tmp = tempfile.mkdtemp(prefix="dnp3gwd-test-")
    try:
        if fn.__code__.co_argcount == 2:
            fn(a, tmp)
        else:
            fn(a)
    except Fail as e:
        print("FAIL %s: %s" % (a.case, e))
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("ok %s" % a.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
