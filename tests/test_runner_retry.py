# SPDX-License-Identifier: MIT
"""Tests of tests/runner.py's --retry-tcg-hang with a stand-in for QEMU
($NV_QEMU): a script that prints what a hung or a passing guest prints.
Expected: a run whose first attempt shows Linux's soft-lockup report is
run once more and the second verdict is final, the first log kept; no
retry without the option, nor for any other failure."""
import os
import stat
import subprocess
import sys
import tempfile

RUNNER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runner.py")
HANG = "[   29.0] watchdog: BUG: soft lockup - CPU#3 stuck for 27s! [swapper/3:0]"

# The stand-in: its behaviour for each call is the next line of PLAN.
FAKE = """#!/usr/bin/env python3
import sys, time, os
if "--version" in sys.argv:
    print("QEMU emulator version 7.2.0 (stand-in)"); sys.exit(0)
plan = os.environ["PLAN"]
with open(plan) as f:
    steps = f.read().split()
n = int(open(plan + ".n").read()) if os.path.exists(plan + ".n") else 0
open(plan + ".n", "w").write(str(n + 1))
step = steps[n] if n < len(steps) else "pass"
if step == "hang":
    print("booting", flush=True)
    print(%r, flush=True)
    time.sleep(30)
elif step == "panic":
    print("Kernel panic - not syncing", flush=True)
    time.sleep(30)
print("DONE-MARK", flush=True)
sys.exit(0)
""" % HANG


def run(plan, retry, logdir="", stale=False):
    with tempfile.TemporaryDirectory() as d:
        fake = os.path.join(d, "qemu")
        with open(fake, "w") as f:
            f.write(FAKE)
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
        with open(os.path.join(d, "plan"), "w") as f:
            f.write(" ".join(plan))
        env = dict(os.environ, NV_QEMU=fake, PLAN=os.path.join(d, "plan"))
        os.makedirs(os.path.join(d, logdir), exist_ok=True)
        log = os.path.join(d, logdir, "t.serial.log")
        kept = os.path.join(d, logdir, "t.attempt1.serial.log")
        if stale:  # an earlier run's first attempt
            with open(kept, "w") as f:
                f.write("stale\n")
        cmd = [sys.executable, RUNNER, "--name", "t", "--kernel", "/dev/null",
               "--accel", "tcg", "--expect-status", "0", "--timeout", "8",
               "--require", "^DONE-MARK$", "--forbid", "Kernel panic",
               "--log", log] + (["--retry-tcg-hang"] if retry else [])
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
        kept_text = open(kept, errors="replace").read() if os.path.exists(kept) else None
        calls = int(open(os.path.join(d, "plan.n")).read())
    return r.returncode, r.stdout, kept_text, calls


def main():
    failed = 0

    def check(name, ok):
        nonlocal failed
        print(("PASS: " if ok else "FAIL: ") + name)
        failed += 0 if ok else 1

    rc, out, kept, calls = run(["hang", "pass"], True)
    check("a hang, then a pass: passes, two runs, the first log kept",
          rc == 0 and calls == 2 and kept is not None and "soft lockup" in kept
          and "runner: RETRY" in out)
    rc, out, kept, calls = run(["hang", "hang"], True)
    check("two hangs: fails after two runs", rc == 1 and calls == 2)
    rc, out, kept, calls = run(["hang", "pass"], False)
    check("a hang without --retry-tcg-hang: fails, one run",
          rc == 1 and calls == 1 and kept is None)
    rc, out, kept, calls = run(["panic", "pass"], True)
    check("another failure (a forbidden line): fails, no second run",
          rc == 1 and calls == 1 and kept is None)
    rc, out, kept, calls = run(["pass"], True)
    check("a pass: one run", rc == 0 and calls == 1)
    rc, out, kept, calls = run(["hang", "pass"], True)
    check("the first attempt's log has QEMU's state at the hang",
          rc == 0 and kept is not None and "runner: QEMU's state at the hang" in kept)
    rc, out, kept, calls = run(["hang", "pass"], True, logdir="a.serial.log.d")
    check("the first log kept beside the log in a directory named *.serial.log*",
          rc == 0 and calls == 2 and kept is not None and "soft lockup" in kept)
    rc, out, kept, calls = run(["pass"], True, stale=True)
    check("no first attempt: an earlier run's kept log is removed",
          rc == 0 and calls == 1 and kept is None)
    print(f"{8 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
