// SPDX-License-Identifier: MIT
/*
 * Making nvctl calls.  VMMCALL at CPL 3 exits to nestvisor, which answers
 * or injects #UD (nvctl = off); Linux turns the #UD into SIGILL, which
 * nvctl catches around each call to say what to change.
 */
#include <cpuid.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvctl/nvctl.h"

static sigjmp_buf ud_jump;
static volatile sig_atomic_t stop;

static void on_sigill(int sig)
{
	(void)sig;
	siglongjmp(ud_jump, 1);
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

bool nvctl_stopped(void)
{
	return stop;
}

bool nvctl_sleep_ms(unsigned ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	if (!stop)
		nanosleep(&t, NULL);
	return !stop;
}

long nvctl_call(struct nv_hc_regs *r)
{
	struct sigaction sa, old;
	uint64_t nr = r->rax;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigill;
	sigaction(SIGILL, &sa, &old);
	if (sigsetjmp(ud_jump, 1)) {
		sigaction(SIGILL, &old, NULL);
		fprintf(stderr, "nvctl: nestvisor refused hypercall 0x%llx from user "
			"space (#UD): set nvctl = on in nestvisor.cfg\n",
			(unsigned long long)nr);
		exit(1);
	}
	nv_vmmcall(r);
	sigaction(SIGILL, &old, NULL);
	return (long)r->rax;
}

void nvctl_probe(void)
{
	unsigned a, b, c, d;
	struct sigaction sa;

	__cpuid(NV_CPUID_VENDOR_LEAF, a, b, c, d);
	if (b != NV_CPUID_SIG_EBX || c != NV_CPUID_SIG_ECX ||
	    d != NV_CPUID_SIG_EDX) {
		fprintf(stderr, "nvctl: not running under nestvisor (CPUID "
			"0x40000000 does not say NestVisor)\n");
		exit(1);
	}
	(void)a;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const struct nv_hc_regs *nvctl_info(void)
{
	static struct nv_hc_regs info;
	static bool have;

	if (!have) {
		info = (struct nv_hc_regs){ .rax = NV_HC_INFO };
		if (nvctl_call(&info) != NV_HC_OK) {
			fprintf(stderr, "nvctl: NV_HC_INFO failed (%ld)\n",
				(long)info.rax);
			exit(1);
		}
		have = true;
	}
	return &info;
}

uint64_t nvctl_number(const char *option, const char *s)
{
	char *end;
	unsigned long long v;

	if (!s) {
		fprintf(stderr, "nvctl: %s: missing value\n", option);
		exit(NVCTL_EXIT_USAGE);
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '-' || !*s || *end || errno) {
		fprintf(stderr, "nvctl: %s: malformed number '%s'\n", option, s);
		exit(NVCTL_EXIT_USAGE);
	}
	return v;
}
