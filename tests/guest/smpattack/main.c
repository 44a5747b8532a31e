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
 *               0xFEE00000 | APIC ID << 12 (the MSI address format of
 *               the PCI Local Bus Specification), outside the APIC page,
 *               which QEMU delivers as an interrupt message; then
 *               INIT-SIPI-SIPI through the ICR as an OS sends it.
 *   msi-nmi     an INIT as above, then an NMI message to the same CPU,
 *               with the real-mode IVT's NMI vector pointing at the page.
 *   ioapic-init the I/O APIC's redirection entry of the RTC's pin set to
 *               INIT for the AP, the RTC's periodic interrupt fired
 *               (ioapic_init_case() below); then INIT-SIPI-SIPI through
 *               the ICR as an OS sends it.
 *   apic-off0   the boot CPU stores an INIT message (0x500) at offset 0
 *               of its APIC page (a reserved register).
 *   s3-pmbase   ACPI S3 through the PM1 control register after moving
 *               the ACPI PM block (q35's PMBASE), the page as the FACS
 *               waking vector (s3_pmbase() below).
 *   ecam-move   the hidden IOMMU's configuration space at an ECAM base L1
 *               moves (q35's PCIEXBAR; QEMU -device amd-iommu).
 *   cf8-race    CONFIG_ADDRESS rewritten by the AP while nestvisor serves
 *               the boot CPU's CONFIG_DATA read (QEMU -device amd-iommu).
 *   wait-sipi-smi  variable writes (SMIs, runner --smm) while the AP waits
 *               for a SIPI in nestvisor (wait_sipi_smi() below).
 *   apic-en-off the AP clears its APIC_BASE.EN and spins in guest mode
 *               while the boot CPU sends it INIT and NMI IPIs, then sets EN
 *               again (apic_en_off() below); then INIT-SIPI-SIPI.
 *   vmsave-ioapic  two VMSAVEs with rAX at the I/O APIC, STAR and CSTAR
 *               its IOREGSEL and IOWIN: the RTC's entry set to INIT for the
 *               AP, then fired; then INIT-SIPI-SIPI through the ICR.
 *
 * The IPI cases start the AP, if it starts, at a real-mode page (ap16.S)
 * that records CPUID 0x40000000's EBX and overwrites nestvisor's canary
 * (its address from NV_HC_CANARY).  What a correct nestvisor must give: no
 * CPU ever runs outside nestvisor, so the page, if it runs at all, runs as
 * L1 (EBX "Nest", the canary write lands in the sink page), and the canary
 * is intact afterwards (NV_HC_CANARY).  The verdict is one line:
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
#include "tests/guest/lib/nv.h"
#include "tests/guest/lib/serial.h"
#include "tests/guest/lib/sipi.h"
#include "tests/guest/lib/x86.h"

#define EBX_NEST    0x7473654eu /* "Nest" */

extern const uint8_t smpattack_ap_start[], smpattack_ap_end[];

static EFI_GUID mp_guid = NV_EFI_MP_SERVICES_GUID;
static uint64_t canary_pa, canary;

static uint64_t apic_base(void)
{
	return rdmsr(0x1b) & 0xffffff000ull;
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
	*guest_apic(off) = lo;
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

/*
 * An I/O APIC redirection entry with delivery mode INIT (82093AA
 * datasheet §3.2.4: IOREGSEL at 00h, IOWIN at 10h, entry n at registers
 * 10h + 2n (low: vector 7:0, delivery mode 10:8, mask 16) and 11h + 2n
 * (high: destination 63:56)).  On q35 the RTC's IRQ 8 is the I/O APIC's
 * pin 8 (edge, active high); the RTC raises it when its periodic
 * interrupt is enabled (register B bit 6, PIE) and lowers it when
 * register C is read (MC146818 registers).  The entry must read back as
 * written; whatever the device holds, the AP must still be a vCPU that
 * answers INIT-SIPI-SIPI afterwards.
 */
#define IOAPIC_BASE 0xfec00000ull
#define RTC_PIN     8u

static uint32_t ioapic_read(uint32_t r)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = r;
	return *(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + 0x10);
}

static void ioapic_write(uint32_t r, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC_BASE = r;
	*(volatile uint32_t *)(uintptr_t)(IOAPIC_BASE + 0x10) = v;
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void cmos_put(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

/* The RTC's periodic interrupt on for about 40 ms (MC146818 register B
 * bit 6, b its old value; reading C acknowledges), then the RTC's I/O
 * APIC entry back as it was (masked while it changes). */
static void rtc_fire_then_restore(uint8_t b, uint32_t old_lo, uint32_t old_hi)
{
	uint32_t lo_r = 0x10 + 2 * RTC_PIN, hi_r = lo_r + 1;

	cmos_put(0x0b, (uint8_t)(b | 0x40));
	ms(20);
	(void)cmos_read(0x0c);
	ms(20);
	cmos_put(0x0b, b);
	(void)cmos_read(0x0c);
	ioapic_write(lo_r, old_lo | 0x10000);
	ioapic_write(hi_r, old_hi);
	ioapic_write(lo_r, old_lo);
}

static void ioapic_init_case(uint32_t id)
{
	uint32_t lo_r = 0x10 + 2 * RTC_PIN, hi_r = lo_r + 1;
	uint32_t old_lo = ioapic_read(lo_r), old_hi = ioapic_read(hi_r), back;
	uint8_t b = cmos_read(0x0b);

	(void)cmos_read(0x0c);
	ioapic_write(lo_r, 0x10000);		/* masked while it changes */
	ioapic_write(hi_r, id << 24);
	ioapic_write(lo_r, 0x500);		/* INIT, edge, unmasked */
	back = ioapic_read(lo_r) & ~0x5000u;	/* less the read-only bits */
	gprintf("smpattack: ioapic-init: entry %u was 0x%08x_%08x, now INIT "
		"to APIC ID %u, reads 0x%x; RTC periodic interrupt on\n",
		RTC_PIN, old_hi, old_lo, id, back);
	rtc_fire_then_restore(b, old_lo, old_hi);
	if (back != 0x500) {
		gprintf("smpattack: ioapic-init: FAIL: the entry read back 0x%x, "
			"not the 0x500 written\n", back);
		guest_exit(2);
	}
}

/*
 * VMSAVE (APM Vol. 2 §15.5.2) writes the VMLOAD state to the page at rAX,
 * at the VMCB save area's offsets (APM Vol. 2 Appendix B, Table B-2): FS
 * at 440h, GS 450h, LDTR 470h, TR 490h, STAR 600h, LSTAR 608h, CSTAR 610h,
 * SFMASK 618h, KernelGsBase 620h, SYSENTER_CS/ESP/EIP 628h-638h.  STAR and
 * CSTAR are L1's to choose (their low halves are only used by legacy-mode
 * SYSCALL), so a VMSAVE is an L1 store of two chosen 32-bit values at
 * page + 600h and page + 610h.  Aimed at a page whose accesses nestvisor
 * emulates for L1 (docs/security.md, "Interrupt messages"), those stores
 * must get no further than L1's own would.  The other MSRs of the state
 * are zero meanwhile (an interrupt message of Fixed mode and vector 0,
 * which no CPU accepts, in the window; no register at those offsets of an
 * I/O APIC, 82093AA datasheet §3.1); everything is restored afterwards.
 * (In the message window, where a 32-bit store is an interrupt message
 * under QEMU, VMSAVE's 8-byte stores are not accepted by QEMU 7.2's APIC,
 * so only the I/O APIC is aimed at.)
 */
#define MSR_EFER	   0xc0000080u
#define EFER_SVME	   (1ull << 12)

static void vmsave_at(uint64_t pa, uint32_t star_lo, uint32_t cstar_lo)
{
	static const uint32_t msrs[] = {
		0xc0000081u, 0xc0000082u, 0xc0000083u, 0xc0000084u,
		0xc0000102u, 0x174u, 0x175u, 0x176u,
	};
	uint64_t old[sizeof(msrs) / sizeof(msrs[0])], efer = rdmsr(MSR_EFER);
	uint64_t flags = irq_save();

	for (unsigned i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
		old[i] = rdmsr(msrs[i]);
		wrmsr(msrs[i], 0);
	}
	wrmsr(0xc0000081u, star_lo);	/* STAR */
	wrmsr(0xc0000083u, cstar_lo);	/* CSTAR */
	wrmsr(MSR_EFER, efer | EFER_SVME);
	__asm__ volatile("vmsave" :: "a"(pa) : "memory");
	wrmsr(MSR_EFER, efer);
	for (unsigned i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		wrmsr(msrs[i], old[i]);
	irq_restore(flags);
	ms(10);
}

/* The RTC's entry (pin 8) as INIT for APIC ID id, written by VMSAVE's
 * STAR (IOREGSEL at 00h) and CSTAR (IOWIN at 10h), then fired. */
static void vmsave_ioapic(uint32_t id)
{
	uint32_t lo_r = 0x10 + 2 * RTC_PIN, hi_r = lo_r + 1;
	uint32_t old_lo = ioapic_read(lo_r), old_hi = ioapic_read(hi_r);
	uint8_t b = cmos_read(0x0b);

	(void)cmos_read(0x0c);
	vmsave_at(IOAPIC_BASE, hi_r, id << 24);
	vmsave_at(IOAPIC_BASE, lo_r, 0x500);	/* INIT, edge, unmasked */
	gprintf("smpattack: vmsave-ioapic: entry %u was 0x%08x_%08x, VMSAVE "
		"wrote INIT to APIC ID %u over it; RTC periodic interrupt on\n",
		RTC_PIN, old_hi, old_lo, id);
	rtc_fire_then_restore(b, old_lo, old_hi);
}

static bool bare; /* not under nestvisor: wait-sipi-smi's reference run */

static bool canary_intact(void)
{
	uint64_t pa = 0, val = 0;

	if (bare)
		return true;

	return hypercall(NV_HC_CANARY, &pa, &val) == NV_HC_OK &&
	       pa == canary_pa && val == canary;
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

/* PCI configuration through CF8h/CFCh (bus 0). */
static uint32_t pci_read(unsigned dev, unsigned fn, unsigned reg)
{
	outl(0xcf8, 0x80000000u | dev << 11 | fn << 8 | reg);
	return inl(0xcfc);
}

static void pci_write(unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | fn << 8 | reg);
	outl(0xcfc, v);
}

/* The FACS (ACPI 6.4 §5.2.10) through RSDP, XSDT and FADT (§5.2.9:
 * FIRMWARE_CTRL at 36, X_FIRMWARE_CTRL at 132), or NULL. */
static volatile uint8_t *find_facs(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	const uint8_t *rsdp = NULL, *xsdt;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
		if (!CompareGuid(&ST->ConfigurationTable[i].VendorGuid, &acpi20))
			rsdp = ST->ConfigurationTable[i].VendorTable;
	if (!rsdp)
		return NULL;
	xsdt = (const uint8_t *)(uintptr_t)*(const uint64_t *)(rsdp + 24);
	for (uint32_t off = 36; off + 8 <= *(const uint32_t *)(xsdt + 4); off += 8) {
		const uint8_t *t = (const uint8_t *)(uintptr_t)
				   *(const uint64_t *)(xsdt + off);
		uint64_t facs;

		if (!t || t[0] != 'F' || t[1] != 'A' || t[2] != 'C' || t[3] != 'P')
			continue;
		facs = *(const uint32_t *)(t + 36);
		if (*(const uint32_t *)(t + 4) >= 140 && *(const uint64_t *)(t + 132))
			facs = *(const uint64_t *)(t + 132);
		return (volatile uint8_t *)(uintptr_t)facs;
	}
	return NULL;
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

static void outw16(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %w0, %w1" ::"a"(v), "d"(port));
}

/*
 * ACPI S3 through the PM1 control register at another port: q35's LPC
 * bridge (00:1f.0, ICH9) places the ACPI PM block at PMBASE, its
 * configuration register 40h; PM1 control is PMBASE + 4, PM1 enable
 * PMBASE + 2.  L1 moves the block, arms a wake (the RTC alarm every
 * second: alarm registers 1, 3, 5 "don't care" (C0h-FFh), register B's
 * AIE; PM1 enable's RTC_EN, bit 10), points the FACS's real-mode waking
 * vector at the page (ACPI 6.4 §5.2.10: FirmwareWakingVector at 12,
 * X_FirmwareWakingVector at 24, 0 so that the real-mode one is used),
 * then writes SLP_TYP = 1 (QEMU's \_S3) with SLP_EN (bit 13).  nestvisor
 * refuses S3 as an immediate wake (docs/architecture.md, "Sleep states"):
 * the write must come back at once.  If the machine sleeps, the firmware
 * resumes it at the waking vector, natively, and the page prints the
 * verdict itself.
 */
#define PMBASE_NEW 0x700u

static const char s3_line[] = "smpattack: s3-pmbase: BREACH: the boot CPU "
	"resumed from S3 at L1's waking vector, read and overwrote nestvisor's "
	"canary; CPUID 0x40000000 EBX \"";

static __attribute__((noreturn)) void s3_pmbase(const char *name,
						volatile uint8_t *p)
{
	uint32_t old = pci_read(0x1f, 0, 0x40);
	volatile uint8_t *facs = find_facs();

	if (!facs) {
		gprintf("smpattack: s3-pmbase: no FACS\n");
		guest_exit(2);
	}
	for (unsigned i = 0; i < sizeof(s3_line); i++)
		p[0x140 + i] = (uint8_t)s3_line[i];
	p[0x130] = 1;
	p[0x131] = 1; /* exit status 3 */
	*(volatile uint32_t *)(facs + 12) = (uint32_t)(uintptr_t)p;
	*(volatile uint64_t *)(facs + 24) = 0;
	gprintf("smpattack: s3-pmbase: PMBASE 0x%x, moved to 0x%x; waking vector "
		"0x%lx; S3 through port 0x%x\n", old & 0xff80, PMBASE_NEW,
		(uint64_t)(uintptr_t)p, PMBASE_NEW + 4);
	pci_write(0x1f, 0, 0x40, PMBASE_NEW | 1);
	cmos_write(1, 0xff);
	cmos_write(3, 0xff);
	cmos_write(5, 0xff);
	outb(0x70, 0x0b);
	cmos_write(0x0b, (uint8_t)(inb(0x71) | 0x20));
	outw16(PMBASE_NEW + 2, 1u << 10);
	outw16(PMBASE_NEW + 4, 1u << 10 | 1u << 13);
	ms(100);
	pci_write(0x1f, 0, 0x40, old);
	verdict(name, !canary_intact(), "the machine did not sleep");
}

/* ---- the hidden IOMMU function ------------------------------------------ */

/* The first function of bus 0 that CF8h/CFCh show as absent (all ones)
 * but ECAM at ecam shows present (a vendor ID other than FFFFh, and not
 * 0000h, what memory with no ECAM behind it reads under QEMU): the IOMMU
 * nestvisor hides (svm/dma.c); -1 if none.  ECAM (PCIe Base Spec §7.2.2): bus << 20 | dev << 15 |
 * fn << 12. */
static int hidden_bdf(uint64_t ecam, uint32_t *id)
{
	for (unsigned d = 0; d < 32; d++)
		for (unsigned f = 0; f < 8; f++) {
			uint32_t v = *(volatile uint32_t *)(uintptr_t)
				     (ecam + (d << 15 | f << 12));

			if ((v & 0xffff) != 0xffff && (v & 0xffff) != 0 &&
			    pci_read(d, f, 0) == 0xffffffffu) {
				*id = v;
				return (int)(d << 3 | f);
			}
		}
	return -1;
}

/*
 * ECAM moved: q35's MCH (00:00.0) places ECAM at PCIEXBAR, its
 * configuration register 60h (enable bit 0, size bits 2:1, 0 = 256 MiB,
 * base bits 35:28).  nestvisor hides the IOMMU's page at the ECAM address
 * it found at start-up; at a new base the IOMMU's configuration space must
 * still read as absent (docs/security.md, "DMA").  PCIEXBAR is written
 * through CF8h/CFCh, then through ECAM itself.
 */
#define ECAM_NEW 0xd0000000ul

static __attribute__((noreturn)) void ecam_move(const char *name)
{
	uint32_t lo = pci_read(0, 0, 0x60), hi = pci_read(0, 0, 0x64), id = 0;
	int bdf;

	gprintf("smpattack: ecam-move: PCIEXBAR 0x%x_%08x, moved to 0x%lx\n",
		hi, lo, ECAM_NEW);
	pci_write(0, 0, 0x60, 0);
	pci_write(0, 0, 0x64, 0);
	pci_write(0, 0, 0x60, (uint32_t)ECAM_NEW | 1);
	bdf = hidden_bdf(ECAM_NEW, &id);
	pci_write(0, 0, 0x60, 0);
	pci_write(0, 0, 0x64, hi);
	pci_write(0, 0, 0x60, lo);
	if (bdf < 0) {
		/* The same through ECAM itself: the host bridge's register
		 * 60h at the current base (MOV stores); put back through the
		 * ports. */
		volatile uint32_t *bar = (volatile uint32_t *)(uintptr_t)
			((uint64_t)hi << 32 | (lo & 0xf0000000u) | 0x60);

		gprintf("smpattack: ecam-move: again through ECAM at 0x%lx\n",
			(uint64_t)(uintptr_t)bar);
		bar[1] = 0; /* one store moves it: after a disable, ECAM
			     * would be gone for the next */
		bar[0] = (uint32_t)ECAM_NEW | 1;
		bdf = hidden_bdf(ECAM_NEW, &id);
		pci_write(0, 0, 0x60, 0);
		pci_write(0, 0, 0x64, hi);
		pci_write(0, 0, 0x60, lo);
	}
	if (bdf >= 0) {
		gprintf("smpattack: ecam-move: 00:%02x.%x reads ID 0x%08x in ECAM, "
			"all ones through CF8h/CFCh\n", bdf >> 3, bdf & 7, id);
		verdict(name, true, "the hidden IOMMU's configuration space is "
			"visible through the moved ECAM");
	}
	verdict(name, !canary_intact(), "no hidden function is visible");
}

/*
 * CONFIG_ADDRESS (CF8h) is one register for all CPUs (PCI Local Bus Spec
 * §3.2.2.3.2); nestvisor keeps one per vCPU (svm/ioio.c).  The AP writes
 * CF8h = register 0 (vendor and device ID) of device 0..31 of bus 0, over
 * and over; the boot CPU writes CF8h = the host bridge's, then reads CFCh.
 * nestvisor decides from CF8h and then reads CFCh.  The boot CPU may see
 * the host bridge's ID, all ones, or another visible function's ID (the
 * AP's address got in first: the ports are L1's to race), but never an
 * ID no visible function has: the hidden IOMMU's.
 */
#define RACE_ROUNDS 200000u

struct race {
	volatile uint32_t stop, running;
};

static VOID EFIAPI race_ap(VOID *arg)
{
	struct race *r = arg;

	r->running = 1;
	for (uint32_t d = 0; !r->stop; d = (d + 1) & 31)
		outl(0xcf8, 0x80000000u | d << 11);
	r->running = 0;
}

static __attribute__((noreturn)) void cf8_race(const char *name)
{
	static struct race r;
	static uint32_t visible[32];
	struct nv_mp_services *mp;
	EFI_EVENT ev;
	UINTN nr = 0, enabled = 0, ap = 0;
	uint32_t host = pci_read(0, 0, 0), seen = 0, got = 0;

	for (unsigned d = 0; d < 32; d++)
		visible[d] = pci_read(d, 0, 0);
	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL,
					(void **)&mp)) ||
	    EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp,
					&nr, &enabled)) || nr < 2 ||
	    EFI_ERROR(uefi_call_wrapper(BS->CreateEvent, 5, 0, 0, NULL, NULL,
					&ev))) {
		gprintf("smpattack: cf8-race: no AP or no event\n");
		guest_exit(2);
	}
	for (UINTN i = 0; i < nr && !ap; i++) {
		struct nv_processor_info info;

		if (!EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp,
						 i, &info)) &&
		    !(info.status_flag & NV_PROCESSOR_AS_BSP))
			ap = i;
	}
	if (EFI_ERROR(uefi_call_wrapper(mp->startup_this_ap, 7, mp, race_ap, ap,
					ev, 0, (VOID *)&r, NULL))) {
		gprintf("smpattack: cf8-race: StartupThisAP failed\n");
		guest_exit(2);
	}
	while (!r.running)
		;
	for (unsigned i = 0; i < RACE_ROUNDS; i++) {
		bool known = false;
		uint32_t v;

		outl(0xcf8, 0x80000000u);
		v = inl(0xcfc);
		for (unsigned d = 0; d < 32 && !known; d++)
			known = v == visible[d];
		if (!known) {
			seen++;
			got = v;
		}
	}
	r.stop = 1;
	while (r.running)
		;
	gprintf("smpattack: cf8-race: %u of %u reads (host bridge 0x%08x) "
		"returned an ID no visible function has: last 0x%08x\n", seen,
		RACE_ROUNDS, host, got);
	if (seen)
		verdict(name, true, "CONFIG_DATA reached the hidden IOMMU function");
	verdict(name, !canary_intact(), "no read reached a hidden function");
}

/*
 * An AP that waits for a SIPI while SMIs come: OVMF's SMM build
 * (runner --smm) makes every variable write an SMI that all CPUs enter
 * (q35's broadcast SMI), and its SMM waits for every CPU to arrive.  The
 * boot CPU sends the AP INIT alone, so that the AP waits for a Start-up
 * in nestvisor (svm/init_sipi.c), then writes a variable 10 times and
 * times it with the TSC against a 100 ms stall; then INIT-SIPI-SIPI
 * starts the AP at the page, as L1.  The firmware's SMM counts on every
 * CPU entering it, the one waiting for a SIPI included, so the writes
 * must take about what they take with the AP idle (measured first), as
 * they do on QEMU without nestvisor: the payload also runs bare, from the
 * firmware's shell ("smpattack.efi wait-sipi-smi"), and then judges the
 * timing only.
 */
static uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return (uint64_t)hi << 32 | lo;
}

static uint64_t var_writes_ms(void)
{
	static EFI_GUID g = { 0x6e657374, 0x7669, 0x736f,
			      { 0x72, 0x2d, 0x72, 0x65, 0x76, 0x69, 0x65, 0x77 } };
	static CHAR16 var[] = u"NvSmpAttack";
	uint64_t t0, t1, per_ms, t;
	uint32_t val = 0;
	EFI_STATUS st;

	t0 = tsc();
	ms(100);
	per_ms = (tsc() - t0) / 100;
	t1 = tsc();
	for (unsigned i = 0; i < 10; i++) {
		val = i;
		st = uefi_call_wrapper(RT->SetVariable, 5, var, &g,
				       EFI_VARIABLE_NON_VOLATILE |
				       EFI_VARIABLE_BOOTSERVICE_ACCESS,
				       sizeof(val), &val);
		/* A write refused early would take no SMI, and the timing
		 * would prove nothing. */
		if (EFI_ERROR(st)) {
			gprintf("smpattack: wait-sipi-smi: FAIL: SetVariable "
				"returned 0x%lx: no SMI to time\n", (uint64_t)st);
			guest_exit(2);
		}
	}
	t = (tsc() - t1) / (per_ms ? per_ms : 1);
	uefi_call_wrapper(RT->SetVariable, 5, var, &g, 0, 0, NULL);
	return t;
}

static __attribute__((noreturn)) void wait_sipi_smi(const char *name,
						    uint32_t id, uint32_t vector,
						    volatile uint8_t *p)
{
	uint64_t idle, waiting;
	bool ran;

	*(volatile uint32_t *)(p + 0x108) = 0; /* no canary write: L1 */
	idle = var_writes_ms();
	gprintf("smpattack: wait-sipi-smi: 10 variable writes, AP idle: %lu ms\n",
		idle);
	*guest_apic(APIC_ICR_HI) = id << 24;
	ipi_at(APIC_ICR_LO, 0x4500);
	/* The least of up to three runs: a loaded machine slows one run now
	 * and then (0.9 s against 0.06 s idle once in CI); SMIs that wait for
	 * the AP slow every run.  A run within the bound ends the search. */
	waiting = ~0ull;
	for (unsigned i = 0; i < 3 && waiting > 4 * idle + 500; i++) {
		uint64_t t = var_writes_ms();

		gprintf("smpattack: wait-sipi-smi: 10 variable writes, AP waiting "
			"for a SIPI: %lu ms\n", t);
		if (t < waiting)
			waiting = t;
	}
	ipi_at(APIC_ICR_LO, 0x4600 | vector);
	ipi_at(APIC_ICR_LO, 0x4600 | vector);
	ran = guest_ap_ran(p, 1000);
	gprintf("smpattack: wait-sipi-smi: the AP %s\n", ran ? "ran the page" :
		"did not run the page");
	if (waiting > 4 * idle + 500)
		verdict(name, true, "SMIs wait for the AP that waits for a SIPI");
	if (bare) /* QEMU itself: only the timing is the reference */
		verdict(name, false, "variable writes took about as long with "
			"the AP waiting (no nestvisor)");
	verdict(name, !ran || !canary_intact(), "variable writes took about as "
		"long with the AP waiting, which then ran as L1");
}

/*
 * L1 hardware-disables an AP's local APIC (APIC_BASE bit 11, EN), which
 * would stop nestvisor's NMI kicks to it (docs/security.md, "A kick that
 * never arrives").  The AP, through the firmware's MP services, reads
 * APIC_BASE, writes it with EN clear, reads it again (EN must read clear,
 * as written), spins in guest mode without an exit while the boot CPU
 * sends it INIT and NMI IPIs (which a disabled APIC does not receive),
 * then writes the first value back.  Afterwards the AP must still run
 * INIT-SIPI-SIPI as a vCPU.  CPUID Fn0000_0001_EDX[9] (APIC, "present and
 * enabled", APM Vol. 3 Appendix E) must read 1, then 0 while EN is clear,
 * then 1 again.
 */
struct en_off {
	volatile uint32_t stop, phase;
	volatile uint64_t before, during, after;
	volatile uint32_t edx_before, edx_during, edx_after;
};

static uint32_t cpuid1_edx(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return d;
}

static VOID EFIAPI en_off_ap(VOID *arg)
{
	struct en_off *e = arg;

	e->before = rdmsr(0x1b);
	e->edx_before = cpuid1_edx();
	wrmsr(0x1b, e->before & ~(1ull << 11));
	e->during = rdmsr(0x1b);
	e->edx_during = cpuid1_edx();
	e->phase = 1;
	while (!e->stop)
		__asm__ volatile("pause");
	wrmsr(0x1b, e->before);
	e->after = rdmsr(0x1b);
	e->edx_after = cpuid1_edx();
	e->phase = 2;
}

static bool apic_en_off(uint32_t id, uint32_t vector)
{
	static struct en_off e;
	struct nv_mp_services *mp;
	EFI_EVENT ev;
	UINTN nr = 0, enabled = 0, ap = 0;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL,
					(void **)&mp)) ||
	    EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp,
					&nr, &enabled)) || nr < 2 ||
	    EFI_ERROR(uefi_call_wrapper(BS->CreateEvent, 5, 0, 0, NULL, NULL,
					&ev)))
		return false;
	for (UINTN i = 0; i < nr && !ap; i++) {
		struct nv_processor_info info;

		if (!EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp,
						 i, &info)) &&
		    !(info.status_flag & NV_PROCESSOR_AS_BSP))
			ap = i;
	}
	if (EFI_ERROR(uefi_call_wrapper(mp->startup_this_ap, 7, mp, en_off_ap,
					ap, ev, 0, (VOID *)&e, NULL)))
		return false;
	for (unsigned i = 0; i < 1000 && e.phase != 1; i++)
		ms(1);
	gprintf("smpattack: apic-en-off: the AP's APIC_BASE 0x%lx, written "
		"with EN clear, reads 0x%lx\n", e.before, e.during);
	*guest_apic(APIC_ICR_HI) = id << 24;
	ipi_at(APIC_ICR_LO, 0x4500);		/* INIT */
	ipi_at(APIC_ICR_LO, 0x4600 | vector);	/* Start-up */
	ipi_at(APIC_ICR_LO, 0x4400);		/* NMI */
	e.stop = 1;
	for (unsigned i = 0; i < 1000 && e.phase != 2; i++)
		ms(1);
	gprintf("smpattack: apic-en-off: the AP %s, APIC_BASE 0x%lx again\n",
		e.phase == 2 ? "set EN again" : "did not come back", e.after);
	if (e.phase != 2 || (e.during & (1ull << 11)) ||
	    e.during != (e.before & ~(1ull << 11)) || e.after != e.before) {
		gprintf("smpattack: apic-en-off: FAIL: APIC_BASE did not read "
			"back as written, or the AP did not finish\n");
		guest_exit(2);
	}
	gprintf("smpattack: apic-en-off: CPUID.1:EDX[APIC] %u, with EN clear "
		"%u, after %u\n", e.edx_before >> 9 & 1, e.edx_during >> 9 & 1,
		e.edx_after >> 9 & 1);
	if (!(e.edx_before & e.edx_after & (1u << 9)) ||
	    (e.edx_during & (1u << 9))) {
		gprintf("smpattack: apic-en-off: FAIL: CPUID.1:EDX[APIC] does "
			"not follow APIC_BASE.EN\n");
		guest_exit(2);
	}
	return true;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	volatile uint8_t *p;
	uint32_t id = 0, vector, ebx, page;
	char name[32];
	bool ran;

	guest_efi_init(image, st);
	guest_option_word(image, name, sizeof(name));
	gprintf("\nsmpattack: case \"%s\"\n", name);
	bare = !nv_present() && same(name, "wait-sipi-smi");
	if (bare)
		gprintf("smpattack: not under nestvisor: the reference run\n");
	else if (hypercall(NV_HC_CANARY, &canary_pa, &canary) != NV_HC_OK ||
	    canary_pa >> 32) {
		gprintf("smpattack: not under nestvisor, or no canary below 4 GiB\n");
		guest_exit(2);
	}
	if (same(name, "apic-off0")) {
		/* The boot CPU's own APIC: an INIT message (delivery mode 5). */
		gprintf("smpattack: apic-off0: storing 0x500 at APIC offset 0\n");
		*guest_apic(0) = 0x500;
		ms(10);
		verdict(name, !canary_intact(),
			"the boot CPU is still running under nestvisor");
	}
	if (same(name, "ecam-move"))
		ecam_move(name);
	if (same(name, "cf8-race"))
		cf8_race(name);
	p = guest_ap_page(smpattack_ap_start,
			  (unsigned)(smpattack_ap_end - smpattack_ap_start));
	if (!p || (!same(name, "s3-pmbase") && guest_first_ap(&id))) {
		gprintf("smpattack: no AP, or no page below 640 KiB\n");
		guest_exit(2);
	}
	page = (uint32_t)(uintptr_t)p;
	/* GDT at 0x110: null, then base 0, limit 4 GiB, data, writable. */
	*(volatile uint64_t *)(p + 0x118) = 0x00cf92000000ffffull;
	*(volatile uint16_t *)(p + 0x120) = 15;
	*(volatile uint32_t *)(p + 0x122) = page + 0x110;
	*(volatile uint32_t *)(p + 0x108) = (uint32_t)canary_pa;
	vector = (uint32_t)(page >> 12);
	if (same(name, "s3-pmbase"))
		s3_pmbase(name, p);
	gprintf("smpattack: AP APIC ID %u, page vector 0x%x, canary at 0x%lx\n",
		id, vector, canary_pa);

	*guest_apic(APIC_ICR_HI) = id << 24;
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
		guest_init_sipi_sipi(id, vector);
	} else if (same(name, "ioapic-init")) {
		ioapic_init_case(id);
		guest_init_sipi_sipi(id, vector);
	} else if (same(name, "apic-en-off")) {
		if (!apic_en_off(id, vector)) {
			gprintf("smpattack: apic-en-off: no MP services\n");
			guest_exit(2);
		}
		guest_init_sipi_sipi(id, vector);
	} else if (same(name, "vmsave-ioapic")) {
		vmsave_ioapic(id);
		guest_init_sipi_sipi(id, vector);
	} else if (same(name, "wait-sipi-smi")) {
		wait_sipi_smi(name, id, vector, p);
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
	ran = guest_ap_ran(p, 1000);
	ebx = *(volatile uint32_t *)(p + 0x104);
	gprintf("smpattack: %s: the AP %s (CPUID 0x40000000 EBX 0x%08x, read "
		"0x%08x at the canary's address)\n", name,
		ran ? "ran the page" : "did not run the page", ebx,
		*(volatile uint32_t *)(p + 0x10c));
	if (!canary_intact())
		verdict(name, true, "nestvisor's canary was overwritten");
	if (ran && ebx != EBX_NEST)
		verdict(name, true, "the AP ran outside nestvisor");
	if ((same(name, "msi-window") || same(name, "ioapic-init") ||
	     same(name, "apic-en-off") || same(name, "vmsave-ioapic")) &&
	    !ran)
		verdict(name, true, "the AP no longer answers INIT-SIPI-SIPI "
			"(its INIT did not go through nestvisor)");
	verdict(name, false, ran ? "the AP ran as L1" :
		"no CPU ran outside nestvisor");
}
