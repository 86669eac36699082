#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The layering check, checked: it passes on the real src/ and names exactly the
violations planted in a scratch tree (so it cannot pass by checking nothing)."""
import os
import subprocess
import sys
import tempfile

script = sys.argv[1]
src = sys.argv[2]


def run(tree):
    p = subprocess.run([sys.executable, script, tree], capture_output=True, text=True)
    return p.returncode, p.stdout.splitlines()


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


rc, out = run(src)
if rc != 0 or out:
    fail("src/ breaks the layers:\n" + "\n".join(out))
print("ok: src/ respects the layers")

files = {
    "dnp3/a.h": "#pragma once\n",
    "dnp3/a.c": '#include "a.h"\n#include "dnp3/a.h"\n#include <string.h>\n'
                '#include "outstation/o.h"\n',                    # line 4: codec -> outstation
    "outstation/o.h": "#pragma once\n",
    "outstation/o.c": '#include "outstation/o.h"\n#include "master/m.h"\n',  # line 2
    "master/m.h": "#pragma once\n",
    "master/m.c": '#include "m.h"\n#include <event2/event.h>\n',  # line 2: I/O in the core
    "gateway/g.c": '#include "outstation/o.h"\n#include "master/m.h"\n'
                   '#include "daemon/d.h"\n#include <time.h>\n',  # lines 3 and 4
    "io/i.c": '#include <event2/event.h>\n#include "gateway/g.h"\n#include "daemon/d.h"\n',
    "daemon/d.h": "#pragma once\n",
    "daemon/d.c": '#include "io/i.h"\n#include <systemd/sd-daemon.h>\n#include "tools/t.h"\n',
    "tools/t.c": '#include "io/i.h"\n#include "daemon/d.h"\n#include "nowhere.h"\n',
}
want = [
    "daemon/d.c:3: daemon must not include tools (tools/t.h)",
    "dnp3/a.c:4: dnp3 must not include outstation (outstation/o.h)",
    "gateway/g.c:3: gateway must not include daemon (daemon/d.h)",
    "gateway/g.c:4: the sans-I/O core (gateway) must not include <time.h>",
    "io/i.c:3: io must not include daemon (daemon/d.h)",
    "master/m.c:2: the sans-I/O core (master) must not include <event2/event.h>",
    "outstation/o.c:2: outstation must not include master (master/m.h)",
    "tools/t.c:2: tools must not include daemon (daemon/d.h)",
    'tools/t.c:3: "nowhere.h" is no header of this layer; name its layer',
]
with tempfile.TemporaryDirectory() as tmp:
    for name, text in files.items():
        os.makedirs(os.path.join(tmp, os.path.dirname(name)), exist_ok=True)
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)
    rc, out = run(tmp)
    got = sorted(line[len(tmp) + 1:] if line.startswith(tmp + "/") else line for line in out)
    if rc != 1:
        fail("exit %d on a tree with violations, expected 1" % rc)
    if got != sorted(want):
        fail("violations reported:\n  %s\nexpected:\n  %s" % ("\n  ".join(got), "\n  ".join(want)))
print("ok: the planted violations are named exactly (%d)" % len(want))
