// SPDX-License-Identifier: MIT
/*
 * hvcheck: /bin/hvcheck in the test initramfs (mkinitramfs.sh).  Prints,
 * from inside Linux, what CPUID says about a hypervisor:
 *	linux-l1: CPUID.1:ECX[31] (hypervisor) is 1
 *	linux-l1: CPUID 0x40000000: max leaf 0x40000001, signature "NestVisor..."
 * The signature is EBX:ECX:EDX as 12 characters, each byte outside
 * printable ASCII shown as '.', so nestvisor's "NestVisor\0\0\0"
 * (docs/hypercalls.md) reads "NestVisor...".  Nothing here knows
 * nestvisor's values: the tests compare the line with the documented ABI.
 *
 * No libc (the plain initramfs has none): a freestanding static program
 * with its own _start and the write and exit_group system calls.
 */
#include <stdint.h>

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

static char line[128];
static unsigned len;

static void put(const char *s)
{
	while (*s && len < sizeof(line) - 1)
		line[len++] = *s++;
}

static void put_hex(uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	char buf[11] = "0x";

	for (int i = 0; i < 8; i++)
		buf[2 + i] = digits[(v >> (28 - 4 * i)) & 0xf];
	buf[10] = '\0';
	put(buf);
}

static void flush(void)
{
	line[len++] = '\n';
	sys3(1 /* write */, 1, (long)line, len);
	len = 0;
}

void _start(void) __attribute__((noreturn));
void _start(void)
{
	uint32_t r[4];
	char sig[13];

	cpuid(1, r);
	put("linux-l1: CPUID.1:ECX[31] (hypervisor) is ");
	put((r[2] >> 31) & 1 ? "1" : "0");
	flush();

	cpuid(0x40000000, r);
	for (int i = 0; i < 12; i++) {
		uint32_t word = r[1 + i / 4];
		char ch = (char)(word >> (8 * (i % 4)));

		sig[i] = ch >= 0x20 && ch <= 0x7e && ch != '"' ? ch : '.';
	}
	sig[12] = '\0';
	put("linux-l1: CPUID 0x40000000: max leaf ");
	put_hex(r[0]);
	put(", signature \"");
	put(sig);
	put("\"");
	flush();
	sys3(231 /* exit_group */, 0, 0, 0);
	for (;;)
		;
}
