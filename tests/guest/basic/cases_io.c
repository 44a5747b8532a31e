// SPDX-License-Identifier: MIT
/*
 * I/O passthrough: ports other than nestvisor's own (0xf4..0xf7) reach the
 * devices.  COM1 is a 16550 (LSR, scratch register); the RTC/CMOS is an
 * MC146818 behind index port 0x70 and data port 0x71.  Every byte a case
 * changes is restored.  Interrupts are off while a case drives the
 * index/data pair, so firmware code cannot step in between.
 */
#include "basic.h"
#include "tests/guest/lib/serial.h"
#include "tests/guest/lib/x86.h"

#define CMOS_INDEX 0x70u
#define CMOS_DATA  0x71u
#define RTC_REG_A  0x0au /* bit 7 UIP, bits 6:4 divider (010 = 32.768 kHz) */
#define RTC_REG_B  0x0bu /* bit 7 SET: updates inhibited */
#define RTC_REG_D  0x0du /* bit 7 VRT: valid RAM and time */
#define CMOS_TEST_BYTE 0x40u /* NVRAM, unused by QEMU and OVMF */

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, v);
}

static int com1_lsr(void)
{
	uint8_t lsr;

	serial_flush();
	lsr = inb(COM1_BASE + UART_LSR);
	tap_diag("LSR 0x%02x", lsr);
	/* 0xff is what a read from an absent device returns. */
	return lsr != 0xff && (lsr & (UART_LSR_THRE | UART_LSR_TEMT)) ==
			      (UART_LSR_THRE | UART_LSR_TEMT);
}

static int com1_scratch(void)
{
	uint64_t flags = irq_save();
	uint8_t old = inb(COM1_BASE + UART_SCR), a, b;

	outb(COM1_BASE + UART_SCR, 0x5a);
	a = inb(COM1_BASE + UART_SCR);
	outb(COM1_BASE + UART_SCR, 0xa5);
	b = inb(COM1_BASE + UART_SCR);
	outb(COM1_BASE + UART_SCR, old);
	irq_restore(flags);
	return TAP_EXPECT_EQ("scratch after 0x5a", a, 0x5a) &
	       TAP_EXPECT_EQ("scratch after 0xa5", b, 0xa5);
}

static int rtc_reg_a(void)
{
	uint64_t flags = irq_save();
	uint8_t a = cmos_read(RTC_REG_A);

	irq_restore(flags);
	tap_diag("register A 0x%02x", a);
	return TAP_EXPECT_EQ("divider bits 6:4", (a >> 4) & 7, 2);
}

static int rtc_reg_b(void)
{
	uint64_t flags = irq_save();
	uint8_t b = cmos_read(RTC_REG_B);

	irq_restore(flags);
	tap_diag("register B 0x%02x", b);
	return TAP_EXPECT_EQ("SET bit 7", b >> 7, 0);
}

static int rtc_reg_d(void)
{
	uint64_t flags = irq_save();
	uint8_t d = cmos_read(RTC_REG_D);

	irq_restore(flags);
	tap_diag("register D 0x%02x", d);
	return TAP_EXPECT_EQ("VRT bit 7", d >> 7, 1);
}

static int cmos_nvram(void)
{
	uint64_t flags = irq_save();
	uint8_t old = cmos_read(CMOS_TEST_BYTE), a, b, restored;

	cmos_write(CMOS_TEST_BYTE, 0x3c);
	a = cmos_read(CMOS_TEST_BYTE);
	cmos_write(CMOS_TEST_BYTE, 0xc3);
	b = cmos_read(CMOS_TEST_BYTE);
	cmos_write(CMOS_TEST_BYTE, old);
	restored = cmos_read(CMOS_TEST_BYTE);
	irq_restore(flags);
	return TAP_EXPECT_EQ("byte after 0x3c", a, 0x3c) &
	       TAP_EXPECT_EQ("byte after 0xc3", b, 0xc3) &
	       TAP_EXPECT_EQ("byte restored", restored, old);
}

static const struct tap_case cases[] = {
	{ "io: COM1 LSR shows a present, idle transmitter (THRE and TEMT)", com1_lsr },
	{ "io: COM1 scratch register 0x3ff write/readback", com1_scratch },
	{ "io: RTC register A divider selects 32.768 kHz", rtc_reg_a },
	{ "io: RTC register B SET bit clear (clock running)", rtc_reg_b },
	{ "io: RTC register D VRT set (valid RAM and time)", rtc_reg_d },
	{ "io: CMOS NVRAM byte 0x40 write/readback, restored", cmos_nvram },
};

struct case_list io_cases(int under_nv)
{
	(void)under_nv;
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
