// SPDX-License-Identifier: MIT
/*
 * The nvctl calls (core/hypercall.h, docs/hypercalls.md): each reads
 * nestvisor state and copies it into the caller's registers; none writes
 * anything but the trace's reader position.  Data words go to RSI, RDI,
 * R8..R13 in that order.
 */
#include "svm/nvctl.h"

#include "core/hvmem.h"
#include "core/log.h"
#include "core/nv_version.h"
#include "mm/shadow_npt.h"
#include "mm/spinlock.h"
#include "svm/nested.h"
#include "svm/npf_trace.h"
#include "svm/smp.h"
#include "svm/vcpu.h"

static struct npf_trace *trace;
static struct spinlock trace_lock = SPINLOCK_INIT; /* every CPU records */
static bool user_access;

int nvctl_init(bool user)
{
	trace = hv_alloc((sizeof(*trace) + 4095) / 4096);
	if (!trace)
		return -1;
	npf_trace_init(trace);
	user_access = user;
	return 0;
}

bool nvctl_allowed(uint64_t nr, unsigned cpl)
{
	if (nr < NV_HC_NVCTL_FIRST || nr > NV_HC_NVCTL_LAST)
		return false;
	return cpl == 0 || user_access;
}

static void set_data(struct guest_regs *g, const uint64_t w[8])
{
	g->rsi = w[0];
	g->rdi = w[1];
	g->r8 = w[2];
	g->r9 = w[3];
	g->r10 = w[4];
	g->r11 = w[5];
	g->r12 = w[6];
	g->r13 = w[7];
}

/* CPU n: the firmware's processor n (svm/smp.h slots), if it runs under
 * nestvisor.  Another CPU's counters and roots are read while it runs:
 * a snapshot, each word as it was at some moment. */
static struct cpu *cpu_by_index(struct cpu *self, uint64_t index)
{
	if (index == self->idx)
		return self;
	return index < NV_MAX_CPUS ? smp_cpu((unsigned)index) : 0;
}

static uint32_t features(const struct cpu *cpu)
{
	const struct nested *n = &cpu->nested;
	uint32_t f = log_ring_capacity() ? NV_FEAT_LOG_RING : 0;

	if (n->offered)
		f |= NV_FEAT_NESTED_SVM;
	if (n->offered && n->caps.np)
		f |= NV_FEAT_SHADOW_NPT;
	if (n->offered && n->caps.gmet)
		f |= NV_FEAT_GMET;
	if (svm_has(&cpu->caps, SVM_FEAT_GMET))
		f |= NV_FEAT_GMET_HW;
	if (svm_has(&cpu->caps, SVM_FEAT_NRIPS))
		f |= NV_FEAT_NRIPS_HW;
	if (cpu->caps.gbpages)
		f |= NV_FEAT_GBPAGES;
	if (user_access)
		f |= NV_FEAT_NVCTL_USER;
	return f;
}

static long info(struct cpu *cpu, struct guest_regs *g)
{
	uint64_t start, head, w[8] = { 0 };

	log_ring_bounds(&start, &head);
	g->rbx = NV_VERSION_WORD;
	g->rcx = features(cpu);
	g->rdx = __atomic_load_n(&smp.nr_running, __ATOMIC_RELAXED);
	w[0] = cpu->caps.edx;
	w[1] = cpu->nested.l1_cpuid_edx;
	w[2] = log_ring_capacity();
	w[3] = NPF_TRACE_CAPACITY;
	set_data(g, w);
	return NV_HC_OK;
}

static long log_read(struct guest_regs *g)
{
	uint64_t w[8] = { 0 }, from, start, head, n;

	n = log_ring_read(g->rbx, (char *)w, sizeof(w), &from);
	log_ring_bounds(&start, &head);
	g->rbx = from;
	g->rcx = head;
	g->rdx = n;
	set_data(g, w);
	return NV_HC_OK;
}

static long exit_counts(struct cpu *c, struct guest_regs *g)
{
	uint64_t w[8] = { 0 }, level = g->rcx, first = g->rdx;

	if (level > 1)
		return NV_HC_EINVAL;
	for (unsigned i = 0; i < 8 && first < NV_EXIT_SLOTS - i; i++)
		w[i] = c->exit_counts[first + i][level];
	g->rbx = NV_EXIT_SLOTS;
	set_data(g, w);
	return NV_HC_OK;
}

static long exit_detail_read(struct cpu *c, struct guest_regs *g)
{
	const struct exit_detail *d = &c->exit_detail;
	uint32_t used = __atomic_load_n(&d->used, __ATOMIC_ACQUIRE);
	uint64_t w[8] = { 0 }, first = g->rcx;

	for (unsigned i = 0; i < 4 && i < used && first < used - i; i++) {
		w[2 * i] = d->key[first + i];
		w[2 * i + 1] = d->count[first + i];
	}
	g->rbx = used;
	g->rcx = d->overflow;
	set_data(g, w);
	return NV_HC_OK;
}

static long cpu_stats(struct cpu *c, struct guest_regs *g)
{
	uint64_t w[8] = { 0 };

	g->rbx = c->nr_exits;
	g->rcx = c->nested.nr_vmruns;
	g->rdx = c->nested.nr_reflected;
	w[0] = c->npf_reflected;
	w[1] = nested_npt_faults(c);
	w[2] = hvmem.sink_maps;
	w[3] = hvmem.pa.nfree;
	w[4] = c->nr_fused;
	w[5] = c->nr_runahead;
	set_data(g, w);
	return NV_HC_OK;
}

static void snpt_words(const struct cpu *c, uint64_t out[NV_SNPT_WORDS])
{
	const struct snpt *s = c->nested.snpt;
	const struct snpt_stats *st = &s->stats;
	uint64_t roots = 0;

	for (unsigned i = 0; i < SNPT_MAX_ROOTS; i++)
		roots += s->roots[i].valid;
	out[NV_SNPT_W_FAULTS] = st->faults;
	out[NV_SNPT_W_INSTALLS] = st->installs;
	out[NV_SNPT_W_REFLECTS] = st->reflects;
	out[NV_SNPT_W_NO_L1_MEMORY] = st->no_l1_memory;
	out[NV_SNPT_W_SWITCHES] = st->switches;
	out[NV_SNPT_W_L1_WRITES] = st->l1_writes;
	out[NV_SNPT_W_INVLPGA] = st->invlpga;
	out[NV_SNPT_W_FLUSHES] = nested_npt_flushes(c);
	out[NV_SNPT_W_RESETS] = st->resets;
	out[NV_SNPT_W_EVICTIONS] = st->evictions;
	out[NV_SNPT_W_PROTECTS] = st->protects;
	out[NV_SNPT_W_UNPROTECTS] = st->unprotects;
	out[NV_SNPT_W_PROTECT_FAILS] = st->protect_failures;
	out[NV_SNPT_W_PAGES] = nested_npt_pages(c);
	out[NV_SNPT_W_USES] = s->nr_uses;
	out[NV_SNPT_W_ROOTS] = roots;
	out[NV_SNPT_W_UNSYNCS] = st->unsyncs;
	out[NV_SNPT_W_UNSYNC_NOW] = s->nr_unsync;
	out[NV_SNPT_W_PREFETCHED] = st->prefetch_installs;
}

static long snpt_stats(struct cpu *c, struct guest_regs *g)
{
	uint64_t all[NV_SNPT_WORDS] = { 0 }, w[8] = { 0 }, first = g->rcx;

	if (c->nested.snpt)
		snpt_words(c, all);
	for (unsigned i = 0; i < 8 && first < NV_SNPT_WORDS - i; i++)
		w[i] = all[first + i];
	g->rbx = NV_SNPT_WORDS;
	set_data(g, w);
	return NV_HC_OK;
}

static long snpt_root(struct cpu *c, struct guest_regs *g)
{
	const struct snpt *s = c->nested.snpt;
	const struct snpt_root *r;
	uint64_t w[8] = { 0 }, slot = g->rcx;

	if (!s || slot >= SNPT_MAX_ROOTS)
		return NV_HC_EINVAL;
	r = &s->roots[slot];
	g->rbx = SNPT_MAX_ROOTS;
	g->rcx = 0;
	g->rdx = 0;
	if (r->valid) {
		g->rcx = NV_ROOT_F_VALID |
			 (r->hpa == c->nested.npt_root ? NV_ROOT_F_CURRENT : 0) |
			 (r->exec == SNPT_EXEC_USER ? NV_ROOT_F_EXEC_USER : 0);
		g->rdx = r->ncr3;
		w[0] = r->role.as_u64;
		w[1] = r->root_role.word;
		w[2] = r->hpa;
		w[3] = r->last_used;
	}
	set_data(g, w);
	return NV_HC_OK;
}

static long trace_read(struct guest_regs *g)
{
	struct npf_trace_rec r;
	uint64_t w[8] = { 0 };
	bool got;

	spin_lock(&trace_lock);
	got = npf_trace_fetch(trace, g->rbx, &r);
	g->rcx = trace->head;
	g->rdx = trace->drops;
	spin_unlock(&trace_lock);
	if (!got) {
		g->rbx = g->rcx;
		set_data(g, w);
		return NV_HC_EMPTY;
	}
	g->rbx = r.seq;
	w[0] = r.ngpa;
	w[1] = r.exit_info_1;
	w[2] = r.hw_exit_info_1;
	w[3] = r.role;
	w[4] = r.rip;
	w[5] = (uint64_t)r.cpu | (uint64_t)(r.exec_user & 1) << 8 |
	       (uint64_t)(r.cpl & 3) << 16 | (uint64_t)r.level << 24 |
	       (uint64_t)(r.rights & 0xf) << 32 |
	       (uint64_t)r.maxphyaddr << 40 | (uint64_t)(r.gmet_hw & 1) << 48;
	w[6] = r.ncr3;
	set_data(g, w);
	return NV_HC_OK;
}

long nvctl_call(struct cpu *cpu, uint64_t nr)
{
	struct guest_regs *g = &cpu->gregs;
	struct cpu *c;

	switch (nr) {
	case NV_HC_INFO:
		return info(cpu, g);
	case NV_HC_LOG_READ:
		return log_read(g);
	case NV_HC_TRACE_READ:
		return trace_read(g);
	}
	c = cpu_by_index(cpu, g->rbx);
	if (!c)
		return NV_HC_EINVAL;
	switch (nr) {
	case NV_HC_EXIT_COUNTS:
		return exit_counts(c, g);
	case NV_HC_CPU_STATS:
		return cpu_stats(c, g);
	case NV_HC_SNPT_STATS:
		return snpt_stats(c, g);
	case NV_HC_SNPT_ROOT:
		return snpt_root(c, g);
	case NV_HC_EXIT_DETAIL:
		return exit_detail_read(c, g);
	default:
		return NV_HC_ENOSYS;
	}
}

void nvctl_trace_npf(struct cpu *cpu, const struct snpt_fault_result *r)
{
	const struct nested *n = &cpu->nested;
	const struct vmcb *v = n->vmcb02;
	struct npf_trace_rec rec = {
		.ngpa = r->exit_info_2,
		.exit_info_1 = r->exit_info_1,
		.hw_exit_info_1 = v->control.exit_info_1,
		.role = n->npt_role.as_u64,
		.rip = v->save.rip,
		.ncr3 = n->cache.ctrl.nested_cr3,
		.cpu = (uint8_t)cpu->idx,
		.exec_user = r->exec == SNPT_EXEC_USER,
		.cpl = v->save.cpl,
		.level = (uint8_t)r->fault_level,
		.rights = (uint8_t)r->rights,
		.maxphyaddr = n->caps.maxphyaddr,
		.gmet_hw = svm_has(&cpu->caps, SVM_FEAT_GMET),
	};

	cpu->npf_reflected++;
	if (trace) {
		spin_lock(&trace_lock);
		npf_trace_record(trace, &rec);
		spin_unlock(&trace_lock);
	}
}
