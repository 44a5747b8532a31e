# SPDX-License-Identifier: MIT
# UEFI shell script for the linux-bare-efistub test: starts the kernel's
# EFI stub from the ESP with the same load options nestvisor passes.
fs0:\EFI\linux\vmlinuz.efi initrd=\EFI\linux\initrd.img console=ttyS0 panic=-1
