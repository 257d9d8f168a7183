// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The panic message of a kernel log and its context (include/vmemtrim/
 * panic.h). Two walks of the log: the first finds the panic line, the
 * second the trigger before it and the lines to keep, so memory stays at
 * VT_PANIC_LINES_MAX lines whatever the log's size.
 */
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/panic.h"

enum marker { M_NONE, M_PANIC, M_PROBLEM };

static enum marker marker_of(const struct vt_printk_record *r)
{
	static const char *const problems[] = {
		"BUG:",
		"Oops",
		"general protection fault",
		"kernel BUG at",
	};
	static const char panic[] = "Kernel panic - not syncing:";

	if (r->text_len >= sizeof(panic) - 1 &&
	    !memcmp(r->text, panic, sizeof(panic) - 1))
		return M_PANIC;
	for (size_t i = 0; i < sizeof(problems) / sizeof(problems[0]); i++) {
		size_t n = strlen(problems[i]);

		if (r->text_len >= n && !memcmp(r->text, problems[i], n))
			return M_PROBLEM;
	}
	return M_NONE;
}

/* Pass 1: the index (in walk order) of the panic line. */
struct find {
	uint64_t idx;
	bool have_panic, have_problem;
	uint64_t panic_idx, problem_idx;
};

static int find_record(void *arg, const struct vt_printk_record *r)
{
	struct find *f = arg;
	enum marker m = marker_of(r);

	if (m == M_PANIC) {
		f->have_panic = true;
		f->panic_idx = f->idx;
	} else if (m == M_PROBLEM) {
		f->have_problem = true;
		f->problem_idx = f->idx;
	}
	f->idx++;
	return 0;
}

/* Pass 2: the lines. */
struct keep {
	struct vt_panic *out;
	uint64_t idx;
	uint64_t last; /* index of the last line to keep (the panic) */
	uint64_t burst_start; /* a trigger is at or after this index */
	bool triggered; /* the trigger was seen: keep every line */
	char *ring[VT_PANIC_BEFORE]; /* the lines before, while !triggered */
	unsigned int ring_next, ring_len;
	bool nomem;
};

static char *format_line(const struct vt_printk_record *r)
{
	char *s = malloc(vt_printk_line_max(r));
	size_t n;

	if (!s)
		return NULL;
	n = vt_printk_line(r, s);
	if (n && s[n - 1] == '\n')
		n--;
	s[n] = '\0';
	return s;
}

static void ring_push(struct keep *k, char *line)
{
	free(k->ring[k->ring_next]);
	k->ring[k->ring_next] = line;
	k->ring_next = (k->ring_next + 1) % VT_PANIC_BEFORE;
	if (k->ring_len < VT_PANIC_BEFORE)
		k->ring_len++;
}

/* Move the ring's lines, oldest first, to the output. */
static void ring_flush(struct keep *k)
{
	unsigned int first = (k->ring_next + VT_PANIC_BEFORE - k->ring_len) %
			     VT_PANIC_BEFORE;

	for (unsigned int i = 0; i < k->ring_len; i++) {
		unsigned int j = (first + i) % VT_PANIC_BEFORE;

		k->out->lines[k->out->nr_lines++] = k->ring[j];
		k->ring[j] = NULL;
	}
	k->ring_len = 0;
}

static void keep_line(struct keep *k, char *line, bool is_last)
{
	struct vt_panic *o = k->out;

	if (is_last || o->nr_lines < VT_PANIC_LINES_MAX - 1) {
		o->lines[o->nr_lines++] = line;
	} else {
		o->lines_skipped++;
		free(line);
	}
}

static int keep_record(void *arg, const struct vt_printk_record *r)
{
	struct keep *k = arg;
	uint64_t idx = k->idx++;
	char *line;

	if (idx > k->last)
		return 1;
	line = format_line(r);
	if (!line) {
		k->nomem = true;
		return 1;
	}
	if (!k->triggered && k->out->found && idx >= k->burst_start &&
	    marker_of(r) != M_NONE) {
		k->triggered = true;
		ring_flush(k);
	}
	if (!k->triggered) {
		ring_push(k, line);
		return 0;
	}
	if (idx == k->last) {
		k->out->panic_seq = r->seq;
		k->out->message = strdup(line);
		if (!k->out->message)
			k->nomem = true;
	}
	keep_line(k, line, idx == k->last);
	return 0;
}

struct vt_error *vt_panic_find(struct vt_printk *p, struct vt_panic *out)
{
	struct find f = { 0 };
	struct keep k = { .out = out };
	struct vt_error *err;

	err = vt_printk_walk(p, find_record, &f);
	if (err)
		return err;
	/* the second walk stops at the panic line: count the whole log */
	out->log = *vt_printk_summary_of(p);
	out->found = f.have_panic || f.have_problem;
	k.last = f.have_panic ? f.panic_idx : f.problem_idx;
	if (!out->found)
		k.last = f.idx ? f.idx - 1 : 0;
	k.burst_start = k.last > VT_PANIC_BURST ? k.last - VT_PANIC_BURST : 0;
	if (f.idx) {
		err = vt_printk_walk(p, keep_record, &k);
		if (!err && !out->found)
			ring_flush(&k);
	}
	for (unsigned int i = 0; i < VT_PANIC_BEFORE; i++)
		free(k.ring[i]);
	if (!err && k.nomem)
		err = vt_error_new(VT_ERR_NOMEM, "out of memory keeping the "
						 "log's last lines");
	return err;
}

void vt_panic_release(struct vt_panic *out)
{
	for (unsigned int i = 0; i < out->nr_lines; i++)
		free(out->lines[i]);
	free(out->message);
	memset(out, 0, sizeof(*out));
}
