// SPDX-License-Identifier: MIT
/* The UEFI side's lines for the log ring (boot/bootlog.h). */
#include "boot/bootlog.h"

#include <stdbool.h>

#include "core/hypercall.h"
#include "core/log.h"

#define EARLY_SIZE (16u << 10)

static char early[EARLY_SIZE];
static uint64_t early_len;
static bool handed_over;

/* A line goes whole or not at all. */
static void to_buffer(const char *s, unsigned long len)
{
	if (early_len + len > EARLY_SIZE)
		return;
	for (unsigned long i = 0; i < len; i++)
		early[early_len + i] = s[i];
	early_len += len;
}

/* One call per part of the line that lies in one page. */
static void to_ring(const char *s, unsigned long len)
{
	while (len) {
		uint64_t a = (uint64_t)s, n = 4096 - (a & 0xfff);
		struct nv_hc_regs r = { .rax = NV_HC_BOOT_LOG, .rbx = a };

		if (n > len)
			n = len;
		r.rcx = n;
		nv_vmmcall(&r);
		s += n;
		len -= n;
	}
}

void bootlog_start(void)
{
	log_add_sink(to_buffer);
}

const char *bootlog_text(uint64_t *len)
{
	*len = early_len;
	return early;
}

void bootlog_hand_over(uint64_t copied)
{
	if (early_len > copied)
		to_ring(early + copied, early_len - copied);
	log_remove_sink(to_buffer);
	log_add_sink(to_ring);
	handed_over = true;
}

uint64_t bootlog_replay(uint64_t from,
			void (*out)(const char *s, unsigned long len))
{
	for (;;) {
		struct nv_hc_regs r = { .rax = NV_HC_LOG_READ, .rbx = from };
		uint64_t data[8];

		nv_vmmcall(&r);
		if ((int64_t)r.rax != NV_HC_OK || !r.rdx)
			return from;
		nv_hc_data(&r, data);
		out((const char *)data, r.rdx);
		from = r.rbx + r.rdx;
	}
}

void bootlog_close(void)
{
	log_remove_sink(to_buffer);
	log_remove_sink(to_ring);
	if (handed_over) {
		struct nv_hc_regs r = { .rax = NV_HC_BOOT_DONE };

		nv_vmmcall(&r);
	}
}
