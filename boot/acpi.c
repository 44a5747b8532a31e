// SPDX-License-Identifier: MIT
/* FADT and DSDT parsing for S3 (offsets and encodings: boot/acpi.h). */
#include "boot/acpi.h"

#include "core/err.h"

#define FADT_DSDT          40
#define FADT_PM1A_EVT      56
#define FADT_PM1B_EVT      60
#define FADT_PM1A_CNT      64
#define FADT_PM1B_CNT      68
#define FADT_FLAGS         112
#define FADT_HW_REDUCED    (1u << 20)
#define FADT_X_DSDT        140
#define FADT_X_PM1A_EVT    148
#define FADT_X_PM1B_EVT    160
#define FADT_X_PM1A_CNT    172
#define FADT_X_PM1B_CNT    184
#define GAS_SIZE           12
#define GAS_SYSTEM_IO      1

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* One PM1 block: the X_ GAS where the table has it and it is set, else
 * the 32-bit field.  *io is false for a block outside I/O space. */
static uint16_t pm1_block(const uint8_t *f, size_t len, unsigned legacy,
			  unsigned x, bool *io)
{
	*io = true;
	if (len >= x + GAS_SIZE && le(f + x + 4, 8)) {
		if (f[x] != GAS_SYSTEM_IO || le(f + x + 4, 8) > 0xffff) {
			*io = false;
			return 0;
		}
		return (uint16_t)le(f + x + 4, 8);
	}
	if (le(f + legacy, 4) > 0xffff) {
		*io = false;
		return 0;
	}
	return (uint16_t)le(f + legacy, 4);
}

int acpi_fadt_pm1(const uint8_t *fadt, size_t len, struct acpi_pm1 *out)
{
	bool io_ea, io_eb, io_ca, io_cb;

	if (len < FADT_FLAGS + 4 || le(fadt, 4) != 0x50434146u /* FACP */ ||
	    le(fadt + 4, 4) > len)
		return -NV_EINVAL;
	len = le(fadt + 4, 4);
	if (le(fadt + FADT_FLAGS, 4) & FADT_HW_REDUCED)
		return -NV_ENOENT;
	*out = (struct acpi_pm1){
		.sts_a = pm1_block(fadt, len, FADT_PM1A_EVT, FADT_X_PM1A_EVT,
				   &io_ea),
		.sts_b = pm1_block(fadt, len, FADT_PM1B_EVT, FADT_X_PM1B_EVT,
				   &io_eb),
		.cnt_a = pm1_block(fadt, len, FADT_PM1A_CNT, FADT_X_PM1A_CNT,
				   &io_ca),
		.cnt_b = pm1_block(fadt, len, FADT_PM1B_CNT, FADT_X_PM1B_CNT,
				   &io_cb),
		.dsdt = len >= FADT_X_DSDT + 8 && le(fadt + FADT_X_DSDT, 8) ?
				le(fadt + FADT_X_DSDT, 8) :
				le(fadt + FADT_DSDT, 4),
	};
	if (!io_ea || !io_eb || !io_ca || !io_cb || !out->cnt_a || !out->sts_a)
		return -NV_ENOENT;
	return 0;
}

/* One package element that is an integer: its value and size, or -1. */
static int aml_integer(const uint8_t *p, size_t avail, uint64_t *v)
{
	if (!avail)
		return -1;
	switch (p[0]) {
	case 0x00: *v = 0; return 1;                      /* ZeroOp */
	case 0x01: *v = 1; return 1;                      /* OneOp */
	case 0xff: *v = ~0ull; return 1;                  /* OnesOp */
	case 0x0a: if (avail < 2) return -1; *v = p[1]; return 2;
	case 0x0b: if (avail < 3) return -1; *v = le(p + 1, 2); return 3;
	case 0x0c: if (avail < 5) return -1; *v = le(p + 1, 4); return 5;
	default: return -1;
	}
}

int acpi_sleep_type(const uint8_t *dsdt, size_t len, const char name[4],
		    uint8_t *typ_a, uint8_t *typ_b)
{
	if (len < 36)
		return -NV_EINVAL;
	if (le(dsdt + 4, 4) < len)
		len = le(dsdt + 4, 4);
	for (size_t i = 36; i + 6 <= len; i++) {
		size_t p;
		unsigned extra;
		uint64_t a, b;
		int n;

		/* NameOp, optionally a root prefix '\', the name, PackageOp */
		if (dsdt[i] != 0x08)
			continue;
		p = i + 1 + (dsdt[i + 1] == '\\');
		if (p + 5 > len || dsdt[p] != (uint8_t)name[0] ||
		    dsdt[p + 1] != (uint8_t)name[1] ||
		    dsdt[p + 2] != (uint8_t)name[2] ||
		    dsdt[p + 3] != (uint8_t)name[3] || dsdt[p + 4] != 0x12)
			continue;
		p += 5;
		extra = dsdt[p] >> 6;          /* PkgLength's further bytes */
		p += 1 + extra + 1;            /* PkgLength, NumElements */
		if (p >= len)
			return -NV_EINVAL;
		n = aml_integer(dsdt + p, len - p, &a);
		if (n < 0)
			return -NV_EINVAL;
		p += (size_t)n;
		n = aml_integer(dsdt + p, len - p, &b);
		if (n < 0)
			b = a; /* a one-element package: PM1b like PM1a */
		*typ_a = (uint8_t)(a & 7);
		*typ_b = (uint8_t)(b & 7);
		return 0;
	}
	return -NV_ENOENT;
}
