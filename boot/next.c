// SPDX-License-Identifier: MIT
/*
 * Loading the next stage (README "Options", docs/hardware.md "next = auto").
 *
 * next = PATH: PATH on nestvisor's own volume; if it is not there, on each
 * other volume (SimpleFileSystem handle) in handle order, so that a USB
 * stick can name the boot loader of the machine's own disk.
 *
 * next = auto, what the firmware would boot without nestvisor:
 *  1. nestvisor's place: the device path of its DeviceHandle and the file
 *     path of its image (EFI_LOADED_IMAGE FilePath).
 *  2. BootCurrent and BootOrder.  For each Boot#### of BootOrder, in order:
 *     read it (at most LOADOPT_MAX_SIZE bytes) and parse it
 *     (boot/loadopt.c; malformed: a warning, skipped).  Skip it if it is
 *     BootCurrent or its path designates nestvisor's image
 *     (dp_match_self), if it is not ACTIVE, an application entry
 *     (CATEGORY_APP), a firmware application (Fv/FvFile: boot menu,
 *     shell) or empty.  Else load it as the firmware's boot manager would:
 *     a full path as it is; a device: \EFI\BOOT\BOOTX64.EFI on its volumes
 *     (the path as it is when it has none: LoadFile, e.g. network boot);
 *     the short forms: expanded on the volumes with that partition (HD
 *     node) or that file.  The first entry that loads is the next stage,
 *     with the entry's OptionalData as its load options.
 *  3. Else \EFI\BOOT\BOOTX64.EFI on every volume but nestvisor's own, in
 *     handle order (no load options).
 *  4. Else EFI_NOT_FOUND: nestvisor returns to the firmware.
 * Each skip and failure is logged with its reason, the choice with why.
 * Everything read from NVRAM is bounded (boot/loadopt.h, boot/devpath.h);
 * device paths from the firmware's own handles are validated the same way.
 */
#include "boot/next.h"

#include "boot/devpath.h"
#include "boot/efi_util.h"
#include "boot/loadopt.h"
#include "core/fmt.h"
#include "core/log.h"
#include "mm/err.h"

/* Bounds for what is read from the firmware and NVRAM. */
#define HANDLE_PATH_MAX	4096	/* a volume's device path */
#define BOOT_ORDER_BYTES	4096	/* BootOrder variable */

static CHAR16 removable_path[] = L"\\EFI\\BOOT\\BOOTX64.EFI";

struct ctx {
	EFI_HANDLE parent;
	EFI_LOADED_IMAGE *self;
	struct dp_self me;
	char my_file[DP_FILE_MAX + 1];
	EFI_HANDLE *vols;		/* SimpleFileSystem handles */
	UINTN nvols;
};

/* GNU-EFI's device-path functions take non-const pointers; they do not
 * write through them. */
static EFI_DEVICE_PATH *as_dp(const uint8_t *p)
{
	return (EFI_DEVICE_PATH *)(uintptr_t)p;
}

static void path_text(EFI_DEVICE_PATH *dp, char *out, UINTN max)
{
	CHAR16 *s = DevicePathToStr(dp);
	BOOLEAN lossy;

	out[0] = '\0';
	if (s) {
		ucs2_to_ascii(s, 512, out, max, &lossy);
		FreePool(s);
	}
}

/* A volume's device path, validated, End node excluded; NULL if none. */
static const uint8_t *volume_path(EFI_HANDLE h, size_t *len)
{
	EFI_DEVICE_PATH *dp = DevicePathFromHandle(h);
	const char *why;
	size_t n;

	if (!dp || dp_length((const uint8_t *)dp, HANDLE_PATH_MAX, &n, &why))
		return NULL;
	*len = n - DP_HDR_SIZE;
	return (const uint8_t *)dp;
}

static EFI_STATUS try_load(struct ctx *c, EFI_DEVICE_PATH *dp,
			   BOOLEAN boot_policy, EFI_HANDLE *child)
{
	EFI_STATUS st;

	*child = NULL;
	st = uefi_call_wrapper(BS->LoadImage, 6, boot_policy, c->parent, dp,
			       NULL, 0, child);
	/* A Secure Boot refusal still returns a handle (UEFI 2.x §7.4). */
	if (EFI_ERROR(st) && *child) {
		uefi_call_wrapper(BS->UnloadImage, 1, *child);
		*child = NULL;
	}
	return st;
}

/* LoadImage of file on volume h; on success *where says which volume. */
static EFI_STATUS load_on_volume(struct ctx *c, EFI_HANDLE h, CHAR16 *file,
				 EFI_HANDLE *child, char *where, UINTN wmax)
{
	EFI_DEVICE_PATH *dp = FileDevicePath(h, file);
	EFI_STATUS st;

	if (!dp)
		return EFI_OUT_OF_RESOURCES;
	st = try_load(c, dp, TRUE, child);
	if (!EFI_ERROR(st) && where)
		path_text(dp, where, wmax);
	FreePool(dp);
	return st;
}

/* After a failed LoadImage: what the status means for the user. */
const char *next_load_hint(EFI_STATUS st)
{
	if (st == EFI_ACCESS_DENIED || st == EFI_SECURITY_VIOLATION)
		return ": Secure Boot refused its signature (docs/hardware.md, "
		       "Secure Boot)";
	return "";
}

static void set_options(EFI_HANDLE child, const void *data, UINTN len)
{
	const uint8_t *src = data;
	EFI_LOADED_IMAGE *li;
	uint8_t *copy = NULL;

	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, child,
					&LoadedImageProtocol, (void **)&li)))
		return;
	if (len) {
		copy = AllocatePool(len);
		if (!copy)
			len = 0;
		for (UINTN i = 0; i < len; i++)
			copy[i] = src[i];
	}
	li->LoadOptions = copy;
	li->LoadOptionsSize = (UINT32)len;
}

/* ---- next = PATH ----------------------------------------------------- */

static EFI_STATUS load_path(struct ctx *c, const struct nv_config *cfg,
			    EFI_HANDLE *child, char *name)
{
	static CHAR16 wargs[CONFIG_ARGS_MAX + 1];
	CHAR16 wpath[CONFIG_NEXT_MAX + 1];
	char where[300];
	EFI_DEVICE_PATH *dp;
	EFI_STATUS st, first;
	UINTN n;

	ascii_to_ucs2(cfg->next, wpath, CONFIG_NEXT_MAX + 1);
	dp = FileDevicePath(c->self->DeviceHandle, wpath);
	if (!dp)
		return EFI_OUT_OF_RESOURCES;
	first = st = try_load(c, dp, FALSE, child);
	FreePool(dp);
	fmt_snprintf(name, NEXT_NAME_MAX, "%s", cfg->next);
	for (UINTN i = 0; st == EFI_NOT_FOUND && i < c->nvols; i++) {
		if (c->vols[i] == c->self->DeviceHandle)
			continue;
		st = load_on_volume(c, c->vols[i], wpath, child, where,
				    sizeof(where));
		if (!EFI_ERROR(st)) {
			log_info("%s is not on nestvisor's volume: found on "
				 "another one, %s", cfg->next, where);
			fmt_snprintf(name, NEXT_NAME_MAX, "%s", where);
		}
	}
	if (st == EFI_NOT_FOUND)
		st = first;
	if (EFI_ERROR(st))
		return st;
	n = ascii_to_ucs2(cfg->args, wargs, CONFIG_ARGS_MAX + 1);
	set_options(*child, wargs, (n + 1) * sizeof(CHAR16));
	return EFI_SUCCESS;
}

/* ---- next = auto ------------------------------------------------------ */

/* Reads a global variable of at most max bytes into a new pool buffer. */
static EFI_STATUS read_var(const char *name, UINTN max, uint8_t **buf,
			   UINTN *size)
{
	CHAR16 wname[16];
	EFI_STATUS st;
	UINTN n = 0;

	*buf = NULL;
	ascii_to_ucs2(name, wname, 16);
	st = uefi_call_wrapper(RT->GetVariable, 5, wname, &EfiGlobalVariable,
			       NULL, &n, NULL);
	if (st != EFI_BUFFER_TOO_SMALL)
		return st == EFI_SUCCESS ? EFI_NOT_FOUND : st;
	if (n > max)
		return EFI_BAD_BUFFER_SIZE;
	*buf = AllocatePool(n ? n : 1);
	if (!*buf)
		return EFI_OUT_OF_RESOURCES;
	st = uefi_call_wrapper(RT->GetVariable, 5, wname, &EfiGlobalVariable,
			       NULL, &n, *buf);
	if (EFI_ERROR(st)) {
		FreePool(*buf);
		*buf = NULL;
		return st;
	}
	*size = n;
	return EFI_SUCCESS;
}

static const char *self_reason(enum dp_self_match m)
{
	switch (m) {
	case DP_SELF_FILE:
		return "nestvisor itself (its path is nestvisor's device and "
		       "file)";
	case DP_SELF_SHORT_HD:
		return "nestvisor itself (its path is nestvisor's partition "
		       "and file)";
	case DP_SELF_SHORT_FILE:
		return "nestvisor itself (its path is nestvisor's file)";
	case DP_SELF_DEVICE:
		return "nestvisor itself (its path is nestvisor's device, "
		       "whose removable-media path is nestvisor)";
	default:
		return "";
	}
}

/* Loads a parsed boot entry the way the firmware's boot manager would. */
static EFI_STATUS load_entry(struct ctx *c, const struct load_option *lo,
			     EFI_HANDLE *child, char *where, UINTN wmax)
{
	size_t dlen = dp_device_len(lo->path, lo->path_len);
	EFI_STATUS st = EFI_NOT_FOUND;
	BOOLEAN matched = FALSE;
	char file[DP_FILE_MAX + 1];
	CHAR16 wfile[DP_FILE_MAX + 1];
	const char *why;

	switch (dp_classify(lo->path, lo->path_len)) {
	case DP_KIND_FILE:
		st = try_load(c, as_dp(lo->path), TRUE, child);
		if (!EFI_ERROR(st))
			path_text(as_dp(lo->path), where, wmax);
		return st;
	case DP_KIND_DEVICE:
		for (UINTN i = 0; i < c->nvols; i++) {
			size_t vlen;
			const uint8_t *v = volume_path(c->vols[i], &vlen);

			if (!v || c->vols[i] == c->self->DeviceHandle ||
			    !dp_is_prefix(lo->path, dlen, v, vlen))
				continue;
			matched = TRUE;
			st = load_on_volume(c, c->vols[i], removable_path,
					    child, where, wmax);
			if (!EFI_ERROR(st))
				return st;
		}
		if (matched)
			return st;
		st = try_load(c, as_dp(lo->path), TRUE, child);
		if (!EFI_ERROR(st))
			path_text(as_dp(lo->path), where, wmax);
		return st;
	case DP_KIND_SHORT_HD:
		for (UINTN i = 0; i < c->nvols; i++) {
			size_t vlen, hd = dp_node_len(lo->path);
			const uint8_t *v = volume_path(c->vols[i], &vlen);
			EFI_DEVICE_PATH *full;
			long at;

			if (!v)
				continue;
			at = dp_find_node(v, vlen, lo->path);
			if (at < 0 || (size_t)at + hd != vlen)
				continue;
			full = AppendDevicePath(as_dp(v), as_dp(lo->path + hd));
			if (!full)
				return EFI_OUT_OF_RESOURCES;
			st = try_load(c, full, TRUE, child);
			if (!EFI_ERROR(st))
				path_text(full, where, wmax);
			FreePool(full);
			return st;
		}
		return EFI_NOT_FOUND;
	case DP_KIND_SHORT_FILE:
		if (dp_file_path(lo->path, lo->path_len, file, sizeof(file),
				 &why))
			return EFI_INVALID_PARAMETER;
		ascii_to_ucs2(file, wfile, DP_FILE_MAX + 1);
		for (UINTN i = 0; i < c->nvols; i++) {
			if (c->vols[i] == c->self->DeviceHandle)
				continue;
			st = load_on_volume(c, c->vols[i], wfile, child,
					    where, wmax);
			if (!EFI_ERROR(st))
				return st;
		}
		return EFI_NOT_FOUND;
	case DP_KIND_EMPTY:
	case DP_KIND_FIRMWARE:
		break;
	}
	return EFI_UNSUPPORTED;
}

/* Why an entry is not a candidate, or NULL if it is one. */
static const char *skip_reason(struct ctx *c, uint16_t num, int boot_current,
			       const struct load_option *lo)
{
	enum dp_self_match m = dp_match_self(lo->path, lo->path_len, &c->me);

	if (num == boot_current && m != DP_NOT_SELF)
		return m == DP_SELF_DEVICE ?
			"nestvisor itself (BootCurrent; and its path is "
			"nestvisor's device, whose removable-media path is "
			"nestvisor)" :
			"nestvisor itself (BootCurrent; and its path names "
			"nestvisor's image)";
	if (num == boot_current)
		return "nestvisor itself (BootCurrent: the entry the firmware "
		       "started)";
	if (m != DP_NOT_SELF)
		return self_reason(m);
	if (!(lo->attributes & LOADOPT_ACTIVE))
		return "not active (LOAD_OPTION_ACTIVE clear)";
	if ((lo->attributes & LOADOPT_CATEGORY) != LOADOPT_CATEGORY_BOOT)
		return "an application entry (LOAD_OPTION_CATEGORY_APP), not "
		       "an operating system";
	switch (dp_classify(lo->path, lo->path_len)) {
	case DP_KIND_FIRMWARE:
		return "an application inside the firmware (boot menu, shell)";
	case DP_KIND_EMPTY:
		return "an empty device path";
	default:
		return NULL;
	}
}

static EFI_STATUS auto_boot_order(struct ctx *c, EFI_HANDLE *child,
				  char *name)
{
	uint16_t order[BOOT_ORDER_MAX];
	uint8_t *buf;
	UINTN size;
	size_t n;
	int boot_current = -1, self_pos = -1;
	unsigned before = 0;	/* non-self entries passed over */
	EFI_STATUS st;

	st = read_var("BootCurrent", 2, &buf, &size);
	if (!EFI_ERROR(st)) {
		if (size == 2)
			boot_current = buf[0] | buf[1] << 8;
		FreePool(buf);
	}
	st = read_var("BootOrder", BOOT_ORDER_BYTES, &buf, &size);
	if (EFI_ERROR(st)) {
		log_warn("next = auto: cannot read BootOrder (%s)",
			 st == EFI_BAD_BUFFER_SIZE ? "larger than 4 KiB" :
						     efi_status_name(st));
		return EFI_NOT_FOUND;
	}
	if (boot_order_parse(buf, size, order, BOOT_ORDER_MAX, &n) ==
	    -NV_EINVAL)
		log_warn("next = auto: BootOrder has an odd size (%lu bytes): "
			 "ignored", (unsigned long)size);
	else if (n * 2 < size)
		log_warn("next = auto: BootOrder has %lu entries: only the "
			 "first %u are looked at", (unsigned long)size / 2,
			 BOOT_ORDER_MAX);
	FreePool(buf);
	if (boot_current >= 0)
		log_info("next = auto: BootCurrent is Boot%04X, BootOrder has "
			 "%lu entries", boot_current, (unsigned long)n);
	else
		log_info("next = auto: no BootCurrent, BootOrder has %lu "
			 "entries", (unsigned long)n);

	for (size_t i = 0; i < n; i++) {
		char var[9], where[300];
		struct load_option lo;
		const char *why;

		fmt_snprintf(var, sizeof(var), "Boot%04X", order[i]);
		if (order[i] == boot_current && self_pos < 0)
			self_pos = (int)i;	/* even if it is unreadable */
		st = read_var(var, LOADOPT_MAX_SIZE, &buf, &size);
		if (EFI_ERROR(st)) {
			log_warn("next = auto: %s (BootOrder entry %lu): cannot "
				 "read it (%s): skipped", var,
				 (unsigned long)i + 1,
				 st == EFI_BAD_BUFFER_SIZE ? "larger than 16 KiB" :
							     efi_status_name(st));
			before += order[i] != boot_current;
			continue;
		}
		if (loadopt_parse(buf, size, &lo, &why)) {
			log_warn("next = auto: %s: malformed load option (%s): "
				 "skipped", var, why);
			FreePool(buf);
			before += order[i] != boot_current;
			continue;
		}
		why = skip_reason(c, order[i], boot_current, &lo);
		if (order[i] == boot_current ||
		    dp_match_self(lo.path, lo.path_len, &c->me) != DP_NOT_SELF) {
			log_info("next = auto: skipping %s \"%s\": %s", var,
				 lo.description, why);
			if (self_pos < 0)
				self_pos = (int)i;
			FreePool(buf);
			continue;
		}
		before++;
		if (why) {
			log_info("next = auto: skipping %s \"%s\": %s", var,
				 lo.description, why);
			FreePool(buf);
			continue;
		}
		st = load_entry(c, &lo, child, where, sizeof(where));
		if (EFI_ERROR(st)) {
			log_info("next = auto: skipping %s \"%s\": cannot load "
				 "it (%s%s)", var, lo.description,
				 efi_status_name(st), next_load_hint(st));
			FreePool(buf);
			continue;
		}
		set_options(*child, lo.optional, lo.optional_len);
		fmt_snprintf(name, NEXT_NAME_MAX, "%s \"%s\"", var,
			     lo.description);
		if (before == 1 && self_pos >= 0)
			log_info("next = auto: %s (the first BootOrder entry "
				 "after nestvisor's own Boot%04X)", name,
				 order[self_pos]);
		else if (before == 1)
			log_info("next = auto: %s (the first BootOrder entry)",
				 name);
		else
			log_info("next = auto: %s (BootOrder entry %lu of %lu: "
				 "the ones before it are nestvisor's own or were "
				 "skipped, see above)", name,
				 (unsigned long)i + 1, (unsigned long)n);
		log_info("next = auto: %s is %s", var, where);
		FreePool(buf);
		return EFI_SUCCESS;
	}
	return EFI_NOT_FOUND;
}

static EFI_STATUS auto_removable(struct ctx *c, EFI_HANDLE *child,
				 char *name)
{
	char where[300];
	EFI_STATUS st;

	for (UINTN i = 0; i < c->nvols; i++) {
		if (c->vols[i] == c->self->DeviceHandle)
			continue;
		st = load_on_volume(c, c->vols[i], removable_path, child,
				    where, sizeof(where));
		if (st != EFI_NOT_FOUND && EFI_ERROR(st)) {
			EFI_DEVICE_PATH *dp = DevicePathFromHandle(c->vols[i]);

			where[0] = '\0';
			if (dp)
				path_text(dp, where, sizeof(where));
			log_info("next = auto: \\EFI\\BOOT\\BOOTX64.EFI on %s: "
				 "cannot load it (%s%s)", where,
				 efi_status_name(st), next_load_hint(st));
		}
		if (EFI_ERROR(st))
			continue;
		set_options(*child, NULL, 0);
		fmt_snprintf(name, NEXT_NAME_MAX, "%s", where);
		log_info("next = auto: %s (no BootOrder entry could be loaded: "
			 "the removable-media path of the first other volume "
			 "that has one)", name);
		return EFI_SUCCESS;
	}
	return EFI_NOT_FOUND;
}

static EFI_STATUS load_auto(struct ctx *c, EFI_HANDLE *child, char *name)
{
	const char *why = "";
	size_t len;
	const uint8_t *dev = volume_path(c->self->DeviceHandle, &len);

	c->me.dev = dev;
	c->me.dev_len = dev ? len : 0;
	c->me.file = c->my_file;
	if (!dev)
		log_warn("next = auto: nestvisor's device has no valid device "
			 "path: only BootCurrent tells which entry is its own");
	if (c->self->FilePath &&
	    dp_length((const uint8_t *)c->self->FilePath, HANDLE_PATH_MAX, &len,
		      &why) == 0)
		dp_file_path((const uint8_t *)c->self->FilePath, len,
			     c->my_file, sizeof(c->my_file), &why);
	if (!EFI_ERROR(auto_boot_order(c, child, name)))
		return EFI_SUCCESS;
	if (!EFI_ERROR(auto_removable(c, child, name)))
		return EFI_SUCCESS;
	log_error("next = auto: nothing to boot: neither a BootOrder entry "
		  "other than nestvisor's nor \\EFI\\BOOT\\BOOTX64.EFI on "
		  "another volume could be loaded (see above)");
	return EFI_NOT_FOUND;
}

EFI_STATUS next_load(const struct nv_config *cfg, EFI_HANDLE parent,
		     EFI_LOADED_IMAGE *self, EFI_HANDLE *child,
		     char name[NEXT_NAME_MAX])
{
	struct ctx c = { .parent = parent, .self = self };
	EFI_STATUS st;

	name[0] = '\0';
	if (EFI_ERROR(LibLocateHandle(ByProtocol, &FileSystemProtocol, NULL,
				      &c.nvols, &c.vols))) {
		c.nvols = 0;
		c.vols = NULL;
	}
	if (config_next_is_auto(cfg))
		st = load_auto(&c, child, name);
	else
		st = load_path(&c, cfg, child, name);
	if (c.vols)
		FreePool(c.vols);
	return st;
}
