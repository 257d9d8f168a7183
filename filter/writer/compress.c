// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Batches of pages and their compression. A batch is compressed as a
 * whole, inline (one thread) or by the worker pool (workpool.h), and
 * batches are handed back strictly in the order they were filled, so the
 * bytes written do not depend on the thread count or on timing.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vmemtrim/codec.h"

#define BATCH_BYTES (1u << 20) /* page data per batch (input side) */
#define BATCH_MIN_PAGES 16

static bool all_zero(const uint8_t *p, size_t len)
{
	return !p[0] && !memcmp(p, p + 1, len - 1);
}

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
static struct vt_error *store_page(uint32_t bs, uint32_t codec,
				   struct wr_scratch *s, const uint8_t *page,
				   struct wr_slot *sl, uint8_t *out)
{
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
static void compress_batch(const struct wr_compress *c, struct wr_batch *b,
			   struct wr_scratch *s)
{
	uint32_t bs = c->bs;
	const uint8_t *last = NULL; /* the last page stored, and where */
	const struct wr_slot *last_sl = NULL;
	size_t last_out = 0;

	b->out_len = 0;
	for (unsigned int i = 0; i < b->n; i++) {
		const uint8_t *page = b->in + (size_t)i * bs;
		struct wr_slot *sl = &b->slot[i];

		if (sl->kind == PAGE_MISSING)
			continue;
		if (c->exclude_zero && all_zero(page, bs)) {
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
			b->err = store_page(bs, c->codec, s, page, sl,
					    b->out + b->out_len);
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

/* A worker of the pool: ticket t is batch t of the ring. */
static void compress_work(void *arg, unsigned int worker, uint64_t ticket)
{
	struct wr_compress *c = arg;

	compress_batch(c, &c->batches[ticket % c->nbatch], &c->scratch[worker]);
}

struct vt_error *wr_compress_start(struct wr_compress *c, uint32_t bs,
				   uint32_t codec, bool exclude_zero,
				   unsigned int threads)
{
	c->bs = bs;
	c->codec = codec;
	c->exclude_zero = exclude_zero;
	c->per_batch = BATCH_BYTES / bs;
	if (c->per_batch < BATCH_MIN_PAGES)
		c->per_batch = BATCH_MIN_PAGES;
	/* a few batches in flight per thread, one being filled */
	c->nbatch = threads > 1 ? threads + 2 : 1;
	c->batches = calloc(c->nbatch, sizeof(*c->batches));
	if (!c->batches)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	for (unsigned int i = 0; i < c->nbatch; i++) {
		struct wr_batch *b = &c->batches[i];
		size_t bytes = (size_t)c->per_batch * bs;

		b->pfn = malloc(c->per_batch * sizeof(*b->pfn));
		b->in = malloc(bytes);
		b->out = malloc(bytes);
		b->slot = malloc(c->per_batch * sizeof(*b->slot));
		if (!b->pfn || !b->in || !b->out || !b->slot)
			return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	c->nscratch = threads > 1 ? threads : 1;
	c->scratch = calloc(c->nscratch, sizeof(*c->scratch));
	if (!c->scratch)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	for (unsigned int i = 0; i < c->nscratch; i++)
		if (scratch_init(&c->scratch[i], codec, bs))
			return vt_error_new(VT_ERR_NOMEM, "out of memory");
	if (threads < 2)
		return NULL;
	struct vt_error *err = vt_workpool_start(&c->pool, threads, c->nbatch,
						 compress_work, c);
	if (err)
		return err;
	c->pooled = true;
	return NULL;
}

void wr_compress_stop(struct wr_compress *c)
{
	if (c->pooled)
		vt_workpool_stop(&c->pool);
	c->pooled = false;
	for (unsigned int i = 0; c->batches && i < c->nbatch; i++) {
		struct wr_batch *b = &c->batches[i];

		vt_error_free(b->err);
		free(b->pfn);
		free(b->in);
		free(b->out);
		free(b->slot);
	}
	free(c->batches);
	c->batches = NULL;
	for (unsigned int i = 0; c->scratch && i < c->nscratch; i++)
		scratch_free(&c->scratch[i]);
	free(c->scratch);
	c->scratch = NULL;
}

void wr_compress_submit(struct wr_compress *c)
{
	struct wr_batch *b = wr_fill_batch(c);

	c->fill_seq++;
	if (!c->pooled) {
		compress_batch(c, b, &c->scratch[0]);
		c->inline_done = true;
		return;
	}
	vt_workpool_submit(&c->pool);
}

struct wr_batch *wr_compress_oldest(struct wr_compress *c, bool wait)
{
	uint64_t t = c->emit_seq;

	if (t == c->fill_seq)
		return NULL;
	if (!c->pooled)
		return c->inline_done ? &c->batches[t % c->nbatch] : NULL;
	if (wait)
		vt_workpool_wait(&c->pool, t);
	else if (!vt_workpool_done(&c->pool, t))
		return NULL;
	return &c->batches[t % c->nbatch];
}

void wr_compress_emitted(struct wr_compress *c)
{
	c->batches[c->emit_seq % c->nbatch].n = 0;
	c->emit_seq++;
	if (c->pooled)
		vt_workpool_release(&c->pool);
	else
		c->inline_done = false;
}
