// SPDX-License-Identifier: MIT
/* Which CPUs an IPI reaches (rules: svm/apic_dest.h). */
#include "svm/apic_dest.h"

struct icr_fields icr_decode(uint64_t icr)
{
	return (struct icr_fields){
		.vector = (uint8_t)icr,
		.mode = (enum icr_mode)((icr >> ICR_MODE_SHIFT) & 7),
		.logical = icr & ICR_LOGICAL,
		.assert = icr & ICR_ASSERT,
		.level_trigger = icr & ICR_LEVEL_TRIGGER,
		.shorthand = (enum icr_shorthand)((icr >> ICR_SHORTHAND_SHIFT) & 3),
		.dest = (uint32_t)(icr >> ICR_DEST_SHIFT),
	};
}

static bool logical_xapic(uint8_t dest, uint32_t ldr, uint32_t dfr)
{
	uint8_t id = (uint8_t)(ldr >> 24);

	if ((dfr >> 28) == 0xf)  /* flat */
		return (id & dest) != 0;
	if (dest == 0xff)        /* cluster model broadcast */
		return true;
	return (id >> 4) == (dest >> 4) && (id & dest & 0xf) != 0;
}

static bool logical_x2apic(uint32_t dest, uint32_t apic_id)
{
	uint32_t ldr = (apic_id >> 4) << 16 | 1u << (apic_id & 15);

	if (dest == 0xffffffffu)
		return true;
	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff) != 0;
}

bool icr_reaches(const struct icr_fields *f, bool x2apic, uint32_t self,
		 const struct apic_target *t)
{
	switch (f->shorthand) {
	case ICR_SELF:
		return t->apic_id == self;
	case ICR_ALL:
		return true;
	case ICR_ALL_BUT_SELF:
		return t->apic_id != self;
	case ICR_DEST_FIELD:
		break;
	}
	if (x2apic) {
		if (f->logical)
			return logical_x2apic(f->dest, t->apic_id);
		return f->dest == 0xffffffffu || f->dest == t->apic_id;
	}
	if (f->logical)
		return logical_xapic((uint8_t)f->dest, t->ldr, t->dfr);
	return (uint8_t)f->dest == 0xff || (uint8_t)f->dest == (uint8_t)t->apic_id;
}
