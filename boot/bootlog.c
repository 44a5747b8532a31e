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

struct hc_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, r8, r9, r10, r11, r12, r13;
};

static void vmmcall(struct hc_regs *r)
{
	register uint64_t r8 __asm__("r8"), r9 __asm__("r9"),
		r10 __asm__("r10"), r11 __asm__("r11"), r12 __asm__("r12"),
		r13 __asm__("r13");

	__asm__ volatile("vmmcall"
			 : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx),
			   "+d"(r->rdx), "=S"(r->rsi), "=D"(r->rdi), "=r"(r8),
			   "=r"(r9), "=r"(r10), "=r"(r11), "=r"(r12), "=r"(r13)
			 :
			 : "memory");
	r->r8 = r8;
	r->r9 = r9;
	r->r10 = r10;
	r->r11 = r11;
	r->r12 = r12;
	r->r13 = r13;
}

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
		struct hc_regs r = { .rax = NV_HC_BOOT_LOG, .rbx = a };

		if (n > len)
			n = len;
		r.rcx = n;
		vmmcall(&r);
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

void bootlog_hand_over(void)
{
	log_remove_sink(to_buffer);
	log_add_sink(to_ring);
	handed_over = true;
}

uint64_t bootlog_replay(uint64_t from,
			void (*out)(const char *s, unsigned long len))
{
	for (;;) {
		struct hc_regs r = { .rax = NV_HC_LOG_READ, .rbx = from };
		uint64_t data[8];

		vmmcall(&r);
		if ((int64_t)r.rax != NV_HC_OK || !r.rdx)
			return from;
		data[0] = r.rsi;
		data[1] = r.rdi;
		data[2] = r.r8;
		data[3] = r.r9;
		data[4] = r.r10;
		data[5] = r.r11;
		data[6] = r.r12;
		data[7] = r.r13;
		out((const char *)data, r.rdx);
		from = r.rbx + r.rdx;
	}
}

void bootlog_close(void)
{
	log_remove_sink(to_buffer);
	log_remove_sink(to_ring);
	if (handed_over) {
		struct hc_regs r = { .rax = NV_HC_BOOT_DONE };

		vmmcall(&r);
	}
}
