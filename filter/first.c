// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pages written first (pass.h; docs/robustness.md, "A full disk: what
 * goes first"): the critical set (critical.c) of the dump being written,
 * kind after kind, before the rest in pfn order, so that a disk that fills
 * up leaves a dump crash can open.
 *
 * A kdump-compressed dump may hold its page data in any order: each page's
 * descriptor says where its data is, and descriptor i belongs to the i-th
 * pfn set in the 2nd bitmap (its rank). The bitmap pass (pass2.c) gives
 * the rank of each run of critical pfns it meets; those runs (pieces) are
 * written with vt_writer_seek(), then the write passes skip them.
 *
 * Memory: one 24-byte span per range of the critical set and one 32-byte
 * piece per run of dumped pfns in it, at most MAX_PIECES (past that, the
 * set's other pages go in pfn order with the rest), and one bitmap of a
 * block for the pfns already written; never a bit per pfn of the machine.
 */
#include <stdlib.h>
#include <string.h>

#include "critical.h"
#include "pass.h"
#include "write.h"

#define MAX_PIECES (1u << 18) /* 8 MiB of pieces */

/* A range of the critical set, in the first kind that holds it. */
struct span {
	uint64_t start, end; /* [start, end) */
	enum vt_critical_kind kind;
};

/* Dumped pfns [pfn, pfn + n) of a span: descriptors rank.. rank + n - 1. */
struct piece {
	uint64_t pfn, n, rank;
	enum vt_critical_kind kind;
};

struct fl_first {
	struct span *span; /* by start */
	size_t nspan, span_cap, span_cur; /* span_cur: the bitmap pass's */
	struct piece *piece; /* by kind then pfn to write; by pfn after */
	size_t npiece, piece_cap, piece_cur; /* piece_cur: the write pass's */
	uint64_t pages[VT_CRIT_KINDS]; /* dumped pfns of each kind */
	uint8_t *done; /* one block: pfns written first */
};

/* --- the critical set in writing order ------------------------------------ */

static struct vt_error *add_span(struct fl_first *f, uint64_t start,
				 uint64_t end, enum vt_critical_kind k)
{
	if (f->nspan == f->span_cap) {
		size_t cap = f->span_cap ? 2 * f->span_cap : 256;
		struct span *s = realloc(f->span, cap * sizeof(*s));

		if (!s)
			return vt_error_new(VT_ERR_NOMEM, "out of memory");
		f->span = s;
		f->span_cap = cap;
	}
	f->span[f->nspan++] = (struct span){ start, end, k };
	return NULL;
}

/* The parts of [start, end) that @taken (sorted) lacks, as spans of @k. */
static struct vt_error *add_gaps(struct fl_first *f,
				 const struct vt_range_list *taken,
				 uint64_t start, uint64_t end,
				 enum vt_critical_kind k)
{
	size_t i = vt_range_list_first_after(taken, start);
	struct vt_error *err = NULL;

	while (!err && start < end) {
		uint64_t e = end;

		if (i < taken->nr && taken->r[i].start <= start) {
			start = taken->r[i++].end;
			continue;
		}
		if (i < taken->nr && taken->r[i].start < end)
			e = taken->r[i].start;
		err = add_span(f, start, e, k);
		start = e;
	}
	return err;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Each pfn of @c in the first kind that holds it, the spans by start; the
 * BTF first, so that the read-only data it lies in leaves it to the end.
 */
static struct vt_error *build_spans(struct fl_first *f,
				    const struct vt_critical *c)
{
	struct vt_range_list taken = { 0 };
	struct vt_error *err = NULL;

	for (int i = 0; i < VT_CRIT_KINDS && !err; i++) {
		int k = i ? i - 1 : VT_CRIT_BTF;
		const struct vt_range_list *l = &c->kind[k];

		for (size_t i = 0; i < l->nr && !err; i++)
			err = add_gaps(f, &taken, l->r[i].start, l->r[i].end,
				       k);
		for (size_t i = 0; i < l->nr && !err; i++)
			err = vt_range_list_add(&taken, l->r[i].start,
						l->r[i].end);
		vt_range_list_sort(&taken);
	}
	vt_range_list_clear(&taken);
	if (!err)
		qsort(f->span, f->nspan, sizeof(*f->span), cmp_span);
	return err;
}

/* vt_critical_dumped over pass 1's 2nd bitmap (d->store_bm2). */
static struct vt_error *stored_run(void *arg, uint64_t pfn, bool *dumped,
				   uint64_t *run_end)
{
	const struct fl_decide *d = arg;
	uint64_t end = pfn + 1;

	*dumped = get_bit8(d->store_bm2, pfn);
	while (end < d->g.max_pfn && get_bit8(d->store_bm2, end) == *dumped) {
		uint8_t all = *dumped ? 0xff : 0;

		if (!(end & 7) && end + 8 <= d->g.max_pfn &&
		    d->store_bm2[end >> 3] == all)
			end += 8;
		else
			end++;
	}
	*run_end = end;
	return NULL;
}

struct vt_error *fl_first_new(struct fl_run *c, struct fl_first **out)
{
	struct vt_critical_dumped dumped = { stored_run, &c->d };
	struct vt_critical *crit = NULL;
	struct fl_first *f;
	struct vt_error *err;

	*out = NULL;
	if (!c->x)
		return NULL; /* no page tables: no set, pfn order */
	err = vt_critical_find(c->d.g.dump, c->kp, c->x,
			       c->d.store_bm2 ? &dumped : NULL, &crit);
	if (err)
		return err;
	f = calloc(1, sizeof(*f));
	if (f)
		f->done = malloc(BLOCK_PFNS / 8);
	err = f && f->done ? build_spans(f, crit) :
			     vt_error_new(VT_ERR_NOMEM, "out of memory");
	vt_critical_free(crit);
	if (err) {
		fl_first_free(f);
		return vt_error_prefix(err, "critical pages: ");
	}
	*out = f;
	return NULL;
}

void fl_first_free(struct fl_first *f)
{
	if (!f)
		return;
	free(f->span);
	free(f->piece);
	free(f->done);
	free(f);
}

/* --- the bitmap pass: pieces and their ranks ------------------------------ */

/* Bits set in @bm from bit @from up to bit @to. */
static uint64_t count_bits(const uint8_t *bm, uint64_t from, uint64_t to)
{
	uint64_t n = 0;

	for (; from < to && (from & 7); from++)
		n += get_bit8(bm, from);
	for (; from + 8 <= to; from += 8)
		n += (uint64_t)__builtin_popcount(bm[from >> 3]);
	for (; from < to; from++)
		n += get_bit8(bm, from);
	return n;
}

static struct vt_error *add_piece(struct fl_first *f, uint64_t pfn, uint64_t n,
				  uint64_t rank, enum vt_critical_kind k)
{
	if (f->npiece == f->piece_cap) {
		size_t cap = f->piece_cap ? 2 * f->piece_cap : 256;
		struct piece *p;

		if (f->piece_cap >= MAX_PIECES)
			return NULL; /* the rest goes in pfn order */
		p = realloc(f->piece, cap * sizeof(*p));
		if (!p)
			return vt_error_new(VT_ERR_NOMEM, "out of memory");
		f->piece = p;
		f->piece_cap = cap;
	}
	f->piece[f->npiece++] = (struct piece){ pfn, n, rank, k };
	f->pages[k] += n;
	return NULL;
}

/* The spans' dumped runs in block [a, a + n) (bitmap @bm2, ranks from @rank). */
static struct vt_error *block_pieces(struct fl_first *f, const uint8_t *bm2,
				     uint64_t a, uint64_t n, uint64_t rank)
{
	uint64_t pos = 0, before = 0; /* bits set in bm2 before pos */
	struct vt_error *err = NULL;

	while (!err && f->span_cur < f->nspan &&
	       f->span[f->span_cur].start < a + n) {
		const struct span *s = &f->span[f->span_cur];
		uint64_t i = s->start > a ? s->start - a : 0;
		uint64_t e = s->end < a + n ? s->end - a : n;

		while (!err && i < e) {
			uint64_t j = i;

			if (!(i & 7) && i + 8 <= e && !bm2[i >> 3]) {
				i += 8;
				continue;
			}
			while (j < e && get_bit8(bm2, j))
				j++;
			if (j == i) {
				i++;
				continue;
			}
			before += count_bits(bm2, pos, i);
			pos = i;
			err = add_piece(f, a + i, j - i, rank + before,
					s->kind);
			i = j;
		}
		if (s->end > a + n)
			break; /* it goes on in the next block */
		f->span_cur++;
	}
	return err;
}

struct vt_error *fl_first_block(struct fl_first *f, const uint8_t *bm2,
				uint64_t a, uint64_t n, uint64_t rank)
{
	struct vt_error *err = f ? block_pieces(f, bm2, a, n, rank) : NULL;

	return err ? vt_error_prefix(err, "critical pages: ") : NULL;
}

/* --- writing them, and skipping them after -------------------------------- */

static int cmp_kind_pfn(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static int cmp_pfn(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

struct vt_error *fl_first_write(struct fl_run *c)
{
	struct fl_first *f = c->first;
	struct vt_error *err = NULL;

	if (!f)
		return NULL;
	qsort(f->piece, f->npiece, sizeof(*f->piece), cmp_kind_pfn);
	c->no_window = true; /* pieces jump about: read() them */
	for (size_t i = 0; i < f->npiece && !err; i++) {
		const struct piece *p = &f->piece[i];

		if (p->rank != c->next_index)
			err = vt_writer_seek(c->w, p->rank);
		if (!err)
			err = fl_write_run(c, p->pfn, p->n, true);
		c->next_index = p->rank + p->n;
	}
	c->no_window = false;
	qsort(f->piece, f->npiece, sizeof(*f->piece), cmp_pfn);
	return err;
}

void fl_first_rewind(struct fl_first *f)
{
	if (f)
		f->piece_cur = 0;
}

const uint8_t *fl_first_done(struct fl_first *f, uint64_t a, uint64_t n)
{
	bool any = false;

	if (!f)
		return NULL;
	while (f->piece_cur < f->npiece && f->piece[f->piece_cur].pfn < a + n) {
		const struct piece *p = &f->piece[f->piece_cur++];

		if (!any)
			memset(f->done, 0, (n + 7) / 8);
		any = true;
		for (uint64_t i = p->pfn - a; i < p->pfn - a + p->n; i++)
			set_bit8(f->done, i);
	}
	return any ? f->done : NULL;
}

/* --- what a full disk left --------------------------------------------- */

void fl_first_report(const struct fl_first *f, uint64_t prefix, uint64_t dumped,
		     struct vt_filter_report *r)
{
	uint64_t at = 0, first = 0;

	for (int k = 0; f && k < VT_CRIT_KINDS; k++) {
		uint64_t n = f->pages[k];
		uint64_t in = prefix > at ? prefix - at : 0;

		r->first_pages[k] = n;
		r->first_written[k] = in < n ? in : n;
		at += n;
	}
	first = at;
	r->other_pages = dumped - first;
	r->other_written = prefix > first ? prefix - first : 0;
	if (r->other_written > r->other_pages)
		r->other_written = r->other_pages;
}
