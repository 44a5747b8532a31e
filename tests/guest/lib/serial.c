// SPDX-License-Identifier: MIT
#include "serial.h"
#include "x86.h"

void serial_putc(char c)
{
	unsigned spins = 0;

	if (c == '\n')
		serial_putc('\r');
	/* Bounded wait: a missing UART reads 0xff (THRE set) anyway. */
	while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_THRE) && ++spins < 1000000)
		;
	outb(COM1_BASE + UART_THR, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void serial_flush(void)
{
	unsigned spins = 0;

	while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_TEMT) && ++spins < 1000000)
		;
}
