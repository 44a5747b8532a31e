// SPDX-License-Identifier: MIT
/*
 * boot/acpi.c on tables built here byte by byte from the specifications:
 * RSDP (ACPI 6.x §5.2.5.3: "RSD PTR ", checksum over 20 bytes, revision at
 * 15, RSDT address at 16, length at 20, XSDT address at 24, extended
 * checksum), the 36-byte header (§5.2.6), XSDT/RSDT (§5.2.8/§5.2.7), MCFG
 * (PCI Firmware Specification §4.1.2: 8 reserved bytes, then 16-byte
 * entries: base, segment, first bus, last bus) and IVRS (AMD IOMMU
 * specification §5.2: IVinfo and 8 reserved bytes, then IVHD blocks:
 * type, flags, length, DeviceID, capability offset, base address at 8,
 * segment at 16, info at 18; type 11h/40h blocks are 40 bytes before
 * their device entries).  Tables live below 4 GiB (MAP_32BIT) so that the
 * RSDT's 32-bit pointers reach them.
 * The FADT's PM1 registers and SMI command port and the DSDT's \_S3/\_S5
 * packages, on tables laid out by hand from ACPI 6.4 (§5.2.9 FADT field
 * offsets, §5.2.3.2 Generic Address Structure, §20.2 AML encodings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "boot/acpi.h"
#include "boot/acpi_s3.h"
#include "mm/err.h"

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A FADT of len bytes with the 32-bit PM1 fields set. */
static void fadt_v1(uint8_t *f, unsigned len)
{
	memset(f, 0, 276);
	memcpy(f, "FACP", 4);
	put(f + 4, len, 4);
	put(f + 40, 0x1000, 4);     /* DSDT */
	put(f + 56, 0x600, 4);      /* PM1a_EVT_BLK */
	put(f + 64, 0x604, 4);      /* PM1a_CNT_BLK */
}

static void gas(uint8_t *g, uint8_t space, uint64_t addr)
{
	g[0] = space;
	g[1] = 16;
	put(g + 4, addr, 8);
}

static void test_fadt(void **state)
{
	uint8_t f[276];
	struct acpi_pm1 pm;
	(void)state;

	/* ACPI 1.0 length (116): the 32-bit fields. */
	fadt_v1(f, 116);
	assert_int_equal(acpi_fadt_pm1(f, 116, &pm), 0);
	assert_int_equal(pm.sts_a, 0x600);
	assert_int_equal(pm.cnt_a, 0x604);
	assert_int_equal(pm.sts_b, 0);
	assert_int_equal(pm.cnt_b, 0);
	assert_int_equal(pm.dsdt, 0x1000);

	/* ACPI 2.0+: the X_ fields win when set (I/O space), X_DSDT too. */
	fadt_v1(f, 244);
	put(f + 140, 0x123456789000ull, 8);
	gas(f + 148, 1, 0x1800);
	gas(f + 172, 1, 0x1804);
	gas(f + 184, 1, 0x1808);
	assert_int_equal(acpi_fadt_pm1(f, 244, &pm), 0);
	assert_int_equal(pm.sts_a, 0x1800);
	assert_int_equal(pm.cnt_a, 0x1804);
	assert_int_equal(pm.cnt_b, 0x1808);
	assert_int_equal(pm.dsdt, 0x123456789000ull);

	/* PM1a control in memory space: nothing nestvisor can intercept. */
	gas(f + 172, 0, 0xfed80004);
	assert_int_equal(acpi_fadt_pm1(f, 244, &pm), -NV_ENOENT);

	/* Hardware-reduced ACPI (Flags bit 20). */
	fadt_v1(f, 244);
	put(f + 112, 1u << 20, 4);
	assert_int_equal(acpi_fadt_pm1(f, 244, &pm), -NV_ENOENT);

	/* Not a FADT, or shorter than its fixed part. */
	fadt_v1(f, 244);
	memcpy(f, "APIC", 4);
	assert_int_equal(acpi_fadt_pm1(f, 244, &pm), -NV_EINVAL);
	fadt_v1(f, 100);
	assert_int_equal(acpi_fadt_pm1(f, 100, &pm), -NV_EINVAL);
}

/* SMI_CMD (§5.2.9, offset 48): the port, or none. */
static void test_fadt_smi_cmd(void **state)
{
	uint8_t f[276];
	uint16_t port = 0;
	(void)state;

	fadt_v1(f, 244);
	put(f + 48, 0xb2, 4);
	assert_int_equal(acpi_fadt_smi_cmd(f, 244, &port), 0);
	assert_int_equal(port, 0xb2);
	/* zero: no SMM command port */
	put(f + 48, 0, 4);
	assert_int_equal(acpi_fadt_smi_cmd(f, 244, &port), -NV_ENOENT);
	/* hardware-reduced ACPI: the field is not used */
	put(f + 48, 0xb2, 4);
	put(f + 112, 1u << 20, 4);
	assert_int_equal(acpi_fadt_smi_cmd(f, 244, &port), -NV_ENOENT);
	/* no I/O port */
	fadt_v1(f, 244);
	put(f + 48, 0x10000, 4);
	assert_int_equal(acpi_fadt_smi_cmd(f, 244, &port), -NV_EINVAL);
	/* not a FADT, too short */
	fadt_v1(f, 244);
	put(f + 48, 0xb2, 4);
	memcpy(f, "APIC", 4);
	assert_int_equal(acpi_fadt_smi_cmd(f, 244, &port), -NV_EINVAL);
	fadt_v1(f, 100);
	assert_int_equal(acpi_fadt_smi_cmd(f, 100, &port), -NV_EINVAL);
}

/* A DSDT: a 36-byte header, then aml. */
static unsigned dsdt(uint8_t *d, const uint8_t *aml, unsigned n)
{
	memset(d, 0, 36);
	memcpy(d, "DSDT", 4);
	put(d + 4, 36 + n, 4);
	memcpy(d + 36, aml, n);
	return 36 + n;
}

static void test_sleep_types(void **state)
{
	uint8_t d[128], a, b;
	unsigned n;
	(void)state;

	/* Name (_S3, Package (0x04) { One, One, Zero, Zero }) */
	static const uint8_t s3_ones[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x06,
					   0x04, 0x01, 0x01, 0x00, 0x00 };
	n = dsdt(d, s3_ones, sizeof(s3_ones));
	assert_int_equal(acpi_sleep_type(d, n, "_S3_", &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 1);

	/* Name (\_S5, Package { 0x05, 0x07 }) with BytePrefix, root prefix,
	 * after other AML; _S3 absent. */
	static const uint8_t s5[] = { 0x10, 0x05, '_', 'S', 'B', '_', 0x00,
				      0x08, '\\', '_', 'S', '5', '_', 0x12, 0x07,
				      0x02, 0x0a, 0x05, 0x0a, 0x07 };
	n = dsdt(d, s5, sizeof(s5));
	assert_int_equal(acpi_sleep_type(d, n, "_S5_", &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 7);
	assert_int_equal(acpi_sleep_type(d, n, "_S3_", &a, &b), -NV_ENOENT);

	/* A two-byte PkgLength (bits 7:6 = 1) and a WordPrefix value. */
	static const uint8_t long_len[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x40,
					    0x01, 0x02, 0x0b, 0x03, 0x00, 0x00 };
	n = dsdt(d, long_len, sizeof(long_len));
	assert_int_equal(acpi_sleep_type(d, n, "_S3_", &a, &b), 0);
	assert_int_equal(a, 3);
	assert_int_equal(b, 0);

	/* Not an integer where SLP_TYPa should be (a string). */
	static const uint8_t bad[] = { 0x08, '_', 'S', '3', '_', 0x12, 0x05,
				       0x02, 0x0d, 'x', 0x00 };
	n = dsdt(d, bad, sizeof(bad));
	assert_int_equal(acpi_sleep_type(d, n, "_S3_", &a, &b), -NV_EINVAL);

	/* The name as a method argument, not a Name(): not \_S3. */
	static const uint8_t ref[] = { 0x70, '_', 'S', '3', '_', 0x60 };
	n = dsdt(d, ref, sizeof(ref));
	assert_int_equal(acpi_sleep_type(d, n, "_S3_", &a, &b), -NV_ENOENT);
}

static uint8_t *arena;
static size_t used;

static uint8_t *take(size_t n)
{
	uint8_t *p = arena + used;

	used += (n + 15) & ~(size_t)15;
	memset(p, 0, n);
	return p;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static void sum_at(uint8_t *t, size_t len, size_t at)
{
	uint8_t s = 0;

	t[at] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + t[i]);
	t[at] = (uint8_t)-s;
}

static uint8_t *table(const char *sig, uint32_t len)
{
	uint8_t *t = take(len);

	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = 1;
	return t;
}

static void seal(uint8_t *t)
{
	uint32_t len = (uint32_t)(t[4] | t[5] << 8 | t[6] << 16 | (uint32_t)t[7] << 24);

	sum_at(t, len, 9);
}

static uint64_t pa(const uint8_t *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint8_t *ivrs_table(void)
{
	uint8_t *t = table("IVRS", 48 + 28 + 44 + 24 + 32);
	uint8_t *b = t + 48;

	/* IVHD 10h: 00:02.0, cap 0x40, base 0xfed80000, one device entry */
	b[0] = 0x10; put16(b + 2, 28); put16(b + 4, 0x0010); put16(b + 6, 0x40);
	put64(b + 8, 0xfed80000ull); b[24] = 0x01;
	/* IVHD 11h for the same IOMMU: counted once */
	b += 28;
	b[0] = 0x11; put16(b + 2, 44); put16(b + 4, 0x0010); put16(b + 6, 0x40);
	put64(b + 8, 0xfed80000ull); b[40] = 0x01;
	/* a second IOMMU, 01:00.0 on segment 0 */
	b += 44;
	b[0] = 0x10; put16(b + 2, 24); put16(b + 4, 0x0100); put16(b + 6, 0x64);
	put64(b + 8, 0xfec00000ull);
	/* IVMD 20h: skipped */
	b += 24;
	b[0] = 0x20; put16(b + 2, 32);
	seal(t);
	return t;
}

static uint8_t *mcfg_table(void)
{
	uint8_t *t = table("MCFG", 44 + 32);

	put64(t + 44, 0xe0000000ull); put16(t + 52, 1); t[54] = 0; t[55] = 0x7f;
	put64(t + 60, 0xb0000000ull); put16(t + 68, 0); t[70] = 0; t[71] = 0xff;
	seal(t);
	return t;
}

/* RSDP rev 2 with an XSDT and an RSDT over the same tables. */
static uint8_t *platform(uint8_t **xsdt_out, uint8_t **rsdt_out)
{
	uint8_t *facp = table("FACP", 36), *ivrs = ivrs_table(), *mcfg = mcfg_table();
	uint8_t *xsdt = table("XSDT", 36 + 3 * 8), *rsdt = table("RSDT", 36 + 3 * 4);
	uint8_t *rsdp = take(36);
	const uint8_t *list[3] = { facp, ivrs, mcfg };

	seal(facp);
	for (unsigned i = 0; i < 3; i++) {
		put64(xsdt + 36 + 8 * i, pa(list[i]));
		put32(rsdt + 36 + 4 * i, (uint32_t)pa(list[i]));
	}
	seal(xsdt);
	seal(rsdt);
	memcpy(rsdp, "RSD PTR ", 8);
	rsdp[15] = 2;
	put32(rsdp + 16, (uint32_t)pa(rsdt));
	put32(rsdp + 20, 36);
	put64(rsdp + 24, pa(xsdt));
	sum_at(rsdp, 20, 8);
	sum_at(rsdp, 36, 32);
	*xsdt_out = xsdt;
	*rsdt_out = rsdt;
	return rsdp;
}

static int setup(void **state)
{
	(void)state;
	if (!arena) {
		arena = mmap(0, 1 << 20, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		assert_true(arena != MAP_FAILED);
	}
	used = 0;
	return 0;
}

static void scan(void **state)
{
	uint8_t *x, *r, *rsdp = platform(&x, &r);
	struct acpi_platform p;

	(void)state;
	assert_int_equal(acpi_scan(rsdp, &p), 0);
	assert_true(p.ivrs);
	assert_int_equal(p.n_iommus, 2);
	assert_int_equal(p.iommu[0].base, 0xfed80000ull);
	assert_int_equal(p.iommu[0].bdf, 0x0010);
	assert_int_equal(p.iommu[0].cap_offset, 0x40);
	assert_int_equal(p.iommu[0].segment, 0);
	assert_int_equal(p.iommu[1].base, 0xfec00000ull);
	assert_int_equal(p.iommu[1].bdf, 0x0100);
	assert_int_equal(p.ecam_base, 0xb0000000ull); /* segment 0's only */
	assert_int_equal(p.ecam_bus_last, 0xff);
	/* revision 0: the RSDT */
	rsdp[15] = 0;
	sum_at(rsdp, 20, 8);
	assert_int_equal(acpi_scan(rsdp, &p), 0);
	assert_int_equal(p.n_iommus, 2);
}

static void bad_tables(void **state)
{
	uint8_t *x, *r, *rsdp = platform(&x, &r), *ivrs;
	struct acpi_platform p;

	(void)state;
	/* a block running past the table: malformed, nothing from it */
	ivrs = (uint8_t *)(uintptr_t)(x[44] | x[45] << 8 | x[46] << 16 |
				      (uint64_t)x[47] << 24);
	put16(ivrs + 48 + 2, 2000);
	seal(ivrs);
	assert_int_equal(acpi_scan(rsdp, &p), -NV_EINVAL);
	assert_int_equal(p.n_iommus, 0);
	/* a checksum that fails: the table is not there */
	put16(ivrs + 48 + 2, 28);
	ivrs[9]++;
	assert_int_equal(acpi_scan(rsdp, &p), 0);
	assert_false(p.ivrs);
	assert_int_equal(p.ecam_base, 0xb0000000ull);
	/* an RSDP whose checksums fail: nothing at all */
	rsdp[8]++;
	rsdp[32]++;
	assert_int_equal(acpi_scan(rsdp, &p), -NV_EINVAL);
}

/* MADT (ACPI 6.4 §5.2.12): header, local APIC address and flags, then
 * structures: a processor local APIC (type 0, 8 bytes), two I/O APICs
 * (type 1, 12 bytes: ID, reserved, address, GSI base), an interrupt
 * source override (type 2, 10 bytes). */
static void madt(void **state)
{
	uint8_t *t = table("APIC", 44 + 8 + 12 + 10 + 12), *e = t + 44;
	struct acpi_platform p = { 0 };

	(void)state;
	put32(t + 36, 0xfee00000u);
	e[0] = 0; e[1] = 8; e[2] = 0; e[3] = 0; put32(e + 4, 1);
	e += 8;
	e[0] = 1; e[1] = 12; e[2] = 0; put32(e + 4, 0xfec00000u); put32(e + 8, 0);
	e += 12;
	e[0] = 2; e[1] = 10; e[3] = 0; put32(e + 4, 2);
	e += 10;
	e[0] = 1; e[1] = 12; e[2] = 1; put32(e + 4, 0xfec01000u); put32(e + 8, 24);
	seal(t);
	assert_int_equal(acpi_parse_madt(t, &p), 0);
	assert_int_equal(p.n_ioapics, 2);
	assert_int_equal(p.ioapic[0], 0xfec00000ull);
	assert_int_equal(p.ioapic[1], 0xfec01000ull);
	/* a structure running past the table: the whole ones kept */
	p = (struct acpi_platform){ 0 };
	t[44 + 8 + 12 + 1] = 40;
	assert_int_equal(acpi_parse_madt(t, &p), -NV_EINVAL);
	assert_int_equal(p.n_ioapics, 1);
	/* a zero length would loop: malformed */
	p = (struct acpi_platform){ 0 };
	t[44 + 8 + 12 + 1] = 0;
	assert_int_equal(acpi_parse_madt(t, &p), -NV_EINVAL);
}

static void hide(void **state)
{
	uint8_t *x, *r, *rsdp = platform(&x, &r);
	struct acpi_platform p;
	uint64_t e0, e1;

	(void)state;
	assert_int_equal(acpi_hide_ivrs(rsdp), 2);
	assert_int_equal(x[4], 36 + 2 * 8);
	assert_int_equal(r[4], 36 + 2 * 4);
	assert_true(acpi_checksum_ok(x, 36 + 2 * 8));
	assert_true(acpi_checksum_ok(r, 36 + 2 * 4));
	e0 = (uint64_t)x[36] | (uint64_t)x[37] << 8 | (uint64_t)x[38] << 16 |
	     (uint64_t)x[39] << 24;
	e1 = (uint64_t)x[44] | (uint64_t)x[45] << 8 | (uint64_t)x[46] << 16 |
	     (uint64_t)x[47] << 24;
	assert_memory_equal((const void *)(uintptr_t)e0, "FACP", 4);
	assert_memory_equal((const void *)(uintptr_t)e1, "MCFG", 4);
	assert_int_equal(acpi_scan(rsdp, &p), 0);
	assert_false(p.ivrs);
	assert_int_equal(p.n_iommus, 0);
	assert_int_equal(p.ecam_base, 0xb0000000ull);
	assert_int_equal(acpi_hide_ivrs(rsdp), 0);
}

/* ---- hiding \_S3 (boot/acpi_s3.c) ----
 * Definition blocks laid out by hand from ACPI 6.4 §20.2 (NameOp 08,
 * ScopeOp 10, MethodOp 14, IfOp A0, PackageOp 12, StoreOp 70, ReturnOp
 * A4, ExtOp 5B with OpRegionOp 80 and DeviceOp 82, DWordPrefix 0C,
 * StringPrefix 0D, root prefix 5C, DualNamePrefix 2E, Local0 60;
 * PkgLength §20.2.4 counts its own bytes; bits 7:6 of its first byte give
 * the number of further bytes, which then hold bits 4 and up).  The
 * checksum rule (§5.2.6: every byte of the table sums to 0 mod 256) is
 * checked here by adding the bytes up. */

static unsigned byte_sum(const uint8_t *t, size_t len)
{
	unsigned s = 0;

	for (size_t i = 0; i < len; i++)
		s += t[i];
	return s & 0xff;
}

/* A sealed definition block with signature sig: header, then aml. */
static unsigned block(uint8_t *d, const char *sig, const uint8_t *aml,
		      unsigned n)
{
	memset(d, 0, 36);
	memcpy(d, sig, 4);
	put(d + 4, 36 + n, 4);
	d[8] = 2;
	memcpy(d + 36, aml, n);
	sum_at(d, 36 + n, 9);
	return 36 + n;
}

/* As QEMU lays out its DSDT:
 *   Scope (\) { OperationRegion (DBG_, SystemIO, 0x0402, One) }
 *   Scope (_SB_) { Device (PCI0) { Name (_HID, 0x080AD041) } }
 *   Scope (\) { Name (_S3_, Package (4) { One, One, Zero, Zero })
 *               Name (_S5_, Package (4) { Zero, Zero, Zero, Zero }) }
 * the second scope with a two-byte PkgLength (23 = 0x47, 0x01). */
static const uint8_t qemu_like[] = {
	0x10, 0x0e, 0x5c, 0x00, 0x5b, 0x80, 'D', 'B', 'G', '_', 0x01,
	0x0b, 0x02, 0x04, 0x01,
	0x10, 0x47, 0x01, '_', 'S', 'B', '_',
	0x5b, 0x82, 0x0f, 'P', 'C', 'I', '0',
	0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08,
	0x10, 0x1b, 0x5c, 0x00,
	0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};
#define QEMU_LIKE_S3 (36 + 15 + 24 + 4 + 1)   /* the NameSeg's offset */

static void s3_rename(void **state)
{
	uint8_t d[256], before[256], a, b;
	unsigned n = block(d, "DSDT", qemu_like, sizeof(qemu_like));
	(void)state;

	memcpy(before, d, n);
	assert_int_equal(byte_sum(d, n), 0);
	assert_memory_equal(d + QEMU_LIKE_S3, "_S3_", 4);
	/* a dry run changes nothing */
	assert_int_equal(acpi_s3_in_table(d, n, false), 1);
	assert_memory_equal(d, before, n);
	assert_int_equal(acpi_s3_in_table(d, n, true), 1);
	/* the NameSeg renamed, the checksum byte fixed, nothing else */
	assert_memory_equal(d + QEMU_LIKE_S3, "XS3_", 4);
	assert_int_equal(byte_sum(d, n), 0);
	for (unsigned i = 0; i < n; i++)
		if (i != 9 && i != QEMU_LIKE_S3)
			assert_int_equal(d[i], before[i]);
	/* an OS looking for \_S3 finds none; \_S5 is still there */
	assert_int_equal(acpi_sleep_type(d, n, "_S3_", &a, &b), -NV_ENOENT);
	assert_int_equal(acpi_sleep_type(d, n, "_S5_", &a, &b), 0);
	/* done: nothing left to rename */
	assert_int_equal(acpi_s3_in_table(d, n, true), 0);

	/* Name (\_S3_, Package (2) { 0x05, 0x00000001 }) at the top
	 * level, with a root prefix; BytePrefix and DWordPrefix values. */
	static const uint8_t rooted[] = {
		0x08, 0x5c, '_', 'S', '3', '_', 0x12, 0x09, 0x02,
		0x0a, 0x05, 0x0c, 0x01, 0x00, 0x00, 0x00,
	};
	n = block(d, "SSDT", rooted, sizeof(rooted));
	assert_int_equal(acpi_s3_in_table(d, n, true), 1);
	assert_memory_equal(d + 36 + 2, "XS3_", 4);
	assert_int_equal(byte_sum(d, n), 0);

	/* As firmware often writes it, at the top level:
	 *   External (GNVA, IntObj) (ObjectType 1)
	 *   Name (SS3_, One)
	 *   OperationRegion (GNVS, SystemMemory, GNVA, 0x10)
	 *   If (SS3_) { Name (_S3_, Package (4) { 0x03, Zero, Zero, Zero }) }
	 *   Else { }
	 * (an If opens no scope: that Name is \_S3). */
	static const uint8_t in_if[] = {
		0x15, 'G', 'N', 'V', 'A', 0x01, 0x00,
		0x08, 'S', 'S', '3', '_', 0x01,
		0x5b, 0x80, 'G', 'N', 'V', 'S', 0x00, 'G', 'N', 'V', 'A',
		0x0a, 0x10,
		0xa0, 0x12, 'S', 'S', '3', '_',
		0x08, '_', 'S', '3', '_', 0x12, 0x07, 0x04, 0x0a, 0x03, 0x00,
		0x00, 0x00,
		0xa1, 0x01,
	};
	n = block(d, "DSDT", in_if, sizeof(in_if));
	assert_int_equal(acpi_s3_in_table(d, n, true), 1);
	assert_memory_equal(d + 36 + 7 + 6 + 13 + 6 + 1, "XS3_", 4);
	assert_int_equal(byte_sum(d, n), 0);
	/* If (One) { Name (_S3_, ...) } */
	static const uint8_t if_one[] = {
		0xa0, 0x0e, 0x01,
		0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	};
	n = block(d, "DSDT", if_one, sizeof(if_one));
	assert_int_equal(acpi_s3_in_table(d, n, true), 1);
	assert_memory_equal(d + 36 + 4, "XS3_", 4);

	/* no \_S3 at all: 0, untouched */
	n = block(d, "DSDT", qemu_like, 15);
	memcpy(before, d, n);
	assert_int_equal(acpi_s3_in_table(d, n, true), 0);
	assert_memory_equal(d, before, n);
}

/* What acpi_s3_in_table does not fully understand: refused, untouched. */
static void refuse(const uint8_t *aml, unsigned len)
{
	uint8_t d[256], before[256];
	unsigned n = block(d, "DSDT", aml, len);

	memcpy(before, d, n);
	assert_int_equal(acpi_s3_in_table(d, n, true), -NV_EINVAL);
	assert_memory_equal(d, before, n);
}

static void s3_refusals(void **state)
{
	(void)state;
	/* Method (_S3_, 0) { Return (Package (4) { One, One, Zero, Zero }) } */
	static const uint8_t method[] = {
		0x14, 0x0f, '_', 'S', '3', '_', 0x00, 0xa4,
		0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	};
	refuse(method, sizeof(method));
	/* If (MTHD) { Name (_S3_, ...) } where Method (MTHD, 1) { Return
	 * (Arg0) }: the Predicate may take an argument, not placed */
	static const uint8_t if_method[] = {
		0x14, 0x08, 'M', 'T', 'H', 'D', 0x01, 0xa4, 0x68,
		0xa0, 0x11, 'M', 'T', 'H', 'D',
		0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	};
	refuse(if_method, sizeof(if_method));
	/* the same with External (MTHD, MethodObj, 1) (ObjectType 8) */
	static const uint8_t if_external[] = {
		0x15, 'M', 'T', 'H', 'D', 0x08, 0x01,
		0xa0, 0x11, 'M', 'T', 'H', 'D',
		0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	};
	refuse(if_external, sizeof(if_external));
	/* If (LEqual (SS3_, One)) { Name (_S3_, ...) }: LEqualOp 93 */
	static const uint8_t if_lequal[] = {
		0xa0, 0x13, 0x93, 'S', 'S', '3', '_', 0x01,
		0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	};
	refuse(if_lequal, sizeof(if_lequal));
	/* Scope (_SB_) { Name (_S3_, ...) }: \_SB._S3, not \_S3 */
	static const uint8_t in_scope[] = {
		0x10, 0x11, '_', 'S', 'B', '_',
		0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	};
	refuse(in_scope, sizeof(in_scope));
	/* Name (\_SB_._S3_, ...): a path of two segments */
	static const uint8_t dual[] = {
		0x08, 0x5c, 0x2e, '_', 'S', 'B', '_', '_', 'S', '3', '_',
		0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	};
	refuse(dual, sizeof(dual));
	/* Name (_S3_, Package (2) { "x", One }): not integers */
	static const uint8_t string[] = {
		0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x02, 0x0d, 'x', 0x00, 0x01,
	};
	refuse(string, sizeof(string));
	/* the definition, and a reference in a method:
	 * Method (MTHD, 0) { Store (\_S3_, Local0) } */
	static const uint8_t referenced[] = {
		0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
		0x14, 0x0d, 'M', 'T', 'H', 'D', 0x00,
		0x70, 0x5c, '_', 'S', '3', '_', 0x60,
	};
	refuse(referenced, sizeof(referenced));
	/* a term the walk does not know before it: Store (Zero, Local0) */
	static const uint8_t unplaced[] = {
		0x70, 0x00, 0x60,
		0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
	};
	refuse(unplaced, sizeof(unplaced));
	/* more initializers than NumElements (1): not a package it reads */
	static const uint8_t overfull[] = {
		0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x01, 0x01, 0x01, 0x00, 0x00,
	};
	refuse(overfull, sizeof(overfull));
	/* a package whose PkgLength runs past the table */
	static const uint8_t too_long[] = {
		0x08, '_', 'S', '3', '_', 0x12, 0x16, 0x04, 0x01, 0x01, 0x00, 0x00,
	};
	refuse(too_long, sizeof(too_long));

	/* a checksum that fails, or a length past the buffer */
	uint8_t d[256];
	unsigned n = block(d, "DSDT", qemu_like, sizeof(qemu_like));

	d[9]++;
	assert_int_equal(acpi_s3_in_table(d, n, true), -NV_EINVAL);
	assert_memory_equal(d + QEMU_LIKE_S3, "_S3_", 4);
	d[9]--;
	assert_int_equal(acpi_s3_in_table(d, n - 1, true), -NV_EINVAL);
	assert_memory_equal(d + QEMU_LIKE_S3, "_S3_", 4);
}

/* RSDP rev 2, an XSDT with a FACP (X_DSDT at 140 and DSDT at 40, ACPI 6.4
 * §5.2.9) and an SSDT. */
static uint8_t *s3_platform(const uint8_t *ssdt_aml, unsigned ssdt_n,
			    uint8_t **dsdt_out, uint8_t **ssdt_out)
{
	uint8_t *facp = table("FACP", 244), *xsdt = table("XSDT", 36 + 2 * 8);
	uint8_t *dsdt = take(256), *ssdt = take(256), *rsdp = take(36);

	block(dsdt, "DSDT", qemu_like, sizeof(qemu_like));
	block(ssdt, "SSDT", ssdt_aml, ssdt_n);
	put32(facp + 40, (uint32_t)pa(dsdt));
	put64(facp + 140, pa(dsdt));
	seal(facp);
	put64(xsdt + 36, pa(facp));
	put64(xsdt + 44, pa(ssdt));
	seal(xsdt);
	memcpy(rsdp, "RSD PTR ", 8);
	rsdp[15] = 2;
	put32(rsdp + 20, 36);
	put64(rsdp + 24, pa(xsdt));
	sum_at(rsdp, 20, 8);
	sum_at(rsdp, 36, 32);
	*dsdt_out = dsdt;
	*ssdt_out = ssdt;
	return rsdp;
}

static void s3_hide(void **state)
{
	/* Name (\_S3_, Package (1) { One }) */
	static const uint8_t ssdt_s3[] = {
		0x08, 0x5c, '_', 'S', '3', '_', 0x12, 0x03, 0x01, 0x01,
	};
	/* Method (_S3_, 0) { Return (One) } */
	static const uint8_t ssdt_method[] = {
		0x14, 0x08, '_', 'S', '3', '_', 0x00, 0xa4, 0x01,
	};
	uint8_t *dsdt, *ssdt, *rsdp, before[256];
	(void)state;

	rsdp = s3_platform(ssdt_s3, sizeof(ssdt_s3), &dsdt, &ssdt);
	assert_int_equal(acpi_hide_s3(rsdp), 2);
	assert_memory_equal(dsdt + QEMU_LIKE_S3, "XS3_", 4);
	assert_memory_equal(ssdt + 36 + 2, "XS3_", 4);
	assert_int_equal(byte_sum(dsdt, 36 + sizeof(qemu_like)), 0);
	assert_int_equal(byte_sum(ssdt, 36 + sizeof(ssdt_s3)), 0);
	assert_int_equal(acpi_hide_s3(rsdp), 0);

	/* all or nothing: an SSDT it refuses leaves the DSDT alone too */
	used = 0;
	rsdp = s3_platform(ssdt_method, sizeof(ssdt_method), &dsdt, &ssdt);
	memcpy(before, dsdt, 36 + sizeof(qemu_like));
	assert_int_equal(acpi_hide_s3(rsdp), -NV_EINVAL);
	assert_memory_equal(dsdt, before, 36 + sizeof(qemu_like));
	assert_memory_equal(ssdt + 36 + 2, "_S3_", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_fadt_smi_cmd),
		cmocka_unit_test(test_sleep_types),
		cmocka_unit_test_setup(scan, setup),
		cmocka_unit_test_setup(bad_tables, setup),
		cmocka_unit_test_setup(hide, setup),
		cmocka_unit_test_setup(madt, setup),
		cmocka_unit_test(s3_rename),
		cmocka_unit_test(s3_refusals),
		cmocka_unit_test_setup(s3_hide, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
