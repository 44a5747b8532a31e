// SPDX-License-Identifier: MIT
/*
 * Device paths as untrusted bytes (boot/devpath.h).  Every walk starts from
 * a length validated by dp_length(), which checks each node header and
 * Length against the buffer before looking at the node's data, so the other
 * functions never read past what dp_length accepted.
 */
#include "boot/devpath.h"

#include "mm/err.h"

static bool is_end(const uint8_t *node)
{
	return node[0] == DP_TYPE_END;
}

static bool is_media(const uint8_t *node, uint8_t subtype)
{
	return node[0] == DP_TYPE_MEDIA && node[1] == subtype;
}

int dp_length(const uint8_t *dp, size_t max, size_t *len, const char **why)
{
	size_t off = 0;

	for (unsigned n = 0; n < DP_MAX_NODES; n++) {
		uint16_t nl;

		if (max - off < DP_HDR_SIZE) {
			*why = "the path runs past its buffer (no End node)";
			return -NV_EINVAL;
		}
		nl = dp_node_len(dp + off);
		if (nl < DP_HDR_SIZE) {
			*why = "a node's Length is below 4";
			return -NV_EINVAL;
		}
		if (nl > max - off) {
			*why = "a node's Length runs past the buffer";
			return -NV_EINVAL;
		}
		if (is_end(dp + off)) {
			if (nl != DP_HDR_SIZE) {
				*why = "an End node's Length is not 4";
				return -NV_EINVAL;
			}
			*len = off + nl;
			return 0;
		}
		off += nl;
	}
	*why = "more than 64 nodes";
	return -NV_EINVAL;
}

enum dp_kind dp_classify(const uint8_t *dp, size_t len)
{
	bool file = false;

	for (size_t off = 0; off < len && !is_end(dp + off);
	     off += dp_node_len(dp + off)) {
		if (is_media(dp + off, DP_MEDIA_FV_FILE) ||
		    is_media(dp + off, DP_MEDIA_FV))
			return DP_KIND_FIRMWARE;
		if (is_media(dp + off, DP_MEDIA_FILE_PATH))
			file = true;
	}
	if (is_end(dp))
		return DP_KIND_EMPTY;
	if (is_media(dp, DP_MEDIA_HARD_DRIVE))
		return DP_KIND_SHORT_HD;
	if (is_media(dp, DP_MEDIA_FILE_PATH))
		return DP_KIND_SHORT_FILE;
	return file ? DP_KIND_FILE : DP_KIND_DEVICE;
}

size_t dp_device_len(const uint8_t *dp, size_t len)
{
	size_t off = 0;

	while (off < len && !is_end(dp + off) &&
	       !is_media(dp + off, DP_MEDIA_FILE_PATH))
		off += dp_node_len(dp + off);
	return off;
}

/* Appends ch to out (a '\' only if out does not end in one). */
static int put(char *out, size_t max, size_t *n, char ch)
{
	if (ch == '\\' && *n && out[*n - 1] == '\\')
		return 0;
	if (*n + 1 >= max || *n >= DP_FILE_MAX)
		return -NV_EINVAL;
	out[(*n)++] = ch;
	return 0;
}

int dp_file_path(const uint8_t *dp, size_t len, char *out, size_t max,
		 const char **why)
{
	size_t n = 0;

	if (!max)
		return -NV_EINVAL;
	out[0] = '\0';
	for (size_t off = 0; off < len && !is_end(dp + off);
	     off += dp_node_len(dp + off)) {
		size_t data = dp_node_len(dp + off) - DP_HDR_SIZE;
		const uint8_t *p = dp + off + DP_HDR_SIZE;
		bool nul = false;

		if (!is_media(dp + off, DP_MEDIA_FILE_PATH))
			continue;
		if (data % 2) {
			*why = "a file path node of odd size";
			return -NV_EINVAL;
		}
		if (put(out, max, &n, '\\'))
			goto too_long;
		for (size_t i = 0; i + 1 < data; i += 2) {
			uint16_t ch = (uint16_t)(p[i] | (p[i + 1] << 8));

			if (!ch) {
				nul = true;
				break;
			}
			if (ch < 0x20 || ch > 0x7e) {
				*why = "a file path with a character outside printable ASCII";
				return -NV_EINVAL;
			}
			if (put(out, max, &n, ch == '/' ? '\\' : (char)ch))
				goto too_long;
		}
		if (!nul) {
			*why = "a file path node without its NUL";
			return -NV_EINVAL;
		}
	}
	out[n] = '\0';
	return 0;
too_long:
	out[0] = '\0';
	*why = "a file path longer than 255 characters";
	return -NV_EINVAL;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool dp_file_equal(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return false;
	return *a == *b;
}

bool dp_is_prefix(const uint8_t *prefix, size_t prefix_len, const uint8_t *dp,
		  size_t len)
{
	if (prefix_len > len)
		return false;
	for (size_t i = 0; i < prefix_len; i++)
		if (prefix[i] != dp[i])
			return false;
	return true;
}

long dp_find_node(const uint8_t *dp, size_t len, const uint8_t *node)
{
	uint16_t nl = dp_node_len(node);

	for (size_t off = 0; off < len && !is_end(dp + off);
	     off += dp_node_len(dp + off))
		if (dp_node_len(dp + off) == nl &&
		    dp_is_prefix(node, nl, dp + off, len - off))
			return (long)off;
	return -1;
}

enum dp_self_match dp_match_self(const uint8_t *dp, size_t len,
				 const struct dp_self *self)
{
	char file[DP_FILE_MAX + 1];
	size_t dlen = dp_device_len(dp, len);
	const char *why;
	bool same_file = !dp_file_path(dp, len, file, sizeof(file), &why) &&
			 file[0] && dp_file_equal(file, self->file);

	switch (dp_classify(dp, len)) {
	case DP_KIND_FILE:
		return dlen == self->dev_len &&
			       dp_is_prefix(dp, dlen, self->dev, self->dev_len) &&
			       same_file ? DP_SELF_FILE : DP_NOT_SELF;
	case DP_KIND_SHORT_HD:
		return dp_find_node(self->dev, self->dev_len, dp) >= 0 &&
			       same_file ? DP_SELF_SHORT_HD : DP_NOT_SELF;
	case DP_KIND_SHORT_FILE:
		return same_file ? DP_SELF_SHORT_FILE : DP_NOT_SELF;
	case DP_KIND_DEVICE:
		return dp_is_prefix(dp, dlen, self->dev, self->dev_len) &&
			       dp_file_equal(self->file, DP_REMOVABLE_PATH) ?
			       DP_SELF_DEVICE : DP_NOT_SELF;
	case DP_KIND_EMPTY:
	case DP_KIND_FIRMWARE:
		break;
	}
	return DP_NOT_SELF;
}
