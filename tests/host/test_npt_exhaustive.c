// SPDX-License-Identifier: MIT
/*
 * Exhaustive comparison of mm/walk.c (tdp=true, #NPF semantics) with the
 * naive reference model npt_reference.c, case by case.
 *
 * Method: one fake L1 memory holds a fixed 4-level NPT skeleton (nCR3 page,
 * PDPT, PD, PT) that translates one L2 address to one 4 KiB page.  For each
 * case the four entries on that path are rewritten from the case's bits, the
 * production walker walks it, and the reference evaluates the same bits.
 * The results must agree on: fault or not, EXITINFO1 (all 64 bits), the
 * fault address and level, and on success the effective rights, the output
 * address and the page size.  The fake memory also rejects any store that
 * does more than set A/D bits in an entry on the walked path, and the A/D
 * side effects are checked against hardware rules (check_a_d).
 *
 * Dimensions:
 *  part A (13 x 524,288 cases): access (read, write, fetch, page-table
 *    access) x CPL 0/3 x W,U,NX at each of 4 levels x GMET x L1 EFER.NXE x
 *    L1 CR4.SMEP x L1 CR0.WP, for each structure: all present; one level not
 *    present (4); one reserved bit: a bit above MAXPHYADDR at each level (4),
 *    PS and bit 8 in the PML4E (2); all present with A already set in every
 *    entry, and with A set and D set in the leaf (2).
 *  part B (262,144 cases): every present mask x every reserved mask x every
 *    NX mask (W=U=1) x access x CPL x GMET x NXE x SMEP, for fault ordering.
 * L1 CR0.WP is passed to the reference and nowhere in the production API:
 * both values must give the expected (WP=1) result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mm/gmem.h"
#include "mm/pferr.h"
#include "mm/role.h"
#include "mm/walk.h"
#include "npt_reference.h"

/* ---- NPT entry format, AMD APM Vol. 2 §5.3.3 / §15.25 (long mode) ------ */
#define NPTE_P    (1ull << 0)
#define NPTE_W    (1ull << 1)
#define NPTE_U    (1ull << 2)
#define NPTE_A    (1ull << 5)
#define NPTE_D    (1ull << 6)
#define NPTE_PS   (1ull << 7)
#define NPTE_B8   (1ull << 8)
#define NPTE_NX   (1ull << 63)

#define MAXPHYADDR 48

/* ---- fake L1 memory ------------------------------------------------------ */
#define FAKE_PAGES 8
#define PAGE_SIZE 4096u

/* Table pages (gpa = index * 4 KiB) and the walked L2 address. */
#define NCR3      0x1000ull /* PML4 */
#define PDPT_GPA  0x2000ull
#define PD_GPA    0x3000ull
#define PT_GPA    0x4000ull
#define LEAF_GPA  0x0000123456789000ull /* target page, not backed */
/* Indices 1, 2, 3, 4 at levels 4, 3, 2, 1, page offset 0x567. */
#define WALK_ADDR ((1ull << 39) | (2ull << 30) | (3ull << 21) | (4ull << 12) | 0x567)

static const uint64_t table_gpa[NPT_REF_LEVELS] = { NCR3, PDPT_GPA, PD_GPA, PT_GPA };
static const unsigned table_index[NPT_REF_LEVELS] = { 1, 2, 3, 4 };
static const uint64_t next_gpa[NPT_REF_LEVELS] = { PDPT_GPA, PD_GPA, PT_GPA, LEAF_GPA };

struct fake_mem {
	uint8_t bytes[FAKE_PAGES * PAGE_SIZE];
	unsigned bad_stores;  /* stores that do more than set A/D on the path */
	char bad_detail[160];
};

static struct fake_mem mem; /* one memory for all cases */

static bool on_walk_path(uint64_t gpa, unsigned len)
{
	for (int i = 0; i < NPT_REF_LEVELS; i++) {
		uint64_t e = table_gpa[i] + table_index[i] * 8;
		/* an 8-byte entry, or either 4-byte half of it */
		if (gpa >= e && gpa + len <= e + 8)
			return true;
	}
	return false;
}

static bool in_range(uint64_t gpa, unsigned len)
{
	return len > 0 && gpa < sizeof(mem.bytes) && len <= sizeof(mem.bytes) - gpa;
}

static uint64_t load(uint64_t gpa, unsigned len)
{
	uint64_t v = 0;
	memcpy(&v, &mem.bytes[gpa], len); /* little endian, len <= 8 */
	return v;
}

/* A store of new_val over old_val is legal iff it only sets A/D bits of an
 * entry on the walked path (the bits sit in the low half of the entry). */
static bool store_legal(uint64_t gpa, unsigned len, uint64_t old_val, uint64_t new_val)
{
	uint64_t ad = NPTE_A | NPTE_D;
	if (len != 4 && len != 8)
		return false;
	if (!on_walk_path(gpa, len))
		return false;
	if (gpa % 8 != 0)      /* the high half holds no A/D bit */
		ad = 0;
	return (new_val & ~old_val & ~ad) == 0 && (old_val & ~new_val) == 0;
}

static void record_bad(const char *what, uint64_t gpa, uint64_t old_val, uint64_t new_val)
{
	if (mem.bad_stores++ == 0)
		snprintf(mem.bad_detail, sizeof(mem.bad_detail),
			 "%s gpa %#llx old %#llx new %#llx", what,
			 (unsigned long long)gpa, (unsigned long long)old_val,
			 (unsigned long long)new_val);
}

static int fake_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	(void)ctx;
	if (!in_range(gpa, len))
		return -NV_EFAULT;
	memcpy(buf, &mem.bytes[gpa], len);
	return 0;
}

static int fake_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
	(void)ctx;
	uint64_t new_val = 0;
	if (!in_range(gpa, len) || len > 8) {
		record_bad("write (range)", gpa, 0, 0);
		return -NV_EFAULT;
	}
	memcpy(&new_val, buf, len);
	uint64_t old_val = load(gpa, len);
	if (!store_legal(gpa, len, old_val, new_val)) {
		record_bad("write", gpa, old_val, new_val);
		return -NV_EFAULT;
	}
	memcpy(&mem.bytes[gpa], buf, len);
	return 0;
}

static int fake_cmpxchg(void *ctx, uint64_t gpa, uint64_t old_val, uint64_t new_val,
			unsigned len)
{
	(void)ctx;
	if (!in_range(gpa, len) || (len != 4 && len != 8)) {
		record_bad("cmpxchg (range)", gpa, old_val, new_val);
		return -NV_EFAULT;
	}
	uint64_t cur = load(gpa, len);
	if (cur != old_val)
		return -NV_EAGAIN;
	if (!store_legal(gpa, len, old_val, new_val)) {
		record_bad("cmpxchg", gpa, old_val, new_val);
		return -NV_EFAULT;
	}
	memcpy(&mem.bytes[gpa], &new_val, len);
	return 0;
}

static const struct gmem fake_gmem = {
	.ctx = &mem, .read = fake_read, .write = fake_write, .cmpxchg = fake_cmpxchg,
};

/* ---- case description ----------------------------------------------------- */
enum rsvd_kind {
	RSVD_NONE,
	RSVD_HIGH, /* a bit above MAXPHYADDR: bit 48 + level index */
	RSVD_PS,   /* PS in the PML4E */
	RSVD_B8,   /* bit 8 in the PML4E (AMD) */
};

static const char *const rsvd_name[] = { "-", "hi", "ps", "b8" };
static const char *const access_name[] = { "read", "write", "fetch", "ptwalk" };

struct npt_case {
	struct npt_ref_entry e[NPT_REF_LEVELS];
	enum rsvd_kind rsvd_kind[NPT_REF_LEVELS];
	enum npt_ref_access access;
	unsigned cpl;
	struct npt_ref_host host;
	bool pre_a; /* entries already have A=1 */
	bool pre_d; /* the leaf already has D=1 */
};

static uint64_t encode(const struct npt_case *c, int i)
{
	uint64_t v = next_gpa[i];
	if (c->e[i].p)
		v |= NPTE_P;
	if (c->e[i].w)
		v |= NPTE_W;
	if (c->e[i].u)
		v |= NPTE_U;
	if (c->e[i].nx)
		v |= NPTE_NX;
	if (c->pre_a)
		v |= NPTE_A;
	if (c->pre_d && i == NPT_REF_LEVELS - 1)
		v |= NPTE_D;
	switch (c->rsvd_kind[i]) {
	case RSVD_NONE:
		break;
	case RSVD_HIGH:
		v |= 1ull << (MAXPHYADDR + i);
		break;
	case RSVD_PS:
		v |= NPTE_PS;
		break;
	case RSVD_B8:
		v |= NPTE_B8;
		break;
	}
	return v;
}

static uint64_t access_code(enum npt_ref_access a, unsigned cpl)
{
	uint64_t user = cpl == 3 ? PFERR_USER : 0;
	switch (a) {
	case NPT_REF_READ:
		return user | PFERR_GUEST_FINAL;
	case NPT_REF_WRITE:
		return PFERR_WRITE | user | PFERR_GUEST_FINAL;
	case NPT_REF_FETCH:
		return PFERR_FETCH | user | PFERR_GUEST_FINAL;
	case NPT_REF_PT:
		/* CPL 0: the bare stage bit; CPL 3: what KVM passes for a
		 * page-table access (WRITE|USER|GUEST_PAGE).  The walker must
		 * treat both as a user write. */
		return cpl == 3 ? (PFERR_WRITE | PFERR_USER | PFERR_GUEST_PAGE)
				: PFERR_GUEST_PAGE;
	}
	return 0;
}

/* ---- comparison ----------------------------------------------------------- */
#define MAX_SHOWN 20

struct tally {
	unsigned long cases;
	unsigned long disagreements;
	/* what the reference expected, to show the cases are varied */
	unsigned long translated, not_present, reserved, protection;
};

static void show(const struct npt_case *c, const uint64_t pte[NPT_REF_LEVELS],
		 const struct npt_ref_result *ref, const struct walk_result *got,
		 bool ret, const char *why)
{
	printf("  disagreement (%s): %s cpl%u gmet=%d nxe=%d smep=%d wp=%d access=%#llx\n",
	       why, access_name[c->access], c->cpl, c->host.gmet, c->host.efer_nx,
	       c->host.cr4_smep, c->host.cr0_wp,
	       (unsigned long long)access_code(c->access, c->cpl));
	for (int i = 0; i < NPT_REF_LEVELS; i++)
		printf("    L%d entry %#018llx -> %#018llx (P%d W%d U%d NX%d rsvd:%s)\n",
		       NPT_REF_LEVELS - i, (unsigned long long)pte[i],
		       (unsigned long long)load(table_gpa[i] + table_index[i] * 8, 8),
		       c->e[i].p,
		       c->e[i].w, c->e[i].u, c->e[i].nx, rsvd_name[c->rsvd_kind[i]]);
	if (ref->fault)
		printf("    expected: fault exitinfo1 %#llx addr %#llx level %d\n",
		       (unsigned long long)ref->exitinfo1,
		       (unsigned long long)WALK_ADDR, ref->fault_level);
	else
		printf("    expected: ok out %#llx rights W%d U%d X%d\n",
		       (unsigned long long)(LEAF_GPA | (WALK_ADDR & 0xfff)),
		       ref->eff_w, ref->eff_u, ref->eff_x);
	if (got->fault)
		printf("    got:      fault exitinfo1 %#llx addr %#llx level %d (ret %d, gmem_error %d)\n",
		       (unsigned long long)got->error_code,
		       (unsigned long long)got->fault_addr, got->fault_level, ret,
		       got->gmem_error);
	else
		printf("    got:      ok out %#llx shift %u access %#x (ret %d, gmem_error %d)\n",
		       (unsigned long long)got->out, got->page_shift, got->access,
		       ret, got->gmem_error);
	if (mem.bad_stores)
		printf("    illegal store: %s\n", mem.bad_detail);
}

static unsigned ref_acc(const struct npt_ref_result *r)
{
	unsigned acc = ACC_READ;
	if (r->eff_w)
		acc |= ACC_WRITE;
	if (r->eff_u)
		acc |= ACC_USER;
	if (r->eff_x)
		acc |= ACC_EXEC;
	return acc;
}

/*
 * Accessed/dirty side effects (AMD APM Vol. 2 §5.4.2, the A and D bits):
 * the walk sets A in every entry it uses and, for a write (a page-table
 * access is one), D in the leaf once the access is allowed.  The CPU never
 * stores to a not-present entry nor to an entry below the one that faulted
 * (it does not read those), D exists only in the leaf, and a faulting or
 * non-write access never sets D.  Whether A is set in upper entries when a
 * lower one faults is not checked.
 */
static const char *check_a_d(const struct npt_case *c, const uint64_t before[NPT_REF_LEVELS],
			     const struct npt_ref_result *ref)
{
	bool write_like = c->access == NPT_REF_WRITE || c->access == NPT_REF_PT;
	bool stop = false; /* at or below the first not-present entry */

	for (int i = 0; i < NPT_REF_LEVELS; i++) {
		uint64_t after = load(table_gpa[i] + table_index[i] * 8, 8);
		uint64_t set = after & ~before[i];

		if (!c->e[i].p)
			stop = true;
		if (stop && set)
			return "A/D store at or below a not-present entry";
		if (ref->fault && ref->fault_level > 0 &&
		    i > NPT_REF_LEVELS - ref->fault_level && set)
			return "A/D store below the faulting entry";
		if ((set & NPTE_D) && i != NPT_REF_LEVELS - 1)
			return "D set in a non-leaf entry";
		if ((set & NPTE_D) && (ref->fault || !write_like))
			return "D set without a successful write";
		if (!ref->fault && !(after & NPTE_A))
			return "A not set on a translated walk";
		if (!ref->fault && write_like && i == NPT_REF_LEVELS - 1 &&
		    !(after & NPTE_D))
			return "D not set by a successful write";
	}
	return NULL;
}

static void run_case(const struct pagewalk *w, const struct npt_case *c, struct tally *t)
{
	uint64_t pte[NPT_REF_LEVELS];

	for (int i = 0; i < NPT_REF_LEVELS; i++) {
		pte[i] = encode(c, i);
		memcpy(&mem.bytes[table_gpa[i] + table_index[i] * 8], &pte[i], 8);
	}
	mem.bad_stores = 0;

	struct npt_ref_result ref = npt_reference(c->e, c->access, c->cpl, &c->host);
	struct walk_result got;
	memset(&got, 0, sizeof(got));
	bool ret = walk(w, &fake_gmem, NCR3, WALK_ADDR, access_code(c->access, c->cpl), &got);

	const char *why = NULL;
	if (mem.bad_stores)
		why = "illegal store";
	else if (got.gmem_error)
		why = "gmem_error";
	else if (ret != !got.fault)
		why = "return value vs fault";
	else if (got.fault != ref.fault)
		why = "fault";
	else if (ref.fault && got.error_code != ref.exitinfo1)
		why = "exitinfo1";
	else if (ref.fault && got.fault_addr != WALK_ADDR)
		why = "fault_addr";
	else if (ref.fault && got.fault_level != ref.fault_level)
		why = "fault_level";
	else if (!ref.fault && got.access != ref_acc(&ref))
		why = "rights";
	else if (!ref.fault && got.out != (LEAF_GPA | (WALK_ADDR & 0xfff)))
		why = "out";
	else if (!ref.fault && got.page_shift != 12)
		why = "page_shift";
	if (!why)
		why = check_a_d(c, pte, &ref);

	t->cases++;
	if (!ref.fault)
		t->translated++;
	else if (!(ref.exitinfo1 & PFERR_PRESENT))
		t->not_present++;
	else if (ref.exitinfo1 & PFERR_RSVD)
		t->reserved++;
	else
		t->protection++;
	if (why) {
		if (t->disagreements < MAX_SHOWN)
			show(c, pte, &ref, &got, ret, why);
		t->disagreements++;
	}
}

/* L1's CR4/EFER: long mode, 4-level NPT, plus the bits under test. */
static void make_walker(struct pagewalk *w, const struct npt_ref_host *h)
{
	uint64_t cr4 = X86_CR4_PAE | (h->cr4_smep ? X86_CR4_SMEP : 0);
	uint64_t efer = X86_EFER_LME | X86_EFER_LMA | (h->efer_nx ? X86_EFER_NXE : 0);
	union cpu_role role = cpu_role_shadow_npt(cr4, efer, h->gmet);
	pagewalk_init(w, role, true, &(struct mm_cpu){ .maxphyaddr = MAXPHYADDR,
						       .gbpages = true });
}

/* Part A, one structure: every access, CPL, W/U/NX bit pattern, host. */
static void part_a(int np_level, int rsvd_level, enum rsvd_kind kind,
		   unsigned preset, struct tally *t)
{
	for (unsigned hb = 0; hb < 16; hb++) {
		struct npt_case c;
		memset(&c, 0, sizeof(c));
		c.host = (struct npt_ref_host){ .gmet = hb & 1, .efer_nx = hb & 2,
						.cr4_smep = hb & 4, .cr0_wp = hb & 8 };
		struct pagewalk w;
		make_walker(&w, &c.host);
		c.pre_a = preset >= 1;
		c.pre_d = preset >= 2;
		for (int i = 0; i < NPT_REF_LEVELS; i++) {
			c.e[i].p = i != np_level;
			c.e[i].rsvd = i == rsvd_level;
			c.rsvd_kind[i] = i == rsvd_level ? kind : RSVD_NONE;
		}
		for (unsigned a = 0; a < 4; a++) {
			c.access = (enum npt_ref_access)a;
			for (unsigned cpl = 0; cpl <= 3; cpl += 3) {
				c.cpl = cpl;
				for (unsigned bits = 0; bits < 4096; bits++) {
					for (int i = 0; i < NPT_REF_LEVELS; i++) {
						c.e[i].w = bits >> (3 * i) & 1;
						c.e[i].u = bits >> (3 * i + 1) & 1;
						c.e[i].nx = bits >> (3 * i + 2) & 1;
					}
					run_case(&w, &c, t);
				}
			}
		}
	}
}

/* Part B: combinations of not-present, reserved and NX across levels. */
static void part_b(struct tally *t)
{
	for (unsigned hb = 0; hb < 8; hb++) {
		struct npt_case c;
		memset(&c, 0, sizeof(c));
		c.host = (struct npt_ref_host){ .gmet = hb & 1, .efer_nx = hb & 2,
						.cr4_smep = hb & 4, .cr0_wp = true };
		struct pagewalk w;
		make_walker(&w, &c.host);
		for (unsigned a = 0; a < 4; a++) {
			c.access = (enum npt_ref_access)a;
			for (unsigned cpl = 0; cpl <= 3; cpl += 3) {
				c.cpl = cpl;
				for (unsigned m = 0; m < 4096; m++) {
					for (int i = 0; i < NPT_REF_LEVELS; i++) {
						c.e[i].p = !(m >> i & 1);
						c.e[i].rsvd = m >> (4 + i) & 1;
						c.rsvd_kind[i] = c.e[i].rsvd ? RSVD_HIGH : RSVD_NONE;
						c.e[i].nx = m >> (8 + i) & 1;
						c.e[i].w = true;
						c.e[i].u = true;
					}
					run_case(&w, &c, t);
				}
			}
		}
	}
}

static void test_exhaustive_comparison(void **state)
{
	(void)state;
	struct tally t = { 0 };
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	part_a(-1, -1, RSVD_NONE, 0, &t);
	for (int l = 0; l < NPT_REF_LEVELS; l++)
		part_a(l, -1, RSVD_NONE, 0, &t);
	for (int l = 0; l < NPT_REF_LEVELS; l++)
		part_a(-1, l, RSVD_HIGH, 0, &t);
	part_a(-1, 0, RSVD_PS, 0, &t);
	part_a(-1, 0, RSVD_B8, 0, &t);
	part_a(-1, -1, RSVD_NONE, 1, &t); /* A already set */
	part_a(-1, -1, RSVD_NONE, 2, &t); /* A set, leaf D set */
	part_b(&t);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("exhaustive: %lu cases checked, %lu disagreements (%.1f s)\n",
	       t.cases, t.disagreements,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("  expected outcomes: %lu translated, %lu not present, %lu reserved bit, %lu protection\n",
	       t.translated, t.not_present, t.reserved, t.protection);
	fflush(stdout);
	assert_int_equal(t.cases, 13ul * 524288ul + 262144ul);
	assert_int_equal(t.disagreements, 0);
}

/* docs/semantics.md §3.1/§3.2: the shadow-NPT role, for every GMET/NXE/SMEP input.
 * No CR0 is passed: cr0_wp must come out forced to 1. */
static void test_shadow_npt_role(void **state)
{
	(void)state;
	for (unsigned hb = 0; hb < 8; hb++) {
		bool gmet = hb & 1, nxe = hb & 2, smep = hb & 4;
		uint64_t cr4 = X86_CR4_PAE | (smep ? X86_CR4_SMEP : 0);
		uint64_t efer = X86_EFER_LME | X86_EFER_LMA | (nxe ? X86_EFER_NXE : 0);
		union cpu_role r = cpu_role_shadow_npt(cr4, efer, gmet);
		assert_int_equal(r.base.level, 4);
		assert_int_equal(r.base.direct, 0);
		assert_int_equal(r.base.access, ACC_ALL);
		assert_int_equal(r.base.has_4_byte_gpte, 0);
		assert_int_equal(r.base.cr0_wp, 1);
		assert_int_equal(r.base.efer_nx, nxe);
		assert_int_equal(r.base.cr4_smep, gmet);
		assert_int_equal(r.base.smap_andnot_wp, 0);
		assert_int_equal(r.base.guest_mode, 1);
		assert_int_equal(r.ext.valid, 1);
		assert_int_equal(r.ext.cr4_smap, 0);
		assert_int_equal(r.ext.cr4_pke, 0);
		assert_int_equal(r.ext.efer_lma, 1);
		assert_int_equal(r.ext.cr4_la57, 0);
		assert_int_equal(r.ext.has_pferr_fetch, nxe || smep);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadow_npt_role),
		cmocka_unit_test(test_exhaustive_comparison),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
