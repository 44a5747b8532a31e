# SPDX-License-Identifier: MIT
"""Judge a serial log of the `nested` payload against the list of known
QEMU TCG deviations (tests/nested-known-qemu-deviations.txt).

    check_deviations.py --list LIST --log LOG --mode exact|allow
                        [--disjoint-from OTHER_LIST] [-- CMD...]

If CMD is given it is run first (e.g. tests/runner.py, which boots the
payload and writes LOG) and must exit 0.  Then the TAP output in LOG must be
complete (a plan, every case numbered 1..N once, the payload's summary
line) and:
  exact  (bare QEMU TCG): the failing cases are exactly the listed ones, so
         the list stays true: a listed case that passes is reported too;
  allow  (under nestvisor): every case passes, except that listed cases may
         fail (a differential run judges those).
With --disjoint-from, no case of LIST may be in OTHER_LIST too: a case that
QEMU gets wrong (the deviation list) must pass under nestvisor, so it can
never be one that nestvisor is allowed to fail (the L0-limits list).
Run with /usr/bin/python3.
"""

import argparse
import re
import subprocess
import sys

TAP_LINE = re.compile(r"^(not )?ok (\d+) - (.+?)\s*$")
PLAN = re.compile(r"^1\.\.(\d+)\s*$")
SUMMARY = re.compile(r"^# nested: (\d+) of (\d+) cases failed\s*$")


def read_list(path):
    names = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            names.add(line.split("|", 1)[0].strip())
    return names


def read_tap(path):
    plan, summary, results = None, None, {}
    numbers = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.replace("\r", "").rstrip("\n")
            m = PLAN.match(line)
            if m:
                plan = int(m.group(1))
                continue
            m = SUMMARY.match(line)
            if m:
                summary = (int(m.group(1)), int(m.group(2)))
                continue
            m = TAP_LINE.match(line)
            if m:
                numbers.append(int(m.group(2)))
                results[m.group(3)] = m.group(1) is None
    return plan, summary, numbers, results


def overlap(listed, other):
    """Errors for the cases that are in both lists."""
    return [f"in both deviation lists: {name}" for name in sorted(listed & other)]


def judge(listed, plan, summary, numbers, results, mode):
    errors = []
    if plan is None:
        errors.append("no TAP plan")
    elif numbers != list(range(1, plan + 1)):
        errors.append(f"cases numbered {numbers[:3]}..., want 1..{plan}")
    if summary is None:
        errors.append("no summary line (payload did not finish)")
    if len(results) != len(numbers):
        errors.append("duplicate case names")
    failed = {n for n, ok in results.items() if not ok}
    unknown = listed - set(results)
    if unknown:
        errors.append("listed but not run: " + ", ".join(sorted(unknown)))
    for name in sorted(failed - listed):
        errors.append(f"unexpected failure: {name}")
    if mode == "exact":
        for name in sorted((listed & set(results)) - failed):
            errors.append(f"listed deviation passed on bare QEMU (update the list): {name}")
    return errors, failed


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--list", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--mode", choices=("exact", "allow"), required=True)
    p.add_argument("--disjoint-from", metavar="OTHER_LIST",
                   help="fail if a case of --list is also in this list")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    args = p.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if args.disjoint_from:
        both = overlap(read_list(args.list), read_list(args.disjoint_from))
        for e in both:
            print("FAIL: " + e)
        if both:
            return 1
    if cmd:
        rc = subprocess.call(cmd)
        if rc != 0:
            print(f"FAIL: {cmd[0]} exited {rc}")
            return 1
    listed = read_list(args.list)
    plan, summary, numbers, results = read_tap(args.log)
    errors, failed = judge(listed, plan, summary, numbers, results, args.mode)
    for e in errors:
        print("FAIL: " + e)
    if errors:
        return 1
    print(f"PASS: {len(results)} cases, {len(failed)} failed, all of them known "
          f"QEMU deviations ({len(listed)} listed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
