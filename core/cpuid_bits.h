/* SPDX-License-Identifier: MIT */
/*
 * The CPUID feature bits nestvisor reads or changes, named once (AMD APM
 * Vol. 3 Appendix E, "Obtaining Processor Information Via the CPUID
 * Instruction": E.3.2 Fn0000_0001, E.3.6 Fn0000_0007, E.4.2 Fn8000_0001,
 * E.4.7 Fn8000_0008, E.4.9 Fn8000_000A, E.4.17 Fn8000_001F, E.4.19
 * Fn8000_0021).  Named CPUID_<leaf>_<register>_<feature>.
 */
#ifndef NV_CORE_CPUID_BITS_H
#define NV_CORE_CPUID_BITS_H

/* Fn0000_0001 */
#define CPUID_1_ECX_OSXSAVE        (1u << 27)
#define CPUID_1_EDX_APIC           (1u << 9)  /* present and enabled */
#define CPUID_1_ECX_HV             (1u << 31) /* a hypervisor is present */

/* Fn0000_0007, subleaf 0 */
#define CPUID_7_ECX_OSPKE          (1u << 4)

/* Fn8000_0001 */
#define CPUID_E1_ECX_SVM           (1u << 2)
#define CPUID_E1_ECX_SKINIT        (1u << 12) /* SKINIT, STGI, DEV */
#define CPUID_E1_ECX_TCE           (1u << 17)
#define CPUID_E1_EDX_SYSCALL       (1u << 11)
#define CPUID_E1_EDX_NX            (1u << 20)
#define CPUID_E1_EDX_FFXSR         (1u << 25)
#define CPUID_E1_EDX_PAGE1GB       (1u << 26)
#define CPUID_E1_EDX_LM            (1u << 29)

/* Fn8000_0008 */
#define CPUID_E8_EAX_PHYS_BITS     0xffu      /* MAXPHYADDR */
#define CPUID_E8_EAX_GUEST_PHYS    (0xffu << 16)
#define CPUID_E8_EBX_INVLPGB       (1u << 3)
#define CPUID_E8_EBX_MCOMMIT       (1u << 8)
#define CPUID_E8_EBX_INT_WBINVD    (1u << 13)
#define CPUID_E8_EBX_NO_LMSLE      (1u << 20) /* EFER.LMSLE unsupported */
#define CPUID_E8_EBX_INVLPGB_NESTED (1u << 21)
#define CPUID_E8_EDX_INVLPGB_MAX   0xffffu    /* InvlpgbCountMax */

/* Fn8000_001F */
#define CPUID_E1F_EAX_SME          (1u << 0)
#define CPUID_E1F_EAX_SEV          (1u << 1)

/* Fn8000_0021 */
#define CPUID_E21_EAX_UAI          (1u << 7)  /* EFER.UAIE */
#define CPUID_E21_EAX_AIBRS        (1u << 8)  /* EFER.AIBRSE */

#endif
