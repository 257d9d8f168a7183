// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --dump-dmesg: the kernel log of a dump, as makedumpfile writes it (one
 * "[seconds.micros] text" line per record), to a file written under a
 * temporary name and renamed once complete, as the dump is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dmesg.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/printk.h"
#include "outfile.h"

struct out {
	FILE *f;
	char *line;
	size_t cap;
	int err; /* errno of the first failed write */
};

static int put_record(void *arg, const struct vt_printk_record *r)
{
	struct out *o = arg;
	size_t need = vt_printk_line_max(r), n;

	if (need > o->cap) {
		char *l = realloc(o->line, need);

		if (!l) {
			o->err = ENOMEM;
			return 1;
		}
		o->line = l;
		o->cap = need;
	}
	n = vt_printk_line(r, o->line);
	if (fwrite(o->line, 1, n, o->f) != n) {
		o->err = errno ? errno : EIO;
		return 1;
	}
	return 0;
}

/* Write the log of @p to @fd; closes @fd. */
static struct vt_error *write_log(struct vt_printk *p, int fd, const char *path)
{
	struct out o = { .f = fdopen(fd, "w") };
	struct vt_error *err;

	if (!o.f) {
		err = vt_error_errno(errno, "%s", path);
		close(fd);
		return err;
	}
	errno = 0;
	err = vt_printk_walk(p, put_record, &o);
	free(o.line);
	if (!err && !o.err && (fflush(o.f) || fsync(fileno(o.f))))
		o.err = errno;
	if (fclose(o.f) && !o.err)
		o.err = errno;
	if (!err && o.err)
		err = vt_error_errno(o.err, "%s: cannot write the log", path);
	return err;
}

struct vt_error *vt_dump_dmesg(const struct vt_dmesg_opts *opts,
			       struct vt_printk_summary *sum)
{
	const char *in = opts->input;
	struct vt_dump *dump = NULL;
	struct vt_printk *p = NULL;
	struct vt_error *err;
	char *tmp = NULL;
	int fd = -1;

	err = vt_dump_open(&in, 1, &dump);
	if (!err && (err = vt_printk_open_dump(dump, &p)))
		err = vt_error_prefix(err, "%s: ", in);
	if (!err)
		err = vt_outfile_create(opts->output, opts->force, &tmp, &fd);
	if (!err) {
		err = write_log(p, fd, tmp);
		if (err)
			unlink(tmp);
		else
			err = vt_outfile_install(tmp, opts->output,
						 opts->force);
	}
	if (p)
		*sum = *vt_printk_summary_of(p);
	free(tmp);
	vt_printk_free(p);
	vt_dump_close(dump);
	return err;
}
