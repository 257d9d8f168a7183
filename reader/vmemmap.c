// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vmemmap map: see include/vmemtrim/vmemmap.h.
 *
 * mem_section (SPARSEMEM_EXTREME) is read once into one word per section
 * below max_pfn: the decoded mem_map with bit 0 meaning "has a mem_map".
 * Everything else walks the vmemmap virtual range of whole groups of
 * sections through the page tables, so the work is per vmemmap leaf and per
 * run of pfn states, never per pfn.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/vmemmap.h"
#include "vmemtrim/x86_64.h"

#define VM_PAGE_SIZE 4096ULL
#define VM_PAGE_SHIFT 12

/* section_mem_map flag bits (include/linux/mmzone.h) */
#define SECTION_HAS_MEM_MAP (1ULL << 1)
/*
 * The flags end at SECTION_MAP_LAST_BIT, 3 to 6 depending on the kernel's
 * era and config; the encoded mem_map is at least 64-byte aligned, so
 * clearing 6 bits is right for all of them.
 */
#define SECTION_MAP_MASK (~0x3fULL)
#define SECTION_VALID 1ULL /* our own marker in map[] */

/* More sections than 52 physical bits with 128 MiB sections can hold. */
#define MAX_SECTIONS (1ULL << 25)

struct vt_vmemmap {
	struct vt_dump *dump;
	struct vt_x86_64 *x;
	uint64_t max_pfn;
	uint64_t size_page; /* SIZE(page) */
	unsigned int section_shift; /* PFN_SECTION_SHIFT */
	uint64_t nr_sections; /* sections below max_pfn that we know of */
	uint64_t *map; /* decoded mem_map | SECTION_VALID, or 0 */
	uint64_t base; /* vmemmap_base */
	uint64_t bad_roots; /* mem_section roots that could not be read */
	char first_bad[160]; /* why the first of them could not be */
	bool note_roots; /* read_virt() notes the pfns it reads in roots[] */
	uint64_t *roots; /* pfns of the root array and the roots' pages */
	size_t nr_roots, roots_cap;
};

/* One more page that mem_section's roots are read from (no repeats). */
static struct vt_error *note_root_pfn(struct vt_vmemmap *vm, uint64_t pfn)
{
	if (vm->nr_roots && vm->roots[vm->nr_roots - 1] == pfn)
		return NULL;
	if (vm->nr_roots == vm->roots_cap) {
		size_t cap = vm->roots_cap ? 2 * vm->roots_cap : 16;
		uint64_t *p = realloc(vm->roots, cap * sizeof(*p));

		if (!p)
			return vt_error_new(VT_ERR_NOMEM,
					    "mem_section roots: out of memory");
		vm->roots = p;
		vm->roots_cap = cap;
	}
	vm->roots[vm->nr_roots++] = pfn;
	return NULL;
}

/* vt_dump_pfn_run, with pfns past max_pfn one endless hole. */
static struct vt_error *pfn_state(struct vt_vmemmap *vm, uint64_t pfn,
				  enum vt_pfn_state *state, uint64_t *run_end)
{
	struct vt_error *err;

	if (pfn >= vm->max_pfn) {
		*state = VT_PFN_HOLE;
		*run_end = UINT64_MAX;
		return NULL;
	}
	err = vt_dump_pfn_run(vm->dump, pfn, state, run_end);
	if (!err && *run_end <= pfn)
		*run_end = pfn + 1;
	return err;
}

/* Read kernel virtual memory a page at a time through the page tables. */
static struct vt_error *read_virt(struct vt_vmemmap *vm, uint64_t vaddr,
				  void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		size_t chunk = VM_PAGE_SIZE - vaddr % VM_PAGE_SIZE;
		struct vt_error *err;
		uint64_t paddr;

		if (chunk > len)
			chunk = len;
		err = vt_x86_64_vtop(vm->x, vaddr, &paddr, NULL);
		if (!err && vm->note_roots)
			err = note_root_pfn(vm, paddr / VM_PAGE_SIZE);
		if (!err)
			err = vt_dump_read_paddr(vm->dump, paddr, p, chunk);
		if (err)
			return err;
		vaddr += chunk;
		p += chunk;
		len -= chunk;
	}
	return NULL;
}

static struct vt_error *check_layout(const struct vt_kernel_profile *kp)
{
	static const size_t need[] = {
		offsetof(struct vt_kernel_profile, sym_mem_section),
		offsetof(struct vt_kernel_profile, len_mem_section),
		offsetof(struct vt_kernel_profile, size_mem_section),
		offsetof(struct vt_kernel_profile, section_size_bits),
		offsetof(struct vt_kernel_profile, size_page),
	};
	int64_t off = kp->off_mem_section_map.known ?
			      kp->off_mem_section_map.value :
			      0;

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		struct vt_error *err = vt_profile_require(kp, need[i]);

		if (err)
			return err;
	}
	if (kp->size_page.value < 8 || kp->size_page.value > 4096 ||
	    kp->size_mem_section.value < 8 ||
	    kp->size_mem_section.value > 4096 || off < 0 ||
	    off > kp->size_mem_section.value - 8 ||
	    kp->section_size_bits.value < 12 ||
	    kp->section_size_bits.value > 52 || kp->len_mem_section.value < 1)
		return vt_error_new(
			VT_ERR_FORMAT,
			"implausible sparsemem layout: SIZE(page)=%lld SIZE(mem_section)=%lld OFFSET(mem_section.section_mem_map)=%lld SECTION_SIZE_BITS=%lld LENGTH(mem_section)=%lld",
			(long long)kp->size_page.value,
			(long long)kp->size_mem_section.value, (long long)off,
			(long long)kp->section_size_bits.value,
			(long long)kp->len_mem_section.value);
	return NULL;
}

/* Decode one root's page of struct mem_section into vm->map. */
static struct vt_error *read_root(struct vt_vmemmap *vm,
				  const struct vt_kernel_profile *kp,
				  uint64_t root, uint64_t root_vaddr,
				  uint64_t per_root)
{
	uint64_t ms_size = (uint64_t)kp->size_mem_section.value;
	uint64_t off = kp->off_mem_section_map.known ?
			       (uint64_t)kp->off_mem_section_map.value :
			       0;
	uint64_t first = root * per_root;
	uint8_t buf[VM_PAGE_SIZE];
	struct vt_error *err;

	err = read_virt(vm, root_vaddr, buf, per_root * ms_size);
	if (err)
		return vt_error_prefix(err,
				       "mem_section root %llu at vaddr %#llx: ",
				       (unsigned long long)root,
				       (unsigned long long)root_vaddr);
	for (uint64_t i = 0; i < per_root && first + i < vm->nr_sections; i++) {
		uint64_t enc = vt_le64(buf + i * ms_size + off);

		if (enc & SECTION_HAS_MEM_MAP)
			vm->map[first + i] =
				(enc & SECTION_MAP_MASK) | SECTION_VALID;
	}
	return NULL;
}

/* Does any pfn of the sections under root @root lie in RAM? */
static bool root_has_ram(struct vt_vmemmap *vm, uint64_t root,
			 uint64_t per_root)
{
	uint64_t pfn = (root * per_root) << vm->section_shift;
	uint64_t end = ((root + 1) * per_root) << vm->section_shift;

	while (pfn < end && pfn < vm->max_pfn) {
		enum vt_pfn_state state;
		uint64_t run_end;
		struct vt_error *err = pfn_state(vm, pfn, &state, &run_end);

		if (vt_error_catch(&err, 0))
			return false;
		if (state != VT_PFN_HOLE)
			return true;
		pfn = run_end;
	}
	return false;
}

static struct vt_error *read_sections(struct vt_vmemmap *vm,
				      const struct vt_kernel_profile *kp)
{
	uint64_t per_root = VM_PAGE_SIZE / (uint64_t)kp->size_mem_section.value;
	uint64_t nr_roots = (vm->nr_sections + per_root - 1) / per_root;
	uint64_t sym = (uint64_t)kp->sym_mem_section.value;
	struct vt_error *err = NULL;
	uint8_t ptrs[VM_PAGE_SIZE];

	vm->note_roots = true;
	/* the root array, a page of pointers at a time */
	for (uint64_t r0 = 0; r0 < nr_roots && !err; r0 += VM_PAGE_SIZE / 8) {
		uint64_t n = nr_roots - r0 < VM_PAGE_SIZE / 8 ?
				     nr_roots - r0 :
				     VM_PAGE_SIZE / 8;

		err = read_virt(vm, sym + r0 * 8, ptrs, n * 8);
		if (err)
			return vt_error_prefix(
				err,
				"mem_section root array at vaddr %#llx (root %llu): ",
				(unsigned long long)sym,
				(unsigned long long)r0);
		for (uint64_t i = 0; i < n && !err; i++) {
			uint64_t root = vt_le64(ptrs + 8 * i);

			if (!root) {
				/* a NULL root over RAM: its memmap is lost */
				if (root_has_ram(vm, r0 + i, per_root) &&
				    !vm->bad_roots++)
					snprintf(
						vm->first_bad,
						sizeof(vm->first_bad),
						"mem_section root %llu is NULL",
						(unsigned long long)(r0 + i));
				continue;
			}
			/*
			 * A root that cannot be read (corrupt pointer, page
			 * not in the dump) leaves its sections unknown; the
			 * others still give the map.
			 */
			err = read_root(vm, kp, r0 + i, root, per_root);
			if (err && err->code != VT_ERR_NOMEM) {
				if (!vm->bad_roots++)
					snprintf(vm->first_bad,
						 sizeof(vm->first_bad), "%s",
						 err->message);
				vt_error_free(err);
				err = NULL;
			}
		}
	}
	return err;
}

static struct vt_error *find_base(struct vt_vmemmap *vm)
{
	for (uint64_t s = 0; s < vm->nr_sections; s++) {
		if (vm->map[s] & SECTION_VALID) {
			vm->base = vm->map[s] & SECTION_MAP_MASK;
			return NULL;
		}
	}
	return vt_error_new(
		VT_ERR_FORMAT,
		"mem_section: no section below max_pfn %#llx has a mem_map%s%s%s",
		(unsigned long long)vm->max_pfn, vm->bad_roots ? " (" : "",
		vm->first_bad, vm->bad_roots ? ")" : "");
}

static struct vt_error *size_sections(struct vt_vmemmap *vm,
				      const struct vt_kernel_profile *kp)
{
	uint64_t per_root = VM_PAGE_SIZE / (uint64_t)kp->size_mem_section.value;
	uint64_t known = (uint64_t)kp->len_mem_section.value;
	uint64_t need = ((vm->max_pfn - 1) >> vm->section_shift) + 1;

	/* sections past LENGTH(mem_section) roots have no entry at all */
	if (known <= MAX_SECTIONS / per_root && need > known * per_root)
		need = known * per_root;
	if (need > MAX_SECTIONS)
		return vt_error_new(
			VT_ERR_UNSUPPORTED,
			"mem_section: %llu sections below max_pfn %#llx are too many",
			(unsigned long long)need,
			(unsigned long long)vm->max_pfn);
	vm->nr_sections = need;
	vm->map = calloc(need, sizeof(*vm->map));
	if (!vm->map)
		return vt_error_new(
			VT_ERR_NOMEM,
			"mem_section: out of memory for %llu sections",
			(unsigned long long)need);
	return NULL;
}

struct vt_error *vt_vmemmap_new(struct vt_dump *dump, struct vt_x86_64 *x,
				struct vt_vmemmap **out)
{
	const struct vt_kernel_profile *kp = vt_dump_profile(dump);
	struct vt_vmemmap *vm;
	struct vt_error *err;

	*out = NULL;
	err = check_layout(kp);
	if (err)
		return vt_error_prefix(err, "vmemmap: ");
	if (vt_dump_info(dump)->max_pfn == 0)
		return vt_error_new(VT_ERR_FORMAT, "vmemmap: max_pfn is 0");
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return vt_error_new(VT_ERR_NOMEM, "vmemmap: out of memory");
	vm->dump = dump;
	vm->x = x;
	vm->max_pfn = vt_dump_info(dump)->max_pfn;
	vm->size_page = (uint64_t)kp->size_page.value;
	vm->section_shift =
		(unsigned int)kp->section_size_bits.value - VM_PAGE_SHIFT;
	err = size_sections(vm, kp);
	if (!err)
		err = read_sections(vm, kp);
	vm->note_roots = false;
	if (!err)
		err = find_base(vm);
	if (err) {
		vt_vmemmap_free(vm);
		return vt_error_prefix(err, "vmemmap: ");
	}
	*out = vm;
	return NULL;
}

void vt_vmemmap_free(struct vt_vmemmap *vm)
{
	if (!vm)
		return;
	free(vm->map);
	free(vm->roots);
	free(vm);
}

size_t vt_vmemmap_root_pfns(const struct vt_vmemmap *vm, const uint64_t **pfns)
{
	*pfns = vm->roots;
	return vm->nr_roots;
}

uint64_t vt_vmemmap_bad_roots(const struct vt_vmemmap *vm)
{
	return vm->bad_roots;
}

uint64_t vt_vmemmap_base(const struct vt_vmemmap *vm)
{
	return vm->base;
}

uint64_t vt_vmemmap_section_pfns(const struct vt_vmemmap *vm)
{
	return 1ULL << vm->section_shift;
}

const char *vt_struct_page_state_name(enum vt_struct_page_state s)
{
	static const char *const names[] = {
		[VT_SP_PRESENT] = "present",
		[VT_SP_NO_SECTION] = "no-section",
		[VT_SP_EXCLUDED] = "excluded",
		[VT_SP_UNMAPPED] = "unmapped",
		[VT_SP_TABLE_ABSENT] = "table-absent",
		[VT_SP_BAD] = "bad-pte",
	};

	if ((unsigned int)s < sizeof(names) / sizeof(names[0]))
		return names[s];
	return "unknown";
}

static uint64_t struct_page_vaddr(const struct vt_vmemmap *vm, uint64_t pfn)
{
	uint64_t map = vm->map[pfn >> vm->section_shift] & SECTION_MAP_MASK;

	return map + pfn * vm->size_page;
}

static bool section_valid(const struct vt_vmemmap *vm, uint64_t pfn)
{
	uint64_t s = pfn >> vm->section_shift;

	return s < vm->nr_sections && (vm->map[s] & SECTION_VALID);
}

/* The end of @pfn's section, at most @end. */
static uint64_t section_end(const struct vt_vmemmap *vm, uint64_t pfn,
			    uint64_t end)
{
	uint64_t e = ((pfn >> vm->section_shift) + 1) << vm->section_shift;

	return e < end && e > pfn ? e : end;
}

/* ---- runs of struct page states ------------------------------------ */

/* Merges adjacent runs of one state before handing them to the caller. */
struct emitter {
	vt_sp_range_fn fn;
	void *arg;
	bool have, stopped;
	struct vt_sp_range cur;
};

static void emit(struct emitter *e, uint64_t start, uint64_t end,
		 enum vt_struct_page_state state, uint64_t vaddr,
		 uint64_t paddr)
{
	if (e->stopped || start >= end)
		return;
	if (e->have && e->cur.end_pfn == start && e->cur.state == state) {
		e->cur.end_pfn = end;
		return;
	}
	if (e->have && e->fn(e->arg, &e->cur)) {
		e->stopped = true;
		return;
	}
	e->cur = (struct vt_sp_range){ .start_pfn = start,
				       .end_pfn = end,
				       .state = state,
				       .page_vaddr = vaddr,
				       .page_paddr = paddr };
	e->have = true;
}

static void emit_flush(struct emitter *e)
{
	if (e->have && !e->stopped && e->fn(e->arg, &e->cur))
		e->stopped = true;
	e->have = false;
}

static bool mapped_state(enum vt_struct_page_state s)
{
	return s == VT_SP_PRESENT || s == VT_SP_EXCLUDED;
}

/*
 * Turns pieces of the vmemmap virtual range into pfn runs. A struct page
 * that straddles pieces takes the state of its first piece that is not
 * present ("carry").
 */
struct sp_walk {
	struct vt_vmemmap *vm;
	struct emitter *e;
	uint64_t map; /* decoded mem_map: struct page of pfn p at map + p*sz */
	uint64_t next; /* first pfn not yet emitted */
	uint64_t end; /* end of the group of sections */
	bool carry;
	enum vt_struct_page_state carry_state;
	uint64_t carry_paddr;
	struct vt_error *err;
};

static void feed(struct sp_walk *w, uint64_t vaddr, uint64_t len,
		 enum vt_struct_page_state st, uint64_t paddr)
{
	uint64_t sz = w->vm->size_page, off = vaddr - w->map;
	uint64_t off_end = off + len, full_end = off_end / sz;
	uint64_t c = w->next;

	if (w->carry) {
		if (w->carry_state == VT_SP_PRESENT)
			w->carry_state = st;
		if ((c + 1) * sz > off_end)
			return;
		emit(w->e, c, c + 1, w->carry_state, w->map + c * sz,
		     mapped_state(w->carry_state) ? w->carry_paddr : 0);
		w->carry = false;
		c++;
	}
	if (full_end > w->end)
		full_end = w->end;
	if (full_end > c) {
		emit(w->e, c, full_end, st, w->map + c * sz,
		     mapped_state(st) ? paddr + (c * sz - off) : 0);
		c = full_end;
	}
	if (c < w->end && c * sz < off_end) {
		w->carry = true;
		w->carry_state = st;
		w->carry_paddr = mapped_state(st) ? paddr + (c * sz - off) : 0;
	}
	w->next = c;
}

/* A mapped leaf: split where the dumped state of its pages changes. */
static struct vt_error *feed_mapped(struct sp_walk *w, const struct vt_leaf *l)
{
	uint64_t v = l->vaddr, pa = l->paddr, left = l->size;

	while (left) {
		enum vt_pfn_state state;
		struct vt_error *err;
		uint64_t run_end, chunk = left;

		err = pfn_state(w->vm, pa >> VM_PAGE_SHIFT, &state, &run_end);
		if (err)
			return err;
		if (run_end < (UINT64_MAX >> VM_PAGE_SHIFT) &&
		    (run_end << VM_PAGE_SHIFT) - pa < chunk)
			chunk = (run_end << VM_PAGE_SHIFT) - pa;
		feed(w, v, chunk,
		     state == VT_PFN_DUMPED ? VT_SP_PRESENT : VT_SP_EXCLUDED,
		     pa);
		v += chunk;
		pa += chunk;
		left -= chunk;
	}
	return NULL;
}

static int sp_leaf(void *arg, const struct vt_leaf *l)
{
	static const enum vt_struct_page_state of_kind[] = {
		[VT_LEAF_MAPPED] = VT_SP_PRESENT,
		[VT_LEAF_UNMAPPED] = VT_SP_UNMAPPED,
		[VT_LEAF_TABLE_ABSENT] = VT_SP_TABLE_ABSENT,
		[VT_LEAF_BAD] = VT_SP_BAD,
	};
	struct sp_walk *w = arg;

	if (l->kind == VT_LEAF_MAPPED)
		w->err = feed_mapped(w, l);
	else
		feed(w, l->vaddr, l->size, of_kind[l->kind], 0);
	return w->err || w->e->stopped;
}

/* The end of the run of sections from @pfn's that share one mem_map. */
static uint64_t group_end(const struct vt_vmemmap *vm, uint64_t pfn,
			  uint64_t end)
{
	uint64_t s = pfn >> vm->section_shift, m = vm->map[s];
	uint64_t e;

	while (s + 1 < vm->nr_sections && vm->map[s + 1] == m)
		s++;
	e = (s + 1) << vm->section_shift;
	return e < end ? e : end;
}

static struct vt_error *walk_group(struct vt_vmemmap *vm, struct emitter *e,
				   uint64_t pfn, uint64_t gend)
{
	struct sp_walk w = {
		.vm = vm,
		.e = e,
		.map = vm->map[pfn >> vm->section_shift] & SECTION_MAP_MASK,
		.next = pfn,
		.end = gend,
	};
	uint64_t vstart = struct_page_vaddr(vm, pfn);
	uint64_t vlen = (gend - pfn) * vm->size_page;
	struct vt_error *err;

	if (vstart + vlen <= vstart) {
		/* a mem_map that runs off the top of the address space */
		emit(e, pfn, gend, VT_SP_BAD, vstart, 0);
		return NULL;
	}
	err = vt_x86_64_walk(vm->x, vstart, vstart + vlen, sp_leaf, &w);
	if (!err)
		err = w.err;
	if (err)
		return vt_error_prefix(
			err, "struct pages of pfns %#llx-%#llx: ",
			(unsigned long long)pfn, (unsigned long long)gend);
	return NULL;
}

static struct vt_error *ranges(struct vt_vmemmap *vm, uint64_t pfn,
			       uint64_t end, struct emitter *e)
{
	struct vt_error *err = NULL;

	while (pfn < end && !e->stopped && !err) {
		uint64_t gend;

		if (!section_valid(vm, pfn)) {
			gend = section_end(vm, pfn, end);
			emit(e, pfn, gend, VT_SP_NO_SECTION, 0, 0);
		} else {
			gend = group_end(vm, pfn, end);
			err = walk_group(vm, e, pfn, gend);
		}
		pfn = gend;
	}
	return err;
}

struct vt_error *vt_vmemmap_ranges(struct vt_vmemmap *vm, uint64_t start_pfn,
				   uint64_t end_pfn, vt_sp_range_fn fn,
				   void *arg)
{
	struct emitter e = { .fn = fn, .arg = arg };
	struct vt_error *err;

	if (end_pfn > vm->max_pfn)
		end_pfn = vm->max_pfn;
	err = ranges(vm, start_pfn, end_pfn, &e);
	if (!err)
		emit_flush(&e);
	return err;
}

/* ---- one pfn ---------------------------------------------------------- */

static int keep_range(void *arg, const struct vt_sp_range *r)
{
	*(struct vt_sp_range *)arg = *r;
	return 1;
}

struct vt_error *vt_vmemmap_pfn(struct vt_vmemmap *vm, uint64_t pfn,
				struct vt_pfn_report *out)
{
	struct vt_sp_range r = { .state = VT_SP_NO_SECTION };
	struct vt_error *err;
	uint64_t run_end;

	*out = (struct vt_pfn_report){ .pfn = pfn };
	err = pfn_state(vm, pfn, &out->data, &run_end);
	/*
	 * Not vt_vmemmap_ranges(): that stops at max_pfn, but the last
	 * section's struct pages exist past it, up to the section's end.
	 */
	if (!err && section_valid(vm, pfn)) {
		struct emitter e = { .fn = keep_range, .arg = &r };

		err = ranges(vm, pfn, pfn + 1, &e);
		if (!err)
			emit_flush(&e);
	}
	if (err)
		return vt_error_prefix(err,
				       "pfn %#llx: ", (unsigned long long)pfn);
	out->struct_page = r.state;
	out->page_vaddr = r.page_vaddr;
	if (!mapped_state(r.state))
		return NULL;
	out->page_paddr = r.page_paddr;
	out->vmemmap_pfn = r.page_paddr >> VM_PAGE_SHIFT;
	err = pfn_state(vm, out->vmemmap_pfn, &out->vmemmap_data, &run_end);
	return vt_error_prefix(err, "pfn %#llx: ", (unsigned long long)pfn);
}

/* ---- totals ------------------------------------------------------------ */

struct sum_walk {
	struct vt_vmemmap *vm;
	struct vt_vmemmap_summary *s;
	bool prev_missing;
	uint64_t last_page; /* last vmemmap page counted, or UINT64_MAX */
	struct vt_error *err;
};

static bool missing_state(enum vt_struct_page_state s)
{
	return s != VT_SP_PRESENT && s != VT_SP_NO_SECTION;
}

/*
 * Add to *@n the pfns of [@start, @end) that are not DUMPED (@not_dumped)
 * or that are RAM (not HOLE).
 */
static struct vt_error *count_pfns(struct vt_vmemmap *vm, uint64_t start,
				   uint64_t end, bool not_dumped, uint64_t *n)
{
	while (start < end) {
		enum vt_pfn_state st;
		struct vt_error *err;
		uint64_t run_end;

		err = pfn_state(vm, start, &st, &run_end);
		if (err)
			return err;
		if (run_end > end)
			run_end = end;
		if (not_dumped ? st != VT_PFN_DUMPED : st != VT_PFN_HOLE)
			*n += run_end - start;
		start = run_end;
	}
	return NULL;
}

static int sum_range(void *arg, const struct vt_sp_range *r)
{
	struct sum_walk *w = arg;
	uint64_t n = r->end_pfn - r->start_pfn;
	bool miss = missing_state(r->state);

	if (r->state != VT_SP_NO_SECTION)
		w->s->section_pfns += n;
	if (miss) {
		w->s->missing_pfns += n;
		w->s->missing_ranges += !w->prev_missing;
		w->err = count_pfns(w->vm, r->start_pfn, r->end_pfn, false,
				    &w->s->missing_ram_pfns);
	}
	w->prev_missing = miss;
	return w->err != NULL;
}

/* Count the physical pages of a mapped vmemmap leaf. */
static int sum_leaf(void *arg, const struct vt_leaf *l)
{
	struct sum_walk *w = arg;
	uint64_t first, last;

	if (l->kind != VT_LEAF_MAPPED)
		return 0;
	first = l->paddr >> VM_PAGE_SHIFT;
	last = (l->paddr + l->size - 1) >> VM_PAGE_SHIFT;
	/* the same page as the one before: HVO tails, or a shared page */
	if (first == w->last_page)
		first++;
	if (first > last)
		return 0;
	w->s->vmemmap_pages += last - first + 1;
	w->err = count_pfns(w->vm, first, last + 1, true,
			    &w->s->vmemmap_pages_excluded);
	w->last_page = last;
	return w->err != NULL;
}

static struct vt_error *sum_vmemmap_pages(struct sum_walk *w)
{
	struct vt_vmemmap *vm = w->vm;
	uint64_t pfn = 0, end = vm->max_pfn, gend, v, len;
	struct vt_error *err = NULL;

	while (pfn < end && !err && !w->err) {
		if (!section_valid(vm, pfn)) {
			pfn = section_end(vm, pfn, end);
			continue;
		}
		gend = group_end(vm, pfn, end);
		v = struct_page_vaddr(vm, pfn);
		len = (gend - pfn) * vm->size_page;
		if (v + len > v)
			err = vt_x86_64_walk(vm->x, v, v + len, sum_leaf, w);
		pfn = gend;
	}
	return err ? err : w->err;
}

struct vt_error *vt_vmemmap_summarize(struct vt_vmemmap *vm,
				      struct vt_vmemmap_summary *s)
{
	struct sum_walk w = { .vm = vm, .s = s, .last_page = UINT64_MAX };
	struct vt_error *err;

	*s = (struct vt_vmemmap_summary){ 0 };
	err = vt_vmemmap_ranges(vm, 0, vm->max_pfn, sum_range, &w);
	if (!err)
		err = w.err;
	if (!err)
		err = count_pfns(vm, 0, vm->max_pfn, false, &s->ram_pfns);
	if (!err)
		err = sum_vmemmap_pages(&w);
	return vt_error_prefix(err, "vmemmap summary: ");
}
