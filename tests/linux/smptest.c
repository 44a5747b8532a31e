// SPDX-License-Identifier: MIT
/*
 * smptest: every CPU of L1 Linux under nestvisor, checked from user space
 * with CPUID on each CPU in turn (sched_setaffinity to one CPU, then the
 * instruction).  Expected values come from docs/hypercalls.md (the vendor
 * leaves) and the CPU's own CPUID leaf 1, never from nestvisor's log.
 *
 *   smptest cpus [N]   every online CPU: CPUID 0x40000000 answers
 *                      "NestVisor\0\0\0"; leaf 0x40000001 ECX (the APIC ID
 *                      nestvisor knows this CPU by) equals CPUID.1:EBX[31:24]
 *                      (the CPU's own initial APIC ID); with N, exactly N
 *                      CPUs online and EBX (CPUs under nestvisor) = N.
 *   smptest poke MIB   find the reserved range of MIB MiB in the firmware
 *                      memory map (/sys/firmware/memmap: nestvisor's region
 *                      is EfiReservedMemoryType), then on every CPU write a
 *                      word into every page of it through /dev/mem and read
 *                      it back; afterwards, on every CPU, leaf 0x40000001
 *                      EDX bit 0 must say the canary inside it is intact.
 * Lines start with "smptest: "; the last is "SMPTEST-OK <what>" or
 * "SMPTEST-FAIL: <why>" (exit status 0 or 1).  Output is flushed before
 * each pass so that nestvisor's own log lines (other CPUs, same serial
 * port) cannot land inside a line.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#define NV_SIG "NestVisor\0\0\0"

struct regs {
	uint32_t a, b, c, d;
};

static struct regs cpuid(uint32_t leaf)
{
	struct regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
			 : "a"(leaf), "c"(0));
	return r;
}

static void drain(void)
{
	fflush(stdout);
	tcdrain(1);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	printf("SMPTEST-FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	drain();
	exit(1);
}

/* The online CPUs, from /sys/devices/system/cpu/cpuN/online (cpu0 has
 * none: always online). */
static int online_cpus(int *cpu, int max)
{
	int n = 0;

	for (int c = 0; c < 1024 && n < max; c++) {
		char path[80], v = '1';
		FILE *f;

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", c);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", c);
		f = fopen(path, "r");
		if (f) {
			if (fread(&v, 1, 1, f) != 1)
				v = '0';
			fclose(f);
		}
		if (v == '1')
			cpu[n++] = c;
	}
	return n;
}

static void pin(int c)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(c, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail("sched_setaffinity to CPU %d: %s", c, strerror(errno));
	sched_yield();
	if (sched_getcpu() != c)
		fail("pinned to CPU %d but running on %d", c, sched_getcpu());
}

/* On CPU c: the signature, and the APIC ID nestvisor has for this CPU. */
static uint32_t check_cpu(int c, uint32_t *nr_under)
{
	struct regs sig, ver, one;
	char s[13];

	pin(c);
	sig = cpuid(0x40000000);
	ver = cpuid(0x40000001);
	one = cpuid(1);
	memcpy(s, &sig.b, 4);
	memcpy(s + 4, &sig.c, 4);
	memcpy(s + 8, &sig.d, 4);
	s[12] = 0;
	if (memcmp(s, NV_SIG, 12))
		fail("CPU %d: CPUID 0x40000000 does not say NestVisor", c);
	if (ver.c != one.b >> 24)
		fail("CPU %d: nestvisor's APIC ID %u, the CPU's own %u", c,
		     ver.c, one.b >> 24);
	*nr_under = ver.b;
	printf("smptest: cpu %d: CPUID 0x40000000 says NestVisor, APIC ID %u, "
	       "%u CPUs under nestvisor\n", c, ver.c, ver.b);
	return ver.d;
}

static int do_cpus(int want)
{
	int cpu[256], n = online_cpus(cpu, 256);
	uint32_t under = 0;

	drain();
	if (want && n != want)
		fail("%d CPUs online, expected %d", n, want);
	for (int i = 0; i < n; i++) {
		check_cpu(cpu[i], &under);
		if (want && under != (uint32_t)want)
			fail("CPU %d: %u CPUs under nestvisor, expected %d",
			     cpu[i], under, want);
	}
	printf("SMPTEST-OK cpus: all %d online CPUs report nestvisor\n", n);
	drain();
	return 0;
}

static uint64_t read_hex(const char *dir, const char *name)
{
	char path[300], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		fail("cannot read %s", path);
	fclose(f);
	return strtoull(buf, NULL, 16);
}

/* The start of the one reserved range of size bytes. */
static uint64_t find_region(uint64_t size)
{
	const char *top = "/sys/firmware/memmap";
	uint64_t found = 0;
	unsigned matches = 0;
	struct dirent *e;
	DIR *d = opendir(top);

	if (!d)
		fail("no %s", top);
	while ((e = readdir(d))) {
		char dir[300], path[320], type[64] = "";
		uint64_t start, end;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", top, e->d_name);
		snprintf(path, sizeof(path), "%s/type", dir);
		f = fopen(path, "r");
		if (!f || !fgets(type, sizeof(type), f)) {
			if (f)
				fclose(f);
			continue;
		}
		fclose(f);
		if (strncmp(type, "Reserved", 8))
			continue;
		start = read_hex(dir, "start");
		end = read_hex(dir, "end");
		if (end - start + 1 == size) {
			found = start;
			matches++;
		}
	}
	closedir(d);
	if (matches != 1)
		fail("%u reserved ranges of %llu MiB in %s, expected 1", matches,
		     (unsigned long long)(size >> 20), top);
	return found;
}

static int do_poke(unsigned mib)
{
	uint64_t size = (uint64_t)mib << 20, base = find_region(size);
	int cpu[256], n = online_cpus(cpu, 256);
	uint32_t under;
	int fd;

	printf("smptest: reserved range of %u MiB at %#llx: writing every page "
	       "from each of %d CPUs\n", mib, (unsigned long long)base, n);
	drain();
	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0)
		fail("open /dev/mem: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		volatile uint32_t *p;
		uint32_t pat = 0x5a5a0000u | (uint32_t)cpu[i];
		void *m;

		pin(cpu[i]);
		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 (off_t)base);
		p = m;
		if (m == MAP_FAILED)
			fail("CPU %d: mmap of /dev/mem at %#llx: %s", cpu[i],
			     (unsigned long long)base, strerror(errno));
		for (uint64_t off = 0; off < size; off += 4096)
			p[off / 4] = p[off / 4 + 512] = pat;
		/* What a write there leaves: docs/architecture.md says L1
		 * reads back what it last wrote anywhere in the region. */
		for (uint64_t off = 0; off < size; off += 4096)
			if (p[off / 4] != pat)
				fail("CPU %d: page %#llx reads %#x after writing "
				     "%#x", cpu[i],
				     (unsigned long long)(base + off),
				     p[off / 4], pat);
		munmap(m, size);
	}
	close(fd);
	for (int i = 0; i < n; i++)
		if (!(check_cpu(cpu[i], &under) & 1))
			fail("CPU %d: CPUID 0x40000001 EDX says the canary is "
			     "not intact", cpu[i]);
	printf("SMPTEST-OK poke: every CPU wrote the region, the canary is "
	       "intact on all %d\n", n);
	drain();
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "cpus"))
		return do_cpus(argc == 3 ? atoi(argv[2]) : 0);
	if (argc == 3 && !strcmp(argv[1], "poke"))
		return do_poke((unsigned)atoi(argv[2]));
	fail("usage: smptest cpus [N] | smptest poke MIB");
}
