// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * x86_64 translation against mkvmcore vmcores: the page tables mkvmcore
 * builds must translate to the physical addresses its ground truth names,
 * for 4- and 5-level paging, with and without KASLR, 1 GiB / 2 MiB / 4 KiB
 * leaves; range walks must be ascending, clipped and gap-free; entries
 * patched to point outside the machine or at a hole must be reported as
 * such.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/x86_64.h"

#include "support-vmcore.h"

/* ---- walk checking -------------------------------------------------------- */

struct walk_log {
	uint64_t next; /* where the next leaf must start */
	unsigned long n, mapped;
	uint64_t sizes; /* bit k: a MAPPED leaf of 2^k bytes seen */
	uint64_t direct_base; /* if non-zero: MAPPED paddr = vaddr - base */
	struct vt_leaf first, last;
};

static int log_leaf(void *arg, const struct vt_leaf *l)
{
	struct walk_log *w = arg;

	assert_int_equal(l->vaddr, w->next);
	assert_true(l->size > 0);
	assert_true(l->level >= 1 && l->level <= 5);
	if (l->kind == VT_LEAF_MAPPED) {
		w->mapped++;
		w->sizes |= l->size;
		if (w->direct_base)
			assert_int_equal(l->paddr, l->vaddr - w->direct_base);
	}
	if (!w->n)
		w->first = *l;
	w->last = *l;
	w->n++;
	w->next = l->vaddr + l->size;
	return 0;
}

static struct walk_log walk(struct vmcore *vc, uint64_t start, uint64_t end,
			    uint64_t direct_base)
{
	struct walk_log w = { .next = start, .direct_base = direct_base };

	check_ok(vt_x86_64_walk(vc->x, start, end, log_leaf, &w));
	assert_int_equal(w.next, end);
	return w;
}

/* ---- the vmcores ------------------------------------------------------------ */

static struct vmcore vc_kaslr, vc_l5, vc_fixed;

static int setup_all(void **state)
{
	(void)state;
	if (make_tmpdir("test_x86_64"))
		return -1;
	make_vmcore(
		&vc_kaslr, "kaslr",
		"--ram 2G --profile idle --seed 7 --hvo 2 --vmemmap-4k 1G-1100M --holes 1536M-1664M,600M-610M");
	make_vmcore(
		&vc_l5, "l5",
		"--ram 1536M --profile idle --seed 3 --l5 --vmemmap-4k 256M-300M");
	make_vmcore(&vc_fixed, "fixed",
		    "--ram 5G --profile idle --seed 1 --no-kaslr --nodes 2");
	return 0;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_levels_follow_pgtable_l5_enabled(void **state)
{
	struct vmcore *vc = *state;

	assert_int_equal(vt_x86_64_levels(vc->x), vc->t.l5 ? 5 : 4);
}

static void test_kernel_text_translates_to_load_address(void **state)
{
	const struct vt_kernel_profile *kp;
	struct vmcore *vc = *state;
	uint64_t pa, leaf, v;

	kp = vt_dump_profile(vc->dump);
	v = (uint64_t)kp->sym_init_top_pgt.value;
	assert_int_equal(vt_x86_64_ktext_paddr(vc->x, v),
			 vc->t.init_top_pgt_phys);
	check_ok(vt_x86_64_vtop(vc->x, v, &pa, &leaf));
	assert_int_equal(pa, vc->t.init_top_pgt_phys);
	assert_int_equal(leaf, 2 * MIB);
	/* _text: the start of the image, 0xffffffff81000000 + KASLR */
	v = 0xffffffff81000000ULL + vc->t.kernel_offset;
	check_ok(vt_x86_64_vtop(vc->x, v + 0x123, &pa, NULL));
	assert_int_equal(pa, vc->t.kernel_phys + 0x123);
}

/* Every RAM range: first, middle and last byte, and page offsets. */
/* Whether the aligned GiB around @paddr is all RAM (one PT_LOAD). */
static int whole_gib_ram(const struct truth *t, uint64_t paddr)
{
	uint64_t lo = paddr & ~(GIB - 1);

	for (unsigned int i = 0; i < t->nloads; i++)
		if (t->load[i][0] << 12 <= lo && lo + GIB <= t->load[i][1]
								     << 12)
			return 1;
	return 0;
}

static void test_direct_map_translates_ram(void **state)
{
	struct vmcore *vc = *state;
	unsigned long n = 0;

	for (unsigned int i = 0; i < vc->t.nloads; i++) {
		uint64_t lo = vc->t.load[i][0] << 12,
			 hi = vc->t.load[i][1] << 12;
		uint64_t probe[] = { lo, lo + 0x8, (lo + hi) / 2 + 0x7ff,
				     hi - 0x1000, hi - 1 };

		for (unsigned int k = 0; k < 5; k++) {
			uint64_t pa, leaf;

			check_ok(vt_x86_64_vtop(
				vc->x, vc->t.page_offset_base + probe[k], &pa,
				&leaf));
			assert_int_equal(pa, probe[k]);
			assert_true(leaf == 4096 || leaf == 2 * MIB ||
				    leaf == GIB);
			/* mkvmcore maps a GiB with one leaf iff it is RAM */
			assert_int_equal(leaf == GIB,
					 whole_gib_ram(&vc->t, probe[k]));
			n++;
		}
	}
	assert_true(n >= 5);
}

static void check_vmemmap_page(struct vmcore *vc, uint64_t pfn,
			       uint64_t want_leaf)
{
	uint64_t v = vc->t.vmemmap_base + pfn * 64, pa, leaf;

	check_ok(vt_x86_64_vtop(vc->x, v, &pa, &leaf));
	assert_int_equal(pa >> 12, truth_vmemmap_pfn(&vc->t, pfn));
	assert_int_equal(pa & 0xfff, v & 0xfff);
	assert_int_equal(leaf, want_leaf);
}

/* Struct pages of pfns of every section land on the sidecar's pages. */
static void test_vmemmap_translates_to_truth(void **state)
{
	struct vmcore *vc = *state;
	unsigned long pte4k = 0, pmd = 0;

	for (unsigned int i = 0; i < vc->t.nsections; i++) {
		uint64_t first = vc->t.vmm[i].section * SECTION_PFNS;
		uint64_t want = vc->t.vmm[i].mode == VMM_PMD ? 2 * MIB : 4096;

		for (uint64_t g = 0; g < 512; g += 1 + (g & 7))
			check_vmemmap_page(vc, first + g * 64 + (g & 63), want);
		check_vmemmap_page(vc, first + SECTION_PFNS - 1, want);
		pte4k += vc->t.vmm[i].mode == VMM_PTE4K;
		pmd += vc->t.vmm[i].mode == VMM_PMD;
	}
	assert_true(pte4k > 0 && pmd > 0);
}

static void test_hvo_tails_translate_to_shared_page(void **state)
{
	struct vmcore *vc = *state;

	assert_true(vc->t.nhvo > 0);
	for (unsigned int h = 0; h < vc->t.nhvo; h++) {
		for (uint64_t k = 0; k < 8; k++) {
			uint64_t pfn = vc->t.hvo[h][0] + k * 64 + 5, pa;

			check_ok(vt_x86_64_vtop(vc->x,
						vc->t.vmemmap_base + pfn * 64,
						&pa, NULL));
			assert_int_equal(pa >> 12, vc->t.hvo[h][1]);
		}
	}
}

static void test_unmapped_addresses_are_notmapped(void **state)
{
	struct vmcore *vc = *state;
	uint64_t pa, top = vc->t.l5 ? 1ULL << 56 : 1ULL << 47;
	uint64_t bad[] = {
		0x1000, /* user space: nothing mapped */
		top, /* first non-canonical address */
		~top + 1 - 0x1000, /* last page below the kernel half */
		/* vmemmap past the last section */
		vc->t.vmemmap_base + 64 * (vc->t.max_pfn + 2 * SECTION_PFNS),
		/* direct map 64 GiB past the end of RAM */
		vc->t.page_offset_base + (vc->t.max_pfn << 12) + 64 * GIB,
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vt_error *err = vt_x86_64_vtop(vc->x, bad[i], &pa, NULL);
		char hex[32];

		snprintf(hex, sizeof(hex), "%#" PRIx64, bad[i]);
		expect_code(err, VT_ERR_NOTMAPPED, hex);
	}
}

/* The PCI hole (3-4 GiB) is not RAM, so not in the direct map. */
static void test_pci_hole_is_not_in_direct_map(void **state)
{
	struct vmcore *vc = *state;
	uint64_t pa;

	expect_code(vt_x86_64_vtop(vc->x,
				   vc->t.page_offset_base + 3 * GIB + 0x5000,
				   &pa, NULL),
		    VT_ERR_NOTMAPPED, "not present");
	check_ok(vt_x86_64_vtop(vc->x, vc->t.page_offset_base + 4 * GIB, &pa,
				NULL));
	assert_int_equal(pa, 4 * GIB);
}

static void test_walk_direct_map_is_contiguous_and_exact(void **state)
{
	struct vmcore *vc = *state;
	uint64_t start = vc->t.page_offset_base;
	uint64_t end = start + (vc->t.max_pfn << 12) + 3 * GIB + 0x3000;
	struct walk_log w = walk(vc, start, end, start);

	assert_true(w.mapped > 0);
	assert_true(w.sizes & (2 * MIB));
	assert_true(w.sizes & 4096); /* the first MiB has 4 KiB holes */
	assert_int_equal(w.first.vaddr, start);
	assert_int_equal(w.last.kind, VT_LEAF_UNMAPPED);
	/* the work is per leaf: a 1 GiB-mapped machine has few of them */
	assert_true(w.n < 4000);
}

struct vmm_walk {
	struct vmcore *vc;
	uint64_t next;
	unsigned long leaves_2m, leaves_4k;
};

/* Every vmemmap leaf lands where the sidecar says, with the right size. */
static int check_vmm_leaf(void *arg, const struct vt_leaf *l)
{
	struct vmm_walk *w = arg;
	uint64_t pfn = (l->vaddr - w->vc->t.vmemmap_base) / 64;
	uint64_t want = truth_vmemmap_pfn(&w->vc->t, pfn);

	assert_int_equal(l->vaddr, w->next);
	w->next += l->size;
	if (want == UINT64_MAX) {
		assert_int_not_equal(l->kind, VT_LEAF_MAPPED);
		return 0;
	}
	assert_int_equal(l->kind, VT_LEAF_MAPPED);
	assert_int_equal(l->paddr >> 12, want);
	if (l->size == 2 * MIB) {
		assert_int_equal(l->level, 2);
		w->leaves_2m++;
	} else {
		assert_int_equal(l->size, 4096);
		assert_int_equal(l->level, 1);
		w->leaves_4k++;
	}
	return 0;
}

static void test_walk_vmemmap_leaves_match_truth(void **state)
{
	struct vmcore *vc = *state;
	uint64_t start = vc->t.vmemmap_base;
	uint64_t end = start + (vc->t.max_pfn + SECTION_PFNS) * 64;
	struct vmm_walk w = { .vc = vc, .next = start };
	unsigned long want_2m = 0, want_4k = 0;

	check_ok(vt_x86_64_walk(vc->x, start, end, check_vmm_leaf, &w));
	assert_int_equal(w.next, end);
	for (unsigned int i = 0; i < vc->t.nsections; i++) {
		want_2m += vc->t.vmm[i].mode == VMM_PMD;
		want_4k += vc->t.vmm[i].mode == VMM_PMD ? 0 : 512;
	}
	assert_int_equal(w.leaves_2m, want_2m);
	assert_int_equal(w.leaves_4k, want_4k);
}

static void test_walk_clips_to_range(void **state)
{
	struct vmcore *vc = *state;
	uint64_t s = vc->t.vmemmap_base + 100;
	struct walk_log w = walk(vc, s, s + 2 * MIB + 200, 0);

	assert_int_equal(w.first.vaddr, s);
	assert_int_equal(w.first.kind, VT_LEAF_MAPPED);
	assert_int_equal(w.first.paddr & (2 * MIB - 1), 100);
	assert_int_equal(w.last.vaddr + w.last.size, s + 2 * MIB + 200);
	/* an empty range calls nothing */
	w = walk(vc, s, s, 0);
	assert_int_equal(w.n, 0);
}

static int stop_at_third(void *arg, const struct vt_leaf *l)
{
	(void)l;
	return ++*(int *)arg == 3 ? 42 : 0;
}

static void test_walk_stops_when_callback_says_so(void **state)
{
	struct vmcore *vc = *state;
	int n = 0;

	check_ok(vt_x86_64_walk(vc->x, vc->t.page_offset_base,
				vc->t.page_offset_base + 64 * GIB,
				stop_at_third, &n));
	assert_int_equal(n, 3);
}

/* The whole address space in a bounded number of pieces. */
static void test_walk_whole_address_space_is_bounded(void **state)
{
	struct vmcore *vc = *state;
	struct walk_log w = walk(vc, 0, UINT64_MAX & ~0xfffULL, 0);

	assert_true(w.mapped > 0);
	assert_true(w.n < 200000);
	/* the non-canonical hole is one piece */
	w = walk(vc, (vc->t.l5 ? 1ULL << 56 : 1ULL << 47) - 0x1000,
		 (vc->t.l5 ? ~0ULL << 56 : ~0ULL << 47) + 0x1000, 0);
	assert_int_equal(w.n, 3);
}

static void test_missing_keys_are_named(void **state)
{
	struct vmcore *vc = *state;
	struct vt_kernel_profile kp = *vt_dump_profile(vc->dump);
	struct vt_x86_64 *x = (void *)1;

	kp.sym_init_top_pgt.known = false;
	expect_code(vt_x86_64_new(vc->dump, &kp, &x), VT_ERR_NOKEY,
		    "SYMBOL(init_top_pgt)");
	assert_null(x);
	kp = *vt_dump_profile(vc->dump);
	kp.phys_base.known = false;
	expect_code(vt_x86_64_new(vc->dump, &kp, &x), VT_ERR_NOKEY,
		    "NUMBER(phys_base)");
}

/* Where in its table the entry mapping @vaddr sits, found by a walk. */
static int find_leaf(void *arg, const struct vt_leaf *l)
{
	*(struct vt_leaf *)arg = *l;
	return 1;
}

static uint64_t entry_paddr(struct vmcore *vc, uint64_t vaddr, int *level)
{
	struct vt_leaf l = { .level = 0 };
	unsigned int shift;

	check_ok(vt_x86_64_walk(vc->x, vaddr, vaddr + 1, find_leaf, &l));
	assert_int_equal(l.kind, VT_LEAF_MAPPED);
	*level = l.level;
	shift = 12 + 9 * (unsigned int)(l.level - 1);
	return l.table_paddr + ((vaddr >> shift) & 511) * 8;
}

/* The first section after the first two whose memmap is a PMD leaf. */
static uint64_t pmd_section(const struct truth *t)
{
	for (unsigned int i = 0; i < t->nsections; i++)
		if (t->vmm[i].section >= 2 && t->vmm[i].mode == VMM_PMD)
			return t->vmm[i].section;
	fail();
	return 0;
}

/*
 * Patch the vmemmap PMD entries of sections 0 and 1 to point past max_pfn
 * (BAD) and at a PTE table in the legacy hole (TABLE_ABSENT), and a third
 * one's large leaf to carry the PAT bit and a memory-encryption bit.
 */
static void test_patched_entries_are_reported(void **state)
{
	struct vmcore *vc = *state;
	uint64_t s2 = pmd_section(&vc->t), v0, v1, v2, e0, e1, e2, pa, leaf;
	uint64_t want2 = truth_vmemmap_pfn(&vc->t, s2 * SECTION_PFNS);
	struct vt_kernel_profile kp;
	struct vt_x86_64 *x;
	struct walk_log w;
	int lvl;

	v0 = vc->t.vmemmap_base;
	v1 = vc->t.vmemmap_base + SECTION_PFNS * 64;
	v2 = vc->t.vmemmap_base + s2 * SECTION_PFNS * 64;
	e0 = entry_paddr(vc, v0, &lvl);
	assert_int_equal(lvl, 2);
	e1 = entry_paddr(vc, v1, &lvl);
	assert_int_equal(lvl, 2);
	e2 = entry_paddr(vc, v2, &lvl);
	assert_int_equal(lvl, 2);
	close_vmcore(vc);
	patch_paddr(vc->path, e0, (vc->t.max_pfn << 12) | 0x1e3);
	patch_paddr(vc->path, e1, 0xa0000 | 0x063);
	patch_paddr(vc->path, e2, want2 << 12 | 1ULL << 47 | 0x1000 | 0x1e3);
	open_vmcore(vc);

	expect_code(vt_x86_64_vtop(vc->x, v0 + 64, &pa, NULL), VT_ERR_FORMAT,
		    "level 2");
	expect_code(vt_x86_64_vtop(vc->x, v1 + 64, &pa, NULL), VT_ERR_NODATA,
		    "0xa0000");
	/* the dump's sme_mask is 0: bit 47 is address, beyond the machine */
	expect_code(vt_x86_64_vtop(vc->x, v2 + 64, &pa, NULL), VT_ERR_FORMAT,
		    "points beyond");
	kp = *vt_dump_profile(vc->dump);
	kp.sme_mask = (struct vt_opt){ .known = true, .value = 1LL << 47 };
	check_ok(vt_x86_64_new(vc->dump, &kp, &x));
	check_ok(vt_x86_64_vtop(x, v2 + 64, &pa, &leaf));
	assert_int_equal(pa, (want2 << 12) + 64);
	assert_int_equal(leaf, 2 * MIB);
	vt_x86_64_free(x);

	w = walk(vc, v0, v0 + 4 * MIB, 0);
	assert_int_equal(w.n, 2);
	assert_int_equal(w.first.kind, VT_LEAF_BAD);
	assert_int_equal(w.first.size, 2 * MIB);
	assert_int_equal(w.first.level, 2);
	assert_int_equal(w.last.kind, VT_LEAF_TABLE_ABSENT);
	assert_int_equal(w.last.size, 2 * MIB);
	assert_int_equal(w.last.level, 1);
	assert_int_equal(w.last.table_paddr, 0xa0000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ON(vc_kaslr, test_levels_follow_pgtable_l5_enabled),
		ON(vc_l5, test_levels_follow_pgtable_l5_enabled),
		ON(vc_kaslr, test_kernel_text_translates_to_load_address),
		ON(vc_l5, test_kernel_text_translates_to_load_address),
		ON(vc_fixed, test_kernel_text_translates_to_load_address),
		ON(vc_kaslr, test_direct_map_translates_ram),
		ON(vc_l5, test_direct_map_translates_ram),
		ON(vc_fixed, test_direct_map_translates_ram),
		ON(vc_kaslr, test_vmemmap_translates_to_truth),
		ON(vc_l5, test_vmemmap_translates_to_truth),
		ON(vc_kaslr, test_hvo_tails_translate_to_shared_page),
		ON(vc_kaslr, test_unmapped_addresses_are_notmapped),
		ON(vc_l5, test_unmapped_addresses_are_notmapped),
		ON(vc_fixed, test_unmapped_addresses_are_notmapped),
		ON(vc_fixed, test_pci_hole_is_not_in_direct_map),
		ON(vc_kaslr, test_walk_direct_map_is_contiguous_and_exact),
		ON(vc_l5, test_walk_direct_map_is_contiguous_and_exact),
		ON(vc_fixed, test_walk_direct_map_is_contiguous_and_exact),
		ON(vc_kaslr, test_walk_vmemmap_leaves_match_truth),
		ON(vc_l5, test_walk_vmemmap_leaves_match_truth),
		ON(vc_fixed, test_walk_vmemmap_leaves_match_truth),
		ON(vc_kaslr, test_walk_clips_to_range),
		ON(vc_l5, test_walk_clips_to_range),
		ON(vc_kaslr, test_walk_stops_when_callback_says_so),
		ON(vc_kaslr, test_walk_whole_address_space_is_bounded),
		ON(vc_l5, test_walk_whole_address_space_is_bounded),
		ON(vc_kaslr, test_missing_keys_are_named),
		ON(vc_fixed, test_patched_entries_are_reported),
		ON(vc_l5, test_patched_entries_are_reported),
	};

	return cmocka_run_group_tests(tests, setup_all, remove_tmpdir);
}
