// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Struct pages read from the vmemmap and classified (pass.h): through the
 * page tables into a buffer, or in place from the input's mapping, a group
 * of pfns at a time so that a free buddy block or a compound page spares
 * reading the rest of it.
 */
#include <string.h>

#include "pass.h"
#include "vmemtrim/x86_64.h"

#define SP_GROUP 1024ULL /* pfns of an order-10 free block */
/*
 * Struct pages are read in place from this many bytes on; below, pread()
 * (one syscall, a small copy) costs less than the page fault of a page
 * not mapped yet.
 */
#define MAP_MIN_BYTES 4096ULL

struct sp_read {
	const struct fl_geom *g;
	struct blk *b;
	uint64_t first_pfn, npfns, vstart;
};

static void read_piece(struct sp_read *s, uint64_t vaddr, uint64_t paddr,
		       uint64_t len)
{
	const struct fl_geom *g = s->g;
	struct blk *b = s->b;
	uint64_t off = vaddr - s->vstart;
	struct vt_error *err;
	uint64_t first, end;

	err = vt_dump_read_paddr(g->dump, paddr, b->sp + off, len);
	if (vt_error_catch(&err, 0)) {
		if (len > g->page_size) {
			/* part of it may be there (a re-filtered -e dump) */
			for (uint64_t done = 0; done < len;) {
				uint64_t step = g->page_size -
						((paddr + done) % g->page_size);

				if (step > len - done)
					step = len - done;
				read_piece(s, vaddr + done, paddr + done, step);
				done += step;
			}
		}
		return;
	}
	first = (off + g->size_page - 1) / g->size_page;
	end = (off + len) / g->size_page;
	if (end > s->npfns)
		end = s->npfns;
	if (first < end)
		memset(b->valid + first, 1, end - first);
}

static int sp_leaf(void *arg, const struct vt_leaf *l)
{
	if (l->kind == VT_LEAF_MAPPED)
		read_piece(arg, l->vaddr, l->paddr, l->size);
	return 0;
}

/* Read the struct pages of pfns [a, b) of the chunk at @chunk into b->sp. */
static struct vt_error *read_struct_pages(const struct fl_geom *g,
					  struct blk *bk, uint64_t chunk,
					  uint64_t npfns, uint64_t a,
					  uint64_t b)
{
	struct sp_read s = { g, bk, chunk, npfns,
			     g->vbase + chunk * g->size_page };

	memset(bk->valid + (a - chunk), 0, b - a);
	return vt_x86_64_walk(bk->x, g->vbase + a * g->size_page,
			      g->vbase + b * g->size_page, sp_leaf, &s);
}

/* Where struct pages are in the input: one physically contiguous piece. */
struct sp_map {
	uint64_t start, next; /* vaddrs: the first, and the end reached */
	uint64_t paddr; /* of start */
	bool bad;
};

static int map_leaf(void *arg, const struct vt_leaf *l)
{
	struct sp_map *m = arg;

	if (l->vaddr == m->start && l->kind == VT_LEAF_MAPPED)
		m->paddr = l->paddr;
	if (l->kind != VT_LEAF_MAPPED || l->vaddr != m->next ||
	    l->paddr != m->paddr + (l->vaddr - m->start)) {
		m->bad = true;
		return 1;
	}
	m->next = l->vaddr + l->size;
	return 0;
}

/*
 * classify_range() on struct pages read in place from the input's mapping,
 * when they are mapped and in one piece; false when not, or when a page of
 * them failed to read while classifying (state as it was: read them).
 */
static bool classify_mapped(const struct fl_geom *g, struct blk *bk, uint64_t a,
			    uint64_t b, uint64_t end, uint8_t *cls)
{
	uint64_t len = (end - a) * g->size_page;
	struct sp_map m = { g->vbase + a * g->size_page,
			    g->vbase + a * g->size_page, 0, false };
	struct vt_classify_state st = bk->st;
	struct vt_error *err;
	const void *p;

	err = vt_x86_64_walk(bk->x, m.start, m.start + len, map_leaf, &m);
	if (vt_error_catch(&err, 0) || m.bad || m.next != m.start + len)
		return false; /* read them instead */
	p = vt_dump_window_map(bk->win, m.paddr, len, SP_WINDOW_BYTES);
	if (!p)
		return false;
	vt_classify(g->cls, &bk->st, a, b - a, p, end - a, cls);
	if (!vt_dump_map_failed(p, len))
		return true;
	bk->st = st;
	bk->n.map_retries++;
	return false;
}

/*
 * Read and classify pfns [a, b) of the chunk at @chunk (@avail pfns of it
 * readable, one more than its length when a next pfn exists).
 */
static struct vt_error *classify_range(const struct fl_geom *g, struct blk *bk,
				       uint64_t chunk, uint64_t avail,
				       uint64_t a, uint64_t b, uint8_t *cls)
{
	uint64_t end = b - chunk < avail ? b + 1 : b;
	struct vt_error *err;
	uint64_t i = a - chunk, n = b - chunk;

	if (bk->win && (end - a) * g->size_page >= MAP_MIN_BYTES &&
	    classify_mapped(g, bk, a, b, end, cls + i))
		return NULL;
	err = read_struct_pages(g, bk, chunk, avail, a, end);
	if (err)
		return err;
	while (i < n) {
		uint64_t j = i;

		if (!bk->valid[i]) {
			/* a pfn of RAM with data: not a hole without memmap */
			uint64_t bi = chunk + i - bk->block_a;

			if (bk->counting && get_bit8(bk->src, bi))
				bk->n.sp_unreadable++;
			cls[i++] = VT_CLASS_UNKNOWN;
			vt_classify_reset(&bk->st);
			continue;
		}
		while (j < n && bk->valid[j])
			j++;
		vt_classify(g->cls, &bk->st, chunk + i, j - i,
			    bk->sp + i * g->size_page,
			    j - i + (j < end - chunk && bk->valid[j] ? 1 : 0),
			    cls + i);
		i = j;
	}
	return NULL;
}

/* Does the carried decision cover pfns up to @end? Then fill them. */
static bool carried(struct blk *b, uint64_t chunk, uint64_t a, uint64_t end,
		    uint8_t *cls)
{
	if (b->st.carry_end < end || b->st.carry_end <= a)
		return false;
	memset(cls + (a - chunk), b->st.carry_class, end - a);
	return true;
}

/*
 * Classify pfn @a alone (its struct page and the next): when that decides
 * the group up to @b (a free buddy block or a compound page starting
 * there), keep it; else forget it, state and counters as they were.
 */
static bool peek_group(const struct fl_geom *g, struct blk *bk, uint64_t chunk,
		       uint64_t avail, uint64_t a, uint64_t b, uint8_t *cls)
{
	struct vt_classify_state st = bk->st;
	uint64_t unreadable = bk->n.sp_unreadable;
	struct vt_error *err =
		classify_range(g, bk, chunk, avail, a, a + 1, cls);

	if (!err && carried(bk, chunk, a + 1, b, cls))
		return true;
	vt_error_catch(&err, 0); /* the whole read says it again */
	bk->st = st;
	bk->n.sp_unreadable = unreadable;
	return false;
}

/*
 * Struct pages are read a group of SP_GROUP pfns at a time: first only the
 * group's first struct page, then its first vmemmap page: when a free
 * buddy block or a compound page found there covers the rest of the group,
 * the rest is never read. On an idle machine that reads two struct pages
 * per group.
 */
struct vt_error *fl_classify_chunk(const struct fl_geom *g, struct blk *bk,
				   uint64_t pfn, uint64_t n, uint8_t *cls)
{
	uint64_t avail = pfn + n < g->max_pfn ? n + 1 : n;
	uint64_t head = g->page_size / g->size_page; /* pfns per vmemmap page */

	for (uint64_t a = pfn; a < pfn + n;) {
		uint64_t b = (a | (SP_GROUP - 1)) + 1, h;
		struct vt_error *err;

		if (b > pfn + n)
			b = pfn + n;
		if (carried(bk, pfn, a, b, cls)) {
			a = b;
			continue;
		}
		if (b - a > 1 && peek_group(g, bk, pfn, avail, a, b, cls)) {
			a = b;
			continue;
		}
		h = a + head < b ? a + head : b;
		err = classify_range(g, bk, pfn, avail, a, h, cls);
		if (!err && h < b && !carried(bk, pfn, h, b, cls))
			err = classify_range(g, bk, pfn, avail, h, b, cls);
		if (err)
			return err;
		a = b;
	}
	return NULL;
}
