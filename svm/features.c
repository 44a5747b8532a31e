// SPDX-License-Identifier: MIT
#include "svm/features.h"
#include "core/x86.h"

void cpu_identify(struct cpu_ident *id)
{
	struct cpuid_regs r = cpuid(0);
	uint32_t words[3] = { r.ebx, r.edx, r.ecx };

	for (int i = 0; i < 12; i++)
		id->vendor[i] = (char)(words[i / 4] >> (8 * (i % 4)));
	id->vendor[12] = 0;
	r = cpuid(1);
	id->family = (r.eax >> 8) & 0xf;
	id->model = (r.eax >> 4) & 0xf;
	id->stepping = r.eax & 0xf;
	if (id->family == 0xf) {
		id->family += (r.eax >> 20) & 0xff;
		id->model |= ((r.eax >> 16) & 0xf) << 4;
	}
}

/* CPUID bits that say which EFER bits exist (APM Vol. 3 Appendix E.4.2). */
#define CPUID_E1_EDX_SYSCALL (1u << 11)
#define CPUID_E1_EDX_NX      (1u << 20)
#define CPUID_E1_EDX_FFXSR   (1u << 25)
#define CPUID_E1_EDX_LM      (1u << 29)
#define CPUID_21_EAX_AIBRS   (1u << 8)  /* CPUID 0x80000021: automatic IBRS */
/* CPUID 0x8000001F (APM Vol. 3 E.4.17): EAX[0] SME, EAX[1] SEV; EBX[5:0]
 * the C-bit's position, EBX[11:6] the physical address bits lost while
 * memory encryption is on. */
#define CPUID_1F_EAX_SME     (1u << 0)
#define CPUID_1F_EAX_SEV     (1u << 1)
#define MSR_SYSCFG_SMEE      (1ull << 23) /* MemEncryptionModEn */

static bool is_amd(void)
{
	struct cpuid_regs r = cpuid(0);
	/* "AuthenticAMD" */
	return r.ebx == 0x68747541 && r.edx == 0x69746e65 && r.ecx == 0x444d4163;
}

unsigned l1_phys_width(unsigned maxphyaddr, bool mem_encrypt, unsigned cbit,
		       unsigned reduction)
{
	unsigned w = maxphyaddr;

	if (mem_encrypt) {
		w = reduction < w ? w - reduction : 0;
		if (cbit < w)
			w = cbit;
	}
	return w > 48 ? 48 : w;
}

/*
 * LMSLE and TCE are never offered: LMSLE is gone from Zen 3 on (CPUID
 * 0x80000008 EBX[20]) and QEMU's VMRUN refuses both; L1's CPUID says so
 * (svm/cpuid.c).
 */
static uint64_t efer_allowed(uint32_t e1_edx, uint32_t e21_eax)
{
	uint64_t e = X86_EFER_SVME;

	if (e1_edx & CPUID_E1_EDX_SYSCALL)
		e |= X86_EFER_SCE;
	if (e1_edx & CPUID_E1_EDX_LM)
		e |= X86_EFER_LME | X86_EFER_LMA;
	if (e1_edx & CPUID_E1_EDX_NX)
		e |= X86_EFER_NXE;
	if (e1_edx & CPUID_E1_EDX_FFXSR)
		e |= X86_EFER_FFXSR;
	if (e21_eax & CPUID_21_EAX_AIBRS)
		e |= X86_EFER_AIBRSE;
	return e;
}

void svm_probe(struct svm_caps *caps)
{
	struct cpuid_regs r = cpuid(0x80000000);
	uint32_t max_ext = r.eax;
	unsigned reduction = 0;

	*caps = (struct svm_caps){ .maxphyaddr = 36 };
	if (max_ext >= 0x80000001) {
		r = cpuid(0x80000001);
		caps->gbpages = (r.edx >> 26) & 1;
		caps->efer_allowed = efer_allowed(r.edx, max_ext >= 0x80000021 ?
						  cpuid(0x80000021).eax : 0);
	}
	if (max_ext >= 0x80000008)
		caps->maxphyaddr = cpuid(0x80000008).eax & 0xff;
	if (max_ext >= 0x8000001f && is_amd()) {
		r = cpuid(0x8000001f);
		if ((r.eax & (CPUID_1F_EAX_SME | CPUID_1F_EAX_SEV)) &&
		    (rdmsr(MSR_SYSCFG) & MSR_SYSCFG_SMEE)) {
			caps->mem_encrypt = true;
			caps->cbit = r.ebx & 0x3f;
			reduction = (r.ebx >> 6) & 0x3f;
		}
	}
	caps->l1_maxphyaddr = l1_phys_width(caps->maxphyaddr, caps->mem_encrypt,
					    caps->cbit, reduction);
	if (max_ext >= 0x8000000a && ((cpuid(0x80000001).ecx >> 2) & 1)) {
		r = cpuid(0x8000000a);
		caps->revision = r.eax & 0xff;
		caps->nr_asids = r.ebx;
		caps->edx = r.edx;
	}
}

const char *svm_unsupported_reason(void)
{
	if (!is_amd())
		return "the CPU is not an AMD CPU (CPUID vendor is not AuthenticAMD)";
	if (cpuid(0x80000000).eax < 0x8000000a ||
	    !((cpuid(0x80000001).ecx >> 2) & 1))
		return "the CPU has no SVM (CPUID 0x80000001 ECX[2] is clear)";
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
		return "SVM is disabled by the firmware (VM_CR.SVMDIS is set)";
	if (!(rdmsr(MSR_EFER) & X86_EFER_LMA))
		return "the CPU is not in long mode (EFER.LMA is clear)";
	if (!((cpuid(0x8000000a).edx >> SVM_FEAT_NP) & 1))
		return "the CPU has no nested paging (CPUID 0x8000000A EDX[0] is clear)";
	if (rdmsr(MSR_EFER) & X86_EFER_SVME)
		return "another hypervisor already uses SVM here (EFER.SVME is set)";
	return 0;
}

static const char *const feature_names[32] = {
	[0] = "NP", [1] = "LbrVirt", [2] = "SVML", [3] = "NRIPS",
	[4] = "TscRateMsr", [5] = "VmcbClean", [6] = "FlushByAsid",
	[7] = "DecodeAssists", [10] = "PauseFilter",
	[12] = "PauseFilterThreshold", [13] = "AVIC", [15] = "VMSAVEvirt",
	[16] = "vGIF", [17] = "GMET", [18] = "x2AVIC", [19] = "SSSCheck",
	[20] = "SpecCtrl", [21] = "ROGPT", [23] = "HostMCEOverride",
	[24] = "TlbiCtl", [25] = "vNMI", [26] = "IbsVirt",
	[28] = "VmcbAddrChk", [29] = "BusLockThreshold",
};

void svm_feature_names(uint32_t edx, char *buf, unsigned size)
{
	unsigned n = 0;

	if (!size)
		return;
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *name = feature_names[bit];
		char num[8];

		if (!((edx >> bit) & 1))
			continue;
		if (!name) { /* unnamed bit: print "bitN" */
			num[0] = 'b'; num[1] = 'i'; num[2] = 't';
			num[3] = (char)('0' + bit / 10);
			num[4] = (char)('0' + bit % 10);
			num[5] = 0;
			name = num;
		}
		if (n && n + 1 < size)
			buf[n++] = ' ';
		for (const char *p = name; *p && n + 1 < size; p++)
			buf[n++] = *p;
	}
	if (!n) {
		const char *none = "(none)";
		for (const char *p = none; *p && n + 1 < size; p++)
			buf[n++] = *p;
	}
	buf[n] = 0;
}
