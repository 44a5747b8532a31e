/* SPDX-License-Identifier: MIT */
/*
 * The interrupt command register (ICR) of the local APIC, and which CPUs
 * an IPI reaches.  Pure logic (host-tested: tests/host/test_apic_dest.c).
 *
 * Layout (APM Vol. 2 chapter 16, "Interprocessor Interrupts" and the
 * x2APIC section):
 *   7:0 vector, 10:8 message type (delivery mode), 11 destination mode
 *   (1 = logical), 12 delivery status (xAPIC), 14 level (1 = assert),
 *   15 trigger mode (1 = level), 19:18 destination shorthand, and the
 *   destination: xAPIC ICR bits 63:56 (8 bits, 0xFF = broadcast), x2APIC
 *   ICR bits 63:32 (32 bits, 0xFFFFFFFF = broadcast).  Callers pass one
 *   64-bit value in the x2APIC layout; an xAPIC destination is moved to
 *   bits 39:32 first.
 * Logical destinations: xAPIC flat model (DFR[31:28] = 0xF): the 8-bit
 * destination is ANDed with LDR[31:24]; cluster model (DFR[31:28] = 0):
 * destination bits 7:4 must equal LDR[31:28] and bits 3:0 AND LDR[27:24].
 * x2APIC: the LDR is derived from the x2APIC ID, cluster = ID[31:4] in LDR
 * bits 31:16, bit (ID & 15) set in bits 15:0; a destination matches when
 * its bits 31:16 equal the cluster and its bits 15:0 AND the LDR's.
 */
#ifndef NV_SVM_APIC_DEST_H
#define NV_SVM_APIC_DEST_H

#include <stdbool.h>
#include <stdint.h>

enum icr_mode {
	ICR_MODE_FIXED = 0,
	ICR_MODE_LOWEST = 1,
	ICR_MODE_SMI = 2,
	ICR_MODE_NMI = 4,
	ICR_MODE_INIT = 5,
	ICR_MODE_STARTUP = 6,
};

enum icr_shorthand {
	ICR_DEST_FIELD = 0,
	ICR_SELF = 1,
	ICR_ALL = 2,          /* all including self */
	ICR_ALL_BUT_SELF = 3,
};

struct icr_fields {
	uint8_t vector;
	enum icr_mode mode;
	bool logical;
	bool assert;          /* level bit */
	bool level_trigger;
	enum icr_shorthand shorthand;
	uint32_t dest;
};

#define ICR_MODE_SHIFT      8
#define ICR_LOGICAL         (1ull << 11)
#define ICR_BUSY            (1ull << 12)
#define ICR_ASSERT          (1ull << 14)
#define ICR_LEVEL_TRIGGER   (1ull << 15)
#define ICR_SHORTHAND_SHIFT 18
#define ICR_DEST_SHIFT      32

struct icr_fields icr_decode(uint64_t icr);

/* An xAPIC ICR (high and low halves) in the x2APIC layout. */
static inline uint64_t icr_from_xapic(uint32_t hi, uint32_t lo)
{
	return (uint64_t)(hi >> 24) << ICR_DEST_SHIFT | lo;
}

/* The INIT "level de-assert" message (INIT, level 0, level-triggered):
 * no effect since the Pentium 4 and K8. */
static inline bool icr_is_init_deassert(const struct icr_fields *f)
{
	return f->mode == ICR_MODE_INIT && !f->assert && f->level_trigger;
}

/* One possible destination: its APIC ID and, for logical xAPIC
 * destinations, the LDR and DFR its software wrote. */
struct apic_target {
	uint32_t apic_id;
	uint32_t ldr, dfr;
};

/* Does the IPI described by f, sent by the CPU with APIC ID self in xAPIC
 * or x2APIC mode, reach t? */
bool icr_reaches(const struct icr_fields *f, bool x2apic, uint32_t self,
		 const struct apic_target *t);

#endif
