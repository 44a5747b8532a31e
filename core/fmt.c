// SPDX-License-Identifier: MIT
/*
 * Freestanding formatter (see fmt.h for the accepted syntax).
 *
 * One pass over the format string.  Each conversion is parsed into a
 * struct spec (flags, width, precision, length, conversion), then emitted
 * through a sink that counts every character but stores only those that fit
 * below size - 1, so the return value is the untruncated length.
 * Integers are rendered right to left into a small buffer, then laid out as
 * [spaces] [sign or 0x] [zeros] digits [spaces].
 */
#include "core/fmt.h"

#include <stdbool.h>
#include <stdint.h>

struct sink {
	char *buf;
	size_t size;
	size_t pos;
};

static void put(struct sink *s, char c)
{
	if (s->size && s->pos < s->size - 1)
		s->buf[s->pos] = c;
	s->pos++;
}

static void put_n(struct sink *s, char c, int n)
{
	while (n-- > 0)
		put(s, c);
}

enum len { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z };

struct spec {
	bool left;	/* '-' */
	bool zero;	/* '0' */
	int width;	/* 0 when absent */
	int prec;	/* -1 when absent */
	enum len len;
	char conv;
};

/* Lay out a string piece of n characters in a field of spec->width. */
static void emit_str(struct sink *s, const struct spec *sp, const char *str,
		     int n)
{
	int pad = sp->width > n ? sp->width - n : 0;

	if (!sp->left)
		put_n(s, ' ', pad);
	for (int i = 0; i < n; i++)
		put(s, str[i]);
	if (sp->left)
		put_n(s, ' ', pad);
}

static void emit_int(struct sink *s, const struct spec *sp, uint64_t mag,
		     bool neg, const char *prefix)
{
	const char *digits = sp->conv == 'X' ? "0123456789ABCDEF"
					     : "0123456789abcdef";
	unsigned base = (sp->conv == 'x' || sp->conv == 'X' ||
			 sp->conv == 'p') ? 16 : 10;
	char tmp[24];
	int nd = 0, npre = 0, zeros, pad;

	/* C99: precision 0 and value 0 produce no digits at all. */
	if (!(mag == 0 && sp->prec == 0)) {
		do {
			tmp[nd++] = digits[mag % base];
			mag /= base;
		} while (mag);
	}
	if (neg)
		npre = 1;
	else if (prefix)
		while (prefix[npre])
			npre++;
	zeros = sp->prec > nd ? sp->prec - nd : 0;
	if (sp->zero && !sp->left && sp->prec < 0 &&
	    sp->width > npre + nd)
		zeros = sp->width - npre - nd;
	pad = sp->width - npre - zeros - nd;
	if (pad < 0)
		pad = 0;

	if (!sp->left)
		put_n(s, ' ', pad);
	if (neg)
		put(s, '-');
	else
		for (int i = 0; i < npre; i++)
			put(s, prefix[i]);
	put_n(s, '0', zeros);
	while (nd)
		put(s, tmp[--nd]);
	if (sp->left)
		put_n(s, ' ', pad);
}

static int64_t arg_signed(enum len len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z:
		/* signed counterpart of size_t (C99 %zd) */
		return (int64_t)va_arg(*ap, size_t);
	default:
		return va_arg(*ap, int);
	}
}

static uint64_t arg_unsigned(enum len len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Parse decimal digits at *p (no overflow past a sane field width). */
static int parse_num(const char **p)
{
	int v = 0;

	while (**p >= '0' && **p <= '9') {
		if (v < 100000)
			v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

/* Parse one conversion after '%'; returns false for unsupported ones. */
static bool parse_spec(const char **pp, struct spec *sp, va_list *ap)
{
	const char *p = *pp;

	sp->left = sp->zero = false;
	sp->width = 0;
	sp->prec = -1;
	sp->len = LEN_NONE;
	for (;; p++) {
		if (*p == '-')
			sp->left = true;
		else if (*p == '0')
			sp->zero = true;
		else
			break;
	}
	if (*p == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = sp->width < -100000 ? 100000 : -sp->width;
		}
		p++;
	} else {
		sp->width = parse_num(&p);	/* capped at ~1e6 */
	}
	if (*p == '.') {
		p++;
		if (*p == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1;	/* as if omitted */
			p++;
		} else {
			sp->prec = parse_num(&p);
		}
	}
	if (p[0] == 'h' && p[1] == 'h') {
		sp->len = LEN_HH;
		p += 2;
	} else if (p[0] == 'h') {
		sp->len = LEN_H;
		p++;
	} else if (p[0] == 'l' && p[1] == 'l') {
		sp->len = LEN_LL;
		p += 2;
	} else if (p[0] == 'l') {
		sp->len = LEN_L;
		p++;
	} else if (p[0] == 'z') {
		sp->len = LEN_Z;
		p++;
	}
	sp->conv = *p;
	switch (*p) {
	case 's': case 'c': case 'd': case 'i': case 'u':
	case 'x': case 'X': case 'p': case '%':
		*pp = p + 1;
		return true;
	default:
		*pp = p;
		return false;
	}
}

static void convert(struct sink *s, const struct spec *sp, va_list *ap)
{
	switch (sp->conv) {
	case '%':
		put(s, '%');
		break;
	case 'c': {
		char c = (char)va_arg(*ap, int);

		emit_str(s, sp, &c, 1);
		break;
	}
	case 's': {
		const char *str = va_arg(*ap, const char *);
		int n = 0;

		if (!str)
			str = "(null)";
		/* With a precision, no byte past it is read (C99 7.19.6.1). */
		while ((sp->prec < 0 || n < sp->prec) && str[n])
			n++;
		emit_str(s, sp, str, n);
		break;
	}
	case 'd': case 'i': {
		int64_t v = arg_signed(sp->len, ap);
		uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;

		emit_int(s, sp, mag, v < 0, NULL);
		break;
	}
	case 'u': case 'x': case 'X':
		emit_int(s, sp, arg_unsigned(sp->len, ap), false, NULL);
		break;
	case 'p': {
		uintptr_t v = (uintptr_t)va_arg(*ap, void *);
		struct spec nil = *sp;

		if (v) {
			emit_int(s, sp, v, false, "0x");
		} else {
			nil.prec = -1;
			emit_str(s, &nil, "(nil)", 5);
		}
		break;
	}
	}
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .buf = buf, .size = size, .pos = 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		const char *start = fmt;
		struct spec sp;

		if (*fmt != '%') {
			put(&s, *fmt++);
			continue;
		}
		fmt++;
		if (parse_spec(&fmt, &sp, &aq)) {
			convert(&s, &sp, &aq);
		} else {
			/* Unsupported: copy "%..." verbatim up to here. */
			while (start < fmt)
				put(&s, *start++);
		}
	}
	va_end(aq);
	if (size)
		buf[s.pos < size ? s.pos : size - 1] = '\0';
	return s.pos > 0x7fffffff ? 0x7fffffff : (int)s.pos;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
