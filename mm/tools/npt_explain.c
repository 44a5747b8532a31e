// SPDX-License-Identifier: MIT
/*
 * nv-npt output.
 *
 * Explain: the entries are placed in a fake memory along the path of
 * --addr: the root table at --root, and each later table where the previous
 * entry's address field points.  An entry that points to a table but has a
 * zero address field gets one assigned: --root + 0x1000 * (its position + 1).
 * Entries are checked against the walk's shape (an entry that stops the walk
 * -- not present, reserved bits, or a leaf -- must be the last one), then
 * walk() runs once and the tool checks it read exactly those entries.  What
 * is printed about a level (rights so far, reserved bits) uses the role's
 * pagewalk (rsvd masks, permission_rules), so it explains what walk() did.
 *
 * Matrix: the permission table, rows = access (W/U/F, + SMAP override where
 * SMAP applies), columns = effective rights of a present page.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "mm/pte.h"
#include "mm/walk_format.h"
#include "nv_npt.h"
#include "tests/host/fake_mem.h"

__attribute__((format(printf, 1, 2)))
static int bad_entry(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nv-npt: --pte: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return NV_EXIT_BAD_INPUT;
}

static void internal(const char *what, uint64_t gpa)
{
	fprintf(stderr, "nv-npt: internal error: %s at 0x%llx\n", what,
		(unsigned long long)gpa);
	exit(1);
}

static const char *level_name(unsigned lvl)
{
	static const char *const names[] = { "", "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };

	return names[lvl];
}

static uint64_t slot(const struct pagewalk *w, uint64_t table, unsigned lvl,
		     uint64_t addr)
{
	return table + pw_level_index(w, lvl, addr) * pw_entry_size(w);
}

static uint64_t addr_field(const struct pagewalk *w)
{
	if (w->role.base.has_4_byte_gpte)
		return PTE32_ADDR_4K;
	return PTE64_ADDR_4K & pte_bits(w->cpu.maxphyaddr - 1, 12);
}

static uint64_t rsvd_bits_of(const struct pagewalk *w, unsigned lvl, uint64_t pte)
{
	return pte & w->rsvd[lvl - 1][pw_is_ps(lvl, pte)];
}

static bool is_leaf(const struct pagewalk *w, unsigned lvl, uint64_t pte)
{
	return lvl == 1 ||
	       (pw_is_ps(lvl, pte) && (w->large_leaf_levels & (1u << (lvl - 1))));
}

static void print_rights(unsigned acc)
{
	printf("%c%c%c%c", acc & ACC_READ ? 'R' : '-', acc & ACC_WRITE ? 'W' : '-',
	       acc & ACC_USER ? 'U' : '-', acc & ACC_EXEC ? 'X' : '-');
}

static void print_bits(const struct pagewalk *w, unsigned lvl, uint64_t pte)
{
	static const char *const names[9] = { "P", "RW", "US", "PWT", "PCD",
					      "A", "D", "PS", "G" };

	for (unsigned b = 0; b < 9; b++)
		if (pte & (1ull << b))
			printf(" %s", b == 7 && lvl == 1 ? "PAT" : names[b]);
	if (!w->role.base.has_4_byte_gpte && (pte & PTE_NX))
		printf(" NX");
}

static void print_role(const struct nv_opts *o, const struct pagewalk *w)
{
	union cpu_role r = w->role;

	printf("role: %s, %u-level, %u-byte entries (cpu_role 0x%016llx)\n",
	       o->npt ? "shadow NPT of L1 (cpu_role_shadow_npt)" :
			"ordinary paging (cpu_role_from_regs)",
	       r.base.level, pw_entry_size(w), (unsigned long long)r.as_u64);
	printf("  base: efer_nx=%u cr0_wp=%u smap_andnot_wp=%u cr4_smep=%u%s guest_mode=%u\n",
	       r.base.efer_nx, r.base.cr0_wp, r.base.smap_andnot_wp, r.base.cr4_smep,
	       o->npt ? " (= GMET)" : " (= CR4.SMEP)", r.base.guest_mode);
	printf("  ext:  cr4_pse=%u cr4_smap=%u cr4_pke=%u cr4_la57=%u efer_lma=%u has_pferr_fetch=%u\n",
	       r.ext.cr4_pse, r.ext.cr4_smap, r.ext.cr4_pke, r.ext.cr4_la57,
	       r.ext.efer_lma, r.ext.has_pferr_fetch);
	printf("  cpu:  maxphyaddr=%u gbpages=%u\n", w->cpu.maxphyaddr, w->cpu.gbpages);
}

static void print_access(const struct nv_opts *o, const struct pagewalk *w)
{
	uint32_t pfec = walk_effective_pfec(w, o->access);

	printf("access: %s, CPL %u", o->access_name, o->cpl);
	if (o->npt)
		printf(", %s stage", (o->access & PFERR_GUEST_PAGE) ?
		       "guest page-table (GUEST_PAGE)" : "final (GUEST_FINAL)");
	printf(" -> checked as%s%s%s%s%s\n", pfec & PFERR_WRITE ? " write" : "",
	       pfec & PFERR_FETCH ? " fetch" : "",
	       !(pfec & (PFERR_WRITE | PFERR_FETCH)) ? " read" : "",
	       pfec & PFERR_USER ? " user" : " supervisor",
	       (pfec & WALK_SMAP_OVERRIDE) ? " (SMAP overridden)" : "");
	if (o->npt && (o->access & PFERR_GUEST_PAGE))
		printf("  (page-table accesses are user writes, never fetches)\n");
	else if (o->npt && !w->role.base.cr4_smep)
		printf("  (without GMET every NPT access is a user access)\n");
}

static const char *rule_text(unsigned rule)
{
	switch (rule) {
	case PERM_RULE_READ:  return "read of a page without read access";
	case PERM_RULE_WRITE: return "write to a page that is not writable (W=0 at some level)";
	case PERM_RULE_USER:  return "user access to a supervisor page (U=0 at some level)";
	case PERM_RULE_NX:    return "fetch from a no-execute page (NX=1 at some level)";
	case PERM_RULE_SMEP:  return "supervisor fetch from a user page (SMEP/GMET)";
	case PERM_RULE_SMAP:  return "supervisor data access to a user page (SMAP)";
	default:              return "?";
	}
}

static void print_error_code(const struct nv_opts *o, const struct walk_result *r,
			     const struct pagewalk *w)
{
	static const struct { unsigned bit; const char *name, *one, *zero; } bits[] = {
		{ 0, "P", "protection or reserved-bit violation", "entry not present" },
		{ 1, "RW", "write", "read" },
		{ 2, "US", "user", "supervisor" },
		{ 3, "RSVD", "reserved bit set", "" },
		{ 4, "I/D", "instruction fetch", "" },
		{ 32, "GUEST_FINAL", "fault on the final guest-physical address", "" },
		{ 33, "GUEST_PAGE", "fault on a guest page-table access", "" },
	};
	unsigned n = o->npt ? 7 : 5;

	printf("%s = 0x%016llx\n", o->npt ? "exit_info_1" : "error_code",
	       (unsigned long long)r->error_code);
	for (unsigned i = 0; i < n; i++) {
		unsigned v = (r->error_code >> bits[i].bit) & 1;

		const char *text = v ? bits[i].one : bits[i].zero;

		printf("  bit %2u %-11s %u", bits[i].bit, bits[i].name, v);
		if (*text)
			printf("  %s", text);
		if (bits[i].bit == 4)
			printf("%s(has_pferr_fetch=%u)", v ? " " : "  ",
			       w->role.ext.has_pferr_fetch);
		printf("\n");
	}
	printf("%s = 0x%016llx\n", o->npt ? "exit_info_2" : "cr2",
	       (unsigned long long)r->fault_addr);
}

/* Lay the entries out along o->addr's path; 0 or NV_EXIT_BAD_INPUT. */
static int place_entries(const struct nv_opts *o, const struct pagewalk *w,
			 struct fake_mem *mem, uint64_t *placed, uint64_t *pte)
{
	unsigned top = w->role.base.level, n = o->nr_pte;
	uint64_t table = pw_root_table(w, o->root);

	if (n > top)
		return bad_entry("too many entries: %u given, a %u-level walk reads at most %u",
				 n, top, top);
	fake_mem_back(mem, table);
	for (unsigned i = 0; i < n; i++) {
		unsigned lvl = top - i;
		uint64_t v = o->pte[i], gpa = slot(w, table, lvl, o->addr);
		bool goes_on;

		if (pw_entry_size(w) == 4 && v > 0xffffffffull)
			return bad_entry("entry %u (level %u): 0x%llx does not fit a 32-bit entry",
					 i + 1, lvl, (unsigned long long)v);
		for (unsigned j = 0; j < i; j++)
			if (placed[j] == gpa)
				return bad_entry("entry %u would sit where entry %u is (gpa 0x%llx): use other table addresses",
						 i + 1, j + 1, (unsigned long long)gpa);
		goes_on = (v & PTE_P) && !rsvd_bits_of(w, lvl, v) && !is_leaf(w, lvl, v);
		if (goes_on && !(v & addr_field(w)))
			v |= pw_root_table(w, o->root) + 0x1000ull * (i + 1);
		if (!goes_on && i + 1 < n)
			return bad_entry("too many entries: the walk stops at entry %u (level %u), %u more given",
					 i + 1, lvl, n - i - 1);
		if (goes_on && i + 1 == n)
			return bad_entry("too few entries: entry %u (level %u) points to a table, level %u is missing",
					 i + 1, lvl, lvl - 1);
		fake_mem_poke(mem, gpa, v, pw_entry_size(w));
		placed[i] = gpa;
		pte[i] = v;
		if (goes_on) {
			table = v & (pw_entry_size(w) == 4 ? PTE32_ADDR_4K : PTE64_ADDR_4K);
			fake_mem_back(mem, table);
		}
	}
	return 0;
}

int nv_explain(const struct nv_opts *o, const struct pagewalk *w)
{
	unsigned top = w->role.base.level, n = o->nr_pte;
	uint64_t placed[NV_MAX_PTES], pte[NV_MAX_PTES];
	struct fake_mem *mem = fake_mem_create(internal);
	struct gmem gm = fake_mem_gmem(mem);
	struct walk_result r;
	unsigned acc = ACC_ALL;
	int rc = place_entries(o, w, mem, placed, pte);

	if (rc) {
		fake_mem_destroy(mem);
		return rc;
	}
	fake_mem_begin_walk(mem);
	walk(w, &gm, o->root, o->addr, o->access, &r);
	if (r.gmem_error || r.nr_levels != n)
		internal("walk read a different number of entries", r.nr_levels);
	for (unsigned i = 0; i < n; i++)
		if (r.pte_addr[i] != placed[i] || r.pte[i] != pte[i])
			internal("walk read a different entry", r.pte_addr[i]);

	print_role(o, w);
	print_access(o, w);
	printf("%s: 0x%016llx  root (%s): 0x%llx\n", o->npt ? "L2 gpa" : "address",
	       (unsigned long long)o->addr, o->npt ? "nCR3" : "CR3",
	       (unsigned long long)o->root);
	for (unsigned i = 0; i < n; i++) {
		unsigned lvl = top - i;
		uint64_t rs = rsvd_bits_of(w, lvl, pte[i]);

		printf("level %u %-5s @0x%09llx = 0x%0*llx ", lvl, level_name(lvl),
		       (unsigned long long)placed[i], pw_entry_size(w) * 2,
		       (unsigned long long)pte[i]);
		print_bits(w, lvl, pte[i]);
		if (!(pte[i] & PTE_P)) {
			printf("  -> not present\n");
			break;
		}
		if (rs) {
			printf("  -> reserved bits 0x%llx\n", (unsigned long long)rs);
			break;
		}
		acc &= pw_entry_rights(w, lvl, pte[i]);
		printf("  rights so far ");
		print_rights(acc);
		if (is_leaf(w, lvl, pte[i]))
			printf(" (leaf, %s page)", lvl == 1 ? "4 KiB" :
			       w->role.base.has_4_byte_gpte ? "4 MiB" :
			       lvl == 2 ? "2 MiB" : "1 GiB");
		printf("\n");
	}

	if (!r.fault) {
		printf("decision: no fault; translates to 0x%llx, rights ",
		       (unsigned long long)r.out);
		print_rights(r.access);
		printf("\n");
		for (unsigned i = 0; i < n; i++) {
			uint64_t now = fake_mem_peek(mem, placed[i], pw_entry_size(w));

			if (now != pte[i])
				printf("  sets%s%s in the %s\n",
				       (now & ~pte[i] & PTE_A) ? " A" : "",
				       (now & ~pte[i] & PTE_D) ? " D" : "",
				       level_name(top - i));
		}
		fake_mem_destroy(mem);
		return 0;
	}
	if (r.fault_level == 0) {
		unsigned rules = permission_rules(w, walk_effective_pfec(w, o->access), acc);

		printf("decision: FAULT, permission:");
		for (unsigned b = 0; b < 6; b++)
			if (rules & (1u << b))
				printf(" [%s]", rule_text(1u << b));
		printf("\n");
	} else {
		printf("decision: FAULT at level %d (%s): %s\n", r.fault_level,
		       level_name((unsigned)r.fault_level),
		       (r.error_code & PFERR_RSVD) ? "reserved bit set" : "not present");
	}
	print_error_code(o, &r, w);
	fake_mem_destroy(mem);
	return 0;
}

int nv_matrix(const struct nv_opts *o, const struct pagewalk *w)
{
	bool smap = w->role.ext.cr4_smap && !w->tdp;
	const char *sep = o->format == NV_CSV ? "," : " | ";

	if (o->format == NV_MD) {
		print_role(o, w);
		printf("\nPermission table: \"fault\" = the access faults on a present page "
		       "with those effective rights.\n");
		if (w->tdp && !w->role.base.cr4_smep)
			printf("Without GMET, NPT walks only use the user rows.\n");
		printf("\n| access");
	} else {
		printf("access");
	}
	for (unsigned acc = ACC_READ; acc < 16; acc += 2) {
		printf("%s", sep);
		print_rights(acc);
	}
	printf("%s\n", o->format == NV_MD ? " |" : "");
	if (o->format == NV_MD) {
		printf("|---");
		for (unsigned i = 0; i < 8; i++)
			printf("|---");
		printf("|\n");
	}
	for (unsigned idx = 0; idx < 16; idx++) {
		uint32_t pfec = idx << 1;

		if ((pfec & WALK_SMAP_OVERRIDE) && !smap)
			continue;
		printf("%s%s%s%s%s%s", o->format == NV_MD ? "| " : "",
		       pfec & PFERR_WRITE ? "write" : "",
		       (pfec & (PFERR_WRITE | PFERR_FETCH)) == (PFERR_WRITE | PFERR_FETCH) ? "+" : "",
		       pfec & PFERR_FETCH ? "fetch" : "",
		       !(pfec & (PFERR_WRITE | PFERR_FETCH)) ? "read" : "",
		       pfec & PFERR_USER ? " user" : " supervisor");
		if (pfec & WALK_SMAP_OVERRIDE)
			printf(" AC=1");
		for (unsigned acc = ACC_READ; acc < 16; acc += 2)
			printf("%s%s", sep, permission_fault(w, pfec, acc) ? "fault" : "ok");
		printf("%s\n", o->format == NV_MD ? " |" : "");
	}
	return 0;
}
