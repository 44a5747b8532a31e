// SPDX-License-Identifier: MIT
/*
 * boot/acpi.c: the FADT's PM1 registers and the DSDT's \_S3/\_S5
 * packages, on tables laid out by hand from ACPI 6.4 (§5.2.9 FADT field
 * offsets, §5.2.3.2 Generic Address Structure, §20.2 AML encodings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot/acpi.h"
#include "core/err.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_sleep_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
