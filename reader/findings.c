// SPDX-License-Identifier: GPL-2.0-or-later
/* One look at a dump, for every front end: see include/vmemtrim/findings.h. */
#include <string.h>

#include "vmemtrim/findings.h"
#include "vmemtrim/printk.h"
#include "vmemtrim/x86_64.h"

/* The vmemmap map needs VMCOREINFO and page tables: failure is kept. */
static void open_vmemmap(struct vt_findings *f)
{
	struct vt_error *err = vt_x86_64_new(f->dump, f->kp, &f->x86);

	if (!err)
		err = vt_vmemmap_new(f->dump, f->x86, &f->vm);
	if (!err)
		err = vt_vmemmap_summarize(f->vm, &f->sum);
	if (err)
		vt_findings_drop_vmemmap(f, err);
}

/* The log's panic line and context, or why the log cannot be read. */
static void find_panic(struct vt_findings *f)
{
	struct vt_printk *p = NULL;

	f->have_log = true;
	f->log_err = vt_printk_open_dump(f->dump, &p);
	if (!f->log_err)
		f->log_err = vt_panic_find(p, &f->panic);
	vt_printk_free(p);
}

/* Whole or damaged; without page tables, the reason they are unusable. */
static void check(struct vt_findings *f)
{
	if (f->x86)
		f->verdict_err = vt_verdict_check(
			f->dump, f->x86, f->vm, &f->sum,
			f->vm_err ? f->vm_err->code : 0, &f->verdict);
	else
		f->verdict_err = vt_error_copy(f->vm_err);
}

struct vt_error *vt_findings_gather(const char *const *paths,
				    unsigned int npaths, bool log,
				    struct vt_findings *f)
{
	struct vt_error *err;

	memset(f, 0, sizeof(*f));
	err = vt_dump_open(paths, npaths, &f->dump);
	if (!err) {
		f->info = vt_dump_info(f->dump);
		f->kp = vt_dump_profile(f->dump);
		err = vt_dump_count(f->dump, &f->counts);
	}
	if (err) {
		vt_findings_release(f);
		return err;
	}
	open_vmemmap(f);
	if (log)
		find_panic(f);
	check(f);
	return NULL;
}

void vt_findings_drop_vmemmap(struct vt_findings *f, struct vt_error *err)
{
	vt_vmemmap_free(f->vm);
	f->vm = NULL;
	vt_error_free(f->vm_err);
	f->vm_err = err;
}

void vt_findings_release(struct vt_findings *f)
{
	vt_vmemmap_free(f->vm);
	vt_x86_64_free(f->x86);
	vt_error_free(f->vm_err);
	vt_panic_release(&f->panic);
	vt_error_free(f->log_err);
	vt_error_free(f->verdict_err);
	vt_dump_close(f->dump);
	memset(f, 0, sizeof(*f));
}

struct vt_report vt_findings_report(const struct vt_findings *f,
				    const struct vt_pfn_report *pfn)
{
	return (struct vt_report){
		.info = f->info,
		.kp = f->kp,
		.counts = &f->counts,
		.dump = f->dump,
		.x86 = f->x86,
		.vm = f->vm,
		.vm_err = f->vm_err,
		.sum = &f->sum,
		.pfn = pfn,
		.panic = f->have_log ? &f->panic : NULL,
		.log_err = f->have_log ? f->log_err : NULL,
		.verdict = f->verdict_err ? NULL : &f->verdict,
		.verdict_err = f->verdict_err,
	};
}
