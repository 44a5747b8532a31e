/* SPDX-License-Identifier: MIT */
/*
 * Handlers of L1's intercepted events, one file each (svm/cpuid.c,
 * svm/msr.c, svm/ioio.c, svm/npf.c; hypercalls in svm/hypercall.c).
 * svm/exit.c dispatches to them.
 */
#ifndef NV_SVM_INTERCEPTS_H
#define NV_SVM_INTERCEPTS_H

#include <stdint.h>

#include "core/x86.h"
#include "svm/vcpu.h"
#include "svm/insn.h"

/*
 * The intercepts nestvisor needs for itself: vmcb01 runs with exactly
 * these, every vmcb02 with these OR'd with L1's (svm/nested.c).  VMRUN
 * must be intercepted (a VMRUN consistency check); L1's SVM instructions
 * are emulated (svm/nested*.c); CPUID, MSRs and I/O are filtered by the
 * handlers below and the permission maps; SHUTDOWN is logged; SMIs are
 * taken in host mode (svm/smi.c); MOV to CR4, and MOV to CR0 and LMSW
 * where they change a bit other than TS and MP (the selective CR0 write
 * intercept), are checked (svm/cr.c);
 * INVD becomes WBINVD (svm/cache.c, which also takes WBINVD); NMI,
 * because other CPUs kick this one with NMIs (svm/smp.c); #SX, an INIT
 * that reached the CPU (VM_CR.R_INIT, svm/init_sipi.c).
 */
#define L0_INTERCEPT1 (INTERCEPT1_SMI | INTERCEPT1_CPUID | INTERCEPT1_INVD |  \
		       INTERCEPT1_MSR_PROT | INTERCEPT1_IOIO_PROT |           \
		       INTERCEPT1_SHUTDOWN | INTERCEPT1_INVLPGA |             \
		       INTERCEPT1_NMI | INTERCEPT1_CR0_SEL_WRITE)
#define L0_INTERCEPT_EXCEPTIONS (1u << X86_VEC_SX)
/* MOV to CR4: checked as the CPU would (svm/cr.c). */
#define L0_INTERCEPT_CR (1u << (16 + 4))
#define L0_INTERCEPT2 (INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL |               \
		       INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE | INTERCEPT2_STGI | \
		       INTERCEPT2_CLGI | INTERCEPT2_SKINIT | INTERCEPT2_WBINVD)

/* The exit handler (svm/exit.c) svm/vmrun.S calls through cpu->exit_fn:
 * svm_handle_exit_traced() with log=trace, which logs every exit first,
 * else svm_handle_exit(). */
void svm_handle_exit(struct cpu *cpu);
void svm_handle_exit_traced(struct cpu *cpu);

void handle_cpuid(struct cpu *cpu);
void handle_msr(struct cpu *cpu);
void handle_ioio(struct cpu *cpu);
void handle_npf(struct cpu *cpu);
void handle_vmmcall(struct cpu *cpu);
void handle_smi(struct cpu *cpu);

/* L1 cannot continue (a triple fault, a state the CPU refuses): logged
 * with why and the vCPU's state, then the run ends as for a triple fault
 * (QEMU status 251, or halt).  Never returns. */
__attribute__((noreturn)) void l1_shutdown(struct cpu *cpu, const char *why);
/* nestvisor's own CR4 in host mode takes L1's PGE, PSE, SMEP and SMAP
 * from l1_cr4 (svm/cr.c: L1's MOV CR4, and INIT's CR4 of 0). */
void host_cr4_follow(uint64_t l1_cr4);
void handle_cr4_write(struct cpu *cpu);
void handle_invd(struct cpu *cpu);
void handle_wbinvd(struct cpu *cpu);

/* General-purpose register n (0 RAX ... 15 R15) of the running guest. */
uint64_t guest_gpr(const struct cpu *cpu, unsigned n);

/* MOV to CR0 and LMSW (svm/cr0_check.c): the state they are checked
 * against (the CR0, CR4 and EFER before the write; CS.L), whether a
 * write of val raises #GP(0) (APM Vol. 2 §3.1.1, §14.6, §14.7), the CR0
 * that MOV val or LMSW src leaves, and EFER.LMA after it. */
struct cr0_write {
	uint64_t cr0, cr4, efer;
	bool cs_l;
};
bool cr0_write_faults(const struct cr0_write *w, uint64_t val);
uint64_t cr0_written(uint64_t old, uint64_t val);
uint64_t cr0_lmsw(uint64_t old, uint16_t src);
uint64_t cr0_efer_after(uint64_t efer, uint64_t old, uint64_t val);
void handle_cr0_write(struct cpu *cpu);

/* Does MOV CR4 of val (over old) raise #GP on a CPU whose supported CR4
 * bits are allowed, with these CR0, CR3 and EFER?  (svm/cr.c) */
bool cr4_write_faults(uint64_t allowed, uint64_t old, uint64_t val,
		      uint64_t cr0, uint64_t cr3, uint64_t efer);

/* Did the CPU put the host's state into this save area?  QEMU TCG does
 * when it refuses a VMRUN (docs/semantics.md §10.3); RIP is then
 * nestvisor's own VMRUN (svm/vmrun.S). */
extern const char svm_vmrun_insn[], svm_after_vmrun[];
static inline bool vmcb_has_host_state(const struct vmcb_save *s)
{
	return s->rip == (uint64_t)svm_vmrun_insn ||
	       s->rip == (uint64_t)svm_after_vmrun;
}

/* Event injection (svm/inject.c, APM Vol. 2 §15.20).  event_inject():
 * into v (vmcb01 or vmcb02) for its next run, after the legality check.
 * inject_exception(): an exception nestvisor raises in the running guest
 * (a fault: RIP unchanged), or the #VMEXIT to L1 when L1 intercepts it
 * for its L2.  reinject_interrupted(): after an exit nestvisor handled,
 * the event whose delivery it interrupted (EXITINTINFO as the CPU gave
 * it), svm/event.h event_to_reinject(). */
void event_inject(struct cpu *cpu, struct vmcb *v, union svm_event ev,
		  uint32_t err);
void inject_exception(struct cpu *cpu, enum x86_vector vector, bool has_err,
		      uint32_t err);
void reinject_interrupted(struct cpu *cpu, union svm_event exitintinfo,
			  uint32_t err);

/* An NMI into the running guest (EVENTINJ type NMI, vector 2). */
void inject_nmi(struct cpu *cpu);

/* Does the VMCB already carry an event to inject at the next VMRUN? */
bool event_inj_pending(const struct vmcb *v);

/* NMIs for the guest (svm/nmi.c): one arrived (an NMI exit that was not
 * a kick); deliver a held one if the guest can take it now. */
void nmi_arrived(struct cpu *cpu);
void nmi_deliver(struct cpu *cpu);

/* Before a VMRUN: what the GIF held, once it is set, in the CPU's order:
 * an SMI request (svm/smi_cmd.c), then an NMI (svm/nested_gif.c). */
void gif_deliver_held(struct cpu *cpu);

/* The running guest's instruction that nestvisor emulated is complete
 * (RIP is past it, its effects done: handlers complete it last): RF is
 * cleared and, with TF set, DR6.BS is set and the single-step #DB trap
 * raised through inject_exception().  For L1's VMRUN the trap waits in
 * vmcb01 and is taken when L1 resumes after the #VMEXIT, at the
 * instruction after VMRUN (svm/inject.c). */
void instruction_completed_slow(struct cpu *cpu);
static inline void instruction_completed(struct cpu *cpu)
{
	if (__builtin_expect(cpu->cur->save.rflags &
			     (X86_RFLAGS_RF | X86_RFLAGS_TF), 0))
		instruction_completed_slow(cpu);
}

/*
 * An emulated instruction completes in the order the CPU's does: every
 * check that can fault first (no effect at all when one does), then its
 * effect, then RIP past it, then the single-step trap (APM Vol. 2
 * §13.1.4), so that a #VMEXIT the trap causes shows the effect.
 * insn_begin() is the first check: the length of the intercepted
 * instruction op at RIP (next_rip - RIP where the CPU has NRIPS,
 * otherwise by decoding the bytes at RIP, svm/nrip.c), or -NV_EINVAL
 * after injecting #UD when the bytes there are not op.  The handler then
 * makes its own checks, does the work and ends with
 * guest_advance_rip(cpu, len).  skip_instruction() is both at once, for
 * an instruction with no effect of its own to carry out.
 */
int insn_begin_slow(struct cpu *cpu, enum insn_op op);
int skip_instruction(struct cpu *cpu, enum insn_op op);

/* The decode cache (svm/nrip.c): decode_cache_init() empties it (at
 * start-up), decode_cache_clear() empties guest level 0 (L1) or 1 (L2)
 * when the level's code moves to another address space, and at INIT. */
void decode_cache_init(struct cpu *cpu);
void decode_cache_clear(struct cpu *cpu, unsigned level);

/* The length of the instruction op at the running guest's RIP, or
 * -NV_EINVAL if the bytes there are not op. */
int guest_insn_len(struct cpu *cpu, enum insn_op op);

/* Is the instruction at the running guest's RIP op?  As guest_insn_len()
 * (the decode cache first), without a warning when it is not. */
bool guest_insn_is(struct cpu *cpu, enum insn_op op);

/* Up to len bytes of the running guest's code from CS:RIP, fetched as the
 * CPU would (its paging, its CPL, CS's limit outside 64-bit mode); stops
 * at the first page that cannot be fetched.  Returns the count; *la gets
 * CS:RIP's linear address and *mode the code's mode. */
unsigned guest_code_fetch(struct cpu *cpu, uint8_t *buf, unsigned len,
			  uint64_t *la, enum insn_mode *mode);

/* Whatever instruction is at the running guest's RIP (svm/insn.h): 0, or
 * -NV_EINVAL when it cannot be read or is none nestvisor knows. */
int guest_insn_decode(struct cpu *cpu, struct insn *in);

/* The same, when it must be op: 0, or -NV_EINVAL if the bytes there are
 * not op. */
int guest_insn_decode_op(struct cpu *cpu, enum insn_op op, struct insn *in);

/* rAX as VMRUN, VMLOAD, VMSAVE and INVLPGA (len bytes long, from
 * insn_begin()) use it: the part of RAX the effective address size
 * selects (APM Vol. 3, each instruction: RAX, EAX or AX by the code size
 * and a 67h prefix). */
uint64_t guest_insn_rax(struct cpu *cpu, unsigned len);

/* The linear address delta bytes after CS:RIP of the running guest's
 * state s: RIP + delta in 64-bit mode, otherwise CS.base + EIP (or IP)
 * + delta modulo 2^32, as the CPU forms it (svm/nrip.c). */
uint64_t guest_code_la(const struct vmcb_save *s, uint64_t delta);

/* RIP + len, wrapped to the code size of s (IP, EIP or RIP). */
uint64_t guest_next_rip(const struct vmcb_save *s, unsigned len);

/* The code size of s: 64-bit mode (EFER.LMA and CS.L), else CS.D's. */
enum insn_mode guest_code_mode(const struct vmcb_save *s);

/* Reads len bytes of data at linear address la as the running guest does
 * (its paging, a read at its CPL; 32-bit linear addresses wrap outside
 * 64-bit mode): 0; -NV_ENOENT after raising the #PF the read raises (CR2
 * and the error code from the walk); -NV_EFAULT when nestvisor cannot
 * reach that memory (nothing raised). */
int guest_read_data(struct cpu *cpu, uint64_t la, void *buf, unsigned len);

/* Translates the running guest's linear address la for an access of
 * kind access (PFERR_WRITE, PFERR_USER, PFERR_FETCH) through its paging,
 * setting accessed and dirty bits as the CPU's walk does, raising
 * nothing: 0 with r->out the guest-physical address and r->access the
 * rights (ACC_*; all of them without paging), or -NV_ENOENT when the
 * access would fault or the walk cannot finish. */
struct walk_result;
int guest_translate(struct cpu *cpu, uint64_t la, uint64_t access,
		    struct walk_result *r);

/* RIP += len, wrapped to the code size (16, 32 or 64 bits), then
 * instruction_completed(): the end of every emulated instruction, its
 * length from insn_begin() or guest_insn_decode() (svm/apic.c). */
void guest_advance_rip(struct cpu *cpu, unsigned len);

/* insn_begin(): its common case inline (svm/decode_cache.h), else
 * insn_begin_slow() (svm/nrip.c), which gives the same answer. */
#include "svm/decode_cache.h"

static inline int insn_begin(struct cpu *cpu, enum insn_op op)
{
	unsigned len = insn_len_cached(cpu, op);

	return __builtin_expect(len != 0, 1) ? (int)len :
					       insn_begin_slow(cpu, op);
}

#endif
