// SPDX-License-Identifier: MIT
/*
 * GMET, guest-mode execute trap (docs/semantics.md §2, §5.1 rows 9-15,
 * §5.2, §6.3).  VMCB 0x90 bit 3 turns it on; CPUID 8000_000A
 * EDX[17] says whether it is offered.
 *
 * Not offered (bare QEMU TCG): one case.  The bit must have no effect
 * (§2.4: KVM strips it from vmcb12; hardware without GMET ignores it), so
 * a CPL-0 fetch from an NPT page with U=1 (all the test NPT's pages have
 * U=1) still succeeds, and VMRUN does not fail.
 *
 * Offered: with GMET on, U of the NPT entries only matters for fetches:
 * a supervisor (CPL 0-2) fetch from an effective-U=1 page faults (row 13;
 * the US bit of the error code is masked: erratum 1218), U=0 pages are
 * executable at any CPL (rows 14, 15), user fetches from U=1 pages work
 * (row 15), data accesses ignore U (rows 9-11), W=0 still faults for
 * writes (row 12), an instruction straddling a U=0 and a U=1 page runs
 * at CPL 3 and faults on its U=1 half at CPL 0.  I/D follows L1's
 * NXE/SMEP, not GMET (§6.3).  These
 * cases cannot run on bare TCG; their expectations are written straight
 * from the rows named in each case.
 */
#include "nested.h"
#include "npf_check.h"
#include "npt.h"
#include "core/x86.h"
#include "mm/pferr.h"

#define OFF_CODE 0x40u
#define CPUID_A2 0xa20fu /* CPUID, little-endian bytes 0f a2 */

/* L2 code at GPA_CODE + OFF_CODE: optional "mov (%rbx), %rax", then CPUID
 * (intercepted: proves the fetch worked), then HLT. */
static void code_cpuid(int with_load)
{
	unsigned o = OFF_CODE;

	if (with_load) {
		npt.code[o++] = 0x48;
		npt.code[o++] = 0x8b;
		npt.code[o++] = 0x03;
	}
	npt.code[o++] = 0x0f;
	npt.code[o++] = 0xa2;
	npt.code[o] = 0xf4;
}

/* vmcb12 with NP and GMET on; L2 at `cpl` (3: user segments, and the U=1
 * alias of region 1 in L2's own page tables). */
static struct vmcb *gmet_vmcb(int cpl)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, NULL);
	vmcb_use_npt(v);
	v->control.misc_ctl |= MISC_CTL_GMET;
	v->control.intercept_misc1 |= INTERCEPT1_CPUID;
	v->save.rip = (cpl == 3 ? LIN_USER_OFF : 0) + GPA_CODE + OFF_CODE;
	if (cpl == 3) {
		v->save.cpl = 3;
		v->save.cs.selector |= 3;
		v->save.cs.attrib.raw |= 3u << 5;
		v->save.ss.selector |= 3;
		v->save.ss.attrib.raw |= 3u << 5;
	}
	return v;
}

/* What happened, for the comparison with mm/'s model (check_model.py runs
 * nv-npt on the same walk: the test NPT's upper levels are P|W|U, the leaf
 * is `leaf`; L1's EFER and CR4 are the host state of the walk). */
static void model_fact(const char *name, int cpl, const char *access,
		       uint64_t leaf, uint64_t gpa, const struct vmcb *v)
{
	tap_fact(name, "cpl=%d access=%s leaf=0x%lx gpa=0x%lx efer=0x%lx "
		 "cr4=0x%lx gmet=%d exit=0x%lx info1=0x%lx", cpl, access, leaf,
		 gpa, env.l1_efer, env.l1_cr4,
		 (v->control.misc_ctl & MISC_CTL_GMET) ? 1 : 0,
		 v->control.exit_code, v->control.exit_info_1);
}

static int run_expect_cpuid(struct vmcb *v, uint64_t rbx, uint64_t *rax)
{
	struct l2_gprs g = { .rbx = rbx };

	l2_run(v, &g);
	if (rax)
		*rax = v->save.rax;
	return expect_exit(v, VMEXIT_CPUID);
}

static int run_expect_npf(struct vmcb *v, uint64_t want_masked, uint64_t gpa)
{
	struct l2_gprs g = { .rbx = GPA_DATA };

	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_NPF))
		return 0;
	return TAP_EXPECT_EQ("exit_info_1 with US masked (erratum 1218)",
			     v->control.exit_info_1 & ~PFERR_USER, want_masked) &
	       TAP_EXPECT_EQ("exit_info_2", v->control.exit_info_2, gpa);
}

static int gmet_not_offered(void)
{
	struct vmcb *v;
	struct l2_gprs g = { 0 };
	int ok;

	ok = TAP_EXPECT_EQ("CPUID 8000_000A EDX[17]", env.gmet, 0);
	npt_reset();
	code_vmmcall(OFF_CODE);
	v = gmet_vmcb(0);
	l2_run(v, &g);
	ok &= expect_exit(v, VMEXIT_VMMCALL);
	return ok & TAP_EXPECT_EQ("rip at the VMMCALL", v->save.rip, GPA_CODE + OFF_CODE);
}

/* Row 13: CPL-0 fetch from a U=1 page. */
static int cpl0_fetch_user(void)
{
	struct vmcb *v;
	int ok;

	npt_reset();
	code_cpuid(0);
	v = gmet_vmcb(0);
	ok = run_expect_npf(v, PFERR_GUEST_FINAL | PFERR_PRESENT | id_bit(),
			    GPA_CODE + OFF_CODE);
	model_fact("model.gmet.cpl0_fetch_user_page_faults", 0, "fetch",
		   npt.pt1[NPT_IDX_CODE], GPA_CODE + OFF_CODE, v);
	return ok;
}

/* Row 14: CPL-0 fetch from a U=0 page. */
static int cpl0_fetch_supervisor(void)
{
	struct vmcb *v;
	int ok;

	npt_reset();
	code_cpuid(0);
	npt.pt1[NPT_IDX_CODE] &= ~PTE_US;
	v = gmet_vmcb(0);
	ok = run_expect_cpuid(v, 0, NULL);
	model_fact("model.gmet.cpl0_fetch_supervisor_page_ok", 0, "fetch",
		   npt.pt1[NPT_IDX_CODE], GPA_CODE + OFF_CODE, v);
	return ok;
}

/* Row 15: CPL-3 fetch from a U=0 page, and from a U=1 page. */
static int cpl3_fetch(int user_page, const char *name)
{
	struct vmcb *v;
	int ok;

	npt_reset();
	code_cpuid(0);
	if (!user_page)
		npt.pt1[NPT_IDX_CODE] &= ~PTE_US;
	v = gmet_vmcb(3);
	ok = run_expect_cpuid(v, 0, NULL);
	model_fact(name, 3, "fetch", npt.pt1[NPT_IDX_CODE],
		   GPA_CODE + OFF_CODE, v);
	return ok;
}

static int cpl3_fetch_supervisor(void)
{
	return cpl3_fetch(0, "model.gmet.cpl3_fetch_supervisor_page_ok");
}

static int cpl3_fetch_user(void)
{
	return cpl3_fetch(1, "model.gmet.cpl3_fetch_user_page_ok");
}

/* Rows 9-11: data reads ignore U (code page U=0 so that it may run). */
static int data_read(int cpl, int data_user, const char *name)
{
	uint64_t rax = 0, lin = (cpl == 3 ? LIN_USER_OFF : 0) + GPA_DATA;
	struct vmcb *v;
	int ok;

	npt_reset();
	code_cpuid(1);
	npt.pt1[NPT_IDX_CODE] &= ~PTE_US;
	if (!data_user)
		npt.pt1[NPT_IDX_DATA] &= ~PTE_US;
	v = gmet_vmcb(cpl);
	ok = run_expect_cpuid(v, lin, &rax) &
	     TAP_EXPECT_EQ("value read", rax, DATA_PATTERN);
	model_fact(name, cpl, "read", npt.pt1[NPT_IDX_DATA], GPA_DATA, v);
	return ok;
}

static int cpl0_read_supervisor(void)
{
	return data_read(0, 0, "model.gmet.cpl0_read_supervisor_page_ok");
}

static int cpl3_read_supervisor(void)
{
	return data_read(3, 0, "model.gmet.cpl3_read_supervisor_page_ok");
}

static int cpl0_read_user(void)
{
	return data_read(0, 1, "model.gmet.cpl0_read_user_page_ok");
}

/* Row 12: a CPL-0 write to a W=0 page faults under GMET. */
static int cpl0_write_readonly(void)
{
	struct vmcb *v;
	int ok;

	npt_reset();
	/* mov %rcx, (%rbx); cpuid */
	npt.code[OFF_CODE] = 0x48;
	npt.code[OFF_CODE + 1] = 0x89;
	npt.code[OFF_CODE + 2] = 0x0b;
	npt.code[OFF_CODE + 3] = 0x0f;
	npt.code[OFF_CODE + 4] = 0xa2;
	npt.pt1[NPT_IDX_CODE] &= ~PTE_US;
	npt.pt1[NPT_IDX_DATA] &= ~PTE_RW;
	v = gmet_vmcb(0);
	ok = run_expect_npf(v, PFERR_GUEST_FINAL | PFERR_PRESENT | PFERR_WRITE,
			    GPA_DATA);
	model_fact("model.gmet.cpl0_write_readonly_faults", 0, "write",
		   npt.pt1[NPT_IDX_DATA], GPA_DATA, v);
	return ok;
}

/* §6.3, first case: NXE=0, SMEP=0, GMET=1: a GMET fault without I/D. */
static int s53_gmet_no_id(void)
{
	struct vmcb *v;
	int ok;

	env_set_l1_paging(0, 0);
	npt_reset();
	code_cpuid(0);
	v = gmet_vmcb(0);
	ok = run_expect_npf(v, PFERR_GUEST_FINAL | PFERR_PRESENT,
			    GPA_CODE + OFF_CODE);
	model_fact("model.gmet.idfetch.s5_3.gmet1_nxe0_smep0_no_id", 0, "fetch",
		   npt.pt1[NPT_IDX_CODE], GPA_CODE + OFF_CODE, v);
	env_set_l1_paging(env.fw_nxe, env.fw_smep);
	return ok;
}

/* §6.3, second case: SMEP=1, NXE=0, GMET=0: a not-present fetch has I/D. */
static int s53_smep_id(void)
{
	struct vmcb *v;
	int ok;

	env_set_l1_paging(0, 1);
	npt_reset();
	npt.pt1[NPT_IDX_CODE] &= ~PTE_P;
	v = gmet_vmcb(0);
	v->control.misc_ctl &= ~MISC_CTL_GMET;
	ok = run_expect_npf(v, PFERR_GUEST_FINAL | PFERR_FETCH, GPA_CODE + OFF_CODE);
	model_fact("model.gmet.idfetch.s5_3.gmet0_nxe0_smep1_id", 0, "fetch",
		   npt.pt1[NPT_IDX_CODE], GPA_CODE + OFF_CODE, v);
	env_set_l1_paging(env.fw_nxe, env.fw_smep);
	return ok;
}

/*
 * An instruction whose bytes straddle a U=0 and a U=1 page: CPUID with
 * its 0f on the last byte of the data page and its a2 on the first byte
 * of the code page.  At CPL 3 both fetches are allowed (row 15, either
 * U), so CPUID runs and exits, RIP at its first byte; at CPL 0 the U=1
 * half is a GMET fault (row 13) at that half's address (§7.1), whichever
 * half it is.
 */
static int straddle(int cpl, int user_first)
{
	uint64_t lin = (cpl == 3 ? LIN_USER_OFF : 0) + GPA_DATA + PAGE_SIZE - 1;
	struct vmcb *v;

	npt_reset();
	npt.data[PAGE_SIZE - 1] = 0x0f;
	npt.code[0] = 0xa2;
	npt.pt1[user_first ? NPT_IDX_CODE : NPT_IDX_DATA] &= ~PTE_US;
	v = gmet_vmcb(cpl);
	v->save.rip = lin;
	if (cpl == 3)
		return run_expect_cpuid(v, 0, NULL) &
		       TAP_EXPECT_EQ("rip at the straddling CPUID", v->save.rip,
				     lin);
	return run_expect_npf(v, PFERR_GUEST_FINAL | PFERR_PRESENT | id_bit(),
			      user_first ? GPA_DATA + PAGE_SIZE - 1 : GPA_CODE);
}

static int cpl3_straddle_supervisor_user(void)
{
	return straddle(3, 0);
}

static int cpl3_straddle_user_supervisor(void)
{
	return straddle(3, 1);
}

static int cpl0_straddle_supervisor_user(void)
{
	return straddle(0, 0);
}

static int cpl0_straddle_user_supervisor(void)
{
	return straddle(0, 1);
}

static const struct tap_case absent[] = {
	{ "gmet.not_offered.bit_ignored", gmet_not_offered },
};

static const struct tap_case present[] = {
	{ "gmet.cpl0_fetch_user_page_faults", cpl0_fetch_user },
	{ "gmet.cpl0_fetch_supervisor_page_ok", cpl0_fetch_supervisor },
	{ "gmet.cpl3_fetch_supervisor_page_ok", cpl3_fetch_supervisor },
	{ "gmet.cpl3_fetch_user_page_ok", cpl3_fetch_user },
	{ "gmet.cpl0_read_supervisor_page_ok", cpl0_read_supervisor },
	{ "gmet.cpl3_read_supervisor_page_ok", cpl3_read_supervisor },
	{ "gmet.cpl0_read_user_page_ok", cpl0_read_user },
	{ "gmet.cpl0_write_readonly_faults", cpl0_write_readonly },
	{ "gmet.idfetch.s5_3.gmet1_nxe0_smep0_no_id", s53_gmet_no_id },
	{ "gmet.idfetch.s5_3.gmet0_nxe0_smep1_id", s53_smep_id },
	{ "gmet.cpl3_straddle.supervisor_then_user_runs",
	  cpl3_straddle_supervisor_user },
	{ "gmet.cpl3_straddle.user_then_supervisor_runs",
	  cpl3_straddle_user_supervisor },
	{ "gmet.cpl0_straddle.supervisor_then_user_faults",
	  cpl0_straddle_supervisor_user },
	{ "gmet.cpl0_straddle.user_then_supervisor_faults",
	  cpl0_straddle_user_supervisor },
};

struct case_list gmet_cases(void)
{
	if (!env.gmet)
		return (struct case_list){ absent, TAP_COUNT(absent) };
	return (struct case_list){ present, TAP_COUNT(present) };
}
