/* SPDX-License-Identifier: MIT */
/* Loading (not starting) the next stage: a path, or next = auto. */
#ifndef NV_BOOT_NEXT_H
#define NV_BOOT_NEXT_H

#include <efi.h>
#include <efilib.h>

#include "boot/config.h"

/* What was loaded, for the log: "\EFI\x.efi", "Boot0003 \"...\"", ... */
#define NEXT_NAME_MAX 200

/*
 * Loads the next stage named by cfg into *child, with its load options
 * (cfg->args for a path, the boot entry's OptionalData for next = auto),
 * and fills name.  self is nestvisor's own loaded image.  Returns
 * EFI_SUCCESS, or the status of the failure (logged here for next = auto,
 * by the caller for a path).
 */
EFI_STATUS next_load(const struct nv_config *cfg, EFI_HANDLE parent,
		     EFI_LOADED_IMAGE *self, EFI_HANDLE *child,
		     char name[NEXT_NAME_MAX]);

/* "" or a hint on what a failed LoadImage status means for the user. */
const char *next_load_hint(EFI_STATUS st);

#endif
