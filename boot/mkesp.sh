#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# mkesp.sh OUT SIZE_MIB LABEL [SRC ESP_PATH]...
#
# Writes OUT, a raw disk image of SIZE_MIB MiB with a GPT holding one
# partition, an EFI system partition (type EF00) formatted FAT32 with the
# volume label LABEL, and copies each SRC to ESP_PATH on it (an absolute
# path, '\' or '/' separated; missing directories are made).  No root and no
# loop device: sgdisk (gdisk) writes the GPT into the file, mkfs.fat
# (dosfstools) formats the partition in place (--offset) and mtools copies
# the files through the same offset.
#
# Layout (512-byte sectors): the protective MBR and the primary GPT in the
# first MiB, the ESP from 1 MiB to SIZE_MIB - 1 MiB, the backup GPT in the
# last MiB.  FAT32 needs at least 65525 clusters: with mkfs.fat's 512-byte
# clusters for small volumes that is about 33 MiB, so SIZE_MIB is 40 at least.
# The file is written beside OUT and renamed: OUT is never half-made.
set -euo pipefail

die() {
	echo "mkesp.sh: $*" >&2
	exit 1
}

(($# >= 3 && $# % 2 == 1)) || die "usage: mkesp.sh OUT SIZE_MIB LABEL [SRC ESP_PATH]..."
out=$1 size=$2 label=$3
shift 3
[[ $size =~ ^[0-9]+$ ]] && ((size >= 40 && size <= 65536)) ||
	die "size '$size' must be a whole number of MiB, 40..65536"
[[ $label =~ ^[A-Z0-9_-]{1,11}$ ]] || die "label '$label': 1..11 of A-Z 0-9 _ -"

for tool in sgdisk mkfs.fat mmd mcopy; do
	command -v "$tool" >/dev/null 2>&1 ||
		PATH=$PATH:/usr/sbin:/sbin command -v "$tool" >/dev/null 2>&1 ||
		die "$tool not found (apt-get install gdisk dosfstools mtools)"
done
export PATH=$PATH:/usr/sbin:/sbin

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT
rm -f "$tmp"
truncate -s "${size}M" "$tmp"

first=2048				# 1 MiB
last=$(((size - 1) * 2048 - 1))		# the last MiB stays for the backup GPT
sgdisk --clear --new=1:$first:$last --typecode=1:ef00 \
	--change-name=1:"EFI system partition" "$tmp" >/dev/null ||
	die "sgdisk failed on $tmp"
# mkfs.fat warns that the file is larger than the block count: expected.
# -h: the BPB's hidden sectors are the partition's first LBA.
msg=$(mkfs.fat -F 32 -n "$label" -h $first --offset=$first "$tmp" \
	$(((last - first + 1) / 2)) 2>&1) || die "mkfs.fat failed on $tmp: $msg"

img="$tmp@@$((first * 512))"
export MTOOLS_SKIP_CHECK=1
declare -A made=()
while (($#)); do
	src=$1 dst=${2//\\//}
	shift 2
	[[ -f $src ]] || die "$src: no such file"
	[[ $dst == /* && $dst != */ ]] || die "ESP path '$2' must be absolute and name a file"
	dir=${dst%/*} sofar=''
	IFS=/ read -r -a parts <<<"${dir#/}"
	for part in "${parts[@]}"; do
		[[ -n $part ]] || continue
		sofar="$sofar/$part"
		[[ -n ${made[$sofar]:-} ]] && continue
		mmd -D s -i "$img" "::$sofar" 2>/dev/null || true
		made[$sofar]=1
	done
	mcopy -D o -i "$img" "$src" "::$dst" || die "mcopy $src to $dst failed"
done
mv "$tmp" "$out"
trap - EXIT
