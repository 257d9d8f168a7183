// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Opening kdump-compressed input, plain or flattened: the header (v1-v6),
 * the sub header (VMCOREINFO, notes, split range), where the bitmaps are,
 * the buffers the reading needs (kdump.c). Layout facts:
 * docs/kdump-format.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kdump-layout.h"
#include "kdump.h"
#include "vmemtrim/format.h"

bool vt_kdump_probe(const void *head, size_t len)
{
	return (len >= VT_KDUMP_SIGNATURE_LEN &&
		!memcmp(head, VT_KDUMP_SIGNATURE, VT_KDUMP_SIGNATURE_LEN)) ||
	       vt_flat_probe(head, len);
}

static void copy_uts(char *dst, const uint8_t *src)
{
	memcpy(dst, src, VT_KDUMP_UTS_FIELD_LEN);
	dst[VT_KDUMP_UTS_FIELD_LEN - 1] = '\0';
}

static struct vt_error *parse_header(struct kd_file *kf, const uint8_t *h)
{
	struct vt_dump_info *in = &kf->vf.info;
	char *uts[] = { in->sysname, in->nodename, in->release,
			in->version, in->machine,  in->domainname };
	int32_t version = (int32_t)vt_le32(h + VT_KDUMP_HDR(header_version));
	uint32_t bs = vt_le32(h + VT_KDUMP_HDR(block_size));

	if (memcmp(h, VT_KDUMP_SIGNATURE, VT_KDUMP_SIGNATURE_LEN))
		return vt_error_new(VT_ERR_FORMAT,
				    "no \"KDUMP\" signature at offset 0");
	if (version < 1 || version > VT_KDUMP_HEADER_VERSION_MAX)
		return vt_error_new(
			VT_ERR_UNSUPPORTED,
			"header version %d at offset %d (1 to %d supported)",
			version, (int)VT_KDUMP_HDR(header_version),
			VT_KDUMP_HEADER_VERSION_MAX);
	if (bs < 4096 || bs > 65536 || (bs & (bs - 1)))
		return vt_error_new(
			VT_ERR_FORMAT,
			"block size %u at offset %d is not a page size (a power of two from 4096 to 65536)",
			bs, (int)VT_KDUMP_HDR(block_size));
	in->header_version = version;
	in->status = vt_le32(h + VT_KDUMP_HDR(status));
	in->page_size = kf->bs = bs;
	for (int i = 0; i < 6; i++)
		copy_uts(uts[i], h + VT_KDUMP_HDR(utsname) +
					 i * VT_KDUMP_UTS_FIELD_LEN);
	in->crash_time = (int64_t)vt_le64(h + VT_KDUMP_HDR(tv_sec));
	in->nr_cpus = (int32_t)vt_le32(h + VT_KDUMP_HDR(nr_cpus));
	kf->max_pfn = vt_le32(h + VT_KDUMP_HDR(max_mapnr));
	return NULL;
}

/* Read a blob the sub header points at (VMCOREINFO, notes). */
static struct vt_error *read_blob(struct kd_file *kf, const uint8_t *sub,
				  int field, uint64_t max, const char *what,
				  char **out, size_t *size)
{
	uint64_t off = vt_le64(sub + field), len = vt_le64(sub + field + 8);
	struct vt_error *err;

	if (!len)
		return NULL;
	if (len > max)
		return vt_error_new(VT_ERR_FORMAT,
				    "%s size %llu at offset %u is implausible",
				    what, (unsigned long long)len,
				    kf->bs + field + 8);
	*out = malloc(len + 1);
	if (!*out)
		return vt_error_new(VT_ERR_NOMEM, "out of memory for %s", what);
	err = vt_kd_read(kf, *out, (size_t)len, off, what);
	if (err)
		return err;
	(*out)[len] = '\0';
	*size = (size_t)len;
	return NULL;
}

static struct vt_error *parse_split(struct kd_file *kf, const uint8_t *sub)
{
	int version = kf->vf.info.header_version;
	bool split = version >= 2 && vt_le32(sub + VT_KDUMP_SUB(split));

	kf->start_pfn = 0;
	kf->end_pfn = kf->max_pfn;
	if (!split)
		return NULL;
	if (version >= 6) {
		kf->start_pfn = vt_le64(sub + VT_KDUMP_SUB(start_pfn_64));
		kf->end_pfn = vt_le64(sub + VT_KDUMP_SUB(end_pfn_64));
	} else {
		kf->start_pfn = vt_le64(sub + VT_KDUMP_SUB(start_pfn));
		kf->end_pfn = vt_le64(sub + VT_KDUMP_SUB(end_pfn));
	}
	if (kf->start_pfn > kf->end_pfn || kf->end_pfn > kf->max_pfn)
		return vt_error_new(
			VT_ERR_FORMAT,
			"split file's pfn range 0x%llx-0x%llx (sub header at offset %u) does not fit max_mapnr 0x%llx",
			(unsigned long long)kf->start_pfn,
			(unsigned long long)kf->end_pfn, kf->bs,
			(unsigned long long)kf->max_pfn);
	return NULL;
}

static struct vt_error *parse_sub_header(struct kd_file *kf)
{
	struct vt_dump_info *in = &kf->vf.info;
	int version = in->header_version;
	uint8_t sub[VT_KDUMP_SUB_SIZE];
	struct vt_error *err;

	memset(sub, 0, sizeof(sub));
	err = vt_kd_read(kf, sub, sizeof(sub), kf->bs, "sub header");
	if (err)
		return err;
	in->phys_base = vt_le64(sub + VT_KDUMP_SUB(phys_base));
	in->dump_level = (int32_t)vt_le32(sub + VT_KDUMP_SUB(dump_level));
	if (version >= 6 && vt_le64(sub + VT_KDUMP_SUB(max_mapnr_64)))
		kf->max_pfn = vt_le64(sub + VT_KDUMP_SUB(max_mapnr_64));
	err = parse_split(kf, sub);
	if (!err && version >= 3)
		err = read_blob(kf, sub, VT_KDUMP_SUB(offset_vmcoreinfo),
				MAX_VMCOREINFO_SIZE, "VMCOREINFO",
				&kf->vmcoreinfo, &in->vmcoreinfo_size);
	if (!err && version >= 4)
		err = read_blob(kf, sub, VT_KDUMP_SUB(offset_note),
				MAX_NOTES_SIZE, "ELF notes",
				(char **)&kf->notes, &in->notes_size);
	in->vmcoreinfo = kf->vmcoreinfo;
	in->notes = kf->notes;
	return err;
}

/* Lay out the bitmaps from bitmap_blocks (kdump-layout.h). */
static struct vt_error *layout_bitmaps(struct kd_file *kf, const uint8_t *h)
{
	int32_t sub_blocks = (int32_t)vt_le32(h + VT_KDUMP_HDR(sub_hdr_size));
	uint64_t blocks = vt_le32(h + VT_KDUMP_HDR(bitmap_blocks));
	struct vt_kdump_bitmaps b;

	if (sub_blocks < 1 || (uint64_t)sub_blocks * kf->bs > kf->size)
		return vt_error_new(
			VT_ERR_FORMAT,
			"sub header size of %d blocks at offset %d does not fit the file (%llu bytes)",
			sub_blocks, (int)VT_KDUMP_HDR(sub_hdr_size),
			(unsigned long long)kf->size);
	b = vt_kdump_bitmaps_of(kf->bs, (uint64_t)sub_blocks, blocks,
				kf->max_pfn);
	kf->desc_off = b.desc_off;
	/* a stream cut off ends where -R makes its file end, if earlier */
	if (kf->flat && vt_flat_cut(kf->flat) && kf->size < kf->desc_off)
		kf->size = kf->desc_off;
	if (kf->desc_off > kf->size)
		return vt_error_new(
			VT_ERR_FORMAT,
			"bitmaps (%llu blocks from offset %llu) end past the end of the file (%llu bytes)",
			(unsigned long long)blocks, (unsigned long long)b.off1,
			(unsigned long long)kf->size);
	if (blocks * kf->bs < b.need)
		return vt_error_new(
			VT_ERR_FORMAT,
			"bitmap_blocks %llu at offset %d (%llu bytes) cannot hold max_mapnr 0x%llx (%llu bytes per bitmap)",
			(unsigned long long)blocks,
			(int)VT_KDUMP_HDR(bitmap_blocks),
			(unsigned long long)(blocks * kf->bs),
			(unsigned long long)kf->max_pfn,
			(unsigned long long)b.need);
	kf->single_bitmap = b.single;
	kf->bm[0].off = b.off1;
	kf->bm[0].len = b.len;
	kf->bm[1] = kf->bm[0];
	kf->bm[1].off = b.off2;
	return NULL;
}

static struct vt_error *alloc_buffers(struct kd_file *kf)
{
	uint64_t blocks = kf->max_pfn / RANK_BLOCK_BITS + 2;

	kf->bm[0].chunk = kf->bm[1].chunk = NO_CHUNK;
	kf->bm[0].buf = malloc(CHUNK_BYTES);
	kf->bm[1].buf = malloc(CHUNK_BYTES);
	kf->data = malloc(kf->bs);
	kf->rank = calloc(blocks, sizeof(*kf->rank));
	kf->nr_rank = 1;
	if (!kf->bm[0].buf || !kf->bm[1].buf || !kf->data || !kf->rank)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	return NULL;
}

static void fill_part(struct kd_file *kf)
{
	enum vt_dump_format fmt =
		kf->flat ? VT_FORMAT_KDUMP_FLAT : VT_FORMAT_KDUMP;

	kf->vf.ops = &vt_kdump_ops;
	kf->vf.path = kf->path;
	kf->vf.info.format = fmt;
	kf->vf.info.max_pfn = kf->max_pfn;
	kf->vf.part.path = kf->path;
	kf->vf.part.format = fmt;
	kf->vf.part.start_pfn = kf->start_pfn;
	kf->vf.part.end_pfn = kf->end_pfn;
}

static struct vt_error *open_source(struct kd_file *kf)
{
	uint8_t head[16];
	struct stat st;
	struct vt_error *err;

	if (fstat(kf->fd, &st))
		return vt_error_errno(errno, "fstat");
	kf->size = (uint64_t)st.st_size;
	err = vt_kd_read(kf, head, sizeof(head), 0, "signature");
	if (err || !vt_flat_probe(head, sizeof(head)))
		return err;
	err = vt_flat_open(kf->fd, kf->size, &kf->flat);
	if (!err)
		kf->size = vt_flat_size(kf->flat);
	return err;
}

static struct vt_error *kdump_open(struct kd_file *kf)
{
	uint8_t h[VT_KDUMP_HDR_SIZE];
	struct vt_error *err = open_source(kf);

	if (!err)
		err = vt_kd_read(kf, h, sizeof(h), 0, "disk_dump_header");
	if (!err)
		err = parse_header(kf, h);
	if (!err)
		err = parse_sub_header(kf);
	if (!err)
		err = layout_bitmaps(kf, h);
	if (!err)
		err = alloc_buffers(kf);
	fill_part(kf);
	return err;
}

struct vt_error *vt_kdump_open(const char *path, int fd, struct vt_file **out)
{
	struct kd_file *kf = calloc(1, sizeof(*kf));
	struct vt_error *err;

	*out = NULL;
	if (!kf || !(kf->path = strdup(path))) {
		free(kf);
		return vt_error_new(VT_ERR_NOMEM, "%s: out of memory", path);
	}
	kf->fd = fd;
	kf->vf.info.dump_level = -1;
	kf->vf.info.crash_time = -1;
	err = kdump_open(kf);
	if (err) {
		kf->fd = -1; /* the caller keeps its fd on failure */
		vt_kdump_ops.close(&kf->vf);
		return vt_error_prefix(err, "%s: ", path);
	}
	*out = &kf->vf;
	return NULL;
}
