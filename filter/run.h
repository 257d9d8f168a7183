/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a filter run is given (its options) and what it reports: the types
 * the program (tools/vmemtrim.c), the run (filter.c) and its passes share.
 */
#ifndef VMEMTRIM_FILTER_RUN_H
#define VMEMTRIM_FILTER_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "critical.h"
#include "vmemtrim/dump.h"

struct vt_filter_opts {
	const char *input;
	const char *output; /* NULL: flattened to stdout */
	const char *vmcoreinfo_path; /* -i, or NULL */
	/* -x: walk the per-CPU free lists with its DWARF, or NULL */
	const char *vmlinux;
	int dump_level; /* 0..31 */
	bool exclude_vmemmap; /* -e */
	bool flattened; /* -F */
	bool force; /* -f */
	uint32_t codec; /* DUMP_DH_COMPRESSED_* or 0 */
	unsigned int threads;
	bool non_mmap; /* --non-mmap: read struct pages with pread() only */
	/* pass 1 threads (--classify-threads); 0: one per CPU, at most 4 */
	unsigned int classify_threads;
	/* called now and then with pfns done of total; may be NULL */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
};

/* At most this many runs of unreadable pfns are listed in the report. */
#define VT_FILTER_UNREADABLE_RUNS 20

/* Pfns [first, last] whose data could not be read, and why (first one). */
struct vt_pfn_run {
	uint64_t first, last;
	char why[64];
};

struct vt_filter_report {
	uint64_t max_pfn; /* total pages */
	uint64_t ram; /* pfns in RAM (1st bitmap) */
	uint64_t absent; /* RAM pfns whose data the input did not have */
	uint64_t by_class[VT_CLASS_NR]; /* RAM pfns with data, per class */
	uint64_t excluded[VT_CLASS_NR]; /* of those, excluded by class */
	uint64_t zero; /* dumped as the shared zero page */
	uint64_t vmemmap_pages; /* physical pages holding struct pages */
	uint64_t vmemmap_excluded; /* of those, left out by -e */
	uint64_t dumped; /* pfns set in the 2nd bitmap */
	uint64_t unreadable; /* dumped pfns whose data could not be read */
	/* the first runs of those, in pfn order, adjacent runs merged; the
	   pages of the runs past the array are only in unreadable */
	struct vt_pfn_run unreadable_run[VT_FILTER_UNREADABLE_RUNS];
	unsigned int unreadable_runs; /* entries used */
	uint64_t warnings; /* implausible struct pages (kept) */
	uint64_t sp_unreadable; /* RAM pfns whose struct page was unreadable */
	/* how the input was read in place (see --non-mmap) */
	enum vt_dump_mapping mapped;
	uint64_t map_retries; /* ranges read again: a page of it failed */
	unsigned int classify_threads; /* pass 1 ran on this many threads */
	uint64_t bad_roots; /* mem_section roots that could not be read */
	/* non-empty: pages were not classified (why); every page dumped */
	char blind[1024];
	uint64_t bytes; /* size of the dump written */
	/*
	 * The critical set was written first (docs/robustness.md): the
	 * dumped pages of each kind (critical.h), in the order written, and
	 * how many of those are in the dump; then the other pages. Empty
	 * when the set could not be found (first_why says why).
	 */
	uint64_t first_pages[VT_CRIT_KINDS], first_written[VT_CRIT_KINDS];
	uint64_t other_pages, other_written;
	char first_why[256];
	uint32_t status; /* header status bits written */
	const char *era; /* classification table row used */
	/*
	 * The per-CPU free pages (dump level 16): walked with the vmlinux
	 * (-x), or else proven by their list links; with -x, why the lists
	 * were not walked ("" when they were or level 16 was not asked for)
	 */
	bool pcp_walked;
	char pcp_fallback[200];
	uint64_t pcp_lists, pcp_lists_kept; /* "lists": walked, kept */
	double seconds;
	/* where the time went: up to pass 1, pass 1, pass 2 (and 3), the
	   rest (descriptors, fsync, rename) */
	double t_setup, t_pass1, t_pass2, t_finish;
};

#endif
