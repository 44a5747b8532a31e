/* SPDX-License-Identifier: MIT */
/*
 * DMA isolation (docs/security.md, "DMA"): nestvisor takes over every AMD
 * IOMMU the firmware's IVRS names on segment 0, before L1 runs, so that
 * no device's DMA reaches its region, and hides them from L1.
 */
#ifndef NV_SVM_DMA_H
#define NV_SVM_DMA_H

#include <stdbool.h>
#include <stdint.h>

#define DMA_MAX_IOMMUS 8

struct dma_iommu {
	uint64_t base;     /* MMIO registers (IVRS) */
	uint16_t bdf;      /* its PCI function, segment 0 */
	uint16_t segment;
};

struct dma_platform {
	unsigned n_iommus;
	struct dma_iommu iommu[DMA_MAX_IOMMUS];
	uint64_t ecam_base; /* segment 0's ECAM (MCFG), or 0 */
	uint8_t ecam_bus_first, ecam_bus_last;
};

/*
 * Take every IOMMU of p: one identity I/O page table without the region,
 * a device table, each IOMMU enabled; then its registers, its ECAM page
 * and its PCI function hidden from L1.  Logs the outcome on the "DMA
 * isolation:" line.  Returns how many IOMMUs were taken; an IOMMU that
 * could not be (out of memory, not on segment 0, no answer) is left as it
 * was and said so.
 */
unsigned dma_take_iommus(const struct dma_platform *p, bool gbpages);

struct cpu;

/* A store by the running guest (L1, or L2 through L1's NPT) to gpa, in a
 * hidden ECAM page (hvmem_drops_writes(gpa)): completed as dropped (MOV;
 * XCHG loads all ones), or #GP for an instruction nestvisor does not
 * decode. */
void dma_hidden_write(struct cpu *cpu, uint64_t gpa);

#endif
