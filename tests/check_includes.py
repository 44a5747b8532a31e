# SPDX-License-Identifier: MIT
"""Check that includes between nestvisor's folders point one way.

    check_includes.py [--root DIR]

The folders are ordered boot > svm > drivers > core > mm: a file in one of
them may include, by an `#include "<folder>/..."`, its own folder and the
folders to its right, never one to its left (docs/architecture.md).  So
mm/ includes only mm/, and core/ never includes svm/ or drivers/.  Every
.c, .h and .S file under the five folders of DIR (default: the repository)
is read; includes without a folder ("nv_npt.h") and of other top-level
directories are not part of the order.  Each wrong-way include is printed
as FILE:LINE: ...; the exit status is 1 if there is one.
"""
import argparse
import os
import re
import sys

ORDER = ["boot", "svm", "drivers", "core", "mm"]
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
SUFFIXES = (".c", ".h", ".S")


def allowed(folder):
    """The folders a file in `folder` may include: itself and those right of it."""
    return ORDER[ORDER.index(folder):]


def check_file(root, path, folder):
    problems = []
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if not m or "/" not in m.group(1):
                continue
            target = m.group(1).split("/", 1)[0]
            if target in ORDER and target not in allowed(folder):
                problems.append(
                    '%s:%d: %s/ includes "%s": %s/ may include only %s'
                    % (path, lineno, folder, m.group(1), folder,
                       ", ".join(d + "/" for d in allowed(folder))))
    return problems


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    args = p.parse_args(argv)
    problems = []
    files = 0
    for folder in ORDER:
        top = os.path.join(args.root, folder)
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(SUFFIXES):
                    rel = os.path.relpath(os.path.join(dirpath, name), args.root)
                    problems += check_file(args.root, rel, folder)
                    files += 1
    for line in problems:
        print(line)
    if problems:
        print("FAIL: check_includes: %d wrong-way include(s) in %d files" % (len(problems), files))
        return 1
    print("PASS: check_includes: %d files, every include points %s" % (files, " > ".join(ORDER)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
