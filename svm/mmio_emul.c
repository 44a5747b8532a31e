// SPDX-License-Identifier: MIT
/* Decoding the instruction behind an emulated page's #NPF (svm/mmio_emul.h). */
#include "svm/mmio_emul.h"
#include "core/err.h"
#include "svm/intercepts.h"
#include "svm/vcpu.h"

void mmio_emul_refuse(struct cpu *cpu, uint64_t gpa, struct mmio_emul *e)
{
	uint64_t n;

	if (log_get_level() >= LOG_WARN && (n = log_limit_take(&e->limit)))
		nv_log_nth(LOG_WARN, n, "CPU %u: %s at 0x%lx by an instruction "
			   "nestvisor does not emulate (rip 0x%lx): #GP",
			   cpu->idx, e->what, gpa,
			   (uint64_t)cpu->cur->save.rip);
	inject_exception(cpu, X86_VEC_GP, true, 0);
}

int mmio_emul_decode(struct cpu *cpu, uint64_t gpa, struct mmio_emul *e,
		     struct insn *in)
{
	if (guest_insn_decode(cpu, in) || !(e->ops & MMIO_OP(in->op))) {
		mmio_emul_refuse(cpu, gpa, e);
		return -NV_EINVAL;
	}
	return 0;
}
