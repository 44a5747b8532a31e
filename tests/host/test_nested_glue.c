// SPDX-License-Identifier: MIT
/*
 * svm/'s nested glue on the host: emulated VMRUN and #VMEXIT, the
 * reflection decisions, the inputs the shadow-NPT MMU gets (role, CPL,
 * execution class), the GIF, EXITINTINFO and re-injection, the permission
 * maps and L1's TLB maintenance, built from the same sources as
 * nestvisor.efi (svm/nested*.c, svm/npf.c, svm/inject.c, core/hvmem.c,
 * mm/) against fake VMCBs and a fake L1 memory.
 *
 * The fake machine: "physical" addresses are host addresses, as in
 * nestvisor (identity).  L1's memory is an anonymous mapping at L1_BASE
 * and nestvisor's region one at HV_BASE, both below MAXPHYADDR (40) so
 * that nestvisor's own checks accept them; core/hvmem.c builds its real
 * NPT for L1 there.  Only svm/hw.c (INVLPGA, the local APIC, the host's
 * GIF) and the exits nestvisor handles by touching devices are replaced.
 *
 * Every expectation comes from the AMD APM Vol. 2 or docs/semantics.md,
 * cited at each test; none from nestvisor's output.
 */
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
#include "svm/hw.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/nvctl.h"
#include "svm/permmap.h"
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
} hw;

void hw_invlpga(uint64_t va, uint32_t asid)
{
	hw.invlpga++;
	hw.invlpga_va = va;
	hw.invlpga_asid = asid;
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

void smp_flush_l1_tlbs(struct cpu *self)
{
	(void)self;
	hw.shootdowns++;
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

int apic_wrmsr(struct cpu *c, uint32_t msr, uint64_t val)
{
	(void)c;
	(void)val;
	fail_msg("WRMSR 0x%x of the local APIC", msr);
	return 0;
}

void handle_ioio(struct cpu *cpu)
{
	(void)cpu;
	hw.ioio++;
}

/* The platform's exits (SMI, INVD, WBINVD) and MOV CR4 (svm/smi.c,
 * svm/cache.c, svm/cr.c): counted, not carried out. */
void handle_smi(struct cpu *cpu)
{
	(void)cpu;
	hw.platform++;
}

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

void handle_cr4_write(struct cpu *cpu)
{
	(void)cpu;
	hw.platform++;
}

/* The real MSRs (core/msr_safe.S): every read gives 0, every write is
 * taken. */
int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	(void)msr;
	*val = 0;
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

/* ---- the fake machine --------------------------------------------------- */

static struct cpu *cpu;
static uint64_t l1_next; /* bump allocator of L1 pages */

static uint64_t l1_page(void)
{
	uint64_t pa = l1_next;

	l1_next += PAGE;
	assert_true(l1_next <= L1_BASE + L1_SIZE);
	memset((void *)pa, 0, PAGE);
	return pa;
}

static void *map_fixed(uint64_t addr, uint64_t size)
{
	void *p = mmap((void *)addr, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	assert_true(p == (void *)addr);
	return p;
}

static int machine_up(void **state)
{
	(void)state;
	map_fixed(L1_BASE, L1_SIZE);
	map_fixed(HV_BASE, HV_SIZE);
	assert_int_equal(hvmem_init(HV_BASE, HV_SIZE, PAGE, 40, true), 0);
	return 0;
}

static int machine_down(void **state)
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
static void cpu_up(uint32_t edx, uint64_t l1_cr4, uint64_t l1_efer)
{
	struct vmcb_save *s;

	memset(&hw, 0, sizeof(hw));
	cpu = hv_alloc((sizeof(*cpu) + PAGE - 1) / PAGE);
	assert_non_null(cpu);
	cpu->vmcb01 = hv_alloc(1);
	cpu->msrpm = hv_alloc(MSRPM_SIZE / PAGE);
	cpu->iopm = hv_alloc(IOPM_SIZE / PAGE);
	assert_non_null(cpu->vmcb01);
	/* One vCPU (index 0) in a fresh group of shadows. */
	assert_int_equal(nested_npt_global_init(true), 0);
	cpu->vmcb01_pa = (uint64_t)cpu->vmcb01;
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
	cpu->decode_cur = cpu->decode_cache[0];
	cpu->cur_pa = cpu->vmcb01_pa;
	cpu->cur_phys = &l1_gmem;
	decode_cache_init(cpu);
	s = &cpu->vmcb01->save;
	s->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP;
	s->cr4 = X86_CR4_PAE | l1_cr4;
	s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_SVME | l1_efer;
	s->cs.attrib.raw = 0xa9b; /* 64-bit code */
	s->rflags = 2;
	s->rip = 0x1000;
}

/* L1's NPT for L2 (4 levels, 4 KiB leaves) in L1 memory. */
static uint64_t npt12_new(void)
{
	return l1_page();
}

static void npt12_map(uint64_t ncr3, uint64_t l2, uint64_t l1, uint64_t flags)
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
static struct vmcb *vmcb12_new(void)
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

static void use_npt(struct vmcb *v, uint64_t ncr3)
{
	v->control.misc_ctl |= MISC_CTL_NP_ENABLE;
	v->control.nested_cr3 = ncr3;
}

/* L1 executes VMRUN of v (3 bytes at its RIP). */
static void l1_vmrun(struct vmcb *v)
{
	struct vmcb *v01 = cpu->vmcb01;

	assert_ptr_equal(cpu->cur, v01);
	v01->save.rax = (uint64_t)v;
	v01->control.next_rip = v01->save.rip + 3;
	nested_vmrun(cpu);
}

/* vmcb02 exits with this code and these values (the CPU's), and
 * nestvisor handles it as svm/exit.c would. */
static void l2_exit(uint64_t code, uint64_t info1, uint64_t info2,
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
static bool shadow_maps(uint64_t l2_gpa)
{
	unsigned lvl;
	uint64_t *e = pt_walk(&hvmem.ptm, cpu->nested.npt_root,
			      l2_gpa, &lvl);

	return e && (*e & PTE_P);
}

/* ---- the shadow MMU's inputs ------------------------------------------- */

/*
 * docs/semantics.md §6.1: the I/D bit of a reflected #NPF is set for a
 * fetch iff the *host's* (L1's) EFER.NXE or CR4.SMEP is set, whatever
 * L2's are; §7.1: not present, user, fetch, final stage.  L1's NXE=1 with
 * L2's NXE=0 must give I/D; L1's NXE=0 and SMEP=0 with L2's NXE=1 and
 * SMEP=1 must not.
 */
static void fetch_fault_id(uint64_t l1_efer, uint64_t l2_efer_cr4_on,
			   uint64_t want)
{
	struct vmcb *v;
	uint64_t ncr3;

	cpu_up(0, 0, l1_efer);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	if (l2_efer_cr4_on) {
		v->save.efer |= X86_EFER_NXE;
		v->save.cr4 |= X86_CR4_SMEP;
	} else {
		v->save.efer &= ~X86_EFER_NXE;
	}
	v->control.intercept_misc1 |= INTERCEPT1_SHUTDOWN;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	/* a fetch at an L2 address L1's NPT does not map */
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER | PFERR_FETCH,
		0x7000000, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_NPF);
	assert_int_equal(v->control.exit_info_1, want);
	assert_int_equal(v->control.exit_info_2, 0x7000000);
}

static void test_role_from_l1_not_vmcb12(void **state)
{
	(void)state;
	fetch_fault_id(X86_EFER_NXE, 0,
		       PFERR_GUEST_FINAL | PFERR_USER | PFERR_FETCH);
	fetch_fault_id(0, 1, PFERR_GUEST_FINAL | PFERR_USER);
}

/*
 * The CPL the MMU gets, and the execution class (docs/semantics.md §2.4,
 * docs/nested.md "GMET where the CPU has none"): with GMET emulated, an
 * L2 entered at CPL 3 runs on a USER root, at CPL 0 on a SUPERVISOR one;
 * with the CPU's GMET every root is SUPERVISOR.
 */
static enum snpt_exec root_class(uint32_t edx, uint8_t cpl)
{
	struct vmcb *v;
	const struct snpt *s;

	cpu_up(edx, 0, X86_EFER_NXE);
	v = vmcb12_new();
	use_npt(v, npt12_new());
	v->control.misc_ctl |= MISC_CTL_GMET;
	v->save.cpl = cpl;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	s = cpu->nested.snpt;
	for (unsigned i = 0; i < SNPT_MAX_ROOTS; i++)
		if (s->roots[i].valid && s->roots[i].hpa == cpu->nested.npt_root)
			return s->roots[i].exec;
	fail_msg("vmcb02's nCR3 is no shadow root");
	return SNPT_EXEC_SUPERVISOR;
}

static void test_cpl_and_execution_class(void **state)
{
	(void)state;
	assert_int_equal(root_class(0, 3), SNPT_EXEC_USER);
	assert_int_equal(root_class(0, 0), SNPT_EXEC_SUPERVISOR);
	assert_int_equal(root_class(1u << SVM_FEAT_GMET, 3), SNPT_EXEC_SUPERVISOR);
	/* vmcb02 carries GMET only where the CPU has it */
	assert_int_equal(cpu->nested.vmcb02->control.misc_ctl & MISC_CTL_GMET,
			 MISC_CTL_GMET);
}

/* ---- vmcb02 ------------------------------------------------------------- */

/*
 * vmcb02 from vmcb12 (APM Vol. 2 §15.5 VMRUN; docs/nested.md): L1's
 * intercepts OR'd with nestvisor's, INTn added while L1 intercepts #BP,
 * L1's ASID n as host ASID n + 1, TSC offsets added, the shadow root as
 * nCR3, L2's state, and L1's current VMLOAD state (VMRUN does not load
 * FS, GS, ...).  Without NP, L2 runs on nestvisor's NPT for L1.
 */
static void test_vmcb02_construction(void **state)
{
	struct vmcb *v, *v02;
	const struct vmcb_control *c;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	use_npt(v, npt12_new());
	v->control.intercept_cr = 0x00010001;
	v->control.intercept_exceptions = 1u << X86_VEC_BP;
	v->control.intercept_misc1 |= INTERCEPT1_CPUID;
	v->control.asid = 7;
	v->control.tsc_offset = 1000;
	cpu->vmcb01->control.tsc_offset = 20;
	v->control.int_ctl = V_INTR_MASKING | V_IRQ | (3u << V_INTR_PRIO_SHIFT);
	v->control.int_vector = 0x55;
	v->control.event_inj.raw = 0x80000b0d; /* #GP with an error code */
	v->control.event_inj_err = 0x18;
	v->save.rip = 0x123456;
	v->save.rsp = 0x7ff0;
	v->save.rax = 0xabcd;
	cpu->vmcb01->save.fs.base = 0xf5;
	cpu->vmcb01->save.kernel_gs_base = 0xf6;
	cpu->vmcb01->save.lstar = 0xf7;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	v02 = cpu->nested.vmcb02;
	c = &v02->control;
	assert_ptr_equal(cpu->cur, v02);
	/* L1's, and nestvisor's own write of CR4 (bit 16 + 4, APM Vol. 2
	 * §15.9), which it checks as the CPU would. */
	assert_int_equal(c->intercept_cr, 0x00010001 | (1u << 20));
	assert_int_equal(c->intercept_misc1 & (L0_INTERCEPT1 | INTERCEPT1_HLT |
					       INTERCEPT1_CPUID | INTERCEPT1_SWINT),
			 L0_INTERCEPT1 | INTERCEPT1_HLT | INTERCEPT1_CPUID |
			 INTERCEPT1_SWINT);
	assert_int_equal(c->intercept_misc2 & L0_INTERCEPT2, L0_INTERCEPT2);
	assert_int_equal(c->intercept_exceptions,
			 (1u << X86_VEC_BP) | L0_INTERCEPT_EXCEPTIONS);
	assert_int_equal(c->asid, 8);
	assert_int_equal(c->tsc_offset, 1020);
	assert_int_equal(c->int_ctl & (V_INTR_MASKING | V_IRQ | V_INTR_PRIO_MASK),
			 V_INTR_MASKING | V_IRQ | (3u << V_INTR_PRIO_SHIFT));
	assert_int_equal(c->int_vector, 0x55);
	assert_int_equal(c->event_inj.raw, 0x80000b0d);
	assert_int_equal(c->event_inj_err, 0x18);
	assert_int_equal(c->misc_ctl & MISC_CTL_NP_ENABLE, MISC_CTL_NP_ENABLE);
	assert_int_equal(c->nested_cr3, cpu->nested.npt_root);
	assert_int_equal(v02->save.rip, 0x123456);
	assert_int_equal(v02->save.rsp, 0x7ff0);
	assert_int_equal(v02->save.rax, 0xabcd);
	assert_int_equal(v02->save.efer & X86_EFER_SVME, X86_EFER_SVME);
	assert_int_equal(v02->save.fs.base, 0xf5);
	assert_int_equal(v02->save.kernel_gs_base, 0xf6);
	assert_int_equal(v02->save.lstar, 0xf7);
	/* L1 resumes after its VMRUN */
	assert_int_equal(cpu->vmcb01->save.rip, 0x1003);
	/* GIF set by VMRUN; L1's IF (clear) is the host IF for vmcb02 */
	assert_true(cpu->nested.gif);
	assert_int_equal(cpu->cur_host_if, 0);

	/* without nested paging: nestvisor's NPT for L1 */
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	l1_vmrun(v);
	assert_int_equal(cpu->nested.vmcb02->control.nested_cr3, hvmem.npt_root);
	/* no #BP/#OF intercept: no INTn intercept either */
	assert_int_equal(cpu->nested.vmcb02->control.intercept_misc1 &
			 INTERCEPT1_SWINT, 0);
}

/*
 * Which exits of L2 are L1's (APM Vol. 2 §15.8-§15.15, Table B-1): one
 * bit per CR/DR read and write, per exception vector and per instruction;
 * the MSR map's two bits (§15.11: MSRs outside its three ranges always
 * intercepted); the I/O map's bits for every byte of the access
 * (§15.10.1).
 */
static void test_reflection_decisions(void **state)
{
	struct vmcb *v;
	uint8_t *msrpm, *iopm;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	msrpm = (uint8_t *)l1_page();
	l1_page();
	iopm = (uint8_t *)l1_page();
	l1_page();
	l1_page();
	v->control.intercept_cr = 1u << 16 | 1u << 3;   /* write CR0, read CR3 */
	v->control.intercept_dr = 1u << (16 + 7);       /* write DR7 */
	v->control.intercept_exceptions = 1u << 14;     /* #PF */
	v->control.intercept_misc1 |= INTERCEPT1_RDTSC | INTERCEPT1_MSR_PROT |
				      INTERCEPT1_IOIO_PROT;
	v->control.intercept_misc2 |= INTERCEPT2_VMMCALL;
	v->control.msrpm_base_pa = (uint64_t)msrpm;
	v->control.iopm_base_pa = (uint64_t)iopm;
	msrpm[0x800 + 0x82 * 2 / 8] = 1u << (0x82 * 2 % 8); /* read LSTAR */
	iopm[0x61 / 8] = 1u << (0x61 % 8);                   /* port 61h */
	l1_vmrun(v);
	assert_true(nested_l1_intercepts(cpu, VMEXIT_CR0_WRITE, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_CR0_READ, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_CR0_READ + 3, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_DR0_WRITE + 7, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_DR0_READ + 7, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_EXCP_BASE + 14, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_EXCP_BASE + 13, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_RDTSC, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_CPUID, 0));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_VMMCALL, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_VMLOAD, 0));
	cpu->gregs.rcx = 0xc0000082;
	assert_true(nested_l1_intercepts(cpu, VMEXIT_MSR, 0));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_MSR, 1));
	cpu->gregs.rcx = 0xc0000081;
	assert_false(nested_l1_intercepts(cpu, VMEXIT_MSR, 0));
	cpu->gregs.rcx = 0x40000000; /* outside the three ranges */
	assert_true(nested_l1_intercepts(cpu, VMEXIT_MSR, 0));
	/* IN AL, 61h; IN AX, 60h (ports 60h-61h); IN AL, 60h */
	assert_true(nested_l1_intercepts(cpu, VMEXIT_IOIO, 0x610011));
	assert_true(nested_l1_intercepts(cpu, VMEXIT_IOIO, 0x600021));
	assert_false(nested_l1_intercepts(cpu, VMEXIT_IOIO, 0x600011));
	/* vmcb02's maps: nestvisor's bits OR'd with L1's */
	assert_int_equal(cpu->nested.msrpm02[0x800 + 0x82 * 2 / 8] & 0x10, 0x10);
	assert_int_equal(cpu->nested.msrpm02[0x800 + 0x80 * 2 / 8] & 3, 3); /* EFER */
	assert_int_equal(cpu->nested.iopm02[0x61 / 8] & 2, 2);
	assert_int_equal(cpu->nested.iopm02[0xf4 / 8] & 0xf0, 0xf0);
}

/* ---- events ------------------------------------------------------------- */

/*
 * EXITINTINFO as L1 sees it (APM Vol. 2 §15.7.2; docs/semantics.md
 * §10.3): QEMU TCG reports an interrupted external interrupt as type 3
 * with its vector, an NMI as type 3 vector 2; L1 gets type 0 and type 2.
 */
static void reflect_npf_with(uint32_t cpu_value, uint32_t want)
{
	struct vmcb *v;

	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	use_npt(v, npt12_new());
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x9000, cpu_value);
	assert_int_equal(v->control.exit_code, VMEXIT_NPF);
	assert_int_equal(v->control.exit_int_info.raw, want);
	assert_int_equal(v->control.exit_int_info_err, 0);
}

static void test_exitintinfo_to_l1(void **state)
{
	(void)state;
	reflect_npf_with(0x80000331, 0x80000031);
	reflect_npf_with(0x800003de, 0x800000de);
	reflect_npf_with(0x80000302, 0x80000202);
	reflect_npf_with(0x80000306, 0x80000306); /* #UD is an exception */
	reflect_npf_with(0x00000331, 0x00000331); /* V=0 */
}

/*
 * An exit nestvisor handles itself (here the shadow installs a page L1's
 * NPT maps) during an event's delivery: the event is injected again with
 * its architectural type (a VMRUN with type 3 and vector 2 or >= 32
 * fails, APM §15.20); INTn raised by L2's own instruction is not (RIP is
 * still at the INT, which runs again); INTn nestvisor injected is.
 */
static void reinject_after(uint32_t cpu_value, uint32_t entered, uint32_t want)
{
	struct vmcb *v;
	uint64_t ncr3;

	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	l1_vmrun(v);
	cpu->injected[1].raw = entered;
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER | PFERR_WRITE,
		0x200000, cpu_value);
	assert_true(cpu->nested.guest_mode);
	assert_true(shadow_maps(0x200000));
	assert_int_equal(cpu->nested.vmcb02->control.event_inj.raw, want);
}

static void test_reinjection(void **state)
{
	(void)state;
	reinject_after(0x80000331, 0, 0x80000031);
	reinject_after(0x80000302, 0, 0x80000202);
	reinject_after(0x80000b0e, 0, 0x80000b0e);
	reinject_after(0x80000441, 0, 0);
	reinject_after(0x80000441, 0x80000441, 0x80000441);
	reinject_after(0, 0, 0);
}

/*
 * An exception nestvisor raises in L2 while L1 intercepts it: #VMEXIT
 * 0x40 + vector with EXITINFO1 = the error code (APM §15.12).  VMMCALL
 * that L1 does not intercept raises #UD (§15.16).
 */
static void test_exception_intercept(void **state)
{
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	v->control.intercept_exceptions = 1u << X86_VEC_UD;
	l1_vmrun(v);
	l2_exit(VMEXIT_VMMCALL, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_EXCP_BASE + X86_VEC_UD);
	assert_int_equal(v->control.exit_info_1, 0);
	assert_int_equal(v->save.rip, 0x4000);

	/* not intercepted: injected into L2 */
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	l1_vmrun(v);
	l2_exit(VMEXIT_VMMCALL, 0, 0, 0);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(cpu->nested.vmcb02->control.event_inj.raw,
			 0x80000306);
}

/* ---- the GIF ------------------------------------------------------------ */

/*
 * APM §15.17: CLGI holds INTR and NMI; STGI lets them in, NMI first.
 * vmcb01 with the GIF clear: V_INTR_MASKING (with the host IF clear);
 * NMI is always intercepted (other CPUs' kicks, svm/smp.c); an NMI that
 * comes and was no kick is collected and held, and injected before the
 * first VMRUN after STGI sets the GIF; VMRUN sets the GIF, #VMEXIT
 * clears it.
 */
static void test_gif(void **state)
{
	struct vmcb_control *c01;
	struct vmcb *v;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, false);                 /* CLGI */
	assert_false(cpu->nested.gif);
	assert_int_equal(c01->int_ctl & V_INTR_MASKING, V_INTR_MASKING);
	assert_int_equal(c01->intercept_misc1 & INTERCEPT1_NMI, INTERCEPT1_NMI);
	assert_int_equal(cpu->cur_host_if, 0);
	/* a kick: collected, not the guest's */
	hw.nmi_pending = true;
	cpu->kicked = 1;
	smp_handle_nmi(cpu);                    /* the NMI intercept */
	assert_int_equal(hw.collect, 1);
	assert_false(cpu->nmi_pending);
	/* an NMI from outside: held while the GIF is clear */
	hw.nmi_pending = true;
	smp_handle_nmi(cpu);
	assert_int_equal(hw.collect, 2);
	assert_true(cpu->nmi_pending);
	nmi_deliver(cpu);                       /* before VMRUN */
	assert_false(c01->event_inj.valid);
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, true);                  /* STGI */
	assert_true(cpu->nested.gif);
	assert_int_equal(c01->int_ctl & V_INTR_MASKING, 0);
	assert_int_equal(c01->intercept_misc1 & INTERCEPT1_NMI, INTERCEPT1_NMI);
	nmi_deliver(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->event_inj.raw, 0x80000202); /* V, NMI, vector 2 */
	c01->event_inj.raw = 0;

	/* CLGI; VMRUN: GIF set for L2, with L1's IF as the host IF */
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_gif(cpu, false);
	cpu->vmcb01->save.rflags |= X86_RFLAGS_IF;
	v = vmcb12_new();
	v->control.int_ctl = V_INTR_MASKING;
	l1_vmrun(v);
	assert_true(cpu->nested.gif);
	assert_int_equal(cpu->cur_host_if, 1);
	/* L2's CLGI (not intercepted): held while L2 runs */
	cpu->nested.vmcb02->control.next_rip = cpu->nested.vmcb02->save.rip + 3;
	l2_exit(VMEXIT_CLGI, 0, 0, 0);
	assert_false(cpu->nested.gif);
	assert_int_equal(cpu->cur_host_if, 0);
	assert_int_equal(cpu->nested.vmcb02->control.intercept_misc1 &
			 INTERCEPT1_NMI, INTERCEPT1_NMI);
	/* #VMEXIT: the GIF clear for L1 */
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_false(cpu->nested.gif);
	assert_int_equal(c01->int_ctl & V_INTR_MASKING, V_INTR_MASKING);
}

/*
 * L1's GIF in the CPU's vGIF (APM Vol. 2 §15.33.2, "Virtual GIF": with
 * V_GIF_ENABLE, the guest's CLGI and STGI clear and set V_GIF and do not
 * exit unless intercepted; V_GIF holds virtual interrupts only).  L1
 * takes its physical interrupts directly, so while its GIF is in V_GIF
 * vmcb01 must intercept INTR (§15.13.1) to hold them as the GIF would
 * (§15.17), and NMI (always intercepted); once something waits for the
 * GIF, it is held in software again and STGI exits.  CLGI/STGI raise
 * #UD while EFER.SVME is clear (§15.4), which the CPU, seeing vmcb01's
 * EFER.SVME, cannot: they are intercepted again then.
 */
static bool vgif_mode(const struct vmcb_control *c)
{
	return (c->int_ctl & V_GIF_ENABLE) && !(c->int_ctl & V_INTR_MASKING) &&
	       (c->intercept_misc1 & INTERCEPT1_INTR) &&
	       (c->intercept_misc1 & INTERCEPT1_NMI) &&
	       !(c->intercept_misc2 & (INTERCEPT2_CLGI | INTERCEPT2_STGI));
}

/* nestvisor holds the GIF itself: CLGI and STGI exit, INTR does not. */
static bool sw_gif(const struct vmcb_control *c, bool gif)
{
	return !(c->int_ctl & V_GIF_ENABLE) &&
	       !!(c->int_ctl & V_INTR_MASKING) == !gif &&
	       !(c->intercept_misc1 & INTERCEPT1_INTR) &&
	       (c->intercept_misc1 & INTERCEPT1_NMI) &&
	       (c->intercept_misc2 & INTERCEPT2_CLGI) &&
	       (c->intercept_misc2 & INTERCEPT2_STGI);
}

static void l1_insn(unsigned len)
{
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + len;
}

static void test_l1_vgif(void **state)
{
	struct vmcb_control *c01;
	struct vmcb *v;

	(void)state;
	cpu_up(1u << SVM_FEAT_VGIF, 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	l1_insn(3);
	nested_gif(cpu, false);                 /* CLGI exits once */
	assert_true(vgif_mode(c01));
	assert_int_equal(c01->int_ctl & V_GIF, 0);
	assert_false(nested_gif_get(cpu));
	assert_int_equal(cpu->cur_host_if, 0);
	/* L1's STGI, run by the CPU: V_GIF set */
	c01->int_ctl |= V_GIF;
	assert_true(nested_gif_get(cpu));
	/* an INTR exit with V_GIF set: L1 takes it itself */
	nested_gif_hold(cpu);
	assert_true(sw_gif(c01, true));
	assert_true(nested_gif_get(cpu));
	/* CLGI exits: V_GIF again; an INTR exit with V_GIF clear: held
	 * until STGI, which exits */
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(vgif_mode(c01));
	nested_gif_hold(cpu);
	assert_true(sw_gif(c01, false));
	assert_false(nested_gif_get(cpu));
	l1_insn(3);
	nested_gif(cpu, true);                  /* STGI */
	assert_true(sw_gif(c01, true));

	/* an NMI from outside while V_GIF is clear: held, STGI exits */
	l1_insn(3);
	nested_gif(cpu, false);
	assert_true(vgif_mode(c01));
	hw.nmi_pending = true;
	smp_handle_nmi(cpu);
	assert_true(cpu->nmi_pending);
	nmi_deliver(cpu);
	assert_false(c01->event_inj.valid);
	assert_true(sw_gif(c01, false));
	l1_insn(3);
	nested_gif(cpu, true);                  /* STGI */
	assert_true(sw_gif(c01, true));
	nmi_deliver(cpu);
	assert_false(cpu->nmi_pending);
	assert_int_equal(c01->event_inj.raw, 0x80000202); /* V, NMI, vector 2 */
	c01->event_inj.raw = 0;

	/* VMRUN sets the GIF, #VMEXIT clears it: V_GIF clear for L1 */
	v = vmcb12_new();
	l1_vmrun(v);
	assert_true(cpu->nested.gif);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_true(vgif_mode(c01));
	assert_int_equal(c01->int_ctl & V_GIF, 0);

	/* L1 clears EFER.SVME: CLGI and STGI exit again (#UD) */
	cpu->gregs.rcx = MSR_EFER;
	cpu->vmcb01->save.rax = cpu->vmcb01->save.efer & ~X86_EFER_SVME;
	cpu->gregs.rdx = 0;
	c01->exit_info_1 = 1;                   /* WRMSR */
	l1_insn(2);
	handle_msr(cpu);
	assert_false(cpu->nested.svme);
	assert_true(sw_gif(c01, false));
	l1_insn(3);
	nested_gif(cpu, true);
	assert_int_equal(c01->event_inj.raw, 0x80000306); /* #UD */
}

/* Without vGIF the GIF stays in software: test_gif. */

/*
 * L1's VMLOAD and VMSAVE on the CPU's virtual VMLOAD/VMSAVE (APM Vol. 2
 * §15.33.1, "VMSAVE and VMLOAD Virtualization": with virt_ext bit 1 and
 * the intercepts clear, a guest in 64-bit mode with nested paging runs
 * them with rAX a guest-physical address, translated through the VMCB's
 * nested page table).  vmcb01 runs on nestvisor's NPT for L1, so what they
 * can reach is what that table maps: no page of nestvisor's region
 * translates into the region.  While L1's EFER.SVME is clear they must
 * raise #UD (§15.4), which the CPU cannot know: intercepted again.
 * vmcb02 never gets the feature (not offered to L1; CVE-2021-3656 was an
 * L2 running VMLOAD on a host-physical rAX).
 */
static bool vls_on(const struct vmcb_control *c)
{
	return (c->virt_ext & VIRT_EXT_VVMSAVE) &&
	       !(c->intercept_misc2 & (INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE));
}

static bool vls_off(const struct vmcb_control *c)
{
	return !(c->virt_ext & VIRT_EXT_VVMSAVE) &&
	       (c->intercept_misc2 & INTERCEPT2_VMLOAD) &&
	       (c->intercept_misc2 & INTERCEPT2_VMSAVE);
}

/* L1 writes EFER (WRMSR, 2 bytes). */
static void l1_wrmsr_efer(uint64_t efer)
{
	struct vmcb *v01 = cpu->vmcb01;

	cpu->gregs.rcx = MSR_EFER;
	v01->save.rax = (uint32_t)efer;
	cpu->gregs.rdx = efer >> 32;
	v01->control.exit_info_1 = 1;
	l1_insn(2);
	handle_msr(cpu);
	assert_false(v01->control.event_inj.valid);
}

/* Where nestvisor's NPT for L1 sends the L1 address gpa (~0: nowhere). */
static uint64_t npt01_target(uint64_t gpa)
{
	unsigned lvl;
	uint64_t *e = pt_walk(&hvmem.ptm, hvmem.npt_root, gpa, &lvl), size;

	if (!e || !(*e & PTE_P))
		return ~0ull;
	size = 1ull << (12 + 9 * (lvl - 1));
	return (*e & PTE64_ADDR_4K & ~(size - 1)) | (gpa & (size - 1));
}

/* L1 at CPL 0 in 64-bit mode runs 0F 01 modrm at its RIP, whose access
 * at L1-physical 2^40 (beyond L1's width) exits as an #NPF: the event
 * nestvisor injects. */
static void vls_beyond_width(uint8_t modrm, uint32_t want)
{
	struct vmcb *v01 = cpu->vmcb01;
	uint64_t pml4 = npt12_new(), code = l1_page();

	npt12_map(pml4, v01->save.rip & ~0xfffull, code,
		  PTE_P | PTE_RW | PTE_A);
	((uint8_t *)code)[(v01->save.rip & 0xfff) + 0] = 0x0f;
	((uint8_t *)code)[(v01->save.rip & 0xfff) + 1] = 0x01;
	((uint8_t *)code)[(v01->save.rip & 0xfff) + 2] = modrm;
	v01->save.cr3 = pml4;
	v01->save.rax = 1ull << 40;
	v01->control.exit_code = VMEXIT_NPF;
	v01->control.exit_info_1 = PFERR_GUEST_FINAL | PFERR_USER;
	v01->control.exit_info_2 = 1ull << 40;
	v01->control.event_inj.raw = 0;
	handle_npf(cpu);
	assert_int_equal(v01->control.event_inj.raw, want);
	v01->control.event_inj.raw = 0;
}

static void test_l1_virtual_vmload_vmsave(void **state)
{
	struct vmcb_control *c01;
	struct vmcb *v;
	uint64_t l1_efer;

	(void)state;
	cpu_up(1u << SVM_FEAT_VVMSAVE, 0, X86_EFER_NXE);
	c01 = &cpu->vmcb01->control;
	l1_efer = cpu->vmcb01->save.efer;
	/* L1 sets EFER.SVME: on, through vmcb01's nested page table */
	cpu->nested.svme = false;
	l1_wrmsr_efer(l1_efer & ~X86_EFER_SVME);
	assert_true(vls_off(c01));
	l1_wrmsr_efer(l1_efer | X86_EFER_SVME);
	assert_true(cpu->nested.svme);
	assert_true(vls_on(c01));
	assert_int_equal(c01->misc_ctl & MISC_CTL_NP_ENABLE, MISC_CTL_NP_ENABLE);
	assert_int_equal(c01->nested_cr3, hvmem.npt_root);
	/* that table: L1's memory where it is, nestvisor's region nowhere
	 * in the region */
	assert_int_equal(npt01_target(L1_BASE + 5 * PAGE), L1_BASE + 5 * PAGE);
	for (uint64_t gpa = HV_BASE; gpa < HV_BASE + HV_SIZE; gpa += PAGE) {
		uint64_t t = npt01_target(gpa);

		assert_true(t == ~0ull || t < HV_BASE || t >= HV_BASE + HV_SIZE);
	}
	/* VMRUN and #VMEXIT keep it for vmcb01; vmcb02 emulates L2's */
	v = vmcb12_new();
	v->control.intercept_misc2 &= ~(INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE);
	l1_vmrun(v);
	assert_true(vls_off(&cpu->nested.vmcb02->control));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	assert_true(vls_on(c01));
	/* rAX beyond L1's address width (MAXPHYADDR 40 here): the CPU's
	 * #NPF; the instruction's own answer is #GP(0) (§15.5.2), any other
	 * access's a #PF */
	vls_beyond_width(0xda, 0x80000b0d);     /* VMLOAD */
	vls_beyond_width(0xdb, 0x80000b0d);     /* VMSAVE */
	vls_beyond_width(0xd9, 0x80000b0e);     /* (VMMCALL: #PF) */
	/* EFER.SVME cleared: intercepted again (#UD) */
	l1_wrmsr_efer(l1_efer & ~X86_EFER_SVME);
	assert_true(vls_off(c01));

	/* a CPU without the feature: always intercepted */
	cpu_up(0, 0, X86_EFER_NXE);
	l1_wrmsr_efer(cpu->vmcb01->save.efer);
	assert_true(vls_off(&cpu->vmcb01->control));
}

/* ---- the permission maps and L1's TLB maintenance ---------------------- */

/*
 * APM §15.10.1 / §15.11: the CPU reads the maps at every access.  After
 * VMRUN the map pages are read-only in nestvisor's NPT for L1; a write
 * (here: L1's write fault) makes vmcb02 exit on every governed access
 * (all-ones maps), and the next such exit reads the maps again.
 */
static void test_maps_watched(void **state)
{
	struct vmcb *v;
	uint8_t *iopm;
	unsigned lvl;
	uint64_t *e;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	iopm = (uint8_t *)l1_page();
	l1_page();
	l1_page();
	v->control.intercept_misc1 |= INTERCEPT1_IOIO_PROT;
	v->control.iopm_base_pa = (uint64_t)iopm;
	l1_vmrun(v);
	for (unsigned i = 0; i < 3; i++) {
		e = pt_walk(&hvmem.ptm, hvmem.npt_root, (uint64_t)iopm + i * PAGE,
			    &lvl);
		assert_int_equal(lvl, 1);
		assert_int_equal(*e & PTE_RW, 0);
	}
	assert_false(nested_l1_intercepts(cpu, VMEXIT_IOIO, 0x610011));
	/* L2 (without NP: on L1's NPT) writes the map: a write #NPF */
	iopm[0x61 / 8] = 2; /* what the write would have stored */
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER | PFERR_WRITE |
		PFERR_PRESENT, (uint64_t)iopm + 0xc, 0);
	assert_true(cpu->nested.guest_mode);
	e = pt_walk(&hvmem.ptm, hvmem.npt_root, (uint64_t)iopm, &lvl);
	assert_int_equal(*e & PTE_RW, PTE_RW);
	assert_int_equal(cpu->nested.vmcb02->control.iopm_base_pa,
			 (uint64_t)cpu->nested.all_iopm);
	/* IN AL, 61h exits (all-ones map): now L1's */
	l2_exit(VMEXIT_IOIO, 0x610011, 0x4002, 0);
	assert_false(cpu->nested.guest_mode);
	assert_int_equal(v->control.exit_code, VMEXIT_IOIO);
	assert_int_equal(hw.ioio, 0);
	e = pt_walk(&hvmem.ptm, hvmem.npt_root, (uint64_t)iopm, &lvl);
	assert_int_equal(*e & PTE_RW, 0);
}

/*
 * L1's TLB_CONTROL 1, 3, 7 at VMRUN (APM §15.16) and INVLPGA of a guest
 * ASID drop the nested translations the shadow caches; 0 keeps them.
 */
static void tlb_control_case(uint8_t tlb_control, bool dropped)
{
	struct vmcb *v;
	uint64_t ncr3;

	cpu_up(1u << SVM_FEAT_FLUSHASID, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	v->control.intercept_misc1 |= INTERCEPT1_HLT;
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	assert_true(shadow_maps(0x200000));
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	assert_false(cpu->nested.guest_mode);
	v->control.tlb_control = tlb_control;
	l1_vmrun(v);
	assert_true(cpu->nested.guest_mode);
	assert_int_equal(shadow_maps(0x200000), !dropped);
	if (dropped)
		assert_int_not_equal(cpu->nested.vmcb02->control.tlb_control,
				     TLB_CONTROL_DO_NOTHING);
}

static void test_tlb_control_reaches_shadow(void **state)
{
	(void)state;
	tlb_control_case(TLB_CONTROL_DO_NOTHING, false);
	tlb_control_case(TLB_CONTROL_FLUSH_ALL, true);
	tlb_control_case(TLB_CONTROL_FLUSH_ASID, true);
	tlb_control_case(TLB_CONTROL_FLUSH_ASID_LOCAL, true);
}

static void test_invlpga_reaches_shadow(void **state)
{
	struct vmcb *v;
	uint64_t ncr3;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	/* INVLPGA RAX=va, ECX=1 in L1 */
	cpu->vmcb01->save.rax = 0x200000;
	cpu->gregs.rcx = 1;
	cpu->vmcb01->control.next_rip = cpu->vmcb01->save.rip + 3;
	nested_invlpga(cpu);
	assert_int_equal(hw.invlpga, 1);
	assert_int_equal(hw.invlpga_asid, 2); /* L1's ASID 1 is host ASID 2 */
	assert_int_equal(hw.invlpga_va, 0x200000);
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	l1_vmrun(v);
	assert_false(shadow_maps(0x200000));
}

/*
 * A shadow table page the MMU frees is reused only after a TLB flush of
 * its CPU (a page-walk cache may hold it): freed pages wait until the
 * next entry (svm/smp.c svm_prepare_entry), which gives them back and
 * flushes (mm/snpt_smp.c, I3).
 */
static void test_freed_pages_wait_for_a_flush(void **state)
{
	struct vmcb *v;
	uint64_t ncr3;

	(void)state;
	cpu_up(0, 0, X86_EFER_NXE);
	v = vmcb12_new();
	ncr3 = npt12_new();
	npt12_map(ncr3, 0x200000, l1_page(), PTE_P | PTE_RW | PTE_US);
	use_npt(v, ncr3);
	l1_vmrun(v);
	l2_exit(VMEXIT_NPF, PFERR_GUEST_FINAL | PFERR_USER, 0x200000, 0);
	l2_exit(VMEXIT_HLT, 0, 0, 0);
	nested_npt_flush_shadow(cpu);
	assert_true(nested_npt_freed_pending(cpu));
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	l1_vmrun(v);
	/* the emulated VMRUN does not free them: the entry does */
	assert_true(nested_npt_freed_pending(cpu));
	cpu->nested.vmcb02->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	nested_npt_reclaim(cpu);
	assert_false(nested_npt_freed_pending(cpu));
	assert_int_equal(cpu->nested.vmcb02->control.tlb_control,
			 TLB_CONTROL_FLUSH_ALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_from_l1_not_vmcb12),
		cmocka_unit_test(test_cpl_and_execution_class),
		cmocka_unit_test(test_vmcb02_construction),
		cmocka_unit_test(test_reflection_decisions),
		cmocka_unit_test(test_exitintinfo_to_l1),
		cmocka_unit_test(test_reinjection),
		cmocka_unit_test(test_exception_intercept),
		cmocka_unit_test(test_gif),
		cmocka_unit_test(test_l1_vgif),
		cmocka_unit_test(test_l1_virtual_vmload_vmsave),
		cmocka_unit_test(test_maps_watched),
		cmocka_unit_test(test_tlb_control_reaches_shadow),
		cmocka_unit_test(test_invlpga_reaches_shadow),
		cmocka_unit_test(test_freed_pages_wait_for_a_flush),
	};
	return cmocka_run_group_tests(tests, machine_up, machine_down);
}
