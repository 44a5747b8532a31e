// SPDX-License-Identifier: MIT
/*
 * drivers/uart.c on a fake 16550 (docs/security.md, "a UART that never
 * becomes ready"): the driver may write the transmit holding register
 * (offset 0) only once the line status register (offset 5) shows THRE
 * (bit 5; the 16550 data sheet's LSR), and logging must never hold the
 * CPU for long: a UART that never becomes ready costs one bounded wait,
 * then one LSR read per character, until it is ready again.
 *
 * The driver's port I/O is core/x86.h's inb/outb (inline assembly); this
 * test compiles drivers/uart.c itself with both names bound to the fake
 * below, so that nothing of the driver is changed for it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/x86.h"

#define BASE 0x3f8u
#define THRE_BIT 0x20u /* LSR bit 5 */

static struct {
	int ready;             /* THRE as the next LSR read shows it */
	unsigned lsr_reads;
	char sent[64];
	unsigned nr_sent;
	int bad_port;
} com;

static uint8_t fake_inb(uint16_t port)
{
	if (port != BASE + 5) {
		com.bad_port = 1;
		return 0;
	}
	com.lsr_reads++;
	return com.ready ? THRE_BIT : 0;
}

static void fake_outb(uint16_t port, uint8_t v)
{
	if (port != BASE || !com.ready || com.nr_sent == sizeof(com.sent)) {
		com.bad_port = 1;
		return;
	}
	com.sent[com.nr_sent++] = (char)v;
}

#define inb fake_inb
#define outb fake_outb
#include "drivers/uart.c"
#undef inb
#undef outb

static void reset(int ready)
{
	com = (__typeof__(com)){ .ready = ready };
	uart_init(BASE);
}

/* Ready: each character after one LSR read; '\n' as "\r\n". */
static void test_ready(void **state)
{
	(void)state;
	reset(1);
	uart_write("a\n", 2);
	assert_int_equal(com.nr_sent, 3);
	assert_memory_equal(com.sent, "a\r\n", 3);
	assert_int_equal(com.lsr_reads, 3);
	assert_false(com.bad_port);
}

/* Never ready: the first character waits a bounded number of LSR reads
 * (UART_SPINS, "about 10 ms on hardware"), every later one reads LSR
 * once; nothing is written. */
static void test_stuck_bounded(void **state)
{
	unsigned first;

	(void)state;
	reset(0);
	uart_putc('x');
	first = com.lsr_reads;
	assert_true(first >= 1 && first <= 20000);
	for (unsigned i = 0; i < 100; i++)
		uart_putc('y');
	assert_int_equal(com.lsr_reads, first + 100);
	assert_int_equal(com.nr_sent, 0);
	assert_false(com.bad_port);
}

/* Ready again: the next character goes out, and the one after waits its
 * full bound again if the UART is stuck anew. */
static void test_recovers(void **state)
{
	unsigned before;

	(void)state;
	reset(0);
	uart_putc('x');
	com.ready = 1;
	before = com.lsr_reads;
	uart_putc('z');
	assert_int_equal(com.lsr_reads, before + 1);
	assert_int_equal(com.nr_sent, 1);
	assert_int_equal(com.sent[0], 'z');
	com.ready = 0;
	before = com.lsr_reads;
	uart_putc('w');
	assert_true(com.lsr_reads - before > 1);
	assert_int_equal(com.nr_sent, 1);
	assert_false(com.bad_port);
}

/* Base 0: no output, no port touched. */
static void test_none(void **state)
{
	(void)state;
	com = (__typeof__(com)){ .ready = 1 };
	uart_init(0);
	uart_write("abc", 3);
	assert_int_equal(com.lsr_reads, 0);
	assert_int_equal(com.nr_sent, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_stuck_bounded),
		cmocka_unit_test(test_recovers),
		cmocka_unit_test(test_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
