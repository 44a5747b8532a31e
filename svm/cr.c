// SPDX-License-Identifier: MIT
/*
 * MOV to CR0, LMSW and MOV to CR4, intercepted (vmcb01, and vmcb02 where
 * L1 does not intercept them itself).  A CPU refuses some values of CR0
 * and CR4 at MOV (#GP) and at VMRUN (VMEXIT_INVALID, APM Vol. 2 §15.5.1);
 * a CPU below nestvisor that lets the MOV through in guest mode (QEMU TCG
 * does, for CR0.NW without CD and for CR4's reserved bits) would leave
 * the guest's VMCB unrunnable.  So nestvisor makes the MOV's checks
 * itself, as APM Vol. 2 §3.1.1, §3.1.3 and Vol. 3 "MOV CRn" give them,
 * and raises #GP(0) where the CPU would.
 *
 * CR0: the selective CR0 write intercept (§15.9) exits for a MOV to CR0
 * or an LMSW that changes a bit other than TS and MP, so CLTS and the
 * TS/MP writes of lazy FPU switching cost no exit.  The checks and the
 * results are svm/cr0_check.c's: bits 63:32, NW without CD, PG without
 * PE, long mode activated without PAE (or with CS.L set) or left from
 * 64-bit mode or with PCIDE, WP cleared with CET.  Then CR0 gets the value
 * (ET reads as 1), EFER.LMA follows PG while LME is set (§14.6), and a
 * change of PE, PG or WP flushes the guest's TLB.  LMSW loads bits 3:0
 * and cannot clear PE; its operand is a register or a 16-bit word in
 * memory, read as the guest reads it (svm/insn_la.c, guest_read_data();
 * segment limits are not checked).
 *
 * CR4 (cr4_write_faults(), svm/cr4_check.c):
 *  - a bit the CPU does not report in CPUID (nested_caps.cr4_allowed);
 *  - PAE cleared while EFER.LMA is set;
 *  - LA57 changed while EFER.LMA is set;
 *  - PCIDE set outside long mode or with CR3[11:0] not zero;
 *  - CET set while CR0.WP is clear.
 * A change to a bit that changes how linear addresses translate (PGE,
 * PSE, PAE, PCIDE, SMEP, SMAP, PKE, LA57) flushes the guest's TLB, as the
 * MOV itself would.
 *
 * The CPL check (#GP at CPL > 0) precedes the intercept (§15.7.1).  The
 * source register of a MOV comes from the decode assist (EXITINFO1[63],
 * bits 3:0) where the CPU has it, otherwise from decoding the
 * instruction; outside 64-bit mode the operand is 32 bits.
 */
#include "core/err.h"
#include "core/log.h"
#include "svm/hw.h"
#include "svm/intercepts.h"
#include "svm/nested.h"

#define CR4_FLUSH_BITS (X86_CR4_PGE | X86_CR4_PSE | X86_CR4_PAE |            \
			X86_CR4_PCIDE | X86_CR4_SMEP | X86_CR4_SMAP |         \
			X86_CR4_PKE | X86_CR4_LA57)
#define EXITINFO1_CR_VALID (1ull << 63)
#define CR0_FLUSH_BITS (X86_CR0_PE | X86_CR0_PG | X86_CR0_WP)

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

/* The source of MOV to CRn: GPR n, 32 bits outside 64-bit mode (APM
 * Vol. 3 "MOV CRn": the operand size is fixed at 64 bits in 64-bit mode,
 * 32 bits otherwise). */
static uint64_t mov_cr_source(const struct cpu *cpu, unsigned n)
{
	uint64_t val = guest_gpr(cpu, n);

	return guest_code_mode(&cpu->cur->save) == INSN_MODE_64 ? val :
								  (uint32_t)val;
}

static void tlb_flush_guest(struct cpu *cpu)
{
	cpu->cur->control.tlb_control =
		svm_has(&cpu->caps, SVM_FEAT_FLUSHASID) ?
			TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL;
}

/* LMSW's source operand: 0; or -NV_ENOENT (the #PF raised), -NV_EFAULT
 * (memory nestvisor cannot read: #UD raised, logged). */
static int lmsw_source(struct cpu *cpu, const struct insn *in, uint16_t *src)
{
	const struct vmcb_save *s = &cpu->cur->save;
	struct insn_ctx x = { .mode = guest_code_mode(s),
			      .next_rip = guest_next_rip(s, in->len) };
	int rc;

	if (in->mod == 3) {
		*src = (uint16_t)guest_gpr(cpu, in->rm);
		return 0;
	}
	for (unsigned i = 0; i < 16; i++)
		x.gpr[i] = guest_gpr(cpu, i);
	x.seg_base[INSN_SEG_ES] = s->es.base;
	x.seg_base[INSN_SEG_CS] = s->cs.base;
	x.seg_base[INSN_SEG_SS] = s->ss.base;
	x.seg_base[INSN_SEG_DS] = s->ds.base;
	x.seg_base[INSN_SEG_FS] = s->fs.base;
	x.seg_base[INSN_SEG_GS] = s->gs.base;
	rc = guest_read_data(cpu, insn_operand_la(in, &x), src, 2);
	if (rc == -NV_EFAULT) {
		log_warn_limited("LMSW at rip 0x%lx: its operand cannot be "
				 "read: #UD", s->rip);
		inject_exception(cpu, X86_VEC_UD, false, 0);
	}
	return rc;
}

void handle_cr0_write(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vmcb *v = cpu->cur;
	struct vmcb_save *s = &v->save;
	uint64_t info1 = v->control.exit_info_1, val, efer;
	struct cr0_write w = { s->cr0, s->cr4, s->efer, s->cs.attrib.l };
	struct insn in;
	uint16_t src;
	int len;

	if (svm_has(&cpu->caps, SVM_FEAT_DECODE) && (info1 & EXITINFO1_CR_VALID)) {
		len = insn_begin(cpu, INSN_MOV_CR);
		if (len < 0)
			return;
		val = mov_cr_source(cpu, info1 & 15);
	} else if (!guest_insn_decode(cpu, &in) && in.op == INSN_MOV_CR &&
		   in.reg == 0 && in.write) {
		len = in.len;
		val = mov_cr_source(cpu, in.rm);
	} else if (in.op == INSN_LMSW) {
		len = in.len;
		if (lmsw_source(cpu, &in, &src))
			return;
		val = cr0_lmsw(s->cr0, src);
	} else {
		log_warn_limited("CR0 write exit at rip 0x%lx: no MOV to CR0 or "
				 "LMSW there: #UD", s->rip);
		inject_exception(cpu, X86_VEC_UD, false, 0);
		return;
	}
	if (cr0_write_faults(&w, val)) {
		log_debug_limited("%s CR0 write 0x%lx (was 0x%lx): #GP",
				  n->guest_mode ? "L2" : "L1", val, s->cr0);
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return;
	}
	val = cr0_written(s->cr0, val);
	efer = cr0_efer_after(s->efer, s->cr0, val);
	if (n->guest_mode)
		n->l2_efer = (n->l2_efer & ~X86_EFER_LMA) | (efer & X86_EFER_LMA);
	if ((val ^ s->cr0) & CR0_FLUSH_BITS)
		tlb_flush_guest(cpu);
	s->efer = efer;
	s->cr0 = val;
	guest_advance_rip(cpu, (unsigned)len);
}

/*
 * nestvisor's own CR4 in host mode follows L1's PGE, PSE, SMEP and SMAP (at
 * L1's MOV CR4, and at its INIT, svm/init_sipi.c).
 * They change nothing for nestvisor: its page table has supervisor pages
 * only and no global ones, and L1 can set them only where the CPU has
 * them (cr4_write_faults()).  But a world switch that changes them makes
 * QEMU TCG flush its whole TLB again on top of the CR3 load's flush, and
 * an outer KVM reset its MMU context (docs/benchmarks.md, "Issue 9's
 * goals"): with L1's values in host mode, VMRUN and #VMEXIT of L1 leave
 * them as they are.  (LA57 cannot follow: it needs a 5-level host page
 * table, changed only with paging off.)
 */
#define HOST_CR4_FOLLOWS (X86_CR4_PGE | X86_CR4_PSE | X86_CR4_SMEP | X86_CR4_SMAP)

void host_cr4_follow(uint64_t l1_cr4)
{
	uint64_t h = hw_read_cr4(), want = (h & ~HOST_CR4_FOLLOWS) |
					   (l1_cr4 & HOST_CR4_FOLLOWS);

	if (want != h)
		hw_write_cr4(want);
}

void handle_cr4_write(struct cpu *cpu)
{
	struct vmcb *v = cpu->cur;
	struct vmcb_save *s = &v->save;
	uint64_t info1 = v->control.exit_info_1, val;
	struct insn in;
	int len;

	if (svm_has(&cpu->caps, SVM_FEAT_DECODE) && (info1 & EXITINFO1_CR_VALID)) {
		len = insn_begin(cpu, INSN_MOV_CR);
		if (len < 0)
			return;
		val = mov_cr_source(cpu, info1 & 15);
	} else {
		if (guest_insn_decode_op(cpu, INSN_MOV_CR, &in) || in.reg != 4 ||
		    !in.write) {
			log_warn_limited("CR4 write exit at rip 0x%lx: not a MOV to CR4 "
					 "there: #UD", s->rip);
			inject_exception(cpu, X86_VEC_UD, false, 0);
			return;
		}
		len = in.len;
		val = mov_cr_source(cpu, in.rm);
	}
	if (cr4_write_faults(cpu->nested.caps.cr4_allowed, s->cr4, val, s->cr0,
			     s->cr3, s->efer)) {
		log_debug_limited("%s MOV CR4 0x%lx (was 0x%lx): #GP",
				  cpu->nested.guest_mode ? "L2" : "L1", val, s->cr4);
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return;
	}
	if ((val ^ s->cr4) & CR4_FLUSH_BITS)
		tlb_flush_guest(cpu);
	s->cr4 = val;
	if (!cpu->nested.guest_mode)
		host_cr4_follow(val);
	guest_advance_rip(cpu, (unsigned)len);
}
