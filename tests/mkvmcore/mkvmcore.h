/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mkvmcore: synthetic Linux x86_64 /proc/vmcore generator.
 * Shared types of the generator; see docs/mkvmcore.md.
 */
#ifndef MKVMCORE_H
#define MKVMCORE_H

#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096UL
#define PFN_SECTION_SHIFT 15 /* SECTION_SIZE_BITS 27 - PAGE_SHIFT */
#define PAGES_PER_SECTION (1UL << PFN_SECTION_SHIFT)
#define START_KERNEL_MAP 0xffffffff80000000UL
#define MAX_RANGES 256
#define MAX_ORDER_PAGES 1024 /* buddy MAX_ORDER 11: orders 0..10 */

/* A status a function returns: 0 ok, else an exit code with msg set. */
struct err {
	int code; /* 2 usage, 1 I/O */
	char msg[512];
};

int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Page classes of the ground truth. */
enum pclass {
	C_HOLE,
	C_FREE,
	C_CACHE,
	C_CACHE_PRIV,
	C_SHMEM,
	C_ANON,
	C_HUGETLB,
	C_SLAB,
	C_KERNEL,
	C_RESERVED,
	C_PAGETABLE,
	C_VMEMMAP,
	C_HWPOISON,
	C_OFFLINE,
	/* --pcp (pcp.c); always dumped by makedumpfile */
	C_PCP, /* first page of a free block on a per-CPU list */
	C_PCP_REST, /* the other pages of that block */
	C_PCP_FAKE, /* a chain that looks like a list and is not one */
	C_NOCOMP, /* a high-order allocation without __GFP_COMP */
	C_NR,
	C_UNSET = 0xff
};

extern const char *const pclass_name[C_NR];

/* Page content kinds (how a page's bytes are made). */
enum content {
	K_ZERO,
	K_TEXT,
	K_CODE,
	K_PTR,
	K_MIXED,
	K_RANDOM,
	K_POISON,
	K_NR,
	K_OWNED = 0xff /* written by its owner, not per pfn */
};

/* One entry of the kernel's VMCOREINFO, in the kernel's order. */
enum vmci_kind {
	V_OSRELEASE,
	V_BUILDID,
	V_PAGESIZE,
	V_SYMBOL_TEXT,
	V_SYMBOL_DYN,
	V_SIZE,
	V_OFFSET,
	V_LENGTH,
	V_NUMBER,
	V_NUMBER_DYN,
	V_NUMBER_INT_DYN,
	V_KERNELOFFSET,
	V_END
};

struct vmci_entry {
	enum vmci_kind kind;
	const char *name;
	long value; /* V_SYMBOL_TEXT: offset from _text */
};

/* Everything era-specific: sizes, offsets, numbers, flag encodings. */
struct kprofile {
	const char *era;
	const char *osrelease;
	const char *uts_version;
	const char *build_id;
	unsigned int size_page, size_mem_section, size_pglist_data;
	unsigned int off_flags, off_lru, off_compound_head, off_mapping;
	unsigned int off_index, off_private, off_compound_dtor;
	unsigned int off_compound_order, off_compound_mapcount;
	unsigned int off_compound_pincount, off_compound_nr;
	unsigned int off_mapcount, off_refcount, off_memcg;
	unsigned int off_slab_cache, off_freelist, off_counters;
	unsigned int pgdat_node_start_pfn, pgdat_node_present_pages;
	unsigned int pgdat_node_spanned_pages, pgdat_node_id, pgdat_nr_zones;
	int pg_locked, pg_referenced, pg_uptodate, pg_dirty, pg_lru;
	int pg_active, pg_slab, pg_swapcache, pg_reserved, pg_private;
	int pg_head, pg_swapbacked, pg_hwpoison;
	u32 page_type_buddy, page_type_offline, page_type_table;
	int hugetlb_page_dtor;
	unsigned int max_order; /* LENGTH(zone.free_area) */
	/* per-CPU lists: one per migratetype (of pcp_types) for each order
	 * 0..pcp_costly_order, then pcp_thp_lists of pageblock order */
	unsigned int pcp_types, pcp_costly_order, pcp_thp_lists;
	unsigned int size_per_cpu_pages, pcp_off_lists; /* its lists[] */
	unsigned int section_map_last_bit;
	u64 section_flags_boot; /* PRESENT|HAS_MEM_MAP|ONLINE|EARLY */
	unsigned int nodes_pgoff, nodes_width, zones_pgoff, zones_width;
	unsigned int cpupid_pgoff, cpupid_width;
	unsigned int max_numnodes;
	u64 tail_mapping;
	u64 kernel_image_size;
	/* kernel image layout, offsets from _text */
	u64 text_end, rodata_start, rodata_end, data_start, data_end;
	u64 init_begin, init_end, bss_start, brk_base, image_end;
	/* symbols, offsets from _text */
	u64 sym_init_top_pgt, sym_level4_kernel_pgt, sym_level3_kernel_pgt;
	u64 sym_level2_kernel_pgt, sym_init_uts_ns, sym_node_online_map;
	u64 sym_vmap_area_list, sym_mem_section, sym_node_data;
	u64 sym_page_offset_base, sym_vmemmap_base, sym_vmalloc_base;
	u64 sym_phys_base, sym_init_task;
	const struct vmci_entry *vmcoreinfo;
	size_t prstatus_size;
};

const struct kprofile *kprofile_find(const char *era);

/* Options as given. */
struct options {
	const char *out;
	u64 ram;
	const char *profile;
	u64 seed;
	const char *holes;
	const char *vmemmap_4k;
	unsigned int nodes;
	int l5;
	unsigned long hvo;
	int kaslr;
	int pcp;
};

/* A struct page of pcp.c with list links (or a nocomp head). */
struct pcp_entry {
	u64 pfn, next, prev;
	u8 odd; /* 0, ODD_NOCOMP or the one field off (pcp.c) */
	u8 order; /* of its block */
};

#define ODD_NOCOMP 0x80

struct pfn_range {
	u64 start, end; /* [start, end) */
};

/* A run of pfns whose class (and content) is fixed before generation. */
struct extent {
	u64 pfn, len;
	u8 cls, content;
	u8 zero; /* owned pages: all-zero content */
};

struct node {
	u64 start_pfn, end_pfn; /* section aligned span */
	u64 present_pages;
	u64 pgdat_paddr;
	u64 alloc_top; /* top-down memblock cursor (pfn) */
	u64 vmm_buf_pfn; /* 2 MiB-mapped vmemmap buffer */
	u64 vmm_buf_sections;
	u64 vmm_4k_pfn; /* 4K-mapped memmap pages */
	u64 vmm_4k_sections;
};

/* Per section: how its struct pages are mapped. */
enum vmm_mode { VMM_NONE, VMM_PMD, VMM_PTE_SPLIT, VMM_PTE_4K };

struct section {
	u8 present, mode;
	u16 node;
	u64 vmm_pfn; /* first memmap page (4K: top) */
};

struct machine {
	const struct kprofile *kp;
	struct options opt;
	int profile_id;
	struct pfn_range ram[MAX_RANGES]; /* PT_LOAD ranges */
	unsigned int nram;
	struct pfn_range holes[MAX_RANGES]; /* user holes */
	unsigned int nholes;
	struct pfn_range v4k[MAX_RANGES];
	unsigned int nv4k;
	u64 max_pfn; /* end of last RAM range */
	u64 ram_pages;
	u64 nr_sections; /* sections below max_pfn */
	struct section *sec;
	struct node *node;
	unsigned int nr_nodes;
	unsigned int nr_cpus;
	unsigned int max_physmem_bits;
	u64 nr_section_roots;
	/* kernel placement */
	u64 phys_load, kernel_voffset, phys_base;
	u64 page_offset_base, vmemmap_base, vmalloc_base;
	u64 mem_section_array; /* vaddr of the root array */
	u64 mem_section_array_pfn, mem_section_roots_pfn;
	u64 nr_roots_used;
	u64 crashtime;
	/* HugeTLB vmemmap optimisation: sorted head pfns */
	u64 *hvo_head;
	unsigned long nr_hvo;
	/* boot allocations (for overlap checks) and the page-table pool */
	struct pfn_range *alloc;
	size_t nalloc, cap_alloc;
	u64 pool_pfn, pool_pages;
	/* fixed extents, sorted by pfn */
	struct extent *ext;
	size_t next, cap_ext;
	/* --pcp: the per-CPU area, entries sorted by pfn */
	u64 pcp_area_pfn, pcp_area_pages, pcp_pages;
	unsigned int pcp_sets; /* struct per_cpu_pages: zones x CPUs */
	u8 *pcp_area;
	struct pcp_entry *pcp;
	size_t npcp, cap_pcp;
	/* page tables */
	struct pgtables *pt;
	/* output */
	int fd;
	u64 data_off; /* file offset of first PT_LOAD data */
	u64 ram_off[MAX_RANGES]; /* file offset of each RAM range */
	u64 ktext_off;
	u8 *notes;
	size_t notes_size;
	FILE *truth;
	struct truth_state *ts;
	char *tmp_path, *truth_tmp_path, *truth_path;
};

/* rng */
static inline u64 mix64(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline u64 rng_next(u64 *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return mix64(*s);
}

static inline u64 rng_below(u64 *s, u64 n)
{
	return n ? rng_next(s) % n : 0;
}

static inline u64 rng_seed(u64 seed, u64 a, u64 b)
{
	return mix64(seed ^ mix64(a * 0x632be59bd9b4e019ULL + b));
}

/* util.c */
int parse_size(const char *s, u64 *out);
int parse_ranges(const char *spec, struct pfn_range *r, unsigned int *n,
		 struct err *e, const char *opt);
int write_at(int fd, const void *buf, size_t len, u64 off, struct err *e);
/* @arr (n elements of @size, room for *@cap) with room for one more;
 * NULL when out of memory (@arr is left as it was) */
void *array_room(void *arr, size_t n, size_t *cap, size_t size);
int add_extent(struct machine *m, u64 pfn, u64 len, u8 cls, u8 content, u8 zero,
	       struct err *e);
int write_owned(struct machine *m, u64 pfn, const u8 *buf, u64 npages, u8 cls,
		struct err *e);
int pfn_file_offset(const struct machine *m, u64 pfn, u64 *off);
int pfn_is_ram(const struct machine *m, u64 pfn);
unsigned int pfn_node(const struct machine *m, u64 pfn);

/* layout.c */
int layout_machine(struct machine *m, struct err *e);
u64 memblock_alloc(struct machine *m, unsigned int nid, u64 npages,
		   u64 align_pages);

/* alloc.c */
int alloc_boot_memory(struct machine *m, struct err *e);
int alloc_special_pages(struct machine *m, struct err *e);
int pfn_in_hvo(const struct machine *m, u64 pfn, u64 *head);
int note_alloc(struct machine *m, u64 pfn, u64 n, struct err *e);
int overlaps_alloc(const struct machine *m, u64 a, u64 b);

/* pcp.c */
int pcp_plan(struct machine *m, struct err *e);
int pcp_write(struct machine *m, struct err *e);
void pcp_struct_page(const struct machine *m, u8 *sp, u64 pfn, u64 *fl,
		     u32 *ref, u32 *mapcount);

/* pgtable.c */
int pgtables_build(struct machine *m, struct err *e);
int pgtables_write(struct machine *m, struct err *e);
u64 vmemmap_page_pfn(const struct machine *m, u64 pfn, int *shared);
void pgtable_serialize(const struct machine *m, size_t idx, u64 *out);
long pgtable_fixed_at(const struct machine *m, u64 paddr);

/* kimage.c */
int kimage_write(struct machine *m, struct err *e);
int kdata_write(struct machine *m, struct err *e);

/* content.c */
void content_init(u64 seed);
void content_fill(u8 *page, enum content k, u64 pfn);

/* gen.c */
int generate_sections(struct machine *m, struct err *e);
int profile_lookup(const char *name);

/* elf.c */
int elf_layout(struct machine *m, struct err *e);
int elf_write_headers(struct machine *m, struct err *e);

/* truth.c */
int truth_open(struct machine *m, struct err *e);
void truth_run(struct machine *m, u64 pfn, u64 len, u8 cls, int zero);
int truth_group(struct machine *m, u64 vmm_pfn, unsigned int kinds, int sorted,
		struct err *e);
int truth_close(struct machine *m, struct err *e);

#define KIND_ALWAYS 1u
#define KIND_NP 2u
#define KIND_P 4u
#define KIND_USER 8u
#define KIND_FREE 16u
#define KIND_NEVER 32u
unsigned int class_kind(u8 cls);

#endif
