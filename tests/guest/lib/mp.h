/* SPDX-License-Identifier: MIT */
/*
 * Running a payload's suite on an application processor, through the
 * firmware's MP services (boot/mp_services.h): the boot CPU prepares what
 * needs boot services (pages, the memory map), then starts the suite on
 * the first enabled AP and waits.  Under nestvisor the AP is a vCPU that
 * the firmware wakes with INIT-SIPI-SIPI, which nestvisor delivers.
 */
#ifndef NV_GUEST_MP_H
#define NV_GUEST_MP_H

#include <stdbool.h>
#include <stdint.h>

/* Does the image's load options have the word opt ("ap")? */
bool guest_has_option(const char *opt);

/*
 * fn(arg) on the first enabled AP; returns when it has returned.  0, or
 * -1 with the reason printed as a TAP comment.  *apic_id gets the AP's
 * APIC ID.
 */
int guest_run_on_ap(void (*fn)(void *arg), void *arg, uint32_t *apic_id);

/* Is the calling code running on the AP of guest_run_on_ap()?  Then boot
 * services may not be used: lib/efiutil.c serves from what it prepared. */
bool guest_on_ap(void);

#endif
