// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Output sinks: the choice between a regular file and a flattened stream,
 * made once here, and what both kinds share (the temporary file, the
 * staged bitmaps, installing the file under its final name).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "outfile.h"

struct vt_error *wr_sink_open(const struct vt_writer_opts *opts,
			      struct wr_sink **out)
{
	bool flat = opts->flattened || !opts->path;
	struct wr_sink *s = flat ? wr_flat_sink_new() : wr_file_sink_new();
	struct vt_error *err = NULL;

	*out = NULL;
	if (!s)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	s->ops = flat ? &wr_flat_ops : &wr_file_ops;
	s->fd = opts->out_fd;
	s->force = opts->force;
	if (opts->path && !(s->path = strdup(opts->path))) {
		s->fd = -1;
		s->ops->free(s);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	s->name = s->path ? s->path : STDOUT_NAME;
	if (s->path) {
		s->fd = -1;
		err = vt_outfile_check(s->path, s->force);
		if (!err)
			err = vt_outfile_temp(s->path, &s->tmp, &s->fd);
	}
	*out = s;
	return err;
}

int wr_sink_stage(struct wr_sink *s, const uint8_t *bm1, const uint8_t *bm2,
		  size_t len, uint8_t mask)
{
	if (2 * len > s->stage_cap) {
		uint8_t *n = realloc(s->stage, 2 * len);

		if (!n)
			return ENOMEM;
		s->stage = n;
		s->stage_cap = 2 * len;
	}
	memcpy(s->stage, bm1, len);
	memcpy(s->stage + len, bm2, len);
	if (mask) {
		s->stage[len - 1] &= mask;
		s->stage[2 * len - 1] &= mask;
	}
	return 0;
}

int wr_sink_put_stage(struct wr_sink *s, size_t len, uint64_t off,
		      uint64_t bm_len)
{
	size_t done;
	int e = s->ops->put(s, off, s->stage, len, &done);

	if (!e)
		e = s->ops->put(s, off + bm_len, s->stage + len, len, &done);
	return e;
}

struct vt_error *wr_sink_install(struct wr_sink *s, struct vt_error *err,
				 bool sync)
{
	bool left;

	if (!s->tmp) /* stdout: the fd is the caller's */
		return err;
	if (!err && sync && fsync(s->fd))
		err = vt_error_errno(errno, "%s: fsync", s->tmp);
	if (close(s->fd) && !err)
		err = vt_error_errno(errno, "%s: close", s->tmp);
	s->fd = -1;
	if (!err)
		err = vt_outfile_rename(s->tmp, s->path, s->force, &left);
	if (!err || left) {
		free(s->tmp);
		s->tmp = NULL;
	}
	return err;
}

void wr_sink_free_common(struct wr_sink *s)
{
	if (s->tmp) {
		if (s->fd >= 0)
			close(s->fd);
		unlink(s->tmp);
	}
	free(s->tmp);
	free(s->path);
	free(s->stage);
}
