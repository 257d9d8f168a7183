// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A dump: one ELF or kdump-compressed file, or a split set of kdump files,
 * behind the interface of include/vmemtrim/dump.h. Dispatches by pfn to the
 * file that holds it and adds what every format shares: the parsed
 * VMCOREINFO and kernel profile, physical reads across pages, counts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "io.h"
#include "kdump-layout.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/format.h"
#include "vmemtrim/vmcoreinfo.h"
#include "vmemtrim/x86_64.h"

#define PROBE_SIZE 4096

struct vt_dump {
	struct vt_file **files; /* sorted by start_pfn */
	unsigned int nfiles;
	struct vt_dump_part *parts;
	struct vt_dump_info info;
	struct vt_vmcoreinfo *vi;
	struct vt_kernel_profile profile;
};

static struct vt_error *open_file(const char *path, struct vt_file **out)
{
	unsigned char head[PROBE_SIZE];
	struct vt_error *err;
	size_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vt_error_file(errno, path, "cannot open");
	e = vt_pread_some(fd, head, sizeof(head), 0, &n);
	if (e)
		err = vt_error_file(e, path, "cannot read");
	else if (vt_elf_probe(head, n))
		err = vt_elf_open(path, fd, out);
	else if (vt_kdump_probe(head, n))
		err = vt_kdump_open(path, fd, out);
	else
		err = vt_error_new(VT_ERR_FORMAT,
				   "%s: not a vmcore: neither ELF nor "
				   "kdump-compressed (no known signature at "
				   "offset 0)",
				   path);
	if (err)
		close(fd);
	return err;
}

static int cmp_file(const void *a, const void *b)
{
	const struct vt_file *x = *(struct vt_file *const *)a;
	const struct vt_file *y = *(struct vt_file *const *)b;

	if (x->part.start_pfn != y->part.start_pfn)
		return x->part.start_pfn < y->part.start_pfn ? -1 : 1;
	return 0;
}

/* Several files must be one split set: same machine, disjoint pfn ranges. */
static struct vt_error *check_split_set(struct vt_dump *d)
{
	const struct vt_file *first = d->files[0];

	for (unsigned int i = 0; i < d->nfiles; i++) {
		const struct vt_file *f = d->files[i];

		if (f->part.format == VT_FORMAT_ELF)
			return vt_error_new(VT_ERR_INVALID,
					    "%s: an ELF vmcore cannot be part "
					    "of a split dump set",
					    f->path);
		if (f->info.max_pfn != first->info.max_pfn ||
		    f->info.page_size != first->info.page_size)
			return vt_error_new(VT_ERR_INVALID,
					    "%s: not from the same dump as %s "
					    "(max_mapnr or page size differ)",
					    f->path, first->path);
		if (i && f->part.start_pfn < d->files[i - 1]->part.end_pfn)
			return vt_error_new(
				VT_ERR_INVALID,
				"%s: pfns 0x%llx-0x%llx overlap "
				"those of %s",
				f->path, (unsigned long long)f->part.start_pfn,
				(unsigned long long)f->part.end_pfn,
				d->files[i - 1]->path);
	}
	return NULL;
}

/* A page-table page for the x86_64 walk: absent when it has no data. */
static struct vt_error *read_table(void *arg, uint64_t paddr, void *buf,
				   bool *absent)
{
	struct vt_dump *d = arg;
	enum vt_pfn_state state;
	struct vt_error *err;
	uint64_t run_end;

	*absent = true;
	err = vt_dump_pfn_run(d, paddr / d->info.page_size, &state, &run_end);
	if (err || state != VT_PFN_DUMPED)
		return err;
	err = vt_dump_read_paddr(d, paddr, buf, d->info.page_size);
	*absent = vt_error_catch(&err, VT_ERR_NODATA);
	return err;
}

struct vt_error *vt_x86_64_new(struct vt_dump *dump,
			       const struct vt_kernel_profile *kp,
			       struct vt_x86_64 **out)
{
	const struct vt_x86_64_memory mem = {
		.read_table = read_table,
		.arg = dump,
		.page_size = dump->info.page_size,
		.max_pfn = dump->info.max_pfn,
	};

	return vt_x86_64_open(&mem, kp, out);
}

/* utsname of an ELF vmcore: init_uts_ns.name in the kernel image. */
static void read_utsname(struct vt_dump *d)
{
	const struct vt_kernel_profile *kp = &d->profile;
	char uts[6 * VT_KDUMP_UTS_FIELD_LEN];
	struct vt_x86_64 *x;
	struct vt_error *err;
	uint64_t paddr;

	if (!kp->sym_init_uts_ns.known || !kp->off_uts_namespace_name.known)
		return;
	err = vt_x86_64_new(d, kp, &x);
	if (vt_error_catch(&err, 0))
		return; /* no page tables: the release comes from VMCOREINFO */
	paddr = vt_x86_64_ktext_paddr(x,
				      (uint64_t)kp->sym_init_uts_ns.value +
					      kp->off_uts_namespace_name.value);
	vt_x86_64_free(x);
	err = vt_dump_read_paddr(d, paddr, uts, sizeof(uts));
	if (vt_error_catch(&err, 0))
		return;
	char *fields[6] = { d->info.sysname, d->info.nodename,
			    d->info.release, d->info.version,
			    d->info.machine, d->info.domainname };
	for (int i = 0; i < 6; i++) {
		memcpy(fields[i], uts + i * VT_KDUMP_UTS_FIELD_LEN,
		       VT_KDUMP_UTS_FIELD_LEN - 1);
		fields[i][VT_KDUMP_UTS_FIELD_LEN - 1] = 0;
	}
}

/* Facts an ELF file does not carry itself come from VMCOREINFO. */
static void complete_elf_info(struct vt_dump *d)
{
	const struct vt_kernel_profile *kp = &d->profile;

	if (kp->crash_time.known)
		d->info.crash_time = kp->crash_time.value;
	if (kp->phys_base.known)
		d->info.phys_base = kp->phys_base.value;
	read_utsname(d);
	if (!d->info.release[0])
		memcpy(d->info.release, kp->release, sizeof(d->info.release));
}

static struct vt_error *setup(struct vt_dump *d)
{
	struct vt_error *err;
	const char *text = d->files[0]->info.vmcoreinfo;

	qsort(d->files, d->nfiles, sizeof(*d->files), cmp_file);
	if (d->nfiles > 1 && (err = check_split_set(d)))
		return err;
	d->info = d->files[0]->info;
	d->parts = calloc(d->nfiles, sizeof(*d->parts));
	if (!d->parts)
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	for (unsigned int i = 0; i < d->nfiles; i++)
		d->parts[i] = d->files[i]->part;
	d->info.nr_parts = d->nfiles;
	d->info.parts = d->parts;
	err = vt_vmcoreinfo_parse(text ? text : "",
				  text ? d->info.vmcoreinfo_size : 0, &d->vi);
	if (!err)
		err = vt_kernel_profile_init(&d->profile, d->vi);
	if (err)
		return vt_error_prefix(err, "%s: ", d->files[0]->path);
	if (d->info.format == VT_FORMAT_ELF)
		complete_elf_info(d);
	return NULL;
}

struct vt_error *vt_dump_open(const char *const *paths, unsigned int npaths,
			      struct vt_dump **out)
{
	struct vt_dump *d;
	struct vt_error *err = NULL;

	*out = NULL;
	if (npaths == 0)
		return vt_error_new(VT_ERR_INVALID, "no dump file given");
	d = calloc(1, sizeof(*d));
	if (!d || !(d->files = calloc(npaths, sizeof(*d->files)))) {
		free(d);
		return vt_error_new(VT_ERR_NOMEM, "out of memory");
	}
	for (unsigned int i = 0; i < npaths && !err; i++) {
		err = open_file(paths[i], &d->files[i]);
		if (!err)
			d->nfiles++;
	}
	if (!err)
		err = setup(d);
	if (err) {
		vt_dump_close(d);
		return err;
	}
	*out = d;
	return NULL;
}

void vt_dump_close(struct vt_dump *d)
{
	if (!d)
		return;
	for (unsigned int i = 0; i < d->nfiles; i++)
		d->files[i]->ops->close(d->files[i]);
	vt_vmcoreinfo_free(d->vi);
	free(d->files);
	free(d->parts);
	free(d);
}

const struct vt_dump_info *vt_dump_info(const struct vt_dump *d)
{
	return &d->info;
}

struct vt_error *vt_dump_set_vmcoreinfo(struct vt_dump *d, const char *text,
					size_t len)
{
	struct vt_kernel_profile kp;
	struct vt_vmcoreinfo *vi;
	struct vt_error *err;

	err = vt_vmcoreinfo_parse(text, len, &vi);
	if (!err)
		err = vt_kernel_profile_init(&kp, vi);
	if (err) {
		vt_vmcoreinfo_free(vi);
		return err;
	}
	vt_vmcoreinfo_free(d->vi);
	d->vi = vi;
	d->profile = kp;
	return NULL;
}

const struct vt_vmcoreinfo *vt_dump_vmcoreinfo(const struct vt_dump *d)
{
	return d->vi;
}

const struct vt_kernel_profile *vt_dump_profile(const struct vt_dump *d)
{
	return &d->profile;
}

/* The file holding pfn, or NULL (then *next is where the next one starts). */
static struct vt_file *file_of(const struct vt_dump *d, uint64_t pfn,
			       uint64_t *next)
{
	*next = d->info.max_pfn;
	for (unsigned int i = 0; i < d->nfiles; i++) {
		struct vt_file *f = d->files[i];

		if (pfn < f->part.start_pfn) {
			*next = f->part.start_pfn;
			return NULL;
		}
		if (pfn < f->part.end_pfn)
			return f;
	}
	return NULL;
}

struct vt_error *vt_dump_pfn_run(struct vt_dump *d, uint64_t pfn,
				 enum vt_pfn_state *state, uint64_t *run_end)
{
	struct vt_file *f;
	uint64_t next;
	struct vt_error *err;

	*state = VT_PFN_HOLE;
	if (pfn >= d->info.max_pfn) {
		*run_end = pfn + 1;
		return NULL;
	}
	f = file_of(d, pfn, &next);
	if (!f) {
		*run_end = next;
		return NULL;
	}
	err = f->ops->pfn_run(f, pfn, state, run_end);
	if (!err && *run_end > f->part.end_pfn)
		*run_end = f->part.end_pfn;
	if (!err && *run_end <= pfn)
		*run_end = pfn + 1;
	return err;
}

struct vt_error *vt_dump_read_page(struct vt_dump *d, uint64_t pfn, void *buf)
{
	uint64_t next;
	struct vt_file *f =
		pfn < d->info.max_pfn ? file_of(d, pfn, &next) : NULL;

	if (!f)
		return vt_error_new(VT_ERR_NODATA,
				    "%s: pfn 0x%llx is not in the dump (past "
				    "max_mapnr 0x%llx or in no file of the "
				    "set)",
				    d->files[0]->path, (unsigned long long)pfn,
				    (unsigned long long)d->info.max_pfn);
	return f->ops->read_page(f, pfn, buf);
}

enum vt_dump_mapping vt_dump_use_mmap(struct vt_dump *d)
{
	enum vt_dump_mapping best = VT_MAP_NONE;

	for (unsigned int i = 0; i < d->nfiles; i++) {
		struct vt_file *f = d->files[i];
		enum vt_dump_mapping m =
			f->ops->map ? f->ops->map(f) : VT_MAP_NONE;

		if (m > best)
			best = m;
	}
	return best;
}

const void *vt_dump_window_map(struct vt_dump_window *w, uint64_t paddr,
			       size_t len, size_t ahead)
{
	struct vt_dump *d = w->dump;
	const uint64_t ps = d->info.page_size;
	uint64_t next;
	struct vt_file *f = len ? file_of(d, paddr / ps, &next) : NULL;

	if (!f || !f->ops->map_span ||
	    (paddr + len + ps - 1) / ps > f->part.end_pfn)
		return NULL;
	return f->ops->map_span(f, w, paddr, len, ahead);
}

struct vt_error *vt_dump_read_paddr(struct vt_dump *d, uint64_t paddr,
				    void *buf, size_t len)
{
	const uint64_t ps = d->info.page_size;
	unsigned char *out = buf;
	uint64_t next;
	struct vt_file *f = len ? file_of(d, paddr / ps, &next) : NULL;

	/* one read for a whole span the file stores contiguously */
	if (f && f->ops->read_span &&
	    (paddr + len + ps - 1) / ps <= f->part.end_pfn) {
		bool done = false;
		struct vt_error *err =
			f->ops->read_span(f, paddr, buf, len, &done);

		/* cppcheck takes err for a pointer into done: it is not */
		if (err)
			// cppcheck-suppress returnDanglingLifetime
			return err;
		if (done)
			return NULL;
	}
	/* a page of our own for partial pages: callers may be threads */
	unsigned char *tmp = NULL;
	struct vt_error *err = NULL;

	while (len && !err) {
		uint64_t pfn = paddr / ps, off = paddr % ps;
		size_t n = ps - off < len ? ps - off : len;

		if (n == ps) {
			err = vt_dump_read_page(d, pfn, out);
		} else if (!tmp && !(tmp = malloc(ps))) {
			err = vt_error_new(VT_ERR_NOMEM, "out of memory");
		} else {
			err = vt_dump_read_page(d, pfn, tmp);
			if (!err)
				memcpy(out, tmp + off, n);
		}
		out += n;
		paddr += n;
		len -= n;
	}
	free(tmp);
	return err;
}

/*
 * The pfns dumped per the bitmap whose data was never written (an
 * incomplete dump), in runs a written page ends; pfns the dump does not
 * hold at all (excluded, holes) lie inside runs without counting.
 */
struct nw_walk {
	uint64_t start, end, count; /* the run being gathered: count 0 none */
	uint64_t ranges; /* runs handed out */
	vt_dump_range_fn *fn; /* NULL: only count them */
	void *arg;
	int stop; /* what fn returned, when not 0 */
};

/* A written page, or the end: the run gathered so far is complete. */
static void nw_flush(struct nw_walk *w)
{
	if (!w->count)
		return;
	w->ranges++;
	if (w->fn && !w->stop)
		w->stop = w->fn(w->arg, w->start, w->end, w->count);
	w->count = 0;
}

static void nw_add(struct nw_walk *w, uint64_t pfn)
{
	if (!w->count)
		w->start = pfn;
	w->end = pfn + 1;
	w->count++;
}

static struct vt_error *count_dumped(struct vt_dump *d, uint64_t pfn,
				     uint64_t end, struct vt_dump_counts *c,
				     struct nw_walk *w)
{
	uint64_t next;
	struct vt_file *f = file_of(d, pfn, &next);

	for (; pfn < end && !w->stop; pfn++) {
		bool zero, written;
		struct vt_error *err;

		if (!f || pfn >= f->part.end_pfn)
			f = file_of(d, pfn, &next);
		if (!f)
			continue;
		err = f->ops->page_storage(f, pfn, &zero, &written);
		/* cppcheck wrongly thinks err may point at zero/written */
		if (err)
			// cppcheck-suppress returnDanglingLifetime
			return err;
		c->zero += zero;
		c->not_written += !written;
		if (written)
			nw_flush(w);
		else
			nw_add(w, pfn);
	}
	return NULL;
}

/* Every pfn's counts, the runs not written handed to @w. */
static struct vt_error *count_all(struct vt_dump *d, struct vt_dump_counts *c,
				  struct nw_walk *w)
{
	uint64_t pfn = 0;

	memset(c, 0, sizeof(*c));
	while (pfn < d->info.max_pfn && !w->stop) {
		enum vt_pfn_state state;
		uint64_t end;
		struct vt_error *err = vt_dump_pfn_run(d, pfn, &state, &end);

		if (err)
			return err;
		if (state != VT_PFN_HOLE)
			c->ram += end - pfn;
		if (state == VT_PFN_DUMPED) {
			c->dumped += end - pfn;
			if (d->info.format != VT_FORMAT_ELF &&
			    (err = count_dumped(d, pfn, end, c, w)))
				return err;
		}
		pfn = end;
	}
	nw_flush(w);
	c->not_written_ranges = w->ranges;
	return NULL;
}

struct vt_error *vt_dump_count(struct vt_dump *d, struct vt_dump_counts *c)
{
	struct nw_walk w = { 0 };

	return count_all(d, c, &w);
}

struct vt_error *vt_dump_not_written(struct vt_dump *d, vt_dump_range_fn *fn,
				     void *arg)
{
	struct vt_dump_counts c;
	struct nw_walk w = { .fn = fn, .arg = arg };

	return count_all(d, &c, &w);
}
