# SPDX-License-Identifier: MIT
"""Certificates for the TLS tests, made at test time with the openssl command: the set of
tests/tls/mkcerts.sh (a CA, the gateway, two masters, one expired, one revoked and its CRL,
one from another CA), plus what the gateway tests need beside it: the IED's certificate,
a gateway certificate that expires in a few days, and CRLs of the same CA made here
(`openssl ca -gencrl` over an index this module writes), e.g. one that revokes master-b
too for the reload test.  No key is ever committed.
"""

import datetime
import os
import subprocess

MKCERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tls",
                       "mkcerts.sh")


def openssl(*args, cwd=None):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), p.stderr))
    return p.stdout


class Certs:
    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "certs")
        p = subprocess.run([MKCERTS, self.dir], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("mkcerts.sh: %s%s" % (p.stdout, p.stderr))
        # the service's key file: owner only (dnp3gw.conf(5): never open to other users)
        for f in os.listdir(self.dir):
            if f.endswith(".key"):
                os.chmod(self.path(f), 0o600)
        self.sign("ied", days=30)

    def path(self, name):
        return os.path.join(self.dir, name)

    def crt(self, who):
        return self.path(who + ".crt")

    def key(self, who):
        return self.path(who + ".key")

    def sign(self, who, days, ca="ca"):
        """A new key and a certificate for CN=who, signed by ca, valid `days` from now."""
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", self.key(who))
        os.chmod(self.key(who), 0o600)
        openssl("req", "-new", "-key", self.key(who), "-subj", "/CN=" + who,
                "-out", self.path(who + ".csr"))
        openssl("x509", "-req", "-in", self.path(who + ".csr"), "-CA", self.crt(ca),
                "-CAkey", self.key(ca), "-set_serial", str(int.from_bytes(os.urandom(8), "big") >> 2),
                "-days", str(days), "-sha256", "-out", self.crt(who))
        return self.crt(who)

    def serial(self, who):
        out = openssl("x509", "-noout", "-serial", "-in", self.crt(who))
        return out.strip().split("=", 1)[1]

    def fingerprint(self, who):
        out = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", self.crt(who))
        return "SHA256:" + out.strip().split("=", 1)[1]

    def crl(self, name, revoked):
        """A CRL of the CA revoking the certificates of `revoked` (names), valid 30 days."""
        d = self.path(name + ".db")
        os.makedirs(d, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%y%m%d%H%M%SZ")
        with open(os.path.join(d, "index.txt"), "w") as f:
            for who in revoked:
                subj = openssl("x509", "-noout", "-subject", "-nameopt", "compat",
                               "-in", self.crt(who)).strip().split("=", 1)[1].strip()
                f.write("R\t%s\t%s\t%s\tunknown\t%s\n" % ("991231235959Z", now,
                                                          self.serial(who), subj))
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = ca_sect\n[ca_sect]\ndatabase = %s/index.txt\n"
                    "crlnumber = %s/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n"
                    % (d, d))
        with open(os.path.join(d, "crlnumber"), "w") as f:
            f.write("1000\n")
        out = self.path(name + ".crl")
        openssl("ca", "-gencrl", "-config", os.path.join(d, "ca.cnf"), "-cert", self.crt("ca"),
                "-keyfile", self.key("ca"), "-out", out)
        return out
