#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end over TLS (IEC 62351-3): dnp3poll --tls-* against dnp3sim --tls-*
on loopback, with certificates made for the run by tests/tls/mkcerts.sh.

The TCP tests of test_poll.py (integrity values, an event with its time,
unsolicited events, controls, the simulator killed and back) run unchanged
over TLS 1.3 and the integrity and controls ones over TLS 1.2 (dnp3poll
--tls-version 1.2); dnp3poll's "up" line names the version.  Then the
refusals commissioning meets: a master not on the simulator's allow list, one
the CRL revokes, one whose certificate expired, one from another CA, plain
TCP to the TLS simulator, TLS to a plain one; each refused by the simulator
with its reason (its JSON line) and seen by dnp3poll as the channel down
with the reason.  Interoperability with TLS we did not write: `openssl
s_client` and socat's OPENSSL address as the master of dnp3sim (a link
status request answered through TLS; a client without a certificate and a
TLS 1.2 client against --tls-version 1.3 refused with their reasons), and
dnp3poll against `openssl s_server` (up over TLS 1.3; refused by dnp3poll's
allow list with the server's subject and fingerprint).  And the options: a
key that does not match the certificate, an incomplete set, TLS on a serial line, each refused with exit status 2 and
the reason.

Usage: test_poll_tls.py --poll PATH/dnp3poll --sim PATH/dnp3sim --mkcerts tests/tls/mkcerts.sh
"""

import argparse
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnp3  # noqa: E402
import test_poll  # noqa: E402
from dnp3 import Fail  # noqa: E402
from test_poll import eq  # noqa: E402

CERTS = None


def cert(name):
    return os.path.join(CERTS, name)


def tls_args(name, allow=(), extra=()):
    a = ["--tls-cert", cert(name + ".crt"), "--tls-key", cert(name + ".key"),
         "--tls-ca", cert("ca.crt")]
    for x in allow:
        a += ["--tls-allow", x]
    return a + list(extra)


class TlsCtx(test_poll.Ctx):
    """test_poll's TCP context with TLS on both tools: the IED is CN=ied, the master CN=gateway."""

    def __init__(self, args, tmp, version=None, sim_tls=True, poll_tls=True):
        super().__init__(args, tmp, False)
        self.version = version
        self.sim_tls, self.poll_tls = sim_tls, poll_tls
        self.sim_extra = ["--tls-crl", cert("crl.pem")]
        self.poll_name = "gateway"

    def sim(self, extra=()):
        t = tls_args("ied", ["CN=gateway", "CN=master-revoked", "CN=master-expired"],
                     self.sim_extra) if self.sim_tls else []
        return super().sim(t + list(extra))

    def poll(self, extra=()):
        v = ["--tls-version", self.version] if self.version else []
        t = tls_args(self.poll_name, ["CN=ied"], v) if self.poll_tls else []
        return super().poll(t + list(extra))


def up_line(p, version):
    j = p.wait(lambda j: j.get("channel") == "up", "channel up")
    eq("TLS version", j.get("tls"), version)


def over(t, version):
    def run(c):
        c.version = version
        t(c)
        for p in c.polls:
            ups = [j for j in p.history if j.get("channel") == "up"]
            if not ups:
                raise Fail("dnp3poll never up")
            eq("TLS version", ups[0].get("tls"), "TLSv" + version)
    run.__name__ = "%s[tls%s]" % (t.__name__, version)
    return run


def refused(c, poll_name, sim_why, poll_what, poll_up=True):
    """dnp3poll as poll_name: the simulator refuses with sim_why, dnp3poll's channel goes down."""
    s = c.sim()
    c.poll_name = poll_name
    p = c.poll(["--exit-after", "3"])
    j = s.wait(lambda j: j.get("event") == "tls_refused", what="tls_refused line")
    eq("simulator's refusal", (j["peer"], j["why"]), ("127.0.0.1", sim_why))
    d = p.wait(lambda j: j.get("channel") == "down", "channel down")
    eq("dnp3poll's reason", d["error"], poll_what)
    eq("up before the refusal (TLS 1.3 learns it after its handshake)",
       any(j.get("channel") == "up" for j in p.history), poll_up)
    p.finish()
    if any(j.get("event") == "connect" for j in s.lines):
        raise Fail("the simulator took the connection")


def t_refused_not_allowed(c):
    refused(c, "master-b", "certificate not on the allow list",
            "TLS: refused by the peer (alert handshake failure): Protocol error")


def t_refused_revoked(c):
    refused(c, "revoked", "certificate revoked",
            "TLS: refused by the peer (alert certificate revoked): Protocol error")


def t_refused_expired_tls12(c):
    c.version = "1.2"
    refused(c, "expired", "certificate expired",
            "TLS: refused by the peer (alert certificate expired): Operation not permitted",
            poll_up=False)


def t_refused_other_ca(c):
    c.version = "1.2"
    refused(c, "other", "certificate does not chain to the CA",
            "TLS: refused by the peer (alert unknown CA): Operation not permitted",
            poll_up=False)


def t_plain_to_tls(c):
    c.poll_tls = False
    s = c.sim()
    p = c.poll(["--exit-after", "2"])
    j = s.wait(lambda j: j.get("event") == "tls_refused", what="tls_refused line")
    eq("simulator's refusal", j["why"], "not TLS")
    p.finish()
    if "not TLS (a DNP3 link frame: plain TCP)" not in s.stderr():
        raise Fail("simulator's stderr: %s" % s.stderr())


def t_tls_to_plain(c):
    c.sim_tls = False
    c.sim()
    p = c.poll(["--exit-after", "12"])
    # the plain outstation refuses the ClientHello (TLS on a plain endpoint) and closes
    d = p.wait(lambda j: j.get("channel") == "down", "channel down", 15)
    if not d["error"].startswith("TLS: closed by the peer during the handshake"):
        raise Fail("dnp3poll's reason: %r" % d["error"])
    p.finish()


# a link status request to outstation 10 from master 1, and its answer
LINK_STATUS_REQ = dnp3.link_frame(0xC9, 10, 1)
LINK_STATUS_RSP = dnp3.link_frame(0x0B, 1, 10)


def read_exactly(proc, n, what, timeout=test_poll.DEADLINE):
    """n bytes from a child's stdout, within the deadline."""
    out = b""
    end = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while len(out) < n:
        left = end - time.monotonic()
        r, _, _ = select.select([fd], [], [], max(left, 0))
        if not r:
            raise Fail("%s: %d of %d bytes within %.0f s: %r" % (what, len(out), n, timeout, out))
        d = os.read(fd, n - len(out))
        if not d:
            raise Fail("%s: end of output after %r" % (what, out))
        out += d
    return out


def foreign_client(c, argv, what):
    """A TLS client we did not write, as the master: its request answered through TLS."""
    s = c.sim()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        s.wait(lambda j: j.get("event") == "connect", what="connect line")
        p.stdin.write(LINK_STATUS_REQ)
        p.stdin.flush()
        eq("%s: the outstation's answer" % what, read_exactly(p, len(LINK_STATUS_RSP), what),
           LINK_STATUS_RSP)
    finally:
        p.kill()  # by PID
        p.wait(timeout=test_poll.DEADLINE)
    if any(j.get("event") == "tls_refused" for j in s.lines):
        raise Fail("%s refused: %s" % (what, s.stderr()))


def s_client_argv(c, name=None, extra=()):
    a = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % c.port, "-quiet",
         "-CAfile", cert("ca.crt"), "-verify_return_error"]
    if name:
        a += ["-cert", cert(name + ".crt"), "-key", cert(name + ".key")]
    return a + list(extra)


def t_interop_s_client(c):
    foreign_client(c, s_client_argv(c, "gateway"), "openssl s_client")


def t_interop_socat(c):
    foreign_client(c, ["socat", "-", "OPENSSL:127.0.0.1:%d,cert=%s,key=%s,cafile=%s,verify=1,"
                       "commonname=ied" % (c.port, cert("gateway.crt"), cert("gateway.key"),
                                           cert("ca.crt"))],
                   "socat OPENSSL")


def foreign_refused(c, argv, why):
    s = c.sim()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        j = s.wait(lambda j: j.get("event") == "tls_refused", what="tls_refused line")
        eq("refusal of %s" % argv[:2], j["why"], why)
    finally:
        p.kill()  # by PID
        p.wait(timeout=test_poll.DEADLINE)


def t_interop_s_client_no_cert(c):
    foreign_refused(c, s_client_argv(c), "no peer certificate")


def t_interop_s_client_tls12(c):
    c.sim_extra = ["--tls-version", "1.3"]
    foreign_refused(c, s_client_argv(c, "gateway", ["-tls1_2"]), "TLS version below min_version")


def s_server(c):
    """openssl s_server as a TLS IED requiring a client certificate; waits until it listens."""
    c.port = dnp3.free_port()
    p = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:%d" % c.port,
                          "-cert", cert("ied.crt"), "-key", cert("ied.key"),
                          "-CAfile", cert("ca.crt"), "-Verify", "2", "-verify_return_error"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    line = b""
    end = time.monotonic() + test_poll.DEADLINE
    while b"ACCEPT" not in line:
        line += read_exactly(p, 1, "s_server start", end - time.monotonic())
    return p


def t_interop_s_server(c):
    srv = s_server(c)
    try:
        p = c.poll(["--exit-after", "2", "--follow"])
        j = p.wait(lambda j: j.get("channel") == "up", "channel up")
        eq("TLS with s_server", j.get("tls"), "TLSv1.3")
        p.finish()
    finally:
        srv.kill()  # by PID
        srv.wait(timeout=test_poll.DEADLINE)


def t_interop_s_server_not_allowed(c):
    srv = s_server(c)
    fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in",
                         cert("ied.crt")], capture_output=True, text=True, check=True)
    fpr = "SHA256:" + fp.stdout.strip().split("=", 1)[1]
    try:
        c.poll_name = "gateway"
        p = test_poll.Poll(c.args.poll, ["--tcp", "127.0.0.1:%d" % c.port, "--exit-after", "2"] +
                           tls_args("gateway", ["CN=another-ied"]), c.tmp)
        c.polls.append(p)
        d = p.wait(lambda j: j.get("channel") == "down", "channel down")
        eq("dnp3poll's refusal", d["error"],
           "TLS: certificate not on the allow list (CN=ied %s): Operation not permitted" % fpr)
        p.finish()
    finally:
        srv.kill()  # by PID
        srv.wait(timeout=test_poll.DEADLINE)


def t_option_errors(c):
    def run(args, want):
        r = subprocess.run([c.args.poll] + args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=10)
        eq("exit status of %r" % args, r.returncode, 2)
        eq("stderr of %r" % args, r.stderr.decode(), want)
    tcp = ["--tcp", "127.0.0.1:20000"]
    run(tcp + ["--tls-cert", cert("gateway.crt"), "--tls-key", cert("ied.key"), "--tls-ca",
               cert("ca.crt")],
        "dnp3poll: --tls-key: %s does not match the certificate\n" % cert("ied.key"))
    run(tcp + ["--tls-cert", cert("gateway.crt"), "--tls-key", cert("gateway.key")],
        "dnp3poll: --tls-cert, --tls-key and --tls-ca go together\n")
    run(tcp + tls_args("gateway", ["CN="]),
        "dnp3poll: --tls-allow: \"CN=\": expected \"CN=name\" or \"SHA256:AA:BB:...\"\n")
    run(tcp + tls_args("gateway", extra=["--tls-version", "1.1"]),
        "dnp3poll: bad value for --tls-version: 1.1\n")
    r = subprocess.run([c.args.poll, "--serial", "/dev/null"] + tls_args("gateway"),
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=10)
    eq("TLS on a serial line", (r.returncode, r.stderr.decode().startswith("usage:")), (2, True))


TESTS = ([over(t, "1.3") for t in test_poll.BOTH] +
         [over(t, "1.2") for t in (test_poll.t_integrity, test_poll.t_controls)] +
         [t_refused_not_allowed, t_refused_revoked, t_refused_expired_tls12, t_refused_other_ca,
          t_plain_to_tls, t_tls_to_plain, t_interop_s_client, t_interop_socat,
          t_interop_s_client_no_cert, t_interop_s_client_tls12, t_interop_s_server,
          t_interop_s_server_not_allowed, t_option_errors])


def main():
    global CERTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--poll", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--mkcerts", required=True)
    ap.add_argument("--only", help="run only tests whose name contains this")
    args = ap.parse_args()
    args.shim = None
    CERTS = tempfile.mkdtemp(prefix="dnp3-tls-certs-")
    subprocess.run(["sh", args.mkcerts, CERTS], check=True)
    passed = failed = 0
    try:
        for t in TESTS:
            name = t.__name__
            if args.only and args.only not in name:
                continue
            tmp = tempfile.mkdtemp(prefix="dnp3-poll-tls-")
            ok = True
            c = None
            try:
                c = TlsCtx(args, tmp)
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
    finally:
        shutil.rmtree(CERTS, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
