// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Support for the unit tests that run on mkvmcore vmcores (test_x86_64,
 * test_vmemmap): see support-vmcore.h.
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
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "support-vmcore.h"

static char tmpdir[128];

void check_ok(struct vt_error *err)
{
	if (err) {
		print_error("# unexpected error: %s\n", err->message);
		vt_error_free(err);
		fail();
	}
}

void expect_code(struct vt_error *err, enum vt_error_code code,
		 const char *must_contain)
{
	assert_non_null(err);
	if (err->code != code || !strstr(err->message, must_contain))
		print_error("# got error %d: %s\n", err->code, err->message);
	assert_int_equal(err->code, code);
	assert_non_null(strstr(err->message, must_contain));
	vt_error_free(err);
}

int make_tmpdir(const char *prefix)
{
	int n = snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.XXXXXX", prefix);

	if (n < 0 || (size_t)n >= sizeof(tmpdir))
		return -1;
	return mkdtemp(tmpdir) ? 0 : -1;
}

const char *tmpdir_path(void)
{
	return tmpdir;
}

int remove_tmpdir(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) ? -1 : 0;
}

/* One line of the sidecar into @t; lines of other keys are ignored. */
static void parse_line(struct truth *t, const char *line)
{
	char mode[16];
	uint64_t a, b;

	if (sscanf(line, "max_pfn %" SCNx64, &t->max_pfn) == 1 ||
	    sscanf(line, "page_offset_base %" SCNx64, &t->page_offset_base) ==
		    1 ||
	    sscanf(line, "vmemmap_base %" SCNx64, &t->vmemmap_base) == 1 ||
	    sscanf(line, "kernel_offset %" SCNx64, &t->kernel_offset) == 1 ||
	    sscanf(line, "kernel_phys %" SCNx64, &t->kernel_phys) == 1 ||
	    sscanf(line, "phys_base %" SCNx64, &t->phys_base) == 1 ||
	    sscanf(line, "init_top_pgt_phys %" SCNx64, &t->init_top_pgt_phys) ==
		    1 ||
	    sscanf(line, "ram_pages %" SCNu64, &t->ram_pages) == 1 ||
	    sscanf(line, "l5 %d", &t->l5) == 1)
		return;
	if (sscanf(line, "load %" SCNx64 " %" SCNx64, &a, &b) == 2) {
		assert_true(t->nloads < MAX_LOADS);
		t->load[t->nloads][0] = a;
		t->load[t->nloads++][1] = b;
	} else if (sscanf(line, "vmemmap %" SCNx64 " %15s %" SCNx64, &a, mode,
			  &b) == 3) {
		assert_true(t->nsections < MAX_SECTIONS);
		t->vmm[t->nsections].section = a;
		t->vmm[t->nsections].pfn = b;
		t->vmm[t->nsections++].mode = !strcmp(mode, "pmd") ? VMM_PMD :
					      !strcmp(mode, "split") ?
								     VMM_SPLIT :
								     VMM_PTE4K;
	} else if (sscanf(line, "hvo %" SCNx64 " %" SCNx64, &a, &b) == 2) {
		assert_true(t->nhvo < MAX_HVO);
		t->hvo[t->nhvo][0] = a;
		t->hvo[t->nhvo++][1] = b;
	}
}

void read_truth(const char *path, struct truth *t)
{
	char name[300], line[512];
	FILE *f;

	snprintf(name, sizeof(name), "%s.truth", path);
	f = fopen(name, "r");
	assert_non_null(f);
	memset(t, 0, sizeof(*t));
	while (fgets(line, sizeof(line), f))
		parse_line(t, line);
	fclose(f);
	assert_true(t->max_pfn && t->page_offset_base && t->vmemmap_base);
	assert_true(t->nloads && t->nsections);
}

void make_vmcore(struct vmcore *vc, const char *name, const char *opts)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char cmd[1024];

	snprintf(vc->path, sizeof(vc->path), "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "%s/mkvmcore -o %s %s", build, vc->path,
		 opts);
	if (system(cmd) != 0) {
		print_error("# mkvmcore failed: %s\n", cmd);
		fail();
	}
	read_truth(vc->path, &vc->t);
}

void open_path(struct vmcore *vc, const char *path)
{
	const char *paths[] = { path };

	check_ok(vt_dump_open(paths, 1, &vc->dump));
	check_ok(vt_x86_64_new(vc->dump, vt_dump_profile(vc->dump), &vc->x));
	if (vc->with_vmemmap)
		check_ok(vt_vmemmap_new(vc->dump, vc->x, &vc->vm));
}

void open_vmcore(struct vmcore *vc)
{
	open_path(vc, vc->path);
}

void close_vmcore(struct vmcore *vc)
{
	vt_vmemmap_free(vc->vm);
	vt_x86_64_free(vc->x);
	vt_dump_close(vc->dump);
	vc->vm = NULL;
	vc->x = NULL;
	vc->dump = NULL;
}

int open_state(void **state)
{
	open_vmcore(*state);
	return 0;
}

int close_state(void **state)
{
	close_vmcore(*state);
	return 0;
}

uint64_t truth_vmemmap_pfn(const struct truth *t, uint64_t pfn)
{
	uint64_t s = pfn / SECTION_PFNS, g = pfn % SECTION_PFNS / 64;

	for (unsigned int i = 0; i < t->nsections; i++) {
		if (t->vmm[i].section != s)
			continue;
		if (t->vmm[i].mode == VMM_PTE4K)
			return t->vmm[i].pfn - g;
		for (unsigned int h = 0; h < t->nhvo; h++)
			if (pfn >= t->hvo[h][0] && pfn < t->hvo[h][0] + 512)
				return t->hvo[h][1];
		return t->vmm[i].pfn + g;
	}
	return UINT64_MAX;
}

void patch_paddr(const char *path, uint64_t paddr, uint64_t val)
{
	int fd = open(path, O_RDWR), hits = 0;
	Elf64_Ehdr eh;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		assert_int_equal(
			pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)),
			sizeof(ph));
		if (ph.p_type != PT_LOAD || paddr < ph.p_paddr ||
		    paddr + 8 > ph.p_paddr + ph.p_filesz)
			continue;
		assert_int_equal(
			pwrite(fd, &val, 8, ph.p_offset + paddr - ph.p_paddr),
			8);
		hits++;
	}
	close(fd);
	assert_true(hits > 0);
}
