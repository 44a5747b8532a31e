// SPDX-License-Identifier: MIT
/*
 * smpattack: an L1 that tries to get a CPU out from under nestvisor with
 * INIT and Start-up IPIs that do not take the path nestvisor controls
 * (svm/apic.c emulates L1's stores to its ICR; docs/security.md, "an INIT
 * that resets a CPU out of guest mode").  One case per run, named by the
 * load options (nestvisor.cfg `args`):
 *
 *   icr-alias   the boot CPU writes the ICR's destination (0x310), then
 *               INIT, Start-up, Start-up to the APIC page at offset 0x304:
 *               inside the ICR's 16-byte slot, not at its first byte.
 *   icr-split   the same IPIs as the upper half of an 8-byte store at
 *               offset 0x2fc, whose lower half is the slot before the ICR.
 *   msi-window  an INIT as an interrupt message written by the CPU to
 *               0xFEE00000 | APIC ID << 12 (the MSI address format,
 *               APM Vol. 2 §16.x / PCI MSI), outside the APIC page, then
 *               INIT-SIPI-SIPI through the ICR as an OS sends it.
 *   msi-nmi     an INIT as above, then an NMI message to the same CPU,
 *               with the real-mode IVT's NMI vector pointing at the page.
 *   apic-off0   the boot CPU stores an INIT message (0x500) at offset 0
 *               of its APIC page (a reserved register).
 *
 * Each starts the AP, if it starts, at a real-mode page (ap16.S) that
 * records CPUID 0x40000000's EBX and overwrites nestvisor's canary (its
 * address from NV_HC_CANARY).  What a correct nestvisor must give: no CPU
 * ever runs outside nestvisor, so the page, if it runs at all, runs as L1
 * (EBX "Nest", the canary write lands in the sink page), and the canary is
 * intact afterwards (NV_HC_CANARY).  The verdict is one line:
 *   smpattack: CASE: ok: ...
 *   smpattack: CASE: BREACH: ...
 * then the exit port: 0 for ok, 1 for a breach.
 */
#include <efi.h>
#include <efilib.h>
#include <stdbool.h>

#include "boot/mp_services.h"
#include "core/hypercall.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/serial.h"
#include "tests/guest/lib/x86.h"

#define APIC_ICR_LO 0x300
#define APIC_ICR_HI 0x310
#define MARK        0x5150
#define EBX_NEST    0x7473654eu /* "Nest" */

extern const uint8_t smpattack_ap_start[], smpattack_ap_end[];

static EFI_GUID mp_guid = NV_EFI_MP_SERVICES_GUID;
static uint64_t canary_pa, canary;

static uint64_t apic_base(void)
{
	return rdmsr(0x1b) & 0xffffff000ull;
}

static volatile uint32_t *apic(unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)(apic_base() + off);
}

static long hypercall(uint64_t nr, uint64_t *rbx, uint64_t *rcx)
{
	uint64_t rax = nr, b = 0, c = 0, d = 0;

	__asm__ volatile("vmmcall" : "+a"(rax), "+b"(b), "+c"(c), "+d"(d)
			 :: "memory");
	if (rbx)
		*rbx = b;
	if (rcx)
		*rcx = c;
	return (long)rax;
}

static void ms(unsigned n)
{
	uefi_call_wrapper(BS->Stall, 1, 1000 * n);
}

/* INIT, or Start-up with vector, as a 32-bit store at offset off. */
static void ipi_at(unsigned off, uint32_t lo)
{
	*apic(off) = lo;
	ms(10);
}

/* The same as the upper half of an 8-byte store at offset 0x2fc. */
static void ipi_split(uint32_t lo)
{
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(apic_base() + 0x2fc);

	*p = (uint64_t)lo << 32 | 1u << 16;
	ms(10);
}

/* An interrupt message written by the CPU: address 0xFEE00000 with the
 * destination APIC ID in bits 19:12, data = delivery mode << 8 | vector. */
static void msi(uint32_t id, uint32_t data)
{
	*(volatile uint32_t *)(uintptr_t)(0xfee00000ull | (uint64_t)id << 12) = data;
	ms(10);
}

static int first_ap(uint32_t *apic_id)
{
	struct nv_mp_services *mp;
	UINTN nr = 0, enabled = 0;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL,
					(void **)&mp)) ||
	    EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp,
					&nr, &enabled)))
		return -1;
	for (UINTN i = 0; i < nr; i++) {
		struct nv_processor_info info;

		if (!EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp,
						 i, &info)) &&
		    !(info.status_flag & NV_PROCESSOR_AS_BSP)) {
			*apic_id = (uint32_t)info.processor_id;
			return 0;
		}
	}
	return -1;
}

static bool wait_mark(volatile uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (*(volatile uint16_t *)(p + 0x100) == MARK)
			return true;
		ms(1);
	}
	return false;
}

static bool canary_intact(void)
{
	uint64_t pa = 0, val = 0;

	return hypercall(NV_HC_CANARY, &pa, &val) == NV_HC_OK &&
	       pa == canary_pa && val == canary;
}

/* The ASCII word of the load options. */
static void option(char *out, unsigned size)
{
	const CHAR16 *o = guest_load_options();
	unsigned n = 0;

	for (; o && *o && n + 1 < size; o++)
		if (*o != ' ')
			out[n++] = *o < 0x80 ? (char)*o : '?';
	out[n] = 0;
}

static bool same(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static __attribute__((noreturn)) void verdict(const char *name, bool breach,
					      const char *why)
{
	gprintf("smpattack: %s: %s: %s\n", name, breach ? "BREACH" : "ok", why);
	guest_exit(breach ? 1 : 0);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_PHYSICAL_ADDRESS page = 0x9ffff;
	volatile uint8_t *p;
	uint32_t id = 0, vector, ebx;
	char name[32];
	bool ran;

	guest_efi_init(image, st);
	option(name, sizeof(name));
	gprintf("\nsmpattack: case \"%s\"\n", name);
	if (hypercall(NV_HC_CANARY, &canary_pa, &canary) != NV_HC_OK ||
	    canary_pa >> 32) {
		gprintf("smpattack: not under nestvisor, or no canary below 4 GiB\n");
		guest_exit(2);
	}
	if (same(name, "apic-off0")) {
		/* The boot CPU's own APIC: an INIT message (delivery mode 5). */
		gprintf("smpattack: apic-off0: storing 0x500 at APIC offset 0\n");
		*apic(0) = 0x500;
		ms(10);
		verdict(name, !canary_intact(),
			"the boot CPU is still running under nestvisor");
	}
	if (first_ap(&id) ||
	    EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
					EfiLoaderData, 1, &page))) {
		gprintf("smpattack: no AP, or no page below 640 KiB\n");
		guest_exit(2);
	}
	p = (volatile uint8_t *)(uintptr_t)page;
	for (unsigned i = 0; i < 4096; i++)
		p[i] = i < (unsigned)(smpattack_ap_end - smpattack_ap_start) ?
		       smpattack_ap_start[i] : 0;
	/* GDT at 0x110: null, then base 0, limit 4 GiB, data, writable. */
	*(volatile uint64_t *)(p + 0x118) = 0x00cf92000000ffffull;
	*(volatile uint16_t *)(p + 0x120) = 15;
	*(volatile uint32_t *)(p + 0x122) = (uint32_t)page + 0x110;
	*(volatile uint32_t *)(p + 0x108) = (uint32_t)canary_pa;
	vector = (uint32_t)(page >> 12);
	gprintf("smpattack: AP APIC ID %u, page vector 0x%x, canary at 0x%lx\n",
		id, vector, canary_pa);

	*apic(APIC_ICR_HI) = id << 24;
	if (same(name, "icr-alias")) {
		ipi_at(APIC_ICR_LO + 4, 0x4500);
		ipi_at(APIC_ICR_LO + 4, 0x4600 | vector);
		ipi_at(APIC_ICR_LO + 4, 0x4600 | vector);
	} else if (same(name, "icr-split")) {
		ipi_split(0x4500);
		ipi_split(0x4600 | vector);
		ipi_split(0x4600 | vector);
	} else if (same(name, "msi-window")) {
		msi(id, 0x500);
		ipi_at(APIC_ICR_LO, 0x4500);
		ipi_at(APIC_ICR_LO, 0x4600 | vector);
		ipi_at(APIC_ICR_LO, 0x4600 | vector);
	} else if (same(name, "msi-nmi")) {
		/* Real-mode IVT entry 2 (NMI) at physical 8: vector:0000. */
		uint64_t ivt = 8;

		__asm__ volatile("movl %0, (%1)" ::"r"(vector << 24), "r"(ivt)
				 : "memory");
		msi(id, 0x500);
		msi(id, 0x400);
	} else {
		gprintf("smpattack: no case \"%s\"\n", name);
		guest_exit(2);
	}
	ran = wait_mark(p, 1000);
	ebx = *(volatile uint32_t *)(p + 0x104);
	gprintf("smpattack: %s: the AP %s (CPUID 0x40000000 EBX 0x%08x, read "
		"0x%08x at the canary's address)\n", name,
		ran ? "ran the page" : "did not run the page", ebx,
		*(volatile uint32_t *)(p + 0x10c));
	if (!canary_intact())
		verdict(name, true, "nestvisor's canary was overwritten");
	if (ran && ebx != EBX_NEST)
		verdict(name, true, "the AP ran outside nestvisor");
	if (same(name, "msi-window") && !ran)
		verdict(name, true, "the AP no longer answers INIT-SIPI-SIPI "
			"(its INIT did not go through nestvisor)");
	verdict(name, false, ran ? "the AP ran as L1" :
		"no CPU ran outside nestvisor");
}
