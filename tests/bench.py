# SPDX-License-Identifier: MIT
"""nestvisor's deterministic benchmarks (./nv bench).

1. Exit round trips, from L1, in instructions: the `bench` payload runs
   under nestvisor with QEMU -icount shift=N, where the guest TSC advances
   by 2^N per executed instruction (docs/semantics.md §10.1), so the
   payload's TSC deltas divided by 2^N are exact instruction counts that
   repeat from run to run.  Each figure is the median of 1001 round trips, minus an empty
   rdtsc pair.
2. Boot cost: the wall-clock time from QEMU's start to the payload's first
   line, with nestvisor (nestvisor.efi chain-loading the payload) and
   without (the payload as BOOTX64.EFI), median of --boots runs each, and
   their ratio.  This one is wall-clock, so it varies a little.

The ESP and QEMU command line come from tests/runner.py, so the machine is
the same as the tests'.
"""
import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time

import pexpect

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("runner", os.path.join(HERE, "runner.py"))
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)

FIRST_LINE = "bench: payload started"
NBENCH_CFG = "next = \\EFI\\nestvisor\\next.efi\nmemory = 64M\n"


def boot(efi, nxt, cfg, icount, timeout=120, files=None):
    """Boot once; return (seconds to the payload's first line, lines)."""
    args = argparse.Namespace(efi=efi, next=nxt, config=None, config_file=cfg,
                              file=files, kernel=None, initrd=None, append=None,
                              cpu=runner.DEFAULT_CPU, memory=512, icount=icount,
                              qemu_arg=None, nvram=False, secure_boot=False,
                              disk=None)
    with tempfile.TemporaryDirectory() as esp:
        runner.build_esp(args, esp)
        cmd = runner.qemu_command(args, esp, "tcg",
                                  runner.firmware_args(args, esp))
        t0 = time.monotonic()
        child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8",
                              codec_errors="replace", timeout=timeout)
        first, nv_first, lines = None, None, []
        while True:
            i = child.expect(["\r?\n", pexpect.EOF])
            if i == 1:
                break
            line = runner.clean_line(child.before)
            if first is None and line.startswith(FIRST_LINE):
                first = time.monotonic() - t0
            if nv_first is None and line.startswith("nestvisor: nestvisor "):
                nv_first = time.monotonic() - t0
            lines.append(line)
        child.close()
    if first is None:
        sys.exit("bench: the payload did not start:\n" + "\n".join(lines[-20:]))
    boot.nestvisor_share = first - nv_first if nv_first is not None else None
    return first, lines


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--shift", type=int, default=6, help="-icount shift (default 6)")
    p.add_argument("--boots", type=int, default=3, help="runs per boot-time figure")
    a = p.parse_args()
    nv = os.path.join(a.build, "boot", "nestvisor.efi")
    payload = os.path.join(a.build, "tests", "guest", "bench.efi")
    cfg = os.path.join(HERE, "guest", "cfg", "default.cfg")

    _, lines = boot(nv, payload, cfg, a.shift)
    print(f"exit round trips from L1 under nestvisor, -icount shift={a.shift} "
          f"(instructions = TSC ticks / 2^{a.shift}, median of 1001):")
    scale = 1 << a.shift
    for line in lines:
        parts = line.split()
        if len(parts) >= 4 and parts[0] == "bench:" and parts[2] == "median":
            name, ticks = parts[1], int(parts[3])
            note = " (the rdtsc pair, subtracted from the others)" if name == "baseline" else ""
            print(f"  {name:9s} {ticks // scale:6d} instructions{note}")

    nbench = os.path.join(a.build, "tests", "guest", "nested", "nbench.efi")
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as ncfg:
        ncfg.write(NBENCH_CFG)
        ncfg.flush()
        _, nlines = boot(nv, nbench, ncfg.name, a.shift)
    print("nested SVM: L1 (the nbench payload) runs L2 under nestvisor:")
    for line in nlines:
        f = line.split()
        if len(f) < 3 or f[0] != "nbench:" or f[1] == "done":
            continue
        kv = dict(zip(f[2::2], f[3::2]))
        instr = int(kv["ticks"]) // scale
        if f[1] == "cpuid":
            n = int(kv["iterations"])
            print(f"  L2 CPUID handled by L1, round trip: {instr // n} instructions, "
                  f"{int(kv['exits']) / n:.2f} nestvisor exits per L2 exit "
                  f"(L2's CPUID and L1's VMRUN; {n} iterations)")
        elif "iterations" in kv:
            n = int(kv["iterations"])
            print(f"  {f[1]}: {instr // n} instructions per iteration, "
                  f"{int(kv['exits']) / n:.2f} nestvisor exits per iteration "
                  f"({n} iterations, exit 0x{int(kv['exit'], 16):x} at the end)")
        else:
            pages, npf = int(kv["pages"]), int(kv["npf"])
            size = "4 KiB" if f[1] == "touch4k" else "2 MiB"
            print(f"  L2 touches 64 MiB, L1's NPT in {size} pages: {npf} shadow-NPT faults "
                  f"({npf / pages:.4f} per 4 KiB page), {instr // max(npf, 1)} instructions "
                  f"per fault (the whole run, L2's loop included: {instr})")

    with_nv, shares = [], []
    for _ in range(a.boots):
        with_nv.append(boot(nv, payload, cfg, None)[0])
        shares.append(boot.nestvisor_share)
    # The same files on the ESP, so that the firmware's own part is alike.
    same_esp = [(nv, r"\EFI\nestvisor\nestvisor.efi"), (payload, r"\EFI\nestvisor\next.efi"),
                (cfg, r"\EFI\nestvisor\nestvisor.cfg")]
    without = [boot(payload, None, None, None, files=same_esp)[0] for _ in range(a.boots)]
    m_nv, m_bare = statistics.median(with_nv), statistics.median(without)
    print(f"boot to the payload's first line (wall clock, TCG, median of {a.boots}):")
    print(f"  with nestvisor    {m_nv:6.2f} s")
    print(f"  without           {m_bare:6.2f} s")
    print(f"  ratio             {m_nv / m_bare:6.2f}")
    print(f"  nestvisor's own part (its first line to the payload's): "
          f"{statistics.median(shares):.3f} s")


if __name__ == "__main__":
    main()
