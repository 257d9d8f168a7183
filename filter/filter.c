// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The filter's run (see filter.h): set-up (the dump, the kernel profile,
 * the page tables, the classifier, the vmemmap), pass 1 (pass1.c), the
 * dump's header and the writer, pass 2 (pass2.c), the report.
 *
 * Pass 1 walks the pfns in blocks: which are RAM, which have data in the
 * input, the class of each from its struct page, and so which are dumped;
 * with -e it notes which vmemmap pages describe dumped pfns. Pass 2 walks
 * the same blocks again (the same inputs give the same bitmaps), leaves the
 * removable vmemmap pages out, writes the bitmaps and the pages. Memory is
 * the block buffers plus the -e bitmaps, whatever the size of RAM.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "exclude.h"
#include "filter.h"
#include "notes.h"
#include "pass.h"
#include "pcp-lists.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/format.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"
#include "write.h"

#define STORE_BYTES (32ULL << 20) /* pass 1's bitmaps kept up to this */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* --- set-up --------------------------------------------------------------- */

static struct vt_error *fill_header(struct fl_run *c,
				    struct vt_writer_header *h, size_t vi_len)
{
	const struct vt_dump_info *in = c->info;

	memset(h, 0, sizeof(*h));
	h->page_size = (uint32_t)c->d.g.page_size;
	h->max_pfn = c->d.g.max_pfn;
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

/*
 * Stop classifying because of *@err (its message is the reason the
 * report gives), and carry on: the error is caught.
 */
static void blind_on(struct fl_run *c, struct vt_error **err)
{
	fl_go_blind(c, "%s", (*err)->message);
	vt_error_catch(err, 0);
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

static struct vt_error *setup(struct fl_run *c, size_t *vi_len)
{
	const char *paths[1] = { c->o->input };
	struct vt_error *err;

	*vi_len = 0;
	if (c->o->vmlinux) {
		/* a bad -x fails before any work, as makedumpfile's */
		err = vt_pcp_kernel_load(c->o->vmlinux, &c->pcpk);
		if (err)
			return err;
	}
	err = vt_dump_open(paths, 1, &c->d.g.dump);
	if (err)
		return err;
	if (!c->o->non_mmap)
		c->r->mapped = vt_dump_use_mmap(c->d.g.dump);
	if (c->o->vmcoreinfo_path) {
		err = vt_read_text_file(c->o->vmcoreinfo_path,
					&c->vmcoreinfo_text, vi_len);
		if (!err)
			err = vt_dump_set_vmcoreinfo(
				c->d.g.dump, c->vmcoreinfo_text, *vi_len);
		if (err)
			return vt_error_prefix(err,
					       "%s: ", c->o->vmcoreinfo_path);
	}
	c->info = vt_dump_info(c->d.g.dump);
	c->kp = vt_dump_profile(c->d.g.dump);
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
	c->d.g.max_pfn = c->info->max_pfn;
	c->d.g.page_size = c->info->page_size;
	if (c->kp->page_size.value != (int64_t)c->d.g.page_size)
		return vt_error_new(
			VT_ERR_UNSUPPORTED, "%s: page size %llu: not supported",
			c->o->input, (unsigned long long)c->d.g.page_size);
	/* without these, pages are dumped unclassified (a warning) */
	err = VT_PROFILE_REQUIRE(c->kp, size_page);
	c->d.g.size_page = err ? 0 : (uint64_t)c->kp->size_page.value;
	if (!err && (c->d.g.size_page < 16 || c->d.g.size_page > 1024 ||
		     c->d.g.size_page % 8))
		err = vt_error_new(VT_ERR_FORMAT,
				   "vmcoreinfo SIZE(page)=%llu is implausible",
				   (unsigned long long)c->d.g.size_page);
	if (!err)
		err = vt_x86_64_new(c->d.g.dump, c->kp, &c->x);
	if (!err)
		err = vt_classifier_new(c->kp, &c->d.g.cls);
	if (err)
		blind_on(c, &err);
	c->r->era = c->d.g.cls ? vt_classifier_era(c->d.g.cls) : "none";
	if (c->x && c->kp->kernel_offset.known) {
		/* _text = __START_KERNEL (16 MiB into the map) + KERNELOFFSET */
		c->kt_pfn =
			vt_x86_64_ktext_paddr(
				c->x,
				0xffffffff81000000ULL +
					(uint64_t)c->kp->kernel_offset.value) /
			c->d.g.page_size;
		c->kt_end = c->kt_pfn + (2ULL << 20) / c->d.g.page_size;
	}
	for (int k = 0; k < VT_CLASS_NR; k++)
		c->d.excluded[k] = vt_class_excluded(k, c->o->dump_level);
	return NULL;
}

static struct vt_error *find_vmemmap_base(struct fl_run *c)
{
	struct vt_vmemmap *vm;
	struct vt_error *err;

	if (c->blind)
		return NULL;
	err = vt_vmemmap_new(c->d.g.dump, c->x, &vm);
	if (err) {
		/* no struct page can be found: dump everything */
		blind_on(c, &err);
		return NULL;
	}
	c->d.g.vbase = vt_vmemmap_base(vm);
	c->r->bad_roots = vt_vmemmap_bad_roots(vm);
	vt_vmemmap_free(vm);
	vt_classifier_set_layout(c->d.g.cls, c->d.g.vbase,
				 vt_x86_64_levels(c->x));
	return NULL;
}

/*
 * -x: the per-CPU lists walked with the vmlinux's layouts; when they
 * cannot be (r->pcp_fallback says why), the link proof decides.
 */
static struct vt_error *walk_pcp_lists(struct fl_run *c)
{
	struct vt_pcp_dump d = { c->d.g.dump, c->x };
	struct vt_pcp_reader rd = { vt_pcp_dump_read, &d };
	const struct vt_pcp *p;
	struct vt_error *err;

	if (!c->pcpk || c->blind || !c->d.excluded[VT_CLASS_PCP_FREE])
		return NULL;
	p = vt_classifier_pcp(c->d.g.cls);
	err = vt_pcp_walk(c->pcpk, p, &rd,
			  c->kp->kernel_offset.known ?
				  (uint64_t)c->kp->kernel_offset.value :
				  0,
			  c->kp->release, &c->listed, c->r->pcp_fallback,
			  sizeof(c->r->pcp_fallback));
	if (err || !c->listed)
		return err;
	c->d.pcp_listed = &c->listed->free;
	c->r->pcp_walked = true;
	c->r->pcp_lists = c->listed->lists;
	c->r->pcp_lists_kept = c->listed->lists_kept;
	return NULL;
}

static struct vt_error *alloc_buffers(struct fl_run *c)
{
	struct vt_error *err = fl_blk_init(&c->mb, c->d.g.dump,
					   c->d.g.size_page, c->r->mapped);

	if (err)
		return err;
	c->mb.x = c->x;
	if (c->r->mapped == VT_MAP_WINDOWS) {
		c->data_win = vt_dump_window_new(
			c->d.g.dump, DATA_WINDOW_PFNS * c->d.g.page_size);
		if (!c->data_win)
			return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	/* up to 512 GiB of RAM: 2 bits a pfn spare the second read */
	if (2 * ((c->d.g.max_pfn + 7) / 8) <= STORE_BYTES) {
		c->d.store_bm2 = malloc((c->d.g.max_pfn + 7) / 8);
		c->d.store_keep = malloc((c->d.g.max_pfn + 7) / 8);
		if (!c->d.store_bm2 || !c->d.store_keep) {
			free(c->d.store_bm2);
			free(c->d.store_keep);
			c->d.store_bm2 = c->d.store_keep = NULL;
		}
	}
	return NULL;
}

static void teardown(struct fl_run *c)
{
	fl_first_free(c->first);
	vt_exclude_free(c->ex);
	vt_classifier_free(c->d.g.cls);
	vt_x86_64_free(c->x);
	fl_blk_free(&c->mb); /* its window before the dump */
	vt_dump_window_free(c->data_win);
	vt_dump_close(c->d.g.dump);
	free(c->d.store_bm2);
	free(c->d.store_keep);
	free(c->vmcoreinfo_text);
	free(c->notes);
	vt_pcp_listed_free(c->listed);
	vt_pcp_kernel_free(c->pcpk);
}

static struct vt_error *run(struct fl_run *c)
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
		err = walk_pcp_lists(c);
	if (!err)
		err = alloc_buffers(c);
	if (!err && c->o->exclude_vmemmap && !c->blind)
		err = vt_exclude_new(c->d.g.dump, c->x, c->d.g.vbase,
				     c->d.g.size_page, c->d.g.max_pfn, &c->ex);
	c->r->t_setup = now();
	if (!err)
		err = fl_pass1(c, &dumped);
	c->r->t_pass1 = now();
	if (err)
		return err;
	c->r->max_pfn = c->d.g.max_pfn;
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
		vt_error_free(fl_pass2(c));
		c->write_failed = true;
	} else if (!err) {
		err = fl_pass2(c);
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
	fl_first_report(c->first, ws.prefix, dumped, c->r);
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
	struct fl_run c = { .o = o, .r = r };
	double t0 = now();
	struct vt_error *err;

	memset(r, 0, sizeof(*r));
	err = run(&c);
	fl_merge_unreadable_runs(r);
	r->seconds = now() - t0;
	phase_times(r, t0);
	teardown(&c);
	return err;
}
