// SPDX-License-Identifier: MIT
/*
 * svm/nested_runahead.c on the host: after L1's VMLOAD, the loads up to
 * its VMRUN and the VMRUN emulated in the same exit, from nestvisor's own
 * sources on the fake machine of glue_fixture.h, with L1's 4-level page
 * tables in its fake memory.
 *
 * The code is Linux 6.1's entry into its guest byte for byte, as Debian
 * bookworm's kvm-amd.ko has it (objdump of __svm_vcpu_run, offsets
 * 0xa3-0x11c: after the VMLOAD, 16 loads, JMP over a VERW, VMRUN).
 * Expectations: each load's effect (AMD APM Vol. 3 MOV: the register gets
 * the 8 bytes at base + disp), VMRUN's (L2 runs vmcb12; L1's RIP after it
 * in vmcb01), and where something could come between the instructions or
 * a load is not a plain one (docs/nested.md, "Exits that carry the next
 * instruction"): nothing done, or the loads before it done and RIP at it.
 */
#include "glue_fixture.h"

#define CODE_LA  0x400000ull      /* linear page of the code */
#define DATA_LA  0x800000ull      /* KVM's struct vcpu_svm: two pages */
#define INFO_LA  (DATA_LA + 0x800) /* its current vmcb's kvm_vmcb_info */
#define R1       (CODE_LA + 0xa3) /* RIP after the VMLOAD */
#define VMRUN_AT (CODE_LA + 0x119)

/* __svm_vcpu_run + 0xa3 .. 0x11b. */
static const uint8_t entry61[] = {
	0x48, 0x8b, 0x87, 0xc0, 0x19, 0x00, 0x00, /* mov 0x19c0(%rdi),%rax */
	0x48, 0x8b, 0x40, 0x08,                   /* mov 0x8(%rax),%rax */
	0x48, 0x8b, 0x8f, 0x30, 0x01, 0x00, 0x00, /* mov 0x130(%rdi),%rcx */
	0x48, 0x8b, 0x97, 0x38, 0x01, 0x00, 0x00, /* rdx */
	0x48, 0x8b, 0x9f, 0x40, 0x01, 0x00, 0x00, /* rbx */
	0x48, 0x8b, 0xaf, 0x50, 0x01, 0x00, 0x00, /* rbp */
	0x48, 0x8b, 0xb7, 0x58, 0x01, 0x00, 0x00, /* rsi */
	0x4c, 0x8b, 0x87, 0x68, 0x01, 0x00, 0x00, /* r8 */
	0x4c, 0x8b, 0x8f, 0x70, 0x01, 0x00, 0x00, /* r9 */
	0x4c, 0x8b, 0x97, 0x78, 0x01, 0x00, 0x00, /* r10 */
	0x4c, 0x8b, 0x9f, 0x80, 0x01, 0x00, 0x00, /* r11 */
	0x4c, 0x8b, 0xa7, 0x88, 0x01, 0x00, 0x00, /* r12 */
	0x4c, 0x8b, 0xaf, 0x90, 0x01, 0x00, 0x00, /* r13 */
	0x4c, 0x8b, 0xb7, 0x98, 0x01, 0x00, 0x00, /* r14 */
	0x4c, 0x8b, 0xbf, 0xa0, 0x01, 0x00, 0x00, /* r15 */
	0x48, 0x8b, 0xbf, 0x60, 0x01, 0x00, 0x00, /* mov 0x160(%rdi),%rdi */
	0xeb, 0x07,                               /* jmp 0x119 */
	0x0f, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x00, /* verw 0(%rip) */
	0x0f, 0x01, 0xd8,                         /* vmrun */
};
_Static_assert(sizeof(entry61) == 0x11c - 0xa3, "0xa3 .. 0x11b");

/* The struct's GPR slots (offset, value): rcx, rdx, rbx, rbp, rsi, r8 ..
 * r15, rdi. */
static const struct { unsigned off; uint64_t val; } slots[] = {
	{ 0x130, 0x1c1c1c1c }, { 0x138, 0x2d2d2d2d }, { 0x140, 0x3b3b3b3b },
	{ 0x150, 0x5b5b5b5b }, { 0x158, 0x6a6a6a6a }, { 0x168, 0x0808 },
	{ 0x170, 0x0909 }, { 0x178, 0x1010 }, { 0x180, 0x1111 },
	{ 0x188, 0x1212 }, { 0x190, 0x1313 }, { 0x198, 0x1414 },
	{ 0x1a0, 0x1515 }, { 0x160, 0x7d7d7d7d },
};

static uint64_t cr3, code_pa, data_pa[2];
static struct vmcb *v12;

static uint64_t *pt_map(uint64_t la, uint64_t pa, uint64_t flags)
{
	uint64_t table = cr3;

	for (unsigned lvl = 4; lvl > 1; lvl--) {
		uint64_t *e = (uint64_t *)table + ((la >> (12 + 9 * (lvl - 1))) & 511);

		if (!(*e & PTE_P))
			*e = l1_page() | PTE_P | PTE_RW | PTE_US | PTE_A;
		table = *e & PTE64_ADDR_4K;
	}
	uint64_t *leaf = (uint64_t *)table + ((la >> 12) & 511);

	*leaf = pa | flags;
	return leaf;
}

/* The struct's byte at offset off (in either page). */
static uint64_t *slot(unsigned off)
{
	return (uint64_t *)(data_pa[off >> 12] + (off & 0xfff));
}

/* L1 right after its VMLOAD (RIP R1), GIF clear, RDI = the struct, on a
 * CPU with NRIPS (nrips) or without. */
static void setup_nrips(bool nrips)
{
	struct vmcb_save *s;

	cpu_up(0, 0, X86_EFER_NXE);
	if (!nrips)
		cpu->caps.edx &= ~(1u << SVM_FEAT_NRIPS);
	cr3 = l1_page();
	code_pa = l1_page();
	data_pa[0] = l1_page();
	data_pa[1] = l1_page();
	pt_map(CODE_LA, code_pa, PTE_P | PTE_A);
	pt_map(DATA_LA, data_pa[0], PTE_P | PTE_RW | PTE_A | PTE_D);
	pt_map(DATA_LA + 0x1000, data_pa[1], PTE_P | PTE_RW | PTE_A | PTE_D);
	memcpy((uint8_t *)code_pa + 0xa3, entry61, sizeof(entry61));
	v12 = vmcb12_new();
	*slot(0x19c0) = INFO_LA;
	*slot(INFO_LA - DATA_LA + 8) = (uint64_t)v12;
	for (unsigned i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		*slot(slots[i].off) = slots[i].val;
	s = &cpu->vmcb01->save;
	s->cr3 = cr3;
	s->rip = R1;
	s->rax = 0x5555;
	s->rsp = 0x7000;
	memset(&cpu->gregs, 0, sizeof(cpu->gregs));
	cpu->gregs.rdi = DATA_LA;
	cpu->vmcb01->control.next_rip = R1; /* the VMLOAD's, from NRIPS */
	nested_set_gif(cpu, false);
}

static void setup(void)
{
	setup_nrips(true);
}

/* Every load done, and L2 runs vmcb12; L1 resumes after the VMRUN. */
static void expect_ran(void)
{
	const struct guest_regs *g = &cpu->gregs;
	const uint64_t got[] = { g->rcx, g->rdx, g->rbx, g->rbp, g->rsi,
				 g->r8, g->r9, g->r10, g->r11, g->r12, g->r13,
				 g->r14, g->r15, g->rdi };

	for (unsigned i = 0; i < sizeof(got) / sizeof(got[0]); i++)
		assert_int_equal(got[i], slots[i].val);
	assert_true(cpu->nested.guest_mode);
	assert_ptr_equal(cpu->cur, cpu->nested.vmcb02);
	assert_int_equal(cpu->nested.vmcb12_gpa, (uint64_t)v12);
	assert_int_equal(cpu->vmcb01->save.rax, (uint64_t)v12);
	assert_int_equal(cpu->vmcb01->save.rip, VMRUN_AT + 3);
	assert_int_equal(cpu->nested.vmcb02->save.rip, v12->save.rip);
	assert_int_equal(cpu->nr_runahead, 1);
}

/* Nothing done: L1 executes the code itself. */
static void expect_untouched(void)
{
	const struct vmcb_save *s = &cpu->vmcb01->save;

	assert_false(nested_runahead_after_vmload(cpu));
	assert_int_equal(s->rip, R1);
	assert_int_equal(s->rax, 0x5555);
	assert_int_equal(cpu->gregs.rcx, 0);
	assert_int_equal(cpu->gregs.rdi, DATA_LA);
	assert_false(cpu->nested.guest_mode);
	assert_false(cpu->vmcb01->control.event_inj.valid);
	assert_int_equal(cpu->nr_runahead, 0);
}

/* Nothing done, RIP still at offset at of the code page. */
static void expect_untouched_at(unsigned at)
{
	assert_false(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + at);
	assert_int_equal(cpu->vmcb01->save.rax, 0x5555);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(cpu->nr_runahead, 0);
}

/* The loads before the one at offset at (of the code page) done, RIP at
 * it; rax_then: RAX after them. */
static void expect_stopped_at(unsigned at, uint64_t rax_then)
{
	const struct vmcb_save *s = &cpu->vmcb01->save;

	assert_false(nested_runahead_after_vmload(cpu));
	assert_int_equal(s->rip, CODE_LA + at);
	assert_int_equal(s->rax, rax_then);
	assert_false(cpu->nested.guest_mode);
	assert_false(cpu->vmcb01->control.event_inj.valid);
	assert_int_equal(cpu->nr_runahead, 0);
}

static void test_runs(void **state)
{
	(void)state;
	setup();
	assert_true(nested_runahead_after_vmload(cpu));
	expect_ran();
}

/* Without NRIPS the VMRUN's length comes from its bytes: the same. */
static void test_runs_without_nrips(void **state)
{
	(void)state;
	setup_nrips(false);
	assert_true(nested_runahead_after_vmload(cpu));
	expect_ran();
}

/* Through the VMLOAD's own exit: the VMLOAD at R1 - 3 loads FS.base from
 * the page at RAX, then the run. */
static void test_from_vmload_exit(void **state)
{
	uint64_t save = 0;

	(void)state;
	setup();
	save = l1_page();
	((struct vmcb *)save)->save.fs.base = 0x1234000;
	memcpy((uint8_t *)code_pa + 0xa0, (const uint8_t[]){ 0x0f, 0x01, 0xda }, 3);
	cpu->vmcb01->save.rip = R1 - 3;
	cpu->vmcb01->save.rax = save;
	cpu->vmcb01->control.next_rip = R1;
	cpu->vmcb01->control.exit_code = VMEXIT_VMLOAD;
	nested_vmload_vmsave(cpu, true);
	expect_ran();
	assert_int_equal(cpu->vmcb01->save.fs.base, 0x1234000);
}

/* Something could come between the instructions: nothing is done. */
static void test_not_when(void **state)
{
	(void)state;
	setup();
	nested_set_gif(cpu, true); /* an interrupt may come first */
	expect_untouched();
	setup();
	cpu->vmcb01->save.rflags |= X86_RFLAGS_TF;
	expect_untouched();
	setup();
	cpu->vmcb01->save.dr7 = 0x400 | 0x8; /* G1 */
	expect_untouched();
	setup();
	cpu->vmcb01->control.event_inj = (union svm_event){
		.vector = 2, .type = SVM_EVENT_NMI, .valid = 1 };
	assert_false(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, R1);
	assert_int_equal(cpu->nr_runahead, 0);
	setup();
	cpu->vmcb01->save.cs.attrib.raw = 0xc9b; /* 32-bit code */
	expect_untouched();
	setup();
	pt_map(CODE_LA, code_pa, PTE_P | PTE_A | PTE_NX);
	expect_untouched();
}

/* The code is not such a run: nothing is done. */
static void test_not_the_run(void **state)
{
	static const struct { unsigned at; uint8_t b[4]; unsigned n; } edits[] = {
		{ 0xae, { 0x48, 0x03 }, 2 },             /* ADD, not MOV */
		{ 0xae, { 0x66 }, 1 },                   /* a prefix first */
		{ 0xae, { 0x48, 0x8b, 0x0d }, 3 },       /* RIP-relative */
		{ 0xae, { 0x48, 0x8b, 0x0c, 0x24 }, 4 }, /* SIB */
		{ 0xae, { 0x48, 0x8b, 0xa7 }, 3 },       /* into RSP */
		{ 0xae, { 0x4a, 0x8b }, 2 },             /* REX.X */
		{ 0xae, { 0x48, 0x8b, 0xcf }, 3 },       /* register to register */
		{ 0x110, { 0x90, 0x90 }, 2 },            /* the VERW runs */
		{ 0x110, { 0xeb, 0x05 }, 2 },            /* into the VERW */
		{ 0x119, { 0x0f, 0x01, 0xd9 }, 3 },      /* VMMCALL */
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		setup();
		memcpy((uint8_t *)code_pa + edits[i].at, edits[i].b, edits[i].n);
		expect_untouched();
	}
	/* A JMP out of the page. */
	setup();
	cpu->vmcb01->save.rip = CODE_LA + 0xff0;
	memcpy((uint8_t *)code_pa + 0xff0, (const uint8_t[]){ 0xeb, 0x7f }, 2);
	assert_false(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + 0xff0);
	/* The VMRUN beyond the page's end. */
	setup();
	cpu->vmcb01->save.rip = CODE_LA + 0x1000 - 0x70;
	memcpy((uint8_t *)code_pa + 0x1000 - 0x70, entry61, 0x70);
	assert_false(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + 0x1000 - 0x70);
	assert_int_equal(cpu->gregs.rcx, 0);
	/* 25 loads before the VMRUN: longer than a run. */
	setup();
	for (unsigned i = 0; i < 25; i++)
		memcpy((uint8_t *)code_pa + 0x200 + 7 * i, entry61 + 11, 7);
	memcpy((uint8_t *)code_pa + 0x200 + 7 * 25, (const uint8_t[]){ 0x0f, 0x01, 0xd8 }, 3);
	cpu->vmcb01->save.rip = CODE_LA + 0x200;
	assert_false(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->gregs.rcx, 0);
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + 0x200);
}

/* A load the CPU must make itself stops the run there. */
static void test_stops_at_load(void **state)
{
	(void)state;
	/* The first one: its page not present, a user page, non-canonical,
	 * nestvisor's region. */
	setup();
	pt_map(DATA_LA + 0x1000, data_pa[1], 0);
	expect_stopped_at(0xa3, 0x5555);
	setup();
	pt_map(DATA_LA + 0x1000, data_pa[1], PTE_P | PTE_US | PTE_A);
	expect_stopped_at(0xa3, 0x5555);
	setup();
	cpu->gregs.rdi = 0x0000900000000000ull;
	expect_stopped_at(0xa3, 0x5555);
	setup();
	pt_map(DATA_LA + 0x1000, HV_BASE + 0x10000, PTE_P | PTE_A);
	expect_stopped_at(0xa3, 0x5555);
	/* The second: across the page's end, then not present. */
	setup();
	*slot(0x19c0) = DATA_LA + 0xff4; /* + 8: bytes 0xffc .. 0x1003 */
	expect_stopped_at(0xa3 + 7, DATA_LA + 0xff4);
	setup();
	*slot(0x19c0) = 0x40000000;
	expect_stopped_at(0xa3 + 7, 0x40000000);
	assert_int_equal(cpu->gregs.rcx, 0);
}

/* The translations kept hold only while L1's tables do: the second page
 * of the struct behind another page, with another vmcb12. */
static void test_follows_l1(void **state)
{
	uint64_t other = 0;
	struct vmcb *w;

	(void)state;
	setup();
	assert_true(nested_runahead_after_vmload(cpu));
	expect_ran();
	/* L2's HLT, which L1 intercepts: L1 runs again, its GIF clear. */
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_false(nested_gif_get(cpu));
	/* L1 remaps the struct's second page (no exit: its own tables):
	 * another kvm_vmcb_info in it, with another vmcb12. */
	other = l1_page();
	w = vmcb12_new();
	*(uint64_t *)(other + 0x9c0) = DATA_LA + 0x1100;
	*(uint64_t *)(other + 0x108) = (uint64_t)w;
	pt_map(DATA_LA + 0x1000, other, PTE_P | PTE_RW | PTE_A | PTE_D);
	cpu->vmcb01->save.rip = R1;
	cpu->vmcb01->control.next_rip = R1;
	cpu->gregs.rdi = DATA_LA;
	assert_true(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->nested.vmcb12_gpa, (uint64_t)w);
	assert_int_equal(cpu->vmcb01->save.rax, (uint64_t)w);
	assert_int_equal(cpu->gregs.rdi, slots[13].val);
	assert_int_equal(cpu->nr_runahead, 2);
}

/* ---- decode corners, the VMRUN's own failures, the GIF in V_GIF, the
 * kept translations when L1 changes what they rest on ---- */

/* Code of n bytes at offset at of the code page, RIP there. */
static void code_at(unsigned at, const uint8_t *b, unsigned n)
{
	memcpy((uint8_t *)code_pa + at, b, n);
	cpu->vmcb01->save.rip = CODE_LA + at;
	cpu->vmcb01->control.next_rip = CODE_LA + at;
}

/* A JMP in the page's last two bytes back to a VMRUN: its target is the
 * address after it (the next page's first) plus rel8 (APM Vol. 3 JMP),
 * within the page. */
static void test_jmp_at_page_end(void **state)
{
	(void)state;
	setup();
	memset((uint8_t *)code_pa + 0xfe0, 0xcc, 0x20); /* INT3 elsewhere */
	code_at(0xfe0, (const uint8_t[]){
		0x48, 0x8b, 0x87, 0xc0, 0x19, 0x00, 0x00, /* 0xfe0: rax */
		0x48, 0x8b, 0x40, 0x08,                   /* 0xfe7: rax */
		0xeb, 0x11,                               /* 0xfeb -> 0xffe */
	}, 13);
	memcpy((uint8_t *)code_pa + 0xffe, (const uint8_t[]){ 0xeb, 0xf4 }, 2);
	memcpy((uint8_t *)code_pa + 0xff4, (const uint8_t[]){ 0x0f, 0x01, 0xd8 }, 3);
	/* EB F4 at 0xffe: 0xffe + 2 - 12 = 0xff4 */
	assert_true(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + 0xff7);
	assert_int_equal(cpu->vmcb01->save.rax, (uint64_t)v12);
	assert_true(cpu->nested.guest_mode);
	/* A JMP to itself (EB FE): no VMRUN within the run's length. */
	setup();
	code_at(0x200, (const uint8_t[]){ 0xeb, 0xfe }, 2);
	expect_untouched_at(0x200);
	/* Two JMPs back and forth. */
	setup();
	code_at(0x200, (const uint8_t[]){ 0xeb, 0x00, 0xeb, 0xfc }, 4);
	expect_untouched_at(0x200);
}

/* ModRM corners: REX.B and REX.R registers, disp8 and disp32 sign
 * extended (APM Vol. 3 §1.4, §1.5: the displacement is sign-extended to
 * 64 bits), RBP and R13 as bases with a displacement, R13 with mod 00
 * (RIP-relative) and R12 (SIB) not taken. */
static void test_modrm_corners(void **state)
{
	(void)state;
	setup();
	cpu->gregs.r9 = DATA_LA + 0x110;
	cpu->gregs.rbp = DATA_LA + 0x2000;
	cpu->gregs.r13 = DATA_LA + 0x1000 + 0x800 + 0x10000;
	*slot(0x100) = 0xa1;
	*slot(0x1f00) = 0xa2;
	*slot(0x1800) = INFO_LA;
	code_at(0x300, (const uint8_t[]){
		0x4d, 0x8b, 0x51, 0xf0,                   /* mov -0x10(%r9),%r10 */
		0x48, 0x8b, 0x8d, 0x00, 0xff, 0xff, 0xff, /* mov -0x100(%rbp),%rcx */
		0x49, 0x8b, 0x85, 0x00, 0x00, 0xff, 0xff, /* mov -0x10000(%r13),%rax */
		0x48, 0x8b, 0x40, 0x08,                   /* mov 0x8(%rax),%rax */
		0x0f, 0x01, 0xd8,
	}, 25);
	assert_true(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->gregs.r10, 0xa1);
	assert_int_equal(cpu->gregs.rcx, 0xa2);
	assert_int_equal(cpu->vmcb01->save.rax, (uint64_t)v12);
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + 0x300 + 25);
	assert_true(cpu->nested.guest_mode);
	/* R13 with mod 00 is RIP + disp32; R12 needs a SIB byte. */
	setup();
	code_at(0x300, (const uint8_t[]){ 0x49, 0x8b, 0x05, 0x00, 0x00, 0x00,
					   0x00, 0x0f, 0x01, 0xd8 }, 10);
	expect_untouched_at(0x300);
	setup();
	code_at(0x300, (const uint8_t[]){ 0x49, 0x8b, 0x04, 0x24,
					   0x0f, 0x01, 0xd8 }, 7);
	expect_untouched_at(0x300);
}

/* The VMRUN's own failures, after the loads (APM Vol. 2 §15.5.1, Vol. 3
 * VMRUN): rAX not 4 KiB aligned or beyond MAXPHYADDR is #GP(0) at the
 * VMRUN with the loads done; a vmcb12 whose state is illegal is
 * VMEXIT_INVALID in vmcb12, L1 after its VMRUN with its GIF clear. */
static void test_vmrun_fails(void **state)
{
	(void)state;
	setup();
	*slot(INFO_LA - DATA_LA + 8) = (uint64_t)v12 + 0x10;
	assert_true(nested_runahead_after_vmload(cpu));
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(cpu->vmcb01->save.rip, VMRUN_AT);
	assert_int_equal(cpu->vmcb01->save.rax, (uint64_t)v12 + 0x10);
	assert_int_equal(cpu->gregs.rdi, slots[13].val);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0x80000b0d);
	setup();
	*slot(INFO_LA - DATA_LA + 8) = 1ull << 40;
	assert_true(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, VMRUN_AT);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0x80000b0d);
	setup();
	v12->save.efer &= ~X86_EFER_SVME; /* an illegal vmcb12 */
	v12->control.exit_code = 0;
	assert_true(nested_runahead_after_vmload(cpu));
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v12->control.exit_code, VMEXIT_INVALID);
	assert_int_equal(cpu->vmcb01->save.rip, VMRUN_AT + 3);
	assert_false(cpu->vmcb01->control.event_inj.valid);
	assert_false(nested_gif_get(cpu));
}

/* L1's GIF in vmcb01's V_GIF (the CPU's vGIF): clear there, the run is
 * done; set, nothing. */
static void test_gif_in_vgif(void **state)
{
	(void)state;
	setup();
	cpu->caps.edx |= 1u << SVM_FEAT_VGIF;
	nested_set_gif(cpu, false);
	assert_true(cpu->nested.l1_vgif);
	assert_true(nested_runahead_after_vmload(cpu));
	expect_ran();
	setup();
	cpu->caps.edx |= 1u << SVM_FEAT_VGIF;
	nested_set_gif(cpu, false);
	cpu->vmcb01->control.int_ctl |= V_GIF; /* L1's STGI, without an exit */
	expect_untouched();
}

/* The translations kept follow L1: its CR3, its code page's bytes and
 * mapping, a data page made a user page, and three data pages in one run
 * (two kept). */
static void test_follows_l1_more(void **state)
{
	uint64_t cr3_old, code2;

	(void)state;
	setup();
	assert_true(nested_runahead_after_vmload(cpu));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	/* The struct's first page becomes a user page: SMAP or not, the
	 * CPU makes that load itself. */
	pt_map(DATA_LA, data_pa[0], PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	cpu->vmcb01->save.rip = R1;
	cpu->gregs.rdi = DATA_LA;
	cpu->vmcb01->save.rax = 0x5555;
	cpu->nr_runahead = 0;
	expect_stopped_at(0xa3 + 7, INFO_LA); /* mov 0x8(%rax),%rax: page 0 */
	/* The code page behind another page with other code. */
	setup();
	assert_true(nested_runahead_after_vmload(cpu));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	code2 = l1_page();
	memcpy((uint8_t *)code2 + 0xa3, entry61, sizeof(entry61));
	((uint8_t *)code2)[0xa3 + 11 + 3] = 0x38; /* mov 0x138(%rdi),%rcx */
	pt_map(CODE_LA, code2, PTE_P | PTE_A);
	cpu->vmcb01->save.rip = R1;
	cpu->vmcb01->control.next_rip = R1;
	cpu->gregs.rdi = DATA_LA;
	assert_true(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->gregs.rcx, slots[1].val);
	assert_int_equal(cpu->nr_runahead, 2);
	/* Another CR3 whose tables map nothing at the code: nothing done. */
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	cr3_old = cr3;
	cpu->vmcb01->save.cr3 = l1_page();
	cpu->vmcb01->save.rip = R1;
	cpu->vmcb01->save.rax = 0x5555;
	cpu->gregs.rcx = 0;
	cpu->gregs.rdi = DATA_LA;
	assert_false(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, R1);
	cpu->vmcb01->save.cr3 = cr3_old;
	/* Three data pages: each load reads its own. */
	setup();
	{
		uint64_t p3 = l1_page();

		pt_map(DATA_LA + 0x2000, p3, PTE_P | PTE_A);
		*(uint64_t *)(p3 + 0x10) = 0x3333;
	}
	*slot(0x10) = 0x1111;
	*slot(0x1010) = 0x2222;
	code_at(0x400, (const uint8_t[]){
		0x48, 0x8b, 0x4f, 0x10,                   /* mov 0x10(%rdi),%rcx */
		0x48, 0x8b, 0x97, 0x10, 0x10, 0x00, 0x00, /* rdx, page 2 */
		0x48, 0x8b, 0x9f, 0x10, 0x20, 0x00, 0x00, /* rbx, page 3 */
		0x48, 0x8b, 0x77, 0x10,                   /* rsi, page 1 */
		0x48, 0x8b, 0xaf, 0x10, 0x20, 0x00, 0x00, /* rbp, page 3 */
		0x48, 0x8b, 0x87, 0xc0, 0x19, 0x00, 0x00, /* rax, page 2 */
		0x48, 0x8b, 0x40, 0x08,
		0x0f, 0x01, 0xd8,
	}, 43);
	assert_true(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->gregs.rcx, 0x1111);
	assert_int_equal(cpu->gregs.rdx, 0x2222);
	assert_int_equal(cpu->gregs.rbx, 0x3333);
	assert_int_equal(cpu->gregs.rsi, 0x1111);
	assert_int_equal(cpu->gregs.rbp, 0x3333);
	assert_int_equal(cpu->vmcb01->save.rax, (uint64_t)v12);
}

/* Two runs in one code page, one after the other: each RIP gets its own
 * run (the kept one is for its address only). */
static void test_two_sites(void **state)
{
	static const uint8_t other[] = {
		0x48, 0x8b, 0x87, 0xc0, 0x19, 0x00, 0x00, /* mov 0x19c0(%rdi),%rax */
		0x48, 0x8b, 0x40, 0x08,                   /* mov 0x8(%rax),%rax */
		0x48, 0x8b, 0x8f, 0x38, 0x01, 0x00, 0x00, /* mov 0x138(%rdi),%rcx */
		0x0f, 0x01, 0xd8,                         /* vmrun */
	};

	(void)state;
	setup();
	memcpy((uint8_t *)code_pa + 0x600, other, sizeof(other));
	assert_true(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->gregs.rcx, slots[0].val);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	cpu->vmcb01->save.rip = CODE_LA + 0x600;
	cpu->vmcb01->control.next_rip = CODE_LA + 0x600;
	cpu->gregs.rdi = DATA_LA;
	assert_true(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->gregs.rcx, slots[1].val);
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + 0x600 + sizeof(other));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	cpu->vmcb01->save.rip = R1;
	cpu->vmcb01->control.next_rip = R1;
	cpu->gregs.rdi = DATA_LA;
	assert_true(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->gregs.rcx, slots[0].val);
	assert_int_equal(cpu->nr_runahead, 3);
}

/* "No run kept" must not match the last address: L1's VMLOAD ending at
 * 2^64 - 1 (the next byte the last of the address space, in a page that
 * maps the same code) is followed by no run (one byte left in the page),
 * whatever run was kept before at another address.  L1 executes it. */
static void test_no_kept_run_at_last_byte(void **state)
{
	const uint64_t top = ~0ull;

	(void)state;
	setup();
	pt_map(top & ~0xfffull, code_pa, PTE_P | PTE_A);
	assert_true(nested_runahead_after_vmload(cpu));
	expect_ran();
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	/* Another address, not a run: the kept one is dropped. */
	memset((uint8_t *)code_pa + 0x200, 0xcc, 2);
	cpu->vmcb01->save.rip = CODE_LA + 0x200;
	cpu->vmcb01->control.next_rip = CODE_LA + 0x200;
	assert_false(nested_runahead_after_vmload(cpu));
	((uint8_t *)code_pa)[0xfff] = 0xcc;
	cpu->vmcb01->save.rip = top;
	cpu->vmcb01->control.next_rip = top;
	cpu->vmcb01->save.rax = 0x5555;
	cpu->gregs.rcx = 0;
	cpu->gregs.rdi = DATA_LA;
	assert_false(nested_runahead_after_vmload(cpu));
	assert_int_equal(cpu->vmcb01->save.rip, top);
	assert_int_equal(cpu->vmcb01->save.rax, 0x5555);
	assert_int_equal(cpu->gregs.rcx, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(cpu->nr_runahead, 1);
}

/* A kept run is used again only while every byte it was decoded from is
 * unchanged: its last byte changed (the VMRUN made VMMCALL, 0F 01 D9),
 * the run is no more.  Spans of exactly RUNAHEAD_SPAN bytes (0x100 ..
 * 0x1ff, through two JMPs) and of 125 bytes ending with the page. */
static void test_kept_span_edges(void **state)
{
	static const struct { unsigned lo, jmp2, vmrun; } runs[] = {
		{ 0x100, 0x18c, 0x1fd }, /* 0x10b: EB 7F -> 0x18c: EB 6F -> 0x1fd */
		{ 0xf83, 0xfef, 0xffd }, /* 0xf8e: EB 5F -> 0xfef: EB 0C -> 0xffd */
	};

	(void)state;
	for (unsigned k = 0; k < 2; k++) {
		unsigned lo = runs[k].lo, j1 = lo + 11;

		setup();
		code_at(lo, (const uint8_t[]){
			0x48, 0x8b, 0x87, 0xc0, 0x19, 0x00, 0x00, /* rax */
			0x48, 0x8b, 0x40, 0x08,                   /* rax */
		}, 11);
		memcpy((uint8_t *)code_pa + j1, (const uint8_t[]){
			0xeb, (uint8_t)(runs[k].jmp2 - (j1 + 2)) }, 2);
		memcpy((uint8_t *)code_pa + runs[k].jmp2, (const uint8_t[]){
			0xeb, (uint8_t)(runs[k].vmrun - (runs[k].jmp2 + 2)) }, 2);
		memcpy((uint8_t *)code_pa + runs[k].vmrun,
		       (const uint8_t[]){ 0x0f, 0x01, 0xd8 }, 3);
		assert_true(nested_runahead_after_vmload(cpu));
		assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + runs[k].vmrun + 3);
		l2_exit(VMEXIT_HLT, 0, 0, 0);
		/* Again: the kept run. */
		code_at(lo, (const uint8_t *)code_pa + lo, 0);
		cpu->gregs.rdi = DATA_LA;
		assert_true(nested_runahead_after_vmload(cpu));
		assert_int_equal(cpu->nr_runahead, 2);
		l2_exit(VMEXIT_HLT, 0, 0, 0);
		((uint8_t *)code_pa)[runs[k].vmrun + 2] = 0xd9;
		code_at(lo, (const uint8_t *)code_pa + lo, 0);
		cpu->gregs.rdi = DATA_LA;
		cpu->vmcb01->save.rax = 0x5555;
		assert_false(nested_runahead_after_vmload(cpu));
		assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + lo);
		assert_false(cpu->nested.guest_mode);
		assert_int_equal(cpu->nr_runahead, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_two_sites),
		cmocka_unit_test(test_runs_without_nrips),
		cmocka_unit_test(test_from_vmload_exit),
		cmocka_unit_test(test_not_when),
		cmocka_unit_test(test_not_the_run),
		cmocka_unit_test(test_stops_at_load),
		cmocka_unit_test(test_follows_l1),
		cmocka_unit_test(test_jmp_at_page_end),
		cmocka_unit_test(test_modrm_corners),
		cmocka_unit_test(test_vmrun_fails),
		cmocka_unit_test(test_gif_in_vgif),
		cmocka_unit_test(test_follows_l1_more),
		cmocka_unit_test(test_no_kept_run_at_last_byte),
		cmocka_unit_test(test_kept_span_edges),
	};

	return cmocka_run_group_tests(tests, machine_up, machine_down);
}
