// SPDX-License-Identifier: MIT
/*
 * What every attack group shares: nestvisor's region and canary, the
 * closing check, a window of L1's linear space onto any physical address,
 * and the armed instructions of insns.S.
 */
#include "attack.h"
#include "core/hypercall.h"
#include "core/x86.h"
#include "mm/pte.h"
#include "tests/guest/lib/serial.h"

struct hv hv;

long hypercall(uint64_t nr, uint64_t *rbx, uint64_t *rcx)
{
	uint64_t rax = nr, b = 0, c = 0, d = 0;

	__asm__ volatile("vmmcall"
			 : "+a"(rax), "+b"(b), "+c"(c), "+d"(d)::"memory");
	if (rbx)
		*rbx = b;
	if (rcx)
		*rcx = c;
	return (long)rax;
}

int hv_probe(void)
{
	if (hypercall(NV_HC_HV_RANGE, &hv.base, &hv.size))
		return 0;
	return hypercall(NV_HC_CANARY, &hv.canary_pa, &hv.canary) == NV_HC_OK;
}

int hv_intact(void)
{
	uint64_t pa = 0, val = 0, ver = 0;

	return TAP_EXPECT_EQ("NV_HC_CANARY status",
			     (uint64_t)hypercall(NV_HC_CANARY, &pa, &val), 0) &
	       TAP_EXPECT_EQ("canary address", pa, hv.canary_pa) &
	       TAP_EXPECT_EQ("canary value", val, hv.canary) &
	       TAP_EXPECT_EQ("VERSION status",
			     (uint64_t)hypercall(NV_HC_VERSION, &ver, 0), 0) &
	       TAP_EXPECT_EQ("VERSION", ver, cpuid(NV_CPUID_VERSION_LEAF).eax);
}

/* ---- the window ----------------------------------------------------------- */

static uint64_t *win_pdpt, *win_pd;

static void invlpg(uint64_t la)
{
	__asm__ volatile("invlpg (%0)" ::"r"(la) : "memory");
}

void window_map(uint64_t pa)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)env.l1_cr3;

	if (!win_pdpt) {
		win_pdpt = env_page();
		win_pd = env_page();
	}
	win_pdpt[0] = (uint64_t)(uintptr_t)win_pd | PTE_P | PTE_RW;
	pml4[WINDOW >> 39] = (uint64_t)(uintptr_t)win_pdpt | PTE_P | PTE_RW;
	win_pd[0] = (pa & PTE64_ADDR_2M) | PTE_P | PTE_RW | PTE_PS;
	for (uint64_t off = 0; off < (2ull << 20); off += 4096)
		invlpg(WINDOW + off);
}

void window_unmap(void)
{
	if (win_pd) {
		win_pd[0] = 0;
		for (uint64_t off = 0; off < (2ull << 20); off += 4096)
			invlpg(WINDOW + off);
	}
}

/* ---- armed instructions ------------------------------------------------- */

#define ARMED(name) extern const char name##_insn[], name##_end[]
ARMED(a_wrmsr); ARMED(a_rdmsr); ARMED(a_mov_cr4); ARMED(a_mov_cr3);
ARMED(a_vmload); ARMED(a_vmsave); ARMED(a_vmrun); ARMED(a_read64);
ARMED(a_out8); ARMED(a_mov_cr0); ARMED(a_mov_dr7); ARMED(a_lmsw);
ARMED(a_lmsw_mem); ARMED(a_rep_outsw); ARMED(a_insw); ARMED(a_rep_stosb);
void a_rep_outsw(uint16_t port, const void *src, uint64_t count);
void a_rep_stosb(void *dst, uint8_t val, uint64_t count);
void a_insw(uint16_t port, void *dst);
void a_mov_cr0(uint64_t val);
void a_mov_dr7(uint64_t val);
void a_wrmsr(uint32_t msr, uint64_t val);
uint64_t a_rdmsr(uint32_t msr);
void a_mov_cr4(uint64_t val);
void a_lmsw(uint16_t val);
void a_lmsw_mem(const uint16_t *p);
void a_mov_cr3(uint64_t val);
void a_vmload(uint64_t pa);
void a_vmsave(uint64_t pa);
void a_vmrun(uint64_t pa);
uint64_t a_read64(uint64_t la);
void a_out8(uint16_t port, uint8_t val);

#define ARM(name) l1_arm((uint64_t)(uintptr_t)name##_insn, \
			 (uint64_t)(name##_end - name##_insn))

struct l1_trap try_wrmsr(uint32_t msr, uint64_t val)
{
	ARM(a_wrmsr);
	a_wrmsr(msr, val);
	return l1_disarm();
}

struct l1_trap try_rdmsr(uint32_t msr, uint64_t *val)
{
	ARM(a_rdmsr);
	*val = a_rdmsr(msr);
	return l1_disarm();
}

struct l1_trap try_mov_cr4(uint64_t val)
{
	ARM(a_mov_cr4);
	a_mov_cr4(val);
	return l1_disarm();
}

struct l1_trap try_mov_cr0(uint64_t val)
{
	ARM(a_mov_cr0);
	a_mov_cr0(val);
	return l1_disarm();
}

struct l1_trap try_lmsw(uint16_t val)
{
	ARM(a_lmsw);
	a_lmsw(val);
	return l1_disarm();
}

struct l1_trap try_lmsw_mem(const uint16_t *p)
{
	ARM(a_lmsw_mem);
	a_lmsw_mem(p);
	return l1_disarm();
}

struct l1_trap try_mov_dr7(uint64_t val)
{
	ARM(a_mov_dr7);
	a_mov_dr7(val);
	return l1_disarm();
}

struct l1_trap try_mov_cr3(uint64_t val)
{
	ARM(a_mov_cr3);
	a_mov_cr3(val);
	return l1_disarm();
}

struct l1_trap try_vmload(uint64_t pa)
{
	ARM(a_vmload);
	a_vmload(pa);
	return l1_disarm();
}

struct l1_trap try_vmsave(uint64_t pa)
{
	ARM(a_vmsave);
	a_vmsave(pa);
	return l1_disarm();
}

struct l1_trap try_vmrun(uint64_t pa)
{
	ARM(a_vmrun);
	a_vmrun(pa);
	return l1_disarm();
}

struct l1_trap try_read64(uint64_t la, uint64_t *val)
{
	ARM(a_read64);
	*val = a_read64(la);
	return l1_disarm();
}

struct l1_trap try_rep_outsw(uint16_t port, const void *src, uint64_t count)
{
	ARM(a_rep_outsw);
	a_rep_outsw(port, src, count);
	return l1_disarm();
}

struct l1_trap try_rep_stosb(void *dst, uint8_t val, uint64_t count)
{
	ARM(a_rep_stosb);
	a_rep_stosb(dst, val, count);
	return l1_disarm();
}

struct l1_trap try_insw(uint16_t port, void *dst)
{
	ARM(a_insw);
	a_insw(port, dst);
	return l1_disarm();
}

struct l1_trap try_out8(uint16_t port, uint8_t val)
{
	ARM(a_out8);
	a_out8(port, val);
	return l1_disarm();
}

int expect_vector(const char *what, struct l1_trap t, int vector)
{
	if (t.vector == vector)
		return 1;
	tap_diag("%s: exception %d (error code 0x%lx), want %d (-1: none)",
		 what, t.vector, t.error_code, vector);
	return 0;
}
