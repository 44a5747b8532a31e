// SPDX-License-Identifier: MIT
/*
 * nv-npt command line.  Every error names the option at fault and exits
 * with status 2.  See `nv-npt --help` and docs/mmu.md for examples.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nv_npt.h"

static const char usage[] =
"usage: nv-npt [explain|matrix] [options]\n"
"role (L1's registers for --mode npt, the guest's for --mode paging):\n"
"  --mode npt|paging      walk L1's nested page tables (default) or ordinary\n"
"                         guest page tables\n"
"  --cr0 N --cr4 N --efer N   register values (numbers: C syntax, 0x.. hex)\n"
"  --pae --pse --la57 --lma --nxe --smep --smap --wp   set single bits\n"
"                         (--lma sets EFER.LME and EFER.LMA)\n"
"  --gmet 0|1             vmcb12 GMET enable (npt only, default 0)\n"
"  --maxphyaddr N         32..52 (default 48)   --gbpages 0|1 (default 1)\n"
"explain:\n"
"  --access read|write|fetch|pt   (pt: the CPU's access to a guest page\n"
"                         table, npt only)  --cpl 0..3 (default 0)  --ac\n"
"                         (paging only: EFLAGS.AC=1, overrides SMAP)\n"
"  --addr N               the address walked (L2 gpa, or gva)\n"
"  --pte N                one entry per level, root level first (repeat)\n"
"  --pte-file F           the same, one number per line, '#' comments\n"
"  --root N               nCR3/CR3 (default 0x100000)\n"
"matrix:\n"
"  --format md|csv        (default md)\n";

static void __attribute__((noreturn, format(printf, 2, 3)))
bad(const char *field, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nv-npt: %s: ", field);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(NV_EXIT_BAD_INPUT);
}

static uint64_t number(const char *field, const char *s)
{
	char *end;
	unsigned long long v;

	if (!s)
		bad(field, "missing value");
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '-' || *s == '\0' || *end != '\0' || errno == ERANGE)
		bad(field, "malformed number '%s'", s);
	return v;
}

static bool flag01(const char *field, const char *s)
{
	uint64_t v = number(field, s);

	if (v > 1)
		bad(field, "must be 0 or 1, not '%s'", s);
	return v;
}

static void add_pte(struct nv_opts *o, const char *field, const char *s)
{
	uint64_t v = number(field, s);

	if (o->nr_pte > NV_MAX_PTES)
		return; /* already too many; reported later */
	o->pte[o->nr_pte++] = v;
}

static void read_pte_file(struct nv_opts *o, const char *path)
{
	char line[256];
	FILE *f;

	if (!path)
		bad("--pte-file", "missing value");
	f = fopen(path, "r");
	if (!f)
		bad("--pte-file", "cannot open '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e;

		if (strchr(p, '#'))
			*strchr(p, '#') = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' ||
				 e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*p)
			add_pte(o, "--pte-file", p);
	}
	fclose(f);
}

static void parse_access(struct nv_opts *o, const char *s)
{
	static const struct { const char *name; uint64_t bits; } acc[] = {
		{ "read", 0 }, { "write", PFERR_WRITE },
		{ "fetch", PFERR_FETCH }, { "pt", PFERR_GUEST_PAGE },
	};

	if (!s)
		bad("--access", "missing value");
	for (unsigned i = 0; i < sizeof(acc) / sizeof(acc[0]); i++)
		if (!strcmp(s, acc[i].name)) {
			o->access = acc[i].bits;
			o->access_name = acc[i].name;
			return;
		}
	bad("--access", "unknown access '%s' (read, write, fetch or pt)", s);
}

/* Reject register combinations no CPU can be in. */
static void check_combination(const struct nv_opts *o, bool cr0_given, bool ac,
			      bool gmet_given)
{
	bool lma = o->efer & X86_EFER_LMA;

	if ((o->cr4 & X86_CR4_LA57) && !lma)
		bad("--la57", "impossible combination: CR4.LA57 needs long mode (EFER.LMA)");
	if (lma && !(o->cr4 & X86_CR4_PAE))
		bad("--efer", "impossible combination: EFER.LMA needs CR4.PAE");
	if (lma && !(o->efer & X86_EFER_LME))
		bad("--efer", "impossible combination: EFER.LMA without EFER.LME");
	if (!(o->cr0 & X86_CR0_PG) && lma)
		bad("--cr0", "impossible combination: EFER.LMA with CR0.PG=0");
	if (o->npt && cr0_given && !(o->cr0 & X86_CR0_PG))
		bad("--cr0", "impossible combination: nested paging needs L1 CR0.PG=1");
	if (!o->npt && gmet_given)
		bad("--gmet", "only valid with --mode npt");
	if (!o->npt && o->access == PFERR_GUEST_PAGE)
		bad("--access", "'pt' is only valid with --mode npt");
	if (o->npt && ac)
		bad("--ac", "only valid with --mode paging (NPT has no SMAP)");
	if (o->maxphyaddr < 32 || o->maxphyaddr > 52)
		bad("--maxphyaddr", "must be 32..52, not %u", o->maxphyaddr);
}

int main(int argc, char **argv)
{
	struct nv_opts o = { .npt = true, .cr0 = X86_CR0_PG | X86_CR0_WP,
			     .maxphyaddr = 48, .gbpages = true, .root = 0x100000,
			     .access_name = "read" };
	bool cr0_given = false, ac = false, gmet_given = false, addr_given = false;
	bool access_given = false, cpl_given = false;
	struct mm_cpu cpu;
	struct pagewalk w;
	union cpu_role role;
	int i = 1;

	if (argc > 1 && (!strcmp(argv[1], "explain") || !strcmp(argv[1], "matrix"))) {
		o.matrix = !strcmp(argv[1], "matrix");
		i = 2;
	}
	for (; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
#define TAKES(name) (!strcmp(a, name) && (i++, 1))
		if (TAKES("--mode")) {
			if (!v || (strcmp(v, "npt") && strcmp(v, "paging")))
				bad("--mode", "must be npt or paging, not '%s'", v ? v : "");
			o.npt = !strcmp(v, "npt");
		} else if (TAKES("--cr0")) {
			o.cr0 = number(a, v);
			cr0_given = true;
		} else if (TAKES("--cr4")) {
			o.cr4 |= number(a, v);
		} else if (TAKES("--efer")) {
			o.efer |= number(a, v);
		} else if (TAKES("--gmet")) {
			o.gmet = flag01(a, v);
			gmet_given = true;
		} else if (TAKES("--maxphyaddr")) {
			uint64_t n = number(a, v);

			o.maxphyaddr = n > 64 ? 64 : (unsigned)n;
		} else if (TAKES("--gbpages")) {
			o.gbpages = flag01(a, v);
		} else if (TAKES("--access")) {
			parse_access(&o, v);
			access_given = true;
		} else if (TAKES("--cpl")) {
			uint64_t n = number(a, v);

			if (n > 3)
				bad(a, "must be 0..3, not '%s'", v);
			o.cpl = (unsigned)n;
			cpl_given = true;
		} else if (TAKES("--addr")) {
			o.addr = number(a, v);
			addr_given = true;
		} else if (TAKES("--root")) {
			o.root = number(a, v);
		} else if (TAKES("--pte")) {
			add_pte(&o, a, v);
		} else if (TAKES("--pte-file")) {
			read_pte_file(&o, v);
		} else if (TAKES("--format")) {
			if (!v || (strcmp(v, "md") && strcmp(v, "csv")))
				bad("--format", "must be md or csv, not '%s'", v ? v : "");
			o.format = !strcmp(v, "csv") ? NV_CSV : NV_MD;
		} else if (!strcmp(a, "--pae")) {
			o.cr4 |= X86_CR4_PAE;
		} else if (!strcmp(a, "--pse")) {
			o.cr4 |= X86_CR4_PSE;
		} else if (!strcmp(a, "--la57")) {
			o.cr4 |= X86_CR4_LA57;
		} else if (!strcmp(a, "--smep")) {
			o.cr4 |= X86_CR4_SMEP;
		} else if (!strcmp(a, "--smap")) {
			o.cr4 |= X86_CR4_SMAP;
		} else if (!strcmp(a, "--lma")) {
			o.efer |= X86_EFER_LME | X86_EFER_LMA;
		} else if (!strcmp(a, "--nxe")) {
			o.efer |= X86_EFER_NXE;
		} else if (!strcmp(a, "--wp")) {
			o.cr0 |= X86_CR0_WP;
		} else if (!strcmp(a, "--ac")) {
			ac = true;
		} else {
			bad(a, "unknown option (see --help)");
		}
#undef TAKES
	}

	check_combination(&o, cr0_given, ac, gmet_given);
	if (o.matrix && (access_given || cpl_given || addr_given || o.nr_pte || ac))
		bad("matrix", "takes no access, address or entries");
	if (!o.matrix && !addr_given)
		bad("--addr", "missing (the address to walk)");
	if (!o.matrix && o.nr_pte == 0)
		bad("--pte", "no entries given (one per level, root first)");

	if (o.cpl == 3 && o.access != PFERR_GUEST_PAGE)
		o.access |= PFERR_USER;
	if (ac)
		o.access |= WALK_SMAP_OVERRIDE;
	if (o.npt && o.access != PFERR_GUEST_PAGE)
		o.access |= PFERR_GUEST_FINAL;

	if (o.npt) {
		role = cpu_role_shadow_npt(o.cr4, o.efer, o.gmet);
	} else {
		struct paging_regs regs = { o.cr0, o.cr4, o.efer, false };

		role = cpu_role_from_regs(&regs);
		if (role.base.level == 0 && !o.matrix)
			bad("--cr0", "paging is off (CR0.PG=0): there is nothing to walk");
	}
	cpu.maxphyaddr = o.maxphyaddr;
	cpu.gbpages = o.gbpages;
	pagewalk_init(&w, role, o.npt, &cpu);
	return o.matrix ? nv_matrix(&o, &w) : nv_explain(&o, &w);
}
