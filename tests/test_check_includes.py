# SPDX-License-Identifier: MIT
"""Tests of tests/check_includes.py on tiny fixture trees written to a
temporary directory: every wrong-way include is reported with its file and
line, and nothing else is.  The expected lines follow from the order
boot > svm > drivers > core > mm, written out here by hand."""
import os
import subprocess
import sys
import tempfile

CHECKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check_includes.py")


def write(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)


def run(files):
    with tempfile.TemporaryDirectory() as root:
        write(root, files)
        r = subprocess.run([sys.executable, CHECKER, "--root", root],
                           capture_output=True, text=True)
    return r.returncode, [l for l in r.stdout.splitlines() if not l.startswith(("PASS", "FAIL"))]


def check(name, files, want_rc, want_lines):
    rc, lines = run(files)
    if rc != want_rc or lines != want_lines:
        print("not ok - %s: status %d (want %d), lines:\n  %s\nwant:\n  %s"
              % (name, rc, want_rc, "\n  ".join(lines), "\n  ".join(want_lines)))
        return 1
    print("ok - %s" % name)
    return 0


def main():
    bad = 0
    # Every pair of folders, each way: a file including its own folder and
    # the folders right of it is clean.
    bad += check("the allowed directions", {
        "boot/a.c": '#include "boot/a.h"\n#include "svm/b.h"\n#include "drivers/c.h"\n'
                    '#include "core/d.h"\n#include "mm/e.h"\n',
        "svm/b.h": '#include "svm/x.h"\n#include "drivers/c.h"\n#include "core/d.h"\n'
                   '#include "mm/e.h"\n',
        "drivers/c.S": '#include "drivers/y.h"\n#include "core/d.h"\n#include "mm/e.h"\n',
        "core/d.h": '# include "core/z.h"\n#include "mm/e.h"\n#include <stdint.h>\n',
        "mm/e.h": '#include "mm/w.h"\n#include "local.h"\n#include "tests/host/t.h"\n',
    }, 0, [])
    # The wrong ways, with their lines; a comment or a string is no include,
    # other file types are not read.
    bad += check("the wrong directions", {
        "mm/walk.c": '// SPDX\n#include "mm/pte.h"\n#include "core/x86.h"\n',
        "mm/tools/t.c": '#include "svm/vmcb.h"\n',
        "core/percpu.h": '#include "core/a.h"\n\n#include "svm/nested.h"\n'
                         '  #  include "drivers/uart.h"\n',
        "drivers/uart.c": '#include "svm/x.h"\n#include "boot/y.h"\n',
        "svm/npf.c": '/* #include "boot/config.h" */\nconst char *s = "#include \\"boot/q.h\\"";\n'
                     '#include "boot/config.h"\n',
        "svm/notes.txt": '#include "boot/config.h"\n',
    }, 1, [
        'svm/npf.c:3: svm/ includes "boot/config.h": svm/ may include only svm/, drivers/, core/, mm/',
        'drivers/uart.c:1: drivers/ includes "svm/x.h": drivers/ may include only drivers/, core/, mm/',
        'drivers/uart.c:2: drivers/ includes "boot/y.h": drivers/ may include only drivers/, core/, mm/',
        'core/percpu.h:3: core/ includes "svm/nested.h": core/ may include only core/, mm/',
        'core/percpu.h:4: core/ includes "drivers/uart.h": core/ may include only core/, mm/',
        'mm/walk.c:3: mm/ includes "core/x86.h": mm/ may include only mm/',
        'mm/tools/t.c:1: mm/ includes "svm/vmcb.h": mm/ may include only mm/',
    ])
    print("1..2")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
