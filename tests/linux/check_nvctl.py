# SPDX-License-Identifier: MIT
"""Judge the serial log of the linux-nvctl run (tests/linux/nvctl-test.sh).

    check_nvctl.py --log LOG --version X.Y.Z [--nv-npt NV_NPT] [-- CMD...]

If CMD is given it is run first (tests/runner.py, which boots nestvisor,
Linux as L1 with nvl1=nvctl, and writes LOG) and must exit 0.

The expected #NPF error codes are derived here from AMD APM Vol. 2
§15.25.5-§15.25.6 and docs/semantics.md (§5.2 US, §6 I/D, §7.1 bits), for
the accesses kvmtest's L2 makes (tests/linux/kvmtest.h): 32-bit protected
mode with paging off, so every access is to a final guest-physical address
(bit 32, never bit 33); the first access to the code page is a fetch, to
KT_READ_ADDR a read, to KT_REGION_START a write, each of a page L1's (KVM's)
nested page table does not map yet (P=0).  Without GMET every nested access
is a user access (US=1).  I/D is set for the fetch because L1 runs with
EFER.NXE=1 (x86-64 Linux enables NX on every CPU that has it; the run
checks /proc/cpuinfo's nx flag).  None of these values is taken from
nvctl's output: nvctl's decoding is compared with them, and the nv-npt
command nvctl prints to reproduce each fault is run and must give them too.
Run with /usr/bin/python3.
"""

import argparse
import re
import subprocess
import sys

# tests/linux/kvmtest.h
KT_CODE_GPA = 0x1000
KT_READ_ADDR = 0x1800000
KT_REGION_START = 0x400000
KT_IO_EXITS = 9      # the I/O conversation: hello, seed, 4 progress, 3 tail
KT_HLT_EXITS = 1

# EXITINFO1 bits (APM Vol. 2 §15.25.6)
P, RW, US, RSVD, ID = 1 << 0, 1 << 1, 1 << 2, 1 << 3, 1 << 4
FINAL, GUEST_PAGE = 1 << 32, 1 << 33

BLOCK_START = re.compile(
    r"^#NPF (\d+) on CPU (\d+): L2 gpa (0x[0-9a-f]+), L2 rip (0x[0-9a-f]+), CPL (\d)")
EI1 = re.compile(r"^exit_info_1 = (0x[0-9a-f]+)$")
ACCESS = re.compile(r"^access: (\w+), CPL (\d)")


def expected_first_touch(access, l1_nxe, l1_smep, gmet):
    """EXITINFO1 of a not-present fault at the final stage (APM)."""
    ec = FINAL
    if access == "write":
        ec |= RW
    # Without GMET every nested access is a user access (APM §15.25.5);
    # with GMET, US is the CPL-3 nature of the access (semantics §5.2):
    # kvmtest's L2 runs at CPL 0.
    if not gmet:
        ec |= US
    if access == "fetch" and (l1_nxe or l1_smep):
        ec |= ID
    return ec


def sections(lines):
    out = {}
    for line in lines:
        m = re.match(r"^(nvctl-[a-z]+): ?(.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


def blocks(trace):
    """The decoded records of `nvctl trace`: list of dicts."""
    out, cur = [], None
    for line in trace:
        m = BLOCK_START.match(line)
        if m:
            cur = {"seq": int(m.group(1)), "cpu": int(m.group(2)),
                   "gpa": int(m.group(3), 16), "rip": int(m.group(4), 16),
                   "cpl": int(m.group(5)), "lines": []}
            out.append(cur)
            continue
        if cur is None:
            continue
        cur["lines"].append(line.strip())
        m = EI1.match(line.strip())
        if m:
            cur["ei1"] = int(m.group(1), 16)
        m = ACCESS.match(line.strip())
        if m:
            cur["access"] = m.group(1)
    return out


class Judge:
    def __init__(self):
        self.errors = []

    def check(self, ok, what):
        print(("ok:   " if ok else "FAIL: ") + what)
        if not ok:
            self.errors.append(what)
        return ok


def has(lines, text):
    return any(text in line for line in lines)


def judge_trace(j, recs, nv_npt):
    j.check(len(recs) > 0, "the live trace decoded at least one #NPF")
    for r in recs:
        ei1 = r.get("ei1")
        if ei1 is None:
            j.check(False, f"#NPF {r['seq']}: an exit_info_1 line")
            continue
        # L2 paging off: final stage only (APM §15.25.5); no GMET: US=1.
        if not j.check(ei1 & FINAL and not ei1 & GUEST_PAGE and ei1 & US,
                       f"#NPF {r['seq']} gpa {r['gpa']:#x}: exit_info_1 {ei1:#x} has bit 32, "
                       "not bit 33, and US"):
            continue
    wanted = [("fetch", KT_CODE_GPA), ("read", KT_READ_ADDR), ("write", KT_REGION_START)]
    seqs = {}
    for access, gpa in wanted:
        want = expected_first_touch(access, l1_nxe=True, l1_smep=False, gmet=False)
        found = [r for r in recs if r["gpa"] == gpa]
        if not j.check(len(found) >= 1, f"a reflected #NPF at L2 gpa {gpa:#x} ({access})"):
            continue
        r = found[0]
        seqs[access] = r["seq"]
        lines = r["lines"]
        j.check(r.get("access") == access and r["cpl"] == 0,
                f"#NPF {r['seq']} at {gpa:#x} is decoded as a CPL-0 {access} "
                f"(got {r.get('access')}, CPL {r['cpl']})")
        j.check(r.get("ei1") == want,
                f"#NPF {r['seq']} at {gpa:#x}: exit_info_1 {r.get('ei1', 0):#x} == "
                f"{want:#x} (APM: first-touch {access}, not present)")
        j.check(has(lines, "decision: FAULT at level") and has(lines, "not present"),
                f"#NPF {r['seq']}: decision names the level and 'not present'")
        j.check(has(lines, "has_pferr_fetch=1"), f"#NPF {r['seq']}: role has_pferr_fetch=1")
        j.check(has(lines, "cr4_smep=0 (= GMET)"), f"#NPF {r['seq']}: role without GMET")
        j.check(has(lines, "GMET class: one class (GMET off)"), f"#NPF {r['seq']}: GMET class")
        j.check(has(lines, "P=0     the ") and has(lines, "is not present"),
                f"#NPF {r['seq']}: why P=0")
        j.check(has(lines, "US=1    without GMET every NPT access is a user access"),
                f"#NPF {r['seq']}: why US=1")
        bit4 = "bit  4 I/D         1" if want & ID else "bit  4 I/D         0"
        j.check(has(lines, bit4), f"#NPF {r['seq']}: '{bit4}'")
        if access == "fetch":
            j.check(r["rip"] == KT_CODE_GPA, f"#NPF {r['seq']}: the fetch is at L2 rip {KT_CODE_GPA:#x}")
            j.check(has(lines, "I/D=1   a fetch, and has_pferr_fetch=1"),
                    f"#NPF {r['seq']}: why I/D=1")
        else:
            j.check(has(lines, "I/D=0   not a fetch"), f"#NPF {r['seq']}: why I/D=0")
            j.check(has(lines, f"RW={1 if access == 'write' else 0}    L2's access was a {access}"),
                    f"#NPF {r['seq']}: why RW")
        # L1 = 64-bit Linux with NX: EFER = LME | LMA | NXE = 0xd00.
        repro = next((x for x in lines if x.startswith("reproduce: nv-npt explain ")), "")
        j.check("--efer 0xd00 --gmet 0 --maxphyaddr " in repro
                and f"--access {access} --cpl 0 --addr {gpa:#x} --pte " in repro,
                f"#NPF {r['seq']}: the nv-npt command line for the role")
        if nv_npt and repro:
            out = subprocess.run([nv_npt] + repro.split()[3:], capture_output=True,
                                 text=True).stdout
            j.check(f"exit_info_1 = 0x{want:016x}" in out,
                    f"#NPF {r['seq']}: nv-npt, run as nvctl says, gives exit_info_1 {want:#x}")
    if len(seqs) == 3:
        j.check(seqs["fetch"] < seqs["read"] < seqs["write"],
                "the fetch, the read and the first write come in that order (kvmtest.h)")


def count_in_table(lines, title, name):
    """Count of exit `name` in the table after the line containing title."""
    inside = False
    for line in lines:
        if title in line:
            inside = True
            continue
        if inside:
            if "exits of" in line or line.startswith("CPU "):
                break
            parts = line.split()
            if len(parts) == 3 and parts[1] == name:
                return int(parts[2])
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--nv-npt", help="nv-npt, to run the command nvctl prints")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    args = p.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if cmd:
        rc = subprocess.run(cmd).returncode
        if rc != 0:
            print(f"FAIL: the run failed (status {rc})")
            return 1
    with open(args.log, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    lines = [re.sub(r"\x1b\[[0-9;=?]*[A-Za-z]", "", x).replace("\r", "").rstrip()
             for x in text.split("\n")]
    s = sections(lines)
    j = Judge()

    j.check("nvctl-test: /proc/cpuinfo flags include nx" in lines,
            "L1 has NX (so it runs with EFER.NXE=1)")
    v = s.get("nvctl-version", [])
    j.check(has(v, f"nestvisor {args.version}"), f"nvctl version says nestvisor {args.version}")
    feats = next((x for x in v if x.startswith("features:")), "").split()[1:]
    for f in ("nested-svm", "shadow-npt", "gmet", "log-ring", "nvctl-user"):
        j.check(f in feats, f"feature {f} (nestvisor offers it; nvctl = on)")
    j.check(has(v, "virtualized CPUs: 1"), "one virtualized CPU")

    judge_trace(j, blocks(s.get("nvctl-trace", [])), args.nv_npt)
    j.check(has(s.get("nvctl-trace", []), "[nvctl: trace: next record "),
            "the live trace ended with its summary")

    d = s.get("nvctl-dump", [])
    j.check(any(x.startswith("#NPF ") for x in d) and has(d, "[nvctl: trace: next record "),
            "nvctl trace --dump --brief printed records and the summary")

    st = s.get("nvctl-stats", [])
    m = next((re.match(r"CPU 0: (\d+) exits, (\d+) nested VMRUNs", x) for x in st
              if x.startswith("CPU 0:")), None)
    j.check(m is not None and int(m.group(2)) > 0, "nvctl stats: CPU 0 ran nested VMRUNs")
    npf = next((re.match(r"\s*#NPFs of L2: (\d+) handled by the shadow NPT, (\d+) reflected", x)
                for x in st if "#NPFs of L2:" in x), None)
    j.check(npf is not None and int(npf.group(2)) >= 3 and int(npf.group(1)) >= int(npf.group(2)),
            "nvctl stats: the shadow NPT handled every #NPF, at least 3 were reflected")
    io = count_in_table(st, "exits of L2", "IOIO")
    hlt = count_in_table(st, "exits of L2", "HLT")
    j.check(io >= KT_IO_EXITS and hlt >= KT_HLT_EXITS,
            f"nvctl stats: L2 exits include kvmtest's {KT_IO_EXITS} IOIO and {KT_HLT_EXITS} HLT "
            f"(got {io}, {hlt})")
    j.check(count_in_table(st, "exits of L2", "NPF") >= 3, "nvctl stats: L2 NPF exits counted")
    # L1's VMRUNs exit, or are emulated in the exit of the VMLOAD before
    # them (svm/nested_runahead.c: Linux's KVM enters its guest so).
    ra = next((re.match(r"\s*L1's VMRUNs emulated in the exit of the VMLOAD before them: (\d+)", x)
               for x in st if "VMRUNs emulated in the exit" in x), None)
    j.check(ra is not None, "nvctl stats: the VMRUNs emulated in a VMLOAD's exit are shown")
    j.check(count_in_table(st, "exits of L1", "VMRUN") + (int(ra.group(1)) if ra else 0) > 0,
            "nvctl stats: L1 VMRUN exits or VMRUNs in a VMLOAD's exit counted")
    # Without the CPU's virtual VMLOAD, L1's VMLOAD exits, and Linux's
    # KVM (Debian's 6.1) enters its guest so that nestvisor emulates its
    # VMRUN in that exit: (almost) every VMRUN of kvmtest's VMs.  A run
    # falls back to L1 only where something could come between (an event
    # to deliver, a load the CPU must make): at most 1 in 100 here.
    cpu_feats = next((m.group(1).split() for m in (re.match(
        r"^nestvisor: SVM: .*features \(CPUID 0x8000000A EDX [^)]*\): (.*)$", x)
        for x in lines) if m), [])
    if "VMSAVEvirt" not in cpu_feats:
        runs = int(ra.group(1)) if ra else 0
        vmrun_exits = count_in_table(st, "exits of L1", "VMRUN")
        j.check(runs > 0 and 100 * vmrun_exits <= runs,
                f"nvctl stats: without virtual VMLOAD, KVM's VMRUNs are emulated in "
                f"its VMLOAD's exit ({runs}; VMRUN exits {vmrun_exits})")
    j.check(count_in_table(st, "exits of L1", "VMMCALL") > 0,
            "nvctl stats: L1 VMMCALL exits counted (nvctl's own calls)")

    sn = s.get("nvctl-snpt", [])
    j.check(has(sn, "CPU 0 shadow NPT:"), "nvctl snpt: CPU 0")
    roots = [x for x in sn if re.match(r"\s*\d+\s+nCR3 0x[0-9a-f]+\s+cpu_role", x)]
    j.check(len(roots) >= 1, "nvctl snpt: at least one valid root")
    valid = next((re.match(r"\s*roots valid\s+(\d+)", x) for x in sn if "roots valid" in x), None)
    j.check(valid is not None and int(valid.group(1)) == len(roots),
            "nvctl snpt: 'roots valid' matches the root lines")

    # The log ring holds the whole log: every nestvisor line the serial
    # port showed before `nvctl log` ran, in the same order.
    # (A line of nestvisor's may land inside one of L1's on the serial
    # port: L1's UART output is written in several exits; so every ring
    # line must be found in the serial text, and every whole "nestvisor: "
    # line of the serial port must be a ring line, in order.)
    ring = [x for x in s.get("nvctl-log", []) if x.startswith("nestvisor: ")]
    end = next((i for i, x in enumerate(lines) if x.startswith("nvctl-log: ")), len(lines))
    before = "\n".join(lines[:end])
    serial = [x for x in lines[:end] if x.startswith("nestvisor: ")]
    missing = [x for x in ring if x not in before]
    it = iter(ring)
    in_order = all(any(x == y for y in it) for x in serial)
    j.check(len(ring) > 10 and not missing and in_order,
            f"nvctl log: the ring's {len(ring)} lines are the log the serial port showed "
            f"({len(serial)} whole lines; missing from the serial: {missing[:2]})")
    for must in ("nestvisor: nestvisor ", "nestvisor: CPU 0 (APIC ID 0, boot CPU) virtualized", "nestvisor: L1 is running",
                 "nestvisor: chain-loading", "nestvisor: L1 runs its first L2"):
        j.check(has(ring, must), f"nvctl log has '{must}'")

    j.check("NVCTL-TEST-DONE" in lines, "the test script ran to its end")
    if j.errors:
        print(f"FAIL: linux-nvctl: {len(j.errors)} check(s) failed")
        return 1
    print("PASS: linux-nvctl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
