// SPDX-License-Identifier: MIT
/*
 * An L2 outside 64-bit mode: 32-bit protected mode, paging off, flat data
 * segments.  Instructions that nestvisor, not this L1, intercepts are
 * still executed as the CPU would (docs/nested.md):
 *  - the code's linear address is CS.base + EIP modulo 2^32 (APM Vol. 2
 *    chapter 4, "Segmented Virtual Memory": outside 64-bit mode linear
 *    addresses are 32 bits), so a CS base that makes the sum pass 4 GiB
 *    wraps: CPUID there completes and L2 goes on to its VMMCALL;
 *  - and, in L1 itself: VMSAVE and VMLOAD take "the portion of RAX ...
 *    determined by the effective address size" (APM Vol. 3 VMSAVE,
 *    VMLOAD): with a 67h prefix in 64-bit code that is EAX, so high bits
 *    of RAX that would make the address invalid (#GP) do not count.
 * The code is written into a page of L1 memory below 4 GiB (so L2's
 * physical addresses, which are L1's without nested paging, reach it).
 */
#include "nested.h"
#include "core/x86.h"

#define A(p) ((uint64_t)(uintptr_t)(p))
/* VMCB segment attributes (APM Vol. 2 §15.5.1): type, S, DPL, P, then
 * AVL, L, D/B, G in bits 11:8. */
#define ATTR_CODE32 (0xbu | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G)
#define ATTR_DATA32 (0x3u | SEG_ATTR_S | SEG_ATTR_P | SEG_ATTR_DB | SEG_ATTR_G)

static struct l2_gprs g;

/* L1: VMSAVE / VMLOAD with a 67h prefix (addr32: EAX), RAX from RDI;
 * as bytes, since not every assembler takes "vmsave %eax" in 64-bit
 * code. */
__asm__(".text\n"
	".globl modes_vmsave32\n.hidden modes_vmsave32\n"
	"modes_vmsave32:\n"
	"	movq %rdi, %rax\n"
	".globl modes_vmsave32_insn\n.hidden modes_vmsave32_insn\n"
	"modes_vmsave32_insn:\n"
	"	.byte 0x67, 0x0f, 0x01, 0xdb\n" /* VMSAVE, addr32 */
	"	ret\n"
	".globl modes_vmload32\n.hidden modes_vmload32\n"
	"modes_vmload32:\n"
	"	movq %rdi, %rax\n"
	".globl modes_vmload32_insn\n.hidden modes_vmload32_insn\n"
	"modes_vmload32_insn:\n"
	"	.byte 0x67, 0x0f, 0x01, 0xda\n" /* VMLOAD, addr32 */
	"	ret\n");
void modes_vmsave32(uint64_t rax);
void modes_vmload32(uint64_t rax);
extern const char modes_vmsave32_insn[], modes_vmload32_insn[];

static void flat(struct vmcb_seg *s, uint16_t attr, uint64_t base)
{
	s->selector = 0;
	s->attrib.raw = attr;
	s->limit = 0xffffffffu;
	s->base = base;
}

/* vmcb12 for a 32-bit L2 at CS.base cs_base running the code copied to a
 * fresh page: RIP is the page's offset from cs_base modulo 2^32.  NULL if
 * the page is not below 4 GiB. */
static struct vmcb *l2_32bit(const uint8_t *code, unsigned len,
			     uint32_t cs_base, uint64_t *rip)
{
	struct vmcb *v = env.vmcb;
	uint8_t *page = env_page();

	if (!page || A(page) >> 32) {
		tap_diag("no page below 4 GiB for L2's code");
		return 0;
	}
	for (unsigned i = 0; i < len; i++)
		page[i] = code[i];
	vmcb_default(v, 0);
	v->save.efer = X86_EFER_SVME;
	v->save.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	v->save.cr4 = 0;
	v->save.cr3 = 0;
	flat(&v->save.cs, ATTR_CODE32, cs_base);
	flat(&v->save.ss, ATTR_DATA32, 0);
	flat(&v->save.ds, ATTR_DATA32, 0);
	flat(&v->save.es, ATTR_DATA32, 0);
	*rip = (uint32_t)(A(page) - cs_base);
	v->save.rip = *rip;
	v->save.rsp = (uint32_t)env.l2_stack_top - 64;
	return v;
}

/* CPUID (0F A2) then VMMCALL (0F 01 D9), with CS.base 0xfff00000: the
 * sum CS.base + EIP passes 4 GiB.  L1 intercepts VMMCALL, not CPUID. */
static int cs_base_wraps(void)
{
	static const uint8_t code[] = { 0x0f, 0xa2, 0x0f, 0x01, 0xd9 };
	uint64_t rip;
	struct vmcb *v = l2_32bit(code, sizeof(code), 0xfff00000u, &rip);

	if (!v)
		return 0;
	v->save.rax = 0;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	tap_diag("EIP 0x%lx: CS.base + EIP = 0x%lx", rip, (uint64_t)0xfff00000u + rip);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("RIP at VMMCALL", v->save.rip, rip + 2) &
	       TAP_EXPECT_EQ("EAX (CPUID 0: highest leaf)",
			     (uint32_t)v->save.rax, cpuid(0).eax);
}

/* The instruction at insn (4 bytes: 67 0F 01 Dx) run by fn(rax), caught
 * if it raises an exception. */
static struct l1_trap try_addr32(void (*fn)(uint64_t), const char *insn,
				 uint64_t rax)
{
	l1_arm(A(insn), 4);
	fn(rax);
	return l1_disarm();
}

/* VMSAVE of L1's state to a page, then VMLOAD from it, both with RAX =
 * the page | bit 63 (beyond every MAXPHYADDR): EAX is the page, so both
 * complete, and what VMSAVE wrote is L1's (its FS base, from the MSR). */
static int vmsave_vmload_addr32(void)
{
	struct vmcb *page = env_page();
	uint64_t rax = A(page) | (1ull << 63), fs = rdmsr(MSR_FS_BASE);
	struct l1_trap t1, t2;

	if (!page || A(page) >> 32) {
		tap_diag("no page below 4 GiB");
		return 0;
	}
	page->save.fs.base = ~fs;
	t1 = try_addr32(modes_vmsave32, modes_vmsave32_insn, rax);
	t2 = try_addr32(modes_vmload32, modes_vmload32_insn, rax);
	return TAP_EXPECT_EQ("VMSAVE exception (-1: none)", t1.vector, -1) &
	       TAP_EXPECT_EQ("VMLOAD exception (-1: none)", t2.vector, -1) &
	       TAP_EXPECT_EQ("FS base VMSAVE stored", page->save.fs.base, fs) &
	       TAP_EXPECT_EQ("FS base after VMLOAD", rdmsr(MSR_FS_BASE), fs);
}

static const struct tap_case cases[] = {
	{ "modes.l2_32bit.cs_base_wraps_at_4g", cs_base_wraps },
	{ "modes.l1.vmsave_vmload_addr32_use_eax", vmsave_vmload_addr32 },
};

struct case_list modes_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
