// SPDX-License-Identifier: MIT
/*
 * Decode assists (CPUID 8000_000A EDX[7]), AMD APM Vol. 2 §15.35.  Each
 * expected value is the APM's rule applied to the instruction the case
 * runs:
 *  - MOV to CRn: EXITINFO1[63] = 1 and EXITINFO1[3:0] = the source GPR
 *    (also for the selective CR0 write intercept); CLTS raising the CR0
 *    write intercept: EXITINFO1[63] = 0;
 *  - MOV from CRn, MOV DRn: EXITINFO1[3:0] = the GPR;
 *  - INTn: EXITINFO1 = n;  INVLPG: EXITINFO1 = the linear address the
 *    operand names;  INVLPGA: EXITINFO1 = rAX;
 *  - #PF and #NPF of a data access: the number of bytes fetched at
 *    CS:RIP (0D0h, 15 unless the fetch stops at a page that cannot be
 *    fetched) and the bytes (0D1h); a fault of the instruction fetch
 *    itself: 0 bytes; every other exit: 0 at 0D0h.
 * The bytes cases run L2 from the region-1 code page (npt.h) with nested
 * paging, on L2's own page tables.  With NRIPS offered, next_rip of the
 * instruction intercepts is checked too.
 *
 * Not offered (bare QEMU TCG): no case (nothing to observe).
 */
#include "nested.h"
#include "npt.h"
#include "core/x86.h"
#include "mm/pferr.h"

#define A(p) ((uint64_t)(uintptr_t)(p))
#define BIT63 (1ull << 63)
#define EXIT_PF (VMEXIT_EXCP_BASE + 14)
/* A linear address that L2's page tables (npt.h) leave unmapped: PML4
 * entry 2 is empty. */
#define LIN_UNMAPPED (1ull << 40)

extern char l2_mov_r9_cr3[], l2_mov_r9_cr3_next[];
extern char l2_mov_rax_cr0[], l2_mov_rax_cr0_next[];
extern char l2_mov_cr0_rdx[], l2_mov_cr0_rdx_next[];
extern char l2_mov_cr4_r15[], l2_mov_cr4_r15_next[];
extern char l2_mov_dr7_rsi[], l2_mov_dr7_rsi_next[];
extern char l2_mov_r10_dr1[], l2_mov_r10_dr1_next[];
extern char l2_clts[], l2_clts_next[], l2_int42[], l2_int42_next[];
extern char l2_invlpg_sib[], l2_invlpg_sib_next[];
extern char l2_invlpg_rip[], l2_invlpg_rip_next[];
extern char l2_invlpga[], l2_invlpga_next[];
extern char l2_cpuid[];

static struct l2_gprs g;

/* Run `insn` with the intercepts set by the caller's vmcb, expect exit
 * `code` with EXITINFO1 `info1` at `insn` and, with NRIPS and `nrip`,
 * next_rip = `next`; then resume at `next` and expect the VMMCALL. */
static int run_one(struct vmcb *v, const char *insn, const char *next,
		   int nrip, uint64_t code, uint64_t info1)
{
	int ok;

	l2_run(v, &g);
	if (!expect_exit(v, code))
		return 0;
	ok = TAP_EXPECT_EQ("rip at exit", v->save.rip, A(insn));
	ok &= TAP_EXPECT_EQ("exit_info_1", v->control.exit_info_1, info1);
	ok &= TAP_EXPECT_EQ("insn_len (not #PF/#NPF)", v->control.insn_len, 0);
	if (nrip && env.nrips)
		ok &= TAP_EXPECT_EQ("next_rip", v->control.next_rip, A(next));
	l2_resume(v, &g, A(next));
	return ok & expect_exit(v, VMEXIT_VMMCALL);
}

static struct vmcb *vmcb_for(const char *insn)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, insn);
	/* Something else in 0D0h first: the exit must write 0 there. */
	v->control.insn_len = 0x5a;
	g = (struct l2_gprs){ 0 };
	return v;
}

static int mov_to_cr3(void)
{
	struct vmcb *v = vmcb_for(l2_mov_r9_cr3);

	v->control.intercept_cr = 1u << (16 + 3);
	g.r9 = env.l1_cr3;
	return run_one(v, l2_mov_r9_cr3, l2_mov_r9_cr3_next, 1,
		       VMEXIT_CR0_WRITE + 3, BIT63 | 9);
}

static int mov_to_cr0_selective(void)
{
	struct vmcb *v = vmcb_for(l2_mov_rax_cr0);

	/* A write that changes CR0.WP, not only TS/MP: the selective CR0
	 * write intercept (APM Vol. 2 §15.8.3). */
	v->control.intercept_misc1 |= INTERCEPT1(VMEXIT_CR0_SEL_WRITE);
	v->save.rax = env.l1_cr0 ^ X86_CR0_WP;
	return run_one(v, l2_mov_rax_cr0, l2_mov_rax_cr0_next, 1,
		       VMEXIT_CR0_SEL_WRITE, BIT63 | 0);
}

static int mov_from_cr0(void)
{
	struct vmcb *v = vmcb_for(l2_mov_cr0_rdx);

	v->control.intercept_cr = 1u << 0;
	return run_one(v, l2_mov_cr0_rdx, l2_mov_cr0_rdx_next, 1,
		       VMEXIT_CR0_READ, 2);
}

static int mov_from_cr4(void)
{
	struct vmcb *v = vmcb_for(l2_mov_cr4_r15);

	v->control.intercept_cr = 1u << 4;
	return run_one(v, l2_mov_cr4_r15, l2_mov_cr4_r15_next, 1,
		       VMEXIT_CR0_READ + 4, 15);
}

static int mov_from_dr7(void)
{
	struct vmcb *v = vmcb_for(l2_mov_dr7_rsi);

	v->control.intercept_dr = 1u << 7;
	return run_one(v, l2_mov_dr7_rsi, l2_mov_dr7_rsi_next, 1,
		       VMEXIT_DR0_READ + 7, 6);
}

static int mov_to_dr1(void)
{
	struct vmcb *v = vmcb_for(l2_mov_r10_dr1);

	v->control.intercept_dr = 1u << (16 + 1);
	return run_one(v, l2_mov_r10_dr1, l2_mov_r10_dr1_next, 1,
		       VMEXIT_DR0_WRITE + 1, 10);
}

static int clts_not_mov(void)
{
	struct vmcb *v = vmcb_for(l2_clts);

	v->control.intercept_cr = 1u << 16;
	/* EXITINFO1[63] = 0: not a MOV.  (next_rip: nestvisor's decoder
	 * does not know CLTS; docs/nested.md.) */
	return run_one(v, l2_clts, l2_clts_next, 0, VMEXIT_CR0_WRITE, 0);
}

static int intn_vector(void)
{
	struct vmcb *v = vmcb_for(l2_int42);

	v->control.intercept_misc1 |= INTERCEPT1(VMEXIT_SWINT);
	return run_one(v, l2_int42, l2_int42_next, 1, VMEXIT_SWINT, 0x42);
}

static int invlpg_sib(void)
{
	struct vmcb *v = vmcb_for(l2_invlpg_sib);

	v->control.intercept_misc1 |= INTERCEPT1(VMEXIT_INVLPG);
	g.rbx = 0x123000;
	g.rcx = 0x20;
	/* 0x10(%rbx,%rcx,4), DS without a base in 64-bit mode */
	return run_one(v, l2_invlpg_sib, l2_invlpg_sib_next, 1, VMEXIT_INVLPG,
		       0x123000 + 4 * 0x20 + 0x10);
}

static int invlpg_rip_relative(void)
{
	struct vmcb *v = vmcb_for(l2_invlpg_rip);

	v->control.intercept_misc1 |= INTERCEPT1(VMEXIT_INVLPG);
	/* 0x100(%rip): from the end of the instruction */
	return run_one(v, l2_invlpg_rip, l2_invlpg_rip_next, 1, VMEXIT_INVLPG,
		       A(l2_invlpg_rip_next) + 0x100);
}

static int invlpga_rax(void)
{
	struct vmcb *v = vmcb_for(l2_invlpga);

	v->control.intercept_misc1 |= INTERCEPT1_INVLPGA;
	v->save.rax = 0x7654321000ull;
	g.rcx = 1;
	return run_one(v, l2_invlpga, l2_invlpga_next, 1, VMEXIT_INVLPGA,
		       0x7654321000ull);
}

/* Any other exit writes 0 at 0D0h. */
static int other_exit_no_bytes(void)
{
	struct vmcb *v = vmcb_for(l2_cpuid);

	v->control.intercept_misc1 |= INTERCEPT1_CPUID;
	v->save.rax = 0;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_CPUID) &
	       TAP_EXPECT_EQ("insn_len", v->control.insn_len, 0);
}

/* ---- instruction bytes of #PF and #NPF -------------------------------- */

/* "mov (%rbx), %rax" */
static const uint8_t mov_load[] = { 0x48, 0x8b, 0x03 };

/* L2 at `off` in the region-1 code page, nested paging on; `nxe`: L2's
 * EFER.NXE (CR4.SMEP off), which decides whether #PF error codes have
 * I/D. */
static struct vmcb *bytes_vmcb(unsigned off, int nxe)
{
	struct vmcb *v = env.vmcb;

	for (unsigned i = 0; i < sizeof(mov_load) && off + i < PAGE_SIZE; i++)
		npt.code[off + i] = mov_load[i];
	vmcb_default(v, NULL);
	vmcb_use_npt(v);
	v->save.rip = GPA_CODE + off;
	v->save.cr4 &= ~X86_CR4_SMEP;
	if (nxe)
		v->save.efer |= X86_EFER_NXE;
	else
		v->save.efer &= ~X86_EFER_NXE;
	v->control.insn_len = 0x5a;
	return v;
}

/* Expect exit `code` with `want` bytes in 0D0h, equal to the code page
 * from `off`. */
static int expect_bytes(const struct vmcb *v, uint64_t code, unsigned off,
			unsigned want)
{
	int ok;

	if (!expect_exit(v, code))
		return 0;
	ok = TAP_EXPECT_EQ("insn_len (bytes fetched)", v->control.insn_len, want);
	for (unsigned i = 0; i < want && i < 15 && ok; i++)
		ok &= TAP_EXPECT_EQ("instruction byte", v->control.insn_bytes[i],
				    npt.code[off + i]);
	return ok;
}

static int run_bytes(struct vmcb *v, uint64_t rbx, uint64_t code,
		     unsigned off, unsigned want)
{
	g = (struct l2_gprs){ .rbx = rbx };
	l2_run(v, &g);
	return expect_bytes(v, code, off, want);
}

/* #NPF of a read: L1's NPT has no data page.  15 bytes from CS:RIP. */
static int npf_read_15(void)
{
	struct vmcb *v;

	npt_reset();
	npt.pt1[NPT_IDX_DATA] = 0;
	v = bytes_vmcb(0x40, 1);
	return run_bytes(v, GPA_DATA, VMEXIT_NPF, 0x40, 15) &
	       TAP_EXPECT_EQ("exit_info_2", v->control.exit_info_2, GPA_DATA);
}

/* The instruction ends the code page; the next page is not in L2's page
 * tables: the fetch of the bytes stops there (3 bytes). */
static int npf_read_page_end_l2pt(void)
{
	struct vmcb *v;

	npt_reset();
	npt.pt1[NPT_IDX_DATA] = 0;
	npt.l2_pt1[2] = 0;
	v = bytes_vmcb(0xffd, 1);
	return run_bytes(v, GPA_DATA, VMEXIT_NPF, 0xffd, 3);
}

/* The same with the next page in L2's page tables but not in L1's NPT. */
static int npf_read_page_end_npt(void)
{
	struct vmcb *v;

	npt_reset();
	npt.pt1[NPT_IDX_DATA] = 0;
	npt.pt1[NPT_IDX_L2PT] = 0;
	v = bytes_vmcb(0xffd, 1);
	return run_bytes(v, GPA_DATA, VMEXIT_NPF, 0xffd, 3);
}

/* #NPF of the instruction fetch: no bytes. */
static int npf_fetch_none(void)
{
	struct vmcb *v;

	npt_reset();
	npt.pt1[NPT_IDX_CODE] = 0;
	v = bytes_vmcb(0x40, 1);
	return run_bytes(v, 0, VMEXIT_NPF, 0x40, 0) &
	       TAP_EXPECT_EQ("exit_info_2", v->control.exit_info_2,
			     GPA_CODE + 0x40);
}

/* #NPF of the instruction fetch from a page L1's NPT maps readable but
 * not executable (NX; reserved when L1's EFER.NXE is 0): a fetch fault
 * all the same, no bytes although the page can be read. */
static int npf_fetch_nx_none(void)
{
	struct vmcb *v;

	npt_reset();
	npt.pt1[NPT_IDX_CODE] |= PTE_NX;
	v = bytes_vmcb(0x40, 1);
	return run_bytes(v, 0, VMEXIT_NPF, 0x40, 0) &
	       TAP_EXPECT_EQ("exit_info_2", v->control.exit_info_2,
			     GPA_CODE + 0x40);
}

/* #PF (intercepted) of a read of an address L2's page tables do not map,
 * with and without I/D in L2's error codes. */
static int pf_read(int nxe)
{
	struct vmcb *v;

	npt_reset();
	v = bytes_vmcb(0x40, nxe);
	return run_bytes(v, LIN_UNMAPPED, EXIT_PF, 0x40, 15) &
	       TAP_EXPECT_EQ("exit_info_2 (CR2)", v->control.exit_info_2,
			     LIN_UNMAPPED);
}

static int pf_read_nxe1(void) { return pf_read(1); }
static int pf_read_nxe0(void) { return pf_read(0); }

static int pf_read_page_end(int nxe)
{
	struct vmcb *v;

	npt_reset();
	npt.l2_pt1[2] = 0;
	v = bytes_vmcb(0xffd, nxe);
	return run_bytes(v, LIN_UNMAPPED, EXIT_PF, 0xffd, 3);
}

static int pf_read_page_end_nxe1(void) { return pf_read_page_end(1); }
static int pf_read_page_end_nxe0(void) { return pf_read_page_end(0); }

/* #PF of the instruction fetch (RIP unmapped): no bytes. */
static int pf_fetch(int nxe)
{
	struct vmcb *v;

	npt_reset();
	v = bytes_vmcb(0x40, nxe);
	v->save.rip = LIN_UNMAPPED;
	return run_bytes(v, 0, EXIT_PF, 0, 0) &
	       TAP_EXPECT_EQ("exit_info_2 (CR2)", v->control.exit_info_2,
			     LIN_UNMAPPED);
}

static int pf_fetch_nxe1(void) { return pf_fetch(1); }
static int pf_fetch_nxe0(void) { return pf_fetch(0); }

/* The instruction crosses into a page L2's tables do not map: the fetch
 * faults at that page's first byte, and gives no bytes. */
static int pf_fetch_cross(int nxe)
{
	struct vmcb *v;

	npt_reset();
	npt.l2_pt1[2] = 0;
	v = bytes_vmcb(0xffe, nxe);
	return run_bytes(v, LIN_UNMAPPED, EXIT_PF, 0xffe, 0) &
	       TAP_EXPECT_EQ("exit_info_2 (CR2)", v->control.exit_info_2,
			     R1 + 0x2000);
}

static int pf_fetch_cross_nxe1(void) { return pf_fetch_cross(1); }
static int pf_fetch_cross_nxe0(void) { return pf_fetch_cross(0); }

static const struct tap_case present[] = {
	{ "decode.mov_r9_to_cr3", mov_to_cr3 },
	{ "decode.mov_rax_to_cr0.selective", mov_to_cr0_selective },
	{ "decode.mov_cr0_to_rdx", mov_from_cr0 },
	{ "decode.mov_cr4_to_r15", mov_from_cr4 },
	{ "decode.mov_dr7_to_rsi", mov_from_dr7 },
	{ "decode.mov_r10_to_dr1", mov_to_dr1 },
	{ "decode.clts_not_mov", clts_not_mov },
	{ "decode.int_0x42", intn_vector },
	{ "decode.invlpg_sib", invlpg_sib },
	{ "decode.invlpg_rip_relative", invlpg_rip_relative },
	{ "decode.invlpga_rax", invlpga_rax },
	{ "decode.other_exit_no_bytes", other_exit_no_bytes },
	{ "decode.npf.read.15_bytes", npf_read_15 },
	{ "decode.npf.read.page_end_l2_pt", npf_read_page_end_l2pt },
	{ "decode.npf.read.page_end_npt", npf_read_page_end_npt },
	{ "decode.npf.fetch.no_bytes", npf_fetch_none },
	{ "decode.npf.fetch_nx.no_bytes", npf_fetch_nx_none },
	{ "decode.pf.read.nxe1", pf_read_nxe1 },
	{ "decode.pf.read.nxe0", pf_read_nxe0 },
	{ "decode.pf.read.page_end.nxe1", pf_read_page_end_nxe1 },
	{ "decode.pf.read.page_end.nxe0", pf_read_page_end_nxe0 },
	{ "decode.pf.fetch.nxe1", pf_fetch_nxe1 },
	{ "decode.pf.fetch.nxe0", pf_fetch_nxe0 },
	{ "decode.pf.fetch_cross_page.nxe1", pf_fetch_cross_nxe1 },
	{ "decode.pf.fetch_cross_page.nxe0", pf_fetch_cross_nxe0 },
};

struct case_list decode_cases(void)
{
	if (!(cpuid(0x8000000a).edx & (1u << 7)))
		return (struct case_list){ 0, 0 };
	return (struct case_list){ present, TAP_COUNT(present) };
}
