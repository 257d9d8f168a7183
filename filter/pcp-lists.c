// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The per-CPU free lists walked with a vmlinux's layouts: see
 * filter/pcp-lists.h and docs/page-classification.md.
 *
 * A list is a ring through a list head in the CPU's struct per_cpu_pages:
 * head.next is the first entry's link (struct page pcp_list or lru), each
 * entry's next the following one's, the last one's next the head; every
 * prev points back. A struct per_cpu_pages is found at the zone's __percpu
 * pointer plus __per_cpu_offset[cpu]; symbols are link-time addresses
 * plus KERNELOFFSET.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcp-lists.h"

/* The most CPUs and nodes read (NR_CPUS and MAX_NUMNODES of x86_64). */
#define MAX_CPUS 8192u
#define MAX_NODES 1024u

struct walk {
	const struct vt_pcp_kernel *k;
	const struct vt_pcp *p;
	const struct vt_pcp_reader *rd;
	struct vt_pcp_listed *out;
	struct vt_range_list one; /* the blocks of one struct per_cpu_pages */
};

static bool rd64(const struct vt_pcp_reader *rd, uint64_t va, uint64_t *v)
{
	return rd->read(rd->arg, va, v, sizeof(*v)); /* little-endian */
}

/*
 * One list of order @order at @head (its next and prev already read) into
 * w->one; its pages added to *pages. False when its walk fails.
 */
static bool walk_list(struct walk *w, uint64_t head, const uint64_t hp[2],
		      int order, uint64_t *pages, uint64_t *entries)
{
	uint64_t link = hp[0], prev = head, pfn, next;
	uint64_t size = 1ULL << order;
	unsigned int steps = 0;

	if (!hp[0] && !hp[1])
		return true; /* never initialised: no entry */
	while (link != head) {
		if (++steps > VT_PCP_STEP_LIMIT ||
		    !vt_pcp_entry(w->p, w->rd, link, prev, &pfn, &next) ||
		    pfn & (size - 1))
			return false;
		if (vt_range_list_add(&w->one, pfn, pfn + size))
			return false; /* out of memory: kept */
		*pages += size;
		++*entries;
		prev = link;
		link = next;
	}
	return hp[1] == prev;
}

/* The lists of the struct per_cpu_pages at @pcp. */
static struct vt_error *walk_pcp(struct walk *w, uint64_t pcp)
{
	const struct vt_pcp_kernel *k = w->k;
	uint64_t pages = 0, entries = 0, *heads;
	bool ok;
	int32_t count;

	heads = malloc(k->nr_lists * 16);
	if (!heads)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	w->one.nr = w->one.sorted = 0;
	ok = w->rd->read(w->rd->arg, pcp + k->off_pcp_count, &count,
			 sizeof(count)) &&
	     w->rd->read(w->rd->arg, pcp + k->off_pcp_lists, heads,
			 k->nr_lists * 16);
	for (uint64_t i = 0; ok && i < k->nr_lists; i++)
		ok = walk_list(
			w, pcp + k->off_pcp_lists + 16 * i, heads + 2 * i,
			vt_pcp_list_order(i, k->nr_lists, k->migrate_pcptypes,
					  k->order0_only),
			&pages, &entries);
	free(heads);
	if (!ok || count < 0 || (uint64_t)count != pages) {
		w->out->lists_kept += k->nr_lists;
		return NULL;
	}
	w->out->lists += k->nr_lists;
	w->out->entries += entries;
	w->out->pages += pages;
	for (size_t i = 0; i < w->one.nr; i++)
		if (vt_range_list_add(&w->out->free, w->one.r[i].start,
				      w->one.r[i].end))
			return vt_error_new(VT_ERR_NOMEM, "out of memory");
	return NULL;
}

/* The lists of every zone of the node at @pgdat, for each CPU's offset. */
static struct vt_error *walk_node(struct walk *w, uint64_t pgdat,
				  const uint64_t *cpu_off, uint64_t cpus)
{
	const struct vt_pcp_kernel *k = w->k;

	for (uint64_t z = 0; z < k->nr_zones; z++) {
		uint64_t zone = pgdat + k->off_node_zones + z * k->size_zone;
		uint64_t ptr;

		if (!rd64(w->rd, zone + k->off_zone_pcp, &ptr)) {
			w->out->lists_kept += k->nr_lists * cpus;
			continue;
		}
		if (!ptr)
			continue; /* no lists */
		for (uint64_t c = 0; c < cpus; c++) {
			struct vt_error *err = walk_pcp(
				w, ptr + cpu_off[c] + k->off_pageset_pcp);

			if (err)
				return err;
		}
	}
	return NULL;
}

/* Is the dump's kernel the vmlinux's? Its linux_banner bytes, compared. */
static bool same_kernel(const struct vt_pcp_kernel *k,
			const struct vt_pcp_reader *rd, uint64_t koff,
			const char *osrelease, char *why, size_t why_len)
{
	char mem[VT_PCP_BANNER_MAX], want[96];

	snprintf(want, sizeof(want), "Linux version %s ", osrelease);
	if (osrelease[0] && strncmp(k->banner, want, strlen(want))) {
		snprintf(why, why_len,
			 "it is not the vmlinux of the dump's kernel %s",
			 osrelease);
		return false;
	}
	if (!rd->read(rd->arg, k->linux_banner + koff, mem, k->banner_len) ||
	    memcmp(mem, k->banner, k->banner_len)) {
		snprintf(why, why_len,
			 "its linux_banner is not the dump's (another build)");
		return false;
	}
	return true;
}

/* The CPUs' per-CPU offsets: nr_cpu_ids of __per_cpu_offset[]. */
static uint64_t *cpu_offsets(const struct vt_pcp_kernel *k,
			     const struct vt_pcp_reader *rd, uint64_t koff,
			     uint64_t *cpus)
{
	uint32_t ids = 0;
	uint64_t n = k->nr_per_cpu_offset, *off;

	if (k->nr_cpu_ids &&
	    rd->read(rd->arg, k->nr_cpu_ids + koff, &ids, sizeof(ids)) && ids &&
	    ids < n)
		n = ids;
	if (n > MAX_CPUS)
		n = MAX_CPUS;
	off = malloc(n * 8);
	if (off && !rd->read(rd->arg, k->per_cpu_offset + koff, off, n * 8)) {
		free(off);
		return NULL;
	}
	*cpus = n;
	return off;
}

struct vt_error *vt_pcp_walk(const struct vt_pcp_kernel *k,
			     const struct vt_pcp *p,
			     const struct vt_pcp_reader *rd,
			     uint64_t kernel_offset, const char *osrelease,
			     struct vt_pcp_listed **out, char *why,
			     size_t why_len)
{
	struct walk w = { k, p, rd, NULL, { 0 } };
	struct vt_error *err = NULL;
	uint64_t *cpu_off, cpus = 0, nodes;

	*out = NULL;
	if (k->unknown[0]) {
		snprintf(why, why_len, "%s", k->unknown);
		return NULL;
	}
	if (vt_pcp_list_order(0, k->nr_lists, k->migrate_pcptypes,
			      k->order0_only) < 0) {
		snprintf(why, why_len, "%llu per-CPU lists: no known kernel's",
			 (unsigned long long)k->nr_lists);
		return NULL;
	}
	if (!p) {
		snprintf(why, why_len,
			 "VMCOREINFO lacks the struct page fields a list "
			 "entry is checked by");
		return NULL;
	}
	if (vt_pcp_link_offset(p) != k->off_page_link) {
		snprintf(why, why_len,
			 "its list link is not VMCOREINFO's page.lru");
		return NULL;
	}
	if (!same_kernel(k, rd, kernel_offset, osrelease, why, why_len))
		return NULL;
	cpu_off = cpu_offsets(k, rd, kernel_offset, &cpus);
	if (!cpu_off) {
		snprintf(why, why_len, "__per_cpu_offset cannot be read");
		return NULL;
	}
	w.out = calloc(1, sizeof(*w.out));
	if (!w.out) {
		free(cpu_off);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	nodes = k->node_data ? k->nr_node_data : 1;
	if (nodes > MAX_NODES)
		nodes = MAX_NODES;
	for (uint64_t n = 0; n < nodes && !err; n++) {
		uint64_t pgdat = k->contig_page_data + kernel_offset;

		if (k->node_data &&
		    !rd64(rd, k->node_data + kernel_offset + 8 * n, &pgdat))
			continue;
		if (pgdat)
			err = walk_node(&w, pgdat, cpu_off, cpus);
	}
	free(cpu_off);
	vt_range_list_clear(&w.one);
	if (err) {
		vt_pcp_listed_free(w.out);
		return err;
	}
	vt_range_list_sort(&w.out->free);
	*out = w.out;
	return NULL;
}

void vt_pcp_listed_free(struct vt_pcp_listed *l)
{
	if (!l)
		return;
	vt_range_list_clear(&l->free);
	free(l);
}
