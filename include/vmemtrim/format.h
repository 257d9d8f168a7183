/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The public constants of the formats: the status bits of a
 * kdump-compressed header (also the codec flags of its pages), which the
 * crash extension and vmemtrim-inspect report, and the ELF note names of
 * a vmcore. The on-disk layout itself is private: reader/kdump-layout.h
 * and reader/flat.h. Format facts: docs/kdump-format.md.
 */
#ifndef VMEMTRIM_FORMAT_H
#define VMEMTRIM_FORMAT_H

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

/* ELF note types and names of a vmcore. */
#define VT_NOTE_NAME_VMCOREINFO "VMCOREINFO"
#define VT_NOTE_NAME_CORE "CORE"
#define VT_NT_PRSTATUS 1

#endif
