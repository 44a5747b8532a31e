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
# byte, MAXPHYADDR - 32, CR4 allowed u32), L1 state (flags, VM_HSAVE_PA,
# rAX), then patches (op: 0 byte, 1 dword, 2 qword, 3 flip bit; offset u16;
# value u64) or, in raw mode, vmcb12's bytes from offset 0.
def vmcb12_header(mode=1, flags=0x1fff, efer=0x3f, maxphy=48, cr4=0xffffffff,
                  pre=3, hsave=0x1000, gpa=0x2000):
    return (bytes([mode]) + struct.pack("<HBBI", flags, efer, maxphy - 32, cr4)
            + bytes([pre]) + struct.pack("<QQ", hsave, gpa))


def patch(op, off, val):
    return struct.pack("<BHQ", op, off, val)


def seeds_vmcb12():
    one = {
        "valid": [],
        "no-vmrun-intercept": [patch(1, 0x10, 0)],
        "asid-zero": [patch(1, 0x58, 0)],
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
    for name, pre, gpa in (("pre-cpl3", 3 | 3 << 3, 0x2000), ("pre-smm", 7, 0x2000),
                           ("pre-no-svme", 2, 0x2000), ("pre-unaligned", 3, 0x2008),
                           ("pre-gpa-high", 3, 1 << 49)):
        write("vmcb12", name, vmcb12_header(pre=pre, gpa=gpa))
    control = bytearray(0x110)
    struct.pack_into("<I", control, 0x10, 1)
    struct.pack_into("<I", control, 0x58, 1)
    write("vmcb12", "raw-control", vmcb12_header(mode=0) + bytes(control))
    write("vmcb12", "raw-empty", vmcb12_header(mode=0))


SEEDERS = {"config": seeds_config, "insn": seeds_insn, "vmcb12": seeds_vmcb12}


def main():
    for name in sys.argv[1:] or sorted(SEEDERS):
        SEEDERS[name]()


if __name__ == "__main__":
    main()
