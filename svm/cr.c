// SPDX-License-Identifier: MIT
/*
 * MOV to CR4, intercepted (vmcb01, and vmcb02 where L1 does not intercept
 * it itself).  A CPU refuses a CR4 with reserved bits at MOV (#GP) and at
 * VMRUN (VMEXIT_INVALID, APM Vol. 2 §15.5.1); a CPU below nestvisor that
 * lets the MOV through in guest mode (QEMU TCG does) would leave the guest's
 * VMCB unrunnable.  So nestvisor makes the MOV's checks itself, as APM
 * Vol. 2 §3.1.3 and Vol. 3 "MOV CRn" give them, and raises #GP(0) where
 * the CPU would:
 *  - a bit the CPU does not report in CPUID (nested_caps.cr4_allowed);
 *  - PAE cleared while EFER.LMA is set;
 *  - LA57 changed while EFER.LMA is set;
 *  - PCIDE set outside long mode or with CR3[11:0] not zero;
 *  - CET set while CR0.WP is clear.
 * The CPL check (#GP at CPL > 0) precedes the intercept (§15.7.1).
 * Otherwise the value goes into the VMCB, and a change to a bit that
 * changes how linear addresses translate (PGE, PSE, PAE, PCIDE, SMEP,
 * SMAP, PKE, LA57) flushes the guest's TLB, as the MOV itself would.
 * The source register comes from the decode assist (EXITINFO1[63], bits
 * 3:0) where the CPU has it, otherwise from decoding the instruction.
 */
#include "core/log.h"
#include "svm/intercepts.h"
#include "svm/nested.h"

#define CR4_FLUSH_BITS (X86_CR4_PGE | X86_CR4_PSE | X86_CR4_PAE |            \
			X86_CR4_PCIDE | X86_CR4_SMEP | X86_CR4_SMAP |         \
			X86_CR4_PKE | X86_CR4_LA57)
#define EXITINFO1_CR_VALID (1ull << 63)

uint64_t guest_gpr(const struct cpu *cpu, unsigned n)
{
	const struct guest_regs *g = &cpu->gregs;
	const uint64_t *rest[16] = {
		[1] = &g->rcx, [2] = &g->rdx, [3] = &g->rbx, [5] = &g->rbp,
		[6] = &g->rsi, [7] = &g->rdi, [8] = &g->r8, [9] = &g->r9,
		[10] = &g->r10, [11] = &g->r11, [12] = &g->r12,
		[13] = &g->r13, [14] = &g->r14, [15] = &g->r15,
	};

	if (n == 0)
		return cpu->cur->save.rax;
	if (n == 4)
		return cpu->cur->save.rsp;
	return *rest[n & 15];
}

void handle_cr4_write(struct cpu *cpu)
{
	struct vmcb *v = cpu->cur;
	struct vmcb_save *s = &v->save;
	uint64_t info1 = v->control.exit_info_1, val;
	struct insn in;

	if (svm_has(&cpu->caps, SVM_FEAT_DECODE) && (info1 & EXITINFO1_CR_VALID)) {
		val = guest_gpr(cpu, info1 & 15);
	} else {
		if (guest_insn_decode_op(cpu, INSN_MOV_CR, &in) || in.reg != 4 ||
		    !in.write) {
			log_warn_limited("CR4 write exit at rip 0x%lx: not a MOV to CR4 "
					 "there: #UD", s->rip);
			inject_exception(cpu, X86_VEC_UD, false, 0);
			return;
		}
		val = guest_gpr(cpu, in.rm);
		if (!(s->efer & X86_EFER_LMA))
			val = (uint32_t)val;
	}
	if (cr4_write_faults(cpu->nested.caps.cr4_allowed, s->cr4, val, s->cr0,
			     s->cr3, s->efer)) {
		log_debug_limited("%s MOV CR4 0x%lx (was 0x%lx): #GP",
				  cpu->nested.guest_mode ? "L2" : "L1", val, s->cr4);
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return;
	}
	if (skip_instruction(cpu, INSN_MOV_CR))
		return;
	if ((val ^ s->cr4) & CR4_FLUSH_BITS)
		v->control.tlb_control =
			svm_has(&cpu->caps, SVM_FEAT_FLUSHASID) ?
				TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL;
	s->cr4 = val;
}
