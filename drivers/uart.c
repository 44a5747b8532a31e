// SPDX-License-Identifier: MIT
/*
 * The 16550 UART's transmit side, bounded: a character waits for the
 * transmit holding register (LSR.THRE) at most UART_SPINS reads of LSR
 * (about 10 ms on hardware, where one port read takes ~0.5-1 us; a
 * character at 115200 baud needs ~87 us).  A UART that does not come
 * ready in that time (missing, stuck, its FIFO filled by someone else) is
 * marked stuck: later characters check LSR once and are dropped while it
 * is not ready, so logging never holds the CPU for more than one wait;
 * the first ready check clears the mark.
 */
#include <stdbool.h>

#include "drivers/uart.h"
#include "core/x86.h"

#define UART_THR 0 /* transmit holding register */
#define UART_LSR 5 /* line status register */
#define LSR_THRE 0x20
#define UART_SPINS 20000u

static uint16_t uart_base;
static bool uart_stuck;

void uart_init(uint16_t base)
{
	uart_base = base;
	uart_stuck = false;
}

static bool uart_ready(void)
{
	unsigned spins = uart_stuck ? 1 : UART_SPINS;

	for (unsigned i = 0; i < spins; i++)
		if (inb(uart_base + UART_LSR) & LSR_THRE) {
			uart_stuck = false;
			return true;
		}
	uart_stuck = true;
	return false;
}

void uart_putc(char c)
{
	if (!uart_base)
		return;
	if (c == '\n')
		uart_putc('\r');
	if (uart_ready())
		outb(uart_base + UART_THR, (uint8_t)c);
}

void uart_write(const char *s, unsigned long len)
{
	for (unsigned long i = 0; i < len; i++)
		uart_putc(s[i]);
}
