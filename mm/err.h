/* SPDX-License-Identifier: MIT */
/*
 * nestvisor's one error convention (docs/architecture.md, "Errors").
 *
 * A function that can fail returns int: 0 on success, or the negation of
 * one of these codes (`return -NV_ENOMEM;`).  A pure predicate returns
 * bool instead.  The codes live in mm/, the lowest folder, so that every
 * folder can use them; core/err.h re-exports them for the hypervisor.
 */
#ifndef NV_MM_ERR_H
#define NV_MM_ERR_H

enum nv_err {
	NV_OK = 0,
	NV_ENOMEM = 1, /* out of pages or slots */
	NV_EINVAL,     /* malformed input */
	NV_EFAULT,     /* an address outside what may be touched */
	NV_EAGAIN,     /* lost a race; the caller may retry (bounded) */
	NV_ERANGE,     /* a value beyond a hardware or configured limit */
	NV_EBUSY,      /* the resource is in use */
	NV_ENOENT,     /* no such entry (e.g. an address that is not mapped) */
};

/* A name for logs: "ENOMEM", ...; accepts the code negated or not. */
static inline const char *nv_err_name(int err)
{
	static const char *const names[] = {
		"OK", "ENOMEM", "EINVAL", "EFAULT", "EAGAIN", "ERANGE", "EBUSY",
		"ENOENT",
	};
	unsigned e = (unsigned)(err < 0 ? -err : err);

	return e < sizeof(names) / sizeof(names[0]) ? names[e] : "E?";
}

#endif
