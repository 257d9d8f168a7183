/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the unit tests that run on mkvmcore vmcores share: the sidecar's
 * ground truth, making and opening a vmcore in a temporary directory,
 * error checks, and patching a vmcore's memory. Include after <cmocka.h>.
 */
#ifndef VMEMTRIM_TESTS_SUPPORT_VMCORE_H
#define VMEMTRIM_TESTS_SUPPORT_VMCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define SECTION_PFNS 32768ULL
#define MAX_LOADS 64
#define MAX_SECTIONS 1024
#define MAX_HVO 64

enum vmm_mode { VMM_PMD, VMM_SPLIT, VMM_PTE4K };

/* What the sidecar says (the parts the tests use). */
struct truth {
	uint64_t max_pfn, page_offset_base, vmemmap_base, kernel_offset;
	uint64_t kernel_phys, phys_base, init_top_pgt_phys, ram_pages;
	int l5;
	unsigned int nloads, nsections, nhvo;
	uint64_t load[MAX_LOADS][2];
	struct {
		uint64_t section, pfn;
		enum vmm_mode mode;
	} vmm[MAX_SECTIONS];
	uint64_t hvo[MAX_HVO][2]; /* head pfn, shared vmemmap pfn */
};

struct vmcore {
	char path[256];
	struct truth t;
	struct vt_dump *dump;
	struct vt_x86_64 *x;
	struct vt_vmemmap *vm;
	bool with_vmemmap; /* opening also makes vm */
};

/* One test on one vmcore, named after both. */
#define ON(vc, t)                                                              \
	{                                                                      \
		.name = #vc ": " #t, .test_func = t, .setup_func = open_state, \
		.teardown_func = close_state, .initial_state = &vc             \
	}

/* Fail the test if @err is set (and free it). */
void check_ok(struct vt_error *err);

/* Assert that @err has @code and a message containing @must_contain. */
void expect_code(struct vt_error *err, enum vt_error_code code,
		 const char *must_contain);

/* Create the test's directory /tmp/@prefix.XXXXXX; 0 or -1. */
int make_tmpdir(const char *prefix);

/* The directory make_tmpdir() created. */
const char *tmpdir_path(void);

/* cmocka group teardown: remove the directory make_tmpdir() created. */
int remove_tmpdir(void **state);

/* Read the sidecar @path.truth into @t. */
void read_truth(const char *path, struct truth *t);

/* Run mkvmcore @opts to make @name in the test's directory; read its truth. */
void make_vmcore(struct vmcore *vc, const char *name, const char *opts);

/* Open @path as @vc's dump, its page tables, and its vmemmap if wanted. */
void open_path(struct vmcore *vc, const char *path);

/* Open @vc's own file (open_path() on vc->path). */
void open_vmcore(struct vmcore *vc);

/* Free what open_path() opened. */
void close_vmcore(struct vmcore *vc);

/* cmocka setup of one test: open_vmcore() on *state. */
int open_state(void **state);

/* cmocka teardown of one test: close_vmcore() on *state. */
int close_state(void **state);

/* The physical page holding the struct page of @pfn, per the sidecar. */
uint64_t truth_vmemmap_pfn(const struct truth *t, uint64_t pfn);

/* Write @val at physical @paddr in every PT_LOAD of the ELF file. */
void patch_paddr(const char *path, uint64_t paddr, uint64_t val);

#endif
