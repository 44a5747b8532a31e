// SPDX-License-Identifier: MIT
/*
 * attack: an L1 that tries one thing per run that hardware refuses (or
 * that nestvisor must survive), then checks that nestvisor still serves
 * it.  The action is named by the payload's load options (nestvisor.cfg
 * `args = NAME`); with no name it lists them.  Each action:
 *  1. executes its one instruction under a catcher for #GP and #UD, and
 *     prints which exception, if any, it raised (the hardware column is in
 *     the table below, from the AMD APM);
 *  2. forces an exit to nestvisor (CPUID), undoes what it changed, and
 *     asks for nestvisor's VERSION and canary (core/hypercall.h);
 *  3. prints "attack: NAME: nestvisor still serves L1" and ends with
 *     status 0, or 1 when a hypercall fails.
 * A nestvisor panic instead ends QEMU with status 255 before step 3.
 *
 * This payload is a reproduction tool for review findings, not a suite:
 * no test is registered with it.  The action is the last word of the load
 * options, so that both nestvisor's `args` and a UEFI shell command line
 * name it.  Under nestvisor:
 *   tests/runner.py --name atk --efi build/boot/nestvisor.efi \
 *     --next build/tests/guest/attack.efi \
 *     --config $'next = \\EFI\\nestvisor\\next.efi\nargs = NAME\n' \
 *     --expect-status 1 --verbose
 * On bare QEMU (the shell runs startup.nsh, one line "fs0:\attack.efi NAME"):
 *   tests/runner.py --name atk-bare --file build/tests/guest/attack.efi \
 *     '\attack.efi' --file startup.nsh '\startup.nsh' --expect-status any \
 *     --verbose
 *
 *   name        instruction                          hardware (APM)
 *   cr3-high    MOV CR3 with bit 45 set (long mode)  #GP(0): Vol. 2 §3.1.2
 *   cr0-nw      MOV CR0 with NW=1, CD=0              #GP(0): Vol. 2 §3.1.1
 *   cr4-pae     MOV CR4 with PAE=0 in long mode      #GP(0): Vol. 2 §3.1.3
 *   dr7-high    MOV DR7 with bit 32 set              #GP(0): Vol. 2 §13.1.1.5
 *   dr6-high    MOV DR6 with bit 32 set              #GP(0): Vol. 2 §13.1.1.4
 *   pat-bad     WRMSR PAT, entry 0 = 2 (reserved)    #GP(0): Vol. 2 §7.8.1
 *   efer-lmsle  WRMSR EFER with LMSLE (bit 13)       #GP(0) where CPUID
 *                                                   8000_0008 EBX[20]
 *                                                   (EferLmsleUnsupported)
 *                                                   is set (Zen and later)
 *   cs-ld       far return to a CS with L=1 and D=1  reserved combination
 *               in long mode                         (Vol. 2 §4.8.1); a
 *                                                   VMRUN consistency check
 *                                                   (§15.5.1)
 */
#include <efi.h>
#include <efilib.h>
#include "lib/efiutil.h"
#include "lib/exit.h"
#include "lib/serial.h"
#include "lib/trap.h"
#include "lib/x86.h"
#include "core/hypercall.h"

#define VEC_UD 6
#define VEC_GP 13

/* ---- a catcher for one instruction ------------------------------------ */

static struct idt_gate atk_idt[256] __attribute__((aligned(16)));
/* Written by the stubs: the vector caught (-1: none); where to resume. */
volatile int64_t atk_vec = -1;
volatile uint64_t atk_resume;

/* #GP pushes an error code, #UD does not (APM Vol. 2 §8.2).  Each stub
 * records its vector and returns to atk_resume. */
__asm__(".text\n"
	".globl atk_stub_gp\n.hidden atk_stub_gp\n"
	"atk_stub_gp:\n"
	"	addq $8, %rsp\n"
	"	movq $13, atk_vec(%rip)\n"
	"	jmp 1f\n"
	".globl atk_stub_ud\n.hidden atk_stub_ud\n"
	"atk_stub_ud:\n"
	"	movq $6, atk_vec(%rip)\n"
	"1:	pushq %rax\n"
	"	movq atk_resume(%rip), %rax\n"
	"	movq %rax, 8(%rsp)\n"
	"	popq %rax\n"
	"	iretq\n");
extern char atk_stub_gp[], atk_stub_ud[];

static void set_gate(unsigned vec, const void *handler)
{
	uint64_t a = (uint64_t)(uintptr_t)handler;

	atk_idt[vec].offset_lo = (uint16_t)a;
	atk_idt[vec].selector = read_cs();
	atk_idt[vec].ist = 0;
	atk_idt[vec].type_attr = 0x8e; /* present, DPL 0, interrupt gate */
	atk_idt[vec].offset_mid = (uint16_t)(a >> 16);
	atk_idt[vec].offset_hi = (uint32_t)(a >> 32);
	atk_idt[vec].reserved = 0;
}

static struct desc_ptr catcher_on(void)
{
	struct desc_ptr fw = sidt(), mine;
	const uint8_t *src = (const uint8_t *)(uintptr_t)fw.base;
	uint8_t *dst = (uint8_t *)atk_idt;
	uint32_t n = (uint32_t)fw.limit + 1;

	for (uint32_t i = 0; i < sizeof(atk_idt); i++)
		dst[i] = i < n ? src[i] : 0;
	set_gate(VEC_UD, atk_stub_ud);
	set_gate(VEC_GP, atk_stub_gp);
	mine.limit = sizeof(atk_idt) - 1;
	mine.base = (uint64_t)(uintptr_t)atk_idt;
	lidt(&mine);
	return fw;
}

/* Runs `insn` (one instruction, operand in RCX, RAX, RDX) and returns the
 * vector it raised, or -1. */
#define TRY(insn, rcx, rax, rdx)                                             \
	({                                                                   \
		atk_vec = -1;                                                \
		__asm__ volatile("leaq 1f(%%rip), %%r11\n\t"                  \
				 "movq %%r11, %[res]\n\t" insn "\n1:"          \
				 : [res] "=m"(atk_resume)                     \
				 : "c"(rcx), "a"(rax), "d"(rdx)               \
				 : "r11", "memory");                          \
		(int)atk_vec;                                                \
	})

static const char *vec_name(int v)
{
	return v == VEC_GP ? "#GP" : v == VEC_UD ? "#UD" : v < 0 ? "no exception" : "?";
}

static void force_exit(void)
{
	(void)cpuid(0);
}

/* ---- the actions --------------------------------------------------------- */

static int cr3_high(void)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	return TRY("mov %%rcx, %%cr3", cr3 | (1ull << 45), 0, 0);
}

static int cr0_nw(void)
{
	uint64_t cr0 = read_cr0();
	int v = TRY("mov %%rcx, %%cr0", (cr0 | X86_CR0_NW) & ~X86_CR0_CD, 0, 0);

	force_exit();
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
	return v;
}

static int cr4_pae(void)
{
	uint64_t cr4 = read_cr4();
	int v = TRY("mov %%rcx, %%cr4", cr4 & ~X86_CR4_PAE, 0, 0);

	if (v < 0)
		__asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
	return v;
}

static int dr_high(int dr)
{
	int v;

	if (dr == 7) {
		v = TRY("mov %%rcx, %%dr7", (1ull << 32) | 0x400, 0, 0);
		force_exit();
		__asm__ volatile("mov %0, %%dr7" ::"r"(0x400ull));
	} else {
		v = TRY("mov %%rcx, %%dr6", (1ull << 32) | 0xffff0ff0ull, 0, 0);
		force_exit();
		__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ull));
	}
	return v;
}

static int dr7_high(void) { return dr_high(7); }
static int dr6_high(void) { return dr_high(6); }

static int wrmsr_try(uint32_t msr, uint64_t val)
{
	return TRY("wrmsr", msr, (uint32_t)val, (uint32_t)(val >> 32));
}

static int pat_bad(void)
{
	uint64_t pat = rdmsr(MSR_PAT);
	int v = wrmsr_try(MSR_PAT, (pat & ~0xffull) | 2);

	force_exit();
	if (v < 0)
		wrmsr(MSR_PAT, pat);
	return v;
}

static int efer_lmsle(void)
{
	uint64_t efer = rdmsr(MSR_EFER);
	int v = wrmsr_try(MSR_EFER, efer | X86_EFER_LMSLE);

	force_exit();
	if (v < 0)
		wrmsr(MSR_EFER, efer);
	return v;
}

/* A copy of the firmware's GDT with one more descriptor: a 64-bit code
 * segment with D set as well (APM Vol. 2 §4.8.1: L=1, D=1 is reserved). */
static uint64_t gdt_copy[64] __attribute__((aligned(16)));

static int cs_ld(void)
{
	struct desc_ptr fw, mine;
	uint16_t old_cs = read_cs(), sel;
	unsigned n;

	__asm__ volatile("sgdt %0" : "=m"(fw));
	n = ((unsigned)fw.limit + 1) / 8;
	if (n + 1 > sizeof(gdt_copy) / 8)
		return -2;
	for (unsigned i = 0; i < n; i++)
		gdt_copy[i] = ((const uint64_t *)(uintptr_t)fw.base)[i];
	/* limit 0xfffff, base 0, P=1 DPL=0 S=1 type=execute/read (0x9a),
	 * G=1 D=1 L=1 (flags nibble 0xe). */
	gdt_copy[n] = 0x00ef9a000000ffffull;
	sel = (uint16_t)(n * 8);
	mine.limit = (uint16_t)((n + 1) * 8 - 1);
	mine.base = (uint64_t)(uintptr_t)gdt_copy;
	__asm__ volatile("lgdt %0" ::"m"(mine) : "memory");
	/* Into the L+D segment, one exit there, and back. */
	__asm__ volatile("pushq %q0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "cpuid\n\t"
			 "pushq %q1\n\t"
			 "leaq 2f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "2:"
			 :
			 : "r"((uint64_t)sel), "r"((uint64_t)old_cs)
			 : "rax", "rbx", "rcx", "rdx", "memory");
	__asm__ volatile("lgdt %0" ::"m"(fw) : "memory");
	return -1;
}

struct action {
	const char *name;
	int (*run)(void);
};

static const struct action actions[] = {
	{ "cr3-high", cr3_high },   { "cr0-nw", cr0_nw },
	{ "dr7-high", dr7_high },   { "dr6-high", dr6_high },
	{ "pat-bad", pat_bad },     { "efer-lmsle", efer_lmsle },
	{ "cs-ld", cs_ld },          { "cr4-pae", cr4_pae },
};

/* ---- main ---------------------------------------------------------------- */

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static long hypercall(uint64_t nr, uint64_t *rbx, uint64_t *rcx)
{
	struct trap_session ts;
	struct hc_regs r = { nr, 0, 0, 0 };
	int fault;

	trap_begin(&ts);
	fault = trap_vmmcall(&r);
	trap_end(&ts);
	if (fault != TRAP_NONE)
		return -1000 - fault;
	*rbx = r.rbx;
	*rcx = r.rcx;
	return (long)r.rax;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	char name[32];
	const struct action *a = NULL;
	struct desc_ptr fw_idt;
	uint64_t flags, b = 0, c = 0;
	long ver, can;
	int v;

	guest_efi_init(image, st);
	guest_option_word(image, name, sizeof(name));
	for (unsigned i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (same(name, actions[i].name))
			a = &actions[i];
	if (!a) {
		gprintf("\nattack: unknown action '%s'; one of:", name);
		for (unsigned i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
			gprintf(" %s", actions[i].name);
		gprintf("\n");
		guest_exit(1);
	}
	gprintf("\nattack: %s: start\n", a->name);
	flags = irq_save();
	fw_idt = catcher_on();
	v = a->run();
	force_exit();
	lidt(&fw_idt);
	irq_restore(flags);
	gprintf("attack: %s: %s\n", a->name, vec_name(v));
	ver = hypercall(NV_HC_VERSION, &b, &c);
	can = hypercall(NV_HC_CANARY, &b, &c);
	if (ver != 0 || can != 0) {
		gprintf("attack: %s: VERSION %ld, CANARY %ld: not under nestvisor, "
			"or nestvisor is damaged\n", a->name, ver, can);
		guest_exit(1);
	}
	gprintf("attack: %s: nestvisor still serves L1\n", a->name);
	guest_exit(0);
}
