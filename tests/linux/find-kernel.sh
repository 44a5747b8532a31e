#!/bin/sh
# SPDX-License-Identifier: MIT
# find-kernel.sh: print the newest Debian kernel image /boot/vmlinuz-*
# (package linux-image-amd64), or fail with a message saying so.
set -eu
kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
if [ -z "$kernel" ] || ! [ -r "$kernel" ]; then
	echo "find-kernel.sh: no readable /boot/vmlinuz-* (apt-get install linux-image-amd64)" >&2
	exit 1
fi
echo "$kernel"
