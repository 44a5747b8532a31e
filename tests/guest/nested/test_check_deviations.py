# SPDX-License-Identifier: MIT
"""Unit tests of check_deviations.py on small synthetic serial logs.
Run with /usr/bin/python3 (registered with Meson, suite 'host')."""

import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_deviations as cd  # noqa: E402

LIST = """# comment
npf.rsvd.a | hardware: 0x1_0000_000D | qemu-tcg: 0x1_0000_000C | spec
npf.rsvd.b | hardware: x | qemu-tcg: y | spec
"""


def log(lines, plan=None, summary=True):
    out = ["noise from the firmware\r", "TAP version 13\r"]
    out.append(f"1..{len(lines) if plan is None else plan}\r")
    failed = 0
    for i, (name, ok) in enumerate(lines, 1):
        out.append(f"{'' if ok else 'not '}ok {i} - {name}\r")
        if not ok:
            out.append("# exit_info_1: got 0x1, want 0x2\r")
            failed += 1
    if summary:
        out.append(f"# nested: {failed} of {len(lines)} cases failed\r")
    return "\n".join(out) + "\n"


class Judge(unittest.TestCase):
    def judge(self, text, mode):
        with tempfile.TemporaryDirectory() as d:
            lp, gp = os.path.join(d, "list"), os.path.join(d, "log")
            with open(lp, "w", encoding="utf-8") as f:
                f.write(LIST)
            with open(gp, "w", encoding="utf-8") as f:
                f.write(text)
            listed = cd.read_list(lp)
            errors, _ = cd.judge(listed, *cd.read_tap(gp), mode)
            return errors

    def test_list_names(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(LIST)
        try:
            self.assertEqual(cd.read_list(f.name), {"npf.rsvd.a", "npf.rsvd.b"})
        finally:
            os.unlink(f.name)

    def test_overlap(self):
        self.assertEqual(cd.overlap({"a", "b"}, {"c"}), [])
        self.assertEqual(cd.overlap({"a", "b"}, {"b", "a", "c"}),
                         ["in both deviation lists: a",
                          "in both deviation lists: b"])

    def test_disjoint_from_fails_before_the_run(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a"), os.path.join(d, "b")
            with open(a, "w", encoding="utf-8") as f:
                f.write("x.y | hardware: 1 | qemu-tcg: 2 | s\n")
            with open(b, "w", encoding="utf-8") as f:
                f.write(LIST + "x.y | hardware: 1 | qemu-tcg: 2 | s\n")
            argv = sys.argv
            sys.argv = ["check_deviations.py", "--list", a, "--log",
                        os.path.join(d, "none"), "--mode", "allow",
                        "--disjoint-from", b, "--", "/bin/false"]
            try:
                self.assertEqual(cd.main(), 1)
            finally:
                sys.argv = argv

    def test_exact_pass_when_failures_are_the_list(self):
        text = log([("exit.cpuid", True), ("npf.rsvd.a", False), ("npf.rsvd.b", False)])
        self.assertEqual(self.judge(text, "exact"), [])

    def test_exact_unexpected_failure(self):
        text = log([("exit.cpuid", False), ("npf.rsvd.a", False), ("npf.rsvd.b", False)])
        self.assertEqual(self.judge(text, "exact"), ["unexpected failure: exit.cpuid"])

    def test_exact_listed_case_passing(self):
        text = log([("exit.cpuid", True), ("npf.rsvd.a", True), ("npf.rsvd.b", False)])
        errors = self.judge(text, "exact")
        self.assertEqual(len(errors), 1)
        self.assertIn("npf.rsvd.a", errors[0])

    def test_allow_mode_lets_listed_cases_pass_or_fail(self):
        text = log([("exit.cpuid", True), ("npf.rsvd.a", True), ("npf.rsvd.b", False)])
        self.assertEqual(self.judge(text, "allow"), [])

    def test_allow_mode_still_fails_unlisted(self):
        text = log([("exit.cpuid", False), ("npf.rsvd.a", True), ("npf.rsvd.b", True)])
        self.assertEqual(self.judge(text, "allow"), ["unexpected failure: exit.cpuid"])

    def test_incomplete_run(self):
        text = log([("npf.rsvd.a", False), ("npf.rsvd.b", False)], plan=3, summary=False)
        errors = self.judge(text, "exact")
        self.assertTrue(any("numbered" in e for e in errors))
        self.assertTrue(any("summary" in e for e in errors))

    def test_listed_case_missing(self):
        text = log([("exit.cpuid", True), ("npf.rsvd.a", False)])
        self.assertEqual(self.judge(text, "exact"), ["listed but not run: npf.rsvd.b"])


if __name__ == "__main__":
    unittest.main()
