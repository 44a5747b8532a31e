// SPDX-License-Identifier: MIT
/*
 * Group "init" (2 CPUs): INITs from L1.  SVM has no wait-for-SIPI state:
 * an INIT that reached a CPU would reset it out of guest mode, so it
 * would run on unvirtualized (docs/security.md, "INIT").  nestvisor owns
 * the ICR and delivers INIT and SIPI itself (svm/init_sipi.c); after each
 * INIT here the CPU must be in its INIT state, as the APM describes
 * (§14.1.3; an AP then waits for a Start-up IPI, §16.5), and still under
 * nestvisor: a Start-up IPI then runs ap_cpuid (ap_tramp.S) on it, whose
 * CPUID 0x40000000 must say "Nest".
 *  - INIT from the boot CPU to the AP (physical destination);
 *  - INIT from the boot CPU to all but itself (destination shorthand 11b);
 *  - INIT from the AP to itself (ap_init_self: its count must stop).
 * The ICR is written as an OS does (xAPIC, APM Vol. 2 §16.5: ICR high,
 * then ICR low: 0x4500 INIT level assert, 0x600 | vector Start-up), with
 * MOV through a register and, for the first INIT and in ap_init_self,
 * with MOV moffs (A3), the form a compiler gives a constant address.
 * The boot CPU's own INIT is not sent: it would restart the firmware at
 * the reset vector (F000:FFF0) with this payload gone, which nestvisor
 * does under virtualization too (svm/init_sipi.c, T1).
 */
#include <efi.h>
#include <efilib.h>
#include "ahci.h"
#include "attack.h"
#include "boot/mp_services.h"
#include "core/hypercall.h"
#include "core/x86.h"
#include "tests/guest/nested/npt.h"

#define APIC_BASE_PA 0xfee00000ull
#define APIC_ICR_LO  0x300u
#define APIC_ICR_HI  0x310u
#define ICR_BUSY     (1u << 12)
#define ICR_INIT     0x4500u            /* INIT, level assert */
#define ICR_STARTUP  0x0600u
#define ICR_ALL_BUT_SELF (3u << 18)
#define MARK_CPUID   0x5150u
#define MARK_INIT    0x1111u

extern const uint8_t ap_cpuid[], ap_cpuid_end[];
extern const uint8_t ap_init_self[], ap_init_self_end[];

static uint32_t ap_id = ~0u;
static volatile uint8_t *low;    /* one page below 1 MiB */

/* Before env_enter (UEFI calls): the first AP's APIC ID, a low page. */
void init_probe(void)
{
	static EFI_GUID mp_guid = NV_EFI_MP_SERVICES_GUID;
	struct nv_mp_services *mp;
	EFI_PHYSICAL_ADDRESS page = 0x9ffff;
	UINTN nr = 0, enabled = 0;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL,
					(void **)&mp)) ||
	    EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp,
					&nr, &enabled)))
		return;
	for (UINTN i = 0; i < nr && ap_id == ~0u; i++) {
		struct nv_processor_info info;

		if (!EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp,
						 i, &info)) &&
		    !(info.status_flag & NV_PROCESSOR_AS_BSP))
			ap_id = (uint32_t)info.processor_id;
	}
	if (!EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
					 EfiLoaderData, 1, &page)))
		low = (volatile uint8_t *)(uintptr_t)page;
}

static volatile uint32_t *apic(unsigned reg)
{
	return (volatile uint32_t *)(uintptr_t)(APIC_BASE_PA + reg);
}

/* The ICR written through a register (MOV r/m32, r32), or with MOV
 * moffs64, EAX (A3 with a 64-bit offset, as a compiler stores to a
 * constant address): nestvisor must emulate both (svm/insn.h). */
static int icr_moffs;

static void apic_store(unsigned reg, uint32_t v)
{
	if (reg == APIC_ICR_HI && icr_moffs)
		__asm__ volatile("movabsl %%eax, 0xfee00310" ::"a"(v) : "memory");
	else if (reg == APIC_ICR_LO && icr_moffs)
		__asm__ volatile("movabsl %%eax, 0xfee00300" ::"a"(v) : "memory");
	else
		__asm__ volatile("movl %k0, (%1)" ::"r"(v), "r"(apic(reg)) : "memory");
}

static void icr(uint32_t dest, uint32_t lo)
{
	apic_store(APIC_ICR_HI, dest << 24);
	apic_store(APIC_ICR_LO, lo);
	for (unsigned i = 0; i < 100000 && (*apic(APIC_ICR_LO) & ICR_BUSY); i++)
		__asm__ volatile("pause");
}

static void load(const uint8_t *start, const uint8_t *end)
{
	for (unsigned i = 0; i < 4096; i++)
		low[i] = i < (unsigned)(end - start) ? start[i] : 0;
}

static uint32_t word(unsigned off)
{
	return *(volatile uint32_t *)(low + off);
}

/* Up to ms for the word at off to become want. */
static int wait_word(unsigned off, uint32_t want, unsigned ms)
{
	for (unsigned i = 0; i < ms; i++) {
		if (word(off) == want)
			return 1;
		pm_delay_ms(1);
	}
	return word(off) == want;
}

/* Start-up IPIs (two, as OSes send them) into ap_cpuid: the AP ran it
 * and is a vCPU of nestvisor. */
static int sipi_runs_under_nestvisor(const char *after)
{
	uint32_t vector = (uint32_t)((uint64_t)(uintptr_t)low >> 12);
	int ran;

	load(ap_cpuid, ap_cpuid_end);
	icr(ap_id, ICR_STARTUP | vector);
	pm_delay_ms(1);
	icr(ap_id, ICR_STARTUP | vector);
	ran = wait_word(0x100, MARK_CPUID, 1000);
	tap_diag("after %s: Start-up IPI at vector 0x%x: the AP %s (CPUID "
		 "0x40000000 EBX 0x%x)", after, vector, ran ? "ran" : "did not run",
		 word(0x104));
	return TAP_EXPECT_EQ("the AP ran the Start-up code", ran, 1) &
	       TAP_EXPECT_EQ("its CPUID 0x40000000 EBX", word(0x104),
			     NV_CPUID_SIG_EBX);
}

static int ready(void)
{
	if (ap_id != ~0u && low && acpi_pm.tmr)
		return 1;
	tap_diag("needs an AP (QEMU -smp 2), a page below 1 MiB and the PM "
		 "timer: AP %u, page 0x%lx, PM timer 0x%x", ap_id, (uint64_t)(uintptr_t)low,
		 acpi_pm.tmr);
	return 0;
}

/* The AP waits in the firmware; INIT (written with MOV moffs), then the
 * Start-up IPIs. */
static int init_to_ap(void)
{
	if (!ready())
		return 0;
	icr_moffs = 1;
	icr(ap_id, ICR_INIT);
	icr_moffs = 0;
	pm_delay_ms(10);
	return sipi_runs_under_nestvisor("INIT to the AP");
}

/* The AP halts in ap_cpuid; INIT to all but the sender. */
static int init_all_but_self(void)
{
	if (!ready())
		return 0;
	icr(0, ICR_INIT | ICR_ALL_BUT_SELF);
	pm_delay_ms(10);
	return sipi_runs_under_nestvisor("INIT to all excluding self");
}

/* The AP sends itself an INIT: its count stops, and it takes a Start-up
 * IPI as a vCPU. */
static int init_self(void)
{
	uint32_t vector = (uint32_t)((uint64_t)(uintptr_t)low >> 12);
	uint32_t c1, c2;
	int ok;

	if (!ready())
		return 0;
	icr(ap_id, ICR_INIT);
	pm_delay_ms(10);
	load(ap_init_self, ap_init_self_end);
	icr(ap_id, ICR_STARTUP | vector);
	pm_delay_ms(1);
	icr(ap_id, ICR_STARTUP | vector);
	ok = TAP_EXPECT_EQ("the AP reached its INIT", wait_word(0x100, MARK_INIT, 1000), 1);
	pm_delay_ms(20);
	c1 = word(0x104);
	pm_delay_ms(50);
	c2 = word(0x104);
	tap_diag("the AP's count after its INIT: %u, 50 ms later %u", c1, c2);
	ok &= TAP_EXPECT_EQ("the count after the AP's own INIT", c2, c1);
	return ok & sipi_runs_under_nestvisor("the AP's INIT to itself");
}

/*
 * Group "devinit" (2 CPUs, QEMU -device amd-iommu): a device's interrupt
 * message with delivery mode INIT (PCI MSI address FEE0_0000h with the
 * destination APIC ID in bits 19:12, data bits 10:8 101b), sent by q35's
 * AHCI controller when a sector read completes.  nestvisor's IOMMU on bare
 * metal target-aborts it (InitPass clear) and hardware's VM_CR.R_INIT
 * turns it into #SX; either way the AP must still be a vCPU that answers
 * INIT-SIPI-SIPI (docs/security.md, "Interrupt messages", "Devices").
 */
static uint8_t devinit_buf[512] __attribute__((aligned(512)));

static int dev_msi_init(void)
{
	int rc;

	if (!ready())
		return 0;
	rc = ahci_read_sector_msi(0, (uint64_t)(uintptr_t)devinit_buf,
				  0xfee00000u | ap_id << 12, 0x500);
	tap_diag("AHCI read with MSI INIT to APIC ID %u: %d", ap_id, rc);
	pm_delay_ms(10);
	icr(ap_id, ICR_INIT);
	pm_delay_ms(10);
	return TAP_EXPECT_EQ("the AHCI read", rc, 0) &
	       sipi_runs_under_nestvisor("a device's INIT message");
}

/*
 * L2 at an I/O APIC through L1's NPT (docs/security.md, "L2 reaching a
 * page nestvisor emulates").  L1 maps L2's page R1 + 137 * 4 KiB onto the
 * MADT's I/O APIC (FEC0_0000h on q35) and L2 stores, one run each, the
 * RTC's entry (pin 8) as INIT for the AP through IOREGSEL (00h) and IOWIN
 * (10h) (82093AA datasheet §3.1, §3.2.4); L1 then turns the RTC's
 * periodic interrupt on (MC146818: register B bit 6, cleared by reading
 * C).  The shadow NPT must give L2 the sink there, not the device: the AP
 * still answers INIT-SIPI-SIPI as a vCPU.  Afterwards L1 writes the entry
 * back through its own (emulated) accesses.
 */
#define IOAPIC_PA 0xfec00000ull
#define RTC_PIN   8u
#define L2_IOAPIC (R1 + 137 * 4096ull)

extern const char l2_write[];

static uint32_t ioapic_rw(uint32_t r, int write, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_PA = r;
	if (write)
		*(volatile uint32_t *)(uintptr_t)(IOAPIC_PA + 0x10) = v;
	return *(volatile uint32_t *)(uintptr_t)(IOAPIC_PA + 0x10);
}

static void cmos_out(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

static uint8_t cmos_in(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

/* One L2 store of v (8 bytes: the I/O APIC takes the low 4) at off. */
static int l2_store(unsigned off, uint64_t v)
{
	struct l2_gprs g = { .rbx = L2_IOAPIC + off, .rcx = v };

	vmcb_default(env.vmcb, l2_write);
	vmcb_use_npt(env.vmcb);
	l2_run(env.vmcb, &g);
	return expect_exit(env.vmcb, VMEXIT_VMMCALL);
}

static int l2_ioapic(void)
{
	uint32_t lo_r = 0x10 + 2 * RTC_PIN, hi_r = lo_r + 1;
	uint32_t old_lo, old_hi;
	uint8_t b;
	int ok;

	if (!ready())
		return 0;
	old_lo = ioapic_rw(lo_r, 0, 0);
	old_hi = ioapic_rw(hi_r, 0, 0);
	npt_reset();
	npt.pt1[137] = IOAPIC_PA | PTE_P | PTE_RW | PTE_US;
	npt.l2_pt1[137] = L2_IOAPIC | PTE_P | PTE_RW;
	ok = l2_store(0x00, hi_r) & l2_store(0x10, ap_id << 24) &
	     l2_store(0x00, lo_r) & l2_store(0x10, 0x500);
	npt_reset();
	b = cmos_in(0x0b);
	(void)cmos_in(0x0c);
	cmos_out(0x0b, (uint8_t)(b | 0x40));
	pm_delay_ms(20);
	(void)cmos_in(0x0c);
	pm_delay_ms(20);
	cmos_out(0x0b, b);
	(void)cmos_in(0x0c);
	ioapic_rw(lo_r, 1, old_lo | 0x10000);
	ioapic_rw(hi_r, 1, old_hi);
	ioapic_rw(lo_r, 1, old_lo);
	tap_diag("L2 stored INIT for APIC ID %u into entry %u through L1's "
		 "NPT; the RTC's periodic interrupt fired", ap_id, RTC_PIN);
	icr(ap_id, ICR_INIT);
	pm_delay_ms(10);
	return ok & sipi_runs_under_nestvisor("L2's stores at the I/O APIC");
}

/* Both CPUs still under nestvisor, none parked. */
static int cpus(void)
{
	uint64_t n = 0, parked = 0;

	return TAP_EXPECT_EQ("NV_HC_CPUS status",
			     (uint64_t)hypercall(NV_HC_CPUS, &n, &parked), 0) &
	       TAP_EXPECT_EQ("CPUs under nestvisor", n, 2) &
	       TAP_EXPECT_EQ("CPUs parked", parked, 0);
}

static const struct tap_case init_cases[] = {
	{ "init.to_the_ap", init_to_ap },
	{ "init.to_all_but_self", init_all_but_self },
	{ "init.ap_to_itself", init_self },
	{ "init.l2_ioapic_through_l1_npt", l2_ioapic },
	{ "init.every_cpu_under_nestvisor", cpus },
	{ "init.hypervisor_intact", hv_intact },
};

/*
 * After the AP is lost (under QEMU, see the group's comment), nestvisor
 * must go on serving L1: L2 runs on a shadow NPT twice, each run's
 * protections of L1's NPT pages a shootdown that still counts the AP as in
 * guest mode, which gives up on it after its bound (svm/smp.c, "Giving
 * up") rather than wait for good; L2's stores land where L1's NPT says.
 */
static int l2_after_lost_ap(void)
{
	int ok = 1;

	for (uint64_t round = 1; round <= 2; round++) {
		struct l2_gprs g = { .rbx = GPA_DATA, .rcx = 0x1e57a900 + round };

		npt_reset();
		vmcb_default(env.vmcb, l2_write);
		vmcb_use_npt(env.vmcb);
		/* l2_run() bounds a run with its timer (an INTR exit resumes
		 * L2 where it was); the shootdown's bound is longer. */
		l2_run(env.vmcb, &g);
		for (int i = 0; i < 20 && env.vmcb->control.exit_code == VMEXIT_INTR; i++)
			l2_run(env.vmcb, &g);
		ok &= expect_exit(env.vmcb, VMEXIT_VMMCALL);
		ok &= TAP_EXPECT_EQ("L2's store through the shadow NPT",
				    *(volatile uint64_t *)npt.data,
				    0x1e57a900 + round);
	}
	return ok;
}

static const struct tap_case devinit_cases[] = {
	{ "devinit.ahci_msi_init", dev_msi_init },
	{ "devinit.every_cpu_under_nestvisor", cpus },
	{ "devinit.hypervisor_intact", hv_intact },
};

struct attack_group devinit_group(void)
{
	return (struct attack_group){ "devinit", "2 CPUs, -device amd-iommu",
				      devinit_cases, TAP_COUNT(devinit_cases) };
}

/*
 * Group "devinit-lost" (2 CPUs, QEMU -device amd-iommu): the same device
 * INIT, which under QEMU loses the AP (the known finding of "devinit"),
 * and then nestvisor must go on without it: the run requires the
 * shootdown's give-up line, and L2 runs on a shadow NPT twice.  On
 * hardware the AP is not lost, and this run does not apply.
 */
static int dev_msi_init_sent(void)
{
	int rc;

	if (!ready())
		return 0;
	rc = ahci_read_sector_msi(0, (uint64_t)(uintptr_t)devinit_buf,
				  0xfee00000u | ap_id << 12, 0x500);
	pm_delay_ms(10);
	return TAP_EXPECT_EQ("the AHCI read with its MSI as INIT", rc, 0);
}

static const struct tap_case devinit_lost_cases[] = {
	{ "devinit-lost.ahci_msi_init", dev_msi_init_sent },
	{ "devinit-lost.l2_after_the_lost_ap", l2_after_lost_ap },
	{ "devinit-lost.hypervisor_intact", hv_intact },
};

struct attack_group devinit_lost_group(void)
{
	return (struct attack_group){ "devinit-lost", "2 CPUs, -device amd-iommu",
				      devinit_lost_cases,
				      TAP_COUNT(devinit_lost_cases) };
}

struct attack_group init_group(void)
{
	return (struct attack_group){ "init", "2 CPUs", init_cases,
				      TAP_COUNT(init_cases) };
}
