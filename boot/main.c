// SPDX-License-Identifier: MIT
/*
 * nestvisor.efi's entry point: the UEFI side.
 *  1. Configuration: nestvisor.cfg beside the image, then the load options.
 *     An error names the file and line and returns to the boot manager.
 *  2. Banner, CPU and SVM features, memory map summary.
 *  3. Load (not start) the next stage (boot/next.c: a path, or next = auto,
 *     what the firmware would boot without nestvisor): a missing one is an
 *     error before anything changes.
 *  4. If the CPU can be virtualized: list every CPU (boot/mp.c), reserve
 *     memory (EfiReservedMemoryType), copy and relocate the image into it,
 *     call hv_prepare() in the copy, then hv_launch() in the copy on every
 *     application processor and last here.  It returns here with the
 *     firmware now running as L1 on every CPU.  If it cannot, say why and
 *     go on unvirtualized: a machine always boots.
 *  5. Start the next stage (still with boot services, as L1).
 * Log lines go to the serial port, to the UEFI console until step 5
 * (boot/console.c) and to the log ring (boot/bootlog.c).
 */
#include <efi.h>
#include <efilib.h>

#include "boot/acpi.h"
#include "boot/bootlog.h"
#include "boot/config.h"
#include "boot/console.h"
#include "boot/efi_util.h"
#include "boot/mp.h"
#include "boot/next.h"
#include "boot/relocate.h"
#include "boot/sleep.h"
#include "boot/report.h"
#include "core/cpuid_bits.h"
#include "core/err.h"
#include "core/fmt.h"
#include "core/hypercall.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/nv_version.h"
#include "core/x86.h"
#include "drivers/debug_exit.h"
#include "drivers/uart.h"
#include "svm/features.h"
#include "svm/launch.h"

#define CONFIG_NAME "nestvisor.cfg"

static EFI_LOADED_IMAGE *self;

/* The directory of this image on its volume, e.g. "\EFI\BOOT\". */
static void image_dir(char *out, UINTN max)
{
	CHAR16 *path = DevicePathToStr(self->FilePath);
	BOOLEAN lossy;
	UINTN n, cut = 0;

	out[0] = 0;
	if (!path)
		return;
	n = ucs2_to_ascii(path, 512, out, max, &lossy);
	FreePool(path);
	for (UINTN i = 0; i < n; i++)
		if (out[i] == '\\' || out[i] == '/')
			cut = i + 1;
	out[cut] = 0;
}

static int load_config(struct nv_config *cfg)
{
	struct config_error err = { 0 };
	char dir[512], path[600], *text, msg[300];
	UINTN len;
	EFI_STATUS st;
	int rc = 0;

	config_defaults(cfg);
	image_dir(dir, sizeof(dir));
	fmt_snprintf(path, sizeof(path), "%s%s", dir, CONFIG_NAME);
	st = efi_read_file(self->DeviceHandle, path, &text, &len);
	if (st == EFI_SUCCESS) {
		rc = config_parse(cfg, text, len, path, &err);
		FreePool(text);
	} else {
		log_info("no %s (%s): using load options only", path,
			 efi_status_name(st));
	}
	if (!rc && self->LoadOptionsSize >= 2) {
		char line[CONFIG_ARGS_MAX + 300];
		BOOLEAN lossy;
		UINTN n = ucs2_to_ascii(self->LoadOptions,
					self->LoadOptionsSize / 2, line,
					sizeof(line), &lossy);
		if (lossy)
			log_debug("load options are not text: ignored");
		else
			rc = config_parse_cmdline(cfg, line, n, &err);
	}
	if (!rc)
		rc = config_validate(cfg, &err);
	if (rc) {
		config_error_format(&err, msg, sizeof(msg));
		if (st != EFI_SUCCESS && err.code == CONFIG_E_REQUIRED)
			log_error("%s: cannot read it (%s) and no next= in the "
				  "load options", path, efi_status_name(st));
		else
			log_error("%s", msg);
	}
	return rc;
}

/* The ACPI RSDP from the UEFI configuration table (ACPI 2.0+ first). */
static uint8_t *find_rsdp(void)
{
	static EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
	void *t = NULL;

	if (LibGetSystemConfigurationTable(&acpi20, &t) != EFI_SUCCESS &&
	    LibGetSystemConfigurationTable(&AcpiTableGuid, &t) != EFI_SUCCESS)
		return NULL;
	return t;
}

/* The IOMMUs and ECAM the hypervisor is to take, and the I/O APICs it
 * emulates, from ACPI. */
static void platform_from_acpi(uint8_t *rsdp, struct launch_params *p)
{
	struct dma_platform *d = &p->dma;
	struct acpi_platform a;

	*d = (struct dma_platform){ 0 };
	if (!rsdp || acpi_scan(rsdp, &a))
		log_warn("ACPI: no readable RSDT/XSDT, or a malformed IVRS");
	else if (a.ivrs && !a.n_iommus)
		log_warn("ACPI: IVRS names no IOMMU");
	if (!rsdp)
		return;
	for (unsigned i = 0; i < a.n_iommus && i < DMA_MAX_IOMMUS; i++)
		d->iommu[d->n_iommus++] = (struct dma_iommu){
			a.iommu[i].base, a.iommu[i].bdf, a.iommu[i].segment };
	d->ecam_base = a.ecam_base;
	d->ecam_bus_first = a.ecam_bus_first;
	d->ecam_bus_last = a.ecam_bus_last;
	for (unsigned i = 0; i < a.n_ioapics && i < IOAPIC_MAX; i++)
		p->ioapic[p->n_ioapics++] = a.ioapic[i];
}

_Static_assert(CONFIG_CPUS_MAX == NV_MAX_CPUS, "cpus = N covers every slot");

/* Reserves the region, copies the image, lists the CPUs, then calls
 * hv_prepare and hv_launch (on every AP, then here) in the copy.  0, or a
 * negated enum nv_err (logged). */
static int virtualize(const struct nv_config *cfg)
{
	static struct launch_params p; /* parked APs read it later */
	static struct mp_cpus cpus;
	UINTN pages = cfg->memory / 4096 + 511;
	EFI_PHYSICAL_ADDRESS mem = 0, base, end;
	int (*prepare)(struct launch_params *);
	int (*launch)(struct launch_params *);
	uint8_t *rsdp = find_rsdp();
	int64_t delta;
	EFI_STATUS st;
	bool s3_unwatched;
	int rc;

	rc = mp_discover(&cpus, cfg->cpus);
	if (rc)
		return rc;
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages,
			       EfiReservedMemoryType, pages, &mem);
	if (EFI_ERROR(st)) {
		log_error("cannot reserve %lu MiB of memory: %s",
			  cfg->memory >> 20, efi_status_name(st));
		return -NV_ENOMEM;
	}
	/* Keep the 2 MiB-aligned part, give the rest back. */
	base = (mem + 0x1fffff) & ~0x1fffffull;
	end = base + cfg->memory;
	if (base > mem)
		uefi_call_wrapper(BS->FreePages, 2, mem, (base - mem) / 4096);
	if (mem + pages * 4096 > end)
		uefi_call_wrapper(BS->FreePages, 2, end,
				  (mem + pages * 4096 - end) / 4096);
	log_info("reserved %lu MiB at 0x%lx-0x%lx as EfiReservedMemoryType",
		 cfg->memory >> 20, base, end - 1);
	if (self->ImageSize + 2 * 4096 > cfg->memory) {
		log_error("the image does not fit in the reserved memory");
		return -NV_ERANGE;
	}

	p = (struct launch_params){
		.region_base = base, .region_size = cfg->memory,
		.image_size = self->ImageSize, .log_level = cfg->log,
		.serial = cfg->serial, .debug_exit = debug_exit_enabled(),
		.nr_cpus = cpus.nr,
		.nvctl = cfg->nvctl, .log_ring = cfg->log_ring,
	};
	s3_unwatched = sleep_find(&p.s3);
	p.smi_cmd = smi_cmd_find();
	for (unsigned i = 0; i < cpus.nr; i++)
		p.cpu[i] = (struct launch_cpu){
			.apic_id = cpus.cpu[i].apic_id, .bsp = cpus.cpu[i].bsp,
			.enabled = cpus.cpu[i].enabled,
			.virtualize = cpus.cpu[i].virtualize,
		};
	platform_from_acpi(rsdp, &p);
	delta = relocate_image_copy((uint64_t)self->ImageBase, self->ImageSize,
				    base);
	if (!delta)
		return -NV_EINVAL;
	log_info("image at 0x%lx (UEFI side), hypervisor copy at 0x%lx "
		 "(gdb: add-symbol-file nestvisor.so -o 0x%lx)",
		 (uint64_t)self->ImageBase, base, base);
	prepare = (int (*)(struct launch_params *))((uint64_t)hv_prepare +
						    (uint64_t)delta);
	launch = (int (*)(struct launch_params *))((uint64_t)hv_launch +
						   (uint64_t)delta);
	p.early_log = bootlog_text(&p.early_log_len);
	rc = prepare(&p);
	if (rc) {
		uefi_call_wrapper(BS->FreePages, 2, base, cfg->memory / 4096);
		log_error("hypervisor set-up failed (%s): continuing unvirtualized",
			  nv_err_name(rc));
		return rc;
	}
	mp_launch_aps(&cpus, launch, &p);
	/* The boot CPU last.  It cannot fail here: its slot exists. */
	rc = launch(&p);
	if (rc) {
		log_error("the boot CPU's take-over failed (%s)", nv_err_name(rc));
		return rc;
	}
	/* L1 now: the ring holds the hypervisor's set-up lines after ours;
	 * the console has not shown them yet.  Then our own lines since the
	 * ring was made, and every new one, go to the ring too. */
	if (console_count())
		bootlog_replay(p.early_log_len, console_write);
	bootlog_hand_over(p.early_log_len);
	/* Now L1: the OS must find no IOMMU to program (docs/security.md). */
	if (p.iommus_taken)
		log_info("ACPI: IVRS hidden from L1 (%d root-table entries "
			 "removed)", acpi_hide_ivrs(rsdp));
	/* An S3 request nestvisor cannot refuse must not be offered: the
	 * OS finds no \_S3 (docs/security.md, "The paths"). */
	if (s3_unwatched || cfg->hide_s3)
		sleep_hide_s3();
	return 0;
}

/* The UEFI console gets the lines so far and, until the next stage starts,
 * every new one. */
static void show_on_console(const struct nv_config *cfg)
{
	uint64_t len;
	const char *text = bootlog_text(&len);

	console_start(cfg->console, cfg->serial != CONFIG_SERIAL_NONE, text,
		      len);
}

static BOOLEAN under_hypervisor(void)
{
	return (cpuid(1).ecx & CPUID_1_ECX_HV) != 0;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	static char next_name[NEXT_NAME_MAX];
	struct nv_config cfg;
	EFI_HANDLE child;
	EFI_STATUS status;
	const char *why;

	InitializeLib(image, st);
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
	uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol,
			  (void **)&self);
	uart_init(0x3f8);
	log_set_sink(uart_write);
	bootlog_start();
	panic_set_stop(debug_exit_panic);
	log_info("nestvisor %s: a micro-hypervisor for nested paging on AMD SVM",
		 NV_VERSION_STR);
	if (load_config(&cfg)) {
		show_on_console(&cfg);
		return EFI_LOAD_ERROR;
	}
	show_on_console(&cfg);
	uart_init(cfg.serial);
	log_set_level(cfg.log);
	debug_exit_enable(cfg.debug_exit == NV_DEBUG_EXIT_ON ||
			  (cfg.debug_exit == NV_DEBUG_EXIT_AUTO &&
			   under_hypervisor()));
	log_info("config: next=%s args=\"%s\" log=%s memory=%luM debug_exit=%s "
		 "console=%s log_ring=%luK nvctl=%s hide_s3=%s", cfg.next,
		 cfg.args,
		 config_log_name(cfg.log), cfg.memory >> 20,
		 debug_exit_enabled() ? "on" : "off",
		 config_console_name(cfg.console), cfg.log_ring >> 10,
		 cfg.nvctl ? "on" : "off", cfg.hide_s3 ? "on" : "auto");
	report_cpu();
	report_memory_map();

	status = next_load(&cfg, image, self, &child, next_name);
	if (EFI_ERROR(status)) {
		if (!config_next_is_auto(&cfg))
			log_error("cannot load %s: %s%s", cfg.next,
				  efi_status_name(status),
				  next_load_hint(status));
		return status;
	}

	why = svm_unsupported_reason();
	if (why)
		log_info("not virtualizing: %s", why);
	else if (virtualize(&cfg) == 0)
		report_l1();

	log_info("chain-loading %s", next_name);
	console_stop();
	bootlog_close();
	status = uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
	log_info("%s returned: %s", next_name, efi_status_name(status));
	return status;
}
