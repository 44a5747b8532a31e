// SPDX-License-Identifier: MIT
/*
 * The instructions nestvisor completes for a guest, from nestvisor's own
 * sources on the fake machine of glue_fixture.h, on a CPU without NRIPS
 * (as QEMU TCG), so that nestvisor finds each instruction in guest memory
 * through the guest's own page tables:
 *  - an intercepted instruction whose bytes at RIP are not that
 *    instruction raises #UD and has no effect at all (no register, MSR or
 *    control register changed, RIP unchanged);
 *  - an instruction that completes does its work, then moves RIP, then
 *    raises the single-step trap (APM Vol. 2 §13.1.4: the #DB trap
 *    follows the instruction): when L1 intercepts #DB for its L2, the
 *    #VMEXIT shows the instruction's effect and the next RIP.
 *
 * Every expectation comes from the AMD APM Vol. 2 or Vol. 3 (cited at each
 * test), never from nestvisor's output.
 */
#include "glue_fixture.h"

#define CODE_LA 0x1000ull /* L1's RIP (cpu_up) */

/* L1 runs in long mode on its own page table: CODE_LA maps a page whose
 * first bytes are code.  Returns the page. */
static uint8_t *l1_code(const uint8_t *code, unsigned len)
{
	uint64_t cr3 = npt12_new(), page = l1_page();

	npt12_map(cr3, CODE_LA, page, PTE_P | PTE_RW | PTE_A);
	cpu->vmcb01->save.cr3 = cr3;
	memcpy((void *)page, code, len);
	return (uint8_t *)page;
}

/* A CPU like QEMU TCG's: no NRIPS, no decode assists; empty decode
 * caches. */
static void cpu_up_decoding(void)
{
	cpu_up(0, 0, X86_EFER_NXE);
	cpu->caps.edx &= ~(1u << SVM_FEAT_NRIPS);
}

/* The exit vmcb01 reports (next_rip stays 0: no NRIPS). */
static void l1_exit(uint64_t code, uint64_t info1)
{
	struct vmcb_control *c = &cpu->vmcb01->control;

	c->exit_code = code;
	c->exit_info_1 = info1;
	c->exit_info_2 = 0;
	c->next_rip = 0;
	c->event_inj.raw = 0;
}

static void assert_ud_injected(const struct vmcb *v)
{
	/* EVENTINJ: vector 6, type 3 (exception), no error code, valid
	 * (APM Vol. 2 §15.20). */
	assert_int_equal(v->control.event_inj.raw, 0x80000306);
}

/* ---- #UD without effect ------------------------------------------------- */

/*
 * WRMSR exits (EXITINFO1 = 1) but RIP holds RDTSC (0F 31): the CPU
 * would not have executed a WRMSR there, so L1 gets #UD, and EFER (which
 * nestvisor keeps virtual) must be unchanged, as must RIP (a fault).
 */
static void test_wrmsr_not_at_rip(void **state)
{
	static const uint8_t rdtsc[] = { 0x0f, 0x31 };
	struct vmcb_save *s;
	uint64_t efer;

	(void)state;
	cpu_up_decoding();
	l1_code(rdtsc, sizeof(rdtsc));
	s = &cpu->vmcb01->save;
	efer = s->efer;
	cpu->gregs.rcx = MSR_EFER;
	s->rax = (uint32_t)(efer ^ X86_EFER_NXE);
	cpu->gregs.rdx = efer >> 32;
	l1_exit(VMEXIT_MSR, 1);
	handle_msr(cpu);
	assert_ud_injected(cpu->vmcb01);
	assert_int_equal(s->efer, efer);
	assert_int_equal(s->rip, CODE_LA);
}

/* The same with WRMSR at RIP: EFER.NXE changes, RIP moves by 2. */
static void test_wrmsr_at_rip(void **state)
{
	static const uint8_t wrmsr[] = { 0x0f, 0x30 };
	struct vmcb_save *s;
	uint64_t efer;

	(void)state;
	cpu_up_decoding();
	l1_code(wrmsr, sizeof(wrmsr));
	s = &cpu->vmcb01->save;
	efer = s->efer;
	cpu->gregs.rcx = MSR_EFER;
	s->rax = (uint32_t)(efer ^ X86_EFER_NXE);
	cpu->gregs.rdx = efer >> 32;
	l1_exit(VMEXIT_MSR, 1);
	handle_msr(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	assert_int_equal(s->efer, efer ^ X86_EFER_NXE);
	assert_int_equal(s->rip, CODE_LA + 2);
}

/* CPUID exits but RIP holds RDTSC: #UD, and RAX, RBX, RCX, RDX keep
 * their values (APM Vol. 3 CPUID writes all four only when it
 * executes). */
static void test_cpuid_not_at_rip(void **state)
{
	static const uint8_t rdtsc[] = { 0x0f, 0x31 };
	struct vmcb_save *s;

	(void)state;
	cpu_up_decoding();
	l1_code(rdtsc, sizeof(rdtsc));
	s = &cpu->vmcb01->save;
	s->rax = 0;
	cpu->gregs.rbx = 0x1111;
	cpu->gregs.rcx = 0x2222;
	cpu->gregs.rdx = 0x3333;
	l1_exit(VMEXIT_CPUID, 0);
	handle_cpuid(cpu);
	assert_ud_injected(cpu->vmcb01);
	assert_int_equal(s->rax, 0);
	assert_int_equal(cpu->gregs.rbx, 0x1111);
	assert_int_equal(cpu->gregs.rcx, 0x2222);
	assert_int_equal(cpu->gregs.rdx, 0x3333);
	assert_int_equal(s->rip, CODE_LA);
}

/* ---- effect, RIP, then the single-step trap ----------------------------- */

/*
 * L2 (no nested paging, so its page tables live in L1 memory) executes
 * MOV CR4, RCX (0F 22 E1) with RFLAGS.TF set; L1 does not intercept CR4
 * writes but intercepts #DB.  The MOV completes (CR4.PGE toggled), then
 * the single-step trap is L1's #VMEXIT(#DB) (exit 0x41, APM Vol. 2
 * §15.12): vmcb12 must hold the new CR4 and RIP past the MOV, and DR6.BS.
 */
static void test_single_step_after_mov_cr4(void **state)
{
	static const uint8_t mov_cr4[] = { 0x0f, 0x22, 0xe1 };
	static const uint8_t vmrun[] = { 0x0f, 0x01, 0xd8 };
	struct vmcb *v;
	uint64_t page, cr4;

	(void)state;
	cpu_up_decoding();
	l1_code(vmrun, sizeof(vmrun));
	v = vmcb12_new();
	page = l1_page();
	memcpy((void *)page, mov_cr4, sizeof(mov_cr4));
	npt12_map(v->save.cr3, v->save.rip, page, PTE_P | PTE_RW | PTE_A);
	v->save.rflags |= X86_RFLAGS_TF;
	v->control.intercept_exceptions = 1u << X86_VEC_DB;
	cr4 = v->save.cr4;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	cpu->gregs.rcx = cr4 ^ X86_CR4_PGE;
	l2_exit(VMEXIT_CR4_WRITE, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_EXCP_BASE + X86_VEC_DB);
	assert_int_equal(v->save.cr4, cr4 ^ X86_CR4_PGE);
	assert_int_equal(v->save.rip, 0x4000 + sizeof(mov_cr4));
	assert_int_equal(v->save.dr6 & X86_DR6_BS, X86_DR6_BS);
}

/*
 * nestvisor's own CR4 in host mode follows L1's PGE, PSE, SMEP and SMAP
 * (svm/cr.c; docs/benchmarks.md "Issue 9's goals": a world switch that
 * changes them costs QEMU TCG a whole TLB flush) and nothing else: the
 * host's other bits (PAE, OSFXSR here) stay, LA57 and the rest never
 * follow, and L2's CR4 writes leave it alone.
 */
static void test_host_cr4_follows_l1(void **state)
{
	static const uint8_t mov_cr4[] = { 0x0f, 0x22, 0xe1 }; /* MOV CR4, RCX */
	static const uint8_t vmrun[] = { 0x0f, 0x01, 0xd8 };
	const uint64_t host = X86_CR4_PAE | X86_CR4_OSFXSR;
	const uint64_t follow = X86_CR4_PGE | X86_CR4_PSE | X86_CR4_SMEP | X86_CR4_SMAP;
	struct vmcb_save *s;
	struct vmcb *v;
	uint64_t page, cr4;

	(void)state;
	cpu_up_decoding();
	l1_code(mov_cr4, sizeof(mov_cr4));
	s = &cpu->vmcb01->save;
	hw.cr4 = host;
	/* MCE and OSXMMEXCPT: L1's, not the host's (APM Vol. 2 §3.1.3 gives
	 * them no effect on translation) */
	cpu->gregs.rcx = s->cr4 | follow | X86_CR4_MCE | X86_CR4_OSXMMEXCPT;
	l1_exit(VMEXIT_CR4_WRITE, 0);
	handle_cr4_write(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	assert_int_equal(s->cr4 & follow, follow);
	assert_int_equal(hw.cr4, host | follow);
	/* A MOV that faults (#GP: FSGSBASE, which this CPU lacks) changes
	 * neither L1's CR4 nor the host's */
	s->rip = CODE_LA;
	cr4 = s->cr4;
	cpu->gregs.rcx = (s->cr4 & ~follow) | X86_CR4_FSGSBASE;
	l1_exit(VMEXIT_CR4_WRITE, 0);
	handle_cr4_write(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0x80000b0d); /* #GP(0) */
	assert_int_equal(s->cr4, cr4);
	assert_int_equal(hw.cr4, host | follow);
	cpu->vmcb01->control.event_inj.raw = 0;
	/* L1 clears SMAP and PGE: the host's go too */
	s->rip = CODE_LA;
	cpu->gregs.rcx = s->cr4 & ~(X86_CR4_SMAP | X86_CR4_PGE);
	l1_exit(VMEXIT_CR4_WRITE, 0);
	handle_cr4_write(cpu);
	assert_int_equal(hw.cr4, host | X86_CR4_PSE | X86_CR4_SMEP);
	/* L2's MOV CR4 (not intercepted by L1): the host's stays */
	cpu_up_decoding();
	hw.cr4 = host;
	l1_code(vmrun, sizeof(vmrun));
	v = vmcb12_new();
	page = l1_page();
	memcpy((void *)page, mov_cr4, sizeof(mov_cr4));
	npt12_map(v->save.cr3, v->save.rip, page, PTE_P | PTE_RW | PTE_A);
	cr4 = v->save.cr4;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	cpu->gregs.rcx = cr4 ^ X86_CR4_PGE;
	l2_exit(VMEXIT_CR4_WRITE, 0, 0, 0);
	assert_int_equal(cpu->nested.vmcb02->save.cr4, cr4 ^ X86_CR4_PGE);
	assert_int_equal(hw.cr4, host);
}

/* ---- linear addresses outside 64-bit mode ------------------------------- */

/*
 * A 32-bit L1 with paging off: the linear address of CS:EIP is
 * CS.base + EIP modulo 2^32 (APM Vol. 2 chapter 4, "Segmented Virtual
 * Memory": outside 64-bit mode linear addresses are 32 bits), here 0xf0000000 + (page + 0x10000000),
 * which wraps to the page itself.  CPUID there must complete (RIP += 2).
 * (Without the wrap nestvisor would read 4 GiB higher, where this test's
 * process has nothing mapped.)
 */
#define WRAP_BASE 0xf0000000ull

static void test_cs_base_wraps_at_4g(void **state)
{
	static const uint8_t cpuid_insn[] = { 0x0f, 0xa2 };
	struct vmcb_save *s;
	uint64_t page;

	(void)state;
	cpu_up_decoding();
	page = l1_page();
	memcpy((void *)page, cpuid_insn, sizeof(cpuid_insn));
	s = &cpu->vmcb01->save;
	s->efer = X86_EFER_SVME;
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s->cr4 = 0;
	s->cs.base = WRAP_BASE;
	s->cs.limit = 0xffffffff;
	s->cs.attrib.raw = 0xc9b; /* 32-bit code: G, D, P, S, type 0xb */
	s->rip = page + (1ull << 32) - WRAP_BASE;
	s->rax = 0;
	l1_exit(VMEXIT_CPUID, 0);
	handle_cpuid(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	assert_int_equal(s->rip, page + (1ull << 32) - WRAP_BASE + 2);
}

/* EIP wraps too: CPUID at EIP 0xfffffffe with CS.base = page + 4096
 * (linear page + 4094 after the wrap) completes with EIP = 0: outside
 * 64-bit mode the instruction pointer is EIP, 32 bits (APM Vol. 1,
 * "Instruction Pointer"). */
static void test_eip_wraps_at_4g(void **state)
{
	static const uint8_t cpuid_insn[] = { 0x0f, 0xa2 };
	struct vmcb_save *s;
	uint64_t page;

	(void)state;
	cpu_up_decoding();
	page = l1_page();
	memcpy((void *)(page + PAGE - 2), cpuid_insn, sizeof(cpuid_insn));
	s = &cpu->vmcb01->save;
	l1_flat32(s, page + PAGE); /* EIP 0xfffffffe is page + PAGE - 2 */
	s->rip = 0xfffffffe;
	s->rax = 0;
	l1_exit(VMEXIT_CPUID, 0);
	handle_cpuid(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	assert_int_equal(s->rip, 0);
}

/* ---- rAX by the effective address size ---------------------------------- */

/*
 * VMRUN, VMLOAD, VMSAVE and INVLPGA take rAX, "the portion of RAX used to
 * form the address is determined by the effective address size" (APM
 * Vol. 3, each instruction's page): RAX in 64-bit mode, EAX with a 67h
 * prefix there; EAX in 32-bit code, AX with 67h; AX in 16-bit code.
 * INVLPGA shows which part was taken: the address it invalidates.
 */
static uint64_t invlpga_va(uint64_t cr0, uint16_t cs_attr, const uint8_t *code,
			   unsigned len, uint64_t rax)
{
	struct vmcb_save *s;

	cpu_up_decoding();
	s = &cpu->vmcb01->save;
	if (!(cr0 & X86_CR0_PG)) { /* legacy protected mode, paging off */
		uint64_t page = l1_page();

		memcpy((void *)page, code, len);
		s->efer = X86_EFER_SVME;
		s->cr4 = 0;
		s->cs.base = page; /* IP or EIP 0 */
		s->cs.limit = 0xffffffff;
		s->rip = 0;
	} else {
		l1_code(code, len);
	}
	s->cr0 = cr0;
	s->cs.attrib.raw = cs_attr;
	s->rax = rax;
	cpu->gregs.rcx = 1; /* L1's ASID 1: host ASID 2 */
	l1_exit(VMEXIT_INVLPGA, 0);
	nested_invlpga(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	assert_int_equal(hw.invlpga, 1);
	assert_int_equal(hw.invlpga_asid, 2);
	assert_int_equal(s->rip & 0xfff, len);
	return hw.invlpga_va;
}

#define RAX_VALUE 0xffff800012345678ull
#define CR0_PM    (X86_CR0_PE | X86_CR0_ET | X86_CR0_NE)
#define CR0_LONG  (CR0_PM | X86_CR0_PG | X86_CR0_WP)

static void test_invlpga_address_size(void **state)
{
	static const uint8_t plain[] = { 0x0f, 0x01, 0xdf };
	static const uint8_t addr_size[] = { 0x67, 0x0f, 0x01, 0xdf };

	(void)state;
	/* 64-bit code (L=1): RAX; with 67h: EAX */
	assert_int_equal(invlpga_va(CR0_LONG, 0xa9b, plain, 3, RAX_VALUE),
			 RAX_VALUE);
	assert_int_equal(invlpga_va(CR0_LONG, 0xa9b, addr_size, 4, RAX_VALUE),
			 0x12345678);
	/* 32-bit code (D=1): EAX; with 67h: AX */
	assert_int_equal(invlpga_va(CR0_PM, 0xc9b, plain, 3, RAX_VALUE),
			 0x12345678);
	assert_int_equal(invlpga_va(CR0_PM, 0xc9b, addr_size, 4, RAX_VALUE),
			 0x5678);
	/* 16-bit protected-mode code (D=0): AX; with 67h: EAX */
	assert_int_equal(invlpga_va(CR0_PM, 0x09b, plain, 3, RAX_VALUE),
			 0x5678);
	assert_int_equal(invlpga_va(CR0_PM, 0x09b, addr_size, 4, RAX_VALUE),
			 0x12345678);
}

/* VMLOAD with 67h in 64-bit code and RAX = a page of L1 with bit 63 set:
 * the VMCB is at EAX, and loads (FS.base), where all of RAX would be an
 * address beyond MAXPHYADDR (#GP, APM Vol. 3 VMLOAD). */
static void test_vmload_addr32(void **state)
{
	static const uint8_t code[] = { 0x67, 0x0f, 0x01, 0xda };
	struct vmcb *src;
	struct vmcb_save *s;

	(void)state;
	cpu_up_decoding();
	l1_code(code, sizeof(code));
	src = (struct vmcb *)l1_page();
	src->save.fs.base = 0xf5f5f000;
	s = &cpu->vmcb01->save;
	s->rax = (1ull << 63) | (uint64_t)src;
	l1_exit(VMEXIT_VMLOAD, 0);
	nested_vmload_vmsave(cpu, true);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	assert_int_equal(s->fs.base, 0xf5f5f000);
	assert_int_equal(s->rip, CODE_LA + sizeof(code));
}

/* ---- a vmcb02 the CPU refuses ------------------------------------------- */

/*
 * L1's VMRUN that fails ends as the APM gives it (Vol. 2 §15.5.1; docs/
 * semantics.md §8): exit code VMEXIT_INVALID, EXITINFO1 and EXITINFO2 0,
 * EVENTINJ consumed, GIF clear, and vmcb12's save area as L1 wrote it (no
 * guest state was loaded); L1 resumes after its VMRUN.
 */
static void assert_vmrun_failed(const struct vmcb *v, const struct vmcb *before)
{
	assert_false(cpu->nested.guest_mode);
	assert_ptr_equal(cpu->cur, cpu->vmcb01);
	assert_int_equal(v->control.exit_code, VMEXIT_INVALID);
	assert_int_equal(v->control.exit_info_1, 0);
	assert_int_equal(v->control.exit_info_2, 0);
	assert_int_equal(v->control.event_inj.raw, 0);
	assert_false(cpu->nested.gif);
	assert_memory_equal(&v->save, &before->save, sizeof(v->save));
	assert_int_equal(cpu->vmcb01->save.rip, 0x1000 + 3);
}

/* What QEMU TCG leaves in a VMCB whose VMRUN it refused: the host's
 * state, RIP at nestvisor's VMRUN. */
static void host_state_in(struct vmcb *v02)
{
	v02->save.rip = (uint64_t)svm_vmrun_insn;
	v02->save.cr3 = HV_BASE + 0x5000;
	v02->save.rsp = HV_BASE + 0x7ff0;
	v02->save.cs.attrib.raw = 0xa9b;
}

/* A vmcb12 with an event to inject, run by L1 (NRIPS: no decoding). */
static struct vmcb *vmrun_with_event(struct vmcb *before)
{
	struct vmcb *v;

	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.event_inj.raw = 0x80000b0d; /* #GP, error code 0x18 */
	v->control.event_inj_err = 0x18;
	v->control.exit_info_1 = 0x1111;
	v->control.exit_info_2 = 0x2222;
	memcpy(before, v, sizeof(*v));
	before->control.exit_code = VMEXIT_INVALID;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	return v;
}

/* Refused at the first entry, with the host's state in vmcb02 (QEMU) or
 * with L2's (a CPU that refuses after loading it): L1's VMRUN fails. */
static void test_vmcb02_refused_at_entry(void **state)
{
	static struct vmcb before;
	struct vmcb *v;

	(void)state;
	v = vmrun_with_event(&before);
	host_state_in(cpu->nested.vmcb02);
	l2_exit(VMEXIT_INVALID, 0, 0, 0);
	assert_vmrun_failed(v, &before);

	v = vmrun_with_event(&before);
	l2_exit(VMEXIT_INVALID, 0, 0, 0);
	assert_vmrun_failed(v, &before);
}

/* A vmcb12 whose L2 (no nested paging) has MOV CR3, RCX (0F 22 D9) at
 * its RIP, run by L1. */
static struct vmcb *vmrun_mov_cr3(struct vmcb *before, uint32_t exceptions)
{
	static const uint8_t mov_cr3[] = { 0x0f, 0x22, 0xd9 };
	struct vmcb *v;
	uint64_t page;

	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	page = l1_page();
	memcpy((void *)page, mov_cr3, sizeof(mov_cr3));
	npt12_map(v->save.cr3, v->save.rip, page, PTE_P | PTE_RW | PTE_A);
	v->control.intercept_exceptions = exceptions;
	memcpy(before, v, sizeof(*v));
	before->control.exit_code = VMEXIT_INVALID;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	return v;
}

/*
 * Refused with L2's state in vmcb02 and MOV CR3 at its RIP: QEMU's report
 * of a MOV CR3 it refuses in guest mode (a bit beyond MAXPHYADDR);
 * hardware raises #GP(0) there (APM Vol. 2 §3.1.2), which L1 intercepts:
 * #VMEXIT 0x4d, EXITINFO1 = 0, RIP at the MOV.  The same refusal right
 * after that #GP (the state is what the checks miss): L1's VMRUN fails.
 */
static void test_vmcb02_refused_mov_cr3(void **state)
{
	static struct vmcb before;
	struct vmcb *v;

	(void)state;
	v = vmrun_mov_cr3(&before, 1u << X86_VEC_GP);
	cpu->nr_exits += 2; /* svm/exit.c counts every exit */
	l2_exit(VMEXIT_INVALID, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_EXCP_BASE + X86_VEC_GP);
	assert_int_equal(v->control.exit_info_1, 0);
	assert_int_equal(v->save.rip, 0x4000);

	/* without L1's #GP intercept: into L2, twice in a row: failed */
	v = vmrun_mov_cr3(&before, 0);
	cpu->nr_exits++;
	l2_exit(VMEXIT_INVALID, 0, 0, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(cpu->nested.vmcb02->control.event_inj.raw,
			 0x80000b0d);
	assert_int_equal(cpu->nested.vmcb02->control.event_inj_err, 0);
	cpu->nr_exits++;
	l2_exit(VMEXIT_INVALID, 0, 0, 0);
	assert_vmrun_failed(v, &before);
}

/* Refused after L2 ran, with the host's state in vmcb02, or with a
 * state of L2 that VMRUN must refuse (CR0.NW without CD, which QEMU TCG
 * lets a guest reach) even with MOV CR3 at RIP: L1's VMRUN fails;
 * vmcb02's save area never reaches vmcb12. */
static void test_vmcb02_refused_unrunnable(void **state)
{
	static struct vmcb before;
	struct vmcb *v;

	(void)state;
	for (int host = 0; host < 2; host++) {
		v = vmrun_mov_cr3(&before, 1u << X86_VEC_GP);
		l2_exit(VMEXIT_INVD, 0, 0, 0);
		if (host)
			host_state_in(cpu->nested.vmcb02);
		else
			cpu->nested.vmcb02->save.cr0 =
				(v->save.cr0 | X86_CR0_NW) & ~X86_CR0_CD;
		cpu->nr_exits += 2;
		l2_exit(VMEXIT_INVALID, 0, 0, 0);
		assert_vmrun_failed(v, &before);
	}
}

/* ---- MOV to CR0 and LMSW (the selective CR0 write intercept) ----------- */

/* MOV CR0, RAX (0F 22 C0) in 64-bit L1 with NW set and CD clear: #GP(0)
 * (APM Vol. 2 §3.1.1), CR0 and RIP unchanged. */
static void test_mov_cr0_nw_gp(void **state)
{
	static const uint8_t mov_cr0[] = { 0x0f, 0x22, 0xc0 };
	struct vmcb_save *s;
	uint64_t cr0;

	(void)state;
	cpu_up_decoding();
	l1_code(mov_cr0, sizeof(mov_cr0));
	s = &cpu->vmcb01->save;
	cr0 = s->cr0;
	s->rax = (cr0 | X86_CR0_NW) & ~X86_CR0_CD;
	l1_exit(VMEXIT_CR0_SEL_WRITE, 0);
	handle_cr0_write(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0x80000b0d);
	assert_int_equal(cpu->vmcb01->control.event_inj_err, 0);
	assert_int_equal(s->cr0, cr0);
	assert_int_equal(s->rip, CODE_LA);
	/* CD and NW both: taken, RIP past the MOV */
	s->rax = cr0 | X86_CR0_NW | X86_CR0_CD;
	l1_exit(VMEXIT_CR0_SEL_WRITE, 0);
	handle_cr0_write(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	assert_int_equal(s->cr0, cr0 | X86_CR0_NW | X86_CR0_CD);
	assert_int_equal(s->rip, CODE_LA + 3);
}

/* LMSW [RBX] (0F 01 33) in 64-bit L1: bits 3:0 of the word at RBX go to
 * CR0, PE stays set (APM Vol. 3 LMSW); the word's page is mapped by L1's
 * own table.  Then the same with RBX on a page L1 does not map: #PF, not
 * present, a read (error code 0), CR2 = the address. */
static void test_lmsw_memory(void **state)
{
	static const uint8_t lmsw[] = { 0x0f, 0x01, 0x33 };
	struct vmcb_save *s;
	uint64_t data, cr0;

	(void)state;
	cpu_up_decoding();
	l1_code(lmsw, sizeof(lmsw));
	data = l1_page();
	s = &cpu->vmcb01->save;
	npt12_map(s->cr3, 0x200000, data, PTE_P | PTE_RW | PTE_A);
	*(uint16_t *)(data + 0x10) = (uint16_t)X86_CR0_EM; /* PE clear */
	cr0 = s->cr0;
	cpu->gregs.rbx = 0x200010;
	l1_exit(VMEXIT_CR0_SEL_WRITE, 0);
	handle_cr0_write(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	assert_int_equal(s->cr0, (cr0 & ~(X86_CR0_MP | X86_CR0_TS)) |
				 X86_CR0_EM | X86_CR0_PE);
	assert_int_equal(s->rip, CODE_LA + 3);

	s->rip = CODE_LA;
	s->cr0 = cr0;
	cpu->gregs.rbx = 0x300010;
	l1_exit(VMEXIT_CR0_SEL_WRITE, 0);
	handle_cr0_write(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0x80000b0e);
	assert_int_equal(cpu->vmcb01->control.event_inj_err, 0);
	assert_int_equal(s->cr2, 0x300010);
	assert_int_equal(s->cr0, cr0);
	assert_int_equal(s->rip, CODE_LA);
}

/* 32-bit L1, paging off, EFER.LME and CR4.PAE set: MOV CR0, EAX with PG
 * activates long mode, EFER.LMA = 1 (APM Vol. 2 §14.6.2); without PAE it
 * is #GP(0) instead. */
static void test_mov_cr0_activates_long_mode(void **state)
{
	static const uint8_t mov_cr0[] = { 0x0f, 0x22, 0xc0 };
	struct vmcb_save *s;
	uint64_t page;

	(void)state;
	for (int pae = 1; pae >= 0; pae--) {
		cpu_up_decoding();
		page = l1_page();
		memcpy((void *)page, mov_cr0, sizeof(mov_cr0));
		s = &cpu->vmcb01->save;
		s->efer = X86_EFER_LME | X86_EFER_SVME;
		s->cr0 = X86_CR0_PE | X86_CR0_ET;
		s->cr4 = pae ? X86_CR4_PAE : 0;
		s->cs.base = page;
		s->cs.limit = 0xffffffff;
		s->cs.attrib.raw = 0xc9b;
		s->rip = 0;
		s->rax = 0xffffffff00000000ull | X86_CR0_PE | X86_CR0_PG;
		l1_exit(VMEXIT_CR0_SEL_WRITE, 0);
		handle_cr0_write(cpu);
		if (pae) {
			/* the operand is EAX: RAX's high bits do not count */
			assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
			assert_int_equal(s->cr0, X86_CR0_PE | X86_CR0_PG |
						 X86_CR0_ET);
			assert_int_equal(s->efer, X86_EFER_LME | X86_EFER_LMA |
						  X86_EFER_SVME);
			assert_int_equal(s->rip, 3);
		} else {
			assert_int_equal(cpu->vmcb01->control.event_inj.raw,
					 0x80000b0d);
			assert_int_equal(s->efer, X86_EFER_LME | X86_EFER_SVME);
			assert_int_equal(s->rip, 0);
		}
	}
}

/* L2's MOV CR0 with NW and without CD, which L1 does not intercept: the
 * #GP(0) is L2's, and L1, intercepting #GP, gets #VMEXIT 0x4d with
 * EXITINFO1 = 0 and L2's RIP at the MOV. */
static void test_l2_mov_cr0_nw_gp(void **state)
{
	static const uint8_t vmrun[] = { 0x0f, 0x01, 0xd8 };
	static const uint8_t mov_cr0[] = { 0x0f, 0x22, 0xc1 }; /* RCX */
	struct vmcb *v;
	uint64_t page, cr0;

	(void)state;
	cpu_up_decoding();
	l1_code(vmrun, sizeof(vmrun));
	v = vmcb12_new();
	page = l1_page();
	memcpy((void *)page, mov_cr0, sizeof(mov_cr0));
	npt12_map(v->save.cr3, v->save.rip, page, PTE_P | PTE_RW | PTE_A);
	v->control.intercept_exceptions = 1u << X86_VEC_GP;
	cr0 = v->save.cr0;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	cpu->gregs.rcx = (cr0 | X86_CR0_NW) & ~X86_CR0_CD;
	l2_exit(VMEXIT_CR0_SEL_WRITE, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_EXCP_BASE + X86_VEC_GP);
	assert_int_equal(v->control.exit_info_1, 0);
	assert_int_equal(v->save.cr0, cr0);
	assert_int_equal(v->save.rip, 0x4000);
}

/* ---- the decode cache and the code's default size ----------------------- */

/*
 * 89 05 followed by four bytes is MOV [disp32], EAX in 32-bit code (ModRM
 * mod 00, r/m 101: a 32-bit displacement, 6 bytes) but MOV [DI], AX in
 * 16-bit code (r/m 101 is [DI] there, no displacement: 2 bytes): APM
 * Vol. 3, "ModRM and SIB", the 16-bit and 32-bit addressing tables.  CS.D
 * alone decides which (CS.base, the linear address, the bytes, CR0, CR4
 * and EFER all stay), so the length found for one must not be the
 * other's.
 */
static void test_decode_cache_cs_d(void **state)
{
	static const uint8_t mov[] = { 0x89, 0x05, 0x00, 0x10, 0x00, 0x00 };
	struct vmcb_save *s;
	uint64_t page;

	(void)state;
	cpu_up_decoding();
	page = l1_page();
	memcpy((void *)page, mov, sizeof(mov));
	s = &cpu->vmcb01->save;
	s->efer = X86_EFER_SVME;
	s->cr0 = CR0_PM;
	s->cr4 = 0;
	s->cs.base = page;
	s->cs.limit = 0xffff;
	s->rip = 0;
	s->cs.attrib.raw = 0xc9b; /* D=1: 32-bit code */
	assert_int_equal(guest_insn_len(cpu, INSN_MOV_STORE), 6);
	s->cs.attrib.raw = 0x09b; /* D=0: 16-bit code */
	assert_int_equal(guest_insn_len(cpu, INSN_MOV_STORE), 2);
	s->cs.attrib.raw = 0xc9b;
	assert_int_equal(guest_insn_len(cpu, INSN_MOV_STORE), 6);
}

/*
 * The decode cache gives an instruction's length without reading or
 * decoding it again only while the walk and the bytes it saw still hold
 * (svm/nrip.c): L1 writes its page tables and its code without an exit,
 * and a stale length moves RIP into the middle of an instruction.  Each
 * case below lets CPUID exit twice at the same RIP (a miss that fills an
 * entry, then a hit), then changes one thing the CPU's own fetch depends
 * on, so that the bytes at RIP become another instruction, and expects
 * the new one's length (APM Vol. 3: prefixes before 0F A2 are part of
 * CPUID, 66h and REX.W among them) or #UD where the bytes there are no
 * CPUID at all.
 */
static const uint8_t cpuid66[] = { 0x66, 0x0f, 0xa2 };     /* 3 bytes */
static const uint8_t cpuid_plain[] = { 0x0f, 0xa2, 0x90 }; /* 2 bytes */
#define TABLE_FLAGS (PTE_P | PTE_RW | PTE_US | PTE_A)

/* L1's CPUID exit at RIP la: RIP's advance, or -1 for #UD (RIP kept). */
static int64_t cpuid_exit_at(uint64_t la)
{
	struct vmcb_save *s = &cpu->vmcb01->save;

	s->rip = la;
	s->rax = 0;
	cpu->gregs.rcx = 0;
	l1_exit(VMEXIT_CPUID, 0);
	handle_cpuid(cpu);
	if (cpu->vmcb01->control.event_inj.raw) {
		assert_ud_injected(cpu->vmcb01);
		assert_int_equal(s->rip, la);
		cpu->vmcb01->control.event_inj.raw = 0;
		return -1;
	}
	return (int64_t)(s->rip - la);
}

/* A page of L1 holding code. */
static uint64_t code_page(const uint8_t *code, unsigned len)
{
	uint64_t page = l1_page();

	memcpy((void *)page, code, len);
	return page;
}

/* The entry of the 4-level table at cr3 that translates la at level
 * (4: PML4E ... 1: PTE). */
static uint64_t *table_entry(uint64_t cr3, uint64_t la, unsigned level)
{
	uint64_t table = cr3;

	for (unsigned lvl = 4;; lvl--) {
		uint64_t *e = (uint64_t *)table + ((la >> (12 + 9 * (lvl - 1))) & 511);

		if (lvl == level)
			return e;
		table = *e & PTE64_ADDR_4K;
	}
}

/* Replaces la's entry at level with one that leads, through new tables,
 * to page. */
static void remap_at(uint64_t cr3, uint64_t la, unsigned level, uint64_t page)
{
	uint64_t e = page | PTE_P | PTE_RW | PTE_A;

	for (unsigned lvl = 1; lvl < level; lvl++) {
		uint64_t table = l1_page();

		((uint64_t *)table)[(la >> (12 + 9 * (lvl - 1))) & 511] = e;
		e = table | TABLE_FLAGS;
	}
	*table_entry(cr3, la, level) = e;
}

/* 64-bit L1 with CPUID (66 0F A2) at la through a 4-level table; the
 * first exit decodes, the second hits.  Returns CR3. */
static uint64_t cached_cpuid_at(uint64_t la)
{
	uint64_t cr3, page;

	cpu_up_decoding();
	cr3 = npt12_new();
	page = l1_page();
	memcpy((void *)(page + (la & 0xfff)), cpuid66, sizeof(cpuid66));
	npt12_map(cr3, la, page, PTE_P | PTE_RW | PTE_A);
	cpu->vmcb01->save.cr3 = cr3;
	assert_int_equal(cpuid_exit_at(la), 3);
	assert_int_equal(cpuid_exit_at(la), 3);
	return cr3;
}

/* L1 points one of the four entries of the walk elsewhere (PML4E, PDPTE,
 * PDE, PTE in turn) and does not exit: the same RIP is now another
 * CPUID. */
static void test_decode_cache_paging_entries(void **state)
{
	(void)state;
	for (unsigned level = 1; level <= 4; level++) {
		uint64_t cr3 = cached_cpuid_at(CODE_LA);

		remap_at(cr3, CODE_LA, level,
			 code_page(cpuid_plain, sizeof(cpuid_plain)));
		assert_int_equal(cpuid_exit_at(CODE_LA), 2);
		assert_int_equal(cpuid_exit_at(CODE_LA), 2);
	}
}

/* L1 rewrites the instruction in place (66 0F A2 becomes 0F A2 90). */
static void test_decode_cache_code_bytes(void **state)
{
	uint64_t cr3;
	uint8_t *code;

	(void)state;
	cr3 = cached_cpuid_at(CODE_LA);
	code = (uint8_t *)(*table_entry(cr3, CODE_LA, 1) & PTE64_ADDR_4K);
	memcpy(code, cpuid_plain, sizeof(cpuid_plain));
	assert_int_equal(cpuid_exit_at(CODE_LA), 2);
	/* A byte past the instruction is not part of it: the length stays
	 * 2. */
	code[2] = 0xcc;
	assert_int_equal(cpuid_exit_at(CODE_LA), 2);
	code[1] = 0x31; /* 0F 31: RDTSC */
	assert_int_equal(cpuid_exit_at(CODE_LA), -1);
}

/* MOV CR3 (no exit): another table maps another CPUID at the same RIP. */
static void test_decode_cache_cr3(void **state)
{
	uint64_t cr3;

	(void)state;
	cached_cpuid_at(CODE_LA);
	cr3 = npt12_new();
	npt12_map(cr3, CODE_LA, code_page(cpuid_plain, sizeof(cpuid_plain)),
		  PTE_P | PTE_RW | PTE_A);
	cpu->vmcb01->save.cr3 = cr3;
	assert_int_equal(cpuid_exit_at(CODE_LA), 2);
}

/*
 * CR4.LA57 set with the same CR3: the table at CR3 is now a PML5 and the
 * walk has five levels (APM Vol. 2 §5.3.2), which lead elsewhere.  The
 * table is built so that entry 0 of the page the 4-level walk uses as its
 * PT is, to the 5-level walk, a PDE: its PT maps CODE_LA to another CPUID.
 */
static void test_decode_cache_cr4(void **state)
{
	uint64_t cr3, *pt, pt5;

	(void)state;
	cr3 = cached_cpuid_at(CODE_LA);
	pt = (uint64_t *)(*table_entry(cr3, CODE_LA, 2) & PTE64_ADDR_4K);
	pt5 = l1_page();
	((uint64_t *)pt5)[(CODE_LA >> 12) & 511] =
		code_page(cpuid_plain, sizeof(cpuid_plain)) | PTE_P | PTE_RW |
		PTE_A;
	pt[0] = pt5 | TABLE_FLAGS;
	assert_int_equal(cpuid_exit_at(CODE_LA), 3); /* CR4 unchanged */
	cpu->vmcb01->save.cr4 |= X86_CR4_LA57;
	assert_int_equal(cpuid_exit_at(CODE_LA), 2);
}

/*
 * The bytes 48 0F A2 are CPUID with REX.W in 64-bit code, but DEC eAX
 * then 0F A2 in 32-bit or 16-bit code (APM Vol. 3: 40h-4Fh are REX only
 * in 64-bit mode): an entry made in 64-bit mode must not give its length
 * to code that is not, whether CS.L (compatibility mode) or EFER.LMA
 * (legacy mode with CS.L still set, paging off here: CS.base makes the
 * linear address the page's) is what changed.
 */
static void test_decode_cache_code_mode(void **state)
{
	static const uint8_t rex_cpuid[] = { 0x48, 0x0f, 0xa2 };
	struct vmcb_save *s;
	uint64_t cr3, page;

	(void)state;
	for (int legacy = 0; legacy <= 1; legacy++) {
		cpu_up_decoding();
		s = &cpu->vmcb01->save;
		cr3 = npt12_new();
		page = code_page(rex_cpuid, sizeof(rex_cpuid));
		npt12_map(cr3, CODE_LA, page, PTE_P | PTE_RW | PTE_A);
		s->cr3 = cr3;
		assert_int_equal(cpuid_exit_at(CODE_LA), 3);
		assert_int_equal(cpuid_exit_at(CODE_LA), 3);
		if (legacy) {
			s->efer &= ~(X86_EFER_LMA | X86_EFER_LME);
			s->cr0 &= ~X86_CR0_PG;
			s->cs.base = page - CODE_LA;
			s->cs.limit = 0xffffffff;
			/* CS.L stays set: outside long mode it means
			 * nothing, and D = 0 makes this 16-bit code. */
		} else {
			s->cs.attrib.raw = 0xc9b; /* L=0 D=1 */
		}
		assert_int_equal(cpuid_exit_at(CODE_LA), -1);
	}
}

/* The two entries of a kind: CPUIDs at two addresses both stay cached
 * and each keeps its own length; a third address takes the place of one
 * of them, and every length stays right. */
static void test_decode_cache_two_entries(void **state)
{
	static const uint64_t la[3] = { CODE_LA, CODE_LA + PAGE,
					CODE_LA + 2 * PAGE };
	uint64_t cr3;

	(void)state;
	cr3 = cached_cpuid_at(la[0]);
	npt12_map(cr3, la[1], code_page(cpuid_plain, sizeof(cpuid_plain)),
		  PTE_P | PTE_RW | PTE_A);
	npt12_map(cr3, la[2], code_page(cpuid66, sizeof(cpuid66)),
		  PTE_P | PTE_RW | PTE_A);
	for (unsigned round = 0; round < 3; round++) {
		assert_int_equal(cpuid_exit_at(la[0]), 3);
		assert_int_equal(cpuid_exit_at(la[1]), 2);
	}
	for (unsigned round = 0; round < 3; round++)
		for (unsigned i = 0; i < 3; i++)
			assert_int_equal(cpuid_exit_at(la[i]), i == 1 ? 2 : 3);
}

/*
 * A hit moves RIP as a decode would: by the length, on all 64 bits of
 * RIP in 64-bit mode (no wrap at 4 GiB: APM Vol. 1, "Instruction
 * Pointer"), then the single-step trap when RFLAGS.TF was set: #DB
 * (EVENTINJ vector 1, type 3, valid) with DR6.BS (APM Vol. 2 §13.1.4),
 * and RF cleared.
 */
#define HIGH_LA 0x00007ffffffff000ull

static void test_decode_cache_hit_completes(void **state)
{
	struct vmcb_save *s;

	(void)state;
	cached_cpuid_at(HIGH_LA + 0xffd);
	s = &cpu->vmcb01->save;
	assert_int_equal(s->rip, HIGH_LA + 0x1000);
	s->rflags |= X86_RFLAGS_TF | X86_RFLAGS_RF;
	s->dr6 = 0xffff0ff0;
	s->rip = HIGH_LA + 0xffd;
	l1_exit(VMEXIT_CPUID, 0);
	handle_cpuid(cpu);
	assert_int_equal(s->rip, HIGH_LA + 0x1000);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0x80000301);
	assert_int_equal(s->dr6 & X86_DR6_BS, X86_DR6_BS);
	assert_int_equal(s->rflags & X86_RFLAGS_RF, 0);
}

/*
 * An empty entry never answers, even where its key (~0, a canonical RIP)
 * and the control registers it kept from before match: CPUID at RIP
 * 0xffffffffffffffff (0F there, A2 at linear 0), right after the cache
 * was emptied with CR3 and CR4 unchanged, must be read and decoded: 2
 * bytes, and RIP, 64 bits wide, wraps to 1.  The emptied entry last held
 * 66 0F A2, 3 bytes.
 */
static void test_decode_cache_empty_entry(void **state)
{
	uint64_t cr3, lo, hi;
	struct vmcb_save *s;

	(void)state;
	cr3 = cached_cpuid_at(CODE_LA);
	s = &cpu->vmcb01->save;
	hi = l1_page();
	lo = l1_page();
	((uint8_t *)hi)[PAGE - 1] = 0x0f;
	((uint8_t *)lo)[0] = 0xa2;
	npt12_map(cr3, ~0ull & ~(PAGE - 1), hi, PTE_P | PTE_RW | PTE_A);
	npt12_map(cr3, 0, lo, PTE_P | PTE_RW | PTE_A);
	decode_cache_clear(cpu, 0);
	s->rip = ~0ull;
	l1_exit(VMEXIT_CPUID, 0);
	handle_cpuid(cpu);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	assert_int_equal(s->rip, 1);
}

/*
 * With NRIPS (CPUID 8000_000A EDX[3]) the CPU gives next_rip, the address
 * of the next instruction (APM Vol. 2 §15.7.1): the length is
 * next_rip - RIP, whatever the bytes at RIP, and nothing is read.  Here
 * the bytes (66 0F A2, 3) disagree with the CPU's next_rip on purpose, so
 * that the answer shows where it came from; next_rip 0 (a CPU that gave
 * none) falls back to the bytes.  Outside 64-bit mode the new RIP wraps
 * at the code size (EIP here).
 */
static void test_nrips_next_rip(void **state)
{
	struct vmcb_save *s;
	struct vmcb_control *c;

	(void)state;
	cached_cpuid_at(HIGH_LA);
	cpu->caps.edx |= 1u << SVM_FEAT_NRIPS;
	s = &cpu->vmcb01->save;
	c = &cpu->vmcb01->control;
	for (unsigned round = 0; round < 2; round++) {
		s->rip = HIGH_LA;
		l1_exit(VMEXIT_CPUID, 0);
		c->next_rip = HIGH_LA + 7;
		handle_cpuid(cpu);
		assert_int_equal(c->event_inj.raw, 0);
		assert_int_equal(s->rip, HIGH_LA + 7);
	}
	s->rip = HIGH_LA;
	l1_exit(VMEXIT_CPUID, 0);
	handle_cpuid(cpu); /* next_rip 0 */
	assert_int_equal(s->rip, HIGH_LA + 3);

	/* 32-bit code, paging off: EIP 0xfffffffe + 2 wraps to 0. */
	l1_flat32(s, 0);
	s->rip = 0xfffffffe;
	l1_exit(VMEXIT_CPUID, 0);
	c->next_rip = 0x100000000ull;
	handle_cpuid(cpu);
	assert_int_equal(c->event_inj.raw, 0);
	assert_int_equal(s->rip, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrmsr_not_at_rip),
		cmocka_unit_test(test_decode_cache_cs_d),
		cmocka_unit_test(test_decode_cache_paging_entries),
		cmocka_unit_test(test_decode_cache_code_bytes),
		cmocka_unit_test(test_decode_cache_cr3),
		cmocka_unit_test(test_decode_cache_cr4),
		cmocka_unit_test(test_decode_cache_code_mode),
		cmocka_unit_test(test_decode_cache_two_entries),
		cmocka_unit_test(test_decode_cache_hit_completes),
		cmocka_unit_test(test_decode_cache_empty_entry),
		cmocka_unit_test(test_nrips_next_rip),
		cmocka_unit_test(test_wrmsr_at_rip),
		cmocka_unit_test(test_cpuid_not_at_rip),
		cmocka_unit_test(test_single_step_after_mov_cr4),
		cmocka_unit_test(test_host_cr4_follows_l1),
		cmocka_unit_test(test_cs_base_wraps_at_4g),
		cmocka_unit_test(test_eip_wraps_at_4g),
		cmocka_unit_test(test_invlpga_address_size),
		cmocka_unit_test(test_vmload_addr32),
		cmocka_unit_test(test_vmcb02_refused_at_entry),
		cmocka_unit_test(test_vmcb02_refused_mov_cr3),
		cmocka_unit_test(test_vmcb02_refused_unrunnable),
		cmocka_unit_test(test_mov_cr0_nw_gp),
		cmocka_unit_test(test_lmsw_memory),
		cmocka_unit_test(test_mov_cr0_activates_long_mode),
		cmocka_unit_test(test_l2_mov_cr0_nw_gp),
	};
	return cmocka_run_group_tests(tests, machine_up, machine_down);
}
