// SPDX-License-Identifier: MIT
/*
 * One exit for L1's VMLOAD and the VMRUN after it: KVM's entry into its
 * guest (docs/nested.md, "Exits that carry the next instruction").
 *
 * Linux's KVM enters its guest (arch/x86/kvm/svm/vmenter.S,
 * __svm_vcpu_run) with
 *
 *	vmload %rax			the guest's VMLOAD state
 *	mov    off(%rdi), %rax		vmcb's address, in two loads
 *	mov    off(%rax), %rax
 *	mov    off(%rdi), %rcx		... the guest's GPRs, %rdi last
 *	jmp    1f			(alternatives may make it a VERW)
 *	verw   ...
 *  1:	vmrun  %rax
 *
 * On a CPU without virtual VMLOAD both SVM instructions exit to nestvisor.
 * After emulating the VMLOAD, nested_runahead_after_vmload() decodes the
 * code that follows in the same page; if it is a run of at most
 * RUN_MAX instructions, each a 64-bit load MOV r64, [base + disp] (REX.W
 * 8B /r without SIB and not RIP-relative, the destination not RSP) or a
 * short JMP within the page, ending in VMRUN, it executes the loads in
 * order and emulates the VMRUN in the same exit.  Anything else in the
 * run, and nothing is done: L1 executes the code itself.
 *
 * The result is the CPU's for those instructions with no event taken
 * between them, which the CPU may do as well.  Nothing else may come
 * between or in them:
 *  - L1's own VMLOAD only, in 64-bit mode at CPL 0, with its GIF clear
 *    (no interrupt, NMI, SMI or INIT is taken before the VMRUN anyway),
 *    nothing to inject (EVENTINJ clear), RFLAGS.TF clear and no
 *    breakpoint enabled in DR7 (a data breakpoint could match a load, an
 *    instruction breakpoint any of them); VMRUN intercepted in vmcb01;
 *  - the code: one page, fetched as the CPU would (L1's paging, a
 *    supervisor fetch) from ordinary memory;
 *  - each load: its address canonical, its 8 bytes in one page, a
 *    supervisor read of a supervisor page of ordinary memory (no SMAP or
 *    protection key rule applies).  A load that cannot be made so stops
 *    the run before it: the loads before it are done, RIP is at it, and
 *    L1 executes it (the CPU raises its #PF or #GP).
 * The VMRUN then runs as its own exit would (nested_vmrun()), with its
 * checks, at its RIP, next_rip set as the CPU's NRIPS would set it.  Accessed bits the walks set are set by the CPU's
 * own walks of the same instructions.
 */
#include "core/x86.h"
#include "svm/vmcb.h"
#include "svm/intercepts.h"
#include "svm/nested.h"
#include "svm/nested_internal.h"

#define RUN_MAX 24
#define DR7_BP_ENABLE 0xffull /* L0-L3, G0-G3 */
#define REG_RAX 0
#define REG_RSP 4

/* One instruction of the run. */
enum run_kind { RUN_LOAD, RUN_JMP, RUN_VMRUN };
struct run_insn {
	uint8_t kind, reg, base;
	uint16_t off;              /* its offset in the page */
	int32_t disp;              /* LOAD: the displacement; JMP: unused */
};

static uint32_t le32(const volatile uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * The instruction at offset off of the code page, in in; its length, or
 * 0 when it is none of the run's.  Operand-size and other legacy
 * prefixes are not taken (the REX prefix must come first); REX.X must be
 * clear (no index without SIB).
 */
static unsigned decode_one(const volatile uint8_t *page, unsigned off,
			   struct run_insn *in)
{
	unsigned avail = 4096 - off, mod, rm, len;
	uint8_t b0, modrm;

	if (avail < 2)
		return 0;
	b0 = page[off];
	in->off = (uint16_t)off;
	if (b0 == 0xeb) {                                  /* JMP rel8 */
		int next = (int)off + 2 + (int8_t)page[off + 1];

		if (next < 0 || next >= 4096)
			return 0;
		in->kind = RUN_JMP;
		in->disp = next;
		return 2;
	}
	if (b0 == 0x0f) {                                  /* VMRUN */
		if (avail < 3 || page[off + 1] != 0x01 || page[off + 2] != 0xd8)
			return 0;
		in->kind = RUN_VMRUN;
		return 3;
	}
	/* REX.W (R and B free, X clear), then 8B: MOV r64, r/m64. */
	if ((b0 & 0xfa) != 0x48 || avail < 3 || page[off + 1] != 0x8b)
		return 0;
	modrm = page[off + 2];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3 || rm == 4 || (mod == 0 && rm == 5))
		return 0; /* a register, SIB, or RIP-relative */
	len = 3 + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
	if (avail < len)
		return 0;
	in->kind = RUN_LOAD;
	in->reg = (uint8_t)(((modrm >> 3) & 7) | (b0 & 4 ? 8 : 0));
	in->base = (uint8_t)(rm | (b0 & 1 ? 8 : 0));
	in->disp = mod == 1 ? (int8_t)page[off + 3] :
		   mod == 2 ? (int32_t)le32(page + off + 3) : 0;
	if (in->reg == REG_RSP)
		return 0;
	return len;
}

/* The run from offset off to its VMRUN: its number of instructions, or 0
 * when the code is not such a run. */
static unsigned decode_run(const volatile uint8_t *page, unsigned off,
			   struct run_insn run[RUN_MAX])
{
	for (unsigned n = 0; n < RUN_MAX; n++) {
		unsigned len = decode_one(page, off, &run[n]);

		if (!len)
			return 0;
		if (run[n].kind == RUN_VMRUN)
			return n + 1;
		off = run[n].kind == RUN_JMP ? (unsigned)run[n].disp : off + len;
	}
	return 0;
}

/* Where GPR r (1-3, 5-15) of L1 lives while nestvisor runs (RAX and RSP
 * are in vmcb01: reg_get() and reg_set()). */
static uint64_t *gpr(struct cpu *cpu, unsigned r)
{
	struct guest_regs *g = &cpu->gregs;
	uint64_t *const at[16] = {
		0, &g->rcx, &g->rdx, &g->rbx, 0, &g->rbp, &g->rsi, &g->rdi,
		&g->r8, &g->r9, &g->r10, &g->r11, &g->r12, &g->r13, &g->r14,
		&g->r15,
	};

	return at[r & 15];
}

static uint64_t reg_get(struct cpu *cpu, unsigned r)
{
	if (r == REG_RAX)
		return cpu->cur->save.rax;
	if (r == REG_RSP)
		return cpu->cur->save.rsp;
	return *gpr(cpu, r);
}

/* r is never RSP (decode_one()). */
static void reg_set(struct cpu *cpu, unsigned r, uint64_t val)
{
	if (r == REG_RAX)
		cpu->cur->save.rax = val;
	else
		*gpr(cpu, r) = val;
}

/* The host address of the 8 bytes at la for a supervisor read, or NULL.
 * seen[] remembers the pages found in this run (at most two). */
static const volatile uint8_t *load_ptr(struct cpu *cpu, uint64_t la,
					uint64_t seen_la[2],
					const volatile uint8_t *seen[2])
{
	struct runahead_cache *ra = &cpu->runahead;
	uint64_t page_la = la & ~0xfffull;
	const volatile uint8_t *p;
	unsigned w;

	if (!nested_la_canonical(&cpu->cur->save, la) || (la & 0xfff) > 4096 - 8)
		return 0;
	for (w = 0; w < 2; w++)
		if (seen[w] && seen_la[w] == page_la)
			return seen[w] + (la & 0xfff);
	/* The entry that holds this page's translation, if one does. */
	for (w = 0; w < 2; w++)
		if (ra->data[w].la == (page_la | 1))
			break;
	if (w == 2) {
		w = (unsigned)ra->victim;
		ra->victim ^= 1;
	}
	p = nested_guest_page(cpu, &ra->data[w], la, 0, &ra->data_page[w]);
	if (!p)
		return 0;
	w = seen[0] ? 1 : 0;
	seen_la[w] = page_la;
	seen[w] = p;
	return p + (la & 0xfff);
}

bool nested_runahead_after_vmload(struct cpu *cpu)
{
	struct vmcb *v = cpu->cur;
	struct vmcb_save *s = &v->save;
	struct runahead_cache *ra = &cpu->runahead;
	struct run_insn run[RUN_MAX];
	const volatile uint8_t *code, *seen[2] = { 0, 0 };
	uint64_t seen_la[2] = { 0, 0 }, page_la = s->rip & ~0xfffull;
	unsigned n;

	if (cpu->nested.guest_mode || v->control.event_inj.valid ||
	    (s->rflags & X86_RFLAGS_TF) || (s->dr7 & DR7_BP_ENABLE) ||
	    s->cpl != 0 || nested_gif_get(cpu) ||
	    !(v->control.intercept_misc2 & INTERCEPT2_VMRUN) ||
	    guest_code_mode(s) != INSN_MODE_64 ||
	    !nested_la_canonical(s, s->rip))
		return false;
	code = nested_guest_page(cpu, &ra->code, s->rip, PFERR_FETCH,
				 &ra->code_page);
	if (!code)
		return false;
	n = decode_run(code, (unsigned)(s->rip & 0xfff), run);
	if (!n)
		return false;
	for (unsigned i = 0; i + 1 < n; i++) {
		const volatile uint8_t *p;

		if (run[i].kind == RUN_JMP)
			continue;
		p = load_ptr(cpu, reg_get(cpu, run[i].base) + (uint64_t)(int64_t)run[i].disp,
			     seen_la, seen);
		if (!p) {
			s->rip = page_la | run[i].off; /* L1 makes this load */
			return false;
		}
		reg_set(cpu, run[i].reg, *(const volatile unaligned_u64 *)p);
	}
	s->rip = page_la | run[n - 1].off;
	/* What NRIPS would give VMRUN's exit: its 3 bytes, no prefix. */
	v->control.next_rip = s->rip + 3;
	cpu->nr_runahead++;
	nested_vmrun(cpu);
	return true;
}
