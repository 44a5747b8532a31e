/* SPDX-License-Identifier: MIT */
/*
 * Page-fault error code bits, shared by #PF (exception 14) and #NPF
 * (VMEXIT 0x400, EXITINFO1).  AMD APM Vol. 2, §8.4.2 "#PF" error code and
 * §15.25.6 "Nested versus Guest Page Faults, Fault Ordering".
 * When each bit is set: docs/semantics.md §7.1.
 */
#ifndef NV_MM_PFERR_H
#define NV_MM_PFERR_H

#define PFERR_PRESENT     (1ull << 0)  /* 1 = protection/reserved, 0 = not present */
#define PFERR_WRITE       (1ull << 1)
#define PFERR_USER        (1ull << 2)
#define PFERR_RSVD        (1ull << 3)
#define PFERR_FETCH       (1ull << 4)  /* I/D: only when has_pferr_fetch */
#define PFERR_PK          (1ull << 5)
#define PFERR_SS          (1ull << 6)
#define PFERR_GUEST_FINAL (1ull << 32) /* #NPF: fault on the final gpa */
#define PFERR_GUEST_PAGE  (1ull << 33) /* #NPF: fault on a guest page-table access */

#define PFERR_STAGE_MASK  (PFERR_GUEST_FINAL | PFERR_GUEST_PAGE)

#endif
