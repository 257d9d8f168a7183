// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The header layout of a kdump-compressed file: disk_dump_header in block
 * 0, kdump_sub_header and the notes in the blocks after it, then the two
 * bitmaps, whole blocks each. Layout facts: docs/kdump-format.md.
 */
#include <stdlib.h>
#include <string.h>

#include "flat.h"
#include "internal.h"
#include "io.h"
#include "vmemtrim/codec.h"

struct vt_error *wr_check_args(const struct vt_writer_opts *o,
			       const struct vt_writer_header *h)
{
	uint32_t bs = h->page_size;

	if (!o->path && !o->flattened)
		return vt_error_new(
			VT_ERR_INVALID,
			"a dump that is not flattened needs a path");
	if (o->codec &&
	    (!vt_codec_name(o->codec) || (o->codec & (o->codec - 1)) ||
	     (o->codec & ~DUMP_DH_COMPRESSION_MASK)))
		return vt_error_new(VT_ERR_INVALID, "unknown compression 0x%x",
				    o->codec);
	if (bs < 4096 || bs > 65536 || (bs & (bs - 1)))
		return vt_error_new(
			VT_ERR_INVALID,
			"page size %u is not a power of two from 4096 to 65536",
			bs);
	if (!h->max_pfn || h->max_pfn > VT_FLAT_MAX_OFFSET / bs)
		return vt_error_new(VT_ERR_INVALID, "max_pfn 0x%llx",
				    (unsigned long long)h->max_pfn);
	if (h->notes_size > INT32_MAX / 2 || (h->notes_size && !h->notes) ||
	    h->vmcoreinfo_off > h->notes_size ||
	    h->vmcoreinfo_size > h->notes_size - h->vmcoreinfo_off)
		return vt_error_new(
			VT_ERR_INVALID,
			"VMCOREINFO at %zu (%zu bytes) is not inside the notes (%zu bytes)",
			h->vmcoreinfo_off, h->vmcoreinfo_size, h->notes_size);
	return NULL;
}

static void put_uts(uint8_t *dst, const char *s)
{
	size_t n = s ? strnlen(s, VT_KDUMP_UTS_FIELD_LEN - 1) : 0;

	memcpy(dst, s ? s : "", n);
}

void wr_header_status(struct wr_layout *l, uint32_t status)
{
	vt_put_le32(l->hdr + VT_KDUMP_HDR(status), status);
}

static void build_header(struct wr_layout *l, const struct vt_writer_header *h,
			 bool in_place)
{
	const char *uts[6] = { h->sysname, h->nodename, h->release,
			       h->version, h->machine,	h->domainname };
	uint8_t *p = l->hdr;
	uint64_t blocks = 2 * l->bm_len / l->bs;

	memset(p, 0, sizeof(l->hdr));
	memcpy(p + VT_KDUMP_HDR(signature), VT_KDUMP_SIGNATURE,
	       VT_KDUMP_SIGNATURE_LEN);
	vt_put_le32(p + VT_KDUMP_HDR(header_version),
		    VT_KDUMP_HEADER_VERSION_MAX);
	for (int i = 0; i < 6; i++)
		put_uts(p + VT_KDUMP_HDR(utsname) + i * VT_KDUMP_UTS_FIELD_LEN,
			uts[i]);
	vt_put_le64(p + VT_KDUMP_HDR(tv_sec), (uint64_t)h->crash_time);
	/*
	 * A regular file says INCOMPLETE until its final header is written.
	 * A flattened stream cannot be rewritten in place and readers such
	 * as crash take its first header record: it gets the final status
	 * now, and a second record with INCOMPLETE only if the dump stops.
	 */
	wr_header_status(
		l, l->status | (in_place ? DUMP_DH_COMPRESSED_INCOMPLETE : 0));
	vt_put_le32(p + VT_KDUMP_HDR(block_size), l->bs);
	vt_put_le32(p + VT_KDUMP_HDR(sub_hdr_size), l->sub_blocks);
	vt_put_le32(p + VT_KDUMP_HDR(bitmap_blocks), (uint32_t)blocks);
	vt_put_le32(p + VT_KDUMP_HDR(max_mapnr), l->max_pfn > UINT32_MAX ?
							 UINT32_MAX :
							 (uint32_t)l->max_pfn);
	vt_put_le32(p + VT_KDUMP_HDR(nr_cpus), (uint32_t)h->nr_cpus);
}

static void build_sub_header(const struct wr_layout *l,
			     const struct vt_writer_header *h, uint8_t *s)
{
	uint64_t notes = (uint64_t)l->bs + VT_KDUMP_SUB_SIZE;

	vt_put_le64(s + VT_KDUMP_SUB(phys_base), h->phys_base);
	vt_put_le32(s + VT_KDUMP_SUB(dump_level), (uint32_t)h->dump_level);
	vt_put_le32(s + VT_KDUMP_SUB(split), 0);
	vt_put_le64(s + VT_KDUMP_SUB(start_pfn), 0);
	vt_put_le64(s + VT_KDUMP_SUB(end_pfn), (uint32_t)l->max_pfn);
	if (h->vmcoreinfo_size) {
		vt_put_le64(s + VT_KDUMP_SUB(offset_vmcoreinfo),
			    notes + h->vmcoreinfo_off);
		vt_put_le64(s + VT_KDUMP_SUB(size_vmcoreinfo),
			    h->vmcoreinfo_size);
	}
	if (h->notes_size) {
		vt_put_le64(s + VT_KDUMP_SUB(offset_note), notes);
		vt_put_le64(s + VT_KDUMP_SUB(size_note), h->notes_size);
	}
	vt_put_le64(s + VT_KDUMP_SUB(start_pfn_64), 0);
	vt_put_le64(s + VT_KDUMP_SUB(end_pfn_64), l->max_pfn);
	vt_put_le64(s + VT_KDUMP_SUB(max_mapnr_64), l->max_pfn);
}

struct vt_error *wr_layout(struct wr_layout *l,
			   const struct vt_writer_header *h, uint32_t codec,
			   bool in_place)
{
	uint64_t bytes = h->max_pfn / 8 + !!(h->max_pfn % 8);

	l->bs = h->page_size;
	l->max_pfn = h->max_pfn;
	l->sub_blocks =
		(uint32_t)((VT_KDUMP_SUB_SIZE + h->notes_size + l->bs - 1) /
			   l->bs);
	l->bm_len = (bytes + l->bs - 1) / l->bs * l->bs;
	if (2 * l->bm_len / l->bs > UINT32_MAX)
		return vt_error_new(
			VT_ERR_UNSUPPORTED,
			"max_pfn 0x%llx needs more bitmap blocks than the header can count",
			(unsigned long long)h->max_pfn);
	l->bm_off = (1 + (uint64_t)l->sub_blocks) * l->bs;
	l->desc_off = l->bm_off + 2 * l->bm_len;
	l->status = (h->status & ~(DUMP_DH_COMPRESSION_MASK |
				   DUMP_DH_COMPRESSED_INCOMPLETE)) |
		    codec;
	build_header(l, h, in_place);
	return NULL;
}

uint8_t *wr_head_blocks(const struct wr_layout *l,
			const struct vt_writer_header *h, size_t *len)
{
	uint8_t *buf;

	*len = (1 + (size_t)l->sub_blocks) * l->bs;
	buf = calloc(1, *len);
	if (!buf)
		return NULL;
	memcpy(buf, l->hdr, sizeof(l->hdr));
	build_sub_header(l, h, buf + l->bs);
	if (h->notes_size)
		memcpy(buf + l->bs + VT_KDUMP_SUB_SIZE, h->notes,
		       h->notes_size);
	return buf;
}
