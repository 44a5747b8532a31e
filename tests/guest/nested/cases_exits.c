// SPDX-License-Identifier: MIT
/*
 * Exits that L1 intercepts (AMD APM Vol. 2 §15.9-§15.13, Appendix C exit
 * codes): CPUID, VMMCALL, HLT, MSR, IOIO, exceptions and INTR.
 *
 * next_rip (VMCB 0xc8) is checked only when CPUID 8000_000A EDX[3]
 * (NRIPS) is set.  Without NRIPS L1 must not rely on it: it resumes L2 at
 * the architectural next RIP it knows itself (the *_next labels), and the
 * case checks that L2 then carries on from there.
 */
#include "nested.h"
#include "core/x86.h"

extern char l2_cpuid[], l2_cpuid_next[], l2_vmmcall[], l2_vmmcall_next[];
extern char l2_hlt[], l2_hlt_next[], l2_rdmsr[], l2_rdmsr_next[];
extern char l2_wrmsr[], l2_wrmsr_next[], l2_in8_imm[], l2_in8_imm_next[];
extern char l2_out16_dx[], l2_out16_dx_next[], l2_in32_dx[], l2_in32_dx_next[];
extern char l2_rep_outsb[], l2_rep_outsb_next[], l2_ud2[], l2_int3[];
extern char l2_int3_next[];
extern char l2_sti_spin[];

#define A(p) ((uint64_t)(uintptr_t)(p))
/* IOIO exit_info_1 bits 9:7 (address size) and 12:10 (segment) are not
 * asserted: QEMU TCG always reports them as 0 (docs/semantics.md §10.3). */
#define IOIO_CHECKED_MASK 0xffff007full
#define STAR_MSR 0xc0000081u

static struct l2_gprs g;

static int check_next_rip(const struct vmcb *v, const char *next)
{
	if (!env.nrips)
		return 1;
	return TAP_EXPECT_EQ("next_rip (NRIPS)", v->control.next_rip, A(next));
}

/* RIP at which L1 resumes L2 after emulating the intercepted instruction. */
static uint64_t resume_rip(const struct vmcb *v, const char *next)
{
	return env.nrips ? v->control.next_rip : A(next);
}

/* Resume and expect L2's VMMCALL right at `next`. */
static int resume_to_vmmcall(struct vmcb *v, const char *next)
{
	l2_resume(v, &g, resume_rip(v, next));
	return expect_exit(v, VMEXIT_VMMCALL) &&
	       TAP_EXPECT_EQ("rip of L2's VMMCALL after resume", v->save.rip, A(next));
}

static int intercept_simple(const char *insn, const char *next, uint64_t code,
			    uint32_t misc1)
{
	struct vmcb *v = env.vmcb;
	int ok;

	vmcb_default(v, insn);
	v->control.intercept_misc1 |= misc1;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	if (!expect_exit(v, code))
		return 0;
	ok = TAP_EXPECT_EQ("rip at exit", v->save.rip, A(insn));
	ok &= check_next_rip(v, next);
	return ok & resume_to_vmmcall(v, next);
}

static int exit_cpuid(void)
{
	struct vmcb *v = env.vmcb;
	int ok;

	vmcb_default(v, l2_cpuid);
	v->control.intercept_misc1 |= INTERCEPT1_CPUID;
	v->save.rax = 0x80000000u;
	g = (struct l2_gprs){ .rcx = 0 };
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_CPUID))
		return 0;
	ok = TAP_EXPECT_EQ("rip at exit", v->save.rip, A(l2_cpuid));
	ok &= TAP_EXPECT_EQ("L2 rax (leaf)", v->save.rax, 0x80000000u);
	ok &= check_next_rip(v, l2_cpuid_next);
	/* L1 emulates CPUID: L2 must see exactly these values. */
	v->save.rax = 0x11;
	g.rbx = 0x22;
	g.rcx = 0x33;
	g.rdx = 0x44;
	ok &= resume_to_vmmcall(v, l2_cpuid_next);
	ok &= TAP_EXPECT_EQ("L2 rax", v->save.rax, 0x11);
	ok &= TAP_EXPECT_EQ("L2 rbx", g.rbx, 0x22);
	ok &= TAP_EXPECT_EQ("L2 rcx", g.rcx, 0x33);
	return ok & TAP_EXPECT_EQ("L2 rdx", g.rdx, 0x44);
}

static int exit_vmmcall(void)
{
	struct vmcb *v = env.vmcb;
	int ok;

	vmcb_default(v, l2_vmmcall);
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_VMMCALL))
		return 0;
	ok = TAP_EXPECT_EQ("rip at exit", v->save.rip, A(l2_vmmcall));
	ok &= check_next_rip(v, l2_vmmcall_next);
	/* The instruction after it is HLT (intercepted). */
	l2_resume(v, &g, resume_rip(v, l2_vmmcall_next));
	return ok & expect_exit(v, VMEXIT_HLT) &
	       TAP_EXPECT_EQ("rip of the HLT", v->save.rip, A(l2_vmmcall_next));
}

static int exit_hlt(void)
{
	return intercept_simple(l2_hlt, l2_hlt_next, VMEXIT_HLT, 0);
}

/* An L2 triple fault with L1 intercepting SHUTDOWN: #VMEXIT(SHUTDOWN)
 * to L1 (APM Vol. 2 §15.9, shutdown intercept), and L1 carries on. */
static int exit_shutdown(void)
{
	extern const char l2_triple[];
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_triple);
	v->control.intercept_exceptions = 0;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_SHUTDOWN);
}

static int exit_rdmsr(void)
{
	struct vmcb *v = env.vmcb;
	int ok;

	vmcb_default(v, l2_rdmsr);
	v->control.intercept_misc1 |= INTERCEPT1_MSR_PROT;
	g = (struct l2_gprs){ .rcx = STAR_MSR };
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_MSR))
		return 0;
	ok = TAP_EXPECT_EQ("exit_info_1 (0 = RDMSR)", v->control.exit_info_1, 0);
	ok &= TAP_EXPECT_EQ("rip at exit", v->save.rip, A(l2_rdmsr));
	ok &= TAP_EXPECT_EQ("L2 rcx", g.rcx, STAR_MSR);
	ok &= check_next_rip(v, l2_rdmsr_next);
	v->save.rax = 0x11223344;
	g.rdx = 0x55667788;
	ok &= resume_to_vmmcall(v, l2_rdmsr_next);
	ok &= TAP_EXPECT_EQ("L2 eax", v->save.rax, 0x11223344);
	return ok & TAP_EXPECT_EQ("L2 edx", g.rdx, 0x55667788);
}

static int exit_wrmsr(void)
{
	struct vmcb *v = env.vmcb;
	uint64_t star = rdmsr(STAR_MSR);
	int ok;

	vmcb_default(v, l2_wrmsr);
	v->control.intercept_misc1 |= INTERCEPT1_MSR_PROT;
	v->save.rax = 0xaabbccdd;
	g = (struct l2_gprs){ .rcx = STAR_MSR, .rdx = 0x00230010 };
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_MSR))
		return 0;
	ok = TAP_EXPECT_EQ("exit_info_1 (1 = WRMSR)", v->control.exit_info_1, 1);
	ok &= TAP_EXPECT_EQ("L2 eax", v->save.rax & 0xffffffffu, 0xaabbccdd);
	ok &= TAP_EXPECT_EQ("L2 edx", g.rdx, 0x00230010);
	ok &= TAP_EXPECT_EQ("STAR untouched (intercepted)", rdmsr(STAR_MSR), star);
	ok &= check_next_rip(v, l2_wrmsr_next);
	return ok & resume_to_vmmcall(v, l2_wrmsr_next);
}

static int ioio(const char *insn, const char *next, uint64_t want_info1,
		struct l2_gprs in, uint64_t rax)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, insn);
	v->control.intercept_misc1 |= INTERCEPT1_IOIO_PROT;
	v->save.rax = rax;
	g = in;
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_IOIO))
		return 0;
	return TAP_EXPECT_EQ("exit_info_1 (type, str, rep, size, port)",
			     v->control.exit_info_1 & IOIO_CHECKED_MASK, want_info1) &
	       TAP_EXPECT_EQ("exit_info_2 (next rip)", v->control.exit_info_2, A(next)) &
	       TAP_EXPECT_EQ("rip at exit", v->save.rip, A(insn)) &
	       check_next_rip(v, next) & resume_to_vmmcall(v, next);
}

static int exit_in8(void)
{
	return ioio(l2_in8_imm, l2_in8_imm_next,
		    IOIO_TYPE_IN | IOIO_SZ8 | (0x80ull << IOIO_PORT_SHIFT),
		    (struct l2_gprs){ 0 }, 0);
}

static int exit_out16(void)
{
	return ioio(l2_out16_dx, l2_out16_dx_next,
		    IOIO_SZ16 | (0x80ull << IOIO_PORT_SHIFT),
		    (struct l2_gprs){ .rdx = 0x80 }, 0xbeef);
}

static int exit_in32(void)
{
	return ioio(l2_in32_dx, l2_in32_dx_next,
		    IOIO_TYPE_IN | IOIO_SZ32 | (0x80ull << IOIO_PORT_SHIFT),
		    (struct l2_gprs){ .rdx = 0x80 }, 0);
}

static const char outs_buf[4] = "abc";

static int exit_rep_outsb(void)
{
	return ioio(l2_rep_outsb, l2_rep_outsb_next,
		    IOIO_STR | IOIO_REP | IOIO_SZ8 | (0x80ull << IOIO_PORT_SHIFT),
		    (struct l2_gprs){ .rdx = 0x80, .rcx = 3, .rsi = A(outs_buf) }, 0);
}

static int exit_ud(void)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_ud2);
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_EXCP_BASE + 6) &
	       TAP_EXPECT_EQ("rip at exit (the faulting UD2)", v->save.rip, A(l2_ud2));
}

/* INT3 raises #BP, a trap: the intercept leaves RIP at INT3, and
 * next_rip (NRIPS) is the instruction after it. */
static int exit_bp(void)
{
	struct vmcb *v = env.vmcb;
	int ok;

	vmcb_default(v, l2_int3);
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_EXCP_BASE + 3) &
	     TAP_EXPECT_EQ("rip (the INT3)", v->save.rip, A(l2_int3));
	if (env.nrips)
		ok &= TAP_EXPECT_EQ("next_rip", v->control.next_rip, A(l2_int3_next));
	return ok;
}

/* A self-IPI made pending while GIF=0 is taken as VMEXIT_INTR as soon as
 * VMRUN sets GIF (V_INTR_MASKING=1, L1's IF=1 at VMRUN); it stays pending
 * for L1, which takes it once it sets GIF and IF. */
static int exit_intr_ipi(void)
{
	struct vmcb *v = env.vmcb;
	uint32_t before = env.irq_count[VEC_IPI];

	vmcb_default(v, l2_sti_spin);
	v->save.rflags = 0x2 | X86_RFLAGS_IF;
	g = (struct l2_gprs){ 0 };
	clgi();
	apic_self_ipi(VEC_IPI);
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_INTR) &
	       TAP_EXPECT_EQ("IPIs taken by L1 after the exit",
			     env.irq_count[VEC_IPI] - before, 1);
}

/* The bound on every L2 run: a spinning L2 ends with INTR (LAPIC timer). */
static int exit_intr_timer(void)
{
	struct vmcb *v = env.vmcb;
	uint32_t before = env.irq_count[VEC_TIMEOUT];

	vmcb_default(v, l2_sti_spin);
	v->save.rflags = 0x2 | X86_RFLAGS_IF;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_INTR) &
	       TAP_EXPECT_EQ("timer interrupts taken by L1",
			     env.irq_count[VEC_TIMEOUT] - before, 1);
}

static const struct tap_case cases[] = {
	{ "exit.cpuid", exit_cpuid },
	{ "exit.vmmcall", exit_vmmcall },
	{ "exit.hlt", exit_hlt },
	{ "exit.shutdown.l2_triple_fault", exit_shutdown },
	{ "exit.msr.rdmsr", exit_rdmsr },
	{ "exit.msr.wrmsr", exit_wrmsr },
	{ "exit.ioio.in8_imm", exit_in8 },
	{ "exit.ioio.out16_dx", exit_out16 },
	{ "exit.ioio.in32_dx", exit_in32 },
	{ "exit.ioio.rep_outsb", exit_rep_outsb },
	{ "exit.exception.ud", exit_ud },
	{ "exit.exception.bp", exit_bp },
	{ "exit.intr.self_ipi", exit_intr_ipi },
	{ "exit.intr.lapic_timer", exit_intr_timer },
};

struct case_list exit_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
