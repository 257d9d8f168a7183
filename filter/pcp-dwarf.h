/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What walking the per-CPU free lists needs of a vmlinux (-x): struct
 * layouts from its DWARF (elfutils' libdw) and symbol addresses from its
 * ELF symbol table, link-time addresses (KERNELOFFSET is added by the
 * walk). Facts: docs/page-classification.md, "With -x VMLINUX".
 */
#ifndef VMEMTRIM_FILTER_PCP_DWARF_H
#define VMEMTRIM_FILTER_PCP_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

/* The largest linux_banner compared with the dump's. */
#define VT_PCP_BANNER_MAX 256

struct vt_pcp_kernel {
	/*
	 * Empty when the lists can be walked; else why not (a layout the
	 * walk does not know): the filter falls back to the link proof.
	 */
	char unknown[160];
	/* struct page: the list link of a per-CPU entry (pcp_list or lru) */
	uint64_t off_page_link;
	/* struct pglist_data: node_zones[nr_zones] of struct zone */
	uint64_t off_node_zones, size_zone, nr_zones;
	/*
	 * struct zone: the __percpu pointer to the lists (per_cpu_pageset;
	 * pageset in older kernels, whose struct per_cpu_pages is at
	 * off_pageset_pcp in struct per_cpu_pageset)
	 */
	uint64_t off_zone_pcp, off_pageset_pcp;
	bool order0_only; /* lists are order 0 only */
	/* struct per_cpu_pages: int count, struct list_head lists[nr_lists] */
	uint64_t off_pcp_count, off_pcp_lists, nr_lists;
	uint64_t migrate_pcptypes; /* enum migratetype's MIGRATE_PCPTYPES */
	/* symbols: link-time address, and the number of 8-byte elements */
	uint64_t node_data, nr_node_data; /* NUMA: struct pglist_data *[] */
	uint64_t contig_page_data; /* without NUMA: 0 when absent */
	uint64_t per_cpu_offset, nr_per_cpu_offset; /* __per_cpu_offset[] */
	uint64_t nr_cpu_ids; /* 0 when absent */
	uint64_t linux_banner;
	char banner[VT_PCP_BANNER_MAX]; /* the vmlinux's linux_banner */
	size_t banner_len;
};

/*
 * Read @path: errors (naming the file) when it cannot be opened, is not
 * ELF, or has no DWARF; a layout the walk does not know is no error but
 * (*out)->unknown says what.
 */
struct vt_error *vt_pcp_kernel_load(const char *path,
				    struct vt_pcp_kernel **out);
void vt_pcp_kernel_free(struct vt_pcp_kernel *k);

/*
 * The order of the blocks on list @i of @nr_lists (high orders on these
 * lists: the orders up to PAGE_ALLOC_COSTLY_ORDER, one list per migratetype
 * each, then one to @pcptypes lists of pageblock-order blocks; with
 * @order0_only, @pcptypes lists of order 0), or -1 when the count of lists
 * fits no known era.
 */
int vt_pcp_list_order(uint64_t i, uint64_t nr_lists, uint64_t pcptypes,
		      bool order0_only);

#endif
