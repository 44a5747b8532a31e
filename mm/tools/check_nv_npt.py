# SPDX-License-Identifier: MIT
"""Run nv-npt on one named case and check exit status and output.

usage: check_nv_npt.py NV_NPT CASE

Good cases check the decoded exit_info_1 against the values of
docs/semantics.md (decision table §5.1, §6.3 cases); bad cases
check that the message names the field and the exit status is 2.
"""
import os
import subprocess
import sys
import tempfile

L1_LM = ["--cr4", "0x20", "--efer", "0xd00"]          # PAE, LME|LMA|NXE
L1_LM_NONX = ["--cr4", "0x20", "--efer", "0x500"]     # PAE, LME|LMA
PATH4 = ["--addr", "0x40201000", "--pte", "0x7", "--pte", "0x7", "--pte", "0x7"]

GOOD = {
    # §5.1 row 3, KUT npt_us
    "npt_us": (L1_LM + ["--access", "read"] + PATH4 + ["--pte", "0x1003"],
               ["exit_info_1 = 0x0000000100000005", "bit  2 US          1",
                "exit_info_2 = 0x0000000040201000",
                "US=1    without GMET every NPT access is a user access",
                "[user access to a supervisor page (U=0 at some level)]"]),
    # §5.1 row 5, KUT npt_rw_pfwalk
    "npt_rw_pfwalk": (L1_LM + ["--access", "pt"] + PATH4 + ["--pte", "0x1005"],
                      ["exit_info_1 = 0x0000000200000007",
                       "bit 33 GUEST_PAGE  1"]),
    # §5.1 row 7, KUT npt_nx
    "npt_nx": (L1_LM + ["--access", "fetch"] + PATH4 +
               ["--pte", "0x8000000000001007"],
               ["exit_info_1 = 0x0000000100000015", "fetch from a no-execute page"]),
    # §5.1 row 2, KUT rsvd with host NXE=0, SMEP=0 (NX is the reserved bit)
    "npt_rsvd": (L1_LM_NONX + ["--access", "fetch"] + PATH4 +
                 ["--pte", "0x8000000000001007"],
                 ["exit_info_1 = 0x000000010000000d", "reserved bits 0x8000000000000000"]),
    # §5.1 row 13 / §6.3 (a): GMET violation, L1 NXE=0 SMEP=0: no I/D
    "gmet_violation_no_id": (L1_LM_NONX + ["--gmet", "1", "--access", "fetch"] +
                             PATH4 + ["--pte", "0x1007"],
                             ["exit_info_1 = 0x0000000100000001",
                              "bit  4 I/D         0  (has_pferr_fetch=0)",
                              "supervisor fetch from a user page",
                              "I/D=0   a fetch, but has_pferr_fetch=0",
                              "US=0    with GMET, US is whether L2 ran at CPL 3"]),
    # §6.3 (b): not-present fetch, L1 SMEP=1, NXE=0, no GMET: I/D set
    "smep_not_present_fetch_id": (["--cr4", "0x100020", "--efer", "0x500",
                                   "--access", "fetch"] + PATH4 + ["--pte", "0"],
                                  ["exit_info_1 = 0x0000000100000014",
                                   "has_pferr_fetch=1", "not present",
                                   "P=0     the PTE (level 1) is not present",
                                   "I/D=1   a fetch, and has_pferr_fetch=1"]),
    # §5.1 row 15: GMET, CPL 3 fetch of U=1: no fault; A set everywhere
    "gmet_user_fetch_ok": (L1_LM + ["--gmet", "1", "--access", "fetch", "--cpl", "3"] +
                           PATH4 + ["--pte", "0x1007"],
                           ["no fault; translates to 0x1000", "sets A in the PTE"]),
    # 2 MiB leaf, write: A on every level, D only on the leaf
    "large_write_ok": (L1_LM + ["--access", "write", "--addr", "0x40201abc",
                                "--pte", "0x7", "--pte", "0x7", "--pte", "0x200087"],
                       ["translates to 0x201abc", "sets A in the PDPTE",
                        "sets A D in the PDE", "2 MiB page"]),
    "file_input": (L1_LM + ["--access", "read", "--addr", "0x40201000",
                            "--pte-file", "@ptes"],
                   ["exit_info_1 = 0x0000000100000005"]),
    "matrix_md": (["matrix"] + L1_LM + ["--gmet", "1"],
                  ["| access | R--- | RW-- | R-U- | RWU- | R--X | RW-X | R-UX | RWUX |",
                   "| fetch supervisor | fault | fault | fault | fault | ok | ok | fault | fault |",
                   "| read user | ok | ok | ok | ok | ok | ok | ok | ok |"]),
    "matrix_csv": (["matrix", "--format", "csv"] + L1_LM,
                   ["access,R---,RW--,R-U-,RWU-,R--X,RW-X,R-UX,RWUX",
                    "read user,fault,fault,ok,ok,fault,fault,ok,ok",
                    "fetch user,fault,fault,fault,fault,fault,fault,ok,ok"]),
}

BAD = {
    "bad_number": (["--cr4", "0x2g"] + PATH4, "--cr4: malformed number '0x2g'"),
    "bad_access": (["--access", "jump"] + PATH4, "--access: unknown access 'jump'"),
    "bad_la57": (["--la57", "--pae"] + PATH4, "--la57: impossible combination"),
    "bad_lma_no_pae": (["--efer", "0x500"] + PATH4, "--efer: impossible combination"),
    "bad_gmet_paging": (["--mode", "paging", "--gmet", "1"] + PATH4, "--gmet: only valid"),
    "bad_gmet_value": (["--gmet", "2"], "--gmet: must be 0 or 1"),
    "bad_cpl": (["--cpl", "4"], "--cpl: must be 0..3"),
    "bad_too_few": (L1_LM + PATH4, "--pte: too few entries"),
    "bad_too_many": (L1_LM + ["--addr", "0", "--pte", "0", "--pte", "7"],
                     "--pte: too many entries"),
    "bad_no_pte": (L1_LM + ["--addr", "0"], "--pte: no entries given"),
    "bad_no_addr": (L1_LM + ["--pte", "0"], "--addr: missing"),
    "bad_option": (["--frobnicate"], "--frobnicate: unknown option"),
    "bad_format": (["matrix", "--format", "xml"], "--format: must be md or csv"),
}


def main():
    tool, case = sys.argv[1], sys.argv[2]
    if case in GOOD:
        args, want = GOOD[case]
        if "@ptes" in args:
            f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
            f.write("# root first\n0x7\n0x7\n\n0x7   # PDE\n0x1003\n")
            f.close()
            args = [f.name if a == "@ptes" else a for a in args]
        want_rc, stream = 0, "stdout"
    elif case in BAD:
        args, msg = BAD[case]
        want, want_rc, stream = [msg], 2, "stderr"
    else:
        sys.exit("unknown case " + case)
    p = subprocess.run([tool] + args, capture_output=True, text=True)
    for a in args:
        if a.startswith(tempfile.gettempdir()) and a.endswith(".txt"):
            os.unlink(a)
    out = getattr(p, stream)
    ok = p.returncode == want_rc and all(w in out for w in want)
    if not ok:
        print("command:", " ".join([tool] + args))
        print("exit status", p.returncode, "wanted", want_rc)
        print("wanted in", stream + ":", want)
        print("--- stdout\n" + p.stdout + "--- stderr\n" + p.stderr)
        sys.exit(1)
    print(case, "ok")


if __name__ == "__main__":
    main()
