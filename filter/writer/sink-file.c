// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The regular-file sink: a temporary file beside DUMPFILE, its header,
 * bitmaps and descriptor area allocated up front, renamed into place at
 * the end.
 *
 * The data is written by a thread of its own (one worker of the filter's
 * worker pool, workpool.h), from one data buffer while the next fills:
 * copying it into the page cache then costs the compressing thread
 * nothing. Its error shows at the next hand-over. The same thread writes
 * a block's staged bitmaps, so that the compressing thread never waits
 * for the file's lock while a data write holds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "outfile.h"

#define WRITEBACK_BYTES (16u << 20) /* data written between writeback starts */

/* A write for the writer thread: page data or a block's bitmaps. */
struct io_job {
	bool bitmaps;
	const uint8_t *buf; /* data: @len bytes at @off */
	size_t len;
	uint64_t off;
	uint64_t bm_len; /* bitmaps: the staged ones, @len bytes each */
	int e; /* 0 or errno */
	size_t done; /* bytes written */
};

/*
 * Jobs are tickets of a one-thread pool, done in order: at most one data
 * write and one bitmap write are in flight (IO_SLOTS).
 */
#define IO_SLOTS 2

struct file_sink {
	struct wr_sink s;
	struct vt_workpool pool;
	bool started; /* the writer thread runs */
	struct io_job jobs[IO_SLOTS];
	uint64_t submitted, collected; /* tickets */
	uint64_t bm_ticket; /* the last bitmap job, when bm_pending */
	bool bm_pending;
	int e; /* of the last data write collected: 0 or errno */
	uint64_t durable; /* end of the data it put down */
	int bm_e; /* of a bitmap write: the dump stays incomplete */
	uint8_t *spare; /* the other data buffer: with the writer thread */
	uint64_t flushed; /* data below this was handed to writeback */
};

static struct file_sink *fs_of(struct wr_sink *s)
{
	return (struct file_sink *)s;
}

static int file_put(struct wr_sink *s, uint64_t off, const void *buf,
		    size_t len, size_t *done)
{
	return vt_pwrite_all(s->fd, buf, len, off, done);
}

/* Hand what is written so far to writeback, without waiting for it. */
static void start_writeback(struct file_sink *f, uint64_t end)
{
	if (end - f->flushed < WRITEBACK_BYTES)
		return;
	/*
	 * The disk works while we compress, the final fsync() has little
	 * left to do, and a small capture kernel holds fewer dirty pages.
	 * An error here shows again in that fsync().
	 */
	(void)sync_file_range(f->s.fd, (off_t)f->flushed,
			      (off_t)(end - f->flushed), SYNC_FILE_RANGE_WRITE);
	f->flushed = end;
}

static void io_work(void *arg, unsigned int worker, uint64_t ticket)
{
	struct file_sink *f = arg;
	struct io_job *j = &f->jobs[ticket % IO_SLOTS];

	(void)worker;
	if (j->bitmaps) {
		j->e = wr_sink_put_stage(&f->s, j->len, j->off, j->bm_len);
		return;
	}
	j->e = vt_pwrite_all(f->s.fd, j->buf, j->len, j->off, &j->done);
	if (!j->e)
		start_writeback(f, j->off + j->len);
}

/* Wait for the oldest job in flight and take its result. */
static void io_collect(struct file_sink *f)
{
	uint64_t t = f->collected++;
	struct io_job *j = &f->jobs[t % IO_SLOTS];

	vt_workpool_wait(&f->pool, t);
	if (j->bitmaps) {
		if (j->e && !f->bm_e)
			f->bm_e = j->e;
		if (t == f->bm_ticket)
			f->bm_pending = false;
	} else {
		f->e = j->e;
		f->durable = j->off + j->done;
	}
	vt_workpool_release(&f->pool);
}

/* The next job's slot, and submit it. */
static struct io_job *io_job(struct file_sink *f)
{
	return &f->jobs[f->submitted % IO_SLOTS];
}

static void io_submit(struct file_sink *f)
{
	f->submitted++;
	vt_workpool_submit(&f->pool);
}

static int file_wait(struct wr_sink *s, uint64_t *durable)
{
	struct file_sink *f = fs_of(s);
	int e;

	if (!f->started)
		return 0;
	while (f->collected != f->submitted)
		io_collect(f);
	e = f->e;
	f->e = 0;
	*durable = f->durable;
	return e;
}

static void io_stop(struct file_sink *f)
{
	uint64_t durable;

	if (!f->started)
		return;
	file_wait(&f->s, &durable); /* its jobs are done, not dropped */
	vt_workpool_stop(&f->pool);
	f->started = false;
}

/* A writer thread when one can be had; without it data is written inline. */
static void file_begin_data(struct wr_sink *s, size_t buf_size)
{
	struct file_sink *f = fs_of(s);
	struct vt_error *err;

	if (!(f->spare = malloc(buf_size)))
		return;
	err = vt_workpool_start(&f->pool, 1, IO_SLOTS, io_work, f);
	f->started = !vt_error_catch(&err, 0);
}

static int file_data(struct wr_sink *s, uint8_t **buf, size_t len, uint64_t off,
		     uint64_t *durable)
{
	struct file_sink *f = fs_of(s);
	struct io_job *j;
	uint8_t *t;
	size_t done;
	int e;

	if (!f->started) {
		e = file_put(s, off, *buf, len, &done);
		*durable = off + done;
		if (!e)
			start_writeback(f, off + len);
		return e;
	}
	/* after the write before it, whose error shows here */
	e = file_wait(s, durable);
	if (e)
		return e;
	j = io_job(f);
	j->bitmaps = false;
	j->buf = *buf;
	j->len = len;
	j->off = off;
	io_submit(f);
	t = *buf;
	*buf = f->spare;
	f->spare = t;
	return 0;
}

static int file_bitmap_errno(const struct wr_sink *s)
{
	struct file_sink *f = fs_of((struct wr_sink *)s);

	while (f->bm_pending)
		io_collect(f);
	return f->bm_e;
}

/*
 * Waits for the writer thread to be done with the stage (then an error of
 * its earlier bitmap write shows), and hands the new one over: its error
 * shows at the next block, or when the dump is closed.
 */
static int file_bitmaps(struct wr_sink *s, const uint8_t *bm1,
			const uint8_t *bm2, size_t len, uint8_t mask,
			uint64_t off, uint64_t bm_len)
{
	struct file_sink *f = fs_of(s);
	int e = file_bitmap_errno(s);
	struct io_job *j;

	if (!e)
		e = wr_sink_stage(s, bm1, bm2, len, mask);
	if (e)
		return e;
	if (!f->started)
		return wr_sink_put_stage(s, len, off, bm_len);
	j = io_job(f);
	j->bitmaps = true;
	j->len = len;
	j->off = off;
	j->bm_len = bm_len;
	f->bm_ticket = f->submitted;
	f->bm_pending = true;
	io_submit(f);
	return 0;
}

static struct vt_error *file_start(struct wr_sink *s, uint64_t head_len)
{
	int e = vt_preallocate(s->fd, 0, head_len);

	if (e)
		return vt_error_errno(e, "%s: cannot allocate %llu bytes",
				      s->tmp, (unsigned long long)head_len);
	s->reserved_end = head_len;
	return NULL;
}

static int file_reserve(struct wr_sink *s, uint64_t off, uint64_t len)
{
	int e = vt_preallocate(s->fd, off, len);

	if (!e)
		s->reserved_end = off + len;
	return e;
}

static uint64_t file_bytes(const struct wr_sink *s, uint64_t file_size)
{
	(void)s;
	return file_size;
}

/* The final header in place, the file cut to @size, then installed. */
static struct vt_error *file_close(struct wr_sink *s, const uint8_t *hdr,
				   size_t hdr_len, bool incomplete,
				   bool after_failure, uint64_t size)
{
	struct vt_error *err = NULL;
	size_t done;
	int e;

	/* the header area is allocated: this write succeeds after a failure */
	(void)incomplete;
	(void)after_failure;
	io_stop(fs_of(s));
	e = file_put(s, 0, hdr, hdr_len, &done);
	if (e)
		err = vt_error_errno(e, "%s: writing the header", s->name);
	if (!err && ftruncate(s->fd, (off_t)size))
		err = vt_error_errno(errno, "%s: ftruncate", s->tmp);
	return wr_sink_install(s, err, true);
}

static void file_free(struct wr_sink *s)
{
	struct file_sink *f = fs_of(s);

	io_stop(f);
	wr_sink_free_common(s);
	free(f->spare);
	free(f);
}

const struct wr_sink_ops wr_file_ops = {
	.in_place = true,
	.put = file_put,
	.start = file_start,
	.begin_data = file_begin_data,
	.reserve = file_reserve,
	.data = file_data,
	.wait = file_wait,
	.bitmaps = file_bitmaps,
	.bitmap_errno = file_bitmap_errno,
	.bytes = file_bytes,
	.close = file_close,
	.free = file_free,
};

struct wr_sink *wr_file_sink_new(void)
{
	struct file_sink *f = calloc(1, sizeof(*f));

	/* s is the first member: the sink's free() frees f */
	// cppcheck-suppress memleak
	return f ? &f->s : NULL;
}
