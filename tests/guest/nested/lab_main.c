// SPDX-License-Identifier: MIT
/*
 * nvlab: the knobs of docs/tutorial.md.  An L1 hypervisor (built on the
 * `nested` payload's framework) that, before the real next stage, runs one
 * L2 access per experiment with the L1 state the experiment names, prints
 * the #NPF L1 receives, and then chain-loads the next stage (Linux with
 * nvctl), in whose `nvctl trace` nestvisor's record of each of these
 * #NPFs can be read with its role and has_pferr_fetch.
 *
 * Load options (nestvisor's args = ...):
 *   run=NXE:SMEP:GMET:ACCESS:PAGE ...  next=PATH args=REST OF THE LINE
 *     NXE, SMEP  L1's EFER.NXE and CR4.SMEP during the run (0 or 1)
 *     GMET       vmcb12's GMET enable (0 or 1)
 *     ACCESS     what L2 (CPL 0) does: read, write or fetch
 *     PAGE       the NPT leaf of the page it touches: np (not present),
 *                user (P, W, U: what every other NPT page is), sup (U=0),
 *                ro (W=0) or nx (NX=1; a reserved bit without NXE)
 *   next         ESP path of the next stage on nvlab's own volume
 *   args         its load options
 * Fetches go to region 1's code page, data accesses to its data page
 * (tests/guest/nested/npt.h).  Without next= nvlab powers off.
 */
#include <efi.h>
#include <efilib.h>

#include "core/x86.h"
#include "nested.h"
#include "npf_check.h"
#include "npt.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/serial.h"

#define MAX_RUNS 16
#define OFF_CODE 0x40u
#define CPUID_SVM_GMET (1u << 17)
#define CPUID_7_SMEP   (1u << 7)

enum page { PAGE_NP, PAGE_USER, PAGE_SUP, PAGE_RO, PAGE_NX };

struct run {
	int nxe, smep, gmet;
	enum access access;
	enum page page;
};

static const char *const access_names[] = { "read", "write", "fetch" };
static const char *const page_names[] = { "np", "user", "sup", "ro", "nx" };
static const char *const page_words[] = {
	"not present", "present, U=1", "present, U=0", "read-only", "NX=1",
};

static struct run runs[MAX_RUNS];
static unsigned nr_runs;
static char next_path[256], next_args[1024];

static int word(const char *s, unsigned n, const char *const *words,
		unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		unsigned j = 0;

		while (j < n && words[i][j] == s[j])
			j++;
		if (j == n && !words[i][j])
			return (int)i;
	}
	return -1;
}

/* "NXE:SMEP:GMET:ACCESS:PAGE" of n characters. */
static int parse_run(const char *s, unsigned n, struct run *r)
{
	const char *f[5];
	unsigned len[5], k = 0, start = 0;
	int a, p;

	for (unsigned i = 0; i <= n && k < 5; i++)
		if (i == n || s[i] == ':') {
			f[k] = s + start;
			len[k++] = i - start;
			start = i + 1;
		}
	if (k != 5 || start != n + 1)
		return -1;
	for (unsigned i = 0; i < 3; i++)
		if (len[i] != 1 || (f[i][0] != '0' && f[i][0] != '1'))
			return -1;
	a = word(f[3], len[3], access_names, 3);
	p = word(f[4], len[4], page_names, 5);
	if (a < 0 || p < 0)
		return -1;
	*r = (struct run){ f[0][0] == '1', f[1][0] == '1', f[2][0] == '1',
			   (enum access)a, (enum page)p };
	return 0;
}

static int starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* The load options, converted to ASCII. */
static int parse_options(const char *line)
{
	const char *p = line;

	while (*p) {
		const char *t;
		unsigned n;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (starts(p, "args=")) {
			for (n = 0, p += 5; *p && n + 1 < sizeof(next_args); n++)
				next_args[n] = *p++;
			next_args[n] = 0;
			break;
		}
		for (t = p, n = 0; t[n] && t[n] != ' '; n++)
			;
		if (starts(p, "run=")) {
			if (nr_runs == MAX_RUNS || parse_run(p + 4, n - 4, &runs[nr_runs]))
				goto bad;
			nr_runs++;
		} else if (starts(p, "next=") && n - 5 < sizeof(next_path)) {
			for (unsigned i = 0; i < n - 5; i++)
				next_path[i] = p[5 + i];
			next_path[n - 5] = 0;
		} else if (!(n > 4 && starts(p + n - 4, ".efi") && p == line)) {
			goto bad; /* (the shell's argv[0] is skipped) */
		}
		p += n;
		continue;
bad:
		gprintf("nvlab: bad option '%.*s' (run=NXE:SMEP:GMET:ACCESS:PAGE, next=, args=)\n",
			(int)n, p);
		return -1;
	}
	return 0;
}

static void do_run(unsigned i, const struct run *r)
{
	struct vmcb *v = env.vmcb;
	uint64_t gpa, *leaf, code;

	gprintf("nvlab: run %u: L1 EFER.NXE=%d CR4.SMEP=%d, vmcb12 GMET=%d; L2 at CPL 0 %s, NPT leaf %s\n",
		i + 1, r->nxe, r->smep, r->gmet, access_names[r->access],
		page_words[r->page]);
	if (r->smep && !env.smep) {
		gprintf("nvlab: run %u: skipped: the CPU has no SMEP\n", i + 1);
		return;
	}
	if (r->gmet && !env.gmet) {
		gprintf("nvlab: run %u: skipped: GMET is not offered\n", i + 1);
		return;
	}
	env_set_l1_paging(r->nxe, r->smep);
	npt_reset();
	code_vmmcall(OFF_CODE);
	leaf = &npt.pt1[r->access == ACC_FETCH ? NPT_IDX_CODE : NPT_IDX_DATA];
	switch (r->page) {
	case PAGE_NP:
		*leaf &= ~PTE_P;
		break;
	case PAGE_SUP:
		*leaf &= ~PTE_US;
		break;
	case PAGE_RO:
		*leaf &= ~PTE_RW;
		break;
	case PAGE_NX:
		*leaf |= PTE_NX;
		break;
	case PAGE_USER:
		break;
	}
	vmcb_default(v, NULL);
	vmcb_use_npt(v);
	if (r->gmet)
		v->control.misc_ctl |= MISC_CTL_GMET;
	gpa = r->access == ACC_FETCH ? GPA_CODE + OFF_CODE : GPA_DATA;
	code = npf_run_vmcb(v, r->access, gpa, NULL);
	if (code == VMEXIT_NPF)
		gprintf("nvlab: run %u: #NPF exit_info_1 0x%lx exit_info_2 0x%lx (I/D=%lu)\n",
			i + 1, v->control.exit_info_1, v->control.exit_info_2,
			(v->control.exit_info_1 >> 4) & 1);
	else
		gprintf("nvlab: run %u: no #NPF: exit 0x%lx\n", i + 1, code);
	env_set_l1_paging(env.fw_nxe, env.fw_smep);
}

static void chain_load(EFI_HANDLE image)
{
	static CHAR16 wpath[256], wargs[1024];
	EFI_LOADED_IMAGE *self, *li;
	EFI_DEVICE_PATH *dp;
	EFI_HANDLE child;
	EFI_STATUS st;
	unsigned n;

	for (n = 0; next_path[n]; n++)
		wpath[n] = (CHAR16)next_path[n];
	wpath[n] = 0;
	for (n = 0; next_args[n]; n++)
		wargs[n] = (CHAR16)next_args[n];
	wargs[n] = 0;
	uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
			  (void **)&self);
	dp = FileDevicePath(self->DeviceHandle, wpath);
	st = dp ? uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0,
				    &child) : EFI_OUT_OF_RESOURCES;
	if (EFI_ERROR(st)) {
		gprintf("nvlab: cannot load %s (status 0x%lx)\n", next_path,
			(uint64_t)st);
		return;
	}
	uefi_call_wrapper(BS->HandleProtocol, 3, child, &LoadedImageProtocol,
			  (void **)&li);
	li->LoadOptions = wargs;
	li->LoadOptionsSize = (UINT32)((n + 1) * sizeof(CHAR16));
	gprintf("nvlab: chain-loading %s\n", next_path);
	st = uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
	gprintf("nvlab: %s returned (status 0x%lx)\n", next_path, (uint64_t)st);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	static char line[1400];
	EFI_LOADED_IMAGE *self;
	unsigned n = 0;

	guest_efi_init(image, st);
	uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
			  (void **)&self);
	if (self->LoadOptions)
		for (const CHAR16 *w = self->LoadOptions;
		     n + 1 < sizeof(line) && n < self->LoadOptionsSize / 2 && w[n]; n++)
			line[n] = w[n] < 0x80 ? (char)w[n] : '?';
	line[n] = 0;
	if (parse_options(line))
		guest_exit(1);
	gprintf("nvlab: %u experiment%s, then %s\n", nr_runs, nr_runs == 1 ? "" : "s",
		next_path[0] ? next_path : "power off");
	if (nr_runs) {
		env.maxphyaddr = cpuid(0x80000008).eax & 0xff;
		env.gmet = !!(cpuid(0x8000000a).edx & CPUID_SVM_GMET);
		env.smep = !!(cpuid_count(7, 0).ebx & CPUID_7_SMEP);
		if (!(cpuid(0x80000001).ecx & (1u << 2)) || !env_alloc()) {
			gprintf("nvlab: no SVM or no memory: no experiments\n");
		} else {
			env_enter();
			for (unsigned i = 0; i < nr_runs; i++)
				do_run(i, &runs[i]);
			env_leave();
		}
	}
	if (next_path[0])
		chain_load(image);
	guest_poweroff();
}
