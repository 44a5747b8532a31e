// SPDX-License-Identifier: MIT
/*
 * ACPI: the FADT's PM1 registers and \_S3 in the DSDT (S3), its SMI
 * command port, finding the IOMMUs (IVRS) and segment 0's ECAM (MCFG),
 * and hiding IVRS (layouts in acpi.h; ACPI 6.x §5.2.5 RSDP, §5.2.7 RSDT,
 * §5.2.8 XSDT, §5.2.6 the common 36-byte header: signature, length at 4,
 * checksum at 9).  Byte by byte, little-endian, no alignment assumed.
 */
#include "boot/acpi.h"

#include "mm/err.h"

/* ---- FADT and DSDT: S3 ---------------------------------------------------- */

#define FADT_DSDT          40
#define FADT_SMI_CMD       48
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

/* One PM1 block: the X_ GAS where the table has it and it is set, else
 * the 32-bit field.  *io is false for a block outside I/O space. */
static uint16_t pm1_block(const uint8_t *f, size_t len, unsigned legacy,
			  unsigned x, bool *io)
{
	*io = true;
	if (len >= x + GAS_SIZE && acpi_le(f + x + 4, 8)) {
		if (f[x] != GAS_SYSTEM_IO || acpi_le(f + x + 4, 8) > 0xffff) {
			*io = false;
			return 0;
		}
		return (uint16_t)acpi_le(f + x + 4, 8);
	}
	if (acpi_le(f + legacy, 4) > 0xffff) {
		*io = false;
		return 0;
	}
	return (uint16_t)acpi_le(f + legacy, 4);
}

int acpi_fadt_pm1(const uint8_t *fadt, size_t len, struct acpi_pm1 *out)
{
	bool io_ea, io_eb, io_ca, io_cb;

	if (len < FADT_FLAGS + 4 || acpi_le(fadt, 4) != 0x50434146u /* FACP */ ||
	    acpi_le(fadt + 4, 4) > len)
		return -NV_EINVAL;
	len = acpi_le(fadt + 4, 4);
	if (acpi_le(fadt + FADT_FLAGS, 4) & FADT_HW_REDUCED)
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
		.dsdt = len >= FADT_X_DSDT + 8 && acpi_le(fadt + FADT_X_DSDT, 8) ?
				acpi_le(fadt + FADT_X_DSDT, 8) :
				acpi_le(fadt + FADT_DSDT, 4),
	};
	if (!io_ea || !io_eb || !io_ca || !io_cb || !out->cnt_a || !out->sts_a)
		return -NV_ENOENT;
	return 0;
}

int acpi_fadt_smi_cmd(const uint8_t *fadt, size_t len, uint16_t *port)
{
	uint64_t smi_cmd;

	if (len < FADT_FLAGS + 4 || acpi_le(fadt, 4) != 0x50434146u /* FACP */ ||
	    acpi_le(fadt + 4, 4) > len)
		return -NV_EINVAL;
	if (acpi_le(fadt + FADT_FLAGS, 4) & FADT_HW_REDUCED)
		return -NV_ENOENT;
	smi_cmd = acpi_le(fadt + FADT_SMI_CMD, 4);
	if (!smi_cmd)
		return -NV_ENOENT;
	if (smi_cmd > 0xffff)
		return -NV_EINVAL;
	*port = (uint16_t)smi_cmd;
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
	case 0x0b: if (avail < 3) return -1; *v = acpi_le(p + 1, 2); return 3;
	case 0x0c: if (avail < 5) return -1; *v = acpi_le(p + 1, 4); return 5;
	default: return -1;
	}
}

int acpi_sleep_type(const uint8_t *dsdt, size_t len, const char name[4],
		    uint8_t *typ_a, uint8_t *typ_b)
{
	if (len < 36)
		return -NV_EINVAL;
	if (acpi_le(dsdt + 4, 4) < len)
		len = acpi_le(dsdt + 4, 4);
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

/* ---- IVRS and MCFG: the IOMMUs --------------------------------------------- */

#define HDR_LEN       36
#define IVRS_FIRST    48   /* header, IVinfo, 8 reserved bytes */
#define MCFG_FIRST    44   /* header, 8 reserved bytes */
#define MADT_FIRST    44   /* header, local APIC address, flags */
#define MCFG_ENTRY    16

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

bool acpi_checksum_ok(const void *table, size_t len)
{
	const uint8_t *b = table;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum == 0;
}

static void fix_checksum(uint8_t *t, uint32_t len)
{
	uint8_t sum = 0;

	t[9] = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	t[9] = (uint8_t)-sum;
}

static bool sig_is(const uint8_t *t, const char *sig)
{
	return t[0] == sig[0] && t[1] == sig[1] && t[2] == sig[2] &&
	       t[3] == sig[3];
}

/* A whole table with its checksum right, or NULL. */
static const uint8_t *table_at(uint64_t pa)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)pa;
	uint32_t len;

	if (!pa)
		return 0;
	len = rd32(t + 4);
	if (len < HDR_LEN || !acpi_checksum_ok(t, len))
		return 0;
	return t;
}

int acpi_parse_ivrs(const uint8_t *ivrs, struct acpi_platform *p)
{
	uint32_t len = rd32(ivrs + 4), off = IVRS_FIRST;

	p->ivrs = true;
	while (off + 4 <= len) {
		uint8_t type = ivrs[off];
		uint16_t blen = rd16(ivrs + off + 2);
		const uint8_t *b = ivrs + off;
		bool seen = false;

		if (blen < 4 || off + blen > len)
			return -NV_EINVAL;
		if ((type == 0x10 || type == 0x11 || type == 0x40) && blen >= 24) {
			uint64_t base = rd64(b + 8);

			for (unsigned i = 0; i < p->n_iommus; i++)
				seen |= p->iommu[i].base == base;
			if (!seen && base && p->n_iommus < ACPI_MAX_IOMMUS)
				p->iommu[p->n_iommus++] = (struct acpi_iommu){
					.base = base, .bdf = rd16(b + 4),
					.cap_offset = rd16(b + 6),
					.segment = rd16(b + 16),
				};
		}
		off += blen;
	}
	return 0;
}

int acpi_parse_mcfg(const uint8_t *mcfg, struct acpi_platform *p)
{
	uint32_t len = rd32(mcfg + 4);

	for (uint32_t off = MCFG_FIRST; off + MCFG_ENTRY <= len; off += MCFG_ENTRY) {
		const uint8_t *e = mcfg + off;

		if (rd16(e + 8) == 0 && !p->ecam_base) {
			p->ecam_base = rd64(e);
			p->ecam_bus_first = e[10];
			p->ecam_bus_last = e[11];
		}
	}
	return 0;
}

int acpi_parse_madt(const uint8_t *madt, struct acpi_platform *p)
{
	uint32_t len = rd32(madt + 4), off = MADT_FIRST;

	while (off + 2 <= len) {
		uint8_t type = madt[off], elen = madt[off + 1];

		if (elen < 2 || off + elen > len)
			return -NV_EINVAL;
		if (type == 1 && elen >= 12 && p->n_ioapics < ACPI_MAX_IOAPICS)
			p->ioapic[p->n_ioapics++] = rd32(madt + off + 4);
		off += elen;
	}
	return 0;
}

/* The root table's entries: the XSDT's 8-byte ones when the RSDP has one
 * (revision >= 2), else the RSDT's 4-byte ones. */
static uint8_t *root_table(const uint8_t *rsdp, unsigned *entry_size)
{
	const uint8_t *t = 0;

	if (rsdp[15] >= 2 && rd32(rsdp + 20) >= 36 &&
	    acpi_checksum_ok(rsdp, rd32(rsdp + 20))) {
		t = table_at(rd64(rsdp + 24));
		*entry_size = 8;
	}
	if (!t && acpi_checksum_ok(rsdp, 20)) {
		t = table_at(rd32(rsdp + 16));
		*entry_size = 4;
	}
	return (uint8_t *)(uintptr_t)t;
}

int acpi_scan(const uint8_t *rsdp, struct acpi_platform *p)
{
	unsigned es = 0;
	const uint8_t *root = root_table(rsdp, &es);
	uint32_t len;
	int rc = 0;

	*p = (struct acpi_platform){ 0 };
	if (!root)
		return -NV_EINVAL;
	len = rd32(root + 4);
	for (uint32_t off = HDR_LEN; off + es <= len; off += es) {
		const uint8_t *t = table_at(es == 8 ? rd64(root + off) :
					    rd32(root + off));

		if (t && sig_is(t, "IVRS") && acpi_parse_ivrs(t, p))
			rc = -NV_EINVAL;
		else if (t && sig_is(t, "MCFG"))
			acpi_parse_mcfg(t, p);
		else if (t && sig_is(t, "APIC"))
			acpi_parse_madt(t, p);
	}
	return rc;
}

/* Remove the IVRS entries of one root table (entry size es). */
static int hide_in(uint8_t *root, unsigned es)
{
	uint32_t len = rd32(root + 4), out = HDR_LEN;
	int removed = 0;

	for (uint32_t off = HDR_LEN; off + es <= len; off += es) {
		uint64_t pa = es == 8 ? rd64(root + off) : rd32(root + off);
		const uint8_t *t = table_at(pa);

		if (t && sig_is(t, "IVRS")) {
			removed++;
			continue;
		}
		for (unsigned i = 0; i < es; i++)
			root[out + i] = root[off + i];
		out += es;
	}
	if (removed) {
		wr32(root + 4, out);
		fix_checksum(root, out);
	}
	return removed;
}

int acpi_hide_ivrs(uint8_t *rsdp)
{
	int removed = 0;
	uint8_t *t;

	if (rsdp[15] >= 2 && rd32(rsdp + 20) >= 36 &&
	    acpi_checksum_ok(rsdp, rd32(rsdp + 20)) &&
	    (t = (uint8_t *)(uintptr_t)table_at(rd64(rsdp + 24))))
		removed += hide_in(t, 8);
	if (acpi_checksum_ok(rsdp, 20) &&
	    (t = (uint8_t *)(uintptr_t)table_at(rd32(rsdp + 16))))
		removed += hide_in(t, 4);
	return removed;
}
