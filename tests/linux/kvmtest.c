// SPDX-License-Identifier: MIT
/*
 * kvmtest: a guest hypervisor's user program.  Run inside Linux (L1), it
 * uses the KVM API (/dev/kvm) to start a small VM (L2) and checks, exit by
 * exit, what that VM does.
 *
 * The VM has KT_MEM_SIZE bytes of memory at guest-physical 0, one vCPU in
 * 32-bit protected mode with paging off and flat segments, and the code of
 * kvmtest-guest.S at KT_CODE_GPA.  The expected I/O conversation is the
 * one described in kvmtest.h: kvmtest accepts exactly that sequence of
 * KVM_EXIT_IO exits (port, direction, size, count and value each checked),
 * then KVM_EXIT_HLT with RIP just past the HLT.  Between the two passes
 * it changes one guest word through its own mapping, and the guest must
 * report exactly that word as its only mismatch: L1's writes reach L2.
 * After the run it checks all 16 MiB through its mapping: L2's writes
 * reach L1.
 *
 * Output: "kvmtest: ..." lines, then KVMTEST-OK (exit 0) or
 * "KVMTEST-FAIL: <reason>" (exit 1).  Option: --timeout SECONDS (default
 * 600) for the whole run; a stuck guest fails with its registers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvmtest.h"

extern const uint8_t kvmtest_guest_start[], kvmtest_guest_after_hlt[],
	kvmtest_guest_end[];

#define REGION_WORDS ((KT_REGION_END - KT_REGION_START) / 4)
#define PROGRESS_EXITS ((KT_REGION_END - KT_REGION_START) / KT_PROGRESS_STEP)

_Static_assert(KT_REGION_START % KT_PROGRESS_STEP == 0 &&
	       KT_REGION_END % KT_PROGRESS_STEP == 0, "region ends on progress steps");
_Static_assert(KT_REGION_END - KT_REGION_START >= 16 << 20, "at least 16 MiB tested");
_Static_assert(KT_REGION_END <= KT_MEM_SIZE && KT_REGION_START > 1 << 20,
	       "region inside guest memory, above 1 MiB");
_Static_assert(KT_READ_ADDR >= KT_REGION_END && KT_READ_ADDR < KT_MEM_SIZE &&
	       KT_READ_ADDR % 4096 == 0, "read probe on a page of its own");
_Static_assert(KT_PROBE_ADDR >= KT_REGION_START && KT_PROBE_ADDR < KT_REGION_END &&
	       KT_PROBE_ADDR % 4 == 0, "probe word inside the region");

struct vm {
	int kvm, vm, vcpu;
	uint8_t *mem;
	struct kvm_run *run;
};

static volatile sig_atomic_t timed_out;
static struct kvm_run *volatile alarm_run;

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("KVMTEST-FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		fail("%s: %s", what, strerror(errno));
	return r;
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	if (alarm_run)
		alarm_run->immediate_exit = 1;
}

static void print_regs(const struct vm *v)
{
	struct kvm_regs r;

	if (ioctl(v->vcpu, KVM_GET_REGS, &r) < 0) {
		printf("kvmtest: KVM_GET_REGS: %s\n", strerror(errno));
		return;
	}
	printf("kvmtest: L2 rip %#llx rflags %#llx eax %#llx ebx %#llx ecx %#llx "
	       "edx %#llx esi %#llx edi %#llx\n", r.rip, r.rflags, r.rax, r.rbx,
	       r.rcx, r.rdx, r.rsi, r.rdi);
}

/* ---- features ---------------------------------------------------------- */

static void print_param(const char *name)
{
	char path[128], val[32] = "(absent)";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/kvm_amd/parameters/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(val, sizeof(val), f))
			snprintf(val, sizeof(val), "(unreadable)");
		val[strcspn(val, "\n")] = '\0';
		fclose(f);
	}
	printf("kvmtest: kvm_amd %s=%s\n", name, val);
}

static void print_features(int kvm)
{
	static const struct { int cap; const char *name; } caps[] = {
		{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
		{ KVM_CAP_SYNC_MMU, "SYNC_MMU" },
		{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
		{ KVM_CAP_NR_MEMSLOTS, "NR_MEMSLOTS" },
		{ KVM_CAP_MAX_VCPUS, "MAX_VCPUS" },
		{ KVM_CAP_NESTED_STATE, "NESTED_STATE" },
		{ KVM_CAP_IRQCHIP, "IRQCHIP" },
	};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		printf("kvmtest: KVM_CHECK_EXTENSION %s = %d\n", caps[i].name,
		       ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap));
	print_param("npt");
	print_param("nested");
}

/* ---- VM setup ---------------------------------------------------------- */

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = selector;
	s->type = type;         /* 0xb: code exec/read accessed, 0x3: data r/w accessed */
	s->present = 1;
	s->dpl = 0;
	s->db = 1;              /* 32-bit */
	s->s = 1;               /* code or data, not system */
	s->l = 0;
	s->g = 1;               /* limit in 4 KiB units */
}

static void create_vm(struct vm *v)
{
	struct kvm_userspace_memory_region slot;
	size_t guest_len = (size_t)(kvmtest_guest_end - kvmtest_guest_start);
	int api, run_size;

	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		fail("open /dev/kvm: %s", strerror(errno));
	api = xioctl(v->kvm, KVM_GET_API_VERSION, NULL, "KVM_GET_API_VERSION");
	printf("kvmtest: KVM_GET_API_VERSION = %d\n", api);
	if (api != KVM_API_VERSION)
		fail("KVM API version %d, expected %d", api, KVM_API_VERSION);
	print_features(v->kvm);

	v->vm = xioctl(v->kvm, KVM_CREATE_VM, (void *)0, "KVM_CREATE_VM");
	v->mem = mmap(NULL, KT_MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->mem == MAP_FAILED)
		fail("mmap %d bytes of guest memory: %s", KT_MEM_SIZE, strerror(errno));
	memcpy(v->mem + KT_CODE_GPA, kvmtest_guest_start, guest_len);

	memset(&slot, 0, sizeof(slot));
	slot.slot = 0;
	slot.guest_phys_addr = 0;
	slot.memory_size = KT_MEM_SIZE;
	slot.userspace_addr = (uintptr_t)v->mem;
	xioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &slot, "KVM_SET_USER_MEMORY_REGION");

	v->vcpu = xioctl(v->vm, KVM_CREATE_VCPU, (void *)0, "KVM_CREATE_VCPU");
	run_size = xioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, NULL, "KVM_GET_VCPU_MMAP_SIZE");
	if ((size_t)run_size < sizeof(struct kvm_run))
		fail("KVM_GET_VCPU_MMAP_SIZE %d < sizeof(struct kvm_run)", run_size);
	v->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu, 0);
	if (v->run == MAP_FAILED)
		fail("mmap of the vCPU's kvm_run: %s", strerror(errno));
	printf("kvmtest: VM with %d MiB at gpa 0, 1 vCPU, %zu bytes of guest code at %#x\n",
	       KT_MEM_SIZE >> 20, guest_len, KT_CODE_GPA);
}

static void setup_vcpu(const struct vm *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	xioctl(v->vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	flat_segment(&sregs.cs, 0x08, 0xb);
	flat_segment(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = 0x11;       /* PE | ET; PG = 0 */
	sregs.cr4 = 0;
	sregs.efer = 0;
	xioctl(v->vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = KT_CODE_GPA;
	regs.rsp = KT_STACK_TOP;
	regs.rflags = 0x2;      /* reserved bit 1; IF = 0 */
	xioctl(v->vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

/* ---- the run ----------------------------------------------------------- */

struct io_step {
	uint16_t port;
	uint8_t dir;            /* KVM_EXIT_IO_OUT or KVM_EXIT_IO_IN */
	uint8_t size;
	uint32_t value;         /* OUT: expected; IN: the answer */
	const char *what;
};

static uint32_t io_value(const uint8_t *data, unsigned size)
{
	uint32_t val = 0;

	memcpy(&val, data, size);   /* x86 is little-endian */
	return val;
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case KVM_EXIT_INTR: return "INTR";
	default: return "other";
	}
}

/* One KVM_RUN; the exit reason.  Fails on a timeout or an ioctl error. */
static uint32_t run_once(const struct vm *v, unsigned *intr_exits)
{
	for (;;) {
		if (timed_out || ioctl(v->vcpu, KVM_RUN, NULL) < 0) {
			if (timed_out) {
				print_regs(v);
				fail("timeout: L2 did not finish in time");
			}
			if (errno == EINTR || errno == EAGAIN) {
				++*intr_exits;
				continue;
			}
			fail("KVM_RUN: %s", strerror(errno));
		}
		if (v->run->exit_reason != KVM_EXIT_INTR)
			return v->run->exit_reason;
		++*intr_exits;
	}
}

static void __attribute__((noreturn))
unexpected_exit(const struct vm *v, const char *expected)
{
	const struct kvm_run *r = v->run;

	print_regs(v);
	switch (r->exit_reason) {
	case KVM_EXIT_FAIL_ENTRY:
		fail("KVM_EXIT_FAIL_ENTRY (hardware entry failure reason %#llx) where %s "
		     "was expected", (unsigned long long)r->fail_entry.hardware_entry_failure_reason,
		     expected);
	case KVM_EXIT_INTERNAL_ERROR:
		fail("KVM_EXIT_INTERNAL_ERROR (suberror %u) where %s was expected",
		     r->internal.suberror, expected);
	case KVM_EXIT_MMIO:
		fail("KVM_EXIT_MMIO at %#llx (%s, %u bytes) where %s was expected",
		     (unsigned long long)r->mmio.phys_addr,
		     r->mmio.is_write ? "write" : "read", r->mmio.len, expected);
	case KVM_EXIT_IO:
		fail("KVM_EXIT_IO %s port %#x size %u count %u where %s was expected",
		     r->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", r->io.port,
		     r->io.size, r->io.count, expected);
	default:
		fail("exit reason %u (%s) where %s was expected", r->exit_reason,
		     exit_name(r->exit_reason), expected);
	}
}

static void expect_io(const struct vm *v, const struct io_step *s, unsigned *intr_exits)
{
	struct kvm_run *r = v->run;
	uint8_t *data;

	if (run_once(v, intr_exits) != KVM_EXIT_IO || r->io.port != s->port ||
	    r->io.direction != s->dir || r->io.size != s->size || r->io.count != 1)
		unexpected_exit(v, s->what);
	data = (uint8_t *)r + r->io.data_offset;
	if (s->dir == KVM_EXIT_IO_IN) {
		memcpy(data, &s->value, s->size);
		printf("kvmtest: L2 %s: in port %#x -> %#x\n", s->what, s->port, s->value);
		return;
	}
	if (io_value(data, s->size) != s->value) {
		print_regs(v);
		fail("L2 %s: out port %#x wrote %#x, expected %#x", s->what, s->port,
		     io_value(data, s->size), s->value);
	}
	printf("kvmtest: L2 %s: out port %#x = %#x\n", s->what, s->port, s->value);
}

static uint32_t pattern(uint32_t addr)
{
	return addr ^ (uint32_t)KT_SEED;
}

/* Runs the guest through the conversation of kvmtest.h; returns the
 * number of I/O exits. */
static unsigned run_guest(struct vm *v)
{
	struct io_step hello = { KT_PORT_HELLO, KVM_EXIT_IO_OUT, 4, KT_HELLO_MAGIC, "hello" };
	struct io_step seed = { KT_PORT_SEED, KVM_EXIT_IO_IN, 4, KT_SEED, "seed" };
	struct io_step tail[] = {
		{ KT_PORT_MISMATCHES, KVM_EXIT_IO_OUT, 4, 1, "mismatch count" },
		{ KT_PORT_FIRST_BAD, KVM_EXIT_IO_OUT, 4, KT_PROBE_ADDR, "first mismatch" },
		{ KT_PORT_DONE, KVM_EXIT_IO_OUT, 1, KT_DONE_BYTE, "done" },
	};
	unsigned io_exits = 0, intr_exits = 0;
	struct kvm_regs regs;
	uint64_t hlt_rip;

	expect_io(v, &hello, &intr_exits);
	expect_io(v, &seed, &intr_exits);
	io_exits = 2;
	for (uint32_t i = 1; i <= PROGRESS_EXITS; i++) {
		struct io_step p = { KT_PORT_PROGRESS, KVM_EXIT_IO_OUT, 4,
				     KT_REGION_START + i * KT_PROGRESS_STEP, "write progress" };

		expect_io(v, &p, &intr_exits);
		io_exits++;
	}
	/* Between the passes: change one word behind the guest's back. */
	memcpy(v->mem + KT_PROBE_ADDR, &(uint32_t){ KT_PROBE_VALUE }, 4);
	printf("kvmtest: host wrote %#x at gpa %#x through its mapping\n",
	       KT_PROBE_VALUE, KT_PROBE_ADDR);
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
		expect_io(v, &tail[i], &intr_exits);
		io_exits++;
	}

	if (run_once(v, &intr_exits) != KVM_EXIT_HLT)
		unexpected_exit(v, "HLT");
	xioctl(v->vcpu, KVM_GET_REGS, &regs, "KVM_GET_REGS");
	hlt_rip = KT_CODE_GPA + (uint64_t)(kvmtest_guest_after_hlt - kvmtest_guest_start);
	if (regs.rip != hlt_rip)
		fail("KVM_EXIT_HLT with rip %#llx, expected %#llx (just past the HLT)",
		     regs.rip, (unsigned long long)hlt_rip);
	printf("kvmtest: L2 halted at rip %#llx (%u interrupted KVM_RUN calls)\n",
	       regs.rip, intr_exits);
	return io_exits;
}

/* L2's writes as L1 sees them: every word A ^ seed, but the probe. */
static void check_memory(const struct vm *v)
{
	unsigned bad = 0;
	uint32_t first = 0, got_first = 0;

	for (uint32_t a = KT_REGION_START; a < KT_REGION_END; a += 4) {
		uint32_t want = a == KT_PROBE_ADDR ? KT_PROBE_VALUE : pattern(a);
		uint32_t got;

		memcpy(&got, v->mem + a, 4);
		if (got != want && bad++ == 0) {
			first = a;
			got_first = got;
		}
	}
	if (bad)
		fail("host check: %u of %u words differ, first at gpa %#x: %#x, expected %#x",
		     bad, REGION_WORDS, first, got_first,
		     first == KT_PROBE_ADDR ? KT_PROBE_VALUE : pattern(first));
	printf("kvmtest: host check: all %u words of gpa %#x-%#x hold the guest's pattern "
	       "(and the probe word)\n", REGION_WORDS, KT_REGION_START, KT_REGION_END - 1);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct timespec t0, t1;
	unsigned timeout = 600, io_exits;
	struct vm v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "--timeout") == 0)
		timeout = (unsigned)strtoul(argv[2], NULL, 0);
	else if (argc != 1)
		fail("usage: kvmtest [--timeout SECONDS]");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;   /* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGALRM, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	create_vm(&v);
	setup_vcpu(&v);
	alarm_run = v.run;
	alarm(timeout);
	io_exits = run_guest(&v);
	alarm(0);
	check_memory(&v);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	printf("kvmtest: L2 io exits %u, pattern ok across %d MiB, hlt (%.1f s)\n",
	       io_exits, (KT_REGION_END - KT_REGION_START) >> 20,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("KVMTEST-OK\n");
	return 0;
}
