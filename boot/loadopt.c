// SPDX-License-Identifier: MIT
/*
 * EFI_LOAD_OPTION and BootOrder parsing (boot/loadopt.h).  The header is
 * read byte by byte (the buffer may be unaligned), then the Description is
 * scanned for its NUL within the buffer, then FilePathListLength is checked
 * against what is left, then the first path is validated inside
 * FilePathListLength only (dp_length with that bound): so no field can make
 * a later one start outside the buffer.
 */
#include "boot/loadopt.h"

#include <stdbool.h>

#include "boot/devpath.h"
#include "mm/err.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int loadopt_parse(const uint8_t *buf, size_t size, struct load_option *lo,
		  const char **why)
{
	size_t off = LOADOPT_HEADER_SIZE, nd = 0, list_len, plen;
	bool nul = false;

	if (size < LOADOPT_HEADER_SIZE) {
		*why = "shorter than its 6-byte header";
		return -NV_EINVAL;
	}
	if (size > LOADOPT_MAX_SIZE) {
		*why = "larger than 16 KiB";
		return -NV_EINVAL;
	}
	lo->attributes = get32(buf);
	list_len = get16(buf + 4);

	for (; off + 1 < size; off += 2) {
		uint16_t ch = get16(buf + off);

		if (!ch) {
			nul = true;
			off += 2;
			break;
		}
		if (nd < LOADOPT_DESC_MAX)
			lo->description[nd++] =
				ch >= 0x20 && ch <= 0x7e ? (char)ch : '?';
	}
	while (nd && lo->description[nd - 1] == ' ')
		nd--;	/* OVMF pads its disk names with a blank */
	lo->description[nd] = '\0';
	if (!nul) {
		*why = "its Description has no NUL inside the variable";
		return -NV_EINVAL;
	}
	if (list_len < DP_HDR_SIZE) {
		*why = "FilePathListLength is below 4";
		return -NV_EINVAL;
	}
	if (list_len > size - off) {
		*why = "FilePathListLength runs past the variable";
		return -NV_EINVAL;
	}
	if (dp_length(buf + off, list_len, &plen, why))
		return -NV_EINVAL;
	lo->path = buf + off;
	lo->path_len = plen;
	off += list_len;
	lo->optional = off < size ? buf + off : NULL;
	lo->optional_len = size - off;
	return 0;
}

int boot_order_parse(const uint8_t *buf, size_t size, uint16_t *out,
		     size_t max, size_t *n)
{
	size_t count = size / 2;

	*n = 0;
	if (size % 2)
		return -NV_EINVAL;
	for (size_t i = 0; i < count && i < max; i++)
		out[(*n)++] = get16(buf + 2 * i);
	return count > max ? -NV_ERANGE : 0;
}
