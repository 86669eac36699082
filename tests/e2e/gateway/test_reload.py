#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""End-to-end: a reload (SIGHUP) applies the session settings derived across entities.

Every outstation waits for a forwarded control as long as the slowest device may take
(the largest control_timeout of all devices, plus a margin) before it answers SCADA
TIMEOUT.  Raising one device's control_timeout by a reload must therefore raise the wait
of every outstation, or SCADA is told the control failed while the IED may still
operate it.

 t_reload_control_wait  a device with control_timeout 1 s behind outstation scada; the
                        file is changed to 5 s and SIGHUP sent; then a DIRECT_OPERATE the
                        IED answers 3 s late comes back to SCADA with the IED's status
                        (SUCCESS), on the master connection the reload kept.

The IED is the scripted outstation of test_hostile.py in its honest mode (dnp3sim answers
every control at once), on a TCP server socket the gateway's channel connects to.

Usage: test_reload.py --gwd dnp3gwd --sim dnp3sim --poll dnp3poll --dec dnp3dec
                      --shim libptyshim.so [TEST...]
"""

import os
import signal
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Fail, eq, values  # noqa: E402
import dnp3  # noqa: E402  (harness put tests/e2e on the path)
import test_hostile  # noqa: E402
from test_hostile import GW_MASTER, SCADA  # noqa: E402

IED = 1                     # the IED's link address
OUT = 10                    # the outstation's
ANSWER_DELAY = 3.0          # the IED answers controls this late
CONTROL_FUNCS = (dnp3.SELECT, dnp3.OPERATE, dnp3.DIRECT_OPERATE)
SUCCESS, TIMEOUT = 0, 1     # control status codes (g12v1 status byte)


class SlowIed(test_hostile.HostileIed):
    """An honest IED on a TCP server socket: answers polls at once and controls
    `delay` seconds late (the time a relay may take to operate a breaker)."""

    def __init__(self, abort, listener, delay):
        super().__init__("slow-ied", abort, [IED], listener=listener)
        self.honest.set()
        self.delay = delay
        self.controls = []      # (monotonic time of arrival, function) of each control

    def on_frame(self, ctrl, dest, src, user):
        if dest not in self.addrs or not ctrl & 0x40:
            return
        func = ctrl & 0x0F
        if func in (0, 2, 3, 9):                # link reset, test, confirmed data, status
            self.send(test_hostile.frame(0x0B if func == 9 else 0x00, GW_MASTER, dest), "ACK")
        a = self.scan.apdu(ctrl, dest, src, user)
        if a is None or len(a) < 2 or a[1] == dnp3.CONFIRM:
            return
        rsp = test_hostile.honest_response(a[1], a[0] & 0x0F, a[2:])
        if rsp is None:
            return
        if a[1] in CONTROL_FUNCS:
            now = time.monotonic()
            self.controls.append((now, a[1]))
            self.delayed.append((now + self.delay, self.out_frames(dest, rsp)))
        else:
            self.send(self.out_frames(dest, rsp), "answer")

    def body(self):
        try:
            while self.running():
                if self.pipe is None:
                    self.delayed = []           # answers for a closed connection are lost
                    if not self.open():
                        continue
                now = time.monotonic()
                for w, data in [x for x in self.delayed if x[0] <= now]:
                    self.delayed.remove((w, data))
                    self.send(data, "late answer")
                if self.pipe:
                    self.pump(0.02)
        finally:
            if self.pipe:
                self.pipe.close()


def config(ied_port, up_port, control_timeout):
    dev = {"name": "ied", "address": IED, "integrity_poll": 0.0, "class_polls": [0.0, 0.0, 0.0],
           "unsolicited": False, "time_sync": "none", "comm_fail_after": 1,
           "control_timeout": control_timeout, "offline_retry": 1.0}
    # the response timeout covers the late answer: only control_timeout decides
    chan = {"name": "slow", "master_address": GW_MASTER, "response_timeout": 4.0, "retries": 0,
            "tcp": {"host": "127.0.0.1", "port": ied_port}, "devices": [dev]}
    return {"gateway": {"name": "reload", "log_level": "info", "status_interval": 0.0},
            "outstations": [test_hostile.outstation("scada", up_port, OUT)],
            "channels": [chan],
            "points": {"binary_inputs": [{"index": 0, "count": 8, "device": "slow/ied",
                                          "source_index": 0, "class": 1}],
                       "binary_outputs": [{"index": 0, "count": 4, "device": "slow/ied",
                                           "source_index": 0, "class": 1}]}}


def t_reload_control_wait(h):
    """control_timeout 1 s -> 5 s by SIGHUP: a control the IED answers after 3 s comes
    back upstream with the IED's SUCCESS (not TIMEOUT), and the reload kept the
    outstation's master connection."""
    abort = threading.Event()
    lis = socket.socket()
    lis.bind(("127.0.0.1", 0))
    lis.listen(4)
    ied = SlowIed(abort, lis, ANSWER_DELAY)
    ied.start()
    try:
        up = h.port()
        gw = h.gateway(config(lis.getsockname()[1], up, 1.0), args=["-l", "info"])
        gw.wait_log(r"device slow/ied \(address %d\) is online" % IED)
        m = h.master(up, local=SCADA, remote=OUT)
        eq("integrity poll before the reload", m.transaction(dnp3.READ, dnp3.CLASS0123)[-1].func,
           dnp3.RESPONSE)

        with open(gw.conf_path, "w") as f:
            f.write(harness.config_text(harness.with_state_dir(
                config(lis.getsockname()[1], up, 5.0), gw.state_dir)))
        gw.proc.send_signal(signal.SIGHUP)
        # the channel is rebuilt (a device setting changed), the outstation kept
        gw.wait_log(r"<info> reload: outstations kept 1, started 0; channels kept 0, "
                    r"started 1")
        gw.wait_log(r"device slow/ied \(address %d\) is online" % IED)

        n = len(ied.controls)
        t0 = time.monotonic()
        rsp = m.transaction(dnp3.DIRECT_OPERATE, harness.crobs([(0, 0x03, 1, 0, 0)]))
        took = time.monotonic() - t0
        eq("controls at the IED", [f for _, f in ied.controls[n:]], [dnp3.DIRECT_OPERATE])
        crob = values(h.decode(rsp), 12, 1).get(0, [{}])[-1].get("crob", {})
        st = crob.get("status")
        if st != SUCCESS:
            raise Fail("DIRECT_OPERATE answered upstream with status %r after %.1f s, the "
                       "IED's SUCCESS expected (it answered after %.1f s; %d = TIMEOUT: the "
                       "outstation kept the control wait of control_timeout 1 s)" %
                       (st, took, ANSWER_DELAY, TIMEOUT))
        if took < ANSWER_DELAY:
            raise Fail("SUCCESS after %.2f s, before the IED answered (%.1f s)" %
                       (took, ANSWER_DELAY))
        if "; control wait of 1 kept outstation now 6000 ms" not in gw.log():
            raise Fail("the reload did not report the new control wait:\n" + gw.log())
        if "disconnected" in gw.log():
            raise Fail("the reload dropped the master of the kept outstation:\n" + gw.log())
    finally:
        abort.set()
        ied.stop.set()
        ied.join(timeout=harness.DEADLINE)
        lis.close()
        if ied.error:
            raise Fail(ied.error)


TESTS = [t_reload_control_wait]

if __name__ == "__main__":
    sys.exit(harness.main(TESTS, __doc__))
