/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parts of the dump writer share (private to filter/writer/):
 *   core.c        the writer's state, descriptors, page append and emit,
 *                 counts, failure, the calls of write.h
 *   compress.c    the batches of pages and the compression pool
 *   header.c      the layout: disk_dump_header, sub header, bitmap area
 *   sink-open.c   the choice of the output sink, made once
 *   sink.c        what both kinds of sink share
 *   sink-file.c   a regular file (preallocated, its own writer thread)
 *   sink-flat.c   a flattened (-F) stream
 *   reassemble.c  -R: a flattened stream back into a regular file
 */
#ifndef VMEMTRIM_FILTER_WRITER_INTERNAL_H
#define VMEMTRIM_FILTER_WRITER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdump-layout.h"
#include "workpool.h"
#include "write.h"
#include "vmemtrim/format.h"

#define STDOUT_NAME "standard output"

/* --- sinks: where the bytes of the dump file go ------------------------- */

struct wr_sink;

/*
 * One table per kind of output. Whether the dump is a regular file or a
 * flattened stream is decided once, by the table chosen in
 * wr_sink_open() (sink-open.c); the core asks the sink, never the options.
 */
struct wr_sink_ops {
	/*
	 * The file can be rewritten in place: the header is written with
	 * INCOMPLETE and rewritten at the end, and after a failed data write
	 * the descriptors of what was written whole (their area allocated up
	 * front) and the remaining bitmaps can still be written.
	 */
	bool in_place;
	/* @len bytes at offset @off of the dump file: 0 or errno, *done */
	int (*put)(struct wr_sink *s, uint64_t off, const void *buf, size_t len,
		   size_t *done);
	/* Begin the output; the header area, @head_len bytes, comes first. */
	struct vt_error *(*start)(struct wr_sink *s, uint64_t head_len);
	/* Page data will come in buffers of @buf_size bytes. */
	void (*begin_data)(struct wr_sink *s, size_t buf_size);
	/* Allocate [@off, @off + @len) ahead: 0 or errno. */
	int (*reserve)(struct wr_sink *s, uint64_t off, uint64_t len);
	/*
	 * Write page data: *@buf, @len bytes at @off. It may be written
	 * later (the sink then hands back in *@buf another buffer of the
	 * same size to fill). 0, or the errno of this write or of an earlier
	 * one, with *@durable the end of the data known written.
	 */
	int (*data)(struct wr_sink *s, uint8_t **buf, size_t len, uint64_t off,
		    uint64_t *durable);
	/*
	 * Wait for the writes handed over: 0, or the errno of one (once),
	 * with *@durable the end of the data it put down.
	 */
	int (*wait)(struct wr_sink *s, uint64_t *durable);
	/*
	 * The bitmaps of one block, @len bytes each (a partial last byte
	 * masked with @mask), the 1st at @off and the 2nd @bm_len after it.
	 * 0 or errno (possibly of an earlier block's write).
	 */
	int (*bitmaps)(struct wr_sink *s, const uint8_t *bm1,
		       const uint8_t *bm2, size_t len, uint8_t mask,
		       uint64_t off, uint64_t bm_len);
	/* The errno of a bitmap write that failed, or 0 (after wait). */
	int (*bitmap_errno)(const struct wr_sink *s);
	/* Bytes of output so far, for a file of @file_size bytes. */
	uint64_t (*bytes)(const struct wr_sink *s, uint64_t file_size);
	/*
	 * End the output: the header @hdr (@hdr_len bytes) written at offset
	 * 0 as the sink needs it, the file @size bytes long, then closed and
	 * installed under its final name. After a failed write
	 * (@after_failure) nothing more is written that need not be.
	 */
	struct vt_error *(*close)(struct wr_sink *s, const uint8_t *hdr,
				  size_t hdr_len, bool incomplete,
				  bool after_failure, uint64_t size);
	/* Free the sink; a temporary file not installed is removed. */
	void (*free)(struct wr_sink *s);
};

struct wr_sink {
	const struct wr_sink_ops *ops;
	int fd;
	char *path; /* DUMPFILE, NULL for stdout */
	char *tmp; /* the temporary file, NULL for stdout or once installed */
	const char *name; /* for messages: path or "standard output" */
	bool force;
	uint64_t reserved_end; /* bytes allocated up front */
	uint8_t *stage; /* a block's bitmaps, the 2nd after the 1st */
	size_t stage_cap;
};

/*
 * The sink of @opts (a flattened stream when opts->flattened or there is
 * no path), its temporary file created; *out is freed with ops->free.
 */
struct vt_error *wr_sink_open(const struct vt_writer_opts *opts,
			      struct wr_sink **out);

/* For the sinks: copy a block's bitmaps into s->stage; 0 or ENOMEM. */
int wr_sink_stage(struct wr_sink *s, const uint8_t *bm1, const uint8_t *bm2,
		  size_t len, uint8_t mask);
/* Write the staged bitmaps of @len bytes each with ops->put. */
int wr_sink_put_stage(struct wr_sink *s, size_t len, uint64_t off,
		      uint64_t bm_len);
/*
 * fsync (when @sync), close and rename the temporary file to its final
 * name; @err (an earlier error, returned) keeps the file where it is.
 */
struct vt_error *wr_sink_install(struct wr_sink *s, struct vt_error *err,
				 bool sync);
/* What both kinds free. */
void wr_sink_free_common(struct wr_sink *s);

extern const struct wr_sink_ops wr_file_ops, wr_flat_ops;
/* The sinks' constructors: allocate the kind's state around struct wr_sink. */
struct wr_sink *wr_file_sink_new(void);
struct wr_sink *wr_flat_sink_new(void);

/* --- the header layout ---------------------------------------------------- */

struct wr_layout {
	uint32_t bs; /* block (page) size */
	uint64_t max_pfn, bm_len, bm_off, desc_off;
	uint32_t sub_blocks;
	uint32_t status; /* final status without INCOMPLETE */
	uint8_t hdr[VT_KDUMP_HDR_SIZE]; /* disk_dump_header */
};

/* Refuse options and header fields no dump can have. */
struct vt_error *wr_check_args(const struct vt_writer_opts *o,
			       const struct vt_writer_header *h);
/*
 * Place the header, sub header, notes and bitmaps; build the header with
 * INCOMPLETE set when @in_place (the final status is written at the end).
 */
struct vt_error *wr_layout(struct wr_layout *l,
			   const struct vt_writer_header *h, uint32_t codec,
			   bool in_place);
/*
 * The first sub_blocks + 1 blocks: header, sub header and notes, in a
 * buffer of *@len bytes the caller frees (NULL: out of memory).
 */
uint8_t *wr_head_blocks(const struct wr_layout *l,
			const struct vt_writer_header *h, size_t *len);
/* Set the header's status word. */
void wr_header_status(struct wr_layout *l, uint32_t status);

/* --- batches and compression -------------------------------------------- */

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

/*
 * Batches of about 1 MiB: a ring filled at fill_seq and emitted at
 * emit_seq, compressed inline (one thread) or by a worker pool.
 */
struct wr_compress {
	uint32_t bs, codec;
	bool exclude_zero;
	unsigned int per_batch, nbatch;
	struct wr_batch *batches;
	uint64_t fill_seq, emit_seq;
	bool pooled; /* the pool runs (else compression is inline) */
	bool inline_done; /* inline: the batch at emit_seq is compressed */
	struct vt_workpool pool;
	struct wr_scratch *scratch; /* one per worker, or one inline */
	unsigned int nscratch;
};

/* Allocate the ring and start @threads compressing threads (1: inline). */
struct vt_error *wr_compress_start(struct wr_compress *c, uint32_t bs,
				   uint32_t codec, bool exclude_zero,
				   unsigned int threads);
void wr_compress_stop(struct wr_compress *c);

static inline struct wr_batch *wr_fill_batch(struct wr_compress *c)
{
	return &c->batches[c->fill_seq % c->nbatch];
}

/* Hand the batch being filled to compression. */
void wr_compress_submit(struct wr_compress *c);
/*
 * The oldest batch in flight when it is compressed (waiting for it when
 * @wait), else NULL. wr_compress_emitted() after using it.
 */
struct wr_batch *wr_compress_oldest(struct wr_compress *c, bool wait);
void wr_compress_emitted(struct wr_compress *c);

#endif
