#!/bin/sh
# SPDX-License-Identifier: MIT
#
# /kvm/nvctl.sh in initrd-kvm.img, run by /init with nvl1=nvctl after
# "/kvm/run.sh setup" (KVM ready).  nestvisor's config has nvctl = on.
# Starts a live `nvctl trace` of the first 64 reflected #NPFs in the
# background, runs kvmtest (an L2 whose first accesses to its pages are a
# fetch, a read and writes, tests/linux/kvmtest.h), then runs every nvctl
# command.  Each output line is prefixed with its section, for
# tests/linux/check_nvctl.py:
#   nvctl-version: | nvctl-trace: (live, decoded) | nvctl-dump: (--dump
#   --brief) | nvctl-stats: | nvctl-snpt: | nvctl-log:
# and the run ends with NVCTL-TEST-DONE.
export PATH=/bin

section() {
	sed "s/^/$1: /"
}

grep -q -w nx /proc/cpuinfo && echo "nvctl-test: /proc/cpuinfo flags include nx"
nvctl version 2>&1 | section nvctl-version
nvctl trace -n 64 --for 300 > /trace.live 2>&1 &
tracer=$!
kvmtest --timeout 180
echo "kvm-l2: kvmtest exit status $?"
# The tracer stops by itself after 64 records; give it time, then stop it.
i=0
while kill -0 $tracer 2>/dev/null && [ $i -lt 30 ]; do
	sleep 1
	i=$((i + 1))
done
kill $tracer 2>/dev/null
wait $tracer
echo "nvctl-test: live trace ended with status $?"
section nvctl-trace < /trace.live
nvctl trace --dump --brief 2>&1 | tail -n 5 | section nvctl-dump
nvctl stats 2>&1 | section nvctl-stats
nvctl snpt 2>&1 | section nvctl-snpt
nvctl log 2>&1 | section nvctl-log
echo NVCTL-TEST-DONE
