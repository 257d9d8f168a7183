/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Free pages on the page allocator's per-CPU lists (struct per_cpu_pages),
 * told without a vmlinux: VMCOREINFO has no layout for those lists, so a
 * page counts as free only when its own struct page looks free and its
 * list links (page.lru, where the kernel keeps pcp_list) lead, through
 * other free-looking struct pages whose links agree, both ways to the same
 * list head outside the vmemmap, and that head points back at the list's
 * ends. Facts and what is provable: docs/page-classification.md.
 *
 * The classifier (classify.c) marks candidates (VT_CLASS_PCP_MAYBE) from
 * the struct page alone; vt_pcp_resolve() turns each into VT_CLASS_PCP_FREE
 * or VT_CLASS_KEEP by walking its list. Memory: two bitmaps of the pfns
 * resolved at once, freed on return; nothing of the whole machine.
 */
#ifndef VMEMTRIM_FILTER_PCP_H
#define VMEMTRIM_FILTER_PCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "critical.h"
#include "vmemtrim/error.h"

struct vt_kernel_profile;
struct vt_dump;
struct vt_x86_64;

struct vt_pcp;

/* A list longer than this is not believed (4 GiB of order-0 pages). */
#define VT_PCP_STEP_LIMIT (1u << 20)

/*
 * The struct page fields a list check reads: SIZE(page), OFFSET(page.flags,
 * _refcount, mapping, lru, _mapcount) and the PG_* numbers known. Absent
 * keys: *out is NULL and no error (no page is a candidate then).
 */
struct vt_error *vt_pcp_new(const struct vt_kernel_profile *kp,
			    struct vt_pcp **out);
void vt_pcp_free(struct vt_pcp *p);

/* Where struct pages are (pfn 0's) and the paging levels (4 or 5). */
void vt_pcp_set_layout(struct vt_pcp *p, uint64_t vmemmap_base, int levels);

/*
 * Does the struct page @page look like a free page on a per-CPU list:
 * reference count 0, no page flag, mapping NULL, no page type (_mapcount
 * -1), and both list links kernel pointers? False until the layout is set.
 */
bool vt_pcp_candidate(const struct vt_pcp *p, const uint8_t *page);

/* Read @len bytes at kernel virtual address @vaddr; false when it cannot. */
struct vt_pcp_reader {
	bool (*read)(void *arg, uint64_t vaddr, void *buf, size_t len);
	void *arg;
};

/*
 * Resolve the candidates among @cls (one class per pfn of [@pfn, @pfn +
 * @n)): with @walk, each becomes VT_CLASS_PCP_FREE when its list is proven,
 * else VT_CLASS_KEEP; without @walk all become VT_CLASS_KEEP. The rest of
 * a free high-order block after its entry becomes VT_CLASS_PCP_FREE too.
 * @pfn must be a multiple of 512 (the largest per-CPU block) and @n too,
 * unless the span ends the machine: then the result of a pfn depends only
 * on the dump, not on how the pfns are split. NULL @p: all KEEP.
 */
struct vt_error *vt_pcp_resolve(const struct vt_pcp *p,
				const struct vt_pcp_reader *rd, bool walk,
				uint64_t pfn, uint64_t n, uint8_t *cls);

/*
 * With the lists walked (-x, filter/pcp-lists.h): the candidates among
 * @cls in @listed (sorted pfn ranges of the blocks on the lists) become
 * VT_CLASS_PCP_FREE, the other candidates VT_CLASS_KEEP; a VT_CLASS_KEEP
 * pfn in @listed becomes VT_CLASS_PCP_FREE when its struct page is blank
 * (the rest of a free block). NULL @p: all KEEP.
 */
struct vt_error *vt_pcp_resolve_listed(const struct vt_pcp *p,
				       const struct vt_pcp_reader *rd,
				       const struct vt_range_list *listed,
				       uint64_t pfn, uint64_t n, uint8_t *cls);

/*
 * One entry of a list being walked: @link (a next pointer) must be the
 * list link of a free-looking struct page whose prev link is @prev; its
 * pfn and next link in *pfn and *next. False when not.
 */
bool vt_pcp_entry(const struct vt_pcp *p, const struct vt_pcp_reader *rd,
		  uint64_t link, uint64_t prev, uint64_t *pfn, uint64_t *next);

/* OFFSET(page.lru), where the links are (0 for NULL @p). */
size_t vt_pcp_link_offset(const struct vt_pcp *p);

/* The kernel's memory in a dump, read through its page tables. */
struct vt_pcp_dump {
	struct vt_dump *dump;
	struct vt_x86_64 *x;
};

/* A struct vt_pcp_reader's read over a struct vt_pcp_dump (@arg). */
bool vt_pcp_dump_read(void *arg, uint64_t vaddr, void *buf, size_t len);

/*
 * vt_pcp_resolve() (@listed NULL) or vt_pcp_resolve_listed() reading the
 * kernel's memory in @dump through @x.
 */
struct vt_error *vt_pcp_resolve_dump(const struct vt_pcp *p,
				     struct vt_dump *dump, struct vt_x86_64 *x,
				     const struct vt_range_list *listed,
				     bool walk, uint64_t pfn, uint64_t n,
				     uint8_t *cls);

#endif
