// SPDX-License-Identifier: MIT
#include "core/desc.h"
#include "core/host_env.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/x86.h"

/* Each CPU has its own GDT, TSS and IDT (struct host_desc): LTR marks the
 * TSS descriptor busy, the IST stack is per CPU, and each CPU fills its
 * own IDT, so that none rewrites gates another CPU may be using. */
extern const uint64_t host_trap_stubs[32];

void host_env_load(struct host_desc *d, uint64_t ist_top)
{
	uint64_t tss = (uint64_t)&d->tss;
	struct desc_ptr gdtr, idtr;

	d->gdt.null = 0;
	/* 64-bit code and flat data, DPL 0 (APM Vol. 2 §4.8.1: in 64-bit
	 * mode base and limit are ignored, L must be 1 and D 0). */
	d->gdt.code = seg_desc_make(0, 0xfffff, DESC_ACCESS_P | DESC_ACCESS_S |
				    DESC_TYPE_CODE_RX, DESC_FLAG_L | DESC_FLAG_G);
	d->gdt.data = seg_desc_make(0, 0xfffff, DESC_ACCESS_P | DESC_ACCESS_S |
				    DESC_TYPE_DATA_RW, DESC_FLAG_DB | DESC_FLAG_G);
	d->gdt.tss = (struct sys_desc){
		.lo = seg_desc_make((uint32_t)tss, sizeof(d->tss) - 1,
				    DESC_ACCESS_P | DESC_TYPE_TSS64, 0),
		.base_top = (uint32_t)(tss >> 32) };

	d->tss.iopb_offset = sizeof(d->tss);
	d->tss.ist[0] = ist_top;

	for (unsigned v = 0; v < 32; v++) {
		uint64_t h = host_trap_stubs[v];
		d->idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)h,
			.selector = HOST_CS,
			/* NMI, #DF, #MC on IST1: they may hit a bad stack. */
			.ist = (v == X86_VEC_NMI || v == X86_VEC_DF ||
				v == X86_VEC_MC) ? 1 : 0,
			.type_attr = 0x8e,
			.offset_mid = (uint16_t)(h >> 16),
			.offset_hi = (uint32_t)(h >> 32),
		};
	}

	gdtr = (struct desc_ptr){ sizeof(d->gdt) - 1, (uint64_t)&d->gdt };
	idtr = (struct desc_ptr){ sizeof(d->idt) - 1, (uint64_t)d->idt };
	__asm__ volatile(
		"lgdt %0\n\t"
		"pushq %2\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw %w3, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"ltr %w4\n\t"
		"lidt %1\n\t"
		:
		: "m"(gdtr), "m"(idtr), "i"((uint64_t)HOST_CS), "i"(HOST_DS),
		  "r"((uint16_t)HOST_TSS)
		: "rax", "memory");
}

void host_env_efer(bool nx, bool svme)
{
	uint64_t efer = rdmsr(MSR_EFER);

	wrmsr(MSR_EFER, (efer & (X86_EFER_LMA | X86_EFER_AIBRSE)) |
			X86_EFER_LME | (nx ? X86_EFER_NXE : 0) |
			(svme ? X86_EFER_SVME : 0));
}

void host_env_protect(void)
{
	write_cr0(read_cr0() | X86_CR0_WP);
}

static const char *const vector_names[X86_NR_EXCEPTION_VECTORS] = {
	[X86_VEC_DE] = "#DE", [X86_VEC_DB] = "#DB", [X86_VEC_NMI] = "NMI",
	[X86_VEC_BP] = "#BP", [X86_VEC_OF] = "#OF", [X86_VEC_BR] = "#BR",
	[X86_VEC_UD] = "#UD", [X86_VEC_NM] = "#NM", [X86_VEC_DF] = "#DF",
	[X86_VEC_TS] = "#TS", [X86_VEC_NP] = "#NP", [X86_VEC_SS] = "#SS",
	[X86_VEC_GP] = "#GP", [X86_VEC_PF] = "#PF", [X86_VEC_MF] = "#MF",
	[X86_VEC_AC] = "#AC", [X86_VEC_MC] = "#MC", [X86_VEC_XF] = "#XF",
	[X86_VEC_CP] = "#CP", [X86_VEC_HV] = "#HV", [X86_VEC_VC] = "#VC",
	[X86_VEC_SX] = "#SX",
};

extern const char rdmsr_safe_insn[], rdmsr_safe_fault[];
extern const char wrmsr_safe_insn[], wrmsr_safe_fault[];

void host_trap(struct trap_frame *f)
{
	const char *name = vector_names[f->vector % X86_NR_EXCEPTION_VECTORS];

	if (f->vector == X86_VEC_GP && f->rip == (uint64_t)rdmsr_safe_insn) {
		f->rip = (uint64_t)rdmsr_safe_fault;
		return;
	}
	if (f->vector == X86_VEC_GP && f->rip == (uint64_t)wrmsr_safe_insn) {
		f->rip = (uint64_t)wrmsr_safe_fault;
		return;
	}
	log_error("host exception %s (vector %lu) error code 0x%lx at rip 0x%lx",
		  name ? name : "?", f->vector, f->error_code, f->rip);
	log_error("  cr2 0x%lx rsp 0x%lx rflags 0x%lx", read_cr2(), f->rsp,
		  f->rflags);
	log_error("  rax 0x%lx rbx 0x%lx rcx 0x%lx rdx 0x%lx", f->rax, f->rbx,
		  f->rcx, f->rdx);
	log_error("  rsi 0x%lx rdi 0x%lx rbp 0x%lx r8 0x%lx", f->rsi, f->rdi,
		  f->rbp, f->r8);
	panic("exception in host mode");
}
