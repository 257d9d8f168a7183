// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The crash module's view of the dump crash opened: its findings, read
 * once at load, and the runs of pfns whose struct pages are missing, for
 * the line filter and the guard.
 */
#define _GNU_SOURCE
#include "defs.h"

#include <inttypes.h>

#include "module.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"

struct ext_state ext;

/* --- the dump --------------------------------------------------------- */

static int collect_run(void *arg, const struct vt_sp_range *r)
{
	struct missing_run *n;

	(void)arg;
	if (r->state == VT_SP_PRESENT || r->state == VT_SP_NO_SECTION)
		return 0;
	if (ext.nr_runs == ext.cap_runs) {
		size_t cap = ext.cap_runs ? ext.cap_runs * 2 : 64;

		n = realloc(ext.runs, cap * sizeof(*n));
		if (!n) {
			ext.runs_nomem = true;
			return 1;
		}
		ext.runs = n;
		ext.cap_runs = cap;
	}
	ext.runs[ext.nr_runs++] =
		(struct missing_run){ r->start_pfn, r->end_pfn, r->state };
	return 0;
}

/*
 * Open the dump crash opened. Done at load time: pc->dumpfile may be a
 * relative path, valid from crash's working directory now. What it finds
 * is gathered as vmemtrim-inspect gathers it (but for the log: crash has
 * its own `log`); the missing runs are the module's own, for the guard.
 */
void ext_dump_open(void)
{
	const char *path = pc->dumpfile;
	struct vt_error *err;

	if (!path) {
		ext.err = vt_error_new(VT_ERR_UNSUPPORTED,
				       "no dump file (a live system?)");
		return;
	}
	ext.path = strdup(path);
	ext.err = vt_findings_gather(&path, 1, false, &ext.f);
	if (ext.err || !ext.f.vm)
		return;
	err = vt_vmemmap_ranges(ext.f.vm, 0, ext.f.info->max_pfn, collect_run,
				NULL);
	if (!err && ext.runs_nomem)
		err = vt_error_new(
			VT_ERR_NOMEM,
			"out of memory listing missing struct pages");
	if (err) {
		vt_findings_drop_vmemmap(&ext.f, err);
		ext.nr_runs = 0;
		return;
	}
	ext.base = vt_vmemmap_base(ext.f.vm);
	ext.page_struct_size = ext.f.kp->size_page.value;
}

void ext_dump_close(void)
{
	free(ext.runs);
	vt_findings_release(&ext.f);
	vt_error_free(ext.err);
	free(ext.path);
	memset(&ext, 0, sizeof(ext));
}

bool ext_lacks_struct_pages(void)
{
	return ext.f.vm && ext.f.sum.missing_pfns;
}

/* The missing run holding @pfn, or NULL. */
const struct missing_run *ext_missing_run_of(uint64_t pfn)
{
	size_t lo = 0, hi = ext.nr_runs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pfn < ext.runs[mid].start_pfn)
			hi = mid;
		else if (pfn >= ext.runs[mid].end_pfn)
			lo = mid + 1;
		else
			return &ext.runs[mid];
	}
	return NULL;
}

/* The pfn whose struct page holds the byte at @vaddr, if in vmemmap. */
bool ext_vaddr_to_pfn(uint64_t vaddr, uint64_t *pfn)
{
	if (!ext.f.vm || vaddr < ext.base)
		return false;
	*pfn = (vaddr - ext.base) / ext.page_struct_size;
	return *pfn < ext.f.info->max_pfn;
}
