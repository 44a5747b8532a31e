/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets (docs/testing.md, "Fuzzing"): a cursor that
 * hands out the input's bytes as small integers (zeros once the input is
 * used up, so every input is valid), and the check that turns a broken
 * invariant into a crash, which both libFuzzer and the replay main report.
 */
#ifndef NV_TESTS_FUZZ_H
#define NV_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fin {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fin_u8(struct fin *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static inline uint64_t fin_bytes(struct fin *f, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)fin_u8(f) << (8 * i);
	return v;
}

static inline uint16_t fin_u16(struct fin *f) { return (uint16_t)fin_bytes(f, 2); }
static inline uint32_t fin_u32(struct fin *f) { return (uint32_t)fin_bytes(f, 4); }
static inline uint64_t fin_u64(struct fin *f) { return fin_bytes(f, 8); }
static inline bool fin_bool(struct fin *f) { return fin_u8(f) & 1; }

/* Harness code that only checks: kept out of libFuzzer's coverage, so
 * that it neither slows the fuzzer nor counts as progress. */
#if defined(__clang__)
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_NO_COVERAGE
#endif

/* A broken invariant: say which, then crash (libFuzzer keeps the input). */
#define FUZZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz invariant broken at %s:%d: %s: ", \
				__FILE__, __LINE__, #cond);		\
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			abort();					\
		}							\
	} while (0)

#endif
