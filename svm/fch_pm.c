// SPDX-License-Identifier: MIT
/*
 * The FCH's PM registers L1 may not write (svm/fch_pm.h has which and
 * why).  An access of 2 or 4 bytes that covers CD6h-CD7h is taken byte
 * by byte from the lowest port up, as the LPC bus behind these ports
 * carries it (one byte per cycle): so "OUT DX=CD6h, AX" writes the index
 * from AL, then the data from AH.
 */
#include "svm/fch_pm.h"

bool fch_pm_reg_locked(unsigned reg)
{
	return (reg >= 0x24 && reg <= 0x27) || (reg >= 0x60 && reg <= 0x6b);
}

bool fch_pm_mmio_locked(unsigned off, unsigned width)
{
	for (unsigned i = 0; i < width; i++) {
		unsigned o = off + i;

		if (o >= FCH_ACPIMMIO_PM && o < FCH_ACPIMMIO_PM + 0x100 &&
		    fch_pm_reg_locked(o - FCH_ACPIMMIO_PM))
			return true;
	}
	return false;
}

/* The 16 bits a store of width bytes of v at off writes to the register
 * at reg (mask: which of them it writes). */
static uint32_t reg16(unsigned reg, unsigned off, unsigned width, uint64_t v,
		      uint32_t *mask)
{
	uint32_t bits = 0;

	*mask = 0;
	for (unsigned i = 0; i < width; i++) {
		unsigned o = off + i;

		if (o >= reg && o < reg + 2) {
			bits |= (uint32_t)((v >> (8 * i)) & 0xff) << (8 * (o - reg));
			*mask |= 0xffu << (8 * (o - reg));
		}
	}
	return bits;
}

enum fch_store fch_acpimmio_store(unsigned off, unsigned width, uint64_t v,
				  int s3_typ)
{
	uint32_t bits, mask;

	if (fch_pm_mmio_locked(off, width))
		return FCH_STORE_DROP;
	bits = reg16(FCH_ACPIMMIO_ACPI + FCH_ACPI_PM1_CNT, off, width, v, &mask);
	if (s3_typ >= 0 && acpi_pm1_cnt_sleeps(bits, mask, (uint8_t)s3_typ))
		return FCH_STORE_SLEEP;
	bits = reg16(FCH_ACPIMMIO_ACPI + FCH_ACPI_PM1_STS, off, width, v, &mask);
	if (bits & mask & ACPI_PM1_WAK_STS)
		return FCH_STORE_WAKE_ACK;
	return FCH_STORE_WRITE;
}

bool fch_pm_ids(uint16_t vendor, uint16_t device)
{
	/* SMBus controllers of the SB7x0/SB8x0 (ATI 4385h) and of the
	 * Hudson and later FCHs (AMD 780Bh, 790Bh). */
	return (vendor == 0x1002 && device == 0x4385) ||
	       (vendor == 0x1022 && (device == 0x780b || device == 0x790b));
}

bool fch_pm_owns(uint16_t port, unsigned size)
{
	return port <= FCH_PM_DATA && port + size > FCH_PM_INDEX;
}

/* One byte at port; the lock held. */
static uint8_t byte_io(struct fch_pm *f, uint16_t port, bool in, uint8_t v)
{
	if (port == FCH_PM_INDEX) {
		if (in)
			return f->index;
		f->index = v;
		return 0;
	}
	if (port != FCH_PM_DATA) {
		if (in)
			return f->in8(port);
		f->out8(port, v);
		return 0;
	}
	if (!in && fch_pm_reg_locked(f->index)) {
		f->nr_dropped++;
		return 0;
	}
	f->out8(FCH_PM_INDEX, f->index);
	if (in)
		return f->in8(FCH_PM_DATA);
	f->out8(FCH_PM_DATA, v);
	return 0;
}

uint32_t fch_pm_io(struct fch_pm *f, uint16_t port, unsigned size, bool in,
		   uint32_t val)
{
	uint32_t r = 0;

	spin_lock(&f->lock);
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = byte_io(f, (uint16_t)(port + i), in,
				    (uint8_t)(val >> (8 * i)));

		r |= (uint32_t)b << (8 * i);
	}
	spin_unlock(&f->lock);
	return r;
}
