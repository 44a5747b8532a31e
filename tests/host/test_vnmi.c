// SPDX-License-Identifier: MIT
/*
 * svm/feat_vnmi.c: the vNMI rules nestvisor emulates for L2, against fake
 * VMCB fields.  Expectations from AMD APM Vol. 2 §15.21.10 "NMI
 * Virtualization", restated here on their own:
 *  - V_NMI_ENABLE is int_ctl bit 26, V_NMI bit 11, V_NMI_MASK bit 12;
 *  - a pending V_NMI is taken when V_NMI_MASK, the GIF (V_GIF) and an
 *    interrupt shadow do not block it; taking it clears V_NMI and sets
 *    V_NMI_MASK; EVENTINJ of an NMI (type 2) at VMRUN sets V_NMI_MASK;
 *    an event EVENTINJ delivers comes first (its delivery ends the
 *    shadow);
 *  - an IRET that completes clears V_NMI_MASK; an exit during the NMI's
 *    delivery (EXITINTINFO type 2) clears it;
 *  - with V_NMI_ENABLE clear nothing of this applies.
 * And the x86 single-step rules the emulation's step relies on (APM Vol. 2
 * §13.1.4, DR6.BS is bit 14, RFLAGS.TF bit 8): the trap follows the
 * instruction that started with TF set; an instruction that loads RFLAGS
 * (IRET, POPF) leaves the loaded TF; a fault leaves RFLAGS as before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svm/feat_vnmi.h"

#define B_ENABLE  (1u << 26)
#define B_PENDING (1u << 11)
#define B_MASK    (1u << 12)
#define TF        (1ull << 8)
#define BS        (1ull << 14)
#define EXIT_DB   0x41u  /* VMEXIT_EXCP_BASE (0x40) + 1 */
#define EXIT_GP   0x4du
#define EXIT_PF   0x4eu
#define EXIT_INTR 0x60u
#define EXIT_VINTR 0x64u
#define EXIT_IRET 0x74u
#define EXIT_SWINT 0x75u
#define EXIT_CPUID 0x72u
#define EXIT_NPF  0x400u
/* Intercept vector bits (APM Vol. 2 Table B-1): word 3 (0x00c) holds
 * exit codes 0x60.. (INTR bit 0, VINTR bit 4, IRET bit 20, INTn bit 21),
 * word 4 (0x010) 0x80.. (STGI bit 4). */
#define I1_INTR   (1u << 0)
#define I1_VINTR  (1u << 4)
#define I1_IRET   (1u << 20)
#define I1_SWINT  (1u << 21)
#define I2_STGI   (1u << 4)

static union svm_event ev(unsigned type, unsigned vector)
{
	union svm_event e = { .raw = 0 };

	e.vector = vector;
	e.type = type;
	e.valid = 1;
	return e;
}

static const union svm_event none = { .raw = 0 };

static void vmrun_loads(void **state)
{
	struct vnmi v;

	(void)state;
	vnmi_vmrun(&v, B_PENDING | B_MASK, none);
	assert_false(v.on);
	assert_false(v.pending);
	assert_false(v.masked);
	vnmi_vmrun(&v, B_ENABLE | B_PENDING, none);
	assert_true(v.on);
	assert_true(v.pending);
	assert_false(v.masked);
	vnmi_vmrun(&v, B_ENABLE | B_MASK, none);
	assert_false(v.pending);
	assert_true(v.masked);
	/* EVENTINJ NMI (type 2, vector 2): VMRUN sets V_NMI_MASK */
	vnmi_vmrun(&v, B_ENABLE, ev(2, 2));
	assert_true(v.masked);
	/* other types do not */
	vnmi_vmrun(&v, B_ENABLE, ev(3, 2));
	assert_false(v.masked);
	vnmi_vmrun(&v, B_ENABLE, ev(0, 0x30));
	assert_false(v.masked);
	/* an NMI in EVENTINJ with V=0 is no injection */
	{
		union svm_event e = ev(2, 2);

		e.valid = 0;
		vnmi_vmrun(&v, B_ENABLE, e);
		assert_false(v.masked);
	}
	/* and without V_NMI_ENABLE the NMI injection changes nothing */
	vnmi_vmrun(&v, 0, ev(2, 2));
	assert_false(v.on);
	assert_int_equal(vnmi_int_ctl(&v, none), 0);
}

static void write_back(void **state)
{
	struct vnmi v;

	(void)state;
	vnmi_vmrun(&v, B_ENABLE | B_PENDING | B_MASK, none);
	assert_int_equal(vnmi_int_ctl(&v, none), B_PENDING | B_MASK);
	vnmi_vmrun(&v, B_ENABLE | B_PENDING, none);
	assert_int_equal(vnmi_int_ctl(&v, none), B_PENDING);
	vnmi_taken(&v);
	assert_int_equal(vnmi_int_ctl(&v, none), B_MASK);
	/* an exit during the NMI's delivery: V_NMI_MASK cleared */
	assert_int_equal(vnmi_int_ctl(&v, ev(2, 2)), 0);
	/* during another event's: not */
	assert_int_equal(vnmi_int_ctl(&v, ev(3, 14)), B_MASK);
	assert_int_equal(vnmi_int_ctl(&v, ev(0, 0x30)), B_MASK);
}

/* The APM's blocking rules as a decision, written apart from the code. */
static enum vnmi_action expected(bool on, bool pending, bool masked, bool gif,
				 bool event, bool shadow)
{
	if (!on || !pending || masked)
		return VNMI_NOTHING;
	if (!gif)
		return VNMI_WAIT_GIF;
	if (event)
		return VNMI_AFTER_EVENT;
	return shadow ? VNMI_STEP_OVER : VNMI_INJECT;
}

static void next_all(void **state)
{
	(void)state;
	for (unsigned m = 0; m < 64; m++) {
		bool on = m & 1, pending = m & 2, masked = m & 4, gif = m & 8,
		     event = m & 16, shadow = m & 32;
		struct vnmi v = { .on = on, .pending = pending, .masked = masked };
		struct vnmi_env e = { gif, shadow, event };

		if (vnmi_next(&v, &e) != expected(on, pending, masked, gif,
						   event, shadow))
			fail_msg("on %d pending %d masked %d gif %d event %d "
				 "shadow %d", on, pending, masked, gif, event,
				 shadow);
	}
}

static void taken(void **state)
{
	struct vnmi v = { .on = true, .pending = true, .after_event = true };

	(void)state;
	vnmi_taken(&v);
	assert_false(v.pending);
	assert_true(v.masked);
	assert_false(v.after_event);
}

static void intercepts(void **state)
{
	struct vnmi v = { .on = true };
	struct vnmi_intercepts i;
	struct vmcb_save s = { 0 };

	(void)state;
	i = vnmi_intercepts(&v, false);
	assert_int_equal(i.misc1 | i.misc2 | i.exceptions, 0);
	v.masked = true;
	i = vnmi_intercepts(&v, false);
	assert_int_equal(i.misc1, I1_IRET);
	assert_int_equal(i.misc2 | i.exceptions, 0);
	/* waiting for STGI: only for a pending, unmasked NMI */
	i = vnmi_intercepts(&v, true);
	assert_int_equal(i.misc2, 0);
	v.masked = false;
	v.pending = true;
	i = vnmi_intercepts(&v, true);
	assert_int_equal(i.misc2, I2_STGI);
	/* stepping: every event that could be delivered exits first; no
	 * IRET intercept (the IRET being stepped must run) */
	v.masked = true;
	vnmi_step_begin(&v, VNMI_STEP_IRET, true, &s);
	i = vnmi_intercepts(&v, false);
	assert_int_equal(i.misc1, I1_INTR | I1_VINTR | I1_SWINT);
	/* exceptions 0-31 but 2 (NMI, no exception) and 18 (#MC) */
	assert_int_equal(i.exceptions, 0xfffbfffbu);
	/* off: nothing */
	v.on = false;
	i = vnmi_intercepts(&v, true);
	assert_int_equal(i.misc1 | i.misc2 | i.exceptions, 0);
}

static void step_iret_completes(void **state)
{
	struct vnmi v = { .on = true, .pending = true, .masked = true };
	struct vmcb_save s = { 0 };

	(void)state;
	s.rflags = 0x2;
	s.dr6 = 0xffff0ff0;
	vnmi_step_begin(&v, VNMI_STEP_IRET, true, &s);
	assert_int_equal(s.rflags, 0x2 | TF);
	assert_int_equal(s.dr6 & BS, 0);
	/* an exit of its own (a nested page fault of the IRET's stack
	 * read): the step goes on, TF stays */
	assert_int_equal(vnmi_step_exit(&v, &s, EXIT_NPF), VNMI_STEP_GOES_ON);
	assert_int_equal(s.rflags & TF, TF);
	/* the trap after the IRET: RFLAGS are the popped ones (TF clear
	 * here), the CPU set DR6.BS */
	s.rflags = 0x202;
	s.dr6 |= BS;
	assert_int_equal(vnmi_step_exit(&v, &s, EXIT_DB), VNMI_STEP_DONE);
	assert_false(v.masked);
	assert_true(v.pending);
	assert_int_equal(s.rflags, 0x202);
	assert_int_equal(s.dr6, 0xffff0ff0);
	assert_int_equal(v.step, VNMI_STEP_NONE);
}

static void step_iret_pops_tf(void **state)
{
	struct vnmi v = { .on = true, .masked = true };
	struct vmcb_save s = { 0 };

	(void)state;
	s.rflags = 0x2;
	s.dr6 = 0xffff0ff0;
	vnmi_step_begin(&v, VNMI_STEP_IRET, true, &s);
	/* the popped RFLAGS have TF: they stay */
	s.rflags = 0x2 | TF;
	s.dr6 |= BS;
	assert_int_equal(vnmi_step_exit(&v, &s, EXIT_DB), VNMI_STEP_DONE);
	assert_int_equal(s.rflags, 0x2 | TF);
	assert_int_equal(s.dr6, 0xffff0ff0);
}

/* L2's own TF at the IRET: the trap is L2's, DR6 keeps BS and L2's bits. */
static void step_l2_trap(void **state)
{
	struct vnmi v = { .on = true, .pending = true, .masked = true };
	struct vmcb_save s = { 0 };

	(void)state;
	s.rflags = 0x2 | TF;
	s.dr6 = 0xffff0ff1; /* B0 from before */
	vnmi_step_begin(&v, VNMI_STEP_IRET, true, &s);
	s.rflags = 0x2;
	s.dr6 |= BS;
	assert_int_equal(vnmi_step_exit(&v, &s, EXIT_DB), VNMI_STEP_DONE_DB);
	assert_false(v.masked);
	assert_int_equal(s.dr6, 0xffff0ff1 | BS);
	assert_int_equal(s.rflags, 0x2);
}

/* A step over an instruction that does not load RFLAGS: TF back to
 * L2's; a shadow step unmasks nothing. */
static void step_shadow(void **state)
{
	struct vnmi v = { .on = true, .pending = true };
	struct vmcb_save s = { 0 };

	(void)state;
	s.rflags = 0x202;
	s.dr6 = 0xffff0ff0 | BS; /* a BS L2 had: sticky, and restored */
	vnmi_step_begin(&v, VNMI_STEP_SHADOW, false, &s);
	assert_int_equal(s.dr6 & BS, 0);
	s.dr6 |= BS;
	assert_int_equal(vnmi_step_exit(&v, &s, EXIT_DB), VNMI_STEP_DONE);
	assert_int_equal(s.rflags, 0x202);
	assert_int_equal(s.dr6, 0xffff0ff0 | BS);
	assert_false(v.masked);
	assert_true(v.pending);
}

/* Faults and events before the instruction: the step is cancelled, TF
 * and DR6.BS as L2 had them, V_NMI_MASK unchanged. */
static void step_aborted(void **state)
{
	static const uint64_t codes[] = {
		EXIT_GP, EXIT_PF, EXIT_INTR, EXIT_VINTR, EXIT_SWINT,
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct vnmi v = { .on = true, .masked = true };
		struct vmcb_save s = { 0 };

		s.rflags = 0x2;
		s.dr6 = 0xffff0ff0 | BS;
		vnmi_step_begin(&v, VNMI_STEP_IRET, true, &s);
		assert_int_equal(vnmi_step_exit(&v, &s, codes[i]),
				 VNMI_STEP_ABORTED);
		assert_int_equal(s.rflags, 0x2);
		assert_int_equal(s.dr6, 0xffff0ff0 | BS);
		assert_true(v.masked);
		assert_int_equal(v.step, VNMI_STEP_NONE);
	}
}

/* A #DB without BS (an instruction breakpoint, a fault before the IRET):
 * not the step's trap. */
static void step_other_db(void **state)
{
	struct vnmi v = { .on = true, .masked = true };
	struct vmcb_save s = { 0 };

	(void)state;
	s.rflags = 0x2;
	s.dr6 = 0xffff0ff0;
	vnmi_step_begin(&v, VNMI_STEP_IRET, true, &s);
	s.dr6 |= 1; /* B0 */
	assert_int_equal(vnmi_step_exit(&v, &s, EXIT_DB), VNMI_STEP_ABORTED);
	assert_true(v.masked);
	assert_int_equal(s.rflags, 0x2);
	assert_int_equal(s.dr6, 0xffff0ff1);
}

/* nestvisor completes the stepped instruction itself (an intercepted
 * CPUID in the shadow): TF is L2's again; the trap is L2's only if its
 * TF was set. */
static void step_emulated(void **state)
{
	struct vnmi v = { .on = true, .pending = true };
	struct vmcb_save s = { 0 };

	(void)state;
	s.rflags = 0x2;
	s.dr6 = 0xffff0ff0;
	vnmi_step_begin(&v, VNMI_STEP_SHADOW, false, &s);
	assert_int_equal(vnmi_step_exit(&v, &s, EXIT_CPUID), VNMI_STEP_GOES_ON);
	assert_false(vnmi_step_emulated(&v, &s));
	assert_int_equal(s.rflags, 0x2);
	assert_int_equal(s.dr6, 0xffff0ff0);
	assert_int_equal(v.step, VNMI_STEP_NONE);

	s.rflags = 0x2 | TF;
	vnmi_step_begin(&v, VNMI_STEP_SHADOW, false, &s);
	assert_true(vnmi_step_emulated(&v, &s));
	assert_int_equal(s.rflags, 0x2 | TF);
}

static void step_cancel(void **state)
{
	struct vnmi v = { .on = true, .masked = true };
	struct vmcb_save s = { 0 };

	(void)state;
	s.rflags = 0x2;
	s.dr6 = 0xffff0ff0;
	vnmi_step_cancel(&v, &s); /* nothing to cancel */
	assert_int_equal(s.rflags, 0x2);
	vnmi_step_begin(&v, VNMI_STEP_IRET, true, &s);
	vnmi_step_cancel(&v, &s);
	assert_int_equal(s.rflags, 0x2);
	assert_int_equal(s.dr6, 0xffff0ff0);
	assert_true(v.masked);
	assert_int_equal(v.step, VNMI_STEP_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vmrun_loads),
		cmocka_unit_test(write_back),
		cmocka_unit_test(next_all),
		cmocka_unit_test(taken),
		cmocka_unit_test(intercepts),
		cmocka_unit_test(step_iret_completes),
		cmocka_unit_test(step_iret_pops_tf),
		cmocka_unit_test(step_l2_trap),
		cmocka_unit_test(step_shadow),
		cmocka_unit_test(step_aborted),
		cmocka_unit_test(step_other_db),
		cmocka_unit_test(step_emulated),
		cmocka_unit_test(step_cancel),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
