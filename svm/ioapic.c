// SPDX-License-Identifier: MIT
/*
 * The I/O APICs under nestvisor.
 *
 * An I/O APIC (82093AA datasheet §3) has two registers in its MMIO page:
 * IOREGSEL at offset 00h selects a register (bits 7:0), IOWIN at 10h
 * reads or writes it, 32 bits at a time; version 20h parts add an EOI
 * register at 40h.  Registers: 00h ID, 01h version (bits 23:16: the last
 * redirection entry), 02h arbitration, 10h + 2n / 11h + 2n redirection
 * entry n (low, high dword).  A redirection entry with delivery mode INIT
 * would reset a CPU out of guest mode when its pin fires (VM_CR.R_INIT
 * turns that into #SX on hardware, not under QEMU), and SMI or Start-up
 * are not L1's to send: svm/irq_msg.h.
 *
 * So the page is present in L1's NPT without the user bit: every access
 * of L1 (or of an L2 on L1's NPT) exits with #NPF and is emulated here
 * from the instruction at RIP (MOV to or from memory, XCHG):
 *  - IOREGSEL is virtual, one per I/O APIC as the hardware has one: a
 *    write records it, a read returns it;
 *  - IOWIN is accessed under the I/O APIC's lock, the real IOREGSEL
 *    written first (so another CPU's selection cannot come in between);
 *    a write of a redirection entry's low dword goes to the device as
 *    ioapic_rte_sanitize() makes it: unchanged for Fixed, Lowest
 *    priority, NMI and ExtINT, otherwise masked with mode Fixed.  L1's
 *    value is kept, and a read of that dword returns it, with the
 *    read-only delivery-status and remote-IRR bits from the device;
 *  - the EOI register is written through; other stores are dropped
 *    (unaligned, not 32 bits, or to no register); other reads are made
 *    on the device.
 * L2 never reaches the page through a shadow NPT (svm/nested_npt.c maps
 * the sink there).  The I/O APIC's address itself is the chipset's (on
 * q35 and AMD's FCH, fixed or set by registers L1 does not reach through
 * this page): docs/security.md says what is not covered.
 */
#include "svm/ioapic.h"
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "mm/pte.h"
#include "mm/spinlock.h"
#include "svm/apic.h"
#include "svm/insn.h"
#include "svm/intercepts.h"
#include "svm/irq_msg.h"
#include "svm/mmio_emul.h"
#include "svm/vcpu.h"

#define IOREGSEL 0x00u
#define IOWIN    0x10u
#define IOEOI    0x40u
#define IOAPIC_REG_VERSION 0x01u
#define IOAPIC_ENTRIES_MAX 240u

struct ioapic {
	uint64_t base;
	unsigned nr_entries;
	struct spinlock lock;
	uint32_t regsel;                   /* L1's IOREGSEL */
	uint32_t l1_lo[IOAPIC_ENTRIES_MAX]; /* L1's low dwords */
	bool changed[IOAPIC_ENTRIES_MAX];  /* the device holds another */
};

static struct ioapic ioa[IOAPIC_MAX];
static unsigned nr_ioa;

static volatile uint32_t *reg(const struct ioapic *a, unsigned off)
{
	return (volatile uint32_t *)hvmem_va(a->base + off);
}

/* The device's register r; the lock held. */
static uint32_t dev_read(const struct ioapic *a, uint32_t r)
{
	*reg(a, IOREGSEL) = r;
	return *reg(a, IOWIN);
}

static void dev_write(const struct ioapic *a, uint32_t r, uint32_t v)
{
	*reg(a, IOREGSEL) = r;
	*reg(a, IOWIN) = v;
}

int ioapic_init(const uint64_t *base, unsigned n)
{
	for (unsigned i = 0; i < n && nr_ioa < IOAPIC_MAX; i++) {
		uint64_t pa = base[i] & ~0xfffull;
		struct ioapic *a = &ioa[nr_ioa];
		uint32_t ver;
		int rc;

		if (pa >= hvmem.phys_limit || hvmem_contains(pa) ||
		    ioapic_page(pa))
			continue;
		*a = (struct ioapic){ .base = pa, .lock = SPINLOCK_INIT };
		ver = dev_read(a, IOAPIC_REG_VERSION);
		a->nr_entries = ((ver >> 16) & 0xff) + 1u;
		if (ver == 0xffffffffu || a->nr_entries > IOAPIC_ENTRIES_MAX)
			a->nr_entries = IOAPIC_ENTRIES_MAX;
		rc = hvmem_npt_map(pa, pa, PTE_P);
		if (rc)
			return rc;
		nr_ioa++;
		log_info("I/O APIC at 0x%lx (%u redirection entries): emulated, "
			 "no entry delivers INIT, Start-up or SMI", pa,
			 a->nr_entries);
	}
	return 0;
}

static struct ioapic *ioapic_of(uint64_t gpa)
{
	for (unsigned i = 0; i < nr_ioa; i++)
		if ((gpa & ~0xfffull) == ioa[i].base)
			return &ioa[i];
	return 0;
}

bool ioapic_page(uint64_t gpa)
{
	return ioapic_of(gpa) != 0;
}

bool ioapic_meets(uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < nr_ioa; i++)
		if (ioa[i].base >= lo && ioa[i].base < hi)
			return true;
	return false;
}

/* Redirection entry n if r is its low dword, else -1. */
static int rte_low(const struct ioapic *a, uint32_t r)
{
	if (r < IOAPIC_RTE_FIRST || (r & 1) ||
	    (r - IOAPIC_RTE_FIRST) / 2 >= a->nr_entries)
		return -1;
	return (int)((r - IOAPIC_RTE_FIRST) / 2);
}

static uint32_t win_read(struct ioapic *a)
{
	uint32_t r, v;
	int n;

	spin_lock(&a->lock);
	r = a->regsel;
	v = dev_read(a, r);
	n = rte_low(a, r);
	if (n >= 0 && a->changed[n])
		v = (a->l1_lo[n] & ~IOAPIC_RTE_RO) | (v & IOAPIC_RTE_RO);
	spin_unlock(&a->lock);
	return v;
}

static void win_write(struct cpu *cpu, struct ioapic *a, uint32_t v)
{
	uint32_t r, dev = v;
	int n;

	spin_lock(&a->lock);
	r = a->regsel;
	n = rte_low(a, r);
	if (n >= 0) {
		dev = ioapic_rte_sanitize(v);
		a->l1_lo[n] = v;
		a->changed[n] = dev != v;
	}
	dev_write(a, r, dev);
	spin_unlock(&a->lock);
	if (dev != v)
		log_info_limited("CPU %u: I/O APIC 0x%lx entry %d := 0x%x "
				 "(delivery mode %u): written masked, mode Fixed",
				 cpu->idx, a->base, n, v, IRQ_MODE(v));
}

static uint64_t mmio_read(struct ioapic *a, unsigned off, unsigned width)
{
	uint64_t pa = a->base + off;

	if (width == 4 && off == IOREGSEL)
		return __atomic_load_n(&a->regsel, __ATOMIC_RELAXED);
	if (width == 4 && off == IOWIN)
		return win_read(a);
	switch (width) {
	case 1: return *(volatile uint8_t *)hvmem_va(pa);
	case 2: return *(volatile uint16_t *)hvmem_va(pa);
	case 4: return *(volatile uint32_t *)hvmem_va(pa);
	default: return *(volatile uint64_t *)hvmem_va(pa);
	}
}

static void mmio_write(struct cpu *cpu, struct ioapic *a, unsigned off,
		       unsigned width, uint64_t v)
{
	if (width == 4 && off == IOREGSEL)
		__atomic_store_n(&a->regsel, (uint32_t)v & 0xff,
				 __ATOMIC_RELAXED);
	else if (width == 4 && off == IOWIN)
		win_write(cpu, a, (uint32_t)v);
	else if (width == 4 && off == IOEOI)
		*reg(a, IOEOI) = (uint32_t)v;
	else
		log_debug_limited("CPU %u: a %u-byte store at I/O APIC offset "
				  "0x%x dropped", cpu->idx, width, off);
}

void ioapic_mmio(struct cpu *cpu, uint64_t gpa)
{
	struct ioapic *a = ioapic_of(gpa);
	unsigned off = gpa & 0xfff;
	static struct mmio_emul emul = {
		.what = "an access to the I/O APIC page",
		.ops = MMIO_OP(INSN_MOV_STORE) | MMIO_OP(INSN_XCHG) |
		MMIO_OP(INSN_MOV_LOAD),
	};
	struct insn in;

	if (!a) {
		mmio_emul_refuse(cpu, gpa, &emul);
		return;
	}
	if (mmio_emul_decode(cpu, gpa, &emul, &in))
		return;
	if (off + in.width > 0x1000) {
		mmio_emul_refuse(cpu, gpa, &emul);
		return;
	}
	if (in.op == INSN_MOV_LOAD) {
		guest_reg_set(cpu, &in, mmio_read(a, off, in.width));
	} else {
		uint64_t v = guest_store_value(cpu, &in);

		if (in.op == INSN_XCHG)
			guest_reg_set(cpu, &in, mmio_read(a, off, in.width));
		mmio_write(cpu, a, off, in.width, v);
	}
	guest_advance_rip(cpu, in.len);
}
