// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The flattened (-F) sink: makedumpfile's flattened format, a header and
 * records (offset, size, bytes) in write order, to standard output or to
 * a temporary file renamed into place. Nothing can be rewritten: the
 * first header record carries the final status, and a dump that stops
 * gets a second one saying INCOMPLETE.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flat.h"
#include "internal.h"
#include "io.h"

struct flat_sink {
	struct wr_sink s;
	uint64_t stream_bytes; /* bytes of the stream */
	uint64_t flat_end; /* farthest logical byte written */
};

static struct flat_sink *fl_of(struct wr_sink *s)
{
	return (struct flat_sink *)s;
}

/* Bytes to the stream, counted; 0 or errno. */
static int stream_write(struct flat_sink *f, const void *buf, size_t len,
			size_t *done)
{
	int e = vt_write_all(f->s.fd, buf, len, done);

	f->stream_bytes += *done;
	return e;
}

/* One flattened record (offset, size, bytes); 0 or errno. */
static int flat_record(struct flat_sink *f, uint64_t off, const void *buf,
		       size_t len, size_t *done)
{
	uint8_t rh[FLAT_RECORD_HEADER_SIZE];
	size_t n;
	int e;

	*done = 0;
	vt_flat_record_header(rh, (int64_t)off, (int64_t)len);
	e = stream_write(f, rh, sizeof(rh), &n);
	if (e)
		return e;
	e = stream_write(f, buf, len, done);
	if (!e && off + len > f->flat_end)
		f->flat_end = off + len;
	return e;
}

/* Records of at most VT_FLAT_RECORD_MAX bytes. */
static int flat_put(struct wr_sink *s, uint64_t off, const void *buf,
		    size_t len, size_t *done)
{
	const uint8_t *p = buf;
	int e = 0;

	*done = 0;
	while (!e && *done < len) {
		size_t n = len - *done, got;

		if (n > VT_FLAT_RECORD_MAX)
			n = VT_FLAT_RECORD_MAX;
		e = flat_record(fl_of(s), off + *done, p + *done, n, &got);
		*done += got;
	}
	return e;
}

static struct vt_error *flat_start(struct wr_sink *s, uint64_t head_len)
{
	uint8_t fh[FLAT_HEADER_SIZE];
	size_t done;
	int e;

	(void)head_len;
	vt_flat_header(fh);
	e = stream_write(fl_of(s), fh, sizeof(fh), &done);
	if (e)
		return vt_error_errno(e, "%s: writing the flattened header",
				      s->name);
	return NULL;
}

static void flat_begin_data(struct wr_sink *s, size_t buf_size)
{
	(void)s;
	(void)buf_size;
}

static int flat_reserve(struct wr_sink *s, uint64_t off, uint64_t len)
{
	(void)s;
	(void)off;
	(void)len;
	return 0;
}

static int flat_data(struct wr_sink *s, uint8_t **buf, size_t len, uint64_t off,
		     uint64_t *durable)
{
	size_t done;
	int e = flat_put(s, off, *buf, len, &done);

	*durable = off + done;
	return e;
}

static int flat_wait(struct wr_sink *s, uint64_t *durable)
{
	(void)s;
	(void)durable;
	return 0;
}

static int flat_bitmaps(struct wr_sink *s, const uint8_t *bm1,
			const uint8_t *bm2, size_t len, uint8_t mask,
			uint64_t off, uint64_t bm_len)
{
	int e = wr_sink_stage(s, bm1, bm2, len, mask);

	return e ? e : wr_sink_put_stage(s, len, off, bm_len);
}

static int flat_bitmap_errno(const struct wr_sink *s)
{
	(void)s;
	return 0;
}

static uint64_t flat_bytes(const struct wr_sink *s, uint64_t file_size)
{
	(void)file_size;
	return fl_of((struct wr_sink *)s)->stream_bytes;
}

/*
 * A second header record when the dump is incomplete, a byte at the end
 * so that the logical file ends where the regular one would, the end mark.
 * After a failed write nothing more is written: what is there is kept.
 */
static struct vt_error *flat_close(struct wr_sink *s, const uint8_t *hdr,
				   size_t hdr_len, bool incomplete,
				   bool after_failure, uint64_t size)
{
	struct flat_sink *f = fl_of(s);
	struct vt_error *err = NULL;
	size_t done;
	int e = 0;

	if (after_failure)
		return wr_sink_install(s, NULL, false);
	if (incomplete)
		e = flat_put(s, 0, hdr, hdr_len, &done);
	if (!e && f->flat_end < size) {
		static const uint8_t zero;

		e = flat_record(f, size - 1, &zero, 1, &done);
	}
	if (!e) {
		uint8_t end[FLAT_RECORD_HEADER_SIZE];

		vt_flat_record_header(end, FLAT_END_MARK, FLAT_END_MARK);
		e = stream_write(f, end, sizeof(end), &done);
	}
	if (e)
		err = vt_error_errno(e, "%s: writing the header", s->name);
	return wr_sink_install(s, err, true);
}

static void flat_free(struct wr_sink *s)
{
	wr_sink_free_common(s);
	free(fl_of(s));
}

const struct wr_sink_ops wr_flat_ops = {
	.in_place = false,
	.put = flat_put,
	.start = flat_start,
	.begin_data = flat_begin_data,
	.reserve = flat_reserve,
	.data = flat_data,
	.wait = flat_wait,
	.bitmaps = flat_bitmaps,
	.bitmap_errno = flat_bitmap_errno,
	.bytes = flat_bytes,
	.close = flat_close,
	.free = flat_free,
};

struct wr_sink *wr_flat_sink_new(void)
{
	struct flat_sink *f = calloc(1, sizeof(*f));

	/* s is the first member: the sink's free() frees f */
	// cppcheck-suppress memleak
	return f ? &f->s : NULL;
}
