/* SPDX-License-Identifier: MIT */
/*
 * UEFI device paths as untrusted bytes (UEFI 2.x §10.2, §10.3): a packed
 * sequence of nodes, each a 4-byte header (Type, SubType, Length as a
 * little-endian UINT16 counting the header) and its data, ending with an
 * End Entire node (7F FF 04 00).  Nothing here assumes alignment or trusts a
 * length: every function is given the buffer's size and checks each node
 * against it.  Pure C for boot/next_auto.c and the host tests.
 *
 * What next = auto needs (docs/hardware.md "next = auto"):
 *  - the length of a path, validated;
 *  - its kind (a full path to a file, a device only, the short forms that
 *    start at a hard-drive or file node, a firmware-volume application);
 *  - its file path as ASCII (the File nodes joined), and whether one path
 *    is a node-wise prefix of another.
 */
#ifndef NV_BOOT_DEVPATH_H
#define NV_BOOT_DEVPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Node types and subtypes used here (UEFI 2.x §10.3.1, §10.3.5, §10.3.6). */
#define DP_HDR_SIZE		4
#define DP_TYPE_HARDWARE	0x01
#define DP_TYPE_ACPI		0x02
#define DP_TYPE_MESSAGING	0x03
#define DP_TYPE_MEDIA		0x04
#define DP_TYPE_END		0x7f
#define DP_END_INSTANCE		0x01
#define DP_END_ENTIRE		0xff
#define DP_MEDIA_HARD_DRIVE	0x01	/* HD(part, GPT|MBR, signature, ...) */
#define DP_MEDIA_FILE_PATH	0x04	/* PathName: NUL-terminated CHAR16 */
#define DP_MEDIA_FV_FILE	0x06	/* PIWG firmware file: FvFile(guid) */
#define DP_MEDIA_FV		0x07	/* PIWG firmware volume: Fv(guid) */
#define DP_HARD_DRIVE_SIZE	42	/* the hard-drive node's fixed Length */

/* At most this many nodes in one path: more is treated as malformed. */
#define DP_MAX_NODES		64
/* Longest file path kept, in characters (as the config's next). */
#define DP_FILE_MAX		255

enum dp_kind {
	DP_KIND_EMPTY,		/* only an End node */
	DP_KIND_FILE,		/* device nodes, then File nodes: a loader */
	DP_KIND_DEVICE,		/* device nodes only: the firmware boots its
				   removable-media path \EFI\BOOT\BOOTX64.EFI */
	DP_KIND_SHORT_HD,	/* starts at a hard-drive node (short form,
				   UEFI 2.x §3.1.2): HD(...)/\path */
	DP_KIND_SHORT_FILE,	/* only File nodes: \path on any volume */
	DP_KIND_FIRMWARE,	/* has an Fv or FvFile node: an application
				   inside the firmware (boot menu, shell) */
};

/*
 * Validates the path in dp[0..max) up to its first End node (either
 * subtype: the first instance) and stores in *len the bytes up to and
 * including that End node.  Returns 0, or -NV_EINVAL with *why set to a
 * short reason: a header past max, a Length below 4 or past max, an End
 * node whose Length is not 4, more than DP_MAX_NODES nodes.
 */
int dp_length(const uint8_t *dp, size_t max, size_t *len, const char **why);

/* The kind of a validated path (dp_length's len). */
enum dp_kind dp_classify(const uint8_t *dp, size_t len);

/* Bytes of a validated path before its first File node or End node. */
size_t dp_device_len(const uint8_t *dp, size_t len);

/*
 * The File nodes of a validated path joined into an ASCII path in
 * out[0..max): '/' becomes '\', a '\' is put between nodes when neither
 * side has one, repeated '\' are collapsed, and the result starts with '\'.
 * Returns 0 (out is "" when there is no File node) or -NV_EINVAL with *why
 * set: a PathName of odd size or without its NUL, a character outside
 * printable ASCII, a result longer than DP_FILE_MAX or max - 1.
 */
int dp_file_path(const uint8_t *dp, size_t len, char *out, size_t max,
		 const char **why);

/* ASCII paths equal ignoring case (FAT is case-insensitive). */
bool dp_file_equal(const char *a, const char *b);

/* The first prefix_len bytes of a are the first bytes of b (node-aligned,
 * as both are validated paths). */
bool dp_is_prefix(const uint8_t *prefix, size_t prefix_len, const uint8_t *dp,
		  size_t len);

/*
 * The offset in dp[0..len) of a node with the same bytes as node (its full
 * Length), or -1.  For a short-form path's hard-drive node.
 */
long dp_find_node(const uint8_t *dp, size_t len, const uint8_t *node);

/* The path the firmware boots from a device without a file path: the
 * removable-media path for x64 (UEFI 2.x §3.5.1.1). */
#define DP_REMOVABLE_PATH	"\\EFI\\BOOT\\BOOTX64.EFI"

/* Where nestvisor's own image is: its device, its file. */
struct dp_self {
	const uint8_t *dev;	/* the device's path, End node excluded */
	size_t dev_len;
	const char *file;	/* dp_file_path of the image's FilePath */
};

enum dp_self_match {
	DP_NOT_SELF,
	DP_SELF_FILE,		/* same device nodes and the same file */
	DP_SELF_SHORT_HD,	/* the same partition (HD node) and file */
	DP_SELF_SHORT_FILE,	/* a short form naming the same file */
	DP_SELF_DEVICE,		/* nestvisor's device (or a parent) and
				   nestvisor is its removable-media path */
};

/*
 * Whether a boot entry's validated path designates nestvisor's own image,
 * and how.  Firmware applications and empty paths never do.
 */
enum dp_self_match dp_match_self(const uint8_t *dp, size_t len,
				 const struct dp_self *self);

/* A node's Length field. */
static inline uint16_t dp_node_len(const uint8_t *node)
{
	return (uint16_t)(node[2] | (node[3] << 8));
}

#endif
