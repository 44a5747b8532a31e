// SPDX-License-Identifier: MIT
/*
 * The words of `nv-npt explain` (npf_words.h).  What is said about an
 * access or a fault is computed with the role's pagewalk (permission
 * rules, effective access), so it explains what walk() does.
 */
#include <stdio.h>

#include "mm/tools/npf_words.h"
#include "mm/walk_format.h"

const char *npf_level_name(unsigned lvl)
{
	static const char *const names[] = { "", "PTE", "PDE", "PDPTE", "PML4E", "PML5E" };

	return lvl < sizeof(names) / sizeof(names[0]) ? names[lvl] : "?";
}

void npf_print_rights(unsigned acc)
{
	printf("%c%c%c%c", acc & ACC_READ ? 'R' : '-', acc & ACC_WRITE ? 'W' : '-',
	       acc & ACC_USER ? 'U' : '-', acc & ACC_EXEC ? 'X' : '-');
}

void npf_print_role(bool npt, const struct pagewalk *w)
{
	union cpu_role r = w->role;

	printf("role: %s, %u-level, %u-byte entries (cpu_role 0x%016llx)\n",
	       npt ? "shadow NPT of L1 (cpu_role_shadow_npt)" :
		     "ordinary paging (cpu_role_from_regs)",
	       r.base.level, pw_entry_size(w), (unsigned long long)r.as_u64);
	printf("  base: efer_nx=%u cr0_wp=%u smap_andnot_wp=%u cr4_smep=%u%s guest_mode=%u\n",
	       r.base.efer_nx, r.base.cr0_wp, r.base.smap_andnot_wp, r.base.cr4_smep,
	       npt ? " (= GMET)" : " (= CR4.SMEP)", r.base.guest_mode);
	printf("  ext:  cr4_pse=%u cr4_smap=%u cr4_pke=%u cr4_la57=%u efer_lma=%u has_pferr_fetch=%u\n",
	       r.ext.cr4_pse, r.ext.cr4_smap, r.ext.cr4_pke, r.ext.cr4_la57,
	       r.ext.efer_lma, r.ext.has_pferr_fetch);
	printf("  cpu:  maxphyaddr=%u gbpages=%u\n", w->cpu.maxphyaddr, w->cpu.gbpages);
}

void npf_print_access(bool npt, const struct pagewalk *w, uint64_t access,
		      const char *name, unsigned cpl)
{
	uint32_t pfec = walk_effective_pfec(w, access);

	printf("access: %s, CPL %u", name, cpl);
	if (npt)
		printf(", %s stage", (access & PFERR_GUEST_PAGE) ?
		       "guest page-table (GUEST_PAGE)" : "final (GUEST_FINAL)");
	printf(" -> checked as%s%s%s%s%s\n", pfec & PFERR_WRITE ? " write" : "",
	       pfec & PFERR_FETCH ? " fetch" : "",
	       !(pfec & (PFERR_WRITE | PFERR_FETCH)) ? " read" : "",
	       pfec & PFERR_USER ? " user" : " supervisor",
	       (pfec & WALK_SMAP_OVERRIDE) ? " (SMAP overridden)" : "");
	if (npt && (access & PFERR_GUEST_PAGE))
		printf("  (page-table accesses are user writes, never fetches)\n");
	else if (npt && !w->role.base.cr4_smep)
		printf("  (without GMET every NPT access is a user access)\n");
}

const char *npf_rule_text(unsigned rule)
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

void npf_print_fault(const struct pagewalk *w, uint64_t access,
		     uint64_t error_code, int fault_level, unsigned rights)
{
	if (fault_level == 0) {
		unsigned rules = permission_rules(w, walk_effective_pfec(w, access),
						  rights);

		printf("decision: FAULT, permission:");
		for (unsigned b = 0; b < 6; b++)
			if (rules & (1u << b))
				printf(" [%s]", npf_rule_text(1u << b));
		printf("\n");
		return;
	}
	printf("decision: FAULT at level %d (%s): %s\n", fault_level,
	       npf_level_name((unsigned)fault_level),
	       (error_code & PFERR_RSVD) ? "reserved bit set" : "not present");
}

void npf_print_error_code(bool npt, const struct pagewalk *w,
			  uint64_t error_code, uint64_t addr)
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
	unsigned n = npt ? 7 : 5;

	printf("%s = 0x%016llx\n", npt ? "exit_info_1" : "error_code",
	       (unsigned long long)error_code);
	for (unsigned i = 0; i < n; i++) {
		unsigned v = (error_code >> bits[i].bit) & 1;
		const char *text = v ? bits[i].one : bits[i].zero;

		printf("  bit %2u %-11s %u", bits[i].bit, bits[i].name, v);
		if (*text)
			printf("  %s", text);
		if (bits[i].bit == 4)
			printf("%s(has_pferr_fetch=%u)", v ? " " : "  ",
			       w->role.ext.has_pferr_fetch);
		printf("\n");
	}
	printf("%s = 0x%016llx\n", npt ? "exit_info_2" : "cr2",
	       (unsigned long long)addr);
}

void npf_print_bit_reasons(const struct pagewalk *w, uint64_t access,
			   unsigned cpl, uint64_t ec, int fault_level,
			   unsigned rights)
{
	bool pt = access & PFERR_GUEST_PAGE, gmet = w->role.base.cr4_smep;
	bool fetch = (access & PFERR_FETCH) && !pt;
	const char *lvl = npf_level_name((unsigned)fault_level);

	printf("why:\n");
	if (!(ec & PFERR_PRESENT))
		printf("  P=0     the %s (level %d) is not present\n", lvl,
		       fault_level);
	else if (ec & PFERR_RSVD)
		printf("  P=1     the %s (level %d) is present but has a reserved bit set\n",
		       lvl, fault_level);
	else {
		unsigned rules = permission_rules(w, walk_effective_pfec(w, access),
						  rights);

		printf("  P=1     every entry is present, and the effective rights ");
		npf_print_rights(rights);
		printf(" break a rule:");
		for (unsigned b = 0; b < 6; b++)
			if (rules & (1u << b))
				printf(" [%s]", npf_rule_text(1u << b));
		printf("\n");
	}
	if (pt)
		printf("  RW=%u    a guest page-table access is a write at the nested level (A/D updates)\n",
		       (unsigned)((ec >> 1) & 1));
	else
		printf("  RW=%u    L2's access was %s\n", (unsigned)((ec >> 1) & 1),
		       (access & PFERR_WRITE) ? "a write" : fetch ? "a fetch" : "a read");
	if (pt)
		printf("  US=%u    a guest page-table access is a user access\n",
		       (unsigned)((ec >> 2) & 1));
	else if (!gmet)
		printf("  US=%u    without GMET every NPT access is a user access\n",
		       (unsigned)((ec >> 2) & 1));
	else
		printf("  US=%u    with GMET, US is whether L2 ran at CPL 3 (CPL %u)\n",
		       (unsigned)((ec >> 2) & 1), cpl);
	if (ec & PFERR_RSVD)
		printf("  RSVD=1  a reserved bit (an address bit above MAXPHYADDR %u, NX without L1 EFER.NXE, PS where not allowed, ...)\n",
		       w->cpu.maxphyaddr);
	if (pt && (access & PFERR_FETCH))
		printf("  I/D=0   never at the page-table stage, even when L2 was fetching\n");
	else if (fetch && w->role.ext.has_pferr_fetch)
		printf("  I/D=1   a fetch, and has_pferr_fetch=1: L1 runs with EFER.NXE=1 or CR4.SMEP=1\n");
	else if (fetch)
		printf("  I/D=0   a fetch, but has_pferr_fetch=0: L1 runs with EFER.NXE=0 and CR4.SMEP=0\n");
	else
		printf("  I/D=0   not a fetch\n");
	printf("  stage   %s\n", (ec & PFERR_GUEST_PAGE) ?
	       "bit 33: the CPU was walking for one of L2's page-table entries" :
	       "bit 32: the CPU was walking for the final guest-physical address");
}
