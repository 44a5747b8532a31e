// SPDX-License-Identifier: MIT
/*
 * Moving L1's RIP past an intercepted instruction.
 *
 * With NRIPS the CPU gives next_rip (APM Vol. 2 §15.7.1).  Without it (QEMU
 * TCG), nestvisor reads the bytes at CS:RIP through L1's own page tables
 * (mm/ walker, L1's cpu_role) and decodes them (svm/insn.c).  The bytes
 * must be the instruction that caused the exit; anything else (code changed
 * under our feet by another CPU or by DMA) gets #UD instead of a guess.
 *
 * A one-entry cache makes the common case (the same instruction exiting
 * again, e.g. CPUID in a loop) cheap without giving up exactness: it keeps
 * the walk's trace (where each paging entry used lives and the value it
 * had) and the instruction bytes, and is used only if CR0, CR4, EFER, CR3,
 * the linear address and the exit's instruction are the same, every entry
 * still holds the value the walk saw, and the bytes are unchanged.  Then the walk and the decode would give the
 * same result, so they are skipped.  Instructions that cross a page are not
 * cached.
 */
#include "svm/intercepts.h"
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/x86.h"
#include "mm/walk.h"

static inline __attribute__((always_inline)) enum insn_mode
code_mode(const struct vmcb_save *s)
{
	if ((s->efer & X86_EFER_LMA) && s->cs.attrib.l)
		return INSN_MODE_64;
	if (!(s->cr0 & X86_CR0_PE))
		return INSN_MODE_16;
	return s->cs.attrib.db ? INSN_MODE_32 : INSN_MODE_16;
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

/* Reads up to len bytes of L1 code at linear address la; returns the
 * number read (stops at the first unmapped page).  *first gets the walk
 * of the first page. */
static unsigned read_code(struct cpu *cpu, union cpu_role role, uint64_t la,
			  uint8_t *buf, unsigned len, struct walk_result *first)
{
	const struct vmcb_save *s = &cpu->cur->save;
	uint64_t acc = PFERR_FETCH | (s->cpl == 3 ? PFERR_USER : 0);
	unsigned n = 0;

	first->nr_levels = 0;
	first->out = la;
	while (n < len) {
		struct walk_result r, *rp = n ? &r : first;
		uint64_t gpa = la + n, chunk;

		if (!role.base.direct) {
			if (!walk(&cpu->code_walk[cur_level(cpu)], cpu->cur_phys, s->cr3,
				  la + n, acc, rp))
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

/* The set for op at the running guest's level. */
static inline __attribute__((always_inline)) struct decode_set *
decode_set(struct cpu *cpu, enum insn_op op)
{
	return &cpu->decode_cur[op];
}

/*
 * An entry's key: the linear address, with bit 62 set for code outside
 * 64-bit mode (la is below 2^32 there), which makes it non-canonical: an
 * entry filled outside 64-bit mode never matches in 64-bit mode.
 */
#define KEY_NOT64 (1ull << 62)

static inline uint64_t entry_key(enum insn_mode mode, uint64_t la)
{
	return mode == INSN_MODE_64 ? la : la | KEY_NOT64;
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

	_Static_assert(DECODE_LEVELS == 4, "four slots, unrolled");
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
#undef ACC
	d |= (*c->code_window ^ c->code_word) & c->code_mask;
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


static void entry_empty(struct decode_entry *c)
{
	c->la = ~0ull;
	for (unsigned i = 0; i < DECODE_LEVELS; i++) {
		c->pte_ptr[i] = &always_zero;
		c->pte[i] = 0;
	}
	c->code_window = &always_zero;
	c->code_word = c->code_mask = 0;
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
	 * (2-level paging's 4-byte ones are not cached), at most 4 levels. */
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
	c->code_window = (const volatile uint64_t *)code;
	for (unsigned i = 0; i < in->len; i++) {
		c->code_word |= (uint64_t)bytes[i] << (8 * (i + win));
		c->code_mask |= 0xffull << (8 * (i + win));
	}
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

	n = read_code(cpu, role, la, bytes, sizeof(bytes), &first);
	if (insn_decode(bytes, n, mode, &in) || in.op != op) {
		log_warn_limited("cannot decode the intercepted instruction at "
				 "rip 0x%lx (%u bytes readable)", s->rip, n);
		return -NV_EINVAL;
	}
	cache_fill(cpu, la, role, &first, bytes, &in);
	return in.len;
}

int guest_insn_decode(struct cpu *cpu, struct insn *in)
{
	const struct vmcb_save *s = &cpu->cur->save;
	enum insn_mode mode = code_mode(s);
	uint64_t la = mode == INSN_MODE_64 ? s->rip : s->cs.base + s->rip;
	uint8_t bytes[INSN_MAX_LEN];
	struct walk_result first;
	unsigned n;

	n = read_code(cpu, guest_role(cpu), la, bytes, sizeof(bytes), &first);
	return insn_decode(bytes, n, mode, in);
}

/* guest_insn_len() outside 64-bit mode, or on a miss. */
static __attribute__((noinline)) int insn_len_slow(struct cpu *cpu,
						   enum insn_op op)
{
	const struct vmcb_save *s = &cpu->cur->save;
	enum insn_mode mode = code_mode(s);
	uint64_t la = mode == INSN_MODE_64 ? s->rip : s->cs.base + s->rip;
	const struct decode_entry *c =
		cache_lookup(cpu, s, op, entry_key(mode, la), true);

	return c ? (int)c->len : decode_slow(cpu, mode, la, op);
}

int guest_insn_len(struct cpu *cpu, enum insn_op op)
{
	const struct vmcb_save *s = &cpu->cur->save;
	const struct decode_entry *c;

	/* The common case first: 64-bit code whose entry holds. */
	if (__builtin_expect((s->efer & X86_EFER_LMA) && s->cs.attrib.l, 1) &&
	    (c = cache_lookup(cpu, s, op, s->rip, false)))
		return (int)c->len;
	return insn_len_slow(cpu, op);
}

int guest_insn_decode_op(struct cpu *cpu, enum insn_op op, struct insn *in)
{
	if (guest_insn_decode(cpu, in) || in->op != op)
		return -NV_EINVAL;
	return 0;
}

int insn_length(struct cpu *cpu, enum insn_op op)
{
	int len;

	if (svm_has(&cpu->caps, SVM_FEAT_NRIPS) && cpu->cur->control.next_rip)
		return 0;
	len = guest_insn_len(cpu, op);
	if (len > 0)
		return len;
	inject_exception(cpu, X86_VEC_UD, false, 0);
	return -NV_EINVAL;
}

void insn_skip(struct cpu *cpu, int len)
{
	struct vmcb *v = cpu->cur;

	if (!len) {
		v->save.rip = v->control.next_rip;
		instruction_completed(cpu);
		return;
	}
	guest_advance_rip(cpu, (unsigned)len);
}

bool insn_is(struct cpu *cpu, enum insn_op op)
{
	return insn_length(cpu, op) >= 0;
}

/* skip_instruction() outside 64-bit mode, or on a miss of the cache. */
static __attribute__((noinline)) int skip_slow(struct cpu *cpu,
					       enum insn_op op)
{
	int len = insn_len_slow(cpu, op);

	if (len < 0) {
		inject_exception(cpu, X86_VEC_UD, false, 0);
		return len;
	}
	guest_advance_rip(cpu, (unsigned)len);
	return 0;
}

int skip_instruction(struct cpu *cpu, enum insn_op op)
{
	struct vmcb *v = cpu->cur;
	struct vmcb_save *s = &v->save;
	const struct decode_entry *c;

	if (svm_has(&cpu->caps, SVM_FEAT_NRIPS) && v->control.next_rip) {
		s->rip = v->control.next_rip;
		instruction_completed(cpu);
		return 0;
	}
	/* The common case first: 64-bit code whose entry holds. */
	if (__builtin_expect(!(s->efer & X86_EFER_LMA) || !s->cs.attrib.l, 0))
		return skip_slow(cpu, op);
	c = cache_lookup(cpu, s, op, s->rip, false);
	if (__builtin_expect(!c, 0))
		return skip_slow(cpu, op);
	s->rip += c->len;
	if (__builtin_expect(s->rflags & (X86_RFLAGS_RF | X86_RFLAGS_TF), 0))
		instruction_completed_slow(cpu);
	return 0;
}

void guest_advance_rip(struct cpu *cpu, unsigned len)
{
	struct vmcb_save *s = &cpu->cur->save;
	enum insn_mode mode = code_mode(s);

	s->rip += len;
	if (mode != INSN_MODE_64)
		s->rip &= mode == INSN_MODE_32 ? 0xffffffffull : 0xffffull;
	instruction_completed(cpu);
}
