// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tool-readcmp: every page the reader returns from a dump equals the page
 * of the vmcore the dump was made from.
 *
 *   tool-readcmp [--stride N] SOURCE DUMPFILE...
 *
 * Opens SOURCE (usually the ELF vmcore) and the dump (one file, or the
 * files of a split set) with vt_dump_open. For every pfn below max_pfn:
 * RAM in the dump iff RAM in the source; a pfn dumped in the dump is dumped
 * in the source; its page read from the dump equals the source's page byte
 * for byte. With --stride N only every Nth dumped pfn is read and compared
 * (the states of all pfns are still checked). Pfns the bitmap says are
 * dumped but whose data was never written (incomplete dump) are counted
 * apart, not as mismatches.
 *
 * Prints one summary line "readcmp: ..." on stdout; on a mismatch also
 * "readcmp: first mismatch: pfn 0x... ..." and exits 1. Exit 2: usage or a
 * dump that cannot be opened.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/error.h"
#include "vmemtrim/format.h"

struct tally {
	uint64_t pfns, ram, holes, dumped, compared, equal, excluded,
		not_written, mismatches, source_only_ram;
	uint64_t first_source_only; /* the first of those */
	char first[256]; /* the first mismatch, "" when none */
};

static const char *state_name(enum vt_pfn_state s)
{
	return s == VT_PFN_DUMPED   ? "dumped" :
	       s == VT_PFN_EXCLUDED ? "excluded" :
				      "hole";
}

static void mismatch(struct tally *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Count a mismatch; the first one's description is kept. */
static void mismatch(struct tally *t, const char *fmt, ...)
{
	va_list ap;

	if (t->mismatches++)
		return;
	va_start(ap, fmt);
	vsnprintf(t->first, sizeof(t->first), fmt, ap);
	va_end(ap);
}

/* The state of @pfn in @d; *st and *run_end cache the current run. */
static struct vt_error *state_of(struct vt_dump *d, uint64_t pfn,
				 enum vt_pfn_state *st, uint64_t *run_end)
{
	if (pfn < *run_end)
		return NULL;
	return vt_dump_pfn_run(d, pfn, st, run_end);
}

/* Compare one dumped pfn's page; returns a fatal error only. */
static struct vt_error *compare_page(struct vt_dump *src, struct vt_dump *dump,
				     uint64_t pfn, unsigned char *a,
				     unsigned char *b, size_t page_size,
				     struct tally *t)
{
	struct vt_error *err = vt_dump_read_page(dump, pfn, b);

	if (err) {
		bool incomplete = vt_dump_info(dump)->status &
				  DUMP_DH_COMPRESSED_INCOMPLETE;

		if (err->code == VT_ERR_NODATA && incomplete) {
			t->not_written++;
			vt_error_free(err);
			return NULL;
		}
		mismatch(t, "pfn 0x%" PRIx64 ": reading it from the dump: %s",
			 pfn, err->message);
		vt_error_free(err);
		return NULL;
	}
	err = vt_dump_read_page(src, pfn, a);
	if (err) {
		mismatch(t, "pfn 0x%" PRIx64 ": reading it from the source: %s",
			 pfn, err->message);
		vt_error_free(err);
		return NULL;
	}
	t->compared++;
	if (!memcmp(a, b, page_size)) {
		t->equal++;
	} else {
		size_t i = 0;
		char what[96];

		while (a[i] == b[i])
			i++;
		snprintf(what, sizeof(what),
			 "byte 0x%zx: dump 0x%02x, source 0x%02x", i, b[i],
			 a[i]);
		mismatch(t, "pfn 0x%" PRIx64 ": page differs at %s", pfn, what);
	}
	return NULL;
}

static struct vt_error *walk(struct vt_dump *src, struct vt_dump *dump,
			     uint64_t stride, struct tally *t)
{
	const struct vt_dump_info *di = vt_dump_info(dump);
	size_t page_size = di->page_size;
	unsigned char *a = malloc(page_size), *b = malloc(page_size);
	enum vt_pfn_state ss = VT_PFN_HOLE, ds = VT_PFN_HOLE;
	uint64_t s_end = 0, d_end = 0;
	struct vt_error *err = NULL;

	if (!a || !b) {
		free(a);
		free(b);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	for (uint64_t pfn = 0; pfn < di->max_pfn && !err; pfn++) {
		err = state_of(src, pfn, &ss, &s_end);
		if (!err)
			err = state_of(dump, pfn, &ds, &d_end);
		if (err)
			break;
		t->pfns++;
		/*
		 * A dump cannot hold RAM its source does not have. The
		 * other way round is the writer's choice, not the reader's:
		 * makedumpfile 1.7.2 leaves a partial page at the end of a
		 * PT_LOAD (real e820: 0x1000-0x9fc00) out of the 1st bitmap
		 * in cyclic mode and keeps it with --work-dir. Counted apart.
		 */
		if (ds != VT_PFN_HOLE && ss == VT_PFN_HOLE)
			mismatch(t,
				 "pfn 0x%" PRIx64 ": RAM in the dump (%s), "
				 "a hole in the source",
				 pfn, state_name(ds));
		if (ds == VT_PFN_HOLE && ss != VT_PFN_HOLE &&
		    !t->source_only_ram++)
			t->first_source_only = pfn;
		if (ds == VT_PFN_HOLE) {
			t->holes++;
			continue;
		}
		t->ram++;
		if (ds == VT_PFN_EXCLUDED) {
			t->excluded++;
			continue;
		}
		t->dumped++;
		if (ss != VT_PFN_DUMPED) {
			mismatch(t,
				 "pfn 0x%" PRIx64 ": dumped in the dump, "
				 "%s in the source",
				 pfn, state_name(ss));
			continue;
		}
		if ((t->dumped - 1) % stride)
			continue;
		err = compare_page(src, dump, pfn, a, b, page_size, t);
	}
	free(a);
	free(b);
	return err;
}

static int usage(void)
{
	fputs("usage: tool-readcmp [--stride N] SOURCE DUMPFILE...\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct vt_dump *src = NULL, *dump = NULL;
	struct tally t = { 0 };
	struct vt_error *err;
	uint64_t stride = 1;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "--stride")) {
		char *end;

		stride = strtoull(argv[2], &end, 0);
		if (*end || !stride)
			return usage();
		i = 3;
	}
	if (argc - i < 2)
		return usage();
	err = vt_dump_open((const char *const *)argv + i, 1, &src);
	if (!err)
		err = vt_dump_open((const char *const *)argv + i + 1,
				   argc - i - 1, &dump);
	if (err) {
		printf("readcmp: cannot open: %s\n", err->message);
		vt_error_free(err);
		vt_dump_close(src);
		return 2;
	}
	if (vt_dump_info(src)->max_pfn != vt_dump_info(dump)->max_pfn)
		mismatch(&t,
			 "max_pfn 0x%" PRIx64 " of the dump differs from "
			 "the source's (%s)",
			 vt_dump_info(dump)->max_pfn, argv[i]);
	err = walk(src, dump, stride, &t);
	printf("readcmp: %" PRIu64 " pfns: %" PRIu64 " RAM, %" PRIu64
	       " holes, %" PRIu64 " excluded, %" PRIu64 " dumped; %" PRIu64
	       " pages compared (stride %" PRIu64 "), %" PRIu64
	       " equal, %" PRIu64 " not written, %" PRIu64
	       " mismatches; %" PRIu64 " RAM only in the source",
	       t.pfns, t.ram, t.holes, t.excluded, t.dumped, t.compared, stride,
	       t.equal, t.not_written, t.mismatches, t.source_only_ram);
	if (t.source_only_ram)
		printf(" (first: pfn 0x%" PRIx64 ")", t.first_source_only);
	putchar('\n');
	if (t.mismatches)
		printf("readcmp: first mismatch: %s\n", t.first);
	if (err)
		printf("readcmp: error: %s\n", err->message);
	vt_error_free(err);
	vt_dump_close(src);
	vt_dump_close(dump);
	return t.mismatches || err ? 1 : 0;
}
