/* SPDX-License-Identifier: MIT */
/*
 * nvctl: a look into nestvisor from Linux running as L1 (root, or any user
 * when nestvisor's config says nvctl = on; docs/hypercalls.md, "nvctl").
 * Every answer comes from the read-only nvctl hypercalls of
 * core/hypercall.h, in registers; nvctl never maps hypervisor memory.
 *   nvctl version           version, features, sizes
 *   nvctl log [-f]          the log ring (-f: follow)
 *   nvctl stats             counters per CPU and per exit reason
 *   nvctl snpt              the shadow NPT: counters and roots
 *   nvctl trace [options]   the #NPFs nestvisor reflects to L1, decoded
 */
#ifndef NV_NVCTL_NVCTL_H
#define NV_NVCTL_NVCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hypercall.h"

/* Exit status for bad usage (the others: 0 ok, 1 failure). */
#define NVCTL_EXIT_USAGE 2

/* Checks that nestvisor is there (CPUID 0x40000000) and that it answers
 * nvctl calls from here; exits with a message otherwise. */
void nvctl_probe(void);
/* One hypercall (call number in r->rax); returns the status (r->rax). */
long nvctl_call(struct nv_hc_regs *r);
/* NV_HC_INFO, cached. */
const struct nv_hc_regs *nvctl_info(void);

int cmd_version(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_snpt(int argc, char **argv);
int cmd_trace(int argc, char **argv);

/* A positive number argument of an option; exits with a message if it is
 * not one. */
uint64_t nvctl_number(const char *option, const char *s);
/* Sleep for ms milliseconds; false if interrupted by SIGINT/SIGTERM. */
bool nvctl_sleep_ms(unsigned ms);
/* Set once SIGINT or SIGTERM arrived. */
bool nvctl_stopped(void);

#endif
