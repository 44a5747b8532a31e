/* SPDX-License-Identifier: MIT */
/*
 * The shadow-NPT MMU: nestvisor's L2 gpa -> host pa tables for an L1 that
 * runs L2 with nested paging.  L1's NPT (vmcb12 nCR3: L2 gpa -> L1 gpa) is
 * walked with mm/walk.c on #NPF, and the result, composed with nestvisor's
 * own NPT for L1 (env->l1_to_hpa), is cached in 4-level long-mode shadow
 * tables that vmcb02 runs with.  Algorithm, limits and costs: the comment
 * at the top of shadow_npt.c.  Semantics: docs/semantics.md §2.5, §5, §6,
 * §7.2, §9.
 *
 * Requirements on the caller:
 *  - L0 runs with EFER.NXE=1 (shadow entries use NX, and the CPU's #NPF
 *    error code must carry the I/D bit for fetches);
 *  - calls on one struct snpt are serialised; with several vCPUs each has
 *    its own, and mm/snpt_smp.c keeps them coherent (L1 runs on the other
 *    CPUs meanwhile: env->protect must make a page unwritable for every
 *    CPU before it returns, see SNPT_RETRY);
 *  - at every VMRUN, the root comes from snpt_get_root() with vmcb12's
 *    ASID (a root is never entered with another ASID without it);
 *  - after snpt_get_root() or a fault with outcome SNPT_SWITCH_ROOT,
 *    vmcb02's nCR3 is the root returned; the caller flushes the ASID's TLB
 *    after snpt_l1_write(), snpt_invlpga(), snpt_flush(), a root emptied
 *    by snpt_get_root() (stats.asid_empties) and SNPT_SWITCH_ROOT (the
 *    root left behind may have lost an entry);
 *  - with env->unsync, the caller calls snpt_flush() wherever L1's own
 *    TLB would be flushed for L2 (TLB_CONTROL, INVLPGA).
 */
#ifndef NV_MM_SHADOW_NPT_H
#define NV_MM_SHADOW_NPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/err.h"
#include "mm/gmem.h"
#include "mm/pt_mem.h"
#include "mm/role.h"
#include "mm/walk.h"

/* Fixed sizes (see shadow_npt.c for what happens when they run out). */
#define SNPT_MAX_ROOTS   8    /* cached shadow roots, LRU */
#define SNPT_MAX_USES    4096 /* (L1 table page, root, L2 region) records */
#define SNPT_HASH_BUCKETS 1024
#define SNPT_NO_USE      0xffffu

/* Everything the MMU reaches outside its own tables comes from here. */
struct snpt_env {
	/* L1 physical memory: walking L1's NPT, setting its A/D bits. */
	const struct gmem *l1mem;
	/*
	 * L1 gpa -> host pa through nestvisor's NPT for L1.  *max_shift =
	 * log2 of the largest naturally aligned block around l1_gpa that maps
	 * contiguously (and aligned) with the same rights: 12, 21 or 30.
	 * Returns 0, or -NV_EFAULT if L1 has no memory there.
	 */
	int (*l1_to_hpa)(void *ctx, uint64_t l1_gpa, uint64_t *hpa,
			 unsigned *max_shift);
	/*
	 * Write-protect (true) or release (false) one 4 KiB page of L1 memory
	 * in nestvisor's NPT for L1, so that L1's writes to it exit.  Returns
	 * 0, or a negated nv_err if the page cannot be protected.
	 */
	int (*protect)(void *ctx, uint64_t l1_gpa_page, bool write_protect);
	/*
	 * Optional (0: none).  Is the 4 KiB page of L1 memory at l1_gpa_page
	 * one whose writes the caller must see (L1's I/O and MSR permission
	 * maps, svm/nested_maps.c)?  Leaves mapping it are 4 KiB and read-only,
	 * and a write to it that L1's NPT allows is reported as
	 * SNPT_WATCHED_WRITE instead of installed.  l1_to_hpa's max_shift must
	 * not span a watched page (its rights differ), and the caller empties
	 * the shadow (snpt_flush) when it starts watching a page that leaves
	 * may already map.
	 */
	bool (*l1_watched)(void *ctx, uint64_t l1_gpa_page);
	void *ctx;
	struct pt_mem *ptm;   /* pages for the shadow tables */
	struct mm_cpu l1_cpu; /* MAXPHYADDR and 1 GiB pages as L1 sees them */
	bool hw_gmet;         /* L0 CPU has GMET: vmcb02 carries L1's bit */
	bool gbpages;         /* L0 CPU has 1 GiB pages: shadow may use them */
	/*
	 * TLB semantics for L1's writes (shadow_npt.c, "Unsync pages"): a
	 * write to a protected table page releases the page and leaves the
	 * entries built from it, which then last until the caller's next
	 * snpt_flush(), as a TLB's would until L1 flushes it.  false: the
	 * write drops them at once.
	 */
	bool unsync;
};

/*
 * Execution class of a shadow root.  Only when L1 enabled GMET and the CPU
 * has none: SUPERVISOR roots make pages with effective U=1 NX, USER roots
 * make pages with effective U=0 NX.  Otherwise every root is SUPERVISOR.
 */
enum snpt_exec {
	SNPT_EXEC_SUPERVISOR = 0,
	SNPT_EXEC_USER = 1,
};

struct snpt_root {
	bool valid;
	enum snpt_exec exec;
	uint64_t ncr3;
	union cpu_role role;           /* how L1's NPT is walked */
	union mmu_page_role root_role; /* the shadow's role (informational) */
	uint64_t hpa;                  /* the shadow PML4 */
	uint64_t last_used;            /* LRU clock */
	/* The ASID vmcb12 last entered the root with: every entry in it was
	 * cached for that ASID ("ASIDs" in shadow_npt.c). */
	uint32_t asid;
	bool filled;                   /* entries installed since emptied */
	struct pagewalk w;
};

/*
 * "The shadow entries of root covering [l2_base, l2_base + 2^span_shift)
 * were derived from the L1 table page l1_page": one per (page, root,
 * region), chained in hash buckets by l1_page.
 */
struct snpt_use {
	uint64_t l1_page;
	uint64_t l2_base;
	uint16_t next;   /* next in bucket, or in the free list */
	uint8_t root;    /* index into roots[] */
	uint8_t span_shift;
	bool used;
	/* The page is unsync (env->unsync): not protected, L1 writes it
	 * freely; the same on every use of the page. */
	bool unsync;
};

struct snpt_stats {
	uint64_t faults, installs, reflects, no_l1_memory, switches, straddles;
	uint64_t l1_writes, invlpga, flushes, resets, evictions;
	uint64_t protects, unprotects, protect_failures, changed_under_walk;
	uint64_t unsyncs, prefetches, prefetch_installs;
	uint64_t asid_empties; /* roots emptied for another ASID */
};

/* The last #NPF reflected to L1, for snpt_prefetch(). */
struct snpt_pending {
	bool valid;
	uint8_t cpl;
	uint64_t root_hpa;
	uint64_t l2_gpa;
};

/*
 * GMET emulation's memory of its last root switch (the instruction, by its
 * RIP, and the root switched to) and of the one page it made executable in
 * a USER root for an instruction that straddles a U=0 and a U=1 page
 * (shadow_npt.c, "GMET").
 */
struct snpt_gmet_state {
	bool switched;
	unsigned switch_root;
	uint64_t switch_rip;
	bool straddle;
	unsigned straddle_root;
	uint64_t straddle_page;
};

struct snpt {
	struct snpt_env env;
	struct snpt_root roots[SNPT_MAX_ROOTS];
	struct snpt_gmet_state gmet;
	uint64_t clock;
	struct snpt_use uses[SNPT_MAX_USES];
	uint16_t bucket[SNPT_HASH_BUCKETS];
	uint16_t free_use;
	unsigned nr_uses;
	unsigned nr_unsync;  /* pages with uses that are unsync */
	struct snpt_pending pending;
	struct snpt_stats stats;
};

/*
 * What an #NPF of L2 needs, as snpt_handle_fault() found it.  The #NPF
 * dispatcher switches on this and nothing else; the details each outcome
 * carries are in struct snpt_fault_result.
 */
enum snpt_outcome {
	/* The shadow entry is installed in the faulting root: resume L2. */
	SNPT_INSTALLED,
	/* GMET emulation: installed in root_hpa, the other execution class's
	 * root; run vmcb02 on it (new nCR3, flush the ASID) and resume. */
	SNPT_SWITCH_ROOT,
	/* L1's NPT denies the access: #NPF to L1 with exit_info_1 (the
	 * walker's error code and the CPU's stage bit) and exit_info_2 (the
	 * faulting L2 gpa). */
	SNPT_REFLECT,
	/* L1's NPT translates to l1_gpa, where L1 has no memory. */
	SNPT_NO_L1_MEMORY,
	/* root_hpa is not a cached root (it was evicted): get the root for
	 * vmcb12's nCR3 again and let L2 retry the access. */
	SNPT_STALE_ROOT,
	/* The L2 gpa is at or above 2^48: no 4-level shadow maps it. */
	SNPT_BAD_ADDRESS,
	/* A table of L1's NPT lies where env->l1mem cannot read or update. */
	SNPT_L1_TABLE_UNREACHABLE,
	/* env->l1_to_hpa answered with a host address above bit 51. */
	SNPT_BAD_HOST_ADDRESS,
	/* L2 writes l1_gpa, a page env->l1_watched names, and L1's NPT allows
	 * it: nothing installed.  The caller stops watching the page (or
	 * not), and L2 retries. */
	SNPT_WATCHED_WRITE,
	/* No page for a shadow table, even after emptying every root. */
	SNPT_NO_MEMORY,
	/* Another CPU changed L1's NPT under the fault: a table changed
	 * between the walk and its protection, or the walk kept losing its
	 * A/D updates (walk_result.raced).  Nothing installed; resume L2,
	 * which faults again and is walked anew. */
	SNPT_RETRY,
};

/* The details of an outcome; fields an outcome does not name are 0. */
struct snpt_fault_result {
	uint64_t exit_info_1, exit_info_2; /* SNPT_REFLECT */
	/* SNPT_REFLECT: the walk's fault level (0 = permission) and the
	 * effective rights (ACC_*) of the entries it walked. */
	int fault_level;
	unsigned rights;
	/* INSTALLED, SWITCH_ROOT, NO_L1_MEMORY, WATCHED_WRITE: the L1 gpa
	 * L1's NPT gives */
	uint64_t l1_gpa;
	unsigned shadow_shift;  /* INSTALLED, SWITCH_ROOT: shadow page size */
	/* Every outcome: the root to run with (the faulting one unless
	 * SWITCH_ROOT) and its execution class. */
	uint64_t root_hpa;
	enum snpt_exec exec;
};

void snpt_init(struct snpt *s, const struct snpt_env *env);

/* Free every shadow page and release every protection. */
void snpt_destroy(struct snpt *s);

/*
 * The shadow root for L1's NPT at ncr3 walked with role
 * (cpu_role_shadow_npt()) in execution class exec (ignored, i.e.
 * SUPERVISOR, unless role.base.cr4_smep and !env->hw_gmet), entered with
 * vmcb12's asid.  Found in the cache or created (evicting the least
 * recently used root); a cached root that holds entries of another ASID is
 * emptied first (stats.asid_empties).  Returns 0, or -NV_ENOMEM when no
 * page is left for a root even after emptying the others.
 */
int snpt_get_root(struct snpt *s, uint64_t ncr3, union cpu_role role,
		  enum snpt_exec exec, uint32_t asid, uint64_t *root_hpa);

/*
 * An #NPF from L2 while vmcb02 ran on root_hpa: hw_exit_info_1 and l2_gpa
 * (EXITINFO2) as the CPU reported them, cpl = L2's CPL and rip = L2's RIP
 * at the fault (the instruction whose access faulted; GMET emulation tells
 * an instruction that straddles two execution classes by it).
 * Only INSTALLED and SWITCH_ROOT add a shadow entry (making the other
 * class's root may evict the least recently used root); NO_MEMORY may have
 * emptied every root.
 */
enum snpt_outcome snpt_handle_fault(struct snpt *s, uint64_t root_hpa,
				    uint64_t l2_gpa, uint64_t hw_exit_info_1,
				    unsigned cpl, uint64_t rip,
				    struct snpt_fault_result *out);

/*
 * L1 tried to write the protected page holding l1_gpa: release its
 * protection (the caller then lets L1's write retry), and drop every
 * shadow entry derived from it, or with env->unsync keep them and make
 * the page unsync.  Nothing happens for a page that is not protected.
 */
void snpt_l1_write(struct snpt *s, uint64_t l1_gpa);

/*
 * L1 is about to run L2 on root_hpa again: if the last #NPF reflected to
 * L1 came from that root, install its address now when L1's NPT maps it
 * with every accessed bit already set (so L2 need not fault again); the
 * walk writes nothing.  True when an entry was installed.  Either way the
 * recorded #NPF is forgotten.
 */
bool snpt_prefetch(struct snpt *s, uint64_t root_hpa);

/* Drop the shadow entry mapping l2_gpa in every root. */
void snpt_invlpga(struct snpt *s, uint64_t l2_gpa);

/*
 * Drop every shadow entry of every root and release every protection.
 * The root pages stay allocated and cached (empty), so an nCR3 already in
 * vmcb02 stays valid.
 */
void snpt_flush(struct snpt *s);

/* Is the 4 KiB page holding l1_gpa protected by the MMU (it has uses and
 * is not unsync)?  Unsync (uses, not protected)?  (Tests, stats.) */
bool snpt_is_protected(const struct snpt *s, uint64_t l1_gpa);
bool snpt_is_unsync(const struct snpt *s, uint64_t l1_gpa);

#endif
