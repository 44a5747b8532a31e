#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /kvm/run.sh in initrd-kvm.img, started by /init after its linux-l1 lines
# (proc and sysfs mounted; /init powers off afterwards).  Loads the KVM
# modules listed in /kvm/modules (dependencies first; kvm-amd with npt=1
# nested=1), prints kvm_amd's npt and nested parameters, makes sure
# /dev/kvm exists, runs /kvm/kvmtest and prints its verdict; "run.sh setup"
# stops before kvmtest (for the shell and nvctl modes of /init).  Every line
# starts with "kvm-l2: " except kvmtest's own (kvmtest: ..., KVMTEST-OK or
# KVMTEST-FAIL: ...); a failure here prints "KVMTEST-FAIL: <reason>" too.
export PATH=/bin

fail() {
	echo "KVMTEST-FAIL: $*"
	dmesg | grep -i -E 'kvm|svm' | tail -n 20 | sed 's/^/kvm-l2: dmesg: /'
	exit 1
}

while read -r ko; do
	case $ko in
	kvm-amd.ko|kvm_amd.ko) params="npt=1 nested=1" ;;
	*) params="" ;;
	esac
	echo "kvm-l2: insmod $ko $params"
	# shellcheck disable=SC2086 # params is a word list
	insmod "/kvm/$ko" $params || fail "insmod $ko $params failed"
done < /kvm/modules

param() {
	cat "/sys/module/kvm_amd/parameters/$1" 2>/dev/null || echo absent
}
echo "kvm-l2: kvm_amd npt=$(param npt) nested=$(param nested)"

if ! [ -c /dev/kvm ]; then
	[ -r /sys/class/misc/kvm/dev ] || fail "no /dev/kvm and no /sys/class/misc/kvm/dev: kvm_amd did not register"
	devno=$(cat /sys/class/misc/kvm/dev)
	mknod /dev/kvm c "${devno%%:*}" "${devno##*:}" || fail "mknod /dev/kvm c $devno failed"
fi
echo "kvm-l2: /dev/kvm is char device $(cat /sys/class/misc/kvm/dev 2>/dev/null)"
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
