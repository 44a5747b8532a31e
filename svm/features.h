/* SPDX-License-Identifier: MIT */
/*
 * SVM feature probing: CPUID Fn8000_000A (APM Vol. 3, Appendix E.4.9) and
 * the checks that decide whether nestvisor can virtualize this CPU.
 */
#ifndef NV_SVM_FEATURES_H
#define NV_SVM_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

/* CPUID Fn8000_000A_EDX bits. */
#define SVM_FEAT_NP          0
#define SVM_FEAT_LBRV        1
#define SVM_FEAT_SVML        2
#define SVM_FEAT_NRIPS       3
#define SVM_FEAT_TSCRATE     4
#define SVM_FEAT_VMCBCLEAN   5
#define SVM_FEAT_FLUSHASID   6
#define SVM_FEAT_DECODE      7
#define SVM_FEAT_PAUSEFILTER 10
#define SVM_FEAT_PFTHRESHOLD 12
#define SVM_FEAT_AVIC        13
#define SVM_FEAT_VVMSAVE     15
#define SVM_FEAT_VGIF        16
#define SVM_FEAT_GMET        17
#define SVM_FEAT_VNMI        25

struct svm_caps {
	uint32_t revision;  /* EAX[7:0] */
	uint32_t nr_asids;  /* EBX */
	uint32_t edx;       /* feature bits */
	unsigned maxphyaddr; /* the CPU's (CPUID 0x80000008 EAX[7:0]) */
	/*
	 * L1's physical address width: MAXPHYADDR, less the reduction and
	 * below the C-bit while memory encryption is on (CPUID 0x8000001F,
	 * SYSCFG), at most 48 (what a 4-level NPT translates).  nestvisor
	 * maps L1 up to 2^l1_maxphyaddr, reports it in CPUID and bounds
	 * every address L1 or L2 names by it (docs/security.md).
	 */
	unsigned l1_maxphyaddr;
	bool mem_encrypt;    /* SYSCFG.MemEncryptionModEn was set */
	unsigned cbit;       /* C-bit position, when mem_encrypt */
	bool gbpages;
	/* EFER bits L1 may set: those the CPU reports in CPUID (SCE, LME,
	 * LMA, NXE, FFXSR, AIBRSE) and SVME (virtual); never LMSLE or TCE.
	 * APM Vol. 2 §3.1.7. */
	uint64_t efer_allowed;
};

static inline bool svm_has(const struct svm_caps *c, unsigned bit)
{
	return (c->edx >> bit) & 1;
}

struct cpu_ident {
	char vendor[13];
	unsigned family, model, stepping;
};

void cpu_identify(struct cpu_ident *id);
/* Fills caps from CPUID (and SYSCFG where CPUID reports SME or SEV). */
void svm_probe(struct svm_caps *caps);

/* L1's physical address width for a CPU with MAXPHYADDR maxphyaddr:
 * with memory encryption on, maxphyaddr less reduction and below cbit;
 * at most 48.  Pure (host tests). */
unsigned l1_phys_width(unsigned maxphyaddr, bool mem_encrypt, unsigned cbit,
		       unsigned reduction);

/*
 * Can nestvisor virtualize this CPU?  Returns NULL if so, else a sentence
 * saying which check failed and why (AMD CPU, SVM present, VM_CR.SVMDIS
 * clear, long mode, nested paging).
 */
const char *svm_unsupported_reason(void);

/* Writes the names of the SVM features set in edx, space separated. */
void svm_feature_names(uint32_t edx, char *buf, unsigned size);

#endif
