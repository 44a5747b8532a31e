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
#include "mm/tools/npf_words.h"
#include "mm/walk_format.h"
#include "mm/tools/walk_mem.h"
#include "nv_npt.h"

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

/* Lay the entries out along o->addr's path; 0 or NV_EXIT_BAD_INPUT. */
static int place_entries(const struct nv_opts *o, const struct pagewalk *w,
			 struct walk_mem *mem, uint64_t *placed, uint64_t *pte)
{
	unsigned top = w->role.base.level, n = o->nr_pte;
	uint64_t table = pw_root_table(w, o->root);

	if (n > top)
		return bad_entry("too many entries: %u given, a %u-level walk reads at most %u",
				 n, top, top);
	if (walk_mem_back(mem, table))
		internal("no page left for a table", table);
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
		walk_mem_poke(mem, gpa, v, pw_entry_size(w));
		placed[i] = gpa;
		pte[i] = v;
		if (goes_on) {
			table = v & (pw_entry_size(w) == 4 ? PTE32_ADDR_4K : PTE64_ADDR_4K);
			if (walk_mem_back(mem, table))
				internal("no page left for a table", table);
		}
	}
	return 0;
}

int nv_explain(const struct nv_opts *o, const struct pagewalk *w)
{
	unsigned top = w->role.base.level, n = o->nr_pte;
	uint64_t placed[NV_MAX_PTES], pte[NV_MAX_PTES];
	static struct walk_mem memory;
	struct walk_mem *mem = &memory;
	struct gmem gm;
	struct walk_result r;
	unsigned acc = ACC_ALL;
	int rc;

	walk_mem_init(mem);
	gm = walk_mem_gmem(mem);
	rc = place_entries(o, w, mem, placed, pte);
	if (rc)
		return rc;
	walk(w, &gm, o->root, o->addr, o->access, &r);
	if (r.gmem_error || r.nr_levels != n)
		internal("walk read a different number of entries", r.nr_levels);
	for (unsigned i = 0; i < n; i++)
		if (r.pte_addr[i] != placed[i] || r.pte[i] != pte[i])
			internal("walk read a different entry", r.pte_addr[i]);

	npf_print_role(o->npt, w);
	npf_print_access(o->npt, w, o->access, o->access_name, o->cpl);
	printf("%s: 0x%016llx  root (%s): 0x%llx\n", o->npt ? "L2 gpa" : "address",
	       (unsigned long long)o->addr, o->npt ? "nCR3" : "CR3",
	       (unsigned long long)o->root);
	for (unsigned i = 0; i < n; i++) {
		unsigned lvl = top - i;
		uint64_t rs = rsvd_bits_of(w, lvl, pte[i]);

		printf("level %u %-5s @0x%09llx = 0x%0*llx ", lvl, npf_level_name(lvl),
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
		npf_print_rights(acc);
		if (is_leaf(w, lvl, pte[i]))
			printf(" (leaf, %s page)", lvl == 1 ? "4 KiB" :
			       w->role.base.has_4_byte_gpte ? "4 MiB" :
			       lvl == 2 ? "2 MiB" : "1 GiB");
		printf("\n");
	}

	if (!r.fault) {
		printf("decision: no fault; translates to 0x%llx, rights ",
		       (unsigned long long)r.out);
		npf_print_rights(r.access);
		printf("\n");
		for (unsigned i = 0; i < n; i++) {
			uint64_t now = walk_mem_peek(mem, placed[i], pw_entry_size(w));

			if (now != pte[i])
				printf("  sets%s%s in the %s\n",
				       (now & ~pte[i] & PTE_A) ? " A" : "",
				       (now & ~pte[i] & PTE_D) ? " D" : "",
				       npf_level_name(top - i));
		}
		return 0;
	}
	npf_print_fault(w, o->access, r.error_code, r.fault_level,
			r.fault_level ? 0 : acc);
	npf_print_error_code(o->npt, w, r.error_code, r.fault_addr);
	if (o->npt)
		npf_print_bit_reasons(w, o->access, o->cpl, r.error_code,
				      r.fault_level, acc);
	return 0;
}

int nv_matrix(const struct nv_opts *o, const struct pagewalk *w)
{
	bool smap = w->role.ext.cr4_smap && !w->tdp;
	const char *sep = o->format == NV_CSV ? "," : " | ";

	if (o->format == NV_MD) {
		npf_print_role(o->npt, w);
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
		npf_print_rights(acc);
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
