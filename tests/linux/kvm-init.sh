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

cpus=1
for w in $(cat /proc/cmdline); do
	case $w in nvcpus=*) cpus=${w#nvcpus=} ;; esac
done
pids=''
for c in $(seq 0 $((cpus - 1))); do
	taskset -c "$c" /kvm/kvmtest --timeout 400 --tag "cpu$c" &
	pids="$pids $!"
done
c=0
for p in $pids; do
	wait "$p" || fail "kvmtest pinned to cpu$c failed"
	c=$((c + 1))
done
echo "kvm-l2: $cpus kvmtests at once, one pinned to each CPU: all passed"
/kvm/kvmtest --timeout 400 --vcpus 2 --tag 2vcpu || fail "the 2-vCPU kvmtest failed"
echo "KVMTEST-SMP-OK"
