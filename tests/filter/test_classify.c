// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * filter/classify.c: struct pages of every kernel era from 4.18 to 6.16 get
 * the class the reference rules give them, buddy blocks and compound pages
 * carry their decision over their pfns (across calls too), implausible
 * struct pages are kept and counted, and every dump level excludes exactly
 * the classes it names.
 *
 * Each era's VMCOREINFO below carries the page keys that era's x86_64
 * kernel publishes (crash_save_vmcoreinfo_init() of that release); the
 * PG_* numbers follow that release's enum pageflags. The classifier reads
 * them from the text, so the struct pages are built from the same numbers.
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
#include "vmemtrim/vmcoreinfo.h"

#define SIZE_PAGE 64
#define OFF_FLAGS 0
#define OFF_HEAD 8
#define OFF_DTOR 16 /* in page[1]: page.compound_dtor, folio._folio_dtor */
#define OFF_ORDER 17 /* in page[1]: page.compound_order, ._folio_order */
#define OFF_MAPPING 24
#define OFF_PRIVATE 40
#define OFF_MAPCOUNT 48
#define OFF_REFCOUNT 52
#define VMEMMAP 0xffffea0000000000ULL
#define KPTR 0xffff888100000000ULL /* a direct-map pointer */

/* The struct page layout every x86_64 kernel 4.18 .. 6.16 publishes. */
#define LAYOUT                           \
	"PAGESIZE=4096\n"                \
	"SIZE(page)=64\n"                \
	"OFFSET(page.flags)=0\n"         \
	"OFFSET(page._refcount)=52\n"    \
	"OFFSET(page.mapping)=24\n"      \
	"OFFSET(page.lru)=8\n"           \
	"OFFSET(page._mapcount)=48\n"    \
	"OFFSET(page.private)=40\n"      \
	"OFFSET(page.compound_head)=8\n" \
	"LENGTH(zone.free_area)=11\n"

/* enum pageflags numbers of 5.x .. 6.5 */
#define FLAGS_61                     \
	"NUMBER(PG_lru)=4\n"         \
	"NUMBER(PG_private)=13\n"    \
	"NUMBER(PG_swapcache)=10\n"  \
	"NUMBER(PG_swapbacked)=19\n" \
	"NUMBER(PG_slab)=9\n"        \
	"NUMBER(PG_hwpoison)=23\n"   \
	"NUMBER(PG_head_mask)=65536\n"

/* 6.6 .. 6.11: PG_writeback and PG_head moved into the first byte */
#define FLAGS_66                     \
	"NUMBER(PG_lru)=5\n"         \
	"NUMBER(PG_private)=15\n"    \
	"NUMBER(PG_swapcache)=12\n"  \
	"NUMBER(PG_swapbacked)=19\n" \
	"NUMBER(PG_hwpoison)=23\n"   \
	"NUMBER(PG_head_mask)=64\n"

/* 6.12+: PG_error gone */
#define FLAGS_612                    \
	"NUMBER(PG_lru)=5\n"         \
	"NUMBER(PG_private)=14\n"    \
	"NUMBER(PG_swapcache)=10\n"  \
	"NUMBER(PG_swapbacked)=17\n" \
	"NUMBER(PG_hwpoison)=21\n"   \
	"NUMBER(PG_head_mask)=64\n"

/* 6.12+ page types: PGTY_* << 24 printed as a (negative) long */
#define TYPES_612                                          \
	"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-184549376\n"    \
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-268435456\n"   \
	"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-201326592\n" \
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-251658240\n"

enum order_at { ORDER_BYTE17, ORDER_FLAGS };
enum hugetlb_by { HUGETLB_DTOR, HUGETLB_FLAG, HUGETLB_TYPE };

/* One era: its VMCOREINFO and how to build its struct pages. */
struct era_case {
	const char *era; /* vt_classifier_era() expected */
	const char *text;
	int lru, private_, swapcache, swapbacked, head, hwpoison; /* -1 none */
	int slab_flag; /* -1: slab is a page type */
	int hugetlb_flag; /* PG_hugetlb in page[1], HUGETLB_FLAG only */
	enum order_at order;
	enum hugetlb_by hugetlb;
	uint32_t buddy, offline, slab_type, hugetlb_type, unaccepted; /* 0 */
};

/* clang-format off */
static const struct era_case eras[] = {
	{
		.era = "4.18-6.2",
		.text = "OSRELEASE=4.18.20\n" LAYOUT
			"OFFSET(page.compound_dtor)=16\n"
			"OFFSET(page.compound_order)=17\n"
			"NUMBER(PG_lru)=5\n"
			"NUMBER(PG_private)=12\n"
			"NUMBER(PG_swapcache)=9\n"
			"NUMBER(PG_swapbacked)=18\n"
			"NUMBER(PG_slab)=8\n"
			"NUMBER(PG_hwpoison)=22\n"
			"NUMBER(PG_head_mask)=32768\n"
			"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
			"NUMBER(HUGETLB_PAGE_DTOR)=2\n",
		.lru = 5, .private_ = 12, .swapcache = 9, .swapbacked = 18,
		.head = 15, .hwpoison = 22, .slab_flag = 8, .hugetlb_flag = -1,
		.order = ORDER_BYTE17, .hugetlb = HUGETLB_DTOR,
		.buddy = 0xffffff7f,
	},
	{
		.era = "4.18-6.2",
		.text = "OSRELEASE=5.10.0-30-amd64\n" LAYOUT
			"OFFSET(page.compound_dtor)=16\n"
			"OFFSET(page.compound_order)=17\n" FLAGS_61
			"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
			"NUMBER(HUGETLB_PAGE_DTOR)=2\n"
			"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
		.lru = 4, .private_ = 13, .swapcache = 10, .swapbacked = 19,
		.head = 16, .hwpoison = 23, .slab_flag = 9, .hugetlb_flag = -1,
		.order = ORDER_BYTE17, .hugetlb = HUGETLB_DTOR,
		.buddy = 0xffffff7f, .offline = 0xfffffeff,
	},
	{
		.era = "4.18-6.2",
		.text = "OSRELEASE=6.1.0-56-cloud-amd64\n" LAYOUT
			"OFFSET(page.compound_dtor)=16\n"
			"OFFSET(page.compound_order)=17\n" FLAGS_61
			"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
			"NUMBER(HUGETLB_PAGE_DTOR)=2\n"
			"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
		.lru = 4, .private_ = 13, .swapcache = 10, .swapbacked = 19,
		.head = 16, .hwpoison = 23, .slab_flag = 9, .hugetlb_flag = -1,
		.order = ORDER_BYTE17, .hugetlb = HUGETLB_DTOR,
		.buddy = 0xffffff7f, .offline = 0xfffffeff,
	},
	{
		.era = "6.3-6.5",
		.text = "OSRELEASE=6.3.13\n" LAYOUT
			"OFFSET(folio._folio_dtor)=80\n"
			"OFFSET(folio._folio_order)=81\n" FLAGS_61
			"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
			"NUMBER(HUGETLB_PAGE_DTOR)=2\n"
			"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
		.lru = 4, .private_ = 13, .swapcache = 10, .swapbacked = 19,
		.head = 16, .hwpoison = 23, .slab_flag = 9, .hugetlb_flag = -1,
		.order = ORDER_BYTE17, .hugetlb = HUGETLB_DTOR,
		.buddy = 0xffffff7f, .offline = 0xfffffeff,
	},
	{
		.era = "6.6-6.8",
		.text = "OSRELEASE=6.6.15\n" LAYOUT FLAGS_66
			"NUMBER(PG_slab)=11\n"
			"NUMBER(PG_hugetlb)=8\n"
			"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
			"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
		.lru = 5, .private_ = 15, .swapcache = 12, .swapbacked = 19,
		.head = 6, .hwpoison = 23, .slab_flag = 11, .hugetlb_flag = 8,
		.order = ORDER_FLAGS, .hugetlb = HUGETLB_FLAG,
		.buddy = 0xffffff7f, .offline = 0xfffffeff,
	},
	{
		.era = "6.9",
		.text = "OSRELEASE=6.9.12\n" LAYOUT FLAGS_66
			"NUMBER(PG_slab)=11\n"
			"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
			"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-2049\n"
			"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
		.lru = 5, .private_ = 15, .swapcache = 12, .swapbacked = 19,
		.head = 6, .hwpoison = 23, .slab_flag = 11, .hugetlb_flag = -1,
		.order = ORDER_FLAGS, .hugetlb = HUGETLB_TYPE,
		.buddy = 0xffffff7f, .offline = 0xfffffeff,
		.hugetlb_type = 0xfffff7ff,
	},
	{
		.era = "6.10-6.11",
		.text = "OSRELEASE=6.10.14\n" LAYOUT FLAGS_66
			"NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)=-4097\n"
			"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
			"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-2049\n"
			"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n",
		.lru = 5, .private_ = 15, .swapcache = 12, .swapbacked = 19,
		.head = 6, .hwpoison = 23, .slab_flag = -1, .hugetlb_flag = -1,
		.order = ORDER_FLAGS, .hugetlb = HUGETLB_TYPE,
		.buddy = 0xffffff7f, .offline = 0xfffffeff,
		.slab_type = 0xffffefff, .hugetlb_type = 0xfffff7ff,
	},
	{
		.era = "6.12-6.15",
		.text = "OSRELEASE=6.12.38\n" LAYOUT FLAGS_612 TYPES_612,
		.lru = 5, .private_ = 14, .swapcache = 10, .swapbacked = 17,
		.head = 6, .hwpoison = 21, .slab_flag = -1, .hugetlb_flag = -1,
		.order = ORDER_FLAGS, .hugetlb = HUGETLB_TYPE,
		.buddy = 0xf0000000, .offline = 0xf1000000,
		.slab_type = 0xf5000000, .hugetlb_type = 0xf4000000,
	},
	{
		.era = "6.16+",
		.text = "OSRELEASE=6.16.3\n" LAYOUT FLAGS_612 TYPES_612
			"NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944\n",
		.lru = 5, .private_ = 14, .swapcache = 10, .swapbacked = 17,
		.head = 6, .hwpoison = 21, .slab_flag = -1, .hugetlb_flag = -1,
		.order = ORDER_FLAGS, .hugetlb = HUGETLB_TYPE,
		.buddy = 0xf0000000, .offline = 0xf1000000,
		.slab_type = 0xf5000000, .hugetlb_type = 0xf4000000,
		.unaccepted = 0xf7000000,
	},
};
/* clang-format on */

#define NR_ERAS (sizeof(eras) / sizeof(eras[0]))

static void put64(uint8_t *p, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[off + (size_t)i];
	return v;
}

static uint8_t *sp(uint8_t *buf, size_t i)
{
	return buf + i * SIZE_PAGE;
}

static void set_flag(uint8_t *p, int bit)
{
	if (bit >= 0)
		put64(p, OFF_FLAGS, get64(p, OFF_FLAGS) | 1ULL << bit);
}

/* A plain allocated kernel page: _mapcount -1, refcount 1. */
static uint8_t *pages_new(size_t n)
{
	uint8_t *buf = calloc(n, SIZE_PAGE);

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++) {
		put32(sp(buf, i), OFF_MAPCOUNT, 0xffffffff);
		put32(sp(buf, i), OFF_REFCOUNT, 1);
	}
	return buf;
}

static void mk_buddy(const struct era_case *e, uint8_t *buf, size_t i,
		     uint64_t order)
{
	uint8_t *p = sp(buf, i);

	put32(p, OFF_MAPCOUNT, e->buddy);
	put64(p, OFF_PRIVATE, order);
	for (uint64_t j = 0; j < 1ULL << (order > 10 ? 0 : order); j++)
		put32(sp(buf, i + j), OFF_REFCOUNT, 0);
}

static void mk_cache(const struct era_case *e, uint8_t *p, bool priv)
{
	set_flag(p, e->lru);
	put64(p, OFF_MAPPING, KPTR + 0x1000);
	if (priv) {
		set_flag(p, e->private_);
		put64(p, OFF_PRIVATE, KPTR + 0x2000);
	}
}

static void mk_anon(const struct era_case *e, uint8_t *p)
{
	set_flag(p, e->lru);
	set_flag(p, e->swapbacked);
	put64(p, OFF_MAPPING, (KPTR + 0x3000) | 1);
	put32(p, OFF_MAPCOUNT, 0);
}

/* Slab, with a slab_cache pointer that has bit 0 set: still not anon. */
static void mk_slab(const struct era_case *e, uint8_t *p)
{
	if (e->slab_flag >= 0)
		set_flag(p, e->slab_flag);
	else
		put32(p, OFF_MAPCOUNT, e->slab_type);
	put64(p, OFF_MAPPING, (KPTR + 0x4000) | 1);
}

/* Head at @i of order @order: page[1] holds the order, tails the head. */
static void mk_compound(const struct era_case *e, uint8_t *buf, size_t i,
			unsigned int order)
{
	uint8_t *p1 = sp(buf, i + 1);

	set_flag(sp(buf, i), e->head);
	if (e->order == ORDER_FLAGS)
		put64(p1, OFF_FLAGS, get64(p1, OFF_FLAGS) | order);
	else
		p1[OFF_ORDER] = (uint8_t)order;
	for (size_t j = 1; j < (size_t)1 << order; j++) {
		put64(sp(buf, i + j), OFF_HEAD, (VMEMMAP + i * SIZE_PAGE) | 1);
		put32(sp(buf, i + j), OFF_REFCOUNT, 0);
	}
}

static void mk_hugetlb(const struct era_case *e, uint8_t *buf, size_t i,
		       unsigned int order)
{
	mk_compound(e, buf, i, order);
	put64(sp(buf, i), OFF_MAPPING, KPTR + 0x5000); /* hugetlbfs */
	if (e->hugetlb == HUGETLB_DTOR)
		sp(buf, i + 1)[OFF_DTOR] = 2;
	else if (e->hugetlb == HUGETLB_FLAG)
		set_flag(sp(buf, i + 1), e->hugetlb_flag);
	else
		put32(sp(buf, i), OFF_MAPCOUNT, e->hugetlb_type);
}

static struct vt_classifier *classifier_of(const char *text)
{
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;
	struct vt_classifier *c;
	struct vt_error *err;

	err = vt_vmcoreinfo_parse(text, strlen(text), &vi);
	if (!err)
		err = vt_kernel_profile_init(&kp, vi);
	vt_vmcoreinfo_free(vi);
	if (!err)
		err = vt_classifier_new(&kp, &c);
	if (err)
		fail_msg("unexpected error: %s", err->message);
	return c;
}

/* The error vt_classifier_new() gives for @text (the caller frees it). */
static struct vt_error *classifier_error(const char *text)
{
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;
	struct vt_classifier *c = NULL;
	struct vt_error *err;

	err = vt_vmcoreinfo_parse(text, strlen(text), &vi);
	assert_null(err);
	err = vt_kernel_profile_init(&kp, vi);
	vt_vmcoreinfo_free(vi);
	assert_null(err);
	err = vt_classifier_new(&kp, &c);
	assert_non_null(err);
	assert_null(c);
	return err;
}

static void expect_classes(const uint8_t *got, const uint8_t *want, size_t n,
			   uint64_t pfn)
{
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i])
			fail_msg("pfn 0x%llx: %s, want %s",
				 (unsigned long long)(pfn + i),
				 vt_page_class_name(got[i]),
				 vt_page_class_name(want[i]));
}

/*
 * The struct pages every era gets, at pfn MIX_PFN, and their classes.
 * One page more than MIX_N follows, for the lookahead.
 */
#define MIX_PFN 0x1000
#define MIX_N 50

static uint8_t *mix_pages(const struct era_case *e, uint8_t *want)
{
	uint8_t *buf = pages_new(MIX_N + 1);
	size_t i;

	memset(want, VT_CLASS_KEEP, MIX_N);
	mk_cache(e, sp(buf, 1), false);
	want[1] = VT_CLASS_CACHE;
	mk_cache(e, sp(buf, 2), true);
	want[2] = VT_CLASS_CACHE_PRIVATE;
	mk_cache(e, sp(buf, 3), false); /* shmem: counted as cache */
	set_flag(sp(buf, 3), e->swapbacked);
	want[3] = VT_CLASS_CACHE;
	mk_anon(e, sp(buf, 4));
	want[4] = VT_CLASS_USER;
	set_flag(sp(buf, 5), e->swapcache); /* swap cache, unmapped */
	set_flag(sp(buf, 5), e->swapbacked);
	want[5] = VT_CLASS_CACHE;
	set_flag(sp(buf, 6), e->swapcache); /* PG_checked of a filesystem */
	mk_slab(e, sp(buf, 7));
	set_flag(sp(buf, 8), e->hwpoison);
	want[8] = VT_CLASS_HWPOISON;
	if (e->offline) {
		put32(sp(buf, 9), OFF_MAPCOUNT, e->offline);
		want[9] = VT_CLASS_OFFLINE;
	}
	mk_buddy(e, buf, 10, 1);
	mk_buddy(e, buf, 12, 2);
	memset(want + 10, VT_CLASS_FREE, 6);
	mk_hugetlb(e, buf, 16, 4);
	memset(want + 16, VT_CLASS_USER, 16);
	mk_compound(e, buf, 32, 3); /* anon THP */
	mk_anon(e, sp(buf, 32));
	memset(want + 32, VT_CLASS_USER, 8);
	mk_compound(e, buf, 40, 2); /* a large page cache folio */
	mk_cache(e, sp(buf, 40), false);
	memset(want + 40, VT_CLASS_CACHE, 4);
	mk_compound(e, buf, 44, 1); /* slab of order 1: 44, 45 keep */
	mk_slab(e, sp(buf, 44));
	put64(sp(buf, 46), OFF_HEAD, (VMEMMAP + 0x40) | 1); /* lone tail */
	want[46] = VT_CLASS_UNKNOWN;
	mk_buddy(e, buf, 47, 11); /* order 11 >= LENGTH(zone.free_area) */
	want[47] = VT_CLASS_UNKNOWN;
	if (e->unaccepted) {
		put32(sp(buf, 48), OFF_MAPCOUNT, e->unaccepted);
		want[48] = VT_CLASS_UNACCEPTED;
	}
	mk_anon(e, sp(buf, 49)); /* user comes before hwpoison */
	set_flag(sp(buf, 49), e->hwpoison);
	want[49] = VT_CLASS_USER;
	for (i = 0; i < MIX_N; i++)
		assert_true(want[i] < VT_CLASS_NR);
	return buf;
}

/* Every class of the era, in one call and split across two calls. */
static void era_classes(void **state)
{
	const struct era_case *e = *state;
	struct vt_classifier *c = classifier_of(e->text);
	struct vt_classify_state st = { 0 };
	uint8_t want[MIX_N], got[MIX_N];
	uint8_t *buf = mix_pages(e, want);

	assert_string_equal(vt_classifier_era(c), e->era);
	vt_classify(c, &st, MIX_PFN, MIX_N, buf, MIX_N + 1, got);
	expect_classes(got, want, MIX_N, MIX_PFN);
	assert_int_equal(st.warnings, 2); /* the lone tail, the order 11 */

	/* The buddy block at 12..15 carries into the next call. */
	memset(&st, 0, sizeof(st));
	vt_classify(c, &st, MIX_PFN, 13, buf, 14, got);
	assert_int_equal(st.carry_end, MIX_PFN + 16);
	assert_int_equal(st.carry_class, VT_CLASS_FREE);
	vt_classify(c, &st, MIX_PFN + 13, MIX_N - 13, sp(buf, 13),
		    MIX_N + 1 - 13, got + 13);
	expect_classes(got, want, MIX_N, MIX_PFN);

	/* The hugetlb head last in a call finds its order in the extra one. */
	memset(&st, 0, sizeof(st));
	vt_classify(c, &st, MIX_PFN, 17, buf, 18, got);
	assert_int_equal(st.carry_end, MIX_PFN + 32);
	vt_classify(c, &st, MIX_PFN + 17, MIX_N - 17, sp(buf, 17),
		    MIX_N + 1 - 17, got + 17);
	expect_classes(got, want, MIX_N, MIX_PFN);

	/* Without it the head is alone and its tails have no head seen. */
	memset(&st, 0, sizeof(st));
	vt_classify(c, &st, MIX_PFN, 17, buf, 17, got);
	vt_classify(c, &st, MIX_PFN + 17, MIX_N - 17, sp(buf, 17),
		    MIX_N + 1 - 17, got + 17);
	want[16] = e->hugetlb == HUGETLB_TYPE ? VT_CLASS_USER : VT_CLASS_KEEP;
	memset(want + 17, VT_CLASS_UNKNOWN, 15);
	expect_classes(got, want, MIX_N, MIX_PFN);

	free(buf);
	vt_classifier_free(c);
}

/* Orders no kernel writes: the page is kept, counted, and carries none. */
static void bogus_orders_are_kept_and_counted(void **state)
{
	for (size_t k = 0; k < NR_ERAS; k++) {
		const struct era_case *e = &eras[k];
		struct vt_classifier *c = classifier_of(e->text);
		struct vt_classify_state st = { 0 };
		uint8_t *buf = pages_new(1024 + 1);
		uint8_t got[1024];

		(void)state;
		/* order 10 is the largest buddy block: 1024 free pfns */
		mk_buddy(e, buf, 0, 10);
		vt_classify(c, &st, 0, 1024, buf, 1025, got);
		for (size_t i = 0; i < 1024; i++)
			assert_int_equal(got[i], VT_CLASS_FREE);
		assert_int_equal(st.warnings, 0);

		/* a smaller LENGTH(zone.free_area) makes order 5 bogus */
		assert_null(vt_classifier_set_free_area_length(c, 5));
		vt_classify_reset(&st);
		free(buf);
		buf = pages_new(48);
		mk_buddy(e, buf, 0, 5);
		mk_buddy(e, buf, 32, 4);
		vt_classify(c, &st, 0, 33, buf, 34, got);
		assert_int_equal(got[0], VT_CLASS_UNKNOWN);
		assert_int_equal(got[1], VT_CLASS_KEEP);
		assert_int_equal(got[32], VT_CLASS_FREE);
		assert_int_equal(st.warnings, 1);

		/* a buddy block not aligned to its order */
		memset(&st, 0, sizeof(st));
		free(buf);
		buf = pages_new(4);
		mk_buddy(e, buf, 1, 1);
		vt_classify(c, &st, 0, 3, buf, 4, got);
		assert_int_equal(got[1], VT_CLASS_UNKNOWN);
		assert_int_equal(got[2], VT_CLASS_KEEP);
		assert_int_equal(st.warnings, 1);

		/*
		 * compound orders above 18 (a 1 GiB page), or not aligned:
		 * the head is not a head, its tails are tails of nothing
		 */
		memset(&st, 0, sizeof(st));
		free(buf);
		buf = pages_new(8);
		mk_compound(e, buf, 0, 2);
		mk_anon(e, sp(buf, 0));
		if (e->order == ORDER_FLAGS)
			sp(buf, 1)[OFF_FLAGS] = 64;
		else
			sp(buf, 1)[OFF_ORDER] = 64;
		mk_compound(e, buf, 6, 1); /* order 1 at pfn 6 + 1: odd */
		mk_anon(e, sp(buf, 6));
		vt_classify(c, &st, 1, 7, buf, 8, got);
		assert_int_equal(got[0], VT_CLASS_UNKNOWN);
		assert_int_equal(got[1], VT_CLASS_UNKNOWN);
		assert_int_equal(got[3], VT_CLASS_UNKNOWN);
		assert_int_equal(got[6], VT_CLASS_UNKNOWN);
		assert_int_equal(st.warnings, 2);
		/* on the aligned pfn 0 the same order 64 is still bogus */
		memset(&st, 0, sizeof(st));
		vt_classify(c, &st, 0, 2, buf, 3, got);
		assert_int_equal(got[0], VT_CLASS_UNKNOWN);
		assert_int_equal(got[1], VT_CLASS_UNKNOWN);
		assert_int_equal(st.warnings, 1);

		free(buf);
		vt_classifier_free(c);
	}
}

/*
 * With the layout known, struct pages no kernel writes are implausible:
 * a head whose page[1] is not its tail, a page that would be excluded
 * with a page->mapping that is neither NULL nor a kernel pointer.
 */
static void implausible_pages_are_unknown(void **state)
{
	for (size_t k = 0; k < NR_ERAS; k++) {
		const struct era_case *e = &eras[k];
		struct vt_classifier *c = classifier_of(e->text);
		struct vt_classify_state st = { 0 };
		uint8_t *buf = pages_new(16 + 1);
		uint8_t got[16];

		(void)state;
		vt_classifier_set_layout(c, VMEMMAP, 4);
		mk_hugetlb(e, buf, 0, 2); /* pfns 0..3, page[1] right */
		mk_hugetlb(e, buf, 4, 2); /* pfns 4..7: page[1] elsewhere */
		put64(sp(buf, 5), OFF_HEAD, (VMEMMAP + 0x7000000) | 1);
		mk_cache(e, sp(buf, 8), false);
		mk_cache(e, sp(buf, 9), false);
		put64(sp(buf, 9), OFF_MAPPING, 0x12345678abcdULL);
		mk_cache(e, sp(buf, 10), false);
		put64(sp(buf, 10), OFF_MAPPING, 0); /* truncated: fine */
		mk_anon(e, sp(buf, 11));
		mk_anon(e, sp(buf, 12));
		put64(sp(buf, 12), OFF_MAPPING, 1); /* NULL anon_vma */
		mk_cache(e, sp(buf, 13), false);
		put64(sp(buf, 13), OFF_MAPPING, KPTR + 0x1004); /* unaligned */
		mk_anon(e, sp(buf, 14));
		put64(sp(buf, 14), OFF_MAPPING, (KPTR + 0x3000) | 3); /* KSM */
		vt_classify(c, &st, 0, 16, buf, 17, got);
		for (size_t i = 0; i < 4; i++)
			assert_int_equal(got[i], VT_CLASS_USER);
		for (size_t i = 4; i < 8; i++)
			assert_int_equal(got[i], VT_CLASS_UNKNOWN);
		assert_int_equal(got[8], VT_CLASS_CACHE);
		assert_int_equal(got[9], VT_CLASS_UNKNOWN);
		assert_int_equal(got[10], VT_CLASS_CACHE);
		assert_int_equal(got[11], VT_CLASS_USER);
		assert_int_equal(got[12], VT_CLASS_UNKNOWN);
		assert_int_equal(got[13], VT_CLASS_UNKNOWN);
		assert_int_equal(got[14], VT_CLASS_USER);
		assert_int_equal(got[15], VT_CLASS_KEEP);
		assert_int_equal(st.warnings, 4);
		/* 5-level: the kernel starts at 0xff00000000000000 */
		memset(&st, 0, sizeof(st));
		vt_classifier_set_layout(c, VMEMMAP, 5);
		put64(sp(buf, 9), OFF_MAPPING, 0xff11000000001000ULL);
		vt_classify(c, &st, 8, 2, sp(buf, 8), 2, got);
		assert_int_equal(got[1], VT_CLASS_CACHE);
		free(buf);
		vt_classifier_free(c);
	}
}

/* Tails met without their head are dumped, never guessed. */
static void tails_without_head_are_unknown(void **state)
{
	const struct era_case *e = &eras[2]; /* 6.1 */
	struct vt_classifier *c = classifier_of(e->text);
	struct vt_classify_state st = { 0 };
	uint8_t *buf = pages_new(33);
	uint8_t got[32];

	(void)state;
	mk_hugetlb(e, buf, 0, 4);
	mk_hugetlb(e, buf, 16, 4);
	/* start in the middle of the first huge page: no warning */
	vt_classify_reset(&st);
	vt_classify(c, &st, 0x105, 27, sp(buf, 5), 28, got);
	for (size_t i = 0; i < 11; i++)
		assert_int_equal(got[i], VT_CLASS_UNKNOWN);
	for (size_t i = 11; i < 27; i++)
		assert_int_equal(got[i], VT_CLASS_USER);
	assert_int_equal(st.warnings, 0);

	/* a tail after a page that is no head is implausible, once each */
	memset(&st, 0, sizeof(st));
	vt_classify_reset(&st);
	vt_classify(c, &st, 0x110, 1, sp(buf, 16), 2, got); /* the head */
	st.carry_end = 0; /* forget its order: its tails now follow nothing */
	vt_classify(c, &st, 0x111, 3, sp(buf, 17), 4, got);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(got[i], VT_CLASS_UNKNOWN);
	assert_int_equal(st.warnings, 3);

	/* a reset (unreadable pfns between) drops the carried decision */
	memset(&st, 0, sizeof(st));
	vt_classify(c, &st, 0x100, 4, buf, 5, got);
	assert_int_equal(got[0], VT_CLASS_USER);
	assert_int_equal(st.carry_end, 0x110);
	st.warnings = 7;
	vt_classify_reset(&st);
	assert_int_equal(st.carry_end, 0);
	assert_int_equal(st.warnings, 7);
	vt_classify(c, &st, 0x104, 12, sp(buf, 4), 13, got);
	for (size_t i = 0; i < 12; i++)
		assert_int_equal(got[i], VT_CLASS_UNKNOWN);
	assert_int_equal(st.warnings, 7); /* tails after a reset: no warning */

	/* a carry that would pass the last pfn stops there */
	memset(&st, 0, sizeof(st));
	free(buf);
	buf = pages_new(2);
	mk_compound(e, buf, 0, 1);
	sp(buf, 1)[OFF_ORDER] = 18;
	vt_classify(c, &st, ~0ULL << 18, 1, buf, 2, got);
	assert_int_equal(st.carry_end, UINT64_MAX);

	free(buf);
	vt_classifier_free(c);
}

/* The reference's dump-level table, bit by bit. */
static void dump_levels_exclude_their_classes(void **state)
{
	(void)state;
	for (int level = 0; level < 32; level++) {
		bool ex[VT_CLASS_NR] = { false };

		ex[VT_CLASS_HWPOISON] = ex[VT_CLASS_OFFLINE] = true;
		if (level & 2)
			ex[VT_CLASS_CACHE] = true;
		if (level & 4)
			ex[VT_CLASS_CACHE] = ex[VT_CLASS_CACHE_PRIVATE] = true;
		if (level & 8)
			ex[VT_CLASS_USER] = true;
		if (level & 16)
			ex[VT_CLASS_FREE] = ex[VT_CLASS_UNACCEPTED] =
				ex[VT_CLASS_PCP_FREE] = true;
		for (int c = 0; c < VT_CLASS_NR; c++)
			if (vt_class_excluded(c, level) != ex[c])
				fail_msg("level %d, class %s: %d", level,
					 vt_page_class_name(c), !ex[c]);
	}
	assert_string_equal(vt_page_class_name(VT_CLASS_CACHE_PRIVATE),
			    "cache_private");
	assert_string_equal(vt_page_class_name(VT_CLASS_NR), "invalid");
}

/* Keys choose the era; OSRELEASE only where keys look alike. */
static void era_from_keys_then_release(void **state)
{
	static const struct {
		const char *text, *era;
	} cases[] = {
		/* 6.16 built without unaccepted memory looks like 6.12 */
		{ "OSRELEASE=6.16.1\n" LAYOUT FLAGS_612 TYPES_612, "6.16+" },
		{ "OSRELEASE=6.13.2\n" LAYOUT FLAGS_612 TYPES_612,
		  "6.12-6.15" },
		{ LAYOUT FLAGS_612 TYPES_612, "6.12-6.15" },
		{ "OSRELEASE=6.13.2\n" LAYOUT FLAGS_612 TYPES_612
		  "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)=-150994944\n",
		  "6.16+" },
		/* 6.6 .. 6.9 built without hugetlb */
		{ "OSRELEASE=6.7.5\n" LAYOUT FLAGS_66 "NUMBER(PG_slab)=11\n"
		  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n",
		  "6.6-6.8" },
		{ "OSRELEASE=6.9.1\n" LAYOUT FLAGS_66 "NUMBER(PG_slab)=11\n"
		  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n",
		  "6.9" },
		/* 6.6.y stable got the hugetlb page type backported */
		{ "OSRELEASE=6.6.30\n" LAYOUT FLAGS_66 "NUMBER(PG_slab)=11\n"
		  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
		  "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)=-2049\n",
		  "6.9" },
		/* keys win over a release that says otherwise */
		{ "OSRELEASE=5.14.0-427.el9.x86_64\n" LAYOUT
		  "OFFSET(folio._folio_dtor)=80\n"
		  "OFFSET(folio._folio_order)=81\n" FLAGS_61
		  "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n",
		  "6.3-6.5" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_classifier *c = classifier_of(cases[i].text);

		if (strcmp(vt_classifier_era(c), cases[i].era))
			fail_msg("case %zu: era %s, want %s", i,
				 vt_classifier_era(c), cases[i].era);
		vt_classifier_free(c);
	}
}

static void expect_error(const char *text, enum vt_error_code code,
			 const char *needle)
{
	struct vt_error *err = classifier_error(text);

	assert_int_equal(err->code, code);
	if (!strstr(err->message, needle))
		fail_msg("\"%s\" does not say \"%s\"", err->message, needle);
	vt_error_free(err);
}

/* Missing keys are named; impossible values and eras are refused. */
static void missing_keys_and_old_kernels_are_errors(void **state)
{
	struct vt_classifier *c;
	struct vt_error *err;

	(void)state;
	expect_error("OSRELEASE=6.1.0\n" LAYOUT
		     "OFFSET(page.compound_order)=17\n" FLAGS_61,
		     VT_ERR_NOKEY, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)");
	expect_error("OSRELEASE=6.1.0\n" LAYOUT
		     "OFFSET(page.compound_order)=17\n"
		     "NUMBER(PG_lru)=4\n"
		     "NUMBER(PG_private)=13\n"
		     "NUMBER(PG_head_mask)=65536\n"
		     "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n",
		     VT_ERR_NOKEY, "NUMBER(PG_slab)");
	expect_error("OSRELEASE=6.1.0\nSIZE(page)=64\n"
		     "OFFSET(page.flags)=0\n"
		     "OFFSET(page._mapcount)=48\n"
		     "OFFSET(page.private)=40\n"
		     "OFFSET(page.compound_order)=17\n" FLAGS_61
		     "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n",
		     VT_ERR_NOKEY, "OFFSET(page.mapping)");
	expect_error("OSRELEASE=4.17.0\n" LAYOUT
		     "OFFSET(page.compound_order)=17\n" FLAGS_61
		     "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n",
		     VT_ERR_UNSUPPORTED, "4.18");
	expect_error("OSRELEASE=6.12.0\n" LAYOUT
		     "OFFSET(page.compound_order)=17\n" FLAGS_612 TYPES_612,
		     VT_ERR_UNSUPPORTED, "6.12.0");
	expect_error("OSRELEASE=6.1.0\n" LAYOUT
		     "OFFSET(page.compound_order)=64\n" FLAGS_61
		     "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n",
		     VT_ERR_FORMAT, "OFFSET(page.compound_order)=64");
	expect_error("OSRELEASE=6.3.0\n" LAYOUT
		     "OFFSET(folio._folio_order)=17\n" FLAGS_61
		     "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n",
		     VT_ERR_FORMAT, "page[1]");
	expect_error("OSRELEASE=6.1.0\n" LAYOUT
		     "OFFSET(page.compound_order)=17\n"
		     "NUMBER(PG_lru)=64\n"
		     "NUMBER(PG_private)=13\n"
		     "NUMBER(PG_slab)=9\n"
		     "NUMBER(PG_head_mask)=65536\n"
		     "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n",
		     VT_ERR_FORMAT, "NUMBER(PG_lru)=64");

	c = classifier_of(eras[2].text);
	err = vt_classifier_set_free_area_length(c, 0);
	assert_non_null(err);
	assert_int_equal(err->code, VT_ERR_FORMAT);
	vt_error_free(err);
	vt_classifier_free(c);
}

static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 16);

	if (!f)
		fail_msg("cannot open %s (run from the source tree)", path);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 16) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/*
 * The real VMCOREINFO of Debian's 6.1.0-56-cloud-amd64, and struct pages
 * as mkvmcore writes them for that kernel (docs/mkvmcore.md).
 */
static void real_6_1_vmcoreinfo_classifies_mkvmcore_pages(void **state)
{
	const struct era_case *e = &eras[2];
	struct vt_classify_state st = { 0 };
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;
	struct vt_classifier *c;
	struct vt_error *err;
	const char *len_fa;
	uint8_t *buf, *got;
	size_t len, n = 1024 + 16;
	char *text;

	(void)state;
	text = read_text("fuzz/seeds/vmcoreinfo/6.1-2g", &len);
	err = vt_vmcoreinfo_parse(text, len, &vi);
	if (!err)
		err = vt_kernel_profile_init(&kp, vi);
	if (!err)
		err = vt_classifier_new(&kp, &c);
	if (err)
		fail_msg("unexpected error: %s", err->message);
	assert_string_equal(kp.release, "6.1.0-56-cloud-amd64");
	assert_string_equal(vt_classifier_era(c), "4.18-6.2");
	len_fa = vt_vmcoreinfo_get(vi, "LENGTH(zone.free_area)");
	assert_non_null(len_fa);
	assert_null(vt_classifier_set_free_area_length(c, atoll(len_fa)));

	buf = pages_new(n + 1);
	got = malloc(n);
	assert_non_null(got);
	/* a 2 MiB hugetlb page: dtor 2 and order 9 in page[1] */
	mk_hugetlb(e, buf, 0, 9);
	/* HVO: struct page 64 reads as a copy of the head */
	memcpy(sp(buf, 64), sp(buf, 0), SIZE_PAGE);
	mk_buddy(e, buf, 512, 9); /* free block: page_type 0xffffff7f */
	for (size_t i = 1024; i < 1040; i++) /* offline: 0xfffffeff */
		put32(sp(buf, i), OFF_MAPCOUNT, 0xfffffeff);
	set_flag(sp(buf, 1039), 23); /* no PG_hwpoison in cloud: kept */
	put32(sp(buf, 1039), OFF_MAPCOUNT, 0xffffffff);
	vt_classify(c, &st, 0x40000, n, buf, n + 1, got);
	for (size_t i = 0; i < n; i++) {
		uint8_t want = i < 512	? VT_CLASS_USER :
			       i < 1024 ? VT_CLASS_FREE :
			       i < 1039 ? VT_CLASS_OFFLINE :
					  VT_CLASS_KEEP;

		if (got[i] != want)
			fail_msg("pfn %zu: %s", i, vt_page_class_name(got[i]));
	}
	assert_int_equal(st.warnings, 0);

	free(got);
	free(buf);
	free(text);
	vt_vmcoreinfo_free(vi);
	vt_classifier_free(c);
}

#define ERA_TEST(i, label)                                                 \
	{                                                                  \
		.name = "era_" label "_classes", .test_func = era_classes, \
		.initial_state = (void *)&eras[i],                         \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ERA_TEST(0, "4.18"),
		ERA_TEST(1, "5.10"),
		ERA_TEST(2, "6.1"),
		ERA_TEST(3, "6.3"),
		ERA_TEST(4, "6.6"),
		ERA_TEST(5, "6.9"),
		ERA_TEST(6, "6.10"),
		ERA_TEST(7, "6.12"),
		ERA_TEST(8, "6.16"),
		cmocka_unit_test(bogus_orders_are_kept_and_counted),
		cmocka_unit_test(tails_without_head_are_unknown),
		cmocka_unit_test(dump_levels_exclude_their_classes),
		cmocka_unit_test(implausible_pages_are_unknown),
		cmocka_unit_test(era_from_keys_then_release),
		cmocka_unit_test(missing_keys_and_old_kernels_are_errors),
		cmocka_unit_test(real_6_1_vmcoreinfo_classifies_mkvmcore_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
