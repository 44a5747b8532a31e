# SPDX-License-Identifier: MIT
"""Prints the closing line of a test run from Meson's testlog.json:
'N passed, N failed' (a timeout or an unexpected pass counts as failed)."""
import json
import sys

passed = failed = 0
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            failed += 1  # a skipped test is not a pass
        else:
            failed += 1
print("%d passed, %d failed" % (passed, failed))
