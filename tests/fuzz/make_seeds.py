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


SEEDERS = {"config": seeds_config, "insn": seeds_insn}


def main():
    for name in sys.argv[1:] or sorted(SEEDERS):
        SEEDERS[name]()


if __name__ == "__main__":
    main()
