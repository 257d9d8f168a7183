// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * -R: a flattened stream, read from a pipe in one pass, written back as
 * the regular file it stands for (temporary name, then rename). The
 * format's header and record checks are reader/flat.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flat.h"
#include "outfile.h"
#include "write.h"

struct reasm {
	int in_fd, out_fd;
	const char *in_name, *tmp;
	uint64_t pos; /* bytes of the stream consumed */
	uint8_t *buf;
};

static struct vt_error *reasm_read(struct reasm *r, void *buf, size_t len,
				   const char *what)
{
	size_t got;
	int e = vt_read_full(r->in_fd, buf, len, &got);

	if (e)
		return vt_error_errno(e, "%s: reading %s at byte %llu",
				      r->in_name, what,
				      (unsigned long long)(r->pos + got));
	r->pos += got;
	if (got < len)
		return vt_error_new(
			VT_ERR_FORMAT,
			"%s: flattened stream ends at byte %llu inside %s (no end mark)",
			r->in_name, (unsigned long long)r->pos, what);
	return NULL;
}

static struct vt_error *reasm_header(struct reasm *r)
{
	struct vt_error *err =
		reasm_read(r, r->buf, FLAT_HEADER_SIZE, "the flattened header");

	if (err)
		return err;
	if (!vt_flat_probe(r->buf, FLAT_HEADER_SIZE))
		return vt_error_new(
			VT_ERR_FORMAT,
			"%s: not a flattened dump: no \"%s\" signature at byte 0",
			r->in_name, FLAT_SIGNATURE);
	if (!vt_flat_type_ok(r->buf))
		return vt_error_new(
			VT_ERR_UNSUPPORTED,
			"%s: flattened stream type %lld version %lld at byte 16 (expected %d and %d)",
			r->in_name, (long long)vt_flat_type(r->buf),
			(long long)vt_flat_version(r->buf), FLAT_TYPE,
			FLAT_VERSION);
	return NULL;
}

/* Copy the @size bytes of one record to offset @off of the output. */
static struct vt_error *reasm_copy(struct reasm *r, uint64_t off, uint64_t size)
{
	while (size) {
		size_t n = size > VT_FLAT_RECORD_MAX ? VT_FLAT_RECORD_MAX :
						       (size_t)size;
		size_t done;
		struct vt_error *err = reasm_read(r, r->buf, n, "a record");
		int e;

		if (err)
			return err;
		e = vt_pwrite_all(r->out_fd, r->buf, n, off, &done);
		if (e)
			return vt_error_errno(e, "%s: write at offset %llu",
					      r->tmp,
					      (unsigned long long)(off + done));
		off += n;
		size -= n;
	}
	return NULL;
}

static struct vt_error *reasm_records(struct reasm *r)
{
	for (;;) {
		uint8_t rh[FLAT_RECORD_HEADER_SIZE];
		uint64_t at = r->pos;
		enum vt_flat_rec kind;
		int64_t off, size;
		struct vt_error *err =
			reasm_read(r, rh, sizeof(rh), "a record header");

		if (err)
			return err;
		kind = vt_flat_record(rh, &off, &size);
		if (kind == VT_FLAT_REC_END)
			return NULL;
		if (kind != VT_FLAT_REC_DATA)
			return vt_error_new(
				VT_ERR_FORMAT,
				"%s: bad flattened record at byte %llu: offset %lld, size %lld",
				r->in_name, (unsigned long long)at,
				(long long)off, (long long)size);
		err = reasm_copy(r, (uint64_t)off, (uint64_t)size);
		if (err)
			return err;
	}
}

struct vt_error *vt_flat_reassemble(int in_fd, const char *in_name,
				    const char *path, bool force)
{
	struct reasm r = { .in_fd = in_fd, .in_name = in_name };
	struct vt_error *err = vt_outfile_check(path, force);
	char *tmp = NULL;
	bool left;

	if (err)
		return err;
	r.buf = malloc(VT_FLAT_RECORD_MAX > FLAT_HEADER_SIZE ?
			       VT_FLAT_RECORD_MAX :
			       FLAT_HEADER_SIZE);
	if (!r.buf)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	err = vt_outfile_temp(path, &tmp, &r.out_fd);
	if (err) {
		free(r.buf);
		return err;
	}
	r.tmp = tmp;
	err = reasm_header(&r);
	if (!err)
		err = reasm_records(&r);
	if (!err && fsync(r.out_fd))
		err = vt_error_errno(errno, "%s: fsync", tmp);
	if (close(r.out_fd) && !err)
		err = vt_error_errno(errno, "%s: close", tmp);
	if (!err)
		err = vt_outfile_rename(tmp, path, force, &left);
	else
		unlink(tmp);
	free(tmp);
	free(r.buf);
	return err;
}
