/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-CPU free lists walked as the kernel keeps them (-x VMLINUX):
 * every node's zones, every CPU's struct per_cpu_pages, every list, with
 * the layouts of filter/pcp-dwarf.h. A list whose walk fails keeps its
 * pages: a link that is not a free-looking struct page's, a prev link
 * that does not point back, a loop, an entry not aligned to its order, a
 * head whose prev is not the last entry; and a struct per_cpu_pages whose
 * count is not the sum of its lists' pages keeps all its lists.
 * Memory: the blocks on the lists as pfn ranges. Facts and sources:
 * docs/page-classification.md.
 */
#ifndef VMEMTRIM_FILTER_PCP_LISTS_H
#define VMEMTRIM_FILTER_PCP_LISTS_H

#include <stddef.h>
#include <stdint.h>

#include "critical.h"
#include "pcp-dwarf.h"
#include "pcp.h"

struct vt_pcp_listed {
	struct vt_range_list free; /* the blocks on the lists, sorted */
	uint64_t lists; /* lists walked whole */
	uint64_t lists_kept; /* lists whose walk failed: pages kept */
	uint64_t entries, pages; /* on the lists walked whole */
};

/*
 * Walk the lists of the kernel @k describes (@kernel_offset: KERNELOFFSET,
 * @osrelease: OSRELEASE, "" when unknown) through @rd, checking entries
 * with @p. NULL *out and the reason in @why when the lists cannot be
 * walked at all (the vmlinux does not match the dump, its layout is
 * unknown, its roots cannot be read): the caller falls back to the link
 * proof. Errors: out of memory only.
 */
struct vt_error *vt_pcp_walk(const struct vt_pcp_kernel *k,
			     const struct vt_pcp *p,
			     const struct vt_pcp_reader *rd,
			     uint64_t kernel_offset, const char *osrelease,
			     struct vt_pcp_listed **out, char *why,
			     size_t why_len);
void vt_pcp_listed_free(struct vt_pcp_listed *l);

#endif
