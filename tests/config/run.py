#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the config checker on every *.conf in a directory and compare.

For each FILE.conf, FILE.expected holds the exact output of
`cfgcheck FILE.conf` (run from that directory, so messages name FILE.conf).
The exit code must be 0 when the last expected line is "FILE.conf: OK (...)"
and 78 (EX_CONFIG) otherwise.
"""
import argparse
import difflib
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", required=True, help="the cfgcheck executable")
    ap.add_argument("--dir", required=True, action="append", help="directory of *.conf files")
    ap.add_argument("--min", type=int, default=1, help="fail if fewer files than this")
    args = ap.parse_args()

    check = os.path.abspath(args.check)
    failed = total = 0
    for d in args.dir:
        confs = sorted(f for f in os.listdir(d) if f.endswith(".conf"))
        if len(confs) < args.min:
            print(f"FAIL {d}: {len(confs)} files, expected at least {args.min}")
            failed += 1
        for conf in confs:
            total += 1
            exp_path = os.path.join(d, conf[: -len(".conf")] + ".expected")
            if not os.path.exists(exp_path):
                print(f"FAIL {d}/{conf}: no {os.path.basename(exp_path)}")
                failed += 1
                continue
            with open(exp_path) as f:
                expected = f.read()
            lines = expected.splitlines()
            want_rc = 0 if lines and lines[-1].startswith(conf + ": OK (") else 78
            p = subprocess.run([check, conf], cwd=d, capture_output=True, text=True, timeout=30)
            ok = True
            if p.returncode != want_rc:
                print(f"FAIL {d}/{conf}: exit {p.returncode}, expected {want_rc}")
                ok = False
            if p.stdout != expected:
                print(f"FAIL {d}/{conf}: output differs")
                sys.stdout.writelines(difflib.unified_diff(
                    expected.splitlines(True), p.stdout.splitlines(True),
                    "expected", "actual"))
                ok = False
            if p.stderr:
                print(f"FAIL {d}/{conf}: stderr: {p.stderr.strip()}")
                ok = False
            if ok:
                print(f"ok   {d}/{conf} (exit {want_rc})")
            else:
                failed += 1
    print(f"{total - failed}/{total} passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
