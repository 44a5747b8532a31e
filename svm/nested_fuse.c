// SPDX-License-Identifier: MIT
/*
 * One exit for two of L1's SVM instructions: KVM's "VMSAVE; POP rAX;
 * VMLOAD" (docs/nested.md, "Exits that carry the next instruction").
 *
 * Linux's KVM ends each world switch (arch/x86/kvm/svm/vmenter.S) with
 *
 *	vmsave %rax		0F 01 DB	the guest's VMLOAD state
 *	pop    %rax		58		the host save area's address
 *	vmload %rax		0F 01 DA	the host's state back
 *
 * On a CPU without virtual VMLOAD/VMSAVE both SVM instructions exit to
 * nestvisor, which emulates them.  After emulating the VMSAVE,
 * nested_fuse_after_vmsave() looks at the four bytes at L1's RIP; when
 * they are exactly 58 0F 01 DA it executes the POP for L1 (the one
 * aligned 8-byte load of the stack the CPU makes, RSP += 8) and emulates
 * the VMLOAD in the same exit.  L1 runs on after the VMLOAD.
 *
 * The result is the CPU's for those two instructions with no event
 * taken between them, which the CPU may do as well (an interrupt or NMI
 * that arrives meanwhile is taken after the VMLOAD, as if it had come
 * two instructions later; in KVM's sequence the GIF is clear anyway).
 * Anything that could happen between or in them other than their plain
 * effect keeps them apart, and L1 executes the POP itself:
 *  - L1's own VMSAVE only (not L2's, which L1 may intercept), in 64-bit
 *    mode, and nothing to inject at the boundary (EVENTINJ clear);
 *  - no trap or fault of the debug kind can apply: RFLAGS.TF clear
 *    (single-step traps after each instruction) and no breakpoint
 *    enabled in DR7 (one could match the POP's address or its stack);
 *  - VMLOAD is intercepted in vmcb01 (without that it would not exit);
 *  - the four bytes are in one page, fetched as the CPU would (L1's
 *    paging, a supervisor fetch), from ordinary memory: the page's
 *    address is where nestvisor reaches it directly (l1_host_ptr() gives
 *    the identity address, not the sink of an emulated or hidden page);
 *  - the stack slot: RSP 8-aligned, canonical (48- or 57-bit by
 *    CR4.LA57), translated for a supervisor read of a supervisor page (no
 *    SMAP, protection key or other rule that looks at RFLAGS.AC or PKRU
 *    applies), in ordinary memory as above.
 * A walk that would fault, or any other miss, leaves the POP to L1: the
 * CPU then raises what it raises.  Accessed bits the walks set are set
 * by the CPU's own walk of the same instruction.  The VMLOAD then runs
 * exactly as an exit of its own would (nested_vmload_vmsave()): its
 * #GP for a bad rAX comes after the POP, as on the CPU.
 */
#include "core/hvmem.h"
#include "core/x86.h"
#include "mm/pferr.h"
#include "mm/pte.h"
#include "mm/role.h"
#include "mm/walk.h"
#include "svm/hw.h"
#include "svm/vmcb.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"

#define DR7_BP_ENABLE 0xffull /* L0-L3, G0-G3 */

/* The bytes that follow KVM's VMSAVE: POP rAX; VMLOAD rAX. */
static const uint8_t pop_vmload[4] = { 0x58, 0x0f, 0x01, 0xda };
static const uint64_t zero;

/* The host's pointer to len bytes at L1-physical gpa when they are
 * ordinary memory (reached at their identity address), else NULL. */
static const volatile uint8_t *ordinary(uint64_t gpa, unsigned len)
{
	const uint8_t *p = l1_host_ptr(gpa, len);

	return p && p == (const uint8_t *)hvmem_va(gpa) ? p : 0;
}

/* Is la canonical for the running guest: bits 63..47 (or 63..56 with
 * CR4.LA57) all equal? */
bool nested_la_canonical(const struct vmcb_save *s, uint64_t la)
{
	unsigned top = s->cr4 & X86_CR4_LA57 ? 7 : 16;

	return (uint64_t)((int64_t)(la << top) >> top) == la;
}

/*
 * The host address of the page of la, for an access of kind access, when
 * it is ordinary memory that access may reach (for a read: a supervisor
 * page), else NULL.  The translation is kept in c and checked like a
 * decode cache entry (svm/decode_cache.h) before each use; a fresh walk
 * refills c when it is for another page or no longer holds.  All control
 * registers are compared (entry_valid(.., true)): EFER.NXE and CR0.WP
 * decide the rights of an access not made yet.  *page keeps the host
 * address with c.
 */
const volatile uint8_t *nested_guest_page(struct cpu *cpu,
					  struct decode_entry *c, uint64_t la,
					  uint64_t access,
					  const volatile uint8_t **page)
{
	const struct vmcb_save *s = &cpu->cur->save;
	struct walk_result r;
	const volatile uint8_t *p;

	la = (la & ~0xfffull) | 1; /* the key: never 0, which is empty */
	if (c->la == la && entry_valid(c, s, true))
		return *page;
	c->la = ~0ull; /* empty until complete */
	if (guest_translate(cpu, la, access, &r) || r.nr_levels > DECODE_LEVELS ||
	    (!(access & PFERR_FETCH) && (r.access & ACC_USER)))
		return 0;
	p = ordinary(r.out & ~0xfffull, 4096);
	if (!p)
		return 0;
	for (unsigned i = 0; i < DECODE_LEVELS; i++) {
		c->pte_ptr[i] = &zero;
		c->pte[i] = 0;
	}
	/* Each entry as the walk left it: with the accessed bit it sets at
	 * every level of a 4- or 5-level walk (mm/walk.c; r.pte has the
	 * values it read).  An entry whose A bit L1 clears again then
	 * misses, and the next walk sets it, as the CPU's walk after L1's
	 * INVLPG (which does not exit) would. */
	for (unsigned i = 0; i < r.nr_levels; i++) {
		c->pte_ptr[i] = (const volatile uint64_t *)ordinary(r.pte_addr[i], 8);
		c->pte[i] = r.pte[i] | PTE_A;
		if (!c->pte_ptr[i])
			return 0;
	}
	c->code_window = &zero;
	c->code_word = 0;
	c->cr0 = s->cr0;
	c->cr4 = s->cr4;
	c->efer = s->efer;
	c->cr3 = s->cr3;
	c->la = la;
	*page = p;
	return p;
}

/* Are the four bytes at la (within one page) POP rAX; VMLOAD rAX?  The
 * answer is kept for two addresses (KVM has two VMSAVEs in a loop that
 * returns to user space) with the 8 bytes of the page that start at la
 * (or end with the page), so that it holds while the translation and
 * those bytes do. */
static bool followed_by_pop_vmload(struct cpu *cpu, uint64_t la)
{
	struct fuse_cache *f = &cpu->fuse;
	const struct vmcb_save *s = &cpu->cur->save;
	unsigned in_page = (unsigned)(la & 0xfff), start, w;
	const volatile uint8_t *win;
	struct decode_entry *c;
	uint64_t word;
	bool match = true;

	for (w = 0; w < 2; w++) {
		c = &f->code[w];
		if (f->at[w] == la + 1 && c->la == ((la & ~0xfffull) | 1) &&
		    entry_valid(c, s, true))
			return f->match[w];
	}
	w = (unsigned)f->victim;
	f->victim ^= 1;
	c = &f->code[w];
	f->at[w] = 0;
	c->la = ~0ull;
	if (!nested_guest_page(cpu, c, la, PFERR_FETCH, &f->code_page[w]))
		return false;
	start = in_page <= 4096 - 8 ? in_page : 4096 - 8;
	win = f->code_page[w] + start;
	/* One load: the answer and what the entry compares (all 8 bytes,
	 * as the decode cache's entries do) are the same bytes. */
	word = *(const volatile uint64_t *)win;
	for (unsigned i = 0; i < sizeof(pop_vmload); i++)
		match &= (uint8_t)(word >> (8 * (in_page - start + i))) == pop_vmload[i];
	c->code_window = (const volatile unaligned_u64 *)win;
	c->code_word = word;
	f->match[w] = match;
	f->at[w] = la + 1; /* never 0, which is empty: la is not ~0 */
	return match;
}

bool nested_fuse_after_vmsave(struct cpu *cpu)
{
	struct vmcb *v = cpu->cur;
	struct vmcb_save *s = &v->save;
	struct fuse_cache *f = &cpu->fuse;
	const volatile uint8_t *page;
	uint64_t rsp = s->rsp;

	if (cpu->nested.guest_mode || v->control.event_inj.valid ||
	    (s->rflags & X86_RFLAGS_TF) || (s->dr7 & DR7_BP_ENABLE) ||
	    !(v->control.intercept_misc2 & INTERCEPT2_VMLOAD) ||
	    guest_code_mode(s) != INSN_MODE_64 || !nested_la_canonical(s, s->rip) ||
	    (s->rip & 0xfff) > 0x1000 - sizeof(pop_vmload))
		return false;
	if (!followed_by_pop_vmload(cpu, s->rip))
		return false;
	if ((rsp & 7) || !nested_la_canonical(s, rsp))
		return false;
	page = nested_guest_page(cpu, &f->stack, rsp, 0, &f->page);
	if (!page)
		return false;
	/* The POP. */
	s->rax = *(const volatile uint64_t *)(page + (rsp & 0xfff));
	s->rsp = rsp + 8;
	s->rip += 1;
	cpu->nr_fused++;
	/* The VMLOAD, as its own exit would go after its checks before the
	 * address, which the VMSAVE has just passed in the same state (SVME,
	 * PE, CPL 0; the POP changes none of them): 3 bytes, no prefix, rAX
	 * is RAX in 64-bit mode. */
	nested_vmload_vmsave_at(cpu, true, s->rax, sizeof(pop_vmload) - 1);
	return true;
}
