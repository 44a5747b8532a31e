#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<name>/).

The seeds are committed; this script documents how they were made and can
make them again (`tests/fuzz/make_seeds.py [TARGET...]`).  Each seed is laid
out as the target's LLVMFuzzerTestOneInput comment describes; inputs that
broke an invariant once are kept beside them as regression-* files, which
this script leaves alone.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- config: mode byte (1 file, 2 load options, 4 non-default start) + text
def seeds_config():
    files = {
        "file-default": b"# comment\nnext = \\EFI\\nestvisor\\next.efi\nlog = info\n",
        "file-all-keys": b"next=/EFI/linux/vmlinuz.efi\r\nargs = \"console=ttyS0 # not a comment\"\r\n"
                         b"log=trace\r\nmemory = 0x4000000\r\nserial = 2f8\r\ndebug_exit = off # end\r\n",
        "file-bad-key": b"# bad\n\nfrobnicate = yes\nnext = \\EFI\\a.efi\n",
        "file-duplicate": b"log = info\nmemory = 9m\nlog = debug\n",
        "file-quotes": b"args = \"\"\nnext = \"\\EFI\\x y.efi\"  # c\nargs2 = \"a\" b\n",
        "file-ranges": b"memory = 1G\nserial = none\nmemory = 7M\n",
        "file-bytes": b"next = \\EFI\\\x01x.efi\nlog = \xc3\xa9\n",
    }
    for name, text in files.items():
        write("config", name, bytes([1]) + text)
    lines = {
        "cmd-shell": b"nestvisor.efi next=\\EFI\\a.efi log=debug args=initrd=\\i.img console=ttyS0 ",
        "cmd-quoted": b"next=\"\\EFI\\b c.efi\" memory=64M serial=0x3f8 debug_exit=on",
        "cmd-errors": b"next=\\EFI\\a.efi next=\\EFI\\b.efi\x00args=x",
        "cmd-missing-equals": b"log debug",
    }
    for name, text in lines.items():
        write("config", name, bytes([2]) + text)
    write("config", "both-nondefault", bytes([7]) + b"serial = 0x1\nargs=\n")


# ---- insn: mode byte (value % 3: 16-, 32-, 64-bit code) + instruction bytes
def seeds_insn():
    m16, m32, m64 = 0, 1, 2
    seeds = {
        "cpuid": (m64, "0fa2"),
        "rdmsr-66": (m32, "660f32"),
        "wrmsr-rex": (m64, "480f30"),
        "vmrun-67": (m64, "670f01d8"),
        "vmmcall": (m16, "0f01d9"),
        "rdtscp": (m64, "0f01f9"),
        "xsetbv-f3": (m64, "f30f01d1"),
        "pause": (m32, "f390"),
        "pause-rex": (m64, "f34090"),
        "int-80": (m32, "cd80"),
        "into": (m32, "36ce"),
        "into-64": (m64, "ce"),
        "in-imm": (m16, "e460"),
        "out-dx-66": (m32, "66ef"),
        "rep-outsb": (m64, "f36e"),
        "mov-cr3-read": (m64, "0f20d8"),
        "mov-cr8-rex": (m64, "440f22c0"),
        "lock-mov-cr0": (m32, "f00f22c0"),
        "mov-dr7": (m64, "0f23f8"),
        "invlpg-sib-disp32": (m64, "0f01bc2444332211"),
        "invlpg-rip": (m64, "0f013d78563412"),
        "invlpg-16-disp16": (m16, "0f01be3412"),
        "invlpg-67-32": (m16, "670f013c2590909090"),
        "rex-then-legacy": (m64, "48660f01d8"),
        "fifteen": (m64, "66" * 12 + "0f01d8"),
        "sixteen": (m32, "26" * 14 + "0fa2"),
        "truncated": (m64, "f3f3f30f01"),
        "unknown": (m64, "0f0b"),
        "hlt-trailing": (m16, "f4" + "00" * 20),
    }
    for name, (mode, hexbytes) in seeds.items():
        write("insn", name, bytes([mode]) + bytes.fromhex(hexbytes))


# ---- vmcb12: mode (bit 0: patch a valid vmcb12), caps (flags u16, EFER
# byte, MAXPHYADDR - 32, CR4 allowed u32, number of ASIDs u16), L1 state
# (flags, VM_HSAVE_PA, rAX), the PAE PDPTEs (readable byte, 4 x u64), then
# patches (op: 0 byte, 1 dword, 2 qword, 3 flip bit; offset u16;
# value u64) or, in raw mode, vmcb12's bytes from offset 0.
def vmcb12_header(mode=1, flags=0x1fff, efer=0x3f, maxphy=48, cr4=0xffffffff,
                  asids=16, pre=3, hsave=0x1000, gpa=0x2000, pdptes_readable=1,
                  pdptes=(0x1001, 0x2001, 0, 0x3001)):
    return (bytes([mode]) + struct.pack("<HBBIH", flags, efer, maxphy - 32, cr4, asids)
            + bytes([pre]) + struct.pack("<QQ", hsave, gpa)
            + bytes([pdptes_readable]) + struct.pack("<4Q", *pdptes))


def patch(op, off, val):
    return struct.pack("<BHQ", op, off, val)


def seeds_vmcb12():
    one = {
        "valid": [],
        "no-vmrun-intercept": [patch(1, 0x10, 0)],
        "asid-zero": [patch(1, 0x58, 0)],
        "asid-too-high": [patch(1, 0x58, 16)],
        "pae-no-np": [patch(2, 0x90, 0), patch(2, 0x4d0, 0x1000), patch(2, 0x548, 0x20)],
        "ncr3-high": [patch(2, 0xb0, 1 << 50)],
        "msrpm-at-top": [patch(2, 0x48, (1 << 48) - 0x1000)],
        "iopm-at-top": [patch(2, 0x40, (1 << 48) - 0x2fff)],
        "iopm-over-top": [patch(2, 0x40, (1 << 48) - 0x2000)],
        "vnmi-no-intercept": [patch(1, 0x60, 1 << 26), patch(1, 0x0c, 0)],
        "evtinj-type-1": [patch(1, 0xa8, 0x80000100)],
        "evtinj-exc-nmi": [patch(1, 0xa8, 0x80000302)],
        "evtinj-exc-cp": [patch(1, 0xa8, 0x80000b15)],
        "evtinj-intr-ok": [patch(1, 0xa8, 0x800000ff)],
        "efer-no-svme": [patch(2, 0x4d0, 0x500)],
        "cr0-nw": [patch(2, 0x558, 0xa0000011)],
        "cr0-high": [patch(2, 0x558, 0x180000011)],
        "dr6-high": [patch(2, 0x568, 1 << 32)],
        "dr7-high": [patch(2, 0x560, 1 << 40)],
        "lm-no-pae": [patch(2, 0x548, 0)],
        "lm-no-pe": [patch(2, 0x558, 0x80000010)],
        "lm-cr3-high": [patch(2, 0x550, 1 << 52)],
        "lm-cs-l-d": [patch(0, 0x413, 0x06)],
        "cr4-reserved": [patch(2, 0x548, 0x20 | 1 << 13)],
        "efer-reserved": [patch(2, 0x4d0, 0x1d00 | 1 << 9)],
        "gpat-reserved": [patch(2, 0x668, 0x0007040600070402)],
        "flip-bits": [patch(3, 0x90, 1), patch(3, 0x4d0, 4), patch(3, 0x60, 26 % 8)],
        "sanitised": [patch(2, 0x90, 0xff), patch(1, 0x60, 0xffffffff),
                      patch(0, 0x5c, 5), patch(2, 0xb8, 3), patch(2, 0xe0, 0x1234000),
                      patch(1, 0x14, 0xffffffff), patch(1, 0x10, 0xffffffff)],
    }
    for name, patches in one.items():
        write("vmcb12", "patch-" + name, vmcb12_header() + b"".join(patches))
    write("vmcb12", "patch-few-caps", vmcb12_header(flags=0, efer=0, maxphy=36, cr4=0x20))
    pae = [patch(2, 0x90, 0), patch(2, 0x4d0, 0x1000), patch(2, 0x548, 0x20)]
    write("vmcb12", "patch-pae-pdpte-reserved",
          vmcb12_header(pdptes=(0x1001, 0x2003, 0, 0)) + b"".join(pae))
    write("vmcb12", "patch-pae-pdpte-unreadable",
          vmcb12_header(pdptes_readable=0) + b"".join(pae))
    for name, pre, gpa in (("pre-cpl3", 3 | 3 << 3, 0x2000), ("pre-smm", 7, 0x2000),
                           ("pre-no-svme", 2, 0x2000), ("pre-unaligned", 3, 0x2008),
                           ("pre-gpa-high", 3, 1 << 49)):
        write("vmcb12", name, vmcb12_header(pre=pre, gpa=gpa))
    control = bytearray(0x110)
    struct.pack_into("<I", control, 0x10, 1)
    struct.pack_into("<I", control, 0x58, 1)
    write("vmcb12", "raw-control", vmcb12_header(mode=0) + bytes(control))
    write("vmcb12", "raw-empty", vmcb12_header(mode=0))


# ---- walk: flags, MAXPHYADDR, CR4, EFER/CR0, access, address u64, root
# (page selector, low u16), one (selector, value u64) per level, a noise
# count and (page, index u16, value u64) records, then mutations (at, page,
# index u16, value u64, xor).  Pages 0..7 are the target's page_gpa[].
F_NPT, F_GMET, F_GB, F_RAWMP, F_GUEST = 1, 2, 4, 8, 16
C4_PAE, C4_PSE, C4_LA57, C4_SMEP, C4_SMAP = 1, 2, 4, 8, 16
EF_LMA, EF_NXE, EF_PG, EF_WP = 1, 2, 4, 8
AC_W, AC_U, AC_F, AC_SMAPOFF, AC_FINAL, AC_PAGE = 1, 2, 4, 8, 16, 32
RAW = 0x80
ADDR = (1 << 39) * 1 + (2 << 30) + (3 << 21) + (4 << 12) + 0x567


def walk_seed(flags=F_NPT, mp=48, c4=C4_PAE, ef=EF_LMA | EF_NXE, ac=AC_FINAL,
              addr=ADDR, root=(0, 0), entries=(), noise=(), muts=()):
    b = bytes([flags, mp - 32 if not flags & F_RAWMP else mp, c4, ef, ac])
    b += struct.pack("<QBH", addr, root[0], root[1])
    for sel, val in entries:
        b += struct.pack("<BQ", sel, val)
    b += bytes([len(noise)])
    for page, idx, val in noise:
        b += struct.pack("<BHQ", page, idx, val)
    for at, page, idx, val, xor in muts:
        b += struct.pack("<BBHQB", at, page, idx, val, xor)
    return b


def seeds_walk():
    t = 7  # P | W | U
    path4 = [(1, t), (2, t), (3, t), (RAW, 0x123456000 | t)]
    seeds = {
        "npt4-4k-read": walk_seed(entries=path4),
        "npt4-4k-write-cpl3": walk_seed(ac=AC_FINAL | AC_W | AC_U, entries=path4),
        "npt4-2m": walk_seed(entries=path4[:2] + [(RAW, 0x40000000 | 0x87)]),
        "npt4-1g": walk_seed(flags=F_NPT | F_GB, entries=path4[:1] + [(RAW, 0x80000000 | 0x87)]),
        "npt4-1g-no-gbpages": walk_seed(entries=path4[:1] + [(RAW, 0x80000000 | 0x87)]),
        "npt4-gmet-fetch": walk_seed(flags=F_NPT | F_GMET, ac=AC_FINAL | AC_F, entries=path4),
        "npt4-gmet-user-fetch": walk_seed(flags=F_NPT | F_GMET, ac=AC_FINAL | AC_F | AC_U,
                                          entries=path4),
        "npt4-pt-stage": walk_seed(ac=AC_PAGE, entries=path4[:3] + [(RAW, 0x5000 | 5)]),
        "npt4-user0": walk_seed(entries=[(1, t), (2, 3), (3, t), (RAW, 0x9000 | t)]),
        "npt4-nx-no-nxe": walk_seed(ef=EF_LMA, ac=AC_FINAL | AC_F,
                                    entries=path4[:3] + [(RAW, (1 << 63) | 0x9000 | t)]),
        "npt4-nx-fetch": walk_seed(ac=AC_FINAL | AC_F,
                                   entries=path4[:3] + [(RAW, (1 << 63) | 0x9000 | t)]),
        "npt4-rsvd-maxphy36": walk_seed(mp=36, entries=path4[:3] + [(RAW, (1 << 40) | t)]),
        "npt4-pml4e-ps": walk_seed(entries=[(1, t | 0x80)] + path4[1:]),
        "npt4-not-present": walk_seed(entries=path4[:2] + [(3, 6)] + path4[3:]),
        "npt4-unbacked-table": walk_seed(entries=path4[:1] + [(RAW, 0x555000 | t)]),
        "npt4-high-tables": walk_seed(mp=40, entries=[(6, t), (7, t), (5, t), (RAW, 0x1000 | t)]),
        "npt4-self-loop": walk_seed(addr=(1 << 39) | (1 << 30) | (1 << 21) | (1 << 12),
                                    entries=[(0, t), (0, t), (0, t), (0, t)]),
        "npt4-loop-to-root": walk_seed(entries=[(1, t), (0, t), (1, t), (RAW, 0x7000 | t)]),
        "npt4-ad-set": walk_seed(ac=AC_FINAL | AC_W,
                                 entries=[(1, t | 0x20), (2, t | 0x20), (3, t), (RAW, 0x8000 | 0x67)]),
        "npt2-legacy": walk_seed(c4=0, ef=0, entries=[(1, t), (RAW, 0x3000 | t)]),
        "npt3-pae": walk_seed(c4=C4_PAE, ef=EF_NXE, entries=[(1, 1), (2, t), (RAW, 0x3000 | t)]),
        "npt5-la57": walk_seed(c4=C4_PAE | C4_LA57, entries=[(4, t)] + path4),
        "pf2-pse-4m": walk_seed(flags=0, c4=C4_PSE, ef=EF_PG | EF_WP, ac=AC_W | AC_U,
                                addr=0x00c01234, entries=[(RAW, 0x00400000 | 0x2000 | 0x87)]),
        "pf3-pae": walk_seed(flags=0, c4=C4_PAE, ef=EF_PG | EF_NXE, ac=AC_F,
                             root=(0, 0x20), entries=[(1, 1), (2, t), (RAW, 0x6000 | t)]),
        "pf4-smep-smap": walk_seed(flags=F_GUEST, c4=C4_PAE | C4_SMEP | C4_SMAP,
                                   ef=EF_LMA | EF_PG | EF_NXE | EF_WP, ac=0, entries=path4),
        "pf4-smap-override": walk_seed(flags=0, c4=C4_PAE | C4_SMAP, ef=EF_LMA | EF_PG,
                                       ac=AC_SMAPOFF, entries=path4),
        "pf5": walk_seed(flags=0, c4=C4_PAE | C4_LA57, ef=EF_LMA | EF_PG, entries=[(4, t)] + path4),
        "paging-off": walk_seed(flags=0, c4=0, ef=0, addr=0xdeadbeef),
        "raw-maxphyaddr": walk_seed(flags=F_NPT | F_RAWMP, mp=0xff, entries=path4),
        "noise": walk_seed(entries=path4, noise=[(1, 2, 0x2007), (0, 1, 0), (3, 4, 0x8000000000000007)]),
        # Another CPU clears the PDE just before the walk reads it, and
        # changes the leaf between the read and the A-bit cmpxchg.
        "mutate-before-read": walk_seed(entries=path4, muts=[(2, 2, 3, 0, 0)]),
        "mutate-before-cmpxchg": walk_seed(entries=path4, muts=[(4, 3, 4, 0x40, 1)]),
        "mutate-many": walk_seed(ac=AC_FINAL | AC_W, entries=path4,
                                 muts=[(4, 3, 4, 0x2, 1), (5, 3, 4, 0x2, 1), (9, 0, 1, 0x20, 1),
                                       (10, 2, 3, 0x80, 1)]),
    }
    for name, data in seeds.items():
        write("walk", name, data)


# ---- shadow_npt: c0, c1, MAXPHYADDR byte, then operations (the target's
# header comment gives each one's arguments).
S_PAE, S_PSE, S_LA57, S_SMEP, S_LMA, S_NXE, S_GMET, S_HWGMET = (1 << i for i in range(8))
S_L1GB, S_L0GB, S_REFUSE = 1, 2, 4
K_READ, K_WRITE, K_FETCH, K_PT, K_CPL3, K_USER, K_NEAR, K_HIGH, K_P, K_BOTH = \
    0, 1, 2, 3, 4, 8, 16, 32, 64, 128
L_REGION, L_FRAG, L_BADHPA, L_BEYOND, L_MEM = 0x80, 0x81, 0x82, 0x83, 0x84
L2 = 0x40201000  # indexes 0, 1, 1, 1 in 4 levels


def snpt_head(c0=S_PAE | S_LMA | S_NXE, c1=S_L1GB | S_L0GB | (31 << 3), mp=12):
    return bytes([c0, c1, mp])


def op_map(l2, entries):
    """entries: (selector, value[, target]) from the root down."""
    b = struct.pack("<BQ", 0, l2)
    for e in entries:
        b += struct.pack("<BQ", e[0], e[1])
        if e[0] & 0x80:
            b += struct.pack("<Q", e[2])
    return b


def op_fault(l2, kind):
    return struct.pack("<BQB", 2, l2, kind)


def op_write(page, idx, val):
    return struct.pack("<BBHQ", 4, page, idx, val)


def op_invlpga(l2):
    return struct.pack("<BQ", 5, l2)


def op_flush():
    return bytes([6])


def op_ncr3(page, low):
    return struct.pack("<BBH", 7, page, low)


def seeds_shadow_npt():
    t = 7
    path4 = [(1, t), (2, t), (3, t), (L_MEM, t | 0x40, 0x12345000)]
    faults = [op_fault(L2, K_READ), op_fault(L2 + 8, K_WRITE | K_CPL3),
              op_fault(L2, K_FETCH), op_fault(L2, K_PT)]
    seeds = {
        "map-fault-4k": snpt_head() + op_map(L2, path4) + b"".join(faults),
        "map-2m-1g": snpt_head() + op_map(L2, [(1, t), (2, t), (L_MEM, 0x87, 0x40000000)])
        + op_map(0x80000000, [(1, t), (L_MEM, 0xe7, 0x80000000)]) + op_fault(L2, K_READ)
        + op_fault(0x80001234, K_WRITE) + op_fault(0x80201234, K_FETCH | K_CPL3),
        "l1-write-trap": snpt_head() + op_map(L2, path4) + op_fault(L2, K_READ)
        + op_write(3, 1, 0) + op_fault(L2, K_READ) + op_write(3, 1, 0x55000 | t)
        + op_fault(L2, K_WRITE) + op_write(0, 0, 0),
        "invlpga-flush": snpt_head() + op_map(L2, path4) + op_fault(L2, K_READ)
        + op_invlpga(L2) + op_fault(L2, K_WRITE) + op_flush() + op_fault(L2, K_READ),
        "gmet-emulated": snpt_head(c0=S_PAE | S_LMA | S_NXE | S_GMET) + op_map(L2, path4)
        + op_map(L2 + 0x1000, [(1, t), (2, t), (3, t), (L_MEM, 3, 0x54321000)])
        + op_fault(L2, K_FETCH) + op_fault(L2, K_FETCH | K_CPL3)
        + op_fault(L2 + 0x1000, K_FETCH | K_USER) + op_fault(L2, K_READ | K_USER),
        "gmet-hardware": snpt_head(c0=S_PAE | S_LMA | S_NXE | S_GMET | S_HWGMET)
        + op_map(L2, path4) + op_fault(L2, K_FETCH) + op_fault(L2, K_FETCH | K_CPL3),
        "smep-no-nxe": snpt_head(c0=S_PAE | S_LMA | S_SMEP) + op_map(L2, path4)
        + op_fault(L2, K_FETCH),
        "pae-3level": snpt_head(c0=S_PAE | S_NXE)
        + op_map(L2, [(1, 1), (2, t), (L_MEM, t, 0x9000)]) + op_fault(L2, K_READ)
        + op_map(0xc0000000, [(1, 1), (L_MEM, 0x87, 0x200000)]) + op_fault(0xc0000000, K_WRITE),
        "2level-pse": snpt_head(c0=S_PSE)
        + op_map(0x00c01000, [(L_MEM, 0x87, 0x00400000)]) + op_fault(0x00c01000, K_READ)
        + op_map(0x01001000, [(2, t), (L_MEM, t, 0x7000)]) + op_fault(0x01001000, K_WRITE),
        "5level": snpt_head(c0=S_PAE | S_LA57 | S_LMA | S_NXE)
        + op_map(L2, [(4, t)] + path4) + op_fault(L2, K_READ)
        + op_fault(1 << 50, K_READ | K_HIGH),
        "pool-exhaustion": snpt_head(c1=S_L1GB | S_L0GB)
        + b"".join(op_map(L2 + (i << 30), [(1, t), (2, t), (3, t), (L_MEM, t, 0x1000 * i)])
                   + op_fault(L2 + (i << 30), K_READ) for i in range(6)),
        "protect-refused": snpt_head(c1=S_L1GB | S_L0GB | S_REFUSE | (31 << 3), mp=12 | 3 << 5)
        + op_map(L2, path4) + op_fault(L2, K_READ) + op_write(3, 1, 0) + op_fault(L2, K_READ),
        "leaf-targets": snpt_head()
        + b"".join(op_map(L2 + (i << 12), [(1, t), (2, t), (3, t), (sel, t, 0x2345)])
                   + op_fault(L2 + (i << 12), K_READ)
                   for i, sel in enumerate((L_REGION, L_FRAG, L_BADHPA, L_BEYOND))),
        "ncr3-roots": snpt_head(c0=S_PAE | S_LMA | S_NXE | S_GMET) + op_map(L2, path4)
        + b"".join(op_ncr3(i % 3, i * 0x10) + op_fault(L2, K_FETCH | (K_USER if i & 1 else 0))
                   for i in range(12)),
        "near-and-both-stages": snpt_head() + op_map(L2, path4)
        + op_fault(0x1234, K_NEAR | K_BOTH | K_P) + op_fault(0x0102030405060708, K_NEAR | K_PT),
        "reserved-and-not-present": snpt_head(mp=0)
        + op_map(L2, [(1, t), (2, t | 0x80 | 0x100), (3, t), (L_MEM, t, 0x1000)])
        + op_fault(L2, K_READ) + op_map(L2 + 0x1000, [(1, t), (2, 6)]) + op_fault(L2 + 0x1000, K_WRITE),
        "loop": snpt_head() + op_map(0, [(0, t), (0, t), (0, t), (0, t)]) + op_fault(0, K_WRITE)
        + op_fault(0x40201000, K_READ),
    }
    for name, data in seeds.items():
        write("shadow_npt", name, data)


SEEDERS = {"config": seeds_config, "insn": seeds_insn, "vmcb12": seeds_vmcb12,
           "walk": seeds_walk, "shadow_npt": seeds_shadow_npt}


def main():
    for name in sys.argv[1:] or sorted(SEEDERS):
        SEEDERS[name]()


if __name__ == "__main__":
    main()
