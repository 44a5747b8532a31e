// SPDX-License-Identifier: MIT
/*
 * ACPI: finding the IOMMUs (IVRS) and segment 0's ECAM (MCFG), and hiding
 * IVRS (layouts in acpi.h; ACPI 6.x §5.2.5 RSDP, §5.2.7 RSDT, §5.2.8
 * XSDT, §5.2.6 the common 36-byte header: signature, length at 4,
 * checksum at 9).  Byte by byte, little-endian, no alignment assumed.
 */
#include "boot/acpi.h"

#include "mm/err.h"

#define HDR_LEN       36
#define IVRS_FIRST    48   /* header, IVinfo, 8 reserved bytes */
#define MCFG_FIRST    44   /* header, 8 reserved bytes */
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
