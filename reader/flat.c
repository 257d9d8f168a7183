// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Flattened kdump-compressed streams (makedumpfile -F), read in place.
 *
 * The stream is a 4 KiB header and records (big-endian int64 offset and
 * size, then the bytes to place at that offset of the regular file) in
 * write order, later ones overwriting earlier ones. We index the records
 * once into a sorted map of non-overlapping extents of the logical file,
 * each pointing at stream bytes, so that no temporary file is needed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flat.h"
#include "internal.h"
#include "vmemtrim/format.h"

struct flat_rec {
	uint64_t off, end; /* logical range */
	uint64_t spos; /* stream position of the byte at off */
	uint64_t seq; /* order in the stream: later wins */
};

struct flat_extent {
	uint64_t off, end, spos;
};

struct vt_flat {
	int fd;
	bool cut; /* no end mark: the stream was cut off */
	uint64_t size;
	size_t nr;
	struct flat_extent *ext;
};

bool vt_flat_probe(const void *head, size_t len)
{
	static const char zeros[16];
	const char *h = head;
	size_t n = sizeof(FLAT_SIGNATURE) - 1;

	/* the signature is NUL padded to 16 bytes */
	return len >= 16 && !memcmp(h, FLAT_SIGNATURE, n) &&
	       !memcmp(h + n, zeros, 16 - n);
}

void vt_flat_header(uint8_t h[FLAT_HEADER_SIZE])
{
	memset(h, 0, FLAT_HEADER_SIZE);
	memcpy(h, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE) - 1);
	vt_put_be64(h + 16, FLAT_TYPE);
	vt_put_be64(h + 24, FLAT_VERSION);
}

int64_t vt_flat_type(const uint8_t *h)
{
	return (int64_t)vt_be64(h + 16);
}

int64_t vt_flat_version(const uint8_t *h)
{
	return (int64_t)vt_be64(h + 24);
}

bool vt_flat_type_ok(const uint8_t *h)
{
	return vt_flat_type(h) == FLAT_TYPE &&
	       vt_flat_version(h) == FLAT_VERSION;
}

void vt_flat_record_header(uint8_t rh[FLAT_RECORD_HEADER_SIZE], int64_t off,
			   int64_t size)
{
	vt_put_be64(rh, (uint64_t)off);
	vt_put_be64(rh + 8, (uint64_t)size);
}

enum vt_flat_rec vt_flat_record(const uint8_t rh[FLAT_RECORD_HEADER_SIZE],
				int64_t *off, int64_t *size)
{
	*off = (int64_t)vt_be64(rh);
	*size = (int64_t)vt_be64(rh + 8);
	if (*off == FLAT_END_MARK && *size == FLAT_END_MARK)
		return VT_FLAT_REC_END;
	if (*off < 0 || *size < 0)
		return VT_FLAT_REC_NEGATIVE;
	if ((uint64_t)*off > VT_FLAT_MAX_OFFSET ||
	    (uint64_t)*size > VT_FLAT_MAX_OFFSET - (uint64_t)*off)
		return VT_FLAT_REC_BEYOND;
	return VT_FLAT_REC_DATA;
}

static struct vt_error *check_header(int fd, uint64_t stream_size)
{
	uint8_t h[32];
	struct vt_error *err;

	if (stream_size < FLAT_HEADER_SIZE)
		return vt_error_new(
			VT_ERR_FORMAT,
			"flattened stream of %llu bytes is shorter than its %d-byte header",
			(unsigned long long)stream_size, FLAT_HEADER_SIZE);
	err = vt_pread_exact(fd, h, sizeof(h), 0);
	if (err)
		return err;
	if (!vt_flat_type_ok(h))
		return vt_error_new(
			VT_ERR_UNSUPPORTED,
			"flattened stream type %lld version %lld at offset 16 (expected %d and %d)",
			(long long)vt_flat_type(h),
			(long long)vt_flat_version(h), FLAT_TYPE, FLAT_VERSION);
	return NULL;
}

static struct vt_error *rec_check(enum vt_flat_rec kind, int64_t off,
				  int64_t size, uint64_t pos)
{
	if (kind == VT_FLAT_REC_NEGATIVE)
		return vt_error_new(
			VT_ERR_FORMAT,
			"flattened record at stream offset %llu: negative %s %lld",
			(unsigned long long)pos,
			off < 0 ? "file offset" : "size",
			(long long)(off < 0 ? off : size));
	if (kind == VT_FLAT_REC_BEYOND)
		return vt_error_new(
			VT_ERR_FORMAT,
			"flattened record at stream offset %llu: range %lld+%lld is beyond any dump",
			(unsigned long long)pos, (long long)off,
			(long long)size);
	return NULL;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct flat_rec *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Read every record header. A stream cut short (no end mark) keeps its
 * complete records, as -R rebuilds it (filter/writer/reassemble.c): an
 * interrupted transfer of a dump is still worth reading, and the kdump
 * layer reports the pages missing. A record cut off is left out whole,
 * so that no page descriptor is read half written.
 */
static struct vt_error *scan_records(int fd, uint64_t stream_size,
				     struct flat_rec **out, size_t *nr_out,
				     bool *cut)
{
	uint64_t pos = FLAT_HEADER_SIZE;
	struct flat_rec *recs = NULL;
	size_t nr = 0, cap = 0;
	struct vt_error *err = NULL;

	*cut = true;
	while (pos + FLAT_RECORD_HEADER_SIZE <= stream_size) {
		uint8_t h[FLAT_RECORD_HEADER_SIZE];
		enum vt_flat_rec kind;
		int64_t off, size;
		uint64_t avail;

		err = vt_pread_exact(fd, h, sizeof(h), pos);
		if (err)
			break;
		kind = vt_flat_record(h, &off, &size);
		if (kind == VT_FLAT_REC_END) {
			*cut = false;
			break;
		}
		err = rec_check(kind, off, size, pos);
		if (err)
			break;
		pos += FLAT_RECORD_HEADER_SIZE;
		avail = stream_size - pos;
		if ((uint64_t)size > avail)
			break;
		if (size && nr == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct flat_rec *n = realloc(recs, ncap * sizeof(*n));

			if (!n) {
				err = vt_error_new(
					VT_ERR_NOMEM,
					"out of memory indexing flattened records");
				break;
			}
			recs = n;
			cap = ncap;
		}
		if (size) {
			recs[nr].off = (uint64_t)off;
			recs[nr].end = (uint64_t)off + (uint64_t)size;
			recs[nr].spos = pos;
			recs[nr].seq = nr;
			nr++;
		}
		pos += (uint64_t)size;
	}
	if (err) {
		free(recs);
		return err;
	}
	*out = recs;
	*nr_out = nr;
	return NULL;
}

/* A max-heap of record indices by seq: the newest record covering a point. */
struct rec_heap {
	size_t *idx, nr;
	const struct flat_rec *recs;
};

static bool heap_less(const struct rec_heap *h, size_t a, size_t b)
{
	return h->recs[h->idx[a]].seq < h->recs[h->idx[b]].seq;
}

static void heap_swap(struct rec_heap *h, size_t a, size_t b)
{
	size_t t = h->idx[a];

	h->idx[a] = h->idx[b];
	h->idx[b] = t;
}

static void heap_push(struct rec_heap *h, size_t rec)
{
	size_t i = h->nr++;

	h->idx[i] = rec;
	while (i && heap_less(h, (i - 1) / 2, i)) {
		heap_swap(h, (i - 1) / 2, i);
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct rec_heap *h)
{
	size_t i = 0;

	h->idx[0] = h->idx[--h->nr];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->nr && heap_less(h, m, l))
			m = l;
		if (r < h->nr && heap_less(h, m, r))
			m = r;
		if (m == i)
			break;
		heap_swap(h, i, m);
		i = m;
	}
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void emit(struct flat_extent *ext, size_t *nr, uint64_t off,
		 uint64_t end, uint64_t spos)
{
	struct flat_extent *last = *nr ? &ext[*nr - 1] : NULL;

	if (last && last->end == off && last->spos + (off - last->off) == spos)
		last->end = end;
	else
		ext[(*nr)++] = (struct flat_extent){ off, end, spos };
}

/*
 * Sweep the sorted boundaries of all records; between two boundaries the
 * newest record covering the segment owns it.
 */
static struct vt_error *resolve(struct vt_flat *fl, const struct flat_rec *recs,
				size_t nr)
{
	uint64_t *bounds = malloc(2 * nr * sizeof(*bounds) + 1);
	struct rec_heap h = { malloc(nr * sizeof(size_t) + 1), 0, recs };
	size_t nb = 0, next = 0;

	fl->ext = malloc(2 * nr * sizeof(*fl->ext) + 1);
	if (!bounds || !h.idx || !fl->ext) {
		free(bounds);
		free(h.idx);
		return vt_error_new(VT_ERR_NOMEM,
				    "out of memory indexing flattened records");
	}
	for (size_t i = 0; i < nr; i++) {
		bounds[nb++] = recs[i].off;
		bounds[nb++] = recs[i].end;
	}
	if (nb)
		qsort(bounds, nb, sizeof(*bounds), u64_cmp);
	for (size_t i = 0; i + 1 < nb; i++) {
		uint64_t b = bounds[i];

		if (b == bounds[i + 1])
			continue;
		while (next < nr && recs[next].off <= b)
			heap_push(&h, next++);
		while (h.nr && recs[h.idx[0]].end <= b)
			heap_pop(&h);
		if (h.nr) {
			const struct flat_rec *r = &recs[h.idx[0]];

			emit(fl->ext, &fl->nr, b, bounds[i + 1],
			     r->spos + (b - r->off));
		}
	}
	free(bounds);
	free(h.idx);
	return NULL;
}

struct vt_error *vt_flat_open(int fd, uint64_t stream_size,
			      struct vt_flat **out)
{
	struct vt_flat *fl;
	struct flat_rec *recs;
	struct vt_error *err;
	bool cut;
	size_t nr;

	*out = NULL;
	err = check_header(fd, stream_size);
	if (!err)
		err = scan_records(fd, stream_size, &recs, &nr, &cut);
	if (err)
		return err;
	fl = calloc(1, sizeof(*fl));
	if (!fl) {
		free(recs);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	fl->fd = fd;
	fl->cut = cut;
	if (nr)
		qsort(recs, nr, sizeof(*recs), rec_cmp);
	err = resolve(fl, recs, nr);
	free(recs);
	if (err) {
		vt_flat_free(fl);
		return err;
	}
	fl->size = fl->nr ? fl->ext[fl->nr - 1].end : 0;
	*out = fl;
	return NULL;
}

void vt_flat_free(struct vt_flat *fl)
{
	if (!fl)
		return;
	free(fl->ext);
	free(fl);
}

uint64_t vt_flat_size(const struct vt_flat *fl)
{
	return fl->size;
}

bool vt_flat_cut(const struct vt_flat *fl)
{
	return fl->cut;
}

/* Index of the first extent that ends after @off (nr if none). */
static size_t find_extent(const struct vt_flat *fl, uint64_t off)
{
	size_t lo = 0, hi = fl->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fl->ext[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t vt_flat_next_data(const struct vt_flat *fl, uint64_t off)
{
	size_t i = find_extent(fl, off);

	/* past the last record nothing was written: it reads as zeros */
	if (i >= fl->nr)
		return UINT64_MAX;
	return fl->ext[i].off > off ? fl->ext[i].off : off;
}

struct vt_error *vt_flat_read(const struct vt_flat *fl, void *buf, size_t len,
			      uint64_t off)
{
	uint8_t *p = buf;
	size_t i = find_extent(fl, off);

	while (len) {
		const struct flat_extent *e = i < fl->nr ? &fl->ext[i] : NULL;
		size_t n;

		if (!e || e->off > off) {
			/* a gap no record wrote */
			n = !e || e->off - off > len ? len :
						       (size_t)(e->off - off);
			memset(p, 0, n);
		} else {
			struct vt_error *err;

			n = e->end - off > len ? len : (size_t)(e->end - off);
			err = vt_pread_exact(fl->fd, p, n,
					     e->spos + (off - e->off));
			if (err)
				return err;
			i++;
		}
		p += n;
		off += n;
		len -= n;
	}
	return NULL;
}
