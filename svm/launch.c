// SPDX-License-Identifier: MIT
/*
 * hv_setup(): everything between "the firmware called hv_launch" and "the
 * first VMRUN", in an order where every step that can fail comes before
 * the first change to the CPU:
 *  1. the hooks of core/ (log sink, panic stop and dump), logging, the
 *     allocator and both page tables (core/hvmem.c), the log ring (which
 *     starts with the UEFI side's lines) and the #NPF trace (svm/nvctl.c);
 *  2. per-CPU pages: vmcb01, the host save area, a host VMCB for VMLOAD,
 *     the MSR and I/O permission maps, host and IST stacks;
 *  3. vmcb01 from the live CPU state (svm/vmcb01.c);
 *  4. EFER.SVME, VM_HSAVE_PA, VMSAVE of the firmware's FS/GS/TR/LDTR/...
 *     into vmcb01;
 *  5. nestvisor's own GDT, TSS, IDT and CR3, then VMSAVE of that host
 *     state into the host VMCB.
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
#include "svm/dump.h"
#include "svm/nested.h"
#include "svm/nvctl.h"
#include "svm/permmap.h"
#include "svm/vmcb01.h"

#define HOST_STACK_PAGES 8
#define IST_STACK_PAGES  2

static inline void vmsave(uint64_t pa)
{
	__asm__ volatile("vmsave %%rax" ::"a"(pa) : "memory");
}

struct cpu *hv_setup(const struct launch_params *p, struct launch_frame *f)
{
	struct svm_caps caps;
	struct cpu *cpu;
	uint8_t *stack, *ist;
	char *ring;

	/* This copy of the image has its own core/ state: hook it up. */
	uart_init(p->serial);
	log_set_sink(uart_write);
	log_set_level(p->log_level);
	debug_exit_enable(p->debug_exit);
	panic_set_stop(debug_exit_panic);

	svm_probe(&caps);
	if (hvmem_init(p->region_base, p->region_size, p->image_size,
		       caps.maxphyaddr, caps.gbpages))
		return 0;
	ring = hv_alloc((unsigned)(p->log_ring / 4096));
	if (!ring)
		goto oom;
	log_ring_init(ring, p->log_ring);
	log_ring_append(p->early_log, p->early_log_len);
	hvmem_report();
	if (nvctl_init(p->nvctl))
		goto oom;
	cpu = hv_alloc((sizeof(*cpu) + 4095) / 4096);
	stack = hv_alloc(HOST_STACK_PAGES);
	ist = hv_alloc(IST_STACK_PAGES);
	if (!cpu || !stack || !ist)
		goto oom;
	cpu->caps = caps;
	cpu->vmcb01 = hv_alloc(1);
	cpu->host_vmcb = hv_alloc(1);
	cpu->hsave_pa = (uint64_t)hv_alloc(1);
	cpu->msrpm = hv_alloc(MSRPM_SIZE / 4096);
	cpu->iopm = hv_alloc(IOPM_SIZE / 4096);
	if (!cpu->vmcb01 || !cpu->host_vmcb || !cpu->hsave_pa || !cpu->msrpm ||
	    !cpu->iopm)
		goto oom;
	if (nested_init(cpu))
		goto oom;
	cpu->vmcb01_pa = (uint64_t)cpu->vmcb01;
	cpu->cur = cpu->vmcb01;
	cpu->cur_pa = cpu->vmcb01_pa;
	cpu->cur_phys = &l1_gmem;
	cpu->decode_cache[0].la = cpu->decode_cache[1].la = ~0ull; /* empty */
	cpu->host_vmcb_pa = (uint64_t)cpu->host_vmcb;
	cpu->host_rsp = (uint64_t)stack + HOST_STACK_PAGES * 4096;

	vmcb01_init(cpu, f, hvmem.npt_root);

	/* From here on the CPU changes; nothing below can fail. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | X86_EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, cpu->hsave_pa);
	vmsave(cpu->vmcb01_pa);
	host_env_load((uint64_t)ist + IST_STACK_PAGES * 4096);
	write_cr3(hvmem.host_root);
	vmsave(cpu->host_vmcb_pa);
	panic_set_dump(dump_panic_hook, cpu);
	log_info("L0 ready: vmcb01 at 0x%lx, L1 resumes at rip 0x%lx",
		 cpu->vmcb01_pa, f->rip);
	return cpu;

oom:
	log_error("out of hypervisor memory during set-up");
	return 0;
}
