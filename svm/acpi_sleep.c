// SPDX-License-Identifier: MIT
/*
 * ACPI S3 (suspend to RAM) under nestvisor: refused as an immediate wake.
 *
 * Why not let it happen.  S3 powers the CPUs off; on wake the firmware
 * runs its resume path and jumps to the OS's waking vector, natively:
 * nestvisor would be gone with its memory still reserved, and the OS
 * would run unvirtualized on every CPU.  Resuming under nestvisor would
 * mean re-taking every CPU in the firmware's S3 resume path, which
 * nestvisor does not control.
 *
 * What L1 sees instead.  The OS enters S3 by writing SLP_TYP = \_S3's
 * value with SLP_EN to the PM1 control register, then polls the PM1
 * status register until WAK_STS is set (ACPI 6.4 §7.4.2, §4.8.3).
 * nestvisor intercepts both registers (their ports from the FADT,
 * boot/sleep.c): the sleeping write is not performed, and from then on
 * reads of PM1 status show WAK_STS set until L1 clears it by writing it
 * (write-1-to-clear).  To the OS the machine slept and woke at once, as
 * after an early wake event: it resumes its devices and CPUs (Linux
 * brings its other CPUs back with INIT-SIPI-SIPI, svm/init_sipi.c) and
 * carries on under nestvisor.  Every other write (SLP_TYP without SLP_EN,
 * S5 power-off, S4, S1) is performed as written.  The same rule holds
 * where PM1 control is also reached in memory (AMD's FCH's AcpiMmio,
 * svm/fch_pm.c): acpi_sleep_refuse() is the one refusal.
 */
#include "svm/acpi_sleep.h"
#include "core/log.h"
#include "svm/permmap.h"
#include "svm/vcpu.h"

static struct launch_s3 pm1;
static uint32_t wake_pending;     /* atomic: WAK_STS shown to L1 */
static uint64_t nr_refused;

static inline uint32_t port_in(uint16_t port, unsigned size)
{
	uint32_t v = 0;

	if (size == 1)
		__asm__ volatile("inb %1, %b0" : "+a"(v) : "Nd"(port));
	else if (size == 2)
		__asm__ volatile("inw %1, %w0" : "+a"(v) : "Nd"(port));
	else
		__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void port_out(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		__asm__ volatile("outb %b0, %1" ::"a"(v), "Nd"(port));
	else if (size == 2)
		__asm__ volatile("outw %w0, %1" ::"a"(v), "Nd"(port));
	else
		__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

/* Every owned port is in [own_lo, own_hi): one test for the other
 * ports, which are the exits ioio.c sees (isa-debug-exit). */
static uint32_t own_lo, own_hi;

static void own(uint16_t base)
{
	if (!base)
		return;
	if (!own_hi || base < own_lo)
		own_lo = base;
	if (base + 2u > own_hi)
		own_hi = base + 2u;
}

void acpi_sleep_init(const struct launch_s3 *s3, uint8_t *iopm)
{
	pm1 = *s3;
	if (!pm1.offered)
		return;
	own(pm1.cnt_a);
	own(pm1.cnt_b);
	own(pm1.sts_a);
	own(pm1.sts_b);
	iopm_set(iopm, pm1.cnt_a, 2);
	iopm_set(iopm, pm1.sts_a, 2);
	if (pm1.cnt_b)
		iopm_set(iopm, pm1.cnt_b, 2);
	if (pm1.sts_b)
		iopm_set(iopm, pm1.sts_b, 2);
}

static bool in_reg(uint16_t base, uint16_t port, unsigned size)
{
	return base && port < base + 2 && port + size > base;
}

bool acpi_sleep_owns(uint16_t port, unsigned size)
{
	if (port >= own_hi || port + size <= own_lo)
		return false;
	return pm1.offered &&
	       (in_reg(pm1.cnt_a, port, size) || in_reg(pm1.cnt_b, port, size) ||
		in_reg(pm1.sts_a, port, size) || in_reg(pm1.sts_b, port, size));
}

/* The 16-bit value an access of size bytes at port writes to the
 * register at base (bytes outside it dropped), and which bits. */
static uint32_t reg_bits(uint16_t base, uint16_t port, uint32_t v,
			 unsigned size, uint32_t *mask)
{
	int shift = 8 * (port - base);
	uint64_t m = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;

	*mask = (uint32_t)((shift >= 0 ? m << shift : m >> -shift) & 0xffff);
	return (uint32_t)((shift >= 0 ? (uint64_t)v << shift :
					(uint64_t)v >> -shift) & 0xffff);
}

int acpi_sleep_s3_typ(void)
{
	return pm1.offered ? pm1.typ_a : -1;
}

void acpi_sleep_refuse(struct cpu *cpu, uint8_t typ, const char *where,
		       uint64_t addr)
{
	__atomic_store_n(&wake_pending, 1, __ATOMIC_RELEASE);
	if (__atomic_fetch_add(&nr_refused, 1, __ATOMIC_RELAXED) < 8)
		log_info("CPU %u: L1 asks for ACPI S3 (SLP_TYP %u with SLP_EN "
			 "at %s 0x%lx): refused, L1 wakes at once", cpu->idx,
			 typ, where, addr);
}

void acpi_sleep_wake_ack(void)
{
	__atomic_store_n(&wake_pending, 0, __ATOMIC_RELEASE);
}

uint64_t acpi_sleep_io(struct cpu *cpu, uint16_t port, unsigned size,
		       bool in, uint64_t rax)
{
	uint64_t m = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
	uint32_t v = (uint32_t)(rax & m), bits, mask;
	uint16_t cnt = in_reg(pm1.cnt_a, port, size) ? pm1.cnt_a : pm1.cnt_b;
	uint16_t sts = in_reg(pm1.sts_a, port, size) ? pm1.sts_a : pm1.sts_b;
	bool is_cnt = in_reg(pm1.cnt_a, port, size) ||
		      in_reg(pm1.cnt_b, port, size);

	if (in) {
		uint32_t r = port_in(port, size);

		if (!is_cnt && __atomic_load_n(&wake_pending, __ATOMIC_ACQUIRE)) {
			int shift = 8 * (port - sts);
			uint64_t w = ACPI_PM1_WAK_STS;

			r |= (uint32_t)((shift >= 0 ? w >> shift : w << -shift) & m);
		}
		return (size == 4 ? 0 : rax & ~m) | r;
	}
	if (is_cnt) {
		uint8_t s3 = cnt == pm1.cnt_a ? pm1.typ_a : pm1.typ_b;

		bits = reg_bits(cnt, port, v, size, &mask);
		if (acpi_pm1_cnt_sleeps(bits, mask, s3)) {
			acpi_sleep_refuse(cpu, s3, "port", port);
			return rax;
		}
	} else {
		bits = reg_bits(sts, port, v, size, &mask);
		if ((mask & ACPI_PM1_WAK_STS) && (bits & ACPI_PM1_WAK_STS))
			acpi_sleep_wake_ack();
	}
	port_out(port, size, v);
	return rax;
}
