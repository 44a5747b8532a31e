#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs nestvisor's libFuzzer targets (tests/fuzz) and sums up.

For each target: its committed seed corpus (CORPUS/<name>) is copied into
WORK/<name>/corpus, where libFuzzer adds what it finds (the committed corpus
is never written); the fuzzer runs for --time seconds; crash, leak, timeout
and out-of-memory inputs land in WORK/<name>/findings.  One line per target
(executions, exec/s, coverage, corpus size, findings) and a total line are
printed; the exit status is 1 if anything was found or a fuzzer failed.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

# Longest input per target (bytes): enough for the input formats in the
# targets' comments, small enough to keep executions fast.
MAX_LEN = {"config": 2048, "insn": 64, "walk": 1024, "shadow_npt": 4096,
           "vmcb12": 4200}
FINDING_PREFIXES = ("crash-", "leak-", "timeout-", "oom-", "slow-unit-")


def seed_files(d):
    return sorted(f for f in os.listdir(d)
                  if not f.startswith(".") and os.path.isfile(os.path.join(d, f)))


class Run:
    def __init__(self, args, name):
        self.name = name
        self.binary = os.path.join(args.bin_dir, "fuzz-" + name)
        self.seeds = os.path.join(args.corpus, name)
        self.dir = os.path.join(args.work, name)
        self.corpus = os.path.join(self.dir, "corpus")
        self.findings = os.path.join(self.dir, "findings")
        self.log = os.path.join(self.dir, "fuzz.log")
        self.time = args.time
        for path, what in ((self.binary, "fuzzer"), (self.seeds, "seed corpus")):
            if not os.path.exists(path):
                sys.exit("fuzz: %s: no %s at %s" % (name, what, path))
        self.nseeds = len(seed_files(self.seeds))
        if not self.nseeds:
            sys.exit("fuzz: %s: the seed corpus %s is empty" % (name, self.seeds))
        if args.fresh:
            shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.corpus, exist_ok=True)
        os.makedirs(self.findings, exist_ok=True)
        have = set(os.listdir(self.corpus))
        for f in seed_files(self.seeds):
            if f not in have:
                shutil.copy(os.path.join(self.seeds, f), self.corpus)
        self.before = set(os.listdir(self.findings))

    def start(self):
        cmd = [self.binary, "-max_total_time=%d" % self.time,
               "-print_final_stats=1", "-timeout=10", "-rss_limit_mb=2048",
               "-max_len=%d" % MAX_LEN.get(self.name, 4096),
               "-artifact_prefix=" + self.findings + "/", self.corpus]
        self.t0 = time.time()
        self.logf = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.logf,
                                     stderr=subprocess.STDOUT)

    def finish(self):
        self.rc = self.proc.wait()
        self.seconds = time.time() - self.t0
        self.logf.close()
        text = open(self.log, errors="replace").read()
        m = re.search(r"stat::number_of_executed_units: (\d+)", text)
        self.execs = int(m.group(1)) if m else 0
        cov = re.findall(r"cov: (\d+) ft: (\d+) corp: (\d+)", text)
        self.cov, self.ft, self.corp = (map(int, cov[-1]) if cov else (0, 0, 0))
        self.found = sorted(f for f in set(os.listdir(self.findings)) - self.before
                            if f.startswith(FINDING_PREFIXES))
        rate = self.execs / self.seconds if self.seconds else 0
        print("fuzz: %-10s %12d executions in %4.0f s (%7.0f/s), cov %5d, "
              "features %6d, corpus %5d (%d seeds), findings %d"
              % (self.name, self.execs, self.seconds, rate, self.cov, self.ft,
                 self.corp, self.nseeds, len(self.found)), flush=True)
        for f in self.found:
            print("fuzz: %s: finding %s" % (self.name, os.path.join(self.findings, f)))
        if self.rc and not self.found:
            print("fuzz: %s: libFuzzer exited with status %d, see %s"
                  % (self.name, self.rc, self.log))
        return not self.found and self.rc == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--time", type=int, default=60, help="seconds per target")
    ap.add_argument("--jobs", type=int, default=1, help="targets run at once")
    ap.add_argument("--fresh", action="store_true",
                    help="start each target from the seed corpus only")
    ap.add_argument("--corpus", required=True, help="committed corpora")
    ap.add_argument("--work", required=True, help="corpus copies, findings, logs")
    ap.add_argument("--bin-dir", required=True, help="where fuzz-<name> are")
    ap.add_argument("targets", nargs="*", help="default: every corpus")
    args = ap.parse_args()
    names = args.targets or sorted(
        d for d in os.listdir(args.corpus)
        if os.path.isdir(os.path.join(args.corpus, d)))
    runs = [Run(args, n) for n in names]
    ok = True
    pending, running = list(runs), []
    while pending or running:
        while pending and len(running) < max(1, args.jobs):
            r = pending.pop(0)
            r.start()
            running.append(r)
        r = running.pop(0)
        ok = r.finish() and ok
    execs = sum(r.execs for r in runs)
    found = sum(len(r.found) for r in runs)
    print("fuzz: total: %d executions in %d targets, findings %d%s"
          % (execs, len(runs), found, "" if ok else " (FAILED)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
