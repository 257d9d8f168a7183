/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The removable-vmemmap set (-e): the physical pages that hold struct pages
 * and whose struct pages, through every virtual mapping of them (HugeTLB
 * vmemmap optimisation maps one physical page several times), all describe
 * pfns that are not dumped.
 *
 * Memory: one "keep" bit per 4 KiB of vmemmap (one bit per 64 pfns with a
 * 64-byte struct page), one "was dumped" bit per 4 KiB of vmemmap, and one
 * extent per run of vmemmap virtual pages mapped to a run of physical
 * pages (ascending or descending); no per-pfn state.
 *
 * Use: vt_exclude_new(); for every pfn block in ascending order
 * vt_exclude_note() with the block's dumped pfns and their classes;
 * vt_exclude_finalize(); then vt_exclude_removable() for ascending
 * physical pfns.
 */
#ifndef VMEMTRIM_FILTER_EXCLUDE_H
#define VMEMTRIM_FILTER_EXCLUDE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_dump;
struct vt_x86_64;
struct vt_exclude;

/*
 * Map the vmemmap of pfns [0, @max_pfn) (virtual base @vmemmap_base,
 * @size_page bytes per struct page) through the page tables of @x. Leaves
 * that point outside the dump's RAM are ignored (never removed).
 */
struct vt_error *vt_exclude_new(struct vt_dump *dump, struct vt_x86_64 *x,
				uint64_t vmemmap_base, uint64_t size_page,
				uint64_t max_pfn, struct vt_exclude **out);
void vt_exclude_free(struct vt_exclude *ex);

/*
 * Block [@start_pfn, @start_pfn + @n): @dumped has bit i set (LSB first)
 * when pfn start_pfn + i is dumped before vmemmap exclusion; @keep_class
 * has bit i set when that pfn's own page could be removed as vmemmap (its
 * class is "always dumped"). Marks the vmemmap pages holding struct pages
 * of dumped pfns as needed. @start_pfn is a multiple of 8.
 */
void vt_exclude_note(struct vt_exclude *ex, uint64_t start_pfn, uint64_t n,
		     const uint8_t *dumped, const uint8_t *keep_class);

/*
 * After the last block: share the "needed" bit between all mappings of a
 * physical page, and count the removable pages that were dumped.
 */
void vt_exclude_finalize(struct vt_exclude *ex);

/* Removable pages that would be dumped without -e (after finalize). */
uint64_t vt_exclude_count(const struct vt_exclude *ex);

/* Distinct physical pages holding struct pages (after finalize). */
uint64_t vt_exclude_vmemmap_pages(const struct vt_exclude *ex);

/*
 * Is physical pfn @pfn a vmemmap page to leave out? True only for pages
 * that hold struct pages, none of a dumped pfn, and that were noted as
 * dumped of an always-dumped class. Fastest for ascending @pfn.
 */
bool vt_exclude_removable(struct vt_exclude *ex, uint64_t pfn);

#endif
