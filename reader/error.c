// SPDX-License-Identifier: GPL-2.0-or-later
/* Errors as values: see include/vmemtrim/error.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/error.h"

static struct vt_error vt_error_nomem = {
	.code = VT_ERR_NOMEM,
	.message = "out of memory",
};

static struct vt_error *error_vnew(enum vt_error_code code, const char *suffix,
				   const char *fmt, va_list ap)
{
	struct vt_error *err = malloc(sizeof(*err));
	char *msg;

	if (!err)
		return &vt_error_nomem;
	if (vasprintf(&msg, fmt, ap) < 0) {
		free(err);
		return &vt_error_nomem;
	}
	if (suffix) {
		char *full;

		if (asprintf(&full, "%s: %s", msg, suffix) < 0) {
			free(msg);
			free(err);
			return &vt_error_nomem;
		}
		free(msg);
		msg = full;
	}
	err->code = code;
	err->message = msg;
	return err;
}

struct vt_error *vt_error_new(enum vt_error_code code, const char *fmt, ...)
{
	struct vt_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = error_vnew(code, NULL, fmt, ap);
	va_end(ap);
	return err;
}

struct vt_error *vt_error_errno(int errnum, const char *fmt, ...)
{
	enum vt_error_code code = errnum == ENOMEM ? VT_ERR_NOMEM : VT_ERR_IO;
	struct vt_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = error_vnew(code, strerror(errnum), fmt, ap);
	va_end(ap);
	return err;
}

struct vt_error *vt_error_prefix(struct vt_error *err, const char *fmt, ...)
{
	char *prefix, *full;
	va_list ap;
	int n;

	if (!err || err == &vt_error_nomem)
		return err;
	va_start(ap, fmt);
	n = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err;
	if (asprintf(&full, "%s%s", prefix, err->message) >= 0) {
		free(err->message);
		err->message = full;
	}
	free(prefix);
	return err;
}

void vt_error_free(struct vt_error *err)
{
	if (!err || err == &vt_error_nomem)
		return;
	free(err->message);
	free(err);
}
