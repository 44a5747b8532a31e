/* SPDX-License-Identifier: MIT */
/*
 * The ACPI PM1 registers' bits nestvisor decides on, and the one rule
 * for a sleeping write, shared by every place a PM1 control register can
 * be written (its port, svm/acpi_sleep.c; AMD's FCH's AcpiMmio,
 * svm/fch_pm.c).  Pure logic, host-tested (tests/host/test_fch_pm.c).
 */
#ifndef NV_SVM_ACPI_PM1_H
#define NV_SVM_ACPI_PM1_H

#include <stdbool.h>
#include <stdint.h>

/* ACPI 6.4 §4.8.3.1 PM1 status (WAK_STS), §4.8.3.2 PM1 control (SLP_TYP
 * bits 12:10, SLP_EN). */
#define ACPI_PM1_WAK_STS   (1u << 15)
#define ACPI_PM1_SLP_EN    (1u << 13)
#define ACPI_PM1_SLP_TYP(v) (((v) >> 10) & 7u)

/* A write of bits (the bits of mask written) to PM1 control: does it ask
 * for the sleeping state whose SLP_TYP is typ (ACPI 6.4 §7.4.2: SLP_TYP
 * and SLP_EN written together)?  A write that leaves any of SLP_TYP's
 * bits out is no request (those bits are in the same byte as SLP_EN, so
 * no access of whole bytes writes SLP_EN without them). */
static inline bool acpi_pm1_cnt_sleeps(uint32_t bits, uint32_t mask,
				       uint8_t typ)
{
	return (mask & ACPI_PM1_SLP_EN) && (bits & ACPI_PM1_SLP_EN) &&
	       (mask & (7u << 10)) == (7u << 10) &&
	       ACPI_PM1_SLP_TYP(bits) == typ;
}

#endif
