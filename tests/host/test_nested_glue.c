// SPDX-License-Identifier: MIT
/*
 * svm/'s nested glue on the host: emulated VMRUN and #VMEXIT, the
 * reflection decisions, the inputs the shadow-NPT MMU gets (role, CPL,
 * execution class), the GIF, EXITINTINFO and re-injection, the permission
 * maps and L1's TLB maintenance, vNMI where the CPU lacks it, built from the same sources as
 * nestvisor.efi (svm/nested*.c, svm/npf.c, svm/inject.c, core/hvmem.c,
 * mm/) against fake VMCBs and a fake L1 memory (glue_fixture.h).
 *
 * Every expectation comes from the AMD APM Vol. 2 or docs/semantics.md,
 * cited at each test; none from nestvisor's output.
 */
#include "glue_fixture.h"
#include "svm/vnmi01.h"

/* ---- the shadow MMU's inputs ------------------------------------------- */

/*
 * docs/semantics.md §6.1: the I/D bit of a reflected #NPF is set for a
 * fetch iff the *host's* (L1's) EFER.NXE or CR4.SMEP is set, whatever
 * L2's are; §7.1: not present, user, fetch, final stage.  L1's NXE=1 with
 * L2's NXE=0 must give I/D; L1's NXE=0 and SMEP=0 with L2's NXE=1 and
 * SMEP=1 must not.
 */
static void fetch_fault_id(uint64_t l1_efer, uint64_t l2_efer_cr4_on,
			   uint64_t want)
{
	struct vmcb *v;
	uint64_t ncr3;

	cpu_up(0, 0, l1_efer);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	if (l2_efer_cr4_on) {
		v->save.efer |= X86_EFER_NXE;
		v->save.cr4 |= X86_CR4_SMEP;
	} else {
		v->save.efer &= ~X86_EFER_NXE;
	}
	v->control.intercept_misc1 |= INTERCEPT1_SHUTDOWN;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	/* a fetch at an L2 address L1's NPT does not map */
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER | PFERR_FETCH,
		0x7000000, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_NPF);
	assert_int_equal(v->control.exit_info_1, want);
	assert_int_equal(v->control.exit_info_2, 0x7000000);
}

static void test_role_from_l1_not_vmcb12(void **state)
{
	(void)state;
	fetch_fault_id(X86_EFER_NXE, 0,
		       PFERR_GUEST_FINAL | PFERR_USER | PFERR_FETCH);
	fetch_fault_id(0, 1, PFERR_GUEST_FINAL | PFERR_USER);
}

/*
 * The CPL the MMU gets, and the execution class (docs/semantics.md §2.4,
 * docs/nested.md "GMET where the CPU has none"): with GMET emulated, an
 * L2 entered at CPL 3 runs on a USER root, at CPL 0 on a SUPERVISOR one;
 * with the CPU's GMET every root is SUPERVISOR.
 */
static enum snpt_exec root_class(uint32_t edx, uint8_t cpl)
{
	struct vmcb *v;
	const struct snpt *s;

	cpu_up(edx, 0, X86_EFER_NXE);
	v = vmcb12_new();
	use_npt(v, npt12_new());
	v->control.misc_ctl |= MISC_CTL_GMET;
	v->save.cpl = cpl;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	s = cpu->nested.snpt;
	for (unsigned i = 0; i < SNPT_MAX_ROOTS; i++)
		if (s->roots[i].valid && s->roots[i].hpa == cpu->nested.npt_root)
			return s->roots[i].exec;
	fail_msg("vmcb02's nCR3 is no shadow root");
	return SNPT_EXEC_SUPERVISOR;
}

static void test_cpl_and_execution_class(void **state)
{
	(void)state;
	assert_int_equal(root_class(0, 3), SNPT_EXEC_USER);
	assert_int_equal(root_class(0, 0), SNPT_EXEC_SUPERVISOR);
	assert_int_equal(root_class(1u << SVM_FEAT_GMET, 3), SNPT_EXEC_SUPERVISOR);
	/* vmcb02 carries GMET only where the CPU has it */
	assert_int_equal(cpu->nested.vmcb02->control.misc_ctl & MISC_CTL_GMET,
			 MISC_CTL_GMET);
}

/* ---- vmcb02 ------------------------------------------------------------- */

/*
 * vmcb02 from vmcb12 (APM Vol. 2 §15.5 VMRUN; docs/nested.md): L1's
 * intercepts OR'd with nestvisor's, INTn added while L1 intercepts #BP,
 * L1's ASID n as host ASID n + 1, TSC offsets added, the shadow root as
 * nCR3, L2's state, and L1's current VMLOAD state (VMRUN does not load
 * FS, GS, ...).  Without NP, L2 runs on nestvisor's NPT for L1.
 */
static void test_vmcb02_construction(void **state)
{
	struct vmcb *v, *v02;
	const struct vmcb_control *c;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	use_npt(v, npt12_new());
	v->control.intercept_cr = 0x00010001;
	v->control.intercept_exceptions = 1u << X86_VEC_BP;
	v->control.intercept_misc1 |= INTERCEPT1_CPUID;
	v->control.asid = 7;
	v->control.tsc_offset = 1000;
	cpu->vmcb01->control.tsc_offset = 20;
	v->control.int_ctl = V_INTR_MASKING | V_IRQ | (3u << V_INTR_PRIO_SHIFT);
	v->control.int_vector = 0x55;
	v->control.event_inj.raw = 0x80000b0d; /* #GP with an error code */
	v->control.event_inj_err = 0x18;
	v->save.rip = 0x123456;
	v->save.rsp = 0x7ff0;
	v->save.rax = 0xabcd;
	cpu->vmcb01->save.fs.base = 0xf5;
	cpu->vmcb01->save.kernel_gs_base = 0xf6;
	cpu->vmcb01->save.lstar = 0xf7;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	v02 = cpu->nested.vmcb02;
	c = &v02->control;
	assert_ptr_equal(cpu->cur, v02);
	/* L1's, and nestvisor's own write of CR4 (bit 16 + 4, APM Vol. 2
	 * §15.9), which it checks as the CPU would. */
	assert_int_equal(c->intercept_cr, 0x00010001 | (1u << 20));
	assert_int_equal(c->intercept_misc1 & (L0_INTERCEPT1 | INTERCEPT1_HLT |
					       INTERCEPT1_CPUID | INTERCEPT1_SWINT),
			 L0_INTERCEPT1 | INTERCEPT1_HLT | INTERCEPT1_CPUID |
			 INTERCEPT1_SWINT);
	assert_int_equal(c->intercept_misc2 & L0_INTERCEPT2, L0_INTERCEPT2);
	assert_int_equal(c->intercept_exceptions,
			 (1u << X86_VEC_BP) | L0_INTERCEPT_EXCEPTIONS);
	assert_int_equal(c->asid, 8);
	assert_int_equal(c->tsc_offset, 1020);
	assert_int_equal(c->int_ctl & (V_INTR_MASKING | V_IRQ | V_INTR_PRIO_MASK),
			 V_INTR_MASKING | V_IRQ | (3u << V_INTR_PRIO_SHIFT));
	assert_int_equal(c->int_vector, 0x55);
	assert_int_equal(c->event_inj.raw, 0x80000b0d);
	assert_int_equal(c->event_inj_err, 0x18);
	assert_int_equal(c->misc_ctl & MISC_CTL_NP_ENABLE, MISC_CTL_NP_ENABLE);
	assert_int_equal(c->nested_cr3, cpu->nested.npt_root);
	assert_int_equal(v02->save.rip, 0x123456);
	assert_int_equal(v02->save.rsp, 0x7ff0);
	assert_int_equal(v02->save.rax, 0xabcd);
	assert_int_equal(v02->save.efer & X86_EFER_SVME, X86_EFER_SVME);
	assert_int_equal(v02->save.fs.base, 0xf5);
	assert_int_equal(v02->save.kernel_gs_base, 0xf6);
	assert_int_equal(v02->save.lstar, 0xf7);
	/* L1 resumes after its VMRUN */
	assert_int_equal(cpu->vmcb01->save.rip, 0x1003);
	/* GIF set by VMRUN; L1's IF (clear) is the host IF for vmcb02 */
	assert_true(cpu->nested.gif);
	assert_int_equal(cpu->cur_host_if, 0);

	/* without nested paging: nestvisor's NPT for L1 */
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	l1_vmrun(v);
	assert_int_equal(cpu->nested.vmcb02->control.nested_cr3, hvmem.npt_root);
	/* no #BP/#OF intercept: no INTn intercept either */
	assert_int_equal(cpu->nested.vmcb02->control.intercept_misc1 &
			 INTERCEPT1_SWINT, 0);
}

/*
 * VMRUN runs the VMCB at rAX and #VMEXIT writes into that one (APM Vol. 2
 * §15.5, §15.6), also when L1 alternates between two VMCBs, and one
 * VMCB run again after the other is read anew.
 */
static void test_vmrun_follows_rax(void **state)
{
	struct vmcb *a, *b;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	a = vmcb12_new();
	b = vmcb12_new();
	a->save.rip = 0xa000;
	b->save.rip = 0xb000;
	for (int i = 0; i < 4; i++) {
		struct vmcb *run = i & 1 ? b : a, *other = i & 1 ? a : b;

		run->control.exit_code = 0;
		other->control.exit_code = 0;
		l1_vmrun(run);
		assert_true(cpu->nested.guest_mode);
		assert_int_equal(cpu->nested.vmcb02->save.rip, run->save.rip);
		l2_exit(VMEXIT_HLT, 0, 0, 0);
		assert_false(cpu->nested.guest_mode);
		assert_int_equal(run->control.exit_code, VMEXIT_HLT);
		assert_int_equal(other->control.exit_code, 0);
	}
	/* the same VMCB again, changed meanwhile */
	b->save.rip = 0xb100;
	l1_vmrun(b);
	assert_int_equal(cpu->nested.vmcb02->save.rip, 0xb100);
}

/*
 * A software event L1 injects (INTn, type 4; INT3's #BP, type 3 vector 3)
 * returns to vmcb12's next_rip: with NRIPS the CPU pushes vmcb02's
 * next_rip for it (APM Vol. 2 §15.20, §15.7.1).  A hardware exception
 * (#GP) and no event at all leave next_rip clear.
 */
static void soft_injection_case(uint32_t event_inj, uint64_t want_next_rip)
{
	struct vmcb *v;

	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.event_inj.raw = event_inj;
	v->control.next_rip = 0x4002;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(cpu->nested.vmcb02->control.next_rip, want_next_rip);
	assert_int_equal(cpu->nested.vmcb02->save.rip, 0x4000);
}

static void test_soft_injection_next_rip(void **state)
{
	(void)state;
	soft_injection_case(0x80000480, 0x4002); /* INT 0x80 */
	soft_injection_case(0x80000303, 0x4002); /* #BP of INT3 */
	soft_injection_case(0x80000b0d, 0);      /* #GP, error code 0 */
	soft_injection_case(0, 0);
}

/*
 * Which exits of L2 are L1's (APM Vol. 2 §15.8-§15.15, Table B-1): one
 * bit per CR/DR read and write, per exception vector and per instruction;
 * the MSR map's two bits (§15.11: MSRs outside its three ranges always
 * intercepted); the I/O map's bits for every byte of the access
 * (§15.10.1).
 */
static void test_reflection_decisions(void **state)
{
	struct vmcb *v;
	uint8_t *msrpm, *iopm;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	msrpm = (uint8_t *)l1_page();
	l1_page();
	iopm = (uint8_t *)l1_page();
	l1_page();
	l1_page();
	v->control.intercept_cr = 1u << 16 | 1u << 3;   /* write CR0, read CR3 */
	v->control.intercept_dr = 1u << (16 + 7);       /* write DR7 */
	v->control.intercept_exceptions = 1u << 14;     /* #PF */
	v->control.intercept_misc1 |= INTERCEPT1_RDTSC | INTERCEPT1_MSR_PROT |
				      INTERCEPT1_IOIO_PROT;
	v->control.intercept_misc2 |= INTERCEPT2_VMMCALL;
	v->control.msrpm_base_pa = (uint64_t)msrpm;
	v->control.iopm_base_pa = (uint64_t)iopm;
	msrpm[0x800 + 0x82 * 2 / 8] = 1u << (0x82 * 2 % 8); /* read LSTAR */
	iopm[0x61 / 8] = 1u << (0x61 % 8);                   /* port 61h */
	l1_vmrun(v);
	assert_true(nested_l1_intercepts(cpu, VMEXIT_CR0_WRITE, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_CR0_READ, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_CR0_READ + 3, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_DR0_WRITE + 7, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_DR0_READ + 7, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_EXCP_BASE + 14, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_EXCP_BASE + 13, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_RDTSC, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_CPUID, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_VMMCALL, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_VMLOAD, 0));
	cpu->gregs.rcx = 0xc0000082;
	assert_true(nested_l1_intercepts(cpu, VMEXIT_MSR, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_MSR, 1));
	cpu->gregs.rcx = 0xc0000081;
	assert_false(nested_l1_intercepts(cpu, VMEXIT_MSR, 0));
	cpu->gregs.rcx = 0x40000000; /* outside the three ranges */
	assert_true(nested_l1_intercepts(cpu, VMEXIT_MSR, 0));
	/* IN AL, 61h; IN AX, 60h (ports 60h-61h); IN AL, 60h */
	assert_true(nested_l1_intercepts(cpu, VMEXIT_IOIO, 0x610011));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_IOIO, 0x600021));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_IOIO, 0x600011));
	/* vmcb02's maps: nestvisor's bits OR'd with L1's */
	assert_int_equal(cpu->nested.msrpm02[0x800 + 0x82 * 2 / 8] & 0x10, 0x10);
	assert_int_equal(cpu->nested.msrpm02[0x800 + 0x80 * 2 / 8] & 3, 3); /* EFER */
	assert_int_equal(cpu->nested.iopm02[0x61 / 8] & 2, 2);
	assert_int_equal(cpu->nested.iopm02[0xf4 / 8] & 0xf0, 0xf0);
}

/* ---- events ------------------------------------------------------------- */

/*
 * EXITINTINFO as L1 sees it (APM Vol. 2 §15.7.2; docs/semantics.md
 * §10.3): QEMU TCG reports an interrupted external interrupt as type 3
 * with its vector, an NMI as type 3 vector 2; L1 gets type 0 and type 2.
 */
static void reflect_npf_with(uint32_t cpu_value, uint32_t want)
{
	struct vmcb *v;

	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	use_npt(v, npt12_new());
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x9000, cpu_value);
	assert_int_equal(v->control.exit_code, VMEXIT_NPF);
	assert_int_equal(v->control.exit_int_info.raw, want);
	assert_int_equal(v->control.exit_int_info_err, 0);
}

static void test_exitintinfo_to_l1(void **state)
{
	(void)state;
	reflect_npf_with(0x80000331, 0x80000031);
	reflect_npf_with(0x800003de, 0x800000de);
	reflect_npf_with(0x80000302, 0x80000202);
	reflect_npf_with(0x80000306, 0x80000306); /* #UD is an exception */
	reflect_npf_with(0x00000331, 0x00000331); /* V=0 */
}

/*
 * An exit nestvisor handles itself (here the shadow installs a page L1's
 * NPT maps) during an event's delivery: the event is injected again with
 * its architectural type (a VMRUN with type 3 and vector 2 or >= 32
 * fails, APM §15.20); INTn raised by L2's own instruction is not (RIP is
 * still at the INT, which runs again); INTn nestvisor injected is.
 */
static void reinject_after(uint32_t cpu_value, uint32_t entered, uint32_t want)
{
	struct vmcb *v;
	uint64_t ncr3;

	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	l1_vmrun(v);
	cpu->injected[1].raw = entered;
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER | PFERR_WRITE,
		0x200000, cpu_value);
	assert_true(cpu->nested.guest_mode);
	assert_true(shadow_maps(0x200000));
	assert_int_equal(cpu->nested.vmcb02->control.event_inj.raw, want);
}

static void test_reinjection(void **state)
{
	(void)state;
	reinject_after(0x80000331, 0, 0x80000031);
	reinject_after(0x80000302, 0, 0x80000202);
	reinject_after(0x80000b0e, 0, 0x80000b0e);
	reinject_after(0x80000441, 0, 0);
	reinject_after(0x80000441, 0x80000441, 0x80000441);
	reinject_after(0, 0, 0);
}

/*
 * An exception nestvisor raises in L2 while L1 intercepts it: #VMEXIT
 * 0x40 + vector with EXITINFO1 = the error code (APM §15.12).  VMMCALL
 * that L1 does not intercept raises #UD (§15.16).
 */
static void test_exception_intercept(void **state)
{
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.intercept_exceptions = 1u << X86_VEC_UD;
	l1_vmrun(v);
	l2_exit(VMEXIT_VMMCALL, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_EXCP_BASE + X86_VEC_UD);
	assert_int_equal(v->control.exit_info_1, 0);
	assert_int_equal(v->save.rip, 0x4000);

	/* not intercepted: injected into L2 */
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	l1_vmrun(v);
	l2_exit(VMEXIT_VMMCALL, 0, 0, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(cpu->nested.vmcb02->control.event_inj.raw,
			 0x80000306);
}

/* ---- the GIF ------------------------------------------------------------ */

/*
 * APM §15.17: CLGI holds INTR and NMI; STGI lets them in, NMI first.
 * vmcb01 with the GIF clear: V_INTR_MASKING (with the host IF clear);
 * NMI is always intercepted (other CPUs' kicks, svm/smp.c); an NMI that
 * comes and was no kick is collected and held, and injected before the
 * first VMRUN after STGI sets the GIF; VMRUN sets the GIF, #VMEXIT
 * clears it.
 */
static void test_gif(void **state)
{
	struct vmcb_control *c01;
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, false);                 /* CLGI */
	assert_false(cpu->nested.gif);
	assert_int_equal(c01->int_ctl & V_INTR_MASKING, V_INTR_MASKING);
	assert_int_equal(c01->intercept_misc1 & INTERCEPT1_NMI, INTERCEPT1_NMI);
	assert_int_equal(cpu->cur_host_if, 0);
	/* a kick: collected, not the guest's */
	hw.nmi_pending = true;
	cpu->kicked = 1;
	smp_handle_nmi(cpu);                    /* the NMI intercept */
	assert_int_equal(hw.collect, 1);
	assert_false(cpu->nmi_pending);
	/* an NMI from outside: held while the GIF is clear */
	hw.nmi_pending = true;
	smp_handle_nmi(cpu);
	assert_int_equal(hw.collect, 2);
	assert_true(cpu->nmi_pending);
	nmi_deliver(cpu);                       /* before VMRUN */
	assert_false(c01->event_inj.valid);
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, true);                  /* STGI */
	assert_true(cpu->nested.gif);
	assert_int_equal(c01->int_ctl & V_INTR_MASKING, 0);
	assert_int_equal(c01->intercept_misc1 & INTERCEPT1_NMI, INTERCEPT1_NMI);
	nmi_deliver(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->event_inj.raw, 0x80000202); /* V, NMI, vector 2 */
	c01->event_inj.raw = 0;

	/* CLGI; VMRUN: GIF set for L2, with L1's IF as the host IF */
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, false);
	cpu->vmcb01->save.rflags |= X86_RFLAGS_IF;
	v = vmcb12_new();
	v->control.int_ctl = V_INTR_MASKING;
	l1_vmrun(v);
	assert_true(cpu->nested.gif);
	assert_int_equal(cpu->cur_host_if, 1);
	/* L2's CLGI (not intercepted): held while L2 runs */
	cpu->nested.vmcb02->control.next_rip = cpu->nested.vmcb02->save.rip + 3;
	l2_exit(VMEXIT_CLGI, 0, 0, 0);
	assert_false(cpu->nested.gif);
	assert_int_equal(cpu->cur_host_if, 0);
	assert_int_equal(cpu->nested.vmcb02->control.intercept_misc1 &
			 INTERCEPT1_NMI, INTERCEPT1_NMI);
	/* #VMEXIT: the GIF clear for L1 */
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_false(cpu->nested.gif);
	assert_int_equal(c01->int_ctl & V_INTR_MASKING, V_INTR_MASKING);
}

/*
 * SMIs and the GIF (docs/semantics.md §12): APM §15.17, the CPU holds an
 * SMI while the GIF is clear and takes it when STGI or VMRUN sets the
 * GIF, before a held NMI (§8.5, simultaneous priorities: SMI, NMI, INTR);
 * VMRUN with an SMI pending and SMI intercepted: #VMEXIT(SMI) before L2
 * runs, the SMI still pending (§15.13.3).  The SMI here is a write to the
 * SMI command port (ACPI §5.2.9 SMI_CMD, 0xB2 as on q35): the write and
 * its SMI come at once with the GIF set, after STGI with it clear.
 */
static void test_smi_held_by_gif(void **state)
{
	struct vmcb_control *c01;
	struct vmcb *v;
	uint64_t rax;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	smi_cmd_init(0xb2, cpu->iopm);
	assert_true(cpu->iopm[0xb2 / 8] & (1u << (0xb2 % 8)));
	/* APM §15.10.1: an access of N bytes is every port it covers */
	assert_true(smi_cmd_owns(0xb2, 1) && smi_cmd_owns(0xb1, 2) &&
		    smi_cmd_owns(0xb0, 4));
	assert_false(smi_cmd_owns(0xb3, 1) || smi_cmd_owns(0xb0, 2) ||
		     smi_cmd_owns(0xb1, 1));

	/* GIF set: the command and its SMI before L1's next instruction */
	smi_cmd_io(cpu, 0xb2, 1, false, 0x42);
	gif_deliver_held(cpu);                  /* before VMRUN */
	assert_int_equal(hw.nr_outs, 1);
	assert_int_equal(hw.outs[0], 0xb242);
	assert_int_equal(hw.smis, 1);
	assert_false(cpu->smi_held);

	/* CLGI: an NMI and the command wait; 0xB3 of a 16-bit OUT does not;
	 * an IN of the port reads the command; a second one replaces it */
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, false);
	hw.nmi_pending = true;
	smp_handle_nmi(cpu);
	assert_true(cpu->nmi_pending);
	smi_cmd_io(cpu, 0xb2, 2, false, 0x0907);
	assert_int_equal(hw.nr_outs, 2);
	assert_int_equal(hw.outs[1], 0xb309);
	rax = smi_cmd_io(cpu, 0xb2, 1, true, 0x12345600);
	assert_int_equal(rax, 0x12345607);
	rax = smi_cmd_io(cpu, 0xb2, 4, true, ~0ull); /* 0xb2..0xb5, zero-extended */
	assert_int_equal(rax, 0xa5a4a307);
	gif_deliver_held(cpu);
	assert_int_equal(hw.smis, 1);
	assert_int_equal(hw.nr_outs, 2);
	assert_false(c01->event_inj.valid);
	smi_cmd_io(cpu, 0xb2, 1, false, 0x08);
	/* STGI: the SMI, then the NMI */
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, true);
	gif_deliver_held(cpu);
	assert_int_equal(hw.smis, 2);
	assert_int_equal(hw.outs[2], 0xb208);
	assert_false(hw.event_before_smi);      /* the NMI came after */
	assert_int_equal(c01->event_inj.raw, 0x80000202);
	assert_false(cpu->nmi_pending || cpu->smi_held);
	c01->event_inj.raw = 0;

	/* CLGI; command; VMRUN of an L2 whose SMIs L1 intercepts: the
	 * #VMEXIT(SMI) comes before L2 runs (its RIP unchanged), EXITINFO1
	 * and 2 zero; the SMI waits for L1's STGI, and a held NMI with it */
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, false);
	smi_cmd_io(cpu, 0xb2, 1, false, 0x09);
	hw.nmi_pending = true;
	smp_handle_nmi(cpu);
	v = vmcb12_new();
	v->control.intercept_misc1 |= INTERCEPT1_SMI | INTERCEPT1_NMI;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode && cpu->nested.gif);
	gif_deliver_held(cpu);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_SMI);
	assert_int_equal(v->control.exit_info_1, 0);
	assert_int_equal(v->control.exit_info_2, 0);
	assert_int_equal(v->save.rip, 0x4000);
	assert_false(cpu->nested.gif);
	assert_true(cpu->smi_held && cpu->nmi_pending);
	assert_int_equal(hw.smis, 2);
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, true);
	gif_deliver_held(cpu);
	assert_int_equal(hw.smis, 3);
	assert_false(hw.event_before_smi);
	assert_int_equal(c01->event_inj.raw, 0x80000202);
	c01->event_inj.raw = 0;

	/* not intercepted: taken at VMRUN, in L2's time, L2 runs */
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, false);
	smi_cmd_io(cpu, 0xb2, 1, false, 0x0a);
	v = vmcb12_new();
	l1_vmrun(v);
	gif_deliver_held(cpu);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(hw.smis, 4);
	assert_int_equal(hw.outs[hw.nr_outs - 1], 0xb20a);

	/* an SMI from outside while L2 runs: taken at once, and L1, which
	 * intercepts SMI, gets the #VMEXIT */
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	v = vmcb12_new();
	v->control.intercept_misc1 |= INTERCEPT1_SMI;
	l1_vmrun(v);
	l2_exit(VMEXIT_SMI, 0, 0, 0);
	assert_int_equal(hw.smis, 5);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_SMI);
}

/*
 * L1's GIF in the CPU's vGIF (APM Vol. 2 §15.33.2, "Virtual GIF": with
 * V_GIF_ENABLE, the guest's CLGI and STGI clear and set V_GIF and do not
 * exit unless intercepted; V_GIF holds virtual interrupts only).  L1
 * takes its physical interrupts directly, so while its GIF is in V_GIF
 * vmcb01 must intercept INTR (§15.13.1) to hold them as the GIF would
 * (§15.17), and NMI (always intercepted); once something waits for the
 * GIF, it is held in software again and STGI exits.  CLGI/STGI raise
 * #UD while EFER.SVME is clear (§15.4), which the CPU, seeing vmcb01's
 * EFER.SVME, cannot: they are intercepted again then.
 */
static bool vgif_mode(const struct vmcb_control *c)
{
	return (c->int_ctl & V_GIF_ENABLE) && !(c->int_ctl & V_INTR_MASKING) &&
	       (c->intercept_misc1 & INTERCEPT1_INTR) &&
	       (c->intercept_misc1 & INTERCEPT1_NMI) &&
	       !(c->intercept_misc2 & (INTERCEPT2_CLGI | INTERCEPT2_STGI));
}

/* nestvisor holds the GIF itself: CLGI and STGI exit, INTR does not. */
static bool sw_gif(const struct vmcb_control *c, bool gif)
{
	return !(c->int_ctl & V_GIF_ENABLE) &&
	       !!(c->int_ctl & V_INTR_MASKING) == !gif &&
	       !(c->intercept_misc1 & INTERCEPT1_INTR) &&
	       (c->intercept_misc1 & INTERCEPT1_NMI) &&
	       (c->intercept_misc2 & INTERCEPT2_CLGI) &&
	       (c->intercept_misc2 & INTERCEPT2_STGI);
}

static void l1_insn(unsigned len)
{
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + len;
}

static void test_l1_vgif(void **state)
{
	struct vmcb_control *c01;
	struct vmcb *v;
	unsigned smis;

	(void)state;
	cpu_up(1u << SVM_FEAT_VGIF, 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	l1_insn(3);
	nested_gif(cpu, false);                 /* CLGI exits once */
	assert_true(vgif_mode(c01));
	assert_int_equal(c01->int_ctl & V_GIF, 0);
	assert_false(nested_gif_get(cpu));
	assert_int_equal(cpu->cur_host_if, 0);
	/* L1's STGI, run by the CPU: V_GIF set */
	c01->int_ctl |= V_GIF;
	assert_true(nested_gif_get(cpu));
	/* an INTR exit with V_GIF set: L1 takes it itself */
	nested_gif_hold(cpu);
	assert_true(sw_gif(c01, true));
	assert_true(nested_gif_get(cpu));
	/* CLGI exits: V_GIF again; an INTR exit with V_GIF clear: held
	 * until STGI, which exits */
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(vgif_mode(c01));
	nested_gif_hold(cpu);
	assert_true(sw_gif(c01, false));
	assert_false(nested_gif_get(cpu));
	l1_insn(3);
	nested_gif(cpu, true);                  /* STGI */
	assert_true(sw_gif(c01, true));

	/* an NMI from outside while V_GIF is clear: held, STGI exits */
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(vgif_mode(c01));
	hw.nmi_pending = true;
	smp_handle_nmi(cpu);
	assert_true(cpu->nmi_pending);
	nmi_deliver(cpu);
	assert_false(c01->event_inj.valid);
	assert_true(sw_gif(c01, false));
	l1_insn(3);
	nested_gif(cpu, true);                  /* STGI */
	assert_true(sw_gif(c01, true));
	nmi_deliver(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->event_inj.raw, 0x80000202); /* V, NMI, vector 2 */
	c01->event_inj.raw = 0;

	/* a write to the SMI command port while V_GIF is clear (an I/O
	 * exit): the request is held (§15.17: the GIF holds the SMI) and
	 * the GIF goes back into software, so that STGI exits and the SMI
	 * comes then; a CLGI meanwhile does not put it into V_GIF again */
	smi_cmd_init(0xb2, cpu->iopm);
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(vgif_mode(c01));
	smis = hw.smis;
	smi_cmd_io(cpu, 0xb2, 1, false, 0x42);
	assert_true(cpu->smi_held);
	assert_true(sw_gif(c01, false));
	l1_insn(3);
	nested_gif(cpu, false);                 /* CLGI again */
	assert_true(sw_gif(c01, false));
	gif_deliver_held(cpu);
	assert_int_equal(hw.smis, smis);
	l1_insn(3);
	nested_gif(cpu, true);                  /* STGI */
	gif_deliver_held(cpu);
	assert_int_equal(hw.smis, smis + 1);
	assert_false(cpu->smi_held);
	assert_true(sw_gif(c01, true));

	/* VMRUN sets the GIF, #VMEXIT clears it: V_GIF clear for L1 */
	v = vmcb12_new();
	l1_vmrun(v);
	assert_true(cpu->nested.gif);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_true(vgif_mode(c01));
	assert_int_equal(c01->int_ctl & V_GIF, 0);

	/* L1 clears EFER.SVME: CLGI and STGI exit again (#UD) */
	cpu->gregs.rcx = MSR_EFER;
	cpu->vmcb01->save.rax = cpu->vmcb01->save.efer & ~X86_EFER_SVME;
	cpu->gregs.rdx = 0;
	c01->exit_info_1 = 1;                   /* WRMSR */
	l1_insn(2);
	handle_msr(cpu);
	assert_false(cpu->nested.svme);
	assert_true(sw_gif(c01, false));
	l1_insn(3);
	nested_gif(cpu, true);
	assert_int_equal(c01->event_inj.raw, 0x80000306); /* #UD */
}

/*
 * After an INTR exit took L1's GIF out of V_GIF (vmcb01 must not hold a
 * physical interrupt in V_GIF, APM Vol. 2 §15.33.2), the GIF may go back
 * into V_GIF at a later exit of L1 without waiting for its CLGI: V_GIF
 * then equals the GIF (set), and vmcb01 is as after L1's own STGI in
 * V_GIF mode.  Not at the INTR exit itself nor at the STGI that opens
 * the GIF (the interrupt is still to be taken then: going into V_GIF
 * would make it exit again), not while the GIF is clear, and only if L1
 * ran a guest since the last such return (else an L1 that stopped
 * running guests would see every interrupt exit).
 */
static void test_l1_vgif_resume(void **state)
{
	struct vmcb_control *c01;
	struct vmcb *v;

	(void)state;
	cpu_up(1u << SVM_FEAT_VGIF, 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	v = vmcb12_new();
	l1_vmrun(v);
	l2_exit(VMEXIT_HLT, 0, 0, 0);           /* #VMEXIT: V_GIF clear */
	assert_true(vgif_mode(c01));
	c01->int_ctl |= V_GIF;                  /* L1's STGI, by the CPU */

	/* an INTR exit with V_GIF set: L1 takes it itself */
	nested_gif_intr(cpu);
	assert_true(sw_gif(c01, true));
	nested_gif_resume(cpu, VMEXIT_INTR);    /* not at the INTR exit */
	assert_true(sw_gif(c01, true));
	nested_gif_resume(cpu, VMEXIT_NPF);     /* L1's EOI: back in V_GIF */
	assert_true(vgif_mode(c01));
	assert_true(c01->int_ctl & V_GIF);
	assert_true(nested_gif_get(cpu));
	assert_int_equal(cpu->cur_host_if, 0);
	/* its CLGI, by the CPU */
	c01->int_ctl &= ~V_GIF;
	assert_false(nested_gif_get(cpu));

	/* no guest ran since: the next INTR leaves V_GIF until CLGI */
	c01->int_ctl |= V_GIF;
	nested_gif_intr(cpu);
	assert_true(sw_gif(c01, true));
	nested_gif_resume(cpu, VMEXIT_NPF);
	assert_true(sw_gif(c01, true));
	l1_insn(3);
	nested_gif(cpu, false);                 /* CLGI exits */
	assert_true(vgif_mode(c01));

	/* a guest ran; an INTR exit with V_GIF clear: held until STGI,
	 * which exits; V_GIF again at the exit after the STGI's */
	l1_vmrun(v);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_true(vgif_mode(c01));
	nested_gif_intr(cpu);
	assert_true(sw_gif(c01, false));
	nested_gif_resume(cpu, VMEXIT_VMLOAD);  /* the GIF is clear: no */
	assert_true(sw_gif(c01, false));
	assert_false(nested_gif_get(cpu));
	l1_insn(3);
	nested_gif(cpu, true);                  /* STGI */
	assert_true(sw_gif(c01, true));
	nested_gif_resume(cpu, VMEXIT_STGI);    /* not at the STGI exit */
	assert_true(sw_gif(c01, true));
	nested_gif_resume(cpu, VMEXIT_VMSAVE);
	assert_true(vgif_mode(c01));
	assert_true(nested_gif_get(cpu));

	/* an NMI waits for the GIF: it stays in software */
	l1_vmrun(v);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	c01->int_ctl |= V_GIF;
	nested_gif_intr(cpu);
	cpu->nmi_pending = true;
	nested_gif_resume(cpu, VMEXIT_NPF);
	assert_true(sw_gif(c01, true));
	nmi_deliver(cpu);
	assert_false(cpu->nmi_pending);
	c01->event_inj.raw = 0;
	nested_gif_resume(cpu, VMEXIT_NPF);
	assert_true(vgif_mode(c01));
}

/*
 * L1's NMIs through vmcb01's virtual NMI, on a CPU with vNMI (CPUID
 * Fn8000_000A_EDX[25]).  APM Vol. 2 §15.21.10: int_ctl bit 26 enables it,
 * bit 11 (V_NMI) is the pending virtual NMI, bit 12 (V_NMI_MASK) is set by
 * the CPU when it takes it and cleared by the guest's IRET; the CPU takes
 * it when the mask is clear.  So an NMI for L1 is posted in bit 11 and no
 * EVENTINJ is used (an injected NMI would block physical NMIs until L1's
 * IRET, and with them other CPUs' kicks).  The GIF holds it as before
 * (§15.17): one posted and still undelivered when L1's CLGI exits is held
 * until STGI; at L1's VMRUN it goes L2's way (#VMEXIT(NMI) for an L1 that
 * intercepts NMI, §15.13.2).  The constants are the APM's, written here.
 */
#define APM_INT_CTL_V_NMI      (1u << 11)
#define APM_INT_CTL_V_NMI_MASK (1u << 12)
#define APM_INT_CTL_V_NMI_EN   (1u << 26)
#define APM_CPUID_VNMI         (1u << 25)

static void test_l1_vnmi(void **state)
{
	struct vmcb_control *c01, plain = { 0 };
	struct vmcb *v;

	(void)state;
	cpu_up(APM_CPUID_VNMI | (1u << SVM_FEAT_VGIF), 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	/* vmcb01's set-up (svm/vmcb01.c) and L1's INIT (svm/init_sipi.c):
	 * enabled, nothing pending or in service; other bits kept; no
	 * vNMI on a CPU without it */
	c01->int_ctl = APM_INT_CTL_V_NMI | APM_INT_CTL_V_NMI_MASK | 0x5;
	vnmi01_setup(c01, svm_has(&cpu->caps, SVM_FEAT_VNMI));
	assert_int_equal(c01->int_ctl, APM_INT_CTL_V_NMI_EN | 0x5);
	c01->int_ctl = APM_INT_CTL_V_NMI_EN;
	plain.int_ctl = APM_INT_CTL_V_NMI_EN | APM_INT_CTL_V_NMI;
	vnmi01_setup(&plain, false);
	assert_int_equal(plain.int_ctl, 0);

	/* an NMI from outside while L1 runs: posted, no EVENTINJ */
	hw.nmi_pending = true;
	smp_handle_nmi(cpu);
	assert_true(cpu->nmi_pending);
	nmi_deliver(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->event_inj.raw, 0);
	assert_int_equal(c01->int_ctl, APM_INT_CTL_V_NMI_EN | APM_INT_CTL_V_NMI);
	/* L1 took it (the CPU: V_NMI := 0, V_NMI_MASK := 1) and stays in its
	 * handler.  A kick still exits, and is a kick; another NMI is
	 * latched behind the mask, a third merges with it */
	c01->int_ctl = APM_INT_CTL_V_NMI_EN | APM_INT_CTL_V_NMI_MASK;
	hw.nmi_pending = true;
	cpu->kicked = 1;
	smp_handle_nmi(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(cpu->kicked, 0);
	for (int i = 0; i < 2; i++) {
		hw.nmi_pending = true;
		smp_handle_nmi(cpu);
		gif_deliver_held(cpu);
		assert_false(cpu->nmi_pending);
		assert_int_equal(c01->event_inj.raw, 0);
		assert_int_equal(c01->int_ctl, APM_INT_CTL_V_NMI_EN |
				 APM_INT_CTL_V_NMI_MASK | APM_INT_CTL_V_NMI);
	}
	/* an event already in EVENTINJ (#GP) does not hold it back: the CPU
	 * orders the two */
	c01->int_ctl = APM_INT_CTL_V_NMI_EN;
	c01->event_inj.raw = 0x80000b0d;
	cpu->nmi_pending = true;
	nmi_deliver(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->event_inj.raw, 0x80000b0d);
	assert_int_equal(c01->int_ctl, APM_INT_CTL_V_NMI_EN | APM_INT_CTL_V_NMI);
	c01->event_inj.raw = 0;

	/* L1's CLGI exits with it still undelivered: taken back and held
	 * (the GIF in software, not in V_GIF, while it is held); STGI
	 * posts it again */
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(cpu->nmi_pending);
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, 0);
	assert_true(sw_gif(c01, false));
	gif_deliver_held(cpu);
	assert_true(cpu->nmi_pending);
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, 0);
	assert_int_equal(c01->event_inj.raw, 0);
	l1_insn(3);
	nested_gif(cpu, true);                  /* STGI */
	gif_deliver_held(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, APM_INT_CTL_V_NMI);
	assert_int_equal(c01->event_inj.raw, 0);

	/* L1's GIF in V_GIF, and L1's STGI run by the CPU: posting takes the
	 * GIF back into software, so that L1's next CLGI exits and holds it */
	c01->int_ctl &= ~APM_INT_CTL_V_NMI;
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(vgif_mode(c01));
	c01->int_ctl |= V_GIF;
	cpu->nmi_pending = true;
	nmi_deliver(cpu);
	assert_true(sw_gif(c01, true));
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, APM_INT_CTL_V_NMI);
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(sw_gif(c01, false));
	assert_true(cpu->nmi_pending);
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, 0);
	l1_insn(3);
	nested_gif(cpu, true);
	gif_deliver_held(cpu);
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, APM_INT_CTL_V_NMI);

	/* L1, in its NMI handler with one latched, runs an L2 whose NMIs it
	 * intercepts: the latched one leaves vmcb01 and becomes L1's
	 * #VMEXIT(NMI); L1's mask stays in vmcb01; after the #VMEXIT the
	 * GIF holds it until STGI, which posts it in vmcb01 again */
	c01->int_ctl |= APM_INT_CTL_V_NMI_MASK;
	v = vmcb12_new();
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(c01->int_ctl & (APM_INT_CTL_V_NMI | APM_INT_CTL_V_NMI_MASK),
			 APM_INT_CTL_V_NMI_MASK);
	assert_true(cpu->nmi_pending);
	gif_deliver_held(cpu);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_NMI);
	assert_true(cpu->nmi_pending);
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, 0);
	l1_insn(3);
	nested_gif(cpu, true);
	gif_deliver_held(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->int_ctl & (APM_INT_CTL_V_NMI | APM_INT_CTL_V_NMI_MASK),
			 APM_INT_CTL_V_NMI | APM_INT_CTL_V_NMI_MASK);
	assert_int_equal(c01->event_inj.raw, 0);
}

/* Without vGIF the GIF stays in software: test_gif. */

/*
 * L1's VMLOAD and VMSAVE on the CPU's virtual VMLOAD/VMSAVE (APM Vol. 2
 * §15.33.1, "VMSAVE and VMLOAD Virtualization": with virt_ext bit 1 and
 * the intercepts clear, a guest in 64-bit mode with nested paging runs
 * them with rAX a guest-physical address, translated through the VMCB's
 * nested page table).  vmcb01 runs on nestvisor's NPT for L1, so what they
 * can reach is what that table maps: no page of nestvisor's region
 * translates into the region.  While L1's EFER.SVME is clear they must
 * raise #UD (§15.4), which the CPU cannot know: intercepted again.
 * vmcb02 never gets the feature (not offered to L1; CVE-2021-3656 was an
 * L2 running VMLOAD on a host-physical rAX).
 */
static bool vls_on(const struct vmcb_control *c)
{
	return (c->virt_ext & VIRT_EXT_VVMSAVE) &&
	       !(c->intercept_misc2 & (INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE));
}

static bool vls_off(const struct vmcb_control *c)
{
	return !(c->virt_ext & VIRT_EXT_VVMSAVE) &&
	       (c->intercept_misc2 & INTERCEPT2_VMLOAD) &&
	       (c->intercept_misc2 & INTERCEPT2_VMSAVE);
}

/* L1 writes EFER (WRMSR, 2 bytes). */
static void l1_wrmsr_efer(uint64_t efer)
{
	struct vmcb *v01 = cpu->vmcb01;

	cpu->gregs.rcx = MSR_EFER;
	v01->save.rax = (uint32_t)efer;
	cpu->gregs.rdx = efer >> 32;
	v01->control.exit_info_1 = 1;
	l1_insn(2);
	handle_msr(cpu);
	assert_false(v01->control.event_inj.valid);
}

/* Where nestvisor's NPT for L1 sends the L1 address gpa (~0: nowhere). */
static uint64_t npt01_target(uint64_t gpa)
{
	unsigned lvl;
	uint64_t *e = pt_walk(&hvmem.ptm, hvmem.npt_root, gpa, &lvl), size;

	if (!e || !(*e & PTE_P))
		return ~0ull;
	size = 1ull << (12 + 9 * (lvl - 1));
	return (*e & PTE64_ADDR_4K & ~(size - 1)) | (gpa & (size - 1));
}

/*
 * The V_GIF return (test_l1_vgif_resume) at an exit whose own handler
 * changes the GIF, run first as svm/exit.c does (dispatch_l1): L1's CLGI
 * (then intercepted, the GIF being in software) leaves the GIF clear in
 * V_GIF, so a later interrupt waits for STGI (APM Vol. 2 §15.17); L1's
 * VMRUN sets the GIF and runs L2 as from the software GIF (§15.33.2:
 * vmcb02 takes V_INTR_MASKING from vmcb12, the host IF is L1's), and the
 * #VMEXIT clears it again in V_GIF.  An SMI request held, or L1's
 * EFER.SVME clear (CLGI must raise #UD, §15.4), keeps the GIF in
 * software.
 */
static void test_l1_vgif_resume_orders(void **state)
{
	struct vmcb_control *c01, *c02;
	struct vmcb *v;

	(void)state;
	cpu_up(1u << SVM_FEAT_VGIF, 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	v = vmcb12_new();
	v->control.int_ctl = V_INTR_MASKING;
	l1_vmrun(v);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	c01->int_ctl |= V_GIF;                  /* L1's STGI, by the CPU */
	nested_gif_intr(cpu);
	assert_true(sw_gif(c01, true));

	/* L1's CLGI is its next exit: V_GIF, clear */
	nested_gif_resume(cpu, VMEXIT_CLGI);
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(vgif_mode(c01));
	assert_int_equal(c01->int_ctl & V_GIF, 0);
	assert_false(nested_gif_get(cpu));
	/* an interrupt now waits for STGI, which exits */
	nested_gif_intr(cpu);
	assert_true(sw_gif(c01, false));
	assert_false(nested_gif_get(cpu));
	nested_gif_resume(cpu, VMEXIT_VMLOAD);
	assert_true(sw_gif(c01, false));
	l1_insn(3);
	nested_gif(cpu, true);
	assert_true(sw_gif(c01, true));
	/* no guest ran since the GIF went back: it stays in software */
	nested_gif_resume(cpu, VMEXIT_VMSAVE);
	assert_true(sw_gif(c01, true));

	/* a guest ran; an INTR exit with V_GIF set; L1's VMRUN is its next
	 * exit: L2 runs as from the software GIF, and the #VMEXIT clears
	 * the GIF in V_GIF */
	l1_vmrun(v);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	c01->int_ctl |= V_GIF;
	nested_gif_intr(cpu);
	assert_true(sw_gif(c01, true));
	cpu->vmcb01->save.rflags |= X86_RFLAGS_IF;
	nested_gif_resume(cpu, VMEXIT_VMRUN);
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	c02 = &cpu->nested.vmcb02->control;
	assert_int_equal(c02->int_ctl & V_INTR_MASKING, V_INTR_MASKING);
	assert_int_equal(cpu->cur_host_if, 1);
	assert_int_equal(c01->int_ctl & (V_GIF | V_GIF_ENABLE), 0);
	assert_false(cpu->nested.l1_vgif);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_true(vgif_mode(c01));
	assert_int_equal(c01->int_ctl & V_GIF, 0);
	assert_false(nested_gif_get(cpu));

	/* an SMI request held: the GIF stays in software */
	c01->int_ctl |= V_GIF;
	l1_vmrun(v);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	c01->int_ctl |= V_GIF;
	nested_gif_intr(cpu);
	cpu->smi_held = true;
	nested_gif_resume(cpu, VMEXIT_NPF);
	assert_true(sw_gif(c01, true));
	cpu->smi_held = false;

	/* L1's EFER.SVME clear: its CLGI must exit (#UD) */
	cpu->nested.svme = false;
	nested_gif_resume(cpu, VMEXIT_NPF);
	assert_true(sw_gif(c01, true));
	cpu->nested.svme = true;
	nested_gif_resume(cpu, VMEXIT_NPF);
	assert_true(vgif_mode(c01));
	assert_true(nested_gif_get(cpu));
}

/*
 * The V_GIF return after an INTR exit (test_l1_vgif_resume) with an NMI
 * posted in vmcb01's V_NMI that L1 has not taken yet (in its NMI handler:
 * V_NMI_MASK set).  The GIF holds NMIs (APM Vol. 2 §15.17), and with the
 * GIF in V_GIF L1's CLGI runs without an exit (§15.33.2), so nothing would
 * take the posted NMI back when L1 clears its GIF: the CPU could deliver
 * it at L1's IRET with the GIF clear.  So the GIF stays in software while
 * one is posted, as after nmi_deliver() (test_l1_vnmi), and L1's CLGI
 * exits and holds it; once L1 has taken it, a later exit returns the GIF
 * to V_GIF.
 */
static void test_l1_vgif_resume_vnmi(void **state)
{
	struct vmcb_control *c01;
	struct vmcb *v;

	(void)state;
	cpu_up(APM_CPUID_VNMI | (1u << SVM_FEAT_VGIF), 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	vnmi01_setup(c01, svm_has(&cpu->caps, SVM_FEAT_VNMI));
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI_EN, APM_INT_CTL_V_NMI_EN);
	v = vmcb12_new();
	l1_vmrun(v);
	l2_exit(VMEXIT_HLT, 0, 0, 0);           /* #VMEXIT: V_GIF clear */
	assert_true(vgif_mode(c01));
	c01->int_ctl |= V_GIF;                  /* L1's STGI, by the CPU */
	nested_gif_intr(cpu);                   /* the GIF set, in software */
	assert_true(sw_gif(c01, true));

	/* L1 is in its NMI handler; another NMI for it is posted */
	c01->int_ctl |= APM_INT_CTL_V_NMI_MASK;
	cpu->nmi_pending = true;
	gif_deliver_held(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, APM_INT_CTL_V_NMI);

	/* L1's next exit (its EOI): the GIF stays in software */
	nested_gif_resume(cpu, VMEXIT_NPF);
	assert_true(sw_gif(c01, true));
	assert_true(nested_gif_get(cpu));
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, APM_INT_CTL_V_NMI);

	/* so L1's CLGI exits and takes the posted NMI back until STGI */
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(sw_gif(c01, false));
	assert_true(cpu->nmi_pending);
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, 0);
	nested_gif_resume(cpu, VMEXIT_VMLOAD);
	assert_true(sw_gif(c01, false));
	l1_insn(3);
	nested_gif(cpu, true);                  /* STGI */
	gif_deliver_held(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->int_ctl & APM_INT_CTL_V_NMI, APM_INT_CTL_V_NMI);

	/* L1 took it (V_NMI := 0): the next exit returns the GIF to V_GIF */
	c01->int_ctl &= ~APM_INT_CTL_V_NMI;
	nested_gif_resume(cpu, VMEXIT_NPF);
	assert_true(vgif_mode(c01));
	assert_true(nested_gif_get(cpu));
}

/* L1 at CPL 0 in 64-bit mode runs 0F 01 modrm at its RIP, whose access
 * at L1-physical 2^40 (beyond L1's width) exits as an #NPF: the event
 * nestvisor injects. */
static void vls_beyond_width(uint8_t modrm, uint32_t want)
{
	struct vmcb *v01 = cpu->vmcb01;
	uint64_t pml4 = npt12_new(), code = l1_page();

	npt12_map(pml4, v01->save.rip & ~0xfffull, code,
		  PTE_P | PTE_RW | PTE_A);
	((uint8_t *)code)[(v01->save.rip & 0xfff) + 0] = 0x0f;
	((uint8_t *)code)[(v01->save.rip & 0xfff) + 1] = 0x01;
	((uint8_t *)code)[(v01->save.rip & 0xfff) + 2] = modrm;
	v01->save.cr3 = pml4;
	v01->save.rax = 1ull << 40;
	v01->control.exit_code = VMEXIT_NPF;
	v01->control.exit_info_1 = PFERR_GUEST_FINAL | PFERR_USER;
	v01->control.exit_info_2 = 1ull << 40;
	v01->control.event_inj.raw = 0;
	handle_npf(cpu);
	assert_int_equal(v01->control.event_inj.raw, want);
	v01->control.event_inj.raw = 0;
}

static void test_l1_virtual_vmload_vmsave(void **state)
{
	struct vmcb_control *c01;
	struct vmcb *v;
	uint64_t l1_efer;

	(void)state;
	cpu_up(1u << SVM_FEAT_VVMSAVE, 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	l1_efer = cpu->vmcb01->save.efer;
	/* L1 sets EFER.SVME: on, through vmcb01's nested page table */
	cpu->nested.svme = false;
	l1_wrmsr_efer(l1_efer & ~X86_EFER_SVME);
	assert_true(vls_off(c01));
	l1_wrmsr_efer(l1_efer | X86_EFER_SVME);
	assert_true(cpu->nested.svme);
	assert_true(vls_on(c01));
	assert_int_equal(c01->misc_ctl & MISC_CTL_NP_ENABLE, MISC_CTL_NP_ENABLE);
	assert_int_equal(c01->nested_cr3, hvmem.npt_root);
	/* that table: L1's memory where it is, nestvisor's region nowhere
	 * in the region */
	assert_int_equal(npt01_target(L1_BASE + 5 * PAGE), L1_BASE + 5 * PAGE);
	for (uint64_t gpa = HV_BASE; gpa < HV_BASE + HV_SIZE; gpa += PAGE) {
		uint64_t t = npt01_target(gpa);

		assert_true(t == ~0ull || t < HV_BASE || t >= HV_BASE + HV_SIZE);
	}
	/* VMRUN and #VMEXIT keep it for vmcb01; vmcb02 emulates L2's */
	v = vmcb12_new();
	v->control.intercept_misc2 &= ~(INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE);
	l1_vmrun(v);
	assert_true(vls_off(&cpu->nested.vmcb02->control));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_true(vls_on(c01));
	/* rAX beyond L1's address width (MAXPHYADDR 40 here): the CPU's
	 * #NPF; the instruction's own answer is #GP(0) (§15.5.2), any other
	 * access's a #PF */
	vls_beyond_width(0xda, 0x80000b0d);     /* VMLOAD */
	vls_beyond_width(0xdb, 0x80000b0d);     /* VMSAVE */
	vls_beyond_width(0xd9, 0x80000b0e);     /* (VMMCALL: #PF) */
	/* EFER.SVME cleared: intercepted again (#UD) */
	l1_wrmsr_efer(l1_efer & ~X86_EFER_SVME);
	assert_true(vls_off(c01));

	/* a CPU without the feature: always intercepted */
	cpu_up(0, 0, X86_EFER_NXE);
	l1_wrmsr_efer(cpu->vmcb01->save.efer);
	assert_true(vls_off(&cpu->vmcb01->control));
}

/* ---- the permission maps and L1's TLB maintenance ---------------------- */

/*
 * APM §15.10.1 / §15.11: the CPU reads the maps at every access.  After
 * VMRUN the map pages are read-only in nestvisor's NPT for L1; a write
 * (here: L1's write fault) makes vmcb02 exit on every governed access
 * (all-ones maps), and the next such exit reads the maps again.
 */
static void test_maps_watched(void **state)
{
	struct vmcb *v;
	uint8_t *iopm;
	unsigned lvl;
	uint64_t *e;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	iopm = (uint8_t *)l1_page();
	l1_page();
	l1_page();
	v->control.intercept_misc1 |= INTERCEPT1_IOIO_PROT;
	v->control.iopm_base_pa = (uint64_t)iopm;
	l1_vmrun(v);
	for (unsigned i = 0; i < 3; i++) {
		e = pt_walk(&hvmem.ptm, hvmem.npt_root, (uint64_t)iopm + i * PAGE,
			    &lvl);
		assert_int_equal(lvl, 1);
		assert_int_equal(*e & PTE_RW, 0);
	}
	assert_false(nested_l1_intercepts(cpu, VMEXIT_IOIO, 0x610011));
	/* L2 (without NP: on L1's NPT) writes the map: a write #NPF */
	iopm[0x61 / 8] = 2; /* what the write would have stored */
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER | PFERR_WRITE |
		PFERR_PRESENT, (uint64_t)iopm + 0xc, 0);
	assert_true(cpu->nested.guest_mode);
	e = pt_walk(&hvmem.ptm, hvmem.npt_root, (uint64_t)iopm, &lvl);
	assert_int_equal(*e & PTE_RW, PTE_RW);
	assert_int_equal(cpu->nested.vmcb02->control.iopm_base_pa,
			 (uint64_t)cpu->nested.all_iopm);
	/* IN AL, 61h exits (all-ones map): now L1's */
	l2_exit(VMEXIT_IOIO, 0x610011, 0x4002, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_IOIO);
	assert_int_equal(hw.ioio, 0);
	e = pt_walk(&hvmem.ptm, hvmem.npt_root, (uint64_t)iopm, &lvl);
	assert_int_equal(*e & PTE_RW, 0);
}

/*
 * L1's TLB_CONTROL 1, 3, 7 at VMRUN (APM §15.16) and INVLPGA of a guest
 * ASID drop the nested translations the shadow caches; 0 keeps them.
 */
static void tlb_control_case(uint8_t tlb_control, bool dropped)
{
	struct vmcb *v;
	uint64_t ncr3;

	cpu_up(1u << SVM_FEAT_FLUSHASID, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	v->control.intercept_misc1 |= INTERCEPT1_HLT;
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	assert_true(shadow_maps(0x200000));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	v->control.tlb_control = tlb_control;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(shadow_maps(0x200000), !dropped);
	if (dropped)
		assert_int_not_equal(cpu->nested.vmcb02->control.tlb_control,
				     TLB_CONTROL_DO_NOTHING);
}

static void test_tlb_control_reaches_shadow(void **state)
{
	(void)state;
	tlb_control_case(TLB_CONTROL_DO_NOTHING, false);
	tlb_control_case(TLB_CONTROL_FLUSH_ALL, true);
	tlb_control_case(TLB_CONTROL_FLUSH_ASID, true);
	tlb_control_case(TLB_CONTROL_FLUSH_ASID_LOCAL, true);
}

static void test_invlpga_reaches_shadow(void **state)
{
	struct vmcb *v;
	uint64_t ncr3;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	/* INVLPGA RAX=va, ECX=1 in L1 */
	cpu->vmcb01->save.rax = 0x200000;
	cpu->gregs.rcx = 1;
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_invlpga(cpu);
	assert_int_equal(hw.invlpga, 1);
	assert_int_equal(hw.invlpga_asid, 2); /* L1's ASID 1 is host ASID 2 */
	assert_int_equal(hw.invlpga_va, 0x200000);
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	l1_vmrun(v);
	assert_false(shadow_maps(0x200000));
}

/*
 * A shadow table page the MMU frees is reused only after a TLB flush of
 * its CPU (a page-walk cache may hold it): freed pages wait until the
 * next entry (svm/smp.c svm_prepare_entry), which gives them back and
 * flushes (mm/snpt_smp.c, I3).
 */
static void test_freed_pages_wait_for_a_flush(void **state)
{
	struct vmcb *v;
	uint64_t ncr3;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	nested_npt_flush_shadow(cpu);
	assert_true(nested_npt_freed_pending(cpu));
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	l1_vmrun(v);
	/* the emulated VMRUN does not free them: the entry does */
	assert_true(nested_npt_freed_pending(cpu));
	cpu->nested.vmcb02->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	nested_npt_reclaim(cpu);
	assert_false(nested_npt_freed_pending(cpu));
	assert_int_equal(cpu->nested.vmcb02->control.tlb_control,
			 TLB_CONTROL_FLUSH_ALL);
}

/* ---- decode assists of a #PF nestvisor raises ---------------------------- */

/*
 * APM Vol. 2 §15.35: a #PF #VMEXIT carries the bytes of the instruction at
 * CS:RIP, none when the fault is the fetch of those bytes.  Without
 * EFER.NXE and CR4.SMEP the error code cannot say so, and the fetch fault
 * is the one whose CR2 is where the fetch stopped (docs/nested.md,
 * "Decode assists").  For a #PF that nestvisor raises for L2 (an
 * emulated access) and L1 intercepts, that CR2 is the raised #PF's
 * (EXITINFO2), not whatever vmcb02's last exit left.  L2's code: three
 * NOPs at the end of a page whose next page is not mapped.
 */
static void test_decode_bytes_of_raised_pf(void **state)
{
	struct vmcb *v;
	uint64_t code;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.intercept_exceptions = 1u << X86_VEC_PF;
	v->save.efer &= ~X86_EFER_NXE;
	code = l1_page();
	memset((void *)(code + 0xffd), 0x90, 3);
	npt12_map(v->save.cr3, 0x4000, code, PTE_P | PTE_RW | PTE_US);
	v->save.rip = 0x4ffd;
	l1_vmrun(v);
	/* a data access to 0x9000 faults; vmcb02's last exit said 0x5000 */
	cpu->nested.vmcb02->control.exit_info_2 = 0x5000;
	nested_deliver_pf(cpu, 0, 0x9000);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_EXCP_BASE + X86_VEC_PF);
	assert_int_equal(v->control.exit_info_2, 0x9000);
	assert_int_equal(v->control.insn_len, 3);
	assert_int_equal(v->control.insn_bytes[0], 0x90);
	assert_int_equal(v->control.insn_bytes[2], 0x90);
	/* the same #PF at 0x5000, where the fetch stopped: no bytes */
	l1_vmrun(v);
	cpu->nested.vmcb02->control.exit_info_2 = 0x9000;
	nested_deliver_pf(cpu, 0, 0x5000);
	assert_int_equal(v->control.exit_info_2, 0x5000);
	assert_int_equal(v->control.insn_len, 0);
}

/* ---- vNMI, emulated on a CPU without it --------------------------------- */

/*
 * APM Vol. 2 §15.21.10 (vmcb12 int_ctl: V_NMI bit 11, V_NMI_MASK bit 12,
 * V_NMI_ENABLE bit 26; VMRUN requires the NMI intercept with it): a
 * pending V_NMI nothing blocks is taken (here: injected as EVENTINJ 0x202,
 * V, type 2, vector 2, before vmcb02 runs), V_NMI := 0, V_NMI_MASK := 1;
 * V_NMI_MASK lasts until an IRET completes (the IRET runs single-stepped:
 * §13.1.4, the trap follows the instruction that began with TF, DR6.BS
 * bit 14); #VMEXIT writes both bits back.
 */
#define EVENTINJ_NMI 0x80000202u
#define DR6_INIT     0xffff0ff0ull

static struct vmcb *vnmi_l2(uint32_t bits)
{
	struct vmcb *v = vmcb12_new();

	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->control.int_ctl = V_NMI_ENABLE | bits;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	return v;
}

static void entry(void)
{
	nested_feat_entry(cpu, cpu->nested.guest_mode, &cpu->nested.feat);
}

/* L2 at an IRET that vmcb02 intercepts; the step begins and the next
 * entry sets its intercepts. */
static void iret_step(uint64_t rflags)
{
	struct vmcb_save *s02 = &cpu->nested.vmcb02->save;
	struct vmcb_control *c02 = &cpu->nested.vmcb02->control;

	assert_int_equal(c02->intercept_misc1 & INTERCEPT1(VMEXIT_IRET),
			 INTERCEPT1(VMEXIT_IRET));
	s02->rflags = rflags;
	s02->dr6 = DR6_INIT;
	l2_exit(VMEXIT_IRET, 0, 0, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(s02->rflags & X86_RFLAGS_TF, X86_RFLAGS_TF);
	entry();
	assert_int_equal(c02->intercept_misc1 & INTERCEPT1(VMEXIT_IRET), 0);
	assert_int_equal(c02->intercept_exceptions & (1u << X86_VEC_DB),
			 1u << X86_VEC_DB);
	assert_int_equal(c02->intercept_exceptions & (1u << X86_VEC_GP),
			 1u << X86_VEC_GP);
	assert_int_equal(c02->intercept_misc1 & (INTERCEPT1_INTR |
			 INTERCEPT1_VINTR | INTERCEPT1_SWINT),
			 INTERCEPT1_INTR | INTERCEPT1_VINTR | INTERCEPT1_SWINT);
}

/* The CPU completes the stepped IRET: popped RFLAGS, DR6.BS, the trap. */
static void iret_trap(uint64_t popped)
{
	struct vmcb_save *s02 = &cpu->nested.vmcb02->save;

	s02->rflags = popped;
	s02->dr6 |= X86_DR6_BS;
	s02->rip += 0x10;
	l2_exit(VMEXIT_EXCP_BASE + X86_VEC_DB, 0, 0, 0);
}

static void test_vnmi_taken_and_unmasked(void **state)
{
	struct vmcb_control *c02;
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vnmi_l2(V_NMI_PENDING);
	c02 = &cpu->nested.vmcb02->control;
	/* the CPU below has no vNMI: vmcb02 carries none of its bits */
	assert_int_equal(c02->int_ctl & (V_NMI_ENABLE | V_NMI_PENDING |
					 V_NMI_BLOCKING), 0);
	entry();
	assert_int_equal(c02->event_inj.raw, EVENTINJ_NMI);
	/* L2's handler IRETs */
	iret_step(2);
	iret_trap(0x202);
	assert_true(cpu->nested.guest_mode);            /* absorbed */
	assert_int_equal(cpu->nested.vmcb02->save.dr6, DR6_INIT);
	assert_int_equal(cpu->nested.vmcb02->save.rflags, 0x202);
	assert_false(c02->event_inj.valid);             /* no #DB for L2 */
	entry();
	assert_false(c02->event_inj.valid);             /* nothing pending */
	assert_int_equal(c02->intercept_misc1 & INTERCEPT1(VMEXIT_IRET), 0);
	assert_int_equal(c02->intercept_exceptions & (1u << X86_VEC_DB), 0);
	l2_exit(VMEXIT_HLT, 0, 0, 0);                   /* L1's */
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.int_ctl & (V_NMI_ENABLE | V_NMI_PENDING |
					       V_NMI_BLOCKING), V_NMI_ENABLE);
}

/* Masked and pending: the NMI waits for the IRET, then is taken; its
 * delivery meets a #PF L1 intercepts: EXITINTINFO = the NMI, and
 * V_NMI_MASK is cleared at the #VMEXIT. */
static void test_vnmi_after_iret_and_exit_in_delivery(void **state)
{
	struct vmcb_control *c02;
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.intercept_exceptions = 1u << X86_VEC_PF;
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->control.int_ctl = V_NMI_ENABLE | V_NMI_PENDING | V_NMI_BLOCKING;
	l1_vmrun(v);
	c02 = &cpu->nested.vmcb02->control;
	entry();
	assert_false(c02->event_inj.valid);
	iret_step(2);
	iret_trap(2);
	assert_false(c02->event_inj.valid);
	entry();
	assert_int_equal(c02->event_inj.raw, EVENTINJ_NMI);
	/* QEMU TCG reports the NMI's delivery as type 3, vector 2
	 * (docs/semantics.md §10.3); L1 sees type 2 */
	l2_exit(VMEXIT_EXCP_BASE + X86_VEC_PF, 2, 0x5000, 0x80000302);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_EXCP_BASE + X86_VEC_PF);
	assert_int_equal(v->control.exit_int_info.raw, EVENTINJ_NMI);
	assert_int_equal(v->control.int_ctl & (V_NMI_PENDING | V_NMI_BLOCKING), 0);
}

/* The stepped IRET faults (#GP, which L1 does not intercept): the step is
 * cancelled, TF is L2's again, L2 gets the #GP, V_NMI_MASK stays. */
static void test_vnmi_iret_faults(void **state)
{
	struct vmcb_control *c02;
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vnmi_l2(V_NMI_BLOCKING);
	c02 = &cpu->nested.vmcb02->control;
	entry();
	iret_step(2);
	l2_exit(VMEXIT_EXCP_BASE + X86_VEC_GP, 0x10, 0, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(cpu->nested.vmcb02->save.rflags & X86_RFLAGS_TF, 0);
	/* V, type 3, EV, vector 13; error code 0x10 */
	assert_int_equal(c02->event_inj.raw, 0x80000b0d);
	assert_int_equal(c02->event_inj_err, 0x10);
	entry();
	assert_int_equal(c02->intercept_misc1 & INTERCEPT1(VMEXIT_IRET),
			 INTERCEPT1(VMEXIT_IRET));
	assert_int_equal(c02->intercept_exceptions & (1u << X86_VEC_GP), 0);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_int_equal(v->control.int_ctl & (V_NMI_PENDING | V_NMI_BLOCKING),
			 V_NMI_BLOCKING);
}

/* An interrupt due before the stepped IRET (INTR, VINTR), which L1 does
 * not intercept: the step is cancelled and L2 resumes, to take it
 * through its IDT once vmcb02 no longer intercepts it; with L1's INTR
 * intercept, L1 gets the exit, RIP at the IRET and V_NMI_MASK kept. */
static void test_vnmi_interrupt_before_iret(void **state)
{
	struct vmcb_control *c02;
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vnmi_l2(V_NMI_BLOCKING);
	c02 = &cpu->nested.vmcb02->control;
	entry();
	iret_step(2);
	l2_exit(VMEXIT_VINTR, 0, 0, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(cpu->nested.vmcb02->save.rflags & X86_RFLAGS_TF, 0);
	entry();
	assert_int_equal(c02->intercept_misc1 & (INTERCEPT1_INTR |
			 INTERCEPT1_VINTR), 0);
	assert_int_equal(c02->intercept_misc1 & INTERCEPT1(VMEXIT_IRET),
			 INTERCEPT1(VMEXIT_IRET));
	iret_step(2);
	l2_exit(VMEXIT_INTR, 0, 0, 0);
	assert_true(cpu->nested.guest_mode);
	l2_exit(VMEXIT_HLT, 0, 0, 0);

	v->control.intercept_misc1 |= INTERCEPT1_INTR;
	v->control.int_ctl = V_NMI_ENABLE | V_NMI_BLOCKING;
	l1_vmrun(v);
	entry();
	iret_step(2);
	l2_exit(VMEXIT_INTR, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_INTR);
	assert_int_equal(v->save.rflags & X86_RFLAGS_TF, 0);
	assert_int_equal(v->control.int_ctl & V_NMI_BLOCKING, V_NMI_BLOCKING);
}

/* L1 intercepts #DB: the step's own trap is not L1's; with L2's own TF
 * the trap is L2's and reaches L1, after the IRET (§8.5: the trap before
 * the NMI), V_NMI still pending. */
static void test_vnmi_step_trap_owner(void **state)
{
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.intercept_exceptions = 1u << X86_VEC_DB;
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->control.int_ctl = V_NMI_ENABLE | V_NMI_BLOCKING;
	l1_vmrun(v);
	entry();
	iret_step(2);
	iret_trap(2);
	assert_true(cpu->nested.guest_mode);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);

	v->control.int_ctl = V_NMI_ENABLE | V_NMI_PENDING | V_NMI_BLOCKING;
	l1_vmrun(v);
	entry();
	iret_step(2 | X86_RFLAGS_TF);
	iret_trap(2);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_EXCP_BASE + X86_VEC_DB);
	assert_int_equal(v->save.dr6, DR6_INIT | X86_DR6_BS);
	assert_int_equal(v->control.int_ctl & (V_NMI_PENDING | V_NMI_BLOCKING),
			 V_NMI_PENDING);
}

/* An event EVENTINJ delivers first: vmcb02 runs on a no-execute copy of
 * its NPT root (every present top-level entry with NX, bit 63); the
 * fetch of the handler exits, the root comes back and the NMI is
 * injected there. */
static void test_vnmi_after_injected_event(void **state)
{
	struct vmcb_control *c02;
	const uint64_t *root, *copy;
	uint64_t ncr3;
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->control.int_ctl = V_NMI_ENABLE | V_NMI_PENDING;
	v->control.event_inj.raw = 0x80000306; /* #UD */
	l1_vmrun(v);
	c02 = &cpu->nested.vmcb02->control;
	ncr3 = c02->nested_cr3;
	entry();
	assert_int_equal(c02->event_inj.raw, 0x80000306);
	assert_int_equal(c02->nested_cr3, (uint64_t)cpu->nested.feat.vnmi_nx_root);
	assert_int_equal(c02->tlb_control, TLB_CONTROL_FLUSH_ALL);
	root = (const uint64_t *)ncr3;
	copy = (const uint64_t *)c02->nested_cr3;
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(copy[i], root[i] & PTE_P ?
				 root[i] | (1ull << 63) : root[i]);
	/* the #UD delivered; the fetch of its handler */
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_FETCH | PFERR_PRESENT,
		0x6000, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(c02->nested_cr3, ncr3);
	assert_int_equal(c02->event_inj.raw, EVENTINJ_NMI);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_int_equal(v->control.int_ctl & (V_NMI_PENDING | V_NMI_BLOCKING),
			 V_NMI_BLOCKING);
}

/* The CPU's vGIF runs L2's V_GIF (clear): the NMI waits, vmcb02
 * intercepts STGI for it; L2's STGI sets V_GIF and the NMI is taken. */
static void test_vnmi_waits_for_stgi(void **state)
{
	struct vmcb_control *c02;
	struct vmcb *v;

	(void)state;
	cpu_up(1u << SVM_FEAT_VGIF, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->control.int_ctl = V_NMI_ENABLE | V_NMI_PENDING | V_GIF_ENABLE;
	l1_vmrun(v);
	c02 = &cpu->nested.vmcb02->control;
	entry();
	assert_false(c02->event_inj.valid);
	assert_int_equal(c02->intercept_misc2 & INTERCEPT2_STGI, INTERCEPT2_STGI);
	cpu->nested.vmcb02->control.next_rip = cpu->nested.vmcb02->save.rip + 3;
	l2_exit(VMEXIT_STGI, 0, 0, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(c02->int_ctl & V_GIF, V_GIF);
	entry();
	assert_int_equal(c02->event_inj.raw, EVENTINJ_NMI);
	assert_int_equal(c02->intercept_misc2 & INTERCEPT2_STGI, 0);
}

/* An interrupt shadow: one instruction first (here one nestvisor
 * completes, CPUID), with nestvisor's TF gone after it and no #DB. */
static void test_vnmi_shadow_step(void **state)
{
	struct vmcb_control *c02;
	struct vmcb_save *s02;
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->control.int_ctl = V_NMI_ENABLE | V_NMI_PENDING;
	v->control.int_state = INT_STATE_SHADOW;
	l1_vmrun(v);
	c02 = &cpu->nested.vmcb02->control;
	s02 = &cpu->nested.vmcb02->save;
	entry();
	assert_false(c02->event_inj.valid);
	assert_int_equal(s02->rflags & X86_RFLAGS_TF, X86_RFLAGS_TF);
	c02->next_rip = s02->rip + 2;
	/* the CPU reports the shadow at the exit, before the instruction */
	c02->int_state = INT_STATE_SHADOW;
	l2_exit(VMEXIT_CPUID, 0, 0, 0);
	assert_int_equal(c02->int_state & INT_STATE_SHADOW, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(s02->rflags & X86_RFLAGS_TF, 0);
	assert_false(c02->event_inj.valid);
	entry();
	assert_int_equal(c02->event_inj.raw, EVENTINJ_NMI);
}

/* The instruction in the shadow raises #GP (WRMSR of SMM_BASE, which
 * nestvisor refuses: docs/security.md): the #GP is delivered before the
 * NMI, and its frame must not get nestvisor's TF, so the step ends before
 * vmcb02 runs again. */
static void test_vnmi_step_ends_before_event(void **state)
{
	struct vmcb_control *c02;
	struct vmcb_save *s02;
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->control.int_ctl = V_NMI_ENABLE | V_NMI_PENDING;
	v->control.int_state = INT_STATE_SHADOW;
	l1_vmrun(v);
	c02 = &cpu->nested.vmcb02->control;
	s02 = &cpu->nested.vmcb02->save;
	entry();
	assert_int_equal(s02->rflags & X86_RFLAGS_TF, X86_RFLAGS_TF);
	cpu->gregs.rcx = 0xc0010111;
	c02->next_rip = s02->rip + 2;
	l2_exit(VMEXIT_MSR, 1, 0, 0);
	assert_int_equal(c02->event_inj.raw, 0x80000b0d); /* #GP, EV */
	entry();
	assert_int_equal(s02->rflags & X86_RFLAGS_TF, 0);
	assert_int_equal(c02->event_inj.raw, 0x80000b0d);
}

/* ---- L1's KVM mapping L2's memory on demand (docs/mmu.md §7.2) -------- */

static unsigned l1_write_exits;

/* L1 stores val at gpa as the CPU lets it: where nestvisor's NPT for L1
 * maps the page read-only the store exits (vmcb01's #NPF, handled as
 * svm/exit.c would) and is retried. */
static void l1_store64(uint64_t gpa, uint64_t val)
{
	for (unsigned tries = 0;; tries++) {
		unsigned lvl;
		uint64_t *e = pt_walk(&hvmem.ptm, hvmem.npt_root, gpa, &lvl);

		if (*e & PTE_RW) {
			*(volatile uint64_t *)gpa = val;
			return;
		}
		assert_true(tries < 2);
		assert_ptr_equal(cpu->cur, cpu->vmcb01);
		cpu->vmcb01->control.exit_code = VMEXIT_NPF;
		cpu->vmcb01->control.exit_info_1 = PFERR_GUEST_FINAL |
			PFERR_USER | PFERR_WRITE | PFERR_PRESENT;
		cpu->vmcb01->control.exit_info_2 = gpa;
		handle_npf(cpu);
		l1_write_exits++;
	}
}

/* The gpa of L1's NPT leaf entry for l2 (its tables exist). */
static uint64_t npt12_leaf(uint64_t ncr3, uint64_t l2)
{
	uint64_t table = ncr3;

	for (unsigned lvl = 4; lvl > 1; lvl--)
		table = ((uint64_t *)table)[(l2 >> (12 + 9 * (lvl - 1))) & 511] &
			PTE64_ADDR_4K;
	return table + ((l2 >> 12) & 511) * 8;
}

/* The level of nestvisor's NPT entry for L1's gpa (1: a 4 KiB leaf). */
static unsigned npt01_level(uint64_t gpa)
{
	unsigned lvl;

	assert_non_null(pt_walk(&hvmem.ptm, hvmem.npt_root, gpa, &lvl));
	return lvl;
}

/* L1 rewrites every entry of L2's path to l2 in its NPT as it is: each
 * table page the shadow was built from exits once and is released. */
static void npt12_rewrite_path(uint64_t ncr3, uint64_t l2)
{
	uint64_t table = ncr3;

	for (unsigned lvl = 4; lvl >= 1; lvl--) {
		uint64_t e = table + ((l2 >> (12 + 9 * (lvl - 1))) & 511) * 8;
		uint64_t val = *(volatile uint64_t *)e;

		l1_store64(e, val);
		table = val & PTE64_ADDR_4K;
	}
}

/*
 * The tables of nestvisor's NPT for L1 split to protect L1's NPT pages
 * are merged back once they are all released (svm/nested_npt.c
 * l1_released); not while a CPU a shootdown gave up on is still stuck
 * (its page-walk cache may hold the tables the merge frees, so they could
 * only wait in the quarantine, which L1 could fill by protecting and
 * releasing at will: svm/smp.c, "Giving up").  A later release merges.
 */
static void test_l1_merge_waits_for_stuck(void **state)
{
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	const uint64_t base = 0x200000;
	struct vmcb *v;
	uint64_t ncr3;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	/* L1 pages in a 2 MiB region no other test protected (nestvisor's
	 * NPT for L1 lives on from test to test) */
	l1_next = L1_BASE + (16ull << 20);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, base, l1_page(), leaf);
	use_npt(v, ncr3);
	for (unsigned round = 0; round < 3; round++) {
		/* L2's first touch: the shadow is built from L1's tables,
		 * which become read-only 4 KiB pages in nestvisor's NPT */
		v->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
		l1_vmrun(v);
		l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, base, 0);
		assert_true(shadow_maps(base));
		assert_int_equal(npt01_level(ncr3), 1);
		l2_exit(VMEXIT_HLT, 0, 0, 0);
		/* round 1: another CPU is stuck while L1 writes them */
		fixture_stuck = round == 1;
		l1_write_exits = 0;
		npt12_rewrite_path(ncr3, base);
		assert_int_equal(l1_write_exits, 4);
		if (round == 1)
			assert_int_equal(npt01_level(ncr3), 1);
		else
			assert_true(npt01_level(ncr3) > 1);
		fixture_stuck = false;
	}
}

/*
 * A KVM-like L1: L2's first touch of a page is an #NPF reflected to L1
 * (APM §15.25.6), L1 writes its leaf (accessed, dirty: as Linux's KVM
 * makes it) and runs L2 again.  With unsync pages and the prefetch, only
 * the first write to the table page exits, the page is installed at the
 * VMRUN (L2 would not fault again), and nothing mapped before is dropped:
 * the floor of two exits per page.  Another ASID entering the root
 * empties it (that ASID's TLB never held its entries).
 */
static void test_l1_maps_on_demand(void **state)
{
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	const uint64_t base = 0x200000;
	struct vmcb *v;
	uint64_t ncr3;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, base, l1_page(), leaf);
	use_npt(v, ncr3);
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, base, 0);
	assert_true(cpu->nested.guest_mode);
	assert_true(shadow_maps(base));
	l1_write_exits = 0;
	for (uint64_t i = 1; i <= 16; i++) {
		uint64_t l2 = base + i * PAGE;

		l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER | PFERR_WRITE,
			l2, 0);
		assert_false(cpu->nested.guest_mode);
		assert_int_equal(v->control.exit_code, VMEXIT_NPF);
		assert_int_equal(v->control.exit_info_2, l2);
		l1_store64(npt12_leaf(ncr3, l2), l1_page() | leaf);
		v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
		l1_vmrun(v);
		assert_true(cpu->nested.guest_mode);
		assert_true(shadow_maps(l2));
	}
	assert_int_equal(l1_write_exits, 1);
	for (uint64_t i = 0; i <= 16; i++)
		assert_true(shadow_maps(base + i * PAGE));
	/* the same ASID again: kept; a new one: emptied, TLB flushed */
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	l1_vmrun(v);
	assert_true(shadow_maps(base));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	v->control.asid = 2;
	l1_vmrun(v);
	assert_false(shadow_maps(base));
	assert_int_not_equal(cpu->nested.vmcb02->control.tlb_control,
			     TLB_CONTROL_DO_NOTHING);
}

/* The L1 address the shadow root vmcb02 runs maps l2_gpa to (L1 memory
 * is at the same host address here), or 0. */
static uint64_t shadow_target(uint64_t l2_gpa)
{
	unsigned lvl;
	uint64_t *e = pt_walk(&hvmem.ptm, cpu->nested.npt_root, l2_gpa, &lvl);
	uint64_t mask = (1ull << (12 + 9 * (lvl - 1))) - 1;

	if (!e || !(*e & PTE_P))
		return 0;
	if (lvl > 1)
		mask &= ~PTE_LARGE_PAT;
	return (*e & PTE64_ADDR_4K & ~mask) | (l2_gpa & mask);
}

/*
 * A KVM-like L1 with two L2 VMs, each its own nCR3 and ASID, run in turn
 * on one vCPU: each shadow root keeps its entries (and no TLB flush is
 * added), since each ASID enters only its own root.  Then the first
 * nCR3 entered with the second VM's ASID: that ASID never cached its
 * entries (a TLB is per ASID, APM Vol. 2 §15.16), so the root is emptied
 * and vmcb02's TLB flushed, with no unsync page at all.
 */
static void test_root_keeps_its_asid(void **state)
{
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	struct vmcb *va, *vb;
	uint64_t ncr3a, ncr3b;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	va = vmcb12_new();
	vb = vmcb12_new();
	ncr3a = npt12_new();
	ncr3b = npt12_new();
	npt12_map(ncr3a, 0x200000, l1_page(), leaf);
	npt12_map(ncr3b, 0x200000, l1_page(), leaf);
	use_npt(va, ncr3a);
	use_npt(vb, ncr3b);
	vb->control.asid = 2;
	l1_vmrun(va);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	l1_vmrun(vb);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	for (int i = 0; i < 4; i++) {
		struct vmcb *v = i & 1 ? vb : va;

		l1_vmrun(v);
		assert_true(cpu->nested.guest_mode);
		assert_true(shadow_maps(0x200000));
		assert_int_equal(cpu->nested.vmcb02->control.tlb_control,
				 TLB_CONTROL_DO_NOTHING);
		l2_exit(VMEXIT_HLT, 0, 0, 0);
	}
	assert_int_equal(cpu->nested.snpt->stats.asid_empties, 0);
	va->control.asid = 2;
	l1_vmrun(va);
	assert_false(shadow_maps(0x200000));
	assert_int_not_equal(cpu->nested.vmcb02->control.tlb_control,
			     TLB_CONTROL_DO_NOTHING);
	assert_int_equal(cpu->nested.snpt->stats.asid_empties, 1);
}

/*
 * L2 rewrites L1's NPT (L1 maps it into L2): a plain store, which no
 * exit shows nestvisor.  ASID 1, which cached the old entry, may keep it
 * until its flush; ASID 2, flushed and then run only on another nCR3
 * without that address, walks L1's tables as they are now (APM Vol. 2
 * §15.16: a TLB is per ASID).
 */
static void test_l2_write_new_asid(void **state)
{
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	uint64_t old_page = l1_page(), new_page = l1_page();
	struct vmcb *v;
	uint64_t x, y;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	x = npt12_new();
	y = npt12_new();
	npt12_map(x, 0x200000, old_page, leaf);
	npt12_map(y, 0x40000000, l1_page(), leaf);
	use_npt(v, y);
	v->control.asid = 2;
	v->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	l1_vmrun(v);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	use_npt(v, x);
	v->control.asid = 1;
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	assert_int_equal(shadow_target(0x200000), old_page);
	/* L2's store to L1's NPT leaf: no exit */
	*(volatile uint64_t *)npt12_leaf(x, 0x200000) = new_page | leaf;
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	l1_vmrun(v);
	assert_int_equal(shadow_target(0x200000), old_page); /* a TLB may */
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	use_npt(v, y);
	v->control.asid = 2;
	l1_vmrun(v);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	use_npt(v, x);
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	assert_false(shadow_maps(0x200000));
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(shadow_target(0x200000), new_page);
}

/*
 * TLB_CONTROL at a VMRUN without nested paging is a flush too (APM Vol. 2
 * §15.16: 1 flushes every ASID, 3 and 7 the one run): the shadow L2 ran
 * on before is emptied; 0 keeps it.
 */
static void test_tlb_control_without_np(void **state)
{
	struct vmcb *v;
	uint64_t ncr3;

	(void)state;
	cpu_up(1u << SVM_FEAT_FLUSHASID, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	v->control.intercept_misc1 |= INTERCEPT1_HLT;
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	v->control.misc_ctl &= ~(uint64_t)MISC_CTL_NP_ENABLE;
	v->control.asid = 2;
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	assert_true(shadow_maps(0x200000));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	v->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	assert_false(shadow_maps(0x200000));
}

/*
 * An L1 flush empties what the shadow holds, whatever put it there, also
 * when nothing else was installed since the last flush (mm/snpt_smp.c,
 * "Flushes of an empty shadow"): L2's #NPF is reflected (L1's NPT does
 * not map the page), L1 maps it and runs L2 with TLB_CONTROL 1, whose
 * flush comes first and leaves the shadow empty; the address is then
 * installed by the prefetch alone (docs/mmu.md §7).  L1's next
 * TLB_CONTROL 1 must drop it (APM Vol. 2 §15.16), and 0 keeps it.
 */
static void test_flush_after_prefetch_only(void **state)
{
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	const uint64_t l2 = 0x201000;
	struct vmcb *v;
	uint64_t ncr3;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), leaf);
	use_npt(v, ncr3);
	v->control.intercept_misc1 |= INTERCEPT1_HLT;
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, l2, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_NPF);
	l1_store64(npt12_leaf(ncr3, l2), l1_page() | leaf);
	v->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	assert_true(shadow_maps(l2)); /* the prefetch's */
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	l1_vmrun(v);
	assert_true(shadow_maps(l2));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	v->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	assert_false(shadow_maps(l2));
	assert_int_not_equal(cpu->nested.vmcb02->control.tlb_control,
			     TLB_CONTROL_DO_NOTHING);
}

/*
 * The shadow serves every ASID, a TLB one: ASID 1 caches an entry on
 * nCR3 X, L1 runs ASID 2 on nCR3 Y, then changes the entry on X (its
 * page goes unsync).  ASID 2 never cached the old entry, so entering X,
 * same ASID as on Y and no TLB_CONTROL, finds X's root emptied; with one
 * ASID only, the same change keeps it (a TLB may).
 */
static void test_unsync_after_asid_switch(void **state)
{
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	struct vmcb *v;
	uint64_t ncr3, y;

	(void)state;
	for (int switched = 0; switched < 2; switched++) {
		cpu_up(0, 0, X86_EFER_NXE);
		v = vmcb12_new();
		ncr3 = npt12_new();
		y = npt12_new();
		npt12_map(ncr3, 0x200000, l1_page(), leaf);
		npt12_map(y, 0x40000000, l1_page(), leaf);
		use_npt(v, ncr3);
		l1_vmrun(v);
		l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
		l2_exit(VMEXIT_HLT, 0, 0, 0);
		v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
		if (switched)
			v->control.asid = 2;
		use_npt(v, y);
		l1_vmrun(v);
		l2_exit(VMEXIT_HLT, 0, 0, 0);
		l1_store64(npt12_leaf(ncr3, 0x200000), l1_page() | leaf);
		use_npt(v, ncr3);
		l1_vmrun(v);
		assert_true(cpu->nested.guest_mode);
		assert_int_equal(shadow_maps(0x200000), !switched);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_from_l1_not_vmcb12),
		cmocka_unit_test(test_cpl_and_execution_class),
		cmocka_unit_test(test_vmcb02_construction),
		cmocka_unit_test(test_vmrun_follows_rax),
		cmocka_unit_test(test_soft_injection_next_rip),
		cmocka_unit_test(test_reflection_decisions),
		cmocka_unit_test(test_exitintinfo_to_l1),
		cmocka_unit_test(test_reinjection),
		cmocka_unit_test(test_exception_intercept),
		cmocka_unit_test(test_gif),
		cmocka_unit_test(test_smi_held_by_gif),
		cmocka_unit_test(test_l1_vgif),
		cmocka_unit_test(test_l1_vgif_resume),
		cmocka_unit_test(test_l1_vgif_resume_orders),
		cmocka_unit_test(test_l1_vnmi),
		cmocka_unit_test(test_l1_vgif_resume_vnmi),
		cmocka_unit_test(test_l1_virtual_vmload_vmsave),
		cmocka_unit_test(test_maps_watched),
		cmocka_unit_test(test_tlb_control_reaches_shadow),
		cmocka_unit_test(test_tlb_control_without_np),
		cmocka_unit_test(test_flush_after_prefetch_only),
		cmocka_unit_test(test_unsync_after_asid_switch),
		cmocka_unit_test(test_invlpga_reaches_shadow),
		cmocka_unit_test(test_freed_pages_wait_for_a_flush),
		cmocka_unit_test(test_decode_bytes_of_raised_pf),
		cmocka_unit_test(test_vnmi_taken_and_unmasked),
		cmocka_unit_test(test_vnmi_after_iret_and_exit_in_delivery),
		cmocka_unit_test(test_vnmi_iret_faults),
		cmocka_unit_test(test_vnmi_interrupt_before_iret),
		cmocka_unit_test(test_vnmi_step_trap_owner),
		cmocka_unit_test(test_vnmi_after_injected_event),
		cmocka_unit_test(test_vnmi_waits_for_stgi),
		cmocka_unit_test(test_vnmi_shadow_step),
		cmocka_unit_test(test_vnmi_step_ends_before_event),
		cmocka_unit_test(test_l1_maps_on_demand),
		cmocka_unit_test(test_l1_merge_waits_for_stuck),
		cmocka_unit_test(test_root_keeps_its_asid),
		cmocka_unit_test(test_l2_write_new_asid),
	};
	return cmocka_run_group_tests(tests, machine_up, machine_down);
}
