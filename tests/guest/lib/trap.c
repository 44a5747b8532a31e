// SPDX-License-Identifier: MIT
/* Exception catcher; see trap.h for how it is used. */
#include "trap.h"
#include "exit.h"
#include "serial.h"

/* Frame built by trap_entry.S, lowest address first. */
struct trap_frame {
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
_Static_assert(sizeof(struct trap_frame) == 16 * 8, "trap frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == 11 * 8, "rip slot");

/* struct idt_gate: core/desc.h (via lib/x86.h). */

#define IDT_ENTRIES 256
#define GATE_INTR_P_DPL0 0x8e

extern char trap_stub_6[], trap_stub_13[], trap_stub_14[];

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));
static int active;

/* The one armed instruction: written by the accessors' inline asm. */
static struct {
	uint64_t rip;
	uint64_t len;
} armed;
static struct trap_info last = { TRAP_NONE, 0, 0 };

static void set_gate(unsigned vec, const void *handler, uint16_t cs)
{
	uint64_t a = (uint64_t)(uintptr_t)handler;

	idt[vec].offset_lo = (uint16_t)a;
	idt[vec].selector = cs;
	idt[vec].ist = 0;
	idt[vec].type_attr = GATE_INTR_P_DPL0;
	idt[vec].offset_mid = (uint16_t)(a >> 16);
	idt[vec].offset_hi = (uint32_t)(a >> 32);
	idt[vec].reserved = 0;
}

void trap_begin(struct trap_session *s)
{
	struct desc_ptr mine;
	const uint8_t *src;
	uint8_t *dst = (uint8_t *)idt;
	uint32_t n;

	s->rflags = irq_save();
	s->fw_idt = sidt();
	n = (uint32_t)s->fw_idt.limit + 1;
	if (n > sizeof(idt))
		n = sizeof(idt);
	src = (const uint8_t *)(uintptr_t)s->fw_idt.base;
	for (uint32_t i = 0; i < sizeof(idt); i++)
		dst[i] = i < n ? src[i] : 0;
	set_gate(TRAP_UD, trap_stub_6, read_cs());
	set_gate(TRAP_GP, trap_stub_13, read_cs());
	set_gate(TRAP_PF, trap_stub_14, read_cs());
	mine.limit = sizeof(idt) - 1;
	mine.base = (uint64_t)(uintptr_t)idt;
	lidt(&mine);
	active = 1;
}

void trap_end(const struct trap_session *s)
{
	active = 0;
	lidt(&s->fw_idt);
	irq_restore(s->rflags);
}

const struct trap_info *trap_last(void)
{
	return &last;
}

const char *trap_name(int vector)
{
	switch (vector) {
	case TRAP_NONE: return "none";
	case TRAP_UD: return "#UD";
	case TRAP_GP: return "#GP";
	case TRAP_PF: return "#PF";
	default: return "?";
	}
}

__attribute__((visibility("hidden"))) void trap_dispatch(struct trap_frame *f);

void trap_dispatch(struct trap_frame *f)
{
	if (armed.rip && f->rip == armed.rip) {
		last.vector = (int)f->vector;
		last.error_code = f->error_code;
		last.cr2 = f->vector == TRAP_PF ? read_cr2() : 0;
		f->rip += armed.len;
		armed.rip = 0;
		return;
	}
	gprintf("Bail out! unexpected exception %lu at rip %lx, error code %lx, cr2 %lx\n",
		f->vector, f->rip, f->error_code, read_cr2());
	guest_exit_now(1);
}

static void prepare(void)
{
	if (!active) {
		gprintf("Bail out! trap accessor used outside trap_begin/trap_end\n");
		guest_exit_now(1);
	}
	last.vector = TRAP_NONE;
	last.error_code = 0;
	last.cr2 = 0;
}

/*
 * Each accessor stores the address of label 1 (the instruction that may
 * fault) and its encoded length in `armed`, then executes it.  The
 * lengths are fixed by the encodings: RDMSR 0F 32, WRMSR 0F 30,
 * VMMCALL 0F 01 D9, UD2 0F 0B, MOV r64 <-> (%rdx) 48 8B 02 / 48 89 02.
 */
#define ARM(len) "leaq 1f(%%rip), %%r11\n\tmovq %%r11, %[arip]\n\tmovq $" #len ", %[alen]\n\t1: "

int trap_rdmsr(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;

	prepare();
	__asm__ volatile(ARM(2) "rdmsr"
			 : "+a"(lo), "+d"(hi), [arip] "=m"(armed.rip), [alen] "=m"(armed.len)
			 : "c"(msr) : "r11", "memory");
	armed.rip = 0;
	*val = last.vector == TRAP_NONE ? ((uint64_t)hi << 32 | lo) : 0;
	return last.vector;
}

int trap_wrmsr(uint32_t msr, uint64_t val)
{
	prepare();
	__asm__ volatile(ARM(2) "wrmsr"
			 : [arip] "=m"(armed.rip), [alen] "=m"(armed.len)
			 : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
			 : "r11", "memory");
	armed.rip = 0;
	return last.vector;
}

int trap_read64(const volatile uint64_t *p, uint64_t *val)
{
	uint64_t v = 0;

	prepare();
	__asm__ volatile(ARM(3) "movq (%%rdx), %%rax"
			 : "+a"(v), [arip] "=m"(armed.rip), [alen] "=m"(armed.len)
			 : "d"(p) : "r11", "memory");
	armed.rip = 0;
	*val = v;
	return last.vector;
}

int trap_write64(volatile uint64_t *p, uint64_t val)
{
	prepare();
	__asm__ volatile(ARM(3) "movq %%rax, (%%rdx)"
			 : [arip] "=m"(armed.rip), [alen] "=m"(armed.len)
			 : "a"(val), "d"(p) : "r11", "memory");
	armed.rip = 0;
	return last.vector;
}

int trap_vmmcall(struct hc_regs *r)
{
	prepare();
	__asm__ volatile(ARM(3) "vmmcall"
			 : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx), "+d"(r->rdx),
			   [arip] "=m"(armed.rip), [alen] "=m"(armed.len)
			 : : "r11", "memory");
	armed.rip = 0;
	return last.vector;
}

int trap_skinit(void)
{
	prepare();
	__asm__ volatile(ARM(3) "skinit"
			 : [arip] "=m"(armed.rip), [alen] "=m"(armed.len)
			 : "a"(0) : "r11", "memory");
	armed.rip = 0;
	return last.vector;
}

int trap_ud2(void)
{
	prepare();
	__asm__ volatile(ARM(2) "ud2"
			 : [arip] "=m"(armed.rip), [alen] "=m"(armed.len)
			 : : "r11", "memory");
	armed.rip = 0;
	return last.vector;
}
