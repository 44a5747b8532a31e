# SPDX-License-Identifier: MIT
"""Run every command of docs/tutorial.md and check the output it shows.

    check_tutorial.py --tutorial docs/tutorial.md --top SRC --build BUILD

The tutorial's ```console blocks hold the commands and their output:
  "$ CMD"    a command for the host shell, run in SRC with NV_BUILD=BUILD
             ("build/" at the start of CMD means BUILD/);
  "l1# CMD"  a command for the shell of Linux on nestvisor: the "l1#"
             commands after a "$ ./nv run --linux ..." are that session's
             and are typed by `./nv run --linux ... --script FILE`;
  any other line: output the command above it must print, in this order
             (other lines may come between).  "..." in a line matches
             anything; a line that is only "..." is just a reminder that
             lines were left out.
A host command must exit 0.  For `./nv run --linux` the output is the
serial log before the first prompt; for an l1# command, the lines between
its prompt line and the next.
Run with /usr/bin/python3.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

ANSI_RE = re.compile(r"\x1b\[[0-9;=?]*[A-Za-z]")
PROMPT = "l1# "


def steps_of(path):
    """[(kind, command, [expected lines])] in the order of the file."""
    steps, in_block = [], False
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("```"):
                in_block = line.strip() == "```console" and not in_block
                continue
            if not in_block:
                continue
            if line.startswith("$ "):
                steps.append(["host", line[2:], []])
            elif line.startswith(PROMPT):
                steps.append(["l1", line[len(PROMPT):], []])
            elif steps:
                if line.strip() != "...":
                    steps[-1][2].append(line.rstrip())
            else:
                sys.exit(f"FAIL: tutorial: output before any command: {line!r}")
    return steps


def pattern(expected):
    return re.compile("^" + ".*".join(re.escape(p) for p in expected.split("...")) + "$")


def check_output(what, expected, got):
    """None, or the first expected line not found (in order)."""
    i = 0
    for e in expected:
        p = pattern(e)
        while i < len(got) and not p.match(got[i]):
            i += 1
        if i == len(got):
            return e
        i += 1
    return None


def clean(text):
    return [ANSI_RE.sub("", x).replace("\r", "").rstrip() for x in text.split("\n")]


class Result:
    def __init__(self):
        self.failed = 0

    def report(self, ok, what, detail=""):
        print(("ok:   " if ok else "FAIL: ") + what + ("" if ok else f": {detail}"))
        self.failed += not ok


def host_command(cmd, args):
    if cmd.startswith("build/"):
        cmd = args.build + "/" + cmd[len("build/"):]
    env = dict(os.environ, NV_BUILD=args.build)
    p = subprocess.run(cmd, shell=True, cwd=args.top, env=env, capture_output=True,
                       text=True, timeout=args.timeout)
    return p.returncode, clean(p.stdout + p.stderr)


def run_session(res, run_cmd, run_expected, l1_steps, args):
    with tempfile.TemporaryDirectory(prefix="nv-tutorial-") as tmp:
        script = os.path.join(tmp, "script.txt")
        log = os.path.join(tmp, "serial.log")
        with open(script, "w", encoding="utf-8") as f:
            for _, cmd, _ in l1_steps:
                f.write(cmd + "\n")
        rc, out = host_command(f"{run_cmd} --script {script} --log {log}", args)
        lines = clean(open(log, "rb").read().decode("utf-8", "replace")) \
            if os.path.exists(log) else []
    res.report(rc == 0, f"$ {run_cmd}", f"exit status {rc}; last lines: {out[-8:]}")
    prompts = [i for i, x in enumerate(lines) if x.startswith(PROMPT)]
    boot = lines[:prompts[0]] if prompts else lines
    miss = check_output(run_cmd, run_expected, boot)
    res.report(miss is None, f"$ {run_cmd}: output", f"not seen: {miss!r}")
    for n, (_, cmd, expected) in enumerate(l1_steps):
        if n >= len(prompts):
            res.report(False, f"l1# {cmd}", "no prompt for it in the serial log")
            continue
        typed = lines[prompts[n]][len(PROMPT):]
        end = prompts[n + 1] if n + 1 < len(prompts) else len(lines)
        out = lines[prompts[n] + 1:end]
        miss = check_output(cmd, expected, out)
        ok = typed == cmd and miss is None
        res.report(ok, f"l1# {cmd}",
                   f"typed {typed!r}" if typed != cmd else f"not seen: {miss!r}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--tutorial", required=True)
    p.add_argument("--top", required=True)
    p.add_argument("--build", required=True)
    p.add_argument("--timeout", type=int, default=900)
    args = p.parse_args()
    args.top = os.path.abspath(args.top)
    args.build = os.path.abspath(args.build)
    steps = steps_of(args.tutorial)
    res = Result()
    if not steps:
        print("FAIL: tutorial: no commands found")
        return 1
    i = 0
    while i < len(steps):
        kind, cmd, expected = steps[i]
        if kind == "l1":
            res.report(False, f"l1# {cmd}", "not inside a `./nv run --linux` session")
            i += 1
            continue
        if cmd.startswith("./nv run --linux"):
            j = i + 1
            while j < len(steps) and steps[j][0] == "l1":
                j += 1
            run_session(res, cmd, expected, steps[i + 1:j], args)
            i = j
            continue
        rc, out = host_command(cmd, args)
        miss = check_output(cmd, expected, out)
        res.report(rc == 0 and miss is None, f"$ {cmd}",
                   f"exit status {rc}" if rc else f"not seen: {miss!r}")
        i += 1
    n = len(steps)
    if res.failed:
        print(f"FAIL: tutorial: {res.failed} of the checks failed ({n} commands)")
        return 1
    print(f"PASS: tutorial: {n} commands run, their output as the tutorial shows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
