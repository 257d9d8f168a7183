// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel profiles: one table entry per kernel era. The 6.1 values were read
 * from Debian's 6.1.0-56-cloud-amd64 vmlinux with gdb; the one deviation
 * (PG_hwpoison, which only the generic flavour has) is documented in
 * docs/mkvmcore.md.
 */
#include <string.h>

#include "mkvmcore.h"

/* clang-format off */
#define SYMT(n, v) { V_SYMBOL_TEXT, n, v }
#define SYMD(n) { V_SYMBOL_DYN, n, 0 }
#define SZ(n, v) { V_SIZE, n, v }
#define OFF(n, v) { V_OFFSET, n, v }
#define LEN(n, v) { V_LENGTH, n, v }
#define NUM(n, v) { V_NUMBER, n, v }
#define NUMD(n) { V_NUMBER_DYN, n, 0 }
/* clang-format on */

/*
 * The 6.1 values that both the VMCOREINFO table and the profile struct
 * carry, defined once so the note and the struct pages cannot disagree.
 */
#define K61_SIZE_PAGE 64
#define K61_SIZE_MEM_SECTION 16
#define K61_SIZE_PGLIST_DATA 174208
#define K61_OFF_FLAGS 0
#define K61_OFF_REFCOUNT 52
#define K61_OFF_MAPPING 24
#define K61_OFF_LRU 8
#define K61_OFF_MAPCOUNT 48
#define K61_OFF_PRIVATE 40
#define K61_OFF_COMPOUND_DTOR 16
#define K61_OFF_COMPOUND_ORDER 17
#define K61_OFF_COMPOUND_HEAD 8
#define K61_PGDAT_NR_ZONES 171552
#define K61_PGDAT_START_PFN 171560
#define K61_PGDAT_SPANNED 171576
#define K61_PGDAT_NODE_ID 171584
#define K61_PG_LRU 4
#define K61_PG_PRIVATE 13
#define K61_PG_SWAPCACHE 10
#define K61_PG_SWAPBACKED 19
#define K61_PG_SLAB 9
#define K61_PG_HWPOISON 23
#define K61_PG_HEAD 16
#define K61_PAGE_TYPE_BUDDY 0x80
#define K61_PAGE_TYPE_OFFLINE 0x100
#define K61_HUGETLB_PAGE_DTOR 2
#define K61_MAX_ORDER 11
#define K61_MAX_NUMNODES 1024
#define K61_KERNEL_IMAGE_SIZE (1L << 30)
#define K61_SYM_INIT_TOP_PGT 0x1a10000
#define K61_SYM_INIT_UTS_NS 0x1bf9b60
#define K61_SYM_NODE_ONLINE_MAP 0x1c3b480
#define K61_SYM_VMAP_AREA_LIST 0x1b5a230
#define K61_SYM_NODE_DATA 0x1c368e0

/* crash_save_vmcoreinfo_init() + log_buf_vmcoreinfo_setup() +
 * arch_crash_save_vmcoreinfo() of 6.1, in emission order. */
/* clang-format off */
static const struct vmci_entry vmci_6_1[] = {
	{ V_OSRELEASE, "OSRELEASE", 0 },
	{ V_BUILDID, "BUILD-ID", 0 },
	{ V_PAGESIZE, "PAGESIZE", 4096 },
	SYMT("init_uts_ns", K61_SYM_INIT_UTS_NS),
	OFF("uts_namespace.name", 0),
	SYMT("node_online_map", K61_SYM_NODE_ONLINE_MAP),
	SYMT("swapper_pg_dir", K61_SYM_INIT_TOP_PGT),
	SYMT("_stext", 0),
	SYMT("vmap_area_list", K61_SYM_VMAP_AREA_LIST),
	SYMD("mem_section"),
	{ V_LENGTH, "mem_section", -1 },	/* NR_SECTION_ROOTS */
	SZ("mem_section", K61_SIZE_MEM_SECTION),
	OFF("mem_section.section_mem_map", 0),
	NUM("SECTION_SIZE_BITS", 27),
	NUMD("MAX_PHYSMEM_BITS"),
	SZ("page", K61_SIZE_PAGE),
	SZ("pglist_data", K61_SIZE_PGLIST_DATA),
	SZ("zone", 1536),
	SZ("free_area", 88),
	SZ("list_head", 16),
	SZ("nodemask_t", 128),
	OFF("page.flags", K61_OFF_FLAGS),
	OFF("page._refcount", K61_OFF_REFCOUNT),
	OFF("page.mapping", K61_OFF_MAPPING),
	OFF("page.lru", K61_OFF_LRU),
	OFF("page._mapcount", K61_OFF_MAPCOUNT),
	OFF("page.private", K61_OFF_PRIVATE),
	OFF("page.compound_dtor", K61_OFF_COMPOUND_DTOR),
	OFF("page.compound_order", K61_OFF_COMPOUND_ORDER),
	OFF("page.compound_head", K61_OFF_COMPOUND_HEAD),
	OFF("pglist_data.node_zones", 0),
	OFF("pglist_data.nr_zones", K61_PGDAT_NR_ZONES),
	OFF("pglist_data.node_start_pfn", K61_PGDAT_START_PFN),
	OFF("pglist_data.node_spanned_pages", K61_PGDAT_SPANNED),
	OFF("pglist_data.node_id", K61_PGDAT_NODE_ID),
	OFF("zone.free_area", 256),
	OFF("zone.vm_stat", 1344),
	OFF("zone.spanned_pages", 144),
	OFF("free_area.free_list", 0),
	OFF("list_head.next", 0),
	OFF("list_head.prev", 8),
	OFF("vmap_area.va_start", 0),
	OFF("vmap_area.list", 40),
	LEN("zone.free_area", K61_MAX_ORDER),
	SYMT("prb", 0x1a622c0),
	SYMT("printk_rb_static", 0x1a622e0),
	SYMT("clear_seq", 0x2316480),
	SZ("printk_ringbuffer", 88),
	OFF("printk_ringbuffer.desc_ring", 0),
	OFF("printk_ringbuffer.text_data_ring", 48),
	OFF("printk_ringbuffer.fail", 80),
	SZ("prb_desc_ring", 48),
	OFF("prb_desc_ring.count_bits", 0),
	OFF("prb_desc_ring.descs", 8),
	OFF("prb_desc_ring.infos", 16),
	OFF("prb_desc_ring.head_id", 24),
	OFF("prb_desc_ring.tail_id", 32),
	SZ("prb_desc", 24),
	OFF("prb_desc.state_var", 0),
	OFF("prb_desc.text_blk_lpos", 8),
	SZ("prb_data_blk_lpos", 16),
	OFF("prb_data_blk_lpos.begin", 0),
	OFF("prb_data_blk_lpos.next", 8),
	SZ("printk_info", 88),
	OFF("printk_info.seq", 0),
	OFF("printk_info.ts_nsec", 8),
	OFF("printk_info.text_len", 16),
	OFF("printk_info.caller_id", 20),
	OFF("printk_info.dev_info", 24),
	SZ("dev_printk_info", 64),
	OFF("dev_printk_info.subsystem", 0),
	LEN("printk_info_subsystem", 16),
	OFF("dev_printk_info.device", 16),
	LEN("printk_info_device", 48),
	SZ("prb_data_ring", 32),
	OFF("prb_data_ring.size_bits", 0),
	OFF("prb_data_ring.data", 8),
	OFF("prb_data_ring.head_lpos", 16),
	OFF("prb_data_ring.tail_lpos", 24),
	SZ("atomic_long_t", 8),
	OFF("atomic_long_t.counter", 0),
	SZ("latched_seq", 24),
	OFF("latched_seq.val", 8),
	LEN("free_area.free_list", 5),
	NUM("NR_FREE_PAGES", 0),
	NUM("PG_lru", K61_PG_LRU),
	NUM("PG_private", K61_PG_PRIVATE),
	NUM("PG_swapcache", K61_PG_SWAPCACHE),
	NUM("PG_swapbacked", K61_PG_SWAPBACKED),
	NUM("PG_slab", K61_PG_SLAB),
	NUM("PG_hwpoison", K61_PG_HWPOISON),		/* generic flavour only */
	NUM("PG_head_mask", 1L << K61_PG_HEAD),
	NUM("PAGE_BUDDY_MAPCOUNT_VALUE", ~(long)K61_PAGE_TYPE_BUDDY),
	NUM("HUGETLB_PAGE_DTOR", K61_HUGETLB_PAGE_DTOR),
	NUM("PAGE_OFFLINE_MAPCOUNT_VALUE", ~(long)K61_PAGE_TYPE_OFFLINE),
	SYMT("kallsyms_names", 0x1175590),
	SYMT("kallsyms_num_syms", 0x1175588),
	SYMT("kallsyms_token_table", 0x12c9d08),
	SYMT("kallsyms_token_index", 0x12ca0a0),
	SYMT("kallsyms_offsets", 0x11200b0),
	SYMT("kallsyms_relative_base", 0x1175580),
	NUMD("phys_base"),
	SYMT("init_top_pgt", K61_SYM_INIT_TOP_PGT),
	{ V_NUMBER_INT_DYN, "pgtable_l5_enabled", 0 },
	SYMT("node_data", K61_SYM_NODE_DATA),
	LEN("node_data", K61_MAX_NUMNODES),
	{ V_KERNELOFFSET, "KERNELOFFSET", 0 },
	NUM("KERNEL_IMAGE_SIZE", K61_KERNEL_IMAGE_SIZE),
	NUMD("sme_mask"),
	{ V_END, NULL, 0 },
};
/* clang-format on */

/* clang-format off */
static const struct kprofile kprofiles[] = {
	{
		.era = "6.1",
		.osrelease = "6.1.0-56-cloud-amd64",
		.uts_version = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)",
		.build_id = "3b43fad5034874490492495d552c0af6a5fab235",
		.size_page = K61_SIZE_PAGE, .size_mem_section = K61_SIZE_MEM_SECTION,
		.size_pglist_data = K61_SIZE_PGLIST_DATA,
		.off_flags = K61_OFF_FLAGS, .off_lru = K61_OFF_LRU, .off_compound_head = K61_OFF_COMPOUND_HEAD,
		.off_mapping = K61_OFF_MAPPING, .off_index = 32, .off_private = K61_OFF_PRIVATE,
		.off_compound_dtor = K61_OFF_COMPOUND_DTOR, .off_compound_order = K61_OFF_COMPOUND_ORDER,
		.off_compound_mapcount = 20, .off_compound_pincount = 24,
		.off_compound_nr = 28,
		.off_mapcount = K61_OFF_MAPCOUNT, .off_refcount = K61_OFF_REFCOUNT, .off_memcg = 56,
		.off_slab_cache = 24, .off_freelist = 32, .off_counters = 40,
		.pgdat_node_start_pfn = K61_PGDAT_START_PFN,
		.pgdat_node_present_pages = 171568,
		.pgdat_node_spanned_pages = K61_PGDAT_SPANNED,
		.pgdat_node_id = K61_PGDAT_NODE_ID, .pgdat_nr_zones = K61_PGDAT_NR_ZONES,
		.pg_locked = 0, .pg_referenced = 1, .pg_uptodate = 2,
		.pg_dirty = 3, .pg_lru = K61_PG_LRU, .pg_active = 5, .pg_slab = K61_PG_SLAB,
		.pg_swapcache = K61_PG_SWAPCACHE, .pg_reserved = 12, .pg_private = K61_PG_PRIVATE,
		.pg_head = K61_PG_HEAD, .pg_swapbacked = K61_PG_SWAPBACKED, .pg_hwpoison = K61_PG_HWPOISON,
		.page_type_buddy = K61_PAGE_TYPE_BUDDY, .page_type_offline = K61_PAGE_TYPE_OFFLINE,
		.page_type_table = 0x200,
		.hugetlb_page_dtor = K61_HUGETLB_PAGE_DTOR,
		.max_order = K61_MAX_ORDER,
		/* MIGRATE_PCPTYPES, PAGE_ALLOC_COSTLY_ORDER, NR_PCP_THP (2 in
		 * Debian's 6.1: lists[14], gdb on 6.1.0-57's vmlinux) */
		.pcp_types = 3, .pcp_costly_order = 3, .pcp_thp_lists = 2,
		.size_per_cpu_pages = 256, .pcp_off_lists = 24,
		.section_map_last_bit = 5,
		.section_flags_boot = 0xf,
		/* NODES_SHIFT 10, MAX_NR_ZONES 5 -> ZONES_SHIFT 3,
		 * LAST_CPUPID 8 + NR_CPUS_BITS 13, no SECTIONS_WIDTH */
		.nodes_pgoff = 54, .nodes_width = 10,
		.zones_pgoff = 51, .zones_width = 3,
		.cpupid_pgoff = 30, .cpupid_width = 21,
		.max_numnodes = K61_MAX_NUMNODES,
		.tail_mapping = 0xdead000000000400ULL,
		.kernel_image_size = K61_KERNEL_IMAGE_SIZE,
		.text_end = 0xe02000, .rodata_start = 0x1000000,
		.rodata_end = 0x1827000, .data_start = 0x1a00000,
		.data_end = 0x1c46000, .init_begin = 0x201a000,
		.init_end = 0x22a7000, .bss_start = 0x22b1000,
		.brk_base = 0x2800000, .image_end = 0x2830000,
		.sym_init_top_pgt = K61_SYM_INIT_TOP_PGT,
		.sym_level4_kernel_pgt = 0x1a14000,
		.sym_level3_kernel_pgt = 0x1a15000,
		.sym_level2_kernel_pgt = 0x1a16000,
		.sym_init_uts_ns = K61_SYM_INIT_UTS_NS,
		.sym_node_online_map = K61_SYM_NODE_ONLINE_MAP,
		.sym_vmap_area_list = K61_SYM_VMAP_AREA_LIST,
		.sym_mem_section = 0x23aa798,
		.sym_node_data = K61_SYM_NODE_DATA,
		.sym_page_offset_base = 0x1398480,
		.sym_vmemmap_base = 0x1398470,
		.sym_vmalloc_base = 0x1398478,
		.sym_phys_base = 0x1a1a010,
		.sym_init_task = 0x1a1aa40,
		.vmcoreinfo = vmci_6_1,
		.prstatus_size = 336,
	},
};
/* clang-format on */

const struct kprofile *kprofile_find(const char *era)
{
	size_t i;

	for (i = 0; i < sizeof(kprofiles) / sizeof(kprofiles[0]); i++)
		if (!strcmp(kprofiles[i].era, era))
			return &kprofiles[i];
	return NULL;
}
