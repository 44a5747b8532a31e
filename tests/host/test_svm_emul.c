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
	cpu->decode_cache[0].la = cpu->decode_cache[1].la = ~0ull;
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
	s->efer = X86_EFER_SVME;
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s->cr4 = 0;
	s->cs.base = page + PAGE; /* EIP 0xfffffffe is page + PAGE - 2 */
	s->cs.limit = 0xffffffff;
	s->cs.attrib.raw = 0xc9b;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrmsr_not_at_rip),
		cmocka_unit_test(test_wrmsr_at_rip),
		cmocka_unit_test(test_cpuid_not_at_rip),
		cmocka_unit_test(test_single_step_after_mov_cr4),
		cmocka_unit_test(test_cs_base_wraps_at_4g),
		cmocka_unit_test(test_eip_wraps_at_4g),
		cmocka_unit_test(test_invlpga_address_size),
		cmocka_unit_test(test_vmload_addr32),
	};
	return cmocka_run_group_tests(tests, machine_up, machine_down);
}
