#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""dnp3poll and dnp3sim take exactly the serial vocabulary of dnp3gw.conf(5).

For every serial setting (baud, data_bits, parity, stop_bits, flow_control)
and each value in a list -- every value dnp3gw.conf(5) documents as accepted,
and values next to them (other rates, 5-7 data bits, 3 stop bits, mark and
space spelled in upper case, a misspelling, the refused "xonxoff", hex and
signed numbers) -- the value is written into a one-channel configuration
file and checked with the config checker (what `dnp3gwd -t` prints), and
given to both tools (--baud, --data-bits, --parity, --stop-bits, --flow,
followed by --help so that an accepted value ends the run with exit 0 before
any port is opened).  Asserts:
  - the config file accepts exactly the values listed as accepted here (the
    man page's list), so this list is the config's vocabulary;
  - each tool accepts a value (exit 0) exactly when the config does;
  - each tool refuses the others with exit 2 and one line
    "TOOL: --OPTION: REASON" where REASON is the config checker's message
    after "channels[0].serial.KEY: " (less its "did you mean" hint, which
    only the config file gives).

Usage: test_serial_vocab.py --poll PATH/dnp3poll --sim PATH/dnp3sim --check PATH/cfgcheck
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

BAUDS = ["300", "600", "1200", "1800", "2400", "4800", "9600", "19200", "38400", "57600",
         "115200", "230400", "460800", "921600"]

# key, option, numeric, accepted values, refused values
CASES = [
    ("baud", "baud", True, BAUDS + ["0x2580", "+9600", "9600L"],
     ["0", "50", "110", "14400", "28800", "76800", "1000000", "4000000", "921601", "-9600",
      "99999999"]),
    ("data_bits", "data-bits", True, ["8", "0x8"], ["5", "6", "7", "9", "0", "-8"]),
    ("parity", "parity", False, ["none", "odd", "even", "mark", "space"],
     ["NONE", "Even", "MARK", "evn", "spaces", "", "none ", "n"]),
    ("stop_bits", "stop-bits", True, ["1", "2"], ["0", "3", "-1", "15"]),
    ("flow_control", "flow", False, ["none", "rtscts", "dtrdsr"],
     ["xonxoff", "XONXOFF", "RTSCTS", "rts", "hardware", "", "dtr"]),
]

CONF = """outstations = ( {{ name = "scada"; address = 10; }} );
channels = ( {{ name = "bay1";
  serial = {{ device = "/dev/ttyS1"; {key} = {value}; }};
  devices = ( {{ name = "relay1"; address = 20; }} ); }} );
points = {{ binary_inputs = ( {{ index = 0; device = "bay1/relay1"; }} ); }};
"""

HINT = re.compile(r' \(did you mean "[^"]*"\?\)$')


def config_verdict(check, tmp, key, value, numeric):
    """None when the config accepts value, else the checker's reason."""
    path = os.path.join(tmp, "v.conf")
    with open(path, "w") as f:
        f.write(CONF.format(key=key, value=value if numeric else '"%s"' % value))
    p = subprocess.run([check, "v.conf"], cwd=tmp, capture_output=True, text=True, timeout=30)
    out = p.stdout.splitlines()
    if p.returncode == 0:
        assert out and out[-1].startswith("v.conf: OK ("), p.stdout
        return None
    assert p.returncode == 78 and len(out) == 2 and out[1] == "v.conf: 1 error", p.stdout
    prefix = "v.conf:3: channels[0].serial.%s: " % key
    assert out[0].startswith(prefix), out[0]
    return HINT.sub("", out[0][len(prefix):])


def tool_verdict(tool, opt, value):
    """None when the tool accepts --opt value, else its reason (or what it did instead)."""
    name = os.path.basename(tool)
    p = subprocess.run([tool, "--serial", "/dev/ttyS1", "--" + opt, value, "--help"],
                       capture_output=True, text=True, timeout=30)
    prefix = "%s: --%s: " % (name, opt)
    lines = p.stderr.splitlines()
    if p.returncode == 0 and p.stdout.startswith("usage: " + name) and not p.stderr:
        return None
    if p.returncode == 2 and not p.stdout and len(lines) == 1 and lines[0].startswith(prefix):
        return lines[0][len(prefix):]
    return "unexpected: exit %d, stderr %r" % (p.returncode, p.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--poll", required=True)
    ap.add_argument("--sim", required=True)
    ap.add_argument("--check", required=True)
    args = ap.parse_args()
    check, poll, sim = (os.path.abspath(p) for p in (args.check, args.poll, args.sim))

    failed = checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for key, opt, numeric, good, bad in CASES:
            for value in good + bad:
                want_ok = value in good
                cfg = config_verdict(check, tmp, key, value, numeric)
                problems = []
                if (cfg is None) != want_ok:
                    problems.append("config %s it (%s)" % ("refuses" if cfg else "accepts", cfg))
                for tool in (poll, sim):
                    got = tool_verdict(tool, opt, value)
                    if got != cfg:
                        problems.append("%s: %r, config: %r" % (os.path.basename(tool), got, cfg))
                checked += 1
                if problems:
                    failed += 1
                    print("FAIL %s = %r: %s" % (key, value, "; ".join(problems)))
                else:
                    print("ok   %s = %r: %s" % (key, value, cfg or "accepted"))
    print("%d/%d values agree" % (checked - failed, checked))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
