// SPDX-License-Identifier: MIT
/*
 * Exits of vmcb02 (L2 running).  Each is either L1's -- vmcb12 asked for
 * that intercept, or L1's nested page table denies the access -- and is
 * reflected to L1 as an emulated #VMEXIT, or nestvisor's own: it handles
 * it as the CPU would for L2 and resumes L2.
 *
 * An exit nestvisor handles may have interrupted the delivery of an event
 * to L2 (EXITINTINFO valid): it is injected again before L2 resumes, with
 * its architectural type (svm/inject.c reinject_interrupted()).
 */
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "drivers/debug_exit.h"
#include "svm/dump.h"
#include "svm/event.h"
#include "svm/init_sipi.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/smp.h"
#include "svm/permmap.h"

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
	/* The permission maps: one view (svm/nested_maps.c). */
	if (code == VMEXIT_MSR)
		return nested_maps_l1_msr(cpu, (uint32_t)cpu->gregs.rcx,
					  info1 & EXITINFO1_MSR_WRITE);
	if (code == VMEXIT_IOIO)
		return nested_maps_l1_io(cpu, (union svm_ioio_info){ .raw = info1 });
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
	case VMEXIT_MSR:
		return info1 & EXITINFO1_MSR_WRITE ? INSN_WRMSR : INSN_RDMSR;
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
	len = (int)insn_len_fast(cpu, &v->save, op); /* 64-bit code: no wrap */
	if (__builtin_expect(len != 0, 1))
		return v->save.rip + (unsigned)len;
	len = guest_insn_len(cpu, op);
	return len > 0 ? guest_next_rip(&v->save, (unsigned)len) : 0;
}

static void reflect(struct cpu *cpu)
{
	const struct vmcb_control *c = &cpu->cur->control;

	nested_vmexit(cpu, c->exit_code, c->exit_info_1, c->exit_info_2,
		      reflected_next_rip(cpu, c->exit_code));
}

/* The SVM instructions that raise #UD while EFER.SVME is clear (SKINIT
 * depends on its own CPUID bit, VMMCALL on nothing). */
static bool needs_svme(uint64_t code)
{
	return code == VMEXIT_VMRUN || code == VMEXIT_VMLOAD ||
	       code == VMEXIT_VMSAVE || code == VMEXIT_STGI ||
	       code == VMEXIT_CLGI || code == VMEXIT_INVLPGA;
}

static void l2_shutdown(struct cpu *cpu)
{
	log_error("L2 SHUTDOWN (triple fault) that L1 does not intercept: "
		  "the machine shuts down, as the CPU would");
	dump_cpu_state(cpu);
	debug_exit(NV_EXIT_L1_SHUTDOWN);
}

void nested_deliver_pf(struct cpu *cpu, uint32_t err, uint64_t la)
{
	/* inject_exception()'s #VMEXIT, with the address in EXITINFO2. */
	if (nested_l1_intercepts(cpu, VMEXIT_EXCP_BASE + X86_VEC_PF, 0)) {
		nested_vmexit(cpu, VMEXIT_EXCP_BASE + X86_VEC_PF, err, la, 0);
		return;
	}
	inject_exception(cpu, X86_VEC_PF, true, err);
	cpu->cur->save.cr2 = la;
}

/* Is the instruction at L2's RIP one that needs EFER.SVME? */
static bool svm_insn_at_rip(struct cpu *cpu)
{
	static const enum insn_op ops[] = {
		INSN_VMRUN, INSN_VMLOAD, INSN_VMSAVE, INSN_STGI, INSN_CLGI,
		INSN_INVLPGA,
	};

	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (guest_insn_len(cpu, ops[i]) > 0)
			return true;
	return false;
}

/* An exception the CPU raised in L2 (and vmcb02 intercepted for
 * nestvisor), delivered as L2 would have got it: after the event whose
 * delivery it interrupted, by the double-fault rules (svm/event.h). */
static void l2_exception_during(struct cpu *cpu, union svm_event pending,
				enum x86_vector vector, uint32_t err)
{
	int v = event_exception_during(event_from_cpu(pending), vector);

	if (v == EVENT_SHUTDOWN) {
		if (nested_l1_intercepts(cpu, VMEXIT_SHUTDOWN, 0))
			nested_vmexit(cpu, VMEXIT_SHUTDOWN, 0, 0, 0);
		else
			l2_shutdown(cpu);
		return;
	}
	if (v == X86_VEC_DF)
		inject_exception(cpu, X86_VEC_DF, true, 0);
	else
		inject_exception(cpu, vector, true, err);
}

/*
 * VMEXIT_INVALID of vmcb02: the CPU refused to run it.  vmcb02's save
 * area then holds L2's state, or, where QEMU TCG refused the VMRUN
 * itself, the host's (nestvisor's own RIP, CR3, ...): it never reaches
 * vmcb12.
 *  - L2's state, which passes nestvisor's VMRUN checks (vmcb12's
 *    controls with vmcb02's EVENTINJ, vmcb02's save area), and MOV to CR3
 *    at its RIP: QEMU TCG reports a MOV CR3 it refuses in guest mode (a
 *    bit at or beyond MAXPHYADDR) this way, with L2's state as before the
 *    MOV.  L2 gets that instruction's #GP(0), as on hardware (APM Vol. 2
 *    §3.1.2), unless the exit just before was the same.
 *  - Otherwise L1's VMRUN fails as the APM specifies for a VMRUN that
 *    fails (§15.5.1), nested_vmrun_refused().  nestvisor's checks find
 *    why when L2 reached a state the CPU cannot run through a CPU below
 *    laxer than hardware (logged as such); a refusal they cannot explain,
 *    or of an EVENTINJ nestvisor wrote, is nestvisor's bug or a check it
 *    leaves to the CPU (docs/semantics.md §11 item 13), logged as an error
 *    ("refused by the CPU", which fails every test run).
 * Never a panic.
 */
static __attribute__((noinline, cold)) void vmcb02_invalid(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	const struct vmcb *v02 = n->vmcb02;
	struct nested_check_failure why = { 0, "the CPU put the host's state "
					    "in vmcb02", "" };
	bool again = cpu->invalid_exit + 1 == cpu->nr_exits, unexplained = true;
	struct vmcb12_cache c;
	struct insn in;

	if (!vmcb_has_host_state(&v02->save)) {
		nested_copy_vmcb12(&c, v02);
		c.ctrl = n->cache.ctrl;
		c.ctrl.event_inj = v02->control.event_inj;
		c.ctrl.event_inj_err = v02->control.event_inj_err;
		if (nested_check_vmcb12(&c, &n->caps, &why)) {
			unexplained = why.id == NCHK_EVENTINJ_TYPE ||
				      why.id == NCHK_EVENTINJ_VECTOR;
		} else if (!guest_insn_decode_op(cpu, INSN_MOV_CR, &in) &&
			   in.reg == 3 && in.write && !again) {
			log_debug_limited("VMEXIT_INVALID of vmcb02 at a MOV CR3 "
					  "(rip 0x%lx): #GP", v02->save.rip);
			cpu->invalid_exit = cpu->nr_exits;
			inject_exception(cpu, X86_VEC_GP, true, 0);
			return;
		} else {
			why = (struct nested_check_failure){
				0, "a state nestvisor's checks pass",
				again ? "refused again after the MOV's #GP" :
					"no MOV CR3 at RIP" };
		}
	}
	if (unexplained)
		log_error_limited("vmcb02 refused by the CPU (VMEXIT_INVALID): "
				  "%s (%s): L1's VMRUN of 0x%lx fails",
				  why.name, why.cond, n->vmcb12_gpa);
	else
		log_warn_limited("L2's state cannot run (VMEXIT_INVALID of "
				 "vmcb02): %s (%s): L1's VMRUN fails", why.name,
				 why.cond);
	nested_vmrun_refused(cpu);
}

/* The error code an exception pushes (APM Vol. 2 Table 8-1): #DF, #TS,
 * #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX. */
static bool pushes_error_code(unsigned vector)
{
	return vector == X86_VEC_DF || (vector >= X86_VEC_TS &&
					vector <= X86_VEC_PF) ||
	       vector == X86_VEC_AC || vector == X86_VEC_CP ||
	       vector == X86_VEC_VC || vector == X86_VEC_SX;
}

/* An exception exit of vmcb02 (vector, EXITINFO1 the error code,
 * EXITINFO2 a #PF's address), delivered into L2. */
static void l2_exception(struct cpu *cpu, union svm_event pending,
			 unsigned vector)
{
	const struct vmcb_control *c = &cpu->cur->control;
	bool err = pushes_error_code(vector);

	if (vector == X86_VEC_PF && !pending.valid) {
		nested_deliver_pf(cpu, (uint32_t)c->exit_info_1, c->exit_info_2);
		return;
	}
	if (!err) {
		union svm_event ev = {
			.vector = vector, .type = SVM_EVENT_EXCEPTION, .valid = 1,
		};
		int v = event_exception_during(event_from_cpu(pending), vector);

		if (v == (int)vector) {
			event_inject(cpu, cpu->cur, ev, 0);
			return;
		}
	}
	l2_exception_during(cpu, pending, (enum x86_vector)vector,
			    err ? (uint32_t)c->exit_info_1 : 0);
	if (vector == X86_VEC_PF)
		cpu->cur->save.cr2 = c->exit_info_2;
}

/* Does nestvisor look at this exit before L1's intercepts (the checks of
 * handle_exit_l0() ahead of them)? */
static inline __attribute__((always_inline)) bool
l0_first(const struct cpu *cpu, uint64_t code)
{
	if (code == VMEXIT_NPF || code == VMEXIT_SMI || code == VMEXIT_NMI ||
	    code == VMEXIT_SWINT || code == VMEXIT_PAUSE ||
	    code == VMEXIT_RDTSC || vmexit_is_invalid(code) ||
	    nested_feat_sees_exits(&cpu->nested.feat))
		return true;
	if (code == VMEXIT_IOIO || code == VMEXIT_MSR)
		return cpu->nested.maps_stale;
	return !(cpu->nested.l2_efer & X86_EFER_SVME) &&
	       (needs_svme(code) || code == VMEXIT_EXCP_BASE + X86_VEC_GP);
}

/* Every exit but the common one, in the order of the checks. */
static __attribute__((noinline)) void handle_exit_l0(struct cpu *cpu,
						     uint64_t code)
{
	struct vmcb_control *c = &cpu->cur->control;
	union svm_event pending = c->exit_int_info;
	uint32_t pending_err = c->exit_int_info_err;

	if (vmexit_is_invalid(code)) {
		vmcb02_invalid(cpu);
		return;
	}
	/* vNMI's single step and no-execute root (svm/nested_feat_vnmi.c)
	 * see every exit first. */
	if (nested_feat_exit_early(cpu, &cpu->nested.feat, code))
		goto reinject;
	if (code == VMEXIT_NPF) {
		handle_npf(cpu); /* svm/npf.c, whoever's the fault is */
		goto reinject;
	}
	/* An SMI from outside (not a request svm/smi_cmd.c holds): taken
	 * now, it cannot wait (svm/smi.c); L1 intercepting SMI gets the
	 * #VMEXIT it would have had. */
	if (code == VMEXIT_SMI) {
		handle_smi(cpu);
		if (nested_l1_intercepts(cpu, VMEXIT_SMI, 0)) {
			nested_vmexit(cpu, VMEXIT_SMI, 0, 0, 0);
			return;
		}
		goto reinject;
	}
	/* Every NMI exits to nestvisor first: a kick, or an NMI that
	 * svm/nmi.c delivers (to L1 as #VMEXIT(NMI) if it intercepts NMI). */
	if (code == VMEXIT_NMI) {
		smp_handle_nmi(cpu); /* svm/nmi.c */
		goto reinject;
	}
	/* vmcb02 runs with EFER.SVME set, whatever L2's: an SVM instruction
	 * of L2 with its EFER.SVME clear raises #UD ahead of any intercept
	 * of L1 and of its own #GP (APM Vol. 2 §15.9: instruction intercepts
	 * are checked after #UD and #GP).  The CPU reports either the
	 * instruction's exit or, for its #GP checks, a #GP that vmcb02
	 * intercepts while L2's SVME is clear (svm/nested.c). */
	if (!(cpu->nested.l2_efer & X86_EFER_SVME) &&
	    (needs_svme(code) || (code == VMEXIT_EXCP_BASE + X86_VEC_GP &&
				  svm_insn_at_rip(cpu)))) {
		inject_exception(cpu, X86_VEC_UD, false, 0);
		goto reinject;
	}
	/* An access the permission maps govern, while they were stale: with
	 * the maps made again, neither L1 nor nestvisor may intercept it,
	 * and then L2 executes it again itself (svm/nested_maps.c). */
	if ((code == VMEXIT_IOIO || code == VMEXIT_MSR) &&
	    nested_maps_refresh(cpu) &&
	    !nested_l1_intercepts(cpu, code, c->exit_info_1) &&
	    !nested_maps_l0_intercepts(cpu, code, c->exit_info_1))
		return;
	/* INT3, INTO, INTn: decided by the instruction (svm/nested_swint.c). */
	if (code == VMEXIT_SWINT) {
		nested_swint(cpu);
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
	case VMEXIT_CR4_WRITE:
		handle_cr4_write(cpu);
		break;
	case VMEXIT_CR0_SEL_WRITE:
		handle_cr0_write(cpu);
		break;
	case VMEXIT_INVD:
		handle_invd(cpu);
		break;
	case VMEXIT_WBINVD:
		handle_wbinvd(cpu);
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
	case VMEXIT_EXCP_BASE + X86_VEC_GP:
		/* nestvisor's own #GP intercept (L2's EFER.SVME clear) of an
		 * instruction that is no SVM one: the #GP L2 would have got. */
		l2_exception_during(cpu, pending, X86_VEC_GP, c->exit_info_1);
		break;
	case VMEXIT_VMLOAD:
	case VMEXIT_VMSAVE:
		nested_vmload_vmsave(cpu, code == VMEXIT_VMLOAD);
		break;
	case VMEXIT_STGI:
	case VMEXIT_CLGI:
		nested_gif(cpu, code == VMEXIT_STGI);
		break;
	case VMEXIT_INVLPGA:
		nested_invlpga(cpu);
		break;
	case VMEXIT_VMMCALL:
	case VMEXIT_SKINIT:
		/* Not intercepted by L1: VMMCALL without an intercept raises
		 * #UD (APM Vol. 2 §15.16; nestvisor's hypercalls are L1's);
		 * SKINIT is not offered. */
		inject_exception(cpu, X86_VEC_UD, false, 0);
		break;
	default:
		if (nested_feat_exit(cpu, code)) /* svm/nested_feat.c */
			break;
		/* An exception vmcb02 intercepts for nestvisor alone (vNMI's
		 * single step): L2 gets it as the CPU would have delivered
		 * it. */
		if (code == VMEXIT_EXCP_BASE + X86_VEC_BP ||
		    code == VMEXIT_EXCP_BASE + X86_VEC_OF) {
			nested_swint(cpu); /* INT3, INTO: RIP at them */
			break;
		}
		if (vmexit_in(code, VMEXIT_EXCP_BASE, VMEXIT_EXCP_LAST)) {
			l2_exception(cpu, pending, code - VMEXIT_EXCP_BASE);
			break;
		}
		panic("L2 exit code 0x%lx that neither L1 nor nestvisor "
		      "intercepts", code);
	}
reinject:
	/* Still in L2 (not reflected): an event whose delivery the exit
	 * interrupted is delivered again. */
	if (!cpu->nested.guest_mode)
		return;
	reinject_interrupted(cpu, pending, pending_err);
	/* The shadow NPT or L1's NPT changed under L2: flush its TLB (tagged
	 * by ASID only, not by nested page table). */
	nested_npt_tlb_flush02(cpu, c);
}

void nested_handle_exit(struct cpu *cpu)
{
	const struct vmcb_control *c = &cpu->cur->control;
	uint64_t code = c->exit_code;

	/* An INIT that reached the CPU is nestvisor's (svm/init_sipi.c). */
	if (code == VMEXIT_EXCP_BASE + X86_VEC_SX) {
		sipi_init_arrived(cpu);
		return;
	}
	/* What vmcb02 was entered with (svm/inject.c), for re-injection. */
	cpu->entered_with = cpu->injected[1];
	cpu->injected[1].raw = 0;
	/* The common case first: an exit of L1's that nestvisor has no part
	 * in (none of the checks ahead of L1's intercepts applies). */
	if (!l0_first(cpu, code) &&
	    nested_l1_intercepts(cpu, code, c->exit_info_1)) {
		reflect(cpu);
		return;
	}
	handle_exit_l0(cpu, code);
}
