/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The critical set: the pfns any analysis of a dump reads before it can do
 * anything else (docs/robustness.md, "A full disk: what goes first"), found
 * from the dump alone, as sorted, merged pfn ranges. Written first, they
 * leave a dump that crash opens when the disk fills up before the rest.
 *
 * Memory is one range per piece found, never one bit per pfn: at most one
 * range per page-table page, per kernel-image leaf, per vmemmap leaf, per
 * mem_section root page, per node-data page, per CPU stack page and per
 * log page (16 bytes each), and fewer as
 * neighbours merge; a few thousand ranges on the real fixture's dumps.
 */
#ifndef VMEMTRIM_FILTER_CRITICAL_H
#define VMEMTRIM_FILTER_CRITICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_dump;
struct vt_kernel_profile;
struct vt_x86_64;

/*
 * In the order to write them: what a debugger reads at start-up, the
 * small kinds first; then the vmemmap (read by kmem, not at start-up);
 * the BTF last.
 */
enum vt_critical_kind {
	VT_CRIT_TABLES, /* page-table pages reachable from init_top_pgt */
	VT_CRIT_ROOTS, /* mem_section's root array and roots */
	VT_CRIT_NODES, /* each node's pglist_data (zones, free lists) */
	VT_CRIT_STACKS, /* the stack each CPU was on (NT_PRSTATUS rsp) */
	VT_CRIT_PERCPU, /* each CPU's static per-CPU area (kallsyms) */
	VT_CRIT_TEXT, /* the image's text that those stacks return to */
	VT_CRIT_SLAB, /* the kmem_caches and the pid xarray's nodes */
	VT_CRIT_LOG, /* the kernel log: printk ring and its descriptors */
	VT_CRIT_IMAGE, /* the kernel image's writable pages: data, bss */
	VT_CRIT_RODATA, /* its read-only data (its text is in vmlinux) */
	/* vmemmap pages describing the pfns dumped: no start-up read */
	VT_CRIT_VMEMMAP,
	/* its BTF (type data, in vmlinux too): read-only data, written last */
	VT_CRIT_BTF,
	VT_CRIT_KINDS
};

/* "page tables", "mem_section roots", "node data", "CPU stacks",
   "per-CPU areas", "slab caches and pid nodes",
   "kernel text the stacks return to", "log", "vmemmap", "kernel data",
   "kernel read-only data", "kernel BTF" */
const char *vt_critical_kind_name(enum vt_critical_kind k);

struct vt_pfn_range {
	uint64_t start, end; /* [start, end) */
};

/* A sorted list of disjoint, non-adjacent pfn ranges. */
struct vt_range_list {
	struct vt_pfn_range *r;
	size_t nr, cap;
	size_t sorted; /* r[0..sorted) is sorted and merged */
};

struct vt_critical {
	struct vt_range_list all; /* the union of the kinds */
	struct vt_range_list kind[VT_CRIT_KINDS];
	uint64_t pages[VT_CRIT_KINDS]; /* pfns in each kind's list */
	uint64_t total; /* pfns in all */
	/*
	 * Why a kind could not be found (its VMCOREINFO keys are missing,
	 * its pointers cannot be read), or NULL; that kind is then empty or
	 * holds what was found before the failure.
	 */
	struct vt_error *why[VT_CRIT_KINDS];
};

/*
 * Which pfns the dump being written holds: @fn gives the state of @pfn and
 * the end of its run, as vt_dump_pfn_run(). NULL: the pfns @dump holds.
 */
struct vt_critical_dumped {
	struct vt_error *(*fn)(void *arg, uint64_t pfn, bool *dumped,
			       uint64_t *run_end);
	void *arg;
};

/*
 * Find the critical set of @dump (@kp its profile, @x its page tables).
 * Errors only for failures to read the dump and for memory; a kind that
 * cannot be found is noted in why[].
 */
struct vt_error *vt_critical_find(struct vt_dump *dump,
				  const struct vt_kernel_profile *kp,
				  struct vt_x86_64 *x,
				  const struct vt_critical_dumped *dumped,
				  struct vt_critical **out);
void vt_critical_free(struct vt_critical *c);

/* The first range of @l (sorted) that ends after @pfn (nr if none). */
size_t vt_range_list_first_after(const struct vt_range_list *l, uint64_t pfn);

/* Is @pfn in @l (sorted)? */
bool vt_range_list_has(const struct vt_range_list *l, uint64_t pfn);

/* Add [start, end) to @l; vt_range_list_sort() before reading it. */
struct vt_error *vt_range_list_add(struct vt_range_list *l, uint64_t start,
				   uint64_t end);
void vt_range_list_sort(struct vt_range_list *l);
void vt_range_list_clear(struct vt_range_list *l);

#endif
