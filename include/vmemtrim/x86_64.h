/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86_64 virtual to physical translation by walking the kernel's own page
 * tables in the dump (init_top_pgt), 4 or 5 levels, 1 GiB / 2 MiB / 4 KiB
 * leaves, with sme_mask and the PAT bit of large leaves masked off. The
 * only module that knows x86_64 paging.
 */
#ifndef VMEMTRIM_X86_64_H
#define VMEMTRIM_X86_64_H

#include <stdbool.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_kernel_profile;
struct vt_x86_64;

#define VT_X86_64_START_KERNEL_MAP 0xffffffff80000000ULL

/*
 * The physical memory the walk reads, as libkdumpfile's addrxlat reads it:
 * through a callback, so the walker knows no dump format.
 */
struct vt_x86_64_memory {
	/*
	 * Read the 4096-byte page-table page at @paddr into @buf; *absent
	 * when the page has no data in the dump (@buf then unread). An error
	 * only for a failure that is not the page's absence.
	 */
	struct vt_error *(*read_table)(void *arg, uint64_t paddr, void *buf,
				       bool *absent);
	void *arg;
	unsigned int page_size; /* of the dump: must be 4096 */
	uint64_t max_pfn; /* an entry pointing at or above is bad */
};

/*
 * A translation context over @mem (copied; its arg must outlive the
 * context). Needs SYMBOL(init_top_pgt) and NUMBER(phys_base) from @kp;
 * pgtable_l5_enabled and sme_mask default to 0 when absent. A dump's own
 * is vt_x86_64_new() (include/vmemtrim/dump.h).
 */
struct vt_error *vt_x86_64_open(const struct vt_x86_64_memory *mem,
				const struct vt_kernel_profile *kp,
				struct vt_x86_64 **out);
void vt_x86_64_free(struct vt_x86_64 *x);

int vt_x86_64_levels(const struct vt_x86_64 *x); /* 4 or 5 */

/* Physical address of a kernel image (text/data) symbol address. */
uint64_t vt_x86_64_ktext_paddr(const struct vt_x86_64 *x, uint64_t vaddr);

/*
 * Translate @vaddr. *leaf_size (optional) gets the size of the mapping
 * leaf (4096, 2 MiB or 1 GiB). VT_ERR_NOTMAPPED when an entry is not
 * present, VT_ERR_NODATA when a page-table page is not in the dump,
 * VT_ERR_FORMAT when an entry points outside the machine; each message names
 * the address, the level and the table's physical address.
 */
struct vt_error *vt_x86_64_vtop(struct vt_x86_64 *x, uint64_t vaddr,
				uint64_t *paddr, uint64_t *leaf_size);

/* One piece of a range walk. */
enum vt_leaf_kind {
	VT_LEAF_MAPPED, /* [vaddr, vaddr+size) -> [paddr, paddr+size) */
	VT_LEAF_UNMAPPED, /* an entry on the way is not present */
	VT_LEAF_TABLE_ABSENT, /* a page-table page is not in the dump */
	VT_LEAF_BAD, /* an entry points outside the machine */
};

struct vt_leaf {
	enum vt_leaf_kind kind;
	uint64_t vaddr;
	uint64_t size; /* bytes of virtual space this piece covers */
	uint64_t paddr; /* MAPPED: physical address of vaddr */
	/*
	 * The level of the entry that decided it (1 = PTE) and the physical
	 * address of the table holding that entry; for TABLE_ABSENT, the
	 * level and address of the table that is not in the dump.
	 */
	int level;
	uint64_t table_paddr;
	/*
	 * The page-table pages the walk read on its way to this piece, by
	 * level (tables[levels] is the top table); 0 where no table was
	 * read (below @level, or a table not in the dump).
	 */
	uint64_t tables[6];
	/*
	 * MAPPED: the leaf entry as the kernel wrote it (its permission
	 * bits: VT_X86_64_RW, VT_X86_64_NX); else 0.
	 */
	uint64_t entry;
};

#define VT_X86_64_RW (1ULL << 1) /* writable */
#define VT_X86_64_NX (1ULL << 63) /* not executable */

/*
 * Walk [@start, @end) in ascending order, calling @fn for each piece
 * (clipped to the range). @fn returns 0 to go on, non-zero to stop (that
 * value is not an error). Page-table pages are read through a small cache,
 * so a walk over a large range reads each table once.
 */
typedef int (*vt_leaf_fn)(void *arg, const struct vt_leaf *leaf);
struct vt_error *vt_x86_64_walk(struct vt_x86_64 *x, uint64_t start,
				uint64_t end, vt_leaf_fn fn, void *arg);

/*
 * vt_x86_64_walk(), but of a PTE table that is in the dump only its first
 * piece is reported: the walk goes on past the table's 2 MiB. The pieces
 * are then bounded by the number of page-table pages (and large leaves),
 * not by the 4 KiB pages mapped: for a walk that wants the tables, not
 * every page.
 */
struct vt_error *vt_x86_64_walk_coarse(struct vt_x86_64 *x, uint64_t start,
				       uint64_t end, vt_leaf_fn fn, void *arg);

#endif
