// SPDX-License-Identifier: MIT
/*
 * svm/fch_pm.c against a fake FCH: 256 PM registers behind an index port
 * (CD6h) and a data port (CD7h), and a log of other ports' bytes.  The
 * held registers (24h-27h, 60h-6Bh) and the AcpiMmio layout (PM block at
 * +300h; ACPI block at +800h with PM1 status at +00h, PM1 enable at +02h,
 * PM1 control at +04h) are written out here from the FCH register guides'
 * PM and ACPI register maps, and the PM1 bits from ACPI 6.4 §4.8.3 (SLP_TYP
 * 12:10, SLP_EN 13, WAK_STS 15), not taken from the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "svm/fch_pm.h"

static struct {
	uint8_t index, reg[256];
	uint16_t other_port[8];
	uint8_t other_val[8];
	unsigned n_other;
} dev;

static uint8_t fake_in8(uint16_t port)
{
	if (port == 0xcd6)
		return dev.index;
	if (port == 0xcd7)
		return dev.reg[dev.index];
	return 0xa0 | (port & 0xf);
}

static void fake_out8(uint16_t port, uint8_t v)
{
	if (port == 0xcd6)
		dev.index = v;
	else if (port == 0xcd7)
		dev.reg[dev.index] = v;
	else if (dev.n_other < 8) {
		dev.other_port[dev.n_other] = port;
		dev.other_val[dev.n_other++] = v;
	}
}

static struct fch_pm f;

static int setup(void **state)
{
	(void)state;
	memset(&dev, 0, sizeof(dev));
	for (unsigned i = 0; i < 256; i++)
		dev.reg[i] = (uint8_t)(i ^ 0x5a);
	f = (struct fch_pm){ .lock = SPINLOCK_INIT, .in8 = fake_in8,
			     .out8 = fake_out8 };
	return 0;
}

static void test_held(void **state)
{
	(void)state;
	for (unsigned r = 0; r < 256; r++)
		assert_int_equal(fch_pm_reg_locked(r),
				 (r >= 0x24 && r <= 0x27) ||
				 (r >= 0x60 && r <= 0x6b));
}

static void test_ports(void **state)
{
	(void)state;
	/* PM1 control block (62h): byte writes dropped, reads real. */
	fch_pm_io(&f, 0xcd6, 1, false, 0x62);
	fch_pm_io(&f, 0xcd7, 1, false, 0x08);
	assert_int_equal(dev.reg[0x62], 0x62 ^ 0x5a);
	assert_int_equal(fch_pm_io(&f, 0xcd7, 1, true, 0), 0x62 ^ 0x5a);
	assert_int_equal(fch_pm_io(&f, 0xcd6, 1, true, 0), 0x62);
	assert_int_equal(f.nr_dropped, 1);
	/* An ordinary register is written. */
	fch_pm_io(&f, 0xcd6, 1, false, 0x10);
	fch_pm_io(&f, 0xcd7, 1, false, 0x77);
	assert_int_equal(dev.reg[0x10], 0x77);
	/* One 16-bit OUT at CD6h: index from AL, data from AH. */
	fch_pm_io(&f, 0xcd6, 2, false, 0x0860);
	assert_int_equal(dev.reg[0x60], 0x60 ^ 0x5a);
	fch_pm_io(&f, 0xcd6, 2, false, 0x5511);
	assert_int_equal(dev.reg[0x11], 0x55);
	/* A 16-bit IN at CD6h: the index, then the data. */
	assert_int_equal(fch_pm_io(&f, 0xcd6, 2, true, 0), 0x5511);
	/* AcpiMmioEn (24h-27h) and AcpiSmiCmd (6Bh) are held too. */
	fch_pm_io(&f, 0xcd6, 2, false, 0x0124);
	fch_pm_io(&f, 0xcd6, 2, false, 0x016b);
	assert_int_equal(dev.reg[0x24], 0x24 ^ 0x5a);
	assert_int_equal(dev.reg[0x6b], 0x6b ^ 0x5a);
	/* 6Ch is not. */
	fch_pm_io(&f, 0xcd6, 2, false, 0x016c);
	assert_int_equal(dev.reg[0x6c], 1);
}

static void test_index_is_nestvisors(void **state)
{
	(void)state;
	/* The device's index moved under L1 (another agent, SMM): the
	 * data access still goes to L1's index. */
	fch_pm_io(&f, 0xcd6, 1, false, 0x10);
	dev.index = 0x62;
	fch_pm_io(&f, 0xcd7, 1, false, 0x33);
	assert_int_equal(dev.reg[0x10], 0x33);
	assert_int_equal(dev.reg[0x62], 0x62 ^ 0x5a);
	/* Another CPU's index write between L1's index and data: the data
	 * access is checked against the index it will use. */
	fch_pm_io(&f, 0xcd6, 1, false, 0x10);
	fch_pm_io(&f, 0xcd6, 1, false, 0x63);
	fch_pm_io(&f, 0xcd7, 1, false, 0x44);
	assert_int_equal(dev.reg[0x63], 0x63 ^ 0x5a);
	assert_int_equal(dev.reg[0x10], 0x33);
}

static void test_wide_access(void **state)
{
	(void)state;
	/* A 32-bit OUT at CD4h: CD4h and CD5h passed through, then index
	 * 10h and data 99h. */
	assert_true(fch_pm_owns(0xcd4, 4));
	assert_true(fch_pm_owns(0xcd7, 1));
	assert_false(fch_pm_owns(0xcd4, 2));
	assert_false(fch_pm_owns(0xcd8, 1));
	fch_pm_io(&f, 0xcd4, 4, false, 0x9910bbaa);
	assert_int_equal(dev.n_other, 2);
	assert_int_equal(dev.other_port[0], 0xcd4);
	assert_int_equal(dev.other_val[0], 0xaa);
	assert_int_equal(dev.other_port[1], 0xcd5);
	assert_int_equal(dev.other_val[1], 0xbb);
	assert_int_equal(dev.reg[0x10], 0x99);
	assert_int_equal(fch_pm_io(&f, 0xcd4, 4, true, 0), 0x9910a5a4);
}

static void test_mmio(void **state)
{
	(void)state;
	/* AcpiMmio + 300h + register. */
	assert_true(fch_pm_mmio_locked(0x362, 2));
	assert_true(fch_pm_mmio_locked(0x360, 4));
	assert_true(fch_pm_mmio_locked(0x35d, 4));	/* reaches 360h */
	assert_false(fch_pm_mmio_locked(0x35c, 4));
	assert_true(fch_pm_mmio_locked(0x324, 1));
	assert_true(fch_pm_mmio_locked(0x368, 8));
	assert_false(fch_pm_mmio_locked(0x36c, 4));
	assert_false(fch_pm_mmio_locked(0x262, 2));	/* not the PM block */
	assert_false(fch_pm_mmio_locked(0x462, 2));
}

/* PM1 control asking for sleeping state typ (ACPI 6.4 §4.8.3.2.1). */
#define SLEEP(typ) ((uint64_t)(typ) << 10 | 1u << 13)

static void test_acpi_block_sleep(void **state)
{
	(void)state;
	/* \_S3's SLP_TYP is 3 here: S3 at PM1 control (+804h) refused. */
	assert_int_equal(fch_acpimmio_store(0x804, 2, SLEEP(3), 3),
			 FCH_STORE_SLEEP);
	assert_int_equal(fch_acpimmio_store(0x804, 4, SLEEP(3) | 1, 3),
			 FCH_STORE_SLEEP);
	/* As its high byte alone (SLP_TYP and SLP_EN are both there). */
	assert_int_equal(fch_acpimmio_store(0x805, 1, SLEEP(3) >> 8, 3),
			 FCH_STORE_SLEEP);
	/* Inside wider stores: from PM1 enable, from PM1 status, and one
	 * that starts in the byte before PM1 control. */
	assert_int_equal(fch_acpimmio_store(0x802, 4, SLEEP(3) << 16, 3),
			 FCH_STORE_SLEEP);
	assert_int_equal(fch_acpimmio_store(0x800, 8, SLEEP(3) << 32, 3),
			 FCH_STORE_SLEEP);
	assert_int_equal(fch_acpimmio_store(0x803, 4, SLEEP(3) << 8, 3),
			 FCH_STORE_SLEEP);
	/* Another \_S3 value: the rule follows it. */
	assert_int_equal(fch_acpimmio_store(0x804, 2, SLEEP(5), 5),
			 FCH_STORE_SLEEP);
	assert_int_equal(fch_acpimmio_store(0x804, 2, SLEEP(3), 5),
			 FCH_STORE_WRITE);
	/* Performed as at the port: other SLP_TYP values (S5, S4, S1),
	 * SLP_TYP without SLP_EN, the low byte alone, SCI_EN. */
	assert_int_equal(fch_acpimmio_store(0x804, 2, SLEEP(7), 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x804, 2, SLEEP(6), 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x804, 2, SLEEP(1), 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x804, 2, 3u << 10, 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x804, 1, SLEEP(3), 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x804, 2, 1, 3), FCH_STORE_WRITE);
	/* S3 not watched at the port (no \_S3): not refused here either. */
	assert_int_equal(fch_acpimmio_store(0x804, 2, SLEEP(3), -1),
			 FCH_STORE_WRITE);
	/* The same value elsewhere: PM1 enable, the timer, other blocks. */
	assert_int_equal(fch_acpimmio_store(0x802, 2, SLEEP(3), 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x808, 2, SLEEP(3), 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x304, 2, SLEEP(3), 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x704, 2, SLEEP(3), 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x904, 2, SLEEP(3), 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x806, 2, SLEEP(3), 3),
			 FCH_STORE_WRITE);
	/* The PM block's held registers are still dropped. */
	assert_int_equal(fch_acpimmio_store(0x362, 2, 0x1234, 3),
			 FCH_STORE_DROP);
	assert_int_equal(fch_acpimmio_store(0x324, 1, 0, -1), FCH_STORE_DROP);
}

static void test_acpi_block_wake(void **state)
{
	(void)state;
	/* WAK_STS (PM1 status bit 15) written 1: the wake shown ends. */
	assert_int_equal(fch_acpimmio_store(0x800, 2, 0x8000, 3),
			 FCH_STORE_WAKE_ACK);
	assert_int_equal(fch_acpimmio_store(0x801, 1, 0x80, 3),
			 FCH_STORE_WAKE_ACK);
	assert_int_equal(fch_acpimmio_store(0x800, 4, 0xffff8000, -1),
			 FCH_STORE_WAKE_ACK);
	/* Other status bits, or bit 15 of PM1 enable, do not. */
	assert_int_equal(fch_acpimmio_store(0x800, 2, 0x0001, 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x800, 1, 0x80, 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x802, 2, 0x8000, 3),
			 FCH_STORE_WRITE);
	assert_int_equal(fch_acpimmio_store(0x300, 2, 0x8000, 3),
			 FCH_STORE_WRITE);
}

static void test_ids(void **state)
{
	(void)state;
	assert_true(fch_pm_ids(0x1022, 0x790b));
	assert_true(fch_pm_ids(0x1022, 0x780b));
	assert_true(fch_pm_ids(0x1002, 0x4385));
	assert_false(fch_pm_ids(0x8086, 0x2930));	/* q35's ICH9 SMBus */
	assert_false(fch_pm_ids(0xffff, 0xffff));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held),
		cmocka_unit_test_setup(test_ports, setup),
		cmocka_unit_test_setup(test_index_is_nestvisors, setup),
		cmocka_unit_test_setup(test_wide_access, setup),
		cmocka_unit_test(test_mmio),
		cmocka_unit_test(test_acpi_block_sleep),
		cmocka_unit_test(test_acpi_block_wake),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
