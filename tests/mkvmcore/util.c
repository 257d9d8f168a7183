// SPDX-License-Identifier: GPL-2.0-or-later
/* Small helpers: errors, size and range parsing, positioned writes. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mkvmcore.h"

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	e->code = code;
	return code;
}

/* "123", "0x1000", "4K", "512M", "2G", "1T" (binary units). */
int parse_size(const char *s, u64 *out)
{
	char *end;
	unsigned long long v;
	u64 mul = 1;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		end++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		end++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		end++;
		break;
	case 't':
	case 'T':
		mul = 1ULL << 40;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || (v && mul > UINT64_MAX / v))
		return -1;
	*out = v * mul;
	return 0;
}

static int parse_one_range(char *tok, struct pfn_range *r)
{
	int is_pfn = 0;
	char *dash;
	u64 a, b;

	if (!strncmp(tok, "pfn:", 4)) {
		is_pfn = 1;
		tok += 4;
	}
	dash = strchr(tok + 1, '-');
	if (!dash)
		return -1;
	*dash = 0;
	if (parse_size(tok, &a) || parse_size(dash + 1, &b) || b <= a)
		return -1;
	if (!is_pfn) {
		if ((a | b) & (PAGE_SIZE - 1))
			return -1;
		a >>= PAGE_SHIFT;
		b >>= PAGE_SHIFT;
	}
	r->start = a;
	r->end = b;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct pfn_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* "A-B[,C-D...]": physical byte ranges (END exclusive, 4 KiB aligned) or
 * "pfn:A-B" pfn ranges; sorted, overlaps merged. */
int parse_ranges(const char *spec, struct pfn_range *r, unsigned int *n,
		 struct err *e, const char *opt)
{
	char *copy, *tok, *save = NULL;
	unsigned int i, k = 0;

	copy = strdup(spec);
	if (!copy)
		return err_set(e, 1, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (k == MAX_RANGES) {
			free(copy);
			return err_set(e, 2, "%s: more than %d ranges", opt,
				       MAX_RANGES);
		}
		if (parse_one_range(tok, &r[k])) {
			err_set(e, 2,
				"%s: bad range in '%s' (want START-END, 4K aligned, START < END, or pfn:START-END)",
				opt, spec);
			free(copy);
			return e->code;
		}
		k++;
	}
	free(copy);
	if (!k)
		return err_set(e, 2, "%s: empty range list", opt);
	qsort(r, k, sizeof(*r), range_cmp);
	*n = 0;
	for (i = 0; i < k; i++) {
		if (*n && r[i].start <= r[*n - 1].end) {
			if (r[i].end > r[*n - 1].end)
				r[*n - 1].end = r[i].end;
			continue;
		}
		r[(*n)++] = r[i];
	}
	return 0;
}

int write_at(int fd, const void *buf, size_t len, u64 off, struct err *e)
{
	const u8 *p = buf;

	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return err_set(e, 1, "write at offset %#llx: %s",
				       (unsigned long long)off,
				       strerror(errno));
		}
		p += w;
		len -= (size_t)w;
		off += (u64)w;
	}
	return 0;
}

void *array_room(void *arr, size_t n, size_t *cap, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return arr;
	c = *cap ? *cap * 2 : 64;
	p = realloc(arr, c * size);
	if (p)
		*cap = c;
	return p;
}

int add_extent(struct machine *m, u64 pfn, u64 len, u8 cls, u8 content, u8 zero,
	       struct err *e)
{
	struct extent *x;

	if (!len)
		return 0;
	if (m->next && content == K_OWNED) {
		x = &m->ext[m->next - 1];
		if (x->pfn + x->len == pfn && x->cls == cls &&
		    x->content == content && x->zero == zero) {
			x->len += len;
			return 0;
		}
	}
	if (m->next == m->cap_ext) {
		size_t cap = m->cap_ext ? m->cap_ext * 2 : 1024;

		x = realloc(m->ext, cap * sizeof(*x));
		if (!x)
			return err_set(e, 1, "out of memory (extents)");
		m->ext = x;
		m->cap_ext = cap;
	}
	x = &m->ext[m->next++];
	x->pfn = pfn;
	x->len = len;
	x->cls = cls;
	x->content = content;
	x->zero = zero;
	return 0;
}

int pfn_file_offset(const struct machine *m, u64 pfn, u64 *off)
{
	unsigned int lo = 0, hi = m->nram;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (pfn < m->ram[mid].start)
			hi = mid;
		else if (pfn >= m->ram[mid].end)
			lo = mid + 1;
		else {
			*off = m->ram_off[mid] +
			       ((pfn - m->ram[mid].start) << PAGE_SHIFT);
			return 0;
		}
	}
	return -1;
}

int pfn_is_ram(const struct machine *m, u64 pfn)
{
	u64 off;

	return !pfn_file_offset(m, pfn, &off);
}

unsigned int pfn_node(const struct machine *m, u64 pfn)
{
	unsigned int n;

	for (n = m->nr_nodes - 1; n > 0; n--)
		if (pfn >= m->node[n].start_pfn)
			return n;
	return 0;
}

static int page_is_zero(const u8 *p)
{
	const u64 *w = (const u64 *)p;
	size_t i;

	for (i = 0; i < PAGE_SIZE / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

/*
 * Write pages an owner built in memory (kernel image, page tables, ...)
 * at their physical place; record them as fixed extents, split into
 * all-zero and non-zero runs so the ground truth knows each page.
 */
int write_owned(struct machine *m, u64 pfn, const u8 *buf, u64 npages, u8 cls,
		struct err *e)
{
	u64 i, off;
	int rc;

	for (i = 0; i < npages; i++) {
		const u8 *p = buf + i * PAGE_SIZE;
		int z = page_is_zero(p);

		if (pfn_file_offset(m, pfn + i, &off))
			return err_set(e, 1,
				       "internal: owned pfn %#llx not RAM",
				       (unsigned long long)(pfn + i));
		if (!z) {
			rc = write_at(m->fd, p, PAGE_SIZE, off, e);
			if (rc)
				return rc;
		}
		rc = add_extent(m, pfn + i, 1, cls, K_OWNED, (u8)z, e);
		if (rc)
			return rc;
	}
	return 0;
}
