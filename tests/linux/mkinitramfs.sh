#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mkinitramfs.sh [--hvcheck HVCHECK] OUTPUT
# mkinitramfs.sh [--hvcheck HVCHECK] [--smp SMP_RUN SMPTEST] --kvm KVM_LOAD KVM_INIT KVMTEST VMLINUZ [--nvctl NVCTL NVCTL_TEST] OUTPUT
# mkinitramfs.sh [--hvcheck HVCHECK] --qemu KVM_LOAD QEMU_INIT L2_INITRD VMLINUZ [--nvctl NVCTL NVCTL_TEST] OUTPUT
# mkinitramfs.sh --l2 L2_INIT OUTPUT
#
# Builds a gzip'd newc cpio initramfs for the Linux tests from Debian's
# busybox-static (/bin/busybox).  Its /init mounts proc and sysfs,
# prints the marker NESTVISOR-LINUX-L1-OK, the kernel release and whether
# /proc/cpuinfo has the 'hypervisor' flag, runs /bin/hvcheck if there is
# one (HVCHECK, hvcheck.c: CPUID's hypervisor bit and the 0x40000000
# signature), then /smp/run.sh if the kernel command line has nvtest=smp
# (--smp: SMP_RUN, smp-run.sh, and the static smptest program), else
# /kvm/run.sh if there is one, then powers off (poweroff -f: no init
# system to stop).  The kernel command line's nvl1= chooses what runs
# instead of /kvm/run.sh:
#   nvl1=shell   /kvm/run.sh setup (KVM ready), then an interactive shell
#                on the console (prompt "l1# "); its end powers off
#   nvl1=nvctl   /kvm/run.sh setup, then /kvm/nvctl.sh (NVCTL_TEST)
#   nvl1=kvmbench  /kvm/run.sh setup, then kvmtest --nvstats (nestvisor's
#                counters around kvmtest's run, for tests/bench.py)
#
# With --kvm or --qemu the image also holds /kvm: load.sh (KVM_LOAD,
# kvm-load.sh), the kvm-amd module of VMLINUZ's kernel (/lib/modules/
# <version>, the version being VMLINUZ's name after "vmlinuz-") with every
# module it depends on (modinfo's depends field, recursively), uncompressed
# (.ko, .ko.xz and .ko.zst accepted), and /kvm/modules, their file names in
# load order (dependencies first).  --kvm adds run.sh (KVM_INIT,
# kvm-init.sh) and the static kvmtest program; with --nvctl also
# /bin/nvctl (NVCTL, static) and /kvm/nvctl.sh.  --qemu adds run.sh
# (QEMU_INIT, qemu-init.sh), the L2's kernel as /l2/vmlinuz (VMLINUZ
# itself) and /l2/vmlinux (the ELF image inside it, for a PVH boot), its
# initramfs as /l2/initrd.img (L2_INITRD), and the installed
# qemu-system-x86_64 with every shared library ldd lists and the firmware
# it loads for a direct kernel boot (SeaBIOS, pvh.bin, linuxboot_dma.bin,
# kvmvapic.bin), each at its path on this machine; with --nvctl also
# /bin/nvctl and /kvm/nvctl.sh (qemu-init.sh's nv_l2_stats).
#
# --l2 builds the L2's image instead: L2_INIT (l2-init.sh) as /init.
set -eu

usage="usage: mkinitramfs.sh [--hvcheck HVCHECK] [--smp SMP_RUN SMPTEST] [--kvm KVM_LOAD KVM_INIT KVMTEST VMLINUZ [--nvctl NVCTL NVCTL_TEST] | --qemu KVM_LOAD QEMU_INIT L2_INITRD VMLINUZ [--nvctl NVCTL NVCTL_TEST]] OUTPUT
       mkinitramfs.sh --l2 L2_INIT OUTPUT"
mode=l1 hvcheck='' kvm_load='' run_sh='' kvmtest='' l2_initrd='' vmlinuz=''
l2_init='' nvctl='' nvctl_test='' smp_run='' smptest=''
if [ "${1:-}" = --hvcheck ]; then
	[ $# -ge 3 ] || { echo "$usage" >&2; exit 1; }
	hvcheck=$2
	shift 2
fi
if [ "${1:-}" = --smp ]; then
	[ $# -ge 4 ] || { echo "$usage" >&2; exit 1; }
	smp_run=$2 smptest=$3
	shift 3
fi
case ${1:-} in
--kvm)
	[ $# -ge 6 ] || { echo "$usage" >&2; exit 1; }
	mode=kvm kvm_load=$2 run_sh=$3 kvmtest=$4 vmlinuz=$5
	shift 5
	if [ "${1:-}" = --nvctl ]; then
		[ $# -eq 4 ] || { echo "$usage" >&2; exit 1; }
		nvctl=$2 nvctl_test=$3
		shift 3
	fi ;;
--qemu)
	[ $# -ge 6 ] || { echo "$usage" >&2; exit 1; }
	mode=qemu kvm_load=$2 run_sh=$3 l2_initrd=$4 vmlinuz=$5
	shift 5
	if [ "${1:-}" = --nvctl ]; then
		[ $# -eq 4 ] || { echo "$usage" >&2; exit 1; }
		nvctl=$2 nvctl_test=$3
		shift 3
	fi ;;
--l2)
	[ $# -eq 3 ] || { echo "$usage" >&2; exit 1; }
	mode=l2 l2_init=$2
	shift 2 ;;
esac
[ $# -eq 1 ] || { echo "$usage" >&2; exit 1; }
out=$1
busybox=${BUSYBOX:-/bin/busybox}

if ! [ -x "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1; then
	echo "mkinitramfs.sh: no usable $busybox (apt-get install busybox-static)" >&2
	exit 1
fi
for tool in cpio gzip; do
	command -v $tool >/dev/null || { echo "mkinitramfs.sh: $tool missing" >&2; exit 1; }
done

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev"
cp "$busybox" "$root/bin/busybox"
if [ -n "$hvcheck" ]; then
	cp "$hvcheck" "$root/bin/hvcheck"
	chmod 755 "$root/bin/hvcheck"
fi
applets="sh mount grep uname cat poweroff"
case $mode in
kvm|qemu) applets="$applets insmod mknod dmesg sed tail setsid cttyhack head sleep tr cut wc ls echo taskset seq" ;;
esac
[ $mode != qemu ] || applets="$applets awk timeout"
[ -z "$smp_run" ] || [ $mode != l1 ] || applets="$applets taskset seq sleep"
for applet in $applets; do
	ln -s busybox "$root/bin/$applet"
done

cat > "$root/init" <<'INIT'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# The kernel's built-in initramfs normally provides /dev/console; if it
# did not, init runs without a console: get one from devtmpfs.
if ! [ -c /dev/console ]; then
	mount -t devtmpfs devtmpfs /dev
	exec </dev/console >/dev/console 2>&1
fi
# Only emergencies from the kernel on the console from here on, so that its
# messages cannot land in the middle of the lines the tests read.
echo 1 > /proc/sys/kernel/printk
echo "NESTVISOR-LINUX-L1-OK"
echo "linux-l1: kernel $(uname -r)"
if grep -qw hypervisor /proc/cpuinfo; then
	echo "linux-l1: /proc/cpuinfo flags include hypervisor"
else
	echo "linux-l1: /proc/cpuinfo flags lack hypervisor"
fi
if [ -x /bin/hvcheck ]; then
	/bin/hvcheck
fi
mode=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^nvl1=//p')
case $mode in
shell)
	[ -x /kvm/run.sh ] && /kvm/run.sh setup
	echo "linux-l1: a shell on the console; 'exit' powers off"
	PS1='l1# ' setsid cttyhack sh
	;;
nvctl)
	/kvm/run.sh setup && /kvm/nvctl.sh
	;;
kvmbench)
	/kvm/run.sh setup && /kvm/kvmtest --nvstats --timeout 300
	;;
*)
	if [ -x /bin/nvctl ]; then
		nvctl version 2>&1 | head -n 1 | sed 's/^/linux-l1: /'
	fi
	if [ -x /smp/run.sh ] && grep -qw nvtest=smp /proc/cmdline; then
		/smp/run.sh
	elif [ -x /kvm/run.sh ]; then
		/kvm/run.sh
	fi
	;;
esac
poweroff -f
INIT
chmod 755 "$root/init"

# add_module NAME: copies NAME's dependencies, then NAME, into $root/kvm
# and appends their file names to $root/kvm/modules (each once).
add_module() {
	if grep -qx "$1" "$root/kvm/.names"; then
		return 0
	fi
	echo "$1" >> "$root/kvm/.names"
	deps=$(modinfo -k "$kver" -F depends "$1") ||
		{ echo "mkinitramfs.sh: modinfo -k $kver $1 failed" >&2; exit 1; }
	for dep in $(echo "$deps" | tr ',' ' '); do
		add_module "$dep"
	done
	file=$(modinfo -k "$kver" -n "$1")
	base=$(basename "$file")
	case $file in
	*.ko) cp "$file" "$root/kvm/$base" ;;
	*.ko.xz) base=${base%.xz}; xz -dc "$file" > "$root/kvm/$base" ;;
	*.ko.zst) base=${base%.zst}; zstd -qdc "$file" > "$root/kvm/$base" ;;
	*) echo "mkinitramfs.sh: $file: unknown module format" >&2; exit 1 ;;
	esac
	echo "$base" >> "$root/kvm/modules"
}

if [ $mode = kvm ] || [ $mode = qemu ]; then
	command -v modinfo >/dev/null || { echo "mkinitramfs.sh: modinfo missing (apt-get install kmod)" >&2; exit 1; }
	kver=${vmlinuz##*/vmlinuz-}
	if ! [ -d "/lib/modules/$kver" ]; then
		echo "mkinitramfs.sh: no /lib/modules/$kver for $vmlinuz" >&2
		exit 1
	fi
	mkdir -p "$root/kvm"
	: > "$root/kvm/.names"
	add_module kvm_amd
	rm "$root/kvm/.names"
	cp "$kvm_load" "$root/kvm/load.sh"
	cp "$run_sh" "$root/kvm/run.sh"
	chmod 755 "$root/kvm/run.sh"
fi
if [ $mode = kvm ]; then
	cp "$kvmtest" "$root/kvm/kvmtest"
	chmod 755 "$root/kvm/kvmtest"
	ln -s ../kvm/kvmtest "$root/bin/kvmtest"
fi
if [ -n "$nvctl" ]; then
	cp "$nvctl" "$root/bin/nvctl"
	cp "$nvctl_test" "$root/kvm/nvctl.sh"
	chmod 755 "$root/bin/nvctl" "$root/kvm/nvctl.sh"
fi
if [ -n "$smp_run" ]; then
	mkdir -p "$root/smp"
	cp "$smp_run" "$root/smp/run.sh"
	cp "$smptest" "$root/bin/smptest"
	chmod 755 "$root/smp/run.sh" "$root/bin/smptest"
fi

# add_file PATH: copies PATH (symbolic links followed) to the same path
# in the image.
add_file() {
	[ -r "$1" ] || { echo "mkinitramfs.sh: $1 missing" >&2; exit 1; }
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
}

# extract_vmlinux BZIMAGE OUT: the kernel's ELF image, as packed in the
# bzImage (Documentation/x86/boot.rst): the protected-mode part starts at
# (setup_sects + 1) * 512 (setup_sects is the byte at 0x1f1, 0 meaning 4);
# the payload is payload_length bytes (32-bit at 0x24c) at payload_offset
# (32-bit at 0x248) from there: the compressed ELF, whose format its magic
# number tells, and whose last 4 bytes give the uncompressed size (gzip's
# own trailer; appended to the stream for the other formats).
extract_vmlinux() {
	sects=$(od -An -tu1 -j 497 -N 1 "$1" | tr -d ' ')
	[ "$sects" -ne 0 ] || sects=4
	offset=$(od -An -tu4 -j 584 -N 4 "$1" | tr -d ' ')
	length=$(od -An -tu4 -j 588 -N 4 "$1" | tr -d ' ')
	if [ -z "$length" ] || [ "$length" -eq 0 ]; then
		echo "mkinitramfs.sh: $1: no bzImage payload" >&2
		exit 1
	fi
	start=$(( (sects + 1) * 512 + offset + 1 ))
	magic=$(tail -c +$start "$1" | head -c 4 | od -An -tx1 | tr -d ' ')
	size=$(od -An -tu4 -j $((start - 1 + length - 4)) -N 4 "$1" | tr -d ' ')
	case $magic in
	1f8b*) unpack="gzip -dc" ;;
	fd377a58) unpack="xz -dc" length=$((length - 4)) ;;
	28b52ffd) unpack="zstd -qdc" length=$((length - 4)) ;;
	*) echo "mkinitramfs.sh: $1: payload format $magic not supported" >&2; exit 1 ;;
	esac
	tail -c +$start "$1" | head -c "$length" | $unpack > "$2" ||
		{ echo "mkinitramfs.sh: $1: $unpack of the payload failed" >&2; exit 1; }
	if [ "$(head -c 4 "$2" | od -An -tx1 | tr -d ' ')" != 7f454c46 ] ||
	   [ "$(wc -c < "$2")" -ne "$size" ]; then
		echo "mkinitramfs.sh: $1: the payload is not an ELF image of $size bytes" >&2
		exit 1
	fi
}

if [ $mode = qemu ]; then
	qemu=$(command -v qemu-system-x86_64) ||
		{ echo "mkinitramfs.sh: no qemu-system-x86_64 (apt-get install qemu-system-x86)" >&2; exit 1; }
	add_file "$qemu"
	# ldd's lines: "name => /path (address)", or "/path (address)" for the
	# dynamic loader; linux-vdso has no file.
	libs=$(ldd "$qemu" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
	[ -n "$libs" ] || { echo "mkinitramfs.sh: ldd $qemu listed no libraries" >&2; exit 1; }
	for lib in $libs; do
		add_file "$lib"
	done
	for fw in /usr/share/seabios/bios-256k.bin /usr/share/qemu/pvh.bin \
		/usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/kvmvapic.bin; do
		add_file "$fw"
	done
	mkdir -p "$root/l2"
	cp "$vmlinuz" "$root/l2/vmlinuz"
	extract_vmlinux "$vmlinuz" "$root/l2/vmlinux"
	cp "$l2_initrd" "$root/l2/initrd.img"
fi
if [ $mode = l2 ]; then
	cp "$l2_init" "$root/init"
	chmod 755 "$root/init"
fi

tmp="$out.tmp"
(cd "$root" && find . | LC_ALL=C sort |
	cpio --quiet -o -H newc --owner 0:0 --reproducible) | gzip -9n > "$tmp"
mv "$tmp" "$out"
