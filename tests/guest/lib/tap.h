/* SPDX-License-Identifier: MIT */
/*
 * TAP (Test Anything Protocol) output for the payloads, as parsed by
 * tests/runner.py: "1..N", then "ok I - name" / "not ok I - name" per
 * case, "# ..." comments, and "# fact KEY = VALUE" lines that
 * `runner.py --compare` compares between two runs.
 */
#ifndef NV_GUEST_TAP_H
#define NV_GUEST_TAP_H

/* A case checks one thing; returns 1 if it holds.  It may print
 * diagnostics with tap_diag().  Case names are the same in every
 * environment where the expected behaviour is the same. */
struct tap_case {
	const char *name;
	int (*run)(void);
};

/* Print the plan for the whole run (all lists together). */
void tap_plan(unsigned total);
/* Run the cases in order; returns how many failed. */
unsigned tap_run(const struct tap_case *cases, unsigned n);
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_fact(const char *key, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define TAP_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Check helper for cases: prints the failed expression and the values. */
#define TAP_EXPECT_EQ(what, got, want)                                          \
	tap_expect_eq(what, (unsigned long)(got), (unsigned long)(want))
int tap_expect_eq(const char *what, unsigned long got, unsigned long want);

#endif
