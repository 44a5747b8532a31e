/* SPDX-License-Identifier: MIT */
/*
 * The words of `nv-npt explain`: how a role, an access, a walk's decision
 * and an #NPF/#PF error code are printed.  Shared by nv-npt (mm/tools)
 * and nvctl (which decodes the #NPFs nestvisor reflected to L1), so both
 * say the same thing the same way.  Everything prints to stdout.
 */
#ifndef NV_MM_TOOLS_NPF_WORDS_H
#define NV_MM_TOOLS_NPF_WORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/walk.h"

/* "PTE", "PDE", "PDPTE", "PML4E", "PML5E" for levels 1..5. */
const char *npf_level_name(unsigned lvl);
/* "RWUX" with '-' for a missing right. */
void npf_print_rights(unsigned acc);
/* role: ... / base: ... / ext: ... / cpu: ... (npt: a walk of L1's NPT). */
void npf_print_role(bool npt, const struct pagewalk *w);
/* access: NAME, CPL n, ... stage -> checked as ... (access: PFERR_* bits
 * with, for npt, the stage bit; name: "read", "write", "fetch", "pt"). */
void npf_print_access(bool npt, const struct pagewalk *w, uint64_t access,
		      const char *name, unsigned cpl);
/* One permission rule (PERM_RULE_*) in words. */
const char *npf_rule_text(unsigned rule);
/* decision: FAULT at level N (...): not present | reserved bit set, or
 * decision: FAULT, permission: [rule]... for fault_level 0, where rights
 * are the effective rights of the entries walked. */
void npf_print_fault(const struct pagewalk *w, uint64_t access,
		     uint64_t error_code, int fault_level, unsigned rights);
/* exit_info_1 (npt) / error_code, every bit with its meaning, then
 * exit_info_2 / cr2 = addr. */
void npf_print_error_code(bool npt, const struct pagewalk *w,
			  uint64_t error_code, uint64_t addr);
/* For a walk of L1's NPT: each error-code bit and the rule that set (or
 * cleared) it (docs/semantics.md §5.2, §6, §7.1). */
void npf_print_bit_reasons(const struct pagewalk *w, uint64_t access,
			   unsigned cpl, uint64_t error_code, int fault_level,
			   unsigned rights);

#endif
