// SPDX-License-Identifier: MIT
/*
 * boot/config.c: every key, every error with its exact source and line, the
 * rule that a failed parse changes nothing, and load options overriding the
 * file.  Expectations come from the format described in boot/config.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "boot/config.h"
#include "core/err.h"

#define MiB (1ULL << 20)
#define CFG "nestvisor.cfg"

/* What a config function returns when it finds code (boot/config.h):
 * 0, -NV_ERANGE for a number out of range, -NV_EINVAL otherwise. */
static int rc_of(enum config_errc code)
{
	return code == CONFIG_OK ? 0 :
	       code == CONFIG_E_RANGE ? -NV_ERANGE : -NV_EINVAL;
}

static struct nv_config parse_file_ok(const char *text)
{
	struct nv_config c;
	struct config_error e;
	int r;

	config_defaults(&c);
	r = config_parse(&c, text, strlen(text), CFG, &e);
	if (r)
		fail_msg("unexpected error %d %s:%u: %s for [%s]", r, e.source,
			 e.line, e.msg, text);
	return c;
}

static struct nv_config parse_cmd_ok(const char *line)
{
	struct nv_config c;
	struct config_error e;
	int r;

	config_defaults(&c);
	r = config_parse_cmdline(&c, line, strlen(line), &e);
	if (r)
		fail_msg("unexpected error %d %s:%u: %s for [%s]", r, e.source,
			 e.line, e.msg, line);
	return c;
}

static void test_defaults(void **state)
{
	struct nv_config c;
	(void)state;
	memset(&c, 0xa5, sizeof(c));
	config_defaults(&c);
	assert_string_equal(c.next, "");
	assert_string_equal(c.args, "");
	assert_int_equal(c.log, LOG_INFO);
	assert_int_equal(c.memory, 32 * MiB);
	assert_int_equal(c.serial, 0x3f8);
	assert_int_equal(c.debug_exit, NV_DEBUG_EXIT_AUTO);
	assert_int_equal(c.console, NV_CONSOLE_AUTO);
	assert_int_equal(c.log_ring, 64 * 1024);
	assert_false(c.nvctl);
	assert_false(c.hide_s3);
	assert_int_equal(c.cpus, CONFIG_CPUS_ALL);
}

static void test_all_keys_file(void **state)
{
	struct nv_config c = parse_file_ok(
		"# nestvisor configuration\n"
		"\n"
		"next = \\EFI\\nestvisor\\next.efi\n"
		"   args=\"initrd=\\initrd.img console=ttyS0 # kept\"   # comment\n"
		"log\t=\tdebug   # trailing comment\n"
		"memory = 64M\n"
		"  # indented comment\n"
		"serial = 0x2f8\n"
		"debug_exit = on");	/* no final newline */
	(void)state;
	assert_string_equal(c.next, "\\EFI\\nestvisor\\next.efi");
	assert_string_equal(c.args, "initrd=\\initrd.img console=ttyS0 # kept");
	assert_int_equal(c.log, LOG_DEBUG);
	assert_int_equal(c.memory, 64 * MiB);
	assert_int_equal(c.serial, 0x2f8);
	assert_int_equal(c.debug_exit, NV_DEBUG_EXIT_ON);
}

static void test_crlf_and_blank(void **state)
{
	struct nv_config c = parse_file_ok("\r\n \t \r\nlog = warn\r\n"
					   "memory = 16M # x\r\n\r\n");
	(void)state;
	assert_int_equal(c.log, LOG_WARN);
	assert_int_equal(c.memory, 16 * MiB);
	c = parse_file_ok("");
	assert_int_equal(c.log, LOG_INFO);
}

static void test_log_and_debug_exit_words(void **state)
{
	static const struct { const char *v; enum log_level l; } logs[] = {
		{ "error", LOG_ERROR }, { "warn", LOG_WARN },
		{ "info", LOG_INFO }, { "debug", LOG_DEBUG },
		{ "trace", LOG_TRACE },
	};
	static const struct { const char *v; enum nv_debug_exit d; } dx[] = {
		{ "auto", NV_DEBUG_EXIT_AUTO }, { "on", NV_DEBUG_EXIT_ON },
		{ "off", NV_DEBUG_EXIT_OFF },
	};
	char text[64];
	(void)state;
	for (size_t i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "log = %s\n", logs[i].v);
		assert_int_equal(parse_file_ok(text).log, logs[i].l);
		snprintf(text, sizeof(text), "log=\"%s\"", logs[i].v);
		assert_int_equal(parse_file_ok(text).log, logs[i].l);
		assert_string_equal(config_log_name(logs[i].l), logs[i].v);
	}
	for (size_t i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "debug_exit = %s\n", dx[i].v);
		assert_int_equal(parse_file_ok(text).debug_exit, dx[i].d);
	}
	/* Start from a non-default value so "auto" is really parsed. */
	{
		struct nv_config c;

		config_defaults(&c);
		c.debug_exit = NV_DEBUG_EXIT_OFF;
		assert_int_equal(config_parse(&c, "debug_exit=auto", 15, CFG,
					      NULL), 0);
		assert_int_equal(c.debug_exit, NV_DEBUG_EXIT_AUTO);
	}
}

static void test_memory_values(void **state)
{
	static const struct { const char *v; uint64_t bytes; } ok[] = {
		{ "8M", 8 * MiB }, { "1G", 1024 * MiB }, { "1g", 1024 * MiB },
		{ "32m", 32 * MiB }, { "9M", 10 * MiB }, { "33M", 34 * MiB },
		{ "1023M", 1024 * MiB }, { "8388608", 8 * MiB },
		{ "8388609", 10 * MiB }, { "16384K", 16 * MiB },
		{ "16385k", 18 * MiB }, { "0x800000", 8 * MiB },
		{ "0x10M", 16 * MiB }, { "1073741824", 1024 * MiB },
		{ "\"64M\"", 64 * MiB },
	};
	char text[64];
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "memory = %s", ok[i].v);
		assert_int_equal(parse_file_ok(text).memory, ok[i].bytes);
	}
}

/* console, log_ring, nvctl and hide_s3 (boot/config.h: words, 4K..16M,
 * 4 KiB). */
static void test_console_ring_nvctl(void **state)
{
	static const struct { const char *v; uint64_t bytes; } ring[] = {
		{ "4K", 4096 }, { "4096", 4096 }, { "4097", 8192 },
		{ "64k", 65536 }, { "1M", MiB }, { "16M", 16 * MiB },
		{ "0x1000", 4096 }, { "16777216", 16 * MiB },
	};
	static const struct { const char *v; enum nv_console c; } con[] = {
		{ "auto", NV_CONSOLE_AUTO }, { "on", NV_CONSOLE_ON },
		{ "off", NV_CONSOLE_OFF },
	};
	static const struct { const char *text; const char *msg; } bad[] = {
		{ "log_ring = 4095", "log_ring '4095' out of range (4K..16M)" },
		{ "log_ring = 17M", "log_ring '17M' out of range (4K..16M)" },
		{ "log_ring = 0", "log_ring '0' out of range (4K..16M)" },
		{ "log_ring = 1G", "log_ring '1G' out of range (4K..16M)" },
		{ "log_ring = 64KB", "bad number '64KB' for 'log_ring'" },
		{ "console = yes",
		  "invalid value 'yes' for 'console' (auto|on|off)" },
		{ "nvctl = auto", "invalid value 'auto' for 'nvctl' (on|off)" },
		{ "nvctl = 1", "invalid value '1' for 'nvctl' (on|off)" },
		{ "hide_s3 = off",
		  "invalid value 'off' for 'hide_s3' (auto|on)" },
	};
	char text[64];
	struct nv_config c;
	struct config_error e;
	(void)state;
	for (size_t i = 0; i < sizeof(ring) / sizeof(ring[0]); i++) {
		snprintf(text, sizeof(text), "log_ring = %s", ring[i].v);
		assert_int_equal(parse_file_ok(text).log_ring, ring[i].bytes);
	}
	for (size_t i = 0; i < sizeof(con) / sizeof(con[0]); i++) {
		snprintf(text, sizeof(text), "console = %s", con[i].v);
		assert_int_equal(parse_file_ok(text).console, con[i].c);
		assert_string_equal(config_console_name(con[i].c), con[i].v);
	}
	assert_true(parse_file_ok("nvctl = on").nvctl);
	assert_false(parse_file_ok("nvctl = off").nvctl);
	assert_true(parse_file_ok("hide_s3 = on").hide_s3);
	assert_false(parse_file_ok("hide_s3 = auto").hide_s3);
	assert_true(parse_cmd_ok("hide_s3=on").hide_s3);
	c = parse_cmd_ok("nvctl=on console=off log_ring=8K");
	assert_true(c.nvctl);
	assert_int_equal(c.console, NV_CONSOLE_OFF);
	assert_int_equal(c.log_ring, 8192);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		assert_true(config_parse(&c, bad[i].text, strlen(bad[i].text),
					 CFG, &e) < 0);
		assert_string_equal(e.msg, bad[i].msg);
		assert_int_equal(e.line, 1);
	}
}

static void test_serial_values(void **state)
{
	static const struct { const char *v; unsigned port; } ok[] = {
		{ "0x3f8", 0x3f8 }, { "3F8", 0x3f8 }, { "0X2E8", 0x2e8 },
		{ "2e8", 0x2e8 }, { "none", 0 }, { "0x1", 1 },
		{ "fff8", 0xfff8 }, { "0x0000003f8", 0x3f8 },
	};
	char text[64];
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "serial = %s", ok[i].v);
		assert_int_equal(parse_file_ok(text).serial, ok[i].port);
	}
}

static void test_cpus_values(void **state)
{
	static const struct { const char *v; unsigned cpus; } ok[] = {
		{ "1", 1 }, { "4", 4 }, { "64", 64 }, { "all", CONFIG_CPUS_ALL },
		{ "007", 7 },
	};
	char text[64];
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "cpus = %s", ok[i].v);
		assert_int_equal(parse_file_ok(text).cpus, ok[i].cpus);
	}
	assert_int_equal(parse_cmd_ok("cpus=2").cpus, 2);
}

static void test_next_and_args_values(void **state)
{
	char text[2200], val[1100];
	struct nv_config c;
	(void)state;
	c = parse_file_ok("next = /EFI/linux/vmlinuz.efi");
	assert_string_equal(c.next, "\\EFI\\linux\\vmlinuz.efi");
	c = parse_file_ok("next = \"\\EFI\\my dir\\a#b.efi\" # c");
	assert_string_equal(c.next, "\\EFI\\my dir\\a#b.efi");
	/* 255 characters are accepted. */
	memset(val, 'n', 255);
	val[0] = '\\';
	val[255] = '\0';
	snprintf(text, sizeof(text), "next = %s\n", val);
	assert_string_equal(parse_file_ok(text).next, val);
	/* 1023 characters of args are accepted. */
	memset(val, 'a', 1023);
	val[1023] = '\0';
	snprintf(text, sizeof(text), "args = %s\n", val);
	assert_string_equal(parse_file_ok(text).args, val);
	c = parse_file_ok("args = a b\tc   # d");
	assert_string_equal(c.args, "a b\tc");
	/* "" clears args. */
	config_defaults(&c);
	assert_int_equal(config_parse(&c, "args = x", 8, CFG, NULL), 0);
	assert_int_equal(config_parse(&c, "args = \"\"", 9, CFG, NULL), 0);
	assert_string_equal(c.args, "");
}

struct err_case {
	const char *text;
	size_t len;		/* 0: strlen(text) */
	enum config_errc code;
	unsigned line;
	const char *msg;
};

static void check_file_error(const struct err_case *t)
{
	struct nv_config c, before;
	struct config_error e;
	size_t len = t->len ? t->len : strlen(t->text);
	int r;

	config_defaults(&c);
	/* Non-default starting values, to see that nothing changes. */
	strcpy(c.next, "\\old.efi");
	strcpy(c.args, "old args");
	c.log = LOG_TRACE;
	c.memory = 100 * MiB;
	c.serial = 0x2f8;
	c.debug_exit = NV_DEBUG_EXIT_OFF;
	memcpy(&before, &c, sizeof(c));
	memset(&e, 0, sizeof(e));
	r = config_parse(&c, t->text, len, CFG, &e);
	if (r != rc_of(t->code) || e.code != t->code || e.line != t->line ||
	    strcmp(e.msg, t->msg) || strcmp(e.source, CFG))
		fail_msg("[%s]: got %d %s:%u: %s, want %d line %u: %s",
			 t->text, r, e.source, e.line, e.msg, t->code, t->line,
			 t->msg);
	assert_memory_equal(&c, &before, sizeof(c));
	/* The same with err == NULL. */
	assert_int_equal(config_parse(&c, t->text, len, CFG, NULL),
			 rc_of(t->code));
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_file_errors(void **state)
{
	static char long_next[400], long_args[1200];
	const struct err_case cases[] = {
		{ "# 1\n\nlog = debug\n  # 4\nmemory=16M\n\nnxt = x\n", 0,
		  CONFIG_E_UNKNOWN_KEY, 7, "unknown key 'nxt'" },
		{ "Log = info", 0, CONFIG_E_UNKNOWN_KEY, 1, "unknown key 'Log'" },
		{ "ne xt = \\a", 0, CONFIG_E_UNKNOWN_KEY, 1,
		  "unknown key 'ne xt'" },
		{ "log=info\nnext \\EFI\\a.efi\n", 0, CONFIG_E_MISSING_EQUALS,
		  2, "missing '=' after 'next \\EFI\\a.efi'" },
		{ "\n\nlog # = info", 0, CONFIG_E_MISSING_EQUALS, 3,
		  "missing '=' after 'log'" },
		{ "\n = 5", 0, CONFIG_E_EMPTY_KEY, 2, "missing key before '='" },
		{ "log =", 0, CONFIG_E_EMPTY_VALUE, 1, "empty value for 'log'" },
		{ "\r\nlog =   # nothing\r\n", 0, CONFIG_E_EMPTY_VALUE, 2,
		  "empty value for 'log'" },
		{ "next = \"\"", 0, CONFIG_E_EMPTY_VALUE, 1,
		  "empty value for 'next'" },
		{ "memory = 32X", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number '32X' for 'memory'" },
		{ "memory = M", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number 'M' for 'memory'" },
		{ "memory = 0x", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number '0x' for 'memory'" },
		{ "memory = 32MB", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number '32MB' for 'memory'" },
		{ "memory = -8M", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number '-8M' for 'memory'" },
		{ "memory = 3 2M", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number '3 2M' for 'memory'" },
		{ "memory = 7M", 0, CONFIG_E_RANGE, 1,
		  "memory '7M' out of range (8M..1G)" },
		{ "memory = 8388607", 0, CONFIG_E_RANGE, 1,
		  "memory '8388607' out of range (8M..1G)" },
		{ "memory = 1025M", 0, CONFIG_E_RANGE, 1,
		  "memory '1025M' out of range (8M..1G)" },
		{ "memory = 1073741825", 0, CONFIG_E_RANGE, 1,
		  "memory '1073741825' out of range (8M..1G)" },
		{ "memory = 0", 0, CONFIG_E_RANGE, 1,
		  "memory '0' out of range (8M..1G)" },
		{ "memory = 2G", 0, CONFIG_E_RANGE, 1,
		  "memory '2G' out of range (8M..1G)" },
		{ "memory = 99999999999999999999999", 0, CONFIG_E_RANGE, 1,
		  "memory '99999999999999999999999' out of range (8M..1G)" },
		{ "memory = 17179869184G", 0, CONFIG_E_RANGE, 1,
		  "memory '17179869184G' out of range (8M..1G)" },
		{ "serial = com1", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number 'com1' for 'serial' (hex port or none)" },
		{ "serial = 0xg", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number '0xg' for 'serial' (hex port or none)" },
		{ "serial = 0x", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number '0x' for 'serial' (hex port or none)" },
		{ "serial = 0", 0, CONFIG_E_RANGE, 1,
		  "serial port '0' out of range (0x1..0xfff8)" },
		{ "serial = fff9", 0, CONFIG_E_RANGE, 1,
		  "serial port 'fff9' out of range (0x1..0xfff8)" },
		{ "serial = 0x10000", 0, CONFIG_E_RANGE, 1,
		  "serial port '0x10000' out of range (0x1..0xfff8)" },
		{ "serial = ffffffffffffffffffff", 0, CONFIG_E_RANGE, 1,
		  "serial port 'ffffffffffffffffffff' out of range (0x1..0xfff8)" },
		{ "cpus = 0", 0, CONFIG_E_RANGE, 1,
		  "cpus '0' out of range (1..64 or all)" },
		{ "cpus = 65", 0, CONFIG_E_RANGE, 1,
		  "cpus '65' out of range (1..64 or all)" },
		{ "cpus = two", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number 'two' for 'cpus' (a count or all)" },
		{ "cpus = -1", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number '-1' for 'cpus' (a count or all)" },
		{ "log = verbose", 0, CONFIG_E_BAD_VALUE, 1,
		  "invalid value 'verbose' for 'log' (error|warn|info|debug|trace)" },
		{ "log = INFO", 0, CONFIG_E_BAD_VALUE, 1,
		  "invalid value 'INFO' for 'log' (error|warn|info|debug|trace)" },
		{ "debug_exit = yes", 0, CONFIG_E_BAD_VALUE, 1,
		  "invalid value 'yes' for 'debug_exit' (auto|on|off)" },
		{ "log=info\n\nargs = \"abc # d\n", 0, CONFIG_E_UNTERMINATED, 3,
		  "unterminated quote in value of 'args'" },
		{ "args = \"abc\" def", 0, CONFIG_E_AFTER_QUOTE, 1,
		  "unexpected 'd' after the closing quote" },
		{ "next = \"\\a\"\"\\b\"", 0, CONFIG_E_AFTER_QUOTE, 1,
		  "unexpected '\"' after the closing quote" },
		{ long_next, 0, CONFIG_E_TOO_LONG, 2,
		  "value of 'next' too long (256 chars, at most 255)" },
		{ long_args, 0, CONFIG_E_TOO_LONG, 1,
		  "value of 'args' too long (1024 chars, at most 1023)" },
		{ "next = EFI\\a.efi", 0, CONFIG_E_BAD_PATH, 1,
		  "'next' must be auto or an absolute ESP path like \\EFI\\next.efi, not 'EFI\\a.efi'" },
		{ "next = AUTO", 0, CONFIG_E_BAD_PATH, 1,
		  "'next' must be auto or an absolute ESP path like \\EFI\\next.efi, not 'AUTO'" },
		{ "next = auto2", 0, CONFIG_E_BAD_PATH, 1,
		  "'next' must be auto or an absolute ESP path like \\EFI\\next.efi, not 'auto2'" },
		{ "# 1\nlog = info\n\n\nlog = warn\n", 0, CONFIG_E_DUPLICATE, 5,
		  "duplicate key 'log' (first set on line 2)" },
		{ "log = info\nnext = \\a\nlog = info\n", 0, CONFIG_E_DUPLICATE, 3,
		  "duplicate key 'log' (first set on line 1)" },
		{ "log = info\n# c\nlog\0= x\n", 22, CONFIG_E_BAD_BYTE, 3,
		  "NUL byte at column 4" },
		{ "\n\n\nnext = \\caf\xc3\xa9.efi\n", 0, CONFIG_E_BAD_BYTE, 4,
		  "non-ASCII byte 0xc3 at column 12" },
		{ "\xef\xbb\xbflog = info\n", 0, CONFIG_E_BAD_BYTE, 1,
		  "non-ASCII byte 0xef at column 1" },
		{ "log = info\nlog\x01 = x", 0, CONFIG_E_BAD_BYTE, 2,
		  "control character 0x01 at column 4" },
		{ "log = info\rmemory = 16M\n", 0, CONFIG_E_BAD_BYTE, 1,
		  "control character 0x0d at column 11" },
		{ "log = info\x7f", 0, CONFIG_E_BAD_BYTE, 1,
		  "control character 0x7f at column 11" },
	};
	(void)state;
	/* Line 2: next with 256 characters. */
	strcpy(long_next, "log = warn\nnext = \\");
	memset(long_next + strlen(long_next), 'x', 255);
	/* Line 1: args with 1024 characters. */
	strcpy(long_args, "args = ");
	memset(long_args + 7, 'y', 1024);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_file_error(&cases[i]);
}

static void test_error_format(void **state)
{
	struct nv_config c;
	struct config_error e;
	char buf[256];
	const char *text = "# nestvisor\n\nnext = \\a.efi\n\nlog = info\n\n"
			   "nxt = \\b.efi\n";
	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(&c, text, strlen(text), CFG, &e),
			 -NV_EINVAL);
	assert_int_equal(e.code, CONFIG_E_UNKNOWN_KEY);
	assert_int_equal(config_error_format(&e, buf, sizeof(buf)),
			 (int)strlen("nestvisor.cfg:7: unknown key 'nxt'"));
	assert_string_equal(buf, "nestvisor.cfg:7: unknown key 'nxt'");
	/* Truncation keeps the C99 return value. */
	assert_int_equal(config_error_format(&e, buf, 10), 34);
	assert_string_equal(buf, "nestvisor");
	/* A long source name is cut to fit source[64]. */
	assert_int_equal(config_parse(&c, "x=1", 3,
		"\\EFI\\a-very-long-directory-name\\another-long-name\\nestvisor.cfg",
		&e), -NV_EINVAL);
	assert_int_equal(e.code, CONFIG_E_UNKNOWN_KEY);
	assert_int_equal(strlen(e.source), 63);
}

static void test_validate(void **state)
{
	struct nv_config c;
	struct config_error e;
	char buf[256];
	(void)state;
	config_defaults(&c);
	assert_int_equal(config_validate(&c, &e), -NV_EINVAL);
	assert_int_equal(e.code, CONFIG_E_REQUIRED);
	assert_int_equal(e.line, 0);
	config_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "config: 'next' is not set (in nestvisor.cfg or the load options)");
	assert_int_equal(config_validate(&c, NULL), -NV_EINVAL);
	strcpy(c.next, "\\EFI\\next.efi");
	assert_int_equal(config_validate(&c, &e), 0);
}

/* next = auto: a word, not a path; no args with it (README, Options). */
static void test_next_auto(void **state)
{
	struct nv_config c;
	struct config_error e;
	char buf[256];
	const char *file = "next = \\EFI\\file.efi\nargs = a b\n";
	(void)state;

	c = parse_file_ok("next = auto\n");
	assert_string_equal(c.next, "auto");
	assert_true(config_next_is_auto(&c));
	assert_int_equal(config_validate(&c, &e), 0);
	c = parse_file_ok("next = \"auto\"   # quoted is the same\n");
	assert_true(config_next_is_auto(&c));
	c = parse_cmd_ok("next=auto");
	assert_true(config_next_is_auto(&c));

	/* a path is not auto, even one that ends in "auto" */
	c = parse_file_ok("next = \\auto\n");
	assert_false(config_next_is_auto(&c));
	config_defaults(&c);
	assert_false(config_next_is_auto(&c));

	/* the load options switch a file's path to auto; its args must go */
	config_defaults(&c);
	assert_int_equal(config_parse(&c, file, strlen(file), CFG, NULL), 0);
	assert_int_equal(config_parse_cmdline(&c, "next=auto", 9, NULL), 0);
	assert_int_equal(config_validate(&c, &e), -NV_EINVAL);
	assert_int_equal(e.code, CONFIG_E_ARGS_WITH_AUTO);
	config_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "config: 'args' cannot be used with next = auto "
			    "(the boot entry chosen brings its own load options)");
	assert_int_equal(config_parse_cmdline(&c, "args=", 5, NULL), 0);
	assert_int_equal(config_validate(&c, &e), 0);
}

static void test_cmdline_keys(void **state)
{
	struct nv_config c = parse_cmd_ok(
		"  next=\\EFI\\a.efi log=trace\tmemory=16M serial=none "
		"debug_exit=off args=initrd=\\initrd.img console=ttyS0 "
		"log=debug  root=\"/dev/vda 1\"   ");
	(void)state;
	assert_string_equal(c.next, "\\EFI\\a.efi");
	assert_int_equal(c.log, LOG_TRACE);
	assert_int_equal(c.memory, 16 * MiB);
	assert_int_equal(c.serial, 0);
	assert_int_equal(c.debug_exit, NV_DEBUG_EXIT_OFF);
	/* args: the rest verbatim, only trailing blanks removed. */
	assert_string_equal(c.args, "initrd=\\initrd.img console=ttyS0 "
				    "log=debug  root=\"/dev/vda 1\"");
	c = parse_cmd_ok("next=\"\\EFI\\my dir\\x.efi\" serial=2f8");
	assert_string_equal(c.next, "\\EFI\\my dir\\x.efi");
	assert_int_equal(c.serial, 0x2f8);
	c = parse_cmd_ok("");
	assert_int_equal(c.log, LOG_INFO);
	c = parse_cmd_ok("   \t ");
	assert_int_equal(c.memory, 32 * MiB);
}

static void test_cmdline_image_name_and_nul(void **state)
{
	struct nv_config c;
	(void)state;
	c = parse_cmd_ok("nestvisor.efi log=warn");
	assert_int_equal(c.log, LOG_WARN);
	c = parse_cmd_ok("FS0:\\EFI\\BOOT\\BOOTX64.EFI memory=64M");
	assert_int_equal(c.memory, 64 * MiB);
	/* The line ends at the first NUL (UEFI strings are terminated). */
	config_defaults(&c);
	assert_int_equal(config_parse_cmdline(&c, "log=warn\0log=x", 14, NULL),
			 0);
	assert_int_equal(c.log, LOG_WARN);
}

static void test_cmdline_overrides_file(void **state)
{
	struct nv_config c;
	const char *file = "next = \\EFI\\file.efi\nlog = debug\nargs = a b\n"
			   "memory = 64M\n";
	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(&c, file, strlen(file), CFG, NULL), 0);
	/* Not a duplicate: a later source overrides an earlier one. */
	assert_int_equal(config_parse_cmdline(&c, "log=error args=", 15, NULL),
			 0);
	assert_int_equal(c.log, LOG_ERROR);
	assert_string_equal(c.args, "");	/* empty rest clears */
	assert_string_equal(c.next, "\\EFI\\file.efi");
	assert_int_equal(c.memory, 64 * MiB);
}

static void test_cmdline_errors(void **state)
{
	static char long_args[1100];
	static const struct err_case cases[] = {
		{ "nxt=\\a.efi", 0, CONFIG_E_UNKNOWN_KEY, 1, "unknown key 'nxt'" },
		{ "log=warn foo", 0, CONFIG_E_MISSING_EQUALS, 1,
		  "missing '=' in 'foo'" },
		{ "foo log=warn", 0, CONFIG_E_MISSING_EQUALS, 1,
		  "missing '=' in 'foo'" },
		{ "log=warn nestvisor.efi", 0, CONFIG_E_MISSING_EQUALS, 1,
		  "missing '=' in 'nestvisor.efi'" },
		{ "=5", 0, CONFIG_E_EMPTY_KEY, 1, "missing key before '='" },
		{ "log= memory=16M", 0, CONFIG_E_EMPTY_VALUE, 1,
		  "empty value for 'log'" },
		{ "log=info log=warn", 0, CONFIG_E_DUPLICATE, 1,
		  "duplicate key 'log'" },
		{ "memory=12Q", 0, CONFIG_E_BAD_NUMBER, 1,
		  "bad number '12Q' for 'memory'" },
		{ "memory=4G", 0, CONFIG_E_RANGE, 1,
		  "memory '4G' out of range (8M..1G)" },
		{ "debug_exit=maybe", 0, CONFIG_E_BAD_VALUE, 1,
		  "invalid value 'maybe' for 'debug_exit' (auto|on|off)" },
		{ "next=\"\\a b", 0, CONFIG_E_UNTERMINATED, 1,
		  "unterminated quote in value of 'next'" },
		{ "next=\"\\a\"b", 0, CONFIG_E_AFTER_QUOTE, 1,
		  "unexpected 'b' after the closing quote" },
		{ "next=a.efi", 0, CONFIG_E_BAD_PATH, 1,
		  "'next' must be auto or an absolute ESP path like \\EFI\\next.efi, not 'a.efi'" },
		{ "log=warn args=caf\xc3\xa9", 0, CONFIG_E_BAD_BYTE, 1,
		  "non-ASCII byte 0xc3 at column 18" },
		{ "log=warn\nmemory=16M", 0, CONFIG_E_BAD_BYTE, 1,
		  "control character 0x0a at column 9" },
		{ long_args, 0, CONFIG_E_TOO_LONG, 1,
		  "value of 'args' too long (1024 chars, at most 1023)" },
	};
	(void)state;
	strcpy(long_args, "args=");
	memset(long_args + 5, 'z', 1024);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct err_case *t = &cases[i];
		struct nv_config c, before;
		struct config_error e;
		int r;

		config_defaults(&c);
		c.log = LOG_TRACE;
		strcpy(c.args, "keep");
		memcpy(&before, &c, sizeof(c));
		memset(&e, 0, sizeof(e));
		r = config_parse_cmdline(&c, t->text, strlen(t->text), &e);
		if (r != rc_of(t->code) || e.code != t->code || e.line != 1 ||
		    strcmp(e.msg, t->msg) ||
		    strcmp(e.source, "load options"))
			fail_msg("[%s]: got %d %s:%u: %s, want %d: %s",
				 t->text, r, e.source, e.line, e.msg, t->code,
				 t->msg);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys_file),
		cmocka_unit_test(test_crlf_and_blank),
		cmocka_unit_test(test_log_and_debug_exit_words),
		cmocka_unit_test(test_memory_values),
		cmocka_unit_test(test_serial_values),
		cmocka_unit_test(test_cpus_values),
		cmocka_unit_test(test_console_ring_nvctl),
		cmocka_unit_test(test_next_and_args_values),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_next_auto),
		cmocka_unit_test(test_cmdline_keys),
		cmocka_unit_test(test_cmdline_image_name_and_nul),
		cmocka_unit_test(test_cmdline_overrides_file),
		cmocka_unit_test(test_cmdline_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
