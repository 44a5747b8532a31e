#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# mkimage.sh --efi NESTVISOR_EFI [--out FILE] [--next PATH [--args "..."]]
#            [--file SRC ESP_PATH]... [--size MIB] [--quiet]
#
# The body of `./nv image`: writes a raw disk image for a USB stick (GPT,
# one FAT32 EFI system partition, see mkesp.sh) holding
#	\EFI\BOOT\BOOTX64.EFI	nestvisor (the removable-media boot path,
#				UEFI 2.x §3.5.1.1)
#	\EFI\BOOT\nestvisor.cfg	next = auto, or next = PATH and args = "..."
# and any --file, then prints where it is and the dd command that writes it.
# The values are checked here with the rules of boot/config.h, so that the
# image never holds a config nestvisor would refuse.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage='usage: ./nv image [--out FILE] [--next PATH [--args "..."]] [--file SRC ESP_PATH]... [--efi FILE] [--size MIB]'

die() {
	echo "nv image: $*" >&2
	exit 2
}

efi='' out='' next='' args='' have_next=0 have_args=0 size=64 quiet=0
files=()
while (($#)); do
	opt=$1
	case $opt in
	--efi|--out|--next|--args|--size)
		(($# >= 2)) || die "$opt needs a value ($usage)"
		case $opt in
		--efi) efi=$2 ;;
		--out) out=$2 ;;
		--next) next=$2 have_next=1 ;;
		--args) args=$2 have_args=1 ;;
		--size) size=$2 ;;
		esac
		shift 2
		;;
	--file)
		(($# >= 3)) || die "--file needs SRC and ESP_PATH ($usage)"
		files+=("$2" "$3")
		shift 3
		;;
	--quiet) quiet=1; shift ;;
	-h|--help) echo "$usage"; exit 0 ;;
	*) die "unknown argument '$opt' ($usage)" ;;
	esac
done

[[ -n $efi ]] || die "--efi NESTVISOR_EFI missing (./nv image passes it)"
[[ -f $efi ]] || die "$efi: no such file (build first: ./nv build)"
[[ -n $out ]] || die "--out FILE missing"
[[ -d $(dirname -- "$out") ]] || die "--out $out: directory $(dirname -- "$out") does not exist"
[[ ! -d $out ]] || die "--out $out is a directory"
[[ ! -b $out ]] || die "--out $out is a block device: write a file, then dd it (see docs/hardware.md)"
[[ $size =~ ^[0-9]+$ ]] && ((size >= 40 && size <= 4096)) ||
	die "--size '$size' must be a whole number of MiB, 40..4096"

# printable ASCII only (what nestvisor.cfg accepts, boot/config.h)
printable() {
	[[ $1 =~ ^[\ -~]*$ ]]
}

if ((have_next)); then
	[[ -n $next ]] || die "--next: empty path"
	printable "$next" || die "--next '$next': only printable ASCII is allowed"
	[[ $next == auto ]] && have_next=0
fi
if ((have_next)); then
	next=${next//\//\\}
	[[ $next == \\* ]] || die "--next '$next' must be an absolute ESP path like '\\EFI\\debian\\grubx64.efi'"
	((${#next} <= 255)) || die "--next: path too long (${#next} chars, at most 255)"
	[[ $next != *'"'* ]] || die "--next '$next': '\"' cannot be written into nestvisor.cfg (its values have no escapes)"
	[[ $next != *' ' ]] || die "--next '$next': a path cannot end in a blank"
fi
if ((have_args)); then
	((have_next)) || die "--args needs --next PATH: with next = auto each boot entry brings its own load options"
	printable "$args" || die "--args: only printable ASCII is allowed"
	[[ $args != *'"'* ]] || die "--args: '\"' cannot be written into nestvisor.cfg (its values have no escapes)"
	((${#args} <= 1023)) || die "--args: too long (${#args} chars, at most 1023)"
fi

cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
{
	echo "# nestvisor.cfg written by ./nv image (keys: README.md, Options)"
	if ((have_next)); then
		echo "next = \"$next\""
		((have_args)) && echo "args = \"$args\""
	else
		echo "# boot what this machine boots without nestvisor: the next"
		echo "# BootOrder entry, then \\EFI\\BOOT\\BOOTX64.EFI of the other disks"
		echo "next = auto"
	fi
	echo "log = info"
} > "$cfg"

spec=("$efi" '\EFI\BOOT\BOOTX64.EFI' "$cfg" '\EFI\BOOT\nestvisor.cfg')
for ((i = 0; i < ${#files[@]}; i += 2)); do
	src=${files[i]} dst=${files[i + 1]}
	[[ -f $src ]] || die "--file $src: no such file"
	[[ $dst == [\\/]* ]] || die "--file ESP path '$dst' must be absolute"
	spec+=("$src" "$dst")
done

"$here/mkesp.sh" "$out" "$size" NESTVISOR "${spec[@]}" ||
	die "writing $out failed"

((quiet)) && exit 0
cat <<EOF
nv image: wrote $out ($size MiB: GPT, one FAT32 EFI system partition)
  \\EFI\\BOOT\\BOOTX64.EFI   nestvisor ($(basename -- "$efi"))
  \\EFI\\BOOT\\nestvisor.cfg $(grep '^next' "$cfg")
Write it to a USB stick (everything on the stick is lost; find its name
with lsblk, e.g. /dev/sdb, and be sure it is the stick):
  sudo dd if=$out of=/dev/sdX bs=4M conv=fsync status=progress
then check it:  sudo cmp -n \$(stat -c %s $out) $out /dev/sdX
Firmware settings, Secure Boot and what to expect: docs/hardware.md
EOF
