/* SPDX-License-Identifier: MIT */
/*
 * For the L1 snippets in assembly (l1_step.S, l1_fuse.S): L1SYM name
 * defines a global, hidden label that the C cases take addresses of.
 */
#ifndef NV_TESTS_NESTED_L1_SYM_H
#define NV_TESTS_NESTED_L1_SYM_H

	.macro L1SYM name
	.globl \name
	.hidden \name
\name:
	.endm

#endif
