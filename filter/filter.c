// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The filter pipeline: see filter.h.
 *
 * Pass 1 walks the pfns in blocks: which are RAM, which have data in the
 * input, the class of each from its struct page, and so which are dumped;
 * with -e it notes which vmemmap pages describe dumped pfns. Pass 2 walks
 * the same blocks again (the same inputs give the same bitmaps), leaves the
 * removable vmemmap pages out, writes the bitmaps and the pages. Memory is
 * the block buffers plus the -e bitmaps, whatever the size of RAM.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "pcp.h"
#include "exclude.h"
#include "filter.h"
#include "notes.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/format.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"
#include "write.h"

#define BLOCK_PFNS (1ULL << 20) /* pfns per block (4 GiB of RAM) */
#define CHUNK_PFNS (1ULL << 15) /* struct pages read at once */
#define READ_BYTES (1ULL << 20) /* page data read at once */
#define SP_GROUP 1024ULL /* pfns of an order-10 free block */
#define STORE_BYTES (32ULL << 20) /* pass 1's bitmaps kept up to this */
#define P1_MAX_THREADS 4 /* pass 1 workers by default, at most */
/*
 * Struct pages are read in place from this many bytes on; below, pread()
 * (one syscall, a small copy) costs less than the page fault of a page
 * not mapped yet.
 */
#define MAP_MIN_BYTES 4096ULL
/* /proc/vmcore: struct pages mapped at most this much at once */
#define SP_WINDOW_BYTES (1ULL << 20)
/*
 * /proc/vmcore: page data mapped at most this many pfns at once, and only
 * when at least DATA_WINDOW_MIN of them are written: a read() of it maps
 * and unmaps each page in the kernel, a window maps them all at once, but
 * mapping a window costs about what reading six pages costs.
 */
#define DATA_WINDOW_PFNS 1024ULL
#define DATA_WINDOW_MIN 8

/* What one block's classification adds to the report. */
struct blk_counts {
	uint64_t by_class[VT_CLASS_NR], excluded[VT_CLASS_NR];
	uint64_t absent, sp_unreadable, map_retries, warnings;
};

/*
 * What computing one block needs of its own: the buffers, the classifier
 * state, a page-table walker (its cache is not shared) and the counts. The
 * main thread has one; each pass 1 worker has another.
 */
struct blk {
	struct vt_x86_64 *x;
	bool own_x; /* x is this block's own (freed with it) */
	bool blind; /* c->blind when the pass started */
	struct vt_classify_state st;
	uint8_t *classes; /* one per pfn of the block */
	uint8_t *bm1, *src, *bm2, *keep; /* one bit per pfn of the block */
	uint8_t *sp; /* struct pages of a chunk (+1) */
	uint8_t *valid; /* one per pfn of the chunk (+1) */
	/* struct pages read in place (NULL: input not mapped) */
	struct vt_dump_window *win;
	uint64_t block_a; /* first pfn of the block being computed */
	bool counting; /* compute_block(count): also count unreadable struct pages */
	struct blk_counts n;
};

/* A pass 1 worker: computes every nth block, one result at a time. */
struct p1_worker {
	struct ctx *c;
	struct blk b;
	pthread_t tid;
	bool started;
	unsigned int first; /* its first block */
	bool ready; /* the result of block a waits for the main thread */
	uint64_t a, n;
	struct vt_error *err;
};

struct ctx {
	const struct vt_filter_opts *o;
	struct vt_filter_report *r;
	struct vt_dump *dump;
	const struct vt_dump_info *info;
	const struct vt_kernel_profile *kp;
	struct vt_x86_64 *x;
	struct vt_classifier *cls;
	struct vt_exclude *ex;
	struct vt_writer *w;
	uint64_t max_pfn, page_size, size_page, vbase;
	bool excluded[VT_CLASS_NR]; /* by the dump level */
	struct blk mb; /* the main thread's */
	/* page data read through windows (/proc/vmcore), else NULL */
	struct vt_dump_window *data_win;
	uint64_t data_win_end; /* pfns before this are in data_win */
	/* pass 1's bm2 and keep for every pfn, when small enough to keep */
	uint8_t *store_bm2, *store_keep;
	/* pass 1 workers (none: the main thread classifies) */
	struct p1_worker *p1;
	unsigned int np1;
	pthread_mutex_t p1_mu;
	pthread_cond_t p1_cv;
	bool p1_stop;
	bool write_failed; /* pass 2 stopped writing pages */
	uint64_t next_index; /* descriptor of the next page written */
	unsigned int passes; /* 2, or 3 when other classes are dumped */
	/* no classification (r->blind says why): every RAM pfn UNKNOWN */
	bool blind;
	uint64_t kt_pfn, kt_end; /* kernel text canary pfns [kt_pfn, kt_end) */
	char *vmcoreinfo_text; /* -i */
	uint8_t *notes; /* output notes when -i adds a VMCOREINFO note */
};

static inline void set_bit8(uint8_t *bm, uint64_t i)
{
	bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

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

static inline void clear_bit8(uint8_t *bm, uint64_t i)
{
	bm[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

static inline bool get_bit8(const uint8_t *bm, uint64_t i)
{
	return bm[i >> 3] >> (i & 7) & 1;
}

static void go_blind(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- struct pages --------------------------------------------------------- */

struct sp_read {
	struct ctx *c;
	struct blk *b;
	uint64_t first_pfn, npfns, vstart;
};

static void read_piece(struct sp_read *s, uint64_t vaddr, uint64_t paddr,
		       uint64_t len)
{
	struct ctx *c = s->c;
	struct blk *b = s->b;
	uint64_t off = vaddr - s->vstart;
	struct vt_error *err;
	uint64_t first, end;

	err = vt_dump_read_paddr(c->dump, paddr, b->sp + off, len);
	if (err) {
		vt_error_free(err);
		if (len > c->page_size) {
			/* part of it may be there (a re-filtered -e dump) */
			for (uint64_t done = 0; done < len;) {
				uint64_t step = c->page_size -
						((paddr + done) % c->page_size);

				if (step > len - done)
					step = len - done;
				read_piece(s, vaddr + done, paddr + done, step);
				done += step;
			}
		}
		return;
	}
	first = (off + c->size_page - 1) / c->size_page;
	end = (off + len) / c->size_page;
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
static struct vt_error *read_struct_pages(struct ctx *c, struct blk *bk,
					  uint64_t chunk, uint64_t npfns,
					  uint64_t a, uint64_t b)
{
	struct sp_read s = { c, bk, chunk, npfns,
			     c->vbase + chunk * c->size_page };

	memset(bk->valid + (a - chunk), 0, b - a);
	return vt_x86_64_walk(bk->x, c->vbase + a * c->size_page,
			      c->vbase + b * c->size_page, sp_leaf, &s);
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
static bool classify_mapped(struct ctx *c, struct blk *bk, uint64_t a,
			    uint64_t b, uint64_t end, uint8_t *cls)
{
	uint64_t len = (end - a) * c->size_page;
	struct sp_map m = { c->vbase + a * c->size_page,
			    c->vbase + a * c->size_page, 0, false };
	struct vt_classify_state st = bk->st;
	struct vt_error *err;
	const void *p;

	err = vt_x86_64_walk(bk->x, m.start, m.start + len, map_leaf, &m);
	if (err || m.bad || m.next != m.start + len) {
		vt_error_free(err);
		return false;
	}
	p = vt_dump_window_map(bk->win, m.paddr, len, SP_WINDOW_BYTES);
	if (!p)
		return false;
	vt_classify(c->cls, &bk->st, a, b - a, p, end - a, cls);
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
static struct vt_error *classify_range(struct ctx *c, struct blk *bk,
				       uint64_t chunk, uint64_t avail,
				       uint64_t a, uint64_t b, uint8_t *cls)
{
	uint64_t end = b - chunk < avail ? b + 1 : b;
	struct vt_error *err;
	uint64_t i = a - chunk, n = b - chunk;

	if (bk->win && (end - a) * c->size_page >= MAP_MIN_BYTES &&
	    classify_mapped(c, bk, a, b, end, cls + i))
		return NULL;
	err = read_struct_pages(c, bk, chunk, avail, a, end);
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
		vt_classify(c->cls, &bk->st, chunk + i, j - i,
			    bk->sp + i * c->size_page,
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
static bool peek_group(struct ctx *c, struct blk *bk, uint64_t chunk,
		       uint64_t avail, uint64_t a, uint64_t b, uint8_t *cls)
{
	struct vt_classify_state st = bk->st;
	uint64_t unreadable = bk->n.sp_unreadable;
	struct vt_error *err =
		classify_range(c, bk, chunk, avail, a, a + 1, cls);

	if (!err && carried(bk, chunk, a + 1, b, cls))
		return true;
	vt_error_free(err); /* the whole read says it again */
	bk->st = st;
	bk->n.sp_unreadable = unreadable;
	return false;
}

/*
 * Classes of pfns [pfn, pfn + n) of a chunk, into cls. Struct pages are
 * read a group of SP_GROUP pfns at a time: first only the group's first
 * struct page, then its first vmemmap page: when a free buddy block or a
 * compound page found there covers the rest of the group, the rest is
 * never read. On an idle machine that reads two struct pages per group.
 */
static struct vt_error *classify_chunk(struct ctx *c, struct blk *bk,
				       uint64_t pfn, uint64_t n, uint8_t *cls)
{
	uint64_t avail = pfn + n < c->max_pfn ? n + 1 : n;
	uint64_t head = c->page_size / c->size_page; /* pfns per vmemmap page */

	for (uint64_t a = pfn; a < pfn + n;) {
		uint64_t b = (a | (SP_GROUP - 1)) + 1, h;
		struct vt_error *err;

		if (b > pfn + n)
			b = pfn + n;
		if (carried(bk, pfn, a, b, cls)) {
			a = b;
			continue;
		}
		if (b - a > 1 && peek_group(c, bk, pfn, avail, a, b, cls)) {
			a = b;
			continue;
		}
		h = a + head < b ? a + head : b;
		err = classify_range(c, bk, pfn, avail, a, h, cls);
		if (!err && h < b && !carried(bk, pfn, h, b, cls))
			err = classify_range(c, bk, pfn, avail, h, b, cls);
		if (err)
			return err;
		a = b;
	}
	return NULL;
}

/* --- one block ------------------------------------------------------------ */

/* RAM and data-present bits of [a, a + n) from the input. */
static struct vt_error *block_presence(struct ctx *c, struct blk *b, uint64_t a,
				       uint64_t n, bool *any_ram)
{
	uint64_t pfn = a;

	memset(b->bm1, 0, (n + 7) / 8);
	memset(b->src, 0, (n + 7) / 8);
	*any_ram = false;
	while (pfn < a + n) {
		enum vt_pfn_state st;
		uint64_t end;
		struct vt_error *err = vt_dump_pfn_run(c->dump, pfn, &st, &end);

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
 * src and the classes; with @count, the block's counts. Eight pfns of
 * one class with data (most of an idle machine) are decided at once.
 */
static void decide_byte(const struct ctx *c, struct blk *bk, uint64_t i,
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
			r->excluded[k] += c->excluded[k] ? 8 : 0;
		}
		if (!c->excluded[k]) {
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
			r->excluded[k] += c->excluded[k];
		}
		if (c->excluded[k])
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
static struct vt_error *compute_block(struct ctx *c, struct blk *b, uint64_t a,
				      uint64_t n, bool count)
{
	struct vt_error *err;
	bool any_ram;

	b->block_a = a;
	b->counting = count;
	vt_classify_reset(&b->st);
	err = block_presence(c, b, a, n, &any_ram);
	if (err)
		return err;
	if (!count && c->store_bm2) {
		/* pass 1 kept what it decided: no struct page read again */
		memcpy(b->bm2, c->store_bm2 + a / 8, (n + 7) / 8);
		memcpy(b->keep, c->store_keep + a / 8, (n + 7) / 8);
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

		err = classify_chunk(c, b, a + s, m, b->classes + s);
		if (b->win) /* what was read leaves the resident set */
			vt_dump_window_release(b->win);
		if (err)
			return err;
	}
	/* per-CPU free pages: candidates become free or kept (filter/pcp.h) */
	err = b->blind ?
		      NULL :
		      vt_pcp_resolve_dump(vt_classifier_pcp(c->cls), c->dump,
					  b->x, c->excluded[VT_CLASS_PCP_FREE],
					  a, n, b->classes);
	if (err)
		return err;
	for (uint64_t i = 0; i < n; i += 8)
		decide_byte(c, b, i, n - i < 8 ? n - i : 8, count);
	return NULL;
}

/*
 * The block's counts go to the report (and start again from zero); the
 * implausible struct pages only in pass 1 (pass 2 may see them again).
 */
static void add_counts(struct ctx *c, struct blk *b, bool pass1)
{
	struct vt_filter_report *r = c->r;

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

static struct vt_error *blk_init(struct ctx *c, struct blk *b)
{
	b->classes = malloc(BLOCK_PFNS);
	b->bm1 = malloc(BLOCK_PFNS / 8);
	b->src = malloc(BLOCK_PFNS / 8);
	b->bm2 = malloc(BLOCK_PFNS / 8);
	b->keep = malloc(BLOCK_PFNS / 8);
	b->sp = malloc((CHUNK_PFNS + 1) * (c->size_page ? c->size_page : 1));
	b->valid = malloc(CHUNK_PFNS + 1);
	if (c->r->mapped)
		b->win = vt_dump_window_new(c->dump, SP_WINDOW_BYTES);
	if (!b->classes || !b->bm1 || !b->src || !b->bm2 || !b->keep ||
	    !b->sp || !b->valid || (c->r->mapped && !b->win))
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	return NULL;
}

static void blk_free(struct blk *b)
{
	if (b->own_x)
		vt_x86_64_free(b->x);
	free(b->classes);
	free(b->bm1);
	free(b->src);
	free(b->bm2);
	free(b->keep);
	free(b->sp);
	free(b->valid);
	vt_dump_window_free(b->win);
}

/* --- pass 1 --------------------------------------------------------------- */

/*
 * The first pages of the kernel text are kernel memory whatever else is
 * corrupt: if their struct pages read as anything a dump level excludes,
 * the struct pages are not what VMCOREINFO says (a wrong SIZE(page), PG_*
 * number or offset) and no class can be trusted.
 */
static bool canary_broken(struct ctx *c, const struct blk *b, uint64_t a,
			  uint64_t n)
{
	uint64_t lo = c->kt_pfn > a ? c->kt_pfn : a;
	uint64_t hi = c->kt_end < a + n ? c->kt_end : a + n;

	for (uint64_t p = lo; p < hi; p++) {
		enum vt_page_class k = b->classes[p - a];

		if (k != VT_CLASS_KEEP && k != VT_CLASS_UNKNOWN &&
		    get_bit8(b->src, p - a)) {
			go_blind(c,
				 "the struct page of pfn %#llx (kernel text) "
				 "reads as %s",
				 (unsigned long long)p, vt_page_class_name(k));
			return true;
		}
	}
	return false;
}

static void reset_counts(struct vt_filter_report *r)
{
	memset(r->by_class, 0, sizeof(r->by_class));
	memset(r->excluded, 0, sizeof(r->excluded));
	r->absent = 0;
	r->sp_unreadable = 0;
}

static uint64_t popcount_block(const uint8_t *bm, uint64_t n)
{
	uint64_t k = 0, i = 0, bytes = (n + 7) / 8, w;

	for (; i + 8 <= bytes; i += 8) {
		memcpy(&w, bm + i, 8);
		k += (uint64_t)__builtin_popcountll(w);
	}
	for (; i < bytes; i++)
		k += (uint64_t)__builtin_popcount(bm[i]);
	return k;
}

static uint64_t block_len(const struct ctx *c, uint64_t a)
{
	return c->max_pfn - a < BLOCK_PFNS ? c->max_pfn - a : BLOCK_PFNS;
}

/* A worker computes blocks first, first + np1, ... handing each over. */
static void *p1_main(void *arg)
{
	struct p1_worker *w = arg;
	struct ctx *c = w->c;

	for (uint64_t a = (uint64_t)w->first * BLOCK_PFNS; a < c->max_pfn;
	     a += (uint64_t)c->np1 * BLOCK_PFNS) {
		struct vt_error *err;

		bool stop;

		pthread_mutex_lock(&c->p1_mu);
		while (w->ready && !c->p1_stop)
			pthread_cond_wait(&c->p1_cv, &c->p1_mu);
		stop = c->p1_stop;
		pthread_mutex_unlock(&c->p1_mu);
		if (stop)
			break;
		err = compute_block(c, &w->b, a, block_len(c, a), true);
		pthread_mutex_lock(&c->p1_mu);
		w->a = a;
		w->err = err;
		w->ready = true;
		pthread_cond_broadcast(&c->p1_cv);
		pthread_mutex_unlock(&c->p1_mu);
		if (err)
			break;
	}
	return NULL;
}

static void p1_stop(struct ctx *c)
{
	if (!c->np1)
		return;
	pthread_mutex_lock(&c->p1_mu);
	c->p1_stop = true;
	pthread_cond_broadcast(&c->p1_cv);
	pthread_mutex_unlock(&c->p1_mu);
	for (unsigned int i = 0; i < c->np1; i++) {
		if (c->p1[i].started)
			pthread_join(c->p1[i].tid, NULL);
		vt_error_free(c->p1[i].err);
		blk_free(&c->p1[i].b);
	}
	free(c->p1);
	c->p1 = NULL;
	c->np1 = 0;
	pthread_cond_destroy(&c->p1_cv);
	pthread_mutex_destroy(&c->p1_mu);
}

/*
 * Start the pass 1 workers: one per CPU this process may run on (at most
 * o->classify_threads when set, P1_MAX_THREADS else), when the input reads
 * safely from several threads (an ELF vmcore) and has several blocks.
 * None started: the main thread classifies.
 */
static void p1_start(struct ctx *c)
{
	uint64_t blocks = (c->max_pfn + BLOCK_PFNS - 1) / BLOCK_PFNS;
	unsigned int n = c->o->classify_threads;
	cpu_set_t set;

	if (!n) {
		n = 1;
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			n = (unsigned int)CPU_COUNT(&set);
		if (n > P1_MAX_THREADS)
			n = P1_MAX_THREADS;
	}
	if (n > blocks)
		n = (unsigned int)blocks;
	if (n < 2 || c->blind || c->info->format != VT_FORMAT_ELF)
		return;
	c->p1 = calloc(n, sizeof(*c->p1));
	if (!c->p1)
		return;
	pthread_mutex_init(&c->p1_mu, NULL);
	pthread_cond_init(&c->p1_cv, NULL);
	c->p1_stop = false;
	c->np1 = n;
	for (unsigned int i = 0; i < n; i++) {
		struct p1_worker *w = &c->p1[i];
		struct vt_error *err;

		w->c = c;
		w->first = i;
		w->b.own_x = true;
		err = blk_init(c, &w->b);
		if (!err)
			err = vt_x86_64_new(c->dump, c->kp, &w->b.x);
		if (err) {
			vt_error_free(err);
			break;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		struct p1_worker *w = &c->p1[i];

		if (!w->b.x || !w->b.valid ||
		    pthread_create(&w->tid, NULL, p1_main, w)) {
			p1_stop(c); /* a thread short: the main thread does it */
			return;
		}
		w->started = true;
	}
}

/* Block @a, computed: by a worker (waited for), else here. */
static struct vt_error *p1_block(struct ctx *c, uint64_t a, struct blk **out)
{
	struct p1_worker *w;

	if (!c->np1) {
		*out = &c->mb;
		return compute_block(c, &c->mb, a, block_len(c, a), true);
	}
	w = &c->p1[(a / BLOCK_PFNS) % c->np1];
	pthread_mutex_lock(&c->p1_mu);
	while (!w->ready)
		pthread_cond_wait(&c->p1_cv, &c->p1_mu);
	pthread_mutex_unlock(&c->p1_mu);
	*out = &w->b;
	return w->err;
}

/* The worker of block @a may go on to its next block. */
static void p1_done(struct ctx *c, uint64_t a)
{
	struct p1_worker *w;

	if (!c->np1)
		return;
	w = &c->p1[(a / BLOCK_PFNS) % c->np1];
	pthread_mutex_lock(&c->p1_mu);
	w->ready = false;
	pthread_cond_broadcast(&c->p1_cv);
	pthread_mutex_unlock(&c->p1_mu);
}

/*
 * Pass 1 proper: the blocks are computed (on the workers, several at
 * once), and taken in pfn order here: counts, the stored bitmaps, -e.
 */
static struct vt_error *pass1_blocks(struct ctx *c, uint64_t *dumped)
{
	for (uint64_t a = 0; a < c->max_pfn; a += BLOCK_PFNS) {
		uint64_t n = block_len(c, a);
		struct blk *b;
		struct vt_error *err = p1_block(c, a, &b);

		if (err) {
			if (c->np1) /* the worker frees its own */
				err = vt_error_new(err->code, "%s",
						   err->message);
			return err;
		}
		add_counts(c, b, true);
		if (!c->blind && canary_broken(c, b, a, n))
			return NULL;
		if (c->store_bm2) {
			memcpy(c->store_bm2 + a / 8, b->bm2, (n + 7) / 8);
			memcpy(c->store_keep + a / 8, b->keep, (n + 7) / 8);
		}
		*dumped += popcount_block(b->bm2, n);
		if (c->ex)
			vt_exclude_note(c->ex, a, n, b->bm2, b->keep);
		for (uint64_t i = 0; i < (n + 7) / 8; i++)
			if (b->bm2[i] & ~b->keep[i])
				c->passes = 3;
		p1_done(c, a);
		if (c->o->progress)
			c->o->progress(c->o->progress_arg, a + n,
				       3 * c->max_pfn);
	}
	return NULL;
}

static struct vt_error *pass1_once(struct ctx *c, uint64_t *dumped)
{
	struct vt_error *err;

	*dumped = 0;
	c->passes = 2;
	c->mb.blind = c->blind;
	p1_start(c);
	c->r->classify_threads = c->np1 ? c->np1 : 1;
	err = pass1_blocks(c, dumped);
	p1_stop(c);
	return err;
}

/*
 * Classify every pfn. When the struct pages turn out not to be what
 * VMCOREINFO describes (the kernel text canary, or more than one in eight
 * implausible), start again without classification.
 */
static struct vt_error *pass1(struct ctx *c, uint64_t *dumped)
{
	bool was_blind = c->blind;
	struct vt_error *err = pass1_once(c, dumped);
	uint64_t seen;

	seen = 0;
	for (int k = 0; k < VT_CLASS_NR; k++)
		seen += c->r->by_class[k];
	if (!err && !c->blind && c->r->warnings >= 1024 &&
	    c->r->warnings > seen / 8)
		go_blind(c, "%llu of %llu struct pages are implausible",
			 (unsigned long long)c->r->warnings,
			 (unsigned long long)seen);
	if (err || was_blind || !c->blind)
		return err;
	/* went blind mid-way (or at the end): count again from scratch */
	reset_counts(c->r);
	return pass1_once(c, dumped);
}

/* --- pass 2 --------------------------------------------------------------- */

static uint64_t drop_vmemmap(struct ctx *c, uint64_t a, uint64_t n)
{
	uint64_t removed = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (!(c->mb.bm2[i >> 3] & c->mb.keep[i >> 3])) {
			i |= 7;
			continue;
		}
		if (get_bit8(c->mb.bm2, i) && get_bit8(c->mb.keep, i) &&
		    vt_exclude_removable(c->ex, a + i)) {
			clear_bit8(c->mb.bm2, i);
			removed++;
		}
	}
	return removed;
}

/*
 * Count @pfn, whose data could not be read (@err says why), and list it in
 * the report's runs: it joins a run it touches, else starts one while there
 * is room. Pass 2 and pass 3 each go up in pfn order, so the run last
 * touched is looked at first.
 */
static void note_unreadable(struct vt_filter_report *r, uint64_t pfn,
			    const struct vt_error *err)
{
	const char *why = strrchr(err->message, ':');
	struct vt_pfn_run *u;

	r->unreadable++;
	for (unsigned int i = r->unreadable_runs; i-- > 0;) {
		u = &r->unreadable_run[i];
		if (pfn + 1 >= u->first && pfn <= u->last + 1) {
			u->first = pfn < u->first ? pfn : u->first;
			u->last = pfn > u->last ? pfn : u->last;
			return;
		}
	}
	if (r->unreadable_runs == VT_FILTER_UNREADABLE_RUNS)
		return;
	u = &r->unreadable_run[r->unreadable_runs++];
	u->first = u->last = pfn;
	if (err->code == VT_ERR_NODATA)
		why = "no data in the input";
	else
		why = why && why[1] == ' ' ? why + 2 : err->message;
	snprintf(u->why, sizeof(u->why), "%s", why);
}

/* Sort the report's runs by pfn and merge those that touch. */
static void merge_unreadable_runs(struct vt_filter_report *r)
{
	struct vt_pfn_run *u = r->unreadable_run, t;
	unsigned int n = 0;

	for (unsigned int i = 1; i < r->unreadable_runs; i++) {
		for (unsigned int j = i; j && u[j].first < u[j - 1].first;
		     j--) {
			t = u[j];
			u[j] = u[j - 1];
			u[j - 1] = t;
		}
	}
	for (unsigned int i = 0; i < r->unreadable_runs; i++) {
		if (n && u[i].first <= u[n - 1].last + 1) {
			if (u[i].last > u[n - 1].last)
				u[n - 1].last = u[i].last;
			continue;
		}
		u[n++] = u[i];
	}
	r->unreadable_runs = n;
}

static struct vt_error *write_page(struct ctx *c, uint64_t pfn,
				   const void *data)
{
	return vt_writer_page(c->w, pfn, data);
}

/*
 * Where the page data of [pfn, pfn + n) is in the input's window, or NULL
 * when it is cheaper to read() (or cannot be mapped). A window is mapped
 * through the last page this pass writes among the next DATA_WINDOW_PFNS
 * pfns of the block, when there are DATA_WINDOW_MIN of them.
 */
static const uint8_t *data_window(struct ctx *c, uint64_t pfn, uint64_t n,
				  bool kernel)
{
	const struct blk *b = &c->mb;
	uint64_t i = pfn - b->block_a, end = i + DATA_WINDOW_PFNS, last = i;
	unsigned int count = 0;

	if (!c->data_win)
		return NULL;
	if (pfn + n > c->data_win_end) {
		if (end > BLOCK_PFNS || b->block_a + end > c->max_pfn)
			end = block_len(c, b->block_a);
		for (uint64_t j = i; j < end; j++) {
			if (!(j & 7) && !b->bm2[j >> 3]) {
				j |= 7;
				continue;
			}
			if (get_bit8(b->bm2, j) &&
			    get_bit8(b->keep, j) == kernel) {
				count++;
				last = j;
			}
		}
		if (count < DATA_WINDOW_MIN)
			return NULL;
		c->data_win_end = b->block_a + last + 1;
		if (c->data_win_end < pfn + n)
			c->data_win_end = pfn + n;
	}
	return vt_dump_window_map(c->data_win, pfn * c->page_size,
				  n * c->page_size,
				  (c->data_win_end - pfn) * c->page_size);
}

/*
 * Read the data of pages [pfn, pfn + n) into @to: through the window,
 * else with read().
 */
static struct vt_error *read_data(struct ctx *c, uint64_t pfn, uint64_t n,
				  bool kernel, uint8_t *to)
{
	size_t len = n * c->page_size;
	const uint8_t *p = data_window(c, pfn, n, kernel);

	if (p) {
		memcpy(to, p, len);
		if (!vt_dump_map_failed(p, len))
			return NULL;
		c->r->map_retries++;
	}
	return vt_dump_read_paddr(c->dump, pfn * c->page_size, to, len);
}

/*
 * Pages [pfn, pfn + n), all dumped, read in large pieces straight into
 * the writer's batch.
 */
static struct vt_error *write_run(struct ctx *c, uint64_t pfn, uint64_t n,
				  bool kernel)
{
	uint64_t per = READ_BYTES / c->page_size;

	while (n) {
		size_t room = 0;
		uint8_t *to = vt_writer_slot(c->w, &room);
		uint64_t m = n < per ? n : per;
		struct vt_error *err;

		if (!to) /* the writer has failed: let it say so */
			return write_page(c, pfn, NULL);
		m = m < room ? m : room;
		err = read_data(c, pfn, m, kernel, to);
		if (err) {
			/* page by page, leaving out the ones that fail */
			vt_error_free(err);
			for (uint64_t i = 0; i < m; i++) {
				uint8_t *p = to + i * c->page_size;

				err = vt_dump_read_page(c->dump, pfn + i, p);
				if (err) {
					note_unreadable(c->r, pfn + i, err);
					vt_error_free(err);
					p = NULL;
				}
				err = write_page(c, pfn + i, p);
				if (err)
					return err;
			}
		} else {
			for (uint64_t i = 0; i < m; i++) {
				err = write_page(c, pfn + i,
						 to + i * c->page_size);
				if (err)
					return err;
			}
		}
		pfn += m;
		n -= m;
	}
	return NULL;
}

/*
 * The pages of block [a, a + n) set in bm2 whose keep bit is @kernel, in
 * runs; @rank is the descriptor index of the block's first dumped pfn.
 * Pages out of line with the last one written get a vt_writer_seek().
 */
static struct vt_error *write_block_pages(struct ctx *c, uint64_t a, uint64_t n,
					  uint64_t rank, bool kernel)
{
	uint64_t i = 0;

	while (i < n) {
		struct vt_error *err;
		uint64_t j;

		if (!(i & 7) && !c->mb.bm2[i >> 3]) {
			i += 8;
			continue;
		}
		if (!get_bit8(c->mb.bm2, i)) {
			i++;
			continue;
		}
		if (get_bit8(c->mb.keep, i) != kernel) {
			rank++;
			i++;
			continue;
		}
		for (j = i + 1; j < n && get_bit8(c->mb.bm2, j) &&
				get_bit8(c->mb.keep, j) == kernel;
		     j++)
			;
		if (rank != c->next_index) {
			err = vt_writer_seek(c->w, rank);
			if (err)
				return err;
		}
		err = write_run(c, a + i, j - i, kernel);
		if (err)
			return err;
		rank += j - i;
		c->next_index = rank;
		i = j;
	}
	return NULL;
}

/*
 * Pass 2 writes the bitmaps and the pages of always-dumped classes (kernel
 * memory: what crash needs to open a dump); pass 3, only when the level
 * dumps pages of other classes, writes those. The data of a dump cut short
 * by a full disk so holds the kernel's memory first.
 */
static struct vt_error *write_pass(struct ctx *c, bool kernel,
				   uint64_t *removed)
{
	struct vt_error *werr = NULL; /* first write error: finish bitmaps */
	uint64_t rank = 0;

	c->mb.blind = c->blind;
	c->data_win_end = 0;
	for (uint64_t a = 0; a < c->max_pfn; a += BLOCK_PFNS) {
		uint64_t n = block_len(c, a);
		struct vt_error *err = compute_block(c, &c->mb, a, n, false);

		add_counts(c, &c->mb, false);
		if (!err && c->ex)
			*removed += drop_vmemmap(c, a, n);
		if (!err && kernel)
			err = vt_writer_bitmap(c->w, a, n, c->mb.bm1,
					       c->mb.bm2);
		if (err) {
			vt_error_free(werr);
			return err;
		}
		if (!werr) {
			werr = write_block_pages(c, a, n, rank, kernel);
			c->write_failed = werr != NULL;
		}
		rank += popcount_block(c->mb.bm2, n);
		if (c->o->progress)
			c->o->progress(c->o->progress_arg,
				       (kernel ? 1 : 2) * c->max_pfn + a + n,
				       c->passes * c->max_pfn);
		if (werr && !kernel)
			break;
	}
	return werr;
}

static struct vt_error *pass2(struct ctx *c)
{
	uint64_t removed = 0, again = 0;
	struct vt_error *err;

	c->next_index = 0;
	err = write_pass(c, true, &removed);
	c->r->vmemmap_excluded = removed;
	if (!err && c->passes == 3)
		err = write_pass(c, false, &again);
	if (!err && c->ex && removed != vt_exclude_count(c->ex))
		err = vt_error_new(VT_ERR_INVALID,
				   "internal error: %llu vmemmap pages "
				   "left out, %llu expected",
				   (unsigned long long)removed,
				   (unsigned long long)vt_exclude_count(c->ex));
	return err;
}

/* --- set-up --------------------------------------------------------------- */

static struct vt_error *fill_header(struct ctx *c, struct vt_writer_header *h,
				    size_t vi_len)
{
	const struct vt_dump_info *in = c->info;

	memset(h, 0, sizeof(*h));
	h->page_size = (uint32_t)c->page_size;
	h->max_pfn = c->max_pfn;
	h->dump_level =
		c->o->dump_level | (in->dump_level > 0 ? in->dump_level : 0);
	h->phys_base = c->kp->phys_base.known ?
			       (uint64_t)c->kp->phys_base.value :
			       in->phys_base;
	h->sysname = in->sysname;
	h->nodename = in->nodename;
	h->release = in->release[0] ? in->release : c->kp->release;
	h->version = in->version;
	h->machine = in->machine;
	h->domainname = in->domainname;
	h->crash_time = in->crash_time >= 0	? in->crash_time :
			c->kp->crash_time.known ? c->kp->crash_time.value :
						  0;
	h->nr_cpus = in->nr_cpus;
	h->notes = in->notes;
	h->notes_size = in->notes ? in->notes_size : 0;
	if (vt_notes_find_vmcoreinfo(h->notes, h->notes_size,
				     &h->vmcoreinfo_off, &h->vmcoreinfo_size)) {
		/* the sub header points at the note inside the blob */
	} else if (c->vmcoreinfo_text) {
		struct vt_error *err = vt_notes_add_vmcoreinfo(
			h->notes, h->notes_size, c->vmcoreinfo_text, vi_len,
			&c->notes, &h->notes_size, &h->vmcoreinfo_off);

		if (err)
			return err;
		h->notes = c->notes;
		h->vmcoreinfo_size = vi_len;
	}
	return NULL;
}

/* Stop classifying: every page is dumped, and -e has nothing to drop. */
static void go_blind(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->r->blind, sizeof(c->r->blind), fmt, ap);
	va_end(ap);
	c->blind = true;
	vt_exclude_free(c->ex);
	c->ex = NULL;
}

/*
 * What a dump cannot do without. A VMCOREINFO given with -i must also
 * describe struct pages: a file without SIZE(page) is the wrong file, and
 * the user is there to give the right one; the dump's own note may lack it
 * (a corrupt kernel), and then pages are dumped unclassified.
 */
static struct vt_error *need(const struct vt_kernel_profile *kp, bool given)
{
	struct vt_error *err = VT_PROFILE_REQUIRE(kp, page_size);

	if (!err && given)
		err = VT_PROFILE_REQUIRE(kp, size_page);
	return err;
}

static struct vt_error *setup(struct ctx *c, size_t *vi_len)
{
	const char *paths[1] = { c->o->input };
	struct vt_error *err;

	*vi_len = 0;
	err = vt_dump_open(paths, 1, &c->dump);
	if (err)
		return err;
	if (!c->o->non_mmap)
		c->r->mapped = vt_dump_use_mmap(c->dump);
	if (c->o->vmcoreinfo_path) {
		err = vt_read_text_file(c->o->vmcoreinfo_path,
					&c->vmcoreinfo_text, vi_len);
		if (!err)
			err = vt_dump_set_vmcoreinfo(
				c->dump, c->vmcoreinfo_text, *vi_len);
		if (err)
			return vt_error_prefix(err,
					       "%s: ", c->o->vmcoreinfo_path);
	}
	c->info = vt_dump_info(c->dump);
	c->kp = vt_dump_profile(c->dump);
	if (!c->info->vmcoreinfo && !c->vmcoreinfo_text)
		return vt_error_new(VT_ERR_NOKEY,
				    "%s: the dump has no VMCOREINFO note "
				    "(give one with -i)",
				    c->o->input);
	err = need(c->kp, c->vmcoreinfo_text != NULL);
	if (err)
		return vt_error_prefix(err, "%s: ",
				       c->vmcoreinfo_text ?
					       c->o->vmcoreinfo_path :
					       c->o->input);
	c->max_pfn = c->info->max_pfn;
	c->page_size = c->info->page_size;
	if (c->kp->page_size.value != (int64_t)c->page_size)
		return vt_error_new(
			VT_ERR_UNSUPPORTED, "%s: page size %llu: not supported",
			c->o->input, (unsigned long long)c->page_size);
	/* without these, pages are dumped unclassified (a warning) */
	err = VT_PROFILE_REQUIRE(c->kp, size_page);
	c->size_page = err ? 0 : (uint64_t)c->kp->size_page.value;
	if (!err &&
	    (c->size_page < 16 || c->size_page > 1024 || c->size_page % 8))
		err = vt_error_new(VT_ERR_FORMAT,
				   "vmcoreinfo SIZE(page)=%llu is implausible",
				   (unsigned long long)c->size_page);
	if (!err)
		err = vt_x86_64_new(c->dump, c->kp, &c->x);
	if (!err)
		err = vt_classifier_new(c->kp, &c->cls);
	if (err) {
		go_blind(c, "%s", err->message);
		vt_error_free(err);
	}
	c->r->era = c->cls ? vt_classifier_era(c->cls) : "none";
	if (c->x && c->kp->kernel_offset.known) {
		/* _text = __START_KERNEL (16 MiB into the map) + KERNELOFFSET */
		c->kt_pfn =
			vt_x86_64_ktext_paddr(
				c->x,
				0xffffffff81000000ULL +
					(uint64_t)c->kp->kernel_offset.value) /
			c->page_size;
		c->kt_end = c->kt_pfn + (2ULL << 20) / c->page_size;
	}
	for (int k = 0; k < VT_CLASS_NR; k++)
		c->excluded[k] = vt_class_excluded(k, c->o->dump_level);
	return NULL;
}

static struct vt_error *find_vmemmap_base(struct ctx *c)
{
	struct vt_vmemmap *vm;
	struct vt_error *err;

	if (c->blind)
		return NULL;
	err = vt_vmemmap_new(c->dump, c->x, &vm);
	if (err) {
		/* no struct page can be found: dump everything */
		go_blind(c, "%s", err->message);
		vt_error_free(err);
		return NULL;
	}
	c->vbase = vt_vmemmap_base(vm);
	c->r->bad_roots = vt_vmemmap_bad_roots(vm);
	vt_vmemmap_free(vm);
	vt_classifier_set_layout(c->cls, c->vbase, vt_x86_64_levels(c->x));
	return NULL;
}

static struct vt_error *alloc_buffers(struct ctx *c)
{
	struct vt_error *err = blk_init(c, &c->mb);

	if (err)
		return err;
	c->mb.x = c->x;
	if (c->r->mapped == VT_MAP_WINDOWS) {
		c->data_win = vt_dump_window_new(c->dump, DATA_WINDOW_PFNS *
								  c->page_size);
		if (!c->data_win)
			return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	/* up to 512 GiB of RAM: 2 bits a pfn spare the second read */
	if (2 * ((c->max_pfn + 7) / 8) <= STORE_BYTES) {
		c->store_bm2 = malloc((c->max_pfn + 7) / 8);
		c->store_keep = malloc((c->max_pfn + 7) / 8);
		if (!c->store_bm2 || !c->store_keep) {
			free(c->store_bm2);
			free(c->store_keep);
			c->store_bm2 = c->store_keep = NULL;
		}
	}
	return NULL;
}

static void teardown(struct ctx *c)
{
	vt_exclude_free(c->ex);
	vt_classifier_free(c->cls);
	vt_x86_64_free(c->x);
	blk_free(&c->mb); /* its window before the dump */
	vt_dump_window_free(c->data_win);
	vt_dump_close(c->dump);
	free(c->store_bm2);
	free(c->store_keep);
	free(c->vmcoreinfo_text);
	free(c->notes);
}

static struct vt_error *run(struct ctx *c)
{
	struct vt_writer_opts wo = { 0 };
	struct vt_writer_header h;
	struct vt_writer_stats ws;
	struct vt_error *err;
	uint64_t dumped;
	size_t vi_len;

	err = setup(c, &vi_len);
	if (!err)
		err = find_vmemmap_base(c);
	if (!err)
		err = alloc_buffers(c);
	if (!err && c->o->exclude_vmemmap && !c->blind)
		err = vt_exclude_new(c->dump, c->x, c->vbase, c->size_page,
				     c->max_pfn, &c->ex);
	c->r->t_setup = now();
	if (!err)
		err = pass1(c, &dumped);
	c->r->t_pass1 = now();
	if (err)
		return err;
	c->r->max_pfn = c->max_pfn;
	for (int k = 0; k < VT_CLASS_NR; k++)
		c->r->ram += c->r->by_class[k];
	c->r->ram += c->r->absent;
	if (c->ex) {
		vt_exclude_finalize(c->ex);
		dumped -= vt_exclude_count(c->ex);
		c->r->vmemmap_pages = vt_exclude_vmemmap_pages(c->ex);
	}
	err = fill_header(c, &h, vi_len);
	if (err)
		return err;
	if ((c->ex && vt_exclude_count(c->ex)) ||
	    (c->info->status & DUMP_DH_EXCLUDED_VMEMMAP))
		h.status |= DUMP_DH_EXCLUDED_VMEMMAP;
	wo.path = c->o->output;
	wo.out_fd = 1;
	wo.flattened = c->o->flattened;
	wo.force = c->o->force;
	wo.codec = c->o->codec;
	wo.threads = c->o->threads ? c->o->threads : 1;
	wo.exclude_zero = c->o->dump_level & 1;
	err = vt_writer_open(&wo, &h, &c->w);
	if (!err)
		err = vt_writer_begin_pages(c->w, dumped);
	if (err && err->code == VT_ERR_IO && c->w) {
		/*
		 * The disk filled up before the first page: pass 2 still
		 * writes the bitmaps (their area is allocated), so the
		 * INCOMPLETE dump left has them, not zeros.
		 */
		vt_error_free(pass2(c));
		c->write_failed = true;
	} else if (!err) {
		err = pass2(c);
	}
	c->r->t_pass2 = now();
	if (!c->w)
		return err;
	c->r->dumped = dumped;
	c->r->status = h.status | c->o->codec;
	if (err && !c->write_failed) {
		vt_writer_stats(c->w, &ws);
		vt_writer_abort(c->w);
		c->r->status |= DUMP_DH_COMPRESSED_INCOMPLETE;
	} else {
		/* on a write error, finish leaves the dump marked incomplete */
		struct vt_error *ferr = vt_writer_finish_stats(c->w, &ws);

		if (err)
			vt_error_free(ferr);
		else
			err = ferr;
		if (err || ws.unreadable)
			c->r->status |= DUMP_DH_COMPRESSED_INCOMPLETE;
	}
	c->w = NULL;
	c->r->zero = ws.zero_pages;
	c->r->bytes = ws.bytes;
	return err;
}

/* The phase ends run() noted become durations (0 for a phase not reached). */
static void phase_times(struct vt_filter_report *r, double t0)
{
	double *end[] = { &r->t_setup, &r->t_pass1, &r->t_pass2 };
	double prev = t0;

	for (size_t i = 0; i < sizeof(end) / sizeof(end[0]); i++) {
		double e = *end[i] ? *end[i] : prev;

		*end[i] = e - prev;
		prev = e;
	}
	r->t_finish = r->seconds - (prev - t0);
}

struct vt_error *vt_filter_run(const struct vt_filter_opts *o,
			       struct vt_filter_report *r)
{
	struct ctx c = { .o = o, .r = r };
	double t0 = now();
	struct vt_error *err;

	memset(r, 0, sizeof(*r));
	err = run(&c);
	merge_unreadable_runs(r);
	r->seconds = now() - t0;
	phase_times(r, t0);
	teardown(&c);
	return err;
}
