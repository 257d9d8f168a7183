// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dump writer's core: see write.h for the calls and
 * docs/kdump-format.md for the layout.
 *
 * Pages are gathered into batches (compress.c) and emitted strictly in
 * the order they were filled, by the caller's thread only: every
 * descriptor and data offset is assigned at emission, so the bytes
 * written do not depend on the thread count or on timing.
 *
 * Emitted data and descriptors go to two buffers written in large pieces
 * to the sink (sink-file.c, sink-flat.c). Data is always written before
 * the descriptors that point at it, and on a write error only descriptors
 * whose data lies wholly below the end of what was written are kept; the
 * rest of the descriptor area, allocated up front, stays zero (offset 0:
 * not written).
 *
 * A failure only records itself (state WR_FAILED, the error kept): the
 * calls of write.h act on it, and only vt_writer_finish() and
 * vt_writer_abort() close the dump and give it its final name.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "io.h"

#define DATA_BUF_BYTES (4u << 20) /* data written per write, at most */
#define DESC_BUF_ENTRIES 65536 /* 1.5 MiB of descriptors per write */
#define MAX_THREADS 256

enum wr_state {
	WR_BITMAPS, /* opened: header written, bitmaps arriving */
	WR_PAGES, /* bitmaps complete: pages arriving */
	WR_FAILED, /* failed: the error is kept, finish or abort closes */
};

struct vt_writer {
	uint32_t codec;
	unsigned int threads;
	bool exclude_zero;
	struct wr_sink *sink;
	const char *name; /* for messages: path or "standard output" */
	enum wr_state state;
	struct vt_error *failure; /* WR_FAILED: returned again by later calls */
	bool write_failed; /* the failure was a write of the dump */

	struct wr_layout l;
	uint64_t data_off; /* where page data starts; 0 before pages */

	/* bookkeeping of the calls */
	uint64_t bm2_set, nr_dumped, nr_given, last_pfn;
	bool seeked; /* vt_writer_seek(): the next pfn may be lower */

	/* output buffers */
	uint8_t *dbuf; /* data not yet written, for file offset dpos */
	size_t dlen, dcap;
	uint64_t dpos, data_next; /* data_next: offset of the next byte */
	uint8_t *pbuf; /* descriptors not yet written, from index pfirst */
	size_t pcount, pcap;
	uint64_t pfirst;
	uint64_t emitted; /* pages emitted (descriptors appended), in order */
	/* after a write failure: pages given before the first one cut off */
	uint64_t cut;
	struct vt_writer_stats st; /* written descriptors (and pending) */

	struct wr_compress c;
};

/* Size of the regular file so far (or of the logical file, flattened). */
static uint64_t file_size(const struct vt_writer *w)
{
	uint64_t end = w->sink->reserved_end;

	if (w->dpos > end)
		end = w->dpos;
	if (w->data_off > end)
		end = w->data_off;
	return end;
}

/* --- failure: kept as a state the calls act on --------------------------- */

/* The stored failure again, for a later call. */
static struct vt_error *failure(const struct vt_writer *w)
{
	return vt_error_copy(w->failure);
}

/* Enter WR_FAILED with @err (returned; a copy is kept). */
static struct vt_error *fail(struct vt_writer *w, struct vt_error *err,
			     bool write_failed)
{
	w->state = WR_FAILED;
	w->write_failed = write_failed;
	w->failure = vt_error_copy(err);
	return err;
}

/*
 * Forget the descriptors of pending pages whose data ends past @end; the
 * pages emitted before the first one forgotten are in the dump (w->cut).
 * Pending descriptors are those of the pages emitted last, in order: a
 * vt_writer_seek() writes them before it moves.
 */
static void drop_descs_past(struct vt_writer *w, uint64_t end)
{
	w->cut = w->emitted;
	for (size_t i = w->pcount; i-- > 0;) {
		uint8_t *d = w->pbuf + i * VT_KDUMP_PD_SIZE;
		uint64_t off = vt_le64(d + VT_KDUMP_PD(offset));
		uint32_t size = vt_le32(d + VT_KDUMP_PD(size));
		uint32_t flags = vt_le32(d + VT_KDUMP_PD(flags));

		if (!off || off + size <= end)
			continue;
		w->cut = w->emitted - w->pcount + i;
		w->st.pages--;
		if (w->exclude_zero && off == w->data_off)
			w->st.zero_pages--;
		else if (!flags)
			w->st.raw_pages--;
		memset(d, 0, VT_KDUMP_PD_SIZE);
	}
}

/*
 * A write of the dump failed with @e: keep the descriptors of the data
 * below @durable (written now where the sink can still take them) and
 * return the error. No further page writes happen.
 */
static struct vt_error *fail_write(struct vt_writer *w, int e, uint64_t durable)
{
	const struct wr_sink_ops *ops = w->sink->ops;
	struct vt_error *err;
	uint64_t end;
	size_t done;

	/* a write in flight ends first (its own error, if any, is this one) */
	if (ops->wait(w->sink, &end) && end < durable)
		durable = end;
	if (ops->in_place) {
		/* the descriptor area is allocated: this write succeeds */
		drop_descs_past(w, durable);
		if (w->pcount)
			ops->put(w->sink,
				 w->l.desc_off + w->pfirst * VT_KDUMP_PD_SIZE,
				 w->pbuf, w->pcount * VT_KDUMP_PD_SIZE, &done);
		w->pfirst += w->pcount;
		w->dpos = durable;
	} else {
		/* descriptors only follow the data they describe */
		drop_descs_past(w, 0);
	}
	w->pcount = 0;
	w->dlen = 0;
	err = vt_error_new(
		VT_ERR_IO, "%s: %s after %llu of %llu pages%s", w->name,
		strerror(e), (unsigned long long)w->st.pages,
		(unsigned long long)w->nr_dumped,
		w->sink->path ? "; the dump is marked incomplete" : "");
	if (err->code == VT_ERR_IO) /* not the static out-of-memory error */
		err->errnum = e;
	return fail(w, err, true);
}

/* --- buffered data and descriptors -------------------------------------- */

static struct vt_error *flush_data(struct vt_writer *w)
{
	uint64_t durable;
	int e;

	if (!w->dlen)
		return NULL;
	e = w->sink->ops->data(w->sink, &w->dbuf, w->dlen, w->dpos, &durable);
	if (e)
		return fail_write(w, e, durable);
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

	if (!err && (e = w->sink->ops->wait(w->sink, &end)))
		err = fail_write(w, e, end);
	if (err || !w->pcount)
		return err;
	e = w->sink->ops->put(w->sink,
			      w->l.desc_off + w->pfirst * VT_KDUMP_PD_SIZE,
			      w->pbuf, w->pcount * VT_KDUMP_PD_SIZE, &done);
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

	/*
	 * A stream cannot take descriptors after a failure: those of the
	 * data written go with it, so a cut stream keeps them.
	 */
	if (w->dlen + len > w->dcap)
		err = w->sink->ops->in_place ? flush_data(w) : flush_descs(w);
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
	d = w->pbuf + w->pcount++ * VT_KDUMP_PD_SIZE;
	memset(d, 0, VT_KDUMP_PD_SIZE);
	vt_put_le64(d + VT_KDUMP_PD(offset), off);
	vt_put_le32(d + VT_KDUMP_PD(size), size);
	vt_put_le32(d + VT_KDUMP_PD(flags), flags);
	return NULL;
}

/*
 * Stop on an error that is not a write error (@err, returned): what is
 * emitted so far is written, and the dump will be closed as INCOMPLETE.
 */
static struct vt_error *fail_stop(struct vt_writer *w, struct vt_error *err)
{
	struct vt_error *ferr = flush_descs(w);

	if (ferr) {
		/* a write failed too: that failure is the one kept */
		vt_error_free(err);
		return ferr;
	}
	return fail(w, err, false);
}

/* --- emitting batches ---------------------------------------------------- */

/* Descriptors and data of a compressed batch, in page order. */
static struct vt_error *emit(struct vt_writer *w, struct wr_batch *b)
{
	uint64_t off;
	struct vt_error *err;

	if (b->err) {
		/* later batches must not take this one's descriptors */
		err = vt_error_prefix(b->err, "%s: ", w->name);
		b->err = NULL;
		return fail_stop(w, err);
	}
	off = w->data_next;
	err = append_data(w, b->out, b->out_len);
	for (unsigned int i = 0; !err && i < b->n; i++) {
		const struct wr_slot *sl = &b->slot[i];

		w->emitted++;
		switch (sl->kind) {
		case PAGE_MISSING:
			w->st.unreadable++;
			err = append_desc(w, 0, 0, 0);
			break;
		case PAGE_ZERO:
			w->st.pages++;
			w->st.zero_pages++;
			err = append_desc(w, w->data_off, w->l.bs, 0);
			break;
		default:
			w->st.pages++;
			w->st.raw_pages += !sl->flags;
			w->st.repeated += sl->repeat;
			err = append_desc(w, off, sl->size, sl->flags);
			off += sl->size;
		}
	}
	return err;
}

/* Emit the oldest batch in flight, waiting for it when @wait. */
static struct vt_error *emit_oldest(struct vt_writer *w, bool wait, bool *did)
{
	struct wr_batch *b = wr_compress_oldest(&w->c, wait);
	struct vt_error *err;

	*did = b != NULL;
	if (!b)
		return NULL;
	err = emit(w, b);
	wr_compress_emitted(&w->c);
	return err;
}

/* Submit the batch being filled (if any) and emit everything in flight. */
static struct vt_error *drain(struct vt_writer *w)
{
	struct vt_error *err = NULL;
	bool did;

	if (wr_fill_batch(&w->c)->n)
		wr_compress_submit(&w->c);
	while (!err && w->c.emit_seq != w->c.fill_seq)
		err = emit_oldest(w, true, &did);
	if (!err)
		err = flush_descs(w);
	return err;
}

/* --- closing --------------------------------------------------------------- */

/*
 * Write the final header (@incomplete: DUMP_DH_COMPRESSED_INCOMPLETE),
 * close the output and give it its final name. Returns the first error.
 */
static struct vt_error *close_dump(struct vt_writer *w, bool incomplete,
				   bool after_failure)
{
	int bm_e = w->sink->ops->bitmap_errno(w->sink);
	struct vt_error *err;

	if (bm_e || incomplete)
		incomplete = true;
	wr_header_status(
		&w->l,
		w->l.status | (incomplete ? DUMP_DH_COMPRESSED_INCOMPLETE : 0));
	err = w->sink->ops->close(w->sink, w->l.hdr, sizeof(w->l.hdr),
				  incomplete, after_failure, file_size(w));
	if (err || !bm_e)
		return err;
	err = vt_error_new(
		VT_ERR_IO,
		"%s: writing the bitmaps: %s; the dump is marked incomplete",
		w->name, strerror(bm_e));
	if (err->code == VT_ERR_IO)
		err->errnum = bm_e;
	return err;
}

/*
 * In WR_FAILED: close the dump as INCOMPLETE under its final name and
 * return the stored error (or that, and why it could not be kept).
 */
static struct vt_error *close_failed(struct vt_writer *w)
{
	struct vt_error *cerr = close_dump(w, true, w->write_failed), *err;

	if (!cerr)
		return failure(w);
	err = vt_error_new(VT_ERR_IO,
			   "%s, and the incomplete dump could not be kept: %s",
			   w->failure->message, cerr->message);
	if (err->code == VT_ERR_IO)
		err->errnum = w->failure->errnum;
	vt_error_free(cerr);
	return err;
}

/* --- the calls of write.h ------------------------------------------------ */

static void writer_free(struct vt_writer *w)
{
	wr_compress_stop(&w->c);
	if (w->sink)
		w->sink->ops->free(w->sink);
	free(w->dbuf);
	free(w->pbuf);
	vt_error_free(w->failure);
	free(w);
}

struct vt_error *vt_writer_open(const struct vt_writer_opts *opts,
				const struct vt_writer_header *hdr,
				struct vt_writer **out)
{
	struct vt_writer *w;
	struct vt_error *err;
	uint8_t *head;
	size_t len, done;
	int e;

	*out = NULL;
	err = wr_check_args(opts, hdr);
	if (err)
		return vt_error_prefix(
			err, "%s: ", opts->path ? opts->path : STDOUT_NAME);
	w = calloc(1, sizeof(*w));
	if (!w)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	w->codec = opts->codec;
	w->exclude_zero = opts->exclude_zero;
	w->threads = opts->threads ? opts->threads : 1;
	if (w->threads > MAX_THREADS)
		w->threads = MAX_THREADS;
	err = wr_sink_open(opts, &w->sink);
	if (!err) {
		w->name = w->sink->name;
		err = wr_layout(&w->l, hdr, opts->codec,
				w->sink->ops->in_place);
	}
	if (!err)
		err = w->sink->ops->start(w->sink, w->l.desc_off);
	if (!err) {
		head = wr_head_blocks(&w->l, hdr, &len);
		if (!head)
			err = vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	if (!err) {
		e = w->sink->ops->put(w->sink, 0, head, len, &done);
		free(head);
		if (e)
			err = vt_error_errno(e, "%s: writing the header",
					     w->name);
	}
	if (err) {
		writer_free(w);
		return err;
	}
	w->state = WR_BITMAPS;
	*out = w;
	return NULL;
}

struct vt_error *vt_writer_bitmap(struct vt_writer *w, uint64_t start_pfn,
				  uint64_t npfns, const uint8_t *bm1,
				  const uint8_t *bm2)
{
	uint64_t off = w->l.bm_off + start_pfn / 8, max_pfn = w->l.max_pfn;
	uint8_t mask = npfns % 8 ? (uint8_t)((1u << (npfns % 8)) - 1) : 0;
	int e;

	/* bitmaps have their area: they go on after a failure, in place */
	if (w->state == WR_FAILED && !w->sink->ops->in_place)
		return failure(w);
	if (start_pfn % 8 || start_pfn > max_pfn ||
	    npfns > max_pfn - start_pfn ||
	    (npfns % 8 && start_pfn + npfns != max_pfn))
		return vt_error_new(
			VT_ERR_INVALID,
			"%s: bitmap block of pfns 0x%llx+0x%llx does not fit max_pfn 0x%llx in whole bytes",
			w->name, (unsigned long long)start_pfn,
			(unsigned long long)npfns, (unsigned long long)max_pfn);
	e = w->sink->ops->bitmaps(w->sink, bm1, bm2, (size_t)((npfns + 7) / 8),
				  mask, off, w->l.bm_len);
	if (e && w->state == WR_FAILED)
		return failure(w);
	if (e)
		return vt_error_errno(e, "%s: writing the bitmaps", w->name);
	w->bm2_set += vt_popcount(bm2, npfns);
	return NULL;
}

/* The output buffers and the compression of pages. */
static struct vt_error *alloc_pages(struct vt_writer *w)
{
	struct vt_error *err = wr_compress_start(&w->c, w->l.bs, w->codec,
						 w->exclude_zero, w->threads);
	size_t batch = (size_t)w->c.per_batch * w->l.bs;

	if (err)
		return err;
	w->dcap = DATA_BUF_BYTES;
	if (w->dcap < 2 * batch)
		w->dcap = 2 * batch;
	w->dbuf = malloc(w->dcap);
	w->pcap = DESC_BUF_ENTRIES;
	w->pbuf = malloc(w->pcap * VT_KDUMP_PD_SIZE);
	if (!w->dbuf || !w->pbuf)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	w->sink->ops->begin_data(w->sink, w->dcap);
	return NULL;
}

struct vt_error *vt_writer_begin_pages(struct vt_writer *w, uint64_t nr_dumped)
{
	static const uint8_t zeros[65536];
	struct vt_error *err;
	uint64_t end;
	int e;

	if (w->state == WR_FAILED)
		return failure(w);
	if (w->state != WR_BITMAPS)
		return vt_error_new(VT_ERR_INVALID,
				    "%s: vt_writer_begin_pages called twice",
				    w->name);
	err = alloc_pages(w);
	if (err)
		return vt_error_prefix(err, "%s: ", w->name);
	w->nr_dumped = nr_dumped;
	w->data_off = w->l.desc_off + nr_dumped * VT_KDUMP_PD_SIZE;
	w->dpos = w->data_next = w->data_off;
	w->state = WR_PAGES;
	end = w->data_off + (w->exclude_zero ? w->l.bs : 0);
	e = w->sink->ops->reserve(w->sink, w->l.desc_off, end - w->l.desc_off);
	if (e)
		return fail_write(w, e, w->data_off);
	/* makedumpfile's layout: the shared zero page comes first */
	if (w->exclude_zero)
		return append_data(w, zeros, w->l.bs);
	return NULL;
}

struct vt_error *vt_writer_page(struct vt_writer *w, uint64_t pfn,
				const void *data)
{
	struct wr_batch *b;
	struct vt_error *err;
	uint32_t bs = w->l.bs;
	bool did;

	if (w->state == WR_FAILED)
		return failure(w);
	if (w->state != WR_PAGES)
		return vt_error_new(VT_ERR_INVALID,
				    "%s: page before vt_writer_begin_pages",
				    w->name);
	if (pfn >= w->l.max_pfn ||
	    (w->nr_given && !w->seeked && pfn <= w->last_pfn) ||
	    w->nr_given >= w->nr_dumped)
		return vt_error_new(
			VT_ERR_INVALID,
			"%s: pfn 0x%llx out of order or not among the %llu to dump",
			w->name, (unsigned long long)pfn,
			(unsigned long long)w->nr_dumped);
	b = wr_fill_batch(&w->c);
	b->pfn[b->n] = pfn;
	b->slot[b->n].kind = data ? PAGE_DATA : PAGE_MISSING;
	if (data && data != b->in + (size_t)b->n * bs)
		memcpy(b->in + (size_t)b->n * bs, data, bs);
	b->n++;
	w->nr_given++;
	w->last_pfn = pfn;
	w->seeked = false;
	if (b->n < w->c.per_batch)
		return NULL;
	wr_compress_submit(&w->c);
	/* emit what is done; wait only when the ring is full */
	do
		err = emit_oldest(
			w, w->c.fill_seq - w->c.emit_seq == w->c.nbatch, &did);
	while (!err && did);
	return err;
}

void *vt_writer_slot(struct vt_writer *w, size_t *room)
{
	struct wr_batch *b;

	if (w->state != WR_PAGES)
		return NULL;
	b = wr_fill_batch(&w->c);
	*room = w->c.per_batch - b->n;
	return b->in + (size_t)b->n * w->l.bs;
}

struct vt_error *vt_writer_seek(struct vt_writer *w, uint64_t index)
{
	struct vt_error *err;

	if (w->state == WR_FAILED)
		return failure(w);
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
	s->bytes = w->sink->ops->bytes(w->sink, file_size(w));
	s->prefix =
		w->state == WR_FAILED && w->write_failed ? w->cut : w->nr_given;
}

struct vt_error *vt_writer_finish(struct vt_writer *w)
{
	return vt_writer_finish_stats(w, NULL);
}

/* Pages complete: the final header, or INCOMPLETE if pages are missing. */
static struct vt_error *close_whole(struct vt_writer *w)
{
	bool short_pages =
		w->nr_given < w->nr_dumped || w->bm2_set != w->nr_dumped;
	struct vt_error *err =
		close_dump(w, short_pages || w->st.unreadable, false);

	if (!err && short_pages)
		err = vt_error_new(
			VT_ERR_INVALID,
			"%s: %llu of %llu pages were given and the 2nd bitmap has %llu; the dump is marked incomplete",
			w->name, (unsigned long long)w->nr_given,
			(unsigned long long)w->nr_dumped,
			(unsigned long long)w->bm2_set);
	return err;
}

struct vt_error *vt_writer_finish_stats(struct vt_writer *w,
					struct vt_writer_stats *final)
{
	struct vt_error *err = NULL;

	if (w->state == WR_BITMAPS)
		err = vt_error_new(VT_ERR_INVALID,
				   "%s: finished before vt_writer_begin_pages",
				   w->name);
	else if (w->state == WR_PAGES && !(err = drain(w)))
		err = close_whole(w);
	if (w->state == WR_FAILED) {
		vt_error_free(err); /* the failure is kept: it says the same */
		err = close_failed(w);
	}
	if (final)
		vt_writer_stats(w, final);
	writer_free(w);
	return err;
}

void vt_writer_abort(struct vt_writer *w)
{
	struct vt_error *err = NULL;

	if (!w)
		return;
	/* header and bitmaps are whole: keep what can be kept */
	if (w->state == WR_PAGES && !(err = drain(w)))
		err = close_dump(w, true, false);
	if (w->state == WR_FAILED) {
		vt_error_free(err);
		err = close_failed(w);
	}
	vt_error_free(err);
	writer_free(w);
}
