// SPDX-License-Identifier: MIT
/*
 * The fuzz mode's driver (fuzz.h).  Load options (nestvisor.cfg `args`):
 *   fuzz            this mode instead of the case suite
 *   seed=N          the PRNG seed (default FUZZ_SEED; printed either way)
 *   vmcb12=N npt=N  how many samples of each kind (default 10000, 1000)
 *   batches=N       TAP cases per kind (default 10, at most 32)
 *   sample=KIND:I   replay one sample (KIND vmcb12 or npt), verbosely
 *   show=N          print the first N mismatches (default 8)
 *   first=N         start at sample N of each kind (default 0)
 * Numbers are decimal or 0x-hex.  Each batch is one TAP case: every sample
 * as the oracle says and, under nestvisor, its canary intact and
 * VERSION answered after the batch (NV_HC_CANARY, core/hypercall.h).  The
 * last lines count the outcomes by kind ("# fuzz: ...").
 *
 * L2 runs are bounded by a periodic LAPIC timer (INTR intercepted): see
 * fuzz_l2_run().  On bare QEMU (no nestvisor) the oracles also accept
 * what QEMU 7.2 TCG is known to do instead of hardware (docs/semantics.md
 * §10), counted as deviations.
 */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>

#include "fuzz.h"
#include "core/hypercall.h"
#include "core/x86.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/serial.h"

#define FUZZ_SEED      0x6e657374ull   /* "nest" */
#define TICK_COUNT     100000000u      /* ~100 ms at QEMU's 1 GHz APIC clock */
#define MISMATCH_SHOWN 8u
/* Runs of one sample before an INTR exit counts as L2 not exiting: a
 * loaded host stretches a run across ticks now and then. */
#define FUZZ_TRIES     10u

struct fuzz_cpu fcpu;

static struct {
	uint64_t seed, n_vmcb12, n_npt, batches, show, first;
	int replay_kind;          /* 0: none */
	uint64_t replay_i;
} opt;

static uint64_t canary_pa, canary_val;
static unsigned shown;

/* ---- load options ------------------------------------------------------ */

/* The value after "key=" in the load options, or def. */
static uint64_t option(const char *key, uint64_t def)
{
	const CHAR16 *o = guest_load_options();

	for (; o && *o; o++) {
		unsigned k = 0;
		uint64_t v = 0, base = 10;

		if (o != guest_load_options() && o[-1] != ' ')
			continue;
		while (key[k] && o[k] == (CHAR16)key[k])
			k++;
		if (key[k] || o[k] != '=')
			continue;
		o += k + 1;
		if (o[0] == '0' && (o[1] == 'x' || o[1] == 'X')) {
			base = 16;
			o += 2;
		}
		for (;; o++) {
			unsigned d;

			if (*o >= '0' && *o <= '9')
				d = *o - '0';
			else if (base == 16 && (*o | 0x20) >= 'a' && (*o | 0x20) <= 'f')
				d = (*o | 0x20) - 'a' + 10;
			else
				break;
			v = v * base + d;
		}
		return v;
	}
	return def;
}

/* sample=vmcb12:I or sample=npt:I */
static void replay_option(void)
{
	static const char *const kinds[] = { "vmcb12:", "npt:" };
	const CHAR16 *o = guest_load_options();

	for (; o && *o; o++) {
		if ((o != guest_load_options() && o[-1] != ' ') ||
		    o[0] != 's' || o[1] != 'a' || o[2] != 'm' || o[3] != 'p' ||
		    o[4] != 'l' || o[5] != 'e' || o[6] != '=')
			continue;
		for (unsigned k = 0; k < 2; k++) {
			const CHAR16 *p = o + 7;
			unsigned j = 0;

			while (kinds[k][j] && p[j] == (CHAR16)kinds[k][j])
				j++;
			if (kinds[k][j])
				continue;
			opt.replay_kind = k == 0 ? FUZZ_KIND_VMCB12 : FUZZ_KIND_NPT;
			for (p += j; *p >= '0' && *p <= '9'; p++)
				opt.replay_i = opt.replay_i * 10 + (*p - '0');
		}
	}
}

/* ---- the CPU as L1 sees it --------------------------------------------- */

static long hypercall(uint64_t nr, uint64_t *rbx, uint64_t *rcx)
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

static int bit(uint32_t reg, unsigned n)
{
	return (reg >> n) & 1;
}

/* CR4 and EFER bits a guest may set, from L1's CPUID (APM Vol. 2 §3.1.3
 * Figure 3-7 and §3.1.7 Figure 3-8 name each bit and its feature; Vol. 3
 * Appendix E the CPUID bits). */
static void cpu_facts(void)
{
	struct cpuid_regs l0 = cpuid(0), l1 = cpuid(1), l7 = { 0 };
	struct cpuid_regs e0 = cpuid(0x80000000), e1 = cpuid(0x80000001);
	struct cpuid_regs e8 = cpuid(0x80000008), ea = cpuid(0x8000000a);
	struct cpuid_regs e21 = { 0 }, hv = cpuid(NV_CPUID_VENDOR_LEAF);
	uint64_t c = 0, e = 0;

	if (l0.eax >= 7)
		l7 = cpuid_count(7, 0);
	if (e0.eax >= 0x80000021)
		e21 = cpuid(0x80000021);
	fcpu.maxphy = e8.eax & 0xff;
	fcpu.nasid = ea.ebx;
	fcpu.np = bit(ea.edx, 0);
	fcpu.lbrv = bit(ea.edx, 1);
	fcpu.vgif = bit(ea.edx, 16);
	fcpu.gmet = bit(ea.edx, 17);
	fcpu.vnmi = bit(ea.edx, 25);
	fcpu.gbpages = bit(e1.edx, 26);

	c |= (uint64_t)bit(l1.edx, 1) << 0 | (uint64_t)bit(l1.edx, 1) << 1; /* VME, PVI: VME */
	c |= (uint64_t)bit(l1.edx, 4) << 2;   /* TSD: TSC */
	c |= (uint64_t)bit(l1.edx, 2) << 3;   /* DE */
	c |= (uint64_t)bit(l1.edx, 3) << 4;   /* PSE */
	c |= (uint64_t)bit(l1.edx, 6) << 5;   /* PAE */
	c |= (uint64_t)bit(l1.edx, 7) << 6;   /* MCE */
	c |= (uint64_t)bit(l1.edx, 13) << 7;  /* PGE */
	c |= 1ull << 8;                       /* PCE: no feature bit */
	c |= (uint64_t)bit(l1.edx, 24) << 9;  /* OSFXSR: FXSR */
	c |= (uint64_t)bit(l1.edx, 25) << 10; /* OSXMMEXCPT: SSE */
	c |= (uint64_t)bit(l7.ecx, 2) << 11;  /* UMIP */
	c |= (uint64_t)bit(l7.ecx, 16) << 12; /* LA57 */
	c |= (uint64_t)bit(l7.ebx, 0) << 16;  /* FSGSBASE */
	c |= (uint64_t)bit(l1.ecx, 17) << 17; /* PCIDE: PCID */
	c |= (uint64_t)bit(l1.ecx, 26) << 18; /* OSXSAVE: XSAVE */
	c |= (uint64_t)bit(l7.ebx, 7) << 20;  /* SMEP */
	c |= (uint64_t)bit(l7.ebx, 20) << 21; /* SMAP */
	c |= (uint64_t)bit(l7.ecx, 3) << 22;  /* PKE: PKU */
	c |= (uint64_t)bit(l7.ecx, 7) << 23;  /* CET: CET_SS */
	fcpu.cr4_ok = c;

	e |= (uint64_t)bit(e1.edx, 11) << 0;  /* SCE: SysCallSysRet */
	e |= (uint64_t)bit(e1.edx, 29) << 8;  /* LME: LM */
	e |= (uint64_t)bit(e1.edx, 29) << 10; /* LMA: LM */
	e |= (uint64_t)bit(e1.edx, 20) << 11; /* NXE: NX */
	e |= (uint64_t)bit(e1.ecx, 2) << 12;  /* SVME: SVM */
	e |= (uint64_t)!bit(e8.ebx, 20) << 13; /* LMSLE: not EferLmsleUnsupported */
	e |= (uint64_t)bit(e1.edx, 25) << 14; /* FFXSR */
	e |= (uint64_t)bit(e1.ecx, 17) << 15; /* TCE */
	e |= (uint64_t)bit(e8.ebx, 8) << 17;  /* MCOMMIT */
	e |= (uint64_t)bit(e8.ebx, 13) << 18; /* INTWB: INT_WBINVD */
	e |= (uint64_t)bit(e21.eax, 7) << 20; /* UAIE: UpperAddressIgnore */
	e |= (uint64_t)bit(e21.eax, 8) << 21; /* AIBRSE: AutomaticIBRS */
	fcpu.efer_ok = e;

	fcpu.under_nv = hv.ebx == NV_CPUID_SIG_EBX && hv.ecx == NV_CPUID_SIG_ECX &&
			hv.edx == NV_CPUID_SIG_EDX;
	if (fcpu.under_nv &&
	    (hypercall(NV_HC_HV_RANGE, &fcpu.hv_base, &fcpu.hv_size) ||
	     hypercall(NV_HC_CANARY, &canary_pa, &canary_val)))
		fcpu.under_nv = 0;
}

/* ---- running L2 ------------------------------------------------------------ */

uint64_t fuzz_l2_run(const struct vmcb *src, struct vmcb *v,
		     struct l2_gprs *g, struct fuzz_counts *c)
{
	const struct l2_gprs g0 = *g;

	for (unsigned tries = 0;; tries++) {
		for (unsigned i = 0; i < sizeof(*v) / 8; i++)
			((volatile uint64_t *)v)[i] = ((const uint64_t *)src)[i];
		*g = g0;
		clgi();
		__asm__ volatile("sti" ::: "memory");
		nested_vmrun((uint64_t)(uintptr_t)v, g);
		cli();
		l1_drain_interrupts();
		if (v->control.exit_code != VMEXIT_INTR || tries == FUZZ_TRIES - 1)
			return v->control.exit_code;
		c->retries++;
	}
}

void fuzz_mismatch(struct fuzz_counts *c, const char *kind, uint64_t i,
		   const char *fmt, ...)
{
	va_list ap;

	c->mismatches++;
	if (shown >= opt.show)
		return;
	shown++;
	gprintf("# mismatch: %s sample %lu (replay: args = fuzz seed=0x%lx "
		"sample=%s:%lu): ", kind, i, opt.seed, kind, i);
	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
	serial_putc('\n');
}

/* ---- batches --------------------------------------------------------------- */

static struct fuzz_counts cnt[2];   /* vmcb12, npt */
static unsigned kind_of_case[64];
static uint64_t first_of_case[64], end_of_case[64];
static unsigned case_no;

static int hv_intact(void)
{
	uint64_t pa = 0, val = 0, ver = 0;

	if (!fcpu.under_nv)
		return 1;
	return TAP_EXPECT_EQ("NV_HC_CANARY status",
			     (uint64_t)hypercall(NV_HC_CANARY, &pa, &val), 0) &
	       TAP_EXPECT_EQ("canary address", pa, canary_pa) &
	       TAP_EXPECT_EQ("canary value", val, canary_val) &
	       TAP_EXPECT_EQ("VERSION status",
			     (uint64_t)hypercall(NV_HC_VERSION, &ver, 0), 0) &
	       TAP_EXPECT_EQ("VERSION", ver, cpuid(NV_CPUID_VERSION_LEAF).eax);
}

static int run_batch(void)
{
	unsigned k = case_no++;
	unsigned kind = kind_of_case[k];
	struct fuzz_counts *c = &cnt[kind == FUZZ_KIND_NPT];
	uint64_t before = c->mismatches;

	for (uint64_t i = first_of_case[k]; i < end_of_case[k]; i++) {
		if (kind == FUZZ_KIND_NPT)
			fuzz_npt_sample(opt.seed, i, c, 0);
		else
			fuzz_vmcb12_sample(opt.seed, i, c, 0);
	}
	if (c->mismatches != before)
		tap_diag("%lu of samples %lu..%lu did not match the oracle",
			 c->mismatches - before, first_of_case[k], end_of_case[k] - 1);
	return (c->mismatches == before) & hv_intact();
}

static int run_replay(void)
{
	int ok;

	if (opt.replay_kind == FUZZ_KIND_NPT)
		ok = fuzz_npt_sample(opt.seed, opt.replay_i, &cnt[1], 1);
	else
		ok = fuzz_vmcb12_sample(opt.seed, opt.replay_i, &cnt[0], 1);
	return ok & hv_intact();
}

static void summary(void)
{
	const struct fuzz_counts *v = &cnt[0], *n = &cnt[1];

	gprintf("# fuzz: vmcb12: %lu samples, %lu mismatches: VMEXIT_INVALID %lu, "
		"VMMCALL %lu, HLT %lu, injected event %lu, #NPF (GMET) %lu\n",
		v->samples, v->mismatches, v->invalid, v->vmmcall, v->hlt,
		v->event, v->npf);
	gprintf("# fuzz: vmcb12 rules broken:");
	for (unsigned k = 0; k < 32; k++)
		if (v->rules[k])
			gprintf(" %s %lu", fuzz_vmcb12_rule_name(k), v->rules[k]);
	gprintf("\n");
	gprintf("# fuzz: npt: %lu samples, %lu mismatches: done read %lu, write %lu, "
		"fetch %lu; #NPF %lu (not present %lu, reserved bit %lu, "
		"permission %lu, page-table stage %lu); made reads %lu, "
		"tables drawn again %lu\n",
		n->samples, n->mismatches, n->ok_read, n->ok_write, n->ok_fetch,
		n->npf, n->npf_np, n->npf_rsvd, n->npf_perm, n->npf_pt,
		n->to_read, n->rerolls);
	gprintf("# fuzz: runs cut by the timer and made again %lu; known QEMU TCG "
		"deviations %lu\n", v->retries + n->retries,
		v->deviations + n->deviations);
	if (fcpu.under_nv)
		return;
	for (unsigned k = 0; k < 32; k++) {
		if (v->dev_unchecked[k])
			gprintf("# fuzz: TCG deviation: VMRUN does not check %s: %lu\n",
				fuzz_vmcb12_rule_name(k), v->dev_unchecked[k]);
		if (v->dev_refused[k])
			gprintf("# fuzz: TCG deviation: VMRUN refuses a valid %s: %lu\n",
				fuzz_vmcb12_rule_name(k), v->dev_refused[k]);
	}
	gprintf("# fuzz: TCG deviation: VMEXIT_INVALID keeps EXITINFO2: %lu\n",
		v->dev[FUZZ_DEV_EXITINFO2]);
	gprintf("# fuzz: TCG deviation: reserved-bit #NPF with P clear: %lu\n",
		n->dev[FUZZ_DEV_RSVD_P]);
	gprintf("# fuzz: TCG deviation: no I/D bit for L1's CR4.SMEP alone: %lu\n",
		n->dev[FUZZ_DEV_ID_SMEP]);
	gprintf("# fuzz: TCG deviation: PML4E bit 8 not reserved: %lu\n",
		n->dev[FUZZ_DEV_PML4E_BIT8]);
}

void fuzz_main(void)
{
	static struct tap_case cases[64];
	unsigned ncases = 0, failed;

	opt.seed = option("seed", FUZZ_SEED);
	opt.n_vmcb12 = option("vmcb12", 10000);
	opt.n_npt = option("npt", 1000);
	opt.batches = option("batches", 10);
	opt.first = option("first", 0);
	opt.show = option("show", MISMATCH_SHOWN);
	if (!opt.batches || opt.batches > 32)
		opt.batches = 10;
	replay_option();
	if (!fuzz_vmcb12_alloc() || !fuzz_npt_alloc()) {
		gprintf("Bail out! out of memory\n");
		guest_exit(1);
	}
	for (unsigned kind = FUZZ_KIND_VMCB12; kind <= FUZZ_KIND_NPT; kind++) {
		uint64_t n = kind == FUZZ_KIND_NPT ? opt.n_npt : opt.n_vmcb12;
		uint64_t b = (n + opt.batches - 1) / opt.batches;

		if (opt.replay_kind)
			break;
		for (uint64_t i = 0; i < n; i += b) {
			kind_of_case[ncases] = kind;
			first_of_case[ncases] = opt.first + i;
			end_of_case[ncases] = opt.first + (i + b < n ? i + b : n);
			cases[ncases++] = (struct tap_case){
				kind == FUZZ_KIND_NPT ? "fuzz.npt.batch" :
							"fuzz.vmcb12.batch",
				run_batch };
		}
	}
	if (opt.replay_kind)
		cases[ncases++] = (struct tap_case){ "fuzz.replay", run_replay };

	env_enter();
	cpu_facts();
	gprintf("# fuzz: seed 0x%lx; %lu vmcb12s, %lu L1 NPTs, %lu batches of "
		"each; %s; L1's MAXPHYADDR %u, %u ASIDs, GMET %d, vNMI %d\n",
		opt.seed, opt.n_vmcb12, opt.n_npt, opt.batches,
		fcpu.under_nv ? "under nestvisor" : "no nestvisor (bare CPU)",
		fcpu.maxphy, fcpu.nasid, fcpu.gmet, fcpu.vnmi);
	if (fcpu.maxphy < 40) {
		gprintf("Bail out! the NPT samples need MAXPHYADDR 40 or more\n");
		guest_exit(1);
	}
	gprintf("TAP version 13\n");
	tap_plan(ncases);
	apic_timer_periodic(VEC_TICK, TICK_COUNT);
	failed = tap_run(cases, ncases);
	apic_timer_stop();
	summary();
	env_leave();
	gprintf("# nested: fuzz: %u of %u cases failed\n", failed, ncases);
	guest_exit(failed ? 1 : 0);
}
