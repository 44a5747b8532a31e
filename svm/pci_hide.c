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

/* ---- registers whose writes are dropped ---------------------------------- */

#define MAX_LOCKED 8u

static struct {
	uint16_t bdf, reg, len;
} locked[MAX_LOCKED];
static unsigned n_locked;

int pci_lock_register(uint16_t bdf, uint16_t reg, uint16_t len)
{
	if (n_locked == MAX_LOCKED)
		return -NV_ERANGE;
	locked[n_locked++] = (typeof(locked[0])){ bdf, reg, len };
	return 0;
}

unsigned pci_locked_count(void)
{
	return n_locked;
}

bool pci_write_locked(uint16_t bdf, uint16_t reg, unsigned size)
{
	for (unsigned i = 0; i < n_locked; i++)
		if (locked[i].bdf == bdf && reg < locked[i].reg + locked[i].len &&
		    locked[i].reg < reg + size)
			return true;
	return false;
}

bool pci_config_data_write_locked(uint32_t config_address, unsigned off,
				  unsigned size)
{
	if (!(config_address & 0x80000000u))
		return false;
	return pci_write_locked((uint16_t)(config_address >> 8),
				(uint16_t)((config_address & 0xfc) + off), size);
}
