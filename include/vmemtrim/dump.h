/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A dump source: an ELF vmcore, a kdump-compressed dump (plain or flattened),
 * or a split set of kdump-compressed files, behind one interface. Pages are
 * addressed by pfn; physical memory can be read across pages.
 */
#ifndef VMEMTRIM_DUMP_H
#define VMEMTRIM_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmemtrim/error.h"

struct vt_dump;
struct vt_vmcoreinfo;
struct vt_kernel_profile;

enum vt_dump_format {
	VT_FORMAT_ELF, /* ELF64 ET_CORE (/proc/vmcore, saved vmcore) */
	VT_FORMAT_KDUMP, /* kdump-compressed (diskdump) file */
	VT_FORMAT_KDUMP_FLAT, /* kdump-compressed as a flattened (-F) stream */
};

/* What a dump holds for one pfn. */
enum vt_pfn_state {
	VT_PFN_HOLE = 0, /* not RAM: no PT_LOAD / clear in the 1st bitmap */
	VT_PFN_EXCLUDED, /* RAM, but its data is not in this dump */
	VT_PFN_DUMPED, /* RAM and its data is in this dump */
};

/* One file of a (possibly split) dump. */
struct vt_dump_part {
	const char *path;
	enum vt_dump_format format;
	uint64_t start_pfn, end_pfn; /* pfns this file holds */
};

struct vt_dump_info {
	enum vt_dump_format format; /* of the first part */
	int header_version; /* kdump header_version, 0 for ELF */
	uint32_t status; /* DUMP_DH_* bits (0 for ELF) */
	uint32_t page_size;
	uint64_t max_pfn; /* max_mapnr: one past the highest pfn */
	int dump_level; /* -1 when unknown (ELF) */
	uint64_t phys_base;
	/* utsname; empty strings when unknown */
	char sysname[65], nodename[65], release[65], version[65], machine[65],
		domainname[65];
	int64_t crash_time; /* seconds since the epoch, -1 when unknown */
	int nr_cpus; /* NT_PRSTATUS notes (kdump: header nr_cpus) */
	const char *vmcoreinfo; /* the VMCOREINFO text, NULL if none */
	size_t vmcoreinfo_size;
	const void *notes; /* the whole PT_NOTE blob, NULL if none */
	size_t notes_size;
	unsigned int nr_parts;
	const struct vt_dump_part *parts;
};

/*
 * Open a dump from one path, or a split set from several (in any order).
 * The format is detected from the content. On error *out is NULL and the
 * message names the file.
 */
struct vt_error *vt_dump_open(const char *const *paths, unsigned int npaths,
			      struct vt_dump **out);
void vt_dump_close(struct vt_dump *dump);

const struct vt_dump_info *vt_dump_info(const struct vt_dump *dump);

/*
 * Use @text (@len bytes of KEY=VALUE lines, e.g. a file given with -i)
 * instead of the dump's own VMCOREINFO for vt_dump_vmcoreinfo() and
 * vt_dump_profile(). vt_dump_info()->vmcoreinfo still shows the dump's own.
 */
struct vt_error *vt_dump_set_vmcoreinfo(struct vt_dump *dump, const char *text,
					size_t len);

/* Parsed VMCOREINFO and the typed profile made from it (never NULL). */
const struct vt_vmcoreinfo *vt_dump_vmcoreinfo(const struct vt_dump *dump);
const struct vt_kernel_profile *vt_dump_profile(const struct vt_dump *dump);

/*
 * The state of @pfn and, in *run_end, the first pfn after it whose state
 * differs (at most max_pfn). Pfns at or past max_pfn are holes.
 */
struct vt_error *vt_dump_pfn_run(struct vt_dump *dump, uint64_t pfn,
				 enum vt_pfn_state *state, uint64_t *run_end);

/*
 * Read the page of @pfn into @buf (page_size bytes). VT_ERR_NODATA when the
 * pfn is a hole, excluded, or not written (incomplete dump).
 */
struct vt_error *vt_dump_read_page(struct vt_dump *dump, uint64_t pfn,
				   void *buf);

/*
 * Read @len bytes of physical memory at @paddr (may cross pages). Reads of
 * an ELF dump keep no state: several threads may read one at once (not a
 * kdump-compressed one, whose bitmap and descriptor caches are shared).
 */
struct vt_error *vt_dump_read_paddr(struct vt_dump *dump, uint64_t paddr,
				    void *buf, size_t len);

/* How the input is read in place (see vt_dump_use_mmap()). */
enum vt_dump_mapping {
	VT_MAP_NONE = 0, /* not at all: every read is a pread() */
	VT_MAP_WHOLE, /* a saved ELF vmcore: one mapping of the whole file */
	/*
	 * /proc/vmcore: bounded windows, mapped as the reading moves on.
	 * Mapping all of it would build page tables for all of old memory at
	 * once, more than a capture kernel has; a read() of it maps and
	 * unmaps every page in the kernel, a window does that once.
	 */
	VT_MAP_WINDOWS,
};

/*
 * Read the input through read-only mappings where that is possible (an
 * ELF vmcore: a regular file whole, /proc/vmcore in windows), for
 * vt_dump_window_map(). The first mapping installs a SIGBUS handler for
 * the whole process, which turns a page that fails to read into zeros
 * and notes it: only for programs that own their signals.
 */
enum vt_dump_mapping vt_dump_use_mmap(struct vt_dump *dump);

/*
 * One reader's view of the mapping (one thread's: a window is not shared).
 * With VT_MAP_WINDOWS at most @bytes are mapped at once (more only when a
 * single span asks for more). NULL when out of memory.
 */
struct vt_dump_window;
struct vt_dump_window *vt_dump_window_new(struct vt_dump *dump, size_t bytes);
void vt_dump_window_free(struct vt_dump_window *w);

/*
 * Where @len bytes of physical memory at @paddr are in the mapping, or
 * NULL: not mapped, not stored in one piece, a window that cannot be
 * mapped, or a page of them failed before (vt_dump_read_paddr() then
 * reads them and says why). A window moves to hold them and, when
 * @ahead > @len, up to @ahead bytes from @paddr (at most the window's
 * size); the pointer is good until the next call on @w. A page may fail
 * while being read: the bytes are good only if vt_dump_map_failed() says
 * false for them after the caller is done with them.
 */
const void *vt_dump_window_map(struct vt_dump_window *w, uint64_t paddr,
			       size_t len, size_t ahead);
bool vt_dump_map_failed(const void *p, size_t len);

/*
 * Done for now with what @w handed out: a window is unmapped; pages of a
 * whole-file mapping leave the process's resident set (they stay in the
 * page cache). Call it as the reading moves on, or the resident set grows
 * with all that was read.
 */
void vt_dump_window_release(struct vt_dump_window *w);

/*
 * Counts over the whole dump: pfns in RAM, pfns dumped, and how many of
 * the dumped pages are stored as the shared zero page (kdump only; 0 for
 * ELF). Reads every page descriptor of a kdump file once.
 */
struct vt_dump_counts {
	uint64_t ram; /* RAM pfns (1st bitmap / PT_LOAD p_memsz) */
	uint64_t dumped; /* pfns whose data is in the dump */
	uint64_t zero; /* of those, stored as the shared zero page */
	uint64_t not_written; /* dumped per bitmap, but no data (incomplete) */
	uint64_t not_written_ranges; /* their runs (vt_dump_not_written()) */
};
struct vt_error *vt_dump_count(struct vt_dump *dump,
			       struct vt_dump_counts *counts);

/*
 * A run of pfns [@start, @end) holding @count pfns of interest (the
 * others are not in the dump at all); not 0 stops the walk.
 */
typedef int vt_dump_range_fn(void *arg, uint64_t start, uint64_t end,
			     uint64_t count);

/*
 * The pfns the bitmaps say are dumped but whose page descriptor was never
 * written (an incomplete dump: empty, or past the end of the file),
 * wherever they lie: the writer need not have stopped at the top of RAM.
 * Handed out in pfn order as runs that a written page ends: the first
 * and last pfn of a run are not written, and so is every dumped pfn
 * between them; the excluded pfns and holes between them are not in the
 * dump at all. Reads every page descriptor once, as vt_dump_count() does,
 * and holds one run at a time. None for an ELF vmcore.
 */
struct vt_error *vt_dump_not_written(struct vt_dump *dump, vt_dump_range_fn *fn,
				     void *arg);

struct vt_kernel_profile;
struct vt_x86_64;

/*
 * An x86_64 translation context over @dump's memory (see
 * include/vmemtrim/x86_64.h: vt_x86_64_open()). @dump must outlive it.
 */
struct vt_error *vt_x86_64_new(struct vt_dump *dump,
			       const struct vt_kernel_profile *kp,
			       struct vt_x86_64 **out);

#endif
