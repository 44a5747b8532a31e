/* SPDX-License-Identifier: MIT */
/*
 * The MSR policy: every MSR nestvisor intercepts, why, and what L1 (or an
 * L2 whose L1 does not intercept it) may write.  One table, in
 * svm/msr_policy.c, read by vmcb01's permission map (svm/vmcb01.c) and by
 * the MSR exit (svm/msr.c); docs/security.md, "MSRs", has it in prose.
 */
#ifndef NV_SVM_MSR_POLICY_H
#define NV_SVM_MSR_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum msr_write {
	MSRW_PASS,    /* not intercepted: the CPU writes it */
	MSRW_VIRTUAL, /* nestvisor's virtual MSR: reads and writes emulated */
	MSRW_VIRTUAL_WRITE, /* writes emulated; reads the CPU's, except where
			     * an emulation intercepts them for L2 */
	MSRW_CHECKED, /* intercepted; check() decides, then the CPU writes */
	MSRW_CHECKED_VIEW, /* MSRW_CHECKED, and reads intercepted too: the
			    * guest reads nestvisor's view (APIC_BASE, whose
			    * EN clear svm/apic.c emulates) */
	MSRW_SAME,    /* only the current value (a write that changes nothing) */
	MSRW_DENY,    /* #GP */
};

struct msr_rule {
	uint32_t first, last;  /* an MSR range, inclusive */
	const char *name;
	enum msr_write write;
	/* MSRW_CHECKED(_VIEW): 0 if val may be written, else -NV_EINVAL (#GP).
	 * Reads the MSRs it needs with rdmsr_safe() (core/x86.h). */
	int (*check)(uint32_t msr, uint64_t val);
	const char *why;
};

/* The rule for msr: the table's first match; otherwise, in the
 * C001_0000-C001_1FFF block, deny; elsewhere in the permission map's
 * blocks, pass; outside them (always intercepted, APM Vol. 2 §15.11),
 * deny, reads too. */
const struct msr_rule *msr_rule(uint32_t msr);

/* The write (and, for MSRW_VIRTUAL and MSRW_CHECKED_VIEW, read)
 * intercepts of every rule in vmcb01's MSR permission map
 * (MSRW_VIRTUAL_WRITE: write only). */
void msr_policy_fill(uint8_t *msrpm);

/* The table itself (for docs and tests): n rules. */
const struct msr_rule *msr_rules(unsigned *n);

#endif
