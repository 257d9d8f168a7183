// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vmemmap map against mkvmcore vmcores and makedumpfile's filtering of
 * them: vmemmap_base and the physical page of every section's struct pages
 * must be the sidecar's (2 MiB, 4 KiB and HVO-shared mappings, 4 and 5
 * levels); an ELF vmcore lacks no struct page; after makedumpfile -e the
 * pfns lacking struct pages must be exactly those an independent
 * computation from the sidecar's vmemmap map and the output's bitmap gives.
 */
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

#include "support-vmcore.h"

/* ---- pfn runs ---------------------------------------------------------------- */

struct runs {
	size_t n, cap;
	uint64_t (*r)[2];
};

static void runs_add(struct runs *rs, uint64_t start, uint64_t end)
{
	if (rs->n && rs->r[rs->n - 1][1] == start) {
		rs->r[rs->n - 1][1] = end;
		return;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 256;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		assert_non_null(rs->r);
	}
	rs->r[rs->n][0] = start;
	rs->r[rs->n++][1] = end;
}

static int truth_has_section(const struct truth *t, uint64_t s)
{
	for (unsigned int i = 0; i < t->nsections; i++)
		if (t->vmm[i].section == s)
			return 1;
	return 0;
}

static int in_ram(const struct truth *t, uint64_t pfn)
{
	for (unsigned int i = 0; i < t->nloads; i++)
		if (pfn >= t->load[i][0] && pfn < t->load[i][1])
			return 1;
	return 0;
}

static enum vt_pfn_state pfn_state(struct vt_dump *d, uint64_t pfn)
{
	enum vt_pfn_state st;
	uint64_t end;

	check_ok(vt_dump_pfn_run(d, pfn, &st, &end));
	return st;
}

/* ---- the vmcores --------------------------------------------------------------- */

static struct vmcore vc_a = { .with_vmemmap = true },
		     vc_b = { .with_vmemmap = true },
		     vc_m = { .with_vmemmap = true },
		     vc_big = { .with_vmemmap = true };
static char m_e_path[300], m_plain_path[300];

static void run(const char *cmd)
{
	if (system(cmd) != 0) {
		print_error("# failed: %s\n", cmd);
		fail();
	}
}

static void makedumpfile(const char *in, const char *out, const char *opts)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "makedumpfile -l -d 31 %s --work-dir %s %s %s >/dev/null 2>&1",
		 opts, tmpdir_path(), in, out);
	run(cmd);
}

static int setup_all(void **state)
{
	(void)state;
	if (make_tmpdir("test_vmemmap"))
		return -1;
	make_vmcore(
		&vc_a, "a",
		"--ram 2G --profile idle --seed 7 --hvo 3 --vmemmap-4k 1G-1100M --holes 1536M-1664M,600M-610M");
	make_vmcore(
		&vc_b, "b",
		"--ram 1536M --profile idle --seed 3 --l5 --nodes 2 --hvo 2 --vmemmap-4k 256M-300M");
	make_vmcore(&vc_m, "m", "--ram 2G --profile mixed --seed 1 --no-kaslr");
	make_vmcore(&vc_big, "big", "--ram 16G --profile idle --seed 1");
	snprintf(m_e_path, sizeof(m_e_path), "%s/m-e.kdump", tmpdir_path());
	snprintf(m_plain_path, sizeof(m_plain_path), "%s/m.kdump",
		 tmpdir_path());
	makedumpfile(vc_m.path, m_e_path, "-e");
	makedumpfile(vc_m.path, m_plain_path, "");
	return 0;
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_vmemmap_base_is_truths(void **state)
{
	struct vmcore *vc = *state;

	assert_int_equal(vt_vmemmap_base(vc->vm), vc->t.vmemmap_base);
	assert_int_equal(vt_vmemmap_section_pfns(vc->vm), SECTION_PFNS);
}

static void check_pfn(struct vmcore *vc, uint64_t pfn)
{
	struct vt_pfn_report r;

	check_ok(vt_vmemmap_pfn(vc->vm, pfn, &r));
	assert_int_equal(r.pfn, pfn);
	assert_int_equal(r.data,
			 in_ram(&vc->t, pfn) ? VT_PFN_DUMPED : VT_PFN_HOLE);
	assert_int_equal(r.struct_page, VT_SP_PRESENT);
	assert_int_equal(r.page_vaddr, vc->t.vmemmap_base + pfn * 64);
	assert_int_equal(r.vmemmap_pfn, truth_vmemmap_pfn(&vc->t, pfn));
	assert_int_equal(r.page_paddr,
			 r.vmemmap_pfn << 12 | (r.page_vaddr & 0xfff));
	assert_int_equal(r.vmemmap_data, VT_PFN_DUMPED);
}

/* Every vmemmap page of every section, through vt_vmemmap_pfn. */
static void test_every_section_struct_page_is_where_truth_says(void **state)
{
	struct vmcore *vc = *state;

	for (unsigned int i = 0; i < vc->t.nsections; i++) {
		uint64_t first = vc->t.vmm[i].section * SECTION_PFNS;

		for (uint64_t g = 0; g < 512; g++)
			check_pfn(vc, first + g * 64 + g % 64);
	}
}

static void test_hvo_pfns_share_one_page(void **state)
{
	struct vmcore *vc = *state;

	assert_true(vc->t.nhvo > 0);
	for (unsigned int h = 0; h < vc->t.nhvo; h++) {
		for (uint64_t pfn = vc->t.hvo[h][0];
		     pfn < vc->t.hvo[h][0] + 512; pfn += 9) {
			struct vt_pfn_report r;

			check_ok(vt_vmemmap_pfn(vc->vm, pfn, &r));
			assert_int_equal(r.vmemmap_pfn, vc->t.hvo[h][1]);
		}
	}
}

static void test_hole_sections_have_no_struct_page(void **state)
{
	struct vmcore *vc = *state;
	unsigned long holes = 0;
	struct vt_pfn_report r;

	for (uint64_t s = 0; s * SECTION_PFNS < vc->t.max_pfn; s++) {
		if (truth_has_section(&vc->t, s))
			continue;
		check_ok(vt_vmemmap_pfn(vc->vm, s * SECTION_PFNS + 77, &r));
		assert_int_equal(r.struct_page, VT_SP_NO_SECTION);
		assert_int_equal(r.page_vaddr, 0);
		assert_int_equal(r.data, VT_PFN_HOLE);
		holes++;
	}
	assert_true(holes > 0);
	/* a partial hole: no RAM, but a struct page (PG_reserved) */
	check_pfn(vc, (600 << 20 >> 12) + 5);
	/* past max_pfn there are no sections */
	check_ok(vt_vmemmap_pfn(vc->vm, vc->t.max_pfn + 3, &r));
	assert_int_equal(r.struct_page, VT_SP_NO_SECTION);
}

struct range_log {
	struct vmcore *vc;
	uint64_t next;
	unsigned long n;
	enum vt_struct_page_state prev;
	uint64_t no_section, present;
};

static int log_range(void *arg, const struct vt_sp_range *r)
{
	struct range_log *l = arg;
	uint64_t s;

	assert_int_equal(r->start_pfn, l->next);
	assert_true(r->end_pfn > r->start_pfn);
	if (l->n)
		assert_int_not_equal(r->state, l->prev);
	/* a section is either all present or has no struct pages */
	for (s = r->start_pfn / SECTION_PFNS; s * SECTION_PFNS < r->end_pfn;
	     s++)
		assert_int_equal(truth_has_section(&l->vc->t, s),
				 r->state == VT_SP_PRESENT);
	if (r->state == VT_SP_PRESENT) {
		assert_int_equal(r->page_vaddr,
				 l->vc->t.vmemmap_base + r->start_pfn * 64);
		assert_int_equal(r->page_paddr >> 12,
				 truth_vmemmap_pfn(&l->vc->t, r->start_pfn));
		l->present += r->end_pfn - r->start_pfn;
	} else {
		assert_int_equal(r->state, VT_SP_NO_SECTION);
		l->no_section += r->end_pfn - r->start_pfn;
	}
	l->prev = r->state;
	l->next = r->end_pfn;
	l->n++;
	return 0;
}

static struct range_log log_ranges(struct vmcore *vc, uint64_t start,
				   uint64_t end)
{
	struct range_log l = { .vc = vc, .next = start };
	uint64_t clipped = end < vc->t.max_pfn ? end : vc->t.max_pfn;

	check_ok(vt_vmemmap_ranges(vc->vm, start, end, log_range, &l));
	assert_int_equal(l.next, start < clipped ? clipped : start);
	return l;
}

static void test_ranges_are_maximal_and_cover(void **state)
{
	struct vmcore *vc = *state;
	struct range_log l = log_ranges(vc, 0, UINT64_MAX);
	uint64_t present = 0;

	for (unsigned int i = 0; i < vc->t.nsections; i++)
		present += SECTION_PFNS;
	assert_int_equal(l.present, present);
	assert_int_equal(l.present + l.no_section, vc->t.max_pfn);
	log_ranges(vc, 12345, 0x50007);
	log_ranges(vc, 0x30000 - 1, 0x30000 + 1);
	l = log_ranges(vc, vc->t.max_pfn - 5, vc->t.max_pfn + 100);
	assert_int_equal(l.n, 1);
	l = log_ranges(vc, vc->t.max_pfn + 5, vc->t.max_pfn + 100);
	assert_int_equal(l.n, 0);
}

static int stop_now(void *arg, const struct vt_sp_range *r)
{
	(void)r;
	++*(int *)arg;
	return 1;
}

static void test_ranges_stop_when_callback_says_so(void **state)
{
	struct vmcore *vc = *state;
	int n = 0;

	check_ok(vt_vmemmap_ranges(vc->vm, 0, UINT64_MAX, stop_now, &n));
	assert_int_equal(n, 1);
}

/* vmemmap pages holding struct pages of pfns below max_pfn, HVO once. */
static uint64_t truth_vmemmap_pages(const struct truth *t)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < t->nsections; i++) {
		uint64_t first = t->vmm[i].section * SECTION_PFNS;
		uint64_t pfns = t->max_pfn - first < SECTION_PFNS ?
					t->max_pfn - first :
					SECTION_PFNS;

		n += (pfns * 64 + 4095) / 4096;
	}
	return n - 7 * t->nhvo;
}

static void test_elf_vmcore_lacks_no_struct_page(void **state)
{
	struct vmcore *vc = *state;
	struct vt_vmemmap_summary s;

	check_ok(vt_vmemmap_summarize(vc->vm, &s));
	assert_int_equal(s.section_pfns, vc->t.nsections * SECTION_PFNS);
	assert_int_equal(s.ram_pfns, vc->t.ram_pages);
	assert_int_equal(s.missing_pfns, 0);
	assert_int_equal(s.missing_ranges, 0);
	assert_int_equal(s.missing_ram_pfns, 0);
	assert_int_equal(s.vmemmap_pages, truth_vmemmap_pages(&vc->t));
	assert_int_equal(s.vmemmap_pages_excluded, 0);
}

/*
 * The independent answer: each vmemmap page of the sidecar's map holds
 * the struct pages of 64 pfns; they are missing when that page is not
 * dumped in @dump.
 */
static void expected_missing(const struct truth *t, struct vt_dump *dump,
			     struct runs *rs, uint64_t *pages_excluded)
{
	uint64_t last = UINT64_MAX;

	*pages_excluded = 0;
	for (unsigned int i = 0; i < t->nsections; i++) {
		for (uint64_t g = 0; g < 512; g++) {
			uint64_t pfn =
				t->vmm[i].section * SECTION_PFNS + g * 64;
			uint64_t vp = truth_vmemmap_pfn(t, pfn);
			uint64_t end =
				pfn + 64 < t->max_pfn ? pfn + 64 : t->max_pfn;

			if (pfn >= t->max_pfn)
				break;
			if (pfn_state(dump, vp) == VT_PFN_DUMPED)
				continue;
			runs_add(rs, pfn, end);
			*pages_excluded += vp != last;
			last = vp;
		}
	}
}

struct missing_log {
	struct runs rs;
	struct vt_dump *dump;
	int filtered; /* by makedumpfile, which keeps needed struct pages */
};

static int log_missing(void *arg, const struct vt_sp_range *r)
{
	struct missing_log *m = arg;

	if (r->state == VT_SP_PRESENT || r->state == VT_SP_NO_SECTION)
		return 0;
	/* makedumpfile drops only vmemmap pages: never a page table */
	assert_int_equal(r->state, VT_SP_EXCLUDED);
	/* and only those whose pfns' own data is not dumped */
	for (uint64_t pfn = r->start_pfn; m->filtered && pfn < r->end_pfn;) {
		enum vt_pfn_state st;
		uint64_t end;

		check_ok(vt_dump_pfn_run(m->dump, pfn, &st, &end));
		assert_int_not_equal(st, VT_PFN_DUMPED);
		pfn = end;
	}
	runs_add(&m->rs, r->start_pfn, r->end_pfn);
	return 0;
}

static void check_filtered(struct vmcore *vc, const char *kdump, int want_some)
{
	struct missing_log got = { .filtered = strcmp(kdump, vc->path) != 0 };
	struct runs want = { 0 };
	struct vt_vmemmap_summary s;
	struct vmcore k = { .t = vc->t, .with_vmemmap = true };
	uint64_t pages_excluded, pfns = 0;

	open_path(&k, kdump);
	got.dump = k.dump;
	assert_int_equal(vt_vmemmap_base(k.vm), vc->t.vmemmap_base);
	expected_missing(&vc->t, k.dump, &want, &pages_excluded);
	check_ok(vt_vmemmap_ranges(k.vm, 0, UINT64_MAX, log_missing, &got));
	assert_int_equal(got.rs.n, want.n);
	for (size_t i = 0; i < want.n; i++) {
		assert_int_equal(got.rs.r[i][0], want.r[i][0]);
		assert_int_equal(got.rs.r[i][1], want.r[i][1]);
		pfns += want.r[i][1] - want.r[i][0];
	}
	assert_true(want_some ? want.n > 0 : want.n == 0);
	check_ok(vt_vmemmap_summarize(k.vm, &s));
	assert_int_equal(s.missing_pfns, pfns);
	assert_int_equal(s.missing_ranges, want.n);
	assert_int_equal(s.vmemmap_pages, truth_vmemmap_pages(&vc->t));
	assert_int_equal(s.vmemmap_pages_excluded, pages_excluded);
	assert_int_equal(s.ram_pfns, vc->t.ram_pages);
	free(got.rs.r);
	free(want.r);
	close_vmcore(&k);
}

static void
test_makedumpfile_e_missing_ranges_are_independent_ones(void **state)
{
	check_filtered(*state, m_e_path, 1);
}

static void test_makedumpfile_without_e_lacks_no_struct_page(void **state)
{
	check_filtered(*state, m_plain_path, 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 4M pfns: the work must be per leaf and per run, not per pfn. */
static void test_big_machine_is_summarized_fast(void **state)
{
	struct vmcore *vc = *state;
	struct vt_vmemmap_summary s;
	struct range_log l;
	double t0 = now();

	check_ok(vt_vmemmap_summarize(vc->vm, &s));
	l = log_ranges(vc, 0, UINT64_MAX);
	assert_int_equal(s.missing_pfns, 0);
	assert_int_equal(s.section_pfns, l.present);
	assert_int_equal(s.vmemmap_pages, truth_vmemmap_pages(&vc->t));
	if (now() - t0 > 1.0)
		print_error("# 16 GiB summary took %.2f s\n", now() - t0);
	assert_true(now() - t0 < 1.0);
}

/* Replace the first @old in the file's first MiB (the notes) by @new. */
static void patch_text(const char *path, const char *old, const char *new)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDWR);
	ssize_t n;
	char *at;

	assert_true(fd >= 0);
	n = pread(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	at = memmem(buf, (size_t)n, old, strlen(old));
	assert_non_null(at);
	assert_int_equal(pwrite(fd, new, strlen(new), at - buf),
			 (ssize_t)strlen(new));
	close(fd);
}

static void expect_new_fails(struct vmcore *vc, enum vt_error_code code,
			     const char *must_contain)
{
	const char *paths[] = { vc->path };
	struct vt_vmemmap *vm = (void *)1;
	struct vt_dump *d;
	struct vt_x86_64 *x;

	check_ok(vt_dump_open(paths, 1, &d));
	check_ok(vt_x86_64_new(d, vt_dump_profile(d), &x));
	expect_code(vt_vmemmap_new(d, x, &vm), code, must_contain);
	assert_null(vm);
	vt_x86_64_free(x);
	vt_dump_close(d);
}

/*
 * A VMCOREINFO without SYMBOL(mem_section), and a root pointer that points
 * nowhere, are errors that name what is wrong.
 */
static void test_broken_mem_section_is_named(void **state)
{
	struct vmcore *vc = *state;
	uint64_t root_pa, root0, nowhere = 0xffffc00000000000ULL;
	char name[64];

	close_vmcore(vc);
	patch_text(vc->path, "SYMBOL(mem_section)=", "SYMBOL(mem_sectioX)=");
	expect_new_fails(vc, VT_ERR_NOKEY, "SYMBOL(mem_section)");
	patch_text(vc->path, "SYMBOL(mem_sectioX)=", "SYMBOL(mem_section)=");

	open_vmcore(vc);
	check_ok(vt_x86_64_vtop(
		vc->x,
		(uint64_t)vt_dump_profile(vc->dump)->sym_mem_section.value,
		&root_pa, NULL));
	check_ok(vt_dump_read_paddr(vc->dump, root_pa, &root0, 8));
	close_vmcore(vc);
	patch_paddr(vc->path, root_pa, nowhere);
	/* the only root: no memmap left, and the error says which root */
	snprintf(name, sizeof(name), "root 0 at vaddr %#" PRIx64, nowhere);
	expect_new_fails(vc, VT_ERR_FORMAT, name);
	patch_paddr(vc->path, root_pa, root0);
	open_vmcore(vc);
}

/*
 * Cut the file data of the PT_LOAD that ends at max_pfn at @pfn (p_filesz
 * < p_memsz: the rest is RAM without data). Returns the old p_filesz.
 */
static uint64_t set_last_filesz(const char *path, uint64_t max_pfn,
				uint64_t filesz_end_pfn, uint64_t restore)
{
	int fd = open(path, O_RDWR);
	uint64_t old = UINT64_MAX;
	Elf64_Ehdr eh;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		off_t at = (off_t)(eh.e_phoff + i * sizeof(Elf64_Phdr));
		Elf64_Phdr ph;

		assert_int_equal(pread(fd, &ph, sizeof(ph), at), sizeof(ph));
		if (ph.p_type != PT_LOAD ||
		    ph.p_paddr + ph.p_memsz != max_pfn << 12)
			continue;
		old = ph.p_filesz;
		ph.p_filesz =
			restore ? restore : (filesz_end_pfn << 12) - ph.p_paddr;
		assert_int_equal(pwrite(fd, &ph, sizeof(ph), at), sizeof(ph));
	}
	close(fd);
	assert_int_not_equal(old, UINT64_MAX);
	return old;
}

/*
 * Without a filtered dump: leave the top of RAM, where the memmap of
 * several sections lives, without data, and compare with the same
 * independent computation.
 */
static void test_elf_without_memmap_data_misses_independent_ones(void **state)
{
	struct vmcore *vc = *state;
	uint64_t top = 0, old;

	for (unsigned int i = 0; i < vc->t.nsections; i++)
		if (vc->t.vmm[i].mode != VMM_PTE4K && vc->t.vmm[i].pfn > top)
			top = vc->t.vmm[i].pfn;
	close_vmcore(vc);
	old = set_last_filesz(vc->path, vc->t.max_pfn, top - 300, 0);
	check_filtered(vc, vc->path, 1);
	set_last_filesz(vc->path, vc->t.max_pfn, 0, old);
	open_vmcore(vc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ON(vc_a, test_vmemmap_base_is_truths),
		ON(vc_b, test_vmemmap_base_is_truths),
		ON(vc_m, test_vmemmap_base_is_truths),
		ON(vc_big, test_vmemmap_base_is_truths),
		ON(vc_a, test_every_section_struct_page_is_where_truth_says),
		ON(vc_b, test_every_section_struct_page_is_where_truth_says),
		ON(vc_m, test_every_section_struct_page_is_where_truth_says),
		ON(vc_a, test_hvo_pfns_share_one_page),
		ON(vc_b, test_hvo_pfns_share_one_page),
		ON(vc_a, test_hole_sections_have_no_struct_page),
		ON(vc_a, test_ranges_are_maximal_and_cover),
		ON(vc_b, test_ranges_are_maximal_and_cover),
		ON(vc_a, test_ranges_stop_when_callback_says_so),
		ON(vc_a, test_elf_vmcore_lacks_no_struct_page),
		ON(vc_b, test_elf_vmcore_lacks_no_struct_page),
		ON(vc_m, test_elf_vmcore_lacks_no_struct_page),
		ON(vc_m,
		   test_makedumpfile_e_missing_ranges_are_independent_ones),
		ON(vc_m, test_makedumpfile_without_e_lacks_no_struct_page),
		ON(vc_big, test_big_machine_is_summarized_fast),
		ON(vc_a, test_broken_mem_section_is_named),
		ON(vc_a, test_elf_without_memmap_data_misses_independent_ones),
		ON(vc_b, test_elf_without_memmap_data_misses_independent_ones),
	};

	return cmocka_run_group_tests(tests, setup_all, remove_tmpdir);
}
