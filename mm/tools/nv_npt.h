/* SPDX-License-Identifier: MIT */
/*
 * nv-npt: explain one nested (or ordinary) page walk, or print a role's
 * permission matrix.  nv-npt.c parses and checks the command line into a
 * struct nv_opts; npt_explain.c builds the tables and prints.
 */
#ifndef NV_MM_TOOLS_NV_NPT_H
#define NV_MM_TOOLS_NV_NPT_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/walk.h"

#define NV_MAX_PTES WALK_MAX_LEVELS
#define NV_EXIT_BAD_INPUT 2

enum nv_format { NV_MD, NV_CSV };

struct nv_opts {
	bool matrix;          /* matrix mode, else explain mode */
	bool npt;             /* --mode npt (default) or paging */
	uint64_t cr0, cr4, efer;
	bool gmet;
	unsigned maxphyaddr;
	bool gbpages;
	uint64_t access;      /* PFERR_* bits (+ stage for npt) */
	const char *access_name;
	unsigned cpl;
	uint64_t addr, root;
	uint64_t pte[NV_MAX_PTES + 1];
	unsigned nr_pte;      /* may be NV_MAX_PTES + 1: "too many" */
	enum nv_format format;
};

/* Both print to stdout; bad entries -> message on stderr, non-zero. */
int nv_explain(const struct nv_opts *o, const struct pagewalk *w);
int nv_matrix(const struct nv_opts *o, const struct pagewalk *w);

#endif
