/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the kdump-compressed input: the state of one open file, shared by
 * the reading of pages (kdump.c) and the opening (kdump-open.c). Layout
 * facts: docs/kdump-format.md, reader/kdump-layout.h.
 */
#ifndef VMEMTRIM_READER_KDUMP_H
#define VMEMTRIM_READER_KDUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "flat.h"
#include "internal.h"

#define CHUNK_BYTES (64 * 1024) /* bitmap cache granule */
/* a run of holes asks where the bitmaps' next data is every 4 KiB of them */
#define SKIP_CHECK_PFNS (4096 * 8)
#define RANK_BLOCK_BITS 32768 /* pfns per prefix-count entry */
#define WORDS_PER_RANK_BLOCK (RANK_BLOCK_BITS / 64)
#define MAX_VMCOREINFO_SIZE (16u << 20) /* far above any real one */
#define MAX_NOTES_SIZE (64u << 20)
#define NO_CHUNK UINT64_MAX
#define CURSOR_REACH (64 * 1024) /* pfns a cursor step may count */
#define DC_ENTRIES 4096 /* descriptors per cache fill (96 KiB) */

struct kd_bitmap {
	uint64_t off; /* file offset */
	uint64_t len; /* bytes */
	uint64_t chunk; /* index of the cached chunk, NO_CHUNK if none */
	uint8_t *buf; /* CHUNK_BYTES */
};

struct kd_file {
	struct vt_file vf;
	int fd;
	char *path;
	struct vt_flat *flat; /* NULL for a plain file */
	uint64_t size; /* of the (logical) file */
	uint32_t bs;
	uint64_t max_pfn;
	uint64_t start_pfn, end_pfn; /* this file's descriptors */
	struct kd_bitmap bm[2];
	bool single_bitmap; /* the 1st bitmap also serves as the 2nd */
	uint64_t desc_off;
	uint64_t *rank; /* set bits of the 2nd bitmap before each block */
	uint64_t nr_rank; /* valid entries of rank[] */
	uint64_t rank_base; /* rank of start_pfn: index of our 1st desc */
	bool rank_base_known;
	/* the last answer of desc_index, so a pfn-order scan counts few bits */
	uint64_t cursor_pfn, cursor_idx;
	bool cursor_valid;
	/* raw descriptors [dc_first, dc_first + dc_count) */
	uint8_t *dc;
	uint64_t dc_first, dc_count;
	uint8_t *data; /* one block of page data */
	char *vmcoreinfo;
	void *notes;
};

extern const struct vt_file_ops vt_kdump_ops;

/* Read @len bytes of the logical file at @off; @what names them. */
struct vt_error *vt_kd_read(struct kd_file *kf, void *buf, size_t len,
			    uint64_t off, const char *what);

#endif
