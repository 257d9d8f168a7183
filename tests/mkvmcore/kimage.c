// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel image (text, rodata, data with the variables readers look
 * up, freed init and gap memory, bss, brk) and the boot data structures
 * outside it: mem_section roots and pglist_data.
 */
#include <stdlib.h>
#include <string.h>

#include "mkvmcore.h"

#define KTEXT_VBASE 0xffffffff81000000ULL

static u64 ksym(const struct machine *m, u64 rel)
{
	return KTEXT_VBASE + m->kernel_voffset + rel;
}

static void put64(u8 *img, u64 off, u64 v)
{
	memcpy(img + off, &v, sizeof(v));
}

static void fill(u8 *img, u64 a, u64 b, enum content k, u64 pfn0)
{
	for (a &= ~(PAGE_SIZE - 1); a < b; a += PAGE_SIZE)
		content_fill(img + a, k, pfn0 + (a >> PAGE_SHIFT));
}

static void put_uts(const struct machine *m, u8 *img)
{
	u8 *u = img + m->kp->sym_init_uts_ns;

	memset(u, 0, 432); /* sizeof(struct uts_namespace) */
	strcpy((char *)u, "Linux");
	strcpy((char *)u + 65, "mkvmcore");
	strcpy((char *)u + 130, m->kp->osrelease);
	strcpy((char *)u + 195, m->kp->uts_version);
	strcpy((char *)u + 260, "x86_64");
	strcpy((char *)u + 325, "(none)");
}

static void put_variables(const struct machine *m, u8 *img)
{
	const struct kprofile *kp = m->kp;
	u64 nodemask[16] = { 0 };
	unsigned int n;

	put_uts(m, img);
	for (n = 0; n < m->nr_nodes; n++) {
		nodemask[n / 64] |= 1ULL << (n % 64);
		put64(img, kp->sym_node_data + 8 * n,
		      m->page_offset_base + m->node[n].pgdat_paddr);
	}
	memcpy(img + kp->sym_node_online_map, nodemask, sizeof(nodemask));
	put64(img, kp->sym_vmap_area_list, ksym(m, kp->sym_vmap_area_list));
	put64(img, kp->sym_vmap_area_list + 8, ksym(m, kp->sym_vmap_area_list));
	put64(img, kp->sym_mem_section, m->mem_section_array);
	put64(img, kp->sym_page_offset_base, m->page_offset_base);
	put64(img, kp->sym_vmemmap_base, m->vmemmap_base);
	put64(img, kp->sym_vmalloc_base, m->vmalloc_base);
	put64(img, kp->sym_phys_base, m->phys_base);
}

static void put_tables(const struct machine *m, u8 *img)
{
	const struct kprofile *kp = m->kp;
	const u64 rels[] = { kp->sym_init_top_pgt, kp->sym_level4_kernel_pgt,
			     kp->sym_level3_kernel_pgt,
			     kp->sym_level2_kernel_pgt };
	size_t i;

	for (i = 0; i < 4; i++) {
		long t = pgtable_fixed_at(m, m->phys_load + rels[i]);

		memset(img + rels[i], 0, PAGE_SIZE);
		if (t >= 0)
			pgtable_serialize(m, (size_t)t, (u64 *)(img + rels[i]));
	}
}

static void build_image(const struct machine *m, u8 *img)
{
	const struct kprofile *kp = m->kp;
	u64 p0 = m->phys_load >> PAGE_SHIFT, a;

	fill(img, 0, kp->text_end, K_CODE, p0);
	fill(img, kp->rodata_start, kp->rodata_end, K_TEXT, p0);
	for (a = kp->rodata_start; a < kp->rodata_end; a += 3 * PAGE_SIZE)
		content_fill(img + a, K_PTR, p0 + (a >> PAGE_SHIFT));
	fill(img, kp->data_start, kp->init_begin, K_PTR, p0);
	fill(img, kp->init_end, kp->bss_start, K_MIXED, p0);
	for (a = kp->bss_start; a < kp->brk_base; a += 4 * PAGE_SIZE)
		content_fill(img + a, K_MIXED, p0 + (a >> PAGE_SHIFT));
	fill(img, kp->brk_base, kp->brk_base + 8 * PAGE_SIZE, K_PTR, p0);
	/* freed to the buddy allocator after boot, poisoned */
	fill(img, (kp->text_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1),
	     kp->rodata_start, K_POISON, p0);
	fill(img, kp->rodata_end, kp->data_start, K_POISON, p0);
	fill(img, kp->init_begin, kp->init_end, K_POISON, p0);
	put_variables(m, img);
	put_tables(m, img);
}

/* Image pieces with their class, in address order. */
static int write_pieces(struct machine *m, const u8 *img, struct err *e)
{
	const struct kprofile *kp = m->kp;
	const u64 te = (kp->text_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	const struct {
		u64 a, b;
		u8 cls;
	} pc[] = {
		{ 0, te, C_KERNEL },
		{ te, kp->rodata_start, C_FREE },
		{ kp->rodata_start, kp->rodata_end, C_KERNEL },
		{ kp->rodata_end, kp->data_start, C_FREE },
		{ kp->data_start, kp->init_begin, C_KERNEL },
		{ kp->init_begin, kp->init_end, C_FREE },
		{ kp->init_end, kp->image_end, C_KERNEL },
	};
	u64 p0 = m->phys_load >> PAGE_SHIFT;
	size_t i;

	for (i = 0; i < sizeof(pc) / sizeof(pc[0]); i++) {
		int rc = write_owned(
			m, p0 + (pc[i].a >> PAGE_SHIFT), img + pc[i].a,
			(pc[i].b - pc[i].a) >> PAGE_SHIFT, pc[i].cls, e);
		if (rc)
			return rc;
	}
	return 0;
}

int kimage_write(struct machine *m, struct err *e)
{
	u64 size = m->kp->image_end, off;
	u8 *img = calloc(1, size);
	int rc;

	if (!img)
		return err_set(e, 1, "out of memory (kernel image)");
	build_image(m, img);
	rc = write_pieces(m, img, e);
	/* the kernel-text PT_LOAD carries a second copy */
	for (off = 0; !rc && off < size; off += PAGE_SIZE) {
		const u64 *w = (const u64 *)(img + off);
		size_t i;

		for (i = 0; i < PAGE_SIZE / 8 && !w[i]; i++)
			;
		if (i < PAGE_SIZE / 8)
			rc = write_at(m->fd, img + off, PAGE_SIZE,
				      m->ktext_off + off, e);
	}
	free(img);
	return rc;
}

static int write_mem_section(struct machine *m, struct err *e)
{
	u64 arr_pages = (m->nr_section_roots * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
	u64 nroot = (m->nr_sections + 255) / 256, r, rank = 0, s;
	u8 *arr = calloc(arr_pages, PAGE_SIZE);
	u8 *roots = calloc(m->nr_roots_used ? m->nr_roots_used : 1, PAGE_SIZE);
	int rc;

	if (!arr || !roots) {
		free(arr);
		free(roots);
		return err_set(e, 1, "out of memory (mem_section)");
	}
	for (r = 0; r < nroot; r++) {
		u8 *page = roots + rank * PAGE_SIZE;
		int used = 0;

		for (s = r * 256; s < (r + 1) * 256 && s < m->nr_sections;
		     s++) {
			u64 smm = m->vmemmap_base | m->kp->section_flags_boot;
			u64 usage = m->page_offset_base +
				    m->node[m->sec[s].node].pgdat_paddr +
				    0x2b000 + (s % 64) * 64;

			if (!m->sec[s].present)
				continue;
			used = 1;
			memcpy(page + (s % 256) * 16, &smm, 8);
			memcpy(page + (s % 256) * 16 + 8, &usage, 8);
		}
		if (!used)
			continue;
		s = m->page_offset_base +
		    ((m->mem_section_roots_pfn + rank) << PAGE_SHIFT);
		memcpy(arr + r * 8, &s, 8);
		rank++;
	}
	rc = write_owned(m, m->mem_section_array_pfn, arr, arr_pages,
			 C_RESERVED, e);
	if (!rc)
		rc = write_owned(m, m->mem_section_roots_pfn, roots,
				 m->nr_roots_used, C_RESERVED, e);
	free(arr);
	free(roots);
	return rc;
}

static int write_pgdat(struct machine *m, unsigned int nid, struct err *e)
{
	const struct kprofile *kp = m->kp;
	const struct node *n = &m->node[nid];
	u8 *buf = calloc(44, PAGE_SIZE);
	u64 v;
	int rc;

	if (!buf)
		return err_set(e, 1, "out of memory (pglist_data)");
	put64(buf, kp->pgdat_node_start_pfn, n->start_pfn);
	put64(buf, kp->pgdat_node_present_pages, n->present_pages);
	v = (n->end_pfn < m->max_pfn ? n->end_pfn : m->max_pfn) - n->start_pfn;
	put64(buf, kp->pgdat_node_spanned_pages, v);
	v = nid;
	memcpy(buf + kp->pgdat_node_id, &v, 4);
	/* DMA, DMA32, Normal, Movable; DMA32 only below 4 GiB */
	v = n->start_pfn < (1ULL << 20) ? 3 : 4;
	memcpy(buf + kp->pgdat_nr_zones, &v, 4);
	rc = write_owned(m, n->pgdat_paddr >> PAGE_SHIFT, buf, 44, C_RESERVED,
			 e);
	free(buf);
	return rc;
}

int kdata_write(struct machine *m, struct err *e)
{
	unsigned int n;
	int rc = write_mem_section(m, e);

	for (n = 0; n < m->nr_nodes && !rc; n++)
		rc = write_pgdat(m, n, e);
	return rc;
}
