// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Boot-time allocations as sparse_init() and friends make them: per node
 * pglist_data and the memmap (top of the node's memory), the mem_section
 * roots, a pool for page tables; then the HugeTLB pages with vmemmap
 * optimisation, and the hwpoison and offline pages.
 */
#include <stdlib.h>

#include "mkvmcore.h"

#define PGDAT_PAGES 44

int note_alloc(struct machine *m, u64 pfn, u64 n, struct err *e)
{
	struct pfn_range *a =
		array_room(m->alloc, m->nalloc, &m->cap_alloc, sizeof(*a));

	if (!a)
		return err_set(e, 1, "out of memory (allocations)");
	m->alloc = a;
	m->alloc[m->nalloc++] = (struct pfn_range){ pfn, pfn + n };
	return 0;
}

static int alloc_or_fail(struct machine *m, unsigned int nid, u64 n, u64 align,
			 u64 *out, const char *what, struct err *e)
{
	*out = memblock_alloc(m, nid, n, align);
	if (!*out)
		return err_set(
			e, 2,
			"--nodes/--holes: node %u has no room for its %s (%llu KiB)",
			nid, what, (unsigned long long)n * 4);
	return note_alloc(m, *out, n, e);
}

static int section_wants_4k(const struct machine *m, u64 s)
{
	u64 a = s << PFN_SECTION_SHIFT, b = a + PAGES_PER_SECTION;
	unsigned int i;

	for (i = 0; i < m->nv4k; i++)
		if (m->v4k[i].start < b && m->v4k[i].end > a)
			return 1;
	return 0;
}

static int alloc_node_memmap(struct machine *m, unsigned int nid, struct err *e)
{
	struct node *n = &m->node[nid];
	u64 s, s0 = n->start_pfn >> PFN_SECTION_SHIFT;
	u64 s1 = n->end_pfn >> PFN_SECTION_SHIFT, k = 0, j = 0;
	int rc;

	rc = alloc_or_fail(m, nid, PGDAT_PAGES, 1, &n->pgdat_paddr,
			   "pglist_data", e);
	if (rc)
		return rc;
	n->pgdat_paddr <<= PAGE_SHIFT;
	for (s = s0; s < s1; s++) {
		if (!m->sec[s].present)
			continue;
		m->sec[s].mode = section_wants_4k(m, s) ? VMM_PTE_4K : VMM_PMD;
		if (m->sec[s].mode == VMM_PMD)
			n->vmm_buf_sections++;
		else
			n->vmm_4k_sections++;
	}
	if (n->vmm_buf_sections) {
		rc = alloc_or_fail(m, nid, n->vmm_buf_sections * 512, 512,
				   &n->vmm_buf_pfn, "memmap", e);
		if (rc)
			return rc;
	}
	if (n->vmm_4k_sections) {
		rc = alloc_or_fail(m, nid, n->vmm_4k_sections * 512, 1,
				   &n->vmm_4k_pfn, "4K memmap", e);
		if (rc)
			return rc;
	}
	for (s = s0; s < s1; s++) {
		if (m->sec[s].mode == VMM_PMD)
			m->sec[s].vmm_pfn = n->vmm_buf_pfn + 512 * k++;
		else if (m->sec[s].mode == VMM_PTE_4K)
			m->sec[s].vmm_pfn = n->vmm_4k_pfn +
					    n->vmm_4k_sections * 512 - 1 -
					    512 * j++;
	}
	return 0;
}

/* Upper bound of the page-table pages the kernel would allocate. */
static u64 pool_bound(const struct machine *m)
{
	return 64 + m->nr_sections + m->nr_sections / 512 + 8ULL * m->nram +
	       (m->max_pfn >> 27) + (m->max_pfn >> 18);
}

int alloc_boot_memory(struct machine *m, struct err *e)
{
	unsigned int nid;
	u64 s, used = 0, arr_pages;
	int rc;

	rc = note_alloc(m, m->phys_load >> PAGE_SHIFT,
			m->kp->image_end >> PAGE_SHIFT, e);
	if (rc)
		return rc;
	for (nid = 0; nid < m->nr_nodes; nid++) {
		rc = alloc_node_memmap(m, nid, e);
		if (rc)
			return rc;
	}
	for (s = 0; s < m->nr_sections; s += 256) {
		u64 t;

		for (t = s; t < s + 256 && t < m->nr_sections; t++)
			if (m->sec[t].present)
				break;
		used += t < s + 256 && t < m->nr_sections;
	}
	m->nr_roots_used = used;
	arr_pages = (m->nr_section_roots * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
	rc = alloc_or_fail(m, 0, arr_pages, 1, &m->mem_section_array_pfn,
			   "mem_section root array", e);
	if (rc)
		return rc;
	rc = alloc_or_fail(m, 0, used, 1, &m->mem_section_roots_pfn,
			   "mem_section roots", e);
	if (rc)
		return rc;
	m->mem_section_array =
		m->page_offset_base + (m->mem_section_array_pfn << PAGE_SHIFT);
	m->pool_pages = pool_bound(m);
	return alloc_or_fail(m, 0, m->pool_pages, 1, &m->pool_pfn,
			     "page tables", e);
}

int overlaps_alloc(const struct machine *m, u64 a, u64 b)
{
	size_t i;

	for (i = 0; i < m->nalloc; i++)
		if (a < m->alloc[i].end && b > m->alloc[i].start)
			return 1;
	return 0;
}

static int hvo_candidate(const struct machine *m, u64 p)
{
	const struct section *sec = &m->sec[p >> PFN_SECTION_SHIFT];
	u64 o1, o2;

	if (sec->mode != VMM_PMD && sec->mode != VMM_PTE_SPLIT)
		return 0;
	if (overlaps_alloc(m, p, p + 512))
		return 0;
	/* both ends in one RAM range: the whole block is RAM */
	return !pfn_file_offset(m, p, &o1) &&
	       !pfn_file_offset(m, p + 511, &o2) && o2 - o1 == 511 * PAGE_SIZE;
}

/* Selection sampling over all eligible 2 MiB blocks: sorted, seeded. */
static int choose_hvo(struct machine *m, struct err *e)
{
	u64 p, n = 0, need = m->opt.hvo, rs = rng_seed(m->opt.seed, 3, 0);
	unsigned long k = 0;

	if (!need)
		return 0;
	for (p = 0x200; p + 512 <= m->max_pfn; p += 512)
		n += hvo_candidate(m, p);
	if (need > n)
		return err_set(
			e, 2,
			"--hvo: %llu huge pages requested, only %llu 2 MiB blocks are free for them",
			(unsigned long long)need, (unsigned long long)n);
	m->hvo_head = calloc(need, sizeof(u64));
	if (!m->hvo_head)
		return err_set(e, 1, "out of memory (hvo)");
	for (p = 0x200; p + 512 <= m->max_pfn && k < need; p += 512) {
		if (!hvo_candidate(m, p))
			continue;
		if (rng_below(&rs, n) < need - k) {
			m->hvo_head[k++] = p;
			m->sec[p >> PFN_SECTION_SHIFT].mode = VMM_PTE_SPLIT;
		}
		n--;
	}
	m->nr_hvo = k;
	return 0;
}

int pfn_in_hvo(const struct machine *m, u64 pfn, u64 *head)
{
	unsigned long lo = 0, hi = m->nr_hvo;
	u64 h = pfn & ~511ULL;

	while (lo < hi) {
		unsigned long mid = (lo + hi) / 2;

		if (m->hvo_head[mid] == h) {
			*head = h;
			return 1;
		}
		if (m->hvo_head[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* A few hwpoison pages and one run of offline pages, off any allocation
 * and any HVO huge page. */
static int choose_bad_pages(struct machine *m, struct err *e)
{
	u64 rs = rng_seed(m->opt.seed, 4, 0), h;
	int placed = 0, tries, rc;

	for (tries = 0; tries < 10000 && placed < 4; tries++) {
		u64 p = 0x200 + rng_below(&rs, m->max_pfn - 0x220);
		u64 len = placed == 3 ? 16 : 1;

		p &= ~15ULL;
		if (!pfn_is_ram(m, p) || !pfn_is_ram(m, p + len - 1) ||
		    (p >> PFN_SECTION_SHIFT) !=
			    ((p + len - 1) >> PFN_SECTION_SHIFT) ||
		    overlaps_alloc(m, p, p + len) || pfn_in_hvo(m, p, &h))
			continue;
		rc = note_alloc(m, p, len, e);
		if (!rc)
			rc = add_extent(m, p, len,
					placed == 3 ? C_OFFLINE : C_HWPOISON,
					placed == 3 ? K_ZERO : K_PTR, 0, e);
		if (rc)
			return rc;
		placed++;
	}
	return 0;
}

/* Fixed extents not owned by a writer: legacy low memory, HVO pages and
 * the vmemmap pages HVO gave back, the memmap itself. */
static int memmap_extents(struct machine *m, struct err *e)
{
	unsigned long i;
	u64 s, g, h;
	int rc = 0;

	for (s = 0; s < m->nr_sections && !rc; s++) {
		const struct section *sec = &m->sec[s];
		u64 s0 = s << PFN_SECTION_SHIFT;

		if (sec->mode == VMM_PTE_4K) {
			rc = add_extent(m, sec->vmm_pfn - 511, 512, C_VMEMMAP,
					K_OWNED, 0, e);
			continue;
		}
		if (sec->mode == VMM_NONE)
			continue;
		for (g = 0; g < 512 && !rc; g++) {
			int freed = pfn_in_hvo(m, s0 + g * 64, &h) &&
				    ((s0 + g * 64 - h) >> 6) != 0;

			rc = add_extent(m, sec->vmm_pfn + g, 1,
					freed ? C_FREE : C_VMEMMAP,
					freed ? K_ZERO : K_OWNED, 0, e);
		}
	}
	for (i = 0; i < m->nr_hvo && !rc; i++)
		rc = add_extent(m, m->hvo_head[i], 512, C_HUGETLB, K_ZERO, 0,
				e);
	if (!rc)
		rc = add_extent(m, 1, 15, C_RESERVED, K_MIXED, 0, e);
	if (!rc)
		rc = add_extent(m, 16, 0x9f - 16, C_RESERVED, K_ZERO, 0, e);
	return rc;
}

int alloc_special_pages(struct machine *m, struct err *e)
{
	int rc;

	rc = choose_hvo(m, e);
	if (!rc)
		rc = choose_bad_pages(m, e);
	if (!rc)
		rc = memmap_extents(m, e);
	return rc;
}
