// SPDX-License-Identifier: MIT
/*
 * The hypervisor must outlive the memory UEFI loaded it into (LoaderCode,
 * which the OS reclaims), so boot/ copies the image into the reserved
 * region.  GNU-EFI images are linked at address 0 as a shared object and
 * relocate themselves at start-up (crt0 applies the ELF RELA entries found
 * through _DYNAMIC).  The copy gets the same treatment for its address:
 * every R_X86_64_RELATIVE slot becomes dest + addend.
 */
#include <elf.h>

#include "boot/relocate.h"
#include "core/log.h"

extern Elf64_Dyn _DYNAMIC[];
extern char ImageBase[];

int64_t relocate_image_copy(uint64_t base, uint64_t size, uint64_t dest)
{
	uint64_t rela = 0, relasz = 0, relaent = sizeof(Elf64_Rela);

	if ((uint64_t)ImageBase != base) {
		log_error("image base 0x%lx differs from ImageBase 0x%lx", base,
			  (uint64_t)ImageBase);
		return 0;
	}
	for (Elf64_Dyn *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_RELA)
			rela = d->d_un.d_ptr;
		else if (d->d_tag == DT_RELASZ)
			relasz = d->d_un.d_val;
		else if (d->d_tag == DT_RELAENT)
			relaent = d->d_un.d_val;
	}
	for (uint64_t i = 0; i < size; i++)
		((volatile uint8_t *)dest)[i] = ((const uint8_t *)base)[i];
	for (uint64_t off = 0; off < relasz; off += relaent) {
		const Elf64_Rela *r = (const Elf64_Rela *)(base + rela + off);

		if (ELF64_R_TYPE(r->r_info) == R_X86_64_NONE)
			continue;
		if (ELF64_R_TYPE(r->r_info) != R_X86_64_RELATIVE ||
		    r->r_offset + 8 > size) {
			log_error("unexpected relocation type %lu at 0x%lx",
				  (uint64_t)ELF64_R_TYPE(r->r_info),
				  (uint64_t)r->r_offset);
			return 0;
		}
		*(uint64_t *)(dest + r->r_offset) = dest + (uint64_t)r->r_addend;
	}
	return (int64_t)(dest - base);
}
