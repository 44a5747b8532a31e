/* SPDX-License-Identifier: MIT */
/*
 * x86-64 descriptor-table structures, declared once for nestvisor and its
 * test payloads.  AMD APM Vol. 2: §4.6.2 (pseudo-descriptor for LGDT/LIDT),
 * §4.7 and §4.8 (code, data and system-segment descriptors, in long mode),
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

/*
 * A code or data segment descriptor (8 bytes).  access: type in bits 3:0
 * (code: 8 | conforming 4 | readable 2 | accessed 1; data: writable 2 |
 * accessed 1), S (1: code or data) bit 4, DPL bits 6:5, P bit 7.
 * flags_limit: limit 19:16 in bits 3:0, then AVL, L (64-bit code), D/B,
 * G (limit in 4 KiB units).
 */
struct seg_desc {
	uint16_t limit_lo;
	uint16_t base_lo;
	uint8_t base_mid;
	uint8_t access;
	uint8_t flags_limit;
	uint8_t base_hi;
} __attribute__((packed));
_Static_assert(sizeof(struct seg_desc) == 8, "segment descriptor is 8 bytes");

#define DESC_ACCESS_P      0x80u
#define DESC_ACCESS_S      0x10u
#define DESC_TYPE_CODE_RX  0xau  /* execute/read */
#define DESC_TYPE_DATA_RW  0x2u  /* read/write */
#define DESC_TYPE_TSS64    0x9u  /* available 64-bit TSS (S = 0) */
#define DESC_FLAG_L        0x20u
#define DESC_FLAG_DB       0x40u
#define DESC_FLAG_G        0x80u

/* A long-mode system-segment descriptor (LDT, TSS): 16 bytes, the upper
 * half holding base 63:32 (APM Vol. 2 §4.8.3). */
struct sys_desc {
	struct seg_desc lo;
	uint32_t base_top;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct sys_desc) == 16, "system descriptor is 16 bytes");

static inline struct seg_desc seg_desc_make(uint32_t base, uint32_t limit,
					    uint8_t access, uint8_t flags)
{
	return (struct seg_desc){
		.limit_lo = (uint16_t)limit, .base_lo = (uint16_t)base,
		.base_mid = (uint8_t)(base >> 16), .access = access,
		.flags_limit = (uint8_t)((flags & 0xf0u) | ((limit >> 16) & 0xfu)),
		.base_hi = (uint8_t)(base >> 24) };
}

static inline uint32_t seg_desc_base(const struct seg_desc *d)
{
	return d->base_lo | ((uint32_t)d->base_mid << 16) |
	       ((uint32_t)d->base_hi << 24);
}

/* The limit in bytes - 1 (scaled by G). */
static inline uint32_t seg_desc_limit(const struct seg_desc *d)
{
	uint32_t limit = d->limit_lo | ((uint32_t)(d->flags_limit & 0xfu) << 16);

	return d->flags_limit & DESC_FLAG_G ? (limit << 12) | 0xfffu : limit;
}

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
