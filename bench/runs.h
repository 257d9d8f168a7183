/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pages a dump holds, run by run (its 2nd bitmap): what the limit rows
 * read, bench/limit.c and bench/limit-vmcore.c.
 */
#ifndef VMEMTRIM_BENCH_RUNS_H
#define VMEMTRIM_BENCH_RUNS_H

#include <stdint.h>

#include "vmemtrim/dump.h"

struct dumped_runs {
	struct vt_dump *dump;
	uint64_t next_pfn, max_pfn;
};

/*
 * The next run of pfns @r's dump holds, of at most @max pages, after the
 * last one: its length (0 at the end, or with @*err set) and its first pfn
 * in @start. Not thread-safe: callers hold their lock.
 */
static inline uint64_t dumped_run(struct dumped_runs *r, uint64_t max,
				  uint64_t *start, const char **err)
{
	while (r->next_pfn < r->max_pfn) {
		enum vt_pfn_state st;
		uint64_t end;
		struct vt_error *e =
			vt_dump_pfn_run(r->dump, r->next_pfn, &st, &end);

		if (e) {
			*err = "reading the dump's bitmaps failed";
			vt_error_free(e);
			return 0;
		}
		if (st != VT_PFN_DUMPED) {
			r->next_pfn = end;
			continue;
		}
		if (end - r->next_pfn > max)
			end = r->next_pfn + max;
		*start = r->next_pfn;
		r->next_pfn = end;
		return end - *start;
	}
	return 0;
}

#endif
