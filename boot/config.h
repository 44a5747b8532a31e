/* SPDX-License-Identifier: MIT */
/*
 * nestvisor's configuration: defaults, then the file nestvisor.cfg beside
 * the image on the ESP, then the image's load options (command line), each
 * overriding the one before.
 *
 * File format, one setting per line:
 *	# a comment
 *	key = value		# trailing comment
 *	args = "console=ttyS0 # not a comment"
 * Leading/trailing blanks (space, tab) are trimmed around key and value,
 * lines end in LF or CRLF, blank lines are ignored.  A value may be quoted
 * with "..." to keep blanks and '#'; there are no escapes, and only blanks
 * or a comment may follow the closing quote.  Only printable ASCII and tab
 * are allowed (no NUL, no byte >= 0x80, no other control character).
 * Setting a key twice in one source is an error.
 *
 * Load options: the same keys as blank-separated key=value tokens (a value
 * may be "quoted"); "args=" takes the rest of the line verbatim (trailing
 * blanks removed; an empty rest clears args), so a Linux command line can
 * follow it.  A first token without '=' ending in ".efi" is the image name
 * that the UEFI shell passes as argv[0] and is skipped.  The line ends at
 * len or at the first NUL, whichever comes first.
 *
 * Keys:
 *	next		ESP path of the next stage to chain-load, "\EFI\x.efi";
 *			1..255 chars, must start with '\' ('/' is turned
 *			into '\'); nestvisor's own volume is searched first,
 *			then the others.  Or "auto": what the firmware would
 *			boot without nestvisor (boot/next.c).  No default:
 *			config_validate() requires it.
 *	args		load options for the next stage, at most 1023 chars
 *			(default empty); not allowed with next = auto.
 *	log		error|warn|info|debug|trace (default info).
 *	memory		hypervisor memory: decimal or 0x-hex number with an
 *			optional K, M or G suffix (either case); 8M..1G,
 *			rounded up to a multiple of 2 MiB (default 32M).
 *	serial		COM port base in hex (0x prefix optional),
 *			0x1..0xfff8, or "none" (stored as 0) (default 0x3f8).
 *	debug_exit	auto|on|off: end runs through QEMU's isa-debug-exit
 *			port 0xf4 (default auto).
 *	console		auto|on|off: nestvisor's lines also on the UEFI
 *			console until the next stage starts; auto = the
 *			consoles that are not serial terminals while serial
 *			is on, all of them when serial = none (default auto).
 *	log_ring	size of the log ring in hypervisor memory, a number
 *			with an optional K or M suffix as for memory;
 *			4K..16M, rounded up to a multiple of 4 KiB
 *			(default 64K).
 *	nvctl		on|off: L1's CPL 3 may make the read-only nvctl
 *			hypercalls (default off; docs/hypercalls.md).
 *	cpus		how many CPUs to virtualize, the boot CPU included:
 *			1..64 or "all" (default all); the others are
 *			parked (docs/architecture.md, "Every CPU").
 *	hide_s3		auto|on: hide \_S3 from the OS (boot/acpi_s3.c)
 *			where nestvisor cannot watch an S3 request (auto),
 *			or always (on); default auto (docs/security.md).
 *
 * Every function that can fail returns 0, -NV_ERANGE for a number out of
 * range or -NV_EINVAL for anything else wrong (core/err.h), and fills *err
 * (if err is non-NULL) with what was wrong (enum config_errc), the source,
 * the 1-based line (always 1 for load options, 0 for config_validate) and a
 * message; on failure *c is left exactly as it was.  The code is
 * freestanding (no libc).
 */
#ifndef NV_BOOT_CONFIG_H
#define NV_BOOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"

#define CONFIG_NEXT_MAX 255
#define CONFIG_ARGS_MAX 1023
#define CONFIG_MEMORY_MIN (8ULL << 20)
#define CONFIG_MEMORY_MAX (1ULL << 30)
#define CONFIG_MEMORY_ALIGN (2ULL << 20)
#define CONFIG_SERIAL_NONE 0
#define CONFIG_LOG_RING_MIN (4ULL << 10)
#define CONFIG_LOG_RING_MAX (16ULL << 20)
#define CONFIG_CPUS_ALL 0
#define CONFIG_CPUS_MAX 64
#define CONFIG_NEXT_AUTO "auto"		/* next's value for next = auto */

enum nv_debug_exit { NV_DEBUG_EXIT_AUTO, NV_DEBUG_EXIT_ON, NV_DEBUG_EXIT_OFF };
enum nv_console { NV_CONSOLE_AUTO, NV_CONSOLE_ON, NV_CONSOLE_OFF };

struct nv_config {
	char next[CONFIG_NEXT_MAX + 1];		/* NUL-terminated */
	char args[CONFIG_ARGS_MAX + 1];		/* NUL-terminated */
	enum log_level log;
	uint64_t memory;			/* bytes, 2 MiB multiple */
	uint16_t serial;			/* I/O port, 0 = none */
	enum nv_debug_exit debug_exit;
	enum nv_console console;
	uint64_t log_ring;			/* bytes, 4 KiB multiple */
	bool nvctl;
	bool hide_s3;				/* hide_s3 = on */
	unsigned cpus;				/* 0 (CONFIG_CPUS_ALL) or 1..64 */
};

/* What was wrong (struct config_error.code). */
enum config_errc {
	CONFIG_OK = 0,
	CONFIG_E_UNKNOWN_KEY,
	CONFIG_E_MISSING_EQUALS,
	CONFIG_E_EMPTY_KEY,
	CONFIG_E_EMPTY_VALUE,
	CONFIG_E_BAD_NUMBER,
	CONFIG_E_RANGE,			/* the function returns -NV_ERANGE */
	CONFIG_E_BAD_VALUE,		/* not one of the allowed words */
	CONFIG_E_UNTERMINATED,		/* unterminated quote */
	CONFIG_E_AFTER_QUOTE,		/* text after the closing quote */
	CONFIG_E_TOO_LONG,
	CONFIG_E_DUPLICATE,
	CONFIG_E_BAD_BYTE,		/* NUL, non-ASCII or control byte */
	CONFIG_E_BAD_PATH,		/* next does not start with '\' */
	CONFIG_E_REQUIRED,		/* config_validate: next not set */
	CONFIG_E_ARGS_WITH_AUTO,	/* config_validate: args with auto */
};

struct config_error {
	enum config_errc code;
	char source[64];	/* "nestvisor.cfg", "load options", ... */
	unsigned line;		/* 1-based; 0 when not about one line */
	char msg[160];		/* "unknown key 'nxt'" */
};

/* Fill *c with the defaults listed above. */
void config_defaults(struct nv_config *c);

/* Apply a configuration file's text (len bytes, need not be terminated). */
int config_parse(struct nv_config *c, const char *text, size_t len,
		 const char *source_name, struct config_error *err);

/* Apply the image's load options, converted to ASCII by the caller. */
int config_parse_cmdline(struct nv_config *c, const char *line, size_t len,
			 struct config_error *err);

/* Check the final configuration (next must be set; no args with auto). */
int config_validate(const struct nv_config *c, struct config_error *err);

/* next = auto (c->next holds "auto", which no path can be). */
bool config_next_is_auto(const struct nv_config *c);

/*
 * Format *e as "source:line: msg" ("source: msg" when line is 0) into buf;
 * returns the length as fmt_snprintf does.
 */
int config_error_format(const struct config_error *e, char *buf, size_t size);

/* "error", "warn", ... for a level; "?" for an invalid one. */
const char *config_log_name(enum log_level level);

/* "auto", "on" or "off" for a console setting; "?" for an invalid one. */
const char *config_console_name(enum nv_console console);

#endif
