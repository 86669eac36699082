#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Benchmark: DNP3 over TLS through dnp3gwd.  Prints figures, asserts nothing about speed.

The gateway of bench_poll.py (10 000 points of each of the 7 types from one IED on a pty,
2048-byte fragments) with two outstations on two ports of loopback: one plain TCP, one
with a tls group (certificates made by tests/tls/mkcerts.sh).  This script is the SCADA
master (Python's ssl module, OpenSSL underneath, with the master's certificate).

  handshake        --handshakes full handshakes with mutual authentication (no session
                   resumption exists) for TLS 1.3 and for TLS 1.2 (the client's maximum):
                   the client's wall time from connect() to the handshake done (p50, p99,
                   noisy), and the daemon's CPU time per handshake over all of them
                   (schedstat; includes accepting, the handshake, the first read of the
                   close and the connection's teardown)
  integrity poll   the daemon's CPU per 70 000-point integrity poll (READ class 1, 2, 3,
                   0; every fragment confirmed), plain TCP and TLS 1.3 and TLS 1.2 on the
                   same daemon: the least of --rounds rounds of --polls polls each, and the
                   ratio TLS / TCP

Usage: bench_tls.py --gwd PATH/dnp3gwd --shim PATH/libptyshim.so [--polls N] [--rounds N]
                    [--handshakes N]
"""

import os
import select
import shutil
import socket
import ssl
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import dnp3  # noqa: E402
import bench_poll  # noqa: E402
import tlscerts  # noqa: E402  (tests/e2e/gateway: mkcerts.sh and Python's TLS masters)


def config(pty, port, tls_port, certdir):
    text = bench_poll.config(pty, port)
    tls = ('tls = { certificate = "%s/gateway.crt"; private_key = "%s/gateway.key"; '
           'ca = "%s/ca.crt"; allow = [ "CN=master-a" ]; renegotiate = 0.0; };'
           % (certdir, certdir, certdir))
    second = ('{ name = "scada-tls"; listen = "127.0.0.1:%d"; address = %d; '
              'master_address = %d; max_fragment = 2048; unsolicited = { enabled = false; }; '
              '%s }' % (tls_port, bench_poll.UP_ADDR, bench_poll.UP_MASTER, tls))
    # the plain outstation's group ends the list: the TLS one after it
    head, sep, tail = text.partition("\nchannels = ")
    head = head.rstrip()
    if not head.endswith(");"):
        raise SystemExit("unexpected config text: %s" % head[-200:])
    return head[:-2].rstrip() + ",\n  " + second + "\n);\n" + sep.lstrip("\n") + tail


class TlsPollMaster(tlscerts.TlsStream, bench_poll.PollMaster):
    """bench_poll's master over TLS."""

    def __init__(self, port, ctx):
        super().__init__(port)
        self.tls_wrap(ctx)


def handshakes(port, ctx, n, gw, pump):
    """n handshakes: (client wall ms of each, daemon Usage over all)."""
    walls = []
    u0 = benchlib.Usage(gw.pid)
    for _ in range(n):
        t = time.perf_counter()
        s = socket.create_connection(("127.0.0.1", port), timeout=benchlib.DEADLINE)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t_sock = ctx.wrap_socket(s)
        walls.append((time.perf_counter() - t) * 1000.0)
        # a link status request answered: the server side of the handshake is done too
        t_sock.sendall(dnp3.link_frame(0xC9, bench_poll.UP_ADDR, bench_poll.UP_MASTER))
        t_sock.settimeout(benchlib.DEADLINE)
        if not t_sock.recv(64):
            raise SystemExit("no link status answer over TLS")
        t_sock.close()
        pump()
    return walls, benchlib.Usage(gw.pid) - u0


def poll_rounds(master, args, gw, pump):
    for _ in range(args.warmup):
        master.poll(pump)
    rounds = []
    for _ in range(args.rounds):
        u0 = benchlib.Usage(gw.pid)
        f0 = master.fragments
        for _ in range(args.polls):
            master.poll(pump)
        rounds.append((benchlib.Usage(gw.pid) - u0, master.fragments - f0))
    return min(rounds, key=lambda r: r[0].ns), rounds


def main():
    ap = benchlib.arg_parser()
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--polls", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--handshakes", type=int, default=200)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="dnp3gw-bench-tls-")
    mfd, sfd, pty = benchlib.raw_pty()
    port, tls_port = dnp3.free_port(), dnp3.free_port()
    gw = None
    masters = []
    try:
        c = tlscerts.Certs(tmp)
        gw = benchlib.Daemon(args.gwd, args.shim, config(pty, port, tls_port, c.dir), tmp=tmp)
        pump = bench_poll.start(gw, mfd)

        versions = (("TLS 1.3", ssl.TLSVersion.TLSv1_3), ("TLS 1.2", ssl.TLSVersion.TLSv1_2))
        hs = {}
        for name, v in versions:
            ctx = tlscerts.client_ctx(c, "master-a", v)
            handshakes(tls_port, ctx, 5, gw, pump)          # warm-up
            hs[name] = handshakes(tls_port, ctx, args.handshakes, gw, pump)

        results, suites = {}, {"plain TCP": ""}
        plain = bench_poll.PollMaster(port)
        masters.append(plain)
        results["plain TCP"] = poll_rounds(plain, args, gw, pump)
        plain.close()
        for name, v in versions:
            m = TlsPollMaster(tls_port, tlscerts.client_ctx(c, "master-a", v))
            masters.append(m)
            suites[name] = " " + m.sock.cipher()[0]
            results[name] = poll_rounds(m, args, gw, pump)
            m.close()

        print("dnp3gwd: DNP3 over TLS (mutual authentication, the IEC 62351-3 profile default "
              "suites) on loopback; the master is Python's ssl module (%s)" % ssl.OPENSSL_VERSION)
        print("  handshake (full, both certificates checked; %d each):" % args.handshakes)
        for name, _ in versions:
            walls, du = hs[name]
            print("    %-8s client wall p50 %.2f ms, p99 %.2f ms; daemon CPU per handshake "
                  "%.3f ms (schedstat), %.1f wake-ups" %
                  (name, benchlib.pct(walls, 50), benchlib.pct(walls, 99),
                   du.ns / 1e6 / len(walls), du.wake / len(walls)))
        base = results["plain TCP"][0][0].ns / args.polls
        print("  70 000-point integrity poll (10 000 of each of 7 types, 2048-byte fragments, "
              "every fragment confirmed), daemon CPU per poll, least of %d rounds of %d polls:"
              % (args.rounds, args.polls))
        for name in ("plain TCP",) + tuple(n for n, _ in versions):
            (du, nfrag), rounds = results[name]
            per = du.ns / args.polls
            print("    %-9s %8.2f ms/poll  x%.2f of plain TCP  (%.1f us/fragment, %d fragments/"
                  "poll, %.2f wake-ups/fragment; rounds: %s ms)%s" %
                  (name, per / 1e6, per / base, du.ns / 1e3 / nfrag, nfrag // args.polls, du.wake / nfrag,
                   ", ".join("%.2f" % (r[0].ns / 1e6 / args.polls) for r in rounds),
                   suites[name]))
        rc = gw.stop()
        if rc != 0:
            sys.stderr.write(gw.log_text()[-3000:])
            raise SystemExit("dnp3gwd exit status %s" % rc)
        return 0
    finally:
        for m in masters:
            try:
                m.close()
            except OSError:
                pass
        if gw:
            gw.close()
        os.close(mfd)
        os.close(sfd)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
