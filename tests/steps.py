# SPDX-License-Identifier: MIT
"""Run a test made of steps: commands run one after another, each must exit
0; the first that fails ends the test with its status.

    steps.py [--fresh FILE]... -- CMD ARGS... [';;' CMD ARGS...]...

--fresh FILE: removed before the first step, so that a later step (a
comparison of two serial logs) can only read what this test wrote.  A
compare test gives every run it compares as a step, with its own log
files: it runs alone, in any order, and never reads another test's log.
"""
import os
import subprocess
import sys

SEP = ";;"


def main(argv):
    fresh = []
    while argv and argv[0] == "--fresh":
        fresh.append(argv[1])
        argv = argv[2:]
    if not argv or argv[0] != "--" or len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    steps, cur = [], []
    for arg in argv[1:]:
        if arg == SEP:
            steps.append(cur)
            cur = []
        else:
            cur.append(arg)
    steps.append(cur)
    if any(not s for s in steps):
        print("steps: an empty step", file=sys.stderr)
        return 2
    for path in fresh:
        if os.path.exists(path):
            os.remove(path)
    for i, cmd in enumerate(steps, 1):
        print(f"steps: {i} of {len(steps)}: {' '.join(cmd)}", flush=True)
        rc = subprocess.run(cmd).returncode
        if rc != 0:
            print(f"FAIL: steps: step {i} of {len(steps)} exited with {rc}", flush=True)
            return rc if rc > 0 else 1
    print(f"PASS: steps: {len(steps)} of {len(steps)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
