/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Page codecs of kdump-compressed dumps (zlib, lzo1x, snappy, zstd) behind
 * one interface, on top of the real libraries.
 */
#ifndef VMEMTRIM_CODEC_H
#define VMEMTRIM_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

/*
 * Decompress @src (@src_len bytes, compressed with the one codec named by
 * the DUMP_DH_COMPRESSED_* bit @flag) into exactly @page_size bytes at @dst.
 * Corrupt data, a result of another size or an unknown flag is
 * VT_ERR_FORMAT (the message says which codec and what it reported; the
 * caller adds file and pfn).
 */
struct vt_error *vt_codec_decompress(uint32_t flag, const void *src,
				     size_t src_len, void *dst,
				     size_t page_size);

/*
 * Compress one page with the codec @flag into @dst (capacity @dst_cap,
 * at least vt_codec_bound(flag, page_size)). *dst_len gets the size.
 * @work is per-thread scratch of vt_codec_work_size(flag) bytes (lzo).
 */
size_t vt_codec_bound(uint32_t flag, size_t page_size);
size_t vt_codec_work_size(uint32_t flag);
struct vt_error *vt_codec_compress(uint32_t flag, const void *src,
				   size_t page_size, void *dst, size_t dst_cap,
				   size_t *dst_len, void *work);

/* "zlib", "lzo", "snappy", "zstd", or "none" for 0. NULL when unknown. */
const char *vt_codec_name(uint32_t flag);

#endif
