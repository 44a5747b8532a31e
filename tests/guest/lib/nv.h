/* SPDX-License-Identifier: MIT */
/* Detecting nestvisor from inside the guest (core/hypercall.h ABI). */
#ifndef NV_GUEST_NV_H
#define NV_GUEST_NV_H

#include "core/hypercall.h"

/* CPUID.1:ECX[31] set and the vendor leaf carries NestVisor's signature. */
int nv_present(void);
/* The vendor leaf's signature as text (12 chars, NULs shown as '.'). */
void nv_vendor_leaf_sig(char out[13]);
/* CPUID leaf 0 vendor string ("AuthenticAMD"). */
void cpu_vendor(char out[13]);

#endif
