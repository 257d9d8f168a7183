// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * VMCOREINFO parsing and the typed kernel profile: real kernels' text,
 * mkvmcore's, and malformed input (each a clear error or a defined
 * behaviour, under ASan and UBSan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmemtrim/vmcoreinfo.h"

/*
 * The VMCOREINFO notes of two real Debian 6.1 crashes from the real-kernel
 * fixture (make kernel-fixture, variants "2g" and "l5"), extracted with
 * tests/lib/elfnotes.py --vmcoreinfo. Copied here so the test does not need
 * the multi-gigabyte dumps.
 */
static const char vmcoreinfo_6_1_2g[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"BUILD-ID=3b43fad5034874490492495d552c0af6a5fab235\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffff8f7f9b60\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SYMBOL(node_online_map)=ffffffff8f83b480\n"
	"SYMBOL(swapper_pg_dir)=ffffffff8f610000\n"
	"SYMBOL(_stext)=ffffffff8dc00000\n"
	"SYMBOL(vmap_area_list)=ffffffff8f75a230\n"
	"SYMBOL(mem_section)=ffff89f43ffd6000\n"
	"LENGTH(mem_section)=2048\n"
	"SIZE(mem_section)=16\n"
	"OFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=27\n"
	"NUMBER(MAX_PHYSMEM_BITS)=46\n"
	"SIZE(page)=64\n"
	"SIZE(pglist_data)=174208\n"
	"SIZE(zone)=1536\n"
	"SIZE(free_area)=88\n"
	"SIZE(list_head)=16\n"
	"SIZE(nodemask_t)=128\n"
	"OFFSET(page.flags)=0\n"
	"OFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\n"
	"OFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\n"
	"OFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\n"
	"OFFSET(page.compound_order)=17\n"
	"OFFSET(page.compound_head)=8\n"
	"OFFSET(pglist_data.node_zones)=0\n"
	"OFFSET(pglist_data.nr_zones)=171552\n"
	"OFFSET(pglist_data.node_start_pfn)=171560\n"
	"OFFSET(pglist_data.node_spanned_pages)=171576\n"
	"OFFSET(pglist_data.node_id)=171584\n"
	"OFFSET(zone.free_area)=256\n"
	"OFFSET(zone.vm_stat)=1344\n"
	"OFFSET(zone.spanned_pages)=144\n"
	"OFFSET(free_area.free_list)=0\n"
	"OFFSET(list_head.next)=0\n"
	"OFFSET(list_head.prev)=8\n"
	"OFFSET(vmap_area.va_start)=0\n"
	"OFFSET(vmap_area.list)=40\n"
	"LENGTH(zone.free_area)=11\n"
	"SYMBOL(prb)=ffffffff8f6622c0\n"
	"SYMBOL(printk_rb_static)=ffffffff8f6622e0\n"
	"SYMBOL(clear_seq)=ffffffff8ff16480\n"
	"SIZE(printk_ringbuffer)=88\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(printk_ringbuffer.fail)=80\n"
	"SIZE(prb_desc_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\n"
	"OFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\n"
	"OFFSET(prb_desc_ring.tail_id)=32\n"
	"SIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\n"
	"OFFSET(prb_desc.text_blk_lpos)=8\n"
	"SIZE(prb_data_blk_lpos)=16\n"
	"OFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\n"
	"SIZE(printk_info)=88\n"
	"OFFSET(printk_info.seq)=0\n"
	"OFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\n"
	"OFFSET(printk_info.caller_id)=20\n"
	"OFFSET(printk_info.dev_info)=24\n"
	"SIZE(dev_printk_info)=64\n"
	"OFFSET(dev_printk_info.subsystem)=0\n"
	"LENGTH(printk_info_subsystem)=16\n"
	"OFFSET(dev_printk_info.device)=16\n"
	"LENGTH(printk_info_device)=48\n"
	"SIZE(prb_data_ring)=32\n"
	"OFFSET(prb_data_ring.size_bits)=0\n"
	"OFFSET(prb_data_ring.data)=8\n"
	"OFFSET(prb_data_ring.head_lpos)=16\n"
	"OFFSET(prb_data_ring.tail_lpos)=24\n"
	"SIZE(atomic_long_t)=8\n"
	"OFFSET(atomic_long_t.counter)=0\n"
	"SIZE(latched_seq)=24\n"
	"OFFSET(latched_seq.val)=8\n"
	"LENGTH(free_area.free_list)=5\n"
	"NUMBER(NR_FREE_PAGES)=0\n"
	"NUMBER(PG_lru)=4\n"
	"NUMBER(PG_private)=13\n"
	"NUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\n"
	"NUMBER(PG_slab)=9\n"
	"NUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(HUGETLB_PAGE_DTOR)=2\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n"
	"SYMBOL(kallsyms_names)=ffffffff8ed75590\n"
	"SYMBOL(kallsyms_num_syms)=ffffffff8ed75588\n"
	"SYMBOL(kallsyms_token_table)=ffffffff8eec9d08\n"
	"SYMBOL(kallsyms_token_index)=ffffffff8eeca0a0\n"
	"SYMBOL(kallsyms_offsets)=ffffffff8ed200b0\n"
	"SYMBOL(kallsyms_relative_base)=ffffffff8ed75580\n"
	"NUMBER(phys_base)=1245708288\n"
	"SYMBOL(init_top_pgt)=ffffffff8f610000\n"
	"NUMBER(pgtable_l5_enabled)=0\n"
	"SYMBOL(node_data)=ffffffff8f8368e0\n"
	"LENGTH(node_data)=1024\n"
	"KERNELOFFSET=cc00000\n"
	"NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
	"NUMBER(sme_mask)=0\n"
	"CRASHTIME=1795324577\n";

static const char vmcoreinfo_6_1_l5[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"BUILD-ID=3b43fad5034874490492495d552c0af6a5fab235\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffffb61f9b60\n"
	"OFFSET(uts_namespace.name)=0\n"
	"SYMBOL(node_online_map)=ffffffffb623b480\n"
	"SYMBOL(swapper_pg_dir)=ffffffffb6010000\n"
	"SYMBOL(_stext)=ffffffffb4600000\n"
	"SYMBOL(vmap_area_list)=ffffffffb615a230\n"
	"SYMBOL(mem_section)=ff3b3354aef00000\n"
	"LENGTH(mem_section)=131072\n"
	"SIZE(mem_section)=16\n"
	"OFFSET(mem_section.section_mem_map)=0\n"
	"NUMBER(SECTION_SIZE_BITS)=27\n"
	"NUMBER(MAX_PHYSMEM_BITS)=52\n"
	"SIZE(page)=64\n"
	"SIZE(pglist_data)=174208\n"
	"SIZE(zone)=1536\n"
	"SIZE(free_area)=88\n"
	"SIZE(list_head)=16\n"
	"SIZE(nodemask_t)=128\n"
	"OFFSET(page.flags)=0\n"
	"OFFSET(page._refcount)=52\n"
	"OFFSET(page.mapping)=24\n"
	"OFFSET(page.lru)=8\n"
	"OFFSET(page._mapcount)=48\n"
	"OFFSET(page.private)=40\n"
	"OFFSET(page.compound_dtor)=16\n"
	"OFFSET(page.compound_order)=17\n"
	"OFFSET(page.compound_head)=8\n"
	"OFFSET(pglist_data.node_zones)=0\n"
	"OFFSET(pglist_data.nr_zones)=171552\n"
	"OFFSET(pglist_data.node_start_pfn)=171560\n"
	"OFFSET(pglist_data.node_spanned_pages)=171576\n"
	"OFFSET(pglist_data.node_id)=171584\n"
	"OFFSET(zone.free_area)=256\n"
	"OFFSET(zone.vm_stat)=1344\n"
	"OFFSET(zone.spanned_pages)=144\n"
	"OFFSET(free_area.free_list)=0\n"
	"OFFSET(list_head.next)=0\n"
	"OFFSET(list_head.prev)=8\n"
	"OFFSET(vmap_area.va_start)=0\n"
	"OFFSET(vmap_area.list)=40\n"
	"LENGTH(zone.free_area)=11\n"
	"SYMBOL(prb)=ffffffffb60622c0\n"
	"SYMBOL(printk_rb_static)=ffffffffb60622e0\n"
	"SYMBOL(clear_seq)=ffffffffb6916480\n"
	"SIZE(printk_ringbuffer)=88\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(printk_ringbuffer.fail)=80\n"
	"SIZE(prb_desc_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\n"
	"OFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\n"
	"OFFSET(prb_desc_ring.tail_id)=32\n"
	"SIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\n"
	"OFFSET(prb_desc.text_blk_lpos)=8\n"
	"SIZE(prb_data_blk_lpos)=16\n"
	"OFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\n"
	"SIZE(printk_info)=88\n"
	"OFFSET(printk_info.seq)=0\n"
	"OFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\n"
	"OFFSET(printk_info.caller_id)=20\n"
	"OFFSET(printk_info.dev_info)=24\n"
	"SIZE(dev_printk_info)=64\n"
	"OFFSET(dev_printk_info.subsystem)=0\n"
	"LENGTH(printk_info_subsystem)=16\n"
	"OFFSET(dev_printk_info.device)=16\n"
	"LENGTH(printk_info_device)=48\n"
	"SIZE(prb_data_ring)=32\n"
	"OFFSET(prb_data_ring.size_bits)=0\n"
	"OFFSET(prb_data_ring.data)=8\n"
	"OFFSET(prb_data_ring.head_lpos)=16\n"
	"OFFSET(prb_data_ring.tail_lpos)=24\n"
	"SIZE(atomic_long_t)=8\n"
	"OFFSET(atomic_long_t.counter)=0\n"
	"SIZE(latched_seq)=24\n"
	"OFFSET(latched_seq.val)=8\n"
	"LENGTH(free_area.free_list)=5\n"
	"NUMBER(NR_FREE_PAGES)=0\n"
	"NUMBER(PG_lru)=4\n"
	"NUMBER(PG_private)=13\n"
	"NUMBER(PG_swapcache)=10\n"
	"NUMBER(PG_swapbacked)=19\n"
	"NUMBER(PG_slab)=9\n"
	"NUMBER(PG_head_mask)=65536\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(HUGETLB_PAGE_DTOR)=2\n"
	"NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)=-257\n"
	"SYMBOL(kallsyms_names)=ffffffffb5775590\n"
	"SYMBOL(kallsyms_num_syms)=ffffffffb5775588\n"
	"SYMBOL(kallsyms_token_table)=ffffffffb58c9d08\n"
	"SYMBOL(kallsyms_token_index)=ffffffffb58ca0a0\n"
	"SYMBOL(kallsyms_offsets)=ffffffffb57200b0\n"
	"SYMBOL(kallsyms_relative_base)=ffffffffb5775580\n"
	"NUMBER(phys_base)=245366784\n"
	"SYMBOL(init_top_pgt)=ffffffffb6010000\n"
	"NUMBER(pgtable_l5_enabled)=1\n"
	"SYMBOL(node_data)=ffffffffb62368e0\n"
	"LENGTH(node_data)=1024\n"
	"KERNELOFFSET=33600000\n"
	"NUMBER(KERNEL_IMAGE_SIZE)=1073741824\n"
	"NUMBER(sme_mask)=0\n"
	"CRASHTIME=1795324790\n";

/* --- helpers */

static struct vt_vmcoreinfo *parse_ok(const char *text, size_t len)
{
	struct vt_vmcoreinfo *vi = NULL;
	struct vt_error *err = vt_vmcoreinfo_parse(text, len, &vi);

	if (err)
		fail_msg("unexpected error: %s", err->message);
	assert_non_null(vi);
	return vi;
}

static struct vt_vmcoreinfo *parse_str(const char *text)
{
	return parse_ok(text, strlen(text));
}

/* Parse @text, which must fail with @code and a message holding @needle. */
static void parse_fails(const char *text, enum vt_error_code code,
			const char *needle)
{
	struct vt_vmcoreinfo *vi = (void *)1;
	struct vt_error *err = vt_vmcoreinfo_parse(text, strlen(text), &vi);

	assert_non_null(err);
	assert_null(vi);
	assert_int_equal(err->code, code);
	if (!strstr(err->message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err->message, needle);
	vt_error_free(err);
}

/* Profile of @text, which must parse and type without error. */
static void profile_ok(const char *text, struct vt_kernel_profile *kp)
{
	struct vt_vmcoreinfo *vi = parse_str(text);
	struct vt_error *err = vt_kernel_profile_init(kp, vi);

	if (err)
		fail_msg("unexpected error: %s", err->message);
	vt_vmcoreinfo_free(vi);
}

/* Profile of @text, which must fail as VT_ERR_FORMAT naming @needle. */
static void profile_fails(const char *text, const char *needle)
{
	struct vt_vmcoreinfo *vi = parse_str(text);
	struct vt_kernel_profile kp;
	struct vt_error *err = vt_kernel_profile_init(&kp, vi);

	assert_non_null(err);
	assert_int_equal(err->code, VT_ERR_FORMAT);
	if (!strstr(err->message, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err->message, needle);
	/* Nothing half-filled is left behind on error. */
	assert_false(kp.size_page.known);
	vt_error_free(err);
	vt_vmcoreinfo_free(vi);
}

/* The value of a profile field of one line "KEY=VALUE". */
static int64_t one_value(const char *line, size_t field_offset)
{
	struct vt_kernel_profile kp;
	const struct vt_opt *opt;

	profile_ok(line, &kp);
	opt = (const void *)((const char *)&kp + field_offset);
	assert_true(opt->known);
	return opt->value;
}

#define ONE_VALUE(line, field) \
	one_value(line, offsetof(struct vt_kernel_profile, field))

static void assert_known(struct vt_opt opt, int64_t value)
{
	assert_true(opt.known);
	assert_int_equal(opt.value, value);
}

/* --- real kernels */

static void real_6_1_profile_has_typed_values(void **state)
{
	struct vt_kernel_profile kp;

	(void)state;
	profile_ok(vmcoreinfo_6_1_2g, &kp);
	assert_string_equal(kp.release, "6.1.0-56-cloud-amd64");
	assert_known(kp.page_size, 4096);
	assert_known(kp.crash_time, 1795324577);
	assert_known(kp.size_page, 64);
	assert_known(kp.off_page_flags, 0);
	assert_known(kp.off_page_refcount, 52);
	assert_known(kp.off_page_mapping, 24);
	assert_known(kp.off_page_lru, 8);
	assert_known(kp.off_page_mapcount, 48);
	assert_known(kp.off_page_private, 40);
	assert_known(kp.off_page_compound_dtor, 16);
	assert_known(kp.off_page_compound_order, 17);
	assert_known(kp.off_page_compound_head, 8);
	assert_known(kp.len_mem_section, 2048);
	assert_known(kp.size_mem_section, 16);
	assert_known(kp.off_mem_section_map, 0);
	assert_known(kp.section_size_bits, 27);
	assert_known(kp.max_physmem_bits, 46);
	assert_known(kp.pg_lru, 4);
	assert_known(kp.pg_private, 13);
	assert_known(kp.pg_swapcache, 10);
	assert_known(kp.pg_swapbacked, 19);
	assert_known(kp.pg_slab, 9);
	assert_known(kp.pg_head_mask, 65536);
	assert_known(kp.page_buddy_mapcount, -129);
	assert_known(kp.page_offline_mapcount, -257);
	assert_known(kp.hugetlb_page_dtor, 2);
	assert_known(kp.phys_base, 1245708288);
	assert_known(kp.pgtable_l5_enabled, 0);
	assert_known(kp.off_uts_namespace_name, 0);
	assert_known(kp.sme_mask, 0);
	/* Hex without "0x", above INT64_MAX: stored by cast. */
	assert_true(kp.sym_init_top_pgt.known);
	assert_true((uint64_t)kp.sym_init_top_pgt.value ==
		    0xffffffff8f610000ull);
	assert_true((uint64_t)kp.sym_mem_section.value ==
		    0xffff89f43ffd6000ull);
	assert_true((uint64_t)kp.sym_init_uts_ns.value ==
		    0xffffffff8f7f9b60ull);
	assert_known(kp.kernel_offset, 0xcc00000);
}

static void real_6_1_five_level_profile(void **state)
{
	struct vt_kernel_profile kp;

	(void)state;
	profile_ok(vmcoreinfo_6_1_l5, &kp);
	assert_known(kp.pgtable_l5_enabled, 1);
	assert_known(kp.max_physmem_bits, 52);
	assert_known(kp.len_mem_section, 131072);
	assert_known(kp.kernel_offset, 0x33600000);
	assert_true((uint64_t)kp.sym_mem_section.value ==
		    0xff3b3354aef00000ull);
}

/* Keys a 6.1 kernel does not publish stay unknown, never 0. */
static void real_6_1_absent_keys_are_unknown(void **state)
{
	struct vt_kernel_profile kp;

	(void)state;
	profile_ok(vmcoreinfo_6_1_2g, &kp);
	assert_false(kp.pg_hugetlb.known);
	assert_false(kp.pg_hwpoison.known);
	assert_false(kp.off_folio_dtor.known);
	assert_false(kp.off_folio_order.known);
	assert_false(kp.page_slab_mapcount.known);
	assert_false(kp.page_hugetlb_mapcount.known);
	assert_false(kp.page_unaccepted_mapcount.known);
}

static void require_names_the_missing_key(void **state)
{
	struct vt_kernel_profile kp;
	struct vt_error *err;

	(void)state;
	profile_ok(vmcoreinfo_6_1_2g, &kp);
	assert_null(VT_PROFILE_REQUIRE(&kp, size_page));
	assert_null(VT_PROFILE_REQUIRE(&kp, sym_init_top_pgt));
	assert_null(VT_PROFILE_REQUIRE(&kp, sme_mask));
	err = VT_PROFILE_REQUIRE(&kp, pg_hugetlb);
	assert_non_null(err);
	assert_int_equal(err->code, VT_ERR_NOKEY);
	assert_string_equal(err->message,
			    "vmcoreinfo has no NUMBER(PG_hugetlb)");
	vt_error_free(err);
	err = VT_PROFILE_REQUIRE(&kp, off_folio_dtor);
	assert_non_null(err);
	assert_string_equal(err->message,
			    "vmcoreinfo has no OFFSET(folio._folio_dtor)");
	vt_error_free(err);
	/* release is not a vt_opt: asking for it is the caller's bug. */
	err = vt_profile_require(&kp,
				 offsetof(struct vt_kernel_profile, release));
	assert_non_null(err);
	assert_int_equal(err->code, VT_ERR_INVALID);
	vt_error_free(err);
}

static void real_6_1_entries_keep_text_order(void **state)
{
	struct vt_vmcoreinfo *vi;
	const char *key, *value;
	size_t n = 0;

	(void)state;
	vi = parse_str(vmcoreinfo_6_1_2g);
	while (vt_vmcoreinfo_entry(vi, n, &key, &value)) {
		/* Every entry is found by key (no duplicates in a kernel's). */
		assert_ptr_equal(vt_vmcoreinfo_get(vi, key), value);
		n++;
	}
	assert_int_equal(n, 109);
	assert_true(vt_vmcoreinfo_entry(vi, 0, &key, &value));
	assert_string_equal(key, "OSRELEASE");
	assert_string_equal(value, "6.1.0-56-cloud-amd64");
	assert_true(vt_vmcoreinfo_entry(vi, 108, &key, &value));
	assert_string_equal(key, "CRASHTIME");
	assert_false(vt_vmcoreinfo_entry(vi, 109, &key, &value));
	assert_string_equal(vt_vmcoreinfo_get(vi, "SYMBOL(swapper_pg_dir)"),
			    "ffffffff8f610000");
	assert_null(vt_vmcoreinfo_get(vi, "SYMBOL(swapper_pg_di)"));
	assert_null(vt_vmcoreinfo_get(vi, "NUMBER(PG_hugetlb)"));
	assert_null(vt_vmcoreinfo_get(vi, ""));
	vt_vmcoreinfo_free(vi);
}

/* The note is NUL-padded to 4 bytes and beyond; the text ends at a NUL. */
static void real_6_1_note_padding_is_ignored(void **state)
{
	size_t len = strlen(vmcoreinfo_6_1_2g);
	char *padded = calloc(1, len + 4096);
	struct vt_vmcoreinfo *vi;
	const char *key;

	(void)state;
	assert_non_null(padded);
	memcpy(padded, vmcoreinfo_6_1_2g, len);
	vi = parse_ok(padded, len + 4096);
	assert_true(vt_vmcoreinfo_entry(vi, 108, &key, NULL));
	assert_false(vt_vmcoreinfo_entry(vi, 109, &key, NULL));
	vt_vmcoreinfo_free(vi);
	free(padded);
}

/* --- mkvmcore */

/* Run @cmd and return its whole stdout (malloc'd), failing on exit != 0. */
static char *run_output(const char *cmd, size_t *len)
{
	FILE *p = popen(cmd, "r");
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);

	assert_non_null(p);
	assert_non_null(buf);
	while (!feof(p) && n < cap) {
		n += fread(buf + n, 1, cap - n, p);
		if (ferror(p))
			break;
	}
	if (pclose(p) != 0)
		fail_msg("command failed: %s", cmd);
	*len = n;
	return buf;
}

/*
 * mkvmcore's VMCOREINFO, read by the independent Python note reader, types
 * to the 6.1 values mkvmcore documents (same layout as the real kernel).
 */
static void mkvmcore_profile_matches_6_1(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char dir[] = "/tmp/test_vmcoreinfo.XXXXXX", cmd[1024];
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;
	struct vt_error *err;
	size_t len;
	char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
		 "'%s/mkvmcore' -o '%s/vmcore' --ram 1G >&2 && "
		 "/usr/bin/python3 tests/lib/elfnotes.py --vmcoreinfo "
		 "'%s/vmcore'; rc=$?; rm -rf '%s'; exit $rc",
		 build, dir, dir, dir);
	text = run_output(cmd, &len);
	vi = parse_ok(text, len);
	err = vt_kernel_profile_init(&kp, vi);
	if (err)
		fail_msg("unexpected error: %s", err->message);
	assert_string_equal(kp.release, "6.1.0-56-cloud-amd64");
	assert_known(kp.size_page, 64);
	assert_known(kp.off_page_mapcount, 48);
	assert_known(kp.page_buddy_mapcount, -129);
	assert_known(kp.page_offline_mapcount, -257);
	assert_known(kp.pgtable_l5_enabled, 0);
	assert_known(kp.section_size_bits, 27);
	assert_true(kp.sym_init_top_pgt.known);
	assert_true((uint64_t)kp.sym_init_top_pgt.value >> 32 == 0xffffffff);
	assert_true(kp.kernel_offset.known);
	assert_int_equal(kp.kernel_offset.value % (2 << 20), 0);
	assert_false(kp.pg_hugetlb.known);
	vt_vmcoreinfo_free(vi);
	free(text);
}

/* --- line syntax */

static void line_without_equals_is_an_error(void **state)
{
	(void)state;
	parse_fails("A=1\n\nno equals here\nB=2\n", VT_ERR_FORMAT,
		    "vmcoreinfo line 3: no '=' in \"no equals here\"");
}

static void empty_key_is_an_error(void **state)
{
	(void)state;
	parse_fails("A=1\n=2\n", VT_ERR_FORMAT,
		    "vmcoreinfo line 2: empty key in \"=2\"");
}

static void empty_lines_are_skipped(void **state)
{
	struct vt_vmcoreinfo *vi;
	const char *key;

	(void)state;
	vi = parse_str("\n\nA=1\n\n\nB=2\n\n");
	assert_true(vt_vmcoreinfo_entry(vi, 0, &key, NULL));
	assert_string_equal(key, "A");
	assert_true(vt_vmcoreinfo_entry(vi, 1, &key, NULL));
	assert_string_equal(key, "B");
	assert_false(vt_vmcoreinfo_entry(vi, 2, &key, NULL));
	vt_vmcoreinfo_free(vi);
}

static void empty_text_gives_an_empty_profile(void **state)
{
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;
	struct vt_error *err;

	(void)state;
	vi = parse_ok(NULL, 0);
	assert_false(vt_vmcoreinfo_entry(vi, 0, NULL, NULL));
	assert_null(vt_vmcoreinfo_get(vi, "OSRELEASE"));
	assert_null(vt_kernel_profile_init(&kp, vi));
	assert_string_equal(kp.release, "");
	assert_false(kp.page_size.known);
	err = VT_PROFILE_REQUIRE(&kp, page_size);
	assert_non_null(err);
	assert_string_equal(err->message, "vmcoreinfo has no PAGESIZE");
	vt_error_free(err);
	vt_vmcoreinfo_free(vi);
	vi = parse_ok("\0A=1\n", 5);
	assert_false(vt_vmcoreinfo_entry(vi, 0, NULL, NULL));
	vt_vmcoreinfo_free(vi);
}

static void text_ends_at_embedded_nul(void **state)
{
	static const char text[] = "A=1\nB=2\0C=3\nno equals\n";
	struct vt_vmcoreinfo *vi;

	(void)state;
	vi = parse_ok(text, sizeof(text) - 1);
	assert_string_equal(vt_vmcoreinfo_get(vi, "B"), "2");
	assert_null(vt_vmcoreinfo_get(vi, "C"));
	vt_vmcoreinfo_free(vi);
}

static void length_bounds_the_text(void **state)
{
	struct vt_vmcoreinfo *vi;

	(void)state;
	/* len cuts "B=22" to "B=2"; nothing past it is read. */
	vi = parse_ok("A=1\nB=22", 7);
	assert_string_equal(vt_vmcoreinfo_get(vi, "B"), "2");
	vt_vmcoreinfo_free(vi);
}

static void last_line_needs_no_newline(void **state)
{
	struct vt_vmcoreinfo *vi;

	(void)state;
	vi = parse_str("A=1\nSIZE(page)=64");
	assert_string_equal(vt_vmcoreinfo_get(vi, "SIZE(page)"), "64");
	vt_vmcoreinfo_free(vi);
}

static void crlf_line_ends_are_accepted(void **state)
{
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;

	(void)state;
	vi = parse_str("OSRELEASE=6.1\r\n\r\nSIZE(page)=64\r\nKEY=a\rb\r");
	assert_string_equal(vt_vmcoreinfo_get(vi, "OSRELEASE"), "6.1");
	/* Only a '\r' right before the line end goes. */
	assert_string_equal(vt_vmcoreinfo_get(vi, "KEY"), "a\rb");
	assert_false(vt_vmcoreinfo_entry(vi, 3, NULL, NULL));
	vt_vmcoreinfo_free(vi);
	profile_ok("SIZE(page)=64\r\n", &kp);
	assert_known(kp.size_page, 64);
}

/* Only the first '=' separates key and value. */
static void value_may_hold_equals(void **state)
{
	struct vt_vmcoreinfo *vi;

	(void)state;
	vi = parse_str("KEY=a=b\n");
	assert_string_equal(vt_vmcoreinfo_get(vi, "KEY"), "a=b");
	vt_vmcoreinfo_free(vi);
}

/* As in makedumpfile and crash, the first of duplicate keys wins. */
static void first_duplicate_key_wins(void **state)
{
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;
	const char *value;

	(void)state;
	vi = parse_str("Z=0\nA=1\nB=x\nA=2\nA=3\n");
	assert_string_equal(vt_vmcoreinfo_get(vi, "A"), "1");
	assert_true(vt_vmcoreinfo_entry(vi, 3, NULL, &value));
	assert_string_equal(value, "2");
	vt_vmcoreinfo_free(vi);
	profile_ok("CRASHTIME=5\nCRASHTIME=6\n", &kp);
	assert_known(kp.crash_time, 5);
}

static void many_keys_are_all_found(void **state)
{
	enum { N = 5000 };
	size_t cap = N * 32, n = 0;
	char *text = malloc(cap), key[32], value[32];
	struct vt_vmcoreinfo *vi;

	(void)state;
	assert_non_null(text);
	for (int i = N - 1; i >= 0; i--)
		n += snprintf(text + n, cap - n, "K%d=%d\n", i, i * 7);
	vi = parse_ok(text, n);
	for (int i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "K%d", i);
		snprintf(value, sizeof(value), "%d", i * 7);
		assert_string_equal(vt_vmcoreinfo_get(vi, key), value);
	}
	assert_null(vt_vmcoreinfo_get(vi, "K"));
	assert_null(vt_vmcoreinfo_get(vi, "K5000"));
	vt_vmcoreinfo_free(vi);
	free(text);
}

/* A megabyte-long bad line is quoted short, without control bytes. */
static void huge_bad_line_is_quoted_short(void **state)
{
	size_t len = 1 << 20;
	char *text = malloc(len);
	struct vt_vmcoreinfo *vi = NULL;
	struct vt_error *err;

	(void)state;
	assert_non_null(text);
	memset(text, 'x', len);
	text[0] = '\x1b';
	err = vt_vmcoreinfo_parse(text, len, &vi);
	assert_non_null(err);
	assert_null(vi);
	assert_int_equal(err->code, VT_ERR_FORMAT);
	assert_true(strlen(err->message) < 200);
	assert_non_null(strstr(err->message, "line 1: no '=' in \"\\x1bxxx"));
	assert_non_null(strstr(err->message, "xxx...\""));
	vt_error_free(err);
	free(text);
}

static void huge_value_is_kept_whole(void **state)
{
	size_t len = 1 << 20;
	char *text = malloc(len);
	struct vt_vmcoreinfo *vi;

	(void)state;
	assert_non_null(text);
	memset(text, 'v', len);
	memcpy(text, "BIG=", 4);
	vi = parse_ok(text, len);
	assert_int_equal(strlen(vt_vmcoreinfo_get(vi, "BIG")), len - 4);
	vt_vmcoreinfo_free(vi);
	free(text);
}

/* --- numbers */

static void decimal_limits(void **state)
{
	(void)state;
	assert_int_equal(
		ONE_VALUE("NUMBER(phys_base)=9223372036854775807", phys_base),
		INT64_MAX);
	assert_int_equal(
		ONE_VALUE("NUMBER(phys_base)=-9223372036854775808", phys_base),
		INT64_MIN);
	assert_int_equal(ONE_VALUE("NUMBER(phys_base)=-0", phys_base), 0);
	assert_int_equal(ONE_VALUE("NUMBER(phys_base)=007", phys_base), 7);
	/* arm64 prints some NUMBER()s as "0x%llx"; say-so hex is taken. */
	assert_int_equal(ONE_VALUE("NUMBER(phys_base)=0x1000", phys_base),
			 4096);
}

static void hex_limits(void **state)
{
	(void)state;
	assert_true((uint64_t)ONE_VALUE("KERNELOFFSET=ffffffffffffffff",
					kernel_offset) == UINT64_MAX);
	assert_int_equal(ONE_VALUE("KERNELOFFSET=0", kernel_offset), 0);
	assert_int_equal(ONE_VALUE("KERNELOFFSET=0x10", kernel_offset), 16);
	assert_int_equal(ONE_VALUE("KERNELOFFSET=CC00000", kernel_offset),
			 0xcc00000);
	assert_int_equal(ONE_VALUE("KERNELOFFSET=00000000000000000000001",
				   kernel_offset),
			 1);
	/* A hex field's "10" is sixteen, a decimal field's is ten. */
	assert_int_equal(ONE_VALUE("SYMBOL(mem_section)=10", sym_mem_section),
			 16);
	assert_int_equal(ONE_VALUE("SIZE(page)=10", size_page), 10);
}

static void bad_numbers_name_key_and_value(void **state)
{
	(void)state;
	profile_fails("SIZE(page)=64x\n",
		      "SIZE(page)=\"64x\" is not a decimal number");
	profile_fails("SIZE(page)=\n", "SIZE(page)=\"\"");
	profile_fails("SIZE(page)= 64\n", "SIZE(page)=\" 64\"");
	profile_fails("SIZE(page)=64 \n", "SIZE(page)=\"64 \"");
	profile_fails("SIZE(page)=+64\n", "SIZE(page)=\"+64\"");
	profile_fails("SIZE(page)=-\n", "SIZE(page)=\"-\"");
	profile_fails("SIZE(page)=0x\n", "SIZE(page)=\"0x\"");
	profile_fails("SIZE(page)=-0x40\n", "SIZE(page)=\"-0x40\"");
	/* A bare hex string is never guessed to be hex. */
	profile_fails("SIZE(page)=4a\n", "SIZE(page)=\"4a\"");
	profile_fails("SYMBOL(init_top_pgt)=ffffffff8f61000g\n",
		      "SYMBOL(init_top_pgt)=\"ffffffff8f61000g\" is not a "
		      "hexadecimal number");
	profile_fails("SYMBOL(init_top_pgt)=-1\n", "SYMBOL(init_top_pgt)");
	profile_fails("KERNELOFFSET=\n", "KERNELOFFSET=\"\"");
	profile_fails("KERNELOFFSET=0x\n", "KERNELOFFSET=\"0x\"");
	/* Control bytes in the value are quoted, not printed raw. */
	profile_fails("SIZE(page)=6\x01"
		      "4\n",
		      "SIZE(page)=\"6\\x014\"");
}

static void overflow_is_an_error(void **state)
{
	(void)state;
	profile_fails("NUMBER(phys_base)=9223372036854775808\n",
		      "NUMBER(phys_base)=\"9223372036854775808\"");
	profile_fails("NUMBER(phys_base)=-9223372036854775809\n",
		      "NUMBER(phys_base)");
	profile_fails("NUMBER(phys_base)=99999999999999999999999\n",
		      "NUMBER(phys_base)");
	profile_fails("KERNELOFFSET=10000000000000000\n",
		      "KERNELOFFSET=\"10000000000000000\"");
	profile_fails("NUMBER(sme_mask)=0x10000000000000000\n",
		      "NUMBER(sme_mask)");
}

/* Keys outside the profile are not typed, so they may hold anything. */
static void other_keys_are_not_typed(void **state)
{
	struct vt_kernel_profile kp;

	(void)state;
	profile_ok("BUILD-ID=not a number\nSIZE(page)=64\n", &kp);
	assert_known(kp.size_page, 64);
}

static void long_release_is_truncated(void **state)
{
	char text[256] = "OSRELEASE=";
	struct vt_kernel_profile kp;

	(void)state;
	memset(text + 10, 'r', 100);
	profile_ok(text, &kp);
	assert_int_equal(strlen(kp.release), 64);
	assert_int_equal(strspn(kp.release, "r"), 64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_6_1_profile_has_typed_values),
		cmocka_unit_test(real_6_1_five_level_profile),
		cmocka_unit_test(real_6_1_absent_keys_are_unknown),
		cmocka_unit_test(require_names_the_missing_key),
		cmocka_unit_test(real_6_1_entries_keep_text_order),
		cmocka_unit_test(real_6_1_note_padding_is_ignored),
		cmocka_unit_test(mkvmcore_profile_matches_6_1),
		cmocka_unit_test(line_without_equals_is_an_error),
		cmocka_unit_test(empty_key_is_an_error),
		cmocka_unit_test(empty_lines_are_skipped),
		cmocka_unit_test(empty_text_gives_an_empty_profile),
		cmocka_unit_test(text_ends_at_embedded_nul),
		cmocka_unit_test(length_bounds_the_text),
		cmocka_unit_test(last_line_needs_no_newline),
		cmocka_unit_test(crlf_line_ends_are_accepted),
		cmocka_unit_test(value_may_hold_equals),
		cmocka_unit_test(first_duplicate_key_wins),
		cmocka_unit_test(many_keys_are_all_found),
		cmocka_unit_test(huge_bad_line_is_quoted_short),
		cmocka_unit_test(huge_value_is_kept_whole),
		cmocka_unit_test(decimal_limits),
		cmocka_unit_test(hex_limits),
		cmocka_unit_test(bad_numbers_name_key_and_value),
		cmocka_unit_test(overflow_is_an_error),
		cmocka_unit_test(other_keys_are_not_typed),
		cmocka_unit_test(long_release_is_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
