// SPDX-License-Identifier: MIT
#include "svm/permmap.h"
#include "core/err.h"

int msrpm_bit(uint32_t msr, unsigned *bit)
{
	static const struct { uint32_t first; uint32_t byte; } blocks[] = {
		{ 0x00000000u, 0x000 },
		{ 0xc0000000u, 0x800 },
		{ 0xc0010000u, 0x1000 },
	};

	for (unsigned i = 0; i < 3; i++) {
		if (msr - blocks[i].first < 0x2000u) {
			*bit = blocks[i].byte * 8 + (msr - blocks[i].first) * 2;
			return 0;
		}
	}
	return -NV_ERANGE;
}

void msrpm_set(uint8_t *pm, uint32_t msr, bool read, bool write)
{
	unsigned bit;

	if (msrpm_bit(msr, &bit))
		return;
	if (read)
		pm[bit / 8] |= (uint8_t)(1u << (bit % 8));
	if (write)
		pm[(bit + 1) / 8] |= (uint8_t)(1u << ((bit + 1) % 8));
}

void iopm_set(uint8_t *pm, uint16_t port, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		unsigned p = port + i;
		pm[p / 8] |= (uint8_t)(1u << (p % 8));
	}
}
