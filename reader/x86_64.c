// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * x86_64 virtual to physical translation: see include/vmemtrim/x86_64.h.
 *
 * Levels are numbered as the walk meets them bottom-up: 1 = PTE (4 KiB),
 * 2 = PMD (2 MiB), 3 = PUD (1 GiB), 4 = P4D / PML4, 5 = PGD of 5-level
 * paging. The top table is level 4 or 5.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/x86_64.h"

#define X86_PAGE_SIZE 4096ULL
#define X86_ENTRIES 512
#define X86_MAX_LEVELS 5

#define PTE_PRESENT (1ULL << 0)
#define PTE_PSE (1ULL << 7)
/* bits 12..51: the architectural physical-address field */
#define PTE_PFN_MASK 0x000ffffffffff000ULL

/* One cached page-table page per level. */
struct pt_cache {
	uint64_t paddr;
	bool valid; /* paddr is the cached table */
	bool absent; /* ... and it is not in the dump */
	uint64_t ent[X86_ENTRIES];
};

struct vt_x86_64 {
	struct vt_x86_64_memory mem;
	int levels;
	uint64_t phys_base;
	uint64_t top_paddr; /* CR3: init_top_pgt */
	uint64_t sme_mask;
	uint64_t max_paddr; /* max_pfn * page size */
	struct pt_cache cache[X86_MAX_LEVELS + 1]; /* indexed by level */
};

/* How one address resolved: the leaf covering it, aligned to its size. */
struct resolved {
	struct vt_leaf leaf; /* vaddr and size aligned, paddr of vaddr */
	uint64_t entry; /* the deciding entry (0 for a missing table) */
	bool loop; /* VT_LEAF_BAD: the entry points back at a table above */
};

static unsigned int level_shift(int level)
{
	return 12 + 9 * (unsigned int)(level - 1);
}

static const char *level_name(int levels, int level)
{
	static const char *const names[] = { "",    "PTE", "PMD",
					     "PUD", "P4D", "PGD" };

	if (level == levels)
		return "PGD";
	return names[level];
}

struct vt_error *vt_x86_64_open(const struct vt_x86_64_memory *mem,
				const struct vt_kernel_profile *kp,
				struct vt_x86_64 **out)
{
	struct vt_error *err;
	struct vt_x86_64 *x;

	*out = NULL;
	err = VT_PROFILE_REQUIRE(kp, sym_init_top_pgt);
	if (!err)
		err = VT_PROFILE_REQUIRE(kp, phys_base);
	if (err)
		return vt_error_prefix(err, "x86_64 page tables: ");
	if (mem->page_size != X86_PAGE_SIZE)
		return vt_error_new(VT_ERR_UNSUPPORTED,
				    "x86_64: dump page size %u is not 4096",
				    mem->page_size);
	if (kp->pgtable_l5_enabled.known && kp->pgtable_l5_enabled.value != 0 &&
	    kp->pgtable_l5_enabled.value != 1)
		return vt_error_new(
			VT_ERR_FORMAT,
			"x86_64: NUMBER(pgtable_l5_enabled)=%lld is neither 0 nor 1",
			(long long)kp->pgtable_l5_enabled.value);
	x = calloc(1, sizeof(*x));
	if (!x)
		return vt_error_new(VT_ERR_NOMEM, "x86_64: out of memory");
	x->mem = *mem;
	x->levels = kp->pgtable_l5_enabled.known &&
				    kp->pgtable_l5_enabled.value == 1 ?
			    5 :
			    4;
	x->phys_base = (uint64_t)kp->phys_base.value;
	x->sme_mask = kp->sme_mask.known ? (uint64_t)kp->sme_mask.value : 0;
	/* a max_pfn so large the product overflows: no address is too high */
	x->max_paddr = mem->max_pfn > (UINT64_MAX >> 12) ?
			       UINT64_MAX :
			       mem->max_pfn * X86_PAGE_SIZE;
	x->top_paddr =
		vt_x86_64_ktext_paddr(x, (uint64_t)kp->sym_init_top_pgt.value);
	if (x->top_paddr % X86_PAGE_SIZE) {
		err = vt_error_new(
			VT_ERR_FORMAT,
			"x86_64: init_top_pgt at paddr %#llx (SYMBOL %#llx, phys_base %#llx) is not page aligned",
			(unsigned long long)x->top_paddr,
			(unsigned long long)kp->sym_init_top_pgt.value,
			(unsigned long long)x->phys_base);
		free(x);
		return err;
	}
	*out = x;
	return NULL;
}

void vt_x86_64_free(struct vt_x86_64 *x)
{
	free(x);
}

int vt_x86_64_levels(const struct vt_x86_64 *x)
{
	return x->levels;
}

uint64_t vt_x86_64_ktext_paddr(const struct vt_x86_64 *x, uint64_t vaddr)
{
	return vaddr - VT_X86_64_START_KERNEL_MAP + x->phys_base;
}

/* Bits above the top level's index must copy the highest index bit. */
static bool canonical(const struct vt_x86_64 *x, uint64_t vaddr)
{
	unsigned int bits = level_shift(x->levels) + 9; /* 48 or 57 */
	uint64_t high = vaddr >> (bits - 1);

	return high == 0 || high == (UINT64_MAX >> (bits - 1));
}

/*
 * Load the table at @paddr for @level into its cache slot. *absent says
 * whether the page is missing from the dump; other failures are errors.
 */
static struct vt_error *load_table(struct vt_x86_64 *x, int level,
				   uint64_t paddr, bool *absent)
{
	struct pt_cache *c = &x->cache[level];
	uint8_t buf[X86_PAGE_SIZE];
	struct vt_error *err;

	if (c->valid && c->paddr == paddr) {
		*absent = c->absent;
		return NULL;
	}
	c->valid = false;
	err = x->mem.read_table(x->mem.arg, paddr, buf, &c->absent);
	if (err)
		return vt_error_prefix(err, "%s table at paddr %#llx: ",
				       level_name(x->levels, level),
				       (unsigned long long)paddr);
	for (int i = 0; i < X86_ENTRIES && !c->absent; i++)
		c->ent[i] = vt_le64(buf + 8 * i);
	c->paddr = paddr;
	c->valid = true;
	*absent = c->absent;
	return NULL;
}

static void set_piece(struct resolved *r, enum vt_leaf_kind kind,
		      uint64_t vaddr, int level, uint64_t table, uint64_t entry)
{
	uint64_t size = 1ULL << level_shift(level);

	r->leaf.kind = kind;
	r->leaf.vaddr = vaddr & ~(size - 1);
	r->leaf.size = size;
	r->leaf.paddr = 0;
	r->leaf.level = level;
	r->leaf.table_paddr = table;
	r->entry = entry;
	r->loop = false;
	r->leaf.entry = 0;
	memset(r->leaf.tables, 0, sizeof(r->leaf.tables));
}

static bool table_outside(const struct vt_x86_64 *x, uint64_t table)
{
	return x->max_paddr < X86_PAGE_SIZE ||
	       table > x->max_paddr - X86_PAGE_SIZE;
}

/* A large page at PUD or PMD level, or any present PTE. */
static bool is_leaf(int level, uint64_t entry)
{
	return level == 1 || ((level == 2 || level == 3) && (entry & PTE_PSE));
}

/*
 * Find the leaf covering canonical @vaddr. Each step reads one table
 * through the per-level cache, so the depth (and the work) is bounded by
 * the number of levels.
 */
static struct vt_error *resolve(struct vt_x86_64 *x, uint64_t vaddr,
				struct resolved *r)
{
	uint64_t table = x->top_paddr, parent = x->top_paddr, entry = 0, addr;
	int level = x->levels;
	struct vt_error *err;
	uint64_t seen[X86_MAX_LEVELS + 1] = { 0 }; /* tables read, by level */
	bool absent;

	for (;;) {
		unsigned int shift = level_shift(level);

		if (table_outside(x, table)) {
			/* blame the entry that points there (or CR3) */
			int up = level < x->levels ? level + 1 : level;

			set_piece(r, VT_LEAF_BAD, vaddr, up, parent, entry);
			break;
		}
		err = load_table(x, level, table, &absent);
		if (err)
			return err;
		if (absent) {
			/* the piece is what this table would have covered */
			set_piece(r, VT_LEAF_TABLE_ABSENT, vaddr,
				  level < x->levels ? level + 1 : level, table,
				  entry);
			r->leaf.level = level;
			break;
		}
		seen[level] = table;
		entry = x->cache[level].ent[(vaddr >> shift) & 511];
		if (!(entry & PTE_PRESENT)) {
			set_piece(r, VT_LEAF_UNMAPPED, vaddr, level, table,
				  entry);
			break;
		}
		addr = entry & PTE_PFN_MASK & ~x->sme_mask;
		if (is_leaf(level, entry)) {
			/* large leaves: bit 12 is PAT, not address */
			addr &= ~((1ULL << shift) - 1);
			set_piece(r,
				  addr < x->max_paddr ? VT_LEAF_MAPPED :
							VT_LEAF_BAD,
				  vaddr, level, table, entry);
			if (r->leaf.kind == VT_LEAF_MAPPED) {
				r->leaf.paddr = addr;
				r->leaf.entry = entry;
			}
			break;
		}
		/*
		 * An entry pointing back at a table of this walk (a corrupt
		 * kernel's loop) would translate through page-table bytes.
		 */
		for (int l = level; l <= x->levels; l++) {
			if (seen[l] == addr) {
				set_piece(r, VT_LEAF_BAD, vaddr, level, table,
					  entry);
				r->loop = true;
				goto out;
			}
		}
		parent = table;
		table = addr;
		level--;
	}
out:
	memcpy(r->leaf.tables, seen, sizeof(r->leaf.tables));
	return NULL;
}

/* The end of the non-canonical hole that @vaddr lies in. */
static uint64_t noncanonical_end(const struct vt_x86_64 *x)
{
	unsigned int bits = level_shift(x->levels) + 9;

	return ~((1ULL << (bits - 1)) - 1);
}

struct vt_error *vt_x86_64_vtop(struct vt_x86_64 *x, uint64_t vaddr,
				uint64_t *paddr, uint64_t *leaf_size)
{
	struct vt_error *err;
	struct resolved r;
	int lvl;

	if (!canonical(x, vaddr))
		return vt_error_new(
			VT_ERR_NOTMAPPED,
			"vaddr %#llx is not canonical for %d-level paging",
			(unsigned long long)vaddr, x->levels);
	err = resolve(x, vaddr, &r);
	if (err)
		return vt_error_prefix(
			err, "vaddr %#llx: ", (unsigned long long)vaddr);
	lvl = r.leaf.level;
	switch (r.leaf.kind) {
	case VT_LEAF_MAPPED:
		*paddr = r.leaf.paddr + (vaddr - r.leaf.vaddr);
		if (leaf_size)
			*leaf_size = r.leaf.size;
		return NULL;
	case VT_LEAF_UNMAPPED:
		return vt_error_new(
			VT_ERR_NOTMAPPED,
			"vaddr %#llx: %s entry %#llx in table at paddr %#llx (level %d) is not present",
			(unsigned long long)vaddr, level_name(x->levels, lvl),
			(unsigned long long)r.entry,
			(unsigned long long)r.leaf.table_paddr, lvl);
	case VT_LEAF_TABLE_ABSENT:
		return vt_error_new(
			VT_ERR_NODATA,
			"vaddr %#llx: %s table at paddr %#llx (level %d) is not in the dump",
			(unsigned long long)vaddr, level_name(x->levels, lvl),
			(unsigned long long)r.leaf.table_paddr, lvl);
	case VT_LEAF_BAD:
	default:
		if (r.loop)
			return vt_error_new(
				VT_ERR_FORMAT,
				"vaddr %#llx: %s entry %#llx in table at paddr %#llx (level %d) points back at a table of the walk (a loop)",
				(unsigned long long)vaddr,
				level_name(x->levels, lvl),
				(unsigned long long)r.entry,
				(unsigned long long)r.leaf.table_paddr, lvl);
		return vt_error_new(
			VT_ERR_FORMAT,
			"vaddr %#llx: %s entry %#llx in table at paddr %#llx (level %d) points beyond the last pfn %#llx",
			(unsigned long long)vaddr, level_name(x->levels, lvl),
			(unsigned long long)r.entry,
			(unsigned long long)r.leaf.table_paddr, lvl,
			(unsigned long long)(x->max_paddr / X86_PAGE_SIZE));
	}
}

/* Report [@v, min(@end, piece end)) of @r; *next gets the piece end. */
static int emit_piece(const struct resolved *r, uint64_t v, uint64_t end,
		      vt_leaf_fn fn, void *arg, uint64_t *next)
{
	uint64_t piece_end = r->leaf.vaddr + r->leaf.size; /* 0: wrapped */
	struct vt_leaf leaf = r->leaf;

	leaf.vaddr = v;
	leaf.size = (piece_end == 0 || piece_end > end ? end : piece_end) - v;
	if (leaf.kind == VT_LEAF_MAPPED)
		leaf.paddr = r->leaf.paddr + (v - r->leaf.vaddr);
	*next = piece_end;
	return fn(arg, &leaf);
}

static struct vt_error *walk(struct vt_x86_64 *x, uint64_t start, uint64_t end,
			     bool coarse, vt_leaf_fn fn, void *arg)
{
	uint64_t v = start, next;
	struct vt_error *err;
	struct resolved r;

	while (v < end) {
		if (!canonical(x, v)) {
			/* one piece for the whole hole up to the range end */
			set_piece(&r, VT_LEAF_UNMAPPED, v, x->levels,
				  x->top_paddr, 0);
			r.leaf.vaddr = v;
			r.leaf.size = noncanonical_end(x) - v;
		} else {
			err = resolve(x, v, &r);
			if (err)
				return vt_error_prefix(err,
						       "walking vaddr %#llx: ",
						       (unsigned long long)v);
		}
		if (emit_piece(&r, v, end, fn, arg, &next))
			return NULL;
		/* a PTE table in the dump: on past its 2 MiB */
		if (coarse && r.leaf.level == 1 &&
		    r.leaf.kind != VT_LEAF_TABLE_ABSENT)
			next = (v | ((1ULL << level_shift(2)) - 1)) + 1;
		if (next == 0) /* the top of the address space */
			return NULL;
		v = next;
	}
	return NULL;
}

struct vt_error *vt_x86_64_walk(struct vt_x86_64 *x, uint64_t start,
				uint64_t end, vt_leaf_fn fn, void *arg)
{
	return walk(x, start, end, false, fn, arg);
}

struct vt_error *vt_x86_64_walk_coarse(struct vt_x86_64 *x, uint64_t start,
				       uint64_t end, vt_leaf_fn fn, void *arg)
{
	return walk(x, start, end, true, fn, arg);
}
