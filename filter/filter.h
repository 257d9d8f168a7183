/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The filter pipeline: read a dump (ELF vmcore or kdump-compressed),
 * classify every pfn from its struct page, optionally leave out the
 * vmemmap pages that describe only excluded pfns (-e), and write a
 * kdump-compressed dump. Two passes over the struct pages, cyclic over pfn
 * blocks, so memory does not grow with RAM beyond the -e bitmaps.
 */
#ifndef VMEMTRIM_FILTER_FILTER_H
#define VMEMTRIM_FILTER_FILTER_H

#include <stdbool.h>
#include <stdint.h>

#include "run.h"
#include "vmemtrim/error.h"

/*
 * Run the filter. On error the report holds what was done so far; a dump
 * that ran out of space is left as described in write.h.
 */
struct vt_error *vt_filter_run(const struct vt_filter_opts *o,
			       struct vt_filter_report *r);

#endif
