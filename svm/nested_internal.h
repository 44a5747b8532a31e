/* SPDX-License-Identifier: MIT */
/* Shared between the files of nested SVM (svm/nested*.c) only. */
#ifndef NV_SVM_NESTED_INTERNAL_H
#define NV_SVM_NESTED_INTERNAL_H

#include "core/x86.h"
#include "mm/shadow_npt.h"
#include "svm/vcpu.h"

/* The GIF and L2's virtual GIF (svm/nested_gif.c).  nested_set_gif():
 * sets the GIF and makes the VMCB that runs hold what it holds (a held
 * NMI is delivered before the next VMRUN by svm/nmi.c).
 * nested_update_intercepts(): vmcb01's and vmcb02's intercepts from
 * nestvisor's, L1's, the GIF and L2's EFER.SVME.
 * nested_l2_*vgif*(): L2's virtual GIF, where nestvisor emulates it, where
 * the CPU runs it (by_cpu), and its value read back from vmcb02 then. */
void nested_set_gif(struct cpu *cpu, bool gif);
void nested_update_intercepts(struct cpu *cpu);
bool nested_l2_vgif_emulated(const struct cpu *cpu);
bool nested_l2_vgif_by_cpu(const struct cpu *cpu);
void nested_l2_set_vgif(struct cpu *cpu, bool vgif);
void nested_l2_vgif_sync(struct cpu *cpu);

/* The state VMLOAD and VMSAVE move (APM Vol. 2 §15.5.2): FS, GS, TR, LDTR,
 * KernelGsBase, STAR, LSTAR, CSTAR, SFMASK, SYSENTER_CS/ESP/EIP. */
void copy_vmload_state(volatile struct vmcb_save *to,
		       const volatile struct vmcb_save *from);

/* svm/nested_fuse.c, for the instructions nestvisor executes for L1 in
 * another's exit.  nested_la_canonical(): is la canonical (48 or 57
 * bits, by CR4.LA57)?  nested_guest_page(): the host address of the page
 * of la when L1's paging lets an access of kind access (PFERR_FETCH, or
 * 0: a supervisor read of a supervisor page) reach ordinary memory there,
 * else NULL; the translation is cached in c and *page and checked like a
 * decode cache entry at each call. */
bool nested_la_canonical(const struct vmcb_save *s, uint64_t la);
const volatile uint8_t *nested_guest_page(struct cpu *cpu,
					  struct decode_entry *c, uint64_t la,
					  uint64_t access,
					  const volatile uint8_t **page);

/* L1's EFER (with its virtual SVME). */
static inline uint64_t efer_of_l1(const struct cpu *cpu)
{
	uint64_t e = cpu->vmcb01->save.efer & ~X86_EFER_SVME;
	return cpu->nested.svme ? e | X86_EFER_SVME : e;
}

/* Emulated #VMEXIT to L1 with this exit (svm/nested.c). */
void nested_vmexit(struct cpu *cpu, uint64_t code, uint64_t info1,
		   uint64_t info2, uint64_t next_rip);

/* L1's VMRUN fails after all, because the CPU refused vmcb02: back to
 * L1 as after a VMRUN that failed its checks (VMEXIT_INVALID, EXITINFO1
 * and 2 = 0, EVENTINJ consumed, GIF clear); nothing of vmcb02's save
 * area reaches vmcb12 (svm/nested.c). */
void nested_vmrun_refused(struct cpu *cpu);

/* L2's nested paging (svm/nested_npt.c): prepare for vmcb12's nCR3, role
 * and ASID (0 or -NV_ENOMEM), the root vmcb02 runs with and switching it, and
 * the coherence path of L1's writes to its watched NPT pages.  #NPF itself
 * belongs to svm/npf.c. */
int nested_npt_init(struct cpu *cpu);
int nested_npt_setup(struct cpu *cpu);
uint64_t nested_npt_root(struct cpu *cpu);
void nested_npt_use_root(struct cpu *cpu, uint64_t root);
void nested_npt_l1_write(struct cpu *cpu, uint64_t gpa);
bool nested_npt_protected(struct cpu *cpu, uint64_t gpa);

/* The shadow-NPT MMU's answer to the #NPF vmcb02 just took (this vCPU's
 * MMU, under its lock: mm/snpt_smp.c). */
enum snpt_outcome nested_npt_handle_fault(struct cpu *cpu,
					  struct snpt_fault_result *r);

/* nestvisor is about to write L1 memory in the page of gpa (an emulated
 * VMSAVE, the #VMEXIT's write-back into vmcb12): it takes the paths of
 * L1's own writes to that page first (svm/npf.c), so that shadow tables
 * built from it are dropped and views of L1's permission maps made from
 * it are stale (svm/nested.c). */
void nested_l1_store(struct cpu *cpu, uint64_t gpa);

/* INT3, INTO and INTn of L2 (svm/nested_swint.c): nested_swint()
 * handles vmcb02's INTn exit that L1 does not take as such;
 * nested_swint_exitintinfo() gives EXITINTINFO of a software event the
 * hardware's type for L1 and, when nestvisor delivered it for L2's
 * instruction, the instruction's RIP (returns true then). */
void nested_swint(struct cpu *cpu);
bool nested_swint_exitintinfo(struct cpu *cpu, union svm_event *ev,
			      uint64_t *rip);

/* L1's permission maps, one view (svm/nested_maps.c): made at VMRUN
 * (nested_maps_vmrun()), watched for writes (nested_maps_watched(),
 * nested_maps_written() from svm/npf.c), made again at the first access
 * they govern after a write (nested_maps_refresh(): true if they were
 * stale), and read to decide (nested_maps_l1_*(): does L1 intercept;
 * nested_maps_l0_intercepts(): does nestvisor).  The watched pages are
 * one table for every CPU (nested_maps_global_init(): empty, from
 * nested_npt_global_init()). */
void nested_maps_global_init(void);
int nested_maps_init(struct cpu *cpu);
void nested_maps_vmrun(struct cpu *cpu);
bool nested_maps_watched(struct cpu *cpu, uint64_t gpa);
bool nested_maps_watched_in(struct cpu *cpu, uint64_t lo, uint64_t hi);
void nested_maps_written(struct cpu *cpu, uint64_t gpa);
bool nested_maps_refresh(struct cpu *cpu);
bool nested_maps_l1_msr(struct cpu *cpu, uint32_t msr, bool write);
bool nested_maps_l1_io(struct cpu *cpu, union svm_ioio_info io);
bool nested_maps_l0_intercepts(struct cpu *cpu, uint64_t code, uint64_t info1);

/* TLB flushes of vmcb02 and the shadow's freed pages (svm/nested_npt.c):
 * nested_npt_tlb_flush02() gives vmcb02 (its control area c) the flush
 * nestvisor owes it; pages the shadow freed wait for a VMRUN that
 * flushes the TLB (nested_npt_freed_pending(): some wait). */
void nested_npt_tlb_flush02(struct cpu *cpu, struct vmcb_control *c);
bool nested_npt_freed_pending(const struct cpu *cpu);
/* L1 flushed its TLB (TLB_CONTROL, INVLPGA): this vCPU's shadow NPT is
 * emptied, its roots kept, vmcb02's TLB flushed (svm/nested_npt.c).
 * nested_npt_flush_all_shadows(): every vCPU's, and every CPU's TLB
 * (a shootdown, svm/smp.c) before it returns. */
void nested_npt_flush_shadow(struct cpu *cpu);
void nested_npt_flush_all_shadows(struct cpu *self);
/* L1's VMRUN, once the root is chosen: its TLB flush (TLB_CONTROL, with
 * nested paging or not) empties the shadow, then, with nested paging,
 * the address of the last #NPF reflected to L1 is installed if L1's NPT
 * now maps it (svm/nested_npt.c). */
void nested_npt_vmrun(struct cpu *cpu);

/* One more (pin) or one less (unpin) reason to keep the page of L1
 * memory at gpa read-only in nestvisor's NPT for L1, for every CPU
 * (mm/snpt_smp.c pins; svm/nested_npt.c).  nested_npt_l1_pin: 0, or a
 * negated nv_err (then not read-only for this reason). */
int nested_npt_l1_pin(uint64_t gpa);
void nested_npt_l1_unpin(uint64_t gpa);

/* VMLOAD (load) or VMSAVE of the running guest once its checks before
 * the address passed (svm/nested_insns.c): gpa is rAX, len the
 * instruction's length.  #GP for a gpa that is not page-aligned or not
 * L1's, else the state moved and RIP past it.  True when it completed. */
bool nested_vmload_vmsave_at(struct cpu *cpu, bool load, uint64_t gpa,
			     unsigned len);

/* Does L1's vmcb12 intercept this exit of L2? (svm/nested_exit.c) */
bool nested_l1_intercepts(struct cpu *cpu, uint64_t code, uint64_t info1);

#endif
