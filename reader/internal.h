/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the reader: the ops table each input format implements, and small
 * helpers shared by the reader's modules. Not a public header.
 */
#ifndef VMEMTRIM_READER_INTERNAL_H
#define VMEMTRIM_READER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/error.h"
#include "io.h"

/*
 * One opened file of a dump. Each format (elf.c, kdump.c) allocates its own
 * struct that starts with this one.
 */
struct vt_file {
	const struct vt_file_ops *ops;
	const char *path; /* owned by the file; used in every message */
	struct vt_dump_part part; /* format, pfn range held */
	struct vt_dump_info info; /* this file's view (parts unset) */
};

struct vt_file_ops {
	/* see vt_dump_pfn_run(); runs end at most at part.end_pfn */
	struct vt_error *(*pfn_run)(struct vt_file *f, uint64_t pfn,
				    enum vt_pfn_state *state,
				    uint64_t *run_end);
	/* see vt_dump_read_page(); pfn is inside part */
	struct vt_error *(*read_page)(struct vt_file *f, uint64_t pfn,
				      void *buf);
	/*
	 * How a dumped pfn is stored: *zero = the shared zero page,
	 * *written = data is there (false: incomplete dump). ELF: data is
	 * always written and never shared.
	 */
	struct vt_error *(*page_storage)(struct vt_file *f, uint64_t pfn,
					 bool *zero, bool *written);
	/*
	 * Optional: read @len bytes at physical @paddr in one go when the
	 * file stores them contiguously (ELF: inside one PT_LOAD's data);
	 * *done = false when it cannot, and nothing was read.
	 */
	struct vt_error *(*read_span)(struct vt_file *f, uint64_t paddr,
				      void *buf, size_t len, bool *done);
	/* Optional: how the file can be mapped (see vt_dump_use_mmap()) */
	enum vt_dump_mapping (*map)(struct vt_file *f);
	/*
	 * @len bytes at @paddr, stored contiguously, through window @w (see
	 * vt_dump_window_map(); @paddr is inside part)
	 */
	const void *(*map_span)(struct vt_file *f, struct vt_dump_window *w,
				uint64_t paddr, size_t len, size_t ahead);
	void (*close)(struct vt_file *f);
};

/* One reader's view of a dump's mapping (see vt_dump_window_new()). */
struct vt_dump_window {
	struct vt_dump *dump;
	size_t bytes; /* the most a window maps when a span asks for less */
	/* VT_MAP_WINDOWS: bytes [off, off + len) of @file, mapped at @map */
	const struct vt_file *file;
	const uint8_t *map;
	uint64_t off, len;
	/* VT_MAP_WHOLE: the span of what was handed out since the release */
	const uint8_t *lo, *hi;
};

/*
 * Open @path as ELF (elf.c) or kdump-compressed / flattened (kdump.c).
 * @fd is open read-only and is owned by the file on success. Each fills
 * info (except parts) and part. vmcoreinfo and notes point into memory
 * the file owns.
 */
struct vt_error *vt_elf_open(const char *path, int fd, struct vt_file **out);
struct vt_error *vt_kdump_open(const char *path, int fd, struct vt_file **out);

/* true when the first bytes identify the format. */
bool vt_elf_probe(const void *head, size_t len);
bool vt_kdump_probe(const void *head, size_t len); /* plain or flattened */

#endif
