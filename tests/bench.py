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
   vCPUs at once (nbench, load option "smp", 4 CPUs); --smp-only runs
   only these and the boot time with 4 CPUs.
2. Boot cost: the wall-clock time from QEMU's start to the payload's first
   line, with nestvisor (nestvisor.efi chain-loading the payload) and
   without (the payload as BOOTX64.EFI), median of --boots runs each, and
   their ratio; with 1 CPU and with 4.  This one is wall-clock, so it
   varies a little.
3. Linux's KVM as L1: Debian's Linux as L1 runs kvmtest (tests/linux/
   kvmtest.c: an L2 that writes 16 MiB, every page first touched by L2's
   write, then reads it back) with --nvstats, which reads nestvisor's
   counters around the run and around the write pass.  For each -cpu of
   --l2-cpu: nestvisor exits per L2 exit over the run (every exit but the
   VMMCALLs that read the counters, per L2 exit reflected to L1), by exit
   code; and per page L2 first touches over the write pass, the exits of
   the paging (L2's #NPFs, L1's writes to its NPT that exited, and L1's
   VMRUN after each reflected #NPF: the floor is 2, the #NPF and the
   VMRUN) and all exits.  Counts, the same on every machine up to L1's
   timer (its interrupts and their APIC writes while L2 runs).
4. A real L2 OS: Debian's Linux as L1 runs Debian's QEMU with KVM, which
   boots Debian's kernel as L2 (the linux-qemu-l2 tests' initrd-qemu.img),
   in each way of --l2-boot: pvh (the ELF image's PVH entry) and bios
   (SeaBIOS and the bzImage's real-mode setup).  L1 prints its uptime at
   QEMU's start and when L2's marker line arrives
   (tests/linux/qemu-init.sh); the difference is L2's boot time by L1's
   clock.  Measured under nestvisor and on bare QEMU (whose TCG SVM is
   then L0 for L1), one after the other, for each -cpu model of --l2-cpu
   and each way, median of --l2-boots runs each, and their ratio.
   Wall-clock too, so it follows the load of the machine; beside it, the
   same span in CPU time of the outer QEMU process, which depends much
   less on what else runs.
5. Where an L2 boot's exits go (--l2-stats, not in the default run): one
   pvh boot of 4. under nestvisor per -cpu of --l2-cpu, with nvctl = on
   and nv_l2_stats (tests/guest/cfg/linux-qemu-pvh-stats.cfg): L1 runs
   `nvctl stats` at QEMU's start and at L2's marker, and traces L2's
   port I/O with its KVM's kvm_pio event (tests/linux/qemu-init.sh).
   Printed: nestvisor's exits in between by exit code, of L2 and of L1,
   per exit of L2; L1's MSR, #NPF and IOIO exits by MSR, page and port
   (NV_HC_EXIT_DETAIL); L2's port I/O by port.

Sections (--only, comma-separated; default all): exits (1's round trips
from L1), nested (nbench's loops and shadow-NPT faults on each
--nested-cpu), smp (1's runs with more CPUs), boot (2), kvm (3), l2 (4),
l2stats (5, only when asked for).  --l2-only, --kvm-only, --l2-stats and
--smp-only are shorthands (--smp-only: smp and the boot time with 4 CPUs
only).

The ESP and QEMU command line come from tests/runner.py, so the machine is
the same as the tests'.
"""
import argparse
import importlib.util
import os
import re
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
L2_BOOT_RE = re.compile(r"^qemu-l2: L2 marker at uptime [0-9.]+: L2 boot ([0-9.]+) s$")
L2_CPUS = ["max", "EPYC,+svm,+npt"]
L2_BOOTS = ["pvh", "bios"]
SECTIONS = ["exits", "nested", "smp", "boot", "kvm", "l2", "l2stats"]
NESTED_CPUS = ["EPYC,+svm,+npt", "max"]
NBENCH_CFG = "next = \\EFI\\nestvisor\\next.efi\nmemory = 64M\n"
NVSTATS_RE = re.compile(r"^kvmtest: nvstats (run|touch) (.*)$")
SVM_EXITS = [(0x80, "VMRUN"), (0x82, "VMLOAD"), (0x83, "VMSAVE"), (0x84, "STGI"),
             (0x85, "CLGI"), (0x400, "#NPF")]
SIPI_FIRST_LINE = "sipi: the boot CPU starts an AP"


def boot(efi, nxt, cfg, icount, timeout=120, files=None, cpus=1,
         cpu=runner.DEFAULT_CPU):
    """Boot once; return (seconds to the payload's first line, lines)."""
    args = argparse.Namespace(efi=efi, next=nxt, config=None, config_file=cfg,
                              file=files, kernel=None, initrd=None, append=None,
                              cpu=cpu, memory=512, icount=icount,
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


def l2_boot(build, cpu, way, nestvisor, timeout=900, stats=False):
    """Boot Linux as L1 with initrd-qemu.img, under nestvisor or on bare
    QEMU; return L2's boot time (seconds) by L1's clock and, over the span
    from L1's start line to its marker line as this machine sees them, by
    this machine's clock (a check of L1's) and in CPU time of the QEMU
    process (user + system: the work TCG does, whatever else runs here).
    The serial log goes to <build>/tests/qemu-logs/bench-l2-*.serial.log.
    With stats (under nestvisor, pvh only), L1 prints nestvisor's counters
    at QEMU's start and at L2's marker; returns the serial lines instead."""
    kernel = find_kernel()
    initrd = os.path.join(build, "tests", "linux", "initrd-qemu.img")
    args = argparse.Namespace(efi=None, next=None, config=None, config_file=None,
                              file=None, kernel=None, initrd=None, append=None,
                              cpu=cpu, memory=2048, icount=None, qemu_arg=None,
                              nvram=False, secure_boot=False, smm=False, disk=None)
    if nestvisor:
        args.efi = os.path.join(build, "boot", "nestvisor.efi")
        suffix = "-stats" if stats else ""
        args.config_file = os.path.join(HERE, "guest", "cfg",
                                        f"linux-qemu-{way}{suffix}.cfg")
        args.file = [(kernel, r"\EFI\linux\vmlinuz.efi"),
                     (initrd, r"\EFI\linux\initrd-qemu.img")]
    else:
        args.kernel, args.initrd = kernel, initrd
        args.append = f"console=ttyS0 panic=-1 no_timer_check nv_l2_boot={way}"
    with tempfile.TemporaryDirectory() as work:
        esp = os.path.join(work, "esp") if runner.wants_esp(args) else None
        if esp:
            runner.build_esp(args, esp)
        cmd = runner.qemu_command(args, esp, "tcg", runner.firmware_args(args, work))
        child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8",
                              codec_errors="replace", timeout=timeout)
        seconds, lines, start, host, cputime = None, [], None, None, None
        while True:
            if child.expect(["\r?\n", pexpect.EOF]) == 1:
                break
            line = runner.clean_line(child.before)
            lines.append(line)
            if line.startswith(f"qemu-l2: {way} boot, start at uptime"):
                start = (time.monotonic(), cpu_seconds(child.pid))
            m = L2_BOOT_RE.match(line)
            if m:
                seconds = float(m.group(1))
                if start is not None:
                    host = time.monotonic() - start[0]
                    cputime = cpu_seconds(child.pid) - start[1]
        child.close()
    where = "under nestvisor" if nestvisor else "on bare QEMU"
    tag = "nestvisor" if nestvisor else "bare"
    logs = os.path.join(build, "tests", "qemu-logs")
    os.makedirs(logs, exist_ok=True)
    tag += "-stats" if stats else ""
    name = f"bench-l2-{way}-{cpu.split(',')[0].lower()}-{tag}.serial.log"
    with open(os.path.join(logs, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    if seconds is None or "NESTVISOR-QEMU-L2-OK" not in lines:
        sys.exit(f"bench: L2 Linux did not boot {where} (-cpu {cpu}, {way} boot):\n"
                 + "\n".join(lines[-20:]))
    if stats:
        return lines
    return seconds, host, cputime


STATS_EXIT_RE = re.compile(r"^ +0x([0-9a-f]+) +(\S+) +([0-9]+)$")
STATS_DETAIL_RE = re.compile(r"^ +(L[12]) +(RDMSR|WRMSR|NPF|IN|OUT) +(.+?) +([0-9]+)$")


def nvctl_stats(lines, when):
    """{("exit", level, code): n, ("detail", level, what, detail): n} from the
    "nvctl-WHEN: " lines of nvctl stats (nvctl/stats.c), summed over CPUs."""
    out, level = {}, None
    prefix = f"nvctl-{when}: "
    for line in lines:
        if not line.startswith(prefix):
            continue
        line = line[len(prefix):]
        if line.startswith("  exits of L1"):
            level = 1
        elif line.startswith("  exits of L2"):
            level = 2
        m = STATS_EXIT_RE.match(line)
        if m and level:
            key = ("exit", level, int(m.group(1), 16), m.group(2))
            out[key] = out.get(key, 0) + int(m.group(3))
        m = STATS_DETAIL_RE.match(line)
        if m:
            key = ("detail", m.group(1), m.group(2), m.group(3))
            out[key] = out.get(key, 0) + int(m.group(4))
    return out


def bench_l2_stats(build, cpus):
    """Where the exits of an L2 boot go: nestvisor's counters from QEMU's
    start in L1 to L2's marker (one pvh boot per -cpu, nvctl = on)."""
    print("L2 Linux boot, nestvisor's exits from QEMU's start in L1 to L2's marker "
          "(pvh, nvctl stats; one boot each):")
    for cpu in cpus:
        lines = l2_boot(build, cpu, "pvh", True, stats=True)
        a, b = nvctl_stats(lines, "start"), nvctl_stats(lines, "marker")
        if not a or not b:
            sys.exit(f"bench: no nvctl stats in the L2 boot's log (-cpu {cpu})")
        d = {k: b.get(k, 0) - a.get(k, 0) for k in b}
        l2 = sum(v for k, v in d.items() if k[0] == "exit" and k[1] == 2)
        total = sum(v for k, v in d.items() if k[0] == "exit")
        print(f"  -cpu {cpu}: {total} nestvisor exits, {l2} of L2, "
              f"{total / max(l2, 1):.2f} per exit of L2 (the nvctl calls at the "
              f"marker included)")
        for lvl in (2, 1):
            rows = sorted(((v, k) for k, v in d.items()
                           if k[0] == "exit" and k[1] == lvl and v), reverse=True)
            print(f"    exits of L{lvl}: " + ", ".join(
                f"{k[3]} {v} ({v / max(l2, 1):.3f})" for v, k in rows))
        rows = sorted(((v, k) for k, v in d.items() if k[0] == "detail" and v),
                      reverse=True)
        for v, k in rows[:40]:
            print(f"    {k[1]} {k[2]:5s} {k[3]:24s} {v:9d} ({v / max(l2, 1):.3f} "
                  f"per exit of L2)")
        pio = []
        for line in lines:
            f = line.split()
            if len(f) == 4 and f[0] == "kvm-pio:":
                pio.append((int(f[3]), f[1][4:], f[2]))
        if pio:
            print("    L2's port I/O as L1's KVM traced it (kvm_pio): " + ", ".join(
                f"{d} {p} {n}" for n, d, p in sorted(pio, reverse=True)[:12]))


def kvmtest_counts(build, cpu, timeout=900):
    """Boot Linux as L1 under nestvisor with initrd-kvm.img and nvl1=kvmbench
    (kvmtest --nvstats); return {window: {"sums": {...}, "l1": {...},
    "l2": {...}}} from kvmtest's nvstats lines (tests/linux/kvmtest.c)."""
    args = argparse.Namespace(efi=os.path.join(build, "boot", "nestvisor.efi"),
                              next=None, config=None,
                              config_file=os.path.join(HERE, "guest", "cfg",
                                                       "linux-kvmbench.cfg"),
                              file=[(find_kernel(), r"\EFI\linux\vmlinuz.efi"),
                                    (os.path.join(build, "tests", "linux",
                                                  "initrd-kvm.img"),
                                     r"\EFI\linux\initrd-kvm.img")],
                              kernel=None, initrd=None, append=None, cpu=cpu,
                              memory=2048, icount=None, qemu_arg=None,
                              nvram=False, secure_boot=False, smm=False, disk=None)
    out, lines = {}, []
    with tempfile.TemporaryDirectory() as work:
        esp = os.path.join(work, "esp")
        runner.build_esp(args, esp)
        cmd = runner.qemu_command(args, esp, "tcg", runner.firmware_args(args, work))
        child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8",
                              codec_errors="replace", timeout=timeout)
        while child.expect(["\r?\n", pexpect.EOF]) == 0:
            line = runner.clean_line(child.before)
            lines.append(line)
            m = NVSTATS_RE.match(line)
            if not m:
                continue
            f = m.group(2).split()
            w = out.setdefault(m.group(1), {"sums": {}, "l1": {}, "l2": {}})
            if f[0] in ("l1", "l2"):
                w[f[0]] = {int(k, 16): int(v) for k, v in (x.split("=") for x in f[1:])}
            else:
                w["sums"] = dict(zip(f[0::2], (int(x) for x in f[1::2])))
        child.close()
    logs = os.path.join(build, "tests", "qemu-logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, f"bench-kvmtest-{cpu.split(',')[0].lower()}.serial.log"),
              "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    if "KVMTEST-OK" not in lines or set(out) != {"run", "touch"}:
        sys.exit(f"bench: kvmtest --nvstats did not finish (-cpu {cpu}):\n"
                 + "\n".join(lines[-20:]))
    return out


def bench_linux_kvm(build, cpus):
    print("Linux KVM as L1 (kvmtest --nvstats: nestvisor's counters, every CPU, "
          "L1's VMMCALLs left out):")
    for cpu in cpus:
        c = kvmtest_counts(build, cpu)
        run, touch = c["run"], c["touch"]
        n = run["sums"]["l2-exits"]
        parts = ["L2's exit 1"]
        named = {code for code, _ in SVM_EXITS}
        for code, name in SVM_EXITS:
            parts.append(f"{name} {run['l1'].get(code, 0) / n:.2f}")
        other = sum(v for k, v in run["l1"].items() if k not in named)
        l2_extra = sum(run["l2"].values()) - n
        parts.append(f"other exits of L1 {other / n:.2f}")
        parts.append(f"(and VMLOADs emulated in the VMSAVE's exit, not exits: "
                     f"{run['sums'].get('fused', 0) / n:.2f}; VMRUNs emulated in "
                     f"the VMLOAD's exit, not exits: "
                     f"{run['sums'].get('runahead', 0) / n:.2f})")
        parts.append(f"exits of L2 it did not see {l2_extra / n:.2f}")
        print(f"  -cpu {cpu}: nestvisor exits per L2 exit, whole run ({n} L2 exits): "
              f"{run['sums']['exits'] / n:.2f} = " + ", ".join(parts))
        t = touch["sums"]
        pages = t["pages"]
        paging = t["snpt-faults"] + t["l1-npt-writes"] + t["npf-reflected"]
        print(f"  -cpu {cpu}: per L2 page first touched, write pass ({pages} pages): "
              f"{paging / pages:.2f} exits of the paging (L2's #NPF "
              f"{t['snpt-faults'] / pages:.2f}, L1's writes to its NPT that exited "
              f"{t['l1-npt-writes'] / pages:.3f}, L1's entry after a reflected #NPF "
              f"(its VMRUN, or the VMLOAD that runs ahead to it: "
              f"{t.get('runahead', 0) / pages:.2f} did) "
              f"{t['npf-reflected'] / pages:.2f}; entries prefetched at that VMRUN "
              f"{t['prefetched'] / pages:.2f}); all nestvisor exits "
              f"{t['exits'] / pages:.2f}")


def cpu_seconds(pid):
    """User + system CPU time of a live process (proc(5): fields 14, 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def find_kernel():
    """The kernel the Linux tests use (tests/linux/find-kernel.sh)."""
    script = os.path.join(HERE, "linux", "find-kernel.sh")
    with os.popen(f"sh {script}") as f:
        kernel = f.read().strip()
    if not kernel:
        sys.exit("bench: no kernel for the L2 Linux benchmark (apt-get install linux-image-amd64)")
    return kernel

def svm_features(lines):
    """The SVM feature names nestvisor's log line reports for the CPU."""
    for line in lines:
        m = re.match(r"^nestvisor: SVM: .*features \(CPUID 0x8000000A EDX [^)]*\): (.*)$", line)
        if m:
            return m.group(1).split()
    sys.exit("bench: nestvisor did not report the CPU's SVM features:\n" + "\n".join(lines[-20:]))


def bench_nested(nv, nbench, cpu, shift):
    """nbench under nestvisor on one -cpu model: L2 CPUID round trips with
    L1's minimal loop and with KVM's, and the shadow NPT's faults."""
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as ncfg:
        ncfg.write(NBENCH_CFG)
        ncfg.flush()
        _, nlines = boot(nv, nbench, ncfg.name, shift, cpu=cpu)
    scale = 1 << shift
    feats = svm_features(nlines)
    # Exits of L1 per L2 exit when each intercepted instruction exits on
    # its own: L2's own exit and L1's VMRUN; in KVM's loop also CLGI and
    # STGI without vGIF (nestvisor keeps L1's GIF), and the three
    # VMLOAD/VMSAVE without virtual VMLOAD/VMSAVE.  nestvisor emulates the
    # VMLOAD that follows KVM's VMSAVE (after a POP) in the VMSAVE's exit
    # (svm/nested_fuse.c), and the loads and VMRUN that follow KVM's first
    # VMLOAD in that VMLOAD's exit (svm/nested_runahead.c): two fewer where
    # they exit.
    floor = {"cpuid": 2, "kvmloop": 2 + (0 if "vGIF" in feats else 2) +
             (0 if "VMSAVEvirt" in feats else 3)}
    fused = {"cpuid": 0, "kvmloop": 0 if "VMSAVEvirt" in feats else 2}
    print(f"nested SVM, -cpu {cpu} (SVM features: {' '.join(feats)}): L1 (the nbench "
          f"payload) runs L2 under nestvisor:")
    seen = set()
    for line in nlines:
        f = line.split()
        if len(f) < 3 or f[0] != "nbench:" or f[1] == "done":
            continue
        kv = dict(zip(f[2::2], f[3::2]))
        instr = int(kv["ticks"]) // scale
        seen.add(f[1])
        if f[1] in floor:
            n = int(kv["iterations"])
            # exits: less the NV_HC_STATS call that ends the section
            exits = (int(kv["exits"]) - 1) / n
            loop = ("minimal L1 loop (VMRUN; RIP = next_rip)" if f[1] == "cpuid" else
                    "KVM's loop (CLGI; VMLOAD; VMRUN; VMSAVE; VMLOAD; STGI)")
            fl = f"floor {floor[f[1]]}"
            if fused[f[1]]:
                fl += (f" with every intercepted instruction an exit, "
                       f"{floor[f[1]] - fused[f[1]]} with the VMLOAD after VMSAVE; POP "
                       f"emulated in the VMSAVE's exit and the VMRUN after the first "
                       f"VMLOAD's loads in that VMLOAD's exit")
            print(f"  L2 CPUID handled by L1, {loop}: {instr // n} instructions per "
                  f"L2 exit round trip, {exits:.2f} nestvisor exits per L2 exit "
                  f"({fl}; {n} iterations)")
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
    if not {"cpuid", "kvmloop", "touch4k", "touch2m"} <= seen:
        sys.exit(f"bench: nbench did not finish on -cpu {cpu}:\n" + "\n".join(nlines[-20:]))


def bench_l2_linux(build, cpus, ways, runs):
    print(f"L2 Linux boot (L1 Linux runs QEMU/KVM; from QEMU's start in L1 to "
          f"L2's marker; TCG, median of {runs}):")
    for cpu, way in [(c, w) for c in cpus for w in ways]:
        nv, bare = [], []
        for _ in range(runs):
            nv.append(l2_boot(build, cpu, way, True))
            bare.append(l2_boot(build, cpu, way, False))
        print(f"  -cpu {cpu}, {way} boot:")
        for i, what in enumerate(["L1's clock (wall)", "this machine's clock",
                                  "L0 QEMU's CPU time"]):
            t_nv = [r[i] for r in nv]
            t_bare = [r[i] for r in bare]
            m_nv, m_bare = statistics.median(t_nv), statistics.median(t_bare)
            each = ""
            if runs > 1:
                each = ("  (runs: " + ", ".join(f"{t:.2f}" for t in t_nv) + "; "
                        + ", ".join(f"{t:.2f}" for t in t_bare) + ")")
            print(f"    {what:21s} under nestvisor {m_nv:6.2f} s, bare TCG {m_bare:6.2f} s, "
                  f"ratio {m_nv / m_bare:5.2f}{each}")


def bench_smp(a, nv, scale):
    """Every CPU: shadow-NPT faults of 4 vCPUs at once, and INIT-SIPI-SIPI
    to an AP as the boot CPU sees it (instruction counts, -icount)."""
    # 4 vCPUs of one L2 VM fault in their quarters at once.
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as ncfg:
        ncfg.write(NBENCH_CFG + "args = smp\n")
        ncfg.flush()
        nbench = os.path.join(a.build, "tests", "guest", "nested", "nbench.efi")
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


def bench_boot(a, nv, payload, cfg, cpu_counts):
    """Boot time with and without nestvisor, wall clock, for each count."""
    for cpus in cpu_counts:
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


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    p.add_argument("--shift", type=int, default=6, help="-icount shift (default 6)")
    p.add_argument("--boots", type=int, default=3, help="runs per boot-time figure")
    p.add_argument("--l2-boots", type=int, default=1,
                   help="runs per L2 Linux boot figure (default 1)")
    p.add_argument("--l2-cpu", action="append",
                   help=f"-cpu model for the Linux KVM figures and the L2 Linux boot "
                        f"(several allowed; default: {' and '.join(L2_CPUS)})")
    p.add_argument("--l2-boot", action="append", choices=L2_BOOTS,
                   help=f"way into L2's kernel (several allowed; default: "
                        f"{' and '.join(L2_BOOTS)})")
    p.add_argument("--only", metavar="SECTIONS",
                   help=f"comma-separated sections to run, of {','.join(SECTIONS)} "
                        f"(default: all but l2stats)")
    p.add_argument("--l2-only", action="store_true",
                   help="only the L2 Linux boot benchmark (--only l2)")
    p.add_argument("--kvm-only", action="store_true",
                   help="only the Linux KVM (kvmtest) figures, for each --l2-cpu "
                        "(--only kvm)")
    p.add_argument("--l2-stats", action="store_true",
                   help="only nestvisor's exits during one L2 Linux boot (pvh) for "
                        "each --l2-cpu, by exit code, MSR, page and port "
                        "(--only l2stats)")
    p.add_argument("--smp-only", action="store_true",
                   help="only the benchmarks of more than one CPU: shadow-NPT faults "
                        "of 4 vCPUs at once, INIT-SIPI-SIPI to an AP, boot time "
                        "with 4 CPUs")
    p.add_argument("--nested-cpu", action="append",
                   help=f"-cpu model for the nbench figures (several allowed; "
                        f"default: {' and '.join(NESTED_CPUS)})")
    a = p.parse_args()
    only = set(a.only.split(",")) if a.only else set(SECTIONS) - {"l2stats"}
    if only - set(SECTIONS):
        p.error(f"--only: unknown section(s) {', '.join(sorted(only - set(SECTIONS)))}")
    boot_cpus = (1, 4)
    if a.l2_only:
        only = {"l2"}
    if a.kvm_only:
        only = {"kvm"}
    if a.l2_stats:
        only = {"l2stats"}
    if a.smp_only:
        only, boot_cpus = {"smp", "boot"}, (4,)
    nv = os.path.join(a.build, "boot", "nestvisor.efi")
    payload = os.path.join(a.build, "tests", "guest", "bench.efi")
    cfg = os.path.join(HERE, "guest", "cfg", "default.cfg")
    scale = 1 << a.shift

    if "exits" in only:
        _, lines = boot(nv, payload, cfg, a.shift)
        print(f"exit round trips from L1 under nestvisor, -icount shift={a.shift} "
              f"(instructions = TSC ticks / 2^{a.shift}, median of 1001):")
        for line in lines:
            parts = line.split()
            if len(parts) >= 4 and parts[0] == "bench:" and parts[2] == "median":
                name, ticks = parts[1], int(parts[3])
                note = " (the rdtsc pair, subtracted from the others)" if name == "baseline" else ""
                print(f"  {name:9s} {ticks // scale:6d} instructions{note}")
    if "nested" in only:
        nbench = os.path.join(a.build, "tests", "guest", "nested", "nbench.efi")
        for cpu in a.nested_cpu or NESTED_CPUS:
            bench_nested(nv, nbench, cpu, a.shift)
    if "smp" in only:
        print(f"more than one CPU, -icount shift={a.shift} (instructions = TSC ticks / "
              f"2^{a.shift}):")
        bench_smp(a, nv, scale)
    if "boot" in only:
        bench_boot(a, nv, payload, cfg, boot_cpus)
    if "kvm" in only:
        bench_linux_kvm(a.build, a.l2_cpu or L2_CPUS)
    if "l2" in only:
        bench_l2_linux(a.build, a.l2_cpu or L2_CPUS, a.l2_boot or L2_BOOTS, a.l2_boots)
    if "l2stats" in only:
        bench_l2_stats(a.build, a.l2_cpu or L2_CPUS)


if __name__ == "__main__":
    main()
