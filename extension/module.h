/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the crash module: the dump's findings, read once at load, and the
 * parts that share them (vmemtrim.c: load and registration; dump.c: the
 * dump and its missing runs; command.c: the vmemmap command; filter.c: the
 * output line filter; guard.c: the wrapped built-in commands). Every name stays inside the module: crash exports
 * its own symbols to extensions, and ours must not bind to them.
 */
#ifndef VMEMTRIM_EXTENSION_MODULE_H
#define VMEMTRIM_EXTENSION_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/findings.h"

#pragma GCC visibility push(hidden)

#ifdef VMEMTRIM_VERSION
#define TOOL "vmemtrim.so " VMEMTRIM_VERSION
#else
#define TOOL "vmemtrim.so"
#endif

#define MARK "[struct page excluded]"

/* A maximal run of pfns in one missing state, for the line filter. */
struct missing_run {
	uint64_t start_pfn, end_pfn;
	enum vt_struct_page_state state;
};

/* What the dump says, read once when the module is loaded. */
struct ext_state {
	char *path;
	struct vt_error *err; /* the dump could not be read at all */
	struct vt_findings f;
	uint64_t base, page_struct_size;
	struct missing_run *runs;
	size_t nr_runs, cap_runs;
	bool runs_nomem;
};

/* crash's model: one dump per session, so one state per module */
extern struct ext_state ext;

/* dump.c: open the dump crash opened (at load), close it (at unload) */
void ext_dump_open(void);
void ext_dump_close(void);
bool ext_lacks_struct_pages(void);
/* The missing run holding @pfn, or NULL. */
const struct missing_run *ext_missing_run_of(uint64_t pfn);
/* The pfn whose struct page holds the byte at @vaddr, if in vmemmap. */
bool ext_vaddr_to_pfn(uint64_t vaddr, uint64_t *pfn);

/* command.c */
extern char *ext_help_vmemmap[];
void ext_cmd_vmemmap(void);

/* filter.c: fp through the line filter while a guarded command runs */
void ext_filter_begin(void);
void ext_filter_end(void);
void ext_cmd_vmemmap_cleanup(void);

/* guard.c */
void ext_guard_install(void);
void ext_guard_remove(void);

#pragma GCC visibility pop

#endif
