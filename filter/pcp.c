// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Free pages on the per-CPU lists, proven by their list links. See
 * filter/pcp.h and docs/page-classification.md.
 *
 * A list is a ring: head <-> e1 <-> e2 <-> ... <-> ek <-> head, each arrow
 * one list_head (next, prev) at OFFSET(page.lru) in the entries' struct
 * pages. An entry's links are vmemmap addresses (another struct page's
 * lru) or the head, which lives in the per-CPU area, outside the vmemmap.
 * From a candidate the walk goes next-wards and prev-wards until it leaves
 * the vmemmap; every step must land on a free-looking struct page whose
 * link back is the one it came from, both ways must end at the same head,
 * and the head's next and prev must be the two ends. Any break keeps the
 * whole list. The same list is checked from whichever member the walk
 * starts, so a pfn's result does not depend on how pfns are split up.
 */
#include <stdlib.h>
#include <string.h>

#include "pcp.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/x86_64.h"
#include "classify.h"

/*
 * The largest block on a per-CPU list: pageblock_order (9 on x86_64, the
 * order of a PMD) for the list of THP-sized blocks (5.14+); the other
 * lists hold orders 0..PAGE_ALLOC_COSTLY_ORDER (3).
 */
#define PCP_MAX_ORDER 9

/* The largest SIZE(page) read (the filter refuses larger ones). */
#define MAX_SIZE_PAGE 1024

/*
 * Page flags below this bit are the kernel's page flags on every kernel
 * 4.18..6.16 (NR_PAGEFLAGS is 22..26 on x86_64; a mask too wide only keeps pages); above them, with room to
 * spare, the zone, node and last_cpupid fields start. A free page has none
 * of the flags; its last_cpupid field is all ones.
 */
#define LOW_FLAG_BITS 24

struct vt_pcp {
	size_t size_page;
	size_t off_flags, off_ref, off_mapping, off_lru, off_mapcount;
	uint64_t low_flags; /* mask of the page flag bits */
	uint64_t vbase; /* struct page of pfn 0; 0: layout unknown */
	uint64_t vm_end; /* end of the vmemmap region */
	uint64_t floor; /* lowest kernel virtual address */
};

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v)); /* x86_64: little-endian */
	return v;
}

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static bool offset_ok(const struct vt_opt *o, size_t width, size_t size,
		      size_t *out)
{
	if (!o->known || o->value < 0 || (uint64_t)o->value + width > size)
		return false;
	*out = (size_t)o->value;
	return true;
}

/* The highest page flag bit VMCOREINFO names, + 1. */
static unsigned int known_flag_bits(const struct vt_kernel_profile *kp)
{
	const struct vt_opt *f[] = { &kp->pg_lru,	&kp->pg_private,
				     &kp->pg_swapcache, &kp->pg_swapbacked,
				     &kp->pg_slab,	&kp->pg_hwpoison,
				     &kp->pg_hugetlb };
	unsigned int bits = 0;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i]->known && f[i]->value >= 0 && f[i]->value < 48 &&
		    (unsigned int)f[i]->value + 1 > bits)
			bits = (unsigned int)f[i]->value + 1;
	if (kp->pg_head_mask.known && kp->pg_head_mask.value > 0)
		for (unsigned int b = 0; b < 48; b++)
			if ((uint64_t)kp->pg_head_mask.value >> b & 1 &&
			    b + 1 > bits)
				bits = b + 1;
	return bits;
}

struct vt_error *vt_pcp_new(const struct vt_kernel_profile *kp,
			    struct vt_pcp **out)
{
	struct vt_pcp p = { 0 };
	unsigned int bits;
	size_t size;

	*out = NULL;
	if (!kp->size_page.known || kp->size_page.value < 32 ||
	    kp->size_page.value > MAX_SIZE_PAGE)
		return NULL;
	size = (size_t)kp->size_page.value;
	p.size_page = size;
	if (!offset_ok(&kp->off_page_flags, 8, size, &p.off_flags) ||
	    !offset_ok(&kp->off_page_refcount, 4, size, &p.off_ref) ||
	    !offset_ok(&kp->off_page_mapping, 8, size, &p.off_mapping) ||
	    !offset_ok(&kp->off_page_lru, 16, size, &p.off_lru) ||
	    !offset_ok(&kp->off_page_mapcount, 4, size, &p.off_mapcount))
		return NULL;
	bits = known_flag_bits(kp);
	if (bits < LOW_FLAG_BITS)
		bits = LOW_FLAG_BITS;
	p.low_flags = (1ULL << bits) - 1;
	*out = malloc(sizeof(**out));
	if (!*out)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	**out = p;
	return NULL;
}

void vt_pcp_free(struct vt_pcp *p)
{
	free(p);
}

void vt_pcp_set_layout(struct vt_pcp *p, uint64_t vmemmap_base, int levels)
{
	if (!p)
		return;
	p->vbase = vmemmap_base;
	/* the vmemmap region: 1 TiB with 4-level paging, 0.5 PiB with 5 */
	p->vm_end = vmemmap_base + (levels == 5 ? 1ULL << 49 : 1ULL << 40);
	p->floor = levels == 5 ? 0xff00000000000000ULL : 0xffff800000000000ULL;
	if (p->vm_end < vmemmap_base)
		p->vm_end = UINT64_MAX;
}

static bool kernel_pointer(const struct vt_pcp *p, uint64_t v)
{
	return v >= p->floor && !(v & 7);
}

bool vt_pcp_candidate(const struct vt_pcp *p, const uint8_t *page)
{
	if (!p || !p->vbase)
		return false;
	return get32(page, p->off_ref) == 0 &&
	       !(get64(page, p->off_flags) & p->low_flags) &&
	       get64(page, p->off_mapping) == 0 &&
	       get32(page, p->off_mapcount) == UINT32_MAX &&
	       kernel_pointer(p, get64(page, p->off_lru)) &&
	       kernel_pointer(p, get64(page, p->off_lru + 8));
}

enum link_kind { LINK_BAD, LINK_ENTRY, LINK_HEAD };

/* What a link points at: another entry (its pfn in *pfn), a head, or not. */
static enum link_kind link_kind(const struct vt_pcp *p, uint64_t link,
				uint64_t *pfn)
{
	uint64_t off;

	if (!kernel_pointer(p, link))
		return LINK_BAD;
	if (link < p->vbase || link >= p->vm_end)
		return LINK_HEAD;
	off = link - p->vbase;
	if (off < p->off_lru || (off - p->off_lru) % p->size_page)
		return LINK_BAD; /* inside the vmemmap but not a page's lru */
	*pfn = (off - p->off_lru) / p->size_page;
	return LINK_ENTRY;
}

static uint64_t lru_addr(const struct vt_pcp *p, uint64_t pfn)
{
	return p->vbase + pfn * p->size_page + p->off_lru;
}

static bool read_page(const struct vt_pcp *p, const struct vt_pcp_reader *rd,
		      uint64_t pfn, uint8_t *buf)
{
	if (pfn > (p->vm_end - p->vbase) / p->size_page)
		return false;
	return rd->read(rd->arg, p->vbase + pfn * p->size_page, buf,
			p->size_page);
}

/* The pfns of one resolve call, and bits over them. */
struct span {
	uint64_t a, n;
	uint8_t *bits; /* NULL: mark nothing */
};

static void mark(const struct span *s, uint64_t pfn)
{
	if (s->bits && pfn >= s->a && pfn - s->a < s->n)
		s->bits[(pfn - s->a) >> 3] |=
			(uint8_t)(1u << ((pfn - s->a) & 7));
}

static bool marked(const uint8_t *bits, uint64_t i)
{
	return bits[i >> 3] >> (i & 7) & 1;
}

/* One end of a list: the head, and the lru address of the entry next to it. */
struct end {
	uint64_t head, last;
};

/*
 * Follow the links of the struct page @pg (of @pfn) one way (@fwd: next)
 * to the head, checking each step; mark the pfns passed in @s.
 */
static bool follow(const struct vt_pcp *p, const struct vt_pcp_reader *rd,
		   uint64_t pfn, const uint8_t *pg, bool fwd,
		   const struct span *s, struct end *e)
{
	size_t to = p->off_lru + (fwd ? 0 : 8),
	       back = p->off_lru + (fwd ? 8 : 0);
	uint8_t buf[2][MAX_SIZE_PAGE];
	const uint8_t *cur = pg;
	uint64_t cur_addr = lru_addr(p, pfn);

	for (unsigned int step = 0, k = 0; step < VT_PCP_STEP_LIMIT;
	     step++, k ^= 1) {
		uint64_t link = get64(cur, to), q = 0;

		switch (link_kind(p, link, &q)) {
		case LINK_HEAD:
			e->head = link;
			e->last = cur_addr;
			return true;
		case LINK_BAD:
			return false;
		case LINK_ENTRY:
			break;
		}
		/*
		 * Back at the start: a ring with no head (a page whose links
		 * point at itself, as the kernel initialises them). With
		 * each step's back link checked, a walk can only come back
		 * to where it started, so this is the only loop to catch.
		 */
		if (q == pfn)
			return false;
		if (!read_page(p, rd, q, buf[k]) ||
		    !vt_pcp_candidate(p, buf[k]) ||
		    get64(buf[k], back) != cur_addr)
			return false;
		mark(s, q);
		cur = buf[k];
		cur_addr = link;
	}
	return false;
}

/* Is the list through @pfn (struct page @pg) whole, its head agreeing? */
static bool list_proven(const struct vt_pcp *p, const struct vt_pcp_reader *rd,
			uint64_t pfn, const uint8_t *pg, const struct span *s)
{
	struct end f, b;
	uint64_t head[2];

	if (!follow(p, rd, pfn, pg, true, s, &f) ||
	    !follow(p, rd, pfn, pg, false, s, &b) || f.head != b.head)
		return false;
	if (!rd->read(rd->arg, f.head, head, sizeof(head)))
		return false;
	/* head->next is the first entry, head->prev the last */
	return head[0] == b.last && head[1] == f.last;
}

/*
 * A blank struct page: what every page of a free block on a per-CPU list
 * is (the rest of the block after the entry), and also what the tail
 * pages of an allocated non-compound block are: reference count 0, no
 * page flag, mapping NULL, no page type, not a compound tail. Its list
 * links are left as they were (zero, self-linked, or old values).
 */
static bool blank(const struct vt_pcp *p, const uint8_t *page)
{
	return get32(page, p->off_ref) == 0 &&
	       !(get64(page, p->off_flags) & p->low_flags) &&
	       get64(page, p->off_mapping) == 0 &&
	       get32(page, p->off_mapcount) == UINT32_MAX &&
	       !(get64(page, p->off_lru) & 1);
}

/*
 * Links that say "on some list": a candidate's, unless they point at the
 * page itself (as the kernel initialises them). A page on a list that was
 * not proven is kept, even right after a free entry.
 */
static bool on_a_list(const struct vt_pcp *p, uint64_t pfn, const uint8_t *pg)
{
	uint64_t self = lru_addr(p, pfn);

	return vt_pcp_candidate(p, pg) && !(get64(pg, p->off_lru) == self &&
					    get64(pg, p->off_lru + 8) == self);
}

/*
 * The rest of the free block whose entry, proven on a list, is at @i of
 * the span: the blank pages right after it, up to the end of its natural
 * alignment (at most PCP_MAX_ORDER), and up to a page whose links say it
 * is on a list (one that was not proven, or it would be an entry). None of them can belong to an
 * allocation in use: its first page would be at or before the free entry
 * (so it would hold the entry), or after it, and then not blank (an
 * allocation in use has a reference on its first page). The block's own
 * order is on the list index, which only a vmlinux tells; this is the
 * largest block the struct pages allow. Returns the last index decided.
 */
static uint64_t block_tail(const struct vt_pcp *p,
			   const struct vt_pcp_reader *rd, uint64_t pfn,
			   uint64_t n, uint64_t i, const uint8_t *freed,
			   uint8_t *cls)
{
	uint64_t at = pfn + i, end = at + 1;
	uint8_t pg[MAX_SIZE_PAGE];

	for (unsigned int o = 1;
	     o <= PCP_MAX_ORDER && !(at & ((1ULL << o) - 1)); o++)
		end = at + (1ULL << o);
	for (i++; pfn + i < end && i < n; i++) {
		if ((cls[i] != VT_CLASS_KEEP && cls[i] != VT_CLASS_PCP_MAYBE) ||
		    marked(freed, i) || !read_page(p, rd, pfn + i, pg) ||
		    !blank(p, pg) || on_a_list(p, pfn + i, pg))
			break;
		cls[i] = VT_CLASS_PCP_FREE;
	}
	return i - 1;
}

struct vt_error *vt_pcp_resolve(const struct vt_pcp *p,
				const struct vt_pcp_reader *rd, bool walk,
				uint64_t pfn, uint64_t n, uint8_t *cls)
{
	uint8_t pg[MAX_SIZE_PAGE], *tried, *freed;
	struct span st = { pfn, n, NULL }, sf = { pfn, n, NULL };
	uint64_t i;

	for (i = 0; i < n && cls[i] != VT_CLASS_PCP_MAYBE; i++)
		;
	if (i == n)
		return NULL;
	if (!p || !walk || !p->vbase) {
		for (; i < n; i++)
			if (cls[i] == VT_CLASS_PCP_MAYBE)
				cls[i] = VT_CLASS_KEEP;
		return NULL;
	}
	tried = calloc(1, (n + 7) / 8);
	freed = calloc(1, (n + 7) / 8);
	if (!tried || !freed) {
		free(tried);
		free(freed);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	st.bits = tried;
	sf.bits = freed;
	for (; i < n; i++) {
		if (cls[i] != VT_CLASS_PCP_MAYBE || marked(tried, i))
			continue;
		mark(&st, pfn + i);
		if (!read_page(p, rd, pfn + i, pg) ||
		    !vt_pcp_candidate(p, pg) ||
		    !list_proven(p, rd, pfn + i, pg, &st))
			continue;
		/* proven: every member of this list in the span is free */
		mark(&sf, pfn + i);
		{
			struct end e;

			follow(p, rd, pfn + i, pg, true, &sf, &e);
			follow(p, rd, pfn + i, pg, false, &sf, &e);
		}
	}
	for (i = 0; i < n; i++)
		if (cls[i] == VT_CLASS_PCP_MAYBE)
			cls[i] = marked(freed, i) ? VT_CLASS_PCP_FREE :
						    VT_CLASS_KEEP;
	for (i = 0; i < n; i++)
		if (marked(freed, i))
			i = block_tail(p, rd, pfn, n, i, freed, cls);
	free(tried);
	free(freed);
	return NULL;
}

bool vt_pcp_entry(const struct vt_pcp *p, const struct vt_pcp_reader *rd,
		  uint64_t link, uint64_t prev, uint64_t *pfn, uint64_t *next)
{
	uint8_t pg[MAX_SIZE_PAGE];

	if (!p || !p->vbase || link_kind(p, link, pfn) != LINK_ENTRY ||
	    !read_page(p, rd, *pfn, pg) || !vt_pcp_candidate(p, pg) ||
	    get64(pg, p->off_lru + 8) != prev)
		return false;
	*next = get64(pg, p->off_lru);
	return true;
}

size_t vt_pcp_link_offset(const struct vt_pcp *p)
{
	return p ? p->off_lru : 0;
}

struct vt_error *vt_pcp_resolve_listed(const struct vt_pcp *p,
				       const struct vt_pcp_reader *rd,
				       const struct vt_range_list *listed,
				       uint64_t pfn, uint64_t n, uint8_t *cls)
{
	uint8_t pg[MAX_SIZE_PAGE];

	/* only the ranges that meet [pfn, pfn + n): the list is sorted */
	for (size_t r = vt_range_list_first_after(listed, pfn);
	     p && p->vbase && r < listed->nr && listed->r[r].start < pfn + n;
	     r++) {
		uint64_t a = listed->r[r].start, b = listed->r[r].end;

		if (a < pfn)
			a = pfn;
		if (b > pfn + n)
			b = pfn + n;
		for (; a < b; a++) {
			uint8_t *c = &cls[a - pfn];

			/* an entry: the walk checked its struct page */
			if (*c == VT_CLASS_PCP_MAYBE)
				*c = VT_CLASS_PCP_FREE;
			else if (*c == VT_CLASS_KEEP &&
				 read_page(p, rd, a, pg) && blank(p, pg))
				*c = VT_CLASS_PCP_FREE;
		}
	}
	for (uint64_t i = 0; i < n; i++)
		if (cls[i] == VT_CLASS_PCP_MAYBE)
			cls[i] = VT_CLASS_KEEP;
	return NULL;
}

/* --- reading the dump ----------------------------------------------------- */

bool vt_pcp_dump_read(void *arg, uint64_t vaddr, void *buf, size_t len)
{
	struct vt_pcp_dump *d = arg;
	uint8_t *out = buf;

	while (len) {
		size_t step = 4096 - (size_t)(vaddr & 4095);
		uint64_t paddr;
		struct vt_error *err;

		if (step > len)
			step = len;
		err = vt_x86_64_vtop(d->x, vaddr, &paddr, NULL);
		if (!err)
			err = vt_dump_read_paddr(d->dump, paddr, out, step);
		if (err) {
			vt_error_free(err);
			return false;
		}
		vaddr += step;
		out += step;
		len -= step;
	}
	return true;
}

struct vt_error *vt_pcp_resolve_dump(const struct vt_pcp *p,
				     struct vt_dump *dump, struct vt_x86_64 *x,
				     const struct vt_range_list *listed,
				     bool walk, uint64_t pfn, uint64_t n,
				     uint8_t *cls)
{
	struct vt_pcp_dump d = { dump, x };
	struct vt_pcp_reader rd = { vt_pcp_dump_read, &d };

	if (listed && walk && dump && x)
		return vt_pcp_resolve_listed(p, &rd, listed, pfn, n, cls);
	return vt_pcp_resolve(p, &rd, walk && dump && x, pfn, n, cls);
}
