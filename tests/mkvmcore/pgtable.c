// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel page tables under init_top_pgt: kernel text (2 MiB), direct map
 * (1 GiB / 2 MiB / 4 KiB as the ranges allow) and vmemmap (2 MiB leaves,
 * or 4 KiB PTE tables for --vmemmap-4k and HVO sections); 4 or 5 levels.
 */
#include <stdlib.h>
#include <string.h>

#include "mkvmcore.h"

#define PT_CHILD (1ULL << 62) /* entry names a table index */
#define PT_FIXED_NONE UINT64_MAX
#define KERNPG_TABLE 0x63ULL
#define PAGE_KERNEL 0x8000000000000163ULL
#define PAGE_KERNEL_RO 0x8000000000000161ULL
#define PAGE_KERNEL_LARGE 0x80000000000001e3ULL
#define PAGE_KERNEL_LARGE_EXEC 0x1e3ULL

struct pgtables {
	u64 (*tab)[512];
	u64 *phys; /* PT_FIXED_NONE until assigned */
	size_t n, cap;
	size_t used_pool;
};

static int pt_new(struct machine *m, u64 phys, size_t *idx, struct err *e)
{
	struct pgtables *pt = m->pt;

	if (pt->n == pt->cap) {
		size_t cap = pt->cap ? pt->cap * 2 : 64;
		void *t = realloc(pt->tab, cap * sizeof(*pt->tab));
		void *p;

		if (!t)
			return err_set(e, 1, "out of memory (page tables)");
		pt->tab = t;
		p = realloc(pt->phys, cap * sizeof(u64));
		if (!p)
			return err_set(e, 1, "out of memory (page tables)");
		pt->phys = p;
		pt->cap = cap;
	}
	memset(pt->tab[pt->n], 0, sizeof(pt->tab[0]));
	pt->phys[pt->n] = phys;
	*idx = pt->n++;
	return 0;
}

static unsigned int pt_index(u64 vaddr, int level)
{
	return (unsigned int)(vaddr >> (12 + 9 * (level - 1))) & 511;
}

/* The table of `level` (1 = PTE table) covering vaddr, created on need. */
static int pt_table(struct machine *m, u64 vaddr, int level, size_t *out,
		    struct err *e)
{
	struct pgtables *pt = m->pt;
	size_t t = 0, c;
	int l = m->opt.l5 ? 5 : 4, rc;

	for (; l > level; l--) {
		u64 *ent = &pt->tab[t][pt_index(vaddr, l)];

		if (!*ent) {
			rc = pt_new(m, PT_FIXED_NONE, &c, e);
			if (rc)
				return rc;
			ent = &pt->tab[t][pt_index(vaddr, l)];
			*ent = PT_CHILD | ((u64)c << 12) | KERNPG_TABLE;
		}
		if (!(*ent & PT_CHILD))
			return err_set(
				e, 1,
				"internal: leaf where table needed at %#llx",
				(unsigned long long)vaddr);
		t = (size_t)((*ent & ~PT_CHILD) >> 12);
	}
	*out = t;
	return 0;
}

static int pt_map(struct machine *m, u64 vaddr, u64 paddr, int level, u64 flags,
		  struct err *e)
{
	size_t t = 0;
	int rc = pt_table(m, vaddr, level, &t, e);

	if (!rc)
		m->pt->tab[t][pt_index(vaddr, level)] = paddr | flags;
	return rc;
}

static int map_kernel_text(struct machine *m, struct err *e)
{
	const struct kprofile *kp = m->kp;
	u64 load = m->phys_load, off,
	    v = 0xffffffff81000000ULL + m->kernel_voffset;
	size_t t;
	int rc;

	/* the kernel's own static tables live in its image */
	if (m->opt.l5) {
		rc = pt_new(m, load + kp->sym_level4_kernel_pgt, &t, e);
		if (rc)
			return rc;
		m->pt->tab[0][511] = PT_CHILD | ((u64)t << 12) | KERNPG_TABLE;
	}
	rc = pt_new(m, load + kp->sym_level3_kernel_pgt, &t, e);
	if (rc)
		return rc;
	m->pt->tab[m->opt.l5 ? 1 : 0][511] =
		PT_CHILD | ((u64)t << 12) | KERNPG_TABLE;
	rc = pt_new(m, load + kp->sym_level2_kernel_pgt, &t, e);
	if (rc)
		return rc;
	m->pt->tab[t - 1][510] = PT_CHILD | ((u64)t << 12) | KERNPG_TABLE;
	for (off = 0; off < kp->image_end && !rc; off += 1UL << 21)
		rc = pt_map(m, v + off, load + off, 2, PAGE_KERNEL_LARGE_EXEC,
			    e);
	return rc;
}

static int map_direct_range(struct machine *m, u64 a, u64 b, struct err *e)
{
	const u64 g = 1ULL << 30, mb2 = 1ULL << 21;
	int rc = 0;

	while (a < b && !rc) {
		u64 v = m->page_offset_base + a;

		if (!(a & (g - 1)) && a + g <= b) {
			rc = pt_map(m, v, a, 3, PAGE_KERNEL_LARGE, e);
			a += g;
		} else if (!(a & (mb2 - 1)) && a + mb2 <= b) {
			rc = pt_map(m, v, a, 2, PAGE_KERNEL_LARGE, e);
			a += mb2;
		} else {
			rc = pt_map(m, v, a, 1, PAGE_KERNEL, e);
			a += PAGE_SIZE;
		}
	}
	return rc;
}

static int map_direct(struct machine *m, struct err *e)
{
	unsigned int i;
	int rc = map_direct_range(m, 0, 1ULL << 20, e);

	for (i = 0; i < m->nram && !rc; i++) {
		u64 a = m->ram[i].start << PAGE_SHIFT;

		if (a < (1ULL << 20))
			continue;
		rc = map_direct_range(m, a, m->ram[i].end << PAGE_SHIFT, e);
	}
	return rc;
}

/* Physical page holding the struct pages of pfn (through the mapping
 * that a reader walking the page tables would follow). */
u64 vmemmap_page_pfn(const struct machine *m, u64 pfn, int *shared)
{
	const struct section *sec = &m->sec[pfn >> PFN_SECTION_SHIFT];
	u64 g = (pfn & (PAGES_PER_SECTION - 1)) >> 6, h;

	*shared = 0;
	if (sec->mode == VMM_PTE_4K)
		return sec->vmm_pfn - g;
	if (sec->mode == VMM_PTE_SPLIT && pfn_in_hvo(m, pfn, &h) &&
	    ((pfn - h) >> 6) != 0) {
		*shared = 1;
		return sec->vmm_pfn + ((h & (PAGES_PER_SECTION - 1)) >> 6);
	}
	return sec->vmm_pfn + g;
}

static int map_vmemmap(struct machine *m, struct err *e)
{
	u64 s, g, ph;
	int rc = 0, shared;

	for (s = 0; s < m->nr_sections && !rc; s++) {
		const struct section *sec = &m->sec[s];
		u64 v = m->vmemmap_base + (s << 21);

		if (sec->mode == VMM_NONE)
			continue;
		if (sec->mode == VMM_PMD) {
			rc = pt_map(m, v, sec->vmm_pfn << PAGE_SHIFT, 2,
				    PAGE_KERNEL_LARGE, e);
			continue;
		}
		for (g = 0; g < 512 && !rc; g++) {
			ph = vmemmap_page_pfn(
				m, (s << PFN_SECTION_SHIFT) + g * 64, &shared);
			rc = pt_map(m, v + g * PAGE_SIZE, ph << PAGE_SHIFT, 1,
				    shared ? PAGE_KERNEL_RO : PAGE_KERNEL, e);
		}
	}
	return rc;
}

int pgtables_build(struct machine *m, struct err *e)
{
	size_t root;
	int rc;

	m->pt = calloc(1, sizeof(*m->pt));
	if (!m->pt)
		return err_set(e, 1, "out of memory (page tables)");
	rc = pt_new(m, m->phys_load + m->kp->sym_init_top_pgt, &root, e);
	if (!rc)
		rc = map_kernel_text(m, e);
	if (!rc)
		rc = map_direct(m, e);
	if (!rc)
		rc = map_vmemmap(m, e);
	return rc;
}

/* One table with child indexes turned into physical addresses. */
void pgtable_serialize(const struct machine *m, size_t idx, u64 *out)
{
	const struct pgtables *pt = m->pt;
	unsigned int i;

	for (i = 0; i < 512; i++) {
		u64 v = pt->tab[idx][i];

		if (v & PT_CHILD) {
			size_t c = (size_t)((v & ~PT_CHILD) >> 12);

			v = pt->phys[c] | (v & 0xfff);
		}
		out[i] = v;
	}
}

/* Fixed (in-image) table at paddr, or -1. */
long pgtable_fixed_at(const struct machine *m, u64 paddr)
{
	size_t i;

	for (i = 0; i < m->pt->n; i++)
		if (m->pt->phys[i] == paddr)
			return (long)i;
	return -1;
}

int pgtables_write(struct machine *m, struct err *e)
{
	struct pgtables *pt = m->pt;
	size_t i, k = 0;
	u8 *buf;
	int rc;

	for (i = 0; i < pt->n; i++)
		if (pt->phys[i] == PT_FIXED_NONE) {
			if (k == m->pool_pages)
				return err_set(
					e, 1,
					"internal: page-table pool too small");
			pt->phys[i] = (m->pool_pfn + k++) << PAGE_SHIFT;
		}
	pt->used_pool = k;
	buf = calloc(k ? k : 1, PAGE_SIZE);
	if (!buf)
		return err_set(e, 1, "out of memory (page tables)");
	for (i = 0; i < pt->n; i++)
		if (pt->phys[i] >= m->pool_pfn << PAGE_SHIFT &&
		    pt->phys[i] < (m->pool_pfn + k) << PAGE_SHIFT)
			pgtable_serialize(
				m, i,
				(u64 *)(buf + (pt->phys[i] -
					       (m->pool_pfn << PAGE_SHIFT))));
	rc = write_owned(m, m->pool_pfn, buf, k, C_PAGETABLE, e);
	free(buf);
	if (!rc)
		rc = add_extent(m, m->pool_pfn + k, m->pool_pages - k, C_FREE,
				K_ZERO, 0, e);
	return rc;
}
