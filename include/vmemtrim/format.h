/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Constants of the on-disk formats: kdump-compressed (diskdump) header,
 * sub header, page descriptors, flattened stream. One header, so every
 * module agrees. Layout facts: docs/kdump-format.md.
 */
#ifndef VMEMTRIM_FORMAT_H
#define VMEMTRIM_FORMAT_H

#include <stdint.h>

#define KDUMP_SIGNATURE "KDUMP   "
#define KDUMP_SIGNATURE_LEN 8
#define KDUMP_HEADER_VERSION_MAX 6
#define KDUMP_UTS_FIELD_LEN 65

/* disk_dump_header field offsets (block 0). */
#define KDUMP_HDR_SIGNATURE 0
#define KDUMP_HDR_VERSION 8
#define KDUMP_HDR_UTSNAME 12
#define KDUMP_HDR_TIMESTAMP 408
#define KDUMP_HDR_STATUS 424
#define KDUMP_HDR_BLOCK_SIZE 428
#define KDUMP_HDR_SUB_HDR_SIZE 432
#define KDUMP_HDR_BITMAP_BLOCKS 436
#define KDUMP_HDR_MAX_MAPNR 440
#define KDUMP_HDR_TOTAL_RAM_BLOCKS 444
#define KDUMP_HDR_DEVICE_BLOCKS 448
#define KDUMP_HDR_WRITTEN_BLOCKS 452
#define KDUMP_HDR_CURRENT_CPU 456
#define KDUMP_HDR_NR_CPUS 460
#define KDUMP_HDR_SIZE 464

/* kdump_sub_header field offsets (at block_size). */
#define KDUMP_SUB_PHYS_BASE 0
#define KDUMP_SUB_DUMP_LEVEL 8
#define KDUMP_SUB_SPLIT 12
#define KDUMP_SUB_START_PFN 16
#define KDUMP_SUB_END_PFN 24
#define KDUMP_SUB_OFFSET_VMCOREINFO 32
#define KDUMP_SUB_SIZE_VMCOREINFO 40
#define KDUMP_SUB_OFFSET_NOTE 48
#define KDUMP_SUB_SIZE_NOTE 56
#define KDUMP_SUB_OFFSET_ERASEINFO 64
#define KDUMP_SUB_SIZE_ERASEINFO 72
#define KDUMP_SUB_START_PFN_64 80
#define KDUMP_SUB_END_PFN_64 88
#define KDUMP_SUB_MAX_MAPNR_64 96
#define KDUMP_SUB_SIZE 104

/* page_desc (24 bytes). */
#define KDUMP_PD_OFFSET 0
#define KDUMP_PD_SIZE 8
#define KDUMP_PD_FLAGS 12
#define KDUMP_PD_PAGE_FLAGS 16
#define KDUMP_PD_LEN 24

/* status bits of the header; the compression bits are also page flags. */
#define DUMP_DH_COMPRESSED_ZLIB 0x1
#define DUMP_DH_COMPRESSED_LZO 0x2
#define DUMP_DH_COMPRESSED_SNAPPY 0x4
#define DUMP_DH_COMPRESSED_INCOMPLETE 0x8
#define DUMP_DH_EXCLUDED_VMEMMAP 0x10
#define DUMP_DH_COMPRESSED_ZSTD 0x20
#define DUMP_DH_COMPRESSION_MASK                            \
	(DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO | \
	 DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD)

/* Flattened (-F) stream. */
#define FLAT_SIGNATURE "makedumpfile"
#define FLAT_HEADER_SIZE 4096
#define FLAT_TYPE 1
#define FLAT_VERSION 1
#define FLAT_RECORD_HEADER_SIZE 16 /* int64 offset, int64 size, big endian */
#define FLAT_END_MARK (-1)

/* ELF note types and names of a vmcore. */
#define VT_NOTE_NAME_VMCOREINFO "VMCOREINFO"
#define VT_NOTE_NAME_CORE "CORE"
#define VT_NT_PRSTATUS 1

#endif
