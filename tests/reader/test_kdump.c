// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reader/kdump.c and reader/flat.c on real inputs: a small mkvmcore vmcore
 * filtered by Debian's makedumpfile (zlib, lzo, flattened, split, -d 0/31,
 * -e), files this test rebuilds from those (snappy, zstd, header versions
 * 1-5, the single-bitmap layout, incomplete dumps) and corrupted copies.
 * Every page is checked against the ELF vmcore read here by a few lines of
 * our own, not by reader/elf.c, so the check stays independent.
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "flat.h"
#include "internal.h"
#include "kdump-layout.h"
#include "vmemtrim/format.h"

#define PAGE 4096u

/* The ELF vmcore, read independently of reader/elf.c. */
struct elf_core {
	const uint8_t *map;
	size_t size;
	const Elf64_Phdr *ph;
	int nph;
	uint64_t max_pfn;
	const char *vmcoreinfo;
	size_t vmcoreinfo_size;
};

static char tmpdir[256];
static struct elf_core core;

static char *tpath(const char *name)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", tmpdir, name);
	return p;
}

static void run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void elf_notes(struct elf_core *c, const Elf64_Phdr *p)
{
	uint64_t off = p->p_offset, end = p->p_offset + p->p_filesz;

	while (off + sizeof(Elf64_Nhdr) <= end) {
		const Elf64_Nhdr *n = (const void *)(c->map + off);
		uint64_t name = off + sizeof(*n);
		uint64_t desc = name + ((n->n_namesz + 3) & ~3u);

		if (n->n_namesz == 11 &&
		    !memcmp(c->map + name, "VMCOREINFO", 11)) {
			c->vmcoreinfo = (const char *)c->map + desc;
			c->vmcoreinfo_size = n->n_descsz;
		}
		off = desc + ((n->n_descsz + 3) & ~3u);
	}
}

static void elf_load(struct elf_core *c, const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	const Elf64_Ehdr *eh;

	assert_true(fd >= 0 && !fstat(fd, &st));
	c->size = (size_t)st.st_size;
	c->map = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(c->map != MAP_FAILED);
	eh = (const void *)c->map;
	assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
	assert_true(eh->e_phnum != PN_XNUM);
	c->ph = (const void *)(c->map + eh->e_phoff);
	c->nph = eh->e_phnum;
	for (int i = 0; i < c->nph; i++) {
		const Elf64_Phdr *p = &c->ph[i];
		uint64_t end = (p->p_paddr + p->p_memsz + PAGE - 1) / PAGE;

		if (p->p_type == PT_NOTE)
			elf_notes(c, p);
		if (p->p_type == PT_LOAD && end > c->max_pfn)
			c->max_pfn = end;
	}
	assert_non_null(c->vmcoreinfo);
}

/* The ELF page of @pfn, or NULL when no PT_LOAD has its data (a hole). */
static const uint8_t *elf_page(uint64_t pfn)
{
	uint64_t pa = pfn * PAGE;

	for (int i = 0; i < core.nph; i++) {
		const Elf64_Phdr *p = &core.ph[i];

		if (p->p_type == PT_LOAD && pa >= p->p_paddr &&
		    pa + PAGE <= p->p_paddr + p->p_filesz)
			return core.map + p->p_offset + (pa - p->p_paddr);
	}
	return NULL;
}

static bool all_zero(const uint8_t *p)
{
	for (unsigned int i = 0; i < PAGE; i++)
		if (p[i])
			return false;
	return true;
}

static int setup(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char mk[PATH_MAX];
	const char *v;

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_kdump.XXXXXX");
	if (!mkdtemp(tmpdir) || !realpath(build, mk))
		return -1;
	strcat(mk, "/mkvmcore");
	v = tpath("v.vmcore");
	/* a hole in the middle, so runs of every state occur */
	run("%s -o %s --ram 256M --holes 100M-120M --seed 5", mk, v);
	run("cd %s && makedumpfile -c -d 31 v.vmcore c31.kdump >/dev/null 2>&1",
	    tmpdir);
	run("cd %s && makedumpfile -l -d 31 v.vmcore l31.kdump >/dev/null 2>&1",
	    tmpdir);
	run("cd %s && makedumpfile -l -d 0 v.vmcore l0.kdump >/dev/null 2>&1",
	    tmpdir);
	run("cd %s && makedumpfile -c -d 31 -e --work-dir . v.vmcore e.kdump >/dev/null 2>&1",
	    tmpdir);
	run("cd %s && makedumpfile -F -l -d 31 v.vmcore >f.flat 2>/dev/null",
	    tmpdir);
	run("cd %s && makedumpfile -l -d 31 --splitblock-size 4096 --split v.vmcore s1 s2 s3 >/dev/null 2>&1",
	    tmpdir);
	elf_load(&core, v);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap((void *)core.map, core.size);
	run("rm -rf %s", tmpdir);
	return 0;
}

static struct vt_error *try_open(const char *path, struct vt_file **f)
{
	int fd = open(path, O_RDONLY);
	struct vt_error *err;

	assert_true(fd >= 0);
	err = vt_kdump_open(path, fd, f);
	if (err)
		close(fd);
	return err;
}

static struct vt_file *open_ok(const char *path)
{
	struct vt_file *f = NULL;
	struct vt_error *err = try_open(path, &f);

	if (err)
		fail_msg("%s", err->message);
	return f;
}

/* The message names the file and has every one of the NULL-ended words. */
static void expect_msg(struct vt_error *err, int code, const char *path, ...)
{
	va_list ap;
	const char *word;

	assert_non_null(err);
	if ((int)err->code != code || strncmp(err->message, path, strlen(path)))
		fail_msg("code %d, message \"%s\"", err->code, err->message);
	va_start(ap, path);
	while ((word = va_arg(ap, const char *)))
		if (!strstr(err->message, word))
			fail_msg("\"%s\" lacks \"%s\"", err->message, word);
	va_end(ap);
	vt_error_free(err);
}

static void expect_open_error(const char *path, int code, const char *word)
{
	struct vt_file *f = NULL;

	expect_msg(try_open(path, &f), code, path, word, (const char *)NULL);
	assert_null(f);
}

struct walk {
	uint64_t dumped, excluded, holes, zero;
};

/* Check one dumped pfn: the page equals the ELF's, and zero storage. */
static void check_dumped(struct vt_file *f, uint64_t pfn, uint8_t *buf,
			 struct walk *w)
{
	const uint8_t *ref = elf_page(pfn);
	struct vt_error *err = f->ops->read_page(f, pfn, buf);
	bool zero, written;

	if (err)
		fail_msg("%s", err->message);
	assert_non_null(ref);
	if (memcmp(buf, ref, PAGE))
		fail_msg("%s: pfn 0x%llx differs from the ELF page", f->path,
			 (unsigned long long)pfn);
	assert_null(f->ops->page_storage(f, pfn, &zero, &written));
	assert_true(written);
	if (zero)
		assert_true(all_zero(ref));
	/* with dump level bit 1, every zero page is the shared one */
	if ((f->info.dump_level & 1) && all_zero(ref))
		assert_true(zero);
	w->zero += zero;
}

/*
 * Walk the runs of @f's own range: holes are exactly the pfns no PT_LOAD
 * has, each dumped page equals the ELF page. @seen (if not NULL) counts
 * which pfns a split set dumped.
 */
static struct walk walk_file(struct vt_file *f, uint8_t *seen)
{
	uint64_t pfn = f->part.start_pfn;
	uint8_t buf[PAGE];
	struct walk w = { 0 };

	while (pfn < f->part.end_pfn) {
		enum vt_pfn_state st;
		uint64_t end;
		struct vt_error *err = f->ops->pfn_run(f, pfn, &st, &end);

		if (err)
			fail_msg("%s", err->message);
		assert_true(end > pfn && end <= f->part.end_pfn);
		for (; pfn < end; pfn++) {
			assert_int_equal(st == VT_PFN_HOLE, !elf_page(pfn));
			if (st == VT_PFN_DUMPED) {
				check_dumped(f, pfn, buf, &w);
				w.dumped++;
				if (seen)
					seen[pfn]++;
			}
			w.excluded += st == VT_PFN_EXCLUDED;
			w.holes += st == VT_PFN_HOLE;
		}
	}
	return w;
}

static void check_header(struct vt_file *f, int version, int level,
			 enum vt_dump_format fmt)
{
	const struct vt_dump_info *in = &f->info;

	assert_int_equal(in->format, fmt);
	assert_int_equal(f->part.format, fmt);
	assert_int_equal(in->header_version, version);
	assert_int_equal(in->page_size, PAGE);
	assert_int_equal(in->dump_level, level);
	assert_int_equal(in->max_pfn, core.max_pfn);
	assert_string_equal(in->machine, "x86_64");
	assert_true(in->nr_cpus >= 1);
	if (version >= 3) {
		assert_int_equal(in->vmcoreinfo_size, core.vmcoreinfo_size);
		assert_memory_equal(in->vmcoreinfo, core.vmcoreinfo,
				    core.vmcoreinfo_size);
	} else {
		assert_null(in->vmcoreinfo);
	}
	if (version >= 4)
		assert_true(in->notes && in->notes_size > core.vmcoreinfo_size);
}

/* A number of the truth's "count LEVEL" line, e.g. "remaining". */
static uint64_t truth_count(int level, const char *key)
{
	FILE *fp = fopen(tpath("v.vmcore.truth"), "r");
	char line[1024], want[32], *p;
	uint64_t v = UINT64_MAX;

	assert_non_null(fp);
	snprintf(want, sizeof(want), "count %d ", level);
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, want, strlen(want)) &&
		    (p = strstr(line, key)))
			v = strtoull(p + strlen(key) + 1, NULL, 0);
	fclose(fp);
	assert_int_not_equal(v, UINT64_MAX);
	return v;
}

static struct walk check_file(const char *name, int version, int level,
			      enum vt_dump_format fmt)
{
	struct vt_file *f = open_ok(tpath(name));
	struct walk w;

	check_header(f, version, level, fmt);
	assert_int_equal(f->part.start_pfn, 0);
	assert_int_equal(f->part.end_pfn, core.max_pfn);
	w = walk_file(f, NULL);
	f->ops->close(f);
	assert_true(w.dumped > 1000 && w.holes > 0);
	return w;
}

/* The lzo -d 31 dump, the reference of the other tests, walked once. */
static struct walk l31(void)
{
	static struct walk w;

	if (!w.dumped)
		w = check_file("l31.kdump", 6, 31, VT_FORMAT_KDUMP);
	return w;
}

static void test_makedumpfile_zlib_and_lzo(void **state)
{
	struct walk c, l, l0, e;

	(void)state;
	c = check_file("c31.kdump", 6, 31, VT_FORMAT_KDUMP);
	l = l31();
	l0 = check_file("l0.kdump", 6, 0, VT_FORMAT_KDUMP);
	e = check_file("e.kdump", 6, 31, VT_FORMAT_KDUMP);
	assert_int_equal(c.dumped, l.dumped);
	assert_true(c.excluded > 0 && c.zero > 0);
	/* -d 0 keeps every RAM page; no shared zero page */
	assert_int_equal(l0.excluded, truth_count(0, " hwpoison") +
					      truth_count(0, " offline"));
	assert_int_equal(l0.zero, 0);
	assert_int_equal(l0.dumped + l0.holes + l0.excluded, core.max_pfn);
	/* -e drops only more (vmemmap) pages */
	assert_true(e.dumped <= l.dumped);
}

static void test_makedumpfile_flattened(void **state)
{
	struct walk f, l;

	(void)state;
	f = check_file("f.flat", 6, 31, VT_FORMAT_KDUMP_FLAT);
	l = l31();
	assert_memory_equal(&f, &l, sizeof(f));
}

/* The parts cover [0, max_pfn) and together dump what one file dumps. */
static void test_makedumpfile_split(void **state)
{
	uint8_t *seen = calloc(core.max_pfn, 1);
	uint64_t next = 0, dumped = 0;
	struct walk l = l31();

	(void)state;
	for (int i = 1; i <= 3; i++) {
		char name[16];
		struct vt_file *f;
		struct walk w;

		snprintf(name, sizeof(name), "s%d", i);
		f = open_ok(tpath(name));
		check_header(f, 6, 31, VT_FORMAT_KDUMP);
		assert_int_equal(f->part.start_pfn, next);
		assert_true(f->part.end_pfn > f->part.start_pfn);
		next = f->part.end_pfn;
		w = walk_file(f, seen);
		dumped += w.dumped;
		f->ops->close(f);
	}
	assert_int_equal(next, core.max_pfn);
	assert_int_equal(dumped, l.dumped);
	for (uint64_t pfn = 0; pfn < core.max_pfn; pfn++)
		assert_true(seen[pfn] <= 1);
	free(seen);
}

/* --- a raw view of a dump, to rebuild and corrupt files ------------------ */

struct raw {
	uint8_t *buf;
	size_t size;
	uint32_t bs, bitmap_blocks;
	uint64_t bm1, bm2, bm_len, desc, nr_desc, data;
};

static void raw_load(struct raw *r, const char *path)
{
	FILE *fp = fopen(path, "rb");
	int sub;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	r->size = (size_t)ftell(fp);
	rewind(fp);
	r->buf = malloc(r->size);
	assert_int_equal(fread(r->buf, 1, r->size, fp), r->size);
	fclose(fp);
	r->bs = vt_le32(r->buf + VT_KDUMP_HDR(block_size));
	sub = (int)vt_le32(r->buf + VT_KDUMP_HDR(sub_hdr_size));
	r->bitmap_blocks = vt_le32(r->buf + VT_KDUMP_HDR(bitmap_blocks));
	r->bm1 = (uint64_t)(1 + sub) * r->bs;
	r->bm_len = (uint64_t)r->bitmap_blocks / 2 * r->bs;
	r->bm2 = r->bm1 + r->bm_len;
	r->desc = r->bm1 + (uint64_t)r->bitmap_blocks * r->bs;
	r->nr_desc = 0;
	for (uint64_t i = 0; i < r->bm_len; i++)
		r->nr_desc += (uint64_t)__builtin_popcount(r->buf[r->bm2 + i]);
	r->data = r->desc + r->nr_desc * VT_KDUMP_PD_SIZE;
}

static bool raw_bit(const struct raw *r, uint64_t bm, uint64_t pfn)
{
	return r->buf[bm + pfn / 8] >> (pfn % 8) & 1;
}

/* The @n-th dumped pfn of @r whose page is not the shared zero page. */
static uint64_t raw_nth_pfn(const struct raw *r, uint64_t n, uint64_t *desc)
{
	uint64_t idx = 0;

	for (uint64_t pfn = 0;; pfn++) {
		if (!raw_bit(r, r->bm2, pfn))
			continue;
		*desc = r->desc + idx++ * VT_KDUMP_PD_SIZE;
		if (vt_le64(r->buf + *desc) != r->data && !n--)
			return pfn;
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Compress one page with the real library behind @flag. */
static size_t recompress(uint32_t flag, const uint8_t *page, uint8_t *out)
{
	size_t n = 2 * PAGE;
	uLongf zn = 2 * PAGE;

	switch (flag) {
	case DUMP_DH_COMPRESSED_ZLIB:
		assert_int_equal(compress2(out, &zn, page, PAGE, 1), Z_OK);
		return zn;
	case DUMP_DH_COMPRESSED_SNAPPY:
		assert_int_equal(snappy_compress((const char *)page, PAGE,
						 (char *)out, &n),
				 SNAPPY_OK);
		return n;
	case DUMP_DH_COMPRESSED_ZSTD:
		n = ZSTD_compress(out, 2 * PAGE, page, PAGE, 3);
		assert_false(ZSTD_isError(n));
		return n;
	}
	fail();
	return 0;
}

struct rebuild {
	uint32_t codec; /* DUMP_DH_COMPRESSED_* */
	int version;
	bool single_bitmap; /* keep only the 2nd bitmap, as both */
};

/* Zero the sub header fields @version does not have. */
static void strip_sub_header(uint8_t *sub, int version)
{
	if (version < 6)
		memset(sub + VT_KDUMP_SUB(start_pfn_64), 0, 24);
	if (version < 5)
		memset(sub + VT_KDUMP_SUB(offset_eraseinfo), 0, 16);
	if (version < 4)
		memset(sub + VT_KDUMP_SUB(offset_note), 0, 16);
	if (version < 3)
		memset(sub + VT_KDUMP_SUB(offset_vmcoreinfo), 0, 16);
	if (version < 2)
		memset(sub + VT_KDUMP_SUB(split), 0, 20);
}

static size_t rebuild_pages(const struct raw *r, const struct rebuild *o,
			    uint8_t *out, uint64_t desc, uint64_t data)
{
	uint64_t zero_off = data, pos = data;
	uint8_t page[PAGE], z[2 * PAGE];

	memset(out + pos, 0, PAGE); /* the shared zero page first */
	pos += PAGE;
	for (uint64_t i = 0; i < r->nr_desc; i++) {
		const uint8_t *d = r->buf + r->desc + i * VT_KDUMP_PD_SIZE;
		uint8_t *nd = out + desc + i * VT_KDUMP_PD_SIZE;
		uint64_t off = vt_le64(d);
		lzo_uint n = PAGE;
		size_t zn;

		memset(nd, 0, VT_KDUMP_PD_SIZE);
		if (off == r->data) {
			put64(nd, zero_off);
			put32(nd + VT_KDUMP_PD(size), PAGE);
			continue;
		}
		if (vt_le32(d + VT_KDUMP_PD(flags)))
			assert_int_equal(lzo1x_decompress_safe(r->buf + off,
							       vt_le32(d + 8),
							       page, &n, NULL),
					 LZO_E_OK);
		else /* lzo could not shrink it: stored raw */
			memcpy(page, r->buf + off, PAGE);
		zn = recompress(o->codec, page, z);
		put64(nd, pos);
		if (zn >= PAGE) { /* not smaller: stored raw, as writers do */
			zn = PAGE;
			memcpy(z, page, PAGE);
		} else {
			put32(nd + VT_KDUMP_PD(flags), o->codec);
		}
		put32(nd + VT_KDUMP_PD(size), (uint32_t)zn);
		memcpy(out + pos, z, zn);
		pos += zn;
	}
	return pos;
}

/*
 * Turn the lzo -d 31 dump into another codec, header version or bitmap
 * layout, writing pages with the real libraries. Returns the file's size.
 */
static size_t rebuild(const char *dst, const struct rebuild *o)
{
	struct raw r;
	uint64_t bm, desc, data;
	uint8_t *out;
	size_t size;

	raw_load(&r, tpath("l31.kdump"));
	bm = o->single_bitmap ? r.bm_len : 2 * r.bm_len;
	desc = r.bm1 + bm;
	data = desc + r.nr_desc * VT_KDUMP_PD_SIZE;
	out = calloc(1, data + PAGE + r.nr_desc * 2 * PAGE);
	memcpy(out, r.buf, r.bm1);
	/* single: the 2nd bitmap alone; else both */
	memcpy(out + r.bm1, r.buf + (o->single_bitmap ? r.bm2 : r.bm1), bm);
	put32(out + VT_KDUMP_HDR(header_version), (uint32_t)o->version);
	put32(out + VT_KDUMP_HDR(status), o->codec);
	put32(out + VT_KDUMP_HDR(bitmap_blocks), (uint32_t)(bm / r.bs));
	strip_sub_header(out + r.bs, o->version);
	size = rebuild_pages(&r, o, out, desc, data);
	write_file(dst, out, size);
	free(out);
	free(r.buf);
	return size;
}

static void test_rebuilt_snappy_zstd_zlib(void **state)
{
	static const uint32_t codecs[] = { DUMP_DH_COMPRESSED_SNAPPY,
					   DUMP_DH_COMPRESSED_ZSTD,
					   DUMP_DH_COMPRESSED_ZLIB };
	struct walk l = l31();

	(void)state;
	for (int i = 0; i < 3; i++) {
		struct rebuild o = { codecs[i], 6, false };
		struct walk w;

		rebuild(tpath("rebuilt"), &o);
		w = check_file("rebuilt", 6, 31, VT_FORMAT_KDUMP);
		assert_int_equal(w.dumped, l.dumped);
		assert_int_equal(w.excluded, l.excluded);
	}
}

static void test_rebuilt_header_versions(void **state)
{
	struct walk l = l31();

	(void)state;
	for (int v = 1; v <= 5; v++) {
		struct rebuild o = { DUMP_DH_COMPRESSED_SNAPPY, v, false };
		struct walk w;

		rebuild(tpath("rebuilt"), &o);
		w = check_file("rebuilt", v, 31, VT_FORMAT_KDUMP);
		assert_int_equal(w.dumped, l.dumped);
	}
}

/* One bitmap serves as both: what is not dumped reads as a hole. */
static void test_rebuilt_single_bitmap(void **state)
{
	struct rebuild o = { DUMP_DH_COMPRESSED_ZSTD, 5, true };
	struct vt_file *f;
	uint64_t pfn = 0, dumped = 0;
	uint8_t buf[PAGE];
	struct walk w = { 0 };

	(void)state;
	rebuild(tpath("single"), &o);
	f = open_ok(tpath("single"));
	check_header(f, 5, 31, VT_FORMAT_KDUMP);
	while (pfn < core.max_pfn) {
		enum vt_pfn_state st;
		uint64_t end;

		assert_null(f->ops->pfn_run(f, pfn, &st, &end));
		assert_int_not_equal(st, VT_PFN_EXCLUDED);
		for (; pfn < end; pfn++) {
			if (st == VT_PFN_DUMPED) {
				check_dumped(f, pfn, buf, &w);
				dumped++;
			}
		}
	}
	f->ops->close(f);
	assert_int_equal(dumped, l31().dumped);
}

/* --- incomplete and corrupt inputs ---------------------------------------- */

static void write_prefix(const char *name, const struct raw *r, size_t len)
{
	write_file(tpath(name), r->buf, len);
}

static void test_truncated_headers(void **state)
{
	struct raw r;

	(void)state;
	raw_load(&r, tpath("l31.kdump"));
	write_prefix("t", &r, 0);
	expect_open_error(tpath("t"), VT_ERR_FORMAT, "offset 0");
	write_prefix("t", &r, 300);
	expect_open_error(tpath("t"), VT_ERR_FORMAT, "past the end");
	write_prefix("t", &r, r.bs + 50);
	expect_open_error(tpath("t"), VT_ERR_FORMAT, "sub header");
	write_prefix("t", &r, r.bm2 + 100);
	expect_open_error(tpath("t"), VT_ERR_FORMAT, "bitmaps");
	free(r.buf);
}

/* Cut in the descriptors, then in the data: FORMAT, or NODATA if INCOMPLETE */
static void test_truncated_pages(void **state)
{
	struct raw r;
	uint64_t desc, pfn;
	char want[64];
	uint8_t buf[PAGE];

	(void)state;
	raw_load(&r, tpath("l31.kdump"));
	pfn = raw_nth_pfn(&r, 500, &desc);
	snprintf(want, sizeof(want), "pfn 0x%llx", (unsigned long long)pfn);
	for (int incomplete = 0; incomplete < 2; incomplete++) {
		size_t cuts[2] = { desc + 10, vt_le64(r.buf + desc) + 7 };

		put32(r.buf + VT_KDUMP_HDR(status),
		      DUMP_DH_COMPRESSED_LZO |
			      (incomplete ? DUMP_DH_COMPRESSED_INCOMPLETE : 0));
		for (int c = 0; c < 2; c++) {
			struct vt_file *f;
			bool zero, written;

			write_prefix("t", &r, cuts[c]);
			f = open_ok(tpath("t"));
			expect_msg(f->ops->read_page(f, pfn, buf),
				   incomplete ? VT_ERR_NODATA : VT_ERR_FORMAT,
				   tpath("t"), want,
				   incomplete ? "not written" : "offset",
				   (const char *)NULL);
			if (incomplete) {
				assert_null(f->ops->page_storage(f, pfn, &zero,
								 &written));
				assert_false(written);
			}
			f->ops->close(f);
		}
	}
	free(r.buf);
}

static void corrupt_header(const struct raw *r, int field, uint32_t v,
			   const char *word)
{
	uint8_t *copy = malloc(r->size);

	memcpy(copy, r->buf, r->size);
	put32(copy + field, v);
	write_file(tpath("t"), copy, r->size);
	free(copy);
	expect_open_error(tpath("t"),
			  field == VT_KDUMP_HDR(header_version) ?
				  VT_ERR_UNSUPPORTED :
				  VT_ERR_FORMAT,
			  word);
}

static void test_bad_header_fields(void **state)
{
	struct raw r;

	(void)state;
	raw_load(&r, tpath("c31.kdump"));
	corrupt_header(&r, VT_KDUMP_HDR(signature), 0x4d55444c, "signature");
	corrupt_header(&r, VT_KDUMP_HDR(header_version), 7, "header version 7");
	corrupt_header(&r, VT_KDUMP_HDR(block_size), 0, "block size 0");
	corrupt_header(&r, VT_KDUMP_HDR(block_size), 1u << 30, "block size");
	corrupt_header(&r, VT_KDUMP_HDR(sub_hdr_size), 0x7fffffff,
		       "sub header");
	corrupt_header(&r, VT_KDUMP_HDR(sub_hdr_size), 0xffffffff,
		       "sub header");
	corrupt_header(&r, VT_KDUMP_HDR(bitmap_blocks), 1, "bitmap_blocks 1");
	corrupt_header(&r, VT_KDUMP_HDR(bitmap_blocks), 0xffffffff, "bitmaps");
	/* a huge max_mapnr in a small file */
	corrupt_header(&r, r.bs + VT_KDUMP_SUB(max_mapnr_64), 0x7fffffff,
		       "max_mapnr 0x7fffffff");
	corrupt_header(&r, r.bs + VT_KDUMP_SUB(size_vmcoreinfo), 0x7fffffff,
		       "VMCOREINFO");
	corrupt_header(&r, r.bs + VT_KDUMP_SUB(offset_note), 0x7fffffff,
		       "ELF notes");
	free(r.buf);
}

/* Change the descriptor of one pfn and expect @word from read_page. */
static void corrupt_desc(const char *src, int field, uint32_t v,
			 const char *word)
{
	struct raw r;
	uint64_t desc, pfn;
	char want[2][64];
	uint8_t buf[PAGE];
	struct vt_file *f;

	raw_load(&r, tpath(src));
	pfn = raw_nth_pfn(&r, 77, &desc);
	if (field == VT_KDUMP_PD(offset))
		put64(r.buf + desc, (uint64_t)v << 20);
	else if (field < 0) /* garbage in place of the compressed data */
		memset(r.buf + vt_le64(r.buf + desc), 0xa5, 200);
	else
		put32(r.buf + desc + field, v);
	write_file(tpath("t"), r.buf, r.size);
	snprintf(want[0], sizeof(want[0]), "pfn 0x%llx",
		 (unsigned long long)pfn);
	snprintf(want[1], sizeof(want[1]), "offset %llu",
		 (unsigned long long)desc);
	f = open_ok(tpath("t"));
	expect_msg(f->ops->read_page(f, pfn, buf), VT_ERR_FORMAT, tpath("t"),
		   want[0], want[1], word, (const char *)NULL);
	f->ops->close(f);
	free(r.buf);
}

static void test_bad_page_descriptors(void **state)
{
	static const struct rebuild codecs[] = {
		{ DUMP_DH_COMPRESSED_SNAPPY, 6, false },
		{ DUMP_DH_COMPRESSED_ZSTD, 6, false },
	};

	(void)state;
	corrupt_desc("l31.kdump", VT_KDUMP_PD(size), 5000,
		     "data size 5000 exceeds block size 4096");
	corrupt_desc("l31.kdump", VT_KDUMP_PD(flags), 0x40, "flags 0x40");
	corrupt_desc("l31.kdump", VT_KDUMP_PD(flags), 3, "flags 0x3");
	corrupt_desc("l31.kdump", VT_KDUMP_PD(offset), 1 << 20, "past the end");
	corrupt_desc("l31.kdump", VT_KDUMP_PD(flags), 0, "uncompressed page");
	corrupt_desc("l31.kdump", -1, 0, "lzo");
	corrupt_desc("c31.kdump", -1, 0, "zlib");
	for (int i = 0; i < 2; i++) {
		rebuild(tpath("rebuilt"), &codecs[i]);
		corrupt_desc("rebuilt", -1, 0, i ? "zstd" : "snappy");
	}
}

/* Excluded, hole and not-written pfns are NODATA, not errors of format. */
static void test_nodata_pfns(void **state)
{
	struct vt_file *f = open_ok(tpath("l31.kdump"));
	uint8_t buf[PAGE];
	uint64_t hole = UINT64_MAX, excl = UINT64_MAX, pfn = 0;

	(void)state;
	while (pfn < core.max_pfn) {
		enum vt_pfn_state st;
		uint64_t end;

		assert_null(f->ops->pfn_run(f, pfn, &st, &end));
		/* the hole mkvmcore made at 100M, not pfn 0 */
		if (st == VT_PFN_HOLE && pfn)
			hole = pfn;
		if (st == VT_PFN_EXCLUDED)
			excl = pfn;
		pfn = end;
	}
	assert_true(hole != UINT64_MAX && excl != UINT64_MAX);
	expect_msg(f->ops->read_page(f, hole, buf), VT_ERR_NODATA, tpath(""),
		   "hole", (const char *)NULL);
	expect_msg(f->ops->read_page(f, core.max_pfn + 5, buf), VT_ERR_NODATA,
		   tpath(""), "max_mapnr", (const char *)NULL);
	expect_msg(f->ops->read_page(f, excl, buf), VT_ERR_NODATA, tpath(""),
		   "excluded", (const char *)NULL);
	f->ops->close(f);
}

/* Build a flattened stream of @n records {offset, size} plus a payload. */
static void flat_stream(const int64_t (*rec)[2], int n)
{
	size_t len = FLAT_HEADER_SIZE + (size_t)n * 16 + 4096;
	uint8_t *s = calloc(1, len), *p = s + FLAT_HEADER_SIZE;

	memcpy(s, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE) - 1);
	s[23] = FLAT_TYPE;
	s[31] = FLAT_VERSION;
	for (int i = 0; i < n; i++, p += 16)
		for (int b = 0; b < 8; b++) {
			p[b] = (uint8_t)((uint64_t)rec[i][0] >> (56 - 8 * b));
			p[8 + b] =
				(uint8_t)((uint64_t)rec[i][1] >> (56 - 8 * b));
		}
	write_file(tpath("t"), s, len);
	free(s);
}

static void test_bad_flattened_records(void **state)
{
	static const int64_t negative[][2] = { { 0, -5 } };
	static const int64_t neg_off[][2] = { { -4096, 0 } };
	static const int64_t huge[][2] = { { INT64_MAX - 10, 100 } };

	(void)state;
	flat_stream(negative, 1);
	expect_open_error(tpath("t"), VT_ERR_FORMAT, "stream offset 4096");
	flat_stream(neg_off, 1);
	expect_open_error(tpath("t"), VT_ERR_FORMAT, "negative file offset");
	flat_stream(huge, 1);
	expect_open_error(tpath("t"), VT_ERR_FORMAT, "beyond any dump");
	/* an empty stream has no kdump header */
	flat_stream(NULL, 0);
	expect_open_error(tpath("t"), VT_ERR_FORMAT, "past the end");
}

static void put_rec(uint8_t **pp, int64_t off, int64_t size, const void *src)
{
	uint8_t *p = *pp;

	for (int b = 0; b < 8; b++) {
		p[b] = (uint8_t)((uint64_t)off >> (56 - 8 * b));
		p[8 + b] = (uint8_t)((uint64_t)size >> (56 - 8 * b));
	}
	p += 16;
	if (size > 0 && src)
		memcpy(p, src, (size_t)size);
	else if (size > 0)
		memset(p, 0xee, (size_t)size);
	*pp = p + (size > 0 ? size : 0);
}

/* Records that overlap: the later wins, unwritten bytes are zero. */
static void test_flattened_overrides(void **state)
{
	struct raw r;
	struct vt_file *f;
	uint8_t *s, *p, buf[PAGE];
	uint64_t desc, pfn, pfn2, split;
	size_t len;

	(void)state;
	raw_load(&r, tpath("l31.kdump"));
	pfn = raw_nth_pfn(&r, 3, &desc);
	pfn2 = raw_nth_pfn(&r, 9000, &desc);
	/* the whole file, then a bogus header, then the real one again */
	split = r.size / 2;
	len = FLAT_HEADER_SIZE + 4 * 16 + r.size + 2 * 4096 + 16;
	s = calloc(1, len);
	memcpy(s, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE) - 1);
	s[23] = FLAT_TYPE;
	s[31] = FLAT_VERSION;
	p = s + FLAT_HEADER_SIZE;
	put_rec(&p, split, r.size - split, r.buf + split);
	put_rec(&p, 0, 4096, NULL);
	put_rec(&p, 0, split, r.buf);
	put_rec(&p, -1, -1, NULL);
	write_file(tpath("t.flat"), s, (size_t)(p - s));
	free(s);
	f = open_ok(tpath("t.flat"));
	assert_int_equal(f->info.format, VT_FORMAT_KDUMP_FLAT);
	assert_null(f->ops->read_page(f, pfn, buf));
	assert_memory_equal(buf, elf_page(pfn), PAGE);
	assert_null(f->ops->read_page(f, pfn2, buf));
	assert_memory_equal(buf, elf_page(pfn2), PAGE);
	f->ops->close(f);
	free(r.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_makedumpfile_zlib_and_lzo),
		cmocka_unit_test(test_makedumpfile_flattened),
		cmocka_unit_test(test_makedumpfile_split),
		cmocka_unit_test(test_rebuilt_snappy_zstd_zlib),
		cmocka_unit_test(test_rebuilt_header_versions),
		cmocka_unit_test(test_rebuilt_single_bitmap),
		cmocka_unit_test(test_truncated_headers),
		cmocka_unit_test(test_truncated_pages),
		cmocka_unit_test(test_bad_header_fields),
		cmocka_unit_test(test_bad_page_descriptors),
		cmocka_unit_test(test_nodata_pfns),
		cmocka_unit_test(test_bad_flattened_records),
		cmocka_unit_test(test_flattened_overrides),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
