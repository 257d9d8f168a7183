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
	ext_dump_open();
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
	ext_dump_close();
}
