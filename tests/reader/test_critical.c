// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The critical set (filter/critical.h) on mkvmcore vmcores: the range
 * list's sorting and merging, and that the set holds the top-level table,
 * every vmemmap page of the pfns dumped and none of those not dumped, and
 * no kernel text, in few ranges. (The image's data and the stacks are
 * checked on real dumps: tests/filter/test-critical-real.sh.) (In tests/reader/ for the vmcore
 * support code; the module is filter's.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "critical.h"
#include "support-vmcore.h"
#include "vmemtrim/vmcoreinfo.h"

static struct vmcore vc_a, vc_b, vc_m;

static int setup_all(void **state)
{
	(void)state;
	if (make_tmpdir("test_critical"))
		return -1;
	make_vmcore(
		&vc_a, "a",
		"--ram 2G --profile idle --seed 7 --hvo 3 --vmemmap-4k 1G-1100M --holes 1536M-1664M,600M-610M");
	make_vmcore(&vc_b, "b",
		    "--ram 1536M --profile idle --seed 3 --l5 --nodes 2");
	make_vmcore(&vc_m, "m", "--ram 2G --profile mixed --seed 1 --no-kaslr");
	return 0;
}

/* ---- the range list ------------------------------------------------------- */

static void test_range_list_sorts_and_merges(void **state)
{
	static const uint64_t add[][2] = {
		{ 10, 12 }, { 12, 13 }, { 40, 41 }, { 5, 6 },	{ 20, 30 },
		{ 25, 35 }, { 6, 7 },	{ 0, 0 },   { 50, 51 }, { 41, 42 },
	};
	static const uint64_t want[][2] = {
		{ 5, 7 }, { 10, 13 }, { 20, 35 }, { 40, 42 }, { 50, 51 },
	};
	struct vt_range_list l = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++)
		check_ok(vt_range_list_add(&l, add[i][0], add[i][1]));
	vt_range_list_sort(&l);
	assert_int_equal(l.nr, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < l.nr; i++) {
		assert_int_equal(l.r[i].start, want[i][0]);
		assert_int_equal(l.r[i].end, want[i][1]);
	}
	assert_true(vt_range_list_has(&l, 5));
	assert_true(vt_range_list_has(&l, 34));
	assert_false(vt_range_list_has(&l, 7));
	assert_false(vt_range_list_has(&l, 35));
	assert_false(vt_range_list_has(&l, 51));
	vt_range_list_clear(&l);
}

/* Many ranges out of order: the list stays as long as the distinct ones. */
static void test_range_list_is_bounded_by_distinct_ranges(void **state)
{
	struct vt_range_list l = { 0 };

	(void)state;
	for (int round = 0; round < 100; round++)
		for (uint64_t i = 0; i < 100; i++)
			check_ok(vt_range_list_add(&l, (99 - i) * 4,
						   (99 - i) * 4 + 1));
	assert_true(l.cap <= 256);
	vt_range_list_sort(&l);
	assert_int_equal(l.nr, 100);
	vt_range_list_clear(&l);
}

/* ---- the set of a vmcore ---------------------------------------------------- */

static struct vt_critical *find(struct vmcore *vc,
				const struct vt_critical_dumped *dumped)
{
	struct vt_critical *c = NULL;

	check_ok(vt_critical_find(vc->dump, vt_dump_profile(vc->dump), vc->x,
				  dumped, &c));
	assert_non_null(c);
	return c;
}

static void check_sorted(const struct vt_range_list *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		assert_true(l->r[i].start < l->r[i].end);
		if (i)
			assert_true(l->r[i - 1].end < l->r[i].start);
	}
}

static void test_set_holds_tables_and_vmemmap_not_text(void **state)
{
	struct vmcore *vc = *state;
	struct vt_critical *c = find(vc, NULL);
	uint64_t sum = 0;

	check_sorted(&c->all);
	for (int k = 0; k < VT_CRIT_KINDS; k++) {
		check_sorted(&c->kind[k]);
		sum += c->pages[k];
		for (size_t i = 0; i < c->kind[k].nr; i++)
			for (uint64_t p = c->kind[k].r[i].start;
			     p < c->kind[k].r[i].end; p++)
				assert_true(vt_range_list_has(&c->all, p));
	}
	assert_true(c->total <= sum);
	assert_true(vt_range_list_has(&c->kind[VT_CRIT_TABLES],
				      vc->t.init_top_pgt_phys / 4096));
	/* mkvmcore maps its image executable: all text, none of it kept */
	assert_false(vt_range_list_has(&c->all, vc->t.kernel_phys / 4096));
	assert_int_equal(c->pages[VT_CRIT_IMAGE] + c->pages[VT_CRIT_RODATA], 0);
	assert_null(c->why[VT_CRIT_TABLES]);
	assert_null(c->why[VT_CRIT_IMAGE]);
	assert_null(c->why[VT_CRIT_ROOTS]);
	assert_true(c->pages[VT_CRIT_ROOTS] >= 1);
	/* mkvmcore's VMCOREINFO names kallsyms tables its memory does not
	   hold: the kinds found by symbol are noted, empty, and the rest is
	   found */
	assert_non_null(c->why[VT_CRIT_PERCPU]);
	assert_int_equal(c->why[VT_CRIT_PERCPU]->code, VT_ERR_FORMAT);
	assert_int_equal(c->pages[VT_CRIT_PERCPU] + c->pages[VT_CRIT_SLAB] +
				 c->pages[VT_CRIT_BTF],
			 0);
	/* an ELF vmcore dumps every pfn: every struct page is critical */
	for (unsigned int s = 0; s < vc->t.nsections; s++) {
		uint64_t pfn = vc->t.vmm[s].section * SECTION_PFNS;

		for (uint64_t p = pfn; p < pfn + SECTION_PFNS; p += 4096) {
			enum vt_pfn_state st;
			uint64_t end;

			check_ok(vt_dump_pfn_run(vc->dump, p, &st, &end));
			if (st == VT_PFN_DUMPED)
				assert_true(vt_range_list_has(
					&c->kind[VT_CRIT_VMEMMAP],
					truth_vmemmap_pfn(&vc->t, p)));
		}
	}
	/* bounded: ranges, not pages */
	assert_true(c->all.nr < 1000);
	vt_critical_free(c);
}

/* The pfns of the first section only: its vmemmap, no other. */
static struct vt_error *first_section(void *arg, uint64_t pfn, bool *dumped,
				      uint64_t *run_end)
{
	uint64_t first = *(const uint64_t *)arg;

	*dumped = pfn >= first && pfn < first + SECTION_PFNS;
	*run_end = pfn < first ? first :
		   *dumped     ? first + SECTION_PFNS :
				 UINT64_MAX;
	return NULL;
}

static void test_vmemmap_is_that_of_pfns_dumped(void **state)
{
	struct vmcore *vc = *state;
	uint64_t first = vc->t.vmm[0].section * SECTION_PFNS;
	struct vt_critical_dumped d = { first_section, &first };
	struct vt_critical *c = find(vc, &d);
	uint64_t in = 0, out = 0;

	for (unsigned int s = 0; s < vc->t.nsections; s++) {
		uint64_t pfn = vc->t.vmm[s].section * SECTION_PFNS;
		uint64_t vp = truth_vmemmap_pfn(&vc->t, pfn);

		if (vt_range_list_has(&c->kind[VT_CRIT_VMEMMAP], vp))
			in += s == 0;
		else
			out += s != 0;
	}
	assert_int_equal(in, 1);
	assert_int_equal(out, vc->t.nsections - 1);
	/* 32768 struct pages of 64 bytes */
	assert_int_equal(c->pages[VT_CRIT_VMEMMAP], SECTION_PFNS * 64 / 4096);
	vt_critical_free(c);
}

/*
 * mkvmcore publishes SYMBOL(prb) but writes no ring: that kind is noted
 * (the page of prb itself was read), the rest found.
 */
static void test_missing_log_is_noted(void **state)
{
	struct vmcore *vc = *state;
	struct vt_critical *c = find(vc, NULL);

	assert_non_null(c->why[VT_CRIT_LOG]);
	assert_int_equal(c->why[VT_CRIT_LOG]->code, VT_ERR_NOTMAPPED);
	assert_true(c->pages[VT_CRIT_LOG] <= 1);
	assert_true(c->pages[VT_CRIT_TABLES] > 0);
	assert_string_equal(vt_critical_kind_name(VT_CRIT_ROOTS),
			    "mem_section roots");
	vt_critical_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_list_sorts_and_merges),
		cmocka_unit_test(test_range_list_is_bounded_by_distinct_ranges),
		ON(vc_a, test_set_holds_tables_and_vmemmap_not_text),
		ON(vc_b, test_set_holds_tables_and_vmemmap_not_text),
		ON(vc_m, test_set_holds_tables_and_vmemmap_not_text),
		ON(vc_a, test_vmemmap_is_that_of_pfns_dumped),
		ON(vc_m, test_vmemmap_is_that_of_pfns_dumped),
		ON(vc_m, test_missing_log_is_noted),
	};

	return cmocka_run_group_tests(tests, setup_all, remove_tmpdir);
}
