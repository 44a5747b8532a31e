// SPDX-License-Identifier: MIT
/*
 * Every hypercall of docs/hypercalls.md ("Hypercalls"), made by VMMCALL
 * exits of L1 through svm/hypercall.c on the fake machine of
 * glue_fixture.h: each call's results and status, RIP past the 3-byte
 * VMMCALL (0F 01 D9), the other registers unchanged; at CPL 3 #UD with
 * no effect; both ways to the calls: 64-bit code (RIP on 64 bits) and
 * 32-bit code (RIP wraps at 4 GiB, APM Vol. 1 "Instruction Pointer").
 * Expected values come from docs/hypercalls.md, the fixture's own state
 * (hvmem, smp, the vCPU's counters) and the canary page as read here.
 */
#include <setjmp.h>

/* NV_HC_TEST_EXIT ends the run: caught here, not the fixture's failure. */
#define debug_exit fixture_debug_exit
#include "glue_fixture.h"
#undef debug_exit

#include "core/hypercall.h"

static jmp_buf exit_jump;
static bool exit_armed;
static uint32_t exit_status;

__attribute__((noreturn)) void debug_exit(uint32_t v);
__attribute__((noreturn)) void debug_exit(uint32_t v)
{
	if (!exit_armed)
		fail_msg("debug_exit(%u) not expected", v);
	exit_status = v;
	longjmp(exit_jump, 1);
}

/* svm/nvctl.c's side: the nvctl calls at CPL 0 answer 0x1234. */
static unsigned nvctl_calls;

bool nvctl_allowed(uint64_t nr, unsigned cpl)
{
	return cpl == 0 && nr >= NV_HC_NVCTL_FIRST && nr <= NV_HC_NVCTL_LAST;
}

long nvctl_call(struct cpu *c, uint64_t nr)
{
	(void)c;
	(void)nr;
	nvctl_calls++;
	return 0x1234;
}

#define RIP64 0x00007ffffffff000ull

/* Registers a call must leave alone. */
static const struct guest_regs sentinel = {
	0xb0b0, 0xc0c0, 0xd0d0, 0x5151, 0xd1d1, 0xb9b9,
	0x88, 0x99, 0x1010, 0x1111, 0x1212, 0x1313, 0x1414, 0x1515 };

/* L1 at CPL 0 in 64-bit code (wide: false, 32-bit code at 0xfffffffe). */
static void l1_up(bool wide)
{
	struct vmcb_save *s;

	cpu_up(0, 0, X86_EFER_NXE);
	s = &cpu->vmcb01->save;
	if (!wide)
		l1_flat32(s, 0);
}

/* VMMCALL with RAX = nr (and RBX, RCX, RDX as given) at RIP; returns
 * RAX after it. */
static uint64_t vmmcall(bool wide, uint64_t nr, uint64_t rbx, uint64_t rcx)
{
	struct vmcb_save *s = &cpu->vmcb01->save;
	uint64_t rip = wide ? RIP64 : 0xfffffffe;

	cpu->gregs = sentinel;
	cpu->gregs.rbx = rbx;
	cpu->gregs.rcx = rcx;
	s->rax = nr;
	s->rip = rip;
	cpu->vmcb01->control.exit_code = VMEXIT_VMMCALL;
	cpu->vmcb01->control.next_rip = rip + 3;
	cpu->vmcb01->control.event_inj.raw = 0;
	handle_vmmcall(cpu);
	return s->rax;
}

/* RIP moved past the VMMCALL, no event, RSI..R15 unchanged; rdx_kept:
 * RDX too. */
static void assert_completed(bool wide, bool rdx_kept)
{
	const struct guest_regs *g = &cpu->gregs;

	assert_int_equal(cpu->vmcb01->save.rip,
			 wide ? RIP64 + 3 : 1); /* 0xfffffffe + 3 wraps */
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	if (rdx_kept)
		assert_int_equal(g->rdx, sentinel.rdx);
	assert_int_equal(g->rsi, sentinel.rsi);
	assert_int_equal(g->rdi, sentinel.rdi);
	assert_int_equal(g->rbp, sentinel.rbp);
	assert_int_equal(g->r8, sentinel.r8);
	assert_int_equal(g->r15, sentinel.r15);
}

static void each_way(void (*check)(bool wide))
{
	for (unsigned w = 0; w < 2; w++) {
		l1_up(w);
		check(w);
	}
}

/* 0 NV_HC_VERSION: RBX = major << 16 | minor << 8 | patch, 0x000100
 * for 0.1.0. */
static void version(bool wide)
{
	assert_int_equal(vmmcall(wide, 0, 0, 0xc0c0), 0);
	assert_int_equal(cpu->gregs.rbx, 0x000100);
	assert_int_equal(cpu->gregs.rcx, 0xc0c0);
	assert_completed(wide, true);
}

/* 2 NV_HC_HV_RANGE: RBX = base, RCX = size of nestvisor's memory. */
static void hv_range(bool wide)
{
	assert_int_equal(vmmcall(wide, 2, 0, 0), 0);
	assert_int_equal(cpu->gregs.rbx, HV_BASE);
	assert_int_equal(cpu->gregs.rcx, HV_SIZE);
	assert_completed(wide, true);
}

/* 3 NV_HC_CANARY: RBX = a page inside nestvisor's memory whose every word
 * holds RCX; RAX 0 while intact, -3 once a word changed. */
static void canary(bool wide)
{
	volatile uint64_t *page;

	assert_int_equal(vmmcall(wide, 3, 0, 0), 0);
	assert_true(cpu->gregs.rbx >= HV_BASE &&
		    cpu->gregs.rbx + PAGE <= HV_BASE + HV_SIZE);
	assert_int_equal(cpu->gregs.rbx & (PAGE - 1), 0);
	page = (volatile uint64_t *)cpu->gregs.rbx;
	for (unsigned i = 0; i < PAGE / 8; i++)
		assert_int_equal(page[i], cpu->gregs.rcx);
	assert_completed(wide, true);
	page[511] ^= 1;
	assert_int_equal(vmmcall(wide, 3, 0, 0), (uint64_t)-3);
	page[511] ^= 1;
	assert_completed(wide, true);
}

/* 4 NV_HC_STATS: RBX = exits handled, RCX = nested VMRUNs, RDX = L2
 * #NPFs of the shadow NPT. */
static void stats(bool wide)
{
	cpu->nr_exits = 12345;
	cpu->nested.nr_vmruns = 678;
	assert_int_equal(vmmcall(wide, 4, 0, 0), 0);
	assert_int_equal(cpu->gregs.rbx, 12345);
	assert_int_equal(cpu->gregs.rcx, 678);
	assert_int_equal(cpu->gregs.rdx, 0); /* none taken */
	assert_completed(wide, false);
}

/* 7 NV_HC_CPUS: RBX = CPUs running, RCX = parked, RDX = the caller's
 * APIC ID. */
static void cpus(bool wide)
{
	smp.nr_running = 3;
	smp.nr_parked = 2;
	cpu->apic_id = 9;
	assert_int_equal(vmmcall(wide, 7, 0, 0), 0);
	assert_int_equal(cpu->gregs.rbx, 3);
	assert_int_equal(cpu->gregs.rcx, 2);
	assert_int_equal(cpu->gregs.rdx, 9);
	assert_completed(wide, false);
}

/* Beyond the table: an nvctl call at CPL 0 (svm/nvctl.c's answer), or
 * unknown: -1 NV_HC_ENOSYS, nothing else changed. */
static void beyond(bool wide)
{
	static const uint64_t unknown[] = { 8, 9, 0xf, 0x18, 1ull << 32,
					    ~0ull };

	for (unsigned i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_int_equal(vmmcall(wide, unknown[i], 0xb0b0, 0xc0c0),
				 (uint64_t)-1);
		assert_int_equal(cpu->gregs.rbx, 0xb0b0);
		assert_int_equal(cpu->gregs.rcx, 0xc0c0);
		assert_completed(wide, true);
	}
	nvctl_calls = 0;
	assert_int_equal(vmmcall(wide, 0x10, 0, 0), 0x1234);
	assert_int_equal(nvctl_calls, 1);
	assert_completed(wide, true);
}

static void test_version(void **state)
{
	(void)state;
	each_way(version);
}

static void test_hv_range(void **state)
{
	(void)state;
	each_way(hv_range);
}

static void test_canary(void **state)
{
	(void)state;
	each_way(canary);
}

static void test_stats(void **state)
{
	(void)state;
	each_way(stats);
}

static void test_cpus(void **state)
{
	(void)state;
	each_way(cpus);
}

static void test_beyond(void **state)
{
	(void)state;
	each_way(beyond);
}

/* 1 NV_HC_TEST_EXIT: ends the run with status RBX, never returns. */
static void test_test_exit(void **state)
{
	(void)state;
	for (unsigned w = 0; w < 2; w++) {
		l1_up(w);
		exit_armed = true;
		if (!setjmp(exit_jump)) {
			vmmcall(w, 1, 40 + w, 0);
			fail_msg("NV_HC_TEST_EXIT returned");
		}
		exit_armed = false;
		assert_int_equal(exit_status, 40 + w);
	}
}

/* 5 NV_HC_BOOT_LOG appends RCX bytes at L1 address RBX (at most 512,
 * within one page; else -2) until 6 NV_HC_BOOT_DONE, then -4. */
static void test_boot_log(void **state)
{
	uint64_t text;

	(void)state;
	for (unsigned w = 0; w < 2; w++) {
		l1_up(w);
		text = l1_page();
		memcpy((void *)text, "boot\n", 5);
		assert_int_equal(vmmcall(w, 5, text, 5), 0);
		assert_completed(w, true);
		assert_int_equal(vmmcall(w, 5, text, 513), (uint64_t)-2);
		assert_int_equal(vmmcall(w, 5, text + PAGE - 4, 5),
				 (uint64_t)-2);
		assert_int_equal(vmmcall(w, 5, text, 0), 0);
	}
	l1_up(true);
	assert_int_equal(vmmcall(true, 6, 0xb0b0, 0xc0c0), 0);
	assert_int_equal(cpu->gregs.rbx, 0xb0b0);
	assert_completed(true, true);
	text = l1_page();
	for (unsigned w = 0; w < 2; w++) {
		l1_up(w);
		assert_int_equal(vmmcall(w, 5, text, 5), (uint64_t)-4);
		assert_completed(w, true);
	}
}

/* At CPL 3 a call that is not an nvctl one allowed there is #UD
 * (EVENTINJ vector 6, type 3, valid: APM Vol. 2 §15.20), RIP and RAX
 * unchanged. */
static void test_cpl3_ud(void **state)
{
	(void)state;
	for (unsigned w = 0; w < 2; w++) {
		for (uint64_t nr = 0; nr < 0x18; nr++) {
			l1_up(w);
			cpu->vmcb01->save.cpl = 3;
			assert_int_equal(vmmcall(w, nr, 0, 0), nr);
			assert_int_equal(cpu->vmcb01->control.event_inj.raw,
					 0x80000306);
			assert_int_equal(cpu->vmcb01->save.rip,
					 w ? RIP64 : 0xfffffffe);
		}
	}
}

/* 16-bit code (real mode, CPL 0): IP wraps at 64 KiB (APM Vol. 1
 * "Instruction Pointer"), the call is the same (next_rip as the CPU's
 * NRIPS gives it, within IP); CPL 1 and 2 are #UD as CPL 3 is. */
static void test_modes(void **state)
{
	struct vmcb_save *s;

	(void)state;
	l1_up(false);
	s = &cpu->vmcb01->save;
	s->cr0 = X86_CR0_ET | X86_CR0_NE;
	s->cs.attrib.raw = 0x93;
	s->cs.base = 0xf0000;
	s->cs.limit = 0xffff;
	/* The 3 bytes at IP 0xfffe, 0xffff and 0: the next IP is 1. */
	cpu->gregs = sentinel;
	s->rax = 0;
	s->rip = 0xfffe;
	cpu->vmcb01->control.exit_code = VMEXIT_VMMCALL;
	cpu->vmcb01->control.next_rip = 0x1;
	cpu->vmcb01->control.event_inj.raw = 0;
	handle_vmmcall(cpu);
	assert_int_equal(s->rax, 0);
	assert_int_equal(cpu->gregs.rbx, 0x000100);
	assert_int_equal(s->rip, 1);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
	for (unsigned cpl = 1; cpl < 3; cpl++) {
		l1_up(true);
		cpu->vmcb01->save.cpl = cpl;
		assert_int_equal(vmmcall(true, 0, 0, 0), 0);
		assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0x80000306);
		assert_int_equal(cpu->vmcb01->save.rip, RIP64);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_test_exit),
		cmocka_unit_test(test_hv_range),
		cmocka_unit_test(test_canary),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_boot_log),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_beyond),
		cmocka_unit_test(test_cpl3_ud),
		cmocka_unit_test(test_modes),
	};
	return cmocka_run_group_tests(tests, machine_up, machine_down);
}
