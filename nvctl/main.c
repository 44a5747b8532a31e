// SPDX-License-Identifier: MIT
/* nvctl's command line, `version` and `log` (nvctl/nvctl.h). */
#include <stdio.h>
#include <string.h>

#include "nvctl/nvctl.h"

static const char usage[] =
"usage: nvctl COMMAND [options]\n"
"  version                 nestvisor's version, features and sizes\n"
"  log [-f]                nestvisor's log ring (-f: keep printing new lines)\n"
"  stats                   counters per CPU and per exit reason\n"
"  snpt                    the shadow NPT: counters and roots\n"
"  trace [-n N] [--for S] [--dump] [--brief] [--from SEQ]\n"
"                          the #NPFs nestvisor reflects to L1, decoded;\n"
"                          live until N records, S seconds or Ctrl-C;\n"
"                          --dump: the records held now, then exit\n"
"Needs nestvisor's config key nvctl = on (or CPL 0).\n";

static const char *const feature_names[] = {
	"nested-svm", "shadow-npt", "gmet", "gmet-hw", "nrips-hw", "1g-pages",
	"log-ring", "nvctl-user",
};

int cmd_version(int argc, char **argv)
{
	const struct nv_hc_regs *r = nvctl_info();
	uint64_t w[8];

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "nvctl: version takes no options\n");
		return NVCTL_EXIT_USAGE;
	}
	nv_hc_data(r, w);
	printf("nestvisor %u.%u.%u\n", (unsigned)(r->rbx >> 16) & 0xff,
	       (unsigned)(r->rbx >> 8) & 0xff, (unsigned)r->rbx & 0xff);
	printf("features:");
	for (unsigned i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
		if (r->rcx & (1u << i))
			printf(" %s", feature_names[i]);
	printf("\n");
	printf("virtualized CPUs: %llu\n", (unsigned long long)r->rdx);
	printf("CPUID 0x8000000A EDX: CPU 0x%llx, offered to L1 0x%llx\n",
	       (unsigned long long)w[0], (unsigned long long)w[1]);
	printf("log ring: %llu bytes; #NPF trace: %llu records\n",
	       (unsigned long long)w[2], (unsigned long long)w[3]);
	return 0;
}

/* Prints the ring from offset *pos on; returns false when nothing is new. */
static bool log_chunk(uint64_t *pos)
{
	struct nv_hc_regs r = { .rax = NV_HC_LOG_READ, .rbx = *pos };
	uint64_t w[8];

	if (nvctl_call(&r) != NV_HC_OK) {
		fprintf(stderr, "nvctl: NV_HC_LOG_READ failed (%ld)\n", (long)r.rax);
		return false;
	}
	if (r.rbx > *pos)
		printf("[nvctl: %llu bytes of the log were overwritten before this]\n",
		       (unsigned long long)(r.rbx - *pos));
	if (!r.rdx) {
		*pos = r.rbx;
		return false;
	}
	nv_hc_data(&r, w);
	fwrite(w, 1, r.rdx, stdout);
	*pos = r.rbx + r.rdx;
	return true;
}

int cmd_log(int argc, char **argv)
{
	bool follow = argc == 2 && !strcmp(argv[1], "-f");
	uint64_t pos = 0;

	if (argc > 2 || (argc == 2 && !follow)) {
		fprintf(stderr, "nvctl: log: the only option is -f\n");
		return NVCTL_EXIT_USAGE;
	}
	while (log_chunk(&pos))
		;
	while (follow && nvctl_sleep_ms(200)) {
		while (log_chunk(&pos))
			;
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
		{ "version", cmd_version }, { "log", cmd_log },
		{ "stats", cmd_stats }, { "snpt", cmd_snpt },
		{ "trace", cmd_trace },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? NVCTL_EXIT_USAGE : 0;
	}
	for (unsigned i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			nvctl_probe();
			return cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "nvctl: unknown command '%s'\n%s", argv[1], usage);
	return NVCTL_EXIT_USAGE;
}
