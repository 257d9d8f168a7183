// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dump writer: see write.h for the calls and
 * docs/kdump-format.md for the layout.
 *
 * Pages are gathered into batches of about 1 MiB. A batch is compressed as
 * a whole, inline (one thread) or by a pool of worker threads, and batches
 * are emitted strictly in the order they were filled, by the caller's
 * thread only: every descriptor and data offset is assigned at emission,
 * so the bytes written do not depend on the thread count or on timing.
 *
 * Emitted data and descriptors go to two buffers written in large pieces.
 * Data is always written before the descriptors that point at it, and on a
 * write error only descriptors whose data lies wholly below the end of
 * what was written are kept; the rest of the descriptor area, allocated up
 * front, stays zero (offset 0: not written).
 *
 * Into a regular file the data is written by a thread of its own (struct
 * wr_io), from one data buffer while the next fills: copying it into the
 * page cache then costs the compressing thread nothing. Its error shows at
 * the next hand-over, and descriptors are written only once it is idle.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "write.h"
#include "vmemtrim/codec.h"
#include "vmemtrim/format.h"

#define BATCH_BYTES (1u << 20) /* page data per batch (input side) */
#define BATCH_MIN_PAGES 16
#define DATA_BUF_BYTES (4u << 20) /* data written per write, at most */
#define WRITEBACK_BYTES (16u << 20) /* data written between writeback starts */
#define DESC_BUF_ENTRIES 65536 /* 1.5 MiB of descriptors per write */
#define FLAT_RECORD_MAX (4u << 20) /* payload of one flattened record */
#define ZERO_CHUNK (1u << 20) /* zeros written where fallocate fails */
#define MAX_THREADS 256
#define STDOUT_NAME "standard output"
/* logical file offsets beyond this are no real dump (as reader/flat.c) */
#define FLAT_MAX_OFFSET (UINT64_C(1) << 56)

enum wr_state {
	WR_BITMAPS, /* opened: header written, bitmaps arriving */
	WR_PAGES, /* bitmaps complete: pages arriving */
	WR_DONE, /* finished or failed: only freeing is left */
};

enum wr_kind {
	PAGE_DATA, /* stored, compressed or raw */
	PAGE_ZERO, /* the shared zero page */
	PAGE_MISSING, /* passed as NULL: descriptor stays empty */
};

/* How one page of a batch is stored. */
struct wr_slot {
	uint32_t size, flags;
	uint8_t kind;
	bool repeat; /* stored as the page before it, not compressed again */
};

struct wr_batch {
	unsigned int n; /* pages in the batch */
	bool done; /* compressed (under the pool's lock) */
	uint64_t *pfn;
	uint8_t *in; /* n pages */
	uint8_t *out; /* stored data of the PAGE_DATA pages, in order */
	size_t out_len;
	struct wr_slot *slot;
	struct vt_error *err; /* a codec failure */
};

/* Per compressing thread. */
struct wr_scratch {
	uint8_t *cbuf;
	size_t cap;
	void *work;
};

struct wr_worker {
	struct vt_writer *w;
	struct wr_scratch s;
	pthread_t tid;
	bool started;
};

struct wr_pool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	uint64_t submitted, taken; /* batch sequence numbers */
	bool stop;
	unsigned int nworkers;
	struct wr_worker *workers;
	bool ready; /* mutex and conds initialized */
};

/*
 * The data writer thread: one write in flight at most, of @buf (the data
 * buffer just filled; the caller fills the other), then its writeback.
 * It also writes a block's staged bitmaps (at @bm_off, the writer's
 * stage meanwhile its own), so that the compressing thread never waits
 * for the file's lock while a data write holds it.
 */
struct wr_io {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t tid;
	bool started, pending, stop;
	const uint8_t *buf;
	size_t len;
	uint64_t off;
	int e; /* of the last write: 0 or errno */
	size_t done; /* its bytes written */
	bool bm_pending;
	uint64_t bm_off;
	int bm_e; /* of a bitmap write: the dump stays incomplete */
};

struct vt_writer {
	struct vt_writer_opts opts;
	char *path; /* DUMPFILE, NULL for stdout */
	char *tmp; /* the temporary file, NULL for stdout */
	const char *name; /* for messages: path or "standard output" */
	int fd;
	enum wr_state state;
	char *fail_msg; /* after a failure: the error, for later calls */
	/*
	 * A page write failed on a regular file: the file stays open so the
	 * remaining bitmaps can still be written into their allocated area;
	 * finish/abort close it as INCOMPLETE.
	 */
	bool close_pending;
	enum vt_error_code fail_code;

	/* layout */
	uint32_t bs;
	uint64_t max_pfn, bm_len, bm_off, desc_off, data_off;
	uint32_t sub_blocks;
	uint8_t hdr[KDUMP_HDR_SIZE]; /* disk_dump_header, status patched */
	uint32_t status; /* final status without INCOMPLETE */

	/* bookkeeping of the calls */
	uint64_t bm2_set, nr_dumped, nr_given, last_pfn;
	bool seeked; /* vt_writer_seek(): the next pfn may be lower */

	/* output */
	uint64_t prealloc_end; /* regular file: bytes allocated up front */
	uint64_t stream_bytes; /* flattened: bytes of the stream */
	uint64_t flat_end; /* flattened: farthest logical byte written */
	uint8_t *dbuf; /* data not yet written, for file offset dpos */
	uint8_t *dbuf2; /* the other data buffer: with the writer thread */
	size_t dlen, dcap;
	struct wr_io io;
	uint64_t dpos, data_next; /* data_next: offset of the next byte */
	uint64_t flushed; /* data below this was handed to writeback */
	uint8_t *stage; /* a block's bitmaps, the 2nd after the 1st */
	size_t stage_len, stage_cap; /* stage_len bytes of each */
	uint8_t *pbuf; /* descriptors not yet written, from index pfirst */
	size_t pcount, pcap;
	uint64_t pfirst;
	struct vt_writer_stats st; /* written descriptors (and pending) */

	/* batches: a ring, filled at fill_seq, emitted at emit_seq */
	unsigned int per_batch, nbatch;
	struct wr_batch *batches;
	uint64_t fill_seq, emit_seq;
	struct wr_pool pool;
	struct wr_scratch scratch; /* inline compression */
};


static bool all_zero(const uint8_t *p, size_t len)
{
	return !p[0] && !memcmp(p, p + 1, len - 1);
}

/* --- output: regular file or flattened records -------------------------- */

/* Write one flattened record (offset, size, bytes); 0 or errno. */
static int flat_record(struct vt_writer *w, uint64_t off, const void *buf,
		       size_t len, size_t *done)
{
	uint8_t rh[FLAT_RECORD_HEADER_SIZE];
	size_t n;
	int e;

	*done = 0;
	vt_put_be64(rh, off);
	vt_put_be64(rh + 8, len);
	e = vt_write_all(w->fd, rh, sizeof(rh), &n);
	w->stream_bytes += n;
	if (e)
		return e;
	e = vt_write_all(w->fd, buf, len, done);
	w->stream_bytes += *done;
	if (!e && off + len > w->flat_end)
		w->flat_end = off + len;
	return e;
}

/*
 * Put @len bytes at offset @off of the dump file: pwrite, or flattened
 * records of at most FLAT_RECORD_MAX bytes. 0 or errno; *done = bytes
 * written from the start of @buf.
 */
static int out_put(struct vt_writer *w, uint64_t off, const void *buf,
		   size_t len, size_t *done)
{
	const uint8_t *p = buf;
	int e = 0;

	if (!w->opts.flattened)
		return vt_pwrite_all(w->fd, buf, len, off, done);
	*done = 0;
	while (!e && *done < len) {
		size_t n = len - *done, got;

		if (n > FLAT_RECORD_MAX)
			n = FLAT_RECORD_MAX;
		e = flat_record(w, off + *done, p + *done, n, &got);
		*done += got;
	}
	return e;
}

/* Size of the regular file so far (or of the logical file, flattened). */
static uint64_t file_size(const struct vt_writer *w)
{
	uint64_t end = w->prealloc_end;

	if (w->dpos > end)
		end = w->dpos;
	if (w->state != WR_BITMAPS && w->data_off > end)
		end = w->data_off;
	return end;
}

/* The staged bitmaps, the 1st at @off: 0 or errno. */
static int put_stage(struct vt_writer *w, uint64_t off)
{
	size_t done;
	int e = out_put(w, off, w->stage, w->stage_len, &done);

	if (!e)
		e = out_put(w, off + w->bm_len, w->stage + w->stage_len,
			    w->stage_len, &done);
	return e;
}

/* --- the data writer thread --------------------------------------------- */

/* Hand what is written so far to writeback, without waiting for it. */
static void start_writeback(struct vt_writer *w, uint64_t end)
{
	if (!w->tmp || w->opts.flattened || end - w->flushed < WRITEBACK_BYTES)
		return;
	/*
	 * The disk works while we compress, the final fsync() has little
	 * left to do, and a small capture kernel holds fewer dirty pages.
	 * An error here shows again in that fsync().
	 */
	(void)sync_file_range(w->fd, (off_t)w->flushed,
			      (off_t)(end - w->flushed), SYNC_FILE_RANGE_WRITE);
	w->flushed = end;
}

static void *io_main(void *arg)
{
	struct vt_writer *w = arg;
	struct wr_io *io = &w->io;

	pthread_mutex_lock(&io->mu);
	for (;;) {
		size_t done;
		int e;

		while (!io->pending && !io->bm_pending && !io->stop)
			pthread_cond_wait(&io->cv, &io->mu);
		if (io->bm_pending) {
			pthread_mutex_unlock(&io->mu);
			e = put_stage(w, io->bm_off);
			pthread_mutex_lock(&io->mu);
			if (e && !io->bm_e)
				io->bm_e = e;
			io->bm_pending = false;
			pthread_cond_broadcast(&io->cv);
			continue;
		}
		if (!io->pending)
			break;
		pthread_mutex_unlock(&io->mu);
		e = vt_pwrite_all(w->fd, io->buf, io->len, io->off, &done);
		if (!e)
			start_writeback(w, io->off + io->len);
		pthread_mutex_lock(&io->mu);
		io->e = e;
		io->done = done;
		io->pending = false;
		pthread_cond_broadcast(&io->cv);
	}
	pthread_mutex_unlock(&io->mu);
	return NULL;
}

/*
 * Wait until the writer thread is idle. 0, or the errno of its last write
 * (once), with *durable_end the end of the data that write put down.
 */
static int io_wait(struct vt_writer *w, uint64_t *durable_end)
{
	struct wr_io *io = &w->io;
	int e;

	if (!io->started)
		return 0;
	pthread_mutex_lock(&io->mu);
	while (io->pending || io->bm_pending)
		pthread_cond_wait(&io->cv, &io->mu);
	e = io->e;
	io->e = 0;
	*durable_end = io->off + io->done;
	pthread_mutex_unlock(&io->mu);
	return e;
}

static void io_stop(struct vt_writer *w)
{
	struct wr_io *io = &w->io;

	if (!io->started)
		return;
	pthread_mutex_lock(&io->mu);
	io->stop = true;
	pthread_cond_broadcast(&io->cv);
	pthread_mutex_unlock(&io->mu);
	pthread_join(io->tid, NULL);
	pthread_cond_destroy(&io->cv);
	pthread_mutex_destroy(&io->mu);
	io->started = false;
}

/* A bitmap write of the writer thread failed: the error, or NULL. */
static struct vt_error *bitmap_failure(const struct vt_writer *w)
{
	if (!w->io.bm_e)
		return NULL;
	return vt_error_new(
		VT_ERR_IO,
		"%s: writing the bitmaps: %s; the dump is marked incomplete",
		w->name, strerror(w->io.bm_e));
}

/*
 * A writer thread for the data of a regular file, when one can be had;
 * without it the data is written inline.
 */
static void io_start(struct vt_writer *w)
{
	struct wr_io *io = &w->io;

	if (w->opts.flattened || !(w->dbuf2 = malloc(w->dcap)))
		return;
	if (pthread_mutex_init(&io->mu, NULL))
		return;
	if (pthread_cond_init(&io->cv, NULL)) {
		pthread_mutex_destroy(&io->mu);
		return;
	}
	if (pthread_create(&io->tid, NULL, io_main, w)) {
		pthread_cond_destroy(&io->cv);
		pthread_mutex_destroy(&io->mu);
		return;
	}
	io->started = true;
}

/* --- failure: keep what is whole, mark the dump incomplete -------------- */

static struct vt_error *stored_failure(const struct vt_writer *w)
{
	return vt_error_new(w->fail_code, "%s", w->fail_msg);
}

static void remember_failure(struct vt_writer *w, const struct vt_error *err)
{
	free(w->fail_msg);
	w->fail_msg = strdup(err->message);
	w->fail_code = err->code;
	if (!w->fail_msg) {
		w->fail_msg = strdup("out of memory");
		w->fail_code = VT_ERR_NOMEM;
	}
}

/* Forget the descriptors of pending pages whose data ends past @end. */
static void drop_descs_past(struct vt_writer *w, uint64_t end)
{
	for (size_t i = 0; i < w->pcount; i++) {
		uint8_t *d = w->pbuf + i * KDUMP_PD_LEN;
		uint64_t off = vt_le64(d + KDUMP_PD_OFFSET);
		uint32_t size = vt_le32(d + KDUMP_PD_SIZE);
		uint32_t flags = vt_le32(d + KDUMP_PD_FLAGS);

		if (!off || off + size <= end)
			continue;
		w->st.pages--;
		if (w->opts.exclude_zero && off == w->data_off)
			w->st.zero_pages--;
		else if (!flags)
			w->st.raw_pages--;
		memset(d, 0, KDUMP_PD_LEN);
	}
}

/*
 * Close the file and give it its final name: @incomplete sets
 * DUMP_DH_COMPRESSED_INCOMPLETE. Flattened streams get the final header
 * and the end mark. Returns the first error.
 */
static struct vt_error *close_dump(struct vt_writer *w, bool incomplete)
{
	uint32_t status = w->status;
	uint64_t size = file_size(w);
	struct vt_error *err = NULL;
	bool left = false;
	size_t done;
	int e;

	io_stop(w); /* idle: every caller flushed and waited */
	if (w->io.bm_e)
		incomplete = true;
	if (incomplete)
		status |= DUMP_DH_COMPRESSED_INCOMPLETE;
	vt_put_le32(w->hdr + KDUMP_HDR_STATUS, status);
	e = w->opts.flattened && !incomplete ?
		    0 :
		    out_put(w, 0, w->hdr, sizeof(w->hdr), &done);
	if (!e && w->opts.flattened && w->flat_end < size) {
		/* the logical file ends where the regular one would */
		static const uint8_t zero;

		e = flat_record(w, size - 1, &zero, 1, &done);
	}
	if (!e && w->opts.flattened) {
		uint8_t end[FLAT_RECORD_HEADER_SIZE];

		vt_put_be64(end, (uint64_t)(int64_t)FLAT_END_MARK);
		vt_put_be64(end + 8, (uint64_t)(int64_t)FLAT_END_MARK);
		e = vt_write_all(w->fd, end, sizeof(end), &done);
		w->stream_bytes += done;
	}
	if (e)
		err = vt_error_errno(e, "%s: writing the header", w->name);
	if (!w->tmp) /* stdout: the fd is the caller's */
		return err ? err : bitmap_failure(w);
	if (!err && !w->opts.flattened && ftruncate(w->fd, (off_t)size))
		err = vt_error_errno(errno, "%s: ftruncate", w->tmp);
	if (!err && fsync(w->fd))
		err = vt_error_errno(errno, "%s: fsync", w->tmp);
	if (close(w->fd) && !err)
		err = vt_error_errno(errno, "%s: close", w->tmp);
	w->fd = -1;
	if (!err)
		err = vt_outfile_rename(w->tmp, w->path, w->opts.force, &left);
	if (!err || left) {
		free(w->tmp);
		w->tmp = NULL;
	}
	return err ? err : bitmap_failure(w);
}

/*
 * A write of the dump failed with @e: keep the descriptors of the data
 * below @durable_end, close the file as an INCOMPLETE dump and return the
 * error. No further writes happen.
 */
static struct vt_error *fail_write(struct vt_writer *w, int e,
				   uint64_t durable_end)
{
	struct vt_error *err, *cerr = NULL;
	uint64_t end;
	size_t done;

	/* a write in flight ends first (its own error, if any, is this one) */
	if (io_wait(w, &end) && end < durable_end)
		durable_end = end;
	if (!w->opts.flattened) {
		/* the descriptor area is allocated: this write succeeds */
		drop_descs_past(w, durable_end);
		if (w->pcount)
			vt_pwrite_all(w->fd, w->pbuf, w->pcount * KDUMP_PD_LEN,
				      w->desc_off + w->pfirst * KDUMP_PD_LEN,
				      &done);
		w->pfirst += w->pcount;
		w->pcount = 0;
		w->dpos = durable_end;
		w->close_pending = true;
	} else {
		/* descriptors only follow the data they describe */
		drop_descs_past(w, 0);
		w->pcount = 0;
		if (w->tmp) {
			close(w->fd);
			w->fd = -1;
			bool left;

			cerr = vt_outfile_rename(w->tmp, w->path, w->opts.force,
						 &left);
			if (!cerr || left) {
				free(w->tmp);
				w->tmp = NULL;
			}
		}
	}
	w->dlen = 0;
	w->state = WR_DONE;
	if (cerr)
		err = vt_error_new(
			VT_ERR_IO,
			"%s: %s after %llu of %llu pages, and the incomplete dump could not be kept: %s",
			w->name, strerror(e), (unsigned long long)w->st.pages,
			(unsigned long long)w->nr_dumped, cerr->message);
	else if (w->path)
		err = vt_error_new(
			VT_ERR_IO,
			"%s: %s after %llu of %llu pages; the dump is marked incomplete",
			w->name, strerror(e), (unsigned long long)w->st.pages,
			(unsigned long long)w->nr_dumped);
	else
		err = vt_error_new(VT_ERR_IO, "%s: %s after %llu of %llu pages",
				   w->name, strerror(e),
				   (unsigned long long)w->st.pages,
				   (unsigned long long)w->nr_dumped);
	vt_error_free(cerr);
	remember_failure(w, err);
	return err;
}

/*
 * After fail_write() on a regular file: close it as INCOMPLETE under its
 * final name and return the stored error (or why it could not be kept).
 */
static struct vt_error *close_failed(struct vt_writer *w)
{
	struct vt_error *cerr;

	if (!w->close_pending)
		return stored_failure(w);
	w->close_pending = false;
	cerr = close_dump(w, true);
	if (!cerr)
		return stored_failure(w);
	struct vt_error *err = vt_error_new(
		VT_ERR_IO, "%s, and the incomplete dump could not be kept: %s",
		w->fail_msg, cerr->message);
	vt_error_free(cerr);
	return err;
}

/* --- buffered data and descriptors -------------------------------------- */

/*
 * Write the data buffer: hand it to the writer thread (after the write
 * before it, whose error shows here), or write it inline.
 */
static struct vt_error *flush_data(struct vt_writer *w)
{
	struct wr_io *io = &w->io;
	uint64_t end;
	uint8_t *t;
	size_t done;
	int e;

	if (!w->dlen)
		return NULL;
	if (!io->started) {
		e = out_put(w, w->dpos, w->dbuf, w->dlen, &done);
		if (e)
			return fail_write(w, e, w->dpos + done);
		w->dpos += w->dlen;
		w->dlen = 0;
		start_writeback(w, w->dpos);
		return NULL;
	}
	e = io_wait(w, &end);
	if (e)
		return fail_write(w, e, end);
	pthread_mutex_lock(&io->mu);
	io->buf = w->dbuf;
	io->len = w->dlen;
	io->off = w->dpos;
	io->pending = true;
	pthread_cond_broadcast(&io->cv);
	pthread_mutex_unlock(&io->mu);
	t = w->dbuf;
	w->dbuf = w->dbuf2;
	w->dbuf2 = t;
	w->dpos += w->dlen;
	w->dlen = 0;
	return NULL;
}

/* Write the pending descriptors, after the data they point at. */
static struct vt_error *flush_descs(struct vt_writer *w)
{
	struct vt_error *err = flush_data(w);
	uint64_t end;
	size_t done;
	int e;

	if (!err && (e = io_wait(w, &end)))
		err = fail_write(w, e, end);
	if (err || !w->pcount)
		return err;
	e = out_put(w, w->desc_off + w->pfirst * KDUMP_PD_LEN, w->pbuf,
		    w->pcount * KDUMP_PD_LEN, &done);
	if (e)
		return fail_write(w, e, w->dpos);
	w->pfirst += w->pcount;
	w->pcount = 0;
	return NULL;
}

static struct vt_error *append_data(struct vt_writer *w, const void *buf,
				    size_t len)
{
	struct vt_error *err = NULL;

	if (w->dlen + len > w->dcap)
		err = flush_data(w);
	if (err)
		return err;
	memcpy(w->dbuf + w->dlen, buf, len);
	w->dlen += len;
	w->data_next += len;
	return NULL;
}

static struct vt_error *append_desc(struct vt_writer *w, uint64_t off,
				    uint32_t size, uint32_t flags)
{
	uint8_t *d;

	if (w->pcount == w->pcap) {
		struct vt_error *err = flush_descs(w);

		if (err)
			return err;
	}
	d = w->pbuf + w->pcount++ * KDUMP_PD_LEN;
	memset(d, 0, KDUMP_PD_LEN);
	vt_put_le64(d + KDUMP_PD_OFFSET, off);
	vt_put_le32(d + KDUMP_PD_SIZE, size);
	vt_put_le32(d + KDUMP_PD_FLAGS, flags);
	return NULL;
}

/*
 * Stop on an error that is not a write error (@err, returned): what is
 * emitted so far is kept and the dump is closed as INCOMPLETE.
 */
static struct vt_error *fail_stop(struct vt_writer *w, struct vt_error *err)
{
	struct vt_error *ferr = flush_descs(w);

	if (ferr) {
		/* a write failed too: fail_write() has closed the dump */
		vt_error_free(err);
		return ferr;
	}
	vt_error_free(close_dump(w, true));
	w->state = WR_DONE;
	remember_failure(w, err);
	return err;
}

/* --- compression -------------------------------------------------------- */

static int scratch_init(struct wr_scratch *s, uint32_t codec, uint32_t bs)
{
	size_t ws = vt_codec_work_size(codec);

	s->cap = codec ? vt_codec_bound(codec, bs) : 0;
	s->cbuf = s->cap ? malloc(s->cap) : NULL;
	s->work = ws ? malloc(ws) : NULL;
	return (s->cap && !s->cbuf) || (ws && !s->work) ? -1 : 0;
}

static void scratch_free(struct wr_scratch *s)
{
	free(s->cbuf);
	free(s->work);
}

/* @page compressed (or as it is, when that is not smaller) at @out. */
static struct vt_error *store_page(const struct vt_writer *w,
				   struct wr_scratch *s, const uint8_t *page,
				   struct wr_slot *sl, uint8_t *out)
{
	uint32_t bs = w->bs, codec = w->opts.codec;
	size_t len = 0;

	if (codec) {
		struct vt_error *err = vt_codec_compress(
			codec, page, bs, s->cbuf, s->cap, &len, s->work);

		if (err)
			return err;
	}
	if (codec && len < bs) {
		memcpy(out, s->cbuf, len);
		sl->size = (uint32_t)len;
		sl->flags = codec;
	} else {
		memcpy(out, page, bs);
		sl->size = bs;
		sl->flags = 0;
	}
	return NULL;
}

/*
 * Decide how every page of @b is stored; fills out and slot. A page that
 * repeats the last one stored (struct pages of free memory, filled
 * buffers) is stored as that one was, without compressing it again: a
 * codec gives the same bytes for the same page, so the dump is the same.
 */
static void compress_batch(const struct vt_writer *w, struct wr_batch *b,
			   struct wr_scratch *s)
{
	uint32_t bs = w->bs;
	const uint8_t *last = NULL; /* the last page stored, and where */
	const struct wr_slot *last_sl = NULL;
	size_t last_out = 0;

	b->out_len = 0;
	for (unsigned int i = 0; i < b->n; i++) {
		const uint8_t *page = b->in + (size_t)i * bs;
		struct wr_slot *sl = &b->slot[i];

		if (sl->kind == PAGE_MISSING)
			continue;
		if (w->opts.exclude_zero && all_zero(page, bs)) {
			sl->kind = PAGE_ZERO;
			continue;
		}
		sl->kind = PAGE_DATA;
		sl->repeat = last && !memcmp(page, last, bs);
		if (sl->repeat) {
			sl->size = last_sl->size;
			sl->flags = last_sl->flags;
			memcpy(b->out + b->out_len, b->out + last_out,
			       sl->size);
		} else {
			b->err =
				store_page(w, s, page, sl, b->out + b->out_len);
			if (b->err) {
				vt_error_prefix(b->err, "pfn 0x%llx: ",
						(unsigned long long)b->pfn[i]);
				return;
			}
		}
		last = page;
		last_sl = sl;
		last_out = b->out_len;
		b->out_len += sl->size;
	}
}

static void *worker_main(void *arg)
{
	struct wr_worker *wk = arg;
	struct vt_writer *w = wk->w;
	struct wr_pool *p = &w->pool;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct wr_batch *b;

		while (!p->stop && p->taken == p->submitted)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->taken == p->submitted)
			break; /* stopping, nothing queued */
		b = &w->batches[p->taken++ % w->nbatch];
		pthread_mutex_unlock(&p->mu);
		compress_batch(w, b, &wk->s);
		pthread_mutex_lock(&p->mu);
		b->done = true;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void pool_stop(struct vt_writer *w)
{
	struct wr_pool *p = &w->pool;

	if (!p->ready)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned int i = 0; i < p->nworkers; i++)
		if (p->workers[i].started)
			pthread_join(p->workers[i].tid, NULL);
	for (unsigned int i = 0; i < p->nworkers; i++)
		scratch_free(&p->workers[i].s);
	free(p->workers);
	p->workers = NULL;
	p->nworkers = 0;
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	p->ready = false;
}

static struct vt_error *pool_start(struct vt_writer *w, unsigned int n)
{
	struct wr_pool *p = &w->pool;
	int e;

	if (pthread_mutex_init(&p->mu, NULL))
		return vt_error_new(VT_ERR_NOMEM, "pthread_mutex_init failed");
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	p->ready = true;
	p->workers = calloc(n, sizeof(*p->workers));
	if (!p->workers)
		return vt_error_new(VT_ERR_NOMEM, "out of memory for threads");
	p->nworkers = n;
	for (unsigned int i = 0; i < n; i++) {
		struct wr_worker *wk = &p->workers[i];

		wk->w = w;
		if (scratch_init(&wk->s, w->opts.codec, w->bs))
			return vt_error_new(VT_ERR_NOMEM,
					    "out of memory for threads");
		e = pthread_create(&wk->tid, NULL, worker_main, wk);
		if (e)
			return vt_error_errno(e, "cannot start thread %u", i);
		wk->started = true;
	}
	return NULL;
}

/* --- batches ------------------------------------------------------------ */

static struct wr_batch *fill_batch(struct vt_writer *w)
{
	return &w->batches[w->fill_seq % w->nbatch];
}

static void submit(struct vt_writer *w)
{
	struct wr_batch *b = fill_batch(w);

	w->fill_seq++;
	if (!w->pool.nworkers) {
		compress_batch(w, b, &w->scratch);
		b->done = true;
		return;
	}
	pthread_mutex_lock(&w->pool.mu);
	w->pool.submitted = w->fill_seq;
	pthread_cond_signal(&w->pool.work_cv);
	pthread_mutex_unlock(&w->pool.mu);
}

/* Descriptors and data of a compressed batch, in page order. */
static struct vt_error *emit(struct vt_writer *w, struct wr_batch *b)
{
	uint64_t off;
	struct vt_error *err;

	if (b->err) {
		/* later batches must not take this one's descriptors */
		err = vt_error_prefix(b->err, "%s: ", w->name);
		b->err = NULL;
		b->n = 0;
		b->done = false;
		return fail_stop(w, err);
	}
	off = w->data_next;
	err = append_data(w, b->out, b->out_len);
	for (unsigned int i = 0; !err && i < b->n; i++) {
		const struct wr_slot *sl = &b->slot[i];

		switch (sl->kind) {
		case PAGE_MISSING:
			w->st.unreadable++;
			err = append_desc(w, 0, 0, 0);
			break;
		case PAGE_ZERO:
			w->st.pages++;
			w->st.zero_pages++;
			err = append_desc(w, w->data_off, w->bs, 0);
			break;
		default:
			w->st.pages++;
			w->st.raw_pages += !sl->flags;
			w->st.repeated += sl->repeat;
			err = append_desc(w, off, sl->size, sl->flags);
			off += sl->size;
		}
	}
	b->n = 0;
	b->done = false;
	return err;
}

/* Emit the oldest batch in flight, waiting for it when @wait. */
static struct vt_error *emit_oldest(struct vt_writer *w, bool wait, bool *did)
{
	struct wr_batch *b = &w->batches[w->emit_seq % w->nbatch];
	bool done;

	*did = false;
	if (w->emit_seq == w->fill_seq)
		return NULL;
	if (w->pool.nworkers) {
		pthread_mutex_lock(&w->pool.mu);
		while (wait && !b->done)
			pthread_cond_wait(&w->pool.done_cv, &w->pool.mu);
		done = b->done;
		pthread_mutex_unlock(&w->pool.mu);
	} else {
		done = b->done; /* set by submit() */
	}
	if (!done)
		return NULL;
	w->emit_seq++;
	*did = true;
	return emit(w, b);
}

/* Submit the batch being filled (if any) and emit everything in flight. */
static struct vt_error *drain(struct vt_writer *w)
{
	struct vt_error *err = NULL;
	bool did;

	if (fill_batch(w)->n)
		submit(w);
	while (!err && w->emit_seq != w->fill_seq)
		err = emit_oldest(w, true, &did);
	if (!err)
		err = flush_descs(w);
	return err;
}

/* --- opening ------------------------------------------------------------ */

static struct vt_error *check_args(const struct vt_writer_opts *o,
				   const struct vt_writer_header *h)
{
	uint32_t bs = h->page_size;

	if (!o->path && !o->flattened)
		return vt_error_new(
			VT_ERR_INVALID,
			"a dump that is not flattened needs a path");
	if (o->codec &&
	    (!vt_codec_name(o->codec) || (o->codec & (o->codec - 1)) ||
	     (o->codec & ~DUMP_DH_COMPRESSION_MASK)))
		return vt_error_new(VT_ERR_INVALID, "unknown compression 0x%x",
				    o->codec);
	if (bs < 4096 || bs > 65536 || (bs & (bs - 1)))
		return vt_error_new(
			VT_ERR_INVALID,
			"page size %u is not a power of two from 4096 to 65536",
			bs);
	if (!h->max_pfn || h->max_pfn > FLAT_MAX_OFFSET / bs)
		return vt_error_new(VT_ERR_INVALID, "max_pfn 0x%llx",
				    (unsigned long long)h->max_pfn);
	if (h->notes_size > INT32_MAX / 2 || (h->notes_size && !h->notes) ||
	    h->vmcoreinfo_off > h->notes_size ||
	    h->vmcoreinfo_size > h->notes_size - h->vmcoreinfo_off)
		return vt_error_new(
			VT_ERR_INVALID,
			"VMCOREINFO at %zu (%zu bytes) is not inside the notes (%zu bytes)",
			h->vmcoreinfo_off, h->vmcoreinfo_size, h->notes_size);
	return NULL;
}

static void put_uts(uint8_t *dst, const char *s)
{
	size_t n = s ? strnlen(s, KDUMP_UTS_FIELD_LEN - 1) : 0;

	memcpy(dst, s ? s : "", n);
}

static void build_header(struct vt_writer *w, const struct vt_writer_header *h)
{
	const char *uts[6] = { h->sysname, h->nodename, h->release,
			       h->version, h->machine,	h->domainname };
	uint8_t *p = w->hdr;
	uint64_t blocks = 2 * w->bm_len / w->bs;

	memset(p, 0, sizeof(w->hdr));
	memcpy(p + KDUMP_HDR_SIGNATURE, KDUMP_SIGNATURE, KDUMP_SIGNATURE_LEN);
	vt_put_le32(p + KDUMP_HDR_VERSION, KDUMP_HEADER_VERSION_MAX);
	for (int i = 0; i < 6; i++)
		put_uts(p + KDUMP_HDR_UTSNAME + i * KDUMP_UTS_FIELD_LEN,
			uts[i]);
	vt_put_le64(p + KDUMP_HDR_TIMESTAMP, (uint64_t)h->crash_time);
	/*
	 * A regular file says INCOMPLETE until its final header is written.
	 * A flattened stream cannot be rewritten in place and readers such
	 * as crash take its first header record: it gets the final status
	 * now, and a second record with INCOMPLETE only if the dump stops.
	 */
	vt_put_le32(p + KDUMP_HDR_STATUS,
		 w->status |
			 (w->opts.flattened ? 0 :
					      DUMP_DH_COMPRESSED_INCOMPLETE));
	vt_put_le32(p + KDUMP_HDR_BLOCK_SIZE, w->bs);
	vt_put_le32(p + KDUMP_HDR_SUB_HDR_SIZE, w->sub_blocks);
	vt_put_le32(p + KDUMP_HDR_BITMAP_BLOCKS, (uint32_t)blocks);
	vt_put_le32(p + KDUMP_HDR_MAX_MAPNR,
		 w->max_pfn > UINT32_MAX ? UINT32_MAX : (uint32_t)w->max_pfn);
	vt_put_le32(p + KDUMP_HDR_NR_CPUS, (uint32_t)h->nr_cpus);
}

static void build_sub_header(const struct vt_writer *w,
			     const struct vt_writer_header *h, uint8_t *s)
{
	uint64_t notes = (uint64_t)w->bs + KDUMP_SUB_SIZE;

	vt_put_le64(s + KDUMP_SUB_PHYS_BASE, h->phys_base);
	vt_put_le32(s + KDUMP_SUB_DUMP_LEVEL, (uint32_t)h->dump_level);
	vt_put_le32(s + KDUMP_SUB_SPLIT, 0);
	vt_put_le64(s + KDUMP_SUB_START_PFN, 0);
	vt_put_le64(s + KDUMP_SUB_END_PFN, (uint32_t)w->max_pfn);
	if (h->vmcoreinfo_size) {
		vt_put_le64(s + KDUMP_SUB_OFFSET_VMCOREINFO,
			 notes + h->vmcoreinfo_off);
		vt_put_le64(s + KDUMP_SUB_SIZE_VMCOREINFO, h->vmcoreinfo_size);
	}
	if (h->notes_size) {
		vt_put_le64(s + KDUMP_SUB_OFFSET_NOTE, notes);
		vt_put_le64(s + KDUMP_SUB_SIZE_NOTE, h->notes_size);
	}
	vt_put_le64(s + KDUMP_SUB_START_PFN_64, 0);
	vt_put_le64(s + KDUMP_SUB_END_PFN_64, w->max_pfn);
	vt_put_le64(s + KDUMP_SUB_MAX_MAPNR_64, w->max_pfn);
}

static struct vt_error *layout(struct vt_writer *w,
			       const struct vt_writer_header *h)
{
	uint64_t bytes = h->max_pfn / 8 + !!(h->max_pfn % 8);

	w->bs = h->page_size;
	w->max_pfn = h->max_pfn;
	w->sub_blocks =
		(uint32_t)((KDUMP_SUB_SIZE + h->notes_size + w->bs - 1) /
			   w->bs);
	w->bm_len = (bytes + w->bs - 1) / w->bs * w->bs;
	if (2 * w->bm_len / w->bs > UINT32_MAX)
		return vt_error_new(
			VT_ERR_UNSUPPORTED,
			"max_pfn 0x%llx needs more bitmap blocks than the header can count",
			(unsigned long long)h->max_pfn);
	w->bm_off = (1 + (uint64_t)w->sub_blocks) * w->bs;
	w->desc_off = w->bm_off + 2 * w->bm_len;
	w->status = (h->status & ~(DUMP_DH_COMPRESSION_MASK |
				   DUMP_DH_COMPRESSED_INCOMPLETE)) |
		    w->opts.codec;
	build_header(w, h);
	return NULL;
}

/* Header block, sub header and notes: the first sub_blocks + 1 blocks. */
static struct vt_error *write_head(struct vt_writer *w,
				   const struct vt_writer_header *h)
{
	size_t len = (1 + (size_t)w->sub_blocks) * w->bs, done;
	uint8_t *buf = calloc(1, len);
	int e;

	if (!buf)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	memcpy(buf, w->hdr, sizeof(w->hdr));
	build_sub_header(w, h, buf + w->bs);
	if (h->notes_size)
		memcpy(buf + w->bs + KDUMP_SUB_SIZE, h->notes, h->notes_size);
	e = out_put(w, 0, buf, len, &done);
	free(buf);
	if (e)
		return vt_error_errno(e, "%s: writing the header", w->name);
	return NULL;
}

static struct vt_error *start_output(struct vt_writer *w)
{
	uint8_t fh[FLAT_HEADER_SIZE];
	struct vt_error *err;
	size_t done;
	int e;

	w->fd = w->opts.out_fd;
	if (w->path) {
		err = vt_outfile_check(w->path, w->opts.force);
		if (!err)
			err = vt_outfile_temp(w->path, &w->tmp, &w->fd);
		if (err)
			return err;
	}
	if (!w->opts.flattened) {
		e = vt_preallocate(w->fd, 0, w->desc_off);
		if (e)
			return vt_error_errno(
				e, "%s: cannot allocate %llu bytes", w->tmp,
				(unsigned long long)w->desc_off);
		w->prealloc_end = w->desc_off;
		return NULL;
	}
	memset(fh, 0, sizeof(fh));
	memcpy(fh, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE) - 1);
	vt_put_be64(fh + 16, FLAT_TYPE);
	vt_put_be64(fh + 24, FLAT_VERSION);
	e = vt_write_all(w->fd, fh, sizeof(fh), &done);
	w->stream_bytes += done;
	if (e)
		return vt_error_errno(e, "%s: writing the flattened header",
				      w->name);
	return NULL;
}

static void writer_free(struct vt_writer *w)
{
	pool_stop(w);
	io_stop(w);
	if (w->tmp) {
		if (w->fd >= 0)
			close(w->fd);
		unlink(w->tmp);
	}
	for (unsigned int i = 0; w->batches && i < w->nbatch; i++) {
		struct wr_batch *b = &w->batches[i];

		vt_error_free(b->err);
		free(b->pfn);
		free(b->in);
		free(b->out);
		free(b->slot);
	}
	free(w->batches);
	scratch_free(&w->scratch);
	free(w->dbuf);
	free(w->dbuf2);
	free(w->stage);
	free(w->pbuf);
	free(w->fail_msg);
	free(w->tmp);
	free(w->path);
	free(w);
}

struct vt_error *vt_writer_open(const struct vt_writer_opts *opts,
				const struct vt_writer_header *hdr,
				struct vt_writer **out)
{
	struct vt_writer *w;
	struct vt_error *err;

	*out = NULL;
	err = check_args(opts, hdr);
	if (err)
		return vt_error_prefix(
			err, "%s: ", opts->path ? opts->path : STDOUT_NAME);
	w = calloc(1, sizeof(*w));
	if (!w)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	w->opts = *opts;
	w->fd = -1;
	if (opts->path && !(w->path = strdup(opts->path))) {
		free(w);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	w->opts.path = w->path;
	w->opts.flattened = opts->flattened || !opts->path;
	w->name = w->path ? w->path : STDOUT_NAME;
	if (!w->opts.threads)
		w->opts.threads = 1;
	if (w->opts.threads > MAX_THREADS)
		w->opts.threads = MAX_THREADS;
	err = layout(w, hdr);
	if (!err)
		err = start_output(w);
	if (!err)
		err = write_head(w, hdr);
	if (err) {
		writer_free(w);
		return err;
	}
	w->state = WR_BITMAPS;
	*out = w;
	return NULL;
}

/* --- bitmaps ------------------------------------------------------------ */


/*
 * Stage @npfns bits of each bitmap, a partial last byte masked: 0 or
 * ENOMEM. Waits for the writer thread to be done with the stage; then
 * an error of its earlier bitmap write.
 */
static int stage_bitmaps(struct vt_writer *w, const uint8_t *bm1,
			 const uint8_t *bm2, uint64_t npfns)
{
	struct wr_io *io = &w->io;
	size_t len = (size_t)((npfns + 7) / 8);
	int e = 0;

	if (io->started) {
		pthread_mutex_lock(&io->mu);
		while (io->bm_pending)
			pthread_cond_wait(&io->cv, &io->mu);
		e = io->bm_e;
		pthread_mutex_unlock(&io->mu);
	}
	if (e)
		return e;
	if (2 * len > w->stage_cap) {
		uint8_t *n = realloc(w->stage, 2 * len);

		if (!n)
			return ENOMEM;
		w->stage = n;
		w->stage_cap = 2 * len;
	}
	memcpy(w->stage, bm1, len);
	memcpy(w->stage + len, bm2, len);
	if (npfns % 8) {
		uint8_t mask = (uint8_t)((1u << (npfns % 8)) - 1);

		w->stage[len - 1] &= mask;
		w->stage[2 * len - 1] &= mask;
	}
	w->stage_len = len;
	return 0;
}

/*
 * Write the staged bitmaps at @off: handed to the writer thread (its
 * error shows at the next block, or when the dump is closed), or inline.
 */
static int write_stage(struct vt_writer *w, uint64_t off)
{
	struct wr_io *io = &w->io;

	if (!io->started)
		return put_stage(w, off);
	pthread_mutex_lock(&io->mu);
	io->bm_off = off;
	io->bm_pending = true;
	pthread_cond_broadcast(&io->cv);
	pthread_mutex_unlock(&io->mu);
	return 0;
}

struct vt_error *vt_writer_bitmap(struct vt_writer *w, uint64_t start_pfn,
				  uint64_t npfns, const uint8_t *bm1,
				  const uint8_t *bm2)
{
	uint64_t off = w->bm_off + start_pfn / 8;
	int e;

	if (w->state == WR_DONE && !w->close_pending)
		return stored_failure(w);
	if (start_pfn % 8 || start_pfn > w->max_pfn ||
	    npfns > w->max_pfn - start_pfn ||
	    (npfns % 8 && start_pfn + npfns != w->max_pfn))
		return vt_error_new(
			VT_ERR_INVALID,
			"%s: bitmap block of pfns 0x%llx+0x%llx does not fit max_pfn 0x%llx in whole bytes",
			w->name, (unsigned long long)start_pfn,
			(unsigned long long)npfns,
			(unsigned long long)w->max_pfn);
	e = stage_bitmaps(w, bm1, bm2, npfns);
	if (!e)
		e = write_stage(w, off);
	if (e && w->state == WR_DONE)
		return stored_failure(w);
	if (e)
		return vt_error_errno(e, "%s: writing the bitmaps", w->name);
	w->bm2_set += vt_popcount(bm2, npfns);
	return NULL;
}

/* --- pages -------------------------------------------------------------- */

static struct vt_error *alloc_batches(struct vt_writer *w)
{
	unsigned int threads = w->opts.threads;

	w->per_batch = BATCH_BYTES / w->bs;
	if (w->per_batch < BATCH_MIN_PAGES)
		w->per_batch = BATCH_MIN_PAGES;
	/* a few batches in flight per thread, one being filled */
	w->nbatch = threads > 1 ? threads + 2 : 1;
	w->batches = calloc(w->nbatch, sizeof(*w->batches));
	if (!w->batches)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	for (unsigned int i = 0; i < w->nbatch; i++) {
		struct wr_batch *b = &w->batches[i];
		size_t bytes = (size_t)w->per_batch * w->bs;

		b->pfn = malloc(w->per_batch * sizeof(*b->pfn));
		b->in = malloc(bytes);
		b->out = malloc(bytes);
		b->slot = malloc(w->per_batch * sizeof(*b->slot));
		if (!b->pfn || !b->in || !b->out || !b->slot)
			return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	w->dcap = DATA_BUF_BYTES;
	if (w->dcap < 2 * (size_t)w->per_batch * w->bs)
		w->dcap = 2 * (size_t)w->per_batch * w->bs;
	w->dbuf = malloc(w->dcap);
	w->pcap = DESC_BUF_ENTRIES;
	w->pbuf = malloc(w->pcap * KDUMP_PD_LEN);
	if (!w->dbuf || !w->pbuf ||
	    scratch_init(&w->scratch, w->opts.codec, w->bs))
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	io_start(w);
	if (threads > 1)
		return pool_start(w, threads);
	return NULL;
}

struct vt_error *vt_writer_begin_pages(struct vt_writer *w, uint64_t nr_dumped)
{
	static const uint8_t zeros[65536];
	struct vt_error *err;
	uint64_t end;
	int e;

	if (w->state == WR_DONE)
		return stored_failure(w);
	if (w->state != WR_BITMAPS)
		return vt_error_new(VT_ERR_INVALID,
				    "%s: vt_writer_begin_pages called twice",
				    w->name);
	err = alloc_batches(w);
	if (err)
		return vt_error_prefix(err, "%s: ", w->name);
	w->nr_dumped = nr_dumped;
	w->data_off = w->desc_off + nr_dumped * KDUMP_PD_LEN;
	w->dpos = w->data_next = w->data_off;
	w->state = WR_PAGES;
	end = w->data_off + (w->opts.exclude_zero ? w->bs : 0);
	if (!w->opts.flattened) {
		e = vt_preallocate(w->fd, w->desc_off, end - w->desc_off);
		if (e)
			return fail_write(w, e, w->data_off);
		w->prealloc_end = end;
	}
	/* makedumpfile's layout: the shared zero page comes first */
	if (w->opts.exclude_zero)
		return append_data(w, zeros, w->bs);
	return NULL;
}

struct vt_error *vt_writer_page(struct vt_writer *w, uint64_t pfn,
				const void *data)
{
	struct wr_batch *b;
	struct vt_error *err;
	bool did;

	if (w->state == WR_DONE)
		return stored_failure(w);
	if (w->state != WR_PAGES)
		return vt_error_new(VT_ERR_INVALID,
				    "%s: page before vt_writer_begin_pages",
				    w->name);
	if (pfn >= w->max_pfn ||
	    (w->nr_given && !w->seeked && pfn <= w->last_pfn) ||
	    w->nr_given >= w->nr_dumped)
		return vt_error_new(
			VT_ERR_INVALID,
			"%s: pfn 0x%llx out of order or not among the %llu to dump",
			w->name, (unsigned long long)pfn,
			(unsigned long long)w->nr_dumped);
	b = fill_batch(w);
	b->pfn[b->n] = pfn;
	b->slot[b->n].kind = data ? PAGE_DATA : PAGE_MISSING;
	if (data && data != b->in + (size_t)b->n * w->bs)
		memcpy(b->in + (size_t)b->n * w->bs, data, w->bs);
	b->n++;
	w->nr_given++;
	w->last_pfn = pfn;
	w->seeked = false;
	if (b->n < w->per_batch)
		return NULL;
	submit(w);
	/* emit what is done; wait only when the ring is full */
	do
		err = emit_oldest(w, w->fill_seq - w->emit_seq == w->nbatch,
				  &did);
	while (!err && did);
	return err;
}

void *vt_writer_slot(struct vt_writer *w, size_t *room)
{
	struct wr_batch *b;

	if (w->state != WR_PAGES)
		return NULL;
	b = fill_batch(w);
	*room = w->per_batch - b->n;
	return b->in + (size_t)b->n * w->bs;
}

struct vt_error *vt_writer_seek(struct vt_writer *w, uint64_t index)
{
	struct vt_error *err;

	if (w->state == WR_DONE)
		return stored_failure(w);
	if (w->state != WR_PAGES || index > w->nr_dumped)
		return vt_error_new(VT_ERR_INVALID,
				    "%s: descriptor %llu of %llu to seek to",
				    w->name, (unsigned long long)index,
				    (unsigned long long)w->nr_dumped);
	err = drain(w);
	if (err)
		return err;
	w->pfirst = index;
	w->seeked = true;
	return NULL;
}

void vt_writer_stats(const struct vt_writer *w, struct vt_writer_stats *s)
{
	*s = w->st;
	s->bytes = w->opts.flattened ? w->stream_bytes : file_size(w);
}

struct vt_error *vt_writer_finish(struct vt_writer *w)
{
	return vt_writer_finish_stats(w, NULL);
}

struct vt_error *vt_writer_finish_stats(struct vt_writer *w,
					struct vt_writer_stats *final)
{
	struct vt_error *err = NULL;
	bool short_pages;

	if (w->state == WR_DONE) {
		err = close_failed(w);
		if (final)
			vt_writer_stats(w, final);
		writer_free(w);
		return err;
	}
	if (w->state != WR_PAGES) {
		err = vt_error_new(VT_ERR_INVALID,
				   "%s: finished before vt_writer_begin_pages",
				   w->name);
		if (final)
			vt_writer_stats(w, final);
		writer_free(w);
		return err;
	}
	err = drain(w);
	if (err && w->close_pending)
		err = (vt_error_free(err), close_failed(w));
	else if (!err) {
		short_pages = w->nr_given < w->nr_dumped ||
			      w->bm2_set != w->nr_dumped;
		err = close_dump(w, short_pages || w->st.unreadable);
		if (!err && short_pages)
			err = vt_error_new(
				VT_ERR_INVALID,
				"%s: %llu of %llu pages were given and the 2nd bitmap has %llu; the dump is marked incomplete",
				w->name, (unsigned long long)w->nr_given,
				(unsigned long long)w->nr_dumped,
				(unsigned long long)w->bm2_set);
	}
	w->state = WR_DONE;
	if (final)
		vt_writer_stats(w, final);
	writer_free(w);
	return err;
}

void vt_writer_abort(struct vt_writer *w)
{
	if (!w)
		return;
	if (w->state == WR_PAGES) {
		/* header and bitmaps are whole: keep what can be kept */
		struct vt_error *err = drain(w);

		if (err && w->close_pending)
			err = (vt_error_free(err), close_failed(w));
		else if (!err)
			err = close_dump(w, true);
		vt_error_free(err);
	} else if (w->close_pending) {
		vt_error_free(close_failed(w));
	}
	w->state = WR_DONE;
	writer_free(w);
}

/* --- -R: flattened stream to regular file ------------------------------- */

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
	static const char zeros[16];
	size_t n = sizeof(FLAT_SIGNATURE) - 1;
	struct vt_error *err =
		reasm_read(r, r->buf, FLAT_HEADER_SIZE, "the flattened header");

	if (err)
		return err;
	if (memcmp(r->buf, FLAT_SIGNATURE, n) ||
	    memcmp(r->buf + n, zeros, 16 - n))
		return vt_error_new(
			VT_ERR_FORMAT,
			"%s: not a flattened dump: no \"%s\" signature at byte 0",
			r->in_name, FLAT_SIGNATURE);
	if (vt_be64(r->buf + 16) != FLAT_TYPE ||
	    vt_be64(r->buf + 24) != FLAT_VERSION)
		return vt_error_new(
			VT_ERR_UNSUPPORTED,
			"%s: flattened stream type %lld version %lld at byte 16 (expected %d and %d)",
			r->in_name, (long long)vt_be64(r->buf + 16),
			(long long)vt_be64(r->buf + 24), FLAT_TYPE,
			FLAT_VERSION);
	return NULL;
}

/* Copy the @size bytes of one record to offset @off of the output. */
static struct vt_error *reasm_copy(struct reasm *r, uint64_t off, uint64_t size)
{
	while (size) {
		size_t n =
			size > FLAT_RECORD_MAX ? FLAT_RECORD_MAX : (size_t)size;
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
		int64_t off, size;
		struct vt_error *err =
			reasm_read(r, rh, sizeof(rh), "a record header");

		if (err)
			return err;
		off = (int64_t)vt_be64(rh);
		size = (int64_t)vt_be64(rh + 8);
		if (off == FLAT_END_MARK && size == FLAT_END_MARK)
			return NULL;
		if (off < 0 || size < 0 || (uint64_t)off > FLAT_MAX_OFFSET ||
		    (uint64_t)size > FLAT_MAX_OFFSET - (uint64_t)off)
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
	r.buf = malloc(FLAT_RECORD_MAX > FLAT_HEADER_SIZE ? FLAT_RECORD_MAX :
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
