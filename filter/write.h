/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dump writer: a kdump-compressed file (header version 6, sub header,
 * the source's notes, both bitmaps, page descriptors, page data), to a
 * regular file or as a flattened (-F) stream. Layout facts:
 * docs/kdump-format.md.
 *
 * Order of calls:
 *   vt_writer_open()
 *   vt_writer_begin_pages(total number of pfns set in the 2nd bitmap)
 *   vt_writer_bitmap() for each block, in ascending pfn order (the filter
 *   writes them all before any page; they may also be interleaved)
 *   vt_writer_page() for each pfn set in the 2nd bitmap, ascending, but
 *   that vt_writer_seek() starts a new ascending run at any descriptor
 *   vt_writer_finish()   or, on any error, vt_writer_abort()
 * Once a page write has failed (ENOSPC, EIO), vt_writer_page() returns that
 * error again at once, but vt_writer_bitmap() still writes the bitmaps (their
 * area is allocated up front), so the caller can complete the bitmaps of the
 * remaining blocks before vt_writer_finish().
 *
 * A regular file is written as DUMPFILE.vmemtrim-XXXXXX beside DUMPFILE and
 * renamed to DUMPFILE by vt_writer_finish(); an existing DUMPFILE is an
 * error unless force is set. The header, bitmaps and the descriptor area are
 * allocated on disk before any page data, so a full disk (ENOSPC) later
 * leaves a file whose header says DUMP_DH_COMPRESSED_INCOMPLETE, whose
 * descriptors point only at data that was written whole (the rest have
 * offset 0), and which crash and vmemtrim-inspect open; that file is
 * renamed to DUMPFILE too, and the error is returned.
 *
 * Compression runs on opts.threads threads; the bytes written do not
 * depend on the thread count.
 *
 * A write error (ENOSPC, EIO, ...) is found by whichever call writes:
 * vt_writer_begin_pages(), vt_writer_page() or vt_writer_finish(). That
 * call leaves the INCOMPLETE dump as above at once and returns
 * "DUMPFILE: No space left on device after N of M pages; the dump is
 * marked incomplete"; later calls return the same error, and
 * vt_writer_abort() or vt_writer_finish() only free the writer.
 */
#ifndef VMEMTRIM_FILTER_WRITE_H
#define VMEMTRIM_FILTER_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_writer;

struct vt_writer_opts {
	const char *path; /* DUMPFILE; NULL with flattened = write to out_fd */
	int out_fd; /* flattened to this fd (stdout) when path is NULL */
	bool flattened; /* -F */
	bool force; /* -f: replace an existing DUMPFILE */
	uint32_t codec; /* DUMP_DH_COMPRESSED_{ZLIB,LZO,SNAPPY,ZSTD} or 0 */
	unsigned int threads; /* compression threads (0 counts as 1) */
	bool exclude_zero; /* dump level bit 1: share one zero page */
};

/* What the header and sub header say. */
struct vt_writer_header {
	uint32_t page_size;
	uint64_t max_pfn; /* max_mapnr */
	uint32_t status; /* extra DUMP_DH_* bits (EXCLUDED_VMEMMAP) */
	int dump_level;
	uint64_t phys_base;
	/* utsname fields, NUL terminated, at most 64 characters each */
	const char *sysname, *nodename, *release, *version, *machine,
		*domainname;
	int64_t crash_time; /* timestamp tv_sec */
	int nr_cpus;
	const void *notes; /* the source's whole PT_NOTE blob, verbatim */
	size_t notes_size;
	/* offset of the VMCOREINFO descriptor inside notes, and its size;
	   size 0 when there is none */
	size_t vmcoreinfo_off, vmcoreinfo_size;
};

struct vt_error *vt_writer_open(const struct vt_writer_opts *opts,
				const struct vt_writer_header *hdr,
				struct vt_writer **out);

/*
 * The bitmaps of pfns [@start_pfn, @start_pfn + @npfns): bit i of @bm1 /
 * @bm2 (LSB first) is pfn start_pfn + i. @start_pfn is a multiple of 8, and
 * @npfns too unless the block ends at max_pfn. Bits past max_pfn are zero.
 */
struct vt_error *vt_writer_bitmap(struct vt_writer *w, uint64_t start_pfn,
				  uint64_t npfns, const uint8_t *bm1,
				  const uint8_t *bm2);

/* @nr_dumped pfns will be set in the 2nd bitmap (places the page data). */
struct vt_error *vt_writer_begin_pages(struct vt_writer *w, uint64_t nr_dumped);

/*
 * The page of @pfn (page_size bytes; copied before return). Pfns come in
 * ascending order and are exactly the 2nd bitmap's set bits. A page that
 * could not be read is passed as NULL: its descriptor stays empty (offset
 * 0), the header will say INCOMPLETE, and vt_writer_stats() counts it.
 */
struct vt_error *vt_writer_page(struct vt_writer *w, uint64_t pfn,
				const void *data);

/*
 * Where the next vt_writer_page() keeps its page, and in @room how many
 * pages from there fit before the writer compresses what it holds: a
 * caller may read up to @room pages there and pass each page's own place
 * to vt_writer_page(), which then copies nothing. NULL when no page can be
 * written now.
 */
void *vt_writer_slot(struct vt_writer *w, size_t *room);

/*
 * Let the next vt_writer_page() fill descriptor @index (the rank of its pfn
 * among the 2nd bitmap's set bits) and pfns start ascending anew from there.
 * Page data is still appended in call order, so a caller can write the
 * pages that matter most (kernel memory) first and the rest after: a dump
 * cut short by a full disk then holds the former. Waits for the pages
 * queued so far.
 */
struct vt_error *vt_writer_seek(struct vt_writer *w, uint64_t index);

struct vt_writer_stats {
	uint64_t pages; /* descriptors filled */
	uint64_t zero_pages; /* stored as the shared zero page */
	uint64_t raw_pages; /* stored uncompressed */
	uint64_t repeated; /* the page before them again: not compressed */
	uint64_t unreadable; /* passed as NULL */
	uint64_t bytes; /* size of the dump file (or stream) so far */
	/*
	 * Pages given, from the first, that are in the dump (or were passed
	 * as NULL): all of them, but after a write failure those before the
	 * first page it cut off (a page of the shared zero page after that
	 * may be in the dump too).
	 */
	uint64_t prefix;
};
void vt_writer_stats(const struct vt_writer *w, struct vt_writer_stats *s);

/*
 * Flush, write the final header, fsync, rename to DUMPFILE (or end the
 * flattened stream). Frees @w in every case. On ENOSPC or another write
 * error the INCOMPLETE dump is left as described above and the error is
 * returned.
 */
struct vt_error *vt_writer_finish(struct vt_writer *w);

/*
 * The same, filling *@final (when not NULL) with the stats of the whole
 * dump as written, whatever the result: vt_writer_stats() before finishing
 * does not count the pages still being compressed.
 */
struct vt_error *vt_writer_finish_stats(struct vt_writer *w,
					struct vt_writer_stats *final);

/*
 * Give up (the caller's own error): what was written is kept as an
 * INCOMPLETE dump when the header and bitmaps are complete, otherwise the
 * temporary file is removed. Frees @w.
 */
void vt_writer_abort(struct vt_writer *w);

/*
 * -R: read a flattened stream from @in_fd and write the regular file
 * @path (temporary name, then rename; force as above). @in_name names the
 * input in messages ("standard input"). A stream cut off (no end mark)
 * after the dump's header and bitmaps still installs @path, from the
 * complete records, marked INCOMPLETE, and returns a VT_ERR_FORMAT error
 * saying where the stream was cut and that @path is kept; cut before,
 * or bad, it returns the error and leaves no @path.
 */
struct vt_error *vt_flat_reassemble(int in_fd, const char *in_name,
				    const char *path, bool force);

#endif
