// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kdump-compressed (diskdump) input, plain or flattened: reading both
 * bitmaps, page descriptors and page data of an open file (kdump-open.c
 * opens it). Layout facts: docs/kdump-format.md.
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
#include <unistd.h>

#include "kdump-layout.h"
#include "kdump.h"
#include "vmemtrim/codec.h"
#include "vmemtrim/format.h"

static struct kd_file *kd_of(struct vt_file *f)
{
	return (struct kd_file *)f;
}

struct vt_error *vt_kd_read(struct kd_file *kf, void *buf, size_t len,
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
		err = vt_kd_read(kf, bm->buf, (size_t)n, bm->off + start,
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
		return vt_kd_read(kf, raw, VT_KDUMP_PD_SIZE, pos,
				  "page descriptor");
	err = vt_kd_read(kf, kf->dc, n * VT_KDUMP_PD_SIZE, pos,
			 "page descriptor");
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

/* Marked so, or a flattened stream cut off (its header cannot say so). */
static bool incomplete(const struct kd_file *kf)
{
	return (kf->vf.info.status & DUMP_DH_COMPRESSED_INCOMPLETE) ||
	       (kf->flat && vt_flat_cut(kf->flat));
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
		err = vt_kd_read(kf, buf, kf->bs, d.offset, "page data");
	if (!err && d.flags) {
		err = vt_kd_read(kf, kf->data, d.size, d.offset, "page data");
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

const struct vt_file_ops vt_kdump_ops = {
	.pfn_run = kd_pfn_run,
	.read_page = kd_read_page,
	.page_storage = kd_page_storage,
	.close = kd_close,
};
