// SPDX-License-Identifier: MIT
/*
 * Configuration parser (format and keys in config.h).
 *
 * Both entry points work on a private copy of the configuration and copy it
 * back only when the whole input parsed, so a failed call changes nothing.
 * The file is processed line by line: byte check, trim, split at the first
 * '=', recognise the key, refuse a second setting of it, cut the value
 * (quoted or up to a '#'), then convert and range-check it.  The load
 * options are cut into blank-separated tokens that go through the same key
 * and value functions, except that "args=" swallows the rest of the line.
 */
#include "boot/config.h"

#include <stdarg.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/fmt.h"

enum key_id { K_NEXT, K_ARGS, K_LOG, K_MEMORY, K_SERIAL, K_DEBUG_EXIT,
	      K_CONSOLE, K_LOG_RING, K_NVCTL, K_CPUS, K_HIDE_S3, K_COUNT };

static const char *const key_names[K_COUNT] = {
	[K_NEXT] = "next", [K_ARGS] = "args", [K_LOG] = "log",
	[K_MEMORY] = "memory", [K_SERIAL] = "serial",
	[K_DEBUG_EXIT] = "debug_exit", [K_CONSOLE] = "console",
	[K_LOG_RING] = "log_ring", [K_NVCTL] = "nvctl", [K_CPUS] = "cpus",
	[K_HIDE_S3] = "hide_s3",
};

static const char *const log_names[] = {
	[LOG_ERROR] = "error", [LOG_WARN] = "warn",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	[LOG_TRACE] = "trace",
};

static const char *const debug_exit_names[] = {
	[NV_DEBUG_EXIT_AUTO] = "auto", [NV_DEBUG_EXIT_ON] = "on",
	[NV_DEBUG_EXIT_OFF] = "off",
};

static const char *const console_names[] = {
	[NV_CONSOLE_AUTO] = "auto", [NV_CONSOLE_ON] = "on",
	[NV_CONSOLE_OFF] = "off",
};

static const char *const on_off_names[] = { "off", "on" };

static const char *const auto_on_names[] = { "auto", "on" };

/* How much of a bad key or value is quoted back in a message. */
#define QUOTE_MAX 40

struct ctx {
	const char *source;
	unsigned line;
	struct config_error *err;
	bool file;			/* lines are file lines */
	unsigned set_on_line[K_COUNT];	/* 0 = not set by this source */
};

static void copy_bytes(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	while (n--)
		*d++ = *s++;
}

static int quote_len(size_t n)
{
	return n > QUOTE_MAX ? QUOTE_MAX : (int)n;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *x, enum config_errc code, const char *f, ...)
{
	int rc = code == CONFIG_E_RANGE ? -NV_ERANGE : -NV_EINVAL;
	va_list ap;

	if (!x->err)
		return rc;
	x->err->code = code;
	fmt_snprintf(x->err->source, sizeof(x->err->source), "%s", x->source);
	x->err->line = x->line;
	va_start(ap, f);
	fmt_vsnprintf(x->err->msg, sizeof(x->err->msg), f, ap);
	va_end(ap);
	return rc;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool span_is(const char *p, size_t n, const char *word)
{
	size_t i = 0;

	for (; i < n; i++)
		if (word[i] != p[i])	/* also stops at word's NUL */
			return false;
	return word[i] == '\0';
}

static int find_word(const char *p, size_t n, const char *const *words,
		     int count)
{
	for (int i = 0; i < count; i++)
		if (span_is(p, n, words[i]))
			return i;
	return -1;
}

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Digits in base 10 or 16 into *out: 0 if all n chars are digits,
 * -NV_EINVAL if not (or n is 0), -NV_ERANGE on overflow past max.
 */
static int parse_digits(const char *p, size_t n, unsigned base, uint64_t max,
			uint64_t *out)
{
	uint64_t v = 0;
	bool over = false;

	if (!n)
		return -NV_EINVAL;
	for (size_t i = 0; i < n; i++) {
		int d = hex_digit(p[i]);

		if (d < 0 || (unsigned)d >= base)
			return -NV_EINVAL;
		if (v > (max - (uint64_t)d) / base)
			over = true;
		else
			v = v * base + (uint64_t)d;
	}
	*out = v;
	return over ? -NV_ERANGE : 0;
}

/*
 * A size: decimal or 0x-hex digits with an optional K, M or G suffix
 * (either case), in [min, max], rounded up to a multiple of align.
 */
static int set_size(struct ctx *x, const char *key, const char *v, size_t n,
		    uint64_t min, uint64_t max, const char *range,
		    uint64_t align, uint64_t *out)
{
	unsigned shift = 0, base = 10;
	size_t dn = n, start = 0;
	uint64_t num;
	int r;

	switch (n ? v[n - 1] : 0) {
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	}
	if (shift)
		dn--;
	if (dn > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		start = 2;
	}
	r = parse_digits(v + start, dn - start, base, UINT64_MAX >> shift,
			 &num);
	if (r == -NV_EINVAL)
		return fail(x, CONFIG_E_BAD_NUMBER,
			    "bad number '%.*s' for '%s'", quote_len(n), v, key);
	num <<= shift;
	if (r == -NV_ERANGE || num < min || num > max)
		return fail(x, CONFIG_E_RANGE, "%s '%.*s' out of range (%s)",
			    key, quote_len(n), v, range);
	*out = (num + align - 1) & ~(align - 1);
	return 0;
}

static int set_serial(struct nv_config *c, struct ctx *x, const char *v,
		      size_t n)
{
	size_t start = 0;
	uint64_t port;
	int r;

	if (span_is(v, n, "none")) {
		c->serial = CONFIG_SERIAL_NONE;
		return 0;
	}
	if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		start = 2;
	r = parse_digits(v + start, n - start, 16, UINT64_MAX, &port);
	if (r == -NV_EINVAL)
		return fail(x, CONFIG_E_BAD_NUMBER,
			    "bad number '%.*s' for 'serial' (hex port or none)",
			    quote_len(n), v);
	if (r == -NV_ERANGE || port < 1 || port > 0xfff8)
		return fail(x, CONFIG_E_RANGE,
			    "serial port '%.*s' out of range (0x1..0xfff8)",
			    quote_len(n), v);
	c->serial = (uint16_t)port;
	return 0;
}

static int set_cpus(struct nv_config *c, struct ctx *x, const char *v,
		    size_t n)
{
	uint64_t num;
	int r;

	if (span_is(v, n, "all")) {
		c->cpus = CONFIG_CPUS_ALL;
		return 0;
	}
	r = parse_digits(v, n, 10, UINT64_MAX, &num);
	if (r == -NV_EINVAL)
		return fail(x, CONFIG_E_BAD_NUMBER,
			    "bad number '%.*s' for 'cpus' (a count or all)",
			    quote_len(n), v);
	if (r == -NV_ERANGE || num < 1 || num > CONFIG_CPUS_MAX)
		return fail(x, CONFIG_E_RANGE,
			    "cpus '%.*s' out of range (1..%u or all)",
			    quote_len(n), v, CONFIG_CPUS_MAX);
	c->cpus = (unsigned)num;
	return 0;
}

static int set_next(struct nv_config *c, struct ctx *x, const char *v,
		    size_t n)
{
	if (span_is(v, n, CONFIG_NEXT_AUTO)) {
		copy_bytes(c->next, CONFIG_NEXT_AUTO, sizeof(CONFIG_NEXT_AUTO));
		return 0;
	}
	if (n > CONFIG_NEXT_MAX)
		return fail(x, CONFIG_E_TOO_LONG,
			    "value of 'next' too long (%zu chars, at most %u)",
			    n, CONFIG_NEXT_MAX);
	if (v[0] != '\\' && v[0] != '/')
		return fail(x, CONFIG_E_BAD_PATH,
			    "'next' must be auto or an absolute ESP path like \\EFI\\next.efi, not '%.*s'",
			    quote_len(n), v);
	for (size_t i = 0; i < n; i++)
		c->next[i] = v[i] == '/' ? '\\' : v[i];
	c->next[n] = '\0';
	return 0;
}

/* The value as one of count words (its index), or the failure that
 * names key and its choices (hint: "a|b|c"). */
static int choose(struct ctx *x, const char *key, const char *v, size_t n,
		  const char *const *words, int count, const char *hint)
{
	int w = find_word(v, n, words, count);

	if (w < 0)
		return fail(x, CONFIG_E_BAD_VALUE,
			    "invalid value '%.*s' for '%s' (%s)",
			    quote_len(n), v, key, hint);
	return w;
}

/* Convert and store one value; quoted tells "" apart from nothing. */
static int set_value(struct nv_config *c, struct ctx *x, enum key_id key,
		     const char *v, size_t n, bool quoted)
{
	int w;

	if (!n && !(key == K_ARGS && quoted))
		return fail(x, CONFIG_E_EMPTY_VALUE, "empty value for '%s'",
			    key_names[key]);
	switch (key) {
	case K_NEXT:
		return set_next(c, x, v, n);
	case K_ARGS:
		if (n > CONFIG_ARGS_MAX)
			return fail(x, CONFIG_E_TOO_LONG,
				    "value of 'args' too long (%zu chars, at most %u)",
				    n, CONFIG_ARGS_MAX);
		copy_bytes(c->args, v, n);
		c->args[n] = '\0';
		return 0;
	case K_LOG:
		w = choose(x, "log", v, n, log_names, 5, "error|warn|info|debug|trace");
		if (w < 0)
			return w;
		c->log = (enum log_level)w;
		return 0;
	case K_MEMORY:
		return set_size(x, "memory", v, n, CONFIG_MEMORY_MIN,
				CONFIG_MEMORY_MAX, "8M..1G", CONFIG_MEMORY_ALIGN,
				&c->memory);
	case K_LOG_RING:
		return set_size(x, "log_ring", v, n, CONFIG_LOG_RING_MIN,
				CONFIG_LOG_RING_MAX, "4K..16M", 4096,
				&c->log_ring);
	case K_CONSOLE:
		w = choose(x, "console", v, n, console_names, 3, "auto|on|off");
		if (w < 0)
			return w;
		c->console = (enum nv_console)w;
		return 0;
	case K_NVCTL:
		w = choose(x, "nvctl", v, n, on_off_names, 2, "on|off");
		if (w < 0)
			return w;
		c->nvctl = w == 1;
		return 0;
	case K_HIDE_S3:
		w = choose(x, "hide_s3", v, n, auto_on_names, 2, "auto|on");
		if (w < 0)
			return w;
		c->hide_s3 = w == 1;
		return 0;
	case K_SERIAL:
		return set_serial(c, x, v, n);
	case K_CPUS:
		return set_cpus(c, x, v, n);
	case K_DEBUG_EXIT:
		w = choose(x, "debug_exit", v, n, debug_exit_names, 3, "auto|on|off");
		if (w < 0)
			return w;
		c->debug_exit = (enum nv_debug_exit)w;
		return 0;
	default:
		return fail(x, CONFIG_E_UNKNOWN_KEY, "unknown key");
	}
}

/* Recognise a key and refuse a second setting of it in this source. */
static int lookup_key(struct ctx *x, const char *k, size_t n, int *key)
{
	if (!n)
		return fail(x, CONFIG_E_EMPTY_KEY, "missing key before '='");
	*key = find_word(k, n, key_names, K_COUNT);
	if (*key < 0)
		return fail(x, CONFIG_E_UNKNOWN_KEY, "unknown key '%.*s'",
			    quote_len(n), k);
	if (x->set_on_line[*key] && !x->file)
		return fail(x, CONFIG_E_DUPLICATE, "duplicate key '%s'",
			    key_names[*key]);
	if (x->set_on_line[*key])
		return fail(x, CONFIG_E_DUPLICATE,
			    "duplicate key '%s' (first set on line %u)",
			    key_names[*key], x->set_on_line[*key]);
	x->set_on_line[*key] = x->line;
	return 0;
}

static int check_bytes(struct ctx *x, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == 0)
			return fail(x, CONFIG_E_BAD_BYTE, "NUL byte at column %zu",
				    i + 1);
		if (ch >= 0x80)
			return fail(x, CONFIG_E_BAD_BYTE,
				    "non-ASCII byte 0x%02x at column %zu", ch,
				    i + 1);
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return fail(x, CONFIG_E_BAD_BYTE,
				    "control character 0x%02x at column %zu", ch,
				    i + 1);
	}
	return 0;
}

/* One line of the file, without its line end. */
static int parse_line(struct nv_config *c, struct ctx *x, const char *p,
		      size_t n)
{
	size_t i = 0, eq, ks, ke, vs, ve;
	bool quoted = false;
	int key, r;

	r = check_bytes(x, p, n);
	if (r)
		return r;
	while (i < n && is_blank(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return 0;
	ks = i;
	for (eq = i; eq < n && p[eq] != '=' && p[eq] != '#'; eq++)
		;
	ke = eq;
	while (ke > ks && is_blank(p[ke - 1]))
		ke--;
	if (eq == n || p[eq] != '=')
		return fail(x, CONFIG_E_MISSING_EQUALS, "missing '=' after '%.*s'",
			    quote_len(ke - ks), p + ks);
	r = lookup_key(x, p + ks, ke - ks, &key);
	if (r)
		return r;

	vs = eq + 1;
	while (vs < n && is_blank(p[vs]))
		vs++;
	if (vs < n && p[vs] == '"') {
		quoted = true;
		for (ve = ++vs; ve < n && p[ve] != '"'; ve++)
			;
		if (ve == n)
			return fail(x, CONFIG_E_UNTERMINATED,
				    "unterminated quote in value of '%s'",
				    key_names[key]);
		for (i = ve + 1; i < n && is_blank(p[i]); i++)
			;
		if (i < n && p[i] != '#')
			return fail(x, CONFIG_E_AFTER_QUOTE,
				    "unexpected '%c' after the closing quote",
				    p[i]);
	} else {
		for (ve = vs; ve < n && p[ve] != '#'; ve++)
			;
		while (ve > vs && is_blank(p[ve - 1]))
			ve--;
	}
	return set_value(c, x, (enum key_id)key, p + vs, ve - vs, quoted);
}

void config_defaults(struct nv_config *c)
{
	for (size_t i = 0; i < sizeof(c->next); i++)
		c->next[i] = '\0';
	for (size_t i = 0; i < sizeof(c->args); i++)
		c->args[i] = '\0';
	c->log = LOG_INFO;
	c->memory = 32ULL << 20;
	c->serial = 0x3f8;
	c->debug_exit = NV_DEBUG_EXIT_AUTO;
	c->console = NV_CONSOLE_AUTO;
	c->log_ring = 64ULL << 10;
	c->nvctl = false;
	c->hide_s3 = false;
	c->cpus = CONFIG_CPUS_ALL;
}

int config_parse(struct nv_config *c, const char *text, size_t len,
		 const char *source_name, struct config_error *err)
{
	struct ctx x = { .source = source_name, .err = err, .file = true };
	struct nv_config tmp;
	size_t s = 0;

	copy_bytes(&tmp, c, sizeof(tmp));
	while (s < len) {
		size_t e = s, end;
		int r;

		while (e < len && text[e] != '\n')
			e++;
		end = e;
		if (end > s && text[end - 1] == '\r')
			end--;	/* CRLF (or a final CR) */
		x.line++;
		r = parse_line(&tmp, &x, text + s, end - s);
		if (r)
			return r;
		s = e + 1;
	}
	copy_bytes(c, &tmp, sizeof(tmp));
	return 0;
}

static bool ends_with_efi(const char *p, size_t n)
{
	static const char suffix[] = ".efi";

	if (n < 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		char ch = p[n - 4 + i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch != suffix[i])
			return false;
	}
	return true;
}

int config_parse_cmdline(struct nv_config *c, const char *line, size_t len,
			 struct config_error *err)
{
	struct ctx x = { .source = "load options", .line = 1, .err = err };
	struct nv_config tmp;
	bool first = true;
	size_t i = 0, n = 0;

	while (n < len && line[n])
		n++;
	copy_bytes(&tmp, c, sizeof(tmp));
	{
		int r = check_bytes(&x, line, n);

		if (r)
			return r;
	}
	for (;;) {
		size_t ks, ke, vs, ve;
		bool quoted = false;
		int key, r;

		while (i < n && is_blank(line[i]))
			i++;
		if (i == n)
			break;
		ks = i;
		while (i < n && !is_blank(line[i]) && line[i] != '=')
			i++;
		ke = i;
		if (i == n || line[i] != '=') {
			if (first && ends_with_efi(line + ks, ke - ks)) {
				first = false;
				continue;	/* argv[0] from the shell */
			}
			return fail(&x, CONFIG_E_MISSING_EQUALS,
				    "missing '=' in '%.*s'",
				    quote_len(ke - ks), line + ks);
		}
		first = false;
		r = lookup_key(&x, line + ks, ke - ks, &key);
		if (r)
			return r;
		vs = ++i;
		if (key == K_ARGS) {
			ve = n;
			while (ve > vs && is_blank(line[ve - 1]))
				ve--;
			/* An empty rest clears args: treat as "". */
			r = set_value(&tmp, &x, K_ARGS, line + vs, ve - vs,
				      true);
			if (r)
				return r;
			break;
		}
		if (vs < n && line[vs] == '"') {
			quoted = true;
			for (ve = ++vs; ve < n && line[ve] != '"'; ve++)
				;
			if (ve == n)
				return fail(&x, CONFIG_E_UNTERMINATED,
					    "unterminated quote in value of '%s'",
					    key_names[key]);
			i = ve + 1;
			if (i < n && !is_blank(line[i]))
				return fail(&x, CONFIG_E_AFTER_QUOTE,
					    "unexpected '%c' after the closing quote",
					    line[i]);
		} else {
			for (ve = vs; ve < n && !is_blank(line[ve]); ve++)
				;
			i = ve;
		}
		r = set_value(&tmp, &x, (enum key_id)key, line + vs, ve - vs,
			      quoted);
		if (r)
			return r;
	}
	copy_bytes(c, &tmp, sizeof(tmp));
	return 0;
}

int config_validate(const struct nv_config *c, struct config_error *err)
{
	struct ctx x = { .source = "config", .line = 0, .err = err };

	if (!c->next[0])
		return fail(&x, CONFIG_E_REQUIRED,
			    "'next' is not set (in nestvisor.cfg or the load options)");
	if (config_next_is_auto(c) && c->args[0])
		return fail(&x, CONFIG_E_ARGS_WITH_AUTO,
			    "'args' cannot be used with next = auto (the boot entry chosen brings its own load options)");
	return 0;
}

bool config_next_is_auto(const struct nv_config *c)
{
	size_t n = sizeof(CONFIG_NEXT_AUTO) - 1;

	return span_is(c->next, n, CONFIG_NEXT_AUTO) && c->next[n] == '\0';
}

int config_error_format(const struct config_error *e, char *buf, size_t size)
{
	if (e->line)
		return fmt_snprintf(buf, size, "%s:%u: %s", e->source, e->line,
				    e->msg);
	return fmt_snprintf(buf, size, "%s: %s", e->source, e->msg);
}

const char *config_console_name(enum nv_console console)
{
	if ((unsigned)console < sizeof(console_names) / sizeof(console_names[0]))
		return console_names[console];
	return "?";
}

const char *config_log_name(enum log_level level)
{
	if ((unsigned)level < sizeof(log_names) / sizeof(log_names[0]))
		return log_names[level];
	return "?";
}
