// SPDX-License-Identifier: MIT
/*
 * The I/O and MSR permission maps are read in memory at every access
 * they govern (AMD APM Vol. 2 §15.10.1: one IOPM bit per port, §15.11: two
 * MSRPM bits per MSR, read then write, MSRs C000_0000h-C000_1FFFh from
 * byte 800h): a change made while L2 runs, by L2 itself here, governs the
 * very next access.  vmcb_default()'s maps intercept port 80h (IOPM byte
 * 10h, bit 0) and STAR (C000_0081h: MSRPM byte 820h, bits 2 and 3).
 * L2 stores R8B at [RBX], then makes the access (l2_code.S).
 */
#include "nested.h"
#include "core/x86.h"

extern char l2_store_in[], l2_store_in_insn[];
extern char l2_store_rdmsr[], l2_store_rdmsr_insn[];
extern char l2_store_rep_insb[], l2_store_rep_insb_insn[];

#define A(p) ((uint64_t)(uintptr_t)(p))
#define IOPM_BYTE_80  0x10u         /* ports 80h-87h */
#define MSRPM_BYTE_STAR 0x820u      /* C000_0080h-C000_0083h */
#define MSR_LSTAR 0xc0000082u

static struct l2_gprs g;
static uint8_t buf[8];

static volatile uint8_t *iopm(unsigned byte)
{
	return (volatile uint8_t *)(uintptr_t)(env.iopm_pa + byte);
}

static volatile uint8_t *msrpm(unsigned byte)
{
	return (volatile uint8_t *)(uintptr_t)(env.msrpm_pa + byte);
}

/* L2 stores `val` into the IOPM byte of ports 80h-87h, then IN from
 * `port`; L1's maps are put back afterwards. */
static uint64_t store_then_in(uint8_t val, uint16_t port, int np)
{
	struct vmcb *v = env.vmcb;
	uint8_t old = *iopm(IOPM_BYTE_80);

	vmcb_default(v, l2_store_in);
	if (np)
		vmcb_use_npt(v); /* low 4 GiB identity: the map's address */
	v->control.intercept_misc1 |= INTERCEPT1_IOIO_PROT;
	g = (struct l2_gprs){ 0 };
	g.rbx = A(iopm(IOPM_BYTE_80));
	g.r8 = val;
	g.rdx = port;
	l2_run(v, &g);
	*iopm(IOPM_BYTE_80) = old;
	return v->control.exit_code;
}

static int iopm_l2_sets_bit(int np)
{
	struct vmcb *v = env.vmcb;

	store_then_in((uint8_t)(*iopm(IOPM_BYTE_80) | 0x10), 0x84, np);
	return expect_exit(v, VMEXIT_IOIO) &
	       TAP_EXPECT_EQ("port", v->control.exit_info_1 >> 16, 0x84) &
	       TAP_EXPECT_EQ("rip (the IN)", v->save.rip, A(l2_store_in_insn));
}

static int iopm_l2_clears_bit(int np)
{
	store_then_in((uint8_t)(*iopm(IOPM_BYTE_80) & ~1u), 0x80, np);
	return expect_exit(env.vmcb, VMEXIT_VMMCALL);
}

static int iopm_sets(void) { return iopm_l2_sets_bit(0); }
static int iopm_clears(void) { return iopm_l2_clears_bit(0); }
static int iopm_sets_np(void) { return iopm_l2_sets_bit(1); }
static int iopm_clears_np(void) { return iopm_l2_clears_bit(1); }

/* L2 clears port 80h's bit, then REP INSB from it, 4 bytes: no exit, the
 * whole string is read (RCX = 0 after). */
static int iopm_string_io(void)
{
	struct vmcb *v = env.vmcb;
	uint8_t old = *iopm(IOPM_BYTE_80);

	vmcb_default(v, l2_store_rep_insb);
	v->control.intercept_misc1 |= INTERCEPT1_IOIO_PROT;
	g = (struct l2_gprs){ 0 };
	g.rbx = A(iopm(IOPM_BYTE_80));
	g.r8 = old & ~1u;
	g.rdx = 0x80;
	g.rcx = 4;
	g.rdi = A(buf);
	l2_run(v, &g);
	*iopm(IOPM_BYTE_80) = old;
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("RCX after REP INSB", g.rcx, 0) &
	       TAP_EXPECT_EQ("RDI after REP INSB", g.rdi, A(buf) + 4);
}

/* L1 changes its IOPM between two runs of the same vmcb12. */
static int iopm_l1_between_runs(void)
{
	struct vmcb *v = env.vmcb;
	uint8_t old = *iopm(IOPM_BYTE_80);
	int ok;

	vmcb_default(v, l2_store_in);
	v->control.intercept_misc1 |= INTERCEPT1_IOIO_PROT;
	g = (struct l2_gprs){ 0 };
	g.rbx = A(buf);
	g.rdx = 0x84;
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_VMMCALL);
	*iopm(IOPM_BYTE_80) = (uint8_t)(old | 0x10);
	l2_resume(v, &g, A(l2_store_in));
	*iopm(IOPM_BYTE_80) = old;
	return ok & expect_exit(v, VMEXIT_IOIO) &
	       TAP_EXPECT_EQ("port", v->control.exit_info_1 >> 16, 0x84);
}

/* L2 stores `val` into the MSRPM byte of C000_0080h-C000_0083h, then
 * RDMSR `msr`. */
static void store_then_rdmsr(uint8_t val, uint32_t msr)
{
	struct vmcb *v = env.vmcb;
	uint8_t old = *msrpm(MSRPM_BYTE_STAR);

	vmcb_default(v, l2_store_rdmsr);
	v->control.intercept_misc1 |= INTERCEPT1_MSR_PROT;
	g = (struct l2_gprs){ 0 };
	g.rbx = A(msrpm(MSRPM_BYTE_STAR));
	g.r8 = val;
	g.rcx = msr;
	l2_run(v, &g);
	*msrpm(MSRPM_BYTE_STAR) = old;
}

/* LSTAR's read bit is bit 4 of byte 820h. */
static int msrpm_l2_sets_bit(void)
{
	struct vmcb *v = env.vmcb;

	store_then_rdmsr((uint8_t)(*msrpm(MSRPM_BYTE_STAR) | 0x10), MSR_LSTAR);
	return expect_exit(v, VMEXIT_MSR) &
	       TAP_EXPECT_EQ("exit_info_1 (0: read)", v->control.exit_info_1, 0) &
	       TAP_EXPECT_EQ("rip (the RDMSR)", v->save.rip, A(l2_store_rdmsr_insn));
}

/* STAR's read bit is bit 2 of byte 820h. */
static int msrpm_l2_clears_bit(void)
{
	struct vmcb *v = env.vmcb;
	uint64_t star = rdmsr(MSR_STAR);

	store_then_rdmsr((uint8_t)(*msrpm(MSRPM_BYTE_STAR) & ~0x4u), MSR_STAR);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("EAX (STAR[31:0])", (uint32_t)v->save.rax, (uint32_t)star) &
	       TAP_EXPECT_EQ("EDX (STAR[63:32])", (uint32_t)g.rdx, star >> 32);
}

static const struct tap_case cases[] = {
	{ "maps.iopm.l2_sets_bit", iopm_sets },
	{ "maps.iopm.l2_clears_bit", iopm_clears },
	{ "maps.iopm.l2_sets_bit.np", iopm_sets_np },
	{ "maps.iopm.l2_clears_bit.np", iopm_clears_np },
	{ "maps.iopm.l2_clears_bit.rep_insb", iopm_string_io },
	{ "maps.iopm.l1_between_runs", iopm_l1_between_runs },
	{ "maps.msrpm.l2_sets_bit", msrpm_l2_sets_bit },
	{ "maps.msrpm.l2_clears_bit", msrpm_l2_clears_bit },
};

struct case_list maps_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
