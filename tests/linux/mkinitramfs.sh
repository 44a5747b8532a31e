#!/bin/sh
# SPDX-License-Identifier: MIT
#
# mkinitramfs.sh OUTPUT: build a gzip'd newc cpio initramfs for the
# Linux-as-L1 boot test from Debian's busybox-static (/bin/busybox).
# Its /init mounts proc and sysfs, prints the marker NESTVISOR-LINUX-L1-OK,
# the kernel release and whether /proc/cpuinfo has the 'hypervisor' flag,
# then powers off (poweroff -f: no init system to stop).
set -eu

out=${1:?usage: mkinitramfs.sh OUTPUT}
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
for applet in sh mount grep uname cat poweroff; do
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
echo "NESTVISOR-LINUX-L1-OK"
echo "linux-l1: kernel $(uname -r)"
if grep -qw hypervisor /proc/cpuinfo; then
	echo "linux-l1: /proc/cpuinfo flags include hypervisor"
else
	echo "linux-l1: /proc/cpuinfo flags lack hypervisor"
fi
poweroff -f
INIT
chmod 755 "$root/init"

tmp="$out.tmp"
(cd "$root" && find . | LC_ALL=C sort |
	cpio --quiet -o -H newc --owner 0:0 --reproducible) | gzip -9n > "$tmp"
mv "$tmp" "$out"
