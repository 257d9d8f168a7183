/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page classification: a struct page -> the class that decides whether a
 * dump level excludes the pfn (free, cache, cache with private data, user,
 * hwpoison, offline, unaccepted, or kept). Rules are table-driven by kernel
 * era (4.18 .. 6.16): where the buddy marker, slab marker, compound order
 * and hugetlb marker live is one table row per era, chosen from the
 * VMCOREINFO keys the kernel published (and OSRELEASE where keys do not
 * tell eras apart). Facts: docs/page-classification.md.
 *
 * The classifier is a stream: struct pages are fed in ascending pfn order,
 * and a free buddy block or a compound page whose head was seen carries its
 * decision over the following pfns, across calls.
 */
#ifndef VMEMTRIM_FILTER_CLASSIFY_H
#define VMEMTRIM_FILTER_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_kernel_profile;

enum vt_page_class {
	VT_CLASS_KEEP = 0, /* kernel, slab, reserved, ...: always dumped */
	VT_CLASS_UNKNOWN, /* struct page unreadable or implausible: dumped */
	VT_CLASS_CACHE, /* page cache without private data (dump level 2) */
	VT_CLASS_CACHE_PRIVATE, /* page cache with private data (level 4) */
	VT_CLASS_USER, /* anonymous or hugetlb (level 8) */
	VT_CLASS_FREE, /* buddy allocator (level 16) */
	VT_CLASS_UNACCEPTED, /* unaccepted memory (level 16, 6.16+) */
	VT_CLASS_HWPOISON, /* always excluded */
	VT_CLASS_OFFLINE, /* always excluded */
	VT_CLASS_PCP_FREE, /* free on a per-CPU list, proven (level 16) */
	/* looks like a per-CPU free page; vt_pcp_resolve() decides */
	VT_CLASS_PCP_MAYBE,
	VT_CLASS_NR,
};

/* "keep", "unknown", "cache", ... */
const char *vt_page_class_name(enum vt_page_class c);

/* Does dump level @dump_level (0..31) exclude a page of class @c? */
bool vt_class_excluded(enum vt_page_class c, int dump_level);

struct vt_classifier;

/*
 * Build a classifier for the kernel described by @kp. Needs SIZE(page),
 * OFFSET(page.flags), OFFSET(page._mapcount), OFFSET(page.mapping),
 * OFFSET(page.private), NUMBER(PG_lru), NUMBER(PG_private),
 * NUMBER(PG_head_mask), NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE) and the era's
 * markers; an era whose needed keys are absent is VT_ERR_NOKEY naming the
 * key. A kernel older than 4.18, or keys that match no era, is
 * VT_ERR_UNSUPPORTED. OFFSET(page.compound_head) is optional: without it
 * tail pages are not recognised as such.
 */
struct vt_error *vt_classifier_new(const struct vt_kernel_profile *kp,
				   struct vt_classifier **out);
void vt_classifier_free(struct vt_classifier *c);

/*
 * The per-CPU free page checker (filter/pcp.h) the classifier marks
 * candidates with (VT_CLASS_PCP_MAYBE), once the layout is set; NULL when
 * VMCOREINFO lacks a field it needs (then there are no candidates).
 */
const struct vt_pcp *vt_classifier_pcp(const struct vt_classifier *c);

/* A short name of the chosen era row ("4.18-6.2", "6.16+", ...). */
const char *vt_classifier_era(const struct vt_classifier *c);

/*
 * LENGTH(zone.free_area) (the profile does not carry it): a buddy order at
 * or above it is bogus. Default 11, right for x86_64 4.18 .. 6.16. An
 * @length outside 1..64 is VT_ERR_FORMAT and changes nothing.
 */
struct vt_error *vt_classifier_set_free_area_length(struct vt_classifier *c,
						    int64_t length);

/*
 * Where struct pages live and which addresses are the kernel's: with them
 * a compound head counts only when page[1] is its tail (compound_head ==
 * its own struct page | 1), and a page that would be excluded as cache,
 * user or hwpoison only when page->mapping is NULL or a kernel pointer;
 * others are implausible, VT_CLASS_UNKNOWN, counted in warnings. @levels:
 * 4 or 5 (paging levels, for the lowest kernel address).
 */
void vt_classifier_set_layout(struct vt_classifier *c, uint64_t vmemmap_base,
			      int levels);

/*
 * Carried state between calls; zero it to start. vt_classify_reset() drops
 * the carried decision but keeps the warning count.
 */
struct vt_classify_state {
	uint64_t carry_end; /* pfns below this follow carry_class */
	uint8_t carry_class;
	uint64_t warnings; /* implausible struct pages seen (bad orders...) */
	/* a tail here would be of a head we could not judge: no warning */
	bool head_unknown;
};
void vt_classify_reset(struct vt_classify_state *st);

/*
 * Classify @n pfns [@pfn, @pfn + @n). @pages holds the struct pages of
 * pfns [@pfn, @pfn + @avail) contiguously (SIZE(page) bytes each), with
 * @avail == @n or @n + 1: the extra one lets a compound head at the last
 * position find its order in page[1]; without it the head's order is read
 * as 0 (the head itself only). Writes one enum vt_page_class per pfn into
 * @cls. The caller marks pfns whose struct page it could not read as
 * VT_CLASS_UNKNOWN itself and calls vt_classify_reset() before the next
 * readable run, so no carried decision jumps over them. A tail page whose
 * head was not seen is VT_CLASS_UNKNOWN; it counts as implausible unless
 * it follows a rejected head or starts a run.
 */
void vt_classify(const struct vt_classifier *c, struct vt_classify_state *st,
		 uint64_t pfn, size_t n, const void *pages, size_t avail,
		 uint8_t *cls);

#endif
