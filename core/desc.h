/* SPDX-License-Identifier: MIT */
/*
 * x86-64 descriptor-table structures, declared once for nestvisor and its
 * test payloads.  AMD APM Vol. 2: §4.6.2 (pseudo-descriptor for LGDT/LIDT),
 * §4.8.4 (64-bit interrupt gate), §12.2.5 (64-bit TSS).
 */
#ifndef NV_CORE_DESC_H
#define NV_CORE_DESC_H

#include <stdint.h>

/* The operand of LGDT/LIDT/SGDT/SIDT. */
struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));
_Static_assert(sizeof(struct desc_ptr) == 10, "pseudo-descriptor is 10 bytes");

/* A 64-bit IDT gate; type_attr 0x8e = present, DPL 0, interrupt gate. */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate is 16 bytes");

struct tss64 {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iopb_offset;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "TSS is 104 bytes");

#endif
