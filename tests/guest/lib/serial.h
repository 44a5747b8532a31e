/* SPDX-License-Identifier: MIT */
/*
 * Output over COM1 (16550 UART at 0x3f8) by polling.  The payloads use
 * only this path for their output, never the firmware's ConOut (which OVMF
 * also routes to COM1), so lines from both cannot interleave.  The UART is
 * used as the firmware left it (OVMF: 115200 8N1).
 */
#ifndef NV_GUEST_SERIAL_H
#define NV_GUEST_SERIAL_H

#include <stdarg.h>

#define COM1_BASE     0x3f8u
#define UART_THR      0u  /* transmit holding register (write) */
#define UART_LSR      5u  /* line status register */
#define UART_SCR      7u  /* scratch register */
#define UART_LSR_THRE 0x20u /* THR empty */
#define UART_LSR_TEMT 0x40u /* transmitter empty */

void serial_putc(char c);
void serial_puts(const char *s);
/* Wait until the transmitter is idle (everything sent). */
void serial_flush(void);

/* printf subset: %s %c %d %u %x %p, length modifiers l/ll/z,
 * flags '0' and '-', field width.  '\n' is sent as "\r\n". */
void gprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void gvprintf(const char *fmt, va_list ap);

#endif
