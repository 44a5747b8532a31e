// SPDX-License-Identifier: MIT
/*
 * L1's local APIC where nestvisor must see it (svm/apic.h): the ICR, in
 * both modes, so that INIT and SIPI stay under nestvisor.
 *
 * xAPIC: emulating the store, not single-stepping it.  The APIC page is
 * read-only in L1's NPT, which every CPU shares, so a write exits with
 * #NPF (exit_info_2 = the exact guest-physical address).  nestvisor decodes
 * the instruction at RIP (svm/insn.c: MOV or XCHG to memory, the only
 * stores compilers and firmware use for APIC registers), takes the value
 * from the register or the immediate, performs the store itself on the
 * real APIC from host mode (it is this CPU's own APIC, mapped at the same
 * address in nestvisor's page table), and moves RIP past it.  HelloAmdHvPkg
 * instead makes the page writable and single-steps the store; with one NPT
 * for all CPUs that would open the page to every CPU for that step, and a
 * single step must also handle the guest's own TF, interrupts and
 * exceptions on the way.  Emulation is local and exact for the MOV/XCHG
 * forms; any other instruction that writes the page gets #GP (logged).
 * The cost is one exit per APIC write (EOI, TPR, ICR, timer), so an OS in
 * xAPIC mode pays one exit per interrupt for its EOI.
 *
 * ICR low (0x300) carries the send: nestvisor combines it with the ICR
 * high register (written before, for real) and decides (apic_icr_write).
 * LDR and DFR writes are remembered: other CPUs need them to resolve
 * logical destinations.  Only 32-bit stores at the first byte of a
 * register L1 may write are performed (xapic_store_allowed); any other
 * store to the page is dropped: the real APIC (QEMU's at least) decodes
 * an address by its 16-byte slot, so a store at 0x304 would be a send
 * nestvisor never saw, and a store to offset 0 an interrupt message.
 * The APIC ID is not L1's to change: other CPUs kick this one by it.
 *
 * x2APIC: the ICR is MSR 0x830 (one 64-bit write), intercepted in the MSR
 * permission map; other x2APIC MSRs pass through.
 *
 * APIC_BASE: reads and writes intercepted.  L1 may not move the window,
 * its mode changes follow the x2APIC state transitions, and its EN clear
 * (hardware disable) is emulated by a software disable, so that
 * nestvisor's kicks still reach the CPU (emulate_hw_disable).  The ICR values and
 * the APIC_BASE values nestvisor writes on L1's behalf go through
 * hw_wrmsr_safe(): a value the CPU refuses is L1's #GP, never a host fault.
 *
 * Every access to the CPU itself (MSRs, CPUID, the APIC registers) goes
 * through svm/hw.h, so this file also runs in a host test against a fake
 * APIC (tests/host/test_apic_icr.c).
 */
#include "svm/apic.h"
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "mm/spinlock.h"
#include "core/x86.h"
#include "mm/pte.h"
#include "svm/apic_dest.h"
#include "svm/hw.h"
#include "svm/init_sipi.h"
#include "svm/intercepts.h"
#include "svm/mmio_emul.h"
#include "svm/smp.h"

static uint64_t apic_page = ~0ull; /* the page read-only in L1's NPT */

int apic_protect_page(uint64_t base_msr)
{
	uint64_t pa = base_msr & APIC_BASE_ADDR;
	int rc = hvmem_npt_protect(pa, 4096, PTE_P | PTE_US, NULL);

	if (rc)
		return rc;
	apic_page = pa;
	return 0;
}

bool apic_is_mmio_page(uint64_t gpa)
{
	return (gpa & ~0xfffull) == apic_page;
}

uint64_t apic_mmio_page(void)
{
	return apic_page;
}

void apic_init_cpu(struct cpu *cpu)
{
	cpu->vapic.base_msr = hw_rdmsr(MSR_APIC_BASE);
	cpu->vapic.dfr = 0xffffffffu;
}

static bool x2apic_mode(void)
{
	return hw_rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD;
}

static volatile uint32_t *xapic_reg(unsigned off)
{
	return hw_apic_mmio((hw_rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR) + off);
}

static void xapic_wait_idle(void)
{
	for (unsigned i = 0; i < 100000 && (*xapic_reg(APIC_REG_ICR_LO) &
					    ICR_BUSY); i++)
		cpu_relax();
}

void apic_send_nmi(uint32_t apic_id)
{
	const uint64_t nmi = (uint64_t)ICR_MODE_NMI << ICR_MODE_SHIFT |
			     ICR_ASSERT;

	if (x2apic_mode()) {
		hw_wrmsr(MSR_X2APIC_ICR, (uint64_t)apic_id << ICR_DEST_SHIFT | nmi);
		return;
	}
	/* ICR high holds L1's last destination: put it back after. */
	xapic_wait_idle();
	uint32_t hi = *xapic_reg(APIC_REG_ICR_HI);
	*xapic_reg(APIC_REG_ICR_HI) = apic_id << 24;
	*xapic_reg(APIC_REG_ICR_LO) = (uint32_t)nmi;
	xapic_wait_idle();
	*xapic_reg(APIC_REG_ICR_HI) = hi;
}

/* ---- who gets an INIT, SIPI or NMI -------------------------------------- */

/* Has L1 hardware-disabled this vCPU's APIC (APIC_BASE.EN clear, emulated
 * below)?  Read by other CPUs too. */
static bool vapic_disabled(const struct cpu *t)
{
	return !(__atomic_load_n(&t->vapic.base_msr, __ATOMIC_RELAXED) &
		 APIC_BASE_EN);
}

/* The target of one ICR destination (svm/apic_dest.c). */
static struct apic_target target_of(const struct cpu_slot *s)
{
	const struct cpu *t = s->cpu;

	return (struct apic_target){
		.apic_id = s->apic_id,
		.ldr = t ? __atomic_load_n(&t->vapic.ldr, __ATOMIC_RELAXED) : 0,
		.dfr = t ? __atomic_load_n(&t->vapic.dfr, __ATOMIC_RELAXED) : ~0u,
	};
}

/* An NMI IPI: a request to each vCPU it reaches (svm/smp.c, "Kicks"),
 * which injects it before its next VMRUN; parked CPUs, and vCPUs whose
 * APIC L1 hardware-disabled, do not get it. */
static void nmi_ipi(struct cpu *cpu, const struct icr_fields *f, bool x2apic)
{
	for (unsigned i = 0; i < smp.nr; i++) {
		struct cpu_slot *s = &smp.slot[i];
		struct apic_target at = target_of(s);

		if (!s->cpu || !icr_reaches(f, x2apic, cpu->apic_id, &at) ||
		    __atomic_load_n(&s->status, __ATOMIC_ACQUIRE) !=
		    CPU_RUNNING || vapic_disabled(s->cpu))
			continue;
		__atomic_fetch_add(&s->cpu->nmi_ipis, 1, __ATOMIC_RELEASE);
		smp_post(s->cpu);
		smp_kick(s->cpu);
	}
}

/*
 * The x2APIC ICR bits a WRMSR must leave clear: in x2APIC mode the ICR is
 * one 64-bit MSR whose bits 31:20, 17:16 and 13 are reserved (the layout
 * of the x2APIC specification, which APM Vol. 2 chapter 16, "x2APIC",
 * follows), and the CPU answers a set one with #GP.  Checked here for the
 * messages nestvisor sends itself (INIT, SIPI, NMI); the others go to the
 * real MSR, whose own #GP is handed to L1.
 */
#define X2APIC_ICR_RESERVED (0xfff00000ull | 0x30000ull | 0x2000ull)

int apic_icr_write(struct cpu *cpu, uint64_t icr, bool x2apic)
{
	struct icr_fields f = icr_decode(icr);

	if (x2apic && (icr & X2APIC_ICR_RESERVED))
		return -NV_EINVAL;
	cpu->vapic.nr_icr_writes++;
	if (f.mode == ICR_MODE_NMI) {
		nmi_ipi(cpu, &f, x2apic);
		return 0;
	}
	if (f.mode != ICR_MODE_INIT && f.mode != ICR_MODE_STARTUP) {
		if (x2apic)
			return hw_wrmsr_safe(MSR_X2APIC_ICR, icr);
		*xapic_reg(APIC_REG_ICR_LO) = (uint32_t)icr;
		return 0;
	}
	if (icr_is_init_deassert(&f))
		return 0;
	cpu->vapic.nr_init_sipi++;
	for (unsigned i = 0; i < smp.nr; i++) {
		struct cpu_slot *s = &smp.slot[i];
		struct cpu *t = s->cpu;
		struct apic_target at = target_of(s);

		if (!icr_reaches(&f, x2apic, cpu->apic_id, &at))
			continue;
		if (!t || __atomic_load_n(&s->status, __ATOMIC_ACQUIRE) !=
			  CPU_RUNNING) {
			log_debug("%s to APIC ID %u dropped: that CPU is not "
				  "virtualized", f.mode == ICR_MODE_INIT ?
				  "INIT" : "SIPI", s->apic_id);
			continue;
		}
		if (vapic_disabled(t))
			continue; /* its APIC accepts no message */
		if (f.mode == ICR_MODE_INIT)
			sipi_send_init(t);
		else
			sipi_send_sipi(t, f.vector);
	}
	return 0;
}

/* ---- xAPIC page writes ------------------------------------------------- */

/* The guest's general-purpose register n (0 RAX .. 15 R15). */
static uint64_t gpr_get(struct cpu *cpu, unsigned n)
{
	const struct guest_regs *g = &cpu->gregs;
	const struct vmcb_save *s = &cpu->cur->save;

	switch (n) {
	case 0: return s->rax;
	case 1: return g->rcx;
	case 2: return g->rdx;
	case 3: return g->rbx;
	case 4: return s->rsp;
	case 5: return g->rbp;
	case 6: return g->rsi;
	case 7: return g->rdi;
	default: return (&g->r8)[n - 8];
	}
}

static void gpr_set(struct cpu *cpu, unsigned n, uint64_t v)
{
	struct guest_regs *g = &cpu->gregs;
	struct vmcb_save *s = &cpu->cur->save;

	switch (n) {
	case 0: s->rax = v; break;
	case 1: g->rcx = v; break;
	case 2: g->rdx = v; break;
	case 3: g->rbx = v; break;
	case 4: s->rsp = v; break;
	case 5: g->rbp = v; break;
	case 6: g->rsi = v; break;
	case 7: g->rdi = v; break;
	default: (&g->r8)[n - 8] = v; break;
	}
}

/* Byte registers 4-7 without REX are AH, CH, DH, BH. */
static bool high_byte_reg(const struct insn *in)
{
	return in->width == 1 && !in->rex && in->reg >= 4 && in->reg < 8;
}

/* The value of the source register of a store. */
static uint64_t source_value(struct cpu *cpu, const struct insn *in)
{
	if (high_byte_reg(in))
		return (gpr_get(cpu, in->reg - 4u) >> 8) & 0xff;
	return gpr_get(cpu, in->reg);
}

/* XCHG: the register gets the old memory value, width bytes of it. */
static void set_source(struct cpu *cpu, const struct insn *in, uint64_t v)
{
	unsigned n = in->reg;
	uint64_t r;

	if (high_byte_reg(in)) {
		r = gpr_get(cpu, n - 4);
		gpr_set(cpu, n - 4, (r & ~0xff00ull) | (v & 0xff) << 8);
		return;
	}
	r = gpr_get(cpu, n);
	switch (in->width) {
	case 1: r = (r & ~0xffull) | (v & 0xff); break;
	case 2: r = (r & ~0xffffull) | (v & 0xffff); break;
	case 4: r = (uint32_t)v; break; /* a 32-bit write zero-extends */
	default: r = v; break;
	}
	gpr_set(cpu, n, r);
}

uint64_t guest_store_value(struct cpu *cpu, const struct insn *in)
{
	return in->imm_len ? (uint64_t)(int64_t)in->imm :
			     source_value(cpu, in);
}

static uint64_t mmio_read(uint64_t pa, unsigned width)
{
	volatile void *p = hw_apic_mmio(pa);

	switch (width) {
	case 1: return *(volatile uint8_t *)p;
	case 2: return *(volatile uint16_t *)p;
	case 4: return *(volatile uint32_t *)p;
	default: return *(volatile uint64_t *)p;
	}
}

void guest_store_old_value(struct cpu *cpu, const struct insn *in,
			   uint64_t pa)
{
	set_source(cpu, in, mmio_read(pa, in->width));
}

void guest_reg_set(struct cpu *cpu, const struct insn *in, uint64_t v)
{
	set_source(cpu, in, v);
}

static void mmio_write(uint64_t pa, uint64_t v, unsigned width)
{
	volatile void *p = hw_apic_mmio(pa);

	switch (width) {
	case 1: *(volatile uint8_t *)p = (uint8_t)v; break;
	case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
	case 4: *(volatile uint32_t *)p = (uint32_t)v; break;
	default: *(volatile uint64_t *)p = v; break;
	}
}

/*
 * Is a store of width bytes at offset off one nestvisor performs on the
 * real APIC?  The registers software may write (APM Vol. 2 chapter 16,
 * "Local APIC": the register map, and the extended registers from 400h),
 * 32 bits at the start of their 16-byte slot, except the APIC ID (kicks
 * and L1's INIT and SIPI find a CPU by its APIC ID, svm/smp.c).  Other
 * stores, to a read-only or reserved register, have no effect on the
 * CPU's APIC either.
 */
static bool xapic_store_allowed(unsigned off, unsigned width)
{
	if (width != 4 || (off & 0xf))
		return false;
	switch (off) {
	case APIC_REG_TPR: case APIC_REG_EOI: case APIC_REG_LDR:
	case APIC_REG_DFR: case APIC_REG_SVR: case APIC_REG_ESR:
	case APIC_REG_ICR_LO: case APIC_REG_ICR_HI: case APIC_REG_TIMER_ICR:
	case APIC_REG_TIMER_DCR:
	case 0x410: /* extended APIC control */
	case 0x420: /* specific EOI */
		return true;
	}
	return (off >= APIC_REG_LVT_TIMER && off <= APIC_REG_LVT_ERROR) ||
	       (off >= 0x480 && off <= 0x4f0) || /* interrupt enables */
	       (off >= 0x500 && off <= 0x530);   /* extended LVT */
}

void apic_mmio_write(struct cpu *cpu, uint64_t gpa)
{
	static struct mmio_emul emul = {
		.what = "a write to the APIC page",
		.ops = MMIO_OP(INSN_MOV_STORE) | MMIO_OP(INSN_XCHG),
	};
	unsigned off = gpa & 0xfff;
	struct insn in;
	uint64_t v;

	if (mmio_emul_decode(cpu, gpa, &emul, &in))
		return;
	cpu->vapic.nr_mmio_writes++;
	v = guest_store_value(cpu, &in);
	if (in.op == INSN_XCHG) /* the old value, read within one slot */
		set_source(cpu, &in, (off & 0xf) + in.width <= 16 ?
				     mmio_read(gpa, in.width) : 0);
	if (vapic_disabled(cpu)) {
		log_debug_limited("CPU %u: a store at APIC offset 0x%x dropped: "
				  "L1 disabled its APIC", cpu->idx, off);
	} else if (!xapic_store_allowed(off, in.width)) {
		log_debug_limited("CPU %u: a %u-byte store at APIC offset 0x%x "
				  "dropped", cpu->idx, in.width, off);
	} else if (off == APIC_REG_ICR_LO) {
		(void)apic_icr_write(cpu, icr_from_xapic(
			*xapic_reg(APIC_REG_ICR_HI), (uint32_t)v), false);
	} else {
		mmio_write(gpa, v, in.width);
		if (off == APIC_REG_LDR)
			__atomic_store_n(&cpu->vapic.ldr, (uint32_t)v,
					 __ATOMIC_RELAXED);
		if (off == APIC_REG_DFR)
			__atomic_store_n(&cpu->vapic.dfr, (uint32_t)v,
					 __ATOMIC_RELAXED);
	}
	guest_advance_rip(cpu, in.len);
}

/* ---- MSRs --------------------------------------------------------------- */

/* What APIC_BASE may hold: BSP, EXTD (with x2APIC in CPUID), EN, the
 * base below MAXPHYADDR (APM Vol. 2 chapter 16, "Local APIC": the
 * APIC_BASE register and x2APIC mode). */
static uint64_t apic_base_writable(const struct cpu *cpu)
{
	uint64_t m = APIC_BASE_BSP | APIC_BASE_EN |
		     (APIC_BASE_ADDR & ((1ull << cpu->caps.l1_maxphyaddr) - 1));

	if ((hw_cpuid(1).ecx >> 21) & 1)
		m |= APIC_BASE_EXTD;
	return m;
}

/*
 * L1 clears APIC_BASE.EN (docs/security.md, R9).  A hardware-disabled APIC
 * would take none of the NMIs other CPUs kick this one with, and every
 * shootdown that waits for this CPU would wait forever.  So the real APIC
 * stays enabled and is software-disabled instead (SVR bit 8 clear: LVT
 * entries masked, fixed interrupts not accepted; NMI, SMI, INIT and
 * Start-up still accepted; APM Vol. 2 chapter 16, "Local APIC"), with the
 * other registers at their reset values as far as software can set them
 * (apic_soft_init).  An x2APIC leaves x2APIC mode only through the
 * disabled state: the real one passes through it here, for a moment in
 * host mode (no shootdown waits for a CPU in host mode, svm/smp.c), and
 * stays in xAPIC mode, the only mode L1 may enable it in next.  Then L1
 * reads EN clear (apic_base_view), its stores to the APIC page are
 * dropped, the x2APIC MSRs #GP (the real APIC is in xAPIC mode), and IPIs
 * from L1's other CPUs do not reach it (apic_icr_write).  A kick that
 * arrives in the instant an x2APIC is really disabled is lost and leaves
 * the CPU's kicked flag set: the next shootdown that waits for this CPU
 * sends its kick again after SMP_REKICK_CYCLES (svm/smp.c), once.
 */
static void emulate_hw_disable(struct cpu *cpu)
{
	uint64_t real = hw_rdmsr(MSR_APIC_BASE);

	if (real & APIC_BASE_EXTD) {
		hw_wrmsr(MSR_APIC_BASE, real & ~(APIC_BASE_EXTD | APIC_BASE_EN));
		hw_wrmsr(MSR_APIC_BASE, (real & ~APIC_BASE_EXTD) | APIC_BASE_EN);
	}
	apic_soft_init(cpu);
}

uint64_t apic_base_view(const struct cpu *cpu)
{
	return __atomic_load_n(&cpu->vapic.base_msr, __ATOMIC_RELAXED);
}

int apic_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val)
{
	uint64_t old = apic_base_view(cpu);
	int rc;

	if (msr == MSR_X2APIC_ICR) {
		if (!(old & APIC_BASE_EXTD))
			return -NV_EINVAL;
		return apic_icr_write(cpu, val, true);
	}
	/* MSR_APIC_BASE: the CPU's own checks (the x2APIC state
	 * transitions), and the window stays where nestvisor protects it. */
	if (val & ~apic_base_writable(cpu))
		return -NV_EINVAL;
	if ((val & APIC_BASE_EXTD) && !(val & APIC_BASE_EN))
		return -NV_EINVAL; /* x2APIC without the APIC enabled */
	if ((old & APIC_BASE_EXTD) && (val & APIC_BASE_EN) &&
	    !(val & APIC_BASE_EXTD))
		return -NV_EINVAL; /* x2APIC -> xAPIC without disabling first */
	if (!(old & APIC_BASE_EN) && (val & APIC_BASE_EXTD))
		return -NV_EINVAL; /* disabled -> x2APIC without xAPIC first */
	if ((val & APIC_BASE_ADDR) != (old & APIC_BASE_ADDR)) {
		log_info("CPU %u: L1 moves the xAPIC window to 0x%lx: refused "
			 "(#GP)", cpu->idx, (uint64_t)(val & APIC_BASE_ADDR));
		return -NV_EINVAL;
	}
	if (!(val & APIC_BASE_EN)) {
		if (old & APIC_BASE_EN)
			emulate_hw_disable(cpu);
		__atomic_store_n(&cpu->vapic.base_msr, val, __ATOMIC_RELAXED);
		return 0;
	}
	/* A check the CPU makes and nestvisor does not: its #GP is L1's,
	 * not a host fault. */
	rc = hw_wrmsr_safe(MSR_APIC_BASE, val);
	if (rc)
		return rc;
	/* Enabled again: the APIC comes back in its reset state. */
	if (!(old & APIC_BASE_EN))
		apic_soft_init(cpu);
	__atomic_store_n(&cpu->vapic.base_msr, val, __ATOMIC_RELAXED);
	return 0;
}

/* ---- INIT of the local APIC -------------------------------------------- */

#define X2APIC_MSR(off) (0x800u + ((off) >> 4))

static uint32_t apic_read(bool x2, unsigned off)
{
	return x2 ? (uint32_t)hw_rdmsr(X2APIC_MSR(off)) : *xapic_reg(off);
}

static void apic_write(bool x2, unsigned off, uint32_t v)
{
	if (x2)
		hw_wrmsr(X2APIC_MSR(off), v);
	else
		*xapic_reg(off) = v;
}

/*
 * What an INIT does to the local APIC, done by software on this CPU's own
 * APIC (APM Vol. 2 chapter 16, "Local APIC": after INIT the
 * registers have their reset values except the APIC ID; the APIC is
 * software-disabled).  In-service interrupts are ended (EOI), the LVT
 * entries masked, the timer stopped, TPR, LDR and DFR reset, then the
 * APIC disabled through the spurious-vector register.  Requests already
 * in the IRR cannot be withdrawn by software; the OS that starts the CPU
 * again sees them as it would see a late interrupt.
 */
void apic_soft_init(struct cpu *cpu)
{
	static const unsigned lvts[] = {
		APIC_REG_LVT_TIMER, APIC_REG_LVT_THERMAL, APIC_REG_LVT_PERF,
		APIC_REG_LVT_LINT0, APIC_REG_LVT_LINT1, APIC_REG_LVT_ERROR,
	};
	bool x2 = x2apic_mode();

	if (!(hw_rdmsr(MSR_APIC_BASE) & APIC_BASE_EN))
		return;
	for (unsigned n = 0; n < 256; n++) {
		bool any = false;

		for (unsigned r = 0; r < 8; r++)
			any |= apic_read(x2, APIC_REG_ISR0 + 16 * r) != 0;
		if (!any)
			break;
		apic_write(x2, APIC_REG_EOI, 0);
	}
	for (unsigned i = 0; i < sizeof(lvts) / sizeof(lvts[0]); i++)
		apic_write(x2, lvts[i], 1u << 16);
	apic_write(x2, APIC_REG_TIMER_ICR, 0);
	apic_write(x2, APIC_REG_TPR, 0);
	if (!x2) {
		apic_write(false, APIC_REG_LDR, 0);
		apic_write(false, APIC_REG_DFR, 0xffffffffu);
	}
	apic_write(x2, APIC_REG_SVR, 0xff);
	cpu->vapic.ldr = 0;
	cpu->vapic.dfr = 0xffffffffu;
}
