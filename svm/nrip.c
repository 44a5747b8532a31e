// SPDX-License-Identifier: MIT
/*
 * Moving L1's RIP past an intercepted instruction.
 *
 * With NRIPS the CPU gives next_rip (APM Vol. 2 §15.7.1).  Without it (QEMU
 * TCG), nestvisor reads the bytes at CS:RIP through L1's own page tables
 * (mm/ walker, L1's cpu_role) and decodes them (svm/insn.c).  Outside
 * 64-bit mode CS:RIP is the 32-bit linear address CS.base + EIP (or IP),
 * wrapping at 4 GiB as the CPU's does, and RIP moves within IP, EIP or
 * RIP.  The bytes
 * must be the instruction that caused the exit; anything else (code changed
 * under our feet by another CPU or by DMA) gets #UD instead of a guess.
 *
 * A decode cache makes the common case (the same instruction exiting
 * again, e.g. CPUID in a loop, or a guest hypervisor's CLGI, VMLOAD,
 * VMSAVE, STGI around its VMRUN) cheap without giving up exactness: per
 * guest level and instruction kind, two entries, each keeping the walk's
 * trace (where each paging entry used lives and the value it had) and the
 * instruction bytes.  An entry is used only if the linear address (and
 * whether the code is 64-bit), CR3 and CR4 (outside 64-bit mode CR0 and
 * EFER too) are the same, every paging entry still holds the value the
 * walk saw, and the bytes are unchanged: then the walk and the decode
 * would give the same result, so they are skipped.  Cached: instructions
 * of at most 8 bytes within one page, found by a walk of at most 5 levels
 * (CR4.LA57) of 8-byte entries, in L1's physical space.  The lookup is inline in
 * every handler (svm/decode_cache.h); filling and emptying are here.
 */
#include "svm/intercepts.h"
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/x86.h"
#include "mm/walk.h"
#include "svm/decode_cache.h"

static inline __attribute__((always_inline)) enum insn_mode
code_mode(const struct vmcb_save *s)
{
	if ((s->efer & X86_EFER_LMA) && s->cs.attrib.l)
		return INSN_MODE_64;
	if (!(s->cr0 & X86_CR0_PE))
		return INSN_MODE_16;
	return s->cs.attrib.db ? INSN_MODE_32 : INSN_MODE_16;
}

/* RIP's width in each code size: IP, EIP or RIP. */
static inline __attribute__((always_inline)) uint64_t
mode_mask(enum insn_mode mode)
{
	return mode == INSN_MODE_64 ? ~0ull :
	       mode == INSN_MODE_32 ? 0xffffffffull : 0xffffull;
}

/* The width of linear addresses: 64 bits in 64-bit mode, otherwise 32
 * (compatibility mode included): APM Vol. 2 chapter 4, "Segmented
 * Virtual Memory". */
static inline __attribute__((always_inline)) uint64_t
la_mask(enum insn_mode mode)
{
	return mode == INSN_MODE_64 ? ~0ull : 0xffffffffull;
}

/* The linear address of CS:RIP: RIP itself in 64-bit mode (CS's base is
 * ignored there), else CS.base + EIP (or IP) modulo 2^32. */
static inline __attribute__((always_inline)) uint64_t
code_la(const struct vmcb_save *s, enum insn_mode mode)
{
	if (mode == INSN_MODE_64)
		return s->rip;
	return (s->cs.base + (s->rip & mode_mask(mode))) & la_mask(mode);
}

uint64_t guest_code_la(const struct vmcb_save *s, uint64_t delta)
{
	enum insn_mode mode = code_mode(s);

	return (code_la(s, mode) + delta) & la_mask(mode);
}

uint64_t guest_next_rip(const struct vmcb_save *s, unsigned len)
{
	return (s->rip + len) & mode_mask(code_mode(s));
}

enum insn_mode guest_code_mode(const struct vmcb_save *s)
{
	return code_mode(s);
}

static union cpu_role guest_role(struct cpu *cpu)
{
	const struct vmcb_save *s = &cpu->cur->save;
	struct paging_regs regs = { s->cr0, s->cr4, s->efer, false };
	union cpu_role role = cpu_role_from_regs(&regs);

	struct pagewalk *w = &cpu->code_walk[cur_level(cpu)];

	if (w->role.as_u64 != role.as_u64) {
		struct mm_cpu mc = { cpu->caps.l1_maxphyaddr, cpu->caps.gbpages };
		pagewalk_init(w, role, false, &mc);
	}
	return role;
}

/* Reads up to len bytes of L1 code at linear address la, in the linear
 * space of mode (32-bit addresses wrap at 4 GiB); returns the number read
 * (stops at the first unmapped page).  *first gets the walk of the first
 * page. */
static unsigned read_code(struct cpu *cpu, union cpu_role role,
			  enum insn_mode mode, uint64_t la, uint8_t *buf,
			  unsigned len, struct walk_result *first)
{
	const struct vmcb_save *s = &cpu->cur->save;
	uint64_t acc = PFERR_FETCH | (s->cpl == 3 ? PFERR_USER : 0);
	unsigned n = 0;

	first->nr_levels = 0;
	first->out = la;
	while (n < len) {
		struct walk_result r, *rp = n ? &r : first;
		uint64_t gpa = (la + n) & la_mask(mode), chunk;

		if (!role.base.direct) {
			if (!walk(&cpu->code_walk[cur_level(cpu)], cpu->cur_phys, s->cr3,
				  gpa, acc, rp))
				break;
			gpa = rp->out;
		}
		chunk = 4096 - (gpa & 0xfff);
		if (chunk > len - n)
			chunk = len - n;
		if (cpu->cur_phys->read(cpu->cur_phys->ctx, gpa, buf + n,
					(unsigned)chunk))
			break;
		n += (unsigned)chunk;
	}
	return n;
}

static const uint64_t always_zero;

/*
 * An entry's key: the linear address, with bit 62 set for code outside
 * 64-bit mode (la is below 2^32 there), which makes it non-canonical: an
 * entry filled outside 64-bit mode never matches in 64-bit mode.  Bit 61
 * tells 16-bit code (CS.D = 0) from 32-bit code: the same bytes at the
 * same address may have another length there (ModRM's 16-bit forms), and
 * nothing else the entry compares changes with CS.D.
 */
#define KEY_NOT64 (1ull << 62)
#define KEY_16    (1ull << 61)

static inline uint64_t entry_key(enum insn_mode mode, uint64_t la)
{
	if (mode == INSN_MODE_64)
		return la;
	return la | KEY_NOT64 | (mode == INSN_MODE_16 ? KEY_16 : 0);
}

/* An empty entry never holds, whatever RIP and the control registers:
 * its code check compares always_zero's bit 0 with 1.  (Its key, ~0, is
 * a canonical RIP.)  So a lookup that finds an entry that holds finds a
 * filled one, of length 1 or more (svm/decode_cache.h insn_len_hit()). */
static void entry_empty(struct decode_entry *c)
{
	c->la = ~0ull;
	for (unsigned i = 0; i < DECODE_LEVELS; i++) {
		c->pte_ptr[i] = &always_zero;
		c->pte[i] = 0;
	}
	c->code_window = &always_zero;
	c->code_word = c->code_mask = 1;
	c->len = 0;
}

static void clear_level(struct cpu *cpu, unsigned level)
{
	cpu->decode_filled[level] = false;
	for (unsigned op = 0; op < DECODE_OPS; op++) {
		struct decode_set *set = &cpu->decode_cache[level][op];

		for (unsigned w = 0; w < DECODE_WAYS; w++)
			entry_empty(&set->way[w]);
		set->victim = 0;
	}
}

void decode_cache_init(struct cpu *cpu)
{
	clear_level(cpu, 0);
	clear_level(cpu, 1);
}

void decode_cache_clear(struct cpu *cpu, unsigned level)
{
	if (cpu->decode_filled[level])
		clear_level(cpu, level);
}

static void cache_fill(struct cpu *cpu, uint64_t la, union cpu_role role,
		       const struct walk_result *w, const uint8_t *bytes,
		       const struct insn *in)
{
	const struct vmcb_save *s = &cpu->cur->save;
	unsigned off = (unsigned)(w->out & 0xfff), win;
	uint64_t key = entry_key(code_mode(s), la);
	struct decode_set *set = decode_set(cpu, in->op);
	struct decode_entry *c;
	const volatile uint8_t *code;

	/* The entry for la if there is one (it failed its check), else the
	 * victim. */
	c = &set->way[set->victim];
	for (unsigned i = 0; i < DECODE_WAYS; i++)
		if (set->way[i].la == key)
			c = &set->way[i];
	if (c == &set->way[set->victim])
		set->victim = (set->victim + 1) % DECODE_WAYS;
	entry_empty(c);
	/* Only code in L1's physical space: where L2 uses nested paging its
	 * host addresses also depend on L1's NPT.  8-byte entries only
	 * (2-level paging's 4-byte ones are not cached), at most 5 levels. */
	if (off + in->len > 4096 || in->len > 8 || cpu->cur_phys != &l1_gmem ||
	    role.base.has_4_byte_gpte || w->nr_levels > DECODE_LEVELS)
		return;
	for (unsigned i = 0; i < w->nr_levels; i++) {
		c->pte_ptr[i] = (const volatile uint64_t *)l1_host_ptr(w->pte_addr[i], 8);
		c->pte[i] = w->pte[i];
		if (!c->pte_ptr[i]) {
			entry_empty(c);
			return;
		}
	}
	/* The 8 bytes from the instruction's start, or, near the end of the
	 * page, the 8 bytes that end with it. */
	win = off + 8 <= 4096 ? 0 : 8 - in->len;
	code = l1_host_ptr(w->out - win, 8);
	if (!code) {
		entry_empty(c);
		return;
	}
	c->code_window = (const volatile unaligned_u64 *)code;
	c->code_word = c->code_mask = 0;
	for (unsigned i = 0; i < in->len; i++) {
		c->code_word |= (uint64_t)bytes[i] << (8 * (i + win));
		c->code_mask |= 0xffull << (8 * (i + win));
	}
	/* The whole window is compared, unmasked (one instruction less per
	 * hit): the instruction's bytes as decoded, the others as they are
	 * now.  A later change of those others only costs a miss. */
	c->code_word |= *c->code_window & ~c->code_mask;
	c->cr0 = s->cr0;
	c->cr4 = s->cr4;
	c->efer = s->efer;
	c->cr3 = s->cr3;
	c->len = in->len;
	cpu->decode_filled[cur_level(cpu)] = true;
	c->la = key; /* last: the entry is complete */
}

/* The uncached path: walk, read, decode, fill the cache.  Kept out of line
 * so that the cached path needs no stack frame. */
static __attribute__((noinline)) int decode_slow(struct cpu *cpu,
						 enum insn_mode mode,
						 uint64_t la, enum insn_op op)
{
	const struct vmcb_save *s = &cpu->cur->save;
	union cpu_role role = guest_role(cpu);
	uint8_t bytes[INSN_MAX_LEN];
	struct walk_result first;
	struct insn in;
	unsigned n;

	n = read_code(cpu, role, mode, la, bytes, sizeof(bytes), &first);
	if (insn_decode(bytes, n, mode, &in) || in.op != op) {
		log_warn_limited("cannot decode the intercepted instruction at "
				 "rip 0x%lx (%u bytes readable)", s->rip, n);
		return -NV_EINVAL;
	}
	cache_fill(cpu, la, role, &first, bytes, &in);
	return in.len;
}

int guest_read_data(struct cpu *cpu, uint64_t la, void *buf, unsigned len)
{
	const struct vmcb_save *s = &cpu->cur->save;
	enum insn_mode mode = code_mode(s);
	union cpu_role role = guest_role(cpu);
	uint64_t acc = s->cpl == 3 ? PFERR_USER : 0;
	unsigned n = 0;

	while (n < len) {
		uint64_t a = (la + n) & la_mask(mode), gpa = a, chunk;
		struct walk_result r;

		if (!role.base.direct) {
			if (!walk(&cpu->code_walk[cur_level(cpu)], cpu->cur_phys,
				  s->cr3, a, acc, &r)) {
				if (!r.fault || r.gmem_error || r.raced)
					return -NV_EFAULT;
				if (cpu->nested.guest_mode) {
					nested_deliver_pf(cpu, (uint32_t)r.error_code,
							  r.fault_addr);
				} else {
					inject_exception(cpu, X86_VEC_PF, true,
							 (uint32_t)r.error_code);
					cpu->vmcb01->save.cr2 = r.fault_addr;
				}
				return -NV_ENOENT;
			}
			gpa = r.out;
		}
		chunk = 4096 - (gpa & 0xfff);
		if (chunk > len - n)
			chunk = len - n;
		if (cpu->cur_phys->read(cpu->cur_phys->ctx, gpa,
					(uint8_t *)buf + n, (unsigned)chunk))
			return -NV_EFAULT;
		n += (unsigned)chunk;
	}
	return 0;
}

int guest_translate(struct cpu *cpu, uint64_t la, uint64_t access,
		    struct walk_result *r)
{
	const struct vmcb_save *s = &cpu->cur->save;
	union cpu_role role = guest_role(cpu);

	r->access = ACC_ALL;
	if (role.base.direct) {
		r->out = la & la_mask(code_mode(s));
		return 0;
	}
	if (!walk(&cpu->code_walk[cur_level(cpu)], cpu->cur_phys, s->cr3,
		  la & la_mask(code_mode(s)), access, r))
		return -NV_ENOENT;
	return 0;
}

int guest_insn_decode(struct cpu *cpu, struct insn *in)
{
	const struct vmcb_save *s = &cpu->cur->save;
	enum insn_mode mode = code_mode(s);
	uint64_t la = code_la(s, mode);
	uint8_t bytes[INSN_MAX_LEN];
	struct walk_result first;
	unsigned n;

	n = read_code(cpu, guest_role(cpu), mode, la, bytes, sizeof(bytes),
		      &first);
	return insn_decode(bytes, n, mode, in);
}

/* guest_insn_len() outside 64-bit mode, or on a miss. */
static __attribute__((noinline)) int insn_len_slow(struct cpu *cpu,
						   enum insn_op op)
{
	const struct vmcb_save *s = &cpu->cur->save;
	enum insn_mode mode = code_mode(s);
	uint64_t la = code_la(s, mode);
	const struct decode_entry *c =
		cache_lookup(cpu, s, op, entry_key(mode, la), true);

	return c ? (int)c->len : decode_slow(cpu, mode, la, op);
}

int guest_insn_len(struct cpu *cpu, enum insn_op op)
{
	unsigned len = insn_len_fast(cpu, &cpu->cur->save, op);

	/* The common case first: 64-bit code whose entry holds. */
	if (__builtin_expect(len != 0, 1))
		return (int)len;
	return insn_len_slow(cpu, op);
}

bool guest_insn_is(struct cpu *cpu, enum insn_op op)
{
	const struct vmcb_save *s = &cpu->cur->save;
	enum insn_mode mode = code_mode(s);
	uint64_t la = code_la(s, mode);
	union cpu_role role;
	uint8_t bytes[INSN_MAX_LEN];
	struct walk_result first;
	struct insn in;
	unsigned n;

	if (cache_lookup(cpu, s, op, entry_key(mode, la), true))
		return true;
	role = guest_role(cpu);
	n = read_code(cpu, role, mode, la, bytes, sizeof(bytes), &first);
	if (insn_decode(bytes, n, mode, &in) || in.op != op)
		return false;
	cache_fill(cpu, la, role, &first, bytes, &in);
	return true;
}

unsigned guest_code_fetch(struct cpu *cpu, uint8_t *buf, unsigned len,
			  uint64_t *la, enum insn_mode *mode)
{
	const struct vmcb_save *s = &cpu->cur->save;
	struct walk_result first;

	*mode = code_mode(s);
	*la = code_la(s, *mode);
	/* Outside 64-bit mode a fetch beyond CS's limit faults. */
	if (*mode != INSN_MODE_64) {
		if (s->rip > s->cs.limit)
			return 0;
		if (len - 1 > s->cs.limit - s->rip)
			len = (unsigned)(s->cs.limit - s->rip) + 1;
	}
	return read_code(cpu, guest_role(cpu), *mode, *la, buf, len, &first);
}

int guest_insn_decode_op(struct cpu *cpu, enum insn_op op, struct insn *in)
{
	if (guest_insn_decode(cpu, in) || in->op != op)
		return -NV_EINVAL;
	return 0;
}

/* insn_begin() outside 64-bit mode, or on a miss of the cache. */
static __attribute__((noinline)) int begin_slow(struct cpu *cpu,
						enum insn_op op)
{
	int len = insn_len_slow(cpu, op);

	if (len < 0)
		inject_exception(cpu, X86_VEC_UD, false, 0);
	return len;
}

int insn_begin_slow(struct cpu *cpu, enum insn_op op)
{
	struct vmcb *v = cpu->cur;
	const struct vmcb_save *s = &v->save;
	unsigned len;

	if (svm_has(&cpu->caps, SVM_FEAT_NRIPS) && v->control.next_rip)
		return (int)((v->control.next_rip - s->rip) &
			     mode_mask(code_mode(s)));
	len = insn_len_fast(cpu, s, op);
	if (__builtin_expect(len != 0, 1))
		return (int)len;
	return begin_slow(cpu, op);
}

uint64_t guest_insn_rax(struct cpu *cpu, unsigned len)
{
	const struct vmcb_save *s = &cpu->cur->save;
	enum insn_mode mode = code_mode(s);
	unsigned size = mode == INSN_MODE_64 ? 8 : mode == INSN_MODE_32 ? 4 : 2;
	struct insn in;

	/* 0F 01 Dx is 3 bytes: a longer one has prefixes, 67h among them
	 * perhaps (rare: decoded again, uncached). */
	if (len > 3 && !guest_insn_decode(cpu, &in))
		size = in.addrsize;
	return size == 8 ? s->rax : size == 4 ? (uint32_t)s->rax :
					      (uint16_t)s->rax;
}

int skip_instruction(struct cpu *cpu, enum insn_op op)
{
	struct vmcb_save *s = &cpu->cur->save;
	unsigned fast = svm_has(&cpu->caps, SVM_FEAT_NRIPS) ? 0 :
			insn_len_fast(cpu, s, op);
	int len;

	/* The common case first: 64-bit code whose entry holds (RIP does
	 * not wrap there). */
	if (__builtin_expect(fast != 0, 1)) {
		s->rip += fast;
		instruction_completed(cpu);
		return 0;
	}
	len = insn_begin(cpu, op);
	if (len < 0)
		return len;
	guest_advance_rip(cpu, (unsigned)len);
	return 0;
}

void guest_advance_rip(struct cpu *cpu, unsigned len)
{
	struct vmcb_save *s = &cpu->cur->save;

	s->rip = (s->rip + len) & mode_mask(code_mode(s));
	instruction_completed(cpu);
}
