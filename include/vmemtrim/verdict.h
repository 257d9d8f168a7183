/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Whole or damaged: does a dump hold what every analysis needs? Checked
 * from the dump alone (docs/verdict.md): the page-table pages that map the
 * kernel image, the direct map and the vmemmap; the kernel image's pages;
 * the mem_section roots; the kernel log's pages; and whether
 * DUMP_DH_EXCLUDED_VMEMMAP agrees with the vmemmap pages that are missing.
 */
#ifndef VMEMTRIM_VERDICT_H
#define VMEMTRIM_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_dump;
struct vt_x86_64;
struct vt_vmemmap;
struct vt_vmemmap_summary;

enum vt_finding_kind {
	VT_FIND_TABLE_ABSENT, /* a page-table page is not in the dump */
	VT_FIND_TABLE_BAD, /* an entry points outside the machine / loops */
	VT_FIND_IMAGE, /* a kernel image page is not in the dump */
	VT_FIND_ROOT, /* a mem_section root cannot be read */
	VT_FIND_LOG, /* kernel log records on pages the dump lacks */
	VT_FIND_FLAG_UNUSED, /* EXCLUDED_VMEMMAP set, no vmemmap page missing */
	VT_FIND_VMEMMAP_UNEXPLAINED, /* vmemmap pages missing, flag clear */
	VT_FIND_KINDS
};

/* "page-table", "bad-entry", "kernel-image", "mem-section-root", "log",
   "flag-unused", "vmemmap-unexplained". */
const char *vt_finding_name(enum vt_finding_kind k);

/* One example finding. */
struct vt_finding {
	enum vt_finding_kind kind;
	uint64_t pfn; /* the page missing (table, image page), or 0 */
	uint64_t vaddr; /* the kernel address it maps / holds, or 0 */
	int level; /* page tables: 1 = PTE ... 5; else 0 */
	uint64_t count; /* log: records missing; else 1 */
};

#define VT_VERDICT_EXAMPLES 8

struct vt_verdict {
	uint64_t findings; /* 0: whole */
	uint64_t count[VT_FIND_KINDS];
	unsigned int nr_examples;
	struct vt_finding examples[VT_VERDICT_EXAMPLES];
	/* what was checked */
	uint64_t tables; /* page-table pages reached (about: each counted
			    once per range walked) */
	uint64_t image_pages; /* mapped pages of the kernel image */
	uint64_t image_zero; /* of them, missing and explained as zero
				pages (dump level bit 1) */
	uint64_t log_records; /* records read from the log */
	bool log_checked; /* the log was read (keys present, pointers usable) */
};

/*
 * Check @dump through its page tables @x and vmemmap map @vm (with its
 * summary @sum; @vm NULL when the map could not be built, @vm_code then
 * the error code of why). Errors only for failures to read the dump
 * itself; what is missing is a finding.
 */
/*
 * The kernel's own address ranges, found from the dump alone: the image
 * (SYMBOL(_stext) up to __START_KERNEL_map + KERNEL_IMAGE_SIZE, or 1 GiB),
 * the direct map of every pfn below max_pfn (from SYMBOL(mem_section), a
 * direct-map address; 0, 0 when not found), the vmemmap of every pfn
 * below max_pfn (0, 0 without @vm or SIZE(page)). [start, end).
 */
struct vt_kernel_areas {
	uint64_t image_start, image_end;
	uint64_t dmap_start, dmap_end;
	uint64_t vmemmap_start, vmemmap_end;
};
void vt_kernel_areas_find(struct vt_dump *dump, struct vt_x86_64 *x,
			  const struct vt_vmemmap *vm,
			  struct vt_kernel_areas *a);

struct vt_error *vt_verdict_check(struct vt_dump *dump, struct vt_x86_64 *x,
				  struct vt_vmemmap *vm,
				  const struct vt_vmemmap_summary *sum,
				  int vm_code, struct vt_verdict *out);

#endif
