// SPDX-License-Identifier: MIT
/*
 * INIT and SIPI under nestvisor.
 *
 * Why in software.  SVM has no wait-for-SIPI state a hypervisor could
 * intercept: an INIT that reaches a CPU resets it and takes it out of
 * guest mode (QEMU 7.2's TCG does so even with the INIT intercept set: it
 * leaves the INIT pending after the #VMEXIT and resets the host).  So no
 * INIT sent by L1 ever reaches a virtualized CPU: nestvisor catches every
 * INIT and SIPI at the sender (svm/apic.c, L1's writes to its ICR) and
 * hands them over in software, through a mailbox in each target:
 *   init_seq  the number of INITs sent to the target so far;
 *   sipi      the last SIPI sent to it: valid bit, the init_seq current
 *             when it was sent, the vector.
 * Senders write both under one lock (ipi_lock), so a SIPI always carries
 * the count of the INITs sent before it.  After posting an INIT the sender
 * kicks the target (an NMI, svm/smp.c) so that it leaves guest mode.  An
 * INIT that reaches the CPU anyway (hardware: VM_CR.R_INIT turns it into
 * #SX, which vmcb01 and vmcb02 intercept) is posted to the CPU itself.
 *
 * The target, before every VMRUN, with GIF clear (sipi_poll):
 *  T1. If init_seq != init_done and an INIT can be taken now: init_done =
 *      init_seq; L2, if running, is left (or, when L1 intercepts INIT, L1
 *      gets #VMEXIT(INIT) first and the INIT waits for L1's GIF, as on
 *      the CPU: APM Vol. 2 §15.17 holds INIT while GIF is clear); vmcb01
 *      gets the processor-initialization state (APM Vol. 2 §14.1.3,
 *      vcpu_init_state) and the local APIC its INIT state as far as
 *      software can (svm/apic.c); then the boot CPU (APIC_BASE.BSP)
 *      starts at the reset vector F000:FFF0 and an AP waits for a SIPI.
 *  T2. While waiting: a SIPI that is valid with seq == init_done starts
 *      the CPU at CS = vector << 8, CS base = vector << 12, RIP = 0, real
 *      mode; an INIT that arrives meanwhile just moves init_done on (the
 *      state is the INIT state already).  The CPU waits in host mode, not
 *      counted as in guest mode (TLB shootdowns do not wait for it: it
 *      flushes at its VMRUN), with GIF clear but opened for one
 *      instruction at every turn, IF clear, as svm/smi.c does: an SMI
 *      is taken there, and so is a kick.  The firmware's SMM waits for
 *      every CPU to enter it (OVMF up to 1 s at each SMI), and this one
 *      is in nestvisor's host mode, not in a wait-for-SIPI state the
 *      firmware could know about.
 *
 * Event sequences (S = sender, T = target; seq = T's init_seq):
 *  a. Linux, OVMF: S sends INIT, SIPI(v), SIPI(v).  INIT: seq 1, kick.
 *     T1: T waits.  SIPI{1,v}: T2 starts T at v.  The second SIPI{1,v}
 *     finds T running: nothing looks at it, as the CPU ignores a SIPI
 *     outside wait-for-SIPI.
 *  b. SIPI before T has acted on the INIT (T still in the guest, the kick
 *     on its way): SIPI{1,v} is already there when T1 runs; T2 starts T.
 *  c. A stale SIPI: SIPI{1,v} sent while T runs (no INIT since seq 1),
 *     then INIT (seq 2): T1 waits; SIPI{1,v} has seq 1 != 2, never used;
 *     SIPI{2,w} starts T at w.
 *  d. A second INIT after the SIPI (an OS that retries; the VMware case
 *     HelloAmdHvPkg describes, where the INIT is late): it is seq 2, T1
 *     puts T back into the INIT state and T waits for a new SIPI, which
 *     is what the CPU would do with an INIT after the SIPI.  (A late INIT
 *     cannot arise here: S's INIT is counted before S's SIPI is posted.)
 *  e. INIT, INIT, SIPI: T may act on one or both INITs; either way it
 *     ends in the INIT state with init_done = 2, and SIPI{2,v} starts it.
 *  f. Two senders: every SIPI is posted with the seq current under the
 *     lock; T starts on the last one posted after the last INIT.
 *  g. INIT level de-assert: no effect on any CPU since the Pentium 4 and
 *     K8; dropped at the sender.
 * INIT and SIPI to a parked CPU are dropped at the sender: it never runs.
 */
#include "svm/init_sipi.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "mm/spinlock.h"
#include "core/x86.h"
#include "svm/apic.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/smp.h"
#include "svm/vnmi01.h"

static struct spinlock ipi_lock = SPINLOCK_INIT;

void sipi_send_init(struct cpu *target)
{
	spin_lock(&ipi_lock);
	__atomic_store_n(&target->sipi.init_seq, target->sipi.init_seq + 1,
			 __ATOMIC_RELEASE);
	spin_unlock(&ipi_lock);
	smp_post(target);
	smp_kick(target);
}

void sipi_send_sipi(struct cpu *target, uint8_t vector)
{
	spin_lock(&ipi_lock);
	__atomic_store_n(&target->sipi.sipi,
			 SIPI_VALID | (uint64_t)target->sipi.init_seq << 8 | vector,
			 __ATOMIC_RELEASE);
	spin_unlock(&ipi_lock);
}

/* #SX in the guest: an INIT reached this CPU (VM_CR.R_INIT). */
void sipi_init_arrived(struct cpu *cpu)
{
	spin_lock(&ipi_lock);
	__atomic_store_n(&cpu->sipi.init_seq, cpu->sipi.init_seq + 1,
			 __ATOMIC_RELEASE);
	spin_unlock(&ipi_lock);
	smp_post(cpu);
}

static struct vmcb_seg real_seg(uint16_t sel, uint16_t attrib, uint64_t base)
{
	struct vmcb_seg s = { .selector = sel, .limit = 0xffff, .base = base };

	s.attrib.raw = attrib;
	return s;
}

/* Attributes (VMCB format, APM Vol. 2 §15.5.1): present, S, type. */
#define ATTR_CODE 0x9b /* code, readable, accessed */
#define ATTR_DATA 0x93 /* data, writable, accessed */
#define ATTR_LDT  0x82 /* system: LDT */
#define ATTR_TSS  0x8b /* system: busy 32/64-bit TSS */

void vcpu_init_state(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vmcb *v = cpu->vmcb01;
	struct vmcb_save *s = &v->save;
	struct vmcb_control *c = &v->control;

	/* Out of L2, L1's SVM back to its INIT state: EFER.SVME clear, GIF
	 * set. */
	n->guest_mode = false;
	n->svme = false;
	nested_set_gif(cpu, true);
	cpu->cur = cpu->vmcb01;
	cpu->decode_cur = cpu->decode_cache[0];
	cpu->cur_pa = cpu->vmcb01_pa;
	cpu->cur_host_if = 0;
	cpu->cur_phys = &l1_gmem;
	cpu->nmi_pending = false;

	/* APM Vol. 2 §14.1.3, "Processor Initialization State". */
	s->cs = real_seg(0xf000, ATTR_CODE, 0xffff0000);
	s->ds = s->es = s->ss = s->fs = s->gs = real_seg(0, ATTR_DATA, 0);
	s->gdtr = real_seg(0, 0, 0);
	s->idtr = real_seg(0, 0, 0);
	s->ldtr = real_seg(0, ATTR_LDT, 0);
	s->tr = real_seg(0, ATTR_TSS, 0);
	s->cpl = 0;
	s->efer = X86_EFER_SVME; /* L1 sees EFER = 0: SVME is virtual */
	s->cr0 = 0x60000010;     /* CD, NW, ET */
	s->cr2 = 0;
	s->cr3 = 0;
	s->cr4 = 0;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->rflags = 2;
	s->rip = 0xfff0;
	s->rsp = 0;
	s->rax = 0;              /* BIST passed */
	cpu->gregs = (struct guest_regs){ .rdx = cpuid(1).eax };
	__asm__ volatile("mov %0, %%dr0; mov %0, %%dr1; mov %0, %%dr2; "
			 "mov %0, %%dr3" ::"r"(0ull));

	c->int_ctl &= ~(V_TPR_MASK | V_IRQ);
	vnmi01_setup(c, vnmi01_on(c)); /* no NMI pending or in service */
	c->int_state = 0;
	c->event_inj = (union svm_event){ 0 };
	c->event_inj_err = 0;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	decode_cache_clear(cpu, 0);
	decode_cache_clear(cpu, 1);
}

void vcpu_start_at(struct cpu *cpu, uint16_t cs_sel, uint64_t cs_base,
		   uint64_t rip)
{
	struct vmcb_save *s = &cpu->vmcb01->save;

	s->cs.selector = cs_sel;
	s->cs.base = cs_base;
	s->rip = rip;
}

/* Can the INIT be taken now?  Leaves L2 or reflects the INIT to L1 as
 * T1 says; false while L1's GIF holds it. */
static bool init_can_be_taken(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	if (n->guest_mode && nested_l1_intercepts(cpu, VMEXIT_INIT, 0)) {
		nested_vmexit(cpu, VMEXIT_INIT, 0, 0, 0);
		return false;
	}
	if (n->guest_mode || nested_gif_get(cpu))
		return true;
	nested_gif_hold(cpu); /* until L1's STGI */
	return false;
}

static void take_init(struct cpu *cpu, uint32_t seq)
{
	struct sipi_mailbox *m = &cpu->sipi;

	m->init_done = seq;
	m->nr_init++;
	vcpu_init_state(cpu);
	host_cr4_follow(cpu->vmcb01->save.cr4); /* 0 now: svm/cr.c */
	apic_soft_init(cpu);
	if (rdmsr(MSR_APIC_BASE) & APIC_BASE_BSP) {
		log_debug("CPU %u: INIT: the boot CPU restarts at F000:FFF0",
			  cpu->idx);
		m->state = VCPU_RUNS;
		return;
	}
	log_debug("CPU %u: INIT: waiting for a SIPI", cpu->idx);
	m->state = VCPU_WAITS_SIPI;
}

/* One turn of the wait for a SIPI: the GIF open for one instruction
 * (T2 above); an NMI taken there is a kick or held for L1 (svm/nmi.c). */
static void wait_turn(struct cpu *cpu)
{
	uint64_t nmis = *cpu->nmi_count;

	__asm__ volatile("stgi\n\tnop\n\tclgi" ::: "memory");
	if (*cpu->nmi_count != nmis)
		smp_nmi_taken(cpu);
	cpu_relax();
}

void sipi_poll(struct cpu *cpu)
{
	struct sipi_mailbox *m = &cpu->sipi;
	uint32_t seq = __atomic_load_n(&m->init_seq, __ATOMIC_ACQUIRE);

	if (seq != m->init_done) {
		if (m->state == VCPU_WAITS_SIPI)
			m->init_done = seq;
		else if (init_can_be_taken(cpu))
			take_init(cpu, seq);
	}
	while (m->state == VCPU_WAITS_SIPI) {
		uint64_t sipi = __atomic_load_n(&m->sipi, __ATOMIC_ACQUIRE);

		if ((sipi & SIPI_VALID) &&
		    (uint32_t)(sipi >> 8) == m->init_done) {
			uint8_t vector = (uint8_t)sipi;

			vcpu_start_at(cpu, (uint16_t)(vector << 8),
				      (uint64_t)vector << 12, 0);
			m->state = VCPU_RUNS;
			m->nr_sipi++;
			log_debug("CPU %u: SIPI: starts at %02x00:0000",
				  cpu->idx, vector);
			break;
		}
		seq = __atomic_load_n(&m->init_seq, __ATOMIC_ACQUIRE);
		if (seq != m->init_done)
			m->init_done = seq;
		wait_turn(cpu);
	}
}
