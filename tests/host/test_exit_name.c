// SPDX-License-Identifier: MIT
/*
 * svm/exit_name.c: names of exit codes as APM Vol. 2 Appendix C, Table C-1
 * lists them (the numbers below are the table's), ranges by their index,
 * and the hypercall ABI's slot <-> code mapping (core/hypercall.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/hypercall.h"
#include "svm/exit_name.h"

static void check(uint64_t code, const char *want)
{
	char buf[32];

	svm_exit_name(code, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_names(void **state)
{
	(void)state;
	check(0x000, "CR0_READ");
	check(0x003, "CR3_READ");
	check(0x013, "CR3_WRITE");
	check(0x01f, "CR15_WRITE");
	check(0x027, "DR7_READ");
	check(0x037, "DR7_WRITE");
	check(0x04e, "EXCP14");
	check(0x05f, "EXCP31");
	check(0x060, "INTR");
	check(0x072, "CPUID");
	check(0x078, "HLT");
	check(0x07b, "IOIO");
	check(0x07c, "MSR");
	check(0x07f, "SHUTDOWN");
	check(0x080, "VMRUN");
	check(0x081, "VMMCALL");
	check(0x08d, "XSETBV");
	check(0x08f, "EFER_WRITE_TRAP");
	check(0x090, "CR0_WRITE_TRAP");
	check(0x09f, "CR15_WRITE_TRAP");
	check(0x0a0, "INVLPGB");
	check(0x0a6, "IDLE_HLT");
	check(0x400, "NPF");
	check(0x403, "VMGEXIT");
	check((uint64_t)-1, "INVALID");
	check(0xffffffffull, "INVALID");
	check((uint64_t)-2, "BUSY");
	check(0x0a7, "0xa7");
	check(0x3ff, "0x3ff");
	check(0x404, "0x404");
}

static void test_slots(void **state)
{
	(void)state;
	for (uint64_t code = 0; code < 0x500; code++) {
		unsigned s = nv_exit_slot(code);

		if (code < 0x100 || (code >= 0x400 && code < 0x410)) {
			assert_true(s < NV_EXIT_SLOT_FAILED);
			assert_int_equal(nv_exit_slot_code(s), code);
		} else {
			assert_int_equal(s, NV_EXIT_SLOT_OTHER);
		}
	}
	assert_int_equal(nv_exit_slot((uint64_t)-1), NV_EXIT_SLOT_FAILED);
	assert_int_equal(nv_exit_slot(0xffffffffull), NV_EXIT_SLOT_FAILED);
	assert_int_equal(nv_exit_slot((uint64_t)-4), NV_EXIT_SLOT_FAILED);
	assert_true(NV_EXIT_SLOT_OTHER < NV_EXIT_SLOTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_slots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
