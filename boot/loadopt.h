/* SPDX-License-Identifier: MIT */
/*
 * Boot#### variables (EFI_LOAD_OPTION, UEFI 2.x §3.1.3) and BootOrder
 * (§3.3), parsed from untrusted NVRAM bytes.  Pure C for boot/next_auto.c
 * and the host tests.
 *
 * EFI_LOAD_OPTION, packed, no alignment:
 *	offset 0	UINT32 Attributes
 *	offset 4	UINT16 FilePathListLength (bytes)
 *	offset 6	CHAR16 Description[], NUL-terminated
 *	then		EFI_DEVICE_PATH_PROTOCOL FilePathList[],
 *			FilePathListLength bytes, one or more paths
 *	then		UINT8 OptionalData[] (the rest: the load options
 *			the boot manager passes to the image)
 */
#ifndef NV_BOOT_LOADOPT_H
#define NV_BOOT_LOADOPT_H

#include <stddef.h>
#include <stdint.h>

/* The spec's LOAD_OPTION_* attributes (gnu-efi defines some of the names). */
#define LOADOPT_ACTIVE		0x00000001u
#define LOADOPT_FORCE_RECONNECT	0x00000002u
#define LOADOPT_HIDDEN		0x00000008u
#define LOADOPT_CATEGORY		0x00001f00u
#define LOADOPT_CATEGORY_BOOT	0x00000000u
#define LOADOPT_CATEGORY_APP	0x00000100u

#define LOADOPT_HEADER_SIZE	6	/* Attributes + FilePathListLength */
/* A Boot#### variable larger than this is not read (malformed). */
#define LOADOPT_MAX_SIZE	16384
/* BootOrder entries looked at; more are ignored with a warning. */
#define BOOT_ORDER_MAX		128
/* Description characters kept for the log. */
#define LOADOPT_DESC_MAX	80

struct load_option {
	uint32_t attributes;
	/* ASCII ('?' for other characters), trailing blanks removed */
	char description[LOADOPT_DESC_MAX + 1];
	const uint8_t *path;		/* the first path of FilePathList */
	size_t path_len;		/* its bytes, End node included */
	const uint8_t *optional;	/* OptionalData, NULL if none */
	size_t optional_len;
};

/*
 * Parses an EFI_LOAD_OPTION of size bytes into *lo (pointers into buf).
 * Returns 0, or -NV_EINVAL with *why set: shorter than the header, larger
 * than LOADOPT_MAX_SIZE, Description without its NUL inside the buffer,
 * FilePathListLength past the buffer or below 4, a path that is malformed
 * or does not end inside FilePathListLength (boot/devpath.h).
 */
int loadopt_parse(const uint8_t *buf, size_t size, struct load_option *lo,
		  const char **why);

/*
 * Reads BootOrder (an array of UINT16, little-endian) of size bytes into
 * out[0..max).  *n gets the count stored.  Returns 0, -NV_EINVAL for an odd
 * size (*n = 0), or -NV_ERANGE when entries past max were dropped.
 */
int boot_order_parse(const uint8_t *buf, size_t size, uint16_t *out,
		     size_t max, size_t *n);

#endif
