// SPDX-License-Identifier: MIT
/*
 * L1's environment: memory pool, own page tables, own IDT, LAPIC helpers,
 * and saving/restoring the firmware's CPU state around the tests.
 *
 * env_enter(): CLI; save the firmware's CR3/CR4/EFER/IDTR, PIC masks, the
 * LAPIC timer and VM_HSAVE_PA; switch to the payload's identity map (no NX
 * bits, so that EFER.NXE may be cleared) and IDT; mask the PIC; set
 * EFER.SVME and VM_HSAVE_PA.  env_leave() undoes all of it in reverse.
 */
#include <efi.h>
#include <efilib.h>
#include "nested.h"
#include "core/desc.h"
#include "core/hypercall.h"
#include "npt.h"
#include "core/x86.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/serial.h"

struct nested_env env;

#define POOL_PAGES 96u
static uint8_t *pool;
static unsigned pool_used;

_Static_assert(__builtin_offsetof(struct l2_gprs, rsi) == 0x18, "vmrun.S rsi");
_Static_assert(__builtin_offsetof(struct l2_gprs, r15) == 0x68, "vmrun.S r15");

extern char l1_idt_stubs[], l2_idt_stubs[];

static struct idt_gate *l1_idt;
static struct {
	uint64_t cr3, cr4, efer, hsave, rflags;
	struct desc_ptr idtr;
	uint8_t pic1, pic2;
	uint32_t lvt_timer, tdcr, ticr;
} fw;

static struct {
	uint64_t rip, len;
	struct l1_trap got;
} armed;

/* ---- memory ----------------------------------------------------------- */

static void *env_pages(unsigned n)
{
	void *p;

	if (pool_used + n > POOL_PAGES)
		return NULL;
	p = pool + (uint64_t)pool_used * PAGE_SIZE;
	pool_used += n;
	for (uint64_t i = 0; i < n * PAGE_SIZE; i++)
		((volatile uint8_t *)p)[i] = 0;
	return p;
}

void *env_page(void)
{
	return env_pages(1);
}

static void set_gate(struct idt_gate *g, const void *handler, uint16_t cs)
{
	uint64_t a = (uint64_t)(uintptr_t)handler;

	g->offset_lo = (uint16_t)a;
	g->selector = cs;
	g->ist = 0;
	g->type_attr = 0x8e; /* P, DPL 0, 64-bit interrupt gate */
	g->offset_mid = (uint16_t)(a >> 16);
	g->offset_hi = (uint32_t)(a >> 32);
	g->reserved = 0;
}

uint64_t nv_cpu_stat_sum(int r11)
{
	uint64_t sum = 0;

	if (cpuid(NV_CPUID_VENDOR_LEAF).ebx != NV_CPUID_SIG_EBX)
		return ~0ull;
	for (uint64_t c = 0; c < 64; c++) {
		uint64_t rax = NV_HC_CPU_STATS, rbx = c, rcx = 0, rdx = 0;
		register uint64_t w10 __asm__("r10") = 0;
		register uint64_t w11 __asm__("r11") = 0;

		__asm__ volatile("vmmcall"
				 : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx),
				   "+r"(w10), "+r"(w11)
				 :: "rsi", "rdi", "r8", "r9", "r12", "r13", "memory");
		if (rax != NV_HC_OK)
			break;
		sum += r11 ? w11 : w10; /* docs/hypercalls.md */
	}
	return sum;
}

int env_alloc(void)
{
	EFI_PHYSICAL_ADDRESS a = 0xffffffffull; /* below 4 GiB: identity-mapped */
	EFI_STATUS s;
	uint64_t *pml4, *pdpt;
	struct desc_ptr gdtr;
	uint16_t cs, ds;

	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData,
			      POOL_PAGES, &a);
	if (EFI_ERROR(s))
		return 0;
	pool = (uint8_t *)(uintptr_t)a;

	/* L1's identity map of 4 GiB: 2 MiB pages, supervisor, no NX. */
	pml4 = env_page();
	pdpt = env_page();
	pml4[0] = (uint64_t)(uintptr_t)pdpt | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t *pd = env_page();

		pdpt[i] = (uint64_t)(uintptr_t)pd | PTE_P | PTE_RW;
		for (uint64_t j = 0; j < 512; j++)
			pd[j] = ((i << 30) | (j << 21)) | PTE_P | PTE_RW | PTE_PS;
	}
	env.l1_cr3 = (uint64_t)(uintptr_t)pml4;

	__asm__ volatile("sgdt %0" : "=m"(gdtr));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	__asm__ volatile("mov %%ds, %0" : "=r"(ds));
	env.gdt_base = gdtr.base;
	env.gdt_limit = gdtr.limit;
	env.cs_sel = cs;
	env.ds_sel = ds;

	l1_idt = env_pages(1);
	for (unsigned v = 0; v < 256; v++)
		set_gate(&l1_idt[v], l1_idt_stubs + 16 * v, cs);
	{
		struct idt_gate *l2_idt = env_pages(1);

		for (unsigned v = 0; v < 256; v++)
			set_gate(&l2_idt[v], l2_idt_stubs + 16 * v, cs);
		env.idt_base_l2 = (uint64_t)(uintptr_t)l2_idt;
	}
	env.l2_stack_top = (uint64_t)(uintptr_t)env_pages(4) + 4 * PAGE_SIZE;
	env.hsave_pa = (uint64_t)(uintptr_t)env_page();
	env.iopm_pa = (uint64_t)(uintptr_t)env_pages(3);
	env.msrpm_pa = (uint64_t)(uintptr_t)env_pages(2);
	env.vmcb = env_page();
	env.vmcb_aux = env_page();
	if (!env.vmcb_aux)
		return 0;
	/* IOPM: port 0x80.  MSRPM: STAR (0xc0000081) reads and writes; the
	 * 0xc0000000 range starts at byte 0x800, two bits per MSR. */
	((uint8_t *)(uintptr_t)env.iopm_pa)[0x80 / 8] |= 1u << (0x80 % 8);
	((uint8_t *)(uintptr_t)env.msrpm_pa)[0x800 + 0x81 * 2 / 8] |=
		3u << (0x81 * 2 % 8);
	return npt_alloc();
}

/* ---- LAPIC ------------------------------------------------------------ */

#define MSR_APIC_BASE 0x1bu
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_EOI   0x0b0u
#define APIC_ICR   0x300u
#define APIC_LVTT  0x320u
#define APIC_TICR  0x380u
#define APIC_TDCR  0x3e0u
#define APIC_LVT_MASKED (1u << 16)

static int x2apic(void)
{
	return !!(rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD);
}

static volatile uint32_t *xapic_reg(uint32_t reg)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) & 0xffffff000ull;

	return (volatile uint32_t *)(uintptr_t)(base + reg);
}

static uint32_t apic_read(uint32_t reg)
{
	if (x2apic())
		return (uint32_t)rdmsr(0x800 + (reg >> 4));
	return *xapic_reg(reg);
}

static void apic_write(uint32_t reg, uint32_t v)
{
	if (x2apic())
		wrmsr(0x800 + (reg >> 4), v);
	else
		*xapic_reg(reg) = v;
}

void apic_timer_oneshot(uint8_t vector, uint32_t count)
{
	apic_write(APIC_TDCR, 0xb); /* divide by 1 */
	apic_write(APIC_LVTT, vector);
	apic_write(APIC_TICR, count);
}

void apic_timer_periodic(uint8_t vector, uint32_t count)
{
	apic_write(APIC_TDCR, 0xb); /* divide by 1 */
	apic_write(APIC_LVTT, (1u << 17) | vector); /* periodic */
	apic_write(APIC_TICR, count);
}

void apic_timer_stop(void)
{
	apic_write(APIC_LVTT, APIC_LVT_MASKED | VEC_TIMEOUT);
	apic_write(APIC_TICR, 0);
}

void apic_self_ipi(uint8_t vector)
{
	/* Fixed delivery, destination shorthand "self" (ICR bits 19:18 = 01). */
	if (x2apic()) {
		wrmsr(0x800 + (APIC_ICR >> 4), (1u << 18) | vector);
	} else {
		*xapic_reg(APIC_ICR) = (1u << 18) | vector;
		while (*xapic_reg(APIC_ICR) & (1u << 12)) /* delivery pending */
			;
	}
}

void apic_self_ipi_regs(uint8_t vector, struct l2_gprs *g, uint64_t *rax)
{
	*rax = (1u << 18) | vector; /* fixed, shorthand "self" */
	if (x2apic()) {
		g->rdi = 1;
		g->rcx = 0x800 + (APIC_ICR >> 4);
		g->rdx = 0;
	} else {
		g->rdi = 0;
		g->rsi = (uint64_t)(uintptr_t)xapic_reg(APIC_ICR);
	}
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void apic_self_nmi(void)
{
	/* Delivery mode NMI (ICR bits 10:8 = 100b), physical destination =
	 * this APIC's ID (xAPIC: ID register bits 31:24). */
	if (x2apic()) {
		uint64_t id = rdmsr(0x802);

		wrmsr(0x800 + (APIC_ICR >> 4), (id << 32) | (4u << 8));
	} else {
		uint32_t id = *xapic_reg(0x20) >> 24;

		*xapic_reg(APIC_ICR + 0x10) = id << 24;
		*xapic_reg(APIC_ICR) = 4u << 8;
		while (*xapic_reg(APIC_ICR) & (1u << 12))
			;
	}
}

void l1_iret_self(void)
{
	uint64_t ss = env.ds_sel, cs = env.cs_sel;

	__asm__ volatile("movq %%rsp, %%rax\n\t"
			 "pushq %0\n\t"
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "iretq\n"
			 "1:"
			 :: "r"(ss), "r"(cs) : "rax", "memory", "cc");
}

void l1_drain_interrupts(void)
{
	stgi();
	__asm__ volatile("sti; nop; nop; nop; nop; nop; nop; nop; nop; cli" ::: "memory");
}

/* ---- L1 exceptions and interrupts -------------------------------------- */

struct l1_frame {
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct l1_frame) == 16 * 8, "l1_idt.S frame");

__attribute__((visibility("hidden"))) void l1_idt_dispatch(struct l1_frame *f);

void l1_idt_dispatch(struct l1_frame *f)
{
	if (f->vector == 1 && env.step_log_on) {
		uint64_t dr6;

		__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
		if (env.step_n < STEP_LOG_SIZE) {
			env.step_rip[env.step_n] = f->rip;
			env.step_dr6[env.step_n] = dr6;
		}
		env.step_n++;
		__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ull));
		return;
	}
	if (f->vector < 32 && f->vector != 2) {
		if (armed.rip && f->rip == armed.rip) {
			armed.got.vector = (int)f->vector;
			armed.got.error_code = f->error_code;
			f->rip += armed.len;
			armed.rip = 0;
			return;
		}
		gprintf("Bail out! L1 exception %lu at rip 0x%lx, error code 0x%lx, cr2 0x%lx\n",
			f->vector, f->rip, f->error_code, read_cr2());
		guest_exit_now(1);
	}
	env.irq_count[f->vector]++;
	if (env.irq_log_n < IRQ_LOG_SIZE) {
		env.irq_log[env.irq_log_n] = (uint8_t)f->vector;
		if (env.irq_probe)
			env.irq_probe_log[env.irq_log_n] = *env.irq_probe;
	}
	env.irq_log_n++;
	if (f->vector != 0xff && f->vector != 2) /* NMIs take no EOI */
		apic_write(APIC_EOI, 0);
}

void l1_arm(uint64_t rip, uint64_t len)
{
	armed.got.vector = -1;
	armed.got.error_code = 0;
	armed.len = len;
	armed.rip = rip;
}

struct l1_trap l1_disarm(void)
{
	armed.rip = 0;
	return armed.got;
}

/* ---- entering and leaving ---------------------------------------------- */


void env_set_l1_paging(int nxe, int smep)
{
	uint64_t efer = rdmsr(MSR_EFER), cr4 = read_cr4();

	efer = nxe ? efer | X86_EFER_NXE : efer & ~X86_EFER_NXE;
	cr4 = smep ? cr4 | X86_CR4_SMEP : cr4 & ~X86_CR4_SMEP;
	wrmsr(MSR_EFER, efer);
	write_cr4(cr4);
	env.l1_efer = efer;
	env.l1_cr4 = cr4;
}

void env_enter(void)
{
	struct desc_ptr mine = { 256 * 16 - 1, (uint64_t)(uintptr_t)l1_idt };

	fw.rflags = read_rflags();
	cli();
	fw.cr3 = read_cr3();
	fw.cr4 = read_cr4();
	fw.efer = rdmsr(MSR_EFER);
	fw.hsave = rdmsr(MSR_VM_HSAVE_PA);
	__asm__ volatile("sidt %0" : "=m"(fw.idtr));
	fw.pic1 = inb(0x21);
	fw.pic2 = inb(0xa1);
	fw.lvt_timer = apic_read(APIC_LVTT);
	fw.tdcr = apic_read(APIC_TDCR);
	fw.ticr = apic_read(APIC_TICR);

	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	apic_timer_stop();
	write_cr3(env.l1_cr3);
	__asm__ volatile("lidt %0" ::"m"(mine) : "memory");
	wrmsr(MSR_EFER, fw.efer | X86_EFER_SVME);
	wrmsr(MSR_VM_HSAVE_PA, env.hsave_pa);
	env.l1_cr0 = read_cr0();
	env.l1_cr4 = read_cr4();
	env.l1_efer = rdmsr(MSR_EFER);
	env.fw_nxe = !!(env.l1_efer & X86_EFER_NXE);
	env.fw_smep = !!(env.l1_cr4 & X86_CR4_SMEP);
	/* Interrupts the firmware left pending (masked PIC, stopped timer). */
	l1_drain_interrupts();
}

void env_leave(void)
{
	apic_timer_stop();
	stgi();
	wrmsr(MSR_VM_HSAVE_PA, fw.hsave);
	wrmsr(MSR_EFER, fw.efer);
	write_cr4(fw.cr4);
	write_cr3(fw.cr3);
	__asm__ volatile("lidt %0" ::"m"(fw.idtr) : "memory");
	apic_write(APIC_TDCR, fw.tdcr);
	apic_write(APIC_LVTT, fw.lvt_timer);
	apic_write(APIC_TICR, fw.ticr);
	outb(0x21, fw.pic1);
	outb(0xa1, fw.pic2);
	if (fw.rflags & X86_RFLAGS_IF)
		__asm__ volatile("sti" ::: "memory");
}
