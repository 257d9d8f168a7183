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

/* crash_save_vmcoreinfo_init() + log_buf_vmcoreinfo_setup() +
 * arch_crash_save_vmcoreinfo() of 6.1, in emission order. */
/* clang-format off */
static const struct vmci_entry vmci_6_1[] = {
	{ V_OSRELEASE, "OSRELEASE", 0 },
	{ V_BUILDID, "BUILD-ID", 0 },
	{ V_PAGESIZE, "PAGESIZE", 4096 },
	SYMT("init_uts_ns", 0x1bf9b60),
	OFF("uts_namespace.name", 0),
	SYMT("node_online_map", 0x1c3b480),
	SYMT("swapper_pg_dir", 0x1a10000),
	SYMT("_stext", 0),
	SYMT("vmap_area_list", 0x1b5a230),
	SYMD("mem_section"),
	{ V_LENGTH, "mem_section", -1 },	/* NR_SECTION_ROOTS */
	SZ("mem_section", 16),
	OFF("mem_section.section_mem_map", 0),
	NUM("SECTION_SIZE_BITS", 27),
	NUMD("MAX_PHYSMEM_BITS"),
	SZ("page", 64),
	SZ("pglist_data", 174208),
	SZ("zone", 1536),
	SZ("free_area", 88),
	SZ("list_head", 16),
	SZ("nodemask_t", 128),
	OFF("page.flags", 0),
	OFF("page._refcount", 52),
	OFF("page.mapping", 24),
	OFF("page.lru", 8),
	OFF("page._mapcount", 48),
	OFF("page.private", 40),
	OFF("page.compound_dtor", 16),
	OFF("page.compound_order", 17),
	OFF("page.compound_head", 8),
	OFF("pglist_data.node_zones", 0),
	OFF("pglist_data.nr_zones", 171552),
	OFF("pglist_data.node_start_pfn", 171560),
	OFF("pglist_data.node_spanned_pages", 171576),
	OFF("pglist_data.node_id", 171584),
	OFF("zone.free_area", 256),
	OFF("zone.vm_stat", 1344),
	OFF("zone.spanned_pages", 144),
	OFF("free_area.free_list", 0),
	OFF("list_head.next", 0),
	OFF("list_head.prev", 8),
	OFF("vmap_area.va_start", 0),
	OFF("vmap_area.list", 40),
	LEN("zone.free_area", 11),
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
	NUM("PG_lru", 4),
	NUM("PG_private", 13),
	NUM("PG_swapcache", 10),
	NUM("PG_swapbacked", 19),
	NUM("PG_slab", 9),
	NUM("PG_hwpoison", 23),		/* generic flavour only */
	NUM("PG_head_mask", 1L << 16),
	NUM("PAGE_BUDDY_MAPCOUNT_VALUE", ~0x80L),
	NUM("HUGETLB_PAGE_DTOR", 2),
	NUM("PAGE_OFFLINE_MAPCOUNT_VALUE", ~0x100L),
	SYMT("kallsyms_names", 0x1175590),
	SYMT("kallsyms_num_syms", 0x1175588),
	SYMT("kallsyms_token_table", 0x12c9d08),
	SYMT("kallsyms_token_index", 0x12ca0a0),
	SYMT("kallsyms_offsets", 0x11200b0),
	SYMT("kallsyms_relative_base", 0x1175580),
	NUMD("phys_base"),
	SYMT("init_top_pgt", 0x1a10000),
	{ V_NUMBER_INT_DYN, "pgtable_l5_enabled", 0 },
	SYMT("node_data", 0x1c368e0),
	LEN("node_data", 1024),
	{ V_KERNELOFFSET, "KERNELOFFSET", 0 },
	NUM("KERNEL_IMAGE_SIZE", 1L << 30),
	NUMD("sme_mask"),
	{ V_END, NULL, 0 },
};
/* clang-format on */

/* clang-format off */
static const struct kprofile kprofiles[] = {
	{
		.era = "6.1",
		.osrelease = "6.1.0-56-cloud-amd64",
		.uts_version = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1",
		.build_id = "3b43fad5034874490492495d552c0af6a5fab235",
		.size_page = 64, .size_mem_section = 16,
		.size_pglist_data = 174208,
		.off_flags = 0, .off_lru = 8, .off_compound_head = 8,
		.off_mapping = 24, .off_index = 32, .off_private = 40,
		.off_compound_dtor = 16, .off_compound_order = 17,
		.off_compound_mapcount = 20, .off_compound_pincount = 24,
		.off_compound_nr = 28,
		.off_mapcount = 48, .off_refcount = 52, .off_memcg = 56,
		.off_slab_cache = 24, .off_freelist = 32, .off_counters = 40,
		.pgdat_node_start_pfn = 171560,
		.pgdat_node_present_pages = 171568,
		.pgdat_node_spanned_pages = 171576,
		.pgdat_node_id = 171584, .pgdat_nr_zones = 171552,
		.pg_locked = 0, .pg_referenced = 1, .pg_uptodate = 2,
		.pg_dirty = 3, .pg_lru = 4, .pg_active = 5, .pg_slab = 9,
		.pg_swapcache = 10, .pg_reserved = 12, .pg_private = 13,
		.pg_head = 16, .pg_swapbacked = 19, .pg_hwpoison = 23,
		.page_type_buddy = 0x80, .page_type_offline = 0x100,
		.page_type_table = 0x200,
		.hugetlb_page_dtor = 2,
		.max_order = 11,
		.section_map_last_bit = 5,
		.section_flags_boot = 0xf,
		/* NODES_SHIFT 10, MAX_NR_ZONES 5 -> ZONES_SHIFT 3,
		 * LAST_CPUPID 8 + NR_CPUS_BITS 13, no SECTIONS_WIDTH */
		.nodes_pgoff = 54, .nodes_width = 10,
		.zones_pgoff = 51, .zones_width = 3,
		.cpupid_pgoff = 30, .cpupid_width = 21,
		.max_numnodes = 1024,
		.tail_mapping = 0xdead000000000400ULL,
		.kernel_image_size = 1UL << 30,
		.text_end = 0xe02000, .rodata_start = 0x1000000,
		.rodata_end = 0x1827000, .data_start = 0x1a00000,
		.data_end = 0x1c46000, .init_begin = 0x201a000,
		.init_end = 0x22a7000, .bss_start = 0x22b1000,
		.brk_base = 0x2800000, .image_end = 0x2830000,
		.sym_init_top_pgt = 0x1a10000,
		.sym_level4_kernel_pgt = 0x1a14000,
		.sym_level3_kernel_pgt = 0x1a15000,
		.sym_level2_kernel_pgt = 0x1a16000,
		.sym_init_uts_ns = 0x1bf9b60,
		.sym_node_online_map = 0x1c3b480,
		.sym_vmap_area_list = 0x1b5a230,
		.sym_mem_section = 0x23aa798,
		.sym_node_data = 0x1c368e0,
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
