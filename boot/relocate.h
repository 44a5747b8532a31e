/* SPDX-License-Identifier: MIT */
#ifndef NV_BOOT_RELOCATE_H
#define NV_BOOT_RELOCATE_H

#include <stdint.h>

/*
 * Copies the running image (base, size as UEFI loaded it) to dest and
 * applies its R_X86_64_RELATIVE relocations for the new address, so that
 * the copy runs on its own: code, data and pointers all inside dest.
 * Returns dest - base (add it to a symbol's address to find it in the
 * copy), or 0 on an unexpected relocation (logged).
 */
int64_t relocate_image_copy(uint64_t base, uint64_t size, uint64_t dest);

#endif
