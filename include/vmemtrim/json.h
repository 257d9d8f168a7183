/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON description of a dump (docs/inspect-json.md), printed the same
 * way by vmemtrim-inspect --json and by the crash extension's vmemmap -j,
 * so the two can never disagree. Also the names both front ends use for
 * formats, status bits and pfn states in text.
 */
#ifndef VMEMTRIM_JSON_H
#define VMEMTRIM_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/error.h"
#include "vmemtrim/vmemmap.h"

#define VT_JSON_SCHEMA "vmemtrim-inspect/1"

struct vt_x86_64;
struct vt_panic;
struct vt_verdict;

/* Everything the JSON object is made of, gathered by the caller. */
struct vt_report {
	const struct vt_dump_info *info;
	const struct vt_kernel_profile *kp;
	const struct vt_dump_counts *counts;
	struct vt_dump *dump; /* read again for the runs not written */
	struct vt_x86_64 *x86; /* NULL when the page tables are unusable */
	struct vt_vmemmap *vm; /* NULL when struct pages are unknown ... */
	const struct vt_error *vm_err; /* ... and then this says why */
	const struct vt_vmemmap_summary *sum; /* valid when vm is set */
	const struct vt_pfn_report *pfn; /* NULL: no pfn was asked about */
	/* The kernel log's panic and context; both NULL: no "log" field */
	const struct vt_panic *panic;
	const struct vt_error *log_err; /* why the log cannot be read */
	/* Whole or damaged; both NULL: no "verdict" field */
	const struct vt_verdict *verdict;
	const struct vt_error *verdict_err; /* why there is no verdict */
};

/* "elf", "kdump", "kdump-flattened". */
const char *vt_format_name(enum vt_dump_format f);

/* The kdump status bit's name (EXCLUDED_VMEMMAP), NULL if unknown. */
const char *vt_status_bit_name(uint32_t bit);

/* "zlib", "lzo", "snappy", "zstd", "none" or "unknown". */
const char *vt_compression_name(uint32_t status);

/* "dumped", "excluded", "not RAM (hole)". */
const char *vt_pfn_state_name(enum vt_pfn_state s);

/*
 * Print the JSON object to @out; with @ranges, the "ranges" array too
 * (then r->vm must be set). @tool is the "tool" value ("vmemtrim-inspect
 * 0.1.0"). Errors come from the range walks (the first one); write errors
 * are the caller's to check on @out.
 */
struct vt_error *vt_json_print(FILE *out, const struct vt_report *r,
			       bool ranges, const char *tool);

#endif
