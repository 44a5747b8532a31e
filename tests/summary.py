# SPDX-License-Identifier: MIT
"""Prints the closing line of a test run, 'N passed, N failed', from one or
more of Meson's test logs (testlog.json, one JSON object per line; ./nv
adds its own lines in the same form, e.g. for the clang build).

Arguments: [LABEL=]PATH...; a label prefixes the names of that log's tests
("clang: nestvisor:host / fmt").  A timeout, a skip or an unexpected pass
counts as failed.  The failed tests are listed above the closing line; the
exit status is 1 when one failed."""
import json
import sys


def main(argv):
    passed = 0
    failed = []
    for arg in argv:
        label, sep, path = arg.partition("=")
        if not sep:
            label, path = "", arg
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                entry = json.loads(line)
                name = (label + ": " if label else "") + entry.get("name", "?")
                if entry.get("result") in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                else:  # FAIL, TIMEOUT, SKIP, UNEXPECTEDPASS, ERROR
                    failed.append("%s (%s)" % (name, entry.get("result")))
    for name in failed:
        print("failed: " + name)
    print("%d passed, %d failed" % (passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
