/* SPDX-License-Identifier: MIT */
/*
 * attack: an L1 that attacks nestvisor, one path of docs/security.md per
 * case.  It is the nested payload's small L1 hypervisor (tests/guest/nested:
 * its own IDT, page tables, NPT and vmcb12 helpers) plus instructions aimed
 * at nestvisor.  The load options (nestvisor.cfg `args`) name the group to
 * run; each group needs its own QEMU options (tests/meson.build: attack-*).
 * Every group ends with the same check: the canary in nestvisor's memory
 * is intact and nestvisor still answers a hypercall.
 * Expected values come from the APM (and docs/semantics.md), never from
 * nestvisor.
 */
#ifndef NV_GUEST_ATTACK_H
#define NV_GUEST_ATTACK_H

#include <stdint.h>

#include "tests/guest/lib/tap.h"
#include "tests/guest/nested/nested.h"

struct attack_group {
	const char *name;          /* the load options that select it */
	const char *qemu;          /* what the run needs, for the log */
	const struct tap_case *cases;
	unsigned count;
};

/* One group per file; each lists its cases. */
struct attack_group state_group(void);   /* cases_state.c */
struct attack_group width48_group(void); /* cases_width.c */
struct attack_group width52_group(void); /* cases_width.c */
struct attack_group unrunnable_group(void); /* cases_state.c */
struct attack_group smm_group(void);     /* cases_smm.c */
struct attack_group msr_group(void);     /* cases_msr.c */
struct attack_group exhaust_group(void); /* cases_exhaust.c */
struct attack_group dma_group(void);     /* cases_dma.c */
struct attack_group dma_open_group(void); /* cases_dma.c */
struct attack_group dma_ones_group(void); /* cases_dma.c */
struct attack_group init_group(void);    /* cases_init.c */
struct attack_group devinit_group(void); /* cases_init.c */
struct attack_group devinit_lost_group(void); /* cases_init.c */
struct attack_group s3_group(void);      /* cases_s3.c */
struct attack_group s3_hidden_group(void); /* cases_s3.c */
struct attack_group maps_group(void);    /* cases_maps.c */
struct attack_group apicid_group(void);  /* cases_apicid.c */
/* What group "apicid" does before env_enter() (MP services). */
void apicid_prepare(void);
/* Looks for IVRS in the XSDT (a UEFI call: before env_enter). */
void dma_probe_acpi(void);
/* The first AP and a page below 1 MiB (UEFI calls: before env_enter). */
void init_probe(void);

/* cases_s3.c: the ACPI PM registers from the FADT, \_S3's SLP_TYP from
 * the DSDT (-1: none), and for group "s3-hidden" what the DSDT names,
 * read before env_enter; a delay on the PM timer. */
struct acpi_pm {
	uint16_t evt, cnt, tmr;   /* PM1a_EVT_BLK, PM1a_CNT_BLK, PM_TMR_BLK */
	int slp_typ;
	unsigned n_s3, n_xs3, n_s5; /* Names _S3_, XS3_, _S5_ of a package */
	uint8_t dsdt_sum;         /* the DSDT's bytes, summed */
	int dsdt_found;
};
extern struct acpi_pm acpi_pm;
void acpi_pm_probe(void);
void pm_delay_ms(unsigned ms);

/* ---- common.c ----------------------------------------------------------- */

/* nestvisor's region and canary (NV_HC_HV_RANGE, NV_HC_CANARY). */
struct hv {
	uint64_t base, size, canary_pa, canary;
};
extern struct hv hv;
int hv_probe(void);
long hypercall(uint64_t nr, uint64_t *rbx, uint64_t *rcx);
/* The last case of every group: canary intact, VERSION answers. */
int hv_intact(void);

/* A 2 MiB window of L1's linear space (at WINDOW) onto the 2 MiB-aligned
 * physical address pa (any bits up to 51): L1's page tables get a PML4E,
 * PDPE and PDE for it; invalidated on every change. */
#define WINDOW (1ull << 39)
void window_map(uint64_t pa);
void window_unmap(void);

/* The instructions of insns.S, each at a label the L1 catcher can arm:
 * run one, and get the exception it raised (-1: none). */
struct l1_trap try_wrmsr(uint32_t msr, uint64_t val);
struct l1_trap try_rdmsr(uint32_t msr, uint64_t *val);
struct l1_trap try_mov_cr4(uint64_t val);
struct l1_trap try_mov_cr3(uint64_t val);
struct l1_trap try_mov_cr0(uint64_t val);
struct l1_trap try_lmsw(uint16_t val);
struct l1_trap try_lmsw_mem(const uint16_t *p);
struct l1_trap try_mov_dr7(uint64_t val);
struct l1_trap try_vmload(uint64_t pa);
struct l1_trap try_vmsave(uint64_t pa);
struct l1_trap try_vmrun(uint64_t pa);
struct l1_trap try_read64(uint64_t la, uint64_t *val);
struct l1_trap try_out8(uint16_t port, uint8_t val);
struct l1_trap try_rep_outsw(uint16_t port, const void *src, uint64_t count);
struct l1_trap try_insw(uint16_t port, void *dst);
struct l1_trap try_rep_stosb(void *dst, uint8_t val, uint64_t count);
/* Check the exception raised (-1 = none) and, for #PF, the error code. */
int expect_vector(const char *what, struct l1_trap t, int vector);

/* L2 snippets of insns.S. */
extern const char l2_mov_cr4[], l2_mov_cr0[], l2_out8[];

#endif
