#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: dnp3gwctl against the real dnp3gwd (its control socket).

One dnp3sim IED on a serial line (a socat pty pair) behind dnp3gwd; a scripted
SCADA master (tests/e2e/dnp3.py) on the outstation.  Asserted:

  status_points      `status --json`: the daemon, outstation, channel and device
                     objects with their exact states; `points --json` (and the
                     --type/--index filters): the IED's exact values and flags,
                     the default point names, device and source index, class;
                     the table form names the same values
  offline            the IED killed: `status` shows the device offline with its
                     reason (no valid response to comm_fail_after requests) and
                     `points` shows COMM_LOST on its points
  trace_control      `trace` of the outstation and of the channel while SCADA
                     sends SELECT then OPERATE: each tracer's first line is the
                     daemon's exact acknowledgement (type, name, port, tx), and
                     only after both does SCADA speak; both sides of both hops, in order;
                     the channel's --pcap file read by tshark as DNP3 gives the
                     same function codes in the same order, with correct CRCs
  slow_client        a client that asks for a trace and never reads is dropped
                     (the daemon logs it, the client's last line says why) while
                     a master polls the outstation in a loop; the poll round
                     trips before, during and after are printed (not asserted:
                     figures), every poll is answered
  trace_reload       a trace follows its channel across a reload that rebuilds it; a
                     trace of an outstation the reload removed ends with the reason
                     (both traces acknowledged before the reload)
  client_limit       16 clients at once (idle ones count); the 17th is told the daemon
                     is busy, and served once one has gone
  refused            a user who is neither root nor the daemon's (nobody, via
                     setpriv) is refused: by the socket's mode, and, with the
                     mode opened up, by the daemon's SO_PEERCRED check

Usage: test_ctl.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                   --shim libptyshim.so --ctl dnp3gwctl [TEST...]
"""

import json
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq, until  # noqa: E402
import dnp3  # noqa: E402

COMM_FAIL_AFTER = 2
RESPONSE_TIMEOUT = 0.3
N_AI = 400                 # enough analogs that a trace of integrity polls fills buffers


class Setup:
    def __init__(self, h, n_ai=4):
        self.h = h
        self.ctl = h.args.ctl
        pty_gw, pty_ied = h.pty_pair("ser")
        self.pty_gw = pty_gw
        self.ied = h.sim(["--address", "1", "--master-address", "2",
                          "--points", "bi=4,bo=4,ai=%d" % n_ai], serial=pty_ied,
                         script="ai 0 12.5\nai 1 -3.25\nbi 2 1\nflags ai 3 0x11\n")
        self.port = h.port()
        dev = {"name": "ied1", "address": 1, "integrity_poll": 30.0,
               "class_polls": [0.5, 0.0, 0.0], "unsolicited": False, "time_sync": "none",
               "comm_fail_after": COMM_FAIL_AFTER, "control_timeout": 2.0}
        ch = {"name": "ser", "master_address": 2, "response_timeout": RESPONSE_TIMEOUT,
              "retries": 0, "serial": {"device": pty_gw, "baud": 115200}, "devices": [dev]}
        pts = {"binary_inputs": [{"index": 10, "count": 4, "device": "ser/ied1",
                                  "source_index": 0, "class": 1}],
               "analog_inputs": [{"index": 0, "count": n_ai, "device": "ser/ied1",
                                  "source_index": 0, "class": 3}],
               "binary_outputs": [{"index": 0, "count": 4, "device": "ser/ied1",
                                   "source_index": 0, "class": 2}]}
        self.conf = {
            "gateway": {"name": "e2e-ctl", "log_level": "debug", "status_interval": 0.0},
            "outstations": [{"name": "scada", "listen": "127.0.0.1:%d" % self.port,
                             "address": 10, "master_address": 1, "allow": [],
                             "unsolicited": {"enabled": False}}],
            "channels": [ch],
            "points": pts,
        }
        self.gw = h.gateway(self.conf)
        self.gw.wait_log(r"device ser/ied1 \(address 1\) is online", from_start=True)
        self.sock = self.gw.control

    def run(self, *args, json_out=True, check=True, user=None, timeout=harness.DEADLINE):
        argv = [self.ctl, "--socket", self.sock] + (["--json"] if json_out else []) + list(args)
        if user:
            argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user, "--clear-groups"] + argv
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise Fail("%s: exit %d, stderr %s" % (" ".join(argv), p.returncode, p.stderr))
        if not json_out:
            return p
        return [json.loads(ln) for ln in p.stdout.splitlines()]

    def status(self):
        objs = self.run("status")
        return {(o["kind"], o.get("name")): o for o in objs}

    def points(self, *args):
        return {(o["type"], o["index"]): o for o in self.run("points", *args)}


def test_status_points(h):
    s = Setup(h)
    m = h.master(s.port, remote=10)
    wait_values(s)
    st = s.status()
    d = st[("daemon", "e2e-ctl")]
    eq("daemon", (d["devices_online"], d["devices"], d["outstations"], d["pid"], d["config"]),
       (1, 1, 1, s.gw.pid, s.gw.conf_path))
    o = st[("outstation", "scada")]
    until("master seen connected", lambda: s.status()[("outstation", "scada")]["connected"],
          step=0.1)
    o = s.status()[("outstation", "scada")]
    eq("outstation", (o["running"], o["address"], o["master_address"], o["event_depth"],
                      o["peer"].startswith("127.0.0.1"), o["persisted"]),
       (True, 10, 1, [1000, 1000, 1000], True, True))      # events.persist defaults to true
    c = st[("channel", "ser")]
    eq("channel", (c["transport"], c["open"], c["crc_errors"], c["why"]),
       ("serial", True, 0, None))
    if not c["rx_bytes"] > 0 or not c["tx_bytes"] > 0:
        raise Fail("channel counts no bytes: %r" % c)
    v = st[("device", "ied1")]
    eq("device", (v["channel"], v["address"], v["state"], v["why"], v["timeouts"]),
       ("ser", 1, "online", None, 0))
    if v["since"] is None or v["last_response"] is None:
        raise Fail("device times missing: %r" % v)
    # points: every mapped point, in upstream order per type, exact values and flags
    pts = s.points()
    eq("point keys", sorted(pts), sorted([("bi", 10 + k) for k in range(4)] +
                                         [("ai", k) for k in range(4)] +
                                         [("bo", k) for k in range(4)]))
    want = {("ai", 0): (12.5, ["ONLINE"]), ("ai", 1): (-3.25, ["ONLINE"]),
            ("ai", 2): (0, ["ONLINE"]), ("ai", 3): (0, ["ONLINE", "LOCAL_FORCED"]),
            ("bi", 12): (1, ["ONLINE"]), ("bi", 10): (0, ["ONLINE"])}
    for k, (val, flags) in want.items():
        eq("point %s %d value, flags" % k, (pts[k]["value"], pts[k]["flags"]), (val, flags))
    p = pts[("bi", 12)]
    eq("bi 12 origin", (p["name"], p["device"], p["source_index"], p["class"], p["outstation"]),
       ("ser/ied1:bi2", "ser/ied1", 2, 1, "scada"))
    eq("ai 1 name", pts[("ai", 1)]["name"], "ser/ied1:ai1")
    if pts[("ai", 0)]["changed"] is None or pts[("ai", 0)]["time"] is None:
        raise Fail("ai 0 times: %r" % pts[("ai", 0)])
    eq("filtered", sorted(s.points("scada", "--type", "bi", "--index", "11-12")),
       [("bi", 11), ("bi", 12)])
    # the table names the same values
    t = s.run("points", "--type", "ai", "--index", "1", json_out=False).stdout
    row = t.splitlines()[1].split()
    eq("table row", row[:7], ["scada", "ai", "1", "ser/ied1:ai1", "ser/ied1", "1", "-3.25"])
    t = s.run("status", json_out=False).stdout
    if "device ser/ied1  address 1  online since" not in t:
        raise Fail("status table: %s" % t)
    # wrong requests: named, exit status 1
    p = s.run("points", "nosuch", json_out=False, check=False)
    eq("unknown outstation", (p.returncode, p.stderr.strip()),
       (1, "dnp3gwctl: dnp3gwd: no outstation 'nosuch'"))
    p = s.run("trace", "nosuch", json_out=False, check=False)
    eq("unknown trace", (p.returncode, p.stderr.strip()),
       (1, "dnp3gwctl: dnp3gwd: no outstation or channel 'nosuch'"))
    m.close()


def wait_values(s):
    """The IED's script values have reached the outstation (ai 3 shows LOCAL_FORCED)."""
    until("ai 3 forced upstream",
          lambda: s.points("--type", "ai", "--index", "3")[("ai", 3)]["flags"] ==
          ["ONLINE", "LOCAL_FORCED"], step=0.1)


def test_offline(h):
    s = Setup(h)
    wait_values(s)
    s.ied.kill()
    v = until("device offline in status",
              lambda: (lambda d: d if d["state"] == "offline" else None)(
                  s.status()[("device", "ied1")]), timeout=10, step=0.1)
    if not v["why"].startswith("no valid response to %d requests in a row (" % COMM_FAIL_AFTER):
        raise Fail("offline reason: %r" % v["why"])
    if v["timeouts"] < COMM_FAIL_AFTER:
        raise Fail("timeouts %r" % v)
    d = s.status()[("daemon", "e2e-ctl")]
    eq("devices online", d["devices_online"], 0)
    pts = until("COMM_LOST upstream",
                lambda: (lambda p: p if "COMM_LOST" in p[("ai", 0)]["flags"] else None)(
                    s.points()), step=0.1)
    for k, p in pts.items():
        if "COMM_LOST" not in p["flags"] or "ONLINE" in p["flags"]:
            raise Fail("flags of %s %d: %r" % (k[0], k[1], p["flags"]))
    eq("ai 0 flags", pts[("ai", 0)]["flags"], ["COMM_LOST"])
    eq("ai 3 flags (its own LOCAL_FORCED kept)", pts[("ai", 3)]["flags"],
       ["COMM_LOST", "LOCAL_FORCED"])
    eq("ai 0 keeps its value", pts[("ai", 0)]["value"], 12.5)
    t = s.run("status", json_out=False).stdout
    if "offline since" not in t or "no valid response to" not in t:
        raise Fail("status table: %s" % t)


class Tracer:
    """dnp3gwctl trace NAME --json [--pcap FILE] as a child; its lines as dicts."""

    def __init__(self, s, name, pcap=None):
        argv = [s.ctl, "--socket", s.sock, "--json", "trace", name]
        if pcap:
            argv += ["--pcap", pcap]
        self.p = harness.Proc(s.h, "dnp3gwctl", argv)

    def attached(self):
        """The daemon's acknowledgement, dnp3gwctl's first line (taken off the queue):
        from then on the session's every frame is traced."""
        return self.p.wait(lambda j: j.get("kind") == "trace", what="trace acknowledgement")

    def funcs(self):
        return [(j["dir"], j["function"]) for j in self.p.lines if "function" in j]

    def stop(self):
        self.p.proc.send_signal(signal.SIGINT)
        rc = self.p.proc.wait(timeout=harness.DEADLINE)
        try:
            self.p.drain()
        except Fail:
            pass  # its end of output: read whole
        self.p.stopped = rc
        return rc


def test_trace_control(h):
    s = Setup(h)
    pcap = os.path.join(h.tmp, "ser.pcap")
    to = Tracer(s, "scada")
    tc = Tracer(s, "ser", pcap=pcap)
    # both tracers attached (each one's first line, before any frame), then traffic
    eq("outstation trace acknowledged", to.attached(),
       {"kind": "trace", "type": "outstation", "name": "scada", "port": "127.0.0.1:%d" % s.port,
        "tx": "to the master"})
    eq("channel trace acknowledged", tc.attached(),
       {"kind": "trace", "type": "channel", "name": "ser", "port": s.pty_gw,
        "tx": "to the devices"})
    m = h.master(s.port, remote=10)
    crob = harness.crobs([(1, 0x41, 1, 100, 0)])       # PULSE_ON close, 100 ms
    seq = m.request(dnp3.SELECT, crob)
    r = m.response(seq)
    eq("SELECT status (CROB status byte)", r.raw[-1], 0)
    seq = m.request(dnp3.OPERATE, crob)
    m.response(seq)

    def seen_both():
        to.p.drain(0.1)
        tc.p.drain(0.1)
        fo = [f for f in to.funcs() if f[1] != "READ"]
        fc = [f for f in tc.funcs() if f[1] in ("SELECT", "OPERATE") or
              (f[1] == "RESPONSE" and f[0] == "rx")]
        # the channel's trace is another client: its last line (the IED's answer to the
        # OPERATE) may come after the outstation's; wait for four lines from the SELECT on
        done_c = ("tx", "SELECT") in fc and len(fc) - fc.index(("tx", "SELECT")) >= 4
        return (fo, fc) if done_c and ("tx", "RESPONSE") in fo[-1:] else None
    fo, fc = until("SELECT/OPERATE on both traces", seen_both)
    eq("outstation trace", fo, [("rx", "SELECT"), ("tx", "RESPONSE"),
                                ("rx", "OPERATE"), ("tx", "RESPONSE")])
    # on the channel: the control between its polls' responses
    k = fc.index(("tx", "SELECT"))
    eq("channel trace", fc[k:k + 4], [("tx", "SELECT"), ("rx", "RESPONSE"),
                                      ("tx", "OPERATE"), ("rx", "RESPONSE")])
    sel = [j for j in tc.p.lines if j.get("function") == "SELECT"][0]
    if "g12v1" not in sel["apdu"] or sel["from"] != "master" or "FIR FIN" not in sel["transport"]:
        raise Fail("decoded SELECT line: %r" % sel)
    eq("trace exit", (to.stop(), tc.stop()), (0, 0))
    ours = [dnp3_fc(j) for j in tc.p.lines if "fc" in j]
    # the pcap in tshark: DNP3 over UDP 20000, the same application function codes
    p = subprocess.run(["tshark", "-r", pcap, "-Y", "dnp3.al.func", "-T", "fields",
                        "-e", "dnp3.al.func", "-e", "dnp.hdr.CRC.status",
                        "-e", "dnp.data_chunk.CRC.status", "-e", "_ws.expert.severity"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise Fail("tshark: %s" % p.stderr)
    rows = [ln.split("\t") for ln in p.stdout.splitlines()]
    theirs = [int(r[0].split(",")[0]) for r in rows]
    eq("tshark function codes", theirs, ours)
    for r in rows:
        # checksum status 1 = good (epan's PROTO_CHECKSUM_E_GOOD); no expert info at all
        if r[1] != "1" or any(c != "1" for c in r[2].split(",") if c) or r[3]:
            raise Fail("tshark: a CRC not good or expert info: %r" % r)
    if 3 not in theirs or 4 not in theirs:
        raise Fail("no SELECT/OPERATE in the pcap: %r" % theirs)
    print("  trace: %d fragments on the channel, %d in the pcap" % (len(ours), len(theirs)))


def test_trace_reload(h):
    """A trace follows its session across a reload that rebuilds it (the channel: a new
    session and runner), and ends, with its reason, when its session leaves the
    configuration (the outstation renamed)."""
    s = Setup(h)
    tc = Tracer(s, "ser")
    to = Tracer(s, "scada")
    # both attached before the reload (the outstation's, attached after it, would be told
    # "no outstation 'scada'" instead of the reload's reason)
    eq("channel trace acknowledged", tc.attached()["name"], "ser")
    eq("outstation trace acknowledged", to.attached()["name"], "scada")
    s.conf["channels"][0]["response_timeout"] = RESPONSE_TIMEOUT + 0.1
    s.conf["outstations"][0]["name"] = "scada2"
    with open(s.gw.conf_path, "w") as f:
        f.write(harness.config_text(harness.with_state_dir(s.conf, s.gw.state_dir)))
    s.gw.proc.send_signal(signal.SIGHUP)
    s.gw.wait_log(r"reload: outstations kept 0, started 1; channels kept 0, started 1")
    t_reload = time.time()
    # the outstation's tracer is told and ends
    rc = to.p.proc.wait(timeout=harness.DEADLINE)
    eq("outstation tracer", (rc, to.p.log().strip()),
       (69, "dnp3gwctl: dnp3gwd: the traced session is no longer in the configuration "
        "(reloaded)"))
    to.p.stopped = rc
    to.p.killed_on_purpose = True  # its exit status 69 is the one asserted

    def polls_after():
        tc.p.drain(0.1)
        return [j for j in tc.p.lines if j.get("function") == "READ" and
                dnp3_time(j["time"]) > t_reload]
    until("the channel's trace goes on after its rebuild", polls_after)
    eq("channel tracer stops cleanly", tc.stop(), 0)


def dnp3_time(iso):
    """'YYYY-MM-DDTHH:MM:SS.mmmZ' -> seconds since 1970."""
    import calendar
    return calendar.timegm(time.strptime(iso[:19], "%Y-%m-%dT%H:%M:%S")) + int(iso[20:23]) / 1000


def dnp3_fc(j):
    return j["fc"]


def test_slow_client(h):
    s = Setup(h, n_ai=N_AI)
    m = h.master(s.port, remote=10)
    m.transaction(dnp3.READ, bytes.fromhex("3c0106"))   # class 0 once: values current

    def rtt_round(n):
        out = []
        for _ in range(n):
            t0 = time.monotonic()
            m.transaction(dnp3.READ, bytes.fromhex("3c0106"))
            out.append((time.monotonic() - t0) * 1000)
        return out
    before = rtt_round(20)
    # the stuck client: asks for the outstation's trace, then never reads
    stuck = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connect(s.sock)
    stuck.sendall(b"trace scada\n")
    # a reading client at the same time keeps its trace
    good = Tracer(s, "scada")
    eq("reading tracer acknowledged", good.attached()["name"], "scada")
    during, t0 = [], time.monotonic()
    while True:
        during += rtt_round(5)
        good.p.drain(0)
        try:
            s.gw.wait_log(r"control: a trace client of outstation scada dropped: this client "
                          r"left (\d+) bytes unread \(the limit is 1048576\)", timeout=0.01)
            break
        except Fail:
            if time.monotonic() - t0 > 60:
                raise
    drop_s = time.monotonic() - t0
    after = rtt_round(20)
    # the stuck client's last line says why; then the daemon closes it
    stuck.setblocking(True)
    stuck.settimeout(harness.DEADLINE)
    data = b""
    while True:
        d = stuck.recv(1 << 20)
        if not d:
            break
        data += d
    last = json.loads(data.rstrip(b"\n").rsplit(b"\n", 1)[-1])
    eq("last line kind", last["kind"], "dropped")
    if "reads too slowly to follow the trace" not in last["why"]:
        raise Fail("last line: %r" % last)
    stuck.close()
    good.p.drain(0.2)
    if good.p.proc.poll() is not None:
        raise Fail("the reading trace client ended: %s" % good.p.log())
    n_frag = len(good.funcs())
    eq("good tracer stops cleanly", good.stop(), 0)
    if n_frag < len(during):
        raise Fail("the reading tracer saw %d fragments for %d polls" % (n_frag, len(during)))

    def fig(name, v):
        v = sorted(v)
        print("  %-26s n=%3d  median %6.2f ms  p95 %6.2f ms  max %6.2f ms" %
              (name, len(v), statistics.median(v), v[int(len(v) * 0.95) - 1], v[-1]))
    print("  stuck client dropped after %.1f s of integrity polls (%d analogs each)" %
          (drop_s, N_AI))
    fig("poll round trip before", before)
    fig("while a client is stuck", during)
    fig("after it was dropped", after)


def test_refused(h):
    s = Setup(h)
    nobody = 65534
    # the tree down to the socket is traversable, the binary readable: only the socket decides
    os.chmod(h.tmp, 0o711)
    os.chmod(s.gw.run_dir, 0o755)
    st = os.stat(s.sock)
    eq("socket mode", oct(st.st_mode & 0o777), oct(0o600))
    p = s.run("status", json_out=False, check=False, user=nobody)
    eq("refused by mode", (p.returncode, "Permission denied" in p.stderr), (77, True))
    # with the mode opened up, the daemon's own check refuses (SO_PEERCRED)
    os.chmod(s.sock, 0o666)
    p = s.run("status", json_out=False, check=False, user=nobody)
    eq("refused by the daemon", (p.returncode, p.stderr.strip()),
       (77, "dnp3gwctl: dnp3gwd refused the connection: refused: uid %d is neither root nor "
        "the service user (uid %d)" % (nobody, os.geteuid())))
    s.gw.wait_log(r"control: connection by pid \d+ uid %d refused" % nobody, from_start=True)
    # root still may
    eq("root", s.status()[("device", "ied1")]["state"], "online")


def test_client_limit(h):
    """16 clients at once are served (idle ones too); the 17th is told the daemon is busy
    (exit 1) and served once one has gone."""
    s = Setup(h)
    idle = []
    for _ in range(15):
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(s.sock)
        idle.append(c)
    eq("the 16th", s.status()[("device", "ied1")]["state"], "online")
    last = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    last.connect(s.sock)
    idle.append(last)
    last.sendall(b"status\n")         # the 16th is answered: the daemon has accepted it
    last.settimeout(harness.DEADLINE)
    got = b""
    while b'"kind":"end"' not in got:
        got += last.recv(65536)
    p = s.run("status", json_out=False, check=False)
    eq("the 17th", (p.returncode, p.stderr.strip()),
       (1, "dnp3gwctl: dnp3gwd: busy: 16 clients are connected already; try again later"))
    idle.pop().close()
    until("served again", lambda: s.run("status", json_out=False, check=False).returncode == 0,
          step=0.1)
    for c in idle:
        c.close()


TESTS = [test_status_points, test_offline, test_trace_control, test_trace_reload, test_slow_client,
         test_client_limit, test_refused]

if __name__ == "__main__":
    sys.exit(harness.main(TESTS, __doc__))
