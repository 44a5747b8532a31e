// SPDX-License-Identifier: MIT
/*
 * Exits of vmcb02 (L2 running).  Each is either L1's -- vmcb12 asked for
 * that intercept, or L1's nested page table denies the access -- and is
 * reflected to L1 as an emulated #VMEXIT, or nestvisor's own: it handles
 * it as the CPU would for L2 and resumes L2.
 *
 * An exit nestvisor handles may have interrupted the delivery of an event
 * to L2 (EXITINTINFO valid): it is injected again before L2 resumes.
 */
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "drivers/debug_exit.h"
#include "svm/dump.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/permmap.h"

/* Bit `bit` of L1's permission map at base (set also when unreadable). */
static bool map_bit(uint64_t base, unsigned size, unsigned bit)
{
	uint64_t off = bit / 8;
	const volatile uint8_t *p;

	if (off >= size)
		return true;
	p = (const volatile uint8_t *)l1_host_ptr((base & ~0xfffull) + off, 1);
	return !p || ((*p >> (bit % 8)) & 1);
}

bool nested_l1_intercepts(struct cpu *cpu, uint64_t code, uint64_t info1)
{
	const struct vmcb12_ctrl_cache *c = &cpu->nested.cache.ctrl;

	/* The intercept vectors follow the exit codes (svm/exit_code.h). */
	if (vmexit_in(code, VMEXIT_CR0_READ, VMEXIT_CR15_WRITE))
		return (c->intercept_cr >> (code - VMEXIT_CR0_READ)) & 1;
	if (vmexit_in(code, VMEXIT_DR0_READ, VMEXIT_DR15_WRITE))
		return (c->intercept_dr >> (code - VMEXIT_DR0_READ)) & 1;
	if (vmexit_in(code, VMEXIT_EXCP_BASE, VMEXIT_EXCP_LAST))
		return (c->intercept_exceptions >> (code - VMEXIT_EXCP_BASE)) & 1;
	if (code == VMEXIT_MSR) {
		uint32_t msr = (uint32_t)cpu->gregs.rcx;
		unsigned bit;

		if (!(c->intercept_misc1 & INTERCEPT1_MSR_PROT))
			return false;
		return msrpm_bit(msr, &bit) ||
		       map_bit(c->msrpm_base_pa, MSRPM_SIZE, bit + (info1 & 1));
	}
	if (code == VMEXIT_IOIO) {
		union svm_ioio_info io = { .raw = info1 };
		unsigned port = io.port, len = ioio_size(io);

		if (!(c->intercept_misc1 & INTERCEPT1_IOIO_PROT))
			return false;
		for (unsigned i = 0; i < len; i++)
			if (map_bit(c->iopm_base_pa, IOPM_SIZE, port + i))
				return true;
		return false;
	}
	if (vmexit_in(code, VMEXIT_MISC1_FIRST, VMEXIT_MISC1_LAST))
		return (c->intercept_misc1 >> (code - VMEXIT_MISC1_FIRST)) & 1;
	if (vmexit_in(code, VMEXIT_MISC2_FIRST, VMEXIT_MISC2_LAST))
		return (c->intercept_misc2 >> (code - VMEXIT_MISC2_FIRST)) & 1;
	if (vmexit_in(code, VMEXIT_MISC3_FIRST, VMEXIT_MISC3_LAST))
		return (c->intercept_misc3 >> (code - VMEXIT_MISC3_FIRST)) & 1;
	return false;
}

/* The instruction an intercept is about, for next_rip (NRIPS, which
 * nestvisor offers to L1 even where the CPU lacks it). */
static enum insn_op exit_insn(uint64_t code, uint64_t info1)
{
	switch (code) {
	case VMEXIT_CPUID: return INSN_CPUID;
	case VMEXIT_MSR: return info1 & 1 ? INSN_WRMSR : INSN_RDMSR;
	case VMEXIT_HLT: return INSN_HLT;
	case VMEXIT_RDTSC: return INSN_RDTSC;
	case VMEXIT_RDTSCP: return INSN_RDTSCP;
	case VMEXIT_INVD: return INSN_INVD;
	case VMEXIT_PAUSE: return INSN_PAUSE;
	case VMEXIT_VMRUN: return INSN_VMRUN;
	case VMEXIT_VMMCALL: return INSN_VMMCALL;
	case VMEXIT_VMLOAD: return INSN_VMLOAD;
	case VMEXIT_VMSAVE: return INSN_VMSAVE;
	case VMEXIT_STGI: return INSN_STGI;
	case VMEXIT_CLGI: return INSN_CLGI;
	case VMEXIT_SKINIT: return INSN_SKINIT;
	case VMEXIT_INVLPGA: return INSN_INVLPGA;
	case VMEXIT_XSETBV: return INSN_XSETBV;
	case VMEXIT_WBINVD: return INSN_WBINVD;
	default: return INSN_NONE;
	}
}

static uint64_t reflected_next_rip(struct cpu *cpu, uint64_t code)
{
	struct vmcb *v = cpu->cur;
	enum insn_op op;
	int len;

	if (code == VMEXIT_IOIO)
		return v->control.exit_info_2;
	op = exit_insn(code, v->control.exit_info_1);
	if (op == INSN_NONE)
		return 0;
	if (svm_has(&cpu->caps, SVM_FEAT_NRIPS))
		return v->control.next_rip;
	len = guest_insn_len(cpu, op);
	return len > 0 ? v->save.rip + (unsigned)len : 0;
}

static void reflect(struct cpu *cpu)
{
	const struct vmcb_control *c = &cpu->cur->control;

	nested_vmexit(cpu, c->exit_code, c->exit_info_1, c->exit_info_2,
		      reflected_next_rip(cpu, c->exit_code));
}

static void l2_shutdown(struct cpu *cpu)
{
	log_error("L2 SHUTDOWN (triple fault) that L1 does not intercept: "
		  "the machine shuts down, as the CPU would");
	dump_cpu_state(cpu);
	debug_exit(NV_EXIT_L1_SHUTDOWN);
}

void nested_handle_exit(struct cpu *cpu)
{
	struct vmcb_control *c = &cpu->cur->control;
	uint64_t code = c->exit_code;
	union svm_event pending = c->exit_int_info;
	uint32_t pending_err = c->exit_int_info_err;

	if (vmexit_is_invalid(code)) {
		log_error("vmcb02 was refused by the CPU (VMEXIT_INVALID): "
			  "a vmcb12 check nestvisor does not make");
		nested_vmexit(cpu, VMEXIT_INVALID, 0, 0, 0);
		return;
	}
	if (code == VMEXIT_NPF) {
		handle_npf(cpu); /* svm/npf.c, whoever's the fault is */
		goto reinject;
	}
	/* svm/nested_feat.c: a PAUSE the pause filter absorbs, an RDTSCP
	 * the CPU below reports as RDTSC */
	if (code == VMEXIT_PAUSE && nested_feat_filter(cpu, code))
		goto reinject;
	if (code == VMEXIT_RDTSC)
		code = nested_feat_exit_code(cpu, code);
	if (nested_l1_intercepts(cpu, code, c->exit_info_1)) {
		reflect(cpu);
		return;
	}
	switch (code) {
	case VMEXIT_CPUID:
		handle_cpuid(cpu);
		break;
	case VMEXIT_MSR:
		handle_msr(cpu);
		break;
	case VMEXIT_IOIO:
		handle_ioio(cpu);
		break;
	case VMEXIT_SHUTDOWN:
		l2_shutdown(cpu);
		break;
	case VMEXIT_VMMCALL:
	case VMEXIT_VMLOAD:
	case VMEXIT_VMSAVE:
	case VMEXIT_STGI:
	case VMEXIT_CLGI:
	case VMEXIT_SKINIT:
	case VMEXIT_INVLPGA:
		/* Not intercepted by L1: SVM instructions in L2 are not
		 * offered (docs/nested.md), VMMCALL is nestvisor's for L1. */
		inject_exception(cpu, X86_VEC_UD, false, 0);
		break;
	default:
		if (nested_feat_exit(cpu, code)) /* svm/nested_feat.c */
			break;
		panic("L2 exit code 0x%lx that neither L1 nor nestvisor "
		      "intercepts", code);
	}
reinject:
	/* Still in L2 (not reflected): an event whose delivery the exit
	 * interrupted is delivered again. */
	if (!cpu->nested.guest_mode)
		return;
	if (pending.valid && !c->event_inj.valid) {
		c->event_inj = pending;
		c->event_inj_err = pending_err;
	}
	/* The shadow NPT or L1's NPT changed under L2: flush its TLB (tagged
	 * by ASID only, not by nested page table). */
	if (cpu->nested.tlb_flush_pending) {
		c->tlb_control = TLB_CONTROL_FLUSH_ALL;
		cpu->nested.tlb_flush_pending = false;
	}
}
