// SPDX-License-Identifier: MIT
/*
 * bench: the exit round-trip costs, measured from L1 with RDTSC.
 * Meant to run under QEMU -icount shift=N, where the guest TSC advances by
 * 2^N per executed instruction (docs/semantics.md §10.1), so a TSC delta
 * divided by 2^N is an exact instruction count that repeats from run to
 * run.
 * tests/bench.py does that division; this payload prints raw TSC deltas:
 *   bench: <name> median <ticks> min <ticks> max <ticks> runs <n>
 * Each figure is the median of RUNS round trips of
 *   rdtsc; <operation>; rdtsc
 * minus the median of the empty pair "rdtsc; rdtsc" (also printed, as
 * "baseline").  Operations: CPUID leaf 0, VMMCALL NV_HC_VERSION, and an
 * IN from port 0xf4 (a port nestvisor owns, so an IOIO exit).
 * Interrupts are off while measuring.  Ends the run with status 0.
 */
#include <efi.h>
#include <efilib.h>

#include "core/hypercall.h"
#include "lib/efiutil.h"
#include "lib/exit.h"
#include "lib/nv.h"
#include "lib/serial.h"
#include "lib/x86.h"

#define RUNS 1001

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

enum op { OP_NONE, OP_CPUID, OP_VMMCALL, OP_IOIO };

static uint64_t once(enum op op)
{
	uint64_t t0, t1;
	uint32_t a, b, c, d;

	t0 = tsc();
	switch (op) {
	case OP_CPUID:
		__asm__ volatile("cpuid"
				 : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
				 : "a"(0), "c"(0));
		break;
	case OP_VMMCALL:
		__asm__ volatile("vmmcall"
				 : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
				 : "a"(NV_HC_VERSION), "b"(0), "c"(0), "d"(0));
		break;
	case OP_IOIO:
		__asm__ volatile("inb %w1, %b0" : "=a"(a) : "Nd"(NV_PORT_DEBUG_EXIT));
		break;
	case OP_NONE:
		break;
	}
	t1 = tsc();
	return t1 - t0;
}

static void sort(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static uint64_t samples[RUNS];

static uint64_t measure(const char *name, enum op op, uint64_t baseline)
{
	uint64_t flags = irq_save();

	for (unsigned i = 0; i < RUNS; i++)
		samples[i] = once(op);
	irq_restore(flags);
	sort(samples, RUNS);
	gprintf("bench: %s median %lu min %lu max %lu runs %u\n", name,
		samples[RUNS / 2] - baseline, samples[0] - baseline,
		samples[RUNS - 1] - baseline, RUNS);
	return samples[RUNS / 2];
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	uint64_t base;

	guest_efi_init(image, st);
	gprintf("bench: payload started (nestvisor %s)\n",
		nv_present() ? "present" : "absent");
	base = measure("baseline", OP_NONE, 0);
	measure("cpuid", OP_CPUID, base);
	if (nv_present()) {
		measure("vmmcall", OP_VMMCALL, base);
		measure("ioio", OP_IOIO, base);
	}
	gprintf("bench: done\n");
	guest_exit(0);
}
