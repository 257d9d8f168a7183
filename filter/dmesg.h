/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --dump-dmesg: write the kernel log of a dump in makedumpfile's format.
 */
#ifndef VMEMTRIM_FILTER_DMESG_H
#define VMEMTRIM_FILTER_DMESG_H

#include <stdbool.h>

#include "vmemtrim/error.h"
#include "vmemtrim/printk.h"

struct vt_dmesg_opts {
	const char *input; /* any dump the reader opens */
	const char *output; /* the log file */
	bool force; /* -f: replace an existing output */
};

/*
 * Write the log of @opts->input to @opts->output (temporary name, then
 * rename; an existing output is an error without force). *@sum says how
 * many records were written, missing or skipped, also on error once the
 * log was found.
 */
struct vt_error *vt_dump_dmesg(const struct vt_dmesg_opts *opts,
			       struct vt_printk_summary *sum);

#endif
