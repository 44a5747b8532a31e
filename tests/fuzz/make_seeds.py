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


SEEDERS = {"config": seeds_config}


def main():
    for name in sys.argv[1:] or sorted(SEEDERS):
        SEEDERS[name]()


if __name__ == "__main__":
    main()
