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

/* The calls that call out, out of line: the common ones then need no stack
 * frame (docs/benchmarks.md counts the instructions of a VMMCALL). */
static __attribute__((noinline, noreturn)) void hc_test_exit(uint64_t status)
{
	log_info("L1 ends the run with status %lu (hypercall)", status);
	debug_exit((uint32_t)status);
}

static __attribute__((noinline)) void hc_stats(struct cpu *cpu, int len)
{
	cpu->gregs.rbx = cpu->nr_exits;
	cpu->gregs.rcx = cpu->nested.nr_vmruns;
	cpu->gregs.rdx = nested_npt_faults(cpu);
	cpu->cur->save.rax = (uint64_t)NV_HC_OK;
	guest_advance_rip(cpu, (unsigned)len);
}

static long hc_boot_log(struct guest_regs *g)
{
	uint64_t gpa = g->rbx, len = g->rcx;
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

static __attribute__((noinline)) void hc_user(struct cpu *cpu, int len)
{
	struct vmcb_save *s = &cpu->cur->save;

	if (!nvctl_allowed(s->rax, s->cpl)) {
		inject_exception(cpu, X86_VEC_UD, false, 0);
		return;
	}
	s->rax = (uint64_t)nvctl_call(cpu, s->rax);
	guest_advance_rip(cpu, (unsigned)len);
}

/* The boot log and the nvctl calls at CPL 0, and unknown calls. */
static __attribute__((noinline)) void hc_other(struct cpu *cpu, int len)
{
	struct vmcb_save *s = &cpu->cur->save;
	long status;

	if (s->rax == NV_HC_BOOT_LOG) {
		status = hc_boot_log(&cpu->gregs);
	} else if (s->rax == NV_HC_BOOT_DONE) {
		boot_log_closed = true;
		status = NV_HC_OK;
	} else {
		status = nvctl_allowed(s->rax, 0) ? nvctl_call(cpu, s->rax) :
						     NV_HC_ENOSYS;
	}
	s->rax = (uint64_t)status;
	guest_advance_rip(cpu, (unsigned)len);
}

/* The hypercall of VMMCALL, len bytes long (is64: the length came from
 * insn_len_hit(), which answers only for 64-bit code). */
static inline __attribute__((always_inline)) void hypercall(struct cpu *cpu,
							    int len, bool is64)
{
	struct vmcb_save *s = &cpu->cur->save;
	struct guest_regs *g = &cpu->gregs;
	long status = NV_HC_OK;

	if (s->cpl != 0) {
		hc_user(cpu, len);
		return;
	}
	switch (s->rax) {
	case NV_HC_VERSION:
		g->rbx = NV_VERSION_WORD;
		break;
	case NV_HC_TEST_EXIT:
		hc_test_exit(g->rbx);
	case NV_HC_HV_RANGE:
		g->rbx = hvmem.base;
		g->rcx = hvmem.size;
		break;
	case NV_HC_CANARY:
		g->rbx = hvmem.canary_pa;
		g->rcx = HVMEM_CANARY;
		for (unsigned i = 0; i < 512; i++)
			if (hvmem.canary[i] != HVMEM_CANARY)
				status = NV_HC_CORRUPT;
		break;
	case NV_HC_STATS:
		hc_stats(cpu, len);
		return;
	case NV_HC_CPUS:
		g->rbx = __atomic_load_n(&smp.nr_running, __ATOMIC_RELAXED);
		g->rcx = __atomic_load_n(&smp.nr_parked, __ATOMIC_RELAXED);
		g->rdx = cpu->apic_id;
		break;
	default:
		hc_other(cpu, len);
		return;
	}
	s->rax = (uint64_t)status;
	if (is64)
		guest_advance_rip64(cpu, s, (unsigned)len);
	else
		guest_advance_rip(cpu, (unsigned)len);
}

/* VMMCALL whose length insn_begin() must find (a miss of the decode
 * cache, code outside 64-bit mode): out of line, with its stack frame. */
static __attribute__((noinline)) void vmmcall_slow(struct cpu *cpu)
{
	int len = insn_begin_slow(cpu, INSN_VMMCALL);

	if (len >= 0)
		hypercall(cpu, len, false);
}

void handle_vmmcall(struct cpu *cpu)
{
	unsigned len;

	if (__builtin_expect(!insn_len_hit(cpu, INSN_VMMCALL, &len), 0)) {
		vmmcall_slow(cpu);
		return;
	}
	hypercall(cpu, (int)len, true);
}
