# SPDX-License-Identifier: MIT
"""Boot an EFI image in QEMU + OVMF and check what it prints on COM1.

Two modes.

Run mode (default): build an ESP directory, boot it, watch the serial log.
    runner.py --efi build/boot/nestvisor.efi --next build/tests/guest/basic.efi \
              --config 'next = \\EFI\\nestvisor\\next.efi' --tap --expect-status 1
  * ESP: --efi becomes \\EFI\\BOOT\\BOOTX64.EFI; --next becomes
    \\EFI\\nestvisor\\next.efi; --config TEXT / --config-file PATH becomes
    \\EFI\\BOOT\\nestvisor.cfg; --file SRC ESP_PATH adds any other file.
  * Disks: --disk IMAGE (several: in this order) attaches a raw disk image
    as a SATA disk with that boot priority (QEMU bootindex, which OVMF
    turns into BootOrder), behind a QEMU snapshot: the file is never
    written, so parallel runs can share it.  Without --efi/--next/--config/
    --file there is no ESP directory, only the disks.
  * Firmware: OVMF as -bios (its variables live in RAM), or with --nvram
    OVMF_CODE as read-only flash and a private copy of OVMF_VARS as
    writable flash in the run's work directory (--workdir, never shared).
    --secure-boot: the same with Debian's test-only "snakeoil" build
    (Secure Boot on, the snakeoil certificate in PK, KEK and db; needs SMM,
    so q35 with smm=on and secure flash).  --smm: the Secure Boot build
    with the empty variable store (SMM on, Secure Boot off: the firmware's
    variable services and its SMI handler run in SMM, as on real machines).
  * Machine: q35, the ESP as a vvfat drive, serial on a pty,
    isa-debug-exit at 0xf4 (a guest write of V ends QEMU with status
    (V << 1) | 1), -no-reboot.  TCG with -cpu EPYC,+svm,+npt by default;
    KVM only when /dev/kvm works, the host is AMD and kvm_amd has nested=1.
  * Checks: --require REGEX (in order), --forbid REGEX (and, always,
    "refused by the CPU": nestvisor's report of a VMCB the CPU refused),
    --once REGEX (exactly one matching line), --expect-status N
    (or "any"), --stop-after REGEX (kill QEMU once it appears: for runs
    that end in the firmware's menu), --tap (the payload's TAP output must
    have a plan, every case present once, every case ok), --timeout S.
  * The whole serial log is saved (--log, path printed); the verdict is a
    final "PASS: ..." or "FAIL: ..." line and the exit status (0 = pass).
  * Known findings: --known-findings FILE (tests/known-findings.txt) lists
    runs that reproduce a reported, not yet fixed bug, one per line
    "NAME | EVIDENCE REGEX | finding".  A listed run passes only if its
    checks fail and a line matching the evidence appeared (the bug, for
    the reason reported); it fails if its checks pass (the bug is fixed:
    remove the line) or fail without the evidence.  An unlisted run is
    judged as usual.
  * A shell on the serial console (./nv run --linux): --interactive hands
    the console to the user's terminal (Ctrl-] leaves and stops QEMU);
    --script FILE types FILE's lines, one each time the prompt (--prompt,
    default "l1# ") appears, then "exit"; the log shows them after the
    prompt, as on a terminal.

Compare mode: runner.py --compare LOG_A LOG_B [--expect-differ PATTERN...]
              [--expect-differ-file LIST...]
  Lines up the TAP cases and the "# fact KEY = VALUE" lines of two serial
  logs (e.g. the basic suite on bare QEMU and under nestvisor) and prints a
  table: same / differs / only in A / only in B.  Fails on any difference
  whose case name or fact key matches none of the --expect-differ glob
  patterns.

QEMU is driven with pexpect (Debian: python3-pexpect), which reads the
serial console line by line with a deadline and kills the process cleanly.
Run with /usr/bin/python3.
"""

import argparse
import fcntl
import fnmatch
import os
import re
import shutil
import sys
import tempfile
import time

import pexpect

OVMF = "/usr/share/ovmf/OVMF.fd"
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
OVMF_CODE_SB = "/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd"
OVMF_VARS_SB = "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd"
OVMF_CODE_SMM = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
# The QEMU binary ($NV_QEMU: tests/test_runner_retry.py's stand-in).
QEMU = os.environ.get("NV_QEMU", "qemu-system-x86_64")
DEFAULT_CPU = "EPYC,+svm,+npt"
DEBUG_EXIT_PORT = 0xF4

# Escape sequences OVMF's terminal driver sends (cursor moves, colours).
ANSI_RE = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")

TAP_PLAN_RE = re.compile(r"^1\.\.(\d+)\s*$")
TAP_CASE_RE = re.compile(r"^(not )?ok (\d+)(?: -)? ?(.*)$")
TAP_BAIL_RE = re.compile(r"^Bail out!(.*)$")
FACT_RE = re.compile(r"^# fact (\S+) = (.*)$")

# Lines that fail every run: a VMCB that nestvisor built and the CPU below
# refused is a nestvisor bug, whatever the guest did (docs/testing.md).
ALWAYS_FORBIDDEN = [r"refused by the CPU"]


def clean_line(raw):
    """One serial line as text: escape sequences and CRs removed."""
    return ANSI_RE.sub("", raw).replace("\r", "").rstrip()


# ---------------------------------------------------------------- accelerator

KVM_GET_API_VERSION = 0xAE00


def kvm_problem():
    """Why KVM cannot run nestvisor here, or None if it can."""
    if not os.path.exists("/dev/kvm"):
        return "/dev/kvm absent"
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError as e:
        return f"/dev/kvm not usable: {e.strerror}"
    try:
        if fcntl.ioctl(fd, KVM_GET_API_VERSION) != 12:
            return "/dev/kvm: unexpected KVM API version"
    except OSError as e:
        return f"/dev/kvm ioctl failed: {e.strerror}"
    finally:
        os.close(fd)
    with open("/proc/cpuinfo") as f:
        if "AuthenticAMD" not in f.read():
            return "host CPU is not AMD"
    nested = "/sys/module/kvm_amd/parameters/nested"
    try:
        with open(nested) as f:
            if f.read().strip() not in ("1", "Y"):
                return "kvm_amd nested is off"
    except OSError:
        return "kvm_amd not loaded (no nested parameter)"
    return None


def choose_accel(args):
    """Returns (accel, reason)."""
    if args.icount is not None:
        return "tcg", "-icount needs TCG"
    if args.accel == "tcg":
        return "tcg", "requested"
    problem = kvm_problem()
    if args.accel == "kvm":
        if problem:
            sys.exit(f"FAIL: --accel kvm: {problem}")
        return "kvm", "requested"
    if problem:
        return "tcg", problem
    return "kvm", "KVM usable with nested SVM"


# ----------------------------------------------------------------------- ESP

def esp_place(esp, src, esp_path):
    """Copy src to esp_path (backslash or slash separated) inside esp."""
    if not os.path.isfile(src):
        sys.exit(f"FAIL: cannot put {src} on the ESP: no such file")
    parts = [p for p in re.split(r"[\\/]", esp_path) if p]
    dst = os.path.join(esp, *parts)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def wants_esp(args):
    return bool(args.efi or args.next or args.config or args.config_file
                or args.file)


def build_esp(args, esp):
    os.makedirs(os.path.join(esp, "EFI", "BOOT"), exist_ok=True)
    if args.efi:
        esp_place(esp, args.efi, r"\EFI\BOOT\BOOTX64.EFI")
    if args.next:
        esp_place(esp, args.next, r"\EFI\nestvisor\next.efi")
    if args.config_file:
        esp_place(esp, args.config_file, r"\EFI\BOOT\nestvisor.cfg")
    if args.config is not None:
        with open(os.path.join(esp, "EFI", "BOOT", "nestvisor.cfg"), "w") as f:
            f.write(args.config + "\n")
    for src, esp_path in args.file or []:
        esp_place(esp, src, esp_path)


def firmware_args(args, work):
    """-bios, or read-only code flash plus a private copy of the variables."""
    if not (args.nvram or args.secure_boot or args.smm):
        return ["-bios", OVMF]
    if args.secure_boot:
        code, varstore = OVMF_CODE_SB, OVMF_VARS_SB
    elif args.smm:
        code, varstore = OVMF_CODE_SMM, OVMF_VARS
    else:
        code, varstore = OVMF_CODE, OVMF_VARS
    for path in (code, varstore):
        if not os.path.isfile(path):
            sys.exit(f"FAIL: --nvram: {path} missing (apt-get install ovmf)")
    vars_copy = os.path.join(work, "OVMF_VARS.fd")
    shutil.copyfile(varstore, vars_copy)
    out = []
    if args.secure_boot or args.smm:
        out += ["-global", "driver=cfi.pflash01,property=secure,value=on"]
    return out + [
        "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
        "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]


def disk_args(args, esp):
    """The vvfat ESP (if any) and each --disk on its own SATA port."""
    out = []
    port = 0
    if esp:
        out += ["-drive", f"format=raw,file=fat:rw:{esp}"]  # if=ide: port 0
        port += 1
    for i, image in enumerate(args.disk or []):
        if not os.path.isfile(image):
            sys.exit(f"FAIL: --disk {image}: no such file")
        out += ["-drive", f"if=none,id=disk{i},format=raw,snapshot=on,"
                          f"file={os.path.abspath(image)}",
                "-device", f"ide-hd,drive=disk{i},bus=ide.{port},bootindex={i}"]
        port += 1
    return out


def monitor_path(args):
    """The QEMU monitor's socket: read only on a timeout or a hang (dump_state)."""
    return os.path.join(tempfile.gettempdir(),
                        f"nv-mon-{os.getpid()}-{re.sub(r'[^A-Za-z0-9_.-]', '_', args.name)[:40]}.sock")


def dump_state(args, log, when):
    """On a timeout or a hang (when), every vCPU's registers from QEMU's
    QMP monitor, into the log: whether each CPU was in nestvisor's code
    (its range is in the boot lines) or in a guest, and where."""
    import json
    import socket
    text = ""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(5)
            s.connect(monitor_path(args))
            f = s.makefile("rw", encoding="utf-8", newline="\n")
            f.readline()  # the greeting
            for cmd in ({"execute": "qmp_capabilities"},
                        {"execute": "human-monitor-command",
                         "arguments": {"command-line": "info cpus"}},
                        {"execute": "human-monitor-command",
                         "arguments": {"command-line": "info registers -a"}}):
                f.write(json.dumps(cmd) + "\n")
                f.flush()
                while True:  # skip events up to the command's answer
                    reply = json.loads(f.readline())
                    if "return" in reply or "error" in reply:
                        break
                if isinstance(reply.get("return"), str):
                    text += reply["return"]
    except (OSError, ValueError) as e:
        text += f"(monitor not reachable: {e})\n"
    log.write((f"\nrunner: QEMU's state at the {when}:\n" + text).encode())
    log.flush()


def qemu_command(args, esp, accel, firmware):
    machine = "q35,smm=on" if args.secure_boot or args.smm else "q35"
    cmd = [QEMU, "-machine", machine, "-accel", accel, "-cpu", args.cpu,
           "-m", str(args.memory), "-smp", "1"] + firmware + disk_args(args, esp) + [
           "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-net", "none", "-no-reboot",
           "-device", f"isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04"]
    if hasattr(args, "name"):  # runner's own runs (not tests/bench.py's)
        cmd += ["-qmp", f"unix:{monitor_path(args)},server=on,wait=off"]
    if args.icount is not None:
        cmd += ["-icount", f"shift={args.icount}"]
    if args.kernel:
        cmd += ["-kernel", args.kernel]
    if args.initrd:
        cmd += ["-initrd", args.initrd]
    if args.append:
        cmd += ["-append", args.append]
    cmd += args.qemu_arg or []
    return cmd


# ----------------------------------------------------------------------- TAP

def parse_tap(lines):
    """TAP results of a log: dict with plan, cases [(num, ok, name)], bail,
    errors (format problems), facts {key: value}."""
    res = {"plan": None, "cases": [], "bail": None, "errors": [], "facts": {}}
    for line in lines:
        m = TAP_PLAN_RE.match(line)
        if m:
            if res["plan"] is not None:
                res["errors"].append(f"second plan line: {line}")
            res["plan"] = int(m.group(1))
            continue
        m = TAP_CASE_RE.match(line)
        if m:
            res["cases"].append((int(m.group(2)), m.group(1) is None, m.group(3)))
            continue
        m = TAP_BAIL_RE.match(line)
        if m:
            res["bail"] = m.group(1).strip() or "(no reason)"
            continue
        m = FACT_RE.match(line)
        if m:
            res["facts"][m.group(1)] = m.group(2)
    return res


def tap_verdict(res):
    """None if the TAP output is a complete pass, else the reason."""
    if res["bail"] is not None:
        return f"TAP: Bail out! {res['bail']}"
    if res["errors"]:
        return "TAP: " + "; ".join(res["errors"])
    if res["plan"] is None:
        return "TAP: no plan line (1..N) seen"
    seen = {}
    for num, ok, name in res["cases"]:
        if num in seen:
            return f"TAP: case {num} reported twice"
        if num < 1 or num > res["plan"]:
            return f"TAP: case {num} outside the plan 1..{res['plan']}"
        seen[num] = (ok, name)
    missing = [n for n in range(1, res["plan"] + 1) if n not in seen]
    failed = [f"{n} - {seen[n][1]}" for n in sorted(seen) if not seen[n][0]]
    if failed:
        return f"TAP: {len(failed)} of {res['plan']} failed: " + "; ".join(failed)
    if missing:
        return (f"TAP: {len(missing)} of {res['plan']} cases missing "
                f"(first: {missing[0]})")
    return None


# ----------------------------------------------------------------------- run

def known_finding(args):
    """(evidence regex, finding) if --known-findings lists this run."""
    if not args.known_findings:
        return None
    with open(args.known_findings, encoding="utf-8") as f:
        for raw in f:
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            fields = [x.strip() for x in raw.split("|", 2)]
            if len(fields) != 3:
                sys.exit(f"FAIL: {args.known_findings}: malformed line {raw!r}")
            if fields[0] == args.name:
                return fields[1], fields[2]
    return None


def known_verdict(args, known, failure, lines, how, elapsed, log_path):
    """The verdict of a listed run (see --known-findings)."""
    evidence, finding = known
    seen = any(re.search(evidence, line) for line in lines)
    if failure is None:
        print(f"FAIL: {args.name}: passes now, so {finding} no longer "
              f"reproduces: remove its line from {args.known_findings} "
              f"({how}, {elapsed:.1f} s; log {log_path})")
        return 1
    if not seen:
        print(f"FAIL: {args.name}: failed ({failure}) without the evidence "
              f"{evidence!r} of {finding} ({how}, {elapsed:.1f} s; log {log_path})")
        return 1
    print(f"PASS: {args.name}: known finding {finding} still reproduces "
          f"({failure}; {how}, {elapsed:.1f} s; log {log_path})")
    return 0


# A vCPU of a multi-threaded TCG guest that stops being scheduled by
# QEMU 7.2: Linux's watchdog reports it, and the run ends at its timeout.
# Seen on bare TCG as under nestvisor (docs/testing.md, "Retried runs").
TCG_HANG = r"watchdog: BUG: soft lockup - CPU#\d+ stuck"


def run_retrying(args):
    """run(), and once more after a first attempt that ended in a TCG hang
    (--retry-tcg-hang: the run stops at Linux's first soft-lockup report);
    the first attempt's log is kept beside the log (and only then: an
    earlier run's is removed first)."""
    args.tcg_hang = False
    log_path = os.path.abspath(args.log or f"{args.name}.serial.log")
    base = log_path[:-len(".serial.log")] if log_path.endswith(".serial.log") else log_path
    kept = base + ".attempt1.serial.log"
    if args.retry_tcg_hang and os.path.exists(kept):
        os.unlink(kept)
    rc = run(args)
    if rc == 0 or not args.retry_tcg_hang or not args.tcg_hang:
        return rc
    os.replace(log_path, kept)
    print(f"runner: RETRY: {args.name} timed out with a vCPU stuck ({TCG_HANG!r} "
          f"in the log, kept as {kept}); running it once more, whose verdict is final")
    args.tcg_hang = False
    return run(args)


def run(args):
    known = known_finding(args)
    accel, why = choose_accel(args)
    print(f"runner: accelerator {accel} ({why})")
    print("runner: " + os.popen(f"{QEMU} --version").readline().strip())
    log_path = os.path.abspath(args.log or f"{args.name}.serial.log")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)

    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
    work = args.workdir or tempfile.mkdtemp(prefix=f"nv-{args.name}-")
    esp = os.path.join(work, "esp") if wants_esp(args) else None
    if esp and os.path.exists(esp):
        shutil.rmtree(esp)
    try:
        if esp:
            build_esp(args, esp)
        firmware = firmware_args(args, work)
        cmd = qemu_command(args, esp, accel, firmware)
    except SystemExit:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
        raise
    print("runner: " + " ".join(cmd))
    print(f"runner: serial log {log_path}")

    lines = []
    required = list(args.require or [])
    next_req = 0
    failure = None
    killed = False
    start = time.monotonic()
    deadline = start + args.timeout

    script = []
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            script = [x.rstrip("\n") for x in f if x.strip()]
        script.append("exit")
    prompt = re.escape(args.prompt.encode())
    pending = ""

    with open(log_path, "wb") as log:
        child = pexpect.spawn(cmd[0], cmd[1:], timeout=None, echo=False)
        child.logfile_read = log
        if args.interactive and sys.stdin.isatty():
            print("runner: the serial console is yours; Ctrl-] stops QEMU")
            child.interact(escape_character="\x1d")
            try:  # QEMU ended (the shell's exit), or Ctrl-] left it running
                child.expect(pexpect.EOF, timeout=2)
            except pexpect.TIMEOUT:
                pass
            killed = child.isalive()
        patterns = [b"\n", pexpect.EOF, pexpect.TIMEOUT]
        if script:
            patterns.append(prompt)
        while not killed:
            left = deadline - time.monotonic()
            if left <= 0:
                failure = f"timeout after {args.timeout} s"
                break
            idx = child.expect(patterns, timeout=left)
            if idx == 2:
                failure = f"timeout after {args.timeout} s"
                break
            raw = child.before.decode("utf-8", "replace")
            if idx == 3:
                # The prompt: type the next line (its echo ends the line).
                pending += clean_line(raw) + args.prompt
                if script:
                    child.sendline(script.pop(0))
                continue
            raw, pending = pending + raw, ""
            if idx == 1 and not raw:
                break
            line = clean_line(raw)
            lines.append(line)
            if args.verbose:
                print(f"| {line}")
            for pat in list(args.forbid or []) + ALWAYS_FORBIDDEN:
                if re.search(pat, line):
                    failure = failure or f"forbidden line seen: {line!r}"
            if args.retry_tcg_hang and re.search(TCG_HANG, line):
                failure = failure or f"hang: a vCPU stuck: {line!r}"
            if next_req < len(required) and re.search(required[next_req], line):
                next_req += 1
            if failure:
                break
            if args.stop_after and re.search(args.stop_after, line):
                killed = True
                break
            if idx == 1:
                break
        if child.isalive():
            killed = killed or failure is not None
            if failure and failure.startswith("timeout"):
                dump_state(args, log, "timeout")
            elif failure and failure.startswith("hang"):
                dump_state(args, log, "hang")
            child.terminate(force=True)
        child.close()
    try:
        os.unlink(monitor_path(args))
    except OSError:
        pass
    elapsed = time.monotonic() - start
    status = child.exitstatus

    if failure and next_req < len(required):
        failure += f"; still waiting for {required[next_req]!r}"
    if failure is None and args.stop_after and not killed:
        failure = f"QEMU exited (status {status}) before --stop-after {args.stop_after!r}"
    if failure is None and next_req < len(required):
        failure = f"required line not seen (in order): {required[next_req]!r}"
    for pat in args.once or []:
        seen = sum(1 for line in lines if re.search(pat, line))
        if failure is None and seen != 1:
            failure = f"{seen} lines match {pat!r}, expected exactly 1"
    if failure is None and args.tap:
        failure = tap_verdict(parse_tap(lines))
    if failure is None and not killed and args.expect_status != "any":
        if status != int(args.expect_status):
            failure = (f"QEMU exit status {status}, expected {args.expect_status}"
                       + status_hint(status))

    if not args.workdir and not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    how = "killed by runner" if killed else f"exit status {status}"
    if known:
        return known_verdict(args, known, failure, lines, how, elapsed, log_path)
    if failure:
        print("runner: last 20 lines of the serial log:")
        for line in lines[-20:]:
            print(f"| {line}")
        print(f"FAIL: {args.name}: {failure} ({how}, {elapsed:.1f} s; log {log_path})")
        args.tcg_hang = failure.startswith("hang") or (
            failure.startswith("timeout") and
            any(re.search(TCG_HANG, line) for line in lines))
        return 1
    print(f"PASS: {args.name} ({how}, {elapsed:.1f} s; log {log_path})")
    return 0


def status_hint(status):
    if status is None:
        return ""
    if status & 1 and status > 1:
        return f" (guest wrote {status >> 1:#x} to the exit port)"
    return ""


# ------------------------------------------------------------------- compare

def read_log(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [clean_line(x) for x in text.split("\n")]


def compare(args):
    path_a, path_b = args.compare
    rows = []  # (kind, key, value_a, value_b)
    results = []
    for path in (path_a, path_b):
        if not os.path.exists(path):
            print(f"FAIL: compare: {path} does not exist")
            return 1
        res = parse_tap(read_log(path))
        if res["plan"] is None and not res["cases"]:
            print(f"FAIL: compare: no TAP output in {path}")
            return 1
        results.append(res)

    def case_map(res):
        out = {}
        for _, ok, name in res["cases"]:
            key, n = name, 2
            while key in out:  # keep repeated names apart
                key, n = f"{name} #{n}", n + 1
            out[key] = "ok" if ok else "not ok"
        return out

    maps = [case_map(r) for r in results]
    for kind, ma, mb in (("case", maps[0], maps[1]),
                         ("fact", results[0]["facts"], results[1]["facts"])):
        for key in list(ma) + [k for k in mb if k not in ma]:
            rows.append((kind, key, ma.get(key), mb.get(key)))

    patterns = list(args.expect_differ or [])
    notes = {}
    for path in args.expect_differ_file or []:
        # Lines "NAME | hardware: ... | qemu-tcg: ... | source"; # comments.
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    name, _, rest = line.partition("|")
                    patterns.append(name.strip())
                    notes[name.strip()] = rest.strip()
    unexplained = 0
    width = max(len(r[1]) for r in rows) if rows else 10
    print(f"compare: A = {path_a}")
    print(f"compare: B = {path_b}")
    print(f"{'kind':4}  {'name':{width}}  {'A':10}  {'B':10}  verdict")
    counts = {}
    for kind, key, va, vb in rows:
        if va is None or vb is None:
            verdict = "only in A" if vb is None else "only in B"
        else:
            verdict = "same" if va == vb else "differs"
        if verdict != "same":
            if any(fnmatch.fnmatchcase(key, p) for p in patterns):
                verdict += " (expected)"
            else:
                unexplained += 1
                verdict += " (UNEXPECTED)"
        counts[verdict] = counts.get(verdict, 0) + 1
        print(f"{kind:4}  {key:{width}}  {str(va):10}  {str(vb):10}  {verdict}")
        if verdict != "same" and key in notes:
            print(f"      {'':{width}}  known: {notes[key]}")
    print("compare: " + ", ".join(f"{v}: {n}" for v, n in sorted(counts.items())))
    if unexplained:
        print(f"FAIL: compare: {unexplained} unexpected difference(s)")
        return 1
    print("PASS: compare: no unexpected differences")
    return 0


# ---------------------------------------------------------------------- main

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--name", default="run", help="label for messages and the default log name")
    p.add_argument("--efi", help="image booted as \\EFI\\BOOT\\BOOTX64.EFI")
    p.add_argument("--next", help="next stage, put at \\EFI\\nestvisor\\next.efi")
    p.add_argument("--config", help="nestvisor.cfg text, verbatim (use real newlines, e.g. bash $'...')")
    p.add_argument("--config-file", help="nestvisor.cfg from a file")
    p.add_argument("--file", nargs=2, action="append", metavar=("SRC", "ESP_PATH"),
                   help="extra file on the ESP, e.g. vmlinuz '\\EFI\\linux\\vmlinuz.efi'")
    p.add_argument("--disk", action="append", metavar="IMAGE",
                   help="raw disk image as a SATA disk (several: boot order), "
                        "behind a snapshot: the file is not written")
    p.add_argument("--nvram", action="store_true",
                   help="OVMF_CODE + a private writable copy of OVMF_VARS "
                        "in the work directory instead of -bios")
    p.add_argument("--secure-boot", action="store_true",
                   help="like --nvram, with OVMF's snakeoil Secure Boot build "
                        "(test key only; SMM on)")
    p.add_argument("--smm", action="store_true",
                   help="like --nvram, with OVMF's SMM build (the Secure Boot "
                        "one with an empty variable store: Secure Boot off)")
    p.add_argument("--kernel", help="QEMU -kernel (bare Linux runs only)")
    p.add_argument("--initrd", help="QEMU -initrd")
    p.add_argument("--append", help="QEMU -append")
    p.add_argument("--cpu", default=DEFAULT_CPU, help=f"QEMU -cpu (default {DEFAULT_CPU})")
    p.add_argument("--accel", choices=("auto", "tcg", "kvm"), default="auto")
    p.add_argument("--icount", type=int, help="-icount shift=N (forces TCG)")
    p.add_argument("--memory", type=int, default=512, help="guest RAM in MiB")
    p.add_argument("--qemu-arg", action="append", help="extra QEMU argument")
    p.add_argument("--timeout", type=float, default=60, help="seconds (default 60)")
    p.add_argument("--expect-status", default="1",
                   help="QEMU exit status required when QEMU ends by itself "
                        "(default 1: guest wrote 0 to port 0xf4), or 'any'")
    p.add_argument("--require", action="append", metavar="REGEX",
                   help="line that must appear (several: in this order)")
    p.add_argument("--forbid", action="append", metavar="REGEX",
                   help="line that must not appear")
    p.add_argument("--once", action="append", metavar="REGEX",
                   help="line that must appear exactly once")
    p.add_argument("--stop-after", metavar="REGEX",
                   help="kill QEMU once a line matches (required to appear)")
    p.add_argument("--tap", action="store_true", help="check the TAP output")
    p.add_argument("--retry-tcg-hang", action="store_true",
                   help="run once more after a timeout whose log shows a vCPU "
                        "stuck (Linux's soft lockup report): a QEMU TCG hang")
    p.add_argument("--known-findings", metavar="FILE",
                   help="runs that must still reproduce a reported bug "
                        "(NAME | EVIDENCE REGEX | finding per line)")
    p.add_argument("--log", help="serial log path (default ./NAME.serial.log)")
    p.add_argument("--workdir", help="directory for the ESP and the OVMF_VARS copy "
                                     "(default: a temp dir, removed)")
    p.add_argument("--keep", action="store_true", help="keep the temp ESP directory")
    p.add_argument("--verbose", action="store_true", help="echo serial lines as they come")
    p.add_argument("--interactive", action="store_true",
                   help="hand the serial console to the terminal (Ctrl-] stops QEMU)")
    p.add_argument("--script", metavar="FILE",
                   help="type FILE's lines at the shell prompt, then exit")
    p.add_argument("--prompt", default="l1# ", help="the shell prompt for --script")
    p.add_argument("--compare", nargs=2, metavar=("LOG_A", "LOG_B"),
                   help="compare the TAP results of two logs instead of running")
    p.add_argument("--expect-differ-file", action="append", metavar="LIST",
                   help="case names allowed to differ, one per line (NAME | note)")
    p.add_argument("--expect-differ", action="append", metavar="GLOB",
                   help="case name or fact key allowed to differ in --compare")
    args = p.parse_args()
    if args.compare:
        return compare(args)
    if not (args.efi or args.kernel or args.file or args.disk):
        p.error("nothing to boot: give --efi, --kernel, --file or --disk")
    return run_retrying(args)


if __name__ == "__main__":
    sys.exit(main())
