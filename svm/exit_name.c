// SPDX-License-Identifier: MIT
/* Exit-code names (svm/exit_name.h), in the order of svm/exit_code.h. */
#include "svm/exit_name.h"

#include "core/fmt.h"
#include "svm/exit_code.h"

static const char *const misc_names[] = {
	[VMEXIT_INTR - VMEXIT_INTR] = "INTR",
	[VMEXIT_NMI - VMEXIT_INTR] = "NMI",
	[VMEXIT_SMI - VMEXIT_INTR] = "SMI",
	[VMEXIT_INIT - VMEXIT_INTR] = "INIT",
	[VMEXIT_VINTR - VMEXIT_INTR] = "VINTR",
	[VMEXIT_CR0_SEL_WRITE - VMEXIT_INTR] = "CR0_SEL_WRITE",
	[VMEXIT_IDTR_READ - VMEXIT_INTR] = "IDTR_READ",
	[VMEXIT_GDTR_READ - VMEXIT_INTR] = "GDTR_READ",
	[VMEXIT_LDTR_READ - VMEXIT_INTR] = "LDTR_READ",
	[VMEXIT_TR_READ - VMEXIT_INTR] = "TR_READ",
	[VMEXIT_IDTR_WRITE - VMEXIT_INTR] = "IDTR_WRITE",
	[VMEXIT_GDTR_WRITE - VMEXIT_INTR] = "GDTR_WRITE",
	[VMEXIT_LDTR_WRITE - VMEXIT_INTR] = "LDTR_WRITE",
	[VMEXIT_TR_WRITE - VMEXIT_INTR] = "TR_WRITE",
	[VMEXIT_RDTSC - VMEXIT_INTR] = "RDTSC",
	[VMEXIT_RDPMC - VMEXIT_INTR] = "RDPMC",
	[VMEXIT_PUSHF - VMEXIT_INTR] = "PUSHF",
	[VMEXIT_POPF - VMEXIT_INTR] = "POPF",
	[VMEXIT_CPUID - VMEXIT_INTR] = "CPUID",
	[VMEXIT_RSM - VMEXIT_INTR] = "RSM",
	[VMEXIT_IRET - VMEXIT_INTR] = "IRET",
	[VMEXIT_SWINT - VMEXIT_INTR] = "SWINT",
	[VMEXIT_INVD - VMEXIT_INTR] = "INVD",
	[VMEXIT_PAUSE - VMEXIT_INTR] = "PAUSE",
	[VMEXIT_HLT - VMEXIT_INTR] = "HLT",
	[VMEXIT_INVLPG - VMEXIT_INTR] = "INVLPG",
	[VMEXIT_INVLPGA - VMEXIT_INTR] = "INVLPGA",
	[VMEXIT_IOIO - VMEXIT_INTR] = "IOIO",
	[VMEXIT_MSR - VMEXIT_INTR] = "MSR",
	[VMEXIT_TASK_SWITCH - VMEXIT_INTR] = "TASK_SWITCH",
	[VMEXIT_FERR_FREEZE - VMEXIT_INTR] = "FERR_FREEZE",
	[VMEXIT_SHUTDOWN - VMEXIT_INTR] = "SHUTDOWN",
	[VMEXIT_VMRUN - VMEXIT_INTR] = "VMRUN",
	[VMEXIT_VMMCALL - VMEXIT_INTR] = "VMMCALL",
	[VMEXIT_VMLOAD - VMEXIT_INTR] = "VMLOAD",
	[VMEXIT_VMSAVE - VMEXIT_INTR] = "VMSAVE",
	[VMEXIT_STGI - VMEXIT_INTR] = "STGI",
	[VMEXIT_CLGI - VMEXIT_INTR] = "CLGI",
	[VMEXIT_SKINIT - VMEXIT_INTR] = "SKINIT",
	[VMEXIT_RDTSCP - VMEXIT_INTR] = "RDTSCP",
	[VMEXIT_ICEBP - VMEXIT_INTR] = "ICEBP",
	[VMEXIT_WBINVD - VMEXIT_INTR] = "WBINVD",
	[VMEXIT_MONITOR - VMEXIT_INTR] = "MONITOR",
	[VMEXIT_MWAIT - VMEXIT_INTR] = "MWAIT",
	[VMEXIT_MWAIT_CONDITIONAL - VMEXIT_INTR] = "MWAIT_CONDITIONAL",
	[VMEXIT_XSETBV - VMEXIT_INTR] = "XSETBV",
	[VMEXIT_RDPRU - VMEXIT_INTR] = "RDPRU",
	[VMEXIT_EFER_WRITE_TRAP - VMEXIT_INTR] = "EFER_WRITE_TRAP",
	[VMEXIT_INVLPGB - VMEXIT_INTR] = "INVLPGB",
	[VMEXIT_INVLPGB_ILLEGAL - VMEXIT_INTR] = "INVLPGB_ILLEGAL",
	[VMEXIT_INVPCID - VMEXIT_INTR] = "INVPCID",
	[VMEXIT_MCOMMIT - VMEXIT_INTR] = "MCOMMIT",
	[VMEXIT_TLBSYNC - VMEXIT_INTR] = "TLBSYNC",
	[VMEXIT_BUSLOCK - VMEXIT_INTR] = "BUSLOCK",
	[VMEXIT_IDLE_HLT - VMEXIT_INTR] = "IDLE_HLT",
};

static const char *const high_names[] = {
	[VMEXIT_NPF - VMEXIT_NPF] = "NPF",
	[VMEXIT_AVIC_INCOMPLETE_IPI - VMEXIT_NPF] = "AVIC_INCOMPLETE_IPI",
	[VMEXIT_AVIC_NOACCEL - VMEXIT_NPF] = "AVIC_NOACCEL",
	[VMEXIT_VMGEXIT - VMEXIT_NPF] = "VMGEXIT",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

void svm_exit_name(uint64_t code, char *buf, unsigned size)
{
	if (vmexit_in(code, VMEXIT_CR0_READ, VMEXIT_CR15_READ))
		fmt_snprintf(buf, size, "CR%u_READ", (unsigned)code);
	else if (vmexit_in(code, VMEXIT_CR0_WRITE, VMEXIT_CR15_WRITE))
		fmt_snprintf(buf, size, "CR%u_WRITE", (unsigned)(code - VMEXIT_CR0_WRITE));
	else if (vmexit_in(code, VMEXIT_DR0_READ, VMEXIT_DR15_READ))
		fmt_snprintf(buf, size, "DR%u_READ", (unsigned)(code - VMEXIT_DR0_READ));
	else if (vmexit_in(code, VMEXIT_DR0_WRITE, VMEXIT_DR15_WRITE))
		fmt_snprintf(buf, size, "DR%u_WRITE", (unsigned)(code - VMEXIT_DR0_WRITE));
	else if (vmexit_in(code, VMEXIT_EXCP_BASE, VMEXIT_EXCP_LAST))
		fmt_snprintf(buf, size, "EXCP%u", (unsigned)(code - VMEXIT_EXCP_BASE));
	else if (vmexit_in(code, VMEXIT_CR0_WRITE_TRAP, VMEXIT_CR15_WRITE_TRAP))
		fmt_snprintf(buf, size, "CR%u_WRITE_TRAP",
			     (unsigned)(code - VMEXIT_CR0_WRITE_TRAP));
	else if (code - VMEXIT_INTR < COUNT(misc_names) && misc_names[code - VMEXIT_INTR])
		fmt_snprintf(buf, size, "%s", misc_names[code - VMEXIT_INTR]);
	else if (code - VMEXIT_NPF < COUNT(high_names))
		fmt_snprintf(buf, size, "%s", high_names[code - VMEXIT_NPF]);
	else if (vmexit_is_invalid(code))
		fmt_snprintf(buf, size, "INVALID");
	else if (code == VMEXIT_BUSY)
		fmt_snprintf(buf, size, "BUSY");
	else if (code == VMEXIT_IDLE_REQUIRED)
		fmt_snprintf(buf, size, "IDLE_REQUIRED");
	else if (code == VMEXIT_INVALID_PMC)
		fmt_snprintf(buf, size, "INVALID_PMC");
	else
		fmt_snprintf(buf, size, "0x%lx", (unsigned long)code);
}
