// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * filter/pcp-lists.c: the per-CPU free lists walked as a vmlinux's layout
 * says (-x). A small kernel is built here: linux_banner, nr_cpu_ids,
 * __per_cpu_offset of two CPUs, node_data of one node with two zones, each
 * CPU's struct per_cpu_pages of 13 lists (orders 0-3 per migratetype, one
 * pageblock-order list; and 3 order-0 lists), struct pages in a vmemmap; the
 * image moved by a KERNELOFFSET. Checked: the blocks on the lists, whole;
 * every kind of broken walk keeps its CPU's lists (a next link off, a
 * loop, an entry not aligned to its order, a head's prev, a count that is
 * not the lists' pages); another kernel's banner gives no walk; the list
 * index -> order table; the classes of a span from the walk.
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
#include "pcp-lists.h"
#include "vmemtrim/vmcoreinfo.h"

#define SP 64 /* SIZE(page) */
#define LRU 8 /* OFFSET(page.lru), where pcp_list is */
#define VMEMMAP 0xffffea0000000000ULL
#define NPFN 0x800
#define KMEM 0xffffffff82000000ULL /* the image and the per-CPU areas */
#define KOFF 0x1a00000ULL /* KERNELOFFSET */
#define KSIZE 0x10000
#define NLISTS 13
/* symbols (link-time: KMEM - KOFF + x) and structures (at run time) */
#define SYM(x) (KMEM - KOFF + (x))
#define S_BANNER 0x000
#define S_NR_CPU_IDS 0x100
#define S_PER_CPU_OFFSET 0x108
#define S_NODE_DATA 0x200
#define PGDAT 0x1000 /* node_zones at 0, two zones of 0x80 bytes */
#define PCP_PTR 0x100 /* the __percpu pointer of zone 0 */
#define CPU_AREA(c) (0x2000 + 0x1000 * (uint64_t)(c))
#define BANNER "Linux version 6.1.0-test (b@h) #1 SMP"

#define LAYOUT                                                 \
	"OSRELEASE=6.1.0-test\nPAGESIZE=4096\nSIZE(page)=64\n" \
	"OFFSET(page.flags)=0\nOFFSET(page._refcount)=52\n"    \
	"OFFSET(page.mapping)=24\nOFFSET(page.lru)=8\n"        \
	"OFFSET(page._mapcount)=48\nNUMBER(PG_lru)=4\n"        \
	"NUMBER(PG_private)=13\nNUMBER(PG_slab)=9\n"           \
	"NUMBER(PG_head_mask)=65536\n"

struct machine {
	uint8_t sp[NPFN * SP];
	uint8_t k[KSIZE];
};

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint64_t lru(uint64_t pfn)
{
	return VMEMMAP + pfn * SP + LRU;
}

static bool mem_read(void *arg, uint64_t va, void *buf, size_t len)
{
	struct machine *m = arg;

	if (va >= VMEMMAP && va + len <= VMEMMAP + sizeof(m->sp))
		memcpy(buf, m->sp + (va - VMEMMAP), len);
	else if (va >= KMEM && va + len <= KMEM + KSIZE)
		memcpy(buf, m->k + (va - KMEM), len);
	else
		return false;
	return true;
}

/* A struct page: free (reference 0, mapcount -1) or in use. */
static void page(struct machine *m, uint64_t pfn, bool free_, uint64_t next,
		 uint64_t prev)
{
	uint8_t *p = m->sp + pfn * SP;

	memset(p, 0, SP);
	memset(p + 48, 0xff, 4);
	p[52] = !free_;
	put64(p + LRU, next);
	put64(p + LRU + 8, prev);
}

/* The list head of list @i of CPU @cpu's struct per_cpu_pages. */
static uint64_t head(int cpu, int i)
{
	return KMEM + CPU_AREA(cpu) + PCP_PTR + 8 + 16 * (uint64_t)i;
}

static void list(struct machine *m, int cpu, int i, const uint64_t *pfns,
		 size_t n)
{
	uint64_t h = head(cpu, i);

	for (size_t j = 0; j < n; j++)
		page(m, pfns[j], true, j + 1 < n ? lru(pfns[j + 1]) : h,
		     j ? lru(pfns[j - 1]) : h);
	put64(m->k + (h - KMEM), n ? lru(pfns[0]) : h);
	put64(m->k + (h - KMEM) + 8, n ? lru(pfns[n - 1]) : h);
}

static void count(struct machine *m, int cpu, int32_t n)
{
	memcpy(m->k + CPU_AREA(cpu) + PCP_PTR, &n, 4);
}

/*
 * CPU 0: order 0 {0x10, 0x11}, order 1 (list 3) {0x20}, pageblock order
 * (list 12) {0x200}: 516 pages; CPU 1: order 0 (list 1) {0x30}; zone 1
 * has no lists. Blank struct pages after the entries; pfn 0x23 in use.
 */
static struct machine *build(void)
{
	static const uint64_t o0[] = { 0x10, 0x11 }, o1[] = { 0x20 },
			      o9[] = { 0x200 }, c1[] = { 0x30 };
	struct machine *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	for (uint64_t p = 0; p < NPFN; p++)
		page(m, p, p >= 0x200 && p < 0x400, lru(p), lru(p));
	page(m, 0x21, true, 0, 0);
	memcpy(m->k + S_BANNER, BANNER, sizeof(BANNER));
	m->k[S_NR_CPU_IDS] = 2;
	put64(m->k + S_PER_CPU_OFFSET, KMEM + CPU_AREA(0));
	put64(m->k + S_PER_CPU_OFFSET + 8, KMEM + CPU_AREA(1));
	put64(m->k + S_NODE_DATA, KMEM + PGDAT);
	/* zone 0's pointer (at 8 in the zone); per_cpu_ptr = ptr + offset */
	put64(m->k + PGDAT + 8, PCP_PTR);
	for (int cpu = 0; cpu < 2; cpu++)
		for (int i = 0; i < NLISTS; i++)
			list(m, cpu, i, NULL, 0);
	list(m, 0, 0, o0, 2);
	list(m, 0, 3, o1, 1);
	list(m, 0, 12, o9, 1);
	count(m, 0, 516);
	list(m, 1, 1, c1, 1);
	count(m, 1, 1);
	return m;
}

static const struct vt_pcp_kernel layout = {
	.off_page_link = LRU,
	.off_node_zones = 0,
	.size_zone = 0x80,
	.nr_zones = 2,
	.off_zone_pcp = 8,
	.off_pcp_count = 0,
	.off_pcp_lists = 8,
	.nr_lists = NLISTS,
	.migrate_pcptypes = 3,
	.node_data = SYM(S_NODE_DATA),
	.nr_node_data = 1,
	.per_cpu_offset = SYM(S_PER_CPU_OFFSET),
	.nr_per_cpu_offset = 4,
	.nr_cpu_ids = SYM(S_NR_CPU_IDS),
	.linux_banner = SYM(S_BANNER),
	.banner = BANNER,
	.banner_len = sizeof(BANNER) - 1,
};

static struct vt_pcp *pcp_of(void)
{
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;
	struct vt_pcp *p = NULL;
	struct vt_error *err = vt_vmcoreinfo_parse(LAYOUT, strlen(LAYOUT), &vi);

	if (!err)
		err = vt_kernel_profile_init(&kp, vi);
	vt_vmcoreinfo_free(vi);
	if (!err)
		err = vt_pcp_new(&kp, &p);
	if (err)
		fail_msg("unexpected error: %s", err->message);
	assert_non_null(p);
	vt_pcp_set_layout(p, VMEMMAP, 4);
	return p;
}

/* Walk @m; the ranges as "a-b a-b ..." (end exclusive) into @got. */
static struct vt_pcp_listed *walk(struct machine *m,
				  const struct vt_pcp_kernel *k, char *got,
				  size_t len, char *why)
{
	struct vt_pcp *p = pcp_of();
	struct vt_pcp_reader rd = { mem_read, m };
	struct vt_pcp_listed *l = NULL;
	struct vt_error *err;
	size_t at = 0;

	why[0] = got[0] = 0;
	err = vt_pcp_walk(k, p, &rd, KOFF, "6.1.0-test", &l, why, 200);
	vt_pcp_free(p);
	assert_null(err);
	for (size_t i = 0; l && i < l->free.nr && at < len; i++)
		at += (size_t)snprintf(got + at, len - at, "%s%llx-%llx",
				       i ? " " : "",
				       (unsigned long long)l->free.r[i].start,
				       (unsigned long long)l->free.r[i].end);
	return l;
}

static void whole_blocks(void **state)
{
	struct machine *m = build();
	struct vt_pcp_listed *l;
	char got[256], why[200];

	(void)state;
	l = walk(m, &layout, got, sizeof(got), why);
	assert_non_null(l);
	assert_string_equal(got, "10-12 20-22 30-31 200-400");
	assert_int_equal(l->lists, 2 * NLISTS);
	assert_int_equal(l->lists_kept, 0);
	assert_int_equal(l->entries, 5);
	assert_int_equal(l->pages, 517);
	vt_pcp_listed_free(l);
	free(m);
}

/* Older kernels: zone->pageset, order-0 lists only, one per migratetype. */
static void order0_lists(void **state)
{
	struct machine *m = build();
	struct vt_pcp_kernel k = layout;
	struct vt_pcp_listed *l;
	char got[256], why[200];

	(void)state;
	k.order0_only = true;
	k.nr_lists = 3;
	count(m, 0, 2); /* lists 3 and 12 are past the three */
	l = walk(m, &k, got, sizeof(got), why);
	assert_non_null(l);
	assert_string_equal(got, "10-12 30-31");
	assert_int_equal(l->lists, 6);
	vt_pcp_listed_free(l);
	/* with four lists the era is unknown: the walk does not run */
	k.nr_lists = 4;
	assert_null(walk(m, &k, got, sizeof(got), why));
	assert_non_null(strstr(why, "no known kernel"));
	free(m);
}

enum broken {
	B_NEXT, /* 0x10's next is 8 bytes off 0x11's link */
	B_LOOP, /* 0x11's next is 0x10's link */
	B_ALIGN, /* the order-1 entry at an odd pfn */
	B_HEADPREV, /* list 0's head prev is its first entry */
	B_COUNT, /* the count is one page off */
	B_USED, /* an entry has a reference */
	B_NR
};

static void broken_cpu0_kept(void **state)
{
	static const char *const names[B_NR] = {
		"next off", "loop", "misaligned", "head prev", "count", "used",
	};

	(void)state;
	for (int b = 0; b < B_NR; b++) {
		struct machine *m = build();
		struct vt_pcp_listed *l;
		char got[256], why[200];

		switch (b) {
		case B_NEXT:
			put64(m->sp + 0x10 * SP + LRU, lru(0x11) + 8);
			break;
		case B_LOOP:
			put64(m->sp + 0x11 * SP + LRU, lru(0x10));
			break;
		case B_ALIGN: {
			static const uint64_t odd[] = { 0x21 };

			list(m, 0, 3, odd, 1);
			break;
		}
		case B_HEADPREV:
			put64(m->k + (head(0, 0) - KMEM) + 8, lru(0x10));
			break;
		case B_COUNT:
			count(m, 0, 517);
			break;
		default:
			m->sp[0x11 * SP + 52] = 1;
			break;
		}
		l = walk(m, &layout, got, sizeof(got), why);
		assert_non_null(l);
		if (strcmp(got, "30-31") || l->lists_kept != NLISTS)
			fail_msg("%s: got %s, %llu lists kept", names[b], got,
				 (unsigned long long)l->lists_kept);
		vt_pcp_listed_free(l);
		free(m);
	}
}

static void other_kernel_not_walked(void **state)
{
	struct machine *m = build();
	struct vt_pcp_kernel k = layout;
	char got[256], why[200];

	(void)state;
	/* the same release, another build: the bytes differ */
	k.banner[k.banner_len - 1] = 'X';
	assert_null(walk(m, &k, got, sizeof(got), why));
	assert_non_null(strstr(why, "linux_banner"));
	/* another release */
	k = layout;
	memcpy(k.banner, "Linux version 6.12.0 ", 21);
	assert_null(walk(m, &k, got, sizeof(got), why));
	assert_non_null(strstr(why, "6.1.0-test"));
	/* a layout the walk does not know */
	k = layout;
	snprintf(k.unknown, sizeof(k.unknown), "no lists");
	assert_null(walk(m, &k, got, sizeof(got), why));
	assert_string_equal(why, "no lists");
	free(m);
}

static void list_orders(void **state)
{
	(void)state;
	/* pageblock lists: one per migratetype at first, later one or two */
	for (uint64_t n = 12; n <= 15; n++) {
		assert_int_equal(vt_pcp_list_order(0, n, 3, false), 0);
		assert_int_equal(vt_pcp_list_order(5, n, 3, false), 1);
		assert_int_equal(vt_pcp_list_order(11, n, 3, false), 3);
		if (n > 12)
			assert_int_equal(vt_pcp_list_order(n - 1, n, 3, false),
					 9);
		assert_int_equal(vt_pcp_list_order(n, n, 3, false), -1);
	}
	assert_int_equal(vt_pcp_list_order(0, 11, 3, false), -1);
	assert_int_equal(vt_pcp_list_order(0, 16, 3, false), -1);
	assert_int_equal(vt_pcp_list_order(2, 3, 3, true), 0);
	assert_int_equal(vt_pcp_list_order(0, 4, 3, true), -1);
}

static void classes_from_the_walk(void **state)
{
	struct machine *m = build();
	struct vt_pcp *p = pcp_of();
	struct vt_pcp_reader rd = { mem_read, m };
	struct vt_pcp_listed *l;
	static uint8_t cls[NPFN];
	char got[256], why[200];

	(void)state;
	l = walk(m, &layout, got, sizeof(got), why);
	assert_non_null(l);
	memset(cls, VT_CLASS_KEEP, sizeof(cls));
	cls[0x10] = cls[0x11] = cls[0x20] = cls[0x30] = cls[0x200] =
		VT_CLASS_PCP_MAYBE;
	cls[0x40] = VT_CLASS_PCP_MAYBE; /* on no list walked */
	cls[0x300] = VT_CLASS_FREE; /* another class stays */
	m->sp[0x3ff * SP + 52] = 1; /* a tail in use: kept */
	assert_null(vt_pcp_resolve_listed(p, &rd, &l->free, 0, NPFN, cls));
	for (uint64_t i = 0; i < NPFN; i++) {
		uint8_t want = VT_CLASS_KEEP;

		if (i == 0x10 || i == 0x11 || i == 0x20 || i == 0x21 ||
		    i == 0x30 || (i >= 0x200 && i < 0x3ff && i != 0x300))
			want = VT_CLASS_PCP_FREE;
		if (i == 0x300)
			want = VT_CLASS_FREE;
		if (cls[i] != want)
			fail_msg("pfn %#llx: %s, want %s",
				 (unsigned long long)i,
				 vt_page_class_name(cls[i]),
				 vt_page_class_name(want));
	}
	vt_pcp_listed_free(l);
	vt_pcp_free(p);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_blocks),
		cmocka_unit_test(order0_lists),
		cmocka_unit_test(broken_cpu0_kept),
		cmocka_unit_test(other_kernel_not_walked),
		cmocka_unit_test(list_orders),
		cmocka_unit_test(classes_from_the_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
