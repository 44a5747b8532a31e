// SPDX-License-Identifier: MIT
#include <efi.h>
#include <efilib.h>

#include "boot/report.h"
#include "core/hypercall.h"
#include "core/log.h"
#include "core/x86.h"
#include "svm/features.h"

void report_cpu(void)
{
	struct cpu_ident id;
	struct svm_caps caps;
	char names[400];

	cpu_identify(&id);
	svm_probe(&caps);
	log_info("CPU: %s family 0x%x model 0x%x stepping %u, MAXPHYADDR %u, "
		 "1 GiB pages %s", id.vendor, id.family, id.model, id.stepping,
		 caps.maxphyaddr, caps.gbpages ? "yes" : "no");
	if (caps.mem_encrypt)
		log_info("memory encryption on (SYSCFG): C-bit %u", caps.cbit);
	log_info("L1's physical address width: %u bits", caps.l1_maxphyaddr);
	if (!caps.revision && !caps.edx) {
		log_info("SVM: not available (CPUID 0x8000000A absent)");
		return;
	}
	svm_feature_names(caps.edx, names, sizeof(names));
	log_info("SVM: revision %u, %u ASIDs, features (CPUID 0x8000000A EDX "
		 "0x%x): %s", caps.revision, caps.nr_asids, caps.edx, names);
	log_info("next RIP after an intercept: %s",
		 svm_has(&caps, SVM_FEAT_NRIPS) ?
			 "NRIPS (next_rip from the CPU)" :
			 "no NRIPS: decoding the instruction");
	log_info("VMCB clean bits: %s; GMET: %s",
		 svm_has(&caps, SVM_FEAT_VMCBCLEAN) ? "present (not used yet)" :
						     "absent",
		 svm_has(&caps, SVM_FEAT_GMET) ? "present" : "absent");
}

static const char *mem_type_name(UINT32 t)
{
	static const char *const names[] = {
		"reserved", "loader code", "loader data", "boot code",
		"boot data", "runtime code", "runtime data", "conventional",
		"unusable", "ACPI reclaim", "ACPI NVS", "MMIO", "MMIO port",
		"PAL code", "persistent",
	};
	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "other";
}

void report_memory_map(void)
{
	UINTN entries, key, dsize;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&entries, &key, &dsize, &dver);
	UINT64 pages[16] = { 0 }, top = 0;

	if (!map) {
		log_warn("cannot read the UEFI memory map");
		return;
	}
	for (UINTN i = 0; i < entries; i++) {
		EFI_MEMORY_DESCRIPTOR *d =
			(EFI_MEMORY_DESCRIPTOR *)((UINT8 *)map + i * dsize);
		UINT64 end = d->PhysicalStart + d->NumberOfPages * 4096;

		pages[d->Type < 15 ? d->Type : 15] += d->NumberOfPages;
		if (end > top)
			top = end;
	}
	log_info("memory map: %lu entries, highest address 0x%lx", entries,
		 top - 1);
	for (unsigned t = 0; t < 16; t++)
		if (pages[t])
			log_info("  %-14s %8lu KiB", t < 15 ? mem_type_name(t) :
				 "other", pages[t] * 4);
	FreePool(map);
}

void report_l1(void)
{
	struct cpuid_regs r = cpuid(NV_CPUID_VENDOR_LEAF);

	if (r.ebx == NV_CPUID_SIG_EBX && r.ecx == NV_CPUID_SIG_ECX &&
	    r.edx == NV_CPUID_SIG_EDX) {
		uint64_t running, parked, rax = NV_HC_CPUS;

		log_info("L1 is running: the firmware continues as a guest of "
			 "nestvisor (CPUID 0x40000000 says NestVisor)");
		__asm__ volatile("vmmcall"
				 : "+a"(rax), "=b"(running), "=c"(parked)
				 :
				 : "rdx", "memory");
		log_info("CPUs under nestvisor: %lu; parked (never started "
			 "again): %lu", running, parked);
	} else
		log_error("virtualized, but CPUID 0x40000000 does not answer "
			  "NestVisor (0x%x 0x%x 0x%x)", r.ebx, r.ecx, r.edx);
}
