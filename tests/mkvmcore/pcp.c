// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --pcp: free pages on the page allocator's per-CPU lists, as a 6.1
 * kernel keeps them (docs/mkvmcore.md, "Per-CPU free lists"), and the
 * lookalikes a filter must keep: tails of high-order allocations made
 * without __GFP_COMP, and chains of free-looking pages that are not a
 * whole per-CPU list (head inside the vmemmap, a head that does not point
 * back, one field off). Planned before generation (the lists link pages
 * of any section); gen.c asks pcp_struct_page() for their struct pages.
 */
#include <stdlib.h>
#include <string.h>

#include "mkvmcore.h"

/* The lists' shape is the era's (struct kprofile: pcp_*). */
#define PAGEBLOCK_ORDER 9 /* x86_64: the order of a PMD */
/* struct per_cpu_pages of 6.1 (CONFIG_NUMA): lock, count, high, batch,
 * free_factor, expire, then lists[] (size and lists' offset: kprofile) */
#define PCP_OFF_COUNT 4
#define PCP_OFF_HIGH 8
#define PCP_OFF_BATCH 12
/* list_del()'s poison (LIST_POISON1/2 with x86_64's POISON_POINTER_DELTA) */
#define LIST_POISON1 0xdead000000000100ULL
#define LIST_POISON2 0xdead000000000122ULL

/* Lookalike chains; the page changed in the one-field-off kinds. */
enum fake {
	F_VMM_HEAD, /* both ends link to a struct page's lru in the vmemmap */
	F_OPEN, /* a head outside that says "empty": it does not close */
	F_REF, /* one entry has a reference */
	F_MAPPING, /* one entry has a mapping */
	F_FLAG, /* one entry has PG_dirty */
	F_MAPCOUNT, /* one entry has _mapcount 0 */
	F_NR
};

/* Lists per zone and CPU, blocks per list, by --profile (idle busy mixed) */
static const unsigned int max_blocks[] = { 3, 12, 6 };

struct zone_span {
	u64 start, end;
};

static int ent_cmp(const void *a, const void *b)
{
	const struct pcp_entry *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

static u64 lru_addr(const struct machine *m, u64 pfn)
{
	return m->vmemmap_base + pfn * m->kp->size_page + m->kp->off_lru;
}

/* vaddr of a byte of the per-CPU area (the direct map) */
static u64 area_addr(const struct machine *m, u64 off)
{
	return m->page_offset_base + (m->pcp_area_pfn << PAGE_SHIFT) + off;
}

static int add_entry(struct machine *m, u64 pfn, unsigned int order, u64 next,
		     u64 prev, u8 odd, struct err *e)
{
	struct pcp_entry *p =
		array_room(m->pcp, m->npcp, &m->cap_pcp, sizeof(*p));

	if (!p)
		return err_set(e, 1, "out of memory (pcp)");
	m->pcp = p;
	m->pcp[m->npcp++] =
		(struct pcp_entry){ pfn, next, prev, odd, (u8)order };
	return 0;
}

/* [pfn, pfn + n) all RAM of one range, off every allocation and HVO. */
static int place_ok(const struct machine *m, u64 pfn, u64 n)
{
	u64 o1, o2, h;

	return !pfn_file_offset(m, pfn, &o1) &&
	       !pfn_file_offset(m, pfn + n - 1, &o2) &&
	       o2 - o1 == (n - 1) * PAGE_SIZE &&
	       !overlaps_alloc(m, pfn, pfn + n) && !pfn_in_hvo(m, pfn, &h) &&
	       !pfn_in_hvo(m, pfn + n - 1, &h);
}

/* A free place for an aligned block of 2^order pfns in [z->start, z->end),
 * taken (noted as an allocation); 0 when none was found. */
static u64 take_block(struct machine *m, const struct zone_span *z,
		      unsigned int order, u64 *rs, struct err *e)
{
	u64 n = 1ULL << order, slots = (z->end - z->start) >> order;
	int tries;

	for (tries = 0; tries < 200 && slots; tries++) {
		u64 p = ((z->start >> order) + rng_below(rs, slots)) << order;

		if (p < z->start || p + n > z->end || !place_ok(m, p, n))
			continue;
		if (note_alloc(m, p, n, e))
			return 0;
		return p;
	}
	return 0;
}

/* One block's class extents: the entry page, then the rest. */
static int block_extents(struct machine *m, u64 p, unsigned int order, u8 cls0,
			 u8 cls, u8 content, struct err *e)
{
	int rc = add_extent(m, p, 1, cls0, content, content == K_ZERO, e);

	if (!rc && order)
		rc = add_extent(m, p + 1, (1ULL << order) - 1, cls, content,
				content == K_ZERO, e);
	return rc;
}

/*
 * Link blocks p[0..n) into a ring through the list head at @head (a
 * vaddr; @hbuf its bytes, NULL when the head is not ours to write).
 */
static int link_list(struct machine *m, const u64 *p, const u8 *order,
		     unsigned int n, u64 head, u8 *hbuf, u8 odd_at, u8 odd,
		     struct err *e)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++)
		rc = add_entry(m, p[i], order[i],
			       i + 1 < n ? lru_addr(m, p[i + 1]) : head,
			       i ? lru_addr(m, p[i - 1]) : head,
			       i == odd_at ? odd : 0, e);
	if (hbuf) {
		u64 next = n ? lru_addr(m, p[0]) : head;
		u64 prev = n ? lru_addr(m, p[n - 1]) : head;

		memcpy(hbuf, &next, 8);
		memcpy(hbuf + 8, &prev, 8);
	}
	return rc;
}

/* The lists of one zone on one CPU, in its struct per_cpu_pages @pcp. */
static int zone_lists(struct machine *m, const struct zone_span *z, u8 *pcp,
		      u64 pcp_off, u64 *rs, struct err *e)
{
	const struct kprofile *kp = m->kp;
	unsigned int low = kp->pcp_types * (kp->pcp_costly_order + 1);
	unsigned int l, i, count = 0, maxb = max_blocks[m->profile_id];
	u64 p[16];
	u8 ord[16];
	int rc = 0;

	for (l = 0; l < low + kp->pcp_thp_lists && !rc; l++) {
		/* the list index: order * types + migratetype
		 * (order_to_pindex()), the pageblock-order lists last */
		unsigned int order =
			l < low ? l / kp->pcp_types : PAGEBLOCK_ORDER;
		unsigned int want = (unsigned int)rng_below(
			rs, (order == PAGEBLOCK_ORDER ? 2 : maxb) + 1);
		unsigned int n = 0;

		for (i = 0; i < want; i++) {
			u8 k = rng_below(rs, 4) ? K_ZERO : K_MIXED;

			p[n] = take_block(m, z, order, rs, e);
			if (!p[n])
				continue;
			rc = block_extents(m, p[n], order, C_PCP, C_PCP_REST, k,
					   e);
			if (rc)
				return rc;
			count += 1u << order;
			m->pcp_pages += 1ULL << order;
			ord[n++] = (u8)order;
		}
		rc = link_list(
			m, p, ord, n,
			area_addr(m, pcp_off + m->kp->pcp_off_lists + 16 * l),
			pcp + m->kp->pcp_off_lists + 16 * l, 0xff, 0, e);
	}
	memcpy(pcp + PCP_OFF_COUNT, &count, 4);
	memcpy(pcp + PCP_OFF_HIGH, &(u32){ 4 * maxb * l }, 4);
	memcpy(pcp + PCP_OFF_BATCH, &(u32){ 63 }, 4);
	return rc;
}

/* Zones with pfns: DMA32 [16 MiB, 4 GiB) and Normal, per node. */
static unsigned int zone_spans(const struct machine *m, struct zone_span *z)
{
	unsigned int nid, k = 0;

	for (nid = 0; nid < m->nr_nodes; nid++) {
		u64 a = m->node[nid].start_pfn, b = m->node[nid].end_pfn;
		u64 cut = 1ULL << 20;

		if (b > m->max_pfn)
			b = m->max_pfn;
		if (a < 0x1000)
			a = 0x1000;
		if (a < cut && a < b)
			z[k++] = (struct zone_span){ a, b < cut ? b : cut };
		if (b > cut)
			z[k++] = (struct zone_span){ a > cut ? a : cut, b };
	}
	return k;
}

/* A chain of 2..4 free-looking blocks that is not a whole list. */
static int fake_chain(struct machine *m, const struct zone_span *z,
		      enum fake kind, u64 head_off, u64 *rs, struct err *e)
{
	unsigned int n = 2 + (unsigned int)rng_below(rs, 3), i, k = 0;
	u8 *hbuf = m->pcp_area + head_off;
	u64 p[4], head = area_addr(m, head_off);
	u8 ord[4];
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		unsigned int order = (unsigned int)rng_below(rs, 4);

		p[k] = take_block(m, z, order, rs, e);
		if (p[k]) {
			rc = block_extents(m, p[k], order, C_PCP_FAKE,
					   C_PCP_FAKE, K_ZERO, e);
			ord[k++] = (u8)order;
		}
	}
	if (rc || k < 2)
		return rc;
	if (kind == F_VMM_HEAD) /* the lru of the area's reserved page */
		return link_list(m, p, ord, k, lru_addr(m, m->pcp_area_pfn),
				 NULL, 0xff, 0, e);
	if (kind == F_OPEN) { /* the head says its list is empty */
		rc = link_list(m, p, ord, k, head, NULL, 0xff, 0, e);
		memcpy(hbuf, &head, 8);
		memcpy(hbuf + 8, &head, 8);
		return rc;
	}
	return link_list(m, p, ord, k, head, hbuf, (u8)(k / 2), (u8)kind, e);
}

/* High-order allocations without __GFP_COMP: half right after a per-CPU
 * block (where a filter extending the block would reach), half anywhere. */
static int nocomp_allocs(struct machine *m, const struct zone_span *z,
			 unsigned int nz, u64 *rs, struct err *e)
{
	size_t nreal = m->npcp, i;
	unsigned int done = 0, tries;
	int rc = 0;

	for (i = 0; i < nreal && done < 12 && !rc; i += 1 + nreal / 12) {
		/* right after the entry's block */
		u64 q = m->pcp[i].pfn + (1ULL << m->pcp[i].order), n;
		unsigned int order = 1 + (unsigned int)rng_below(rs, 3);

		while (order > 1 && (q & ((1ULL << order) - 1)))
			order--;
		n = 1ULL << order;
		if ((q & (n - 1)) || !place_ok(m, q, n))
			continue;
		rc = note_alloc(m, q, n, e);
		if (!rc)
			rc = add_entry(m, q, order, LIST_POISON1, LIST_POISON2,
				       ODD_NOCOMP, e);
		if (!rc)
			rc = block_extents(m, q, order, C_NOCOMP, C_NOCOMP,
					   K_PTR, e);
		done++;
	}
	for (tries = 0; tries < 12 && !rc; tries++) {
		unsigned int order = 1 + (unsigned int)rng_below(rs, 3);
		u64 q = take_block(m, &z[tries % nz], order, rs, e);

		if (!q)
			continue;
		rc = add_entry(m, q, order, LIST_POISON1, LIST_POISON2,
			       ODD_NOCOMP, e);
		if (!rc)
			rc = block_extents(m, q, order, C_NOCOMP, C_NOCOMP,
					   K_PTR, e);
	}
	return rc;
}

int pcp_plan(struct machine *m, struct err *e)
{
	struct zone_span z[2 * 1024];
	unsigned int nz, k, c, f;
	u64 rs = rng_seed(m->opt.seed, 7, 0), size, pages, p = 0;
	int rc = 0, tries;

	if (!m->opt.pcp)
		return 0;
	if (m->kp->pcp_types * (m->kp->pcp_costly_order + 1) +
		    m->kp->pcp_thp_lists >
	    (m->kp->size_per_cpu_pages - m->kp->pcp_off_lists) / 16)
		return err_set(e, 1, "internal: too many per-CPU lists");
	if (m->nr_nodes > 1024)
		return err_set(e, 2, "--pcp: at most 1024 nodes");
	nz = zone_spans(m, z);
	m->pcp_sets = nz * m->nr_cpus;
	size = (u64)nz * m->nr_cpus * m->kp->size_per_cpu_pages + F_NR * 16;
	pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	for (tries = 0; tries < 64 && !p; tries++) {
		p = memblock_alloc(m, 0, pages, 1);
		if (p && overlaps_alloc(m, p, p + pages))
			p = 0;
	}
	if (!p)
		return err_set(e, 2, "--pcp: no room for the per-CPU area");
	m->pcp_area_pfn = p;
	m->pcp_area_pages = pages;
	m->pcp_area = calloc(pages, PAGE_SIZE);
	if (!m->pcp_area)
		return err_set(e, 1, "out of memory (per-CPU area)");
	rc = note_alloc(m, p, pages, e);
	for (k = 0; k < nz && !rc; k++)
		for (c = 0; c < m->nr_cpus && !rc; c++) {
			u64 off = ((u64)k * m->nr_cpus + c) *
				  m->kp->size_per_cpu_pages;

			rc = zone_lists(m, &z[k], m->pcp_area + off, off, &rs,
					e);
		}
	for (f = 0; f < F_NR && !rc; f++)
		rc = fake_chain(m, &z[f % nz], (enum fake)f,
				(u64)nz * m->nr_cpus *
						m->kp->size_per_cpu_pages +
					16 * f,
				&rs, e);
	if (!rc)
		rc = nocomp_allocs(m, z, nz, &rs, e);
	if (!rc)
		qsort(m->pcp, m->npcp, sizeof(*m->pcp), ent_cmp);
	return rc;
}

int pcp_write(struct machine *m, struct err *e)
{
	if (!m->opt.pcp)
		return 0;
	return write_owned(m, m->pcp_area_pfn, m->pcp_area, m->pcp_area_pages,
			   C_RESERVED, e);
}

/*
 * The struct page of @pfn of a --pcp class: an entry's list links (and
 * its one odd field), a nocomp head's reference, else a blank page.
 * @fl, @ref, @mapcount come in as a free page's.
 */
void pcp_struct_page(const struct machine *m, u8 *sp, u64 pfn, u64 *fl,
		     u32 *ref, u32 *mapcount)
{
	const struct kprofile *kp = m->kp;
	struct pcp_entry key = { .pfn = pfn }, *x;

	x = bsearch(&key, m->pcp, m->npcp, sizeof(key), ent_cmp);
	if (!x)
		return;
	memcpy(sp + kp->off_lru, &x->next, 8);
	memcpy(sp + kp->off_lru + 8, &x->prev, 8);
	switch (x->odd) {
	case ODD_NOCOMP:
	case F_REF:
		*ref = 1;
		break;
	case F_MAPPING: {
		u64 as = m->page_offset_base + ((mix64(pfn) & 0xfffff) << 6);

		memcpy(sp + kp->off_mapping, &as, 8);
		break;
	}
	case F_FLAG:
		*fl |= 1ULL << kp->pg_dirty;
		break;
	case F_MAPCOUNT:
		*mapcount = 0;
		break;
	}
}
