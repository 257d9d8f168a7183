// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the kdump-compressed reader (plain and flattened):
 * the input becomes a memfd, is opened with vt_kdump_open, and every
 * operation runs on it within a bounded amount of work per input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

#define MAX_PFNS (UINT64_C(1) << 20) /* pfn_run walks at most these */
#define MAX_READS 64 /* read_page/page_storage calls per input */

static void exercise(struct vt_file *f)
{
	uint64_t pfn = f->part.start_pfn, end_walk = pfn + MAX_PFNS;
	uint8_t *buf = malloc(f->info.page_size);
	int reads = 0;

	if (!buf)
		return;
	if (end_walk > f->part.end_pfn || end_walk < pfn)
		end_walk = f->part.end_pfn;
	while (pfn < end_walk) {
		enum vt_pfn_state st;
		uint64_t end;
		bool zero, written;
		struct vt_error *err = f->ops->pfn_run(f, pfn, &st, &end);

		if (err || end <= pfn) {
			vt_error_free(err);
			if (!err)
				abort(); /* a run must make progress */
			break;
		}
		/* read the first pages of a few runs, dumped or not */
		if (reads < MAX_READS) {
			vt_error_free(f->ops->read_page(f, pfn, buf));
			vt_error_free(
				f->ops->page_storage(f, pfn, &zero, &written));
			reads++;
		}
		pfn = end;
	}
	/* pfns past the end must be refused cleanly */
	vt_error_free(f->ops->read_page(f, f->info.max_pfn, buf));
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz.kdump", 0);
	struct vt_file *f = NULL;
	struct vt_error *err;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	err = vt_kdump_open("fuzz.kdump", fd, &f);
	if (err) {
		vt_error_free(err);
		close(fd);
		return 0;
	}
	exercise(f);
	f->ops->close(f);
	return 0;
}
