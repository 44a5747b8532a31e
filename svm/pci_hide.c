// SPDX-License-Identifier: MIT
#include "svm/pci_hide.h"
#include "core/err.h"

#define MAX_HIDDEN 8u

static uint16_t hidden[MAX_HIDDEN];
static unsigned n_hidden;

int pci_hide_function(uint16_t bdf)
{
	if (n_hidden == MAX_HIDDEN)
		return -NV_ERANGE;
	hidden[n_hidden++] = bdf;
	return 0;
}

unsigned pci_hidden_count(void)
{
	return n_hidden;
}

bool pci_config_address_hidden(uint32_t config_address)
{
	uint16_t bdf = (uint16_t)(config_address >> 8);

	if (!(config_address & 0x80000000u))
		return false;
	for (unsigned i = 0; i < n_hidden; i++)
		if (hidden[i] == bdf)
			return true;
	return false;
}
