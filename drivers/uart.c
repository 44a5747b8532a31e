// SPDX-License-Identifier: MIT
#include "drivers/uart.h"
#include "core/x86.h"

#define UART_THR 0 /* transmit holding register */
#define UART_LSR 5 /* line status register */
#define LSR_THRE 0x20

static uint16_t uart_base;

void uart_init(uint16_t base)
{
	uart_base = base;
}

void uart_putc(char c)
{
	unsigned spins;

	if (!uart_base)
		return;
	if (c == '\n')
		uart_putc('\r');
	/* Bounded: a missing UART must not hang the hypervisor. */
	for (spins = 0; spins < 100000; spins++)
		if (inb(uart_base + UART_LSR) & LSR_THRE)
			break;
	outb(uart_base + UART_THR, (uint8_t)c);
}

void uart_write(const char *s, unsigned long len)
{
	for (unsigned long i = 0; i < len; i++)
		uart_putc(s[i]);
}
