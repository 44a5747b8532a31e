// SPDX-License-Identifier: MIT
/*
 * boot/loadopt.c and boot/devpath.c: Boot#### and BootOrder variables and
 * device paths, well-formed and malformed.  The buffers are written here
 * byte by byte from the UEFI 2.x layouts (§3.1.3 EFI_LOAD_OPTION, §3.3
 * BootOrder, §10.2 the node header, §10.3 the nodes: ACPI PciRoot 02/01,
 * PCI 01/01, SATA 03/12, hard drive 04/01, file path 04/04, PIWG firmware
 * file 04/06 and volume 04/07, End 7F/FF and 7F/01), not with the code
 * under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/devpath.h"
#include "boot/loadopt.h"
#include "mm/err.h"

/* ---- a byte buffer and the spec's encodings ---------------------------- */

struct buf {
	uint8_t b[20000];
	size_t n;
};

static void put8(struct buf *b, uint8_t v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = v;
}

static void put16(struct buf *b, uint16_t v)
{
	put8(b, (uint8_t)v);
	put8(b, (uint8_t)(v >> 8));
}

static void put32(struct buf *b, uint32_t v)
{
	put16(b, (uint16_t)v);
	put16(b, (uint16_t)(v >> 16));
}

static void put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void put_ucs2(struct buf *b, const char *s)
{
	for (; *s; s++)
		put16(b, (uint8_t)*s);
	put16(b, 0);
}

static void hdr(struct buf *b, uint8_t type, uint8_t sub, uint16_t len)
{
	put8(b, type);
	put8(b, sub);
	put16(b, len);
}

/* ACPI_DEVICE_PATH PciRoot(0): _HID PNP0A03 (EISA 0x0a0341d0), _UID 0. */
static void pci_root(struct buf *b)
{
	hdr(b, 0x02, 0x01, 12);
	put32(b, 0x0a0341d0);
	put32(b, 0);
}

/* PCI_DEVICE_PATH: Function, then Device. */
static void pci(struct buf *b, uint8_t dev, uint8_t fn)
{
	hdr(b, 0x01, 0x01, 6);
	put8(b, fn);
	put8(b, dev);
}

/* SATA_DEVICE_PATH: HBAPortNumber, PortMultiplierPortNumber, Lun. */
static void sata(struct buf *b, uint16_t port)
{
	hdr(b, 0x03, 0x12, 10);
	put16(b, port);
	put16(b, 0xffff);
	put16(b, 0);
}

/* HARDDRIVE_DEVICE_PATH, GPT: number, start, size, signature, 2, 2. */
static void hd(struct buf *b, uint32_t part, uint8_t sig_byte)
{
	hdr(b, 0x04, 0x01, 42);
	put32(b, part);
	put64(b, 2048);
	put64(b, 126976);
	for (int i = 0; i < 16; i++)
		put8(b, (uint8_t)(sig_byte + i));
	put8(b, 0x02);	/* MBRType: GPT */
	put8(b, 0x02);	/* SignatureType: GUID */
}

static void file(struct buf *b, const char *path)
{
	hdr(b, 0x04, 0x04, (uint16_t)(4 + 2 * (strlen(path) + 1)));
	put_ucs2(b, path);
}

static void fv_file(struct buf *b)
{
	hdr(b, 0x04, 0x06, 20);
	for (int i = 0; i < 16; i++)
		put8(b, (uint8_t)(0x40 + i));
}

static void end(struct buf *b)
{
	hdr(b, 0x7f, 0xff, 4);
}

/* PciRoot(0)/Pci(0x1f,0x2)/Sata(port,0xffff,0): OVMF's disk entries. */
static void disk(struct buf *b, uint16_t port)
{
	pci_root(b);
	pci(b, 0x1f, 0x2);
	sata(b, port);
}

/* An EFI_LOAD_OPTION: header, Description, the path in p, optional. */
static void load_option(struct buf *out, uint32_t attr, const char *desc,
			const struct buf *p, const void *opt, size_t opt_len)
{
	out->n = 0;
	put32(out, attr);
	put16(out, (uint16_t)p->n);
	put_ucs2(out, desc);
	memcpy(out->b + out->n, p->b, p->n);
	out->n += p->n;
	if (opt_len)
		memcpy(out->b + out->n, opt, opt_len);
	out->n += opt_len;
}

static struct buf *new_buf(void)
{
	struct buf *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	return b;
}

/* ---- EFI_LOAD_OPTION ----------------------------------------------------- */

static void test_parse_full_option(void **state)
{
	struct buf *p = new_buf(), *o = new_buf();
	struct load_option lo;
	const char *why = NULL;
	static const uint8_t opt[] = { 'W', 'I', 'N', 0, 1, 2 };
	(void)state;

	hd(p, 1, 0x10);
	file(p, "\\EFI\\debian\\shimx64.efi");
	end(p);
	load_option(o, 0x00000001, "debian", p, opt, sizeof(opt));

	assert_int_equal(loadopt_parse(o->b, o->n, &lo, &why), 0);
	assert_int_equal(lo.attributes, LOADOPT_ACTIVE);
	assert_string_equal(lo.description, "debian");
	/* 6-byte header + "debian" and its NUL in UCS-2 (14 bytes) */
	assert_ptr_equal(lo.path, o->b + 6 + 14);
	assert_int_equal(lo.path_len, 42 + 4 + 2 * 24 + 4);
	assert_ptr_equal(lo.optional, o->b + 6 + 14 + lo.path_len);
	assert_int_equal(lo.optional_len, sizeof(opt));
	assert_memory_equal(lo.optional, opt, sizeof(opt));
	free(p);
	free(o);
}

static void test_parse_no_optional_data(void **state)
{
	struct buf *p = new_buf(), *o = new_buf();
	struct load_option lo;
	const char *why;
	(void)state;

	disk(p, 0);
	end(p);
	load_option(o, 0x00000009, "UEFI QEMU HARDDISK QM00001 ", p, NULL, 0);
	assert_int_equal(loadopt_parse(o->b, o->n, &lo, &why), 0);
	assert_int_equal(lo.attributes, LOADOPT_ACTIVE | LOADOPT_HIDDEN);
	/* trailing blanks go, the rest stays */
	assert_string_equal(lo.description, "UEFI QEMU HARDDISK QM00001");
	assert_null(lo.optional);
	assert_int_equal(lo.optional_len, 0);
	assert_int_equal(lo.path_len, 12 + 6 + 10 + 4);
	free(p);
	free(o);
}

/* The parser reads bytes: the same option at an odd address parses alike. */
static void test_parse_unaligned(void **state)
{
	struct buf *p = new_buf(), *o = new_buf();
	uint8_t *odd = malloc(sizeof(o->b) + 1);
	struct load_option lo;
	const char *why;
	(void)state;

	disk(p, 1);
	hd(p, 1, 0x20);
	file(p, "\\EFI\\BOOT\\BOOTX64.EFI");
	end(p);
	load_option(o, 0x00000001, "odd", p, "x", 1);
	memcpy(odd + 1, o->b, o->n);
	assert_int_equal(loadopt_parse(odd + 1, o->n, &lo, &why), 0);
	assert_string_equal(lo.description, "odd");
	assert_ptr_equal(lo.path, odd + 1 + 6 + 8);
	assert_int_equal(lo.path_len, p->n);
	assert_int_equal(lo.optional_len, 1);
	free(odd);
	free(p);
	free(o);
}

static void test_parse_description_cases(void **state)
{
	struct buf *p = new_buf(), *o = new_buf();
	struct load_option lo;
	const char *why;
	char longdesc[201];
	(void)state;

	end(p);
	/* a character outside printable ASCII is shown as '?' */
	o->n = 0;
	put32(o, 1);
	put16(o, 4);
	put16(o, 'A');
	put16(o, 0x00e9);
	put16(o, 'B');
	put16(o, 0);
	memcpy(o->b + o->n, p->b, 4);
	o->n += 4;
	assert_int_equal(loadopt_parse(o->b, o->n, &lo, &why), 0);
	assert_string_equal(lo.description, "A?B");

	/* a long one is cut at LOADOPT_DESC_MAX characters */
	memset(longdesc, 'd', 200);
	longdesc[200] = '\0';
	load_option(o, 1, longdesc, p, NULL, 0);
	assert_int_equal(loadopt_parse(o->b, o->n, &lo, &why), 0);
	assert_int_equal(strlen(lo.description), LOADOPT_DESC_MAX);
	assert_ptr_equal(lo.path, o->b + 6 + 402);
	free(p);
	free(o);
}

/* Second instance after an End Instance node: the first path is used. */
static void test_parse_multi_instance(void **state)
{
	struct buf *p = new_buf(), *o = new_buf();
	struct load_option lo;
	const char *why;
	(void)state;

	disk(p, 0);
	hdr(p, 0x7f, 0x01, 4);
	disk(p, 1);
	end(p);
	load_option(o, 1, "two", p, NULL, 0);
	assert_int_equal(loadopt_parse(o->b, o->n, &lo, &why), 0);
	assert_int_equal(lo.path_len, 12 + 6 + 10 + 4);
	assert_null(lo.optional);	/* the second instance is not optional data */
	free(p);
	free(o);
}

static void expect_malformed(const struct buf *o, const char *reason)
{
	struct load_option lo;
	const char *why = NULL;

	assert_int_equal(loadopt_parse(o->b, o->n, &lo, &why), -NV_EINVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
}

static void test_parse_malformed(void **state)
{
	struct buf *p = new_buf(), *o = new_buf();
	(void)state;

	/* shorter than Attributes + FilePathListLength */
	o->n = 5;
	memset(o->b, 0, 5);
	expect_malformed(o, "6-byte header");
	o->n = 0;
	expect_malformed(o, "6-byte header");

	/* larger than the bound */
	disk(p, 0);
	end(p);
	load_option(o, 1, "big", p, NULL, 0);
	o->n = LOADOPT_MAX_SIZE + 1;
	expect_malformed(o, "16 KiB");

	/* Description without a NUL: all characters, then an odd byte */
	o->n = 0;
	put32(o, 1);
	put16(o, 4);
	put16(o, 'a');
	put16(o, 'b');
	put8(o, 'c');
	expect_malformed(o, "Description");

	/* FilePathListLength 0 and 3 */
	for (uint16_t l = 0; l < 4; l += 3) {
		load_option(o, 1, "x", p, NULL, 0);
		o->b[4] = (uint8_t)l;
		o->b[5] = 0;
		expect_malformed(o, "below 4");
	}

	/* FilePathListLength one byte past the variable */
	load_option(o, 1, "x", p, NULL, 0);
	o->b[4] = (uint8_t)(p->n + 1);
	expect_malformed(o, "runs past the variable");

	/* FilePathListLength cuts the path: the End node lies in the
	 * optional data, outside the list, and must not be used */
	load_option(o, 1, "x", p, NULL, 0);
	o->b[4] = (uint8_t)(p->n - 4);
	expect_malformed(o, "no End node");

	free(p);
	free(o);
}

static void test_parse_malformed_nodes(void **state)
{
	struct buf *p = new_buf(), *o = new_buf();
	(void)state;

	/* a node Length of 2 (below the header) */
	hdr(p, 0x01, 0x01, 2);
	put16(p, 0);
	end(p);
	load_option(o, 1, "x", p, NULL, 0);
	expect_malformed(o, "below 4");

	/* a node Length past FilePathListLength (the buffer goes on) */
	p->n = 0;
	hdr(p, 0x01, 0x01, 200);
	put16(p, 0);
	end(p);
	load_option(o, 1, "x", p, "0123456789012345678901234567890123456789", 40);
	expect_malformed(o, "runs past the buffer");

	/* an End node whose Length is not 4 */
	p->n = 0;
	disk(p, 0);
	hdr(p, 0x7f, 0xff, 6);
	put16(p, 0);
	load_option(o, 1, "x", p, NULL, 0);
	expect_malformed(o, "End node's Length");

	/* 65 nodes before the End node */
	p->n = 0;
	for (int i = 0; i < DP_MAX_NODES + 1; i++)
		pci(p, 1, 0);
	end(p);
	load_option(o, 1, "x", p, NULL, 0);
	expect_malformed(o, "more than 64");

	/* exactly 64 nodes including... the End node is the 64th: fine */
	p->n = 0;
	for (int i = 0; i < DP_MAX_NODES - 1; i++)
		pci(p, 1, 0);
	end(p);
	load_option(o, 1, "x", p, NULL, 0);
	{
		struct load_option lo;
		const char *why;

		assert_int_equal(loadopt_parse(o->b, o->n, &lo, &why), 0);
		assert_int_equal(lo.path_len, (DP_MAX_NODES - 1) * 6 + 4);
	}
	free(p);
	free(o);
}

/* ---- BootOrder ------------------------------------------------------------ */

static void test_boot_order(void **state)
{
	static const uint8_t v[] = { 0x01, 0x00, 0x03, 0x00, 0x00, 0x00,
				     0x0a, 0x10 };
	uint16_t out[8];
	size_t n = 99;
	(void)state;

	assert_int_equal(boot_order_parse(v, sizeof(v), out, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 0x0001);
	assert_int_equal(out[1], 0x0003);
	assert_int_equal(out[2], 0x0000);
	assert_int_equal(out[3], 0x100a);

	assert_int_equal(boot_order_parse(v, 3, out, 8, &n), -NV_EINVAL);
	assert_int_equal(n, 0);
	assert_int_equal(boot_order_parse(v, 0, out, 8, &n), 0);
	assert_int_equal(n, 0);
	/* more entries than room: the first ones, and -NV_ERANGE */
	assert_int_equal(boot_order_parse(v, sizeof(v), out, 2, &n),
			 -NV_ERANGE);
	assert_int_equal(n, 2);
	assert_int_equal(out[1], 0x0003);
}

/* ---- device paths ---------------------------------------------------------- */

static size_t valid_len(const struct buf *p)
{
	size_t len = 0;
	const char *why;

	assert_int_equal(dp_length(p->b, p->n, &len, &why), 0);
	return len;
}

static void test_classify(void **state)
{
	struct buf *p = new_buf();
	(void)state;

	end(p);
	assert_int_equal(dp_classify(p->b, valid_len(p)), DP_KIND_EMPTY);

	p->n = 0;
	disk(p, 0);
	end(p);
	assert_int_equal(dp_classify(p->b, valid_len(p)), DP_KIND_DEVICE);
	assert_int_equal(dp_device_len(p->b, valid_len(p)), 12 + 6 + 10);

	p->n = 0;
	disk(p, 0);
	hd(p, 1, 0);
	file(p, "\\EFI\\x.efi");
	end(p);
	assert_int_equal(dp_classify(p->b, valid_len(p)), DP_KIND_FILE);
	assert_int_equal(dp_device_len(p->b, valid_len(p)), 12 + 6 + 10 + 42);

	p->n = 0;
	hd(p, 1, 0);
	file(p, "\\EFI\\x.efi");
	end(p);
	assert_int_equal(dp_classify(p->b, valid_len(p)), DP_KIND_SHORT_HD);

	p->n = 0;
	file(p, "\\EFI\\x.efi");
	end(p);
	assert_int_equal(dp_classify(p->b, valid_len(p)), DP_KIND_SHORT_FILE);

	/* OVMF's UiApp and shell: Fv(guid)/FvFile(guid), and a bare FvFile */
	p->n = 0;
	hdr(p, 0x04, 0x07, 20);
	for (int i = 0; i < 16; i++)
		put8(p, 0);
	fv_file(p);
	end(p);
	assert_int_equal(dp_classify(p->b, valid_len(p)), DP_KIND_FIRMWARE);
	p->n = 0;
	pci_root(p);
	fv_file(p);
	end(p);
	assert_int_equal(dp_classify(p->b, valid_len(p)), DP_KIND_FIRMWARE);
	free(p);
}

static void expect_file(const struct buf *p, const char *want)
{
	char out[DP_FILE_MAX + 1];
	const char *why = NULL;

	assert_int_equal(dp_file_path(p->b, valid_len(p), out, sizeof(out),
				      &why), 0);
	assert_string_equal(out, want);
}

static void expect_file_bad(const struct buf *p, const char *reason)
{
	char out[DP_FILE_MAX + 1];
	const char *why = NULL;

	assert_int_equal(dp_file_path(p->b, valid_len(p), out, sizeof(out),
				      &why), -NV_EINVAL);
	assert_non_null(strstr(why, reason));
}

static void test_file_path(void **state)
{
	struct buf *p = new_buf();
	char big[300];
	(void)state;

	disk(p, 0);
	end(p);
	expect_file(p, "");

	/* several File nodes, with and without separators (§10.3.5.4) */
	p->n = 0;
	hd(p, 1, 0);
	file(p, "\\EFI");
	file(p, "BOOT\\");
	file(p, "\\BOOTX64.EFI");
	end(p);
	expect_file(p, "\\EFI\\BOOT\\BOOTX64.EFI");

	p->n = 0;
	file(p, "EFI/debian//grubx64.efi");
	end(p);
	expect_file(p, "\\EFI\\debian\\grubx64.efi");

	/* odd-sized PathName */
	p->n = 0;
	hdr(p, 0x04, 0x04, 7);
	put16(p, 'a');
	put8(p, 0);
	end(p);
	expect_file_bad(p, "odd size");

	/* no NUL inside the node */
	p->n = 0;
	hdr(p, 0x04, 0x04, 8);
	put16(p, 'a');
	put16(p, 'b');
	end(p);
	expect_file_bad(p, "without its NUL");

	/* not printable ASCII */
	p->n = 0;
	hdr(p, 0x04, 0x04, 10);
	put16(p, '\\');
	put16(p, 0x263a);
	put16(p, 0);
	end(p);
	expect_file_bad(p, "printable ASCII");

	/* 255 characters are fine, 256 are not */
	memset(big, 'a', sizeof(big));
	big[0] = '\\';
	big[255] = '\0';
	p->n = 0;
	file(p, big);
	end(p);
	expect_file(p, big);
	big[255] = 'a';
	big[256] = '\0';
	p->n = 0;
	file(p, big);
	end(p);
	expect_file_bad(p, "longer than 255");
	free(p);
}

static void test_file_equal_prefix_find(void **state)
{
	struct buf *a = new_buf(), *b = new_buf(), *n = new_buf();
	(void)state;

	assert_true(dp_file_equal("\\EFI\\BOOT\\BOOTX64.EFI",
				  "\\efi\\boot\\bootx64.efi"));
	assert_false(dp_file_equal("\\EFI\\BOOT\\BOOTX64.EFI",
				   "\\EFI\\BOOT\\BOOTX64.EF"));
	assert_false(dp_file_equal("\\a", "\\b"));

	disk(a, 0);
	disk(b, 0);
	hd(b, 1, 0x30);
	end(b);
	assert_true(dp_is_prefix(a->b, a->n, b->b, b->n));
	assert_false(dp_is_prefix(b->b, b->n, a->b, a->n));
	a->n = 0;
	disk(a, 1);
	assert_false(dp_is_prefix(a->b, a->n, b->b, b->n));

	hd(n, 1, 0x30);
	assert_int_equal(dp_find_node(b->b, valid_len(b), n->b), 12 + 6 + 10);
	n->n = 0;
	hd(n, 1, 0x31);		/* another partition GUID */
	assert_int_equal(dp_find_node(b->b, valid_len(b), n->b), -1);
	n->n = 0;
	hd(n, 2, 0x30);		/* another partition number */
	assert_int_equal(dp_find_node(b->b, valid_len(b), n->b), -1);
	free(a);
	free(b);
	free(n);
}

/* ---- is a boot entry nestvisor itself? -------------------------------- */

struct self_fixture {
	struct buf dev;		/* PciRoot/Pci(1f,2)/Sata(0)/HD(1, sig 0x50) */
	struct dp_self self;
};

static struct self_fixture *self_at(const char *path)
{
	struct self_fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	disk(&f->dev, 0);
	hd(&f->dev, 1, 0x50);
	f->self.dev = f->dev.b;
	f->self.dev_len = f->dev.n;
	f->self.file = path;
	return f;
}

static enum dp_self_match match(const struct buf *p,
				const struct self_fixture *f)
{
	return dp_match_self(p->b, valid_len(p), &f->self);
}

static void test_match_self(void **state)
{
	struct self_fixture *f = self_at("\\EFI\\BOOT\\BOOTX64.EFI");
	struct buf *p = new_buf();
	(void)state;

	/* OVMF's entry for the disk: device only, nestvisor is its
	 * removable-media path */
	disk(p, 0);
	end(p);
	assert_int_equal(match(p, f), DP_SELF_DEVICE);
	/* the same for another disk: not nestvisor */
	p->n = 0;
	disk(p, 1);
	end(p);
	assert_int_equal(match(p, f), DP_NOT_SELF);
	/* a device path longer than nestvisor's device is not a parent */
	p->n = 0;
	disk(p, 0);
	hd(p, 1, 0x50);
	pci(p, 0, 0);
	end(p);
	assert_int_equal(match(p, f), DP_NOT_SELF);

	/* the full path, file in another case */
	p->n = 0;
	disk(p, 0);
	hd(p, 1, 0x50);
	file(p, "\\efi\\boot\\bootx64.efi");
	end(p);
	assert_int_equal(match(p, f), DP_SELF_FILE);
	/* the same file on another partition */
	p->n = 0;
	disk(p, 0);
	hd(p, 2, 0x50);
	file(p, "\\EFI\\BOOT\\BOOTX64.EFI");
	end(p);
	assert_int_equal(match(p, f), DP_NOT_SELF);
	/* another file on nestvisor's partition */
	p->n = 0;
	disk(p, 0);
	hd(p, 1, 0x50);
	file(p, "\\EFI\\debian\\grubx64.efi");
	end(p);
	assert_int_equal(match(p, f), DP_NOT_SELF);

	/* short form from the partition on (what efibootmgr writes) */
	p->n = 0;
	hd(p, 1, 0x50);
	file(p, "\\EFI\\BOOT\\BOOTX64.EFI");
	end(p);
	assert_int_equal(match(p, f), DP_SELF_SHORT_HD);
	p->n = 0;
	hd(p, 1, 0x51);
	file(p, "\\EFI\\BOOT\\BOOTX64.EFI");
	end(p);
	assert_int_equal(match(p, f), DP_NOT_SELF);

	/* short form, file only */
	p->n = 0;
	file(p, "\\EFI\\BOOT\\BOOTX64.EFI");
	end(p);
	assert_int_equal(match(p, f), DP_SELF_SHORT_FILE);

	/* firmware applications and empty paths never are */
	p->n = 0;
	fv_file(p);
	end(p);
	assert_int_equal(match(p, f), DP_NOT_SELF);
	p->n = 0;
	end(p);
	assert_int_equal(match(p, f), DP_NOT_SELF);
	free(p);
	free(f);
}

/* nestvisor elsewhere than the removable path: the disk's entry is not it */
static void test_match_self_other_file(void **state)
{
	struct self_fixture *f = self_at("\\EFI\\nestvisor\\nestvisor.efi");
	struct buf *p = new_buf();
	(void)state;

	disk(p, 0);
	end(p);
	assert_int_equal(match(p, f), DP_NOT_SELF);
	p->n = 0;
	hd(p, 1, 0x50);
	file(p, "\\EFI\\NESTVISOR\\NESTVISOR.EFI");
	end(p);
	assert_int_equal(match(p, f), DP_SELF_SHORT_HD);
	free(p);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full_option),
		cmocka_unit_test(test_parse_no_optional_data),
		cmocka_unit_test(test_parse_unaligned),
		cmocka_unit_test(test_parse_description_cases),
		cmocka_unit_test(test_parse_multi_instance),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_malformed_nodes),
		cmocka_unit_test(test_boot_order),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_file_path),
		cmocka_unit_test(test_file_equal_prefix_find),
		cmocka_unit_test(test_match_self),
		cmocka_unit_test(test_match_self_other_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
