// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vmemtrim.so - crash extension: say exactly which struct pages a dump
 * lacks, and guard the crash commands that read them.
 *
 * crash only knows that the writer set DUMP_DH_EXCLUDED_VMEMMAP; it then
 * shows a missing struct page as all zeros (kmem -p, -m, vtop), counts
 * those zeros (kmem -i) or stops with "page excluded" (kmem -f, rd).
 * This module answers from the dump file itself through the reader core,
 * the same code vmemtrim-inspect runs, so both always agree:
 *
 *   vmemmap [-r | -j | -p PFN | -P PADDR | -a PAGEADDR]
 *
 * On a dump that lacks struct pages it also wraps the built-in commands
 * that read struct pages (kmem, vtop, files -p, rd -S, bt -F) in
 * linux_command_table: one WARNING line before them, their output passed
 * through a line filter that marks page lines whose struct page is missing
 * and explains a "page excluded" stop on a struct page. The table entries
 * go back when the module is unloaded (extend -u). Dumps without missing
 * struct pages are left entirely alone.
 *
 * Facts about crash 8.0.2 this relies on (crash-utility/crash sources):
 *  - exec_command() finds the entry with get_command_table_entry() in
 *    pc->cmd_table (linux_command_table) and calls ct->func() after
 *    resetting optind and argerrs; register_extension() refuses a name
 *    that already exists, so wrapping means swapping ct->func.
 *  - error(FATAL) longjmps to the main loop; the next process_command_line()
 *    runs restore_sanity(), which calls the function of every extension
 *    command flagged CLEANUP, then sets fp = stdout again.
 *  - __error() writes to pc->error_fp, and when pc->error_path is "default"
 *    also to fp if fp is not stdout, the stdpipe or the tmpfile; with
 *    "redirect" it sets error_fp = fp, which loses the message when the
 *    command has its tmpfile open (kmem ADDRESS does). With any other
 *    path it writes to error_fp only: the filter names itself there, so a
 *    message passes it once, in order with the output.
 *  - load_extension() looks in ./, $CRASH_EXTENSIONS,
 *    /usr/lib64/crash/extensions, /usr/lib/crash/extensions, ./extensions.
 */
#define _GNU_SOURCE
#include "defs.h"

#include <ctype.h>
#include <inttypes.h>

#include "module.h"
#include "vmemtrim/format.h"
#include "vmemtrim/json.h"
#include "vmemtrim/verdict.h"
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
static void dump_open(void)
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
		err = vt_error_new(VT_ERR_NOMEM,
				   "out of memory listing missing struct pages");
	if (err) {
		vt_findings_drop_vmemmap(&ext.f, err);
		ext.nr_runs = 0;
		return;
	}
	ext.base = vt_vmemmap_base(ext.f.vm);
	ext.page_struct_size = ext.f.kp->size_page.value;
}

static void dump_close(void)
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

/* --- registration ----------------------------------------------------- */

static char *help_cleanup[] = { "vmemmap_cleanup", "internal", " ", NULL };

static struct command_table_entry command_table[] = {
	{ "vmemmap", ext_cmd_vmemmap, ext_help_vmemmap, 0 },
	{ "vmemmap_cleanup", ext_cmd_vmemmap_cleanup, help_cleanup,
	  CLEANUP | HIDDEN_COMMAND },
	{ NULL, NULL, NULL, 0 },
};

/*
 * Whole or damaged (docs/verdict.md), said once at load: the same check
 * as vmemtrim-inspect's "dump:" line, which lists examples.
 */
static void print_verdict(void)
{
	const struct vt_verdict *v = &ext.f.verdict;
	const char *sep = "";

	if (ext.f.verdict_err) {
		fprintf(fp, "vmemtrim: dump: unknown: %s\n",
			ext.f.verdict_err->message);
		return;
	}
	if (!v->findings) {
		fprintf(fp, "vmemtrim: dump: whole\n");
		return;
	}
	fprintf(fp,
		"vmemtrim: dump: damaged (%" PRIu64 " findings: ", v->findings);
	for (int k = 0; k < VT_FIND_KINDS; k++) {
		if (!v->count[k])
			continue;
		fprintf(fp, "%s%s %" PRIu64, sep, vt_finding_name(k),
			v->count[k]);
		sep = ", ";
	}
	fprintf(fp, "); vmemtrim-inspect %s names them\n", ext.path);
}

void __attribute__((constructor)) vmemtrim_init(void)
{
	register_extension(command_table);
	/* Loading can fail in register_extension(): then touch nothing. */
	if (!(pc->curext->flags & REGISTERED))
		return;
	dump_open();
	if (ext.err) {
		fprintf(fp, "vmemtrim: %s: %s; nothing guarded\n",
			ext.path ? ext.path : "dump", ext.err->message);
		return;
	}
	print_verdict();
	if (ext_lacks_struct_pages()) {
		ext_guard_install();
		fprintf(fp,
			"vmemtrim: %" PRIu64 " pfns in %" PRIu64
			" ranges lack struct page data; kmem, vtop, files -p,"
			" rd -S and bt -F guarded\n",
			ext.f.sum.missing_pfns, ext.f.sum.missing_ranges);
	}
}

void __attribute__((destructor)) vmemtrim_fini(void)
{
	ext_filter_end();
	ext_guard_remove();
	dump_close();
}
