/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Why did it panic: the panic message of a kernel log and the lines
 * before it, for a triage view (vmemtrim-inspect, docs/inspect-json.md).
 *
 * The panic line is the last record starting with "Kernel panic - not
 * syncing:"; without one, the last record starting with "BUG:", "Oops",
 * "general protection fault" or "kernel BUG at". The trigger is the first
 * of those records within VT_PANIC_BURST records before the panic line
 * (the BUG or Oops that led to it), and the context starts
 * VT_PANIC_BEFORE records before the trigger. A log without any of them
 * gives its last VT_PANIC_BEFORE lines instead.
 */
#ifndef VMEMTRIM_PANIC_H
#define VMEMTRIM_PANIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vmemtrim/error.h"
#include "vmemtrim/printk.h"

#define VT_PANIC_BEFORE 10 /* lines of context before the trigger */
#define VT_PANIC_BURST 100 /* how far before the panic a trigger may be */
#define VT_PANIC_LINES_MAX 64 /* lines kept; the rest are counted */

struct vt_panic {
	bool found; /* a panic / BUG / Oops line is in the log */
	uint64_t panic_seq; /* its sequence number */
	char *message; /* its text (makedumpfile's line, no "\n") */
	/*
	 * The context, oldest first, each a makedumpfile line without its
	 * "\n": from VT_PANIC_BEFORE lines before the trigger to the panic
	 * line, or the log's last lines when !found. At most
	 * VT_PANIC_LINES_MAX; lines_skipped counts those left out between
	 * the kept ones and the panic line (which is always the last).
	 */
	char *lines[VT_PANIC_LINES_MAX];
	unsigned int nr_lines;
	uint64_t lines_skipped;
	struct vt_printk_summary log; /* what the walk found */
};

/*
 * Walk @p's log (twice) and fill @out, which the caller zeroes first and
 * releases with vt_panic_release() whatever this returns.
 */
struct vt_error *vt_panic_find(struct vt_printk *p, struct vt_panic *out);
void vt_panic_release(struct vt_panic *out);

#endif
