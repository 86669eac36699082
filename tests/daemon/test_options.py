#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""GNU command lines of every binary: -h/--help (the usage on stdout, exit 0),
-V/--version ("NAME (dnp3gw) VERSION", exit 0), an unknown option refused
with the usage on stderr, every long option the manual page lists accepted by
the binary and every one the usage shows listed in the manual page; and
dnp3gwd's long forms doing what its short ones do (--check --config FILE is
-t -c FILE byte for byte, --log-level takes the level names).

Usage: test_options.py --version V --man DIR --good-conf FILE NAME=PATH...
"""

import argparse
import os
import re
import subprocess
import sys

# the exit status of a refused command line
USAGE_STATUS = {"dnp3gwd": 64, "dnp3gwctl": 64}
DEFAULT_USAGE_STATUS = 2
MAN_SECTION = {"dnp3gwd": 8}


class Fail(Exception):
    pass


def eq(what, got, want):
    if got != want:
        raise Fail("%s:\n got      %r\n expected %r" % (what, got, want))


def run(argv, cwd=None):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=30, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def man_long_options(path):
    """The long options the OPTIONS list of a manual page names (.It Fl ... \\-NAME)."""
    opts = set()
    with open(path) as f:
        for ln in f:
            if ln.startswith(".It "):
                # ".It Fl \-json", ".It Fl j , \-json", ".It Fl c Ar f , Fl \-config ...",
                # ".It Fl -device-profile" (Fl writes one dash, the text the other)
                ln = ln.replace("\\-", "-")
                opts.update(re.findall(r"(?:Fl |, )-([a-z][a-z0-9-]*)", ln))
    return opts


def usage_long_options(text):
    return set(re.findall(r"--([a-z][a-z0-9-]*)", text))


def check_binary(name, path, version, man_dir):
    refused = USAGE_STATUS.get(name, DEFAULT_USAGE_STATUS)
    helps = [run([path, o]) for o in ("--help", "-h")]
    for o, (rc, out, err) in zip(("--help", "-h"), helps):
        eq("%s %s: exit status" % (name, o), rc, 0)
        eq("%s %s: stderr" % (name, o), err, "")
        if not out.startswith("usage: %s " % name):
            raise Fail("%s %s: stdout is not the usage: %r" % (name, o, out[:200]))
    eq("%s: -h is --help" % name, helps[1][1], helps[0][1])
    usage = helps[0][1]
    for o in ("--version", "-V"):
        eq("%s %s" % (name, o), run([path, o]), (0, "%s (dnp3gw) %s\n" % (name, version), ""))

    rc, out, err = run([path, "--no-such-option"])
    eq("%s --no-such-option: exit status" % name, rc, refused)
    eq("%s --no-such-option: stdout" % name, out, "")
    if "unrecognized option '--no-such-option'" not in err or usage not in err:
        raise Fail("%s --no-such-option: stderr %r" % (name, err))

    page = os.path.join(man_dir, "%s.%d" % (name, MAN_SECTION.get(name, 1)))
    documented = man_long_options(page)
    shown = usage_long_options(usage)
    eq("%s: long options the usage shows but %s does not list" % (name, page),
       sorted(shown - documented), [])
    for o in sorted(documented):
        # "--OPT=x": taken (then the unknown option ends the run), refused as a value, or
        # "doesn't allow an argument"; never "unrecognized"
        rc, out, err = run([path, "--%s=x" % o, "--no-such-option"])
        eq("%s --%s=x --no-such-option: exit status" % (name, o), rc, refused)
        if "unrecognized option '--%s" % o in err or "ambiguous" in err:
            raise Fail("%s: --%s (in %s) is not an option: %r" % (name, o, page, err))
    return len(documented)


def check_gwd(path, good):
    here = os.path.dirname(os.path.abspath(good))
    short = run([path, "-t", "-c", os.path.basename(good)], cwd=here)
    eq("dnp3gwd -t -c good.conf: exit status", short[0], 0)
    for argv in (["--check", "--config", os.path.basename(good)],
                 ["--config=" + os.path.basename(good), "--check", "--log-level", "debug"],
                 ["-t", "--config", os.path.basename(good), "-l", "trace"]):
        eq("dnp3gwd %s" % " ".join(argv), run([path] + argv, cwd=here), short)
    eq("dnp3gwd --log-level bogus",
       run([path, "--log-level", "bogus", "--check", "--config", good]),
       (64, "", "dnp3gwd: unknown log level 'bogus'\n"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", required=True)
    ap.add_argument("--man", required=True)
    ap.add_argument("--good-conf", required=True)
    ap.add_argument("bins", nargs="+", help="NAME=PATH")
    a = ap.parse_args()
    failed = 0
    for b in a.bins:
        name, path = b.split("=", 1)
        try:
            n = check_binary(name, os.path.abspath(path), a.version, a.man)
            if name == "dnp3gwd":
                check_gwd(os.path.abspath(path), a.good_conf)
            print("ok   %s (%d long options of its manual page)" % (name, n))
        except Fail as e:
            failed += 1
            print("FAIL %s: %s" % (name, e))
    print("%d passed, %d failed" % (len(a.bins) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
