// SPDX-License-Identifier: MIT
/*
 * attack-nested: an L1 hypervisor (the `nested` payload's framework) that
 * runs one hostile L2 per run and reports what L1 got back.  A
 * reproduction tool for review findings, like tests/guest/attack.c: no
 * test is registered with it.  The action is the last word of the load
 * options (nestvisor.cfg `args = NAME`):
 *
 *   l2-cr0-nw      L2: MOV CR0 with NW=1, CD=0, then CPUID (neither
 *                  intercepted by L1).  Hardware: #GP(0) in L2 (APM Vol. 2
 *                  §3.1.1), i.e. #VMEXIT 0x4d to this L1, which intercepts
 *                  every exception.
 *   l2-efer-lmsle  L2: WRMSR EFER with LMSLE (bit 13), not intercepted by
 *                  L1.  Hardware without LMSLE (every Zen CPU, and QEMU's
 *                  EPYC model): #GP(0), #VMEXIT 0x4d.
 *   asid-wrap      vmcb12 ASID = 0xffffffff, L2 runs VMMCALL.  APM Vol. 2
 *                  §15.5.1 makes only ASID 0 illegal: #VMEXIT 0x81.
 *   irq-lost       no L2: L1 points RSP at a page of nestvisor's region it
 *                  has not touched yet and takes a self-IPI there.  The
 *                  delivery's first push exits (#NPF, EXITINTINFO = the
 *                  interrupt); the interrupt must still reach L1's handler
 *                  once (APM Vol. 2 §15.7.2: the hypervisor re-injects).
 *                  The "exit code" reported is the number of deliveries.
 *   irq-control    the same with the stack on an ordinary page of L1.
 *
 * After the run it prints the exit code and the state vmcb12 holds, and
 * flags each value that points into nestvisor's region (NV_HC_HV_RANGE):
 * that is hypervisor state written into L1's memory.
 *
 * tests/runner.py --name atkn --efi build/boot/nestvisor.efi \
 *   --next build/tests/guest/nested/attack-nested.efi \
 *   --config $'next = \\EFI\\nestvisor\\next.efi\nargs = NAME\n' \
 *   --expect-status 1 --verbose
 * Status 0 (QEMU 1): nestvisor survived and L1 got the hardware's exit.
 */
#include <efi.h>
#include <efilib.h>

#include "core/hypercall.h"
#include "core/x86.h"
#include "nested.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/serial.h"

/* L2 snippets: the hostile instruction, then CPUID (an exit nestvisor
 * handles for L2), then VMMCALL ("done"). */
__asm__(".text\n"
	".globl atk_l2_mov_cr0\n.hidden atk_l2_mov_cr0\n"
	"atk_l2_mov_cr0:\n"
	"	movq %rbx, %cr0\n"
	"	xorl %eax, %eax\n"
	"	cpuid\n"
	"	vmmcall\n"
	"	hlt\n"
	".globl atk_l2_wrmsr\n.hidden atk_l2_wrmsr\n"
	"atk_l2_wrmsr:\n"
	"	wrmsr\n"
	"	xorl %eax, %eax\n"
	"	cpuid\n"
	"	vmmcall\n"
	"	hlt\n");
extern const char atk_l2_mov_cr0[], atk_l2_wrmsr[], l2_vmmcall[];

static uint64_t hv_base, hv_size;

static long hypercall(uint64_t nr, uint64_t *rbx, uint64_t *rcx)
{
	uint64_t rax = nr, b = 0, c = 0, d = 0;

	__asm__ volatile("vmmcall"
			 : "+a"(rax), "+b"(b), "+c"(c), "+d"(d)::"memory");
	*rbx = b;
	*rcx = c;
	return (long)rax;
}

static int in_hv(uint64_t a)
{
	return a - hv_base < hv_size;
}

static unsigned leaks;

static void show(const char *what, uint64_t v)
{
	int leak = in_hv(v);

	gprintf("attack-nested:   vmcb12 %s 0x%lx%s\n", what, v,
		leak ? "  <- inside nestvisor's region" : "");
	leaks += (unsigned)leak;
}

static uint64_t run(struct vmcb *v, struct l2_gprs *g)
{
	uint64_t code = l2_run(v, g);

	gprintf("attack-nested: exit code 0x%lx info1 0x%lx info2 0x%lx\n",
		code, v->control.exit_info_1, v->control.exit_info_2);
	show("rip", v->save.rip);
	show("rsp", v->save.rsp);
	show("cr3", v->save.cr3);
	show("cr0", v->save.cr0);
	show("gdtr.base", v->save.gdtr.base);
	show("idtr.base", v->save.idtr.base);
	return code;
}

static uint64_t l2_cr0_nw(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rbx = (env.l1_cr0 | X86_CR0_NW) & ~X86_CR0_CD };

	vmcb_default(v, atk_l2_mov_cr0);
	return run(v, &g);
}

static uint64_t l2_efer_lmsle(void)
{
	struct vmcb *v = env.vmcb;
	uint64_t efer = env.l1_efer | X86_EFER_LMSLE;
	struct l2_gprs g = { .rcx = MSR_EFER, .rdx = efer >> 32 };

	vmcb_default(v, atk_l2_wrmsr);
	v->save.rax = (uint32_t)efer;
	return run(v, &g);
}

static uint64_t asid_wrap(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };

	vmcb_default(v, l2_vmmcall);
	v->control.asid = 0xffffffffu;
	return run(v, &g);
}

static uint64_t irq_on_stack(uint64_t top)
{
	uint32_t before = env.irq_count[VEC_IPI];

	stgi();
	apic_self_ipi(VEC_IPI); /* IF is clear: pending until the STI */
	__asm__ volatile("movq %%rsp, %%r12\n\t"
			 "movq %0, %%rsp\n\t"
			 "sti\n\tnop\n\tnop\n\tnop\n\tnop\n\tcli\n\t"
			 "movq %%r12, %%rsp"
			 :: "r"(top) : "r12", "memory");
	l1_drain_interrupts();
	gprintf("attack-nested: the self-IPI reached L1's handler %u times\n",
		env.irq_count[VEC_IPI] - before);
	return env.irq_count[VEC_IPI] - before;
}

static uint64_t irq_lost(void)
{
	return irq_on_stack(hv_base + hv_size - 0x3000 + 4096 - 128);
}

/* The same with the stack on an ordinary page of L1: the control. */
static uint64_t irq_control(void)
{
	return irq_on_stack((uint64_t)(uintptr_t)env_page() + 4096 - 128);
}

static const struct {
	const char *name;
	uint64_t (*run)(void);
	uint64_t hardware; /* the exit code hardware gives L1 */
} actions[] = {
	{ "l2-cr0-nw", l2_cr0_nw, VMEXIT_EXCP_BASE + X86_VEC_GP },
	{ "l2-efer-lmsle", l2_efer_lmsle, VMEXIT_EXCP_BASE + X86_VEC_GP },
	{ "asid-wrap", asid_wrap, VMEXIT_VMMCALL },
	{ "irq-lost", irq_lost, 1 },
	{ "irq-control", irq_control, 1 },
};

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	char name[32];
	unsigned i, n = sizeof(actions) / sizeof(actions[0]);
	uint64_t code, b, c;
	int ok;

	guest_efi_init(image, st);
	guest_option_word(image, name, sizeof(name));
	for (i = 0; i < n && !same(name, actions[i].name); i++)
		;
	if (i == n) {
		gprintf("\nattack-nested: unknown action '%s'; one of:", name);
		for (i = 0; i < n; i++)
			gprintf(" %s", actions[i].name);
		gprintf("\n");
		guest_exit(1);
	}
	if (hypercall(NV_HC_HV_RANGE, &hv_base, &hv_size) != NV_HC_OK) {
		gprintf("\nattack-nested: not under nestvisor\n");
		guest_exit(1);
	}
	if (!(cpuid(0x80000001).ecx & (1u << 2)) || !env_alloc()) {
		gprintf("\nattack-nested: no SVM, or out of memory\n");
		guest_exit(1);
	}
	gprintf("\nattack-nested: %s: start (nestvisor's region 0x%lx+0x%lx)\n",
		actions[i].name, hv_base, hv_size);
	env_enter();
	code = actions[i].run();
	env_leave();
	ok = hypercall(NV_HC_CANARY, &b, &c) == NV_HC_OK;
	gprintf("attack-nested: %s: exit 0x%lx, hardware gives 0x%lx; %u values "
		"from nestvisor's region; canary %s\n", actions[i].name, code,
		actions[i].hardware, leaks, ok ? "intact" : "CHANGED");
	guest_exit(ok && code == actions[i].hardware && !leaks ? 0 : 1);
}
