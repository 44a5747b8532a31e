// SPDX-License-Identifier: MIT
/*
 * The FADT's ports nestvisor watches, found through the firmware's ACPI
 * tables (RSDP from the EFI configuration table, then the XSDT, or the
 * RSDT, to the FADT and its DSDT): where L1's ACPI sleep requests go, the
 * PM1 registers and \_S3's SLP_TYP values, for svm/acpi_sleep.c; and the
 * SMI command port, for svm/smi_cmd.c.  Where an S3 request could not be
 * watched, \_S3 is hidden from the OS instead (boot/acpi_s3.c).  ACPI 6.4
 * §5.2.5 (RSDP: "RSD PTR ", revision at 15, RSDT address at 16, XSDT
 * address at 24), §5.2.7/§5.2.8 (RSDT/XSDT: 36-byte header, then 4- or
 * 8-byte table addresses).  Parsing of the FADT and the DSDT: boot/acpi.c.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/acpi.h"
#include "boot/acpi_s3.h"
#include "boot/sleep.h"
#include "core/err.h"
#include "core/log.h"

/* The table with signature sig listed in the RSDT/XSDT at sdt. */
static const uint8_t *find_table(const uint8_t *sdt, unsigned entry,
				 const char sig[4])
{
	uint32_t len = (uint32_t)acpi_le(sdt + 4, 4);

	for (uint32_t off = 36; off + entry <= len; off += entry) {
		const uint8_t *t = (const uint8_t *)(uintptr_t)acpi_le(sdt + off, entry);

		if (t && t[0] == sig[0] && t[1] == sig[1] && t[2] == sig[2] &&
		    t[3] == sig[3])
			return t;
	}
	return NULL;
}

static const uint8_t *find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	const uint8_t *rsdp = NULL;

	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *c = &ST->ConfigurationTable[i];

		if (!CompareGuid(&c->VendorGuid, &acpi20))
			return c->VendorTable;
		if (!CompareGuid(&c->VendorGuid, &acpi10))
			rsdp = c->VendorTable;
	}
	return rsdp;
}

static const uint8_t *find_fadt(const uint8_t *rsdp)
{
	const uint8_t *fadt = NULL;

	if (rsdp[15] >= 2 && acpi_le(rsdp + 24, 8))
		fadt = find_table((const uint8_t *)(uintptr_t)acpi_le(rsdp + 24, 8), 8,
				  "FACP");
	if (!fadt && acpi_le(rsdp + 16, 4))
		fadt = find_table((const uint8_t *)(uintptr_t)acpi_le(rsdp + 16, 4), 4,
				  "FACP");
	return fadt;
}

bool sleep_find(struct launch_s3 *s3)
{
	const uint8_t *rsdp = find_rsdp(), *fadt, *dsdt;
	struct acpi_pm1 pm1;
	int rc;

	*s3 = (struct launch_s3){ 0 };
	if (!rsdp) {
		log_info("ACPI: no RSDP in the EFI configuration table: no "
			 "sleep states to watch");
		return false;
	}
	fadt = find_fadt(rsdp);
	if (!fadt) {
		log_info("ACPI: no FADT: no sleep states to watch");
		return false;
	}
	rc = acpi_fadt_pm1(fadt, acpi_le(fadt + 4, 4), &pm1);
	if (rc) {
		log_warn("ACPI: the FADT's PM1 control is not a port nestvisor "
			 "can watch (%s): an S3 request would leave nestvisor, "
			 "so \\_S3 is to be hidden from the OS",
			 nv_err_name(rc));
		return true;
	}
	dsdt = (const uint8_t *)(uintptr_t)pm1.dsdt;
	s3->sts_a = pm1.sts_a;
	s3->sts_b = pm1.sts_b;
	s3->cnt_a = pm1.cnt_a;
	s3->cnt_b = pm1.cnt_b;
	rc = dsdt ? acpi_sleep_type(dsdt, acpi_le(dsdt + 4, 4), "_S3_", &s3->typ_a,
				    &s3->typ_b) : -NV_ENOENT;
	s3->offered = rc == 0;
	if (rc == -NV_EINVAL)
		log_warn("ACPI: the DSDT's \\_S3 package is not one nestvisor "
			 "reads: S3 is not watched, so \\_S3 is to be hidden from "
			 "the OS");
	log_info("ACPI: PM1 control at port 0x%x, status at 0x%x; S3 %s",
		 s3->cnt_a, s3->sts_a, s3->offered ? "offered (SLP_TYP "
		 "watched: a request is refused with an immediate wake)" :
		 "not offered");
	return rc == -NV_EINVAL;
}

void sleep_hide_s3(void)
{
	const uint8_t *rsdp = find_rsdp();
	int rc = rsdp ? acpi_hide_s3((uint8_t *)(uintptr_t)rsdp) : -NV_ENOENT;

	if (rc > 0)
		log_info("ACPI: \\_S3 hidden from the OS (%d definition%s "
			 "renamed XS3_): it offers no suspend to RAM", rc,
			 rc == 1 ? "" : "s");
	else if (!rc)
		log_info("ACPI: no \\_S3 to hide: S3 is not offered");
	else if (rc == -NV_EINVAL)
		log_warn("ACPI: \\_S3 is defined in a way nestvisor does not "
			 "hide (a Method, a scope it cannot place, a reference): "
			 "left as it is, an S3 request would leave nestvisor");
	else
		log_warn("ACPI: no root table or FADT to hide \\_S3 in (%s)",
			 nv_err_name(rc));
}

uint16_t smi_cmd_find(void)
{
	const uint8_t *rsdp = find_rsdp(), *fadt = rsdp ? find_fadt(rsdp) : NULL;
	uint16_t port = 0;
	int rc = fadt ? acpi_fadt_smi_cmd(fadt, acpi_le(fadt + 4, 4), &port) :
			-NV_ENOENT;

	if (rc == -NV_EINVAL)
		log_warn("ACPI: the FADT's SMI_CMD is no I/O port: software SMIs "
			 "are not held while L1's GIF is clear");
	if (rc)
		return 0;
	log_info("ACPI: SMI command port 0x%x (held while L1's GIF is clear)",
		 port);
	return port;
}
