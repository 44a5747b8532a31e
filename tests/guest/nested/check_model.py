# SPDX-License-Identifier: MIT
"""Compare what the GMET cases of the `nested` payload observed (under
nestvisor: GMET emulated in the shadow NPT on a CPU without GMET) with
mm/'s model of the same walk, computed by the nv-npt tool.

    check_model.py NV_NPT LOG

The payload prints, for each GMET case, a line
    # fact model.gmet.NAME = cpl=C access=A leaf=0xL gpa=0xG efer=0xE cr4=0xR gmet=0|1 exit=0xX info1=0xI
(tests/guest/nested/cases_gmet.c).  The test's NPT has P|W|U in its upper
levels and `leaf` in the last one.  For each line nv-npt explains that walk
with L1's EFER and CR4 and the GMET bit; then:
  - the model translates  -> the case must have run on (exit != #NPF);
  - the model faults      -> the exit must be #NPF with the model's
    exit_info_1, bit 2 (US) excepted for GMET fetch faults (erratum 1218).
Prints a table and fails on any disagreement or if no line is found.
"""
import re
import subprocess
import sys

FACT = re.compile(r"^# fact (model\.gmet\.\S+) = (.*)$")
NPF = 0x400
US = 1 << 2


def model(tool, f):
    cmd = [tool, "explain", "--efer", f["efer"], "--cr4", f["cr4"],
           "--gmet", f["gmet"], "--access", f["access"], "--cpl", f["cpl"],
           "--addr", f["gpa"], "--maxphyaddr", "40",
           "--pte", "0x7", "--pte", "0x7", "--pte", "0x7", "--pte", f["leaf"]]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    fault = re.search(r"^decision: FAULT", out, re.M) is not None
    m = re.search(r"^exit_info_1 = (0x[0-9a-f]+)", out, re.M)
    return fault, int(m.group(1), 16) if m else None


def main():
    tool, log = sys.argv[1], sys.argv[2]
    rows, bad = [], 0
    with open(log, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = FACT.match(line.replace("\r", "").rstrip())
            if not m:
                continue
            f = dict(kv.split("=", 1) for kv in m.group(2).split())
            fault, info1 = model(tool, f)
            exit_code, got = int(f["exit"], 16), int(f["info1"], 16)
            if fault:
                mask = ~US if (f["access"] == "fetch" and f["gmet"] == "1") else ~0
                ok = exit_code == NPF and (got & mask) == (info1 & mask)
                want = f"#NPF 0x{info1:x}" + (" (US masked)" if mask != ~0 else "")
            else:
                ok = exit_code != NPF
                want = "no fault"
            got_s = f"#NPF 0x{got:x}" if exit_code == NPF else f"exit 0x{exit_code:x}"
            rows.append((m.group(1), want, got_s, "same" if ok else "DIFFERS"))
            bad += not ok
    if not rows:
        print("FAIL: no model.gmet facts in " + log)
        return 1
    w = max(len(r[0]) for r in rows)
    print(f"{'case':{w}}  {'mm/ model (nv-npt)':28}  {'nestvisor (observed)':24}  verdict")
    for r in rows:
        print(f"{r[0]:{w}}  {r[1]:28}  {r[2]:24}  {r[3]}")
    if bad:
        print(f"FAIL: {bad} of {len(rows)} GMET cases differ from mm/'s model")
        return 1
    print(f"PASS: {len(rows)} GMET cases agree with mm/'s model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
