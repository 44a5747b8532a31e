// SPDX-License-Identifier: MIT
/*
 * nvctl trace: fetches the reflected-#NPF records (NV_HC_TRACE_READ) in
 * sequence order and decodes each in the words of `nv-npt explain`
 * (mm/tools/npf_words.c), with the role nestvisor walked L1's NPT with.
 * The access is rebuilt as nestvisor built it for the walk
 * (docs/semantics.md §7.2): the stage from the CPU's EXITINFO1 (bit 33
 * alone: guest page table, else final), W and the fetch bit from the CPU,
 * user = L2 at CPL 3.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mm/pte.h"
#include "mm/tools/npf_words.h"
#include "nvctl/nvctl.h"

struct rec {
	uint64_t seq, ngpa, ei1, hw_ei1, ncr3, rip, fields;
	union cpu_role role;
};

static uint64_t walked_access(const struct rec *r, const char **name)
{
	uint64_t stage = (r->hw_ei1 & PFERR_STAGE_MASK) == PFERR_GUEST_PAGE ?
				 PFERR_GUEST_PAGE : PFERR_GUEST_FINAL;
	uint64_t a = stage | (r->hw_ei1 & (PFERR_WRITE | PFERR_FETCH)) |
		     (NV_TRACE_CPL(r->fields) == 3 ? PFERR_USER : 0);

	*name = stage == PFERR_GUEST_PAGE ? "pt" : (a & PFERR_WRITE) ? "write" :
		(a & PFERR_FETCH) ? "fetch" : "read";
	return a;
}

/* L1 CR4/EFER bits that give this role again (nv-npt's options). */
static void role_options(union cpu_role role, unsigned maxphy, char *buf,
			 size_t size)
{
	uint64_t cr4 = 0, efer = 0;

	if (!role.base.has_4_byte_gpte)
		cr4 |= X86_CR4_PAE;
	if (role.ext.cr4_pse)
		cr4 |= X86_CR4_PSE;
	if (role.ext.cr4_la57)
		cr4 |= X86_CR4_LA57;
	if (role.ext.has_pferr_fetch && !role.base.efer_nx)
		cr4 |= X86_CR4_SMEP; /* with NXE=1, SMEP changes nothing here */
	if (role.ext.efer_lma)
		efer |= X86_EFER_LME | X86_EFER_LMA;
	if (role.base.efer_nx)
		efer |= X86_EFER_NXE;
	snprintf(buf, size, "--cr4 0x%llx --efer 0x%llx --gmet %u --maxphyaddr %u",
		 (unsigned long long)cr4, (unsigned long long)efer,
		 role.base.cr4_smep, maxphy);
}

/*
 * Entries that make nv-npt's walk end the same way: tables P|W|U down to
 * the faulting level, which is not present; for a permission fault a leaf
 * with the effective rights (NX only means something with L1's NXE).  A
 * reserved-bit fault does not say which bit: false.
 */
static bool entries(const struct rec *r, const struct pagewalk *w, char *buf,
		    size_t size)
{
	unsigned top = r->role.base.level, level = NV_TRACE_LEVEL(r->fields);
	unsigned rights = NV_TRACE_RIGHTS(r->fields);
	size_t n = 0;

	if ((r->ei1 & PFERR_RSVD) || top < 2 || level > top)
		return false;
	buf[0] = '\0';
	for (unsigned lvl = top; lvl > (level ? level : 1); lvl--) {
		/* A PAE PDPTE has no W/U/NX bits: P only. */
		unsigned long long table = top == 3 && lvl == 3 &&
					   !r->role.base.has_4_byte_gpte ? 0x1 : 0x7;

		n += (size_t)snprintf(buf + n, size - n, " --pte 0x%llx", table);
	}
	if (level) {
		snprintf(buf + n, size - n, " --pte 0x0");
	} else {
		uint64_t leaf = 0x1000 | PTE_P |
				(rights & ACC_WRITE ? PTE_RW : 0) |
				(rights & ACC_USER ? PTE_US : 0) |
				(!(rights & ACC_EXEC) && w->role.base.efer_nx &&
				 !w->role.base.has_4_byte_gpte ? PTE_NX : 0);

		snprintf(buf + n, size - n, " --pte 0x%llx", (unsigned long long)leaf);
	}
	return true;
}

static const char *gmet_class(const struct rec *r)
{
	if (!r->role.base.cr4_smep)
		return "one class (GMET off)";
	if (NV_TRACE_GMET_HW(r->fields))
		return "one class (GMET done by the CPU)";
	return NV_TRACE_EXEC_USER(r->fields) ?
		       "user root (GMET emulated: CPL-3 class)" :
		       "supervisor root (GMET emulated: CPL 0-2 class)";
}

static void print_brief(const struct rec *r)
{
	const char *name;
	unsigned level = NV_TRACE_LEVEL(r->fields);

	walked_access(r, &name);
	printf("#NPF %llu cpu %u gpa 0x%llx rip 0x%llx cpl %u %s: exit_info_1 0x%llx "
	       "(%s%s, I/D %u) has_pferr_fetch %u gmet %u\n",
	       (unsigned long long)r->seq, NV_TRACE_CPU(r->fields),
	       (unsigned long long)r->ngpa, (unsigned long long)r->rip,
	       NV_TRACE_CPL(r->fields), name, (unsigned long long)r->ei1,
	       !(r->ei1 & PFERR_PRESENT) ? "not present at " :
	       (r->ei1 & PFERR_RSVD) ? "reserved bit at " : "permission",
	       level ? npf_level_name(level) : "",
	       (unsigned)((r->ei1 >> 4) & 1), r->role.ext.has_pferr_fetch,
	       r->role.base.cr4_smep);
}

static void print_full(const struct rec *r, bool gbpages)
{
	struct mm_cpu mc = { NV_TRACE_MAXPHY(r->fields), gbpages };
	unsigned cpl = NV_TRACE_CPL(r->fields);
	struct pagewalk w;
	const char *name;
	uint64_t access = walked_access(r, &name);
	char opts[160], ptes[160];

	pagewalk_init(&w, r->role, true, &mc);
	printf("#NPF %llu on CPU %u: L2 gpa 0x%llx, L2 rip 0x%llx, CPL %u, nCR3 0x%llx\n",
	       (unsigned long long)r->seq, NV_TRACE_CPU(r->fields),
	       (unsigned long long)r->ngpa, (unsigned long long)r->rip, cpl,
	       (unsigned long long)r->ncr3);
	npf_print_role(true, &w);
	printf("GMET class: %s\n", gmet_class(r));
	npf_print_access(true, &w, access, name, cpl);
	npf_print_fault(&w, access, r->ei1, (int)NV_TRACE_LEVEL(r->fields),
			NV_TRACE_RIGHTS(r->fields));
	npf_print_error_code(true, &w, r->ei1, r->ngpa);
	npf_print_bit_reasons(&w, access, cpl, r->ei1,
			      (int)NV_TRACE_LEVEL(r->fields),
			      NV_TRACE_RIGHTS(r->fields));
	role_options(r->role, mc.maxphyaddr, opts, sizeof(opts));
	printf("the CPU's exit_info_1 was 0x%llx\n", (unsigned long long)r->hw_ei1);
	printf("reproduce: nv-npt explain %s --access %s --cpl %u --addr 0x%llx%s\n\n",
	       opts, name, cpl, (unsigned long long)r->ngpa,
	       entries(r, &w, ptes, sizeof(ptes)) ? ptes : " --pte ...");
}

/* One record with seq >= *next; 1: got it, 0: none yet, -1: error. */
static int fetch(uint64_t *next, struct rec *out, uint64_t *drops)
{
	struct nv_hc_regs r = { .rax = NV_HC_TRACE_READ, .rbx = *next };
	long st = nvctl_call(&r);
	uint64_t w[8];

	*drops = r.rdx;
	if (st == NV_HC_EMPTY)
		return 0;
	if (st != NV_HC_OK) {
		fprintf(stderr, "nvctl: NV_HC_TRACE_READ failed (%ld)\n", st);
		return -1;
	}
	if (r.rbx > *next)
		printf("[nvctl: records %llu..%llu were overwritten before they were read]\n",
		       (unsigned long long)*next, (unsigned long long)(r.rbx - 1));
	nv_hc_data(&r, w);
	*out = (struct rec){ .seq = r.rbx, .ngpa = w[0], .ei1 = w[1],
			     .hw_ei1 = w[2], .role.as_u64 = w[3], .rip = w[4],
			     .fields = w[5], .ncr3 = w[6] };
	*next = r.rbx + 1;
	return 1;
}

int cmd_trace(int argc, char **argv)
{
	uint64_t next = 0, limit = 0, seconds = 0, drops = 0, printed = 0;
	bool dump = false, brief = false;
	bool gbpages = nvctl_info()->rcx & NV_FEAT_GBPAGES;
	struct timespec t0, t;
	struct rec rec;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(argv[i], "-n"))
			limit = nvctl_number("-n", v), i++;
		else if (!strcmp(argv[i], "--for"))
			seconds = nvctl_number("--for", v), i++;
		else if (!strcmp(argv[i], "--from"))
			next = nvctl_number("--from", v), i++;
		else if (!strcmp(argv[i], "--dump"))
			dump = true;
		else if (!strcmp(argv[i], "--brief"))
			brief = true;
		else {
			fprintf(stderr, "nvctl: trace: unknown option '%s'\n", argv[i]);
			return NVCTL_EXIT_USAGE;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int got = fetch(&next, &rec, &drops);

		if (got < 0)
			return 1;
		if (got) {
			if (brief)
				print_brief(&rec);
			else
				print_full(&rec, gbpages);
			if (limit && ++printed >= limit)
				break;
			continue;
		}
		if (dump || nvctl_stopped())
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (seconds && (uint64_t)(t.tv_sec - t0.tv_sec) >= seconds)
			break;
		if (!nvctl_sleep_ms(20))
			break;
	}
	printf("[nvctl: trace: next record %llu; %llu records dropped by nestvisor so far]\n",
	       (unsigned long long)next, (unsigned long long)drops);
	return 0;
}
