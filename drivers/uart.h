/* SPDX-License-Identifier: MIT */
/* 16550 UART, polled, transmit only.  The firmware has already programmed
 * the line (OVMF: COM1, 115200 8N1), so nestvisor does not reprogram it. */
#ifndef NV_DRIVERS_UART_H
#define NV_DRIVERS_UART_H

#include <stdint.h>

void uart_init(uint16_t base); /* base 0 = no serial output */
void uart_putc(char c);
void uart_write(const char *s, unsigned long len);

#endif
