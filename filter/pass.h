/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state the filter's passes share (private to filter/): see filter.h
 * for what the filter does. Who does what:
 *   filter.c      the run: set-up, the dump's header, the writer, the report
 *   structpage.c  struct pages read from the vmemmap and classified
 *   block.c       a block of pfns decided into bitmaps (RAM, dumped, kept)
 *   pass1.c       pass 1: every block decided, on the worker pool
 *   pass2.c       pass 2 (and 3): the same blocks again, bitmaps and page
 *                 data through the writer
 *   first.c       the critical set, written before the rest
 * Leaf functions take the few values they need, not struct fl_run.
 */
#ifndef VMEMTRIM_FILTER_PASS_H
#define VMEMTRIM_FILTER_PASS_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "run.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/error.h"

#define BLOCK_PFNS (1ULL << 20) /* pfns per block (4 GiB of RAM) */
#define CHUNK_PFNS (1ULL << 15) /* struct pages read at once */
/* /proc/vmcore: struct pages mapped at most this much at once */
#define SP_WINDOW_BYTES (1ULL << 20)
/* /proc/vmcore: page data mapped at most this many pfns at once (pass2.c) */
#define DATA_WINDOW_PFNS 1024ULL

struct fl_first;
struct vt_exclude;
struct vt_pcp_kernel;
struct vt_pcp_listed;
struct vt_range_list;
struct vt_writer;
struct vt_x86_64;

/* What reading and classifying struct pages needs of the run. */
struct fl_geom {
	struct vt_dump *dump;
	struct vt_classifier *cls;
	uint64_t max_pfn, page_size, size_page;
	uint64_t vbase; /* the vmemmap: struct page of pfn 0 */
};

/* What deciding a block needs of the run: fixed once pass 1 starts. */
struct fl_decide {
	struct fl_geom g;
	bool excluded[VT_CLASS_NR]; /* by the dump level */
	/* -x: the blocks on the per-CPU lists walked (pcp-lists.h), or NULL */
	const struct vt_range_list *pcp_listed;
	/* pass 1's bm2 and keep for every pfn, when small enough to keep */
	uint8_t *store_bm2, *store_keep;
};

/* What one block's classification adds to the report. */
struct blk_counts {
	uint64_t by_class[VT_CLASS_NR], excluded[VT_CLASS_NR];
	uint64_t absent, sp_unreadable, map_retries, warnings;
};

/*
 * What computing one block needs of its own: the buffers, the classifier
 * state, a page-table walker (its cache is not shared) and the counts. The
 * main thread has one; each slot of pass 1's worker pool has another.
 */
struct blk {
	struct vt_x86_64 *x;
	bool own_x; /* x is this block's own (freed with it) */
	bool blind; /* no classification (every RAM pfn UNKNOWN) */
	struct vt_classify_state st;
	uint8_t *classes; /* one per pfn of the block */
	/* one bit per pfn of the block (in the allocation of classes) */
	uint8_t *bm1, *src, *bm2, *keep;
	uint8_t *sp; /* struct pages of a chunk (+1) */
	uint8_t *valid; /* one per pfn of the chunk (+1) */
	/* struct pages read in place (NULL: input not mapped) */
	struct vt_dump_window *win;
	uint64_t block_a; /* first pfn of the block being computed */
	/* fl_compute_block(count): also count unreadable struct pages */
	bool counting;
	struct blk_counts n;
};

/* The run: what set-up found, and what the passes share. */
struct fl_run {
	const struct vt_filter_opts *o;
	struct vt_filter_report *r;
	struct fl_decide d; /* d.g: the dump, the classifier, the geometry */
	const struct vt_dump_info *info;
	const struct vt_kernel_profile *kp;
	struct vt_x86_64 *x;
	struct vt_exclude *ex;
	struct vt_writer *w;
	struct blk mb; /* the main thread's */
	/* page data read through windows (/proc/vmcore), else NULL */
	struct vt_dump_window *data_win;
	uint64_t data_win_end; /* pfns before this are in data_win */
	bool no_window; /* read page data with read() (first.c) */
	struct fl_first *first; /* the pages written first, or NULL */
	bool write_failed; /* pass 2 stopped writing pages */
	uint64_t next_index; /* descriptor of the next page written */
	unsigned int passes; /* 2, or 3 when other classes are dumped */
	/* no classification (r->blind says why): every RAM pfn UNKNOWN */
	bool blind;
	uint64_t kt_pfn, kt_end; /* kernel text canary pfns [kt_pfn, kt_end) */
	char *vmcoreinfo_text; /* -i */
	struct vt_pcp_kernel *pcpk; /* -x: the vmlinux's layouts */
	struct vt_pcp_listed *listed; /* -x: the per-CPU lists walked */
	uint8_t *notes; /* output notes when -i adds a VMCOREINFO note */
};

static inline void set_bit8(uint8_t *bm, uint64_t i)
{
	bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static inline void clear_bit8(uint8_t *bm, uint64_t i)
{
	bm[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

static inline bool get_bit8(const uint8_t *bm, uint64_t i)
{
	return bm[i >> 3] >> (i & 7) & 1;
}

/* Pfns in the block at @a (BLOCK_PFNS but for the last). */
static inline uint64_t block_len(uint64_t max_pfn, uint64_t a)
{
	return max_pfn - a < BLOCK_PFNS ? max_pfn - a : BLOCK_PFNS;
}

/* structpage.c: the classes of pfns [pfn, pfn + n) of a chunk, into cls. */
struct vt_error *fl_classify_chunk(const struct fl_geom *g, struct blk *bk,
				   uint64_t pfn, uint64_t n, uint8_t *cls);

/* block.c */
struct vt_error *fl_blk_init(struct blk *b, struct vt_dump *dump,
			     uint64_t size_page, bool mapped);
void fl_blk_free(struct blk *b);
struct vt_error *fl_compute_block(const struct fl_decide *d, struct blk *b,
				  uint64_t a, uint64_t n, bool count);
void fl_add_counts(struct vt_filter_report *r, struct blk *b, bool pass1);

/* pass1.c: classify every pfn; *dumped: pfns set in the 2nd bitmap. */
struct vt_error *fl_pass1(struct fl_run *c, uint64_t *dumped);

/* pass2.c: the bitmaps and the pages through the writer. */
struct vt_error *fl_pass2(struct fl_run *c);
void fl_merge_unreadable_runs(struct vt_filter_report *r);
/* Pages [pfn, pfn + n), all dumped, to the writer (in its order). */
struct vt_error *fl_write_run(struct fl_run *c, uint64_t pfn, uint64_t n,
			      bool kernel);

/*
 * first.c: the critical set (critical.h) written first. NULL (no set:
 * every page in pfn order) without page tables. fl_first_block() in the
 * bitmap pass, block after block with the block's final 2nd bitmap and
 * the rank of its first pfn; fl_first_write() then writes the set kind
 * after kind; in each write pass fl_first_rewind(), then per block
 * fl_first_done(): the pfns already written (a bitmap of the block), or
 * NULL for none. Each takes a NULL @f.
 */
struct vt_error *fl_first_new(struct fl_run *c, struct fl_first **out);
void fl_first_free(struct fl_first *f);
struct vt_error *fl_first_block(struct fl_first *f, const uint8_t *bm2,
				uint64_t a, uint64_t n, uint64_t rank);
struct vt_error *fl_first_write(struct fl_run *c);
void fl_first_rewind(struct fl_first *f);
const uint8_t *fl_first_done(struct fl_first *f, uint64_t a, uint64_t n);
/*
 * After the writer's last word: of the @dumped pages, @prefix were given
 * to the writer before the first it cut off (vt_writer_stats); the
 * report's pages by kind, written first, and the others.
 */
void fl_first_report(const struct fl_first *f, uint64_t prefix, uint64_t dumped,
		     struct vt_filter_report *r);

/* filter.c: stop classifying, for the reason given. */
void fl_go_blind(struct fl_run *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
