// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: arbitrary bytes as a dump file. The input goes into a
 * memfd opened by path, so vt_dump_open() detects the format from the
 * content (ELF, kdump-compressed, flattened) exactly as for a real file.
 * The work per input is capped: a forged header may claim 2^52 pfns.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/vmcoreinfo.h"

#define MAX_PFNS (1ull << 20) /* pfns walked by vt_dump_pfn_run() */
#define MAX_RUNS 10000 /* runs walked */
#define MAX_READS 8 /* pages read */
#define MAX_PAGE_SIZE (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Write all of @data to @fd; false on failure (not a finding). */
static int write_all(int fd, const uint8_t *data, size_t size)
{
	while (size) {
		ssize_t n = write(fd, data, size);

		if (n <= 0)
			return 0;
		data += n;
		size -= n;
	}
	return 1;
}

/* Read one page and a straddling range; errors are fine, crashes are not. */
static void read_some(struct vt_dump *dump, uint64_t pfn, uint8_t *buf,
		      uint32_t page_size)
{
	vt_error_free(vt_dump_read_page(dump, pfn, buf));
	vt_error_free(vt_dump_read_paddr(dump, pfn * page_size + page_size - 8,
					 buf, 16));
}

static void walk(struct vt_dump *dump, const struct vt_dump_info *info)
{
	uint32_t page_size = info->page_size;
	uint64_t pfn = 0, run_end;
	enum vt_pfn_state state;
	unsigned int runs = 0, reads = 0;
	uint8_t *buf = NULL;

	if (page_size && page_size <= MAX_PAGE_SIZE)
		buf = malloc(page_size);
	while (pfn < info->max_pfn && pfn < MAX_PFNS && runs++ < MAX_RUNS) {
		struct vt_error *err =
			vt_dump_pfn_run(dump, pfn, &state, &run_end);

		if (err) {
			vt_error_free(err);
			break;
		}
		/* A run must make progress and stay within max_pfn. */
		if (run_end <= pfn || run_end > info->max_pfn)
			abort();
		if (buf && state == VT_PFN_DUMPED && reads++ < MAX_READS) {
			read_some(dump, pfn, buf, page_size);
			read_some(dump, run_end - 1, buf, page_size);
		}
		pfn = run_end;
	}
	/* Holes past max_pfn and a pfn nothing can hold. */
	if (buf) {
		vt_error_free(vt_dump_read_page(dump, info->max_pfn, buf));
		vt_error_free(vt_dump_read_page(dump, UINT64_MAX, buf));
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_dump_counts counts;
	struct vt_dump *dump = NULL;
	const char *paths[1];
	struct vt_error *err;
	char path[64];
	int fd;

	fd = memfd_create("fuzz_elf", MFD_CLOEXEC);
	if (fd < 0 || !write_all(fd, data, size)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	paths[0] = path;
	err = vt_dump_open(paths, 1, &dump);
	if (err) {
		if (dump)
			abort();
		vt_error_free(err);
		close(fd);
		return 0;
	}
	walk(dump, vt_dump_info(dump));
	if (!vt_dump_vmcoreinfo(dump) || !vt_dump_profile(dump))
		abort();
	vt_error_free(vt_dump_count(dump, &counts));
	vt_dump_close(dump);
	close(fd);
	return 0;
}
