// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The crash module's output line filter: while a guarded command runs, fp
 * is a stream of ours that passes every line on to the real fp, marking
 * the page lines of missing struct pages and explaining a "page excluded"
 * stop on one. See extension/vmemtrim.c for the facts about crash it uses.
 */
#define _GNU_SOURCE
#include "defs.h"

#include <ctype.h>
#include <inttypes.h>

#include "module.h"
#include "vmemtrim/json.h"
#include "vmemtrim/vmemmap.h"

/*
 * While a guarded command runs, fp is a stream of ours that passes every
 * line on to the real fp, appending MARK to page lines of missing struct
 * pages and a line of explanation after a "page excluded" error on one.
 */
struct filter {
	FILE *real;
	FILE *stream;
	FILE *errs; /* pc->error_fp meanwhile: into the filter, and to the
		       old error_fp when that is not where fp goes */
	char *saved_error_path;
	FILE *saved_error_fp;
	bool in_page_table; /* after a "PAGE ..." header line */
	size_t len;
	char line[BUFSIZE * 2];
};

static struct filter *active;

static bool parse_hex_token(const char *s, uint64_t *v, const char **end)
{
	const char *p = s;

	*v = 0;
	while (isxdigit((unsigned char)*p)) {
		if (p - s >= 16)
			return false;
		*v = *v << 4 | (uint64_t)(isdigit((unsigned char)*p) ?
						  *p - '0' :
						  (tolower((unsigned char)*p) -
						   'a' + 10));
		p++;
	}
	*end = p;
	return p > s;
}

/* The missing run of the struct page at the start of @line, or NULL. */
static const struct missing_run *page_line_run(const char *line)
{
	uint64_t v, pfn;
	const char *end;

	if (!parse_hex_token(line, &v, &end) || (*end != ' ' && *end))
		return NULL;
	if (!ext_vaddr_to_pfn(v, &pfn))
		return NULL;
	return ext_missing_run_of(pfn);
}

static void explain_excluded(FILE *out, const char *line)
{
	static const char key[] = "page excluded: kernel virtual address: ";
	const char *p = strstr(line, key), *end;
	const struct missing_run *run;
	uint64_t v, pfn;

	if (!p || !parse_hex_token(p + sizeof(key) - 1, &v, &end) ||
	    !ext_vaddr_to_pfn(v, &pfn) || !(run = ext_missing_run_of(pfn)))
		return;
	fprintf(out,
		"vmemmap: %" PRIx64 " is in the struct page of pfn %" PRIx64
		", one of pfns %" PRIx64 " - %" PRIx64
		" whose struct pages are not in this dump\n"
		"         (%s: the vmemmap page holding them was left out); "
		"%s stops here. See \"vmemmap -p 0x%" PRIx64 "\".\n",
		v, pfn, run->start_pfn, run->end_pfn - 1,
		vt_struct_page_state_name(run->state),
		pc->curcmd ? pc->curcmd : "the command", pfn);
}

static void filter_line(struct filter *f, bool complete)
{
	const char *s = f->line;
	const char *t = s + strspn(s, " \t");

	if (!strncmp(t, "PAGE ", 5) || !strcmp(t, "PAGE")) {
		f->in_page_table = true;
	} else if (f->in_page_table) {
		if (page_line_run(s)) {
			/* One space, so that removing " " MARK gives
			 * back crash's line exactly. */
			fprintf(f->real, "%s " MARK "%s", s,
				complete ? "\n" : "");
			return;
		}
		if (!isxdigit((unsigned char)*s))
			f->in_page_table = false;
	}
	fprintf(f->real, "%s%s", s, complete ? "\n" : "");
	if (complete)
		explain_excluded(f->real, s);
}

static ssize_t filter_write(void *cookie, const char *buf, size_t n)
{
	struct filter *f = cookie;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			f->line[f->len] = 0;
			filter_line(f, true);
			f->len = 0;
			continue;
		}
		/* An endless line goes on unfiltered, in pieces. */
		if (f->len == sizeof(f->line) - 1) {
			f->line[f->len] = 0;
			fputs(f->line, f->real);
			f->len = 0;
		}
		f->line[f->len++] = buf[i];
	}
	return n;
}

static ssize_t filter_error_write(void *cookie, const char *buf, size_t n)
{
	struct filter *f = cookie;

	if (f->saved_error_fp && f->saved_error_fp != f->real) {
		fwrite(buf, 1, n, f->saved_error_fp);
		fflush(f->saved_error_fp);
	}
	return filter_write(cookie, buf, n);
}

static int filter_close(void *cookie)
{
	struct filter *f = cookie;

	if (f->len) {
		f->line[f->len] = 0;
		fputs(f->line, f->real);
	}
	fflush(f->real);
	return 0;
}

void ext_filter_begin(void)
{
	static cookie_io_functions_t io = { .write = filter_write,
					    .close = filter_close };
	static cookie_io_functions_t err_io = { .write = filter_error_write };
	struct filter *f = calloc(1, sizeof(*f));

	if (!f)
		return;
	f->stream = fopencookie(f, "w", io);
	if (!f->stream) {
		free(f);
		return;
	}
	/* Unbuffered: a FATAL longjmp must not strand output in stdio. */
	setvbuf(f->stream, NULL, _IONBF, 0);
	fflush(fp);
	f->real = fp;
	f->saved_error_path = pc->error_path;
	f->saved_error_fp = pc->error_fp;
	if (STREQ(pc->error_path, "default")) {
		f->errs = fopencookie(f, "w", err_io);
		if (f->errs) {
			setvbuf(f->errs, NULL, _IONBF, 0);
			pc->error_path = "vmemtrim";
			pc->error_fp = f->errs;
		}
	}
	fp = f->stream;
	active = f;
}

/*
 * Undo ext_filter_begin(): after the command returned (fp is ours again), or
 * from restore_sanity() after a FATAL error left the command midway.
 */
void ext_filter_end(void)
{
	struct filter *f = active;

	if (!f)
		return;
	active = NULL;
	if (fp == f->stream)
		fp = f->real;
	pc->error_fp = f->saved_error_fp;
	pc->error_path = f->saved_error_path;
	if (f->errs)
		fclose(f->errs);
	/*
	 * After a FATAL, restore_sanity() has already closed a pipe or file
	 * the output went to; only stdout is sure to be still open.
	 */
	if (f->real != stdout)
		f->len = 0;
	fclose(f->stream);
	free(f);
}

/* restore_sanity() calls this (CLEANUP) before every command. */
void ext_cmd_vmemmap_cleanup(void)
{
	ext_filter_end();
}
