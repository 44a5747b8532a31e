#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mkosdisk.sh MKESP GRUB_CFG VMLINUZ INITRD OUTPUT
#
# The "installed operating system" disk of the boot-chain tests: a GPT disk
# image with one EFI system partition (MKESP, boot/mkesp.sh) holding
#	\EFI\BOOT\BOOTX64.EFI	Debian's GRUB (grub-efi-amd64-bin) as one
#				standalone image, GRUB_CFG embedded as its
#				(boot)/boot/grub/grub.cfg
#	\EFI\linux\vmlinuz.efi	VMLINUZ, Debian's kernel
#	\EFI\linux\initrd.img	INITRD, the test initramfs (mkinitramfs.sh)
# The firmware finds GRUB through the removable-media path, as on a disk
# whose boot entry is lost.
set -eu

[ $# -eq 5 ] || { echo "usage: mkosdisk.sh MKESP GRUB_CFG VMLINUZ INITRD OUTPUT" >&2; exit 1; }
mkesp=$1 cfg=$2 vmlinuz=$3 initrd=$4 out=$5
grub_dir=/usr/lib/grub/x86_64-efi

command -v grub-mkstandalone >/dev/null 2>&1 ||
	{ echo "mkosdisk.sh: grub-mkstandalone missing (apt-get install grub-efi-amd64-bin)" >&2; exit 1; }
[ -f "$grub_dir/linux.mod" ] ||
	{ echo "mkosdisk.sh: no $grub_dir (apt-get install grub-efi-amd64-bin)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Only the modules the config needs, no fonts, locales or themes: about
# 1 MB instead of 8.
mods="part_gpt fat search search_fs_file linux echo normal"
grub-mkstandalone -O x86_64-efi -d "$grub_dir" -o "$work/grubx64.efi" \
	--modules="$mods" --install-modules="$mods configfile" \
	--locales= --fonts= --themes= \
	"boot/grub/grub.cfg=$cfg"
"$mkesp" "$out" 64 TESTOS \
	"$work/grubx64.efi" '\EFI\BOOT\BOOTX64.EFI' \
	"$vmlinuz" '\EFI\linux\vmlinuz.efi' \
	"$initrd" '\EFI\linux\initrd.img'
