// SPDX-License-Identifier: MIT
/*
 * What nestvisor offers L1 for nested SVM, decided once at start-up from
 * the CPU, and the pages nested SVM needs.  Offered (CPUID 0x8000000A):
 *  - SVM itself, revision 1, the host's ASIDs minus the one L1 uses;
 *  - NRIPS, emulated where the CPU lacks it (nestvisor knows the length of
 *    every instruction it intercepts);
 *  - FlushByAsid (TLB_CONTROL 3 and 7 become a full flush where the CPU
 *    lacks it);
 *  - nested paging, through a shadow of L1's NPT (svm/nested_npt.c);
 *  - GMET: the CPU's where present, else emulated in the shadow NPT;
 *  - vGIF for L2: the CPU's where present, else emulated
 *    (svm/nested_gif.c);
 *  - the features of svm/nested_feat.c: decode assists, TSC scaling and
 *    TSC_ADJUST, pause filter and threshold, VMCB clean bits, vNMI, each
 *    the CPU's where present, else emulated.
 * Not offered: AVIC, LBR virtualization, VMSAVE/VMLOAD virtualization,
 * SEV.
 */
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "svm/vcpu.h"
#include "core/x86.h"
#include "svm/nested_internal.h"
#include "svm/permmap.h"

static uint64_t cr4_supported(void)
{
	struct cpuid_regs r1 = cpuid(1), r7 = cpuid_count(7, 0);
	uint64_t cr4 = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
		       X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
		       X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	/* Each with the CPUID bit that says the CPU has it. */
	if ((r7.ecx >> 2) & 1)  cr4 |= X86_CR4_UMIP;
	if ((r7.ecx >> 16) & 1) cr4 |= X86_CR4_LA57;
	if (r7.ebx & 1)         cr4 |= X86_CR4_FSGSBASE;
	if ((r1.ecx >> 17) & 1) cr4 |= X86_CR4_PCIDE;
	if ((r1.ecx >> 26) & 1) cr4 |= X86_CR4_OSXSAVE;
	if ((r7.ebx >> 7) & 1)  cr4 |= X86_CR4_SMEP;
	if ((r7.ebx >> 20) & 1) cr4 |= X86_CR4_SMAP;
	if ((r7.ecx >> 3) & 1)  cr4 |= X86_CR4_PKE;
	if ((r7.ecx >> 7) & 1)  cr4 |= X86_CR4_CET;
	return cr4;
}

/* CPUID 0x8000000A EDX as L1 sees it. */
static uint32_t l1_cpuid_edx(const struct nested_caps *c)
{
	return (c->np ? 1u << SVM_FEAT_NP : 0) |
	       (c->nrips ? 1u << SVM_FEAT_NRIPS : 0) |
	       (c->flush_by_asid ? 1u << SVM_FEAT_FLUSHASID : 0) |
	       (c->vgif ? 1u << SVM_FEAT_VGIF : 0) |
	       (c->gmet ? 1u << SVM_FEAT_GMET : 0);
}

int nested_init(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct nested_caps *c = &n->caps;
	struct cpuid_regs e1 = cpuid(0x80000001);
	char names[160];
	int rc;

	n->vmcb02 = hv_alloc(1);
	if (!n->vmcb02 || nested_maps_init(cpu))
		return -NV_ENOMEM;
	n->vmcb02_pa = (uint64_t)n->vmcb02;
	n->gif = true;

	*c = (struct nested_caps){
		.maxphyaddr = (uint8_t)cpu->caps.l1_maxphyaddr,
		.np = true,
		.gmet = true, /* the CPU's, or emulated by the shadow NPT */
		.nrips = true,
		.flush_by_asid = true,
		.vgif = true, /* the CPU's, or emulated (svm/nested_gif.c) */
		.xsave = (cpuid(1).ecx >> 26) & 1,
		.rdtscp = (e1.edx >> 27) & 1,
		.invpcid = (cpuid_count(7, 0).ebx >> 10) & 1,
		.rdpru = (cpuid(0x80000008).ebx >> 4) & 1,
		.cr4_allowed = cr4_supported(),
		.efer_allowed = cpu->caps.efer_allowed,
	};
	rc = nested_npt_init(cpu);
	if (rc)
		return rc;
	n->offered = cpu->caps.nr_asids > 2;
	n->l1_nr_asids = cpu->caps.nr_asids - 1;
	c->nr_asids = n->l1_nr_asids;
	n->l1_cpuid_edx = l1_cpuid_edx(c) | nested_feat_init(cpu);
	/* Every CPU offers the same: say it once. */
	if (!cpu->idx) {
		svm_feature_names(n->l1_cpuid_edx, names, sizeof(names));
		log_info("nested SVM offered to L1: %s, %u ASIDs, features "
			 "(CPUID 0x8000000A EDX 0x%x): %s",
			 n->offered ? "yes" : "no", n->l1_nr_asids,
			 n->l1_cpuid_edx, names);
	}
	return 0;
}
