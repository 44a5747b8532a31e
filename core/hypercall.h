/* SPDX-License-Identifier: MIT */
/*
 * nestvisor's guest ABI: what L1 sees of nestvisor.  Included by the
 * hypervisor and by in-guest test payloads (it is plain C, no types beyond
 * <stdint.h>).  Documented for users in docs/hypercalls.md.
 *
 * Detection: CPUID.1:ECX[31] (hypervisor present) and the vendor leaf
 * 0x40000000 (EAX = highest vendor leaf, EBX:ECX:EDX = "NestVisor\0\0\0").
 * Leaf 0x40000001: EAX = version (major << 16 | minor << 8 | patch).
 *
 * Hypercalls: VMMCALL (0F 01 D9) at CPL 0 (CPL > 0 gets #UD).
 *   in:  RAX = call number, RBX, RCX, RDX = arguments
 *   out: RAX = status (0 = ok, negative = error), RBX, RCX, RDX = results;
 *        every other register is preserved.
 */
#ifndef NV_CORE_HYPERCALL_H
#define NV_CORE_HYPERCALL_H

#define NV_CPUID_VENDOR_LEAF   0x40000000u
#define NV_CPUID_VERSION_LEAF  0x40000001u
#define NV_CPUID_MAX_LEAF      NV_CPUID_VERSION_LEAF
#define NV_CPUID_SIG_EBX       0x7473654eu /* "Nest" */
#define NV_CPUID_SIG_ECX       0x6f736956u /* "Viso" */
#define NV_CPUID_SIG_EDX       0x00000072u /* "r\0\0\0" */

/* RBX = version, as in leaf 0x40000001. */
#define NV_HC_VERSION    0x0ul
/* RBX = status: log it, then end the run (QEMU isa-debug-exit: the process
 * exits with (status << 1) | 1; on hardware: halt).  Does not return. */
#define NV_HC_TEST_EXIT  0x1ul
/* RBX = base, RCX = size of the memory nestvisor reserved for itself. */
#define NV_HC_HV_RANGE   0x2ul
/* Out: RBX = address of a canary page inside hypervisor memory (every
 * 8-byte word of the 4 KiB page at RBX holds RCX), RCX = the value
 * nestvisor keeps there; RAX = 0 while every word still holds it,
 * NV_HC_CORRUPT if anything changed one.  For isolation tests. */
#define NV_HC_CANARY     0x3ul
/* Out: RBX = exits nestvisor has handled on this CPU, RCX = nested VMRUNs
 * it has emulated, RDX = #NPF of L2 its shadow NPT has handled.  For
 * benchmarks (deltas around a measured section). */
#define NV_HC_STATS      0x4ul

#define NV_HC_OK         0l
#define NV_HC_ENOSYS     (-1l)
#define NV_HC_EINVAL     (-2l)
#define NV_HC_CORRUPT    (-3l)

/* I/O ports nestvisor owns (intercepted; all others pass through). */
#define NV_PORT_DEBUG_EXIT     0xf4u /* QEMU isa-debug-exit, 4 ports */
#define NV_PORT_DEBUG_EXIT_LEN 4u

#endif
