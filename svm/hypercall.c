// SPDX-License-Identifier: MIT
/*
 * VMMCALL from L1: the hypercall interface of core/hypercall.h.  CPL 0
 * may make every call; CPL 1..3 only the nvctl calls, and only when the
 * configuration allows it (svm/nvctl.c); anything else is #UD, as for a
 * CPU without a hypervisor.
 */
#include "core/hypercall.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/nv_version.h"
#include "drivers/debug_exit.h"
#include "svm/intercepts.h"
#include "svm/nested.h"
#include "svm/nvctl.h"
#include "svm/smp.h"

/* NV_HC_BOOT_LOG is open until NV_HC_BOOT_DONE. */
static bool boot_log_closed;

/*
 * The calls of CPL 0 numbered 0..NV_HC_CPUS, each one function that sets
 * its result registers and returns its status (docs/hypercalls.md), run
 * through a table indexed by RAX: each is reached by a tail call, and
 * those that call nothing need no stack frame (docs/benchmarks.md counts
 * the instructions of a VMMCALL).
 */
static __attribute__((noinline, noreturn)) void hc_test_exit(uint64_t status)
{
	log_info("L1 ends the run with status %lu (hypercall)", status);
	debug_exit((uint32_t)status);
}

static inline __attribute__((always_inline)) long hc_version(struct cpu *cpu)
{
	cpu->gregs.rbx = NV_VERSION_WORD;
	return NV_HC_OK;
}

static inline __attribute__((always_inline)) long hc_end(struct cpu *cpu)
{
	hc_test_exit(cpu->gregs.rbx);
}

static inline __attribute__((always_inline)) long hc_hv_range(struct cpu *cpu)
{
	cpu->gregs.rbx = hvmem.base;
	cpu->gregs.rcx = hvmem.size;
	return NV_HC_OK;
}

static inline __attribute__((always_inline)) long hc_canary(struct cpu *cpu)
{
	long status = NV_HC_OK;

	cpu->gregs.rbx = hvmem.canary_pa;
	cpu->gregs.rcx = HVMEM_CANARY;
	for (unsigned i = 0; i < 512; i++)
		if (hvmem.canary[i] != HVMEM_CANARY)
			status = NV_HC_CORRUPT;
	return status;
}

static long hc_stats(struct cpu *cpu)
{
	cpu->gregs.rbx = cpu->nr_exits;
	cpu->gregs.rcx = cpu->nested.nr_vmruns;
	cpu->gregs.rdx = nested_npt_faults(cpu);
	return NV_HC_OK;
}

static long hc_boot_log(struct cpu *cpu)
{
	uint64_t gpa = cpu->gregs.rbx, len = cpu->gregs.rcx;
	const uint8_t *p;

	if (boot_log_closed)
		return NV_HC_EPERM;
	if (len > NV_BOOT_LOG_MAX || (gpa & 0xfff) + len > 4096)
		return NV_HC_EINVAL;
	if (!len)
		return NV_HC_OK;
	p = l1_host_ptr(gpa, (unsigned)len);
	if (!p)
		return NV_HC_EINVAL;
	log_ring_append((const char *)p, len);
	return NV_HC_OK;
}

static inline __attribute__((always_inline)) long hc_boot_done(struct cpu *cpu)
{
	(void)cpu;
	boot_log_closed = true;
	return NV_HC_OK;
}

static inline __attribute__((always_inline)) long hc_cpus(struct cpu *cpu)
{
	cpu->gregs.rbx = __atomic_load_n(&smp.nr_running, __ATOMIC_RELAXED);
	cpu->gregs.rcx = __atomic_load_n(&smp.nr_parked, __ATOMIC_RELAXED);
	cpu->gregs.rdx = cpu->apic_id;
	return NV_HC_OK;
}

/* A call's two entries, given the VMCB that ran (cpu->cur): name_64 after
 * 64-bit code, whose length came from insn_len_hit() (RIP moves on all 64
 * bits), name_any after any code.  Each sets RAX to the status, then
 * moves RIP past the VMMCALL, whose length (3 bytes, more with prefixes)
 * is never above an instruction's 15 (APM Vol. 3 §1.1): said so, the
 * compiler adds it to RIP as it is. */
typedef void (*hc_fn)(struct cpu *cpu, uint64_t len, struct vmcb *v);

#define HC_ENTRIES(name)						\
	static void name##_64(struct cpu *cpu, uint64_t len,		\
			      struct vmcb *v)				\
	{								\
		if (len > 15)						\
			__builtin_unreachable();			\
		v->save.rax = (uint64_t)name(cpu);			\
		guest_advance_rip64(cpu, &v->save, (unsigned)len);	\
	}								\
	static void name##_any(struct cpu *cpu, uint64_t len,		\
			       struct vmcb *v)				\
	{								\
		v->save.rax = (uint64_t)name(cpu);			\
		guest_advance_rip(cpu, (unsigned)len);			\
	}

HC_ENTRIES(hc_version)
HC_ENTRIES(hc_end)
HC_ENTRIES(hc_hv_range)
HC_ENTRIES(hc_canary)
HC_ENTRIES(hc_stats)
HC_ENTRIES(hc_boot_log)
HC_ENTRIES(hc_boot_done)
HC_ENTRIES(hc_cpus)

#define HC_TABLE(suffix)						\
	{								\
		[NV_HC_VERSION] = hc_version##suffix,			\
		[NV_HC_TEST_EXIT] = hc_end##suffix,			\
		[NV_HC_HV_RANGE] = hc_hv_range##suffix,			\
		[NV_HC_CANARY] = hc_canary##suffix,			\
		[NV_HC_STATS] = hc_stats##suffix,			\
		[NV_HC_BOOT_LOG] = hc_boot_log##suffix,			\
		[NV_HC_BOOT_DONE] = hc_boot_done##suffix,		\
		[NV_HC_CPUS] = hc_cpus##suffix,				\
	}
#define HC_TABLE_SIZE (NV_HC_CPUS + 1)
/* Every number below HC_TABLE_SIZE has its call. */
_Static_assert(NV_HC_VERSION < HC_TABLE_SIZE && NV_HC_TEST_EXIT < HC_TABLE_SIZE &&
	       NV_HC_HV_RANGE < HC_TABLE_SIZE && NV_HC_CANARY < HC_TABLE_SIZE &&
	       NV_HC_STATS < HC_TABLE_SIZE && NV_HC_BOOT_LOG < HC_TABLE_SIZE &&
	       NV_HC_BOOT_DONE < HC_TABLE_SIZE && HC_TABLE_SIZE == 8,
	       "the call numbers 0..7 are the table's eight entries");
static const hc_fn hc_table_64[HC_TABLE_SIZE] = HC_TABLE(_64);
static const hc_fn hc_table_any[HC_TABLE_SIZE] = HC_TABLE(_any);

/* A call at CPL 1..3: an nvctl call where the configuration allows it,
 * else #UD. */
static __attribute__((noinline)) void hc_user(struct cpu *cpu, unsigned len)
{
	struct vmcb_save *s = &cpu->cur->save;

	if (!nvctl_allowed(s->rax, s->cpl)) {
		inject_exception(cpu, X86_VEC_UD, false, 0);
		return;
	}
	s->rax = (uint64_t)nvctl_call(cpu, s->rax);
	guest_advance_rip(cpu, len);
}

/* A call at CPL 0 beyond the table: an nvctl call, or unknown. */
static __attribute__((noinline)) void hc_other(struct cpu *cpu, unsigned len)
{
	struct vmcb_save *s = &cpu->cur->save;

	s->rax = (uint64_t)(nvctl_allowed(s->rax, 0) ? nvctl_call(cpu, s->rax) :
						       NV_HC_ENOSYS);
	guest_advance_rip(cpu, len);
}

/* The hypercall of VMMCALL, len bytes long; table: hc_table_64 when the
 * length came from insn_len_hit(), which answers only for 64-bit code. */
static inline __attribute__((always_inline)) void
hypercall(struct cpu *cpu, unsigned len, const hc_fn *table)
{
	struct vmcb *v = cpu->cur;

	if (v->save.cpl != 0) {
		hc_user(cpu, len);
		return;
	}
	if (v->save.rax >= HC_TABLE_SIZE) {
		hc_other(cpu, len);
		return;
	}
	table[v->save.rax](cpu, len, v);
}

/* VMMCALL whose length insn_begin() must find (a miss of the decode
 * cache, code outside 64-bit mode): out of line, with its stack frame. */
static __attribute__((noinline)) void vmmcall_slow(struct cpu *cpu)
{
	int len = insn_begin_slow(cpu, INSN_VMMCALL);

	if (len >= 0)
		hypercall(cpu, (unsigned)len, hc_table_any);
}

void handle_vmmcall(struct cpu *cpu)
{
	unsigned len;

	if (__builtin_expect(!insn_len_hit(cpu, INSN_VMMCALL, &len), 0)) {
		vmmcall_slow(cpu);
		return;
	}
	hypercall(cpu, len, hc_table_64);
}
