// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * -R: a flattened stream, read from a pipe in one pass, written back as
 * the regular file it stands for (temporary name, then rename). The
 * format's header and record checks are reader/flat.c's.
 *
 * A stream that stops without its end mark (the sender's disk filled up,
 * the connection broke) is still rebuilt when it holds the dump's header
 * and both bitmaps: from its complete records only (a record cut off is
 * left out whole), the header's status marked INCOMPLETE. A page whose
 * descriptor or data did not arrive then reads as not written. Where the
 * bytes of the complete records reach is tracked as a set of merged
 * ranges: one per area the writer fills in order (header, each bitmap,
 * descriptors, data), so a few whatever the dump's size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flat.h"
#include "kdump-layout.h"
#include "outfile.h"
#include "write.h"
#include "vmemtrim/format.h"

/* The parts of the file the complete records wrote: sorted, disjoint. */
struct cover {
	uint64_t (*r)[2]; /* [start, end) */
	size_t nr, cap;
};

struct reasm {
	int in_fd, out_fd;
	const char *in_name, *tmp;
	uint64_t pos; /* bytes of the stream consumed */
	uint8_t *buf;
	struct cover cov;
	uint64_t records; /* complete records */
	bool cut; /* the stream ended without its end mark ... */
	uint64_t cut_record; /* ... inside the record at this byte, */
	bool cut_inside; /* if it ended inside one */
};

/* The first range that ends at or after @a (nr if none). */
static size_t cover_find(const struct cover *c, uint64_t a)
{
	size_t lo = 0, hi = c->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->r[mid][1] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Add [@a, @b), merged with the ranges it touches; false: out of memory. */
static bool cover_add(struct cover *c, uint64_t a, uint64_t b)
{
	size_t i = cover_find(c, a), j = i;

	while (j < c->nr && c->r[j][0] <= b)
		j++;
	if (i < j) {
		if (c->r[i][0] < a)
			a = c->r[i][0];
		if (c->r[j - 1][1] > b)
			b = c->r[j - 1][1];
		memmove(c->r + i + 1, c->r + j, (c->nr - j) * sizeof(*c->r));
		c->nr -= j - i - 1;
	} else {
		if (c->nr == c->cap) {
			size_t ncap = c->cap ? 2 * c->cap : 16;
			void *n = realloc(c->r, ncap * sizeof(*c->r));

			if (!n)
				return false;
			c->r = n;
			c->cap = ncap;
		}
		memmove(c->r + i + 1, c->r + i, (c->nr - i) * sizeof(*c->r));
		c->nr++;
	}
	c->r[i][0] = a;
	c->r[i][1] = b;
	return true;
}

/* Whether the complete records wrote every byte of [@a, @b). */
static bool cover_has(const struct cover *c, uint64_t a, uint64_t b)
{
	size_t i = cover_find(c, a);

	return a >= b || (i < c->nr && c->r[i][0] <= a && c->r[i][1] >= b);
}

/*
 * Read @len bytes of the stream; *@ended when it ends first (EOF), with
 * *@got the bytes there were.
 */
static struct vt_error *reasm_read(struct reasm *r, void *buf, size_t len,
				   const char *what, bool *ended, size_t *got)
{
	int e = vt_read_full(r->in_fd, buf, len, got);

	if (e)
		return vt_error_errno(e, "%s: reading %s at byte %llu",
				      r->in_name, what,
				      (unsigned long long)(r->pos + *got));
	r->pos += *got;
	*ended = *got < len;
	return NULL;
}

static struct vt_error *reasm_header(struct reasm *r)
{
	bool ended;
	size_t got;
	struct vt_error *err = reasm_read(r, r->buf, FLAT_HEADER_SIZE,
					  "the flattened header", &ended, &got);

	if (err)
		return err;
	if (ended && vt_flat_probe(r->buf, got))
		return vt_error_new(
			VT_ERR_FORMAT,
			"%s: flattened stream ends at byte %llu inside the flattened header",
			r->in_name, (unsigned long long)r->pos);
	if (!vt_flat_probe(r->buf, got))
		return vt_error_new(
			VT_ERR_FORMAT,
			"%s: not a flattened dump: no \"%s\" signature at byte 0",
			r->in_name, FLAT_SIGNATURE);
	if (!vt_flat_type_ok(r->buf))
		return vt_error_new(
			VT_ERR_UNSUPPORTED,
			"%s: flattened stream type %lld version %lld at byte 16 (expected %d and %d)",
			r->in_name, (long long)vt_flat_type(r->buf),
			(long long)vt_flat_version(r->buf), FLAT_TYPE,
			FLAT_VERSION);
	return NULL;
}

static struct vt_error *reasm_write(struct reasm *r, uint64_t off, size_t n)
{
	size_t done;
	int e = vt_pwrite_all(r->out_fd, r->buf, n, off, &done);

	if (e)
		return vt_error_errno(e, "%s: write at offset %llu", r->tmp,
				      (unsigned long long)(off + done));
	return NULL;
}

/*
 * Copy the @size bytes of one record to offset @off of the output; *@ended
 * when the stream ends inside it. A record of up to VT_FLAT_RECORD_MAX
 * bytes (every record of ours) is written only once it is whole; of a
 * larger one cut off, the pieces already written are zeroed again.
 */
static struct vt_error *reasm_copy(struct reasm *r, uint64_t off, uint64_t size,
				   bool *ended)
{
	uint64_t done = 0;

	while (done < size) {
		size_t n = size - done > VT_FLAT_RECORD_MAX ?
				   VT_FLAT_RECORD_MAX :
				   (size_t)(size - done);
		size_t got;
		struct vt_error *err =
			reasm_read(r, r->buf, n, "a record", ended, &got);

		if (err)
			return err;
		if (*ended)
			break;
		err = reasm_write(r, off + done, n);
		if (err)
			return err;
		done += n;
	}
	if (!*ended)
		return NULL;
	memset(r->buf, 0,
	       done < VT_FLAT_RECORD_MAX ? done : VT_FLAT_RECORD_MAX);
	while (done) {
		size_t n = done > VT_FLAT_RECORD_MAX ? VT_FLAT_RECORD_MAX :
						       (size_t)done;
		struct vt_error *err = reasm_write(r, off + done - n, n);

		if (err)
			return err;
		done -= n;
	}
	return NULL;
}

static struct vt_error *reasm_records(struct reasm *r)
{
	for (;;) {
		uint8_t rh[FLAT_RECORD_HEADER_SIZE];
		uint64_t at = r->pos;
		enum vt_flat_rec kind;
		int64_t off, size;
		bool ended;
		size_t got;
		struct vt_error *err = reasm_read(
			r, rh, sizeof(rh), "a record header", &ended, &got);

		if (!err && !ended) {
			kind = vt_flat_record(rh, &off, &size);
			if (kind == VT_FLAT_REC_END)
				return NULL;
			if (kind != VT_FLAT_REC_DATA)
				return vt_error_new(
					VT_ERR_FORMAT,
					"%s: bad flattened record at byte %llu: offset %lld, size %lld",
					r->in_name, (unsigned long long)at,
					(long long)off, (long long)size);
			err = reasm_copy(r, (uint64_t)off, (uint64_t)size,
					 &ended);
		}
		if (err)
			return err;
		if (ended) {
			r->cut = true;
			r->cut_record = at;
			r->cut_inside = r->pos > at;
			return NULL;
		}
		if (size &&
		    !cover_add(&r->cov, (uint64_t)off, (uint64_t)(off + size)))
			return vt_error_new(VT_ERR_NOMEM, "out of memory");
		r->records++;
	}
}

/* What the stream's end was, for messages. */
static const char *cut_where(const struct reasm *r, char *buf, size_t len)
{
	if (r->cut_inside)
		snprintf(buf, len, "inside the record at byte %llu",
			 (unsigned long long)r->cut_record);
	else
		snprintf(buf, len, "after a whole record");
	return buf;
}

/* Make @fd at least @size bytes long; 0 or -1 (errno). */
static int ftruncate_up(int fd, uint64_t size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	return (uint64_t)st.st_size < size ? ftruncate(fd, (off_t)size) : 0;
}

/*
 * Whether the header, sub header and both bitmaps (their first max_mapnr
 * bits: the rest of the area is padding no writer need write) came whole,
 * as the reader lays them out (reader/kdump-open.c, docs/kdump-format.md).
 * @h: the header, itself whole.
 */
static struct vt_error *head_whole(struct reasm *r, const uint8_t *h,
				   uint64_t bs, bool *whole, uint64_t *desc_off)
{
	uint64_t max_pfn = vt_le32(h + VT_KDUMP_HDR(max_mapnr));
	uint64_t sub = vt_le32(h + VT_KDUMP_HDR(sub_hdr_size));
	struct vt_kdump_bitmaps b;
	uint8_t m[8];

	*whole = sub && cover_has(&r->cov, 0, (1 + sub) * bs);
	if (!*whole)
		return NULL;
	if ((int32_t)vt_le32(h + VT_KDUMP_HDR(header_version)) >= 6) {
		struct vt_error *err =
			vt_pread_exact(r->out_fd, m, sizeof(m),
				       bs + VT_KDUMP_SUB(max_mapnr_64));

		if (err)
			return vt_error_prefix(err, "%s: ", r->tmp);
		if (vt_le64(m))
			max_pfn = vt_le64(m);
	}
	b = vt_kdump_bitmaps_of(
		bs, sub, vt_le32(h + VT_KDUMP_HDR(bitmap_blocks)), max_pfn);
	*desc_off = b.desc_off;
	*whole = b.need <= b.len &&
		 cover_has(&r->cov, b.off1, b.off1 + b.need) &&
		 cover_has(&r->cov, b.off2, b.off2 + b.need);
	return NULL;
}

/*
 * The stream was cut off: mark the dump INCOMPLETE when its header and
 * both bitmaps came whole, else there is no dump to keep.
 */
static struct vt_error *reasm_mark_incomplete(struct reasm *r)
{
	uint8_t h[VT_KDUMP_HDR_SIZE], st[4];
	uint64_t bs, desc_off = 0;
	char where[64];
	bool whole;
	struct vt_error *err;

	cut_where(r, where, sizeof(where));
	if (!cover_has(&r->cov, 0, sizeof(h)))
		return vt_error_new(
			VT_ERR_FORMAT,
			"%s: flattened stream cut off at byte %llu (%s, no end mark) before the dump's header: nothing to rebuild",
			r->in_name, (unsigned long long)r->pos, where);
	err = vt_pread_exact(r->out_fd, h, sizeof(h), 0);
	if (err)
		return vt_error_prefix(err, "%s: ", r->tmp);
	bs = vt_le32(h + VT_KDUMP_HDR(block_size));
	if (memcmp(h, VT_KDUMP_SIGNATURE, VT_KDUMP_SIGNATURE_LEN) ||
	    bs < 4096 || bs > 65536 || (bs & (bs - 1)))
		return vt_error_new(
			VT_ERR_FORMAT,
			"%s: flattened stream cut off at byte %llu (%s, no end mark), and what it holds is no kdump-compressed dump to mark incomplete",
			r->in_name, (unsigned long long)r->pos, where);
	err = head_whole(r, h, bs, &whole, &desc_off);
	if (err)
		return err;
	if (!whole)
		return vt_error_new(
			VT_ERR_FORMAT,
			"%s: flattened stream cut off at byte %llu (%s, no end mark) before the dump's header and bitmaps were whole: nothing to rebuild",
			r->in_name, (unsigned long long)r->pos, where);
	/* the descriptor area starts inside the file, as the writer's does */
	if (ftruncate_up(r->out_fd, desc_off))
		return vt_error_errno(errno, "%s: ftruncate", r->tmp);
	vt_put_le32(st, vt_le32(h + VT_KDUMP_HDR(status)) |
				DUMP_DH_COMPRESSED_INCOMPLETE);
	memcpy(r->buf, st, sizeof(st));
	return reasm_write(r, VT_KDUMP_HDR(status), sizeof(st));
}

/* The message of a stream rebuilt from its complete records. */
static struct vt_error *cut_notice(const struct reasm *r, const char *path)
{
	char where[64];

	return vt_error_new(
		VT_ERR_FORMAT,
		"%s: flattened stream cut off at byte %llu (%s, no end mark); %s is rebuilt from its %llu complete records and marked incomplete",
		r->in_name, (unsigned long long)r->pos,
		cut_where(r, where, sizeof(where)), path,
		(unsigned long long)r->records);
}

struct vt_error *vt_flat_reassemble(int in_fd, const char *in_name,
				    const char *path, bool force)
{
	struct reasm r = { .in_fd = in_fd, .in_name = in_name };
	struct vt_error *err = vt_outfile_check(path, force);
	char *tmp = NULL;
	bool left;

	if (err)
		return err;
	r.buf = malloc(VT_FLAT_RECORD_MAX > FLAT_HEADER_SIZE ?
			       VT_FLAT_RECORD_MAX :
			       FLAT_HEADER_SIZE);
	if (!r.buf)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	err = vt_outfile_temp(path, &tmp, &r.out_fd);
	if (err) {
		free(r.buf);
		return err;
	}
	r.tmp = tmp;
	err = reasm_header(&r);
	if (!err)
		err = reasm_records(&r);
	if (!err && r.cut)
		err = reasm_mark_incomplete(&r);
	if (!err && fsync(r.out_fd))
		err = vt_error_errno(errno, "%s: fsync", tmp);
	if (close(r.out_fd) && !err)
		err = vt_error_errno(errno, "%s: close", tmp);
	if (!err)
		err = vt_outfile_rename(tmp, path, force, &left);
	else
		unlink(tmp);
	if (!err && r.cut)
		err = cut_notice(&r, path);
	free(tmp);
	free(r.cov.r);
	free(r.buf);
	return err;
}
