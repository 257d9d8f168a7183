// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A block of pfns decided (pass.h): which are RAM and which have data in
 * the input, the class of each (structpage.c), and from those and the
 * dump level the bitmaps of what is dumped and what is always kept.
 */
#include <stdlib.h>
#include <string.h>

#include "pass.h"
#include "pcp.h"
#include "vmemtrim/x86_64.h"

/* Set bits [a, b) of @bm: whole bytes at once. */
static void set_bits8(uint8_t *bm, uint64_t a, uint64_t b)
{
	while (a < b && (a & 7))
		set_bit8(bm, a++);
	if (b - a >= 8) {
		memset(bm + (a >> 3), 0xff, (b - a) >> 3);
		a += (b - a) & ~7ULL;
	}
	while (a < b)
		set_bit8(bm, a++);
}

/* RAM and data-present bits of [a, a + n) from the input. */
static struct vt_error *block_presence(struct vt_dump *dump, struct blk *b,
				       uint64_t a, uint64_t n, bool *any_ram)
{
	uint64_t pfn = a;

	memset(b->bm1, 0, (n + 7) / 8);
	memset(b->src, 0, (n + 7) / 8);
	*any_ram = false;
	while (pfn < a + n) {
		enum vt_pfn_state st;
		uint64_t end;
		struct vt_error *err = vt_dump_pfn_run(dump, pfn, &st, &end);

		if (err)
			return err;
		if (end > a + n)
			end = a + n;
		if (st != VT_PFN_HOLE) {
			*any_ram = true;
			set_bits8(b->bm1, pfn - a, end - a);
			if (st == VT_PFN_DUMPED)
				set_bits8(b->src, pfn - a, end - a);
		}
		pfn = end;
	}
	return NULL;
}

/*
 * bm2 and keep bits of the @m (<= 8) pfns at @i of the block, from bm1,
 * src and the classes, @excluded by the dump level; with @count, the
 * block's counts. Eight pfns of one class with data (most of an idle
 * machine) are decided at once.
 */
static void decide_byte(const bool *excluded, struct blk *bk, uint64_t i,
			uint64_t m, bool count)
{
	struct blk_counts *r = &bk->n;
	uint8_t ram = bk->bm1[i >> 3], have = bk->src[i >> 3], out = 0,
		kern = 0;
	uint64_t word;

	if (!ram)
		return;
	memcpy(&word, bk->classes + i, sizeof(word));
	if (m == 8 && ram == 0xff && have == 0xff &&
	    word == 0x0101010101010101ULL * bk->classes[i]) {
		enum vt_page_class k = bk->classes[i];

		if (count) {
			r->by_class[k] += 8;
			r->excluded[k] += excluded[k] ? 8 : 0;
		}
		if (!excluded[k]) {
			bk->bm2[i >> 3] = 0xff;
			bk->keep[i >> 3] = k == VT_CLASS_KEEP ? 0xff : 0;
		}
		return;
	}
	for (uint64_t b = 0; b < m; b++) {
		enum vt_page_class k = bk->classes[i + b];

		if (!(ram >> b & 1))
			continue;
		if (!(have >> b & 1)) {
			r->absent += count;
			continue;
		}
		if (count) {
			r->by_class[k]++;
			r->excluded[k] += excluded[k];
		}
		if (excluded[k])
			continue;
		out |= (uint8_t)(1u << b);
		if (k == VT_CLASS_KEEP)
			kern |= (uint8_t)(1u << b);
	}
	bk->bm2[i >> 3] = out;
	bk->keep[i >> 3] = kern;
}

/*
 * Bitmaps of block [a, a + n) before -e: bm1 (RAM), bm2 (dumped), keep
 * (class always dumped); with @count, the block's counts. A block starts
 * a run of the classifier: no aligned free block or compound page crosses
 * 4 GiB, so blocks can be computed in any order, on any thread.
 */
struct vt_error *fl_compute_block(const struct fl_decide *d, struct blk *b,
				  uint64_t a, uint64_t n, bool count)
{
	struct vt_error *err;
	bool any_ram;

	b->block_a = a;
	b->counting = count;
	vt_classify_reset(&b->st);
	err = block_presence(d->g.dump, b, a, n, &any_ram);
	if (err)
		return err;
	if (!count && d->store_bm2) {
		/* pass 1 kept what it decided: no struct page read again */
		memcpy(b->bm2, d->store_bm2 + a / 8, (n + 7) / 8);
		memcpy(b->keep, d->store_keep + a / 8, (n + 7) / 8);
		return NULL;
	}
	memset(b->bm2, 0, (n + 7) / 8);
	memset(b->keep, 0, (n + 7) / 8);
	if (!any_ram)
		return NULL;
	if (b->blind)
		memset(b->classes, VT_CLASS_UNKNOWN, n);
	for (uint64_t s = 0; s < n && !b->blind; s += CHUNK_PFNS) {
		uint64_t m = n - s < CHUNK_PFNS ? n - s : CHUNK_PFNS;

		err = fl_classify_chunk(&d->g, b, a + s, m, b->classes + s);
		if (b->win) /* what was read leaves the resident set */
			vt_dump_window_release(b->win);
		if (err)
			return err;
	}
	/* per-CPU free pages: candidates become free or kept (filter/pcp.h) */
	err = b->blind ? NULL :
			 vt_pcp_resolve_dump(vt_classifier_pcp(d->g.cls),
					     d->g.dump, b->x, d->pcp_listed,
					     d->excluded[VT_CLASS_PCP_FREE], a,
					     n, b->classes);
	if (err)
		return err;
	for (uint64_t i = 0; i < n; i += 8)
		decide_byte(d->excluded, b, i, n - i < 8 ? n - i : 8, count);
	return NULL;
}

/*
 * The block's counts go to the report (and start again from zero); the
 * implausible struct pages only in pass 1 (pass 2 may see them again).
 */
void fl_add_counts(struct vt_filter_report *r, struct blk *b, bool pass1)
{
	for (int k = 0; k < VT_CLASS_NR; k++) {
		r->by_class[k] += b->n.by_class[k];
		r->excluded[k] += b->n.excluded[k];
	}
	r->absent += b->n.absent;
	r->sp_unreadable += b->n.sp_unreadable;
	r->map_retries += b->n.map_retries;
	r->warnings += pass1 ? b->st.warnings : 0;
	b->st.warnings = 0;
	memset(&b->n, 0, sizeof(b->n));
}

/*
 * A block's buffers, for struct pages of @size_page bytes (0: none can be
 * read); @mapped: struct pages are read in place through a window.
 */
struct vt_error *fl_blk_init(struct blk *b, struct vt_dump *dump,
			     uint64_t size_page, bool mapped)
{
	/* the classes and the four bitmaps, in one piece */
	b->classes = malloc(BLOCK_PFNS + 4 * (BLOCK_PFNS / 8));
	if (b->classes) {
		b->bm1 = b->classes + BLOCK_PFNS;
		b->src = b->bm1 + BLOCK_PFNS / 8;
		b->bm2 = b->src + BLOCK_PFNS / 8;
		b->keep = b->bm2 + BLOCK_PFNS / 8;
	}
	b->sp = malloc((CHUNK_PFNS + 1) * (size_page ? size_page : 1));
	b->valid = malloc(CHUNK_PFNS + 1);
	if (mapped)
		b->win = vt_dump_window_new(dump, SP_WINDOW_BYTES);
	if (!b->classes || !b->sp || !b->valid || (mapped && !b->win))
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	return NULL;
}

void fl_blk_free(struct blk *b)
{
	if (b->own_x)
		vt_x86_64_free(b->x);
	free(b->classes); /* and the bitmaps */
	free(b->sp);
	free(b->valid);
	vt_dump_window_free(b->win);
}
