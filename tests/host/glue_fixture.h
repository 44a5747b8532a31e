/* SPDX-License-Identifier: MIT */
/*
 * The fake machine of the tests that run svm/'s own sources on the host
 * (test_nested_glue.c, test_svm_emul.c): include once, first.
 *
 * "Physical" addresses are host addresses, as in nestvisor (identity).
 * L1's memory is an anonymous mapping at L1_BASE and nestvisor's region
 * one at HV_BASE, both below MAXPHYADDR (40) so that nestvisor's own
 * checks accept them; core/hvmem.c builds its real NPT for L1 there.
 * Only svm/hw.c (INVLPGA, the local APIC, the host's GIF) and the exits
 * nestvisor handles by touching devices are replaced.  Its helpers are
 * marked unused: each test uses the ones it needs.
 */
#ifndef NV_TESTS_GLUE_FIXTURE_H
#define NV_TESTS_GLUE_FIXTURE_H

#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "core/hvmem.h"
#include "core/x86.h"
#include "mm/pferr.h"
#include "mm/pt.h"
#include "mm/pte.h"
#include "mm/shadow_npt.h"
#include "svm/apic.h"
#include "svm/chipset_lock.h"
#include "svm/dma.h"
#include "svm/hw.h"
#include "svm/ioapic.h"
#include "svm/msi_window.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/nvctl.h"
#include "svm/permmap.h"
#include "svm/smi_cmd.h"
#include "svm/smp.h"

#define L1_BASE 0x10000000ull
#define L1_SIZE (64ull << 20)
#define HV_BASE 0x40000000ull
#define HV_SIZE (64ull << 20)
#define PAGE    4096ull

/* ---- fakes of svm/hw.c and of the device exits -------------------------- */

static struct {
	unsigned invlpga, collect, shootdowns;
	uint64_t invlpga_va;
	uint32_t invlpga_asid;
	bool nmi_pending;
	unsigned ioio, platform;
	/* port writes (port << 8 | byte), SMIs taken, and whether the
	 * running VMCB already carried an event when the last SMI came */
	unsigned nr_outs, smis;
	uint32_t outs[8];
	bool event_before_smi;
	unsigned wbinvd;
	uint64_t cr4;             /* the host's CR4 */
} hw;

void hw_wbinvd(void)
{
	hw.wbinvd++;
}

uint64_t hw_read_cr4(void)
{
	return hw.cr4;
}

void hw_write_cr4(uint64_t val)
{
	hw.cr4 = val;
}

void hw_invlpga(uint64_t va, uint32_t asid)
{
	hw.invlpga++;
	hw.invlpga_va = va;
	hw.invlpga_asid = asid;
}

uint8_t hw_inb(uint16_t port)
{
	return (uint8_t)(0xa0 + (port & 0xf)); /* some value per port */
}

void hw_outb(uint16_t port, uint8_t val)
{
	if (hw.nr_outs < 8)
		hw.outs[hw.nr_outs] = (uint32_t)port << 8 | val;
	hw.nr_outs++;
}

bool hw_collect_nmi(volatile uint64_t *count)
{
	(void)count;
	bool was = hw.nmi_pending;

	hw.collect++;
	hw.nmi_pending = false;
	return was;
}

/* One CPU: no other to ask (svm/smp.c, svm/apic.c). */
struct smp smp;

struct cpu *smp_cpu(unsigned idx)
{
	(void)idx;
	return 0;
}

uint64_t smp_flush_l1_tlbs(struct cpu *self)
{
	(void)self;
	hw.shootdowns++;
	return 0;
}

void smp_post(struct cpu *target)
{
	(void)target;
}

/* svm/init_sipi.c: no case sends an INIT. */
void sipi_init_arrived(struct cpu *cpu)
{
	(void)cpu;
	fail_msg("an INIT (#SX exit)");
}

uint64_t smp_flush_l1_writes(struct cpu *self)
{
	(void)self;
	hw.shootdowns++;
	return 0;
}

/* Every shootdown finishes; a test may say that another CPU was given up
 * on by one and is still stuck (svm/smp.c, "Giving up"). */
static bool fixture_stuck;

bool smp_stuck_any(void)
{
	return fixture_stuck;
}

/* Every shootdown finishes: nothing to keep. */
void smp_free_after(uint64_t pa, uint64_t stuck)
{
	assert_int_equal(stuck, 0);
	hv_free_page(pa);
}

uint64_t apic_mmio_page(void)
{
	return 0xfee00000ull;
}

bool apic_is_mmio_page(uint64_t gpa)
{
	return (gpa & ~0xfffull) == apic_mmio_page();
}

void apic_mmio_write(struct cpu *c, uint64_t gpa)
{
	(void)c;
	(void)gpa;
	fail_msg("a write to the local APIC's page");
}

/* No chipset ECAM page is locked in these tests (svm/chipset_lock.c). */
bool chipset_mmio_page(uint64_t gpa)
{
	(void)gpa;
	return false;
}

void chipset_mmio_write(struct cpu *c, uint64_t gpa)
{
	(void)c;
	(void)gpa;
	fail_msg("a write to a locked ECAM page");
}

/* No range is hidden with the all-ones page (svm/dma.c). */
void dma_hidden_write(struct cpu *c, uint64_t gpa)
{
	(void)c;
	(void)gpa;
	fail_msg("a write to a hidden ECAM page");
}

/* Nor is the interrupt-message window (svm/msi_window.c). */
bool msi_window_page(uint64_t gpa)
{
	(void)gpa;
	return false;
}

void msi_window_write(struct cpu *c, uint64_t gpa)
{
	(void)c;
	(void)gpa;
	fail_msg("a write to the interrupt-message window");
}

bool msi_window_meets(uint64_t lo, uint64_t hi)
{
	(void)lo;
	(void)hi;
	return false;
}

bool chipset_mmio_meets(uint64_t lo, uint64_t hi)
{
	(void)lo;
	(void)hi;
	return false;
}

/* No I/O APIC is emulated in these tests (svm/ioapic.c). */
bool ioapic_page(uint64_t gpa)
{
	(void)gpa;
	return false;
}

bool ioapic_meets(uint64_t lo, uint64_t hi)
{
	(void)lo;
	(void)hi;
	return false;
}

void ioapic_mmio(struct cpu *c, uint64_t gpa)
{
	(void)c;
	(void)gpa;
	fail_msg("an access to an I/O APIC page");
}

int apic_wrmsr(struct cpu *c, uint32_t msr, uint64_t val)
{
	(void)c;
	(void)val;
	fail_msg("WRMSR 0x%x of the local APIC", msr);
	return 0;
}

uint64_t apic_base_view(const struct cpu *c)
{
	(void)c;
	fail_msg("RDMSR of APIC_BASE");
	return 0;
}

void handle_ioio(struct cpu *cpu)
{
	(void)cpu;
	hw.ioio++;
}

/* The platform's exits (SMI, INVD, WBINVD: svm/smi.c, svm/cache.c):
 * counted, not carried out. */
void handle_smi(struct cpu *cpu)
{
	hw.platform++;
	hw.smis++;
	hw.event_before_smi = cpu->cur->control.event_inj.valid;
}

/* svm/cache.c's exits, unless the test links svm/cache.c itself. */
#ifndef GLUE_REAL_CACHE
void handle_invd(struct cpu *cpu)
{
	(void)cpu;
	hw.platform++;
}

void handle_wbinvd(struct cpu *cpu)
{
	(void)cpu;
	hw.platform++;
}
#endif

/* The real MSRs (core/msr_safe.S): every read gives 0 but the host's
 * EFER (long mode, NX, SVM), every write is taken. */
int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	*val = msr == MSR_EFER ? X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE |
				 X86_EFER_SVME : 0;
	return 0;
}

int wrmsr_safe(uint32_t msr, uint64_t val)
{
	(void)msr;
	(void)val;
	return 0;
}

void l1_shutdown(struct cpu *cpu, const char *why)
{
	(void)cpu;
	fail_msg("l1_shutdown(%s): L1 would stop", why);
	abort();
}

/* The #NPF trace of nvctl (svm/nvctl.c): counted, not recorded. */
static unsigned traced_npfs;

void nvctl_trace_npf(struct cpu *cpu, const struct snpt_fault_result *r)
{
	(void)cpu;
	(void)r;
	traced_npfs++;
}

void dump_cpu_state(const struct cpu *cpu);
void dump_cpu_state(const struct cpu *cpu)
{
	(void)cpu;
}

void debug_exit(unsigned status);
void debug_exit(unsigned status)
{
	fail_msg("debug_exit(%u): the machine would stop", status);
}

/* nestvisor's VMRUN (svm/vmrun.S): where the RIP of the host's state
 * points, which QEMU TCG stores in a VMCB it refuses. */
const char svm_vmrun_insn[1], svm_after_vmrun[1];

/* ---- the fake machine --------------------------------------------------- */

static struct cpu *cpu;
static uint64_t l1_next; /* bump allocator of L1 pages */

static __attribute__((unused)) uint64_t l1_page(void)
{
	uint64_t pa = l1_next;

	l1_next += PAGE;
	assert_true(l1_next <= L1_BASE + L1_SIZE);
	memset((void *)pa, 0, PAGE);
	return pa;
}

static __attribute__((unused)) void *map_fixed(uint64_t addr, uint64_t size)
{
	void *p = mmap((void *)addr, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	assert_true(p == (void *)addr);
	return p;
}

static __attribute__((unused)) int machine_up(void **state)
{
	(void)state;
	map_fixed(L1_BASE, L1_SIZE);
	map_fixed(HV_BASE, HV_SIZE);
	assert_int_equal(hvmem_init(HV_BASE, HV_SIZE, PAGE, 40, true), 0);
	return 0;
}

static __attribute__((unused)) int machine_down(void **state)
{
	(void)state;
	munmap((void *)L1_BASE, L1_SIZE);
	munmap((void *)HV_BASE, HV_SIZE);
	return 0;
}

/*
 * A vCPU running L1 in 64-bit mode at CPL 0 with EFER.SVME, on a CPU like
 * QEMU TCG's (NP only: no NRIPS, GMET or vGIF) unless a test says
 * otherwise.  next_rip comes from NRIPS, so that no instruction has to
 * be decoded.
 */
static __attribute__((unused)) void cpu_up(uint32_t edx, uint64_t l1_cr4, uint64_t l1_efer)
{
	struct vmcb_save *s;

	memset(&hw, 0, sizeof(hw));
	fixture_stuck = false;
	cpu = hv_alloc((sizeof(*cpu) + PAGE - 1) / PAGE);
	assert_non_null(cpu);
	cpu->vmcb01 = hv_alloc(1);
	cpu->msrpm = hv_alloc(MSRPM_SIZE / PAGE);
	cpu->iopm = hv_alloc(IOPM_SIZE / PAGE);
	assert_non_null(cpu->vmcb01);
	/* One vCPU (index 0) in a fresh group of shadows. */
	assert_int_equal(nested_npt_global_init(true), 0);
	cpu->vmcb01_pa = (uint64_t)cpu->vmcb01;
	/* as svm/launch.c alloc_cpu(): empty decode caches, no
	 * VMEXIT_INVALID answered yet */
	cpu->decode_cur = cpu->decode_cache[0];
	decode_cache_init(cpu);
	cpu->invalid_exit = ~0ull - 1;
	cpu->caps = (struct svm_caps){ .revision = 1, .nr_asids = 16,
				       .edx = edx | (1u << SVM_FEAT_NRIPS),
				       .maxphyaddr = 40, .gbpages = true };
	msrpm_set(cpu->msrpm, MSR_EFER, true, true);
	iopm_set(cpu->iopm, 0xf4, 4);
	cpu->vmcb01->control.intercept_misc1 = L0_INTERCEPT1;
	cpu->vmcb01->control.intercept_misc2 = L0_INTERCEPT2;
	cpu->vmcb01->control.asid = 1;
	cpu->vmcb01->control.misc_ctl = MISC_CTL_NP_ENABLE; /* as svm/vmcb01.c */
	cpu->vmcb01->control.nested_cr3 = hvmem.npt_root;
	assert_int_equal(nested_init(cpu), 0);
	cpu->nested.caps.maxphyaddr = 40;
	cpu->nested.caps.cr4_allowed = 0x7ffull | X86_CR4_SMEP | X86_CR4_SMAP;
	/* A CPU reporting long mode, NX and SVM (APM Vol. 3 CPUID
	 * 8000_0001h): SCE, LME, LMA, NXE, SVME. */
	cpu->nested.caps.efer_allowed = X86_EFER_SCE | X86_EFER_LME |
					X86_EFER_LMA | X86_EFER_NXE |
					X86_EFER_SVME;
	cpu->caps.efer_allowed = cpu->nested.caps.efer_allowed;
	cpu->nested.svme = true;
	cpu->nested.offered = true;
	cpu->nested.hsave_pa = 0;
	l1_next = L1_BASE;
	cpu->nested.hsave_pa = l1_page();
	cpu->cur = cpu->vmcb01;
	cpu->cur_pa = cpu->vmcb01_pa;
	cpu->cur_phys = &l1_gmem;
	s = &cpu->vmcb01->save;
	s->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP;
	s->cr4 = X86_CR4_PAE | l1_cr4;
	s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SVME | l1_efer;
	s->cs.attrib.raw = 0xa9b; /* 64-bit code */
	s->rflags = 2;
	s->rip = 0x1000;
}

/* L1 in 32-bit protected mode with paging off: EFER only SVME, CR0.PE,
 * CS a 4 GiB code segment at base (G, D, P, S, type 0xb). */
static __attribute__((unused)) void l1_flat32(struct vmcb_save *s, uint64_t base)
{
	s->efer = X86_EFER_SVME;
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s->cr4 = 0;
	s->cs.base = base;
	s->cs.limit = 0xffffffff;
	s->cs.attrib.raw = 0xc9b;
}

/* L1's NPT for L2 (4 levels, 4 KiB leaves) in L1 memory. */
static __attribute__((unused)) uint64_t npt12_new(void)
{
	return l1_page();
}

static __attribute__((unused)) void npt12_map(uint64_t ncr3, uint64_t l2, uint64_t l1, uint64_t flags)
{
	uint64_t table = ncr3;

	for (unsigned lvl = 4; lvl > 1; lvl--) {
		uint64_t *e = (uint64_t *)table + ((l2 >> (12 + 9 * (lvl - 1))) & 511);

		if (!(*e & PTE_P))
			*e = l1_page() | PTE_P | PTE_RW | PTE_US | PTE_A;
		table = *e & PTE64_ADDR_4K;
	}
	((uint64_t *)table)[(l2 >> 12) & 511] = l1 | flags;
}

/* A valid vmcb12 in L1 memory: 64-bit L2 at CPL 0, L1's control
 * registers, VMRUN and HLT intercepted, ASID 1. */
static __attribute__((unused)) struct vmcb *vmcb12_new(void)
{
	struct vmcb *v = (struct vmcb *)l1_page();
	const struct vmcb_save *s01 = &cpu->vmcb01->save;

	v->control.intercept_misc1 = INTERCEPT1_HLT;
	v->control.intercept_misc2 = INTERCEPT2_VMRUN;
	v->control.asid = 1;
	v->save.cs.attrib.raw = 0xa9b;
	v->save.efer = s01->efer;
	v->save.cr0 = s01->cr0;
	v->save.cr4 = s01->cr4;
	v->save.cr3 = l1_page();
	v->save.rflags = 2;
	v->save.rip = 0x4000;
	v->save.dr6 = 0xffff0ff0;
	v->save.dr7 = 0x400;
	v->save.g_pat = 0x0007040600070406ull;
	return v;
}

static __attribute__((unused)) void use_npt(struct vmcb *v, uint64_t ncr3)
{
	v->control.misc_ctl |= MISC_CTL_NP_ENABLE;
	v->control.nested_cr3 = ncr3;
}

/* L1 executes VMRUN of v (3 bytes at its RIP). */
static __attribute__((unused)) void l1_vmrun(struct vmcb *v)
{
	struct vmcb *v01 = cpu->vmcb01;

	assert_ptr_equal(cpu->cur, v01);
	v01->save.rax = (uint64_t)v;
	v01->control.next_rip = v01->save.rip + 3;
	nested_vmrun(cpu);
}

/* vmcb02 exits with this code and these values (the CPU's), and
 * nestvisor handles it as svm/exit.c would. */
static __attribute__((unused)) void l2_exit(uint64_t code, uint64_t info1, uint64_t info2,
		    uint32_t exitintinfo)
{
	struct vmcb_control *c = &cpu->nested.vmcb02->control;

	assert_true(cpu->nested.guest_mode);
	c->exit_code = code;
	c->exit_info_1 = info1;
	c->exit_info_2 = info2;
	c->exit_int_info.raw = exitintinfo;
	c->exit_int_info_err = 0;
	c->event_inj.raw = 0; /* the CPU consumed it */
	c->tlb_control = TLB_CONTROL_DO_NOTHING;
	nested_handle_exit(cpu);
}

/* The shadow NPT's entry for an L2 address: present? */
static __attribute__((unused)) bool shadow_maps(uint64_t l2_gpa)
{
	unsigned lvl;
	uint64_t *e = pt_walk(&hvmem.ptm, cpu->nested.npt_root,
			      l2_gpa, &lvl);

	return e && (*e & PTE_P);
}

#endif
