// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The layouts and symbols a walk of the per-CPU free lists needs, read
 * from a vmlinux (-x) with elfutils: libelf for the symbol table and
 * linux_banner, libdw for the struct members and the one enumerator. See
 * filter/pcp-dwarf.h and docs/page-classification.md.
 *
 * Types are looked for among the top-level entries of each compile unit,
 * stopping at the first unit that completes them (the first units of a
 * vmlinux include the memory-management headers), so a vmlinux of
 * hundreds of MiB is read in a fraction of a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>

#include "pcp-dwarf.h"

/* The largest order kept on a per-CPU list: PAGE_ALLOC_COSTLY_ORDER. */
#define COSTLY_ORDER 3
/* pageblock_order and HPAGE_PMD_ORDER on x86_64 with 4 KiB pages. */
#define PMD_ORDER 9
#define LIST_HEAD_SIZE 16
/* More zones than this in a node is no kernel's (MAX_NR_ZONES is 2-6). */
#define MAX_ZONES 16

int vt_pcp_list_order(uint64_t i, uint64_t nr_lists, uint64_t pcptypes,
		      bool order0_only)
{
	uint64_t low = pcptypes * (COSTLY_ORDER + 1);

	if (!pcptypes || i >= nr_lists)
		return -1;
	if (order0_only)
		return nr_lists == pcptypes ? 0 : -1;
	if (nr_lists < low || nr_lists > low + pcptypes)
		return -1;
	return i < low ? (int)(i / pcptypes) : PMD_ORDER;
}

/* The types looked for, found one by one. */
struct types {
	Dwarf_Die page, zone, pcp, pageset, pgdat;
	bool have_page, have_zone, have_pcp, have_pageset, have_pgdat;
	bool have_pcptypes;
	uint64_t pcptypes;
};

static bool is_definition(Dwarf_Die *d)
{
	return !dwarf_hasattr(d, DW_AT_declaration) && dwarf_bytesize(d) > 0;
}

static void take_struct(struct types *t, Dwarf_Die *d)
{
	const char *name = dwarf_diename(d);
	struct {
		const char *name;
		Dwarf_Die *die;
		bool *have;
	} want[] = {
		{ "page", &t->page, &t->have_page },
		{ "zone", &t->zone, &t->have_zone },
		{ "per_cpu_pages", &t->pcp, &t->have_pcp },
		{ "per_cpu_pageset", &t->pageset, &t->have_pageset },
		{ "pglist_data", &t->pgdat, &t->have_pgdat },
	};

	if (!name || !is_definition(d))
		return;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!*want[i].have && !strcmp(name, want[i].name)) {
			*want[i].die = *d;
			*want[i].have = true;
		}
}

static void take_enum(struct types *t, Dwarf_Die *d)
{
	Dwarf_Die e;
	Dwarf_Attribute a;
	Dwarf_Word v;

	if (t->have_pcptypes || dwarf_child(d, &e) != 0)
		return;
	do {
		const char *name = dwarf_diename(&e);

		if (name && !strcmp(name, "MIGRATE_PCPTYPES") &&
		    dwarf_attr(&e, DW_AT_const_value, &a) &&
		    dwarf_formudata(&a, &v) == 0) {
			t->pcptypes = v;
			t->have_pcptypes = true;
			return;
		}
	} while (dwarf_siblingof(&e, &e) == 0);
}

static bool complete(const struct types *t)
{
	return t->have_page && t->have_zone && t->have_pcp && t->have_pgdat &&
	       t->have_pcptypes;
}

static void find_types(Dwarf *dw, struct types *t)
{
	Dwarf_Off off = 0, next;
	size_t hsize;

	while (!complete(t) &&
	       dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, d;

		if (dwarf_offdie(dw, off + hsize, &cu) &&
		    dwarf_child(&cu, &d) == 0)
			do {
				int tag = dwarf_tag(&d);

				if (tag == DW_TAG_structure_type)
					take_struct(t, &d);
				else if (tag == DW_TAG_enumeration_type)
					take_enum(t, &d);
			} while (dwarf_siblingof(&d, &d) == 0);
		off = next;
	}
}

/* The type of @d, typedefs and qualifiers peeled; false when none. */
static bool type_of(Dwarf_Die *d, Dwarf_Die *type)
{
	Dwarf_Attribute a;

	return dwarf_attr_integrate(d, DW_AT_type, &a) &&
	       dwarf_formref_die(&a, type) && dwarf_peel_type(type, type) == 0;
}

/*
 * The member @name of the struct or union @s, looked for also inside its
 * unnamed struct and union members: its offset and (peeled) type.
 */
static bool member(Dwarf_Die *s, const char *name, uint64_t *off,
		   Dwarf_Die *type)
{
	Dwarf_Die m;

	if (dwarf_child(s, &m) != 0)
		return false;
	do {
		const char *n = dwarf_diename(&m);
		Dwarf_Attribute a;
		Dwarf_Word at = 0;
		Dwarf_Die t;

		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		if (dwarf_attr(&m, DW_AT_data_member_location, &a) &&
		    dwarf_formudata(&a, &at) != 0)
			continue; /* a location expression: not expected */
		if (n && !strcmp(n, name)) {
			*off = at;
			return type_of(&m, type);
		}
		if (!n && type_of(&m, &t) &&
		    (dwarf_tag(&t) == DW_TAG_structure_type ||
		     dwarf_tag(&t) == DW_TAG_union_type) &&
		    member(&t, name, off, type)) {
			*off += at;
			return true;
		}
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

/* The number of @elem-byte elements of the array type @arr; 0: not one. */
static uint64_t array_len(Dwarf_Die *arr, uint64_t elem)
{
	Dwarf_Word size;

	if (dwarf_tag(arr) != DW_TAG_array_type || !elem ||
	    dwarf_aggregate_size(arr, &size) != 0 || size % elem)
		return 0;
	return size / elem;
}

static void unknown(struct vt_pcp_kernel *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void unknown(struct vt_pcp_kernel *k, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->unknown, sizeof(k->unknown), fmt, ap);
	va_end(ap);
}

/* The lists' layout from @t into @k; false (k->unknown says why) if not. */
static bool layouts(struct types *t, struct vt_pcp_kernel *k)
{
	Dwarf_Die ty;
	uint64_t off;

	if (!complete(t)) {
		unknown(k, "no struct page, zone, per_cpu_pages, pglist_data "
			   "or MIGRATE_PCPTYPES in its DWARF");
		return false;
	}
	k->migrate_pcptypes = t->pcptypes;
	if (!member(&t->page, "pcp_list", &k->off_page_link, &ty) &&
	    !member(&t->page, "lru", &k->off_page_link, &ty)) {
		unknown(k, "struct page has no pcp_list or lru");
		return false;
	}
	if (member(&t->zone, "per_cpu_pageset", &k->off_zone_pcp, &ty)) {
		k->off_pageset_pcp = 0;
	} else if (t->have_pageset &&
		   member(&t->zone, "pageset", &k->off_zone_pcp, &ty) &&
		   member(&t->pageset, "pcp", &off, &ty)) {
		k->off_pageset_pcp = off;
		k->order0_only = true;
	} else {
		unknown(k, "struct zone has no per_cpu_pageset or pageset");
		return false;
	}
	if (!member(&t->pcp, "count", &k->off_pcp_count, &ty) ||
	    dwarf_bytesize(&ty) != 4 ||
	    !member(&t->pcp, "lists", &k->off_pcp_lists, &ty) ||
	    !(k->nr_lists = array_len(&ty, LIST_HEAD_SIZE))) {
		unknown(k, "struct per_cpu_pages has no int count or lists[]");
		return false;
	}
	k->size_zone = (uint64_t)dwarf_bytesize(&t->zone);
	if (!member(&t->pgdat, "node_zones", &k->off_node_zones, &ty) ||
	    !(k->nr_zones = array_len(&ty, k->size_zone)) ||
	    k->nr_zones > MAX_ZONES) {
		unknown(k, "struct pglist_data has no node_zones[]");
		return false;
	}
	if (vt_pcp_list_order(0, k->nr_lists, k->migrate_pcptypes,
			      k->order0_only) < 0) {
		unknown(k,
			"%llu per-CPU lists of %llu migratetypes: no known "
			"kernel's",
			(unsigned long long)k->nr_lists,
			(unsigned long long)k->migrate_pcptypes);
		return false;
	}
	return true;
}

/* The bytes at link-time address @addr of the image, from its sections. */
static size_t image_bytes(Elf *elf, uint64_t addr, void *buf, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    addr < sh.sh_addr || addr - sh.sh_addr >= sh.sh_size)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || addr - sh.sh_addr >= data->d_size)
			return 0;
		if (len > data->d_size - (addr - sh.sh_addr))
			len = data->d_size - (addr - sh.sh_addr);
		memcpy(buf, (const char *)data->d_buf + (addr - sh.sh_addr),
		       len);
		return len;
	}
	return 0;
}

/* The symbols, from the ELF symbol table; false when one is missing. */
static bool symbols(Elf *elf, struct vt_pcp_kernel *k)
{
	Elf_Scn *scn = NULL;
	uint64_t banner_size = 0;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *n;

			if (!gelf_getsym(data, (int)i, &s) ||
			    GELF_ST_TYPE(s.st_info) != STT_OBJECT ||
			    !(n = elf_strptr(elf, sh.sh_link, s.st_name)))
				continue;
			if (!strcmp(n, "node_data")) {
				k->node_data = s.st_value;
				k->nr_node_data = s.st_size / 8;
			} else if (!strcmp(n, "contig_page_data")) {
				k->contig_page_data = s.st_value;
			} else if (!strcmp(n, "__per_cpu_offset")) {
				k->per_cpu_offset = s.st_value;
				k->nr_per_cpu_offset = s.st_size / 8;
			} else if (!strcmp(n, "nr_cpu_ids")) {
				k->nr_cpu_ids = s.st_value;
			} else if (!strcmp(n, "linux_banner")) {
				k->linux_banner = s.st_value;
				banner_size = s.st_size;
			}
		}
	}
	if ((!k->node_data || !k->nr_node_data) && !k->contig_page_data) {
		unknown(k, "no node_data or contig_page_data symbol");
		return false;
	}
	if (!k->per_cpu_offset || !k->nr_per_cpu_offset || !k->linux_banner) {
		unknown(k, "no __per_cpu_offset or linux_banner symbol");
		return false;
	}
	if (!banner_size || banner_size > sizeof(k->banner))
		banner_size = sizeof(k->banner);
	k->banner_len =
		image_bytes(elf, k->linux_banner, k->banner, banner_size);
	k->banner_len = strnlen(k->banner, k->banner_len);
	if (k->banner_len < 16) {
		unknown(k, "its linux_banner cannot be read");
		return false;
	}
	return true;
}

struct vt_error *vt_pcp_kernel_load(const char *path,
				    struct vt_pcp_kernel **out)
{
	struct vt_pcp_kernel *k;
	struct vt_error *err = NULL;
	struct types t = { 0 };
	Dwarf *dw = NULL;
	Elf *elf = NULL;
	int fd;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return vt_error_new(VT_ERR_UNSUPPORTED, "%s: libelf: %s", path,
				    elf_errmsg(-1));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vt_error_file(errno, path, "cannot open the vmlinux");
	k = calloc(1, sizeof(*k));
	if (!k) {
		close(fd);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		err = vt_error_new(VT_ERR_FORMAT, "%s: not an ELF file", path);
	else if (!(dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL)))
		err = vt_error_new(VT_ERR_FORMAT,
				   "%s: no DWARF debug information (give "
				   "the debug vmlinux)",
				   path);
	if (!err && symbols(elf, k)) {
		find_types(dw, &t);
		layouts(&t, k);
	}
	if (dw)
		dwarf_end(dw);
	if (elf)
		elf_end(elf);
	close(fd);
	if (err) {
		free(k);
		return err;
	}
	*out = k;
	return NULL;
}

void vt_pcp_kernel_free(struct vt_pcp_kernel *k)
{
	free(k);
}
