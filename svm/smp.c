// SPDX-License-Identifier: MIT
/*
 * The CPUs under nestvisor and the requests they make of each other
 * (svm/smp.h).
 *
 * Kicks.  A CPU that wants another to act (flush its TLB, take an INIT or
 * an NMI another CPU sent it) sets a flag in the target's struct cpu, then
 * sets target->kicked and, if it was clear, sends the target an NMI: at
 * most one kick NMI is on its way to a CPU at a time.  vmcb01 and vmcb02
 * intercept NMI, so a target in guest mode exits; a target in host mode
 * has GIF clear, so the NMI waits and makes its next VMRUN exit at once.
 * Either way the target's exit handler first opens GIF for an instant
 * (svm/hw.c hw_collect_nmi) so that the pending NMI is taken by
 * nestvisor's own handler (core/idt.S, which counts it), then clears kicked: it was set, so the
 * NMI was the kick (the requests are acted on before every VMRUN,
 * svm_prepare_entry).  An NMI exit with kicked clear is an NMI from
 * outside (the chipset, the local APIC's own LVT), delivered to the guest
 * (svm/nmi.c); L1's NMI IPIs never are one: they reach their target as a
 * request (svm/apic.c), so kicks and L1's NMIs cannot be confused.  (An
 * outside NMI that arrives while a kick is on its way is taken for the
 * kick and lost, and the kick's NMI then for an outside one: only outside
 * NMIs, rare, are ever misread.)
 *
 * Every request is also posted (smp_post(): entry_req = 1, after the
 * request's own data), so that a VMRUN needs one look to know that
 * nothing waits: svm_prepare_entry() acts on the requests only when
 * entry_req is set, or an NMI or an SMI request is held, or shadow pages
 * wait to be freed, and otherwise only on L2's emulated vNMI.
 *
 * TLB shootdown (smp_flush_l1_tlbs).  The initiator I, for every vCPU T:
 *   I1. T->flush_req = 1, T->entry_req = 1       (seq_cst stores)
 *   I2. if T->in_guest (seq_cst load): s = T->nr_exits, kick T, and wait
 *       while T->in_guest and T->nr_exits == s.
 * T, before each VMRUN (svm_prepare_entry), with GIF clear:
 *   T1. T->in_guest = 1, or 2 for L2 on a shadow NPT (seq_cst store)
 *   T2. if T->entry_req (seq_cst load): in_guest = 0, entry_req = 0, and
 *       if exchange(T->flush_req, 0): TLB_CONTROL = flush all for this
 *       VMRUN (with the other requests); then T1 again
 * and first thing after each #VMEXIT: in_guest = 0, nr_exits + 1 (release
 * stores: I only waits for them).
 * Why it is enough: by the single order of seq_cst operations, either T2
 * comes after I1 (T sees entry_req, takes flush_req and flushes at the
 * VMRUN that follows) or I2 sees T1's in_guest = 1 and waits until T has
 * left guest mode at least once after I1, and the T1/T2 before its next
 * VMRUN come after I2, so T2 sees entry_req and then the flag, or a
 * later T2 already took it and flushed after I1.  I never waits for a CPU
 * in host mode, so two CPUs shooting down at once, or a CPU in host mode
 * that waits for a lock I holds, cannot deadlock with I.  (On a CPU without vNMI, I
 * can wait for a guest that keeps NMIs blocked: L1 inside its own NMI
 * handler; the kick is then taken at L1's IRET.  With vNMI, L1's NMIs
 * mask only virtual NMIs, svm/vnmi01.h, and kicks still exit.)
 *
 * Write-protection only (smp_flush_l1_writes): I does not wait for a T
 * whose in_guest is 2.  T runs L2 with vmcb02 on a shadow NPT, under
 * vmcb02's own ASID: the translations it can use come from the shadow,
 * not from L1's NPT, so it cannot write a page through L1's old rights
 * until its next VMRUN of vmcb01, and T2 before that VMRUN sees I1's flag
 * (I2 read T1's value, so T's later exit and T2 follow I1 in the seq_cst
 * order) and flushes every ASID.  A shootdown that frees a table of L1's
 * NPT (smp_flush_l1_tlbs) still waits for every CPU in guest mode: page
 * walk caches are not promised to be per ASID.  (Without vNMI, I can
 * wait for a guest that keeps NMIs blocked, as above.)  Every wait is bounded: a target still in
 * guest mode SMP_REKICK_CYCLES after its kick is logged and sent another
 * NMI, in case the first was lost (an NMI the CPU took outside an exit
 * leaves kicked set, which would stop every later kick).  Should the
 * first one still arrive, the second is then read as an outside NMI and
 * given to the guest: one spurious NMI, after a stall long enough to log.
 *
 * Who waits, and for how long.  The shootdown's cost is the time until
 * every other CPU in guest mode has exited once; under QEMU on a loaded
 * host that is until the host schedules each of their vCPU threads.  So
 * nobody waits here with a lock others need to exit or to go on working:
 * the shadow NPT protects L1 pages under its lock and shoots down after
 * dropping it (mm/snpt_smp.c, "Flushes"), CPUs protecting at the same
 * time share one shootdown, and a release's merge of L1's NPT, with the
 * shootdown before its tables are freed, also runs after the lock is
 * dropped (hooks.released, svm/nested_npt.c).
 */
#include "svm/smp.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "mm/spinlock.h"
#include "core/x86.h"
#include "svm/intercepts.h"
#include "svm/nested.h"
#include "svm/vcpu.h"

struct smp smp;

uint32_t smp_this_apic_id(void)
{
	if (cpuid(0).eax >= 0xb && cpuid_count(0xb, 0).ebx)
		return cpuid_count(0xb, 0).edx;
	return cpuid(1).ebx >> 24;
}

struct cpu *smp_cpu(unsigned idx)
{
	if (idx >= smp.nr || __atomic_load_n(&smp.slot[idx].status,
					     __ATOMIC_ACQUIRE) != CPU_RUNNING)
		return 0;
	return smp.slot[idx].cpu;
}

struct cpu_slot *smp_slot_of(uint32_t apic_id)
{
	for (unsigned i = 0; i < smp.nr; i++)
		if (smp.slot[i].apic_id == apic_id)
			return &smp.slot[i];
	return 0;
}

struct cpu *smp_this_cpu(void)
{
	struct cpu_slot *s = smp_slot_of(smp_this_apic_id());

	if (!s || __atomic_load_n(&s->status, __ATOMIC_ACQUIRE) != CPU_RUNNING)
		return 0;
	return s->cpu;
}

/* svm/launch.S: switches to the stack and halts there for good. */
__attribute__((noreturn)) void park_on_stack(uint64_t stack_top);

void smp_park(struct cpu_slot *s, const char *why)
{
	struct park_area *p = s->park;

	s->why = why;
	log_warn("CPU %u (APIC ID %u) is not virtualized and stays halted: %s",
		 (unsigned)(s - smp.slot), s->apic_id, why);
	cli();
	/* IST: the middle of the stack (the count at its top, core/idt.S). */
	host_env_load(&p->desc, (uint64_t)p->stack + sizeof(p->stack) / 2);
	host_env_efer(hvmem.host_nx, false);
	write_cr3(hvmem.host_root);
	host_env_protect();
	__atomic_store_n(&s->status, CPU_PARKED, __ATOMIC_RELEASE);
	__atomic_fetch_add(&smp.nr_parked, 1, __ATOMIC_RELAXED);
	park_on_stack((uint64_t)p->stack + sizeof(p->stack));
}

void smp_post(struct cpu *target)
{
	__atomic_store_n(&target->entry_req, 1, __ATOMIC_SEQ_CST);
}

void smp_kick(struct cpu *target)
{
	if (!__atomic_exchange_n(&target->kicked, 1, __ATOMIC_SEQ_CST))
		apic_send_nmi(target->apic_id);
}

static void shootdown(struct cpu *self, bool writes_only)
{
	uint64_t seen[NV_MAX_CPUS];
	bool wait[NV_MAX_CPUS];

	for (unsigned i = 0; i < smp.nr; i++) {
		struct cpu *t = smp.slot[i].cpu;
		uint32_t g;

		wait[i] = false;
		if (!t || __atomic_load_n(&smp.slot[i].status,
					  __ATOMIC_ACQUIRE) != CPU_RUNNING)
			continue;
		__atomic_store_n(&t->flush_req, 1, __ATOMIC_SEQ_CST);
		smp_post(t);
		g = __atomic_load_n(&t->in_guest, __ATOMIC_SEQ_CST);
		if (t == self || !g || (writes_only && g == IN_GUEST_SHADOW))
			continue;
		seen[i] = __atomic_load_n(&t->nr_exits, __ATOMIC_SEQ_CST);
		wait[i] = true;
		smp_kick(t);
	}
	for (unsigned i = 0; i < smp.nr; i++) {
		struct cpu *t = smp.slot[i].cpu;
		uint64_t since = rdtsc();

		if (!wait[i])
			continue;
		while (__atomic_load_n(&t->in_guest, __ATOMIC_SEQ_CST) &&
		       __atomic_load_n(&t->nr_exits, __ATOMIC_SEQ_CST) == seen[i]) {
			cpu_relax();
			if (rdtsc() - since < SMP_REKICK_CYCLES)
				continue;
			log_warn_limited("CPU %u still in guest mode %lu cycles after a kick: kicked again",
					 i, (unsigned long)SMP_REKICK_CYCLES);
			__atomic_fetch_add(&smp.rekicks, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&t->kicked, 1, __ATOMIC_SEQ_CST);
			apic_send_nmi(t->apic_id);
			since = rdtsc();
		}
	}
}

void smp_flush_l1_tlbs(struct cpu *self)
{
	shootdown(self, false);
}

void smp_flush_l1_writes(struct cpu *self)
{
	shootdown(self, true);
}

/* The requests, in host mode (in_guest = 0, so that no shootdown waits
 * for this CPU meanwhile: an AP may wait here for its SIPI). */
static __attribute__((noinline)) void entry_requests(struct cpu *cpu)
{
	__atomic_store_n(&cpu->in_guest, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&cpu->entry_req, 0, __ATOMIC_SEQ_CST);
	if (sipi_init_pending(&cpu->sipi) ||
	    cpu->sipi.state == VCPU_WAITS_SIPI)
		sipi_poll(cpu);
	if (__atomic_load_n(&cpu->nmi_ipis, __ATOMIC_ACQUIRE) != cpu->nmi_ipis_done) {
		cpu->nmi_ipis_done = __atomic_load_n(&cpu->nmi_ipis,
						     __ATOMIC_ACQUIRE);
		cpu->nmi_pending = true;
	}
	gif_deliver_held(cpu);
	/* L2's virtual NMI, where nestvisor emulates vNMI (after the
	 * physical NMI, which may have ended L2's run). */
	nested_feat_entry(cpu, cpu->nested.guest_mode, &cpu->nested.feat);
	nested_npt_reclaim(cpu);
	if (__atomic_exchange_n(&cpu->flush_req, 0, __ATOMIC_SEQ_CST))
		cpu->cur->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	/* The writer set maps_req before its shootdown's flush_req
	 * (svm/nested_maps.c views_unwatched). */
	nested_maps_request(cpu);
}

/* T1's value: IN_GUEST_SHADOW while vmcb02 runs L2 on a shadow NPT. */
static inline __attribute__((always_inline)) uint32_t
in_guest_value(const struct cpu *cpu)
{
	return cpu->nested.guest_mode && cpu->nested.l2_np ? IN_GUEST_SHADOW
							   : IN_GUEST_L1NPT;
}

static __attribute__((noinline)) struct cpu *entry_slow(struct cpu *cpu)
{
	do {
		entry_requests(cpu);
		__atomic_store_n(&cpu->in_guest, in_guest_value(cpu),
				 __ATOMIC_SEQ_CST);
		/* A held NMI may have to wait for the GIF: not looked at
		 * again here. */
	} while (__atomic_load_n(&cpu->entry_req, __ATOMIC_SEQ_CST) |
		 *cpu->shadow_deferred);
	return cpu;
}

struct cpu *svm_prepare_entry(struct cpu *cpu)
{
	__atomic_store_n(&cpu->in_guest, in_guest_value(cpu), __ATOMIC_SEQ_CST);
	/* The requests, and what is looked at before every VMRUN while it
	 * lasts: a held NMI or SMI request (gif_deliver_held()), shadow
	 * pages to free. */
	if (__builtin_expect(__atomic_load_n(&cpu->entry_req, __ATOMIC_SEQ_CST) |
			     cpu->nmi_pending | cpu->smi_held |
			     *cpu->shadow_deferred, 0))
		return entry_slow(cpu);
	/* Of entry_requests(), only L2's emulated vNMI can have work then;
	 * it takes no lock, so doing it with in_guest set already cannot
	 * hold up a shootdown's initiator. */
	nested_feat_entry(cpu, cpu->nested.guest_mode, &cpu->nested.feat);
	return cpu;
}
