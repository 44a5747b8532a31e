// SPDX-License-Identifier: MIT
/*
 * INVD and WBINVD as nestvisor completes them (svm/cache.c), from its own
 * sources on the fake machine of glue_fixture.h, on a CPU without NRIPS
 * (as QEMU TCG), so that the instruction is found at L1's RIP:
 *  - INVD (0F 08) invalidates the caches without writing them back (APM
 *    Vol. 3 "INVD"), which would drop nestvisor's own dirty lines; what
 *    must happen instead is a write-back and invalidate, as WBINVD (0F 09)
 *    does and as HWCR.INVDWBINVD makes the CPU do (AMD's BKDGs/PPRs,
 *    MSRC001_0015[4]).  So: one WBINVD, RIP past the two bytes, no event;
 *  - QEMU TCG reports INVD through the WBINVD intercept: that exit with
 *    INVD at RIP does the same;
 *  - an exit whose bytes at RIP are neither instruction has no effect
 *    but #UD (nothing written back, RIP unchanged).
 * Expectations from the APM's encodings, never from nestvisor's output.
 */
#define GLUE_REAL_CACHE
#include "glue_fixture.h"

#define CODE_LA 0x1000ull /* L1's RIP (cpu_up) */

/* A CPU without NRIPS running in long mode on its own page table, with
 * code at CODE_LA; the exit vmcb01 reports. */
static void l1_at(const uint8_t *code, unsigned len, uint64_t exit_code)
{
	uint64_t cr3, page;
	struct vmcb_control *c;

	cpu_up(0, 0, X86_EFER_NXE);
	cpu->caps.edx &= ~(1u << SVM_FEAT_NRIPS);
	cr3 = npt12_new();
	page = l1_page();
	npt12_map(cr3, CODE_LA, page, PTE_P | PTE_RW | PTE_A);
	cpu->vmcb01->save.cr3 = cr3;
	memcpy((void *)page, code, len);
	c = &cpu->vmcb01->control;
	c->exit_code = exit_code;
	c->exit_info_1 = 0;
	c->exit_info_2 = 0;
	c->next_rip = 0;
	c->event_inj.raw = 0;
}

static const uint8_t invd[] = { 0x0f, 0x08 }, wbinvd[] = { 0x0f, 0x09 };

static void assert_done(unsigned len)
{
	assert_int_equal(hw.wbinvd, 1);
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA + len);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0);
}

static void test_invd_is_wbinvd(void **state)
{
	(void)state;
	l1_at(invd, sizeof(invd), VMEXIT_INVD);
	handle_invd(cpu);
	assert_done(2);
}

/* QEMU TCG: INVD under the WBINVD intercept's exit code. */
static void test_invd_reported_as_wbinvd(void **state)
{
	(void)state;
	l1_at(invd, sizeof(invd), VMEXIT_WBINVD);
	handle_wbinvd(cpu);
	assert_done(2);
}

static void test_wbinvd(void **state)
{
	(void)state;
	l1_at(wbinvd, sizeof(wbinvd), VMEXIT_WBINVD);
	handle_wbinvd(cpu);
	assert_done(2);
}

/* Two NOPs at RIP: #UD (EVENTINJ vector 6, type 3, valid: APM Vol. 2
 * §15.20), no write-back, RIP unchanged. */
static void test_not_at_rip(void **state)
{
	static const uint8_t nops[] = { 0x90, 0x90 };

	(void)state;
	l1_at(nops, sizeof(nops), VMEXIT_INVD);
	handle_invd(cpu);
	assert_int_equal(hw.wbinvd, 0);
	assert_int_equal(cpu->vmcb01->save.rip, CODE_LA);
	assert_int_equal(cpu->vmcb01->control.event_inj.raw, 0x80000306);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invd_is_wbinvd),
		cmocka_unit_test(test_invd_reported_as_wbinvd),
		cmocka_unit_test(test_wbinvd),
		cmocka_unit_test(test_not_at_rip),
	};
	return cmocka_run_group_tests(tests, machine_up, machine_down);
}
