/* SPDX-License-Identifier: MIT */
/*
 * Freestanding printf-style formatting for log lines (no libc).
 *
 * Conversions: %s %c %d %i %u %x %X %p %%.
 * Flags: '-' (left-justify) and '0' (pad numbers with zeros; ignored with
 * '-' or when a precision is given for an integer).
 * Width: decimal digits or '*' (an int argument; negative means '-').
 * Precision: '.N' or '.*': for %s the maximum number of characters taken
 * from the string, for integers the minimum number of digits (C99).
 * Length modifiers: hh, h, l, ll, z (size_t / signed size_t).
 * %p prints "0x" followed by lower-case hex digits, or "(nil)" for NULL;
 * %s of NULL prints "(null)" (both as glibc does, so logs read the same on
 * host and in the hypervisor).
 * An unsupported conversion is copied to the output verbatim, '%' included.
 *
 * fmt_vsnprintf writes at most size bytes into buf, always NUL-terminated
 * when size > 0 (buf may be NULL when size is 0), and returns the length
 * the complete output would have had, without the NUL (as C99 snprintf).
 */
#ifndef NV_CORE_FMT_H
#define NV_CORE_FMT_H

#include <stdarg.h>
#include <stddef.h>

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
