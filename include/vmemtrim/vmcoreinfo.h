/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * VMCOREINFO: the KEY=VALUE lines the kernel publishes for dump tools, and a
 * typed kernel profile made from them. Keys the kernel did not publish stay
 * explicitly unknown, never 0.
 */
#ifndef VMEMTRIM_VMCOREINFO_H
#define VMEMTRIM_VMCOREINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_vmcoreinfo;

/*
 * Parse VMCOREINFO text (stops at the first NUL or at @len). A line without
 * '=' or with an empty key is an error naming the line number. Empty lines
 * are skipped, the last line needs no '\n', and "\r\n" ends a line too.
 */
struct vt_error *vt_vmcoreinfo_parse(const char *text, size_t len,
				     struct vt_vmcoreinfo **out);
void vt_vmcoreinfo_free(struct vt_vmcoreinfo *vi);

/*
 * The value string of @key, or NULL when absent. When @key appears more
 * than once the first wins, as in makedumpfile and crash.
 */
const char *vt_vmcoreinfo_get(const struct vt_vmcoreinfo *vi, const char *key);

/* Iterate: the i-th key and value; false past the end. */
bool vt_vmcoreinfo_entry(const struct vt_vmcoreinfo *vi, size_t i,
			 const char **key, const char **value);

/* A value the kernel may or may not have published. */
struct vt_opt {
	bool known;
	int64_t value; /* SYMBOL()s and addresses: cast to uint64_t */
};

/*
 * The typed profile: one X() per field, in one table, so a kernel era that
 * adds or renames a key is one line here.
 *   X(field, "VMCOREINFO key", base)  base 16 for SYMBOL/KERNELOFFSET,
 *                                     10 otherwise (signed allowed)
 */
#define VT_PROFILE_FIELDS(X)                                                  \
	X(page_size, "PAGESIZE", 10)                                          \
	X(crash_time, "CRASHTIME", 10)                                        \
	X(size_page, "SIZE(page)", 10)                                        \
	X(off_page_flags, "OFFSET(page.flags)", 10)                           \
	X(off_page_refcount, "OFFSET(page._refcount)", 10)                    \
	X(off_page_mapping, "OFFSET(page.mapping)", 10)                       \
	X(off_page_lru, "OFFSET(page.lru)", 10)                               \
	X(off_page_mapcount, "OFFSET(page._mapcount)", 10)                    \
	X(off_page_private, "OFFSET(page.private)", 10)                       \
	X(off_page_compound_dtor, "OFFSET(page.compound_dtor)", 10)           \
	X(off_page_compound_order, "OFFSET(page.compound_order)", 10)         \
	X(off_page_compound_head, "OFFSET(page.compound_head)", 10)           \
	X(off_folio_dtor, "OFFSET(folio._folio_dtor)", 10)                    \
	X(off_folio_order, "OFFSET(folio._folio_order)", 10)                  \
	X(sym_mem_section, "SYMBOL(mem_section)", 16)                         \
	X(len_mem_section, "LENGTH(mem_section)", 10)                         \
	X(size_mem_section, "SIZE(mem_section)", 10)                          \
	X(off_mem_section_map, "OFFSET(mem_section.section_mem_map)", 10)     \
	X(section_size_bits, "NUMBER(SECTION_SIZE_BITS)", 10)                 \
	X(max_physmem_bits, "NUMBER(MAX_PHYSMEM_BITS)", 10)                   \
	X(pg_lru, "NUMBER(PG_lru)", 10)                                       \
	X(pg_private, "NUMBER(PG_private)", 10)                               \
	X(pg_swapcache, "NUMBER(PG_swapcache)", 10)                           \
	X(pg_swapbacked, "NUMBER(PG_swapbacked)", 10)                         \
	X(pg_slab, "NUMBER(PG_slab)", 10)                                     \
	X(pg_hwpoison, "NUMBER(PG_hwpoison)", 10)                             \
	X(pg_head_mask, "NUMBER(PG_head_mask)", 10)                           \
	X(pg_hugetlb, "NUMBER(PG_hugetlb)", 10)                               \
	X(page_buddy_mapcount, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)", 10)       \
	X(page_offline_mapcount, "NUMBER(PAGE_OFFLINE_MAPCOUNT_VALUE)", 10)   \
	X(page_slab_mapcount, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)", 10)         \
	X(page_hugetlb_mapcount, "NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)", 10)   \
	X(page_unaccepted_mapcount, "NUMBER(PAGE_UNACCEPTED_MAPCOUNT_VALUE)", \
	  10)                                                                 \
	X(hugetlb_page_dtor, "NUMBER(HUGETLB_PAGE_DTOR)", 10)                 \
	X(phys_base, "NUMBER(phys_base)", 10)                                 \
	X(sym_init_top_pgt, "SYMBOL(init_top_pgt)", 16)                       \
	X(sym_init_uts_ns, "SYMBOL(init_uts_ns)", 16)                         \
	X(off_uts_namespace_name, "OFFSET(uts_namespace.name)", 10)           \
	X(pgtable_l5_enabled, "NUMBER(pgtable_l5_enabled)", 10)               \
	X(kernel_offset, "KERNELOFFSET", 16)                                  \
	X(sme_mask, "NUMBER(sme_mask)", 10)

struct vt_kernel_profile {
	char release[65]; /* OSRELEASE, "" when absent */
#define VT_PROFILE_STRUCT_FIELD(field, key, base) struct vt_opt field;
	VT_PROFILE_FIELDS(VT_PROFILE_STRUCT_FIELD)
#undef VT_PROFILE_STRUCT_FIELD
};

/*
 * Fill @kp from @vi. A present key with a value that is not a number is an
 * error naming the key; absent keys leave the field unknown.
 */
struct vt_error *vt_kernel_profile_init(struct vt_kernel_profile *kp,
					const struct vt_vmcoreinfo *vi);

/*
 * NULL when the field at @field_offset of @kp is known, else a VT_ERR_NOKEY
 * error naming its VMCOREINFO key. Use VT_PROFILE_REQUIRE(kp, field).
 */
struct vt_error *vt_profile_require(const struct vt_kernel_profile *kp,
				    size_t field_offset);
#define VT_PROFILE_REQUIRE(kp, field) \
	vt_profile_require((kp), offsetof(struct vt_kernel_profile, field))

#endif
