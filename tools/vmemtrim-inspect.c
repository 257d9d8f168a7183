// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vmemtrim-inspect: triage a kernel dump without crash. What the dump is,
 * how many pages it holds, and exactly which pfns have no struct page data
 * in it. Text for people, one JSON object (docs/inspect-json.md) for tools.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/findings.h"
#include "vmemtrim/format.h"
#include "vmemtrim/json.h"
#include "vmemtrim/panic.h"
#include "vmemtrim/printk.h"
#include "vmemtrim/verdict.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

#define EXIT_USAGE 2
#define EXIT_DAMAGED 3
#define NOT_WRITTEN_LISTED 8 /* runs of pfns not written shown without -r */

static const char usage_text[] =
	"Usage: vmemtrim-inspect [OPTION]... DUMPFILE...\n"
	"Describe a kernel dump (ELF vmcore, kdump-compressed, flattened, or\n"
	"the files of one split dump) and say which pfns lack struct page "
	"data.\n"
	"\n"
	"  -j, --json          one JSON object (schema: docs/inspect-json.md)\n"
	"  -r, --ranges        list every pfn range lacking struct page data,\n"
	"                      and every range not written (an incomplete\n"
	"                      dump; the first 8 without -r)\n"
	"  -p, --pfn N         is pfn N's data, and its struct page, in the "
	"dump\n"
	"  -P, --paddr ADDR    the same for the pfn of physical address ADDR\n"
	"  -a, --page VADDR    the same for the pfn whose struct page is at "
	"VADDR\n"
	"  -d, --dmesg         print the kernel log instead (the lines of\n"
	"                      vmemtrim --dump-dmesg)\n"
	"  -c, --check         exit 3 when the dump is damaged (the 'dump:'\n"
	"                      line: page tables, kernel image, mem_section\n"
	"                      roots or log missing), 0 when whole\n"
	"  -h, --help          this text\n"
	"  -V, --version       the version\n"
	"\n"
	"Numbers take 0x for hex. Exit status: 0 done, 1 error (the dump "
	"cannot\n"
	"be read or is corrupt, or with --check no verdict), 2 bad usage, "
	"3 with\n"
	"--check: the dump is damaged.\n";

enum query { Q_NONE, Q_PFN, Q_PADDR, Q_PAGE };

struct options {
	bool json, ranges, dmesg, check;
	enum query query;
	uint64_t query_value;
	const char *const *paths;
	unsigned int npaths;
};

/* What inspect found, gathered before printing in either form. */
struct findings {
	struct vt_findings g; /* what the dump says */
	bool have_pfn; /* a pfn was asked about: */
	struct vt_pfn_report pfn;
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("vmemtrim-inspect: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'vmemtrim-inspect --help'.\n", stderr);
	return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	if (!*s || *s == '-')
		return false;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "ranges", no_argument, NULL, 'r' },
		{ "pfn", required_argument, NULL, 'p' },
		{ "paddr", required_argument, NULL, 'P' },
		{ "page", required_argument, NULL, 'a' },
		{ "dmesg", no_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "jrp:P:a:dchV", longopts, NULL)) !=
	       -1) {
		enum query q = c == 'p' ? Q_PFN : c == 'P' ? Q_PADDR : Q_PAGE;

		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'r':
			o->ranges = true;
			break;
		case 'd':
			o->dmesg = true;
			break;
		case 'c':
			o->check = true;
			break;
		case 'p':
		case 'P':
		case 'a':
			if (o->query != Q_NONE)
				return usage_error("%s", "give at most one of "
							 "--pfn, --paddr, "
							 "--page");
			if (!parse_u64(optarg, &o->query_value))
				return usage_error("not a number: '%s'",
						   optarg);
			o->query = q;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case 'V':
			puts("vmemtrim-inspect " VMEMTRIM_VERSION);
			exit(0);
		default:
			fputs("Try 'vmemtrim-inspect --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no DUMPFILE given");
	if (o->dmesg &&
	    (o->json || o->ranges || o->check || o->query != Q_NONE))
		return usage_error("%s", "--dmesg prints the log alone: not "
					 "with --json, --ranges, --check or "
					 "a pfn");
	o->paths = (const char *const *)argv + optind;
	o->npaths = argc - optind;
	return 0;
}

/* The pfn a --paddr / --page question is about. */
static struct vt_error *query_pfn(const struct options *o,
				  const struct findings *f, uint64_t *pfn)
{
	const struct vt_kernel_profile *kp = f->g.kp;

	switch (o->query) {
	case Q_PADDR:
		*pfn = o->query_value / f->g.info->page_size;
		return NULL;
	case Q_PAGE:
		if (!f->g.vm)
			return vt_error_new(VT_ERR_INVALID,
					    "cannot map struct page address "
					    "0x%" PRIx64 " to a pfn: %s",
					    o->query_value,
					    f->g.vm_err->message);
		if (o->query_value < vt_vmemmap_base(f->g.vm) ||
		    (o->query_value - vt_vmemmap_base(f->g.vm)) %
			    kp->size_page.value)
			return vt_error_new(
				VT_ERR_INVALID,
				"0x%" PRIx64 " is not a struct "
				"page address (vmemmap base "
				"0x%" PRIx64 ", struct page %" PRId64 " bytes)",
				o->query_value, vt_vmemmap_base(f->g.vm),
				kp->size_page.value);
		*pfn = (o->query_value - vt_vmemmap_base(f->g.vm)) /
		       kp->size_page.value;
		return NULL;
	default:
		*pfn = o->query_value;
		return NULL;
	}
}

static struct vt_error *gather(const struct options *o, struct findings *f)
{
	struct vt_error *err;
	uint64_t pfn = 0;

	err = vt_findings_gather(o->paths, o->npaths, true, &f->g);
	if (err)
		return err;
	/* in text, the struct pages' line says why they are unknown */
	if (o->ranges && o->json && f->g.vm_err)
		return vt_error_new(f->g.vm_err->code,
				    "%s: cannot tell which struct pages are "
				    "missing: %s",
				    o->paths[0], f->g.vm_err->message);
	if (o->query == Q_NONE)
		return NULL;
	err = query_pfn(o, f, &pfn);
	if (err)
		return vt_error_prefix(err, "%s: ", o->paths[0]);
	if (!f->g.vm)
		return vt_error_new(f->g.vm_err->code,
				    "%s: pfn 0x%" PRIx64 ": %s", o->paths[0],
				    pfn, f->g.vm_err->message);
	err = vt_vmemmap_pfn(f->g.vm, pfn, &f->pfn);
	f->have_pfn = !err;
	return err;
}

static void release(struct findings *f)
{
	vt_findings_release(&f->g);
}

/* --- text ------------------------------------------------------------------ */

static void text_status(uint32_t status)
{
	bool any = false;

	printf("%-16s0x%x", "status:", status);
	for (uint32_t bit = 1; bit; bit <<= 1)
		if ((status & bit) && vt_status_bit_name(bit)) {
			printf("%s%s", any ? " " : " (",
			       vt_status_bit_name(bit));
			any = true;
		}
	puts(any ? ")" : "");
}

static void text_header(const struct findings *f)
{
	const struct vt_dump_info *in = f->g.info;

	for (unsigned int i = 0; i < in->nr_parts; i++)
		printf("%-16s%s (%s, pfns 0x%" PRIx64 "-0x%" PRIx64 ")\n",
		       i ? "" : "file:", in->parts[i].path,
		       vt_format_name(in->parts[i].format),
		       in->parts[i].start_pfn, in->parts[i].end_pfn);
	if (in->format == VT_FORMAT_ELF) {
		printf("%-16sELF vmcore\n", "format:");
	} else {
		printf("%-16skdump-compressed%s, header version %d\n",
		       "format:",
		       in->format == VT_FORMAT_KDUMP_FLAT ? " (flattened)" : "",
		       in->header_version);
		text_status(in->status);
		printf("%-16s%s\n",
		       "compression:", vt_compression_name(in->status));
		printf("%-16s%d\n", "dump level:", in->dump_level);
	}
	printf("%-16s%s %s %s %s\n", "kernel:", in->sysname, in->release,
	       in->version, in->machine);
	printf("%-16s%s\n", "node:", in->nodename);
	if (in->crash_time >= 0) {
		char when[64];
		time_t t = in->crash_time;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
			 gmtime(&t));
		printf("%-16s%s (%" PRId64 ")\n", "crash time:", when,
		       in->crash_time);
	} else {
		printf("%-16sunknown\n", "crash time:");
	}
	printf("%-16s%d\n", "cpus:", in->nr_cpus);
	printf("%-16s%u\n", "page size:", in->page_size);
	printf("%-16s0x%" PRIx64 " (%" PRIu64 ")\n", "max pfn:", in->max_pfn,
	       in->max_pfn);
}

static void text_pages(const struct findings *f)
{
	const struct vt_dump_counts *c = &f->g.counts;
	uint64_t remaining = c->dumped - c->zero;

	printf("pages:\n");
	printf("  %-24s%" PRIu64 "\n", "total (max pfn):", f->g.info->max_pfn);
	printf("  %-24s%" PRIu64 "\n",
	       "memory holes:", f->g.info->max_pfn - c->ram);
	printf("  %-24s%" PRIu64 "\n", "in RAM:", c->ram);
	printf("  %-24s%" PRIu64 " (%.1f%% of RAM)\n", "dumped:", remaining,
	       c->ram ? 100.0 * remaining / c->ram : 0.0);
	printf("  %-24s%" PRIu64 "\n", "zero (shared page):", c->zero);
	printf("  %-24s%" PRIu64 "\n", "excluded:", c->ram - remaining);
	if (c->not_written)
		printf("  %-24s%" PRIu64 " (dump incomplete)\n",
		       "not written:", c->not_written);
}

/* Runs of pfns not written, listed in text: the first few, or all. */
struct nw_list {
	uint64_t shown, limit; /* limit 0: no limit */
};

static int text_nw_range(void *arg, uint64_t start, uint64_t end,
			 uint64_t count)
{
	struct nw_list *l = arg;

	if (l->limit && l->shown == l->limit)
		return 1;
	printf("  %-24s0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 ")\n",
	       l->shown ? "" : "not written, pfns:", start, end - 1, count);
	l->shown++;
	return 0;
}

/* Where the pages not written are: NOT_WRITTEN_LISTED runs, or all. */
static struct vt_error *text_not_written(const struct options *o,
					 const struct findings *f)
{
	const struct vt_dump_counts *c = &f->g.counts;
	struct nw_list l = { 0, o->ranges ? 0 : NOT_WRITTEN_LISTED };
	struct vt_error *err;

	if (!c->not_written)
		return NULL;
	err = vt_dump_not_written(f->g.dump, text_nw_range, &l);
	if (!err && l.shown < c->not_written_ranges)
		printf("  %-24s... and %" PRIu64
		       " more ranges (--ranges lists them all)\n",
		       "", c->not_written_ranges - l.shown);
	return err;
}

static void text_vmcoreinfo(const struct findings *f)
{
	const struct vt_kernel_profile *kp = f->g.kp;

	printf("vmcoreinfo:\n");
	printf("  %-24s%s\n", "release:", kp->release[0] ? kp->release : "-");
	if (kp->size_page.known)
		printf("  %-24s%" PRId64 " bytes\n",
		       "struct page:", kp->size_page.value);
	if (f->g.x86)
		printf("  %-24s%d\n",
		       "paging levels:", vt_x86_64_levels(f->g.x86));
	if (f->g.vm)
		printf("  %-24s0x%" PRIx64 "\n",
		       "vmemmap base:", vt_vmemmap_base(f->g.vm));
	if (kp->kernel_offset.known)
		printf("  %-24s0x%" PRIx64 "\n",
		       "KASLR offset:", (uint64_t)kp->kernel_offset.value);
}

static void text_struct_pages(const struct findings *f)
{
	const struct vt_vmemmap_summary *s = &f->g.sum;

	if (!f->g.vm) {
		printf("struct pages:   unknown: %s\n", f->g.vm_err->message);
		return;
	}
	if (!s->missing_pfns) {
		printf("struct pages:   all %" PRIu64 " present\n",
		       s->section_pfns);
		return;
	}
	printf("struct pages:   %" PRIu64 " pfns in %" PRIu64
	       " ranges lack struct page data (%.1f%% of %" PRIu64 ")\n",
	       s->missing_pfns, s->missing_ranges,
	       100.0 * s->missing_pfns / s->section_pfns, s->section_pfns);
	printf("  %-24s%" PRIu64 "\n", "of them in RAM:", s->missing_ram_pfns);
	printf("  %-24s%" PRIu64 " of %" PRIu64 "\n",
	       "vmemmap pages excluded:", s->vmemmap_pages_excluded,
	       s->vmemmap_pages);
}

static int text_range(void *arg, const struct vt_sp_range *r)
{
	uint64_t *total = arg;

	if (r->state == VT_SP_PRESENT || r->state == VT_SP_NO_SECTION)
		return 0;
	printf("  0x%010" PRIx64 "  0x%010" PRIx64 "  %12" PRIu64 "  %s\n",
	       r->start_pfn, r->end_pfn, r->end_pfn - r->start_pfn,
	       vt_struct_page_state_name(r->state));
	*total += r->end_pfn - r->start_pfn;
	return 0;
}

static struct vt_error *text_ranges(const struct findings *f)
{
	uint64_t total = 0;
	struct vt_error *err;

	printf("pfn ranges lacking struct page data:\n");
	printf("  %-12s  %-12s  %12s  %s\n", "start pfn", "end pfn", "count",
	       "why");
	err = vt_vmemmap_ranges(f->g.vm, 0, f->g.info->max_pfn, text_range,
				&total);
	if (!err)
		printf("  total: %" PRIu64 " pfns in %" PRIu64 " ranges\n",
		       total, f->g.sum.missing_ranges);
	return err;
}

static void text_pfn(const struct findings *f)
{
	const struct vt_pfn_report *p = &f->pfn;

	printf("pfn 0x%" PRIx64 ":\n", p->pfn);
	printf("  %-24s%s\n", "data:", vt_pfn_state_name(p->data));
	printf("  %-24s%s\n",
	       "struct page:", vt_struct_page_state_name(p->struct_page));
	if (p->struct_page == VT_SP_NO_SECTION)
		return;
	printf("  %-24s0x%" PRIx64 "\n", "struct page address:", p->page_vaddr);
	if (p->struct_page == VT_SP_PRESENT || p->struct_page == VT_SP_EXCLUDED)
		printf("  %-24s0x%" PRIx64 " (pfn 0x%" PRIx64 ", %s)\n",
		       "held at paddr:", p->page_paddr, p->vmemmap_pfn,
		       vt_pfn_state_name(p->vmemmap_data));
	if (p->struct_page == VT_SP_EXCLUDED)
		printf("  why: the vmemmap page holding this struct page was "
		       "left out of the dump,\n"
		       "       as no pfn it describes is dumped (holes, or "
		       "excluded at dump level %d)\n",
		       f->g.info->dump_level);
}

static void text_log(const struct findings *f)
{
	const struct vt_panic *p = &f->g.panic;

	if (f->g.log_err) {
		printf("%-16sunreadable: %s\n", "log:", f->g.log_err->message);
		return;
	}
	printf("%-16s%" PRIu64 " records\n", "log:", p->log.records);
	vt_printk_summary_print(stdout, "  ", &p->log);
	if (p->found)
		printf("%-16s%s\n", "panic:", p->message);
	else if (p->nr_lines)
		printf("%-16snone found; the log's last lines:\n", "panic:");
	else
		printf("%-16snone found\n", "panic:");
	for (unsigned int i = 0; i < p->nr_lines; i++) {
		if (i == p->nr_lines - 1 && p->lines_skipped)
			printf("  ... %" PRIu64 " lines left out ...\n",
			       p->lines_skipped);
		printf("  %s\n", p->lines[i]);
	}
}

/* The verdict: one line, the counts by kind, a few examples. */
static void text_verdict(const struct findings *f)
{
	const struct vt_verdict *v = &f->g.verdict;

	if (f->g.verdict_err) {
		printf("dump:           unknown: %s\n",
		       f->g.verdict_err->message);
		return;
	}
	if (!v->findings) {
		printf("dump:           whole (%" PRIu64
		       " page tables, %" PRIu64
		       " kernel image pages, log %s)\n",
		       v->tables, v->image_pages,
		       v->log_checked ? "read" : "not read");
		return;
	}
	printf("dump:           damaged (%" PRIu64 " findings)\n", v->findings);
	for (int k = 0; k < VT_FIND_KINDS; k++)
		if (v->count[k])
			printf("  %-24s%" PRIu64 "\n", vt_finding_name(k),
			       v->count[k]);
	for (unsigned int i = 0; i < v->nr_examples; i++) {
		const struct vt_finding *e = &v->examples[i];

		printf("  e.g. %s", vt_finding_name(e->kind));
		if (e->kind == VT_FIND_TABLE_ABSENT ||
		    e->kind == VT_FIND_TABLE_BAD)
			printf(": level %d table pfn 0x%" PRIx64
			       " (maps vaddr 0x%" PRIx64 ")",
			       e->level, e->pfn, e->vaddr);
		else if (e->kind == VT_FIND_IMAGE)
			printf(": pfn 0x%" PRIx64 " (vaddr 0x%" PRIx64 ")",
			       e->pfn, e->vaddr);
		else if (e->count > 1)
			printf(": %" PRIu64, e->count);
		printf("\n");
	}
}

static struct vt_error *print_text(const struct options *o,
				   const struct findings *f)
{
	struct vt_error *err;

	text_header(f);
	text_pages(f);
	err = text_not_written(o, f);
	if (err)
		return err;
	text_vmcoreinfo(f);
	text_struct_pages(f);
	text_log(f);
	text_verdict(f);
	if (o->ranges && f->g.sum.missing_pfns) {
		err = text_ranges(f);
		if (err)
			return err;
	}
	if (f->have_pfn)
		text_pfn(f);
	return NULL;
}

/* --- JSON ------------------------------------------------------------------ */

static struct vt_error *print_json(const struct options *o,
				   const struct findings *f)
{
	struct vt_report r =
		vt_findings_report(&f->g, f->have_pfn ? &f->pfn : NULL);

	return vt_json_print(stdout, &r, o->ranges,
			     "vmemtrim-inspect " VMEMTRIM_VERSION);
}

/* --- --dmesg ----------------------------------------------------------------- */

struct line_buf {
	char *line;
	size_t cap;
	bool failed;
};

static int put_record(void *arg, const struct vt_printk_record *r)
{
	struct line_buf *b = arg;
	size_t need = vt_printk_line_max(r);

	if (need > b->cap) {
		char *l = realloc(b->line, need);

		if (!l) {
			b->failed = true;
			return 1;
		}
		b->line = l;
		b->cap = need;
	}
	fwrite(b->line, 1, vt_printk_line(r, b->line), stdout);
	return 0;
}

/* The log as vmemtrim --dump-dmesg writes it, on standard output. */
static struct vt_error *print_dmesg(const struct options *o)
{
	struct vt_dump *dump = NULL;
	struct vt_printk *p = NULL;
	struct line_buf b = { 0 };
	struct vt_error *err;

	err = vt_dump_open(o->paths, o->npaths, &dump);
	if (!err && (err = vt_printk_open_dump(dump, &p)))
		err = vt_error_prefix(err, "%s: ", o->paths[0]);
	if (!err && (err = vt_printk_walk(p, put_record, &b)))
		err = vt_error_prefix(err, "%s: ", o->paths[0]);
	if (!err && b.failed)
		err = vt_error_new(VT_ERR_NOMEM, "out of memory");
	if (p) {
		char prefix[4096];

		snprintf(prefix, sizeof(prefix),
			 "vmemtrim-inspect: warning: %s: ", o->paths[0]);
		vt_printk_summary_print(stderr, prefix,
					vt_printk_summary_of(p));
	}
	free(b.line);
	vt_printk_free(p);
	vt_dump_close(dump);
	return err;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct findings f = { 0 };
	struct vt_error *err;
	int rc = parse_options(argc, argv, &o);

	if (rc)
		return rc;
	if (o.dmesg)
		err = print_dmesg(&o);
	else
		err = gather(&o, &f);
	if (!err && !o.dmesg)
		err = o.json ? print_json(&o, &f) : print_text(&o, &f);
	if (!err && (fflush(stdout) || ferror(stdout)))
		err = vt_error_errno(errno, "writing to standard output");
	if (!err && o.check && f.g.verdict_err)
		err = vt_error_new(f.g.verdict_err->code, "--check: %s",
				   f.g.verdict_err->message);
	rc = !err && o.check && f.g.verdict.findings ? EXIT_DAMAGED : 0;
	release(&f);
	if (err) {
		fprintf(stderr, "vmemtrim-inspect: %s\n", err->message);
		vt_error_free(err);
		return 1;
	}
	return rc;
}
