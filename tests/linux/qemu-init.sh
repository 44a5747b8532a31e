#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /kvm/run.sh in initrd-qemu.img, started by /init after its linux-l1 lines
# (proc and sysfs mounted; /init powers off afterwards).  Loads KVM with
# /kvm/load.sh (kvm-load.sh), then runs Debian's qemu-system-x86_64 with
# KVM, which boots Debian's kernel as L2 with /l2/initrd.img (l2-init.sh):
# 256 MiB, one vCPU, SeaBIOS, L2's console (COM1) on QEMU's standard
# output, the kernel started directly by QEMU (-kernel), in one of two ways
# chosen by nv_l2_boot= on L1's command line:
#   pvh (default)  /l2/vmlinux, the ELF image: QEMU's pvh.bin option ROM
#                  enters it in 32-bit protected mode (PVH boot)
#   bios           /l2/vmlinuz, the bzImage: QEMU's linuxboot_dma.bin
#                  option ROM starts its real-mode setup code, which calls
#                  the BIOS (INT 15h, INT 10h, ...) as on a PC
# Each line L2's console prints is shown prefixed with "l2| ".  The L2 boot
# time is L1's clock (/proc/uptime) from just before QEMU starts to the
# line carrying L2's marker:
#   qemu-l2: pvh boot, start at uptime S
#   l2| NESTVISOR-L2-LINUX-OK
#   qemu-l2: L2 marker at uptime M: L2 boot D s
#   qemu-l2: qemu exit status 0
#   NESTVISOR-QEMU-L2-OK
# With nv_l2_stats on L1's command line (and nvctl = on in nestvisor's
# configuration), "nvctl stats" runs just before QEMU starts and again
# when L2's marker arrives, its lines prefixed "nvctl-start: " and
# "nvctl-marker: " (tests/bench.py --l2-stats takes the difference).
# Any failure prints "QEMU-L2-FAIL: <reason>" instead of the last line;
# QEMU is killed after $limit seconds.  "run.sh setup" stops once KVM is
# ready (for the shell and nvctl modes of /init).
export PATH=/bin:/usr/bin
limit=300

fail() {
	echo "QEMU-L2-FAIL: $*"
	dmesg | grep -i -E 'kvm|svm' | tail -n 20 | sed 's/^/kvm-l2: dmesg: /'
	exit 1
}

# shellcheck source=kvm-load.sh
. /kvm/load.sh
kvm_load
[ "${1:-}" = setup ] && exit 0

# QEMU wants /dev/null and /dev/urandom besides /dev/kvm.
if ! [ -c /dev/null ]; then
	mount -t devtmpfs devtmpfs /dev || fail "mount devtmpfs on /dev failed"
fi

boot=pvh stats=no
read -r cmdline < /proc/cmdline
for arg in $cmdline; do
	case $arg in
	nv_l2_boot=*) boot=${arg#nv_l2_boot=} ;;
	nv_l2_stats) stats=yes ;;
	esac
done
# nv_stats WHEN: nestvisor's counters, every line prefixed "nvctl-WHEN: ".
# With them, L1's KVM traces L2's port I/O (the kvm_pio trace event): at
# the marker, "kvm-pio: DIRECTION PORT COUNT" for each port L2 used.
trace=/sys/kernel/tracing
nv_stats() {
	[ $stats = yes ] || return 0
	nvctl stats 2>&1 | sed "s/^/nvctl-$1: /"
	if [ "$1" = start ]; then
		mount -t tracefs tracefs $trace 2>/dev/null
		echo 8192 > $trace/buffer_size_kb &&
			echo 1 > $trace/events/kvm/kvm_pio/enable ||
			echo "kvm-pio: tracing unavailable"
	elif [ -e $trace/events/kvm/kvm_pio/enable ]; then
		echo 0 > $trace/tracing_on
		awk '/kvm_pio:/ { for (i = 1; i < NF; i++) if ($i == "at") n[$(i - 1) " " $(i + 1)]++ }
		     END { for (k in n) print "kvm-pio: " k " " n[k] }' $trace/trace
	fi
}
case $boot in
pvh) kernel=/l2/vmlinux ;;
bios) kernel=/l2/vmlinuz ;;
*) fail "nv_l2_boot=$boot: neither pvh nor bios" ;;
esac

l1_uptime() {
	read -r up _ < /proc/uptime
	echo "$up"
}

cr=$(printf '\r')
nv_stats start
start=$(l1_uptime)
echo "qemu-l2: $boot boot, start at uptime $start"
# QEMU's status comes after its output, on a line of its own (137: killed
# at the time limit).  Its standard input is /dev/null: with -serial stdio
# on a terminal it would put L1's console into raw mode.
{
	timeout -s KILL $limit qemu-system-x86_64 -nodefaults -no-user-config \
		-display none -machine pc,accel=kvm -cpu host -m 256M -smp 1 \
		-kernel $kernel -initrd /l2/initrd.img \
		-append "console=ttyS0 quiet panic=-1" \
		-serial stdio -monitor none -no-reboot < /dev/null 2>&1
	echo "qemu-l2-exit $?"
} | {
	marker=no status=none
	while IFS= read -r line; do
		line=${line%"$cr"}
		case $line in
		"qemu-l2-exit "*)
			status=${line#qemu-l2-exit }
			continue ;;
		esac
		echo "l2| $line"
		if [ $marker = no ] && [ "$line" = NESTVISOR-L2-LINUX-OK ]; then
			marker=yes
			now=$(l1_uptime)
			echo "qemu-l2: L2 marker at uptime $now: L2 boot" \
				"$(echo "$start $now" | awk '{ printf "%.2f", $2 - $1 }') s"
			nv_stats marker
		fi
	done
	echo "qemu-l2: qemu exit status $status"
	[ "$status" != 137 ] || fail "qemu killed after $limit s"
	[ $marker = yes ] || fail "L2's marker NESTVISOR-L2-LINUX-OK not seen"
	[ "$status" = 0 ] || fail "qemu exit status $status"
	echo "NESTVISOR-QEMU-L2-OK"
}
