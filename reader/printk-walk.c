// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The two eras' walks over the kernel log: the lockless ring is copied out
 * of the dump a page at a time (remembering the pages it lacks), log_buf
 * is read a page at a time as its walk reaches it; each record is checked
 * against the pages the dump lacks and the buffer's own sizes before it is
 * handed out. Bounded by the buffer's size: a corrupt ring gives fewer
 * records and a warning, never a loop. Layout facts: docs/printk.md.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "printk-walk.h"

/* A copy of [vaddr, vaddr + len) and which of its pages the dump lacks. */
struct area {
	uint64_t vaddr;
	size_t len;
	uint8_t *buf;
	uint8_t *missing; /* one byte per page touched, from vaddr's page */
};

static bool is_missing(const struct vt_error *err)
{
	return err->code == VT_ERR_NODATA || err->code == VT_ERR_NOTMAPPED;
}

static void area_free(struct area *a)
{
	free(a->buf);
	free(a->missing);
	memset(a, 0, sizeof(*a));
}

static struct vt_error *area_read(const struct vt_printk *p, uint64_t vaddr,
				  size_t len, struct area *a)
{
	size_t done = 0, pages = (vaddr % KPAGE + len + KPAGE - 1) / KPAGE;

	a->vaddr = vaddr;
	a->len = len;
	a->buf = calloc(1, len ? len : 1);
	a->missing = calloc(1, pages ? pages : 1);
	if (!a->buf || !a->missing) {
		area_free(a);
		return vt_error_new(VT_ERR_NOMEM,
				    "printk: out of memory for %zu bytes", len);
	}
	while (done < len) {
		uint64_t v = vaddr + done;
		size_t n = KPAGE - v % KPAGE;
		struct vt_error *err;

		if (n > len - done)
			n = len - done;
		err = p->read(p->arg, v, a->buf + done, n);
		if (err && !is_missing(err)) {
			area_free(a);
			return vt_error_prefix(err, "printk buffer at 0x%llx: ",
					       (unsigned long long)v);
		}
		if (vt_error_catch(&err, 0)) {
			memset(a->buf + done, 0, n);
			a->missing[(vaddr % KPAGE + done) / KPAGE] = 1;
		}
		done += n;
	}
	return NULL;
}

/* Are bytes [off, off + len) of @a all in the dump (and inside @a)? */
static bool area_ok(const struct area *a, uint64_t off, uint64_t len)
{
	uint64_t first, last;

	if (off > a->len || len > a->len - off)
		return false;
	if (!len)
		return true;
	first = (a->vaddr % KPAGE + off) / KPAGE;
	last = (a->vaddr % KPAGE + off + len - 1) / KPAGE;
	for (uint64_t i = first; i <= last; i++)
		if (a->missing[i])
			return false;
	return true;
}

/* A small kernel variable (a pointer or an index); missing is an error. */
static struct vt_error *read_var(const struct vt_printk *p, const char *name,
				 uint64_t vaddr, int bytes, uint64_t *out)
{
	uint8_t b[8];
	struct vt_error *err = p->read(p->arg, vaddr, b, (size_t)bytes);

	if (err)
		return vt_error_prefix(err, "printk: %s at 0x%llx: ", name,
				       (unsigned long long)vaddr);
	*out = vt_le(b, bytes);
	return NULL;
}

/* --- the summary ------------------------------------------------------------ */

static void note_missing(struct vt_printk_summary *s, bool seq_known,
			 uint64_t seq)
{
	s->missing++;
	if (seq_known && s->nr_missing_seq < VT_PRINTK_MISSING_LISTED)
		s->missing_seq[s->nr_missing_seq++] = seq;
}

static void __attribute__((format(printf, 2, 3)))
note_skip(struct vt_printk_summary *s, const char *fmt, ...)
{
	va_list ap;

	s->skipped++;
	if (s->warning[0])
		return;
	va_start(ap, fmt);
	vsnprintf(s->warning, sizeof(s->warning), fmt, ap);
	va_end(ap);
}

/* --- the lockless ring (5.10 and later) ---------------------------------- */

struct ring {
	struct area descs, infos, text;
	uint64_t count; /* descriptors, a power of 2 */
	uint64_t size; /* bytes of the text data ring, a power of 2 */
};

static void ring_free(struct ring *r)
{
	area_free(&r->descs);
	area_free(&r->infos);
	area_free(&r->text);
}

/* The header of the ring: its arrays, their sizes, the first and last id. */
static struct vt_error *ring_read(struct vt_printk *p, struct ring *r,
				  uint64_t *tail, uint64_t *head)
{
	const struct layout *l = &p->l;
	uint64_t prb = 0, sz = (uint64_t)l->size_prb.value;
	uint64_t dr = (uint64_t)l->prb_desc_ring.value;
	uint64_t tr = (uint64_t)l->prb_text_ring.value;
	uint64_t ac = (uint64_t)l->atomic_counter.value;
	uint64_t cbits, sbits, descs, infos, data;
	uint8_t hdr[MAX_STRUCT_SIZE];
	struct vt_error *err;

	err = read_var(p, "prb", (uint64_t)l->prb.value, 8, &prb);
	if (!err)
		err = p->read(p->arg, prb, hdr, sz);
	if (err)
		return vt_error_prefix(err, "printk: the ring buffer: ");
	cbits = vt_le(hdr + dr + l->dr_count_bits.value, 4);
	sbits = vt_le(hdr + tr + l->data_size_bits.value, 4);
	if (cbits > MAX_COUNT_BITS || sbits > MAX_RING_BITS || sbits < 3)
		return vt_error_new(VT_ERR_FORMAT,
				    "printk: ring buffer at 0x%llx: count_bits "
				    "%llu or size_bits %llu out of range",
				    (unsigned long long)prb,
				    (unsigned long long)cbits,
				    (unsigned long long)sbits);
	r->count = 1ULL << cbits;
	r->size = 1ULL << sbits;
	descs = vt_le(hdr + dr + l->dr_descs.value, 8);
	infos = vt_le(hdr + dr + l->dr_infos.value, 8);
	data = vt_le(hdr + tr + l->data_data.value, 8);
	*head = vt_le(hdr + dr + l->dr_head.value + ac, 8) & DESC_ID_MASK;
	*tail = vt_le(hdr + dr + l->dr_tail.value + ac, 8) & DESC_ID_MASK;
	err = area_read(p, descs, r->count * (uint64_t)l->size_desc.value,
			&r->descs);
	if (!err)
		err = area_read(p, infos,
				r->count * (uint64_t)l->size_info.value,
				&r->infos);
	if (!err)
		err = area_read(p, data, r->size, &r->text);
	return err;
}

/* Copy a NUL-padded kernel string of @len bytes at @src into @dst. */
static void copy_name(char *dst, size_t cap, const uint8_t *src, uint64_t len)
{
	size_t n = strnlen((const char *)src, len < cap ? len : cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Where the text of a block [begin, next) (logical positions) lies in the
 * ring: at begin when both are in the same wrap, else (a block that did
 * not fit before the end) at the ring's start. false: neither.
 */
static bool block_place(uint64_t begin, uint64_t next, uint64_t size,
			uint64_t *off, uint64_t *len)
{
	if (begin / size == next / size && begin < next) {
		*off = begin % size;
		*len = next - begin;
		return true;
	}
	if ((begin + size) / size == next / size) {
		*off = 0;
		*len = next % size;
		return true;
	}
	return false;
}

/* One descriptor: hand out its record, count it missing, or skip it. */
static int ring_record(struct vt_printk *p, const struct ring *r, uint64_t id,
		       vt_printk_fn fn, void *arg)
{
	const struct layout *l = &p->l;
	uint64_t i = id & (r->count - 1);
	uint64_t dsz = (uint64_t)l->size_desc.value;
	uint64_t isz = (uint64_t)l->size_info.value;
	const uint8_t *d = r->descs.buf + i * dsz, *in = r->infos.buf + i * isz;
	bool info_ok = area_ok(&r->infos, i * isz, isz);
	uint64_t sv, begin, next, off, len, seq, tlen;
	struct vt_printk_record rec = { 0 };
	char subsystem[64], device[64];

	seq = vt_le(in + l->info_seq.value, 8);
	if (!area_ok(&r->descs, i * dsz, dsz)) {
		note_missing(&p->sum, info_ok, seq);
		return 0;
	}
	sv = vt_le(d + l->desc_state.value + l->atomic_counter.value, 8);
	/* reserved, reusable or reused: not a record, as for the kernel */
	if ((sv & DESC_ID_MASK) != id || (DESC_STATE(sv) != DESC_COMMITTED &&
					  DESC_STATE(sv) != DESC_FINALIZED))
		return 0;
	begin = vt_le(d + l->desc_text_lpos.value + l->lpos_begin.value, 8);
	next = vt_le(d + l->desc_text_lpos.value + l->lpos_next.value, 8);
	/* no text (an empty or failed record): makedumpfile prints none */
	if (begin % r->size == next % r->size)
		return 0;
	if (!info_ok) {
		note_missing(&p->sum, false, 0);
		return 0;
	}
	if (seq % r->count != i) {
		note_skip(&p->sum,
			  "descriptor %llu: its info says sequence "
			  "number %llu",
			  (unsigned long long)i, (unsigned long long)seq);
		return 0;
	}
	if (!block_place(begin, next, r->size, &off, &len) || len < 8) {
		note_skip(&p->sum,
			  "record %llu: text block 0x%llx-0x%llx "
			  "is not in the ring",
			  (unsigned long long)seq, (unsigned long long)begin,
			  (unsigned long long)next);
		return 0;
	}
	if (!area_ok(&r->text, off, len)) {
		note_missing(&p->sum, true, seq);
		return 0;
	}
	if (vt_le(r->text.buf + off, 8) != id) {
		note_skip(&p->sum,
			  "record %llu: its text block belongs to "
			  "another descriptor",
			  (unsigned long long)seq);
		return 0;
	}
	tlen = vt_le(in + l->info_text_len.value, 2);
	rec.seq = seq;
	rec.ts_nsec = vt_le(in + l->info_ts.value, 8);
	rec.text = (const char *)r->text.buf + off + 8;
	rec.text_len = tlen < len - 8 ? tlen : len - 8;
	if (l->info_caller.known) {
		rec.has_caller = true;
		rec.caller_id = (uint32_t)vt_le(in + l->info_caller.value, 4);
	}
	subsystem[0] = device[0] = '\0';
	if (l->info_dev_info.known) {
		const uint8_t *dev = in + l->info_dev_info.value;

		copy_name(subsystem, sizeof(subsystem),
			  dev + l->dev_subsystem.value,
			  (uint64_t)l->len_subsystem.value);
		copy_name(device, sizeof(device), dev + l->dev_device.value,
			  (uint64_t)l->len_device.value);
	}
	rec.subsystem = subsystem;
	rec.device = device;
	p->sum.records++;
	return fn(arg, &rec);
}

struct vt_error *vt_printk_walk_lockless(struct vt_printk *p, vt_printk_fn fn,
					 void *arg)
{
	struct ring r = { 0 };
	uint64_t tail, head, n;
	struct vt_error *err = ring_read(p, &r, &tail, &head);

	if (err) {
		ring_free(&r);
		return err;
	}
	n = ((head - tail) & DESC_ID_MASK) + 1;
	if (n > r.count) {
		note_skip(&p->sum,
			  "tail_id %llu and head_id %llu are %llu "
			  "apart in a ring of %llu descriptors; read the last "
			  "%llu",
			  (unsigned long long)tail, (unsigned long long)head,
			  (unsigned long long)n, (unsigned long long)r.count,
			  (unsigned long long)r.count);
		tail = (head - r.count + 1) & DESC_ID_MASK;
		n = r.count;
	}
	for (uint64_t k = 0; k < n; k++)
		if (ring_record(p, &r, (tail + k) & DESC_ID_MASK, fn, arg))
			break;
	ring_free(&r);
	return NULL;
}

/* --- log_buf (before 5.10) -------------------------------------------------- */

/*
 * log_buf is read as the walk reaches it, a page at a time through a
 * one-page cache, never copied whole: its length is the kernel's word and
 * may say 2 GiB over memory the dump does not hold. What is held at once
 * is one page and one record (a u16 length: under 64 KiB).
 */
#define LOG_REC_MAX 65536

struct lbuf {
	const struct vt_printk *p;
	uint64_t vaddr, len; /* the buffer */
	uint64_t page; /* vaddr of the cached page */
	bool cached, missing; /* the cached page: read, not in the dump */
	uint8_t data[KPAGE];
	uint8_t rec[LOG_REC_MAX]; /* the record being handed out */
};

/* Cache the page of buffer offset @off (clipped to the buffer). */
static struct vt_error *lbuf_page(struct lbuf *b, uint64_t off)
{
	uint64_t v = b->vaddr + off, page = v - v % KPAGE;
	uint64_t from = page > b->vaddr ? page : b->vaddr;
	uint64_t to = page + KPAGE < b->vaddr + b->len ? page + KPAGE :
							 b->vaddr + b->len;
	struct vt_error *err;

	if (b->cached && b->page == page)
		return NULL;
	b->cached = false;
	err = b->p->read(b->p->arg, from, b->data + (from - page), to - from);
	if (err && !is_missing(err))
		return vt_error_prefix(err, "printk buffer at 0x%llx: ",
				       (unsigned long long)from);
	vt_error_free(err);
	b->page = page;
	b->cached = true;
	b->missing = err != NULL;
	return NULL;
}

/*
 * Copy [off, off + len) of the buffer (inside it) to @dst; *ok says
 * whether every byte of it is in the dump.
 */
static struct vt_error *lbuf_get(struct lbuf *b, uint64_t off, uint64_t len,
				 uint8_t *dst, bool *ok)
{
	*ok = true;
	while (len) {
		uint64_t v = b->vaddr + off, n = KPAGE - v % KPAGE;
		struct vt_error *err = lbuf_page(b, off);

		if (err)
			return err;
		if (n > len)
			n = len;
		if (b->missing)
			*ok = false;
		else
			memcpy(dst, b->data + v % KPAGE, n);
		dst += n;
		off += n;
		len -= n;
	}
	return NULL;
}

/* The record at @idx (whose length log_len_at() checked): hand it out or
   count it missing. */
static struct vt_error *log_record(struct vt_printk *p, struct lbuf *b,
				   uint64_t idx, uint64_t seq, vt_printk_fn fn,
				   void *arg, int *stop)
{
	const struct layout *l = &p->l;
	const uint8_t *h = b->rec;
	uint64_t hsz = (uint64_t)l->size_log.value;
	struct vt_printk_record rec = { 0 };
	struct vt_error *err;
	bool ok;

	err = lbuf_get(b, idx, hsz, b->rec, &ok);
	if (err)
		return err;
	rec.seq = seq;
	rec.text_len = vt_le(h + l->log_text_len.value, 2);
	if (l->log_dict_len.known)
		rec.dict_len = vt_le(h + l->log_dict_len.value, 2);
	err = lbuf_get(b, idx + hsz, rec.text_len + rec.dict_len, b->rec + hsz,
		       &ok);
	if (err)
		return err;
	if (!ok) {
		note_missing(&p->sum, true, seq);
		return NULL;
	}
	rec.ts_nsec = vt_le(h + l->log_ts.value, 8);
	rec.text = (const char *)h + hsz;
	rec.dict = rec.text + rec.text_len;
	if (l->log_caller.known) {
		rec.has_caller = true;
		rec.caller_id = (uint32_t)vt_le(h + l->log_caller.value, 4);
	}
	rec.subsystem = rec.device = "";
	p->sum.records++;
	*stop = fn(arg, &rec);
	return NULL;
}

/*
 * The length of the record at *idx into *len, after following a wrap
 * marker (a length of 0: the next record is at the buffer's start); 0
 * when the record cannot be trusted or read (the summary says why).
 */
static struct vt_error *log_len_at(struct vt_printk *p, struct lbuf *b,
				   uint64_t *idx, uint64_t *len)
{
	const struct layout *l = &p->l;
	uint64_t hsz = (uint64_t)l->size_log.value, body;
	uint8_t *h = b->rec;
	struct vt_error *err;
	bool ok = false;

	*len = 0;
	for (int wrapped = 0; wrapped < 2; wrapped++) {
		bool inside = *idx + hsz <= b->len;

		if (inside) {
			err = lbuf_get(b, *idx, hsz, h, &ok);
			if (err)
				return err;
		}
		if (!inside || !ok) {
			if (inside)
				note_missing(&p->sum, false, 0);
			note_skip(&p->sum,
				  "log_buf offset %llu: the record "
				  "header is %s; the rest of the log is not "
				  "read",
				  (unsigned long long)*idx,
				  inside ? "not in the dump" : "past the end");
			return NULL;
		}
		*len = vt_le(h + l->log_len.value, 2);
		if (*len)
			break;
		if (*idx == 0 || wrapped) {
			note_skip(&p->sum,
				  "log_buf: a wrap marker at offset "
				  "%llu leads nowhere",
				  (unsigned long long)*idx);
			return NULL;
		}
		*idx = 0;
	}
	body = hsz + vt_le(h + l->log_text_len.value, 2);
	if (l->log_dict_len.known)
		body += vt_le(h + l->log_dict_len.value, 2);
	if (*len < body || *idx + *len > b->len) {
		note_skip(&p->sum,
			  "log_buf offset %llu: record length %llu "
			  "does not hold its text or leaves the buffer",
			  (unsigned long long)*idx, (unsigned long long)*len);
		*len = 0;
	}
	return NULL;
}

/* The kernel's sizes: log_buf_len_update() rounds up to a power of 2 and
   caps at LOG_BUF_LEN_MAX. */
#define LOG_BUF_LEN_MAX (1ULL << 31)

static struct vt_error *log_walk(struct vt_printk *p, struct lbuf *b,
				 uint64_t first, uint64_t next, vt_printk_fn fn,
				 void *arg)
{
	/* each record takes at least a header: more steps means a loop */
	uint64_t steps = b->len / (uint64_t)p->l.size_log.value + 1;
	uint64_t idx, seq = 0;

	for (idx = first; idx != next; seq++) {
		struct vt_error *err;
		uint64_t len;
		int stop = 0;

		if (!steps--) {
			note_skip(&p->sum,
				  "log_buf: records from offset %llu "
				  "never reach log_next_idx %llu",
				  (unsigned long long)first,
				  (unsigned long long)next);
			break;
		}
		err = log_len_at(p, b, &idx, &len);
		if (!err && len)
			err = log_record(p, b, idx, seq, fn, arg, &stop);
		if (err)
			return err;
		if (!len || stop)
			break;
		idx += len;
	}
	return NULL;
}

struct vt_error *vt_printk_walk_log_buf(struct vt_printk *p, vt_printk_fn fn,
					void *arg)
{
	const struct layout *l = &p->l;
	uint64_t buf = 0, buf_len = 0, first = 0, next = 0;
	struct lbuf *b;
	struct vt_error *err;

	err = read_var(p, "log_buf", (uint64_t)l->log_buf.value, 8, &buf);
	if (!err)
		err = read_var(p, "log_buf_len", (uint64_t)l->log_buf_len.value,
			       4, &buf_len);
	if (!err)
		err = read_var(p, "log_first_idx",
			       (uint64_t)l->log_first_idx.value, 4, &first);
	if (!err)
		err = read_var(p, "log_next_idx",
			       (uint64_t)l->log_next_idx.value, 4, &next);
	if (err)
		return err;
	if (buf_len < (uint64_t)l->size_log.value ||
	    buf_len > LOG_BUF_LEN_MAX || (buf_len & (buf_len - 1)))
		return vt_error_new(VT_ERR_FORMAT,
				    "printk: log_buf_len %llu is not a power "
				    "of 2 from SIZE(printk_log) to 2 GiB",
				    (unsigned long long)buf_len);
	if (first >= buf_len || next >= buf_len) {
		note_skip(&p->sum,
			  "log_buf_len %llu, log_first_idx %llu, "
			  "log_next_idx %llu do not fit together",
			  (unsigned long long)buf_len,
			  (unsigned long long)first, (unsigned long long)next);
		return NULL;
	}
	b = malloc(sizeof(*b));
	if (!b)
		return vt_error_new(VT_ERR_NOMEM, "printk: out of memory");
	b->p = p;
	b->vaddr = buf;
	b->len = buf_len;
	b->cached = false;
	err = log_walk(p, b, first, next, fn, arg);
	free(b);
	return err;
}
