// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Whole or damaged: see include/vmemtrim/verdict.h and docs/verdict.md.
 *
 * The page-table walk is bounded by the number of page-table pages: the
 * coarse x86_64 walk gives one piece per absent table, per large leaf and
 * per PTE table (vt_x86_64_walk_coarse()), so no range is walked a page
 * at a time except the kernel image's, whose pages are checked one by
 * one. The ranges walked (vt_kernel_areas_find()) are shared with the
 * writer's critical set (filter/critical.c).
 */
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/format.h"
#include "vmemtrim/printk.h"
#include "vmemtrim/verdict.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

#define PAGE 4096ULL
#define PUD_SPAN (1ULL << 30)
#define MAX_SYMBOL_PAGES 64

const char *vt_finding_name(enum vt_finding_kind k)
{
	static const char *const names[VT_FIND_KINDS] = {
		[VT_FIND_TABLE_ABSENT] = "page-table",
		[VT_FIND_TABLE_BAD] = "bad-entry",
		[VT_FIND_IMAGE] = "kernel-image",
		[VT_FIND_ROOT] = "mem-section-root",
		[VT_FIND_LOG] = "log",
		[VT_FIND_FLAG_UNUSED] = "flag-unused",
		[VT_FIND_VMEMMAP_UNEXPLAINED] = "vmemmap-unexplained",
	};

	return (unsigned int)k < VT_FIND_KINDS ? names[k] : "unknown";
}

static void note(struct vt_verdict *v, enum vt_finding_kind kind, uint64_t pfn,
		 uint64_t vaddr, int level, uint64_t count)
{
	v->findings++;
	v->count[kind]++;
	if (v->nr_examples < VT_VERDICT_EXAMPLES)
		v->examples[v->nr_examples++] = (struct vt_finding){
			.kind = kind,
			.pfn = pfn,
			.vaddr = vaddr,
			.level = level,
			.count = count,
		};
}

/* --- the page-table walk --------------------------------------------------- */

struct walk {
	struct vt_verdict *v;
	struct vt_dump *dump;
	uint64_t last_table[8]; /* by level: tables already counted */
	bool image; /* check the mapped pages too */
	bool zero_explains; /* dump level bit 1: zero pages excluded */
	unsigned int nr_sym;
	uint64_t sym_page[MAX_SYMBOL_PAGES]; /* image pages of SYMBOL()s */
};

static bool holds_symbol(const struct walk *w, uint64_t vaddr)
{
	for (unsigned int i = 0; i < w->nr_sym; i++)
		if (w->sym_page[i] == vaddr / PAGE)
			return true;
	return false;
}

/* The image pages of a mapped piece: in the dump, or why not. */
static struct vt_error *check_image(struct walk *w, const struct vt_leaf *l)
{
	uint64_t pfn = l->paddr / PAGE, end = (l->paddr + l->size) / PAGE;

	w->v->image_pages += end - pfn;
	while (pfn < end) {
		enum vt_pfn_state state;
		uint64_t run_end;
		struct vt_error *err =
			vt_dump_pfn_run(w->dump, pfn, &state, &run_end);

		if (err)
			return err;
		if (run_end > end || run_end <= pfn)
			run_end = end;
		for (; state != VT_PFN_DUMPED && pfn < run_end; pfn++) {
			uint64_t vaddr = l->vaddr + (pfn * PAGE - l->paddr);

			if (w->zero_explains && !holds_symbol(w, vaddr))
				w->v->image_zero++;
			else
				note(w->v, VT_FIND_IMAGE, pfn, vaddr, 0, 1);
		}
		pfn = run_end;
	}
	return NULL;
}

struct leaf_ctx {
	struct walk *w;
	struct vt_error *err;
};

static int on_leaf(void *arg, const struct vt_leaf *l)
{
	struct leaf_ctx *c = arg;
	struct walk *w = c->w;

	if (l->level >= 1 && l->level < 8 &&
	    w->last_table[l->level] != l->table_paddr) {
		w->last_table[l->level] = l->table_paddr;
		w->v->tables++;
	}
	if (l->kind == VT_LEAF_TABLE_ABSENT)
		note(w->v, VT_FIND_TABLE_ABSENT, l->table_paddr / PAGE,
		     l->vaddr, l->level, 1);
	else if (l->kind == VT_LEAF_BAD)
		note(w->v, VT_FIND_TABLE_BAD, l->table_paddr / PAGE, l->vaddr,
		     l->level, 1);
	else if (l->kind == VT_LEAF_MAPPED && w->image)
		c->err = check_image(w, l);
	return c->err ? 1 : 0;
}

/* The image's pages one by one; elsewhere a PTE table's first piece. */
static struct vt_error *walk_range(struct vt_x86_64 *x, struct walk *w,
				   uint64_t start, uint64_t end)
{
	struct leaf_ctx c = { .w = w };
	struct vt_error *err =
		w->image ? vt_x86_64_walk(x, start, end, on_leaf, &c) :
			   vt_x86_64_walk_coarse(x, start, end, on_leaf, &c);

	return err ? err : c.err;
}

/* --- the ranges ------------------------------------------------------------ */

/* The image pages that hold a SYMBOL() VMCOREINFO publishes. */
static void find_symbols(const struct vt_vmcoreinfo *vi, uint64_t start,
			 uint64_t end, struct walk *w)
{
	const char *key, *value;

	for (size_t i = 0; vt_vmcoreinfo_entry(vi, i, &key, &value); i++) {
		uint64_t a;

		if (strncmp(key, "SYMBOL(", 7) || w->nr_sym >= MAX_SYMBOL_PAGES)
			continue;
		a = strtoull(value, NULL, 16);
		if (a >= start && a < end)
			w->sym_page[w->nr_sym++] = a / PAGE;
	}
}

/*
 * The direct map's base from a direct-map address VMCOREINFO gives
 * (SYMBOL(mem_section): the array sparse_init() allocated) and its
 * physical address; 0 when that does not look like the direct map.
 */
static uint64_t direct_map_base(struct vt_dump *dump, struct vt_x86_64 *x)
{
	const struct vt_kernel_profile *kp = vt_dump_profile(dump);
	uint64_t v, paddr, base;
	struct vt_error *err;

	if (!kp->sym_mem_section.known)
		return 0;
	v = (uint64_t)kp->sym_mem_section.value;
	if (v >= VT_X86_64_START_KERNEL_MAP)
		return 0;
	err = vt_x86_64_vtop(x, v, &paddr, NULL);
	if (vt_error_catch(&err, 0))
		return 0;
	base = v - paddr;
	return base % PUD_SPAN ? 0 : base;
}

void vt_kernel_areas_find(struct vt_dump *dump, struct vt_x86_64 *x,
			  const struct vt_vmemmap *vm,
			  struct vt_kernel_areas *a)
{
	const struct vt_vmcoreinfo *vi = vt_dump_vmcoreinfo(dump);
	const struct vt_kernel_profile *kp = vt_dump_profile(dump);
	const char *size = vt_vmcoreinfo_get(vi, "NUMBER(KERNEL_IMAGE_SIZE)");
	const char *stext = vt_vmcoreinfo_get(vi, "SYMBOL(_stext)");
	uint64_t span = vt_dump_info(dump)->max_pfn * PAGE;

	memset(a, 0, sizeof(*a));
	a->image_end = VT_X86_64_START_KERNEL_MAP +
		       (size ? strtoull(size, NULL, 10) : PUD_SPAN);
	a->image_start =
		stext ? strtoull(stext, NULL, 16) : VT_X86_64_START_KERNEL_MAP;
	if (a->image_start < VT_X86_64_START_KERNEL_MAP ||
	    a->image_start >= a->image_end)
		a->image_start = VT_X86_64_START_KERNEL_MAP;
	a->dmap_start = direct_map_base(dump, x);
	if (a->dmap_start)
		a->dmap_end = a->dmap_start + span;
	if (vm && kp->size_page.known) {
		a->vmemmap_start = vt_vmemmap_base(vm);
		a->vmemmap_end = a->vmemmap_start +
				 vt_dump_info(dump)->max_pfn *
					 (uint64_t)kp->size_page.value;
	}
}

static struct vt_error *check_tables(struct vt_dump *dump, struct vt_x86_64 *x,
				     struct vt_vmemmap *vm, struct walk *w)
{
	struct vt_kernel_areas a;
	struct vt_error *err;

	vt_kernel_areas_find(dump, x, vm, &a);
	find_symbols(vt_dump_vmcoreinfo(dump), a.image_start, a.image_end, w);
	w->image = true;
	err = walk_range(x, w, a.image_start - a.image_start % PAGE,
			 a.image_end);
	w->image = false;
	if (!err && a.dmap_start)
		err = walk_range(x, w, a.dmap_start, a.dmap_end);
	if (!err && a.vmemmap_start)
		err = walk_range(x, w, a.vmemmap_start, a.vmemmap_end);
	return err;
}

/* --- the log, the roots, the flag --------------------------------------------- */

static int count_record(void *arg, const struct vt_printk_record *r)
{
	(void)r;
	++*(uint64_t *)arg;
	return 0;
}

static void check_log(struct vt_dump *dump, struct vt_verdict *v)
{
	struct vt_printk *p = NULL;
	struct vt_error *err = vt_printk_open_dump(dump, &p);

	if (!err)
		err = vt_printk_walk(p, count_record, &v->log_records);
	v->log_checked = !err;
	/* pages the dump lacks; not a garbage pointer (NOTMAPPED) */
	if (err && err->code == VT_ERR_NODATA)
		note(v, VT_FIND_LOG, 0, 0, 0, 1);
	else if (!err && vt_printk_summary_of(p)->missing)
		note(v, VT_FIND_LOG, 0, 0, 0, vt_printk_summary_of(p)->missing);
	vt_error_free(err);
	vt_printk_free(p);
}

static void check_vmemmap(struct vt_dump *dump, struct vt_vmemmap *vm,
			  const struct vt_vmemmap_summary *sum, int vm_code,
			  bool zero_explains, struct vt_verdict *v)
{
	bool flag = vt_dump_info(dump)->status & DUMP_DH_EXCLUDED_VMEMMAP;

	/* no map at all: damage, unless the kernel's keys are not there */
	if (!vm) {
		if (vm_code != VT_ERR_NOKEY && vm_code != VT_ERR_UNSUPPORTED &&
		    vm_code != VT_ERR_NOMEM)
			note(v, VT_FIND_ROOT, 0, 0, 0, 1);
		return;
	}
	for (uint64_t i = 0; i < vt_vmemmap_bad_roots(vm); i++)
		note(v, VT_FIND_ROOT, 0, 0, 0, 1);
	if (flag && !sum->vmemmap_pages_excluded)
		note(v, VT_FIND_FLAG_UNUSED, 0, 0, 0, 1);
	if (!flag && sum->vmemmap_pages_excluded && !zero_explains)
		note(v, VT_FIND_VMEMMAP_UNEXPLAINED, 0, 0, 0,
		     sum->vmemmap_pages_excluded);
}

struct vt_error *vt_verdict_check(struct vt_dump *dump, struct vt_x86_64 *x,
				  struct vt_vmemmap *vm,
				  const struct vt_vmemmap_summary *sum,
				  int vm_code, struct vt_verdict *out)
{
	int dl = vt_dump_info(dump)->dump_level;
	struct walk *w = calloc(1, sizeof(*w));
	struct vt_error *err;

	memset(out, 0, sizeof(*out));
	if (!w)
		return vt_error_new(VT_ERR_NOMEM, "verdict: out of memory");
	w->v = out;
	w->dump = dump;
	w->zero_explains = dl > 0 && (dl & 1);
	err = check_tables(dump, x, vm, w);
	if (!err) {
		check_vmemmap(dump, vm, sum, vm_code, w->zero_explains, out);
		check_log(dump, out);
	}
	free(w);
	return err ? vt_error_prefix(err, "verdict: ") : NULL;
}
