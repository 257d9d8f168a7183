// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdump-compressed (diskdump) input, plain or flattened: header v1-v6, sub
 * header, both bitmaps, page descriptors, page data. Layout facts:
 * docs/kdump-format.md.
 *
 * Bitmaps can be large (1 GiB each for 32 TiB of RAM), so they are read
 * through a one-chunk cache per bitmap. The descriptor of a pfn is found by
 * its rank among the set bits of the 2nd bitmap; a prefix count per
 * RANK_BLOCK_BITS pfns (8 bytes per 32768 pfns) is built lazily, as far as
 * the highest pfn asked for.
 *
 * Split files (makedumpfile --split) each carry the full bitmaps of the
 * whole dump, but only the descriptors of their own [start_pfn, end_pfn):
 * the first descriptor belongs to the first dumped pfn at or after
 * start_pfn, and the descriptor area is sized for every dumped pfn of the
 * whole dump, so the data area starts at the same offset in every part.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flat.h"
#include "internal.h"
#include "kdump-layout.h"
#include "vmemtrim/codec.h"
#include "vmemtrim/format.h"

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

static struct kd_file *kd_of(struct vt_file *f)
{
	return (struct kd_file *)f;
}

bool vt_kdump_probe(const void *head, size_t len)
{
	return (len >= VT_KDUMP_SIGNATURE_LEN &&
		!memcmp(head, VT_KDUMP_SIGNATURE, VT_KDUMP_SIGNATURE_LEN)) ||
	       vt_flat_probe(head, len);
}

/* Read @len bytes of the logical file at @off; @what names them. */
static struct vt_error *kd_read(struct kd_file *kf, void *buf, size_t len,
				uint64_t off, const char *what)
{
	struct vt_error *err;

	if (off > kf->size || len > kf->size - off)
		return vt_error_new(
			VT_ERR_FORMAT,
			"%s at offset %llu (%zu bytes) is past the end of the file (%llu bytes)",
			what, (unsigned long long)off, len,
			(unsigned long long)kf->size);
	if (kf->flat)
		err = vt_flat_read(kf->flat, buf, len, off);
	else
		err = vt_pread_exact(kf->fd, buf, len, off);
	return vt_error_prefix(err, "reading %s: ", what);
}

/* --- bitmaps ------------------------------------------------------------ */

/* The 64 bits of bitmap @which starting at pfn @word * 64. */
static struct vt_error *bm_word(struct kd_file *kf, int which, uint64_t word,
				uint64_t *out)
{
	struct kd_bitmap *bm = &kf->bm[kf->single_bitmap ? 0 : which];
	uint64_t byte = word * 8, chunk = byte / CHUNK_BYTES;

	if (byte + 8 > bm->len) {
		*out = 0;
		return NULL;
	}
	if (bm->chunk != chunk) {
		uint64_t start = chunk * CHUNK_BYTES;
		uint64_t n = bm->len - start;
		struct vt_error *err;

		if (n > CHUNK_BYTES)
			n = CHUNK_BYTES;
		bm->chunk = NO_CHUNK;
		err = kd_read(kf, bm->buf, (size_t)n, bm->off + start,
			      which ? "2nd bitmap" : "1st bitmap");
		if (err)
			return err;
		bm->chunk = chunk;
	}
	*out = vt_le64(bm->buf + (byte - chunk * CHUNK_BYTES));
	return NULL;
}

/* Pfns whose 2nd-bitmap bit counts in this file: the part's own range. */
static uint64_t own_mask(const struct kd_file *kf, uint64_t word)
{
	uint64_t lo = word * 64, mask = UINT64_MAX;

	if (kf->start_pfn >= lo + 64 || kf->end_pfn <= lo)
		return 0;
	if (kf->start_pfn > lo)
		mask &= UINT64_MAX << (kf->start_pfn - lo);
	if (kf->end_pfn < lo + 64)
		mask &= UINT64_MAX >> (lo + 64 - kf->end_pfn);
	return mask;
}

/* Bits of @word whose pfn has @state in this file. */
static struct vt_error *state_bits(struct kd_file *kf, uint64_t word,
				   enum vt_pfn_state state, uint64_t *out)
{
	uint64_t w1, w2;
	struct vt_error *err = bm_word(kf, 0, word, &w1);

	if (!err)
		err = bm_word(kf, 1, word, &w2);
	if (err)
		return err;
	w2 &= own_mask(kf, word);
	if (state == VT_PFN_DUMPED)
		*out = w2;
	else if (state == VT_PFN_EXCLUDED)
		*out = w1 & ~w2;
	else
		*out = ~w1 & ~w2;
	return NULL;
}

static struct vt_error *pfn_state(struct kd_file *kf, uint64_t pfn,
				  enum vt_pfn_state *state)
{
	uint64_t bit = UINT64_C(1) << (pfn & 63), w;
	struct vt_error *err;

	for (int s = VT_PFN_HOLE; s <= VT_PFN_DUMPED; s++) {
		err = state_bits(kf, pfn / 64, s, &w);
		if (err)
			return err;
		if (w & bit) {
			*state = s;
			return NULL;
		}
	}
	*state = VT_PFN_HOLE; /* not reached: the three masks cover all */
	return NULL;
}

/* Runs of one state end at the part's boundaries, not only at bit flips. */
static uint64_t run_limit(const struct kd_file *kf, uint64_t pfn)
{
	if (pfn < kf->start_pfn)
		return kf->start_pfn;
	if (pfn < kf->end_pfn)
		return kf->end_pfn;
	return kf->max_pfn;
}

/*
 * The first file offset >= @off that may hold a non-zero byte: the next
 * record of a flattened stream, the next data of a sparse file (a
 * truncated or corrupt dump can claim a bitmap of gigabytes that is all
 * gap), else @off itself.
 */
static uint64_t kd_next_data(const struct kd_file *kf, uint64_t off)
{
	off_t r;

	if (kf->flat)
		return vt_flat_next_data(kf->flat, off);
	r = lseek(kf->fd, (off_t)off, SEEK_DATA);
	if (r >= 0)
		return (uint64_t)r > off ? (uint64_t)r : off;
	return errno == ENXIO ? kf->size : off;
}

/*
 * From @cur (a multiple of 64), the first pfn where a bitmap may have a
 * set bit, as far as the file's gaps tell (at most @limit): every pfn
 * before it is a hole.
 */
static uint64_t skip_zero_bitmaps(const struct kd_file *kf, uint64_t cur,
				  uint64_t limit)
{
	uint64_t next = limit;

	for (int b = 0; b < (kf->single_bitmap ? 1 : 2); b++) {
		const struct kd_bitmap *bm = &kf->bm[b];
		uint64_t byte = cur / 8, d, pfn;

		if (byte >= bm->len)
			continue;
		d = kd_next_data(kf, bm->off + byte);
		if (d >= bm->off + bm->len)
			continue;
		pfn = (d - bm->off) * 8 & ~UINT64_C(63);
		if (pfn < next)
			next = pfn;
	}
	return next > cur ? next : cur;
}

static struct vt_error *kd_pfn_run_raw(struct kd_file *kf, uint64_t pfn,
				       enum vt_pfn_state *state,
				       uint64_t *run_end)
{
	uint64_t limit = run_limit(kf, pfn), cur = pfn;
	struct vt_error *err;

	if (pfn >= kf->max_pfn) {
		*state = VT_PFN_HOLE;
		*run_end = pfn == UINT64_MAX ? pfn : pfn + 1;
		return NULL;
	}
	err = pfn_state(kf, pfn, state);
	while (!err && cur < limit) {
		uint64_t w;

		if (*state == VT_PFN_HOLE && !(cur & (SKIP_CHECK_PFNS - 1))) {
			uint64_t next = skip_zero_bitmaps(kf, cur, limit);

			if (next > cur) {
				cur = next;
				continue;
			}
		}

		err = state_bits(kf, cur / 64, *state, &w);
		if (err)
			break;
		/* bits below cur are already known to match */
		w |= (UINT64_C(1) << (cur & 63)) - 1;
		if (~w) {
			cur = (cur & ~UINT64_C(63)) + __builtin_ctzll(~w);
			break;
		}
		cur = (cur | 63) + 1;
	}
	*run_end = cur < limit ? cur : limit;
	return err;
}

static struct vt_error *kd_pfn_run(struct vt_file *f, uint64_t pfn,
				   enum vt_pfn_state *state, uint64_t *run_end)
{
	struct kd_file *kf = kd_of(f);

	return vt_error_prefix(kd_pfn_run_raw(kf, pfn, state, run_end),
			       "%s: pfn 0x%llx: ", kf->path,
			       (unsigned long long)pfn);
}

/* --- rank of a pfn among the dumped ones -------------------------------- */

/* Set bits of the 2nd bitmap in words [from, to), below max_pfn. */
static struct vt_error *count_bits(struct kd_file *kf, uint64_t from,
				   uint64_t to, uint64_t *count)
{
	uint64_t n = 0;

	for (uint64_t word = from; word < to; word++) {
		uint64_t w, lo = word * 64;
		struct vt_error *err = bm_word(kf, 1, word, &w);

		if (err)
			return err;
		if (lo >= kf->max_pfn)
			break;
		if (kf->max_pfn - lo < 64)
			w &= UINT64_MAX >> (64 - (kf->max_pfn - lo));
		n += (uint64_t)__builtin_popcountll(w);
	}
	*count = n;
	return NULL;
}

/* Set bits of the 2nd bitmap below @pfn (whole bitmap, every part). */
static struct vt_error *rank_of(struct kd_file *kf, uint64_t pfn,
				uint64_t *rank)
{
	uint64_t blk = pfn / RANK_BLOCK_BITS, word = pfn / 64, n;
	struct vt_error *err;

	while (kf->nr_rank <= blk) {
		uint64_t b = kf->nr_rank - 1;

		err = count_bits(kf, b * WORDS_PER_RANK_BLOCK,
				 (b + 1) * WORDS_PER_RANK_BLOCK, &n);
		if (err)
			return err;
		kf->rank[kf->nr_rank++] = kf->rank[b] + n;
	}
	err = count_bits(kf, blk * WORDS_PER_RANK_BLOCK, word, &n);
	if (err)
		return err;
	*rank = kf->rank[blk] + n;
	if (pfn & 63) {
		uint64_t w;

		err = bm_word(kf, 1, word, &w);
		if (err)
			return err;
		*rank += (uint64_t)__builtin_popcountll(
			w & ((UINT64_C(1) << (pfn & 63)) - 1));
	}
	return NULL;
}

/* Set bits of the 2nd bitmap at pfns [from, to), from < to < max_pfn. */
static struct vt_error *count_span(struct kd_file *kf, uint64_t from,
				   uint64_t to, uint64_t *count)
{
	uint64_t n = 0;

	while (from < to) {
		uint64_t w, bits = 64 - (from & 63);
		struct vt_error *err = bm_word(kf, 1, from / 64, &w);

		if (err)
			return err;
		if (bits > to - from)
			bits = to - from;
		w >>= from & 63;
		if (bits < 64)
			w &= (UINT64_C(1) << bits) - 1;
		n += (uint64_t)__builtin_popcountll(w);
		from += bits;
	}
	*count = n;
	return NULL;
}

/* Index of @pfn's descriptor in this file's descriptor area. */
static struct vt_error *desc_index(struct kd_file *kf, uint64_t pfn,
				   uint64_t *idx)
{
	struct vt_error *err;
	uint64_t r;

	if (kf->cursor_valid && pfn >= kf->cursor_pfn &&
	    pfn - kf->cursor_pfn <= CURSOR_REACH) {
		err = count_span(kf, kf->cursor_pfn, pfn, &r);
		if (err)
			return err;
		*idx = kf->cursor_idx + r;
		kf->cursor_pfn = pfn;
		kf->cursor_idx = *idx;
		return NULL;
	}

	if (!kf->rank_base_known) {
		err = rank_of(kf, kf->start_pfn, &kf->rank_base);
		if (err)
			return err;
		kf->rank_base_known = true;
	}
	err = rank_of(kf, pfn, &r);
	*idx = r - kf->rank_base;
	kf->cursor_valid = !err;
	kf->cursor_pfn = pfn;
	kf->cursor_idx = *idx;
	return err;
}

/*
 * The raw descriptor at @pos (index @idx), through a cache of DC_ENTRIES
 * descriptors, so a scan in pfn order reads the descriptor area in large
 * sequential pieces instead of 24 bytes at a time.
 */
static struct vt_error *desc_raw(struct kd_file *kf, uint64_t idx, uint64_t pos,
				 uint8_t raw[VT_KDUMP_PD_SIZE])
{
	struct vt_error *err;
	uint64_t n;

	if (kf->dc && idx >= kf->dc_first &&
	    idx - kf->dc_first < kf->dc_count) {
		memcpy(raw, kf->dc + (idx - kf->dc_first) * VT_KDUMP_PD_SIZE,
		       VT_KDUMP_PD_SIZE);
		return NULL;
	}
	if (!kf->dc && !(kf->dc = malloc(DC_ENTRIES * VT_KDUMP_PD_SIZE)))
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	n = (kf->size - pos) / VT_KDUMP_PD_SIZE;
	if (n > DC_ENTRIES)
		n = DC_ENTRIES;
	if (n == 0)
		return kd_read(kf, raw, VT_KDUMP_PD_SIZE, pos, "page descriptor");
	err = kd_read(kf, kf->dc, n * VT_KDUMP_PD_SIZE, pos, "page descriptor");
	kf->dc_first = idx;
	kf->dc_count = err ? 0 : n;
	if (!err)
		memcpy(raw, kf->dc, VT_KDUMP_PD_SIZE);
	return err;
}

/* Where the data area starts: after one descriptor per dumped pfn. */
static struct vt_error *data_start(struct kd_file *kf, uint64_t *off)
{
	uint64_t total;
	struct vt_error *err = rank_of(kf, kf->max_pfn, &total);

	*off = kf->desc_off + total * VT_KDUMP_PD_SIZE;
	return err;
}

/* --- page descriptors and pages ----------------------------------------- */

struct kd_desc {
	uint64_t pos; /* of the descriptor itself */
	uint64_t offset;
	uint32_t size, flags;
	bool missing; /* past the end of an incomplete dump */
};

static bool incomplete(const struct kd_file *kf)
{
	return kf->vf.info.status & DUMP_DH_COMPRESSED_INCOMPLETE;
}

/* The descriptor of a pfn known to be dumped in this file. */
static struct vt_error *get_desc(struct kd_file *kf, uint64_t pfn,
				 struct kd_desc *d)
{
	uint8_t raw[VT_KDUMP_PD_SIZE];
	uint64_t idx;
	struct vt_error *err = desc_index(kf, pfn, &idx);

	if (err)
		return err;
	memset(d, 0, sizeof(*d));
	d->pos = kf->desc_off + idx * VT_KDUMP_PD_SIZE;
	if (incomplete(kf) && d->pos + VT_KDUMP_PD_SIZE > kf->size) {
		d->missing = true;
		return NULL;
	}
	err = desc_raw(kf, idx, d->pos, raw);
	if (err)
		return err;
	d->offset = vt_le64(raw + VT_KDUMP_PD(offset));
	d->size = vt_le32(raw + VT_KDUMP_PD(size));
	d->flags = vt_le32(raw + VT_KDUMP_PD(flags));
	d->missing = d->offset == 0 ||
		     (incomplete(kf) &&
		      (d->offset > kf->size || d->size > kf->size - d->offset));
	return NULL;
}

static struct vt_error *not_dumped(struct kd_file *kf, uint64_t pfn)
{
	enum vt_pfn_state state;
	struct vt_error *err;

	if (pfn >= kf->max_pfn)
		return vt_error_new(VT_ERR_NODATA, "beyond max_mapnr 0x%llx",
				    (unsigned long long)kf->max_pfn);
	err = pfn_state(kf, pfn, &state);
	if (err)
		return err;
	if (state == VT_PFN_HOLE)
		return vt_error_new(VT_ERR_NODATA, "not RAM (hole)");
	if (state == VT_PFN_EXCLUDED &&
	    (pfn < kf->start_pfn || pfn >= kf->end_pfn))
		return vt_error_new(
			VT_ERR_NODATA,
			"outside this split file's pfns 0x%llx-0x%llx",
			(unsigned long long)kf->start_pfn,
			(unsigned long long)kf->end_pfn);
	if (state == VT_PFN_EXCLUDED)
		return vt_error_new(VT_ERR_NODATA, "excluded from the dump");
	return NULL;
}

static struct vt_error *check_desc(struct kd_file *kf, const struct kd_desc *d)
{
	uint32_t comp = d->flags & DUMP_DH_COMPRESSION_MASK;

	if (d->size > kf->bs)
		return vt_error_new(VT_ERR_FORMAT,
				    "data size %u exceeds block size %u",
				    d->size, kf->bs);
	if (d->flags != comp || (comp & (comp - 1)))
		return vt_error_new(VT_ERR_FORMAT,
				    "unknown compression flags 0x%x", d->flags);
	if (!comp && d->size != kf->bs)
		return vt_error_new(VT_ERR_FORMAT,
				    "uncompressed page of %u bytes, not %u",
				    d->size, kf->bs);
	if (d->offset > kf->size || d->size > kf->size - d->offset)
		return vt_error_new(
			VT_ERR_FORMAT,
			"data at offset %llu (%u bytes) is past the end of the file (%llu bytes)",
			(unsigned long long)d->offset, d->size,
			(unsigned long long)kf->size);
	return NULL;
}

static struct vt_error *read_page_raw(struct kd_file *kf, uint64_t pfn,
				      void *buf)
{
	struct kd_desc d;
	struct vt_error *err = not_dumped(kf, pfn);

	if (!err)
		err = get_desc(kf, pfn, &d);
	if (err)
		return err;
	if (d.missing)
		return vt_error_new(
			VT_ERR_NODATA,
			"page descriptor at offset %llu: not written (dump incomplete)",
			(unsigned long long)d.pos);
	err = check_desc(kf, &d);
	if (!err && !d.flags)
		err = kd_read(kf, buf, kf->bs, d.offset, "page data");
	if (!err && d.flags) {
		err = kd_read(kf, kf->data, d.size, d.offset, "page data");
		if (!err)
			err = vt_codec_decompress(d.flags, kf->data, d.size,
						  buf, kf->bs);
	}
	return vt_error_prefix(err, "page descriptor at offset %llu: ",
			       (unsigned long long)d.pos);
}

static struct vt_error *kd_read_page(struct vt_file *f, uint64_t pfn, void *buf)
{
	struct kd_file *kf = kd_of(f);

	return vt_error_prefix(read_page_raw(kf, pfn, buf),
			       "%s: pfn 0x%llx: ", kf->path,
			       (unsigned long long)pfn);
}

/*
 * makedumpfile (and our writer) store every all-zero page as one shared
 * raw page, the first thing of the data area, when dump level bit 1 is set.
 */
static struct vt_error *page_storage_raw(struct kd_file *kf, uint64_t pfn,
					 bool *zero, bool *written)
{
	struct kd_desc d;
	uint64_t start;
	struct vt_error *err = not_dumped(kf, pfn);

	if (!err)
		err = get_desc(kf, pfn, &d);
	if (!err)
		err = data_start(kf, &start);
	if (err)
		return err;
	*written = !d.missing;
	*zero = *written && (kf->vf.info.dump_level & 1) && d.offset == start &&
		d.flags == 0;
	return NULL;
}

static struct vt_error *kd_page_storage(struct vt_file *f, uint64_t pfn,
					bool *zero, bool *written)
{
	struct kd_file *kf = kd_of(f);

	*zero = *written = false;
	return vt_error_prefix(page_storage_raw(kf, pfn, zero, written),
			       "%s: pfn 0x%llx: ", kf->path,
			       (unsigned long long)pfn);
}

static void kd_close(struct vt_file *f)
{
	struct kd_file *kf = kd_of(f);

	if (!kf)
		return;
	if (kf->fd >= 0)
		close(kf->fd);
	vt_flat_free(kf->flat);
	free(kf->bm[0].buf);
	free(kf->bm[1].buf);
	free(kf->rank);
	free(kf->dc);
	free(kf->data);
	free(kf->vmcoreinfo);
	free(kf->notes);
	free(kf->path);
	free(kf);
}

static const struct vt_file_ops kdump_ops = {
	.pfn_run = kd_pfn_run,
	.read_page = kd_read_page,
	.page_storage = kd_page_storage,
	.close = kd_close,
};

/* --- opening: header, sub header, bitmaps ------------------------------- */

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
		copy_uts(uts[i],
			 h + VT_KDUMP_HDR(utsname) + i * VT_KDUMP_UTS_FIELD_LEN);
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
	err = kd_read(kf, *out, (size_t)len, off, what);
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
	err = kd_read(kf, sub, sizeof(sub), kf->bs, "sub header");
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
		err = read_blob(kf, sub, VT_KDUMP_SUB(offset_note), MAX_NOTES_SIZE,
				"ELF notes", (char **)&kf->notes,
				&in->notes_size);
	in->vmcoreinfo = kf->vmcoreinfo;
	in->notes = kf->notes;
	return err;
}

/*
 * Lay out the bitmaps from bitmap_blocks. When the area is smaller than
 * two bitmaps for max_mapnr, it holds one that serves as both (old dumps).
 */
static struct vt_error *layout_bitmaps(struct kd_file *kf, const uint8_t *h)
{
	int32_t sub_blocks = (int32_t)vt_le32(h + VT_KDUMP_HDR(sub_hdr_size));
	uint64_t blocks = vt_le32(h + VT_KDUMP_HDR(bitmap_blocks));
	uint64_t need = kf->max_pfn / 8 + !!(kf->max_pfn % 8),
		 area = blocks * kf->bs;
	uint64_t one = (need + kf->bs - 1) / kf->bs * kf->bs;

	if (sub_blocks < 1 || (uint64_t)sub_blocks * kf->bs > kf->size)
		return vt_error_new(
			VT_ERR_FORMAT,
			"sub header size of %d blocks at offset %d does not fit the file (%llu bytes)",
			sub_blocks, (int)VT_KDUMP_HDR(sub_hdr_size),
			(unsigned long long)kf->size);
	kf->bm[0].off = (1 + (uint64_t)sub_blocks) * kf->bs;
	kf->desc_off = kf->bm[0].off + area;
	if (kf->desc_off > kf->size)
		return vt_error_new(
			VT_ERR_FORMAT,
			"bitmaps (%llu blocks from offset %llu) end past the end of the file (%llu bytes)",
			(unsigned long long)blocks,
			(unsigned long long)kf->bm[0].off,
			(unsigned long long)kf->size);
	if (area < need)
		return vt_error_new(
			VT_ERR_FORMAT,
			"bitmap_blocks %llu at offset %d (%llu bytes) cannot hold max_mapnr 0x%llx (%llu bytes per bitmap)",
			(unsigned long long)blocks, (int)VT_KDUMP_HDR(bitmap_blocks),
			(unsigned long long)area,
			(unsigned long long)kf->max_pfn,
			(unsigned long long)need);
	kf->single_bitmap = area < 2 * one;
	kf->bm[0].len = kf->single_bitmap ? area : blocks / 2 * kf->bs;
	kf->bm[1] = kf->bm[0];
	kf->bm[1].off += kf->single_bitmap ? 0 : kf->bm[0].len;
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

	kf->vf.ops = &kdump_ops;
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
	err = kd_read(kf, head, sizeof(head), 0, "signature");
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
		err = kd_read(kf, h, sizeof(h), 0, "disk_dump_header");
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
		kd_close(&kf->vf);
		return vt_error_prefix(err, "%s: ", path);
	}
	*out = &kf->vf;
	return NULL;
}
