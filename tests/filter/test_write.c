// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The dump writer (filter/writer/): synthetic dumps (holes, excluded
 * pfns, zero, random and compressible pages) written with every codec and
 * read back by the project's reader; the same bytes for any thread count; flattened output
 * read directly and after -R equal to the regular file; an existing file
 * refused; no temporary file left; NULL pages, abort and a full disk give
 * INCOMPLETE dumps whose written pages read back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "flat.h"
#include "kdump-layout.h"
#include "write.h"
#include "vmemtrim/dump.h"
#include "vmemtrim/format.h"

#define PAGE 4096u
#define VMCOREINFO_TEXT \
	"OSRELEASE=6.1.0-vmemtrim-test\nPAGESIZE=4096\nCRASHTIME=1700000000\n"

static char tmpdir[256];

static const uint32_t codecs[] = {
	0,
	DUMP_DH_COMPRESSED_ZLIB,
	DUMP_DH_COMPRESSED_LZO,
	DUMP_DH_COMPRESSED_SNAPPY,
	DUMP_DH_COMPRESSED_ZSTD,
};
#define NR_CODECS (sizeof(codecs) / sizeof(codecs[0]))

/* --- the synthetic dump ------------------------------------------------- */

struct synth {
	uint64_t max_pfn;
	void (*page)(uint64_t pfn, uint8_t *p); /* contents (page_of) */
	uint8_t notes[256];
	size_t notes_size, vmcoreinfo_off, vmcoreinfo_size;
};

static bool is_ram(uint64_t pfn)
{
	return pfn < 100 || pfn >= 200; /* a hole at pfns 100-199 */
}

static bool is_dumped(uint64_t pfn)
{
	return is_ram(pfn) && pfn % 7 != 3;
}

/* Page contents by pfn: zero, random, text-like, sparse, random. */
static void page_of(uint64_t pfn, uint8_t *p)
{
	uint32_t seed = (uint32_t)pfn * 2654435761u + 1;

	memset(p, 0, PAGE);
	switch (pfn % 5) {
	case 0:
		break;
	case 1:
	case 4:
		for (size_t i = 0; i < PAGE; i++) {
			seed = seed * 1103515245 + 12345;
			p[i] = (uint8_t)(seed >> 16);
		}
		break;
	case 2:
		for (size_t i = 0; i < PAGE; i++)
			p[i] = (uint8_t)("struct page "[i % 12] + pfn % 3);
		break;
	default:
		p[pfn % PAGE] = (uint8_t)pfn | 1;
		p[PAGE - 1] = 0x5a;
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

static void synth_init(struct synth *s, uint64_t max_pfn)
{
	static const uint8_t prstatus[64];
	size_t off, n;

	memset(s, 0, sizeof(*s));
	s->max_pfn = max_pfn;
	s->page = page_of;
	n = put_note(s->notes, "CORE", 1, prstatus, sizeof(prstatus), &off);
	s->notes_size = n;
	n = put_note(s->notes + n, "VMCOREINFO", 0, VMCOREINFO_TEXT,
		     sizeof(VMCOREINFO_TEXT) - 1, &off);
	s->vmcoreinfo_off = s->notes_size + off;
	s->vmcoreinfo_size = sizeof(VMCOREINFO_TEXT) - 1;
	s->notes_size += n;
}

static void synth_header(const struct synth *s, struct vt_writer_header *h)
{
	memset(h, 0, sizeof(*h));
	h->page_size = PAGE;
	h->max_pfn = s->max_pfn;
	h->status = DUMP_DH_EXCLUDED_VMEMMAP;
	h->dump_level = 31;
	h->phys_base = 0x1000000;
	h->sysname = "Linux";
	h->nodename = "testhost";
	h->release = "6.1.0-vmemtrim-test";
	h->version = "#1 SMP PREEMPT_DYNAMIC";
	h->machine = "x86_64";
	h->domainname = "(none)";
	h->crash_time = 1700000000;
	h->nr_cpus = 1;
	h->notes = s->notes;
	h->notes_size = s->notes_size;
	h->vmcoreinfo_off = s->vmcoreinfo_off;
	h->vmcoreinfo_size = s->vmcoreinfo_size;
}

static char *tpath(const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

static void check_ok(struct vt_error *err)
{
	if (err) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", err->message);
		vt_error_free(err);
		fail_msg("unexpected error: %s", msg);
	}
}

static void expect_error(struct vt_error *err, enum vt_error_code code,
			 const char *must_contain)
{
	assert_non_null(err);
	if (!strstr(err->message, must_contain) || err->code != code)
		fail_msg("error %d \"%s\" is not %d with \"%s\"", err->code,
			 err->message, code, must_contain);
	assert_null(strchr(err->message, '\n'));
	vt_error_free(err);
}

/* Give the writer the bitmaps of @s in blocks of 256 pfns, last first. */
static struct vt_error *give_bitmaps(struct vt_writer *w, const struct synth *s,
				     uint64_t *nr_dumped)
{
	uint64_t nblocks = (s->max_pfn + 255) / 256;

	*nr_dumped = 0;
	for (uint64_t b = nblocks; b-- > 0;) {
		uint8_t bm1[32] = { 0 }, bm2[32] = { 0 };
		uint64_t start = b * 256, n = s->max_pfn - start;
		struct vt_error *err;

		if (n > 256)
			n = 256;
		for (uint64_t i = 0; i < n; i++) {
			if (is_ram(start + i))
				bm1[i / 8] |= (uint8_t)(1u << (i % 8));
			if (is_dumped(start + i)) {
				bm2[i / 8] |= (uint8_t)(1u << (i % 8));
				++*nr_dumped;
			}
		}
		err = vt_writer_bitmap(w, start, n, bm1, bm2);
		if (err)
			return err;
	}
	return NULL;
}

/* Pages of @s; pfns for which @missing says true go as NULL. */
static struct vt_error *give_pages(struct vt_writer *w, const struct synth *s,
				   bool (*missing)(uint64_t pfn))
{
	uint8_t page[PAGE];

	for (uint64_t pfn = 0; pfn < s->max_pfn; pfn++) {
		struct vt_error *err;

		if (!is_dumped(pfn))
			continue;
		s->page(pfn, page);
		err = vt_writer_page(w, pfn,
				     missing && missing(pfn) ? NULL : page);
		if (err)
			return err;
	}
	return NULL;
}

struct wopts {
	uint32_t codec;
	unsigned int threads;
	bool exclude_zero, flattened, force;
	int out_fd;
	bool (*missing)(uint64_t pfn);
};

/* Write the whole dump of @s to @path; the writer's result. */
static struct vt_error *write_dump(const struct synth *s, const char *path,
				   const struct wopts *o,
				   struct vt_writer_stats *st)
{
	struct vt_writer_opts opts = {
		.path = path,
		.out_fd = o->out_fd,
		.flattened = o->flattened,
		.force = o->force,
		.codec = o->codec,
		.threads = o->threads ? o->threads : 1,
		.exclude_zero = o->exclude_zero,
	};
	struct vt_writer_header h;
	struct vt_writer *w;
	struct vt_error *err;
	uint64_t nr;

	synth_header(s, &h);
	/* dump level bit 1 is what makes a reader look for the zero page */
	h.dump_level = o->exclude_zero ? 31 : 30;
	err = vt_writer_open(&opts, &h, &w);
	if (err)
		return err;
	err = give_bitmaps(w, s, &nr);
	if (!err)
		err = vt_writer_begin_pages(w, nr);
	if (!err)
		err = give_pages(w, s, o->missing);
	if (err) {
		vt_writer_abort(w);
		return err;
	}
	return vt_writer_finish_stats(w, st);
}

/* --- reading back ------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void assert_same_file(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);

	if (la != lb)
		fail_msg("%s has %zu bytes, %s %zu", a, la, b, lb);
	for (size_t i = 0; i < la; i++)
		if (x[i] != y[i])
			fail_msg("%s and %s differ at byte %zu", a, b, i);
	free(x);
	free(y);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The raw layout facts of the header and sub header. */
static void check_raw_header(const char *path, const struct synth *s,
			     uint32_t status, int dump_level)
{
	size_t len;
	uint8_t *f = slurp(path, &len);
	const uint8_t *sub = f + PAGE;
	uint64_t bm = ((s->max_pfn + 7) / 8 + PAGE - 1) / PAGE * PAGE;

	assert_true(len > 2 * PAGE);
	assert_memory_equal(f, "KDUMP   ", 8);
	assert_int_equal(le32(f + VT_KDUMP_HDR(header_version)), 6);
	assert_string_equal((const char *)f + VT_KDUMP_HDR(utsname) + 65 * 4,
			    "x86_64");
	assert_int_equal(le64(f + VT_KDUMP_HDR(tv_sec)), 1700000000);
	assert_int_equal(le64(f + VT_KDUMP_HDR(tv_sec) + 8), 0);
	assert_int_equal(le32(f + VT_KDUMP_HDR(status)), status);
	assert_int_equal(le32(f + VT_KDUMP_HDR(block_size)), PAGE);
	assert_int_equal(le32(f + VT_KDUMP_HDR(sub_hdr_size)),
			 (104 + s->notes_size + PAGE - 1) / PAGE);
	assert_int_equal(le32(f + VT_KDUMP_HDR(bitmap_blocks)), 2 * bm / PAGE);
	assert_int_equal(le32(f + VT_KDUMP_HDR(max_mapnr)), s->max_pfn);
	assert_int_equal(le32(f + VT_KDUMP_HDR(nr_cpus)), 1);
	for (size_t i = VT_KDUMP_HDR_SIZE; i < PAGE; i++)
		assert_int_equal(f[i], 0);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(phys_base)), 0x1000000);
	assert_int_equal(le32(sub + VT_KDUMP_SUB(dump_level)), dump_level);
	assert_int_equal(le32(sub + VT_KDUMP_SUB(split)), 0);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(start_pfn)), 0);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(end_pfn)), s->max_pfn);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(offset_vmcoreinfo)),
			 PAGE + 104 + s->vmcoreinfo_off);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(size_vmcoreinfo)),
			 s->vmcoreinfo_size);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(offset_note)), PAGE + 104);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(size_note)), s->notes_size);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(offset_eraseinfo)), 0);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(size_eraseinfo)), 0);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(start_pfn_64)), 0);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(end_pfn_64)), s->max_pfn);
	assert_int_equal(le64(sub + VT_KDUMP_SUB(max_mapnr_64)), s->max_pfn);
	assert_memory_equal(sub + 104, s->notes, s->notes_size);
	free(f);
}

/*
 * The zero page comes first in the data area: the first dumped pfn of @s
 * with exclude_zero (pfn 0) points right after the descriptors.
 */
static void check_zero_page_first(const char *path, const struct synth *s)
{
	size_t len;
	uint8_t *f = slurp(path, &len);
	uint64_t bm = ((s->max_pfn + 7) / 8 + PAGE - 1) / PAGE * PAGE;
	uint64_t desc = 2 * PAGE + 2 * bm, n = 0;

	for (uint64_t pfn = 0; pfn < s->max_pfn; pfn++)
		n += is_dumped(pfn);
	assert_int_equal(le64(f + desc + VT_KDUMP_PD(offset)), desc + n * 24);
	assert_int_equal(le32(f + desc + VT_KDUMP_PD(size)), PAGE);
	assert_int_equal(le32(f + desc + VT_KDUMP_PD(flags)), 0);
	for (size_t i = 0; i < PAGE; i++)
		assert_int_equal(f[desc + n * 24 + i], 0);
	free(f);
}

/* The runs of pfns not written, as vt_dump_not_written() hands them out. */
struct nw_runs {
	uint64_t n, stop_after;
	uint64_t run[64][3]; /* start, end, count */
};

static int nw_collect(void *arg, uint64_t start, uint64_t end, uint64_t count)
{
	struct nw_runs *r = arg;

	if (r->n < 64) {
		r->run[r->n][0] = start;
		r->run[r->n][1] = end;
		r->run[r->n][2] = count;
	}
	return ++r->n == r->stop_after;
}

/*
 * vt_dump_not_written() against the pages themselves: a run is a longest
 * stretch of dumped pfns that read as not written (VT_ERR_NODATA), the
 * pfns not dumped at all inside it; its count, those not written.
 */
static void check_not_written(struct vt_dump *d, const struct vt_dump_counts *c)
{
	struct nw_runs got = { 0 }, want = { 0 }, first = { .stop_after = 1 };
	uint64_t max_pfn = vt_dump_info(d)->max_pfn, total = 0;
	uint8_t buf[PAGE];
	bool open = false;

	for (uint64_t pfn = 0; pfn < max_pfn; pfn++) {
		enum vt_pfn_state st;
		uint64_t end;
		struct vt_error *err;

		check_ok(vt_dump_pfn_run(d, pfn, &st, &end));
		if (st != VT_PFN_DUMPED)
			continue;
		err = vt_dump_read_page(d, pfn, buf);
		if (!err) {
			open = false;
			continue;
		}
		assert_int_equal(err->code, VT_ERR_NODATA);
		vt_error_free(err);
		if (!open && want.n < 64)
			want.run[want.n][0] = pfn, want.run[want.n][2] = 0;
		want.n += !open;
		open = true;
		if (want.n <= 64) {
			want.run[want.n - 1][1] = pfn + 1;
			want.run[want.n - 1][2]++;
		}
		total++;
	}
	assert_int_equal(c->not_written, total);
	assert_int_equal(c->not_written_ranges, want.n);
	check_ok(vt_dump_not_written(d, nw_collect, &got));
	assert_int_equal(got.n, want.n);
	for (uint64_t i = 0; i < want.n && i < 64; i++)
		for (int k = 0; k < 3; k++)
			assert_int_equal(got.run[i][k], want.run[i][k]);
	/* a callback's non-zero stops the walk */
	check_ok(vt_dump_not_written(d, nw_collect, &first));
	assert_int_equal(first.n, want.n ? 1 : 0);
}

/* Open @path with the reader and check everything against @s. */
static void check_dump(const char *path, const struct synth *s, uint32_t status,
		       bool exclude_zero, bool (*missing)(uint64_t pfn))
{
	const char *paths[] = { path };
	const struct vt_dump_info *in;
	struct vt_dump_counts c;
	struct vt_dump *d;
	uint8_t want[PAGE], got[PAGE];
	uint64_t zeros = 0, dumped = 0, lost = 0;

	check_ok(vt_dump_open(paths, 1, &d));
	in = vt_dump_info(d);
	assert_int_equal(in->header_version, 6);
	assert_int_equal(in->status, status);
	assert_int_equal(in->page_size, PAGE);
	assert_int_equal(in->max_pfn, s->max_pfn);
	assert_int_equal(in->dump_level, exclude_zero ? 31 : 30);
	assert_int_equal(in->phys_base, 0x1000000);
	assert_string_equal(in->sysname, "Linux");
	assert_string_equal(in->nodename, "testhost");
	assert_string_equal(in->release, "6.1.0-vmemtrim-test");
	assert_string_equal(in->version, "#1 SMP PREEMPT_DYNAMIC");
	assert_string_equal(in->machine, "x86_64");
	assert_string_equal(in->domainname, "(none)");
	assert_int_equal(in->crash_time, 1700000000);
	assert_int_equal(in->nr_cpus, 1);
	assert_int_equal(in->vmcoreinfo_size, s->vmcoreinfo_size);
	assert_memory_equal(in->vmcoreinfo, VMCOREINFO_TEXT,
			    s->vmcoreinfo_size);
	assert_int_equal(in->notes_size, s->notes_size);
	assert_memory_equal(in->notes, s->notes, s->notes_size);

	/* the bitmaps, run by run */
	for (uint64_t pfn = 0; pfn < s->max_pfn;) {
		enum vt_pfn_state st;
		uint64_t end;

		check_ok(vt_dump_pfn_run(d, pfn, &st, &end));
		assert_true(end > pfn && end <= s->max_pfn);
		for (; pfn < end; pfn++)
			assert_int_equal(st, is_dumped(pfn) ? VT_PFN_DUMPED :
					     is_ram(pfn)    ? VT_PFN_EXCLUDED :
							      VT_PFN_HOLE);
	}
	/* every page */
	for (uint64_t pfn = 0; pfn < s->max_pfn; pfn++) {
		struct vt_error *err = vt_dump_read_page(d, pfn, got);

		if (!is_dumped(pfn) || (missing && missing(pfn))) {
			expect_error(err, VT_ERR_NODATA, "");
			lost += is_dumped(pfn);
			continue;
		}
		check_ok(err);
		s->page(pfn, want);
		if (memcmp(want, got, PAGE))
			fail_msg("%s: pfn %llu reads back wrong", path,
				 (unsigned long long)pfn);
		dumped++;
		zeros += pfn % 5 == 0;
	}
	check_ok(vt_dump_count(d, &c));
	assert_int_equal(c.dumped, dumped + lost);
	assert_int_equal(c.not_written, lost);
	assert_int_equal(c.zero, exclude_zero ? zeros : 0);
	check_not_written(d, &c);
	vt_dump_close(d);
}

static size_t dir_entries(void)
{
	DIR *dir = opendir(tmpdir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(dir);
	while ((de = readdir(dir)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(dir);
	return n;
}

static void clean_dir(void)
{
	DIR *dir = opendir(tmpdir);
	struct dirent *de;

	assert_non_null(dir);
	while ((de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlink(tpath(de->d_name));
	closedir(dir);
}

/* --- tests -------------------------------------------------------------- */

static void test_every_codec_reads_back(void **state)
{
	struct synth s;

	(void)state;
	synth_init(&s, 1000);
	for (size_t c = 0; c < NR_CODECS; c++) {
		for (int z = 0; z <= 1; z++) {
			struct wopts o = { .codec = codecs[c],
					   .threads = 2,
					   .exclude_zero = z };
			uint32_t status = codecs[c] | DUMP_DH_EXCLUDED_VMEMMAP;
			struct vt_writer_stats st;
			char *p = tpath("dump");

			check_ok(write_dump(&s, p, &o, &st));
			check_raw_header(p, &s, status, z ? 31 : 30);
			check_dump(p, &s, status, z, NULL);
			if (z)
				check_zero_page_first(p, &s);
			if (!codecs[c])
				assert_int_equal(st.raw_pages,
						 st.pages - st.zero_pages);
			assert_int_equal(st.unreadable, 0);
			/* only the dump: no temporary file is left */
			assert_int_equal(dir_entries(), 1);
			clean_dir();
		}
	}
}

static void test_incompressible_pages_are_stored_raw(void **state)
{
	struct synth s;
	struct wopts o = { .codec = DUMP_DH_COMPRESSED_ZLIB, .threads = 1 };
	struct vt_writer_stats st;
	uint64_t random = 0;

	(void)state;
	synth_init(&s, 1000);
	for (uint64_t pfn = 0; pfn < s.max_pfn; pfn++)
		random += is_dumped(pfn) && (pfn % 5 == 1 || pfn % 5 == 4);
	check_ok(write_dump(&s, tpath("dump"), &o, &st));
	assert_int_equal(st.raw_pages, random);
	assert_int_equal(st.zero_pages, 0);
	clean_dir();
}

/* Pages in runs of four the same by pfn (never all zero). */
static void repeating_page(uint64_t pfn, uint8_t *p)
{
	for (size_t i = 0; i < PAGE; i++)
		p[i] = (uint8_t)("vmemmap "[i % 8] + pfn / 4 % 5);
}

static void test_repeated_pages_are_compressed_once(void **state)
{
	static const unsigned int threads[] = { 1, 3 };
	struct synth s;
	uint8_t prev[PAGE], page[PAGE];
	uint64_t want = 0, k = 0;

	(void)state;
	synth_init(&s, 1000);
	s.page = repeating_page;
	/* a page repeats the one given before it, but not across batches */
	for (uint64_t pfn = 0; pfn < s.max_pfn; pfn++) {
		if (!is_dumped(pfn))
			continue;
		repeating_page(pfn, page);
		want += k % (1048576 / PAGE) && !memcmp(page, prev, PAGE);
		memcpy(prev, page, PAGE);
		k++;
	}
	assert_true(want > 100);
	for (size_t t = 0; t < 2; t++) {
		struct wopts o = { .codec = DUMP_DH_COMPRESSED_LZO,
				   .threads = threads[t] };
		struct vt_writer_stats st;
		char *p = tpath("dump");

		check_ok(write_dump(&s, p, &o, &st));
		assert_int_equal(st.repeated, want);
		check_dump(p, &s,
			   DUMP_DH_COMPRESSED_LZO | DUMP_DH_EXCLUDED_VMEMMAP,
			   false, NULL);
		clean_dir();
	}
}

static void test_same_bytes_for_1_2_and_7_threads(void **state)
{
	static const unsigned int threads[] = { 1, 2, 7 };
	struct synth s;

	(void)state;
	/* 5000 pfns: batches enough to go round the ring of 7 threads */
	synth_init(&s, 5000);
	for (size_t c = 0; c < NR_CODECS; c++) {
		for (size_t t = 0; t < 3; t++) {
			struct wopts o = { .codec = codecs[c],
					   .threads = threads[t],
					   .exclude_zero = true };
			char name[32];

			snprintf(name, sizeof(name), "t%u", threads[t]);
			check_ok(write_dump(&s, tpath(name), &o, NULL));
		}
		check_dump(tpath("t7"), &s,
			   codecs[c] | DUMP_DH_EXCLUDED_VMEMMAP, true, NULL);
		assert_same_file(tpath("t1"), tpath("t2"));
		assert_same_file(tpath("t1"), tpath("t7"));
		clean_dir();
	}
}

/* Feed @path to vt_flat_reassemble through a pipe, as -R reads stdin. */
static struct vt_error *reassemble_via_pipe(const char *stream, const char *out,
					    bool force)
{
	struct vt_error *err;
	int pfd[2], status;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		size_t len, off = 0;
		uint8_t *buf = slurp(stream, &len);

		close(pfd[0]);
		while (off < len) {
			ssize_t n = write(pfd[1], buf + off, len - off);

			if (n <= 0)
				_exit(1);
			off += (size_t)n;
		}
		_exit(0);
	}
	close(pfd[1]);
	err = vt_flat_reassemble(pfd[0], "standard input", out, force);
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return err;
}

static void test_flattened_equals_regular(void **state)
{
	struct synth s;

	(void)state;
	synth_init(&s, 1000);
	for (size_t c = 0; c < NR_CODECS; c++) {
		struct wopts o = { .codec = codecs[c],
				   .threads = 2,
				   .exclude_zero = true };
		uint32_t status = codecs[c] | DUMP_DH_EXCLUDED_VMEMMAP;
		int fd;

		check_ok(write_dump(&s, tpath("plain"), &o, NULL));
		o.flattened = true;
		check_ok(write_dump(&s, tpath("flat"), &o, NULL));
		check_dump(tpath("flat"), &s, status, true, NULL);
		check_ok(reassemble_via_pipe(tpath("flat"), tpath("reasm"),
					     false));
		assert_same_file(tpath("plain"), tpath("reasm"));

		/* to a file descriptor (stdout): the same stream */
		fd = open(tpath("stdout"), O_WRONLY | O_CREAT | O_EXCL, 0600);
		assert_true(fd >= 0);
		o.out_fd = fd;
		check_ok(write_dump(&s, NULL, &o, NULL));
		close(fd);
		assert_same_file(tpath("flat"), tpath("stdout"));
		assert_int_equal(dir_entries(), 4);
		clean_dir();
	}
}

static void test_existing_file_is_refused_and_untouched(void **state)
{
	static const char precious[] = "precious data\n";
	struct synth s;
	struct wopts o = { .codec = DUMP_DH_COMPRESSED_ZSTD, .threads = 1 };
	char *p = tpath("dump"), msg[600];
	size_t len;
	uint8_t *buf;
	FILE *f;

	(void)state;
	synth_init(&s, 1000);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(precious, f);
	fclose(f);

	snprintf(msg, sizeof(msg), "%s: already exists (use -f to overwrite)",
		 p);
	expect_error(write_dump(&s, p, &o, NULL), VT_ERR_INVALID, msg);
	o.flattened = true;
	expect_error(write_dump(&s, p, &o, NULL), VT_ERR_INVALID, msg);
	expect_error(reassemble_via_pipe(p, p, false), VT_ERR_INVALID, msg);
	buf = slurp(p, &len);
	assert_int_equal(len, strlen(precious));
	assert_memory_equal(buf, precious, len);
	free(buf);
	assert_int_equal(dir_entries(), 1);

	/* -f replaces it */
	o.flattened = false;
	o.force = true;
	check_ok(write_dump(&s, p, &o, NULL));
	check_dump(p, &s, DUMP_DH_COMPRESSED_ZSTD | DUMP_DH_EXCLUDED_VMEMMAP,
		   false, NULL);
	assert_int_equal(dir_entries(), 1);
	clean_dir();
}

static bool every_13th(uint64_t pfn)
{
	return pfn % 13 == 0;
}

static void test_null_page_gives_incomplete(void **state)
{
	struct synth s;
	struct wopts o = { .codec = DUMP_DH_COMPRESSED_LZO,
			   .threads = 2,
			   .exclude_zero = true,
			   .missing = every_13th };
	struct vt_writer_stats st;
	uint64_t lost = 0;
	uint32_t status = DUMP_DH_COMPRESSED_LZO | DUMP_DH_EXCLUDED_VMEMMAP |
			  DUMP_DH_COMPRESSED_INCOMPLETE;

	(void)state;
	synth_init(&s, 1000);
	for (uint64_t pfn = 0; pfn < s.max_pfn; pfn++)
		lost += is_dumped(pfn) && every_13th(pfn);
	check_ok(write_dump(&s, tpath("dump"), &o, NULL));
	check_raw_header(tpath("dump"), &s, status, 31);
	check_dump(tpath("dump"), &s, status, true, every_13th);

	/* the flattened form says the same */
	o.flattened = true;
	check_ok(write_dump(&s, tpath("flat"), &o, &st));
	assert_int_equal(st.unreadable, lost);
	check_dump(tpath("flat"), &s, status, true, every_13th);
	check_ok(reassemble_via_pipe(tpath("flat"), tpath("reasm"), false));
	assert_same_file(tpath("dump"), tpath("reasm"));
	clean_dir();
}

static void test_abort_before_pages_leaves_nothing(void **state)
{
	struct synth s;
	struct vt_writer_opts opts = { .path = tpath("dump"), .threads = 3 };
	struct vt_writer_header h;
	struct vt_writer *w;
	uint8_t bm[32] = { 0xff };

	(void)state;
	synth_init(&s, 1000);
	synth_header(&s, &h);
	check_ok(vt_writer_open(&opts, &h, &w));
	check_ok(vt_writer_bitmap(w, 0, 256, bm, bm));
	vt_writer_abort(w);
	assert_int_equal(dir_entries(), 0);
}

static bool from_600(uint64_t pfn)
{
	return pfn >= 600;
}

static void test_abort_after_bitmaps_keeps_incomplete(void **state)
{
	struct synth s;
	struct vt_writer_opts opts = { .path = tpath("dump"),
				       .threads = 3,
				       .codec = DUMP_DH_COMPRESSED_SNAPPY };
	struct vt_writer_header h;
	struct vt_writer *w;
	uint8_t page[PAGE];
	uint64_t nr;

	(void)state;
	synth_init(&s, 1000);
	synth_header(&s, &h);
	h.dump_level = 30;
	check_ok(vt_writer_open(&opts, &h, &w));
	check_ok(give_bitmaps(w, &s, &nr));
	check_ok(vt_writer_begin_pages(w, nr));
	for (uint64_t pfn = 0; pfn < 600; pfn++) {
		if (!is_dumped(pfn))
			continue;
		page_of(pfn, page);
		check_ok(vt_writer_page(w, pfn, page));
	}
	vt_writer_abort(w);
	assert_int_equal(dir_entries(), 1);
	check_dump(tpath("dump"), &s,
		   DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_EXCLUDED_VMEMMAP |
			   DUMP_DH_COMPRESSED_INCOMPLETE,
		   false, from_600);
	clean_dir();
}

static void test_caller_errors_are_reported(void **state)
{
	struct synth s;
	struct vt_writer_opts opts = { .path = tpath("dump"), .threads = 1 };
	struct vt_writer_header h;
	struct vt_writer *w;
	uint8_t bm[32] = { 0x0f }, page[PAGE] = { 0 };

	(void)state;
	synth_init(&s, 1000);
	synth_header(&s, &h);
	check_ok(vt_writer_open(&opts, &h, &w));
	expect_error(vt_writer_bitmap(w, 4, 8, bm, bm), VT_ERR_INVALID,
		     "whole bytes");
	check_ok(vt_writer_begin_pages(w, 5));
	check_ok(vt_writer_bitmap(w, 0, 256, bm, bm));
	check_ok(vt_writer_page(w, 2, page));
	expect_error(vt_writer_page(w, 1, page), VT_ERR_INVALID,
		     "out of order");
	expect_error(vt_writer_finish(w), VT_ERR_INVALID,
		     "1 of 5 pages were given and the 2nd bitmap has 4");
	assert_int_equal(dir_entries(), 1);
	clean_dir();
	h.page_size = 1000;
	expect_error(vt_writer_open(&opts, &h, &w), VT_ERR_INVALID,
		     "page size 1000");
	assert_int_equal(dir_entries(), 0);
}

/* Write @len bytes of a stream file. */
static void put_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static void be64(uint8_t *p, int64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
}

static void test_reassemble_rejects_bad_streams(void **state)
{
	struct synth s;
	struct wopts o = { .threads = 1, .flattened = true };
	size_t len;
	uint8_t *good, *bad;

	(void)state;
	synth_init(&s, 1000);
	check_ok(write_dump(&s, tpath("flat"), &o, NULL));
	good = slurp(tpath("flat"), &len);
	bad = malloc(len);
	assert_non_null(bad);

	/* a negative size in the first record */
	memcpy(bad, good, len);
	be64(bad + FLAT_HEADER_SIZE + 8, -5);
	put_file(tpath("bad"), bad, len);
	expect_error(
		reassemble_via_pipe(tpath("bad"), tpath("out"), false),
		VT_ERR_FORMAT,
		"standard input: bad flattened record at byte 4096: offset 0, size -5");

	/* cut inside the first record: no header to rebuild a dump from */
	put_file(tpath("bad"), good, FLAT_HEADER_SIZE + 100);
	expect_error(reassemble_via_pipe(tpath("bad"), tpath("out"), false),
		     VT_ERR_FORMAT,
		     "standard input: flattened stream cut off at byte 4196 "
		     "(inside the record at byte 4096, no end mark) before "
		     "the dump's header: nothing to rebuild");

	/* not a flattened stream */
	memcpy(bad, good, len);
	bad[0] = 'M';
	put_file(tpath("bad"), bad, len);
	expect_error(reassemble_via_pipe(tpath("bad"), tpath("out"), false),
		     VT_ERR_FORMAT, "no \"makedumpfile\" signature at byte 0");

	put_file(tpath("bad"), good, 100);
	expect_error(reassemble_via_pipe(tpath("bad"), tpath("out"), false),
		     VT_ERR_FORMAT,
		     "ends at byte 100 inside the flattened header");
	assert_int_equal(dir_entries(), 2); /* flat and bad: no out */
	free(good);
	free(bad);
	clean_dir();
}

static int64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* The dump @path counts as @want says, and lists the same runs. */
static void check_same_counts(const char *path,
			      const struct vt_dump_counts *want)
{
	const char *paths[] = { path };
	struct vt_dump_counts c;
	struct vt_dump *d;

	check_ok(vt_dump_open(paths, 1, &d));
	check_ok(vt_dump_count(d, &c));
	assert_int_equal(c.dumped, want->dumped);
	assert_int_equal(c.zero, want->zero);
	assert_int_equal(c.not_written, want->not_written);
	assert_int_equal(c.not_written_ranges, want->not_written_ranges);
	check_not_written(d, &c);
	vt_dump_close(d);
}

/* Where the records of the flattened stream @buf (@len bytes) start. */
static size_t record_starts(const uint8_t *buf, size_t len, size_t *at,
			    size_t max)
{
	size_t n = 0;

	for (size_t pos = FLAT_HEADER_SIZE; pos + 16 <= len && n < max;) {
		int64_t size = get_be64(buf + pos + 8);

		if (size < 0)
			break;
		at[n++] = pos;
		pos += 16 + (size_t)size;
	}
	return n;
}

/*
 * -R of a stream cut off anywhere after the bitmaps: DUMPFILE holds every
 * complete record, marked INCOMPLETE, and the error says where the cut is;
 * every page reads back right or as not written. Cut before the bitmaps
 * are whole: no DUMPFILE.
 */
static void test_reassemble_keeps_a_cut_stream(void **state)
{
	struct synth s;
	struct wopts o = { .threads = 1,
			   .flattened = true,
			   .codec = DUMP_DH_COMPRESSED_ZLIB };
	size_t len, at[64], nrec, last_head = 0;
	uint64_t desc_off;
	const uint8_t *h;
	uint8_t *good;

	(void)state;
	synth_init(&s, 3000);
	check_ok(write_dump(&s, tpath("flat"), &o, NULL));
	good = slurp(tpath("flat"), &len);
	nrec = record_starts(good, len, at, 64);
	assert_true(nrec >= 4 && nrec < 64);
	/* the last record of the header and bitmaps, before the descriptors */
	h = good + at[0] + 16;
	desc_off = (1 + (uint64_t)le32(h + VT_KDUMP_HDR(sub_hdr_size)) +
		    le32(h + VT_KDUMP_HDR(bitmap_blocks))) *
		   le32(h + VT_KDUMP_HDR(block_size));
	for (size_t i = 0; i < nrec; i++)
		if ((uint64_t)get_be64(good + at[i]) < desc_off)
			last_head = i;
	for (size_t i = 0; i < nrec; i++) {
		size_t cuts[2] = { at[i] + 5, at[i] + 16 + 3 };
		for (int k = 0; k < 2; k++) {
			char msg[200];
			struct vt_error *err;
			bool kept;

			put_file(tpath("cut"), good, cuts[k]);
			err = reassemble_via_pipe(tpath("cut"), tpath("out"),
						  false);
			kept = access(tpath("out"), F_OK) == 0;
			snprintf(msg, sizeof(msg),
				 "standard input: flattened stream cut off at "
				 "byte %zu (inside the record at byte %zu, no "
				 "end mark)",
				 cuts[k], at[i]);
			expect_error(err, VT_ERR_FORMAT, msg);
			assert_int_equal(kept, i > last_head);
			if (kept) {
				const char *paths[] = { tpath("out") };
				struct vt_dump_counts c;
				struct vt_dump *d;

				check_ok(vt_dump_open(paths, 1, &d));
				assert_true(vt_dump_info(d)->status &
					    DUMP_DH_COMPRESSED_INCOMPLETE);
				check_ok(vt_dump_count(d, &c));
				check_not_written(d, &c);
				vt_dump_close(d);
				unlink(tpath("out"));
				/* read in place, the cut stream says the same */
				check_same_counts(tpath("cut"), &c);
			}
		}
	}
	/* cut before the end mark only: nothing is missing */
	put_file(tpath("cut"), good, len - 16);
	expect_error(reassemble_via_pipe(tpath("cut"), tpath("out"), false),
		     VT_ERR_FORMAT, "(after a whole record, no end mark); ");
	check_dump(tpath("out"), &s,
		   DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_EXCLUDED_VMEMMAP |
			   DUMP_DH_COMPRESSED_INCOMPLETE,
		   false, NULL);
	free(good);
	clean_dir();
}

/* A full disk: a 1 MiB tmpfs (root only; skipped elsewhere). */
static void test_full_disk_leaves_incomplete_dump(void **state)
{
	char *mnt = tpath("small"), path[600], msg[700];
	struct synth s;
	struct wopts o = { .codec = 0, .threads = 2, .exclude_zero = true };
	const char *paths[] = { path };
	struct vt_dump_counts c;
	struct vt_error *err;
	struct vt_dump *d;
	unsigned long long n, m;

	(void)state;
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (mount("vmemtrim-test", mnt, "tmpfs", 0, "size=1m")) {
		rmdir(mnt);
		skip();
	}
	snprintf(path, sizeof(path), "%s/dump", mnt);
	/* 2000 pfns, mostly raw (no codec): about 5 MiB of data */
	synth_init(&s, 2000);
	err = write_dump(&s, path, &o, NULL);
	assert_non_null(err);
	snprintf(msg, sizeof(msg), "%s: No space left on device after ", path);
	if (strncmp(err->message, msg, strlen(msg)) ||
	    !strstr(err->message, "; the dump is marked incomplete") ||
	    strchr(err->message, '\n'))
		fail_msg("unexpected message: %s", err->message);
	assert_int_equal(sscanf(err->message + strlen(msg),
				"%llu of %llu pages", &n, &m),
			 2);
	vt_error_free(err);
	assert_true(n > 0 && n < m);

	check_ok(vt_dump_open(paths, 1, &d));
	assert_true(vt_dump_info(d)->status & DUMP_DH_COMPRESSED_INCOMPLETE);
	check_ok(vt_dump_count(d, &c));
	assert_int_equal(c.dumped, m);
	assert_int_equal(c.dumped - c.not_written, n);
	/* whatever is there reads back right */
	for (uint64_t pfn = 0; pfn < s.max_pfn; pfn++) {
		uint8_t want[PAGE], got[PAGE];

		err = vt_dump_read_page(d, pfn, got);
		if (err) {
			assert_int_equal(err->code, VT_ERR_NODATA);
			vt_error_free(err);
			continue;
		}
		page_of(pfn, want);
		assert_memory_equal(want, got, PAGE);
	}
	vt_dump_close(d);
	/* only the dump itself: the temporary name is gone */
	{
		DIR *dir = opendir(mnt);
		struct dirent *de;
		int entries = 0;

		assert_non_null(dir);
		while ((de = readdir(dir)))
			entries += de->d_name[0] != '.';
		closedir(dir);
		assert_int_equal(entries, 1);
	}
	unlink(path);
	assert_int_equal(umount(mnt), 0);
	rmdir(mnt);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_write.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	umount(tpath("small"));
	rmdir(tpath("small"));
	clean_dir();
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_codec_reads_back),
		cmocka_unit_test(test_incompressible_pages_are_stored_raw),
		cmocka_unit_test(test_repeated_pages_are_compressed_once),
		cmocka_unit_test(test_same_bytes_for_1_2_and_7_threads),
		cmocka_unit_test(test_flattened_equals_regular),
		cmocka_unit_test(test_existing_file_is_refused_and_untouched),
		cmocka_unit_test(test_null_page_gives_incomplete),
		cmocka_unit_test(test_abort_before_pages_leaves_nothing),
		cmocka_unit_test(test_abort_after_bitmaps_keeps_incomplete),
		cmocka_unit_test(test_caller_errors_are_reported),
		cmocka_unit_test(test_reassemble_rejects_bad_streams),
		cmocka_unit_test(test_reassemble_keeps_a_cut_stream),
		cmocka_unit_test(test_full_disk_leaves_incomplete_dump),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
