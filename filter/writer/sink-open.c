// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The choice between a regular file and a flattened stream, made once
 * here, and the sink's output opened: the temporary file beside DUMPFILE,
 * or the descriptor given (standard output).
 */
#include <stdlib.h>
#include <string.h>

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
