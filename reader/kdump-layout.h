/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The on-disk layout of a kdump-compressed (diskdump) file, as packed
 * structs: what reader/kdump.c reads and filter/writer/header.c writes.
 * docs/kdump-format.md describes the format and its public sources.
 *
 * Every field is little-endian (the format is written by and for x86_64
 * here, and makedumpfile writes the host's order). The structs give the
 * offsets and sizes, once; the code reads and writes the fields with the
 * explicit loads and stores of io.h at those offsets (VT_KDUMP_HDR() and
 * friends), never by copying bytes into a struct: the byte order then
 * stays visible at each use, and no field is read unaligned or through a
 * packed member's pointer.
 */
#ifndef VMEMTRIM_READER_KDUMP_LAYOUT_H
#define VMEMTRIM_READER_KDUMP_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VT_KDUMP_SIGNATURE "KDUMP   " /* 8 bytes, space padded */
#define VT_KDUMP_SIGNATURE_LEN 8
#define VT_KDUMP_HEADER_VERSION_MAX 6 /* the newest version we know */
#define VT_KDUMP_UTS_FIELD_LEN 65 /* each field of struct new_utsname */

/* disk_dump_header: block 0 of the file. */
struct vt_kdump_header {
	char signature[VT_KDUMP_SIGNATURE_LEN];
	uint32_t header_version; /* 1 .. 6: which sub header fields exist */
	/* sysname, nodename, release, version, machine, domainname */
	char utsname[6][VT_KDUMP_UTS_FIELD_LEN];
	uint8_t pad[6]; /* the kernel's struct timeval is 8-byte aligned */
	uint64_t tv_sec; /* time of the crash */
	uint64_t tv_usec;
	uint32_t status; /* DUMP_DH_* (vmemtrim/format.h) */
	uint32_t block_size; /* the unit of the layout: the page size */
	uint32_t sub_hdr_size; /* blocks of sub header and notes */
	uint32_t bitmap_blocks; /* blocks of both bitmaps together */
	uint32_t max_mapnr; /* pfns covered (32-bit; see max_mapnr_64) */
	uint32_t total_ram_blocks; /* unused by makedumpfile and us */
	uint32_t device_blocks;
	uint32_t written_blocks;
	uint32_t current_cpu;
	uint32_t nr_cpus;
} __attribute__((packed));

/* kdump_sub_header: at offset block_size. */
struct vt_kdump_sub_header {
	uint64_t phys_base;
	uint32_t dump_level; /* -d of the filter that wrote it */
	uint32_t split; /* header version 2: one of several split files */
	uint64_t start_pfn, end_pfn; /* the split file's pfns (32-bit) */
	/* version 3: absolute offset and size of the VMCOREINFO text */
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;
	/* version 4: the ELF note blob */
	uint64_t offset_note, size_note;
	/* version 5: eraseinfo */
	uint64_t offset_eraseinfo, size_eraseinfo;
	/* version 6: 64-bit pfns */
	uint64_t start_pfn_64, end_pfn_64, max_mapnr_64;
} __attribute__((packed));

/* page_desc: one per pfn set in the 2nd bitmap, after both bitmaps. */
struct vt_kdump_page_desc {
	uint64_t offset; /* of the data in the file; 0: not written */
	uint32_t size; /* bytes stored */
	uint32_t flags; /* DUMP_DH_COMPRESSED_* codec, 0: stored raw */
	uint64_t page_flags; /* unused */
} __attribute__((packed));

/* Offsets of fields, for the loads and stores of io.h. */
#define VT_KDUMP_HDR(field) offsetof(struct vt_kdump_header, field)
#define VT_KDUMP_SUB(field) offsetof(struct vt_kdump_sub_header, field)
#define VT_KDUMP_PD(field) offsetof(struct vt_kdump_page_desc, field)
#define VT_KDUMP_HDR_SIZE sizeof(struct vt_kdump_header)
#define VT_KDUMP_SUB_SIZE sizeof(struct vt_kdump_sub_header)
#define VT_KDUMP_PD_SIZE sizeof(struct vt_kdump_page_desc)

/*
 * Where the bitmaps lie, from the header's block_size, sub_hdr_size,
 * bitmap_blocks and max_mapnr: after the header and sub header blocks,
 * the 1st bitmap then the 2nd, each half the area; an area smaller than
 * two bitmaps for max_mapnr holds one that serves as both (old dumps).
 * Only the first @need bytes of each carry bits; the rest is padding.
 */
struct vt_kdump_bitmaps {
	uint64_t off1, off2; /* of the 1st and 2nd bitmap */
	uint64_t len; /* bytes of each */
	uint64_t need; /* bytes of max_mapnr bits */
	uint64_t desc_off; /* the page descriptors, after the area */
	bool single; /* one bitmap serves as both */
};

static inline struct vt_kdump_bitmaps vt_kdump_bitmaps_of(uint64_t bs,
							  uint64_t sub_blocks,
							  uint64_t blocks,
							  uint64_t max_pfn)
{
	struct vt_kdump_bitmaps b;
	uint64_t area = blocks * bs;

	b.need = max_pfn / 8 + !!(max_pfn % 8);
	b.single = area < 2 * ((b.need + bs - 1) / bs * bs);
	b.off1 = (1 + sub_blocks) * bs;
	b.len = b.single ? area : blocks / 2 * bs;
	b.off2 = b.off1 + (b.single ? 0 : b.len);
	b.desc_off = b.off1 + area;
	return b;
}

/* The layout is the format: any change to the structs is a bug. */
_Static_assert(VT_KDUMP_HDR(header_version) == 8, "header_version");
_Static_assert(VT_KDUMP_HDR(tv_sec) == 408, "timestamp");
_Static_assert(VT_KDUMP_HDR(status) == 424, "status");
_Static_assert(VT_KDUMP_HDR(nr_cpus) == 460, "nr_cpus");
_Static_assert(VT_KDUMP_HDR_SIZE == 464, "disk_dump_header");
_Static_assert(VT_KDUMP_SUB(offset_vmcoreinfo) == 32, "offset_vmcoreinfo");
_Static_assert(VT_KDUMP_SUB(max_mapnr_64) == 96, "max_mapnr_64");
_Static_assert(VT_KDUMP_SUB_SIZE == 104, "kdump_sub_header");
_Static_assert(VT_KDUMP_PD_SIZE == 24, "page_desc");

#endif
