// SPDX-License-Identifier: MIT
/*
 * sipi: the boot CPU starts the first application processor itself, the
 * way an OS does, and says whether it ran.
 *
 * A real-mode page below 1 MiB holds a few instructions: DS = CS, CPUID
 * leaf 0x40000000 with its EBX stored at offset 0x104, the word 0x5150 at
 * offset 0x100, then HLT for good.  The boot CPU writes its local APIC's
 * ICR (xAPIC, physical destination = the AP's APIC ID from MP services;
 * lib/sipi.c):
 * INIT (level assert), then Start-up with the page's vector twice, 10 ms
 * apart (the sequence of the Intel MP specification that OSes use; APM
 * Vol. 2 chapter 16 "Interprocessor Interrupts": a Start-up IPI starts a
 * CPU in wait-for-SIPI at CS = vector << 8, IP = 0).  Then it waits up to
 * one second for the word and prints:
 *	sipi: INIT-SIPI-SIPI to APIC ID n at vector 0xVV: the AP ran (CPUID 0x40000000 EBX 0x........)
 *	sipi: INIT-SIPI-SIPI to APIC ID n at vector 0xVV: the AP did not run
 * and powers off (QEMU exits with status 0).  Under nestvisor a vCPU runs
 * the page as a guest (EBX 0x7473654e, "Nest"); a CPU nestvisor parked
 * never runs it.
 *
 * With the load option "bench" (./nv bench, QEMU -icount: TSC ticks /
 * 2^shift = instructions), after that it starts the AP again BENCH_ROUNDS
 * times, INIT, SIPI and SIPI back to back, waiting each time for the
 * page's word, and prints the median TSC ticks of each ICR write as the
 * boot CPU sees it (the write, and the delivery-status poll that follows)
 * and of an empty rdtsc pair:
 *	sipi-bench: rounds R ran N
 *	sipi-bench: baseline|init|sipi|sipi2 median T
 */
#include <efi.h>
#include <efilib.h>
#include <stdbool.h>

#include "lib/efiutil.h"
#include "lib/mp.h"
#include "lib/serial.h"
#include "lib/sipi.h"

#define BENCH_ROUNDS 101

/* The AP's code: 16-bit, at offset 0 of its page. */
static const uint8_t code[] = {
	0x8c, 0xc8,                         /* mov ax, cs */
	0x8e, 0xd8,                         /* mov ds, ax */
	0x66, 0xb8, 0x00, 0x00, 0x00, 0x40, /* mov eax, 0x40000000 */
	0x66, 0x31, 0xc9,                   /* xor ecx, ecx */
	0x0f, 0xa2,                         /* cpuid */
	0x66, 0x89, 0x1e, 0x04, 0x01,       /* mov [0x104], ebx */
	0xc7, 0x06, 0x00, 0x01, 0x50, 0x51, /* mov word [0x100], 0x5150 */
	0xfa,                               /* cli */
	0xf4,                               /* hlt */
	0xeb, 0xfd,                         /* jmp hlt */
};

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static uint64_t median(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* INIT-SIPI-SIPI, BENCH_ROUNDS times (see the top). */
static void bench(uint32_t id, uint32_t vector, volatile uint8_t *p)
{
	static uint64_t base[BENCH_ROUNDS], init[BENCH_ROUNDS];
	static uint64_t sipi[BENCH_ROUNDS], sipi2[BENCH_ROUNDS];
	unsigned ran = 0;

	for (unsigned i = 0; i < BENCH_ROUNDS; i++) {
		uint64_t t0, t1, t2, t3;

		*(volatile uint16_t *)(p + GUEST_AP_MARK_OFF) = 0;
		t0 = tsc();
		t1 = tsc();
		base[i] = t1 - t0;
		t0 = tsc();
		guest_icr(id, 0x4500);
		t1 = tsc();
		guest_icr(id, 0x600 | vector);
		t2 = tsc();
		guest_icr(id, 0x600 | vector);
		t3 = tsc();
		init[i] = t1 - t0;
		sipi[i] = t2 - t1;
		sipi2[i] = t3 - t2;
		ran += guest_ap_ran(p, 100);
	}
	gprintf("sipi-bench: rounds %u ran %u\n", BENCH_ROUNDS, ran);
	gprintf("sipi-bench: baseline median %lu\n", median(base, BENCH_ROUNDS));
	gprintf("sipi-bench: init median %lu\n", median(init, BENCH_ROUNDS));
	gprintf("sipi-bench: sipi median %lu\n", median(sipi, BENCH_ROUNDS));
	gprintf("sipi-bench: sipi2 median %lu\n", median(sipi2, BENCH_ROUNDS));
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	volatile uint8_t *p = NULL;
	uint32_t id = 0, vector;
	bool ran = false;

	guest_efi_init(image, st);
	gprintf("\nsipi: the boot CPU starts an AP with INIT-SIPI-SIPI\n");
	if (guest_first_ap(&id) || !(p = guest_ap_page(code, sizeof(code)))) {
		gprintf("sipi: no AP, or no page below 640 KiB\n");
		uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS,
				  0, NULL);
		return EFI_SUCCESS;
	}
	vector = (uint32_t)((uintptr_t)p >> 12);

	guest_init_sipi_sipi(id, vector);
	ran = guest_ap_ran(p, 1000);
	if (ran)
		gprintf("sipi: INIT-SIPI-SIPI to APIC ID %u at vector 0x%x: the AP "
			"ran (CPUID 0x40000000 EBX 0x%08x)\n", id, vector,
			*(volatile uint32_t *)(p + 0x104));
	else
		gprintf("sipi: INIT-SIPI-SIPI to APIC ID %u at vector 0x%x: the AP "
			"did not run\n", id, vector);
	if (ran && guest_has_option("bench"))
		bench(id, vector, p);
	uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0,
			  NULL);
	return EFI_SUCCESS;
}
