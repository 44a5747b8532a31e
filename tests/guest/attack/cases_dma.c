// SPDX-License-Identifier: MIT
/*
 * DMA (docs/security.md, "DMA").  A real bus-master device of q35, the
 * ICH9 AHCI controller, reads sector 0 of the ESP disk by DMA:
 *  - group "dma" (QEMU -device amd-iommu, which nestvisor takes): into an
 *    L1 buffer the data arrives (the IOMMU translates L1's memory: the
 *    sector's last two bytes are the 55h AAh boot signature); into
 *    nestvisor's canary page it does not (CANARY intact).  L1 sees no
 *    IOMMU: no IVRS in the XSDT, no PCI function of class 0806h
 *    (base-system IOMMU) on bus 0 through the configuration ports nor
 *    through ECAM; and
 *    writing QEMU's IOMMU registers (its fixed base FED80000h) to turn the
 *    IOMMU off changes nothing: the DMA into the canary page still fails.
 *  - group "dma-ones" (the same IOMMU): every function of bus 0 that
 *    reads as missing through ECAM (the hidden IOMMU's among them) still
 *    does after L1's stores (MOV of 4 and 8 bytes, XCHG, REP STOSB) and
 *    L2's, with and without L1's NPT.
 *  - group "dma-open" (no IOMMU): the same DMA into the canary page
 *    lands: the canary is corrupt afterwards.  This shows that the DMA of
 *    "dma" is real, and what "DMA isolation: none" means.
 */
#include <efi.h>
#include <efilib.h>
#include "ahci.h"
#include "attack.h"
#include "core/hypercall.h"
#include "core/x86.h"
#include "tests/guest/nested/npt.h"

#define QEMU_AMDVI_BASE 0xfed80000ull
#define AMDVI_CONTROL   0x18u

static uint8_t sector[512] __attribute__((aligned(4096)));
static int ivrs_seen = -1;

/* Before env_enter (a UEFI call): is IVRS in the XSDT? */
void dma_probe_acpi(void)
{
	static EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	uint8_t *rsdp = NULL, *xsdt;
	uint32_t len;

	if (LibGetSystemConfigurationTable(&acpi20, (void **)&rsdp) != EFI_SUCCESS ||
	    !rsdp)
		return;
	xsdt = (uint8_t *)(uintptr_t)*(uint64_t *)(rsdp + 24);
	len = *(uint32_t *)(xsdt + 4);
	ivrs_seen = 0;
	for (uint32_t off = 36; off + 8 <= len; off += 8) {
		const uint8_t *t = (const uint8_t *)(uintptr_t)*(uint64_t *)(xsdt + off);

		if (t[0] == 'I' && t[1] == 'V' && t[2] == 'R' && t[3] == 'S')
			ivrs_seen = 1;
	}
}

static int canary_status(void)
{
	uint64_t pa = 0, val = 0;

	return (int)hypercall(NV_HC_CANARY, &pa, &val);
}

static int into_l1_buffer(void)
{
	uint32_t is = 0;
	int rc;

	for (unsigned i = 0; i < 512; i++)
		sector[i] = 0;
	rc = ahci_read_sector(0, (uint64_t)(uintptr_t)sector, &is);
	tap_diag("AHCI read into L1 at 0x%lx: %d, PxIS|TFD 0x%x, bytes 510-511 "
		 "%02x %02x", (uint64_t)(uintptr_t)sector, rc, is, sector[510],
		 sector[511]);
	return TAP_EXPECT_EQ("AHCI command", rc, 0) &
	       TAP_EXPECT_EQ("byte 510", sector[510], 0x55) &
	       TAP_EXPECT_EQ("byte 511", sector[511], 0xaa);
}

static int into_canary(void)
{
	uint32_t is = 0;
	int rc = ahci_read_sector(0, hv.canary_pa & ~0xfffull, &is);

	tap_diag("AHCI read into the canary page 0x%lx: %d, PxIS|TFD 0x%x",
		 (uint64_t)(hv.canary_pa & ~0xfffull), rc, is);
	return rc >= 0;
}

static int region_blocked(void)
{
	return into_canary() &
	       TAP_EXPECT_EQ("CANARY status", (uint64_t)canary_status(), NV_HC_OK);
}

static int region_reached(void)
{
	return into_canary() &
	       TAP_EXPECT_EQ("CANARY status", (uint64_t)canary_status(),
			     (uint64_t)NV_HC_CORRUPT);
}

static int no_ivrs(void)
{
	return TAP_EXPECT_EQ("IVRS in the XSDT (-1: no XSDT)", ivrs_seen, 0);
}

/* Every function of bus 0: none of class 0806h (IOMMU). */
static int no_iommu_function(void)
{
	unsigned found = 0, functions = 0;

	for (uint8_t dev = 0; dev < 32; dev++)
		for (uint8_t fn = 0; fn < 8; fn++) {
			uint32_t id = pci_cfg_read32(0, dev, fn, 0);

			if (id == 0xffffffffu || id == 0)
				continue;
			functions++;
			if ((pci_cfg_read32(0, dev, fn, 8) >> 16) == 0x0806)
				found++;
		}
	tap_diag("%u functions on bus 0", functions);
	return TAP_EXPECT_EQ("IOMMU functions", found, 0) &
	       (functions > 0);
}

/*
 * The same scan through ECAM (PCI Express Base Specification §7.2.2: the
 * function's 4 KiB at base + bus << 20 + device << 15 + function << 12),
 * at the base q35's host bridge has in PCIEXBAR (Intel 3 Series Chipset
 * datasheet §5.1.16: 00:00.0, registers 60h-67h; bit 0 enable, bits 2:1
 * the length, 00b 256 MiB, the base in bits 38:28).  The IOMMU's page must
 * read as no function (all ones), as through the ports.
 */
static uint64_t ecam_base(void)
{
	uint64_t bar = pci_cfg_read32(0, 0, 0, 0x60) |
		       (uint64_t)pci_cfg_read32(0, 0, 0, 0x64) << 32;
	uint64_t base = bar & 0x7ff0000000ull;

	tap_diag("PCIEXBAR 0x%lx", bar);
	if (!(bar & 1) || (bar & 6) || !base || base >> 32) {
		tap_diag("PCIEXBAR: not enabled, 256 MiB, below 4 GiB");
		return 0;
	}
	return base;
}

static volatile uint32_t *ecam_cfg(uint64_t base, uint8_t dev, uint8_t fn)
{
	return (volatile uint32_t *)(uintptr_t)
	       (base + ((uint64_t)dev << 15) + ((uint64_t)fn << 12));
}

static int no_iommu_function_ecam(void)
{
	uint64_t base = ecam_base();
	unsigned found = 0, functions = 0;

	if (!base)
		return 0;
	for (uint8_t dev = 0; dev < 32; dev++)
		for (uint8_t fn = 0; fn < 8; fn++) {
			volatile uint32_t *cfg = ecam_cfg(base, dev, fn);
			uint32_t id = cfg[0];

			if (id == 0xffffffffu || id == 0)
				continue;
			functions++;
			if ((cfg[2] >> 16) == 0x0806)
				found++;
		}
	tap_diag("%u functions on bus 0 through ECAM", functions);
	return TAP_EXPECT_EQ("IOMMU functions", found, 0) &
	       (functions > 0);
}

/*
 * A function that is not there reads all ones and takes no write (PCI
 * Local Bus 3.0 §6.1: a read of a missing function's Vendor ID returns
 * FFFFh); so must the hidden IOMMU's page.  A store of 0 at offset 0 of
 * every page of bus 0 that reads all ones, then every one must still.
 */
static int ecam_absent_stays_ones(void)
{
	uint64_t base = ecam_base();
	unsigned absent = 0, changed = 0;

	if (!base)
		return 0;
	for (uint8_t dev = 0; dev < 32; dev++)
		for (uint8_t fn = 0; fn < 8; fn++) {
			volatile uint32_t *cfg = ecam_cfg(base, dev, fn);

			if (cfg[0] != 0xffffffffu)
				continue;
			absent++;
			cfg[0] = 0;
			if (cfg[0] != 0xffffffffu) {
				changed++;
				tap_diag("ECAM 00:%02x.%x reads 0x%08x after a "
					 "store of 0", dev, fn, cfg[0]);
			}
		}
	tap_diag("%u absent functions on bus 0 through ECAM", absent);
	return TAP_EXPECT_EQ("absent functions changed by a store", changed, 0);
}

/* Does the whole page read all ones, a missing function's config space? */
static int page_all_ones(volatile uint32_t *cfg)
{
	for (unsigned i = 0; i < 1024; i++)
		if (cfg[i] != 0xffffffffu)
			return 0;
	return 1;
}

/*
 * Other stores to every absent function's page: an 8-byte MOV, an XCHG
 * (whose load, a configuration read of a missing function, returns all
 * ones) and a REP STOSB.  Every page must still read all ones.  The REP
 * STOSB may raise #GP (nestvisor does not decode string stores there,
 * docs/security.md "L1 reprogramming the IOMMU"); none is expected
 * elsewhere.
 */
static int ecam_absent_other_stores(void)
{
	uint64_t base = ecam_base();
	unsigned absent = 0, changed = 0, xchg_bad = 0, faults = 0;

	if (!base)
		return 0;
	for (uint8_t dev = 0; dev < 32; dev++)
		for (uint8_t fn = 0; fn < 8; fn++) {
			volatile uint32_t *cfg = ecam_cfg(base, dev, fn);
			uint32_t old = 0;
			struct l1_trap t;

			if (cfg[0] != 0xffffffffu)
				continue;
			absent++;
			*(volatile uint64_t *)(cfg + 2) = 0;
			__asm__ volatile("xchgl %0, %1"
					 : "+r"(old), "+m"(cfg[4]) :: "memory");
			if (old != 0xffffffffu) {
				xchg_bad++;
				tap_diag("ECAM 00:%02x.%x: XCHG loaded 0x%08x",
					 dev, fn, old);
			}
			t = try_rep_stosb((void *)(uintptr_t)(cfg + 8), 0, 16);
			if (t.vector != -1) {
				faults++;
				tap_diag("ECAM 00:%02x.%x: REP STOSB raised "
					 "vector %d", dev, fn, t.vector);
			}
			if (!page_all_ones(cfg)) {
				changed++;
				tap_diag("ECAM 00:%02x.%x no longer reads all "
					 "ones: 0x%08x 0x%08x 0x%08x 0x%08x "
					 "0x%08x", dev, fn, cfg[0], cfg[2],
					 cfg[3], cfg[4], cfg[8]);
			}
			if (t.vector != -1 && t.vector != X86_VEC_GP)
				changed++;
		}
	tap_diag("%u absent functions, %u REP STOSB faults", absent, faults);
	return TAP_EXPECT_EQ("absent functions changed", changed, 0) &
	       TAP_EXPECT_EQ("XCHG loads not all ones", xchg_bad, 0) &
	       (absent > 0);
}

/*
 * L2 stores 0 to function 0 of every absent device (8 bytes, then reads
 * them back in the same run): without nested paging (L2 on L1's
 * addresses), then through L1's NPT (an L2 page L1 maps onto the
 * function's page).  The read gives all ones, and so does L1's afterwards.
 */
extern const char l2_write_read[];

static int l2_store_run(uint64_t la, bool np, uint64_t *read)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rbx = la, .rcx = 0, .rdx = la, .rsi = 0 };

	vmcb_default(v, l2_write_read);
	if (np)
		vmcb_use_npt(v);
	l2_run(v, &g);
	*read = g.rsi;
	return expect_exit(v, VMEXIT_VMMCALL);
}

static int ecam_absent_l2_stores(void)
{
	uint64_t base = ecam_base(), lin = R1 + 136 * PAGE_SIZE, r1, r2;
	unsigned absent = 0, changed = 0;
	int ok = 1;

	if (!base)
		return 0;
	for (uint8_t dev = 0; dev < 32; dev++) {
		volatile uint32_t *cfg = ecam_cfg(base, dev, 0);
		uint64_t pa = (uint64_t)(uintptr_t)cfg;

		if (cfg[0] != 0xffffffffu)
			continue;
		absent++;
		ok &= l2_store_run(pa, false, &r1);
		npt_reset();
		npt.pt1[136] = pa | PTE_P | PTE_RW | PTE_US;
		npt.l2_pt1[136] = lin | PTE_P | PTE_RW;
		ok &= l2_store_run(lin, true, &r2);
		if (r1 != ~0ull || r2 != ~0ull || !page_all_ones(cfg)) {
			changed++;
			tap_diag("ECAM 00:%02x.0: L2 read 0x%lx (no NPT), 0x%lx "
				 "(L1's NPT); L1 reads 0x%08x", dev, r1, r2,
				 cfg[0]);
		}
	}
	npt_reset();
	tap_diag("%u absent devices on bus 0", absent);
	return ok & TAP_EXPECT_EQ("absent functions changed by L2", changed, 0) &
	       (absent > 0);
}

/* Turn QEMU's IOMMU off through its registers: they are hidden, the
 * write lands in the sink, and DMA stays translated. */
static int registers_unreachable(void)
{
	volatile uint64_t *ctl = (volatile uint64_t *)(uintptr_t)
				 (QEMU_AMDVI_BASE + AMDVI_CONTROL);

	*ctl = 0;
	return region_blocked();
}

static const struct tap_case dma_cases[] = {
	{ "dma.ahci_into_l1_buffer", into_l1_buffer },
	{ "dma.ahci_into_hypervisor_blocked", region_blocked },
	{ "dma.no_ivrs_for_l1", no_ivrs },
	{ "dma.no_iommu_pci_function_for_l1", no_iommu_function },
	{ "dma.no_iommu_ecam_function_for_l1", no_iommu_function_ecam },
	{ "dma.iommu_registers_unreachable", registers_unreachable },
	{ "dma.hypervisor_intact", hv_intact },
};

struct attack_group dma_group(void)
{
	return (struct attack_group){ "dma", "-device amd-iommu", dma_cases,
				      TAP_COUNT(dma_cases) };
}

static const struct tap_case open_cases[] = {
	{ "dma-open.ahci_into_l1_buffer", into_l1_buffer },
	{ "dma-open.ahci_into_hypervisor_lands", region_reached },
};

static const struct tap_case ones_cases[] = {
	{ "dma-ones.ecam_absent_stays_ones", ecam_absent_stays_ones },
	{ "dma-ones.ecam_absent_other_stores", ecam_absent_other_stores },
	{ "dma-ones.ecam_absent_l2_stores", ecam_absent_l2_stores },
	{ "dma-ones.hypervisor_intact", hv_intact },
};

struct attack_group dma_ones_group(void)
{
	return (struct attack_group){ "dma-ones", "-device amd-iommu",
				      ones_cases, TAP_COUNT(ones_cases) };
}

struct attack_group dma_open_group(void)
{
	return (struct attack_group){ "dma-open", "no IOMMU", open_cases,
				      TAP_COUNT(open_cases) };
}
