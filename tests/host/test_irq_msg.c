// SPDX-License-Identifier: MIT
/*
 * svm/irq_msg.c: what nestvisor does with an interrupt message L1 writes
 * into the window beyond the APIC page, and with an I/O APIC redirection
 * entry L1 programs.  Expected values are worked out by hand from the
 * message format (PCI Local Bus Specification MSI address/data: address
 * bits 19:12 destination, bit 2 destination mode; data 7:0 vector, 10:8
 * delivery mode, 14 level, 15 trigger mode), the ICR layout of APM Vol. 2
 * chapter 16 (destination in bits 63:56 for xAPIC, here in the x2APIC
 * layout's 39:32; bit 11 logical) and the 82093AA redirection entry
 * (10:8 delivery mode, 16 mask), never from the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svm/irq_msg.h"

static void test_window_forwarded(void **state)
{
	uint64_t icr = 1;
	(void)state;
	/* Fixed, vector 0x31, to APIC ID 1: performed as written. */
	assert_int_equal(irq_msg_decide(0xfee01000ull, 0x0031, &icr),
			 IRQ_MSG_FORWARD);
	/* Lowest priority (001b), logical destination 0x0f. */
	assert_int_equal(irq_msg_decide(0xfee0f004ull, 0x0141, &icr),
			 IRQ_MSG_FORWARD);
	/* ExtINT (111b). */
	assert_int_equal(irq_msg_decide(0xfee02000ull, 0x0700, &icr),
			 IRQ_MSG_FORWARD);
}

static void test_window_through_icr(void **state)
{
	uint64_t icr = 0;
	(void)state;
	/* INIT (101b = 0x500) to APIC ID 1, physical: ICR 1 << 32 | 0x500. */
	assert_int_equal(irq_msg_decide(0xfee01000ull, 0x500, &icr),
			 IRQ_MSG_ICR);
	assert_int_equal(icr, 0x100000500ull);
	/* Start-up (110b) vector 0x9f to APIC ID 0x23, logical (bit 2):
	 * ICR 0x23 << 32 | bit 11 | 0x69f. */
	assert_int_equal(irq_msg_decide(0xfee23004ull, 0x69f, &icr),
			 IRQ_MSG_ICR);
	assert_int_equal(icr, 0x2300000e9full);
	/* NMI (100b), level asserted and level-triggered (bits 14, 15), to
	 * APIC ID 0xff: every bit of mode, level and trigger carried over. */
	assert_int_equal(irq_msg_decide(0xfeeff000ull, 0xc400, &icr),
			 IRQ_MSG_ICR);
	assert_int_equal(icr, 0xff0000c400ull);
	/* Data bits 13:11 and 31:16 are not the ICR's to take. */
	assert_int_equal(irq_msg_decide(0xfee01000ull, 0xfffffd00u, &icr),
			 IRQ_MSG_ICR);
	assert_int_equal(icr, 0x100000500ull | 0xc000);
}

static void test_window_dropped(void **state)
{
	uint64_t icr = 1;
	(void)state;
	/* SMI (010b) and the reserved 011b. */
	assert_int_equal(irq_msg_decide(0xfee01000ull, 0x200, &icr),
			 IRQ_MSG_DROP);
	assert_int_equal(irq_msg_decide(0xfee01000ull, 0x300, &icr),
			 IRQ_MSG_DROP);
}

static void test_rte(void **state)
{
	(void)state;
	/* Allowed modes pass unchanged, mask and all. */
	assert_int_equal(ioapic_rte_sanitize(0x00000031), 0x00000031);
	assert_int_equal(ioapic_rte_sanitize(0x0001a131), 0x0001a131);
	assert_int_equal(ioapic_rte_sanitize(0x00000400), 0x00000400);
	assert_int_equal(ioapic_rte_sanitize(0x00000700), 0x00000700);
	/* INIT (0x500), edge, unmasked: Fixed, masked (bit 16). */
	assert_int_equal(ioapic_rte_sanitize(0x00000500), 0x00010000);
	/* SMI, level, logical, vector 0x20: the rest kept, masked. */
	assert_int_equal(ioapic_rte_sanitize(0x0000aa20), 0x0001a820);
	/* Start-up and the reserved 011b. */
	assert_int_equal(ioapic_rte_sanitize(0x0000069f), 0x0001009f);
	assert_int_equal(ioapic_rte_sanitize(0x00000300), 0x00010000);
	/* The modes that may reach a CPU: 000, 001, 100, 111. */
	for (unsigned m = 0; m < 8; m++)
		assert_int_equal(irq_mode_allowed(m),
				 m == 0 || m == 1 || m == 4 || m == 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_forwarded),
		cmocka_unit_test(test_window_through_icr),
		cmocka_unit_test(test_window_dropped),
		cmocka_unit_test(test_rte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
