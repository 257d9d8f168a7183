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
	.errnum = ENOMEM,
	.message = "out of memory",
};

/* "PREFIX" + vprintf(fmt) + ": SUFFIX"; either may be NULL. */
static struct vt_error *error_vnew(enum vt_error_code code, const char *prefix,
				   const char *suffix, const char *fmt,
				   va_list ap)
{
	struct vt_error *err = calloc(1, sizeof(*err));
	char *msg;
	int n;

	if (!err)
		return &vt_error_nomem;
	if (vasprintf(&msg, fmt, ap) < 0) {
		free(err);
		return &vt_error_nomem;
	}
	if (prefix || suffix) {
		char *full;

		n = asprintf(&full, "%s%s%s%s", prefix ? prefix : "", msg,
			     suffix ? ": " : "", suffix ? suffix : "");
		free(msg);
		if (n < 0) {
			free(err);
			return &vt_error_nomem;
		}
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
	err = error_vnew(code, NULL, NULL, fmt, ap);
	va_end(ap);
	return err;
}

static enum vt_error_code os_code(int errnum)
{
	return errnum == ENOMEM ? VT_ERR_NOMEM : VT_ERR_IO;
}

struct vt_error *vt_error_errno(int errnum, const char *fmt, ...)
{
	struct vt_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = error_vnew(os_code(errnum), NULL, strerror(errnum), fmt, ap);
	va_end(ap);
	if (err != &vt_error_nomem)
		err->errnum = errnum;
	return err;
}

struct vt_error *vt_error_file(int errnum, const char *path, const char *fmt,
			       ...)
{
	struct vt_error *err;
	char *prefix;
	va_list ap;

	if (asprintf(&prefix, "%s: ", path) < 0)
		return &vt_error_nomem;
	va_start(ap, fmt);
	err = error_vnew(os_code(errnum), prefix, strerror(errnum), fmt, ap);
	va_end(ap);
	free(prefix);
	if (err == &vt_error_nomem)
		return err;
	err->errnum = errnum;
	err->path = strdup(path);
	if (!err->path) {
		vt_error_free(err);
		return &vt_error_nomem;
	}
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

struct vt_error *vt_error_copy(const struct vt_error *err)
{
	struct vt_error *c;

	if (!err || err == &vt_error_nomem)
		return (struct vt_error *)err;
	c = calloc(1, sizeof(*c));
	if (!c)
		return &vt_error_nomem;
	*c = *err;
	c->message = strdup(err->message);
	c->path = err->path ? strdup(err->path) : NULL;
	if (!c->message || (err->path && !c->path)) {
		free(c->message);
		free(c->path);
		free(c);
		return &vt_error_nomem;
	}
	return c;
}

void vt_error_free(struct vt_error *err)
{
	if (!err || err == &vt_error_nomem)
		return;
	free(err->path);
	free(err->message);
	free(err);
}

bool vt_error_catch(struct vt_error **err, enum vt_error_code code)
{
	if (!*err || (code && (*err)->code != code))
		return false;
	vt_error_free(*err);
	*err = NULL;
	return true;
}
