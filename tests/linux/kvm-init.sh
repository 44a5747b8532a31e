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

/kvm/kvmtest --timeout 180
rc=$?
echo "kvm-l2: kvmtest exit status $rc"
[ $rc -eq 0 ] || fail "kvmtest exit status $rc"
