// SPDX-License-Identifier: MIT
/*
 * Group "s3": L1 asks for ACPI S3 (suspend to RAM) the way an OS does: it
 * writes SLP_TYP = \_S3's value with SLP_EN to the PM1 control register
 * (ACPI 6.4 §4.8.3.2.1, §7.4.2), then reads WAK_STS in the PM1 status
 * register (§4.8.3.1.1).  S3 would power the CPUs off and wake them
 * outside nestvisor, so nestvisor refuses the request as an immediate
 * wake (docs/security.md, svm/acpi_sleep.c): L1 goes on at once, WAK_STS
 * reads 1 until L1 clears it (write 1), and L1 still runs under nestvisor.
 * Once as a 16-bit write, once as a byte write of the register's high
 * byte (SLP_EN is bit 13, SLP_TYP bits 12:10).  Had the request reached
 * QEMU, the machine would sleep with no wake source and the run would
 * time out.
 *
 * The registers come from the FADT (ACPI 6.4 §5.2.9: PM1a_EVT_BLK at
 * offset 56, PM1a_CNT_BLK at 64, PM_TMR_BLK at 76, X_DSDT at 140) and
 * SLP_TYP from the DSDT's \_S3 package (its first element), read before
 * env_enter() with the firmware's ACPI tables.
 *
 * First the same request as string I/O (REP OUTSW), then INSW from PM1
 * status: nestvisor takes no string I/O at the ports it owns and raises
 * #GP(0) (docs/security.md, "Ports nestvisor owns"); had the OUTSW
 * reached the register, the machine would sleep.
 *
 * Group "s3-hidden" (run with hide_s3 = on): where nestvisor cannot watch
 * S3 it hides \_S3 from the OS (boot/acpi_s3.c), and with hide_s3 = on it
 * does so on QEMU too.  The DSDT L1 reads through the EFI configuration
 * table then names no _S3_ package, one XS3_ package in its place, \_S5
 * as before, and its bytes still sum to 0 (ACPI 6.4 §5.2.6); an OS
 * looking for \_S3 (§7.4.2) finds none and offers no suspend to RAM.
 */
#include <efi.h>
#include <efilib.h>
#include "attack.h"
#include "core/hypercall.h"
#include "core/x86.h"

#define PM1_SLP_EN  (1u << 13)
#define PM1_SLP_TYP(t) ((uint32_t)(t) << 10)
#define PM1_WAK_STS (1u << 15)

struct acpi_pm acpi_pm;

static const uint8_t *table_in_xsdt(const uint8_t *xsdt, const char sig[4])
{
	uint32_t len = *(const uint32_t *)(xsdt + 4);

	for (uint32_t off = 36; off + 8 <= len; off += 8) {
		const uint8_t *t = (const uint8_t *)(uintptr_t)*(const uint64_t *)(xsdt + off);

		if (t[0] == sig[0] && t[1] == sig[1] && t[2] == sig[2] && t[3] == sig[3])
			return t;
	}
	return NULL;
}

/* The first element of \_S3's package in AML: NameOp (08h), the name
 * (with or without the root prefix 5Ch), PackageOp (12h), PkgLength
 * (its first byte's bits 7:6 count the bytes that follow), NumElements,
 * then ZeroOp (00h), OneOp (01h), OnesOp (FFh) or BytePrefix (0Ah) and a
 * byte (ACPI 6.4 §20.2.3, §20.2.5.4).  -1 if it is not found. */
static int s3_slp_typ(const uint8_t *dsdt)
{
	uint32_t len = *(const uint32_t *)(dsdt + 4);

	for (uint32_t i = 37; i + 9 < len; i++) {
		const uint8_t *p = dsdt + i;
		unsigned k;

		if (p[0] != '_' || p[1] != 'S' || p[2] != '3' || p[3] != '_' ||
		    !(p[-1] == 0x08 || (p[-1] == 0x5c && p[-2] == 0x08)) ||
		    p[4] != 0x12)
			continue;
		k = 5 + 1 + (p[5] >> 6) + 1;   /* PkgLength, NumElements */
		switch (p[k]) {
		case 0x00: return 0;
		case 0x01: return 1;
		case 0x0a: return p[k + 1];
		default: return -1;
		}
	}
	return -1;
}

/* How many Names in the DSDT's AML bind the NameSeg name to a package:
 * NameOp (08h), the root prefix (5Ch) or none, the name, PackageOp
 * (12h) (ACPI 6.4 §20.2.5.1, §20.2.2). */
static unsigned name_packages(const uint8_t *dsdt, const char name[4])
{
	uint32_t len = *(const uint32_t *)(dsdt + 4);
	unsigned n = 0;

	for (uint32_t i = 37; i + 5 <= len; i++) {
		const uint8_t *p = dsdt + i;

		n += p[0] == (uint8_t)name[0] && p[1] == (uint8_t)name[1] &&
		     p[2] == (uint8_t)name[2] && p[3] == (uint8_t)name[3] &&
		     (p[-1] == 0x08 || (p[-1] == 0x5c && p[-2] == 0x08)) &&
		     p[4] == 0x12;
	}
	return n;
}

/* Before env_enter (a UEFI call): the PM1 registers and \_S3. */
void acpi_pm_probe(void)
{
	static EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	void *rsdp = NULL;
	const uint8_t *xsdt, *fadt, *dsdt;

	acpi_pm.slp_typ = -1;
	if (LibGetSystemConfigurationTable(&acpi20, &rsdp) != EFI_SUCCESS || !rsdp)
		return;
	xsdt = (const uint8_t *)(uintptr_t)*(const uint64_t *)((const uint8_t *)rsdp + 24);
	fadt = table_in_xsdt(xsdt, "FACP");
	if (!fadt)
		return;
	acpi_pm.evt = (uint16_t)*(const uint32_t *)(fadt + 56);
	acpi_pm.cnt = (uint16_t)*(const uint32_t *)(fadt + 64);
	acpi_pm.tmr = (uint16_t)*(const uint32_t *)(fadt + 76);
	dsdt = *(const uint32_t *)(fadt + 4) >= 148 && *(const uint64_t *)(fadt + 140) ?
	       (const uint8_t *)(uintptr_t)*(const uint64_t *)(fadt + 140) :
	       (const uint8_t *)(uintptr_t)*(const uint32_t *)(fadt + 40);
	acpi_pm.slp_typ = s3_slp_typ(dsdt);
	if (!dsdt || dsdt[0] != 'D' || dsdt[1] != 'S' || dsdt[2] != 'D' ||
	    dsdt[3] != 'T')
		return;
	acpi_pm.dsdt_found = 1;
	acpi_pm.n_s3 = name_packages(dsdt, "_S3_");
	acpi_pm.n_xs3 = name_packages(dsdt, "XS3_");
	acpi_pm.n_s5 = name_packages(dsdt, "_S5_");
	for (uint32_t i = 0; i < *(const uint32_t *)(dsdt + 4); i++)
		acpi_pm.dsdt_sum = (uint8_t)(acpi_pm.dsdt_sum + dsdt[i]);
}

/* About ms milliseconds on the ACPI PM timer (3.579545 MHz, 24 bits at
 * least: ACPI 6.4 §4.8.3.3). */
void pm_delay_ms(unsigned ms)
{
	uint32_t start = inl(acpi_pm.tmr) & 0xffffff;

	while (((inl(acpi_pm.tmr) - start) & 0xffffff) < ms * 3580u)
		__asm__ volatile("pause");
}

static int found(void)
{
	tap_diag("FADT: PM1a_EVT_BLK 0x%x, PM1a_CNT_BLK 0x%x, PM_TMR_BLK 0x%x; "
		 "\\_S3 SLP_TYP %d", acpi_pm.evt, acpi_pm.cnt, acpi_pm.tmr,
		 acpi_pm.slp_typ);
	return acpi_pm.evt && acpi_pm.cnt && acpi_pm.slp_typ >= 0;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %w0, %w1" ::"a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %w1, %w0" : "=a"(v) : "Nd"(port));
	return v;
}

/* After a sleep request: still running, WAK_STS set; cleared by writing
 * it; CPUID still nestvisor's. */
static int woke(void)
{
	uint16_t sts = inw(acpi_pm.evt), after;
	struct cpuid_regs vendor;

	outw(acpi_pm.evt, PM1_WAK_STS);
	after = inw(acpi_pm.evt);
	vendor = cpuid(NV_CPUID_VENDOR_LEAF);
	return TAP_EXPECT_EQ("PM1 status WAK_STS after the request",
			     !!(sts & PM1_WAK_STS), 1) &
	       TAP_EXPECT_EQ("WAK_STS after writing 1 to it",
			     !!(after & PM1_WAK_STS), 0) &
	       TAP_EXPECT_EQ("CPUID 0x40000000 EBX", vendor.ebx, NV_CPUID_SIG_EBX);
}

static int s3_word(void)
{
	uint16_t cnt;

	if (!found())
		return 0;
	cnt = inw(acpi_pm.cnt);
	outw(acpi_pm.cnt, (uint16_t)((cnt & ~PM1_SLP_TYP(7)) |
				     PM1_SLP_TYP(acpi_pm.slp_typ) | PM1_SLP_EN));
	return woke();
}

static int s3_high_byte(void)
{
	if (!found())
		return 0;
	outb(acpi_pm.cnt + 1, (uint8_t)((PM1_SLP_TYP(acpi_pm.slp_typ) |
					  PM1_SLP_EN) >> 8));
	return woke();
}

static int s3_string_io(void)
{
	uint16_t req, sts = 0x1234;
	struct l1_trap t1, t2;

	if (!found())
		return 0;
	req = (uint16_t)((inw(acpi_pm.cnt) & ~PM1_SLP_TYP(7)) |
			 PM1_SLP_TYP(acpi_pm.slp_typ) | PM1_SLP_EN);
	t1 = try_rep_outsw(acpi_pm.cnt, &req, 1);
	t2 = try_insw(acpi_pm.evt, &sts);
	return expect_vector("REP OUTSW to PM1 control", t1, X86_VEC_GP) &
	       expect_vector("INSW from PM1 status", t2, X86_VEC_GP) &
	       TAP_EXPECT_EQ("INSW's destination", sts, 0x1234) &
	       TAP_EXPECT_EQ("PM1 status WAK_STS (no sleep asked)",
			     !!(inw(acpi_pm.evt) & PM1_WAK_STS), 0);
}

/* Every CPU still under nestvisor, none parked. */
static int cpus(void)
{
	uint64_t n = 0, parked = 0;

	return TAP_EXPECT_EQ("NV_HC_CPUS status",
			     (uint64_t)hypercall(NV_HC_CPUS, &n, &parked), 0) &
	       TAP_EXPECT_EQ("CPUs parked", parked, 0);
}

static const struct tap_case s3_cases[] = {
	{ "s3.pm1_string_io_gp", s3_string_io },
	{ "s3.pm1_control_slp_en_word", s3_word },
	{ "s3.pm1_control_slp_en_high_byte", s3_high_byte },
	{ "s3.every_cpu_under_nestvisor", cpus },
	{ "s3.hypervisor_intact", hv_intact },
};

/* \_S3 renamed, nothing else lost, the checksum right. */
static int s3_hidden(void)
{
	tap_diag("DSDT: %u _S3_, %u XS3_, %u _S5_ packages; bytes sum to 0x%x",
		 acpi_pm.n_s3, acpi_pm.n_xs3, acpi_pm.n_s5, acpi_pm.dsdt_sum);
	return TAP_EXPECT_EQ("DSDT found", acpi_pm.dsdt_found, 1) &
	       TAP_EXPECT_EQ("Names of _S3_", acpi_pm.n_s3, 0) &
	       TAP_EXPECT_EQ("Names of XS3_", acpi_pm.n_xs3, 1) &
	       TAP_EXPECT_EQ("Names of _S5_", acpi_pm.n_s5, 1) &
	       TAP_EXPECT_EQ("\\_S3's SLP_TYP (none)", acpi_pm.slp_typ, -1) &
	       TAP_EXPECT_EQ("DSDT checksum (sum mod 256)", acpi_pm.dsdt_sum, 0);
}

static const struct tap_case s3_hidden_cases[] = {
	{ "s3.hidden_dsdt_names_no_s3", s3_hidden },
	{ "s3.every_cpu_under_nestvisor", cpus },
	{ "s3.hypervisor_intact", hv_intact },
};

struct attack_group s3_hidden_group(void)
{
	return (struct attack_group){ "s3-hidden",
				      "q35 with S3 in its DSDT, hide_s3 = on",
				      s3_hidden_cases,
				      TAP_COUNT(s3_hidden_cases) };
}

struct attack_group s3_group(void)
{
	return (struct attack_group){ "s3", "q35 with S3 in its DSDT", s3_cases,
				      TAP_COUNT(s3_cases) };
}
