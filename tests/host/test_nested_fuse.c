// SPDX-License-Identifier: MIT
/*
 * svm/nested_fuse.c on the host: after L1's VMSAVE, its POP rAX; VMLOAD
 * rAX emulated in the same exit, from nestvisor's own sources on the fake
 * machine of glue_fixture.h, with L1's 4-level page tables in its fake
 * memory.
 *
 * Expectations: the two instructions' effects (AMD APM Vol. 3 POP: RAX =
 * the 8 bytes at RSP, RSP += 8; Vol. 2 §15.5.2 VMLOAD: the state from the
 * page at rAX, #GP(0) for an rAX that is not page-aligned), and for every
 * case where something could come between them or the access would not
 * be the plain one (docs/nested.md, "Exits that carry the next
 * instruction"), no effect at all: L1 then executes the POP itself.
 */
#include "glue_fixture.h"

#define CODE_LA  0x400000ull   /* linear page of the code */
#define STACK_LA 0x800000ull   /* linear page of the stack */
#define R1       (CODE_LA + 0x100) /* RIP after the VMSAVE */
#define FS_MARK  0x1234000ull

static const uint8_t pop_vmload[4] = { 0x58, 0x0f, 0x01, 0xda };

static uint64_t cr3, code_pa, stack_pa, load_pa;
static unsigned levels = 4;

/* Map la to pa in L1's tables (4 levels, or 5 with CR4.LA57; leaf flags
 * as given, the tables above it present, writable, user, accessed). */
static uint64_t *pt_map(uint64_t la, uint64_t pa, uint64_t flags)
{
	uint64_t table = cr3;

	for (unsigned lvl = levels; lvl > 1; lvl--) {
		uint64_t *e = (uint64_t *)table + ((la >> (12 + 9 * (lvl - 1))) & 511);

		if (!(*e & PTE_P))
			*e = l1_page() | PTE_P | PTE_RW | PTE_US | PTE_A;
		table = *e & PTE64_ADDR_4K;
	}
	uint64_t *leaf = (uint64_t *)table + ((la >> 12) & 511);

	*leaf = pa | flags;
	return leaf;
}

/* L1 right after its VMSAVE at R1 - 3: code, stack with the address of a
 * VMCB whose FS.base is FS_MARK at RSP. */
static void setup_cr4(uint64_t cr4)
{
	struct vmcb_save *s;

	levels = cr4 & X86_CR4_LA57 ? 5 : 4;
	cpu_up(0, cr4, X86_EFER_NXE);
	cr3 = l1_page();
	code_pa = l1_page();
	stack_pa = l1_page();
	load_pa = l1_page();
	pt_map(CODE_LA, code_pa, PTE_P | PTE_A);
	pt_map(STACK_LA, stack_pa, PTE_P | PTE_RW | PTE_A | PTE_D);
	memcpy((uint8_t *)code_pa + (R1 & 0xfff), pop_vmload, sizeof(pop_vmload));
	((struct vmcb *)load_pa)->save.fs.base = FS_MARK;
	*(uint64_t *)(stack_pa + 0xf00) = load_pa;
	s = &cpu->vmcb01->save;
	s->cr3 = cr3;
	s->rip = R1;
	s->rsp = STACK_LA + 0xf00;
	s->rax = 0x5555;
	s->fs.base = 0;
}

static void setup(void)
{
	setup_cr4(0);
}

static void expect_fused(uint64_t rsp_before, uint64_t popped)
{
	const struct vmcb_save *s = &cpu->vmcb01->save;

	assert_int_equal(s->rax, popped);
	assert_int_equal(s->rsp, rsp_before + 8);
	assert_int_equal(s->rip, R1 + 4);
	assert_false(cpu->vmcb01->control.event_inj.valid);
}

static void expect_untouched(void)
{
	const struct vmcb_save *s = &cpu->vmcb01->save;

	assert_false(nested_fuse_after_vmsave(cpu));
	assert_int_equal(s->rax, 0x5555);
	assert_int_equal(s->rsp, STACK_LA + 0xf00);
	assert_int_equal(s->rip, R1);
	assert_int_equal(s->fs.base, 0);
	assert_false(cpu->vmcb01->control.event_inj.valid);
	assert_int_equal(cpu->nr_fused, 0);
}

static void test_fused(void **state)
{
	(void)state;
	setup();
	assert_true(nested_fuse_after_vmsave(cpu));
	expect_fused(STACK_LA + 0xf00, load_pa);
	assert_int_equal(cpu->vmcb01->save.fs.base, FS_MARK);
	assert_int_equal(cpu->nr_fused, 1);
}

/* A stack slot in linear page 0 (whose key a zeroed cache must not
 * match). */
static void test_stack_in_page_zero(void **state)
{
	(void)state;
	setup();
	pt_map(0, stack_pa, PTE_P | PTE_RW | PTE_A | PTE_D);
	cpu->vmcb01->save.rsp = 0xf00;
	assert_true(nested_fuse_after_vmsave(cpu));
	expect_fused(0xf00, load_pa);
}

/* Something could come between the instructions, or the CPU would not
 * exit for the VMLOAD: not fused. */
static void test_not_fused_when(void **state)
{
	(void)state;
	setup();
	cpu->vmcb01->save.rflags |= X86_RFLAGS_TF; /* a trap after each */
	expect_untouched();
	setup();
	cpu->vmcb01->save.dr7 = 0x400 | 0x2; /* G0: a breakpoint may match */
	expect_untouched();
	setup();
	cpu->vmcb01->control.event_inj = (union svm_event){
		.vector = 2, .type = SVM_EVENT_NMI, .valid = 1 };
	assert_false(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, R1);
	setup();
	/* the CPU's virtual VMLOAD: VMLOAD would not exit */
	cpu->vmcb01->control.intercept_misc2 &= ~INTERCEPT2_VMLOAD;
	expect_untouched();
	setup();
	cpu->vmcb01->save.cs.attrib.raw = 0xc9b; /* 32-bit code */
	expect_untouched();
}

/* The code: other bytes, the POP with a prefix, across the page's end,
 * not executable, not present. */
static void test_code(void **state)
{
	(void)state;
	setup();
	((uint8_t *)code_pa)[(R1 & 0xfff) + 3] = 0xdb; /* VMSAVE, not VMLOAD */
	expect_untouched();
	setup();
	((uint8_t *)code_pa)[(R1 & 0xfff)] = 0x48; /* REX.W 0F 01 ...: not POP */
	expect_untouched();
	setup();
	cpu->vmcb01->save.rip = CODE_LA + 0xffe; /* the bytes cross the page */
	memcpy((uint8_t *)code_pa + 0xffe, pop_vmload, 2);
	assert_false(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rax, 0x5555);
	setup();
	pt_map(CODE_LA, code_pa, PTE_P | PTE_A | PTE_NX); /* NXE is set */
	expect_untouched();
	setup();
	pt_map(CODE_LA, code_pa, 0);
	expect_untouched();
}

/* The stack slot: unaligned, non-canonical, a user page, not present, a
 * page of nestvisor's region (L1 reaches the sink there). */
static void test_stack(void **state)
{
	(void)state;
	setup();
	cpu->vmcb01->save.rsp = STACK_LA + 0xf04;
	assert_false(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rax, 0x5555);
	setup();
	cpu->vmcb01->save.rsp = 0x0000800000000f00ull;
	assert_false(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rax, 0x5555);
	setup();
	pt_map(STACK_LA, stack_pa, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	expect_untouched();
	setup();
	pt_map(STACK_LA, stack_pa, 0);
	expect_untouched();
	setup();
	pt_map(STACK_LA, HV_BASE + 0x10000, PTE_P | PTE_RW | PTE_A | PTE_D);
	expect_untouched();
}

/* The VMLOAD's #GP for an rAX that is not page-aligned comes after the
 * POP: RAX and RSP changed, RIP at the VMLOAD. */
static void test_vmload_gp_after_pop(void **state)
{
	(void)state;
	setup();
	*(uint64_t *)(stack_pa + 0xf00) = load_pa + 8;
	assert_true(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rax, load_pa + 8);
	assert_int_equal(cpu->vmcb01->save.rsp, STACK_LA + 0xf08);
	assert_int_equal(cpu->vmcb01->save.rip, R1 + 1);
	assert_true(cpu->vmcb01->control.event_inj.valid);
	assert_int_equal(cpu->vmcb01->control.event_inj.vector, X86_VEC_GP);
	assert_int_equal(cpu->vmcb01->save.fs.base, 0);
}

/* What was learnt holds only while L1's tables and bytes do: a new
 * stack page behind the same address, then other code bytes. */
static void test_cache_follows_l1(void **state)
{
	uint64_t other = 0, load2;

	(void)state;
	setup();
	assert_true(nested_fuse_after_vmsave(cpu));
	/* again, same state: the kept translations */
	cpu->vmcb01->save.rip = R1;
	cpu->vmcb01->save.rsp = STACK_LA + 0xf00;
	assert_true(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->nr_fused, 2);
	/* L1 remaps the stack page (no exit: its own tables) */
	other = l1_page();
	load2 = l1_page();
	((struct vmcb *)load2)->save.fs.base = FS_MARK + 0x1000;
	*(uint64_t *)(other + 0xf00) = load2;
	pt_map(STACK_LA, other, PTE_P | PTE_RW | PTE_A | PTE_D);
	cpu->vmcb01->save.rip = R1;
	cpu->vmcb01->save.rsp = STACK_LA + 0xf00;
	assert_true(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rax, load2);
	assert_int_equal(cpu->vmcb01->save.fs.base, FS_MARK + 0x1000);
	/* L1 rewrites the VMLOAD into NOPs */
	memset((uint8_t *)code_pa + (R1 & 0xfff) + 1, 0x90, 3);
	cpu->vmcb01->save.rip = R1;
	cpu->vmcb01->save.rsp = STACK_LA + 0xf00;
	cpu->vmcb01->save.rax = 0x5555;
	assert_false(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rax, 0x5555);
	/* and back: fused again */
	memcpy((uint8_t *)code_pa + (R1 & 0xfff), pop_vmload, sizeof(pop_vmload));
	assert_true(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->nr_fused, 4);
}

/* 5-level paging (CR4.LA57): the walk has 5 levels, and a stack at an
 * address canonical in 57 bits but not in 48 is fused; with 4 levels the
 * same RSP is not canonical (#SS on the CPU): not fused. */
static void test_la57(void **state)
{
	const uint64_t high = 0xff00000000000000ull; /* bits 63..56 set */

	(void)state;
	setup_cr4(X86_CR4_LA57);
	pt_map(high | STACK_LA, stack_pa, PTE_P | PTE_RW | PTE_A | PTE_D);
	cpu->vmcb01->save.rsp = high | (STACK_LA + 0xf00);
	assert_true(nested_fuse_after_vmsave(cpu));
	expect_fused(high | (STACK_LA + 0xf00), load_pa);
	assert_int_equal(cpu->vmcb01->save.fs.base, FS_MARK);
	setup();
	cpu->vmcb01->save.rsp = high | (STACK_LA + 0xf00);
	assert_false(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rax, 0x5555);
}

/*
 * The decode cache under 5-level paging (it shares the entries' checks):
 * the length of CPUID at RIP is learnt through 5 levels, then L1 points
 * its PML5 entry at other tables that map the same address to a page
 * with 66 0F A2 (CPUID with an operand-size prefix, 3 bytes: APM Vol. 3
 * §1.2).  The length found must be the new one: the fifth entry is part
 * of the translation.
 */
static void test_decode_cache_la57(void **state)
{
	static const uint8_t cpuid2[] = { 0x0f, 0xa2 }, cpuid3[] = { 0x66, 0x0f, 0xa2 };
	uint64_t *pml5e, first, other_page;

	(void)state;
	setup_cr4(X86_CR4_LA57);
	cpu->caps.edx &= ~(1u << SVM_FEAT_NRIPS);
	memcpy((uint8_t *)code_pa + (R1 & 0xfff), cpuid2, sizeof(cpuid2));
	pml5e = (uint64_t *)cr3 + ((R1 >> 48) & 511);
	first = *pml5e;
	assert_int_equal(guest_insn_len(cpu, INSN_CPUID), 2);
	assert_int_equal(guest_insn_len(cpu, INSN_CPUID), 2); /* cached */
	/* New tables under a new PML5 entry, the same linear address. */
	*pml5e = 0;
	other_page = l1_page();
	memcpy((uint8_t *)other_page + (R1 & 0xfff), cpuid3, sizeof(cpuid3));
	pt_map(CODE_LA, other_page, PTE_P | PTE_A);
	assert_true(*pml5e != first);
	assert_int_equal(guest_insn_len(cpu, INSN_CPUID), 3);
}

/* The four bytes end exactly with the page (RIP at 0xffc): one page, so
 * fused; the kept answer compares the window that ends with the page, so
 * L1 changing the VMLOAD's first byte there is seen. */
static void test_code_at_page_end(void **state)
{
	(void)state;
	setup();
	memcpy((uint8_t *)code_pa + 0xffc, pop_vmload, sizeof(pop_vmload));
	cpu->vmcb01->save.rip = CODE_LA + 0xffc;
	assert_true(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + 0x1000);
	assert_int_equal(cpu->vmcb01->save.rax, load_pa);
	((uint8_t *)code_pa)[0xffd] = 0x90;
	cpu->vmcb01->save.rip = CODE_LA + 0xffc;
	cpu->vmcb01->save.rsp = STACK_LA + 0xf00;
	cpu->vmcb01->save.rax = 0x5555;
	assert_false(nested_fuse_after_vmsave(cpu));
	assert_int_equal(cpu->vmcb01->save.rax, 0x5555);
	assert_int_equal(cpu->nr_fused, 1);
}

/* The POP's read and the fetch of both instructions set the accessed
 * bits of the entries they use, and the read sets no dirty bit (APM
 * Vol. 2 §5.4.2, Accessed and Dirty bits): as the CPU's own walks. */
static void test_accessed_bits(void **state)
{
	uint64_t *code_leaf, *stack_leaf;

	(void)state;
	setup();
	code_leaf = pt_map(CODE_LA, code_pa, PTE_P);
	stack_leaf = pt_map(STACK_LA, stack_pa, PTE_P | PTE_RW);
	assert_true(nested_fuse_after_vmsave(cpu));
	expect_fused(STACK_LA + 0xf00, load_pa);
	assert_true(*code_leaf & PTE_A);
	assert_true(*stack_leaf & PTE_A);
	assert_false(*stack_leaf & PTE_D);
	/* L1 clears them and invalidates the two pages (INVLPG, which
	 * does not exit): the CPU's next fetch and read walk again and set
	 * them again, and so must the next fused POP. */
	*code_leaf &= ~PTE_A;
	*stack_leaf &= ~PTE_A;
	cpu->vmcb01->save.rip = R1;
	cpu->vmcb01->save.rsp = STACK_LA + 0xf00;
	assert_true(nested_fuse_after_vmsave(cpu));
	assert_true(*code_leaf & PTE_A);
	assert_true(*stack_leaf & PTE_A);
	assert_false(*stack_leaf & PTE_D);
}

/* L2's VMSAVE, which L1 does not intercept, is emulated for L2 (its host
 * is L1): never fused, even with POP; VMLOAD after it in the same page
 * tables (L2 without nested paging, L1's CR3).  The CPU would exit to L1
 * for neither instruction; nestvisor emulates the VMSAVE and L2 executes
 * the POP itself. */
static void test_l2_vmsave_not_fused(void **state)
{
	struct vmcb *v12;
	struct vmcb_save *s02;

	(void)state;
	setup();
	v12 = vmcb12_new();
	v12->save.cr3 = cr3;
	v12->save.rip = R1 - 3;
	v12->save.rsp = STACK_LA + 0xf00;
	v12->save.rax = load_pa;
	memcpy((uint8_t *)code_pa + (R1 & 0xfff) - 3, "\x0f\x01\xdb", 3);
	cpu->vmcb01->save.rip = 0x2000;
	l1_vmrun(v12);
	assert_true(cpu->nested.guest_mode);
	s02 = &cpu->nested.vmcb02->save;
	cpu->nested.vmcb02->control.next_rip = R1;
	l2_exit(VMEXIT_VMSAVE, 0, 0, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(s02->rip, R1);
	assert_int_equal(s02->rsp, STACK_LA + 0xf00);
	assert_int_equal(s02->rax, load_pa);
	assert_false(cpu->nested.vmcb02->control.event_inj.valid);
	assert_int_equal(cpu->nr_fused, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fused),
		cmocka_unit_test(test_stack_in_page_zero),
		cmocka_unit_test(test_not_fused_when),
		cmocka_unit_test(test_code),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_vmload_gp_after_pop),
		cmocka_unit_test(test_cache_follows_l1),
		cmocka_unit_test(test_la57),
		cmocka_unit_test(test_decode_cache_la57),
		cmocka_unit_test(test_code_at_page_end),
		cmocka_unit_test(test_accessed_bits),
		cmocka_unit_test(test_l2_vmsave_not_fused),
	};

	return cmocka_run_group_tests(tests, machine_up, machine_down);
}
