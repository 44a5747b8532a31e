#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /init of initrd-l2.img: the whole userland of the L2 Linux that QEMU/KVM
# boots inside L1 (qemu-init.sh).  Prints the marker NESTVISOR-L2-LINUX-OK
# and the kernel release, then powers off at once (poweroff -f: an ACPI
# power-off, which ends L1's QEMU with status 0).
export PATH=/bin
mount -t proc proc /proc
# As in the L1's /init: a console from devtmpfs if the kernel gave none.
if ! [ -c /dev/console ]; then
	mount -t devtmpfs devtmpfs /dev
	exec </dev/console >/dev/console 2>&1
fi
echo "NESTVISOR-L2-LINUX-OK"
echo "linux-l2: kernel $(uname -r)"
poweroff -f
