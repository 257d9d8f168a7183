// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tool-writedump: write a synthetic kdump-compressed dump with
 * filter/writer/, for the shell tests (full disk, other readers).
 *
 *   tool-writedump [-c CODEC] [-t THREADS] [-n PFNS] [-z] [-F] [-f]
 *                  [-E EXPECTED] DUMPFILE|-
 *   tool-writedump -R [-f] DUMPFILE < STREAM
 *
 * PFNS pfns (default 1024), all RAM; every 10th (pfn % 10 == 9) is
 * excluded, every 4th (pfn % 4 == 0) is all zero, the rest are random
 * (incompressible). -z shares one zero page (dump level 31, else 30),
 * -F writes a flattened stream ("-": to standard output), -E writes every
 * pfn's page, concatenated, to EXPECTED. -R reassembles a flattened stream
 * from standard input. Errors: one line on stderr, exit status 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "write.h"
#include "vmemtrim/codec.h"
#include "vmemtrim/format.h"

#define PAGE 4096u
#define VMCOREINFO_TEXT \
	"OSRELEASE=6.1.0-writedump\nPAGESIZE=4096\nCRASHTIME=1700000000\n"

static bool dumped(uint64_t pfn)
{
	return pfn % 10 != 9;
}

static void page_of(uint64_t pfn, uint8_t *p)
{
	uint64_t x = pfn * 0x9e3779b97f4a7c15ull + 0x1234567;

	if (pfn % 4 == 0) {
		memset(p, 0, PAGE);
		return;
	}
	for (size_t i = 0; i < PAGE; i += 8) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		uint64_t v = x * 0x2545f4914f6cdd1dull;
		memcpy(p + i, &v, 8);
	}
}

static size_t put_note(uint8_t *p, const char *name, uint32_t type,
		       const void *desc, uint32_t descsz, size_t *desc_off)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	size_t off = 12;

	memcpy(p, &namesz, 4);
	memcpy(p + 4, &descsz, 4);
	memcpy(p + 8, &type, 4);
	memcpy(p + off, name, namesz);
	off += (namesz + 3) & ~3u;
	*desc_off = off;
	memcpy(p + off, desc, descsz);
	return off + ((descsz + 3) & ~3u);
}

static uint32_t codec_of(const char *name)
{
	static const uint32_t all[] = { 0, DUMP_DH_COMPRESSED_ZLIB,
					DUMP_DH_COMPRESSED_LZO,
					DUMP_DH_COMPRESSED_SNAPPY,
					DUMP_DH_COMPRESSED_ZSTD };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(name, vt_codec_name(all[i])))
			return all[i];
	fprintf(stderr, "tool-writedump: unknown codec %s\n", name);
	exit(2);
}

static int die(struct vt_error *err)
{
	fprintf(stderr, "tool-writedump: %s\n", err->message);
	vt_error_free(err);
	return 1;
}

static struct vt_error *write_expected(const char *path, uint64_t npfns)
{
	uint8_t page[PAGE];
	FILE *f = fopen(path, "wb");

	if (!f)
		return vt_error_errno(errno, "%s", path);
	for (uint64_t pfn = 0; pfn < npfns; pfn++) {
		page_of(pfn, page);
		fwrite(page, 1, PAGE, f);
	}
	if (fclose(f))
		return vt_error_errno(errno, "%s", path);
	return NULL;
}

static struct vt_error *bitmaps(struct vt_writer *w, uint64_t npfns,
				uint64_t *nr)
{
	uint8_t bm1[512], bm2[512];

	*nr = 0;
	for (uint64_t start = 0; start < npfns; start += 4096) {
		uint64_t n = npfns - start < 4096 ? npfns - start : 4096;
		struct vt_error *err;

		memset(bm1, 0, sizeof(bm1));
		memset(bm2, 0, sizeof(bm2));
		for (uint64_t i = 0; i < n; i++) {
			bm1[i / 8] |= (uint8_t)(1u << (i % 8));
			if (dumped(start + i)) {
				bm2[i / 8] |= (uint8_t)(1u << (i % 8));
				++*nr;
			}
		}
		err = vt_writer_bitmap(w, start, n, bm1, bm2);
		if (err)
			return err;
	}
	return NULL;
}

static struct vt_error *write_dump(const struct vt_writer_opts *o,
				   uint64_t npfns)
{
	static const uint8_t prstatus[336];
	struct vt_writer_header h = {
		.page_size = PAGE,
		.max_pfn = npfns,
		.dump_level = o->exclude_zero ? 31 : 30,
		.sysname = "Linux",
		.nodename = "writedump",
		.release = "6.1.0-writedump",
		.version = "#1 SMP",
		.machine = "x86_64",
		.domainname = "(none)",
		.crash_time = 1700000000,
		.nr_cpus = 1,
	};
	uint8_t notes[1024], page[PAGE];
	size_t n, off;
	struct vt_writer *w;
	struct vt_error *err;
	uint64_t nr;

	n = put_note(notes, "CORE", 1, prstatus, sizeof(prstatus), &off);
	h.notes_size = n;
	n = put_note(notes + n, "VMCOREINFO", 0, VMCOREINFO_TEXT,
		     sizeof(VMCOREINFO_TEXT) - 1, &off);
	h.vmcoreinfo_off = h.notes_size + off;
	h.vmcoreinfo_size = sizeof(VMCOREINFO_TEXT) - 1;
	h.notes_size += n;
	h.notes = notes;

	err = vt_writer_open(o, &h, &w);
	if (err)
		return err;
	err = bitmaps(w, npfns, &nr);
	if (!err)
		err = vt_writer_begin_pages(w, nr);
	for (uint64_t pfn = 0; !err && pfn < npfns; pfn++) {
		if (!dumped(pfn))
			continue;
		page_of(pfn, page);
		err = vt_writer_page(w, pfn, page);
	}
	if (err) {
		vt_writer_abort(w);
		return err;
	}
	return vt_writer_finish(w);
}

int main(int argc, char **argv)
{
	struct vt_writer_opts o = { .threads = 1, .out_fd = 1 };
	const char *expected = NULL;
	uint64_t npfns = 1024;
	bool reassemble = false;
	struct vt_error *err;
	int c;

	while ((c = getopt(argc, argv, "c:t:n:zFfE:R")) != -1) {
		switch (c) {
		case 'c':
			o.codec = codec_of(optarg);
			break;
		case 't':
			o.threads = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			npfns = strtoull(optarg, NULL, 0);
			break;
		case 'z':
			o.exclude_zero = true;
			break;
		case 'F':
			o.flattened = true;
			break;
		case 'f':
			o.force = true;
			break;
		case 'E':
			expected = optarg;
			break;
		case 'R':
			reassemble = true;
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: tool-writedump [OPTION]... DUMPFILE\n");
		return 2;
	}
	if (reassemble) {
		err = vt_flat_reassemble(0, "standard input", argv[optind],
					 o.force);
		return err ? die(err) : 0;
	}
	if (expected && (err = write_expected(expected, npfns)))
		return die(err);
	if (strcmp(argv[optind], "-"))
		o.path = argv[optind];
	err = write_dump(&o, npfns);
	return err ? die(err) : 0;
}
