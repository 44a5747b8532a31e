// SPDX-License-Identifier: MIT
/*
 * Hiding \_S3 from the OS: where nestvisor cannot watch the sleep request
 * (PM1 control outside I/O space, hardware-reduced ACPI, a \_S3 package it
 * cannot read), an OS that finds no \_S3 offers no suspend to RAM, so it
 * never resumes outside nestvisor (docs/security.md, "The paths", the S3
 * row).
 *
 * Algorithm, per definition block (DSDT, each SSDT; ACPI 6.4 §5.2.11):
 *  1. The table must be whole: length >= 36 and its bytes summing to 0
 *     (§5.2.6).  Count every occurrence of the four bytes "_S3_" in its
 *     AML (from byte 36): that is every place the name can appear.
 *  2. Walk the root scope's term list (§20.2.5), which is the table's top
 *     level, the bodies of Scope (\) (ScopeOp 10, PkgLength, NameString
 *     "\" 5C 00), and the bodies of If (A0, PkgLength, Predicate) and
 *     Else (A1, PkgLength) met there, which open no scope: recursively,
 *     16 deep at most.  A Predicate (and an OperationRegion's offset and
 *     length) must be an integer constant or a name no Method or method
 *     External of the table ends in (a name of data: no arguments follow
 *     it); else that If's body is not walked.  Other terms are skipped by
 *     their encoded size: those with a PkgLength (Scope 10 of another
 *     name, Method 14, While A2, Buffer 11, Package 12, VarPackage 13, and
 *     ExtOp 5B with Field 81, Device 82, Processor 83, PowerRes 84,
 *     ThermalZone 85, IndexField 86, BankField 87), External 15
 *     (NameString, two bytes), OperationRegion 5B 80 (NameString, a byte,
 *     two such arguments), Mutex 5B 01 (NameString, a byte), Event 5B 02
 *     (NameString) and Name 08 (NameString, then an integer constant, a
 *     String 0D ... 00, or a Buffer/Package/VarPackage).  Any other term
 *     ends the walk: the rest is not placed.
 *  3. A \_S3 definition is a Name at root scope whose NameString is the
 *     single segment _S3_ (with or without the root prefix '\') and whose
 *     object is a Package of integer constants (ZeroOp, OneOp, OnesOp,
 *     Byte/Word/DWord/QWordPrefix) that fill it exactly.
 *  4. If the definitions found in 2 and 3 are not all of the occurrences
 *     of 1 (the name in a Method, a Device, an If whose Predicate is not
 *     as above, a reference, an Alias, a path of several segments, or two
 *     names whose bytes run together), the table is refused and left
 *     alone.  Otherwise each definition's
 *     NameSeg becomes XS3_ (its first byte, '_' to 'X': a name no OS looks
 *     for) and the checksum byte (offset 9) is set so that the sum is 0.
 * Only those bytes change.  Byte by byte, little-endian; every read is
 * bounded by the table's length.
 */
#include "boot/acpi.h"
#include "boot/acpi_s3.h"

#include "mm/err.h"

#define HDR_LEN 36

struct aml {
	const uint8_t *t;
	size_t end;             /* of the whole table */
	size_t defs[8];         /* offsets of the definitions' NameSegs */
	unsigned n_defs;
	bool overflow;
};

/* PkgLength at p (§20.2.4): the offset just past the package, or 0. */
static size_t pkg_end(const struct aml *a, size_t p, size_t lim)
{
	unsigned extra;
	size_t n;

	if (p >= lim)
		return 0;
	extra = a->t[p] >> 6;
	if (p + 1 + extra > lim)
		return 0;
	if (!extra)
		n = a->t[p] & 0x3f;
	else
		n = (a->t[p] & 0x0f) | (size_t)acpi_le(a->t + p + 1, extra) << 4;
	if (n < 1u + extra || p + n > lim)
		return 0;
	return p + n;
}

/* A NameString at p (§20.2.2): the offset past it, or 0.  *seg: the
 * offset of its only NameSeg, or 0 if it has none or several;
 * *root: it starts with '\'. */
static size_t name_string(const struct aml *a, size_t p, size_t lim,
			  size_t *seg, bool *root)
{
	size_t segs;

	*seg = 0;
	*root = p < lim && a->t[p] == '\\';
	if (*root)
		p++;
	else
		while (p < lim && a->t[p] == '^')
			p++;
	if (p >= lim)
		return 0;
	switch (a->t[p]) {
	case 0x00: return p + 1;                          /* NullName */
	case 0x2e: segs = 2; p++; break;                  /* DualNamePrefix */
	case 0x2f:                                        /* MultiNamePrefix */
		if (p + 1 >= lim)
			return 0;
		segs = a->t[p + 1];
		p += 2;
		break;
	default: segs = 1; *seg = p; break;
	}
	if (p + 4 * segs > lim)
		return 0;
	return p + 4 * segs;
}

/* An integer constant at p: the offset past it, or 0. */
static size_t int_const(const struct aml *a, size_t p, size_t lim)
{
	static const uint8_t size[] = { [0x0a] = 2, [0x0b] = 3, [0x0c] = 5,
					[0x0e] = 9 };

	if (p >= lim)
		return 0;
	if (a->t[p] == 0x00 || a->t[p] == 0x01 || a->t[p] == 0xff)
		return p + 1;
	if (a->t[p] < sizeof(size) && size[a->t[p]] && p + size[a->t[p]] <= lim)
		return p + size[a->t[p]];
	return 0;
}

/* A Package of integer constants only, filling it exactly, at p. */
static bool int_package(const struct aml *a, size_t p, size_t lim)
{
	size_t end, q;
	unsigned n;

	if (p >= lim || a->t[p] != 0x12)
		return false;
	end = pkg_end(a, p + 1, lim);
	if (!end)
		return false;
	q = p + 2 + (a->t[p + 1] >> 6);
	if (q >= end)
		return false;
	n = a->t[q++];
	while (q < end) {
		q = int_const(a, q, end);
		if (!q || !n--)
			return false;
	}
	return true;
}

/* The object a Name binds (DataRefObject, §20.2.3) at p: past it, or 0. */
static size_t data_object(const struct aml *a, size_t p, size_t lim)
{
	if (p >= lim)
		return 0;
	switch (a->t[p]) {
	case 0x0d:                                        /* String */
		while (++p < lim)
			if (!a->t[p])
				return p + 1;
		return 0;
	case 0x11: case 0x12: case 0x13:                  /* Buffer, Packages */
		return pkg_end(a, p + 1, lim);
	default:
		return int_const(a, p, lim);
	}
}

static bool is_s3(const struct aml *a, size_t seg)
{
	return seg && a->t[seg] == '_' && a->t[seg + 1] == 'S' &&
	       a->t[seg + 2] == '3' && a->t[seg + 3] == '_';
}

/* Whether a Method (14h), or an External (15h) of ObjectType 8 (a
 * method), anywhere in the table has a name ending in the NameSeg at seg:
 * then that name may take arguments.  Found by bytes, so it may see a
 * method that is not there: that only refuses more. */
static bool names_method(const struct aml *a, size_t seg)
{
	size_t s, e;
	bool root;

	for (size_t i = HDR_LEN; i + 2 < a->end; i++) {
		if (a->t[i] == 0x14)
			e = name_string(a, i + 2 + (a->t[i + 1] >> 6), a->end,
					&s, &root);
		else if (a->t[i] == 0x15)
			e = name_string(a, i + 1, a->end, &s, &root);
		else
			continue;
		if (e && a->t[i] == 0x15 && (e >= a->end || a->t[e] != 8))
			continue;
		if (e >= HDR_LEN + 4 && a->t[e - 4] == a->t[seg] &&
		    a->t[e - 3] == a->t[seg + 1] && a->t[e - 2] == a->t[seg + 2] &&
		    a->t[e - 1] == a->t[seg + 3])
			return true;
	}
	return false;
}

/* A TermArg sized without running AML: an integer constant, or a name
 * that no method of the table ends in (data: no arguments follow).  The
 * offset past it, or 0. */
static size_t simple_arg(const struct aml *a, size_t p, size_t lim)
{
	size_t q = int_const(a, p, lim), seg;
	bool root;
	uint8_t c;

	if (q || p >= lim)
		return q;
	c = a->t[p];
	if (c != '\\' && c != '^' && c != '_' && c != 0x2e && c != 0x2f &&
	    (c < 'A' || c > 'Z'))
		return 0;
	q = name_string(a, p, lim, &seg, &root);
	if (!q || q < p + 4 || names_method(a, q - 4))
		return 0;
	return q;
}

/* Walk the root scope's terms in [p, lim), collecting definitions;
 * depth bounds the nesting of Scope (\), If and Else it follows. */
static void walk_root(struct aml *a, size_t p, size_t lim, unsigned depth)
{
	size_t seg, q, end;
	bool root;

	if (depth > 16)
		return;
	while (p < lim) {
		uint8_t op = a->t[p];

		if (op == 0x08) {                         /* Name */
			q = name_string(a, p + 1, lim, &seg, &root);
			if (!q)
				return;
			if (is_s3(a, seg) && int_package(a, q, lim)) {
				if (a->n_defs < sizeof(a->defs) / sizeof(a->defs[0]))
					a->defs[a->n_defs++] = seg;
				else
					a->overflow = true;
			}
			p = data_object(a, q, lim);
		} else if (op == 0x10) {                  /* Scope */
			end = pkg_end(a, p + 1, lim);
			if (!end)
				return;
			q = p + 2 + (a->t[p + 1] >> 6);
			if (q + 2 <= end && a->t[q] == '\\' && a->t[q + 1] == 0)
				walk_root(a, q + 2, end, depth + 1);
			p = end;
		} else if (op == 0xa0 || op == 0xa1) {    /* If, Else */
			/* no scope of their own: a Name in them is at root */
			end = pkg_end(a, p + 1, lim);
			if (!end)
				return;
			q = p + 2 + (a->t[p + 1] >> 6);
			if (op == 0xa0)                   /* the Predicate */
				q = simple_arg(a, q, end);
			if (q)
				walk_root(a, q, end, depth + 1);
			p = end;
		} else if (op == 0x14 || op == 0xa2 || op == 0x11 ||
			   op == 0x12 || op == 0x13) {
			p = pkg_end(a, p + 1, lim);
		} else if (op == 0x15) {                  /* External */
			q = name_string(a, p + 1, lim, &seg, &root);
			p = q && q + 2 <= lim ? q + 2 : 0;
		} else if (op == 0x5b && p + 1 < lim) {
			uint8_t ext = a->t[p + 1];

			if (ext >= 0x81 && ext <= 0x87) {
				p = pkg_end(a, p + 2, lim);
			} else if (ext == 0x80) {         /* OperationRegion */
				q = name_string(a, p + 2, lim, &seg, &root);
				q = q && q + 1 <= lim ? simple_arg(a, q + 1, lim) : 0;
				p = q ? simple_arg(a, q, lim) : 0;
			} else if (ext == 0x01) {         /* Mutex */
				q = name_string(a, p + 2, lim, &seg, &root);
				p = q && q + 1 <= lim ? q + 1 : 0;
			} else if (ext == 0x02) {         /* Event */
				p = name_string(a, p + 2, lim, &seg, &root);
			} else {
				return;
			}
		} else {
			return;
		}
		if (!p)
			return;
	}
}

int acpi_s3_in_table(uint8_t *t, size_t len, bool rename)
{
	struct aml a = { .t = t };
	unsigned seen = 0;
	uint8_t sum = 0;

	if (len < HDR_LEN || acpi_le(t + 4, 4) < HDR_LEN || acpi_le(t + 4, 4) > len)
		return -NV_EINVAL;
	a.end = (size_t)acpi_le(t + 4, 4);
	for (size_t i = 0; i < a.end; i++)
		sum = (uint8_t)(sum + t[i]);
	if (sum)
		return -NV_EINVAL;
	for (size_t i = HDR_LEN; i + 4 <= a.end; i++)
		seen += t[i] == '_' && t[i + 1] == 'S' && t[i + 2] == '3' &&
			t[i + 3] == '_';
	if (!seen)
		return 0;
	walk_root(&a, HDR_LEN, a.end, 0);
	if (a.overflow || a.n_defs != seen)
		return -NV_EINVAL;
	if (rename) {
		for (unsigned i = 0; i < a.n_defs; i++)
			t[a.defs[i]] = 'X';
		t[9] = 0;
		sum = 0;
		for (size_t i = 0; i < a.end; i++)
			sum = (uint8_t)(sum + t[i]);
		t[9] = (uint8_t)-sum;
	}
	return (int)a.n_defs;
}

/* The table at a physical address, if its signature is sig. */
static uint8_t *table(uint64_t pa, const char sig[4])
{
	uint8_t *t = (uint8_t *)(uintptr_t)pa;

	if (!pa || t[0] != sig[0] || t[1] != sig[1] || t[2] != sig[2] ||
	    t[3] != sig[3])
		return 0;
	return t;
}

/* The definition blocks: the FADT's DSDT (X_DSDT at 140 and DSDT at 40,
 * both if they differ), then the root table's SSDTs. */
static unsigned blocks(const uint8_t *rsdp, uint8_t **out, unsigned max)
{
	const uint8_t *root = 0;
	unsigned es = 4, n = 0;
	uint8_t *fadt = 0;

	if (rsdp[15] >= 2 && acpi_le(rsdp + 24, 8)) {
		root = table(acpi_le(rsdp + 24, 8), "XSDT");
		es = 8;
	}
	if (!root) {
		root = table(acpi_le(rsdp + 16, 4), "RSDT");
		es = 4;
	}
	if (!root)
		return 0;
	for (size_t off = HDR_LEN; off + es <= acpi_le(root + 4, 4); off += es)
		if (!fadt)
			fadt = table(acpi_le(root + off, es), "FACP");
	if (!fadt)
		return 0;
	if (acpi_le(fadt + 4, 4) >= 148 && (out[n] = table(acpi_le(fadt + 140, 8), "DSDT")))
		n++;
	if ((out[n] = table(acpi_le(fadt + 40, 4), "DSDT")) && (!n || out[n] != out[0]))
		n++;
	for (size_t off = HDR_LEN; off + es <= acpi_le(root + 4, 4) && n < max;
	     off += es)
		if ((out[n] = table(acpi_le(root + off, es), "SSDT")))
			n++;
	return n;
}

int acpi_hide_s3(uint8_t *rsdp)
{
	uint8_t *t[32];
	unsigned n = blocks(rsdp, t, sizeof(t) / sizeof(t[0]));
	int renamed = 0;

	if (!n)
		return -NV_ENOENT;
	for (unsigned i = 0; i < n; i++)
		if (acpi_s3_in_table(t[i], (size_t)acpi_le(t[i] + 4, 4), false) < 0)
			return -NV_EINVAL;
	for (unsigned i = 0; i < n; i++)
		renamed += acpi_s3_in_table(t[i], (size_t)acpi_le(t[i] + 4, 4), true);
	return renamed;
}
