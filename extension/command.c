// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The crash module's vmemmap command: the summary, the ranges, one pfn,
 * JSON (the same as vmemtrim-inspect's). See extension/vmemtrim.c.
 */
#define _GNU_SOURCE
#include "defs.h"

#include <ctype.h>
#include <inttypes.h>

#include "module.h"
#include "vmemtrim/format.h"
#include "vmemtrim/json.h"
#include "vmemtrim/vmemmap.h"

char *ext_help_vmemmap[] = {
	"vmemmap",
	"which struct pages are missing from the dump",
	"[-r | -j | -p pfn | -P paddr | -a page]",
	"  Tells which pfns have no struct page data in this dump: makedumpfile",
	"  -e (and vmemtrim -e) leave out the vmemmap pages that only describe",
	"  excluded pfns. crash shows such struct pages as zeros (kmem -p, -m,",
	"  vtop), counts them in kmem -i, and stops at them with \"page",
	"  excluded\" (kmem -f, rd). The answers come from the dump file, read",
	"  by the same code as vmemtrim-inspect.",
	" ",
	"  With no option, a summary: whether the dump says EXCLUDED_VMEMMAP,",
	"  the RAM pfns, the pfns lacking struct page data and the vmemmap",
	"  pages excluded.",
	" ",
	"        -r  every pfn range lacking struct page data: start pfn, end",
	"            pfn (exclusive), count, physical range, struct page range",
	"            and why.",
	"    -p pfn  whether the struct page of this pfn (decimal, or hex with",
	"            0x) and its data are in the dump, and why not.",
	"  -P paddr  the same for the pfn of a physical address (hex).",
	"   -a page  the same for a struct page address (hex).",
	"        -j  the JSON object of vmemtrim-inspect --json --ranges",
	"            (docs/inspect-json.md); with -p, -P or -a, --json --pfn.",
	" ",
	"  While the dump lacks struct pages, kmem, vtop, files -p, rd -S and",
	"  bt -F print one WARNING line first, kmem -p, -m, kmem address and",
	"  vtop mark the lines of missing struct pages \"" MARK "\",",
	"  and a \"page excluded\" stop on a struct page is explained.",
	"  \"extend -u\" puts the commands back as they were.",
	"\nEXAMPLES",
	"    crash> vmemmap",
	"                DUMPFILE: dump.e (kdump, dump level 31)",
	"        EXCLUDED_VMEMMAP: set",
	"                RAM PFNS: 458617",
	"        STRUCT PAGE PFNS: 524250",
	"    MISSING STRUCT PAGES: 422336 pfns in 18 ranges (80.6%)",
	"          OF THEM IN RAM: 422336",
	"           VMEMMAP PAGES: 6599 of 8192 excluded",
	" ",
	"    crash> vmemmap -p 0x140",
	"             PFN: 140 (physical 140000)",
	"            DATA: excluded",
	"     STRUCT PAGE: excluded",
	"         ADDRESS: ffffea0000005000",
	"         HELD AT: physical 6d005000 (pfn 6d005, excluded)",
	"           RANGE: pfns 140 - fff (3776 pfns) lack struct page data",
	"             WHY: the pfn was excluded (dump level 31), so the vmemmap",
	"                  page holding its struct page was dropped with it",
	"                  (-e); crash reads this struct page as zeros",
	" ",
	"    crash> kmem -p ffffea0000005000",
	"    WARNING: 422336 pfns in 18 ranges lack struct page data in this "
	"dump; ...",
	"          PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS",
	"    ffffea0000005000   140000                0        0  0 0 " MARK,
	NULL
};

static void print_summary(void)
{
	const struct vt_vmemmap_summary *s = &ext.f.sum;
	bool bit = ext.f.info->status & DUMP_DH_EXCLUDED_VMEMMAP;

	fprintf(fp, "                DUMPFILE: %s (%s", ext.path,
		vt_format_name(ext.f.info->format));
	if (ext.f.info->dump_level >= 0)
		fprintf(fp, ", dump level %d", ext.f.info->dump_level);
	fprintf(fp, ")\n");
	fprintf(fp, "        EXCLUDED_VMEMMAP: %s\n", bit ? "set" : "not set");
	fprintf(fp, "                RAM PFNS: %" PRIu64 "\n",
		ext.f.counts.ram);
	if (!ext.f.vm) {
		fprintf(fp, "            STRUCT PAGES: unknown: %s\n",
			ext.f.vm_err->message);
		return;
	}
	fprintf(fp, "        STRUCT PAGE PFNS: %" PRIu64 "\n", s->section_pfns);
	fprintf(fp,
		"    MISSING STRUCT PAGES: %" PRIu64 " pfns in %" PRIu64
		" ranges (%.1f%%)\n",
		s->missing_pfns, s->missing_ranges,
		s->section_pfns ? 100.0 * s->missing_pfns / s->section_pfns :
				  0.0);
	fprintf(fp, "          OF THEM IN RAM: %" PRIu64 "\n",
		s->missing_ram_pfns);
	fprintf(fp,
		"           VMEMMAP PAGES: %" PRIu64 " of %" PRIu64
		" excluded\n",
		s->vmemmap_pages_excluded, s->vmemmap_pages);
	if (s->missing_pfns)
		fprintf(fp, "%s\n",
			"  kmem, vtop, files -p, rd -S and bt -F are guarded; "
			"\"vmemmap -r\" lists the ranges");
}

static int print_range(void *arg, const struct vt_sp_range *r)
{
	uint64_t *total = arg, n = r->end_pfn - r->start_pfn;
	uint64_t psz = ext.f.info->page_size;

	if (r->state == VT_SP_PRESENT || r->state == VT_SP_NO_SECTION)
		return 0;
	fprintf(fp,
		"%10" PRIx64 "  %10" PRIx64 "  %8" PRIu64 "  %10" PRIx64
		" - %10" PRIx64 "  %16" PRIx64 " - %16" PRIx64 "  %s\n",
		r->start_pfn, r->end_pfn, n, r->start_pfn * psz,
		r->end_pfn * psz - 1, r->page_vaddr,
		r->page_vaddr + n * ext.page_struct_size - 1,
		vt_struct_page_state_name(r->state));
	*total += n;
	return 0;
}

static void print_ranges(void)
{
	uint64_t total = 0;
	struct vt_error *err;

	fprintf(fp, "%s\n",
		" START_PFN     END_PFN     COUNT       PHYSICAL RANGE"
		"                     STRUCT PAGE RANGE            WHY");
	err = vt_vmemmap_ranges(ext.f.vm, 0, ext.f.info->max_pfn, print_range,
				&total);
	if (err) {
		char msg[BUFSIZE];

		snprintf(msg, sizeof(msg), "%s", err->message);
		vt_error_free(err);
		error(FATAL, "%s\n", msg);
	}
	fprintf(fp, "TOTAL: %" PRIu64 " pfns in %" PRIu64 " ranges\n", total,
		ext.f.sum.missing_ranges);
}

static void print_pfn(const struct vt_pfn_report *p)
{
	const struct missing_run *run = ext_missing_run_of(p->pfn);

	fprintf(fp, "             PFN: %" PRIx64 " (physical %" PRIx64 ")\n",
		p->pfn, p->pfn * ext.f.info->page_size);
	fprintf(fp, "            DATA: %s\n", vt_pfn_state_name(p->data));
	fprintf(fp, "     STRUCT PAGE: %s\n",
		vt_struct_page_state_name(p->struct_page));
	if (p->struct_page == VT_SP_NO_SECTION)
		return;
	fprintf(fp, "         ADDRESS: %" PRIx64 "\n", p->page_vaddr);
	if (p->struct_page == VT_SP_PRESENT || p->struct_page == VT_SP_EXCLUDED)
		fprintf(fp,
			"         HELD AT: physical %" PRIx64 " (pfn %" PRIx64
			", %s)\n",
			p->page_paddr, p->vmemmap_pfn,
			vt_pfn_state_name(p->vmemmap_data));
	if (run)
		fprintf(fp,
			"           RANGE: pfns %" PRIx64 " - %" PRIx64
			" (%" PRIu64 " pfns) lack struct page data\n",
			run->start_pfn, run->end_pfn - 1,
			run->end_pfn - run->start_pfn);
	if (p->struct_page == VT_SP_EXCLUDED)
		fprintf(fp,
			"             WHY: the pfn was excluded (dump level %d), "
			"so the vmemmap\n"
			"                  page holding its struct page was "
			"dropped with it\n"
			"                  (-e); crash reads this struct page as "
			"zeros\n",
			ext.f.info->dump_level);
	else if (p->struct_page != VT_SP_PRESENT)
		fprintf(fp,
			"             WHY: the vmemmap address cannot be "
			"translated "
			"from this dump (%s)\n",
			vt_struct_page_state_name(p->struct_page));
}

static uint64_t parse_number(const char *s, int base, const char *what)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, base);
	if (!*s || *s == '-' || *end || errno)
		error(FATAL, "not a valid %s: %s\n", what, s);
	return v;
}

/* The pfn an -p, -P or -a question is about. */
static uint64_t query_pfn(int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'P':
		return parse_number(arg, 16, "physical address") /
		       ext.f.info->page_size;
	case 'a':
		v = parse_number(arg, 16, "struct page address");
		if (v < ext.base || (v - ext.base) % ext.page_struct_size)
			error(FATAL,
			      "%lx is not a struct page address (vmemmap base "
			      "%lx, struct page %lu bytes)\n",
			      (ulong)v, (ulong)ext.base,
			      (ulong)ext.page_struct_size);
		return (v - ext.base) / ext.page_struct_size;
	default:
		return parse_number(arg, 0, "pfn");
	}
}

static void print_json(bool have_pfn, const struct vt_pfn_report *p,
		       bool ranges)
{
	struct vt_report r = {
		.info = ext.f.info,
		.kp = ext.f.kp,
		.counts = &ext.f.counts,
		.dump = ext.f.dump,
		.x86 = ext.f.x86,
		.vm = ext.f.vm,
		.vm_err = ext.f.vm_err,
		.sum = &ext.f.sum,
		.pfn = have_pfn ? p : NULL,
	};
	struct vt_error *err = vt_json_print(fp, &r, ranges, TOOL);

	if (err) {
		char msg[BUFSIZE];

		snprintf(msg, sizeof(msg), "%s", err->message);
		vt_error_free(err);
		error(FATAL, "%s\n", msg);
	}
}

void ext_cmd_vmemmap(void)
{
	bool ranges = false, json = false;
	int c, query = 0;
	char *query_arg = NULL;
	struct vt_pfn_report rep;
	struct vt_error *err;

	while ((c = getopt(argcnt, args, "rjp:P:a:")) != EOF) {
		switch (c) {
		case 'r':
			ranges = true;
			break;
		case 'j':
			json = true;
			break;
		case 'p':
		case 'P':
		case 'a':
			if (query)
				argerrs++;
			query = c;
			query_arg = optarg;
			break;
		default:
			argerrs++;
			break;
		}
	}
	if (argerrs || args[optind])
		cmd_usage(pc->curcmd, SYNOPSIS);
	if (ext.err)
		error(FATAL, "%s: %s\n", ext.path ? ext.path : "dump",
		      ext.err->message);
	if ((ranges || query) && !ext.f.vm)
		error(FATAL,
		      "%s: cannot tell which struct pages are missing: %s\n",
		      ext.path, ext.f.vm_err->message);
	if (query) {
		err = vt_vmemmap_pfn(ext.f.vm, query_pfn(query, query_arg),
				     &rep);
		if (err) {
			char msg[BUFSIZE];

			snprintf(msg, sizeof(msg), "%s", err->message);
			vt_error_free(err);
			error(FATAL, "%s\n", msg);
		}
	}
	if (json)
		print_json(query, &rep, ranges || !query);
	else if (query)
		print_pfn(&rep);
	else if (ranges)
		print_ranges();
	else
		print_summary();
}
