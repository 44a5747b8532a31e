// SPDX-License-Identifier: MIT
/* A small printf for the payloads; formats straight to the serial port. */
#include <stdint.h>
#include "serial.h"

struct spec {
	int width;
	int zero;
	int left;
	int lng;     /* 0: int, 1: long / long long / size_t */
};

static void pad(int n, char c)
{
	while (n-- > 0)
		serial_putc(c);
}

static void put_field(const char *s, int len, const struct spec *sp)
{
	int fill = sp->width > len ? sp->width - len : 0;

	if (!sp->left)
		pad(fill, sp->zero ? '0' : ' ');
	for (int i = 0; i < len; i++)
		serial_putc(s[i]);
	if (sp->left)
		pad(fill, ' ');
}

static void put_number(uint64_t v, unsigned base, int neg, const struct spec *sp)
{
	char buf[24];
	int n = 0;

	do {
		unsigned d = (unsigned)(v % base);
		buf[sizeof(buf) - 1 - n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	if (neg)
		buf[sizeof(buf) - 1 - n++] = '-';
	put_field(&buf[sizeof(buf) - n], n, sp);
}

void gvprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		struct spec sp = { 0, 0, 0, 0 };

		if (*fmt != '%') {
			serial_putc(*fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				sp.zero = 1;
			else if (*fmt == '-')
				sp.left = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			sp.width = sp.width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			sp.lng = 1;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			int64_t v = sp.lng ? va_arg(ap, long) : va_arg(ap, int);
			put_number(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, 10, v < 0, &sp);
			break;
		}
		case 'u':
		case 'x': {
			uint64_t v = sp.lng ? va_arg(ap, unsigned long)
					    : va_arg(ap, unsigned int);
			put_number(v, *fmt == 'x' ? 16 : 10, 0, &sp);
			break;
		}
		case 'p':
			serial_puts("0x");
			put_number((uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0, &sp);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;

			if (!s)
				s = "(null)";
			while (s[len])
				len++;
			put_field(s, len, &sp);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_field(&c, 1, &sp);
			break;
		}
		case '%':
			serial_putc('%');
			break;
		case '\0':
			return;
		default:
			serial_putc('%');
			serial_putc(*fmt);
			break;
		}
	}
}

void gprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
}
