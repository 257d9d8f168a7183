// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pass 1 (pass.h): every block decided, on the filter's worker pool when
 * the input reads safely from several threads, and taken in pfn order on
 * the main thread: the counts, the stored bitmaps, what -e may leave out.
 * Ticket t of the pool is block t, computed into slot t % nslots.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "exclude.h"
#include "io.h"
#include "pass.h"
#include "vmemtrim/x86_64.h"
#include "workpool.h"

/* Stop classifying: every page is dumped, and -e has nothing to drop. */
void fl_go_blind(struct fl_run *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->r->blind, sizeof(c->r->blind), fmt, ap);
	va_end(ap);
	c->blind = true;
	vt_exclude_free(c->ex);
	c->ex = NULL;
}

#define P1_MAX_THREADS 4 /* pass 1 workers by default, at most */

/* A block computed by the pool, waiting for the main thread. */
struct p1_slot {
	struct blk b;
	struct vt_error *err;
};

struct p1 {
	const struct fl_decide *d;
	struct vt_workpool pool; /* not started: the main thread classifies */
	struct p1_slot *slot;
	unsigned int nslots;
	uint64_t blocks, next; /* blocks in all, next one to submit */
};

/*
 * The first pfn of block [a, a + n) in kernel text [lo, hi) whose struct
 * page reads as a class a dump level excludes, or UINT64_MAX.
 *
 * The first pages of the kernel text are kernel memory whatever else is
 * corrupt: if their struct pages read as anything a dump level excludes,
 * the struct pages are not what VMCOREINFO says (a wrong SIZE(page), PG_*
 * number or offset) and no class can be trusted.
 */
static uint64_t canary_broken(uint64_t lo, uint64_t hi, const struct blk *b,
			      uint64_t a, uint64_t n)
{
	lo = lo > a ? lo : a;
	hi = hi < a + n ? hi : a + n;
	for (uint64_t p = lo; p < hi; p++) {
		enum vt_page_class k = b->classes[p - a];

		if (k != VT_CLASS_KEEP && k != VT_CLASS_UNKNOWN &&
		    get_bit8(b->src, p - a))
			return p;
	}
	return UINT64_MAX;
}

static void reset_counts(struct vt_filter_report *r)
{
	memset(r->by_class, 0, sizeof(r->by_class));
	memset(r->excluded, 0, sizeof(r->excluded));
	r->absent = 0;
	r->sp_unreadable = 0;
}

/* Ticket @t: block t into its slot (one slot is one ticket at a time). */
static void p1_work(void *arg, unsigned int worker, uint64_t t)
{
	struct p1 *p = arg;
	struct p1_slot *s = &p->slot[t % p->nslots];
	uint64_t a = t * BLOCK_PFNS;

	(void)worker;
	s->err = fl_compute_block(p->d, &s->b, a, block_len(p->d->g.max_pfn, a),
				  true);
}

static void p1_stop(struct p1 *p)
{
	vt_workpool_stop(&p->pool);
	for (unsigned int i = 0; i < p->nslots; i++) {
		vt_error_free(p->slot[i].err);
		fl_blk_free(&p->slot[i].b);
	}
	free(p->slot);
	p->slot = NULL;
	p->nslots = 0;
}

/*
 * Start the pass 1 workers: one per CPU this process may run on (at most
 * o->classify_threads when set, P1_MAX_THREADS else), when the input reads
 * safely from several threads (an ELF vmcore) and has several blocks.
 * None started: the main thread classifies. Each slot has its own
 * page-table walker, as each block is computed on one thread at a time.
 */
static void p1_start(struct fl_run *c, struct p1 *p)
{
	unsigned int n = c->o->classify_threads;
	struct vt_error *err;
	cpu_set_t set;

	if (!n) {
		n = 1;
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			n = (unsigned int)CPU_COUNT(&set);
		if (n > P1_MAX_THREADS)
			n = P1_MAX_THREADS;
	}
	if (n > p->blocks)
		n = (unsigned int)p->blocks;
	if (n < 2 || c->blind || c->info->format != VT_FORMAT_ELF)
		return;
	p->slot = calloc(n, sizeof(*p->slot));
	if (!p->slot)
		return;
	p->nslots = n;
	for (unsigned int i = 0; i < n; i++) {
		struct blk *b = &p->slot[i].b;

		b->own_x = true;
		err = fl_blk_init(b, c->d.g.dump, c->d.g.size_page,
				  c->r->mapped);
		if (!err)
			err = vt_x86_64_new(c->d.g.dump, c->kp, &b->x);
		if (!err)
			continue;
		/* a block short: the main thread does it all */
		vt_error_free(err);
		p1_stop(p);
		return;
	}
	err = vt_workpool_start(&p->pool, n, n, p1_work, p);
	if (vt_error_catch(&err, 0)) /* no thread: the main thread does it */
		p1_stop(p);
}

/* Block @a computed: by the pool (waited for), else here. */
static struct vt_error *p1_block(struct fl_run *c, struct p1 *p, uint64_t a,
				 struct blk **out)
{
	struct p1_slot *s;
	struct vt_error *err;

	if (!p->nslots) {
		*out = &c->mb;
		return fl_compute_block(&c->d, &c->mb, a,
					block_len(c->d.g.max_pfn, a), true);
	}
	while (p->next < p->blocks &&
	       vt_workpool_pending(&p->pool) < p->nslots) {
		vt_workpool_submit(&p->pool);
		p->next++;
	}
	vt_workpool_wait(&p->pool, a / BLOCK_PFNS);
	s = &p->slot[(a / BLOCK_PFNS) % p->nslots];
	*out = &s->b;
	err = s->err;
	s->err = NULL;
	return err;
}

/* Block @a is done with: its slot may take the next block. */
static void p1_done(struct p1 *p)
{
	if (p->nslots)
		vt_workpool_release(&p->pool);
}

/*
 * Pass 1 proper: the blocks are computed (on the workers, several at
 * once), and taken in pfn order here: counts, the stored bitmaps, -e.
 */
static struct vt_error *pass1_blocks(struct fl_run *c, struct p1 *p,
				     uint64_t *dumped)
{
	uint64_t max_pfn = c->d.g.max_pfn;

	for (uint64_t a = 0; a < max_pfn; a += BLOCK_PFNS) {
		uint64_t n = block_len(max_pfn, a), bad;
		struct blk *b;
		struct vt_error *err = p1_block(c, p, a, &b);

		if (err)
			return err;
		fl_add_counts(c->r, b, true);
		bad = c->blind ? UINT64_MAX :
				 canary_broken(c->kt_pfn, c->kt_end, b, a, n);
		if (bad != UINT64_MAX) {
			fl_go_blind(c,
				    "the struct page of pfn %#llx (kernel "
				    "text) reads as %s",
				    (unsigned long long)bad,
				    vt_page_class_name(b->classes[bad - a]));
			return NULL;
		}
		if (c->d.store_bm2) {
			memcpy(c->d.store_bm2 + a / 8, b->bm2, (n + 7) / 8);
			memcpy(c->d.store_keep + a / 8, b->keep, (n + 7) / 8);
		}
		/* bm2's bits past n are clear (decide_byte sets none) */
		*dumped += vt_popcount(b->bm2, n);
		if (c->ex)
			vt_exclude_note(c->ex, a, n, b->bm2, b->keep);
		for (uint64_t i = 0; i < (n + 7) / 8; i++)
			if (b->bm2[i] & ~b->keep[i])
				c->passes = 3;
		p1_done(p);
		if (c->o->progress)
			c->o->progress(c->o->progress_arg, a + n, 3 * max_pfn);
	}
	return NULL;
}

static struct vt_error *pass1_once(struct fl_run *c, uint64_t *dumped)
{
	struct p1 p = { .d = &c->d };
	struct vt_error *err;

	p.blocks = (c->d.g.max_pfn + BLOCK_PFNS - 1) / BLOCK_PFNS;
	*dumped = 0;
	c->passes = 2;
	c->mb.blind = c->blind;
	p1_start(c, &p);
	c->r->classify_threads = p.nslots ? p.pool.nthreads : 1;
	err = pass1_blocks(c, &p, dumped);
	p1_stop(&p);
	return err;
}

/*
 * Classify every pfn. When the struct pages turn out not to be what
 * VMCOREINFO describes (the kernel text canary, or more than one in eight
 * implausible), start again without classification.
 */
struct vt_error *fl_pass1(struct fl_run *c, uint64_t *dumped)
{
	bool was_blind = c->blind;
	struct vt_error *err = pass1_once(c, dumped);
	uint64_t seen;

	seen = 0;
	for (int k = 0; k < VT_CLASS_NR; k++)
		seen += c->r->by_class[k];
	if (!err && !c->blind && c->r->warnings >= 1024 &&
	    c->r->warnings > seen / 8)
		fl_go_blind(c, "%llu of %llu struct pages are implausible",
			    (unsigned long long)c->r->warnings,
			    (unsigned long long)seen);
	if (err || was_blind || !c->blind)
		return err;
	/* went blind mid-way (or at the end): count again from scratch */
	reset_counts(c->r);
	return pass1_once(c, dumped);
}
