// SPDX-License-Identifier: MIT
/* nvctl stats and nvctl snpt (nvctl/nvctl.h). */
#include <stdio.h>

#include "mm/role.h"
#include "nvctl/nvctl.h"
#include "svm/exit_name.h"

static const char *const snpt_word_names[NV_SNPT_WORDS] = {
	[NV_SNPT_W_FAULTS] = "faults (#NPFs of L2 handled)",
	[NV_SNPT_W_INSTALLS] = "entries installed",
	[NV_SNPT_W_REFLECTS] = "#NPFs reflected to L1",
	[NV_SNPT_W_NO_L1_MEMORY] = "L1 NPT pointing outside L1 memory",
	[NV_SNPT_W_SWITCHES] = "GMET execution-class switches",
	[NV_SNPT_W_L1_WRITES] = "writes of L1 to its NPT pages",
	[NV_SNPT_W_INVLPGA] = "INVLPGA of L1",
	[NV_SNPT_W_FLUSHES] = "full flushes",
	[NV_SNPT_W_RESETS] = "reclaims: all roots emptied",
	[NV_SNPT_W_EVICTIONS] = "reclaims: roots evicted",
	[NV_SNPT_W_PROTECTS] = "L1 pages write-protected",
	[NV_SNPT_W_UNPROTECTS] = "L1 pages released",
	[NV_SNPT_W_PROTECT_FAILS] = "pages that could not be protected",
	[NV_SNPT_W_PAGES] = "shadow table pages in use",
	[NV_SNPT_W_USES] = "use records (L1 page, root, region)",
	[NV_SNPT_W_ROOTS] = "roots valid",
	[NV_SNPT_W_UNSYNCS] = "L1 NPT pages made unsync (written)",
	[NV_SNPT_W_UNSYNC_NOW] = "L1 NPT pages unsync now",
	[NV_SNPT_W_PREFETCHED] = "entries prefetched at L1's VMRUN",
};

static void exit_table(unsigned cpu, unsigned level)
{
	uint64_t total = 0;
	unsigned slots = 1;

	printf("  exits of %s by reason:\n", level ? "L2 (vmcb02)" : "L1 (vmcb01)");
	for (unsigned first = 0; first < slots; first += 8) {
		struct nv_hc_regs r = { .rax = NV_HC_EXIT_COUNTS, .rbx = cpu,
					.rcx = level, .rdx = first };
		uint64_t w[8];

		if (nvctl_call(&r) != NV_HC_OK) {
			printf("    (NV_HC_EXIT_COUNTS failed: %ld)\n", (long)r.rax);
			return;
		}
		slots = (unsigned)r.rbx;
		nv_hc_data(&r, w);
		for (unsigned i = 0; i < 8 && first + i < slots; i++) {
			unsigned s = first + i;
			uint64_t code = s < NV_EXIT_SLOT_FAILED ?
					nv_exit_slot_code(s) : ~0ull;
			char name[32];

			if (!w[i])
				continue;
			if (s == NV_EXIT_SLOT_OTHER)
				snprintf(name, sizeof(name), "other");
			else
				svm_exit_name(code, name, sizeof(name));
			if (s == NV_EXIT_SLOT_FAILED || s == NV_EXIT_SLOT_OTHER)
				printf("    %-5s %-20s %12llu\n", "-", name,
				       (unsigned long long)w[i]);
			else
				printf("    0x%03llx %-20s %12llu\n",
				       (unsigned long long)code, name,
				       (unsigned long long)w[i]);
			total += w[i];
		}
	}
	printf("    %-5s %-20s %12llu\n", "", "total", (unsigned long long)total);
}

static const char *const xd_page_names[] = {
	[NV_XD_PAGE_APIC_WRITE] = "xAPIC write",
	[NV_XD_PAGE_IOAPIC] = "I/O APIC",
	[NV_XD_PAGE_MSI] = "MSI window",
	[NV_XD_PAGE_CHIPSET] = "chipset MMIO",
	[NV_XD_PAGE_L1_NPT] = "L1's NPT write",
	[NV_XD_PAGE_FLUSHED] = "stale TLB entry",
	[NV_XD_PAGE_OTHER] = "other",
};

/* One line of NV_HC_EXIT_DETAIL: level, what, detail, count. */
static void detail_line(uint64_t key, uint64_t count)
{
	static const char *const classes[] = {
		[NV_XD_MSR_READ] = "RDMSR", [NV_XD_MSR_WRITE] = "WRMSR",
		[NV_XD_NPF] = "NPF", [NV_XD_IO_IN] = "IN", [NV_XD_IO_OUT] = "OUT",
	};
	unsigned class = NV_XD_CLASS(key);
	uint64_t d = NV_XD_DETAIL(key);
	const char *lvl = key & NV_XD_L2 ? "L2" : "L1";
	char what[40];

	if (class == NV_XD_NPF) {
		unsigned page = (unsigned)(d >> 16);

		if (page == NV_XD_PAGE_APIC_WRITE)
			snprintf(what, sizeof(what), "%s 0x%03llx", xd_page_names[page],
				 (unsigned long long)(d & 0xfff));
		else
			snprintf(what, sizeof(what), "%s", page < sizeof(xd_page_names) /
				 sizeof(xd_page_names[0]) && xd_page_names[page] ?
				 xd_page_names[page] : "?");
	} else {
		snprintf(what, sizeof(what), "0x%llx", (unsigned long long)d);
	}
	printf("    %s %-5s %-24s %12llu\n", lvl,
	       class < sizeof(classes) / sizeof(classes[0]) && classes[class] ?
	       classes[class] : "?", what, (unsigned long long)count);
}

static void detail_table(unsigned cpu)
{
	unsigned slots = 1;
	uint64_t overflow = 0;

	printf("  MSR, #NPF and IOIO exits nestvisor handled, by what they were:\n");
	for (unsigned first = 0; first < slots; first += 4) {
		struct nv_hc_regs r = { .rax = NV_HC_EXIT_DETAIL, .rbx = cpu,
					.rcx = first };
		uint64_t w[8];

		if (nvctl_call(&r) != NV_HC_OK) {
			printf("    (NV_HC_EXIT_DETAIL failed: %ld)\n", (long)r.rax);
			return;
		}
		slots = (unsigned)r.rbx;
		overflow = r.rcx;
		nv_hc_data(&r, w);
		for (unsigned i = 0; i < 4 && first + i < slots; i++)
			detail_line(w[2 * i], w[2 * i + 1]);
	}
	printf("    %-2s %-5s %-24s %12llu\n", "", "", "(no slot left)",
	       (unsigned long long)overflow);
}

int cmd_stats(int argc, char **argv)
{
	unsigned cpus = (unsigned)nvctl_info()->rdx;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "nvctl: stats takes no options\n");
		return NVCTL_EXIT_USAGE;
	}
	for (unsigned cpu = 0; cpu < cpus; cpu++) {
		struct nv_hc_regs r = { .rax = NV_HC_CPU_STATS, .rbx = cpu };
		uint64_t w[8];

		if (nvctl_call(&r) != NV_HC_OK) {
			printf("CPU %u: NV_HC_CPU_STATS failed (%ld)\n", cpu, (long)r.rax);
			continue;
		}
		nv_hc_data(&r, w);
		printf("CPU %u: %llu exits, %llu nested VMRUNs, %llu #VMEXITs to L1\n",
		       cpu, (unsigned long long)r.rbx, (unsigned long long)r.rcx,
		       (unsigned long long)r.rdx);
		printf("  #NPFs of L2: %llu handled by the shadow NPT, %llu reflected to L1\n",
		       (unsigned long long)w[1], (unsigned long long)w[0]);
		printf("  L1's VMLOADs emulated in the exit of the VMSAVE before them: %llu\n",
		       (unsigned long long)w[4]);
		printf("  L1's VMRUNs emulated in the exit of the VMLOAD before them: %llu\n",
		       (unsigned long long)w[5]);
		if (cpu == 0)
			printf("hypervisor memory: %llu pages free; %llu pages of it touched by L1 "
			       "(mapped to the sink page)\n", (unsigned long long)w[3],
			       (unsigned long long)w[2]);
		exit_table(cpu, 0);
		exit_table(cpu, 1);
		detail_table(cpu);
	}
	return 0;
}

int cmd_snpt(int argc, char **argv)
{
	unsigned cpus = (unsigned)nvctl_info()->rdx;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "nvctl: snpt takes no options\n");
		return NVCTL_EXIT_USAGE;
	}
	for (unsigned cpu = 0; cpu < cpus; cpu++) {
		unsigned words = NV_SNPT_WORDS, roots = 1;

		printf("CPU %u shadow NPT:\n", cpu);
		for (unsigned first = 0; first < words; first += 8) {
			struct nv_hc_regs r = { .rax = NV_HC_SNPT_STATS, .rbx = cpu,
						.rcx = first };
			uint64_t w[8];

			if (nvctl_call(&r) != NV_HC_OK) {
				printf("  NV_HC_SNPT_STATS failed (%ld)\n", (long)r.rax);
				break;
			}
			words = (unsigned)r.rbx;
			nv_hc_data(&r, w);
			for (unsigned i = 0; i < 8 && first + i < words; i++)
				printf("  %-40s %12llu\n", first + i < NV_SNPT_WORDS ?
				       snpt_word_names[first + i] : "?",
				       (unsigned long long)w[i]);
		}
		printf("  roots (slot, nCR3, cpu_role, class, shadow PML4, last use):\n");
		for (unsigned slot = 0; slot < roots; slot++) {
			struct nv_hc_regs r = { .rax = NV_HC_SNPT_ROOT, .rbx = cpu,
						.rcx = slot };
			union cpu_role role;
			uint64_t w[8];

			if (nvctl_call(&r) != NV_HC_OK) {
				printf("  NV_HC_SNPT_ROOT failed (%ld)\n", (long)r.rax);
				break;
			}
			roots = (unsigned)r.rbx;
			if (!(r.rcx & NV_ROOT_F_VALID))
				continue;
			nv_hc_data(&r, w);
			role.as_u64 = w[0];
			printf("  %u  nCR3 0x%llx  cpu_role 0x%016llx (%u-level, GMET %u, "
			       "has_pferr_fetch %u)  %s  0x%llx  %llu%s\n", slot,
			       (unsigned long long)r.rdx, (unsigned long long)w[0],
			       role.base.level, role.base.cr4_smep,
			       role.ext.has_pferr_fetch,
			       (r.rcx & NV_ROOT_F_EXEC_USER) ? "user" : "supervisor",
			       (unsigned long long)w[2], (unsigned long long)w[3],
			       (r.rcx & NV_ROOT_F_CURRENT) ? "  (current)" : "");
		}
	}
	return 0;
}
