// SPDX-License-Identifier: MIT
/*
 * Addresses at the edge of the physical address width.
 *
 * Group "width48" (QEMU phys-bits=48): physical addresses in [2^47, 2^48)
 * are legal, and a 4-level host page table reaches them only at canonical
 * (sign-extended) linear addresses.  VMSAVE, VMLOAD and VMRUN at 2^47, and
 * vmcb12's nCR3 and permission maps there, must act as on any legal
 * address (APM Vol. 2 §15.5, §15.11, §15.25): what L1 reads there through
 * its own page tables is what the instruction uses.  At 2^48 (beyond the
 * width) VMLOAD raises #GP.
 *
 * Group "width52" (QEMU phys-bits=52): nestvisor gives L1 48 bits (CPUID
 * 0x80000008; its NPT has 4 levels).  An L1 or L2 page-table entry with
 * bit 48 set then has a reserved bit, and the access raises #PF with P and
 * RSVD (error code 0x9 for a supervisor read, APM Vol. 2 §8.4.2) at the
 * linear address.  The target is nestvisor's own canary page, so the
 * access would otherwise land in the region.
 */
#include "attack.h"
#include "core/x86.h"
#include "tests/guest/nested/npt.h"

#define HIGH47 (1ull << 47)
#define HIGH48 (1ull << 48)
#define PF_P_RSVD 0x9ull

extern const char l2_read[], l2_vmmcall[], l2_rdmsr[];

/* The first qword at physical pa as L1 reads it (window). */
static uint64_t l1_peek(uint64_t pa)
{
	uint64_t v;
	struct l1_trap t;

	window_map(pa & ~((2ull << 20) - 1));
	t = try_read64(WINDOW + (pa & ((2ull << 20) - 1)), &v);
	window_unmap();
	if (t.vector != -1)
		tap_diag("reading 0x%lx: exception %d", pa, t.vector);
	return v;
}

static int width_is_48(void)
{
	return TAP_EXPECT_EQ("CPUID 0x80000008 EAX[7:0]",
			     cpuid(0x80000008).eax & 0xff, 48);
}

static int vmsave_vmload_high(void)
{
	struct l1_trap ts, tl;

	vmsave((uint64_t)(uintptr_t)env.vmcb_aux);
	ts = try_vmsave(HIGH47);
	tl = try_vmload(HIGH47);
	vmload((uint64_t)(uintptr_t)env.vmcb_aux);
	return expect_vector("VMSAVE at 2^47", ts, -1) &
	       expect_vector("VMLOAD at 2^47", tl, -1);
}

static int vmload_beyond(void)
{
	struct l1_trap t;

	vmsave((uint64_t)(uintptr_t)env.vmcb_aux);
	t = try_vmload(HIGH48);
	vmload((uint64_t)(uintptr_t)env.vmcb_aux);
	return expect_vector("VMLOAD at 2^48", t, X86_VEC_GP);
}

/* vmcb12 at 2^47: whatever is there (the same for L1's own reads), it is
 * no valid vmcb12 (its VMRUN intercept bit, at offset 0x10, is what L1
 * reads), so VMRUN fails its checks and returns at once. */
static int vmrun_high(void)
{
	uint64_t misc2 = l1_peek(HIGH47 + 0x10) & 0xffffffffu;
	struct l1_trap t;

	tap_diag("L1 reads intercept word 2 = 0x%lx at 2^47 + 0x10", misc2);
	clgi();
	t = try_vmrun(HIGH47);
	stgi();
	return expect_vector("VMRUN at 2^47", t, -1);
}

/* nCR3 at 2^47: L2's first access walks a root that holds what L1 reads
 * there: entry 0 not present -> #NPF not present; present with reserved
 * bits -> #NPF with P and RSVD.  Either way an #NPF for L1. */
static int ncr3_high(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	uint64_t e = l1_peek(HIGH47);

	tap_diag("L1 reads 0x%lx at 2^47", e);
	vmcb_default(v, l2_vmmcall);
	vmcb_use_npt(v);
	v->control.nested_cr3 = HIGH47;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_NPF) &
	       TAP_EXPECT_EQ("EXITINFO1.P", v->control.exit_info_1 & 1, e & 1);
}

/* Permission maps at 2^47: L2's RDMSR of EFER (MSR 0xC0000080: read bit
 * 0x100 of the block at 0x800) is L1's if that bit reads 1 there. */
static int maps_high(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rcx = MSR_EFER };
	uint64_t q = l1_peek(HIGH47 + 0x800 + 0x20);
	int want_exit = q & 1;

	tap_diag("L1 reads 0x%lx at 2^47 + 0x820", q);
	vmcb_default(v, l2_rdmsr);
	v->control.intercept_misc1 |= INTERCEPT1_MSR_PROT | INTERCEPT1_IOIO_PROT;
	v->control.msrpm_base_pa = HIGH47;
	v->control.iopm_base_pa = HIGH47;
	l2_run(v, &g);
	return expect_exit(v, want_exit ? VMEXIT_MSR : VMEXIT_VMMCALL);
}

static const struct tap_case width48_cases[] = {
	{ "width48.cpuid_maxphyaddr_48", width_is_48 },
	{ "width48.vmsave_vmload_at_2^47", vmsave_vmload_high },
	{ "width48.vmload_at_2^48_gp", vmload_beyond },
	{ "width48.vmrun_vmcb12_at_2^47", vmrun_high },
	{ "width48.ncr3_at_2^47", ncr3_high },
	{ "width48.permission_maps_at_2^47", maps_high },
	{ "width48.hypervisor_intact", hv_intact },
};

struct attack_group width48_group(void)
{
	return (struct attack_group){ "width48", "phys-bits=48", width48_cases,
				      TAP_COUNT(width48_cases) };
}

/* L1's own page-table entry with bit 48 over the canary's 2 MiB block. */
static int l1_pte_bit48(void)
{
	uint64_t off = hv.canary_pa & ((2ull << 20) - 1), v = 0;
	struct l1_trap t;
	uint64_t cr2;

	window_map(HIGH48 | (hv.canary_pa & ~((2ull << 20) - 1)));
	t = try_read64(WINDOW + off, &v);
	cr2 = read_cr2();
	window_unmap();
	return expect_vector("read", t, X86_VEC_PF) &
	       TAP_EXPECT_EQ("#PF error code", t.error_code, PF_P_RSVD) &
	       TAP_EXPECT_EQ("CR2", cr2, WINDOW + off);
}

/* L2's page-table entry with bit 48: with nested paging (the shadow NPT)
 * and without (L2 in L1's physical space). */
static int l2_pte_bit48(int np)
{
	struct vmcb *v = env.vmcb;
	uint64_t la = R1, off = hv.canary_pa & 0xfff;
	struct l2_gprs g = { .rbx = la + off };
	int ok;

	npt_reset();
	npt.l2_pt1[0] = (HIGH48 | (hv.canary_pa & ~0xfffull)) | PTE_P | PTE_RW;
	vmcb_default(v, l2_read);
	vmcb_use_npt(v);
	if (!np) { /* L2's CR3 is its region-1 table, NPT off */
		v->control.misc_ctl &= ~MISC_CTL_NP_ENABLE;
		v->control.nested_cr3 = 0;
	}
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_EXCP_BASE + X86_VEC_PF) &
	     TAP_EXPECT_EQ("#PF error code (EXITINFO1)",
			   v->control.exit_info_1, PF_P_RSVD) &
	     TAP_EXPECT_EQ("CR2 (EXITINFO2)", v->control.exit_info_2, la + off);
	npt_reset();
	return ok;
}

static int l2_np_pte_bit48(void) { return l2_pte_bit48(1); }
static int l2_nonp_pte_bit48(void) { return l2_pte_bit48(0); }

static int width_is_48_of_52(void)
{
	return TAP_EXPECT_EQ("CPUID 0x80000008 EAX[7:0] (NPT reach)",
			     cpuid(0x80000008).eax & 0xff, 48);
}

static const struct tap_case width52_cases[] = {
	{ "width52.cpuid_maxphyaddr_48", width_is_48_of_52 },
	{ "width52.l1_pte_bit48_pf_rsvd", l1_pte_bit48 },
	{ "width52.l2_np_pte_bit48_pf_rsvd", l2_np_pte_bit48 },
	{ "width52.l2_nonp_pte_bit48_pf_rsvd", l2_nonp_pte_bit48 },
	{ "width52.hypervisor_intact", hv_intact },
};

struct attack_group width52_group(void)
{
	return (struct attack_group){ "width52", "phys-bits=52", width52_cases,
				      TAP_COUNT(width52_cases) };
}
