// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vmemtrim: makedumpfile's command line for the kdump path, on top of the
 * filter pipeline (filter.h). Parses options, prints progress and the
 * report, maps errors to makedumpfile's exit codes.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dmesg.h"
#include "filter.h"
#include "vmemtrim/error.h"
#include "vmemtrim/format.h"
#include "write.h"

/* makedumpfile's exit codes */
#define EXIT_COMPLETED 0
#define EXIT_FAILED 1
#define EXIT_NOSPACE 2

/* --message-level bits, as makedumpfile's */
#define ML_PROGRESS 1
#define ML_COMMON 2
#define ML_ERROR 4
#define ML_DEBUG 8
#define ML_REPORT 16
#define ML_DEFAULT (ML_PROGRESS | ML_COMMON | ML_ERROR)

static const char usage_text[] =
	"Usage:\n"
	"  vmemtrim [-c|-l|-p|-z] [-d DL] [-e] [-f] [--num-threads N]\n"
	"           [--message-level N] [-i VMCOREINFO] VMCORE DUMPFILE\n"
	"  vmemtrim -F [-c|-l|-p|-z] [-d DL] [-e] ... VMCORE > STREAM\n"
	"  vmemtrim -R DUMPFILE < STREAM\n"
	"  vmemtrim --dump-dmesg [-f] VMCORE LOGFILE\n"
	"  vmemtrim --check-params OPTIONS...\n"
	"  vmemtrim -h | -v\n"
	"\n"
	"Write a kdump-compressed dump of VMCORE (an ELF vmcore such as\n"
	"/proc/vmcore, or a kdump-compressed dump to filter again) to\n"
	"DUMPFILE, leaving out the pages dump level DL excludes.\n"
	"\n"
	"  -c, -l, -p, -z    compress pages with zlib, lzo, snappy or zstd\n"
	"                    (default: none)\n"
	"  -d DL             dump level 0-31, the sum of: 1 zero pages,\n"
	"                    2 cache pages without private data, 4 all cache\n"
	"                    pages, 8 user process pages, 16 free pages\n"
	"                    (buddy, unaccepted, and on the per-CPU lists\n"
	"                    when their list links prove it, or with -x as\n"
	"                    the lists themselves hold them, high-order\n"
	"                    blocks whole)\n"
	"  -e                also leave out the vmemmap pages whose struct\n"
	"                    pages all describe excluded pages; sets\n"
	"                    DUMP_DH_EXCLUDED_VMEMMAP (needs no --work-dir)\n"
	"  -F                write the flattened format to standard output\n"
	"  -R                rebuild DUMPFILE from a flattened stream on\n"
	"                    standard input; a stream cut off after its\n"
	"                    bitmaps gives an INCOMPLETE DUMPFILE and exit 1\n"
	"  -f                overwrite an existing DUMPFILE\n"
	"  -i VMCOREINFO     read VMCOREINFO from this file instead of the\n"
	"                    vmcore's note\n"
	"  --num-threads N   compress on N threads (output is the same for\n"
	"                    any N; default 1); a DUMPFILE that is a regular\n"
	"                    file is written by one more thread\n"
	"  --classify-threads N  classify struct pages on N threads (1 to\n"
	"                    64; default: one per CPU vmemtrim may run on,\n"
	"                    at most 4; an ELF VMCORE only); same output\n"
	"  --message-level N the sum of: 1 progress, 2 common messages,\n"
	"                    4 errors, 8 debug, 16 report (default 7)\n"
	"  --non-mmap        read VMCORE with read calls only (default: a\n"
	"                    saved ELF vmcore's struct pages are read through\n"
	"                    mmap, /proc/vmcore's struct pages and page data\n"
	"                    through bounded mmap windows)\n"
	"  --work-dir DIR    accepted for makedumpfile compatibility; unused\n"
	"  -x VMLINUX        the debug vmlinux of the dump's kernel: its DWARF\n"
	"                    gives the layout of the per-CPU free lists, which\n"
	"                    -d 16 then walks (not needed otherwise); a file\n"
	"                    that is not ELF with DWARF: exit 1; another\n"
	"                    kernel's: a warning, the list links decide\n"
	"  --cyclic-buffer N, --non-cyclic, --splitblock-size N,\n"
	"  -D                accepted and ignored (vmemtrim works in bounded\n"
	"                    memory by itself)\n"
	"  --dump-dmesg      write the kernel log of VMCORE (any dump vmemtrim\n"
	"                    reads) to LOGFILE, as makedumpfile does\n"
	"  --check-params    only check the options and arguments: exit 0,\n"
	"                    or 1 with the reason; no file is touched\n"
	"  --show-stats      the report, as --message-level with 16 added\n"
	"  -b ORDER          accepted and ignored, like --work-dir\n"
	"  -h, --help        this help; -v, --version: the version\n"
	"Other makedumpfile options are refused with the alternative\n"
	"(docs/vmemtrim.8 lists each).\n"
	"\n"
	"Exit status: 0 success, 1 failure, 2 the disk filled up (DUMPFILE\n"
	"is left marked incomplete).\n";

struct cli {
	struct vt_filter_opts f;
	int message_level;
	bool reassemble;
	bool dmesg; /* --dump-dmesg */
	bool check_params; /* --check-params */
	bool show_stats; /* --show-stats */
	int ncodec;
	const char *dumpfile;
	double t0, last;
};

enum {
	OPT_THREADS = 256,
	OPT_MESSAGE_LEVEL,
	OPT_WORK_DIR,
	OPT_CYCLIC_BUFFER,
	OPT_NON_CYCLIC,
	OPT_NON_MMAP,
	OPT_SPLITBLOCK,
	OPT_CLASSIFY_THREADS,
	OPT_DUMP_DMESG,
	OPT_CHECK_PARAMS,
	OPT_SHOW_STATS,
	OPT_REFUSED, /* + index in refused[] */
};

/* makedumpfile's options vmemtrim refuses, and what to use instead. */
static const struct refused {
	const char *name; /* "-X" or "--long" */
	const char *why;
} refused[] = {
	{ "--split", "not supported; write one dump (one file per "
		     "CPU is not needed: --num-threads compresses in "
		     "parallel)" },
	{ "--reassemble", "not supported (there is no --split); use "
			  "makedumpfile --reassemble" },
	{ "--partial-dmesg", "not supported; use --dump-dmesg (the whole "
			     "log)" },
	{ "--vtop", "not supported; use vmemtrim-inspect --page VADDR "
		    "DUMPFILE" },
	{ "--mem-usage", "not supported; use makedumpfile --mem-usage" },
	{ "--dry-run", "not supported; use -F VMCORE > /dev/null, which "
		       "writes nothing and prints the report" },
	{ "--config", "not supported (erasing data needs a vmlinux); use "
		      "makedumpfile --config" },
	{ "--eppic", "not supported (needs a vmlinux); use makedumpfile "
		     "--eppic" },
	{ "--diskset", "not supported (sadump); use makedumpfile "
		       "--diskset" },
	{ "--xen-syms", "not supported (Xen); use makedumpfile" },
	{ "--xen-vmcoreinfo", "not supported (Xen); use makedumpfile" },
	{ "--xen_phys_start", "not supported (Xen); use makedumpfile" },
	{ "-X", "not supported (Xen); use makedumpfile -X" },
	{ "-g", "not supported (it needs a vmlinux); use makedumpfile -g" },
	{ "-L", "not supported; -d 31 -e makes the dump small, and a full "
		"disk still leaves an INCOMPLETE dump crash opens" },
	{ "-E", "ELF output is not supported; vmemtrim writes "
		"kdump-compressed dumps (use makedumpfile -E)" },
};

#define NR_REFUSED (sizeof(refused) / sizeof(refused[0]))

static const struct option long_opts[] = {
	{ "num-threads", required_argument, NULL, OPT_THREADS },
	{ "classify-threads", required_argument, NULL, OPT_CLASSIFY_THREADS },
	{ "message-level", required_argument, NULL, OPT_MESSAGE_LEVEL },
	{ "work-dir", required_argument, NULL, OPT_WORK_DIR },
	{ "cyclic-buffer", required_argument, NULL, OPT_CYCLIC_BUFFER },
	{ "non-cyclic", no_argument, NULL, OPT_NON_CYCLIC },
	{ "non-mmap", no_argument, NULL, OPT_NON_MMAP },
	{ "splitblock-size", required_argument, NULL, OPT_SPLITBLOCK },
	{ "dump-dmesg", no_argument, NULL, OPT_DUMP_DMESG },
	{ "check-params", no_argument, NULL, OPT_CHECK_PARAMS },
	{ "show-stats", no_argument, NULL, OPT_SHOW_STATS },
	{ "split", no_argument, NULL, OPT_REFUSED + 0 },
	{ "reassemble", no_argument, NULL, OPT_REFUSED + 1 },
	{ "partial-dmesg", no_argument, NULL, OPT_REFUSED + 2 },
	{ "vtop", required_argument, NULL, OPT_REFUSED + 3 },
	{ "mem-usage", no_argument, NULL, OPT_REFUSED + 4 },
	{ "dry-run", no_argument, NULL, OPT_REFUSED + 5 },
	{ "config", required_argument, NULL, OPT_REFUSED + 6 },
	{ "eppic", required_argument, NULL, OPT_REFUSED + 7 },
	{ "diskset", required_argument, NULL, OPT_REFUSED + 8 },
	{ "xen-syms", required_argument, NULL, OPT_REFUSED + 9 },
	{ "xen-vmcoreinfo", required_argument, NULL, OPT_REFUSED + 10 },
	{ "xen_phys_start", required_argument, NULL, OPT_REFUSED + 11 },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("vmemtrim: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see vmemtrim -h)\n", stderr);
	return EXIT_FAILED;
}

static int refuse(unsigned int i)
{
	fprintf(stderr, "vmemtrim: %s: %s\n", refused[i].name, refused[i].why);
	return EXIT_FAILED;
}

/* --dump-dmesg VMCORE LOGFILE: -f and --message-level apply, no more. */
static int parse_dmesg(struct cli *c, int argc, char **argv)
{
	if (c->reassemble || c->f.flattened)
		return usage_error("%s: not with -F or -R", "--dump-dmesg");
	if (argc - optind != 2)
		return usage_error("%s: give VMCORE and LOGFILE",
				   "--dump-dmesg");
	c->f.input = argv[optind];
	c->f.output = c->dumpfile = argv[optind + 1];
	return -1;
}

static bool parse_uint(const char *s, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * A numeric option's value (optarg) in [@min, @max]; otherwise the usage
 * error "OPTION VALUE: give MIN to MAX" is printed and false returned.
 */
static bool range_option(const char *name, long min, long max, long *out)
{
	if (parse_uint(optarg, max, out) && *out >= min)
		return true;
	fprintf(stderr, "vmemtrim: %s %s: give %ld to %ld (see vmemtrim -h)\n",
		name, optarg, min, max);
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	struct cli *c = arg;
	double t = now(), el = t - c->t0, pct;

	if (done < total && t - c->last < 0.5)
		return;
	c->last = t;
	pct = total ? 100.0 * (double)done / (double)total : 100.0;
	if (pct > 0.5 && done < total)
		fprintf(stderr, "\rvmemtrim: [%5.1f %%] %6.1f s, ETA %6.1f s ",
			pct, el, el * (100.0 - pct) / pct);
	else
		fprintf(stderr, "\rvmemtrim: [%5.1f %%] %6.1f s             ",
			pct, el);
	if (done >= total)
		fputc('\n', stderr);
}

static int parse(struct cli *c, int argc, char **argv)
{
	int opt;
	long v;

	c->f.dump_level = 0;
	c->f.threads = 1;
	c->message_level = ML_DEFAULT;
	opterr = 0; /* one line of our own instead of getopt's */
	while ((opt = getopt_long(argc, argv, "clpzd:eEFfRi:x:Dhvb:Xg:L:",
				  long_opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c->f.codec = DUMP_DH_COMPRESSED_ZLIB, c->ncodec++;
			break;
		case 'l':
			c->f.codec = DUMP_DH_COMPRESSED_LZO, c->ncodec++;
			break;
		case 'p':
			c->f.codec = DUMP_DH_COMPRESSED_SNAPPY, c->ncodec++;
			break;
		case 'z':
			c->f.codec = DUMP_DH_COMPRESSED_ZSTD, c->ncodec++;
			break;
		case 'd':
			if (!parse_uint(optarg, 31, &v))
				return usage_error("-d %s: the dump level must "
						   "be 0 to 31",
						   optarg);
			c->f.dump_level = (int)v;
			break;
		case 'e':
			c->f.exclude_vmemmap = true;
			break;
		case 'E':
			return refuse(NR_REFUSED - 1);
		case 'X':
			return refuse(NR_REFUSED - 4);
		case 'g':
			return refuse(NR_REFUSED - 3);
		case 'L':
			return refuse(NR_REFUSED - 2);
		case 'F':
			c->f.flattened = true;
			break;
		case 'f':
			c->f.force = true;
			break;
		case 'R':
			c->reassemble = true;
			break;
		case 'i':
			c->f.vmcoreinfo_path = optarg;
			break;
		case 'x':
			c->f.vmlinux = optarg;
			break;
		case 'b':
		case 'D':
		case OPT_WORK_DIR:
		case OPT_CYCLIC_BUFFER:
		case OPT_NON_CYCLIC:
		case OPT_SPLITBLOCK:
			break;
		case OPT_NON_MMAP:
			c->f.non_mmap = true;
			break;
		case OPT_DUMP_DMESG:
			c->dmesg = true;
			break;
		case OPT_CHECK_PARAMS:
			c->check_params = true;
			break;
		case OPT_SHOW_STATS:
			c->show_stats = true;
			break;
		case OPT_THREADS:
			if (!range_option("--num-threads", 1, 256, &v))
				return EXIT_FAILED;
			c->f.threads = (unsigned int)v;
			break;
		case OPT_CLASSIFY_THREADS:
			if (!range_option("--classify-threads", 1, 64, &v))
				return EXIT_FAILED;
			c->f.classify_threads = (unsigned int)v;
			break;
		case OPT_MESSAGE_LEVEL:
			if (!range_option("--message-level", 0, 31, &v))
				return EXIT_FAILED;
			c->message_level = (int)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_COMPLETED);
		case 'v':
			printf("vmemtrim %s\n", VMEMTRIM_VERSION);
			exit(EXIT_COMPLETED);
		default:
			if (opt >= OPT_REFUSED &&
			    opt < OPT_REFUSED + (int)NR_REFUSED)
				return refuse(opt - OPT_REFUSED);
			return usage_error("%s: unknown option or missing "
					   "argument",
					   argv[optind - 1]);
		}
	}
	if (c->ncodec > 1)
		return usage_error("%s: give at most one", "-c, -l, -p, -z");
	if (c->show_stats)
		c->message_level |= ML_REPORT;
	if (c->dmesg)
		return parse_dmesg(c, argc, argv);
	if (c->reassemble) {
		if (argc - optind != 1)
			return usage_error("%s: give one DUMPFILE", "-R");
		c->dumpfile = argv[optind];
		return -1;
	}
	if (c->f.flattened && argc - optind == 1) {
		if (isatty(STDOUT_FILENO))
			return usage_error("%s: standard output is a terminal",
					   "-F");
		c->f.input = argv[optind];
		return -1;
	}
	if (argc - optind != 2)
		return usage_error("%s", "give VMCORE and DUMPFILE");
	c->f.input = argv[optind];
	c->f.output = c->dumpfile = argv[optind + 1];
	return -1;
}

static void print_report(const struct cli *c, const struct vt_filter_report *r)
{
	const uint64_t *x = r->excluded;
	uint64_t cache = x[VT_CLASS_CACHE], priv = x[VT_CLASS_CACHE_PRIVATE];
	uint64_t user = x[VT_CLASS_USER];
	uint64_t pcp = x[VT_CLASS_PCP_FREE];
	uint64_t free_ = x[VT_CLASS_FREE] + x[VT_CLASS_UNACCEPTED] + pcp;
	uint64_t poison = x[VT_CLASS_HWPOISON], off = x[VT_CLASS_OFFLINE];
	uint64_t excl = r->zero + cache + priv + user + free_ + poison + off +
			r->vmemmap_excluded + r->absent;
	uint64_t remain = r->ram - excl;

	printf("\nOriginal pages  : 0x%016llx\n", (unsigned long long)r->ram);
	printf("  Excluded pages   : 0x%016llx\n", (unsigned long long)excl);
	const struct {
		const char *label;
		uint64_t pages;
	} kinds[] = {
		{ "    Pages filled with zero  ", r->zero },
		{ "    Non-private cache pages ", cache },
		{ "    Private cache pages     ", priv },
		{ "    User process data pages ", user },
		{ "    Free pages              ", free_ },
		{ "      on per-CPU lists      ", pcp },
		{ "    Hwpoison pages          ", poison },
		{ "    Offline pages           ", off },
		{ "    Vmemmap pages (-e)      ", r->vmemmap_excluded },
		{ "    Not in the input        ", r->absent },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		printf("%s: 0x%016llx\n", kinds[i].label,
		       (unsigned long long)kinds[i].pages);
	printf("  Remaining pages  : 0x%016llx\n", (unsigned long long)remain);
	if (r->ram)
		printf("  (The number of pages is reduced to %llu%%.)\n",
		       (unsigned long long)(remain * 100 / r->ram));
	printf("Memory Hole     : 0x%016llx\n",
	       (unsigned long long)(r->max_pfn - r->ram));
	printf("--------------------------------------------------\n");
	printf("Total pages     : 0x%016llx\n", (unsigned long long)r->max_pfn);
	printf("Unclassified pages (dumped) : %llu\n",
	       (unsigned long long)r->excluded[VT_CLASS_UNKNOWN] +
		       r->by_class[VT_CLASS_UNKNOWN]);
	printf("Unreadable pages : %llu\n", (unsigned long long)r->unreadable);
	if (r->blind[0])
		printf("Classification  : none (%s)\n", r->blind);
	else
		printf("Classification  : kernel %s\n", r->era ? r->era : "?");
	if (r->pcp_walked)
		printf("Per-CPU lists   : %llu walked with the vmlinux, %llu "
		       "kept\n",
		       (unsigned long long)r->pcp_lists,
		       (unsigned long long)r->pcp_lists_kept);
	if (c->f.exclude_vmemmap)
		printf("Excluded %llu unused vmemmap pages (of %llu holding "
		       "struct pages)\n",
		       (unsigned long long)r->vmemmap_excluded,
		       (unsigned long long)r->vmemmap_pages);
	printf("Write bytes     : %llu\n", (unsigned long long)r->bytes);
	printf("Time            : %.2f s\n", r->seconds);
	printf("\n");
}

/*
 * What a corrupt or unexpected kernel made the filter skip: one warning
 * line each. Every pfn involved was dumped.
 */
static void print_degraded(const struct cli *c,
			   const struct vt_filter_report *r)
{
	const char *in = c->f.input;

	if (r->blind[0])
		fprintf(stderr,
			"vmemtrim: warning: %s: pages not classified (%s); "
			"every page is dumped%s\n",
			in, r->blind,
			c->f.exclude_vmemmap ? ", no vmemmap page left out" :
					       "");
	if (r->warnings && !r->blind[0])
		fprintf(stderr,
			"vmemtrim: warning: %s: %llu implausible struct pages; "
			"their pages were kept\n",
			in, (unsigned long long)r->warnings);
	if (r->sp_unreadable && !r->blind[0])
		fprintf(stderr,
			"vmemtrim: warning: %s: the struct pages of %llu pfns "
			"could not be read; their pages were kept\n",
			in, (unsigned long long)r->sp_unreadable);
	if (r->pcp_fallback[0])
		fprintf(stderr,
			"vmemtrim: warning: %s: per-CPU lists not walked (%s); "
			"their list links decide\n",
			c->f.vmlinux, r->pcp_fallback);
	if (r->pcp_lists_kept)
		fprintf(stderr,
			"vmemtrim: warning: %s: %llu per-CPU lists could not be "
			"walked; their pages were kept\n",
			in, (unsigned long long)r->pcp_lists_kept);
	if (r->first_why[0])
		fprintf(stderr,
			"vmemtrim: warning: %s: the pages to write first were "
			"not found (%s); every page goes in pfn order\n",
			in, r->first_why);
	if (r->bad_roots)
		fprintf(stderr,
			"vmemtrim: warning: %s: %llu mem_section roots could "
			"not be read; struct pages were found through the page "
			"tables\n",
			in, (unsigned long long)r->bad_roots);
}

/*
 * One warning line per run of pfns whose data could not be read (at most
 * VT_FILTER_UNREADABLE_RUNS), one for the pages past those, one in all.
 */
static void print_unreadable(const struct cli *c,
			     const struct vt_filter_report *r)
{
	const char *out = c->dumpfile ? c->dumpfile : "standard output";
	uint64_t listed = 0;

	for (unsigned int i = 0; i < r->unreadable_runs; i++) {
		const struct vt_pfn_run *u = &r->unreadable_run[i];

		listed += u->last - u->first + 1;
		if (u->first == u->last)
			fprintf(stderr,
				"vmemtrim: warning: %s: pfn 0x%llx could not "
				"be read (%s); left out of %s\n",
				c->f.input, (unsigned long long)u->first,
				u->why, out);
		else
			fprintf(stderr,
				"vmemtrim: warning: %s: pfns 0x%llx-0x%llx "
				"could not be read (%s); left out of %s\n",
				c->f.input, (unsigned long long)u->first,
				(unsigned long long)u->last, u->why, out);
	}
	if (listed < r->unreadable)
		fprintf(stderr,
			"vmemtrim: warning: %s: %llu more pages could not be "
			"read; left out of %s\n",
			c->f.input,
			(unsigned long long)(r->unreadable - listed), out);
	fprintf(stderr,
		"vmemtrim: warning: %llu pages could not be read and are "
		"missing from %s (marked incomplete)\n",
		(unsigned long long)r->unreadable, out);
}

/*
 * What a dump cut short holds (the critical set went first): the kinds
 * written whole, the kinds cut off with the pages they lack, and the
 * other pages missing. Two lines, the kinds in the order written.
 */
static void print_cut(const struct cli *c, const struct vt_filter_report *r)
{
	const char *out = c->dumpfile ? c->dumpfile : "standard output";
	uint64_t missing = 0, pages = 0;
	const char *sep = "";

	fprintf(stderr, "vmemtrim: %s holds", out);
	for (int k = 0; k < VT_CRIT_KINDS; k++) {
		if (!r->first_pages[k] ||
		    r->first_written[k] < r->first_pages[k])
			continue;
		fprintf(stderr, "%s %s (%llu)", *sep ? sep : ":",
			vt_critical_kind_name(k),
			(unsigned long long)r->first_pages[k]);
		sep = ",";
	}
	fprintf(stderr, "%s written first and whole\n",
		*sep ? ";" : " none of the critical pages");
	sep = "";
	fprintf(stderr, "vmemtrim: %s lacks", out);
	for (int k = 0; k < VT_CRIT_KINDS; k++) {
		uint64_t lack = r->first_pages[k] - r->first_written[k];

		if (!lack)
			continue;
		fprintf(stderr, "%s %llu of %llu pages of %s", *sep ? sep : ":",
			(unsigned long long)lack,
			(unsigned long long)r->first_pages[k],
			vt_critical_kind_name(k));
		sep = ",";
	}
	for (int k = 0; k < VT_CRIT_KINDS; k++) {
		missing += r->first_pages[k] - r->first_written[k];
		pages += r->first_pages[k];
	}
	fprintf(stderr,
		"%s %llu of %llu other pages (%llu of %llu pages "
		"missing in all)\n",
		*sep ? sep : ":",
		(unsigned long long)(r->other_pages - r->other_written),
		(unsigned long long)r->other_pages,
		(unsigned long long)(missing + r->other_pages -
				     r->other_written),
		(unsigned long long)(pages + r->other_pages));
}

/* Say why @err failed the run (it is freed). */
static int failed(const struct cli *c, struct vt_error *err)
{
	if (c->message_level & ML_ERROR)
		fprintf(stderr, "vmemtrim: %s\n", err->message);
	vt_error_free(err);
	return EXIT_FAILED;
}

static int reassemble(struct cli *c)
{
	struct vt_error *err = vt_flat_reassemble(
		STDIN_FILENO, "standard input", c->dumpfile, c->f.force);

	if (err)
		return failed(c, err);
	if (c->message_level & ML_COMMON)
		fprintf(stderr, "vmemtrim: the dumpfile is saved to %s\n",
			c->dumpfile);
	return EXIT_COMPLETED;
}

static void print_log_summary(const struct cli *c,
			      const struct vt_printk_summary *s)
{
	char prefix[PATH_MAX + 32];

	snprintf(prefix, sizeof(prefix), "vmemtrim: warning: %s: ", c->f.input);
	vt_printk_summary_print(stderr, prefix, s);
}

static int dump_dmesg(struct cli *c)
{
	struct vt_dmesg_opts o = { .input = c->f.input,
				   .output = c->dumpfile,
				   .force = c->f.force };
	struct vt_printk_summary s = { 0 };
	struct vt_error *err = vt_dump_dmesg(&o, &s);

	if (c->message_level & ML_ERROR)
		print_log_summary(c, &s);
	if (err)
		return failed(c, err);
	if (c->message_level & ML_COMMON)
		fprintf(stderr,
			"vmemtrim: %llu log records; the dmesg log is saved "
			"to %s\n",
			(unsigned long long)s.records, c->dumpfile);
	return EXIT_COMPLETED;
}

int main(int argc, char **argv)
{
	struct cli c = { 0 };
	struct vt_filter_report r;
	struct vt_error *err;
	struct stat st;
	int rc = parse(&c, argc, argv);

	if (rc >= 0)
		return rc;
	if (c.check_params)
		return EXIT_COMPLETED;
	if (c.reassemble)
		return reassemble(&c);
	if (c.dmesg)
		return dump_dmesg(&c);
	c.t0 = c.last = now();
	if ((c.message_level & ML_PROGRESS) && isatty(STDERR_FILENO)) {
		c.f.progress = progress;
		c.f.progress_arg = &c;
	}
	err = vt_filter_run(&c.f, &r);
	if (c.f.output && stat(c.f.output, &st) == 0 && S_ISREG(st.st_mode) &&
	    (!err || (r.status & DUMP_DH_COMPRESSED_INCOMPLETE)))
		r.bytes = (uint64_t)st.st_size;
	if ((c.message_level & ML_REPORT) && (!err || r.max_pfn))
		print_report(&c, &r);
	if (r.unreadable && (c.message_level & ML_ERROR))
		print_unreadable(&c, &r);
	if (err) {
		bool nospace = err->errnum == ENOSPC;

		if (c.message_level & ML_ERROR)
			fprintf(stderr, "vmemtrim: %s\n", err->message);
		if ((c.message_level & ML_ERROR) &&
		    (r.status & DUMP_DH_COMPRESSED_INCOMPLETE) &&
		    err->code == VT_ERR_IO)
			print_cut(&c, &r);
		vt_error_free(err);
		return nospace ? EXIT_NOSPACE : EXIT_FAILED;
	}
	if (c.message_level & ML_ERROR)
		print_degraded(&c, &r);
	if (c.message_level & ML_DEBUG)
		fprintf(stderr,
			"vmemtrim: debug: %s: %s; %llu ranges read again "
			"after a page of the mapping failed\n",
			c.f.input,
			r.mapped == VT_MAP_WINDOWS ?
				"struct pages and page data read through "
				"mmap windows" :
			r.mapped == VT_MAP_WHOLE ?
				"struct pages read in place (mmap)" :
				"struct pages read with pread",
			(unsigned long long)r.map_retries);
	if (c.message_level & ML_DEBUG)
		fprintf(stderr,
			"vmemtrim: debug: struct pages classified on %u "
			"thread%s\n",
			r.classify_threads, r.classify_threads == 1 ? "" : "s");
	if (c.message_level & ML_DEBUG)
		fprintf(stderr,
			"vmemtrim: debug: time: set-up %.3f s, pass 1 %.3f s, "
			"pass 2 %.3f s, finish %.3f s\n",
			r.t_setup, r.t_pass1, r.t_pass2, r.t_finish);
	if (c.message_level & ML_COMMON) {
		fprintf(stderr,
			"vmemtrim: %llu of %llu pages dumped, %llu vmemmap "
			"pages left out, %llu bytes in %.1f s\n",
			(unsigned long long)(r.dumped - r.zero),
			(unsigned long long)r.ram,
			(unsigned long long)r.vmemmap_excluded,
			(unsigned long long)r.bytes, r.seconds);
		if (c.dumpfile)
			fprintf(stderr,
				"vmemtrim: the dumpfile is saved to %s\n",
				c.dumpfile);
	}
	return EXIT_COMPLETED;
}
