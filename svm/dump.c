// SPDX-License-Identifier: MIT
#include "svm/dump.h"
#include "core/log.h"
#include "svm/smp.h"
#include "svm/vcpu.h"

void dump_cpu_state(const struct cpu *cpu)
{
	const struct vmcb_save *s = &cpu->cur->save;
	const struct guest_regs *g = &cpu->gregs;

	log_error("%s state: rip 0x%lx rsp 0x%lx rflags 0x%lx cpl %u",
		  cpu->nested.guest_mode ? "L2" : "L1", s->rip,
		  s->rsp, s->rflags, s->cpl);
	log_error("  rax 0x%lx rbx 0x%lx rcx 0x%lx rdx 0x%lx", s->rax, g->rbx,
		  g->rcx, g->rdx);
	log_error("  rsi 0x%lx rdi 0x%lx rbp 0x%lx r8 0x%lx", g->rsi, g->rdi,
		  g->rbp, g->r8);
	log_error("  r9 0x%lx r10 0x%lx r11 0x%lx r12 0x%lx", g->r9, g->r10,
		  g->r11, g->r12);
	log_error("  r13 0x%lx r14 0x%lx r15 0x%lx", g->r13, g->r14, g->r15);
	log_error("  cr0 0x%lx cr2 0x%lx cr3 0x%lx cr4 0x%lx efer 0x%lx",
		  s->cr0, s->cr2, s->cr3, s->cr4, s->efer);
	log_error("  cs %x:0x%lx attr 0x%x ss %x idtr 0x%lx/0x%x gdtr 0x%lx/0x%x",
		  s->cs.selector, s->cs.base, s->cs.attrib.raw, s->ss.selector,
		  s->idtr.base, s->idtr.limit, s->gdtr.base, s->gdtr.limit);
	log_error("%lu exits so far; the last %lu, oldest first "
		  "(code info1 info2 rip):", cpu->nr_exits,
		  cpu->nr_exits < EXIT_RING_SIZE ? cpu->nr_exits :
						   (uint64_t)EXIT_RING_SIZE);
	for (unsigned i = 0; i < EXIT_RING_SIZE; i++) {
		const struct exit_record *r =
			&cpu->ring[(cpu->nr_exits + i) % EXIT_RING_SIZE];
		if (!r->code && !r->rip)
			continue;
		log_error("  0x%lx 0x%lx 0x%lx 0x%lx", r->code, r->info1,
			  r->info2, r->rip);
	}
}

void dump_panic_hook(void *ctx)
{
	const struct cpu *cpu = ctx ? ctx : smp_this_cpu();

	if (cpu)
		dump_cpu_state(cpu);
}
