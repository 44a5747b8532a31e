# SPDX-License-Identifier: MIT
"""Prints the closing line of a test run, 'N passed, N failed', from one or
more of Meson's test logs (testlog.json, one JSON object per line; ./nv
writes its own results, e.g. clang-build, in the same form).

  summary.py [--floors FILE] --run LABEL LOG LISTED SUITES [--run ...]

Each --run is one log.  LABEL prefixes its test names ("clang: ..."), '-'
for none.  LISTED is the output of `meson test --list` for the same
selection: a listed test without a result in LOG counts as failed ('-': no
such check).  SUITES ('-': none) is a comma-separated list of suites that
must each hold, among the listed tests, at least the number of tests FILE
gives for it (lines "SUITE N"): a suite that vanished or shrank fails.

A timeout, a skip or an unexpected pass counts as failed.  The failures are
listed above the closing line; the exit status is 1 when there is one."""
import argparse
import json
import sys


def suites_of(name):
    """'nestvisor:hv+smoke / run-default' -> ['hv', 'smoke']."""
    head, sep, _ = name.partition(" / ")
    if not sep:
        return []
    return head.partition(":")[2].split("+")


def read_floors(path):
    floors = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                floors[line[0]] = int(line[1])
    return floors


def check_run(label, log, listed, suites, floors, failed):
    prefix = "" if label == "-" else label + ": "
    passed = 0
    seen = set()
    with open(log) as f:
        for line in f:
            if not line.strip():
                continue
            entry = json.loads(line)
            name = entry.get("name", "?")
            seen.add(name)
            if entry.get("result") in ("OK", "EXPECTEDFAIL"):
                passed += 1
            else:  # FAIL, TIMEOUT, SKIP, UNEXPECTEDPASS, ERROR
                failed.append("%s%s (%s)" % (prefix, name, entry.get("result")))
    if listed == "-":
        return passed
    with open(listed) as f:
        names = [l.strip() for l in f if " / " in l]
    for name in names:
        if name not in seen:
            failed.append("%s%s (no result)" % (prefix, name))
    if suites == "-":
        return passed
    for suite in suites.split(","):
        count = sum(1 for n in names if suite in suites_of(n))
        want = floors.get(suite)
        if want is None:
            failed.append("%ssuite %s has no floor in the floors file" % (prefix, suite))
        elif count < want:
            failed.append("%ssuite %s holds %d tests, fewer than %d"
                          % (prefix, suite, count, want))
    return passed


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--floors", help="file of 'SUITE N' lines")
    p.add_argument("--run", nargs=4, action="append", required=True,
                   metavar=("LABEL", "LOG", "LISTED", "SUITES"))
    args = p.parse_args(argv)
    floors = read_floors(args.floors) if args.floors else {}
    failed = []
    passed = 0
    for label, log, listed, suites in args.run:
        passed += check_run(label, log, listed, suites, floors, failed)
    for what in failed:
        print("failed: " + what)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
