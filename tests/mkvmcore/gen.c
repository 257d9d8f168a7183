// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Section by section (128 MiB, 32768 pfns): decide every pfn's class and
 * content, build its struct pages, write the memmap to the physical pages
 * that back it and the page contents to the pfns, and feed the truth.
 * Memory use is this per-section state only.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mkvmcore.h"

#define NS PAGES_PER_SECTION
#define WBUF (4UL << 20)
#define NO_ORDER 0xff

struct mix {
	const char *name;
	double w[C_NR]; /* share of pages */
	double mean[C_NR]; /* mean chunk length */
	unsigned int zero_pm[C_NR]; /* chunks of all-zero pages, 1/10000 */
	unsigned int stale_pm; /* stale free chunks, 1/10000 */
	unsigned int huge_pm; /* 2 MiB blocks made hugetlb */
};

/* clang-format off */
static const struct mix mixes[] = {
	{ "idle",
	  { [C_FREE] = 9975, [C_CACHE] = 10, [C_CACHE_PRIV] = 2,
	    [C_SHMEM] = 2, [C_ANON] = 5, [C_SLAB] = 6 },
	  { [C_FREE] = 16384, [C_CACHE] = 32, [C_CACHE_PRIV] = 16,
	    [C_SHMEM] = 16, [C_ANON] = 32, [C_SLAB] = 16 },
	  { [C_CACHE] = 200, [C_SHMEM] = 1000, [C_ANON] = 2000,
	    [C_SLAB] = 100 },
	  5, 0 },
	{ "busy",
	  { [C_FREE] = 300, [C_CACHE] = 3500, [C_CACHE_PRIV] = 1000,
	    [C_SHMEM] = 500, [C_ANON] = 3500, [C_SLAB] = 1200 },
	  { [C_FREE] = 4, [C_CACHE] = 64, [C_CACHE_PRIV] = 32,
	    [C_SHMEM] = 32, [C_ANON] = 128, [C_SLAB] = 16 },
	  { [C_CACHE] = 200, [C_SHMEM] = 1000, [C_ANON] = 1500,
	    [C_SLAB] = 100 },
	  2000, 50 },
	{ "mixed",
	  { [C_FREE] = 4000, [C_CACHE] = 2500, [C_CACHE_PRIV] = 500,
	    [C_SHMEM] = 300, [C_ANON] = 1700, [C_SLAB] = 1000 },
	  { [C_FREE] = 512, [C_CACHE] = 64, [C_CACHE_PRIV] = 32,
	    [C_SHMEM] = 32, [C_ANON] = 128, [C_SLAB] = 32 },
	  { [C_CACHE] = 200, [C_SHMEM] = 1000, [C_ANON] = 1500,
	    [C_SLAB] = 100 },
	  300, 20 },
};
/* clang-format on */

int profile_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++)
		if (!strcmp(mixes[i].name, name))
			return (int)i;
	return -1;
}

struct secstate {
	u8 cls[NS], content[NS], zero[NS], order[NS];
	u8 memmap[NS * 64];
	u8 *wbuf;
	size_t wlen;
	u64 woff;
	size_t ext_cursor;
};

static void mark_ram(const struct machine *m, struct secstate *st, u64 s0)
{
	unsigned int i;

	memset(st->cls, C_HOLE, NS);
	memset(st->content, K_ZERO, NS);
	memset(st->zero, 0, NS);
	memset(st->order, NO_ORDER, NS);
	for (i = 0; i < m->nram; i++) {
		u64 a = m->ram[i].start > s0 ? m->ram[i].start : s0;
		u64 b = m->ram[i].end < s0 + NS ? m->ram[i].end : s0 + NS;

		if (a < b)
			memset(st->cls + (a - s0), C_UNSET, b - a);
	}
}

static void apply_extents(const struct machine *m, struct secstate *st, u64 s0)
{
	size_t k;

	while (st->ext_cursor < m->next &&
	       m->ext[st->ext_cursor].pfn + m->ext[st->ext_cursor].len <= s0)
		st->ext_cursor++;
	for (k = st->ext_cursor; k < m->next && m->ext[k].pfn < s0 + NS; k++) {
		const struct extent *x = &m->ext[k];
		u64 a = x->pfn > s0 ? x->pfn : s0;
		u64 b = x->pfn + x->len < s0 + NS ? x->pfn + x->len : s0 + NS;

		memset(st->cls + (a - s0), x->cls, b - a);
		memset(st->content + (a - s0), x->content, b - a);
		memset(st->zero + (a - s0),
		       x->content == K_OWNED ? x->zero : x->content == K_ZERO,
		       b - a);
	}
}

static u8 page_kind(u8 cls, u64 r)
{
	switch (cls) {
	case C_CACHE:
	case C_CACHE_PRIV:
		r %= 20;
		return r < 12 ? K_TEXT : r < 16 ? K_CODE : K_RANDOM;
	case C_SHMEM:
		return r & 1 ? K_PTR : K_TEXT;
	case C_ANON:
		r %= 20;
		return r < 10 ? K_PTR : r < 17 ? K_MIXED : K_RANDOM;
	case C_HUGETLB:
		return r % 5 < 3 ? K_PTR : K_MIXED;
	case C_SLAB:
		return r % 5 ? K_PTR : K_MIXED;
	default:
		r %= 3;
		return r == 0 ? K_PTR : r == 1 ? K_TEXT : K_MIXED;
	}
}

static void fill_chunk(struct secstate *st, u64 a, u64 n, u8 cls,
		       unsigned int zero_pm, u64 *rs)
{
	int zero = rng_below(rs, 10000) < zero_pm;
	u64 i;

	for (i = a; i < a + n; i++) {
		st->cls[i] = cls;
		st->content[i] = zero ? K_ZERO : page_kind(cls, rng_next(rs));
		st->zero[i] = (u8)zero;
	}
}

static u8 pick_class(const struct mix *mx, u64 *rs)
{
	static const u8 cands[] = { C_FREE,  C_CACHE, C_CACHE_PRIV,
				    C_SHMEM, C_ANON,  C_SLAB };
	double tot = 0, x;
	size_t i;

	for (i = 0; i < sizeof(cands); i++)
		tot += mx->w[cands[i]] / mx->mean[cands[i]];
	x = (double)(rng_next(rs) >> 11) / 9007199254740992.0 * tot;
	for (i = 0; i < sizeof(cands) - 1; i++) {
		x -= mx->w[cands[i]] / mx->mean[cands[i]];
		if (x < 0)
			break;
	}
	return cands[i];
}

static u64 chunk_len(double mean, u64 *rs)
{
	double u = ((double)(rng_next(rs) >> 11) + 1) / 9007199254740993.0;

	return 1 + (u64)(-log(u) * (mean - 1));
}

static void fill_random(const struct machine *m, struct secstate *st, u64 s)
{
	const struct mix *mx = &mixes[m->profile_id];
	u64 rs = rng_seed(m->opt.seed, 100, s), i, j;

	for (i = 0; i < NS; i += 512) {
		for (j = i; j < i + 512 && st->cls[j] == C_UNSET; j++)
			;
		if (j == i + 512 && rng_below(&rs, 1000) < mx->huge_pm)
			fill_chunk(st, i, 512, C_HUGETLB, 5000, &rs);
	}
	for (i = 0; i < NS;) {
		u8 c;
		u64 n;

		if (st->cls[i] != C_UNSET) {
			i++;
			continue;
		}
		for (j = i; j < NS && st->cls[j] == C_UNSET; j++)
			;
		c = pick_class(mx, &rs);
		n = chunk_len(mx->mean[c], &rs);
		if (n > j - i)
			n = j - i;
		fill_chunk(st, i, n, c,
			   c == C_FREE ? 10000 - mx->stale_pm : mx->zero_pm[c],
			   &rs);
		i += n;
	}
}

/* Free runs become maximal aligned buddy blocks (orders 0..10). */
static void buddy_blocks(struct secstate *st)
{
	u64 i = 0, j;

	while (i < NS) {
		if (st->cls[i] != C_FREE) {
			i++;
			continue;
		}
		for (j = i; j < NS && st->cls[j] == C_FREE; j++)
			;
		while (i < j) {
			unsigned int o = 10;

			while (o &&
			       ((i & ((1ULL << o) - 1)) || i + (1ULL << o) > j))
				o--;
			st->order[i] = (u8)o;
			i += 1ULL << o;
		}
	}
}

static void put32(u8 *p, unsigned int off, u32 v)
{
	memcpy(p + off, &v, 4);
}

static void put64(u8 *p, unsigned int off, u64 v)
{
	memcpy(p + off, &v, 8);
}

static u64 fake_ptr(const struct machine *m, u64 key)
{
	return m->page_offset_base +
	       ((mix64(key) % (m->ram_pages << PAGE_SHIFT)) & ~63ULL);
}

static void build_page(const struct machine *m, u8 *sp, u64 pfn,
		       const struct secstate *st, u64 i, u64 base)
{
	const struct kprofile *kp = m->kp;
	u8 cls = st->cls[i];
	u64 fl = base, h = mix64(pfn);
	u64 self = m->vmemmap_base + pfn * kp->size_page;
	u32 mapcount = 0xffffffff, ref = 1;

	memset(sp, 0, kp->size_page);
	switch (cls) {
	case C_HOLE:
	case C_KERNEL:
	case C_RESERVED:
	case C_PAGETABLE:
	case C_VMEMMAP:
		fl |= 1ULL << kp->pg_reserved;
		put64(sp, kp->off_lru, self + 8);
		put64(sp, kp->off_lru + 8, self + 8);
		break;
	case C_FREE:
		ref = 0;
		if (st->order[i] != NO_ORDER) {
			mapcount = ~kp->page_type_buddy;
			put64(sp, kp->off_private, st->order[i]);
			put64(sp, kp->off_lru, fake_ptr(m, h));
			put64(sp, kp->off_lru + 8, fake_ptr(m, h + 1));
		}
		break;
	case C_CACHE_PRIV:
		fl |= 1ULL << kp->pg_private;
		put64(sp, kp->off_private, fake_ptr(m, h + 2));
		/* fall through */
	case C_CACHE:
		fl |= 1ULL << kp->pg_lru | 1ULL << kp->pg_uptodate |
		      (h & 1) << kp->pg_referenced |
		      (h >> 1 & 1) << kp->pg_active;
		put64(sp, kp->off_mapping, fake_ptr(m, pfn >> 6));
		put64(sp, kp->off_index, (pfn * 7) & 0xfffff);
		ref = 1 + (h >> 2 & 1);
		mapcount = h >> 3 & 1 ? 0 : 0xffffffff;
		break;
	case C_SHMEM:
		fl |= 1ULL << kp->pg_lru | 1ULL << kp->pg_uptodate |
		      1ULL << kp->pg_swapbacked;
		put64(sp, kp->off_mapping, fake_ptr(m, pfn >> 5));
		put64(sp, kp->off_index, pfn & 0xffff);
		break;
	case C_ANON:
		fl |= 1ULL << kp->pg_lru | 1ULL << kp->pg_uptodate |
		      1ULL << kp->pg_swapbacked | (h & 1) << kp->pg_active;
		put64(sp, kp->off_mapping, fake_ptr(m, pfn >> 7) | 1);
		put64(sp, kp->off_index, 0x7f0000000ULL + (pfn & 0xfffff));
		mapcount = 0;
		break;
	case C_HUGETLB:
		if (!(pfn & 511)) {
			fl |= 1ULL << kp->pg_head | 1ULL << kp->pg_uptodate;
			put64(sp, kp->off_mapping, fake_ptr(m, pfn >> 9));
			put64(sp, kp->off_index, pfn >> 9 & 0xffff);
		} else {
			ref = 0;
			put64(sp, kp->off_compound_head,
			      (self - (pfn & 511) * kp->size_page) | 1);
			if ((pfn & 511) == 1) {
				sp[kp->off_compound_dtor] =
					(u8)kp->hugetlb_page_dtor;
				sp[kp->off_compound_order] = 9;
				put32(sp, kp->off_compound_mapcount,
				      0xffffffff);
				put32(sp, kp->off_compound_nr, 512);
			} else {
				put64(sp, kp->off_mapping, kp->tail_mapping);
			}
		}
		break;
	case C_SLAB:
		fl |= 1ULL << kp->pg_slab;
		put64(sp, kp->off_slab_cache, fake_ptr(m, pfn >> 4));
		put64(sp, kp->off_freelist, fake_ptr(m, h));
		put64(sp, kp->off_counters, 0x80200000ULL + (h & 0x3f));
		break;
	case C_HWPOISON:
		fl |= 1ULL << kp->pg_hwpoison;
		break;
	case C_OFFLINE:
		mapcount = ~kp->page_type_offline;
		break;
	case C_PCP:
	case C_PCP_REST:
	case C_PCP_FAKE:
	case C_NOCOMP:
		ref = 0;
		pcp_struct_page(m, sp, pfn, &fl, &ref, &mapcount);
		break;
	}
	put64(sp, kp->off_flags, fl);
	put32(sp, kp->off_mapcount, mapcount);
	put32(sp, kp->off_refcount, ref);
}

static u64 flags_base(const struct machine *m, u64 pfn)
{
	const struct kprofile *kp = m->kp;
	u64 zone = pfn < 0x1000 ? 0 : pfn < (1ULL << 20) ? 1 : 2;

	return (u64)pfn_node(m, pfn) << kp->nodes_pgoff |
	       zone << kp->zones_pgoff |
	       ((1ULL << kp->cpupid_width) - 1) << kp->cpupid_pgoff;
}

static void build_memmap(const struct machine *m, struct secstate *st, u64 s0)
{
	u64 i, base = 0;

	for (i = 0; i < NS; i++) {
		if (!(i & 0xfff))
			base = flags_base(m, s0 + i);
		build_page(m, st->memmap + i * 64, s0 + i, st, i, base);
	}
}

static int write_memmap(struct machine *m, struct secstate *st, u64 s,
			struct err *e)
{
	const struct section *sec = &m->sec[s];
	u64 g, off, h;
	int rc = 0;

	if (sec->mode == VMM_PMD) {
		if (pfn_file_offset(m, sec->vmm_pfn, &off))
			return err_set(e, 1, "internal: memmap not in RAM");
		return write_at(m->fd, st->memmap, NS * 64, off, e);
	}
	for (g = 0; g < 512 && !rc; g++) {
		u64 pfn = (s << PFN_SECTION_SHIFT) + g * 64, ph;

		if (sec->mode == VMM_PTE_SPLIT && pfn_in_hvo(m, pfn, &h) &&
		    pfn != h)
			continue; /* given back to the buddy allocator */
		ph = sec->mode == VMM_PTE_4K ? sec->vmm_pfn - g :
					       sec->vmm_pfn + g;
		if (pfn_file_offset(m, ph, &off))
			return err_set(e, 1, "internal: memmap not in RAM");
		rc = write_at(m->fd, st->memmap + g * PAGE_SIZE, PAGE_SIZE, off,
			      e);
	}
	return rc;
}

static int flush_data(struct machine *m, struct secstate *st, struct err *e)
{
	int rc = 0;

	if (st->wlen)
		rc = write_at(m->fd, st->wbuf, st->wlen, st->woff, e);
	st->wlen = 0;
	return rc;
}

static int write_data(struct machine *m, struct secstate *st, u64 s0,
		      struct err *e)
{
	u64 i, off;
	int rc;

	for (i = 0; i < NS; i++) {
		u8 k = st->content[i];

		if (k == K_OWNED || k == K_ZERO || st->cls[i] == C_HOLE)
			continue;
		if (pfn_file_offset(m, s0 + i, &off))
			continue;
		if (st->wlen &&
		    (st->woff + st->wlen != off || st->wlen == WBUF)) {
			rc = flush_data(m, st, e);
			if (rc)
				return rc;
		}
		if (!st->wlen)
			st->woff = off;
		content_fill(st->wbuf + st->wlen, (enum content)k, s0 + i);
		st->wlen += PAGE_SIZE;
	}
	return flush_data(m, st, e);
}

static int feed_truth(struct machine *m, struct secstate *st, u64 s,
		      struct err *e)
{
	u64 s0 = s << PFN_SECTION_SHIFT, i, g, h;
	unsigned int gk[512], k;
	int shared, rc = 0;

	for (i = 0; i < NS; i++)
		truth_run(m, s0 + i, 1, st->cls[i],
			  st->cls[i] != C_HOLE && st->zero[i]);
	for (g = 0; g < 512; g++) {
		gk[g] = 0;
		for (i = g * 64; i < g * 64 + 64; i++)
			gk[g] |= class_kind(st->cls[i]);
	}
	for (g = 0; g < 512 && !rc; g++) {
		u64 pfn = s0 + g * 64;
		u64 ph = vmemmap_page_pfn(m, pfn, &shared);

		if (shared)
			continue;
		k = gk[g];
		if (m->sec[s].mode == VMM_PTE_SPLIT && pfn_in_hvo(m, pfn, &h))
			for (i = 1; i < 8; i++)
				k |= gk[g + i];
		rc = truth_group(m, ph, k, m->sec[s].mode != VMM_PTE_4K, e);
	}
	return rc;
}

static int do_section(struct machine *m, struct secstate *st, u64 s,
		      struct err *e)
{
	u64 s0 = s << PFN_SECTION_SHIFT;
	int rc;

	if (!m->sec[s].present) {
		truth_run(m, s0, NS, C_HOLE, 0);
		return 0;
	}
	mark_ram(m, st, s0);
	apply_extents(m, st, s0);
	fill_random(m, st, s);
	buddy_blocks(st);
	build_memmap(m, st, s0);
	rc = write_memmap(m, st, s, e);
	if (!rc)
		rc = write_data(m, st, s0, e);
	if (!rc)
		rc = feed_truth(m, st, s, e);
	return rc;
}

static int ext_cmp(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

int generate_sections(struct machine *m, struct err *e)
{
	struct secstate *st;
	size_t k;
	u64 s;
	int rc = 0;

	qsort(m->ext, m->next, sizeof(*m->ext), ext_cmp);
	for (k = 1; k < m->next; k++)
		if (m->ext[k - 1].pfn + m->ext[k - 1].len > m->ext[k].pfn)
			return err_set(
				e, 1,
				"internal: overlapping allocations at pfn %#llx",
				(unsigned long long)m->ext[k].pfn);
	st = calloc(1, sizeof(*st));
	if (st)
		st->wbuf = malloc(WBUF);
	if (!st || !st->wbuf) {
		free(st);
		return err_set(e, 1, "out of memory (section state)");
	}
	for (s = 0; s < m->nr_sections && !rc; s++)
		rc = do_section(m, st, s, e);
	free(st->wbuf);
	free(st);
	return rc;
}
