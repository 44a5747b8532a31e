// SPDX-License-Identifier: MIT
/*
 * Decode assists (docs/nested.md, "Decode assists"): the glue between the
 * rules of svm/feat_decode_assist.c and L2's state, on an emulated
 * #VMEXIT:
 *  - exits with an EXITINFO1 about their instruction (CR/DR accesses,
 *    selective CR0 write, INTn, INVLPG, INVLPGA): the CPU's EXITINFO1 where
 *    it has decode assists, else the instruction at L2's CS:RIP is fetched
 *    and decoded (svm/insn.c) and EXITINFO1 computed from it
 *    (svm/feat_decode_assist.c).  The same decode gives next_rip (NRIPS)
 *    on a CPU without NRIPS;
 *  - #PF and #NPF: up to 15 bytes at L2's CS:RIP, fetched with L2's own
 *    paging at its CPL (and, with nested paging, through L1's NPT), none
 *    for a fault of the fetch itself.  The CPU's bytes are used only for
 *    a #PF of an L2 without nested paging: with nested paging the CPU
 *    fetched through the shadow NPT, which may lack pages L1's NPT maps;
 *  - every other exit: 0 bytes.
 */
#include "core/x86.h"
#include "svm/feat_decode_assist.h"
#include "svm/insn.h"
#include "svm/intercepts.h"
#include "svm/nested_feat_internal.h"

static void l2_regs(const struct cpu *cpu, struct da_regs *r)
{
	const struct vmcb_save *s = &cpu->cur->save;
	const struct guest_regs *g = &cpu->gregs;

	*r = (struct da_regs){
		.gpr = { s->rax, g->rcx, g->rdx, g->rbx, s->rsp, g->rbp, g->rsi,
			 g->rdi, g->r8, g->r9, g->r10, g->r11, g->r12, g->r13,
			 g->r14, g->r15 },
		.rip = s->rip,
	};
	r->seg_base[INSN_SEG_ES] = s->es.base;
	r->seg_base[INSN_SEG_CS] = s->cs.base;
	r->seg_base[INSN_SEG_SS] = s->ss.base;
	r->seg_base[INSN_SEG_DS] = s->ds.base;
	r->seg_base[INSN_SEG_FS] = s->fs.base;
	r->seg_base[INSN_SEG_GS] = s->gs.base;
}

static void da_info1(struct cpu *cpu, uint64_t code, uint64_t *info1,
		     uint64_t *next_rip)
{
	bool cpu_da = svm_has(&cpu->caps, SVM_FEAT_DECODE);
	bool cpu_nrips = svm_has(&cpu->caps, SVM_FEAT_NRIPS);
	uint8_t bytes[INSN_MAX_LEN];
	const struct insn *known = 0;
	struct da_regs r;
	struct insn in;
	enum insn_mode mode;
	uint64_t la;
	unsigned n;

	if (cpu_da && (cpu_nrips || *next_rip))
		return; /* the CPU's EXITINFO1 (and next_rip) as they are */
	n = guest_code_fetch(cpu, bytes, sizeof(bytes), &la, &mode);
	if (!insn_decode(bytes, n, mode, &in))
		known = &in;
	l2_regs(cpu, &r);
	r.mode = mode;
	if (!cpu_da)
		da_exit_info1(code, known, &r, info1);
	if (*next_rip)
		return;
	if (cpu_nrips) {
		*next_rip = cpu->cur->control.next_rip;
	} else if (known && known->op != INSN_INVLPGA) {
		*next_rip = r.rip + known->len;
		if (mode != INSN_MODE_64)
			*next_rip &= mode == INSN_MODE_32 ? 0xffffffffull : 0xffffull;
	}
}

static void da_bytes(struct cpu *cpu, volatile struct vmcb *v12, uint64_t code,
		     uint64_t info1, uint64_t info2)
{
	const struct vmcb *v02 = cpu->cur;
	const struct vmcb_save *s = &v02->save;
	uint8_t bytes[DA_MAX_BYTES];
	enum insn_mode mode;
	bool id_valid;
	uint64_t la;
	unsigned n;

	if (svm_has(&cpu->caps, SVM_FEAT_DECODE) && !cpu->nested.l2_np) {
		n = v02->control.insn_len & 0xf;
		for (unsigned i = 0; i < n && i < DA_MAX_BYTES; i++)
			v12->control.insn_bytes[i] = v02->control.insn_bytes[i];
		v12->control.insn_len = (uint8_t)n;
		return;
	}
	n = guest_code_fetch(cpu, bytes, sizeof(bytes), &la, &mode);
	/* #NPF: the CPU's I/D bit, as the shadow NPT takes it; #PF: L2's
	 * error code has I/D with L2's EFER.NXE or CR4.SMEP. */
	id_valid = code == VMEXIT_NPF || (s->efer & X86_EFER_NXE) ||
		   (s->cr4 & X86_CR4_SMEP);
	if (code == VMEXIT_NPF)
		info1 = v02->control.exit_info_1;
	if (da_fetch_fault(info1, id_valid, n, info2, la + n))
		n = 0;
	for (unsigned i = 0; i < n; i++)
		v12->control.insn_bytes[i] = bytes[i];
	v12->control.insn_len = (uint8_t)n;
}

void feat_decode_vmexit(struct cpu *cpu, volatile struct vmcb *v12,
			uint64_t code, struct feat_exit *x)
{
	if (da_exit_has_bytes(code)) {
		da_bytes(cpu, v12, code, x->info1, x->info2);
		return;
	}
	v12->control.insn_len = 0;
	da_info1(cpu, code, &x->info1, &x->next_rip);
}
