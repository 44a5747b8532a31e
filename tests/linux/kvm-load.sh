#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /kvm/load.sh in the KVM initramfs images (mkinitramfs.sh --kvm, --qemu),
# sourced by their /kvm/run.sh, which defines fail() first (it prints the
# image's failure line and exits).  kvm_load loads the modules listed in
# /kvm/modules (dependencies first; kvm-amd with npt=1 nested=1), prints
# kvm_amd's npt and nested parameters, and makes sure /dev/kvm exists.
# Its lines start with "kvm-l2: ".

kvm_param() {
	cat "/sys/module/kvm_amd/parameters/$1" 2>/dev/null || echo absent
}

kvm_load() {
	while read -r ko; do
		case $ko in
		kvm-amd.ko|kvm_amd.ko) params="npt=1 nested=1" ;;
		*) params="" ;;
		esac
		echo "kvm-l2: insmod $ko $params"
		# shellcheck disable=SC2086 # params is a word list
		insmod "/kvm/$ko" $params || fail "insmod $ko $params failed"
	done < /kvm/modules
	echo "kvm-l2: kvm_amd npt=$(kvm_param npt) nested=$(kvm_param nested)"

	if ! [ -c /dev/kvm ]; then
		[ -r /sys/class/misc/kvm/dev ] ||
			fail "no /dev/kvm and no /sys/class/misc/kvm/dev: kvm_amd did not register"
		devno=$(cat /sys/class/misc/kvm/dev)
		mknod /dev/kvm c "${devno%%:*}" "${devno##*:}" ||
			fail "mknod /dev/kvm c $devno failed"
	fi
	echo "kvm-l2: /dev/kvm is char device $(cat /sys/class/misc/kvm/dev 2>/dev/null)"
}
