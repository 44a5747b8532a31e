/* SPDX-License-Identifier: MIT */
/*
 * Nested SVM: L1 runs its own guests (L2) on nestvisor.  The SVM state L1
 * sees (EFER.SVME, VM_HSAVE_PA, VM_CR, GIF) is virtual and lives here, and
 * so does the L2 L1 is running.  svm/nested.c has the algorithm.
 */
#ifndef NV_SVM_NESTED_H
#define NV_SVM_NESTED_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gmem.h"
#include "mm/pt_mem.h"
#include "mm/walk.h"
#include "svm/nested_check.h"
#include "svm/nested_feat.h"
#include "svm/vmcb.h"

struct cpu;
struct snpt;

struct nested {
	/* What nestvisor offers L1 (CPUID 0x8000000A, svm/cpuid.c). */
	struct nested_caps caps;
	bool offered;          /* SVM is offered to L1 at all */
	uint32_t l1_nr_asids;  /* CPUID 0x8000000A EBX for L1 */
	uint32_t l1_cpuid_edx; /* CPUID 0x8000000A EDX for L1 */
	struct nested_feat feat; /* decode assists, ... (svm/nested_feat.c) */

	/* L1's virtual SVM MSRs and GIF. */
	bool svme;             /* L1's EFER.SVME */
	uint64_t hsave_pa;     /* L1's VM_HSAVE_PA */
	uint64_t vm_cr;        /* L1's VM_CR */
	bool gif;              /* the GIF L1 and L2 share (svm/nested_gif.c) */
	bool l1_vgif;          /* ... in vmcb01's V_GIF while L1 runs */
	bool l1_vgif_resume;   /* ... again at L1's next exit (an INTR left) */
	uint64_t l1_vgif_vmruns; /* nr_vmruns at the last such return */

	/* The L2 being run. */
	bool guest_mode;
	uint64_t vmcb12_gpa;
	volatile struct vmcb *vmcb12; /* vmcb12_gpa in nestvisor's map */
	struct vmcb12_cache cache; /* vmcb12 as copied and checked */
	struct vmcb *vmcb02;
	uint64_t vmcb02_pa;
	/* L1's permission maps (svm/nested_maps.c): vmcb02's, the copies of
	 * L1's, all-ones ones for while they are stale, what the view was
	 * made from, and another CPU's request (atomic): a page the view may
	 * use is watched no more. */
	uint8_t *msrpm02, *iopm02, *l1_msrpm, *l1_iopm, *all_msrpm, *all_iopm;
	bool maps_stale, maps_unwatched, maps_msr, maps_io;
	uint64_t maps_msrpm_base, maps_iopm_base;
	unsigned maps_req;
	uint64_t l2_efer;      /* L2's EFER as L2 and L1 see it */
	bool v_irq_held;       /* vmcb12's V_IRQ, out of vmcb02 while held */
	bool l2_vgif;          /* L2's virtual GIF (vmcb12 V_GIF) */
	/* INT3/INTO/INTn of L2 delivered by nestvisor (svm/nested_swint.c):
	 * the event injected, as the hardware would report it, the RIP of
	 * the instruction and after it. */
	union svm_event soft_ev, soft_reported;
	uint64_t soft_rip, soft_next;
	bool l2_np;            /* vmcb12 asked for nested paging */
	union cpu_role npt_role;    /* L1's NPT as the walker sees it */
	struct pagewalk npt_walk;   /* ready for npt_role */
	struct gmem l2_phys;   /* L2's physical memory (through L1's NPT) */
	struct snpt *snpt;     /* the shadow-NPT MMU (mm/shadow_npt.c) */
	uint64_t npt_root;     /* the shadow root vmcb02 runs with */
	bool tlb_flush_pending; /* shadow or L1 NPT changed: flush L2 */
	uint64_t nr_vmruns, nr_reflected;
};

/* Allocates vmcb02 and friends and decides what to offer.  0 or
 * -NV_ENOMEM. */
int nested_init(struct cpu *cpu);

/* Once, before any nested_init: what the vCPUs' shadow NPTs and
 * permission-map views share.  0 or -NV_ENOMEM. */
int nested_npt_global_init(bool gbpages);
/* The pages nestvisor emulates for L1 are all set up (hv_prepare's
 * end): their span, so that l1_host_ptr() asks only there. */
void nested_npt_emulated_fixed(void);

/* Before every VMRUN of this vCPU: shadow table pages it freed go back to
 * the allocator (its TLB is then flushed at that VMRUN). */
void nested_npt_reclaim(struct cpu *cpu);

/* Before every VMRUN of this vCPU, as a CPU request (svm/smp.c): another
 * CPU stopped watching a page of L1's permission maps that this vCPU's
 * view may use, which is then stale (svm/nested_maps.c). */
void nested_maps_request(struct cpu *cpu);

/* The GIF (svm/nested_gif.c): nested_gif_get() reads it (vmcb01's V_GIF
 * while L1 runs with the CPU's vGIF); nested_gif_hold(): something must
 * wait for the GIF now (an interrupt, an NMI, an INIT): it is held in
 * software again, and L1's STGI exits. */
bool nested_gif_get(const struct cpu *cpu);
void nested_gif_hold(struct cpu *cpu);
/* A physical interrupt exited while L1's GIF was in V_GIF: held as by
 * nested_gif_hold(), and L1's GIF goes back into V_GIF at a later exit
 * of L1 (nested_gif_resume()) rather than at its next CLGI. */
void nested_gif_intr(struct cpu *cpu);
/* At each exit of L1 (exit code code) while one is due: not at INTR's
 * or STGI's, after which the interrupt is still to be taken. */
void nested_gif_resume(struct cpu *cpu, uint64_t code);

/* L1's SVM instructions (exits of vmcb01). */
void nested_vmrun(struct cpu *cpu);
void nested_vmload_vmsave(struct cpu *cpu, bool load);
void nested_gif(struct cpu *cpu, bool set);
/* After L1's VMSAVE: its POP rAX; VMLOAD rAX in the same exit when
 * they follow and nothing can come between (svm/nested_fuse.c).  True
 * when it did. */
bool nested_fuse_after_vmsave(struct cpu *cpu);
/* After L1's VMLOAD: the register loads up to its VMRUN, and the VMRUN,
 * in the same exit when nothing can come between (svm/nested_runahead.c).
 * True when it did. */
bool nested_runahead_after_vmload(struct cpu *cpu);
void nested_invlpga(struct cpu *cpu);

/* An exit of vmcb02: reflect it to L1 or handle it in nestvisor. */
void nested_handle_exit(struct cpu *cpu);

/* A #PF for L2 with this error code at linear address la: #VMEXIT(#PF)
 * to L1 (EXITINFO1 the error code, EXITINFO2 la) if vmcb12 intercepts
 * #PF, else injected into L2 with CR2 = la. */
void nested_deliver_pf(struct cpu *cpu, uint32_t err, uint64_t la);

/* #NPF of L2 the shadow NPT has handled, its flushes (an empty one's
 * too), and the shadow's table pages in use (svm/nested_npt.c). */
uint64_t nested_npt_faults(const struct cpu *cpu);
uint64_t nested_npt_flushes(const struct cpu *cpu);
uint64_t nested_npt_pages(const struct cpu *cpu);

/* L1's MSRs that SVM defines.  0, or -NV_EINVAL: the access raises #GP. */
int nested_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val);
int nested_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val);

#endif
