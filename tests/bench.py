# SPDX-License-Identifier: MIT
"""nestvisor's deterministic benchmarks (./nv bench).

1. Exit round trips, from L1, in instructions: the `bench` payload runs
   under nestvisor with QEMU -icount shift=N, where the guest TSC advances
   by 2^N per executed instruction (docs/semantics.md §10.1), so the
   payload's TSC deltas divided by 2^N are exact instruction counts that
   repeat from run to run.  Each figure is the median of 1001 round trips, minus an empty
   rdtsc pair.
   Also, with more CPUs: the boot CPU's INIT, SIPI and SIPI to an AP (the
   sipi payload, load option "bench", 2 CPUs), and shadow-NPT faults of 4
   vCPUs at once (nbench, load option "smp", 4 CPUs).
2. Boot cost: the wall-clock time from QEMU's start to the payload's first
   line, with nestvisor (nestvisor.efi chain-loading the payload) and
   without (the payload as BOOTX64.EFI), median of --boots runs each, and
   their ratio; with 1 CPU and with 4.  This one is wall-clock, so it
   varies a little.

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
SIPI_FIRST_LINE = "sipi: the boot CPU starts an AP"


def boot(efi, nxt, cfg, icount, timeout=120, files=None, cpus=1):
    """Boot once; return (seconds to the payload's first line, lines)."""
    args = argparse.Namespace(efi=efi, next=nxt, config=None, config_file=cfg,
                              file=files, kernel=None, initrd=None, append=None,
                              cpu=runner.DEFAULT_CPU, memory=512, icount=icount,
                              qemu_arg=["-smp", str(cpus)] if cpus > 1 else None,
                              nvram=False, secure_boot=False, smm=False,
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
            if first is None and (line.startswith(FIRST_LINE) or
                                  line.startswith(SIPI_FIRST_LINE)):
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
        else:
            pages, npf = int(kv["pages"]), int(kv["npf"])
            size = "4 KiB" if f[1] == "touch4k" else "2 MiB"
            print(f"  L2 touches 64 MiB, L1's NPT in {size} pages: {npf} shadow-NPT faults "
                  f"({npf / pages:.4f} per 4 KiB page), {instr // max(npf, 1)} instructions "
                  f"per fault (the whole run, L2's loop included: {instr})")

    # Every CPU at once: 4 vCPUs of one L2 VM fault in their quarters.
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as ncfg:
        ncfg.write(NBENCH_CFG + "args = smp\n")
        ncfg.flush()
        _, slines = boot(nv, nbench, ncfg.name, a.shift, timeout=600, cpus=4)
    cpus = []
    for line in slines:
        f = line.split()
        if len(f) > 3 and f[:3] == ["nbench:", "smp", "cpu"]:
            kv = dict(zip(f[4::2], f[5::2]))
            cpus.append((int(kv["t0"]), int(kv["t1"]), int(kv["npf"]), int(kv["pages"])))
    if not cpus:
        sys.exit("bench: nbench smp printed nothing:\n" + "\n".join(slines[-20:]))
    window = (max(c[1] for c in cpus) - min(c[0] for c in cpus)) // scale
    npf = sum(c[2] for c in cpus)
    alone = max((c[1] - c[0]) // scale for c in cpus)
    print(f"  {len(cpus)} vCPUs of one L2 VM at once, one L1 NPT in 4 KiB pages, each "
          f"touching {cpus[0][3]} pages: {npf} shadow-NPT faults "
          f"({', '.join(str(c[2]) for c in cpus)}), {window // max(npf, 1)} instructions "
          f"per fault over all CPUs ({window} from the first start to the last end; "
          f"the slowest CPU's own window {alone})")

    # INIT-SIPI-SIPI to an AP, as the boot CPU sees it.
    sipi = os.path.join(a.build, "tests", "guest", "sipi.efi")
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as scfg:
        scfg.write("next = \\EFI\\nestvisor\\next.efi\nargs = bench\n")
        scfg.flush()
        _, ilines = boot(nv, sipi, scfg.name, a.shift, timeout=600, cpus=2)
    med, rounds, ran = {}, "?", "?"
    for line in ilines:
        f = line.split()
        if len(f) == 4 and f[0] == "sipi-bench:" and f[2] == "median":
            med[f[1]] = int(f[3]) // scale
        if len(f) >= 5 and f[0] == "sipi-bench:" and f[1] == "rounds":
            rounds, ran = f[2], f[4]
    if len(med) != 4:
        sys.exit("bench: sipi bench printed nothing:\n" + "\n".join(ilines[-20:]))
    b = med["baseline"]
    print(f"INIT-SIPI-SIPI from the boot CPU to an AP under nestvisor (2 CPUs; "
          f"the AP ran {ran} of {rounds} times), instructions per ICR write as the "
          f"sender sees it, median: INIT {med['init'] - b}, SIPI {med['sipi'] - b}, "
          f"second SIPI {med['sipi2'] - b}")

    for cpus in (1, 4):
        with_nv, shares = [], []
        for _ in range(a.boots):
            with_nv.append(boot(nv, payload, cfg, None, cpus=cpus)[0])
            shares.append(boot.nestvisor_share)
        # The same files on the ESP, so that the firmware's own part is alike.
        same_esp = [(nv, r"\EFI\nestvisor\nestvisor.efi"), (payload, r"\EFI\nestvisor\next.efi"),
                    (cfg, r"\EFI\nestvisor\nestvisor.cfg")]
        without = [boot(payload, None, None, None, files=same_esp, cpus=cpus)[0]
                   for _ in range(a.boots)]
        m_nv, m_bare = statistics.median(with_nv), statistics.median(without)
        print(f"boot to the payload's first line, {cpus} CPU{'s' if cpus > 1 else ''} "
              f"(wall clock, TCG, median of {a.boots}):")
        print(f"  with nestvisor    {m_nv:6.2f} s")
        print(f"  without           {m_bare:6.2f} s")
        print(f"  ratio             {m_nv / m_bare:6.2f}")
        print(f"  nestvisor's own part (its first line to the payload's): "
              f"{statistics.median(shares):.3f} s")


if __name__ == "__main__":
    main()
