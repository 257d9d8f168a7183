// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * filter/pcp.c: free pages on the per-CPU lists, proven by their list links
 * without a vmlinux. A small machine's struct pages and per-CPU list heads
 * are built here the way the kernel leaves them (docs/page-classification.md):
 * order-0 lists, a high-order block with its blank rest, a pageblock-order
 * block; next to them what looks alike and must be kept: the tails of a
 * non-compound allocation in use, a page whose links point at itself,
 * blank pages past the largest per-CPU block, and lists with one field
 * off (reference count, a flag, mapping, page type, a link, the head).
 * Checked for the 6.1 and 6.12 struct page words, and for any split of the
 * pfns into resolve calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify.h"
#include "pcp.h"
#include "vmemtrim/vmcoreinfo.h"

#define SIZE_PAGE 64
#define OFF_FLAGS 0
#define OFF_LRU 8
#define OFF_MAPPING 24
#define OFF_MAPCOUNT 48
#define OFF_REFCOUNT 52
#define VMEMMAP 0xffffea0000000000ULL
#define HEADS 0xffff888100010000ULL /* per-CPU list heads (direct map) */
#define NPFN 0x1000
#define NHEADS 16
/* zone, node and last_cpupid bits as a freed 6.1 page has them */
#define UPPER 0x000fffffc0000000ULL

#define LAYOUT                                                    \
	"PAGESIZE=4096\nSIZE(page)=64\nOFFSET(page.flags)=0\n"    \
	"OFFSET(page._refcount)=52\nOFFSET(page.mapping)=24\n"    \
	"OFFSET(page.lru)=8\nOFFSET(page._mapcount)=48\n"         \
	"OFFSET(page.private)=40\nOFFSET(page.compound_head)=8\n" \
	"LENGTH(zone.free_area)=11\n"

static const char *const texts[] = {
	"OSRELEASE=6.1.0-57-cloud-amd64\n" LAYOUT
	"OFFSET(page.compound_dtor)=16\nOFFSET(page.compound_order)=17\n"
	"NUMBER(PG_lru)=4\nNUMBER(PG_private)=13\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\nNUMBER(PG_slab)=9\nNUMBER(PG_hwpoison)=23\n"
	"NUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
	"OSRELEASE=6.12.0\n" LAYOUT
	"NUMBER(PG_lru)=5\nNUMBER(PG_private)=14\nNUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=17\nNUMBER(PG_hwpoison)=21\n"
	"NUMBER(PG_head_mask)=64\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n"
	"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n"
	"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\n",
};

/* The machine: its struct pages, its list heads, what each pfn should be. */
struct machine {
	uint8_t sp[(NPFN + 1) * SIZE_PAGE];
	uint64_t heads[NHEADS][2];
	uint8_t want[NPFN];
};

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

static uint8_t *pg(struct machine *m, uint64_t pfn)
{
	return m->sp + pfn * SIZE_PAGE;
}

static uint64_t lru(uint64_t pfn)
{
	return VMEMMAP + pfn * SIZE_PAGE + OFF_LRU;
}

static uint64_t head_addr(int h)
{
	return HEADS + (uint64_t)h * 16;
}

static bool mem_read(void *arg, uint64_t vaddr, void *buf, size_t len)
{
	struct machine *m = arg;

	if (vaddr >= VMEMMAP && vaddr + len <= VMEMMAP + NPFN * SIZE_PAGE) {
		memcpy(buf, m->sp + (vaddr - VMEMMAP), len);
		return true;
	}
	if (vaddr >= HEADS && vaddr + len <= HEADS + sizeof(m->heads)) {
		memcpy(buf, (uint8_t *)m->heads + (vaddr - HEADS), len);
		return true;
	}
	return false;
}

/* An allocated kernel page: reference count 1, links initialised. */
static void in_use(struct machine *m, uint64_t pfn)
{
	uint8_t *p = pg(m, pfn);

	memset(p, 0, SIZE_PAGE);
	put64(p, OFF_FLAGS, UPPER);
	put32(p, OFF_REFCOUNT, 1);
	put32(p, OFF_MAPCOUNT, UINT32_MAX);
	put64(p, OFF_LRU, lru(pfn));
	put64(p, OFF_LRU + 8, lru(pfn));
}

/* A free page's struct page (links set by the caller). */
static void blank(struct machine *m, uint64_t pfn, uint64_t next, uint64_t prev)
{
	uint8_t *p = pg(m, pfn);

	memset(p, 0, SIZE_PAGE);
	put64(p, OFF_FLAGS, UPPER);
	put32(p, OFF_MAPCOUNT, UINT32_MAX);
	put64(p, OFF_LRU, next);
	put64(p, OFF_LRU + 8, prev);
}

/* A per-CPU list: head @h <-> pfns[0] <-> ... <-> pfns[n - 1] <-> head. */
static void list(struct machine *m, int h, const uint64_t *pfns, size_t n,
		 uint8_t want)
{
	for (size_t i = 0; i < n; i++) {
		blank(m, pfns[i], i + 1 < n ? lru(pfns[i + 1]) : head_addr(h),
		      i ? lru(pfns[i - 1]) : head_addr(h));
		m->want[pfns[i]] = want;
	}
	m->heads[h][0] = lru(pfns[0]);
	m->heads[h][1] = lru(pfns[n - 1]);
}

/* The rest of a free block after its entry: blank, links as left. */
static void rest(struct machine *m, uint64_t pfn, unsigned int order,
		 uint8_t want)
{
	for (uint64_t i = 1; i < 1ULL << order; i++) {
		blank(m, pfn + i, i & 1 ? 0 : lru(pfn + i),
		      i & 1 ? 0xffffffff00920903ULL : lru(pfn + i));
		m->want[pfn + i] = want;
	}
}

/* One list of three with one field off: every page of it must be kept. */
enum off {
	OFF_NONE,
	OFF_REF, /* the middle page has a reference */
	OFF_FLAG, /* the middle page has PG_reserved (6.1's bit 12) */
	OFF_MAP, /* the middle page has a mapping */
	OFF_TYPE, /* the middle page has _mapcount 0 */
	OFF_PREV, /* the middle page's prev link is another page's */
	OFF_HEADPREV, /* the head's prev is not the last entry */
	OFF_MISALIGNED, /* a link into the vmemmap, not at a page's lru */
	OFF_TWO_HEADS, /* the two ways end at different heads */
	OFF_UNREADABLE, /* the last entry's next is past the memory */
	OFF_NR,
};

static void odd_list(struct machine *m, int h, uint64_t base, enum off o)
{
	uint64_t pfns[3] = { base, base + 0x10, base + 0x20 };
	uint8_t *mid = pg(m, pfns[1]);

	list(m, h, pfns, 3, o == OFF_NONE ? VT_CLASS_PCP_FREE : VT_CLASS_KEEP);
	switch (o) {
	case OFF_REF:
		put32(mid, OFF_REFCOUNT, 1);
		break;
	case OFF_FLAG:
		put64(mid, OFF_FLAGS, UPPER | 1u << 12);
		break;
	case OFF_MAP:
		put64(mid, OFF_MAPPING, 0xffff888123456780ULL);
		break;
	case OFF_TYPE:
		put32(mid, OFF_MAPCOUNT, 0);
		break;
	case OFF_PREV:
		put64(mid, OFF_LRU + 8, lru(base + 1));
		break;
	case OFF_HEADPREV:
		m->heads[h][1] = lru(pfns[1]);
		break;
	case OFF_MISALIGNED:
		put64(mid, OFF_LRU, lru(pfns[2]) + 8);
		break;
	case OFF_TWO_HEADS:
		put64(pg(m, pfns[2]), OFF_LRU, head_addr(NHEADS - 1));
		m->heads[NHEADS - 1][0] = m->heads[NHEADS - 1][1] =
			lru(pfns[2]);
		break;
	case OFF_UNREADABLE:
		put64(pg(m, pfns[2]), OFF_LRU, lru(NPFN + 0x100));
		break;
	default:
		break;
	}
}

static struct machine *build(void)
{
	static const uint64_t order0[] = { 0x100, 0x37, 0x251, 0x250, 0x9 };
	static const uint64_t order3[] = { 0x400, 0x418 };
	static const uint64_t order9[] = { 0x800 };
	struct machine *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	for (uint64_t p = 0; p <= NPFN; p++)
		in_use(m, p);
	memset(m->want, VT_CLASS_KEEP, sizeof(m->want));
	list(m, 0, order0, 5, VT_CLASS_PCP_FREE);
	/* two order-3 blocks: the second followed by a page in use */
	list(m, 1, order3, 2, VT_CLASS_PCP_FREE);
	rest(m, 0x400, 3, VT_CLASS_PCP_FREE);
	rest(m, 0x418, 3, VT_CLASS_PCP_FREE);
	/* a pageblock-order block; blank pages past it stay */
	list(m, 2, order9, 1, VT_CLASS_PCP_FREE);
	rest(m, 0x800, 9, VT_CLASS_PCP_FREE);
	for (uint64_t p = 0xa00; p < 0xa10; p++)
		blank(m, p, 0, 0);
	/* a non-compound allocation in use: its head, then blank tails */
	rest(m, 0x600, 4, VT_CLASS_KEEP);
	/* a free-looking page whose links point at itself */
	blank(m, 0x700, lru(0x700), lru(0x700));
	/*
	 * blank pages right after a free entry, up to a page in use: no
	 * allocation in use can hold them (it would hold the entry, or start
	 * after it with a reference)
	 */
	for (uint64_t p = 0x101; p < 0x108; p++) {
		blank(m, p, 0, 0);
		m->want[p] = VT_CLASS_PCP_FREE;
	}
	/*
	 * a page on a broken list (its links lead to pages in use) among
	 * them is kept, and so is what follows it
	 */
	blank(m, 0x104, lru(0x263), lru(0x273));
	for (uint64_t p = 0x104; p < 0x108; p++)
		m->want[p] = VT_CLASS_KEEP;
	for (int o = 0; o < OFF_NR; o++)
		odd_list(m, 4 + o, 0xc00 + (uint64_t)o * 0x40, o);
	return m;
}

static struct vt_classifier *classifier_of(const char *text)
{
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;
	struct vt_classifier *c = NULL;
	struct vt_error *err;

	err = vt_vmcoreinfo_parse(text, strlen(text), &vi);
	if (!err)
		err = vt_kernel_profile_init(&kp, vi);
	vt_vmcoreinfo_free(vi);
	if (!err)
		err = vt_classifier_new(&kp, &c);
	if (err)
		fail_msg("unexpected error: %s", err->message);
	vt_classifier_set_layout(c, VMEMMAP, 4);
	return c;
}

/* Classify the machine's pfns, then resolve them in pieces of @step. */
static void run(struct vt_classifier *c, struct machine *m, bool walk,
		uint64_t step, uint8_t *got)
{
	struct vt_pcp_reader rd = { mem_read, m };
	struct vt_classify_state st = { 0 };

	vt_classify(c, &st, 0, NPFN, m->sp, NPFN + 1, got);
	for (uint64_t a = 0; a < NPFN; a += step) {
		uint64_t n = NPFN - a < step ? NPFN - a : step;

		assert_null(vt_pcp_resolve(vt_classifier_pcp(c), &rd, walk, a,
					   n, got + a));
	}
}

static void lists_proven_lookalikes_kept(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		struct vt_classifier *c = classifier_of(texts[t]);
		struct machine *m = build();
		static uint8_t got[NPFN];
		int bad = 0;

		/* pieces of whole pageblocks, as the filter's blocks are */
		for (uint64_t step = NPFN; step >= 0x200; step /= 2) {
			run(c, m, true, step, got);
			for (uint64_t p = 0; p < NPFN; p++)
				if (got[p] != m->want[p] && bad++ < 10)
					print_error(
						"text %zu step %#llx pfn %#llx: %s, want %s\n",
						t, (unsigned long long)step,
						(unsigned long long)p,
						vt_page_class_name(got[p]),
						vt_page_class_name(m->want[p]));
		}
		/* without the walk (dump level without 16): all kept */
		run(c, m, false, NPFN, got);
		for (uint64_t p = 0; p < NPFN; p++)
			if (got[p] != VT_CLASS_KEEP && bad++ < 20)
				print_error("no walk: pfn %#llx: %s\n",
					    (unsigned long long)p,
					    vt_page_class_name(got[p]));
		free(m);
		vt_classifier_free(c);
		if (bad)
			fail_msg("%d pfns wrong", bad);
	}
}

/* Every one-field-off list is kept, page by page (named for the report). */
static void one_field_off_kept(void **state)
{
	static const char *const names[OFF_NR] = {
		"none",	     "refcount",   "flag",	"mapping",
		"page type", "prev link",  "head prev", "misaligned link",
		"two heads", "unreadable",
	};
	struct vt_classifier *c = classifier_of(texts[0]);
	struct machine *m = build();
	static uint8_t got[NPFN];

	(void)state;
	run(c, m, true, NPFN, got);
	for (int o = 0; o < OFF_NR; o++) {
		uint64_t base = 0xc00 + (uint64_t)o * 0x40;

		for (int i = 0; i < 3; i++) {
			uint8_t want = o == OFF_NONE ? VT_CLASS_PCP_FREE :
						       VT_CLASS_KEEP;

			if (got[base + 0x10 * (uint64_t)i] != want)
				fail_msg("%s: pfn %#llx is %s", names[o],
					 (unsigned long long)(base + 0x10 * i),
					 vt_page_class_name(
						 got[base + 0x10 * i]));
		}
	}
	free(m);
	vt_classifier_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lists_proven_lookalikes_kept),
		cmocka_unit_test(one_field_off_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
