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
 * RUNAHEAD_MAX instructions, each a 64-bit load MOV r64, [base + disp] (REX.W
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

#define DR7_BP_ENABLE 0xffull /* L0-L3, G0-G3 */
#define REG_RSP 4

/* The kinds of struct runahead_insn (svm/vcpu.h). */
enum run_kind { RUN_LOAD, RUN_JMP, RUN_VMRUN };

/* Bytes of the code page: those at offsets [lo, hi), at p[0 ..]. */
struct code_view {
	const volatile uint8_t *p;
	unsigned lo, hi;
};

/*
 * The instruction at offset off of the code page, in in; its length, or
 * 0 when it is none of the run's (or not all in v).  Operand-size and
 * other legacy prefixes are not taken (the REX prefix must come first);
 * REX.X must be clear (no index without SIB).
 */
static unsigned decode_one(const struct code_view *v, unsigned off,
			   struct runahead_insn *in)
{
	unsigned avail, mod, rm, len;
	uint8_t b0, modrm;
	const volatile uint8_t *b;

	if (off < v->lo || off >= v->hi || v->hi - off < 2)
		return 0;
	avail = v->hi - off;
	b = v->p + (off - v->lo);
	b0 = b[0];
	*in = (struct runahead_insn){ .off = (uint16_t)off };
	if (b0 == 0xeb) {                                  /* JMP rel8 */
		int next = (int)off + 2 + (int8_t)b[1];

		if (next < 0 || next >= 4096)
			return 0;
		in->kind = RUN_JMP;
		in->disp = next;
		return 2;
	}
	if (b0 == 0x0f) {                                  /* VMRUN */
		if (avail < 3 || b[1] != 0x01 || b[2] != 0xd8)
			return 0;
		in->kind = RUN_VMRUN;
		return 3;
	}
	/* REX.W (R and B free, X clear), then 8B: MOV r64, r/m64. */
	if ((b0 & 0xfa) != 0x48 || avail < 3 || b[1] != 0x8b)
		return 0;
	modrm = b[2];
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
	in->disp = mod == 1 ? (int8_t)b[3] :
		   mod == 2 ? (int32_t)((uint32_t)b[3] | (uint32_t)b[4] << 8 |
					(uint32_t)b[5] << 16 | (uint32_t)b[6] << 24) : 0;
	if (in->reg == REG_RSP)
		return 0;
	return len;
}

/* The run from offset off to its VMRUN, at most RUNAHEAD_MAX instructions:
 * its loads and then the VMRUN in run[] (a JMP only moves on), their
 * number, or 0 when the code is not such a run.  *lo and *hi: the span
 * of its bytes. */
static unsigned decode_run(const struct code_view *v, unsigned off,
			   struct runahead_insn run[RUNAHEAD_MAX], unsigned *lo,
			   unsigned *hi)
{
	unsigned n = 0;

	*lo = *hi = off;
	for (unsigned count = 0; count < RUNAHEAD_MAX; count++) {
		unsigned len = decode_one(v, off, &run[n]);

		if (!len)
			return 0;
		if (off < *lo)
			*lo = off;
		if (off + len > *hi)
			*hi = off + len;
		if (run[n].kind == RUN_VMRUN)
			return n + 1;
		if (run[n].kind == RUN_JMP) {
			off = (unsigned)run[n].disp;
			continue;
		}
		off += len;
		n++;
	}
	return 0;
}

/* The words of the code page a kept run compares: nq from offset lo,
 * covering [lo, hi) and within the page. */
static void span_words(unsigned lo, unsigned hi, unsigned *wlo, unsigned *nq)
{
	*nq = (hi - lo + 7) / 8;
	*wlo = lo + *nq * 8 <= 4096 ? lo : 4096 - *nq * 8;
}

static bool same_insn(const struct runahead_insn *a, const struct runahead_insn *b)
{
	return a->kind == b->kind && a->reg == b->reg && a->base == b->base &&
	       a->off == b->off && a->disp == b->disp;
}

/*
 * The run at offset off of the code page: the kept one if its bytes are
 * unchanged, else decoded now.  A run whose bytes span at most
 * RUNAHEAD_SPAN is kept: its bytes are copied, decoded again from the
 * copy, and kept only if that gives the same run (so that what is kept
 * is the decode of the bytes kept, whatever another CPU wrote
 * meanwhile).  Its number of instructions, or 0.
 */
static unsigned find_run(struct runahead_cache *ra, const volatile uint8_t *code,
			 uint64_t rip)
{
	struct code_view page = { code, 0, 4096 }, kept;
	struct runahead_insn again[RUNAHEAD_MAX];
	unsigned off = (unsigned)(rip & 0xfff), lo, hi, lo2, hi2, wlo, nq, n;
	uint64_t d = 0;

	/* at is 0 when no run is kept, and rip + 1 is 0 at the last byte
	 * of the address space: compare only a kept run. */
	if (ra->at && ra->at == rip + 1) {
		/* Read once each, as a volatile access would be: the
		 * compiler may only schedule them. */
		const unaligned_u64 *w = (const unaligned_u64 *)(const void *)
					 (uintptr_t)(code + ra->lo);
		unsigned i = 0, words = ra->nq;

		for (; i + 2 <= words; i += 2)
			d |= (w[i] ^ ra->bytes[i]) | (w[i + 1] ^ ra->bytes[i + 1]);
		if (i < words)
			d |= w[i] ^ ra->bytes[i];
		if (!d)
			return ra->n;
	}
	ra->at = 0;
	n = decode_run(&page, off, ra->run, &lo, &hi);
	if (!n || hi - lo > RUNAHEAD_SPAN)
		return n;
	span_words(lo, hi, &wlo, &nq);
	for (unsigned i = 0; i < nq; i++)
		ra->bytes[i] = ((const volatile unaligned_u64 *)(code + wlo))[i];
	kept = (struct code_view){ (const volatile uint8_t *)ra->bytes, wlo,
				   wlo + nq * 8 };
	if (decode_run(&kept, off, again, &lo2, &hi2) != n)
		return 0; /* changing under our feet: L1 runs it */
	for (unsigned i = 0; i < n; i++)
		if (!same_insn(&again[i], &ra->run[i]))
			return 0;
	ra->lo = (uint16_t)wlo;
	ra->nq = (uint16_t)nq;
	ra->n = (uint8_t)n;
	ra->at = rip + 1;
	return n;
}

/* L1's 16 GPRs, as the run sees them: RAX and RSP from vmcb01. */
static void regs_get(struct cpu *cpu, uint64_t r[16])
{
	const struct guest_regs *g = &cpu->gregs;

	r[0] = cpu->cur->save.rax;
	r[1] = g->rcx;
	r[2] = g->rdx;
	r[3] = g->rbx;
	r[4] = cpu->cur->save.rsp;
	r[5] = g->rbp;
	r[6] = g->rsi;
	r[7] = g->rdi;
	r[8] = g->r8;
	r[9] = g->r9;
	r[10] = g->r10;
	r[11] = g->r11;
	r[12] = g->r12;
	r[13] = g->r13;
	r[14] = g->r14;
	r[15] = g->r15;
}

/* ... and back (RSP is never a destination: decode_one()). */
static void regs_set(struct cpu *cpu, const uint64_t r[16])
{
	struct guest_regs *g = &cpu->gregs;

	cpu->cur->save.rax = r[0];
	g->rcx = r[1];
	g->rdx = r[2];
	g->rbx = r[3];
	g->rbp = r[5];
	g->rsi = r[6];
	g->rdi = r[7];
	g->r8 = r[8];
	g->r9 = r[9];
	g->r10 = r[10];
	g->r11 = r[11];
	g->r12 = r[12];
	g->r13 = r[13];
	g->r14 = r[14];
	g->r15 = r[15];
}

/* The host address of the page of la for a supervisor read, or NULL;
 * seen[] remembers the pages found in this run (at most two). */
static const volatile uint8_t *data_page(struct cpu *cpu, uint64_t la,
					 uint64_t seen_la[2],
					 const volatile uint8_t *seen[2])
{
	struct runahead_cache *ra = &cpu->runahead;
	uint64_t page_la = la & ~0xfffull;
	const volatile uint8_t *p;
	unsigned w;

	if (!nested_la_canonical(&cpu->cur->save, la))
		return 0;
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
	return p;
}

bool nested_runahead_after_vmload(struct cpu *cpu)
{
	struct vmcb *v = cpu->cur;
	struct vmcb_save *s = &v->save;
	struct runahead_cache *ra = &cpu->runahead;
	const volatile uint8_t *code, *seen[2] = { 0, 0 };
	uint64_t seen_la[2] = { 1, 1 }, page_la = s->rip & ~0xfffull, r[16];
	unsigned n, i;

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
	n = find_run(ra, code, s->rip);
	if (!n)
		return false;
	regs_get(cpu, r);
	for (i = 0; i + 1 < n; i++) {
		const struct runahead_insn *in = &ra->run[i];
		const volatile uint8_t *p;
		uint64_t la = r[in->base] + (uint64_t)(int64_t)in->disp;

		if ((la & 0xfff) > 4096 - 8)
			break; /* across two pages */
		if ((la & ~0xfffull) == seen_la[0])
			p = seen[0];
		else if ((la & ~0xfffull) == seen_la[1])
			p = seen[1];
		else if (!(p = data_page(cpu, la, seen_la, seen)))
			break;
		r[in->reg] = *(const volatile unaligned_u64 *)(p + (la & 0xfff));
	}
	regs_set(cpu, r);
	if (i + 1 < n) {
		s->rip = page_la | ra->run[i].off; /* L1 makes this load */
		return false;
	}
	s->rip = page_la | ra->run[n - 1].off;
	/* What NRIPS would give VMRUN's exit: its 3 bytes, no prefix. */
	v->control.next_rip = s->rip + 3;
	cpu->nr_runahead++;
	nested_vmrun(cpu);
	return true;
}
