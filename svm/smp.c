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
 * that waits for a lock I holds, cannot deadlock with I.  (On a CPU without vNMI, a
 * guest can keep NMIs blocked: L1 inside its own NMI handler, or an L2
 * L1 gave an NMI; the kick is then taken at its IRET, if ever: "Giving
 * up" below.  With vNMI, L1's NMIs mask only virtual NMIs,
 * svm/vnmi01.h, and kicks still exit.)
 *
 * Write-protection only (smp_flush_l1_writes): I does not wait for a T
 * whose in_guest is 2.  T runs L2 with vmcb02 on a shadow NPT, under
 * vmcb02's own ASID: the translations it can use come from the shadow,
 * not from L1's NPT, so it cannot write a page through L1's old rights
 * until its next VMRUN of vmcb01, and T2 before that VMRUN sees I1's flag
 * (I2 read T1's value, so T's later exit and T2 follow I1 in the seq_cst
 * order) and flushes every ASID.  A shootdown that frees a table of L1's
 * NPT (smp_flush_l1_tlbs) still waits for every CPU in guest mode: page
 * walk caches are not promised to be per ASID.  Every wait is bounded: a target still in
 * guest mode SMP_REKICK_CYCLES after its kick is logged and sent another
 * NMI, in case the first was lost (an NMI the CPU took outside an exit
 * leaves kicked set, which would stop every later kick).  Should the
 * first one still arrive, the second is then read as an outside NMI and
 * given to the guest: one spurious NMI, after a stall long enough to log.
 *
 * Giving up.  After SMP_GIVE_UP_KICKS kicks, SMP_REKICK_CYCLES apart, I
 * stops waiting for T (logged, counted in smp.gave_up) and returns T in
 * its mask of CPUs given up on; a T given up on before that has not
 * exited since is given up on at once.  T may then go on using, until
 * its next exit, a translation made before I1; that exit still flushes
 * (flush_req stays set).  What that costs each caller, and why it is
 * safe (docs/security.md, "A kick that never arrives"):
 *  - smp_flush_l1_writes after a protection of L1's NPT or of a watched
 *    map page (mm/snpt_smp.c, svm/nested_maps.c): T may still write the
 *    page, unseen.  Then a shadow built from it, or a view of L1's maps,
 *    may lag behind L1's tables: L2 gets the rights or intercepts L1 gave
 *    it before.  No shadow entry maps anything l1_to_hpa (svm/
 *    nested_npt.c) did not give for an L1 address, whatever L1's tables
 *    said, and vmcb02's maps always hold nestvisor's own intercepts: L1
 *    harms only its own L2s.  The pages nestvisor emulates (svm/apic.c,
 *    msi_window.c, ioapic.c, chipset_lock.c) lose their rights in L1's
 *    NPT before any CPU runs L1 (hv_prepare) and never through this path
 *    (l1_write_protect skips them).
 *  - nested_npt_flush_all_shadows and views_unwatched (svm/nested_maps.c):
 *    they free nothing (a shadow's table pages go to its own vCPU's
 *    deferred list, freed only by that vCPU before a VMRUN that flushes,
 *    mm/snpt_smp.c I3); the wait keeps T's L2 from using an old view or a
 *    writable leaf of a watched page: as above, only L1's own L2s lag.
 *  - the tables of L1's NPT a merge frees (hvmem_npt_merge,
 *    svm/nested_npt.c retire_tables): T's page-walk cache may still point
 *    at them, and reused they would be read as NPT tables.  They go to a
 *    quarantine (mm/quarantine.c, smp_free_after) until every CPU given
 *    up on has exited or been seen in host mode since; each CPU's
 *    entry_requests() reclaims it, the stuck one's first of all.  Merges
 *    wait while a CPU is stuck (smp_stuck_any): L1 could otherwise
 *    release and protect pages at will and fill the quarantine, then
 *    leak nestvisor's memory a page at a time.
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
#include <stddef.h>

#include "svm/smp.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "mm/quarantine.h"
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

/* The quarantine of pages a shootdown that gave up on a CPU guarded
 * (mm/quarantine.c), on the CPUs' exit counts and modes. */
static uint64_t quar_exits(void *ctx, unsigned idx)
{
	(void)ctx;
	return __atomic_load_n(&smp.slot[idx].cpu->nr_exits, __ATOMIC_SEQ_CST);
}

static bool quar_in_host(void *ctx, unsigned idx)
{
	(void)ctx;
	return !__atomic_load_n(&smp.slot[idx].cpu->in_guest, __ATOMIC_SEQ_CST);
}

static void quar_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	hv_free_page(pa);
}

/* Every CPU's index fits the quarantine's masks and stuck_at[], and the
 * uint64_t masks of CPUs shootdown() returns. */
_Static_assert(NV_MAX_CPUS <= QUARANTINE_CPUS && NV_MAX_CPUS <= 64,
	       "a CPU index beyond the quarantine's masks");

static struct quarantine quar = {
	.lock = SPINLOCK_INIT,
	.env = { 0, quar_exits, quar_in_host, quar_free },
};

/* Wait for T (slot i) to leave guest mode after I1 (seen: its exit count
 * then), kicking it again every SMP_REKICK_CYCLES; false if it was given
 * up on instead (svm/smp.h SMP_GIVE_UP_KICKS). */
static bool wait_exit(unsigned i, struct cpu *t, uint64_t seen)
{
	uint64_t since = rdtsc();
	unsigned kicks = 1;
	/* Given up on before and not out since: no point in waiting. */
	bool give_up = quarantine_stuck(&quar, i);

	while (__atomic_load_n(&t->in_guest, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&t->nr_exits, __ATOMIC_SEQ_CST) == seen) {
		if (give_up) {
			quarantine_gave_up(&quar, i, seen);
			return false;
		}
		cpu_relax();
		if (rdtsc() - since < SMP_REKICK_CYCLES)
			continue;
		if (kicks == SMP_GIVE_UP_KICKS) {
			log_warn_limited("CPU %u still in guest mode after %u kicks (its NMIs blocked?): "
					 "shootdowns go on without it until it exits",
					 i, kicks);
			give_up = true;
			continue;
		}
		log_warn_limited("CPU %u still in guest mode %lu cycles after a kick: kicked again",
				 i, (unsigned long)SMP_REKICK_CYCLES);
		__atomic_fetch_add(&smp.rekicks, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&t->kicked, 1, __ATOMIC_SEQ_CST);
		apic_send_nmi(t->apic_id);
		kicks++;
		since = rdtsc();
	}
	return true;
}

static uint64_t shootdown(struct cpu *self, bool writes_only)
{
	uint64_t seen[NV_MAX_CPUS], stuck = 0;
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
	for (unsigned i = 0; i < smp.nr; i++)
		if (wait[i] && !wait_exit(i, smp.slot[i].cpu, seen[i])) {
			stuck |= 1ull << i;
			__atomic_fetch_add(&smp.gave_up, 1, __ATOMIC_RELAXED);
		}
	return stuck;
}

uint64_t smp_flush_l1_tlbs(struct cpu *self)
{
	return shootdown(self, false);
}

uint64_t smp_flush_l1_writes(struct cpu *self)
{
	return shootdown(self, true);
}

void smp_free_after(uint64_t pa, uint64_t stuck)
{
	if (!quarantine_hold(&quar, pa, stuck)) {
		__atomic_fetch_add(&smp.leaked, 1, __ATOMIC_RELAXED);
		log_warn_limited("page 0x%lx, which a CPU given up on may still "
				 "walk, leaked: the quarantine is full", pa);
	}
}

bool smp_stuck_any(void)
{
	return quarantine_any_stuck(&quar);
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
	quarantine_reclaim(&quar);
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

/* Last before vmcb02's VMRUN: the host's RFLAGS.IF that stands for L1's
 * (cur_host_if, svm/vmrun.S).  GIF is clear until VMRUN sets it, so no
 * interrupt is taken in host mode meanwhile (APM Vol. 2 §15.17).  vmcb01
 * always runs with IF clear: cur_host_if is set only in guest mode
 * (svm/nested_gif.c), and looked at only then. */
static inline __attribute__((always_inline)) struct cpu *
entry_host_if(struct cpu *cpu)
{
	if (cpu->nested.guest_mode && cpu->cur_host_if)
		__asm__ volatile("sti" ::: "memory");
	return cpu;
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
	return entry_host_if(cpu);
}

/* The requests, and what is looked at before every VMRUN while it lasts:
 * a held NMI or SMI request (gif_deliver_held()), shadow pages to free.
 * The two flags of this CPU's own are adjacent bytes, read as one. */
static inline __attribute__((always_inline)) bool entry_work(struct cpu *cpu)
{
	uint16_t held;

	_Static_assert(offsetof(struct cpu, smi_held) ==
			       offsetof(struct cpu, nmi_pending) + 1 &&
		       sizeof(cpu->nmi_pending) == 1 &&
		       sizeof(cpu->smi_held) == 1,
		       "nmi_pending and smi_held: two adjacent bytes");
	__builtin_memcpy(&held,
			 (const char *)cpu + offsetof(struct cpu, nmi_pending),
			 sizeof(held));
	return __atomic_load_n(&cpu->entry_req, __ATOMIC_SEQ_CST) | held |
	       *cpu->shadow_deferred;
}

/* svm_prepare_entry() for vmcb02: out of line, so that L1's entry stays
 * short. */
static __attribute__((noinline)) struct cpu *entry_l2(struct cpu *cpu)
{
	__atomic_store_n(&cpu->in_guest, in_guest_value(cpu), __ATOMIC_SEQ_CST);
	if (__builtin_expect(entry_work(cpu), 0))
		return entry_slow(cpu);
	/* Of entry_requests(), only L2's emulated vNMI can have work then;
	 * it takes no lock, so doing it with in_guest set already cannot
	 * hold up a shootdown's initiator. */
	nested_feat_entry(cpu, true, &cpu->nested.feat);
	return entry_host_if(cpu);
}

struct cpu *svm_prepare_entry(struct cpu *cpu)
{
	if (__builtin_expect(cpu->nested.guest_mode, 0))
		return entry_l2(cpu);
	__atomic_store_n(&cpu->in_guest, IN_GUEST_L1NPT, __ATOMIC_SEQ_CST);
	if (__builtin_expect(entry_work(cpu), 0))
		return entry_slow(cpu);
	/* L1 with nothing to do: nested_feat_entry() acts only for L2, and
	 * IF stays clear. */
	return cpu;
}
