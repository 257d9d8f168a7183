/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The vmemmap map: which physical page holds the struct page of each pfn
 * (SPARSEMEM_VMEMMAP: mem_section -> vmemmap virtual address -> page-table
 * walk, 2 MiB and 4 KiB mappings, HVO pages shared by several mappings),
 * and from it which pfns have no struct page data in a dump. Computed from
 * the dump's own page tables and bitmaps, so it holds for any writer's
 * dump (makedumpfile -e as well as ours).
 */
#ifndef VMEMTRIM_VMEMMAP_H
#define VMEMTRIM_VMEMMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/error.h"

struct vt_vmemmap;
struct vt_x86_64;

/*
 * Read mem_section from @dump. Needs SYMBOL(mem_section),
 * LENGTH(mem_section), SIZE(mem_section), SECTION_SIZE_BITS, SIZE(page).
 * @dump and @x must outlive the map.
 */
struct vt_error *vt_vmemmap_new(struct vt_dump *dump, struct vt_x86_64 *x,
				struct vt_vmemmap **out);
void vt_vmemmap_free(struct vt_vmemmap *vm);

uint64_t vt_vmemmap_base(const struct vt_vmemmap *vm); /* vmemmap_base */
/* mem_section roots that could not be read: their sections count as
   having no mem_map */
uint64_t vt_vmemmap_bad_roots(const struct vt_vmemmap *vm);
uint64_t vt_vmemmap_section_pfns(const struct vt_vmemmap *vm);
/*
 * The pfns mem_section was read from: the pages of the root array and of
 * the roots (those that could be translated), in the order read, no pfn
 * twice in a row; *pfns is good while @vm lives.
 */
size_t vt_vmemmap_root_pfns(const struct vt_vmemmap *vm, const uint64_t **pfns);

/* Why a pfn's struct page cannot be read from the dump. */
enum vt_struct_page_state {
	VT_SP_PRESENT = 0, /* its struct page is in the dump */
	VT_SP_NO_SECTION, /* no struct page exists (section without mem_map) */
	VT_SP_EXCLUDED, /* the page holding it was left out of the dump */
	VT_SP_UNMAPPED, /* the vmemmap address is not mapped */
	VT_SP_TABLE_ABSENT, /* a page table on the way is not in the dump */
	VT_SP_BAD, /* a page-table entry points outside the machine */
};
const char *vt_struct_page_state_name(enum vt_struct_page_state s);

/* A run of pfns whose struct pages are in the same state. */
struct vt_sp_range {
	uint64_t start_pfn, end_pfn; /* [start, end) */
	enum vt_struct_page_state state;
	uint64_t page_vaddr; /* struct page address of start_pfn */
	uint64_t page_paddr; /* its physical address (MAPPED states) */
};

/*
 * Walk pfns [@start_pfn, @end_pfn) (end clipped to max_pfn) and call @fn
 * for each maximal run of pfns in one state (adjacent runs of the same
 * state are merged). @fn returns non-zero to stop.
 */
typedef int (*vt_sp_range_fn)(void *arg, const struct vt_sp_range *r);
struct vt_error *vt_vmemmap_ranges(struct vt_vmemmap *vm, uint64_t start_pfn,
				   uint64_t end_pfn, vt_sp_range_fn fn,
				   void *arg);

/* Everything about one pfn. */
struct vt_pfn_report {
	uint64_t pfn;
	enum vt_pfn_state data; /* is the pfn's own page in the dump */
	enum vt_struct_page_state struct_page;
	uint64_t page_vaddr; /* struct page address (0: no section) */
	uint64_t page_paddr; /* physical address of it, when mapped */
	uint64_t vmemmap_pfn; /* pfn of the page holding its first byte,
				 when mapped */
	enum vt_pfn_state vmemmap_data; /* is that page in the dump */
};
struct vt_error *vt_vmemmap_pfn(struct vt_vmemmap *vm, uint64_t pfn,
				struct vt_pfn_report *out);

/* Totals over the whole dump. */
struct vt_vmemmap_summary {
	uint64_t section_pfns; /* pfns below max_pfn that have a struct page */
	uint64_t ram_pfns; /* pfns in RAM (dump's 1st bitmap / PT_LOADs) */
	uint64_t missing_pfns; /* pfns with a struct page not in the dump */
	uint64_t missing_ranges; /* maximal runs of missing pfns, whatever
				    their states (excluded, unmapped, ...) */
	uint64_t missing_ram_pfns; /* of missing_pfns, those in RAM */
	uint64_t
		vmemmap_pages; /* distinct physical pages holding struct pages */
	uint64_t vmemmap_pages_excluded; /* of those, not in the dump */
};
struct vt_error *vt_vmemmap_summarize(struct vt_vmemmap *vm,
				      struct vt_vmemmap_summary *s);

#endif
