#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /kvm/run.sh in initrd-kvm.img, started by /init after its linux-l1 lines
# (proc and sysfs mounted; /init powers off afterwards).  Loads KVM with
# /kvm/load.sh (kvm-load.sh), runs /kvm/kvmtest and prints its verdict;
# "run.sh setup" stops before kvmtest (for the shell and nvctl modes of
# /init).  Every line starts with "kvm-l2: " except kvmtest's own
# (kvmtest: ..., KVMTEST-OK or KVMTEST-FAIL: ...); a failure here prints
# "KVMTEST-FAIL: <reason>" too.
export PATH=/bin

fail() {
	echo "KVMTEST-FAIL: $*"
	dmesg | grep -i -E 'kvm|svm' | tail -n 20 | sed 's/^/kvm-l2: dmesg: /'
	exit 1
}

# shellcheck source=kvm-load.sh
. /kvm/load.sh
kvm_load
[ "${1:-}" = setup ] && exit 0

if ! grep -qw nvtest=kvm-smp /proc/cmdline; then
	/kvm/kvmtest --timeout 180
	rc=$?
	echo "kvm-l2: kvmtest exit status $rc"
	[ $rc -eq 0 ] || fail "kvmtest exit status $rc"
	exit 0
fi

# storm N ROUNDS (nvstorm=ROUNDS on the kernel command line; no storm
# without it): events aimed at every CPU while the pinned kvmtests run, so
# that they reach CPUs busy in nestvisor's host mode (shadow-NPT faults,
# reflected exits: docs/architecture.md, "Every CPU").  ROUNDS rounds r =
# 0, 1, ..., five seconds apart (fewer if /storm.stop appears first): from
# CPU r mod N, an NMI to every other CPU (sysrq l: Linux's NMI backtrace of
# every CPU), then work queued on every CPU and waited for
# (vm.stat_refresh: IPIs).  Every CPU must answer each NMI round ("NMI
# backtrace for cpu C" in the kernel log; C < 10 here) within 30 s: an NMI
# that arrives while nestvisor holds the CPU is delivered after, never
# lost.  Ends with a line that counts the rounds, or a KVMTEST-FAIL line
# and /storm.failed.
storm() {
	n=$1 rounds=$2 r=0
	while [ $r -lt "$rounds" ] && ! [ -e /storm.stop ]; do
		sleep 5
		dmesg -c > /dev/null
		taskset -c $((r % n)) sh -c \
			'echo l > /proc/sysrq-trigger; echo 1 > /proc/sys/vm/stat_refresh'
		t=0
		while :; do
			log=$(dmesg) missing=''
			for c in $(seq 0 $((n - 1))); do
				case $log in
				*"NMI backtrace for cpu $c"*) ;;
				*) missing="$missing $c" ;;
				esac
			done
			[ -z "$missing" ] && break
			t=$((t + 1))
			if [ $t -gt 300 ]; then
				echo "KVMTEST-FAIL: storm round $r: CPU(s)$missing did not answer the NMI in 30 s"
				: > /storm.failed
				return 1
			fi
			sleep 0.1
		done
		r=$((r + 1))
	done
	echo "kvm-l2: storm: $r rounds of NMIs and IPIs to every CPU during the kvmtests, every NMI answered"
}

cpus=1 storm_rounds=0
for w in $(cat /proc/cmdline); do
	case $w in
	nvcpus=*) cpus=${w#nvcpus=} ;;
	nvstorm=*) storm_rounds=${w#nvstorm=} ;;
	esac
done
pids=''
for c in $(seq 0 $((cpus - 1))); do
	taskset -c "$c" /kvm/kvmtest --timeout 400 --tag "cpu$c" &
	pids="$pids $!"
done
storm_pid=''
if [ "$storm_rounds" -gt 0 ]; then
	storm "$cpus" "$storm_rounds" &
	storm_pid=$!
fi
c=0
for p in $pids; do
	wait "$p" || fail "kvmtest pinned to cpu$c failed"
	c=$((c + 1))
done
if [ -n "$storm_pid" ]; then
	: > /storm.stop
	wait "$storm_pid"
	[ -e /storm.failed ] && fail "an NMI of the storm was not answered"
fi
echo "kvm-l2: $cpus kvmtests at once, one pinned to each CPU: all passed"
/kvm/kvmtest --timeout 400 --vcpus 2 --tag 2vcpu || fail "the 2-vCPU kvmtest failed"
# Every CPU's counters (nvctl = on in the configuration): the checks are
# the test's (tests/meson.build).
if nvctl version > /dev/null 2>&1; then
	nvctl stats 2>&1 | grep -E '^CPU [0-9]+: ' | sed 's/^/nvctl-stats: /'
fi
echo "KVMTEST-SMP-OK"
