// SPDX-License-Identifier: MIT
/*
 * The take-over, in two halves, in an order where every step that can fail
 * comes before the first change to a CPU.
 *
 * hv_prepare(), once, on the boot CPU, before any CPU changes:
 *  1. the hooks of core/ (log sink, panic stop and dump), logging, the
 *     allocator and both page tables (core/hvmem.c: L1's NPT; the host's,
 *     with this image's code read-only and executable and every other
 *     page NX), the log ring (which
 *     starts with the UEFI side's lines) and the #NPF trace (svm/nvctl.c),
 *     the xAPIC page write-protected in L1's NPT (svm/apic.c);
 *  2. the permission maps (shared by every vmcb01);
 *  3. one slot per CPU (svm/smp.h) and, for each CPU that may be
 *     virtualized, all its pages: struct cpu, vmcb01, the host save area,
 *     a host VMCB for VMLOAD, host and IST stacks, nested SVM's pages;
 *     for every CPU a park area.  Out of memory: nothing is virtualized;
 *  4. the IOMMUs (svm/dma.c), taken and hidden from L1: the last step
 *     that takes memory, and one that never fails as a whole (an IOMMU
 *     it cannot take is left as it was).
 *
 * hv_setup(), on each CPU (called by svm/launch.S, interrupts off):
 *  1. find this CPU's slot by APIC ID; park it if the configuration leaves
 *     it out or this CPU cannot run SVM (svm_unsupported_reason);
 *  2. vmcb01 from the live CPU state (svm/vmcb01.c);
 *  3. the host's EFER (LME, LMA, NXE, SVME: core/host_env.h),
 *     VM_HSAVE_PA, VM_CR.R_INIT, VMSAVE of the firmware's
 *     FS/GS/TR/LDTR/... into vmcb01;
 *  4. this CPU's GDT, TSS, the IDT and nestvisor's CR3 (its code
 *     read-only and executable, the rest NX), CR0.WP, then VMSAVE of that
 *     host state into the host VMCB.
 * The caller (svm/launch.S) then switches to the host stack and runs.
 */
#include "svm/launch.h"
#include "core/host_env.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/x86.h"
#include "drivers/debug_exit.h"
#include "drivers/uart.h"
#include "svm/acpi_sleep.h"
#include "svm/apic.h"
#include "svm/ioapic.h"
#include "svm/msi_window.h"
#include "svm/chipset_lock.h"
#include "svm/dump.h"
#include "svm/intercepts.h"
#include "svm/nested.h"
#include "svm/nvctl.h"
#include "svm/permmap.h"
#include "svm/smi_cmd.h"
#include "svm/vmcb01.h"

#define HOST_STACK_PAGES 8
#define IST_STACK_PAGES  2
#define VM_CR_R_INIT     (1ull << 1)

static struct svm_caps caps;
static uint8_t *msrpm, *iopm;
extern char _text[], _etext[];

/* Does the host use NX (the CPU has it: CPUID 0x80000001 EDX[20], which
 * svm/features.c turns into EFER.NXE being writable)? */
static bool host_nx(void)
{
	return caps.efer_allowed & X86_EFER_NXE;
}

static inline void vmsave(uint64_t pa)
{
	__asm__ volatile("vmsave %%rax" ::"a"(pa) : "memory");
}

/* Every page one vCPU needs, allocated before any CPU changes. */
static struct cpu *alloc_cpu(unsigned idx, uint32_t apic_id)
{
	struct cpu *cpu = hv_alloc((sizeof(*cpu) + 4095) / 4096);
	uint8_t *stack = hv_alloc(HOST_STACK_PAGES);
	uint8_t *ist = hv_alloc(IST_STACK_PAGES);

	if (!cpu || !stack || !ist)
		return 0;
	cpu->idx = idx;
	cpu->apic_id = apic_id;
	cpu->caps = caps;
	cpu->vmcb01 = hv_alloc(1);
	cpu->host_vmcb = hv_alloc(1);
	cpu->hsave_pa = (uint64_t)hv_alloc(1);
	cpu->msrpm = msrpm;
	cpu->iopm = iopm;
	if (!cpu->vmcb01 || !cpu->host_vmcb || !cpu->hsave_pa)
		return 0;
	if (nested_init(cpu))
		return 0;
	cpu->vmcb01_pa = (uint64_t)cpu->vmcb01;
	cpu->cur = cpu->vmcb01;
	cpu->decode_cur = cpu->decode_cache[0];
	/* The level is set (hv_prepare): every exit logged with trace. */
	cpu->exit_fn = log_get_level() >= LOG_TRACE ? svm_handle_exit_traced :
						       svm_handle_exit;
	cpu->cur_pa = cpu->vmcb01_pa;
	cpu->cur_phys = &l1_gmem;
	decode_cache_init(cpu);
	cpu->npf_retry_gpa = ~0ull;
	cpu->invalid_exit = ~0ull - 1;
	cpu->host_vmcb_pa = (uint64_t)cpu->host_vmcb;
	cpu->host_rsp = (uint64_t)stack + HOST_STACK_PAGES * 4096;
	/* The top 16 bytes hold the NMI count (core/host_env.h). */
	cpu->ist_top = (uint64_t)ist + IST_STACK_PAGES * 4096 - 16;
	cpu->nmi_count = (volatile uint64_t *)cpu->ist_top;
	return cpu;
}

static void log_cpus(void)
{
	char ids[NV_MAX_CPUS * 12 + 1];
	unsigned n = 0, virt = 0, bsp = 0;

	for (unsigned i = 0; i < smp.nr; i++) {
		uint32_t id = smp.slot[i].apic_id;
		char tmp[12];
		int k = 0;

		virt += smp.slot[i].cpu != 0;
		if (smp.slot[i].bsp)
			bsp = id;
		do
			tmp[k++] = (char)('0' + id % 10);
		while ((id /= 10) && k < 11);
		if (n)
			ids[n++] = ' ';
		while (k)
			ids[n++] = tmp[--k];
	}
	ids[n] = 0;
	log_info("CPUs: %u (APIC IDs %s; boot CPU %u), %u to be virtualized",
		 smp.nr, ids, bsp, virt);
}

int hv_prepare(struct launch_params *p)
{
	char *ring;
	int rc;

	/* This copy of the image has its own core/ state: hook it up. */
	uart_init(p->serial);
	log_set_sink(uart_write);
	log_set_level(p->log_level);
	debug_exit_enable(p->debug_exit);
	panic_set_stop(debug_exit_panic);
	panic_set_dump(dump_panic_hook, 0);

	if (!p->nr_cpus || p->nr_cpus > NV_MAX_CPUS) {
		log_error("%u CPUs: nestvisor handles 1 to %u", p->nr_cpus,
			  NV_MAX_CPUS);
		return -NV_ERANGE;
	}
	svm_probe(&caps);
	rc = hvmem_init(p->region_base, p->region_size, p->image_size,
			caps.l1_maxphyaddr, caps.gbpages);
	if (rc)
		return rc;
	/* The host page table: this image's code executable and read-only,
	 * the rest not executable (_text and _etext: the GNU-EFI linker
	 * script's bounds of .text, in this copy of the image). */
	rc = hvmem_host_init((uint64_t)_text, (uint64_t)_etext, host_nx());
	if (rc)
		return rc;
	ring = hv_alloc((unsigned)(p->log_ring / 4096));
	if (!ring)
		goto oom;
	log_ring_init(ring, p->log_ring);
	log_ring_append(p->early_log, p->early_log_len);
	hvmem_report();
	log_info("host page table: code 0x%lx-0x%lx read-only and executable, "
		 "every other page %s", (uint64_t)_text & ~(uint64_t)0xfff,
		 (((uint64_t)_etext + 0xfff) & ~(uint64_t)0xfff) - 1,
		 host_nx() ? "NX (host EFER.NXE set)" : "executable (no NX)");
	if (nvctl_init(p->nvctl))
		goto oom;
	if (apic_protect_page(rdmsr(MSR_APIC_BASE)) || msi_window_protect())
		goto oom;
	msrpm = hv_alloc(MSRPM_SIZE / 4096);
	iopm = hv_alloc(IOPM_SIZE / 4096);
	if (!msrpm || !iopm)
		goto oom;
	vmcb01_init_maps(msrpm, iopm);
	acpi_sleep_init(&p->s3, iopm);
	smi_cmd_init(p->smi_cmd, iopm);
	if (nested_npt_global_init(caps.gbpages))
		goto oom;

	smp.nr = p->nr_cpus;
	for (unsigned i = 0; i < p->nr_cpus; i++) {
		const struct launch_cpu *lc = &p->cpu[i];
		struct cpu_slot *s = &smp.slot[i];

		*s = (struct cpu_slot){ .apic_id = lc->apic_id, .bsp = lc->bsp,
					.status = CPU_PREPARED };
		if (!lc->enabled) {
			/* Never started by the firmware, never by L1. */
			s->status = CPU_PARKED;
			s->why = "disabled by the firmware";
			smp.nr_parked++;
			continue;
		}
		s->park = hv_alloc((sizeof(*s->park) + 4095) / 4096);
		if (!s->park)
			goto oom;
		if (!lc->virtualize)
			continue;
		s->cpu = alloc_cpu(i, s->apic_id);
		if (!s->cpu)
			goto oom;
	}
	log_cpus();
	log_info("memory: %lu MiB free after every CPU's state",
		 (hv_free_pages() * 4096) >> 20);
	/* Last: nothing after this can fail. */
	p->iommus_taken = dma_take_iommus(&p->dma, caps.gbpages);
	if (chipset_lock_init(p->dma.ecam_base, iopm))
		log_error("a chipset page (q35's ECAM, the FCH's AcpiMmio) could "
			  "not be made read-only: L1 may move ECAM or the PM1 "
			  "ports through it");
	vmcb01_pci_maps(iopm);
	if (ioapic_init(p->ioapic, p->n_ioapics))
		log_error("an I/O APIC page could not be trapped: its entries "
			  "are L1's as written");
	/* Every page nestvisor emulates for L1 is known now. */
	nested_npt_emulated_fixed();
	return 0;

oom:
	log_error("out of hypervisor memory during set-up (memory = %luM, "
		  "%u CPUs): not virtualizing", p->region_size >> 20,
		  p->nr_cpus);
	return -NV_ENOMEM;
}

struct cpu *hv_setup(struct launch_params *p, struct launch_frame *f)
{
	struct cpu_slot *s = smp_slot_of(smp_this_apic_id());
	const char *why;
	struct cpu *cpu;

	if (!s) {
		/* Cannot happen (boot/mp.c lists every CPU); never run L1
		 * natively: halt here. */
		log_error("APIC ID %u is not one of the CPUs the firmware listed: "
			  "halted", smp_this_apic_id());
		halt_forever();
	}
	cpu = s->cpu;
	if (!cpu)
		smp_park(s, "the configuration virtualizes fewer CPUs (cpus)");
	why = svm_unsupported_reason();
	if (why)
		smp_park(s, why);
	(void)p;
	vmcb01_init(cpu, f, hvmem.npt_root);
	apic_init_cpu(cpu);

	/* From here on the CPU changes; nothing below can fail. */
	host_env_efer(hvmem.host_nx, true);
	wrmsr(MSR_VM_HSAVE_PA, cpu->hsave_pa);
	/* An INIT that reaches this CPU becomes #SX in the guest, which
	 * vmcb01 and vmcb02 intercept (svm/init_sipi.c). */
	wrmsr(MSR_VM_CR, rdmsr(MSR_VM_CR) | VM_CR_R_INIT);
	vmsave(cpu->vmcb01_pa);
	host_env_load(&s->park->desc, cpu->ist_top);
	write_cr3(hvmem.host_root);
	host_env_protect();
	vmsave(cpu->host_vmcb_pa);
	__atomic_store_n(&s->status, CPU_RUNNING, __ATOMIC_RELEASE);
	__atomic_fetch_add(&smp.nr_running, 1, __ATOMIC_RELAXED);
	log_info("CPU %u (APIC ID %u%s) virtualized: vmcb01 at 0x%lx, L1 "
		 "resumes at rip 0x%lx", cpu->idx, cpu->apic_id,
		 s->bsp ? ", boot CPU" : "", cpu->vmcb01_pa, f->rip);
	return cpu;
}
