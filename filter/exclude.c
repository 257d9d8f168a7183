// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The removable-vmemmap set: see exclude.h.
 *
 * The vmemmap virtual range is cut into extents, each a run of 4 KiB
 * virtual pages mapped to a run of physical pages that ascends or descends
 * by one page per virtual page. Two bitmaps are indexed by virtual page:
 * "needed" (a struct page in it describes a dumped pfn) and "dumped" (its
 * physical page was dumped, of a class that is always dumped). A physical
 * page is removable when every virtual page mapping it is not needed.
 */
#include <stdlib.h>
#include <string.h>

#include "exclude.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/x86_64.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)

struct extent {
	uint64_t vpage; /* first virtual page index (from vmemmap_base) */
	uint64_t ppfn; /* physical pfn of vpage */
	uint64_t n; /* pages */
	int dir; /* +1: ascending physical pfns, -1: descending */
	uint64_t lo, hi; /* physical pfns covered: [lo, hi) */
};

struct vt_exclude {
	struct vt_dump *dump;
	uint64_t base, size_page, max_pfn;
	uint64_t nvpages;
	uint64_t *needed, *dumped; /* one bit per virtual page */
	struct extent *ext; /* sorted by lo, then vpage */
	size_t next, cap;
	uint64_t *max_hi; /* max_hi[i]: max of ext[0..i].hi */
	size_t cursor;
	uint64_t count, vmemmap_pages;
	struct vt_error *err; /* of the walk */
};

static inline bool bit_get(const uint64_t *bm, uint64_t i)
{
	return bm[i >> 6] >> (i & 63) & 1;
}

static inline void bit_set(uint64_t *bm, uint64_t i)
{
	bm[i >> 6] |= 1ULL << (i & 63);
}

static inline uint64_t ext_vpage(const struct extent *e, uint64_t pfn)
{
	return e->dir > 0 ? e->vpage + (pfn - e->ppfn) :
			    e->vpage + (e->ppfn - pfn);
}

static bool ext_push(struct vt_exclude *ex, uint64_t vpage, uint64_t ppfn)
{
	struct extent *e = ex->next ? &ex->ext[ex->next - 1] : NULL;

	if (e && vpage == e->vpage + e->n) {
		int dir = e->n == 1 ? (ppfn == e->ppfn + 1 ? 1 : -1) : e->dir;
		uint64_t want = dir > 0 ? e->ppfn + e->n : e->ppfn - e->n;

		if (e->ppfn >= e->n && ppfn == want) {
			e->dir = dir;
			e->n++;
			return true;
		}
	}
	if (ex->next == ex->cap) {
		size_t cap = ex->cap ? ex->cap * 2 : 256;
		struct extent *n = realloc(ex->ext, cap * sizeof(*n));

		if (!n)
			return false;
		ex->ext = n;
		ex->cap = cap;
	}
	ex->ext[ex->next++] = (struct extent){
		.vpage = vpage, .ppfn = ppfn, .n = 1, .dir = 1
	};
	return true;
}

/* Add [vpage, vpage + n) -> [ppfn, ppfn + n), physical pages in RAM only. */
static struct vt_error *add_run(struct vt_exclude *ex, uint64_t vpage,
				uint64_t ppfn, uint64_t n)
{
	while (n) {
		enum vt_pfn_state st = VT_PFN_HOLE;
		uint64_t end = ppfn + n, len;
		struct vt_error *err = NULL;

		if (ppfn < ex->max_pfn)
			err = vt_dump_pfn_run(ex->dump, ppfn, &st, &end);
		if (err)
			return err;
		if (end > ppfn + n)
			end = ppfn + n;
		len = end - ppfn;
		if (st != VT_PFN_HOLE) {
			for (uint64_t i = 0; i < len; i++)
				if (!ext_push(ex, vpage + i, ppfn + i))
					return vt_error_new(VT_ERR_NOMEM,
							    "out of memory "
							    "mapping vmemmap");
		}
		vpage += len;
		ppfn += len;
		n -= len;
	}
	return NULL;
}

static int leaf_fn(void *arg, const struct vt_leaf *l)
{
	struct vt_exclude *ex = arg;

	if (l->kind != VT_LEAF_MAPPED)
		return 0;
	/* a leaf clipped to the range starts and ends on page boundaries */
	ex->err = add_run(ex, (l->vaddr - ex->base) >> PAGE_SHIFT,
			  l->paddr >> PAGE_SHIFT, l->size >> PAGE_SHIFT);
	return ex->err ? 1 : 0;
}

static int cmp_extent(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->vpage < y->vpage ? -1 : x->vpage > y->vpage;
}

static void index_extents(struct vt_exclude *ex)
{
	for (size_t i = 0; i < ex->next; i++) {
		struct extent *e = &ex->ext[i];

		e->lo = e->dir > 0 ? e->ppfn : e->ppfn - (e->n - 1);
		e->hi = e->lo + e->n;
	}
	qsort(ex->ext, ex->next, sizeof(*ex->ext), cmp_extent);
	for (size_t i = 0; i < ex->next; i++) {
		uint64_t prev = i ? ex->max_hi[i - 1] : 0;

		ex->max_hi[i] = ex->ext[i].hi > prev ? ex->ext[i].hi : prev;
	}
}

struct vt_error *vt_exclude_new(struct vt_dump *dump, struct vt_x86_64 *x,
				uint64_t vmemmap_base, uint64_t size_page,
				uint64_t max_pfn, struct vt_exclude **out)
{
	struct vt_exclude *ex = calloc(1, sizeof(*ex));
	struct vt_error *err;
	uint64_t words;

	*out = NULL;
	if (!ex)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	ex->dump = dump;
	ex->base = vmemmap_base;
	ex->size_page = size_page;
	ex->max_pfn = max_pfn;
	ex->nvpages = (max_pfn * size_page + PAGE_SIZE - 1) >> PAGE_SHIFT;
	words = (ex->nvpages + 63) / 64;
	ex->needed = calloc(words ? words : 1, sizeof(uint64_t));
	ex->dumped = calloc(words ? words : 1, sizeof(uint64_t));
	if (!ex->needed || !ex->dumped) {
		vt_exclude_free(ex);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	err = vt_x86_64_walk(x, vmemmap_base,
			     vmemmap_base + (ex->nvpages << PAGE_SHIFT),
			     leaf_fn, ex);
	if (!err)
		err = ex->err;
	if (!err) {
		ex->max_hi =
			malloc((ex->next ? ex->next : 1) * sizeof(*ex->max_hi));
		if (!ex->max_hi)
			err = vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	if (err) {
		vt_exclude_free(ex);
		return vt_error_prefix(err, "mapping the vmemmap: ");
	}
	index_extents(ex);
	*out = ex;
	return NULL;
}

void vt_exclude_free(struct vt_exclude *ex)
{
	if (!ex)
		return;
	free(ex->needed);
	free(ex->dumped);
	free(ex->ext);
	free(ex->max_hi);
	free(ex);
}

/* Mark the virtual pages holding the struct pages of pfns [a, b). */
static void mark_needed(struct vt_exclude *ex, uint64_t a, uint64_t b)
{
	uint64_t first = a * ex->size_page >> PAGE_SHIFT;
	uint64_t last = (b * ex->size_page - 1) >> PAGE_SHIFT;

	if (first >= ex->nvpages)
		return;
	if (last >= ex->nvpages)
		last = ex->nvpages - 1;
	for (uint64_t v = first; v <= last; v++)
		bit_set(ex->needed, v);
}

/* Index of the first extent whose max_hi is past @pfn. */
static size_t first_reaching(const struct vt_exclude *ex, uint64_t pfn)
{
	size_t lo = 0, hi = ex->next;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ex->max_hi[mid] <= pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void note_dumped(struct vt_exclude *ex, uint64_t a, uint64_t n,
			const uint8_t *dumped, const uint8_t *keep_class)
{
	for (size_t i = first_reaching(ex, a);
	     i < ex->next && ex->ext[i].lo < a + n; i++) {
		const struct extent *e = &ex->ext[i];
		uint64_t s = e->lo > a ? e->lo : a;
		uint64_t t = e->hi < a + n ? e->hi : a + n;

		for (uint64_t p = s; p < t; p++) {
			uint64_t k = p - a;

			if ((dumped[k >> 3] & keep_class[k >> 3]) >> (k & 7) &
			    1)
				bit_set(ex->dumped, ext_vpage(e, p));
		}
	}
}

void vt_exclude_note(struct vt_exclude *ex, uint64_t start_pfn, uint64_t n,
		     const uint8_t *dumped, const uint8_t *keep_class)
{
	uint64_t i = 0;

	while (i < n) {
		uint64_t run;

		if (!(i & 7) && i + 8 <= n && !dumped[i >> 3]) {
			i += 8;
			continue;
		}
		if (!(dumped[i >> 3] >> (i & 7) & 1)) {
			i++;
			continue;
		}
		run = i + 1;
		while (run < n && dumped[run >> 3] >> (run & 7) & 1)
			run++;
		mark_needed(ex, start_pfn + i, start_pfn + run);
		i = run;
	}
	note_dumped(ex, start_pfn, n, dumped, keep_class);
}

/* Share "needed" between every pair of extents mapping the same pages. */
static void share_needed(struct vt_exclude *ex)
{
	for (size_t j = 1; j < ex->next; j++) {
		struct extent *b = &ex->ext[j];

		if (ex->max_hi[j - 1] <= b->lo)
			continue;
		for (size_t i = first_reaching(ex, b->lo); i < j; i++) {
			struct extent *a = &ex->ext[i];
			uint64_t s = a->lo > b->lo ? a->lo : b->lo;
			uint64_t t = a->hi < b->hi ? a->hi : b->hi;

			for (uint64_t p = s; p < t; p++) {
				uint64_t va = ext_vpage(a, p);
				uint64_t vb = ext_vpage(b, p);

				if (bit_get(ex->needed, va) ||
				    bit_get(ex->needed, vb)) {
					bit_set(ex->needed, va);
					bit_set(ex->needed, vb);
				}
			}
		}
	}
}

void vt_exclude_finalize(struct vt_exclude *ex)
{
	share_needed(ex);
	ex->count = ex->vmemmap_pages = 0;
	for (size_t i = 0; i < ex->next; i++) {
		const struct extent *e = &ex->ext[i];
		uint64_t from = i && ex->max_hi[i - 1] > e->lo ?
					ex->max_hi[i - 1] :
					e->lo;

		for (uint64_t p = from; p < e->hi; p++) {
			uint64_t v = ext_vpage(e, p);

			ex->vmemmap_pages++;
			if (!bit_get(ex->needed, v) && bit_get(ex->dumped, v))
				ex->count++;
		}
	}
	ex->cursor = 0;
}

uint64_t vt_exclude_count(const struct vt_exclude *ex)
{
	return ex->count;
}

uint64_t vt_exclude_vmemmap_pages(const struct vt_exclude *ex)
{
	return ex->vmemmap_pages;
}

bool vt_exclude_removable(struct vt_exclude *ex, uint64_t pfn)
{
	size_t i = ex->cursor;

	if (i >= ex->next || (i && ex->max_hi[i - 1] > pfn))
		i = first_reaching(ex, pfn);
	else
		while (i < ex->next && ex->max_hi[i] <= pfn)
			i++;
	ex->cursor = i;
	for (; i < ex->next && ex->ext[i].lo <= pfn; i++) {
		const struct extent *e = &ex->ext[i];
		uint64_t v;

		if (pfn >= e->hi)
			continue;
		v = ext_vpage(e, pfn);
		return !bit_get(ex->needed, v) && bit_get(ex->dumped, v);
	}
	return false;
}
