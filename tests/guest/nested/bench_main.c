// SPDX-License-Identifier: MIT
/*
 * nbench: nested-SVM benchmarks, an L1 hypervisor built on the `nested`
 * payload's framework, meant to run under nestvisor with QEMU -icount
 * (tests/bench.py divides TSC deltas by 2^shift: instructions).  Prints:
 *   nbench: cpuid ticks T iterations N exits E vmruns V
 *     N round trips of "VMRUN; L2 executes CPUID; #VMEXIT(CPUID) to L1;
 *     L1 sets RIP = next_rip" with a minimal L1 loop (GIF kept clear, so
 *     CLGI/STGI are outside the loop); E = nestvisor's exits meanwhile;
 *   nbench: kvmloop ticks T iterations N exits E vmruns V
 *     the same round trips with the loop of KVM's svm_vcpu_run() around
 *     VMRUN: CLGI; Linux 6.1's entry (VMLOAD vmcb12; the loads of
 *     vmcb12's address and of L2's GPRs; VMRUN; the GPRs stored); VMSAVE
 *     vmcb12; VMLOAD of the host's save area; STGI; then RIP = next_rip;
 *   nbench: movcr3 / pf ticks T iterations N exits E vmruns V
 *     the same loop with an L2 MOV from CR3 (L1 intercepts CR3 reads) or
 *     a load from an unmapped address (L1 intercepts #PF): what decode
 *     assists add to a reflected exit (the GPR from the instruction, the
 *     instruction bytes) over CPUID's;
 *   nbench: rdtsc1 / rdtsc_scaled / pause_free / pause_filtered ticks T
 *     iterations N exits E vmruns V
 *     one VMRUN in which L2 runs N RDTSCs (ratio 1.0: not intercepted;
 *     0.5: each emulated by nestvisor) or N PAUSEs (not intercepted; or
 *     intercepted by L1 with a pause filter count above N: each counted
 *     by nestvisor);
 *   nbench: vmmcall / vnmi_idle / vnmi ticks T iterations N exits E vmruns V
 *     N round trips of "VMRUN; L2 executes VMMCALL", without vNMI, with
 *     vmcb12's V_NMI_ENABLE set, and with V_NMI pending too: then L2 first takes
 *     the virtual NMI, whose handler only IRETs (vNMI, emulated where the
 *     CPU lacks it: the NMI's injection and the IRET's completion);
 *   nbench: touch4k / touch2m ticks T pages P exits E npf F
 *     one VMRUN in which L2 writes one quadword to each 4 KiB page of
 *     64 MiB, L1's NPT mapping that range with 4 KiB or 2 MiB pages; F =
 *     L2 #NPFs nestvisor's shadow NPT handled (NV_HC_STATS);
 *   with the load option "loops", only cpuid and kvmloop (a short run to
 *     trace);
 *   nbench: smp cpu I t0 T0 t1 T1 pages P npf F   (load option "smp")
 *     every CPU at once (the APs through MP services, and this one), as
 *     vCPUs of one L2 VM: one L1 NPT (4 KiB pages) for all, each CPU's L2
 *     writes one quadword to each page of its own quarter of the 64 MiB,
 *     from TSC T0 to T1 (the CPUs' TSCs are one clock under -icount); F =
 *     that vCPU's shadow-NPT faults.
 */
#include <efi.h>
#include <efilib.h>

#include "core/hypercall.h"
#include "core/x86.h"
#include "nested.h"
#include "l1_runahead.h"
#include "boot/mp_services.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/mp.h"
#include "tests/guest/lib/serial.h"

#define TOUCH_BYTES (64ull << 20)
#define TOUCH_PAGES ((uint64_t)(TOUCH_BYTES / 4096))
#define ITERATIONS 1000
#define NPT_PAGES (1 + 1 + 4 + TOUCH_BYTES / (2ull << 20))

extern const char l2_cpuid[], l2_touch[], l2_movcr3[], l2_load[];
extern const char l2_rdtsc_loop[], l2_pause_loop[];
extern const char l2_vmmcall_only[], l2_nmi_iret[];

#define MSR_TSC_RATIO 0xc0000104u

struct stats {
	uint64_t exits, vmruns, npf;
};

static struct stats stats(void)
{
	uint64_t rax = NV_HC_STATS, b = 0, c = 0, d = 0;

	__asm__ volatile("vmmcall" : "+a"(rax), "+b"(b), "+c"(c), "+d"(d)::"memory");
	return (struct stats){ b, c, d };
}

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

/* ITERATIONS round trips of VMRUN at `rip` to the exit L1 intercepts. */
static void bench_reflect(const char *name, const char *rip,
			  uint32_t intercept_cr, uint32_t misc1, uint64_t rbx)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rbx = rbx };
	struct stats s0, s1;
	uint64_t t0, t1;

	vmcb_default(v, rip);
	v->control.intercept_cr = intercept_cr;
	v->control.intercept_misc1 |= misc1;
	clgi();
	nested_vmrun((uint64_t)(uintptr_t)v, &g); /* warm up the caches */
	s0 = stats();
	t0 = tsc();
	for (unsigned i = 0; i < ITERATIONS; i++) {
		v->save.rip = (uint64_t)(uintptr_t)rip;
		v->save.rax = 0;
		nested_vmrun((uint64_t)(uintptr_t)v, &g);
	}
	t1 = tsc();
	s1 = stats();
	stgi();
	gprintf("nbench: %s ticks %lu iterations %u exits %lu vmruns %lu "
		"exit 0x%lx\n", name, t1 - t0, ITERATIONS, s1.exits - s0.exits,
		s1.vmruns - s0.vmruns, v->control.exit_code);
}

/* One VMRUN: L2 runs `rip` (a loop of ITERATIONS) to its VMMCALL. */
static void bench_l2_loop(const char *name, const char *rip, uint64_t ratio,
			  uint32_t misc1, uint16_t pause_count)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rcx = ITERATIONS };
	struct stats s0, s1;
	uint64_t t0, t1;

	vmcb_default(v, rip);
	v->control.intercept_misc1 |= misc1;
	v->control.pause_filter_count = pause_count;
	wrmsr(MSR_TSC_RATIO, ratio);
	clgi();
	s0 = stats();
	t0 = tsc();
	nested_vmrun((uint64_t)(uintptr_t)v, &g);
	t1 = tsc();
	s1 = stats();
	stgi();
	wrmsr(MSR_TSC_RATIO, 1ull << 32);
	gprintf("nbench: %s ticks %lu iterations %u exits %lu vmruns %lu "
		"exit 0x%lx\n", name, t1 - t0, ITERATIONS, s1.exits - s0.exits,
		s1.vmruns - s0.vmruns, v->control.exit_code);
}

/* L2's IDT with gate 2 at l2_nmi_iret (a 64-bit interrupt gate, APM
 * Vol. 2 §4.8.4: offset 15:0 at bytes 0-1, 31:16 at 6-7, 63:32 at 8-11). */
static uint64_t nmi_iret_idt(void)
{
	static volatile uint8_t *idt;
	const volatile uint8_t *base = (const volatile uint8_t *)env.idt_base_l2;
	uint64_t h = (uint64_t)(uintptr_t)l2_nmi_iret;
	volatile uint8_t *gate;

	if (!idt)
		idt = env_page();
	for (unsigned i = 0; i < 4096; i++)
		idt[i] = base[i];
	gate = idt + 2 * 16;
	gate[0] = (uint8_t)h;
	gate[1] = (uint8_t)(h >> 8);
	gate[6] = (uint8_t)(h >> 16);
	gate[7] = (uint8_t)(h >> 24);
	for (unsigned i = 0; i < 4; i++)
		gate[8 + i] = (uint8_t)(h >> (32 + 8 * i));
	return (uint64_t)(uintptr_t)idt;
}

/* ITERATIONS round trips to L2's VMMCALL with these vNMI bits of int_ctl
 * at each VMRUN. */
static void bench_vnmi(const char *name, uint32_t bits)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	struct stats s0, s1;
	uint64_t t0, t1;

	vmcb_default(v, l2_vmmcall_only);
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->save.idtr.base = nmi_iret_idt();
	clgi();
	v->control.int_ctl = V_INTR_MASKING | bits;
	nested_vmrun((uint64_t)(uintptr_t)v, &g); /* warm up the caches */
	s0 = stats();
	t0 = tsc();
	for (unsigned i = 0; i < ITERATIONS; i++) {
		v->save.rip = (uint64_t)(uintptr_t)l2_vmmcall_only;
		v->control.int_ctl = V_INTR_MASKING | bits;
		nested_vmrun((uint64_t)(uintptr_t)v, &g);
	}
	t1 = tsc();
	s1 = stats();
	stgi();
	gprintf("nbench: %s ticks %lu iterations %u exits %lu vmruns %lu "
		"exit 0x%lx\n", name, t1 - t0, ITERATIONS, s1.exits - s0.exits,
		s1.vmruns - s0.vmruns, v->control.exit_code);
}

static void bench_cpuid(void)
{
	bench_reflect("cpuid", l2_cpuid, 0, INTERCEPT1_CPUID, 0);
}

/* The features nestvisor offers L1 (docs/benchmarks.md). */
static void bench_features(void)
{
	bench_reflect("movcr3", l2_movcr3, 1u << 3, 0, 0);
	bench_reflect("pf", l2_load, 0, 0, 1ull << 40);
	if (cpuid(0x8000000a).edx & (1u << 25)) {
		bench_vnmi("vmmcall", 0);
		bench_vnmi("vnmi_idle", V_NMI_ENABLE);
		bench_vnmi("vnmi", V_NMI_ENABLE | V_NMI_PENDING);
	}
	if (!(cpuid(0x8000000a).edx & (1u << 4)) ||
	    !(cpuid(0x8000000a).edx & (1u << 10)))
		return;
	bench_l2_loop("rdtsc1", l2_rdtsc_loop, 1ull << 32, 0, 0);
	bench_l2_loop("rdtsc_scaled", l2_rdtsc_loop, 1ull << 31, 0, 0);
	bench_l2_loop("pause_free", l2_pause_loop, 1ull << 32, 0, 0);
	bench_l2_loop("pause_filtered", l2_pause_loop, 1ull << 32,
		      INTERCEPT1(VMEXIT_PAUSE), ITERATIONS + 1);
}

/* KVM's entry loop around VMRUN (arch/x86/kvm/svm: svm_vcpu_run() and
 * __svm_vcpu_run()): GIF cleared; Linux 6.1's entry byte for byte
 * (l1_runahead.S: VMLOAD of the guest's state, the loads of vmcb12's
 * address and of the guest's GPRs, JMP, VMRUN, the GPRs stored after the
 * #VMEXIT); the guest's state saved, the host's loaded again (VMSAVE; POP
 * rAX; VMLOAD, as KVM has it); GIF set.  Every instruction of it but
 * VMRUN and the loads exits to nestvisor unless the CPU runs it for L1
 * (vGIF: CLGI/STGI; virtual VMLOAD/VMSAVE), nestvisor emulates the VMLOAD
 * in the VMSAVE's exit (svm/nested_fuse.c), or it runs ahead from the
 * first VMLOAD's exit through the loads to the VMRUN and emulates that
 * too (docs/nested.md). */
static inline void kvm_round(struct vmcb *v, uint64_t host, struct ra_vcpu *vc)
{
	v->save.rip = (uint64_t)(uintptr_t)l2_cpuid;
	v->save.rax = 0;
	clgi();
	l1_kvm_run(vc, vc);
	vmsave_pop_vmload((uint64_t)(uintptr_t)v, host);
	stgi();
}

static void bench_kvm_loop(void)
{
	struct vmcb *v = env.vmcb;
	uint64_t host = (uint64_t)(uintptr_t)env.vmcb_aux;
	static struct ra_vmcb_info info;
	static struct ra_vcpu vc;
	struct stats s0, s1;
	uint64_t t0, t1;

	vmcb_default(v, l2_cpuid);
	v->control.intercept_misc1 |= INTERCEPT1_CPUID;
	info.va = info.pa = (uint64_t)(uintptr_t)v;
	vc.vmcb01_pa = info.pa; /* the guest's VMLOAD state: vmcb12's */
	vc.current_vmcb = &info;
	vmsave(host); /* KVM: the host's save area, once per vCPU load */
	kvm_round(v, host, &vc); /* warm up the caches */
	s0 = stats();
	t0 = tsc();
	for (unsigned i = 0; i < ITERATIONS; i++)
		kvm_round(v, host, &vc);
	t1 = tsc();
	s1 = stats();
	gprintf("nbench: kvmloop ticks %lu iterations %u exits %lu vmruns %lu "
		"exit 0x%lx\n", t1 - t0, ITERATIONS, s1.exits - s0.exits,
		s1.vmruns - s0.vmruns, v->control.exit_code);
}

static uint64_t *npt_pages;

/* L1's NPT for L2: identity of [0, 4 GiB) with 2 MiB pages, except the
 * touched range, mapped with 4 KiB pages when small is set. */
static uint64_t build_npt(uint64_t buf, int small)
{
	uint64_t *pml4 = npt_pages, *pdpt = pml4 + 512, *pd = pdpt + 512;
	uint64_t *pt = pd + 4 * 512;

	for (uint64_t i = 0; i < NPT_PAGES * 512; i++)
		npt_pages[i] = 0;
	pml4[0] = (uint64_t)(uintptr_t)pdpt | 7;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (uint64_t)(uintptr_t)(pd + i * 512) | 7;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x87; /* P W U PS */
	if (small) {
		for (uint64_t j = 0; j < TOUCH_BYTES >> 21; j++) {
			uint64_t base = buf + (j << 21);
			uint64_t *t = pt + j * 512;

			for (unsigned k = 0; k < 512; k++)
				t[k] = (base + ((uint64_t)k << 12)) | 7;
			pd[base >> 21] = (uint64_t)(uintptr_t)t | 7;
		}
	}
	return (uint64_t)(uintptr_t)pml4;
}

static void bench_touch(uint64_t buf, int small)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rbx = buf, .rcx = TOUCH_PAGES };
	struct stats s0, s1;
	uint64_t t0, t1;

	vmcb_default(v, l2_touch);
	v->control.misc_ctl |= MISC_CTL_NP_ENABLE;
	v->control.nested_cr3 = build_npt(buf, small);
	v->control.asid = small ? 2 : 3;
	clgi();
	s0 = stats();
	t0 = tsc();
	nested_vmrun((uint64_t)(uintptr_t)v, &g);
	t1 = tsc();
	s1 = stats();
	stgi();
	gprintf("nbench: %s ticks %lu pages %lu exits %lu npf %lu exit 0x%lx\n",
		small ? "touch4k" : "touch2m", t1 - t0, TOUCH_PAGES,
		s1.exits - s0.exits, s1.npf - s0.npf, v->control.exit_code);
}

/* ---- every CPU at once ------------------------------------------------ */

#define SMP_MAX 8
#define MSR_EFER 0xc0000080u
#define MSR_VM_HSAVE_PA 0xc0010117u

struct smp_cpu {
	struct vmcb *vmcb;
	void *hsave;
	uint64_t t0, t1, npf, exit_code;
	uint32_t apic_id;
	volatile int done;
};

static struct {
	struct smp_cpu cpu[SMP_MAX];
	unsigned nr;
	uint64_t buf, ncr3;
	volatile unsigned next, ready;
} smp;

/* On each CPU, interrupts off: L1's SVME and host save area, wait for
 * every CPU, then one VMRUN of L2 touching this CPU's quarter. */
static VOID EFIAPI smp_touch(VOID *arg)
{
	unsigned i = __atomic_fetch_add(&smp.next, 1, __ATOMIC_SEQ_CST);
	struct smp_cpu *c = &smp.cpu[i];
	uint64_t pages = TOUCH_PAGES / smp.nr, efer = rdmsr(MSR_EFER);
	uint64_t hsave = rdmsr(MSR_VM_HSAVE_PA), rflags;
	struct l2_gprs g = { .rbx = smp.buf + i * pages * 4096, .rcx = pages };
	struct stats s0, s1;

	(void)arg;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(rflags)::"memory");
	c->apic_id = cpuid(1).ebx >> 24;
	wrmsr(MSR_EFER, efer | X86_EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)c->hsave);
	vmcb_default(c->vmcb, l2_touch);
	c->vmcb->control.misc_ctl |= MISC_CTL_NP_ENABLE;
	c->vmcb->control.nested_cr3 = smp.ncr3;
	c->vmcb->control.asid = 2;
	__atomic_fetch_add(&smp.ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&smp.ready, __ATOMIC_SEQ_CST) < smp.nr)
		__asm__ volatile("pause");
	clgi();
	s0 = stats();
	c->t0 = tsc();
	nested_vmrun((uint64_t)(uintptr_t)c->vmcb, &g);
	c->t1 = tsc();
	s1 = stats();
	stgi();
	c->npf = s1.npf - s0.npf;
	c->exit_code = c->vmcb->control.exit_code;
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	wrmsr(MSR_EFER, efer);
	if (rflags & X86_RFLAGS_IF)
		__asm__ volatile("sti" ::: "memory");
	__atomic_store_n(&c->done, 1, __ATOMIC_SEQ_CST);
}

static EFI_GUID mp_guid = NV_EFI_MP_SERVICES_GUID;

/* Every enabled CPU, up to SMP_MAX (see the top).  After env_leave(). */
static int bench_smp(uint64_t buf)
{
	struct nv_mp_services *mp;
	UINTN nr = 0, enabled = 0;
	EFI_EVENT ev;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL,
					(void **)&mp)) ||
	    EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp,
					&nr, &enabled)) ||
	    enabled < 2 || enabled > SMP_MAX ||
	    EFI_ERROR(uefi_call_wrapper(BS->CreateEvent, 5, 0, 0, NULL, NULL,
					&ev)))
		return -1;
	smp.nr = (unsigned)enabled;
	smp.buf = buf;
	smp.ncr3 = build_npt(buf, 1);
	for (unsigned i = 0; i < smp.nr; i++) {
		smp.cpu[i].vmcb = env_page();
		smp.cpu[i].hsave = env_page();
		if (!smp.cpu[i].vmcb || !smp.cpu[i].hsave)
			return -1;
	}
	if (EFI_ERROR(uefi_call_wrapper(mp->startup_all_aps, 7, mp, smp_touch,
					FALSE, ev, 0, NULL, NULL)))
		return -1;
	smp_touch(NULL);
	for (unsigned i = 0; i < smp.nr; i++)
		while (!__atomic_load_n(&smp.cpu[i].done, __ATOMIC_SEQ_CST))
			__asm__ volatile("pause");
	for (unsigned i = 0; i < smp.nr; i++)
		gprintf("nbench: smp cpu %u apic %u t0 %lu t1 %lu pages %lu npf "
			"%lu exit 0x%lx\n", i, smp.cpu[i].apic_id, smp.cpu[i].t0,
			smp.cpu[i].t1, TOUCH_PAGES / smp.nr, smp.cpu[i].npf,
			smp.cpu[i].exit_code);
	return 0;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_PHYSICAL_ADDRESS buf = 0xffffffffull, tables = 0xffffffffull;
	EFI_STATUS s;

	guest_efi_init(image, st);
	gprintf("\nbench: payload started (nbench)\n");
	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
			      EfiLoaderData, (TOUCH_BYTES + (2ull << 20)) / 4096, &buf);
	if (!EFI_ERROR(s))
		s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
				      EfiLoaderData, NPT_PAGES, &tables);
	if (EFI_ERROR(s) || !env_alloc() || !(cpuid(0x80000001).ecx & 4)) {
		gprintf("nbench: cannot run (memory or SVM)\n");
		guest_exit(1);
	}
	npt_pages = (uint64_t *)(uintptr_t)tables;
	buf = (buf + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	env_enter();
	bench_cpuid();
	bench_kvm_loop();
	if (!guest_has_option("loops")) {
		bench_features();
		bench_touch(buf, 1);
		bench_touch(buf, 0);
	}
	env_leave();
	if (guest_has_option("smp") && bench_smp(buf)) {
		gprintf("nbench: cannot run on every CPU\n");
		guest_exit(1);
	}
	gprintf("nbench: done\n");
	guest_exit(0);
}
