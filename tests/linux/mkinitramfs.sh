#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mkinitramfs.sh [--hvcheck HVCHECK] OUTPUT
# mkinitramfs.sh [--hvcheck HVCHECK] [--smp SMP_RUN SMPTEST]
#                --kvm KVM_INIT KVMTEST VMLINUZ [--nvctl NVCTL NVCTL_TEST] OUTPUT
#
# Builds a gzip'd newc cpio initramfs for the Linux-as-L1 boot tests from
# Debian's busybox-static (/bin/busybox).  Its /init mounts proc and sysfs,
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
#
# With --kvm the image also holds /kvm: run.sh (KVM_INIT, kvm-init.sh),
# the static kvmtest program, the kvm-amd module of VMLINUZ's kernel
# (/lib/modules/<version>, the version being VMLINUZ's name after
# "vmlinuz-") with every module it depends on (modinfo's depends field,
# recursively), uncompressed (.ko, .ko.xz and .ko.zst accepted), and
# /kvm/modules, their file names in load order (dependencies first).
# With --nvctl also /bin/nvctl (NVCTL, static) and /kvm/nvctl.sh.
set -eu

usage="usage: mkinitramfs.sh [--hvcheck HVCHECK] [--smp SMP_RUN SMPTEST] [--kvm KVM_INIT KVMTEST VMLINUZ [--nvctl NVCTL NVCTL_TEST]] OUTPUT"
kvm_init='' kvmtest='' vmlinuz='' hvcheck='' smp_run='' smptest='' nvctl='' nvctl_test=''
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
if [ "${1:-}" = --kvm ]; then
	[ $# -ge 5 ] || { echo "$usage" >&2; exit 1; }
	kvm_init=$2 kvmtest=$3 vmlinuz=$4
	shift 4
	if [ "${1:-}" = --nvctl ]; then
		[ $# -eq 4 ] || { echo "$usage" >&2; exit 1; }
		nvctl=$2 nvctl_test=$3
		shift 3
	fi
fi
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
[ -z "$kvm_init" ] || applets="$applets insmod mknod dmesg sed tail"
[ -z "$kvm_init$smp_run" ] || applets="$applets taskset seq sleep"
[ -z "$kvm_init" ] || applets="$applets setsid cttyhack head tr cut wc ls echo"
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

if [ -n "$kvm_init" ]; then
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
	cp "$kvm_init" "$root/kvm/run.sh"
	cp "$kvmtest" "$root/kvm/kvmtest"
	chmod 755 "$root/kvm/run.sh" "$root/kvm/kvmtest"
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

tmp="$out.tmp"
(cd "$root" && find . | LC_ALL=C sort |
	cpio --quiet -o -H newc --owner 0:0 --reproducible) | gzip -9n > "$tmp"
mv "$tmp" "$out"
