/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's one error convention (docs/architecture.md, "Errors"):
 * a function that can fail returns int, 0 on success (or, for one that
 * returns a length, the length) and -NV_E* on failure; a pure predicate
 * returns bool.  The codes live in mm/err.h, the lowest folder.
 */
#ifndef NV_CORE_ERR_H
#define NV_CORE_ERR_H

#include "mm/err.h"

#endif
