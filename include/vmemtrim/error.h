/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Errors are values: every fallible function of the core returns a
 * struct vt_error * (NULL on success) whose message says what went wrong,
 * where (file, offset, pfn, address) and why. Only main() and the crash glue
 * print it.
 */
#ifndef VMEMTRIM_ERROR_H
#define VMEMTRIM_ERROR_H

#include <stdbool.h>

enum vt_error_code {
	VT_ERR_NOMEM = 1, /* out of memory */
	VT_ERR_IO, /* read or write failed (errno in the message) */
	VT_ERR_FORMAT, /* the input is malformed or corrupt */
	VT_ERR_UNSUPPORTED, /* valid, but not something we handle */
	VT_ERR_INVALID, /* the caller asked for something impossible */
	VT_ERR_NODATA, /* the page exists but is not in this dump */
	VT_ERR_NOTMAPPED, /* no translation for a virtual address */
	VT_ERR_NOKEY, /* a vmcoreinfo key the operation needs is absent */
};

struct vt_error {
	enum vt_error_code code;
	/* the errno of an OS failure (0 for others): callers decide on it */
	int errnum;
	/* the file an OS failure concerns, or NULL (owned by the error) */
	char *path;
	char *message;
};

/*
 * A new error with a printf-style message. Never returns NULL: when memory
 * runs out it returns a static "out of memory" error.
 */
struct vt_error *vt_error_new(enum vt_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * An OS failure: code VT_ERR_IO (VT_ERR_NOMEM for ENOMEM), err->errnum set,
 * ": strerror(errnum)" appended to the message.
 */
struct vt_error *vt_error_errno(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * An OS failure on @path: as vt_error_errno(), err->path set, and the
 * message "PATH: message: strerror(errnum)".
 */
struct vt_error *vt_error_file(int errnum, const char *path, const char *fmt,
			       ...) __attribute__((format(printf, 3, 4)));

/*
 * Put context in front of an error's message (the formatted prefix, verbatim:
 * pass "%s: " to get "FILE: message") and return
 * the same error. A NULL err is returned as NULL.
 */
struct vt_error *vt_error_prefix(struct vt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A copy of @err (code, errnum, path, message), for an error kept and
 * returned again; NULL for NULL, the out-of-memory error when memory runs out.
 */
struct vt_error *vt_error_copy(const struct vt_error *err);

/* Free an error (NULL and the static out-of-memory error are ignored). */
void vt_error_free(struct vt_error *err);

/*
 * Handle an expected error: when *@err has @code (any code for 0), free it,
 * set *@err to NULL and return true; otherwise leave it and return false.
 * The free-and-carry-on of a caller that degrades instead of failing.
 */
bool vt_error_catch(struct vt_error **err, enum vt_error_code code);

#endif
