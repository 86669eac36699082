#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: DNP3 over TLS (IEC 62351-3) through the real dnp3gwd, with certificates
made at test time (tests/tls/mkcerts.sh and tlscerts.py; no key is committed).

 t_tls13, t_tls12   SCADA (dnp3poll --tls-*) -> dnp3gwd -> an Ethernet IED behind TLS
                    (dnp3sim --tls-* on TCP), both hops TLS 1.3 / both TLS 1.2: the IED's
                    integrity values with their flags, an event with the IED's own time to the millisecond, a
                    select-before-operate control answered SUCCESS by the IED (SELECT and
                    OPERATE seen there); the gateway's records name the version on both
                    hops and the master's CN.  TLS 1.2: the tools' --tls-version 1.2 (exactly
                    that version), the gateway's min_version 1.2.
 t_refusals         every refusal case upstream, each from dnp3poll (without a certificate:
                    openssl s_client, as dnp3poll always has one): no certificate, a
                    certificate from another CA, an expired one, a revoked one (crl), one
                    not on allow, plain TCP to the TLS endpoint, TLS 1.2 to an endpoint of
                    min_version 1.3; each is refused, logged once with the peer address and
                    its exact reason, and counted (SIGUSR1 status report: TLS handshakes
                    refused 6 on one endpoint, 1 on the other).
 t_refusals_downstream  the channel as TLS client: an IED (openssl s_server) whose
                    certificate is not on the channel's allow list, one the channel's CRL
                    revokes, and a plain TCP IED (TLS to a plain endpoint): the channel
                    cannot be opened, logged with the reason, and retries.
 t_reload_crl       two masters (master-a, master-b) connected over TLS to two outstations
                    of one endpoint; a CRL file that cannot be read as one refuses the reload
                    (both stay); then the CRL file is replaced by one that revokes master-b
                    and SIGHUP sent: exactly master-b is dropped (record with the reason),
                    master-a stays connected (no disconnect record; the same connection gets
                    the IED's new event), and master-b's reconnection is refused as revoked.
 t_key_update       renegotiate = 1.0: key updates on a TLS 1.3 master, a TLS 1.2 master
                    (renegotiation) and the channel, none dropping its connection.
 t_expiry           a gateway certificate that expires in 5 days: dnp3gwd -t prints a notice
                    at its line and exits 0; the daemon logs the expiry warning at start and
                    again on SIGHUP, with the days left.
 t_interop_openssl  `openssl s_client` as SCADA: the handshake succeeds (the gateway logs
                    TLSv1.3 and CN=master-a) and a DNP3 link status request is answered over
                    it; each refusal case with s_client refused with its reason.  `openssl
                    s_server` as the IED's TLS end: the gateway's channel handshake succeeds
                    (TLSv1.3, CN=ied).
 t_interop_socat    socat's OPENSSL address as SCADA: success (a DNP3 request answered) and
                    each refusal case with its reason; socat OPENSSL-LISTEN as the TLS end of
                    a plain dnp3sim IED: values pass through.

Usage: test_tls.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                   --shim libptyshim.so [TEST...]
"""

import os
import re
import select
import shutil
import signal
import ssl
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq, until  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)
import tlscerts  # noqa: E402
from test_poll import Poll  # noqa: E402
from test_sim import SCRIPT  # noqa: E402  (the simulator's initial values)

IED, GW_MASTER = 5, 2
OUT, SCADA = 10, 1
POINTS = "bi=16,dbi=4,bo=4,cnt=4,fcnt=4,ai=8,ao=2"

class Tls:
    """The certificates and the pieces every test builds from them."""

    def __init__(self, h):
        self.h = h
        self.c = tlscerts.Certs(h.tmp)

    def tool_args(self, who, allow=None):
        a = ["--tls-cert", self.c.crt(who), "--tls-key", self.c.key(who),
             "--tls-ca", self.c.crt("ca")]
        if allow:
            a += ["--tls-allow", allow]
        return a

    def block(self, **kw):
        b = {"certificate": self.c.crt("gateway"), "private_key": self.c.key("gateway"),
             "ca": self.c.crt("ca")}
        b.update(kw)
        return b

    def ied(self, who="ied", allow="CN=gateway", extra=()):
        """dnp3sim with TLS on loopback TCP (the Ethernet IED)."""
        args = ["--address", str(IED), "--master-address", str(GW_MASTER), "--points", POINTS]
        return self.h.sim(args + self.tool_args(who, allow) + list(extra), script=SCRIPT)

    def conf(self, outstations, ied_port, chan_tls=None):
        tcp = {"host": "127.0.0.1", "port": ied_port}
        if chan_tls is not False:
            tcp["tls"] = chan_tls or self.block(allow=["CN=ied"])
        return {
            "gateway": {"name": "e2e-tls", "log_level": "debug", "status_interval": 0.0},
            "outstations": outstations,
            "channels": [{"name": "lan", "master_address": GW_MASTER, "response_timeout": 1.0,
                          "tcp": tcp,
                          "devices": [{"name": "ied", "address": IED, "integrity_poll": 0.0,
                                       "class_polls": [0.2, 0.2, 0.2], "time_sync": "none"}]}],
            "points": {
                "binary_inputs": [{"index": 0, "count": 16, "device": "lan/ied", "class": 1}],
                "double_bit_inputs": [{"index": 0, "count": 4, "device": "lan/ied",
                                       "class": 1}],
                "binary_outputs": [{"index": 0, "count": 4, "device": "lan/ied", "class": 2}],
                "counters": [{"index": 0, "count": 4, "device": "lan/ied", "class": 3}],
                "analog_inputs": [{"index": 0, "count": 8, "device": "lan/ied", "class": 3}],
                "analog_outputs": [{"index": 0, "count": 2, "device": "lan/ied", "class": 2}],
            },
        }

    def outstation(self, name, port, address=OUT, tls=None, master=SCADA):
        o = {"name": name, "listen": "127.0.0.1:%d" % port, "address": address,
             "master_address": master, "confirm_timeout": 1.0,
             "unsolicited": {"enabled": False},
             "events": {"class1": 100, "class2": 100, "class3": 100}}
        if tls is not False:
            o["tls"] = tls or self.block(allow=["CN=master-a", "CN=master-b"])
        return o

    def poll(self, port, who, args=(), address=OUT):
        a = ["--tcp", "127.0.0.1:%d" % port, "--address", str(address),
             "--master-address", str(SCADA), "--timeout", "2", "--retries", "0"]
        if who:
            a += self.tool_args(who)
        return Poll(self.h.poll_path, a + list(args), self.h.tmp)


def wait_chan_up(gw, version):
    return gw.wait_log(r"channel lan: 127\.0\.0\.1:\d+ is open over %s \S+, \S*CN=ied(?: DNP3GW_|\n)"
                       % re.escape(version), timeout=15)


def static_values(p):
    return {(j["type"], j["index"]): (j["value"], j["flags"]) for j in p.history
            if "type" in j and not j["event"]}


def values_events_control(h, version, pin):
    """pin: the tools' options that fix the TLS version (--tls-version 1.2: exactly)."""
    t = Tls(h)
    ied = t.ied(extra=pin)
    port = h.port()
    gw = h.gateway(t.conf([t.outstation("scada", port)], ied.port))
    gw.wait_log(r"outstation scada: listening on 127\.0\.0\.1:%d \(port %d, TLS\)" % (port, port),
                from_start=True)
    wait_chan_up(gw, version)
    gw.wait_log(r"lan/ied: integrity_poll done", timeout=15)
    # integrity: the IED's values and flags
    p = t.poll(port, "master-a", ["--integrity"] + pin)
    eq("dnp3poll exit status", p.finish(), 0)
    gw.wait_log(r"outstation scada: master 127\.0\.0\.1 connected over %s \S+, \S*CN=master-a(?: DNP3GW_|\n)"
                % re.escape(version), from_start=True)
    st = static_values(p)
    eq("values", [st.get(k) for k in (("binary_input", 3), ("double_bit_input", 0),
                                      ("binary_output", 1), ("counter", 1),
                                      ("analog_input", 0), ("analog_input", 1),
                                      ("analog_output", 0))],
       [(1, ["ONLINE"]), (2, ["ONLINE"]), (1, ["ONLINE"]), (42, ["ONLINE"]),
        (12.5, ["ONLINE"]), (0.0, ["ONLINE", "COMM_LOST"]), (3.5, ["ONLINE"])])
    # an event with the IED's own time
    p = t.poll(port, "master-a", ["--follow", "--poll-class", "0.2"] + pin)
    p.wait_task("integrity_poll")
    ied.send("ai 2 7.25 @1700000000123")
    j = p.wait(lambda j: j.get("type") == "analog_input" and j["index"] == 2 and j["event"],
               "ai 2 event")
    eq("event through TLS", (j["value"], j["time_ms"], j["device_time"]),
       (7.25, 1700000000123, True))
    p.stop()
    # a control, select before operate, answered by the IED
    p = t.poll(port, "master-a", ["--crob", "0:LATCH_ON", "--sbo"] + pin)
    rc = p.finish()
    res = [j for j in p.history if "control" in j]
    eq("control result", [(r["ok"], r["objects"][0]["status"]) for r in res],
       [(True, "SUCCESS")])
    eq("control exit status", rc, 0)
    got = [ied.wait(lambda j: j.get("event") == "command")["func"] for _ in range(2)]
    eq("functions at the IED", got, ["SELECT", "OPERATE"])


def t_tls13(h):
    values_events_control(h, "TLSv1.3", [])


def t_tls12(h):
    values_events_control(h, "TLSv1.2", ["--tls-version", "1.2"])


# ---- refusals ----------------------------------------------------------------------------

def refused_line(gw, where, reason, timeout=2 * harness.DEADLINE):
    """The gateway's record of a refused handshake: 'WHERE: TLS connection from 127.0.0.1
    refused: REASON' (REASON a regex)."""
    return gw.wait_log(r"%s: TLS connection from 127\.0\.0\.1 refused: %s(?: DNP3GW_|\n)"
                       % (re.escape(where), reason), timeout=timeout, from_start=True)


# (name, client certificate, reason regex); the endpoint: allow CN=master-a, the CRL of
# mkcerts.sh (revokes "revoked")
CERT_CASES = [
    ("no certificate", None, r"no peer certificate"),
    ("another CA", "other", r"certificate does not chain to the CA \(CN=master-a: unable to "
                            r"get local issuer certificate\)"),
    ("expired", "expired", r"certificate expired \(CN=master-expired, not after 2021-01-01 "
                           r"00:00:00 UTC\)"),
    ("revoked", "revoked", r"certificate revoked \(CN=master-revoked\)"),
    ("not on allow", "master-b", r"certificate not on the allow list \(CN=master-b "
                                 r"SHA256:[0-9A-F:]{95}\)"),
]


def refusal_gateway(h, t):
    """Outstations scada (allow CN=master-a, the CRL) and strict (the same, min_version 1.3)
    on two TLS endpoints; a plain IED behind them."""
    ied = h.sim(["--address", str(IED), "--master-address", str(GW_MASTER), "--points", POINTS],
                script=SCRIPT)
    port, port13 = h.port(), h.port()
    crl = t.c.path("crl.pem")
    gw = h.gateway(t.conf([
        t.outstation("scada", port, tls=t.block(allow=["CN=master-a"], crl=crl)),
        t.outstation("strict", port13, address=11,
                     tls=t.block(allow=["CN=master-a"], crl=crl, min_version="1.3")),
    ], ied.port, chan_tls=False), args=["-l", "info"])   # the refusals, not the polls
    return gw, port, port13


def t_refusals(h):
    t = Tls(h)
    gw, port, port13 = refusal_gateway(h, t)
    for what, who, reason in CERT_CASES:
        if who is None:         # dnp3poll has no TLS without a certificate: openssl s_client
            if run_client(s_client(t, port, None), LINK_STATUS_REQ)[0]:
                raise Fail("%s: answered" % what)
        elif t.poll(port, who, ["--integrity"]).finish() == 0:
            raise Fail("%s: dnp3poll succeeded" % what)
        refused_line(gw, "outstation scada", reason)
    # plain TCP to the TLS endpoint
    p = t.poll(port, None, ["--integrity"])
    if p.finish() == 0:
        raise Fail("plain TCP: dnp3poll succeeded")
    refused_line(gw, "outstation scada", r"not TLS \(a DNP3 link frame: plain TCP\)")
    # TLS 1.2 to min_version 1.3
    p = t.poll(port13, "master-a", ["--integrity", "--tls-version", "1.2"], address=11)
    if p.finish() == 0:
        raise Fail("TLS 1.2: dnp3poll succeeded")
    refused_line(gw, "outstation strict", r"TLS version below min_version.*")
    # each logged once (a new reason from the same peer is a new record) and counted
    text = gw.log()
    for what, _, reason in CERT_CASES:
        n = len(re.findall(r"TLS connection from 127\.0\.0\.1 refused: %s(?: DNP3GW_|\n)" % reason, text))
        eq("%s: records" % what, n, 1)
    gw.proc.send_signal(signal.SIGUSR1)
    gw.wait_log(r"listen 127\.0\.0\.1:%d \(outstations 10 scada\): connections accepted \d+, "
                r"handed to an outstation \d+; TLS handshakes refused 6;" % port, from_start=True)
    gw.wait_log(r"listen 127\.0\.0\.1:%d \(outstations 11 strict\): connections accepted \d+, "
                r"handed to an outstation \d+; TLS handshakes refused 1;" % port13,
                from_start=True)


def s_server(t, who, name="s_server"):
    """openssl s_server as an IED's TLS end (certificate of who, the client's required)."""
    port = t.h.port()
    p = harness.Proc(t.h, name, ["openssl", "s_server", "-accept", "127.0.0.1:%d" % port,
                                 "-cert", t.c.crt(who), "-key", t.c.key(who),
                                 "-CAfile", t.c.crt("ca"), "-Verify", "2",
                                 "-verify_return_error", "-quiet"],
                     json_lines=False, stdout_file=True)
    p.killed_on_purpose = True          # it serves until the test ends (SIGTERM)
    until("s_server listening on %d" % port, lambda: listening(port), step=0.02)
    return port


def socat_ied(t):
    """A plain dnp3sim IED behind socat OPENSSL-LISTEN (the IED's certificate, the client's
    required): the TLS port, once socat listens."""
    h = t.h
    plain = h.sim(["--address", str(IED), "--master-address", str(GW_MASTER),
                   "--points", POINTS], script=SCRIPT)
    port = h.port()
    harness.Proc(h, "socat-ied", ["socat", "OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,"
                                  "cert=%s,key=%s,cafile=%s,verify=1"
                                  % (port, t.c.crt("ied"), t.c.key("ied"), t.c.crt("ca")),
                                  "TCP:127.0.0.1:%d" % plain.port],
                 json_lines=False, stdout_file=True)
    until("socat listening on %d" % port, lambda: listening(port), step=0.02)
    return port


def listening(port):
    """Whether a socket listens on 127.0.0.1:port (/proc/net/tcp)."""
    want = "0100007F:%04X" % port
    with open("/proc/net/tcp") as f:
        return any(ln.split()[1] == want and ln.split()[3] == "0A" for ln in list(f)[1:])


def t_tls_to_plain(h):
    """TLS to a plain endpoint is refused the same way: a TLS master (dnp3poll --tls) to a
    plain outstation alone on its port (the connection already handed to it) and to a plain
    port shared by two outstations (still waiting for its first frame): each refused once
    with the exact reason, counted on its endpoint, and a plain master still served."""
    t = Tls(h)
    ied = h.sim(["--address", str(IED), "--master-address", str(GW_MASTER), "--points", POINTS],
                script=SCRIPT)
    alone, shared = h.port(), h.port()
    gw = h.gateway(t.conf([t.outstation("scada", alone, tls=False),
                           t.outstation("left", shared, address=11, tls=False),
                           t.outstation("right", shared, address=12, tls=False)],
                          ied.port, chan_tls=False), args=["-l", "info"])
    record = (r"TLS connection from 127\.0\.0\.1 refused: TLS on a plain endpoint "
              r"\(a TLS handshake record: a ClientHello\)(?: DNP3GW_|\n)")
    for k, port in enumerate((alone, shared)):
        if t.poll(port, "master-a", ["--integrity"]).finish() == 0:
            raise Fail("TLS to plain port %d: dnp3poll succeeded" % port)
        until("refusal record %d" % (k + 1),
              lambda: len(re.findall(record, gw.log())) >= k + 1, step=0.02)
    eq("records", len(re.findall(record, gw.log())), 2)
    gw.proc.send_signal(signal.SIGUSR1)
    gw.wait_log(r"listen 127\.0\.0\.1:%d \(outstations 10 scada\): connections accepted 1, "
                r"handed to an outstation 1; TLS handshakes refused 1;" % alone, from_start=True)
    gw.wait_log(r"listen 127\.0\.0\.1:%d \(outstations 11 left, 12 right\): connections "
                r"accepted 1, handed to an outstation 0; TLS handshakes refused 1;" % shared,
                from_start=True)
    eq("plain master after", t.poll(alone, None, ["--integrity"]).finish(), 0)


def t_refusals_downstream(h):
    """The gateway's channel as the TLS client: an IED (openssl s_server) with a certificate
    not on the channel's allow list, one revoked by the channel's CRL, and a plain TCP IED
    (dnp3sim without TLS, which refuses the ClientHello and closes): the channel cannot be
    opened, logged with the reason, retried."""
    t = Tls(h)
    crl = t.c.path("crl.pem")
    cases = [("master-b", t.block(allow=["CN=ied"]),
              r"certificate not on the allow list \(CN=master-b SHA256:[0-9A-F:]{95}\)"),
             ("revoked", t.block(crl=crl), r"certificate revoked \(CN=master-revoked\)")]
    for who, block, reason in cases:
        port = s_server(t, who)
        gw = harness.Gateway(h, t.conf([t.outstation("scada", h.port(), tls=False)], port,
                                       chan_tls=block))
        gw.wait_notify("READY")
        gw.wait_log(r"channel lan: 127\.0\.0\.1:%d cannot be opened: TLS: %s(?:: [^;]*)?; "
                    r"retrying with backoff" % (port, reason), timeout=15, from_start=True)
    plain = h.sim(["--address", str(IED), "--master-address", str(GW_MASTER),
                   "--points", POINTS], script=SCRIPT)
    gw = harness.Gateway(h, t.conf([t.outstation("scada", h.port(), tls=False)], plain.port))
    gw.wait_notify("READY")
    # the plain IED refuses the ClientHello at once (TLS on a plain endpoint) and closes
    plain.wait(lambda j: j.get("event") == "tls_refused" and j.get("why") == "TLS on a plain endpoint",
               what="the IED's refusal of TLS on its plain endpoint")
    gw.wait_log(r"channel lan: 127\.0\.0\.1:%d cannot be opened: TLS: closed by the peer "
                r"during the handshake.*; retrying with backoff" % plain.port, from_start=True)


# ---- reload ------------------------------------------------------------------------------

class TlsMaster(tlscerts.TlsStream, dnp3.Master):
    """The scripted master of tests/e2e/dnp3.py over TLS with the certificate of `who`."""

    def __init__(self, t, port, who, address=OUT, version=None):
        super().__init__(port, remote=address)
        t.h.masters.append(self)
        self.tls_wrap(tlscerts.client_ctx(t.c, who, version))


def t_reload_crl(h):
    t = Tls(h)
    ied = h.sim(["--address", str(IED), "--master-address", str(GW_MASTER), "--points", POINTS],
                script=SCRIPT)
    port = h.port()
    live_crl = t.c.path("live.pem")
    shutil.copy(t.c.path("crl-none.pem"), live_crl)
    block = t.block(allow=["CN=master-a", "CN=master-b"], crl=live_crl)
    gw = h.gateway(t.conf([t.outstation("scada", port, tls=block),
                           t.outstation("backup", port, address=11, tls=block)],
                          ied.port, chan_tls=False))
    gw.wait_log(r"lan/ied: integrity_poll done", timeout=15, from_start=True)
    a = TlsMaster(t, port, "master-a")
    b = TlsMaster(t, port, "master-b", address=11)
    for m in (a, b):
        eq("integrity poll answered over TLS", m.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func,
           dnp3.RESPONSE)
    gw.wait_log(r"outstation scada: master 127\.0\.0\.1 connected over TLSv1\.3 \S+, "
                r"\S*CN=master-a(?: DNP3GW_|\n)", from_start=True)
    gw.wait_log(r"outstation backup: master 127\.0\.0\.1 connected over TLSv1\.3 \S+, "
                r"\S*CN=master-b(?: DNP3GW_|\n)", from_start=True)
    # a CRL file that is not a CRL: the reload is refused, nothing changes
    with open(live_crl, "w") as f:
        f.write("-----BEGIN X509 CRL-----\nnot base64\n-----END X509 CRL-----\n")
    gw.proc.send_signal(signal.SIGHUP)
    gw.wait_log(r"outstations\[0\]\.tls\.crl: .*%s" % re.escape(live_crl))
    gw.wait_log(r"reload: .* is not valid; the running configuration stays in force")
    eq("connections after the refused reload", (a.closed, b.closed), (False, False))
    # the new CRL revokes master-b; the file name in the configuration stays the same
    crl1 = t.c.revoke("master-b", "crl-b.pem")
    shutil.copy(crl1, live_crl + ".new")
    os.rename(live_crl + ".new", live_crl)
    gw.proc.send_signal(signal.SIGHUP)
    gw.wait_log(r"outstation backup: 127\.0\.0\.1 dropped on reload: certificate revoked "
                r"\(CN=master-b\)")
    gw.wait_log(r"reload: outstations kept 2, started 0; channels kept 1, started 0")
    gw.wait_log(r"outstation backup: master 127\.0\.0\.1 disconnected after \d+ s: "
                r"certificate revoked \(CN=master-b\)(?: DNP3GW_|\n)", from_start=True)
    b.wait_closed()
    # master-a is still connected: the same connection answers, with the IED's new event
    ied.send("ai 3 99.5 @1700000000999")
    end = time.monotonic() + harness.DEADLINE
    ev = []
    while not ev:
        if time.monotonic() > end:
            raise Fail("no ai 3 event for master-a after the reload")
        d = h.decode(a.transaction(dnp3.READ, dnp3.CLASS123))
        ev = harness.values(d, 32).get(3, [])
    eq("event to master-a after the reload", (ev[-1]["value"], ev[-1].get("time_ms")),
       (99.5, 1700000000999))
    eq("master-a's connection", a.closed, False)
    if re.search(r"outstation scada: master 127\.0\.0\.1 disconnected", gw.log()):
        raise Fail("master-a was disconnected:\n" + gw.log()[-3000:])
    # master-b's next connection is refused: revoked (on the endpoint of two outstations the
    # handshake comes before a frame names one)
    try:
        c = TlsMaster(t, port, "master-b", address=11)
        c.transaction(dnp3.READ, dnp3.CLASS0123)
        raise Fail("master-b answered after its revocation")
    except (ssl.SSLError, OSError, Fail) as e:
        if "answered after" in str(e):
            raise
    refused_line(gw, "127.0.0.1:%d (10 scada, 11 backup)" % port,
                 r"certificate revoked \(CN=master-b\)")


# ---- key update --------------------------------------------------------------------------

def t_key_update(h):
    """renegotiate = 1.0 on the outstation and on the channel: over 3.5 s of DNP3 traffic the
    gateway updates the keys of a TLS 1.3 master (KeyUpdate), a TLS 1.2 master
    (renegotiation) and of its channel to the IED (TLS 1.3 to socat OPENSSL-LISTEN in front
    of dnp3sim) at least twice each, and no connection is dropped: every request is
    answered on the same connection, the channel stays up."""
    t = Tls(h)
    sport = socat_ied(t)
    p13, p12 = h.port(), h.port()
    block = t.block(allow=["CN=master-a"], renegotiate=1.0)
    gw = h.gateway(t.conf([t.outstation("tls13", p13, tls=block),
                           t.outstation("tls12", p12, tls=block)], sport,
                          chan_tls=t.block(allow=["CN=ied"], renegotiate=1.0)))
    wait_chan_up(gw, "TLSv1.3")
    gw.wait_log(r"lan/ied: integrity_poll done", timeout=15, from_start=True)
    m13 = TlsMaster(t, p13, "master-a")
    m12 = TlsMaster(t, p12, "master-a", version=ssl.TLSVersion.TLSv1_2)
    end = time.monotonic() + 3.5
    n = 0
    while time.monotonic() < end:
        for m in (m13, m12):
            eq("answered", m.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func, dnp3.RESPONSE)
        n += 1
        select.select([], [], [], 0.1)      # a poll every 100 ms, as SCADA might
    gw.proc.send_signal(signal.SIGUSR1)
    for name, version in (("tls13", "sent"), ("tls12", "renegotiations")):
        m = gw.wait_log(r"outstation %s: master 127\.0\.0\.1 connected for \d+ s;.*; TLS key "
                        r"updates (\d+) \(sent (\d+), received (\d+)\), renegotiations (\d+)"
                        % name, from_start=True)
        started, sent, _, reneg = (int(x) for x in m.groups())
        done = sent if version == "sent" else reneg
        if started < 2 or done < 2:
            raise Fail("%s: key updates %s (%s done) in 3.5 s with renegotiate = 1.0" %
                       (name, started, done))
    m = gw.wait_log(r"channel lan: up;.*; TLS key updates (\d+) \(sent (\d+)", from_start=True)
    if int(m.group(1)) < 2:
        raise Fail("channel: %s key updates" % m.group(1))
    for name in ("tls13", "tls12"):
        if re.search(r"outstation %s: master .* disconnected" % name, gw.log()):
            raise Fail("%s: the master was disconnected by a key update" % name)
    if re.search(r"channel lan: .* lost", gw.log()):
        raise Fail("the channel was dropped by a key update")
    eq("requests answered on the same connections", (m13.closed, m12.closed, n > 10),
       (False, False, True))


# ---- certificate expiry --------------------------------------------------------------------

def t_expiry(h):
    t = Tls(h)
    t.c.sign("gateway-soon", days=5)
    ied = h.sim(["--address", str(IED), "--master-address", str(GW_MASTER), "--points", POINTS],
                script=SCRIPT)
    port = h.port()
    block = t.block(certificate=t.c.crt("gateway-soon"), private_key=t.c.key("gateway-soon"),
                    allow=["CN=master-a"])
    # the channel's TLS to 192.0.2.1 (never reached) with the certificate valid for years
    conf = t.conf([t.outstation("scada", port, tls=block)], ied.port, chan_tls=False)
    conf["channels"].append({"name": "far", "tcp": {"host": "192.0.2.1", "port": 19999,
                                                   "tls": t.block(allow=["CN=ied"])},
                             "devices": [{"name": "ied2", "address": 7}]})
    path = os.path.join(h.tmp, "expiry.conf")
    with open(path, "w") as f:
        f.write(harness.config_text(conf))
    p = subprocess.run([h.gwd, "-t", "-c", path], capture_output=True, text=True, timeout=30)
    eq("dnp3gwd -t exit status", p.returncode, 0)
    if not re.search(r"^%s:\d+: notice: outstations\[0\]\.tls\.certificate: %s expires in "
                     r"[45] days \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$"
                     % (re.escape(path), re.escape(t.c.crt("gateway-soon"))), p.stdout, re.M):
        raise Fail("dnp3gwd -t printed no expiry notice:\n" + p.stdout)
    gw = h.gateway(conf)
    rx = (r"outstation scada: TLS certificate %s expires in [45] days \(\d{4}-\d\d-\d\d "
          r"\d\d:\d\d UTC\)(?: DNP3GW_|\n)" % re.escape(t.c.crt("gateway-soon")))
    gw.wait_log(rx, from_start=True)
    if re.search(r"channel far: TLS certificate .* expires", gw.log()):
        raise Fail("a warning for the channel's certificate (valid for a year)")
    gw.proc.send_signal(signal.SIGHUP)
    gw.wait_log(r"configuration .* loaded")
    gw.wait_log(rx)


# ---- interoperability ----------------------------------------------------------------------

LINK_STATUS_REQ = dnp3.link_frame(0xC9, OUT, SCADA)   # REQUEST_LINK_STATUS to the outstation


def link_status_answered(data):
    """Whether data holds a LINK_STATUS frame (function 11) from the outstation."""
    i = data.find(b"\x05\x64")
    return i >= 0 and len(data) >= i + 10 and data[i + 3] & 0x0F == 0x0B and \
        int.from_bytes(data[i + 6:i + 8], "little") == OUT


def run_client(argv, payload, timeout=harness.DEADLINE, env=None):
    """A TLS client process: payload to its stdin, kept open until its stdout has a link
    status answer, it exits, or the deadline; returns (answered, stdout, stderr)."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    out = b""
    try:
        p.stdin.write(payload)
        p.stdin.flush()
        end = time.monotonic() + timeout
        while not link_status_answered(out):
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([p.stdout], [], [], left)
            if not r:
                break
            d = os.read(p.stdout.fileno(), 65536)
            if not d:
                break
            out += d
    finally:
        if p.poll() is None:
            p.kill()                    # by PID
        p.wait(timeout=harness.DEADLINE)
        err = p.stderr.read().decode(errors="replace")
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()
    return link_status_answered(out), out, err


def s_client(t, port, who, extra=()):
    a = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-quiet", "-nocommands",
         "-CAfile", t.c.crt("ca"), "-verify_return_error"]
    if who:
        a += ["-cert", t.c.crt(who), "-key", t.c.key(who)]
    return a + list(extra)


def socat_client(t, port, who, extra=""):
    addr = "OPENSSL:127.0.0.1:%d,cafile=%s,verify=1,commonname=gateway" % (port, t.c.crt("ca"))
    if who:
        addr += ",cert=%s,key=%s" % (t.c.crt(who), t.c.key(who))
    return ["socat", "-t", "2", "STDIO", addr + extra]


def interop(h, client, tls12_args, name):
    t = Tls(h)
    gw, port, port13 = refusal_gateway(h, t)
    ok, out, err = run_client(client(t, port, "master-a"), LINK_STATUS_REQ)
    if not ok:
        raise Fail("%s: no link status answer over TLS: %r\n%s" % (name, out, err))
    gw.wait_log(r"outstation scada: master 127\.0\.0\.1 connected over TLSv1\.3 \S+, "
                r"\S*CN=master-a(?: DNP3GW_|\n)", from_start=True)
    for what, who, reason in CERT_CASES:
        ok, out, err = run_client(client(t, port, who), LINK_STATUS_REQ)
        if ok:
            raise Fail("%s, %s: answered" % (name, what))
        refused_line(gw, "outstation scada", reason)
    ok, _, _ = run_client(client(t, port13, "master-a", tls12_args), LINK_STATUS_REQ)
    if ok:
        raise Fail("%s, TLS 1.2 to min_version 1.3: answered" % name)
    refused_line(gw, "outstation strict", r"TLS version below min_version.*")
    return t, gw


def t_interop_openssl(h):
    t, gw = interop(h, s_client, ["-tls1_2"], "s_client")
    # openssl s_server as the IED's TLS end: the gateway's channel handshake succeeds
    sport = s_server(t, "ied")
    gw2 = harness.Gateway(h, t.conf([t.outstation("scada9", h.port(), tls=False)], sport))
    gw2.wait_notify("READY")
    wait_chan_up(gw2, "TLSv1.3")


def t_interop_socat(h):
    t, gw = interop(h, socat_client, ",openssl-max-proto-version=TLS1.2", "socat")
    # socat OPENSSL-LISTEN as the TLS end of a plain dnp3sim IED
    sport = socat_ied(t)
    port = h.port()
    gw2 = harness.Gateway(h, t.conf([t.outstation("scada9", port, tls=False)], sport))
    gw2.wait_notify("READY")
    until("the channel through socat", lambda: re.search(
        r"channel lan: 127\.0\.0\.1:%d is open over TLSv1\.3 \S+, \S*CN=ied(?: DNP3GW_|\n)" % sport, gw2.log()),
        timeout=15, step=0.05)
    gw2.wait_log(r"lan/ied: integrity_poll done", timeout=15, from_start=True)
    m = h.master(port)
    rsp = m.transaction(dnp3.READ, dnp3.CLASS0123)
    d = h.decode(rsp)
    bi = harness.values(d, 1, 2)
    eq("bi 3 through socat's TLS", [v["value"] for v in bi.get(3, [])], [1])


TESTS = [t_tls13, t_tls12, t_refusals, t_tls_to_plain, t_refusals_downstream, t_reload_crl,
         t_key_update, t_expiry, t_interop_openssl, t_interop_socat]


if __name__ == "__main__":
    sys.exit(harness.main(TESTS, __doc__))
