// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pass 2 (and 3) (pass.h): the blocks of pass 1 decided again (or taken
 * from what it stored), the vmemmap pages -e removes left out, the
 * bitmaps and the page data handed to the writer, read in large pieces
 * (through windows on /proc/vmcore). Pages whose data cannot be read are
 * left out and listed in the report.
 */
#include <stdio.h>
#include <string.h>

#include "exclude.h"
#include "io.h"
#include "pass.h"
#include "write.h"

#define READ_BYTES (1ULL << 20) /* page data read at once */
/*
 * /proc/vmcore: page data is mapped (DATA_WINDOW_PFNS at most) only when
 * at least DATA_WINDOW_MIN of them are written: a read() of it maps
 * and unmaps each page in the kernel, a window maps them all at once, but
 * mapping a window costs about what reading six pages costs.
 */
#define DATA_WINDOW_MIN 8

/* Clear from @bm2 the kept pfns of block [a, a + n) that -e removes. */
static uint64_t drop_vmemmap(struct vt_exclude *ex, uint8_t *bm2,
			     const uint8_t *keep, uint64_t a, uint64_t n)
{
	uint64_t removed = 0;

	for (uint64_t i = 0; i < n; i++) {
		if (!(bm2[i >> 3] & keep[i >> 3])) {
			i |= 7;
			continue;
		}
		if (get_bit8(bm2, i) && get_bit8(keep, i) &&
		    vt_exclude_removable(ex, a + i)) {
			clear_bit8(bm2, i);
			removed++;
		}
	}
	return removed;
}

/*
 * Why a page could not be read, in a few words: no data, the system's
 * word for an OS failure, else the last clause of the message (what comes
 * before it says where, which the report says itself).
 */
static const char *unreadable_why(const struct vt_error *err)
{
	const char *why;

	if (err->code == VT_ERR_NODATA)
		return "no data in the input";
	if (err->errnum)
		return strerror(err->errnum);
	why = strrchr(err->message, ':');
	return why && why[1] == ' ' ? why + 2 : err->message;
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
	snprintf(u->why, sizeof(u->why), "%s", unreadable_why(err));
}

/* Sort the report's runs by pfn and merge those that touch. */
void fl_merge_unreadable_runs(struct vt_filter_report *r)
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

/*
 * Where the page data of [pfn, pfn + n) is in the input's window, or NULL
 * when it is cheaper to read() (or cannot be mapped). A window is mapped
 * through the last page this pass writes among the next DATA_WINDOW_PFNS
 * pfns of the block, when there are DATA_WINDOW_MIN of them.
 */
static const uint8_t *data_window(struct fl_run *c, uint64_t pfn, uint64_t n,
				  bool kernel)
{
	const struct blk *b = &c->mb;
	uint64_t page_size = c->d.g.page_size;
	uint64_t i = pfn - b->block_a, end = i + DATA_WINDOW_PFNS, last = i;
	unsigned int count = 0;

	if (!c->data_win || c->no_window)
		return NULL;
	if (pfn + n > c->data_win_end) {
		if (end > BLOCK_PFNS || b->block_a + end > c->d.g.max_pfn)
			end = block_len(c->d.g.max_pfn, b->block_a);
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
	return vt_dump_window_map(c->data_win, pfn * page_size, n * page_size,
				  (c->data_win_end - pfn) * page_size);
}

/*
 * Read the data of pages [pfn, pfn + n) into @to: through the window,
 * else with read().
 */
static struct vt_error *read_data(struct fl_run *c, uint64_t pfn, uint64_t n,
				  bool kernel, uint8_t *to)
{
	size_t len = n * c->d.g.page_size;
	const uint8_t *p = data_window(c, pfn, n, kernel);

	if (p) {
		memcpy(to, p, len);
		if (!vt_dump_map_failed(p, len))
			return NULL;
		c->r->map_retries++;
	}
	return vt_dump_read_paddr(c->d.g.dump, pfn * c->d.g.page_size, to, len);
}

/*
 * Pages [pfn, pfn + n), all dumped, read in large pieces straight into
 * the writer's batch.
 */
struct vt_error *fl_write_run(struct fl_run *c, uint64_t pfn, uint64_t n,
			      bool kernel)
{
	uint64_t page_size = c->d.g.page_size, per = READ_BYTES / page_size;

	while (n) {
		size_t room = 0;
		uint8_t *to = vt_writer_slot(c->w, &room);
		uint64_t m = n < per ? n : per;
		struct vt_error *err;
		bool each;

		if (!to) /* the writer has failed: let it say so */
			return vt_writer_page(c->w, pfn, NULL);
		m = m < room ? m : room;
		err = read_data(c, pfn, m, kernel, to);
		/* it failed: page by page, leaving out the ones that fail */
		each = vt_error_catch(&err, 0);

		for (uint64_t i = 0; i < m; i++) {
			uint8_t *p = to + i * page_size;

			err = each ? vt_dump_read_page(c->d.g.dump, pfn + i,
						       p) :
				     NULL;
			if (err) {
				note_unreadable(c->r, pfn + i, err);
				vt_error_free(err);
				p = NULL;
			}
			err = vt_writer_page(c->w, pfn + i, p);
			if (err)
				return err;
		}
		pfn += m;
		n -= m;
	}
	return NULL;
}

/*
 * The pages of block [a, a + n) set in bm2 whose keep bit is @kernel and
 * that are not in @done (written first; NULL: none), in runs; @rank is
 * the descriptor index of the block's first dumped pfn. Pages out of line
 * with the last one written get a vt_writer_seek().
 */
static struct vt_error *write_block_pages(struct fl_run *c, uint64_t a,
					  uint64_t n, uint64_t rank,
					  bool kernel, const uint8_t *done)
{
	const uint8_t *bm2 = c->mb.bm2, *keep = c->mb.keep;
	uint64_t i = 0;

	while (i < n) {
		struct vt_error *err;
		uint64_t j;

		if (!(i & 7) && !bm2[i >> 3]) {
			i += 8;
			continue;
		}
		if (!get_bit8(bm2, i)) {
			i++;
			continue;
		}
		if (get_bit8(keep, i) != kernel ||
		    (done && get_bit8(done, i))) {
			rank++;
			i++;
			continue;
		}
		for (j = i + 1;
		     j < n && get_bit8(bm2, j) && get_bit8(keep, j) == kernel &&
		     !(done && get_bit8(done, j));
		     j++)
			;
		if (rank != c->next_index) {
			err = vt_writer_seek(c->w, rank);
			if (err)
				return err;
		}
		err = fl_write_run(c, a + i, j - i, kernel);
		if (err)
			return err;
		rank += j - i;
		c->next_index = rank;
		i = j;
	}
	return NULL;
}

/*
 * The bitmap pass: every block's bitmaps (-e's vmemmap pages left out) to
 * the writer, its counts to the report, and the ranks of its critical
 * pfns (first.c), so that those can be written before any other page.
 */
static struct vt_error *bitmap_pass(struct fl_run *c, uint64_t *removed)
{
	uint64_t max_pfn = c->d.g.max_pfn, rank = 0;

	c->mb.blind = c->blind;
	for (uint64_t a = 0; a < max_pfn; a += BLOCK_PFNS) {
		uint64_t n = block_len(max_pfn, a);
		struct vt_error *err =
			fl_compute_block(&c->d, &c->mb, a, n, false);

		fl_add_counts(c->r, &c->mb, false);
		if (!err && c->ex)
			*removed += drop_vmemmap(c->ex, c->mb.bm2, c->mb.keep,
						 a, n);
		if (!err)
			err = vt_writer_bitmap(c->w, a, n, c->mb.bm1,
					       c->mb.bm2);
		if (!err)
			err = fl_first_block(c->first, c->mb.bm2, a, n, rank);
		if (err)
			return err;
		/* bm2's bits past n are clear (decide_byte sets none) */
		rank += vt_popcount(c->mb.bm2, n);
	}
	return NULL;
}

/*
 * A write pass: the pages not written first whose class is always dumped
 * (@kernel: kernel memory), or, in pass 3, only when the level dumps pages
 * of other classes, those, in pfn order. Ends at the first error: the
 * bitmaps are all written.
 */
static struct vt_error *write_pass(struct fl_run *c, bool kernel)
{
	uint64_t max_pfn = c->d.g.max_pfn, rank = 0;

	c->data_win_end = 0;
	fl_first_rewind(c->first);
	for (uint64_t a = 0; a < max_pfn; a += BLOCK_PFNS) {
		uint64_t n = block_len(max_pfn, a);
		struct vt_error *err =
			fl_compute_block(&c->d, &c->mb, a, n, false);

		memset(&c->mb.n, 0, sizeof(c->mb.n)); /* counted once */
		if (!err && c->ex)
			drop_vmemmap(c->ex, c->mb.bm2, c->mb.keep, a, n);
		if (!err)
			err = write_block_pages(c, a, n, rank, kernel,
						fl_first_done(c->first, a, n));
		if (err)
			return err;
		rank += vt_popcount(c->mb.bm2, n);
		if (c->o->progress)
			c->o->progress(c->o->progress_arg,
				       (kernel ? 1 : 2) * max_pfn + a + n,
				       c->passes * max_pfn);
	}
	return NULL;
}

/*
 * The bitmaps, then the critical set, then the rest: kernel memory first,
 * then (pass 3) pages of other classes. A write error stops the writing
 * (c->write_failed); the bitmaps are whole by then.
 */
struct vt_error *fl_pass2(struct fl_run *c)
{
	uint64_t removed = 0;
	struct vt_error *err, *ferr;

	c->next_index = 0;
	/* no critical set (it could not be read): every page in pfn order */
	ferr = fl_first_new(c, &c->first);
	if (ferr)
		snprintf(c->r->first_why, sizeof(c->r->first_why), "%s",
			 ferr->message);
	vt_error_free(ferr);
	err = bitmap_pass(c, &removed);
	c->r->vmemmap_excluded = removed;
	if (!err && c->ex && removed != vt_exclude_count(c->ex))
		return vt_error_new(
			VT_ERR_INVALID,
			"internal error: %llu vmemmap pages "
			"left out, %llu expected",
			(unsigned long long)removed,
			(unsigned long long)vt_exclude_count(c->ex));
	if (err)
		return err;
	err = fl_first_write(c);
	if (!err)
		err = write_pass(c, true);
	if (!err && c->passes == 3)
		err = write_pass(c, false);
	c->write_failed = err != NULL;
	return err;
}
