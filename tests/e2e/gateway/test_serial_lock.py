#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: a serial port is owned by the process that opened it (flock and
TIOCEXCL).  With dnp3gwd polling a dnp3sim IED over a socat pty pair:

- dnp3poll on the gateway's port, and a second dnp3sim on the IED's, are
  refused at once with "in use by another process (pid N, NAME)" naming the
  holder (exit status 1): a second
  master on a DNP3 line would garble both masters' transactions (link frames
  interleaved, responses taken by the wrong master);
- a second dnp3gwd on the same port starts (READY), says once that the port
  is in use, keeps retrying with backoff, reports the IED's points to its
  SCADA with COMM_LOST; the first keeps polling (every value change of the
  IED reaches its SCADA) across the second one's retries;
- when the first stops, the second's next retry takes the port and polls;
- a reload that rebuilds the channel reopens its own port at once.

Usage: test_serial_lock.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                           --shim libptyshim.so [TEST...]
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq, until, values  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)

ONLINE, RESTART, COMM_LOST = 0x01, 0x02, 0x04
IN_USE = "in use by another process"
# the first retries after a refused open: 1 s, then 3 s (1 + 2), doubling
RETRIES_COVERED = 3.5


def config(name, pty, port):
    return {
        "gateway": {"name": name, "log_level": "debug", "status_interval": 0.0},
        "outstations": [{"name": "scada", "listen": "127.0.0.1:%d" % port, "address": 10,
                         "master_address": 1, "allow": []}],
        "channels": [{"name": "ser", "serial": {"device": pty, "baud": 115200},
                      "master_address": 2, "response_timeout": 0.5, "retries": 0,
                      "devices": [{"name": "ied", "address": 1, "integrity_poll": 0.0,
                                   "class_polls": [0.2, 0.2, 0.2], "unsolicited": False,
                                   "time_sync": "none", "comm_fail_after": 2,
                                   "offline_retry": 0.3}]}],
        "points": {"binary_inputs": [{"index": 100, "count": 4, "device": "ser/ied",
                                      "source_index": 0, "class": 1}]},
    }


def bi103(h, m):
    """(value, flags) of upstream binary input 103 (the IED's 3) in an integrity poll."""
    bi = values(h.decode(m.transaction(dnp3.READ, dnp3.CLASS0123)), 1, 2)
    v = bi.get(103, [{}])[-1]
    return v.get("value"), v.get("flags")


def refused(argv, env, who):
    """Run a tool on an owned port: exit status 1 at once, the reason on stderr."""
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=harness.DEADLINE)
    took = time.monotonic() - t0
    eq("%s exit status" % who, p.returncode, 1)
    if IN_USE not in p.stderr:
        raise Fail("%s: no %r on stderr: %r" % (who, IN_USE, p.stderr))
    if took > 2.0:  # at once: the first open, no retry, no response timeout
        raise Fail("%s took %.1f s to refuse" % (who, took))
    return p


def t_second_opener_refused(h):
    """dnp3poll on the port dnp3gwd polls, dnp3sim on the port dnp3sim serves: refused at
    once with the port named; the gateway goes on polling undisturbed."""
    pty_gw, pty_ied = h.pty_pair("ser")
    ied = h.sim(["--address", "1", "--master-address", "2", "--points", "bi=4"],
                serial=pty_ied, script="bi 3 1\n")
    p1 = h.port()
    gw = h.gateway(config("gw1", pty_gw, p1))
    gw.wait_log(r"channel ser: %s is open" % re.escape(pty_gw))
    m = h.master(p1)
    until("bi 103 = 1 ONLINE through the gateway", lambda: bi103(h, m) == (1, ONLINE | 0x80))

    p = refused([h.poll_path, "--serial", pty_gw, "--baud", "115200", "--address", "1",
                 "--master-address", "3", "--integrity"], h.env(serial=True), "dnp3poll")
    eq("dnp3poll's reason (the holder named)", [ln for ln in p.stderr.splitlines() if IN_USE in ln],
       ["dnp3poll: %s: %s (pid %d, dnp3gwd): Device or resource busy" % (pty_gw, IN_USE, gw.pid)])
    p = refused([h.sim_path, "--serial", pty_ied, "--baud", "115200", "--address", "1",
                 "--master-address", "2"], h.env(serial=True), "dnp3sim")
    eq("dnp3sim's reason (the holder named)", [ln for ln in p.stderr.splitlines() if IN_USE in ln],
       ["dnp3sim: %s: %s (pid %d, dnp3sim): Device or resource busy" % (pty_ied, IN_USE, ied.pid)])
    eq("dnp3sim's JSON line", p.stdout.strip(),
       '{"event":"open_failed","serial":"%s","reason":"%s (pid %d, dnp3sim)"}'
       % (pty_ied, IN_USE, ied.pid))

    # the owners were not disturbed: the gateway still polls the IED, the line never dropped
    ied.send("bi 3 0")
    until("bi 103 = 0 after the refusals", lambda: bi103(h, m) == (0, ONLINE))
    if re.search(r"channel ser: .* lost", gw.log()):
        raise Fail("the gateway's channel went down:\n" + gw.log()[-2000:])


def t_daemon_twice(h):
    """dnp3gwd started twice on one port: the second says once that the port is in use and
    retries with backoff (its SCADA sees COMM_LOST); the first keeps polling through those
    retries; when the first stops, the second takes the port and polls."""
    pty_gw, pty_ied = h.pty_pair("ser")
    ied = h.sim(["--address", "1", "--master-address", "2", "--points", "bi=4"],
                serial=pty_ied, script="bi 3 1\n")
    p1, p2 = h.port(), h.port()
    gw1 = h.gateway(config("gw1", pty_gw, p1))
    gw1.wait_log(r"channel ser: %s is open" % re.escape(pty_gw))
    m1 = h.master(p1)
    until("gw1: bi 103 = 1 ONLINE", lambda: bi103(h, m1) == (1, ONLINE | 0x80))

    gw2 = h.gateway(config("gw2", pty_gw, p2))  # READY: it runs without its port
    gw2.wait_log(r"channel ser: %s cannot be opened: %s \(pid %d, dnp3gwd\): Device or "
                 r"resource busy; retrying with backoff" % (re.escape(pty_gw), IN_USE, gw1.pid))
    refused_at = time.monotonic()
    m2 = h.master(p2)
    eq("gw2: bi 103 (never polled: RESTART, COMM_LOST)", bi103(h, m2),
       (0, RESTART | COMM_LOST))

    # gw1 keeps polling while gw2 retries: each change of the IED's value reaches gw1's
    # SCADA, until gw2's first two retries (1 s, 3 s after its refusal) are behind us
    v, changes = 1, 0
    while time.monotonic() - refused_at < RETRIES_COVERED or changes < 2:
        v ^= 1
        ied.send("bi 3 %d" % v)
        until("gw1: bi 103 = %d" % v,
              lambda: bi103(h, m1) == (v, ONLINE | (0x80 if v else 0)))
        changes += 1
    if re.search(r"channel ser: .* lost", gw1.log()):
        raise Fail("gw1's channel went down:\n" + gw1.log()[-2000:])
    eq("gw2: still COMM_LOST", bi103(h, m2)[1], RESTART | COMM_LOST)

    # gw1 goes: gw2's next retry (7 s after its refusal at the latest) takes the port
    eq("gw1 exit status", gw1.stop(), 0)
    gw2.wait_log(r"channel ser: %s is open" % re.escape(pty_gw), timeout=15)
    ied.send("bi 3 1")
    until("gw2: bi 103 = 1 ONLINE", lambda: bi103(h, m2) == (1, ONLINE | 0x80))
    eq("gw2 said the port was in use once",
       len(re.findall(IN_USE, gw2.log())), 1)


def t_reload_reopens_own_port(h):
    """A reload that rebuilds a serial channel on the same port (a new baud rate) lets the
    old channel go before the new one opens: the port is not "in use" by the gateway
    itself, and the new channel polls at once (no backoff)."""
    pty_gw, pty_ied = h.pty_pair("ser")
    ied = h.sim(["--address", "1", "--master-address", "2", "--points", "bi=4"],
                serial=pty_ied, script="bi 3 1\n")
    p1 = h.port()
    conf = config("gw1", pty_gw, p1)
    gw = h.gateway(conf)
    gw.wait_log(r"channel ser: %s is open" % re.escape(pty_gw))
    m = h.master(p1)
    until("bi 103 = 1 ONLINE", lambda: bi103(h, m) == (1, ONLINE | 0x80))

    conf["channels"][0]["serial"]["baud"] = 57600
    with open(gw.conf_path, "w") as f:
        f.write(harness.config_text(conf))
    gw.proc.send_signal(signal.SIGHUP)
    gw.wait_log(r"reload: outstations kept 1, started 0; channels kept 0, started 1")
    # the new channel opened the port during the reload (logged before its summary)
    eq("channel ser opened (at start, at the reload)",
       len(re.findall(r"channel ser: %s is open" % re.escape(pty_gw), gw.log())), 2)
    ied.send("bi 3 0")
    until("bi 103 = 0 through the rebuilt channel", lambda: bi103(h, m) == (0, ONLINE),
          timeout=5)
    eq("the gateway's own port was never 'in use'", re.findall(IN_USE, gw.log()), [])


TESTS = [t_second_opener_refused, t_daemon_twice, t_reload_reopens_own_port]

if __name__ == "__main__":
    sys.exit(harness.main(TESTS, __doc__))
