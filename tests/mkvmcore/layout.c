// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The simulated machine: e820-like RAM ranges, holes, sections, NUMA
 * nodes, KASLR placement and the boot-time (memblock) allocations.
 */
#include <stdlib.h>
#include <string.h>

#include "mkvmcore.h"

#define MIN_RAM (256ULL << 20)
#define LOW_PFN_END 0x100ULL /* first 1 MiB */
#define PCI_HOLE_START (3ULL << 18) /* 3 GiB in pfns */
#define PCI_HOLE_END (4ULL << 18)

static int subtract_hole(struct machine *m, const struct pfn_range *h,
			 struct err *e)
{
	struct pfn_range out[MAX_RANGES] = { { 0, 0 } };
	unsigned int i, n = 0;

	for (i = 0; i < m->nram; i++) {
		struct pfn_range r = m->ram[i];

		if (h->end <= r.start || h->start >= r.end) {
			out[n++] = r;
		} else {
			if (r.start < h->start)
				out[n++] =
					(struct pfn_range){ r.start, h->start };
			if (h->end < r.end)
				out[n++] = (struct pfn_range){ h->end, r.end };
		}
		if (n >= MAX_RANGES - 1)
			return err_set(e, 2, "--holes: too many ranges");
	}
	memcpy(m->ram, out, n * sizeof(out[0]));
	m->nram = n;
	return 0;
}

static int ram_ranges(struct machine *m, struct err *e)
{
	u64 pages = m->opt.ram >> PAGE_SHIFT;
	unsigned int i;

	if (m->opt.ram < MIN_RAM)
		return err_set(
			e, 2,
			"--ram: %llu bytes is less than the minimum 256M (kernel image plus boot allocations)",
			(unsigned long long)m->opt.ram);
	if (m->opt.ram & (PAGE_SIZE - 1))
		return err_set(e, 2, "--ram: size is not a multiple of 4K");
	if (m->opt.ram > (1ULL << 50))
		return err_set(e, 2, "--ram: more than 1P is not supported");
	m->ram[0] = (struct pfn_range){ 1, 0x9f };
	if (pages <= PCI_HOLE_START) {
		m->ram[1] = (struct pfn_range){ LOW_PFN_END, pages };
		m->nram = 2;
	} else {
		m->ram[1] = (struct pfn_range){ LOW_PFN_END, PCI_HOLE_START };
		m->ram[2] = (struct pfn_range){
			PCI_HOLE_END, PCI_HOLE_END + pages - PCI_HOLE_START
		};
		m->nram = 3;
	}
	m->max_pfn = m->ram[m->nram - 1].end;
	for (i = 0; i < m->nholes; i++) {
		const struct pfn_range *h = &m->holes[i];

		if (h->start < LOW_PFN_END)
			return err_set(
				e, 2,
				"--holes: range %#llx-%#llx overlaps the first 1 MiB (pfn 0 and the legacy area stay as on a PC)",
				(unsigned long long)h->start << PAGE_SHIFT,
				(unsigned long long)h->end << PAGE_SHIFT);
		if (h->end > m->max_pfn)
			return err_set(
				e, 2,
				"--holes: range %#llx-%#llx ends beyond the end of RAM %#llx",
				(unsigned long long)h->start << PAGE_SHIFT,
				(unsigned long long)h->end << PAGE_SHIFT,
				(unsigned long long)m->max_pfn << PAGE_SHIFT);
		int rc = subtract_hole(m, h, e);

		if (rc)
			return rc;
	}
	m->max_pfn = m->ram[m->nram - 1].end;
	if (m->max_pfn > 1ULL << (m->max_physmem_bits - PAGE_SHIFT))
		return err_set(
			e, 2,
			"--ram: memory would end above the %u-bit physical address limit of %s",
			m->max_physmem_bits,
			m->opt.l5 ? "5-level paging" :
				    "4-level paging (use --l5)");
	m->ram_pages = 0;
	for (i = 0; i < m->nram; i++)
		m->ram_pages += m->ram[i].end - m->ram[i].start;
	return 0;
}

static u64 ram_in(const struct machine *m, u64 start, u64 end)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < m->nram; i++) {
		u64 a = m->ram[i].start > start ? m->ram[i].start : start;
		u64 b = m->ram[i].end < end ? m->ram[i].end : end;

		if (a < b)
			n += b - a;
	}
	return n;
}

static int sections_and_nodes(struct machine *m, struct err *e)
{
	u64 s, npresent = 0, acc = 0, target;
	unsigned int nid = 0;

	m->nr_sections =
		(m->max_pfn + PAGES_PER_SECTION - 1) >> PFN_SECTION_SHIFT;
	m->sec = calloc(m->nr_sections, sizeof(*m->sec));
	if (!m->sec)
		return err_set(e, 1, "out of memory (sections)");
	for (s = 0; s < m->nr_sections; s++) {
		u64 a = s << PFN_SECTION_SHIFT;

		m->sec[s].present = ram_in(m, a, a + PAGES_PER_SECTION) > 0;
		npresent += m->sec[s].present;
	}
	if (m->opt.nodes == 0 || m->opt.nodes > npresent ||
	    m->opt.nodes > m->kp->max_numnodes)
		return err_set(
			e, 2,
			"--nodes: %u is not between 1 and the %llu present 128 MiB sections",
			m->opt.nodes, (unsigned long long)npresent);
	m->nr_nodes = m->opt.nodes;
	m->node = calloc(m->nr_nodes, sizeof(*m->node));
	if (!m->node)
		return err_set(e, 1, "out of memory (nodes)");
	target = m->ram_pages / m->nr_nodes;
	m->node[0].start_pfn = 0;
	for (s = 0; s < m->nr_sections; s++) {
		u64 a = s << PFN_SECTION_SHIFT;
		u64 left = 0, t;

		if (!m->sec[s].present)
			continue;
		for (t = s; t < m->nr_sections; t++)
			left += m->sec[t].present;
		if (nid + 1 < m->nr_nodes && acc > 0 &&
		    (acc >= target * (nid + 1) ||
		     left <= m->nr_nodes - nid - 1)) {
			m->node[nid].end_pfn = a;
			nid++;
			m->node[nid].start_pfn = a;
		}
		m->sec[s].node = (u16)nid;
		acc += ram_in(m, a, a + PAGES_PER_SECTION);
	}
	m->node[nid].end_pfn = m->nr_sections << PFN_SECTION_SHIFT;
	for (nid = 0; nid < m->nr_nodes; nid++) {
		struct node *n = &m->node[nid];

		n->present_pages = ram_in(m, n->start_pfn, n->end_pfn);
		n->alloc_top =
			n->end_pfn < m->max_pfn ? n->end_pfn : m->max_pfn;
	}
	for (s = 0; s < m->nr_sections; s++)
		m->sec[s].node = (u16)pfn_node(m, s << PFN_SECTION_SHIFT);
	return 0;
}

static int range_is_ram(const struct machine *m, u64 a, u64 b)
{
	return ram_in(m, a, b) == b - a;
}

/* KASLR physical placement: a 2 MiB aligned, all-RAM spot in the lower
 * half of node 0 below 4 GiB; the virtual offset keeps phys_base >= 0. */
static int place_kernel(struct machine *m, struct err *e)
{
	u64 img = m->kp->image_end >> PAGE_SHIFT;
	u64 lo = 0x1000, hi;
	u64 rs = rng_seed(m->opt.seed, 1, 0);
	u64 vmax;

	hi = m->node[0].end_pfn < m->max_pfn ? m->node[0].end_pfn : m->max_pfn;
	if (hi > PCI_HOLE_START)
		hi = PCI_HOLE_START;
	hi = hi / 2 > lo + img ? hi / 2 : hi;
	if (!m->opt.kaslr) {
		if (!range_is_ram(m, lo, lo + img))
			return err_set(
				e, 2,
				"--holes: a hole overlaps the kernel image at 0x1000000-%#llx",
				(unsigned long long)(lo + img) << PAGE_SHIFT);
		m->phys_load = lo << PAGE_SHIFT;
	} else {
		u64 p, n = 0, pick;

		for (p = lo; p + img <= hi; p += 512)
			n += range_is_ram(m, p, p + img);
		if (!n)
			return err_set(
				e, 2,
				"--holes: no room left for the kernel image (40 MiB of RAM below %#llx)",
				(unsigned long long)hi << PAGE_SHIFT);
		pick = rng_below(&rs, n);
		for (p = lo; p + img <= hi; p += 512)
			if (range_is_ram(m, p, p + img) && !pick--)
				break;
		m->phys_load = p << PAGE_SHIFT;
	}
	vmax = m->phys_load - (16ULL << 20);
	if (vmax > (1ULL << 30) - (16ULL << 20) - m->kp->image_end)
		vmax = (1ULL << 30) - (16ULL << 20) - m->kp->image_end;
	m->kernel_voffset =
		m->opt.kaslr ? (rng_below(&rs, (vmax >> 21) + 1) << 21) : 0;
	m->phys_base = m->phys_load - (16ULL << 20) - m->kernel_voffset;
	return 0;
}

/* kernel_randomize_memory(): direct map, vmalloc, vmemmap bases. */
static void randomize_memory(struct machine *m)
{
	const u64 tb = 1ULL << 40, pud = 1ULL << 30;
	u64 size_tb[3], start, end, vaddr, remain, rs;
	u64 *base[3] = { &m->page_offset_base, &m->vmalloc_base,
			 &m->vmemmap_base };
	u64 mem_tb;
	int i;

	if (m->opt.l5) {
		m->page_offset_base = 0xff11000000000000ULL;
		m->vmalloc_base = 0xffa0000000000000ULL;
		m->vmemmap_base = 0xffd4000000000000ULL;
	} else {
		m->page_offset_base = 0xffff888000000000ULL;
		m->vmalloc_base = 0xffffc90000000000ULL;
		m->vmemmap_base = 0xffffea0000000000ULL;
	}
	if (!m->opt.kaslr)
		return;
	start = m->page_offset_base;
	end = 0xffffff0000000000ULL; /* ESPFIX_BASE_ADDR */
	size_tb[0] = 1ULL << (m->max_physmem_bits - 40);
	mem_tb = ((m->max_pfn << PAGE_SHIFT) + tb - 1) / tb + 10;
	if (mem_tb < size_tb[0])
		size_tb[0] = mem_tb;
	size_tb[1] = m->opt.l5 ? 12800 : 32;
	size_tb[2] = ((size_tb[0] << 28) * 64 + tb - 1) / tb;
	remain = end - start;
	for (i = 0; i < 3; i++)
		remain -= size_tb[i] * tb;
	rs = rng_seed(m->opt.seed, 2, 0);
	vaddr = start;
	for (i = 0; i < 3; i++) {
		u64 ent = remain / (u64)(3 - i);

		ent = (rng_next(&rs) % (ent + 1)) & ~(pud - 1);
		vaddr += ent;
		*base[i] = vaddr;
		vaddr += size_tb[i] * tb;
		vaddr = (vaddr + 1 + pud - 1) & ~(pud - 1);
		remain -= ent;
	}
}

int layout_machine(struct machine *m, struct err *e)
{
	int rc;

	m->max_physmem_bits = m->opt.l5 ? 52 : 46;
	m->nr_section_roots = (1ULL << (m->max_physmem_bits - 27)) /
			      (PAGE_SIZE / m->kp->size_mem_section);
	rc = ram_ranges(m, e);
	if (rc)
		return rc;
	rc = sections_and_nodes(m, e);
	if (rc)
		return rc;
	rc = place_kernel(m, e);
	if (rc)
		return rc;
	randomize_memory(m);
	m->nr_cpus = (unsigned int)(m->opt.ram >> 32);
	if (m->nr_cpus < 2)
		m->nr_cpus = 2;
	if (m->nr_cpus > 64)
		m->nr_cpus = 64;
	m->crashtime = 1700000000ULL + m->opt.seed % 1000000;
	return 0;
}

/* Ranges no boot allocation may take: legacy 1 MiB and the kernel. */
static int overlaps_fixed(const struct machine *m, u64 a, u64 b)
{
	u64 k = m->phys_load >> PAGE_SHIFT;
	u64 ke = k + (m->kp->image_end >> PAGE_SHIFT);

	return a < LOW_PFN_END || (a < ke && b > k);
}

/* Top-down memblock allocation inside one node; 0 on failure. */
u64 memblock_alloc(struct machine *m, unsigned int nid, u64 npages, u64 align)
{
	struct node *n = &m->node[nid];
	u64 top = n->alloc_top;
	int i;

	while (top > n->start_pfn) {
		u64 rtop, a;

		for (i = (int)m->nram - 1; i >= 0; i--)
			if (m->ram[i].start < top)
				break;
		if (i < 0)
			return 0;
		rtop = m->ram[i].end < top ? m->ram[i].end : top;
		if (rtop - m->ram[i].start < npages) {
			top = m->ram[i].start;
			continue;
		}
		a = (rtop - npages) & ~(align - 1);
		if (a < m->ram[i].start) {
			top = m->ram[i].start;
			continue;
		}
		if (a < n->start_pfn || a < LOW_PFN_END)
			return 0;
		if (overlaps_fixed(m, a, a + npages)) {
			top = m->phys_load >> PAGE_SHIFT;
			continue;
		}
		n->alloc_top = a;
		return a;
	}
	return 0;
}
