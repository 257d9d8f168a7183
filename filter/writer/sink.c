// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What both kinds of output sink share: the staged bitmaps, installing
 * the file under its final name (sink-open.c chooses the kind).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "outfile.h"

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
	bool left = false;

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
