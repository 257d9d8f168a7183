/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What one look at a dump finds, gathered the same way for every front
 * end: vmemtrim-inspect prints it (text or JSON), the crash module says it
 * when it loads and guards crash's commands by it. The dump itself must
 * open and count; everything after (struct pages, the log, the verdict)
 * may fail, and then the reason is kept beside the missing part, since a
 * dump without them is still worth describing.
 */
#ifndef VMEMTRIM_FINDINGS_H
#define VMEMTRIM_FINDINGS_H

#include <stdbool.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/error.h"
#include "vmemtrim/json.h"
#include "vmemtrim/panic.h"
#include "vmemtrim/verdict.h"
#include "vmemtrim/vmemmap.h"

struct vt_findings {
	struct vt_dump *dump;
	const struct vt_dump_info *info;
	const struct vt_kernel_profile *kp;
	struct vt_dump_counts counts;
	struct vt_x86_64 *x86; /* NULL when the page tables are unusable */
	struct vt_vmemmap *vm; /* NULL when struct pages are unknown ... */
	struct vt_error *vm_err; /* ... and then this says why */
	struct vt_vmemmap_summary sum; /* valid when vm is set */
	bool have_log; /* the log was asked for: panic or log_err is set */
	struct vt_panic panic; /* the log's panic line and context ... */
	struct vt_error *log_err; /* ... or why the log cannot be read */
	struct vt_verdict verdict; /* whole or damaged ... */
	struct vt_error *verdict_err; /* ... or why it cannot be told */
};

/*
 * Open the dump of @npaths files (a split set) and gather into @f; with
 * @log, read the kernel log for its panic line too. The error is the
 * dump's own (it cannot be opened or counted); @f is then released.
 * Release @f with vt_findings_release() otherwise.
 */
struct vt_error *vt_findings_gather(const char *const *paths,
				    unsigned int npaths, bool log,
				    struct vt_findings *f);

/* Forget the struct pages: @err (owned now) says why they are unknown. */
void vt_findings_drop_vmemmap(struct vt_findings *f, struct vt_error *err);

void vt_findings_release(struct vt_findings *f);

/* The JSON report of @f; @pfn: the pfn asked about, or NULL. */
struct vt_report vt_findings_report(const struct vt_findings *f,
				    const struct vt_pfn_report *pfn);

#endif
