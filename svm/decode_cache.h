/* SPDX-License-Identifier: MIT */
/*
 * The decode cache's lookup (svm/nrip.c fills and empties it; its comment
 * has the rules): inline, so that the exit handlers of the common
 * instructions (CPUID, VMMCALL) learn the intercepted instruction's
 * length without a call.  insn_len_hit() is insn_begin()'s common case
 * (svm/intercepts.h): next_rip where the CPU has NRIPS, or a cache entry
 * of 64-bit code that still holds; false sends the caller to
 * insn_begin_slow(), which decides every case the same way.
 */
#ifndef NV_SVM_DECODE_CACHE_H
#define NV_SVM_DECODE_CACHE_H

#include "core/x86.h"
#include "svm/features.h"
#include "svm/vcpu.h"

/* The set for op at the running guest's level. */
static inline __attribute__((always_inline)) struct decode_set *
decode_set(struct cpu *cpu, enum insn_op op)
{
	return &cpu->decode_cur[op];
}

/* Does the entry still hold for the running guest (same control
 * registers, paging entries and code bytes)?  Every pointer in an entry,
 * empty or not, is valid (always_zero where unused), so the checks are one
 * branchless chain; the caller has compared the key.
 *
 * In 64-bit mode (all) is false: CR0 and EFER are not compared.  There
 * the walk that translates the code's address is the 4- or 5-level one
 * from CR3 (CR0.PG, CR4.PAE and EFER.LMA are set; CR4.LA57 picks the
 * levels), and the entry was filled in 64-bit mode (its key), so the same
 * CR3, CR4 and paging entries give the same translation.  The other bits
 * (CR0.WP, EFER.NXE, CR4.SMEP, the CPL) decide only whether the fetch is
 * allowed, and the CPU has just fetched the instruction. */
static inline __attribute__((always_inline)) bool
entry_valid(const struct decode_entry *c, const struct vmcb_save *s, bool all)
{
	uint64_t d = c->cr3 ^ s->cr3;

	_Static_assert(DECODE_LEVELS == 5, "five slots, unrolled");
	/* One accumulator, in order (the empty asm keeps the compiler from
	 * loading everything at once into registers it must then save). */
#define ACC(x) do { d |= (x); __asm__("" : "+r"(d)); } while (0)
	if (all) {
		ACC(c->cr0 ^ s->cr0);
		ACC(c->efer ^ s->efer);
	}
	ACC(c->cr4 ^ s->cr4);
	ACC(*c->pte_ptr[0] ^ c->pte[0]);
	ACC(*c->pte_ptr[1] ^ c->pte[1]);
	ACC(*c->pte_ptr[2] ^ c->pte[2]);
	ACC(*c->pte_ptr[3] ^ c->pte[3]);
	ACC(*c->pte_ptr[4] ^ c->pte[4]);
#undef ACC
	d |= *c->code_window ^ c->code_word; /* all 8 bytes: nrip.c */
	return !d;
}

/* The entry for op with key that still holds, or NULL (a miss); all as
 * for entry_valid(). */
static inline __attribute__((always_inline)) const struct decode_entry *
cache_lookup(struct cpu *cpu, const struct vmcb_save *s, enum insn_op op,
	     uint64_t key, bool all)
{
	const struct decode_entry *c = decode_set(cpu, op)->way;

	if (c->la != key && (++c)->la != key)
		return 0;
	return entry_valid(c, s, all) ? c : 0;
}

/* The entry of op for 64-bit code at RIP that still holds, or NULL. */
static inline __attribute__((always_inline)) const struct decode_entry *
cache_hit64(struct cpu *cpu, const struct vmcb_save *s, enum insn_op op)
{
	if (__builtin_expect(!(s->efer & X86_EFER_LMA), 0) ||
	    __builtin_expect(!s->cs.attrib.l, 0))
		return 0;
	return cache_lookup(cpu, s, op, s->rip, false);
}

/* The cached length of op in 64-bit code whose entry holds, or 0. */
static inline __attribute__((always_inline)) unsigned
insn_len_fast(struct cpu *cpu, const struct vmcb_save *s, enum insn_op op)
{
	const struct decode_entry *c = cache_hit64(cpu, s, op);

	return c ? (unsigned)c->len : 0;
}

/*
 * insn_begin()'s common case: true with *len the length of op at RIP,
 * from next_rip where the CPU has NRIPS, else from a decode cache entry
 * that still holds; false sends the caller to insn_begin_slow().  True
 * only for 64-bit code (EFER.LMA and CS.L), whichever the source: the
 * invariant guest_advance_rip64() relies on.  An entry that holds has a
 * length of at least 1 (an empty one never holds: svm/nrip.c
 * entry_empty()), so a hit needs no test of it.
 */
static inline __attribute__((always_inline)) bool
insn_len_hit(struct cpu *cpu, enum insn_op op, unsigned *len)
{
	const struct vmcb *v = cpu->cur;
	const struct decode_entry *c;

	if (__builtin_expect(!(v->save.efer & X86_EFER_LMA), 0) ||
	    __builtin_expect(!v->save.cs.attrib.l, 0))
		return false;
	if (svm_has(&cpu->caps, SVM_FEAT_NRIPS)) {
		*len = (unsigned)(v->control.next_rip - v->save.rip);
		return v->control.next_rip != 0;
	}
	c = cache_lookup(cpu, &v->save, op, v->save.rip, false);
	if (!c)
		return false;
	*len = (unsigned)c->len;
	return true;
}

/* insn_len_hit() as one number: the length, or 0 for false. */
static inline __attribute__((always_inline)) unsigned
insn_len_cached(struct cpu *cpu, enum insn_op op)
{
	unsigned len;

	return insn_len_hit(cpu, op, &len) ? len : 0;
}

/* RIP past the instruction whose length insn_len_hit() gave, then
 * instruction_completed(): guest_advance_rip() where the code is known to
 * be 64-bit (insn_len_hit() answers nothing else), where RIP is 64 bits
 * wide and wraps at no smaller size (APM Vol. 1, "Instruction Pointer"),
 * so the mode need not be found again.  s is cpu->cur's save area.
 * svm/intercepts.h includes this file after instruction_completed(). */
static inline __attribute__((always_inline)) void
guest_advance_rip64(struct cpu *cpu, struct vmcb_save *s, unsigned len)
{
	s->rip += len;
	if (__builtin_expect(s->rflags & (X86_RFLAGS_RF | X86_RFLAGS_TF), 0))
		instruction_completed_slow(cpu);
}

#endif
