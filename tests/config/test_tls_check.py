#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""dnp3gwd -t on tls groups with real files (certificates made at test time by
tests/tls/mkcerts.sh and tests/e2e/gateway/tlscerts.py): the exact output and exit status
of each case, the temp dir shown as $DIR.

  valid        an outstation and a TCP channel with TLS: OK, exit 0
  missing      a certificate that does not exist: FILE:LINE at the certificate key
  mismatch     the key of another certificate: at private_key
  expired      an expired gateway certificate: at certificate
  ca_expired   an expired CA certificate: at ca
  key_mode     a key file open to other users (0644): at private_key
  soon         a certificate that expires in 5 days: a notice at certificate (4 or 5 days
               left: the second it runs in), exit 0
  allow        a malformed allow entry: at that entry
  ciphers      a cipher list OpenSSL does not know: at ciphers
  defaults     keys left at their defaults: the errors at the tls group's line

Usage: test_tls_check.py --gwd PATH/dnp3gwd [CASE...]
"""

import argparse
import re
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e",
                                "gateway"))
import tlscerts  # noqa: E402

HEAD = """\
outstations = (
  { name = "scada"; address = 10;
    tls = {
%s    };
  }
);
channels = (
  { name = "ied1";
    tcp = { host = "192.0.2.50"; port = 19999;
            tls = { certificate = "$DIR/gateway.crt"; private_key = "$DIR/gateway.key";
                    ca = "$DIR/ca.crt"; allow = [ "CN=ied" ]; }; };
    devices = ( { name = "relay1"; address = 20; } ); }
);
points = { binary_inputs = ( { index = 0; device = "ied1/relay1"; } ); };
"""

GOOD = {"certificate": "$DIR/gateway.crt", "private_key": "$DIR/gateway.key",
        "ca": "$DIR/ca.crt", "crl": "$DIR/crl.pem", "allow": '[ "CN=master-a" ]'}


def block(**kw):
    d = dict(GOOD)
    d.update(kw)
    out = ""
    for k, v in d.items():
        if v is None:
            continue
        out += "      %s = %s;\n" % (k, v if v.startswith("[") or v[0].isdigit()
                                     else '"%s"' % v)
    return out


# case: (the outstation's tls group, expected output with the file as F, exit status)
CASES = {
    "valid": (block(), [
        "F: OK (dnp3gw: outstations=1 channels=1 devices=1 points=1 event_slots=3000 "
        "event_memory=120000)"], 0),
    "missing": (block(certificate="$DIR/nothere.crt"), [
        "F:4: outstations[0].tls.certificate: cannot read $DIR/nothere.crt: "
        "No such file or directory", "F: 1 error"], 78),
    "mismatch": (block(private_key="$DIR/master-a.key"), [
        "F:5: outstations[0].tls.private_key: $DIR/master-a.key does not match the certificate",
        "F: 1 error"], 78),
    "expired": (block(certificate="$DIR/expired.crt", private_key="$DIR/expired.key"), [
        "F:4: outstations[0].tls.certificate: CN=master-expired expired on 2021-01-01 00:00:00 UTC",
        "F: 1 error"], 78),
    "ca_expired": (block(ca="$DIR/old-ca.crt", crl=None), [
        "F:6: outstations[0].tls.ca: CN=an expired CA expired on 2021-01-01 00:00:00 UTC",
        "F: 1 error"], 78),
    "key_mode": (block(private_key="$DIR/open.key"), [
        "F:5: outstations[0].tls.private_key: $DIR/open.key is open to other users "
        "(mode 0644): make it owner root, group of the service, mode 0640", "F: 1 error"], 78),
    "soon": (block(certificate="$DIR/gateway-soon.crt", private_key="$DIR/gateway-soon.key"), [
        "re:F:4: notice: outstations\\[0\\]\\.tls\\.certificate: \\$DIR/gateway-soon\\.crt "
        "expires in [45] days \\(@SOON@\\)",
        "F: OK (dnp3gw: outstations=1 channels=1 devices=1 points=1 event_slots=3000 "
        "event_memory=120000)"], 0),
    "allow": (block(allow='[ "CN=master-a", "SHA256:12:34" ]'), [
        "F:8: outstations[0].tls.allow[1]: \"SHA256:12:34\": a SHA256 fingerprint is 32 bytes in "
        "hex (SHA256:4F:2A:...)", "F: 1 error"], 78),
    "ciphers": (block(ciphers="NO-SUCH-CIPHER"), [
        "F:9: outstations[0].tls.ciphers: no TLS 1.2 cipher suite in \"NO-SUCH-CIPHER\"",
        "F: 1 error"], 78),
    "defaults": ("", [
        "F:3: outstations[0].tls: certificate: cannot read /etc/dnp3gw/tls/gateway.crt: "
        "No such file or directory", "F: 1 error"], 78),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gwd", required=True)
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--print", action="store_true", help="print the outputs, compare nothing")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="dnp3gw-tls-check-")
    failed = 0
    try:
        c = tlscerts.Certs(tmp)
        d = c.dir
        c.sign("gateway-soon", days=5)
        shutil.copy(c.key("gateway"), os.path.join(d, "open.key"))
        os.chmod(os.path.join(d, "open.key"), 0o644)
        end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-dateopt", "iso_8601",
                              "-in", c.crt("gateway-soon")], capture_output=True, text=True)
        soon = end.stdout.strip().split("=", 1)[1]  # "2026-12-08 17:50:00Z"
        soon = soon[:16] + " UTC"
        for name, (grp, want, want_rc) in CASES.items():
            if args.cases and name not in args.cases:
                continue
            if name == "defaults" and os.path.exists("/etc/dnp3gw/tls/gateway.crt"):
                print("skip %s: /etc/dnp3gw/tls/gateway.crt exists here" % name)
                continue
            path = os.path.join(tmp, name + ".conf")
            with open(path, "w") as f:
                f.write((HEAD % grp).replace("$DIR", d))
            p = subprocess.run([args.gwd, "-t", "-c", path], capture_output=True, text=True,
                               timeout=60)
            got = p.stdout.replace(path, "F").replace(d, "$DIR").splitlines()
            if args.print:
                print("%s (exit %d):\n  %s" % (name, p.returncode, "\n  ".join(got)))
                continue
            want = [w.replace("@SOON@", soon) for w in want]
            ok = p.returncode == want_rc and p.stderr == "" and len(got) == len(want)
            for g, w in zip(got, want):
                if w.startswith("re:"):     # a day count that depends on the second
                    ok = ok and re.fullmatch(w[3:], g) is not None
                else:
                    ok = ok and g == w
            if ok:
                print("ok   %s (exit %d)" % (name, p.returncode))
            else:
                failed += 1
                print("FAIL %s: exit %d (want %d)\n  got:  %s\n  want: %s\n  stderr: %s" %
                      (name, p.returncode, want_rc, "\n        ".join(got),
                       "\n        ".join(want), p.stderr))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
