// SPDX-License-Identifier: MIT
/*
 * DMA isolation (API in dma.h): the I/O page table (mm/io_pt.c: identity
 * up to L1's physical address width, nestvisor's region left out), one
 * 2 MiB device table, command buffer and completion word per IOMMU
 * (drivers/amd_iommu.c), then, for each IOMMU taken, its 16 KiB register
 * file hidden from L1 (core/hvmem.c: the sink), its configuration page in
 * ECAM hidden (all ones) and its PCI function hidden from the
 * configuration ports (svm/pci_hide.c).  All before the first VMRUN.
 *
 * The all-ones ECAM page is read-only for L1 (core/hvmem.h), and for L2
 * through L1's NPT (pinned in every vCPU's shadow: 4 KiB read-only
 * leaves, svm/nested_npt.c).  A store there exits and is completed here
 * as a dropped write, what becomes of a configuration write to a function
 * that is not there (PCI Local Bus 3.0 §6.1: its reads return all ones;
 * in PCI Express an Unsupported Request, whose write is discarded): MOV
 * and XCHG (whose load reads all ones) are decoded like the other pages
 * whose stores nestvisor emulates (svm/chipset_lock.c, svm/apic.c); any
 * other instruction gets #GP, as there.
 */
#include "svm/dma.h"
#include "core/hvmem.h"
#include "core/cpuid_bits.h"
#include "core/log.h"
#include "core/x86.h"
#include "drivers/amd_iommu.h"
#include "mm/io_pt.h"
#include "svm/apic.h"
#include "svm/insn.h"
#include "svm/intercepts.h"
#include "svm/mmio_emul.h"
#include "svm/nested_internal.h"
#include "svm/pci_hide.h"

#define DEV_TABLE_PAGES 512u /* 65536 entries of 32 bytes */

static uint64_t ecam_page(const struct dma_platform *p, uint16_t bdf)
{
	uint8_t bus = (uint8_t)(bdf >> 8);

	if (!p->ecam_base || bus < p->ecam_bus_first || bus > p->ecam_bus_last)
		return 0;
	return p->ecam_base + ((uint64_t)bdf << 12);
}

/*
 * The device table entries' interrupt control (drivers/amd_iommu.c): on,
 * unless a hypervisor runs below nestvisor (CPUID 1 ECX[31]), whose IOMMU
 * is an emulation.  QEMU 7.2's amd-iommu, with IV set, drops every
 * interrupt message whose address is not exactly FEE0_0000h (a logical
 * or non-zero destination), so an OS would lose its interrupts there;
 * with it off, a device's INIT passes (docs/security.md, "Interrupt
 * messages").
 */
static bool intctl(void)
{
	return !(cpuid(1).ecx & CPUID_1_ECX_HV);
}

static int take_one(const struct dma_platform *p, const struct dma_iommu *u,
		    uint64_t io_root)
{
	uint64_t dt = palloc_pages(&hvmem.pa, DEV_TABLE_PAGES, 4096);
	uint64_t cmd = palloc_page(&hvmem.pa), done = palloc_page(&hvmem.pa);
	uint64_t ecam = ecam_page(p, u->bdf);
	int rc;

	if (u->segment)
		return -NV_ERANGE;
	if (!dt || !cmd || !done)
		return -NV_ENOMEM;
	/* Hidden first (they take pages, and can fail), enabled last. */
	rc = hvmem_hide(u->base & ~0xfffull, IOMMU_MMIO_SIZE, false);
	if (!rc && ecam)
		rc = hvmem_hide(ecam, 4096, true);
	if (!rc && ecam)
		rc = nested_npt_l1_pin(ecam);
	if (!rc)
		rc = pci_hide_function(u->bdf);
	if (!rc)
		rc = amd_iommu_take(u->base, io_root, intctl(), dt, cmd, done);
	return rc;
}

void dma_hidden_write(struct cpu *cpu, uint64_t gpa)
{
	static struct mmio_emul emul = {
		.what = "a write to a hidden ECAM page",
		.ops = MMIO_OP(INSN_MOV_STORE) | MMIO_OP(INSN_XCHG),
	};
	struct insn in;

	if (mmio_emul_decode(cpu, gpa, &emul, &in))
		return;
	if (in.op == INSN_XCHG) /* the load a missing function answers */
		guest_reg_set(cpu, &in, ~0ull);
	log_info_limited("%s stored %u bytes at 0x%lx, a hidden ECAM page: "
			 "dropped", cpu->nested.guest_mode ? "L2" : "L1",
			 in.width, gpa);
	guest_advance_rip(cpu, in.len);
}

unsigned dma_take_iommus(const struct dma_platform *p, bool gbpages)
{
	struct io_hole hole = { hvmem.base, hvmem.base + hvmem.size };
	uint64_t io_root = 0;
	unsigned taken = 0;
	int rc;

	if (!p->n_iommus) {
		log_info("DMA isolation: none (no AMD IOMMU in the ACPI IVRS): "
			 "devices can reach nestvisor's memory");
		return 0;
	}
	rc = io_pt_build_identity(&hvmem.ptm, hvmem.phys_limit, &hole, 1,
				  gbpages, &io_root);
	for (unsigned i = 0; i < p->n_iommus; i++) {
		const struct dma_iommu *u = &p->iommu[i];
		int r = rc ? rc : take_one(p, u, io_root);

		if (r) {
			log_error("AMD IOMMU at 0x%lx (%02x:%02x.%x): not taken (%s)",
				  u->base, u->bdf >> 8, (u->bdf >> 3) & 0x1f,
				  u->bdf & 7, nv_err_name(r));
			continue;
		}
		taken++;
		log_info("AMD IOMMU at 0x%lx (%02x:%02x.%x) taken: every device "
			 "through nestvisor's I/O page table; hidden from L1",
			 u->base, u->bdf >> 8, (u->bdf >> 3) & 0x1f, u->bdf & 7);
	}
	if (taken)
		log_info("device interrupt messages: %s", intctl() ?
			 "INIT and SMI target-aborted by the IOMMU" :
			 "forwarded as they come, INIT included (a hypervisor "
			 "runs below: its IOMMU is an emulation)");
	if (taken == p->n_iommus)
		log_info("DMA isolation: AMD IOMMU (%u): no device reaches "
			 "nestvisor's memory", taken);
	else
		log_info("DMA isolation: partial (%u of %u IOMMUs taken)", taken,
			 p->n_iommus);
	return taken;
}
