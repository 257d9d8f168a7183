// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tool-critical DUMP...: the critical set of a dump (filter/critical.h),
 * as lines "KIND START END" (pfns, [START, END), KIND one of tables,
 * roots, nodes, stacks, text, log, vmemmap, data, rodata), then "# KIND: N pages, M ranges" and
 * "# all: N pages, M ranges", and "# KIND: not found: WHY" for a kind
 * that could not be found. For the test scripts.
 *
 * tool-critical --classify DUMP... < PFNS: for each pfn read (one a line,
 * the first word), "PFN KIND..." : the kinds of the set that hold it, or
 * what it is when none does: "image-text" (the image's text), "slab"
 * (PG_slab on it or on
 * its compound head), "reserved" (PG_reserved: memblock allocations such
 * as the per-CPU areas; its bit is taken as PG_private - 1, as in every
 * kernel since 2.6 — a measuring aid, not something vmemtrim relies on),
 * "vmalloc" (mapped in the kernel half outside the direct map, the
 * vmemmap and the image: stacks, modules), else "other".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "critical.h"
#include "io.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/verdict.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

static const char *const short_name[VT_CRIT_KINDS] = {
	[VT_CRIT_TABLES] = "tables",   [VT_CRIT_ROOTS] = "roots",
	[VT_CRIT_NODES] = "nodes",     [VT_CRIT_STACKS] = "stacks",
	[VT_CRIT_TEXT] = "text",       [VT_CRIT_LOG] = "log",
	[VT_CRIT_VMEMMAP] = "vmemmap", [VT_CRIT_IMAGE] = "data",
	[VT_CRIT_RODATA] = "rodata",   [VT_CRIT_PERCPU] = "percpu",
	[VT_CRIT_BTF] = "btf",	       [VT_CRIT_SLAB] = "caches",
};

struct cls {
	struct vt_dump *dump;
	struct vt_x86_64 *x;
	struct vt_vmemmap *vm;
	struct vt_range_list vmalloc;
	struct vt_range_list *into; /* where on_vmalloc() adds */
	struct vt_range_list text; /* the image's executable pages */
	struct vt_error *err;
};

static int on_vmalloc(void *arg, const struct vt_leaf *l)
{
	struct cls *c = arg;

	if (l->kind == VT_LEAF_MAPPED &&
	    (c->into == &c->vmalloc || !(l->entry & VT_X86_64_NX)))
		c->err = vt_range_list_add(c->into, l->paddr / 4096,
					   (l->paddr + l->size + 4095) / 4096);
	return c->err != NULL;
}

/* The pages mapped in the kernel half but not by the known areas. */
static struct vt_error *find_vmalloc(struct cls *c)
{
	struct vt_kernel_areas a;
	struct vt_error *err;
	uint64_t cut[3][2], v = vt_x86_64_levels(c->x) == 5 ?
					0xff00000000000000ULL :
					0xffff800000000000ULL;

	vt_kernel_areas_find(c->dump, c->x, c->vm, &a);
	c->into = &c->text;
	err = vt_x86_64_walk(c->x, a.image_start, a.image_end, on_vmalloc, c);
	if (err || c->err)
		return err ? err : c->err;
	vt_range_list_sort(&c->text);
	c->into = &c->vmalloc;
	cut[0][0] = a.dmap_start, cut[0][1] = a.dmap_end;
	cut[1][0] = a.vmemmap_start, cut[1][1] = a.vmemmap_end;
	cut[2][0] = VT_X86_64_START_KERNEL_MAP, cut[2][1] = 0;
	while (v && v < VT_X86_64_START_KERNEL_MAP) {
		uint64_t end = VT_X86_64_START_KERNEL_MAP, skip = 0;

		for (int i = 0; i < 3; i++) {
			if (cut[i][0] <= v && v < cut[i][1])
				skip = cut[i][1];
			else if (cut[i][0] > v && cut[i][0] < end)
				end = cut[i][0];
		}
		if (skip) {
			v = skip;
			continue;
		}
		err = vt_x86_64_walk(c->x, v, end, on_vmalloc, c);
		if (err || c->err)
			return err ? err : c->err;
		v = end;
	}
	vt_range_list_sort(&c->vmalloc);
	return NULL;
}

static const char *page_says(struct cls *c, uint64_t pfn)
{
	const struct vt_kernel_profile *kp = vt_dump_profile(c->dump);
	struct vt_pfn_report r;
	uint8_t sp[64];
	uint64_t flags, head;
	struct vt_error *err = vt_vmemmap_pfn(c->vm, pfn, &r);

	if (!err && r.struct_page != VT_SP_PRESENT)
		return "other";
	if (!err)
		err = vt_dump_read_paddr(c->dump, r.page_paddr, sp, sizeof(sp));
	if (!err && kp->off_page_compound_head.known) {
		head = vt_le64(sp + kp->off_page_compound_head.value);
		if (head & 1) {
			uint64_t paddr;

			err = vt_x86_64_vtop(c->x, head - 1, &paddr, NULL);
			if (!err)
				err = vt_dump_read_paddr(c->dump, paddr, sp,
							 sizeof(sp));
		}
	}
	if (vt_error_catch(&err, 0))
		return "other";
	if (vt_range_list_has(&c->text, pfn))
		return "image-text";
	flags = vt_le64(
		sp + (kp->off_page_flags.known ? kp->off_page_flags.value : 0));
	if (kp->pg_slab.known && (flags >> kp->pg_slab.value) & 1)
		return "slab";
	if (kp->pg_private.known && (flags >> (kp->pg_private.value - 1)) & 1)
		return "reserved";
	return vt_range_list_has(&c->vmalloc, pfn) ? "vmalloc" : "other";
}

static struct vt_error *classify(struct vt_dump *dump, struct vt_x86_64 *x,
				 const struct vt_critical *set)
{
	struct cls c = { .dump = dump, .x = x };
	struct vt_error *err = vt_vmemmap_new(dump, x, &c.vm);
	char line[256];

	if (!err)
		err = find_vmalloc(&c);
	while (!err && fgets(line, sizeof(line), stdin)) {
		unsigned long long pfn = strtoull(line, NULL, 10);
		int n = 0;

		printf("%llu", pfn);
		for (int k = 0; k < VT_CRIT_KINDS; k++)
			if (vt_range_list_has(&set->kind[k], pfn))
				printf(" %s", short_name[k]), n++;
		if (!n)
			printf(" %s", page_says(&c, pfn));
		printf("\n");
	}
	vt_range_list_clear(&c.vmalloc);
	vt_range_list_clear(&c.text);
	vt_vmemmap_free(c.vm);
	return err;
}

int main(int argc, char **argv)
{
	bool cls = argc > 1 && !strcmp(argv[1], "--classify");
	struct vt_critical *c = NULL;
	struct vt_dump *dump = NULL;
	struct vt_x86_64 *x = NULL;
	struct vt_error *err;
	struct timespec t0, t1;

	if (argc < 2 + cls) {
		fprintf(stderr,
			"usage: tool-critical [--classify] DUMP... [< PFNS]\n");
		return 2;
	}
	err = vt_dump_open((const char *const *)argv + 1 + cls,
			   (unsigned int)(argc - 1 - cls), &dump);
	if (!err)
		err = vt_x86_64_new(dump, vt_dump_profile(dump), &x);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!err)
		err = vt_critical_find(dump, vt_dump_profile(dump), x, NULL,
				       &c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!err && cls)
		err = classify(dump, x, c);
	if (err || cls) {
		if (err)
			fprintf(stderr, "tool-critical: %s\n", err->message);
		vt_critical_free(c);
		vt_x86_64_free(x);
		vt_dump_close(dump);
		return err ? (vt_error_free(err), 1) : 0;
	}
	for (int k = 0; k < VT_CRIT_KINDS; k++)
		for (size_t i = 0; i < c->kind[k].nr; i++)
			printf("%s %llu %llu\n", short_name[k],
			       (unsigned long long)c->kind[k].r[i].start,
			       (unsigned long long)c->kind[k].r[i].end);
	for (int k = 0; k < VT_CRIT_KINDS; k++) {
		printf("# %s: %llu pages, %zu ranges\n", short_name[k],
		       (unsigned long long)c->pages[k], c->kind[k].nr);
		if (c->why[k])
			printf("# %s: not found: %s\n", short_name[k],
			       c->why[k]->message);
	}
	printf("# all: %llu pages, %zu ranges, %.3f s\n",
	       (unsigned long long)c->total, c->all.nr,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	vt_critical_free(c);
	vt_x86_64_free(x);
	vt_dump_close(dump);
	return 0;
}
