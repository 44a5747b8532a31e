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
 * With --vcpus 2 the VM has two vCPUs, each in its own thread, each
 * running the same conversation over its own half of the region with its
 * own probe word (kvmtest.h).
 *
 * Output: "kvmtest: ..." lines, then KVMTEST-OK (exit 0) or
 * "KVMTEST-FAIL: <reason>" (exit 1); with --tag T the lines start with
 * "kvmtest T: " and end "KVMTEST-OK T" (several kvmtests at once on one
 * console).  Options: --timeout SECONDS (default 600) for the whole run
 * (a stuck guest fails with its registers), --vcpus 1|2, --tag T.
 *
 * --nvstats (one vCPU, under nestvisor with nvctl = on): nestvisor's
 * counters, summed over every CPU (the nvctl calls, core/hypercall.h), are
 * read before the first KVM_RUN, at the first and the last progress exit
 * and after the HLT, and kvmtest prints what changed over the whole run
 * ("run") and over the write pass between the first and the last
 * progress exit ("touch": every page of it first touched by L2 there):
 *   kvmtest: nvstats W pages P l2-exits R exits E vmruns V npf-reflected N
 *            snpt-faults F l1-npt-writes T prefetched X fused U runahead A
 *   kvmtest: nvstats W l1 CODE=COUNT ...   (exits of L1 by exit code)
 *   kvmtest: nvstats W l2 CODE=COUNT ...   (exits of L2)
 * R: L2 exits reflected to L1; E: nestvisor's exits but the VMMCALLs
 * that read the counters (L1's VMMCALLs are left out of every figure);
 * F: #NPFs of L2 the shadow NPT handled; T: L1's writes to its NPT pages
 * that exited; X: entries prefetched at L1's VMRUN (docs/mmu.md §7.2); U:
 * L1's VMLOADs nestvisor emulated in the exit of the VMSAVE before them
 * (svm/nested_fuse.c: not exits); A: L1's VMRUNs nestvisor emulated in
 * the exit of the VMLOAD before them (svm/nested_runahead.c: not exits).
 * tests/bench.py turns them into docs/benchmarks.md's figures.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/hypercall.h"
#include "kvmtest.h"

extern const uint8_t kvmtest_guest_start[], kvmtest_guest_after_hlt[],
	kvmtest_guest_end[];

#define REGION_WORDS ((KT_REGION_END - KT_REGION_START) / 4)

_Static_assert(KT_REGION_START % KT_PROGRESS_STEP == 0 &&
	       KT_REGION_END % KT_PROGRESS_STEP == 0, "region ends on progress steps");
_Static_assert(KT_REGION_END - KT_REGION_START >= 16 << 20, "at least 16 MiB tested");
_Static_assert(KT_REGION_END <= KT_MEM_SIZE && KT_REGION_START > 1 << 20,
	       "region inside guest memory, above 1 MiB");
_Static_assert(KT_READ_ADDR >= KT_REGION_END && KT_READ_ADDR < KT_MEM_SIZE &&
	       KT_READ_ADDR % 4096 == 0, "read probe on a page of its own");
_Static_assert((KT_REGION_END - KT_REGION_START) / KT_MAX_VCPUS % KT_PROGRESS_STEP == 0,
	       "each vCPU's part ends on progress steps");
_Static_assert(KT_PROBE_OFFSET < (KT_REGION_END - KT_REGION_START) / KT_MAX_VCPUS &&
	       KT_PROBE_OFFSET % 4 == 0 && KT_PROBE_OFFSET % 4096 != 0,
	       "probe word inside every vCPU's part, not on a page boundary");

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	uint32_t start, end, probe;  /* its part of the region */
	unsigned io_exits;
	pthread_t thread;
};

struct vm {
	int kvm, vm;
	uint8_t *mem;
	unsigned nr_vcpus;
	struct vcpu vcpu[KT_MAX_VCPUS];
};

/* ---- nestvisor's counters (--nvstats) --------------------------------- */

struct nv_snap {
	uint64_t exits, vmruns, reflected, npf_reflected, snpt_faults;
	uint64_t l1_npt_writes, prefetched, fused, runahead;
	uint64_t counts[2][NV_EXIT_SLOTS];
};

static bool nvstats;
static struct nv_snap snap_start, snap_first, snap_last, snap_end;

static uint64_t nv_call(struct nv_hc_regs *r, const char *what)
{
	uint64_t nr = r->rax;

	nv_vmmcall(r);
	if ((int64_t)r->rax != NV_HC_OK) {
		printf("KVMTEST-FAIL: --nvstats: hypercall %#llx (%s) returned %lld\n",
		       (unsigned long long)nr, what, (long long)r->rax);
		exit(1);
	}
	return r->rbx;
}

/* Every CPU's counters, summed. */
static void nv_read(struct nv_snap *s)
{
	struct nv_hc_regs r = { .rax = NV_HC_INFO };
	uint64_t cpus, w[8];

	memset(s, 0, sizeof(*s));
	nv_call(&r, "info");
	cpus = r.rdx;
	for (uint64_t cpu = 0; cpu < cpus; cpu++) {
		r = (struct nv_hc_regs){ .rax = NV_HC_CPU_STATS, .rbx = cpu };
		s->exits += nv_call(&r, "cpu stats");
		s->vmruns += r.rcx;
		s->reflected += r.rdx;
		nv_hc_data(&r, w);
		s->npf_reflected += w[0];
		s->snpt_faults += w[1];
		s->fused += w[4];
		s->runahead += w[5];
		for (unsigned first = 0; first < NV_SNPT_WORDS; first += 8) {
			r = (struct nv_hc_regs){ .rax = NV_HC_SNPT_STATS,
						 .rbx = cpu, .rcx = first };
			nv_call(&r, "snpt stats");
			nv_hc_data(&r, w);
			for (unsigned i = 0; i < 8; i++) {
				if (first + i == NV_SNPT_W_L1_WRITES)
					s->l1_npt_writes += w[i];
				if (first + i == NV_SNPT_W_PREFETCHED)
					s->prefetched += w[i];
			}
		}
		for (unsigned level = 0; level < 2; level++)
			for (unsigned first = 0; first < NV_EXIT_SLOTS; first += 8) {
				r = (struct nv_hc_regs){ .rax = NV_HC_EXIT_COUNTS,
							 .rbx = cpu, .rcx = level,
							 .rdx = first };
				nv_call(&r, "exit counts");
				nv_hc_data(&r, w);
				for (unsigned i = 0; i < 8 && first + i < NV_EXIT_SLOTS; i++)
					s->counts[level][first + i] += w[i];
			}
	}
}

static void nv_print(const char *window, const struct nv_snap *a,
		     const struct nv_snap *b, uint64_t pages)
{
	uint64_t vmmcalls = b->counts[0][nv_exit_slot(0x81)] -
			    a->counts[0][nv_exit_slot(0x81)];
	char line[2048];

	printf("kvmtest: nvstats %s pages %llu l2-exits %llu exits %llu vmruns %llu "
	       "npf-reflected %llu snpt-faults %llu l1-npt-writes %llu "
	       "prefetched %llu fused %llu runahead %llu\n", window, (unsigned long long)pages,
	       (unsigned long long)(b->reflected - a->reflected),
	       (unsigned long long)(b->exits - a->exits - vmmcalls),
	       (unsigned long long)(b->vmruns - a->vmruns),
	       (unsigned long long)(b->npf_reflected - a->npf_reflected),
	       (unsigned long long)(b->snpt_faults - a->snpt_faults),
	       (unsigned long long)(b->l1_npt_writes - a->l1_npt_writes),
	       (unsigned long long)(b->prefetched - a->prefetched),
	       (unsigned long long)(b->fused - a->fused),
	       (unsigned long long)(b->runahead - a->runahead));
	for (unsigned level = 0; level < 2; level++) {
		size_t n = (size_t)snprintf(line, sizeof(line), "kvmtest: nvstats %s l%u",
					    window, level + 1);

		for (unsigned slot = 0; slot < NV_EXIT_SLOT_FAILED; slot++) {
			uint64_t d = b->counts[level][slot] - a->counts[level][slot];

			if (d && !(level == 0 && slot == nv_exit_slot(0x81)) &&
			    n < sizeof(line) - 40)
				n += (size_t)snprintf(line + n, sizeof(line) - n,
						      " %#llx=%llu",
						      (unsigned long long)nv_exit_slot_code(slot),
						      (unsigned long long)d);
		}
		printf("%s\n", line);
	}
}

/* Is this nestvisor (CPUID 0x40000000, readable at any CPL)? */
static bool under_nestvisor(void)
{
	uint32_t a = NV_CPUID_VENDOR_LEAF, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b == NV_CPUID_SIG_EBX && c == NV_CPUID_SIG_ECX &&
	       d == NV_CPUID_SIG_EDX;
}

static volatile sig_atomic_t timed_out;
static struct vm *volatile alarm_vm;
static char prefix[64] = "kvmtest";
static const char *tag = "";

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s: %s\n", prefix, line);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fflush(stdout);
	printf("KVMTEST-FAIL: %s%s%s\n", tag, *tag ? ": " : "", line);
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
	if (alarm_vm)
		for (unsigned i = 0; i < alarm_vm->nr_vcpus; i++)
			alarm_vm->vcpu[i].run->immediate_exit = 1;
}

static void print_regs(const struct vcpu *c)
{
	struct kvm_regs r;

	if (ioctl(c->fd, KVM_GET_REGS, &r) < 0) {
		say("KVM_GET_REGS: %s", strerror(errno));
		return;
	}
	say("L2 vcpu %u rip %#llx rflags %#llx eax %#llx ebx %#llx ecx %#llx "
	    "edx %#llx esi %#llx edi %#llx", c->index, r.rip, r.rflags, r.rax,
	    r.rbx, r.rcx, r.rdx, r.rsi, r.rdi);
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
	say("kvm_amd %s=%s", name, val);
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
		say("KVM_CHECK_EXTENSION %s = %d", caps[i].name,
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
	uint32_t part = (KT_REGION_END - KT_REGION_START) / v->nr_vcpus;
	int api, run_size;

	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		fail("open /dev/kvm: %s", strerror(errno));
	api = xioctl(v->kvm, KVM_GET_API_VERSION, NULL, "KVM_GET_API_VERSION");
	say("KVM_GET_API_VERSION = %d", api);
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

	run_size = xioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, NULL, "KVM_GET_VCPU_MMAP_SIZE");
	if ((size_t)run_size < sizeof(struct kvm_run))
		fail("KVM_GET_VCPU_MMAP_SIZE %d < sizeof(struct kvm_run)", run_size);
	for (unsigned i = 0; i < v->nr_vcpus; i++) {
		struct vcpu *c = &v->vcpu[i];

		c->vm = v;
		c->index = i;
		c->start = KT_REGION_START + i * part;
		c->end = c->start + part;
		c->probe = c->start + KT_PROBE_OFFSET;
		c->fd = xioctl(v->vm, KVM_CREATE_VCPU, (void *)(uintptr_t)i,
			       "KVM_CREATE_VCPU");
		c->run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED)
			fail("mmap of the vCPU's kvm_run: %s", strerror(errno));
	}
	say("VM with %d MiB at gpa 0, %u vCPU%s, %zu bytes of guest code at %#x",
	    KT_MEM_SIZE >> 20, v->nr_vcpus, v->nr_vcpus > 1 ? "s" : "",
	    guest_len, KT_CODE_GPA);
}

static void setup_vcpu(const struct vcpu *c)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	xioctl(c->fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	flat_segment(&sregs.cs, 0x08, 0xb);
	flat_segment(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = 0x11;       /* PE | ET; PG = 0 */
	sregs.cr4 = 0;
	sregs.efer = 0;
	xioctl(c->fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = KT_CODE_GPA;
	regs.rsp = c->start;    /* kvmtest-guest.S: its part of the region */
	regs.rbp = c->end;
	regs.rflags = 0x2;      /* reserved bit 1; IF = 0 */
	xioctl(c->fd, KVM_SET_REGS, &regs, "KVM_SET_REGS");
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
static uint32_t run_once(const struct vcpu *c, unsigned *intr_exits)
{
	for (;;) {
		if (timed_out || ioctl(c->fd, KVM_RUN, NULL) < 0) {
			if (timed_out) {
				print_regs(c);
				fail("timeout: L2 did not finish in time");
			}
			if (errno == EINTR || errno == EAGAIN) {
				++*intr_exits;
				continue;
			}
			fail("KVM_RUN: %s", strerror(errno));
		}
		if (c->run->exit_reason != KVM_EXIT_INTR)
			return c->run->exit_reason;
		++*intr_exits;
	}
}

static void __attribute__((noreturn))
unexpected_exit(const struct vcpu *c, const char *expected)
{
	const struct kvm_run *r = c->run;

	print_regs(c);
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

static void expect_io(const struct vcpu *c, const struct io_step *s,
		      unsigned *intr_exits)
{
	struct kvm_run *r = c->run;
	uint8_t *data;

	if (run_once(c, intr_exits) != KVM_EXIT_IO || r->io.port != s->port ||
	    r->io.direction != s->dir || r->io.size != s->size || r->io.count != 1)
		unexpected_exit(c, s->what);
	data = (uint8_t *)r + r->io.data_offset;
	if (s->dir == KVM_EXIT_IO_IN) {
		memcpy(data, &s->value, s->size);
		say("L2%s %s: in port %#x -> %#x", c->vm->nr_vcpus > 1 ?
		    (c->index ? " vcpu 1" : " vcpu 0") : "", s->what, s->port,
		    s->value);
		return;
	}
	if (io_value(data, s->size) != s->value) {
		print_regs(c);
		fail("L2 %s: out port %#x wrote %#x, expected %#x", s->what, s->port,
		     io_value(data, s->size), s->value);
	}
	say("L2%s %s: out port %#x = %#x", c->vm->nr_vcpus > 1 ?
	    (c->index ? " vcpu 1" : " vcpu 0") : "", s->what, s->port, s->value);
}

static uint32_t pattern(uint32_t addr)
{
	return addr ^ (uint32_t)KT_SEED;
}

/* Runs one vCPU through the conversation of kvmtest.h over its part. */
static void *run_guest(void *arg)
{
	struct vcpu *c = arg;
	struct io_step hello = { KT_PORT_HELLO, KVM_EXIT_IO_OUT, 4, KT_HELLO_MAGIC, "hello" };
	struct io_step seed = { KT_PORT_SEED, KVM_EXIT_IO_IN, 4, KT_SEED, "seed" };
	struct io_step tail[] = {
		{ KT_PORT_MISMATCHES, KVM_EXIT_IO_OUT, 4, 1, "mismatch count" },
		{ KT_PORT_FIRST_BAD, KVM_EXIT_IO_OUT, 4, c->probe, "first mismatch" },
		{ KT_PORT_DONE, KVM_EXIT_IO_OUT, 1, KT_DONE_BYTE, "done" },
	};
	unsigned intr_exits = 0;
	struct kvm_regs regs;
	uint64_t hlt_rip;

	setup_vcpu(c);
	if (nvstats)
		nv_read(&snap_start);
	expect_io(c, &hello, &intr_exits);
	expect_io(c, &seed, &intr_exits);
	c->io_exits = 2;
	for (uint32_t a = c->start + KT_PROGRESS_STEP; a <= c->end;
	     a += KT_PROGRESS_STEP) {
		struct io_step p = { KT_PORT_PROGRESS, KVM_EXIT_IO_OUT, 4, a,
				     "write progress" };

		expect_io(c, &p, &intr_exits);
		c->io_exits++;
		if (nvstats && a == c->start + KT_PROGRESS_STEP)
			nv_read(&snap_first);
		if (nvstats && a == c->end)
			nv_read(&snap_last);
	}
	/* Between the passes: change one word behind the guest's back. */
	memcpy(c->vm->mem + c->probe, &(uint32_t){ KT_PROBE_VALUE }, 4);
	say("host wrote %#x at gpa %#x through its mapping", KT_PROBE_VALUE,
	    c->probe);
	for (size_t i = 0; i < sizeof(tail) / sizeof(tail[0]); i++) {
		expect_io(c, &tail[i], &intr_exits);
		c->io_exits++;
	}

	if (run_once(c, &intr_exits) != KVM_EXIT_HLT)
		unexpected_exit(c, "HLT");
	xioctl(c->fd, KVM_GET_REGS, &regs, "KVM_GET_REGS");
	hlt_rip = KT_CODE_GPA + (uint64_t)(kvmtest_guest_after_hlt - kvmtest_guest_start);
	if (regs.rip != hlt_rip)
		fail("KVM_EXIT_HLT with rip %#llx, expected %#llx (just past the HLT)",
		     regs.rip, (unsigned long long)hlt_rip);
	if (nvstats) {
		nv_read(&snap_end);
		nv_print("run", &snap_start, &snap_end, 0);
		nv_print("touch", &snap_first, &snap_last,
			 (c->end - c->start - KT_PROGRESS_STEP) / 4096);
	}
	say("L2%s halted at rip %#llx (%u interrupted KVM_RUN calls)",
	    c->vm->nr_vcpus > 1 ? (c->index ? " vcpu 1" : " vcpu 0") : "",
	    regs.rip, intr_exits);
	return NULL;
}

/* L2's writes as L1 sees them: every word A ^ seed, but the probes. */
static void check_memory(const struct vm *v)
{
	unsigned bad = 0;
	uint32_t first = 0, got_first = 0, want_first = 0;

	for (uint32_t a = KT_REGION_START; a < KT_REGION_END; a += 4) {
		uint32_t want = pattern(a), got;

		for (unsigned i = 0; i < v->nr_vcpus; i++)
			if (a == v->vcpu[i].probe)
				want = KT_PROBE_VALUE;
		memcpy(&got, v->mem + a, 4);
		if (got != want && bad++ == 0) {
			first = a;
			got_first = got;
			want_first = want;
		}
	}
	if (bad)
		fail("host check: %u of %u words differ, first at gpa %#x: %#x, expected %#x",
		     bad, REGION_WORDS, first, got_first, want_first);
	say("host check: all %u words of gpa %#x-%#x hold the guest's pattern "
	    "(and the probe word%s)", REGION_WORDS, KT_REGION_START,
	    KT_REGION_END - 1, v->nr_vcpus > 1 ? "s" : "");
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct timespec t0, t1;
	unsigned timeout = 600, io_exits = 0;
	static struct vm v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	v.nr_vcpus = 1;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--timeout"))
			timeout = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--vcpus"))
			v.nr_vcpus = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (i + 1 < argc && !strcmp(argv[i], "--tag"))
			tag = argv[++i];
		else if (!strcmp(argv[i], "--nvstats"))
			nvstats = true;
		else
			fail("usage: kvmtest [--timeout SECONDS] [--vcpus 1|2] [--tag T] "
			     "[--nvstats]");
	}
	if (v.nr_vcpus < 1 || v.nr_vcpus > KT_MAX_VCPUS)
		fail("--vcpus %u: 1 to %d", v.nr_vcpus, KT_MAX_VCPUS);
	if (nvstats && (v.nr_vcpus != 1 || !under_nestvisor()))
		fail("--nvstats: one vCPU, under nestvisor (nvctl = on)");
	if (*tag)
		snprintf(prefix, sizeof(prefix), "kvmtest %s", tag);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;   /* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGALRM, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	create_vm(&v);
	alarm_vm = &v;
	alarm(timeout);
	if (v.nr_vcpus == 1) {
		run_guest(&v.vcpu[0]);
	} else {
		for (unsigned i = 0; i < v.nr_vcpus; i++)
			if (pthread_create(&v.vcpu[i].thread, NULL, run_guest,
					   &v.vcpu[i]))
				fail("pthread_create for vCPU %u", i);
		for (unsigned i = 0; i < v.nr_vcpus; i++)
			pthread_join(v.vcpu[i].thread, NULL);
	}
	alarm(0);
	for (unsigned i = 0; i < v.nr_vcpus; i++)
		io_exits += v.vcpu[i].io_exits;
	check_memory(&v);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	if (v.nr_vcpus == 1)
		say("L2 io exits %u, pattern ok across %d MiB, hlt (%.1f s)",
		    io_exits, (KT_REGION_END - KT_REGION_START) >> 20,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	else
		say("L2 io exits %u on %u vCPUs, pattern ok across %d MiB, hlt "
		    "(%.1f s)", io_exits, v.nr_vcpus,
		    (KT_REGION_END - KT_REGION_START) >> 20,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("KVMTEST-OK%s%s\n", *tag ? " " : "", tag);
	return 0;
}
