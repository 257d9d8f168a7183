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

#include "vmemtrim/dump.h"
#include "vmemtrim/format.h"
#include "vmemtrim/json.h"
#include "vmemtrim/verdict.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

#ifdef VMEMTRIM_VERSION
#define TOOL "vmemtrim.so " VMEMTRIM_VERSION
#else
#define TOOL "vmemtrim.so"
#endif

#define MARK "[struct page excluded]"

/* A maximal run of pfns in one missing state, for the line filter. */
struct missing_run {
	uint64_t start_pfn, end_pfn;
	enum vt_struct_page_state state;
};

/* What the dump says, read once when the module is loaded. */
static struct {
	char *path;
	struct vt_error *err; /* the dump could not be read at all */
	struct vt_dump *dump;
	const struct vt_dump_info *info;
	const struct vt_kernel_profile *kp;
	struct vt_dump_counts counts;
	struct vt_x86_64 *x86;
	struct vt_vmemmap *vm;
	struct vt_error *vm_err; /* why struct pages are unknown */
	struct vt_vmemmap_summary sum;
	uint64_t base, page_struct_size;
	struct missing_run *runs;
	size_t nr_runs, cap_runs;
	bool runs_nomem;
} dt;

/* --- the dump --------------------------------------------------------- */

static int collect_run(void *arg, const struct vt_sp_range *r)
{
	struct missing_run *n;

	(void)arg;
	if (r->state == VT_SP_PRESENT || r->state == VT_SP_NO_SECTION)
		return 0;
	if (dt.nr_runs == dt.cap_runs) {
		size_t cap = dt.cap_runs ? dt.cap_runs * 2 : 64;

		n = realloc(dt.runs, cap * sizeof(*n));
		if (!n) {
			dt.runs_nomem = true;
			return 1;
		}
		dt.runs = n;
		dt.cap_runs = cap;
	}
	dt.runs[dt.nr_runs++] =
		(struct missing_run){ r->start_pfn, r->end_pfn, r->state };
	return 0;
}

/*
 * Open the dump crash opened. Done at load time: pc->dumpfile may be a
 * relative path, valid from crash's working directory now.
 */
static void dump_open(void)
{
	const char *path = pc->dumpfile;

	if (!path) {
		dt.err = vt_error_new(VT_ERR_UNSUPPORTED,
				      "no dump file (a live system?)");
		return;
	}
	dt.path = strdup(path);
	dt.err = vt_dump_open(&path, 1, &dt.dump);
	if (!dt.err) {
		dt.info = vt_dump_info(dt.dump);
		dt.kp = vt_dump_profile(dt.dump);
		dt.err = vt_dump_count(dt.dump, &dt.counts);
	}
	if (dt.err)
		return;
	dt.vm_err = vt_x86_64_new(dt.dump, dt.kp, &dt.x86);
	if (!dt.vm_err)
		dt.vm_err = vt_vmemmap_new(dt.dump, dt.x86, &dt.vm);
	if (!dt.vm_err)
		dt.vm_err = vt_vmemmap_summarize(dt.vm, &dt.sum);
	if (!dt.vm_err)
		dt.vm_err = vt_vmemmap_ranges(dt.vm, 0, dt.info->max_pfn,
					      collect_run, NULL);
	if (!dt.vm_err && dt.runs_nomem)
		dt.vm_err = vt_error_new(VT_ERR_NOMEM,
					 "out of memory listing missing "
					 "struct pages");
	if (dt.vm_err) {
		vt_vmemmap_free(dt.vm);
		dt.vm = NULL;
		dt.nr_runs = 0;
		return;
	}
	dt.base = vt_vmemmap_base(dt.vm);
	dt.page_struct_size = dt.kp->size_page.value;
}

static void dump_close(void)
{
	free(dt.runs);
	vt_vmemmap_free(dt.vm);
	vt_x86_64_free(dt.x86);
	vt_error_free(dt.vm_err);
	vt_dump_close(dt.dump);
	vt_error_free(dt.err);
	free(dt.path);
	memset(&dt, 0, sizeof(dt));
}

static bool dump_lacks_struct_pages(void)
{
	return dt.vm && dt.sum.missing_pfns;
}

/* The missing run holding @pfn, or NULL. */
static const struct missing_run *missing_run_of(uint64_t pfn)
{
	size_t lo = 0, hi = dt.nr_runs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pfn < dt.runs[mid].start_pfn)
			hi = mid;
		else if (pfn >= dt.runs[mid].end_pfn)
			lo = mid + 1;
		else
			return &dt.runs[mid];
	}
	return NULL;
}

/* The pfn whose struct page holds the byte at @vaddr, if in vmemmap. */
static bool vaddr_to_pfn(uint64_t vaddr, uint64_t *pfn)
{
	if (!dt.vm || vaddr < dt.base)
		return false;
	*pfn = (vaddr - dt.base) / dt.page_struct_size;
	return *pfn < dt.info->max_pfn;
}

/* --- the vmemmap command ---------------------------------------------- */

static char *help_vmemmap[] = {
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
	const struct vt_vmemmap_summary *s = &dt.sum;
	bool bit = dt.info->status & DUMP_DH_EXCLUDED_VMEMMAP;

	fprintf(fp, "                DUMPFILE: %s (%s", dt.path,
		vt_format_name(dt.info->format));
	if (dt.info->dump_level >= 0)
		fprintf(fp, ", dump level %d", dt.info->dump_level);
	fprintf(fp, ")\n");
	fprintf(fp, "        EXCLUDED_VMEMMAP: %s\n", bit ? "set" : "not set");
	fprintf(fp, "                RAM PFNS: %" PRIu64 "\n", dt.counts.ram);
	if (!dt.vm) {
		fprintf(fp, "            STRUCT PAGES: unknown: %s\n",
			dt.vm_err->message);
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
	uint64_t psz = dt.info->page_size;

	if (r->state == VT_SP_PRESENT || r->state == VT_SP_NO_SECTION)
		return 0;
	fprintf(fp,
		"%10" PRIx64 "  %10" PRIx64 "  %8" PRIu64 "  %10" PRIx64
		" - %10" PRIx64 "  %16" PRIx64 " - %16" PRIx64 "  %s\n",
		r->start_pfn, r->end_pfn, n, r->start_pfn * psz,
		r->end_pfn * psz - 1, r->page_vaddr,
		r->page_vaddr + n * dt.page_struct_size - 1,
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
	err = vt_vmemmap_ranges(dt.vm, 0, dt.info->max_pfn, print_range,
				&total);
	if (err) {
		char msg[BUFSIZE];

		snprintf(msg, sizeof(msg), "%s", err->message);
		vt_error_free(err);
		error(FATAL, "%s\n", msg);
	}
	fprintf(fp, "TOTAL: %" PRIu64 " pfns in %" PRIu64 " ranges\n", total,
		dt.sum.missing_ranges);
}

static void print_pfn(const struct vt_pfn_report *p)
{
	const struct missing_run *run = missing_run_of(p->pfn);

	fprintf(fp, "             PFN: %" PRIx64 " (physical %" PRIx64 ")\n",
		p->pfn, p->pfn * dt.info->page_size);
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
			dt.info->dump_level);
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
		       dt.info->page_size;
	case 'a':
		v = parse_number(arg, 16, "struct page address");
		if (v < dt.base || (v - dt.base) % dt.page_struct_size)
			error(FATAL,
			      "%lx is not a struct page address (vmemmap base "
			      "%lx, struct page %lu bytes)\n",
			      (ulong)v, (ulong)dt.base,
			      (ulong)dt.page_struct_size);
		return (v - dt.base) / dt.page_struct_size;
	default:
		return parse_number(arg, 0, "pfn");
	}
}

static void print_json(bool have_pfn, const struct vt_pfn_report *p,
		       bool ranges)
{
	struct vt_report r = {
		.info = dt.info,
		.kp = dt.kp,
		.counts = &dt.counts,
		.x86 = dt.x86,
		.vm = dt.vm,
		.vm_err = dt.vm_err,
		.sum = &dt.sum,
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

static void cmd_vmemmap(void)
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
	if (dt.err)
		error(FATAL, "%s: %s\n", dt.path ? dt.path : "dump",
		      dt.err->message);
	if ((ranges || query) && !dt.vm)
		error(FATAL,
		      "%s: cannot tell which struct pages are missing: %s\n",
		      dt.path, dt.vm_err->message);
	if (query) {
		err = vt_vmemmap_pfn(dt.vm, query_pfn(query, query_arg), &rep);
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

/* --- the output filter ------------------------------------------------ */

/*
 * While a guarded command runs, fp is a stream of ours that passes every
 * line on to the real fp, appending MARK to page lines of missing struct
 * pages and a line of explanation after a "page excluded" error on one.
 */
struct filter {
	FILE *real;
	FILE *stream;
	FILE *errs; /* pc->error_fp meanwhile: into the filter, and to the
		       old error_fp when that is not where fp goes */
	char *saved_error_path;
	FILE *saved_error_fp;
	bool in_page_table; /* after a "PAGE ..." header line */
	size_t len;
	char line[BUFSIZE * 2];
};

static struct filter *active;

static bool parse_hex_token(const char *s, uint64_t *v, const char **end)
{
	const char *p = s;

	*v = 0;
	while (isxdigit((unsigned char)*p)) {
		if (p - s >= 16)
			return false;
		*v = *v << 4 | (uint64_t)(isdigit((unsigned char)*p) ?
						  *p - '0' :
						  (tolower((unsigned char)*p) -
						   'a' + 10));
		p++;
	}
	*end = p;
	return p > s;
}

/* The missing run of the struct page at the start of @line, or NULL. */
static const struct missing_run *page_line_run(const char *line)
{
	uint64_t v, pfn;
	const char *end;

	if (!parse_hex_token(line, &v, &end) || (*end != ' ' && *end))
		return NULL;
	if (!vaddr_to_pfn(v, &pfn))
		return NULL;
	return missing_run_of(pfn);
}

static void explain_excluded(FILE *out, const char *line)
{
	static const char key[] = "page excluded: kernel virtual address: ";
	const char *p = strstr(line, key), *end;
	const struct missing_run *run;
	uint64_t v, pfn;

	if (!p || !parse_hex_token(p + sizeof(key) - 1, &v, &end) ||
	    !vaddr_to_pfn(v, &pfn) || !(run = missing_run_of(pfn)))
		return;
	fprintf(out,
		"vmemmap: %" PRIx64 " is in the struct page of pfn %" PRIx64
		", one of pfns %" PRIx64 " - %" PRIx64
		" whose struct pages are not in this dump\n"
		"         (%s: the vmemmap page holding them was left out); "
		"%s stops here. See \"vmemmap -p 0x%" PRIx64 "\".\n",
		v, pfn, run->start_pfn, run->end_pfn - 1,
		vt_struct_page_state_name(run->state),
		pc->curcmd ? pc->curcmd : "the command", pfn);
}

static void filter_line(struct filter *f, bool complete)
{
	const char *s = f->line;
	const char *t = s + strspn(s, " \t");

	if (!strncmp(t, "PAGE ", 5) || !strcmp(t, "PAGE")) {
		f->in_page_table = true;
	} else if (f->in_page_table) {
		if (page_line_run(s)) {
			/* One space, so that removing " " MARK gives
			 * back crash's line exactly. */
			fprintf(f->real, "%s " MARK "%s", s,
				complete ? "\n" : "");
			return;
		}
		if (!isxdigit((unsigned char)*s))
			f->in_page_table = false;
	}
	fprintf(f->real, "%s%s", s, complete ? "\n" : "");
	if (complete)
		explain_excluded(f->real, s);
}

static ssize_t filter_write(void *cookie, const char *buf, size_t n)
{
	struct filter *f = cookie;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			f->line[f->len] = 0;
			filter_line(f, true);
			f->len = 0;
			continue;
		}
		/* An endless line goes on unfiltered, in pieces. */
		if (f->len == sizeof(f->line) - 1) {
			f->line[f->len] = 0;
			fputs(f->line, f->real);
			f->len = 0;
		}
		f->line[f->len++] = buf[i];
	}
	return n;
}

static ssize_t filter_error_write(void *cookie, const char *buf, size_t n)
{
	struct filter *f = cookie;

	if (f->saved_error_fp && f->saved_error_fp != f->real) {
		fwrite(buf, 1, n, f->saved_error_fp);
		fflush(f->saved_error_fp);
	}
	return filter_write(cookie, buf, n);
}

static int filter_close(void *cookie)
{
	struct filter *f = cookie;

	if (f->len) {
		f->line[f->len] = 0;
		fputs(f->line, f->real);
	}
	fflush(f->real);
	return 0;
}

static void filter_begin(void)
{
	static cookie_io_functions_t io = { .write = filter_write,
					    .close = filter_close };
	static cookie_io_functions_t err_io = { .write = filter_error_write };
	struct filter *f = calloc(1, sizeof(*f));

	if (!f)
		return;
	f->stream = fopencookie(f, "w", io);
	if (!f->stream) {
		free(f);
		return;
	}
	/* Unbuffered: a FATAL longjmp must not strand output in stdio. */
	setvbuf(f->stream, NULL, _IONBF, 0);
	fflush(fp);
	f->real = fp;
	f->saved_error_path = pc->error_path;
	f->saved_error_fp = pc->error_fp;
	if (STREQ(pc->error_path, "default")) {
		f->errs = fopencookie(f, "w", err_io);
		if (f->errs) {
			setvbuf(f->errs, NULL, _IONBF, 0);
			pc->error_path = "vmemtrim";
			pc->error_fp = f->errs;
		}
	}
	fp = f->stream;
	active = f;
}

/*
 * Undo filter_begin(): after the command returned (fp is ours again), or
 * from restore_sanity() after a FATAL error left the command midway.
 */
static void filter_end(void)
{
	struct filter *f = active;

	if (!f)
		return;
	active = NULL;
	if (fp == f->stream)
		fp = f->real;
	pc->error_fp = f->saved_error_fp;
	pc->error_path = f->saved_error_path;
	if (f->errs)
		fclose(f->errs);
	/*
	 * After a FATAL, restore_sanity() has already closed a pipe or file
	 * the output went to; only stdout is sure to be still open.
	 */
	if (f->real != stdout)
		f->len = 0;
	fclose(f->stream);
	free(f);
}

/* restore_sanity() calls this (CLEANUP) before every command. */
static void cmd_vmemmap_cleanup(void)
{
	filter_end();
}

/* --- the guard -------------------------------------------------------- */

enum guard_kind { G_KMEM, G_VTOP, G_FILES, G_RD, G_BT, G_NR };

struct guard {
	const char *name;
	const char *letters; /* option letters that read struct pages */
	cmd_func_t wrapper;
	struct command_table_entry *entry;
	cmd_func_t orig;
};

static void guarded(enum guard_kind k);
static void wrap_kmem(void)
{
	guarded(G_KMEM);
}
static void wrap_vtop(void)
{
	guarded(G_VTOP);
}
static void wrap_files(void)
{
	guarded(G_FILES);
}
static void wrap_rd(void)
{
	guarded(G_RD);
}
static void wrap_bt(void)
{
	guarded(G_BT);
}

static struct guard guards[G_NR] = {
	[G_KMEM] = { "kmem", "pmfFicCsSrlP", wrap_kmem, NULL, NULL },
	[G_VTOP] = { "vtop", NULL, wrap_vtop, NULL, NULL },
	[G_FILES] = { "files", "p", wrap_files, NULL, NULL },
	[G_RD] = { "rd", "S", wrap_rd, NULL, NULL },
	[G_BT] = { "bt", "F", wrap_bt, NULL, NULL },
};

/* Does an option among args[] hold one of @letters? */
static bool has_option(const char *letters, bool *has_address)
{
	bool found = false;

	*has_address = false;
	for (int i = 1; i < argcnt && args[i]; i++) {
		const char *a = args[i];

		if (a[0] != '-' || !a[1]) {
			*has_address = true;
			continue;
		}
		for (const char *p = a + 1; *p && *p != '='; p++) {
			if (strchr(letters, *p))
				found = true;
			/* -m member, -I slab: the value is no address. */
			if ((*p == 'm' || *p == 'I') && !p[1] && i + 1 < argcnt)
				i++;
		}
	}
	return found;
}

/* Does this invocation read struct pages? */
static bool reads_struct_pages(const struct guard *g)
{
	bool address, opt;

	if (!g->letters)
		return true;
	opt = has_option(g->letters, &address);
	if (g - guards != G_KMEM)
		return opt;
	/* kmem ADDRESS searches the mem_map too, unless -v or -g. */
	return opt || (address && !has_option("vgn", &address));
}

static const char *warning_tail(const struct guard *g)
{
	bool address;

	if (g - guards == G_VTOP ||
	    (g - guards == G_KMEM && has_option("pm", &address)))
		return "their page lines are marked " MARK;
	if (g - guards == G_KMEM && has_option("i", &address))
		return "kmem -i counts them as zeroed pages";
	if (g - guards == G_KMEM && has_option("fF", &address))
		return "a free list through one stops at \"page excluded\"";
	return "crash reads them as zeros or stops at \"page excluded\"";
}

static void guarded(enum guard_kind k)
{
	struct guard *g = &guards[k];

	filter_end(); /* left over, should a command have been nested */
	if (!reads_struct_pages(g)) {
		g->orig();
		return;
	}
	fprintf(fp,
		"WARNING: %" PRIu64 " pfns in %" PRIu64
		" ranges lack struct page data in this dump; %s"
		" (\"vmemmap -r\")\n",
		dt.sum.missing_pfns, dt.sum.missing_ranges, warning_tail(g));
	filter_begin();
	g->orig();
	filter_end();
}

static void guard_install(void)
{
	for (int k = 0; k < G_NR; k++) {
		struct guard *g = &guards[k];
		struct command_table_entry *ct;

		for (ct = pc->cmd_table; ct->name; ct++)
			if (STREQ(ct->name, g->name))
				break;
		if (!ct->name)
			continue;
		g->entry = ct;
		g->orig = ct->func;
		ct->func = g->wrapper;
	}
}

static void guard_remove(void)
{
	for (int k = 0; k < G_NR; k++) {
		struct guard *g = &guards[k];

		if (!g->entry)
			continue;
		/* Someone wrapped us in turn: leave their entry be. */
		if (g->entry->func == g->wrapper)
			g->entry->func = g->orig;
		else
			error(WARNING,
			      "vmemtrim: \"%s\" was rewrapped; not restored\n",
			      g->name);
		g->entry = NULL;
	}
}

/* --- registration ----------------------------------------------------- */

static char *help_cleanup[] = { "vmemmap_cleanup", "internal", " ", NULL };

static struct command_table_entry command_table[] = {
	{ "vmemmap", cmd_vmemmap, help_vmemmap, 0 },
	{ "vmemmap_cleanup", cmd_vmemmap_cleanup, help_cleanup,
	  CLEANUP | HIDDEN_COMMAND },
	{ NULL, NULL, NULL, 0 },
};

/*
 * Whole or damaged (docs/verdict.md), said once at load: the same check
 * as vmemtrim-inspect's "dump:" line, which lists examples.
 */
static void print_verdict(void)
{
	struct vt_verdict v;
	struct vt_error *err;
	const char *sep = "";

	if (!dt.x86) {
		fprintf(fp, "vmemtrim: dump: unknown: %s\n",
			dt.vm_err ? dt.vm_err->message : "no page tables");
		return;
	}
	err = vt_verdict_check(dt.dump, dt.x86, dt.vm, &dt.sum,
			       dt.vm_err ? dt.vm_err->code : 0, &v);
	if (err) {
		fprintf(fp, "vmemtrim: dump: unknown: %s\n", err->message);
		vt_error_free(err);
		return;
	}
	if (!v.findings) {
		fprintf(fp, "vmemtrim: dump: whole\n");
		return;
	}
	fprintf(fp,
		"vmemtrim: dump: damaged (%" PRIu64 " findings: ", v.findings);
	for (int k = 0; k < VT_FIND_KINDS; k++) {
		if (!v.count[k])
			continue;
		fprintf(fp, "%s%s %" PRIu64, sep, vt_finding_name(k),
			v.count[k]);
		sep = ", ";
	}
	fprintf(fp, "); vmemtrim-inspect %s names them\n", dt.path);
}

void __attribute__((constructor)) vmemtrim_init(void)
{
	register_extension(command_table);
	/* Loading can fail in register_extension(): then touch nothing. */
	if (!(pc->curext->flags & REGISTERED))
		return;
	dump_open();
	if (dt.err) {
		fprintf(fp, "vmemtrim: %s: %s; nothing guarded\n",
			dt.path ? dt.path : "dump", dt.err->message);
		return;
	}
	print_verdict();
	if (dump_lacks_struct_pages()) {
		guard_install();
		fprintf(fp,
			"vmemtrim: %" PRIu64 " pfns in %" PRIu64
			" ranges lack struct page data; kmem, vtop, files -p,"
			" rd -S and bt -F guarded\n",
			dt.sum.missing_pfns, dt.sum.missing_ranges);
	}
}

void __attribute__((destructor)) vmemtrim_fini(void)
{
	filter_end();
	guard_remove();
	dump_close();
}
