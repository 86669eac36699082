# SPDX-License-Identifier: MIT
"""Certificates for the TLS tests, made at test time with the openssl command: the set of
tests/tls/mkcerts.sh (a CA, the gateway, the IED, two masters, one expired, one revoked
and its CRL, one from another CA, an expired CA), plus what the gateway tests need beside
it, made with the same CA (its `openssl ca` database in the directory): a certificate that
expires in a few days, and a new CRL that revokes one more (master-b, for the reload
test).  No key is ever committed.
"""

import os
import select
import ssl
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

    def path(self, name):
        return os.path.join(self.dir, name)

    def crt(self, who):
        return self.path(who + ".crt")

    def key(self, who):
        return self.path(who + ".key")

    def sign(self, who, days):
        """A new key and a certificate for CN=who, signed by the CA, valid `days` from now."""
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", who + ".key", "-out", who + ".csr", "-subj", "/CN=" + who,
                "-config", "ca.cnf", cwd=self.dir)
        openssl("ca", "-batch", "-config", "ca.cnf", "-extensions", "leaf", "-days", str(days),
                "-in", who + ".csr", "-out", who + ".crt", "-notext", cwd=self.dir)
        os.unlink(self.path(who + ".csr"))
        os.chmod(self.key(who), 0o600)
        return self.crt(who)

    def fingerprint(self, who):
        out = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", self.crt(who))
        return "SHA256:" + out.strip().split("=", 1)[1]

    def revoke(self, who, crl):
        """Revoke who's certificate in the CA's database; a new CRL of every revocation so
        far (mkcerts.sh's revoked.crt included) into the file crl (name in the dir)."""
        openssl("ca", "-config", "ca.cnf", "-revoke", who + ".crt", cwd=self.dir)
        openssl("ca", "-config", "ca.cnf", "-gencrl", "-out", crl, cwd=self.dir)
        return self.path(crl)


def client_ctx(c, who, version=None):
    """A TLS client context of Python's ssl module (OpenSSL) with who's certificate, the
    CA of c, no host name check (the gateway checks names by its allow list); version:
    only that ssl.TLSVersion."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(c.crt("ca"))
    ctx.load_cert_chain(c.crt(who), c.key(who))
    if version:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


class TlsStream:
    """Mixed into tests/e2e/dnp3.py's Master (or a subclass): the connected socket wrapped
    in TLS (tls_wrap), reads that also drain what OpenSSL holds decrypted already, writes
    whole."""

    def tls_wrap(self, ctx):
        self.sock.setblocking(True)
        self.sock = ctx.wrap_socket(self.sock)
        self.sock.setblocking(False)

    def _read(self, timeout):
        if not self.sock.pending():
            r, _, _ = select.select([self.sock], [], [], max(timeout, 0))
            if not r:
                return False
        got = b""
        try:
            while True:
                d = self.sock.recv(65536)
                if not d:
                    self.closed = True
                    break
                got += d
                if not self.sock.pending():
                    break
        except ssl.SSLWantReadError:
            pass
        except (OSError, ssl.SSLError):
            self.closed = True
        if got:
            self.buf += got
            self._parse()
        return True

    def send_apdu(self, apdu):
        self.sock.setblocking(True)
        try:
            super().send_apdu(apdu)
        finally:
            self.sock.setblocking(False)
