// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tool-printk-seed DUMP OUT: a seed for fuzz/fuzz_printk.c from a real
 * dump: its VMCOREINFO and every range of kernel memory the log reader
 * reads from it (the ring's structures and text), as the harness's
 * regions (see the harness for the format). Used by fuzz/seed-printk.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmemtrim/dump.h"
#include "vmemtrim/printk.h"
#include "vmemtrim/x86_64.h"

#define MAX_REGIONS 16

struct rec {
	struct vt_dump *dump;
	struct vt_x86_64 *x86;
	unsigned int n;
	uint64_t vaddr[MAX_REGIONS];
	uint8_t *bytes[MAX_REGIONS];
	size_t len[MAX_REGIONS];
};

/* Keep a copy of what was read: merged when it continues a region. */
static void keep(struct rec *r, uint64_t vaddr, const void *buf, size_t len)
{
	for (unsigned int i = 0; i < r->n; i++) {
		if (vaddr >= r->vaddr[i] &&
		    vaddr + len <= r->vaddr[i] + r->len[i])
			return;
		if (vaddr == r->vaddr[i] + r->len[i]) {
			r->bytes[i] = realloc(r->bytes[i], r->len[i] + len);
			if (!r->bytes[i])
				exit(1);
			memcpy(r->bytes[i] + r->len[i], buf, len);
			r->len[i] += len;
			return;
		}
	}
	if (r->n == MAX_REGIONS)
		return;
	r->vaddr[r->n] = vaddr;
	r->bytes[r->n] = malloc(len);
	if (!r->bytes[r->n])
		exit(1);
	memcpy(r->bytes[r->n], buf, len);
	r->len[r->n++] = len;
}

static struct vt_error *rec_read(void *arg, uint64_t vaddr, void *buf,
				 size_t len)
{
	struct rec *r = arg;
	uint8_t *out = buf;
	uint64_t v = vaddr;
	size_t left = len;

	while (left) {
		size_t n = 4096 - (v & 4095);
		uint64_t paddr;
		struct vt_error *err = vt_x86_64_vtop(r->x86, v, &paddr, NULL);

		if (n > left)
			n = left;
		if (!err)
			err = vt_dump_read_paddr(r->dump, paddr, out, n);
		if (err)
			return err;
		out += n;
		v += n;
		left -= n;
	}
	keep(r, vaddr, buf, len);
	return NULL;
}

static int nothing(void *arg, const struct vt_printk_record *rec)
{
	(void)arg;
	(void)rec;
	return 0;
}

static void put(FILE *f, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		putc((int)(v >> (8 * i)) & 0xff, f);
}

int main(int argc, char **argv)
{
	const char *path = argv[1];
	struct rec r = { 0 };
	struct vt_printk *p = NULL;
	struct vt_error *err;
	const struct vt_dump_info *in;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: tool-printk-seed DUMP OUT\n");
		return 2;
	}
	err = vt_dump_open(&path, 1, &r.dump);
	if (!err)
		err = vt_x86_64_new(r.dump, vt_dump_profile(r.dump), &r.x86);
	if (!err)
		err = vt_printk_open(vt_dump_vmcoreinfo(r.dump), rec_read, &r,
				     &p);
	if (!err)
		err = vt_printk_walk(p, nothing, NULL);
	if (err) {
		fprintf(stderr, "tool-printk-seed: %s\n", err->message);
		return 1;
	}
	in = vt_dump_info(r.dump);
	f = fopen(argv[2], "wb");
	if (!f || in->vmcoreinfo_size > 0xffff)
		return 1;
	put(f, 1, 1);
	put(f, in->vmcoreinfo_size, 2);
	fwrite(in->vmcoreinfo, 1, in->vmcoreinfo_size, f);
	for (unsigned int i = 0; i < r.n; i++) {
		put(f, r.vaddr[i], 8);
		put(f, r.len[i], 4);
		fwrite(r.bytes[i], 1, r.len[i], f);
		free(r.bytes[i]);
	}
	vt_printk_free(p);
	vt_x86_64_free(r.x86);
	vt_dump_close(r.dump);
	return fclose(f) ? 1 : 0;
}
