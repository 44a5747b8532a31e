// SPDX-License-Identifier: MIT
/*
 * The GIF (AMD APM Vol. 2 §15.17): while it is clear, INTR and NMI wait,
 * and when STGI sets it they are taken, NMI first (§8.5 priorities: NMI
 * before maskable interrupts).  VMRUN sets it; an NMI that the guest's
 * NMI intercept turns into #VMEXIT stays pending for the host, which
 * takes it once it sets the GIF (§15.13.2, §15.17).  L2's virtual GIF
 * (§15.33.2, vmcb12 V_GIF_ENABLE): L2's CLGI/STGI clear and set V_GIF,
 * and V_GIF = 0 holds L2's virtual interrupt.  And the loop Linux KVM
 * runs for each L2 entry: CLGI; VMLOAD vmcb12; VMRUN; VMSAVE vmcb12;
 * VMLOAD the host's save area; STGI.
 */
#include "nested.h"
#include "npt.h"
#include "core/x86.h"

extern char l2_vmmcall[], l2_sti_spin[];
extern char l2_clgi_wait_stgi[], l2_clgi_wait_stgi_spin[];

#define A(p) ((uint64_t)(uintptr_t)(p))
#define NMI 2u

static struct l2_gprs g;

static void delay(void)
{
	for (volatile int i = 0; i < 100000; i++)
		;
}

/* L1: CLGI; NMI to itself; nothing until STGI; then exactly one. */
static int nmi_held_by_clgi(void)
{
	uint32_t before = env.irq_count[NMI], held;

	clgi();
	apic_self_nmi();
	delay();
	held = env.irq_count[NMI] - before;
	stgi();
	delay();
	return TAP_EXPECT_EQ("NMIs taken with GIF=0", held, 0) &
	       TAP_EXPECT_EQ("NMIs taken after STGI", env.irq_count[NMI] - before, 1);
}

/* L1: CLGI; STI; a self-IPI and an NMI both wait; STGI: NMI, then INTR. */
static int nmi_before_intr_on_stgi(void)
{
	uint32_t n0 = env.irq_log_n;
	int ok;

	clgi();
	__asm__ volatile("sti" ::: "memory");
	apic_self_ipi(VEC_IPI);
	apic_self_nmi();
	delay();
	ok = TAP_EXPECT_EQ("events taken with GIF=0", env.irq_log_n - n0, 0);
	stgi();
	delay();
	__asm__ volatile("cli" ::: "memory");
	if (!TAP_EXPECT_EQ("events taken after STGI", env.irq_log_n - n0, 2))
		return 0;
	ok &= TAP_EXPECT_EQ("first: the NMI", env.irq_log[n0], NMI);
	return ok & TAP_EXPECT_EQ("then: the interrupt", env.irq_log[n0 + 1], VEC_IPI);
}

/* An NMI held by L1's CLGI, then VMRUN of an L2 whose NMIs L1 intercepts:
 * #VMEXIT(NMI) at once (L2 has not run), and L1 takes the NMI after its
 * STGI. */
static int nmi_held_then_intercepted(void)
{
	struct vmcb *v = env.vmcb;
	uint32_t before = env.irq_count[NMI];
	int ok;

	vmcb_default(v, l2_vmmcall);
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	g = (struct l2_gprs){ 0 };
	clgi();
	apic_self_nmi();
	delay();
	l2_run(v, &g); /* ends with STGI (l1_drain_interrupts) */
	delay();
	ok = expect_exit(v, VMEXIT_NMI);
	ok &= TAP_EXPECT_EQ("rip (L2 had not run)", v->save.rip, A(l2_vmmcall));
	return ok & TAP_EXPECT_EQ("NMIs L1 took after STGI",
				  env.irq_count[NMI] - before, 1);
}

/*
 * An NMI held by L1's CLGI, delivered to an L2 whose NMIs L1 does not
 * intercept, through L2's IDT in a region-1 page nobody touched since
 * npt_reset() (under nestvisor: not in the shadow yet): L2's handler sees
 * vector 2, once.  L2's handler does not IRET: L1 ends NMI blocking.
 */
static int nmi_to_l2_cold_idt(void)
{
	struct vmcb *v = env.vmcb;
	const volatile uint8_t *idt = (const volatile uint8_t *)env.idt_base_l2;

	npt_reset();
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		npt.data2[i] = idt[i];
	vmcb_default(v, l2_sti_spin);
	vmcb_use_npt(v);
	v->save.idtr.base = GPA_DATA2;
	v->save.rsp = GPA_DATA + 0x800;
	g = (struct l2_gprs){ 0 };
	clgi();
	apic_self_nmi();
	l2_run(v, &g);
	l1_iret_self();
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, NMI) &
	       TAP_EXPECT_EQ("RIP pushed (L2 had not run)", g.rcx, A(l2_sti_spin));
}

/* As above, with L1's NPT not mapping the IDT page: #NPF to L1 with
 * EXITINTINFO = V, type 2 (NMI), vector 2 (§15.7.2). */
static int nmi_exitintinfo(void)
{
	struct vmcb *v = env.vmcb;

	npt_reset();
	npt.pt1[NPT_IDX_DATA2] = 0;
	vmcb_default(v, l2_sti_spin);
	vmcb_use_npt(v);
	v->save.idtr.base = GPA_DATA2;
	v->save.rsp = GPA_DATA + 0x800;
	g = (struct l2_gprs){ 0 };
	clgi();
	apic_self_nmi();
	l2_run(v, &g);
	l1_iret_self();
	return expect_exit(v, VMEXIT_NPF) &
	       TAP_EXPECT_EQ("exit_int_info (V, type 2 NMI, vector 2)",
			     v->control.exit_int_info.raw,
			     EVTINJ_VALID | (2u << EVTINJ_TYPE_SHIFT) | NMI);
}

/*
 * L2's virtual GIF: vmcb12 enables it with V_GIF = 1 and a virtual
 * interrupt (V_IRQ, vector 0x41, priority 15) that L1 does not intercept
 * (no VINTR intercept); L2 runs CLGI; STI; a delay; STGI.  The virtual
 * interrupt waits for STGI (R9 = 2), then L2's handler takes it with
 * the RIP after STGI; vmcb12's V_GIF is 1 again at the exit.  On a CPU
 * without vGIF, V_GIF_ENABLE is ignored and the GIF itself holds it: the
 * same outcome.
 */
static int vgif_holds_virq(void)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_clgi_wait_stgi);
	v->control.int_ctl = V_INTR_MASKING | V_GIF_ENABLE | V_GIF | V_IRQ |
			     (15u << V_INTR_PRIO_SHIFT);
	v->control.int_vector = 0x41;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, 0x41) &
	       TAP_EXPECT_EQ("L2's progress when it was taken (2: after STGI)",
			     g.r9, 2) &
	       TAP_EXPECT_EQ("RIP pushed (after STGI)", g.rcx,
			     A(l2_clgi_wait_stgi_spin)) &
	       TAP_EXPECT_EQ("vmcb12 V_GIF at the exit", v->control.int_ctl & V_GIF,
			     V_GIF);
}

/*
 * KVM's entry sequence, 64 times, L2 = VMMCALL.  At entry 32 a self-IPI
 * is made pending after CLGI: the VMRUN exits with INTR (L1 intercepts
 * it), and L1 takes the interrupt once, after STGI.  L1's FS base,
 * KernelGsBase and STAR come back from its own save area each time.
 */
static int kvm_loop(void)
{
	struct vmcb *v = env.vmcb, *host = env.vmcb_aux;
	uint32_t before = env.irq_count[VEC_IPI];
	uint64_t fs = rdmsr(MSR_FS_BASE), kgs = rdmsr(MSR_KERNEL_GS_BASE);
	uint64_t star = rdmsr(MSR_STAR);
	unsigned vmmcalls = 0, intrs = 0, others = 0;
	int ok;

	vmsave(A(host));
	for (unsigned i = 0; i < 64; i++) {
		vmcb_default(v, l2_vmmcall);
		v->save.fs.base = 0x7770000 + i;
		v->save.kernel_gs_base = 0x8880000 + i;
		g = (struct l2_gprs){ 0 };
		clgi();
		if (i == 32)
			apic_self_ipi(VEC_IPI);
		__asm__ volatile("sti" ::: "memory");
		vmload(A(v));
		nested_vmrun(A(v), &g);
		vmsave(A(v));
		vmload(A(host));
		__asm__ volatile("cli" ::: "memory");
		l1_drain_interrupts(); /* STGI; STI; ...; CLI */
		if (v->control.exit_code == VMEXIT_VMMCALL)
			vmmcalls++;
		else if (v->control.exit_code == VMEXIT_INTR)
			intrs++;
		else
			others++;
	}
	ok = TAP_EXPECT_EQ("VMMCALL exits", vmmcalls, 63);
	ok &= TAP_EXPECT_EQ("INTR exits", intrs, 1);
	ok &= TAP_EXPECT_EQ("other exits", others, 0);
	ok &= TAP_EXPECT_EQ("IPIs taken by L1", env.irq_count[VEC_IPI] - before, 1);
	ok &= TAP_EXPECT_EQ("L2's FS base saved by VMSAVE", v->save.fs.base,
			    0x7770000 + 63);
	ok &= TAP_EXPECT_EQ("L1's FS base", rdmsr(MSR_FS_BASE), fs);
	ok &= TAP_EXPECT_EQ("L1's KernelGsBase", rdmsr(MSR_KERNEL_GS_BASE), kgs);
	return ok & TAP_EXPECT_EQ("L1's STAR", rdmsr(MSR_STAR), star);
}

/*
 * L1 with a periodic LAPIC timer while it runs L2 in KVM's loop, 2000
 * times: L2 spins with IF set, L1 intercepts INTR with V_INTR_MASKING and
 * IF set at VMRUN, so a tick is an INTR exit (§15.21.1); the interrupt
 * stays in the local APIC, and L1 takes it once its STGI and STI let it
 * in (§15.17).  None lost: every INTR exit is followed by a tick taken by
 * L1.  None doubled: no tick reaches L2 (L2's handler would exit with
 * VMMCALL).  More ticks than exits is allowed: the timer goes on while L1
 * has STGI and STI open.
 */
static int periodic_timer_during_l2(void)
{
	struct vmcb *v = env.vmcb, *host = env.vmcb_aux;
	unsigned exits = 0, others = 0, lost = 0;
	uint32_t before = env.irq_count[VEC_TICK];

	vmsave(A(host));
	vmcb_default(v, l2_sti_spin);
	apic_timer_periodic(VEC_TICK, 300000);
	for (unsigned i = 0; i < 2000; i++) {
		uint32_t taken = env.irq_count[VEC_TICK];

		v->save.rip = A(l2_sti_spin);
		v->save.rflags = 0x2 | X86_RFLAGS_IF;
		g = (struct l2_gprs){ 0 };
		clgi();
		__asm__ volatile("sti" ::: "memory");
		vmload(A(v));
		nested_vmrun(A(v), &g);
		vmsave(A(v));
		vmload(A(host));
		/* IF is set: STGI lets the held tick in at once. */
		__asm__ volatile("stgi; nop; cli" ::: "memory");
		if (v->control.exit_code == VMEXIT_INTR)
			exits++;
		else
			others++;
		if (env.irq_count[VEC_TICK] == taken)
			lost++;
	}
	apic_timer_stop();
	l1_drain_interrupts();
	tap_diag("ticks L1 took: %u", env.irq_count[VEC_TICK] - before);
	return TAP_EXPECT_EQ("INTR exits", exits, 2000) &
	       TAP_EXPECT_EQ("other exits (a tick in L2)", others, 0) &
	       TAP_EXPECT_EQ("INTR exits not followed by a tick", lost, 0);
}

static const struct tap_case cases[] = {
	{ "gif.nmi.held_by_clgi", nmi_held_by_clgi },
	{ "gif.nmi_before_intr_on_stgi", nmi_before_intr_on_stgi },
	{ "gif.nmi.held_then_intercepted_in_l2", nmi_held_then_intercepted },
	{ "gif.nmi.to_l2_cold_idt", nmi_to_l2_cold_idt },
	{ "gif.nmi.exitintinfo_type", nmi_exitintinfo },
	{ "gif.vgif.l2_clgi_holds_virq", vgif_holds_virq },
	{ "gif.kvm_loop", kvm_loop },
	{ "gif.periodic_timer_during_l2", periodic_timer_during_l2 },
};

struct case_list gif_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
