# SPDX-License-Identifier: MIT
"""Turn the "->NAME value" markers of asm-offsets.s into #defines."""
import re
import sys

src, dst = sys.argv[1], sys.argv[2]
lines = ["/* Generated from svm/asm-offsets.c: do not edit. */",
         "#ifndef NV_ASM_OFFSETS_H", "#define NV_ASM_OFFSETS_H"]
for m in re.finditer(r'->(\w+) \$?(-?\d+)', open(src).read()):
    lines.append("#define %s %s" % (m.group(1), m.group(2)))
lines += ["#endif", ""]
open(dst, "w").write("\n".join(lines))
