/* SPDX-License-Identifier: MIT */
/*
 * L1's NMIs through vmcb01's virtual NMI (APM Vol. 2 §15.21.10), where the
 * CPU has vNMI (CPUID Fn8000_000A_EDX[25]).  vmcb01 runs with V_NMI_ENABLE;
 * an NMI for L1 is posted as V_NMI (int_ctl bit 11) and the CPU delivers
 * it when L1 is ready, setting V_NMI_MASK (bit 12) until L1's IRET.  L1's
 * NMI handler then blocks only virtual NMIs: the physical NMIs other CPUs
 * kick it with (svm/smp.c) still exit through vmcb01's NMI intercept.
 * With V_NMI_ENABLE, an NMI given through EVENTINJ (one whose delivery an
 * exit interrupted, re-injected by svm/inject.c) sets V_NMI_MASK too
 * (APM Vol. 2 §15.21.10), so it also masks only virtual NMIs.
 * Without vNMI, L1's NMIs are injected (EVENTINJ), which blocks physical
 * NMIs until L1's IRET: docs/security.md, "A kick that never arrives".
 * The rules around it (GIF, L2) are svm/nmi.c's.  Pure, on a VMCB's
 * control area (host tests).
 */
#ifndef NV_SVM_VNMI01_H
#define NV_SVM_VNMI01_H

#include <stdbool.h>
#include "svm/vmcb.h"

/* vmcb01 set-up: V_NMI_ENABLE where the CPU has vNMI, with no virtual NMI
 * pending or in service (also L1's INIT: its NMI state is reset). */
static inline void vnmi01_setup(struct vmcb_control *c, bool cpu_vnmi)
{
	c->int_ctl &= ~(V_NMI_ENABLE | V_NMI_PENDING | V_NMI_BLOCKING);
	if (cpu_vnmi)
		c->int_ctl |= V_NMI_ENABLE;
}

static inline bool vnmi01_on(const struct vmcb_control *c)
{
	return (c->int_ctl & V_NMI_ENABLE) != 0;
}

/* Posts an NMI for L1; one already pending merges with it, as on the CPU
 * (one NMI is latched while another is in service). */
static inline void vnmi01_post(struct vmcb_control *c)
{
	c->int_ctl |= V_NMI_PENDING;
}

/* Is an NMI posted that the CPU has not delivered yet? */
static inline bool vnmi01_posted(const struct vmcb_control *c)
{
	return (c->int_ctl & V_NMI_PENDING) != 0;
}

/* Takes a posted NMI the CPU has not delivered yet out of the VMCB (it is
 * then held by nestvisor again); true if there was one. */
static inline bool vnmi01_take_back(struct vmcb_control *c)
{
	bool was = (c->int_ctl & V_NMI_PENDING) != 0;

	c->int_ctl &= ~V_NMI_PENDING;
	return was;
}

#endif
