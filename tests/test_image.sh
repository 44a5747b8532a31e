#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# test_image.sh MKIMAGE NESTVISOR_EFI WORKDIR
#
# `./nv image` (boot/mkimage.sh) checked from outside with the disk tools:
#  - the default image: a GPT that sgdisk verifies, exactly one partition,
#    of the EFI system partition type C12A7328-F81F-11D2-BA4B-00A0C93EC93B
#    (UEFI 2.x §5.3.3), FAT32 that fsck.fat accepts, whose BPB hidden
#    sectors are the partition's first LBA, \EFI\BOOT\BOOTX64.EFI byte for
#    byte nestvisor.efi, \EFI\BOOT\nestvisor.cfg with next = auto, and the
#    printed dd command;
#  - --next/--args/--file: the config lines and the extra file;
#  - every argument error: exit status 2, the message, and no image left.
# Prints TAP; exits 1 if any case fails.
set -uo pipefail

mkimage=$1 efi=$2 work=$3
export MTOOLS_SKIP_CHECK=1 PATH=$PATH:/usr/sbin:/sbin
rm -rf "$work"
mkdir -p "$work"
n=0 failed=0

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	[[ -z ${2:-} ]] || echo "$2" | sed 's/^/# /'
}

check() {	# check NAME COMMAND...: the command must succeed
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}

# ---- the default image ------------------------------------------------------
img=$work/default.img
out=$("$mkimage" --efi "$efi" --out "$img" 2>&1)
rc=$?
[[ $rc -eq 0 && -f $img ]] && ok "default image written" ||
	not_ok "default image written (status $rc)" "$out"
check "prints the dd command with the image's path" \
	grep -qF "dd if=$img of=/dev/sdX bs=4M conv=fsync" <<<"$out"
check "sgdisk verifies the GPT" bash -c "sgdisk -v '$img' | grep -q 'No problems found'"
check "exactly one partition" bash -c \
	"[[ \$(sgdisk -p '$img' | grep -cE '^ +[0-9]+ ') -eq 1 ]]"
check "partition 1 is an EFI system partition" bash -c \
	"sgdisk -i 1 '$img' | grep -q 'Partition GUID code: C12A7328-F81F-11D2-BA4B-00A0C93EC93B'"
first=$(sgdisk -i 1 "$img" | sed -n 's/^First sector: \([0-9]*\).*/\1/p')
last=$(sgdisk -i 1 "$img" | sed -n 's/^Last sector: \([0-9]*\).*/\1/p')
dd if="$img" of="$work/esp.fat" bs=512 skip="$first" count=$((last - first + 1)) status=none
check "fsck.fat accepts the partition" fsck.fat -n "$work/esp.fat"
check "the file system is FAT32" bash -c "minfo -i '$work/esp.fat' :: | grep -q 'disk type=\"FAT32'"
check "BPB hidden sectors = the partition's first LBA" bash -c \
	"minfo -i '$work/esp.fat' :: | grep -qx 'hidden sectors: $first'"
mcopy -i "$work/esp.fat" ::/EFI/BOOT/BOOTX64.EFI "$work/bootx64.efi" 2>/dev/null
check "\\EFI\\BOOT\\BOOTX64.EFI is nestvisor.efi" cmp "$efi" "$work/bootx64.efi"
mcopy -i "$work/esp.fat" ::/EFI/BOOT/nestvisor.cfg "$work/default.cfg" 2>/dev/null
check "nestvisor.cfg says next = auto" grep -qx 'next = auto' "$work/default.cfg"
check "nestvisor.cfg has no args" bash -c "! grep -q '^args' '$work/default.cfg'"

# ---- a fixed next stage, its args, an extra file --------------------------
img=$work/next.img
echo "hello" > "$work/extra.txt"
out=$("$mkimage" --efi "$efi" --out "$img" --quiet \
	--next '/EFI/debian/grubx64.efi' --args 'root=/dev/sda2 quiet # not a comment' \
	--file "$work/extra.txt" '\notes\extra.txt' 2>&1)
rc=$?
[[ $rc -eq 0 && -f $img && -z $out ]] && ok "--next image written, --quiet prints nothing" ||
	not_ok "--next image written (status $rc)" "$out"
mcopy -i "$img@@$((first * 512))" ::/EFI/BOOT/nestvisor.cfg "$work/next.cfg" 2>/dev/null
check "next is the path with '\\' separators" \
	grep -qxF 'next = "\EFI\debian\grubx64.efi"' "$work/next.cfg"
check "args keep blanks and '#' (quoted)" \
	grep -qxF 'args = "root=/dev/sda2 quiet # not a comment"' "$work/next.cfg"
mcopy -i "$img@@$((first * 512))" ::/notes/extra.txt "$work/extra.out" 2>/dev/null
check "--file lands at its ESP path" cmp "$work/extra.txt" "$work/extra.out"
img=$work/auto.img
"$mkimage" --efi "$efi" --out "$img" --quiet --next auto >/dev/null 2>&1
mcopy -i "$img@@$((first * 512))" ::/EFI/BOOT/nestvisor.cfg "$work/auto.cfg" 2>/dev/null
check "--next auto is next = auto" grep -qx 'next = auto' "$work/auto.cfg"

# ---- argument errors --------------------------------------------------------
bad() {	# bad MESSAGE ARGS...: status 2, MESSAGE on stderr, no image
	local want=$1 img=$work/bad.img out rc
	shift
	rm -f "$img"
	out=$("$mkimage" --efi "$efi" --out "$img" "$@" 2>&1 >/dev/null)
	rc=$?
	local name="refused: $*"
	((${#name} <= 70)) || name="${name:0:67}..."
	if [[ $rc -eq 2 && $out == *"$want"* && ! -e $img ]]; then
		ok "$name"
	else
		not_ok "$name (status $rc)" "$out"
	fi
}
bad "--args needs --next PATH" --args "quiet"
bad "must be an absolute ESP path" --next 'EFI\debian\grubx64.efi'
bad "--next: empty path" --next ''
bad "path too long (256 chars, at most 255)" --next "\\$(printf 'x%.0s' {1..255})"
bad "cannot be written into nestvisor.cfg" --next '\EFI\a"b.efi'
bad "a path cannot end in a blank" --next '\EFI\a.efi '
bad "--args: only printable ASCII" --next '\a.efi' --args $'caf\xc3\xa9'
bad "--args: '\"' cannot be written" --next '\a.efi' --args 'a="b"'
bad "--args: too long (1024 chars, at most 1023)" --next '\a.efi' --args "$(printf 'y%.0s' {1..1024})"
bad "--size '39' must be" --size 39
bad "--size 'big' must be" --size big
bad "unknown argument '--bogus'" --bogus
bad "--next needs a value" --next
bad "--file needs SRC and ESP_PATH" --file "$work/extra.txt"
bad "--file /nonexistent: no such file" --file /nonexistent '\x'
bad "--file ESP path 'x' must be absolute" --file "$work/extra.txt" x
out=$("$mkimage" --efi "$efi" --out /nonexistent-dir/x.img 2>&1)
[[ $? -eq 2 && $out == *"directory /nonexistent-dir does not exist"* ]] &&
	ok "refused: --out in a missing directory" ||
	not_ok "refused: --out in a missing directory" "$out"
out=$("$mkimage" --efi "$work/none.efi" --out "$work/x.img" 2>&1)
[[ $? -eq 2 && $out == *"none.efi: no such file"* ]] &&
	ok "refused: a missing nestvisor.efi" ||
	not_ok "refused: a missing nestvisor.efi" "$out"

echo "1..$n"
rm -rf "$work"
((failed == 0))
