// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the configuration parser (boot/config.c) on any bytes, as
 * nestvisor.cfg text and as load options.  The first byte picks which (and
 * the initial configuration); the rest is the text.
 *
 * Invariants (the format is boot/config.h's comment):
 *  - nothing crashes or reads outside the text (ASan, UBSan);
 *  - a failed parse returns -NV_ERANGE for a number out of range and
 *    -NV_EINVAL otherwise, says what was wrong with a parse error code, and
 *    leaves the configuration byte for byte as it was;
 *  - a file error names the source and a line that exists; the lines before
 *    it parse, and that line alone fails with the same code (a duplicate key
 *    instead names an earlier line); load-option errors are on line 1;
 *  - a successful parse leaves every field within its documented range
 *    (next empty, "auto" or an absolute path), and
 *    writing the result back as a file and parsing that gives the same
 *    configuration;
 *  - load options end at the first NUL.
 */
#include <stdio.h>
#include <string.h>

#include "boot/config.h"
#include "core/err.h"
#include "fuzz.h"

#define SOURCE "nestvisor.cfg"

static void check_ranges(const struct nv_config *c)
{
	size_t nl = strnlen(c->next, sizeof(c->next));
	size_t al = strnlen(c->args, sizeof(c->args));

	FUZZ_CHECK(nl < sizeof(c->next), "next not terminated");
	FUZZ_CHECK(al < sizeof(c->args), "args not terminated");
	FUZZ_CHECK(!nl || c->next[0] == '\\' || config_next_is_auto(c),
		   "next '%s' neither auto nor absolute", c->next);
	FUZZ_CHECK(!strchr(c->next, '/'), "next '%s' keeps a '/'", c->next);
	for (size_t i = 0; i < nl; i++)
		FUZZ_CHECK((c->next[i] >= 0x20 && c->next[i] < 0x7f) ||
			   c->next[i] == '\t', "byte 0x%02x in next",
			   (unsigned char)c->next[i]);
	for (size_t i = 0; i < al; i++)
		FUZZ_CHECK((c->args[i] >= 0x20 && c->args[i] < 0x7f) ||
			   c->args[i] == '\t', "byte 0x%02x in args",
			   (unsigned char)c->args[i]);
	FUZZ_CHECK((unsigned)c->log <= LOG_TRACE, "log %d", c->log);
	FUZZ_CHECK(c->memory >= (8ull << 20) && c->memory <= (1ull << 30) &&
		   c->memory % (2ull << 20) == 0, "memory 0x%llx",
		   (unsigned long long)c->memory);
	FUZZ_CHECK(c->serial <= 0xfff8, "serial 0x%x", c->serial);
	FUZZ_CHECK((unsigned)c->debug_exit <= NV_DEBUG_EXIT_OFF,
		   "debug_exit %d", c->debug_exit);
}

/* A parse error: the return value and the code agree (config.h). */
static void check_error_code(int r, const struct config_error *e)
{
	FUZZ_CHECK(e->code >= CONFIG_E_UNKNOWN_KEY && e->code <= CONFIG_E_BAD_PATH,
		   "parse error code %d", e->code);
	FUZZ_CHECK(r == (e->code == CONFIG_E_RANGE ? -NV_ERANGE : -NV_EINVAL),
		   "returned %d for error code %d", r, e->code);
}

static void check_message(const struct config_error *e, const char *source,
			  unsigned line)
{
	char want[96], got[400];

	FUZZ_CHECK(memchr(e->msg, 0, sizeof(e->msg)) && e->msg[0],
		   "empty or unterminated message");
	FUZZ_CHECK(!strcmp(e->source, source), "source '%s'", e->source);
	FUZZ_CHECK(e->line == line, "error on line %u, expected %u", e->line,
		   line);
	snprintf(want, sizeof(want), "%s:%u: ", source, line);
	config_error_format(e, got, sizeof(got));
	FUZZ_CHECK(!strncmp(got, want, strlen(want)), "formatted as '%s'", got);
}

static unsigned count_lines(const char *t, size_t n)
{
	unsigned lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += t[i] == '\n';
	return lines + (n && t[n - 1] != '\n');
}

/* Offset of the first byte of 1-based line `line`. */
static size_t line_start(const char *t, size_t n, unsigned line)
{
	size_t i = 0;

	for (unsigned l = 1; l < line && i < n; i++)
		l += t[i] == '\n';
	return i;
}

/* Append "key = value" for a string, quoted when that keeps it as it is. */
static bool put_string(char *out, size_t size, const char *key,
		       const char *v)
{
	size_t len = strlen(out);

	if (!strchr(v, '"')) {
		snprintf(out + len, size - len, "%s = \"%s\"\n", key, v);
		return true;
	}
	if (strchr(v, '#') || !v[0] || v[0] == ' ' || v[0] == '\t' ||
	    v[strlen(v) - 1] == ' ' || v[strlen(v) - 1] == '\t' || v[0] == '"')
		return false;
	snprintf(out + len, size - len, "%s = %s\n", key, v);
	return true;
}

/* The configuration written as a file and parsed again is the same. */
static void check_round_trip(const struct nv_config *c)
{
	static const char *const logs[] = { "error", "warn", "info", "debug",
					    "trace" };
	static const char *const exits[] = { "auto", "on", "off" };
	static char text[4096];
	char serial[8] = "none";
	struct nv_config d;
	struct config_error e;
	size_t len;
	int r;

	text[0] = 0;
	if (c->next[0] && !put_string(text, sizeof(text), "next", c->next))
		return;
	if (!put_string(text, sizeof(text), "args", c->args))
		return;
	if (c->serial)
		snprintf(serial, sizeof(serial), "0x%x", c->serial);
	len = strlen(text);
	snprintf(text + len, sizeof(text) - len,
		 "log = %s\nmemory = %llu\nserial = %s\ndebug_exit = %s\n",
		 logs[c->log], (unsigned long long)c->memory, serial,
		 exits[c->debug_exit]);
	config_defaults(&d);
	r = config_parse(&d, text, strlen(text), SOURCE, &e);
	FUZZ_CHECK(r == 0, "round trip failed: %s:%u: %s in [%s]", e.source,
		   e.line, e.msg, text);
	FUZZ_CHECK(!strcmp(d.next, c->next) && !strcmp(d.args, c->args) &&
		   d.log == c->log && d.memory == c->memory &&
		   d.serial == c->serial && d.debug_exit == c->debug_exit,
		   "round trip changed the configuration: [%s]", text);
}

static void fuzz_file(const struct nv_config *init, const char *t, size_t n)
{
	struct nv_config c = *init, c2;
	struct config_error e, e2;
	unsigned lines = count_lines(t, n);
	size_t s, end;
	int r, r2;

	r = config_parse(&c, t, n, SOURCE, &e);
	if (!r) {
		check_ranges(&c);
		check_round_trip(&c);
		return;
	}
	check_error_code(r, &e);
	FUZZ_CHECK(!memcmp(&c, init, sizeof(c)), "failed parse changed *c");
	FUZZ_CHECK(e.line >= 1 && e.line <= lines, "line %u of %u", e.line,
		   lines);
	check_message(&e, SOURCE, e.line);

	/* Everything before the line named parses. */
	s = line_start(t, n, e.line);
	c2 = *init;
	r2 = config_parse(&c2, t, s, SOURCE, &e2);
	FUZZ_CHECK(r2 == 0, "the %u lines before the error fail (%d): %s:%u: %s",
		   e.line - 1, r2, e2.source, e2.line, e2.msg);

	/* That line alone fails in the same way. */
	for (end = s; end < n && t[end] != '\n'; end++)
		;
	c2 = *init;
	r2 = config_parse(&c2, t + s, end - s, SOURCE, &e2);
	if (e.code == CONFIG_E_DUPLICATE) {
		const char *p = strstr(e.msg, "first set on line ");
		unsigned first;

		FUZZ_CHECK(p && sscanf(p, "first set on line %u", &first) == 1 &&
			   first >= 1 && first < e.line,
			   "duplicate on line %u: '%s'", e.line, e.msg);
		return;
	}
	FUZZ_CHECK(r2 == r && e2.code == e.code, "line %u fails with %d in the "
		   "file, %d alone", e.line, e.code, r2 ? (int)e2.code : 0);
	FUZZ_CHECK(e2.line == 1, "a one-line file errs on line %u", e2.line);
}

static void fuzz_cmdline(const struct nv_config *init, const char *t, size_t n)
{
	struct nv_config c = *init, c2 = *init;
	struct config_error e, e2;
	int r, r2;

	r = config_parse_cmdline(&c, t, n, &e);
	/* The line ends at the first NUL. */
	r2 = config_parse_cmdline(&c2, t, strnlen(t, n), &e2);
	FUZZ_CHECK(r == r2 && !memcmp(&c, &c2, sizeof(c)),
		   "text after a NUL changed the outcome (%d, %d)", r, r2);
	if (!r) {
		check_ranges(&c);
		check_round_trip(&c);
		return;
	}
	check_error_code(r, &e);
	FUZZ_CHECK(!memcmp(&c, init, sizeof(c)), "failed parse changed *c");
	check_message(&e, "load options", 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nv_config init;
	struct config_error e;
	const char *t;
	uint8_t mode;

	if (!size)
		return 0;
	mode = data[0];
	t = (const char *)data + 1;
	size--;

	config_defaults(&init);
	if (mode & 4) {	/* start from a non-default configuration */
		static const char pre[] = "next=\\EFI\\a.efi log=trace "
					  "memory=0x800000 serial=none debug_exit=off";

		FUZZ_CHECK(!config_parse_cmdline(&init, pre, sizeof(pre), &e),
			   "%s", e.msg);
	}
	if (mode & 1)
		fuzz_file(&init, t, size);
	if (mode & 2)
		fuzz_cmdline(&init, t, size);
	if (!(mode & 3)) {	/* next required; no args with next = auto */
		bool ok = init.next[0] && !(config_next_is_auto(&init) && init.args[0]);

		FUZZ_CHECK(!config_validate(&init, &e) == ok,
			   "validate disagrees with next and args");
	}
	return 0;
}
