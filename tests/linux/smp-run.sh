#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /smp/run.sh in initrd-kvm.img, started by /init when the kernel command
# line has nvtest=smp (and nvcpus=N nvmem=MIB: the CPUs QEMU has and
# nestvisor's memory).  Every CPU under nestvisor (tests/linux/smptest.c),
# every CPU writing nestvisor's region, then CPUs 1..N-1 taken offline and
# online again 10 times each (each online is an INIT-SIPI-SIPI from Linux,
# sent by another AP; after each, CPUID on that CPU must still say
# nestvisor) and every CPU checked again; last, suspend to RAM (S3), which
# nestvisor refuses as an immediate wake (svm/acpi_sleep.c): Linux must
# come back, all its CPUs under nestvisor.  Ends with "SMPTEST-OK all" or
# a "SMPTEST-FAIL: ..." line.
export PATH=/bin

fail() {
	echo "SMPTEST-FAIL: $*"
	exit 1
}

arg() {
	for w in $(cat /proc/cmdline); do
		case $w in
		"$1"=*) echo "${w#*=}"; return ;;
		esac
	done
}

cpus=$(arg nvcpus)
mem=$(arg nvmem)
[ -n "$cpus" ] && [ -n "$mem" ] || fail "nvcpus= and nvmem= missing from the command line"

[ -c /dev/mem ] || mknod /dev/mem c 1 1 || fail "cannot make /dev/mem"
smptest cpus "$cpus" || exit 1
smptest poke "$mem" || exit 1

last=$((cpus - 1))
for round in $(seq 1 10); do
	for c in $(seq 1 "$last"); do
		echo 0 > "/sys/devices/system/cpu/cpu$c/online" ||
			fail "round $round: cpu$c would not go offline"
		[ "$(cat /sys/devices/system/cpu/cpu$c/online)" = 0 ] ||
			fail "round $round: cpu$c still online"
		# Brought up from another AP where there is one (the
		# INIT-SIPI-SIPI's sender is the CPU that writes online): any
		# CPU may be the sender.
		s=0
		[ "$last" -lt 2 ] || s=$((c % last + 1))
		taskset -c "$s" sh -c "echo 1 > /sys/devices/system/cpu/cpu$c/online" ||
			fail "round $round: cpu$c would not come back online (from cpu$s)"
		smptest cpu "$c" || fail "round $round: cpu$c after coming back online"
	done
done
echo "smptest: CPUs 1-$last went offline and online 10 times each, each under nestvisor after every online"
smptest cpus "$cpus" || exit 1

grep -qw mem /sys/power/state ||
	fail "no S3: /sys/power/state is '$(cat /sys/power/state)'"
echo deep > /sys/power/mem_sleep || fail "cannot choose S3 (deep) in /sys/power/mem_sleep"
echo mem > /sys/power/state || fail "echo mem > /sys/power/state failed"
echo "smptest: S3: Linux suspended to RAM and is running again"
smptest cpus "$cpus" || exit 1
echo "SMPTEST-OK all"
