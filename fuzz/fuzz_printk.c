// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the kernel log reader (reader/printk*.c) and the
 * panic finder (reader/panic.c), on kernel memory given by the input.
 *
 * Input (little-endian):
 *   u8  flags: 1 = memory outside the regions is "not in the dump"
 *       (VT_ERR_NODATA: records go missing) on even pages and "not
 *       mapped" on odd ones; 0 = always not mapped
 *   u16 length of the VMCOREINFO text, then the text
 *   then regions until the end: u64 vaddr, u32 length, the bytes
 * fuzz/seed-printk.sh writes seeds of this form from the real fixture's
 * lockless ring (every byte the reader read) and a small log_buf.
 *
 * Besides sanitizer reports it aborts on broken contracts: an error with
 * *out set, more records than the summary counts, a line longer than
 * vt_printk_line_max(), more missing sequence numbers listed than
 * counted, panic lines beyond VT_PANIC_LINES_MAX.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/panic.h"
#include "vmemtrim/printk.h"
#include "vmemtrim/vmcoreinfo.h"

#define MAX_REGIONS 16

struct region {
	uint64_t vaddr;
	const uint8_t *bytes;
	size_t len;
};

struct mem {
	bool nodata;
	unsigned int n;
	struct region r[MAX_REGIONS];
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The region holding @vaddr, and how many bytes of it are left there. */
static const struct region *find(const struct mem *m, uint64_t vaddr)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (vaddr >= m->r[i].vaddr &&
		    vaddr - m->r[i].vaddr < m->r[i].len)
			return &m->r[i];
	return NULL;
}

static struct vt_error *mem_read(void *arg, uint64_t vaddr, void *buf,
				 size_t len)
{
	const struct mem *m = arg;
	uint8_t *out = buf;

	while (len) {
		const struct region *r = find(m, vaddr);
		size_t n;

		if (!r) {
			if (m->nodata && !((vaddr >> 12) & 1))
				return vt_error_new(VT_ERR_NODATA,
						    "0x%llx: not in the dump",
						    (unsigned long long)vaddr);
			return vt_error_new(VT_ERR_NOTMAPPED,
					    "0x%llx: not mapped",
					    (unsigned long long)vaddr);
		}
		n = r->len - (vaddr - r->vaddr);
		if (n > len)
			n = len;
		memcpy(out, r->bytes + (vaddr - r->vaddr), n);
		out += n;
		vaddr += n;
		len -= n;
	}
	return NULL;
}

struct walk {
	uint64_t records;
	char *line;
	size_t cap;
};

static int each(void *arg, const struct vt_printk_record *r)
{
	struct walk *w = arg;
	size_t max = vt_printk_line_max(r);

	if (max > w->cap) {
		free(w->line);
		w->line = malloc(max);
		w->cap = w->line ? max : 0;
		if (!w->line)
			return 1;
	}
	if (vt_printk_line(r, w->line) > max)
		abort();
	w->records++;
	return 0;
}

static void run(struct vt_printk *p)
{
	struct walk w = { 0 };
	struct vt_panic pn = { 0 };
	struct vt_error *err = vt_printk_walk(p, each, &w);
	const struct vt_printk_summary *s = vt_printk_summary_of(p);

	free(w.line);
	if (!err && (w.records != s->records ||
		     s->nr_missing_seq > VT_PRINTK_MISSING_LISTED ||
		     s->nr_missing_seq > s->missing))
		abort();
	vt_error_free(err);
	err = vt_panic_find(p, &pn);
	if (pn.nr_lines > VT_PANIC_LINES_MAX ||
	    (pn.found && !err && !pn.message))
		abort();
	vt_error_free(err);
	vt_panic_release(&pn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { 0 };
	struct vt_vmcoreinfo *vi = NULL;
	struct vt_printk *p = NULL;
	struct vt_error *err;
	size_t vi_len, at;

	if (size < 3)
		return 0;
	m.nodata = data[0] & 1;
	vi_len = le(data + 1, 2);
	if (3 + vi_len > size)
		return 0;
	for (at = 3 + vi_len; at + 12 <= size && m.n < MAX_REGIONS; m.n++) {
		size_t len = le(data + at + 8, 4);

		m.r[m.n].vaddr = le(data + at, 8);
		at += 12;
		if (len > size - at)
			len = size - at;
		m.r[m.n].bytes = data + at;
		m.r[m.n].len = len;
		at += len;
	}
	err = vt_vmcoreinfo_parse((const char *)data + 3, vi_len, &vi);
	if (err) {
		if (vi)
			abort();
		vt_error_free(err);
		return 0;
	}
	err = vt_printk_open(vi, mem_read, &m, &p);
	if (err) {
		if (p)
			abort();
		vt_error_free(err);
	} else {
		run(p);
		vt_printk_free(p);
	}
	vt_vmcoreinfo_free(vi);
	return 0;
}
